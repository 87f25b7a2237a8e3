/* SM-SR Change, both roles (see smsr_change.h; digest §2.1). */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>
#include <osmocom/core/fsm.h>
#include <osmocom/core/linuxlist.h>
#include <osmocom/core/timer.h>
#include <sqlite3.h>
#include <talloc.h>

#include "lib/crypto/sym.h"
#include "lib/tlv/bertlv.h"
#include "lib/gpcert/gpcert.h"
#include "lib/ids/ids.h"
#include "network/smsr/smsr_change.h"
#include "network/smsr/smsr_eisvar.h"
#include "network/smsr/smsr_ctr.h"
#include "network/smsr/smsr_log.h"

struct osmo_tdef smsr_change_tdefs[] = { { .T = SMSR_CHG_T_ES7,
					   .default_val = 300,
					   .unit = OSMO_TDEF_S,
					   .min_val = 1,
					   .max_val = 86400,
					   .desc = "SM-SR Change: an ES7 call's answer" },
					 { .T = SMSR_CHG_T_ES5,
					   .default_val = 120,
					   .unit = OSMO_TDEF_S,
					   .min_val = 1,
					   .max_val = 86400,
					   .desc = "SM-SR Change: an ES5 exchange (3A01, 3A02, FinaliseISDRhandover, "
						   "3A07)" },
					 { .T = SMSR_CHG_T_ES7_RETRY,
					   .default_val = 30,
					   .unit = OSMO_TDEF_S,
					   .min_val = 1,
					   .max_val = 86400,
					   .desc = "SM-SR Change (new SM-SR): no answer to AuthenticateSMSR / "
						   "CreateAdditionalKeySet, or the "
						   "current SM-SR unreachable: ask again from step 7 (within the "
						   "validity period)" },
					 {} };

const struct value_string smsr_change_hide_names[] = { { SMSR_CHG_HIDE_KEY_VALUES, "KEY_VALUES" },
						       { SMSR_CHG_HIDE_KEYSETS, "KEYSETS" },
						       { 0, NULL } };
const struct value_string smsr_change_scp81_names[] = { { SMSR_CHG_SCP81_ECKA, "ecka" },
							{ SMSR_CHG_SCP81_NONE, "none" },
							{ 0, NULL } };
const struct value_string smsr_change_notify_names[] = { { SMSR_CHG_NOTIFY_ES4, "ES4" },
							 { SMSR_CHG_NOTIFY_ES3, "ES3" },
							 { 0, NULL } };

/* Audit OperationType codes [I]: Njiwa writes 0900 FinaliseISDRhandover at SR2 (digest §2.1 step 27);
 * 0A00 is our code for the EIS handed over at SR1. */
#define AUDIT_HANDOVER_IN  0x0900
#define AUDIT_HANDOVER_OUT 0x0A00

#define ROLE_SR1 1
#define ROLE_SR2 2
#define MAX_OLD	 4

/* ---- persisted state ------------------------------------------------------------------------------ */

static const char change_schema[] = "CREATE TABLE IF NOT EXISTS smsr_change (\n"
				    "  eid TEXT PRIMARY KEY, role INTEGER NOT NULL, step TEXT NOT NULL, peer TEXT NOT "
				    "NULL DEFAULT '',\n"
				    "  deadline INTEGER NOT NULL DEFAULT 0, requester TEXT NOT NULL DEFAULT '',\n"
				    "  reply_to TEXT NOT NULL DEFAULT '', relates_to TEXT NOT NULL DEFAULT '', ns "
				    "INTEGER NOT NULL DEFAULT 0,\n"
				    "  out_msg_id TEXT NOT NULL DEFAULT '', kvn INTEGER NOT NULL DEFAULT 0, warning "
				    "INTEGER NOT NULL DEFAULT 0,\n"
				    "  old_sets BLOB);\n";

enum chg_stmt { CS_PUT, CS_GET, CS_DEL, CS_LIST, _NUM_CS };
static const char *const chg_sql[_NUM_CS] = {
	[CS_PUT] = "INSERT OR REPLACE INTO smsr_change (eid, role, step, peer, deadline, requester, reply_to, "
		   "relates_to, ns, out_msg_id, kvn, warning, old_sets) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
	[CS_GET] = "SELECT step FROM smsr_change WHERE eid = ?",
	[CS_DEL] = "DELETE FROM smsr_change WHERE eid = ?",
	[CS_LIST] = "SELECT eid, role, step, peer, deadline, requester, reply_to, relates_to, ns, out_msg_id, kvn, "
		    "warning, old_sets FROM smsr_change ORDER BY eid",
};

struct smsr_change {
	struct smsr *sr;
	struct smsr_store *store;
	struct smsr_change_cfg cfg;
	struct smsr_change_ops ops;
	void *priv;
	struct osmo_tdef *tdefs;
	sqlite3_stmt *stmt[_NUM_CS];
	struct llist_head procs;
	uint32_t next_op, next_tag;
	struct smsr_change_stats stats;
};

/* ---- the procedure ------------------------------------------------------------------------------ */

enum chg_state {
	/* SR1 */
	SR1_ST_4_LOCKED,
	SR1_ST_5_HANDOVER_SENT,
	SR1_ST_8_CERT_TO_ISDR,
	SR1_ST_13_WAIT_KEYSET_REQ,
	SR1_ST_16_KEYAGREEMENT_TO_ISDR,
	SR1_ST_22_WAIT_HANDOVER_RESP,
	/* SR2 */
	SR2_ST_2_AWAITING_HANDOVER,
	SR2_ST_7_AUTHENTICATE_SENT,
	SR2_ST_15_CREATE_KEYSET_SENT,
	SR2_ST_25_FINALISE_SENT,
	SR2_ST_26_ADDRESSING_SENT,
	SR2_ST_26_SCP81_CERT_SENT,
	SR2_ST_26_SCP81_KEYS_SENT,
	ST_DONE,
};

enum chg_event {
	EV_HANDOVER_REQ,    /* SR2: ES7.HandoverEUICC (data: struct ev_req) */
	EV_AUTH_REQ,	    /* SR1: ES7.AuthenticateSMSR */
	EV_KEYSET_REQ,	    /* SR1: ES7.CreateAdditionalKeySet */
	EV_ES7_RESP,	    /* the answer to our ES7 call (data: struct ev_resp) */
	EV_ES5_RESULT,	    /* (data: struct ev_es5) */
	EV_HANDOVER_RESULT, /* SR1: the HandoverEUICC response (data: struct ev_resp) */
};

static const struct value_string chg_event_names[] = { { EV_HANDOVER_REQ, "HANDOVER_REQ" },
						       { EV_AUTH_REQ, "AUTH_REQ" },
						       { EV_KEYSET_REQ, "KEYSET_REQ" },
						       { EV_ES7_RESP, "ES7_RESP" },
						       { EV_ES5_RESULT, "ES5_RESULT" },
						       { EV_HANDOVER_RESULT, "HANDOVER_RESULT" },
						       { 0, NULL } };

struct ev_req {
	const struct es_msg *req;
	const struct smsr_reply *reply;
};
struct ev_resp {
	int rc;
	const struct es_msg *resp;
};
struct ev_es5 {
	int rc;
	uint16_t sw;
	const uint8_t *data;
	size_t len;
};

struct proc {
	struct llist_head entry;
	struct smsr_change *c;
	struct osmo_fsm_inst *fi;
	int role;
	char eid[SMSR_EID_HEX_MAX];
	uint8_t eid_bin[16];
	char peer[SMSR_OID_MAX];
	int64_t deadline;
	/* the request that the procedure answers at its end (SR1: SMSRChange, SR2: HandoverEUICC) */
	struct smsr_reply reply;
	bool have_reply, answered;
	char requester[SMSR_OID_MAX];
	char reply_to[512], relates_to[256];
	enum es_ns_variant ns;
	char out_msg_id[128]; /* SR1: our HandoverEUICC's MessageID */
	/* SR1: the relayed ES7 request waiting for the eUICC */
	struct smsr_reply relay;
	bool have_relay;
	enum es_msg_id relay_id;
	uint32_t op, tag;
	/* SR2 */
	EVP_PKEY *ecasd_pub;
	struct ecka_host host;
	uint8_t crt[ECKA_CRT_MAX];
	size_t crt_len;
	uint8_t kvn;
	uint8_t scp81_kvn; /* step 26: the SCP81 key set being created */
	struct es5_keyrange old[MAX_OLD];
	size_t n_old;
	bool warning;
	const char *warn_msg;
	bool handover_resent; /* SR1: HandoverEUICC sent again (no answer at step 22, or a restart) */
};

struct status {
	enum es_status status;
	const char *subject, *reason, *message;
};

static const struct status ST_OK = { ES_STATUS_EXECUTED_SUCCESS, NULL, NULL, NULL };
static const struct status ST_EID_UNKNOWN = { ES_STATUS_FAILED, "8.1.1", "1.1", "eUICC unknown to the SM-SR" };
static const struct status ST_BUSY = { ES_STATUS_FAILED, "8.1", "3.3", "an operation is pending on this eUICC" };
static const struct status ST_NOT_ALLOWED = { ES_STATUS_FAILED, "8.7", "1.2", "not allowed in this state" };
static const struct status ST_BAD_ARG = { ES_STATUS_FAILED, "1.6", "2.1", "invalid request" };
static const struct status ST_INTERNAL = { ES_STATUS_FAILED, "1.2", "4.2", "SM-SR internal error" };
static const struct status ST_EXPIRED = { ES_STATUS_FAILED, "1.6", "5.3", "validity period expired" };
static const struct status ST_BAD_ECASD = { ES_STATUS_FAILED, "8.5.2", "6.3", "Invalid ECASD certificate" };
static const struct status ST_PEER = { ES_STATUS_FAILED, "8.7", "5.1", "the other SM-SR failed or is unreachable" };
static const struct status ST_CARD_CERT = { ES_STATUS_FAILED, "8.5.3", "6.1",
					    "the eUICC refused the SM-SR certificate" };
static const struct status ST_CARD_EXEC = { ES_STATUS_FAILED, "8.4", "4.2",
					    "error during execution of the command on the eUICC" };
static const struct status ST_NO_RESPONSE = { ES_STATUS_FAILED, "8.4", "5.4", "delivered with no response" };
static const struct status ST_RECEIPT = { ES_STATUS_FAILED, "8.4", "6.1", "receipt verification failed" };

static struct osmo_fsm sr1_fsm, sr2_fsm;

/* ---- helpers ------------------------------------------------------------------------------------ */

static int64_t now_s(void)
{
	struct timeval tv;

	osmo_gettimeofday(&tv, NULL);
	return (int64_t)tv.tv_sec;
}

static unsigned long tdef_s(struct smsr_change *c, int T)
{
	return osmo_tdef_get(c->tdefs, T, OSMO_TDEF_S, 60);
}

static unsigned long until(int64_t deadline)
{
	int64_t d = deadline - now_s();

	return d > 0 ? (unsigned long)d : 1;
}

static void put_text(sqlite3_stmt *q, int i, const char *t)
{
	sqlite3_bind_text(q, i, t ? t : "", -1, SQLITE_TRANSIENT);
}

static void get_text(sqlite3_stmt *q, int i, char *out, size_t cap)
{
	const unsigned char *t = sqlite3_column_text(q, i);

	snprintf(out, cap, "%s", t ? (const char *)t : "");
}

static sqlite3_stmt *cs(struct smsr_change *c, enum chg_stmt i)
{
	sqlite3_reset(c->stmt[i]);
	sqlite3_clear_bindings(c->stmt[i]);
	return c->stmt[i];
}

/* Store the procedure with its current step (the state name), inside an open transaction or its own. */
static int proc_persist(struct proc *p)
{
	struct smsr_change *c = p->c;
	sqlite3_stmt *q = cs(c, CS_PUT);
	uint8_t old[3 * MAX_OLD];
	int rc;

	for (size_t i = 0; i < p->n_old; i++) {
		old[3 * i] = p->old[i].kvn;
		old[3 * i + 1] = p->old[i].first_kid;
		old[3 * i + 2] = p->old[i].last_kid;
	}
	put_text(q, 1, p->eid);
	sqlite3_bind_int(q, 2, p->role);
	put_text(q, 3, osmo_fsm_inst_state_name(p->fi));
	put_text(q, 4, p->peer);
	sqlite3_bind_int64(q, 5, p->deadline);
	put_text(q, 6, p->requester);
	put_text(q, 7, p->reply_to);
	put_text(q, 8, p->relates_to);
	sqlite3_bind_int(q, 9, (int)p->ns);
	put_text(q, 10, p->out_msg_id);
	sqlite3_bind_int(q, 11, p->kvn);
	sqlite3_bind_int(q, 12, p->warning);
	if (p->n_old)
		sqlite3_bind_blob(q, 13, old, (int)(3 * p->n_old), SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(q, 13);
	rc = smsr_store_begin(c->store);
	if (rc < 0)
		return rc;
	rc = smsr_store_step(c->store, q);
	sqlite3_reset(q);
	if (rc != SQLITE_DONE) {
		smsr_store_rollback(c->store);
		LOGPFSML(p->fi, LOGL_ERROR, "step not stored: %s\n", smsr_store_last_error(c->store));
		return rc < 0 ? rc : -EIO;
	}
	return smsr_store_commit(c->store);
}

static int proc_forget(struct smsr_change *c, const char *eid)
{
	sqlite3_stmt *q = cs(c, CS_DEL);
	int rc;

	put_text(q, 1, eid);
	rc = smsr_store_begin(c->store);
	if (rc < 0)
		return rc;
	rc = smsr_store_step(c->store, q);
	sqlite3_reset(q);
	if (rc != SQLITE_DONE) {
		smsr_store_rollback(c->store);
		return rc < 0 ? rc : -EIO;
	}
	return smsr_store_commit(c->store);
}

/* Change state and store it; timeout in seconds (0 = none). */
static void go(struct proc *p, enum chg_state st, unsigned long secs, int T)
{
	osmo_fsm_inst_state_chg(p->fi, st, secs, T);
	proc_persist(p);
}

static void audit(struct smsr_change *c, const char *eid, uint16_t type, const char *requester, enum es_status st)
{
	struct smsr_audit_row a = { .op_type = type, .status = st, .date = now_s() };

	snprintf(a.eid, sizeof(a.eid), "%s", eid);
	snprintf(a.requester, sizeof(a.requester), "%s", requester ? requester : "");
	if (smsr_store_audit_add(c->store, &a) < 0)
		LOGP(DES7, LOGL_ERROR, "EID-%s: audit record not stored\n", eid);
}

static void fes_set(struct es_fes *fes, const struct status *s)
{
	memset(fes, 0, sizeof(*fes));
	fes->present = true;
	fes->status = s->status;
	if (s->status != ES_STATUS_EXECUTED_SUCCESS) {
		fes->status_code_data.present = true;
		fes->status_code_data.subject = s->subject;
		fes->status_code_data.reason = s->reason;
		fes->status_code_data.message = s->message;
	}
}

/* Every response starts with the base response (common initial sequence, as in smsr.c). */
#define FES(m) (&(m)->u.es1_register_eis_resp.function_execution_status)

/* The ES7 responses whose data elements the schema makes mandatory even when the status is Failed
 * (es7.xsd: RandomChallenge; DerivationRandom and Receipt): sent empty then, so that a refusal is still
 * a valid message (the checker's XSD-001 saw them missing). */
static void fill_mandatory(struct es_msg *r)
{
	static const uint8_t none[1];

	if (r->id == ES_MSG_ES7_AUTHENTICATE_SMSR_RESP && !r->u.es7_authenticate_smsr_resp.random_challenge.data)
		r->u.es7_authenticate_smsr_resp.random_challenge = (struct es_hex){ none, 0 };
	if (r->id == ES_MSG_ES7_CREATE_ADDITIONAL_KEY_SET_RESP) {
		struct es7_create_additional_key_set_resp *k = &r->u.es7_create_additional_key_set_resp;

		if (!k->derivation_random.data)
			k->derivation_random = (struct es_hex){ none, 0 };
		if (!k->receipt.data)
			k->receipt = (struct es_hex){ none, 0 };
	}
}

static void reply_now(const struct smsr_reply *reply, enum es_msg_id req_id, const struct status *s)
{
	struct es_msg *r = talloc_zero(NULL, struct es_msg);

	if (!r)
		return;
	r->id = req_id + 1;
	fes_set(FES(r), s);
	fill_mandatory(r);
	smsr_ctr_es_answer(r);
	reply->respond(reply->handle, r);
	talloc_free(r);
}

/* Answer the request that started the procedure, now (the handle) or after a restart (stored). */
static void proc_answer(struct proc *p, enum es_msg_id resp_id, const struct status *s)
{
	struct smsr_change *c = p->c;
	struct es_msg *r;

	if (p->answered)
		return;
	p->answered = true;
	r = talloc_zero(p, struct es_msg);
	if (!r)
		return;
	r->id = resp_id;
	fes_set(FES(r), s);
	if (s->status == ES_STATUS_EXECUTED_SUCCESS)
		c->stats.succeeded++;
	else if (s->status == ES_STATUS_EXECUTED_WITHWARNING)
		c->stats.warnings++;
	else
		c->stats.failed++;
	smsr_ctr_es_answer(r);
	if (p->have_reply)
		p->reply.respond(p->reply.handle, r);
	else if (c->ops.respond_stored && p->reply_to[0])
		c->ops.respond_stored(c->priv, p->reply_to, p->relates_to, p->ns, r);
	else
		LOGPFSML(p->fi, LOGL_NOTICE, "no way to answer the request any more\n");
	talloc_free(r);
}

static int eid_of(const struct es_hex *h, char *out, size_t cap, uint8_t bin[16])
{
	if (!h->data || h->len != 16)
		return -EINVAL;
	if (smsr_eid_to_hex(h->data, h->len, out, cap) < 0 || ids_eid_verify(out, 32, NULL) != 0)
		return -EINVAL;
	memcpy(bin, h->data, 16);
	return 0;
}

static struct proc *proc_by_eid(struct smsr_change *c, const char *eid)
{
	struct proc *p;

	llist_for_each_entry (p, &c->procs, entry)
		if (!strcmp(p->eid, eid))
			return p;
	return NULL;
}

static void msg_id_new(struct smsr_change *c, char *buf, size_t cap)
{
	uint8_t r[16];

	crypto_random(r, sizeof(r));
	snprintf(buf, cap, "//%s/urn:uuid:%s", c->cfg.smsr_id, osmo_hexdump_nospc(r, sizeof(r)));
}

static void record_origin(struct proc *p, const struct es_msg *req, const struct smsr_reply *reply)
{
	p->reply = *reply;
	p->have_reply = true;
	p->answered = false;
	snprintf(p->requester, sizeof(p->requester), "%s", reply->requester ? reply->requester : "");
	p->reply.requester = p->requester;
	snprintf(p->reply_to, sizeof(p->reply_to), "%s",
		 req->wsa.reply_to ? req->wsa.reply_to
		 : req->wsa.from   ? req->wsa.from
				   : "");
	snprintf(p->relates_to, sizeof(p->relates_to), "%s", req->wsa.message_id ? req->wsa.message_id : "");
	p->ns = req->ns_seen;
}

static int64_t deadline_of(struct smsr_change *c, const struct es_int *vp)
{
	int64_t v = vp->present && vp->v > 0 ? vp->v : (c->cfg.default_validity ? c->cfg.default_validity : 600);

	if (v > 7 * 86400)
		v = 7 * 86400;
	return now_s() + v;
}

/* One C-APDU in an expanded command script (TS 102 226 §5.2.1: AA { 22 C-APDU }), BER lengths: a
 * 3A01 with CERT.SR.ECDSA is longer than 127 octets, so both need the 81 form then. */
static int es5_send_apdu(struct proc *p, const uint8_t *apdu, size_t len)
{
	struct smsr_change *c = p->c;
	uint8_t s[300];
	struct bertlv_writer w;
	size_t mark;
	int n;

	if (len > 250)
		return -EMSGSIZE;
	bertlv_writer_init(&w, s, sizeof(s));
	mark = bertlv_open(&w, 0xAA);

	bertlv_put(&w, 0x22, apdu, len);
	bertlv_close(&w, mark);
	n = bertlv_writer_finish(&w);
	if (n < 0)
		return n;
	p->op = SMSR_CHG_OP_FLAG | (++c->next_op & ~SMSR_CHG_OP_FLAG);
	return c->ops.es5_send(c->priv, p->eid, p->op, s, (size_t)n);
}

static int es7_call(struct proc *p, struct es_msg *m)
{
	struct smsr_change *c = p->c;
	char id[128];

	msg_id_new(c, id, sizeof(id));
	m->wsa.message_id = id;
	p->tag = ++c->next_tag;
	return c->ops.es_call(c->priv, p->peer, m, p->tag);
}

static struct proc *proc_alloc(struct smsr_change *c, int role, const char *eid, const uint8_t bin[16])
{
	struct osmo_fsm_inst *fi;
	struct proc *p;
	char id[96];

	snprintf(id, sizeof(id), "EID-%s", eid);
	fi = osmo_fsm_inst_alloc(role == ROLE_SR1 ? &sr1_fsm : &sr2_fsm, c, NULL, LOGL_INFO, id);
	if (!fi)
		return NULL;
	p = talloc_zero(fi, struct proc);
	if (!p) {
		osmo_fsm_inst_free(fi);
		return NULL;
	}
	fi->priv = p;
	p->fi = fi;
	p->c = c;
	p->role = role;
	snprintf(p->eid, sizeof(p->eid), "%s", eid);
	memcpy(p->eid_bin, bin, 16);
	llist_add_tail(&p->entry, &c->procs);
	if (role == ROLE_SR1)
		c->stats.started_sr1++;
	else
		c->stats.started_sr2++;
	return p;
}

static void proc_end(struct proc *p)
{
	proc_forget(p->c, p->eid);
	osmo_fsm_inst_state_chg(p->fi, ST_DONE, 0, 0);
	osmo_fsm_inst_term(p->fi, OSMO_FSM_TERM_REGULAR, NULL);
}

static void proc_cleanup(struct osmo_fsm_inst *fi, enum osmo_fsm_term_cause cause)
{
	struct proc *p = fi->priv;

	if (p->have_relay) {
		reply_now(&p->relay, p->relay_id, &ST_INTERNAL);
		p->have_relay = false;
	}
	ecka_host_free(&p->host);
	EVP_PKEY_free(p->ecasd_pub);
	p->ecasd_pub = NULL;
	llist_del(&p->entry);
}

/* ==== SR1 ========================================================================================= */

/* Abort before the commit point could have happened: the EIS is ours again. */
static void sr1_abort(struct proc *p, const struct status *s)
{
	struct smsr_change *c = p->c;

	LOGPFSML(p->fi, LOGL_NOTICE, "SM-SR Change aborted (%s): the eUICC stays managed here\n", s->message);
	smsr_store_eis_set_state(c->store, p->eid, SMSR_EIS_ACTIVE, "", 0);
	audit(c, p->eid, AUDIT_HANDOVER_OUT, p->requester, s->status);
	proc_answer(p, ES_MSG_ES4_SMSR_CHANGE_RESP, s);
	proc_end(p);
}

/* Steps 29-30: SR2 owns the eUICC; our EIS goes. */
static void sr1_finish(struct proc *p, bool warning)
{
	struct smsr_change *c = p->c;
	int rc = smsr_store_eis_delete(c->store, p->eid);

	if (rc < 0)
		LOGPFSML(p->fi, LOGL_ERROR, "EIS not deleted: %s\n", smsr_store_last_error(c->store));
	LOGPFSML(p->fi, LOGL_INFO, "step 29: EIS deleted, the eUICC is managed by %s\n", p->peer);
	audit(c, p->eid, AUDIT_HANDOVER_OUT, p->requester,
	      warning ? ES_STATUS_EXECUTED_WITHWARNING : ES_STATUS_EXECUTED_SUCCESS);
	proc_answer(p, ES_MSG_ES4_SMSR_CHANGE_RESP,
		    warning ? &(struct status){ ES_STATUS_EXECUTED_WITHWARNING, "8.7", "4.3",
						"completed with a warning at the new SM-SR" }
			    : &ST_OK);
	proc_end(p);
}

static void sr1_handover_result(struct proc *p, const struct ev_resp *r)
{
	const struct es_fes *fes;

	if (r->rc < 0 || !r->resp || r->resp->id != ES_MSG_ES7_HANDOVER_EUICC_RESP) {
		/* the call itself failed: before step 7 nothing happened at SR2 that we must wait for;
		 * later, SR2 is talking to us and its answer may still come: keep waiting */
		if (p->fi->state == SR1_ST_5_HANDOVER_SENT && r->rc < 0)
			sr1_abort(p, &ST_PEER);
		return;
	}
	fes = &r->resp->u.es7_handover_euicc_resp.function_execution_status;
	if (p->handover_resent && fes->status == ES_STATUS_FAILED && fes->status_code_data.subject &&
	    fes->status_code_data.reason && !strcmp(fes->status_code_data.subject, ST_BUSY.subject) &&
	    !strcmp(fes->status_code_data.reason, ST_BUSY.reason)) {
		/* SR2's procedure still runs: its own answer to the first HandoverEUICC will come */
		go(p, SR1_ST_22_WAIT_HANDOVER_RESP, tdef_s(p->c, SMSR_CHG_T_ES7), SMSR_CHG_T_ES7);
		return;
	}
	switch (fes->status) {
	case ES_STATUS_EXECUTED_SUCCESS: sr1_finish(p, false); return;
	case ES_STATUS_EXECUTED_WITHWARNING: sr1_finish(p, true); return;
	default:
		/* digest §2.1 step 28: after step 23 SR2 never answers Failed, so the eUICC is still ours */
		sr1_abort(p, &(struct status){ ES_STATUS_FAILED, "8.7", "4.2", "the new SM-SR refused the handover" });
		return;
	}
}

/* Steps 7-8: AuthenticateSMSR relayed as STORE DATA 3A01 { CERT.SR.ECDSA }. */
static void sr1_rx_auth(struct proc *p, const struct ev_req *e)
{
	const struct es7_authenticate_smsr_req *q = &e->req->u.es7_authenticate_smsr_req;
	uint8_t apdu[300];
	int n;

	if (strcmp(e->reply->requester ? e->reply->requester : "", p->peer)) {
		reply_now(e->reply, e->req->id, &ST_NOT_ALLOWED);
		return;
	}
	if (p->have_relay && p->relay_id == e->req->id) {
		/* SR2 asks again (its answer timer ran out while the eUICC was slow): the 3A01 on its way
		 * answers this request; the earlier one is closed as busy (SR2 dropped it) */
		LOGPFSML(p->fi, LOGL_INFO, "AuthenticateSMSR again: answered with the pending 3A01's result\n");
		reply_now(&p->relay, p->relay_id, &ST_BUSY);
		p->relay = *e->reply;
		return;
	}
	if (p->have_relay) {
		reply_now(e->reply, e->req->id, &ST_BUSY);
		return;
	}
	n = q->smsr_certificate.data
		    ? es5_keyset_cert_build(apdu, sizeof(apdu), q->smsr_certificate.data, q->smsr_certificate.len)
		    : -EINVAL;
	if (n < 0) {
		reply_now(e->reply, e->req->id, &ST_BAD_ARG);
		return;
	}
	p->relay = *e->reply;
	p->relay_id = e->req->id;
	p->have_relay = true;
	go(p, SR1_ST_8_CERT_TO_ISDR, tdef_s(p->c, SMSR_CHG_T_ES5), SMSR_CHG_T_ES5);
	LOGPFSML(p->fi, LOGL_INFO, "step 8: CERT.SR.ECDSA to the ISD-R (3A01)\n");
	if (es5_send_apdu(p, apdu, (size_t)n) < 0) {
		p->have_relay = false;
		reply_now(&p->relay, p->relay_id, &ST_NO_RESPONSE);
		go(p, SR1_ST_5_HANDOVER_SENT, until(p->deadline), 0);
	}
}

/* Counter value of the CRT `91` from InitialSequenceCounter: empty for 0 (the trace's `91 00`), else
 * 5 bytes (TS 102 225 counter size; Njiwa) [I]. */
static size_t counter_bytes(int64_t v, uint8_t out[ECKA_COUNTER_MAX])
{
	if (v <= 0)
		return 0;
	for (int i = ECKA_COUNTER_MAX - 1; i >= 0; i--, v >>= 8)
		out[i] = (uint8_t)v;
	return ECKA_COUNTER_MAX;
}

/* The A6 CRT from the CreateAdditionalKeySet parameters: the SGP.02 constants + KVN, counter,
 * ScenarioParameter, HostId (open-questions §3: both SM-SRs rebuild the same CRT). */
static int crt_build(const struct ecka_variants *v, uint8_t kvn, int64_t counter, uint8_t param, const uint8_t *host_id,
		     size_t host_id_len, uint8_t *out, size_t cap)
{
	struct ecka_crt crt;
	uint8_t cnt[ECKA_COUNTER_MAX];

	ecka_crt_default(&crt, ECKA_TARGET_ISDR, v, kvn);
	crt.param = param;
	crt.counter_len = counter_bytes(counter, cnt);
	crt.counter = crt.counter_len ? cnt : NULL;
	if (param & ECKA_SP_HOSTID) {
		crt.host_id = host_id;
		crt.host_id_len = host_id_len;
	}
	return ecka_crt_encode(&crt, out, cap);
}

/* Steps 15-16: CreateAdditionalKeySet relayed as STORE DATA 3A02 { A6 } 7F49 5F37. */
static void sr1_rx_keyset(struct proc *p, const struct ev_req *e)
{
	const struct es7_create_additional_key_set_req *q = &e->req->u.es7_create_additional_key_set_req;
	uint8_t a6[ECKA_CRT_MAX], apdu[300];
	int n, alen;

	if (strcmp(e->reply->requester ? e->reply->requester : "", p->peer)) {
		reply_now(e->reply, e->req->id, &ST_NOT_ALLOWED);
		return;
	}
	if (!q->key_version_number.present || q->key_version_number.v < 1 || q->key_version_number.v > 0x0F ||
	    !q->scenario_parameter.present || q->scenario_parameter.v < 0 || q->scenario_parameter.v > 0xFF ||
	    !q->host_id.data || q->host_id.len < 1 || q->host_id.len > ECKA_HOSTID_MAX ||
	    !q->ephemeral_public_key.data || q->ephemeral_public_key.len > 100 || !q->signature.data ||
	    q->signature.len != EC_SIG_LEN || q->ecc_key_length != ES_ECC_256 ||
	    (q->initial_sequence_counter.present &&
	     (q->initial_sequence_counter.v < 0 || q->initial_sequence_counter.v > 0xFFFFFFFFFFLL))) {
		reply_now(e->reply, e->req->id, &ST_BAD_ARG);
		return;
	}
	alen = crt_build(&p->c->cfg.ecka, (uint8_t)q->key_version_number.v, q->initial_sequence_counter.v,
			 (uint8_t)q->scenario_parameter.v, q->host_id.data, q->host_id.len, a6, sizeof(a6));
	n = alen < 0 ? alen
		     : es5_keyset_keyagreement_build(apdu, sizeof(apdu), a6, (size_t)alen, q->ephemeral_public_key.data,
						     q->ephemeral_public_key.len, q->signature.data, q->signature.len);
	if (n < 0) {
		reply_now(e->reply, e->req->id, &ST_BAD_ARG);
		return;
	}
	p->relay = *e->reply;
	p->relay_id = e->req->id;
	p->have_relay = true;
	go(p, SR1_ST_16_KEYAGREEMENT_TO_ISDR, tdef_s(p->c, SMSR_CHG_T_ES5), SMSR_CHG_T_ES5);
	LOGPFSML(p->fi, LOGL_INFO, "step 16: key agreement to the ISD-R (3A02, KVN %02X)\n",
		 (unsigned int)q->key_version_number.v);
	if (es5_send_apdu(p, apdu, (size_t)n) < 0) {
		p->have_relay = false;
		reply_now(&p->relay, p->relay_id, &ST_NO_RESPONSE);
		go(p, SR1_ST_13_WAIT_KEYSET_REQ, until(p->deadline), 0);
	}
}

static void sr1_es5_result(struct proc *p, const struct ev_es5 *r)
{
	struct es_msg *m;
	struct es5_bytes a, b;
	bool cert = p->fi->state == SR1_ST_8_CERT_TO_ISDR;

	if (!p->have_relay)
		return;
	m = talloc_zero(p, struct es_msg);
	if (!m)
		return;
	m->id = p->relay_id + 1;
	if (r->rc < 0) {
		fes_set(FES(m), &ST_NO_RESPONSE);
	} else if (r->sw != 0x9000) {
		LOGPFSML(p->fi, LOGL_NOTICE, "eUICC answered SW %04X\n", r->sw);
		fes_set(FES(m), cert && (r->sw == 0x6982 || r->sw == 0x6A80) ? &ST_CARD_CERT : &ST_CARD_EXEC);
	} else if (cert && es5_keyset_cert_resp_parse(r->data, r->len, &a) >= 0) {
		/* step 13: RC back to SR2 */
		m->u.es7_authenticate_smsr_resp.random_challenge = (struct es_hex){ a.buf, a.len };
		fes_set(FES(m), &ST_OK);
	} else if (!cert && es5_keyset_keyagreement_resp_parse(r->data, r->len, &a, &b) >= 0) {
		/* step 22: DR and receipt back to SR2 */
		m->u.es7_create_additional_key_set_resp.derivation_random =
			(struct es_hex){ a.len ? a.buf : NULL, a.len };
		m->u.es7_create_additional_key_set_resp.receipt = (struct es_hex){ b.buf, b.len };
		fes_set(FES(m), &ST_OK);
	} else {
		fes_set(FES(m), &ST_CARD_EXEC);
	}
	/* the next state before the answer: SR2 may react at once */
	if (FES(m)->status == ES_STATUS_EXECUTED_SUCCESS)
		go(p, cert ? SR1_ST_13_WAIT_KEYSET_REQ : SR1_ST_22_WAIT_HANDOVER_RESP,
		   cert ? until(p->deadline) : tdef_s(p->c, SMSR_CHG_T_ES7), cert ? 0 : SMSR_CHG_T_ES7);
	else
		go(p, cert ? SR1_ST_5_HANDOVER_SENT : SR1_ST_13_WAIT_KEYSET_REQ, until(p->deadline), 0);
	LOGPFSML(p->fi, LOGL_INFO, "step %s: %s answered to %s\n", cert ? "13" : "22",
		 get_value_string(es_status_names, FES(m)->status), p->peer);
	fill_mandatory(m);
	p->have_relay = false;
	smsr_ctr_es_answer(m);
	p->relay.respond(p->relay.handle, m);
	talloc_free(m);
}

static void sr1_wait_action(struct osmo_fsm_inst *fi, uint32_t event, void *data)
{
	struct proc *p = fi->priv;

	switch (event) {
	case EV_AUTH_REQ: sr1_rx_auth(p, data); return;
	case EV_KEYSET_REQ: sr1_rx_keyset(p, data); return;
	case EV_ES7_RESP:
	case EV_HANDOVER_RESULT: sr1_handover_result(p, data); return;
	case EV_ES5_RESULT: sr1_es5_result(p, data); return;
	}
}

static void sr1_handover_again(struct proc *p);

static int sr1_timer_cb(struct osmo_fsm_inst *fi)
{
	struct proc *p = fi->priv;

	switch (fi->state) {
	case SR1_ST_5_HANDOVER_SENT:
	case SR1_ST_13_WAIT_KEYSET_REQ:
		/* digest §2.1: step 7 or 15 not within the validity period: Failed */
		p->c->stats.expired++;
		sr1_abort(p, &ST_EXPIRED);
		return 0;
	case SR1_ST_8_CERT_TO_ISDR:
	case SR1_ST_16_KEYAGREEMENT_TO_ISDR: sr1_es5_result(p, &(struct ev_es5){ .rc = -ETIMEDOUT }); return 0;
	case SR1_ST_22_WAIT_HANDOVER_RESP:
		/* SR2 may have committed: never abort here, ask again (its answer may have been lost) */
		LOGPFSML(fi, LOGL_NOTICE, "no HandoverEUICC answer from %s: asking again\n", p->peer);
		sr1_handover_again(p);
		return 0;
	default: return 0;
	}
}

/* Step 5 (and again from step 22 when its answer does not come): HandoverEUICC with the EIS, our ISD-R
 * key values withheld. The FunctionCallIdentifier stays the same for a repetition (SGP.02 §5.1: a
 * retried call); each send has its own MessageID, kept for the answer after a restart. */
static int sr1_send_handover(struct proc *p)
{
	struct smsr_change *c = p->c;
	struct es_msg *m = talloc_zero(p, struct es_msg);
	char fci[96], again_id[128];
	int rc;

	if (!m || smsr_eis_build(c->sr, m, p->eid, &m->u.es7_handover_euicc_req.eis) < 0) {
		talloc_free(m);
		return -EIO;
	}
	snprintf(fci, sizeof(fci), "handover-%s", p->eid);
	m->id = ES_MSG_ES7_HANDOVER_EUICC_REQ;
	m->u.es7_handover_euicc_req.present = true;
	m->u.es7_handover_euicc_req.eis.present = true;
	m->u.es7_handover_euicc_req.function_call_identifier = fci;
	m->u.es7_handover_euicc_req.validity_period = (struct es_int){ true, (int64_t)until(p->deadline) };
	{
		struct es_security_domain *isdr = &m->u.es7_handover_euicc_req.eis.isd_r;
		struct es_keyset now[ARRAY_SIZE(isdr->keyset)];
		unsigned int n_now = 0;

		/* the ISD-R key sets the eUICC has now are those of our store: the stored EIS lists the ones
		 * of its registration (or, after a change to us, the previous SM-SR's), and SR2 picks its new
		 * KVN outside this list (a stale list makes it pick our own, which the eUICC refuses) */
		for (int kvn = 0x01; kvn <= 0x4F && n_now < ARRAY_SIZE(now); kvn = kvn == 0x0F ? 0x40 : kvn + 1) {
			struct smsr_keyset_row ks;
			enum smsr_keyset_kind kind = kvn < 0x40 ? SMSR_KEYSET_SCP80 : SMSR_KEYSET_SCP81;

			if (smsr_store_keyset_get(c->store, p->eid, kind, kvn, &ks) < 0)
				continue;
			OPENSSL_cleanse(&ks, sizeof(ks));
			now[n_now++] = (struct es_keyset){ .present = true,
							   .version = { true, kvn },
							   .type = kvn < 0x40 ? ES_KEYSET_SCP80 : ES_KEYSET_SCP81 };
		}
		if (n_now) {
			memcpy(isdr->keyset, now, n_now * sizeof(now[0]));
			isdr->n_keyset = n_now;
		}
		if (smsr_eisvar_get(c->cfg.eisvar, p->eid, SMSR_EISVAR_HANDOVER_HIDE, c->cfg.hide) ==
		    SMSR_CHG_HIDE_KEYSETS)
			isdr->n_keyset = 0;
		for (unsigned int i = 0; i < isdr->n_keyset; i++)
			isdr->keyset[i].n_key = 0;
	}
	/* the first send's MessageID is the stored one (SR2's answer after our restart is matched by it);
	 * the answer to a repetition comes back on its own call */
	if (p->handover_resent) {
		msg_id_new(c, again_id, sizeof(again_id));
		m->wsa.message_id = again_id;
	} else {
		m->wsa.message_id = p->out_msg_id;
	}
	p->tag = ++c->next_tag;
	LOGPFSML(p->fi, LOGL_INFO, "step 5: HandoverEUICC to %s%s\n", p->peer, p->handover_resent ? " (again)" : "");
	rc = c->ops.es_call(c->priv, p->peer, m, p->tag);
	talloc_free(m);
	return rc < 0 ? -ECOMM : 0;
}

/* Step 22 without SR2's answer for T_ES7 (or after our restart): ask again. SR2 answers "eUICC already
 * managed" once it holds the eUICC, "busy" while its procedure runs, or Failed when it never got it. */
static void sr1_handover_again(struct proc *p)
{
	struct smsr_change *c = p->c;

	p->handover_resent = true;
	go(p, SR1_ST_22_WAIT_HANDOVER_RESP, tdef_s(c, SMSR_CHG_T_ES7), SMSR_CHG_T_ES7);
	if (sr1_send_handover(p) < 0)
		LOGPFSML(p->fi, LOGL_NOTICE, "HandoverEUICC not sent again: trying after T_ES7\n");
}

/* Step 4: ES4.SMSRChange. */
static int sr1_start(struct smsr_change *c, const struct es_msg *req, const struct smsr_reply *reply)
{
	const struct es4_smsr_change_req *q = &req->u.es4_smsr_change_req;
	struct smsr_pending_row pend[16];
	struct smsr_eis_row row;
	char eid[SMSR_EID_HEX_MAX];
	uint8_t bin[16];
	struct proc *p;
	size_t n = 0;
	int rc;

	if (eid_of(&q->eid, eid, sizeof(eid), bin) < 0 || smsr_store_eis_get(c->store, eid, &row) < 0 ||
	    row.state == SMSR_EIS_HANDOVER_IN || row.state == SMSR_EIS_RECEIVED) {
		reply_now(reply, req->id, &ST_EID_UNKNOWN);
		return -ENOENT;
	}
	if (!q->target_smsr_id || !q->target_smsr_id[0] || strlen(q->target_smsr_id) >= SMSR_OID_MAX ||
	    !strcmp(q->target_smsr_id, c->cfg.smsr_id)) {
		reply_now(reply, req->id, &ST_BAD_ARG);
		return -EINVAL;
	}
	/* the eUICC's MNO asks (ownership of a profile) */
	if (row.state != SMSR_EIS_ACTIVE || proc_by_eid(c, eid)) {
		reply_now(reply, req->id, &ST_BUSY);
		return -EBUSY;
	}
	/* step 5: no pending operation on this eUICC */
	if (smsr_store_pending_list(c->store, pend, ARRAY_SIZE(pend), &n) == 0)
		for (size_t i = 0; i < n && i < ARRAY_SIZE(pend); i++)
			if (!strcmp(pend[i].eid, eid)) {
				reply_now(reply, req->id, &ST_BUSY);
				return -EBUSY;
			}
	p = proc_alloc(c, ROLE_SR1, eid, bin);
	if (!p) {
		reply_now(reply, req->id, &ST_INTERNAL);
		return -ENOMEM;
	}
	record_origin(p, req, reply);
	snprintf(p->peer, sizeof(p->peer), "%s", q->target_smsr_id);
	p->deadline = deadline_of(c, &q->validity_period);
	msg_id_new(c, p->out_msg_id, sizeof(p->out_msg_id));
	/* step 5: lock (other functions refuse an EIS that is not active) and store, in one transaction */
	rc = smsr_store_begin(c->store);
	if (rc == 0)
		rc = smsr_store_eis_set_state(c->store, eid, SMSR_EIS_HANDOVER_OUT, p->peer, p->deadline);
	osmo_fsm_inst_state_chg(p->fi, SR1_ST_5_HANDOVER_SENT, until(p->deadline), 0);
	if (rc == 0)
		rc = proc_persist(p);
	if (rc == 0)
		rc = smsr_store_commit(c->store);
	else
		smsr_store_rollback(c->store);
	if (rc < 0) {
		proc_answer(p, ES_MSG_ES4_SMSR_CHANGE_RESP, &ST_INTERNAL);
		osmo_fsm_inst_term(p->fi, OSMO_FSM_TERM_ERROR, NULL);
		return rc;
	}
	/* step 5: HandoverEUICC with the EIS, our ISD-R key values withheld */
	rc = sr1_send_handover(p);
	if (rc == -EIO)
		sr1_abort(p, &ST_INTERNAL);
	else if (rc < 0)
		sr1_abort(p, &ST_PEER);
	return 0;
}

/* ==== SR2 ========================================================================================= */

static const struct es_hex *eis_ecasd_cert(const struct es_eis *eis)
{
	const struct es_security_domain *sd = &eis->eum_signed_info.ecasd;

	for (unsigned int i = 0; i < sd->n_keyset && i < ARRAY_SIZE(sd->keyset); i++) {
		const struct es_keyset *ks = &sd->keyset[i];

		if (ks->type && ks->type != ES_KEYSET_CA) /* digest §4.6: the ECASD key set of type CA */
			continue;
		for (unsigned int j = 0; j < ks->n_certificate && j < ARRAY_SIZE(ks->certificate); j++)
			if (ks->certificate[j].value.data)
				return &ks->certificate[j].value;
	}
	return NULL;
}

/* PK.ECASD.ECKA again from the kept EIS (verified at step 6) after a restart. */
static int ecasd_pub_from_store(struct proc *p)
{
	struct smsr_change *c = p->c;
	uint8_t *blob = NULL;
	size_t len;
	struct es_msg *m;
	char *arena;
	const struct es_hex *ch;
	struct gpcert cert;
	int rc = -ENOENT;

	EVP_PKEY_free(p->ecasd_pub);
	p->ecasd_pub = NULL;
	m = talloc_zero(p, struct es_msg);
	if (m && smsr_store_eis_blob(c->store, m, p->eid, &blob, &len) == 0 && (arena = talloc_size(m, len + 64)) &&
	    es_msg_decode(m, arena, len + 64, blob, len, NULL, NULL) == 0 && m->id == ES_MSG_ES1_REGISTER_EIS_REQ &&
	    (ch = eis_ecasd_cert(&m->u.es1_register_eis_req.eis)) &&
	    gpcert_decode_exact(&cert, ch->data, ch->len, NULL) >= 0)
		rc = gpcert_public_key(&cert, &p->ecasd_pub, NULL);
	talloc_free(m);
	return rc;
}

/* Failure before the commit point: the HandoverEUICC is Failed and the received EIS forgotten. */
static void sr2_fail(struct proc *p, const struct status *s)
{
	struct smsr_change *c = p->c;
	struct smsr_eis_row row;

	LOGPFSML(p->fi, LOGL_NOTICE, "SM-SR Change failed before the commit point: %s\n", s->message);
	if (smsr_store_eis_get(c->store, p->eid, &row) == 0 && row.state != SMSR_EIS_ACTIVE)
		smsr_store_eis_delete(c->store, p->eid);
	audit(c, p->eid, AUDIT_HANDOVER_IN, p->requester, s->status);
	proc_answer(p, ES_MSG_ES7_HANDOVER_EUICC_RESP, s);
	proc_end(p);
}

/* Steps 7 and 15 wait for SR1 at most T_ES7_RETRY (then step 7 again: SR1 may have restarted and lost
 * the relayed request, or the answer was lost), and never past the validity period. */
static unsigned long sr2_wait_s(struct proc *p)
{
	unsigned long retry = tdef_s(p->c, SMSR_CHG_T_ES7_RETRY), left = until(p->deadline);

	return retry && retry < left ? retry : left;
}

/* Step 7: AuthenticateSMSR with CERT.SR.ECDSA. */
static void sr2_authenticate(struct proc *p)
{
	struct smsr_change *c = p->c;
	struct es_msg *m = talloc_zero(p, struct es_msg);
	int rc = -ENOMEM;
	char fci[96];

	if (m) {
		m->id = ES_MSG_ES7_AUTHENTICATE_SMSR_REQ;
		m->u.es7_authenticate_smsr_req.present = true;
		snprintf(fci, sizeof(fci), "auth-%s", p->eid);
		m->u.es7_authenticate_smsr_req.function_call_identifier = fci;
		m->u.es7_authenticate_smsr_req.validity_period = (struct es_int){ true, (int64_t)until(p->deadline) };
		m->u.es7_authenticate_smsr_req.smsr_certificate = (struct es_hex){ c->cfg.sr_cert, c->cfg.sr_cert_len };
		/* digest §6.7: the XSD copy says Eis, its documentation and both implementations Eid; per
		 * peer when the daemon knows its reading */
		const struct es_variant *pv = c->ops.peer_variant ? c->ops.peer_variant(c->priv, p->peer) : NULL;

		if ((pv ? pv : &c->cfg.es)->auth_smsr == ES_AUTH_SMSR_EIS) {
			if (smsr_eis_build(c->sr, m, p->eid, &m->u.es7_authenticate_smsr_req.eis) == 0) {
				m->u.es7_authenticate_smsr_req.eis.present = true;
				m->u.es7_authenticate_smsr_req.eis.isd_r.n_keyset = 0;
			}
		} else {
			m->u.es7_authenticate_smsr_req.eid = (struct es_hex){ p->eid_bin, 16 };
		}
		go(p, SR2_ST_7_AUTHENTICATE_SENT, sr2_wait_s(p), 0);
		LOGPFSML(p->fi, LOGL_INFO, "step 7: AuthenticateSMSR to %s\n", p->peer);
		rc = es7_call(p, m);
		talloc_free(m);
	}
	if (rc < 0)
		sr2_fail(p, &ST_PEER);
}

/* Steps 14 and 26 (digest §2.1, §4.7): a fresh ephemeral key pair and HostID for the CRT the caller then
 * builds into p->crt. */
static int sr2_key_start(struct proc *p, uint8_t host_id[16])
{
	ecka_host_free(&p->host);
	if (crypto_random(host_id, 16) < 0 || ecka_host_start(&p->host, p->ecasd_pub, NULL, 0) < 0)
		return -EIO;
	return 0;
}

/* ... and the key parameters signed with SK.SR.ECDSA over 3A02{A6} ‖ 7F49{ePK} ‖ 0085{RC}: the ePK as
 * the 7F49 TLV in epk (its value in *val / *val_len) and the signature. */
static int sr2_key_sign(struct proc *p, const uint8_t *rc, size_t rc_len, uint8_t *epk, size_t cap, const uint8_t **val,
			size_t *val_len, uint8_t sig[EC_SIG_LEN])
{
	struct smsr_change *c = p->c;
	uint8_t sd[512];
	struct bertlv t;
	int en, sn;

	en = ecka_epk_encode(c->cfg.ecka.epk_encoding, p->host.epk, (enum crypto_curve)crypto_ec_curve_of(p->ecasd_pub),
			     epk, cap);
	if (en < 0 || bertlv_decode(&t, epk, (size_t)en) != en)
		return -EINVAL;
	sn = es5_keyset_signed_data(sd, sizeof(sd), p->crt, p->crt_len, t.value, t.len, rc, rc_len);
	if (sn < 0 || crypto_ecdsa_sign(c->cfg.sr_key, sd, (size_t)sn, sig) < 0)
		return -EIO;
	*val = t.value;
	*val_len = t.len;
	return 0;
}

/* Steps 14-15: key parameters, signed, in CreateAdditionalKeySet. */
static void sr2_create_keyset(struct proc *p, const struct es_hex *rc_hex)
{
	struct smsr_change *c = p->c;
	uint8_t host_id[16], epk[128], sig[EC_SIG_LEN];
	uint8_t param = c->cfg.ecka.isdr_scenario_param;
	struct es7_create_additional_key_set_req *q;
	const uint8_t *epk_val;
	size_t epk_len;
	struct es_msg *m;
	int rc;
	char fci[96];

	rc = sr2_key_start(p, host_id);
	if (rc == 0)
		rc = crt_build(&c->cfg.ecka, p->kvn, 0, param, host_id, sizeof(host_id), p->crt, sizeof(p->crt));
	if (rc >= 0) {
		p->crt_len = (size_t)rc;
		rc = sr2_key_sign(p, rc_hex->data, rc_hex->len, epk, sizeof(epk), &epk_val, &epk_len, sig);
	}
	m = rc < 0 ? NULL : talloc_zero(p, struct es_msg);
	if (!m) {
		sr2_fail(p, &ST_INTERNAL);
		return;
	}
	m->id = ES_MSG_ES7_CREATE_ADDITIONAL_KEY_SET_REQ;
	q = &m->u.es7_create_additional_key_set_req;
	q->present = true;
	snprintf(fci, sizeof(fci), "caks-%s", p->eid);
	q->function_call_identifier = fci;
	q->validity_period = (struct es_int){ true, (int64_t)until(p->deadline) };
	q->eid = (struct es_hex){ p->eid_bin, 16 };
	q->key_version_number = (struct es_int){ true, p->kvn };
	q->initial_sequence_counter = (struct es_int){ true, 0 };
	q->ecc_key_length = ES_ECC_256;
	q->scenario_parameter = (struct es_int){ true, param };
	q->host_id = (struct es_hex){ host_id, sizeof(host_id) };
	q->ephemeral_public_key = (struct es_hex){ epk_val, epk_len };
	q->signature = (struct es_hex){ sig, sizeof(sig) };
	go(p, SR2_ST_15_CREATE_KEYSET_SENT, sr2_wait_s(p), 0);
	LOGPFSML(p->fi, LOGL_INFO, "step 15: CreateAdditionalKeySet (KVN %02X) to %s\n", p->kvn, p->peer);
	rc = es7_call(p, m);
	talloc_free(m);
	if (rc < 0)
		sr2_fail(p, &ST_PEER);
}

static void sr2_finalise(struct proc *p);
static void sr2_addressing(struct proc *p);
static void sr2_scp81(struct proc *p);

/* Step 23: the receipt; verified = the commit point (the key set and the step in one transaction). */
static void sr2_commit(struct proc *p, const struct es7_create_additional_key_set_resp *r)
{
	struct smsr_change *c = p->c;
	struct ecka_keys k;
	struct smsr_keyset_row ks = { .kind = SMSR_KEYSET_SCP80 };
	int rc;

	rc = ecka_host_finish(&p->host, p->crt, p->crt_len, r->derivation_random.data, r->derivation_random.len,
			      r->receipt.data, r->receipt.len, ECKA_TARGET_ISDR, &c->cfg.ecka, &k);
	ecka_host_free(&p->host);
	if (rc < 0) {
		LOGPFSML(p->fi, LOGL_NOTICE, "step 23: receipt does not verify (%d)\n", rc);
		sr2_fail(p, &ST_RECEIPT);
		return;
	}
	snprintf(ks.eid, sizeof(ks.eid), "%s", p->eid);
	ks.kvn = p->kvn;
	ks.counter = 0; /* the CRT's initial counter (91 00) */
	memcpy(ks.kic, k.key[0], k.key_len);
	ks.kic_len = k.key_len;
	memcpy(ks.kid, k.key[1], k.key_len);
	ks.kid_len = k.key_len;
	if (k.n_keys > 2) {
		memcpy(ks.kik, k.key[2], k.key_len);
		ks.kik_len = k.key_len;
	}
	OPENSSL_cleanse(&k, sizeof(k));
	rc = smsr_store_begin(c->store);
	if (rc == 0)
		rc = smsr_store_keyset_put(c->store, &ks);
	osmo_fsm_inst_state_chg(p->fi, SR2_ST_25_FINALISE_SENT, tdef_s(c, SMSR_CHG_T_ES5), SMSR_CHG_T_ES5);
	if (rc == 0)
		rc = proc_persist(p);
	if (rc == 0)
		rc = smsr_store_commit(c->store);
	else
		smsr_store_rollback(c->store);
	OPENSSL_cleanse(&ks, sizeof(ks));
	if (rc < 0) {
		/* not committed: the eUICC has the key set, but SR1 keeps managing it with its own */
		sr2_fail(p, &ST_INTERNAL);
		return;
	}
	c->stats.committed++;
	LOGPFSML(p->fi, LOGL_INFO, "step 23: receipt verified, the eUICC is managed by this SM-SR now\n");
	sr2_finalise(p);
}

static void sr2_warn(struct proc *p, const char *msg)
{
	p->warning = true;
	p->warn_msg = msg;
	LOGPFSML(p->fi, LOGL_NOTICE, "warning: %s\n", msg);
}

/* Step 25: FinaliseISDRhandover over the new keys. */
static void sr2_finalise(struct proc *p)
{
	struct smsr_change *c = p->c;
	struct es5_keyrange f2[ES5_MAX_F2], sets[MAX_OLD + 1];
	uint8_t apdu[64];
	size_t n;
	int len;
	/* the F2 meaning of this eUICC (a per-EID rule, else the daemon's) */
	enum es5_f2_semantics f2v =
		(enum es5_f2_semantics)smsr_eisvar_get(c->cfg.eisvar, p->eid, SMSR_EISVAR_F2, c->cfg.f2);

	/* the ISD-R key sets of the eUICC now: SR1's (from the EIS) and ours (KS2) */
	memcpy(sets, p->old, p->n_old * sizeof(sets[0]));
	sets[p->n_old] = (struct es5_keyrange){ p->kvn, 0x01, 0x03 };
	n = es5_f2_entries(f2v, sets, p->n_old + 1, p->kvn, f2, ES5_MAX_F2);

	if (f2v == ES5_F2_DELETE_LIST && !n) {
		sr2_warn(p, "the old ISD-R key sets are unknown: not deleted");
		sr2_addressing(p);
		return;
	}
	len = es5_finalise_handover_build(apdu, sizeof(apdu), f2, n);
	go(p, SR2_ST_25_FINALISE_SENT, tdef_s(c, SMSR_CHG_T_ES5), SMSR_CHG_T_ES5);
	LOGPFSML(p->fi, LOGL_INFO, "step 25: FinaliseISDRhandover (%zu F2 entries, %s)\n", n,
		 get_value_string(es5_f2_semantics_names, f2v));
	if (len < 0 || es5_send_apdu(p, apdu, (size_t)len) < 0) {
		sr2_warn(p, "FinaliseISDRhandover not sent: the old keys may remain");
		sr2_addressing(p);
	}
}

/* Steps 27-32. */
static void sr2_complete(struct proc *p)
{
	struct smsr_change *c = p->c;
	struct smsr_profile_row prof[8];
	char done[8][SMSR_OID_MAX];
	unsigned int n_done = 0;
	size_t n = 0;
	int rc;

	/* step 27: the EIS is ours */
	rc = smsr_store_begin(c->store);
	if (rc == 0)
		rc = smsr_store_eis_set_state(c->store, p->eid, SMSR_EIS_ACTIVE, "", 0);
	if (rc == 0)
		rc = smsr_store_eis_set_smsr_id(c->store, p->eid, c->cfg.smsr_id);
	if (rc == 0)
		rc = smsr_store_commit(c->store);
	else
		smsr_store_rollback(c->store);
	if (rc < 0)
		sr2_warn(p, "EIS update failed");
	audit(c, p->eid, AUDIT_HANDOVER_IN, p->requester,
	      p->warning ? ES_STATUS_EXECUTED_WITHWARNING : ES_STATUS_EXECUTED_SUCCESS);
	/* step 28: never Failed after step 23 */
	LOGPFSML(p->fi, LOGL_INFO, "step 28: HandoverEUICC response to %s\n", p->peer);
	proc_answer(p, ES_MSG_ES7_HANDOVER_EUICC_RESP,
		    p->warning ? &(struct status){ ES_STATUS_EXECUTED_WITHWARNING, "8.4", "4.3",
						   p->warn_msg ? p->warn_msg : "warning" }
			       : &ST_OK);
	/* steps 31-32: every profile owner */
	if (c->ops.notify && smsr_store_profile_list(c->store, p->eid, prof, ARRAY_SIZE(prof), &n) == 0) {
		char ts[32];
		time_t t = (time_t)now_s();
		struct tm tm;

		gmtime_r(&t, &tm);
		strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm);
		for (size_t i = 0; i < n && i < ARRAY_SIZE(prof); i++) {
			const char *to = c->cfg.notify == SMSR_CHG_NOTIFY_ES3 ? prof[i].smdp_id : prof[i].mno_id;
			struct es_msg *m;
			struct es_eis *e;
			bool seen = false;
			unsigned int k = 0;

			for (unsigned int j = 0; j < n_done; j++)
				seen |= !strcmp(done[j], to);
			if (!to[0] || seen || n_done >= ARRAY_SIZE(done))
				continue;
			snprintf(done[n_done++], SMSR_OID_MAX, "%s", to);
			m = talloc_zero(p, struct es_msg);
			if (!m)
				break;
			e = c->cfg.notify == SMSR_CHG_NOTIFY_ES3 ? &m->u.es3_handle_smsr_change_notif.eis
								 : &m->u.es4_handle_smsr_change_notif.eis;
			if (smsr_eis_build(c->sr, m, p->eid, e) < 0) {
				talloc_free(m);
				continue;
			}
			/* reduced to the MNO's part (digest §2.1 steps 31-32) and without ISD-R keys */
			e->present = true;
			e->isd_r.n_keyset = 0;
			e->audit_trail.present = false;
			for (unsigned int j = 0; j < e->n_profile_info; j++)
				if (e->profile_info[j].mno_id && !strcmp(e->profile_info[j].mno_id, prof[i].mno_id))
					e->profile_info[k++] = e->profile_info[j];
			e->n_profile_info = k;
			if (c->cfg.notify == SMSR_CHG_NOTIFY_ES3) {
				m->id = ES_MSG_ES3_HANDLE_SMSR_CHANGE_NOTIF;
				m->u.es3_handle_smsr_change_notif.present = true;
				m->u.es3_handle_smsr_change_notif.mno_id = prof[i].mno_id;
				m->u.es3_handle_smsr_change_notif.completion_timestamp = ts;
			} else {
				m->id = ES_MSG_ES4_HANDLE_SMSR_CHANGE_NOTIF;
				m->u.es4_handle_smsr_change_notif.present = true;
				m->u.es4_handle_smsr_change_notif.completion_timestamp = ts;
			}
			c->ops.notify(c->priv, to, m);
			talloc_free(m);
		}
	}
	proc_end(p);
}

/* Step 26: UpdateSMSRAddressingParameters, so the eUICC's notifications reach us. */
static void sr2_addressing(struct proc *p)
{
	struct smsr_change *c = p->c;
	uint8_t apdu[300];
	int len;

	if (!c->cfg.addressing || !c->cfg.addressing_len) {
		sr2_scp81(p);
		return;
	}
	len = es5_update_addressing_build(apdu, sizeof(apdu), c->cfg.addressing, c->cfg.addressing_len);
	go(p, SR2_ST_26_ADDRESSING_SENT, tdef_s(c, SMSR_CHG_T_ES5), SMSR_CHG_T_ES5);
	LOGPFSML(p->fi, LOGL_INFO, "step 26: UpdateSMSRAddressingParameters\n");
	if (len < 0 || es5_send_apdu(p, apdu, (size_t)len) < 0) {
		sr2_warn(p, "UpdateSMSRAddressingParameters not sent");
		sr2_scp81(p);
	}
}

/* An SCP81 KVN (40-4F) that none of the eUICC's known ISD-R key sets uses (SR1's may survive step 25
 * under the keep-list reading). */
static uint8_t pick_scp81_kvn(const struct es5_keyrange *old, size_t n)
{
	for (uint8_t k = 0x40; k <= 0x4F; k++) {
		bool used = false;

		for (size_t i = 0; i < n; i++)
			used |= old[i].kvn == k;
		if (!used)
			return k;
	}
	return 0;
}

/* Step 26, SCP81 key set, first command: 3A01 {CERT.SR.ECDSA} to the ISD-R over our own SCP80 keys. */
static void sr2_scp81(struct proc *p)
{
	struct smsr_change *c = p->c;
	uint8_t apdu[300];
	int n;

	if (c->cfg.scp81 == SMSR_CHG_SCP81_NONE) {
		sr2_complete(p);
		return;
	}
	p->scp81_kvn = pick_scp81_kvn(p->old, p->n_old);
	if (!p->ecasd_pub)
		ecasd_pub_from_store(p); /* after a restart */
	n = p->scp81_kvn && p->ecasd_pub ? es5_keyset_cert_build(apdu, sizeof(apdu), c->cfg.sr_cert, c->cfg.sr_cert_len)
					 : -EINVAL;
	go(p, SR2_ST_26_SCP81_CERT_SENT, tdef_s(c, SMSR_CHG_T_ES5), SMSR_CHG_T_ES5);
	LOGPFSML(p->fi, LOGL_INFO, "step 26: SCP81 key set %02X, CERT.SR.ECDSA to the ISD-R (3A01)\n", p->scp81_kvn);
	if (n < 0 || es5_send_apdu(p, apdu, (size_t)n) < 0) {
		sr2_warn(p, "no SCP81 key set: EstablishISDRKeySet not sent");
		sr2_complete(p);
	}
}

/* Step 26, second command: the signed 3A02 for a PSK-TLS key set, with the card's RC. */
static void sr2_scp81_keys(struct proc *p, const struct es5_bytes *rc_tlv)
{
	struct smsr_change *c = p->c;
	uint8_t host_id[16], epk[128], sig[EC_SIG_LEN], apdu[300];
	const uint8_t *epk_val;
	size_t epk_len;
	struct ecka_crt crt;
	int n;

	n = sr2_key_start(p, host_id);
	if (n == 0) {
		ecka_crt_default(&crt, ECKA_TARGET_ISDR_SCP81, &c->cfg.ecka, p->scp81_kvn);
		if (crt.param & ECKA_SP_HOSTID) {
			crt.host_id = host_id;
			crt.host_id_len = sizeof(host_id);
		}
		n = ecka_crt_encode(&crt, p->crt, sizeof(p->crt));
	}
	if (n >= 0) {
		p->crt_len = (size_t)n;
		n = sr2_key_sign(p, rc_tlv->buf, rc_tlv->len, epk, sizeof(epk), &epk_val, &epk_len, sig);
	}
	if (n == 0)
		n = es5_keyset_keyagreement_build(apdu, sizeof(apdu), p->crt, p->crt_len, epk_val, epk_len, sig,
						  sizeof(sig));
	if (n < 0)
		goto fail;
	go(p, SR2_ST_26_SCP81_KEYS_SENT, tdef_s(c, SMSR_CHG_T_ES5), SMSR_CHG_T_ES5);
	LOGPFSML(p->fi, LOGL_INFO, "step 26: key agreement for SCP81 key set %02X (3A02)\n", p->scp81_kvn);
	if (es5_send_apdu(p, apdu, (size_t)n) == 0)
		return;
fail:
	ecka_host_free(&p->host);
	sr2_warn(p, "no SCP81 key set: key agreement not sent");
	sr2_complete(p);
}

/* Step 26, the card's DR and receipt: verified, the PSK stored for our SCP81 admin server. */
static void sr2_scp81_commit(struct proc *p, const struct es5_bytes *dr, const struct es5_bytes *receipt)
{
	struct smsr_change *c = p->c;
	struct smsr_keyset_row ks = { .kind = SMSR_KEYSET_SCP81 };
	struct ecka_keys k;
	int rc;

	rc = ecka_host_finish(&p->host, p->crt, p->crt_len, dr->len ? dr->buf : NULL, dr->len, receipt->buf,
			      receipt->len, ECKA_TARGET_ISDR_SCP81, &c->cfg.ecka, &k);
	ecka_host_free(&p->host);
	if (rc < 0) {
		sr2_warn(p, "no SCP81 key set: the eUICC's receipt does not verify");
		return;
	}
	snprintf(ks.eid, sizeof(ks.eid), "%s", p->eid);
	ks.kvn = p->scp81_kvn;
	memcpy(ks.psk, k.key[0], k.key_len);
	ks.psk_len = k.key_len;
	OPENSSL_cleanse(&k, sizeof(k));
	rc = smsr_store_keyset_put(c->store, &ks);
	OPENSSL_cleanse(&ks, sizeof(ks));
	if (rc < 0)
		sr2_warn(p, "no SCP81 key set: not stored");
	else
		LOGPFSML(p->fi, LOGL_INFO, "step 26: SCP81 key set %02X established\n", p->scp81_kvn);
}

static void sr2_es5_result(struct proc *p, const struct ev_es5 *r)
{
	bool ok = r->rc == 0 && r->sw == 0x9000;
	struct es5_bytes a, b;

	switch (p->fi->state) {
	case SR2_ST_25_FINALISE_SENT:
		if (!ok)
			sr2_warn(p, "deletion of the old ISD-R keys failed");
		sr2_addressing(p);
		return;
	case SR2_ST_26_ADDRESSING_SENT:
		if (!ok)
			sr2_warn(p, "UpdateSMSRAddressingParameters failed");
		sr2_scp81(p);
		return;
	case SR2_ST_26_SCP81_CERT_SENT:
		if (ok && es5_keyset_cert_resp_parse(r->data, r->len, &a) >= 0) {
			sr2_scp81_keys(p, &a);
			return;
		}
		sr2_warn(p, "no SCP81 key set: the eUICC refused CERT.SR.ECDSA");
		sr2_complete(p);
		return;
	case SR2_ST_26_SCP81_KEYS_SENT:
		if (ok && es5_keyset_keyagreement_resp_parse(r->data, r->len, &a, &b) >= 0)
			sr2_scp81_commit(p, &a, &b);
		else
			sr2_warn(p, "no SCP81 key set: the eUICC refused the key agreement");
		sr2_complete(p);
		return;
	default: return;
	}
}

static void sr2_es7_resp(struct proc *p, const struct ev_resp *r)
{
	const struct es_fes *fes;
	bool auth = p->fi->state == SR2_ST_7_AUTHENTICATE_SENT;
	enum es_msg_id want = auth ? ES_MSG_ES7_AUTHENTICATE_SMSR_RESP : ES_MSG_ES7_CREATE_ADDITIONAL_KEY_SET_RESP;

	if (r->rc < 0 && p->deadline > now_s()) {
		/* SR1 unreachable or its answer lost (a restart): the retry timer asks again */
		LOGPFSML(p->fi, LOGL_NOTICE, "%s not answered (%d): asking again within %lu s\n",
			 auth ? "AuthenticateSMSR" : "CreateAdditionalKeySet", r->rc, sr2_wait_s(p));
		osmo_fsm_inst_state_chg(p->fi, p->fi->state, sr2_wait_s(p), 0);
		return;
	}
	if (r->rc < 0 || !r->resp || r->resp->is_fault || r->resp->id != want) {
		sr2_fail(p, &ST_PEER);
		return;
	}
	fes = FES((struct es_msg *)r->resp);
	if (fes->status == ES_STATUS_FAILED && fes->status_code_data.subject && fes->status_code_data.reason &&
	    !strcmp(fes->status_code_data.subject, ST_BUSY.subject) &&
	    !strcmp(fes->status_code_data.reason, ST_BUSY.reason) && p->deadline > now_s()) {
		/* SR1 is still relaying an earlier request of ours to the eUICC: not a refusal */
		LOGPFSML(p->fi, LOGL_INFO, "%s busy with an earlier request: asking again within %lu s\n", p->peer,
			 sr2_wait_s(p));
		osmo_fsm_inst_state_chg(p->fi, p->fi->state, sr2_wait_s(p), 0);
		return;
	}
	if (fes->status != ES_STATUS_EXECUTED_SUCCESS) {
		/* pass SR1's (the eUICC's) reason on */
		sr2_fail(p, &(struct status){ ES_STATUS_FAILED,
					      fes->status_code_data.subject ? fes->status_code_data.subject : "8.7",
					      fes->status_code_data.reason ? fes->status_code_data.reason : "4.2",
					      fes->status_code_data.message ? fes->status_code_data.message
									    : "the current SM-SR failed" });
		return;
	}
	if (auth) {
		const struct es_hex *rc = &r->resp->u.es7_authenticate_smsr_resp.random_challenge;

		if (!rc->data || rc->len < 16 || rc->len > 32) {
			sr2_fail(p, &ST_PEER);
			return;
		}
		sr2_create_keyset(p, rc);
	} else {
		const struct es7_create_additional_key_set_resp *k = &r->resp->u.es7_create_additional_key_set_resp;

		if (!k->receipt.data) {
			sr2_fail(p, &ST_RECEIPT);
			return;
		}
		sr2_commit(p, k);
	}
}

/* A KVN for the new SCP80 key set: 01-0F and none of the EIS's (open-questions §2, Njiwa). */
static uint8_t pick_kvn(const struct es5_keyrange *old, size_t n)
{
	for (uint8_t k = 0x02; k <= 0x0F; k++) {
		bool used = false;

		for (size_t i = 0; i < n; i++)
			used |= old[i].kvn == k;
		if (!used)
			return k;
	}
	return 0x01;
}

/* Step 6: HandoverEUICC received: check CERT.ECASD.ECKA through an EUM to the CI, keep the EIS. */
static void sr2_rx_handover(struct proc *p, const struct ev_req *e)
{
	struct smsr_change *c = p->c;
	const struct es_eis *eis = &e->req->u.es7_handover_euicc_req.eis;
	struct smsr_eis_row row = { .state = SMSR_EIS_RECEIVED, .last_notif_seq = -1 };
	struct gpcert_check_opts o = { .check_type = true, .type = GPCERT_TYPE_ECASD };
	enum gpcert_err why = GPCERT_ERR_CHAIN;
	const struct es_hex *ch;
	struct gpcert cert;
	struct es_msg *blobmsg;
	uint8_t *blob;
	bool chained = false, managed;
	int n, rc;

	if (strcmp(e->reply->requester ? e->reply->requester : "", p->peer)) {
		reply_now(e->reply, e->req->id, &ST_NOT_ALLOWED);
		return;
	}
	record_origin(p, e->req, e->reply);
	p->deadline = deadline_of(c, &e->req->u.es7_handover_euicc_req.validity_period);
	managed = smsr_store_eis_get(c->store, p->eid, &row) == 0 && row.state == SMSR_EIS_ACTIVE &&
		  !strcmp(row.smsr_id, c->cfg.smsr_id);
	if (managed) {
		/* digest §2.1: an earlier attempt passed step 23: steps 7-23 skipped, a warning */
		LOGPFSML(p->fi, LOGL_NOTICE, "step 6: %s\n", SMSR_CHG_MSG_ALREADY_MANAGED);
		audit(c, p->eid, AUDIT_HANDOVER_IN, p->requester, ES_STATUS_EXECUTED_WITHWARNING);
		proc_answer(p, ES_MSG_ES7_HANDOVER_EUICC_RESP,
			    &(struct status){ ES_STATUS_EXECUTED_WITHWARNING, "8.1", "3.3",
					      SMSR_CHG_MSG_ALREADY_MANAGED });
		proc_end(p);
		return;
	}
	if (!eis->present || !eis->eum_signed_info.present || !eis->eum_signed_info.eid.data ||
	    eis->eum_signed_info.eid.len != 16 || memcmp(eis->eum_signed_info.eid.data, p->eid_bin, 16) ||
	    !eis->eum_signed_info.eum_id) {
		sr2_fail(p, &(struct status){ ES_STATUS_FAILED, "8.6", "2.1", "EIS invalid or for another eUICC" });
		return;
	}
	ch = eis_ecasd_cert(eis);
	if (!ch || gpcert_decode_exact(&cert, ch->data, ch->len, &why) < 0) {
		sr2_fail(p, &ST_BAD_ECASD);
		return;
	}
	o.date = c->cfg.check_date ? c->cfg.check_date : gpcert_date_today();
	for (unsigned int i = 0; i < c->cfg.n_eum && !chained && c->cfg.ci; i++)
		chained = gpcert_check_eum(&cert, c->cfg.eum[i], c->cfg.ci, &o, &why) == 0;
	EVP_PKEY_free(p->ecasd_pub);
	p->ecasd_pub = NULL;
	if (!chained || gpcert_public_key(&cert, &p->ecasd_pub, &why) < 0) {
		LOGPFSML(p->fi, LOGL_NOTICE, "step 6: CERT.ECASD.ECKA refused: %s\n", gpcert_err_name(why));
		sr2_fail(p, &ST_BAD_ECASD);
		return;
	}
	/* SR1's ISD-R key sets (versions only): the F2 list of step 25 */
	p->n_old = 0;
	for (unsigned int i = 0; i < eis->isd_r.n_keyset && p->n_old < MAX_OLD; i++) {
		const struct es_keyset *k = &eis->isd_r.keyset[i];

		if ((k->type != ES_KEYSET_SCP80 && k->type != ES_KEYSET_SCP81) || !k->version.present ||
		    k->version.v < 0 || k->version.v > 0xFF)
			continue;
		/* the whole KID range (open-questions §2 default) */
		p->old[p->n_old++] = (struct es5_keyrange){ (uint8_t)k->version.v, 0x01, 0x03 };
	}
	p->kvn = pick_kvn(p->old, p->n_old);
	/* keep the EIS (state RECEIVED: not usable until step 27), replacing the step-2 placeholder */
	memset(&row, 0, sizeof(row));
	row.state = SMSR_EIS_RECEIVED;
	row.last_notif_seq = -1;
	snprintf(row.eid, sizeof(row.eid), "%s", p->eid);
	snprintf(row.eum_id, sizeof(row.eum_id), "%s", eis->eum_signed_info.eum_id);
	snprintf(row.smsr_id, sizeof(row.smsr_id), "%s", p->peer);
	snprintf(row.peer_smsr_id, sizeof(row.peer_smsr_id), "%s", p->peer);
	row.deadline = p->deadline;
	row.remaining_memory = eis->remaining_memory.v;
	for (unsigned int i = 0; i < eis->n_profile_info && i < ARRAY_SIZE(eis->profile_info); i++)
		if (eis->profile_info[i].state == ES_PROFILE_STATE_ENABLED &&
		    eis->profile_info[i].subscription_address.msisdn)
			snprintf(row.msisdn, sizeof(row.msisdn), "%s",
				 eis->profile_info[i].subscription_address.msisdn);
	blobmsg = talloc_zero(p, struct es_msg);
	blob = blobmsg ? talloc_size(blobmsg, SOAP_MAX_INPUT_DEFAULT) : NULL;
	if (!blob) {
		talloc_free(blobmsg);
		sr2_fail(p, &ST_INTERNAL);
		return;
	}
	/* stored as smsr.c stores a registered EIS (an ES1 message), with our Smsr-id for GetEIS */
	blobmsg->id = ES_MSG_ES1_REGISTER_EIS_REQ;
	blobmsg->wsa = (struct soap_wsa){ .from = "urn:rsplab:smsr-store",
					  .to = "urn:rsplab:smsr-store",
					  .message_id = "urn:rsplab:eis",
					  .action = "urn:rsplab:eis" };
	blobmsg->u.es1_register_eis_req.present = true;
	blobmsg->u.es1_register_eis_req.function_call_identifier = "handover";
	blobmsg->u.es1_register_eis_req.eis = *eis;
	blobmsg->u.es1_register_eis_req.eis.smsr_id = c->cfg.smsr_id;
	n = es_msg_encode(blob, SOAP_MAX_INPUT_DEFAULT, blobmsg, NULL);
	rc = n < 0 ? n : smsr_store_begin(c->store);
	if (rc == 0) {
		struct smsr_eis_row old_row;

		if (smsr_store_eis_get(c->store, p->eid, &old_row) == 0)
			rc = smsr_store_eis_delete(c->store, p->eid); /* the step-2 placeholder */
		if (rc == 0)
			rc = smsr_store_eis_insert(c->store, &row, eis, blob, (size_t)n, NULL, 0);
		if (rc == 0)
			rc = smsr_store_commit(c->store);
		else
			smsr_store_rollback(c->store);
	}
	talloc_free(blobmsg);
	if (rc < 0) {
		sr2_fail(p, n < 0 ? &(struct status){ ES_STATUS_FAILED, "8.6", "2.1", "EIS invalid" } : &ST_INTERNAL);
		return;
	}
	LOGPFSML(p->fi, LOGL_INFO, "step 6: CERT.ECASD.ECKA verified, EIS kept; new ISD-R KVN %02X\n", p->kvn);
	sr2_authenticate(p);
}

static void sr2_action(struct osmo_fsm_inst *fi, uint32_t event, void *data)
{
	struct proc *p = fi->priv;

	switch (event) {
	case EV_HANDOVER_REQ: sr2_rx_handover(p, data); return;
	case EV_ES7_RESP: sr2_es7_resp(p, data); return;
	case EV_ES5_RESULT: sr2_es5_result(p, data); return;
	}
}

static int sr2_timer_cb(struct osmo_fsm_inst *fi)
{
	struct proc *p = fi->priv;
	struct smsr_eis_row row;

	switch (fi->state) {
	case SR2_ST_2_AWAITING_HANDOVER:
		p->c->stats.expired++;
		LOGPFSML(fi, LOGL_NOTICE, "no HandoverEUICC within the validity period\n");
		if (smsr_store_eis_get(p->c->store, p->eid, &row) == 0 && row.state == SMSR_EIS_HANDOVER_IN)
			smsr_store_eis_delete(p->c->store, p->eid);
		proc_end(p);
		return 0;
	case SR2_ST_7_AUTHENTICATE_SENT:
	case SR2_ST_15_CREATE_KEYSET_SENT:
		if (p->deadline <= now_s()) {
			p->c->stats.expired++;
			sr2_fail(p, &ST_EXPIRED);
			return 0;
		}
		/* before the commit point nothing is lost by starting over: a new RC, new key parameters */
		p->c->stats.es7_retries++;
		LOGPFSML(fi, LOGL_NOTICE, "no answer from %s: from step 7 again\n", p->peer);
		p->tag = 0; /* an answer to the earlier call is dropped */
		sr2_authenticate(p);
		return 0;
	case SR2_ST_25_FINALISE_SENT:
	case SR2_ST_26_ADDRESSING_SENT:
	case SR2_ST_26_SCP81_CERT_SENT:
	case SR2_ST_26_SCP81_KEYS_SENT: sr2_es5_result(p, &(struct ev_es5){ .rc = -ETIMEDOUT }); return 0;
	default: return 0;
	}
}

/* Steps 1-3: ES4.PrepareSMSRChange. */
static int sr2_prepare(struct smsr_change *c, const struct es_msg *req, const struct smsr_reply *reply)
{
	const struct es4_prepare_smsr_change_req *q = &req->u.es4_prepare_smsr_change_req;
	struct smsr_eis_row row = { .state = SMSR_EIS_HANDOVER_IN, .last_notif_seq = -1 };
	char eid[SMSR_EID_HEX_MAX];
	uint8_t bin[16];
	struct proc *p;
	bool have;
	int rc;

	if (eid_of(&q->eid, eid, sizeof(eid), bin) < 0 || !q->current_smsr_id || !q->current_smsr_id[0] ||
	    strlen(q->current_smsr_id) >= SMSR_OID_MAX || !strcmp(q->current_smsr_id, c->cfg.smsr_id)) {
		reply_now(reply, req->id, &ST_BAD_ARG);
		return -EINVAL;
	}
	/* step 2: we can take it (our certificate and keys are configured) */
	if (!c->cfg.sr_cert || !c->cfg.sr_key || !c->cfg.ci || !c->cfg.n_eum) {
		reply_now(reply, req->id,
			  &(struct status){ ES_STATUS_FAILED, "8.7", "3.7", "this SM-SR cannot take eUICCs over" });
		return -ENOTSUP;
	}
	have = smsr_store_eis_get(c->store, eid, &row) == 0;
	/* an EIS we manage already is accepted (the "already managed" case of step 6); any other one
	 * is refused (Njiwa) */
	if (proc_by_eid(c, eid) || (have && (row.state != SMSR_EIS_ACTIVE || strcmp(row.smsr_id, c->cfg.smsr_id)))) {
		reply_now(reply, req->id,
			  &(struct status){ ES_STATUS_FAILED, "8.1.1", "3.3", "EID already known to this SM-SR" });
		return -EEXIST;
	}
	p = proc_alloc(c, ROLE_SR2, eid, bin);
	if (!p) {
		reply_now(reply, req->id, &ST_INTERNAL);
		return -ENOMEM;
	}
	snprintf(p->peer, sizeof(p->peer), "%s", q->current_smsr_id);
	snprintf(p->requester, sizeof(p->requester), "%s", reply->requester ? reply->requester : "");
	p->deadline = deadline_of(c, &q->validity_period);
	p->answered = true; /* PrepareSMSRChange is answered now; HandoverEUICC is answered later */
	rc = smsr_store_begin(c->store);
	if (rc == 0 && !have) {
		snprintf(row.eid, sizeof(row.eid), "%s", eid);
		snprintf(row.smsr_id, sizeof(row.smsr_id), "%s", q->current_smsr_id);
		snprintf(row.peer_smsr_id, sizeof(row.peer_smsr_id), "%s", q->current_smsr_id);
		row.deadline = p->deadline;
		rc = smsr_store_eis_insert(c->store, &row, NULL, NULL, 0, NULL, 0);
	}
	osmo_fsm_inst_state_chg(p->fi, SR2_ST_2_AWAITING_HANDOVER, until(p->deadline), 0);
	if (rc == 0)
		rc = proc_persist(p);
	if (rc == 0)
		rc = smsr_store_commit(c->store);
	else
		smsr_store_rollback(c->store);
	if (rc < 0) {
		reply_now(reply, req->id, &ST_INTERNAL);
		osmo_fsm_inst_term(p->fi, OSMO_FSM_TERM_ERROR, NULL);
		return rc;
	}
	LOGPFSML(p->fi, LOGL_INFO, "step 2: awaiting the handover from %s\n", p->peer);
	reply_now(reply, req->id, &ST_OK); /* step 3 */
	return 0;
}

/* ==== dispatch ===================================================================================== */

bool smsr_change_handles(enum es_msg_id id)
{
	return id == ES_MSG_ES4_PREPARE_SMSR_CHANGE_REQ || id == ES_MSG_ES4_SMSR_CHANGE_REQ ||
	       id == ES_MSG_ES7_HANDOVER_EUICC_REQ || id == ES_MSG_ES7_AUTHENTICATE_SMSR_REQ ||
	       id == ES_MSG_ES7_CREATE_ADDITIONAL_KEY_SET_REQ;
}

int smsr_change_es_request(struct smsr_change *c, const struct es_msg *req, const struct smsr_reply *reply)
{
	const struct es_hex *eidh = NULL;
	char eid[SMSR_EID_HEX_MAX];
	uint8_t bin[16];
	struct ev_req e = { req, reply };
	struct proc *p;
	uint32_t ev;

	smsr_ctr_es_request(req);
	switch (req->id) {
	case ES_MSG_ES4_PREPARE_SMSR_CHANGE_REQ: return sr2_prepare(c, req, reply);
	case ES_MSG_ES4_SMSR_CHANGE_REQ: return sr1_start(c, req, reply);
	case ES_MSG_ES7_HANDOVER_EUICC_REQ:
		eidh = &req->u.es7_handover_euicc_req.eis.eum_signed_info.eid;
		ev = EV_HANDOVER_REQ;
		break;
	case ES_MSG_ES7_AUTHENTICATE_SMSR_REQ:
		eidh = req->u.es7_authenticate_smsr_req.eid.data
			       ? &req->u.es7_authenticate_smsr_req.eid
			       : &req->u.es7_authenticate_smsr_req.eis.eum_signed_info.eid;
		ev = EV_AUTH_REQ;
		break;
	case ES_MSG_ES7_CREATE_ADDITIONAL_KEY_SET_REQ:
		eidh = &req->u.es7_create_additional_key_set_req.eid;
		ev = EV_KEYSET_REQ;
		break;
	default: return -ENOTSUP;
	}
	if (eid_of(eidh, eid, sizeof(eid), bin) < 0) {
		reply_now(reply, req->id, &ST_EID_UNKNOWN);
		return -ENOENT;
	}
	p = proc_by_eid(c, eid);
	if (ev == EV_HANDOVER_REQ && !p) {
		/* SR1 asks again (its answer to step 28 was lost): we hold the eUICC, or we never did */
		struct smsr_eis_row row;

		if (smsr_store_eis_get(c->store, eid, &row) == 0 && row.state == SMSR_EIS_ACTIVE &&
		    !strcmp(row.smsr_id, c->cfg.smsr_id)) {
			reply_now(reply, req->id,
				  &(struct status){ ES_STATUS_EXECUTED_WITHWARNING, "8.4", "4.3",
						    SMSR_CHG_MSG_ALREADY_MANAGED });
			return 0;
		}
		reply_now(reply, req->id, &ST_EID_UNKNOWN);
		return -ENOENT;
	}
	if (!p) {
		reply_now(reply, req->id, &ST_EID_UNKNOWN);
		return -ENOENT;
	}
	if (ev == EV_HANDOVER_REQ && p->role == ROLE_SR2 && p->fi->state != SR2_ST_2_AWAITING_HANDOVER) {
		/* a repeated HandoverEUICC while ours runs: the answer to the first one will come */
		reply_now(reply, req->id, &ST_BUSY);
		return -EBUSY;
	}
	if ((ev == EV_HANDOVER_REQ) != (p->role == ROLE_SR2) ||
	    (ev == EV_AUTH_REQ && p->fi->state != SR1_ST_5_HANDOVER_SENT && p->fi->state != SR1_ST_8_CERT_TO_ISDR &&
	     p->fi->state != SR1_ST_13_WAIT_KEYSET_REQ && p->fi->state != SR1_ST_16_KEYAGREEMENT_TO_ISDR &&
	     p->fi->state != SR1_ST_22_WAIT_HANDOVER_RESP) ||
	    (ev == EV_KEYSET_REQ && p->fi->state != SR1_ST_13_WAIT_KEYSET_REQ)) {
		reply_now(reply, req->id, &ST_NOT_ALLOWED);
		return -EPERM;
	}
	return osmo_fsm_inst_dispatch(p->fi, ev, &e);
}

void smsr_change_es_rx_response(struct smsr_change *c, uint32_t tag, int rc, const struct es_msg *resp)
{
	struct ev_resp r = { rc, resp };
	struct proc *p;

	llist_for_each_entry (p, &c->procs, entry) {
		if (p->tag != tag || !tag)
			continue;
		p->tag = 0;
		osmo_fsm_inst_dispatch(p->fi, EV_ES7_RESP, &r);
		return;
	}
	LOGP(DES7, LOGL_NOTICE, "ES7 answer for an unknown or finished call dropped\n");
}

int smsr_change_es_rx_unmatched(struct smsr_change *c, const struct es_msg *resp)
{
	struct ev_resp r = { 0, resp };
	struct proc *p;

	if (!resp || resp->id != ES_MSG_ES7_HANDOVER_EUICC_RESP || !resp->wsa.relates_to)
		return -EINVAL;
	llist_for_each_entry (p, &c->procs, entry) {
		if (p->role != ROLE_SR1 || !p->out_msg_id[0] || strcmp(p->out_msg_id, resp->wsa.relates_to))
			continue;
		osmo_fsm_inst_dispatch(p->fi, EV_HANDOVER_RESULT, &r);
		return 0;
	}
	return -ENOENT;
}

void smsr_change_es5_rx_result(struct smsr_change *c, uint32_t op, int rc, uint16_t sw, const uint8_t *resp, size_t len)
{
	struct ev_es5 r = { rc, sw, resp, len };
	struct proc *p;

	llist_for_each_entry (p, &c->procs, entry) {
		if (p->op != op)
			continue;
		p->op = 0;
		osmo_fsm_inst_dispatch(p->fi, EV_ES5_RESULT, &r);
		return;
	}
	LOGP(DES5, LOGL_NOTICE, "ES5 result for an unknown SM-SR Change exchange dropped\n");
}

/* ==== the FSM definitions ============================================================================ */

#define S(x) (1 << (x))
#define SR1_ALL                                                                                \
	(S(SR1_ST_5_HANDOVER_SENT) | S(SR1_ST_8_CERT_TO_ISDR) | S(SR1_ST_13_WAIT_KEYSET_REQ) | \
	 S(SR1_ST_16_KEYAGREEMENT_TO_ISDR) | S(SR1_ST_22_WAIT_HANDOVER_RESP) | S(ST_DONE))
#define SR1_EVENTS (S(EV_AUTH_REQ) | S(EV_KEYSET_REQ) | S(EV_ES7_RESP) | S(EV_ES5_RESULT) | S(EV_HANDOVER_RESULT))

/* A state waiting for events: every one of a role's states but the first and DONE. */
#define WAIT_STATE(nm, events, all, act)                                                  \
	{                                                                                 \
		.name = nm, .in_event_mask = events, .out_state_mask = all, .action = act \
	}

static const struct osmo_fsm_state sr1_states[] = {
	[SR1_ST_4_LOCKED] = { .name = "4_LOCKED", .out_state_mask = SR1_ALL },
	[SR1_ST_5_HANDOVER_SENT] = WAIT_STATE("5_HANDOVER_SENT", SR1_EVENTS, SR1_ALL, sr1_wait_action),
	[SR1_ST_8_CERT_TO_ISDR] = WAIT_STATE("8_CERT_TO_ISDR", SR1_EVENTS, SR1_ALL, sr1_wait_action),
	[SR1_ST_13_WAIT_KEYSET_REQ] = WAIT_STATE("13_WAIT_KEYSET_REQ", SR1_EVENTS, SR1_ALL, sr1_wait_action),
	[SR1_ST_16_KEYAGREEMENT_TO_ISDR] = WAIT_STATE("16_KEYAGREEMENT_TO_ISDR", SR1_EVENTS, SR1_ALL, sr1_wait_action),
	[SR1_ST_22_WAIT_HANDOVER_RESP] = WAIT_STATE("22_WAIT_HANDOVER_RESP", SR1_EVENTS, SR1_ALL, sr1_wait_action),
	[ST_DONE] = { .name = "DONE" },
};

#define SR2_ALL                                                                                            \
	(S(SR2_ST_2_AWAITING_HANDOVER) | S(SR2_ST_7_AUTHENTICATE_SENT) | S(SR2_ST_15_CREATE_KEYSET_SENT) | \
	 S(SR2_ST_25_FINALISE_SENT) | S(SR2_ST_26_ADDRESSING_SENT) | S(SR2_ST_26_SCP81_CERT_SENT) |        \
	 S(SR2_ST_26_SCP81_KEYS_SENT) | S(ST_DONE))
#define SR2_EVENTS (S(EV_HANDOVER_REQ) | S(EV_ES7_RESP) | S(EV_ES5_RESULT))

static const struct osmo_fsm_state sr2_states[] = {
	[SR1_ST_4_LOCKED] = { .name = "1_PREPARE", .out_state_mask = SR2_ALL },
	[SR2_ST_2_AWAITING_HANDOVER] = WAIT_STATE("2_AWAITING_HANDOVER", SR2_EVENTS, SR2_ALL, sr2_action),
	[SR2_ST_7_AUTHENTICATE_SENT] = WAIT_STATE("7_AUTHENTICATE_SENT", SR2_EVENTS, SR2_ALL, sr2_action),
	[SR2_ST_15_CREATE_KEYSET_SENT] = WAIT_STATE("15_CREATE_KEYSET_SENT", SR2_EVENTS, SR2_ALL, sr2_action),
	[SR2_ST_25_FINALISE_SENT] = WAIT_STATE("25_FINALISE_SENT", SR2_EVENTS, SR2_ALL, sr2_action),
	[SR2_ST_26_ADDRESSING_SENT] = WAIT_STATE("26_ADDRESSING_SENT", SR2_EVENTS, SR2_ALL, sr2_action),
	[SR2_ST_26_SCP81_CERT_SENT] = WAIT_STATE("26_SCP81_CERT_SENT", SR2_EVENTS, SR2_ALL, sr2_action),
	[SR2_ST_26_SCP81_KEYS_SENT] = WAIT_STATE("26_SCP81_KEYS_SENT", SR2_EVENTS, SR2_ALL, sr2_action),
	[ST_DONE] = { .name = "DONE" },
};

static struct osmo_fsm sr1_fsm = {
	.name = "smsr_change_sr1",
	.states = sr1_states,
	.num_states = ARRAY_SIZE(sr1_states),
	.timer_cb = sr1_timer_cb,
	.cleanup = proc_cleanup,
	.event_names = chg_event_names,
	.log_subsys = DES7,
};

static struct osmo_fsm sr2_fsm = {
	.name = "smsr_change_sr2",
	.states = sr2_states,
	.num_states = ARRAY_SIZE(sr2_states),
	.timer_cb = sr2_timer_cb,
	.cleanup = proc_cleanup,
	.event_names = chg_event_names,
	.log_subsys = DES7,
};

static __attribute__((constructor)) void chg_fsm_register(void)
{
	OSMO_ASSERT(osmo_fsm_register(&sr1_fsm) == 0);
	OSMO_ASSERT(osmo_fsm_register(&sr2_fsm) == 0);
}

/* ==== restart ========================================================================================= */

static int state_by_name(const struct osmo_fsm *f, const char *name)
{
	for (unsigned int i = 0; i < f->num_states; i++)
		if (f->states[i].name && !strcmp(f->states[i].name, name))
			return (int)i;
	return -1;
}

static void resume_one(struct smsr_change *c, sqlite3_stmt *q)
{
	char eid[SMSR_EID_HEX_MAX], step[32];
	int role = sqlite3_column_int(q, 1);
	uint8_t bin[16];
	const uint8_t *old;
	struct proc *p;
	int st, n;

	get_text(q, 0, eid, sizeof(eid));
	get_text(q, 2, step, sizeof(step));
	if (osmo_hexparse(eid, bin, sizeof(bin)) != 16 || (role != ROLE_SR1 && role != ROLE_SR2) || proc_by_eid(c, eid))
		return;
	p = proc_alloc(c, role, eid, bin);
	if (!p)
		return;
	c->stats.resumed++;
	get_text(q, 3, p->peer, sizeof(p->peer));
	p->deadline = sqlite3_column_int64(q, 4);
	get_text(q, 5, p->requester, sizeof(p->requester));
	get_text(q, 6, p->reply_to, sizeof(p->reply_to));
	get_text(q, 7, p->relates_to, sizeof(p->relates_to));
	p->ns = (enum es_ns_variant)sqlite3_column_int(q, 8);
	get_text(q, 9, p->out_msg_id, sizeof(p->out_msg_id));
	p->kvn = (uint8_t)sqlite3_column_int(q, 10);
	p->warning = sqlite3_column_int(q, 11);
	if (p->warning)
		p->warn_msg = "completed after a restart with a warning";
	old = sqlite3_column_blob(q, 12);
	n = sqlite3_column_bytes(q, 12);
	for (int i = 0; old && i + 3 <= n && p->n_old < MAX_OLD; i += 3)
		p->old[p->n_old++] = (struct es5_keyrange){ old[i], old[i + 1], old[i + 2] };
	st = state_by_name(role == ROLE_SR1 ? &sr1_fsm : &sr2_fsm, step);
	LOGPFSML(p->fi, LOGL_NOTICE, "resuming after a restart from step %s\n", step);
	if (role == ROLE_SR1) {
		p->answered = false; /* SMSRChange is answered through respond_stored */
		switch (st) {
		case SR1_ST_22_WAIT_HANDOVER_RESP:
			/* SR2 may have committed: only its HandoverEUICC answer ends this, and it may have come
			 * while we were down: ask again */
			osmo_fsm_inst_state_chg(p->fi, st, 0, 0);
			sr1_handover_again(p);
			return;
		case SR1_ST_16_KEYAGREEMENT_TO_ISDR:
		case SR1_ST_13_WAIT_KEYSET_REQ: st = SR1_ST_13_WAIT_KEYSET_REQ; break;
		default: st = SR1_ST_5_HANDOVER_SENT; break; /* the relayed request is lost: SR2 asks again */
		}
		if (p->deadline <= now_s()) {
			osmo_fsm_inst_state_chg(p->fi, st, 0, 0);
			c->stats.expired++;
			sr1_abort(p, &ST_EXPIRED);
			return;
		}
		go(p, st, until(p->deadline), 0);
		return;
	}
	/* SR2 */
	switch (st) {
	case SR2_ST_2_AWAITING_HANDOVER:
		p->answered = true;
		osmo_fsm_inst_state_chg(p->fi, st, until(p->deadline), 0);
		return;
	case SR2_ST_25_FINALISE_SENT:
	case SR2_ST_26_ADDRESSING_SENT:
	case SR2_ST_26_SCP81_CERT_SENT:
	case SR2_ST_26_SCP81_KEYS_SENT: {
		/* after the commit point: the eUICC is ours, finish (the SCP81 key agreement from its
		 * first command again: the ephemeral key did not survive) */
		struct smsr_keyset_row ks;

		p->answered = false;
		osmo_fsm_inst_state_chg(p->fi, st, 0, 0);
		if (smsr_store_keyset_get(c->store, p->eid, SMSR_KEYSET_SCP80, p->kvn, &ks) < 0) {
			sr2_warn(p, "the new key set is missing after a restart");
			sr2_complete(p);
			return;
		}
		OPENSSL_cleanse(&ks, sizeof(ks));
		if (st == SR2_ST_25_FINALISE_SENT)
			sr2_finalise(p);
		else if (st == SR2_ST_26_ADDRESSING_SENT)
			sr2_addressing(p);
		else
			sr2_scp81(p);
		return;
	}
	default: {
		/* before the commit point: the ES7 exchange is lost; from step 7 again (a new RC), or
		 * Failed once the validity period is over */
		struct smsr_eis_row row;

		p->answered = false;
		osmo_fsm_inst_state_chg(p->fi, SR2_ST_7_AUTHENTICATE_SENT, 0, 0);
		if (p->deadline <= now_s()) {
			c->stats.expired++;
			sr2_fail(p, &ST_EXPIRED);
			return;
		}
		/* PK.ECASD.ECKA again from the kept EIS (it was verified at step 6) */
		if (smsr_store_eis_get(c->store, p->eid, &row) < 0 || row.state != SMSR_EIS_RECEIVED ||
		    ecasd_pub_from_store(p) < 0) {
			sr2_fail(p, &ST_INTERNAL);
			return;
		}
		sr2_authenticate(p);
		return;
	}
	}
}

int smsr_change_resume(struct smsr_change *c)
{
	sqlite3_stmt *q = cs(c, CS_LIST);
	struct eid_s {
		char s[SMSR_EID_HEX_MAX];
	} *eids = NULL;
	unsigned int n = 0;
	int rc;

	/* collect first: resuming changes the table */
	while ((rc = smsr_store_step(c->store, q)) == SQLITE_ROW) {
		eids = talloc_realloc(c, eids, struct eid_s, n + 1);
		if (!eids)
			break;
		get_text(q, 0, eids[n].s, SMSR_EID_HEX_MAX);
		n++;
	}
	sqlite3_reset(q);
	for (unsigned int i = 0; eids && i < n; i++) {
		q = cs(c, CS_LIST);
		while ((rc = smsr_store_step(c->store, q)) == SQLITE_ROW) {
			char eid[SMSR_EID_HEX_MAX];

			get_text(q, 0, eid, sizeof(eid));
			if (!strcmp(eid, eids[i].s))
				break;
		}
		if (rc == SQLITE_ROW)
			resume_one(c, q);
		sqlite3_reset(c->stmt[CS_LIST]);
	}
	talloc_free(eids);
	return (int)n;
}

int smsr_change_step(struct smsr_change *c, const char *eid, char *buf, size_t cap)
{
	sqlite3_stmt *q = cs(c, CS_GET);
	int rc;

	buf[0] = '\0';
	put_text(q, 1, eid);
	rc = smsr_store_step(c->store, q);
	if (rc == SQLITE_ROW)
		get_text(q, 0, buf, cap);
	sqlite3_reset(q);
	return rc == SQLITE_ROW ? 0 : -ENOENT;
}

/* ==== lifecycle ======================================================================================== */

static int chg_destructor(struct smsr_change *c)
{
	struct proc *p, *p2;

	/* a shutdown is a restart to come: the stored steps stay */
	llist_for_each_entry_safe (p, p2, &c->procs, entry) {
		p->answered = true;
		p->have_relay = false;
		osmo_fsm_inst_term(p->fi, OSMO_FSM_TERM_REQUEST, NULL);
	}
	for (int i = 0; i < _NUM_CS; i++)
		sqlite3_finalize(c->stmt[i]);
	return 0;
}

struct smsr_change *smsr_change_alloc(void *ctx, struct smsr *sr, struct smsr_store *store,
				      const struct smsr_change_cfg *cfg, const struct smsr_change_ops *ops, void *priv)
{
	struct smsr_change *c = talloc_zero(ctx, struct smsr_change);
	sqlite3 *db = smsr_store_sqlite(store);

	if (!c)
		return NULL;
	c->sr = sr;
	c->store = store;
	c->cfg = *cfg;
	c->cfg.smsr_id = talloc_strdup(c, cfg->smsr_id ? cfg->smsr_id : "0");
	c->ops = *ops;
	c->priv = priv;
	c->tdefs = cfg->tdefs ? cfg->tdefs : smsr_change_tdefs;
	INIT_LLIST_HEAD(&c->procs);
	talloc_set_destructor(c, chg_destructor);
	if (sqlite3_exec(db, change_schema, NULL, NULL, NULL) != SQLITE_OK) {
		talloc_free(c);
		return NULL;
	}
	for (int i = 0; i < _NUM_CS; i++) {
		if (sqlite3_prepare_v2(db, chg_sql[i], -1, &c->stmt[i], NULL) != SQLITE_OK) {
			talloc_free(c);
			return NULL;
		}
	}
	return c;
}

void smsr_change_free(struct smsr_change *c)
{
	talloc_free(c);
}

const struct smsr_change_stats *smsr_change_stats(const struct smsr_change *c)
{
	return &c->stats;
}

unsigned int smsr_change_num_procs(const struct smsr_change *c)
{
	return llist_count(&c->procs);
}
