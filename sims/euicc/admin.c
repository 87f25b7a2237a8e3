/* sims/euicc: the SCP81 admin session inside the card (GP Amd B RAM over HTTP; digest §5.2, §5.3):
 *
 *   push (SCP80-verified `81` trigger, lib/scp81) -> proactive OPEN CHANNEL (the trigger's `84`
 *   parameters, else the stored defaults, param admin.conn) -> TLS-PSK client in the card (lib/tls
 *   memory-BIO connection; PSK = the ISD-R SCP81 key set of the trigger's `85`, else the lowest SCP81
 *   KVN, key 1; identity = the trigger's, else lib/ramhttp's identity in the configured variant) carried
 *   by SEND DATA / RECEIVE DATA (driven by the data-available event) -> HTTP/1.1 over it (lib/http
 *   message layer): POST with X-Admin-Protocol / X-Admin-From, chunked bodies; each 200 body is an
 *   `AE`/`AA` script run with euicc_card_script_run() on the ISD-R, or on the ISD-P named by
 *   X-Admin-Targeted-Application (ES8), its `AF` response POSTed to X-Admin-Next-URI; a 204 without a
 *   next URI ends the session: TLS close_notify, CLOSE CHANNEL, then the REFRESH of a profile switch the
 *   session made.
 *
 * Failures (OPEN CHANNEL refused, TLS failure, link dropped, an HTTP error status, a stalled peer) close
 * the channel; the trigger's `86` retry policy (counter, waiting delay; lib/scp81 coding variant
 * euicc_config.retry_timer) reopens it after the delay, counted by euicc_card_admin_tick(). The failure
 * report of `86` is not acted on [I: its meaning is unread].
 *
 * The card also opens a session by itself, without a push, to send an E1 notification (euicc_admin_notify,
 * card.h enum euicc_notif_transport): the stored connection and host/URI, the lowest SCP81 key set, the E1
 * in the first POST (ramhttp.h enum ramhttp_notif_carriage: "?msg=<hex>" or the body); the SM-SR's
 * 3A08 script that answers it runs like any other.
 *
 * One session at a time; a push during a session is refused (no PoR data). All of it is volatile. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <talloc.h>
#include <openssl/crypto.h>

#include "lib/http/http_msg.h"
#include "lib/ids/ids.h"
#include "lib/ramhttp/ramhttp.h"
#include "lib/scp81/scp81.h"
#include "lib/tls/tls.h"
#include "lib/tlv/bertlv.h"
#include "sims/euicc/ext.h"

#define SEND_CHUNK	200		   /* channel data per SEND DATA: the command stays < 255 bytes */
#define RECV_CHUNK	200		   /* per RECEIVE DATA: the TERMINAL RESPONSE stays < 255 bytes */
#define BUFFER_SIZE	1400		   /* OPEN CHANNEL buffer size when the parameters have none */
#define SCRIPT_RESP_MAX 16384		   /* cap on one AF response */
#define HTTP_BODY_MAX	65536		   /* cap on one HTTP response body (a script) */
#define MAX_EXCHANGES	256		   /* HTTP exchanges per session: a server that never says 204 is cut off */
#define DEFAULT_URI	"/gsma/adminagent" /* our default admin URI when neither push nor store has one */

enum admin_state {
	AS_IDLE,
	AS_OPENING,   /* OPEN CHANNEL queued */
	AS_HANDSHAKE, /* TLS handshake */
	AS_HTTP,      /* requests / responses */
	AS_CLOSING,   /* close_notify queued, flushing, then CLOSE CHANNEL */
	AS_WAIT_RETRY,
};

struct euicc_admin {
	void *ctx; /* talloc context of everything below */
	enum admin_state state;
	/* from the trigger (copied: the trigger buffer is gone after the push) */
	uint8_t trigger[1024];
	size_t trigger_len;
	struct scp81_trigger t;
	unsigned int retries_left;
	uint32_t retry_delay;
	unsigned int wait_left;
	/* the session */
	uint8_t channel;
	bool busy; /* a BIP command is queued and its TERMINAL RESPONSE not yet in */
	unsigned int rx_avail;
	struct tls_ctx *tls_ctx;
	struct tls_conn *tls;
	struct http_rx *rx;
	char psk_id[RAMHTTP_PSK_ID_MAX + 1];
	uint8_t psk[32];
	size_t psk_len;
	uint8_t kvn;
	char host[128], next_uri[640]; /* room for a notification's ?msg= (RAMHTTP_NOTIF_MAX) */
	unsigned int exchanges;
	bool closed;
	/* a session the card opened for a notification (card.h enum euicc_notif_transport): the E1 as
	 * the body of the first POST (RAMHTTP_NOTIF_BODY; the URI form is in next_uri already) */
	uint8_t first_body[RAMHTTP_NOTIF_MAX];
	size_t first_len;
	bool notif; /* opened for a notification: a failure sends it by SMS (notify.c) */
};

static void admin_free(struct euicc_x *x)
{
	struct euicc_admin *a = x->admin;

	if (!a)
		return;
	OPENSSL_cleanse(a->psk, sizeof(a->psk));
	talloc_free(a->ctx); /* tls conn, ctx, rx */
	x->admin = NULL;
	OPENSSL_cleanse(a, sizeof(*a));
	talloc_free(a);
}

void euicc_admin_reset(struct euicc_card *c)
{
	if (c->x)
		admin_free(c->x);
}

static void advance(struct euicc_card *c);
static void next_bip(struct euicc_card *c);
static void fail(struct euicc_card *c);

/* --- BIP commands ------------------------------------------------------------------------------- */

static void tr_close(struct euicc_card *c, const struct cat_terminal_response *tr, void *priv)
{
	struct euicc_admin *a = c->x ? c->x->admin : NULL;

	if (!a)
		return;
	a->busy = false;
	a->channel = 0;
	if (a->state == AS_WAIT_RETRY)
		return;
	/* the session is over: the REFRESH of a switch it made (notify.c) */
	admin_free(c->x);
	euicc_switch_refresh_if_pending(c);
}

static void close_channel(struct euicc_card *c)
{
	struct euicc_admin *a = c->x->admin;
	struct cat_proactive cmd = { .details = { .type = CAT_CMD_CLOSE_CHANNEL } };

	if (!a->channel) {
		if (a->state != AS_WAIT_RETRY) {
			admin_free(c->x);
			euicc_switch_refresh_if_pending(c);
		}
		return;
	}
	cmd.dev.dst = CAT_DEV_CHANNEL(a->channel);
	if (euicc_card_proactive_push(c, &cmd, tr_close, NULL) == 0)
		a->busy = true;
}

/* A failure: close and, if the retry policy allows, wait and reopen. */
static void fail(struct euicc_card *c)
{
	struct euicc_admin *a = c->x->admin;
	bool notif = a->notif;

	if (a->tls) {
		tls_conn_free(a->tls);
		a->tls = NULL;
	}
	talloc_free(a->rx); /* a new connection starts a new HTTP stream */
	a->rx = NULL;
	if (a->retries_left) {
		a->retries_left--;
		a->state = AS_WAIT_RETRY;
		a->wait_left = a->retry_delay;
	} else {
		a->state = AS_IDLE;
	}
	if (!a->busy)
		close_channel(c); /* may free a */
	if (notif)
		euicc_notif_https_failed(c);
}

static void tr_send(struct euicc_card *c, const struct cat_terminal_response *tr, void *priv)
{
	struct euicc_admin *a = c->x ? c->x->admin : NULL;

	if (!a)
		return;
	a->busy = false;
	if (tr->general != CAT_RES_OK && tr->general != CAT_RES_OK_WITH_MODIFICATION) {
		fail(c);
		return;
	}
	next_bip(c);
}

static void tr_receive(struct euicc_card *c, const struct cat_terminal_response *tr, void *priv)
{
	struct euicc_admin *a = c->x ? c->x->admin : NULL;

	if (!a)
		return;
	a->busy = false;
	if ((tr->general != CAT_RES_OK && tr->general != CAT_RES_OK_MISSING_INFO) || !tr->channel_data.data) {
		fail(c);
		return;
	}
	if (a->tls && tls_conn_feed(a->tls, tr->channel_data.data, tr->channel_data.len) < 0) {
		fail(c);
		return;
	}
	/* §8.54: bytes still in the terminal's buffer (FF: more than 255) */
	a->rx_avail = tr->has_channel_data_length ? tr->channel_data_length : 0;
	advance(c);
}

/* Queue the next BIP command the session needs: output first, then input, then the close. */
static void next_bip(struct euicc_card *c)
{
	struct euicc_admin *a = c->x ? c->x->admin : NULL;
	uint8_t buf[SEND_CHUNK];

	if (!a || a->busy || !a->channel)
		return;
	if (a->tls && tls_conn_out_pending(a->tls)) {
		struct cat_proactive cmd = { .details = { .type = CAT_CMD_SEND_DATA,
							  .qualifier = CAT_SEND_DATA_IMMEDIATE } };
		size_t n = tls_conn_take(a->tls, buf, sizeof(buf));

		cmd.dev.dst = CAT_DEV_CHANNEL(a->channel);
		cmd.channel_data.data = buf;
		cmd.channel_data.len = n;
		if (euicc_card_proactive_push(c, &cmd, tr_send, NULL) == 0)
			a->busy = true;
		return;
	}
	if (a->state == AS_CLOSING || a->state == AS_WAIT_RETRY || a->state == AS_IDLE) {
		close_channel(c);
		return;
	}
	if (a->rx_avail) {
		struct cat_proactive cmd = { .details = { .type = CAT_CMD_RECEIVE_DATA } };

		cmd.dev.dst = CAT_DEV_CHANNEL(a->channel);
		cmd.has_channel_data_length = true;
		cmd.channel_data_length = (uint8_t)(a->rx_avail > RECV_CHUNK ? RECV_CHUNK : a->rx_avail);
		if (euicc_card_proactive_push(c, &cmd, tr_receive, NULL) == 0)
			a->busy = true;
	}
}

/* --- HTTP --------------------------------------------------------------------------------------- */

static int post(struct euicc_card *c, const uint8_t *body, size_t len, enum ramhttp_script_status status)
{
	struct euicc_admin *a = c->x->admin;
	struct http_header h[6];
	struct http_out o = { .method = "POST", .body = body, .body_len = len, .chunked = true, .hdr = h };
	struct http_buf b = { 0 };
	char from[160], eid[33];
	uint8_t aid[IDS_AID_LEN];
	size_t n = 0;
	int rc;

	for (int i = 0; i < 16; i++)
		snprintf(eid + 2 * i, 3, "%02x", c->eid[i]);
	ids_aid_from_tar(aid, IDS_TAR_ISD_R);
	if (ramhttp_from_format(from, sizeof(from), eid, 32, aid, sizeof(aid)) < 0)
		return -EINVAL;
	o.url = a->next_uri;
	h[n++] = (struct http_header){ "Host", a->host };
	h[n++] = (struct http_header){ RAMHTTP_HDR_PROTOCOL, RAMHTTP_PROTOCOL_1_0 };
	h[n++] = (struct http_header){ RAMHTTP_HDR_FROM, from };
	if (!a->exchanges && len) /* a notification as the first POST's body (RAMHTTP_NOTIF_BODY) */
		h[n++] = (struct http_header){ "Content-Type", RAMHTTP_CT_GP_RESPONSE };
	if (a->exchanges) {
		/* digest §5.2 step 3 */
		h[n++] = (struct http_header){ "Content-Type", RAMHTTP_CT_GP_RESPONSE };
		h[n++] = (struct http_header){ RAMHTTP_HDR_SCRIPT_STATUS,
					       get_value_string(ramhttp_script_status_names, status) };
	}
	o.num_hdr = n;
	rc = http_out_encode(a->ctx, &b, &o, true);
	if (rc == 0 && (!a->tls || tls_conn_write(a->tls, b.data, b.len) != (ssize_t)b.len))
		rc = -EPROTO;
	talloc_free(b.data);
	a->exchanges++;
	return rc;
}

/* The session's target for X-Admin-Targeted-Application (absent: the ISD-R). */
static int target_tar(struct euicc_card *c, const struct http_msg *m, uint32_t *tar)
{
	const char *v = http_msg_header(m, RAMHTTP_HDR_TARGETED_APP);
	struct ramhttp_aid aid;
	struct euicc_isdp p;

	*tar = IDS_TAR_ISD_R;
	if (!v)
		return 0;
	if (ramhttp_targeted_app_parse(&aid, v, strlen(v)) < 0 || euicc_store_isdp_get(c->st, aid.aid, aid.len, &p) < 0)
		return -ENOENT;
	*tar = p.tar;
	return 0;
}

static void on_response(struct euicc_card *c, const struct http_msg *m)
{
	struct euicc_admin *a = c->x->admin;
	const char *next = http_msg_header(m, RAMHTTP_HDR_NEXT_URI);
	const char *uri;
	size_t uri_len;

	if (next) {
		if (ramhttp_next_uri_parse(&uri, &uri_len, next, strlen(next)) < 0 || uri_len >= sizeof(a->next_uri)) {
			fail(c);
			return;
		}
		memcpy(a->next_uri, uri, uri_len);
		a->next_uri[uri_len] = 0;
	}
	if (m->status == 204) {
		if (!next) { /* digest §5.2 step 4: the end */
			tls_conn_shutdown(a->tls);
			a->state = AS_CLOSING;
			return;
		}
		if (post(c, NULL, 0, RAMHTTP_SCRIPT_OK) < 0)
			fail(c);
		return;
	}
	if (m->status != 200 || !next || a->exchanges >= MAX_EXCHANGES) {
		fail(c);
		return;
	}
	{
		struct euicc_session s = { .kvn = a->kvn, .scp81 = true };
		uint8_t *resp = talloc_size(a->ctx, SCRIPT_RESP_MAX);
		int n = -ENOMEM, rc;

		if (target_tar(c, m, &s.tar) < 0) {
			talloc_free(resp);
			if (post(c, NULL, 0, RAMHTTP_SCRIPT_UNKNOWN_APPLICATION) < 0)
				fail(c);
			return;
		}
		if (resp)
			n = euicc_card_script_run(c, &s, m->body, m->body_len, resp, SCRIPT_RESP_MAX);
		/* a body that is no script at all: an empty response [I: GP Amd B status not read] */
		rc = post(c, resp, n > 0 ? (size_t)n : 0, RAMHTTP_SCRIPT_OK);
		talloc_free(resp);
		if (rc < 0)
			fail(c);
	}
}

/* Move the session on after input arrived (or at the start). fail() may end the session; every step
 * re-checks that it is still the same one with a live TLS connection. */
static bool alive(struct euicc_card *c, struct euicc_admin *a)
{
	return c->x && c->x->admin == a && a->tls && (a->state == AS_HTTP || a->state == AS_CLOSING);
}

static void advance(struct euicc_card *c)
{
	struct euicc_admin *a = c->x->admin;
	uint8_t buf[1024];
	ssize_t n;
	int rc;

	if (a->state == AS_HANDSHAKE) {
		rc = tls_conn_handshake(a->tls);
		if (rc == -EPROTO) {
			fail(c);
			next_bip(c);
			return;
		}
		if (rc == 0) {
			a->state = AS_HTTP;
			if (post(c, a->first_len ? a->first_body : NULL, a->first_len, RAMHTTP_SCRIPT_OK) < 0) {
				fail(c);
				next_bip(c);
				return;
			}
		}
	}
	while (alive(c, a)) {
		n = tls_conn_read(a->tls, buf, sizeof(buf));
		if (n == -EAGAIN)
			break;
		if (n <= 0) { /* close_notify or a failure */
			if (a->state != AS_CLOSING)
				fail(c);
			break;
		}
		for (size_t off = 0; off < (size_t)n && alive(c, a) && a->state == AS_HTTP;) {
			rc = http_rx_feed(a->rx, buf + off, (size_t)n - off);
			if (rc < 0) {
				fail(c);
				break;
			}
			off += (size_t)rc;
			if (http_rx_done(a->rx)) {
				on_response(c, http_rx_msg(a->rx));
				if (alive(c, a))
					http_rx_next(a->rx);
			}
		}
	}
	next_bip(c);
}

/* --- opening --------------------------------------------------------------------------------------- */

static void tr_open(struct euicc_card *c, const struct cat_terminal_response *tr, void *priv)
{
	struct euicc_admin *a = c->x ? c->x->admin : NULL;
	struct tls_cfg cfg = { .role = TLS_ROLE_CLIENT, .max_version = TLS1_2_VERSION };
	char err[128];

	if (!a)
		return;
	a->busy = false;
	if ((tr->general != CAT_RES_OK && tr->general != CAT_RES_OK_WITH_MODIFICATION) || !tr->n_channel_status ||
	    !tr->channel_status[0].channel_id) {
		fail(c);
		return;
	}
	a->channel = tr->channel_status[0].channel_id;
	cfg.psk_identity = a->psk_id;
	cfg.psk = a->psk;
	cfg.psk_len = a->psk_len;
	if (!a->tls_ctx)
		a->tls_ctx = tls_ctx_alloc(a->ctx, &cfg, err, sizeof(err));
	a->tls = a->tls_ctx ? tls_conn_alloc(a->ctx, a->tls_ctx) : NULL;
	if (!a->rx) {
		struct http_limits lim = { .max_body = HTTP_BODY_MAX };
		a->rx = http_rx_alloc(a->ctx, false, &lim);
	}
	if (!a->tls || !a->rx) {
		fail(c);
		return;
	}
	a->state = AS_HANDSHAKE;
	a->exchanges = 0;
	a->rx_avail = 0;
	advance(c);
}

static int open_channel(struct euicc_card *c)
{
	struct euicc_admin *a = c->x->admin;
	struct cat_proactive cmd = { .details = { .type = CAT_CMD_OPEN_CHANNEL,
						  .qualifier = CAT_OPEN_CHANNEL_IMMEDIATE } };
	uint8_t stored[256];
	size_t sl = sizeof(stored);
	int rc;

	if (a->t.has_connection) {
		cmd.channel = a->t.connection;
	} else if (euicc_store_param_get(c->st, "admin.conn", stored, &sl) == 0 && sl &&
		   cat_channel_params_decode(&cmd.channel, stored, sl) >= 0 && cmd.channel.has_transport) {
		/* stored defaults (pointers into stored, encoded right away) */
	} else {
		return -ENOENT;
	}
	if (!cmd.channel.has_buffer_size) {
		cmd.channel.has_buffer_size = true;
		cmd.channel.buffer_size = BUFFER_SIZE;
	}
	rc = euicc_card_proactive_push(c, &cmd, tr_open, NULL);
	if (rc < 0)
		return rc;
	a->busy = true;
	a->state = AS_OPENING;
	return 0;
}

/* PSK and identity (open-questions §7: a push-supplied identity first, else ours). */
static int psk_setup(struct euicc_card *c)
{
	struct euicc_admin *a = c->x->admin;
	struct euicc_keyset ks[EUICC_MAX_KEYSETS], k;
	uint8_t kid = 1;
	int n;

	a->kvn = 0;
	if (a->t.has_security) {
		a->kvn = a->t.kvn;
		kid = a->t.kid ? a->t.kid : 1;
	} else {
		n = euicc_store_keyset_list(c->st, ks, EUICC_MAX_KEYSETS);
		for (int i = 0; i < n && !a->kvn; i++)
			if (ks[i].type == EUICC_KEYSET_SCP81)
				a->kvn = ks[i].kvn;
	}
	if (!a->kvn || kid > 3 || euicc_store_keyset_get(c->st, a->kvn, &k) < 0 || k.type != EUICC_KEYSET_SCP81 ||
	    k.key_len[kid - 1] < 16 || k.key_len[kid - 1] > sizeof(a->psk))
		return -ENOENT;
	memcpy(a->psk, k.key[kid - 1], k.key_len[kid - 1]);
	a->psk_len = k.key_len[kid - 1];
	OPENSSL_cleanse(&k, sizeof(k));
	if (a->t.has_security && a->t.psk_id.len) {
		if (a->t.psk_id.len > RAMHTTP_PSK_ID_MAX)
			return -EINVAL;
		memcpy(a->psk_id, a->t.psk_id.data, a->t.psk_id.len);
		a->psk_id[a->t.psk_id.len] = 0;
		return 0;
	}
	if (c->cfg.psk_id == RAMHTTP_PSK_ID_OPAQUE) {
		/* our opaque identity: the EID digits (the SM-SR maps it) */
		for (int i = 0; i < 16; i++)
			snprintf(a->psk_id + 2 * i, 3, "%02x", c->eid[i]);
		return 0;
	}
	{
		struct ramhttp_psk_id id = { .format = RAMHTTP_PSK_ID_TLV_HEX_V4, .format_version = 0x02 };

		memcpy(id.eid, c->eid, 16);
		ids_aid_from_tar(id.aid, IDS_TAR_ISD_R);
		id.aid_len = IDS_AID_LEN;
		id.key_id = kid;
		id.kvn = a->kvn;
		return ramhttp_psk_id_build(a->psk_id, sizeof(a->psk_id), &id) < 0 ? -EINVAL : 0;
	}
}

static void copy_str(char *dst, size_t cap, const struct cat_bytes *b, const char *dflt)
{
	if (b->data && b->len && b->len < cap) {
		memcpy(dst, b->data, b->len);
		dst[b->len] = 0;
	} else {
		snprintf(dst, cap, "%s", dflt);
	}
}

/* The stored defaults of the admin host and URI (personalised; our default URI when none). */
static void admin_defaults(struct euicc_card *c, char *host, size_t hcap, char *uri, size_t ucap)
{
	size_t l = hcap - 1;

	host[0] = 0;
	if (euicc_store_param_get(c->st, "admin.host", (uint8_t *)host, &l) == 0)
		host[l] = 0;
	snprintf(uri, ucap, "%s", DEFAULT_URI);
	l = ucap - 1;
	if (euicc_store_param_get(c->st, "admin.uri", (uint8_t *)uri, &l) == 0)
		uri[l] = 0;
}

int euicc_admin_push(struct euicc_card *c, const struct euicc_session *s, const uint8_t *data, size_t len,
		     uint8_t *resp, size_t cap)
{
	struct euicc_x *x = c->x;
	struct euicc_admin *a;
	char dflt_host[64], dflt_uri[200];

	if (!x || x->admin || len > sizeof(a->trigger))
		return -EBUSY;
	a = talloc_zero(NULL, struct euicc_admin);
	if (!a)
		return -ENOMEM;
	a->ctx = talloc_new(a);
	memcpy(a->trigger, data, len);
	a->trigger_len = len;
	if (scp81_trigger_decode(&a->t, a->trigger, a->trigger_len) < 0) {
		talloc_free(a);
		return -EBADMSG;
	}
	x->admin = a;
	admin_defaults(c, dflt_host, sizeof(dflt_host), dflt_uri, sizeof(dflt_uri));
	copy_str(a->host, sizeof(a->host), &a->t.admin_host, dflt_host);
	copy_str(a->next_uri, sizeof(a->next_uri), &a->t.admin_uri, dflt_uri);
	if (a->t.has_retry) {
		a->retries_left = a->t.retry_counter;
		if (scp81_retry_delay_get(&a->t, c->cfg.retry_timer, &a->retry_delay) < 0)
			a->retry_delay = 0;
	}
	if (psk_setup(c) < 0 || open_channel(c) < 0) {
		admin_free(x);
		return -ENOENT;
	}
	return 0;
}

int euicc_admin_notify(struct euicc_card *c, const uint8_t *e1, size_t len)
{
	struct euicc_x *x = c->x;
	struct euicc_admin *a;
	char uri[200];
	int rc;

	if (!x || x->admin)
		return -EBUSY;
	if (!len || len > RAMHTTP_NOTIF_MAX)
		return -EINVAL;
	a = talloc_zero(NULL, struct euicc_admin);
	if (!a)
		return -ENOMEM;
	a->ctx = talloc_new(a);
	x->admin = a; /* no trigger: the stored connection, the lowest SCP81 key set, no retry policy */
	a->notif = true;
	admin_defaults(c, a->host, sizeof(a->host), uri, sizeof(uri));
	if (c->cfg.notif_carriage == RAMHTTP_NOTIF_BODY) {
		snprintf(a->next_uri, sizeof(a->next_uri), "%s", uri);
		memcpy(a->first_body, e1, len);
		a->first_len = len;
		rc = 0;
	} else {
		rc = ramhttp_notif_uri_build(a->next_uri, sizeof(a->next_uri), uri, e1, len);
	}
	if (rc < 0 || psk_setup(c) < 0 || open_channel(c) < 0) {
		admin_free(x);
		return rc < 0 ? rc : -ENOENT;
	}
	return 0;
}

void euicc_admin_event(struct euicc_card *c, const struct cat_envelope *env)
{
	struct euicc_admin *a = c->x ? c->x->admin : NULL;

	if (!a || !env->has_channel_status || env->channel_status.channel_id != a->channel || !a->channel)
		return;
	if (env->event == CAT_EV_DATA_AVAILABLE) {
		a->rx_avail = env->has_channel_data_length ? env->channel_data_length : RECV_CHUNK;
		next_bip(c);
	} else if (env->event == CAT_EV_CHANNEL_STATUS && !env->channel_status.established) {
		/* link dropped (§8.56): the channel is gone, nothing to close */
		a->channel = 0;
		if (a->state == AS_CLOSING) {
			admin_free(c->x);
			euicc_switch_refresh_if_pending(c);
			return;
		}
		fail(c);
	}
}

void euicc_card_admin_tick(struct euicc_card *c, unsigned int elapsed_s)
{
	struct euicc_admin *a = c->x ? c->x->admin : NULL;

	if (!a || !c->powered || a->state != AS_WAIT_RETRY || a->busy)
		return;
	a->wait_left = elapsed_s >= a->wait_left ? 0 : a->wait_left - elapsed_s;
	if (a->wait_left)
		return;
	if (open_channel(c) < 0)
		admin_free(c->x);
}

bool euicc_card_admin_active(const struct euicc_card *c)
{
	return c->x && c->x->admin;
}
