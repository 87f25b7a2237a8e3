/* The SM-SR's persistent state behind a narrow API (osmo-hlr db.h shape): the EIS of every eUICC it
 * manages with its profiles, the ISD-R key sets (SCP80 KVN/KIc/KID/KIK with the persistent counter,
 * SCP81 PSK), the audit trail, pending operations (what a restarted SM-SR resumes or aborts), and the
 * last E1 notification sequence number per eUICC. SQLite with every SQL statement prepared once
 * (enum smsr_stmt); every state change runs in one transaction, so a crash between two statements
 * leaves the state of before the call.
 *
 * Trust: the database is ours (trusted); values stored come from validated messages. Key material is
 * stored in the database (created 0600) and never logged. Ownership: smsr_store_open() returns a
 * talloc object; strings and byte buffers a getter returns are copied into the caller's struct (fixed
 * sizes) or allocated under the ctx the caller gives.
 *
 * Returns: 0 or a negative errno: -ENOENT not found, -EEXIST duplicate, -EIO an SQLite error (the
 * message is in smsr_store_last_error()), -EINVAL, -EMSGSIZE a value over its fixed size, -ENOMEM. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/es/es.h"

#define SMSR_EID_HEX_MAX 65 /* 32 bytes hex + NUL (EIDType hexBinary <= 32 bytes) */
#define SMSR_ICCID_MAX	 21
#define SMSR_AID_MAX	 16
#define SMSR_OID_MAX	 128
#define SMSR_MSISDN_MAX	 16
#define SMSR_KEY_MAX	 32
#define SMSR_POL2_MAX	 64

struct smsr_store;

/* EIS row states: where the eUICC is in its management life (SM-SR Change, digest §2.1). */
enum smsr_eis_state {
	SMSR_EIS_ACTIVE = 1,	   /* managed by us */
	SMSR_EIS_HANDOVER_OUT = 2, /* SR1: SMSRChange running, locked (digest §2.1 step 5) */
	SMSR_EIS_HANDOVER_IN = 3,  /* SR2: PrepareSMSRChange accepted, awaiting HandoverEUICC (step 2) */
	SMSR_EIS_RECEIVED = 4,	   /* SR2: EIS received, keys not yet established (steps 6..22) */
};
extern const struct value_string smsr_eis_state_names[];

struct smsr_eis_row {
	char eid[SMSR_EID_HEX_MAX]; /* upper-case hex */
	char eum_id[SMSR_OID_MAX];
	char smsr_id[SMSR_OID_MAX];
	enum smsr_eis_state state;
	int64_t remaining_memory;
	char msisdn[SMSR_MSISDN_MAX];	 /* ES5 SMS address of the eUICC (from the enabled profile) */
	int last_notif_seq;		 /* -1 = none yet */
	char peer_smsr_id[SMSR_OID_MAX]; /* SM-SR Change: the other SM-SR */
	int64_t deadline;		 /* SM-SR Change: validity end (unix s), 0 = none */
};

struct smsr_profile_row {
	char eid[SMSR_EID_HEX_MAX];
	char iccid[SMSR_ICCID_MAX];
	uint8_t isdp_aid[SMSR_AID_MAX];
	size_t isdp_aid_len;
	char mno_id[SMSR_OID_MAX];
	char smdp_id[SMSR_OID_MAX];
	enum es_profile_state state; /* 0 = "in creation" (CreateISDP running) */
	bool fallback;
	char imsi[16];
	char msisdn[SMSR_MSISDN_MAX];
	int64_t allocated_memory;
	uint8_t pol2[SMSR_POL2_MAX]; /* rules, 3 bytes each: subject, action, qualification */
	size_t pol2_len;
};

enum smsr_keyset_kind {
	SMSR_KEYSET_SCP80 = 1,
	SMSR_KEYSET_SCP81 = 2,
};

struct smsr_keyset_row {
	char eid[SMSR_EID_HEX_MAX];
	uint8_t kvn;
	enum smsr_keyset_kind kind;
	uint8_t kic[SMSR_KEY_MAX], kid[SMSR_KEY_MAX], kik[SMSR_KEY_MAX]; /* SCP80: KIc=1, KID=2, KIK=3 */
	size_t kic_len, kid_len, kik_len;
	uint8_t psk[SMSR_KEY_MAX]; /* SCP81 */
	size_t psk_len;
	uint64_t counter; /* SCP80: the last counter value used */
};

struct smsr_audit_row {
	int64_t id;
	char eid[SMSR_EID_HEX_MAX];
	uint16_t op_type; /* digest §4.1 audit OperationType codes */
	int64_t date;	  /* unix s */
	char requester[SMSR_OID_MAX];
	enum es_status status;
	char iccid[SMSR_ICCID_MAX];
};

/* A pending operation: enough to resume or abort it after a restart. */
struct smsr_pending_row {
	int64_t id;
	char eid[SMSR_EID_HEX_MAX];
	char kind[32]; /* "EnableProfile", "SMSRChange-SR1", ... */
	char step[32]; /* the FSM state name when last stored */
	char iccid[SMSR_ICCID_MAX];
	char requester[SMSR_OID_MAX];
	char reply_to[512];
	char relates_to[256]; /* the request's wsa:MessageID */
	int64_t created, expires;
};

/* Open (create 0600) the database at path (":memory:" for tests). NULL on failure; *err gets the
 * reason when not NULL (static text or the SQLite message copied into errbuf). */
struct smsr_store *smsr_store_open(void *ctx, const char *path, char *errbuf, size_t errlen);
void smsr_store_close(struct smsr_store *s);
const char *smsr_store_last_error(const struct smsr_store *s);

/* Test hook for crash consistency: the n-th statement executed from now fails with -EIO (n = 0 off),
 * as a kill between two statements would leave it: the transaction is rolled back. */
void smsr_store_fail_after(struct smsr_store *s, unsigned int n);

/* Explicit transactions for procedures that change several things at once; nested calls are counted
 * (only the outermost commits). A failed statement inside marks the transaction for rollback. */
int smsr_store_begin(struct smsr_store *s);
int smsr_store_commit(struct smsr_store *s);
void smsr_store_rollback(struct smsr_store *s);

/* ---- EIS ---- */
/* Insert a new EIS with its profiles (from eis->profile_info) and the ISD-R key sets given (the EIS
 * itself carries no usable keys: they are transport-encrypted). eis_blob is the encoded EIS kept
 * for GetEIS. -EEXIST if the EID is present. One transaction. */
int smsr_store_eis_insert(struct smsr_store *s, const struct smsr_eis_row *row, const struct es_eis *eis,
			  const uint8_t *eis_blob, size_t blob_len, const struct smsr_keyset_row *keysets,
			  size_t n_keysets);
int smsr_store_eis_get(struct smsr_store *s, const char *eid, struct smsr_eis_row *out);
/* The EID whose ES5 MSISDN is msisdn, else the EID with a profile of that MSISDN (a leading '+' ignored on
 * both sides): an MO SMS's originator (after a profile switch the card sends from the new profile's number). */
int smsr_store_eis_by_msisdn(struct smsr_store *s, const char *msisdn, char *eid, size_t cap);
/* The stored EIS blob, talloc'ed under ctx. */
int smsr_store_eis_blob(struct smsr_store *s, void *ctx, const char *eid, uint8_t **blob, size_t *len);
int smsr_store_eis_set_state(struct smsr_store *s, const char *eid, enum smsr_eis_state st, const char *peer,
			     int64_t deadline);
int smsr_store_eis_set_smsr_id(struct smsr_store *s, const char *eid, const char *smsr_id);
/* The ES5 SMS address (UpdateSubscriptionAddress of the enabled profile). */
int smsr_store_eis_set_msisdn(struct smsr_store *s, const char *eid, const char *msisdn);
/* Delete the EIS with its profiles, key sets and pending operations (the audit trail stays). */
int smsr_store_eis_delete(struct smsr_store *s, const char *eid);
unsigned int smsr_store_eis_count(struct smsr_store *s);

/* ---- profiles ---- */
int smsr_store_profile_put(struct smsr_store *s, const struct smsr_profile_row *p); /* insert or replace */
int smsr_store_profile_get(struct smsr_store *s, const char *iccid, struct smsr_profile_row *out);
int smsr_store_profile_set_state(struct smsr_store *s, const char *iccid, enum es_profile_state st);
int smsr_store_profile_delete(struct smsr_store *s, const char *iccid);
/* Profiles of an EIS into out[cap]; *n receives how many were found (may exceed cap). */
int smsr_store_profile_list(struct smsr_store *s, const char *eid, struct smsr_profile_row *out, size_t cap, size_t *n);
/* The next free ISD-P TAR in 000010..00FFFF for this eUICC (digest §4.2). -ENOSPC when none. */
int smsr_store_isdp_tar_alloc(struct smsr_store *s, const char *eid, uint32_t *tar);

/* ---- key sets and counters ---- */
int smsr_store_keyset_put(struct smsr_store *s, const struct smsr_keyset_row *k);
int smsr_store_keyset_get(struct smsr_store *s, const char *eid, enum smsr_keyset_kind kind, int kvn,
			  struct smsr_keyset_row *out); /* kvn < 0: the highest KVN of that kind */
int smsr_store_keyset_delete(struct smsr_store *s, const char *eid, uint8_t kvn);
/* SCP80: reserve the next counter value (stored before it is used: a crash never reuses a counter). */
int smsr_store_counter_next(struct smsr_store *s, const char *eid, uint8_t kvn, uint64_t *value);

/* ---- notifications ---- */
/* Record E1 sequence number seq. Returns 1 if it is new (and stores it), 0 if it is the last one
 * seen again (a retry: confirm again, process never twice). */
int smsr_store_notif_seq_check(struct smsr_store *s, const char *eid, uint16_t seq);

/* ---- audit ---- */
int smsr_store_audit_add(struct smsr_store *s, const struct smsr_audit_row *a);
int smsr_store_audit_list(struct smsr_store *s, const char *eid, struct smsr_audit_row *out, size_t cap, size_t *n);

/* ---- pending operations ---- */
int smsr_store_pending_add(struct smsr_store *s, struct smsr_pending_row *p); /* sets p->id */
int smsr_store_pending_set_step(struct smsr_store *s, int64_t id, const char *step);
int smsr_store_pending_del(struct smsr_store *s, int64_t id);
int smsr_store_pending_list(struct smsr_store *s, struct smsr_pending_row *out, size_t cap, size_t *n);

/* Helpers: EID bytes <-> upper-case hex text. */
int smsr_eid_to_hex(const uint8_t *eid, size_t len, char *out, size_t cap);

/* ---- extension tables ---- */
/* Modules that keep their own tables in this database (smsr_change) prepare their statements on this
 * handle and step them with smsr_store_step(), which honours smsr_store_fail_after() and marks an
 * open transaction failed; smsr_store_begin()/commit() span both. smsr_store_step() returns
 * SQLITE_ROW / SQLITE_DONE, or -EIO / -EEXIST (constraint). */
struct sqlite3;
struct sqlite3_stmt;
struct sqlite3 *smsr_store_sqlite(struct smsr_store *s);
int smsr_store_step(struct smsr_store *s, struct sqlite3_stmt *q);
