/* rsplab-smdp: the ES2 provider (MNO -> SM-DP; digest §1.2, §3.1 step 1) and the forwarding of the
 * SM-SR's ES3 notifications to the MNO (§3.4 step 26). Every request is checked before anything is
 * stored; a refused request is answered Failed with a subject/reason (digest §6.5) and changes no state. */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include <osmocom/core/talloc.h>
#include <osmocom/core/utils.h>

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
	talloc_free(m);
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
	rc = smdp_store_dl_begin(s->store, &rec);
	if (rc == -EEXIST) {
		refuse(s, req, mno_ref, "8.2.1", "1.2", "profile belongs to another eUICC");
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

int smdp_es2_rx(struct smdp *s, const struct es_msg *req, const char *mno_ref)
{
	if (!s || !req || req->is_fault || req->id <= ES_MSG_NONE || req->id >= ES_MSG__COUNT)
		return -EINVAL;
	rate_ctr_inc(rate_ctr_group_get_ctr(s->ctrs, SMDP_CTR_ES2_RX));
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
