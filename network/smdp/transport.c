/* rsplab-smdp transport on lib/esnet (see transport.h). */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include <osmocom/core/linuxlist.h>
#include <osmocom/core/talloc.h>
#include <osmocom/core/utils.h>

#include "network/smdp/logging.h"
#include "network/smdp/transport.h"

struct held_in {
	struct llist_head list;
	char ref[24];
	struct esnet_in *in;
};

struct smdp_transport {
	struct esnet *e;
	/* Mutual TLS (NULL when plain HTTP): the endpoint's server context, one client context per SM-SR
	 * peer and for the MNO (server name checked against the URL's host), and one for callbacks to the
	 * ReplyTo addresses of requests (chain to the CA checked; the address is the peer's to choose). */
	struct tls_ctx *srv_tls, *cb_tls, *mno_tls;
	struct tls_ctx *peer_tls[SMDP_MAX_PEERS];
	struct smdp *s;
	const struct smdp_cfg *cfg;
	struct llist_head held;
	unsigned long next_ref;
	struct esnet_handler handlers[16];
};

static void on_es2_request(struct esnet_in *in, void *priv)
{
	struct smdp_transport *t = priv;
	struct held_in *h = talloc_zero(t, struct held_in);

	if (!h || !t->s) {
		talloc_free(h);
		esnet_in_fault(in, SOAP_FAULT_RECEIVER, NULL, "SM-DP not ready");
		return;
	}
	snprintf(h->ref, sizeof(h->ref), "in:%lu", ++t->next_ref);
	h->in = in;
	llist_add_tail(&h->list, &t->held);
	if (smdp_es2_rx(t->s, esnet_in_msg(in), h->ref) < 0) {
		/* Not an ES2 request we provide: nothing was answered. */
		llist_del(&h->list);
		talloc_free(h);
		esnet_in_fault(in, SOAP_FAULT_SENDER, NULL, "function not provided");
	}
}

static void on_es3_notification(struct esnet_in *in, void *priv)
{
	struct smdp_transport *t = priv;

	if (t->s)
		smdp_es3_notification(t->s, esnet_in_msg(in));
	esnet_in_done(in);
}

static void tr_es2_respond(struct smdp *s, const char *mno_ref, struct es_msg *resp)
{
	struct smdp_transport *t = s->ops.priv;
	struct held_in *h;

	llist_for_each_entry (h, &t->held, list) {
		if (strcmp(h->ref, mno_ref ? mno_ref : "") != 0)
			continue;
		llist_del(&h->list);
		if (esnet_in_respond(h->in, resp) < 0)
			LOGP(DES2, LOGL_ERROR, "%s: answer not sent: %s\n", mno_ref, esnet_last_error(t->e));
		talloc_free(h);
		return;
	}
	LOGP(DES2, LOGL_ERROR, "%s: no pending ES2 request to answer (restarted since?)\n", mno_ref);
}

static void tr_es2_callback(struct smdp *s, const struct smdp_es2_return *ret, struct es_msg *resp)
{
	struct smdp_transport *t = s->ops.priv;

	if (esnet_send_callback(t->e, ret->reply_to, ret->message_id, (enum es_ns_variant)ret->ns, resp) < 0)
		LOGP(DES2, LOGL_ERROR, "%s callback to %s not sent: %s\n", es_msgs[resp->id].name, ret->reply_to,
		     esnet_last_error(t->e));
	else
		LOGP(DES2, LOGL_INFO, "%s sent as a callback to %s (request %s)\n", es_msgs[resp->id].name,
		     ret->reply_to, ret->message_id);
}

/* Each outgoing call carries its transport and call id. */
struct call_ctx {
	struct smdp_transport *t;
	uint32_t call_id;
};

static void es3_done(struct esnet_call *call, int rc, const struct es_msg *resp, const struct soap_findings *f,
		     void *priv)
{
	struct call_ctx *c = priv;
	struct smdp_transport *t = c->t;
	uint32_t id = c->call_id;

	talloc_free(c);
	if (rc == 0 && resp && resp->is_fault)
		rc = -EPROTO;
	if (rc < 0)
		LOGP(DES3, LOGL_NOTICE, "ES3 call %u failed: %d (%s)\n", id, rc, esnet_last_error(t->e));
	if (t->s)
		smdp_es3_rx(t->s, id, rc, rc == 0 ? resp : NULL);
}

static int tr_es3_call(struct smdp *s, uint32_t call_id, const struct smdp_smsr_peer *smsr, struct es_msg *req)
{
	struct smdp_transport *t = s->ops.priv;
	struct esnet_peer peer = { .url = smsr->url,
				   .entity_id = smsr->entity_id[0] ? smsr->entity_id : NULL,
				   .variant = smsr->v.es };
	ptrdiff_t idx = smsr - t->cfg->smsr;
	struct call_ctx *c = talloc_zero(t, struct call_ctx);
	int rc;

	if (!c)
		return -ENOMEM;
	c->t = t;
	c->call_id = call_id;
	if (idx >= 0 && idx < SMDP_MAX_PEERS)
		peer.tls = t->peer_tls[idx];
	rc = esnet_call(t->e, &peer, req, es3_done, c, NULL);
	if (rc < 0) {
		LOGP(DES3, LOGL_ERROR, "%s to %s not sent: %s\n", es_msgs[req->id].name, smsr->id,
		     esnet_last_error(t->e));
		talloc_free(c);
	}
	return rc;
}

static void notif_done(struct esnet_call *call, int rc, const struct es_msg *resp, const struct soap_findings *f,
		       void *priv)
{
	if (rc < 0)
		LOGP(DES2, LOGL_NOTICE, "ES2 notification not delivered: %d\n", rc);
}

static void tr_es2_notify(struct smdp *s, struct es_msg *n)
{
	struct smdp_transport *t = s->ops.priv;
	struct esnet_peer peer = { .url = t->cfg->mno_url,
				   .entity_id = t->cfg->mno_entity_id[0] ? t->cfg->mno_entity_id : NULL,
				   .variant = t->cfg->mno_variant,
				   .tls = t->mno_tls };

	if (!t->cfg->mno_url[0]) {
		LOGP(DES2, LOGL_NOTICE, "%s not sent: no MNO URL configured\n", es_msgs[n->id].name);
		return;
	}
	if (esnet_call(t->e, &peer, n, notif_done, NULL, NULL) < 0)
		LOGP(DES2, LOGL_NOTICE, "%s not sent: %s\n", es_msgs[n->id].name, esnet_last_error(t->e));
}

static const enum es_msg_id es2_in[] = {
	ES_MSG_ES2_GET_EIS_REQ,
	ES_MSG_ES2_DOWNLOAD_PROFILE_REQ,
	ES_MSG_ES2_UPDATE_POLICY_RULES_REQ,
	ES_MSG_ES2_UPDATE_SUBSCRIPTION_ADDRESS_REQ,
	ES_MSG_ES2_ENABLE_PROFILE_REQ,
	ES_MSG_ES2_DISABLE_PROFILE_REQ,
	ES_MSG_ES2_DELETE_PROFILE_REQ,
};
static const enum es_msg_id es3_in[] = {
	ES_MSG_ES3_HANDLE_PROFILE_ENABLED_NOTIF,
	ES_MSG_ES3_HANDLE_PROFILE_DISABLED_NOTIF,
	ES_MSG_ES3_HANDLE_PROFILE_DELETED_NOTIF,
	ES_MSG_ES3_HANDLE_SMSR_CHANGE_NOTIF,
};

/* A client context for url: the server certificate must chain to the CA and, for a configured peer,
 * match the URL's host (check_host false: chain only). NULL when TLS is off; sets *fail on an error. */
static struct tls_ctx *client_tls(struct smdp_transport *t, const struct smdp_cfg *cfg, const char *url,
				  bool check_host, bool *fail)
{
	struct esnet_url u;
	struct tls_cfg c = { .role = TLS_ROLE_CLIENT,
			     .cert_file = cfg->tls_cert_file,
			     .key_file = cfg->tls_key_file,
			     .ca_file = cfg->tls_ca_file[0] ? cfg->tls_ca_file : NULL,
			     .ca_certs = cfg->tls_ca_file[0] ? NULL : &cfg->ci,
			     .num_ca_certs = cfg->tls_ca_file[0] ? 0 : 1,
			     .keylog_file = cfg->tls_keylog_file[0] ? cfg->tls_keylog_file : NULL };
	struct tls_ctx *x;
	char err[256] = "";

	if (!cfg->tls_cert_file[0])
		return NULL;
	if (check_host && url && url[0] && esnet_url_parse(url, &u) == 0)
		c.verify_host = u.host;
	x = tls_ctx_alloc(t, &c, err, sizeof(err));
	if (!x) {
		LOGP(DSMDP, LOGL_ERROR, "TLS client context for %s: %s\n", url && url[0] ? url : "callbacks", err);
		*fail = true;
	}
	return x;
}

static int tls_setup(struct smdp_transport *t, const struct smdp_cfg *cfg)
{
	struct tls_cfg sc = { .role = TLS_ROLE_SERVER,
			      .cert_file = cfg->tls_cert_file,
			      .key_file = cfg->tls_key_file,
			      .ca_file = cfg->tls_ca_file[0] ? cfg->tls_ca_file : NULL,
			      .ca_certs = cfg->tls_ca_file[0] ? NULL : &cfg->ci,
			      .num_ca_certs = cfg->tls_ca_file[0] ? 0 : 1,
			      .require_client_cert = true, /* mutual TLS */
			      .keylog_file = cfg->tls_keylog_file[0] ? cfg->tls_keylog_file : NULL };
	char err[256] = "";
	bool fail = false;

	if (!cfg->tls_cert_file[0])
		return 0;
	if (!cfg->tls_key_file[0] || (!cfg->tls_ca_file[0] && !cfg->ci)) {
		LOGP(DSMDP, LOGL_ERROR, "TLS needs tls-private-key and a CA (tls-ca-certificate or ci-certificate)\n");
		return -EINVAL;
	}
	t->srv_tls = tls_ctx_alloc(t, &sc, err, sizeof(err));
	if (!t->srv_tls) {
		LOGP(DSMDP, LOGL_ERROR, "TLS server context: %s\n", err);
		return -EINVAL;
	}
	t->cb_tls = client_tls(t, cfg, NULL, false, &fail);
	t->mno_tls = client_tls(t, cfg, cfg->mno_url, true, &fail);
	for (unsigned int i = 0; i < SMDP_MAX_PEERS; i++)
		if (cfg->smsr[i].used)
			t->peer_tls[i] = client_tls(t, cfg, cfg->smsr[i].url, true, &fail);
	return fail ? -EINVAL : 0;
}

struct smdp_transport *smdp_transport_alloc(void *ctx, const struct smdp_cfg *cfg, struct smdp_ops *ops)
{
	struct smdp_transport *t = talloc_zero(ctx, struct smdp_transport);
	struct esnet_cfg ec = { 0 };
	size_t n = 0;

	if (!t)
		return NULL;
	INIT_LLIST_HEAD(&t->held);
	t->cfg = cfg;
	if (tls_setup(t, cfg) < 0) {
		talloc_free(t);
		errno = EINVAL;
		return NULL;
	}
	for (size_t i = 0; i < ARRAY_SIZE(es2_in); i++)
		t->handlers[n++] = (struct esnet_handler){ es2_in[i], on_es2_request, t };
	for (size_t i = 0; i < ARRAY_SIZE(es3_in); i++)
		t->handlers[n++] = (struct esnet_handler){ es3_in[i], on_es3_notification, t };
	ec.listen_addr = cfg->listen_addr[0] ? cfg->listen_addr : NULL;
	ec.listen_port = cfg->listen_port;
	ec.server_tls = t->srv_tls;
	ec.callback_tls = t->cb_tls;
	ec.handlers = t->handlers;
	ec.num_handlers = n;
	ec.own_url = cfg->own_url[0] ? cfg->own_url : t->srv_tls ? "https://127.0.0.1/" : "http://127.0.0.1/";
	ec.own_id = cfg->smdp_id[0] ? cfg->smdp_id : NULL;
	ec.variant = es_variant_default;
	ec.tdefs = cfg->es_tdefs; /* NULL = esnet_tdefs */
	t->e = esnet_alloc(t, &ec);
	if (!t->e) {
		talloc_free(t);
		return NULL;
	}
	if (!cfg->own_url[0] && ec.listen_addr) {
		/* Announce where we actually listen (an ephemeral port is only known now). */
		char url[SMDP_URL_MAX + 1];
		snprintf(url, sizeof(url), "%s://%s:%u/", t->srv_tls ? "https" : "http", ec.listen_addr,
			 esnet_port(t->e));
		esnet_set_own_url(t->e, url);
	}
	memset(ops, 0, sizeof(*ops));
	ops->es3_call = tr_es3_call;
	ops->es2_respond = tr_es2_respond;
	ops->es2_callback = tr_es2_callback;
	ops->es2_notify = tr_es2_notify;
	ops->priv = t;
	return t;
}

void smdp_transport_bind(struct smdp_transport *t, struct smdp *s)
{
	t->s = s;
}

uint16_t smdp_transport_port(const struct smdp_transport *t)
{
	return esnet_port(t->e);
}

void smdp_transport_free(struct smdp_transport *t)
{
	struct held_in *h, *n;

	if (!t)
		return;
	llist_for_each_entry_safe (h, n, &t->held, list) {
		llist_del(&h->list);
		esnet_in_done(h->in);
		talloc_free(h);
	}
	esnet_free(t->e);
	talloc_free(t);
}
