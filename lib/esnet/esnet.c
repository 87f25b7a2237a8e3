/* ES web-service endpoint and client (see esnet.h): HTTP routing, SOAP decode/encode via lib/es,
 * 200/202/4xx/5xx per the SOAP 1.2 HTTP binding, callbacks to ReplyTo, RelatesTo matching, retries. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <openssl/x509.h>
#include <osmocom/core/linuxlist.h>
#include <osmocom/core/timer.h>
#include <talloc.h>

#include "lib/crypto/sym.h"
#include "lib/es/es_txn.h"
#include "lib/esnet/esnet.h"
#include "lib/http/http.h"
#include "lib/soap/rps_header.h"

/* .val is set as well as .default_val, so the table works before (or without) osmo_tdefs_reset():
 * a zero value would make every call time out at once. */
struct osmo_tdef esnet_tdefs[] = {
	{ .T = HTTP_T_IDLE,
	  .default_val = 60,
	  .val = 60,
	  .unit = OSMO_TDEF_S,
	  .desc = "HTTP idle keep-alive connection" },
	{ .T = HTTP_T_REQUEST, .default_val = 30, .val = 30, .unit = OSMO_TDEF_S, .desc = "HTTP server: one request" },
	{ .T = HTTP_T_RESPONSE, .default_val = 30, .val = 30, .unit = OSMO_TDEF_S, .desc = "HTTP client: one request" },
	{ .T = ESNET_T_CALLBACK,
	  .default_val = 300,
	  .val = 300,
	  .unit = OSMO_TDEF_S,
	  .desc = "ES async call: wait for the callback after 202 Accepted" },
	{}
};

#define ESNET_MAX_OUT	(256 * 1024) /* one envelope we send; an EIS is ~20 KiB */
#define ESNET_WSA_ARENA 2048
#define ESNET_ERR_MAX	256

struct esnet {
	struct esnet_cfg cfg;
	struct http_server *srv;
	struct http_route route;
	struct osmo_tdef *tdefs;
	struct esnet_stats stats;
	char last_err[ESNET_ERR_MAX];
	struct es_fci fci;
	struct es_corr corr;
	struct llist_head ins;	 /* struct esnet_in */
	struct llist_head calls; /* struct esnet_call */
	void *graveyard;	 /* http clients finished inside their own callback, freed by t_gc */
	struct osmo_timer_list t_gc;
	unsigned long seq;
};

struct esnet_in {
	struct llist_head entry;
	struct esnet *e;
	struct http_req *req; /* while a sync answer is pending on the HTTP request */
	const struct es_msg_info *mi;
	struct es_msg msg;
	struct soap_findings findings;
	bool retry;
	uint64_t received;
	char peer_cn[128];
	char sender_id[ES_TXN_STR_MAX];
	char reply_url[ESNET_HOST_MAX + ESNET_PATH_MAX + 16];
	char *arena;
	uint8_t *body; /* the received SOAP envelope as it came (requests and notifications given to a handler) */
	size_t body_len;
};

struct esnet_call {
	struct llist_head entry;
	struct esnet *e;
	esnet_call_cb cb;
	void *priv;
	const struct es_msg_info *mi; /* the request or notification sent */
	bool waiting_callback;
	char message_id[ES_TXN_STR_MAX];
	char arena[ESNET_WSA_ARENA];
	char fci[64];
	struct es_variant variant;
	struct http_client *cli;
	struct osmo_timer_list t_cb;
};

/* A fire-and-forget POST (callbacks we send as provider). */
struct esnet_post {
	struct esnet *e;
	struct http_client *cli;
};

static uint64_t now_s(void)
{
	struct timespec ts;

	osmo_clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec;
}

static void set_err(struct esnet *e, const char *fmt, const char *arg) __attribute__((format(printf, 2, 0)));
static void set_err(struct esnet *e, const char *fmt, const char *arg)
{
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
	snprintf(e->last_err, sizeof(e->last_err), fmt, arg ? arg : "");
#pragma GCC diagnostic pop
}

/* ---- URLs ------------------------------------------------------------------------------------------ */

int esnet_url_parse(const char *url, struct esnet_url *out)
{
	const char *p, *host, *host_end, *port_s = NULL;
	size_t hl;

	if (!url || !out)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	if (!strncasecmp(url, "https://", 8)) {
		out->tls = true;
		p = url + 8;
	} else if (!strncasecmp(url, "http://", 7)) {
		p = url + 7;
	} else {
		return -EINVAL;
	}
	host = p;
	if (*p == '[') {
		host = ++p;
		while (*p && *p != ']' && *p != '/')
			p++;
		if (*p != ']')
			return -EINVAL;
		host_end = p++;
	} else {
		while (*p && *p != ':' && *p != '/' && *p != '?' && *p != '@')
			p++;
		if (*p == '@') /* userinfo is not for ES endpoints */
			return -EINVAL;
		host_end = p;
	}
	hl = (size_t)(host_end - host);
	if (hl == 0)
		return -EINVAL;
	if (hl >= sizeof(out->host))
		return -EMSGSIZE;
	for (size_t i = 0; i < hl; i++)
		if ((unsigned char)host[i] <= ' ' || host[i] == '%')
			return -EINVAL;
	memcpy(out->host, host, hl);
	out->port = out->tls ? 443 : 80;
	if (*p == ':') {
		unsigned long v = 0;

		port_s = ++p;
		while (*p >= '0' && *p <= '9') {
			v = v * 10 + (unsigned long)(*p - '0');
			if (v > 65535)
				return -EINVAL;
			p++;
		}
		if (p == port_s || v == 0)
			return -EINVAL;
		out->port = (uint16_t)v;
	}
	if (*p && *p != '/' && *p != '?')
		return -EINVAL;
	if (strlen(p) + 2 > sizeof(out->path))
		return -EMSGSIZE;
	for (const char *q = p; *q; q++)
		if ((unsigned char)*q <= ' ' || *q == 0x7f)
			return -EINVAL;
	snprintf(out->path, sizeof(out->path), "%s%s", *p == '/' ? "" : "/", p);
	return 0;
}

int esnet_url_strip_query(const char *url, char *buf, size_t cap)
{
	size_t n = strcspn(url, "?#");

	if (n + 1 > cap)
		return -EMSGSIZE;
	memcpy(buf, url, n);
	buf[n] = '\0';
	return (int)n;
}

/* ---- helpers ----------------------------------------------------------------------------------- */

static void gc_cb(void *data)
{
	struct esnet *e = data;

	talloc_free_children(e->graveyard);
}

/* Free an http client later (it may be inside its own callback). */
static void bury_client(struct esnet *e, struct http_client *cli)
{
	if (!cli)
		return;
	talloc_steal(e->graveyard, cli);
	osmo_timer_schedule(&e->t_gc, 0, 0);
}

static void random_uuid(char *buf, size_t cap)
{
	uint8_t r[16] = { 0 };

	crypto_random(r, sizeof(r));
	r[6] = (r[6] & 0x0f) | 0x40; /* RFC 4122 §4.4: version 4 */
	r[8] = (r[8] & 0x3f) | 0x80;
	snprintf(buf, cap, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", r[0], r[1], r[2],
		 r[3], r[4], r[5], r[6], r[7], r[8], r[9], r[10], r[11], r[12], r[13], r[14], r[15]);
}

static void utc_now(char *buf, size_t cap)
{
	time_t t = time(NULL);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, cap, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* Fill the NULL WS-A fields of *w for a message to to_url. Strings go into arena. */
static int fill_wsa(struct esnet *e, struct soap_wsa *w, char *arena, size_t cap, const char *to_url, const char *to_id,
		    const char *action, const char *relates_to, const char *reply_to)
{
	char uuid[64], date[32], urn[80];
	struct rps_header h = { 0 };
	struct soap_wsa gen;
	int rc;

	random_uuid(uuid, sizeof(uuid));
	snprintf(urn, sizeof(urn), "urn:uuid:%s", uuid);
	utc_now(date, sizeof(date));
	h.sender_url = e->cfg.own_url ? e->cfg.own_url : "http://localhost/";
	h.sender_id = e->cfg.own_id ? e->cfg.own_id : "0";
	h.sender_name = e->cfg.own_name;
	h.receiver_url = to_url;
	h.receiver_id = to_id;
	h.message_id = urn;
	h.message_date = date;
	h.action = action;
	h.relates_to = relates_to;
	h.response_endpoint = reply_to;
	rc = rps_header_to_wsa(&h, arena, cap, &gen);
	if (rc < 0)
		return rc;
	if (!w->from)
		w->from = gen.from;
	if (!w->to)
		w->to = gen.to;
	if (!w->message_id)
		w->message_id = gen.message_id;
	if (!w->relates_to)
		w->relates_to = gen.relates_to;
	if (!w->reply_to)
		w->reply_to = gen.reply_to;
	return 0;
}

static int respond_raw(struct http_req *req, unsigned int status, const char *action, const uint8_t *body, size_t len)
{
	char ct[512];
	struct http_header h[1];
	struct http_out o = { .status = status, .body = body, .body_len = len };

	if (body && len) {
		if (soap_content_type_make(ct, sizeof(ct), action ? action : "") < 0)
			snprintf(ct, sizeof(ct), "application/soap+xml; charset=utf-8");
		h[0] = (struct http_header){ "Content-Type", ct };
		o.hdr = h;
		o.num_hdr = 1;
	}
	return http_req_respond(req, &o);
}

static int send_fault_http(struct esnet *e, struct http_req *req, const struct soap_wsa *in_wsa,
			   enum soap_fault_code code, const char *subcode, const char *reason)
{
	static uint8_t buf[8192];
	char arena[ESNET_WSA_ARENA];
	struct soap_wsa w = { 0 };
	struct soap_fault f = { .code = code, .subcode = subcode, .reason = reason };
	const char *action = SOAP_NS_WSA "/fault"; /* WS-A 1.0 SOAP Binding §6 */
	int n;

	fill_wsa(e, &w, arena, sizeof(arena), SOAP_WSA_ANONYMOUS, NULL, action, in_wsa ? in_wsa->message_id : NULL,
		 NULL);
	w.action = action;
	n = soap_fault_encode(buf, sizeof(buf), &w, &f);
	e->stats.rx_faults_sent++;
	if (n < 0)
		return respond_raw(req, code == SOAP_FAULT_SENDER ? 400 : 500, NULL, NULL, 0);
	/* SOAP 1.2 Part 2 §7.5.2.2: env:Sender -> 400, other faults -> 500 */
	return respond_raw(req, code == SOAP_FAULT_SENDER ? 400 : 500, action, buf, (size_t)n);
}

/* ---- fire-and-forget POSTs (callbacks we send) ------------------------------------------------ */

static void post_done_cb(struct http_client *cli, int rc, const struct http_msg *resp, void *priv)
{
	struct esnet_post *p = priv;
	struct esnet *e = p->e;

	if (rc < 0 || !resp || resp->status < 200 || resp->status > 299) {
		e->stats.tx_failures++;
		snprintf(e->last_err, sizeof(e->last_err), "callback POST failed: rc=%d status=%u", rc,
			 resp ? resp->status : 0);
	}
	bury_client(e, cli);
	talloc_free(p);
}

static int http_post(struct esnet *e, void *ctx, const char *url, struct tls_ctx *tls, const char *action,
		     const uint8_t *body, size_t len, http_client_cb cb, void *priv, struct http_client **out)
{
	struct esnet_url u;
	char ct[512];
	struct http_header h[1];
	struct http_out o = { .method = "POST", .body = body, .body_len = len };
	struct http_client_cfg cc = { 0 };
	struct http_client *cli;
	int rc;

	rc = esnet_url_parse(url, &u);
	if (rc < 0) {
		set_err(e, "bad URL %s", url);
		return rc;
	}
	if (u.tls && !tls) {
		set_err(e, "https URL %s but no client TLS context", url);
		return -EINVAL;
	}
	rc = soap_content_type_make(ct, sizeof(ct), action);
	if (rc < 0)
		return rc;
	h[0] = (struct http_header){ "Content-Type", ct };
	o.hdr = h;
	o.num_hdr = 1;
	o.url = u.path;
	cc.host = u.host;
	cc.port = u.port;
	cc.tls = u.tls ? tls : NULL;
	cc.tdefs = e->tdefs;
	cli = http_client_alloc(ctx, &cc);
	if (!cli)
		return -ENOMEM;
	rc = http_client_request(cli, &o, cb, priv);
	if (rc < 0) {
		http_client_free(cli);
		return rc;
	}
	*out = cli;
	return 0;
}

/* ---- incoming ------------------------------------------------------------------------------------- */

static int in_destructor(struct esnet_in *in)
{
	llist_del(&in->entry);
	return 0;
}

static void in_abort_cb(struct http_req *req, void *priv)
{
	struct esnet_in *in = priv;

	in->req = NULL;
}

const struct es_msg *esnet_in_msg(const struct esnet_in *in)
{
	return &in->msg;
}

const uint8_t *esnet_in_body(const struct esnet_in *in, size_t *len)
{
	if (len)
		*len = in->body_len;
	return in->body;
}

const struct soap_findings *esnet_in_findings(const struct esnet_in *in)
{
	return &in->findings;
}

bool esnet_in_is_retry(const struct esnet_in *in)
{
	return in->retry;
}

const char *esnet_in_peer_cn(const struct esnet_in *in)
{
	return in->peer_cn;
}

const char *esnet_in_sender_id(const struct esnet_in *in)
{
	return in->sender_id;
}

/* BaseRequestType (ES_BASE_REQ) is the common initial sequence of every request struct in the union
 * (present, FunctionCallIdentifier, ValidityPeriod), so it may be read and written through any one
 * of them (C11 6.5.2.3p6); es1_register_eis_req is the view used here. */
#define BASE_REQ(m) (&(m)->u.es1_register_eis_req)
_Static_assert(offsetof(struct es3_create_isdp_req, function_call_identifier) ==
		       offsetof(struct es1_register_eis_req, function_call_identifier),
	       "BaseRequestType layout");
_Static_assert(offsetof(struct es4_smsr_change_req, validity_period) ==
		       offsetof(struct es1_register_eis_req, validity_period),
	       "BaseRequestType layout");

bool esnet_in_expired(const struct esnet_in *in)
{
	if (in->mi->kind != ES_KIND_REQUEST)
		return false;
	return es_validity_expired(&BASE_REQ(&in->msg)->validity_period, in->received, now_s());
}

static void reply_url_of(struct esnet_in *in)
{
	const struct soap_wsa *w = &in->msg.wsa;
	const char *src = w->reply_to && strcmp(w->reply_to, SOAP_WSA_ANONYMOUS) ? w->reply_to : w->from;

	in->reply_url[0] = '\0';
	if (src)
		esnet_url_strip_query(src, in->reply_url, sizeof(in->reply_url));
}

int esnet_in_respond(struct esnet_in *in, struct es_msg *resp)
{
	struct esnet *e = in->e;
	static uint8_t buf[ESNET_MAX_OUT];
	char *arena = NULL, action[512];
	struct es_variant v = e->cfg.variant;
	struct esnet_post *p = NULL;
	bool callback;
	int rc, n;

	if (in->mi->kind != ES_KIND_REQUEST || resp->id != in->mi->id + 1) {
		esnet_in_done(in);
		return -EINVAL;
	}
	callback = in->mi->async;
	v.ns = in->msg.ns_seen; /* answer in the namespace the request came in */
	rc = es_action_uri(action, sizeof(action), resp->id, &v, callback);
	if (rc < 0)
		goto out;
	arena = talloc_size(in, ESNET_WSA_ARENA);
	if (!arena) {
		rc = -ENOMEM;
		goto out;
	}
	if (!resp->wsa.action)
		resp->wsa.action = talloc_strdup(arena, action);
	rc = fill_wsa(e, &resp->wsa, arena, ESNET_WSA_ARENA, callback ? in->reply_url : SOAP_WSA_ANONYMOUS, NULL,
		      resp->wsa.action, in->msg.wsa.message_id, NULL);
	if (rc < 0)
		goto out;
	n = es_msg_encode(buf, sizeof(buf), resp, &v);
	if (n < 0) {
		rc = n;
		goto out;
	}
	if (!callback) {
		if (!in->req) {
			rc = -ENOTCONN;
			goto out;
		}
		rc = respond_raw(in->req, 200, resp->wsa.action, buf, (size_t)n);
		in->req = NULL;
		e->stats.tx_responses++;
		goto out;
	}
	p = talloc_zero(e, struct esnet_post);
	if (!p) {
		rc = -ENOMEM;
		goto out;
	}
	p->e = e;
	rc = http_post(e, p, in->reply_url, e->cfg.callback_tls, resp->wsa.action, buf, (size_t)n, post_done_cb, p,
		       &p->cli);
	if (rc < 0) {
		talloc_free(p);
		goto out;
	}
	e->stats.tx_callbacks++;
out:
	if (rc < 0) {
		e->stats.tx_failures++;
		if (!e->last_err[0] || rc != -EINVAL)
			snprintf(e->last_err, sizeof(e->last_err), "respond to %s failed: %d", in->mi->name, rc);
	}
	if (in->req) /* encode failed while the sync request waits: never leave it hanging */
		send_fault_http(e, in->req, &in->msg.wsa, SOAP_FAULT_RECEIVER, NULL, "internal error");
	in->req = NULL;
	talloc_free(in);
	return rc;
}

int esnet_send_callback(struct esnet *e, const char *reply_url, const char *relates_to, enum es_ns_variant ns,
			struct es_msg *resp)
{
	static uint8_t buf[ESNET_MAX_OUT];
	char arena[ESNET_WSA_ARENA], action[512];
	struct es_variant v = e->cfg.variant;
	struct soap_wsa saved;
	struct esnet_post *p;
	int rc, n;

	if (!resp || resp->id <= ES_MSG_NONE || resp->id >= ES_MSG__COUNT ||
	    es_msgs[resp->id].kind != ES_KIND_RESPONSE || !es_msgs[resp->id - 1].async || !reply_url || !reply_url[0] ||
	    !relates_to || !relates_to[0]) {
		set_err(e, "%s", "send_callback: not the response of an async function, or no address");
		return -EINVAL;
	}
	v.ns = ns;
	rc = es_action_uri(action, sizeof(action), resp->id, &v, true);
	if (rc < 0)
		return rc;
	saved = resp->wsa; /* the filled fields point into arena: restored before returning */
	if (!resp->wsa.action)
		resp->wsa.action = action;
	rc = fill_wsa(e, &resp->wsa, arena, sizeof(arena), reply_url, NULL, resp->wsa.action, relates_to, NULL);
	n = rc < 0 ? rc : es_msg_encode(buf, sizeof(buf), resp, &v);
	if (n < 0) {
		rc = n;
	} else if (!(p = talloc_zero(e, struct esnet_post))) {
		rc = -ENOMEM;
	} else {
		p->e = e;
		rc = http_post(e, p, reply_url, e->cfg.callback_tls, resp->wsa.action, buf, (size_t)n, post_done_cb, p,
			       &p->cli);
		if (rc < 0)
			talloc_free(p);
	}
	resp->wsa = saved;
	if (rc < 0)
		e->stats.tx_failures++;
	else
		e->stats.tx_callbacks++;
	return rc;
}

int esnet_in_fault(struct esnet_in *in, enum soap_fault_code code, const char *subcode, const char *reason)
{
	struct esnet *e = in->e;
	static uint8_t buf[8192];
	struct esnet_post *p;
	char arena[ESNET_WSA_ARENA];
	struct soap_wsa w = { 0 };
	struct soap_fault f = { .code = code, .subcode = subcode, .reason = reason };
	const char *action = SOAP_NS_WSA "/fault";
	int rc = 0, n;

	if (in->req) {
		rc = send_fault_http(e, in->req, &in->msg.wsa, code, subcode, reason);
		in->req = NULL;
		talloc_free(in);
		return rc;
	}
	if (in->mi->kind == ES_KIND_REQUEST && in->mi->async && in->reply_url[0]) {
		rc = fill_wsa(e, &w, arena, sizeof(arena), in->reply_url, NULL, action, in->msg.wsa.message_id, NULL);
		w.action = action;
		n = rc < 0 ? rc : soap_fault_encode(buf, sizeof(buf), &w, &f);
		if (n < 0) {
			rc = n;
		} else if (!(p = talloc_zero(e, struct esnet_post))) {
			rc = -ENOMEM;
		} else {
			p->e = e;
			rc = http_post(e, p, in->reply_url, e->cfg.callback_tls, action, buf, (size_t)n, post_done_cb,
				       p, &p->cli);
			if (rc < 0)
				talloc_free(p);
			else
				e->stats.tx_callbacks++;
		}
	}
	talloc_free(in);
	return rc;
}

void esnet_in_done(struct esnet_in *in)
{
	if (in->req)
		send_fault_http(in->e, in->req, &in->msg.wsa, SOAP_FAULT_RECEIVER, NULL, "request not answered");
	in->req = NULL;
	talloc_free(in);
}

static const struct esnet_handler *find_handler(const struct esnet *e, enum es_msg_id id)
{
	for (size_t i = 0; i < e->cfg.num_handlers; i++)
		if (e->cfg.handlers[i].id == id && e->cfg.handlers[i].cb)
			return &e->cfg.handlers[i];
	return NULL;
}

static void peer_cn_of(struct http_req *req, char *buf, size_t cap)
{
	struct tls_conn *tc = http_req_tls(req);
	X509 *cert = tc ? tls_conn_peer_cert(tc) : NULL;

	buf[0] = '\0';
	if (cert && X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, buf, (int)cap) < 0)
		buf[0] = '\0';
}

static struct esnet_call *call_by_message_id(struct esnet *e, const char *mid)
{
	struct esnet_call *c;

	llist_for_each_entry (c, &e->calls, entry)
		if (mid && !strcmp(c->message_id, mid))
			return c;
	return NULL;
}

static void call_finish(struct esnet_call *c, int rc, const struct es_msg *resp, const struct soap_findings *f);

/* A callback answering one of our async calls arrived. */
static void rx_callback(struct esnet *e, struct http_req *req, struct esnet_in *in)
{
	enum es_msg_id reqid = ES_MSG_NONE;
	enum es_corr_result r;
	struct esnet_call *c;

	e->stats.rx_callbacks++;
	if (in->msg.is_fault) {
		c = call_by_message_id(e, in->msg.wsa.relates_to);
		r = c ? ES_CORR_MATCHED : ES_CORR_UNKNOWN;
		if (c)
			es_corr_match(&e->corr, c->message_id, c->mi->id + 1, now_s(), &reqid);
	} else {
		r = es_corr_match(&e->corr, in->msg.wsa.relates_to, in->msg.id, now_s(), &reqid);
		c = call_by_message_id(e, in->msg.wsa.relates_to);
	}
	if (!c && !in->msg.is_fault && e->cfg.unmatched_cb &&
	    e->cfg.unmatched_cb(&in->msg, &in->findings, e->cfg.unmatched_priv) == 0) {
		/* nothing waits for it here, but the owner knows it (a call made before a restart) */
		e->stats.rx_unmatched_taken++;
		respond_raw(req, 202, NULL, NULL, 0);
		talloc_free(in);
		return;
	}
	if (r != ES_CORR_MATCHED || !c) {
		e->stats.rx_unmatched_callbacks++;
		snprintf(e->last_err, sizeof(e->last_err), "callback not matched: %s",
			 get_value_string(es_corr_result_names, r));
		send_fault_http(e, req, &in->msg.wsa, SOAP_FAULT_SENDER, NULL,
				r == ES_CORR_WRONG_MESSAGE ? "wrong response message for RelatesTo"
				: r == ES_CORR_LATE	   ? "response after the validity period"
							   : "unknown RelatesTo");
		if (c && r != ES_CORR_UNKNOWN)
			call_finish(c, -EBADMSG, NULL, &in->findings);
		talloc_free(in);
		return;
	}
	respond_raw(req, 202, NULL, NULL, 0);
	call_finish(c, 0, &in->msg, &in->findings);
	talloc_free(in);
}

static void rx_cb(struct http_req *req, void *priv)
{
	struct esnet *e = priv;
	const struct http_msg *m = http_req_msg(req);
	const char *ct = http_msg_header(m, "Content-Type");
	char ct_action[512];
	struct es_decode_opts opts = { .variant = &e->cfg.variant, .schema = e->cfg.schema, .limits = &e->cfg.limits };
	const struct esnet_handler *h;
	struct esnet_in *in;
	int rc;

	if (strcmp(m->method, "POST")) {
		struct http_header allow[] = { { "Allow", "POST" } };
		struct http_out o = { .status = 405, .hdr = allow, .num_hdr = 1 };

		e->stats.rx_malformed++;
		http_req_respond(req, &o);
		return;
	}
	in = talloc_zero(e, struct esnet_in);
	if (!in || !(in->arena = talloc_size(in, m->body_len + 64))) {
		talloc_free(in);
		respond_raw(req, 503, NULL, NULL, 0);
		return;
	}
	in->e = e;
	llist_add_tail(&in->entry, &e->ins);
	talloc_set_destructor(in, in_destructor);
	in->received = now_s();
	soap_findings_init(&in->findings);
	if (!ct || soap_content_type_parse(ct, strlen(ct), ct_action, sizeof(ct_action), &in->findings) < 0) {
		struct http_out o = { .status = 415 };

		e->stats.rx_malformed++;
		set_err(e, "Content-Type %s is not application/soap+xml", ct ? ct : "(none)");
		http_req_respond(req, &o);
		talloc_free(in);
		return;
	}
	rc = es_msg_decode(&in->msg, in->arena, m->body_len + 64, m->body, m->body_len, &opts, &in->findings);
	if (rc < 0) {
		e->stats.rx_malformed++;
		set_err(e, "undecodable SOAP message%s", "");
		send_fault_http(e, req, NULL, SOAP_FAULT_SENDER, NULL,
				rc == -EMSGSIZE ? "message too large"
				: rc == -ELOOP	? "message nested too deeply"
						: "not a SOAP 1.2 envelope with a known ES message");
		talloc_free(in);
		return;
	}
	if (ct_action[0] && in->msg.wsa.action && strcmp(ct_action, in->msg.wsa.action))
		soap_findings_add(&in->findings, "ESNET-001", NULL,
				  "Content-Type action \"%s\" differs from wsa:Action", ct_action);
	if (in->msg.is_fault) {
		/* A fault as a callback to one of our async calls (correlated by RelatesTo). */
		in->mi = NULL;
		if (call_by_message_id(e, in->msg.wsa.relates_to)) {
			static const struct es_msg_info fault_info = { .id = ES_MSG_NONE, .kind = ES_KIND_RESPONSE };
			in->mi = &fault_info;
			rx_callback(e, req, in);
			return;
		}
		e->stats.rx_unmatched_callbacks++;
		send_fault_http(e, req, &in->msg.wsa, SOAP_FAULT_SENDER, NULL, "unexpected fault");
		talloc_free(in);
		return;
	}
	in->mi = &es_msgs[in->msg.id];
	if (e->cfg.strict && soap_findings_errors(&in->findings)) {
		char reason[SOAP_FINDING_TEXT_MAX + SOAP_FINDING_PATH_MAX + 8];
		const struct soap_finding *f0 = NULL;

		for (unsigned int i = 0; i < in->findings.n && !f0; i++)
			if (!in->findings.f[i].info)
				f0 = &in->findings.f[i];
		snprintf(reason, sizeof(reason), "%s %s: %s", f0 ? f0->rule : "?", f0 ? f0->path : "",
			 f0 ? f0->text : "deviation");
		e->stats.rx_malformed++;
		send_fault_http(e, req, &in->msg.wsa, SOAP_FAULT_SENDER, NULL, reason);
		talloc_free(in);
		return;
	}
	if (in->mi->kind == ES_KIND_RESPONSE) {
		rx_callback(e, req, in);
		return;
	}
	h = find_handler(e, in->msg.id);
	if (!h) {
		e->stats.rx_unhandled++;
		set_err(e, "no handler for %s", in->mi->element);
		send_fault_http(e, req, &in->msg.wsa, SOAP_FAULT_SENDER, NULL,
				"function not provided by this endpoint");
		talloc_free(in);
		return;
	}
	peer_cn_of(req, in->peer_cn, sizeof(in->peer_cn));
	/* the raw envelope for handlers that check a signature over its bytes (ES1 EumSignature); the HTTP
	 * request may be gone once an async request has been acknowledged */
	if (!(in->body = talloc_memdup(in, m->body, m->body_len ? m->body_len : 1))) {
		respond_raw(req, 503, NULL, NULL, 0);
		talloc_free(in);
		return;
	}
	in->body_len = m->body_len;
	{
		struct soap_findings scratch;
		char arena[1024];
		struct rps_header rh;

		if (rps_header_from_wsa(&in->msg.wsa, arena, sizeof(arena), &rh, &scratch) == 0 && rh.sender_id)
			snprintf(in->sender_id, sizeof(in->sender_id), "%s", rh.sender_id);
	}
	reply_url_of(in);
	if (in->mi->kind == ES_KIND_REQUEST) {
		const char *fci = BASE_REQ(&in->msg)->function_call_identifier;

		e->stats.rx_requests++;
		if (fci && in->msg.wsa.from && es_fci_check(&e->fci, in->msg.wsa.from, fci, in->received) == 1) {
			in->retry = true;
			e->stats.rx_retries++;
		}
	} else {
		e->stats.rx_notifications++;
	}
	if (in->mi->kind == ES_KIND_REQUEST && !in->mi->async) {
		in->req = req;
		http_req_set_abort_cb(req, in_abort_cb, in);
	} else {
		respond_raw(req, 202, NULL, NULL, 0); /* digest §6.1: async receiver acknowledges with 202 */
	}
	h->cb(in, h->priv);
}

/* ---- calls -------------------------------------------------------------------------------------- */

static int call_destructor(struct esnet_call *c)
{
	osmo_timer_del(&c->t_cb);
	llist_del(&c->entry);
	if (c->cli) {
		/* the callback may have overtaken the HTTP answer to the request (both sockets ready in one
		 * select round): that answer must not reach this freed call */
		http_client_forget(c->cli);
		bury_client(c->e, c->cli);
		c->cli = NULL;
	}
	return 0;
}

static void call_finish(struct esnet_call *c, int rc, const struct es_msg *resp, const struct soap_findings *f)
{
	esnet_call_cb cb = c->cb;
	void *priv = c->priv;

	osmo_timer_del(&c->t_cb);
	if (rc == -ETIMEDOUT)
		c->e->stats.call_timeouts++;
	else if (rc < 0)
		c->e->stats.tx_failures++;
	/* the call stays allocated during the callback (resp strings may live elsewhere, not in c) */
	if (cb)
		cb(c, rc, resp, f, priv);
	talloc_free(c);
}

static void call_timeout_cb(void *data)
{
	struct esnet_call *c = data;
	enum es_msg_id reqid;

	es_corr_match(&c->e->corr, c->message_id, c->mi->id + 1, now_s(), &reqid); /* forget it */
	snprintf(c->e->last_err, sizeof(c->e->last_err), "%s: no callback in time", c->mi->name);
	call_finish(c, -ETIMEDOUT, NULL, NULL);
}

static void call_http_cb(struct http_client *cli, int rc, const struct http_msg *resp, void *priv)
{
	struct esnet_call *c = priv;
	struct esnet *e = c->e;
	struct es_decode_opts opts = { .variant = &c->variant, .schema = e->cfg.schema, .limits = &e->cfg.limits };
	struct soap_findings f;
	struct es_msg *msg = NULL;
	char *arena = NULL;
	enum es_msg_id reqid;

	c->cli = NULL;
	bury_client(e, cli);
	if (rc < 0) {
		snprintf(e->last_err, sizeof(e->last_err), "%s: HTTP failed: %d %s", c->mi->name, rc,
			 http_client_err_str(cli));
		call_finish(c, rc, NULL, NULL);
		return;
	}
	soap_findings_init(&f);
	if (resp->status == 202 || (resp->status == 200 && resp->body_len == 0)) {
		if (c->mi->kind == ES_KIND_NOTIFICATION) {
			call_finish(c, 0, NULL, &f);
			return;
		}
		if (c->mi->async) {
			c->waiting_callback = true;
			osmo_timer_setup(&c->t_cb, call_timeout_cb, c);
			{
				unsigned long ms = osmo_tdef_get(e->tdefs, ESNET_T_CALLBACK, OSMO_TDEF_MS, 300000);
				osmo_timer_schedule(&c->t_cb, ms / 1000, (ms % 1000) * 1000);
			}
			return;
		}
		snprintf(e->last_err, sizeof(e->last_err), "%s: sync function answered %u without a body", c->mi->name,
			 resp->status);
		call_finish(c, -EBADMSG, NULL, NULL);
		return;
	}
	if (!resp->body_len) {
		snprintf(e->last_err, sizeof(e->last_err), "%s: HTTP %u", c->mi->name, resp->status);
		call_finish(c, -EBADMSG, NULL, NULL);
		return;
	}
	msg = talloc_zero(c, struct es_msg);
	arena = talloc_size(c, resp->body_len + 64);
	if (!msg || !arena) {
		call_finish(c, -ENOMEM, NULL, NULL);
		return;
	}
	rc = es_msg_decode(msg, arena, resp->body_len + 64, resp->body, resp->body_len, &opts, &f);
	if (rc < 0) {
		snprintf(e->last_err, sizeof(e->last_err), "%s: undecodable reply (HTTP %u)", c->mi->name,
			 resp->status);
		call_finish(c, -EBADMSG, NULL, &f);
		return;
	}
	if (msg->is_fault) {
		es_corr_match(&e->corr, c->message_id, c->mi->id + 1, now_s(), &reqid);
		call_finish(c, 0, msg, &f);
		return;
	}
	if (resp->status != 200) {
		snprintf(e->last_err, sizeof(e->last_err), "%s: HTTP %u with a non-fault body", c->mi->name,
			 resp->status);
		call_finish(c, -EBADMSG, NULL, &f);
		return;
	}
	if (c->mi->async)
		soap_findings_add(&f, "ESNET-002", NULL, "%s answered synchronously (200) instead of 202 + callback",
				  c->mi->name);
	switch (es_corr_match(&e->corr, msg->wsa.relates_to, msg->id, now_s(), &reqid)) {
	case ES_CORR_MATCHED: call_finish(c, 0, msg, &f); return;
	case ES_CORR_NO_RELATES_TO:
		/* tolerant: a sync response on the same HTTP exchange can only answer this call */
		if (msg->id == c->mi->id + 1) {
			es_corr_match(&e->corr, c->message_id, msg->id, now_s(), &reqid);
			soap_findings_add(&f, "WSA-RELATES", NULL, "response without wsa:RelatesTo");
			call_finish(c, 0, msg, &f);
			return;
		}
		break;
	default: break;
	}
	es_corr_match(&e->corr, c->message_id, c->mi->id + 1, now_s(), &reqid);
	snprintf(e->last_err, sizeof(e->last_err), "%s: response does not match the request", c->mi->name);
	call_finish(c, -EBADMSG, NULL, &f);
}

int esnet_call(struct esnet *e, const struct esnet_peer *peer, struct es_msg *req, esnet_call_cb cb, void *priv,
	       struct esnet_call **out)
{
	static uint8_t buf[ESNET_MAX_OUT];
	const struct es_msg_info *mi;
	struct esnet_call *c;
	char action[512];
	const char *reply_to = NULL;
	int rc, n;

	if (out)
		*out = NULL;
	if (!e || !peer || !peer->url || !req || req->id < 0 || req->id >= ES_MSG__COUNT)
		return -EINVAL;
	mi = &es_msgs[req->id];
	if (mi->kind == ES_KIND_RESPONSE)
		return -EINVAL;
	c = talloc_zero(e, struct esnet_call);
	if (!c)
		return -ENOMEM;
	c->e = e;
	c->cb = cb;
	c->priv = priv;
	c->mi = mi;
	c->variant = peer->variant;
	osmo_timer_setup(&c->t_cb, call_timeout_cb, c);
	INIT_LLIST_HEAD(&c->entry);
	talloc_set_destructor(c, call_destructor);
	rc = es_action_uri(action, sizeof(action), req->id, &peer->variant, false);
	if (rc < 0)
		goto err;
	if (!req->wsa.action) {
		char *a = talloc_strdup(c, action);

		if (!a) {
			rc = -ENOMEM;
			goto err;
		}
		req->wsa.action = a;
	}
	if (mi->kind == ES_KIND_REQUEST && mi->async)
		reply_to = e->cfg.own_url;
	rc = fill_wsa(e, &req->wsa, c->arena, sizeof(c->arena), peer->url, peer->entity_id, req->wsa.action, NULL,
		      reply_to);
	if (rc < 0)
		goto err;
	if (mi->kind == ES_KIND_REQUEST) {
		if (!BASE_REQ(req)->function_call_identifier) {
			random_uuid(c->fci, sizeof(c->fci));
			BASE_REQ(req)->function_call_identifier = c->fci;
		}
	}
	if (strlen(req->wsa.message_id) >= sizeof(c->message_id)) {
		rc = -EMSGSIZE;
		goto err;
	}
	snprintf(c->message_id, sizeof(c->message_id), "%s", req->wsa.message_id);
	n = es_msg_encode(buf, sizeof(buf), req, &peer->variant);
	if (n < 0) {
		rc = n;
		goto err;
	}
	if (mi->kind == ES_KIND_REQUEST) {
		const struct es_int *vp = &BASE_REQ(req)->validity_period;

		rc = es_corr_add(&e->corr, c->message_id, req->id, now_s(),
				 vp->present && vp->v > 0 ? (uint64_t)vp->v : 0);
		if (rc < 0)
			goto err;
	}
	rc = http_post(e, c, peer->url, peer->tls, req->wsa.action, buf, (size_t)n, call_http_cb, c, &c->cli);
	if (rc < 0) {
		enum es_msg_id reqid;

		es_corr_match(&e->corr, c->message_id, req->id + 1, now_s(), &reqid);
		goto err;
	}
	llist_add_tail(&c->entry, &e->calls);
	e->stats.tx_requests++;
	if (out)
		*out = c;
	return 0;
err:
	e->stats.tx_failures++;
	talloc_free(c);
	return rc;
}

void esnet_call_cancel(struct esnet_call *call)
{
	enum es_msg_id reqid;

	if (!call)
		return;
	if (call->mi->kind == ES_KIND_REQUEST)
		es_corr_match(&call->e->corr, call->message_id, call->mi->id + 1, now_s(), &reqid);
	talloc_free(call);
}

const char *esnet_call_message_id(const struct esnet_call *call)
{
	return call->message_id;
}

/* ---- lifecycle ------------------------------------------------------------------------------ */

static int esnet_destructor(struct esnet *e)
{
	struct esnet_call *c, *c2;
	struct esnet_in *in, *in2;

	http_server_free(e->srv);
	e->srv = NULL;
	llist_for_each_entry_safe (c, c2, &e->calls, entry) {
		c->cb = NULL;
		talloc_free(c);
	}
	llist_for_each_entry_safe (in, in2, &e->ins, entry) {
		in->req = NULL;
		talloc_free(in);
	}
	osmo_timer_del(&e->t_gc);
	talloc_free(e->graveyard);
	e->graveyard = NULL;
	return 0;
}

struct esnet *esnet_alloc(void *ctx, const struct esnet_cfg *cfg)
{
	struct esnet *e = talloc_zero(ctx, struct esnet);

	if (!e)
		return NULL;
	e->cfg = *cfg;
	e->cfg.path = talloc_strdup(e, cfg->path ? cfg->path : "/");
	e->cfg.own_url = cfg->own_url ? talloc_strdup(e, cfg->own_url) : NULL;
	e->cfg.own_id = cfg->own_id ? talloc_strdup(e, cfg->own_id) : NULL;
	e->cfg.own_name = cfg->own_name ? talloc_strdup(e, cfg->own_name) : NULL;
	e->cfg.listen_addr = cfg->listen_addr ? talloc_strdup(e, cfg->listen_addr) : NULL;
	e->tdefs = cfg->tdefs ? cfg->tdefs : esnet_tdefs;
	INIT_LLIST_HEAD(&e->ins);
	INIT_LLIST_HEAD(&e->calls);
	es_fci_init(&e->fci);
	es_corr_init(&e->corr);
	e->graveyard = talloc_named_const(e, 0, "esnet graveyard");
	osmo_timer_setup(&e->t_gc, gc_cb, e);
	talloc_set_destructor(e, esnet_destructor);
	if (cfg->listen_addr) {
		struct http_server_cfg sc = {
			.addr = e->cfg.listen_addr,
			.port = cfg->listen_port,
			.tls = cfg->server_tls,
			.routes = &e->route,
			.num_routes = 1,
			.tdefs = e->tdefs,
		};

		e->route = (struct http_route){ .path = e->cfg.path, .prefix = true, .cb = rx_cb, .priv = e };
		sc.limits.max_body = cfg->limits.max_input ? cfg->limits.max_input : SOAP_MAX_INPUT_DEFAULT;
		e->srv = http_server_alloc(e, &sc);
		if (!e->srv) {
			int err = errno;

			talloc_free(e);
			errno = err;
			return NULL;
		}
	}
	return e;
}

void esnet_free(struct esnet *e)
{
	talloc_free(e);
}

uint16_t esnet_port(const struct esnet *e)
{
	return e->srv ? http_server_port(e->srv) : 0;
}

int esnet_set_own_url(struct esnet *e, const char *url)
{
	char *u = talloc_strdup(e, url);

	if (!u)
		return -ENOMEM;
	talloc_free((char *)e->cfg.own_url);
	e->cfg.own_url = u;
	return 0;
}

const struct esnet_stats *esnet_stats(const struct esnet *e)
{
	return &e->stats;
}

const char *esnet_last_error(const struct esnet *e)
{
	return e->last_err;
}

unsigned int esnet_num_pending_in(const struct esnet *e)
{
	return llist_count(&e->ins);
}

unsigned int esnet_num_pending_calls(const struct esnet *e)
{
	return llist_count(&e->calls);
}
