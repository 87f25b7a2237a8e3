/* rsplab-smdp: ES2 functions the SM-DP provides by relaying them to the SM-SR over ES3 (digest §1.2,
 * §3.4): GetEIS, UpdatePolicyRules, UpdateSubscriptionAddress, EnableProfile, DisableProfile and
 * DeleteProfile (-> ES3.DeleteISDP). One osmo_fsm instance per request with one state, WAIT_ES3, under
 * timer X8; the MNO is always answered (the SM-SR's status, or Failed 1.6/5.4 on timeout), and the
 * store follows the SM-SR's success only (POL2, MSISDN, profile state). */
#pragma once

#include "network/smdp/smdp.h"

extern struct osmo_fsm smdp_relay_fsm;

/* Relay the ES2 request req (already validated by the caller) to peer. The request is copied.
 * Returns 0 (the MNO will be answered through ops.es2_respond) or a negative errno (nothing sent; the
 * caller answers). */
int smdp_relay_start(struct smdp *s, const struct smdp_smsr_peer *peer, const struct es_msg *req, const char *mno_ref);

/* The FunctionExecutionStatus of an ES2 response message (NULL if m is not one). */
struct es_fes *smdp_es2_resp_fes(struct es_msg *m);

/* ES3.AuditEIS (digest §1.2: SM-DP -> SM-SR; XSD ES3-AuditEISRequest: Eid, Iccid 0..n), asked by the
 * operator (VTY `smdp audit-eis`) rather than by ES2, which has no such function. The answer's EIS is
 * reconciled with the store: a ProfileInfo of ours (assigned to that EID) reported Enabled or Disabled
 * moves the profile to that state (as the ES3 notifications would), others are left alone. cb (may be
 * NULL) gets the outcome once: status (Failed 1.6/5.4 on timeout or no usable answer), the EIS (NULL
 * unless success; valid during the call) and how many profiles of ours changed state. The same relay
 * FSM (state WAIT_ES3, timer X8) runs it. Returns 0 or a negative errno (nothing sent). */
typedef void (*smdp_audit_cb)(void *priv, enum es_status st, const struct es_eis *eis, unsigned int synced);
int smdp_audit_eis(struct smdp *s, const struct smdp_smsr_peer *peer, const uint8_t eid[16], const char *const *iccids,
		   unsigned int n_iccid, smdp_audit_cb cb, void *priv);
