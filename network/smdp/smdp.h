/* rsplab-smdp: the SM-DP's procedure layer (style §13.9): the daemon object, its configuration with the
 * per-SM-SR variants of digest §8, and the transport boundary as an ops table.
 *
 *   transport (ES2 provider, ES3 client, ES2 notifications; lib/esnet once merged, stubs in tests)
 *      │  smdp_es2_rx()          ES2 request in (MNO -> SM-DP), answered through ops.es2_respond
 *      │  smdp_es3_rx()          answer to one of our ES3 calls (call_id from ops.es3_call)
 *      │  smdp_es3_notification()  an ES3 notification of the SM-SR, forwarded to the MNO over ES2
 *   procedures: one osmo_fsm instance per ES2.DownloadProfile (dl.c, digest §3.1-§3.3 steps 1-18 and
 *      27) and one per relayed ES2 function (relay.c); timers from osmo_tdef (smdp_tdefs)
 *   store: store.h
 *
 * Messages crossing the boundary are lib/es `struct es_msg` values, so the real transport maps them
 * 1:1 onto esnet_call()/esnet_in_respond(). Everything received is UNTRUSTED (decoded by lib/es, then
 * checked here); configuration is trusted. Key material never reaches a log line.
 * Ownership: smdp_alloc() returns a talloc object; FSM instances are its children. An es_msg handed to
 * an op is valid during the call only (copy what must outlive it). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <osmocom/core/linuxlist.h>
#include <osmocom/core/rate_ctr.h>
#include <osmocom/core/tdef.h>

#include "lib/ecka/ecka.h"
#include "lib/es/es.h"
#include "lib/gpcert/gpcert.h"
#include "lib/rscript/rscript.h"
#include "lib/scp03t/scp03t.h"
#include "network/smdp/store.h"

/* Timers (osmo_tdef, X numbers): how long each step waits for the SM-SR's answer. */
enum smdp_timer {
	SMDP_T_GET_EIS = -1,	 /* ES3.GetEIS (steps 2-3) */
	SMDP_T_CREATE_ISDP = -2, /* ES3.CreateISDP (4-6) */
	SMDP_T_KEYSET = -3,	 /* ES3.SendData of EstablishISDPKeySet (7-12) */
	SMDP_T_DOWNLOAD = -4,	 /* ES3.SendData of one SCP03t script (13-16) */
	SMDP_T_COMPLETED = -5,	 /* ES3.ProfileDownloadCompleted (17-18) */
	SMDP_T_ENABLE = -6,	 /* ES3.EnableProfile (19-25: includes the card's notification) */
	SMDP_T_DELETE_ISDP = -7, /* ES3.DeleteISDP (error management) */
	SMDP_T_RELAY = -8,	 /* any other ES3 call relayed for an ES2 function */
};
extern struct osmo_tdef smdp_tdefs[];

/* Script chaining of the ES8 scripts (digest §4.3; TS 102 226 §5.2.1.4): Njiwa chains the two
 * key-establishment scripts and the SCP03t sequence (83 first/subsequent/last as the first TLV of each
 * script); WHTY's traces show SCP03t scripts without 83. */
enum smdp_chaining {
	SMDP_CHAIN_NJIWA, /* default */
	SMDP_CHAIN_NONE,
};
extern const struct value_string smdp_chaining_names[];

/* What the SM-DP does per SM-SR peer where the sources disagree (digest §8; open-questions §16). */
struct smdp_variants {
	struct ecka_variants ecka;     /* key usage qualifier, key split, receipt input, SharedInfo, ePK */
	struct scp03t_variants scp03t; /* MAC chaining after EXTERNAL AUTHENTICATE, response MACs */
	struct es_variant es;	       /* namespace, action URIs */
	enum rscript_coding coding;    /* AA definite (default) / AE indefinite command scripts */
	enum smdp_chaining chaining;
	uint8_t isdp_kvn;     /* KVN of the ISD-P SCP03 key set (trace: 30) */
	uint8_t scp03t_kid;   /* KID byte of `84` (trace: 00) */
	uint8_t scp03t_level; /* security level of `85` (33) */
	size_t segment_size;  /* plaintext bytes per `86` (1024; WHTY 1000, Njiwa 512) */
};
void smdp_variants_default(struct smdp_variants *v);

/* A retry (same requester and FunctionCallIdentifier, SGP.02 §5.1, digest §6.3) of an ES2 call that is
 * still running. SGP.02 says the identifier lets the provider detect retries, not how to answer one
 * before the first call has ended; FunctionExecutionStatus has no "in progress" value (digest §6.4). */
enum smdp_retry_mode {
	/* default: the retry is held and answered with the first call's final result when it ends (the
	 * ES2 functions are asynchronous, digest §6.3: the answer is a later callback either way, so the
	 * MNO gets the real outcome twice instead of a status it could mistake for the outcome) */
	SMDP_RETRY_ANSWER_AT_END,
	/* the retry is answered at once: Failed, subject 1.6 (Function), reason 3.3 (Already in Use,
	 * open-questions §11), message "function call in progress"; the real result goes to the first */
	SMDP_RETRY_IN_PROGRESS,
};
extern const struct value_string smdp_retry_mode_names[];

#define SMDP_MAX_PEERS	 8
#define SMDP_MAX_WAITERS 64 /* retries held at once (answer-at-end); beyond: answered as in-progress */
#define SMDP_MAX_EUMS	 8
#define SMDP_NAME_MAX	 64
#define SMDP_URL_MAX	 256

struct smdp_smsr_peer {
	char id[SMDP_ID_MAX + 1]; /* the SmSr-id the MNO names in ES2 requests */
	char url[SMDP_URL_MAX + 1];
	char entity_id[SMDP_ID_MAX + 1];
	struct smdp_variants v;
	bool used;
};

struct smdp_cfg {
	char smdp_id[SMDP_ID_MAX + 1]; /* our entity OID */
	char mno_id[SMDP_ID_MAX + 1];  /* the operator we prepare profiles for (ES3 Mno-id) */
	char db_path[SMDP_URL_MAX + 1];
	/* CERT.DP.ECDSA (7F21) and SK.DP.ECDSA; the CI (X.509) and the EUMs (X.509) we accept. */
	uint8_t dp_cert[GPCERT_MAX_LEN];
	size_t dp_cert_len;
	EVP_PKEY *dp_key; /* owned */
	X509 *ci;	  /* owned */
	X509 *eum[SMDP_MAX_EUMS];
	unsigned int n_eum;
	uint32_t check_date;	     /* certificate validity date YYYYMMDD; 0 = today */
	unsigned int delete_retries; /* DeleteISDP attempts before the clean-up is left to a restart */
	struct smdp_smsr_peer smsr[SMDP_MAX_PEERS];
	/* The ES endpoint (ES2 requests from the MNO, ES3 callbacks and notifications from the SM-SRs)
	 * and the MNO's endpoint for ES2 notifications (transport.c, lib/esnet). */
	char listen_addr[SMDP_NAME_MAX + 1]; /* "" = do not listen */
	uint16_t listen_port;
	char own_url[SMDP_URL_MAX + 1];
	char mno_url[SMDP_URL_MAX + 1];
	char mno_entity_id[SMDP_ID_MAX + 1];
	struct es_variant mno_variant;
	/* Mutual TLS on the ES interfaces (digest §1.2 notes: entities authenticate each other by mutual
	 * TLS): our X.509 TLS certificate and key (PEM; `rsplab pki init` writes <name>/tls-cert.pem and
	 * tls-key.pem) and the CA the peers' certificates must chain to (tls_ca_file; "" = the CI of
	 * ci-certificate). No certificate = plain HTTP (lab, tests). The key log (NSS format, for the
	 * harness's decryption of captures) is off unless named; lib/tls creates it 0600. */
	char tls_cert_file[SMDP_URL_MAX + 1];
	char tls_key_file[SMDP_URL_MAX + 1];
	char tls_ca_file[SMDP_URL_MAX + 1];
	char tls_keylog_file[SMDP_URL_MAX + 1];
	/* ES2 retries (es2.c): what a retry of a running call gets, and how long / how many ended calls the
	 * store keeps to answer retries from (bounded retention; a retry after that is a new call). */
	enum smdp_retry_mode es2_retry;
	unsigned int es2_call_retention; /* seconds, default 86400 */
	unsigned int es2_call_max;	 /* ended calls kept, default 10000 */
	struct osmo_tdef *es_tdefs;	 /* lib/esnet's timers (HTTP X1..X3, callback X10); NULL = esnet_tdefs */
	struct osmo_tdef *tdefs;	 /* smdp_tdefs unless a test supplies its own */
};
void smdp_cfg_init(struct smdp_cfg *cfg);
void smdp_cfg_fini(struct smdp_cfg *cfg);
struct smdp_smsr_peer *smdp_cfg_peer(struct smdp_cfg *cfg, const char *id, bool create);

struct smdp;

/* The identity of an ES2 call (SGP.02 §5.1): the requester entity (the EntityId of wsa:From, digest
 * §6.2; else the whole wsa:From address; else "") and its FunctionCallIdentifier. */
struct smdp_call_key {
	char requester[SMDP_ID_MAX + 1];
	char fci[SMDP_ID_MAX + 1];
};

/* The transport boundary. */
struct smdp_ops {
	/* Send one ES3 request (req->id is an ES3 ..._REQ) to the SM-SR `smsr`. The answer comes back as
	 * smdp_es3_rx(s, call_id, ...), exactly once, or never if the transport lost it (the step's timer
	 * then fires). Returns 0, or a negative errno when it could not be sent (treated as a failure). */
	int (*es3_call)(struct smdp *s, uint32_t call_id, const struct smdp_smsr_peer *smsr, struct es_msg *req);
	/* Answer the ES2 request identified by mno_ref (resp->id is the ES2 ..._RESP). For asynchronous
	 * functions (DownloadProfile, Enable/Disable/DeleteProfile) this is the callback of step 27. */
	void (*es2_respond)(struct smdp *s, const char *mno_ref, struct es_msg *resp);
	/* The step-27 answer of a download whose request is no longer pending in this process (recovered
	 * after a restart: mno_ref is gone): a callback built from what the store kept of the request. */
	void (*es2_callback)(struct smdp *s, const struct smdp_es2_return *ret, struct es_msg *resp);
	/* Send an ES2 notification (HandleProfile...Notification) to the MNO. */
	void (*es2_notify)(struct smdp *s, struct es_msg *notif);
	void *priv;
};

/* Rate counters (one group per daemon). */
enum smdp_ctr {
	SMDP_CTR_ES2_RX,
	SMDP_CTR_ES2_RX_BAD,
	SMDP_CTR_ES3_TX,
	SMDP_CTR_ES3_RX,
	SMDP_CTR_ES3_RX_LATE,
	SMDP_CTR_ES3_NOTIF_RX,
	SMDP_CTR_DL_STARTED,
	SMDP_CTR_DL_SUCCESS,
	SMDP_CTR_DL_FAILED,
	SMDP_CTR_DL_TIMEOUT,
	SMDP_CTR_DL_CLEANUP,
	SMDP_CTR_DL_CLEANUP_FAILED,
	SMDP_CTR_SCP03T_SEGMENTS,
	SMDP_CTR_RELAY,
	SMDP_CTR_ES2_RETRY,
};

struct smdp {
	struct smdp_cfg *cfg;	  /* borrowed */
	struct smdp_store *store; /* borrowed */
	struct smdp_ops ops;
	struct llist_head calls; /* outstanding ES3 calls (struct smdp_call) */
	uint32_t next_call_id;
	struct rate_ctr_group *ctrs;
	unsigned int active_dl;
	unsigned int recovered;
	struct llist_head waiters; /* retries held until their call ends (struct smdp_es2_waiter, es2.c) */
	unsigned int n_waiters;
	const struct smdp_call_key *es2_cur; /* the call being handled inside smdp_es2_rx(), else NULL */
};

/* Registers the FSMs once per process (idempotent). */
void smdp_fsms_init(void);
struct smdp *smdp_alloc(void *ctx, struct smdp_cfg *cfg, struct smdp_store *store, const struct smdp_ops *ops);
void smdp_free(struct smdp *s);

/* --- inbound --------------------------------------------------------------------------------------- */
/* An ES2 request from the MNO. Malformed or refused requests are answered at once (Failed with a
 * status code) and change no state. Returns 0 when the request was taken (answered now or later). */
int smdp_es2_rx(struct smdp *s, const struct es_msg *req, const char *mno_ref);
/* The answer to ES3 call call_id: rc 0 and resp, or rc < 0 (transport failure, -ETIMEDOUT ...). A
 * call_id that is not outstanding (late, duplicate) is counted and dropped. */
void smdp_es3_rx(struct smdp *s, uint32_t call_id, int rc, const struct es_msg *resp);
/* An ES3 Handle...Notification from the SM-SR: store update and ES2 notification to the MNO. */
int smdp_es3_notification(struct smdp *s, const struct es_msg *notif);
/* Restart recovery: resume or clean up every unfinished download in the store (store.h), and end the
 * ES2 calls that died with the old process (relays; Failed 1.6/4.2, so a retry gets that). Returns the
 * number of downloads picked up. */
int smdp_recover(struct smdp *s);

/* --- ES2 calls and their retries (es2.c) ----------------------------------------------------------- */
/* The key of a request that is subject to retry detection: every ES2 function this SM-DP provides but
 * GetEIS (a read, answered afresh) with a FunctionCallIdentifier that fits. false: none (the request
 * is processed without retry detection: tolerant receive of a missing mandatory element). */
bool smdp_es2_call_key(const struct es_msg *req, struct smdp_call_key *k);
/* The stored form of an ES2 response (its FunctionExecutionStatus and, for DownloadProfile, ICCID). */
void smdp_call_result_from(struct smdp_call_result *res, struct es_msg *resp);
/* Call k ended with resp: store the result (unless `stored`: the caller did it in its own transaction)
 * and answer every retry held for it with the same resp. */
void smdp_es2_call_end(struct smdp *s, const struct smdp_call_key *k, struct es_msg *resp, bool stored);
/* End the running calls of a previous process that no procedure will finish (see smdp_recover). */
int smdp_es2_calls_recover(struct smdp *s);

/* --- used by the procedures ------------------------------------------------------------------------- */
struct osmo_fsm_inst;
/* Send an ES3 request for fi; the answer is dispatched to fi as SMDP_EV_ES3_RX with a struct
 * smdp_es3_answer. Returns 0 or a negative errno (the caller fails its step). */
int smdp_es3_send(struct smdp *s, struct osmo_fsm_inst *fi, const struct smdp_smsr_peer *smsr, struct es_msg *req);
/* Forget fi's outstanding calls (its answers will be dropped as late). */
void smdp_calls_forget(struct smdp *s, struct osmo_fsm_inst *fi);

struct smdp_es3_answer {
	int rc;
	const struct es_msg *resp; /* NULL when rc < 0 */
};
#define SMDP_EV_ES3_RX 0 /* the event of both FSMs: an answer to our ES3 call */

/* What an async answer to req needs later (store.h struct smdp_es2_return), from its WS-A headers and
 * FunctionCallIdentifier (untrusted: a value that does not fit is left empty). */
void smdp_es2_return_from(const struct es_msg *req, struct smdp_es2_return *ret);

/* Fill a FunctionExecutionStatus (strings borrowed from static storage). */
void smdp_fes_set(struct es_fes *fes, enum es_status st, const char *subject, const char *reason, const char *message);
/* EID bytes (16) <-> 32 upper-case hex digits. */
int smdp_eid_to_str(const struct es_hex *eid, char out[SMDP_EID_LEN + 1]);
