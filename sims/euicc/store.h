/* sims/euicc: the eUICC's non-volatile memory, one SQLite file per card (created 0600).
 *
 * A narrow API in the style of osmo-hlr's db.h: every query is a prepared statement made once at
 * open. Each setter is one statement; a procedure that changes several records brackets them with
 * euicc_store_begin() / euicc_store_commit() — those are the points where a real card commits its
 * NVM transaction (an ISD-P's life cycle change together with the pending-operation record, a
 * received SCP80 counter before the script runs, a notification with its sequence number). Killing
 * the process between two commits is a power cycle: the file holds the state of the last commit.
 *
 * Trust: the file is ours (trusted); its blobs are still length-checked on load. Keys live in the
 * file (mode 0600) and never in logs. Returns: 0, -ENOENT (no such record), -EIO (SQLite error,
 * logged to stderr without values), -EINVAL (bad argument or a corrupt record). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define EUICC_AID_MAX	  16
#define EUICC_KEY_MAX	  32
#define EUICC_SQN_SLOTS	  32 /* TS 33.102 Annex C.3.2: IND of 5 bits */
#define EUICC_LOCI_LEN	  11 /* TS 31.102 §4.2.17 */
#define EUICC_PARAM_MAX	  2048
#define EUICC_MAX_ISDP	  16
#define EUICC_MAX_KEYSETS 32
#define EUICC_MAX_NOTIF	  16

struct euicc_store;

/* An ISD-R key set: SCP80 (KVN 01-0F: KIc, KID, KIK) or SCP81 (KVN 40-4F: PSK, DEK). */
enum euicc_keyset_type {
	EUICC_KEYSET_SCP80 = 80,
	EUICC_KEYSET_SCP81 = 81,
};

struct euicc_keyset {
	uint8_t kvn;
	uint8_t type;		       /* enum euicc_keyset_type */
	uint8_t key[3][EUICC_KEY_MAX]; /* KID 1, 2, 3 (SCP80: KIc, KID, KIK; SCP81: PSK, DEK, -) */
	uint8_t key_len[3];	       /* 0 = the key is absent (deleted or never set) */
	uint64_t cntr_in;	       /* last counter accepted from the SM-SR (TS 102 225 §5.1.1) */
	uint64_t cntr_out;	       /* last counter the card used for its own packets (notifications) */
};

/* The profile installed in an ISD-P (from lib/saip). */
struct euicc_profile {
	char iccid[21];
	char imsi[16];
	char msisdn[16];
	uint8_t algo; /* enum saip_algo: MILENAGE or COMP128V1 */
	uint8_t k[16];
	uint8_t opc[16];
	uint8_t usim_aid[EUICC_AID_MAX];
	uint8_t usim_aid_len;
};

struct euicc_isdp {
	uint8_t aid[EUICC_AID_MAX];
	uint8_t aid_len;
	uint32_t tar;
	uint8_t state; /* enum es5_isdp_state */
	bool fallback;
	uint8_t pol1; /* open-questions §13: b1 disabling not allowed, b2 deletion not allowed, b3 delete when disabled */
	uint32_t quota;
	/* the ISD-P SCP03 key set (ES8.EstablishISDPKeySet; written by the ES8 code) */
	bool has_scp03;
	uint8_t scp03_kvn;
	uint8_t scp03[3][16]; /* ENC, MAC, DEK */
	/* the installed profile (ES8.DownloadAndInstallation, or the factory) */
	bool has_profile;
	struct euicc_profile prof;
	/* USIM state that persists */
	uint8_t loci[EUICC_LOCI_LEN];
	uint64_t sqn[EUICC_SQN_SLOTS]; /* highest SEQ accepted per IND slot (TS 33.102 Annex C.2.2) */
};

struct euicc_notif {
	uint16_t seq;
	uint8_t type; /* enum es5_notif_type */
	uint8_t aid[EUICC_AID_MAX];
	uint8_t aid_len;
	unsigned int attempts; /* times sent so far */
};

/* Open (or with create, make: O_EXCL, 0600) the card file. */
int euicc_store_open(struct euicc_store **st, const char *path, bool create);
void euicc_store_close(struct euicc_store *st);
/* Open an existing card file read-only (SQLITE_OPEN_READONLY, busy timeout EUICC_STORE_RO_BUSY_MS): safe
 * while `rsplab-euicc serve` has it open. Setters fail with -EIO. */
#define EUICC_STORE_RO_BUSY_MS 3000
int euicc_store_open_ro(struct euicc_store **st, const char *path);
/* A read transaction (one consistent snapshot of several lists); end it with euicc_store_rollback(). */
int euicc_store_read_begin(struct euicc_store *st);

int euicc_store_begin(struct euicc_store *st);
int euicc_store_commit(struct euicc_store *st);
int euicc_store_rollback(struct euicc_store *st);

/* Singletons by name ("eid", "ecasd.sk", "ecasd.cert", "ci.pk", "curve", "notif.seq", "smsr.sms",
 * "smsr.addressing", "op.*"). get: -ENOENT when absent; *len in: capacity, out: length. */
int euicc_store_param_get(struct euicc_store *st, const char *name, uint8_t *buf, size_t *len);
int euicc_store_param_set(struct euicc_store *st, const char *name, const uint8_t *buf, size_t len);
int euicc_store_param_del(struct euicc_store *st, const char *name);
/* Integer convenience (stored as 8 bytes big-endian); get returns dflt when absent. */
uint64_t euicc_store_param_u64(struct euicc_store *st, const char *name, uint64_t dflt);
int euicc_store_param_set_u64(struct euicc_store *st, const char *name, uint64_t v);

int euicc_store_keyset_get(struct euicc_store *st, uint8_t kvn, struct euicc_keyset *ks);
int euicc_store_keyset_put(struct euicc_store *st, const struct euicc_keyset *ks); /* insert or replace */
int euicc_store_keyset_del(struct euicc_store *st, uint8_t kvn);
int euicc_store_keyset_set_cntr(struct euicc_store *st, uint8_t kvn, uint64_t cntr_in, uint64_t cntr_out);
/* All key sets by ascending KVN; returns the number (up to cap) or a negative errno. */
int euicc_store_keyset_list(struct euicc_store *st, struct euicc_keyset *out, size_t cap);

int euicc_store_isdp_get(struct euicc_store *st, const uint8_t *aid, size_t aid_len, struct euicc_isdp *out);
int euicc_store_isdp_get_by_tar(struct euicc_store *st, uint32_t tar, struct euicc_isdp *out);
/* The ISD-P in state ENABLED, -ENOENT if none. */
int euicc_store_isdp_enabled(struct euicc_store *st, struct euicc_isdp *out);
int euicc_store_isdp_put(struct euicc_store *st, const struct euicc_isdp *p); /* insert or replace */
int euicc_store_isdp_del(struct euicc_store *st, const uint8_t *aid, size_t aid_len);
int euicc_store_isdp_set_state(struct euicc_store *st, const uint8_t *aid, size_t aid_len, uint8_t state);
int euicc_store_isdp_list(struct euicc_store *st, struct euicc_isdp *out, size_t cap);

int euicc_store_notif_add(struct euicc_store *st, const struct euicc_notif *n);
int euicc_store_notif_get(struct euicc_store *st, uint16_t seq, struct euicc_notif *n);
int euicc_store_notif_set_attempts(struct euicc_store *st, uint16_t seq, unsigned int attempts);
int euicc_store_notif_del(struct euicc_store *st, uint16_t seq);
int euicc_store_notif_list(struct euicc_store *st, struct euicc_notif *out, size_t cap);

/* A consistency check for tests and start-up: at most one ENABLED ISD-P, every profile ISD-P in a
 * known state, the pending operation naming existing ISD-Ps. 0 or -EINVAL. */
int euicc_store_check(struct euicc_store *st);
