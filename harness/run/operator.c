/* The operator role of `rsplab run` (see operator.h). */
#include <errno.h>
#include <signal.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <osmocom/core/select.h>
#include <osmocom/core/talloc.h>
#include <osmocom/core/timer.h>
#include <osmocom/core/utils.h>

#include <openssl/ssl.h>

#include "lib/es/es_desc.h"
#include "lib/esnet/esnet.h"
#include "lib/tls/tls.h"
#include "harness/net_io.h"
#include "harness/run/operator.h"

#define OP_PARTIES_MAX 4
#define OP_CARDS_MAX   8

struct op_party {
	char name[TOPO_NAME_MAX];
	char entity[64];
	char url[300];
	struct tls_ctx *srv, *cli;
	struct esnet *e;
	struct op_ctx *op;
};

struct op_ctx {
	const struct topo *t;
	struct op_party party[OP_PARTIES_MAX];
	size_t n_party;
	struct op_card card[OP_CARDS_MAX];
	size_t n_cards;
	struct op_record rec[OP_RECORDS_MAX];
	bool consumed[OP_RECORDS_MAX];
	size_t n_rec;
	struct osmo_timer_list tick;
	const volatile sig_atomic_t *stop; /* set: every wait ends early (the harness was interrupted) */
};

static bool op_stopped(const struct op_ctx *op)
{
	return op->stop && *op->stop;
}

void op_set_stop(struct op_ctx *op, const volatile sig_atomic_t *flag)
{
	op->stop = flag;
}

/* Our entity id for the EUM: the topology has none (ES1 is not in it); an OID under the test arc. */
static const char op_eum_entity[] = "2.999.4.1";

static struct op_party *party_of(struct op_ctx *op, const char *name)
{
	for (size_t i = 0; i < op->n_party; i++)
		if (strcmp(op->party[i].name, name) == 0)
			return &op->party[i];
	return NULL;
}

static struct op_record *rec_new(struct op_ctx *op, enum es_msg_id id, const char *party, const char *peer)
{
	struct op_record *r;

	if (op->n_rec == OP_RECORDS_MAX)
		return NULL;
	r = &op->rec[op->n_rec++];
	memset(r, 0, sizeof(*r));
	r->id = id;
	snprintf(r->party, sizeof(r->party), "%s", party);
	snprintf(r->peer, sizeof(r->peer), "%s", peer ? peer : "");
	r->t_sent_ms = net_now_ms();
	return r;
}

static void copy_str(char *dst, size_t cap, const char *src)
{
	size_t k = 0;

	/* peer data: printable ASCII only */
	for (; src && *src && k + 1 < cap; src++)
		dst[k++] = (*src >= 0x20 && *src < 0x7f) ? *src : '?';
	dst[k] = '\0';
}

/* The response's FunctionExecutionStatus (every response struct starts with the ES_BASE_RESP fields:
 * a common initial sequence of the union members). */
static void rec_fill(struct op_record *r, const struct es_msg *resp)
{
	const struct es1_register_eis_resp *base = &resp->u.es1_register_eis_resp;
	const struct es_fes *fes = &base->function_execution_status;

	if (resp->is_fault) {
		r->fault = true;
		copy_str(r->message, sizeof(r->message), resp->fault.reason);
		return;
	}
	r->status = fes->status;
	if (fes->status_code_data.present) {
		copy_str(r->subject, sizeof(r->subject), fes->status_code_data.subject);
		copy_str(r->reason, sizeof(r->reason), fes->status_code_data.reason);
		copy_str(r->message, sizeof(r->message), fes->status_code_data.message);
	}
	if (resp->id == ES_MSG_ES4_GET_EIS_RESP || resp->id == ES_MSG_ES2_GET_EIS_RESP ||
	    resp->id == ES_MSG_ES4_AUDIT_EIS_RESP) {
		const struct es_eis *eis = &resp->u.es4_get_eis_resp.eis;
		if (eis->present) {
			r->has_eis = true;
			copy_str(r->eis_smsr_id, sizeof(r->eis_smsr_id), eis->smsr_id);
			for (unsigned int i = 0; i < eis->n_profile_info && r->n_profiles < OP_EIS_PROFILES; i++) {
				copy_str(r->profile[r->n_profiles].iccid, sizeof(r->profile[0].iccid),
					 eis->profile_info[i].iccid);
				r->profile[r->n_profiles++].state = eis->profile_info[i].state;
			}
		}
	}
}

static void call_cb(struct esnet_call *call, int rc, const struct es_msg *resp, const struct soap_findings *f,
		    void *priv)
{
	struct op_record *r = priv;

	(void)call;
	(void)f;
	r->done = true;
	r->rc = rc;
	r->t_done_ms = net_now_ms();
	if (rc == 0 && resp)
		rec_fill(r, resp);
}

static void notif_cb(struct esnet_in *in, void *priv)
{
	struct op_party *p = priv;
	const struct es_msg *m = esnet_in_msg(in);
	struct op_record *r = rec_new(p->op, m->id, p->name, NULL);

	if (r) {
		const char *sender = esnet_in_sender_id(in);
		const struct topo_comp *c = NULL;
		for (size_t i = 0; i < p->op->t->n && sender && sender[0]; i++)
			if (strcmp(p->op->t->comp[i].entity, sender) == 0)
				c = &p->op->t->comp[i];
		copy_str(r->peer, sizeof(r->peer), c ? c->name : sender);
		r->done = true;
		r->t_done_ms = r->t_sent_ms;
	}
	esnet_in_done(in);
}

static void tick_cb(void *data)
{
	(void)data; /* only wakes the select loop */
}

void op_poll(struct op_ctx *op, int ms)
{
	int64_t end = net_now_ms() + (ms > 0 ? ms : 0);

	do {
		osmo_timer_schedule(&op->tick, 0, 20000);
		osmo_select_main_ctx(0);
	} while (net_now_ms() < end && !op_stopped(op));
	osmo_timer_del(&op->tick);
}

static int party_init(struct op_ctx *op, void *ctx, const char *name, const char *entity, const char *addr,
		      uint16_t port, const char *pki, const char *keylog, char *err, size_t errlen)
{
	struct op_party *p = &op->party[op->n_party];
	char cert[PATH_MAX], key[PATH_MAX], ca[PATH_MAX];
	size_t nh = 0;
	struct esnet_cfg cfg = { .variant = es_variant_default };

	memset(p, 0, sizeof(*p));
	p->op = op;
	snprintf(p->name, sizeof(p->name), "%s", name);
	snprintf(p->entity, sizeof(p->entity), "%s", entity);
	snprintf(cert, sizeof(cert), "%s/%s/tls-cert.pem", pki, name);
	snprintf(key, sizeof(key), "%s/%s/tls-key.pem", pki, name);
	snprintf(ca, sizeof(ca), "%s/ci/cert.pem", pki);
	p->cli = tls_ctx_alloc(ctx,
			       &(struct tls_cfg){ .role = TLS_ROLE_CLIENT,
						  .cert_file = cert,
						  .key_file = key,
						  .ca_file = ca,
						  .keylog_file = keylog,
						  .max_version = TLS1_2_VERSION },
			       err, errlen);
	if (!p->cli)
		return -EPROTO;
	cfg.own_id = p->entity;
	cfg.own_name = name;
	cfg.callback_tls = p->cli;
	if (addr) {
		p->srv = tls_ctx_alloc(ctx,
				       &(struct tls_cfg){ .role = TLS_ROLE_SERVER,
							  .cert_file = cert,
							  .key_file = key,
							  .ca_file = ca,
							  .require_client_cert = true,
							  .keylog_file = keylog,
							  .max_version = TLS1_2_VERSION },
				       err, errlen);
		if (!p->srv)
			return -EPROTO;
		snprintf(p->url, sizeof(p->url), "https://%s:%u/", addr, port);
		cfg.listen_addr = addr;
		cfg.listen_port = port;
		cfg.server_tls = p->srv;
		cfg.own_url = p->url;
	} else {
		/* a client only (the EUM): callbacks never come, From still names an address */
		snprintf(p->url, sizeof(p->url), "https://%s.rsplab.invalid/", name);
		cfg.own_url = p->url;
	}
	/* every ES2/ES4 notification an operator may receive (digest §6.2) */
	{
		struct esnet_handler *hs = talloc_array(ctx, struct esnet_handler, ES_MSG__COUNT);
		if (!hs)
			return -ENOMEM;
		for (int id = 0; id < ES_MSG__COUNT && addr; id++)
			if (es_msgs[id].kind == ES_KIND_NOTIFICATION &&
			    (es_msgs[id].iface == 2 || es_msgs[id].iface == 4))
				hs[nh++] = (struct esnet_handler){ (enum es_msg_id)id, notif_cb, p };
		cfg.handlers = hs;
		cfg.num_handlers = nh;
	}
	p->e = esnet_alloc(ctx, &cfg);
	if (!p->e) {
		snprintf(err, errlen, "%s: cannot listen on %s:%u: %s", name, addr ? addr : "-", port, strerror(errno));
		return -EADDRINUSE;
	}
	op->n_party++;
	return 0;
}

struct op_ctx *op_alloc(void *ctx, const struct topo *t, const char *pki_dir, const char *keylog, char *err,
			size_t errlen)
{
	struct op_ctx *op = talloc_zero(ctx, struct op_ctx);

	if (!op) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	op->t = t;
	osmo_timer_setup(&op->tick, tick_cb, op);
	for (size_t i = 0; i < t->n; i++) {
		const struct topo_comp *c = &t->comp[i];
		if (c->kind != TOPO_MNO || op->n_party + 1 >= OP_PARTIES_MAX)
			continue;
		if (party_init(op, op, c->name, c->entity, c->addr, c->port, pki_dir, keylog, err, errlen) < 0) {
			op_free(op);
			return NULL;
		}
	}
	if (party_init(op, op, "eum", op_eum_entity, NULL, 0, pki_dir, keylog, err, errlen) < 0) {
		op_free(op);
		return NULL;
	}
	return op;
}

void op_free(struct op_ctx *op)
{
	if (!op)
		return;
	osmo_timer_del(&op->tick);
	for (size_t i = 0; i < op->n_party; i++)
		esnet_free(op->party[i].e); /* aborts outstanding calls, closes the listener */
	talloc_free(op);
}

int op_card_add(struct op_ctx *op, const struct op_card *card)
{
	if (op->n_cards == OP_CARDS_MAX)
		return -ENOSPC;
	op->card[op->n_cards++] = *card;
	return 0;
}

static const struct op_card *card_of(const struct op_ctx *op, const char *name)
{
	for (size_t i = 0; i < op->n_cards; i++)
		if (strcmp(op->card[i].name, name) == 0)
			return &op->card[i];
	return NULL;
}

/* ---- building a request from a scenario step -------------------------------------------------------- */

static int hex_to_buf(void *ctx, const char *hex, struct es_hex *out)
{
	size_t n = strlen(hex);
	uint8_t *b = talloc_size(ctx, n / 2 + 1);
	int rc;

	if (!b)
		return -ENOMEM;
	rc = osmo_hexparse(hex, b, n / 2 + 1);
	if (rc < 0)
		return -EINVAL;
	*out = (struct es_hex){ b, (size_t)rc };
	return 0;
}

/* Set one element of the request body from name=value (see scn.h: the parser checked the forms). */
static int set_field(struct op_ctx *op, void *ctx, const struct es_msg_info *mi, void *body, const char *name,
		     const char *val, char *detail, size_t len)
{
	const struct es_type *t = mi->type;
	const struct topo_comp *ref = NULL;
	const struct op_card *card = NULL;

	if (val[0] == '@') {
		ref = topo_find(op->t, val + 1);
		card = card_of(op, val + 1);
		if (!ref) {
			snprintf(detail, len, "%s=%s: no such component", name, val);
			return -ENOENT;
		}
		if (ref->kind == TOPO_EUICC && !card) {
			snprintf(detail, len, "%s=%s: the card was not initialised by this run", name, val);
			return -ENOENT;
		}
	}
	for (unsigned int i = 0; i < t->n_fields; i++) {
		const struct es_field *f = &t->fields[i];
		void *p = (uint8_t *)body + f->off;
		if (strcmp(f->name, name) != 0)
			continue;
		if (f->rep) {
			snprintf(detail, len, "%s: repeated elements are not settable from a scenario", name);
			return -EINVAL;
		}
		switch (f->kind) {
		case ES_K_STR:
		case ES_K_TS:
		case ES_K_ASTR: *(const char **)p = card ? card->eid : ref ? ref->entity : val; return 0;
		case ES_K_HEX:
		case ES_K_AHEX: return hex_to_buf(ctx, card ? card->eid : val, p);
		case ES_K_INT: *(struct es_int *)p = (struct es_int){ true, strtoll(val, NULL, 10) }; return 0;
		case ES_K_BOOL: *(struct es_bool *)p = (struct es_bool){ true, strcmp(val, "true") == 0 }; return 0;
		case ES_K_ENUM: *(int *)p = get_string_value(f->names, val); return 0;
		case ES_K_STRUCT:
			if (card && strcmp(name, "Eis") == 0 && card->register_eis) {
				*(struct es_eis *)p = card->register_eis->u.es1_register_eis_req.eis;
				return 0;
			}
			snprintf(detail, len, "%s=%s: the harness builds no %s for that", name, val, name);
			return -EINVAL;
		}
	}
	snprintf(detail, len, "%s has no element %s", mi->name, name);
	return -EINVAL;
}

static struct op_party *party_for(struct op_ctx *op, const char *as, char *detail, size_t len)
{
	struct op_party *p = party_of(op, as);

	if (!p)
		snprintf(detail, len, "as=%s: not an operator the harness plays", as);
	return p;
}

static int send_req(struct op_ctx *op, struct op_party *p, const struct topo_comp *to, struct es_msg *req,
		    struct op_record **out, char *detail, size_t len)
{
	char url[300];
	struct esnet_peer peer = { .url = url, .entity_id = to->entity, .tls = p->cli, .variant = es_variant_default };
	struct op_record *r = rec_new(op, req->id, p->name, to->name);
	int rc;

	if (!r) {
		snprintf(detail, len, "more than %d ES exchanges in one scenario", OP_RECORDS_MAX);
		return -ENOSPC;
	}
	if (to->mode == TOPO_EXTERNAL)
		snprintf(url, sizeof(url), "%s", to->url);
	else
		snprintf(url, sizeof(url), "https://%s:%u/", to->addr, to->port);
	rc = esnet_call(p->e, &peer, req, call_cb, r, NULL);
	if (rc < 0) {
		r->done = true;
		r->rc = rc;
		snprintf(detail, len, "%s to %s could not be sent: %s", es_msgs[req->id].name, to->name, strerror(-rc));
		return rc;
	}
	if (out)
		*out = r;
	return 0;
}

static int wait_rec(struct op_ctx *op, struct op_record *r, unsigned int timeout_ms)
{
	int64_t end = net_now_ms() + timeout_ms;

	while (!r->done && net_now_ms() < end && !op_stopped(op))
		op_poll(op, 0);
	return r->done ? 0 : -ETIMEDOUT;
}

static void describe(const struct op_record *r, char *detail, size_t len)
{
	if (r->rc < 0)
		snprintf(detail, len, "%s: no response (%s)", es_msgs[r->id].name, strerror(-r->rc));
	else if (r->fault)
		snprintf(detail, len, "%s: SOAP fault: %s", es_msgs[r->id].name, r->message);
	else
		snprintf(detail, len, "%s%s%s%s%s%s%s", get_value_string(es_status_names, r->status),
			 r->subject[0] ? " " : "", r->subject, r->reason[0] ? "/" : "", r->reason,
			 r->message[0] ? ": " : "", r->message);
}

static int finish_call(struct op_ctx *op, struct op_record *r, unsigned int timeout_ms, struct op_record **out,
		       char *detail, size_t len)
{
	int rc = wait_rec(op, r, timeout_ms);

	if (out)
		*out = r;
	if (rc < 0) {
		snprintf(detail, len, "%s: no response within %.1f s", es_msgs[r->id].name, timeout_ms / 1000.0);
		return rc;
	}
	describe(r, detail, len);
	return 0;
}

int op_call_step(struct op_ctx *op, const struct scn_step *st, struct op_record **out, char *detail, size_t len)
{
	const struct es_msg_info *mi = &es_msgs[st->msg];
	const struct topo_comp *to = topo_find(op->t, st->target);
	struct op_party *p = party_for(op, st->peer, detail, len);
	struct es_msg *req;
	struct op_record *r = NULL;
	int rc;

	if (!p)
		return -ENOENT;
	if (!to) {
		snprintf(detail, len, "to=%s: no such component", st->target);
		return -ENOENT;
	}
	req = talloc_zero(op, struct es_msg);
	if (!req)
		return -ENOMEM;
	req->id = st->msg;
	*(bool *)&req->u = true; /* every body struct starts with `present` */
	for (size_t i = 0; i < st->n_fields; i++) {
		rc = set_field(op, req, mi, &req->u, st->field[i].name, st->field[i].value, detail, len);
		if (rc < 0) {
			talloc_free(req);
			return rc;
		}
	}
	if (st->validity_s)
		req->u.es1_register_eis_req.validity_period = (struct es_int){ true, st->validity_s };
	rc = send_req(op, p, to, req, &r, detail, len);
	talloc_free(req); /* esnet encoded it already */
	if (rc < 0)
		return rc;
	if (st->nowait) {
		snprintf(detail, len, "sent (%s)", mi->async ? "the callback is waited for later" : "not waited for");
		if (out)
			*out = r;
		return -EINPROGRESS;
	}
	return finish_call(op, r, scn_step_timeout_ms(st), out, detail, len);
}

int op_register_eis(struct op_ctx *op, const char *card, const struct topo_comp *smsr, unsigned int timeout_ms,
		    struct op_record **out, char *detail, size_t len)
{
	const struct op_card *c = card_of(op, card);
	struct op_party *p = party_of(op, "eum");
	struct es_msg *req;
	struct op_record *r = NULL;
	int rc;

	if (!c || !c->register_eis || !p) {
		snprintf(detail, len, "%s: no EIS built for this card", card);
		return -ENOENT;
	}
	req = talloc_zero(op, struct es_msg);
	if (!req)
		return -ENOMEM;
	req->id = ES_MSG_ES1_REGISTER_EIS_REQ;
	req->u.es1_register_eis_req = c->register_eis->u.es1_register_eis_req;
	req->u.es1_register_eis_req.function_call_identifier = NULL; /* a fresh one */
	rc = send_req(op, p, smsr, req, &r, detail, len);
	talloc_free(req);
	if (rc < 0)
		return rc;
	return finish_call(op, r, timeout_ms, out, detail, len);
}

int op_get_eis(struct op_ctx *op, const char *party, const struct topo_comp *smsr, const char *eid,
	       unsigned int timeout_ms, struct op_record **out, char *detail, size_t len)
{
	struct op_party *p = party_for(op, party, detail, len);
	struct es_msg *req;
	struct op_record *r = NULL;
	int rc;

	if (!p)
		return -ENOENT;
	req = talloc_zero(op, struct es_msg);
	if (!req)
		return -ENOMEM;
	req->id = ES_MSG_ES4_GET_EIS_REQ;
	req->u.es4_get_eis_req.present = true;
	if (hex_to_buf(req, eid, &req->u.es4_get_eis_req.eid) < 0) {
		talloc_free(req);
		return -EINVAL;
	}
	rc = send_req(op, p, smsr, req, &r, detail, len);
	talloc_free(req);
	if (rc < 0)
		return rc;
	return finish_call(op, r, timeout_ms, out, detail, len);
}

int op_wait_response(struct op_ctx *op, enum es_msg_id req, unsigned int timeout_ms, struct op_record **out,
		     char *detail, size_t len)
{
	for (size_t i = op->n_rec; i-- > 0;) {
		struct op_record *r = &op->rec[i];
		if (r->id != req)
			continue;
		return finish_call(op, r, timeout_ms, out, detail, len);
	}
	snprintf(detail, len, "no earlier call of %s to wait for", es_msgs[req].name);
	return -ENOENT;
}

int op_wait_notification(struct op_ctx *op, enum es_msg_id notif, const char *party, unsigned int timeout_ms,
			 struct op_record **out, char *detail, size_t len)
{
	int64_t end = net_now_ms() + timeout_ms;

	for (;;) {
		for (size_t i = 0; i < op->n_rec; i++) {
			struct op_record *r = &op->rec[i];
			if (r->id != notif || op->consumed[i] || strcmp(r->party, party) != 0)
				continue;
			op->consumed[i] = true;
			if (out)
				*out = r;
			snprintf(detail, len, "%s received from %s", es_msgs[notif].name,
				 r->peer[0] ? r->peer : "(unknown sender)");
			return 0;
		}
		if (net_now_ms() >= end || op_stopped(op))
			break;
		op_poll(op, 0);
	}
	snprintf(detail, len, "no %s to %s within %.1f s", es_msgs[notif].name, party, timeout_ms / 1000.0);
	return -ETIMEDOUT;
}

bool op_record_matches(const struct op_record *r, const struct scn_step *st, char *detail, size_t len)
{
	char got[200];
	int want = st->expect;

	describe(r, got, sizeof(got));
	if (st->kind == SCN_STEP_CALL && want == SCN_EXPECT_ANY) {
		snprintf(detail, len, "%s (not checked)", got);
		return true;
	}
	if (r->rc < 0 || r->fault || r->status != want || (st->subject[0] && strcmp(st->subject, r->subject) != 0) ||
	    (st->reason[0] && strcmp(st->reason, r->reason) != 0)) {
		snprintf(detail, len, "got %s; expected %s%s%s%s%s", got, get_value_string(es_status_names, want),
			 st->subject[0] ? " " : "", st->subject, st->reason[0] ? "/" : "", st->reason);
		return false;
	}
	snprintf(detail, len, "%s", got);
	return true;
}

size_t op_records(const struct op_ctx *op, const struct op_record **out, size_t max)
{
	size_t n = 0;

	for (size_t i = 0; i < op->n_rec && n < max; i++)
		out[n++] = &op->rec[i];
	return n;
}

unsigned int op_notification_count(const struct op_ctx *op, enum es_msg_id notif, const char *party)
{
	unsigned int n = 0;

	for (size_t i = 0; i < op->n_rec; i++)
		n += op->rec[i].id == notif && (!party || strcmp(op->rec[i].party, party) == 0);
	return n;
}
