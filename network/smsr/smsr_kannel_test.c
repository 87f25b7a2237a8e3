/* The Kannel HTTP transport against a fake smsbox (a lib/http server here): the sendsms request carries
 * the credentials, from/to, the UDH and the packet URL-encoded, coding=1 mclass=2 alt-dcs=1 pid=127 and a
 * per-SMS dlr-url; 202 is accepted, 403 a failed submission; the MO callback in Kannel's own encoding
 * (the network-lab §4 capture: udh=%02q%00&bin=%A0%A1%A2) goes up as a TP-UD; DLRs map to tx_status;
 * malformed callbacks get 400 and go nowhere. Every wait bounded. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <osmocom/core/application.h>
#include <osmocom/core/logging.h>
#include <osmocom/core/select.h>
#include <osmocom/core/timer.h>
#include <talloc.h>

#include "lib/http/http.h"
#include "lib/test/runner.h"
#include "network/smsr/smsr_kannel.h"
#include "network/smsr/smsr_log.h"

#define btw(fmt, args...) fprintf(stderr, "\n--- " fmt "\n", ##args)

static void *ctx;

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void tick_cb(void *data)
{
}

static bool run_until(bool (*cond)(void), unsigned int max_ms)
{
	struct osmo_timer_list tick;
	long long end = now_ms() + max_ms;

	osmo_timer_setup(&tick, tick_cb, NULL);
	while (now_ms() < end && !(cond && cond())) {
		osmo_timer_schedule(&tick, 0, 5000);
		osmo_select_main(0);
	}
	osmo_timer_del(&tick);
	return cond ? cond() : true;
}

/* ---- fake smsbox -------------------------------------------------------------------------------- */

static unsigned int sendsms_n, sendsms_status = 202;
static char last_query[2048];

static void sendsms_cb(struct http_req *req, void *priv)
{
	const char *q = strchr(http_req_msg(req)->url, '?');
	static const char body[] = "0: Accepted for delivery";

	snprintf(last_query, sizeof(last_query), "%s", q ? q + 1 : "");
	sendsms_n++;
	http_req_respond(req, &(struct http_out){ .status = sendsms_status,
						  .body = (const uint8_t *)body,
						  .body_len = sizeof(body) - 1 });
}

/* ---- upper side -------------------------------------------------------------------------------- */

static unsigned int n_mo, n_status, want;
static char mo_src[24];
static uint8_t mo_ud[160];
static size_t mo_len;
static uint32_t st_tag;
static int st_rc;

static void up_mo(void *priv, const char *src, const uint8_t *ud, size_t len)
{
	n_mo++;
	snprintf(mo_src, sizeof(mo_src), "%s", src);
	memcpy(mo_ud, ud, len);
	mo_len = len;
}

static void up_status(void *priv, uint32_t tag, int rc)
{
	n_status++;
	st_tag = tag;
	st_rc = rc;
}

static bool sendsms_reached(void)
{
	return sendsms_n >= want;
}
static bool status_reached(void)
{
	return n_status >= want;
}

static unsigned int cb_status, cb_n;
static void cli_cb(struct http_client *cli, int rc, const struct http_msg *resp, void *priv)
{
	cb_n++;
	cb_status = rc == 0 ? resp->status : 0;
}
static bool cb_reached(void)
{
	return cb_n >= want;
}

static unsigned int callback(struct http_client *cli, const char *url)
{
	want = cb_n + 1;
	CU_ASSERT_EQUAL(http_client_request(cli, &(struct http_out){ .method = "GET", .url = url }, cli_cb, NULL), 0);
	CU_ASSERT(run_until(cb_reached, 3000));
	return cb_status;
}

int suite_setup(void)
{
	ctx = talloc_named_const(NULL, 0, "smsr_kannel_test");
	osmo_init_logging2(ctx, &smsr_log_info);
	log_set_print_filename2(osmo_stderr_target, LOG_FILENAME_NONE);
	log_set_log_level(osmo_stderr_target, LOGL_INFO);
	osmo_tdefs_reset(http_tdefs);
	return 0;
}

int suite_teardown(void)
{
	log_fini();
	talloc_free(ctx);
	return 0;
}

void test_kannel_query_param(void)
{
	uint8_t b[8];

	CU_ASSERT_EQUAL(smsr_kannel_query_param("a=1&udh=%02q%00&b=", "udh", b, sizeof(b)), 3);
	TEST_ASSERT_HEX_EQ(b, 3, "027100");
	CU_ASSERT_EQUAL(smsr_kannel_query_param("from=%2B1001", "from", b, sizeof(b)), 5);
	CU_ASSERT_EQUAL(b[0], '+');
	CU_ASSERT_EQUAL(smsr_kannel_query_param("x=a+b", "x", b, sizeof(b)), 3);
	CU_ASSERT_EQUAL(b[1], ' ');
	CU_ASSERT_EQUAL(smsr_kannel_query_param("b=", "b", b, sizeof(b)), 0);
	CU_ASSERT_EQUAL(smsr_kannel_query_param("bb=1", "b", b, sizeof(b)), -ENOENT);
	CU_ASSERT_EQUAL(smsr_kannel_query_param("b=%4", "b", b, sizeof(b)), -EBADMSG);
	CU_ASSERT_EQUAL(smsr_kannel_query_param("b=%G0", "b", b, sizeof(b)), -EBADMSG);
	CU_ASSERT_EQUAL(smsr_kannel_query_param("b=123456789", "b", b, sizeof(b)), -EMSGSIZE);
}

void test_kannel_sendsms_mo_dlr(void)
{
	static const struct http_route routes[] = { { .path = "/cgi-bin/sendsms", .cb = sendsms_cb } };
	static const uint8_t ud[] = { 0x02, 0x70, 0x00, 0xB0, 0x20, 0x26, 0x25 };
	struct http_server *smsbox = http_server_alloc(
		ctx, &(struct http_server_cfg){ .addr = "127.0.0.1", .routes = routes, .num_routes = 1 });
	struct smsr_kannel *k;
	struct http_client *cli;
	char url[256];

	CU_ASSERT_PTR_NOT_NULL_FATAL(smsbox);
	k = smsr_kannel_alloc(ctx,
			      &(struct smsr_kannel_cfg){ .host = "127.0.0.1",
							 .port = http_server_port(smsbox),
							 .username = "smsr1",
							 .password = "p&w d",
							 .from = "556",
							 .listen_addr = "127.0.0.1",
							 .dlr_url = "http://127.0.0.41:18080/dlr" },
			      &(struct smsr_kannel_up){ .mo = up_mo, .tx_status = up_status });
	CU_ASSERT_PTR_NOT_NULL_FATAL(k);
	btw("sendsms: credentials, from/to, UDH and packet URL-encoded, DCS F6 via coding/mclass/alt-dcs, PID 7F");
	CU_ASSERT_EQUAL(smsr_kannel_send(k, "+1001", ud, sizeof(ud), 41), 0);
	want = 1;
	CU_ASSERT_FATAL(run_until(sendsms_reached, 3000));
	printf("\n  sendsms query: %s\n", last_query);
	CU_ASSERT_PTR_NOT_NULL(strstr(last_query, "username=smsr1&password=p%26w%20d&from=556&to=1001&udh=%02p%00"
						  "&text=%B0%20%26%25&coding=1&mclass=2&alt-dcs=1&pid=127"));
	CU_ASSERT_PTR_NOT_NULL(strstr(last_query, "&dlr-mask=19&dlr-url=http%3A%2F%2F127.0.0.41%3A18080%2Fdlr%3Ftag%"
						  "3D41"
						  "%26status%3D%25d"));
	run_until(NULL, 30);
	CU_ASSERT_EQUAL(n_status, 0);
	CU_ASSERT_EQUAL(smsr_kannel_stats(k)->accepted, 1);
	btw("Two queued at once go one after the other; the smsbox refuses (403): tx_status -EIO for each");
	sendsms_status = 403;
	CU_ASSERT_EQUAL(smsr_kannel_send(k, "1001", ud, sizeof(ud), 42), 0);
	CU_ASSERT_EQUAL(smsr_kannel_send(k, "1001", ud, sizeof(ud), 43), 0);
	want = 2;
	CU_ASSERT(run_until(status_reached, 3000));
	CU_ASSERT_EQUAL(st_tag, 43);
	CU_ASSERT_EQUAL(st_rc, -EIO);
	CU_ASSERT_EQUAL(sendsms_n, 3);
	btw("No UDH / over 140 octets: refused before anything is sent");
	CU_ASSERT_EQUAL(smsr_kannel_send(k, "1001", (const uint8_t *)"\x09\x70", 2, 1), -EINVAL);
	CU_ASSERT_EQUAL(smsr_kannel_send(k, "1001", mo_ud, 141, 1), -EMSGSIZE);

	cli = http_client_alloc(ctx, &(struct http_client_cfg){ .host = "127.0.0.1", .port = smsr_kannel_port(k) });
	CU_ASSERT_PTR_NOT_NULL_FATAL(cli);
	btw("MO callback as Kannel sends it (network-lab §4): from=%%2B1001 udh=%%02q%%00 bin=%%A0%%A1%%A2");
	CU_ASSERT_EQUAL(callback(cli, "/mo?from=%2B1001&to=%2B556&udh=%02q%00&bin=%A0%A1%A2&coding=1&dcs=04&smsc=x"),
			200);
	CU_ASSERT_EQUAL(n_mo, 1);
	CU_ASSERT_STRING_EQUAL(mo_src, "+1001");
	TEST_ASSERT_HEX_EQ(mo_ud, mo_len, "027100a0a1a2");
	btw("Malformed MO callbacks: 400, nothing up");
	CU_ASSERT_EQUAL(callback(cli, "/mo?from=1001&udh=%ZZ&bin=%A0"), 400);
	CU_ASSERT_EQUAL(callback(cli, "/mo?from=10x1&udh=%02q%00&bin=%A0"), 400);
	CU_ASSERT_EQUAL(callback(cli, "/mo?udh=%02q%00&bin=%A0"), 400);
	snprintf(url, sizeof(url), "/mo?from=1001&udh=%%02q%%00&bin=");
	for (int i = 0; i < 140; i++)
		strcat(url, "A");
	CU_ASSERT_EQUAL(callback(cli, url), 400); /* TP-UD over 140 octets */
	CU_ASSERT_EQUAL(n_mo, 1);
	CU_ASSERT_EQUAL(smsr_kannel_stats(k)->mo_bad, 4);
	btw("DLR: status 16 (SMSC reject) -> tx_status -EIO; 1 (delivered) -> 0; 4 (buffered) counted only");
	n_status = 0;
	CU_ASSERT_EQUAL(callback(cli, "/dlr?tag=77&status=16"), 200);
	CU_ASSERT_EQUAL(n_status, 1);
	CU_ASSERT_EQUAL(st_tag, 77);
	CU_ASSERT_EQUAL(st_rc, -EIO);
	CU_ASSERT_EQUAL(callback(cli, "/dlr?tag=78&status=1"), 200);
	CU_ASSERT_EQUAL(st_rc, 0);
	CU_ASSERT_EQUAL(callback(cli, "/dlr?tag=79&status=4"), 200);
	CU_ASSERT_EQUAL(n_status, 2);
	CU_ASSERT_EQUAL(callback(cli, "/dlr?tag=x&status=1"), 400);
	CU_ASSERT_EQUAL(callback(cli, "/dlr?status=1"), 400);
	http_client_free(cli);
	smsr_kannel_free(k);
	http_server_free(smsbox);
}
