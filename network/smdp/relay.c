/* rsplab-smdp: ES2 -> ES3 relays (see relay.h). */
#include <errno.h>
#include <string.h>

#include <osmocom/core/fsm.h>
#include <osmocom/core/talloc.h>
#include <osmocom/core/utils.h>

#include "network/smdp/logging.h"
#include "network/smdp/relay.h"

#define S(x) (1u << (x))

enum { RELAY_ST_WAIT_ES3 };

struct smdp_relay {
	struct smdp *s;
	enum es_msg_id es2_req;
	char mno_ref[SMDP_ID_MAX + 1];
	uint8_t eid[16];
	char eid_str[SMDP_EID_LEN + 1];
	char iccid[SMDP_ICCID_MAX + 1];
	struct es_pol2 pol2;
	char msisdn[SMDP_MSISDN_MAX + 1];
	char imsi[SMDP_IMSI_MAX + 1];
	struct smdp_call_key key; /* the ES2 call (retry detection), when keyed */
	bool keyed;
	/* AuditEIS (es2_req ES_MSG_NONE): the operator's callback */
	smdp_audit_cb audit_cb;
	void *audit_priv;
};

struct es_fes *smdp_es2_resp_fes(struct es_msg *m)
{
	switch (m->id) {
	case ES_MSG_ES2_GET_EIS_RESP: return &m->u.es2_get_eis_resp.function_execution_status;
	case ES_MSG_ES2_DOWNLOAD_PROFILE_RESP: return &m->u.es2_download_profile_resp.function_execution_status;
	case ES_MSG_ES2_UPDATE_POLICY_RULES_RESP: return &m->u.es2_update_policy_rules_resp.function_execution_status;
	case ES_MSG_ES2_UPDATE_SUBSCRIPTION_ADDRESS_RESP:
		return &m->u.es2_update_subscription_address_resp.function_execution_status;
	case ES_MSG_ES2_ENABLE_PROFILE_RESP: return &m->u.es2_enable_profile_resp.function_execution_status;
	case ES_MSG_ES2_DISABLE_PROFILE_RESP: return &m->u.es2_disable_profile_resp.function_execution_status;
	case ES_MSG_ES2_DELETE_PROFILE_RESP: return &m->u.es2_delete_profile_resp.function_execution_status;
	default: return NULL;
	}
}

static const struct es_fes *es3_resp_fes(const struct es_msg *m)
{
	switch (m->id) {
	case ES_MSG_ES3_GET_EIS_RESP: return &m->u.es3_get_eis_resp.function_execution_status;
	case ES_MSG_ES3_UPDATE_POLICY_RULES_RESP: return &m->u.es3_update_policy_rules_resp.function_execution_status;
	case ES_MSG_ES3_UPDATE_SUBSCRIPTION_ADDRESS_RESP:
		return &m->u.es3_update_subscription_address_resp.function_execution_status;
	case ES_MSG_ES3_ENABLE_PROFILE_RESP: return &m->u.es3_enable_profile_resp.function_execution_status;
	case ES_MSG_ES3_DISABLE_PROFILE_RESP: return &m->u.es3_disable_profile_resp.function_execution_status;
	case ES_MSG_ES3_DELETE_ISDP_RESP: return &m->u.es3_delete_isdp_resp.function_execution_status;
	case ES_MSG_ES3_AUDIT_EIS_RESP: return &m->u.es3_audit_eis_resp.function_execution_status;
	default: return NULL;
	}
}

/* AuditEIS answer: reconcile the store with the EIS, tell the operator. */
static void audit_answer(struct osmo_fsm_inst *fi, const struct smdp_es3_answer *a)
{
	struct smdp_relay *r = fi->priv;
	const struct es_fes *in = NULL;
	const struct es_eis *eis = NULL;
	enum es_status st = ES_STATUS_FAILED;
	unsigned int synced = 0;
	char eid_s[SMDP_EID_LEN + 1], assigned[SMDP_EID_LEN + 1];

	if (a && a->rc == 0 && a->resp && !a->resp->is_fault && a->resp->id == ES_MSG_ES3_AUDIT_EIS_RESP)
		in = es3_resp_fes(a->resp);
	if (in && in->present && in->status)
		st = in->status;
	if (st == ES_STATUS_EXECUTED_SUCCESS || st == ES_STATUS_EXECUTED_WITHWARNING) {
		eis = &a->resp->u.es3_audit_eis_resp.eis;
		/* The EIS must be the one asked for (tolerant receive: anything else is not used). */
		if (!eis->present || smdp_eid_to_str(&eis->eum_signed_info.eid, eid_s) < 0 ||
		    strcmp(eid_s, r->eid_str) != 0) {
			LOGPFSML(fi, LOGL_NOTICE, "AuditEIS answer without the EIS of %s: not used\n", r->eid_str);
			eis = NULL;
			st = ES_STATUS_FAILED;
		}
	}
	for (unsigned int i = 0; eis && i < eis->n_profile_info && i < ARRAY_SIZE(eis->profile_info); i++) {
		const struct es_profile_info *pi = &eis->profile_info[i];
		enum smdp_profile_state to;
		uint32_t from = (1u << SMDP_PROFILE_DOWNLOADED) | (1u << SMDP_PROFILE_ENABLED) |
				(1u << SMDP_PROFILE_DISABLED);
		if (pi->state == ES_PROFILE_STATE_ENABLED)
			to = SMDP_PROFILE_ENABLED;
		else if (pi->state == ES_PROFILE_STATE_DISABLED)
			to = SMDP_PROFILE_DISABLED;
		else
			continue;
		if (!pi->iccid || strlen(pi->iccid) > SMDP_ICCID_MAX ||
		    smdp_store_assignment_get(r->s->store, pi->iccid, assigned) < 0 ||
		    strcmp(assigned, r->eid_str) != 0)
			continue; /* not ours on this eUICC */
		if (smdp_store_profile_set_state(r->s->store, pi->iccid, r->eid_str, from & ~(1u << to), to) == 0)
			synced++;
	}
	LOGPFSML(fi, LOGL_INFO, "ES3.AuditEIS of %s: %s, %u profile state(s) updated\n", r->eid_str,
		 get_value_string(es_status_names, st), synced);
	if (r->audit_cb)
		r->audit_cb(r->audit_priv, st, eis, synced);
	osmo_fsm_inst_term(fi, OSMO_FSM_TERM_REGULAR, NULL);
}

static const char *known_code(const struct es_code_name *table, const char *code)
{
	for (const struct es_code_name *e = table; code && e->code; e++)
		if (strcmp(e->code, code) == 0)
			return e->code;
	return NULL;
}

/* Answer the MNO: the ES3 answer's status (codes we know), or a local failure. */
static void relay_answer(struct osmo_fsm_inst *fi, const struct smdp_es3_answer *a, enum es_msg_id es3_resp)
{
	struct smdp_relay *r = fi->priv;
	struct smdp *s = r->s;
	struct es_msg *m = talloc_zero(fi, struct es_msg);
	const struct es_fes *in = NULL;
	struct es_fes *out;
	bool ok = false;
	int rc = 0;

	if (!m)
		goto end;
	m->id = (enum es_msg_id)(r->es2_req + 1); /* ES_ID_FUNC: the response follows its request */
	out = smdp_es2_resp_fes(m);
	if (a && a->rc == 0 && a->resp && !a->resp->is_fault && a->resp->id == es3_resp)
		in = es3_resp_fes(a->resp);
	if (!in || !in->present || !in->status) {
		smdp_fes_set(out, ES_STATUS_FAILED, "1.6", "5.4",
			     a ? "no usable answer from the SM-SR" : "no answer from the SM-SR (timeout)");
	} else {
		const struct es_status_code_data *c = &in->status_code_data;
		ok = in->status == ES_STATUS_EXECUTED_SUCCESS || in->status == ES_STATUS_EXECUTED_WITHWARNING;
		smdp_fes_set(out, in->status, c->present ? known_code(es_subject_codes, c->subject) : NULL,
			     c->present ? known_code(es_reason_codes, c->reason) : NULL, NULL);
	}
	if (ok) {
		switch (r->es2_req) {
		case ES_MSG_ES2_GET_EIS_REQ:
			m->u.es2_get_eis_resp.eis = a->resp->u.es3_get_eis_resp.eis; /* valid during this call */
			break;
		case ES_MSG_ES2_UPDATE_POLICY_RULES_REQ: {
			uint32_t bits = 0;
			for (unsigned int i = 0; i < r->pol2.n_rule && i < ARRAY_SIZE(r->pol2.rule); i++)
				if (r->pol2.rule[i].action && r->pol2.rule[i].qualification)
					bits |= SMDP_POL2_BIT(r->pol2.rule[i].action, r->pol2.rule[i].qualification);
			rc = smdp_store_profile_set_pol2(s->store, r->iccid, bits & SMDP_POL2_MASK);
			break;
		}
		case ES_MSG_ES2_UPDATE_SUBSCRIPTION_ADDRESS_REQ:
			rc = smdp_store_profile_set_msisdn(s->store, r->iccid, r->msisdn);
			break;
		case ES_MSG_ES2_ENABLE_PROFILE_REQ:
			rc = smdp_store_profile_set_state(s->store, r->iccid, r->eid_str,
							  (1u << SMDP_PROFILE_DOWNLOADED) |
								  (1u << SMDP_PROFILE_DISABLED) |
								  (1u << SMDP_PROFILE_ENABLED),
							  SMDP_PROFILE_ENABLED);
			break;
		case ES_MSG_ES2_DISABLE_PROFILE_REQ:
			rc = smdp_store_profile_set_state(s->store, r->iccid, r->eid_str,
							  (1u << SMDP_PROFILE_ENABLED) | (1u << SMDP_PROFILE_DISABLED) |
								  (1u << SMDP_PROFILE_DOWNLOADED),
							  SMDP_PROFILE_DISABLED);
			break;
		case ES_MSG_ES2_DELETE_PROFILE_REQ:
			rc = smdp_store_profile_set_state(s->store, r->iccid, r->eid_str,
							  (1u << SMDP_PROFILE_DOWNLOADED) |
								  (1u << SMDP_PROFILE_DISABLED) |
								  (1u << SMDP_PROFILE_ENABLED),
							  SMDP_PROFILE_DELETED);
			break;
		default: break;
		}
		if (rc < 0)
			LOGPFSML(fi, LOGL_ERROR, "store not updated after the SM-SR's success: %d\n", rc);
	}
	if (s->ops.es2_respond)
		s->ops.es2_respond(s, r->mno_ref, m);
	if (r->keyed)
		smdp_es2_call_end(s, &r->key, m, false);
end:
	talloc_free(m);
	osmo_fsm_inst_term(fi, OSMO_FSM_TERM_REGULAR, NULL);
}

static enum es_msg_id es3_for(enum es_msg_id es2_req)
{
	switch (es2_req) {
	case ES_MSG_ES2_GET_EIS_REQ: return ES_MSG_ES3_GET_EIS_REQ;
	case ES_MSG_ES2_UPDATE_POLICY_RULES_REQ: return ES_MSG_ES3_UPDATE_POLICY_RULES_REQ;
	case ES_MSG_ES2_UPDATE_SUBSCRIPTION_ADDRESS_REQ: return ES_MSG_ES3_UPDATE_SUBSCRIPTION_ADDRESS_REQ;
	case ES_MSG_ES2_ENABLE_PROFILE_REQ: return ES_MSG_ES3_ENABLE_PROFILE_REQ;
	case ES_MSG_ES2_DISABLE_PROFILE_REQ: return ES_MSG_ES3_DISABLE_PROFILE_REQ;
	case ES_MSG_ES2_DELETE_PROFILE_REQ: return ES_MSG_ES3_DELETE_ISDP_REQ;
	default: return ES_MSG_NONE;
	}
}

static void relay_action(struct osmo_fsm_inst *fi, uint32_t event, void *data)
{
	struct smdp_relay *r = fi->priv;

	smdp_calls_forget(r->s, fi);
	if (r->es2_req == ES_MSG_NONE) {
		audit_answer(fi, data);
		return;
	}
	relay_answer(fi, data, (enum es_msg_id)(es3_for(r->es2_req) + 1));
}

static int relay_timer_cb(struct osmo_fsm_inst *fi)
{
	struct smdp_relay *r = fi->priv;

	smdp_calls_forget(r->s, fi);
	if (r->es2_req == ES_MSG_NONE)
		audit_answer(fi, NULL);
	else
		relay_answer(fi, NULL, ES_MSG_NONE);
	return 0;
}

static void relay_cleanup(struct osmo_fsm_inst *fi, enum osmo_fsm_term_cause cause)
{
	struct smdp_relay *r = fi->priv;

	smdp_calls_forget(r->s, fi);
}

static const struct value_string relay_event_names[] = { { SMDP_EV_ES3_RX, "ES3_RX" }, { 0, NULL } };

static const struct osmo_fsm_state relay_states[] = {
	[RELAY_ST_WAIT_ES3] = { .name = "WAIT_ES3",
				.in_event_mask = S(SMDP_EV_ES3_RX),
				.out_state_mask = S(RELAY_ST_WAIT_ES3),
				.action = relay_action },
};

struct osmo_fsm smdp_relay_fsm = {
	.name = "smdp_relay",
	.states = relay_states,
	.num_states = ARRAY_SIZE(relay_states),
	.event_names = relay_event_names,
	.timer_cb = relay_timer_cb,
	.cleanup = relay_cleanup,
	.log_subsys = DES2,
};

/* The EID and ICCID of an ES2 request (ICCID NULL for GetEIS). */
static void es2_ids(const struct es_msg *req, const struct es_hex **eid, const char **iccid)
{
	*iccid = NULL;
	switch (req->id) {
	case ES_MSG_ES2_GET_EIS_REQ: *eid = &req->u.es2_get_eis_req.eid; break;
	case ES_MSG_ES2_UPDATE_POLICY_RULES_REQ:
		*eid = &req->u.es2_update_policy_rules_req.eid;
		*iccid = req->u.es2_update_policy_rules_req.iccid;
		break;
	case ES_MSG_ES2_UPDATE_SUBSCRIPTION_ADDRESS_REQ:
		*eid = &req->u.es2_update_subscription_address_req.eid;
		*iccid = req->u.es2_update_subscription_address_req.iccid;
		break;
	case ES_MSG_ES2_ENABLE_PROFILE_REQ:
		*eid = &req->u.es2_enable_profile_req.eid;
		*iccid = req->u.es2_enable_profile_req.iccid;
		break;
	case ES_MSG_ES2_DISABLE_PROFILE_REQ:
		*eid = &req->u.es2_disable_profile_req.eid;
		*iccid = req->u.es2_disable_profile_req.iccid;
		break;
	case ES_MSG_ES2_DELETE_PROFILE_REQ:
		*eid = &req->u.es2_delete_profile_req.eid;
		*iccid = req->u.es2_delete_profile_req.iccid;
		break;
	default: *eid = NULL; break;
	}
}

int smdp_relay_start(struct smdp *s, const struct smdp_smsr_peer *peer, const struct es_msg *req, const char *mno_ref)
{
	struct osmo_fsm_inst *fi;
	struct smdp_relay *r;
	struct es_msg *m;
	const struct es_hex *eid;
	const char *iccid;
	enum es_msg_id id = es3_for(req->id);
	int rc;

	es2_ids(req, &eid, &iccid);
	if (id == ES_MSG_NONE || !eid || !eid->data || eid->len != 16 || (id != ES_MSG_ES3_GET_EIS_REQ && !iccid))
		return -EINVAL;
	fi = osmo_fsm_inst_alloc(&smdp_relay_fsm, s, NULL, LOGL_INFO, NULL);
	if (!fi)
		return -ENOMEM;
	r = talloc_zero(fi, struct smdp_relay);
	m = talloc_zero(fi, struct es_msg);
	if (!r || !m) {
		osmo_fsm_inst_term(fi, OSMO_FSM_TERM_ERROR, NULL);
		return -ENOMEM;
	}
	fi->priv = r;
	r->s = s;
	r->es2_req = req->id;
	r->keyed = s->es2_cur != NULL;
	if (r->keyed)
		r->key = *s->es2_cur;
	osmo_strlcpy(r->mno_ref, mno_ref ? mno_ref : "", sizeof(r->mno_ref));
	memcpy(r->eid, eid->data, 16);
	smdp_eid_to_str(eid, r->eid_str);
	osmo_strlcpy(r->iccid, iccid ? iccid : "", sizeof(r->iccid));
	m->id = id;
	switch (id) {
	case ES_MSG_ES3_GET_EIS_REQ:
		m->u.es3_get_eis_req.present = true;
		m->u.es3_get_eis_req.eid = (struct es_hex){ r->eid, 16 };
		break;
	case ES_MSG_ES3_UPDATE_POLICY_RULES_REQ:
		r->pol2 = req->u.es2_update_policy_rules_req.pol2;
		m->u.es3_update_policy_rules_req.present = true;
		m->u.es3_update_policy_rules_req.eid = (struct es_hex){ r->eid, 16 };
		m->u.es3_update_policy_rules_req.iccid = r->iccid;
		m->u.es3_update_policy_rules_req.pol2 = r->pol2;
		break;
	case ES_MSG_ES3_UPDATE_SUBSCRIPTION_ADDRESS_REQ: {
		const struct es_subscription_address *sa =
			&req->u.es2_update_subscription_address_req.new_subscription_address;
		osmo_strlcpy(r->imsi, sa->imsi ? sa->imsi : "", sizeof(r->imsi));
		osmo_strlcpy(r->msisdn, sa->msisdn ? sa->msisdn : "", sizeof(r->msisdn));
		m->u.es3_update_subscription_address_req.present = true;
		m->u.es3_update_subscription_address_req.eid = (struct es_hex){ r->eid, 16 };
		m->u.es3_update_subscription_address_req.iccid = r->iccid;
		m->u.es3_update_subscription_address_req.new_subscription_address.present = true;
		m->u.es3_update_subscription_address_req.new_subscription_address.imsi = r->imsi[0] ? r->imsi : NULL;
		m->u.es3_update_subscription_address_req.new_subscription_address.msisdn = r->msisdn[0] ? r->msisdn
													: NULL;
		break;
	}
	case ES_MSG_ES3_ENABLE_PROFILE_REQ:
		m->u.es3_enable_profile_req.present = true;
		m->u.es3_enable_profile_req.eid = (struct es_hex){ r->eid, 16 };
		m->u.es3_enable_profile_req.iccid = r->iccid;
		break;
	case ES_MSG_ES3_DISABLE_PROFILE_REQ:
		m->u.es3_disable_profile_req.present = true;
		m->u.es3_disable_profile_req.eid = (struct es_hex){ r->eid, 16 };
		m->u.es3_disable_profile_req.iccid = r->iccid;
		break;
	default: /* ES_MSG_ES3_DELETE_ISDP_REQ */
		m->u.es3_delete_isdp_req.present = true;
		m->u.es3_delete_isdp_req.eid = (struct es_hex){ r->eid, 16 };
		m->u.es3_delete_isdp_req.iccid = r->iccid;
		break;
	}
	osmo_fsm_inst_state_chg(fi, RELAY_ST_WAIT_ES3, osmo_tdef_get(s->cfg->tdefs, SMDP_T_RELAY, OSMO_TDEF_S, 300),
				SMDP_T_RELAY);
	rate_ctr_inc(rate_ctr_group_get_ctr(s->ctrs, SMDP_CTR_RELAY));
	rc = smdp_es3_send(s, fi, peer, m);
	talloc_free(m);
	if (rc < 0) {
		osmo_fsm_inst_term(fi, OSMO_FSM_TERM_ERROR, NULL);
		return rc;
	}
	return 0;
}

int smdp_audit_eis(struct smdp *s, const struct smdp_smsr_peer *peer, const uint8_t eid[16], const char *const *iccids,
		   unsigned int n_iccid, smdp_audit_cb cb, void *priv)
{
	struct osmo_fsm_inst *fi;
	struct smdp_relay *r;
	struct es_msg *m;
	struct es3_audit_eis_req *q;
	int rc;

	if (!s || !peer || !eid || n_iccid > ARRAY_SIZE(q->iccid) || (n_iccid && !iccids))
		return -EINVAL;
	for (unsigned int i = 0; i < n_iccid; i++)
		if (!iccids[i] || !iccids[i][0] || strlen(iccids[i]) > SMDP_ICCID_MAX)
			return -EINVAL;
	fi = osmo_fsm_inst_alloc(&smdp_relay_fsm, s, NULL, LOGL_INFO, NULL);
	if (!fi)
		return -ENOMEM;
	r = talloc_zero(fi, struct smdp_relay);
	m = talloc_zero(fi, struct es_msg);
	if (!r || !m) {
		osmo_fsm_inst_term(fi, OSMO_FSM_TERM_ERROR, NULL);
		return -ENOMEM;
	}
	fi->priv = r;
	r->s = s;
	r->es2_req = ES_MSG_NONE;
	r->audit_cb = cb;
	r->audit_priv = priv;
	memcpy(r->eid, eid, 16);
	smdp_eid_to_str(&(struct es_hex){ r->eid, 16 }, r->eid_str);
	m->id = ES_MSG_ES3_AUDIT_EIS_REQ;
	q = &m->u.es3_audit_eis_req;
	q->present = true;
	q->eid = (struct es_hex){ r->eid, 16 };
	for (unsigned int i = 0; i < n_iccid; i++)
		q->iccid[i] = iccids[i];
	q->n_iccid = n_iccid;
	osmo_fsm_inst_state_chg(fi, RELAY_ST_WAIT_ES3, osmo_tdef_get(s->cfg->tdefs, SMDP_T_RELAY, OSMO_TDEF_S, 300),
				SMDP_T_RELAY);
	rc = smdp_es3_send(s, fi, peer, m);
	talloc_free(m);
	if (rc < 0) {
		osmo_fsm_inst_term(fi, OSMO_FSM_TERM_ERROR, NULL);
		return rc;
	}
	return 0;
}
