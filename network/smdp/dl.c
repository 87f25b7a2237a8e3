/* rsplab-smdp: the download procedure FSM (see dl.h). Host side of ES8: lib/es5 builds the APDUs,
 * lib/ecka the key agreement, lib/scp03t the secure channel, lib/rscript the scripts, lib/saip reads
 * the EUICCResponse. No key material is logged. */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include <openssl/crypto.h>
#include <osmocom/core/fsm.h>
#include <osmocom/core/talloc.h>
#include <osmocom/core/utils.h>

#include "lib/crypto/sym.h"
#include "lib/es5/es5.h"
#include "lib/ids/ids.h"
#include "lib/saip/saip.h"
#include "lib/tlv/bertlv.h"
#include "network/smdp/dl.h"
#include "network/smdp/logging.h"

#define S(x) (1u << (x))

#define SCRIPT_MAX (SCP03T_MAX_TLV + 64)

struct smdp_dl {
	struct smdp *s;
	struct smdp_dl_rec rec;
	const struct smdp_smsr_peer *peer;
	struct smdp_profile prof;
	uint8_t *pkg;
	size_t pkg_len;
	EVP_PKEY *ecasd_pub;
	struct ecka_host host;
	uint8_t crt[ECKA_CRT_MAX];
	size_t crt_len;
	uint8_t rc[ECKA_DR_MAX];
	size_t rc_len;
	struct ecka_keys keys;
	struct scp03t_host scp;
	size_t seg_off;
	unsigned int seg_n, seg_total;
	/* The outcome reported to the MNO (step 27). */
	bool failed;
	enum es_status status;
	const char *subject, *reason;
	char message[128];
	char sr_subject[16], sr_reason[16]; /* the SM-SR's codes when they are passed on */
	unsigned int delete_attempts;
	bool isdp_maybe; /* CreateISDP was sent: failures end in DeleteISDP */
};

static const struct value_string dl_event_names[] = {
	{ SMDP_EV_ES3_RX, "ES3_RX" },
	{ 0, NULL },
};

static const struct osmo_tdef_state_timeout dl_timeouts[32] = {
	[SMDP_DL_ST_GET_EIS] = { .T = SMDP_T_GET_EIS },		[SMDP_DL_ST_CREATE_ISDP] = { .T = SMDP_T_CREATE_ISDP },
	[SMDP_DL_ST_KEYSET_CERT] = { .T = SMDP_T_KEYSET },	[SMDP_DL_ST_KEYSET_AGREE] = { .T = SMDP_T_KEYSET },
	[SMDP_DL_ST_SCP03T_OPEN] = { .T = SMDP_T_DOWNLOAD },	[SMDP_DL_ST_SEGMENT] = { .T = SMDP_T_DOWNLOAD },
	[SMDP_DL_ST_COMPLETED] = { .T = SMDP_T_COMPLETED },	[SMDP_DL_ST_ENABLE] = { .T = SMDP_T_ENABLE },
	[SMDP_DL_ST_DELETE_ISDP] = { .T = SMDP_T_DELETE_ISDP },
};

#define LOG_DL(fi, lvl, fmt, args...) LOGPFSML(fi, lvl, fmt, ##args)

static void dl_send(struct osmo_fsm_inst *fi);
static void dl_fail(struct osmo_fsm_inst *fi, const char *subject, const char *reason, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void dl_goto(struct osmo_fsm_inst *fi, enum smdp_dl_state st)
{
	struct smdp_dl *dl = fi->priv;

	osmo_tdef_fsm_inst_state_chg(fi, st, dl_timeouts, dl->s->cfg->tdefs, 60);
	dl_send(fi);
}

/* Step 27 and the end of the instance. The MNO is answered once per ES2 call: a download resumed after
 * a restart whose call already has its result (a clean-up left for the next start answered it) ends
 * without a second answer. */
static void dl_finish(struct osmo_fsm_inst *fi, enum smdp_profile_state to, bool keep_row)
{
	struct smdp_dl *dl = fi->priv;
	struct smdp *s = dl->s;
	struct smdp_call_rec call;
	struct smdp_call_key key;
	struct smdp_call_result res;
	bool has_call = smdp_store_call_get_by_dl(s->store, dl->rec.id, &call) == 0;
	bool answered = has_call && call.done;
	struct es_msg *m;
	int rc;

	if (dl->failed)
		rate_ctr_inc(rate_ctr_group_get_ctr(s->ctrs, SMDP_CTR_DL_FAILED));
	else
		rate_ctr_inc(rate_ctr_group_get_ctr(s->ctrs, SMDP_CTR_DL_SUCCESS));
	LOG_DL(fi, dl->failed ? LOGL_NOTICE : LOGL_INFO, "ES2.DownloadProfile result: %s%s%s\n",
	       get_value_string(es_status_names, dl->status), dl->failed ? ": " : "", dl->failed ? dl->message : "");
	m = talloc_zero(fi, struct es_msg);
	if (m) {
		m->id = ES_MSG_ES2_DOWNLOAD_PROFILE_RESP;
		m->u.es2_download_profile_resp.present = true;
		smdp_fes_set(&m->u.es2_download_profile_resp.function_execution_status, dl->status, dl->subject,
			     dl->reason, dl->failed || dl->status != ES_STATUS_EXECUTED_SUCCESS ? dl->message : NULL);
		m->u.es2_download_profile_resp.iccid = dl->rec.iccid;
		smdp_call_result_from(&res, m);
	}
	if (has_call) {
		osmo_strlcpy(key.requester, call.requester, sizeof(key.requester));
		osmo_strlcpy(key.fci, call.fci, sizeof(key.fci));
	}
	/* The download row and the call's result in one transaction: a retry after a crash right after
	 * it gets the result from the store. */
	if (!keep_row) {
		rc = smdp_store_dl_finish_call(s->store, dl->rec.id, to, dl->failed ? dl->message : "ok",
					       has_call && !answered && m ? &res : NULL);
		if (rc < 0)
			LOG_DL(fi, LOGL_ERROR, "store: cannot finish download: %d\n", rc);
	} else if (has_call && !answered && m) {
		if (smdp_store_call_finish(s->store, key.requester, key.fci, &res) < 0)
			LOG_DL(fi, LOGL_ERROR, "store: cannot keep the call's result\n");
	}
	if (m && answered) {
		LOG_DL(fi, LOGL_NOTICE, "ES2 call %s was answered before the restart: not answered again\n", key.fci);
	} else if (m) {
		if (dl->rec.mno_ref[0] && s->ops.es2_respond)
			s->ops.es2_respond(s, dl->rec.mno_ref, m);
		else if (dl->rec.ret.reply_to[0] && dl->rec.ret.message_id[0] && s->ops.es2_callback)
			s->ops.es2_callback(s, &dl->rec.ret, m);
		else
			LOG_DL(fi, LOGL_ERROR, "ES2.DownloadProfile answer cannot be delivered: no return address\n");
		if (has_call)
			smdp_es2_call_end(s, &key, m, true); /* the retries held meanwhile */
	}
	talloc_free(m);
	osmo_fsm_inst_term(fi, OSMO_FSM_TERM_REGULAR, NULL);
}

/* Record a failure; before CreateISDP the procedure ends, after it the ISD-P is deleted first. */
static void dl_fail(struct osmo_fsm_inst *fi, const char *subject, const char *reason, const char *fmt, ...)
{
	struct smdp_dl *dl = fi->priv;
	va_list ap;

	if (!dl->failed) {
		dl->failed = true;
		dl->status = ES_STATUS_FAILED;
		dl->subject = subject;
		dl->reason = reason;
		va_start(ap, fmt);
		vsnprintf(dl->message, sizeof(dl->message), fmt, ap);
		va_end(ap);
		LOG_DL(fi, LOGL_NOTICE, "failed in %s: %s (%s/%s)\n", osmo_fsm_inst_state_name(fi), dl->message,
		       subject, reason);
	}
	if (fi->state == SMDP_DL_ST_DELETE_ISDP)
		return; /* handled by the state itself */
	if (!dl->isdp_maybe) {
		dl_finish(fi, SMDP_PROFILE_AVAILABLE, false);
		return;
	}
	{
		rate_ctr_inc(rate_ctr_group_get_ctr(dl->s->ctrs, SMDP_CTR_DL_CLEANUP));
		dl_goto(fi, SMDP_DL_ST_DELETE_ISDP);
	}
}

/* The SM-SR's FunctionExecutionStatus of a response; NULL if not a success. */
static const struct es_fes *resp_fes(const struct es_msg *m)
{
	switch (m->id) {
	case ES_MSG_ES3_GET_EIS_RESP: return &m->u.es3_get_eis_resp.function_execution_status;
	case ES_MSG_ES3_CREATE_ISDP_RESP: return &m->u.es3_create_isdp_resp.function_execution_status;
	case ES_MSG_ES3_SEND_DATA_RESP: return &m->u.es3_send_data_resp.function_execution_status;
	case ES_MSG_ES3_PROFILE_DOWNLOAD_COMPLETED_RESP:
		return &m->u.es3_profile_download_completed_resp.function_execution_status;
	case ES_MSG_ES3_ENABLE_PROFILE_RESP: return &m->u.es3_enable_profile_resp.function_execution_status;
	case ES_MSG_ES3_DELETE_ISDP_RESP: return &m->u.es3_delete_isdp_resp.function_execution_status;
	default: return NULL;
	}
}

/* Our static copy of a status code the peer sent, if it is one we know (the peer's string is not kept). */
static const char *known_code(const struct es_code_name *table, const char *code)
{
	for (const struct es_code_name *e = table; code && e->code; e++)
		if (strcmp(e->code, code) == 0)
			return e->code;
	return NULL;
}

/* Check an answer: the transport delivered it, it is the response of the expected function, and the
 * SM-SR reports success. On any failure dl_fail() is called (with the SM-SR's status code when it
 * sent one) and false is returned. */
static bool answer_ok(struct osmo_fsm_inst *fi, const struct smdp_es3_answer *a, enum es_msg_id want)
{
	const struct es_fes *fes;

	if (a->rc < 0 || !a->resp) {
		dl_fail(fi, "8.7", "5.1", "SM-SR not reachable (%d)", a->rc);
		return false;
	}
	if (a->resp->is_fault || a->resp->id != want) {
		dl_fail(fi, "8.7", "2.1", "unexpected answer from the SM-SR");
		return false;
	}
	fes = resp_fes(a->resp);
	if (!fes || !fes->present || !fes->status) {
		dl_fail(fi, "8.7", "2.2", "answer without FunctionExecutionStatus");
		return false;
	}
	if (fes->status != ES_STATUS_EXECUTED_SUCCESS && fes->status != ES_STATUS_EXECUTED_WITHWARNING) {
		const struct es_status_code_data *c = &fes->status_code_data;
		/* Pass the SM-SR's subject/reason on when they are known codes (strings owned by us). */
		const char *subj = c->present ? known_code(es_subject_codes, c->subject) : NULL;
		const char *reas = c->present ? known_code(es_reason_codes, c->reason) : NULL;
		dl_fail(fi, subj ? subj : "8.7", reas ? reas : "4.2", "SM-SR answered %s",
			get_value_string(es_status_names, fes->status));
		return false;
	}
	return true;
}

/* --- script helpers ---------------------------------------------------------------------------------- */

static void script_begin(struct smdp_dl *dl, struct rscript_builder *b, uint8_t *buf, size_t cap, int chain)
{
	rscript_cmd_begin(b, buf, cap, dl->peer->v.coding);
	/* TS 102 226 §5.2.1.4: the script chaining TLV comes first in the script. */
	if (chain && dl->peer->v.chaining == SMDP_CHAIN_NJIWA)
		rscript_cmd_add_chaining(b, (enum rscript_chaining)chain);
}

/* Add SCP03t TLVs (as written by lib/scp03t) as script items. */
static void script_add_scp03t(struct rscript_builder *b, const uint8_t *tlvs, size_t len)
{
	struct scp03t_tlv t;
	int n;

	while (len > 0) {
		n = scp03t_tlv_decode(&t, tlvs, len);
		if (n <= 0) {
			rscript_cmd_add(b, RSCRIPT_CMD_SCP03T_DATA, NULL, SIZE_MAX); /* poisons the builder */
			return;
		}
		rscript_cmd_add(b, (enum rscript_cmd_kind)t.tag, t.value, t.len);
		tlvs += n;
		len -= (size_t)n;
	}
}

static int send_data(struct osmo_fsm_inst *fi, const uint8_t *sd_aid, size_t aid_len, const uint8_t *script, size_t len)
{
	struct smdp_dl *dl = fi->priv;
	struct es_msg *m = talloc_zero(fi, struct es_msg);
	uint8_t eid[16];
	int rc;

	if (!m)
		return -ENOMEM;
	if (osmo_hexparse(dl->rec.eid, eid, sizeof(eid)) != sizeof(eid)) {
		talloc_free(m);
		return -EINVAL;
	}
	m->id = ES_MSG_ES3_SEND_DATA_REQ;
	m->u.es3_send_data_req.present = true;
	m->u.es3_send_data_req.eid = (struct es_hex){ eid, sizeof(eid) };
	m->u.es3_send_data_req.sd_aid = (struct es_hex){ sd_aid, aid_len };
	m->u.es3_send_data_req.data = (struct es_hex){ script, len };
	/* MoreToDo keeps the ES5 session open until the last script (digest §3.1 step 4). */
	m->u.es3_send_data_req.more_to_do =
		(struct es_bool){ true, !(fi->state == SMDP_DL_ST_SEGMENT && dl->seg_n + 1 == dl->seg_total) };
	rc = smdp_es3_send(dl->s, fi, dl->peer, m);
	talloc_free(m);
	return rc;
}

/* The items of the eUICC's response script in a SendData answer (EuiccResponseData). */
static int rsp_items(const struct es_msg *resp, struct rscript_rsp_item *items, size_t max, size_t *n)
{
	const struct es_hex *d = &resp->u.es3_send_data_resp.euicc_response_data;
	int rc;

	if (!d->data || d->len == 0)
		return -EBADMSG;
	rc = rscript_rsp_decode(d->data, d->len, items, max, n);
	if (rc < 0)
		return rc;
	if ((size_t)rc != d->len)
		return -EBADMSG;
	if (*n > max)
		return -EMSGSIZE;
	return 0;
}

/* --- the steps ---------------------------------------------------------------------------------------- */

static int eid_bytes(const struct smdp_dl *dl, uint8_t eid[16])
{
	return osmo_hexparse(dl->rec.eid, eid, 16) == 16 ? 0 : -EINVAL;
}

static void send_get_eis(struct osmo_fsm_inst *fi)
{
	struct smdp_dl *dl = fi->priv;
	struct es_msg *m = talloc_zero(fi, struct es_msg);
	uint8_t eid[16];
	int rc = -ENOMEM;

	if (smdp_store_dl_step(dl->s->store, dl->rec.id, SMDP_STEP_GET_EIS, 0, NULL, 0) < 0) {
		talloc_free(m);
		dl_fail(fi, "1.2", "4.2", "store failure");
		return;
	}
	if (m && eid_bytes(dl, eid) == 0) {
		m->id = ES_MSG_ES3_GET_EIS_REQ;
		m->u.es3_get_eis_req.present = true;
		m->u.es3_get_eis_req.eid = (struct es_hex){ eid, sizeof(eid) };
		rc = smdp_es3_send(dl->s, fi, dl->peer, m);
	}
	talloc_free(m);
	if (rc < 0)
		dl_fail(fi, "8.7", "5.1", "ES3.GetEIS not sent (%d)", rc);
}

/* The ECASD certificate of an EIS: the first certificate of the ECASD's key sets (digest §4.6: "The
 * ECASD cert in the EIS sits in the ECASD key set of type CA"). */
static const struct es_hex *eis_ecasd_cert(const struct es_eis *eis)
{
	const struct es_security_domain *sd = &eis->eum_signed_info.ecasd;

	for (unsigned int i = 0; i < sd->n_keyset && i < ARRAY_SIZE(sd->keyset); i++) {
		const struct es_keyset *ks = &sd->keyset[i];
		if (ks->type && ks->type != ES_KEYSET_CA)
			continue;
		for (unsigned int j = 0; j < ks->n_certificate && j < ARRAY_SIZE(ks->certificate); j++)
			if (ks->certificate[j].value.data)
				return &ks->certificate[j].value;
	}
	return NULL;
}

/* Step 3: eligibility checks on the EIS. */
static void rx_get_eis(struct osmo_fsm_inst *fi, const struct smdp_es3_answer *a)
{
	struct smdp_dl *dl = fi->priv;
	struct smdp_cfg *cfg = dl->s->cfg;
	const struct es_eis *eis;
	const struct es_hex *cert_hex;
	struct gpcert cert;
	struct gpcert_check_opts o = { .check_type = true, .type = GPCERT_TYPE_ECASD };
	enum gpcert_err why = GPCERT_ERR_CHAIN;
	char eid[SMDP_EID_LEN + 1];
	bool chained = false;

	if (!answer_ok(fi, a, ES_MSG_ES3_GET_EIS_RESP))
		return;
	eis = &a->resp->u.es3_get_eis_resp.eis;
	if (!eis->present || smdp_eid_to_str(&eis->eum_signed_info.eid, eid) < 0 || strcmp(eid, dl->rec.eid) != 0) {
		dl_fail(fi, "8.1.1", "1.1", "EIS missing or for another EID");
		return;
	}
	cert_hex = eis_ecasd_cert(eis);
	if (!cert_hex || gpcert_decode_exact(&cert, cert_hex->data, cert_hex->len, &why) < 0) {
		dl_fail(fi, "8.5.2", "2.1", "no usable CERT.ECASD.ECKA in the EIS (%s)", gpcert_err_name(why));
		return;
	}
	o.date = cfg->check_date ? cfg->check_date : gpcert_date_today();
	for (unsigned int i = 0; i < cfg->n_eum && !chained; i++)
		chained = gpcert_check_eum(&cert, cfg->eum[i], cfg->ci, &o, &why) == 0;
	if (!chained) {
		dl_fail(fi, "8.5.2", why == GPCERT_ERR_EXPIRED ? "6.3" : "6.1",
			"CERT.ECASD.ECKA does not verify through an EUM to the CI (%s)", gpcert_err_name(why));
		return;
	}
	if (gpcert_public_key(&cert, &dl->ecasd_pub, &why) < 0) {
		dl_fail(fi, "8.5.2", "6.1", "PK.ECASD.ECKA unusable (%s)", gpcert_err_name(why));
		return;
	}
	if (!eis->remaining_memory.present || eis->remaining_memory.v < (int64_t)dl->pkg_len) {
		dl_fail(fi, "8.1", "4.1", "not enough memory on the eUICC (%" PRId64 " < %zu)",
			eis->remaining_memory.present ? eis->remaining_memory.v : 0, dl->pkg_len);
		return;
	}
	for (unsigned int i = 0; i < eis->n_profile_info && i < ARRAY_SIZE(eis->profile_info); i++) {
		const char *ic = eis->profile_info[i].iccid;
		if (ic && strcmp(ic, dl->rec.iccid) == 0) {
			dl_fail(fi, "8.2.1", "3.3", "ICCID already on the eUICC");
			return;
		}
	}
	dl_goto(fi, SMDP_DL_ST_CREATE_ISDP);
}

static void send_create_isdp(struct osmo_fsm_inst *fi)
{
	struct smdp_dl *dl = fi->priv;
	struct es_msg *m;
	uint8_t eid[16];
	int rc;

	rc = smdp_store_dl_step(dl->s->store, dl->rec.id, SMDP_STEP_CREATE_ISDP, SMDP_PROFILE_DOWNLOADING, NULL, 0);
	if (rc < 0) {
		/* Nothing was sent: end without a clean-up. */
		dl_fail(fi, "8.2.1", rc == -EEXIST ? "3.3" : "4.2", "profile cannot be bound to this EID (%d)", rc);
		return;
	}
	m = talloc_zero(fi, struct es_msg);
	rc = -ENOMEM;
	if (m && eid_bytes(dl, eid) == 0) {
		m->id = ES_MSG_ES3_CREATE_ISDP_REQ;
		m->u.es3_create_isdp_req.present = true;
		m->u.es3_create_isdp_req.eid = (struct es_hex){ eid, sizeof(eid) };
		m->u.es3_create_isdp_req.iccid = dl->rec.iccid;
		m->u.es3_create_isdp_req.mno_id = dl->s->cfg->mno_id;
		m->u.es3_create_isdp_req.required_memory = (struct es_int){ true, (int64_t)dl->pkg_len };
		m->u.es3_create_isdp_req.more_to_do = (struct es_bool){ true, true };
		/* From now on an ISD-P may exist: any failure ends in DeleteISDP (§3.1.4). */
		dl->isdp_maybe = true;
		rc = smdp_es3_send(dl->s, fi, dl->peer, m);
	}
	talloc_free(m);
	if (rc < 0)
		dl_fail(fi, "8.7", "5.1", "ES3.CreateISDP not sent (%d)", rc);
}

static void rx_create_isdp(struct osmo_fsm_inst *fi, const struct smdp_es3_answer *a)
{
	struct smdp_dl *dl = fi->priv;
	const struct es_hex *aid;
	enum ids_app app;

	if (!answer_ok(fi, a, ES_MSG_ES3_CREATE_ISDP_RESP))
		return;
	aid = &a->resp->u.es3_create_isdp_resp.isd_p_aid;
	if (!aid->data || ids_aid_lookup(aid->data, aid->len, &app) < 0 || app != IDS_APP_ISD_P) {
		dl_fail(fi, "8.4", "2.1", "CreateISDP answer without a valid ISD-P AID");
		return;
	}
	memcpy(dl->rec.isdp_aid, aid->data, aid->len);
	dl->rec.isdp_aid_len = aid->len;
	if (smdp_store_dl_step(dl->s->store, dl->rec.id, SMDP_STEP_KEYSET, 0, aid->data, aid->len) < 0) {
		dl_fail(fi, "1.2", "4.2", "store failure");
		return;
	}
	dl_goto(fi, SMDP_DL_ST_KEYSET_CERT);
}

static const uint8_t *isdr_aid(void)
{
	for (size_t i = 0; i < ids_app_table_len; i++)
		if (ids_app_table[i].app == IDS_APP_ISD_R)
			return ids_app_table[i].aid;
	return NULL;
}

/* Step 7: INSTALL [for personalization] + STORE DATA 3A01 {CERT.DP.ECDSA}, to the ISD-R (digest §3.2). */
static void send_keyset_cert(struct osmo_fsm_inst *fi)
{
	struct smdp_dl *dl = fi->priv;
	struct rscript_builder b;
	uint8_t apdu[300], script[700];
	int n, len;

	script_begin(dl, &b, script, sizeof(script), RSCRIPT_CHAIN_FIRST_DELETE_ON_RESET);
	n = es5_install_perso_build(apdu, sizeof(apdu), dl->rec.isdp_aid, dl->rec.isdp_aid_len);
	if (n > 0)
		rscript_cmd_add_apdu(&b, apdu, (size_t)n);
	n = n > 0 ? es5_keyset_cert_build(apdu, sizeof(apdu), dl->s->cfg->dp_cert, dl->s->cfg->dp_cert_len) : n;
	if (n > 0)
		rscript_cmd_add_apdu(&b, apdu, (size_t)n);
	len = n > 0 ? rscript_cmd_finish(&b) : n;
	if (len < 0 || send_data(fi, isdr_aid(), IDS_AID_LEN, script, (size_t)len) < 0)
		dl_fail(fi, "1.2", "4.2", "EstablishISDPKeySet (1) not sent (%d)", len);
}

/* The R-APDUs of a key-establishment answer: every one 9000; returns the last one's data. */
static int keyset_rapdus(struct osmo_fsm_inst *fi, const struct smdp_es3_answer *a, size_t want,
			 struct rscript_rsp_item *last)
{
	struct rscript_rsp_item items[8];
	size_t n = 0, got = 0;

	if (!answer_ok(fi, a, ES_MSG_ES3_SEND_DATA_RESP))
		return -1;
	if (rsp_items(a->resp, items, ARRAY_SIZE(items), &n) < 0) {
		dl_fail(fi, "8.4", "2.1", "malformed eUICC response script");
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		if (items[i].kind == RSCRIPT_RSP_COUNT || items[i].kind == RSCRIPT_RSP_SCRIPT_CHAINING)
			continue;
		if (items[i].kind != RSCRIPT_RSP_RAPDU) {
			dl_fail(fi, "8.4", "4.2", "eUICC answered %s",
				get_value_string(rscript_rsp_kind_names, items[i].kind));
			return -1;
		}
		if (items[i].sw != 0x9000) {
			dl_fail(fi, "8.4", "4.2", "eUICC answered SW %04X", items[i].sw);
			return -1;
		}
		*last = items[i];
		got++;
	}
	if (got != want) {
		dl_fail(fi, "8.4", "4.2", "eUICC executed %zu of %zu commands", got, want);
		return -1;
	}
	return 0;
}

static void rx_keyset_cert(struct osmo_fsm_inst *fi, const struct smdp_es3_answer *a)
{
	struct smdp_dl *dl = fi->priv;
	struct rscript_rsp_item last;
	struct es5_bytes rc;

	if (keyset_rapdus(fi, a, 2, &last) < 0)
		return;
	/* Step 8: 85 {RC}. */
	if (es5_keyset_cert_resp_parse(last.data, last.data_len, &rc) < 0 || rc.len == 0 || rc.len > sizeof(dl->rc)) {
		dl_fail(fi, "8.4", "2.1", "no RC in the answer to 3A01");
		return;
	}
	memcpy(dl->rc, rc.buf, rc.len);
	dl->rc_len = rc.len;
	dl_goto(fi, SMDP_DL_ST_KEYSET_AGREE);
}

/* Steps 9-10: ephemeral key, A6 CRT, signature over 3A02{A6} ‖ 7F49{ePK} ‖ 0085 L RC, STORE DATA 3A02. */
static void send_keyset_agree(struct osmo_fsm_inst *fi)
{
	struct smdp_dl *dl = fi->priv;
	const struct smdp_variants *v = &dl->peer->v;
	struct ecka_crt crt;
	struct bertlv epk_tlv;
	struct rscript_builder b;
	uint8_t epk[EC_POINT_LEN + 16], signed_data[300], sig[EC_SIG_LEN], apdu[300], script[400];
	int n, epk_n, curve, len = -EINVAL;

	ecka_host_free(&dl->host);
	if (ecka_host_start(&dl->host, dl->ecasd_pub, NULL, 0) < 0)
		goto fail;
	ecka_crt_default(&crt, ECKA_TARGET_ISDP, &v->ecka, v->isdp_kvn);
	n = ecka_crt_encode(&crt, dl->crt, sizeof(dl->crt));
	if (n <= 0)
		goto fail;
	dl->crt_len = (size_t)n;
	curve = crypto_ec_curve_of(dl->ecasd_pub);
	if (curve < 0)
		goto fail;
	epk_n = ecka_epk_encode(v->ecka.epk_encoding, dl->host.epk, (enum crypto_curve)curve, epk, sizeof(epk));
	if (epk_n <= 0 || bertlv_decode(&epk_tlv, epk, (size_t)epk_n) != epk_n)
		goto fail;
	n = es5_keyset_signed_data(signed_data, sizeof(signed_data), dl->crt, dl->crt_len, epk_tlv.value, epk_tlv.len,
				   dl->rc, dl->rc_len);
	if (n <= 0 || crypto_ecdsa_sign(dl->s->cfg->dp_key, signed_data, (size_t)n, sig) < 0)
		goto fail;
	n = es5_keyset_keyagreement_build(apdu, sizeof(apdu), dl->crt, dl->crt_len, epk_tlv.value, epk_tlv.len, sig,
					  sizeof(sig));
	if (n <= 0)
		goto fail;
	script_begin(dl, &b, script, sizeof(script), RSCRIPT_CHAIN_LAST);
	rscript_cmd_add_apdu(&b, apdu, (size_t)n);
	len = rscript_cmd_finish(&b);
	if (len > 0 && send_data(fi, isdr_aid(), IDS_AID_LEN, script, (size_t)len) == 0)
		return;
fail:
	dl_fail(fi, "1.2", "4.2", "EstablishISDPKeySet (2) not built or sent (%d)", len);
}

/* Steps 11-12: DR (optional) and receipt, checked; the ISD-P keys are derived. */
static void rx_keyset_agree(struct osmo_fsm_inst *fi, const struct smdp_es3_answer *a)
{
	struct smdp_dl *dl = fi->priv;
	struct rscript_rsp_item last;
	struct es5_bytes dr, receipt;
	int rc;

	if (keyset_rapdus(fi, a, 1, &last) < 0)
		return;
	if (es5_keyset_keyagreement_resp_parse(last.data, last.data_len, &dr, &receipt) < 0) {
		dl_fail(fi, "8.4", "2.1", "no receipt in the answer to 3A02");
		return;
	}
	rc = ecka_host_finish(&dl->host, dl->crt, dl->crt_len, dr.len ? dr.buf : NULL, dr.len, receipt.buf, receipt.len,
			      ECKA_TARGET_ISDP, &dl->peer->v.ecka, &dl->keys);
	ecka_host_free(&dl->host);
	if (rc < 0) {
		dl_fail(fi, "8.4", "6.1", "receipt does not verify (%d)", rc);
		return;
	}
	if (dl->keys.n_keys < 2) {
		/* The RCPT_BASEKEY split yields one base key: SCP03t needs ENC and MAC (not supported here). */
		dl_fail(fi, "1.2", "3.1", "key split without separate ENC/MAC keys is not supported for SCP03t");
		return;
	}
	if (smdp_store_dl_step(dl->s->store, dl->rec.id, SMDP_STEP_DOWNLOAD, 0, NULL, 0) < 0) {
		dl_fail(fi, "1.2", "4.2", "store failure");
		return;
	}
	dl_goto(fi, SMDP_DL_ST_SCP03T_OPEN);
}

/* Step 13: 84 + 85 in one script, to the ISD-P. */
static void send_scp03t_open(struct osmo_fsm_inst *fi)
{
	struct smdp_dl *dl = fi->priv;
	const struct smdp_variants *v = &dl->peer->v;
	uint8_t challenge[SCP03_CHALLENGE], tlvs[64], script[128];
	/* The ISD-P's first SCP03 session: the 91 initial counter is empty (0), so its sequence counter is
	 * 000001 (open-questions §5, V4; digest §4.8). */
	const uint8_t seq[SCP03_SEQ_LEN] = { 0, 0, 1 };
	struct rscript_builder b;
	int n = -EIO, len;

	if (crypto_random(challenge, sizeof(challenge)) == 0 &&
	    scp03t_host_init(&dl->scp, &v->scp03t, dl->keys.key[0], dl->keys.key[1], dl->keys.key_len, v->isdp_kvn,
			     v->scp03t_kid) == 0)
		n = scp03t_host_open(&dl->scp, challenge, seq, dl->rec.isdp_aid, dl->rec.isdp_aid_len, v->scp03t_level,
				     tlvs, sizeof(tlvs));
	if (n <= 0) {
		dl_fail(fi, "1.2", "4.2", "SCP03t session not opened (%d)", n);
		return;
	}
	script_begin(dl, &b, script, sizeof(script), RSCRIPT_CHAIN_FIRST_DELETE_ON_RESET);
	script_add_scp03t(&b, tlvs, (size_t)n);
	len = rscript_cmd_finish(&b);
	if (len < 0 || send_data(fi, dl->rec.isdp_aid, dl->rec.isdp_aid_len, script, (size_t)len) < 0)
		dl_fail(fi, "8.7", "5.1", "SCP03t open not sent (%d)", len);
}

/* The SCP03t answer TLVs of a response script, re-framed back to back (scp03t_host_check_*). */
static int scp03t_answer(struct osmo_fsm_inst *fi, const struct smdp_es3_answer *a, uint8_t *out, size_t cap)
{
	struct rscript_rsp_item items[8];
	struct bertlv_writer w;
	size_t n = 0;

	if (!answer_ok(fi, a, ES_MSG_ES3_SEND_DATA_RESP))
		return -1;
	if (rsp_items(a->resp, items, ARRAY_SIZE(items), &n) < 0) {
		dl_fail(fi, "8.4", "2.1", "malformed eUICC response script");
		return -1;
	}
	bertlv_writer_init(&w, out, cap);
	for (size_t i = 0; i < n; i++) {
		switch (items[i].kind) {
		case RSCRIPT_RSP_COUNT:
		case RSCRIPT_RSP_SCRIPT_CHAINING: continue;
		case RSCRIPT_RSP_SCP03T_INIT:
		case RSCRIPT_RSP_SCP03T_EXT_AUTH:
		case RSCRIPT_RSP_SCP03T_DATA:
		case RSCRIPT_RSP_SCP03T_ERROR: bertlv_put(&w, items[i].tag, items[i].value, items[i].len); break;
		default:
			dl_fail(fi, "8.4", "4.2", "eUICC answered %s",
				get_value_string(rscript_rsp_kind_names, items[i].kind));
			return -1;
		}
	}
	return bertlv_writer_finish(&w);
}

static void rx_scp03t_open(struct osmo_fsm_inst *fi, const struct smdp_es3_answer *a)
{
	struct smdp_dl *dl = fi->priv;
	struct scp03t_status st = { 0 };
	uint8_t buf[128];
	int n, rc;

	n = scp03t_answer(fi, a, buf, sizeof(buf));
	if (n < 0)
		return;
	rc = scp03t_host_check_open(&dl->scp, buf, (size_t)n, &st);
	if (st.error) {
		dl_fail(fi, "8.4", "4.2", "SCP03t error %02X for command %02X (%s)", st.code, st.error_for,
			get_value_string(scp03t_err_names, st.code));
		return;
	}
	if (rc < 0 || (size_t)rc != (size_t)n) {
		dl_fail(fi, "8.4", rc == -EACCES ? "6.1" : "2.1", "SCP03t open answer rejected (%d)", rc);
		return;
	}
	dl->seg_off = 0;
	dl->seg_n = 0;
	dl->seg_total = (unsigned int)scp03t_segment_count(dl->pkg_len, dl->peer->v.segment_size);
	dl_goto(fi, SMDP_DL_ST_SEGMENT);
}

/* Step 15: the next 86 segment. */
static void send_segment(struct osmo_fsm_inst *fi)
{
	struct smdp_dl *dl = fi->priv;
	size_t seg = dl->peer->v.segment_size, left = dl->pkg_len - dl->seg_off;
	struct rscript_builder b;
	uint8_t *tlv = talloc_size(fi, SCP03T_MAX_TLV), *script = talloc_size(fi, SCRIPT_MAX);
	int n = -ENOMEM, len = -ENOMEM, chain;

	if (seg > left)
		seg = left;
	if (tlv && script)
		n = scp03t_host_segment(&dl->scp, dl->pkg + dl->seg_off, seg, tlv, SCP03T_MAX_TLV);
	if (n > 0) {
		chain = dl->seg_n + 1 == dl->seg_total ? RSCRIPT_CHAIN_LAST : RSCRIPT_CHAIN_SUBSEQUENT;
		script_begin(dl, &b, script, SCRIPT_MAX, chain);
		script_add_scp03t(&b, tlv, (size_t)n);
		len = rscript_cmd_finish(&b);
	}
	if (len > 0) {
		dl->seg_off += seg;
		len = send_data(fi, dl->rec.isdp_aid, dl->rec.isdp_aid_len, script, (size_t)len);
	}
	talloc_free(tlv);
	talloc_free(script);
	if (len < 0)
		dl_fail(fi, "1.2", "4.2", "segment %u not sent (%d)", dl->seg_n + 1, len);
}

/* Step 16: every PE installed? */
static int check_euicc_response(struct osmo_fsm_inst *fi, const uint8_t *data, size_t len)
{
	struct saip_euicc_response r;

	if (saip_euicc_response_decode(&r, data, len) != (int)len) {
		dl_fail(fi, "8.2", "2.1", "malformed EUICCResponse");
		return -1;
	}
	for (size_t i = 0; i < r.n; i++) {
		if (r.st[i].status != SAIP_ST_OK) {
			dl_fail(fi, "8.2", "4.2", "PE %ld: %s", r.st[i].identification,
				get_value_string(saip_pe_status_names, (uint32_t)r.st[i].status));
			return -1;
		}
	}
	if (r.aborted || r.n == 0) {
		dl_fail(fi, "8.2", "4.2", "profile installation aborted");
		return -1;
	}
	return 0;
}

static void rx_segment(struct osmo_fsm_inst *fi, const struct smdp_es3_answer *a)
{
	struct smdp_dl *dl = fi->priv;
	struct scp03t_status st = { 0 };
	uint8_t buf[SCP03T_MAX_TLV], plain[SCP03T_MAX_VALUE];
	bool last = dl->seg_n + 1 == dl->seg_total;
	int n, rc;

	n = scp03t_answer(fi, a, buf, sizeof(buf));
	if (n < 0)
		return;
	rc = scp03t_host_check_data_resp(&dl->scp, buf, (size_t)n, plain, sizeof(plain), &st);
	if (st.error) {
		dl_fail(fi, "8.4", "4.2", "segment %u: SCP03t error %02X (%s)", dl->seg_n + 1, st.code,
			get_value_string(scp03t_err_names, st.code));
		return;
	}
	if (rc < 0) {
		dl_fail(fi, "8.4", rc == -EACCES ? "6.1" : "2.1", "segment %u: answer rejected (%d)", dl->seg_n + 1,
			rc);
		return;
	}
	rate_ctr_inc(rate_ctr_group_get_ctr(dl->s->ctrs, SMDP_CTR_SCP03T_SEGMENTS));
	dl->seg_n++;
	if (!last) {
		if (rc > 0)
			LOG_DL(fi, LOGL_NOTICE, "segment %u: unexpected response data ignored\n", dl->seg_n);
		dl_goto(fi, SMDP_DL_ST_SEGMENT);
		return;
	}
	if (rc == 0) {
		dl_fail(fi, "8.2", "4.2", "no EUICCResponse after the last segment");
		return;
	}
	if (check_euicc_response(fi, plain, (size_t)rc) < 0)
		return;
	OPENSSL_cleanse(&dl->scp, sizeof(dl->scp));
	if (smdp_store_dl_step(dl->s->store, dl->rec.id, SMDP_STEP_COMPLETED, 0, NULL, 0) < 0) {
		dl_fail(fi, "1.2", "4.2", "store failure");
		return;
	}
	dl_goto(fi, SMDP_DL_ST_COMPLETED);
}

/* Step 17. */
static void send_completed(struct osmo_fsm_inst *fi)
{
	struct smdp_dl *dl = fi->priv;
	struct es_msg *m = talloc_zero(fi, struct es_msg);
	struct es3_profile_download_completed_req *r;
	uint8_t eid[16];
	unsigned int k = 0;
	int rc = -ENOMEM;

	if (m && eid_bytes(dl, eid) == 0) {
		m->id = ES_MSG_ES3_PROFILE_DOWNLOAD_COMPLETED_REQ;
		r = &m->u.es3_profile_download_completed_req;
		r->present = true;
		r->eid = (struct es_hex){ eid, sizeof(eid) };
		r->iccid = dl->rec.iccid;
		r->profile_type = dl->prof.profile_type[0] ? dl->prof.profile_type : NULL;
		r->subscription_address.present = true;
		r->subscription_address.imsi = dl->prof.imsi;
		r->subscription_address.msisdn = dl->prof.msisdn[0] ? dl->prof.msisdn : NULL;
		if (dl->prof.pol2) {
			r->pol2.present = true;
			for (unsigned int act = ES_POL2_ACTION_ENABLE; act <= ES_POL2_ACTION_DELETE; act++)
				for (unsigned int q = ES_POL2_QUAL_NOT_ALLOWED; q <= ES_POL2_QUAL_AUTO_DELETE; q++)
					if ((dl->prof.pol2 & SMDP_POL2_BIT(act, q)) && k < ARRAY_SIZE(r->pol2.rule)) {
						r->pol2.rule[k].present = true;
						r->pol2.rule[k].subject = ES_POL2_SUBJECT_PROFILE;
						r->pol2.rule[k].action = (enum es_pol2_action)act;
						r->pol2.rule[k].qualification = (enum es_pol2_qualification)q;
						k++;
					}
			r->pol2.n_rule = k;
		}
		rc = smdp_es3_send(dl->s, fi, dl->peer, m);
	}
	talloc_free(m);
	if (rc < 0)
		dl_fail(fi, "8.7", "5.1", "ES3.ProfileDownloadCompleted not sent (%d)", rc);
}

static void rx_completed(struct osmo_fsm_inst *fi, const struct smdp_es3_answer *a)
{
	struct smdp_dl *dl = fi->priv;

	if (!answer_ok(fi, a, ES_MSG_ES3_PROFILE_DOWNLOAD_COMPLETED_RESP))
		return;
	dl->status = ES_STATUS_EXECUTED_SUCCESS;
	if (!dl->rec.enable) {
		dl_finish(fi, SMDP_PROFILE_DOWNLOADED, false);
		return;
	}
	if (smdp_store_dl_step(dl->s->store, dl->rec.id, SMDP_STEP_ENABLE, SMDP_PROFILE_DOWNLOADED, NULL, 0) < 0) {
		dl_fail(fi, "1.2", "4.2", "store failure");
		return;
	}
	dl_goto(fi, SMDP_DL_ST_ENABLE);
}

static int send_eid_iccid(struct osmo_fsm_inst *fi, enum es_msg_id id)
{
	struct smdp_dl *dl = fi->priv;
	struct es_msg *m = talloc_zero(fi, struct es_msg);
	uint8_t eid[16];
	int rc = -ENOMEM;

	if (m && eid_bytes(dl, eid) == 0) {
		m->id = id;
		/* ES3-EnableProfileRequest and ES3-DeleteISDPRequest have the same body: EID + ICCID. */
		if (id == ES_MSG_ES3_ENABLE_PROFILE_REQ) {
			m->u.es3_enable_profile_req.present = true;
			m->u.es3_enable_profile_req.eid = (struct es_hex){ eid, sizeof(eid) };
			m->u.es3_enable_profile_req.iccid = dl->rec.iccid;
		} else {
			m->u.es3_delete_isdp_req.present = true;
			m->u.es3_delete_isdp_req.eid = (struct es_hex){ eid, sizeof(eid) };
			m->u.es3_delete_isdp_req.iccid = dl->rec.iccid;
		}
		rc = smdp_es3_send(dl->s, fi, dl->peer, m);
	}
	talloc_free(m);
	return rc;
}

/* Step 19. */
static void send_enable(struct osmo_fsm_inst *fi)
{
	if (send_eid_iccid(fi, ES_MSG_ES3_ENABLE_PROFILE_REQ) < 0) {
		struct smdp_dl *dl = fi->priv;
		dl->status = ES_STATUS_EXECUTED_WITHWARNING;
		dl->subject = "8.7";
		dl->reason = "5.1";
		snprintf(dl->message, sizeof(dl->message), "downloaded; ES3.EnableProfile not sent");
		dl_finish(fi, SMDP_PROFILE_DOWNLOADED, false);
	}
}

/* Step 25 seen from the SM-DP; step 27: Executed-WithWarning when the download worked but enabling did not. */
static void rx_enable(struct osmo_fsm_inst *fi, const struct smdp_es3_answer *a)
{
	struct smdp_dl *dl = fi->priv;
	const struct es_fes *fes =
		a->rc == 0 && a->resp && a->resp->id == ES_MSG_ES3_ENABLE_PROFILE_RESP ? resp_fes(a->resp) : NULL;

	if (fes && fes->present &&
	    (fes->status == ES_STATUS_EXECUTED_SUCCESS || fes->status == ES_STATUS_EXECUTED_WITHWARNING)) {
		dl_finish(fi, SMDP_PROFILE_ENABLED, false);
		return;
	}
	dl->status = ES_STATUS_EXECUTED_WITHWARNING;
	dl->subject = "8.2";
	dl->reason = "4.2";
	snprintf(dl->message, sizeof(dl->message), "downloaded; enabling failed");
	if (fes && fes->present && fes->status_code_data.subject && fes->status_code_data.reason) {
		/* the SM-SR's (the eUICC's) reason, e.g. 8.2.2/3.8 POL1 refuses, is what the MNO needs to know
		 * (digest §3.1 step 27) */
		osmo_strlcpy(dl->sr_subject, fes->status_code_data.subject, sizeof(dl->sr_subject));
		osmo_strlcpy(dl->sr_reason, fes->status_code_data.reason, sizeof(dl->sr_reason));
		dl->subject = dl->sr_subject;
		dl->reason = dl->sr_reason;
		snprintf(dl->message, sizeof(dl->message), "downloaded; enabling failed: %.90s",
			 fes->status_code_data.message ? fes->status_code_data.message : "");
	}
	dl_finish(fi, SMDP_PROFILE_DOWNLOADED, false);
}

/* Error management sub-routine (§3.1.4): delete the half-built ISD-P. */
static void send_delete(struct osmo_fsm_inst *fi)
{
	struct smdp_dl *dl = fi->priv;

	dl->delete_attempts++;
	if (dl->delete_attempts == 1 &&
	    smdp_store_dl_step(dl->s->store, dl->rec.id, SMDP_STEP_DELETE_ISDP, 0, NULL, 0) < 0)
		LOG_DL(fi, LOGL_ERROR, "store: cannot record the clean-up step\n");
	if (send_eid_iccid(fi, ES_MSG_ES3_DELETE_ISDP_REQ) < 0)
		LOG_DL(fi, LOGL_ERROR, "ES3.DeleteISDP not sent; waiting for the timer\n");
}

static void delete_failed(struct osmo_fsm_inst *fi, const char *why)
{
	struct smdp_dl *dl = fi->priv;

	if (dl->delete_attempts < dl->s->cfg->delete_retries) {
		LOG_DL(fi, LOGL_NOTICE, "ES3.DeleteISDP attempt %u: %s; retrying\n", dl->delete_attempts, why);
		dl_goto(fi, SMDP_DL_ST_DELETE_ISDP);
		return;
	}
	/* The row stays at DELETE_ISDP: the next start (smdp_recover) tries again. */
	rate_ctr_inc(rate_ctr_group_get_ctr(dl->s->ctrs, SMDP_CTR_DL_CLEANUP_FAILED));
	LOG_DL(fi, LOGL_ERROR, "ISD-P clean-up failed %u times (%s); left for the next start\n", dl->delete_attempts,
	       why);
	dl_finish(fi, 0, true);
}

static void rx_delete(struct osmo_fsm_inst *fi, const struct smdp_es3_answer *a)
{
	const struct es_fes *fes =
		a->rc == 0 && a->resp && a->resp->id == ES_MSG_ES3_DELETE_ISDP_RESP ? resp_fes(a->resp) : NULL;
	const struct es_status_code_data *c = fes ? &fes->status_code_data : NULL;

	if (!fes || !fes->present) {
		delete_failed(fi, "no answer");
		return;
	}
	/* Success, or the SM-SR does not know the ICCID (8.2.1 / 1.1: nothing left on the card). */
	if (fes->status == ES_STATUS_EXECUTED_SUCCESS || fes->status == ES_STATUS_EXECUTED_WITHWARNING ||
	    (c->present && c->subject && c->reason && strcmp(c->subject, "8.2.1") == 0 &&
	     strcmp(c->reason, "1.1") == 0)) {
		dl_finish(fi, SMDP_PROFILE_AVAILABLE, false);
		return;
	}
	delete_failed(fi, get_value_string(es_status_names, fes->status));
}

static void dl_send(struct osmo_fsm_inst *fi)
{
	switch (fi->state) {
	case SMDP_DL_ST_GET_EIS: send_get_eis(fi); break;
	case SMDP_DL_ST_CREATE_ISDP: send_create_isdp(fi); break;
	case SMDP_DL_ST_KEYSET_CERT: send_keyset_cert(fi); break;
	case SMDP_DL_ST_KEYSET_AGREE: send_keyset_agree(fi); break;
	case SMDP_DL_ST_SCP03T_OPEN: send_scp03t_open(fi); break;
	case SMDP_DL_ST_SEGMENT: send_segment(fi); break;
	case SMDP_DL_ST_COMPLETED: send_completed(fi); break;
	case SMDP_DL_ST_ENABLE: send_enable(fi); break;
	case SMDP_DL_ST_DELETE_ISDP: send_delete(fi); break;
	}
}

static void dl_action(struct osmo_fsm_inst *fi, uint32_t event, void *data)
{
	const struct smdp_es3_answer *a = data;

	OSMO_ASSERT(event == SMDP_EV_ES3_RX);
	smdp_calls_forget(((struct smdp_dl *)fi->priv)->s, fi);
	switch (fi->state) {
	case SMDP_DL_ST_GET_EIS: rx_get_eis(fi, a); break;
	case SMDP_DL_ST_CREATE_ISDP: rx_create_isdp(fi, a); break;
	case SMDP_DL_ST_KEYSET_CERT: rx_keyset_cert(fi, a); break;
	case SMDP_DL_ST_KEYSET_AGREE: rx_keyset_agree(fi, a); break;
	case SMDP_DL_ST_SCP03T_OPEN: rx_scp03t_open(fi, a); break;
	case SMDP_DL_ST_SEGMENT: rx_segment(fi, a); break;
	case SMDP_DL_ST_COMPLETED: rx_completed(fi, a); break;
	case SMDP_DL_ST_ENABLE: rx_enable(fi, a); break;
	case SMDP_DL_ST_DELETE_ISDP: rx_delete(fi, a); break;
	}
}

static int dl_timer_cb(struct osmo_fsm_inst *fi)
{
	struct smdp_dl *dl = fi->priv;

	smdp_calls_forget(dl->s, fi);
	rate_ctr_inc(rate_ctr_group_get_ctr(dl->s->ctrs, SMDP_CTR_DL_TIMEOUT));
	switch (fi->state) {
	case SMDP_DL_ST_ENABLE: {
		const struct smdp_es3_answer a = { .rc = -ETIMEDOUT };
		rx_enable(fi, &a);
		break;
	}
	case SMDP_DL_ST_DELETE_ISDP: delete_failed(fi, "timeout"); break;
	default:
		dl_fail(fi, "1.6", "5.4", "no answer from the SM-SR in %s (timeout)", osmo_fsm_inst_state_name(fi));
		break;
	}
	return 0;
}

static void dl_cleanup(struct osmo_fsm_inst *fi, enum osmo_fsm_term_cause cause)
{
	struct smdp_dl *dl = fi->priv;

	smdp_calls_forget(dl->s, fi);
	ecka_host_free(&dl->host);
	EVP_PKEY_free(dl->ecasd_pub);
	dl->ecasd_pub = NULL;
	OPENSSL_cleanse(&dl->keys, sizeof(dl->keys));
	OPENSSL_cleanse(&dl->scp, sizeof(dl->scp));
	if (dl->pkg)
		OPENSSL_cleanse(dl->pkg, dl->pkg_len);
	OPENSSL_cleanse(&dl->prof, sizeof(dl->prof));
	if (dl->s->active_dl)
		dl->s->active_dl--;
}

#define ALL_ST_MASK                                                                                                   \
	(S(SMDP_DL_ST_GET_EIS) | S(SMDP_DL_ST_CREATE_ISDP) | S(SMDP_DL_ST_KEYSET_CERT) | S(SMDP_DL_ST_KEYSET_AGREE) | \
	 S(SMDP_DL_ST_SCP03T_OPEN) | S(SMDP_DL_ST_SEGMENT) | S(SMDP_DL_ST_COMPLETED) | S(SMDP_DL_ST_ENABLE) |         \
	 S(SMDP_DL_ST_DELETE_ISDP))

/* State names carry the digest's step numbers (style §13.9). */
static const struct osmo_fsm_state dl_states[] = {
	[SMDP_DL_ST_GET_EIS] = { .name = "S2_GET_EIS",
				 .in_event_mask = S(SMDP_EV_ES3_RX),
				 .out_state_mask = ALL_ST_MASK,
				 .action = dl_action },
	[SMDP_DL_ST_CREATE_ISDP] = { .name = "S4_CREATE_ISDP",
				     .in_event_mask = S(SMDP_EV_ES3_RX),
				     .out_state_mask = ALL_ST_MASK,
				     .action = dl_action },
	[SMDP_DL_ST_KEYSET_CERT] = { .name = "S7_KEYSET_CERT",
				     .in_event_mask = S(SMDP_EV_ES3_RX),
				     .out_state_mask = ALL_ST_MASK,
				     .action = dl_action },
	[SMDP_DL_ST_KEYSET_AGREE] = { .name = "S9_KEYSET_AGREE",
				      .in_event_mask = S(SMDP_EV_ES3_RX),
				      .out_state_mask = ALL_ST_MASK,
				      .action = dl_action },
	[SMDP_DL_ST_SCP03T_OPEN] = { .name = "S13_SCP03T_OPEN",
				     .in_event_mask = S(SMDP_EV_ES3_RX),
				     .out_state_mask = ALL_ST_MASK,
				     .action = dl_action },
	[SMDP_DL_ST_SEGMENT] = { .name = "S15_SEGMENT",
				 .in_event_mask = S(SMDP_EV_ES3_RX),
				 .out_state_mask = ALL_ST_MASK,
				 .action = dl_action },
	[SMDP_DL_ST_COMPLETED] = { .name = "S17_COMPLETED",
				   .in_event_mask = S(SMDP_EV_ES3_RX),
				   .out_state_mask = ALL_ST_MASK,
				   .action = dl_action },
	[SMDP_DL_ST_ENABLE] = { .name = "S19_ENABLE",
				.in_event_mask = S(SMDP_EV_ES3_RX),
				.out_state_mask = ALL_ST_MASK,
				.action = dl_action },
	[SMDP_DL_ST_DELETE_ISDP] = { .name = "S3_1_4_DELETE_ISDP",
				     .in_event_mask = S(SMDP_EV_ES3_RX),
				     .out_state_mask = ALL_ST_MASK,
				     .action = dl_action },
};

struct osmo_fsm smdp_dl_fsm = {
	.name = "smdp_dl",
	.states = dl_states,
	.num_states = ARRAY_SIZE(dl_states),
	.event_names = dl_event_names,
	.timer_cb = dl_timer_cb,
	.cleanup = dl_cleanup,
	.log_subsys = DDL,
};

int smdp_dl_start(struct smdp *s, const struct smdp_dl_rec *rec)
{
	struct osmo_fsm_inst *fi;
	struct smdp_dl *dl;
	struct smdp_smsr_peer *peer = smdp_cfg_peer(s->cfg, rec->smsr_id, false);
	char id[32];
	enum smdp_dl_state st;

	if (!peer) {
		LOGP(DDL, LOGL_ERROR, "download %" PRId64 ": SM-SR '%s' not configured\n", rec->id, rec->smsr_id);
		return -ENOENT;
	}
	snprintf(id, sizeof(id), "dl%" PRId64, rec->id);
	fi = osmo_fsm_inst_alloc(&smdp_dl_fsm, s, NULL, LOGL_INFO, id);
	if (!fi)
		return -ENOMEM;
	dl = talloc_zero(fi, struct smdp_dl);
	fi->priv = dl;
	dl->s = s;
	dl->rec = *rec;
	dl->peer = peer;
	dl->status = ES_STATUS_EXECUTED_SUCCESS;
	s->active_dl++;
	rate_ctr_inc(rate_ctr_group_get_ctr(s->ctrs, SMDP_CTR_DL_STARTED));
	if (smdp_store_profile_get(s->store, rec->iccid, &dl->prof) < 0 ||
	    smdp_store_profile_package(s->store, dl, rec->iccid, &dl->pkg, &dl->pkg_len) < 0) {
		LOG_DL(fi, LOGL_ERROR, "profile %s not in the store\n", rec->iccid);
		osmo_fsm_inst_term(fi, OSMO_FSM_TERM_ERROR, NULL);
		return -ENOENT;
	}
	switch (rec->step) {
	case SMDP_STEP_ACCEPTED:
	case SMDP_STEP_GET_EIS: st = SMDP_DL_ST_GET_EIS; break;
	case SMDP_STEP_COMPLETED: st = SMDP_DL_ST_COMPLETED; break;
	case SMDP_STEP_ENABLE: st = SMDP_DL_ST_ENABLE; break;
	case SMDP_STEP_DELETE_ISDP:
	default:
		/* CREATE_ISDP, KEYSET, DOWNLOAD: the session keys are gone, clean up (§3.1.4). */
		st = SMDP_DL_ST_DELETE_ISDP;
		dl->isdp_maybe = true;
		if (rec->step != SMDP_STEP_DELETE_ISDP) {
			dl->failed = true;
			dl->status = ES_STATUS_FAILED;
			dl->subject = "1.6";
			dl->reason = "4.2";
			snprintf(dl->message, sizeof(dl->message), "download interrupted in step %s by a restart",
				 get_value_string(smdp_dl_step_names, rec->step));
			rate_ctr_inc(rate_ctr_group_get_ctr(s->ctrs, SMDP_CTR_DL_CLEANUP));
		} else {
			dl->failed = true;
			dl->status = ES_STATUS_FAILED;
			dl->subject = "1.6";
			dl->reason = "4.2";
			snprintf(dl->message, sizeof(dl->message), "download failed; ISD-P clean-up resumed");
		}
		break;
	}
	if (rec->step != SMDP_STEP_ACCEPTED)
		LOG_DL(fi, LOGL_NOTICE, "resuming download from step %s\n",
		       get_value_string(smdp_dl_step_names, rec->step));
	if (st == SMDP_DL_ST_COMPLETED || st == SMDP_DL_ST_ENABLE)
		dl->isdp_maybe = true;
	dl_goto(fi, st);
	return 0;
}
