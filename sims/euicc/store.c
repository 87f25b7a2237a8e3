/* sims/euicc: the card's NVM in SQLite (see store.h). Schema:
 *
 *   param(name TEXT PK, v BLOB)                       singletons (ECASD, addressing, counters, op.*)
 *   keyset(kvn INT PK, type INT, k1 k2 k3 BLOB, cntr_in INT, cntr_out INT)
 *   isdp(aid BLOB PK, tar INT, state INT, fallback INT, pol1 INT, quota INT,
 *        scp03 BLOB (kvn ‖ ENC ‖ MAC ‖ DEK, NULL = none), prof BLOB (packed, NULL = none),
 *        loci BLOB, sqn BLOB (32 × 8 bytes big-endian))
 *   notif(seq INT PK, type INT, aid BLOB, attempts INT)
 *
 * synchronous=FULL and the rollback journal: a commit is on disk when it returns. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "sims/euicc/store.h"

enum stmt {
	S_BEGIN,
	S_COMMIT,
	S_ROLLBACK,
	S_PARAM_GET,
	S_PARAM_SET,
	S_PARAM_DEL,
	S_KS_GET,
	S_KS_PUT,
	S_KS_DEL,
	S_KS_CNTR,
	S_KS_LIST,
	S_ISDP_GET,
	S_ISDP_TAR,
	S_ISDP_ENABLED,
	S_ISDP_PUT,
	S_ISDP_DEL,
	S_ISDP_STATE,
	S_ISDP_LIST,
	S_NOTIF_ADD,
	S_NOTIF_GET,
	S_NOTIF_ATT,
	S_NOTIF_DEL,
	S_NOTIF_LIST,
	_S_NUM,
};

#define ISDP_COLS "aid, tar, state, fallback, pol1, quota, scp03, prof, loci, sqn"

static const char *const stmt_sql[_S_NUM] = {
	[S_BEGIN] = "BEGIN IMMEDIATE",
	[S_COMMIT] = "COMMIT",
	[S_ROLLBACK] = "ROLLBACK",
	[S_PARAM_GET] = "SELECT v FROM param WHERE name = ?",
	[S_PARAM_SET] = "INSERT OR REPLACE INTO param (name, v) VALUES (?, ?)",
	[S_PARAM_DEL] = "DELETE FROM param WHERE name = ?",
	[S_KS_GET] = "SELECT kvn, type, k1, k2, k3, cntr_in, cntr_out FROM keyset WHERE kvn = ?",
	[S_KS_PUT] = "INSERT OR REPLACE INTO keyset (kvn, type, k1, k2, k3, cntr_in, cntr_out) VALUES (?, ?, ?, ?, ?, "
		     "?, ?)",
	[S_KS_DEL] = "DELETE FROM keyset WHERE kvn = ?",
	[S_KS_CNTR] = "UPDATE keyset SET cntr_in = ?, cntr_out = ? WHERE kvn = ?",
	[S_KS_LIST] = "SELECT kvn, type, k1, k2, k3, cntr_in, cntr_out FROM keyset ORDER BY kvn",
	[S_ISDP_GET] = "SELECT " ISDP_COLS " FROM isdp WHERE aid = ?",
	[S_ISDP_TAR] = "SELECT " ISDP_COLS " FROM isdp WHERE tar = ?",
	[S_ISDP_ENABLED] = "SELECT " ISDP_COLS " FROM isdp WHERE state = 63", /* 3F */
	[S_ISDP_PUT] = "INSERT OR REPLACE INTO isdp (" ISDP_COLS ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
	[S_ISDP_DEL] = "DELETE FROM isdp WHERE aid = ?",
	[S_ISDP_STATE] = "UPDATE isdp SET state = ? WHERE aid = ?",
	[S_ISDP_LIST] = "SELECT " ISDP_COLS " FROM isdp ORDER BY tar",
	[S_NOTIF_ADD] = "INSERT INTO notif (seq, type, aid, attempts) VALUES (?, ?, ?, ?)",
	[S_NOTIF_GET] = "SELECT seq, type, aid, attempts FROM notif WHERE seq = ?",
	[S_NOTIF_ATT] = "UPDATE notif SET attempts = ? WHERE seq = ?",
	[S_NOTIF_DEL] = "DELETE FROM notif WHERE seq = ?",
	[S_NOTIF_LIST] = "SELECT seq, type, aid, attempts FROM notif ORDER BY rowid",
};

static const char schema[] = "PRAGMA journal_mode = DELETE;"
			     "CREATE TABLE IF NOT EXISTS param (name TEXT PRIMARY KEY, v BLOB NOT NULL);"
			     "CREATE TABLE IF NOT EXISTS keyset (kvn INTEGER PRIMARY KEY, type INTEGER NOT NULL,"
			     " k1 BLOB, k2 BLOB, k3 BLOB, cntr_in INTEGER NOT NULL, cntr_out INTEGER NOT NULL);"
			     "CREATE TABLE IF NOT EXISTS isdp (aid BLOB PRIMARY KEY, tar INTEGER UNIQUE NOT NULL,"
			     " state INTEGER NOT NULL, fallback INTEGER NOT NULL, pol1 INTEGER NOT NULL,"
			     " quota INTEGER NOT NULL, scp03 BLOB, prof BLOB, loci BLOB, sqn BLOB);"
			     "CREATE TABLE IF NOT EXISTS notif (seq INTEGER PRIMARY KEY, type INTEGER NOT NULL,"
			     " aid BLOB, attempts INTEGER NOT NULL);";

struct euicc_store {
	sqlite3 *db;
	sqlite3_stmt *s[_S_NUM];
};

static int db_err(struct euicc_store *st, const char *what)
{
	fprintf(stderr, "euicc store: %s: %s\n", what, sqlite3_errmsg(st->db));
	return -EIO;
}

void euicc_store_close(struct euicc_store *st)
{
	if (!st)
		return;
	for (int i = 0; i < _S_NUM; i++)
		sqlite3_finalize(st->s[i]);
	sqlite3_close(st->db);
	free(st);
}

/* Read-only, for inspection while `serve` has the file open: no schema change, a busy timeout for the
 * server's commits. Every setter then fails with -EIO. */
int euicc_store_open_ro(struct euicc_store **out, const char *path)
{
	struct euicc_store *st;

	*out = NULL;
	st = calloc(1, sizeof(*st));
	if (!st)
		return -ENOMEM;
	if (sqlite3_open_v2(path, &st->db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
		db_err(st, "open");
		euicc_store_close(st);
		return -EIO;
	}
	sqlite3_busy_timeout(st->db, EUICC_STORE_RO_BUSY_MS);
	for (int i = 0; i < _S_NUM; i++) {
		if (sqlite3_prepare_v2(st->db, stmt_sql[i], -1, &st->s[i], NULL) != SQLITE_OK) {
			db_err(st, "prepare");
			euicc_store_close(st);
			return -EIO;
		}
	}
	*out = st;
	return 0;
}

int euicc_store_read_begin(struct euicc_store *st)
{
	return sqlite3_exec(st->db, "BEGIN DEFERRED", NULL, NULL, NULL) == SQLITE_OK ? 0 : db_err(st, "begin");
}

int euicc_store_open(struct euicc_store **out, const char *path, bool create)
{
	struct euicc_store *st;
	int flags = SQLITE_OPEN_READWRITE;

	*out = NULL;
	if (create) {
		/* The file exists with mode 0600 before SQLite touches it; its journal inherits the mode. */
		int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd < 0)
			return -errno;
		close(fd);
	}
	st = calloc(1, sizeof(*st));
	if (!st)
		return -ENOMEM;
	if (sqlite3_open_v2(path, &st->db, flags, NULL) != SQLITE_OK) {
		db_err(st, "open");
		euicc_store_close(st);
		return -EIO;
	}
	sqlite3_busy_timeout(st->db, 1000);
	if (sqlite3_exec(st->db, "PRAGMA synchronous = FULL;", NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_exec(st->db, schema, NULL, NULL, NULL) != SQLITE_OK) {
		db_err(st, "schema");
		euicc_store_close(st);
		return -EIO;
	}
	for (int i = 0; i < _S_NUM; i++) {
		if (sqlite3_prepare_v2(st->db, stmt_sql[i], -1, &st->s[i], NULL) != SQLITE_OK) {
			db_err(st, stmt_sql[i]);
			euicc_store_close(st);
			return -EIO;
		}
	}
	*out = st;
	return 0;
}

/* Run a statement that returns no rows, then reset it. */
static int run(struct euicc_store *st, sqlite3_stmt *s)
{
	int rc = sqlite3_step(s);
	int ret = rc == SQLITE_DONE ? 0 : db_err(st, sqlite3_sql(s));
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	return ret;
}

static void done(sqlite3_stmt *s)
{
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
}

int euicc_store_begin(struct euicc_store *st)
{
	return run(st, st->s[S_BEGIN]);
}

int euicc_store_commit(struct euicc_store *st)
{
	return run(st, st->s[S_COMMIT]);
}

int euicc_store_rollback(struct euicc_store *st)
{
	if (sqlite3_get_autocommit(st->db))
		return 0;
	return run(st, st->s[S_ROLLBACK]);
}

/* Copy a BLOB column into buf (cap bytes); -EINVAL if it does not fit. */
static int col_blob(sqlite3_stmt *s, int col, uint8_t *buf, size_t cap, size_t *len)
{
	int n = sqlite3_column_bytes(s, col);
	const void *p = sqlite3_column_blob(s, col);

	if (n < 0 || (size_t)n > cap)
		return -EINVAL;
	if (n)
		memcpy(buf, p, (size_t)n);
	*len = (size_t)n;
	return 0;
}

int euicc_store_param_get(struct euicc_store *st, const char *name, uint8_t *buf, size_t *len)
{
	sqlite3_stmt *s = st->s[S_PARAM_GET];
	int rc;

	sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		rc = col_blob(s, 0, buf, *len, len);
	else
		rc = rc == SQLITE_DONE ? -ENOENT : db_err(st, "param get");
	done(s);
	return rc;
}

int euicc_store_param_set(struct euicc_store *st, const char *name, const uint8_t *buf, size_t len)
{
	sqlite3_stmt *s = st->s[S_PARAM_SET];

	sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_blob(s, 2, len ? (const void *)buf : "", (int)len, SQLITE_STATIC);
	return run(st, s);
}

int euicc_store_param_del(struct euicc_store *st, const char *name)
{
	sqlite3_stmt *s = st->s[S_PARAM_DEL];

	sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
	return run(st, s);
}

uint64_t euicc_store_param_u64(struct euicc_store *st, const char *name, uint64_t dflt)
{
	uint8_t b[8];
	size_t len = sizeof(b);
	uint64_t v = 0;

	if (euicc_store_param_get(st, name, b, &len) < 0 || len != 8)
		return dflt;
	for (int i = 0; i < 8; i++)
		v = v << 8 | b[i];
	return v;
}

int euicc_store_param_set_u64(struct euicc_store *st, const char *name, uint64_t v)
{
	uint8_t b[8];

	for (int i = 7; i >= 0; i--, v >>= 8)
		b[i] = (uint8_t)v;
	return euicc_store_param_set(st, name, b, sizeof(b));
}

/* --- key sets ---------------------------------------------------------------------------------- */

static int ks_row(sqlite3_stmt *s, struct euicc_keyset *ks)
{
	memset(ks, 0, sizeof(*ks));
	ks->kvn = (uint8_t)sqlite3_column_int(s, 0);
	ks->type = (uint8_t)sqlite3_column_int(s, 1);
	for (int i = 0; i < 3; i++) {
		size_t n;
		if (col_blob(s, 2 + i, ks->key[i], EUICC_KEY_MAX, &n) < 0)
			return -EINVAL;
		ks->key_len[i] = (uint8_t)n;
	}
	ks->cntr_in = (uint64_t)sqlite3_column_int64(s, 5);
	ks->cntr_out = (uint64_t)sqlite3_column_int64(s, 6);
	return 0;
}

int euicc_store_keyset_get(struct euicc_store *st, uint8_t kvn, struct euicc_keyset *ks)
{
	sqlite3_stmt *s = st->s[S_KS_GET];
	int rc;

	sqlite3_bind_int(s, 1, kvn);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		rc = ks_row(s, ks);
	else
		rc = rc == SQLITE_DONE ? -ENOENT : db_err(st, "keyset get");
	done(s);
	return rc;
}

int euicc_store_keyset_put(struct euicc_store *st, const struct euicc_keyset *ks)
{
	sqlite3_stmt *s = st->s[S_KS_PUT];

	sqlite3_bind_int(s, 1, ks->kvn);
	sqlite3_bind_int(s, 2, ks->type);
	for (int i = 0; i < 3; i++) {
		if (ks->key_len[i] > EUICC_KEY_MAX)
			return -EINVAL;
		if (ks->key_len[i])
			sqlite3_bind_blob(s, 3 + i, ks->key[i], ks->key_len[i], SQLITE_STATIC);
		else
			sqlite3_bind_null(s, 3 + i);
	}
	sqlite3_bind_int64(s, 6, (sqlite3_int64)ks->cntr_in);
	sqlite3_bind_int64(s, 7, (sqlite3_int64)ks->cntr_out);
	return run(st, s);
}

int euicc_store_keyset_del(struct euicc_store *st, uint8_t kvn)
{
	sqlite3_stmt *s = st->s[S_KS_DEL];

	sqlite3_bind_int(s, 1, kvn);
	return run(st, s);
}

int euicc_store_keyset_set_cntr(struct euicc_store *st, uint8_t kvn, uint64_t cntr_in, uint64_t cntr_out)
{
	sqlite3_stmt *s = st->s[S_KS_CNTR];

	sqlite3_bind_int64(s, 1, (sqlite3_int64)cntr_in);
	sqlite3_bind_int64(s, 2, (sqlite3_int64)cntr_out);
	sqlite3_bind_int(s, 3, kvn);
	return run(st, s);
}

int euicc_store_keyset_list(struct euicc_store *st, struct euicc_keyset *out, size_t cap)
{
	sqlite3_stmt *s = st->s[S_KS_LIST];
	size_t n = 0;
	int rc;

	while ((rc = sqlite3_step(s)) == SQLITE_ROW && n < cap) {
		if (ks_row(s, &out[n]) < 0)
			break;
		n++;
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		done(s);
		return db_err(st, "keyset list");
	}
	done(s);
	return (int)n;
}

/* --- ISD-Ps ---------------------------------------------------------------------------------- */

/* Packed profile: iccid[20] imsi[15] msisdn[15] (NUL padded) algo k[16] opc[16] aid_len aid[16]. */
#define PROF_PACKED (20 + 15 + 15 + 1 + 16 + 16 + 1 + EUICC_AID_MAX)

static void prof_pack(uint8_t *b, const struct euicc_profile *p)
{
	memset(b, 0, PROF_PACKED);
	memcpy(b, p->iccid, strnlen(p->iccid, 20));
	memcpy(b + 20, p->imsi, strnlen(p->imsi, 15));
	memcpy(b + 35, p->msisdn, strnlen(p->msisdn, 15));
	b[50] = p->algo;
	memcpy(b + 51, p->k, 16);
	memcpy(b + 67, p->opc, 16);
	b[83] = p->usim_aid_len;
	memcpy(b + 84, p->usim_aid, EUICC_AID_MAX);
}

static int prof_unpack(struct euicc_profile *p, const uint8_t *b)
{
	memset(p, 0, sizeof(*p));
	memcpy(p->iccid, b, 20);
	memcpy(p->imsi, b + 20, 15);
	memcpy(p->msisdn, b + 35, 15);
	p->algo = b[50];
	memcpy(p->k, b + 51, 16);
	memcpy(p->opc, b + 67, 16);
	p->usim_aid_len = b[83];
	if (p->usim_aid_len > EUICC_AID_MAX)
		return -EINVAL;
	memcpy(p->usim_aid, b + 84, EUICC_AID_MAX);
	return 0;
}

static int isdp_row(sqlite3_stmt *s, struct euicc_isdp *p)
{
	uint8_t buf[EUICC_SQN_SLOTS * 8];
	size_t n;

	memset(p, 0, sizeof(*p));
	if (col_blob(s, 0, p->aid, EUICC_AID_MAX, &n) < 0)
		return -EINVAL;
	p->aid_len = (uint8_t)n;
	p->tar = (uint32_t)sqlite3_column_int64(s, 1);
	p->state = (uint8_t)sqlite3_column_int(s, 2);
	p->fallback = sqlite3_column_int(s, 3) != 0;
	p->pol1 = (uint8_t)sqlite3_column_int(s, 4);
	p->quota = (uint32_t)sqlite3_column_int64(s, 5);
	if (col_blob(s, 6, buf, sizeof(buf), &n) < 0)
		return -EINVAL;
	if (n == 49) {
		p->has_scp03 = true;
		p->scp03_kvn = buf[0];
		memcpy(p->scp03, buf + 1, 48);
	} else if (n) {
		return -EINVAL;
	}
	if (col_blob(s, 7, buf, sizeof(buf), &n) < 0)
		return -EINVAL;
	if (n == PROF_PACKED) {
		p->has_profile = true;
		if (prof_unpack(&p->prof, buf) < 0)
			return -EINVAL;
	} else if (n) {
		return -EINVAL;
	}
	if (col_blob(s, 8, buf, sizeof(buf), &n) < 0 || (n && n != EUICC_LOCI_LEN))
		return -EINVAL;
	memcpy(p->loci, buf, n);
	if (col_blob(s, 9, buf, sizeof(buf), &n) < 0 || (n && n != sizeof(buf)))
		return -EINVAL;
	for (size_t i = 0; n && i < EUICC_SQN_SLOTS; i++)
		for (int j = 0; j < 8; j++)
			p->sqn[i] = p->sqn[i] << 8 | buf[i * 8 + j];
	return 0;
}

static int isdp_one(struct euicc_store *st, sqlite3_stmt *s, struct euicc_isdp *out)
{
	int rc = sqlite3_step(s);

	if (rc == SQLITE_ROW)
		rc = isdp_row(s, out);
	else
		rc = rc == SQLITE_DONE ? -ENOENT : db_err(st, "isdp get");
	done(s);
	return rc;
}

int euicc_store_isdp_get(struct euicc_store *st, const uint8_t *aid, size_t aid_len, struct euicc_isdp *out)
{
	sqlite3_stmt *s = st->s[S_ISDP_GET];

	if (!aid_len || aid_len > EUICC_AID_MAX)
		return -ENOENT;
	sqlite3_bind_blob(s, 1, aid, (int)aid_len, SQLITE_STATIC);
	return isdp_one(st, s, out);
}

int euicc_store_isdp_get_by_tar(struct euicc_store *st, uint32_t tar, struct euicc_isdp *out)
{
	sqlite3_stmt *s = st->s[S_ISDP_TAR];

	sqlite3_bind_int64(s, 1, tar);
	return isdp_one(st, s, out);
}

int euicc_store_isdp_enabled(struct euicc_store *st, struct euicc_isdp *out)
{
	return isdp_one(st, st->s[S_ISDP_ENABLED], out);
}

int euicc_store_isdp_put(struct euicc_store *st, const struct euicc_isdp *p)
{
	sqlite3_stmt *s = st->s[S_ISDP_PUT];
	uint8_t scp03[49], prof[PROF_PACKED], sqn[EUICC_SQN_SLOTS * 8];

	if (!p->aid_len || p->aid_len > EUICC_AID_MAX)
		return -EINVAL;
	sqlite3_bind_blob(s, 1, p->aid, p->aid_len, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, p->tar);
	sqlite3_bind_int(s, 3, p->state);
	sqlite3_bind_int(s, 4, p->fallback);
	sqlite3_bind_int(s, 5, p->pol1);
	sqlite3_bind_int64(s, 6, p->quota);
	if (p->has_scp03) {
		scp03[0] = p->scp03_kvn;
		memcpy(scp03 + 1, p->scp03, 48);
		sqlite3_bind_blob(s, 7, scp03, sizeof(scp03), SQLITE_STATIC);
	} else {
		sqlite3_bind_null(s, 7);
	}
	if (p->has_profile) {
		prof_pack(prof, &p->prof);
		sqlite3_bind_blob(s, 8, prof, sizeof(prof), SQLITE_STATIC);
	} else {
		sqlite3_bind_null(s, 8);
	}
	sqlite3_bind_blob(s, 9, p->loci, EUICC_LOCI_LEN, SQLITE_STATIC);
	for (size_t i = 0; i < EUICC_SQN_SLOTS; i++)
		for (int j = 0; j < 8; j++)
			sqn[i * 8 + (size_t)j] = (uint8_t)(p->sqn[i] >> (56 - 8 * j));
	sqlite3_bind_blob(s, 10, sqn, sizeof(sqn), SQLITE_STATIC);
	return run(st, s);
}

int euicc_store_isdp_del(struct euicc_store *st, const uint8_t *aid, size_t aid_len)
{
	sqlite3_stmt *s = st->s[S_ISDP_DEL];

	sqlite3_bind_blob(s, 1, aid, (int)aid_len, SQLITE_STATIC);
	return run(st, s);
}

int euicc_store_isdp_set_state(struct euicc_store *st, const uint8_t *aid, size_t aid_len, uint8_t state)
{
	sqlite3_stmt *s = st->s[S_ISDP_STATE];

	sqlite3_bind_int(s, 1, state);
	sqlite3_bind_blob(s, 2, aid, (int)aid_len, SQLITE_STATIC);
	return run(st, s);
}

int euicc_store_isdp_list(struct euicc_store *st, struct euicc_isdp *out, size_t cap)
{
	sqlite3_stmt *s = st->s[S_ISDP_LIST];
	size_t n = 0;
	int rc;

	while (n < cap && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (isdp_row(s, &out[n]) < 0) {
			done(s);
			return -EINVAL;
		}
		n++;
	}
	done(s);
	return (int)n;
}

/* --- notifications ----------------------------------------------------------------------------- */

static int notif_row(sqlite3_stmt *s, struct euicc_notif *n)
{
	size_t len;

	memset(n, 0, sizeof(*n));
	n->seq = (uint16_t)sqlite3_column_int(s, 0);
	n->type = (uint8_t)sqlite3_column_int(s, 1);
	if (col_blob(s, 2, n->aid, EUICC_AID_MAX, &len) < 0)
		return -EINVAL;
	n->aid_len = (uint8_t)len;
	n->attempts = (unsigned int)sqlite3_column_int(s, 3);
	return 0;
}

int euicc_store_notif_add(struct euicc_store *st, const struct euicc_notif *n)
{
	sqlite3_stmt *s = st->s[S_NOTIF_ADD];

	sqlite3_bind_int(s, 1, n->seq);
	sqlite3_bind_int(s, 2, n->type);
	sqlite3_bind_blob(s, 3, n->aid, n->aid_len, SQLITE_STATIC);
	sqlite3_bind_int(s, 4, (int)n->attempts);
	return run(st, s);
}

int euicc_store_notif_get(struct euicc_store *st, uint16_t seq, struct euicc_notif *n)
{
	sqlite3_stmt *s = st->s[S_NOTIF_GET];
	int rc;

	sqlite3_bind_int(s, 1, seq);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		rc = notif_row(s, n);
	else
		rc = rc == SQLITE_DONE ? -ENOENT : db_err(st, "notif get");
	done(s);
	return rc;
}

int euicc_store_notif_set_attempts(struct euicc_store *st, uint16_t seq, unsigned int attempts)
{
	sqlite3_stmt *s = st->s[S_NOTIF_ATT];

	sqlite3_bind_int(s, 1, (int)attempts);
	sqlite3_bind_int(s, 2, seq);
	return run(st, s);
}

int euicc_store_notif_del(struct euicc_store *st, uint16_t seq)
{
	sqlite3_stmt *s = st->s[S_NOTIF_DEL];

	sqlite3_bind_int(s, 1, seq);
	return run(st, s);
}

int euicc_store_notif_list(struct euicc_store *st, struct euicc_notif *out, size_t cap)
{
	sqlite3_stmt *s = st->s[S_NOTIF_LIST];
	size_t n = 0;

	while (n < cap && sqlite3_step(s) == SQLITE_ROW) {
		if (notif_row(s, &out[n]) < 0) {
			done(s);
			return -EINVAL;
		}
		n++;
	}
	done(s);
	return (int)n;
}

int euicc_store_check(struct euicc_store *st)
{
	struct euicc_isdp p[EUICC_MAX_ISDP];
	int n = euicc_store_isdp_list(st, p, EUICC_MAX_ISDP);
	unsigned int enabled = 0, fallback = 0;

	if (n < 0)
		return n;
	for (int i = 0; i < n; i++) {
		switch (p[i].state) {
		case 0x03:
		case 0x07:
		case 0x0F:
		case 0x1F: break;
		case 0x3F:
			enabled++;
			if (!p[i].has_profile)
				return -EINVAL;
			break;
		default: return -EINVAL;
		}
		fallback += p[i].fallback;
	}
	return enabled <= 1 && fallback <= 1 ? 0 : -EINVAL;
}
