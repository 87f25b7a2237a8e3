/* SM-SR store on SQLite (see smsr_store.h). The schema is below as one string; every statement is in
 * stmt_sql[] and prepared once at open. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>
#include <talloc.h>

#include "network/smsr/smsr_store.h"

const struct value_string smsr_eis_state_names[] = { { SMSR_EIS_ACTIVE, "active" },
						     { SMSR_EIS_HANDOVER_OUT, "handover-out" },
						     { SMSR_EIS_HANDOVER_IN, "handover-in" },
						     { SMSR_EIS_RECEIVED, "received" },
						     { 0, NULL } };

static const char schema_sql[] =
	"PRAGMA foreign_keys = ON;\n"
	"CREATE TABLE IF NOT EXISTS eis (\n"
	"  eid TEXT PRIMARY KEY, eum_id TEXT NOT NULL, smsr_id TEXT NOT NULL, state INTEGER NOT NULL,\n"
	"  remaining_memory INTEGER NOT NULL DEFAULT 0, msisdn TEXT NOT NULL DEFAULT '',\n"
	"  last_notif_seq INTEGER NOT NULL DEFAULT -1, peer_smsr_id TEXT NOT NULL DEFAULT '',\n"
	"  deadline INTEGER NOT NULL DEFAULT 0, blob BLOB);\n"
	"CREATE TABLE IF NOT EXISTS profile (\n"
	"  iccid TEXT PRIMARY KEY, eid TEXT NOT NULL REFERENCES eis(eid) ON DELETE CASCADE,\n"
	"  isdp_aid BLOB NOT NULL, mno_id TEXT NOT NULL DEFAULT '', smdp_id TEXT NOT NULL DEFAULT '',\n"
	"  state INTEGER NOT NULL, fallback INTEGER NOT NULL DEFAULT 0, imsi TEXT NOT NULL DEFAULT '',\n"
	"  msisdn TEXT NOT NULL DEFAULT '', allocated_memory INTEGER NOT NULL DEFAULT 0, pol2 BLOB);\n"
	"CREATE INDEX IF NOT EXISTS profile_eid ON profile(eid);\n"
	"CREATE TABLE IF NOT EXISTS keyset (\n"
	"  eid TEXT NOT NULL REFERENCES eis(eid) ON DELETE CASCADE, kvn INTEGER NOT NULL,\n"
	"  kind INTEGER NOT NULL, kic BLOB, kid BLOB, kik BLOB, psk BLOB, counter INTEGER NOT NULL DEFAULT 0,\n"
	"  PRIMARY KEY (eid, kvn));\n"
	"CREATE TABLE IF NOT EXISTS audit (\n"
	"  id INTEGER PRIMARY KEY AUTOINCREMENT, eid TEXT NOT NULL, op_type INTEGER NOT NULL,\n"
	"  date INTEGER NOT NULL, requester TEXT NOT NULL DEFAULT '', status INTEGER NOT NULL DEFAULT 0,\n"
	"  iccid TEXT NOT NULL DEFAULT '');\n"
	"CREATE TABLE IF NOT EXISTS pending (\n"
	"  id INTEGER PRIMARY KEY AUTOINCREMENT, eid TEXT NOT NULL, kind TEXT NOT NULL, step TEXT NOT NULL,\n"
	"  iccid TEXT NOT NULL DEFAULT '', requester TEXT NOT NULL DEFAULT '', reply_to TEXT NOT NULL DEFAULT '',\n"
	"  relates_to TEXT NOT NULL DEFAULT '', created INTEGER NOT NULL, expires INTEGER NOT NULL DEFAULT 0);\n";

enum smsr_stmt {
	ST_BEGIN,
	ST_COMMIT,
	ST_ROLLBACK,
	ST_EIS_INSERT,
	ST_EIS_GET,
	ST_EIS_BLOB,
	ST_EIS_SET_STATE,
	ST_EIS_SET_SMSR_ID,
	ST_EIS_DELETE,
	ST_EIS_COUNT,
	ST_EIS_BY_MSISDN,
	ST_EIS_NOTIF_SEQ_GET,
	ST_EIS_NOTIF_SEQ_SET,
	ST_PROFILE_PUT,
	ST_PROFILE_GET,
	ST_PROFILE_SET_STATE,
	ST_PROFILE_DELETE,
	ST_PROFILE_LIST,
	ST_PROFILE_AIDS,
	ST_KEYSET_PUT,
	ST_KEYSET_GET,
	ST_KEYSET_GET_HIGHEST,
	ST_KEYSET_DELETE,
	ST_COUNTER_GET,
	ST_COUNTER_SET,
	ST_AUDIT_ADD,
	ST_AUDIT_LIST,
	ST_PENDING_ADD,
	ST_PENDING_SET_STEP,
	ST_PENDING_DEL,
	ST_PENDING_DEL_EID,
	ST_PENDING_LIST,
	ST_EIS_SET_MSISDN,
	_NUM_ST
};

static const char *const stmt_sql[_NUM_ST] = {
	[ST_BEGIN] = "BEGIN IMMEDIATE",
	[ST_COMMIT] = "COMMIT",
	[ST_ROLLBACK] = "ROLLBACK",
	[ST_EIS_INSERT] = "INSERT INTO eis (eid, eum_id, smsr_id, state, remaining_memory, msisdn, last_notif_seq, "
			  "peer_smsr_id, deadline, blob) VALUES (?,?,?,?,?,?,?,?,?,?)",
	[ST_EIS_GET] = "SELECT eid, eum_id, smsr_id, state, remaining_memory, msisdn, last_notif_seq, peer_smsr_id, "
		       "deadline FROM eis WHERE eid = ?",
	[ST_EIS_BLOB] = "SELECT blob FROM eis WHERE eid = ?",
	[ST_EIS_SET_STATE] = "UPDATE eis SET state = ?, peer_smsr_id = ?, deadline = ? WHERE eid = ?",
	[ST_EIS_SET_SMSR_ID] = "UPDATE eis SET smsr_id = ? WHERE eid = ?",
	[ST_EIS_DELETE] = "DELETE FROM eis WHERE eid = ?",
	[ST_EIS_COUNT] = "SELECT COUNT(*) FROM eis",
	/* the ES5 address first, then any profile's MSISDN (a notification from a newly enabled profile) */
	[ST_EIS_BY_MSISDN] = "SELECT eid FROM (SELECT eid, 0 AS pri FROM eis WHERE msisdn != '' AND ltrim(msisdn, '+') "
			     "= "
			     "ltrim(?1, '+') UNION ALL SELECT eid, 1 FROM profile WHERE msisdn != '' AND state > 0 AND "
			     "ltrim(msisdn, '+') = ltrim(?1, '+')) ORDER BY pri, eid LIMIT 1",
	[ST_EIS_NOTIF_SEQ_GET] = "SELECT last_notif_seq FROM eis WHERE eid = ?",
	[ST_EIS_NOTIF_SEQ_SET] = "UPDATE eis SET last_notif_seq = ? WHERE eid = ?",
	[ST_PROFILE_PUT] = "INSERT OR REPLACE INTO profile (iccid, eid, isdp_aid, mno_id, smdp_id, state, fallback, "
			   "imsi, "
			   "msisdn, allocated_memory, pol2) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
	[ST_PROFILE_GET] = "SELECT iccid, eid, isdp_aid, mno_id, smdp_id, state, fallback, imsi, msisdn, "
			   "allocated_memory, pol2 FROM profile WHERE iccid = ?",
	[ST_PROFILE_SET_STATE] = "UPDATE profile SET state = ? WHERE iccid = ?",
	[ST_PROFILE_DELETE] = "DELETE FROM profile WHERE iccid = ?",
	[ST_PROFILE_LIST] = "SELECT iccid, eid, isdp_aid, mno_id, smdp_id, state, fallback, imsi, msisdn, "
			    "allocated_memory, pol2 FROM profile WHERE eid = ? ORDER BY iccid",
	[ST_PROFILE_AIDS] = "SELECT isdp_aid FROM profile WHERE eid = ?",
	[ST_KEYSET_PUT] = "INSERT OR REPLACE INTO keyset (eid, kvn, kind, kic, kid, kik, psk, counter) "
			  "VALUES (?,?,?,?,?,?,?,?)",
	[ST_KEYSET_GET] = "SELECT eid, kvn, kind, kic, kid, kik, psk, counter FROM keyset WHERE eid = ? AND kind = ? "
			  "AND kvn = ?",
	[ST_KEYSET_GET_HIGHEST] = "SELECT eid, kvn, kind, kic, kid, kik, psk, counter FROM keyset WHERE eid = ? AND "
				  "kind = ? ORDER BY kvn DESC LIMIT 1",
	[ST_KEYSET_DELETE] = "DELETE FROM keyset WHERE eid = ? AND kvn = ?",
	[ST_COUNTER_GET] = "SELECT counter FROM keyset WHERE eid = ? AND kvn = ?",
	[ST_COUNTER_SET] = "UPDATE keyset SET counter = ? WHERE eid = ? AND kvn = ?",
	[ST_AUDIT_ADD] = "INSERT INTO audit (eid, op_type, date, requester, status, iccid) VALUES (?,?,?,?,?,?)",
	[ST_AUDIT_LIST] = "SELECT id, eid, op_type, date, requester, status, iccid FROM audit WHERE eid = ? ORDER BY "
			  "id",
	[ST_PENDING_ADD] = "INSERT INTO pending (eid, kind, step, iccid, requester, reply_to, relates_to, created, "
			   "expires) VALUES (?,?,?,?,?,?,?,?,?)",
	[ST_PENDING_SET_STEP] = "UPDATE pending SET step = ? WHERE id = ?",
	[ST_PENDING_DEL] = "DELETE FROM pending WHERE id = ?",
	[ST_PENDING_DEL_EID] = "DELETE FROM pending WHERE eid = ?",
	[ST_PENDING_LIST] = "SELECT id, eid, kind, step, iccid, requester, reply_to, relates_to, created, expires "
			    "FROM pending ORDER BY id",
	[ST_EIS_SET_MSISDN] = "UPDATE eis SET msisdn = ? WHERE eid = ?",
};

struct smsr_store {
	sqlite3 *db;
	sqlite3_stmt *stmt[_NUM_ST];
	char err[256];
	unsigned int depth;   /* nested smsr_store_begin() */
	bool failed;	      /* a statement failed inside the transaction: roll back */
	unsigned int fail_in; /* test hook */
};

/* ---- statement helpers ---------------------------------------------------------------------- */

static sqlite3_stmt *st(struct smsr_store *s, enum smsr_stmt i)
{
	sqlite3_reset(s->stmt[i]);
	sqlite3_clear_bindings(s->stmt[i]);
	return s->stmt[i];
}

static void set_err(struct smsr_store *s, const char *what)
{
	snprintf(s->err, sizeof(s->err), "%s: %s", what, sqlite3_errmsg(s->db));
}

/* Step a statement. Returns SQLITE_ROW / SQLITE_DONE, or -EIO / -EEXIST (constraint). */
static int step(struct smsr_store *s, sqlite3_stmt *q)
{
	int rc;

	if (s->fail_in && --s->fail_in == 0) {
		snprintf(s->err, sizeof(s->err), "injected failure");
		s->failed = true;
		return -EIO;
	}
	rc = sqlite3_step(q);
	if (rc == SQLITE_ROW || rc == SQLITE_DONE)
		return rc;
	set_err(s, "step");
	s->failed = true;
	return (rc & 0xff) == SQLITE_CONSTRAINT ? -EEXIST : -EIO;
}

static int exec_done(struct smsr_store *s, sqlite3_stmt *q)
{
	int rc = step(s, q);

	return rc == SQLITE_DONE ? 0 : rc < 0 ? rc : -EIO;
}

static void bind_text(sqlite3_stmt *q, int i, const char *t)
{
	sqlite3_bind_text(q, i, t ? t : "", -1, SQLITE_TRANSIENT);
}

static void bind_blob(sqlite3_stmt *q, int i, const void *b, size_t len)
{
	if (b && len)
		sqlite3_bind_blob(q, i, b, (int)len, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(q, i);
}

static void col_text(sqlite3_stmt *q, int i, char *out, size_t cap)
{
	const unsigned char *t = sqlite3_column_text(q, i);

	snprintf(out, cap, "%s", t ? (const char *)t : "");
}

static void col_blob(sqlite3_stmt *q, int i, uint8_t *out, size_t cap, size_t *len)
{
	const void *b = sqlite3_column_blob(q, i);
	size_t n = (size_t)sqlite3_column_bytes(q, i);

	if (n > cap)
		n = cap;
	if (b && n)
		memcpy(out, b, n);
	*len = b ? n : 0;
}

/* ---- transactions ----------------------------------------------------------------------------- */

int smsr_store_begin(struct smsr_store *s)
{
	int rc;

	if (s->depth++)
		return 0;
	s->failed = false;
	rc = exec_done(s, st(s, ST_BEGIN));
	if (rc < 0) {
		s->depth = 0;
		s->failed = false;
	}
	return rc;
}

void smsr_store_rollback(struct smsr_store *s)
{
	if (!s->depth)
		return;
	if (--s->depth) {
		s->failed = true;
		return;
	}
	sqlite3_step(st(s, ST_ROLLBACK)); /* never injected: a killed process rolls back too */
	sqlite3_reset(s->stmt[ST_ROLLBACK]);
	s->failed = false;
}

int smsr_store_commit(struct smsr_store *s)
{
	int rc;

	if (!s->depth)
		return -EINVAL;
	if (s->depth > 1) {
		s->depth--;
		return s->failed ? -EIO : 0;
	}
	if (s->failed) {
		smsr_store_rollback(s);
		return -EIO;
	}
	rc = exec_done(s, st(s, ST_COMMIT));
	if (rc < 0) {
		smsr_store_rollback(s);
		return rc;
	}
	s->depth = 0;
	return 0;
}

/* Run one write statement in its own transaction when none is open. */
static int write1(struct smsr_store *s, sqlite3_stmt *q, bool must_change)
{
	int rc = smsr_store_begin(s);

	if (rc < 0)
		return rc;
	rc = exec_done(s, q);
	if (rc == 0 && must_change && sqlite3_changes(s->db) == 0) {
		smsr_store_rollback(s);
		return -ENOENT;
	}
	if (rc < 0) {
		smsr_store_rollback(s);
		return rc;
	}
	return smsr_store_commit(s);
}

/* ---- open / close ---------------------------------------------------------------------------- */

static int store_destructor(struct smsr_store *s)
{
	for (int i = 0; i < _NUM_ST; i++)
		sqlite3_finalize(s->stmt[i]);
	sqlite3_close(s->db);
	return 0;
}

struct smsr_store *smsr_store_open(void *ctx, const char *path, char *errbuf, size_t errlen)
{
	struct smsr_store *s = talloc_zero(ctx, struct smsr_store);
	char *emsg = NULL;

	if (!s)
		return NULL;
	talloc_set_destructor(s, store_destructor);
	if (strcmp(path, ":memory:")) {
		/* create the file 0600 before SQLite does (it would use 0644 & umask): keys live here */
		int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);

		if (fd < 0) {
			snprintf(errbuf, errlen, "cannot create %s: %s", path, strerror(errno));
			talloc_free(s);
			return NULL;
		}
		close(fd);
	}
	if (sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) != SQLITE_OK ||
	    sqlite3_exec(s->db, schema_sql, NULL, NULL, &emsg) != SQLITE_OK) {
		snprintf(errbuf, errlen, "%s: %s", path, emsg ? emsg : (s->db ? sqlite3_errmsg(s->db) : "open failed"));
		sqlite3_free(emsg);
		talloc_free(s);
		return NULL;
	}
	sqlite3_exec(s->db, "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;", NULL, NULL, NULL);
	for (int i = 0; i < _NUM_ST; i++) {
		if (sqlite3_prepare_v2(s->db, stmt_sql[i], -1, &s->stmt[i], NULL) != SQLITE_OK) {
			snprintf(errbuf, errlen, "prepare %d: %s", i, sqlite3_errmsg(s->db));
			talloc_free(s);
			return NULL;
		}
	}
	return s;
}

void smsr_store_close(struct smsr_store *s)
{
	talloc_free(s);
}

const char *smsr_store_last_error(const struct smsr_store *s)
{
	return s->err;
}

void smsr_store_fail_after(struct smsr_store *s, unsigned int n)
{
	s->fail_in = n;
}

int smsr_eid_to_hex(const uint8_t *eid, size_t len, char *out, size_t cap)
{
	static const char hx[] = "0123456789ABCDEF";

	if (len * 2 + 1 > cap)
		return -EMSGSIZE;
	for (size_t i = 0; i < len; i++) {
		out[2 * i] = hx[eid[i] >> 4];
		out[2 * i + 1] = hx[eid[i] & 15];
	}
	out[len * 2] = '\0';
	return (int)(len * 2);
}

/* ---- profiles ---------------------------------------------------------------------------------- */

static void bind_profile(sqlite3_stmt *q, const struct smsr_profile_row *p)
{
	bind_text(q, 1, p->iccid);
	bind_text(q, 2, p->eid);
	bind_blob(q, 3, p->isdp_aid, p->isdp_aid_len);
	if (!p->isdp_aid_len)
		sqlite3_bind_zeroblob(q, 3, 0);
	bind_text(q, 4, p->mno_id);
	bind_text(q, 5, p->smdp_id);
	sqlite3_bind_int(q, 6, (int)p->state);
	sqlite3_bind_int(q, 7, p->fallback);
	bind_text(q, 8, p->imsi);
	bind_text(q, 9, p->msisdn);
	sqlite3_bind_int64(q, 10, p->allocated_memory);
	bind_blob(q, 11, p->pol2, p->pol2_len);
}

static void read_profile(sqlite3_stmt *q, struct smsr_profile_row *p)
{
	memset(p, 0, sizeof(*p));
	col_text(q, 0, p->iccid, sizeof(p->iccid));
	col_text(q, 1, p->eid, sizeof(p->eid));
	col_blob(q, 2, p->isdp_aid, sizeof(p->isdp_aid), &p->isdp_aid_len);
	col_text(q, 3, p->mno_id, sizeof(p->mno_id));
	col_text(q, 4, p->smdp_id, sizeof(p->smdp_id));
	p->state = (enum es_profile_state)sqlite3_column_int(q, 5);
	p->fallback = sqlite3_column_int(q, 6);
	col_text(q, 7, p->imsi, sizeof(p->imsi));
	col_text(q, 8, p->msisdn, sizeof(p->msisdn));
	p->allocated_memory = sqlite3_column_int64(q, 9);
	col_blob(q, 10, p->pol2, sizeof(p->pol2), &p->pol2_len);
}

int smsr_store_profile_put(struct smsr_store *s, const struct smsr_profile_row *p)
{
	sqlite3_stmt *q = st(s, ST_PROFILE_PUT);

	bind_profile(q, p);
	return write1(s, q, false);
}

int smsr_store_profile_get(struct smsr_store *s, const char *iccid, struct smsr_profile_row *out)
{
	sqlite3_stmt *q = st(s, ST_PROFILE_GET);
	int rc;

	bind_text(q, 1, iccid);
	rc = step(s, q);
	if (rc == SQLITE_ROW) {
		read_profile(q, out);
		rc = 0;
	} else if (rc == SQLITE_DONE) {
		rc = -ENOENT;
	}
	sqlite3_reset(q);
	return rc;
}

int smsr_store_profile_set_state(struct smsr_store *s, const char *iccid, enum es_profile_state stt)
{
	sqlite3_stmt *q = st(s, ST_PROFILE_SET_STATE);

	sqlite3_bind_int(q, 1, (int)stt);
	bind_text(q, 2, iccid);
	return write1(s, q, true);
}

int smsr_store_profile_delete(struct smsr_store *s, const char *iccid)
{
	sqlite3_stmt *q = st(s, ST_PROFILE_DELETE);

	bind_text(q, 1, iccid);
	return write1(s, q, true);
}

int smsr_store_profile_list(struct smsr_store *s, const char *eid, struct smsr_profile_row *out, size_t cap, size_t *n)
{
	sqlite3_stmt *q = st(s, ST_PROFILE_LIST);
	int rc;

	*n = 0;
	bind_text(q, 1, eid);
	while ((rc = step(s, q)) == SQLITE_ROW) {
		if (*n < cap)
			read_profile(q, &out[*n]);
		(*n)++;
	}
	sqlite3_reset(q);
	return rc < 0 ? rc : 0;
}

int smsr_store_isdp_tar_alloc(struct smsr_store *s, const char *eid, uint32_t *tar)
{
	static uint8_t used[0x10000 / 8];
	sqlite3_stmt *q = st(s, ST_PROFILE_AIDS);
	int rc;

	memset(used, 0, sizeof(used));
	bind_text(q, 1, eid);
	while ((rc = step(s, q)) == SQLITE_ROW) {
		const uint8_t *a = sqlite3_column_blob(q, 0);
		int len = sqlite3_column_bytes(q, 0);

		if (a && len == 16 && a[12] == 0x00) { /* AID bytes 13..15 = TAR 00xxxx (digest §4.2) */
			uint32_t t = (uint32_t)a[13] << 8 | a[14];

			used[t / 8] |= (uint8_t)(1u << (t % 8));
		}
	}
	sqlite3_reset(q);
	if (rc < 0)
		return rc;
	/* Our ISD-P AIDs are A0000005591010FFFFFFFF89 ‖ TAR(3) ‖ 00 with TAR 000010..00FFFF (Annex H) */
	for (uint32_t t = 0x0010; t <= 0xFFFF; t++) {
		if (!(used[t / 8] & (1u << (t % 8)))) {
			*tar = t;
			return 0;
		}
	}
	return -ENOSPC;
}

/* ---- EIS ------------------------------------------------------------------------------------------ */

static int keyset_put_nolock(struct smsr_store *s, const struct smsr_keyset_row *k)
{
	sqlite3_stmt *q = st(s, ST_KEYSET_PUT);

	bind_text(q, 1, k->eid);
	sqlite3_bind_int(q, 2, k->kvn);
	sqlite3_bind_int(q, 3, (int)k->kind);
	bind_blob(q, 4, k->kic, k->kic_len);
	bind_blob(q, 5, k->kid, k->kid_len);
	bind_blob(q, 6, k->kik, k->kik_len);
	bind_blob(q, 7, k->psk, k->psk_len);
	sqlite3_bind_int64(q, 8, (sqlite3_int64)k->counter);
	return exec_done(s, q);
}

int smsr_store_eis_insert(struct smsr_store *s, const struct smsr_eis_row *row, const struct es_eis *eis,
			  const uint8_t *eis_blob, size_t blob_len, const struct smsr_keyset_row *keysets,
			  size_t n_keysets)
{
	sqlite3_stmt *q;
	int rc = smsr_store_begin(s);

	if (rc < 0)
		return rc;
	q = st(s, ST_EIS_INSERT);
	bind_text(q, 1, row->eid);
	bind_text(q, 2, row->eum_id);
	bind_text(q, 3, row->smsr_id);
	sqlite3_bind_int(q, 4, (int)row->state);
	sqlite3_bind_int64(q, 5, row->remaining_memory);
	bind_text(q, 6, row->msisdn);
	sqlite3_bind_int(q, 7, row->last_notif_seq);
	bind_text(q, 8, row->peer_smsr_id);
	sqlite3_bind_int64(q, 9, row->deadline);
	bind_blob(q, 10, eis_blob, blob_len);
	rc = exec_done(s, q);
	for (unsigned int i = 0; rc == 0 && eis && i < eis->n_profile_info; i++) {
		const struct es_profile_info *pi = &eis->profile_info[i];
		struct smsr_profile_row p = { 0 };

		snprintf(p.eid, sizeof(p.eid), "%s", row->eid);
		snprintf(p.iccid, sizeof(p.iccid), "%s", pi->iccid ? pi->iccid : "");
		p.isdp_aid_len = pi->isd_p_aid.len <= SMSR_AID_MAX ? pi->isd_p_aid.len : 0;
		if (p.isdp_aid_len)
			memcpy(p.isdp_aid, pi->isd_p_aid.data, p.isdp_aid_len);
		snprintf(p.mno_id, sizeof(p.mno_id), "%s", pi->mno_id ? pi->mno_id : "");
		snprintf(p.smdp_id, sizeof(p.smdp_id), "%s", pi->smdp_id ? pi->smdp_id : "");
		p.state = pi->state;
		p.fallback = pi->fallback_attribute.v;
		snprintf(p.imsi, sizeof(p.imsi), "%s",
			 pi->subscription_address.imsi ? pi->subscription_address.imsi : "");
		snprintf(p.msisdn, sizeof(p.msisdn), "%s",
			 pi->subscription_address.msisdn ? pi->subscription_address.msisdn : "");
		p.allocated_memory = pi->allocated_memory.v;
		for (unsigned int r = 0; r < pi->pol2.n_rule && p.pol2_len + 3 <= sizeof(p.pol2); r++) {
			p.pol2[p.pol2_len++] = (uint8_t)pi->pol2.rule[r].subject;
			p.pol2[p.pol2_len++] = (uint8_t)pi->pol2.rule[r].action;
			p.pol2[p.pol2_len++] = (uint8_t)pi->pol2.rule[r].qualification;
		}
		q = st(s, ST_PROFILE_PUT);
		bind_profile(q, &p);
		rc = exec_done(s, q);
	}
	for (size_t i = 0; rc == 0 && i < n_keysets; i++)
		rc = keyset_put_nolock(s, &keysets[i]);
	if (rc < 0) {
		smsr_store_rollback(s);
		return rc;
	}
	return smsr_store_commit(s);
}

int smsr_store_eis_get(struct smsr_store *s, const char *eid, struct smsr_eis_row *out)
{
	sqlite3_stmt *q = st(s, ST_EIS_GET);
	int rc;

	bind_text(q, 1, eid);
	rc = step(s, q);
	if (rc == SQLITE_ROW) {
		memset(out, 0, sizeof(*out));
		col_text(q, 0, out->eid, sizeof(out->eid));
		col_text(q, 1, out->eum_id, sizeof(out->eum_id));
		col_text(q, 2, out->smsr_id, sizeof(out->smsr_id));
		out->state = (enum smsr_eis_state)sqlite3_column_int(q, 3);
		out->remaining_memory = sqlite3_column_int64(q, 4);
		col_text(q, 5, out->msisdn, sizeof(out->msisdn));
		out->last_notif_seq = sqlite3_column_int(q, 6);
		col_text(q, 7, out->peer_smsr_id, sizeof(out->peer_smsr_id));
		out->deadline = sqlite3_column_int64(q, 8);
		rc = 0;
	} else if (rc == SQLITE_DONE) {
		rc = -ENOENT;
	}
	sqlite3_reset(q);
	return rc;
}

int smsr_store_eis_by_msisdn(struct smsr_store *s, const char *msisdn, char *eid, size_t cap)
{
	sqlite3_stmt *q = st(s, ST_EIS_BY_MSISDN);
	int rc;

	if (!msisdn || !msisdn[0])
		return -EINVAL;
	bind_text(q, 1, msisdn);
	rc = step(s, q);
	if (rc == SQLITE_ROW) {
		col_text(q, 0, eid, cap);
		rc = 0;
	} else if (rc == SQLITE_DONE) {
		rc = -ENOENT;
	}
	sqlite3_reset(q);
	return rc;
}

int smsr_store_eis_blob(struct smsr_store *s, void *ctx, const char *eid, uint8_t **blob, size_t *len)
{
	sqlite3_stmt *q = st(s, ST_EIS_BLOB);
	int rc;

	bind_text(q, 1, eid);
	rc = step(s, q);
	if (rc == SQLITE_ROW) {
		const void *b = sqlite3_column_blob(q, 0);

		*len = (size_t)sqlite3_column_bytes(q, 0);
		*blob = talloc_memdup(ctx, b ? b : "", *len + 1);
		rc = *blob ? 0 : -ENOMEM;
	} else if (rc == SQLITE_DONE) {
		rc = -ENOENT;
	}
	sqlite3_reset(q);
	return rc;
}

int smsr_store_eis_set_state(struct smsr_store *s, const char *eid, enum smsr_eis_state stt, const char *peer,
			     int64_t deadline)
{
	sqlite3_stmt *q = st(s, ST_EIS_SET_STATE);

	sqlite3_bind_int(q, 1, (int)stt);
	bind_text(q, 2, peer);
	sqlite3_bind_int64(q, 3, deadline);
	bind_text(q, 4, eid);
	return write1(s, q, true);
}

int smsr_store_eis_set_smsr_id(struct smsr_store *s, const char *eid, const char *smsr_id)
{
	sqlite3_stmt *q = st(s, ST_EIS_SET_SMSR_ID);

	bind_text(q, 1, smsr_id);
	bind_text(q, 2, eid);
	return write1(s, q, true);
}

int smsr_store_eis_set_msisdn(struct smsr_store *s, const char *eid, const char *msisdn)
{
	sqlite3_stmt *q;

	if (!msisdn || strlen(msisdn) >= SMSR_MSISDN_MAX)
		return -EMSGSIZE;
	q = st(s, ST_EIS_SET_MSISDN);
	bind_text(q, 1, msisdn);
	bind_text(q, 2, eid);
	return write1(s, q, true);
}

int smsr_store_eis_delete(struct smsr_store *s, const char *eid)
{
	sqlite3_stmt *q;
	int rc = smsr_store_begin(s);

	if (rc < 0)
		return rc;
	q = st(s, ST_PENDING_DEL_EID);
	bind_text(q, 1, eid);
	rc = exec_done(s, q);
	if (rc == 0) {
		q = st(s, ST_EIS_DELETE); /* profiles and key sets go with it (ON DELETE CASCADE) */
		bind_text(q, 1, eid);
		rc = exec_done(s, q);
		if (rc == 0 && sqlite3_changes(s->db) == 0)
			rc = -ENOENT;
	}
	if (rc < 0) {
		smsr_store_rollback(s);
		return rc;
	}
	return smsr_store_commit(s);
}

unsigned int smsr_store_eis_count(struct smsr_store *s)
{
	sqlite3_stmt *q = st(s, ST_EIS_COUNT);
	unsigned int n = 0;

	if (step(s, q) == SQLITE_ROW)
		n = (unsigned int)sqlite3_column_int(q, 0);
	sqlite3_reset(q);
	return n;
}

/* ---- key sets ---------------------------------------------------------------------------------- */

int smsr_store_keyset_put(struct smsr_store *s, const struct smsr_keyset_row *k)
{
	int rc = smsr_store_begin(s);

	if (rc < 0)
		return rc;
	rc = keyset_put_nolock(s, k);
	if (rc < 0) {
		smsr_store_rollback(s);
		return rc;
	}
	return smsr_store_commit(s);
}

int smsr_store_keyset_get(struct smsr_store *s, const char *eid, enum smsr_keyset_kind kind, int kvn,
			  struct smsr_keyset_row *out)
{
	sqlite3_stmt *q = st(s, kvn < 0 ? ST_KEYSET_GET_HIGHEST : ST_KEYSET_GET);
	int rc;

	bind_text(q, 1, eid);
	sqlite3_bind_int(q, 2, (int)kind);
	if (kvn >= 0)
		sqlite3_bind_int(q, 3, kvn);
	rc = step(s, q);
	if (rc == SQLITE_ROW) {
		memset(out, 0, sizeof(*out));
		col_text(q, 0, out->eid, sizeof(out->eid));
		out->kvn = (uint8_t)sqlite3_column_int(q, 1);
		out->kind = (enum smsr_keyset_kind)sqlite3_column_int(q, 2);
		col_blob(q, 3, out->kic, sizeof(out->kic), &out->kic_len);
		col_blob(q, 4, out->kid, sizeof(out->kid), &out->kid_len);
		col_blob(q, 5, out->kik, sizeof(out->kik), &out->kik_len);
		col_blob(q, 6, out->psk, sizeof(out->psk), &out->psk_len);
		out->counter = (uint64_t)sqlite3_column_int64(q, 7);
		rc = 0;
	} else if (rc == SQLITE_DONE) {
		rc = -ENOENT;
	}
	sqlite3_reset(q);
	return rc;
}

int smsr_store_keyset_delete(struct smsr_store *s, const char *eid, uint8_t kvn)
{
	sqlite3_stmt *q = st(s, ST_KEYSET_DELETE);

	bind_text(q, 1, eid);
	sqlite3_bind_int(q, 2, kvn);
	return write1(s, q, true);
}

int smsr_store_counter_next(struct smsr_store *s, const char *eid, uint8_t kvn, uint64_t *value)
{
	sqlite3_stmt *q;
	uint64_t v = 0;
	int rc = smsr_store_begin(s);

	if (rc < 0)
		return rc;
	q = st(s, ST_COUNTER_GET);
	bind_text(q, 1, eid);
	sqlite3_bind_int(q, 2, kvn);
	rc = step(s, q);
	if (rc == SQLITE_ROW) {
		v = (uint64_t)sqlite3_column_int64(q, 0);
		rc = 0;
	} else if (rc == SQLITE_DONE) {
		rc = -ENOENT;
	}
	sqlite3_reset(q);
	if (rc == 0 && v >= 0xFFFFFFFFFFULL) /* TS 102 225 §5.1.1: 5-byte counter, exhausted */
		rc = -ERANGE;
	if (rc == 0) {
		q = st(s, ST_COUNTER_SET);
		sqlite3_bind_int64(q, 1, (sqlite3_int64)(v + 1));
		bind_text(q, 2, eid);
		sqlite3_bind_int(q, 3, kvn);
		rc = exec_done(s, q);
	}
	if (rc < 0) {
		smsr_store_rollback(s);
		return rc;
	}
	rc = smsr_store_commit(s);
	if (rc == 0)
		*value = v + 1;
	return rc;
}

/* ---- notifications ---------------------------------------------------------------------------- */

int smsr_store_notif_seq_check(struct smsr_store *s, const char *eid, uint16_t seq)
{
	sqlite3_stmt *q;
	int last = -1, rc = smsr_store_begin(s);

	if (rc < 0)
		return rc;
	q = st(s, ST_EIS_NOTIF_SEQ_GET);
	bind_text(q, 1, eid);
	rc = step(s, q);
	if (rc == SQLITE_ROW) {
		last = sqlite3_column_int(q, 0);
		rc = 0;
	} else if (rc == SQLITE_DONE) {
		rc = -ENOENT;
	}
	sqlite3_reset(q);
	if (rc == 0 && last == (int)seq) {
		smsr_store_rollback(s);
		return 0; /* a retry of the last one (open-questions §9: de-duplicate on (EID, seq)) */
	}
	if (rc == 0) {
		q = st(s, ST_EIS_NOTIF_SEQ_SET);
		sqlite3_bind_int(q, 1, seq);
		bind_text(q, 2, eid);
		rc = exec_done(s, q);
	}
	if (rc < 0) {
		smsr_store_rollback(s);
		return rc;
	}
	rc = smsr_store_commit(s);
	return rc < 0 ? rc : 1;
}

/* ---- audit -------------------------------------------------------------------------------------- */

int smsr_store_audit_add(struct smsr_store *s, const struct smsr_audit_row *a)
{
	sqlite3_stmt *q = st(s, ST_AUDIT_ADD);

	bind_text(q, 1, a->eid);
	sqlite3_bind_int(q, 2, a->op_type);
	sqlite3_bind_int64(q, 3, a->date ? a->date : (int64_t)time(NULL));
	bind_text(q, 4, a->requester);
	sqlite3_bind_int(q, 5, (int)a->status);
	bind_text(q, 6, a->iccid);
	return write1(s, q, false);
}

int smsr_store_audit_list(struct smsr_store *s, const char *eid, struct smsr_audit_row *out, size_t cap, size_t *n)
{
	sqlite3_stmt *q = st(s, ST_AUDIT_LIST);
	int rc;

	*n = 0;
	bind_text(q, 1, eid);
	while ((rc = step(s, q)) == SQLITE_ROW) {
		if (*n < cap) {
			struct smsr_audit_row *a = &out[*n];

			memset(a, 0, sizeof(*a));
			a->id = sqlite3_column_int64(q, 0);
			col_text(q, 1, a->eid, sizeof(a->eid));
			a->op_type = (uint16_t)sqlite3_column_int(q, 2);
			a->date = sqlite3_column_int64(q, 3);
			col_text(q, 4, a->requester, sizeof(a->requester));
			a->status = (enum es_status)sqlite3_column_int(q, 5);
			col_text(q, 6, a->iccid, sizeof(a->iccid));
		}
		(*n)++;
	}
	sqlite3_reset(q);
	return rc < 0 ? rc : 0;
}

/* ---- pending operations ---------------------------------------------------------------------- */

int smsr_store_pending_add(struct smsr_store *s, struct smsr_pending_row *p)
{
	sqlite3_stmt *q = st(s, ST_PENDING_ADD);
	int rc;

	bind_text(q, 1, p->eid);
	bind_text(q, 2, p->kind);
	bind_text(q, 3, p->step);
	bind_text(q, 4, p->iccid);
	bind_text(q, 5, p->requester);
	bind_text(q, 6, p->reply_to);
	bind_text(q, 7, p->relates_to);
	sqlite3_bind_int64(q, 8, p->created ? p->created : (int64_t)time(NULL));
	sqlite3_bind_int64(q, 9, p->expires);
	rc = write1(s, q, false);
	if (rc == 0)
		p->id = sqlite3_last_insert_rowid(s->db);
	return rc;
}

int smsr_store_pending_set_step(struct smsr_store *s, int64_t id, const char *stp)
{
	sqlite3_stmt *q = st(s, ST_PENDING_SET_STEP);

	bind_text(q, 1, stp);
	sqlite3_bind_int64(q, 2, id);
	return write1(s, q, true);
}

int smsr_store_pending_del(struct smsr_store *s, int64_t id)
{
	sqlite3_stmt *q = st(s, ST_PENDING_DEL);

	sqlite3_bind_int64(q, 1, id);
	return write1(s, q, true);
}

int smsr_store_pending_list(struct smsr_store *s, struct smsr_pending_row *out, size_t cap, size_t *n)
{
	sqlite3_stmt *q = st(s, ST_PENDING_LIST);
	int rc;

	*n = 0;
	while ((rc = step(s, q)) == SQLITE_ROW) {
		if (*n < cap) {
			struct smsr_pending_row *p = &out[*n];

			memset(p, 0, sizeof(*p));
			p->id = sqlite3_column_int64(q, 0);
			col_text(q, 1, p->eid, sizeof(p->eid));
			col_text(q, 2, p->kind, sizeof(p->kind));
			col_text(q, 3, p->step, sizeof(p->step));
			col_text(q, 4, p->iccid, sizeof(p->iccid));
			col_text(q, 5, p->requester, sizeof(p->requester));
			col_text(q, 6, p->reply_to, sizeof(p->reply_to));
			col_text(q, 7, p->relates_to, sizeof(p->relates_to));
			p->created = sqlite3_column_int64(q, 8);
			p->expires = sqlite3_column_int64(q, 9);
		}
		(*n)++;
	}
	sqlite3_reset(q);
	return rc < 0 ? rc : 0;
}

/* ---- extension tables ------------------------------------------------------------------------- */

struct sqlite3 *smsr_store_sqlite(struct smsr_store *s)
{
	return s->db;
}

int smsr_store_step(struct smsr_store *s, struct sqlite3_stmt *q)
{
	return step(s, q);
}
