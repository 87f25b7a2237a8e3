/* SM-SR Change with a kill -9 (issue 8, Robustness): two REAL rsplab-smsr processes (SR1 on Kannel, SR2 on
 * direct SMPP, ES7 between them over HTTPS with mutual TLS) and the real card (`rsplab-euicc serve` behind
 * `rsplab-device` on the lab network of `rsplab net up`), set up as in smsr_change_net_test.c. For every
 * step an SM-SR stores in its table smsr_change, on the giving and on the taking side, one SM-SR Change
 * runs; the test watches the victim's database (read-only) and sends it SIGKILL as soon as that step is
 * stored (a prepared read-only query in a tight loop; the card's ES5 round trip is the shortest window),
 * restarts it on the same database at once (smsr_change_resume() at start-up) and waits until
 * both tables are empty (finished or expired; bounded). Then it asserts digest §2.1: ES4 GetEIS finds
 * the EIS at exactly one SM-SR, whose Smsr-id it carries; that SM-SR's newest ISD-R SCP80 key set (its
 * store) is on the card with the same KIc/KID (the card's store); the MNO got exactly one SMSRChange
 * answer, success iff the eUICC moved; the audit trails of both stores record it once, in line. The next
 * change starts from whichever SM-SR holds the eUICC, so both directions run. Needs root (network
 * namespace): otherwise the test says why and checks only the --timer option. Every wait is bounded; the
 * timers are short (--timer, --por-timeout) and the validity period VALIDITY_S, so a killed SR1 is asked
 * again by SR2 after T_ES7_RETRY instead of waiting out the validity period. */
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
#include <osmocom/gsm/gsm48.h>
#include <sqlite3.h>
#include <talloc.h>

#include "lib/esnet/esnet.h"
#include "lib/test/runner.h"
#include "network/smsr/smsr_netenv.h"
#include "network/smsr/smsr_testnet.h"

#define CHANGE_TIMEOUT_MS 30000 /* one SM-SR Change with a kill and a restart until both tables are empty */
#define VALIDITY_S	  15	/* of PrepareSMSRChange and SMSRChange */
#define PREPARE_LOST_MS	  3000	/* SR2 killed at step 2: how long the MNO waits for the lost answer */

#define SR1_PORT 28111
#define SR2_PORT 28112
#define MNO_PORT 28113

int suite_setup(void)
{
	tn = (struct tn_cfg){ "smsr_change_kill", "chgkill", SR1_PORT, SR2_PORT, MNO_PORT, 35982 };
	return tn_suite_setup();
}

int suite_teardown(void)
{
	return tn_suite_teardown();
}

/* ---- the stores, read-only ------------------------------------------------------------------------- */

/* The first column of the first row of sql (one text parameter p1, may be NULL) as text into out; ""
 * when there is none. */
static void db_text(const char *path, const char *sql, const char *p1, char *out, size_t cap)
{
	sqlite3 *db;
	sqlite3_stmt *q;

	out[0] = '\0';
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
		sqlite3_close(db);
		return;
	}
	sqlite3_busy_timeout(db, 1000);
	if (sqlite3_prepare_v2(db, sql, -1, &q, NULL) == SQLITE_OK) {
		if (p1)
			sqlite3_bind_text(q, 1, p1, -1, SQLITE_STATIC);
		if (sqlite3_step(q) == SQLITE_ROW && sqlite3_column_text(q, 0))
			snprintf(out, cap, "%s", (const char *)sqlite3_column_text(q, 0));
		sqlite3_finalize(q);
	}
	sqlite3_close(db);
}

static void smsr_db(int i, char *out, size_t cap)
{
	snprintf(out, cap, "%.3000s/smsr%d.db", rundir, i + 1);
}

/* ---- the test --------------------------------------------------------------------------------------- */

static const char *const ids[2] = { SR1_ID, SR2_ID };
static const uint16_t ports[2] = { SR1_PORT, SR2_PORT };
static pid_t *const pids[2] = { &sr1_pid, &sr2_pid };

/* The DGI 3A07 value of step 26 (UpdateSMSRAddressingParameters) with the SM-SR's short code: 86 len 91
 * (TON/NPI) then BCD digits, low nibble first, F filler; as `rsplab run` builds it; "" when there is none. */
/* DGI 3A07 for step 26: a TS 102 223 §8.1 address `86 L 91 BCD` (as the harness gives rsplab-smsr). */
static void addressing_hex(const char *code, char *out, size_t cap)
{
	uint8_t v[16] = { 0x86 };
	int n = gsm48_encode_bcd_number(v + 1, sizeof(v) - 1, 1, code);

	out[0] = '\0';
	if (n < 3)
		return;
	v[2] = 0x91;
	osmo_hexdump_buf(out, cap, v, n + 1, "", false);
}

static pid_t sr_start(int i)
{
	char name[16];

	char addressing[32];

	snprintf(name, sizeof(name), "smsr%d", i + 1);
	addressing_hex(E(i == 0 ? "SMSR1_SHORT_CODE" : "SMSR2_SHORT_CODE"), addressing, sizeof(addressing));
	{
		/* short timers (seconds): a killed SR1 is asked again by SR2 after T_ES7_RETRY, a restarted SR1
		 * asks again at step 22 after T_ES7, a lost SMS is sent again after the PoR timeout */
		const char *extra[] = { "--timer",	 "es7=3",   "--timer",
					"es5=8",	 "--timer", "es7-retry=4",
					"--por-timeout", "5",	    addressing[0] ? "--addressing" : NULL,
					addressing,	 NULL };
		return smsr_start(name, ids[i], ports[i], i == 0 ? "kannel" : "smpp", ids[!i], ports[!i], true, extra);
	}
}

static struct es_msg *new_msg(enum es_msg_id id)
{
	struct es_msg *m = talloc_zero(ctx, struct es_msg);

	m->id = id;
	return m;
}

/* GetEIS at SM-SR i: the Smsr-id of the EIS there, "" when it answers Failed. false when no answer. */
static bool get_eis(int i, const uint8_t eid_bin[16], char *smsr_id, size_t cap)
{
	struct es_msg *m = new_msg(ES_MSG_ES4_GET_EIS_REQ);
	struct result r;

	m->u.es4_get_eis_req.present = true;
	m->u.es4_get_eis_req.eid = (struct es_hex){ (uint8_t *)eid_bin, 16 };
	r = mno_call(ports[i], ids[i], m, 10000);
	smsr_id[0] = '\0';
	if (r.rc == 0 && r.status == ES_STATUS_EXECUTED_SUCCESS)
		snprintf(smsr_id, cap, "%s", r.smsr_id);
	return r.rc == 0;
}

/* ES4 SMSRChange at SM-SR from (to to), answered into *rsp later (async). */
static void send_change(const uint8_t eid_bin[16], int from, int to, struct result *rsp)
{
	struct es_msg *m = new_msg(ES_MSG_ES4_SMSR_CHANGE_REQ);
	char url[64];

	memset(rsp, 0, sizeof(*rsp));
	m->u.es4_smsr_change_req.present = true;
	m->u.es4_smsr_change_req.eid = (struct es_hex){ (uint8_t *)eid_bin, 16 };
	m->u.es4_smsr_change_req.target_smsr_id = ids[to];
	m->u.es4_smsr_change_req.validity_period = (struct es_int){ true, VALIDITY_S };
	snprintf(url, sizeof(url), "https://127.0.0.1:%u/es", ports[from]);
	CU_ASSERT_EQUAL(esnet_call(mno,
				   &(struct esnet_peer){ .url = url,
							 .entity_id = ids[from],
							 .tls = mno_cli_tls,
							 .variant = es_variant_default },
				   m, call_cb, rsp, NULL),
			0);
}

/* Every step either role stores (smsr_change.c state names). */
static const char *const giver_steps[] = { "5_HANDOVER_SENT", "8_CERT_TO_ISDR", "13_WAIT_KEYSET_REQ",
					   "16_KEYAGREEMENT_TO_ISDR", "22_WAIT_HANDOVER_RESP" };
static const char *const taker_steps[] = { "2_AWAITING_HANDOVER", "7_AUTHENTICATE_SENT", "15_CREATE_KEYSET_SENT",
					   "25_FINALISE_SENT",	  "26_ADDRESSING_SENT",	 "26_SCP81_CERT_SENT",
					   "26_SCP81_KEYS_SENT" };

static int holder; /* index of the SM-SR managing the card */

/* One SM-SR Change from holder to the other, the victim (the giver when giver, else the taker) killed
 * -9 as soon as it stored step and restarted. Asserts digest §2.1 afterwards. */
static bool change_with_kill(const uint8_t eid_bin[16], const char *eid, bool giver, const char *step)
{
	int from = holder, to = !holder, v = giver ? from : to;
	char db[PATH_MAX], audit_before[2][16], audit_after[2][16], got[2][64], peer_url[64];
	struct result rsp = { 0 }, *prep = talloc_zero(ctx, struct result); /* lives on: its answer may come late */
	struct es_msg *m;
	long long t0 = now_ms(), deadline = t0 + CHANGE_TIMEOUT_MS, t_kill = 0;
	bool killed = false, empty = false, early = !giver && !strcmp(step, "2_AWAITING_HANDOVER");
	sqlite3 *vdb = NULL;
	sqlite3_stmt *q = NULL;

	printf("\n  --- %s -> %s, kill -9 %s at %s\n", ids[from], ids[to], ids[v], step);
	for (int i = 0; i < 2; i++) {
		smsr_db(i, db, sizeof(db));
		db_text(db, "SELECT count(*) FROM audit WHERE eid = ?", eid, audit_before[i], sizeof(audit_before[i]));
	}
	/* the victim's table, read-only, one prepared query: each step of it reads the last commit (WAL) */
	smsr_db(v, db, sizeof(db));
	CU_ASSERT_FATAL(sqlite3_open_v2(db, &vdb, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK);
	sqlite3_busy_timeout(vdb, 1000);
	CU_ASSERT_FATAL(sqlite3_prepare_v2(vdb, "SELECT step FROM smsr_change WHERE eid = ?", -1, &q, NULL) ==
			SQLITE_OK);
	sqlite3_bind_text(q, 1, eid, -1, SQLITE_STATIC);
	m = new_msg(ES_MSG_ES4_PREPARE_SMSR_CHANGE_REQ);
	m->u.es4_prepare_smsr_change_req.present = true;
	m->u.es4_prepare_smsr_change_req.eid = (struct es_hex){ (uint8_t *)eid_bin, 16 };
	m->u.es4_prepare_smsr_change_req.current_smsr_id = ids[from];
	m->u.es4_prepare_smsr_change_req.validity_period = (struct es_int){ true, VALIDITY_S };
	if (early) {
		/* the step is stored before PrepareSMSRChange is answered: fire it and watch */
		snprintf(peer_url, sizeof(peer_url), "https://127.0.0.1:%u/es", ports[to]);
		CU_ASSERT_EQUAL(esnet_call(mno,
					   &(struct esnet_peer){ .url = peer_url,
								 .entity_id = ids[to],
								 .tls = mno_cli_tls,
								 .variant = es_variant_default },
					   m, call_cb, prep, NULL),
				0);
	} else {
		*prep = mno_call(ports[to], ids[to], m, 10000);
		CU_ASSERT_EQUAL(prep->status, ES_STATUS_EXECUTED_SUCCESS);
		send_change(eid_bin, from, to, &rsp);
	}
	/* watch the victim's table; SIGKILL the moment the step is there */
	while (!killed && now_ms() < deadline) {
		const unsigned char *now = NULL;

		sqlite3_reset(q);
		if (sqlite3_step(q) == SQLITE_ROW)
			now = sqlite3_column_text(q, 0);
		if (now && !strcmp((const char *)now, step)) {
			kill(*pids[v], SIGKILL);
			t_kill = now_ms();
			CU_ASSERT_EQUAL(wait_pid(*pids[v], 3000), 128 + SIGKILL);
			printf("  killed %s at %s after %.2f s\n", ids[v], step, (double)(t_kill - t0) / 1000);
			*pids[v] = sr_start(v);
			killed = true;
			break;
		}
		if (rsp.done) {
			printf("  the change ended (%s) before %s was seen in the table\n",
			       get_value_string(es_status_names, rsp.status), step);
			break;
		}
		osmo_select_main(1);
	}
	sqlite3_finalize(q);
	sqlite3_close(vdb);
	if (early) {
		/* PrepareSMSRChange is asynchronous (202, then the callback): the callback died with the
		 * process; the step was stored, so SR2 takes the eUICC over: the MNO goes on after a while */
		long long lost = now_ms() + PREPARE_LOST_MS;

		while (!prep->done && now_ms() < lost)
			pump_ms(20);
		printf("  PrepareSMSRChange answer: %s\n",
		       prep->done ? get_value_string(es_status_names, prep->status) : "lost with the process");
		send_change(eid_bin, from, to, &rsp);
	}
	/* finished or expired: no procedure stored at either */
	while (now_ms() < deadline && !empty) {
		char n0[16], n1[16], p[PATH_MAX];

		smsr_db(0, p, sizeof(p));
		db_text(p, "SELECT count(*) FROM smsr_change", NULL, n0, sizeof(n0));
		smsr_db(1, p, sizeof(p));
		db_text(p, "SELECT count(*) FROM smsr_change", NULL, n1, sizeof(n1));
		empty = !strcmp(n0, "0") && !strcmp(n1, "0") && rsp.done;
		if (!empty)
			pump_ms(20);
	}
	printf("  both tables empty: %s after %.1f s (%.1f s after the kill); MNO answer: %s\n", empty ? "yes" : "NO",
	       (double)(now_ms() - t0) / 1000, t_kill ? (double)(now_ms() - t_kill) / 1000 : 0.0,
	       rsp.done ? get_value_string(es_status_names, rsp.status) : "none");
	CU_ASSERT(empty);
	CU_ASSERT(rsp.done);
	/* the EIS at exactly one SM-SR */
	CU_ASSERT_FATAL(get_eis(0, eid_bin, got[0], sizeof(got[0])));
	CU_ASSERT_FATAL(get_eis(1, eid_bin, got[1], sizeof(got[1])));
	CU_ASSERT_FATAL((got[0][0] != '\0') != (got[1][0] != '\0'));
	holder = got[0][0] ? 0 : 1;
	CU_ASSERT_STRING_EQUAL(got[holder], ids[holder]);
	if (rsp.done && rsp.id == ES_MSG_ES4_SMSR_CHANGE_RESP)
		CU_ASSERT_EQUAL(rsp.status != ES_STATUS_FAILED, holder == to);
	/* the holder reaches the card: its newest SCP80 key set is there, same KIc and KID */
	{
		char kvn[8], kic[80], kid[80], ckic[80], ckid[80], card_db[PATH_MAX];

		smsr_db(holder, db, sizeof(db));
		path_in(card_db, sizeof(card_db), "card.db");
		db_text(db, "SELECT kvn FROM keyset WHERE eid = ? AND kic IS NOT NULL ORDER BY kvn DESC", eid, kvn,
			sizeof(kvn));
		db_text(db, "SELECT hex(kic) FROM keyset WHERE eid = ? AND kic IS NOT NULL ORDER BY kvn DESC", eid, kic,
			sizeof(kic));
		db_text(db, "SELECT hex(kid) FROM keyset WHERE eid = ? AND kic IS NOT NULL ORDER BY kvn DESC", eid, kid,
			sizeof(kid));
		db_text(card_db, "SELECT hex(k1) FROM keyset WHERE kvn = ?1", kvn, ckic, sizeof(ckic));
		db_text(card_db, "SELECT hex(k2) FROM keyset WHERE kvn = ?1", kvn, ckid, sizeof(ckid));
		printf("  EIS at %s only; its key set %s is on the card: %s\n", ids[holder], kvn,
		       kic[0] && !strcmp(kic, ckic) && !strcmp(kid, ckid) ? "yes" : "NO");
		CU_ASSERT(kvn[0] != '\0');
		CU_ASSERT(kic[0] != '\0' && !strcmp(kic, ckic));
		CU_ASSERT(kid[0] != '\0' && !strcmp(kid, ckid));
	}
	/* audit: the giver recorded the handover once (unless it refused before starting), in line with
	 * the outcome; the taker recorded success only if it holds */
	for (int i = 0; i < 2; i++) {
		smsr_db(i, db, sizeof(db));
		db_text(db, "SELECT count(*) FROM audit WHERE eid = ?", eid, audit_after[i], sizeof(audit_after[i]));
	}
	{
		char st[16], type[16];

		smsr_db(from, db, sizeof(db));
		db_text(db, "SELECT op_type FROM audit WHERE eid = ? ORDER BY id DESC", eid, type, sizeof(type));
		db_text(db, "SELECT status FROM audit WHERE eid = ? ORDER BY id DESC", eid, st, sizeof(st));
		CU_ASSERT_EQUAL(atoi(audit_after[from]) - atoi(audit_before[from]), 1);
		CU_ASSERT_EQUAL(atoi(type), 0x0A00);
		CU_ASSERT_EQUAL(atoi(st) != ES_STATUS_FAILED, holder == to);
		smsr_db(to, db, sizeof(db));
		db_text(db, "SELECT status FROM audit WHERE eid = ? AND op_type = 2304 ORDER BY id DESC", eid, st,
			sizeof(st));
		if (holder == to)
			CU_ASSERT(st[0] && atoi(st) != ES_STATUS_FAILED);
	}
	return killed;
}

/* rsplab-smsr --timer: the three SM-SR Change timers by name, 1..86400 s; anything else refused (exit 2)
 * before the daemon starts (-h: exit 0 once the options parsed). Runs without root too. */
void test_smsr_change_kill_timer_option(void)
{
	static const struct {
		const char *arg;
		int rc;
	} cases[] = { { "es7=3", 0 },	  { "es5=86400", 0 }, { "es7-retry=1", 0 }, { "es7=0", 2 },
		      { "es5=86401", 2 }, { "es7", 2 },	      { "=3", 2 },	    { "t_es7=3", 2 } };
	char bin[PATH_MAX];

	snprintf(bin, sizeof(bin), "%.4000s/rsplab-smsr", bindir);
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		const char *argv[] = { bin, "--timer", cases[i].arg, "-h", NULL };
		pid_t pid = spawn(argv, "/dev/null", "/dev/null", NULL);
		int rc = wait_pid(pid, 10000);

		if (rc != cases[i].rc)
			printf("\n  --timer %s: exit %d, want %d\n", cases[i].arg, rc, cases[i].rc);
		CU_ASSERT_EQUAL(rc, cases[i].rc);
	}
}

void test_smsr_change_kill_every_step(void)
{
	char db[PATH_MAX];
	struct card_keys k;
	uint8_t eid_bin[16];
	long long t0 = now_ms();

	if (skipped) {
		printf("\n  skipped: needs root (network namespace for rsplab net up)\n");
		return;
	}
	tn_card_make(db, sizeof(db), &k);
	CU_ASSERT_FATAL(osmo_hexparse(k.eid, eid_bin, sizeof(eid_bin)) == 16);
	CU_ASSERT_FATAL(mno_start());
	sr1_pid = sr_start(0);
	sr2_pid = sr_start(1);
	if (!wait_port(SR1_PORT, sr1_pid, 100) || !wait_port(SR2_PORT, sr2_pid, 100)) {
		CU_FAIL("an SM-SR did not start");
		goto out;
	}
	if (!dut_start(db)) {
		CU_FAIL("the device with the card did not attach");
		goto out;
	}
	tn_card_register_sr1(SR1_PORT);
	holder = 0;
	printf("  set-up: %.1f s\n", (double)(now_ms() - t0) / 1000);
	/* a change that ended (or expired) before the step was stored still had its outcome checked; the
	 * step gets one more change */
	for (size_t i = 0; i < ARRAY_SIZE(giver_steps); i++)
		CU_ASSERT(change_with_kill(eid_bin, k.eid, true, giver_steps[i]) ||
			  change_with_kill(eid_bin, k.eid, true, giver_steps[i]));
	for (size_t i = 0; i < ARRAY_SIZE(taker_steps); i++)
		CU_ASSERT(change_with_kill(eid_bin, k.eid, false, taker_steps[i]) ||
			  change_with_kill(eid_bin, k.eid, false, taker_steps[i]));
	printf("\n  %zu kills in %.1f s\n", ARRAY_SIZE(giver_steps) + ARRAY_SIZE(taker_steps),
	       (double)(now_ms() - t0) / 1000);
out:
	CU_ASSERT(stop_pid(&dev_pid) >= 0);
	CU_ASSERT(stop_pid(&card_pid) >= 0);
	CU_ASSERT(stop_pid(&sr1_pid) == 0);
	CU_ASSERT(stop_pid(&sr2_pid) == 0);
	esnet_free(mno);
	mno = NULL;
	reap();
	memset(&k, 0, sizeof(k));
}

/* Last: net down, nothing of ours left. */
void test_smsr_change_kill_net_down(void)
{
	if (skipped)
		return;
	tn_net_down_check();
}
