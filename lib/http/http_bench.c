/* Benchmark: HTTP request/response round trips per second over loopback with keep-alive, client and
 * server in one process on one osmo_select loop (one core): plain HTTP, HTTPS (ECDSA P-256, TLS 1.2
 * and 1.3) and SCP81 PSK-TLS. Reports the rates and their ratio to plain HTTP measured in the same run;
 * asserts nothing about time. Each phase runs for a fixed wall-clock slice (total well under 20 s). */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <osmocom/core/select.h>
#include <talloc.h>

#include "lib/http/http.h"
#include "lib/tls/pki.h"

#define PHASE_SECONDS 2.0

static uint8_t body[512];

static void echo_cb(struct http_req *req, void *priv)
{
	const struct http_msg *m = http_req_msg(req);
	struct http_out o = { .status = 200, .body = m->body, .body_len = m->body_len };

	http_req_respond(req, &o);
}

static const struct http_route routes[] = { { .path = "/echo", .cb = echo_cb } };

struct run {
	unsigned long done, errors;
	double deadline;
	bool finished;
};

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void resp_cb(struct http_client *cli, int rc, const struct http_msg *resp, void *priv);

static void next(struct http_client *cli, struct run *r)
{
	struct http_out o = { .method = "POST", .url = "/echo", .body = body, .body_len = sizeof(body) };

	if (now() >= r->deadline || http_client_request(cli, &o, resp_cb, r) < 0)
		r->finished = true;
}

static void resp_cb(struct http_client *cli, int rc, const struct http_msg *resp, void *priv)
{
	struct run *r = priv;

	if (rc == 0 && resp->status == 200 && resp->body_len == sizeof(body))
		r->done++;
	else
		r->errors++;
	next(cli, r);
}

static double phase(void *ctx, const char *name, struct tls_ctx *st, struct tls_ctx *ct)
{
	struct http_server_cfg scfg = { .addr = "127.0.0.1", .tls = st, .routes = routes, .num_routes = 1 };
	struct http_server *srv = http_server_alloc(ctx, &scfg);
	struct http_client_cfg ccfg = { .host = "127.0.0.1", .tls = ct };
	struct http_client *cli;
	struct run r = { 0 };
	double t0, dt;

	if (!srv) {
		printf("%s: cannot listen\n", name);
		return 0;
	}
	ccfg.port = http_server_port(srv);
	cli = http_client_alloc(ctx, &ccfg);
	t0 = now();
	r.deadline = t0 + PHASE_SECONDS;
	next(cli, &r);
	for (unsigned long i = 0; !r.finished && i < 100000000UL; i++)
		osmo_select_main(0);
	dt = now() - t0;
	printf("%-34s %9.0f round trips/s  (%lu in %.2f s, %lu errors, %lu connection(s))\n", name, r.done / dt, r.done,
	       dt, r.errors, http_client_num_connects(cli));
	http_client_free(cli);
	http_server_free(srv);
	return r.done / dt;
}

static size_t psk_lookup(void *priv, const char *identity, uint8_t *psk, size_t psk_max)
{
	memset(psk, 0x42, 16);
	return 16;
}

int main(void)
{
	void *ctx = talloc_named_const(NULL, 0, "http_bench");
	struct tls_pki_cert_params pca = {
		.cn = "bench CA", .is_ca = true, .not_before_s = -60, .not_after_s = 3600, .serial = 1
	};
	struct tls_pki_cert_params pl = {
		.cn = "127.0.0.1", .not_before_s = -60, .not_after_s = 3600, .san_ip = "127.0.0.1", .serial = 2
	};
	EVP_PKEY *cak = tls_pki_key_p256(), *k = tls_pki_key_p256();
	X509 *ca = tls_pki_cert_issue(&pca, cak, NULL, NULL), *leaf = tls_pki_cert_issue(&pl, k, ca, cak);
	X509 *cas[1] = { ca };
	static const char *const suites[] = { "PSK-AES128-GCM-SHA256", "PSK-AES128-CBC-SHA256" };
	double plain, rate;
	char name[64];

	memset(body, 'b', sizeof(body));
	printf("HTTP keep-alive round trips, %zu-byte request and response bodies, one process, one loop\n",
	       sizeof(body));
	plain = phase(ctx, "plain HTTP", NULL, NULL);
	for (int v = 0; v < 2; v++) {
		int ver = v ? TLS1_3_VERSION : TLS1_2_VERSION;
		struct tls_cfg sc = { .role = TLS_ROLE_SERVER,
				      .cert = leaf,
				      .key = k,
				      .ca_certs = cas,
				      .num_ca_certs = 1,
				      .require_client_cert = true,
				      .max_version = ver };
		struct tls_cfg cc = { .role = TLS_ROLE_CLIENT,
				      .cert = leaf,
				      .key = k,
				      .ca_certs = cas,
				      .num_ca_certs = 1,
				      .verify_host = "127.0.0.1",
				      .max_version = ver };
		struct tls_ctx *st = tls_ctx_alloc(ctx, &sc, NULL, 0), *ct = tls_ctx_alloc(ctx, &cc, NULL, 0);
		snprintf(name, sizeof(name), "HTTPS mutual TLS %s (P-256)", v ? "1.3" : "1.2");
		rate = phase(ctx, name, st, ct);
		printf("%-34s ratio to plain HTTP: %.2f\n", "", plain > 0 ? rate / plain : 0);
		talloc_free(st);
		talloc_free(ct);
	}
	for (int s = 0; s < 2; s++) {
		static const uint8_t key[16] = { 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42,
						 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42 };
		struct tls_cfg sc = { .role = TLS_ROLE_SERVER, .psk_lookup = psk_lookup };
		struct tls_cfg cc = { .role = TLS_ROLE_CLIENT,
				      .psk_identity = "bench",
				      .psk = key,
				      .psk_len = 16,
				      .ciphers = suites[s] };
		struct tls_ctx *st = tls_ctx_alloc(ctx, &sc, NULL, 0), *ct = tls_ctx_alloc(ctx, &cc, NULL, 0);
		snprintf(name, sizeof(name), "SCP81 %s", suites[s]);
		rate = phase(ctx, name, st, ct);
		printf("%-34s ratio to plain HTTP: %.2f\n", "", plain > 0 ? rate / plain : 0);
		talloc_free(st);
		talloc_free(ct);
	}
	X509_free(ca);
	X509_free(leaf);
	EVP_PKEY_free(cak);
	EVP_PKEY_free(k);
	talloc_free(ctx);
	return 0;
}
