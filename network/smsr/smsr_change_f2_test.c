/* The F2 meaning of FinaliseISDRhandover per eUICC (digest §8; smsr_change_cfg.eisvar, smsr_eisvar.h), through
 * whole SM-SR Changes in the in-process world (smsr_chgworld.h: SR1, SR2, a computed card that applies F2
 * as ITS reading says). SR2's daemon-wide value stays delete-list; a rule gives eUICC 1 keep-list. Three
 * eUICCs go from SR1 to SR2 one after the other:
 *   1: rule keep-list, card reads keep-list    -> the card keeps SR2's new key set only (SR1's deleted);
 *   2: no rule (delete-list), card delete-list -> the same end state;
 *   3: rule keep-list, card reads delete-list  -> F2 names SR2's key set in use, the card refuses, SR1's
 *      stays, Executed-WithWarning: proof that the rule, not the daemon-wide value, decided what SR2 sent. */
#include <stdio.h>
#include <string.h>

#include <osmocom/core/logging.h>
#include <osmocom/core/timer.h>
#include <talloc.h>

#include "lib/es5/es5.h"
#include "lib/test/runner.h"
#include "network/smsr/smsr_change.h"
#include "network/smsr/smsr_chgworld.h"
#include "network/smsr/smsr_eisvar.h"
#include "network/smsr/smsr_log.h"

#define btw(fmt, args...) fprintf(stderr, "\n--- " fmt "\n", ##args)

static void *ctx;
static struct smsr_eisvar rules;

int suite_setup(void)
{
	ctx = talloc_named_const(NULL, 0, "smsr_change_f2_test");
	test_osmo_log_init(ctx, &smsr_log_info, LOGL_NOTICE);
	osmo_gettimeofday_override = true;
	osmo_gettimeofday_override_time = (struct timeval){ .tv_sec = 1700000000 };
	osmo_tdefs_reset(smsr_change_tdefs);
	return cw_init(&(struct cw_cfg){ .ctx = ctx, .db_dir = NULL, .narrate = false });
}

int suite_teardown(void)
{
	cw_fini();
	log_fini();
	talloc_free(ctx);
	return 0;
}

/* eUICC i of the world (cw_euicc_fresh), its card reading F2 as card_f2, registered at SR1, handed over to
 * SR2 (PrepareSMSRChange, SMSRChange, everything delivered). */
static void change_one(unsigned int i, enum es5_f2_semantics card_f2)
{
	cw_euicc_fresh(i);
	cw.card.f2 = card_f2;
	cw_register_eis(cw.pki.ecasd_cert, cw.pki.ecasd_cert_len);
	cw_mno_prepare(600);
	CU_ASSERT_EQUAL(cw.mno.status, ES_STATUS_EXECUTED_SUCCESS);
	cw_mno_smsr_change(600);
	cw_pump();
	CU_ASSERT_EQUAL(cw.mno.n, 1);
	CU_ASSERT_EQUAL(cw.mno.id, ES_MSG_ES4_SMSR_CHANGE_RESP);
	CU_ASSERT_EQUAL(cw_eis_state(&cw.sr1), 0);
	CU_ASSERT_EQUAL(cw_eis_state(&cw.sr2), SMSR_EIS_ACTIVE);
	printf("  eUICC %s: SMSRChange %s, card key sets:", cw.eid, get_value_string(es_status_names, cw.mno.status));
	for (unsigned int k = 0; k < ARRAY_SIZE(cw.card.ks); k++)
		if (cw.card.ks[k].present)
			printf(" %02X", cw.card.ks[k].kvn);
	printf("\n");
}

void test_change_f2_per_eid(void)
{
	char p1[31], p3[31], err[160];

	cw_open();
	/* the first 30 digits of eUICCs 1 and 3 (cw_euicc_fresh) as prefixes: nothing else matches them */
	snprintf(p1, sizeof(p1), "890010120123412340%012u", 1u);
	snprintf(p3, sizeof(p3), "890010120123412340%012u", 3u);
	memset(&rules, 0, sizeof(rules));
	CU_ASSERT_EQUAL_FATAL(smsr_eisvar_set(&rules, p1, "f2", "keep-list", err, sizeof(err)), 0);
	CU_ASSERT_EQUAL_FATAL(smsr_eisvar_set(&rules, p3, "f2", "keep-list", err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(cw.sr2.cfg.f2, ES5_F2_DELETE_LIST); /* the daemon-wide value */
	cw.sr2.cfg.eisvar = &rules;
	cw_side_close(&cw.sr2);
	cw_side_open(&cw.sr2);

	btw("eUICC 1: its rule says keep-list, and so does the card: SR1's key set 01 goes, SR2's 02 stays");
	change_one(1, ES5_F2_KEEP_LIST);
	CU_ASSERT_EQUAL(cw.mno.status, ES_STATUS_EXECUTED_SUCCESS);
	CU_ASSERT_PTR_NULL(cw_card_ks(0x01));
	CU_ASSERT_PTR_NOT_NULL(cw_card_ks(0x02));

	btw("eUICC 2: no rule, the daemon's delete-list, a delete-list card: the same end state");
	change_one(2, ES5_F2_DELETE_LIST);
	CU_ASSERT_EQUAL(cw.mno.status, ES_STATUS_EXECUTED_SUCCESS);
	CU_ASSERT_PTR_NULL(cw_card_ks(0x01));
	CU_ASSERT_PTR_NOT_NULL(cw_card_ks(0x02));

	btw("eUICC 3: its rule says keep-list but the card reads delete-list: the F2 list names SR2's key set 02 "
	    "(in use), the card refuses, SR1's 01 stays: a warning (what SR2 sent followed the rule, not the "
	    "daemon-wide delete-list that worked for eUICC 2)");
	change_one(3, ES5_F2_DELETE_LIST);
	CU_ASSERT_EQUAL(cw.mno.status, ES_STATUS_EXECUTED_WITHWARNING);
	CU_ASSERT_PTR_NOT_NULL(cw_card_ks(0x01));
	CU_ASSERT_PTR_NOT_NULL(cw_card_ks(0x02));

	cw_drop_queue();
	cw_close();
}
