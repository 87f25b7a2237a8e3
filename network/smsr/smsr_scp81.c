/* ES5 over HTTPS: push, PSK-TLS admin server, RAM over HTTP sessions (see smsr_scp81.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <osmocom/core/linuxlist.h>
#include <osmocom/core/timer.h>
#include <osmocom/core/utils.h>
#include <talloc.h>

#include "lib/http/http.h"
#include "lib/es5/es5.h"
#include "lib/ids/ids.h"
#include "lib/rscript/rscript.h"
#include "lib/tls/tls.h"
#include "network/smsr/smsr_log.h"
#include "network/smsr/smsr_ctr.h"
#include "network/smsr/smsr_scp81.h"

struct osmo_tdef smsr_scp81_tdefs[] = { { .T = SMSR_T_SCP81_PUSH,
					  .default_val = 60,
					  .unit = OSMO_TDEF_S,
					  .min_val = 1,
					  .max_val = 86400,
					  .desc = "SCP81: push -> first POST" },
					{ .T = SMSR_T_SCP81_RESPONSE,
					  .default_val = 60,
					  .unit = OSMO_TDEF_S,
					  .min_val = 1,
					  .max_val = 86400,
					  .desc = "SCP81: script out -> its response POST" },
					{ .T = SMSR_T_SCP81_HOLD,
					  .default_val = 60,
					  .unit = OSMO_TDEF_S,
					  .min_val = 1,
					  .max_val = 86400,
					  .desc = "SCP81: held POST waiting for the next script (MoreToDo)" },
					{} };

/* lib/http timers for the admin server: X2 covers a held POST (X52) */
static struct osmo_tdef admin_http_tdefs[] = {
	{ .T = HTTP_T_IDLE, .default_val = 120, .val = 120, .unit = OSMO_TDEF_S, .desc = "idle" },
	{ .T = HTTP_T_REQUEST, .default_val = 300, .val = 300, .unit = OSMO_TDEF_S, .desc = "request" },
	{ .T = HTTP_T_RESPONSE, .default_val = 30, .val = 30, .unit = OSMO_TDEF_S, .desc = "response" },
	{}
};

#define DEFAULT_URI   "/gsma/adminagent"
#define SCRIPT_MAX    65536 /* one relayed script */
#define SCRIPT_ITEMS  256
#define CHUNK_SIZE    1024
#define MAX_EXCHANGES 1024 /* POSTs per session */

static const uint8_t isdr_aid[16] = { 0xA0, 0x00, 0x00, 0x05, 0x59, 0x10, 0x10, 0xFF,
				      0xFF, 0xFF, 0xFF, 0x89, 0x00, 0x00, 0x01, 0x00 };

enum sess_state {
	SS_PUSHED,     /* push sent, waiting for the first POST (X50) */
	SS_SCRIPT_OUT, /* 200 with a script sent, waiting for the POST with its response (X51) */
	SS_HOLD,       /* the card's POST is held until the next script (X52) */
};

struct script {
	bool valid;
	uint32_t op;
	uint8_t aid[16];
	size_t aid_len;
	uint8_t *body; /* AE 80 ... 00 00 */
	size_t len;
	bool more;
};

struct sess {
	struct llist_head entry;
	struct smsr_scp81 *s;
	char eid[SMSR_EID_HEX_MAX];
	uint32_t id;
	enum sess_state state;
	unsigned int pushes, exchanges;
	uint32_t push_tag;
	bool posted; /* the card has POSTed at least once */
	struct script queued;
	struct script confirm; /* the 3A08 of a notification the card POSTed: goes before queued */
	struct script out;     /* the script whose response is awaited (op 0: a 3A08) */
	struct http_req *held;
	uint64_t conn_id; /* lib/http id of the connection of the card's last accepted POST, 0 = none */
	char next_uri[160];
	struct osmo_timer_list timer;
};

struct smsr_scp81 {
	struct smsr_store *store;
	struct smsr_scp81_cfg cfg;
	char *listen_addr, *push_addr, *admin_host, *admin_uri;
	struct smsr_scp81_push_ops push;
	void *tp;
	struct smsr_scp81_up up;
	struct osmo_tdef *tdefs;
	struct tls_ctx *tls;
	struct http_server *srv;
	struct http_route route;
	struct llist_head sessions;
	uint32_t next_id;
	struct smsr_scp81_stats stats;
};

/* ---- PSK lookup ------------------------------------------------------------------------------------ */

/* The EID (hex) and KVN (-1 = highest) an identity names. */
static int identity_eid(const struct smsr_scp81 *s, const char *identity, char *eid, size_t cap, int *kvn)
{
	struct ramhttp_psk_id id;

	if (ramhttp_psk_id_parse(&id, s->cfg.psk_id, identity, strlen(identity)) < 0)
		return -EBADMSG;
	if (s->cfg.psk_id == RAMHTTP_PSK_ID_TLV_HEX_V4) {
		*kvn = id.kvn;
		return smsr_eid_to_hex(id.eid, sizeof(id.eid), eid, cap) < 0 ? -EINVAL : 0;
	}
	/* OPAQUE: the EID's 32 hex digits (the eUICC simulator's opaque form, sims/euicc README) */
	*kvn = -1;
	if (id.opaque_len != 32 || cap < 33)
		return -EBADMSG;
	for (size_t i = 0; i < 32; i++) {
		char c = id.opaque[i];

		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')))
			return -EBADMSG;
		eid[i] = (char)(c >= 'a' ? c - 32 : c);
	}
	eid[32] = 0;
	return 0;
}

static size_t psk_lookup(void *priv, const char *identity, uint8_t *psk, size_t psk_max)
{
	struct smsr_scp81 *s = priv;
	struct smsr_keyset_row k;
	char eid[SMSR_EID_HEX_MAX];
	size_t n = 0;
	int kvn;

	if (identity_eid(s, identity, eid, sizeof(eid), &kvn) < 0 ||
	    smsr_store_keyset_get(s->store, eid, SMSR_KEYSET_SCP81, kvn, &k) < 0 || k.kind != SMSR_KEYSET_SCP81 ||
	    k.psk_len < 16 || k.psk_len > psk_max) {
		s->stats.psk_unknown++;
		smsr_ctr_inc(SMSR_CTRG_SCP81, SMSR_CTR_SCP81_PSK_UNKNOWN);
		LOGP(DTLS, LOGL_NOTICE, "SCP81: PSK identity unknown (%zu chars)\n", strlen(identity));
		explicit_bzero(&k, sizeof(k));
		return 0;
	}
	memcpy(psk, k.psk, k.psk_len);
	n = k.psk_len;
	explicit_bzero(&k, sizeof(k));
	return n;
}

/* ---- sessions ----------------------------------------------------------------------------------------- */

static struct sess *sess_find(struct smsr_scp81 *s, const char *eid)
{
	struct sess *x;

	llist_for_each_entry (x, &s->sessions, entry)
		if (!strcasecmp(x->eid, eid))
			return x;
	return NULL;
}

static void sess_timer(struct sess *x, int T)
{
	osmo_timer_schedule(&x->timer, (int)osmo_tdef_get(x->s->tdefs, T, OSMO_TDEF_S, 60), 0);
}

static void script_clear(struct script *sc)
{
	talloc_free(sc->body);
	memset(sc, 0, sizeof(*sc));
}

static void abort_cb(struct http_req *req, void *priv);
static void timer_cb(void *data);

/* Remove the session; report rc for every exchange it still owed (the upcalls come last). */
static void sess_end(struct sess *x, int rc)
{
	struct smsr_scp81 *s = x->s;
	uint32_t ops[2] = { x->out.valid ? x->out.op : 0, x->queued.valid ? x->queued.op : 0 };

	osmo_timer_del(&x->timer);
	if (x->held) {
		struct http_req *r = x->held;

		x->held = NULL;
		http_req_set_abort_cb(r, NULL, NULL);
		http_req_respond(r, &(struct http_out){ .status = 204, .close = true });
	}
	if (rc < 0) {
		s->stats.sessions_failed++;
		smsr_ctr_inc(SMSR_CTRG_SCP81, SMSR_CTR_SCP81_SESSION_FAILED);
	} else {
		s->stats.sessions_ok++;
		smsr_ctr_inc(SMSR_CTRG_SCP81, SMSR_CTR_SCP81_SESSION_OK);
	}
	LOGP(DHTTP, LOGL_INFO, "EID-%s: SCP81 session %" PRIu32 " ends (%d)\n", x->eid, x->id, rc);
	llist_del(&x->entry);
	script_clear(&x->out);
	script_clear(&x->queued);
	script_clear(&x->confirm);
	talloc_free(x);
	for (int i = 0; i < 2; i++)
		if (ops[i] && s->up.result)
			s->up.result(s->up.priv, ops[i], rc < 0 ? rc : -ECONNRESET, NULL, 0);
}

/* A new session for eid (known to the store), in state st. NULL: unknown EID or no memory. */
static struct sess *sess_new(struct smsr_scp81 *s, const char *eid, enum sess_state st)
{
	struct smsr_eis_row row;
	struct sess *x;

	if (smsr_store_eis_get(s->store, eid, &row) < 0)
		return NULL;
	x = talloc_zero(s, struct sess);
	if (!x)
		return NULL;
	x->s = s;
	snprintf(x->eid, sizeof(x->eid), "%s", eid);
	x->id = ++s->next_id;
	x->state = st;
	osmo_timer_setup(&x->timer, timer_cb, x);
	llist_add_tail(&x->entry, &s->sessions);
	return x;
}

static int push_send(struct sess *x)
{
	struct smsr_scp81 *s = x->s;
	uint8_t trig[512];
	int n = smsr_scp81_trigger_build(s, x->eid, trig, sizeof(trig));

	if (n < 0)
		return n;
	if (!s->push.send)
		return -ENOTCONN;
	x->pushes++;
	x->push_tag = 0x40000000u | (++s->next_id & 0x3FFFFFFFu);
	s->stats.pushes++;
	smsr_ctr_inc(SMSR_CTRG_SCP81, SMSR_CTR_SCP81_PUSH);
	LOGP(DHTTP, LOGL_INFO, "EID-%s: SCP81 push %u (%d octets)\n", x->eid, x->pushes, n);
	sess_timer(x, SMSR_T_SCP81_PUSH);
	return s->push.send(s->tp, x->eid, x->push_tag, trig, (size_t)n);
}

/* Answer the held POST with the queued script. */
static void sess_send_queued(struct sess *x)
{
	struct smsr_scp81 *s = x->s;
	struct http_header h[4];
	char target[64];
	size_t nh = 0;
	struct http_req *r = x->held;

	x->held = NULL;
	http_req_set_abort_cb(r, NULL, NULL);
	if (x->confirm.valid) {
		x->out = x->confirm;
		memset(&x->confirm, 0, sizeof(x->confirm));
	} else {
		x->out = x->queued;
		memset(&x->queued, 0, sizeof(x->queued));
	}
	snprintf(x->next_uri, sizeof(x->next_uri), "%s/%" PRIu32 "/%u", s->admin_uri, x->id, x->exchanges + 1);
	/* digest §5.2 step 2 */
	h[nh++] = (struct http_header){ "Content-Type", RAMHTTP_CT_GP_COMMAND };
	h[nh++] = (struct http_header){ RAMHTTP_HDR_NEXT_URI, x->next_uri };
	if (!(x->out.aid_len == sizeof(isdr_aid) && !memcmp(x->out.aid, isdr_aid, sizeof(isdr_aid))) &&
	    ramhttp_targeted_app_format(target, sizeof(target), x->out.aid, x->out.aid_len) > 0)
		h[nh++] = (struct http_header){ RAMHTTP_HDR_TARGETED_APP, target };
	x->state = SS_SCRIPT_OUT;
	s->stats.scripts++;
	sess_timer(x, SMSR_T_SCP81_RESPONSE);
	LOGP(DHTTP, LOGL_INFO, "EID-%s: script of %zu octets out%s%s\n", x->eid, x->out.len, nh > 2 ? " to " : "",
	     nh > 2 ? target : "");
	http_req_respond(r, &(struct http_out){ .status = 200,
						.hdr = h,
						.num_hdr = nh,
						.body = x->out.body,
						.body_len = x->out.len,
						.chunked = true,
						.chunk_size = CHUNK_SIZE });
}

static void timer_cb(void *data)
{
	struct sess *x = data;

	switch (x->state) {
	case SS_PUSHED:
		if (x->pushes < x->s->cfg.max_pushes && push_send(x) == 0)
			return;
		LOGP(DHTTP, LOGL_NOTICE, "EID-%s: no admin session after %u push(es)\n", x->eid, x->pushes);
		sess_end(x, -ETIMEDOUT);
		return;
	case SS_SCRIPT_OUT:
		LOGP(DHTTP, LOGL_NOTICE, "EID-%s: no response POST in time\n", x->eid);
		sess_end(x, -ETIMEDOUT);
		return;
	case SS_HOLD:
		/* no next script: 204 closes the session (digest §5.2 step 4) */
		sess_end(x, 0);
		return;
	}
}

static void abort_cb(struct http_req *req, void *priv)
{
	struct sess *x = priv;

	x->held = NULL;
	LOGP(DHTTP, LOGL_NOTICE, "EID-%s: the card's connection went away\n", x->eid);
	sess_end(x, -ECONNRESET);
}

/* lib/http: a connection of the admin server closed. GP Amd B: the HTTP session is bound to its TLS
 * connection, so the card closing it (the BIP channel dropped) ends the administration session: the
 * exchange in flight fails now (-ECONNRESET, as X51's -ETIMEDOUT would later). A held POST was ended
 * by its abort callback already. Our own close after an answer (a 4xx, Connection: close) leaves the
 * session to its timer as before; on shutdown the sessions are gone already. */
static void conn_close_cb(struct http_server *srv, uint64_t conn_id, void *conn_data, enum http_conn_end why,
			  void *priv)
{
	struct smsr_scp81 *s = priv;
	struct sess *x;

	if (why == HTTP_CONN_END_DONE || why == HTTP_CONN_END_SHUTDOWN)
		return;
	llist_for_each_entry (x, &s->sessions, entry) {
		if (x->conn_id != conn_id)
			continue;
		s->stats.conn_closed++;
		if (why == HTTP_CONN_END_PEER)
			LOGP(DHTTP, LOGL_NOTICE, "EID-%s: connection closed by the card\n", x->eid);
		else
			LOGP(DHTTP, LOGL_NOTICE, "EID-%s: connection closed (%s)\n", x->eid,
			     get_value_string(http_conn_end_names, why));
		sess_end(x, -ECONNRESET);
		return;
	}
}

/* ---- the admin server -------------------------------------------------------------------------------- */

static void respond_status(struct http_req *req, unsigned int status)
{
	http_req_respond(req, &(struct http_out){ .status = status, .close = status >= 400 });
}

/* Hand the card's notification up; if it is to be confirmed, the session (x, or a new one) gets the 3A08
 * as its next script (digest §4.5: confirmed in the session it came in). Returns the session, NULL when
 * there is none and nothing to confirm. */
static struct sess *notif_confirm(struct smsr_scp81 *s, struct sess *x, const char *eid, const uint8_t *e1, size_t len,
				  enum ramhttp_notif_carriage how)
{
	struct script sc = { .valid = true, .op = 0, .aid_len = sizeof(isdr_aid) };
	struct rscript_builder b;
	uint8_t apdu[16], body[32];
	uint16_t seq = 0;
	int rc, n;

	s->stats.notifs++;
	rc = s->up.notification ? s->up.notification(s->up.priv, eid, e1, len, &seq) : -ENOTSUP;
	n = rc < 0 ? rc : es5_notification_confirm_build(apdu, sizeof(apdu), seq);
	if (n > 0) {
		rscript_cmd_begin(&b, body, sizeof(body), RSCRIPT_INDEFINITE);
		rscript_cmd_add(&b, RSCRIPT_CMD_CAPDU, apdu, (size_t)n);
		n = rscript_cmd_finish(&b);
	}
	if (n <= 0) {
		s->stats.notifs_dropped++;
		LOGP(DHTTP, LOGL_NOTICE, "EID-%s: notification in the admin session not confirmed (%d)\n", eid, n);
		return x;
	}
	if (!x && !(x = sess_new(s, eid, SS_HOLD)))
		return NULL;
	memcpy(sc.aid, isdr_aid, sizeof(isdr_aid));
	sc.body = talloc_memdup(x, body, (size_t)n);
	sc.len = (size_t)n;
	if (!sc.body)
		return x;
	script_clear(&x->confirm);
	x->confirm = sc;
	/* tolerant but reporting: which reading of the carriage the card used (lib/ramhttp variants) */
	LOGP(DHTTP, LOGL_INFO, "EID-%s: notification seq %u in the admin session (carriage %s): 3A08 next\n", eid, seq,
	     get_value_string(ramhttp_notif_carriage_names, how));
	return x;
}

static void handler(struct http_req *req, void *priv)
{
	struct smsr_scp81 *s = priv;
	const struct http_msg *m = http_req_msg(req);
	struct tls_conn *tc = http_req_tls(req);
	const char *proto = http_msg_header(m, RAMHTTP_HDR_PROTOCOL), *from = http_msg_header(m, RAMHTTP_HDR_FROM);
	const char *status = http_msg_header(m, RAMHTTP_HDR_SCRIPT_STATUS);
	struct ramhttp_from f;
	struct ramhttp_protocol pv;
	char eid[SMSR_EID_HEX_MAX];
	struct sess *x;
	int kvn;

	s->stats.posts++;
	/* the identity the handshake accepted says who this is; X-Admin-From must agree */
	if (!tc || identity_eid(s, tls_conn_psk_identity(tc), eid, sizeof(eid), &kvn) < 0 ||
	    strcmp(m->method, "POST") || !proto || ramhttp_protocol_parse(&pv, proto, strlen(proto)) < 0 ||
	    pv.major != 1 || !from || ramhttp_from_parse(&f, from, strlen(from)) < 0 || f.se_id_len != 32 ||
	    strncasecmp(f.se_id, eid, 32)) {
		s->stats.bad_posts++;
		LOGP(DHTTP, LOGL_NOTICE, "SCP81: POST refused (identity, method, X-Admin-Protocol or X-Admin-From)\n");
		respond_status(req, 400);
		return;
	}
	x = sess_find(s, eid);
	if (!x || x->state == SS_PUSHED || (x->state == SS_HOLD && !x->held)) {
		/* a first POST: it may carry a notification (a session the card opened itself) */
		uint8_t e1[RAMHTTP_NOTIF_MAX];
		enum ramhttp_notif_carriage how;
		int nl = ramhttp_notif_from_post(e1, sizeof(e1), m->url, strlen(m->url), m->body, m->body_len, &how);

		if (nl < 0) {
			s->stats.bad_posts++;
			LOGP(DHTTP, LOGL_NOTICE, "EID-%s: malformed notification in the first POST (%d)\n", eid, nl);
			respond_status(req, 400);
			return;
		}
		if (nl > 0)
			x = notif_confirm(s, x, eid, e1, (size_t)nl, how);
	}
	if (!x) {
		/* nothing to do for this card (a late or retried session): end it */
		LOGP(DHTTP, LOGL_INFO, "EID-%s: POST without a session: 204\n", eid);
		respond_status(req, 204);
		return;
	}
	if (++x->exchanges > MAX_EXCHANGES) {
		respond_status(req, 400);
		sess_end(x, -EPROTO);
		return;
	}
	if (x->state == SS_PUSHED || (x->state == SS_HOLD && !x->held)) {
		/* the first POST (empty body) at the admin URI */
		if (strncmp(m->url, s->admin_uri, strlen(s->admin_uri))) {
			s->stats.bad_posts++;
			respond_status(req, 404);
			return;
		}
		x->conn_id = http_req_conn_id(req);
		if (!x->posted) {
			s->stats.sessions++;
			smsr_ctr_inc(SMSR_CTRG_SCP81, SMSR_CTR_SCP81_SESSION_OPENED);
		}
		x->posted = true;
	} else if (x->state == SS_SCRIPT_OUT) {
		enum ramhttp_script_status st = RAMHTTP_SCRIPT_OK;
		struct script done = x->out;
		int rc = 0;

		if (strcmp(m->url, x->next_uri)) {
			s->stats.bad_posts++;
			LOGP(DHTTP, LOGL_NOTICE, "EID-%s: POST to %s, expected %s\n", eid, m->url, x->next_uri);
			respond_status(req, 404);
			return;
		}
		/* digest §5.2 step 3 */
		if (status && ramhttp_script_status_parse(&st, status, strlen(status)) < 0)
			st = RAMHTTP_SCRIPT_FORMAT_ERROR;
		if (st != RAMHTTP_SCRIPT_OK) {
			LOGP(DHTTP, LOGL_NOTICE, "EID-%s: X-Admin-Script-Status %s\n", eid, status);
			rc = -EPROTO;
		}
		s->stats.responses++;
		x->conn_id = http_req_conn_id(req);
		memset(&x->out, 0, sizeof(x->out));
		x->state = SS_HOLD;
		x->held = req;
		http_req_set_abort_cb(req, abort_cb, x);
		osmo_timer_del(&x->timer);
		/* after a notification's 3A08 (op 0, nobody to tell) the session goes on if a script waits */
		if ((done.op ? !done.more : !x->queued.valid) || rc < 0) {
			/* the last script: 204 without a next URI closes the session (before the upcall, which
			 * may start the next exchange in a new session) */
			x->held = NULL;
			http_req_set_abort_cb(req, NULL, NULL);
			llist_del(&x->entry);
			INIT_LLIST_HEAD(&x->entry);
			{
				uint32_t op2 = x->queued.valid ? x->queued.op : 0;

				script_clear(&x->queued);
				s->stats.sessions_ok++;
				smsr_ctr_inc(SMSR_CTRG_SCP81, SMSR_CTR_SCP81_SESSION_OK);
				talloc_steal(s, done.body);
				talloc_free(x);
				x = NULL;
				if (s->up.result && done.op)
					s->up.result(s->up.priv, done.op, rc, rc < 0 ? NULL : m->body,
						     rc < 0 ? 0 : m->body_len);
				if (op2 && s->up.result)
					s->up.result(s->up.priv, op2, -ECONNRESET, NULL, 0);
			}
			talloc_free(done.body);
			respond_status(req, 204);
			return;
		}
		sess_timer(x, SMSR_T_SCP81_HOLD);
		if (s->up.result && done.op)
			s->up.result(s->up.priv, done.op, 0, m->body, m->body_len);
		talloc_free(done.body);
		/* the upcall may have queued the next script already (sent below) or ended the session */
		x = sess_find(s, eid);
		if (!x || x->held != req)
			return;
		if (x->confirm.valid || x->queued.valid)
			sess_send_queued(x);
		return;
	} else {
		s->stats.bad_posts++;
		respond_status(req, 409); /* a second POST while one is held */
		return;
	}
	x->state = SS_HOLD;
	x->held = req;
	http_req_set_abort_cb(req, abort_cb, x);
	if (x->confirm.valid || x->queued.valid) {
		sess_send_queued(x);
	} else {
		sess_timer(x, SMSR_T_SCP81_HOLD);
	}
}

/* ---- the API -------------------------------------------------------------------------------------------- */

int smsr_scp81_trigger_build(struct smsr_scp81 *s, const char *eid, uint8_t *out, size_t cap)
{
	struct scp81_trigger t = { .has_session = true };
	struct smsr_keyset_row k;
	uint8_t dest[5] = { 0x21 }; /* TS 102 223 §8.58: IPv4 */
	struct in_addr ia;
	int rc;

	if (inet_pton(AF_INET, s->push_addr, &ia) != 1)
		return -EINVAL;
	memcpy(dest + 1, &ia, 4);
	/* GP Amd B §3.8.1: the OPEN CHANNEL objects (digest §5.2) */
	t.has_connection = true;
	t.connection.has_bearer = true;
	t.connection.bearer_type = CAT_BEARER_DEFAULT;
	t.connection.has_buffer_size = true;
	t.connection.buffer_size = s->cfg.buffer_size ? s->cfg.buffer_size : 1400;
	t.connection.has_transport = true;
	t.connection.transport = CAT_TRANSPORT_TCP_CLIENT_REMOTE;
	t.connection.port = s->cfg.push_port ? s->cfg.push_port : smsr_scp81_port(s);
	t.connection.dest_addr = (struct cat_bytes){ dest, sizeof(dest) };
	/* §3.8.2: the key set to use; an empty identity lets the card build its own */
	rc = smsr_store_keyset_get(s->store, eid, SMSR_KEYSET_SCP81, -1, &k);
	if (rc == 0) {
		t.has_security = true;
		t.psk_id = (struct cat_bytes){ (const uint8_t *)"", 0 };
		t.kvn = k.kvn;
		t.kid = 1;
	}
	explicit_bzero(&k, sizeof(k));
	if (s->cfg.retry_counter) {
		t.has_retry = true;
		t.retry_counter = s->cfg.retry_counter;
		if (scp81_retry_delay_set(&t, s->cfg.retry_coding, s->cfg.retry_delay_s) < 0)
			return -EINVAL;
	}
	t.has_http_post = true;
	t.admin_host = (struct cat_bytes){ (const uint8_t *)s->admin_host, strlen(s->admin_host) };
	t.admin_uri = (struct cat_bytes){ (const uint8_t *)s->admin_uri, strlen(s->admin_uri) };
	return scp81_trigger_encode(out, cap, &t);
}

/* The script in the indefinite form RAM over HTTP carries (digest §4.3: AE 80 ... 00 00). */
static int script_indefinite(void *ctx, const uint8_t *in, size_t len, uint8_t **out, size_t *out_len)
{
	struct rscript_cmd_item *items = talloc_array(ctx, struct rscript_cmd_item, SCRIPT_ITEMS);
	struct rscript_builder b;
	uint8_t *buf = talloc_size(ctx, len + 16);
	size_t n = 0;
	int rc;

	if (!items || !buf) {
		talloc_free(items);
		talloc_free(buf);
		return -ENOMEM;
	}
	rc = rscript_cmd_decode(in, len, items, SCRIPT_ITEMS, &n);
	if (rc < 0 || (size_t)rc != len || n > SCRIPT_ITEMS) {
		talloc_free(items);
		talloc_free(buf);
		return rc < 0 ? rc : -EBADMSG;
	}
	rscript_cmd_begin(&b, buf, len + 16, RSCRIPT_INDEFINITE);
	for (size_t i = 0; i < n; i++)
		rscript_cmd_add(&b, items[i].kind, items[i].value, items[i].len);
	rc = rscript_cmd_finish(&b);
	talloc_free(items);
	if (rc < 0) {
		talloc_free(buf);
		return rc;
	}
	*out = buf;
	*out_len = (size_t)rc;
	return 0;
}

int smsr_scp81_send(void *scp81, const char *eid, uint32_t op, const uint8_t *aid, size_t aid_len,
		    const uint8_t *script, size_t len, bool more)
{
	struct smsr_scp81 *s = scp81;
	struct sess *x;
	struct script sc = { .valid = true, .op = op, .more = more };
	int rc;

	if (!s || !eid || !aid || aid_len < 5 || aid_len > sizeof(sc.aid) || !script || !len || len > SCRIPT_MAX)
		return -EINVAL;
	x = sess_find(s, eid);
	/* while a notification's 3A08 is out, the script waits behind it in the same session */
	if (x && (x->queued.valid || (x->state == SS_SCRIPT_OUT && x->out.op)))
		return -EBUSY;
	memcpy(sc.aid, aid, aid_len);
	sc.aid_len = aid_len;
	rc = script_indefinite(s, script, len, &sc.body, &sc.len);
	if (rc < 0)
		return rc;
	if (!x) {
		x = sess_new(s, eid, SS_PUSHED);
		if (!x) {
			talloc_free(sc.body);
			return -ENOENT;
		}
		talloc_steal(x, sc.body);
		x->queued = sc;
		rc = push_send(x);
		if (rc < 0) {
			s->stats.push_failures++;
			LOGP(DHTTP, LOGL_NOTICE, "EID-%s: push not sent (%d)\n", eid, rc);
			x->queued.valid = false; /* not reported: the caller sees rc */
			sess_end(x, rc);
		}
		return rc;
	}
	talloc_steal(x, sc.body);
	x->queued = sc;
	if (x->state == SS_HOLD && x->held)
		sess_send_queued(x);
	return 0;
}

void smsr_scp81_push_result(struct smsr_scp81 *s, uint32_t tag, int rc)
{
	struct sess *x;

	if (rc >= 0)
		return;
	llist_for_each_entry (x, &s->sessions, entry) {
		if (x->push_tag != tag || x->posted)
			continue;
		s->stats.push_failures++;
		LOGP(DHTTP, LOGL_NOTICE, "EID-%s: push failed (%d)\n", x->eid, rc);
		if (x->pushes < s->cfg.max_pushes && push_send(x) == 0)
			return;
		sess_end(x, rc);
		return;
	}
}

static int scp81_destructor(struct smsr_scp81 *s)
{
	struct sess *x, *x2;

	llist_for_each_entry_safe (x, x2, &s->sessions, entry) {
		osmo_timer_del(&x->timer);
		if (x->held)
			http_req_set_abort_cb(x->held, NULL, NULL);
		llist_del(&x->entry);
	}
	http_server_free(s->srv);
	s->srv = NULL;
	return 0;
}

struct smsr_scp81 *smsr_scp81_alloc(void *ctx, struct smsr_store *store, const struct smsr_scp81_cfg *cfg,
				    const struct smsr_scp81_push_ops *push, void *tp, const struct smsr_scp81_up *up)
{
	struct smsr_scp81 *s = talloc_zero(ctx, struct smsr_scp81);
	struct tls_cfg tc = { .role = TLS_ROLE_SERVER, .max_version = TLS1_2_VERSION };
	char err[160];

	if (!s)
		return NULL;
	s->store = store;
	s->cfg = *cfg;
	INIT_LLIST_HEAD(&s->sessions);
	s->listen_addr = talloc_strdup(s, cfg->listen_addr ? cfg->listen_addr : "127.0.0.1");
	s->push_addr = talloc_strdup(s, cfg->push_addr ? cfg->push_addr : s->listen_addr);
	s->admin_host = talloc_strdup(s, cfg->admin_host ? cfg->admin_host : s->push_addr);
	s->admin_uri = talloc_strdup(s, cfg->admin_uri ? cfg->admin_uri : DEFAULT_URI);
	if (!s->cfg.max_pushes)
		s->cfg.max_pushes = 2;
	s->tdefs = cfg->tdefs ? cfg->tdefs : smsr_scp81_tdefs;
	if (push)
		s->push = *push;
	s->tp = tp;
	if (up)
		s->up = *up;
	/* GP Amd B / digest §5.2: TLS 1.2 PSK, TLS_CIPHERS_SCP81 */
	tc.psk_lookup = psk_lookup;
	tc.psk_priv = s;
	tc.keylog_file = cfg->tls_keylog;
	s->tls = tls_ctx_alloc(s, &tc, err, sizeof(err));
	if (!s->tls) {
		LOGP(DTLS, LOGL_ERROR, "SCP81: TLS context: %s\n", err);
		talloc_free(s);
		return NULL;
	}
	s->route = (struct http_route){ .path = s->admin_uri, .prefix = true, .cb = handler, .priv = s };
	s->srv = http_server_alloc(s, &(struct http_server_cfg){ .addr = s->listen_addr,
								 .port = cfg->port,
								 .tls = s->tls,
								 .routes = &s->route,
								 .num_routes = 1,
								 .limits = { .max_body = SCRIPT_MAX },
								 .on_conn_close = conn_close_cb,
								 .priv = s,
								 .tdefs = cfg->http_tdefs ? cfg->http_tdefs
											  : admin_http_tdefs });
	if (!s->srv) {
		LOGP(DHTTP, LOGL_ERROR, "SCP81: cannot listen on %s:%u\n", s->listen_addr, cfg->port);
		talloc_free(s);
		return NULL;
	}
	talloc_set_destructor(s, scp81_destructor);
	LOGP(DHTTP, LOGL_INFO, "SCP81 admin server on %s:%u%s\n", s->listen_addr, http_server_port(s->srv),
	     s->admin_uri);
	return s;
}

void smsr_scp81_free(struct smsr_scp81 *s)
{
	talloc_free(s);
}

void smsr_scp81_set_push(struct smsr_scp81 *s, const struct smsr_scp81_push_ops *push, void *tp)
{
	s->push = *push;
	s->tp = tp;
}

uint16_t smsr_scp81_port(const struct smsr_scp81 *s)
{
	return s->srv ? http_server_port(s->srv) : 0;
}

const struct smsr_scp81_stats *smsr_scp81_stats(const struct smsr_scp81 *s)
{
	return &s->stats;
}

unsigned int smsr_scp81_num_sessions(const struct smsr_scp81 *s)
{
	return llist_count(&s->sessions);
}
