/* The SM-SR's ES3 download functions, narrative style with a stub relay transport: SendData relays a
 * script to the ISD-P and returns the eUICC's response script; ProfileDownloadCompleted,
 * UpdatePolicyRules, UpdateSubscriptionAddress change the EIS; AuditEIS sends GET STATUS and brings
 * the EIS in line; UpdateConnectivityParameters relays to the ISD-P. Every error row, and that a refused
 * request changes nothing. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <osmocom/core/application.h>
#include <osmocom/core/logging.h>
#include <osmocom/core/timer.h>
#include <osmocom/core/utils.h>
#include <talloc.h>

#include "lib/rscript/rscript.h"
#include "lib/test/runner.h"
#include "network/smsr/smsr_es3.h"
#include "network/smsr/smsr_log.h"

static void *ctx;

#define btw(fmt, args...) fprintf(stderr, "\n--- " fmt "\n", ##args)

/* ---- stubs ---------------------------------------------------------------------------------------- */

static struct {
	unsigned int n;
	char eid[SMSR_EID_HEX_MAX];
	uint32_t op;
	uint8_t aid[16];
	size_t aid_len;
	uint8_t script[512];
	size_t len;
	bool more;
	int rc; /* what send() returns */
} relay;

static int stub_send(void *tp, const char *eid, uint32_t op, const uint8_t *aid, size_t aid_len, const uint8_t *script,
		     size_t len, bool more)
{
	if (relay.rc)
		return relay.rc;
	relay.n++;
	snprintf(relay.eid, sizeof(relay.eid), "%s", eid);
	relay.op = op;
	relay.aid_len = aid_len <= sizeof(relay.aid) ? aid_len : 0;
	memcpy(relay.aid, aid, relay.aid_len);
	relay.len = len <= sizeof(relay.script) ? len : 0;
	memcpy(relay.script, script, relay.len);
	relay.more = more;
	return 0;
}

static const struct smsr_relay_ops stub_ops = { .send = stub_send };

static struct {
	unsigned int n;
	enum es_msg_id id;
	enum es_status status;
	char subject[16], reason[16];
	uint8_t data[512];
	size_t data_len;
	unsigned int n_profiles;
	char states[8];
} reply;

static void stub_respond(void *handle, struct es_msg *resp)
{
	const struct es_fes *fes = &resp->u.es1_register_eis_resp.function_execution_status;
	const struct es_hex *d = NULL;

	reply.n++;
	reply.id = resp->id;
	reply.status = fes->status;
	snprintf(reply.subject, sizeof(reply.subject), "%s", fes->status_code_data.subject ?: "");
	snprintf(reply.reason, sizeof(reply.reason), "%s", fes->status_code_data.reason ?: "");
	if (resp->id == ES_MSG_ES3_SEND_DATA_RESP)
		d = &resp->u.es3_send_data_resp.euicc_response_data;
	if (resp->id == ES_MSG_ES3_UPDATE_CONNECTIVITY_PARAMETERS_RESP)
		d = &resp->u.es3_update_connectivity_parameters_resp.euicc_response_data;
	reply.data_len = d && d->data && d->len <= sizeof(reply.data) ? d->len : 0;
	if (reply.data_len)
		memcpy(reply.data, d->data, d->len);
	if (resp->id == ES_MSG_ES3_AUDIT_EIS_RESP || resp->id == ES_MSG_ES4_AUDIT_EIS_RESP) {
		const struct es_eis *e = resp->id == ES_MSG_ES3_AUDIT_EIS_RESP ? &resp->u.es3_audit_eis_resp.eis
									       : &resp->u.es4_audit_eis_resp.eis;

		reply.n_profiles = e->n_profile_info;
		for (unsigned int i = 0; i < e->n_profile_info && i < sizeof(reply.states) - 1; i++)
			reply.states[i] = "?CDE"[e->profile_info[i].state & 3];
		reply.states[e->n_profile_info < 7 ? e->n_profile_info : 7] = 0;
	}
}

static struct smsr_reply rep_dp = { .respond = stub_respond, .requester = "1.2.3.9" };	/* the SM-DP */
static struct smsr_reply rep_mno = { .respond = stub_respond, .requester = "1.2.3.1" }; /* MNO 1 */

static struct osmo_tdef test_tdefs[] = { { .T = SMSR_T_RELAY, .default_val = 30, .unit = OSMO_TDEF_S, .desc = "relay" },
					 {} };

static void fake_time_passes(unsigned int secs)
{
	osmo_gettimeofday_override_time.tv_sec += secs;
	osmo_timers_prepare();
	osmo_timers_update();
}

int suite_setup(void)
{
	ctx = talloc_named_const(NULL, 0, "smsr_es3_test");
	osmo_init_logging2(ctx, &smsr_log_info);
	log_set_print_filename2(osmo_stderr_target, LOG_FILENAME_NONE);
	log_set_print_category_hex(osmo_stderr_target, 0);
	log_set_use_color(osmo_stderr_target, 0);
	log_set_print_timestamp(osmo_stderr_target, 0);
	log_set_log_level(osmo_stderr_target, LOGL_INFO);
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

/* ---- fixture ---------------------------------------------------------------------------------------- */

static const char *EID = "89001012012341234012345678901224";
static uint8_t eid_bytes[16];
static const uint8_t isdr[16] = { 0xA0, 0x00, 0x00, 0x05, 0x59, 0x10, 0x10, 0xFF,
				  0xFF, 0xFF, 0xFF, 0x89, 0x00, 0x00, 0x01, 0x00 };
static const uint8_t aid10[16] = { 0xA0, 0x00, 0x00, 0x05, 0x59, 0x10, 0x10, 0xFF,
				   0xFF, 0xFF, 0xFF, 0x89, 0x00, 0x00, 0x10, 0x00 };
static const uint8_t aid11[16] = { 0xA0, 0x00, 0x00, 0x05, 0x59, 0x10, 0x10, 0xFF,
				   0xFF, 0xFF, 0xFF, 0x89, 0x00, 0x00, 0x11, 0x00 };
#define ICCID_ON  "8944000000000000010" /* enabled, MNO 1 */
#define ICCID_NEW "8944000000000000011" /* Created by CreateISDP of SM-DP 1.2.3.9 for MNO 1 */

struct world {
	struct smsr_store *store;
	struct smsr *sr;
	struct smsr_es3 *e;
};

static int no_es5(struct smsr *sr, const char *eid, uint32_t op, const uint8_t *s, size_t len, void *priv)
{
	return -ENOTCONN;
}

static void profile(struct world *w, const char *iccid, const uint8_t *aid, enum es_profile_state st, const char *smdp)
{
	struct smsr_profile_row p = { .state = st, .isdp_aid_len = 16 };

	snprintf(p.eid, sizeof(p.eid), "%s", EID);
	snprintf(p.iccid, sizeof(p.iccid), "%s", iccid);
	memcpy(p.isdp_aid, aid, 16);
	snprintf(p.mno_id, sizeof(p.mno_id), "1.2.3.1");
	snprintf(p.smdp_id, sizeof(p.smdp_id), "%s", smdp);
	snprintf(p.msisdn, sizeof(p.msisdn), "%s", st == ES_PROFILE_STATE_ENABLED ? "491710000001" : "");
	CU_ASSERT_EQUAL_FATAL(smsr_store_profile_put(w->store, &p), 0);
}

static void world_setup(struct world *w)
{
	char err[128];
	struct smsr_eis_row row = { .state = SMSR_EIS_ACTIVE, .last_notif_seq = -1 };

	memset(&reply, 0, sizeof(reply));
	memset(&relay, 0, sizeof(relay));
	osmo_hexparse(EID, eid_bytes, sizeof(eid_bytes));
	w->store = smsr_store_open(ctx, ":memory:", err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(w->store);
	w->sr = smsr_alloc(ctx, w->store,
			   &(struct smsr_cfg){ .smsr_id = "1.2.3.4",
					       .eis_sig = SMSR_EIS_SIG_NONE /* unsigned example EIS */ },
			   &(struct smsr_es5_ops){ .send_script = no_es5 }, NULL, NULL);
	w->e = smsr_es3_alloc(ctx, w->sr, w->store, &(struct smsr_es3_cfg){ .tdefs = test_tdefs }, &stub_ops, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(w->e);
	/* the EIS as RegisterEIS leaves it (the blob is what GetEIS decodes: take a real one) */
	snprintf(row.eid, sizeof(row.eid), "%s", EID);
	snprintf(row.eum_id, sizeof(row.eum_id), "1.2.3.5");
	snprintf(row.smsr_id, sizeof(row.smsr_id), "1.2.3.4");
	snprintf(row.msisdn, sizeof(row.msisdn), "491710000001");
	{
		struct es_msg *m = talloc_zero(ctx, struct es_msg);
		uint8_t *blob = talloc_size(m, SOAP_MAX_INPUT_DEFAULT);
		int n;

		es_example_fill(m, ES_MSG_ES1_REGISTER_EIS_REQ);
		m->u.es1_register_eis_req.eis.n_profile_info = 0;
		n = es_msg_encode(blob, SOAP_MAX_INPUT_DEFAULT, m, NULL);
		CU_ASSERT_FATAL(n > 0);
		CU_ASSERT_EQUAL_FATAL(smsr_store_eis_insert(w->store, &row, &m->u.es1_register_eis_req.eis, blob,
							    (size_t)n, NULL, 0),
				      0);
		talloc_free(m);
	}
	profile(w, ICCID_ON, aid10, ES_PROFILE_STATE_ENABLED, "");
	profile(w, ICCID_NEW, aid11, ES_PROFILE_STATE_CREATED, "1.2.3.9");
}

static void world_teardown(struct world *w)
{
	CU_ASSERT_EQUAL(smsr_es3_num_procs(w->e), 0);
	smsr_es3_free(w->e);
	smsr_free(w->sr);
	smsr_store_close(w->store);
}

static struct es_msg *msg_new(enum es_msg_id id)
{
	struct es_msg *m = talloc_zero(ctx, struct es_msg);

	es_example_fill(m, id);
	return m;
}

static struct es_msg *send_data_req(const uint8_t *aid, const char *data_hex, bool more)
{
	struct es_msg *m = msg_new(ES_MSG_ES3_SEND_DATA_REQ);
	uint8_t *d = talloc_size(m, 256);
	int n = osmo_hexparse(data_hex, d, 256);

	m->u.es3_send_data_req.eid = (struct es_hex){ eid_bytes, 16 };
	m->u.es3_send_data_req.sd_aid = (struct es_hex){ aid, 16 };
	m->u.es3_send_data_req.data = (struct es_hex){ d, n > 0 ? (size_t)n : 0 };
	m->u.es3_send_data_req.more_to_do = (struct es_bool){ true, more };
	return m;
}

static void assert_failed(const char *subject, const char *reason)
{
	CU_ASSERT_EQUAL(reply.status, ES_STATUS_FAILED);
	CU_ASSERT_STRING_EQUAL(reply.subject, subject);
	CU_ASSERT_STRING_EQUAL(reply.reason, reason);
}

/* SCP03t 84+85 and its answer (digest §3.3 steps 13/14), shortened */
#define SCRIPT_SCP03T "AA0E8403010203850700330102030405"
#define RESPONSE_AF   "AF80840300112285010000"

/* ---- SendData ------------------------------------------------------------------------------------------ */

void test_es3_send_data_relay(void)
{
	struct world w;
	struct es_msg *m;
	uint8_t rsp[64];
	int n;

	world_setup(&w);
	btw("The SM-DP sends SCP03t 84/85 to the new ISD-P with MoreToDo: the script goes to ES5 as it is");
	m = send_data_req(aid11, SCRIPT_SCP03T, true);
	CU_ASSERT_EQUAL(smsr_es3_request(w.e, m, &rep_dp), 0);
	CU_ASSERT_EQUAL(reply.n, 0);
	CU_ASSERT_EQUAL(relay.n, 1);
	CU_ASSERT_STRING_EQUAL(relay.eid, EID);
	TEST_ASSERT_MEM_EQ(relay.aid, relay.aid_len, aid11, 16);
	TEST_ASSERT_HEX_EQ(relay.script, relay.len, SCRIPT_SCP03T);
	CU_ASSERT(relay.more);
	CU_ASSERT(smsr_es3_owns_op(relay.op));

	btw("A second SendData for the same eUICC while the first runs: Failed 8.1 / 3.3");
	CU_ASSERT_EQUAL(smsr_es3_request(w.e, m, &rep_dp), -EBUSY);
	assert_failed("8.1", "3.3");
	CU_ASSERT_EQUAL(relay.n, 1);
	reply.n = 0;

	btw("The eUICC's response script comes back: Executed-Success with it as EuiccResponseData");
	n = osmo_hexparse(RESPONSE_AF, rsp, sizeof(rsp));
	smsr_es3_rx_result(w.e, relay.op, 0, rsp, (size_t)n);
	CU_ASSERT_EQUAL(reply.n, 1);
	CU_ASSERT_EQUAL(reply.id, ES_MSG_ES3_SEND_DATA_RESP);
	CU_ASSERT_EQUAL(reply.status, ES_STATUS_EXECUTED_SUCCESS);
	TEST_ASSERT_HEX_EQ(reply.data, reply.data_len, RESPONSE_AF);

	btw("The same result again (a duplicate from the transport) changes nothing");
	smsr_es3_rx_result(w.e, relay.op, 0, rsp, (size_t)n);
	CU_ASSERT_EQUAL(reply.n, 1);
	CU_ASSERT_EQUAL(smsr_es3_stats(w.e)->unmatched_results, 1);

	btw("SendData to the ISD-R (key establishment, the default target) without MoreToDo");
	talloc_free(m);
	m = send_data_req(isdr, "AA06220480E20900", false);
	CU_ASSERT_EQUAL(smsr_es3_request(w.e, m, &rep_dp), 0);
	TEST_ASSERT_MEM_EQ(relay.aid, relay.aid_len, isdr, 16);
	CU_ASSERT(!relay.more);

	btw("... the card answers but refuses (PoR error): Failed 8.4 / 4.2");
	smsr_es3_rx_result(w.e, relay.op, -EPROTO, NULL, 0);
	assert_failed("8.4", "4.2");
	CU_ASSERT_EQUAL(reply.data_len, 0);

	btw("... no answer within X22: Failed 1.6 / 5.1, a late result is dropped");
	CU_ASSERT_EQUAL(smsr_es3_request(w.e, m, &rep_dp), 0);
	reply.n = 0;
	fake_time_passes(31);
	CU_ASSERT_EQUAL(reply.n, 1);
	assert_failed("1.6", "5.1");
	CU_ASSERT_EQUAL(smsr_es3_stats(w.e)->relay_expired, 1);
	smsr_es3_rx_result(w.e, relay.op, 0, rsp, (size_t)n);
	CU_ASSERT_EQUAL(reply.n, 1);

	btw("... the transport cannot send at all: Failed 1.6 / 5.1 at once");
	relay.rc = -EHOSTUNREACH;
	CU_ASSERT_EQUAL(smsr_es3_request(w.e, m, &rep_dp), 0);
	assert_failed("1.6", "5.1");
	relay.rc = 0;
	talloc_free(m);
	world_teardown(&w);
}

void test_es3_send_data_errors(void)
{
	struct world w;
	struct es_msg *m;
	static const uint8_t other[16] = { 0xA0, 0x00, 0x00, 0x05, 0x59, 0x10, 0x10, 0xFF,
					   0xFF, 0xFF, 0xFF, 0x89, 0x00, 0x00, 0x77, 0x00 };

	world_setup(&w);
	btw("Unknown EID: Failed 8.1.1 / 1.1");
	m = send_data_req(aid11, SCRIPT_SCP03T, true);
	m->u.es3_send_data_req.eid = (struct es_hex){ (const uint8_t *)"\x89\x01", 2 };
	CU_ASSERT_EQUAL(smsr_es3_request(w.e, m, &rep_dp), -ENOENT);
	assert_failed("8.1.1", "1.1");
	talloc_free(m);

	btw("An Sd-aid that is no ISD-P of this eUICC: Failed 8.2 / 1.1");
	m = send_data_req(other, SCRIPT_SCP03T, true);
	CU_ASSERT_EQUAL(smsr_es3_request(w.e, m, &rep_dp), -ENOENT);
	assert_failed("8.2", "1.1");
	talloc_free(m);

	btw("Data that is no command script (a bare APDU, a truncated template): Failed 1.6 / 2.1");
	m = send_data_req(aid11, "80E2880000", true);
	CU_ASSERT_EQUAL(smsr_es3_request(w.e, m, &rep_dp), -EBADMSG);
	assert_failed("1.6", "2.1");
	talloc_free(m);
	m = send_data_req(aid11, "AA0E8403010203", true);
	CU_ASSERT_EQUAL(smsr_es3_request(w.e, m, &rep_dp), -EBADMSG);
	talloc_free(m);
	m = send_data_req(aid11, "", true);
	CU_ASSERT_EQUAL(smsr_es3_request(w.e, m, &rep_dp), -EBADMSG);
	CU_ASSERT_EQUAL(relay.n, 0);
	talloc_free(m);
	world_teardown(&w);
}

/* ---- ProfileDownloadCompleted, UpdatePolicyRules, UpdateSubscriptionAddress -------------------------- */

void test_es3_download_completed(void)
{
	struct world w;
	struct es_msg *m;
	struct smsr_profile_row p;
	struct es3_profile_download_completed_req *q;

	world_setup(&w);
	m = msg_new(ES_MSG_ES3_PROFILE_DOWNLOAD_COMPLETED_REQ);
	q = &m->u.es3_profile_download_completed_req;
	q->eid = (struct es_hex){ eid_bytes, 16 };
	q->iccid = ICCID_NEW;
	q->subscription_address = (struct es_subscription_address){ true, "001010000000011", "491710000011" };
	q->pol2.present = true;
	q->pol2.n_rule = 1;
	q->pol2.rule[0] = (struct es_pol2_rule){ true, ES_POL2_SUBJECT_PROFILE, ES_POL2_ACTION_DISABLE,
						 ES_POL2_QUAL_NOT_ALLOWED };

	btw("Another SM-DP than the creator: Failed 8.2.1 / 1.2, nothing changes");
	CU_ASSERT_EQUAL(smsr_es3_request(w.e, m,
					 &(struct smsr_reply){ .respond = stub_respond, .requester = "1.2.3.8" }),
			-EPERM);
	assert_failed("8.2.1", "1.2");
	CU_ASSERT_EQUAL(smsr_store_profile_get(w.store, ICCID_NEW, &p), 0);
	CU_ASSERT_EQUAL(p.state, ES_PROFILE_STATE_CREATED);

	btw("A malformed IMSI: Failed 8.2.6 / 2.1, nothing changes");
	q->subscription_address.imsi = "00101x";
	CU_ASSERT_EQUAL(smsr_es3_request(w.e, m, &rep_dp), -EINVAL);
	assert_failed("8.2.6", "2.1");
	CU_ASSERT_EQUAL(smsr_store_profile_get(w.store, ICCID_NEW, &p), 0);
	CU_ASSERT_STRING_EQUAL(p.imsi, "");
	q->subscription_address.imsi = "001010000000011";

	btw("The creating SM-DP completes: Disabled, address, POL2, Smdp-id; Mno-id from CreateISDP");
	CU_ASSERT_EQUAL(smsr_es3_request(w.e, m, &rep_dp), 0);
	CU_ASSERT_EQUAL(reply.id, ES_MSG_ES3_PROFILE_DOWNLOAD_COMPLETED_RESP);
	CU_ASSERT_EQUAL(reply.status, ES_STATUS_EXECUTED_SUCCESS);
	CU_ASSERT_EQUAL(smsr_store_profile_get(w.store, ICCID_NEW, &p), 0);
	CU_ASSERT_EQUAL(p.state, ES_PROFILE_STATE_DISABLED);
	CU_ASSERT_STRING_EQUAL(p.imsi, "001010000000011");
	CU_ASSERT_STRING_EQUAL(p.msisdn, "491710000011");
	CU_ASSERT_STRING_EQUAL(p.smdp_id, "1.2.3.9");
	CU_ASSERT_STRING_EQUAL(p.mno_id, "1.2.3.1");
	TEST_ASSERT_HEX_EQ(p.pol2, p.pol2_len, "010201");

	btw("Twice: Failed 8.2 / 3.5 (no longer Created)");
	CU_ASSERT_EQUAL(smsr_es3_request(w.e, m, &rep_dp), -EINVAL);
	assert_failed("8.2", "3.5");

	btw("Unknown ICCID: Failed 8.2.1 / 1.1");
	q->iccid = "8944000000000000099";
	CU_ASSERT_EQUAL(smsr_es3_request(w.e, m, &rep_dp), -ENOENT);
	assert_failed("8.2.1", "1.1");
	talloc_free(m);
	world_teardown(&w);
}

void test_es3_update_policy_and_address(void)
{
	struct world w;
	struct es_msg *m;
	struct smsr_profile_row p;
	struct smsr_eis_row row;

	world_setup(&w);
	btw("ES4 UpdatePolicyRules from an MNO that does not own the profile: Failed 8.2.1 / 1.2");
	m = msg_new(ES_MSG_ES4_UPDATE_POLICY_RULES_REQ);
	m->u.es4_update_policy_rules_req.eid = (struct es_hex){ eid_bytes, 16 };
	m->u.es4_update_policy_rules_req.iccid = ICCID_ON;
	m->u.es4_update_policy_rules_req.pol2 = (struct es_pol2){ .present = true, .n_rule = 1 };
	m->u.es4_update_policy_rules_req.pol2.rule[0] =
		(struct es_pol2_rule){ true, ES_POL2_SUBJECT_PROFILE, ES_POL2_ACTION_DELETE, ES_POL2_QUAL_NOT_ALLOWED };
	CU_ASSERT_EQUAL(smsr_es3_request(w.e, m, &rep_dp), -EPERM);
	assert_failed("8.2.1", "1.2");

	btw("... from the owner: stored");
	CU_ASSERT_EQUAL(smsr_es3_request(w.e, m, &rep_mno), 0);
	CU_ASSERT_EQUAL(reply.status, ES_STATUS_EXECUTED_SUCCESS);
	CU_ASSERT_EQUAL(smsr_store_profile_get(w.store, ICCID_ON, &p), 0);
	TEST_ASSERT_HEX_EQ(p.pol2, p.pol2_len, "010301");

	btw("... a rule without a qualification: Failed 8.2.3 / 2.1, the stored POL2 stays");
	m->u.es4_update_policy_rules_req.pol2.rule[0].qualification = 0;
	CU_ASSERT_EQUAL(smsr_es3_request(w.e, m, &rep_mno), -EINVAL);
	assert_failed("8.2.3", "2.1");
	CU_ASSERT_EQUAL(smsr_store_profile_get(w.store, ICCID_ON, &p), 0);
	CU_ASSERT_EQUAL(p.pol2_len, 3);
	talloc_free(m);

	btw("ES3 UpdatePolicyRules without pol2: the rules are cleared");
	m = msg_new(ES_MSG_ES3_UPDATE_POLICY_RULES_REQ);
	m->u.es3_update_policy_rules_req.eid = (struct es_hex){ eid_bytes, 16 };
	m->u.es3_update_policy_rules_req.iccid = ICCID_ON;
	m->u.es3_update_policy_rules_req.pol2.present = false;
	CU_ASSERT_EQUAL(smsr_es3_request(w.e, m, &rep_dp), 0);
	CU_ASSERT_EQUAL(smsr_store_profile_get(w.store, ICCID_ON, &p), 0);
	CU_ASSERT_EQUAL(p.pol2_len, 0);
	talloc_free(m);

	btw("ES4 UpdateSubscriptionAddress of the enabled profile: the ES5 SMS address follows");
	m = msg_new(ES_MSG_ES4_UPDATE_SUBSCRIPTION_ADDRESS_REQ);
	m->u.es4_update_subscription_address_req.eid = (struct es_hex){ eid_bytes, 16 };
	m->u.es4_update_subscription_address_req.iccid = ICCID_ON;
	m->u.es4_update_subscription_address_req.new_subscription_address =
		(struct es_subscription_address){ true, NULL, "+491719999999" };
	CU_ASSERT_EQUAL(smsr_es3_request(w.e, m, &rep_mno), 0);
	CU_ASSERT_EQUAL(reply.status, ES_STATUS_EXECUTED_SUCCESS);
	CU_ASSERT_EQUAL(smsr_store_eis_get(w.store, EID, &row), 0);
	CU_ASSERT_STRING_EQUAL(row.msisdn, "+491719999999");
	CU_ASSERT_EQUAL(smsr_store_profile_get(w.store, ICCID_ON, &p), 0);
	CU_ASSERT_STRING_EQUAL(p.msisdn, "+491719999999");

	btw("... an empty address or a 16-digit MSISDN: Failed 8.2.6 / 2.1, nothing changes");
	m->u.es4_update_subscription_address_req.new_subscription_address.msisdn = NULL;
	CU_ASSERT_EQUAL(smsr_es3_request(w.e, m, &rep_mno), -EINVAL);
	assert_failed("8.2.6", "2.1");
	m->u.es4_update_subscription_address_req.new_subscription_address.msisdn = "4917199999999999";
	CU_ASSERT_EQUAL(smsr_es3_request(w.e, m, &rep_mno), -EINVAL);
	CU_ASSERT_EQUAL(smsr_store_eis_get(w.store, EID, &row), 0);
	CU_ASSERT_STRING_EQUAL(row.msisdn, "+491719999999");

	btw("... of a disabled profile (ES3): the profile only, the eUICC's SMS address stays");
	m->id = ES_MSG_ES3_UPDATE_SUBSCRIPTION_ADDRESS_REQ;
	m->u.es4_update_subscription_address_req.iccid = ICCID_NEW;
	m->u.es4_update_subscription_address_req.new_subscription_address.msisdn = "491710000077";
	CU_ASSERT_EQUAL(smsr_es3_request(w.e, m, &rep_dp), 0);
	CU_ASSERT_EQUAL(smsr_store_eis_get(w.store, EID, &row), 0);
	CU_ASSERT_STRING_EQUAL(row.msisdn, "+491719999999");
	talloc_free(m);
	world_teardown(&w);
}

/* ---- AuditEIS ------------------------------------------------------------------------------------------ */

/* The GET STATUS answer: E3 records (aid, LCS), as the response script AB. */
static size_t get_status_answer(uint8_t *out, size_t cap, const uint8_t *aid_a, uint8_t lcs_a, const uint8_t *aid_b,
				uint8_t lcs_b, uint16_t sw)
{
	uint8_t data[64];
	size_t n = 0;
	struct rscript_builder b;
	const uint8_t *aids[2] = { aid_a, aid_b };
	uint8_t lcs[2] = { lcs_a, lcs_b };

	for (int i = 0; i < 2; i++) {
		if (!aids[i])
			continue;
		data[n++] = 0xE3;
		data[n++] = 22;
		data[n++] = 0x4F;
		data[n++] = 16;
		memcpy(data + n, aids[i], 16);
		n += 16;
		data[n++] = 0x9F;
		data[n++] = 0x70;
		data[n++] = 1;
		data[n++] = lcs[i];
	}
	rscript_rsp_begin(&b, out, cap, RSCRIPT_DEFINITE);
	rscript_rsp_add_count(&b, 1);
	rscript_rsp_add_rapdu(&b, data, n, sw);
	return (size_t)rscript_rsp_finish(&b);
}

void test_es3_audit_eis(void)
{
	struct world w;
	struct es_msg *m;
	struct smsr_profile_row p;
	uint8_t rsp[128];
	size_t n;

	world_setup(&w);
	btw("ES3 AuditEIS: GET STATUS (all ISD-Ps with their LCS) goes to the ISD-R");
	m = msg_new(ES_MSG_ES3_AUDIT_EIS_REQ);
	m->u.es3_audit_eis_req.eid = (struct es_hex){ eid_bytes, 16 };
	m->u.es3_audit_eis_req.n_iccid = 0;
	CU_ASSERT_EQUAL(smsr_es3_request(w.e, m, &rep_dp), 0);
	TEST_ASSERT_MEM_EQ(relay.aid, relay.aid_len, isdr, 16);
	CU_ASSERT(relay.len > 6 && relay.script[0] == 0xAA && relay.script[4] == 0x80 && relay.script[5] == 0xF2);

	btw("The card says: ISD-P 10 is Disabled and 11 Enabled (a switch the SM-SR missed): the EIS follows");
	n = get_status_answer(rsp, sizeof(rsp), aid10, 0x1F, aid11, 0x3F, 0x9000);
	smsr_es3_rx_result(w.e, relay.op, 0, rsp, n);
	CU_ASSERT_EQUAL(reply.id, ES_MSG_ES3_AUDIT_EIS_RESP);
	CU_ASSERT_EQUAL(reply.status, ES_STATUS_EXECUTED_SUCCESS);
	CU_ASSERT_EQUAL(reply.n_profiles, 2);
	CU_ASSERT_STRING_EQUAL(reply.states, "DE");
	CU_ASSERT_EQUAL(smsr_store_profile_get(w.store, ICCID_ON, &p), 0);
	CU_ASSERT_EQUAL(p.state, ES_PROFILE_STATE_DISABLED);
	CU_ASSERT_EQUAL(smsr_store_profile_get(w.store, ICCID_NEW, &p), 0);
	CU_ASSERT_EQUAL(p.state, ES_PROFILE_STATE_ENABLED);
	talloc_free(m);

	btw("ES4 AuditEIS for one ICCID; the card no longer has ISD-P 10: removed from the EIS");
	m = msg_new(ES_MSG_ES4_AUDIT_EIS_REQ);
	m->u.es4_audit_eis_req.eid = (struct es_hex){ eid_bytes, 16 };
	m->u.es4_audit_eis_req.n_iccid = 1;
	m->u.es4_audit_eis_req.iccid[0] = ICCID_NEW;
	CU_ASSERT_EQUAL(smsr_es3_request(w.e, m, &rep_mno), 0);
	n = get_status_answer(rsp, sizeof(rsp), aid11, 0x3F, NULL, 0, 0x9000);
	smsr_es3_rx_result(w.e, relay.op, 0, rsp, n);
	CU_ASSERT_EQUAL(reply.status, ES_STATUS_EXECUTED_SUCCESS);
	CU_ASSERT_EQUAL(reply.n_profiles, 1);
	CU_ASSERT_EQUAL(smsr_store_profile_get(w.store, ICCID_ON, &p), -ENOENT);

	btw("A GET STATUS error (6A88) or a malformed answer: Failed 8.4 / 4.2, the EIS stays");
	CU_ASSERT_EQUAL(smsr_es3_request(w.e, m, &rep_mno), 0);
	n = get_status_answer(rsp, sizeof(rsp), NULL, 0, NULL, 0, 0x6A88);
	smsr_es3_rx_result(w.e, relay.op, 0, rsp, n);
	assert_failed("8.4", "4.2");
	CU_ASSERT_EQUAL(smsr_es3_request(w.e, m, &rep_mno), 0);
	smsr_es3_rx_result(w.e, relay.op, 0, (const uint8_t *)"\xAB\x05\x80\x01", 4);
	assert_failed("8.4", "4.2");
	CU_ASSERT_EQUAL(smsr_store_profile_get(w.store, ICCID_NEW, &p), 0);
	CU_ASSERT_EQUAL(p.state, ES_PROFILE_STATE_ENABLED);

	btw("An ICCID of another MNO in ES4 AuditEIS: Failed 8.2.1 / 1.2, nothing sent");
	relay.n = 0;
	CU_ASSERT_EQUAL(smsr_es3_request(w.e, m,
					 &(struct smsr_reply){ .respond = stub_respond, .requester = "1.2.3.2" }),
			-EPERM);
	assert_failed("8.2.1", "1.2");
	CU_ASSERT_EQUAL(relay.n, 0);
	talloc_free(m);
	world_teardown(&w);
}

/* ---- UpdateConnectivityParameters ----------------------------------------------------------------------- */

void test_es3_update_connectivity(void)
{
	struct world w;
	struct es_msg *m;
	uint8_t cp[64], rsp[32];
	int n;

	world_setup(&w);
	btw("ConnectivityParameters as a script (default variant): relayed to the profile's ISD-P");
	m = msg_new(ES_MSG_ES3_UPDATE_CONNECTIVITY_PARAMETERS_REQ);
	m->u.es3_update_connectivity_parameters_req.eid = (struct es_hex){ eid_bytes, 16 };
	m->u.es3_update_connectivity_parameters_req.iccid = ICCID_NEW;
	n = osmo_hexparse("AA0A220880E28800033A0700", cp, sizeof(cp));
	m->u.es3_update_connectivity_parameters_req.connectivity_parameters = (struct es_hex){ cp, (size_t)n };
	CU_ASSERT_EQUAL(smsr_es3_request(w.e, m, &rep_dp), 0);
	TEST_ASSERT_MEM_EQ(relay.aid, relay.aid_len, aid11, 16);
	TEST_ASSERT_HEX_EQ(relay.script, relay.len, "AA0A220880E28800033A0700");
	n = osmo_hexparse("AB078001012302 9000", rsp, sizeof(rsp));
	smsr_es3_rx_result(w.e, relay.op, 0, rsp, (size_t)n);
	CU_ASSERT_EQUAL(reply.status, ES_STATUS_EXECUTED_SUCCESS);
	TEST_ASSERT_HEX_EQ(reply.data, reply.data_len, "AB0780010123029000");

	btw("A bare C-APDU under the default variant: Failed 1.6 / 2.1");
	n = osmo_hexparse("80E28800033A0700", cp, sizeof(cp));
	m->u.es3_update_connectivity_parameters_req.connectivity_parameters.len = (size_t)n;
	CU_ASSERT_EQUAL(smsr_es3_request(w.e, m, &rep_dp), -EBADMSG);
	assert_failed("1.6", "2.1");
	world_teardown(&w);

	btw("Variant c-apdu: the SM-SR wraps the C-APDU into a script");
	world_setup(&w);
	smsr_es3_free(w.e);
	w.e = smsr_es3_alloc(ctx, w.sr, w.store, &(struct smsr_es3_cfg){ .ucp = SMSR_UCP_CAPDU, .tdefs = test_tdefs },
			     &stub_ops, NULL);
	CU_ASSERT_EQUAL(smsr_es3_request(w.e, m, &rep_dp), 0);
	TEST_ASSERT_HEX_EQ(relay.script, relay.len, "AA0A220880E28800033A0700");
	smsr_es3_rx_result(w.e, relay.op, -ETIMEDOUT, NULL, 0);
	assert_failed("1.6", "5.1");
	talloc_free(m);
	world_teardown(&w);
}
