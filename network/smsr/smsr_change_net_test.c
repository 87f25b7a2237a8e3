/* SM-SR Change end to end (issue 8): two REAL rsplab-smsr processes, SR1 (MNO1's, ES5 over Kannel) and SR2
 * (MNO2's, ES5 over direct SMPP), talking ES7 to each other over HTTPS with mutual TLS (certificates from
 * `rsplab pki init`), and the real card: `rsplab-euicc serve` behind `rsplab-device` attached to the lab
 * core network of `rsplab net up`. This test is the MNO (lib/esnet client + a notification endpoint, mutual
 * TLS) and the EUM (ES1 RegisterEIS of the card's EIS at SR1). The card's ISD-R keys reach SR1's store
 * from the card's CARD.db.keys with `rsplab-smsr keys-import` (the lab EIS carries key versions only).
 *
 * Asserted after ES4 SMSRChange: the MNO got Executed-Success and HandleSMSRChangeNotification (from
 * SR2); ES4 GetEIS finds the EIS at SR2 only; SR2 runs an ES5 exchange with its new keys (ES4 AuditEIS:
 * GET STATUS over SCP80 with the new key set, answered); the card's store holds SR2's new ISD-R key set
 * and none of SR1's; both SM-SRs' audit trails record the handover (SR1 out, SR2 in) once, Executed-Success.
 * Every wait is bounded; everything started is stopped and asserted gone. Needs root
 * (network namespace): otherwise the test says why and checks nothing. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <osmocom/core/select.h>
#include <osmocom/core/utils.h>
#include <sqlite3.h>
#include <talloc.h>

#include "lib/esnet/esnet.h"
#include "lib/test/runner.h"
#include "network/smsr/smsr_netenv.h"
#include "network/smsr/smsr_store.h"
#include "network/smsr/smsr_testnet.h"

#define CHANGE_TIMEOUT_MS 60000 /* the whole SM-SR Change: ~6 SMS round trips */

#define SR1_PORT 28101
#define SR2_PORT 28102
#define MNO_PORT 28103

int suite_setup(void)
{
	tn = (struct tn_cfg){ "smsr_change_net", "chgnet", SR1_PORT, SR2_PORT, MNO_PORT, 35981 };
	return tn_suite_setup();
}

int suite_teardown(void)
{
	return tn_suite_teardown();
}

/* The ISD-R key set versions in the card's store (after the card process stopped), as a string. */
static void card_kvns(const char *card_db, char *out, size_t cap)
{
	sqlite3 *db;
	sqlite3_stmt *q;
	size_t n = 0;

	out[0] = '\0';
	if (sqlite3_open_v2(card_db, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
		return;
	if (sqlite3_prepare_v2(db, "SELECT kvn FROM keyset ORDER BY kvn", -1, &q, NULL) == SQLITE_OK) {
		while (sqlite3_step(q) == SQLITE_ROW && n + 4 < cap)
			n += (size_t)snprintf(out + n, cap - n, "%02X ", sqlite3_column_int(q, 0));
		sqlite3_finalize(q);
	}
	sqlite3_close(db);
}

/* ---- the test --------------------------------------------------------------------------------------- */

static struct es_msg *new_msg(enum es_msg_id id)
{
	struct es_msg *m = talloc_zero(ctx, struct es_msg);

	m->id = id;
	return m;
}

void test_smsr_change_net_flagship(void)
{
	char db[PATH_MAX], kvns[64], kvns_before[64];
	struct card_keys k;
	struct result r;
	struct es_msg *m;
	uint8_t eid_bin[16];
	long long t0;

	if (skipped) {
		printf("\n  skipped: needs root (network namespace for rsplab net up)\n");
		return;
	}
	/* the card, registered at SR1 (Smsr-id SR1, the profile owned by our MNO) */
	tn_card_make(db, sizeof(db), &k);
	CU_ASSERT_FATAL(osmo_hexparse(k.eid, eid_bin, sizeof(eid_bin)) == 16);
	card_kvns(db, kvns_before, sizeof(kvns_before));
	printf("  card %s: ISD-R key sets %s\n", k.eid, kvns_before);

	CU_ASSERT_FATAL(mno_start());
	sr1_pid = smsr_start("smsr1", SR1_ID, SR1_PORT, "kannel", SR2_ID, SR2_PORT, false, NULL);
	sr2_pid = smsr_start("smsr2", SR2_ID, SR2_PORT, "smpp", SR1_ID, SR1_PORT, true, NULL);
	if (!wait_port(SR1_PORT, sr1_pid, 100) || !wait_port(SR2_PORT, sr2_pid, 100)) {
		CU_FAIL("an SM-SR did not start");
		goto out;
	}
	if (!dut_start(db)) {
		CU_FAIL("the device with the card did not attach");
		goto out;
	}

	/* ES1 RegisterEIS at SR1 (the EIS rsplab-euicc init printed), then the card's keys */
	tn_card_register_sr1(SR1_PORT);

	/* ES4 PrepareSMSRChange at SR2, then ES4 SMSRChange at SR1: the whole of digest §2.1 */
	t0 = now_ms();
	m = new_msg(ES_MSG_ES4_PREPARE_SMSR_CHANGE_REQ);
	m->u.es4_prepare_smsr_change_req.present = true;
	m->u.es4_prepare_smsr_change_req.eid = (struct es_hex){ eid_bin, 16 };
	m->u.es4_prepare_smsr_change_req.current_smsr_id = SR1_ID;
	m->u.es4_prepare_smsr_change_req.validity_period = (struct es_int){ true, 300 };
	r = mno_call(SR2_PORT, SR2_ID, m, 10000);
	CU_ASSERT_EQUAL(r.rc, 0);
	CU_ASSERT_EQUAL(r.status, ES_STATUS_EXECUTED_SUCCESS);
	m = new_msg(ES_MSG_ES4_SMSR_CHANGE_REQ);
	m->u.es4_smsr_change_req.present = true;
	m->u.es4_smsr_change_req.eid = (struct es_hex){ eid_bin, 16 };
	m->u.es4_smsr_change_req.target_smsr_id = SR2_ID;
	m->u.es4_smsr_change_req.validity_period = (struct es_int){ true, 300 };
	r = mno_call(SR1_PORT, SR1_ID, m, CHANGE_TIMEOUT_MS);
	CU_ASSERT_EQUAL(r.rc, 0);
	CU_ASSERT_EQUAL(r.id, ES_MSG_ES4_SMSR_CHANGE_RESP);
	CU_ASSERT_EQUAL(r.status, ES_STATUS_EXECUTED_SUCCESS);
	printf("  SM-SR Change: SMSRChange answered after %.1f s\n", (double)(now_ms() - t0) / 1000);
	for (long long d = now_ms() + 5000; !n_change_notifs && now_ms() < d;)
		pump_ms(50);
	CU_ASSERT_EQUAL(n_change_notifs, 1);
	CU_ASSERT_STRING_EQUAL(notif_from, SR2_ID);

	/* the EIS at SR2 only */
	m = new_msg(ES_MSG_ES4_GET_EIS_REQ);
	m->u.es4_get_eis_req.present = true;
	m->u.es4_get_eis_req.eid = (struct es_hex){ eid_bin, 16 };
	r = mno_call(SR2_PORT, SR2_ID, m, 10000);
	CU_ASSERT_EQUAL(r.rc, 0);
	CU_ASSERT_EQUAL(r.status, ES_STATUS_EXECUTED_SUCCESS);
	CU_ASSERT_STRING_EQUAL(r.smsr_id, SR2_ID);
	CU_ASSERT_EQUAL(r.n_profiles, 1);
	m = new_msg(ES_MSG_ES4_GET_EIS_REQ);
	m->u.es4_get_eis_req.present = true;
	m->u.es4_get_eis_req.eid = (struct es_hex){ eid_bin, 16 };
	r = mno_call(SR1_PORT, SR1_ID, m, 10000);
	CU_ASSERT_EQUAL(r.rc, 0);
	CU_ASSERT_EQUAL(r.status, ES_STATUS_FAILED);

	/* SR2 talks to the card with its new keys: AuditEIS = GET STATUS over SCP80 (SMPP), answered */
	m = new_msg(ES_MSG_ES4_AUDIT_EIS_REQ);
	m->u.es4_audit_eis_req.present = true;
	m->u.es4_audit_eis_req.eid = (struct es_hex){ eid_bin, 16 };
	r = mno_call(SR2_PORT, SR2_ID, m, 30000);
	CU_ASSERT_EQUAL(r.rc, 0);
	CU_ASSERT_EQUAL(r.status, ES_STATUS_EXECUTED_SUCCESS);
out:
	CU_ASSERT(stop_pid(&dev_pid) >= 0);
	CU_ASSERT(stop_pid(&card_pid) >= 0);
	CU_ASSERT(stop_pid(&sr1_pid) == 0);
	CU_ASSERT(stop_pid(&sr2_pid) == 0);
	esnet_free(mno);
	mno = NULL;
	reap();
	/* the card's store: SR1's key sets gone, SR2's new one there */
	card_kvns(db, kvns, sizeof(kvns));
	printf("  card ISD-R key sets after: %s (before: %s)\n", kvns, kvns_before);
	{
		char k80[8], k81[8];

		snprintf(k80, sizeof(k80), "%02X ", k.kvn80);
		snprintf(k81, sizeof(k81), "%02X ", k.kvn81);
		CU_ASSERT_PTR_NOT_NULL(strstr(kvns_before, k80));
		CU_ASSERT_PTR_NULL(strstr(kvns, k80));
		CU_ASSERT_PTR_NULL(strstr(kvns, k81));
		CU_ASSERT(strlen(kvns) >= 3); /* SR2's */
	}
	/* both SM-SRs' audit trails (digest §4.1 OperationType; smsr_change.c): SR1 recorded the handover out
	 * and SR2 the handover in, each once and Executed-Success */
	for (int i = 0; i < 2; i++) {
		static const uint16_t want[2] = { 0x0A00, 0x0900 }; /* AUDIT_HANDOVER_OUT, AUDIT_HANDOVER_IN */
		struct smsr_audit_row a[16];
		struct smsr_store *st;
		char path[PATH_MAX], err[160];
		unsigned int found = 0;
		size_t n = 0;

		path_in(path, sizeof(path), i ? "smsr2.db" : "smsr1.db");
		st = smsr_store_open(ctx, path, err, sizeof(err));
		CU_ASSERT_PTR_NOT_NULL(st);
		if (!st)
			continue;
		CU_ASSERT_EQUAL(smsr_store_audit_list(st, k.eid, a, ARRAY_SIZE(a), &n), 0);
		for (size_t j = 0; j < n && j < ARRAY_SIZE(a); j++) {
			if (a[j].op_type != want[i])
				continue;
			found++;
			CU_ASSERT_EQUAL(a[j].status, ES_STATUS_EXECUTED_SUCCESS);
		}
		printf("  %s audit trail: %zu record(s), handover %s %u time(s)\n", i ? "SM-SR2" : "SM-SR1", n,
		       i ? "in" : "out", found);
		CU_ASSERT_EQUAL(found, 1);
		smsr_store_close(st);
	}
	memset(&k, 0, sizeof(k));
}

/* Last: net down, nothing of ours left. */
void test_smsr_change_net_down(void)
{
	if (skipped)
		return;
	tn_net_down_check();
}
