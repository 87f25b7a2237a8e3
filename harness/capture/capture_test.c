/* harness/capture: a live capture on `lo` (root only: CI runs as root) while a lib/http client talks
 * to a lib/http server, then the file is read back with libpcap and the request is found in it. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <pcap/pcap.h>
#include <osmocom/core/select.h>
#include <osmocom/core/timer.h>
#include <talloc.h>

#include "harness/capture/capture.h"
#include "lib/http/http.h"
#include "lib/test/runner.h"

static void *ctx;
static char tmpdir[64];

int suite_setup(void)
{
	ctx = talloc_named_const(NULL, 0, "capture_test");
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/rsplab-capture-XXXXXX");
	return (ctx && mkdtemp(tmpdir)) ? 0 : -1;
}

int suite_teardown(void)
{
	char path[128];

	snprintf(path, sizeof(path), "%s/lo.pcap", tmpdir);
	unlink(path);
	rmdir(tmpdir);
	talloc_free(ctx);
	return 0;
}

static void hello_cb(struct http_req *req, void *priv)
{
	static const char body[] = "hello from the server";
	struct http_out o = { .status = 200, .body = (const uint8_t *)body, .body_len = sizeof(body) - 1 };

	http_req_respond(req, &o);
}

static bool got_resp;
static int resp_rc = -1;
static void resp_cb(struct http_client *cli, int rc, const struct http_msg *resp, void *priv)
{
	resp_rc = rc;
	got_resp = true;
}

static bool guard_fired;
static void guard_cb(void *data)
{
	guard_fired = true;
}

/* Find needle in the TCP payloads of a pcap file; returns how many frames hold it. */
static int pcap_file_count(const char *path, const char *needle)
{
	char ebuf[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *h;
	const u_char *data;
	int n = 0;
	pcap_t *p = pcap_open_offline(path, ebuf);

	if (!p)
		return -1;
	while (pcap_next_ex(p, &h, &data) == 1)
		if (memmem(data, h->caplen, needle, strlen(needle)))
			n++;
	pcap_close(p);
	return n;
}

void test_capture_lo_http(void)
{
	static const char body[] = "<capture-test-request/>";
	char path[128], filter[64], err[256] = "", stats[512];
	const char *ifs[] = { "lo" };
	struct http_route route = { .path = "/capture-test", .cb = hello_cb };
	struct http_server_cfg scfg = { .addr = "127.0.0.1", .routes = &route, .num_routes = 1 };
	struct http_server *srv;
	struct http_client *cli;
	struct capture *cap;
	struct osmo_timer_list guard = { 0 };
	int rc = 0;

	if (geteuid() != 0) {
		fprintf(stderr, "SKIP capture_lo_http: live capture needs root (CAP_NET_RAW); CI runs as root\n");
		return;
	}
	srv = http_server_alloc(ctx, &scfg);
	CU_ASSERT_PTR_NOT_NULL_FATAL(srv);
	snprintf(path, sizeof(path), "%s/lo.pcap", tmpdir);
	snprintf(filter, sizeof(filter), "tcp port %u", http_server_port(srv));
	struct capture_cfg ccfg = { .ifaces = ifs, .num_ifaces = 1, .path = path, .filter = filter };
	cap = capture_start(ctx, &ccfg, err, sizeof(err), &rc);
	if (!cap)
		fprintf(stderr, "capture_start: %s (%d)\n", err, rc);
	CU_ASSERT_PTR_NOT_NULL_FATAL(cap);

	struct http_client_cfg ccli = { .host = "127.0.0.1", .port = http_server_port(srv) };
	cli = http_client_alloc(ctx, &ccli);
	CU_ASSERT_PTR_NOT_NULL_FATAL(cli);
	struct http_out req = {
		.method = "POST", .url = "/capture-test", .body = (const uint8_t *)body, .body_len = sizeof(body) - 1
	};
	CU_ASSERT_EQUAL(http_client_request(cli, &req, resp_cb, NULL), 0);

	guard_fired = false;
	osmo_timer_setup(&guard, guard_cb, NULL);
	osmo_timer_schedule(&guard, 5, 0);
	for (int i = 0; i < 20000 && !got_resp && !guard_fired; i++)
		osmo_select_main(0);
	osmo_timer_del(&guard);
	CU_ASSERT_FALSE(guard_fired);
	CU_ASSERT_EQUAL(resp_rc, 0);
	/* The select loop already dispatched most packets; stop drains the rest. */
	for (int i = 0; i < 5; i++)
		osmo_select_main(1);
	CU_ASSERT_EQUAL(capture_stop(cap), 0);
	CU_ASSERT_EQUAL(capture_stop(cap), 0); /* idempotent */

	const struct capture_stats *st = capture_stats(cap);
	CU_ASSERT_EQUAL(st->num_ifaces, 1);
	CU_ASSERT_EQUAL(st->linktype, DLT_EN10MB); /* Linux lo */
	CU_ASSERT(st->written_packets >= 4);	   /* SYN, SYN-ACK, request, response at least */
	CU_ASSERT_EQUAL(st->over_limit, 0);
	CU_ASSERT_TRUE(st->ifs[0].stats_valid);
	CU_ASSERT_EQUAL(st->ifs[0].ps_drop, 0);
	CU_ASSERT(capture_stats_format(cap, stats, sizeof(stats)) > 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(stats, "lo: received "));

	CU_ASSERT_EQUAL(pcap_file_count(path, "POST /capture-test HTTP/1.1"), 1);
	CU_ASSERT_EQUAL(pcap_file_count(path, "<capture-test-request/>"), 1);
	CU_ASSERT_EQUAL(pcap_file_count(path, "hello from the server"), 1);

	capture_free(cap);
	http_client_free(cli);
	http_server_free(srv);
}

void test_capture_bounded(void)
{
	char path[128], err[256] = "";
	const char *ifs[] = { "lo" };
	struct capture *cap;
	int rc = 0;

	if (geteuid() != 0) {
		fprintf(stderr, "SKIP capture_bounded: live capture needs root (CAP_NET_RAW); CI runs as root\n");
		return;
	}
	snprintf(path, sizeof(path), "%s/lo.pcap", tmpdir);
	/* max one packet: a plain HTTP exchange over lo produces more, the rest is counted. */
	struct http_route route = { .path = "/capture-test", .cb = hello_cb };
	struct http_server_cfg scfg = { .addr = "127.0.0.1", .routes = &route, .num_routes = 1 };
	struct http_server *srv = http_server_alloc(ctx, &scfg);
	char filter[64];
	CU_ASSERT_PTR_NOT_NULL_FATAL(srv);
	snprintf(filter, sizeof(filter), "tcp port %u", http_server_port(srv));
	struct capture_cfg ccfg = { .ifaces = ifs, .num_ifaces = 1, .path = path, .filter = filter, .max_packets = 1 };
	cap = capture_start(ctx, &ccfg, err, sizeof(err), &rc);
	CU_ASSERT_PTR_NOT_NULL_FATAL(cap);
	struct http_client_cfg ccli = { .host = "127.0.0.1", .port = http_server_port(srv) };
	struct http_client *cli = http_client_alloc(ctx, &ccli);
	struct http_out req = { .method = "GET", .url = "/capture-test" };
	got_resp = false;
	CU_ASSERT_EQUAL(http_client_request(cli, &req, resp_cb, NULL), 0);
	for (int i = 0; i < 20000 && !got_resp; i++)
		osmo_select_main(1);
	CU_ASSERT_TRUE(got_resp);
	capture_stop(cap);
	CU_ASSERT_EQUAL(capture_stats(cap)->written_packets, 1);
	CU_ASSERT(capture_stats(cap)->over_limit >= 3);
	capture_free(cap);
	http_client_free(cli);
	http_server_free(srv);
}

void test_capture_bad_config(void)
{
	char err[256] = "";
	const char *ifs[] = { "no-such-if0" };
	int rc = 0;
	struct capture_cfg none = { .ifaces = ifs, .num_ifaces = 0, .path = "x.pcap" };

	CU_ASSERT_PTR_NULL(capture_start(ctx, &none, err, sizeof(err), &rc));
	CU_ASSERT_EQUAL(rc, -EINVAL);
	if (geteuid() != 0)
		return;
	struct capture_cfg bad = { .ifaces = ifs, .num_ifaces = 1, .path = "/nonexistent-dir/x.pcap" };
	CU_ASSERT_PTR_NULL(capture_start(ctx, &bad, err, sizeof(err), &rc));
	CU_ASSERT(rc < 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "no-such-if0"));
	CU_ASSERT_EQUAL(capture_stop(NULL), -EINVAL);
	capture_free(NULL);
}
