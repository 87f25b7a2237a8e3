/* Narrative tests of the SM-DP procedures (osmo-msc msc_vlr style): the download FSM and the ES2 relays
 * against the stub SM-SR + eUICC (stubcard.h, built from the lib/ card-side functions), every error row
 * of digest §3.1-§3.3, a timeout at each step, restart recovery, and refused input changing nothing.
 * Time is faked (osmo_clock_override), nothing here waits. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <osmocom/core/application.h>
#include <osmocom/core/fsm.h>
#include <osmocom/core/select.h>
#include <osmocom/core/talloc.h>
#include <osmocom/core/timer.h>

#include "lib/test/runner.h"
#include "network/smdp/dl.h"
#include "network/smdp/logging.h"
#include "lib/es5/es5.h"
#include "network/smdp/relay.h"
#include "network/smdp/stubcard.h"

#define EID   "89001012012341234012345678901224"
#define ICCID "8949000000000000011"
#define IMSI  "001010000000011"

#define MNO_FROM	 "https://mno.example:8445/es2?EntityId=1.3.6.1.4.1.99999.3"
#define MNO_REPLY_TO	 "https://mno.example:8445/es2-callbacks?EntityId=1.3.6.1.4.1.99999.3"
#define MNO_REPLY_TO_URL "https://mno.example:8445/es2-callbacks"
#define MNO_MSG_ID	 "//1.3.6.1.4.1.99999.3/urn:uuid:0f2c4cde-93a1-4c5e-8c53-7f6de0d1b001"

static void *ctx;
static char dbpath[128];

struct fx {
	struct smdp_cfg cfg;
	struct smdp_store *store;
	struct smdp_stub *st;
	struct smdp *s;
};
static struct fx fx;
/* Each request of the MNO is a new function call: fci-1, fci-2, ... (SGP.02 §5.1); a retry repeats one. */
static unsigned int fci_n;

int suite_setup(void)
{
	char tmpl[] = "/tmp/smdp_dl_XXXXXX";
	int fd;

	ctx = talloc_named_const(NULL, 0, "dl_test");
	osmo_init_logging2(ctx, &smdp_log_info);
	log_set_print_timestamp(osmo_stderr_target, 0);
	log_set_log_level(osmo_stderr_target, LOGL_FATAL);
	osmo_clock_override_enable(CLOCK_MONOTONIC, true);
	osmo_gettimeofday_override = true;
	smdp_fsms_init();
	fd = mkstemp(tmpl);
	if (fd < 0)
		return -1;
	close(fd);
	snprintf(dbpath, sizeof(dbpath), "%s", tmpl);
	return 0;
}

int suite_teardown(void)
{
	char p[160];

	unlink(dbpath);
	snprintf(p, sizeof(p), "%s-wal", dbpath);
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", dbpath);
	unlink(p);
	talloc_free(ctx);
	return 0;
}

static void up(void)
{
	struct smdp_ops ops;

	memset(&fx, 0, sizeof(fx));
	fci_n = 0;
	smdp_cfg_init(&fx.cfg);
	unlink(dbpath);
	CU_ASSERT_EQUAL_FATAL(smdp_store_open(ctx, dbpath, &fx.store), 0);
	fx.st = smdp_stub_alloc(ctx, &fx.cfg);
	CU_ASSERT_PTR_NOT_NULL_FATAL(fx.st);
	/* Several segments for a ~400-byte package. */
	smdp_cfg_peer(&fx.cfg, "sr1", false)->v.segment_size = 128;
	smdp_stub_ops(fx.st, &ops);
	fx.s = smdp_alloc(ctx, &fx.cfg, fx.store, &ops);
	CU_ASSERT_PTR_NOT_NULL_FATAL(fx.s);
	fx.st->s = fx.s;
	CU_ASSERT_EQUAL_FATAL(smdp_stub_add_profile(fx.store, ICCID, IMSI, "m2m"), 0);
}

static void down(void)
{
	smdp_free(fx.s);
	smdp_stub_free(fx.st);
	smdp_store_close(fx.store);
	smdp_cfg_fini(&fx.cfg);
}

/* Let time pass (faked) and fire the timers that expire. */
static void time_passes(int secs)
{
	osmo_clock_override_add(CLOCK_MONOTONIC, secs, 0);
	osmo_gettimeofday_override_add(secs, 0);
	osmo_timers_prepare();
	osmo_timers_update();
}

static void download_fci(const char *fci, const char *eid_hex, const char *smsr, const char *iccid, const char *type,
			 bool enable, const char *mno_ref)
{
	struct es_msg *m = talloc_zero(ctx, struct es_msg);
	uint8_t eid[16];
	int n = osmo_hexparse(eid_hex, eid, sizeof(eid));

	m->id = ES_MSG_ES2_DOWNLOAD_PROFILE_REQ;
	m->u.es2_download_profile_req.present = true;
	m->u.es2_download_profile_req.function_call_identifier = fci;
	m->u.es2_download_profile_req.eid = (struct es_hex){ eid, n > 0 ? (size_t)n : 0 };
	m->u.es2_download_profile_req.smsr_id = smsr;
	m->u.es2_download_profile_req.iccid = iccid;
	m->u.es2_download_profile_req.profile_type = type;
	m->u.es2_download_profile_req.enable_profile = (struct es_bool){ true, enable };
	/* The MNO's WS-A headers, as lib/esnet decodes them: the answer of a recovered download uses them. */
	m->wsa.from = MNO_FROM;
	m->wsa.reply_to = MNO_REPLY_TO;
	m->wsa.message_id = MNO_MSG_ID;
	m->ns_seen = ES_NS_V1;
	CU_ASSERT_EQUAL(smdp_es2_rx(fx.s, m, mno_ref), 0);
	talloc_free(m);
}

static void download(const char *eid_hex, const char *smsr, const char *iccid, const char *type, bool enable)
{
	char fci[16];

	snprintf(fci, sizeof(fci), "fci-%u", ++fci_n);
	download_fci(fci, eid_hex, smsr, iccid, type, enable, "mno-ref-1");
}

static enum smdp_profile_state pstate(void)
{
	struct smdp_profile p;

	CU_ASSERT_EQUAL_FATAL(smdp_store_profile_get(fx.store, ICCID, &p), 0);
	return p.state;
}

static int count_active(const struct smdp_dl_rec *r, void *priv)
{
	(*(unsigned int *)priv)++;
	return 0;
}

static unsigned int active_rows(void)
{
	unsigned int n = 0;

	smdp_store_dl_foreach_active(fx.store, count_active, &n);
	return n;
}

static void assert_failed_with(const char *subject, const char *reason)
{
	CU_ASSERT_EQUAL(fx.st->last_es2_id, ES_MSG_ES2_DOWNLOAD_PROFILE_RESP);
	CU_ASSERT_EQUAL(fx.st->last_status, ES_STATUS_FAILED);
	CU_ASSERT_STRING_EQUAL(fx.st->last_subject, subject);
	CU_ASSERT_STRING_EQUAL(fx.st->last_reason, reason);
}

/* After a failure once CreateISDP went out: exactly one clean-up, no ISD-P left, profile bound. */
static void assert_cleaned_up(void)
{
	CU_ASSERT_EQUAL(fx.st->n_calls[ES_MSG_ES3_DELETE_ISDP_REQ], 1);
	CU_ASSERT_FALSE(fx.st->isdp);
	CU_ASSERT_EQUAL(pstate(), SMDP_PROFILE_RESERVED);
	CU_ASSERT_EQUAL(active_rows(), 0);
	CU_ASSERT_EQUAL(fx.s->active_dl, 0);
}

void test_dl_nominal_no_enable(void)
{
	up();
	/* Step 1: the MNO orders a download by profile type. */
	download(EID, "sr1", NULL, "m2m", false);
	CU_ASSERT_EQUAL(fx.st->n_es2_resp, 0); /* asynchronous */
	CU_ASSERT_EQUAL(pstate(), SMDP_PROFILE_RESERVED);
	smdp_stub_run(fx.st);
	/* Steps 2-18 and 27. */
	CU_ASSERT_EQUAL(fx.st->n_calls[ES_MSG_ES3_GET_EIS_REQ], 1);
	CU_ASSERT_EQUAL(fx.st->n_calls[ES_MSG_ES3_CREATE_ISDP_REQ], 1);
	CU_ASSERT(fx.st->segments > 2);
	CU_ASSERT_EQUAL(fx.st->n_calls[ES_MSG_ES3_SEND_DATA_REQ], 3 + fx.st->segments);
	CU_ASSERT_EQUAL(fx.st->n_calls[ES_MSG_ES3_PROFILE_DOWNLOAD_COMPLETED_REQ], 1);
	CU_ASSERT_EQUAL(fx.st->n_calls[ES_MSG_ES3_ENABLE_PROFILE_REQ], 0);
	CU_ASSERT_EQUAL(fx.st->n_calls[ES_MSG_ES3_DELETE_ISDP_REQ], 0);
	CU_ASSERT_EQUAL(fx.st->isdp_state, 0x1F); /* DISABLED after PE-End (digest §3.3 step 16) */
	CU_ASSERT_EQUAL(fx.st->n_es2_resp, 1);
	CU_ASSERT_EQUAL(fx.st->last_status, ES_STATUS_EXECUTED_SUCCESS);
	CU_ASSERT_STRING_EQUAL(fx.st->last_iccid, ICCID);
	CU_ASSERT_STRING_EQUAL(fx.st->last_mno_ref, "mno-ref-1");
	CU_ASSERT_EQUAL(pstate(), SMDP_PROFILE_DOWNLOADED);
	CU_ASSERT_EQUAL(active_rows(), 0);
	CU_ASSERT_EQUAL(fx.s->active_dl, 0);
	down();
}

void test_dl_nominal_enable(void)
{
	up();
	download(EID, "sr1", ICCID, NULL, true);
	smdp_stub_run(fx.st);
	CU_ASSERT_EQUAL(fx.st->n_calls[ES_MSG_ES3_ENABLE_PROFILE_REQ], 1);
	CU_ASSERT_EQUAL(fx.st->isdp_state, 0x3F);
	CU_ASSERT_EQUAL(fx.st->last_status, ES_STATUS_EXECUTED_SUCCESS);
	CU_ASSERT_EQUAL(pstate(), SMDP_PROFILE_ENABLED);
	down();
}

void test_dl_enable_refused_is_warning(void)
{
	up();
	fx.st->enable_fail = true;
	download(EID, "sr1", ICCID, NULL, true);
	smdp_stub_run(fx.st);
	/* Step 27: downloaded, enabling failed = Executed-WithWarning; no clean-up of a good profile. */
	CU_ASSERT_EQUAL(fx.st->last_status, ES_STATUS_EXECUTED_WITHWARNING);
	/* the SM-SR's reason (POL1 refuses: 8.2.2 / 3.8) reaches the MNO */
	CU_ASSERT_STRING_EQUAL(fx.st->last_subject, "8.2.2");
	CU_ASSERT_STRING_EQUAL(fx.st->last_reason, "3.8");
	CU_ASSERT_EQUAL(fx.st->n_calls[ES_MSG_ES3_DELETE_ISDP_REQ], 0);
	CU_ASSERT_EQUAL(pstate(), SMDP_PROFILE_DOWNLOADED);
	down();
}

void test_dl_unknown_eid(void)
{
	up();
	fx.st->unknown_eid = true;
	download(EID, "sr1", ICCID, NULL, false);
	smdp_stub_run(fx.st);
	assert_failed_with("8.1.1", "1.1");
	CU_ASSERT_EQUAL(fx.st->n_calls[ES_MSG_ES3_CREATE_ISDP_REQ], 0);
	CU_ASSERT_EQUAL(fx.st->n_calls[ES_MSG_ES3_DELETE_ISDP_REQ], 0);
	/* Never reached a card: back to the pool. */
	CU_ASSERT_EQUAL(pstate(), SMDP_PROFILE_AVAILABLE);
	CU_ASSERT_EQUAL(active_rows(), 0);
	down();
}

void test_dl_bad_ecasd_certificate(void)
{
	up();
	CU_ASSERT_EQUAL_FATAL(smdp_stub_bad_ecasd_cert(fx.st), 0);
	download(EID, "sr1", ICCID, NULL, false);
	smdp_stub_run(fx.st);
	assert_failed_with("8.5.2", "6.1");
	CU_ASSERT_EQUAL(fx.st->n_calls[ES_MSG_ES3_CREATE_ISDP_REQ], 0);
	CU_ASSERT_EQUAL(pstate(), SMDP_PROFILE_AVAILABLE);
	down();
}

void test_dl_not_enough_memory(void)
{
	up();
	fx.st->remaining_memory = 100;
	download(EID, "sr1", ICCID, NULL, false);
	smdp_stub_run(fx.st);
	assert_failed_with("8.1", "4.1");
	CU_ASSERT_EQUAL(fx.st->n_calls[ES_MSG_ES3_CREATE_ISDP_REQ], 0);
	down();
}

void test_dl_create_isdp_failure(void)
{
	up();
	fx.st->create_fail = true;
	download(EID, "sr1", ICCID, NULL, false);
	smdp_stub_run(fx.st);
	assert_failed_with("8.4", "4.2");
	/* The SM-SR may hold a half-created ISD-P: the clean-up is asked for anyway. */
	CU_ASSERT_EQUAL(fx.st->n_calls[ES_MSG_ES3_DELETE_ISDP_REQ], 1);
	CU_ASSERT_EQUAL(pstate(), SMDP_PROFILE_RESERVED);
	CU_ASSERT_EQUAL(active_rows(), 0);
	down();
}

void test_dl_wrong_receipt(void)
{
	up();
	fx.st->corrupt_receipt = true;
	download(EID, "sr1", ICCID, NULL, false);
	smdp_stub_run(fx.st);
	assert_failed_with("8.4", "6.1");
	CU_ASSERT_EQUAL(fx.st->n_created, 1);
	CU_ASSERT_EQUAL(fx.st->n_deleted, 1);
	CU_ASSERT_EQUAL(fx.st->segments, 0);
	assert_cleaned_up();
	down();
}

void test_dl_segment_error(void)
{
	up();
	fx.st->seg_error = 2;
	download(EID, "sr1", ICCID, NULL, false);
	smdp_stub_run(fx.st);
	assert_failed_with("8.4", "4.2");
	/* 3A01, 3A02, 84+85, the good 86, the refused 86: no segment after the failing one. */
	CU_ASSERT_EQUAL(fx.st->n_calls[ES_MSG_ES3_SEND_DATA_REQ], 5);
	CU_ASSERT_EQUAL(fx.st->n_calls[ES_MSG_ES3_PROFILE_DOWNLOAD_COMPLETED_REQ], 0);
	assert_cleaned_up();
	down();
}

void test_dl_pe_error(void)
{
	up();
	fx.st->pe_error = SAIP_ST_NOT_ENOUGH_MEMORY;
	download(EID, "sr1", ICCID, NULL, false);
	smdp_stub_run(fx.st);
	assert_failed_with("8.2", "4.2");
	CU_ASSERT_PTR_NOT_NULL(strstr(fx.st->last_message, "PE 1"));
	CU_ASSERT_EQUAL(fx.st->n_calls[ES_MSG_ES3_PROFILE_DOWNLOAD_COMPLETED_REQ], 0);
	assert_cleaned_up();
	down();
}

void test_dl_pdc_failure(void)
{
	up();
	fx.st->pdc_fail = true;
	download(EID, "sr1", ICCID, NULL, false);
	smdp_stub_run(fx.st);
	CU_ASSERT_EQUAL(fx.st->last_status, ES_STATUS_FAILED);
	assert_cleaned_up();
	down();
}

/* A timeout in each step; once CreateISDP went out, the clean-up follows. */
void test_dl_timeout_each_step(void)
{
	static const struct {
		enum es_msg_id id;
		unsigned int nth;
		bool cleanup;
	} rows[] = {
		{ ES_MSG_ES3_GET_EIS_REQ, 1, false },
		{ ES_MSG_ES3_CREATE_ISDP_REQ, 1, true },
		{ ES_MSG_ES3_SEND_DATA_REQ, 1, true }, /* INSTALL + 3A01 */
		{ ES_MSG_ES3_SEND_DATA_REQ, 2, true }, /* 3A02 */
		{ ES_MSG_ES3_SEND_DATA_REQ, 3, true }, /* 84 + 85 */
		{ ES_MSG_ES3_SEND_DATA_REQ, 5, true }, /* second 86 */
		{ ES_MSG_ES3_PROFILE_DOWNLOAD_COMPLETED_REQ, 1, true },
	};

	for (size_t i = 0; i < ARRAY_SIZE(rows); i++) {
		up();
		fx.st->drop = rows[i].id;
		fx.st->drop_nth = rows[i].nth;
		download(EID, "sr1", ICCID, NULL, false);
		smdp_stub_run(fx.st);
		CU_ASSERT_EQUAL(fx.st->n_es2_resp, 0);
		CU_ASSERT_EQUAL(fx.s->active_dl, 1);
		time_passes(700); /* longer than any step timer */
		smdp_stub_run(fx.st);
		assert_failed_with("1.6", "5.4");
		CU_ASSERT_EQUAL(fx.s->active_dl, 0);
		if (rows[i].cleanup) {
			assert_cleaned_up();
		} else {
			CU_ASSERT_EQUAL(fx.st->n_calls[ES_MSG_ES3_DELETE_ISDP_REQ], 0);
			CU_ASSERT_EQUAL(pstate(), SMDP_PROFILE_AVAILABLE);
		}
		down();
	}
}

void test_dl_timeout_enable(void)
{
	up();
	fx.st->drop = ES_MSG_ES3_ENABLE_PROFILE_REQ;
	fx.st->drop_nth = 1;
	download(EID, "sr1", ICCID, NULL, true);
	smdp_stub_run(fx.st);
	time_passes(700);
	CU_ASSERT_EQUAL(fx.st->last_status, ES_STATUS_EXECUTED_WITHWARNING);
	CU_ASSERT_EQUAL(pstate(), SMDP_PROFILE_DOWNLOADED);
	CU_ASSERT_EQUAL(fx.st->n_calls[ES_MSG_ES3_DELETE_ISDP_REQ], 0);
	down();
}

/* Step 27 of a download recovered after a restart went out once, as a callback to the stored return
 * address (the transport handle of the old process is not used). */
static void assert_answered_by_callback(void)
{
	CU_ASSERT_EQUAL(fx.st->n_es2_callback, 1);
	CU_ASSERT_EQUAL(fx.st->n_es2_resp, 1);
	CU_ASSERT_STRING_EQUAL(fx.st->last_mno_ref, "");
	CU_ASSERT_STRING_EQUAL(fx.st->last_ret.reply_to, MNO_REPLY_TO_URL);
	CU_ASSERT_STRING_EQUAL(fx.st->last_ret.message_id, MNO_MSG_ID);
	CU_ASSERT_STRING_EQUAL(fx.st->last_ret.fci, "fci-1");
	CU_ASSERT_EQUAL(fx.st->last_ret.ns, ES_NS_V1);
	CU_ASSERT_EQUAL(fx.st->last_iccid[0] != '\0', true);
}

/* DeleteISDP itself times out or fails: retried, then left for the next start (row stays active). */
void test_dl_cleanup_failure_left_for_restart(void)
{
	struct smdp_ops ops;

	up();
	fx.st->corrupt_receipt = true;
	fx.st->delete_fail = true;
	download(EID, "sr1", ICCID, NULL, false);
	smdp_stub_run(fx.st);
	CU_ASSERT_EQUAL(fx.st->n_calls[ES_MSG_ES3_DELETE_ISDP_REQ], fx.cfg.delete_retries);
	assert_failed_with("8.4", "6.1");
	CU_ASSERT_EQUAL(active_rows(), 1);
	CU_ASSERT(fx.st->isdp);
	/* Restart: the clean-up resumes and now succeeds. */
	smdp_free(fx.s);
	fx.st->delete_fail = false;
	smdp_stub_ops(fx.st, &ops);
	fx.s = smdp_alloc(ctx, &fx.cfg, fx.store, &ops);
	fx.st->s = fx.s;
	CU_ASSERT_EQUAL(smdp_recover(fx.s), 1);
	smdp_stub_run(fx.st);
	CU_ASSERT_FALSE(fx.st->isdp);
	CU_ASSERT_EQUAL(active_rows(), 0);
	CU_ASSERT_EQUAL(pstate(), SMDP_PROFILE_RESERVED);
	/* The MNO had its answer before the restart: the resumed clean-up does not answer again. */
	CU_ASSERT_EQUAL(fx.st->n_es2_resp, 1);
	CU_ASSERT_EQUAL(fx.st->n_es2_callback, 0);
	down();
}

/* Crash in the middle of the key establishment: the store is reopened, the ISD-P is deleted. */
void test_dl_restart_mid_download_cleans_up(void)
{
	struct smdp_ops ops;

	up();
	fx.st->drop = ES_MSG_ES3_SEND_DATA_REQ;
	fx.st->drop_nth = 2; /* the answer to 3A02 never comes: the SM-DP "crashes" meanwhile */
	download(EID, "sr1", ICCID, NULL, false);
	smdp_stub_run(fx.st);
	CU_ASSERT(fx.st->isdp);
	CU_ASSERT_EQUAL(fx.s->active_dl, 1);
	smdp_free(fx.s); /* the process dies: no answer to the MNO, the row stays */
	smdp_store_close(fx.store);
	CU_ASSERT_EQUAL(fx.st->n_es2_resp, 0);
	CU_ASSERT_EQUAL_FATAL(smdp_store_open(ctx, dbpath, &fx.store), 0);
	CU_ASSERT_EQUAL(active_rows(), 1);
	CU_ASSERT_EQUAL(pstate(), SMDP_PROFILE_DOWNLOADING);
	smdp_stub_ops(fx.st, &ops);
	fx.s = smdp_alloc(ctx, &fx.cfg, fx.store, &ops);
	fx.st->s = fx.s;
	CU_ASSERT_EQUAL(smdp_recover(fx.s), 1);
	smdp_stub_run(fx.st);
	assert_failed_with("1.6", "4.2");
	assert_answered_by_callback();
	assert_cleaned_up();
	down();
}

/* Crash after the download, before ProfileDownloadCompleted was answered: resumed, not deleted. */
void test_dl_restart_at_completed_resumes(void)
{
	struct smdp_ops ops;

	up();
	fx.st->drop = ES_MSG_ES3_PROFILE_DOWNLOAD_COMPLETED_REQ;
	fx.st->drop_nth = 1;
	download(EID, "sr1", ICCID, NULL, true);
	smdp_stub_run(fx.st);
	/* Killed between steps 17 and 18: the process and its store handle are gone. */
	smdp_free(fx.s);
	smdp_store_close(fx.store);
	CU_ASSERT_EQUAL(fx.st->n_es2_resp, 0);
	CU_ASSERT_EQUAL_FATAL(smdp_store_open(ctx, dbpath, &fx.store), 0);
	smdp_stub_ops(fx.st, &ops);
	fx.s = smdp_alloc(ctx, &fx.cfg, fx.store, &ops);
	fx.st->s = fx.s;
	CU_ASSERT_EQUAL(smdp_recover(fx.s), 1);
	smdp_stub_run(fx.st);
	CU_ASSERT_EQUAL(fx.st->n_calls[ES_MSG_ES3_PROFILE_DOWNLOAD_COMPLETED_REQ], 2);
	CU_ASSERT_EQUAL(fx.st->n_calls[ES_MSG_ES3_DELETE_ISDP_REQ], 0);
	CU_ASSERT_EQUAL(fx.st->last_status, ES_STATUS_EXECUTED_SUCCESS);
	assert_answered_by_callback();
	CU_ASSERT_EQUAL(pstate(), SMDP_PROFILE_ENABLED);
	down();
}

/* Crash before CreateISDP: the procedure starts again from GetEIS. */
void test_dl_restart_at_get_eis_resumes(void)
{
	struct smdp_ops ops;

	up();
	fx.st->drop = ES_MSG_ES3_GET_EIS_REQ;
	fx.st->drop_nth = 1;
	download(EID, "sr1", ICCID, NULL, false);
	smdp_stub_run(fx.st);
	smdp_free(fx.s);
	smdp_stub_ops(fx.st, &ops);
	fx.s = smdp_alloc(ctx, &fx.cfg, fx.store, &ops);
	fx.st->s = fx.s;
	CU_ASSERT_EQUAL(smdp_recover(fx.s), 1);
	smdp_stub_run(fx.st);
	CU_ASSERT_EQUAL(fx.st->last_status, ES_STATUS_EXECUTED_SUCCESS);
	CU_ASSERT_EQUAL(pstate(), SMDP_PROFILE_DOWNLOADED);
	down();
}

/* Malformed or refused ES2 input: answered Failed, no state changes, nothing sent to the SM-SR. */
void test_dl_refused_input_changes_nothing(void)
{
	static const struct {
		const char *eid, *smsr, *iccid, *type, *subject, *reason;
	} rows[] = {
		{ "8900", "sr1", ICCID, NULL, "8.1.1", "2.1" },
		{ EID, "sr9", ICCID, NULL, "8.7", "1.1" },
		{ EID, NULL, ICCID, NULL, "8.7", "1.1" },
		{ EID, "sr1", "8949000000000000099", NULL, "8.2.1", "1.1" },
		{ EID, "sr1", "89490000000000000ab", NULL, "8.2.1", "1.1" },
		{ EID, "sr1", ICCID, "other", "8.2.5", "2.1" },
		{ EID, "sr1", NULL, "other", "8.2.5", "3.7" },
	};

	up();
	for (size_t i = 0; i < ARRAY_SIZE(rows); i++) {
		download(rows[i].eid, rows[i].smsr, rows[i].iccid, rows[i].type, false);
		assert_failed_with(rows[i].subject, rows[i].reason);
		CU_ASSERT_EQUAL(pstate(), SMDP_PROFILE_AVAILABLE);
		CU_ASSERT_EQUAL(active_rows(), 0);
	}
	CU_ASSERT_EQUAL(smdp_stub_run(fx.st), 0);
	for (size_t i = 0; i < ES_MSG__COUNT; i++)
		CU_ASSERT_EQUAL(fx.st->n_calls[i], 0);
	/* Not an ES2 request at all. */
	{
		struct es_msg m = { .id = ES_MSG_ES3_GET_EIS_REQ };
		CU_ASSERT_EQUAL(smdp_es2_rx(fx.s, &m, "x"), -ENOTSUP);
	}
	/* The same profile twice while the first download runs. */
	download(EID, "sr1", ICCID, NULL, false);
	download(EID, "sr1", ICCID, NULL, false);
	assert_failed_with("8.2.1", "3.3");
	smdp_stub_run(fx.st);
	CU_ASSERT_EQUAL(fx.st->last_status, ES_STATUS_EXECUTED_SUCCESS);
	/* ... and to another eUICC after it was handed to this one: digest §6.5 "8.2.1 Invalid
	 * destination" (3.4, open-questions §11). */
	download("89001012012341234012345678901299", "sr1", ICCID, NULL, false);
	assert_failed_with("8.2.1", "3.4");
	down();
}

void test_dl_late_answer_dropped(void)
{
	up();
	smdp_es3_rx(fx.s, 4242, 0, NULL);
	CU_ASSERT_EQUAL(rate_ctr_group_get_ctr(fx.s->ctrs, SMDP_CTR_ES3_RX_LATE)->current, 1);
	down();
}

/* Variants of digest §8 per peer: both sides agree -> success; they disagree -> clean failure. */
void test_dl_variants(void)
{
	struct smdp_smsr_peer *p;

	up();
	p = smdp_cfg_peer(&fx.cfg, "sr1", false);
	p->v.ecka.isdp_kuq = ECKA_KUQ_5C;
	p->v.ecka.receipt_input = ECKA_RECEIPT_A6_ONLY;
	p->v.ecka.epk_encoding = ECKA_EPK_RAW;
	p->v.scp03t.mcv_after_ea = SCP03T_MCV_RESET;
	p->v.coding = RSCRIPT_INDEFINITE;
	p->v.chaining = SMDP_CHAIN_NONE;
	fx.st->card_v = p->v;
	download(EID, "sr1", ICCID, NULL, false);
	smdp_stub_run(fx.st);
	CU_ASSERT_EQUAL(fx.st->last_status, ES_STATUS_EXECUTED_SUCCESS);
	down();

	up();
	p = smdp_cfg_peer(&fx.cfg, "sr1", false);
	p->v.scp03t.mcv_after_ea = SCP03T_MCV_RESET; /* the card carries the MCV (default) */
	download(EID, "sr1", ICCID, NULL, false);
	smdp_stub_run(fx.st);
	CU_ASSERT_EQUAL(fx.st->last_status, ES_STATUS_FAILED);
	assert_cleaned_up();
	down();
}

static void es2_simple(enum es_msg_id id, const char *eid_hex, const char *iccid)
{
	struct es_msg *m = talloc_zero(ctx, struct es_msg);
	uint8_t eid[16];

	osmo_hexparse(eid_hex, eid, sizeof(eid));
	m->id = id;
	switch (id) {
	case ES_MSG_ES2_ENABLE_PROFILE_REQ:
		m->u.es2_enable_profile_req = (struct es2_enable_profile_req){
			.present = true, .eid = { eid, 16 }, .smsr_id = "sr1", .iccid = iccid
		};
		break;
	case ES_MSG_ES2_DISABLE_PROFILE_REQ:
		m->u.es2_disable_profile_req = (struct es2_disable_profile_req){
			.present = true, .eid = { eid, 16 }, .smsr_id = "sr1", .iccid = iccid
		};
		break;
	case ES_MSG_ES2_DELETE_PROFILE_REQ:
		m->u.es2_delete_profile_req = (struct es2_delete_profile_req){
			.present = true, .eid = { eid, 16 }, .smsr_id = "sr1", .iccid = iccid
		};
		break;
	case ES_MSG_ES2_GET_EIS_REQ:
		m->u.es2_get_eis_req =
			(struct es2_get_eis_req){ .present = true, .eid = { eid, 16 }, .smsr_id = "sr1" };
		break;
	case ES_MSG_ES2_UPDATE_SUBSCRIPTION_ADDRESS_REQ:
		m->u.es2_update_subscription_address_req.present = true;
		m->u.es2_update_subscription_address_req.eid = (struct es_hex){ eid, 16 };
		m->u.es2_update_subscription_address_req.smsr_id = "sr1";
		m->u.es2_update_subscription_address_req.iccid = iccid;
		m->u.es2_update_subscription_address_req.new_subscription_address =
			(struct es_subscription_address){ .present = true, .imsi = IMSI, .msisdn = "491701112233" };
		break;
	case ES_MSG_ES2_UPDATE_POLICY_RULES_REQ:
		m->u.es2_update_policy_rules_req.present = true;
		m->u.es2_update_policy_rules_req.eid = (struct es_hex){ eid, 16 };
		m->u.es2_update_policy_rules_req.smsr_id = "sr1";
		m->u.es2_update_policy_rules_req.iccid = iccid;
		m->u.es2_update_policy_rules_req.pol2.present = true;
		m->u.es2_update_policy_rules_req.pol2.n_rule = 1;
		m->u.es2_update_policy_rules_req.pol2.rule[0] = (struct es_pol2_rule){ true, ES_POL2_SUBJECT_PROFILE,
										       ES_POL2_ACTION_DISABLE,
										       ES_POL2_QUAL_NOT_ALLOWED };
		break;
	default: break;
	}
	CU_ASSERT_EQUAL(smdp_es2_rx(fx.s, m, "relay"), 0);
	talloc_free(m);
	smdp_stub_run(fx.st);
}

void test_relay_functions(void)
{
	struct smdp_profile p;

	up();
	download(EID, "sr1", ICCID, NULL, false);
	smdp_stub_run(fx.st);
	CU_ASSERT_EQUAL_FATAL(pstate(), SMDP_PROFILE_DOWNLOADED);

	es2_simple(ES_MSG_ES2_GET_EIS_REQ, EID, NULL);
	CU_ASSERT_EQUAL(fx.st->last_status, ES_STATUS_EXECUTED_SUCCESS);
	CU_ASSERT(fx.st->last_eis_present);
	es2_simple(ES_MSG_ES2_ENABLE_PROFILE_REQ, EID, ICCID);
	CU_ASSERT_EQUAL(fx.st->last_status, ES_STATUS_EXECUTED_SUCCESS);
	CU_ASSERT_EQUAL(pstate(), SMDP_PROFILE_ENABLED);
	es2_simple(ES_MSG_ES2_DISABLE_PROFILE_REQ, EID, ICCID);
	CU_ASSERT_EQUAL(pstate(), SMDP_PROFILE_DISABLED);
	es2_simple(ES_MSG_ES2_UPDATE_SUBSCRIPTION_ADDRESS_REQ, EID, ICCID);
	es2_simple(ES_MSG_ES2_UPDATE_POLICY_RULES_REQ, EID, ICCID);
	CU_ASSERT_EQUAL(smdp_store_profile_get(fx.store, ICCID, &p), 0);
	CU_ASSERT_STRING_EQUAL(p.msisdn, "491701112233");
	CU_ASSERT_EQUAL(p.pol2, SMDP_POL2_BIT(ES_POL2_ACTION_DISABLE, ES_POL2_QUAL_NOT_ALLOWED));
	/* Not this eUICC's profile: refused, nothing relayed. */
	{
		unsigned int before = fx.st->n_calls[ES_MSG_ES3_DELETE_ISDP_REQ];
		es2_simple(ES_MSG_ES2_DELETE_PROFILE_REQ, "89001012012341234012345678901299", ICCID);
		CU_ASSERT_EQUAL(fx.st->last_status, ES_STATUS_FAILED);
		CU_ASSERT_STRING_EQUAL(fx.st->last_subject, "8.2.1");
		CU_ASSERT_EQUAL(fx.st->n_calls[ES_MSG_ES3_DELETE_ISDP_REQ], before);
	}
	es2_simple(ES_MSG_ES2_DELETE_PROFILE_REQ, EID, ICCID);
	CU_ASSERT_EQUAL(fx.st->last_status, ES_STATUS_EXECUTED_SUCCESS);
	CU_ASSERT_EQUAL(pstate(), SMDP_PROFILE_DELETED);
	down();
}

void test_relay_timeout(void)
{
	up();
	download(EID, "sr1", ICCID, NULL, false);
	smdp_stub_run(fx.st);
	fx.st->drop = ES_MSG_ES3_ENABLE_PROFILE_REQ;
	fx.st->drop_nth = 1;
	es2_simple(ES_MSG_ES2_ENABLE_PROFILE_REQ, EID, ICCID);
	CU_ASSERT_EQUAL(fx.st->last_es2_id, ES_MSG_ES2_DOWNLOAD_PROFILE_RESP); /* not answered yet */
	time_passes(400);
	CU_ASSERT_EQUAL(fx.st->last_es2_id, ES_MSG_ES2_ENABLE_PROFILE_RESP);
	CU_ASSERT_EQUAL(fx.st->last_status, ES_STATUS_FAILED);
	CU_ASSERT_STRING_EQUAL(fx.st->last_reason, "5.4");
	CU_ASSERT_EQUAL(pstate(), SMDP_PROFILE_DOWNLOADED);
	down();
}

void test_es3_notifications_forwarded(void)
{
	struct es_msg n = { .id = ES_MSG_ES3_HANDLE_PROFILE_ENABLED_NOTIF };
	uint8_t eid[16];

	up();
	download(EID, "sr1", ICCID, NULL, false);
	smdp_stub_run(fx.st);
	osmo_hexparse(EID, eid, sizeof(eid));
	n.u.es3_handle_profile_enabled_notif = (struct es3_handle_profile_enabled_notif){
		true, { eid, 16 }, ICCID, "1.3.6.1.4.1.99999.3", "2024-05-01T10:00:00Z"
	};
	CU_ASSERT_EQUAL(smdp_es3_notification(fx.s, &n), 0);
	CU_ASSERT_EQUAL(fx.st->n_es2_notif, 1);
	CU_ASSERT_EQUAL(fx.st->last_es2_id, ES_MSG_ES2_HANDLE_PROFILE_ENABLED_NOTIF);
	CU_ASSERT_EQUAL(pstate(), SMDP_PROFILE_ENABLED);
	/* Someone else's ICCID: not forwarded, nothing changed. */
	n.u.es3_handle_profile_enabled_notif.iccid = "8949000000000000099";
	CU_ASSERT_EQUAL(smdp_es3_notification(fx.s, &n), -ENOENT);
	n.u.es3_handle_profile_enabled_notif.eid.len = 3;
	CU_ASSERT_EQUAL(smdp_es3_notification(fx.s, &n), -EBADMSG);
	CU_ASSERT_EQUAL(fx.st->n_es2_notif, 1);
	down();
}

/* A recovered download whose request carried no usable return address (no WS-A, or a ReplyTo too long
 * to keep): the outcome is stored and logged, nothing is sent anywhere. */
void test_dl_restart_without_return_address(void)
{
	struct smdp_ops ops;
	struct es_msg *m = talloc_zero(ctx, struct es_msg);
	uint8_t eid[16];
	char *long_url = talloc_zero_size(ctx, SMDP_ADDR_MAX + 64);
	struct smdp_es2_return ret;

	/* smdp_es2_return_from() keeps only what fits. */
	memset(long_url, 'a', SMDP_ADDR_MAX + 32);
	memcpy(long_url, "https://", 8);
	m->id = ES_MSG_ES2_DOWNLOAD_PROFILE_REQ;
	m->wsa.reply_to = long_url;
	m->wsa.message_id = long_url;
	smdp_es2_return_from(m, &ret);
	CU_ASSERT_STRING_EQUAL(ret.reply_to, "");
	CU_ASSERT_STRING_EQUAL(ret.message_id, "");
	/* Anonymous ReplyTo: the sender's URL without its query. */
	m->wsa.reply_to = "http://www.w3.org/2005/08/addressing/anonymous";
	m->wsa.from = MNO_FROM;
	m->wsa.message_id = MNO_MSG_ID;
	smdp_es2_return_from(m, &ret);
	CU_ASSERT_STRING_EQUAL(ret.reply_to, "https://mno.example:8445/es2");
	CU_ASSERT_STRING_EQUAL(ret.message_id, MNO_MSG_ID);

	up();
	fx.st->drop = ES_MSG_ES3_GET_EIS_REQ;
	fx.st->drop_nth = 1;
	memset(m, 0, sizeof(*m));
	CU_ASSERT_EQUAL(osmo_hexparse(EID, eid, sizeof(eid)), 16);
	m->id = ES_MSG_ES2_DOWNLOAD_PROFILE_REQ;
	m->u.es2_download_profile_req.present = true;
	m->u.es2_download_profile_req.eid = (struct es_hex){ eid, 16 };
	m->u.es2_download_profile_req.smsr_id = "sr1";
	m->u.es2_download_profile_req.enable_profile = (struct es_bool){ true, false };
	CU_ASSERT_EQUAL(smdp_es2_rx(fx.s, m, "mno-ref-1"), 0);
	smdp_stub_run(fx.st);
	smdp_free(fx.s);
	smdp_stub_ops(fx.st, &ops);
	fx.s = smdp_alloc(ctx, &fx.cfg, fx.store, &ops);
	fx.st->s = fx.s;
	CU_ASSERT_EQUAL(smdp_recover(fx.s), 1);
	smdp_stub_run(fx.st);
	CU_ASSERT_EQUAL(pstate(), SMDP_PROFILE_DOWNLOADED);
	CU_ASSERT_EQUAL(fx.st->n_es2_resp, 0);
	CU_ASSERT_EQUAL(fx.st->n_es2_callback, 0);
	CU_ASSERT_EQUAL(active_rows(), 0);
	down();
	talloc_free(m);
	talloc_free(long_url);
}

struct audit_result {
	unsigned int calls, synced;
	enum es_status st;
	bool eis;
};

static void audit_cb(void *priv, enum es_status st, const struct es_eis *eis, unsigned int synced)
{
	struct audit_result *r = priv;

	r->calls++;
	r->st = st;
	r->eis = eis != NULL;
	r->synced = synced;
}

/* ES3.AuditEIS: the card's state of our profile (disabled by someone else, e.g. over ES4) is taken
 * into the store; an unknown EID and a timeout are reported Failed and change nothing. */
void test_dl_audit_eis(void)
{
	struct audit_result res = { 0 };
	const struct smdp_smsr_peer *peer;
	const char *iccids[] = { ICCID };
	uint8_t eid[16], other[16];

	up();
	peer = smdp_cfg_peer(&fx.cfg, "sr1", false);
	download(EID, "sr1", ICCID, NULL, true);
	smdp_stub_run(fx.st);
	CU_ASSERT_EQUAL_FATAL(pstate(), SMDP_PROFILE_ENABLED);
	CU_ASSERT_EQUAL(osmo_hexparse(EID, eid, sizeof(eid)), 16);

	/* In sync: nothing changes. */
	CU_ASSERT_EQUAL(smdp_audit_eis(fx.s, peer, eid, iccids, 1, audit_cb, &res), 0);
	smdp_stub_run(fx.st);
	CU_ASSERT_EQUAL(res.calls, 1);
	CU_ASSERT_EQUAL(res.st, ES_STATUS_EXECUTED_SUCCESS);
	CU_ASSERT(res.eis);
	CU_ASSERT_EQUAL(res.synced, 0);
	CU_ASSERT_EQUAL(pstate(), SMDP_PROFILE_ENABLED);

	/* Disabled behind our back: the audit brings the store along. */
	fx.st->isdp_state = ES5_ISDP_DISABLED;
	CU_ASSERT_EQUAL(smdp_audit_eis(fx.s, peer, eid, NULL, 0, audit_cb, &res), 0);
	smdp_stub_run(fx.st);
	CU_ASSERT_EQUAL(res.calls, 2);
	CU_ASSERT_EQUAL(res.synced, 1);
	CU_ASSERT_EQUAL(pstate(), SMDP_PROFILE_DISABLED);
	CU_ASSERT_EQUAL(fx.st->n_calls[ES_MSG_ES3_AUDIT_EIS_REQ], 2);

	/* Another EID: Failed, the EIS of another card is not used. */
	memcpy(other, eid, 16);
	other[15] ^= 1;
	fx.st->isdp_state = ES5_ISDP_ENABLED;
	CU_ASSERT_EQUAL(smdp_audit_eis(fx.s, peer, other, NULL, 0, audit_cb, &res), 0);
	smdp_stub_run(fx.st);
	CU_ASSERT_EQUAL(res.calls, 3);
	CU_ASSERT_EQUAL(res.st, ES_STATUS_FAILED);
	CU_ASSERT_FALSE(res.eis);
	CU_ASSERT_EQUAL(pstate(), SMDP_PROFILE_DISABLED);

	/* No answer: timer X8, Failed, nothing changed. */
	fx.st->drop = ES_MSG_ES3_AUDIT_EIS_REQ;
	fx.st->drop_nth = 4;
	CU_ASSERT_EQUAL(smdp_audit_eis(fx.s, peer, eid, NULL, 0, audit_cb, &res), 0);
	smdp_stub_run(fx.st);
	CU_ASSERT_EQUAL(res.calls, 3);
	time_passes(osmo_tdef_get(fx.cfg.tdefs, SMDP_T_RELAY, OSMO_TDEF_S, -1) + 1);
	CU_ASSERT_EQUAL(res.calls, 4);
	CU_ASSERT_EQUAL(res.st, ES_STATUS_FAILED);
	CU_ASSERT_EQUAL(pstate(), SMDP_PROFILE_DISABLED);

	/* Bad arguments: nothing sent. */
	CU_ASSERT_EQUAL(smdp_audit_eis(fx.s, peer, eid, NULL, 1, audit_cb, &res), -EINVAL);
	CU_ASSERT_EQUAL(smdp_audit_eis(fx.s, NULL, eid, NULL, 0, audit_cb, &res), -EINVAL);
	CU_ASSERT_EQUAL(fx.st->n_calls[ES_MSG_ES3_AUDIT_EIS_REQ], 4);
	down();
}

/* --- retries and duplicates (SGP.02 §5.1: the FunctionCallIdentifier identifies a call so that a retry
 * of it is detected; digest §6.3) ---------------------------------------------------------------------- */

#define ICCID2 "8949000000000000029"
#define IMSI2  "001010000000029"
#define EID_B  "89001012012341234012345678901299"

static unsigned int es3_total(void)
{
	unsigned int n = 0;

	for (size_t i = 0; i < ES_MSG__COUNT; i++)
		n += fx.st->n_calls[i];
	return n;
}

static uint64_t retries(void)
{
	return rate_ctr_group_get_ctr(fx.s->ctrs, SMDP_CTR_ES2_RETRY)->current;
}

/* The process dies and starts again on the same store file (the stub SM-SR and card live on). */
static void restart(void)
{
	struct smdp_ops ops;

	smdp_free(fx.s);
	smdp_store_close(fx.store);
	CU_ASSERT_EQUAL_FATAL(smdp_store_open(ctx, dbpath, &fx.store), 0);
	smdp_stub_ops(fx.st, &ops);
	fx.s = smdp_alloc(ctx, &fx.cfg, fx.store, &ops);
	CU_ASSERT_PTR_NOT_NULL_FATAL(fx.s);
	fx.st->s = fx.s;
}

void test_retry_download_while_running_answered_at_end(void)
{
	up();
	CU_ASSERT_EQUAL(fx.cfg.es2_retry, SMDP_RETRY_ANSWER_AT_END); /* the default */
	download_fci("dl-A", EID, "sr1", ICCID, NULL, false, "mno-ref-1");
	/* The MNO did not see the 202 and sends the same call again: held, no second procedure. */
	download_fci("dl-A", EID, "sr1", ICCID, NULL, false, "mno-ref-2");
	CU_ASSERT_EQUAL(fx.st->n_es2_resp, 0);
	CU_ASSERT_EQUAL(retries(), 1);
	smdp_stub_run(fx.st);
	CU_ASSERT_EQUAL(fx.st->n_calls[ES_MSG_ES3_GET_EIS_REQ], 1);
	CU_ASSERT_EQUAL(fx.st->n_calls[ES_MSG_ES3_CREATE_ISDP_REQ], 1);
	CU_ASSERT_EQUAL(fx.st->n_created, 1);
	/* Both requests get the one final result; the retry last. */
	CU_ASSERT_EQUAL(fx.st->n_es2_resp, 2);
	CU_ASSERT_EQUAL(fx.st->last_es2_id, ES_MSG_ES2_DOWNLOAD_PROFILE_RESP);
	CU_ASSERT_EQUAL(fx.st->last_status, ES_STATUS_EXECUTED_SUCCESS);
	CU_ASSERT_STRING_EQUAL(fx.st->last_mno_ref, "mno-ref-2");
	CU_ASSERT_STRING_EQUAL(fx.st->last_iccid, ICCID);
	CU_ASSERT_EQUAL(pstate(), SMDP_PROFILE_DOWNLOADED);
	CU_ASSERT_EQUAL(fx.s->n_waiters, 0);
	down();
}

void test_retry_download_in_progress_variant(void)
{
	up();
	fx.cfg.es2_retry = SMDP_RETRY_IN_PROGRESS;
	download_fci("dl-A", EID, "sr1", ICCID, NULL, false, "mno-ref-1");
	download_fci("dl-A", EID, "sr1", ICCID, NULL, false, "mno-ref-2");
	/* Answered at once: Failed 1.6/3.3 "in progress"; the first call goes on. */
	CU_ASSERT_EQUAL(fx.st->n_es2_resp, 1);
	assert_failed_with("1.6", "3.3");
	CU_ASSERT_STRING_EQUAL(fx.st->last_mno_ref, "mno-ref-2");
	CU_ASSERT_STRING_EQUAL(fx.st->last_message, "function call in progress");
	CU_ASSERT_EQUAL(pstate(), SMDP_PROFILE_RESERVED);
	smdp_stub_run(fx.st);
	CU_ASSERT_EQUAL(fx.st->n_es2_resp, 2);
	CU_ASSERT_EQUAL(fx.st->last_status, ES_STATUS_EXECUTED_SUCCESS);
	CU_ASSERT_STRING_EQUAL(fx.st->last_mno_ref, "mno-ref-1");
	CU_ASSERT_EQUAL(fx.st->n_calls[ES_MSG_ES3_GET_EIS_REQ], 1);
	down();
}

/* After the end, and after a restart: the stored result at once, nothing sent to the SM-SR. */
void test_retry_download_after_end_and_restart_replayed(void)
{
	static const struct {
		bool fail;
		enum es_status st;
	} rows[] = { { false, ES_STATUS_EXECUTED_SUCCESS }, { true, ES_STATUS_FAILED } };

	for (size_t i = 0; i < ARRAY_SIZE(rows); i++) {
		unsigned int sent;

		up();
		fx.st->corrupt_receipt = rows[i].fail;
		download_fci("dl-A", EID, "sr1", ICCID, NULL, false, "mno-ref-1");
		smdp_stub_run(fx.st);
		CU_ASSERT_EQUAL(fx.st->n_es2_resp, 1);
		CU_ASSERT_EQUAL(fx.st->last_status, rows[i].st);
		sent = es3_total();
		download_fci("dl-A", EID, "sr1", ICCID, NULL, false, "mno-ref-2");
		CU_ASSERT_EQUAL(fx.st->n_es2_resp, 2);
		CU_ASSERT_EQUAL(fx.st->last_status, rows[i].st);
		CU_ASSERT_STRING_EQUAL(fx.st->last_mno_ref, "mno-ref-2");
		CU_ASSERT_STRING_EQUAL(fx.st->last_iccid, ICCID);
		if (rows[i].fail)
			assert_failed_with("8.4", "6.1");
		restart();
		CU_ASSERT_EQUAL(smdp_recover(fx.s), 0);
		download_fci("dl-A", EID, "sr1", ICCID, NULL, false, "mno-ref-3");
		CU_ASSERT_EQUAL(fx.st->n_es2_resp, 3);
		CU_ASSERT_EQUAL(fx.st->last_status, rows[i].st);
		CU_ASSERT_STRING_EQUAL(fx.st->last_mno_ref, "mno-ref-3");
		CU_ASSERT_EQUAL(smdp_stub_run(fx.st), 0);
		CU_ASSERT_EQUAL(es3_total(), sent);
		CU_ASSERT_EQUAL(retries(), 1); /* the counter is per process */
		down();
	}
}

/* A refusal is the call's result too: the retry gets the same refusal, even when the state changed. */
void test_retry_of_refused_call_gets_same_refusal(void)
{
	up();
	download_fci("dl-A", EID, "sr1", ICCID, "other", false, "mno-ref-1");
	assert_failed_with("8.2.5", "2.1");
	download_fci("dl-A", EID, "sr1", ICCID, "other", false, "mno-ref-2");
	assert_failed_with("8.2.5", "2.1");
	CU_ASSERT_EQUAL(fx.st->n_es2_resp, 2);
	CU_ASSERT_EQUAL(retries(), 1);
	CU_ASSERT_EQUAL(pstate(), SMDP_PROFILE_AVAILABLE);
	CU_ASSERT_EQUAL(es3_total(), 0);
	down();
}

/* The same identifier with other parameters is not a retry: refused 1.6/3.3, nothing changes, the
 * first call is not disturbed; another requester may use the same identifier. */
void test_retry_identifier_reused_for_another_call(void)
{
	struct es_msg *m;
	uint8_t eid[16];

	up();
	CU_ASSERT_EQUAL_FATAL(smdp_stub_add_profile(fx.store, ICCID2, IMSI2, "m2m"), 0);
	download_fci("dl-A", EID, "sr1", ICCID, NULL, false, "mno-ref-1");
	download_fci("dl-A", EID_B, "sr1", ICCID2, NULL, false, "mno-ref-2");
	assert_failed_with("1.6", "3.3");
	download_fci("dl-A", EID, "sr1", ICCID, NULL, true, "mno-ref-3"); /* EnableProfile differs */
	assert_failed_with("1.6", "3.3");
	CU_ASSERT_EQUAL(fx.st->n_es2_resp, 2);
	CU_ASSERT_EQUAL(active_rows(), 1);
	/* Another function under the same identifier. */
	m = talloc_zero(ctx, struct es_msg);
	osmo_hexparse(EID, eid, sizeof(eid));
	m->id = ES_MSG_ES2_ENABLE_PROFILE_REQ;
	m->u.es2_enable_profile_req = (struct es2_enable_profile_req){ .present = true,
								       .function_call_identifier = "dl-A",
								       .eid = { eid, 16 },
								       .smsr_id = "sr1",
								       .iccid = ICCID };
	m->wsa.from = MNO_FROM;
	CU_ASSERT_EQUAL(smdp_es2_rx(fx.s, m, "mno-ref-4"), 0);
	CU_ASSERT_EQUAL(fx.st->last_es2_id, ES_MSG_ES2_ENABLE_PROFILE_RESP);
	CU_ASSERT_EQUAL(fx.st->last_status, ES_STATUS_FAILED);
	CU_ASSERT_STRING_EQUAL(fx.st->last_subject, "1.6");
	CU_ASSERT_STRING_EQUAL(fx.st->last_reason, "3.3");
	talloc_free(m);
	smdp_stub_run(fx.st);
	CU_ASSERT_EQUAL(fx.st->last_es2_id, ES_MSG_ES2_DOWNLOAD_PROFILE_RESP);
	CU_ASSERT_EQUAL(fx.st->last_status, ES_STATUS_EXECUTED_SUCCESS);
	CU_ASSERT_STRING_EQUAL(fx.st->last_mno_ref, "mno-ref-1");
	CU_ASSERT_EQUAL(fx.st->n_calls[ES_MSG_ES3_ENABLE_PROFILE_REQ], 0);
	{
		struct smdp_profile p;
		CU_ASSERT_EQUAL(smdp_store_profile_get(fx.store, ICCID2, &p), 0);
		CU_ASSERT_EQUAL(p.state, SMDP_PROFILE_AVAILABLE);
	}
	down();
}

/* The relayed functions: one ES3 call per ES2 call, retries held and answered with its result, then
 * replayed from the store. */
static struct es_msg *relay_req(enum es_msg_id id, const char *fci, uint8_t eid[16])
{
	struct es_msg *m = talloc_zero(ctx, struct es_msg);
	const char *iccid = ICCID;

	osmo_hexparse(EID, eid, 16);
	m->id = id;
	m->wsa.from = MNO_FROM;
	switch (id) {
	case ES_MSG_ES2_ENABLE_PROFILE_REQ:
		m->u.es2_enable_profile_req = (struct es2_enable_profile_req){ .present = true,
									       .function_call_identifier = fci,
									       .eid = { eid, 16 },
									       .smsr_id = "sr1",
									       .iccid = iccid };
		break;
	case ES_MSG_ES2_DISABLE_PROFILE_REQ:
		m->u.es2_disable_profile_req = (struct es2_disable_profile_req){ .present = true,
										 .function_call_identifier = fci,
										 .eid = { eid, 16 },
										 .smsr_id = "sr1",
										 .iccid = iccid };
		break;
	case ES_MSG_ES2_DELETE_PROFILE_REQ:
		m->u.es2_delete_profile_req = (struct es2_delete_profile_req){ .present = true,
									       .function_call_identifier = fci,
									       .eid = { eid, 16 },
									       .smsr_id = "sr1",
									       .iccid = iccid };
		break;
	case ES_MSG_ES2_UPDATE_SUBSCRIPTION_ADDRESS_REQ:
		m->u.es2_update_subscription_address_req.present = true;
		m->u.es2_update_subscription_address_req.function_call_identifier = fci;
		m->u.es2_update_subscription_address_req.eid = (struct es_hex){ eid, 16 };
		m->u.es2_update_subscription_address_req.smsr_id = "sr1";
		m->u.es2_update_subscription_address_req.iccid = iccid;
		m->u.es2_update_subscription_address_req.new_subscription_address =
			(struct es_subscription_address){ .present = true, .imsi = IMSI, .msisdn = "491701112233" };
		break;
	default: /* ES_MSG_ES2_UPDATE_POLICY_RULES_REQ */
		m->u.es2_update_policy_rules_req.present = true;
		m->u.es2_update_policy_rules_req.function_call_identifier = fci;
		m->u.es2_update_policy_rules_req.eid = (struct es_hex){ eid, 16 };
		m->u.es2_update_policy_rules_req.smsr_id = "sr1";
		m->u.es2_update_policy_rules_req.iccid = iccid;
		m->u.es2_update_policy_rules_req.pol2.present = true;
		m->u.es2_update_policy_rules_req.pol2.n_rule = 1;
		m->u.es2_update_policy_rules_req.pol2.rule[0] = (struct es_pol2_rule){ true, ES_POL2_SUBJECT_PROFILE,
										       ES_POL2_ACTION_DISABLE,
										       ES_POL2_QUAL_NOT_ALLOWED };
		break;
	}
	return m;
}

void test_retry_relayed_functions(void)
{
	static const struct {
		enum es_msg_id req, es3;
	} rows[] = {
		{ ES_MSG_ES2_UPDATE_POLICY_RULES_REQ, ES_MSG_ES3_UPDATE_POLICY_RULES_REQ },
		{ ES_MSG_ES2_UPDATE_SUBSCRIPTION_ADDRESS_REQ, ES_MSG_ES3_UPDATE_SUBSCRIPTION_ADDRESS_REQ },
		{ ES_MSG_ES2_ENABLE_PROFILE_REQ, ES_MSG_ES3_ENABLE_PROFILE_REQ },
		{ ES_MSG_ES2_DISABLE_PROFILE_REQ, ES_MSG_ES3_DISABLE_PROFILE_REQ },
		{ ES_MSG_ES2_DELETE_PROFILE_REQ, ES_MSG_ES3_DELETE_ISDP_REQ },
	};
	uint8_t eid[16];

	up();
	download(EID, "sr1", ICCID, NULL, false);
	smdp_stub_run(fx.st);
	CU_ASSERT_EQUAL_FATAL(pstate(), SMDP_PROFILE_DOWNLOADED);
	for (size_t i = 0; i < ARRAY_SIZE(rows); i++) {
		char fci[16];
		struct es_msg *m;
		unsigned int before = fx.st->n_calls[rows[i].es3], resp = fx.st->n_es2_resp;

		snprintf(fci, sizeof(fci), "relay-%zu", i);
		m = relay_req(rows[i].req, fci, eid);
		CU_ASSERT_EQUAL(smdp_es2_rx(fx.s, m, "first"), 0);
		CU_ASSERT_EQUAL(smdp_es2_rx(fx.s, m, "retry-running"), 0);
		CU_ASSERT_EQUAL(fx.st->n_es2_resp, resp);
		smdp_stub_run(fx.st);
		CU_ASSERT_EQUAL(fx.st->n_calls[rows[i].es3], before + 1);
		CU_ASSERT_EQUAL(fx.st->n_es2_resp, resp + 2);
		CU_ASSERT_EQUAL(fx.st->last_es2_id, rows[i].req + 1);
		CU_ASSERT_EQUAL(fx.st->last_status, ES_STATUS_EXECUTED_SUCCESS);
		CU_ASSERT_STRING_EQUAL(fx.st->last_mno_ref, "retry-running");
		CU_ASSERT_EQUAL(smdp_es2_rx(fx.s, m, "retry-ended"), 0);
		CU_ASSERT_EQUAL(fx.st->n_es2_resp, resp + 3);
		CU_ASSERT_EQUAL(fx.st->last_status, ES_STATUS_EXECUTED_SUCCESS);
		CU_ASSERT_STRING_EQUAL(fx.st->last_mno_ref, "retry-ended");
		CU_ASSERT_EQUAL(smdp_stub_run(fx.st), 0);
		CU_ASSERT_EQUAL(fx.st->n_calls[rows[i].es3], before + 1);
		talloc_free(m);
	}
	CU_ASSERT_EQUAL(pstate(), SMDP_PROFILE_DELETED);
	/* GetEIS is a read: no retry detection, answered afresh each time. */
	es2_simple(ES_MSG_ES2_GET_EIS_REQ, EID, NULL);
	es2_simple(ES_MSG_ES2_GET_EIS_REQ, EID, NULL);
	CU_ASSERT_EQUAL(fx.st->n_calls[ES_MSG_ES3_GET_EIS_REQ], 3);
	down();
}

/* A relay running when the process died: no procedure will end it, the restart ends it Failed 1.6/4.2;
 * the MNO's retry gets that, and the SM-SR is not asked again. */
void test_retry_relay_interrupted_by_restart(void)
{
	struct es_msg *m;
	uint8_t eid[16];
	unsigned int sent;

	up();
	download(EID, "sr1", ICCID, NULL, false);
	smdp_stub_run(fx.st);
	fx.st->drop = ES_MSG_ES3_ENABLE_PROFILE_REQ;
	fx.st->drop_nth = 1;
	m = relay_req(ES_MSG_ES2_ENABLE_PROFILE_REQ, "en-1", eid);
	CU_ASSERT_EQUAL(smdp_es2_rx(fx.s, m, "first"), 0);
	smdp_stub_run(fx.st);
	CU_ASSERT_EQUAL(fx.st->n_es2_resp, 1); /* the download only */
	restart();
	CU_ASSERT_EQUAL(smdp_recover(fx.s), 0);
	sent = es3_total();
	CU_ASSERT_EQUAL(smdp_es2_rx(fx.s, m, "retry"), 0);
	CU_ASSERT_EQUAL(fx.st->n_es2_resp, 2);
	CU_ASSERT_EQUAL(fx.st->last_es2_id, ES_MSG_ES2_ENABLE_PROFILE_RESP);
	CU_ASSERT_EQUAL(fx.st->last_status, ES_STATUS_FAILED);
	CU_ASSERT_STRING_EQUAL(fx.st->last_subject, "1.6");
	CU_ASSERT_STRING_EQUAL(fx.st->last_reason, "4.2");
	smdp_stub_run(fx.st);
	CU_ASSERT_EQUAL(es3_total(), sent);
	CU_ASSERT_EQUAL(pstate(), SMDP_PROFILE_DOWNLOADED);
	talloc_free(m);
	down();
}

/* Bounded retention: after es2-call-retention seconds the identifier is forgotten, and the same
 * identifier is a new call (here refused: the profile is no longer available). The row cap too. */
void test_retry_retention_bounded(void)
{
	struct smdp_call_rec c;

	up();
	fx.cfg.es2_call_retention = 100;
	download_fci("dl-A", EID, "sr1", ICCID, NULL, false, "mno-ref-1");
	smdp_stub_run(fx.st);
	CU_ASSERT_EQUAL(smdp_store_call_get(fx.store, "1.3.6.1.4.1.99999.3", "dl-A", &c), 0);
	CU_ASSERT(c.done);
	CU_ASSERT_EQUAL(c.dl_id, 1);
	time_passes(50);
	download_fci("dl-A", EID, "sr1", ICCID, NULL, false, "mno-ref-2");
	CU_ASSERT_EQUAL(fx.st->last_status, ES_STATUS_EXECUTED_SUCCESS);
	CU_ASSERT_EQUAL(retries(), 1);
	time_passes(200);
	download_fci("dl-A", EID, "sr1", ICCID, NULL, false, "mno-ref-3");
	CU_ASSERT_EQUAL(retries(), 1);
	assert_failed_with("8.2.1", "3.3");
	CU_ASSERT_EQUAL(pstate(), SMDP_PROFILE_DOWNLOADED);
	/* The cap: only the newest ended calls stay; running ones are never purged. */
	for (unsigned int i = 0; i < 5; i++) {
		struct smdp_call_rec n = { .function = ES_MSG_ES2_ENABLE_PROFILE_REQ, .received = 1000 + i };
		struct smdp_call_result r = { .status = ES_STATUS_EXECUTED_SUCCESS };
		snprintf(n.requester, sizeof(n.requester), "mno");
		snprintf(n.fci, sizeof(n.fci), "cap-%u", i);
		CU_ASSERT_EQUAL(smdp_store_call_begin(fx.store, &n), 0);
		if (i != 0)
			CU_ASSERT_EQUAL(smdp_store_call_finish(fx.store, "mno", n.fci, &r), 0);
	}
	CU_ASSERT_EQUAL(smdp_store_call_begin(fx.store, &c), -EEXIST);
	/* Ended: cap-1..cap-4 and the refused new dl-A (5); the 2 newest by receipt stay. */
	CU_ASSERT_EQUAL(smdp_store_call_purge(fx.store, 0, 2), 3);
	CU_ASSERT_EQUAL(smdp_store_call_get(fx.store, "mno", "cap-0", NULL), 0); /* running */
	CU_ASSERT_EQUAL(smdp_store_call_get(fx.store, "mno", "cap-1", NULL), -ENOENT);
	CU_ASSERT_EQUAL(smdp_store_call_get(fx.store, "mno", "cap-4", NULL), 0);
	down();
}

/* "A profile is never handed to two EIDs" (issue 9): the same ICCID for a second EID is refused while
 * the first download runs (3.3) and after it (3.4), a second download to a busy EID too (8.1.1/3.3);
 * none of them changes any state. */
void test_dl_second_eid_and_busy_eid_refused(void)
{
	struct smdp_profile p;
	char a[SMDP_EID_LEN + 1];

	up();
	CU_ASSERT_EQUAL_FATAL(smdp_stub_add_profile(fx.store, ICCID2, IMSI2, "m2m"), 0);
	download(EID, "sr1", ICCID, NULL, false);
	CU_ASSERT_EQUAL(pstate(), SMDP_PROFILE_RESERVED);
	download(EID_B, "sr1", ICCID, NULL, false);
	assert_failed_with("8.2.1", "3.3");
	download(EID, "sr1", ICCID2, NULL, false);
	assert_failed_with("8.1.1", "3.3");
	download(EID, "sr1", NULL, "m2m", false); /* by type: ICCID2 is free, the EID is not */
	assert_failed_with("8.1.1", "3.3");
	CU_ASSERT_EQUAL(smdp_store_profile_get(fx.store, ICCID2, &p), 0);
	CU_ASSERT_EQUAL(p.state, SMDP_PROFILE_AVAILABLE);
	CU_ASSERT_STRING_EQUAL(p.eid, "");
	CU_ASSERT_EQUAL(active_rows(), 1);
	/* Mid-download (CreateISDP sent, assignment written): still refused. */
	fx.st->drop = ES_MSG_ES3_SEND_DATA_REQ;
	fx.st->drop_nth = 1;
	smdp_stub_run(fx.st);
	CU_ASSERT_EQUAL(pstate(), SMDP_PROFILE_DOWNLOADING);
	download(EID_B, "sr1", ICCID, NULL, false);
	assert_failed_with("8.2.1", "3.4");
	time_passes(700);
	smdp_stub_run(fx.st);
	assert_failed_with("1.6", "5.4");
	/* Ended (profile bound to EID after the clean-up): refused for EID_B, still possible for EID. */
	download(EID_B, "sr1", ICCID, NULL, false);
	assert_failed_with("8.2.1", "3.4");
	CU_ASSERT_EQUAL(smdp_store_assignment_get(fx.store, ICCID, a), 0);
	CU_ASSERT_STRING_EQUAL(a, EID);
	CU_ASSERT_EQUAL(pstate(), SMDP_PROFILE_RESERVED);
	fx.st->drop = ES_MSG_NONE;
	download(EID, "sr1", ICCID, NULL, false);
	smdp_stub_run(fx.st);
	CU_ASSERT_EQUAL(fx.st->last_status, ES_STATUS_EXECUTED_SUCCESS);
	/* ICCID2 goes to EID_B now that EID is free of downloads. */
	download(EID_B, "sr1", ICCID2, NULL, false);
	CU_ASSERT_EQUAL(smdp_store_profile_get(fx.store, ICCID2, &p), 0);
	CU_ASSERT_STRING_EQUAL(p.eid, EID_B);
	down();
}

/* A crash at each persisted step (the answer of that step's ES3 call never arrives; the process and its
 * store handle die; a new one opens the file and recovers): the download is resumed or cleaned up with
 * DeleteISDP, the profile is bound to at most this EID, and the MNO gets exactly one answer (a callback
 * to the stored return address); its retry afterwards gets the same result without a new procedure. */
void test_dl_crash_at_each_persisted_step(void)
{
	static const struct {
		const char *step;
		enum es_msg_id drop;
		unsigned int nth;
		bool enable, create_fail, cleanup;
		enum es_status st;
		enum smdp_profile_state ps;
	} rows[] = {
		{ "get-eis", ES_MSG_ES3_GET_EIS_REQ, 1, false, false, false, ES_STATUS_EXECUTED_SUCCESS,
		  SMDP_PROFILE_DOWNLOADED },
		{ "create-isdp", ES_MSG_ES3_CREATE_ISDP_REQ, 1, false, false, true, ES_STATUS_FAILED,
		  SMDP_PROFILE_RESERVED },
		{ "keyset 3A01", ES_MSG_ES3_SEND_DATA_REQ, 1, false, false, true, ES_STATUS_FAILED,
		  SMDP_PROFILE_RESERVED },
		{ "keyset 3A02", ES_MSG_ES3_SEND_DATA_REQ, 2, false, false, true, ES_STATUS_FAILED,
		  SMDP_PROFILE_RESERVED },
		{ "download 84+85", ES_MSG_ES3_SEND_DATA_REQ, 3, false, false, true, ES_STATUS_FAILED,
		  SMDP_PROFILE_RESERVED },
		{ "download 86", ES_MSG_ES3_SEND_DATA_REQ, 5, false, false, true, ES_STATUS_FAILED,
		  SMDP_PROFILE_RESERVED },
		{ "completed", ES_MSG_ES3_PROFILE_DOWNLOAD_COMPLETED_REQ, 1, true, false, false,
		  ES_STATUS_EXECUTED_SUCCESS, SMDP_PROFILE_ENABLED },
		{ "enable", ES_MSG_ES3_ENABLE_PROFILE_REQ, 1, true, false, false, ES_STATUS_EXECUTED_SUCCESS,
		  SMDP_PROFILE_ENABLED },
		{ "delete-isdp", ES_MSG_ES3_DELETE_ISDP_REQ, 1, false, true, true, ES_STATUS_FAILED,
		  SMDP_PROFILE_RESERVED },
	};

	for (size_t i = 0; i < ARRAY_SIZE(rows); i++) {
		struct smdp_dl_rec d;
		char a[SMDP_EID_LEN + 1];
		unsigned int sent, deletes;
		int arc;

		up();
		fx.st->drop = rows[i].drop;
		fx.st->drop_nth = rows[i].nth;
		fx.st->create_fail = rows[i].create_fail;
		download(EID, "sr1", ICCID, NULL, rows[i].enable);
		smdp_stub_run(fx.st);
		CU_ASSERT_EQUAL(fx.st->n_es2_resp, 0);
		CU_ASSERT_EQUAL(smdp_store_dl_get(fx.store, 1, &d), 0);
		CU_ASSERT_STRING_EQUAL(get_value_string(smdp_dl_step_names, d.step),
				       strchr(rows[i].step, ' ') ? (rows[i].nth <= 2 ? "keyset" : "download")
								 : rows[i].step);
		deletes = fx.st->n_calls[ES_MSG_ES3_DELETE_ISDP_REQ];
		restart();
		fx.st->create_fail = false;
		CU_ASSERT_EQUAL(smdp_recover(fx.s), 1);
		smdp_stub_run(fx.st);
		/* Exactly one answer, by callback to the stored address, with the outcome. */
		CU_ASSERT_EQUAL(fx.st->n_es2_resp, 1);
		CU_ASSERT_EQUAL(fx.st->n_es2_callback, 1);
		CU_ASSERT_STRING_EQUAL(fx.st->last_ret.message_id, MNO_MSG_ID);
		CU_ASSERT_EQUAL(fx.st->last_status, rows[i].st);
		CU_ASSERT_EQUAL(pstate(), rows[i].ps);
		CU_ASSERT_EQUAL(active_rows(), 0);
		CU_ASSERT_EQUAL(fx.s->active_dl, 0);
		if (rows[i].cleanup) {
			CU_ASSERT_FALSE(fx.st->isdp);
			CU_ASSERT_EQUAL(fx.st->n_calls[ES_MSG_ES3_DELETE_ISDP_REQ], deletes + 1);
		} else {
			CU_ASSERT_EQUAL(fx.st->n_calls[ES_MSG_ES3_DELETE_ISDP_REQ], 0);
			CU_ASSERT(fx.st->isdp);
		}
		/* Never handed to two EIDs: bound to this one, or (failure before CreateISDP) to none. */
		arc = smdp_store_assignment_get(fx.store, ICCID, a);
		CU_ASSERT(arc == 0 || arc == -ENOENT);
		if (arc == 0)
			CU_ASSERT_STRING_EQUAL(a, EID);
		download_fci("fci-1", EID_B, "sr1", ICCID, NULL, false, "other-eid");
		CU_ASSERT_EQUAL(fx.st->last_status, ES_STATUS_FAILED); /* reused identifier or bound profile */
		download_fci("fci-2", EID_B, "sr1", ICCID, NULL, false, "other-eid");
		assert_failed_with("8.2.1", "3.4"); /* every row got as far as CreateISDP: bound to EID */
		CU_ASSERT_EQUAL(pstate(), rows[i].ps);
		/* The MNO's retry of the original call: the stored result, nothing sent. */
		sent = es3_total();
		download_fci("fci-1", EID, "sr1", ICCID, NULL, rows[i].enable, "retry");
		CU_ASSERT_EQUAL(fx.st->last_status, rows[i].st);
		CU_ASSERT_STRING_EQUAL(fx.st->last_mno_ref, "retry");
		CU_ASSERT_EQUAL(smdp_stub_run(fx.st), 0);
		CU_ASSERT_EQUAL(es3_total(), sent);
		down();
	}
}

/* A crash right after step 1 was committed (before GetEIS was recorded): started again from GetEIS. */
void test_dl_crash_after_accepted(void)
{
	struct smdp_dl_rec rec = { 0 };

	up();
	osmo_strlcpy(rec.eid, EID, sizeof(rec.eid));
	osmo_strlcpy(rec.iccid, ICCID, sizeof(rec.iccid));
	osmo_strlcpy(rec.smsr_id, "sr1", sizeof(rec.smsr_id));
	osmo_strlcpy(rec.ret.reply_to, MNO_REPLY_TO_URL, sizeof(rec.ret.reply_to));
	osmo_strlcpy(rec.ret.message_id, MNO_MSG_ID, sizeof(rec.ret.message_id));
	CU_ASSERT_EQUAL_FATAL(smdp_store_dl_begin(fx.store, &rec), 0);
	restart();
	CU_ASSERT_EQUAL(smdp_recover(fx.s), 1);
	smdp_stub_run(fx.st);
	CU_ASSERT_EQUAL(fx.st->n_es2_resp, 1);
	CU_ASSERT_EQUAL(fx.st->n_es2_callback, 1);
	CU_ASSERT_EQUAL(fx.st->last_status, ES_STATUS_EXECUTED_SUCCESS);
	CU_ASSERT_EQUAL(fx.st->n_calls[ES_MSG_ES3_GET_EIS_REQ], 1);
	CU_ASSERT_EQUAL(pstate(), SMDP_PROFILE_DOWNLOADED);
	down();
}
