/* SM-SR procedures, narrative style (like osmo-msc's msc_vlr tests): the ES5 transport, the ES reply
 * and the notifications are stubs that record what the SM-SR sends; time is frozen and advanced by
 * hand (osmo_gettimeofday_override), so the timeout rows run instantly. Every error row of the
 * functions provided is exercised, and malformed input is shown to change no state. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <osmocom/core/logging.h>
#include <osmocom/core/timer.h>
#include <osmocom/core/utils.h>
#include <talloc.h>

#include "lib/crypto/ec.h"
#include "lib/es/es_eumsig.h"
#include "lib/es5/notification.h"
#include "lib/test/runner.h"
#include "network/smsr/smsr.h"
#include "network/smsr/smsr_log.h"

static void *ctx;

#define btw(fmt, args...) fprintf(stderr, "\n--- " fmt "\n", ##args)

/* ---- stubs ----------------------------------------------------------------------------------- */

struct sent_script {
	char eid[SMSR_EID_HEX_MAX];
	uint32_t op;
	uint8_t script[300];
	size_t len;
};
static struct sent_script sent[16];
static unsigned int n_sent;
static int es5_send_rc;

static int stub_send_script(struct smsr *sr, const char *eid, uint32_t op, const uint8_t *script, size_t len,
			    void *priv)
{
	if (es5_send_rc)
		return es5_send_rc;
	if (n_sent < ARRAY_SIZE(sent)) {
		struct sent_script *s = &sent[n_sent];

		snprintf(s->eid, sizeof(s->eid), "%s", eid);
		s->op = op;
		s->len = len < sizeof(s->script) ? len : sizeof(s->script);
		memcpy(s->script, script, s->len);
	}
	n_sent++;
	return 0;
}

static const struct smsr_es5_ops stub_es5 = { .send_script = stub_send_script };

struct captured {
	unsigned int n;
	enum es_msg_id id;
	enum es_status status;
	char subject[16], reason[16];
	size_t euicc_data_len;
	uint8_t aid[16];
	size_t aid_len;
	unsigned int n_profiles;
};
static struct captured reply;

static void stub_respond(void *handle, struct es_msg *resp)
{
	const struct es_fes *fes = &resp->u.es1_register_eis_resp.function_execution_status;

	reply.n++;
	reply.id = resp->id;
	reply.status = fes->status;
	snprintf(reply.subject, sizeof(reply.subject), "%s",
		 fes->status_code_data.subject ? fes->status_code_data.subject : "");
	snprintf(reply.reason, sizeof(reply.reason), "%s",
		 fes->status_code_data.reason ? fes->status_code_data.reason : "");
	reply.euicc_data_len = 0;
	if (resp->id == ES_MSG_ES4_ENABLE_PROFILE_RESP || resp->id == ES_MSG_ES4_DISABLE_PROFILE_RESP)
		reply.euicc_data_len = resp->u.es4_enable_profile_resp.euicc_response_data.len;
	if (resp->id == ES_MSG_ES3_CREATE_ISDP_RESP) {
		const struct es_hex *aid = &resp->u.es3_create_isdp_resp.isd_p_aid;

		reply.aid_len = aid->data && aid->len <= sizeof(reply.aid) ? aid->len : 0;
		if (reply.aid_len)
			memcpy(reply.aid, aid->data, reply.aid_len);
	}
	if (resp->id == ES_MSG_ES3_GET_EIS_RESP || resp->id == ES_MSG_ES4_GET_EIS_RESP)
		reply.n_profiles = resp->u.es4_get_eis_resp.eis.n_profile_info;
}

static struct smsr_reply rep = { .respond = stub_respond, .requester = "1.2.3.1" };

struct notif_rec {
	enum es_msg_id id;
	char mno[32];
	char iccid[24];
};
static struct notif_rec notifs[8];
static unsigned int n_notifs;

static void stub_notify(struct smsr *sr, const char *mno_id, struct es_msg *msg, void *priv)
{
	if (n_notifs < ARRAY_SIZE(notifs)) {
		notifs[n_notifs].id = msg->id;
		snprintf(notifs[n_notifs].mno, sizeof(notifs[0].mno), "%s", mno_id);
		snprintf(notifs[n_notifs].iccid, sizeof(notifs[0].iccid), "%s",
			 msg->u.es4_handle_profile_enabled_notif.iccid);
	}
	n_notifs++;
}

static struct osmo_tdef test_tdefs[] = {
	{ .T = SMSR_T_ES5_RESULT, .default_val = 10, .unit = OSMO_TDEF_S, .desc = "es5" },
	{ .T = SMSR_T_NOTIFICATION, .default_val = 60, .unit = OSMO_TDEF_S, .desc = "notif" },
	{}
};

static void fake_time_passes(unsigned int secs)
{
	osmo_gettimeofday_override_time.tv_sec += secs;
	osmo_timers_prepare();
	osmo_timers_update();
}

int suite_setup(void)
{
	ctx = talloc_named_const(NULL, 0, "smsr_test");
	test_osmo_log_init(ctx, &smsr_log_info, LOGL_INFO);
	osmo_gettimeofday_override = true;
	osmo_gettimeofday_override_time = (struct timeval){ .tv_sec = 1000000 };
	osmo_tdefs_reset(test_tdefs);
	return 0;
}

int suite_teardown(void)
{
	log_fini();
	talloc_free(ctx);
	return 0;
}

/* ---- fixture ----------------------------------------------------------------------------------- */

static const char *EID = "89001012012341234012345678901224";
static uint8_t eid_bytes[16];
static uint8_t aid10[16] = { 0xA0, 0x00, 0x00, 0x05, 0x59, 0x10, 0x10, 0xFF,
			     0xFF, 0xFF, 0xFF, 0x89, 0x00, 0x00, 0x10, 0x00 };
static uint8_t aid20[16] = { 0xA0, 0x00, 0x00, 0x05, 0x59, 0x10, 0x10, 0xFF,
			     0xFF, 0xFF, 0xFF, 0x89, 0x00, 0x00, 0x20, 0x00 };

struct world {
	struct smsr_store *store;
	struct smsr *sr;
};

static struct es_msg *msg_new(enum es_msg_id id)
{
	struct es_msg *m = talloc_zero(ctx, struct es_msg);

	es_example_fill(m, id);
	return m;
}

/* The operators with an ES4 notification endpoint of their own (open-questions §9 routing). */
static const char *es4_owner;

static bool owner_has_es4(const char *mno_id, void *priv)
{
	return es4_owner && strcmp(mno_id, es4_owner) == 0;
}

static void world_setup(struct world *w)
{
	char err[128];
	struct smsr_cfg cfg = { .smsr_id = "1.2.3.4",
				.tdefs = test_tdefs,
				.owner_has_es4 = owner_has_es4,
				.eis_sig = SMSR_EIS_SIG_NONE /* the example EIS is unsigned */ };
	struct es_msg *reg = msg_new(ES_MSG_ES1_REGISTER_EIS_REQ);
	struct es_eis *eis = &reg->u.es1_register_eis_req.eis;
	struct es_keyset *ks;
	static uint8_t key[3][16];
	static const uint8_t ktype[1] = { 0x88 };
	struct smsr_profile_row p2 = { 0 };

	memset(&reply, 0, sizeof(reply));
	n_sent = 0;
	n_notifs = 0;
	es5_send_rc = 0;
	osmo_hexparse(EID, eid_bytes, sizeof(eid_bytes));
	w->store = smsr_store_open(ctx, ":memory:", err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(w->store);
	w->sr = smsr_alloc(ctx, w->store, &cfg, &stub_es5, stub_notify, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(w->sr);

	btw("The EUM registers the EIS over ES1: one enabled profile (MNO 1.2.3.1), SCP80 key set KVN 1");
	eis->n_profile_info = 1;
	eis->profile_info[0].iccid = "8944000000000000010";
	eis->profile_info[0].isd_p_aid = (struct es_hex){ aid10, 16 };
	eis->profile_info[0].mno_id = "1.2.3.1";
	eis->profile_info[0].state = ES_PROFILE_STATE_ENABLED;
	eis->profile_info[0].pol2.n_rule = 0;
	eis->isd_r.n_keyset = 1;
	ks = &eis->isd_r.keyset[0];
	ks->type = ES_KEYSET_SCP80;
	ks->version = (struct es_int){ true, 1 };
	ks->n_key = 3;
	ks->n_certificate = 0;
	for (int i = 0; i < 3; i++) {
		memset(key[i], 0x11 * (i + 1), 16);
		ks->key[i] = ks->key[0];
		ks->key[i].index = (struct es_int){ true, i + 1 };
		ks->key[i].n_key_components = 1;
		ks->key[i].key_components[0] = (struct es_key_component){ true, { ktype, 1 }, { key[i], 16 } };
	}
	CU_ASSERT_EQUAL(smsr_es_request(w->sr, reg, &rep), 0);
	CU_ASSERT_EQUAL(reply.id, ES_MSG_ES1_REGISTER_EIS_RESP);
	CU_ASSERT_EQUAL(reply.status, ES_STATUS_EXECUTED_SUCCESS);
	talloc_free(reg);

	/* a second, disabled profile of the same MNO, downloaded earlier */
	snprintf(p2.eid, sizeof(p2.eid), "%s", EID);
	snprintf(p2.iccid, sizeof(p2.iccid), "8944000000000000020");
	memcpy(p2.isdp_aid, aid20, 16);
	p2.isdp_aid_len = 16;
	snprintf(p2.mno_id, sizeof(p2.mno_id), "1.2.3.2");
	p2.state = ES_PROFILE_STATE_DISABLED;
	CU_ASSERT_EQUAL(smsr_store_profile_put(w->store, &p2), 0);
	memset(&reply, 0, sizeof(reply));
}

static void world_teardown(struct world *w)
{
	CU_ASSERT_EQUAL(smsr_num_procs(w->sr), 0);
	smsr_free(w->sr);
	smsr_store_close(w->store);
}

static struct es_msg *eid_iccid_req(enum es_msg_id id, const char *iccid)
{
	struct es_msg *m = msg_new(id);

	m->u.es4_enable_profile_req.eid = (struct es_hex){ eid_bytes, 16 };
	m->u.es4_enable_profile_req.iccid = iccid;
	return m;
}

static bool script_contains(const struct sent_script *s, const char *hex)
{
	uint8_t pat[64];
	int n = osmo_hexparse(hex, pat, sizeof(pat));

	for (size_t i = 0; n > 0 && i + (size_t)n <= s->len; i++)
		if (!memcmp(s->script + i, pat, (size_t)n))
			return true;
	return false;
}

static void card_sends_notification(struct smsr *sr, uint8_t type, uint16_t seq, const uint8_t *aid, int expect_rc)
{
	struct es5_notification n = { .eid = { eid_bytes, 16 }, .type = type, .seq = seq };
	uint8_t buf[64];
	int len;

	if (aid)
		n.isdp_aid = (struct es5_bytes){ aid, 16 };
	len = es5_notification_encode(buf, sizeof(buf), &n, ES5_NOTIF_AID_2F);
	CU_ASSERT_FATAL(len > 0);
	CU_ASSERT_EQUAL(smsr_es5_rx_notification(sr, buf, (size_t)len), expect_rc);
}

/* ---- ES1 ------------------------------------------------------------------------------------------- */

void test_smsr_register_eis_rows(void)
{
	struct world w;
	struct es_msg *reg;
	struct smsr_keyset_row k;

	world_setup(&w);
	CU_ASSERT_EQUAL(smsr_store_keyset_get(w.store, EID, SMSR_KEYSET_SCP80, 1, &k), 0);
	CU_ASSERT_EQUAL(k.kic_len, 16);
	CU_ASSERT_EQUAL(k.kid[0], 0x22);
	CU_ASSERT_EQUAL(k.kik[0], 0x33);

	btw("A second RegisterEIS for the same EID is refused (8.1.1 / 3.3), the store keeps one EIS");
	reg = msg_new(ES_MSG_ES1_REGISTER_EIS_REQ);
	CU_ASSERT_EQUAL(smsr_es_request(w.sr, reg, &rep), -EEXIST);
	CU_ASSERT_EQUAL(reply.status, ES_STATUS_FAILED);
	CU_ASSERT_STRING_EQUAL(reply.subject, "8.1.1");
	CU_ASSERT_EQUAL(smsr_store_eis_count(w.store), 1);

	btw("An EIS with a wrong EID check digit is refused (8.6 / 2.1) and stores nothing");
	reg->u.es1_register_eis_req.eis.eum_signed_info.eid.data = (const uint8_t *)"\x89\x00\x10\x12\x01\x23\x41\x23"
										    "\x40\x12\x34\x56\x78\x90\x12\x25";
	CU_ASSERT_EQUAL(smsr_es_request(w.sr, reg, &rep), -EINVAL);
	CU_ASSERT_STRING_EQUAL(reply.subject, "8.6");
	reg->u.es1_register_eis_req.eis.eum_signed_info.eid.len = 3;
	CU_ASSERT_EQUAL(smsr_es_request(w.sr, reg, &rep), -EINVAL);
	reg->u.es1_register_eis_req.eis.present = false;
	CU_ASSERT_EQUAL(smsr_es_request(w.sr, reg, &rep), -EINVAL);
	CU_ASSERT_EQUAL(smsr_store_eis_count(w.store), 1);
	talloc_free(reg);
	world_teardown(&w);
}

/* ---- RegisterEIS: the EumSignature (lib/es/es_eumsig.h) ---------------------------------------------- */

static uint8_t signed_xml[65536];

/* es_example's RegisterEIS signed with key under v; *m decoded from the bytes (as esnet hands it on) */
static int sign_example(EVP_PKEY *key, enum es_eumsig_variant v, struct es_msg **m, char **arena)
{
	struct es_msg *src = msg_new(ES_MSG_ES1_REGISTER_EIS_REQ);
	struct es_eumsig_buf b;
	int n = es_eumsig_sign(signed_xml, sizeof(signed_xml), src, &b, key, v, NULL);

	talloc_free(src);
	CU_ASSERT_FATAL(n > 0);
	return n;
}

/* decode xml as esnet would and hand it to the SM-SR with the raw bytes */
static int register_xml(struct smsr *sr, const uint8_t *xml, size_t len)
{
	struct es_msg *m = talloc_zero(ctx, struct es_msg);
	char *arena = talloc_size(m, len + 64);
	struct smsr_reply r = rep;
	int rc;

	CU_ASSERT_EQUAL_FATAL(es_msg_decode(m, arena, len + 64, xml, len, NULL, NULL), 0);
	CU_ASSERT_EQUAL_FATAL(m->id, ES_MSG_ES1_REGISTER_EIS_REQ);
	r.xml = xml;
	r.xml_len = len;
	memset(&reply, 0, sizeof(reply));
	rc = smsr_es_request(sr, m, &r);
	talloc_free(m);
	return rc;
}

static void assert_refused(const char *reason)
{
	CU_ASSERT_EQUAL(reply.n, 1);
	CU_ASSERT_EQUAL(reply.status, ES_STATUS_FAILED);
	CU_ASSERT_STRING_EQUAL(reply.subject, "8.6");
	CU_ASSERT_STRING_EQUAL(reply.reason, reason);
}

void test_smsr_register_eis_eum_signature(void)
{
	char err[256];
	EVP_PKEY *eum = NULL, *other = NULL;
	EVP_PKEY *keys[2];
	struct smsr_store *store = smsr_store_open(ctx, ":memory:", err, sizeof(err));
	struct smsr_cfg cfg = { .smsr_id = "1.2.3.4", .tdefs = test_tdefs, .eis_sig = SMSR_EIS_SIG_DSIG_DETACHED };
	struct smsr *sr, *sr_none;
	uint8_t *copy;
	char *p;
	int n;

	CU_ASSERT_PTR_NOT_NULL_FATAL(store);
	CU_ASSERT_EQUAL_FATAL(crypto_ec_generate(CRYPTO_CURVE_P256, &eum), 0);
	CU_ASSERT_EQUAL_FATAL(crypto_ec_generate(CRYPTO_CURVE_P256, &other), 0);
	keys[0] = other;
	keys[1] = eum;
	cfg.eum_keys = &keys[1];
	cfg.n_eum_keys = 1;
	sr = smsr_alloc(ctx, store, &cfg, &stub_es5, stub_notify, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(sr);
	n = sign_example(eum, ES_EUMSIG_DSIG_DETACHED, NULL, NULL);
	copy = talloc_memdup(ctx, signed_xml, (size_t)n);

	btw("Without the raw request the signature cannot be checked: refused (8.6 / 2.1), nothing stored");
	{
		struct es_msg *m = msg_new(ES_MSG_ES1_REGISTER_EIS_REQ);

		memset(&reply, 0, sizeof(reply));
		CU_ASSERT_EQUAL(smsr_es_request(sr, m, &rep), -EACCES);
		assert_refused("2.1");
		talloc_free(m);
	}
	CU_ASSERT_EQUAL(smsr_store_eis_count(store), 0);

	btw("A signed field (PlatformVersion in EumSignedInfo) changed after signing: 8.6 / 6.1, nothing stored");
	p = memmem(copy, (size_t)n, "PlatformVersion>1.0.0", 21);
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	p[20] = '1';
	CU_ASSERT_EQUAL(register_xml(sr, copy, (size_t)n), -EACCES);
	assert_refused("6.1");
	CU_ASSERT_EQUAL(smsr_store_eis_count(store), 0);
	memcpy(copy, signed_xml, (size_t)n);

	btw("The ECASD key set's certificate (signed) changed: refused");
	p = memmem(copy, (size_t)n, "<rps:Value>0102", 15);
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	p[14] = '3';
	CU_ASSERT_EQUAL(register_xml(sr, copy, (size_t)n), -EACCES);
	assert_refused("6.1");
	CU_ASSERT_EQUAL(smsr_store_eis_count(store), 0);

	btw("Signed by another key: 8.6 / 6.1; under the other variant: 8.6 / 6.1; nothing stored");
	n = sign_example(other, ES_EUMSIG_DSIG_DETACHED, NULL, NULL);
	CU_ASSERT_EQUAL(register_xml(sr, signed_xml, (size_t)n), -EACCES);
	assert_refused("6.1");
	n = sign_example(eum, ES_EUMSIG_DIRECT, NULL, NULL);
	CU_ASSERT_EQUAL(register_xml(sr, signed_xml, (size_t)n), -EACCES);
	assert_refused("6.1");
	CU_ASSERT_EQUAL(smsr_store_eis_count(store), 0);

	btw("No signature at all: 8.6 / 2.1");
	{
		struct es_msg *m = msg_new(ES_MSG_ES1_REGISTER_EIS_REQ);

		m->u.es1_register_eis_req.eis.eum_signature.present = false;
		n = es_msg_encode(signed_xml, sizeof(signed_xml), m, NULL);
		talloc_free(m);
		CU_ASSERT_FATAL(n > 0);
	}
	CU_ASSERT_EQUAL(register_xml(sr, signed_xml, (size_t)n), -EACCES);
	assert_refused("2.1");
	CU_ASSERT_EQUAL(smsr_store_eis_count(store), 0);

	btw("The correctly signed EIS is accepted and stored; sent again it is a duplicate (8.1.1 / 3.3)");
	n = sign_example(eum, ES_EUMSIG_DSIG_DETACHED, NULL, NULL);
	CU_ASSERT_EQUAL(register_xml(sr, signed_xml, (size_t)n), 0);
	CU_ASSERT_EQUAL(reply.status, ES_STATUS_EXECUTED_SUCCESS);
	CU_ASSERT_EQUAL(smsr_store_eis_count(store), 1);
	CU_ASSERT_EQUAL(register_xml(sr, signed_xml, (size_t)n), -EEXIST);
	CU_ASSERT_STRING_EQUAL(reply.subject, "8.1.1");
	smsr_free(sr);
	smsr_store_close(store);

	btw("Several EUMs configured: each is tried (the right one second); the direct variant when configured");
	store = smsr_store_open(ctx, ":memory:", err, sizeof(err));
	cfg.eum_keys = keys;
	cfg.n_eum_keys = 2;
	cfg.eis_sig = SMSR_EIS_SIG_DIRECT;
	sr = smsr_alloc(ctx, store, &cfg, &stub_es5, stub_notify, NULL);
	n = sign_example(eum, ES_EUMSIG_DIRECT, NULL, NULL);
	CU_ASSERT_EQUAL(register_xml(sr, signed_xml, (size_t)n), 0);
	CU_ASSERT_EQUAL(reply.status, ES_STATUS_EXECUTED_SUCCESS);
	CU_ASSERT_EQUAL(smsr_store_eis_count(store), 1);
	smsr_free(sr);
	smsr_store_close(store);

	btw("No EUM certificate configured: every RegisterEIS refused (8.6 / 6.1); `none` checks nothing");
	store = smsr_store_open(ctx, ":memory:", err, sizeof(err));
	cfg.eum_keys = NULL;
	cfg.n_eum_keys = 0;
	cfg.eis_sig = SMSR_EIS_SIG_DSIG_DETACHED;
	sr = smsr_alloc(ctx, store, &cfg, &stub_es5, stub_notify, NULL);
	cfg.eis_sig = SMSR_EIS_SIG_NONE;
	sr_none = smsr_alloc(ctx, store, &cfg, &stub_es5, stub_notify, NULL);
	n = sign_example(other, ES_EUMSIG_DSIG_DETACHED, NULL, NULL);
	CU_ASSERT_EQUAL(register_xml(sr, signed_xml, (size_t)n), -EACCES);
	assert_refused("6.1");
	CU_ASSERT_EQUAL(smsr_store_eis_count(store), 0);
	CU_ASSERT_EQUAL(register_xml(sr_none, signed_xml, (size_t)n), 0);
	CU_ASSERT_EQUAL(smsr_store_eis_count(store), 1);
	smsr_free(sr);
	smsr_free(sr_none);
	smsr_store_close(store);

	CU_ASSERT_STRING_EQUAL(get_value_string(smsr_eis_sig_names, SMSR_EIS_SIG_NONE), "none");
	CU_ASSERT_EQUAL(get_string_value(smsr_eis_sig_names, "dsig-detached"), SMSR_EIS_SIG_DSIG_DETACHED);
	talloc_free(copy);
	EVP_PKEY_free(eum);
	EVP_PKEY_free(other);
}

/* ---- GetEIS ------------------------------------------------------------------------------------------ */

void test_smsr_get_eis(void)
{
	struct world w;
	struct es_msg *m;

	world_setup(&w);
	btw("The SM-DP asks ES3-GetEIS: the whole EIS with both profiles");
	m = msg_new(ES_MSG_ES3_GET_EIS_REQ);
	m->u.es3_get_eis_req.eid = (struct es_hex){ eid_bytes, 16 };
	CU_ASSERT_EQUAL(smsr_es_request(w.sr, m, &rep), 0);
	CU_ASSERT_EQUAL(reply.id, ES_MSG_ES3_GET_EIS_RESP);
	CU_ASSERT_EQUAL(reply.status, ES_STATUS_EXECUTED_SUCCESS);
	CU_ASSERT_EQUAL(reply.n_profiles, 2);
	talloc_free(m);

	btw("MNO 1.2.3.1 asks ES4-GetEIS: it sees its own profile only");
	m = msg_new(ES_MSG_ES4_GET_EIS_REQ);
	m->u.es4_get_eis_req.eid = (struct es_hex){ eid_bytes, 16 };
	CU_ASSERT_EQUAL(smsr_es_request(w.sr, m, &rep), 0);
	CU_ASSERT_EQUAL(reply.n_profiles, 1);

	btw("Unknown EID: Failed 8.1.1 / 1.1");
	m->u.es4_get_eis_req.eid = (struct es_hex){ (const uint8_t *)"\x89\x01", 2 };
	CU_ASSERT_EQUAL(smsr_es_request(w.sr, m, &rep), -ENOENT);
	CU_ASSERT_EQUAL(reply.status, ES_STATUS_FAILED);
	CU_ASSERT_STRING_EQUAL(reply.subject, "8.1.1");
	CU_ASSERT_STRING_EQUAL(reply.reason, "1.1");
	talloc_free(m);
	world_teardown(&w);
}

/* ---- EnableProfile: the normal case (digest §3.4 steps 19..26) -------------------------------------- */

void test_smsr_enable_profile_normal_case(void)
{
	struct world w;
	struct es_msg *m;
	struct smsr_profile_row p;
	struct smsr_audit_row a[8];
	size_t n;

	world_setup(&w);
	btw("MNO sends ES4-EnableProfile for the disabled profile 8944...020");
	m = eid_iccid_req(ES_MSG_ES4_ENABLE_PROFILE_REQ, "8944000000000000020");
	CU_ASSERT_EQUAL(smsr_es_request(w.sr, m, &rep), 0);
	btw("step 20: the SM-SR sends STORE DATA 80E28800 3A03 { 4F AID } to the ISD-R");
	CU_ASSERT_EQUAL(n_sent, 1);
	CU_ASSERT_STRING_EQUAL(sent[0].eid, EID);
	CU_ASSERT_TRUE(script_contains(&sent[0], "80E28800"));
	CU_ASSERT_TRUE(script_contains(&sent[0], "3A03124F10A0000005591010FFFFFFFF8900002000"));
	CU_ASSERT_EQUAL(reply.n, 0);

	btw("The PoR arrives (9000): no answer yet, the SM-SR waits for the notification");
	smsr_es5_rx_result(w.sr, sent[0].op, 0, 0x9000, NULL, 0);
	CU_ASSERT_EQUAL(reply.n, 0);
	CU_ASSERT_EQUAL(smsr_num_procs(w.sr), 1);

	btw("step 23: the eUICC sends E1 type 02 seq 5 with the new ISD-P AID");
	card_sends_notification(w.sr, ES5_NOTIF_PROFILE_CHANGE_SUCCEEDED, 5, aid20, 0);
	btw("step 24: confirmation 3A08 { 4E 0005 }; step 25: EIS updated, then the ES4 response");
	CU_ASSERT_EQUAL(n_sent, 2);
	CU_ASSERT_TRUE(script_contains(&sent[1], "3A08044E020005"));
	CU_ASSERT_EQUAL(reply.n, 1);
	CU_ASSERT_EQUAL(reply.id, ES_MSG_ES4_ENABLE_PROFILE_RESP);
	CU_ASSERT_EQUAL(reply.status, ES_STATUS_EXECUTED_SUCCESS);
	CU_ASSERT_EQUAL(reply.euicc_data_len, 2);
	CU_ASSERT_EQUAL(smsr_store_profile_get(w.store, "8944000000000000020", &p), 0);
	CU_ASSERT_EQUAL(p.state, ES_PROFILE_STATE_ENABLED);
	CU_ASSERT_EQUAL(smsr_store_profile_get(w.store, "8944000000000000010", &p), 0);
	CU_ASSERT_EQUAL(p.state, ES_PROFILE_STATE_DISABLED);
	btw("step 26: HandleProfileEnabled to the new owner, HandleProfileDisabled to the old one");
	CU_ASSERT_EQUAL(n_notifs, 2);
	CU_ASSERT_EQUAL(notifs[0].id, ES_MSG_ES4_HANDLE_PROFILE_ENABLED_NOTIF);
	CU_ASSERT_STRING_EQUAL(notifs[0].mno, "1.2.3.2");
	CU_ASSERT_EQUAL(notifs[1].id, ES_MSG_ES4_HANDLE_PROFILE_DISABLED_NOTIF);
	CU_ASSERT_STRING_EQUAL(notifs[1].mno, "1.2.3.1");
	CU_ASSERT_EQUAL(smsr_num_procs(w.sr), 0);

	btw("The eUICC retries the same notification (confirmation lost): confirmed again, not processed");
	card_sends_notification(w.sr, ES5_NOTIF_PROFILE_CHANGE_SUCCEEDED, 5, aid20, 0);
	CU_ASSERT_EQUAL(n_sent, 3);
	CU_ASSERT_EQUAL(n_notifs, 2);
	CU_ASSERT_EQUAL(smsr_stats(w.sr)->notifs_dup, 1);

	btw("Audit trail: EnableProfile success and the notification");
	CU_ASSERT_EQUAL(smsr_store_audit_list(w.store, EID, a, 8, &n), 0);
	CU_ASSERT_EQUAL(n, 2);
	CU_ASSERT_EQUAL(a[0].op_type, 0x0002);
	CU_ASSERT_EQUAL(a[1].op_type, 0x0200);
	CU_ASSERT_EQUAL(a[1].status, ES_STATUS_EXECUTED_SUCCESS);
	talloc_free(m);
	world_teardown(&w);
}

/* The same completion when the E1 comes in an HTTPS admin session the card opened (smsr_scp81): the
 * transport confirms it in that session, so nothing goes out over ES5; an E1 naming another eUICC than
 * the session's (its PSK) is dropped. */
void test_smsr_enable_notification_in_session(void)
{
	struct world w;
	struct es_msg *m;
	struct es5_notification n = { .eid = { eid_bytes, 16 }, .type = ES5_NOTIF_PROFILE_CHANGE_SUCCEEDED, .seq = 9 };
	uint8_t buf[64], other[16];
	uint16_t seq = 0;
	int len;

	world_setup(&w);
	m = eid_iccid_req(ES_MSG_ES4_ENABLE_PROFILE_REQ, "8944000000000000020");
	CU_ASSERT_EQUAL(smsr_es_request(w.sr, m, &rep), 0);
	smsr_es5_rx_result(w.sr, sent[0].op, 0, 0x9000, NULL, 0);
	CU_ASSERT_EQUAL(n_sent, 1);
	n.isdp_aid = (struct es5_bytes){ aid20, 16 };
	len = es5_notification_encode(buf, sizeof(buf), &n, ES5_NOTIF_AID_2F);
	CU_ASSERT_FATAL(len > 0);

	btw("An E1 for our EID in another eUICC's session: dropped (-EPERM), nothing changes");
	CU_ASSERT_EQUAL(smsr_es5_rx_notification_in_session(w.sr, "89001012012341234012345678900000", buf, (size_t)len,
							    &seq),
			-EPERM);
	CU_ASSERT_EQUAL(reply.n, 0);
	CU_ASSERT_EQUAL(smsr_stats(w.sr)->notifs_bad, 1);

	btw("In the card's own session: processed, the seq handed back for the in-session 3A08, no ES5 send");
	CU_ASSERT_EQUAL(smsr_es5_rx_notification_in_session(w.sr, EID, buf, (size_t)len, &seq), 0);
	CU_ASSERT_EQUAL(seq, 9);
	CU_ASSERT_EQUAL(n_sent, 1);
	CU_ASSERT_EQUAL(reply.n, 1);
	CU_ASSERT_EQUAL(reply.status, ES_STATUS_EXECUTED_SUCCESS);
	CU_ASSERT_EQUAL(n_notifs, 2);
	CU_ASSERT_EQUAL(smsr_stats(w.sr)->confirms_sent, 1);

	btw("Its retry (the 3A08 lost): confirmed again in the session, not processed twice");
	seq = 0;
	CU_ASSERT_EQUAL(smsr_es5_rx_notification_in_session(w.sr, EID, buf, (size_t)len, &seq), 0);
	CU_ASSERT_EQUAL(seq, 9);
	CU_ASSERT_EQUAL(n_notifs, 2);
	CU_ASSERT_EQUAL(smsr_stats(w.sr)->notifs_dup, 1);
	CU_ASSERT_EQUAL(n_sent, 1);

	btw("Malformed, or an EID we do not manage: as by SMS (-EBADMSG, -ENOENT)");
	CU_ASSERT_EQUAL(smsr_es5_rx_notification_in_session(w.sr, EID, buf, 3, &seq), -EBADMSG);
	memset(other, 0x42, sizeof(other));
	n.eid = (struct es5_bytes){ other, 16 };
	len = es5_notification_encode(buf, sizeof(buf), &n, ES5_NOTIF_AID_2F);
	CU_ASSERT_EQUAL(smsr_es5_rx_notification_in_session(w.sr, "42424242424242424242424242424242", buf, (size_t)len,
							    &seq),
			-ENOENT);
	talloc_free(m);
	world_teardown(&w);
}

/* ES3.EnableProfile (the SM-DP's, after a download): the new profile's owner has its own ES4 endpoint and
 * gets ES4 HandleProfileEnabledNotification; the old one's owner has none: ES3 (via the SM-DP). */
void test_smsr_enable_via_es3_notification_routing(void)
{
	struct world w;
	struct es_msg *m;

	world_setup(&w);
	es4_owner = "1.2.3.2";
	m = msg_new(ES_MSG_ES3_ENABLE_PROFILE_REQ);
	m->u.es3_enable_profile_req.eid = (struct es_hex){ eid_bytes, 16 };
	m->u.es3_enable_profile_req.iccid = "8944000000000000020";
	CU_ASSERT_EQUAL(smsr_es_request(w.sr, m, &rep), 0);
	CU_ASSERT_EQUAL_FATAL(n_sent, 1);
	smsr_es5_rx_result(w.sr, sent[0].op, 0, 0x9000, NULL, 0);
	card_sends_notification(w.sr, ES5_NOTIF_PROFILE_CHANGE_SUCCEEDED, 7, aid20, 0);
	CU_ASSERT_EQUAL(reply.id, ES_MSG_ES3_ENABLE_PROFILE_RESP);
	CU_ASSERT_EQUAL(reply.status, ES_STATUS_EXECUTED_SUCCESS);
	CU_ASSERT_EQUAL_FATAL(n_notifs, 2);
	CU_ASSERT_EQUAL(notifs[0].id, ES_MSG_ES4_HANDLE_PROFILE_ENABLED_NOTIF);
	CU_ASSERT_STRING_EQUAL(notifs[0].mno, "1.2.3.2");
	CU_ASSERT_EQUAL(notifs[1].id, ES_MSG_ES3_HANDLE_PROFILE_DISABLED_NOTIF);
	CU_ASSERT_STRING_EQUAL(notifs[1].mno, "1.2.3.1");
	es4_owner = NULL;
	talloc_free(m);
	world_teardown(&w);
}

/* What a restarted SM-SR answers for an operation a crash cut off. */
static struct {
	unsigned int n;
	char reply_to[128], relates_to[128];
	enum es_msg_id id;
	enum es_status status;
	char reason[16];
} stored;

static int respond_stored(void *priv, const char *reply_to, const char *relates_to, enum es_ns_variant ns,
			  struct es_msg *resp)
{
	const struct es_fes *fes = &resp->u.es4_enable_profile_resp.function_execution_status;

	stored.n++;
	snprintf(stored.reply_to, sizeof(stored.reply_to), "%s", reply_to);
	snprintf(stored.relates_to, sizeof(stored.relates_to), "%s", relates_to);
	stored.id = resp->id;
	stored.status = fes->status;
	snprintf(stored.reason, sizeof(stored.reason), "%s",
		 fes->status_code_data.reason ? fes->status_code_data.reason : "");
	return 0;
}

void test_smsr_restart_aborts_cut_operations(void)
{
	struct world w;
	struct es_msg *m;
	struct smsr_pending_row rows[4];
	struct smsr_audit_row a[8];
	size_t n = 0, na = 0;

	world_setup(&w);
	btw("An ES4-EnableProfile is running: its pending row keeps what an answer after a restart needs");
	m = eid_iccid_req(ES_MSG_ES4_ENABLE_PROFILE_REQ, "8944000000000000020");
	m->wsa.reply_to = "https://mno.example/es4";
	m->wsa.message_id = "urn:uuid:enable-1";
	CU_ASSERT_EQUAL(smsr_es_request(w.sr, m, &rep), 0);
	CU_ASSERT_EQUAL_FATAL(smsr_store_pending_list(w.store, rows, 4, &n), 0);
	CU_ASSERT_EQUAL_FATAL(n, 1);
	CU_ASSERT_STRING_EQUAL(rows[0].kind, "ES4-EnableProfile");
	CU_ASSERT_STRING_EQUAL(rows[0].reply_to, "https://mno.example/es4");
	CU_ASSERT_STRING_EQUAL(rows[0].relates_to, "urn:uuid:enable-1");
	btw("The SM-SR is killed (the row stays) and starts again on the same store");
	memset(&stored, 0, sizeof(stored));
	{
		struct smsr *sr2 = smsr_alloc(ctx, w.store,
					      &(struct smsr_cfg){ .smsr_id = "1.2.3.4", .tdefs = test_tdefs },
					      &stub_es5, stub_notify, NULL);
		CU_ASSERT_PTR_NOT_NULL_FATAL(sr2);
		btw("... an EnableProfile is resumed: it waits for the eUICC's notification (X21), no answer yet");
		CU_ASSERT_EQUAL(smsr_abort_pending(sr2, respond_stored, NULL), 1);
		CU_ASSERT_EQUAL(stored.n, 0);
		CU_ASSERT_EQUAL(smsr_num_procs(sr2), 1);
		btw("... and no notification comes within X21: answered Failed to the stored ReplyTo");
		fake_time_passes(61);
		CU_ASSERT_EQUAL(smsr_num_procs(sr2), 0);
		CU_ASSERT_EQUAL(stored.n, 1);
		CU_ASSERT_EQUAL(stored.status, ES_STATUS_FAILED);
		smsr_free(sr2);
	}
	btw("Answered Failed to where the request came from, audited, no longer blocking the eUICC");
	CU_ASSERT_EQUAL(stored.n, 1);
	CU_ASSERT_STRING_EQUAL(stored.reply_to, "https://mno.example/es4");
	CU_ASSERT_STRING_EQUAL(stored.relates_to, "urn:uuid:enable-1");
	CU_ASSERT_EQUAL(stored.id, ES_MSG_ES4_ENABLE_PROFILE_RESP);
	CU_ASSERT_EQUAL(stored.status, ES_STATUS_FAILED);
	CU_ASSERT_EQUAL(smsr_store_pending_list(w.store, rows, 4, &n), 0);
	CU_ASSERT_EQUAL(n, 0);
	CU_ASSERT_EQUAL(smsr_store_audit_list(w.store, EID, a, 8, &na), 0);
	CU_ASSERT_TRUE(na >= 1);
	CU_ASSERT_EQUAL(a[na - 1].op_type, 0x0200);
	CU_ASSERT_EQUAL(a[na - 1].status, ES_STATUS_FAILED);
	btw("Nothing more to answer the next time");
	CU_ASSERT_EQUAL(smsr_abort_pending(w.sr, respond_stored, NULL), 0);
	CU_ASSERT_EQUAL(stored.n, 1);
	/* the first instance, which the test kept alive only to hold the row: its ES5 times out */
	smsr_es5_rx_result(w.sr, sent[0].op, -ETIMEDOUT, 0, NULL, 0);
	talloc_free(m);
	world_teardown(&w);
}

/* SGP.02 §3.4 across a restart: the 3A03 reached the card, the SM-SR was killed before the E1; the new
 * instance resumes the EnableProfile and the card's (retried) E1 completes it: EIS updated, owners
 * notified, Executed-Success to the stored ReplyTo / RelatesTo (not "outcome unknown"). */
void test_smsr_restart_resumes_enable(void)
{
	struct world w;
	struct es_msg *m;
	struct smsr_profile_row p;
	struct smsr *sr2;

	world_setup(&w);
	m = eid_iccid_req(ES_MSG_ES4_ENABLE_PROFILE_REQ, "8944000000000000020");
	m->wsa.reply_to = "https://mno.example/es4";
	m->wsa.message_id = "urn:uuid:enable-2";
	CU_ASSERT_EQUAL(smsr_es_request(w.sr, m, &rep), 0);
	smsr_es5_rx_result(w.sr, sent[0].op, 0, 0x9000, NULL, 0);
	CU_ASSERT_EQUAL(reply.n, 0);
	btw("Killed while waiting for the notification; a new instance on the same store resumes the procedure");
	memset(&stored, 0, sizeof(stored));
	n_notifs = 0;
	sr2 = smsr_alloc(ctx, w.store, &(struct smsr_cfg){ .smsr_id = "1.2.3.4", .tdefs = test_tdefs }, &stub_es5,
			 stub_notify, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(sr2);
	CU_ASSERT_EQUAL(smsr_abort_pending(sr2, respond_stored, NULL), 1);
	CU_ASSERT_EQUAL(smsr_num_procs(sr2), 1);
	CU_ASSERT_EQUAL(stored.n, 0);
	btw("The card's E1 type 02 (retried after the restart) reaches the new instance: the enable completes");
	card_sends_notification(sr2, ES5_NOTIF_PROFILE_CHANGE_SUCCEEDED, 5, aid20, 0);
	CU_ASSERT_EQUAL(smsr_num_procs(sr2), 0);
	CU_ASSERT_EQUAL(stored.n, 1);
	CU_ASSERT_STRING_EQUAL(stored.reply_to, "https://mno.example/es4");
	CU_ASSERT_STRING_EQUAL(stored.relates_to, "urn:uuid:enable-2");
	CU_ASSERT_EQUAL(stored.id, ES_MSG_ES4_ENABLE_PROFILE_RESP);
	CU_ASSERT_EQUAL(stored.status, ES_STATUS_EXECUTED_SUCCESS);
	CU_ASSERT_EQUAL(smsr_store_profile_get(w.store, "8944000000000000020", &p), 0);
	CU_ASSERT_EQUAL(p.state, ES_PROFILE_STATE_ENABLED);
	CU_ASSERT_EQUAL(smsr_store_profile_get(w.store, "8944000000000000010", &p), 0);
	CU_ASSERT_EQUAL(p.state, ES_PROFILE_STATE_DISABLED);
	btw("... the owners are told as without the restart: Enabled to the new one, Disabled to the old one");
	CU_ASSERT_EQUAL(n_notifs, 2);
	CU_ASSERT_EQUAL(notifs[0].id, ES_MSG_ES4_HANDLE_PROFILE_ENABLED_NOTIF);
	CU_ASSERT_EQUAL(notifs[1].id, ES_MSG_ES4_HANDLE_PROFILE_DISABLED_NOTIF);
	smsr_free(sr2);
	/* the first instance, which the test kept alive only to hold the row: its X21 runs out */
	fake_time_passes(61);
	talloc_free(m);
	world_teardown(&w);
}

void test_smsr_enable_profile_error_rows(void)
{
	struct world w;
	struct es_msg *m;
	struct smsr_profile_row p;

	world_setup(&w);
	btw("Unknown ICCID: 8.2.1 / 1.1, nothing sent");
	m = eid_iccid_req(ES_MSG_ES4_ENABLE_PROFILE_REQ, "8944000000000000999");
	CU_ASSERT_EQUAL(smsr_es_request(w.sr, m, &rep), -ENOENT);
	CU_ASSERT_STRING_EQUAL(reply.subject, "8.2.1");
	CU_ASSERT_EQUAL(n_sent, 0);

	btw("Unknown EID: 8.1.1");
	m->u.es4_enable_profile_req.eid = (struct es_hex){ (const uint8_t *)"\x01", 1 };
	CU_ASSERT_EQUAL(smsr_es_request(w.sr, m, &rep), -ENOENT);
	CU_ASSERT_STRING_EQUAL(reply.subject, "8.1.1");

	btw("Enable the already enabled profile: 8.2 / 3.5 (invalid transition)");
	talloc_free(m);
	m = eid_iccid_req(ES_MSG_ES4_ENABLE_PROFILE_REQ, "8944000000000000010");
	CU_ASSERT_EQUAL(smsr_es_request(w.sr, m, &rep), -EINVAL);
	CU_ASSERT_STRING_EQUAL(reply.reason, "3.5");

	btw("POL2 of the enabled profile forbids disabling it: 8.2.3 / 3.8");
	CU_ASSERT_EQUAL(smsr_store_profile_get(w.store, "8944000000000000010", &p), 0);
	p.pol2[0] = ES_POL2_SUBJECT_PROFILE;
	p.pol2[1] = ES_POL2_ACTION_DISABLE;
	p.pol2[2] = ES_POL2_QUAL_NOT_ALLOWED;
	p.pol2_len = 3;
	CU_ASSERT_EQUAL(smsr_store_profile_put(w.store, &p), 0);
	talloc_free(m);
	m = eid_iccid_req(ES_MSG_ES4_ENABLE_PROFILE_REQ, "8944000000000000020");
	CU_ASSERT_EQUAL(smsr_es_request(w.sr, m, &rep), -EPERM);
	CU_ASSERT_STRING_EQUAL(reply.subject, "8.2.3");
	CU_ASSERT_EQUAL(n_sent, 0);
	p.pol2_len = 0;
	CU_ASSERT_EQUAL(smsr_store_profile_put(w.store, &p), 0);

	btw("The ISD-R answers 69E1 (POL1 refuses): Failed 8.2.2, nothing changes");
	CU_ASSERT_EQUAL(smsr_es_request(w.sr, m, &rep), 0);
	btw("... a second request for the same eUICC meanwhile is refused as busy");
	CU_ASSERT_EQUAL(smsr_es_request(w.sr, m, &rep), -EBUSY);
	CU_ASSERT_STRING_EQUAL(reply.reason, "3.3");
	smsr_es5_rx_result(w.sr, sent[0].op, 0, 0x69E1, NULL, 0);
	CU_ASSERT_EQUAL(reply.status, ES_STATUS_FAILED);
	CU_ASSERT_STRING_EQUAL(reply.subject, "8.2.2");
	CU_ASSERT_EQUAL(smsr_store_profile_get(w.store, "8944000000000000020", &p), 0);
	CU_ASSERT_EQUAL(p.state, ES_PROFILE_STATE_DISABLED);

	btw("A late duplicate result for the finished exchange is dropped");
	smsr_es5_rx_result(w.sr, sent[0].op, 0, 0x9000, NULL, 0);
	CU_ASSERT_EQUAL(smsr_stats(w.sr)->es5_unmatched_results, 1);

	btw("No PoR in time (X20): Failed 1.6 / 5.1");
	CU_ASSERT_EQUAL(smsr_es_request(w.sr, m, &rep), 0);
	fake_time_passes(11);
	CU_ASSERT_EQUAL(reply.status, ES_STATUS_FAILED);
	CU_ASSERT_STRING_EQUAL(reply.subject, "1.6");

	btw("PoR fine, but no E1 notification in time (X21): Failed, the eUICC rolled back");
	CU_ASSERT_EQUAL(smsr_es_request(w.sr, m, &rep), 0);
	smsr_es5_rx_result(w.sr, sent[n_sent - 1].op, 0, 0x9000, NULL, 0);
	fake_time_passes(61);
	CU_ASSERT_EQUAL(reply.status, ES_STATUS_FAILED);
	CU_ASSERT_EQUAL(smsr_store_profile_get(w.store, "8944000000000000020", &p), 0);
	CU_ASSERT_EQUAL(p.state, ES_PROFILE_STATE_DISABLED);

	btw("E1 type 03 (failed, rolled back): Failed 8.4, no notification to the owners");
	CU_ASSERT_EQUAL(smsr_es_request(w.sr, m, &rep), 0);
	smsr_es5_rx_result(w.sr, sent[n_sent - 1].op, 0, 0x9000, NULL, 0);
	card_sends_notification(w.sr, ES5_NOTIF_PROFILE_CHANGE_FAILED, 9, aid20, 0);
	CU_ASSERT_EQUAL(reply.status, ES_STATUS_FAILED);
	CU_ASSERT_STRING_EQUAL(reply.subject, "8.4");
	CU_ASSERT_EQUAL(n_notifs, 0);

	btw("E1 type 02 naming another ISD-P than the one enabled: Failed");
	CU_ASSERT_EQUAL(smsr_es_request(w.sr, m, &rep), 0);
	card_sends_notification(w.sr, ES5_NOTIF_PROFILE_CHANGE_SUCCEEDED, 10, aid10, 0);
	CU_ASSERT_EQUAL(reply.status, ES_STATUS_FAILED);

	btw("The ES5 transport cannot send at all: Failed 1.6 immediately");
	es5_send_rc = -ENOTCONN;
	CU_ASSERT_EQUAL(smsr_es_request(w.sr, m, &rep), 0);
	CU_ASSERT_EQUAL(reply.status, ES_STATUS_FAILED);
	CU_ASSERT_STRING_EQUAL(reply.subject, "1.6");
	es5_send_rc = 0;
	talloc_free(m);
	world_teardown(&w);
}

/* ---- Disable, Delete, CreateISDP ----------------------------------------------------------------- */

void test_smsr_disable_and_delete(void)
{
	struct world w;
	struct es_msg *m;
	struct smsr_profile_row p;

	world_setup(&w);
	btw("ES3-DisableProfile of the enabled profile: 3A04, PoR 9000, Disabled");
	m = eid_iccid_req(ES_MSG_ES3_DISABLE_PROFILE_REQ, "8944000000000000010");
	CU_ASSERT_EQUAL(smsr_es_request(w.sr, m, &rep), 0);
	CU_ASSERT_TRUE(script_contains(&sent[0], "3A04124F10"));
	smsr_es5_rx_result(w.sr, sent[0].op, 0, 0x9000, NULL, 0);
	CU_ASSERT_EQUAL(reply.status, ES_STATUS_EXECUTED_SUCCESS);
	CU_ASSERT_EQUAL(smsr_store_profile_get(w.store, "8944000000000000010", &p), 0);
	CU_ASSERT_EQUAL(p.state, ES_PROFILE_STATE_DISABLED);
	btw("Disable again: invalid transition");
	CU_ASSERT_EQUAL(smsr_es_request(w.sr, m, &rep), -EINVAL);
	talloc_free(m);

	btw("ES4-DeleteProfile: DELETE 80E40040 { 4F AID }, PoR 9000, the profile is gone");
	m = eid_iccid_req(ES_MSG_ES4_DELETE_PROFILE_REQ, "8944000000000000020");
	CU_ASSERT_EQUAL(smsr_es_request(w.sr, m, &rep), 0);
	CU_ASSERT_TRUE(script_contains(&sent[1], "80E4004012"));
	smsr_es5_rx_result(w.sr, sent[1].op, 0, 0x9000, NULL, 0);
	CU_ASSERT_EQUAL(reply.status, ES_STATUS_EXECUTED_SUCCESS);
	CU_ASSERT_EQUAL(smsr_store_profile_get(w.store, "8944000000000000020", &p), -ENOENT);
	talloc_free(m);

	btw("Deleting the enabled profile is refused");
	CU_ASSERT_EQUAL(smsr_store_profile_set_state(w.store, "8944000000000000010", ES_PROFILE_STATE_ENABLED), 0);
	m = eid_iccid_req(ES_MSG_ES3_DELETE_ISDP_REQ, "8944000000000000010");
	CU_ASSERT_EQUAL(smsr_es_request(w.sr, m, &rep), -EINVAL);
	CU_ASSERT_EQUAL(n_sent, 2);
	talloc_free(m);
	world_teardown(&w);
}

void test_smsr_create_isdp(void)
{
	struct world w;
	struct es_msg *m;
	struct smsr_profile_row p;
	static const uint8_t want_aid[16] = { 0xA0, 0x00, 0x00, 0x05, 0x59, 0x10, 0x10, 0xFF,
					      0xFF, 0xFF, 0xFF, 0x89, 0x00, 0x00, 0x11, 0x00 };

	world_setup(&w);
	btw("ES3-CreateISDP: the SM-SR picks TAR 000011 (000010 is taken) and sends INSTALL 80E60C00");
	m = msg_new(ES_MSG_ES3_CREATE_ISDP_REQ);
	m->u.es3_create_isdp_req.eid = (struct es_hex){ eid_bytes, 16 };
	m->u.es3_create_isdp_req.iccid = "8944000000000000030";
	m->u.es3_create_isdp_req.required_memory = (struct es_int){ true, 1024 };
	CU_ASSERT_EQUAL(smsr_es_request(w.sr, m, &rep), 0);
	CU_ASSERT_TRUE(script_contains(&sent[0], "80E60C00"));
	CU_ASSERT_TRUE(script_contains(&sent[0], "10A0000005591010FFFFFFFF8900001100"));
	btw("... the profile is reserved 'in creation' and is not in GetEIS yet");
	CU_ASSERT_EQUAL(smsr_store_profile_get(w.store, "8944000000000000030", &p), 0);
	CU_ASSERT_EQUAL(p.state, 0);
	smsr_es5_rx_result(w.sr, sent[0].op, 0, 0x9000, NULL, 0);
	CU_ASSERT_EQUAL(reply.id, ES_MSG_ES3_CREATE_ISDP_RESP);
	CU_ASSERT_EQUAL(reply.status, ES_STATUS_EXECUTED_SUCCESS);
	TEST_ASSERT_MEM_EQ(reply.aid, reply.aid_len, want_aid, 16);
	CU_ASSERT_EQUAL(smsr_store_profile_get(w.store, "8944000000000000030", &p), 0);
	CU_ASSERT_EQUAL(p.state, ES_PROFILE_STATE_CREATED);

	btw("The same ICCID again: refused 8.2.1 / 3.3");
	CU_ASSERT_EQUAL(smsr_es_request(w.sr, m, &rep), -EEXIST);
	CU_ASSERT_STRING_EQUAL(reply.subject, "8.2.1");

	btw("Card out of memory (6A84): Failed 8.4, the reservation is removed (no orphan)");
	m->u.es3_create_isdp_req.iccid = "8944000000000000040";
	CU_ASSERT_EQUAL(smsr_es_request(w.sr, m, &rep), 0);
	smsr_es5_rx_result(w.sr, sent[1].op, 0, 0x6A84, NULL, 0);
	CU_ASSERT_EQUAL(reply.status, ES_STATUS_FAILED);
	CU_ASSERT_EQUAL(smsr_store_profile_get(w.store, "8944000000000000040", &p), -ENOENT);

	btw("No answer in time: Failed, the reservation is removed too");
	CU_ASSERT_EQUAL(smsr_es_request(w.sr, m, &rep), 0);
	fake_time_passes(11);
	CU_ASSERT_EQUAL(reply.status, ES_STATUS_FAILED);
	CU_ASSERT_EQUAL(smsr_store_profile_get(w.store, "8944000000000000040", &p), -ENOENT);
	talloc_free(m);
	world_teardown(&w);
}

/* ---- malformed input ------------------------------------------------------------------------------- */

void test_smsr_malformed_input_changes_nothing(void)
{
	struct world w;
	struct smsr_eis_row before, after;
	static const uint8_t junk[][8] = {
		{ 0xE1, 0x03, 0x4C, 0x01, 0x00 }, /* EID not 16 bytes */
		{ 0xE1, 0x7F },			  /* truncated */
		{ 0x30, 0x00 },			  /* not E1 */
	};
	struct es_msg *m;

	world_setup(&w);
	CU_ASSERT_EQUAL(smsr_store_eis_get(w.store, EID, &before), 0);
	for (size_t i = 0; i < ARRAY_SIZE(junk); i++)
		CU_ASSERT_EQUAL(smsr_es5_rx_notification(w.sr, junk[i], 5), -EBADMSG);
	CU_ASSERT_EQUAL(smsr_es5_rx_notification(w.sr, junk[0], 0), -EBADMSG);
	btw("A notification for an EID we do not manage is dropped");
	{
		uint8_t other[16];
		struct es5_notification n = { .eid = { other, 16 }, .type = 2, .seq = 1 };
		uint8_t buf[64];
		int len;

		memset(other, 0x42, sizeof(other));
		len = es5_notification_encode(buf, sizeof(buf), &n, ES5_NOTIF_AID_4F);
		CU_ASSERT_EQUAL(smsr_es5_rx_notification(w.sr, buf, (size_t)len), -ENOENT);
	}
	CU_ASSERT_EQUAL(smsr_store_eis_get(w.store, EID, &after), 0);
	CU_ASSERT_EQUAL(before.last_notif_seq, after.last_notif_seq);
	CU_ASSERT_EQUAL(n_sent, 0);
	CU_ASSERT_EQUAL(smsr_stats(w.sr)->notifs_bad, 5);

	btw("A function the SM-SR does not provide gets Failed 1.6 / 3.1");
	m = msg_new(ES_MSG_ES3_UPDATE_CONNECTIVITY_PARAMETERS_REQ);
	CU_ASSERT_EQUAL(smsr_es_request(w.sr, m, &rep), -ENOTSUP);
	CU_ASSERT_STRING_EQUAL(reply.reason, "3.1");
	talloc_free(m);
	world_teardown(&w);
}

void test_smsr_shutdown_answers_pending(void)
{
	struct world w;
	struct es_msg *m;

	world_setup(&w);
	m = eid_iccid_req(ES_MSG_ES4_ENABLE_PROFILE_REQ, "8944000000000000020");
	CU_ASSERT_EQUAL(smsr_es_request(w.sr, m, &rep), 0);
	CU_ASSERT_EQUAL(reply.n, 0);
	btw("The SM-SR shuts down with a procedure pending: the requester still gets an answer");
	smsr_free(w.sr);
	CU_ASSERT_EQUAL(reply.n, 1);
	CU_ASSERT_EQUAL(reply.status, ES_STATUS_FAILED);
	smsr_store_close(w.store);
	talloc_free(m);
}
