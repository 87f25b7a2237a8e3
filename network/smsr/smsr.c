/* SM-SR procedures (see smsr.h): one osmo_fsm instance per ES call that needs the eUICC. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <osmocom/core/fsm.h>
#include <osmocom/core/linuxlist.h>
#include <osmocom/core/utils.h>
#include <talloc.h>

#include "lib/ids/ids.h"
#include "lib/rscript/rscript.h"
#include "network/smsr/smsr_ctr.h"
#include "network/smsr/smsr.h"
#include "network/smsr/smsr_log.h"

struct osmo_tdef smsr_tdefs[] = { { .T = SMSR_T_ES5_RESULT,
				    .default_val = 120,
				    .unit = OSMO_TDEF_S,
				    .min_val = 1,
				    .max_val = 86400,
				    .desc = "ES5: wait for a script result" },
				  { .T = SMSR_T_NOTIFICATION,
				    .default_val = 600,
				    .unit = OSMO_TDEF_S,
				    .min_val = 1,
				    .max_val = 86400,
				    .desc = "EnableProfile: wait for the E1 notification (digest §3.4 step 23)" },
				  {} };

/* Audit OperationType codes (digest §4.1). */
#define AUDIT_CREATE_ISDP 0x0100
#define AUDIT_ENABLE	  0x0200
#define AUDIT_DISABLE	  0x0300
#define AUDIT_DELETE	  0x0400
#define AUDIT_NOTIF_BASE  0x0000 /* 0001 declaration, 0002 success, 0003 failed + rollback, 0005 fall-back */

/* ISD-R AID (SGP.02 Annex H; digest §4.2). */
static const uint8_t isdr_aid[16] = { 0xA0, 0x00, 0x00, 0x05, 0x59, 0x10, 0x10, 0xFF,
				      0xFF, 0xFF, 0xFF, 0x89, 0x00, 0x00, 0x01, 0x00 };
static const uint8_t isdp_aid_prefix[12] = { 0xA0, 0x00, 0x00, 0x05, 0x59, 0x10, 0x10, 0xFF, 0xFF, 0xFF, 0xFF, 0x89 };

struct smsr {
	struct smsr_store *store;
	struct smsr_cfg cfg;
	struct smsr_es5_ops es5;
	smsr_notify_cb notify;
	void *priv;
	struct osmo_tdef *tdefs;
	struct llist_head procs;
	uint32_t next_op;
	struct smsr_stats stats;
	/* where the answers of procedures resumed after a restart go (smsr_abort_pending) */
	smsr_respond_stored_cb respond_stored;
	void *respond_stored_priv;
};

/* ---- the procedure FSM -------------------------------------------------------------------------- */

enum proc_state {
	PROC_ST_INIT,
	PROC_ST_WAIT_ES5_RESULT,   /* the ES5 command is out (e.g. §3.4 step 20, §3.1 step 5) */
	PROC_ST_WAIT_NOTIFICATION, /* EnableProfile: PoR seen or skipped, waiting for E1 (§3.4 step 23) */
	PROC_ST_DONE,
};

enum proc_event {
	PROC_EV_ES5_OK,
	PROC_EV_ES5_ERR,
	PROC_EV_NOTIF_OK,
	PROC_EV_NOTIF_FAILED,
};

static const struct value_string proc_event_names[] = { { PROC_EV_ES5_OK, "ES5_OK" },
							{ PROC_EV_ES5_ERR, "ES5_ERR" },
							{ PROC_EV_NOTIF_OK, "NOTIF_OK" },
							{ PROC_EV_NOTIF_FAILED, "NOTIF_FAILED" },
							{ 0, NULL } };

struct proc {
	struct llist_head entry;
	struct smsr *sr;
	struct osmo_fsm_inst *fi;
	enum es_msg_id req_id;
	struct smsr_reply reply;
	bool answered;
	uint32_t op;
	char eid[SMSR_EID_HEX_MAX];
	char iccid[SMSR_ICCID_MAX];
	char mno_id[SMSR_OID_MAX];
	uint8_t isdp_aid[16];
	size_t isdp_aid_len;
	uint8_t euicc_resp[258];
	size_t euicc_resp_len;
	char prev_enabled[SMSR_ICCID_MAX]; /* EnableProfile: the profile that gets disabled */
	int64_t pending_id;
	uint16_t audit_type;
	/* where the asynchronous answer goes, kept in the pending row for an answer after a restart */
	char reply_to[512], relates_to[256];
	enum es_ns_variant ns;
};

static struct osmo_fsm proc_fsm;

const struct value_string smsr_eis_sig_names[] = {
	{ SMSR_EIS_SIG_DSIG_DETACHED, "dsig-detached" },
	{ SMSR_EIS_SIG_DIRECT, "direct" },
	{ SMSR_EIS_SIG_NONE, "none" },
	{ 0, NULL },
};

/* ---- response building ------------------------------------------------------------------------ */

/* Every response struct starts with ES_BASE_RESP (common initial sequence, C11 6.5.2.3p6). */
#define BASE_RESP(m) (&(m)->u.es1_register_eis_resp)
/* EID + ICCID requests (ES3/ES4 Enable/Disable/Delete) share one layout (ES_REQ_EID_ICCID). */
#define EID_ICCID_REQ(m) (&(m)->u.es4_enable_profile_req)
/* Responses with EuiccResponseData (ES_RESP_EUICC_DATA) share one layout. */
#define EUICC_DATA_RESP(m) (&(m)->u.es4_enable_profile_resp)
_Static_assert(offsetof(struct es3_delete_isdp_req, iccid) == offsetof(struct es4_enable_profile_req, iccid), "EID+"
													      "ICCID "
													      "request "
													      "layout");
_Static_assert(offsetof(struct es3_disable_profile_resp, euicc_response_data) ==
		       offsetof(struct es4_enable_profile_resp, euicc_response_data),
	       "EuiccResponseData layout");
_Static_assert(offsetof(struct es3_create_isdp_resp, function_execution_status) ==
		       offsetof(struct es1_register_eis_resp, function_execution_status),
	       "BaseResponseType layout");

struct status {
	enum es_status status;
	const char *subject, *reason, *message;
};

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

static void reply_now(const struct smsr_reply *reply, enum es_msg_id req_id, const struct status *s)
{
	struct es_msg *r = talloc_zero(NULL, struct es_msg);

	if (!r)
		return;
	r->id = req_id + 1;
	resp_status(r, s);
	smsr_ctr_es_answer(r);
	reply->respond(reply->handle, r);
	talloc_free(r);
}

/* digest §6.5 subject/reason pairs */
static const struct status ST_OK = { .status = ES_STATUS_EXECUTED_SUCCESS };
static const struct status ST_EID_UNKNOWN = { ES_STATUS_FAILED, "8.1.1", "1.1", "eUICC unknown to the SM-SR" };
static const struct status ST_ICCID_UNKNOWN = { ES_STATUS_FAILED, "8.2.1", "1.1", "ICCID unknown" };
static const struct status ST_ICCID_OTHER = { ES_STATUS_FAILED, "8.2.1", "3.10", "ICCID on another eUICC" };
static const struct status ST_EIS_EXISTS = { ES_STATUS_FAILED, "8.1.1", "3.3", "EID already registered" };
static const struct status ST_BAD_EIS = { ES_STATUS_FAILED, "8.6", "2.1", "EIS invalid" };
/* EumSignature refused. Subject 8.6 EIS (digest §6.5); reason 6.1 Verification Failed (digest §6.5: the
 * SGP.22 base numbering, applicability to SGP.02 [I]) when it does not verify or we hold no EUM key to
 * verify it with, 2.1 Invalid when it is missing or not of the supported shape (es_eumsig.h). */
static const struct status ST_EIS_SIG = { ES_STATUS_FAILED, "8.6", "6.1", "EumSignature verification failed" };
static const struct status ST_EIS_SIG_NO_EUM = { ES_STATUS_FAILED, "8.6", "6.1",
						 "no EUM certificate to verify the EumSignature with" };
static const struct status ST_EIS_SIG_BAD = { ES_STATUS_FAILED, "8.6", "2.1",
					      "EumSignature missing or of an unsupported form" };
static const struct status ST_BUSY = { ES_STATUS_FAILED, "8.1", "3.3", "an operation is pending on this eUICC" };
static const struct status ST_STATE = { ES_STATUS_FAILED, "8.2", "3.5", "profile not in a state that allows this" };
static const struct status ST_POL2 = { ES_STATUS_FAILED, "8.2.3", "3.8", "POL2 refuses" };
static const struct status ST_EXEC = { ES_STATUS_FAILED, "8.4", "4.2",
				       "error during execution of the command on the eUICC" };
static const struct status ST_NO_RESPONSE = { ES_STATUS_FAILED, "1.6", "5.1", "delivered with no response" };
static const struct status ST_UNSUPPORTED = { ES_STATUS_FAILED, "1.6", "3.1", "function not supported" };
static const struct status ST_INTERNAL = { ES_STATUS_FAILED, "1.2", "4.2", "SM-SR internal error" };
static const struct status ST_MEMORY = { ES_STATUS_FAILED, "8.1", "4.8", "insufficient memory" };

/* ---- helpers ------------------------------------------------------------------------------------- */

static int eid_of(const struct es_hex *h, char *out, size_t cap)
{
	if (!h->data || h->len == 0 || h->len > 32)
		return -EINVAL;
	return smsr_eid_to_hex(h->data, h->len, out, cap) < 0 ? -EINVAL : 0;
}

static bool eid_busy(struct smsr *sr, const char *eid)
{
	struct proc *p;

	llist_for_each_entry (p, &sr->procs, entry)
		if (!strcmp(p->eid, eid))
			return true;
	return false;
}

static void audit(struct smsr *sr, const char *eid, uint16_t type, const char *requester, enum es_status st,
		  const char *iccid)
{
	struct smsr_audit_row a = { .op_type = type, .status = st };

	snprintf(a.eid, sizeof(a.eid), "%s", eid);
	snprintf(a.requester, sizeof(a.requester), "%s", requester ? requester : "");
	snprintf(a.iccid, sizeof(a.iccid), "%s", iccid ? iccid : "");
	if (smsr_store_audit_add(sr->store, &a) < 0)
		LOGP(DSTORE, LOGL_ERROR, "EID-%s: audit record not stored: %s\n", eid,
		     smsr_store_last_error(sr->store));
}

/* One C-APDU in an expanded command script (TS 102 226 §5.2.1: AA { 22 C-APDU }). */
static int script_one(uint8_t *out, size_t cap, const uint8_t *apdu, size_t apdu_len)
{
	size_t n = 0;

	if (apdu_len > 250 || cap < apdu_len + 6)
		return -EMSGSIZE;
	out[n++] = 0xAA; /* Command Scripting Template, definite length */
	if (apdu_len + 2 > 127)
		out[n++] = 0x81;
	out[n++] = (uint8_t)(apdu_len + 2);
	out[n++] = 0x22; /* C-APDU */
	out[n++] = (uint8_t)apdu_len;
	memcpy(out + n, apdu, apdu_len);
	return (int)(n + apdu_len);
}

static int send_apdu(struct smsr *sr, const char *eid, uint32_t op, const uint8_t *apdu, size_t len)
{
	uint8_t script[300];
	int n = script_one(script, sizeof(script), apdu, len);

	if (n < 0)
		return n;
	sr->stats.es5_scripts_sent++;
	return sr->es5.send_script(sr, eid, op, script, (size_t)n, sr->priv);
}

/* ---- the FSM ------------------------------------------------------------------------------------- */

static void proc_answer(struct proc *p, const struct status *s)
{
	struct es_msg *r;

	if (p->answered)
		return;
	p->answered = true;
	r = talloc_zero(p, struct es_msg);
	if (!r)
		return;
	r->id = p->req_id + 1;
	resp_status(r, s);
	if (p->euicc_resp_len && p->req_id != ES_MSG_ES3_CREATE_ISDP_REQ)
		EUICC_DATA_RESP(r)->euicc_response_data = (struct es_hex){ p->euicc_resp, p->euicc_resp_len };
	if (p->req_id == ES_MSG_ES3_CREATE_ISDP_REQ) {
		r->u.es3_create_isdp_resp.isd_p_aid = (struct es_hex){ p->isdp_aid, p->isdp_aid_len };
		if (p->euicc_resp_len)
			r->u.es3_create_isdp_resp.euicc_response_data =
				(struct es_hex){ p->euicc_resp, p->euicc_resp_len };
	}
	if (s->status == ES_STATUS_EXECUTED_SUCCESS)
		p->sr->stats.procs_ok++;
	else
		p->sr->stats.procs_failed++;
	audit(p->sr, p->eid, p->audit_type, p->reply.requester, s->status, p->iccid);
	smsr_ctr_es_answer(r);
	p->reply.respond(p->reply.handle, r);
	talloc_free(r);
}

static void notify_owner(struct smsr *sr, const char *eid, const char *iccid, const char *mno_id, bool es3,
			 bool enabled)
{
	struct es_msg *m;
	char ts[32];
	time_t t = time(NULL);
	struct tm tm;
	uint8_t eidb[32];
	int n;

	if (!sr->notify || !mno_id || !mno_id[0])
		return;
	m = talloc_zero(NULL, struct es_msg);
	if (!m)
		return;
	gmtime_r(&t, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm);
	n = osmo_hexparse(eid, eidb, sizeof(eidb));
	/* open-questions §9 routing: ES4 to the owner when it has an ES4 endpoint, else ES3 with Mno-id */
	if (es3) {
		m->id = enabled ? ES_MSG_ES3_HANDLE_PROFILE_ENABLED_NOTIF : ES_MSG_ES3_HANDLE_PROFILE_DISABLED_NOTIF;
		struct es3_handle_profile_enabled_notif *x = &m->u.es3_handle_profile_enabled_notif;
		x->present = true;
		x->eid = (struct es_hex){ eidb, n > 0 ? (size_t)n : 0 };
		x->iccid = iccid;
		x->mno_id = mno_id;
		x->completion_timestamp = ts;
	} else {
		m->id = enabled ? ES_MSG_ES4_HANDLE_PROFILE_ENABLED_NOTIF : ES_MSG_ES4_HANDLE_PROFILE_DISABLED_NOTIF;
		struct es4_handle_profile_enabled_notif *x = &m->u.es4_handle_profile_enabled_notif;
		x->present = true;
		x->eid = (struct es_hex){ eidb, n > 0 ? (size_t)n : 0 };
		x->iccid = iccid;
		x->completion_timestamp = ts;
	}
	sr->notify(sr, mno_id, m, sr->priv);
	talloc_free(m);
}

static bool owner_has_es4(struct smsr *sr, const char *mno_id)
{
	return sr->cfg.owner_has_es4 && mno_id && mno_id[0] && sr->cfg.owner_has_es4(mno_id, sr->priv);
}

static void proc_finish_enable(struct proc *p, bool ok)
{
	struct smsr *sr = p->sr;
	int rc = 0;

	if (ok) {
		/* §3.4 step 25: EIS update (new Enabled, old Disabled) in one transaction */
		rc = smsr_store_begin(sr->store);
		if (rc == 0 && p->prev_enabled[0])
			rc = smsr_store_profile_set_state(sr->store, p->prev_enabled, ES_PROFILE_STATE_DISABLED);
		if (rc == 0)
			rc = smsr_store_profile_set_state(sr->store, p->iccid, ES_PROFILE_STATE_ENABLED);
		if (rc == 0)
			rc = smsr_store_commit(sr->store);
		else
			smsr_store_rollback(sr->store);
	}
	if (rc < 0) {
		LOGPFSML(p->fi, LOGL_ERROR, "EIS update failed: %s\n", smsr_store_last_error(sr->store));
		proc_answer(p, &ST_INTERNAL);
		return;
	}
	proc_answer(p, ok ? &ST_OK : &ST_EXEC);
	if (ok) {
		/* open-questions §9: each owner over ES4 when it has an ES4 endpoint, else over ES3 */
		bool es3 = p->req_id == ES_MSG_ES3_ENABLE_PROFILE_REQ;
		struct smsr_profile_row prev;

		notify_owner(sr, p->eid, p->iccid, p->mno_id, es3 && !owner_has_es4(sr, p->mno_id), true);
		if (p->prev_enabled[0] && smsr_store_profile_get(sr->store, p->prev_enabled, &prev) == 0)
			notify_owner(sr, p->eid, prev.iccid, prev.mno_id, es3 && !owner_has_es4(sr, prev.mno_id),
				     false);
	}
}

static void proc_es5_done(struct proc *p)
{
	struct smsr *sr = p->sr;
	int rc = 0;

	switch (p->req_id) {
	case ES_MSG_ES3_DISABLE_PROFILE_REQ:
	case ES_MSG_ES4_DISABLE_PROFILE_REQ:
		rc = smsr_store_profile_set_state(sr->store, p->iccid, ES_PROFILE_STATE_DISABLED);
		break;
	case ES_MSG_ES3_DELETE_ISDP_REQ:
	case ES_MSG_ES4_DELETE_PROFILE_REQ: rc = smsr_store_profile_delete(sr->store, p->iccid); break;
	case ES_MSG_ES3_CREATE_ISDP_REQ:
		rc = smsr_store_profile_set_state(sr->store, p->iccid, ES_PROFILE_STATE_CREATED);
		break;
	default: break;
	}
	proc_answer(p, rc < 0 ? &ST_INTERNAL : &ST_OK);
}

static int state_timeout_s(struct smsr *sr, int T)
{
	return (int)osmo_tdef_get(sr->tdefs, T, OSMO_TDEF_S, 60);
}

static void st_wait_es5_result(struct osmo_fsm_inst *fi, uint32_t event, void *data)
{
	struct proc *p = fi->priv;

	switch (event) {
	case PROC_EV_ES5_OK:
		if (p->req_id == ES_MSG_ES3_ENABLE_PROFILE_REQ || p->req_id == ES_MSG_ES4_ENABLE_PROFILE_REQ) {
			/* open-questions §6: proceed on the E1 notification, not on the PoR */
			osmo_fsm_inst_state_chg(fi, PROC_ST_WAIT_NOTIFICATION,
						state_timeout_s(p->sr, SMSR_T_NOTIFICATION), SMSR_T_NOTIFICATION);
			return;
		}
		proc_es5_done(p);
		osmo_fsm_inst_state_chg(fi, PROC_ST_DONE, 0, 0);
		osmo_fsm_inst_term(fi, OSMO_FSM_TERM_REGULAR, NULL);
		return;
	case PROC_EV_ES5_ERR:
		if (p->req_id == ES_MSG_ES3_CREATE_ISDP_REQ)
			smsr_store_profile_delete(p->sr->store, p->iccid); /* no orphan "in creation" entry */
		proc_answer(p, data ? (const struct status *)data : &ST_EXEC);
		osmo_fsm_inst_state_chg(fi, PROC_ST_DONE, 0, 0);
		osmo_fsm_inst_term(fi, OSMO_FSM_TERM_REGULAR, NULL);
		return;
	case PROC_EV_NOTIF_OK:
	case PROC_EV_NOTIF_FAILED:
		/* the E1 overtook the PoR (the card sends the PoR before REFRESH, but SMS order is not
		 * guaranteed): the notification is what counts */
		proc_finish_enable(p, event == PROC_EV_NOTIF_OK);
		osmo_fsm_inst_state_chg(fi, PROC_ST_DONE, 0, 0);
		osmo_fsm_inst_term(fi, OSMO_FSM_TERM_REGULAR, NULL);
		return;
	}
}

static void st_wait_notification(struct osmo_fsm_inst *fi, uint32_t event, void *data)
{
	struct proc *p = fi->priv;

	proc_finish_enable(p, event == PROC_EV_NOTIF_OK);
	osmo_fsm_inst_state_chg(fi, PROC_ST_DONE, 0, 0);
	osmo_fsm_inst_term(fi, OSMO_FSM_TERM_REGULAR, NULL);
}

static int proc_timer_cb(struct osmo_fsm_inst *fi)
{
	struct proc *p = fi->priv;

	p->sr->stats.procs_expired++;
	if (p->req_id == ES_MSG_ES3_CREATE_ISDP_REQ && fi->state == PROC_ST_WAIT_ES5_RESULT)
		smsr_store_profile_delete(p->sr->store, p->iccid);
	/* §3.4 connectivity failure: no notification in time = failed (the eUICC rolls back) */
	proc_answer(p, &ST_NO_RESPONSE);
	return 1; /* terminate */
}

static void proc_cleanup(struct osmo_fsm_inst *fi, enum osmo_fsm_term_cause cause)
{
	struct proc *p = fi->priv;

	proc_answer(p, &ST_INTERNAL); /* never leave a requester waiting (no-op if answered) */
	if (p->pending_id)
		smsr_store_pending_del(p->sr->store, p->pending_id);
	llist_del(&p->entry);
}

#define S(x) (1 << (x))
static const struct osmo_fsm_state proc_states[] = {
	[PROC_ST_INIT] = {
		.name = "INIT",
		/* WAIT_NOTIFICATION: an EnableProfile resumed after a restart */
		.out_state_mask = 0 | S(PROC_ST_WAIT_ES5_RESULT) | S(PROC_ST_WAIT_NOTIFICATION),
	},
	[PROC_ST_WAIT_ES5_RESULT] = {
		.name = "WAIT_ES5_RESULT",
		.in_event_mask = 0 | S(PROC_EV_ES5_OK) | S(PROC_EV_ES5_ERR) | S(PROC_EV_NOTIF_OK) | S(PROC_EV_NOTIF_FAILED),
		.out_state_mask = 0 | S(PROC_ST_WAIT_NOTIFICATION) | S(PROC_ST_DONE),
		.action = st_wait_es5_result,
	},
	[PROC_ST_WAIT_NOTIFICATION] = {
		.name = "WAIT_NOTIFICATION",
		.in_event_mask = 0 | S(PROC_EV_NOTIF_OK) | S(PROC_EV_NOTIF_FAILED),
		.out_state_mask = 0 | S(PROC_ST_DONE),
		.action = st_wait_notification,
	},
	[PROC_ST_DONE] = {
		.name = "DONE",
	},
};

static struct osmo_fsm proc_fsm = {
	.name = "smsr_proc",
	.states = proc_states,
	.num_states = ARRAY_SIZE(proc_states),
	.timer_cb = proc_timer_cb,
	.cleanup = proc_cleanup,
	.event_names = proc_event_names,
	.log_subsys = DES5,
};

static __attribute__((constructor)) void proc_fsm_register(void)
{
	OSMO_ASSERT(osmo_fsm_register(&proc_fsm) == 0);
}

static struct proc *proc_alloc(struct smsr *sr, const struct es_msg *req, const struct smsr_reply *reply,
			       const char *eid, const char *iccid)
{
	struct osmo_fsm_inst *fi;
	struct proc *p;
	char id[128];

	snprintf(id, sizeof(id), "%s:EID-%s", es_msgs[req->id].name, eid);
	for (char *c = id; *c; c++)
		if (*c == '.' || *c == ' ')
			*c = '_';
	fi = osmo_fsm_inst_alloc(&proc_fsm, sr, NULL, LOGL_INFO, id);
	if (!fi)
		return NULL;
	p = talloc_zero(fi, struct proc);
	if (!p) {
		osmo_fsm_inst_free(fi);
		return NULL;
	}
	fi->priv = p;
	p->fi = fi;
	p->sr = sr;
	p->req_id = req->id;
	p->reply = *reply;
	p->reply.requester = talloc_strdup(p, reply->requester ? reply->requester : "");
	snprintf(p->reply_to, sizeof(p->reply_to), "%s",
		 req->wsa.reply_to ? req->wsa.reply_to
		 : req->wsa.from   ? req->wsa.from
				   : "");
	snprintf(p->relates_to, sizeof(p->relates_to), "%s", req->wsa.message_id ? req->wsa.message_id : "");
	p->ns = req->ns_seen;
	p->op = ++sr->next_op;
	snprintf(p->eid, sizeof(p->eid), "%s", eid);
	snprintf(p->iccid, sizeof(p->iccid), "%s", iccid ? iccid : "");
	llist_add_tail(&p->entry, &sr->procs);
	sr->stats.procs_started++;
	return p;
}

/* Start: state WAIT_ES5_RESULT with X20, send the APDU. */
static int proc_start(struct proc *p, const uint8_t *apdu, size_t len, const char *kind)
{
	struct smsr *sr = p->sr;
	struct smsr_pending_row pr = { 0 };
	int rc;

	snprintf(pr.eid, sizeof(pr.eid), "%s", p->eid);
	snprintf(pr.kind, sizeof(pr.kind), "%s", kind);
	snprintf(pr.step, sizeof(pr.step), "WAIT_ES5_RESULT");
	snprintf(pr.iccid, sizeof(pr.iccid), "%s", p->iccid);
	snprintf(pr.requester, sizeof(pr.requester), "%s", p->reply.requester);
	/* the request's own name (ES3-/ES4-...) for the answer a restart gives instead of ours */
	snprintf(pr.kind, sizeof(pr.kind), "%s", es_msgs[p->req_id].name);
	snprintf(pr.reply_to, sizeof(pr.reply_to), "%s", p->reply_to);
	snprintf(pr.relates_to, sizeof(pr.relates_to), "%s%.250s", p->ns == ES_NS_V1 ? "v1|" : "", p->relates_to);
	if (smsr_store_pending_add(sr->store, &pr) == 0)
		p->pending_id = pr.id;
	osmo_fsm_inst_state_chg(p->fi, PROC_ST_WAIT_ES5_RESULT, state_timeout_s(sr, SMSR_T_ES5_RESULT),
				SMSR_T_ES5_RESULT);
	rc = send_apdu(sr, p->eid, p->op, apdu, len);
	if (rc < 0) {
		LOGPFSML(p->fi, LOGL_ERROR, "ES5 send failed: %d\n", rc);
		osmo_fsm_inst_dispatch(p->fi, PROC_EV_ES5_ERR, (void *)&ST_NO_RESPONSE);
	}
	return 0;
}

/* ---- ES handlers --------------------------------------------------------------------------------- */

static bool pol2_forbids(const struct smsr_profile_row *p, enum es_pol2_action action)
{
	for (size_t i = 0; i + 3 <= p->pol2_len; i += 3)
		if (p->pol2[i + 1] == action && p->pol2[i + 2] == ES_POL2_QUAL_NOT_ALLOWED)
			return true;
	return false;
}

static int es_register_eis(struct smsr *sr, const struct es_msg *req, const struct smsr_reply *reply)
{
	const struct es_eis *eis = &req->u.es1_register_eis_req.eis;
	const struct es_eum_signed_info *si = &eis->eum_signed_info;
	struct smsr_keyset_row ks[4];
	struct smsr_eis_row row = { .state = SMSR_EIS_ACTIVE, .last_notif_seq = -1 };
	struct es_msg *blobmsg;
	uint8_t *blob;
	size_t nks = 0;
	int n, rc;

	if (!eis->present || !si->present || eid_of(&si->eid, row.eid, sizeof(row.eid)) < 0 || !si->eum_id ||
	    !eis->isd_r.present) {
		reply_now(reply, req->id, &ST_BAD_EIS);
		return -EINVAL;
	}
	/* EID check digits (SGP.02 Annex J; digest §4.1): 16 bytes whose hex is 32 digits, mod 97 = 1 */
	if (si->eid.len != 16 || ids_eid_verify(row.eid, 32, NULL) != 0) {
		reply_now(reply, req->id, &ST_BAD_EIS);
		return -EINVAL;
	}
	/* the EUM's signature over EumSignedInfo, before anything is stored (digest §4.1) */
	if (sr->cfg.eis_sig != SMSR_EIS_SIG_NONE) {
		const struct status *st = NULL;

		if (!sr->cfg.n_eum_keys)
			st = &ST_EIS_SIG_NO_EUM;
		else if (!reply->xml)
			st = &ST_EIS_SIG_BAD;
		else
			switch (es_eumsig_verify(reply->xml, reply->xml_len, sr->cfg.eum_keys, sr->cfg.n_eum_keys,
						 (enum es_eumsig_variant)sr->cfg.eis_sig, NULL)) {
			case 0: break;
			case -EACCES: st = &ST_EIS_SIG; break;
			default: st = &ST_EIS_SIG_BAD; break;
			}
		if (st) {
			LOGP(DES1, LOGL_NOTICE, "EID-%s: RegisterEIS refused: %s (%s)\n", row.eid, st->message,
			     get_value_string(smsr_eis_sig_names, sr->cfg.eis_sig));
			reply_now(reply, req->id, st);
			return -EACCES;
		}
	}
	snprintf(row.eum_id, sizeof(row.eum_id), "%s", si->eum_id);
	snprintf(row.smsr_id, sizeof(row.smsr_id), "%s", sr->cfg.smsr_id);
	row.remaining_memory = eis->remaining_memory.v;
	/* ISD-R key sets from the EIS. Key values in a production EIS are transport-encrypted (digest
	 * §4.1); the lab EUM hands them in clear (documented limitation). KIc=1, KID=2, KIK=3. */
	for (unsigned int i = 0; i < eis->isd_r.n_keyset && nks < 4; i++) {
		const struct es_keyset *k = &eis->isd_r.keyset[i];
		struct smsr_keyset_row *r = &ks[nks];

		if (k->type != ES_KEYSET_SCP80 && k->type != ES_KEYSET_SCP81)
			continue;
		memset(r, 0, sizeof(*r));
		snprintf(r->eid, sizeof(r->eid), "%s", row.eid);
		r->kvn = (uint8_t)k->version.v;
		r->kind = k->type == ES_KEYSET_SCP80 ? SMSR_KEYSET_SCP80 : SMSR_KEYSET_SCP81;
		r->counter = k->cntr.present && k->cntr.v >= 0 ? (uint64_t)k->cntr.v : 0;
		for (unsigned int j = 0; j < k->n_key; j++) {
			const struct es_key *key = &k->key[j];
			const struct es_hex *v = key->n_key_components ? &key->key_components[0].value : NULL;
			uint8_t *dst = NULL;
			size_t *dlen = NULL;

			if (!v || !v->data || v->len > SMSR_KEY_MAX)
				continue;
			if (r->kind == SMSR_KEYSET_SCP81) {
				/* the PSK is key 1 (a card's SCP81 set also holds a DEK as key 2: euicc README) */
				if (key->index.v == 1 || !r->psk_len) {
					dst = r->psk;
					dlen = &r->psk_len;
				}
			} else if (key->index.v == 1) {
				dst = r->kic;
				dlen = &r->kic_len;
			} else if (key->index.v == 2) {
				dst = r->kid;
				dlen = &r->kid_len;
			} else if (key->index.v == 3) {
				dst = r->kik;
				dlen = &r->kik_len;
			}
			if (dst) {
				memcpy(dst, v->data, v->len);
				*dlen = v->len;
			}
		}
		nks++;
	}
	/* the enabled profile's MSISDN is where ES5 SMS go */
	for (unsigned int i = 0; i < eis->n_profile_info; i++)
		if (eis->profile_info[i].state == ES_PROFILE_STATE_ENABLED &&
		    eis->profile_info[i].subscription_address.msisdn)
			snprintf(row.msisdn, sizeof(row.msisdn), "%s",
				 eis->profile_info[i].subscription_address.msisdn);
	blobmsg = talloc_zero(NULL, struct es_msg);
	blob = talloc_size(blobmsg, SOAP_MAX_INPUT_DEFAULT);
	if (!blobmsg || !blob) {
		talloc_free(blobmsg);
		reply_now(reply, req->id, &ST_INTERNAL);
		return -ENOMEM;
	}
	blobmsg->id = ES_MSG_ES1_REGISTER_EIS_REQ;
	blobmsg->wsa = (struct soap_wsa){ .from = "urn:rsplab:smsr-store",
					  .to = "urn:rsplab:smsr-store",
					  .message_id = "urn:rsplab:eis",
					  .action = "urn:rsplab:eis" };
	blobmsg->u.es1_register_eis_req = req->u.es1_register_eis_req;
	blobmsg->u.es1_register_eis_req.eis.smsr_id = sr->cfg.smsr_id;
	n = es_msg_encode(blob, SOAP_MAX_INPUT_DEFAULT, blobmsg, NULL);
	if (n < 0) {
		talloc_free(blobmsg);
		reply_now(reply, req->id, &ST_BAD_EIS);
		return n;
	}
	rc = smsr_store_eis_insert(sr->store, &row, eis, blob, (size_t)n, ks, nks);
	talloc_free(blobmsg);
	if (rc == -EEXIST) {
		LOGP(DES1, LOGL_NOTICE, "EID-%s: RegisterEIS refused: already registered\n", row.eid);
		reply_now(reply, req->id, &ST_EIS_EXISTS);
		return rc;
	}
	if (rc < 0) {
		LOGP(DES1, LOGL_ERROR, "EID-%s: RegisterEIS: store: %s\n", row.eid, smsr_store_last_error(sr->store));
		reply_now(reply, req->id, &ST_INTERNAL);
		return rc;
	}
	LOGP(DES1, LOGL_INFO, "EID-%s: EIS registered (%zu ISD-R key sets)\n", row.eid, nks);
	reply_now(reply, req->id, &ST_OK);
	return 0;
}

int smsr_eis_build(struct smsr *sr, void *ctx, const char *eid, struct es_eis *eis)
{
	struct es_msg *m = talloc_zero(ctx, struct es_msg);
	struct smsr_profile_row *pr;
	uint8_t *blob;
	size_t len, n;
	char *arena;
	int rc;

	if (!m)
		return -ENOMEM;
	rc = smsr_store_eis_blob(sr->store, m, eid, &blob, &len);
	if (rc < 0)
		return rc;
	arena = talloc_size(m, len + 64);
	pr = talloc_array(m, struct smsr_profile_row, 8);
	if (!arena || !pr)
		return -ENOMEM;
	rc = es_msg_decode(m, arena, len + 64, blob, len, NULL, NULL);
	if (rc < 0 || m->id != ES_MSG_ES1_REGISTER_EIS_REQ)
		return rc < 0 ? rc : -EIO;
	*eis = m->u.es1_register_eis_req.eis;
	rc = smsr_store_profile_list(sr->store, eid, pr, 8, &n);
	if (rc < 0)
		return rc;
	eis->n_profile_info = 0;
	for (size_t i = 0; i < n && i < 8; i++) {
		struct es_profile_info *pi = &eis->profile_info[eis->n_profile_info];

		if (!pr[i].state) /* "in creation" entries are not part of the EIS yet */
			continue;
		memset(pi, 0, sizeof(*pi));
		pi->present = true;
		pi->iccid = pr[i].iccid;
		pi->isd_p_aid = (struct es_hex){ pr[i].isdp_aid, pr[i].isdp_aid_len };
		pi->mno_id = pr[i].mno_id;
		pi->fallback_attribute = (struct es_bool){ true, pr[i].fallback };
		pi->subscription_address.present = true;
		pi->subscription_address.imsi = pr[i].imsi[0] ? pr[i].imsi : NULL;
		pi->subscription_address.msisdn = pr[i].msisdn[0] ? pr[i].msisdn : NULL;
		pi->state = pr[i].state;
		pi->smdp_id = pr[i].smdp_id[0] ? pr[i].smdp_id : NULL;
		pi->allocated_memory = (struct es_int){ true, pr[i].allocated_memory };
		pi->pol2.present = true;
		for (size_t r = 0; r + 3 <= pr[i].pol2_len && pi->pol2.n_rule < 8; r += 3)
			pi->pol2.rule[pi->pol2.n_rule++] =
				(struct es_pol2_rule){ true, pr[i].pol2[r], pr[i].pol2[r + 1], pr[i].pol2[r + 2] };
		eis->n_profile_info++;
	}
	return 0;
}

static int es_get_eis(struct smsr *sr, const struct es_msg *req, const struct smsr_reply *reply)
{
	const struct es_hex *eidh = req->id == ES_MSG_ES3_GET_EIS_REQ ? &req->u.es3_get_eis_req.eid
								      : &req->u.es4_get_eis_req.eid;
	struct smsr_eis_row row;
	struct es_msg *r;
	char eid[SMSR_EID_HEX_MAX];
	int rc;

	if (eid_of(eidh, eid, sizeof(eid)) < 0 || smsr_store_eis_get(sr->store, eid, &row) < 0 ||
	    row.state == SMSR_EIS_HANDOVER_IN) {
		reply_now(reply, req->id, &ST_EID_UNKNOWN);
		return -ENOENT;
	}
	r = talloc_zero(NULL, struct es_msg);
	if (!r)
		return -ENOMEM;
	r->id = req->id + 1;
	/* ES3/ES4 GetEIS responses share ES_RESP_EIS */
	rc = smsr_eis_build(sr, r, eid, &r->u.es4_get_eis_resp.eis);
	if (rc < 0) {
		talloc_free(r);
		reply_now(reply, req->id, &ST_INTERNAL);
		return rc;
	}
	r->u.es4_get_eis_resp.eis.present = true;
	if (req->id == ES_MSG_ES4_GET_EIS_REQ) {
		/* Annex E [I]: an MNO sees its own profiles only (digest §4.1, Njiwa hideNotificationFields) */
		struct es_eis *e = &r->u.es4_get_eis_resp.eis;
		unsigned int k = 0;

		for (unsigned int i = 0; i < e->n_profile_info; i++)
			if (reply->requester && e->profile_info[i].mno_id &&
			    !strcmp(e->profile_info[i].mno_id, reply->requester))
				e->profile_info[k++] = e->profile_info[i];
		e->n_profile_info = k;
	}
	resp_status(r, &ST_OK);
	smsr_ctr_es_answer(r);
	reply->respond(reply->handle, r);
	talloc_free(r);
	return 0;
}

static int es_profile_op(struct smsr *sr, const struct es_msg *req, const struct smsr_reply *reply)
{
	const struct es4_enable_profile_req *q = EID_ICCID_REQ(req);
	struct smsr_profile_row prof, list[8];
	struct smsr_eis_row row;
	enum es5_function fn;
	enum es_pol2_action act;
	char eid[SMSR_EID_HEX_MAX];
	uint8_t apdu[64];
	struct proc *p;
	const char *kind;
	size_t n;
	int len;

	if (eid_of(&q->eid, eid, sizeof(eid)) < 0 || smsr_store_eis_get(sr->store, eid, &row) < 0 ||
	    row.state != SMSR_EIS_ACTIVE) {
		reply_now(reply, req->id, &ST_EID_UNKNOWN);
		return -ENOENT;
	}
	if (!q->iccid || smsr_store_profile_get(sr->store, q->iccid, &prof) < 0) {
		reply_now(reply, req->id, &ST_ICCID_UNKNOWN);
		return -ENOENT;
	}
	if (strcmp(prof.eid, eid)) {
		reply_now(reply, req->id, &ST_ICCID_OTHER);
		return -EINVAL;
	}
	if (eid_busy(sr, eid)) {
		reply_now(reply, req->id, &ST_BUSY);
		return -EBUSY;
	}
	switch (req->id) {
	case ES_MSG_ES3_ENABLE_PROFILE_REQ:
	case ES_MSG_ES4_ENABLE_PROFILE_REQ:
		fn = ES5_FN_ENABLE_PROFILE;
		act = ES_POL2_ACTION_ENABLE;
		kind = "EnableProfile";
		if (prof.state != ES_PROFILE_STATE_DISABLED) {
			reply_now(reply, req->id, &ST_STATE);
			return -EINVAL;
		}
		break;
	case ES_MSG_ES3_DISABLE_PROFILE_REQ:
	case ES_MSG_ES4_DISABLE_PROFILE_REQ:
		fn = ES5_FN_DISABLE_PROFILE;
		act = ES_POL2_ACTION_DISABLE;
		kind = "DisableProfile";
		if (prof.state != ES_PROFILE_STATE_ENABLED) {
			reply_now(reply, req->id, &ST_STATE);
			return -EINVAL;
		}
		break;
	default: /* ES3 DeleteISDP, ES4 DeleteProfile */
		fn = ES5_FN_DELETE_ISDP;
		act = ES_POL2_ACTION_DELETE;
		kind = "DeleteProfile";
		if (prof.state == ES_PROFILE_STATE_ENABLED) {
			reply_now(reply, req->id, &ST_STATE);
			return -EINVAL;
		}
		break;
	}
	/* POL2 of the target (and, on enable, of the profile that would be disabled) */
	if (pol2_forbids(&prof, act)) {
		reply_now(reply, req->id, &ST_POL2);
		return -EPERM;
	}
	p = proc_alloc(sr, req, reply, eid, q->iccid);
	if (!p) {
		reply_now(reply, req->id, &ST_INTERNAL);
		return -ENOMEM;
	}
	snprintf(p->mno_id, sizeof(p->mno_id), "%s", prof.mno_id);
	memcpy(p->isdp_aid, prof.isdp_aid, prof.isdp_aid_len);
	p->isdp_aid_len = prof.isdp_aid_len;
	if (fn == ES5_FN_ENABLE_PROFILE && smsr_store_profile_list(sr->store, eid, list, 8, &n) == 0) {
		for (size_t i = 0; i < n && i < 8; i++) {
			if (list[i].state != ES_PROFILE_STATE_ENABLED)
				continue;
			if (pol2_forbids(&list[i], ES_POL2_ACTION_DISABLE)) {
				p->answered = true;
				reply_now(reply, req->id, &ST_POL2);
				osmo_fsm_inst_term(p->fi, OSMO_FSM_TERM_REGULAR, NULL);
				return -EPERM;
			}
			snprintf(p->prev_enabled, sizeof(p->prev_enabled), "%s", list[i].iccid);
		}
	}
	p->audit_type = fn == ES5_FN_ENABLE_PROFILE    ? AUDIT_ENABLE
			: fn == ES5_FN_DISABLE_PROFILE ? AUDIT_DISABLE
						       : AUDIT_DELETE;
	len = fn == ES5_FN_DELETE_ISDP
		      ? es5_delete_isdp_build(apdu, sizeof(apdu), sr->cfg.delete_p2, prof.isdp_aid, prof.isdp_aid_len)
		      : es5_profile_cmd_build(apdu, sizeof(apdu), fn, prof.isdp_aid, prof.isdp_aid_len);
	if (len < 0) {
		proc_answer(p, &ST_INTERNAL);
		osmo_fsm_inst_term(p->fi, OSMO_FSM_TERM_REGULAR, NULL);
		return len;
	}
	LOGPFSML(p->fi, LOGL_INFO, "ICCID %s: sending %s to the ISD-R\n", q->iccid,
		 get_value_string(es5_function_names, fn));
	return proc_start(p, apdu, (size_t)len, kind);
}

static int es_create_isdp(struct smsr *sr, const struct es_msg *req, const struct smsr_reply *reply)
{
	const struct es3_create_isdp_req *q = &req->u.es3_create_isdp_req;
	struct smsr_profile_row prof = { 0 };
	struct smsr_eis_row row;
	struct es5_create_isdp c = { 0 };
	char eid[SMSR_EID_HEX_MAX];
	static const uint8_t elf[16] = { 0xA0, 0x00, 0x00, 0x05, 0x59, 0x10, 0x10, 0xFF,
					 0xFF, 0xFF, 0xFF, 0x89, 0x00, 0x00, 0x0D, 0x00 };
	static const uint8_t mod[16] = { 0xA0, 0x00, 0x00, 0x05, 0x59, 0x10, 0x10, 0xFF,
					 0xFF, 0xFF, 0xFF, 0x89, 0x00, 0x00, 0x0E, 0x00 };
	static const uint8_t install_params[] = { 0xC9, 0x04, 0x81, 0x02, 0x03, 0x70 }; /* SCP03 i=70 */
	uint8_t apdu[128];
	uint32_t tar;
	struct proc *p;
	int len;

	if (eid_of(&q->eid, eid, sizeof(eid)) < 0 || smsr_store_eis_get(sr->store, eid, &row) < 0 ||
	    row.state != SMSR_EIS_ACTIVE) {
		reply_now(reply, req->id, &ST_EID_UNKNOWN);
		return -ENOENT;
	}
	if (!q->iccid || strlen(q->iccid) >= sizeof(prof.iccid) ||
	    smsr_store_profile_get(sr->store, q->iccid, &prof) == 0) {
		reply_now(reply, req->id, &(struct status){ ES_STATUS_FAILED, "8.2.1", "3.3", "ICCID already in use" });
		return -EEXIST;
	}
	if (q->required_memory.present && q->required_memory.v > row.remaining_memory && row.remaining_memory > 0) {
		reply_now(reply, req->id, &ST_MEMORY);
		return -ENOSPC;
	}
	if (eid_busy(sr, eid)) {
		reply_now(reply, req->id, &ST_BUSY);
		return -EBUSY;
	}
	if (smsr_store_isdp_tar_alloc(sr->store, eid, &tar) < 0) {
		reply_now(reply, req->id, &ST_MEMORY);
		return -ENOSPC;
	}
	p = proc_alloc(sr, req, reply, eid, q->iccid);
	if (!p) {
		reply_now(reply, req->id, &ST_INTERNAL);
		return -ENOMEM;
	}
	p->audit_type = AUDIT_CREATE_ISDP;
	/* §3.1 step 5: ISD-P AID = A0000005591010FFFFFFFF89 ‖ TAR ‖ 00 (Annex H) */
	memcpy(p->isdp_aid, isdp_aid_prefix, 12);
	p->isdp_aid[12] = (uint8_t)(tar >> 16);
	p->isdp_aid[13] = (uint8_t)(tar >> 8);
	p->isdp_aid[14] = (uint8_t)tar;
	p->isdp_aid[15] = 0x00;
	p->isdp_aid_len = 16;
	snprintf(p->mno_id, sizeof(p->mno_id), "%s", q->mno_id ? q->mno_id : "");
	/* the "in creation" entry reserves the AID and the ICCID (state 0: not in the EIS yet) */
	snprintf(prof.eid, sizeof(prof.eid), "%s", eid);
	snprintf(prof.iccid, sizeof(prof.iccid), "%s", q->iccid);
	memcpy(prof.isdp_aid, p->isdp_aid, 16);
	prof.isdp_aid_len = 16;
	snprintf(prof.mno_id, sizeof(prof.mno_id), "%s", p->mno_id);
	snprintf(prof.smdp_id, sizeof(prof.smdp_id), "%s", reply->requester ? reply->requester : "");
	prof.state = 0;
	prof.allocated_memory = q->required_memory.v;
	if (smsr_store_profile_put(sr->store, &prof) < 0) {
		proc_answer(p, &ST_INTERNAL);
		osmo_fsm_inst_term(p->fi, OSMO_FSM_TERM_REGULAR, NULL);
		return -EIO;
	}
	c.elf_aid = (struct es5_bytes){ elf, 16 };
	c.module_aid = (struct es5_bytes){ mod, 16 };
	c.isdp_aid = (struct es5_bytes){ p->isdp_aid, 16 };
	c.install_params = (struct es5_bytes){ install_params, sizeof(install_params) };
	c.quota = q->required_memory.present && q->required_memory.v > 0 ? (uint32_t)q->required_memory.v : 0;
	len = es5_create_isdp_build(apdu, sizeof(apdu), &c);
	if (len < 0) {
		smsr_store_profile_delete(sr->store, q->iccid);
		proc_answer(p, &ST_INTERNAL);
		osmo_fsm_inst_term(p->fi, OSMO_FSM_TERM_REGULAR, NULL);
		return len;
	}
	return proc_start(p, apdu, (size_t)len, "CreateISDP");
}

int smsr_es_request(struct smsr *sr, const struct es_msg *req, const struct smsr_reply *reply)
{
	smsr_ctr_es_request(req);
	switch (req->id) {
	case ES_MSG_ES1_REGISTER_EIS_REQ: return es_register_eis(sr, req, reply);
	case ES_MSG_ES3_GET_EIS_REQ:
	case ES_MSG_ES4_GET_EIS_REQ: return es_get_eis(sr, req, reply);
	case ES_MSG_ES3_ENABLE_PROFILE_REQ:
	case ES_MSG_ES4_ENABLE_PROFILE_REQ:
	case ES_MSG_ES3_DISABLE_PROFILE_REQ:
	case ES_MSG_ES4_DISABLE_PROFILE_REQ:
	case ES_MSG_ES3_DELETE_ISDP_REQ:
	case ES_MSG_ES4_DELETE_PROFILE_REQ: return es_profile_op(sr, req, reply);
	case ES_MSG_ES3_CREATE_ISDP_REQ: return es_create_isdp(sr, req, reply);
	default:
		if (req->id >= 0 && req->id < ES_MSG__COUNT && es_msgs[req->id].kind == ES_KIND_REQUEST)
			reply_now(reply, req->id, &ST_UNSUPPORTED);
		return -ENOTSUP;
	}
}

/* ---- ES5 inputs ------------------------------------------------------------------------------------ */

static struct proc *proc_by_op(struct smsr *sr, uint32_t op)
{
	struct proc *p;

	llist_for_each_entry (p, &sr->procs, entry)
		if (p->op == op)
			return p;
	return NULL;
}

void smsr_es5_rx_result(struct smsr *sr, uint32_t op, int rc, uint16_t sw, const uint8_t *resp, size_t len)
{
	struct proc *p = proc_by_op(sr, op);

	sr->stats.es5_results++;
	if (!p || p->fi->state != PROC_ST_WAIT_ES5_RESULT) {
		sr->stats.es5_unmatched_results++;
		LOGP(DES5, LOGL_NOTICE, "ES5 result for unknown or finished exchange %" PRIu32 " dropped\n", op);
		return;
	}
	if (rc < 0) {
		LOGPFSML(p->fi, LOGL_NOTICE, "ES5 exchange failed: %d\n", rc);
		osmo_fsm_inst_dispatch(p->fi, PROC_EV_ES5_ERR, (void *)&ST_NO_RESPONSE);
		return;
	}
	/* keep the eUICC's answer for EuiccResponseData: R-APDU data ‖ SW */
	if (len + 2 <= sizeof(p->euicc_resp)) {
		if (len)
			memcpy(p->euicc_resp, resp, len);
		p->euicc_resp[len] = (uint8_t)(sw >> 8);
		p->euicc_resp[len + 1] = (uint8_t)sw;
		p->euicc_resp_len = len + 2;
	}
	if (sw != 0x9000) {
		const char *meaning = es5_sw_meaning(ES5_FN_UNKNOWN, sw);

		LOGPFSML(p->fi, LOGL_NOTICE, "eUICC answered SW %04X (%s)\n", sw, meaning ? meaning : "?");
		osmo_fsm_inst_dispatch(
			p->fi, PROC_EV_ES5_ERR,
			(void *)(sw == 0x69E1 ? &(struct status){ ES_STATUS_FAILED, "8.2.2", "3.8", "POL1 refuses" }
					      : &ST_EXEC));
		return;
	}
	osmo_fsm_inst_dispatch(p->fi, PROC_EV_ES5_OK, NULL);
}

/* session_eid: the notification came in an HTTPS admin session of that (PSK-authenticated) eUICC, which
 * confirms it itself; NULL: by SMS, confirmed with a 3A08 over ES5. */
static int rx_notification(struct smsr *sr, const char *session_eid, const uint8_t *data, size_t len, uint16_t *seq)
{
	struct es5_notification n;
	struct smsr_eis_row row;
	char eid[SMSR_EID_HEX_MAX];
	uint8_t apdu[32];
	struct proc *p;
	int rc, fresh, alen;

	rc = es5_notification_decode(&n, data, len);
	if (rc < 0 || n.eid.len != 16) {
		sr->stats.notifs_bad++;
		smsr_ctr_inc(SMSR_CTRG_E1, SMSR_CTR_E1_DROPPED);
		LOGP(DES5, LOGL_NOTICE, "malformed E1 notification dropped (%d)\n", rc);
		return -EBADMSG;
	}
	smsr_eid_to_hex(n.eid.buf, n.eid.len, eid, sizeof(eid));
	if (session_eid && strcasecmp(session_eid, eid)) {
		/* the session's PSK authenticated another eUICC: it may not speak for this one */
		sr->stats.notifs_bad++;
		smsr_ctr_inc(SMSR_CTRG_E1, SMSR_CTR_E1_DROPPED);
		LOGP(DES5, LOGL_NOTICE, "E1 notification for EID-%s in EID-%s's admin session dropped\n", eid,
		     session_eid);
		return -EPERM;
	}
	if (smsr_store_eis_get(sr->store, eid, &row) < 0) {
		sr->stats.notifs_bad++;
		smsr_ctr_inc(SMSR_CTRG_E1, SMSR_CTR_E1_DROPPED);
		LOGP(DES5, LOGL_NOTICE, "E1 notification for unknown EID-%s dropped\n", eid);
		return -ENOENT;
	}
	sr->stats.notifs_rx++;
	smsr_ctr_inc(SMSR_CTRG_E1, SMSR_CTR_E1_RX);
	fresh = smsr_store_notif_seq_check(sr->store, eid, n.seq);
	if (fresh < 0)
		return fresh;
	/* §3.4 step 24: confirm with 3A08 (a retry is confirmed again: the first confirmation was lost) */
	*seq = n.seq;
	if (session_eid) {
		sr->stats.confirms_sent++; /* by the caller, in its session */
	} else {
		alen = es5_notification_confirm_build(apdu, sizeof(apdu), n.seq);
		if (alen > 0 && send_apdu(sr, eid, 0, apdu, (size_t)alen) == 0)
			sr->stats.confirms_sent++;
	}
	if (!fresh) {
		sr->stats.notifs_dup++;
		smsr_ctr_inc(SMSR_CTRG_E1, SMSR_CTR_E1_DUP);
		LOGP(DES5, LOGL_INFO, "EID-%s: E1 seq %u seen before: confirmed again, not processed\n", eid, n.seq);
		return 0;
	}
	LOGP(DES5, LOGL_INFO, "EID-%s: E1 %s seq %u\n", eid, get_value_string(es5_notif_type_names, n.type), n.seq);
	audit(sr, eid, AUDIT_NOTIF_BASE | n.type, NULL, ES_STATUS_EXECUTED_SUCCESS, NULL);
	llist_for_each_entry (p, &sr->procs, entry) {
		if (strcmp(p->eid, eid) ||
		    (p->req_id != ES_MSG_ES3_ENABLE_PROFILE_REQ && p->req_id != ES_MSG_ES4_ENABLE_PROFILE_REQ))
			continue;
		if (n.type == ES5_NOTIF_PROFILE_CHANGE_SUCCEEDED) {
			/* the AID (if given) must be the one we enabled */
			if (n.isdp_aid.len &&
			    (n.isdp_aid.len != p->isdp_aid_len || memcmp(n.isdp_aid.buf, p->isdp_aid, p->isdp_aid_len)))
				osmo_fsm_inst_dispatch(p->fi, PROC_EV_NOTIF_FAILED, NULL);
			else
				osmo_fsm_inst_dispatch(p->fi, PROC_EV_NOTIF_OK, NULL);
		} else if (n.type == ES5_NOTIF_PROFILE_CHANGE_FAILED ||
			   n.type == ES5_NOTIF_PROFILE_CHANGE_AFTER_FALLBACK) {
			osmo_fsm_inst_dispatch(p->fi, PROC_EV_NOTIF_FAILED, NULL);
		}
		break;
	}
	return 0;
}

int smsr_es5_rx_notification(struct smsr *sr, const uint8_t *data, size_t len)
{
	uint16_t seq;

	return rx_notification(sr, NULL, data, len, &seq);
}

int smsr_es5_rx_notification_in_session(struct smsr *sr, const char *eid, const uint8_t *data, size_t len,
					uint16_t *seq)
{
	if (!eid || !seq)
		return -EINVAL;
	return rx_notification(sr, eid, data, len, seq);
}

/* ---- restart ------------------------------------------------------------------------------------- */

/* The answer of a procedure resumed after a restart: to the ReplyTo / RelatesTo its pending row kept. */
static void resumed_respond(void *handle, struct es_msg *resp)
{
	struct proc *p = handle;

	if (!p->sr->respond_stored || !p->reply_to[0] || !p->relates_to[0] ||
	    p->sr->respond_stored(p->sr->respond_stored_priv, p->reply_to, p->relates_to, p->ns, resp) < 0)
		LOGPFSML(p->fi, LOGL_ERROR, "the answer after the restart could not be sent to %s\n",
			 p->reply_to[0] ? p->reply_to : "(no ReplyTo)");
}

/* An EnableProfile whose 3A03 may have reached the card before the restart: the card's E1 decides (§3.4
 * steps 23-25; the card retries it until a 3A08), so wait for it again (X21) instead of answering
 * "outcome unknown". The pending row stays with the procedure (a second restart resumes it again). */
static int resume_enable(struct smsr *sr, const struct smsr_pending_row *row, enum es_msg_id req_id,
			 enum es_ns_variant ns, const char *rel)
{
	struct smsr_profile_row prof, list[8];
	struct smsr_reply reply = { .respond = resumed_respond };
	struct es_msg req = { .id = req_id };
	struct proc *p;
	size_t n = 0;

	if (smsr_store_profile_get(sr->store, row->iccid, &prof) < 0 || strcasecmp(prof.eid, row->eid))
		return -ENOENT;
	reply.requester = row->requester;
	p = proc_alloc(sr, &req, &reply, row->eid, row->iccid);
	if (!p)
		return -ENOMEM;
	p->reply.handle = p;
	snprintf(p->reply_to, sizeof(p->reply_to), "%s", row->reply_to);
	snprintf(p->relates_to, sizeof(p->relates_to), "%s", rel);
	p->ns = ns;
	p->pending_id = row->id;
	p->audit_type = AUDIT_ENABLE;
	snprintf(p->mno_id, sizeof(p->mno_id), "%s", prof.mno_id);
	memcpy(p->isdp_aid, prof.isdp_aid, prof.isdp_aid_len);
	p->isdp_aid_len = prof.isdp_aid_len;
	/* the EIS is updated only at the E1 (step 25): the profile enabled in it is the one to disable */
	if (smsr_store_profile_list(sr->store, row->eid, list, ARRAY_SIZE(list), &n) == 0)
		for (size_t i = 0; i < n && i < ARRAY_SIZE(list); i++)
			if (list[i].state == ES_PROFILE_STATE_ENABLED && strcmp(list[i].iccid, row->iccid))
				snprintf(p->prev_enabled, sizeof(p->prev_enabled), "%s", list[i].iccid);
	osmo_fsm_inst_state_chg(p->fi, PROC_ST_WAIT_NOTIFICATION, state_timeout_s(sr, SMSR_T_NOTIFICATION),
				SMSR_T_NOTIFICATION);
	LOGPFSML(p->fi, LOGL_NOTICE, "ICCID %s: resumed after a restart, waiting for the eUICC's notification\n",
		 row->iccid);
	return 0;
}

int smsr_abort_pending(struct smsr *sr, smsr_respond_stored_cb respond, void *priv)
{
	struct smsr_pending_row rows[64];
	size_t n = 0;
	int done = 0;

	if (smsr_store_pending_list(sr->store, rows, ARRAY_SIZE(rows), &n) < 0)
		return -EIO;
	for (size_t i = 0; i < n && i < ARRAY_SIZE(rows); i++) {
		struct es_msg *m;
		enum es_ns_variant ns = ES_NS_V3;
		const char *rel = rows[i].relates_to;
		int id = -1;

		for (int k = 0; k < ES_MSG__COUNT; k++)
			if (es_msgs[k].name && !strcmp(es_msgs[k].name, rows[i].kind) &&
			    es_msgs[k].kind == ES_KIND_REQUEST)
				id = k;
		if (id < 0)
			continue; /* not a procedure of this layer (SM-SR Change keeps and resumes its own) */
		if (!strncmp(rel, "v1|", 3)) {
			ns = ES_NS_V1;
			rel += 3;
		}
		sr->respond_stored = respond;
		sr->respond_stored_priv = priv;
		if ((id == ES_MSG_ES3_ENABLE_PROFILE_REQ || id == ES_MSG_ES4_ENABLE_PROFILE_REQ) &&
		    resume_enable(sr, &rows[i], (enum es_msg_id)id, ns, rel) == 0) {
			done++;
			continue;
		}
		/* the outcome on the eUICC is unknown: Failed, the MNO/SM-DP asks again (AuditEIS tells) */
		m = talloc_zero(NULL, struct es_msg);
		if (m) {
			m->id = (enum es_msg_id)(id + 1);
			resp_status(m, &(struct status){ ES_STATUS_FAILED, "1.2", "4.2",
							 "interrupted by a restart of the SM-SR; outcome unknown" });
			if (rows[i].reply_to[0] && rel[0] && respond &&
			    respond(priv, rows[i].reply_to, rel, ns, m) == 0)
				done++;
			audit(sr, rows[i].eid,
			      strstr(rows[i].kind, "EnableProfile")    ? AUDIT_ENABLE
			      : strstr(rows[i].kind, "DisableProfile") ? AUDIT_DISABLE
			      : strstr(rows[i].kind, "CreateISDP")     ? AUDIT_CREATE_ISDP
								       : AUDIT_DELETE,
			      rows[i].requester, ES_STATUS_FAILED, rows[i].iccid[0] ? rows[i].iccid : NULL);
			talloc_free(m);
		}
		LOGP(DES5, LOGL_NOTICE, "EID-%s: %s interrupted by a restart: answered Failed, no longer pending\n",
		     rows[i].eid, rows[i].kind);
		smsr_store_pending_del(sr->store, rows[i].id);
	}
	return done;
}

/* ---- lifecycle ------------------------------------------------------------------------------------ */

static int smsr_destructor(struct smsr *sr)
{
	struct proc *p, *p2;

	llist_for_each_entry_safe (p, p2, &sr->procs, entry)
		osmo_fsm_inst_term(p->fi, OSMO_FSM_TERM_REQUEST, NULL);
	return 0;
}

struct smsr *smsr_alloc(void *ctx, struct smsr_store *store, const struct smsr_cfg *cfg, const struct smsr_es5_ops *es5,
			smsr_notify_cb notify, void *priv)
{
	struct smsr *sr = talloc_zero(ctx, struct smsr);

	if (!sr)
		return NULL;
	sr->store = store;
	sr->cfg = *cfg;
	sr->cfg.smsr_id = talloc_strdup(sr, cfg->smsr_id ? cfg->smsr_id : "0");
	sr->es5 = *es5;
	sr->notify = notify;
	sr->priv = priv;
	sr->tdefs = cfg->tdefs ? cfg->tdefs : smsr_tdefs;
	INIT_LLIST_HEAD(&sr->procs);
	talloc_set_destructor(sr, smsr_destructor);
	(void)isdr_aid;
	return sr;
}

void smsr_free(struct smsr *sr)
{
	talloc_free(sr);
}

const struct smsr_stats *smsr_stats(const struct smsr *sr)
{
	return &sr->stats;
}

unsigned int smsr_num_procs(const struct smsr *sr)
{
	return llist_count(&sr->procs);
}

bool smsr_eid_busy(struct smsr *sr, const char *eid)
{
	return eid_busy(sr, eid);
}
