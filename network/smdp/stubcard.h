/* rsplab-smdp test double: an SM-SR and one eUICC behind the ES3 boundary, for the procedure tests
 * (dl_test.c) and the benchmark (smdp_bench.c). The card side is built from the lib/ card-side
 * functions only: lib/es5 decoder, lib/gpcert check of CERT.DP.ECDSA against the CI, lib/ecka card
 * side (ECASD), lib/scp03t card-side verifier, lib/saip for the package and the EUICCResponse.
 *
 * It also makes the run-time PKI (CI and EUM X.509, CERT.DP.ECDSA, CERT.ECASD.ECKA) and fills a
 * struct smdp_cfg with it. Answers are queued and delivered by smdp_stub_run(), never from inside an
 * op (so the procedures see the same ordering as over a network). Faults can be injected per step.
 * Not for production use; key material here is generated per run. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "network/smdp/smdp.h"

struct smdp_stub {
	struct smdp *s;
	struct smdp_variants card_v; /* the card's reading of the variants (normally = the SM-DP's) */
	uint8_t eid[16];
	EVP_PKEY *ci_key, *eum_key, *ecasd_key;
	X509 *ci_x509, *eum_x509;
	uint8_t ecasd_cert[GPCERT_MAX_LEN];
	size_t ecasd_cert_len;
	int64_t remaining_memory;
	/* card state */
	bool isdp;
	uint8_t isdp_aid[16];
	char iccid[SMDP_ICCID_MAX + 1];
	int isdp_state; /* enum es5_isdp_state */
	uint32_t next_tar;
	EVP_PKEY *dp_pub; /* from the CERT.DP.ECDSA the card accepted */
	uint8_t rc[16];
	struct scp03t_card scp;
	bool scp_ready;
	uint8_t *pkg;
	size_t pkg_len, pkg_cap;
	unsigned int segments;
	/* counters */
	unsigned int n_calls[ES_MSG__COUNT];
	unsigned int n_deleted, n_created;
	/* fault injection */
	bool unknown_eid;	/* GetEIS: Failed 8.1.1 / 1.1 */
	bool create_fail;	/* CreateISDP: Failed 8.4 / 4.2 */
	bool corrupt_receipt;	/* the receipt of 3A02 is altered */
	unsigned int seg_error; /* answer 9F46 01 02 to this `86` (1-based), 0 = none */
	long pe_error;		/* status of PE 1 in the EUICCResponse (0 = ok) */
	enum es_msg_id drop;	/* never answer the drop_nth request of this id (ES_MSG_NONE = none) */
	unsigned int drop_nth;
	bool delete_fail; /* DeleteISDP: Failed */
	bool pdc_fail;	  /* ProfileDownloadCompleted: Failed */
	bool enable_fail; /* EnableProfile: Failed 8.2.2 / 3.8 (POL1) */
	/* the answer queue */
	struct llist_head queue;
	/* what the MNO saw */
	unsigned int n_es2_resp, n_es2_notif;
	enum es_msg_id last_es2_id;
	enum es_status last_status;
	char last_subject[16], last_reason[16], last_mno_ref[SMDP_ID_MAX + 1], last_iccid[SMDP_ICCID_MAX + 1];
	char last_message[128];
	/* the last answer sent as a callback from a stored return address (ops.es2_callback) */
	unsigned int n_es2_callback;
	struct smdp_es2_return last_ret;
	bool last_eis_present;
};

/* Make the PKI, fill cfg (DP key and certificate, CI, one EUM, an SM-SR peer "sr1" with default
 * variants) and the card. Returns NULL on failure. */
struct smdp_stub *smdp_stub_alloc(void *ctx, struct smdp_cfg *cfg);
void smdp_stub_free(struct smdp_stub *st);
/* The ops that route to the stub (priv = st). */
void smdp_stub_ops(struct smdp_stub *st, struct smdp_ops *ops);
/* The SM-SR's answer to an ES3 request, at once (for a stub SM-SR behind a real transport): a talloc
 * object under ctx (free it with talloc_free(talloc_parent(resp)) or free ctx), NULL if not served. */
struct es_msg *smdp_stub_answer(struct smdp_stub *st, void *ctx, const struct es_msg *req);
/* Deliver queued answers (and those they cause) until none is left; returns how many. */
unsigned int smdp_stub_run(struct smdp_stub *st);
/* Drop every queued answer (as if the SM-SR's process died); returns how many. */
unsigned int smdp_stub_drop_queue(struct smdp_stub *st);
/* Forget the card's ISD-P (a fresh card), keeping the PKI. */
void smdp_stub_card_reset(struct smdp_stub *st);
/* An ECASD certificate signed by another key than the EUM (a bad chain) replaces the good one. */
int smdp_stub_bad_ecasd_cert(struct smdp_stub *st);

/* Build a MILENAGE profile package with lib/saip (random K/OPc; iccid/imsi are digits) and add it to
 * the store. */
int smdp_stub_add_profile(struct smdp_store *store, const char *iccid, const char *imsi, const char *type);
