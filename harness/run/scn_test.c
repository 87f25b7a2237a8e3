/* Tests for the scenario parser (scn.h): every committed scenario parses and fits its topology, the
 * flagship's content, each error with its line number, labels, and a mutation pass. */
#include <errno.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/run/scn.h"
#include "lib/ramhttp/ramhttp.h"
#include "harness/run/topo.h"
#include "lib/test/runner.h"

static int load_topo(const char *name, struct topo *t)
{
	char path[256];
	struct topo_error e;
	size_t len = 0;
	char *text;
	int rc;

	snprintf(path, sizeof(path), "scenarios/topology/%s.topo", name);
	text = test_slurp(path, &len);
	if (!text)
		return -ENOENT;
	rc = topo_parse(text, len, t, &e);
	if (rc < 0)
		printf("\n  %s:%u: %s\n", path, e.line, e.msg);
	free(text);
	return rc;
}

void test_scn_all_files(void)
{
	struct scn *s = malloc(sizeof(*s));
	struct topo *t = malloc(sizeof(*t));
	glob_t g;
	char ids[32][SCN_ID_MAX];
	size_t n_ids = 0;

	CU_ASSERT_FATAL(s && t);
	CU_ASSERT_EQUAL_FATAL(glob("scenarios/*/*.scn", 0, NULL, &g), 0);
	/* the flagship plus the nine further scenarios of issue 10 */
	CU_ASSERT(g.gl_pathc >= 10);
	for (size_t i = 0; i < g.gl_pathc; i++) {
		struct scn_error e;
		size_t len = 0;
		char *text = test_slurp(g.gl_pathv[i], &len);
		int rc;

		CU_ASSERT_FATAL(text != NULL);
		rc = scn_parse(text, len, s, &e);
		if (rc < 0)
			printf("\n  %s:%u: %s\n", g.gl_pathv[i], e.line, e.msg);
		CU_ASSERT_EQUAL(rc, 0);
		if (rc == 0) {
			CU_ASSERT_EQUAL(load_topo(s->topology, t), 0);
			rc = scn_check_topo(s, t, &e);
			if (rc < 0)
				printf("\n  %s:%u: %s\n", g.gl_pathv[i], e.line, e.msg);
			CU_ASSERT_EQUAL(rc, 0);
			for (size_t j = 0; j < n_ids; j++)
				CU_ASSERT_STRING_NOT_EQUAL(ids[j], s->id);
			if (n_ids < 32)
				snprintf(ids[n_ids++], SCN_ID_MAX, "%s", s->id);
		}
		free(text);
	}
	globfree(&g);
	free(s);
	free(t);
}

void test_scn_flagship(void)
{
	struct scn *s = malloc(sizeof(*s));
	struct scn_error e;
	size_t len = 0;
	char *text = test_slurp("scenarios/flagship/switchover.scn", &len);
	const struct scn_step *st;

	CU_ASSERT_FATAL(s && text);
	CU_ASSERT_EQUAL_FATAL(scn_parse(text, len, s, &e), 0);
	CU_ASSERT_STRING_EQUAL(s->id, "TC.PROC.FLAGSHIP.1");
	CU_ASSERT_STRING_EQUAL(s->section, "3.8 3.1 3.2");
	CU_ASSERT_STRING_EQUAL(s->topology, "flagship");
	CU_ASSERT_EQUAL(s->timeout_ms, 15 * 60 * 1000);
	CU_ASSERT(s->flags & (1u << SCN_O_SMSR_CHANGE));
	CU_ASSERT(s->flags & (1u << SCN_O_KANNEL));
	CU_ASSERT_FALSE(s->flags & (1u << SCN_O_CAT_TP));
	CU_ASSERT_EQUAL(s->n_init, 3);
	CU_ASSERT_EQUAL(s->init[0].state, ES_PROFILE_STATE_ENABLED);
	CU_ASSERT_STRING_EQUAL(s->init[1].where, "smsr1");
	CU_ASSERT_FALSE(s->init[1].notify_https); /* notifications by SMS unless asked */
	CU_ASSERT_EQUAL(s->init[1].carriage, -1);
	/* every article step 1..6 and i..ix appears on some step */
	static const char *const labels[] = { "1",   "2",  "3", "4",  "5",   "6",    "i", "ii",
					      "iii", "iv", "v", "vi", "vii", "viii", "ix" };
	for (size_t l = 0; l < sizeof(labels) / sizeof(labels[0]); l++) {
		bool found = false;
		for (size_t i = 0; i < s->n_steps; i++)
			found |= scn_label_covers(s->step[i].label, labels[l]);
		if (!found)
			printf("\n  article step %s has no scenario step\n", labels[l]);
		CU_ASSERT(found);
	}
	st = &s->step[0];
	CU_ASSERT_EQUAL(st->kind, SCN_STEP_CALL);
	CU_ASSERT_EQUAL(st->msg, ES_MSG_ES4_PREPARE_SMSR_CHANGE_REQ);
	CU_ASSERT_STRING_EQUAL(st->target, "smsr2");
	CU_ASSERT_STRING_EQUAL(st->peer, "mno2");
	CU_ASSERT_EQUAL(st->validity_s, 300);
	CU_ASSERT_EQUAL(st->expect, ES_STATUS_EXECUTED_SUCCESS);
	CU_ASSERT_EQUAL(st->n_fields, 2);
	CU_ASSERT_STRING_EQUAL(st->field[1].name, "CurrentSMSRid");
	CU_ASSERT_STRING_EQUAL(st->field[1].value, "@smsr1");
	st = &s->step[1];
	CU_ASSERT_TRUE(st->nowait);
	CU_ASSERT_EQUAL(s->step[5].kind, SCN_STEP_WAIT_RESPONSE);
	CU_ASSERT_STRING_EQUAL(s->step[5].label, "4-6");
	CU_ASSERT_STRING_EQUAL(s->step[5].target, "smsr1"); /* inherited from the call */
	CU_ASSERT_EQUAL(s->step[5].timeout_ms, 5 * 60 * 1000);
	CU_ASSERT_EQUAL(s->expect[0].kind, SCN_EXP_RESPONSES);
	CU_ASSERT_EQUAL(s->expect[0].status, ES_STATUS_EXECUTED_SUCCESS);
	CU_ASSERT_EQUAL(s->expect[1].n_profiles, 2);
	free(text);
	free(s);
}

void test_scn_labels(void)
{
	CU_ASSERT_TRUE(scn_label_valid("1"));
	CU_ASSERT_TRUE(scn_label_valid("6"));
	CU_ASSERT_TRUE(scn_label_valid("4-6"));
	CU_ASSERT_TRUE(scn_label_valid("ix"));
	CU_ASSERT_TRUE(scn_label_valid("vii-ix"));
	CU_ASSERT_TRUE(scn_label_valid("-"));
	CU_ASSERT_FALSE(scn_label_valid("7"));
	CU_ASSERT_FALSE(scn_label_valid("0"));
	CU_ASSERT_FALSE(scn_label_valid("x"));
	CU_ASSERT_FALSE(scn_label_valid("6-4"));
	CU_ASSERT_FALSE(scn_label_valid("3-3"));
	CU_ASSERT_FALSE(scn_label_valid("1-ix"));
	CU_ASSERT_FALSE(scn_label_valid(""));
	CU_ASSERT_FALSE(scn_label_valid("1-"));
	CU_ASSERT_TRUE(scn_label_covers("1-6", "3"));
	CU_ASSERT_TRUE(scn_label_covers("1-6", "4-6"));
	CU_ASSERT_TRUE(scn_label_covers("vii-ix", "viii"));
	CU_ASSERT_TRUE(scn_label_covers("all", "-"));
	CU_ASSERT_FALSE(scn_label_covers("1-6", "i"));
	CU_ASSERT_FALSE(scn_label_covers("2", "1-2"));
	CU_ASSERT_FALSE(scn_label_covers("1-6", "-"));
}

#define HDR	  "id TC.X.Y.1\ntitle t\nsection 3.8\napplies O_SMS\n"
#define HDR_STEPS HDR "[steps]\n"
#define CALL_OK	  "1 call ES4-SMSRChange to=smsr1 as=mno1 Eid=@card1 Target-Smsr-id=@smsr2"
#define EXP	  "[expect]\nduration all max=1m\n"

static const struct {
	const char *text;
	unsigned int line;
	const char *msg;
} bad_scns[] = {
	{ "title t\n", 0, "header needs id" },
	{ "id TC.X\n", 1, "SGP.11 style" },
	{ "id TC.X.Y\n", 1, "SGP.11 style" },
	{ "id TC.X.Y.1.\n", 1, "SGP.11 style" },
	{ "id tc.x.y.1\n", 1, "SGP.11 style" },
	{ "id TC.X.Y.1\nid TC.X.Y.2\n", 2, "given twice" },
	{ "colour red\n", 1, "unknown header 'colour'" },
	{ "section 3..8\n", 1, "section '3..8'" },
	{ "applies O_SMS O_TELEPATHY\n", 1, "flag 'O_TELEPATHY' unknown" },
	{ "timeout 30\n", 1, "timeout '30'" },
	{ "topology ../etc\n", 1, "topology:" },
	{ HDR "[steps]\n[initial]\n", 6, "out of order" },
	{ HDR "[stepz]\n", 5, "section '[stepz]'" },
	{ HDR EXP, 0, "no [steps]" },
	{ HDR_STEPS CALL_OK "\n", 0, "no [expect]" },
	{ HDR "[initial]\nprofile card1 123 Enabled operator=mno1 imsi=001010000000001\n", 6, "ICCID of 18..20" },
	{ HDR "[initial]\nprofile card1 8981100000000000019 On operator=mno1 imsi=001010000000001\n", 6,
	  "profile state 'On'" },
	{ HDR "[initial]\nprofile card1 8981100000000000019 Enabled operator=mno3 imsi=001010000000001\n", 6,
	  "operator=mno1|mno2" },
	{ HDR "[initial]\nprofile card1 8981100000000000019 Enabled operator=mno1 imsi=12\n", 6, "imsi=12" },
	{ HDR "[initial]\nprofile card1 8981100000000000019 Enabled operator=mno1 imsi=001010000000001 pol1=x\n", 6,
	  "pol1=x" },
	{ HDR "[initial]\nprofile card1 8981100000000000019 Enabled operator=mno1 imsi=001010000000001 foo=1\n", 6,
	  "unexpected foo=" },
	{ HDR "[initial]\neis card1\n", 6, "at= missing" },
	{ HDR "[initial]\neis card1 at=smsr1 extra\n", 6, "unexpected word 'extra'" },
	{ HDR "[initial]\ncredential smsr2 issuer=mallory\n", 6, "issuer=ci|rogue" },
	{ HDR "[initial]\neis card1 at=smsr1 notify=pigeon\n", 6, "notify=sms|https" },
	{ HDR "[initial]\neis card1 at=smsr1 notify=https carriage=smoke\n", 6, "carriage=uri-msg|body" },
	{ HDR "[initial]\neis card1 at=smsr1 carriage=body\n", 6, "with notify=https" },
	{ HDR "[initial]\nwish card1\n", 6, "unknown initial state 'wish'" },
	{ HDR_STEPS "7 call ES4-SMSRChange\n", 6, "step label '7'" },
	{ HDR_STEPS "1 dance\n", 6, "step kind 'dance'" },
	{ HDR_STEPS "1 call ES4-SMSRChangeX to=a as=b\n", 6, "not an ES function of lib/es" },
	{ HDR_STEPS "1 call ES4-HandleSMSRChangeNotification to=a as=b\n", 6, "not an ES function" },
	{ HDR_STEPS "1 call ES3-CreateISDP to=a as=b\n", 6, "ES2, ES4" },
	{ HDR_STEPS "1 call ES4-SMSRChange as=mno1\n", 6, "to= missing" },
	{ HDR_STEPS "1 call ES4-SMSRChange to=smsr1\n", 6, "as= missing" },
	{ HDR_STEPS "1 call ES4-SMSRChange to=smsr1 as=eum\n", 6, "ES1 is called as eum" },
	{ HDR_STEPS "1 call ES1-RegisterEIS to=smsr1 as=mno1 Eis=@card1\n", 6, "ES1 is called as eum" },
	{ HDR_STEPS "1 call ES4-SMSRChange to=smsr1 as=mno1 Eid=@card1\n", 6, "needs Target-Smsr-id=" },
	{ HDR_STEPS CALL_OK " Colour=red\n", 6, "has no element Colour" },
	{ HDR_STEPS CALL_OK " FunctionCallIdentifier=1\n", 6, "set by the harness" },
	{ HDR_STEPS "1 call ES4-SMSRChange to=smsr1 as=mno1 Eid=abc Target-Smsr-id=1\n", 6, "even number" },
	{ HDR_STEPS "1 call ES4-SMSRChange to=smsr1 as=mno1 Eid=@Card Target-Smsr-id=1\n", 6, "a reference" },
	{ HDR_STEPS "1 call ES2-DownloadProfile to=d as=m Eid=@c SmSr-id=1 EnableProfile=yes\n", 6, "true or false" },
	{ HDR_STEPS "1 call ES1-RegisterEIS to=s as=eum Eis=x\n", 6, "is a structure" },
	{ HDR_STEPS CALL_OK " expect=GREAT\n", 6, "expect=GREAT" },
	{ HDR_STEPS CALL_OK " subject=8.1.1\n", 6, "need expect=FAILED" },
	{ HDR_STEPS CALL_OK " expect=FAILED subject=8.x\n", 6, "subject=8.x" },
	{ HDR_STEPS CALL_OK " validity=1500ms\n", 6, "whole seconds" },
	{ HDR_STEPS CALL_OK " timeout=soon\n", 6, "timeout=soon" },
	{ HDR_STEPS CALL_OK " to=x\n", 6, "to= given twice" },
	{ HDR_STEPS CALL_OK " later\n", 6, "unexpected word 'later'" },
	{ HDR_STEPS "1 call ES4-GetEIS to=smsr1 as=mno1 Eid=@card1 nowait\n", 6, "is synchronous" },
	{ HDR_STEPS CALL_OK " nowait\n" EXP, 6, "no later 'wait response" },
	{ HDR_STEPS "1 wait response ES4-SMSRChange\n", 6, "no earlier 'call ES4-SMSRChange" },
	{ HDR_STEPS CALL_OK "\n1 wait response ES4-SMSRChange\n", 7, "no earlier" },
	{ HDR_STEPS "1 wait response ES4-HandleSMSRChangeNotification\n", 6, "is a notification" },
	{ HDR_STEPS "1 wait notification ES3-HandleSMSRChangeNotification to=mno1\n", 6, "not an ES2/ES4" },
	{ HDR_STEPS "1 wait notification ES4-HandleSMSRChangeNotification\n", 6, "to= missing" },
	{ HDR_STEPS "1 wait message ES7-Nothing from=a to=b\n", 6, "not an ES message" },
	{ HDR_STEPS "1 wait message ES7-AuthenticateSMSR to=b\n", 6, "from= missing" },
	{ HDR_STEPS "1 wait attach device1 hlr=h\n", 6, "imsi=(missing)" },
	{ HDR_STEPS "1 wait attach device1 imsi=001010000000001\n", 6, "hlr= missing" },
	{ HDR_STEPS "1 wait forever x\n", 6, "wait forever" },
	{ HDR_STEPS "- fault drop-sms count=1\n", 6, "path=kannel|smpp" },
	{ HDR_STEPS "- fault drop-sms path=kannel\n", 6, "count=(missing)" },
	{ HDR_STEPS "- fault drop-sms path=kannel count=0\n", 6, "count=0" },
	{ HDR_STEPS "- fault delay-sms path=smpp\n", 6, "by=DURATION" },
	{ HDR_STEPS "- fault fail-attach count=1\n", 6, "device= missing" },
	{ HDR_STEPS "- fault kill\n", 6, "fault kill COMPONENT" },
	{ HDR_STEPS "- fault restart a b\n", 6, "fault restart COMPONENT" },
	{ HDR_STEPS "- fault cut-bip device=d\n", 6, "after=N" },
	{ HDR_STEPS "- fault explode\n", 6, "fault drop-sms|" },
	{ HDR_STEPS CALL_OK "\n[expect]\nresponses all=any\n", 8, "responses all=STATUS" },
	{ HDR_STEPS CALL_OK "\n[expect]\neis card1\n", 8, "at= missing" },
	{ HDR_STEPS CALL_OK "\n[expect]\neis card1 at=s profiles=1:Enabled\n", 8, "is not ICCID:STATE" },
	{ HDR_STEPS CALL_OK "\n[expect]\nprofile card1 8981100000000000019 Gone\n", 8, "profile state 'Gone'" },
	{ HDR_STEPS CALL_OK "\n[expect]\nkeysets card1 of=smsr1\n", 8, "present|absent" },
	{ HDR_STEPS CALL_OK "\n[expect]\nattached device1 imsi=001010000000001 hlr=h\n", 8, "roaming=yes|no" },
	{ HDR_STEPS CALL_OK "\n[expect]\nnotification ES4-GetEIS to=m count=1\n", 8, "not an ES2/ES4 notification" },
	{ HDR_STEPS CALL_OK "\n[expect]\nnotification ES4-HandleSMSRChangeNotification to=m\n", 8, "count=N" },
	{ HDR_STEPS CALL_OK "\n[expect]\nduration 1 max=1m\nduration ii max=1m\n", 9, "no step carries" },
	{ HDR_STEPS CALL_OK "\n[expect]\nduration 1\n", 8, "max=DURATION" },
	{ HDR_STEPS CALL_OK "\n[expect]\ncard-notification card1 type=3 at=s\n", 8, "type=NN" },
	{ HDR_STEPS CALL_OK "\n[expect]\nmood card1\n", 8, "unknown expectation 'mood'" },
};

void test_scn_errors(void)
{
	struct scn *s = malloc(sizeof(*s));
	struct scn_error e;

	CU_ASSERT_FATAL(s != NULL);
	for (size_t i = 0; i < sizeof(bad_scns) / sizeof(bad_scns[0]); i++) {
		int rc = scn_parse(bad_scns[i].text, strlen(bad_scns[i].text), s, &e);
		if (rc != -EBADMSG || e.line != bad_scns[i].line || !strstr(e.msg, bad_scns[i].msg))
			printf("\n  case %zu: rc %d line %u msg '%s' (want line %u, '%s')\n", i, rc, e.line, e.msg,
			       bad_scns[i].line, bad_scns[i].msg);
		CU_ASSERT_EQUAL(rc, -EBADMSG);
		CU_ASSERT_EQUAL(e.line, bad_scns[i].line);
		CU_ASSERT_PTR_NOT_NULL(strstr(e.msg, bad_scns[i].msg));
	}
	free(s);
}

/* References that the topology must resolve. */
static const struct {
	const char *body;
	unsigned int line;
	const char *msg;
} bad_refs[] = {
	{ "[initial]\neis card1 at=smsr9\n[steps]\n" CALL_OK "\n" EXP, 6, "'smsr9' is not in the topology" },
	{ "[initial]\neis card1 at=smdp1\n[steps]\n" CALL_OK "\n" EXP, 6, "is a smdp, not an SM-SR" },
	{ "[initial]\nattach card1 imsi=001010000000001 hlr=hlr-mno1\n[steps]\n" CALL_OK "\n" EXP, 6, "not a device" },
	{ "[initial]\ncredential device1 issuer=rogue\n[steps]\n" CALL_OK "\n" EXP, 6, "not an SM-SR or SM-DP" },
	{ "[steps]\n1 call ES4-SMSRChange to=smdp1 as=mno1 Eid=@card1 Target-Smsr-id=@smsr2\n" EXP, 6, "not an SM-SR" },
	{ "[steps]\n1 call ES4-SMSRChange to=smsr1 as=smsr2 Eid=@card1 Target-Smsr-id=@smsr2\n" EXP, 6,
	  "not an operator" },
	{ "[steps]\n1 call ES4-SMSRChange to=smsr1 as=mno1 Eid=@card7 Target-Smsr-id=@smsr2\n" EXP, 6,
	  "Eid=@card7: 'card7' is not in the topology" },
	{ "[steps]\ni call ES2-DownloadProfile to=smsr1 as=mno2 Eid=@card1 SmSr-id=1 EnableProfile=true\n" EXP, 6,
	  "not an SM-DP" },
	{ "[steps]\n- fault kill mno1\n" EXP, 6, "not a component the harness runs" },
	{ "[steps]\n- fault cut-bip device=card1 after=1\n" EXP, 6, "not a device" },
	{ "[steps]\n1 wait notification ES4-HandleSMSRChangeNotification to=smsr1\n" EXP, 6, "not an operator" },
	{ "[steps]\n" CALL_OK "\n[expect]\nkeysets card1 of=hlr-mno1 absent\n", 8, "not an SM-SR" },
	{ "[steps]\n" CALL_OK "\n[expect]\nattached device1 imsi=001010000000001 hlr=msc-mno2 roaming=no\n", 8,
	  "not an HLR" },
};

void test_scn_topology_refs(void)
{
	struct scn *s = malloc(sizeof(*s));
	struct topo *t = malloc(sizeof(*t));
	struct scn_error e;
	char text[2048];

	CU_ASSERT_FATAL(s && t);
	CU_ASSERT_EQUAL_FATAL(load_topo("flagship", t), 0);
	for (size_t i = 0; i < sizeof(bad_refs) / sizeof(bad_refs[0]); i++) {
		int rc;
		snprintf(text, sizeof(text), HDR "%s", bad_refs[i].body);
		rc = scn_parse(text, strlen(text), s, &e);
		if (rc < 0)
			printf("\n  case %zu: parse: line %u: %s\n", i, e.line, e.msg);
		CU_ASSERT_EQUAL_FATAL(rc, 0);
		rc = scn_check_topo(s, t, &e);
		if (rc != -EBADMSG || e.line != bad_refs[i].line || !strstr(e.msg, bad_refs[i].msg))
			printf("\n  case %zu: rc %d line %u msg '%s' (want line %u, '%s')\n", i, rc, e.line, e.msg,
			       bad_refs[i].line, bad_refs[i].msg);
		CU_ASSERT_EQUAL(rc, -EBADMSG);
		CU_ASSERT_EQUAL(e.line, bad_refs[i].line);
		CU_ASSERT_PTR_NOT_NULL(strstr(e.msg, bad_refs[i].msg));
	}
	free(s);
	free(t);
}

void test_scn_caps(void)
{
	struct scn *s = malloc(sizeof(*s));
	struct scn_error e;
	char *text = malloc(64 * 1024);
	size_t n;

	CU_ASSERT_FATAL(s && text);
	n = (size_t)sprintf(text, HDR_STEPS);
	for (int i = 0; i <= SCN_STEPS_MAX; i++)
		n += (size_t)sprintf(text + n, "- fault kill smsr1\n");
	CU_ASSERT_EQUAL(scn_parse(text, n, s, &e), -ENOSPC);
	CU_ASSERT_EQUAL(e.line, 5 + SCN_STEPS_MAX + 1);
	free(text);
	free(s);
}

static int decode_scn(const uint8_t *buf, size_t len, void *priv)
{
	struct scn_error e;

	return scn_parse((const char *)buf, len, priv, &e);
}

void test_scn_mutations(void)
{
	static const char text[] = HDR "[initial]\neis card1 at=smsr1\n[steps]\n" CALL_OK " validity=30s nowait\n"
				       "4-6 wait response ES4-SMSRChange timeout=1m\n"
				       "[expect]\nduration 1-6 max=2m\n";
	struct scn *s = malloc(sizeof(*s));
	unsigned long accepted;

	CU_ASSERT_FATAL(s != NULL);
	CU_ASSERT_EQUAL(decode_scn((const uint8_t *)text, strlen(text), s), 0);
	test_truncations_run((const uint8_t *)text, strlen(text), decode_scn, s);
	accepted = test_mutations_run((const uint8_t *)text, strlen(text), decode_scn, s);
	CU_ASSERT(accepted > 0);
	free(s);
}

/* eis notify=https [carriage=]: the card personalised for E1 over HTTPS (scenarios/download/notif-https.scn) */
void test_scn_eis_notify(void)
{
	struct scn *s = malloc(sizeof(*s));
	struct scn_error e;
	static const char text[] = HDR "[initial]\neis card1 at=smsr2 notify=https carriage=body\n"
				       "eis card2 at=smsr1 notify=sms\n[steps]\n" CALL_OK "\n" EXP;

	CU_ASSERT_FATAL(s != NULL);
	CU_ASSERT_EQUAL_FATAL(scn_parse(text, strlen(text), s, &e), 0);
	CU_ASSERT_TRUE(s->init[0].notify_https);
	CU_ASSERT_EQUAL(s->init[0].carriage, RAMHTTP_NOTIF_BODY);
	CU_ASSERT_FALSE(s->init[1].notify_https);
	CU_ASSERT_EQUAL(s->init[1].carriage, -1);
	free(s);
}
