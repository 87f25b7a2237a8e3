/* lib/esnet on loopback: a provider and a requester (each an esnet), plain HTTP and mutual TLS with
 * certificates generated at run time. Sync and async functions, notifications, callbacks matched by
 * RelatesTo, FCI retries, faults, malformed input answered with the right status, the callback timer.
 * Every loop is bounded by an iteration count and a guard timer: a test never hangs. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <osmocom/core/select.h>
#include <osmocom/core/timer.h>
#include <talloc.h>

#include "lib/esnet/esnet.h"
#include "lib/http/http.h"
#include "lib/test/runner.h"
#include "lib/tls/pki.h"

static void *ctx;
static EVP_PKEY *ca_key, *srv_key, *cli_key;
static X509 *ca, *srv_cert, *cli_cert;

static struct osmo_tdef fast_tdefs[] = {
	{ .T = HTTP_T_IDLE, .default_val = 2000, .unit = OSMO_TDEF_MS, .desc = "idle" },
	{ .T = HTTP_T_REQUEST, .default_val = 2000, .unit = OSMO_TDEF_MS, .desc = "request" },
	{ .T = HTTP_T_RESPONSE, .default_val = 2000, .unit = OSMO_TDEF_MS, .desc = "response" },
	{ .T = ESNET_T_CALLBACK, .default_val = 200, .unit = OSMO_TDEF_MS, .desc = "callback" },
	{}
};

int suite_setup(void)
{
	struct tls_pki_cert_params p_ca = {
		.cn = "esnet test CA", .is_ca = true, .not_before_s = -3600, .not_after_s = 86400, .serial = 1
	};
	struct tls_pki_cert_params p_srv = {
		.cn = "sm-sr.test", .not_before_s = -3600, .not_after_s = 86400, .san_ip = "127.0.0.1", .serial = 2
	};
	struct tls_pki_cert_params p_cli = {
		.cn = "sm-dp.test", .not_before_s = -3600, .not_after_s = 86400, .san_ip = "127.0.0.1", .serial = 3
	};

	ctx = talloc_named_const(NULL, 0, "esnet_test");
	osmo_tdefs_reset(fast_tdefs);
	ca_key = tls_pki_key_p256();
	srv_key = tls_pki_key_p256();
	cli_key = tls_pki_key_p256();
	ca = tls_pki_cert_issue(&p_ca, ca_key, NULL, NULL);
	srv_cert = tls_pki_cert_issue(&p_srv, srv_key, ca, ca_key);
	cli_cert = tls_pki_cert_issue(&p_cli, cli_key, ca, ca_key);
	return (ctx && ca && srv_cert && cli_cert) ? 0 : -1;
}

int suite_teardown(void)
{
	X509_free(ca);
	X509_free(srv_cert);
	X509_free(cli_cert);
	EVP_PKEY_free(ca_key);
	EVP_PKEY_free(srv_key);
	EVP_PKEY_free(cli_key);
	talloc_free(ctx);
	return 0;
}

static bool guard_fired;
static void guard_cb(void *data)
{
	guard_fired = true;
}

static void run_until(const bool *flag)
{
	struct osmo_timer_list guard = { 0 };

	guard_fired = false;
	osmo_timer_setup(&guard, guard_cb, NULL);
	osmo_timer_schedule(&guard, 5, 0);
	for (int i = 0; i < 20000 && !*flag && !guard_fired; i++)
		osmo_select_main(0);
	osmo_timer_del(&guard);
	CU_ASSERT_FALSE(guard_fired);
}

static void run_some(int n)
{
	for (int i = 0; i < n; i++)
		osmo_select_main(1);
}

/* ---- URL parsing ---------------------------------------------------------------------------------- */

void test_esnet_url_parse(void)
{
	struct esnet_url u;
	char buf[64];

	CU_ASSERT_EQUAL(esnet_url_parse("https://127.0.0.1:8443/gsma/es3?EntityId=1.2", &u), 0);
	CU_ASSERT_TRUE(u.tls);
	CU_ASSERT_STRING_EQUAL(u.host, "127.0.0.1");
	CU_ASSERT_EQUAL(u.port, 8443);
	CU_ASSERT_STRING_EQUAL(u.path, "/gsma/es3?EntityId=1.2");
	CU_ASSERT_EQUAL(esnet_url_parse("http://sm-sr.example", &u), 0);
	CU_ASSERT_FALSE(u.tls);
	CU_ASSERT_EQUAL(u.port, 80);
	CU_ASSERT_STRING_EQUAL(u.path, "/");
	CU_ASSERT_EQUAL(esnet_url_parse("https://[::1]/x", &u), 0);
	CU_ASSERT_STRING_EQUAL(u.host, "::1");
	CU_ASSERT_EQUAL(u.port, 443);
	CU_ASSERT_EQUAL(esnet_url_parse("http://h?q=1", &u), 0);
	CU_ASSERT_STRING_EQUAL(u.path, "/?q=1");

	CU_ASSERT_EQUAL(esnet_url_parse("ftp://h/", &u), -EINVAL);
	CU_ASSERT_EQUAL(esnet_url_parse("http://", &u), -EINVAL);
	CU_ASSERT_EQUAL(esnet_url_parse("http://h:0/", &u), -EINVAL);
	CU_ASSERT_EQUAL(esnet_url_parse("http://h:65536/", &u), -EINVAL);
	CU_ASSERT_EQUAL(esnet_url_parse("http://h:/", &u), -EINVAL);
	CU_ASSERT_EQUAL(esnet_url_parse("http://u@h/", &u), -EINVAL);
	CU_ASSERT_EQUAL(esnet_url_parse("http://[::1/", &u), -EINVAL);
	CU_ASSERT_EQUAL(esnet_url_parse("http://h/a b", &u), -EINVAL);
	CU_ASSERT_EQUAL(esnet_url_parse("http://h:80x", &u), -EINVAL);
	CU_ASSERT_EQUAL(esnet_url_parse(NULL, &u), -EINVAL);

	CU_ASSERT_EQUAL(esnet_url_strip_query("https://h/es3?EntityId=1", buf, sizeof(buf)), 13);
	CU_ASSERT_STRING_EQUAL(buf, "https://h/es3");
	CU_ASSERT_EQUAL(esnet_url_strip_query("https://h/es3?EntityId=1", buf, 5), -EMSGSIZE);
}

/* ---- a provider and a requester ----------------------------------------------------------------- */

struct prov_state {
	unsigned int n_get_eis, n_create_isdp, n_notif, n_retries;
	struct esnet_in *held; /* an async request kept unanswered */
	bool hold;
	bool fault;
	char last_sender[64];
	char last_cn[64];
};
static struct prov_state ps;

static void fill_ok(struct es_fes *fes)
{
	fes->present = true;
	fes->status = ES_STATUS_EXECUTED_SUCCESS;
}

/* esnet_in_body(): the envelope as received, also after an async request was acknowledged */
static void assert_body(struct esnet_in *in, const char *element)
{
	size_t len = 0;
	const uint8_t *b = esnet_in_body(in, &len);

	CU_ASSERT_PTR_NOT_NULL_FATAL(b);
	CU_ASSERT(len > 100);
	CU_ASSERT_PTR_NOT_NULL(memmem(b, len, element, strlen(element)));
	CU_ASSERT_PTR_NOT_NULL(memmem(b, len, "Envelope", 8));
}

static void h_get_eis(struct esnet_in *in, void *priv)
{
	const struct es_msg *m = esnet_in_msg(in);
	struct es_msg *r = talloc_zero(ctx, struct es_msg);

	ps.n_get_eis++;
	ps.n_retries += esnet_in_is_retry(in);
	snprintf(ps.last_sender, sizeof(ps.last_sender), "%s", esnet_in_sender_id(in));
	snprintf(ps.last_cn, sizeof(ps.last_cn), "%s", esnet_in_peer_cn(in));
	CU_ASSERT_EQUAL(m->id, ES_MSG_ES3_GET_EIS_REQ);
	assert_body(in, "ES3-GetEISRequest>");
	CU_ASSERT_FALSE(esnet_in_expired(in));
	if (ps.fault) {
		CU_ASSERT_EQUAL(esnet_in_fault(in, SOAP_FAULT_RECEIVER, NULL, "store unavailable"), 0);
		talloc_free(r);
		return;
	}
	r->id = ES_MSG_ES3_GET_EIS_RESP;
	fill_ok(&r->u.es3_get_eis_resp.function_execution_status);
	CU_ASSERT_EQUAL(esnet_in_respond(in, r), 0);
	talloc_free(r);
}

static void answer_create_isdp(struct esnet_in *in)
{
	struct es_msg *r = talloc_zero(ctx, struct es_msg);

	r->id = ES_MSG_ES3_CREATE_ISDP_RESP;
	fill_ok(&r->u.es3_create_isdp_resp.function_execution_status);
	r->u.es3_create_isdp_resp.isd_p_aid = (struct es_hex){ (const uint8_t *)"\xa0\x00\x00\x05\x59\x10\x10\xff"
										"\xff\xff\xff\x89\x00\x00\x11\x00",
							       16 };
	CU_ASSERT_EQUAL(esnet_in_respond(in, r), 0);
	talloc_free(r);
}

static void h_create_isdp(struct esnet_in *in, void *priv)
{
	ps.n_create_isdp++;
	ps.n_retries += esnet_in_is_retry(in);
	assert_body(in, "ES3-CreateISDPRequest>");
	if (ps.hold) {
		ps.held = in;
		return;
	}
	answer_create_isdp(in);
}

static void h_notif(struct esnet_in *in, void *priv)
{
	ps.n_notif++;
	CU_ASSERT_EQUAL(esnet_in_msg(in)->id, ES_MSG_ES3_HANDLE_PROFILE_ENABLED_NOTIF);
	esnet_in_done(in);
}

static const struct esnet_handler prov_handlers[] = {
	{ ES_MSG_ES3_GET_EIS_REQ, h_get_eis, NULL },
	{ ES_MSG_ES3_CREATE_ISDP_REQ, h_create_isdp, NULL },
	{ ES_MSG_ES3_HANDLE_PROFILE_ENABLED_NOTIF, h_notif, NULL },
};

struct pair {
	struct esnet *prov, *req;
	struct tls_ctx *srv_tls, *cli_tls, *req_srv_tls, *prov_cli_tls;
	char prov_url[128], req_url[128];
};

/* The requester's unmatched-callback hook (pair_setup installs it when hook.on). */
static struct {
	bool on;
	int answer; /* what the hook returns */
	unsigned int n;
	enum es_msg_id id;
	char relates_to[128];
} hook;

static int unmatched_hook(const struct es_msg *msg, const struct soap_findings *f, void *priv)
{
	CU_ASSERT_PTR_EQUAL(priv, &hook);
	CU_ASSERT_PTR_NOT_NULL(f);
	hook.n++;
	hook.id = msg->id;
	snprintf(hook.relates_to, sizeof(hook.relates_to), "%s", msg->wsa.relates_to ? msg->wsa.relates_to : "");
	return hook.answer;
}

static void pair_setup(struct pair *p, bool tls)
{
	struct esnet_cfg pc = { .listen_addr = "127.0.0.1",
				.handlers = prov_handlers,
				.num_handlers = ARRAY_SIZE(prov_handlers),
				.own_id = "1.3.6.1.4.1.99999.2",
				.own_name = "SM-SR",
				.variant = es_variant_default,
				.tdefs = fast_tdefs };
	struct esnet_cfg rc = { .listen_addr = "127.0.0.1",
				.own_id = "1.3.6.1.4.1.99999.3",
				.own_name = "SM-DP",
				.variant = es_variant_default,
				.tdefs = fast_tdefs,
				.unmatched_cb = hook.on ? unmatched_hook : NULL,
				.unmatched_priv = &hook };

	memset(p, 0, sizeof(*p));
	memset(&ps, 0, sizeof(ps));
	if (tls) {
		struct tls_cfg s = { .role = TLS_ROLE_SERVER,
				     .cert = srv_cert,
				     .key = srv_key,
				     .ca_certs = &ca,
				     .num_ca_certs = 1,
				     .require_client_cert = true };
		struct tls_cfg c = {
			.role = TLS_ROLE_CLIENT, .cert = cli_cert, .key = cli_key, .ca_certs = &ca, .num_ca_certs = 1
		};
		struct tls_cfg s2 = s, c2 = c;

		s2.cert = cli_cert; /* the requester's callback endpoint */
		s2.key = cli_key;
		c2.cert = srv_cert;
		c2.key = srv_key;
		p->srv_tls = tls_ctx_alloc(ctx, &s, NULL, 0);
		p->cli_tls = tls_ctx_alloc(ctx, &c, NULL, 0);
		p->req_srv_tls = tls_ctx_alloc(ctx, &s2, NULL, 0);
		p->prov_cli_tls = tls_ctx_alloc(ctx, &c2, NULL, 0);
		CU_ASSERT_PTR_NOT_NULL_FATAL(p->srv_tls);
		CU_ASSERT_PTR_NOT_NULL_FATAL(p->prov_cli_tls);
		pc.server_tls = p->srv_tls;
		pc.callback_tls = p->prov_cli_tls;
		rc.server_tls = p->req_srv_tls;
	}
	p->prov = esnet_alloc(ctx, &pc);
	CU_ASSERT_PTR_NOT_NULL_FATAL(p->prov);
	p->req = esnet_alloc(ctx, &rc);
	CU_ASSERT_PTR_NOT_NULL_FATAL(p->req);
	snprintf(p->prov_url, sizeof(p->prov_url), "%s://127.0.0.1:%u/gsma/es3", tls ? "https" : "http",
		 esnet_port(p->prov));
	snprintf(p->req_url, sizeof(p->req_url), "%s://127.0.0.1:%u/cb", tls ? "https" : "http", esnet_port(p->req));
	/* ephemeral ports: the URL we announce is known once bound */
	CU_ASSERT_EQUAL(esnet_set_own_url(p->prov, p->prov_url), 0);
	CU_ASSERT_EQUAL(esnet_set_own_url(p->req, p->req_url), 0);
}

static void pair_teardown(struct pair *p)
{
	run_some(5);
	CU_ASSERT_EQUAL(esnet_num_pending_in(p->prov), 0);
	CU_ASSERT_EQUAL(esnet_num_pending_calls(p->req), 0);
	esnet_free(p->prov);
	esnet_free(p->req);
	tls_ctx_free(p->srv_tls);
	tls_ctx_free(p->cli_tls);
	tls_ctx_free(p->req_srv_tls);
	tls_ctx_free(p->prov_cli_tls);
}

struct call_result {
	bool done;
	int rc;
	enum es_msg_id id;
	bool is_fault;
	enum es_status status;
	unsigned int findings;
	char relates_to[256];
	size_t aid_len;
};

static void call_cb(struct esnet_call *call, int rc, const struct es_msg *resp, const struct soap_findings *f,
		    void *priv)
{
	struct call_result *r = priv;

	r->done = true;
	r->rc = rc;
	r->id = resp ? resp->id : ES_MSG_NONE;
	r->is_fault = resp && resp->is_fault;
	r->findings = f ? soap_findings_errors(f) : 0;
	if (resp && resp->wsa.relates_to)
		snprintf(r->relates_to, sizeof(r->relates_to), "%s", resp->wsa.relates_to);
	if (resp && resp->id == ES_MSG_ES3_GET_EIS_RESP)
		r->status = resp->u.es3_get_eis_resp.function_execution_status.status;
	if (resp && resp->id == ES_MSG_ES3_CREATE_ISDP_RESP) {
		r->status = resp->u.es3_create_isdp_resp.function_execution_status.status;
		r->aid_len = resp->u.es3_create_isdp_resp.isd_p_aid.len;
	}
}

static struct es_msg *example(enum es_msg_id id)
{
	struct es_msg *m = talloc_zero(ctx, struct es_msg);

	es_example_fill(m, id);
	memset(&m->wsa, 0, sizeof(m->wsa));
	return m;
}

static void do_sync_and_async(bool tls)
{
	struct pair p;
	struct esnet_peer peer;
	struct call_result r1 = { 0 }, r2 = { 0 }, r3 = { 0 };
	struct esnet_call *call;
	struct es_msg *m;
	char mid[256];

	pair_setup(&p, tls);
	peer = (struct esnet_peer){ .url = p.prov_url, .entity_id = "1.3.6.1.4.1.99999.2", .tls = p.cli_tls };
	peer.variant = es_variant_default;

	/* SM-DP asks ES3-GetEIS (sync): the SM-SR answers 200 with the response, RelatesTo = our MessageID */
	m = example(ES_MSG_ES3_GET_EIS_REQ);
	CU_ASSERT_EQUAL_FATAL(esnet_call(p.req, &peer, m, call_cb, &r1, &call), 0);
	snprintf(mid, sizeof(mid), "%s", esnet_call_message_id(call));
	run_until(&r1.done);
	CU_ASSERT_EQUAL(r1.rc, 0);
	CU_ASSERT_EQUAL(r1.id, ES_MSG_ES3_GET_EIS_RESP);
	CU_ASSERT_EQUAL(r1.status, ES_STATUS_EXECUTED_SUCCESS);
	CU_ASSERT_STRING_EQUAL(r1.relates_to, mid);
	CU_ASSERT_EQUAL(ps.n_get_eis, 1);
	CU_ASSERT_STRING_EQUAL(ps.last_sender, "1.3.6.1.4.1.99999.3");
	if (tls)
		CU_ASSERT_STRING_EQUAL(ps.last_cn, "sm-dp.test");
	talloc_free(m);

	/* ES3-CreateISDP (async): 202 first, the response later as a callback to our ReplyTo */
	m = example(ES_MSG_ES3_CREATE_ISDP_REQ);
	CU_ASSERT_EQUAL_FATAL(esnet_call(p.req, &peer, m, call_cb, &r2, NULL), 0);
	run_until(&r2.done);
	CU_ASSERT_EQUAL(r2.rc, 0);
	CU_ASSERT_EQUAL(r2.id, ES_MSG_ES3_CREATE_ISDP_RESP);
	CU_ASSERT_EQUAL(r2.status, ES_STATUS_EXECUTED_SUCCESS);
	CU_ASSERT_EQUAL(r2.aid_len, 16);
	CU_ASSERT_EQUAL(esnet_stats(p.req)->rx_callbacks, 1);
	CU_ASSERT_EQUAL(esnet_stats(p.prov)->tx_callbacks, 1);
	talloc_free(m);

	/* a notification is acknowledged with 202 */
	m = example(ES_MSG_ES3_HANDLE_PROFILE_ENABLED_NOTIF);
	CU_ASSERT_EQUAL_FATAL(esnet_call(p.req, &peer, m, call_cb, &r3, NULL), 0);
	run_until(&r3.done);
	CU_ASSERT_EQUAL(r3.rc, 0);
	CU_ASSERT_EQUAL(r3.id, ES_MSG_NONE);
	CU_ASSERT_EQUAL(ps.n_notif, 1);
	talloc_free(m);
	pair_teardown(&p);
}

void test_esnet_sync_async_notification_plain(void)
{
	do_sync_and_async(false);
}

void test_esnet_sync_async_notification_mutual_tls(void)
{
	do_sync_and_async(true);
}

void test_esnet_retry_detected_by_fci(void)
{
	struct pair p;
	struct esnet_peer peer;
	struct call_result r1 = { 0 }, r2 = { 0 };
	struct es_msg *m;

	pair_setup(&p, false);
	peer = (struct esnet_peer){ .url = p.prov_url, .variant = es_variant_default };
	m = example(ES_MSG_ES3_GET_EIS_REQ);
	m->u.es3_get_eis_req.function_call_identifier = "fci-42";
	CU_ASSERT_EQUAL_FATAL(esnet_call(p.req, &peer, m, call_cb, &r1, NULL), 0);
	run_until(&r1.done);
	memset(&m->wsa, 0, sizeof(m->wsa)); /* a new MessageID, same FCI: a retry */
	CU_ASSERT_EQUAL_FATAL(esnet_call(p.req, &peer, m, call_cb, &r2, NULL), 0);
	run_until(&r2.done);
	CU_ASSERT_EQUAL(ps.n_get_eis, 2);
	CU_ASSERT_EQUAL(ps.n_retries, 1);
	CU_ASSERT_EQUAL(esnet_stats(p.prov)->rx_retries, 1);
	talloc_free(m);
	pair_teardown(&p);
}

void test_esnet_fault_from_handler(void)
{
	struct pair p;
	struct esnet_peer peer;
	struct call_result r = { 0 };
	struct es_msg *m;

	pair_setup(&p, false);
	ps.fault = true;
	peer = (struct esnet_peer){ .url = p.prov_url, .variant = es_variant_default };
	m = example(ES_MSG_ES3_GET_EIS_REQ);
	CU_ASSERT_EQUAL_FATAL(esnet_call(p.req, &peer, m, call_cb, &r, NULL), 0);
	run_until(&r.done);
	CU_ASSERT_EQUAL(r.rc, 0);
	CU_ASSERT_TRUE(r.is_fault);
	CU_ASSERT_EQUAL(esnet_stats(p.prov)->rx_faults_sent, 1);
	talloc_free(m);
	pair_teardown(&p);
}

void test_esnet_callback_timeout_then_late_answer_refused(void)
{
	struct pair p;
	struct esnet_peer peer;
	struct call_result r = { 0 };
	struct es_msg *m;

	pair_setup(&p, false);
	ps.hold = true;
	peer = (struct esnet_peer){ .url = p.prov_url, .variant = es_variant_default };
	m = example(ES_MSG_ES3_CREATE_ISDP_REQ);
	CU_ASSERT_EQUAL_FATAL(esnet_call(p.req, &peer, m, call_cb, &r, NULL), 0);
	run_until(&r.done);
	CU_ASSERT_EQUAL(r.rc, -ETIMEDOUT);
	CU_ASSERT_EQUAL(esnet_stats(p.req)->call_timeouts, 1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ps.held);
	/* the provider answers after the requester gave up: refused as an unknown RelatesTo */
	answer_create_isdp(ps.held);
	for (int i = 0; i < 2000 && !esnet_stats(p.req)->rx_unmatched_callbacks; i++)
		osmo_select_main(1);
	CU_ASSERT_EQUAL(esnet_stats(p.req)->rx_unmatched_callbacks, 1);
	run_some(20);
	CU_ASSERT_EQUAL(esnet_stats(p.prov)->tx_failures, 1); /* our callback got a 400 */
	talloc_free(m);
	pair_teardown(&p);
}

/* After a restart nothing waits for the answer to a call of before: the hook may take it (202) or
 * refuse it (400, as without a hook). A callback a live call waits for never reaches the hook. */
void test_esnet_unmatched_callback_hook(void)
{
	struct pair p;
	struct esnet_peer peer;
	struct call_result r = { 0 };
	struct es_msg *m;
	char mid[256];

	memset(&hook, 0, sizeof(hook));
	hook.on = true;
	pair_setup(&p, false);
	peer = (struct esnet_peer){ .url = p.prov_url, .variant = es_variant_default };
	/* a live call: matched as usual, the hook is not asked */
	m = example(ES_MSG_ES3_CREATE_ISDP_REQ);
	CU_ASSERT_EQUAL_FATAL(esnet_call(p.req, &peer, m, call_cb, &r, NULL), 0);
	run_until(&r.done);
	CU_ASSERT_EQUAL(r.rc, 0);
	CU_ASSERT_EQUAL(r.id, ES_MSG_ES3_CREATE_ISDP_RESP);
	CU_ASSERT_EQUAL(hook.n, 0);
	/* the provider answers a call the requester no longer knows (it timed out here, as after a
	 * restart): taken by the hook, 202, so the provider's callback succeeds */
	ps.hold = true;
	memset(&r, 0, sizeof(r));
	talloc_free(m);
	m = example(ES_MSG_ES3_CREATE_ISDP_REQ);
	CU_ASSERT_EQUAL_FATAL(esnet_call(p.req, &peer, m, call_cb, &r, NULL), 0);
	snprintf(mid, sizeof(mid), "%s", m->wsa.message_id);
	run_until(&r.done);
	CU_ASSERT_EQUAL(r.rc, -ETIMEDOUT);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ps.held);
	answer_create_isdp(ps.held);
	ps.held = NULL;
	for (int i = 0; i < 2000 && !hook.n; i++)
		osmo_select_main(1);
	run_some(20);
	CU_ASSERT_EQUAL(hook.n, 1);
	CU_ASSERT_EQUAL(hook.id, ES_MSG_ES3_CREATE_ISDP_RESP);
	CU_ASSERT_STRING_EQUAL(hook.relates_to, mid);
	CU_ASSERT_EQUAL(esnet_stats(p.req)->rx_unmatched_taken, 1);
	CU_ASSERT_EQUAL(esnet_stats(p.req)->rx_unmatched_callbacks, 0);
	CU_ASSERT_EQUAL(esnet_stats(p.prov)->tx_failures, 0);
	/* the hook refuses: a Sender fault as without it */
	hook.answer = -ENOENT;
	memset(&r, 0, sizeof(r));
	talloc_free(m);
	m = example(ES_MSG_ES3_CREATE_ISDP_REQ);
	CU_ASSERT_EQUAL_FATAL(esnet_call(p.req, &peer, m, call_cb, &r, NULL), 0);
	run_until(&r.done);
	CU_ASSERT_EQUAL(r.rc, -ETIMEDOUT);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ps.held);
	answer_create_isdp(ps.held);
	ps.held = NULL;
	for (int i = 0; i < 2000 && hook.n < 2; i++)
		osmo_select_main(1);
	run_some(20);
	CU_ASSERT_EQUAL(hook.n, 2);
	CU_ASSERT_EQUAL(esnet_stats(p.req)->rx_unmatched_taken, 1);
	CU_ASSERT_EQUAL(esnet_stats(p.req)->rx_unmatched_callbacks, 1);
	CU_ASSERT_EQUAL(esnet_stats(p.prov)->tx_failures, 1);
	talloc_free(m);
	pair_teardown(&p);
	hook.on = false;
}

void test_esnet_cancel_is_silent(void)
{
	struct pair p;
	struct esnet_peer peer;
	struct call_result r = { 0 };
	struct esnet_call *call;
	struct es_msg *m;

	pair_setup(&p, false);
	ps.hold = true;
	peer = (struct esnet_peer){ .url = p.prov_url, .variant = es_variant_default };
	m = example(ES_MSG_ES3_CREATE_ISDP_REQ);
	CU_ASSERT_EQUAL_FATAL(esnet_call(p.req, &peer, m, call_cb, &r, &call), 0);
	for (int i = 0; i < 2000 && !ps.held; i++)
		osmo_select_main(1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ps.held);
	esnet_call_cancel(call);
	esnet_in_done(ps.held);
	run_some(30);
	CU_ASSERT_FALSE(r.done);
	talloc_free(m);
	pair_teardown(&p);
}

/* ---- malformed input, raw HTTP --------------------------------------------------------------- */

struct raw_result {
	bool done;
	int rc;
	unsigned int status;
	bool fault_body;
};

static void raw_cb(struct http_client *cli, int rc, const struct http_msg *resp, void *priv)
{
	struct raw_result *r = priv;

	r->done = true;
	r->rc = rc;
	r->status = resp ? resp->status : 0;
	r->fault_body = resp && resp->body_len && strstr((const char *)resp->body, "Fault");
}

static struct raw_result raw_post(uint16_t port, const char *method, const char *ct, const char *body)
{
	struct http_client_cfg cc = { .host = "127.0.0.1", .port = port, .tdefs = fast_tdefs };
	struct http_client *cli = http_client_alloc(ctx, &cc);
	struct http_header h[] = { { "Content-Type", ct } };
	struct http_out o = { .method = method,
			      .url = "/gsma/es3",
			      .hdr = h,
			      .num_hdr = ct ? 1 : 0,
			      .body = (const uint8_t *)body,
			      .body_len = body ? strlen(body) : 0 };
	struct raw_result r = { 0 };

	CU_ASSERT_EQUAL(http_client_request(cli, &o, raw_cb, &r), 0);
	run_until(&r.done);
	http_client_free(cli);
	return r;
}

void test_esnet_malformed_input_statuses(void)
{
	struct pair p;
	struct raw_result r;
	uint8_t *buf = talloc_size(ctx, 65536);
	struct es_msg *m;
	char ct[512];
	int n;

	pair_setup(&p, false);
	r = raw_post(esnet_port(p.prov), "GET", NULL, NULL);
	CU_ASSERT_EQUAL(r.status, 405);
	r = raw_post(esnet_port(p.prov), "POST", "text/xml", "<x/>");
	CU_ASSERT_EQUAL(r.status, 415);
	r = raw_post(esnet_port(p.prov), "POST", "application/soap+xml; charset=utf-8", "not xml at all");
	CU_ASSERT_EQUAL(r.status, 400);
	CU_ASSERT_TRUE(r.fault_body);
	r = raw_post(esnet_port(p.prov), "POST", "application/soap+xml; charset=utf-8",
		     "<?xml version=\"1.0\"?><!DOCTYPE a [<!ENTITY x \"y\">]><a>&x;</a>");
	CU_ASSERT_EQUAL(r.status, 400);
	/* a valid message this endpoint does not provide: Sender fault */
	m = example(ES_MSG_ES3_DELETE_ISDP_REQ);
	m->wsa = (struct soap_wsa){ .from = "http://x/?EntityId=1", .to = "http://y/", .message_id = "//1/m1" };
	n = es_msg_encode(buf, 65536, m, NULL);
	CU_ASSERT_FATAL(n > 0);
	buf[n] = 0;
	soap_content_type_make(ct, sizeof(ct), "x");
	r = raw_post(esnet_port(p.prov), "POST", ct, (const char *)buf);
	CU_ASSERT_EQUAL(r.status, 400);
	CU_ASSERT_TRUE(r.fault_body);
	CU_ASSERT_EQUAL(esnet_stats(p.prov)->rx_unhandled, 1);
	/* a response nobody asked for: unmatched callback, 400 */
	talloc_free(m);
	m = talloc_zero(ctx, struct es_msg);
	m->id = ES_MSG_ES3_CREATE_ISDP_RESP;
	fill_ok(&m->u.es3_create_isdp_resp.function_execution_status);
	m->wsa = (struct soap_wsa){
		.from = "http://x/?EntityId=1", .to = "http://y/", .message_id = "//1/m2", .relates_to = "//2/none"
	};
	n = es_msg_encode(buf, 65536, m, NULL);
	CU_ASSERT_FATAL(n > 0);
	buf[n] = 0;
	r = raw_post(esnet_port(p.req), "POST", ct, (const char *)buf);
	CU_ASSERT_EQUAL(r.status, 400);
	CU_ASSERT_EQUAL(esnet_stats(p.req)->rx_unmatched_callbacks, 1);
	CU_ASSERT_EQUAL(ps.n_get_eis + ps.n_create_isdp + ps.n_notif, 0);
	CU_ASSERT_EQUAL(esnet_stats(p.prov)->rx_malformed, 4);
	talloc_free(m);
	talloc_free(buf);
	pair_teardown(&p);
}

void test_esnet_call_errors(void)
{
	struct pair p;
	struct esnet_peer peer = { .url = "ftp://x/", .variant = es_variant_default };
	struct call_result r = { 0 };
	struct es_msg *m = example(ES_MSG_ES3_GET_EIS_REQ);

	pair_setup(&p, false);
	CU_ASSERT_EQUAL(esnet_call(p.req, &peer, m, call_cb, &r, NULL), -EINVAL);
	m->id = ES_MSG_ES3_GET_EIS_RESP;
	peer.url = p.prov_url;
	CU_ASSERT_EQUAL(esnet_call(p.req, &peer, m, call_cb, &r, NULL), -EINVAL);
	/* https without a client context */
	m->id = ES_MSG_ES3_GET_EIS_REQ;
	memset(&m->wsa, 0, sizeof(m->wsa));
	peer.url = "https://127.0.0.1:1/";
	CU_ASSERT_EQUAL(esnet_call(p.req, &peer, m, call_cb, &r, NULL), -EINVAL);
	/* nobody listening: the callback reports the connection failure */
	memset(&m->wsa, 0, sizeof(m->wsa));
	peer.url = "http://127.0.0.1:1/";
	CU_ASSERT_EQUAL_FATAL(esnet_call(p.req, &peer, m, call_cb, &r, NULL), 0);
	run_until(&r.done);
	CU_ASSERT(r.rc < 0);
	talloc_free(m);
	pair_teardown(&p);
}
