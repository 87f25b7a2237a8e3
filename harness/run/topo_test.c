/* Tests for the topology parser (topo.h): the committed flagship topology, round trip through
 * topo_format(), every error with its line number, caps, and a mutation pass (no crash, no hang). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/run/lex.h"
#include "harness/run/topo.h"
#include "lib/test/runner.h"

#define FLAGSHIP "scenarios/topology/flagship.topo"

static int parse_str(const char *text, struct topo *t, struct topo_error *e)
{
	return topo_parse(text, strlen(text), t, e);
}

void test_topo_flagship(void)
{
	struct topo *t = calloc(1, sizeof(*t));
	struct topo_error e;
	size_t len = 0;
	char *text = test_slurp(FLAGSHIP, &len);
	const struct topo_comp *c;

	CU_ASSERT_FATAL(text != NULL);
	CU_ASSERT_EQUAL_FATAL(topo_parse(text, len, t, &e), 0);
	CU_ASSERT_EQUAL(t->n, 13);
	CU_ASSERT_STRING_EQUAL(t->comp[0].name, "stp");
	c = topo_find(t, "smsr1");
	CU_ASSERT_FATAL(c != NULL);
	CU_ASSERT_EQUAL(c->kind, TOPO_SMSR);
	CU_ASSERT_EQUAL(c->mode, TOPO_BUILTIN);
	CU_ASSERT_EQUAL(c->op, TOPO_OP_MNO1);
	CU_ASSERT_STRING_EQUAL(c->addr, "127.0.0.41");
	CU_ASSERT_EQUAL(c->port, 8443);
	CU_ASSERT_STRING_EQUAL(c->entity, "2.999.1.1");
	CU_ASSERT_EQUAL(c->n_needs, 1);
	CU_ASSERT_STRING_EQUAL(c->needs[0], "kannel");
	c = topo_find(t, "card1");
	CU_ASSERT_FATAL(c != NULL);
	CU_ASSERT_STRING_EQUAL(c->eid, "89049032000000000000000000000163");
	CU_ASSERT_STRING_EQUAL(c->device, "device1");
	CU_ASSERT_PTR_EQUAL(topo_find_kind(t, TOPO_SMSR, TOPO_OP_MNO2), topo_find(t, "smsr2"));
	CU_ASSERT_PTR_EQUAL(topo_find_kind(t, TOPO_OSMO_HLR, TOPO_OP_NONE), topo_find(t, "hlr-mno1"));
	CU_ASSERT_PTR_NULL(topo_find_kind(t, TOPO_SMSR, TOPO_OP_NONE + 3));
	CU_ASSERT_EQUAL(topo_ready_timeout_ms(topo_find(t, "msc-mno2")), 10000);
	CU_ASSERT_EQUAL(topo_find(t, "smsr1")->por_timeout_s, 15);
	CU_ASSERT_EQUAL(topo_find(t, "msc-mno2")->por_timeout_s, 0);
	free(text);
	free(t);
}

void test_topo_round_trip(void)
{
	struct topo *a = calloc(1, sizeof(*a)), *b = calloc(1, sizeof(*b));
	struct topo_error e;
	size_t len = 0;
	char *text = test_slurp(FLAGSHIP, &len);
	char out1[8192], out2[8192];
	int n1, n2;
	const char *ext = "sr smsr external operator=mno2 entity=1.2.3 url=https://sr.example:8443/es ca=ca.pem "
			  "cert=c.pem key=k.pem\nx osmo-stp builtin addr=10.0.0.1 port=1 timeout=250ms needs=sr\n"
			  "s2 smsr builtin operator=mno2 addr=10.0.0.2 port=2 entity=1.2.4 por-timeout=15s es5=https\n";

	CU_ASSERT_FATAL(text && a && b);
	CU_ASSERT_EQUAL_FATAL(topo_parse(text, len, a, &e), 0);
	n1 = topo_format(a, out1, sizeof(out1));
	CU_ASSERT_FATAL(n1 > 0);
	CU_ASSERT_EQUAL_FATAL(topo_parse(out1, (size_t)n1, b, &e), 0);
	n2 = topo_format(b, out2, sizeof(out2));
	CU_ASSERT_EQUAL(n1, n2);
	CU_ASSERT_STRING_EQUAL(out1, out2);
	/* external entries and the optional keys survive too */
	CU_ASSERT_EQUAL_FATAL(parse_str(ext, a, &e), 0);
	n1 = topo_format(a, out1, sizeof(out1));
	CU_ASSERT_STRING_EQUAL(out1, ext);
	CU_ASSERT_EQUAL(a->comp[1].ready_timeout_ms, 250);
	CU_ASSERT_EQUAL(a->comp[2].por_timeout_s, 15);
	CU_ASSERT_TRUE(a->comp[2].es5_set && a->comp[2].es5_https);
	/* too small an output buffer is reported, never cut silently */
	CU_ASSERT_EQUAL(topo_format(a, out1, 20), -EMSGSIZE);
	CU_ASSERT_EQUAL(topo_format(a, out1, 0), -EMSGSIZE);
	free(text);
	free(a);
	free(b);
}

/* Each bad input, the line the error must name and a word its message must contain. */
static const struct {
	const char *text;
	unsigned int line;
	const char *msg;
} bad_topos[] = {
	{ "", 0, "no components" },
	{ "# only a comment\n\n", 0, "no components" },
	{ "stp osmo-stp\n", 1, "expected NAME KIND" },
	{ "Stp osmo-stp builtin addr=1.2.3.4 port=1\n", 1, "name 'Stp'" },
	{ "stp osmo-stpx builtin addr=1.2.3.4 port=1\n", 1, "kind 'osmo-stpx' unknown" },
	{ "stp osmo-stp inside addr=1.2.3.4 port=1\n", 1, "mode 'inside'" },
	{ "stp osmo-stp external url=https://a/\n", 1, "cannot be external" },
	{ "stp osmo-stp builtin addr=1.2.3.4\n", 1, "needs port=" },
	{ "stp osmo-stp builtin addr=1.2.3 port=1\n", 1, "not a dotted IPv4" },
	{ "stp osmo-stp builtin addr=1.2.3.4 port=65536\n", 1, "not 1..65535" },
	{ "stp osmo-stp builtin addr=1.2.3.4 port=0\n", 1, "not 1..65535" },
	{ "stp osmo-stp builtin addr=1.2.3.4 port=1 port=2\n", 1, "given twice" },
	{ "stp osmo-stp builtin addr=1.2.3.4 port=1 colour=red\n", 1, "unknown key 'colour'" },
	{ "stp osmo-stp builtin addr=1.2.3.4 port=1 operator=mno1\n", 1, "not allowed for a builtin osmo-stp" },
	{ "stp osmo-stp builtin addr=1.2.3.4 port=1 junk\n", 1, "not KEY=VALUE" },
	{ "stp osmo-stp builtin addr=1.2.3.4 port=1 =x\n", 1, "not KEY=VALUE" },
	{ "stp osmo-stp builtin addr=1.2.3.4 port=1\nstp osmo-stp builtin addr=1.2.3.4 port=1\n", 2,
	  "defined twice (first on line 1)" },
	{ "a osmo-stp builtin addr=1.2.3.4 port=1 needs=b\nb osmo-stp builtin addr=1.2.3.4 port=1\n", 1, "needs 'b'" },
	{ "a osmo-stp builtin addr=1.2.3.4 port=1 needs=a\n", 1, "needs 'a'" },
	{ "a osmo-stp builtin addr=1.2.3.4 port=1 needs=,\n", 1, "empty list" },
	{ "h osmo-hlr builtin addr=1.2.3.4 port=1\n", 1, "needs operator=" },
	{ "h osmo-hlr builtin addr=1.2.3.4 port=1 operator=mno3\n", 1, "mno1 or mno2" },
	{ "s smsr builtin operator=mno1 addr=1.2.3.4 port=1\n", 1, "needs entity=" },
	{ "s smsr builtin operator=mno1 addr=1.2.3.4 port=1 entity=1..2\n", 1, "not an OID" },
	{ "s smsr builtin operator=mno1 addr=1.2.3.4 port=1 entity=1.2 url=https://a/\n", 1,
	  "'url' is not allowed for a builtin smsr" },
	{ "s smsr external operator=mno1 entity=1.2 url=https://a/ ca=a cert=b\n", 1, "needs key=" },
	{ "s smsr external operator=mno1 entity=1.2 url=http://a/ ca=a cert=b key=c\n", 1, "over https" },
	{ "s smsr external operator=mno1 entity=1.2 url=ftp://a/ ca=a cert=b key=c\n", 1, "is not http[s]" },
	{ "s smsr external operator=mno1 entity=1.2 url=https://a/ ca=a cert=b key=c addr=1.2.3.4\n", 1,
	  "'addr' is not allowed for an external smsr" },
	{ "s smsr external operator=mno1 entity=1.2 url=https://a/ ca=a\"b cert=b key=c\n", 1, "ca: a path" },
	{ "d device builtin\nc euicc builtin eid=89049032000000000000000000000164 device=d\n", 2, "check digits" },
	{ "d device builtin\nc euicc builtin eid=8904903200000000000000000000016 device=d\n", 2, "check digits" },
	{ "d osmo-stp builtin addr=1.2.3.4 port=1\nc euicc builtin eid=89049032000000000000000000000163 device=d\n", 2,
	  "not a device" },
	{ "d device builtin timeout=5\n", 1, "timeout '5'" },
	{ "d device builtin timeout=11m\n", 1, "up to 10m" },
	{ "s smsr builtin operator=mno1 addr=1.2.3.4 port=1 entity=1.2 por-timeout=1500ms\n", 1, "whole seconds" },
	{ "s smsr builtin operator=mno1 addr=1.2.3.4 port=1 entity=1.2 por-timeout=0s\n", 1, "por-timeout '0s'" },
	{ "d device builtin por-timeout=15s\n", 1, "'por-timeout' is not allowed" },
	{ "s smsr builtin operator=mno1 addr=1.2.3.4 port=1 entity=1.2 es5=pigeon\n", 1, "es5 'pigeon': https or sms" },
	{ "d device builtin es5=https\n", 1, "'es5' is not allowed" },
	{ "\n\n\nd device builtin\x01\n", 4, "control character" },
	{ "m mno builtin operator=mno1 addr=1.2.3.4 port=1\n", 1, "needs entity=" },
};

void test_topo_errors(void)
{
	struct topo *t = calloc(1, sizeof(*t));
	struct topo_error e;

	CU_ASSERT_FATAL(t != NULL);
	for (size_t i = 0; i < sizeof(bad_topos) / sizeof(bad_topos[0]); i++) {
		int rc = parse_str(bad_topos[i].text, t, &e);
		if (rc != -EBADMSG || e.line != bad_topos[i].line || !strstr(e.msg, bad_topos[i].msg))
			printf("\n  case %zu: rc %d line %u msg '%s' (want line %u, '%s')\n", i, rc, e.line, e.msg,
			       bad_topos[i].line, bad_topos[i].msg);
		CU_ASSERT_EQUAL(rc, -EBADMSG);
		CU_ASSERT_EQUAL(e.line, bad_topos[i].line);
		CU_ASSERT_PTR_NOT_NULL(strstr(e.msg, bad_topos[i].msg));
	}
	free(t);
}

void test_topo_caps(void)
{
	struct topo *t = calloc(1, sizeof(*t));
	struct topo_error e;
	char *text = malloc(64 * 1024), *p;
	size_t n = 0;

	CU_ASSERT_FATAL(t && text);
	for (int i = 0; i <= TOPO_COMP_MAX; i++)
		n += (size_t)sprintf(text + n, "d%d device builtin\n", i);
	CU_ASSERT_EQUAL(topo_parse(text, n, t, &e), -ENOSPC);
	CU_ASSERT_EQUAL(e.line, TOPO_COMP_MAX + 1);
	/* a line over LEX_LINE_MAX and a line of too many words are errors with their line number */
	p = text;
	p += sprintf(p, "d device builtin\n# ");
	memset(p, 'x', LEX_LINE_MAX);
	p[LEX_LINE_MAX] = '\0';
	CU_ASSERT_EQUAL(topo_parse(text, strlen(text), t, &e), -EMSGSIZE);
	CU_ASSERT_EQUAL(e.line, 2);
	p = text + sprintf(text, "d device builtin");
	for (int i = 0; i < LEX_WORDS_MAX; i++)
		p += sprintf(p, " x=%d", i);
	CU_ASSERT_EQUAL(topo_parse(text, strlen(text), t, &e), -E2BIG);
	CU_ASSERT_EQUAL(e.line, 1);
	/* CRLF line ends and a missing final newline are fine */
	strcpy(text, "# x\r\nd device builtin\r\ne euicc builtin eid=89049032000000000000000000000163 device=d");
	CU_ASSERT_EQUAL(topo_parse(text, strlen(text), t, &e), 0);
	CU_ASSERT_EQUAL(t->n, 2);
	free(text);
	free(t);
}

static int decode_topo(const uint8_t *buf, size_t len, void *priv)
{
	struct topo_error e;

	return topo_parse((const char *)buf, len, priv, &e);
}

void test_topo_mutations(void)
{
	static const char text[] = "smsr1 smsr builtin operator=mno1 addr=127.0.0.41 port=8443 entity=2.1\n"
				   "card1 euicc builtin eid=89049032000000000000000000000163 device=device1\n";
	struct topo *t = calloc(1, sizeof(*t));
	unsigned long accepted;

	CU_ASSERT_FATAL(t != NULL);
	/* the second line names a device that is not there: the text as a whole is refused ... */
	CU_ASSERT_EQUAL(decode_topo((const uint8_t *)text, strlen(text), t), -EBADMSG);
	/* ... and each prefix and mutant is parsed within bounds (ASan judges); some are valid */
	test_truncations_run((const uint8_t *)text, strlen(text), decode_topo, t);
	accepted = test_mutations_run((const uint8_t *)text, strlen(text), decode_topo, t);
	CU_ASSERT(accepted > 0);
	free(t);
}

void test_topo_lex_helpers(void)
{
	unsigned int ms;
	unsigned long u;
	char kv[] = "a=b=c", *val;

	CU_ASSERT_EQUAL(lex_duration_ms("250ms", &ms), 0);
	CU_ASSERT_EQUAL(ms, 250);
	CU_ASSERT_EQUAL(lex_duration_ms("30s", &ms), 0);
	CU_ASSERT_EQUAL(ms, 30000);
	CU_ASSERT_EQUAL(lex_duration_ms("2m", &ms), 0);
	CU_ASSERT_EQUAL(ms, 120000);
	CU_ASSERT_EQUAL(lex_duration_ms("30", &ms), -EINVAL);
	CU_ASSERT_EQUAL(lex_duration_ms("s", &ms), -EINVAL);
	CU_ASSERT_EQUAL(lex_duration_ms("-1s", &ms), -EINVAL);
	CU_ASSERT_EQUAL(lex_duration_ms("25h", &ms), -EINVAL);
	CU_ASSERT_EQUAL(lex_duration_ms("1441m", &ms), -EINVAL);
	CU_ASSERT_EQUAL(lex_duration_ms("999999999s", &ms), -EINVAL);
	CU_ASSERT_EQUAL(lex_uint("65535", 1, 65535, &u), 0);
	CU_ASSERT_EQUAL(lex_uint("", 0, 1, &u), -EINVAL);
	CU_ASSERT_EQUAL(lex_uint("99999999999", 0, ~0UL, &u), -EINVAL);
	CU_ASSERT_TRUE(lex_kv(kv, &val));
	CU_ASSERT_STRING_EQUAL(kv, "a");
	CU_ASSERT_STRING_EQUAL(val, "b=c");
	CU_ASSERT_TRUE(lex_name_valid("smsr-1", 8));
	CU_ASSERT_FALSE(lex_name_valid("smsr-12", 7));
	CU_ASSERT_FALSE(lex_name_valid("1smsr", 8));
	CU_ASSERT_FALSE(lex_name_valid("", 8));
}

void test_topo_lex_rest(void)
{
	static const char text[] = "  title   Free text, with  blanks # and a comment\n#x\n\tone\n";
	struct lex lx;
	struct lex_line l;

	lex_init(&lx, text, strlen(text));
	CU_ASSERT_EQUAL(lex_next(&lx, &l), 1);
	CU_ASSERT_EQUAL(lx.lineno, 1);
	CU_ASSERT_EQUAL(l.nwords, 5);
	CU_ASSERT_STRING_EQUAL(l.word[0], "title");
	CU_ASSERT_STRING_EQUAL(l.word[4], "blanks");
	CU_ASSERT_STRING_EQUAL(l.rest1, "Free text, with  blanks");
	CU_ASSERT_EQUAL(lex_next(&lx, &l), 1);
	CU_ASSERT_EQUAL(lx.lineno, 3);
	CU_ASSERT_EQUAL(l.nwords, 1);
	CU_ASSERT_STRING_EQUAL(l.rest1, "");
	CU_ASSERT_EQUAL(lex_next(&lx, &l), 0);
}
