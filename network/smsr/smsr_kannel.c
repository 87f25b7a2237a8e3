/* Kannel HTTP transport (see smsr_kannel.h). */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <osmocom/core/linuxlist.h>
#include <talloc.h>

#include "lib/http/http.h"
#include "lib/sms/sms.h"
#include "network/smsr/smsr_ctr.h"
#include "network/smsr/smsr_kannel.h"
#include "network/smsr/smsr_log.h"

#define QUEUE_MAX 256

struct kreq {
	struct llist_head entry;
	char *url;
	uint32_t tag;
};

struct smsr_kannel {
	struct smsr_kannel_cfg cfg;
	struct smsr_kannel_up up;
	struct http_client *cli;
	struct http_server *srv;
	struct http_route routes[2];
	struct llist_head queue;
	unsigned int queued;
	struct kreq *inflight;
	struct smsr_kannel_stats stats;
};

/* ---- URL coding ---------------------------------------------------------------------------------- */

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int smsr_kannel_query_param(const char *query, const char *name, uint8_t *out, size_t cap)
{
	size_t nlen = name ? strlen(name) : 0;
	const char *p = query;

	if (!query || !nlen || !out)
		return -EINVAL;
	while (p && *p) {
		const char *amp = strchr(p, '&'), *end = amp ? amp : p + strlen(p);

		if ((size_t)(end - p) > nlen && !strncmp(p, name, nlen) && p[nlen] == '=') {
			size_t n = 0;

			for (const char *c = p + nlen + 1; c < end; c++) {
				int v;

				if (n >= cap)
					return -EMSGSIZE;
				if (*c == '%') {
					int h, l;

					if (end - c < 3 || (h = hexval(c[1])) < 0 || (l = hexval(c[2])) < 0)
						return -EBADMSG;
					v = h << 4 | l;
					c += 2;
				} else {
					v = *c == '+' ? ' ' : (unsigned char)*c; /* form encoding */
				}
				out[n++] = (uint8_t)v;
			}
			return (int)n;
		}
		p = amp ? amp + 1 : NULL;
	}
	return -ENOENT;
}

/* Append src (len bytes) percent-encoded (RFC 3986 unreserved kept) to the talloc string *s. */
static void urlenc_append(char **s, const uint8_t *src, size_t len)
{
	static const char hex[] = "0123456789ABCDEF";

	for (size_t i = 0; i < len && *s; i++) {
		uint8_t c = src[i];

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
		    c == '_' || c == '.' || c == '~')
			*s = talloc_asprintf_append(*s, "%c", c);
		else
			*s = talloc_asprintf_append(*s, "%%%c%c", hex[c >> 4], hex[c & 15]);
	}
}

static void urlenc_str(char **s, const char *str)
{
	urlenc_append(s, (const uint8_t *)str, strlen(str));
}

/* ---- MT ------------------------------------------------------------------------------------------ */

static void kick(struct smsr_kannel *k);

static void resp_cb(struct http_client *cli, int rc, const struct http_msg *resp, void *priv)
{
	struct smsr_kannel *k = priv;
	struct kreq *r = k->inflight;
	bool ok = rc == 0 && resp && (resp->status == 202 || resp->status == 200);

	k->inflight = NULL;
	if (ok) {
		k->stats.accepted++;
	} else {
		k->stats.refused++;
		smsr_ctr_inc(SMSR_CTRG_KANNEL, SMSR_CTR_KANNEL_MT_REFUSED);
		LOGP(DSMS, LOGL_NOTICE, "Kannel sendsms refused: %s %u\n", rc < 0 ? strerror(-rc) : "HTTP",
		     resp ? resp->status : 0);
	}
	if (r) {
		uint32_t tag = r->tag;

		explicit_bzero(r->url, strlen(r->url)); /* it held the password */
		talloc_free(r);
		if (!ok && k->up.tx_status)
			k->up.tx_status(k->up.priv, tag, rc < 0 ? rc : -EIO);
	}
	kick(k);
}

static void kick(struct smsr_kannel *k)
{
	struct kreq *r;
	int rc;

	if (k->inflight || llist_empty(&k->queue) || http_client_busy(k->cli))
		return;
	r = llist_first_entry(&k->queue, struct kreq, entry);
	llist_del(&r->entry);
	k->queued--;
	k->inflight = r;
	rc = http_client_request(k->cli, &(struct http_out){ .method = "GET", .url = r->url }, resp_cb, k);
	if (rc < 0) {
		k->inflight = NULL;
		if (k->up.tx_status)
			k->up.tx_status(k->up.priv, r->tag, rc);
		talloc_free(r);
	}
}

int smsr_kannel_send(void *tp, const char *dst, const uint8_t *ud, size_t len, uint32_t tag)
{
	struct smsr_kannel *k = tp;
	struct sms_udh udh;
	struct kreq *r;
	int n;

	if (!k || !dst || !ud)
		return -EINVAL;
	if (len > SMS_UD_MAX)
		return -EMSGSIZE;
	n = sms_udh_decode(&udh, ud, len);
	if (n < 0)
		return -EINVAL;
	if (k->queued >= QUEUE_MAX)
		return -ENOBUFS;
	if (dst[0] == '+')
		dst++;
	r = talloc_zero(k, struct kreq);
	if (!r)
		return -ENOMEM;
	r->tag = tag;
	r->url = talloc_strdup(r, "/cgi-bin/sendsms?username=");
	urlenc_str(&r->url, k->cfg.username);
	r->url = talloc_asprintf_append(r->url, "&password=");
	urlenc_str(&r->url, k->cfg.password);
	r->url = talloc_asprintf_append(r->url, "&from=");
	urlenc_str(&r->url, k->cfg.from);
	r->url = talloc_asprintf_append(r->url, "&to=");
	urlenc_str(&r->url, dst);
	r->url = talloc_asprintf_append(r->url, "&udh=");
	urlenc_append(&r->url, ud, (size_t)n);
	r->url = talloc_asprintf_append(r->url, "&text=");
	urlenc_append(&r->url, ud + n, len - (size_t)n);
	/* network-lab §4: coding=1 + mclass=2 with alt-dcs = TP-DCS F6; pid=127 = TP-PID 7F */
	r->url = talloc_asprintf_append(r->url, "&coding=1&mclass=2&alt-dcs=1&pid=127");
	if (k->cfg.dlr_url) {
		char *d = talloc_asprintf(r, "%s?tag=%" PRIu32 "&status=%%d", k->cfg.dlr_url, tag);

		r->url = talloc_asprintf_append(r->url, "&dlr-mask=19&dlr-url="); /* 1 + 2 + 16 */
		if (d)
			urlenc_str(&r->url, d);
	}
	if (!r->url) {
		talloc_free(r);
		return -ENOMEM;
	}
	llist_add_tail(&r->entry, &k->queue);
	k->queued++;
	k->stats.sent++;
	smsr_ctr_inc(SMSR_CTRG_KANNEL, SMSR_CTR_KANNEL_MT_SENT);
	kick(k);
	return 0;
}

/* ---- MO and DLR callbacks ------------------------------------------------------------------------- */

static void answer(struct http_req *req, unsigned int status)
{
	http_req_respond(req, &(struct http_out){ .status = status });
}

static const char *query_of(struct http_req *req)
{
	const char *q = strchr(http_req_msg(req)->url, '?');

	return q ? q + 1 : "";
}

static void mo_cb(struct http_req *req, void *priv)
{
	struct smsr_kannel *k = priv;
	const char *q = query_of(req);
	uint8_t ud[SMS_UD_MAX], from[24];
	int nu, nb, nf;

	nf = smsr_kannel_query_param(q, "from", from, sizeof(from) - 1);
	nu = smsr_kannel_query_param(q, "udh", ud, sizeof(ud));
	nb = nu >= 0 ? smsr_kannel_query_param(q, "bin", ud + nu, sizeof(ud) - (size_t)nu) : -EINVAL;
	if (nf <= 0 || nu <= 0 || nb < 0) {
		k->stats.mo_bad++;
		smsr_ctr_inc(SMSR_CTRG_KANNEL, SMSR_CTR_KANNEL_MO_BAD);
		LOGP(DSMS, LOGL_NOTICE, "Kannel MO callback without from/udh/bin (or malformed): 400\n");
		answer(req, 400);
		return;
	}
	from[nf] = '\0';
	for (int i = 0; i < nf; i++)
		if (!((from[i] >= '0' && from[i] <= '9') || (i == 0 && from[i] == '+'))) {
			k->stats.mo_bad++;
			smsr_ctr_inc(SMSR_CTRG_KANNEL, SMSR_CTR_KANNEL_MO_BAD);
			answer(req, 400);
			return;
		}
	k->stats.mo++;
	smsr_ctr_inc(SMSR_CTRG_KANNEL, SMSR_CTR_KANNEL_MO_RX);
	answer(req, 200);
	if (k->up.mo)
		k->up.mo(k->up.priv, (const char *)from, ud, (size_t)(nu + nb));
}

static void dlr_cb(struct http_req *req, void *priv)
{
	struct smsr_kannel *k = priv;
	const char *q = query_of(req);
	char tag[16] = "", st[8] = "";
	int nt = smsr_kannel_query_param(q, "tag", (uint8_t *)tag, sizeof(tag) - 1);
	int ns = smsr_kannel_query_param(q, "status", (uint8_t *)st, sizeof(st) - 1);
	char *e1, *e2;
	unsigned long t, s;

	if (nt <= 0 || ns <= 0) {
		answer(req, 400);
		return;
	}
	tag[nt] = '\0';
	st[ns] = '\0';
	t = strtoul(tag, &e1, 10);
	s = strtoul(st, &e2, 10);
	if (*e1 || *e2 || t > UINT32_MAX) {
		answer(req, 400);
		return;
	}
	k->stats.dlr++;
	smsr_ctr_inc(SMSR_CTRG_KANNEL, SMSR_CTR_KANNEL_DLR_RX);
	answer(req, 200);
	/* Kannel dlr-mask bits: 1 delivered, 2 failed, 4 buffered, 8 SMSC ack, 16 SMSC reject */
	if ((s == 2 || s == 16) && k->up.tx_status) {
		k->stats.dlr_failed++;
		smsr_ctr_inc(SMSR_CTRG_KANNEL, SMSR_CTR_KANNEL_DLR_FAILED);
		k->up.tx_status(k->up.priv, (uint32_t)t, -EIO);
	} else if (s == 1 && k->up.tx_status) {
		k->up.tx_status(k->up.priv, (uint32_t)t, 0);
	}
}

/* ---- lifecycle ------------------------------------------------------------------------------------ */

struct smsr_kannel *smsr_kannel_alloc(void *ctx, const struct smsr_kannel_cfg *cfg, const struct smsr_kannel_up *up)
{
	struct smsr_kannel *k;

	if (!cfg || !cfg->host || !cfg->port || !cfg->username || !cfg->password || !cfg->from)
		return NULL;
	k = talloc_zero(ctx, struct smsr_kannel);
	if (!k)
		return NULL;
	k->cfg = *cfg;
	k->cfg.host = talloc_strdup(k, cfg->host);
	k->cfg.username = talloc_strdup(k, cfg->username);
	k->cfg.password = talloc_strdup(k, cfg->password);
	k->cfg.from = talloc_strdup(k, cfg->from);
	k->cfg.mo_path = talloc_strdup(k, cfg->mo_path ? cfg->mo_path : "/mo");
	k->cfg.dlr_path = talloc_strdup(k, cfg->dlr_path ? cfg->dlr_path : "/dlr");
	k->cfg.dlr_url = cfg->dlr_url ? talloc_strdup(k, cfg->dlr_url) : NULL;
	if (up)
		k->up = *up;
	INIT_LLIST_HEAD(&k->queue);
	k->cli = http_client_alloc(k, &(struct http_client_cfg){ .host = k->cfg.host, .port = cfg->port });
	k->routes[0] = (struct http_route){ .path = k->cfg.mo_path, .cb = mo_cb, .priv = k };
	k->routes[1] = (struct http_route){ .path = k->cfg.dlr_path, .cb = dlr_cb, .priv = k };
	k->srv = http_server_alloc(k,
				   &(struct http_server_cfg){ .addr = cfg->listen_addr ? cfg->listen_addr : "127.0.0.1",
							      .port = cfg->listen_port,
							      .routes = k->routes,
							      .num_routes = 2 });
	if (!k->cli || !k->srv) {
		talloc_free(k);
		return NULL;
	}
	return k;
}

void smsr_kannel_free(struct smsr_kannel *k)
{
	if (!k)
		return;
	http_server_free(k->srv);
	http_client_free(k->cli);
	talloc_free(k);
}

uint16_t smsr_kannel_port(const struct smsr_kannel *k)
{
	return http_server_port(k->srv);
}

const struct smsr_kannel_stats *smsr_kannel_stats(const struct smsr_kannel *k)
{
	return &k->stats;
}
