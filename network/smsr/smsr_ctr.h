/* rsplab-smsr rate counters (libosmocore rate_ctr groups, style §13.9): one group per interface, and one
 * group with a request and a failure counter per ES function the SM-SR provides. Shown over the VTY
 * (`show counters`, smsr_vty.h) and through libosmocore's stats reporters.
 *
 *   group "smsr_es"     index 1, 3, 4, 7 (the interface): SOAP requests received / answered with a
 *                       status other than Executed-Success / requests and notifications sent / sends that
 *                       failed / faults received in answer to ours
 *   group "smsr_smpp"   MT submit_sm sent / refused, MO deliver_sm received, generic_nack sent / received,
 *                       binds, disconnects
 *   group "smsr_kannel" MT sendsms sent / refused, MO received / malformed, DLR received / failed
 *   group "smsr_scp80"  ES5 over SMS: scripts sent, PoR ok / failed, retransmissions, PoR timeouts, MO dropped
 *   group "smsr_scp81"  ES5 over HTTPS: pushes, sessions opened / ended ok / failed, unknown PSK identities
 *   group "smsr_e1"     eUICC notifications received / duplicates (confirmed again, not processed) / dropped
 *   group "smsr_fn"     per ES function of ES1/ES3/ES4/ES7 requests: `<name>:req` and `<name>:fail`
 *
 * The counters are process-wide (one SM-SR per process). Before smsr_ctr_init() (e.g. in the unit tests
 * of other modules) every increment is a no-op. Counters hold no identities and no key material.
 * Returns: smsr_ctr_init() 0 or -ENOMEM. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include <osmocom/core/rate_ctr.h>

#include "lib/es/es.h"

struct es_msg;

enum smsr_ctr_es {
	SMSR_CTR_ES_REQ_IN,
	SMSR_CTR_ES_REQ_FAIL,
	SMSR_CTR_ES_REQ_OUT,
	SMSR_CTR_ES_OUT_ERR,
	SMSR_CTR_ES_FAULT_IN,
};

enum smsr_ctr_smpp {
	SMSR_CTR_SMPP_MT_SENT,
	SMSR_CTR_SMPP_MT_REFUSED,
	SMSR_CTR_SMPP_MO_RX,
	SMSR_CTR_SMPP_GNACK_TX,
	SMSR_CTR_SMPP_GNACK_RX,
	SMSR_CTR_SMPP_BIND_OK,
	SMSR_CTR_SMPP_BIND_REFUSED,
	SMSR_CTR_SMPP_DISCONNECT,
};

enum smsr_ctr_kannel {
	SMSR_CTR_KANNEL_MT_SENT,
	SMSR_CTR_KANNEL_MT_REFUSED,
	SMSR_CTR_KANNEL_MO_RX,
	SMSR_CTR_KANNEL_MO_BAD,
	SMSR_CTR_KANNEL_DLR_RX,
	SMSR_CTR_KANNEL_DLR_FAILED,
};

enum smsr_ctr_scp80 {
	SMSR_CTR_SCP80_SCRIPT_TX,
	SMSR_CTR_SCP80_POR_OK,
	SMSR_CTR_SCP80_POR_FAILED,
	SMSR_CTR_SCP80_RETX,
	SMSR_CTR_SCP80_TIMEOUT,
	SMSR_CTR_SCP80_MO_DROPPED,
};

enum smsr_ctr_scp81 {
	SMSR_CTR_SCP81_PUSH,
	SMSR_CTR_SCP81_SESSION_OPENED,
	SMSR_CTR_SCP81_SESSION_OK,
	SMSR_CTR_SCP81_SESSION_FAILED,
	SMSR_CTR_SCP81_PSK_UNKNOWN,
};

enum smsr_ctr_e1 {
	SMSR_CTR_E1_RX,
	SMSR_CTR_E1_DUP,
	SMSR_CTR_E1_DROPPED,
};

enum smsr_ctr_grp {
	SMSR_CTRG_ES,
	SMSR_CTRG_SMPP,
	SMSR_CTRG_KANNEL,
	SMSR_CTRG_SCP80,
	SMSR_CTRG_SCP81,
	SMSR_CTRG_E1,
	SMSR_CTRG_FN,
	_NUM_SMSR_CTRG,
};

/* Allocate the groups under ctx (idempotent). */
int smsr_ctr_init(void *ctx);
/* Free them; increments are no-ops again. */
void smsr_ctr_fini(void);

/* Increment counter ctr of group grp (not SMSR_CTRG_ES / SMSR_CTRG_FN). */
void smsr_ctr_inc(enum smsr_ctr_grp grp, unsigned int ctr);
/* Increment ctr of interface iface's ES group (1, 3, 4 or 7; others ignored). */
void smsr_ctr_es_inc(unsigned int iface, enum smsr_ctr_es ctr);

/* An ES request arrived for the procedures: its interface's req:in and its function's :req. */
void smsr_ctr_es_request(const struct es_msg *req);
/* The answer to an ES request is sent (a fault, or a FunctionExecutionStatus other than
 * Executed-Success: the function's :fail and the interface's req:fail). */
void smsr_ctr_es_answer(const struct es_msg *resp);

/* The group (NULL before smsr_ctr_init()); for SMSR_CTRG_ES idx is the interface, else 0. */
struct rate_ctr_group *smsr_ctr_group(enum smsr_ctr_grp grp, unsigned int idx);
/* A counter's current value (0 before smsr_ctr_init()). For SMSR_CTRG_FN, ctr is
 * smsr_ctr_fn_index(id, fail). */
uint64_t smsr_ctr_get(enum smsr_ctr_grp grp, unsigned int idx, unsigned int ctr);
/* The index in group SMSR_CTRG_FN of request id's :req (fail false) or :fail counter; -1 if id is not a
 * request of ES1/ES3/ES4/ES7. */
int smsr_ctr_fn_index(enum es_msg_id id, bool fail);
