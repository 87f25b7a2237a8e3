/* rsplab-smdp: the ES2 provider (MNO -> SM-DP; digest §1.2, §3.1 step 1) and the forwarding of the
 * SM-SR's ES3 notifications to the MNO (§3.4 step 26). Every request is checked before anything is
 * stored; a refused request is answered Failed with a subject/reason (digest §6.5) and changes no state. */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include <osmocom/core/talloc.h>
#include <osmocom/core/timer.h>
#include <osmocom/core/utils.h>

#include "lib/crypto/ec.h"
#include "lib/soap/rps_header.h"
#include "network/smdp/dl.h"
#include "network/smdp/logging.h"
#include "network/smdp/relay.h"
#include "network/smdp/smdp.h"

static void refuse(struct smdp *s, const struct es_msg *req, const char *mno_ref, const char *subject,
		   const char *reason, const char *message)
{
	struct es_msg *m = talloc_zero(s, struct es_msg);

	rate_ctr_inc(rate_ctr_group_get_ctr(s->ctrs, SMDP_CTR_ES2_RX_BAD));
	LOGP(DES2, LOGL_NOTICE, "%s refused: %s (%s/%s)\n", es_msgs[req->id].name, message, subject, reason);
	if (!m)
		return;
	m->id = (enum es_msg_id)(req->id + 1);
	smdp_fes_set(smdp_es2_resp_fes(m), ES_STATUS_FAILED, subject, reason, message);
	if (s->ops.es2_respond)
		s->ops.es2_respond(s, mno_ref, m);
	/* A refusal is the call's result too: a retry of it is answered the same way. */
	if (s->es2_cur)
		smdp_es2_call_end(s, s->es2_cur, m, false);
	talloc_free(m);
}

/* --- ES2 calls and retries (SGP.02 §5.1; digest §6.3: "FunctionCallIdentifier ... lets the provider
 * detect retries") ----------------------------------------------------------------------------------- */

struct smdp_es2_waiter {
	struct llist_head list; /* first: freed as a list head by smdp_free() */
	struct smdp_call_key k;
	char mno_ref[SMDP_ID_MAX + 1];
};

static bool key_eq(const struct smdp_call_key *a, const struct smdp_call_key *b)
{
	return strcmp(a->requester, b->requester) == 0 && strcmp(a->fci, b->fci) == 0;
}

bool smdp_es2_call_key(const struct es_msg *req, struct smdp_call_key *k)
{
	/* BaseRequestType's FunctionCallIdentifier: the same first member of every request body. */
	const char *fci = req->u.es2_download_profile_req.function_call_identifier;
	const char *from = req->wsa.from;
	struct soap_findings f;
	struct rps_header rh;
	char arena[1024];

	memset(k, 0, sizeof(*k));
	switch (req->id) {
	case ES_MSG_ES2_DOWNLOAD_PROFILE_REQ:
	case ES_MSG_ES2_UPDATE_POLICY_RULES_REQ:
	case ES_MSG_ES2_UPDATE_SUBSCRIPTION_ADDRESS_REQ:
	case ES_MSG_ES2_ENABLE_PROFILE_REQ:
	case ES_MSG_ES2_DISABLE_PROFILE_REQ:
	case ES_MSG_ES2_DELETE_PROFILE_REQ: break;
	default: return false; /* GetEIS: a read, answered afresh */
	}
	if (!fci || !fci[0] || strlen(fci) > SMDP_ID_MAX)
		return false;
	osmo_strlcpy(k->fci, fci, sizeof(k->fci));
	/* digest §6.2: wsa:From = <URL>?EntityId=<OID>&EntityName=...: the entity, not its endpoint URL. */
	if (rps_header_from_wsa(&req->wsa, arena, sizeof(arena), &rh, &f) == 0 && rh.sender_id &&
	    strlen(rh.sender_id) <= SMDP_ID_MAX)
		osmo_strlcpy(k->requester, rh.sender_id, sizeof(k->requester));
	else if (from && strlen(from) <= SMDP_ID_MAX)
		osmo_strlcpy(k->requester, from, sizeof(k->requester));
	else if (from)
		return false; /* an identity we cannot keep: no retry detection */
	return true;
}

/* What makes two requests under one identifier the same call: the function and its parameters. */
static void call_fingerprint(const struct es_msg *req, char out[SMDP_FP_LEN + 1])
{
	uint8_t d[SHA256_LEN];
	char *t = talloc_asprintf(NULL, "%d", (int)req->id);
	const struct es_hex *eid = NULL;
	const char *a = NULL, *b = NULL, *c = NULL;

#define FP_STR(x) t = talloc_asprintf_append(t, "|%zu:%s", (x) ? strlen(x) : 0, (x) ? (x) : "")
	switch (req->id) {
	case ES_MSG_ES2_DOWNLOAD_PROFILE_REQ: {
		const struct es2_download_profile_req *r = &req->u.es2_download_profile_req;
		eid = &r->eid;
		a = r->smsr_id;
		b = r->iccid;
		c = r->profile_type;
		t = talloc_asprintf_append(t, "|%d%d", r->enable_profile.present, r->enable_profile.v);
		break;
	}
	case ES_MSG_ES2_UPDATE_POLICY_RULES_REQ: {
		const struct es2_update_policy_rules_req *r = &req->u.es2_update_policy_rules_req;
		eid = &r->eid;
		a = r->smsr_id;
		b = r->iccid;
		for (unsigned int i = 0; t && i < r->pol2.n_rule && i < ARRAY_SIZE(r->pol2.rule); i++)
			t = talloc_asprintf_append(t, "|%d.%d.%d", r->pol2.rule[i].subject, r->pol2.rule[i].action,
						   r->pol2.rule[i].qualification);
		break;
	}
	case ES_MSG_ES2_UPDATE_SUBSCRIPTION_ADDRESS_REQ: {
		const struct es2_update_subscription_address_req *r = &req->u.es2_update_subscription_address_req;
		eid = &r->eid;
		a = r->smsr_id;
		b = r->iccid;
		if (t) {
			FP_STR(r->new_subscription_address.imsi);
		}
		c = r->new_subscription_address.msisdn;
		break;
	}
	case ES_MSG_ES2_ENABLE_PROFILE_REQ:
		eid = &req->u.es2_enable_profile_req.eid;
		a = req->u.es2_enable_profile_req.smsr_id;
		b = req->u.es2_enable_profile_req.iccid;
		break;
	case ES_MSG_ES2_DISABLE_PROFILE_REQ:
		eid = &req->u.es2_disable_profile_req.eid;
		a = req->u.es2_disable_profile_req.smsr_id;
		b = req->u.es2_disable_profile_req.iccid;
		break;
	case ES_MSG_ES2_DELETE_PROFILE_REQ:
		eid = &req->u.es2_delete_profile_req.eid;
		a = req->u.es2_delete_profile_req.smsr_id;
		b = req->u.es2_delete_profile_req.iccid;
		break;
	default: break;
	}
	if (t) {
		FP_STR(a);
		FP_STR(b);
		FP_STR(c);
	}
#undef FP_STR
	if (t && eid && eid->data)
		t = talloc_asprintf_append(t, "|%s", osmo_hexdump_nospc(eid->data, eid->len));
	memset(out, 0, SMDP_FP_LEN + 1);
	if (!t || crypto_sha256((const uint8_t *)t, strlen(t), d) < 0) {
		osmo_strlcpy(out, "-", SMDP_FP_LEN + 1); /* never equal to a hash: no call matches */
	} else {
		for (size_t i = 0; i < sizeof(d); i++)
			snprintf(out + 2 * i, 3, "%02x", d[i]);
	}
	talloc_free(t);
}

void smdp_call_result_from(struct smdp_call_result *res, struct es_msg *resp)
{
	const struct es_fes *fes = smdp_es2_resp_fes(resp);

	memset(res, 0, sizeof(*res));
	if (!fes || !fes->present)
		return;
	res->status = fes->status;
	if (fes->status_code_data.present) {
		osmo_strlcpy(res->subject, fes->status_code_data.subject ? fes->status_code_data.subject : "",
			     sizeof(res->subject));
		osmo_strlcpy(res->reason, fes->status_code_data.reason ? fes->status_code_data.reason : "",
			     sizeof(res->reason));
		osmo_strlcpy(res->message, fes->status_code_data.message ? fes->status_code_data.message : "",
			     sizeof(res->message));
	}
	if (resp->id == ES_MSG_ES2_DOWNLOAD_PROFILE_RESP && resp->u.es2_download_profile_resp.iccid)
		osmo_strlcpy(res->iccid, resp->u.es2_download_profile_resp.iccid, sizeof(res->iccid));
}

void smdp_es2_call_end(struct smdp *s, const struct smdp_call_key *k, struct es_msg *resp, bool stored)
{
	struct smdp_es2_waiter *w, *n;
	struct smdp_call_result res;
	int rc;

	if (!stored) {
		smdp_call_result_from(&res, resp);
		rc = smdp_store_call_finish(s->store, k->requester, k->fci, &res);
		if (rc < 0)
			LOGP(DES2, LOGL_ERROR, "store: result of call %s not kept (%d)\n", k->fci, rc);
	}
	llist_for_each_entry_safe (w, n, &s->waiters, list) {
		if (!key_eq(&w->k, k))
			continue;
		llist_del(&w->list);
		s->n_waiters--;
		LOGP(DES2, LOGL_INFO, "retry %s of call %s answered with its result\n", w->mno_ref, k->fci);
		if (s->ops.es2_respond)
			s->ops.es2_respond(s, w->mno_ref, resp);
		talloc_free(w);
	}
}

/* Answer a retry from the stored call (or, running, with the in-progress status). */
static void answer_from_call(struct smdp *s, const struct es_msg *req, const char *mno_ref,
			     const struct smdp_call_rec *c)
{
	struct es_msg *m = talloc_zero(s, struct es_msg);
	struct es_fes *fes;

	if (!m)
		return;
	m->id = (enum es_msg_id)(req->id + 1);
	fes = smdp_es2_resp_fes(m);
	if (!c->done) {
		smdp_fes_set(fes, ES_STATUS_FAILED, "1.6", "3.3", "function call in progress");
	} else {
		smdp_fes_set(fes, (enum es_status)c->res.status, c->res.subject[0] ? c->res.subject : NULL,
			     c->res.reason[0] ? c->res.reason : NULL, c->res.message[0] ? c->res.message : NULL);
		if (m->id == ES_MSG_ES2_DOWNLOAD_PROFILE_RESP) {
			m->u.es2_download_profile_resp.present = true;
			m->u.es2_download_profile_resp.iccid = c->res.iccid[0] ? c->res.iccid : NULL;
		}
	}
	if (s->ops.es2_respond)
		s->ops.es2_respond(s, mno_ref, m);
	talloc_free(m);
}

/* Retry detection. Returns 1 when the request was answered or held (a retry, or an identifier reused
 * for another call), 0 when it is a new call (recorded as running). */
static int call_check(struct smdp *s, const struct es_msg *req, const char *mno_ref, const struct smdp_call_key *k)
{
	struct smdp_call_rec c = { 0 };
	char fp[SMDP_FP_LEN + 1];
	struct timeval tv;
	int rc;

	osmo_gettimeofday(&tv, NULL);
	/* Bounded retention: ended calls older than the retention period, and beyond the cap, go. */
	if (smdp_store_call_purge(s->store, (int64_t)tv.tv_sec - (int64_t)s->cfg->es2_call_retention,
				  s->cfg->es2_call_max) < 0)
		LOGP(DES2, LOGL_ERROR, "store: ES2 calls not purged\n");
	call_fingerprint(req, fp);
	rc = smdp_store_call_get(s->store, k->requester, k->fci, &c);
	if (rc == -ENOENT) {
		memset(&c, 0, sizeof(c));
		osmo_strlcpy(c.requester, k->requester, sizeof(c.requester));
		osmo_strlcpy(c.fci, k->fci, sizeof(c.fci));
		osmo_strlcpy(c.fingerprint, fp, sizeof(c.fingerprint));
		c.function = req->id;
		c.received = tv.tv_sec;
		rc = smdp_store_call_begin(s->store, &c);
		if (rc == 0)
			return 0;
	}
	if (rc < 0) {
		refuse(s, req, mno_ref, "1.2", "4.2", "store failure");
		return 1;
	}
	if (c.function != (int)req->id || strcmp(c.fingerprint, fp) != 0) {
		/* Not a retry: the identifier names another call. Refused, nothing recorded. */
		refuse(s, req, mno_ref, "1.6", "3.3", "FunctionCallIdentifier already used for another call");
		return 1;
	}
	rate_ctr_inc(rate_ctr_group_get_ctr(s->ctrs, SMDP_CTR_ES2_RETRY));
	if (!c.done && s->cfg->es2_retry == SMDP_RETRY_ANSWER_AT_END && s->n_waiters < SMDP_MAX_WAITERS) {
		struct smdp_es2_waiter *w = talloc_zero(s, struct smdp_es2_waiter);
		if (w) {
			w->k = *k;
			osmo_strlcpy(w->mno_ref, mno_ref ? mno_ref : "", sizeof(w->mno_ref));
			llist_add_tail(&w->list, &s->waiters);
			s->n_waiters++;
			LOGP(DES2, LOGL_INFO, "%s: retry of running call %s held until it ends\n",
			     es_msgs[req->id].name, k->fci);
			return 1;
		}
	}
	LOGP(DES2, LOGL_INFO, "%s: retry of call %s answered from the store (%s)\n", es_msgs[req->id].name, k->fci,
	     c.done ? "ended" : "in progress");
	answer_from_call(s, req, mno_ref, &c);
	return 1;
}

static int end_orphan(const struct smdp_call_rec *c, void *priv)
{
	struct smdp *s = priv;
	struct smdp_dl_rec d;
	struct smdp_call_result res = { .status = ES_STATUS_FAILED };

	/* A download that is still active finishes the call itself (dl.c). */
	if (c->dl_id && smdp_store_dl_get(s->store, c->dl_id, &d) == 0 && !d.done)
		return 0;
	osmo_strlcpy(res.subject, "1.6", sizeof(res.subject));
	osmo_strlcpy(res.reason, "4.2", sizeof(res.reason));
	osmo_strlcpy(res.message, "interrupted by a restart of the SM-DP; outcome unknown", sizeof(res.message));
	LOGP(DES2, LOGL_NOTICE, "%s call %s of %s was interrupted by the restart: ended Failed\n",
	     es_msgs[c->function > 0 && c->function < ES_MSG__COUNT ? c->function : 0].name, c->fci, c->requester);
	if (smdp_store_call_finish(s->store, c->requester, c->fci, &res) < 0)
		LOGP(DES2, LOGL_ERROR, "store: call %s not ended\n", c->fci);
	return 0;
}

int smdp_es2_calls_recover(struct smdp *s)
{
	return smdp_store_call_foreach_running(s->store, end_orphan, s);
}

static bool iccid_ok(const char *iccid)
{
	size_t n = iccid ? strlen(iccid) : 0;

	if (n < 18 || n > SMDP_ICCID_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (iccid[i] < '0' || iccid[i] > '9')
			return false;
	return true;
}

/* Step 1: choose the profile, reserve it, start the procedure. */
static int download_profile(struct smdp *s, const struct es_msg *req, const char *mno_ref)
{
	const struct es2_download_profile_req *r = &req->u.es2_download_profile_req;
	struct smdp_dl_rec rec = { 0 };
	struct smdp_profile p;
	int rc;

	if (smdp_eid_to_str(&r->eid, rec.eid) < 0) {
		refuse(s, req, mno_ref, "8.1.1", "2.1", "EID is not 16 bytes");
		return 0;
	}
	if (!r->smsr_id || !smdp_cfg_peer(s->cfg, r->smsr_id, false)) {
		refuse(s, req, mno_ref, "8.7", "1.1", "SM-SR unknown to this SM-DP");
		return 0;
	}
	if (!r->enable_profile.present) {
		refuse(s, req, mno_ref, "1.6", "2.2", "EnableProfile missing");
		return 0;
	}
	if (r->iccid) {
		if (!iccid_ok(r->iccid) || smdp_store_profile_get(s->store, r->iccid, &p) < 0) {
			refuse(s, req, mno_ref, "8.2.1", "1.1", "ICCID unknown");
			return 0;
		}
		if (r->profile_type && strcmp(r->profile_type, p.profile_type) != 0) {
			refuse(s, req, mno_ref, "8.2.5", "2.1", "ICCID is not of the requested profile type");
			return 0;
		}
	} else if (smdp_store_profile_find_available(s->store, r->profile_type, &p) < 0) {
		refuse(s, req, mno_ref, "8.2.5", "3.7", "no profile of this type available");
		return 0;
	}
	osmo_strlcpy(rec.iccid, p.iccid, sizeof(rec.iccid));
	osmo_strlcpy(rec.smsr_id, r->smsr_id, sizeof(rec.smsr_id));
	osmo_strlcpy(rec.mno_ref, mno_ref ? mno_ref : "", sizeof(rec.mno_ref));
	smdp_es2_return_from(req, &rec.ret);
	rec.enable = r->enable_profile.v;
	OPENSSL_cleanse(&p, sizeof(p));
	rc = smdp_store_dl_begin_call(s->store, &rec, s->es2_cur ? s->es2_cur->requester : NULL,
				      s->es2_cur ? s->es2_cur->fci : NULL);
	if (rc == -EEXIST) {
		/* digest §6.5: "8.2.1 Invalid destination: ICCID installed on another eUICC" (3.4,
		 * open-questions §11) */
		refuse(s, req, mno_ref, "8.2.1", "3.4", "profile belongs to another eUICC");
		return 0;
	}
	if (rc == -EALREADY) {
		refuse(s, req, mno_ref, "8.1.1", "3.3", "a download to this eUICC is already running");
		return 0;
	}
	if (rc == -EBUSY) {
		refuse(s, req, mno_ref, "8.2.1", "3.3", "profile not available");
		return 0;
	}
	if (rc < 0) {
		refuse(s, req, mno_ref, "1.2", "4.2", "store failure");
		return 0;
	}
	LOGP(DES2, LOGL_INFO, "DownloadProfile: EID %s ICCID %s via %s (enable %d) = download %" PRId64 "\n", rec.eid,
	     rec.iccid, rec.smsr_id, rec.enable, rec.id);
	if (smdp_dl_start(s, &rec) < 0) {
		smdp_store_dl_finish(s->store, rec.id, SMDP_PROFILE_AVAILABLE, "not started");
		refuse(s, req, mno_ref, "1.2", "4.2", "procedure not started");
	}
	return 0;
}

/* The ES2 functions relayed to ES3: the profile must be ours and handed to that very EID. */
static int relayed(struct smdp *s, const struct es_msg *req, const char *mno_ref, const char *smsr_id,
		   const struct es_hex *eid, const char *iccid)
{
	const struct smdp_smsr_peer *peer = smsr_id ? smdp_cfg_peer(s->cfg, smsr_id, false) : NULL;
	char eid_s[SMDP_EID_LEN + 1], assigned[SMDP_EID_LEN + 1];

	if (smdp_eid_to_str(eid, eid_s) < 0) {
		refuse(s, req, mno_ref, "8.1.1", "2.1", "EID is not 16 bytes");
		return 0;
	}
	if (!peer) {
		refuse(s, req, mno_ref, "8.7", "1.1", "SM-SR unknown to this SM-DP");
		return 0;
	}
	if (req->id != ES_MSG_ES2_GET_EIS_REQ) {
		if (!iccid_ok(iccid) || smdp_store_profile_get(s->store, iccid, NULL) < 0) {
			refuse(s, req, mno_ref, "8.2.1", "1.1", "ICCID unknown");
			return 0;
		}
		if (smdp_store_assignment_get(s->store, iccid, assigned) < 0 || strcmp(assigned, eid_s) != 0) {
			refuse(s, req, mno_ref, "8.2.1", "1.2", "profile not on this eUICC");
			return 0;
		}
	}
	if (req->id == ES_MSG_ES2_UPDATE_SUBSCRIPTION_ADDRESS_REQ) {
		const struct es_subscription_address *sa =
			&req->u.es2_update_subscription_address_req.new_subscription_address;
		size_t n = sa->msisdn ? strlen(sa->msisdn) : 0;
		for (size_t i = 0; i < n; i++)
			if (sa->msisdn[i] < '0' || sa->msisdn[i] > '9')
				n = SIZE_MAX;
		if (n > SMDP_MSISDN_MAX || (sa->imsi && strlen(sa->imsi) > SMDP_IMSI_MAX)) {
			refuse(s, req, mno_ref, "8.2.6", "2.1", "subscription address invalid");
			return 0;
		}
	}
	if (smdp_relay_start(s, peer, req, mno_ref) < 0)
		refuse(s, req, mno_ref, "8.7", "5.1", "SM-SR not reachable");
	return 0;
}

static int es2_dispatch(struct smdp *s, const struct es_msg *req, const char *mno_ref);

int smdp_es2_rx(struct smdp *s, const struct es_msg *req, const char *mno_ref)
{
	struct smdp_call_key k;
	int rc;

	if (!s || !req || req->is_fault || req->id <= ES_MSG_NONE || req->id >= ES_MSG__COUNT)
		return -EINVAL;
	rate_ctr_inc(rate_ctr_group_get_ctr(s->ctrs, SMDP_CTR_ES2_RX));
	if (smdp_es2_call_key(req, &k)) {
		if (call_check(s, req, mno_ref, &k))
			return 0;
		s->es2_cur = &k;
	}
	rc = es2_dispatch(s, req, mno_ref);
	s->es2_cur = NULL;
	return rc;
}

static int es2_dispatch(struct smdp *s, const struct es_msg *req, const char *mno_ref)
{
	switch (req->id) {
	case ES_MSG_ES2_DOWNLOAD_PROFILE_REQ: return download_profile(s, req, mno_ref);
	case ES_MSG_ES2_GET_EIS_REQ:
		return relayed(s, req, mno_ref, req->u.es2_get_eis_req.smsr_id, &req->u.es2_get_eis_req.eid, NULL);
	case ES_MSG_ES2_UPDATE_POLICY_RULES_REQ:
		return relayed(s, req, mno_ref, req->u.es2_update_policy_rules_req.smsr_id,
			       &req->u.es2_update_policy_rules_req.eid, req->u.es2_update_policy_rules_req.iccid);
	case ES_MSG_ES2_UPDATE_SUBSCRIPTION_ADDRESS_REQ:
		return relayed(s, req, mno_ref, req->u.es2_update_subscription_address_req.smsr_id,
			       &req->u.es2_update_subscription_address_req.eid,
			       req->u.es2_update_subscription_address_req.iccid);
	case ES_MSG_ES2_ENABLE_PROFILE_REQ:
		return relayed(s, req, mno_ref, req->u.es2_enable_profile_req.smsr_id,
			       &req->u.es2_enable_profile_req.eid, req->u.es2_enable_profile_req.iccid);
	case ES_MSG_ES2_DISABLE_PROFILE_REQ:
		return relayed(s, req, mno_ref, req->u.es2_disable_profile_req.smsr_id,
			       &req->u.es2_disable_profile_req.eid, req->u.es2_disable_profile_req.iccid);
	case ES_MSG_ES2_DELETE_PROFILE_REQ:
		return relayed(s, req, mno_ref, req->u.es2_delete_profile_req.smsr_id,
			       &req->u.es2_delete_profile_req.eid, req->u.es2_delete_profile_req.iccid);
	default:
		rate_ctr_inc(rate_ctr_group_get_ctr(s->ctrs, SMDP_CTR_ES2_RX_BAD));
		LOGP(DES2, LOGL_NOTICE, "%s is not an ES2 function this SM-DP provides\n", es_msgs[req->id].name);
		return -ENOTSUP;
	}
}

/* Step 26: ES3.Handle...Notification -> store -> ES2.Handle...Notification. */
int smdp_es3_notification(struct smdp *s, const struct es_msg *n)
{
	struct es_msg *out;
	const struct es_hex *eid = NULL;
	const char *iccid = NULL, *ts = NULL;
	enum smdp_profile_state to = 0;
	uint32_t from = 0;
	char eid_s[SMDP_EID_LEN + 1], assigned[SMDP_EID_LEN + 1];

	if (!s || !n || n->is_fault)
		return -EINVAL;
	rate_ctr_inc(rate_ctr_group_get_ctr(s->ctrs, SMDP_CTR_ES3_NOTIF_RX));
	switch (n->id) {
	case ES_MSG_ES3_HANDLE_PROFILE_ENABLED_NOTIF:
		eid = &n->u.es3_handle_profile_enabled_notif.eid;
		iccid = n->u.es3_handle_profile_enabled_notif.iccid;
		ts = n->u.es3_handle_profile_enabled_notif.completion_timestamp;
		to = SMDP_PROFILE_ENABLED;
		from = (1u << SMDP_PROFILE_DOWNLOADED) | (1u << SMDP_PROFILE_DISABLED) | (1u << SMDP_PROFILE_ENABLED);
		break;
	case ES_MSG_ES3_HANDLE_PROFILE_DISABLED_NOTIF:
		eid = &n->u.es3_handle_profile_disabled_notif.eid;
		iccid = n->u.es3_handle_profile_disabled_notif.iccid;
		ts = n->u.es3_handle_profile_disabled_notif.completion_timestamp;
		to = SMDP_PROFILE_DISABLED;
		from = (1u << SMDP_PROFILE_ENABLED) | (1u << SMDP_PROFILE_DISABLED) | (1u << SMDP_PROFILE_DOWNLOADED);
		break;
	case ES_MSG_ES3_HANDLE_PROFILE_DELETED_NOTIF:
		eid = &n->u.es3_handle_profile_deleted_notif.eid;
		iccid = n->u.es3_handle_profile_deleted_notif.iccid;
		ts = n->u.es3_handle_profile_deleted_notif.completion_timestamp;
		to = SMDP_PROFILE_DELETED;
		from = (1u << SMDP_PROFILE_ENABLED) | (1u << SMDP_PROFILE_DISABLED) | (1u << SMDP_PROFILE_DOWNLOADED) |
		       (1u << SMDP_PROFILE_DELETED);
		break;
	case ES_MSG_ES3_HANDLE_SMSR_CHANGE_NOTIF:
		out = talloc_zero(s, struct es_msg);
		if (!out)
			return -ENOMEM;
		out->id = ES_MSG_ES2_HANDLE_SMSR_CHANGE_NOTIF;
		out->u.es2_handle_smsr_change_notif.present = true;
		out->u.es2_handle_smsr_change_notif.eis = n->u.es3_handle_smsr_change_notif.eis;
		out->u.es2_handle_smsr_change_notif.completion_timestamp =
			n->u.es3_handle_smsr_change_notif.completion_timestamp;
		if (s->ops.es2_notify)
			s->ops.es2_notify(s, out);
		talloc_free(out);
		return 0;
	default: LOGP(DES3, LOGL_NOTICE, "%s is not an ES3 notification\n", es_msgs[n->id].name); return -ENOTSUP;
	}
	if (smdp_eid_to_str(eid, eid_s) < 0 || !iccid_ok(iccid)) {
		LOGP(DES3, LOGL_NOTICE, "%s with a malformed EID/ICCID: dropped\n", es_msgs[n->id].name);
		return -EBADMSG;
	}
	if (smdp_store_assignment_get(s->store, iccid, assigned) < 0 || strcmp(assigned, eid_s) != 0) {
		LOGP(DES3, LOGL_NOTICE, "%s for ICCID %s not ours on EID %s: not forwarded\n", es_msgs[n->id].name,
		     iccid, eid_s);
		return -ENOENT;
	}
	if (smdp_store_profile_set_state(s->store, iccid, eid_s, from, to) < 0)
		LOGP(DES3, LOGL_NOTICE, "%s: ICCID %s not in a state that allows %s\n", es_msgs[n->id].name, iccid,
		     get_value_string(smdp_profile_state_names, to));
	out = talloc_zero(s, struct es_msg);
	if (!out)
		return -ENOMEM;
	switch (n->id) {
	case ES_MSG_ES3_HANDLE_PROFILE_ENABLED_NOTIF:
		out->id = ES_MSG_ES2_HANDLE_PROFILE_ENABLED_NOTIF;
		out->u.es2_handle_profile_enabled_notif =
			(struct es2_handle_profile_enabled_notif){ true, *eid, iccid, ts };
		break;
	case ES_MSG_ES3_HANDLE_PROFILE_DISABLED_NOTIF:
		out->id = ES_MSG_ES2_HANDLE_PROFILE_DISABLED_NOTIF;
		out->u.es2_handle_profile_disabled_notif =
			(struct es2_handle_profile_disabled_notif){ true, *eid, iccid, ts };
		break;
	default:
		out->id = ES_MSG_ES2_HANDLE_PROFILE_DELETED_NOTIF;
		out->u.es2_handle_profile_deleted_notif =
			(struct es2_handle_profile_deleted_notif){ true, *eid, iccid, ts };
		break;
	}
	if (s->ops.es2_notify)
		s->ops.es2_notify(s, out);
	talloc_free(out);
	return 0;
}
