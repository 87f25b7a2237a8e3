/* The SM-SR core: ES function providers (ES1 RegisterEIS; ES3/ES4 GetEIS, EnableProfile,
 * DisableProfile, DeleteProfile/DeleteISDP, CreateISDP) as one osmo_fsm instance per call, the E1
 * notification handling, over the store (smsr_store.h). Everything that leaves the procedure layer goes
 * through ops tables (style §13.9), so the FSMs are tested with stub transports:
 *   - struct smsr_es5_ops: send one remote-command script to an eUICC's ISD-R (the SMS/SCP80 or
 *     HTTPS/SCP81 transport secures and delivers it, then reports with smsr_es5_rx_result());
 *   - struct smsr_reply: answer the ES request that started a procedure (esnet_in_respond() in the
 *     daemon, a capture in tests);
 *   - smsr_notify_cb: ES3/ES4 Handle*Notification to the owner of a profile.
 *
 * FSM states are named after the digest's steps (§3.4 for EnableProfile: step 20 sent, 23 waiting for
 * the notification, 24 confirmed). Timers (osmo_tdef, X numbers): X20 = wait for the ES5 result of one
 * script (default 120 s), X21 = wait for the E1 notification after EnableProfile (default 600 s).
 *
 * Trust: ES messages given in are decoded (lib/es) but otherwise UNTRUSTED; E1 notifications and
 * script results are UNTRUSTED. Ownership: struct smsr is a talloc object; each procedure's data hangs
 * off its FSM instance. Return values: 0 or a negative errno. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include <osmocom/core/tdef.h>

#include <openssl/evp.h>
#include <osmocom/core/utils.h>

#include "lib/es/es.h"
#include "lib/es/es_eumsig.h"
#include "lib/es5/es5.h"
#include "lib/es5/notification.h"
#include "network/smsr/smsr_store.h"

enum smsr_timer {
	SMSR_T_ES5_RESULT = -20,
	SMSR_T_NOTIFICATION = -21,
};
extern struct osmo_tdef smsr_tdefs[];

struct smsr;

struct smsr_es5_ops {
	/* Send script (TS 102 226 expanded format, AA template) to the ISD-R of eid. op identifies the
	 * exchange; the transport answers later with smsr_es5_rx_result(op, ...). 0 or a negative errno. */
	int (*send_script)(struct smsr *sr, const char *eid, uint32_t op, const uint8_t *script, size_t len,
			   void *priv);
};

/* How a procedure answers the ES request that started it. respond() consumes the request handle. */
struct smsr_reply {
	void (*respond)(void *handle, struct es_msg *resp);
	void *handle;
	const char *requester; /* the caller's entity id (audit, ownership checks) */
	/* the request's SOAP envelope as received (esnet_in_body()): what an ES1 RegisterEIS EumSignature
	 * is checked over. NULL = not known (then a RegisterEIS under a checking eis_sig is refused). */
	const uint8_t *xml;
	size_t xml_len;
};

/* How ES1 RegisterEIS checks the EumSignature: the named variants of lib/es/es_eumsig.h, or not at all
 * (vendor interop only: the daemon logs a warning at start-up). Default: dsig-detached. */
enum smsr_eis_sig {
	SMSR_EIS_SIG_DSIG_DETACHED = ES_EUMSIG_DSIG_DETACHED,
	SMSR_EIS_SIG_DIRECT = ES_EUMSIG_DIRECT,
	SMSR_EIS_SIG_NONE,
};
extern const struct value_string smsr_eis_sig_names[];

/* ES3/ES4 Handle*Notification to the owner (mno_id) of a profile; msg->id says which. */
typedef void (*smsr_notify_cb)(struct smsr *sr, const char *mno_id, struct es_msg *msg, void *priv);

struct smsr_cfg {
	const char *smsr_id; /* our OID (EIS Smsr-id) */
	enum es5_delete_p2 delete_p2;
	struct osmo_tdef *tdefs; /* NULL = smsr_tdefs */
	/* Whether the operator mno_id has an ES4 notification endpoint of its own: then its
	 * Handle*Notification goes over ES4 even for an ES3 request (open-questions §9 routing); NULL =
	 * none has, ES3 requests are notified over ES3. */
	bool (*owner_has_es4)(const char *mno_id, void *priv);
	/* ES1 RegisterEIS: the EumSignature must verify under eis_sig with one of the EUM public keys
	 * eum_keys[0..n_eum_keys) (PK.EUM.ECDSA of the configured EUM certificates, each tried in turn;
	 * borrowed). None configured: every RegisterEIS is refused unless eis_sig is SMSR_EIS_SIG_NONE. */
	enum smsr_eis_sig eis_sig;
	EVP_PKEY *const *eum_keys;
	size_t n_eum_keys;
};

struct smsr_stats {
	unsigned long procs_started, procs_ok, procs_failed, procs_expired, es5_scripts_sent, es5_results,
		es5_unmatched_results, notifs_rx, notifs_dup, notifs_bad, confirms_sent;
};

struct smsr *smsr_alloc(void *ctx, struct smsr_store *store, const struct smsr_cfg *cfg, const struct smsr_es5_ops *es5,
			smsr_notify_cb notify, void *priv);
void smsr_free(struct smsr *sr);

/* The answer to a request received before a restart (esnet_send_callback() in the daemon): to reply_to
 * with RelatesTo relates_to in namespace ns. 0 when sent. */
typedef int (*smsr_respond_stored_cb)(void *priv, const char *reply_to, const char *relates_to, enum es_ns_variant ns,
				      struct es_msg *resp);
/* At start-up: the procedures of this layer left pending by a crash. An EnableProfile is resumed: it waits
 * for the eUICC's E1 again (X21; the card retries its notification until a 3A08), and its answer goes
 * through respond to the stored ReplyTo / RelatesTo when the E1 (or X21) decides. DisableProfile,
 * DeleteProfile/DeleteISDP and CreateISDP end now: their PoR is lost, the outcome on the eUICC unknown, so
 * each is answered Failed 1.2/4.2 "interrupted by a restart" (the requester asks again; AuditEIS tells
 * the card's state), audited, and no longer blocks its eUICC. SM-SR Change resumes on its own
 * (smsr_change_resume()). respond/priv must stay valid while resumed procedures run. Returns the number
 * answered or resumed, or -EIO. */
int smsr_abort_pending(struct smsr *sr, smsr_respond_stored_cb respond, void *priv);
const struct smsr_stats *smsr_stats(const struct smsr *sr);
unsigned int smsr_num_procs(const struct smsr *sr);

/* An ES request arrived (decoded). Sync functions are answered before this returns; async ones start
 * a procedure. Requests that are not provided get a FAILED status. Returns 0 or a negative errno
 * (then reply->respond has been called with a failure already). */
int smsr_es_request(struct smsr *sr, const struct es_msg *req, const struct smsr_reply *reply);

/* The ES5 transport reports the outcome of script op: rc 0 = a response script arrived (resp, the
 * R-APDU data of the last command, and its status word sw); rc < 0 = not delivered / no PoR / PoR
 * error (-ETIMEDOUT, -EPROTO ...). */
void smsr_es5_rx_result(struct smsr *sr, uint32_t op, int rc, uint16_t sw, const uint8_t *resp, size_t len);

/* An E1 notification arrived from the eUICC by SMS-MO. Decoded, de-duplicated on (EID, seq),
 * confirmed with 3A08 (also a duplicate: confirmed again, never processed twice), EIS updated,
 * pending EnableProfile completed, owners notified. Returns 0, -EBADMSG (malformed: dropped, no
 * state change), -ENOENT (unknown EID). */
int smsr_es5_rx_notification(struct smsr *sr, const uint8_t *data, size_t len);
/* The same for an E1 the eUICC eid sent in an HTTPS admin session it opened (SCP81; the PSK
 * authenticated eid): not confirmed over ES5 — on 0 the caller confirms *seq with a 3A08 script in that
 * session. -EPERM when the E1 names another eUICC (dropped), else as above. */
int smsr_es5_rx_notification_in_session(struct smsr *sr, const char *eid, const uint8_t *data, size_t len,
					uint16_t *seq);

/* Build the full EIS of eid as GetEIS returns it (stored EIS with the current profiles) into *eis;
 * strings point into memory allocated under ctx. */
int smsr_eis_build(struct smsr *sr, void *ctx, const char *eid, struct es_eis *eis);

/* True while a procedure of this layer runs for eid (other layers, e.g. the ES3 relay, keep off). */
bool smsr_eid_busy(struct smsr *sr, const char *eid);
