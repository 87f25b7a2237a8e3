/* SM-SR Change (SGP.02 §3.8; digest §2.1), both roles, as two osmo_fsms whose states are named after
 * the digest's step numbers:
 *
 *   SR1 (the current SM-SR): ES4.SMSRChange (step 4: no pending operation, the EIS locked) ->
 *     ES7.HandoverEUICC to SR2 with the EIS, own ISD-R key values withheld (5) -> relays
 *     ES7.AuthenticateSMSR as ES5 STORE DATA 3A01 -> RC (7-13) and ES7.CreateAdditionalKeySet as
 *     3A02 -> DR + receipt (15-22) over its own ES5 -> the HandoverEUICC response (28) -> deletes its
 *     EIS (29) -> SMSRChange response (30). Step 7 or 15 not within the validity period: Failed.
 *   SR2 (the new SM-SR): ES4.PrepareSMSRChange (1-3: pending "awaiting handover") ->
 *     ES7.HandoverEUICC received: CERT.ECASD.ECKA checked through an EUM to the CI (6) ->
 *     AuthenticateSMSR with CERT.SR.ECDSA (7) -> RC -> key parameters built and signed (14) ->
 *     CreateAdditionalKeySet (15) -> receipt verified (23, the COMMIT POINT: the new ISD-R key set
 *     and the step stored in one transaction) -> over its own new keys ES5 FinaliseISDRhandover (25,
 *     F2 entries per the es5_f2_semantics variant) and UpdateSMSRAddressingParameters (26) -> EIS
 *     update (27) -> HandoverEUICC response (28) -> HandleSMSRChangeNotification to every profile
 *     owner (31-32). The eUICC already managed by SR2 at step 6: steps 7-23 skipped, the response is
 *     Executed-WithWarning. A failed FinaliseISDRhandover / addressing update after step 23 is a
 *     warning, never a failure.
 *
 * Persistence: one row per eUICC in the store's database (table smsr_change) holding the role, the
 * step (the FSM state name), the peer, the validity deadline and what is needed to answer the
 * original request after a restart (ReplyTo, MessageID, body namespace). The step is written before
 * each outgoing message. smsr_change_resume() after a restart: SR2 before step 23 restarts from step
 * 7 (a new RC: nothing of the old exchange is reused, no ephemeral key is ever stored) or, expired,
 * answers Failed and forgets the EIS; SR2 at or after 23 continues from step 25 (the eUICC is
 * already SR2's). SR1 waits for step 7/15 again until the deadline (then Failed, EIS unlocked), and
 * after step 22 waits for step 28, which SR2 always sends (after step 23 it is never Failed). So,
 * once finished or expired, the EIS is at exactly one of the two.
 *
 * Timers (osmo_tdef): X70 = an ES7 call's answer (default 300 s), X71 = an ES5 exchange of the
 * procedure (default 120 s); the validity periods of the ES4/ES7 requests bound steps 2, 7 and 15.
 *
 * Everything leaving the procedure goes through struct smsr_change_ops, so the tests run SR1 and SR2
 * against each other in one process with a computed card.
 *
 * Trust: ES requests and responses from peers, ES5 results: UNTRUSTED (decoded by lib/es; every
 * certificate, signature and receipt is checked). Keys never reach a log. Ownership: talloc; the
 * configuration's keys and certificates are borrowed and must outlive the object.
 * Returns: 0 or a negative errno. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <osmocom/core/tdef.h>
#include <osmocom/core/utils.h>

#include "lib/ecka/ecka.h"
#include "lib/es/es.h"
#include "lib/es5/es5.h"
#include "network/smsr/smsr.h"
#include "network/smsr/smsr_store.h"

enum smsr_change_timer {
	SMSR_CHG_T_ES7 = -70,
	SMSR_CHG_T_ES5 = -71,
	SMSR_CHG_T_ES7_RETRY = -72, /* SR2: no answer to step 7 or 15 yet: from step 7 again */
};
extern struct osmo_tdef smsr_change_tdefs[];

/* What SR1 withholds of its ISD-R key sets in HandoverEUICC (digest §2.1 step 5, §6.7). */
enum smsr_change_hide {
	SMSR_CHG_HIDE_KEY_VALUES, /* default: Keyset Version/Type/Cntr stay (SR2 needs SR1's KVNs for the F2
				   * delete list, open-questions §2), the Key elements go */
	SMSR_CHG_HIDE_KEYSETS,	  /* Njiwa hideCurrentKeys(): no Keyset at all */
};
extern const struct value_string smsr_change_hide_names[];

/* Who gets HandleSMSRChangeNotification (steps 31-32, open-questions §9). */
enum smsr_change_notify {
	SMSR_CHG_NOTIFY_ES4, /* default: ES4 to every MNO owning a profile */
	SMSR_CHG_NOTIFY_ES3, /* ES3 (with Mno-id) to the SM-DP of each profile (no direct MNO link) */
};
extern const struct value_string smsr_change_notify_names[];

/* How SR2 gets its own SCP81 (PSK-TLS) key set on the ISD-R at step 26, so that it can open HTTPS
 * sessions (digest §2.1 step 26 "new SCP81 PSK key set"; SR1's SCP81 set goes with step 25). */
enum smsr_change_scp81 {
	SMSR_CHG_SCP81_ECKA, /* default: EstablishISDRKeySet over our new SCP80 key set, 3A01 {CERT.SR.ECDSA}
			      * then a signed 3A02 with key type 85 (PSK-TLS), KVN 40-4F, KUQ 5C (one key,
			      * Njiwa CreateSCP81KeySet, which sends the 3A02 without 3A01 and signature) */
	SMSR_CHG_SCP81_NONE, /* no SCP81 key set: SR2 reaches the eUICC by SMS only */
};
extern const struct value_string smsr_change_scp81_names[];

/* Message the eUICC-already-managed warning carries (digest §2.1). */
#define SMSR_CHG_MSG_ALREADY_MANAGED "eUICC already managed"

struct smsr_change;
struct smsr_eisvar;

struct smsr_change_ops {
	/* ES5: send a script to the ISD-R of eid over our own transport; answer with
	 * smsr_change_es5_rx_result(op, ...). Same contract as struct smsr_es5_ops.send_script. */
	int (*es5_send)(void *priv, const char *eid, uint32_t op, const uint8_t *script, size_t len);
	/* ES7: send req (a request; req->wsa.message_id is set) to the SM-SR peer_id; its response comes
	 * back with smsr_change_es_rx_response(tag, ...). */
	int (*es_call)(void *priv, const char *peer_id, struct es_msg *req, uint32_t tag);
	/* The response of an async request whose handle did not survive a restart: to reply_to with
	 * RelatesTo relates_to (esnet_send_callback() in the daemon). */
	int (*respond_stored)(void *priv, const char *reply_to, const char *relates_to, enum es_ns_variant ns,
			      struct es_msg *resp);
	/* Steps 31-32: a Handle*SMSRChangeNotification to entity to_id. */
	void (*notify)(void *priv, const char *to_id, struct es_msg *msg);
	/* Optional: the ES reading of the peer SM-SR peer_id (its digest §8 variants, e.g. AuthenticateSMSR
	 * with Eis or Eid); NULL or a NULL answer = cfg.es. */
	const struct es_variant *(*peer_variant)(void *priv, const char *peer_id);
};

struct smsr_change_cfg {
	const char *smsr_id; /* our OID */
	/* SR2: our CERT.SR.ECDSA (the 7F21 TLV) and SK.SR.ECDSA; the CI and the EUM certificates that
	 * CERT.ECASD.ECKA must chain to. */
	const uint8_t *sr_cert;
	size_t sr_cert_len;
	EVP_PKEY *sr_key;
	X509 *ci;
	X509 **eum;
	unsigned int n_eum;
	uint32_t check_date; /* YYYYMMDD for certificate validity, 0 = today */
	struct ecka_variants ecka;
	enum es5_f2_semantics f2;
	struct es_variant es; /* AuthenticateSMSR carries Eis or Eid per es.auth_smsr */
	enum smsr_change_hide hide;
	enum smsr_change_notify notify;
	/* SR2: the value of DGI 3A07 for UpdateSMSRAddressingParameters (step 26); NULL = step skipped */
	const uint8_t *addressing;
	size_t addressing_len;
	enum smsr_change_scp81 scp81;
	/* Optional per-eUICC rules (smsr_eisvar.h, borrowed: must outlive the object): f2 and hide of the
	 * procedure's eUICC are looked up by its EID, the values above being the fallback; NULL = f2 and
	 * hide for every eUICC. */
	const struct smsr_eisvar *eisvar;
	uint32_t default_validity; /* seconds, when a request has no ValidityPeriod (0 = 600) */
	struct osmo_tdef *tdefs;   /* NULL = smsr_change_tdefs */
};

struct smsr_change_stats {
	unsigned long started_sr1, started_sr2, committed, succeeded, warnings, failed, expired, resumed, es7_retries;
};

/* sr: the procedure layer of the same SM-SR (SR1 builds the EIS it hands over with smsr_eis_build()). */
struct smsr_change *smsr_change_alloc(void *ctx, struct smsr *sr, struct smsr_store *store,
				      const struct smsr_change_cfg *cfg, const struct smsr_change_ops *ops, void *priv);
void smsr_change_free(struct smsr_change *c);
const struct smsr_change_stats *smsr_change_stats(const struct smsr_change *c);
unsigned int smsr_change_num_procs(const struct smsr_change *c);

/* ES4.PrepareSMSRChange, ES4.SMSRChange, ES7.HandoverEUICC, ES7.AuthenticateSMSR,
 * ES7.CreateAdditionalKeySet. Answers through reply (now or later). -ENOTSUP for any other request
 * (then nothing was answered). */
int smsr_change_es_request(struct smsr_change *c, const struct es_msg *req, const struct smsr_reply *reply);
bool smsr_change_handles(enum es_msg_id id);

/* The answer to our es_call tag: rc 0 and resp, or a negative errno (timeout, transport). */
void smsr_change_es_rx_response(struct smsr_change *c, uint32_t tag, int rc, const struct es_msg *resp);
/* A HandoverEUICC response that no live call matches (after an SR1 restart): matched by
 * resp->wsa.relates_to against the stored MessageID. -ENOENT if none. */
int smsr_change_es_rx_unmatched(struct smsr_change *c, const struct es_msg *resp);

/* ES5 exchanges of this module carry op numbers with SMSR_CHG_OP_FLAG set. */
#define SMSR_CHG_OP_FLAG 0x80000000u
static inline bool smsr_change_owns_op(uint32_t op)
{
	return (op & SMSR_CHG_OP_FLAG) != 0;
}
void smsr_change_es5_rx_result(struct smsr_change *c, uint32_t op, int rc, uint16_t sw, const uint8_t *resp,
			       size_t len);

/* After a restart: resume or abort every stored procedure (see the top of this file). Returns the
 * number of procedures found. */
int smsr_change_resume(struct smsr_change *c);

/* The stored step of eid's procedure ("" and -ENOENT if none): for tests and the VTY. */
int smsr_change_step(struct smsr_change *c, const char *eid, char *buf, size_t cap);
