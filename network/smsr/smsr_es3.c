/* SM-SR profile-download functions: SendData relay, ProfileDownloadCompleted, Update*, AuditEIS,
 * UpdateConnectivityParameters (see smsr_es3.h). */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <osmocom/core/fsm.h>
#include <osmocom/core/linuxlist.h>
#include <osmocom/core/utils.h>
#include <talloc.h>

#include "lib/es5/es5.h"
#include "lib/ids/ids.h"
#include "lib/rscript/rscript.h"
#include "network/smsr/smsr_ctr.h"
#include "network/smsr/smsr_es3.h"
#include "network/smsr/smsr_log.h"
#include "network/smsr/smsr_ota.h"

struct osmo_tdef smsr_es3_tdefs[] = { { .T = SMSR_T_RELAY,
					.default_val = 300,
					.unit = OSMO_TDEF_S,
					.min_val = 1,
					.max_val = 86400,
					.desc = "ES3 relay (SendData, AuditEIS, UpdateConnectivityParameters): wait "
						"for the ES5 result" },
				      {} };

const struct value_string smsr_ucp_coding_names[] = {
	{ SMSR_UCP_SCRIPT, "script" },
	{ SMSR_UCP_CAPDU, "c-apdu" },
	{ 0, NULL },
};

#define AUDIT_CAPABILITY_AUDIT 0x0500 /* digest §4.1 OperationType eUICCCapabilityAudit */
#define RSP_MAX		       65536  /* cap on one relayed response script */
#define SCRIPT_ITEMS_MAX       64     /* items in one relayed command script */
#define PROFILES_MAX	       8

/* ISD-R AID (SGP.02 Annex H; digest §4.2). */
static const uint8_t isdr_aid[16] = { 0xA0, 0x00, 0x00, 0x05, 0x59, 0x10, 0x10, 0xFF,
				      0xFF, 0xFF, 0xFF, 0x89, 0x00, 0x00, 0x01, 0x00 };

struct smsr_es3 {
	struct smsr *sr;
	struct smsr_store *store;
	struct smsr_es3_cfg cfg;
	struct smsr_relay_ops ops;
	void *tp;
	struct osmo_tdef *tdefs;
	struct llist_head procs;
	uint32_t next_op;
	struct smsr_es3_stats stats;
};

/* ---- status ---------------------------------------------------------------------------------------- */

struct status {
	enum es_status status;
	const char *subject, *reason, *message;
};

/* digest §6.5 subject/reason pairs */
static const struct status ST_OK = { .status = ES_STATUS_EXECUTED_SUCCESS };
static const struct status ST_EID_UNKNOWN = { ES_STATUS_FAILED, "8.1.1", "1.1", "eUICC unknown to the SM-SR" };
static const struct status ST_ICCID_UNKNOWN = { ES_STATUS_FAILED, "8.2.1", "1.1", "ICCID unknown" };
static const struct status ST_ICCID_OTHER = { ES_STATUS_FAILED, "8.2.1", "3.10", "ICCID on another eUICC" };
static const struct status ST_NOT_ALLOWED = { ES_STATUS_FAILED, "8.2.1", "1.2", "caller may not act on this profile" };
static const struct status ST_SD_UNKNOWN = { ES_STATUS_FAILED, "8.2", "1.1", "Sd-aid is no security domain here" };
static const struct status ST_BAD_DATA = { ES_STATUS_FAILED, "1.6", "2.1", "Data is no command script" };
static const struct status ST_BUSY = { ES_STATUS_FAILED, "8.1", "3.3", "an operation is pending on this eUICC" };
static const struct status ST_STATE = { ES_STATUS_FAILED, "8.2", "3.5", "profile not in a state that allows this" };
static const struct status ST_BAD_ADDR = { ES_STATUS_FAILED, "8.2.6", "2.1", "subscription address invalid" };
static const struct status ST_BAD_POL2 = { ES_STATUS_FAILED, "8.2.3", "2.1", "POL2 invalid" };
static const struct status ST_EXEC = { ES_STATUS_FAILED, "8.4", "4.2",
				       "error during execution of the command on the eUICC" };
static const struct status ST_NO_RESPONSE = { ES_STATUS_FAILED, "1.6", "5.1", "delivered with no response" };
static const struct status ST_INTERNAL = { ES_STATUS_FAILED, "1.2", "4.2", "SM-SR internal error" };

/* Every response struct starts with ES_BASE_RESP (common initial sequence, C11 6.5.2.3p6). */
#define BASE_RESP(m) (&(m)->u.es1_register_eis_resp)

static void resp_status(struct es_msg *r, const struct status *s)
{
	struct es_fes *fes = &BASE_RESP(r)->function_execution_status;

	fes->present = true;
	fes->status = s->status;
	if (s->status != ES_STATUS_EXECUTED_SUCCESS) {
		/* digest §6.4: StatusCodeData only when not successful */
		fes->status_code_data.present = true;
		fes->status_code_data.subject = s->subject;
		fes->status_code_data.reason = s->reason;
		fes->status_code_data.message = s->message;
	}
}

static int reply_now(const struct smsr_reply *reply, enum es_msg_id req_id, const struct status *s, int rc)
{
	struct es_msg *r = talloc_zero(NULL, struct es_msg);

	if (!r)
		return -ENOMEM;
	r->id = req_id + 1;
	resp_status(r, s);
	smsr_ctr_es_answer(r);
	reply->respond(reply->handle, r);
	talloc_free(r);
	return rc;
}

/* ---- the relay procedure --------------------------------------------------------------------------- */

enum rproc_state {
	RPROC_ST_INIT,
	RPROC_ST_WAIT_RELAY, /* the script is with the ES5 transport (digest §3.2 step 7/8, §3.3 13-15) */
	RPROC_ST_DONE,
};

enum rproc_event {
	RPROC_EV_RESULT,
};

static const struct value_string rproc_event_names[] = { { RPROC_EV_RESULT, "RESULT" }, { 0, NULL } };

struct rproc {
	struct llist_head entry;
	struct smsr_es3 *e;
	struct osmo_fsm_inst *fi;
	enum es_msg_id req_id;
	struct smsr_reply reply;
	bool answered;
	uint32_t op;
	char eid[SMSR_EID_HEX_MAX];
	const char *iccids[PROFILES_MAX]; /* AuditEIS: the ICCIDs asked for (talloc copies), none = all */
	unsigned int n_iccids;
};

struct relay_result {
	int rc;
	const uint8_t *rsp;
	size_t len;
};

static struct osmo_fsm rproc_fsm;

static void audit(struct smsr_es3 *e, const char *eid, uint16_t type, const char *requester, enum es_status st)
{
	struct smsr_audit_row a = { .op_type = type, .status = st };

	snprintf(a.eid, sizeof(a.eid), "%s", eid);
	snprintf(a.requester, sizeof(a.requester), "%s", requester ? requester : "");
	if (smsr_store_audit_add(e->store, &a) < 0)
		LOGP(DSTORE, LOGL_ERROR, "EID-%s: audit record not stored: %s\n", eid, smsr_store_last_error(e->store));
}

/* Answer with status s and, for the EuiccResponseData responses, data. */
static void rproc_answer(struct rproc *p, const struct status *s, const uint8_t *data, size_t len)
{
	struct es_msg *r;

	if (p->answered)
		return;
	p->answered = true;
	if (s->status == ES_STATUS_EXECUTED_SUCCESS)
		p->e->stats.relay_ok++;
	else
		p->e->stats.relay_failed++;
	r = talloc_zero(p, struct es_msg);
	if (!r)
		return;
	r->id = p->req_id + 1;
	resp_status(r, s);
	if (data && len) {
		if (p->req_id == ES_MSG_ES3_SEND_DATA_REQ)
			r->u.es3_send_data_resp.euicc_response_data = (struct es_hex){ data, len };
		else if (p->req_id == ES_MSG_ES3_UPDATE_CONNECTIVITY_PARAMETERS_REQ)
			r->u.es3_update_connectivity_parameters_resp.euicc_response_data = (struct es_hex){ data, len };
	}
	smsr_ctr_es_answer(r);
	p->reply.respond(p->reply.handle, r);
	talloc_free(r);
}

static bool iccid_asked(const struct rproc *p, const char *iccid)
{
	if (!p->n_iccids)
		return true;
	for (unsigned int i = 0; i < p->n_iccids; i++)
		if (iccid && !strcmp(p->iccids[i], iccid))
			return true;
	return false;
}

/* GET STATUS answered: bring the store in line, then answer with the EIS (like GetEIS). */
static void audit_done(struct rproc *p, const uint8_t *rsp, size_t len)
{
	struct smsr_es3 *e = p->e;
	struct rscript_rsp_item items[16];
	const struct rscript_rsp_item *last = NULL;
	struct es5_isdp_status recs[ES5_MAX_GET_STATUS];
	struct smsr_profile_row *pr;
	struct es_msg *r;
	struct es_eis *eis;
	size_t n = 0, nrec = 0, np = 0;
	bool complete;
	int rc = rscript_rsp_decode(rsp, len, items, ARRAY_SIZE(items), &n);

	for (size_t i = 0; rc >= 0 && i < n && i < ARRAY_SIZE(items); i++)
		if (items[i].kind == RSCRIPT_RSP_RAPDU)
			last = &items[i];
	/* GP 2.3 §11.4.3: 6310 = more data (a second GET STATUS would be needed: not sent) */
	if (!last || (last->sw != 0x9000 && last->sw != 0x6310) ||
	    es5_get_status_resp_parse(last->data, last->data_len, recs, ARRAY_SIZE(recs), &nrec) < 0) {
		LOGPFSML(p->fi, LOGL_NOTICE, "GET STATUS answer unusable (%s)\n",
			 !last					    ? "no R-APDU"
			 : last->sw != 0x9000 && last->sw != 0x6310 ? "status word"
								    : "malformed");
		audit(e, p->eid, AUDIT_CAPABILITY_AUDIT, p->reply.requester, ES_STATUS_FAILED);
		rproc_answer(p, &ST_EXEC, NULL, 0);
		return;
	}
	complete = last->sw == 0x9000 && nrec <= ARRAY_SIZE(recs);
	pr = talloc_array(p, struct smsr_profile_row, PROFILES_MAX);
	if (!pr || smsr_store_profile_list(e->store, p->eid, pr, PROFILES_MAX, &np) < 0 ||
	    smsr_store_begin(e->store) < 0) {
		rproc_answer(p, &ST_INTERNAL, NULL, 0);
		return;
	}
	rc = 0;
	for (size_t i = 0; i < np && i < PROFILES_MAX && rc == 0; i++) {
		const struct es5_isdp_status *found = NULL;
		enum es_profile_state st;

		for (size_t k = 0; k < nrec && k < ARRAY_SIZE(recs); k++)
			if (recs[k].aid.len == pr[i].isdp_aid_len &&
			    !memcmp(recs[k].aid.buf, pr[i].isdp_aid, pr[i].isdp_aid_len))
				found = &recs[k];
		if (!found) {
			/* an ISD-P the card no longer has (e.g. deleted by POL1); "in creation" ones may not
			 * exist yet. Only a complete answer can say that something is missing. */
			if (complete && pr[i].state) {
				LOGPFSML(p->fi, LOGL_NOTICE, "ICCID %s: ISD-P not on the card: removed from the EIS\n",
					 pr[i].iccid);
				rc = smsr_store_profile_delete(e->store, pr[i].iccid);
			}
			continue;
		}
		/* digest §4.2 life-cycle values */
		st = found->lcs == ES5_ISDP_ENABLED    ? ES_PROFILE_STATE_ENABLED
		     : found->lcs == ES5_ISDP_DISABLED ? ES_PROFILE_STATE_DISABLED
		     : found->lcs == ES5_ISDP_SELECTABLE || found->lcs == ES5_ISDP_PERSONALIZED
			     ? ES_PROFILE_STATE_CREATED
			     : pr[i].state;
		if (pr[i].state && st != pr[i].state) {
			LOGPFSML(p->fi, LOGL_NOTICE, "ICCID %s: EIS said %s, the card says %s\n", pr[i].iccid,
				 get_value_string(es_profile_state_names, pr[i].state),
				 get_value_string(es_profile_state_names, st));
			rc = smsr_store_profile_set_state(e->store, pr[i].iccid, st);
		}
	}
	for (size_t k = 0; k < nrec && k < ARRAY_SIZE(recs); k++) {
		bool known = false;

		for (size_t i = 0; i < np && i < PROFILES_MAX; i++)
			known |= recs[k].aid.len == pr[i].isdp_aid_len &&
				 !memcmp(recs[k].aid.buf, pr[i].isdp_aid, pr[i].isdp_aid_len);
		if (!known)
			LOGPFSML(p->fi, LOGL_NOTICE, "the card has an ISD-P unknown to the EIS (%s), not added\n",
				 osmo_hexdump_nospc(recs[k].aid.buf, recs[k].aid.len));
	}
	if (rc == 0)
		rc = smsr_store_commit(e->store);
	else
		smsr_store_rollback(e->store);
	if (rc < 0) {
		rproc_answer(p, &ST_INTERNAL, NULL, 0);
		return;
	}
	audit(e, p->eid, AUDIT_CAPABILITY_AUDIT, p->reply.requester, ES_STATUS_EXECUTED_SUCCESS);
	e->stats.audits++;
	r = talloc_zero(p, struct es_msg);
	if (!r) {
		rproc_answer(p, &ST_INTERNAL, NULL, 0);
		return;
	}
	r->id = p->req_id + 1;
	/* ES3/ES4 AuditEIS responses are ES_RESP_EIS, like GetEIS */
	eis = p->req_id == ES_MSG_ES3_AUDIT_EIS_REQ ? &r->u.es3_audit_eis_resp.eis : &r->u.es4_audit_eis_resp.eis;
	if (smsr_eis_build(e->sr, r, p->eid, eis) < 0) {
		talloc_free(r);
		rproc_answer(p, &ST_INTERNAL, NULL, 0);
		return;
	}
	eis->present = true;
	{
		unsigned int k = 0;

		for (unsigned int i = 0; i < eis->n_profile_info; i++) {
			const struct es_profile_info *pi = &eis->profile_info[i];

			if (!iccid_asked(p, pi->iccid))
				continue;
			/* Annex E [I]: an MNO sees its own profiles only (as ES4 GetEIS) */
			if (p->req_id == ES_MSG_ES4_AUDIT_EIS_REQ &&
			    (!pi->mno_id || !p->reply.requester || strcmp(pi->mno_id, p->reply.requester)))
				continue;
			eis->profile_info[k++] = *pi;
		}
		eis->n_profile_info = k;
	}
	resp_status(r, &ST_OK);
	p->answered = true;
	e->stats.relay_ok++;
	smsr_ctr_es_answer(r);
	p->reply.respond(p->reply.handle, r);
	talloc_free(r);
}

static void st_wait_relay(struct osmo_fsm_inst *fi, uint32_t event, void *data)
{
	struct rproc *p = fi->priv;
	const struct relay_result *res = data;

	if (res->rc < 0) {
		LOGPFSML(fi, LOGL_NOTICE, "ES5 relay failed: %d\n", res->rc);
		if (p->req_id == ES_MSG_ES3_AUDIT_EIS_REQ || p->req_id == ES_MSG_ES4_AUDIT_EIS_REQ)
			audit(p->e, p->eid, AUDIT_CAPABILITY_AUDIT, p->reply.requester, ES_STATUS_FAILED);
		/* -EPROTO: the card answered but refused (PoR status, script error); else nothing came */
		rproc_answer(p, res->rc == -EPROTO ? &ST_EXEC : &ST_NO_RESPONSE, NULL, 0);
	} else if (p->req_id == ES_MSG_ES3_AUDIT_EIS_REQ || p->req_id == ES_MSG_ES4_AUDIT_EIS_REQ) {
		audit_done(p, res->rsp, res->len);
	} else {
		/* SendData: the eUICC's response script as it came (the SM-DP judges its content; the SM-DP
		 * README: EuiccResponseData = the expanded response script AB/AF) */
		size_t n = 0;
		struct rscript_rsp_item items[SCRIPT_ITEMS_MAX];

		if (res->len && rscript_rsp_decode(res->rsp, res->len, items, ARRAY_SIZE(items), &n) != (int)res->len)
			LOGPFSML(fi, LOGL_NOTICE,
				 "the eUICC's answer (%zu octets) is no response script: relayed as is\n", res->len);
		rproc_answer(p, &ST_OK, res->rsp, res->len);
	}
	osmo_fsm_inst_state_chg(fi, RPROC_ST_DONE, 0, 0);
	osmo_fsm_inst_term(fi, OSMO_FSM_TERM_REGULAR, NULL);
}

static int rproc_timer_cb(struct osmo_fsm_inst *fi)
{
	struct rproc *p = fi->priv;

	p->e->stats.relay_expired++;
	rproc_answer(p, &ST_NO_RESPONSE, NULL, 0);
	return 1; /* terminate */
}

static void rproc_cleanup(struct osmo_fsm_inst *fi, enum osmo_fsm_term_cause cause)
{
	struct rproc *p = fi->priv;

	rproc_answer(p, &ST_INTERNAL, NULL, 0); /* never leave a requester waiting (no-op if answered) */
	llist_del(&p->entry);
}

#define S(x) (1 << (x))
static const struct osmo_fsm_state rproc_states[] = {
	[RPROC_ST_INIT] = {
		.name = "INIT",
		.out_state_mask = S(RPROC_ST_WAIT_RELAY) | S(RPROC_ST_DONE),
	},
	[RPROC_ST_WAIT_RELAY] = {
		.name = "WAIT_RELAY",
		.in_event_mask = S(RPROC_EV_RESULT),
		.out_state_mask = S(RPROC_ST_DONE),
		.action = st_wait_relay,
	},
	[RPROC_ST_DONE] = {
		.name = "DONE",
	},
};

static struct osmo_fsm rproc_fsm = {
	.name = "smsr_es3",
	.states = rproc_states,
	.num_states = ARRAY_SIZE(rproc_states),
	.timer_cb = rproc_timer_cb,
	.cleanup = rproc_cleanup,
	.event_names = rproc_event_names,
	.log_subsys = DES3,
};

static __attribute__((constructor)) void rproc_fsm_register(void)
{
	OSMO_ASSERT(osmo_fsm_register(&rproc_fsm) == 0);
}

static struct rproc *rproc_alloc(struct smsr_es3 *e, const struct es_msg *req, const struct smsr_reply *reply,
				 const char *eid)
{
	struct osmo_fsm_inst *fi;
	struct rproc *p;
	char id[128];

	snprintf(id, sizeof(id), "%s:EID-%s", es_msgs[req->id].name, eid);
	for (char *c = id; *c; c++)
		if (*c == '.' || *c == ' ')
			*c = '_';
	fi = osmo_fsm_inst_alloc(&rproc_fsm, e, NULL, LOGL_INFO, id);
	if (!fi)
		return NULL;
	p = talloc_zero(fi, struct rproc);
	if (!p) {
		osmo_fsm_inst_free(fi);
		return NULL;
	}
	fi->priv = p;
	p->fi = fi;
	p->e = e;
	p->req_id = req->id;
	p->reply = *reply;
	p->reply.requester = talloc_strdup(p, reply->requester ? reply->requester : "");
	p->op = 0x80000000u | (++e->next_op & 0x7FFFFFFFu);
	snprintf(p->eid, sizeof(p->eid), "%s", eid);
	llist_add_tail(&p->entry, &e->procs);
	e->stats.relays++;
	return p;
}

/* Start: WAIT_RELAY with X22, hand the script to the transport. */
static int rproc_start(struct rproc *p, const uint8_t *aid, size_t aid_len, const uint8_t *script, size_t len,
		       bool more)
{
	struct smsr_es3 *e = p->e;
	int rc;

	osmo_fsm_inst_state_chg(p->fi, RPROC_ST_WAIT_RELAY,
				(int)osmo_tdef_get(e->tdefs, SMSR_T_RELAY, OSMO_TDEF_S, 300), SMSR_T_RELAY);
	rc = e->ops.send ? e->ops.send(e->tp, p->eid, p->op, aid, aid_len, script, len, more) : -ENOTCONN;
	if (rc < 0) {
		LOGPFSML(p->fi, LOGL_ERROR, "ES5 relay send failed: %d\n", rc);
		/* a transport that refuses reports nothing later */
		osmo_fsm_inst_dispatch(p->fi, RPROC_EV_RESULT, &(struct relay_result){ .rc = -ENOTCONN });
	}
	return 0;
}

/* ---- request checks ---------------------------------------------------------------------------------- */

static int eid_of(const struct es_hex *h, char *out, size_t cap)
{
	if (!h->data || h->len == 0 || h->len > 32)
		return -EINVAL;
	return smsr_eid_to_hex(h->data, h->len, out, cap) < 0 ? -EINVAL : 0;
}

static bool busy(struct smsr_es3 *e, const char *eid)
{
	struct rproc *p;

	llist_for_each_entry (p, &e->procs, entry)
		if (!strcmp(p->eid, eid))
			return true;
	return e->sr && smsr_eid_busy(e->sr, eid);
}

/* The EIS must be ours and active. 0, or answered and a negative errno. */
static int check_eid(struct smsr_es3 *e, const struct es_msg *req, const struct es_hex *eidh,
		     const struct smsr_reply *reply, char *eid)
{
	struct smsr_eis_row row;

	if (eid_of(eidh, eid, SMSR_EID_HEX_MAX) < 0 || smsr_store_eis_get(e->store, eid, &row) < 0 ||
	    row.state != SMSR_EIS_ACTIVE)
		return reply_now(reply, req->id, &ST_EID_UNKNOWN, -ENOENT);
	return 0;
}

/* The profile iccid must be on eid; ES4 callers must own it. */
static int check_profile(struct smsr_es3 *e, const struct es_msg *req, const char *eid, const char *iccid,
			 const struct smsr_reply *reply, struct smsr_profile_row *prof)
{
	if (!iccid || smsr_store_profile_get(e->store, iccid, prof) < 0)
		return reply_now(reply, req->id, &ST_ICCID_UNKNOWN, -ENOENT);
	if (strcmp(prof->eid, eid))
		return reply_now(reply, req->id, &ST_ICCID_OTHER, -EINVAL);
	if (es_msgs[req->id].iface == 4 && (!reply->requester || strcmp(reply->requester, prof->mno_id)))
		return reply_now(reply, req->id, &ST_NOT_ALLOWED, -EPERM);
	return 0;
}

static int pol2_put(struct smsr_profile_row *prof, const struct es_pol2 *pol2)
{
	size_t n = 0;

	if (pol2 && pol2->present) {
		if (pol2->n_rule > SMSR_POL2_MAX / 3)
			return -EMSGSIZE;
		for (unsigned int i = 0; i < pol2->n_rule; i++) {
			const struct es_pol2_rule *r = &pol2->rule[i];

			if (!r->subject || !r->action || !r->qualification)
				return -EINVAL;
			prof->pol2[n++] = (uint8_t)r->subject;
			prof->pol2[n++] = (uint8_t)r->action;
			prof->pol2[n++] = (uint8_t)r->qualification;
		}
	}
	prof->pol2_len = n;
	return 0;
}

static bool digits(const char *s, size_t min, size_t max)
{
	size_t n = 0;

	if (s && s[0] == '+')
		s++;
	for (; s && s[n]; n++)
		if (s[n] < '0' || s[n] > '9')
			return false;
	return s && n >= min && n <= max;
}

/* IMSI: 6..15 digits (TS 23.003 §2.2); MSISDN: up to 15 digits (E.164), a leading '+' allowed. */
static int addr_put(struct smsr_profile_row *prof, const struct es_subscription_address *a)
{
	if (!a || !a->present)
		return 0;
	if ((a->imsi && !digits(a->imsi, 6, 15)) || (a->msisdn && !digits(a->msisdn, 1, 15)))
		return -EINVAL;
	if (a->imsi)
		snprintf(prof->imsi, sizeof(prof->imsi), "%s", a->imsi);
	if (a->msisdn)
		snprintf(prof->msisdn, sizeof(prof->msisdn), "%s", a->msisdn);
	return 0;
}

/* ---- the functions ------------------------------------------------------------------------------------- */

static int es_send_data(struct smsr_es3 *e, const struct es_msg *req, const struct smsr_reply *reply)
{
	const struct es3_send_data_req *q = &req->u.es3_send_data_req;
	struct rscript_cmd_item items[SCRIPT_ITEMS_MAX];
	struct smsr_profile_row pr[PROFILES_MAX];
	char eid[SMSR_EID_HEX_MAX];
	bool known = false;
	struct rproc *p;
	size_t n = 0;
	int rc;

	rc = check_eid(e, req, &q->eid, reply, eid);
	if (rc < 0)
		return rc;
	/* Sd-aid: the ISD-R (key establishment, Njiwa's default target) or an ISD-P of this eUICC, also
	 * one still "in creation" (digest §3.2 step 7, §3.3 step 13) */
	if (q->sd_aid.data && q->sd_aid.len == sizeof(isdr_aid) && !memcmp(q->sd_aid.data, isdr_aid, sizeof(isdr_aid)))
		known = true;
	else if (q->sd_aid.data && smsr_store_profile_list(e->store, eid, pr, PROFILES_MAX, &n) == 0)
		for (size_t i = 0; i < n && i < PROFILES_MAX; i++)
			known |= pr[i].isdp_aid_len == q->sd_aid.len &&
				 !memcmp(pr[i].isdp_aid, q->sd_aid.data, q->sd_aid.len);
	if (!known)
		return reply_now(reply, req->id, &ST_SD_UNKNOWN, -ENOENT);
	n = 0;
	rc = q->data.data ? rscript_cmd_decode(q->data.data, q->data.len, items, ARRAY_SIZE(items), &n) : -EINVAL;
	if (rc < 0 || (size_t)rc != q->data.len || n == 0 || n > ARRAY_SIZE(items))
		return reply_now(reply, req->id, &ST_BAD_DATA, -EBADMSG);
	if (busy(e, eid))
		return reply_now(reply, req->id, &ST_BUSY, -EBUSY);
	p = rproc_alloc(e, req, reply, eid);
	if (!p)
		return reply_now(reply, req->id, &ST_INTERNAL, -ENOMEM);
	LOGPFSML(p->fi, LOGL_INFO, "relaying %zu octets (%zu items) to %s, MoreToDo %s\n", q->data.len, n,
		 osmo_hexdump_nospc(q->sd_aid.data, q->sd_aid.len),
		 q->more_to_do.present && q->more_to_do.v ? "true" : "false");
	return rproc_start(p, q->sd_aid.data, q->sd_aid.len, q->data.data, q->data.len,
			   q->more_to_do.present && q->more_to_do.v);
}

static int es_update_connectivity(struct smsr_es3 *e, const struct es_msg *req, const struct smsr_reply *reply)
{
	const struct es3_update_connectivity_parameters_req *q = &req->u.es3_update_connectivity_parameters_req;
	const struct es_hex *cp = &q->connectivity_parameters;
	struct smsr_profile_row prof;
	struct rscript_builder b;
	uint8_t script[1024];
	char eid[SMSR_EID_HEX_MAX];
	const uint8_t *out;
	size_t out_len;
	struct rproc *p;
	int rc;

	rc = check_eid(e, req, &q->eid, reply, eid);
	if (rc < 0)
		return rc;
	rc = check_profile(e, req, eid, q->iccid, reply, &prof);
	if (rc < 0)
		return rc;
	if (!prof.state)
		return reply_now(reply, req->id, &ST_STATE, -EINVAL);
	if (!cp->data || !cp->len)
		return reply_now(reply, req->id, &ST_BAD_DATA, -EBADMSG);
	if (e->cfg.ucp == SMSR_UCP_CAPDU) {
		struct rscript_apdu a;

		if (rscript_apdu_parse(&a, cp->data, cp->len) < 0)
			return reply_now(reply, req->id, &ST_BAD_DATA, -EBADMSG);
		rscript_cmd_begin(&b, script, sizeof(script), RSCRIPT_DEFINITE);
		rscript_cmd_add_apdu(&b, cp->data, cp->len);
		rc = rscript_cmd_finish(&b);
		if (rc < 0)
			return reply_now(reply, req->id, &ST_BAD_DATA, -EBADMSG);
		out = script;
		out_len = (size_t)rc;
	} else {
		struct rscript_cmd_item items[SCRIPT_ITEMS_MAX];
		size_t n = 0;

		rc = rscript_cmd_decode(cp->data, cp->len, items, ARRAY_SIZE(items), &n);
		if (rc < 0 || (size_t)rc != cp->len || n == 0 || n > ARRAY_SIZE(items))
			return reply_now(reply, req->id, &ST_BAD_DATA, -EBADMSG);
		out = cp->data;
		out_len = cp->len;
	}
	if (busy(e, eid))
		return reply_now(reply, req->id, &ST_BUSY, -EBUSY);
	p = rproc_alloc(e, req, reply, eid);
	if (!p)
		return reply_now(reply, req->id, &ST_INTERNAL, -ENOMEM);
	LOGPFSML(p->fi, LOGL_INFO, "ICCID %s: connectivity parameters (%s) to the ISD-P\n", q->iccid,
		 get_value_string(smsr_ucp_coding_names, e->cfg.ucp));
	return rproc_start(p, prof.isdp_aid, prof.isdp_aid_len, out, out_len, false);
}

static int es_audit_eis(struct smsr_es3 *e, const struct es_msg *req, const struct smsr_reply *reply)
{
	/* ES3/ES4 AuditEIS requests share ES_REQ_AUDIT */
	const struct es4_audit_eis_req *q = &req->u.es4_audit_eis_req;
	struct smsr_profile_row prof;
	char eid[SMSR_EID_HEX_MAX];
	uint8_t apdu[32], script[64];
	struct rscript_builder b;
	struct rproc *p;
	int rc, n;

	rc = check_eid(e, req, &q->eid, reply, eid);
	if (rc < 0)
		return rc;
	for (unsigned int i = 0; i < q->n_iccid && i < PROFILES_MAX; i++) {
		rc = check_profile(e, req, eid, q->iccid[i], reply, &prof);
		if (rc < 0)
			return rc;
	}
	if (busy(e, eid))
		return reply_now(reply, req->id, &ST_BUSY, -EBUSY);
	/* eUICCCapabilityAudit (digest §4.4): GET STATUS of all ISD-Ps with their life-cycle state */
	n = es5_get_status_build(apdu, sizeof(apdu), NULL, 0, true);
	if (n < 0)
		return reply_now(reply, req->id, &ST_INTERNAL, n);
	rscript_cmd_begin(&b, script, sizeof(script), RSCRIPT_DEFINITE);
	rscript_cmd_add_apdu(&b, apdu, (size_t)n);
	n = rscript_cmd_finish(&b);
	if (n < 0)
		return reply_now(reply, req->id, &ST_INTERNAL, n);
	p = rproc_alloc(e, req, reply, eid);
	if (!p)
		return reply_now(reply, req->id, &ST_INTERNAL, -ENOMEM);
	for (unsigned int i = 0; i < q->n_iccid && i < PROFILES_MAX; i++)
		p->iccids[p->n_iccids++] = talloc_strdup(p, q->iccid[i]);
	return rproc_start(p, isdr_aid, sizeof(isdr_aid), script, (size_t)n, false);
}

static int es_download_completed(struct smsr_es3 *e, const struct es_msg *req, const struct smsr_reply *reply)
{
	const struct es3_profile_download_completed_req *q = &req->u.es3_profile_download_completed_req;
	struct smsr_profile_row prof;
	char eid[SMSR_EID_HEX_MAX];
	int rc;

	rc = check_eid(e, req, &q->eid, reply, eid);
	if (rc < 0)
		return rc;
	rc = check_profile(e, req, eid, q->iccid, reply, &prof);
	if (rc < 0)
		return rc;
	/* the SM-DP that created the ISD-P completes it */
	if (prof.smdp_id[0] && reply->requester && reply->requester[0] && strcmp(prof.smdp_id, reply->requester))
		return reply_now(reply, req->id, &ST_NOT_ALLOWED, -EPERM);
	/* after CreateISDP (state "in creation" while it runs, Created after), not twice */
	if (prof.state != ES_PROFILE_STATE_CREATED)
		return reply_now(reply, req->id, &ST_STATE, -EINVAL);
	if (busy(e, eid))
		return reply_now(reply, req->id, &ST_BUSY, -EBUSY);
	if (addr_put(&prof, &q->subscription_address) < 0)
		return reply_now(reply, req->id, &ST_BAD_ADDR, -EINVAL);
	if (pol2_put(&prof, &q->pol2) < 0)
		return reply_now(reply, req->id, &ST_BAD_POL2, -EINVAL);
	/* digest §3.3 step 18: Disabled (the ISD-P is DISABLED after PE-End), Smdp-id, POL2, address */
	prof.state = ES_PROFILE_STATE_DISABLED;
	if (reply->requester && reply->requester[0])
		snprintf(prof.smdp_id, sizeof(prof.smdp_id), "%s", reply->requester);
	rc = smsr_store_profile_put(e->store, &prof);
	if (rc < 0)
		return reply_now(reply, req->id, &ST_INTERNAL, rc);
	e->stats.updates++;
	LOGP(DES3, LOGL_INFO, "EID-%s: ICCID %s downloaded (Disabled, SM-DP %s)\n", eid, prof.iccid, prof.smdp_id);
	return reply_now(reply, req->id, &ST_OK, 0);
}

static int es_update_pol2(struct smsr_es3 *e, const struct es_msg *req, const struct smsr_reply *reply)
{
	/* ES3/ES4 UpdatePolicyRules: EID, ICCID, pol2 (ES4: mandatory) in the same places */
	const struct es3_update_policy_rules_req *q = &req->u.es3_update_policy_rules_req;
	const struct es_pol2 *pol2 =
		req->id == ES_MSG_ES3_UPDATE_POLICY_RULES_REQ ? &q->pol2 : &req->u.es4_update_policy_rules_req.pol2;
	struct smsr_profile_row prof;
	char eid[SMSR_EID_HEX_MAX];
	int rc;

	_Static_assert(offsetof(struct es3_update_policy_rules_req, iccid) ==
			       offsetof(struct es4_update_policy_rules_req, iccid),
		       "UpdatePolicyRules layout");
	rc = check_eid(e, req, &q->eid, reply, eid);
	if (rc < 0)
		return rc;
	rc = check_profile(e, req, eid, q->iccid, reply, &prof);
	if (rc < 0)
		return rc;
	if (req->id == ES_MSG_ES4_UPDATE_POLICY_RULES_REQ && !pol2->present)
		return reply_now(reply, req->id, &ST_BAD_POL2, -EINVAL);
	if (pol2_put(&prof, pol2) < 0)
		return reply_now(reply, req->id, &ST_BAD_POL2, -EINVAL);
	rc = smsr_store_profile_put(e->store, &prof);
	if (rc < 0)
		return reply_now(reply, req->id, &ST_INTERNAL, rc);
	e->stats.updates++;
	LOGP(DES3, LOGL_INFO, "EID-%s: ICCID %s: POL2 now %zu rule(s)\n", eid, prof.iccid, prof.pol2_len / 3);
	return reply_now(reply, req->id, &ST_OK, 0);
}

static int es_update_address(struct smsr_es3 *e, const struct es_msg *req, const struct smsr_reply *reply)
{
	/* ES3/ES4 UpdateSubscriptionAddress share ES_REQ_SUBSCRIPTION_ADDRESS */
	const struct es4_update_subscription_address_req *q = &req->u.es4_update_subscription_address_req;
	struct smsr_profile_row prof;
	char eid[SMSR_EID_HEX_MAX];
	int rc;

	rc = check_eid(e, req, &q->eid, reply, eid);
	if (rc < 0)
		return rc;
	rc = check_profile(e, req, eid, q->iccid, reply, &prof);
	if (rc < 0)
		return rc;
	if (!q->new_subscription_address.present ||
	    (!q->new_subscription_address.imsi && !q->new_subscription_address.msisdn) ||
	    addr_put(&prof, &q->new_subscription_address) < 0)
		return reply_now(reply, req->id, &ST_BAD_ADDR, -EINVAL);
	/* one transaction: the profile and, for the enabled profile, the ES5 SMS address of the eUICC */
	rc = smsr_store_begin(e->store);
	if (rc == 0)
		rc = smsr_store_profile_put(e->store, &prof);
	if (rc == 0 && prof.state == ES_PROFILE_STATE_ENABLED && q->new_subscription_address.msisdn)
		rc = smsr_store_eis_set_msisdn(e->store, eid, prof.msisdn);
	if (rc == 0)
		rc = smsr_store_commit(e->store);
	else
		smsr_store_rollback(e->store);
	if (rc < 0)
		return reply_now(reply, req->id, &ST_INTERNAL, rc);
	e->stats.updates++;
	LOGP(DES3, LOGL_INFO, "EID-%s: ICCID %s: subscription address updated\n", eid, prof.iccid);
	return reply_now(reply, req->id, &ST_OK, 0);
}

bool smsr_es3_handles(enum es_msg_id id)
{
	switch (id) {
	case ES_MSG_ES3_SEND_DATA_REQ:
	case ES_MSG_ES3_PROFILE_DOWNLOAD_COMPLETED_REQ:
	case ES_MSG_ES3_UPDATE_POLICY_RULES_REQ:
	case ES_MSG_ES4_UPDATE_POLICY_RULES_REQ:
	case ES_MSG_ES3_UPDATE_SUBSCRIPTION_ADDRESS_REQ:
	case ES_MSG_ES4_UPDATE_SUBSCRIPTION_ADDRESS_REQ:
	case ES_MSG_ES3_AUDIT_EIS_REQ:
	case ES_MSG_ES4_AUDIT_EIS_REQ:
	case ES_MSG_ES3_UPDATE_CONNECTIVITY_PARAMETERS_REQ: return true;
	default: return false;
	}
}

int smsr_es3_request(struct smsr_es3 *e, const struct es_msg *req, const struct smsr_reply *reply)
{
	smsr_ctr_es_request(req);
	switch (req->id) {
	case ES_MSG_ES3_SEND_DATA_REQ: return es_send_data(e, req, reply);
	case ES_MSG_ES3_PROFILE_DOWNLOAD_COMPLETED_REQ: return es_download_completed(e, req, reply);
	case ES_MSG_ES3_UPDATE_POLICY_RULES_REQ:
	case ES_MSG_ES4_UPDATE_POLICY_RULES_REQ: return es_update_pol2(e, req, reply);
	case ES_MSG_ES3_UPDATE_SUBSCRIPTION_ADDRESS_REQ:
	case ES_MSG_ES4_UPDATE_SUBSCRIPTION_ADDRESS_REQ: return es_update_address(e, req, reply);
	case ES_MSG_ES3_AUDIT_EIS_REQ:
	case ES_MSG_ES4_AUDIT_EIS_REQ: return es_audit_eis(e, req, reply);
	case ES_MSG_ES3_UPDATE_CONNECTIVITY_PARAMETERS_REQ: return es_update_connectivity(e, req, reply);
	default: return -ENOTSUP;
	}
}

void smsr_es3_rx_result(struct smsr_es3 *e, uint32_t op, int rc, const uint8_t *rsp, size_t len)
{
	struct rproc *p;

	llist_for_each_entry (p, &e->procs, entry) {
		if (p->op != op || p->fi->state != RPROC_ST_WAIT_RELAY)
			continue;
		struct relay_result res = { .rc = rc, .rsp = rsp, .len = len };

		if (rc == 0 && len > RSP_MAX)
			res.rc = -EMSGSIZE;
		if (res.rc < 0) {
			res.rsp = NULL;
			res.len = 0;
		}
		osmo_fsm_inst_dispatch(p->fi, RPROC_EV_RESULT, &res);
		return;
	}
	e->stats.unmatched_results++;
	LOGP(DES3, LOGL_NOTICE, "relay result for unknown or finished exchange %08" PRIx32 " dropped\n", op);
}

/* ---- lifecycle ------------------------------------------------------------------------------------------ */

static int es3_destructor(struct smsr_es3 *e)
{
	struct rproc *p, *p2;

	llist_for_each_entry_safe (p, p2, &e->procs, entry)
		osmo_fsm_inst_term(p->fi, OSMO_FSM_TERM_REQUEST, NULL);
	return 0;
}

struct smsr_es3 *smsr_es3_alloc(void *ctx, struct smsr *sr, struct smsr_store *store, const struct smsr_es3_cfg *cfg,
				const struct smsr_relay_ops *ops, void *tp)
{
	struct smsr_es3 *e = talloc_zero(ctx, struct smsr_es3);

	if (!e)
		return NULL;
	e->sr = sr;
	e->store = store;
	if (cfg)
		e->cfg = *cfg;
	e->tdefs = e->cfg.tdefs ? e->cfg.tdefs : smsr_es3_tdefs;
	if (ops)
		e->ops = *ops;
	e->tp = tp;
	INIT_LLIST_HEAD(&e->procs);
	talloc_set_destructor(e, es3_destructor);
	return e;
}

void smsr_es3_free(struct smsr_es3 *e)
{
	talloc_free(e);
}

void smsr_es3_set_transport(struct smsr_es3 *e, const struct smsr_relay_ops *ops, void *tp)
{
	e->ops = *ops;
	e->tp = tp;
}

const struct smsr_es3_stats *smsr_es3_stats(const struct smsr_es3 *e)
{
	return &e->stats;
}

unsigned int smsr_es3_num_procs(const struct smsr_es3 *e)
{
	return llist_count(&e->procs);
}

int smsr_relay_sms_send(void *ota, const char *eid, uint32_t op, const uint8_t *aid, size_t aid_len,
			const uint8_t *script, size_t len, bool more)
{
	uint8_t tar[SCP80_TAR_LEN];
	uint32_t t;

	if (!ota || ids_aid_to_tar(aid, aid_len, &t) < 0)
		return -EINVAL;
	tar[0] = (uint8_t)(t >> 16);
	tar[1] = (uint8_t)(t >> 8);
	tar[2] = (uint8_t)t;
	return smsr_ota_send_raw(ota, eid, op, tar, script, len, true);
}
