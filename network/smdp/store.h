/* rsplab-smdp store: the profile inventory and the download transactions in SQLite, behind a narrow API
 * (style §13.9). Prepared statements are enumerated once (enum smdp_stmt, as osmo-hlr's db.h) and
 * prepared at open; the database file is created with mode 0600 (it holds subscriber keys); every
 * state change runs in one transaction (BEGIN IMMEDIATE ... COMMIT, ROLLBACK on any failure), so a
 * crash between two statements leaves the previous state.
 *
 * Profile life cycle (enum smdp_profile_state):
 *
 *   AVAILABLE --DownloadProfile accepted--> RESERVED(eid) --CreateISDP sent--> DOWNLOADING(eid)
 *   RESERVED --failure before CreateISDP--> AVAILABLE (eid cleared: the profile never reached a card)
 *   DOWNLOADING --PE-End accepted, ProfileDownloadCompleted--> DOWNLOADED --EnableProfile--> ENABLED
 *   DOWNLOADING --failure, DeleteISDP--> RESERVED(eid) (bound to that EID for good, see below)
 *   DOWNLOADED/ENABLED/DISABLED --DeleteProfile--> DELETED
 *
 * A profile is never handed to two EIDs: the moment CreateISDP is sent, a row (iccid, eid) goes into
 * table `assignment`, whose iccid column is UNIQUE and which is never deleted from; the reserve and
 * assign statements check it too, so even a second daemon on the same file cannot hand it out again.
 * Key material (K, OPc, Ki) and the SAIP package are stored, and never logged by this module.
 *
 * Inputs are trusted (our own configuration and already-validated values) except where a comment says
 * otherwise; strings are bounded by the sizes below. Returns: 0 or a negative errno: -ENOENT no such
 * row, -EEXIST a duplicate (ICCID, IMSI, assignment to another EID), -EBUSY the row is not in the
 * required state, -EINVAL a bad argument, -EIO an SQLite failure (logged in DSTORE). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <osmocom/core/utils.h>

#include "lib/saip/saip.h"

#define SMDP_ICCID_MAX	20
#define SMDP_IMSI_MAX	15
#define SMDP_MSISDN_MAX 15
#define SMDP_EID_LEN	32 /* hex digits */
#define SMDP_TYPE_MAX	64
#define SMDP_KEY_MAX	16
#define SMDP_AID_MAX	16
#define SMDP_PKG_MAX	(256 * 1024) /* cap on an imported profile package */
#define SMDP_ID_MAX	128	     /* SM-SR id, MNO reference */
#define SMDP_RESULT_MAX 256

enum smdp_profile_state {
	SMDP_PROFILE_AVAILABLE = 1,
	SMDP_PROFILE_RESERVED,
	SMDP_PROFILE_DOWNLOADING,
	SMDP_PROFILE_DOWNLOADED, /* on the card, disabled (digest §3.3 step 16) */
	SMDP_PROFILE_ENABLED,
	SMDP_PROFILE_DISABLED,
	SMDP_PROFILE_DELETED,
};
extern const struct value_string smdp_profile_state_names[];

/* POL2 as a bit set: one bit per (action, qualification) pair of the ES2/ES3 pol2 rule (digest §3.3
 * step 17; XSD POL2RuleType): bit = (action - 1) * 2 + (qualification - 1) with action enable 1,
 * disable 2, delete 3 and qualification not-allowed 1, auto-delete 2 (es_pol2_action/_qualification). */
#define SMDP_POL2_BIT(action, qual) (1u << (((action)-1) * 2 + ((qual)-1)))
#define SMDP_POL2_MASK		    0x3f

struct smdp_profile {
	char iccid[SMDP_ICCID_MAX + 1];
	char imsi[SMDP_IMSI_MAX + 1];
	char msisdn[SMDP_MSISDN_MAX + 1]; /* "" when none */
	char profile_type[SMDP_TYPE_MAX + 1];
	enum saip_algo algo;
	uint8_t k[SMDP_KEY_MAX]; /* K (MILENAGE) or Ki (COMP128v1) */
	size_t k_len;
	uint8_t opc[SMDP_KEY_MAX]; /* MILENAGE only */
	size_t opc_len;
	int pol1;      /* -1: none in the package */
	uint32_t pol2; /* SMDP_POL2_BIT set */
	enum smdp_profile_state state;
	char eid[SMDP_EID_LEN + 1]; /* "" unless RESERVED or later */
	size_t package_len;
};

/* Download transaction steps, named after digest §3.1-§3.4 (the FSM states of dl.h persist as these). */
enum smdp_dl_step {
	SMDP_STEP_ACCEPTED = 1, /* step 1: ES2.DownloadProfile accepted */
	SMDP_STEP_GET_EIS,	/* steps 2-3 */
	SMDP_STEP_CREATE_ISDP,	/* steps 4-6: from here on an ISD-P may exist on the card */
	SMDP_STEP_KEYSET,	/* steps 7-12 */
	SMDP_STEP_DOWNLOAD,	/* steps 13-16 */
	SMDP_STEP_COMPLETED,	/* steps 17-18 */
	SMDP_STEP_ENABLE,	/* steps 19-25 */
	SMDP_STEP_DELETE_ISDP,	/* §3.1.4 error management sub-routine */
	SMDP_STEP_DONE,		/* step 27 sent (or to be sent) */
};
extern const struct value_string smdp_dl_step_names[];

/* What the asynchronous ES2 answer (the callback of step 27) needs once the request's connection is
 * gone, e.g. after a restart (digest §6.3): taken from the request's WS-A headers and body, which are
 * UNTRUSTED (values that do not fit are left empty, and the answer then cannot be delivered). */
#define SMDP_ADDR_MAX 512
struct smdp_es2_return {
	char reply_to[SMDP_ADDR_MAX + 1];   /* wsa:ReplyTo, else the URL of wsa:From, without the query */
	char message_id[SMDP_ADDR_MAX + 1]; /* wsa:MessageID: the answer's wsa:RelatesTo */
	char fci[SMDP_ID_MAX + 1];	    /* FunctionCallIdentifier of the request */
	int ns;				    /* enum es_ns_variant the request came in (the answer's too) */
};

struct smdp_dl_rec {
	int64_t id;
	char eid[SMDP_EID_LEN + 1];
	char iccid[SMDP_ICCID_MAX + 1];
	char smsr_id[SMDP_ID_MAX + 1];
	char mno_ref[SMDP_ID_MAX + 1]; /* the transport's handle of the MNO's pending request (this process only) */
	struct smdp_es2_return ret;    /* where step 27 goes when that handle is gone */
	bool enable;
	enum smdp_dl_step step;
	uint8_t isdp_aid[SMDP_AID_MAX];
	size_t isdp_aid_len;
	bool done;
	char result[SMDP_RESULT_MAX + 1];
};

struct smdp_store;

/* Open (creating with mode 0600, and the schema) the database at path; ":memory:" for tests. */
int smdp_store_open(void *ctx, const char *path, struct smdp_store **out);
void smdp_store_close(struct smdp_store *s);

/* --- inventory ------------------------------------------------------------------------------------ */
/* Add a profile (state AVAILABLE) with its package. -EEXIST for a known ICCID or IMSI. */
int smdp_store_profile_add(struct smdp_store *s, const struct smdp_profile *p, const uint8_t *pkg, size_t len);
int smdp_store_profile_get(struct smdp_store *s, const char *iccid, struct smdp_profile *out);
/* The package of a profile into a talloc buffer under ctx (*pkg). */
int smdp_store_profile_package(struct smdp_store *s, void *ctx, const char *iccid, uint8_t **pkg, size_t *len);
/* The first AVAILABLE profile of a type (NULL or "": any type), in ICCID order. */
int smdp_store_profile_find_available(struct smdp_store *s, const char *profile_type, struct smdp_profile *out);
/* Call cb for every profile in ICCID order (cb returns non-zero to stop). */
int smdp_store_profile_foreach(struct smdp_store *s, int (*cb)(const struct smdp_profile *p, void *priv), void *priv);
int smdp_store_profile_set_msisdn(struct smdp_store *s, const char *iccid, const char *msisdn);
int smdp_store_profile_set_pol2(struct smdp_store *s, const char *iccid, uint32_t pol2);
/* Set the state of a profile bound to eid, only from one of the states in the mask (1 << state). */
int smdp_store_profile_set_state(struct smdp_store *s, const char *iccid, const char *eid, uint32_t from_mask,
				 enum smdp_profile_state to);
/* The EID a profile was handed to (table assignment), -ENOENT if never. */
int smdp_store_assignment_get(struct smdp_store *s, const char *iccid, char eid[SMDP_EID_LEN + 1]);

/* --- download transactions ---------------------------------------------------------------------- */
/* One transaction: the profile AVAILABLE (or RESERVED for this very EID) -> RESERVED(eid), and a new
 * download row at SMDP_STEP_ACCEPTED. -EBUSY if the profile is in another state or has an active
 * download, -EEXIST if it was handed to another EID, -EALREADY if this EID has an active download (of
 * any profile: one ES8 session per eUICC at a time). rec->id is set. */
int smdp_store_dl_begin(struct smdp_store *s, struct smdp_dl_rec *rec);
/* The same, and in the same transaction the ES2 call (requester, fci) (smdp_store_call_begin, must be
 * running) is linked to the new download; requester/fci NULL: no call to link. */
int smdp_store_dl_begin_call(struct smdp_store *s, struct smdp_dl_rec *rec, const char *requester, const char *fci);
/* Advance a download to step; when to_state is not 0, the profile moves to it in the same transaction
 * (from the state implied by the step). Entering SMDP_STEP_CREATE_ISDP inserts the assignment row
 * (-EEXIST if the profile is bound to another EID, nothing changed). isdp_aid may be NULL. */
int smdp_store_dl_step(struct smdp_store *s, int64_t id, enum smdp_dl_step step, enum smdp_profile_state to_state,
		       const uint8_t *isdp_aid, size_t aid_len);
/* Finish a download (done = 1, result text, step DONE) and set the profile state in the same
 * transaction (0: unchanged; SMDP_PROFILE_AVAILABLE also clears the EID unless assigned). */
int smdp_store_dl_finish(struct smdp_store *s, int64_t id, enum smdp_profile_state to_state, const char *result);
struct smdp_call_result;
/* The same, and in the same transaction the ES2 call linked to the download (if any) ends with res, so
 * a retry of it after a crash right after this commit still gets the result. */
int smdp_store_dl_finish_call(struct smdp_store *s, int64_t id, enum smdp_profile_state to_state, const char *result,
			      const struct smdp_call_result *res);
int smdp_store_dl_get(struct smdp_store *s, int64_t id, struct smdp_dl_rec *out);
/* Every unfinished download, oldest first (restart recovery). */
int smdp_store_dl_foreach_active(struct smdp_store *s, int (*cb)(const struct smdp_dl_rec *r, void *priv), void *priv);

/* --- ES2 function calls (SGP.02 §5.1 / digest §6.3: FunctionCallIdentifier lets the provider detect
 * retries) ------------------------------------------------------------------------------------------
 * One row per (requester entity, FunctionCallIdentifier) received, kept after the call ended so that a
 * retry is answered with the stored result instead of starting a second procedure. Strings are
 * UNTRUSTED values bounded by the sizes below (longer ones are not recorded by the caller). */
#define SMDP_FP_LEN 64 /* hex SHA-256 of the request's parameters */

struct smdp_call_result {
	int status; /* enum es_status */
	char subject[16];
	char reason[16];
	char message[SMDP_RESULT_MAX + 1];
	char iccid[SMDP_ICCID_MAX + 1]; /* DownloadProfile's answer carries the ICCID */
};

struct smdp_call_rec {
	char requester[SMDP_ID_MAX + 1];
	char fci[SMDP_ID_MAX + 1];
	int function;			   /* enum es_msg_id of the request */
	char fingerprint[SMDP_FP_LEN + 1]; /* the parameters: a reused FCI with other ones is no retry */
	int64_t received;		   /* seconds (the caller's clock) */
	int64_t dl_id;			   /* the download it started, 0 = none */
	bool done;
	struct smdp_call_result res; /* when done */
};

/* Record a new running call. -EEXIST if (requester, fci) is known (nothing changed). */
int smdp_store_call_begin(struct smdp_store *s, const struct smdp_call_rec *rec);
int smdp_store_call_get(struct smdp_store *s, const char *requester, const char *fci, struct smdp_call_rec *out);
/* The call linked to download dl_id (-ENOENT if none). */
int smdp_store_call_get_by_dl(struct smdp_store *s, int64_t dl_id, struct smdp_call_rec *out);
/* End a running call with res (-ENOENT unknown, -EBUSY already ended). */
int smdp_store_call_finish(struct smdp_store *s, const char *requester, const char *fci,
			   const struct smdp_call_result *res);
/* Every running call, oldest first (restart recovery). */
int smdp_store_call_foreach_running(struct smdp_store *s, int (*cb)(const struct smdp_call_rec *r, void *priv),
				    void *priv);
/* Bounded retention: delete ended calls received before `before`, then the oldest ended ones beyond
 * max_rows ended rows. Running calls are never deleted. Returns how many rows went, or a negative errno. */
int smdp_store_call_purge(struct smdp_store *s, int64_t before, unsigned int max_rows);
