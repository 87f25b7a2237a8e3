/* SM-SR Change with per-eUICC card-facing variants (smsr_change_cfg.eisvar, smsr_eisvar.h), narrative style:
 * SR1 alone with stub ops, two eUICCs registered by ES1; the MNO asks for an SM-SR Change of each and the
 * HandoverEUICC SR1 sends at step 5 is captured. A rule for eUICC A's EID prefix makes SR1 withhold A's
 * ISD-R key sets whole (KEYSETS), while B keeps the daemon-wide KEY_VALUES (key set versions listed, key
 * values withheld); without the table (NULL) every eUICC gets the daemon-wide value, as before.
 * (The F2 meaning per eUICC, at step 25 of whole changes: smsr_change_f2_test.c.) */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <osmocom/core/logging.h>
#include <osmocom/core/utils.h>
#include <talloc.h>

#include "lib/es/es.h"
#include "lib/test/runner.h"
#include "network/smsr/smsr.h"
#include "network/smsr/smsr_change.h"
#include "network/smsr/smsr_chgworld.h"
#include "network/smsr/smsr_eisvar.h"
#include "network/smsr/smsr_log.h"

#define btw(fmt, args...) fprintf(stderr, "\n--- " fmt "\n", ##args)

static void *ctx;
static const char *EID_A = "89049032123451234512345678901235";
static const char *EID_B = "89001012012341234012345678901224";
static const char *SR1_ID = "1.3.6.1.4.1.99999.1";
static const char *SR2_ID = "1.3.6.1.4.1.99999.2";
static const char *MNO_ID = "1.2.3.1";

/* ---- what SR1 sends ------------------------------------------------------------------------------- */

static struct {
	unsigned int n;
	char peer[64];
	char eid[40];
	bool has_isdr;
	unsigned int n_keyset, n_key_total;
	int version[8];
} handover;

static int op_es_call(void *priv, const char *peer_id, struct es_msg *req, uint32_t tag)
{
	const struct es_eis *eis = &req->u.es7_handover_euicc_req.eis;

	CU_ASSERT_EQUAL_FATAL(req->id, ES_MSG_ES7_HANDOVER_EUICC_REQ);
	handover.n++;
	snprintf(handover.peer, sizeof(handover.peer), "%s", peer_id);
	osmo_hexdump_buf(handover.eid, sizeof(handover.eid), eis->eum_signed_info.eid.data,
			 eis->eum_signed_info.eid.len, "", false);
	handover.n_keyset = eis->isd_r.n_keyset;
	handover.n_key_total = 0;
	for (unsigned int i = 0; i < eis->isd_r.n_keyset && i < ARRAY_SIZE(handover.version); i++) {
		handover.n_key_total += eis->isd_r.keyset[i].n_key;
		handover.version[i] = eis->isd_r.keyset[i].version.present ? (int)eis->isd_r.keyset[i].version.v : -1;
	}
	return 0; /* SR2 never answers here: the procedure waits */
}

static int op_es5_send(void *priv, const char *eid, uint32_t op, const uint8_t *script, size_t len)
{
	CU_FAIL("no ES5 before SR2 answers");
	return -ENOTCONN;
}

static int op_respond_stored(void *priv, const char *reply_to, const char *relates_to, enum es_ns_variant ns,
			     struct es_msg *resp)
{
	return 0;
}

static void op_notify(void *priv, const char *to_id, struct es_msg *msg)
{
}

static const struct smsr_change_ops ops = {
	.es5_send = op_es5_send, .es_call = op_es_call, .respond_stored = op_respond_stored, .notify = op_notify
};

static struct {
	unsigned int n;
	enum es_msg_id id;
	enum es_status status;
} mno;

static void mno_respond(void *handle, struct es_msg *resp)
{
	mno.n++;
	mno.id = resp->id;
	mno.status = resp->u.es4_smsr_change_resp.function_execution_status.status;
}

static void reply_register(void *handle, struct es_msg *resp)
{
	CU_ASSERT_EQUAL(resp->u.es1_register_eis_resp.function_execution_status.status, ES_STATUS_EXECUTED_SUCCESS);
}

static int stub_send_script(struct smsr *sr, const char *eid, uint32_t op, const uint8_t *s, size_t len, void *priv)
{
	return -ENOTCONN;
}

/* ---- the world: SR1's store, procedures, SM-SR Change --------------------------------------------- */

static struct smsr_store *store;
static struct smsr *sr;
static struct smsr_change *chg;

static void sr1_open(const struct smsr_eisvar *rules, enum smsr_change_hide hide)
{
	char err[128];

	store = smsr_store_open(ctx, ":memory:", err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(store);
	sr = smsr_alloc(ctx, store,
			&(struct smsr_cfg){ .smsr_id = SR1_ID,
					    .eis_sig = SMSR_EIS_SIG_NONE /* unsigned example EIS */ },
			&(struct smsr_es5_ops){ .send_script = stub_send_script }, NULL, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(sr);
	chg = smsr_change_alloc(ctx, sr, store,
				&(struct smsr_change_cfg){ .smsr_id = SR1_ID,
							   .ecka = ecka_variants_default,
							   .es = es_variant_default,
							   .hide = hide,
							   .eisvar = rules },
				&ops, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(chg);
}

static void sr1_close(void)
{
	smsr_change_free(chg);
	smsr_free(sr);
	smsr_store_close(store);
}

/* The EUM registers eid at SR1: one enabled profile of MNO_ID, ISD-R SCP80 KVN 01 with three keys. */
static void register_eis(const char *eid)
{
	struct es_msg *reg = talloc_zero(ctx, struct es_msg);
	static uint8_t eid_bin[2][16];
	static unsigned int n;
	static const uint8_t cert[4] = { 0x7F, 0x21, 0x01, 0x00 };
	uint8_t *eb = eid_bin[n++ % 2];

	osmo_hexparse(eid, eb, 16);
	cw_eis_fill(reg, eb, "8944000000000000010", MNO_ID, cert, sizeof(cert));
	CU_ASSERT_EQUAL_FATAL(
		smsr_es_request(sr, reg, &(struct smsr_reply){ .respond = reply_register, .requester = "1.2.3.9" }), 0);
	talloc_free(reg);
}

/* Step 4: the MNO asks SR1 to hand eid over to SR2; SR1 sends HandoverEUICC (step 5) at once. */
static void mno_smsr_change(const char *eid)
{
	struct es_msg *m = talloc_zero(ctx, struct es_msg);
	uint8_t bin[16];

	osmo_hexparse(eid, bin, sizeof(bin));
	es_example_fill(m, ES_MSG_ES4_SMSR_CHANGE_REQ);
	m->u.es4_smsr_change_req.eid = (struct es_hex){ bin, 16 };
	m->u.es4_smsr_change_req.target_smsr_id = SR2_ID;
	m->u.es4_smsr_change_req.validity_period = (struct es_int){ true, 600 };
	m->wsa.reply_to = "mno";
	memset(&handover, 0, sizeof(handover));
	memset(&mno, 0, sizeof(mno));
	smsr_change_es_request(chg, m, &(struct smsr_reply){ .respond = mno_respond, .requester = MNO_ID });
	talloc_free(m);
}

int suite_setup(void)
{
	ctx = talloc_named_const(NULL, 0, "smsr_change_eisvar_test");
	test_osmo_log_init(ctx, &smsr_log_info, LOGL_INFO);
	osmo_tdefs_reset(smsr_change_tdefs);
	return 0;
}

int suite_teardown(void)
{
	log_fini();
	talloc_free(ctx);
	return 0;
}

/* ---- tests ------------------------------------------------------------------------------------------ */

static void assert_key_values_withheld(const char *eid)
{
	CU_ASSERT_EQUAL(handover.n, 1);
	CU_ASSERT_STRING_EQUAL(handover.peer, SR2_ID);
	CU_ASSERT_STRING_EQUAL(handover.eid, eid);
	CU_ASSERT_EQUAL(handover.n_keyset, 1); /* the KVN stays: SR2 needs it for the F2 delete list */
	CU_ASSERT_EQUAL(handover.version[0], 1);
	CU_ASSERT_EQUAL(handover.n_key_total, 0);
	CU_ASSERT_EQUAL(mno.n, 0); /* waiting for SR2 */
}

static void assert_keysets_withheld(const char *eid)
{
	CU_ASSERT_EQUAL(handover.n, 1);
	CU_ASSERT_STRING_EQUAL(handover.eid, eid);
	CU_ASSERT_EQUAL(handover.n_keyset, 0);
	CU_ASSERT_EQUAL(mno.n, 0);
}

void test_change_eisvar_handover_hide_per_eid(void)
{
	struct smsr_eisvar rules = { 0 };
	char err[160];

	CU_ASSERT_EQUAL_FATAL(smsr_eisvar_parse(&rules, "89049032:handover-hide=KEYSETS", err, sizeof(err)), 0);
	sr1_open(&rules, SMSR_CHG_HIDE_KEY_VALUES);
	register_eis(EID_A);
	register_eis(EID_B);
	btw("A (rule 89049032: KEYSETS): HandoverEUICC without any ISD-R key set");
	mno_smsr_change(EID_A);
	assert_keysets_withheld(EID_A);
	btw("B (no rule: the daemon's KEY_VALUES): the key set version, no key values");
	mno_smsr_change(EID_B);
	assert_key_values_withheld(EID_B);
	sr1_close();
}

void test_change_eisvar_daemon_value_without_rules(void)
{
	struct smsr_eisvar rules = { 0 };
	char err[160];

	btw("No table: the daemon's KEYSETS for every eUICC (today's behaviour)");
	sr1_open(NULL, SMSR_CHG_HIDE_KEYSETS);
	register_eis(EID_A);
	register_eis(EID_B);
	mno_smsr_change(EID_A);
	assert_keysets_withheld(EID_A);
	mno_smsr_change(EID_B);
	assert_keysets_withheld(EID_B);
	sr1_close();

	btw("A catch-all rule (*) and a longer one for B: the longest matching prefix wins");
	CU_ASSERT_EQUAL_FATAL(smsr_eisvar_parse(&rules, "*:handover-hide=KEY_VALUES", err, sizeof(err)), 0);
	CU_ASSERT_EQUAL_FATAL(smsr_eisvar_parse(&rules, "890010:handover-hide=KEYSETS", err, sizeof(err)), 0);
	sr1_open(&rules, SMSR_CHG_HIDE_KEYSETS);
	register_eis(EID_A);
	register_eis(EID_B);
	mno_smsr_change(EID_A);
	assert_key_values_withheld(EID_A);
	mno_smsr_change(EID_B);
	assert_keysets_withheld(EID_B);
	sr1_close();
}
