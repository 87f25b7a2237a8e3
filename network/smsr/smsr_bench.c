/* EIS store benchmark: operations per second for register (EIS insert with a profile and a key set),
 * get (EIS row), update (profile state), counter reservation, on an in-memory database, and their
 * ratio to a bare SQLite INSERT/SELECT of one row in the same run (the store's own overhead: the
 * transaction per change and the extra rows). Reports numbers, never fails on time. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sqlite3.h>
#include <talloc.h>

#include "network/smsr/smsr_store.h"

#define N 20000

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what)
{
	fprintf(stderr, "smsr_bench: %s failed\n", what);
	exit(1);
}

static double bare_sqlite(bool insert)
{
	sqlite3 *db;
	sqlite3_stmt *q;
	double t0;

	sqlite3_open(":memory:", &db);
	sqlite3_exec(db, "CREATE TABLE t (k TEXT PRIMARY KEY, v TEXT)", NULL, NULL, NULL);
	sqlite3_prepare_v2(db, "INSERT INTO t VALUES (?, 'x')", -1, &q, NULL);
	t0 = now();
	for (int i = 0; i < N; i++) {
		char k[40];

		snprintf(k, sizeof(k), "%032d", i);
		sqlite3_reset(q);
		sqlite3_bind_text(q, 1, k, -1, SQLITE_TRANSIENT);
		if (sqlite3_step(q) != SQLITE_DONE)
			die("bare insert");
	}
	sqlite3_finalize(q);
	if (!insert) {
		sqlite3_prepare_v2(db, "SELECT v FROM t WHERE k = ?", -1, &q, NULL);
		t0 = now();
		for (int i = 0; i < N; i++) {
			char k[40];

			snprintf(k, sizeof(k), "%032d", i);
			sqlite3_reset(q);
			sqlite3_bind_text(q, 1, k, -1, SQLITE_TRANSIENT);
			if (sqlite3_step(q) != SQLITE_ROW)
				die("bare select");
		}
		sqlite3_finalize(q);
	}
	{
		double dt = now() - t0;

		sqlite3_close(db);
		return N / dt;
	}
}

int main(void)
{
	void *ctx = talloc_named_const(NULL, 0, "smsr_bench");
	char err[128];
	struct smsr_store *s = smsr_store_open(ctx, ":memory:", err, sizeof(err));
	struct es_eis eis;
	struct es_profile_info *pi;
	struct smsr_keyset_row ks = { .kvn = 1, .kind = SMSR_KEYSET_SCP80, .kic_len = 16, .kid_len = 16 };
	struct smsr_eis_row row = { .state = SMSR_EIS_ACTIVE, .last_notif_seq = -1 };
	double t0, reg, get, upd, cnt, bare_ins, bare_get;
	static char iccids[N][24];
	uint64_t v;

	if (!s)
		die(err);
	memset(&eis, 0, sizeof(eis));
	eis.n_profile_info = 1;
	pi = &eis.profile_info[0];
	pi->state = ES_PROFILE_STATE_ENABLED;
	pi->mno_id = "1.2.3.1";
	snprintf(row.eum_id, sizeof(row.eum_id), "1.2.3.9");
	snprintf(row.smsr_id, sizeof(row.smsr_id), "1.2.3.4");

	t0 = now();
	for (int i = 0; i < N; i++) {
		snprintf(row.eid, sizeof(row.eid), "%032d", i);
		snprintf(ks.eid, sizeof(ks.eid), "%032d", i);
		snprintf(iccids[i], sizeof(iccids[i]), "8944%015d", i);
		pi->iccid = iccids[i];
		if (smsr_store_eis_insert(s, &row, &eis, NULL, 0, &ks, 1) < 0)
			die("register");
	}
	reg = N / (now() - t0);
	t0 = now();
	for (int i = 0; i < N; i++) {
		struct smsr_eis_row got;
		char eid[40];

		snprintf(eid, sizeof(eid), "%032d", i);
		if (smsr_store_eis_get(s, eid, &got) < 0)
			die("get");
	}
	get = N / (now() - t0);
	t0 = now();
	for (int i = 0; i < N; i++)
		if (smsr_store_profile_set_state(s, iccids[i], ES_PROFILE_STATE_DISABLED) < 0)
			die("update");
	upd = N / (now() - t0);
	t0 = now();
	for (int i = 0; i < N; i++) {
		char eid[40];

		snprintf(eid, sizeof(eid), "%032d", i);
		if (smsr_store_counter_next(s, eid, 1, &v) < 0)
			die("counter");
	}
	cnt = N / (now() - t0);
	bare_ins = bare_sqlite(true);
	bare_get = bare_sqlite(false);
	printf("smsr_bench: EIS store, %d eUICCs, in-memory SQLite\n", N);
	printf("  register (EIS + profile + key set, 1 txn): %9.0f ops/s  = %.2fx a bare 1-row INSERT (%0.f/s)\n", reg,
	       bare_ins / reg, bare_ins);
	printf("  get EIS row:                               %9.0f ops/s  = %.2fx a bare 1-row SELECT (%0.f/s)\n", get,
	       bare_get / get, bare_get);
	printf("  update profile state (1 txn):              %9.0f ops/s  = %.2fx a bare INSERT\n", upd,
	       bare_ins / upd);
	printf("  reserve SCP80 counter (read+write, 1 txn): %9.0f ops/s  = %.2fx a bare INSERT\n", cnt,
	       bare_ins / cnt);
	smsr_store_close(s);
	talloc_free(ctx);
	return 0;
}
