/* rsplab-smdp store: SQLite with prepared statements enumerated once (osmo-hlr db.h shape).
 * Schema: profile (inventory, keys, package, state), assignment (iccid UNIQUE -> eid, never deleted),
 * download (one row per ES2.DownloadProfile with its current step). See store.h. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>
#include <osmocom/core/talloc.h>

#include "network/smdp/logging.h"
#include "network/smdp/store.h"

const struct value_string smdp_profile_state_names[] = {
	{ SMDP_PROFILE_AVAILABLE, "available" },     { SMDP_PROFILE_RESERVED, "reserved" },
	{ SMDP_PROFILE_DOWNLOADING, "downloading" }, { SMDP_PROFILE_DOWNLOADED, "downloaded" },
	{ SMDP_PROFILE_ENABLED, "enabled" },	     { SMDP_PROFILE_DISABLED, "disabled" },
	{ SMDP_PROFILE_DELETED, "deleted" },	     { 0, NULL }
};

const struct value_string smdp_dl_step_names[] = { { SMDP_STEP_ACCEPTED, "accepted" },
						   { SMDP_STEP_GET_EIS, "get-eis" },
						   { SMDP_STEP_CREATE_ISDP, "create-isdp" },
						   { SMDP_STEP_KEYSET, "keyset" },
						   { SMDP_STEP_DOWNLOAD, "download" },
						   { SMDP_STEP_COMPLETED, "completed" },
						   { SMDP_STEP_ENABLE, "enable" },
						   { SMDP_STEP_DELETE_ISDP, "delete-isdp" },
						   { SMDP_STEP_DONE, "done" },
						   { 0, NULL } };

static const char *const schema[] = {
	"CREATE TABLE IF NOT EXISTS profile ("
	" iccid TEXT PRIMARY KEY NOT NULL,"
	" imsi TEXT NOT NULL UNIQUE,"
	" msisdn TEXT NOT NULL DEFAULT '',"
	" profile_type TEXT NOT NULL DEFAULT '',"
	" algo INTEGER NOT NULL,"
	" k BLOB NOT NULL,"
	" opc BLOB,"
	" pol1 INTEGER NOT NULL DEFAULT -1,"
	" pol2 INTEGER NOT NULL DEFAULT 0,"
	" package BLOB NOT NULL,"
	" state INTEGER NOT NULL,"
	" eid TEXT NOT NULL DEFAULT '',"
	" updated INTEGER NOT NULL DEFAULT 0)",
	/* A profile goes to one EID, ever: the UNIQUE constraint is the guarantee, not the code. */
	"CREATE TABLE IF NOT EXISTS assignment ("
	" iccid TEXT NOT NULL UNIQUE REFERENCES profile(iccid),"
	" eid TEXT NOT NULL,"
	" at INTEGER NOT NULL)",
	"CREATE TABLE IF NOT EXISTS download ("
	" id INTEGER PRIMARY KEY AUTOINCREMENT,"
	" eid TEXT NOT NULL,"
	" iccid TEXT NOT NULL REFERENCES profile(iccid),"
	" smsr_id TEXT NOT NULL,"
	" mno_ref TEXT NOT NULL DEFAULT '',"
	" enable INTEGER NOT NULL,"
	" step INTEGER NOT NULL,"
	" isdp_aid BLOB,"
	" done INTEGER NOT NULL DEFAULT 0,"
	" result TEXT NOT NULL DEFAULT '',"
	" created INTEGER NOT NULL,"
	" updated INTEGER NOT NULL,"
	" reply_to TEXT NOT NULL DEFAULT '',"
	" message_id TEXT NOT NULL DEFAULT '',"
	" fci TEXT NOT NULL DEFAULT '',"
	" ns INTEGER NOT NULL DEFAULT 0)",
	/* At most one active download per profile. */
	"CREATE UNIQUE INDEX IF NOT EXISTS download_active ON download(iccid) WHERE done = 0",
	/* ES2 function calls by (requester, FunctionCallIdentifier): retries are answered from here. */
	"CREATE TABLE IF NOT EXISTS es2_call ("
	" requester TEXT NOT NULL,"
	" fci TEXT NOT NULL,"
	" function INTEGER NOT NULL,"
	" fingerprint TEXT NOT NULL,"
	" received INTEGER NOT NULL,"
	" dl_id INTEGER NOT NULL DEFAULT 0,"
	" done INTEGER NOT NULL DEFAULT 0,"
	" status INTEGER NOT NULL DEFAULT 0,"
	" subject TEXT NOT NULL DEFAULT '',"
	" reason TEXT NOT NULL DEFAULT '',"
	" message TEXT NOT NULL DEFAULT '',"
	" iccid TEXT NOT NULL DEFAULT '',"
	" PRIMARY KEY (requester, fci))",
	"CREATE INDEX IF NOT EXISTS es2_call_dl ON es2_call(dl_id) WHERE dl_id != 0",
};

/* Columns added after the first release of the schema: added to an older file at open. */
static const struct {
	const char *probe, *add;
} migrations[] = {
	{ "SELECT reply_to, message_id, fci, ns FROM download LIMIT 0", "ALTER TABLE download ADD COLUMN reply_to TEXT "
									"NOT NULL DEFAULT '';"
									"ALTER TABLE download ADD COLUMN message_id "
									"TEXT NOT NULL DEFAULT '';"
									"ALTER TABLE download ADD COLUMN fci TEXT NOT "
									"NULL DEFAULT '';"
									"ALTER TABLE download ADD COLUMN ns INTEGER "
									"NOT NULL DEFAULT 0" },
};

enum smdp_stmt {
	STMT_BEGIN,
	STMT_COMMIT,
	STMT_ROLLBACK,
	STMT_PROFILE_INSERT,
	STMT_PROFILE_GET,
	STMT_PROFILE_PACKAGE,
	STMT_PROFILE_FIND_AVAILABLE,
	STMT_PROFILE_ALL,
	STMT_PROFILE_SET_MSISDN,
	STMT_PROFILE_SET_POL2,
	STMT_PROFILE_SET_STATE,
	STMT_ASSIGNMENT_GET,
	STMT_ASSIGNMENT_INSERT,
	STMT_DL_INSERT,
	STMT_DL_ACTIVE_FOR_ICCID,
	STMT_DL_SET_STEP,
	STMT_DL_FINISH,
	STMT_DL_GET,
	STMT_DL_ACTIVE,
	STMT_DL_ACTIVE_FOR_EID,
	STMT_CALL_INSERT,
	STMT_CALL_GET,
	STMT_CALL_GET_BY_DL,
	STMT_CALL_SET_DL,
	STMT_CALL_FINISH,
	STMT_CALL_FINISH_DL,
	STMT_CALL_RUNNING,
	STMT_CALL_PURGE_OLD,
	STMT_CALL_PURGE_EXCESS,
	_NUM_STMT
};

#define PROFILE_COLS "iccid, imsi, msisdn, profile_type, algo, k, opc, pol1, pol2, state, eid, length(package)"
#define CALL_COLS \
	"requester, fci, function, fingerprint, received, dl_id, done, status, subject, reason, message, iccid"
#define DL_COLS "id, eid, iccid, smsr_id, mno_ref, enable, step, isdp_aid, done, result, reply_to, message_id, fci, ns"

static const char *const stmt_sql[_NUM_STMT] = {
	[STMT_BEGIN] = "BEGIN IMMEDIATE",
	[STMT_COMMIT] = "COMMIT",
	[STMT_ROLLBACK] = "ROLLBACK",
	[STMT_PROFILE_INSERT] = "INSERT INTO profile (iccid, imsi, msisdn, profile_type, algo, k, opc, pol1, pol2,"
				" package, state, updated) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
	[STMT_PROFILE_GET] = "SELECT " PROFILE_COLS " FROM profile WHERE iccid = ?1",
	[STMT_PROFILE_PACKAGE] = "SELECT package FROM profile WHERE iccid = ?1",
	[STMT_PROFILE_FIND_AVAILABLE] = "SELECT " PROFILE_COLS " FROM profile WHERE state = ?1"
					" AND (?2 = '' OR profile_type = ?2)"
					" AND iccid NOT IN (SELECT iccid FROM assignment)"
					" AND iccid NOT IN (SELECT iccid FROM download WHERE done = 0)"
					" ORDER BY iccid LIMIT 1",
	[STMT_PROFILE_ALL] = "SELECT " PROFILE_COLS " FROM profile ORDER BY iccid",
	[STMT_PROFILE_SET_MSISDN] = "UPDATE profile SET msisdn = ?2, updated = ?3 WHERE iccid = ?1",
	[STMT_PROFILE_SET_POL2] = "UPDATE profile SET pol2 = ?2, updated = ?3 WHERE iccid = ?1",
	[STMT_PROFILE_SET_STATE] = "UPDATE profile SET state = ?2, eid = ?3, updated = ?4 WHERE iccid = ?1",
	[STMT_ASSIGNMENT_GET] = "SELECT eid FROM assignment WHERE iccid = ?1",
	[STMT_ASSIGNMENT_INSERT] = "INSERT INTO assignment (iccid, eid, at) VALUES (?1, ?2, ?3)",
	[STMT_DL_INSERT] = "INSERT INTO download (eid, iccid, smsr_id, mno_ref, enable, step, created, updated,"
			   " reply_to, message_id, fci, ns) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7, ?8, ?9, ?10, ?11)",
	[STMT_DL_ACTIVE_FOR_ICCID] = "SELECT id FROM download WHERE iccid = ?1 AND done = 0",
	[STMT_DL_SET_STEP] = "UPDATE download SET step = ?2, isdp_aid = coalesce(?3, isdp_aid), updated = ?4"
			     " WHERE id = ?1 AND done = 0",
	[STMT_DL_FINISH] = "UPDATE download SET step = ?2, done = 1, result = ?3, updated = ?4 WHERE id = ?1 AND done "
			   "= 0",
	[STMT_DL_GET] = "SELECT " DL_COLS " FROM download WHERE id = ?1",
	[STMT_DL_ACTIVE] = "SELECT " DL_COLS " FROM download WHERE done = 0 ORDER BY id",
	[STMT_DL_ACTIVE_FOR_EID] = "SELECT id FROM download WHERE eid = ?1 AND done = 0",
	[STMT_CALL_INSERT] = "INSERT INTO es2_call (requester, fci, function, fingerprint, received)"
			     " VALUES (?1, ?2, ?3, ?4, ?5)",
	[STMT_CALL_GET] = "SELECT " CALL_COLS " FROM es2_call WHERE requester = ?1 AND fci = ?2",
	[STMT_CALL_GET_BY_DL] = "SELECT " CALL_COLS " FROM es2_call WHERE dl_id = ?1 AND dl_id != 0",
	[STMT_CALL_SET_DL] = "UPDATE es2_call SET dl_id = ?3 WHERE requester = ?1 AND fci = ?2 AND done = 0",
	[STMT_CALL_FINISH] = "UPDATE es2_call SET done = 1, status = ?3, subject = ?4, reason = ?5, message = ?6,"
			     " iccid = ?7 WHERE requester = ?1 AND fci = ?2 AND done = 0",
	[STMT_CALL_FINISH_DL] = "UPDATE es2_call SET done = 1, status = ?2, subject = ?3, reason = ?4, message = ?5,"
				" iccid = ?6 WHERE dl_id = ?1 AND dl_id != 0 AND done = 0",
	[STMT_CALL_RUNNING] = "SELECT " CALL_COLS " FROM es2_call WHERE done = 0 ORDER BY received, rowid",
	[STMT_CALL_PURGE_OLD] = "DELETE FROM es2_call WHERE done = 1 AND received < ?1",
	[STMT_CALL_PURGE_EXCESS] = "DELETE FROM es2_call WHERE rowid IN (SELECT rowid FROM es2_call WHERE done = 1"
				   " ORDER BY received DESC, rowid DESC LIMIT -1 OFFSET ?1)",
};

struct smdp_store {
	sqlite3 *db;
	sqlite3_stmt *stmt[_NUM_STMT];
};

static int64_t now_s(void)
{
	return (int64_t)time(NULL);
}

static int store_destructor(struct smdp_store *s)
{
	for (unsigned int i = 0; i < _NUM_STMT; i++)
		sqlite3_finalize(s->stmt[i]);
	sqlite3_close(s->db);
	return 0;
}

int smdp_store_open(void *ctx, const char *path, struct smdp_store **out)
{
	struct smdp_store *s;
	int fd;

	if (!path || !out)
		return -EINVAL;
	/* Create the file 0600 before SQLite opens it: it will hold subscriber keys. */
	if (strcmp(path, ":memory:") != 0) {
		fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
		if (fd < 0) {
			LOGP(DSTORE, LOGL_ERROR, "cannot open %s: %s\n", path, strerror(errno));
			return -errno;
		}
		if (fchmod(fd, 0600) < 0) {
			close(fd);
			return -errno;
		}
		close(fd);
	}
	s = talloc_zero(ctx, struct smdp_store);
	if (!s)
		return -ENOMEM;
	talloc_set_destructor(s, store_destructor);
	if (sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) != SQLITE_OK)
		goto fail;
	sqlite3_busy_timeout(s->db, 2000);
	if (sqlite3_exec(s->db, "PRAGMA foreign_keys = ON; PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL", NULL,
			 NULL, NULL) != SQLITE_OK)
		goto fail;
	for (unsigned int i = 0; i < ARRAY_SIZE(schema); i++)
		if (sqlite3_exec(s->db, schema[i], NULL, NULL, NULL) != SQLITE_OK)
			goto fail;
	for (unsigned int i = 0; i < ARRAY_SIZE(migrations); i++) {
		sqlite3_stmt *probe = NULL;
		int prc = sqlite3_prepare_v2(s->db, migrations[i].probe, -1, &probe, NULL);
		sqlite3_finalize(probe);
		if (prc != SQLITE_OK && sqlite3_exec(s->db, migrations[i].add, NULL, NULL, NULL) != SQLITE_OK)
			goto fail;
	}
	for (unsigned int i = 0; i < _NUM_STMT; i++)
		if (sqlite3_prepare_v2(s->db, stmt_sql[i], -1, &s->stmt[i], NULL) != SQLITE_OK)
			goto fail;
	*out = s;
	return 0;
fail:
	LOGP(DSTORE, LOGL_ERROR, "cannot open store %s: %s\n", path, s->db ? sqlite3_errmsg(s->db) : "?");
	talloc_free(s);
	return -EIO;
}

void smdp_store_close(struct smdp_store *s)
{
	talloc_free(s);
}

/* --- statement helpers ----------------------------------------------------------------------------- */

static sqlite3_stmt *stmt_get(struct smdp_store *s, enum smdp_stmt i)
{
	sqlite3_reset(s->stmt[i]);
	sqlite3_clear_bindings(s->stmt[i]);
	return s->stmt[i];
}

static int bind_text(sqlite3_stmt *st, int col, const char *text)
{
	return sqlite3_bind_text(st, col, text ? text : "", -1, SQLITE_TRANSIENT) == SQLITE_OK ? 0 : -EIO;
}

static int bind_blob(sqlite3_stmt *st, int col, const void *b, size_t len)
{
	if (!b)
		return sqlite3_bind_null(st, col) == SQLITE_OK ? 0 : -EIO;
	return sqlite3_bind_blob(st, col, b, (int)len, SQLITE_TRANSIENT) == SQLITE_OK ? 0 : -EIO;
}

/* Step a statement that returns no rows: 0, -EEXIST (constraint), -EIO. */
static int step_done(struct smdp_store *s, sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);

	sqlite3_reset(st);
	if (rc == SQLITE_DONE)
		return 0;
	if ((rc & 0xff) == SQLITE_CONSTRAINT)
		return -EEXIST;
	LOGP(DSTORE, LOGL_ERROR, "SQL step: %s\n", sqlite3_errmsg(s->db));
	return -EIO;
}

static void copy_col_text(char *dst, size_t cap, sqlite3_stmt *st, int col)
{
	const unsigned char *t = sqlite3_column_text(st, col);

	osmo_strlcpy(dst, t ? (const char *)t : "", cap);
}

static size_t copy_col_blob(uint8_t *dst, size_t cap, sqlite3_stmt *st, int col)
{
	const void *b = sqlite3_column_blob(st, col);
	int n = sqlite3_column_bytes(st, col);

	if (!b || n <= 0)
		return 0;
	if ((size_t)n > cap)
		n = (int)cap;
	memcpy(dst, b, (size_t)n);
	return (size_t)n;
}

static void row_to_profile(sqlite3_stmt *st, struct smdp_profile *p)
{
	memset(p, 0, sizeof(*p));
	copy_col_text(p->iccid, sizeof(p->iccid), st, 0);
	copy_col_text(p->imsi, sizeof(p->imsi), st, 1);
	copy_col_text(p->msisdn, sizeof(p->msisdn), st, 2);
	copy_col_text(p->profile_type, sizeof(p->profile_type), st, 3);
	p->algo = (enum saip_algo)sqlite3_column_int(st, 4);
	p->k_len = copy_col_blob(p->k, sizeof(p->k), st, 5);
	p->opc_len = copy_col_blob(p->opc, sizeof(p->opc), st, 6);
	p->pol1 = sqlite3_column_int(st, 7);
	p->pol2 = (uint32_t)sqlite3_column_int64(st, 8);
	p->state = (enum smdp_profile_state)sqlite3_column_int(st, 9);
	copy_col_text(p->eid, sizeof(p->eid), st, 10);
	p->package_len = (size_t)sqlite3_column_int64(st, 11);
}

static void row_to_dl(sqlite3_stmt *st, struct smdp_dl_rec *r)
{
	memset(r, 0, sizeof(*r));
	r->id = sqlite3_column_int64(st, 0);
	copy_col_text(r->eid, sizeof(r->eid), st, 1);
	copy_col_text(r->iccid, sizeof(r->iccid), st, 2);
	copy_col_text(r->smsr_id, sizeof(r->smsr_id), st, 3);
	copy_col_text(r->mno_ref, sizeof(r->mno_ref), st, 4);
	r->enable = sqlite3_column_int(st, 5) != 0;
	r->step = (enum smdp_dl_step)sqlite3_column_int(st, 6);
	r->isdp_aid_len = copy_col_blob(r->isdp_aid, sizeof(r->isdp_aid), st, 7);
	r->done = sqlite3_column_int(st, 8) != 0;
	copy_col_text(r->result, sizeof(r->result), st, 9);
	copy_col_text(r->ret.reply_to, sizeof(r->ret.reply_to), st, 10);
	copy_col_text(r->ret.message_id, sizeof(r->ret.message_id), st, 11);
	copy_col_text(r->ret.fci, sizeof(r->ret.fci), st, 12);
	r->ret.ns = sqlite3_column_int(st, 13);
}

static int tx_begin(struct smdp_store *s)
{
	return step_done(s, stmt_get(s, STMT_BEGIN));
}

/* Commit when rc is 0, roll back otherwise; returns rc (or the commit failure). */
static int tx_end(struct smdp_store *s, int rc)
{
	if (rc == 0) {
		rc = step_done(s, stmt_get(s, STMT_COMMIT));
		if (rc == 0)
			return 0;
	}
	step_done(s, stmt_get(s, STMT_ROLLBACK));
	return rc;
}

/* --- inventory ------------------------------------------------------------------------------------ */

static bool digits_ok(const char *s, size_t min, size_t max)
{
	size_t n = s ? strlen(s) : 0;

	if (n < min || n > max)
		return false;
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

int smdp_store_profile_add(struct smdp_store *s, const struct smdp_profile *p, const uint8_t *pkg, size_t len)
{
	sqlite3_stmt *st;
	int rc;

	if (!s || !p || !pkg || len == 0 || len > SMDP_PKG_MAX || !digits_ok(p->iccid, 18, SMDP_ICCID_MAX) ||
	    !digits_ok(p->imsi, 6, SMDP_IMSI_MAX) || !digits_ok(p->msisdn, 0, SMDP_MSISDN_MAX) || p->k_len == 0 ||
	    p->k_len > SMDP_KEY_MAX || p->opc_len > SMDP_KEY_MAX || (p->pol2 & ~SMDP_POL2_MASK))
		return -EINVAL;
	rc = tx_begin(s);
	if (rc)
		return rc;
	st = stmt_get(s, STMT_PROFILE_INSERT);
	rc = bind_text(st, 1, p->iccid);
	rc |= bind_text(st, 2, p->imsi);
	rc |= bind_text(st, 3, p->msisdn);
	rc |= bind_text(st, 4, p->profile_type);
	rc |= sqlite3_bind_int(st, 5, (int)p->algo);
	rc |= bind_blob(st, 6, p->k, p->k_len);
	rc |= bind_blob(st, 7, p->opc_len ? p->opc : NULL, p->opc_len);
	rc |= sqlite3_bind_int(st, 8, p->pol1);
	rc |= sqlite3_bind_int64(st, 9, p->pol2);
	rc |= bind_blob(st, 10, pkg, len);
	rc |= sqlite3_bind_int(st, 11, SMDP_PROFILE_AVAILABLE);
	rc |= sqlite3_bind_int64(st, 12, now_s());
	rc = rc ? -EIO : step_done(s, st);
	rc = tx_end(s, rc);
	if (rc == 0)
		LOGP(DSTORE, LOGL_INFO, "profile ICCID %s IMSI %s added\n", p->iccid, p->imsi);
	return rc;
}

static int profile_get(struct smdp_store *s, const char *iccid, struct smdp_profile *out)
{
	sqlite3_stmt *st = stmt_get(s, STMT_PROFILE_GET);
	int rc;

	if (bind_text(st, 1, iccid))
		return -EIO;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		if (out)
			row_to_profile(st, out);
		sqlite3_reset(st);
		return 0;
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? -ENOENT : -EIO;
}

int smdp_store_profile_get(struct smdp_store *s, const char *iccid, struct smdp_profile *out)
{
	if (!s || !iccid)
		return -EINVAL;
	return profile_get(s, iccid, out);
}

int smdp_store_profile_package(struct smdp_store *s, void *ctx, const char *iccid, uint8_t **pkg, size_t *len)
{
	sqlite3_stmt *st;
	int rc, n;

	if (!s || !iccid || !pkg || !len)
		return -EINVAL;
	st = stmt_get(s, STMT_PROFILE_PACKAGE);
	if (bind_text(st, 1, iccid))
		return -EIO;
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		sqlite3_reset(st);
		return rc == SQLITE_DONE ? -ENOENT : -EIO;
	}
	n = sqlite3_column_bytes(st, 0);
	*pkg = talloc_memdup(ctx, sqlite3_column_blob(st, 0), n > 0 ? (size_t)n : 1);
	*len = n > 0 ? (size_t)n : 0;
	sqlite3_reset(st);
	return *pkg ? 0 : -ENOMEM;
}

int smdp_store_profile_find_available(struct smdp_store *s, const char *profile_type, struct smdp_profile *out)
{
	sqlite3_stmt *st;
	int rc;

	if (!s || !out)
		return -EINVAL;
	st = stmt_get(s, STMT_PROFILE_FIND_AVAILABLE);
	if (sqlite3_bind_int(st, 1, SMDP_PROFILE_AVAILABLE) != SQLITE_OK || bind_text(st, 2, profile_type))
		return -EIO;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		row_to_profile(st, out);
	sqlite3_reset(st);
	return rc == SQLITE_ROW ? 0 : rc == SQLITE_DONE ? -ENOENT : -EIO;
}

int smdp_store_profile_foreach(struct smdp_store *s, int (*cb)(const struct smdp_profile *p, void *priv), void *priv)
{
	struct smdp_profile p;
	sqlite3_stmt *st;
	int rc;

	if (!s || !cb)
		return -EINVAL;
	st = stmt_get(s, STMT_PROFILE_ALL);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		row_to_profile(st, &p);
		if (cb(&p, priv))
			break;
	}
	sqlite3_reset(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : -EIO;
}

/* Run one single-row UPDATE by ICCID in a transaction; -ENOENT if no row changed. */
static int update_one(struct smdp_store *s, sqlite3_stmt *st)
{
	int rc = tx_begin(s);

	if (rc)
		return rc;
	rc = step_done(s, st);
	if (rc == 0 && sqlite3_changes(s->db) != 1)
		rc = -ENOENT;
	return tx_end(s, rc);
}

int smdp_store_profile_set_msisdn(struct smdp_store *s, const char *iccid, const char *msisdn)
{
	sqlite3_stmt *st;

	if (!s || !iccid || !digits_ok(msisdn, 0, SMDP_MSISDN_MAX))
		return -EINVAL;
	st = stmt_get(s, STMT_PROFILE_SET_MSISDN);
	if (bind_text(st, 1, iccid) || bind_text(st, 2, msisdn) || sqlite3_bind_int64(st, 3, now_s()) != SQLITE_OK)
		return -EIO;
	return update_one(s, st);
}

int smdp_store_profile_set_pol2(struct smdp_store *s, const char *iccid, uint32_t pol2)
{
	sqlite3_stmt *st;

	if (!s || !iccid || (pol2 & ~SMDP_POL2_MASK))
		return -EINVAL;
	st = stmt_get(s, STMT_PROFILE_SET_POL2);
	if (bind_text(st, 1, iccid) || sqlite3_bind_int64(st, 2, pol2) != SQLITE_OK ||
	    sqlite3_bind_int64(st, 3, now_s()) != SQLITE_OK)
		return -EIO;
	return update_one(s, st);
}

static int set_state(struct smdp_store *s, const char *iccid, enum smdp_profile_state to, const char *eid)
{
	sqlite3_stmt *st = stmt_get(s, STMT_PROFILE_SET_STATE);
	int rc;

	if (bind_text(st, 1, iccid) || sqlite3_bind_int(st, 2, (int)to) != SQLITE_OK || bind_text(st, 3, eid) ||
	    sqlite3_bind_int64(st, 4, now_s()) != SQLITE_OK)
		return -EIO;
	rc = step_done(s, st);
	if (rc == 0 && sqlite3_changes(s->db) != 1)
		rc = -ENOENT;
	return rc;
}

static int assignment_get(struct smdp_store *s, const char *iccid, char eid[SMDP_EID_LEN + 1])
{
	sqlite3_stmt *st = stmt_get(s, STMT_ASSIGNMENT_GET);
	int rc;

	if (bind_text(st, 1, iccid))
		return -EIO;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW && eid)
		copy_col_text(eid, SMDP_EID_LEN + 1, st, 0);
	sqlite3_reset(st);
	return rc == SQLITE_ROW ? 0 : rc == SQLITE_DONE ? -ENOENT : -EIO;
}

int smdp_store_assignment_get(struct smdp_store *s, const char *iccid, char eid[SMDP_EID_LEN + 1])
{
	if (!s || !iccid)
		return -EINVAL;
	return assignment_get(s, iccid, eid);
}

int smdp_store_profile_set_state(struct smdp_store *s, const char *iccid, const char *eid, uint32_t from_mask,
				 enum smdp_profile_state to)
{
	struct smdp_profile p;
	int rc;

	if (!s || !iccid || !eid || to < SMDP_PROFILE_AVAILABLE || to > SMDP_PROFILE_DELETED)
		return -EINVAL;
	rc = tx_begin(s);
	if (rc)
		return rc;
	rc = profile_get(s, iccid, &p);
	if (rc == 0 && (!(from_mask & (1u << p.state)) || strcmp(p.eid, eid) != 0))
		rc = -EBUSY;
	if (rc == 0)
		rc = set_state(s, iccid, to, eid);
	return tx_end(s, rc);
}

/* --- download transactions ---------------------------------------------------------------------- */

static bool eid_ok(const char *eid)
{
	size_t n = eid ? strlen(eid) : 0;

	if (n != SMDP_EID_LEN)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((eid[i] >= '0' && eid[i] <= '9') || (eid[i] >= 'A' && eid[i] <= 'F')))
			return false;
	return true;
}

int smdp_store_dl_begin(struct smdp_store *s, struct smdp_dl_rec *rec)
{
	return smdp_store_dl_begin_call(s, rec, NULL, NULL);
}

int smdp_store_dl_begin_call(struct smdp_store *s, struct smdp_dl_rec *rec, const char *requester, const char *fci)
{
	struct smdp_profile p;
	char assigned[SMDP_EID_LEN + 1];
	sqlite3_stmt *st;
	int rc;

	if (!s || !rec || !eid_ok(rec->eid) || !digits_ok(rec->iccid, 18, SMDP_ICCID_MAX) || (!requester != !fci))
		return -EINVAL;
	rc = tx_begin(s);
	if (rc)
		return rc;
	rc = profile_get(s, rec->iccid, &p);
	if (rc == 0) {
		int a = assignment_get(s, rec->iccid, assigned);
		if (a == 0 && strcmp(assigned, rec->eid) != 0)
			rc = -EEXIST;
		else if (a < 0 && a != -ENOENT)
			rc = a;
	}
	if (rc == 0 &&
	    !(p.state == SMDP_PROFILE_AVAILABLE || (p.state == SMDP_PROFILE_RESERVED && strcmp(p.eid, rec->eid) == 0)))
		rc = -EBUSY;
	if (rc == 0) {
		st = stmt_get(s, STMT_DL_ACTIVE_FOR_ICCID);
		if (bind_text(st, 1, rec->iccid))
			rc = -EIO;
		else if (sqlite3_step(st) == SQLITE_ROW)
			rc = -EBUSY;
		sqlite3_reset(st);
	}
	if (rc == 0) {
		/* One download per eUICC at a time: a second ES8 session would interleave with the first. */
		st = stmt_get(s, STMT_DL_ACTIVE_FOR_EID);
		if (bind_text(st, 1, rec->eid))
			rc = -EIO;
		else if (sqlite3_step(st) == SQLITE_ROW)
			rc = -EALREADY;
		sqlite3_reset(st);
	}
	if (rc == 0)
		rc = set_state(s, rec->iccid, SMDP_PROFILE_RESERVED, rec->eid);
	if (rc == 0) {
		st = stmt_get(s, STMT_DL_INSERT);
		if (bind_text(st, 1, rec->eid) || bind_text(st, 2, rec->iccid) || bind_text(st, 3, rec->smsr_id) ||
		    bind_text(st, 4, rec->mno_ref) || sqlite3_bind_int(st, 5, rec->enable) != SQLITE_OK ||
		    sqlite3_bind_int(st, 6, SMDP_STEP_ACCEPTED) != SQLITE_OK ||
		    sqlite3_bind_int64(st, 7, now_s()) != SQLITE_OK || bind_text(st, 8, rec->ret.reply_to) ||
		    bind_text(st, 9, rec->ret.message_id) || bind_text(st, 10, rec->ret.fci) ||
		    sqlite3_bind_int(st, 11, rec->ret.ns) != SQLITE_OK)
			rc = -EIO;
		else
			rc = step_done(s, st);
		if (rc == -EEXIST) /* the partial unique index: another active download */
			rc = -EBUSY;
	}
	if (rc == 0) {
		rec->id = sqlite3_last_insert_rowid(s->db);
		rec->step = SMDP_STEP_ACCEPTED;
		rec->done = false;
	}
	if (rc == 0 && requester) {
		st = stmt_get(s, STMT_CALL_SET_DL);
		if (bind_text(st, 1, requester) || bind_text(st, 2, fci) ||
		    sqlite3_bind_int64(st, 3, rec->id) != SQLITE_OK)
			rc = -EIO;
		else
			rc = step_done(s, st);
		if (rc == 0 && sqlite3_changes(s->db) != 1)
			rc = -ENOENT;
	}
	return tx_end(s, rc);
}

static int dl_get(struct smdp_store *s, int64_t id, struct smdp_dl_rec *out)
{
	sqlite3_stmt *st = stmt_get(s, STMT_DL_GET);
	int rc;

	if (sqlite3_bind_int64(st, 1, id) != SQLITE_OK)
		return -EIO;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW && out)
		row_to_dl(st, out);
	sqlite3_reset(st);
	return rc == SQLITE_ROW ? 0 : rc == SQLITE_DONE ? -ENOENT : -EIO;
}

int smdp_store_dl_get(struct smdp_store *s, int64_t id, struct smdp_dl_rec *out)
{
	if (!s)
		return -EINVAL;
	return dl_get(s, id, out);
}

int smdp_store_dl_step(struct smdp_store *s, int64_t id, enum smdp_dl_step step, enum smdp_profile_state to_state,
		       const uint8_t *isdp_aid, size_t aid_len)
{
	struct smdp_dl_rec r;
	char assigned[SMDP_EID_LEN + 1];
	sqlite3_stmt *st;
	int rc;

	if (!s || step < SMDP_STEP_ACCEPTED || step > SMDP_STEP_DONE || aid_len > SMDP_AID_MAX)
		return -EINVAL;
	rc = tx_begin(s);
	if (rc)
		return rc;
	rc = dl_get(s, id, &r);
	if (rc == 0 && r.done)
		rc = -EBUSY;
	if (rc == 0 && step == SMDP_STEP_CREATE_ISDP) {
		/* From here an ISD-P may carry this ICCID: bind the profile to the EID for good. */
		int a = assignment_get(s, r.iccid, assigned);
		if (a == 0) {
			if (strcmp(assigned, r.eid) != 0)
				rc = -EEXIST;
		} else if (a == -ENOENT) {
			st = stmt_get(s, STMT_ASSIGNMENT_INSERT);
			if (bind_text(st, 1, r.iccid) || bind_text(st, 2, r.eid) ||
			    sqlite3_bind_int64(st, 3, now_s()) != SQLITE_OK)
				rc = -EIO;
			else
				rc = step_done(s, st);
		} else {
			rc = a;
		}
	}
	if (rc == 0) {
		st = stmt_get(s, STMT_DL_SET_STEP);
		if (sqlite3_bind_int64(st, 1, id) != SQLITE_OK || sqlite3_bind_int(st, 2, (int)step) != SQLITE_OK ||
		    bind_blob(st, 3, aid_len ? isdp_aid : NULL, aid_len) ||
		    sqlite3_bind_int64(st, 4, now_s()) != SQLITE_OK)
			rc = -EIO;
		else
			rc = step_done(s, st);
	}
	if (rc == 0 && to_state)
		rc = set_state(s, r.iccid, to_state, r.eid);
	rc = tx_end(s, rc);
	if (rc == 0)
		LOGP(DSTORE, LOGL_DEBUG, "download %lld: step %s\n", (long long)id,
		     get_value_string(smdp_dl_step_names, step));
	return rc;
}

int smdp_store_dl_finish(struct smdp_store *s, int64_t id, enum smdp_profile_state to_state, const char *result)
{
	return smdp_store_dl_finish_call(s, id, to_state, result, NULL);
}

static int bind_result(sqlite3_stmt *st, int col, const struct smdp_call_result *res)
{
	if (sqlite3_bind_int(st, col, res->status) != SQLITE_OK || bind_text(st, col + 1, res->subject) ||
	    bind_text(st, col + 2, res->reason) || bind_text(st, col + 3, res->message) ||
	    bind_text(st, col + 4, res->iccid))
		return -EIO;
	return 0;
}

int smdp_store_dl_finish_call(struct smdp_store *s, int64_t id, enum smdp_profile_state to_state, const char *result,
			      const struct smdp_call_result *res)
{
	struct smdp_dl_rec r;
	sqlite3_stmt *st;
	const char *eid;
	int rc;

	if (!s)
		return -EINVAL;
	rc = tx_begin(s);
	if (rc)
		return rc;
	rc = dl_get(s, id, &r);
	if (rc == 0 && r.done)
		rc = -EBUSY;
	if (rc == 0) {
		st = stmt_get(s, STMT_DL_FINISH);
		if (sqlite3_bind_int64(st, 1, id) != SQLITE_OK ||
		    sqlite3_bind_int(st, 2, SMDP_STEP_DONE) != SQLITE_OK || bind_text(st, 3, result) ||
		    sqlite3_bind_int64(st, 4, now_s()) != SQLITE_OK)
			rc = -EIO;
		else
			rc = step_done(s, st);
	}
	if (rc == 0 && to_state) {
		eid = r.eid;
		/* Back to the pool only if it never reached a card; otherwise it stays bound to its EID. */
		if (to_state == SMDP_PROFILE_AVAILABLE) {
			int a = assignment_get(s, r.iccid, NULL);
			if (a == 0)
				to_state = SMDP_PROFILE_RESERVED;
			else if (a == -ENOENT)
				eid = "";
			else
				rc = a;
		}
		if (rc == 0)
			rc = set_state(s, r.iccid, to_state, eid);
	}
	if (rc == 0 && res) {
		st = stmt_get(s, STMT_CALL_FINISH_DL);
		if (sqlite3_bind_int64(st, 1, id) != SQLITE_OK || bind_result(st, 2, res))
			rc = -EIO;
		else
			rc = step_done(s, st);
	}
	return tx_end(s, rc);
}

int smdp_store_dl_foreach_active(struct smdp_store *s, int (*cb)(const struct smdp_dl_rec *r, void *priv), void *priv)
{
	struct smdp_dl_rec *recs = NULL;
	sqlite3_stmt *st;
	size_t n = 0;
	int rc;

	if (!s || !cb)
		return -EINVAL;
	/* Collect first: the callback may change the rows (and reuse the statements). */
	st = stmt_get(s, STMT_DL_ACTIVE);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct smdp_dl_rec *nr = talloc_realloc(s, recs, struct smdp_dl_rec, n + 1);
		if (!nr) {
			rc = SQLITE_NOMEM;
			break;
		}
		recs = nr;
		row_to_dl(st, &recs[n++]);
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		talloc_free(recs);
		return -EIO;
	}
	for (size_t i = 0; i < n; i++)
		if (cb(&recs[i], priv))
			break;
	talloc_free(recs);
	return 0;
}

/* --- ES2 function calls ------------------------------------------------------------------------------ */

static void row_to_call(sqlite3_stmt *st, struct smdp_call_rec *r)
{
	memset(r, 0, sizeof(*r));
	copy_col_text(r->requester, sizeof(r->requester), st, 0);
	copy_col_text(r->fci, sizeof(r->fci), st, 1);
	r->function = sqlite3_column_int(st, 2);
	copy_col_text(r->fingerprint, sizeof(r->fingerprint), st, 3);
	r->received = sqlite3_column_int64(st, 4);
	r->dl_id = sqlite3_column_int64(st, 5);
	r->done = sqlite3_column_int(st, 6) != 0;
	r->res.status = sqlite3_column_int(st, 7);
	copy_col_text(r->res.subject, sizeof(r->res.subject), st, 8);
	copy_col_text(r->res.reason, sizeof(r->res.reason), st, 9);
	copy_col_text(r->res.message, sizeof(r->res.message), st, 10);
	copy_col_text(r->res.iccid, sizeof(r->res.iccid), st, 11);
}

static bool call_key_ok(const char *requester, const char *fci)
{
	return requester && fci && fci[0] && strlen(requester) <= SMDP_ID_MAX && strlen(fci) <= SMDP_ID_MAX;
}

int smdp_store_call_begin(struct smdp_store *s, const struct smdp_call_rec *rec)
{
	sqlite3_stmt *st;
	int rc;

	if (!s || !rec || !call_key_ok(rec->requester, rec->fci))
		return -EINVAL;
	rc = tx_begin(s);
	if (rc)
		return rc;
	st = stmt_get(s, STMT_CALL_INSERT);
	if (bind_text(st, 1, rec->requester) || bind_text(st, 2, rec->fci) ||
	    sqlite3_bind_int(st, 3, rec->function) != SQLITE_OK || bind_text(st, 4, rec->fingerprint) ||
	    sqlite3_bind_int64(st, 5, rec->received) != SQLITE_OK)
		rc = -EIO;
	else
		rc = step_done(s, st); /* -EEXIST: the primary key (requester, fci) is taken */
	return tx_end(s, rc);
}

static int call_get_one(struct smdp_store *s, sqlite3_stmt *st, struct smdp_call_rec *out)
{
	int rc = sqlite3_step(st);

	if (rc == SQLITE_ROW && out)
		row_to_call(st, out);
	sqlite3_reset(st);
	return rc == SQLITE_ROW ? 0 : rc == SQLITE_DONE ? -ENOENT : -EIO;
}

int smdp_store_call_get(struct smdp_store *s, const char *requester, const char *fci, struct smdp_call_rec *out)
{
	sqlite3_stmt *st;

	if (!s || !call_key_ok(requester, fci))
		return -EINVAL;
	st = stmt_get(s, STMT_CALL_GET);
	if (bind_text(st, 1, requester) || bind_text(st, 2, fci))
		return -EIO;
	return call_get_one(s, st, out);
}

int smdp_store_call_get_by_dl(struct smdp_store *s, int64_t dl_id, struct smdp_call_rec *out)
{
	sqlite3_stmt *st;

	if (!s || dl_id <= 0)
		return -EINVAL;
	st = stmt_get(s, STMT_CALL_GET_BY_DL);
	if (sqlite3_bind_int64(st, 1, dl_id) != SQLITE_OK)
		return -EIO;
	return call_get_one(s, st, out);
}

int smdp_store_call_finish(struct smdp_store *s, const char *requester, const char *fci,
			   const struct smdp_call_result *res)
{
	struct smdp_call_rec r;
	sqlite3_stmt *st;
	int rc;

	if (!s || !res || !call_key_ok(requester, fci))
		return -EINVAL;
	rc = tx_begin(s);
	if (rc)
		return rc;
	st = stmt_get(s, STMT_CALL_GET);
	if (bind_text(st, 1, requester) || bind_text(st, 2, fci))
		rc = -EIO;
	else
		rc = call_get_one(s, st, &r);
	if (rc == 0 && r.done)
		rc = -EBUSY;
	if (rc == 0) {
		st = stmt_get(s, STMT_CALL_FINISH);
		if (bind_text(st, 1, requester) || bind_text(st, 2, fci) || bind_result(st, 3, res))
			rc = -EIO;
		else
			rc = step_done(s, st);
	}
	return tx_end(s, rc);
}

int smdp_store_call_foreach_running(struct smdp_store *s, int (*cb)(const struct smdp_call_rec *r, void *priv),
				    void *priv)
{
	struct smdp_call_rec *recs = NULL;
	sqlite3_stmt *st;
	size_t n = 0;
	int rc;

	if (!s || !cb)
		return -EINVAL;
	/* Collect first: the callback ends the calls (and reuses the statements). */
	st = stmt_get(s, STMT_CALL_RUNNING);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct smdp_call_rec *nr = talloc_realloc(s, recs, struct smdp_call_rec, n + 1);
		if (!nr) {
			rc = SQLITE_NOMEM;
			break;
		}
		recs = nr;
		row_to_call(st, &recs[n++]);
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		talloc_free(recs);
		return -EIO;
	}
	rc = 0;
	for (size_t i = 0; i < n && rc == 0; i++)
		rc = cb(&recs[i], priv);
	talloc_free(recs);
	return (int)n;
}

int smdp_store_call_purge(struct smdp_store *s, int64_t before, unsigned int max_rows)
{
	sqlite3_stmt *st;
	int rc, n = 0;

	if (!s)
		return -EINVAL;
	rc = tx_begin(s);
	if (rc)
		return rc;
	st = stmt_get(s, STMT_CALL_PURGE_OLD);
	if (sqlite3_bind_int64(st, 1, before) != SQLITE_OK)
		rc = -EIO;
	else
		rc = step_done(s, st);
	if (rc == 0) {
		n = sqlite3_changes(s->db);
		st = stmt_get(s, STMT_CALL_PURGE_EXCESS);
		if (sqlite3_bind_int64(st, 1, max_rows) != SQLITE_OK)
			rc = -EIO;
		else
			rc = step_done(s, st);
		if (rc == 0)
			n += sqlite3_changes(s->db);
	}
	rc = tx_end(s, rc);
	return rc < 0 ? rc : n;
}
