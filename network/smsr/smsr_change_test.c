/* SM-SR Change, both roles, narrative style (like osmo-msc's msc_vlr tests): SR1 and SR2 run in one
 * process against each other and against a card computed with lib/gpcert, lib/ecka and lib/es5
 * (the ECASD and ISD-R sides): the stub world of smsr_chgworld.h. Every ES message between them is
 * encoded to SOAP and decoded again (lib/es), queued, and delivered by cw_pump(), so a test can stop the
 * world at any step, lose messages, let time pass (osmo_gettimeofday_override) or restart both SM-SRs
 * (stores closed and reopened). The ES5 transport uses the key set the SM-SR's store says it would use,
 * and the card refuses a session whose keys it does not hold: SR2 is shown to talk with the keys it
 * derived. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <osmocom/core/linuxlist.h>
#include <osmocom/core/logging.h>
#include <osmocom/core/timer.h>
#include <osmocom/core/utils.h>
#include <talloc.h>

#include "lib/test/runner.h"
#include "network/smsr/smsr_change.h"
#include "network/smsr/smsr_chgworld.h"
#include "network/smsr/smsr_log.h"

static void *ctx;
static char tmpdir[128];

#define btw(fmt, args...) fprintf(stderr, "\n--- " fmt "\n", ##args)

/* ---- the tests' own helpers over the world (time, restarts, the outcome) ------------------------------ */

static void fake_time_passes(unsigned int secs)
{
	osmo_gettimeofday_override_time.tv_sec += secs;
	osmo_timers_prepare();
	osmo_timers_update();
}

static struct osmo_tdef chg_tdefs[] = { { .T = SMSR_CHG_T_ES7, .default_val = 30, .unit = OSMO_TDEF_S, .desc = "es7" },
					{ .T = SMSR_CHG_T_ES5, .default_val = 20, .unit = OSMO_TDEF_S, .desc = "es5" },
					{} };

static void restart_both(void)
{
	btw("Both SM-SRs are killed: queued messages are lost; stores closed and reopened, procedures resumed");
	cw_drop_queue();
	cw_side_close(&cw.sr1);
	cw_side_close(&cw.sr2);
	cw_side_open(&cw.sr1);
	cw_side_open(&cw.sr2);
	CU_ASSERT_EQUAL(smsr_change_resume(cw.sr1.chg), 1);
	CU_ASSERT_EQUAL(smsr_change_resume(cw.sr2.chg), 1);
}

static void world_teardown(void)
{
	cw_drop_queue();
	CU_ASSERT_EQUAL(smsr_change_num_procs(cw.sr1.chg), 0);
	CU_ASSERT_EQUAL(smsr_change_num_procs(cw.sr2.chg), 0);
	cw_close();
}

/* The eUICC is managed by SR1 only, as before: its EIS active there, nothing at SR2, key set 01 on the card. */
static void assert_still_at_sr1(void)
{
	CU_ASSERT_EQUAL(cw_eis_state(&cw.sr1), SMSR_EIS_ACTIVE);
	CU_ASSERT_EQUAL(cw_eis_state(&cw.sr2), 0);
	CU_ASSERT_PTR_NOT_NULL(cw_card_ks(0x01));
}

/* ... or by SR2 only: its EIS active with our Smsr-id and the key set the card holds. */
static void assert_at_sr2(bool old_keys_deleted)
{
	struct smsr_eis_row row;
	struct smsr_keyset_row ks;
	struct cw_keyset *ck;
	char step[32];

	CU_ASSERT_EQUAL(cw_eis_state(&cw.sr1), 0);
	CU_ASSERT_EQUAL_FATAL(smsr_store_eis_get(cw.sr2.store, cw.eid, &row), 0);
	CU_ASSERT_EQUAL(row.state, SMSR_EIS_ACTIVE);
	CU_ASSERT_STRING_EQUAL(row.smsr_id, CW_SR2_ID);
	CU_ASSERT_STRING_EQUAL(row.msisdn, "447700900001");
	CU_ASSERT_EQUAL_FATAL(smsr_store_keyset_get(cw.sr2.store, cw.eid, SMSR_KEYSET_SCP80, -1, &ks), 0);
	CU_ASSERT_EQUAL(ks.kvn, 0x02);
	ck = cw_card_ks(ks.kvn);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ck);
	TEST_ASSERT_MEM_EQ(ks.kic, ks.kic_len, ck->key[0], 16);
	TEST_ASSERT_MEM_EQ(ks.kid, ks.kid_len, ck->key[1], 16);
	TEST_ASSERT_MEM_EQ(ks.kik, ks.kik_len, ck->key[2], 16);
	CU_ASSERT_EQUAL(cw_card_ks(0x01) == NULL, old_keys_deleted);
	/* step 26: SR2's own SCP81 PSK, the same on both sides */
	CU_ASSERT_EQUAL_FATAL(smsr_store_keyset_get(cw.sr2.store, cw.eid, SMSR_KEYSET_SCP81, -1, &ks), 0);
	CU_ASSERT_EQUAL(ks.kvn, 0x40);
	ck = cw_card_ks(0x40);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ck);
	CU_ASSERT_EQUAL(ck->n, 1);
	TEST_ASSERT_MEM_EQ(ks.psk, ks.psk_len, ck->key[0], 16);
	CU_ASSERT_EQUAL(cw_card_num_keysets(), old_keys_deleted ? 2u : 3u);
	TEST_ASSERT_MEM_EQ(cw.card.addressing, cw.card.addressing_len, cw_addressing, sizeof(cw_addressing));
	CU_ASSERT_EQUAL(smsr_change_step(cw.sr1.chg, cw.eid, step, sizeof(step)), -ENOENT);
	CU_ASSERT_EQUAL(smsr_change_step(cw.sr2.chg, cw.eid, step, sizeof(step)), -ENOENT);
}

static void run_to_end(void)
{
	cw_mno_prepare(600);
	CU_ASSERT_EQUAL(cw.mno.status, ES_STATUS_EXECUTED_SUCCESS);
	CU_ASSERT_EQUAL(cw_eis_state(&cw.sr2), SMSR_EIS_HANDOVER_IN);
	cw_mno_smsr_change(600);
	CU_ASSERT_EQUAL(cw.mno.n, 0); /* async: nothing yet */
	CU_ASSERT_EQUAL(cw_eis_state(&cw.sr1), SMSR_EIS_HANDOVER_OUT);
	cw_pump();
}

/* ---- the tests ------------------------------------------------------------------------------------- */

int suite_setup(void)
{
	ctx = talloc_named_const(NULL, 0, "smsr_change_test");
	test_osmo_log_init(ctx, &smsr_log_info, LOGL_INFO);
	osmo_gettimeofday_override = true;
	osmo_gettimeofday_override_time = (struct timeval){ .tv_sec = 1700000000 };
	osmo_tdefs_reset(chg_tdefs);
	snprintf(tmpdir, sizeof(tmpdir), "%s/rsplab-smsr-change-XXXXXX", P_tmpdir);
	if (!mkdtemp(tmpdir))
		return -1;
	return cw_init(&(struct cw_cfg){ .ctx = ctx, .db_dir = tmpdir, .tdefs = chg_tdefs, .narrate = true });
}

int suite_teardown(void)
{
	rmdir(tmpdir);
	cw_fini();
	log_fini();
	talloc_free(ctx);
	return 0;
}

void test_smsr_change_success(void)
{
	struct smsr_audit_row a[8];
	size_t n;

	cw_open();
	cw_register_eis(cw.pki.ecasd_cert, cw.pki.ecasd_cert_len);
	btw("MNO2 prepares SR2 (steps 1-3), the MNO asks SR1 for the change (step 4); everything flows");
	run_to_end();
	CU_ASSERT_EQUAL(cw.mno.n, 1);
	CU_ASSERT_EQUAL(cw.mno.id, ES_MSG_ES4_SMSR_CHANGE_RESP);
	CU_ASSERT_EQUAL(cw.mno.status, ES_STATUS_EXECUTED_SUCCESS);
	btw("The eUICC is SR2's: SR1's EIS is gone, SR2 holds the derived key set, the card only that one");
	assert_at_sr2(true);
	/* 3A01, 3A02, FinaliseISDRhandover, 3A07, then SR2's own 3A01 and 3A02 for its SCP81 key set */
	CU_ASSERT_EQUAL(cw.card.cmds, 6);
	btw("Steps 31-32: the MNO owning the profile is notified over ES4, with its part of the EIS");
	CU_ASSERT_EQUAL(cw.notif.n, 1);
	CU_ASSERT_EQUAL(cw.notif.id, ES_MSG_ES4_HANDLE_SMSR_CHANGE_NOTIF);
	CU_ASSERT_STRING_EQUAL(cw.notif.to, CW_MNO_ID);
	CU_ASSERT_EQUAL(cw.notif.profiles, 1);
	btw("Both audit trails record the handover");
	CU_ASSERT_EQUAL(smsr_store_audit_list(cw.sr1.store, cw.eid, a, 8, &n), 0);
	CU_ASSERT_EQUAL(n, 1);
	CU_ASSERT_EQUAL(a[0].op_type, 0x0A00);
	CU_ASSERT_EQUAL(smsr_store_audit_list(cw.sr2.store, cw.eid, a, 8, &n), 0);
	CU_ASSERT_EQUAL(n, 1);
	CU_ASSERT_EQUAL(a[0].op_type, 0x0900);
	CU_ASSERT_EQUAL(a[0].status, ES_STATUS_EXECUTED_SUCCESS);
	CU_ASSERT_EQUAL(smsr_change_stats(cw.sr2.chg)->committed, 1);
	world_teardown();
}

void test_smsr_change_keep_list_variant(void)
{
	cw_open();
	cw.sr2.cfg.f2 = ES5_F2_KEEP_LIST;
	cw_side_close(&cw.sr2);
	cw_side_open(&cw.sr2);
	cw.card.f2 = ES5_F2_KEEP_LIST;
	cw_register_eis(cw.pki.ecasd_cert, cw.pki.ecasd_cert_len);
	btw("F2 as a keep list (Njiwa): the card keeps the new key set only; the effect is the same");
	run_to_end();
	CU_ASSERT_EQUAL(cw.mno.status, ES_STATUS_EXECUTED_SUCCESS);
	assert_at_sr2(true);
	world_teardown();
}

void test_smsr_change_scp81_none_variant(void)
{
	struct smsr_keyset_row ks;

	cw_open();
	cw.sr2.cfg.scp81 = SMSR_CHG_SCP81_NONE;
	cw_side_close(&cw.sr2);
	cw_side_open(&cw.sr2);
	cw_register_eis(cw.pki.ecasd_cert, cw.pki.ecasd_cert_len);
	btw("Variant scp81=none: SR2 stops after 3A07 and keeps no SCP81 key set (SMS only)");
	run_to_end();
	CU_ASSERT_EQUAL(cw.mno.status, ES_STATUS_EXECUTED_SUCCESS);
	CU_ASSERT_EQUAL(cw.card.cmds, 4);
	CU_ASSERT_PTR_NULL(cw_card_ks(0x40));
	CU_ASSERT_EQUAL(smsr_store_keyset_get(cw.sr2.store, cw.eid, SMSR_KEYSET_SCP81, -1, &ks), -ENOENT);
	world_teardown();
}

void test_smsr_change_scp81_refused_is_a_warning(void)
{
	struct smsr_keyset_row ks;

	cw_open();
	cw_register_eis(cw.pki.ecasd_cert, cw.pki.ecasd_cert_len);
	cw.card.refuse_scp81 = true;
	btw("The card refuses SR2's SCP81 key agreement (6985): after step 23 a warning, the EIS is SR2's");
	run_to_end();
	CU_ASSERT_EQUAL(cw.mno.status, ES_STATUS_EXECUTED_WITHWARNING);
	CU_ASSERT_EQUAL(cw.card.cmds, 6);
	CU_ASSERT_EQUAL(cw_eis_state(&cw.sr1), 0);
	CU_ASSERT_EQUAL(cw_eis_state(&cw.sr2), SMSR_EIS_ACTIVE);
	CU_ASSERT_EQUAL(smsr_store_keyset_get(cw.sr2.store, cw.eid, SMSR_KEYSET_SCP81, -1, &ks), -ENOENT);
	world_teardown();
}

void test_smsr_change_bad_ecasd_cert(void)
{
	cw_open();
	btw("The EIS carries a CERT.ECASD.ECKA signed by a key that is not the EUM's");
	cw_register_eis(cw.pki.rogue_ecasd_cert, cw.pki.rogue_ecasd_cert_len);
	run_to_end();
	btw("Step 6 fails at SR2: HandoverEUICC Failed 8.5.2/6.3, SR1 unlocks and answers Failed");
	CU_ASSERT_EQUAL(cw.mno.n, 1);
	CU_ASSERT_EQUAL(cw.mno.status, ES_STATUS_FAILED);
	assert_still_at_sr1();
	CU_ASSERT_EQUAL(cw.card.cmds, 0);
	CU_ASSERT_EQUAL(cw_card_num_keysets(), 1);
	world_teardown();
}

void test_smsr_change_sr_cert_not_from_ci(void)
{
	cw_open();
	cw.sr2.cfg.sr_cert = cw.pki.rogue_sr2_cert;
	cw.sr2.cfg.sr_cert_len = cw.pki.rogue_sr2_cert_len;
	cw_side_close(&cw.sr2);
	cw_side_open(&cw.sr2);
	cw_register_eis(cw.pki.ecasd_cert, cw.pki.ecasd_cert_len);
	btw("SR2's CERT.SR.ECDSA is not signed by the CI: the eUICC refuses 3A01 (6982)");
	run_to_end();
	CU_ASSERT_EQUAL(cw.mno.status, ES_STATUS_FAILED);
	assert_still_at_sr1();
	CU_ASSERT_EQUAL(cw.card.cmds, 1);
	CU_ASSERT_EQUAL(cw_card_num_keysets(), 1);
	world_teardown();
}

void test_smsr_change_wrong_receipt(void)
{
	cw_open();
	cw_register_eis(cw.pki.ecasd_cert, cw.pki.ecasd_cert_len);
	cw.card.corrupt_receipt = true;
	btw("The receipt the card returns does not verify at SR2 (step 23): no commit");
	run_to_end();
	CU_ASSERT_EQUAL(cw.mno.status, ES_STATUS_FAILED);
	assert_still_at_sr1();
	CU_ASSERT_EQUAL(cw.card.cmds, 2);
	btw("SR1 keeps managing the eUICC with its own key set (the new one on the card is unused)");
	CU_ASSERT_EQUAL(cw_card_num_keysets(), 2);
	CU_ASSERT_EQUAL(smsr_change_stats(cw.sr2.chg)->committed, 0);
	world_teardown();
}

void test_smsr_change_expiry_step7(void)
{
	cw_open();
	cw_register_eis(cw.pki.ecasd_cert, cw.pki.ecasd_cert_len);
	cw_mno_prepare(600);
	cw_mno_smsr_change(60);
	btw("The HandoverEUICC is lost on its way: no AuthenticateSMSR (step 7) within the 60 s");
	cw_drop_queue();
	fake_time_passes(59);
	CU_ASSERT_EQUAL(cw.mno.n, 0);
	CU_ASSERT_EQUAL(cw_eis_state(&cw.sr1), SMSR_EIS_HANDOVER_OUT);
	fake_time_passes(2);
	CU_ASSERT_EQUAL(cw.mno.n, 1);
	CU_ASSERT_EQUAL(cw.mno.status, ES_STATUS_FAILED);
	CU_ASSERT_STRING_EQUAL(cw.mno.reason, "5.3");
	CU_ASSERT_EQUAL(cw_eis_state(&cw.sr1), SMSR_EIS_ACTIVE);
	btw("SR2's preparation expires too; its placeholder goes");
	fake_time_passes(600);
	assert_still_at_sr1();
	world_teardown();
}

void test_smsr_change_expiry_step15(void)
{
	cw_open();
	cw_register_eis(cw.pki.ecasd_cert, cw.pki.ecasd_cert_len);
	cw_mno_prepare(600);
	cw_mno_smsr_change(60);
	btw("Steps 5-13 flow; the CreateAdditionalKeySet (step 15) is lost");
	CU_ASSERT_TRUE(cw_pump_until_req(ES_MSG_ES7_CREATE_ADDITIONAL_KEY_SET_REQ));
	cw_drop_queue();
	CU_ASSERT_EQUAL(cw.card.cmds, 1);
	fake_time_passes(61);
	btw("SR1 aborts with Failed; SR2 gives up at the same deadline and forgets the EIS");
	CU_ASSERT_EQUAL(cw.mno.n, 1);
	CU_ASSERT_EQUAL(cw.mno.status, ES_STATUS_FAILED);
	cw_pump(); /* SR2's Failed answer reaches an SR1 that is done already */
	assert_still_at_sr1();
	world_teardown();
}

void test_smsr_change_lost_request_retried_from_step7(void)
{
	cw_open();
	cw_register_eis(cw.pki.ecasd_cert, cw.pki.ecasd_cert_len);
	cw_mno_prepare(600);
	cw_mno_smsr_change(600);
	btw("Steps 5-13 flow; the CreateAdditionalKeySet (step 15) is lost (SR1 restarting, a network cut)");
	CU_ASSERT_TRUE(cw_pump_until_req(ES_MSG_ES7_CREATE_ADDITIONAL_KEY_SET_REQ));
	cw_drop_queue();
	CU_ASSERT_EQUAL(cw.card.cmds, 1);
	btw("After T_ES7_RETRY (60 s here) SR2 starts again from step 7: a new RC, new key parameters");
	fake_time_passes(59);
	CU_ASSERT_EQUAL(smsr_change_stats(cw.sr2.chg)->es7_retries, 0);
	fake_time_passes(2);
	CU_ASSERT_EQUAL(smsr_change_stats(cw.sr2.chg)->es7_retries, 1);
	cw_pump();
	btw("The change completes within the validity period");
	CU_ASSERT_EQUAL(cw.mno.n, 1);
	CU_ASSERT_EQUAL(cw.mno.status, ES_STATUS_EXECUTED_SUCCESS);
	assert_at_sr2(true);
	CU_ASSERT_EQUAL(cw.card.cmds, 7); /* 3A01, then 3A01 3A02 F2 3A07 and SR2's own 3A01 3A02 */
	world_teardown();
}

void test_smsr_change_already_managed(void)
{
	cw_open();
	cw_register_eis(cw.pki.ecasd_cert, cw.pki.ecasd_cert_len);
	run_to_end();
	assert_at_sr2(true);
	btw("An earlier attempt passed step 23 but SR1 still has the EIS (registered there again)");
	cw_register_eis(cw.pki.ecasd_cert, cw.pki.ecasd_cert_len);
	cw_mno_prepare(600);
	CU_ASSERT_EQUAL(cw.mno.status, ES_STATUS_EXECUTED_SUCCESS);
	cw.card.cmds = 0;
	cw_mno_smsr_change(600);
	cw_pump();
	btw("SR2 skips steps 7-23 with \"eUICC already managed\"; SR1 deletes its EIS: Success-WithWarning");
	CU_ASSERT_EQUAL(cw.card.cmds, 0);
	CU_ASSERT_EQUAL(cw.mno.status, ES_STATUS_EXECUTED_WITHWARNING);
	assert_at_sr2(true);
	world_teardown();
}

void test_smsr_change_key_deletion_fails(void)
{
	cw_open();
	cw_register_eis(cw.pki.ecasd_cert, cw.pki.ecasd_cert_len);
	cw.card.fail_delete = true;
	btw("FinaliseISDRhandover fails on the card (6581): after step 23 that is a warning only");
	run_to_end();
	CU_ASSERT_EQUAL(cw.mno.status, ES_STATUS_EXECUTED_WITHWARNING);
	assert_at_sr2(false);
	world_teardown();
}

void test_smsr_change_restart_between_7_and_15(void)
{
	char step[32];

	cw_open();
	cw_register_eis(cw.pki.ecasd_cert, cw.pki.ecasd_cert_len);
	cw_mno_prepare(600);
	cw_mno_smsr_change(600);
	CU_ASSERT_TRUE(cw_pump_until_req(ES_MSG_ES7_CREATE_ADDITIONAL_KEY_SET_REQ));
	CU_ASSERT_EQUAL(smsr_change_step(cw.sr1.chg, cw.eid, step, sizeof(step)), 0);
	CU_ASSERT_STRING_EQUAL(step, "13_WAIT_KEYSET_REQ");
	CU_ASSERT_EQUAL(smsr_change_step(cw.sr2.chg, cw.eid, step, sizeof(step)), 0);
	CU_ASSERT_STRING_EQUAL(step, "15_CREATE_KEYSET_SENT");
	restart_both();
	btw("SR1 waits for step 15 again; SR2 (before the commit point) restarts from step 7 with a new RC");
	cw_pump();
	CU_ASSERT_EQUAL(cw.mno.n, 1);
	CU_ASSERT_EQUAL(cw.mno.status, ES_STATUS_EXECUTED_SUCCESS);
	CU_ASSERT_EQUAL(cw.card.cmds, 7); /* 3A01 twice */
	assert_at_sr2(true);
	CU_ASSERT_EQUAL(smsr_change_stats(cw.sr1.chg)->resumed, 1);
	world_teardown();
}

void test_smsr_change_restart_after_commit(void)
{
	cw_open();
	cw_register_eis(cw.pki.ecasd_cert, cw.pki.ecasd_cert_len);
	cw_mno_prepare(600);
	cw_mno_smsr_change(600);
	btw("Run until SR2 committed (step 23) and sent FinaliseISDRhandover, then kill both");
	while (!llist_empty(&cw.queue) && smsr_change_stats(cw.sr2.chg)->committed == 0) {
		struct cw_qmsg *q = cw_pop();
		cw_deliver(q);
		talloc_free(q);
	}
	CU_ASSERT_EQUAL(smsr_change_stats(cw.sr2.chg)->committed, 1);
	restart_both();
	btw("SR2 continues from step 25 with its stored key set; SR1 (at step 22) gets step 28 by RelatesTo");
	cw_pump();
	CU_ASSERT_EQUAL(cw.mno.status, ES_STATUS_EXECUTED_SUCCESS);
	assert_at_sr2(true);
	world_teardown();
}

void test_smsr_change_bad_requests(void)
{
	struct es_msg *m = talloc_zero(ctx, struct es_msg);
	struct smsr_reply r = { .respond = cw_mno_respond, .requester = CW_MNO_ID };
	uint8_t other_eid[16];

	cw_open();
	cw_register_eis(cw.pki.ecasd_cert, cw.pki.ecasd_cert_len);
	btw("SMSRChange for an unknown EID, towards ourselves; PrepareSMSRChange naming ourselves");
	es_example_fill(m, ES_MSG_ES4_SMSR_CHANGE_REQ);
	memcpy(other_eid, cw.eid_bin, 16);
	other_eid[15] ^= 0x01; /* check digits wrong: not an EID we could know */
	m->u.es4_smsr_change_req.eid = (struct es_hex){ other_eid, 16 };
	m->u.es4_smsr_change_req.target_smsr_id = CW_SR2_ID;
	CU_ASSERT_EQUAL(smsr_change_es_request(cw.sr1.chg, m, &r), -ENOENT);
	CU_ASSERT_EQUAL(cw.mno.status, ES_STATUS_FAILED);
	m->u.es4_smsr_change_req.eid = (struct es_hex){ cw.eid_bin, 16 };
	m->u.es4_smsr_change_req.target_smsr_id = CW_SR1_ID;
	CU_ASSERT_EQUAL(smsr_change_es_request(cw.sr1.chg, m, &r), -EINVAL);
	es_example_fill(m, ES_MSG_ES4_PREPARE_SMSR_CHANGE_REQ);
	m->u.es4_prepare_smsr_change_req.eid = (struct es_hex){ cw.eid_bin, 16 };
	m->u.es4_prepare_smsr_change_req.current_smsr_id = CW_SR2_ID;
	CU_ASSERT_EQUAL(smsr_change_es_request(cw.sr2.chg, m, &r), -EINVAL);
	btw("An ES7 request without a procedure, and one from an SM-SR that is not the peer");
	es_example_fill(m, ES_MSG_ES7_AUTHENTICATE_SMSR_REQ);
	m->u.es7_authenticate_smsr_req.eis.present = false;
	m->u.es7_authenticate_smsr_req.eid = (struct es_hex){ cw.eid_bin, 16 };
	CU_ASSERT_EQUAL(smsr_change_es_request(cw.sr1.chg, m, &r), -ENOENT);
	cw_mno_prepare(600);
	cw_mno_smsr_change(600);
	CU_ASSERT_EQUAL(smsr_change_es_request(cw.sr1.chg, m,
					       &(struct smsr_reply){ .respond = cw_mno_respond, .requester = "9.9.9" }),
			0);
	CU_ASSERT_EQUAL(cw.mno.status, ES_STATUS_FAILED);
	btw("A second SMSRChange while one runs is refused; the first one completes");
	memset(&cw.mno, 0, sizeof(cw.mno));
	es_example_fill(m, ES_MSG_ES4_SMSR_CHANGE_REQ);
	m->u.es4_smsr_change_req.eid = (struct es_hex){ cw.eid_bin, 16 };
	m->u.es4_smsr_change_req.target_smsr_id = CW_SR2_ID;
	CU_ASSERT_EQUAL(smsr_change_es_request(cw.sr1.chg, m, &r), -EBUSY);
	CU_ASSERT_EQUAL(cw.mno.status, ES_STATUS_FAILED);
	memset(&cw.mno, 0, sizeof(cw.mno));
	cw_pump();
	CU_ASSERT_EQUAL(cw.mno.status, ES_STATUS_EXECUTED_SUCCESS);
	assert_at_sr2(true);
	talloc_free(m);
	world_teardown();
}

void test_smsr_change_commit_not_stored(void)
{
	struct smsr_keyset_row ks;

	cw_open();
	cw_register_eis(cw.pki.ecasd_cert, cw.pki.ecasd_cert_len);
	cw_mno_prepare(600);
	cw_mno_smsr_change(600);
	CU_ASSERT_TRUE(cw_pump_until_req(ES_MSG_ES7_CREATE_ADDITIONAL_KEY_SET_REQ));
	btw("The receipt verifies, but SR2's commit transaction fails (a kill between statements)");
	while (!llist_empty(&cw.queue)) {
		struct cw_qmsg *q = llist_first_entry(&cw.queue, struct cw_qmsg, list);

		if (q->kind == CW_Q_RESP && q->to == &cw.sr2)
			break;
		q = cw_pop();
		cw_deliver(q);
		talloc_free(q);
	}
	CU_ASSERT_FALSE_FATAL(llist_empty(&cw.queue));
	smsr_store_fail_after(cw.sr2.store, 1);
	cw_pump();
	btw("No commit: SR2 answers Failed and keeps nothing; SR1 manages the eUICC as before");
	CU_ASSERT_EQUAL(cw.mno.status, ES_STATUS_FAILED);
	CU_ASSERT_EQUAL(smsr_change_stats(cw.sr2.chg)->committed, 0);
	CU_ASSERT_EQUAL(smsr_store_keyset_get(cw.sr2.store, cw.eid, SMSR_KEYSET_SCP80, -1, &ks), -ENOENT);
	assert_still_at_sr1();
	world_teardown();
}

/* ---- a kill at every stored step ----------------------------------------------------------------------
 * One SM-SR is killed right after it stored a step (its in-flight messages are lost, its stores closed
 * without a shutdown), optionally with the last transaction torn (smsr_store_fail_after: the kill fell
 * between two statements), optionally kept down while the other side runs on (requests to it are refused,
 * answers to it lost), then restarted on the same database with smsr_change_resume(). After everything
 * ran and every validity period expired, digest §2.1 must hold: the EIS at exactly one SM-SR, that one
 * able to reach the card (its newest ISD-R key set is on the card), no procedure left, the MNO answered
 * once and in line with the outcome, both audit trails in line with it. */

static const char *const sr1_steps[] = { "5_HANDOVER_SENT", "8_CERT_TO_ISDR", "13_WAIT_KEYSET_REQ",
					 "16_KEYAGREEMENT_TO_ISDR", "22_WAIT_HANDOVER_RESP" };
static const char *const sr2_steps[] = { "2_AWAITING_HANDOVER", "7_AUTHENTICATE_SENT", "15_CREATE_KEYSET_SENT",
					 "25_FINALISE_SENT",	"26_ADDRESSING_SENT",  "26_SCP81_CERT_SENT",
					 "26_SCP81_KEYS_SENT" };

static unsigned int n_events;
static struct cw_side *dead; /* the killed side while it is down */

/* A message to a dead side: a request is refused (its caller sees a transport error), anything else is
 * lost. */
static void deliver_or_refuse(struct cw_qmsg *q)
{
	if (dead && q->to == dead) {
		if (q->kind == CW_Q_REQ && q->from != dead)
			smsr_change_es_rx_response(q->from->chg, q->tag, -ECONNREFUSED, NULL);
		return;
	}
	if (q->kind == CW_Q_STORED_RESP) {
		/* a late answer may find the procedure ended already (it expired meanwhile) */
		void *t = talloc_new(ctx);

		smsr_change_es_rx_unmatched(q->to->chg, cw_decode(t, q->buf, q->len));
		talloc_free(t);
		return;
	}
	cw_deliver(q);
}

/* The next event of the procedure: 0 = PrepareSMSRChange at SR2, 1 = SMSRChange at SR1, then one queued
 * message each. false when nothing is left. */
static bool advance(void)
{
	struct cw_qmsg *q;

	switch (n_events++) {
	case 0: cw_mno_prepare(600); return true;
	case 1: cw_mno_smsr_change(600); return true;
	default:
		if (!(q = cw_pop()))
			return false;
		deliver_or_refuse(q);
		talloc_free(q);
		return true;
	}
}

static bool at_step(struct cw_side *s, const char *step)
{
	char now[32];

	return smsr_change_step(s->chg, cw.eid, now, sizeof(now)) == 0 && !strcmp(now, step);
}

static void kill_side(struct cw_side *s)
{
	struct cw_qmsg *q, *q2;

	/* what was on its way to the process is lost with it */
	llist_for_each_entry_safe (q, q2, &cw.queue, list) {
		if (q->to != s || q->kind == CW_Q_REQ)
			continue;
		llist_del(&q->list);
		talloc_free(q);
	}
	cw_side_close(s);
	dead = s;
}

static void restart_side(struct cw_side *s)
{
	dead = NULL;
	cw_side_open(s);
	smsr_change_resume(s->chg);
}

static void run_out(void)
{
	while (advance())
		;
}

/* Let every validity period and timer run out, delivering what they cause. */
static void expire_all(void)
{
	for (int i = 0; i < 8; i++) {
		fake_time_passes(400);
		run_out();
	}
}

static void assert_one_holder(const char *what, bool torn)
{
	struct smsr_audit_row a1[16], a2[16];
	struct smsr_keyset_row ks;
	struct cw_side *holder;
	struct cw_keyset *ck;
	size_t n1 = 0, n2 = 0;
	char step[32];
	bool at1 = cw_eis_state(&cw.sr1) != 0, at2 = cw_eis_state(&cw.sr2) != 0;

	CU_ASSERT_EQUAL(smsr_store_audit_list(cw.sr1.store, cw.eid, a1, ARRAY_SIZE(a1), &n1), 0);
	CU_ASSERT_EQUAL(smsr_store_audit_list(cw.sr2.store, cw.eid, a2, ARRAY_SIZE(a2), &n2), 0);
	fprintf(stderr, "%s: EIS at SR1 %d, at SR2 %d; MNO answers %u (%s); audit records %zu/%zu\n", what,
		cw_eis_state(&cw.sr1), cw_eis_state(&cw.sr2), cw.mno.n,
		get_value_string(es_status_names, cw.mno.status), n1, n2);
	CU_ASSERT_EQUAL(smsr_change_num_procs(cw.sr1.chg), 0);
	CU_ASSERT_EQUAL(smsr_change_num_procs(cw.sr2.chg), 0);
	CU_ASSERT_EQUAL(smsr_change_step(cw.sr1.chg, cw.eid, step, sizeof(step)), -ENOENT);
	CU_ASSERT_EQUAL(smsr_change_step(cw.sr2.chg, cw.eid, step, sizeof(step)), -ENOENT);
	/* never at both, never at neither */
	CU_ASSERT_FATAL(at1 != at2);
	holder = at1 ? &cw.sr1 : &cw.sr2;
	CU_ASSERT_EQUAL(cw_eis_state(holder), SMSR_EIS_ACTIVE);
	if (holder == &cw.sr2) {
		struct smsr_eis_row row;

		CU_ASSERT_EQUAL(smsr_store_eis_get(cw.sr2.store, cw.eid, &row), 0);
		CU_ASSERT_STRING_EQUAL(row.smsr_id, CW_SR2_ID);
	}
	/* the holder reaches the card: the key set its ES5 would use is there */
	CU_ASSERT_EQUAL_FATAL(smsr_store_keyset_get(holder->store, cw.eid, SMSR_KEYSET_SCP80, -1, &ks), 0);
	ck = cw_card_ks(ks.kvn);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ck);
	TEST_ASSERT_MEM_EQ(ks.kic, ks.kic_len, ck->key[0], 16);
	TEST_ASSERT_MEM_EQ(ks.kid, ks.kid_len, ck->key[1], 16);
	/* the MNO got one answer, success iff the eUICC moved */
	CU_ASSERT_EQUAL(cw.mno.n, 1);
	CU_ASSERT_EQUAL(cw.mno.status != ES_STATUS_FAILED, holder == &cw.sr2);
	/* audit trails: SR1 recorded the outcome of its handover once; SR2 an incoming one in line with it */
	/* (a torn statement in SR1's first transaction refuses SMSRChange before anything started: no
	 * record then, the MNO got Failed) */
	CU_ASSERT(n1 == 1 || (torn && holder == &cw.sr1 && n1 == 0 && cw.mno.status == ES_STATUS_FAILED));
	if (n1 >= 1) {
		CU_ASSERT_EQUAL(a1[n1 - 1].op_type, 0x0A00);
		CU_ASSERT_EQUAL(a1[n1 - 1].status != ES_STATUS_FAILED, holder == &cw.sr2);
	}
	if (holder == &cw.sr2) {
		CU_ASSERT_EQUAL_FATAL(n2 >= 1, true);
		CU_ASSERT_EQUAL(a2[n2 - 1].op_type, 0x0900);
		CU_ASSERT_NOT_EQUAL(a2[n2 - 1].status, ES_STATUS_FAILED);
	} else {
		for (size_t i = 0; i < n2; i++)
			CU_ASSERT_EQUAL(a2[i].status, ES_STATUS_FAILED);
	}
}

/* Kill s right after it stored step (tear its last transaction after fail_k statements when fail_k > 0),
 * keep it down until the rest ran when down is set, restart it, run everything out. false when the step
 * was never reached. */
static bool kill_at(struct cw_side *s, const char *step, unsigned int fail_k, bool down)
{
	char what[128];
	unsigned int n = 0;
	bool found = false;

	/* a dry run finds the event that stores the step (the flow is the same every time) */
	cw_open();
	cw_register_eis(cw.pki.ecasd_cert, cw.pki.ecasd_cert_len);
	n_events = 0;
	while (!found && advance())
		found = at_step(s, step);
	n = n_events;
	cw_close();
	if (!found)
		return false;

	snprintf(what, sizeof(what), "kill %s at %s%s%s", s->id, step, fail_k ? ", statement torn" : "",
		 down ? ", kept down" : "");
	btw("%s (event %u)", what, n);
	cw_open();
	cw_register_eis(cw.pki.ecasd_cert, cw.pki.ecasd_cert_len);
	n_events = 0;
	while (n_events + 1 < n)
		advance();
	if (fail_k)
		smsr_store_fail_after(s->store, fail_k);
	advance();
	kill_side(s);
	if (down) {
		run_out();
		expire_all();
	}
	restart_side(s);
	run_out();
	expire_all();
	assert_one_holder(what, fail_k > 0);
	world_teardown();
	return true;
}

void test_smsr_change_kill_every_step(void)
{
	for (size_t i = 0; i < ARRAY_SIZE(sr1_steps); i++)
		CU_ASSERT_TRUE(kill_at(&cw.sr1, sr1_steps[i], 0, false));
	for (size_t i = 0; i < ARRAY_SIZE(sr2_steps); i++)
		CU_ASSERT_TRUE(kill_at(&cw.sr2, sr2_steps[i], 0, false));
}

/* Each side killed at each step and kept down while the other runs on. SR1 killed at 22 and still down
 * when SR2 answers step 28 loses that answer: after its restart SR1 asks again (HandoverEUICC with the
 * same FunctionCallIdentifier) and SR2 answers "eUICC already managed" from its EIS. */
void test_smsr_change_kill_every_step_kept_down(void)
{
	for (size_t i = 0; i < ARRAY_SIZE(sr1_steps); i++)
		CU_ASSERT_TRUE(kill_at(&cw.sr1, sr1_steps[i], 0, true));
	for (size_t i = 0; i < ARRAY_SIZE(sr2_steps); i++)
		CU_ASSERT_TRUE(kill_at(&cw.sr2, sr2_steps[i], 0, true));
}

void test_smsr_change_kill_between_statements(void)
{
	for (unsigned int k = 1; k <= 3; k++) {
		for (size_t i = 0; i < ARRAY_SIZE(sr1_steps); i++)
			kill_at(&cw.sr1, sr1_steps[i], k, false);
		for (size_t i = 0; i < ARRAY_SIZE(sr2_steps); i++)
			kill_at(&cw.sr2, sr2_steps[i], k, false);
	}
}
