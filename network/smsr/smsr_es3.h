/* The SM-SR's profile-download functions (ES3 from the SM-DP, some also ES4 from the MNO), beside the
 * procedure layer of smsr.h, with one osmo_fsm instance per call that needs the eUICC:
 *   - ES3.SendData (digest §3.2/§3.3): Data is a command script (AA / AE) for the security domain
 *     Sd-aid (the ISD-R, or an ISD-P of this eUICC); it is relayed over ES5 (struct smsr_relay_ops: SMS
 *     with the target's TAR, or the SCP81 session with X-Admin-Targeted-Application) and the eUICC's
 *     whole response script (AB / AF) comes back as EuiccResponseData. MoreToDo = true keeps the ES5
 *     session open for the next SendData;
 *   - ES3.ProfileDownloadCompleted (digest §3.3 steps 17-18): the profile becomes Disabled in the EIS
 *     with its Smdp-id (the requester), Mno-id (kept from CreateISDP), POL2 and subscription address;
 *   - ES3/ES4.UpdatePolicyRules (POL2), ES3/ES4.UpdateSubscriptionAddress (also the ES5 SMS address
 *     when the profile is the enabled one): store updates, answered at once;
 *   - ES3/ES4.AuditEIS: GET STATUS of the ISD-Ps (lib/es5) to the ISD-R, the profile states in the
 *     store brought in line with the card's answer, then the EIS as GetEIS gives it (only the ICCIDs
 *     asked for, if any; ES4: only the requester's profiles);
 *   - ES3.UpdateConnectivityParameters: ConnectivityParameters relayed to the profile's ISD-P (the
 *     SM-DP protects it with the ISD-P's SCP03 keys; named variant below for its coding).
 *
 * Ownership checks (ES4: the requester must be the profile's Mno-id; ES3: the SM-DP that created the
 * ISD-P, when the store knows it) answer 8.2.1 / 1.2. One call at a time per eUICC (also against the
 * procedures of smsr.c): 8.1 / 3.3 otherwise.
 *
 * Timers (osmo_tdef): X22 = wait for the ES5 relay result of one SendData / AuditEIS /
 * UpdateConnectivityParameters (default 300 s: a push, a TLS handshake over BIP and a profile segment).
 *
 * Trust: ES messages given in are decoded (lib/es) but UNTRUSTED; relay results are UNTRUSTED.
 * Ownership: struct smsr_es3 is a talloc object; procedures hang off it.
 * Returns: 0 or a negative errno. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <osmocom/core/tdef.h>
#include <osmocom/core/utils.h>

#include "lib/es/es.h"
#include "network/smsr/smsr.h"
#include "network/smsr/smsr_store.h"

enum smsr_es3_timer {
	SMSR_T_RELAY = -22,
};
extern struct osmo_tdef smsr_es3_tdefs[];

/* How ES3.UpdateConnectivityParameters' ConnectivityParameters is coded [I: SGP.02 §5.4 not read]. */
enum smsr_ucp_coding {
	SMSR_UCP_SCRIPT, /* default: a complete command script (AA/AE) for the ISD-P, relayed as is */
	SMSR_UCP_CAPDU,	 /* one (SCP03-wrapped) C-APDU: the SM-SR puts it into a script (22 TLV) */
};
extern const struct value_string smsr_ucp_coding_names[];

/* The ES5 transport under the relay: send script (TS 102 226 expanded format) to the security domain
 * aid of eid. more: MoreToDo (keep the session open after this script). The transport answers later with
 * smsr_es3_rx_result(op, ...). 0 or a negative errno. */
struct smsr_relay_ops {
	int (*send)(void *tp, const char *eid, uint32_t op, const uint8_t *aid, size_t aid_len, const uint8_t *script,
		    size_t len, bool more);
};

struct smsr_es3_cfg {
	enum smsr_ucp_coding ucp;
	struct osmo_tdef *tdefs; /* NULL = smsr_es3_tdefs */
};

struct smsr_es3_stats {
	unsigned long relays, relay_ok, relay_failed, relay_expired, unmatched_results, updates, audits;
};

struct smsr_es3;

/* sr: the procedure layer (busy checks, EIS building); ops/tp: the relay transport. Ops numbers of the
 * relay have bit 31 set, so one transport callback can tell them from smsr.c's (smsr_es3_owns_op()). */
struct smsr_es3 *smsr_es3_alloc(void *ctx, struct smsr *sr, struct smsr_store *store, const struct smsr_es3_cfg *cfg,
				const struct smsr_relay_ops *ops, void *tp);
void smsr_es3_free(struct smsr_es3 *e);
void smsr_es3_set_transport(struct smsr_es3 *e, const struct smsr_relay_ops *ops, void *tp);
const struct smsr_es3_stats *smsr_es3_stats(const struct smsr_es3 *e);
unsigned int smsr_es3_num_procs(const struct smsr_es3 *e);

/* True for the request ids this module provides. */
bool smsr_es3_handles(enum es_msg_id id);
static inline bool smsr_es3_owns_op(uint32_t op)
{
	return (op & 0x80000000u) != 0;
}
/* An ES request this module provides (else -ENOTSUP, nothing answered). Sync functions are answered
 * before this returns; the others start a procedure. Errors are answered through reply as well. */
int smsr_es3_request(struct smsr_es3 *e, const struct es_msg *req, const struct smsr_reply *reply);
/* The relay transport reports op: rc 0 with the eUICC's response script (rsp, len; may be empty), or
 * rc < 0 (not delivered, no answer, session failed). */
void smsr_es3_rx_result(struct smsr_es3 *e, uint32_t op, int rc, const uint8_t *rsp, size_t len);

/* struct smsr_relay_ops.send over SMS (tp = the struct smsr_ota): SCP80 to the TAR of aid (SGP.02
 * Annex H: ISD-R 000001, an ISD-P the AID's bytes 13..15); the PoR's response script goes to
 * smsr_es3_rx_result() through struct smsr_ota_up.raw_result. MoreToDo means nothing to SMS. */
int smsr_relay_sms_send(void *ota, const char *eid, uint32_t op, const uint8_t *aid, size_t aid_len,
			const uint8_t *script, size_t len, bool more);
