/* harness/check IPA + GSUP: libosmocore's own GSUP test vectors through the checker's decoder, IPA
 * framing (every truncation, zero length), detection by header (not port), byte mutations, then a
 * synthetic osmo-msc <-> osmo-hlr capture with IPA CCM, UpdateLocation + InsertSubscriberData, an error
 * result, an unrequested result and a malformed message: events and findings IPA-001, GSUP-001..003. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <osmocom/gsm/gsup.h>
#include <talloc.h>

#include "harness/check/check.h"
#include "harness/check/check_internal.h"
#include "harness/check/gsup.h"
#include "harness/check/pcapbuf.h"
#include "harness/check/pkt.h"
#include "harness/check/check_testframe.h"
#include "lib/test/runner.h"

static void *ctx;

int suite_setup(void)
{
	ctx = talloc_named_const(NULL, 0, "gsup_test");
	return ctx ? 0 : -1;
}

int suite_teardown(void)
{
	talloc_free(ctx);
	return 0;
}

/* libosmocore tests/gsup/gsup_test.c: TEST_IMSI_IE (IMSI 123456789012345), update_location_req,
 * update_location_err (cause 7, GPRS services not allowed). */
#define IMSI_IE	   "01 08 21436587092143f5"
#define UL_REQ	   "04" IMSI_IE
#define UL_ERR	   "05" IMSI_IE "020107"
#define UL_RES_MIN "06" IMSI_IE

void test_gsup_vectors(void)
{
	struct check_gsup_info g;
	size_t n;
	uint8_t *b = test_unhex(UL_REQ, &n);

	CU_ASSERT_EQUAL(check_gsup_decode(&g, b, n), 0);
	CU_ASSERT_EQUAL(g.msg_type, OSMO_GSUP_MSGT_UPDATE_LOCATION_REQUEST);
	CU_ASSERT_STRING_EQUAL(g.imsi, "123456789012345");
	CU_ASSERT_EQUAL(g.cause, 0);
	CU_ASSERT_STRING_EQUAL(check_gsup_type_name(g.msg_type), "UPDATE_LOCATION_REQUEST");
	free(b);
	b = test_unhex(UL_ERR, &n);
	CU_ASSERT_EQUAL(check_gsup_decode(&g, b, n), 0);
	CU_ASSERT_EQUAL(g.msg_type, OSMO_GSUP_MSGT_UPDATE_LOCATION_ERROR);
	CU_ASSERT_EQUAL(g.cause, 7);
	/* an IE cut short is malformed: libosmocore says so, the type byte is still reported */
	CU_ASSERT_EQUAL(check_gsup_decode(&g, b, n - 1), -EBADMSG);
	CU_ASSERT_EQUAL(g.msg_type, OSMO_GSUP_MSGT_UPDATE_LOCATION_ERROR);
	CU_ASSERT(g.decode_rc < 0);
	CU_ASSERT_EQUAL(check_gsup_decode(&g, b, 0), -EBADMSG);
	CU_ASSERT_EQUAL(check_gsup_decode(NULL, b, n), -EINVAL);
	free(b);
}

static int ipa_cb(const uint8_t *b, size_t len, void *priv)
{
	struct check_ipa_msg m;
	int rc = check_ipa_decode(&m, b, len);

	return rc < 0 ? rc : 0;
}

static int gsup_cb(const uint8_t *b, size_t len, void *priv)
{
	struct check_gsup_info g;

	return check_gsup_decode(&g, b, len);
}

/* An IPA frame around a GSUP message (stream 0xEE, extension 0x05). */
static uint8_t *ipa_gsup(const char *gsup_hex, size_t *out_len)
{
	size_t n;
	uint8_t *g = test_unhex(gsup_hex, &n), *f = malloc(n + 4);

	f[0] = (uint8_t)((n + 1) >> 8);
	f[1] = (uint8_t)(n + 1);
	f[2] = 0xee;
	f[3] = 0x05;
	memcpy(f + 4, g, n);
	free(g);
	*out_len = n + 4;
	return f;
}

void test_gsup_ipa_framing(void)
{
	struct check_ipa_msg m;
	size_t n;
	uint8_t *f = ipa_gsup(UL_REQ, &n);

	CU_ASSERT_EQUAL(check_ipa_decode(&m, f, n), (int)n);
	CU_ASSERT_EQUAL(m.proto, 0xee);
	CU_ASSERT_EQUAL(m.ext, 0x05);
	CU_ASSERT_EQUAL(m.len, n - 4);
	CU_ASSERT_PTR_EQUAL(m.data, f + 4);
	CU_ASSERT_EQUAL(TEST_TRUNCATIONS_REJECTED(f, n, ipa_cb, NULL), 0);
	CU_ASSERT(check_ipa_looks_like(f, n));
	CU_ASSERT_EQUAL(check_app_detect(f, n), CHECK_APP_IPA);
	f[3] = 0x00; /* osmo extension CTRL, not GSUP: not what the detector looks for */
	CU_ASSERT_FALSE(check_ipa_looks_like(f, n));
	free(f);

	/* CCM ID_GET (stream 0xFE, message 0x04) as osmo-hlr sends first: detected; zero length: malformed */
	f = test_unhex("0003fe040108", &n);
	CU_ASSERT_EQUAL(check_ipa_decode(&m, f, n), 6);
	CU_ASSERT_EQUAL(m.ext, CHECK_IPA_NO_EXT);
	CU_ASSERT_EQUAL(check_app_detect(f, n), CHECK_APP_IPA);
	f[0] = f[1] = 0;
	CU_ASSERT_EQUAL(check_ipa_decode(&m, f, n), -EBADMSG);
	CU_ASSERT_FALSE(check_ipa_looks_like(f, n));
	free(f);
	/* an SMPP bind_transmitter stays SMPP (its command_length starts with two zero bytes) */
	f = test_unhex("00000017 00000002 00000000 00000001 6100620000", &n);
	CU_ASSERT_EQUAL(check_app_detect(f, n), CHECK_APP_SMPP);
	free(f);
	CU_ASSERT_EQUAL(check_ipa_decode(NULL, (const uint8_t *)"abc", 3), -EINVAL);
}

void test_gsup_truncations_mutations(void)
{
	size_t n;
	uint8_t *b = test_unhex(UL_ERR, &n);
	unsigned long acc;

	/* GSUP has a valid prefix at an IE boundary (libosmocore rejects the bare type byte) */
	CU_ASSERT_EQUAL(test_truncations_run(b, n, gsup_cb, NULL), 1); /* 05 ‖ IMSI IE: a complete message */
	acc = test_mutations_run(b, n, gsup_cb, NULL);
	CU_ASSERT(acc > 0 && acc < 256ul * n);
	free(b);
	b = ipa_gsup(UL_REQ, &n);
	acc = test_mutations_run(b, n, ipa_cb, NULL);
	CU_ASSERT(acc > 0 && acc < 256ul * n);
	free(b);
}

/* ---- a synthetic capture --------------------------------------------------------------------------- */

static size_t build_tcp(uint8_t *f, int dir, uint32_t seq, uint8_t flags, const void *payload, size_t plen)
{
	/* 127.0.0.1:41000 <-> 127.0.0.12:5000 (not 4222: detection by header) */
	return dir ? tf_build_tcp(f, 0x7f00000c, 5000, 0x7f000001, 41000, seq, flags, payload, plen)
		   : tf_build_tcp(f, 0x7f000001, 41000, 0x7f00000c, 5000, seq, flags, payload, plen);
}

struct cap {
	uint8_t *buf;
	size_t len, cap;
	uint32_t seq[2];
};

static void cap_add(struct cap *c, int dir, uint8_t flags, const uint8_t *d, size_t n)
{
	uint8_t f[2048];
	size_t fl = build_tcp(f, dir, c->seq[dir], flags, d, n);
	int w = pcapbuf_write_record(c->buf + c->len, c->cap - c->len, 1700000000000000ull + c->len, f, (uint32_t)fl);

	CU_ASSERT_FATAL(w > 0);
	c->len += (size_t)w;
	c->seq[dir] += (uint32_t)n + ((flags & PKT_TCP_SYN) ? 1 : 0);
}

static void cap_gsup(struct cap *c, int dir, const char *hex)
{
	size_t n;
	uint8_t *f = ipa_gsup(hex, &n);

	cap_add(c, dir, PKT_TCP_ACK | PKT_TCP_PSH, f, n);
	free(f);
}

static unsigned int count_rule(struct checker *ck, const char *id)
{
	unsigned int n, k = 0;
	const struct check_finding *f = checker_findings(ck, &n);

	for (unsigned int i = 0; i < n; i++)
		if (!strcmp(f[i].rule->id, id))
			k++;
	return k;
}

void test_gsup_capture(void)
{
	struct cap c = { .cap = 1 << 16, .seq = { 100, 9000 } };
	struct checker *ck;
	const struct check_event *ev;
	unsigned int nev, ng = 0;
	size_t n;
	uint8_t *b;
	const char *dir_env = getenv("CHECK_WRITE_CORPUS");

	c.buf = talloc_size(ctx, c.cap);
	c.len = (size_t)pcapbuf_write_header(c.buf, c.cap, 1, 65535);
	cap_add(&c, 0, PKT_TCP_SYN, NULL, 0);
	cap_add(&c, 1, PKT_TCP_SYN | PKT_TCP_ACK, NULL, 0);
	b = test_unhex("0003fe040108", &n); /* HLR: CCM ID_GET (unit name) */
	cap_add(&c, 1, PKT_TCP_ACK | PKT_TCP_PSH, b, n);
	free(b);
	b = test_unhex("000cfe050009016d73632d30303000", &n); /* MSC: CCM ID_RESP "msc-000" */
	cap_add(&c, 0, PKT_TCP_ACK | PKT_TCP_PSH, b, n);
	free(b);
	cap_gsup(&c, 0, UL_REQ "280102");	/* UpdateLocation request, CN domain CS (IE 0x28 = 2) */
	cap_gsup(&c, 1, "10" IMSI_IE "280102"); /* InsertSubscriberData request, CS */
	cap_gsup(&c, 0, "12" IMSI_IE);		/* InsertSubscriberData result */
	cap_gsup(&c, 1, UL_RES_MIN);		/* UpdateLocation result */
	cap_gsup(&c, 1, UL_ERR);		/* an error nobody asked for: GSUP-002 and GSUP-003 */
	cap_gsup(&c, 0, "04 01 08 214365");	/* IMSI IE cut short: GSUP-001 */
	b = test_unhex("0000ee", &n);		/* zero-length IPA frame: IPA-001, rest of the direction skipped */
	cap_add(&c, 0, PKT_TCP_ACK | PKT_TCP_PSH, b, n);
	free(b);
	cap_gsup(&c, 0, UL_REQ); /* not decoded: after the broken frame */

	if (dir_env) {
		char path[512];
		FILE *f;

		snprintf(path, sizeof(path), "%s/seed-gsup.pcap", dir_env);
		f = fopen(path, "wb");
		if (f) {
			fwrite(c.buf, 1, c.len, f);
			fclose(f);
		}
	}

	ck = checker_alloc(ctx, NULL);
	CU_ASSERT_FATAL(ck != NULL);
	CU_ASSERT_EQUAL(checker_run_buffer(ck, c.buf, c.len), 0);
	CU_ASSERT_EQUAL(checker_stats(ck)->ipa_msgs, 8);
	CU_ASSERT_EQUAL(checker_stats(ck)->gsup_msgs, 6);
	ev = checker_events(ck, &nev);
	for (unsigned int i = 0; i < nev; i++) {
		if (!ev[i].has_gsup)
			continue;
		CU_ASSERT_STRING_EQUAL(ev[i].proto, "GSUP");
		switch (ng++) {
		case 0:
			CU_ASSERT_EQUAL(ev[i].gsup.msg_type, OSMO_GSUP_MSGT_UPDATE_LOCATION_REQUEST);
			CU_ASSERT_STRING_EQUAL(ev[i].gsup.imsi, "123456789012345");
			CU_ASSERT_EQUAL(ev[i].gsup.cn_domain, OSMO_GSUP_CN_DOMAIN_CS);
			CU_ASSERT_PTR_NOT_NULL(strstr(ev[i].summary, "127.0.0.1:41000 -> 127.0.0.12:5000 "
								     "UPDATE_LOCATION_REQUEST imsi=123456789012345 "
								     "cn=CS"));
			break;
		case 3: CU_ASSERT_EQUAL(ev[i].gsup.msg_type, OSMO_GSUP_MSGT_UPDATE_LOCATION_RESULT); break;
		case 4:
			CU_ASSERT_EQUAL(ev[i].gsup.msg_type, OSMO_GSUP_MSGT_UPDATE_LOCATION_ERROR);
			CU_ASSERT_EQUAL(ev[i].gsup.cause, 7);
			CU_ASSERT_PTR_NOT_NULL(strstr(ev[i].summary, "cause=7"));
			break;
		case 5: CU_ASSERT(ev[i].gsup.decode_rc < 0); break;
		default: break;
		}
	}
	CU_ASSERT_EQUAL(ng, 6);
	CU_ASSERT_EQUAL(count_rule(ck, "GSUP-001"), 1);
	CU_ASSERT_EQUAL(count_rule(ck, "GSUP-002"), 1);
	CU_ASSERT_EQUAL(count_rule(ck, "GSUP-003"), 1); /* only the unrequested error */
	CU_ASSERT_EQUAL(count_rule(ck, "IPA-001"), 1);
	CU_ASSERT_EQUAL(count_rule(ck, "IPA-002"), 0);
	talloc_free(ck);
	talloc_free(c.buf);
}
