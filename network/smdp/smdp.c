/* rsplab-smdp: the daemon object, configuration defaults, the ES3 call table and restart recovery. */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include <osmocom/core/fsm.h>
#include <osmocom/core/talloc.h>
#include <osmocom/core/utils.h>

#include "lib/esnet/esnet.h"
#include "network/smdp/dl.h"
#include "network/smdp/logging.h"
#include "network/smdp/relay.h"
#include "network/smdp/smdp.h"

struct osmo_tdef smdp_tdefs[] = {
	{ .T = SMDP_T_GET_EIS, .default_val = 30, .unit = OSMO_TDEF_S, .desc = "ES3.GetEIS answer (steps 2-3)" },
	{ .T = SMDP_T_CREATE_ISDP, .default_val = 120, .unit = OSMO_TDEF_S, .desc = "ES3.CreateISDP answer (4-6)" },
	{ .T = SMDP_T_KEYSET, .default_val = 120, .unit = OSMO_TDEF_S, .desc = "ES3.SendData answer, key set (7-12)" },
	{ .T = SMDP_T_DOWNLOAD, .default_val = 120, .unit = OSMO_TDEF_S, .desc = "ES3.SendData answer, SCP03t (13-16)" },
	{ .T = SMDP_T_COMPLETED,
	  .default_val = 30,
	  .unit = OSMO_TDEF_S,
	  .desc = "ES3.ProfileDownloadCompleted answer (17-18)" },
	{ .T = SMDP_T_ENABLE, .default_val = 600, .unit = OSMO_TDEF_S, .desc = "ES3.EnableProfile answer (19-25)" },
	{ .T = SMDP_T_DELETE_ISDP,
	  .default_val = 120,
	  .unit = OSMO_TDEF_S,
	  .desc = "ES3.DeleteISDP answer (error management)" },
	{ .T = SMDP_T_RELAY, .default_val = 300, .unit = OSMO_TDEF_S, .desc = "ES3 answer to a relayed ES2 function" },
	{}
};

const struct value_string smdp_chaining_names[] = {
	{ SMDP_CHAIN_NJIWA, "njiwa" },
	{ SMDP_CHAIN_NONE, "none" },
	{ 0, NULL },
};

static const struct rate_ctr_desc smdp_ctr_desc[] = {
	[SMDP_CTR_ES2_RX] = { "es2:rx", "ES2 requests received" },
	[SMDP_CTR_ES2_RX_BAD] = { "es2:rx_refused", "ES2 requests refused (malformed or not allowed)" },
	[SMDP_CTR_ES3_TX] = { "es3:tx", "ES3 requests sent" },
	[SMDP_CTR_ES3_RX] = { "es3:rx", "ES3 answers received" },
	[SMDP_CTR_ES3_RX_LATE] = { "es3:rx_late", "ES3 answers for no outstanding call" },
	[SMDP_CTR_ES3_NOTIF_RX] = { "es3:notif_rx", "ES3 notifications received" },
	[SMDP_CTR_DL_STARTED] = { "dl:started", "downloads started or resumed" },
	[SMDP_CTR_DL_SUCCESS] = { "dl:success", "downloads ended with success (or warning)" },
	[SMDP_CTR_DL_FAILED] = { "dl:failed", "downloads failed" },
	[SMDP_CTR_DL_TIMEOUT] = { "dl:timeout", "download steps timed out" },
	[SMDP_CTR_DL_CLEANUP] = { "dl:cleanup", "ISD-P clean-ups (DeleteISDP) started" },
	[SMDP_CTR_DL_CLEANUP_FAILED] = { "dl:cleanup_failed", "ISD-P clean-ups left for the next start" },
	[SMDP_CTR_SCP03T_SEGMENTS] = { "scp03t:segments", "SCP03t segments acknowledged" },
	[SMDP_CTR_RELAY] = { "es2:relay", "ES2 functions relayed to ES3" },
	[SMDP_CTR_ES2_RETRY] = { "es2:retry", "ES2 retries (known FunctionCallIdentifier) answered without a new "
					      "call" },
};

const struct value_string smdp_retry_mode_names[] = {
	{ SMDP_RETRY_ANSWER_AT_END, "answer-at-end" },
	{ SMDP_RETRY_IN_PROGRESS, "in-progress" },
	{ 0, NULL },
};

static const struct rate_ctr_group_desc smdp_ctrg_desc = {
	.group_name_prefix = "smdp",
	.group_description = "SM-DP",
	.num_ctr = ARRAY_SIZE(smdp_ctr_desc),
	.ctr_desc = smdp_ctr_desc,
};

void smdp_variants_default(struct smdp_variants *v)
{
	memset(v, 0, sizeof(*v));
	v->ecka = ecka_variants_default;
	v->scp03t = scp03t_variants_default;
	v->es = es_variant_default;
	v->coding = RSCRIPT_DEFINITE;
	v->chaining = SMDP_CHAIN_NJIWA;
	v->isdp_kvn = 0x30;	/* open-questions §3 trace */
	v->scp03t_kid = 0x00;	/* open-questions §5: `84 0A 30 00 …` */
	v->scp03t_level = 0x33; /* digest §5.4 */
	v->segment_size = SCP03T_SEGMENT_DEFAULT;
}

void smdp_cfg_init(struct smdp_cfg *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	osmo_strlcpy(cfg->db_path, "rsplab-smdp.db", sizeof(cfg->db_path));
	cfg->delete_retries = 3;
	cfg->es2_retry = SMDP_RETRY_ANSWER_AT_END;
	cfg->es2_call_retention = 86400;
	cfg->es2_call_max = 10000;
	cfg->tdefs = smdp_tdefs;
	osmo_tdefs_reset(cfg->tdefs); /* val = default_val */
}

void smdp_cfg_fini(struct smdp_cfg *cfg)
{
	EVP_PKEY_free(cfg->dp_key);
	X509_free(cfg->ci);
	for (unsigned int i = 0; i < cfg->n_eum; i++)
		X509_free(cfg->eum[i]);
	cfg->dp_key = NULL;
	cfg->ci = NULL;
	cfg->n_eum = 0;
}

struct smdp_smsr_peer *smdp_cfg_peer(struct smdp_cfg *cfg, const char *id, bool create)
{
	struct smdp_smsr_peer *free_slot = NULL;

	if (!id || !id[0] || strlen(id) > SMDP_ID_MAX)
		return NULL;
	for (unsigned int i = 0; i < SMDP_MAX_PEERS; i++) {
		if (cfg->smsr[i].used && strcmp(cfg->smsr[i].id, id) == 0)
			return &cfg->smsr[i];
		if (!cfg->smsr[i].used && !free_slot)
			free_slot = &cfg->smsr[i];
	}
	if (!create || !free_slot)
		return NULL;
	memset(free_slot, 0, sizeof(*free_slot));
	free_slot->used = true;
	osmo_strlcpy(free_slot->id, id, sizeof(free_slot->id));
	smdp_variants_default(&free_slot->v);
	return free_slot;
}

void smdp_fes_set(struct es_fes *fes, enum es_status st, const char *subject, const char *reason, const char *message)
{
	memset(fes, 0, sizeof(*fes));
	fes->present = true;
	fes->status = st;
	if (st != ES_STATUS_EXECUTED_SUCCESS) {
		fes->status_code_data.present = true;
		fes->status_code_data.subject = subject ? subject : "1.2";
		fes->status_code_data.reason = reason ? reason : "4.2";
		fes->status_code_data.message = message;
	}
}

void smdp_es2_return_from(const struct es_msg *req, struct smdp_es2_return *ret)
{
	const struct soap_wsa *w = &req->wsa;
	/* digest §6.3: the callback goes to wsa:ReplyTo; absent or anonymous, to the sender (wsa:From). */
	const char *to = w->reply_to && strcmp(w->reply_to, SOAP_WSA_ANONYMOUS) != 0 ? w->reply_to : w->from;
	/* BaseRequestType's FunctionCallIdentifier: the same first member of every request body. */
	const char *fci = req->u.es2_download_profile_req.function_call_identifier;

	memset(ret, 0, sizeof(*ret));
	if (!to || esnet_url_strip_query(to, ret->reply_to, sizeof(ret->reply_to)) < 0)
		ret->reply_to[0] = '\0';
	if (w->message_id && strlen(w->message_id) < sizeof(ret->message_id))
		osmo_strlcpy(ret->message_id, w->message_id, sizeof(ret->message_id));
	if (fci && strlen(fci) < sizeof(ret->fci))
		osmo_strlcpy(ret->fci, fci, sizeof(ret->fci));
	ret->ns = req->ns_seen;
}

int smdp_eid_to_str(const struct es_hex *eid, char out[SMDP_EID_LEN + 1])
{
	if (!eid || !eid->data || eid->len != SMDP_EID_LEN / 2)
		return -EINVAL;
	for (size_t i = 0; i < eid->len; i++)
		snprintf(out + 2 * i, 3, "%02X", eid->data[i]);
	return 0;
}

/* --- outstanding ES3 calls ----------------------------------------------------------------------- */

struct smdp_call {
	struct llist_head list;
	uint32_t id;
	struct osmo_fsm_inst *fi;
};

static bool fsms_registered;

void smdp_fsms_init(void)
{
	if (fsms_registered)
		return;
	OSMO_ASSERT(osmo_fsm_register(&smdp_dl_fsm) == 0);
	OSMO_ASSERT(osmo_fsm_register(&smdp_relay_fsm) == 0);
	fsms_registered = true;
}

static unsigned int ctrg_idx;

struct smdp *smdp_alloc(void *ctx, struct smdp_cfg *cfg, struct smdp_store *store, const struct smdp_ops *ops)
{
	struct smdp *s = talloc_zero(ctx, struct smdp);

	if (!s)
		return NULL;
	smdp_fsms_init();
	s->cfg = cfg;
	s->store = store;
	s->ops = *ops;
	INIT_LLIST_HEAD(&s->calls);
	INIT_LLIST_HEAD(&s->waiters);
	s->next_call_id = 1;
	s->ctrs = rate_ctr_group_alloc(s, &smdp_ctrg_desc, ctrg_idx++);
	if (!s->ctrs) {
		talloc_free(s);
		return NULL;
	}
	return s;
}

/* Terminate every procedure instance of s (no answers are sent: as if the process stopped). */
static void term_children(struct smdp *s, struct osmo_fsm *fsm)
{
	struct osmo_fsm_inst *fi, *n;

	llist_for_each_entry_safe (fi, n, &fsm->instances, list)
		if (talloc_parent(fi) == s)
			osmo_fsm_inst_term(fi, OSMO_FSM_TERM_REQUEST, NULL);
}

void smdp_free(struct smdp *s)
{
	struct smdp_call *c, *n;

	if (!s)
		return;
	term_children(s, &smdp_dl_fsm);
	term_children(s, &smdp_relay_fsm);
	/* Held retries die with the process unanswered (their connections do too). */
	while (!llist_empty(&s->waiters)) {
		struct llist_head *w = s->waiters.next;
		llist_del(w);
		talloc_free(w);
	}
	llist_for_each_entry_safe (c, n, &s->calls, list) {
		llist_del(&c->list);
		talloc_free(c);
	}
	rate_ctr_group_free(s->ctrs);
	s->ctrs = NULL;
	talloc_free(s);
}

int smdp_es3_send(struct smdp *s, struct osmo_fsm_inst *fi, const struct smdp_smsr_peer *smsr, struct es_msg *req)
{
	struct smdp_call *c;
	int rc;

	if (!s->ops.es3_call)
		return -ENOTCONN;
	c = talloc_zero(s, struct smdp_call);
	if (!c)
		return -ENOMEM;
	c->id = s->next_call_id++;
	if (s->next_call_id == 0)
		s->next_call_id = 1;
	c->fi = fi;
	llist_add_tail(&c->list, &s->calls);
	rate_ctr_inc(rate_ctr_group_get_ctr(s->ctrs, SMDP_CTR_ES3_TX));
	LOGPFSML(fi, LOGL_DEBUG, "ES3 %s -> %s (call %u)\n", es_msgs[req->id].name, smsr->id, c->id);
	rc = s->ops.es3_call(s, c->id, smsr, req);
	if (rc < 0) {
		llist_del(&c->list);
		talloc_free(c);
	}
	return rc;
}

void smdp_calls_forget(struct smdp *s, struct osmo_fsm_inst *fi)
{
	struct smdp_call *c, *n;

	llist_for_each_entry_safe (c, n, &s->calls, list) {
		if (c->fi != fi)
			continue;
		llist_del(&c->list);
		talloc_free(c);
	}
}

void smdp_es3_rx(struct smdp *s, uint32_t call_id, int rc, const struct es_msg *resp)
{
	struct smdp_call *c, *found = NULL;
	struct smdp_es3_answer a = { .rc = rc, .resp = rc == 0 ? resp : NULL };
	struct osmo_fsm_inst *fi;

	llist_for_each_entry (c, &s->calls, list) {
		if (c->id == call_id) {
			found = c;
			break;
		}
	}
	if (!found) {
		rate_ctr_inc(rate_ctr_group_get_ctr(s->ctrs, SMDP_CTR_ES3_RX_LATE));
		LOGP(DES3, LOGL_NOTICE, "answer for call %u which is not outstanding: dropped\n", call_id);
		return;
	}
	rate_ctr_inc(rate_ctr_group_get_ctr(s->ctrs, SMDP_CTR_ES3_RX));
	fi = found->fi;
	llist_del(&found->list);
	talloc_free(found);
	if (a.rc == 0 && !a.resp)
		a.rc = -EBADMSG;
	osmo_fsm_inst_dispatch(fi, SMDP_EV_ES3_RX, &a);
}

/* --- restart recovery ---------------------------------------------------------------------------- */

static int recover_one(const struct smdp_dl_rec *r, void *priv)
{
	struct smdp *s = priv;
	struct smdp_dl_rec rec = *r;

	LOGP(DSMDP, LOGL_NOTICE, "download %" PRId64 " (EID %s ICCID %s) unfinished at step %s\n", r->id, r->eid,
	     r->iccid, get_value_string(smdp_dl_step_names, r->step));
	/* The transport handle belonged to the previous process (and may name a new request now): step 27
	 * goes out as a callback to the stored return address instead. */
	rec.mno_ref[0] = '\0';
	if (smdp_dl_start(s, &rec) == 0)
		s->recovered++;
	return 0;
}

int smdp_recover(struct smdp *s)
{
	int rc;

	s->recovered = 0;
	rc = smdp_store_dl_foreach_active(s->store, recover_one, s);
	if (rc >= 0 && smdp_es2_calls_recover(s) < 0)
		LOGP(DSMDP, LOGL_ERROR, "store: the ES2 calls of the previous process could not be ended\n");
	return rc < 0 ? rc : (int)s->recovered;
}
