/* lib/http server and client on loopback (127.0.0.1, ephemeral ports), driven by osmo_select_main in
 * bounded loops with an overall guard timer: a test never hangs. Keep-alive, chunked both ways, async
 * handlers, limits, idle and request timeouts, TLS with mutual authentication and each failure, and the
 * memory-pipe TLS client (as the eUICC runs it over BIP) against the SCP81 PSK server. Keys and
 * certificates are generated at run time. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <osmocom/core/select.h>
#include <osmocom/core/timer.h>
#include <talloc.h>

#include "lib/http/http.h"
#include "lib/test/runner.h"
#include "lib/tls/pki.h"

static void *ctx;
static EVP_PKEY *ca_key, *ca2_key, *srv_key, *cli_key, *old_key, *cli2_key;
static X509 *ca, *ca2, *srv_cert, *cli_cert, *old_cert, *cli2_cert;

/* small timers (milliseconds) so the timeout tests run fast; values are never asserted on */
static struct osmo_tdef fast_tdefs[] = {
	{ .T = HTTP_T_IDLE, .default_val = 200, .val = 200, .unit = OSMO_TDEF_MS, .desc = "idle" },
	{ .T = HTTP_T_REQUEST, .default_val = 200, .val = 200, .unit = OSMO_TDEF_MS, .desc = "request" },
	{ .T = HTTP_T_RESPONSE, .default_val = 3000, .val = 3000, .unit = OSMO_TDEF_MS, .desc = "response" },
	{}
};

int suite_setup(void)
{
	struct tls_pki_cert_params p_ca = {
		.cn = "rsplab test CA", .is_ca = true, .not_before_s = -3600, .not_after_s = 86400, .serial = 1
	};
	struct tls_pki_cert_params p_ca2 = {
		.cn = "other CA", .is_ca = true, .not_before_s = -3600, .not_after_s = 86400, .serial = 2
	};
	struct tls_pki_cert_params p_srv = {
		.cn = "127.0.0.1", .not_before_s = -3600, .not_after_s = 86400, .san_ip = "127.0.0.1", .serial = 10
	};
	struct tls_pki_cert_params p_cli = {
		.cn = "sm-dp.test", .not_before_s = -3600, .not_after_s = 86400, .serial = 11
	};
	struct tls_pki_cert_params p_old = { .cn = "127.0.0.1",
					     .not_before_s = -2 * 86400,
					     .not_after_s = -86400,
					     .san_ip = "127.0.0.1",
					     .serial = 12 };

	ctx = talloc_named_const(NULL, 0, "http_test");
	ca_key = tls_pki_key_p256();
	ca2_key = tls_pki_key_p256();
	srv_key = tls_pki_key_p256();
	cli_key = tls_pki_key_p256();
	old_key = tls_pki_key_p256();
	cli2_key = tls_pki_key_p256();
	ca = tls_pki_cert_issue(&p_ca, ca_key, NULL, NULL);
	ca2 = tls_pki_cert_issue(&p_ca2, ca2_key, NULL, NULL);
	srv_cert = tls_pki_cert_issue(&p_srv, srv_key, ca, ca_key);
	cli_cert = tls_pki_cert_issue(&p_cli, cli_key, ca, ca_key);
	old_cert = tls_pki_cert_issue(&p_old, old_key, ca, ca_key);
	cli2_cert = tls_pki_cert_issue(&p_cli, cli2_key, ca2, ca2_key);
	return (ctx && srv_cert && cli_cert && old_cert && cli2_cert) ? 0 : -1;
}

int suite_teardown(void)
{
	X509_free(ca);
	X509_free(ca2);
	X509_free(srv_cert);
	X509_free(cli_cert);
	X509_free(old_cert);
	X509_free(cli2_cert);
	EVP_PKEY_free(ca_key);
	EVP_PKEY_free(ca2_key);
	EVP_PKEY_free(srv_key);
	EVP_PKEY_free(cli_key);
	EVP_PKEY_free(old_key);
	EVP_PKEY_free(cli2_key);
	talloc_free(ctx);
	return 0;
}

/* ---- loop driver -------------------------------------------------------------------------------- */

static bool guard_fired;
static void guard_cb(void *data)
{
	guard_fired = true;
}

/* Run the loop until *flag or the guard (5 s of no progress at worst) or 20000 iterations. */
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

/* Run the loop a little (lets queued bytes and closes settle). */
static void run_some(int n)
{
	for (int i = 0; i < n; i++)
		osmo_select_main(1);
}

/* ---- handlers ----------------------------------------------------------------------------------- */

/* Echo: answers with the request body, chunked if the request was, plus the method and path. */
static void echo_cb(struct http_req *req, void *priv)
{
	const struct http_msg *m = http_req_msg(req);
	char path[128];
	struct http_header h[] = { { "X-Path", path }, { "X-Method", m->method } };
	struct http_out o = { .status = 200,
			      .hdr = h,
			      .num_hdr = 2,
			      .body = m->body,
			      .body_len = m->body_len,
			      .chunked = m->chunked,
			      .chunk_size = 5 };

	snprintf(path, sizeof(path), "%s", m->url);
	CU_ASSERT_EQUAL(http_req_respond(req, &o), 0);
}

/* Async: keeps the request; the test answers later. */
static struct http_req *held;
static bool held_aborted;
static void hold_abort_cb(struct http_req *req, void *priv)
{
	CU_ASSERT_PTR_EQUAL(req, held);
	held = NULL;
	held_aborted = true;
}
static void hold_cb(struct http_req *req, void *priv)
{
	held = req;
	http_req_set_abort_cb(req, hold_abort_cb, NULL);
}

static const struct http_route routes[] = {
	{ .path = "/echo", .cb = echo_cb },
	{ .path = "/gsma/", .prefix = true, .cb = echo_cb },
	{ .path = "/hold", .cb = hold_cb },
};

/* ---- client callback ---------------------------------------------------------------------------- */

struct result {
	bool done;
	int rc;
	unsigned int status;
	char body[256];
	size_t body_len;
	bool chunked;
	char path[128];
};

static void result_cb(struct http_client *cli, int rc, const struct http_msg *resp, void *priv)
{
	struct result *r = priv;

	r->done = true;
	r->rc = rc;
	if (rc == 0) {
		const char *p = http_msg_header(resp, "X-Path");
		r->status = resp->status;
		r->body_len = resp->body_len < sizeof(r->body) ? resp->body_len : sizeof(r->body) - 1;
		memcpy(r->body, resp->body, r->body_len);
		r->body[r->body_len] = '\0';
		r->chunked = resp->chunked;
		snprintf(r->path, sizeof(r->path), "%s", p ? p : "");
	}
}

static struct http_server *server(const struct http_limits *lim, struct tls_ctx *tls)
{
	struct http_server_cfg cfg = {
		.addr = "127.0.0.1", .port = 0, .tls = tls, .routes = routes, .num_routes = 3, .tdefs = fast_tdefs
	};
	struct http_server *srv;

	if (lim)
		cfg.limits = *lim;
	srv = http_server_alloc(ctx, &cfg);
	CU_ASSERT_PTR_NOT_NULL_FATAL(srv);
	CU_ASSERT(http_server_port(srv) != 0);
	return srv;
}

static struct http_client *client(struct http_server *srv, struct tls_ctx *tls)
{
	struct http_client_cfg cfg = {
		.host = "127.0.0.1", .port = http_server_port(srv), .tls = tls, .tdefs = fast_tdefs
	};
	struct http_client *cli = http_client_alloc(ctx, &cfg);

	CU_ASSERT_PTR_NOT_NULL_FATAL(cli);
	return cli;
}

static void post(struct http_client *cli, const char *url, const char *body, bool chunked, struct result *r)
{
	struct http_out o = { .method = "POST",
			      .url = url,
			      .body = (const uint8_t *)body,
			      .body_len = strlen(body),
			      .chunked = chunked,
			      .chunk_size = 3 };

	memset(r, 0, sizeof(*r));
	CU_ASSERT_EQUAL_FATAL(http_client_request(cli, &o, result_cb, r), 0);
	run_until(&r->done);
}

/* ---- plain HTTP --------------------------------------------------------------------------------- */

void test_http_keepalive_several_requests(void)
{
	struct http_server *srv = server(NULL, NULL);
	struct http_client *cli = client(srv, NULL);
	struct result r;
	char body[64];

	for (int i = 0; i < 5; i++) {
		snprintf(body, sizeof(body), "request %d", i);
		post(cli, i % 2 ? "/echo" : "/gsma/adminagent?cmd=1", body, i % 2, &r);
		CU_ASSERT_EQUAL(r.rc, 0);
		CU_ASSERT_EQUAL(r.status, 200);
		CU_ASSERT_STRING_EQUAL(r.body, body);
		CU_ASSERT_EQUAL(r.chunked, i % 2 == 1); /* chunked both directions */
		CU_ASSERT_STRING_EQUAL(r.path, i % 2 ? "/echo" : "/gsma/adminagent?cmd=1");
	}
	/* one TCP connection for all five */
	CU_ASSERT_EQUAL(http_client_num_connects(cli), 1);
	CU_ASSERT_EQUAL(http_server_stats(srv)->accepted, 1);
	CU_ASSERT_EQUAL(http_server_stats(srv)->requests, 5);
	/* unknown path: 404, connection kept */
	post(cli, "/nothing", "", false, &r);
	CU_ASSERT_EQUAL(r.rc, 0);
	CU_ASSERT_EQUAL(r.status, 404);
	CU_ASSERT_EQUAL(http_client_num_connects(cli), 1);
	/* one at a time */
	{
		struct http_out o = { .method = "GET", .url = "/echo" };
		struct result r2 = { 0 };
		CU_ASSERT_EQUAL(http_client_request(cli, &o, result_cb, &r2), 0);
		CU_ASSERT_EQUAL(http_client_request(cli, &o, result_cb, &r2), -EBUSY);
		run_until(&r2.done);
		CU_ASSERT_EQUAL(r2.status, 200);
	}
	http_client_free(cli);
	http_server_free(srv);
}

void test_http_async_response(void)
{
	struct http_server *srv = server(NULL, NULL);
	struct http_client *cli = client(srv, NULL);
	struct http_out o = { .method = "POST", .url = "/hold", .body = (const uint8_t *)"x", .body_len = 1 };
	struct result r = { 0 };
	bool have;
	static const uint8_t later[] = "answered later";

	held = NULL;
	CU_ASSERT_EQUAL(http_client_request(cli, &o, result_cb, &r), 0);
	have = false;
	for (int i = 0; i < 2000 && !held; i++)
		osmo_select_main(1);
	have = held != NULL;
	CU_ASSERT_FATAL(have);
	CU_ASSERT_FALSE(r.done);
	{
		struct http_out resp = { .status = 202, .body = later, .body_len = sizeof(later) - 1 };
		CU_ASSERT_EQUAL(http_req_respond(held, &resp), 0);
		held = NULL;
	}
	run_until(&r.done);
	CU_ASSERT_EQUAL(r.status, 202);
	CU_ASSERT_STRING_EQUAL(r.body, "answered later");
	/* the connection stays usable */
	post(cli, "/echo", "again", false, &r);
	CU_ASSERT_STRING_EQUAL(r.body, "again");
	CU_ASSERT_EQUAL(http_client_num_connects(cli), 1);
	http_client_free(cli);
	http_server_free(srv);
}

/* esnet: an async call's callback overtook the 202 and freed the call; the 202 must not reach it. */
void test_http_client_forget(void)
{
	struct http_server *srv = server(NULL, NULL);
	struct http_client *cli = client(srv, NULL);
	struct http_out o = { .method = "POST", .url = "/hold", .body = (const uint8_t *)"x", .body_len = 1 };
	struct result r = { 0 };
	bool have;

	held = NULL;
	CU_ASSERT_EQUAL(http_client_request(cli, &o, result_cb, &r), 0);
	for (int i = 0; i < 2000 && !held; i++)
		osmo_select_main(1);
	have = held != NULL;
	CU_ASSERT_FATAL(have);
	http_client_forget(cli);
	{
		struct http_out resp = { .status = 202 };
		CU_ASSERT_EQUAL(http_req_respond(held, &resp), 0);
		held = NULL;
	}
	run_some(200);
	CU_ASSERT_FALSE(r.done);
	/* the client is still usable for the next request */
	post(cli, "/echo", "next", false, &r);
	CU_ASSERT_TRUE(r.done);
	CU_ASSERT_STRING_EQUAL(r.body, "next");
	http_client_forget(NULL);
	http_client_free(cli);
	http_server_free(srv);
}

void test_http_limits_answered(void)
{
	struct http_limits lim = { .max_header_bytes = 200, .max_headers = 4, .max_body = 16 };
	struct http_server *srv = server(&lim, NULL);
	struct http_client *cli = client(srv, NULL);
	struct result r;
	char big[300];
	struct http_header many[] = { { "A", "1" }, { "B", "2" }, { "C", "3" }, { "D", "4" } };
	struct http_header longh[] = { { "X-Long", big } };
	struct http_out o = { .method = "GET", .url = "/echo", .hdr = many, .num_hdr = 4 };

	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	/* body too large: 413 and close */
	post(cli, "/echo", "0123456789abcdefX", false, &r);
	CU_ASSERT_EQUAL(r.rc, 0);
	CU_ASSERT_EQUAL(r.status, 413);
	/* body at the cap: fine, on a new connection */
	post(cli, "/echo", "0123456789abcdef", true, &r);
	CU_ASSERT_EQUAL(r.status, 200);
	CU_ASSERT_EQUAL(http_client_num_connects(cli), 2);
	/* four headers + Host = 5 > 4: 431 */
	memset(&r, 0, sizeof(r));
	CU_ASSERT_EQUAL(http_client_request(cli, &o, result_cb, &r), 0);
	run_until(&r.done);
	CU_ASSERT_EQUAL(r.status, 431);
	/* a header line over max_header_bytes: 431 */
	o.hdr = longh;
	o.num_hdr = 1;
	memset(&r, 0, sizeof(r));
	CU_ASSERT_EQUAL(http_client_request(cli, &o, result_cb, &r), 0);
	run_until(&r.done);
	CU_ASSERT_EQUAL(r.status, 431);
	CU_ASSERT_EQUAL(http_server_stats(srv)->rejected, 3);
	run_some(5);
	CU_ASSERT_EQUAL(http_server_num_conns(srv), 0); /* every rejection closed its connection */
	http_client_free(cli);
	http_server_free(srv);
}

/* A raw TCP peer for byte-exact tests. */
static int raw_connect(struct http_server *srv)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(http_server_port(srv)) };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);

	inet_pton(AF_INET, "127.0.0.1", &sin.sin_addr);
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0 && errno != EINPROGRESS)
		CU_FAIL("connect");
	return fd;
}

/* Read what the server sent until it closes (bounded by the guard). */
static size_t raw_read_all(int fd, char *buf, size_t len, bool *closed)
{
	size_t got = 0;

	*closed = false;
	guard_fired = false;
	for (int i = 0; i < 2000 && !*closed; i++) {
		ssize_t n;
		osmo_select_main(1);
		n = recv(fd, buf + got, len - 1 - got, 0);
		if (n > 0)
			got += (size_t)n;
		else if (n == 0)
			*closed = true;
		if (got >= len - 1)
			break;
		if (n < 0)
			usleep(1000);
	}
	buf[got] = '\0';
	return got;
}

void test_http_bad_requests_raw(void)
{
	static const struct {
		const char *req;
		const char *status_line;
	} v[] = {
		{ "POST /echo HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", "HTTP/1.1 400 " },
		{ "GARBAGE\r\n\r\n", "HTTP/1.1 400 " },
		{ "POST /echo HTTP/1.1\r\nContent-Length: 99999999\r\n\r\n", "HTTP/1.1 413 " },
		{ "CONNECT a:1 HTTP/1.1\r\n\r\n", "HTTP/1.1 501 " },
		/* pipelined: both answered in order, the second closes */
		{ "GET /echo HTTP/1.1\r\n\r\nGET /gsma/x HTTP/1.1\r\nConnection: close\r\n\r\n", "HTTP/1.1 200 OK" },
	};
	struct http_server *srv = server(NULL, NULL);

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		int fd = raw_connect(srv);
		char buf[2048];
		bool closed;
		run_some(3);
		CU_ASSERT_EQUAL(send(fd, v[i].req, strlen(v[i].req), MSG_NOSIGNAL), (ssize_t)strlen(v[i].req));
		raw_read_all(fd, buf, sizeof(buf), &closed);
		CU_ASSERT(closed);
		CU_ASSERT_EQUAL(strncmp(buf, v[i].status_line, strlen(v[i].status_line)), 0);
		if (i == 4) {
			CU_ASSERT_PTR_NOT_NULL(strstr(buf, "X-Path: /echo"));
			CU_ASSERT_PTR_NOT_NULL(strstr(buf, "X-Path: /gsma/x"));
			CU_ASSERT(strstr(buf, "X-Path: /echo") < strstr(buf, "X-Path: /gsma/x"));
		} else {
			CU_ASSERT_PTR_NOT_NULL(strstr(buf, "Connection: close"));
		}
		close(fd);
	}
	http_server_free(srv);
}

void test_http_idle_timeout(void)
{
	struct http_server *srv = server(NULL, NULL);
	struct http_client *cli = client(srv, NULL);
	struct result r;
	bool gone = false;

	post(cli, "/echo", "x", false, &r);
	CU_ASSERT_EQUAL(r.status, 200);
	CU_ASSERT_EQUAL(http_server_num_conns(srv), 1);
	/* X1 closes the idle connection (on one side or the other) */
	{
		struct osmo_timer_list guard = { 0 };
		guard_fired = false;
		osmo_timer_setup(&guard, guard_cb, NULL);
		osmo_timer_schedule(&guard, 5, 0);
		for (int i = 0; i < 200000 && !gone && !guard_fired; i++) {
			osmo_select_main(0);
			gone = http_server_num_conns(srv) == 0;
		}
		osmo_timer_del(&guard);
	}
	CU_ASSERT(gone);
	run_some(3); /* let the client see the close */
	/* the next request reconnects transparently */
	post(cli, "/echo", "y", false, &r);
	CU_ASSERT_EQUAL(r.status, 200);
	CU_ASSERT_EQUAL(http_client_num_connects(cli), 2);
	CU_ASSERT(http_server_stats(srv)->idle_timeouts >= 1 || http_client_num_connects(cli) == 2);
	http_client_free(cli);
	http_server_free(srv);
}

void test_http_request_timeouts(void)
{
	struct http_server *srv = server(NULL, NULL);
	struct http_client *cli;
	struct http_out o = { .method = "POST", .url = "/hold" };
	struct result r = { 0 };
	char buf[1024];
	bool closed;
	int fd;

	/* a request that never completes: 408 */
	fd = raw_connect(srv);
	run_some(2);
	CU_ASSERT(send(fd, "POST /echo HTTP/1.1\r\nContent-Le", 31, MSG_NOSIGNAL) == 31);
	raw_read_all(fd, buf, sizeof(buf), &closed);
	CU_ASSERT(closed);
	CU_ASSERT_EQUAL(strncmp(buf, "HTTP/1.1 408 ", 13), 0);
	close(fd);
	CU_ASSERT_EQUAL(http_server_stats(srv)->request_timeouts, 1);

	/* a handler that never answers: the request is aborted (callback), the client gets 503 */
	cli = client(srv, NULL);
	held = NULL;
	held_aborted = false;
	CU_ASSERT_EQUAL(http_client_request(cli, &o, result_cb, &r), 0);
	run_until(&r.done);
	CU_ASSERT_EQUAL(r.rc, 0);
	CU_ASSERT_EQUAL(r.status, 503);
	CU_ASSERT(held_aborted);
	CU_ASSERT_PTR_NULL(held);
	CU_ASSERT_EQUAL(http_server_stats(srv)->request_timeouts, 2);
	http_client_free(cli);
	http_server_free(srv);
}

void test_http_client_timeout_and_refused(void)
{
	struct http_server *srv = server(NULL, NULL);
	struct osmo_tdef tdefs[] = {
		{ .T = HTTP_T_RESPONSE, .default_val = 100, .val = 100, .unit = OSMO_TDEF_MS, .desc = "r" },
		{ .T = HTTP_T_REQUEST, .default_val = 5000, .val = 5000, .unit = OSMO_TDEF_MS, .desc = "q" },
		{}
	};
	struct http_client_cfg cfg = { .host = "127.0.0.1", .port = http_server_port(srv), .tdefs = tdefs };
	struct http_client *cli = http_client_alloc(ctx, &cfg);
	struct http_out o = { .method = "GET", .url = "/hold" };
	struct result r = { 0 };
	uint16_t port;

	/* X3 fires before the (held) answer */
	CU_ASSERT_EQUAL(http_client_request(cli, &o, result_cb, &r), 0);
	run_until(&r.done);
	CU_ASSERT_EQUAL(r.rc, -ETIMEDOUT);
	CU_ASSERT_PTR_NOT_NULL(strstr(http_client_err_str(cli), "timeout"));
	run_some(5);
	http_client_free(cli);

	/* nobody listening: an error, through the callback or the return value */
	port = http_server_port(srv);
	http_server_free(srv);
	cfg.port = port;
	cli = http_client_alloc(ctx, &cfg);
	memset(&r, 0, sizeof(r));
	{
		int rc = http_client_request(cli, &o, result_cb, &r);
		if (rc == 0)
			run_until(&r.done);
		else
			r.rc = rc;
	}
	CU_ASSERT_EQUAL(r.rc, -ECONNREFUSED);
	http_client_free(cli);
}

/* ---- HTTPS -------------------------------------------------------------------------------------- */

static struct tls_ctx *mk(const struct tls_cfg *cfg)
{
	char err[256];
	struct tls_ctx *t = tls_ctx_alloc(ctx, cfg, err, sizeof(err));

	if (!t)
		fprintf(stderr, "tls_ctx_alloc: %s\n", err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	return t;
}

static struct tls_ctx *srv_tls(X509 *cert, EVP_PKEY *key)
{
	static X509 *cas[1];
	struct tls_cfg c = { .role = TLS_ROLE_SERVER,
			     .cert = cert,
			     .key = key,
			     .ca_certs = cas,
			     .num_ca_certs = 1,
			     .require_client_cert = true };
	cas[0] = ca;
	return mk(&c);
}

static struct tls_ctx *cli_tls(X509 *cert, EVP_PKEY *key, X509 *trust)
{
	static X509 *cas[1];
	struct tls_cfg c = { .role = TLS_ROLE_CLIENT,
			     .cert = cert,
			     .key = key,
			     .ca_certs = cas,
			     .num_ca_certs = 1,
			     .verify_host = "127.0.0.1",
			     .max_version = TLS1_2_VERSION };
	cas[0] = trust;
	return mk(&c);
}

void test_http_tls_mutual_ok(void)
{
	struct tls_ctx *st = srv_tls(srv_cert, srv_key), *ct = cli_tls(cli_cert, cli_key, ca);
	struct http_server *srv = server(NULL, st);
	struct http_client *cli = client(srv, ct);
	struct result r;

	for (int i = 0; i < 3; i++) {
		post(cli, "/echo", "over TLS", i == 1, &r);
		CU_ASSERT_EQUAL(r.rc, 0);
		CU_ASSERT_EQUAL(r.status, 200);
		CU_ASSERT_STRING_EQUAL(r.body, "over TLS");
	}
	CU_ASSERT_EQUAL(http_client_num_connects(cli), 1);
	CU_ASSERT_EQUAL(http_server_stats(srv)->tls_failures, 0);
	http_client_free(cli);
	http_server_free(srv);
	talloc_free(st);
	talloc_free(ct);
}

static void tls_fail_case(struct tls_ctx *st, struct tls_ctx *ct, const char *cli_reason, const char *srv_reason)
{
	struct http_server *srv = server(NULL, st);
	struct http_client *cli = client(srv, ct);
	struct result r;
	bool seen = false;

	post(cli, "/echo", "x", false, &r);
	CU_ASSERT_EQUAL(r.rc, -EPROTO);
	if (!strstr(http_client_err_str(cli), cli_reason)) {
		fprintf(stderr, "client reason \"%s\" lacks \"%s\"\n", http_client_err_str(cli), cli_reason);
		CU_FAIL("client reason");
	}
	for (int i = 0; i < 200 && !seen; i++) {
		run_some(1);
		seen = http_server_stats(srv)->tls_failures > 0;
	}
	CU_ASSERT(seen);
	if (!strstr(http_server_last_error(srv), srv_reason)) {
		fprintf(stderr, "server reason \"%s\" lacks \"%s\"\n", http_server_last_error(srv), srv_reason);
		CU_FAIL("server reason");
	}
	http_client_free(cli);
	http_server_free(srv);
	talloc_free(st);
	talloc_free(ct);
}

void test_http_tls_unknown_ca(void)
{
	/* the client trusts another CA */
	tls_fail_case(srv_tls(srv_cert, srv_key), cli_tls(cli_cert, cli_key, ca2), "TLS: unknown CA",
		      "TLS: unknown CA: alert from peer");
	/* the server does not know the client's CA */
	tls_fail_case(srv_tls(srv_cert, srv_key), cli_tls(cli2_cert, cli2_key, ca), "TLS: unknown CA: alert from peer",
		      "TLS: unknown CA: unable to get local issuer certificate");
}

void test_http_tls_expired(void)
{
	tls_fail_case(srv_tls(old_cert, old_key), cli_tls(cli_cert, cli_key, ca),
		      "TLS: certificate expired: certificate has expired", "TLS: certificate expired: alert from peer");
}

void test_http_tls_missing_client_cert(void)
{
	tls_fail_case(srv_tls(srv_cert, srv_key), cli_tls(NULL, NULL, ca), "TLS: missing client certificate",
		      "TLS: missing client certificate");
}

/* ---- SCP81: the memory-pipe client (as inside the card over BIP) against the PSK server --------- */

static const char psk_id[] = "8001028110890490321234512345123456789012354F10A0000005591010FFFFFFFF8900000100"
			     "820101830140";
static const uint8_t psk_key[16] = { 0x40, 0x41, 0x42, 0x43, 0x44, 0x45, 0x46, 0x47,
				     0x48, 0x49, 0x4a, 0x4b, 0x4c, 0x4d, 0x4e, 0x4f };

static size_t psk_lookup(void *priv, const char *identity, uint8_t *psk, size_t psk_max)
{
	if (strcmp(identity, psk_id) != 0)
		return 0;
	memcpy(psk, psk_key, sizeof(psk_key));
	return sizeof(psk_key);
}

/* The "BIP" side: shuttle bytes between a raw socket and the client's TLS pipe, drive the loop. */
static int bip_exchange(int fd, struct tls_conn *c, const char *req, char *resp, size_t resp_len)
{
	uint8_t buf[4096];
	size_t got = 0;
	bool sent = false;
	int rc = -EAGAIN;

	for (int i = 0; i < 3000; i++) {
		size_t n;
		ssize_t r;
		if (!tls_conn_handshake_done(c)) {
			rc = tls_conn_handshake(c);
			if (rc == -EPROTO)
				return rc;
		}
		if (tls_conn_handshake_done(c) && !sent) {
			CU_ASSERT_EQUAL(tls_conn_write(c, (const uint8_t *)req, strlen(req)), (ssize_t)strlen(req));
			sent = true;
		}
		while ((n = tls_conn_take(c, buf, sizeof(buf))) > 0)
			CU_ASSERT_EQUAL(send(fd, buf, n, MSG_NOSIGNAL), (ssize_t)n);
		osmo_select_main(1);
		r = recv(fd, buf, sizeof(buf), 0);
		if (r == 0)
			return tls_conn_handshake_done(c) ? (int)got : -ECONNRESET;
		if (r > 0)
			tls_conn_feed(c, buf, (size_t)r);
		if (sent) {
			ssize_t p = tls_conn_read(c, (uint8_t *)resp + got, resp_len - 1 - got);
			if (p > 0) {
				got += (size_t)p;
				resp[got] = '\0';
				if (strstr(resp, "\r\n0\r\n\r\n")) /* the chunked answer is complete */
					return (int)got;
			} else if (p == -EPROTO) {
				return -EPROTO;
			}
		}
		if (r < 0)
			usleep(200);
	}
	return -ETIMEDOUT;
}

void test_http_scp81_psk_memory_pipe_client(void)
{
	static const char *suites[] = { "PSK-AES128-GCM-SHA256", "PSK-AES128-CBC-SHA256" };
	/* digest §5.2 step 1: the first POST of the RAM-over-HTTP session (chunked, as the card sends it) */
	static const char post1[] = "POST /gsma/adminagent HTTP/1.1\r\n"
				    "Host: smsr\r\n"
				    "X-Admin-Protocol: globalplatform-remote-admin/1.0\r\n"
				    "X-Admin-From: //se-id/eid/89049032123451234512345678901235;"
				    "//aa-id/aid/A000000559/1010FFFFFFFF8900000100\r\n"
				    "Transfer-Encoding: chunked\r\n\r\n"
				    "0\r\n\r\n";
	struct tls_cfg sc = { .role = TLS_ROLE_SERVER, .psk_lookup = psk_lookup };
	struct tls_ctx *st = mk(&sc);
	struct http_server *srv = server(NULL, st);

	for (size_t i = 0; i < 2; i++) {
		struct tls_cfg cc = { .role = TLS_ROLE_CLIENT,
				      .psk_identity = psk_id,
				      .psk = psk_key,
				      .psk_len = 16,
				      .ciphers = suites[i] };
		struct tls_ctx *ct = mk(&cc);
		struct tls_conn *c = tls_conn_alloc(ctx, ct);
		char resp[2048];
		int fd = raw_connect(srv), rc;

		rc = bip_exchange(fd, c, post1, resp, sizeof(resp));
		CU_ASSERT(rc > 0);
		CU_ASSERT_STRING_EQUAL(tls_conn_cipher(c), suites[i]);
		CU_ASSERT_EQUAL(strncmp(resp, "HTTP/1.1 200 OK\r\n", 17), 0);
		CU_ASSERT_PTR_NOT_NULL(strstr(resp, "Transfer-Encoding: chunked"));
		CU_ASSERT_PTR_NOT_NULL(strstr(resp, "X-Path: /gsma/adminagent"));
		close(fd);
		talloc_free(c);
		talloc_free(ct);
	}
	/* unknown identity and wrong key fail with their reasons on both sides */
	for (int k = 0; k < 2; k++) {
		uint8_t wrong[16];
		struct tls_cfg cc = { .role = TLS_ROLE_CLIENT,
				      .psk_identity = k ? psk_id : "8001028110000000",
				      .psk = k ? wrong : psk_key,
				      .psk_len = 16 };
		struct tls_ctx *ct;
		struct tls_conn *c;
		char resp[256];
		int fd, rc;
		unsigned long before = http_server_stats(srv)->tls_failures;

		memcpy(wrong, psk_key, 16);
		wrong[0] ^= 0x80;
		ct = mk(&cc);
		c = tls_conn_alloc(ctx, ct);
		fd = raw_connect(srv);
		rc = bip_exchange(fd, c, post1, resp, sizeof(resp));
		CU_ASSERT_EQUAL(rc, -EPROTO);
		CU_ASSERT_EQUAL(tls_conn_fail(c), k ? TLS_FAIL_PSK_MISMATCH : TLS_FAIL_BAD_PSK_IDENTITY);
		run_some(5);
		CU_ASSERT_EQUAL(http_server_stats(srv)->tls_failures, before + 1);
		CU_ASSERT_PTR_NOT_NULL(
			strstr(http_server_last_error(srv), k ? "TLS: PSK mismatch" : "TLS: bad PSK identity"));
		close(fd);
		talloc_free(c);
		talloc_free(ct);
	}
	http_server_free(srv);
	talloc_free(st);
}

/* ---- connection close notification (on_conn_close, conn id, conn data) -------------------------------- */

static struct {
	unsigned int n;
	uint64_t id[8];
	void *data[8];
	enum http_conn_end why[8];
	bool abort_first; /* the held request's abort callback had run when the close came */
} closes;
static uint64_t mark_id;
static unsigned int mark_calls;
static int marker;

static void on_conn_close(struct http_server *srv, uint64_t conn_id, void *conn_data, enum http_conn_end why,
			  void *priv)
{
	CU_ASSERT_PTR_EQUAL(priv, &closes);
	if (closes.n < 8) {
		closes.id[closes.n] = conn_id;
		closes.data[closes.n] = conn_data;
		closes.why[closes.n] = why;
	}
	closes.n++;
	closes.abort_first = held_aborted;
}

/* Marks its connection on the first request, checks the mark and the id on the next ones. */
static void mark_cb(struct http_req *req, void *priv)
{
	uint64_t id = http_req_conn_id(req);

	CU_ASSERT(id != 0);
	if (mark_calls++ == 0 || !http_req_conn_data(req)) {
		CU_ASSERT_PTR_NULL(http_req_conn_data(req));
		http_req_set_conn_data(req, &marker);
		mark_id = id;
	} else {
		CU_ASSERT_EQUAL(id, mark_id);
		CU_ASSERT_PTR_EQUAL(http_req_conn_data(req), &marker);
	}
	CU_ASSERT_EQUAL(http_req_respond(req, &(struct http_out){ .status = 200 }), 0);
}

static const struct http_route close_routes[] = {
	{ .path = "/mark", .cb = mark_cb },
	{ .path = "/hold", .cb = hold_cb },
};

static struct http_server *close_server(struct tls_ctx *tls)
{
	struct http_server_cfg cfg = { .addr = "127.0.0.1",
				       .tls = tls,
				       .routes = close_routes,
				       .num_routes = 2,
				       .tdefs = fast_tdefs,
				       .on_conn_close = on_conn_close,
				       .priv = &closes };
	struct http_server *srv = http_server_alloc(ctx, &cfg);

	CU_ASSERT_PTR_NOT_NULL_FATAL(srv);
	memset(&closes, 0, sizeof(closes));
	mark_calls = 0;
	mark_id = 0;
	held = NULL;
	held_aborted = false;
	return srv;
}

/* Run the loop until n closes were seen (bounded by the guard). */
static void wait_closes(unsigned int n)
{
	struct osmo_timer_list guard = { 0 };

	guard_fired = false;
	osmo_timer_setup(&guard, guard_cb, NULL);
	osmo_timer_schedule(&guard, 5, 0);
	for (int i = 0; i < 20000 && closes.n < n && !guard_fired; i++)
		osmo_select_main(0);
	osmo_timer_del(&guard);
	CU_ASSERT_EQUAL(closes.n, n);
}

static struct http_client *slow_client(struct http_server *srv, struct tls_ctx *tls)
{
	static struct osmo_tdef slow[] = {
		{ .T = HTTP_T_IDLE, .default_val = 5000, .val = 5000, .unit = OSMO_TDEF_MS, .desc = "idle" },
		{ .T = HTTP_T_RESPONSE, .default_val = 3000, .val = 3000, .unit = OSMO_TDEF_MS, .desc = "response" },
		{}
	};
	struct http_client_cfg cfg = { .host = "127.0.0.1", .port = http_server_port(srv), .tls = tls, .tdefs = slow };
	struct http_client *cli = http_client_alloc(ctx, &cfg);

	CU_ASSERT_PTR_NOT_NULL_FATAL(cli);
	return cli;
}

static void conn_close_cases(struct tls_ctx *st, struct tls_ctx *ct)
{
	struct http_server *srv = close_server(st);
	struct http_client *cli = slow_client(srv, ct), *cli2;
	struct result r;
	uint64_t first, second;

	/* 1. closed by the peer: once, with the id and the data its handler set */
	for (int i = 0; i < 3; i++) {
		post(cli, "/mark", "", false, &r);
		CU_ASSERT_EQUAL(r.status, 200);
	}
	CU_ASSERT_EQUAL(mark_calls, 3);
	CU_ASSERT_EQUAL(http_client_num_connects(cli), 1);
	CU_ASSERT_EQUAL(closes.n, 0);
	first = mark_id;
	http_client_free(cli);
	wait_closes(1);
	CU_ASSERT_EQUAL(closes.id[0], first);
	CU_ASSERT_PTR_EQUAL(closes.data[0], &marker);
	CU_ASSERT_EQUAL(closes.why[0], HTTP_CONN_END_PEER);
	CU_ASSERT_STRING_EQUAL(get_value_string(http_conn_end_names, closes.why[0]), "closed by the peer");
	run_some(5);
	CU_ASSERT_EQUAL(closes.n, 1); /* exactly once */

	/* 2. the server's idle timeout (X1; the client's is longer): a new id, its data */
	cli = slow_client(srv, ct);
	mark_calls = 0;
	post(cli, "/mark", "", false, &r);
	CU_ASSERT_EQUAL(r.status, 200);
	second = mark_id;
	CU_ASSERT(second > first);
	wait_closes(2);
	CU_ASSERT_EQUAL(closes.id[1], second);
	CU_ASSERT_PTR_EQUAL(closes.data[1], &marker);
	CU_ASSERT_EQUAL(closes.why[1], HTTP_CONN_END_IDLE);
	CU_ASSERT(http_server_stats(srv)->idle_timeouts >= 1);
	run_some(3);
	http_client_free(cli);

	/* 3. a held request, then the peer closes: the server does not read while a request is being
	 * handled, so X2 ends it: the abort callback first, then the close (TIMEOUT), no data */
	cli = slow_client(srv, ct);
	memset(&r, 0, sizeof(r));
	CU_ASSERT_EQUAL(http_client_request(cli, &(struct http_out){ .method = "POST", .url = "/hold" }, result_cb, &r),
			0);
	for (int i = 0; i < 2000 && !held; i++)
		osmo_select_main(1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(held);
	CU_ASSERT(http_req_conn_id(held) > second);
	CU_ASSERT_PTR_NULL(http_req_conn_data(held));
	http_client_free(cli);
	wait_closes(3);
	CU_ASSERT(held_aborted);
	CU_ASSERT(closes.abort_first);
	CU_ASSERT_PTR_NULL(closes.data[2]);
	CU_ASSERT_EQUAL(closes.why[2], HTTP_CONN_END_TIMEOUT);

	/* 4. two connections open when the server is freed: both reported from inside the free, then
	 * never again */
	cli = slow_client(srv, ct);
	cli2 = slow_client(srv, ct);
	mark_calls = 0;
	post(cli, "/mark", "", false, &r);
	mark_calls = 0;
	post(cli2, "/mark", "", false, &r);
	CU_ASSERT_EQUAL(http_server_num_conns(srv), 2);
	CU_ASSERT_EQUAL(http_server_stats(srv)->accepted, 5);
	CU_ASSERT_EQUAL(closes.n, 3);
	http_server_free(srv);
	CU_ASSERT_EQUAL(closes.n, 5); /* once per accepted connection in all */
	CU_ASSERT_EQUAL(closes.why[3], HTTP_CONN_END_SHUTDOWN);
	CU_ASSERT_EQUAL(closes.why[4], HTTP_CONN_END_SHUTDOWN);
	CU_ASSERT_PTR_EQUAL(closes.data[3], &marker);
	CU_ASSERT(closes.id[3] != closes.id[4]);
	run_some(5);
	CU_ASSERT_EQUAL(closes.n, 5);
	http_client_free(cli);
	http_client_free(cli2);
	run_some(3);
	CU_ASSERT_EQUAL(closes.n, 5);
}

void test_http_conn_close_plain(void)
{
	conn_close_cases(NULL, NULL);
}

void test_http_conn_close_tls(void)
{
	struct tls_ctx *st = srv_tls(srv_cert, srv_key), *ct = cli_tls(cli_cert, cli_key, ca);
	struct tls_ctx *bad = cli_tls(cli_cert, cli_key, ca2);
	struct http_server *srv;
	struct http_client *cli;
	struct result r;

	conn_close_cases(st, ct);

	/* a failed handshake closes the connection too: reported once, as an error */
	srv = close_server(st);
	cli = client(srv, bad);
	post(cli, "/mark", "", false, &r);
	CU_ASSERT_EQUAL(r.rc, -EPROTO);
	wait_closes(1);
	CU_ASSERT_EQUAL(closes.why[0], HTTP_CONN_END_ERROR);
	CU_ASSERT_PTR_NULL(closes.data[0]);
	CU_ASSERT_EQUAL(mark_calls, 0);
	http_client_free(cli);
	run_some(5);
	CU_ASSERT_EQUAL(closes.n, 1);
	http_server_free(srv);
	CU_ASSERT_EQUAL(closes.n, 1);
	talloc_free(st);
	talloc_free(ct);
	talloc_free(bad);
}

/* A server answering with Connection: close reports its own close as DONE. */
void test_http_conn_close_after_response(void)
{
	struct http_server *srv = close_server(NULL);
	int fd = raw_connect(srv);
	static const char req[] = "POST /mark HTTP/1.1\r\nConnection: close\r\nContent-Length: 0\r\n\r\n";
	char buf[1024];
	bool closed;

	run_some(2);
	CU_ASSERT_EQUAL(send(fd, req, strlen(req), MSG_NOSIGNAL), (ssize_t)strlen(req));
	raw_read_all(fd, buf, sizeof(buf), &closed);
	CU_ASSERT(closed);
	CU_ASSERT_EQUAL(strncmp(buf, "HTTP/1.1 200 ", 13), 0);
	wait_closes(1);
	CU_ASSERT_EQUAL(closes.why[0], HTTP_CONN_END_DONE);
	CU_ASSERT_PTR_EQUAL(closes.data[0], &marker);
	close(fd);
	http_server_free(srv);
	CU_ASSERT_EQUAL(closes.n, 1);
}
