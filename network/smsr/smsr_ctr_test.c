/* The rate counters move at the real code points: procedures of smsr.c driven with stub transports (as in
 * smsr_test.c) and the counters of smsr_ctr.h read after each step; the show commands of smsr_vty.h over
 * that store print the EIS and no key material. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <osmocom/core/application.h>
#include <osmocom/core/logging.h>
#include <osmocom/core/timer.h>
#include <osmocom/core/utils.h>
#include <osmocom/vty/buffer.h>
#include <osmocom/vty/command.h>
#include <osmocom/vty/vty.h>
#include <talloc.h>

#include "lib/es5/notification.h"
#include "lib/test/runner.h"
#include "network/smsr/smsr.h"
#include "network/smsr/smsr_ctr.h"
#include "network/smsr/smsr_log.h"
#include "network/smsr/smsr_vty.h"

static void *ctx;
static uint32_t last_op;
static unsigned int n_sent, n_replies;
static enum es_status last_status;
static struct smsr_vty_cfg vcfg;
static struct vty_app_info info = { .name = "smsr_ctr_test", .version = "0" };

static int stub_send_script(struct smsr *sr, const char *eid, uint32_t op, const uint8_t *script, size_t len,
			    void *priv)
{
	last_op = op;
	n_sent++;
	return 0;
}

static const struct smsr_es5_ops stub_es5 = { .send_script = stub_send_script };

static void stub_respond(void *handle, struct es_msg *resp)
{
	n_replies++;
	last_status = resp->u.es1_register_eis_resp.function_execution_status.status;
}

static struct smsr_reply rep = { .respond = stub_respond, .requester = "1.2.3.1" };

static void stub_notify(struct smsr *sr, const char *mno_id, struct es_msg *msg, void *priv)
{
}

static struct osmo_tdef test_tdefs[] = {
	{ .T = SMSR_T_ES5_RESULT, .default_val = 10, .unit = OSMO_TDEF_S, .desc = "es5" },
	{ .T = SMSR_T_NOTIFICATION, .default_val = 60, .unit = OSMO_TDEF_S, .desc = "notif" },
	{}
};

int suite_setup(void)
{
	ctx = talloc_named_const(NULL, 0, "smsr_ctr_test");
	osmo_init_logging2(ctx, &smsr_log_info);
	log_set_log_level(osmo_stderr_target, LOGL_FATAL);
	osmo_tdefs_reset(test_tdefs);
	info.tall_ctx = ctx;
	vty_init(&info);
	smsr_vty_cfg_init(&vcfg);
	smsr_vty_init(&vcfg);
	return smsr_ctr_init(ctx);
}

int suite_teardown(void)
{
	smsr_ctr_fini();
	log_fini();
	talloc_free(ctx);
	return 0;
}

static const char *EID = "89001012012341234012345678901224";
static uint8_t eid_bytes[16];
static uint8_t aid10[16] = { 0xA0, 0x00, 0x00, 0x05, 0x59, 0x10, 0x10, 0xFF,
			     0xFF, 0xFF, 0xFF, 0x89, 0x00, 0x00, 0x10, 0x00 };
static uint8_t key[3][16];

static struct es_msg *register_req(void)
{
	struct es_msg *m = talloc_zero(ctx, struct es_msg);
	struct es_eis *eis = &m->u.es1_register_eis_req.eis;
	struct es_keyset *ks;
	static const uint8_t ktype[1] = { 0x88 };

	es_example_fill(m, ES_MSG_ES1_REGISTER_EIS_REQ);
	eis->n_profile_info = 1;
	eis->profile_info[0].iccid = "8944000000000000010";
	eis->profile_info[0].isd_p_aid = (struct es_hex){ aid10, 16 };
	eis->profile_info[0].mno_id = "1.2.3.1";
	eis->profile_info[0].state = ES_PROFILE_STATE_ENABLED;
	eis->isd_r.n_keyset = 1;
	ks = &eis->isd_r.keyset[0];
	ks->type = ES_KEYSET_SCP80;
	ks->version = (struct es_int){ true, 1 };
	ks->n_key = 3;
	ks->n_certificate = 0;
	for (int i = 0; i < 3; i++) {
		memset(key[i], 0xA1 + i, 16); /* A1A1... never to be seen in a show command */
		ks->key[i] = ks->key[0];
		ks->key[i].index = (struct es_int){ true, i + 1 };
		ks->key[i].n_key_components = 1;
		ks->key[i].key_components[0] = (struct es_key_component){ true, { ktype, 1 }, { key[i], 16 } };
	}
	return m;
}

static uint64_t fn(enum es_msg_id id, bool fail)
{
	int i = smsr_ctr_fn_index(id, fail);

	CU_ASSERT_FATAL(i >= 0);
	return smsr_ctr_get(SMSR_CTRG_FN, 0, (unsigned int)i);
}

static void notification(struct smsr *sr, uint16_t seq, int expect_rc)
{
	struct es5_notification n = { .eid = { eid_bytes, 16 },
				      .type = ES5_NOTIF_PROFILE_CHANGE_SUCCEEDED,
				      .seq = seq };
	uint8_t buf[64];
	int len = es5_notification_encode(buf, sizeof(buf), &n, ES5_NOTIF_AID_2F);

	CU_ASSERT_FATAL(len > 0);
	CU_ASSERT_EQUAL(smsr_es5_rx_notification(sr, buf, (size_t)len), expect_rc);
}

/* Run a VTY command into a string (the telnet output). */
static char *vty_run(const char *cmd)
{
	struct vty *vty = vty_new();
	char *out;

	CU_ASSERT_PTR_NOT_NULL_FATAL(vty);
	vty->type = VTY_TERM;
	vty->node = ENABLE_NODE;
	vty->fd = -1;
	{
		vector v = cmd_make_strvec(cmd);

		CU_ASSERT_PTR_NOT_NULL_FATAL(v);
		CU_ASSERT_EQUAL(cmd_execute_command(v, vty, NULL, 0), CMD_SUCCESS);
		cmd_free_strvec(v);
	}
	out = buffer_getstr(vty->obuf);
	buffer_reset(vty->obuf);
	vty_close(vty);
	return out;
}

void test_smsr_ctr_procedures(void)
{
	struct smsr_cfg cfg = { .smsr_id = "1.2.3.4",
				.tdefs = test_tdefs,
				.eis_sig = SMSR_EIS_SIG_NONE /* unsigned example */ };
	struct smsr_store *store;
	struct smsr *sr;
	struct es_msg *m;
	char err[128];
	uint64_t es1_in = smsr_ctr_get(SMSR_CTRG_ES, 1, SMSR_CTR_ES_REQ_IN);
	char *out;

	osmo_hexparse(EID, eid_bytes, sizeof(eid_bytes));
	store = smsr_store_open(ctx, ":memory:", err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(store);
	sr = smsr_alloc(ctx, store, &cfg, &stub_es5, stub_notify, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(sr);

	/* ES1 RegisterEIS: accepted, then the same EID again: refused */
	m = register_req();
	CU_ASSERT_EQUAL(smsr_es_request(sr, m, &rep), 0);
	CU_ASSERT_EQUAL(last_status, ES_STATUS_EXECUTED_SUCCESS);
	CU_ASSERT_EQUAL(smsr_ctr_get(SMSR_CTRG_ES, 1, SMSR_CTR_ES_REQ_IN), es1_in + 1);
	CU_ASSERT_EQUAL(fn(ES_MSG_ES1_REGISTER_EIS_REQ, false), 1);
	CU_ASSERT_EQUAL(fn(ES_MSG_ES1_REGISTER_EIS_REQ, true), 0);
	CU_ASSERT_EQUAL(smsr_ctr_get(SMSR_CTRG_ES, 1, SMSR_CTR_ES_REQ_FAIL), 0);
	CU_ASSERT_EQUAL(smsr_es_request(sr, m, &rep), -EEXIST);
	CU_ASSERT_EQUAL(fn(ES_MSG_ES1_REGISTER_EIS_REQ, false), 2);
	CU_ASSERT_EQUAL(fn(ES_MSG_ES1_REGISTER_EIS_REQ, true), 1);
	CU_ASSERT_EQUAL(smsr_ctr_get(SMSR_CTRG_ES, 1, SMSR_CTR_ES_REQ_FAIL), 1);
	talloc_free(m);

	/* ES4 GetEIS: success; ES3 GetEIS for an unknown EID: a failure of ES3's function only */
	m = talloc_zero(ctx, struct es_msg);
	es_example_fill(m, ES_MSG_ES4_GET_EIS_REQ);
	m->u.es4_get_eis_req.eid = (struct es_hex){ eid_bytes, 16 };
	CU_ASSERT_EQUAL(smsr_es_request(sr, m, &rep), 0);
	CU_ASSERT_EQUAL(fn(ES_MSG_ES4_GET_EIS_REQ, false), 1);
	CU_ASSERT_EQUAL(fn(ES_MSG_ES4_GET_EIS_REQ, true), 0);
	CU_ASSERT_EQUAL(smsr_ctr_get(SMSR_CTRG_ES, 4, SMSR_CTR_ES_REQ_IN), 1);
	talloc_free(m);
	m = talloc_zero(ctx, struct es_msg);
	es_example_fill(m, ES_MSG_ES3_GET_EIS_REQ);
	m->u.es3_get_eis_req.eid = (struct es_hex){ (const uint8_t *)"\x89\x00\x10\x12\x01\x23\x41\x23\x40\x12\x34"
								     "\x56\x78\x90\x12\x99",
						    16 };
	smsr_es_request(sr, m, &rep);
	CU_ASSERT_EQUAL(last_status, ES_STATUS_FAILED);
	CU_ASSERT_EQUAL(fn(ES_MSG_ES3_GET_EIS_REQ, false), 1);
	CU_ASSERT_EQUAL(fn(ES_MSG_ES3_GET_EIS_REQ, true), 1);
	CU_ASSERT_EQUAL(smsr_ctr_get(SMSR_CTRG_ES, 3, SMSR_CTR_ES_REQ_FAIL), 1);
	CU_ASSERT_EQUAL(fn(ES_MSG_ES4_GET_EIS_REQ, true), 0);
	talloc_free(m);

	/* ES4 DisableProfile of the enabled profile: the ES5 script goes out, the PoR fails: a failure */
	m = talloc_zero(ctx, struct es_msg);
	es_example_fill(m, ES_MSG_ES4_DISABLE_PROFILE_REQ);
	m->u.es4_disable_profile_req.eid = (struct es_hex){ eid_bytes, 16 };
	m->u.es4_disable_profile_req.iccid = "8944000000000000010";
	n_replies = 0;
	CU_ASSERT_EQUAL(smsr_es_request(sr, m, &rep), 0);
	CU_ASSERT_EQUAL(n_replies, 0);
	CU_ASSERT_EQUAL(fn(ES_MSG_ES4_DISABLE_PROFILE_REQ, false), 1);
	CU_ASSERT_EQUAL(fn(ES_MSG_ES4_DISABLE_PROFILE_REQ, true), 0);
	smsr_es5_rx_result(sr, last_op, -ETIMEDOUT, 0, NULL, 0);
	CU_ASSERT_EQUAL(n_replies, 1);
	CU_ASSERT_EQUAL(fn(ES_MSG_ES4_DISABLE_PROFILE_REQ, true), 1);
	CU_ASSERT_EQUAL(smsr_ctr_get(SMSR_CTRG_ES, 4, SMSR_CTR_ES_REQ_FAIL), 1);
	talloc_free(m);

	/* E1 notifications: a fresh one, its duplicate, a malformed one */
	notification(sr, 7, 0);
	CU_ASSERT_EQUAL(smsr_ctr_get(SMSR_CTRG_E1, 0, SMSR_CTR_E1_RX), 1);
	CU_ASSERT_EQUAL(smsr_ctr_get(SMSR_CTRG_E1, 0, SMSR_CTR_E1_DUP), 0);
	notification(sr, 7, 0);
	CU_ASSERT_EQUAL(smsr_ctr_get(SMSR_CTRG_E1, 0, SMSR_CTR_E1_RX), 2);
	CU_ASSERT_EQUAL(smsr_ctr_get(SMSR_CTRG_E1, 0, SMSR_CTR_E1_DUP), 1);
	CU_ASSERT_EQUAL(smsr_es5_rx_notification(sr, (const uint8_t *)"\xE1\x05\x00", 3), -EBADMSG);
	CU_ASSERT_EQUAL(smsr_ctr_get(SMSR_CTRG_E1, 0, SMSR_CTR_E1_DROPPED), 1);
	CU_ASSERT_EQUAL(smsr_ctr_get(SMSR_CTRG_E1, 0, SMSR_CTR_E1_RX), 2);

	/* show counters / eis / change over the VTY: the numbers, the EIS, no key value */
	smsr_vty_set_daemon(store, NULL, NULL);
	out = vty_run("show counters");
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "ES1-RegisterEIS requests received:        2"));
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "ES1-RegisterEIS answered with a failure:        1"));
	talloc_free(out);
	out = vty_run("show eis");
	CU_ASSERT_PTR_NOT_NULL(strstr(out, EID));
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "profile ICCID 8944000000000000010"));
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "owner 1.2.3.1"));
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "key set KVN 1 SCP80"));
	CU_ASSERT_PTR_NULL(strcasestr(out, "A1A1"));
	CU_ASSERT_PTR_NULL(strcasestr(out, "A2A2"));
	CU_ASSERT_PTR_NULL(strcasestr(out, "A3A3"));
	talloc_free(out);
	out = vty_run("show change");
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "no SM-SR Change table")); /* created by smsr_change_alloc() only */
	talloc_free(out);
	smsr_vty_set_daemon(NULL, NULL, NULL);

	smsr_free(sr);
	smsr_store_close(store);
}
