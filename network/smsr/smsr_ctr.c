/* rsplab-smsr rate counters: the group descriptions and the increment helpers (smsr_ctr.h). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <osmocom/core/talloc.h>
#include <osmocom/core/utils.h>

#include "network/smsr/smsr_ctr.h"

static const struct rate_ctr_desc es_ctr[] = {
	[SMSR_CTR_ES_REQ_IN] = { "req:in", "SOAP requests received" },
	[SMSR_CTR_ES_REQ_FAIL] = { "req:fail", "requests answered with a fault or not Executed-Success" },
	[SMSR_CTR_ES_REQ_OUT] = { "req:out", "requests and notifications sent" },
	[SMSR_CTR_ES_OUT_ERR] = { "out:err", "requests and notifications not sent or unanswered" },
	[SMSR_CTR_ES_FAULT_IN] = { "fault:in", "SOAP faults received in answer to our requests" },
};

static const struct rate_ctr_desc smpp_ctr[] = {
	[SMSR_CTR_SMPP_MT_SENT] = { "mt:sent", "submit_sm sent (MT)" },
	[SMSR_CTR_SMPP_MT_REFUSED] = { "mt:refused", "submit_sm_resp with an error status" },
	[SMSR_CTR_SMPP_MO_RX] = { "mo:rx", "deliver_sm received (MO, not receipts)" },
	[SMSR_CTR_SMPP_GNACK_TX] = { "generic_nack:tx", "generic_nack sent (unknown or malformed PDU)" },
	[SMSR_CTR_SMPP_GNACK_RX] = { "generic_nack:rx", "generic_nack received" },
	[SMSR_CTR_SMPP_BIND_OK] = { "bind:ok", "bind_transceiver accepted" },
	[SMSR_CTR_SMPP_BIND_REFUSED] = { "bind:refused", "bind_transceiver refused" },
	[SMSR_CTR_SMPP_DISCONNECT] = { "disconnect", "connection to the SMSC lost" },
};

static const struct rate_ctr_desc kannel_ctr[] = {
	[SMSR_CTR_KANNEL_MT_SENT] = { "mt:sent", "sendsms requests sent (MT)" },
	[SMSR_CTR_KANNEL_MT_REFUSED] = { "mt:refused", "sendsms refused or not answered 2xx" },
	[SMSR_CTR_KANNEL_MO_RX] = { "mo:rx", "MO callbacks received" },
	[SMSR_CTR_KANNEL_MO_BAD] = { "mo:bad", "MO callbacks malformed" },
	[SMSR_CTR_KANNEL_DLR_RX] = { "dlr:rx", "delivery reports received" },
	[SMSR_CTR_KANNEL_DLR_FAILED] = { "dlr:failed", "delivery reports saying failed" },
};

static const struct rate_ctr_desc scp80_ctr[] = {
	[SMSR_CTR_SCP80_SCRIPT_TX] = { "script:tx", "command scripts sent as SCP80 packets" },
	[SMSR_CTR_SCP80_POR_OK] = { "por:ok", "PoRs verified with status 00" },
	[SMSR_CTR_SCP80_POR_FAILED] = { "por:failed", "PoRs not verifying or with an error status" },
	[SMSR_CTR_SCP80_RETX] = { "retransmit", "packets sent again after no PoR (X30)" },
	[SMSR_CTR_SCP80_TIMEOUT] = { "timeout", "exchanges given up without a PoR" },
	[SMSR_CTR_SCP80_MO_DROPPED] = { "mo:dropped", "MO SMS dropped (malformed, unknown sender)" },
};

static const struct rate_ctr_desc scp81_ctr[] = {
	[SMSR_CTR_SCP81_PUSH] = { "push", "push SMS sent" },
	[SMSR_CTR_SCP81_SESSION_OPENED] = { "session:opened", "RAM over HTTP sessions opened (first POST)" },
	[SMSR_CTR_SCP81_SESSION_OK] = { "session:ok", "sessions ended with the response reported" },
	[SMSR_CTR_SCP81_SESSION_FAILED] = { "session:failed", "sessions failed or timed out" },
	[SMSR_CTR_SCP81_PSK_UNKNOWN] = { "psk:unknown", "PSK-TLS identities not in the store" },
};

static const struct rate_ctr_desc e1_ctr[] = {
	[SMSR_CTR_E1_RX] = { "rx", "eUICC notifications received (known EID)" },
	[SMSR_CTR_E1_DUP] = { "dup", "duplicates: confirmed again, not processed" },
	[SMSR_CTR_E1_DROPPED] = { "dropped", "malformed or unknown EID" },
};

#define GROUP(prefix, desc, table)                                                                    \
	{                                                                                             \
		.group_name_prefix = prefix, .group_description = desc, .num_ctr = ARRAY_SIZE(table), \
		.ctr_desc = table                                                                     \
	}

static const struct rate_ctr_group_desc es_desc = GROUP("smsr_es", "SOAP interface", es_ctr);
static const struct rate_ctr_group_desc fixed_desc[_NUM_SMSR_CTRG] = {
	[SMSR_CTRG_SMPP] = GROUP("smsr_smpp", "SMPP ESME", smpp_ctr),
	[SMSR_CTRG_KANNEL] = GROUP("smsr_kannel", "Kannel HTTP", kannel_ctr),
	[SMSR_CTRG_SCP80] = GROUP("smsr_scp80", "ES5 over SMS (SCP80)", scp80_ctr),
	[SMSR_CTRG_SCP81] = GROUP("smsr_scp81", "ES5 over HTTPS (SCP81)", scp81_ctr),
	[SMSR_CTRG_E1] = GROUP("smsr_e1", "eUICC notifications (E1)", e1_ctr),
};

static const unsigned int es_ifaces[] = { 1, 3, 4, 7 };

static struct {
	void *ctx;		      /* the descriptions of the function group */
	struct rate_ctr_group *es[8]; /* by interface number */
	struct rate_ctr_group *grp[_NUM_SMSR_CTRG];
	int fn_idx[ES_MSG__COUNT]; /* index of :req in the function group, -1 if none */
} g;

static bool provided(enum es_msg_id id)
{
	const struct es_msg_info *m = &es_msgs[id];

	return m->kind == ES_KIND_REQUEST && (m->iface == 1 || m->iface == 3 || m->iface == 4 || m->iface == 7);
}

static struct rate_ctr_group_desc *fn_desc_build(void *ctx)
{
	struct rate_ctr_group_desc *d = talloc_zero(ctx, struct rate_ctr_group_desc);
	struct rate_ctr_desc *c;
	unsigned int n = 0;

	for (int id = 0; id < ES_MSG__COUNT; id++)
		n += provided((enum es_msg_id)id) ? 2 : 0;
	c = d ? talloc_zero_array(d, struct rate_ctr_desc, n) : NULL;
	if (!c)
		return NULL;
	n = 0;
	for (int id = 0; id < ES_MSG__COUNT; id++) {
		g.fn_idx[id] = -1;
		if (!provided((enum es_msg_id)id))
			continue;
		g.fn_idx[id] = (int)n;
		c[n].name = talloc_asprintf(d, "%s:req", es_msgs[id].name);
		c[n++].description = talloc_asprintf(d, "%s requests received", es_msgs[id].name);
		c[n].name = talloc_asprintf(d, "%s:fail", es_msgs[id].name);
		c[n++].description = talloc_asprintf(d, "%s answered with a failure", es_msgs[id].name);
	}
	d->group_name_prefix = "smsr_fn";
	d->group_description = "ES functions provided (requests, failures)";
	d->num_ctr = n;
	d->ctr_desc = c;
	return d;
}

int smsr_ctr_init(void *ctx)
{
	struct rate_ctr_group_desc *fn;

	if (g.ctx)
		return 0;
	g.ctx = talloc_named_const(ctx, 0, "smsr_ctr");
	fn = g.ctx ? fn_desc_build(g.ctx) : NULL;
	if (!fn)
		goto fail;
	for (unsigned int i = 0; i < ARRAY_SIZE(es_ifaces); i++)
		if (!(g.es[es_ifaces[i]] = rate_ctr_group_alloc(g.ctx, &es_desc, es_ifaces[i])))
			goto fail;
	for (int i = 0; i < _NUM_SMSR_CTRG; i++) {
		if (i == SMSR_CTRG_ES)
			continue;
		g.grp[i] = rate_ctr_group_alloc(g.ctx, i == SMSR_CTRG_FN ? fn : &fixed_desc[i], 0);
		if (!g.grp[i])
			goto fail;
	}
	return 0;
fail:
	smsr_ctr_fini();
	return -ENOMEM;
}

void smsr_ctr_fini(void)
{
	for (unsigned int i = 0; i < ARRAY_SIZE(g.es); i++)
		rate_ctr_group_free(g.es[i]);
	for (int i = 0; i < _NUM_SMSR_CTRG; i++)
		rate_ctr_group_free(g.grp[i]);
	talloc_free(g.ctx);
	memset(&g, 0, sizeof(g));
}

struct rate_ctr_group *smsr_ctr_group(enum smsr_ctr_grp grp, unsigned int idx)
{
	if (grp == SMSR_CTRG_ES)
		return idx < ARRAY_SIZE(g.es) ? g.es[idx] : NULL;
	return (unsigned int)grp < _NUM_SMSR_CTRG ? g.grp[grp] : NULL;
}

static void inc(struct rate_ctr_group *grp, unsigned int ctr)
{
	if (grp && ctr < grp->desc->num_ctr)
		rate_ctr_inc2(grp, ctr);
}

void smsr_ctr_inc(enum smsr_ctr_grp grp, unsigned int ctr)
{
	inc(smsr_ctr_group(grp, 0), ctr);
}

void smsr_ctr_es_inc(unsigned int iface, enum smsr_ctr_es ctr)
{
	inc(smsr_ctr_group(SMSR_CTRG_ES, iface), ctr);
}

int smsr_ctr_fn_index(enum es_msg_id id, bool fail)
{
	if (!g.ctx || id < 0 || id >= ES_MSG__COUNT || g.fn_idx[id] < 0)
		return -1;
	return g.fn_idx[id] + (fail ? 1 : 0);
}

void smsr_ctr_es_request(const struct es_msg *req)
{
	int i;

	if (!g.ctx || req->id < 0 || req->id >= ES_MSG__COUNT)
		return;
	smsr_ctr_es_inc(es_msgs[req->id].iface, SMSR_CTR_ES_REQ_IN);
	if ((i = smsr_ctr_fn_index(req->id, false)) >= 0)
		inc(g.grp[SMSR_CTRG_FN], (unsigned int)i);
}

void smsr_ctr_es_answer(const struct es_msg *resp)
{
	const struct es_fes *fes;
	enum es_msg_id req;
	int i;

	/* responses follow their request in the message table (es.h: resp id = req id + 1) */
	if (!g.ctx || resp->id <= 0 || resp->id >= ES_MSG__COUNT)
		return;
	req = (enum es_msg_id)(resp->id - 1);
	fes = &resp->u.es1_register_eis_resp.function_execution_status; /* BaseResponseType: same place */
	if (es_msgs[resp->id].kind != ES_KIND_RESPONSE ||
	    (!resp->is_fault && fes->present &&
	     (fes->status == ES_STATUS_EXECUTED_SUCCESS || fes->status == ES_STATUS_EXECUTED_WITHWARNING)))
		return;
	smsr_ctr_es_inc(es_msgs[req].iface, SMSR_CTR_ES_REQ_FAIL);
	if ((i = smsr_ctr_fn_index(req, true)) >= 0)
		inc(g.grp[SMSR_CTRG_FN], (unsigned int)i);
}

uint64_t smsr_ctr_get(enum smsr_ctr_grp grp, unsigned int idx, unsigned int ctr)
{
	struct rate_ctr_group *gr = smsr_ctr_group(grp, idx);

	if (!gr || ctr >= gr->desc->num_ctr)
		return 0;
	return rate_ctr_group_get_ctr(gr, ctr)->current;
}
