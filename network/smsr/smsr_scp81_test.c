/* ES5 over HTTPS, SM-SR side, against an in-process "card" that speaks what sims/euicc/admin.c puts on
 * the wire (network/ must not include sims/: the same client is built here from lib/tls + lib/http +
 * lib/ramhttp): the push trigger is checked field by field, then PSK-TLS over real loopback TCP, the
 * first POST -> 200 with the script (AE 80 ... 00 00) and X-Admin-Next-URI, the AF response POST -> held
 * (MoreToDo) -> the next script to the ISD-P with X-Admin-Targeted-Application -> its response -> 204.
 * Then the failure rows: unknown PSK identity, wrong next URI, X-Admin-Script-Status error, no POST after
 * the pushes (X50), no response POST (X51), nothing more within X52 (204). Time for the session timers
 * is frozen and advanced by hand; sockets are polled. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <osmocom/core/application.h>
#include <osmocom/core/logging.h>
#include <osmocom/core/select.h>
#include <osmocom/core/timer.h>
#include <osmocom/core/utils.h>
#include <talloc.h>

#include "lib/http/http.h"
#include "lib/ramhttp/ramhttp.h"
#include "lib/scp81/scp81.h"
#include "lib/test/runner.h"
#include "lib/tls/tls.h"
#include "network/smsr/smsr_log.h"
#include "network/smsr/smsr_scp81.h"

static void *ctx;

#define btw(fmt, args...) fprintf(stderr, "\n--- " fmt "\n", ##args)

static const char *EID = "89001012012341234012345678901224";
static uint8_t eid_bytes[16];
static const uint8_t isdr[16] = { 0xA0, 0x00, 0x00, 0x05, 0x59, 0x10, 0x10, 0xFF,
				  0xFF, 0xFF, 0xFF, 0x89, 0x00, 0x00, 0x01, 0x00 };
static const uint8_t aid11[16] = { 0xA0, 0x00, 0x00, 0x05, 0x59, 0x10, 0x10, 0xFF,
				   0xFF, 0xFF, 0xFF, 0x89, 0x00, 0x00, 0x11, 0x00 };
static uint8_t psk[16];

/* ---- the SM-SR side's stubs --------------------------------------------------------------------------- */

static struct {
	unsigned int n;
	uint32_t tag;
	uint8_t trig[512];
	size_t len;
	int rc;
} push;

static int stub_push(void *tp, const char *eid, uint32_t tag, const uint8_t *trigger, size_t len)
{
	if (push.rc)
		return push.rc;
	push.n++;
	push.tag = tag;
	push.len = len <= sizeof(push.trig) ? len : 0;
	memcpy(push.trig, trigger, push.len);
	return 0;
}

static struct {
	unsigned int n;
	uint32_t op;
	int rc;
	uint8_t rsp[256];
	size_t len;
	/* the next script the upcall sends at once (a synchronous SM-DP), if op_next */
	uint32_t op_next;
} up;

static struct smsr_scp81 *g_s;

static void stub_result(void *priv, uint32_t op, int rc, const uint8_t *rsp, size_t len)
{
	up.n++;
	up.op = op;
	up.rc = rc;
	up.len = rsp && len <= sizeof(up.rsp) ? len : 0;
	if (up.len)
		memcpy(up.rsp, rsp, up.len);
}

/* the notification upcall: what came, and what it answers (seq from the E1's 4E, or notif.rc) */
static struct {
	unsigned int n;
	char eid[40];
	uint8_t e1[256];
	size_t len;
	int rc;
} notif;

static int stub_notification(void *priv, const char *eid, const uint8_t *e1, size_t len, uint16_t *seq)
{
	notif.n++;
	snprintf(notif.eid, sizeof(notif.eid), "%s", eid);
	notif.len = len <= sizeof(notif.e1) ? len : 0;
	memcpy(notif.e1, e1, notif.len);
	if (notif.rc)
		return notif.rc;
	*seq = 0x0102;
	return 0;
}

static struct osmo_tdef test_tdefs[] = {
	{ .T = SMSR_T_SCP81_PUSH, .default_val = 60, .unit = OSMO_TDEF_S, .desc = "push" },
	{ .T = SMSR_T_SCP81_RESPONSE, .default_val = 60, .unit = OSMO_TDEF_S, .desc = "resp" },
	{ .T = SMSR_T_SCP81_HOLD, .default_val = 30, .unit = OSMO_TDEF_S, .desc = "hold" },
	{}
};

/* ---- the card: TLS-PSK client + HTTP client, as sims/euicc/admin.c ------------------------------------- */

struct card {
	struct tls_ctx *tls;
	struct http_client *cli;
	bool done;
	int rc;
	unsigned int status;
	char next[160], target[80];
	uint8_t body[1024];
	size_t body_len;
};

static void card_cb(struct http_client *cli, int rc, const struct http_msg *resp, void *priv)
{
	struct card *c = priv;
	const char *v;

	c->done = true;
	c->rc = rc;
	c->status = rc == 0 ? resp->status : 0;
	c->next[0] = c->target[0] = 0;
	c->body_len = 0;
	if (rc < 0)
		return;
	if ((v = http_msg_header(resp, RAMHTTP_HDR_NEXT_URI)))
		snprintf(c->next, sizeof(c->next), "%s", v);
	if ((v = http_msg_header(resp, RAMHTTP_HDR_TARGETED_APP)))
		snprintf(c->target, sizeof(c->target), "%s", v);
	if (resp->body_len <= sizeof(c->body)) {
		memcpy(c->body, resp->body, resp->body_len);
		c->body_len = resp->body_len;
	}
}

static struct card *card_new(const uint8_t *key, uint8_t kvn)
{
	struct card *c = talloc_zero(ctx, struct card);
	struct ramhttp_psk_id id = { .format = RAMHTTP_PSK_ID_TLV_HEX_V4, .format_version = 2, .key_id = 1, .kvn = kvn };
	char ident[RAMHTTP_PSK_ID_MAX + 1], err[128];
	struct tls_cfg cfg = { .role = TLS_ROLE_CLIENT, .max_version = TLS1_2_VERSION };

	memcpy(id.eid, eid_bytes, 16);
	memcpy(id.aid, isdr, 16);
	id.aid_len = 16;
	CU_ASSERT_FATAL(ramhttp_psk_id_build(ident, sizeof(ident), &id) > 0);
	cfg.psk_identity = ident;
	cfg.psk = key;
	cfg.psk_len = 16;
	c->tls = tls_ctx_alloc(c, &cfg, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(c->tls);
	c->cli = http_client_alloc(
		c, &(struct http_client_cfg){ .host = "127.0.0.1", .port = smsr_scp81_port(g_s), .tls = c->tls });
	CU_ASSERT_PTR_NOT_NULL_FATAL(c->cli);
	return c;
}

static void poll_until(bool *flag)
{
	for (int i = 0; i < 3000 && !*flag; i++) {
		osmo_select_main(1);
		if (!*flag)
			usleep(1000);
	}
}

/* One POST as the card sends it (digest §5.2 steps 1 and 3); waits for the answer. */
static void card_post(struct card *c, const char *uri, const char *body_hex, const char *status)
{
	char from[160];
	uint8_t body[256];
	struct http_header h[5];
	size_t nh = 0;
	int n = body_hex ? osmo_hexparse(body_hex, body, sizeof(body)) : 0;

	CU_ASSERT_FATAL(ramhttp_from_format(from, sizeof(from), EID, 32, isdr, 16) > 0);
	h[nh++] = (struct http_header){ RAMHTTP_HDR_PROTOCOL, RAMHTTP_PROTOCOL_1_0 };
	h[nh++] = (struct http_header){ RAMHTTP_HDR_FROM, from };
	if (body_hex) {
		h[nh++] = (struct http_header){ "Content-Type", RAMHTTP_CT_GP_RESPONSE };
		h[nh++] = (struct http_header){ RAMHTTP_HDR_SCRIPT_STATUS, status ? status : "ok" };
	}
	c->done = false;
	c->status = 0;
	CU_ASSERT_EQUAL_FATAL(http_client_request(c->cli,
						  &(struct http_out){ .method = "POST",
								      .url = uri,
								      .hdr = h,
								      .num_hdr = nh,
								      .body = body,
								      .body_len = n > 0 ? (size_t)n : 0,
								      .chunked = true },
						  card_cb, c),
			      0);
	poll_until(&c->done); /* a held POST stays unanswered: the caller checks c->done */
}

/* ---- fixture ----------------------------------------------------------------------------------------------- */

int suite_setup(void)
{
	ctx = talloc_named_const(NULL, 0, "smsr_scp81_test");
	osmo_init_logging2(ctx, &smsr_log_info);
	log_set_print_filename2(osmo_stderr_target, LOG_FILENAME_NONE);
	log_set_print_category_hex(osmo_stderr_target, 0);
	log_set_use_color(osmo_stderr_target, 0);
	log_set_print_timestamp(osmo_stderr_target, 0);
	log_set_log_level(osmo_stderr_target, LOGL_INFO);
	osmo_gettimeofday_override = true;
	osmo_gettimeofday_override_time = (struct timeval){ .tv_sec = 1000000 };
	osmo_tdefs_reset(test_tdefs);
	osmo_hexparse(EID, eid_bytes, sizeof(eid_bytes));
	memset(psk, 0x5A, sizeof(psk));
	return 0;
}

int suite_teardown(void)
{
	log_fini();
	talloc_free(ctx);
	return 0;
}

static void fake_time_passes(unsigned int secs)
{
	osmo_gettimeofday_override_time.tv_sec += secs;
	osmo_timers_prepare();
	osmo_timers_update();
}

static struct smsr_store *store_new(void)
{
	char err[128];
	struct smsr_store *st = smsr_store_open(ctx, ":memory:", err, sizeof(err));
	struct smsr_eis_row row = { .state = SMSR_EIS_ACTIVE, .last_notif_seq = -1 };
	struct smsr_keyset_row k = { .kvn = 0x40, .kind = SMSR_KEYSET_SCP81, .psk_len = 16 };
	struct es_eis eis = { .present = true };

	CU_ASSERT_PTR_NOT_NULL_FATAL(st);
	snprintf(row.eid, sizeof(row.eid), "%s", EID);
	snprintf(row.eum_id, sizeof(row.eum_id), "1.2.3.5");
	snprintf(row.smsr_id, sizeof(row.smsr_id), "1.2.3.4");
	snprintf(k.eid, sizeof(k.eid), "%s", EID);
	memcpy(k.psk, psk, 16);
	CU_ASSERT_EQUAL_FATAL(smsr_store_eis_insert(st, &row, &eis, (const uint8_t *)"x", 1, &k, 1), 0);
	return st;
}

static struct smsr_scp81 *server_new(struct smsr_store *st)
{
	struct smsr_scp81_cfg cfg = { .listen_addr = "127.0.0.1",
				      .psk_id = RAMHTTP_PSK_ID_TLV_HEX_V4,
				      .tdefs = test_tdefs };

	memset(&push, 0, sizeof(push));
	memset(&up, 0, sizeof(up));
	memset(&notif, 0, sizeof(notif));
	g_s = smsr_scp81_alloc(ctx, st, &cfg, &(struct smsr_scp81_push_ops){ .send = stub_push }, NULL,
			       &(struct smsr_scp81_up){ .result = stub_result, .notification = stub_notification });
	CU_ASSERT_PTR_NOT_NULL_FATAL(g_s);
	return g_s;
}

/* GET STATUS of the ISD-Ps as the SM-SR's AuditEIS sends it (definite form) */
#define SCRIPT_GET_STATUS "AA0E220C80F24002074F005C034F9F70"
#define RESP_GET_STATUS	  "AF80230A E3084F00 9F70011F 90000000"

/* hex -> bytes (talloc under ctx, freed with the suite) */
static const uint8_t *hx(const char *hex)
{
	uint8_t *b = talloc_size(ctx, strlen(hex) / 2 + 1);

	CU_ASSERT_FATAL(b && osmo_hexparse(hex, b, strlen(hex) / 2 + 1) >= 0);
	return b;
}

/* ---- tests -------------------------------------------------------------------------------------------------- */

void test_scp81_push_trigger(void)
{
	struct smsr_store *st = store_new();
	struct smsr_scp81 *s = server_new(st);
	struct scp81_trigger t;
	uint32_t delay;

	btw("A script for an eUICC without a session: the push trigger goes to the SMS transport");
	CU_ASSERT_EQUAL(smsr_scp81_send(s, EID, 1, isdr, 16, hx(SCRIPT_GET_STATUS), 16, false), 0);
	CU_ASSERT_EQUAL(push.n, 1);
	CU_ASSERT_EQUAL_FATAL(scp81_trigger_decode(&t, push.trig, push.len), (int)push.len);
	btw("... 84: default bearer, TCP client to 127.0.0.1 at our port; 85: KVN 40 key 1, no identity");
	CU_ASSERT(t.has_connection && t.connection.has_bearer && t.connection.bearer_type == CAT_BEARER_DEFAULT);
	CU_ASSERT(t.connection.has_transport && t.connection.transport == CAT_TRANSPORT_TCP_CLIENT_REMOTE);
	CU_ASSERT_EQUAL(t.connection.port, smsr_scp81_port(s));
	TEST_ASSERT_HEX_EQ(t.connection.dest_addr.data, t.connection.dest_addr.len, "217f000001");
	CU_ASSERT_EQUAL(t.connection.buffer_size, 1400);
	CU_ASSERT(t.has_security && t.kvn == 0x40 && t.kid == 1 && t.psk_id.len == 0);
	CU_ASSERT(t.has_http_post);
	TEST_ASSERT_MEM_EQ(t.admin_uri.data, t.admin_uri.len, "/gsma/adminagent", 16);
	TEST_ASSERT_MEM_EQ(t.admin_host.data, t.admin_host.len, "127.0.0.1", 9);
	CU_ASSERT(!t.has_retry);
	smsr_scp81_free(s);
	CU_ASSERT_EQUAL(up.n, 0); /* freed with a session: nothing reported after free */

	btw("With a retry policy configured: 86 with the counter and the delay (BCD by default)");
	s = smsr_scp81_alloc(ctx, st,
			     &(struct smsr_scp81_cfg){ .retry_counter = 3, .retry_delay_s = 90, .tdefs = test_tdefs },
			     &(struct smsr_scp81_push_ops){ .send = stub_push }, NULL, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	{
		uint8_t trig[256];
		int n = smsr_scp81_trigger_build(s, EID, trig, sizeof(trig));

		CU_ASSERT_FATAL(n > 0);
		CU_ASSERT_EQUAL(scp81_trigger_decode(&t, trig, (size_t)n), n);
		CU_ASSERT(t.has_retry && t.retry_counter == 3);
		CU_ASSERT_EQUAL(scp81_retry_delay_get(&t, SCP81_TIMER_BCD, &delay), 0);
		CU_ASSERT_EQUAL(delay, 90);
	}
	smsr_scp81_free(s);
	smsr_store_close(st);
}

void test_scp81_session(void)
{
	struct smsr_store *st = store_new();
	struct smsr_scp81 *s = server_new(st);
	struct card *c;
	char next[160];

	btw("AuditEIS-like script to the ISD-R with MoreToDo: push");
	CU_ASSERT_EQUAL(smsr_scp81_send(s, EID, 7, isdr, 16, hx(SCRIPT_GET_STATUS), 16, true), 0);
	CU_ASSERT_EQUAL(push.n, 1);
	CU_ASSERT_EQUAL(smsr_scp81_num_sessions(s), 1);

	btw("The card connects (TLS-PSK, v4 identity) and POSTs empty: 200 with the script in AE form");
	c = card_new(psk, 0x40);
	card_post(c, "/gsma/adminagent", NULL, NULL);
	CU_ASSERT_EQUAL(c->rc, 0);
	CU_ASSERT_EQUAL(c->status, 200);
	TEST_ASSERT_HEX_EQ(c->body, c->body_len, "AE80220C80F24002074F005C034F9F700000");
	CU_ASSERT_STRING_EQUAL(c->target, ""); /* the ISD-R: no targeted application */
	CU_ASSERT(strncmp(c->next, "/gsma/adminagent/", 17) == 0);
	snprintf(next, sizeof(next), "%s", c->next);

	btw("The response POST to the next URI: reported upward; MoreToDo keeps the POST held");
	card_post(c, next, RESP_GET_STATUS, "ok");
	CU_ASSERT_FALSE(c->done); /* held */
	CU_ASSERT_EQUAL(up.n, 1);
	CU_ASSERT_EQUAL(up.op, 7);
	CU_ASSERT_EQUAL(up.rc, 0);
	TEST_ASSERT_HEX_EQ(up.rsp, up.len, "AF80230AE3084F009F70011F90000000");

	btw("The next script, for the ISD-P, answers the held POST with X-Admin-Targeted-Application");
	CU_ASSERT_EQUAL(smsr_scp81_send(s, EID, 8, aid11, 16, hx("AA0784050102030405"), 9, false), 0);
	CU_ASSERT_EQUAL(smsr_scp81_send(s, EID, 9, aid11, 16, hx("AA0784050102030405"), 9, false), -EBUSY);
	poll_until(&c->done);
	CU_ASSERT_EQUAL(c->status, 200);
	CU_ASSERT_STRING_EQUAL(c->target, "//aid/A000000559/1010FFFFFFFF8900001100");
	TEST_ASSERT_HEX_EQ(c->body, c->body_len, "AE808405010203040500 00");
	CU_ASSERT_EQUAL(push.n, 1); /* same session, no new push */

	btw("Its response: reported; it was the last script, so 204 without a next URI ends the session");
	snprintf(next, sizeof(next), "%s", c->next);
	card_post(c, next, "AF808603000000 0000", "ok");
	CU_ASSERT_EQUAL(c->status, 204);
	CU_ASSERT_STRING_EQUAL(c->next, "");
	CU_ASSERT_EQUAL(up.n, 2);
	CU_ASSERT_EQUAL(up.op, 8);
	TEST_ASSERT_HEX_EQ(up.rsp, up.len, "AF8086030000000000");
	CU_ASSERT_EQUAL(smsr_scp81_num_sessions(s), 0);
	CU_ASSERT_EQUAL(smsr_scp81_stats(s)->sessions_ok, 1);

	btw("A POST after the end (a late retry of the card): 204, nothing reported");
	card_post(c, "/gsma/adminagent", NULL, NULL);
	CU_ASSERT_EQUAL(c->status, 204);
	CU_ASSERT_EQUAL(up.n, 2);
	talloc_free(c);
	smsr_scp81_free(s);
	smsr_store_close(st);
}

void test_scp81_failures(void)
{
	struct smsr_store *st = store_new();
	struct smsr_scp81 *s = server_new(st);
	struct card *c;
	uint8_t wrong[16];

	btw("A card with another PSK: the handshake fails, nothing is reported, the session waits");
	CU_ASSERT_EQUAL(smsr_scp81_send(s, EID, 1, isdr, 16, hx(SCRIPT_GET_STATUS), 16, false), 0);
	memset(wrong, 0x33, sizeof(wrong));
	c = card_new(wrong, 0x40);
	card_post(c, "/gsma/adminagent", NULL, NULL);
	CU_ASSERT(c->rc < 0);
	talloc_free(c);
	btw("... an identity naming a KVN we do not have: unknown identity");
	c = card_new(psk, 0x41);
	card_post(c, "/gsma/adminagent", NULL, NULL);
	CU_ASSERT(c->rc < 0);
	CU_ASSERT(smsr_scp81_stats(s)->psk_unknown >= 1);
	talloc_free(c);
	CU_ASSERT_EQUAL(up.n, 0);

	btw("The right card; its response goes to a wrong URI: 404, the exchange still waits");
	c = card_new(psk, 0x40);
	card_post(c, "/gsma/adminagent", NULL, NULL);
	CU_ASSERT_EQUAL(c->status, 200);
	card_post(c, "/gsma/adminagent/999/1", RESP_GET_STATUS, "ok");
	CU_ASSERT_EQUAL(c->status, 404);
	CU_ASSERT_EQUAL(up.n, 0);
	talloc_free(c);

	btw("... no response POST within X51: -ETIMEDOUT, the session is gone");
	fake_time_passes(61);
	CU_ASSERT_EQUAL(up.n, 1);
	CU_ASSERT_EQUAL(up.rc, -ETIMEDOUT);
	CU_ASSERT_EQUAL(smsr_scp81_num_sessions(s), 0);

	btw("No POST after the push: X50 pushes again (2 in all), then -ETIMEDOUT");
	memset(&up, 0, sizeof(up));
	push.n = 0;
	CU_ASSERT_EQUAL(smsr_scp81_send(s, EID, 2, isdr, 16, hx(SCRIPT_GET_STATUS), 16, false), 0);
	fake_time_passes(61);
	CU_ASSERT_EQUAL(push.n, 2);
	CU_ASSERT_EQUAL(up.n, 0);
	fake_time_passes(61);
	CU_ASSERT_EQUAL(up.n, 1);
	CU_ASSERT_EQUAL(up.op, 2);
	CU_ASSERT_EQUAL(up.rc, -ETIMEDOUT);

	btw("The push transport refuses: the send fails at once; a failed push PoR ends the session");
	push.rc = -ENOTCONN;
	CU_ASSERT_EQUAL(smsr_scp81_send(s, EID, 3, isdr, 16, hx(SCRIPT_GET_STATUS), 16, false), -ENOTCONN);
	CU_ASSERT_EQUAL(smsr_scp81_num_sessions(s), 0);
	push.rc = 0;
	memset(&up, 0, sizeof(up));
	CU_ASSERT_EQUAL(smsr_scp81_send(s, EID, 4, isdr, 16, hx(SCRIPT_GET_STATUS), 16, false), 0);
	smsr_scp81_push_result(s, push.tag, -ETIMEDOUT); /* a second push is left */
	CU_ASSERT_EQUAL(up.n, 0);
	smsr_scp81_push_result(s, push.tag, -ETIMEDOUT);
	CU_ASSERT_EQUAL(up.n, 1);
	CU_ASSERT_EQUAL(up.rc, -ETIMEDOUT);

	btw("X-Admin-Script-Status unknown-application: -EPROTO, and 204 ends the session");
	memset(&up, 0, sizeof(up));
	CU_ASSERT_EQUAL(smsr_scp81_send(s, EID, 5, aid11, 16, hx("AA0784050102030405"), 9, true), 0);
	c = card_new(psk, 0x40);
	card_post(c, "/gsma/adminagent", NULL, NULL);
	CU_ASSERT_EQUAL(c->status, 200);
	{
		char next[160];

		snprintf(next, sizeof(next), "%s", c->next);
		card_post(c, next, "", "unknown-application");
	}
	CU_ASSERT_EQUAL(c->status, 204);
	CU_ASSERT_EQUAL(up.n, 1);
	CU_ASSERT_EQUAL(up.op, 5);
	CU_ASSERT_EQUAL(up.rc, -EPROTO);
	CU_ASSERT_EQUAL(smsr_scp81_num_sessions(s), 0);

	btw("A POST without X-Admin-From: 400");
	{
		c->done = false;
		CU_ASSERT_EQUAL(http_client_request(c->cli,
						    &(struct http_out){ .method = "POST", .url = "/gsma/adminagent" },
						    card_cb, c),
				0);
		poll_until(&c->done);
		CU_ASSERT_EQUAL(c->status, 400);
	}
	talloc_free(c);
	smsr_scp81_free(s);
	smsr_store_close(st);
}

/* GP Amd B: the HTTP session is bound to its TLS connection. The live case: the device drops the BIP
 * channel mid-download, so the card's TCP connection closes while the SM-SR waits for the response POST. */
void test_scp81_card_closes_connection(void)
{
	struct smsr_store *st = store_new();
	struct smsr_scp81 *s = server_new(st);
	struct card *c;
	char next[160];

	btw("Script out (200), then the card closes its TLS connection instead of POSTing the response");
	CU_ASSERT_EQUAL(smsr_scp81_send(s, EID, 21, isdr, 16, hx(SCRIPT_GET_STATUS), 16, true), 0);
	c = card_new(psk, 0x40);
	card_post(c, "/gsma/adminagent", NULL, NULL);
	CU_ASSERT_EQUAL_FATAL(c->status, 200);
	CU_ASSERT_EQUAL(up.n, 0);
	talloc_free(c); /* closes the socket (no close_notify: the bearer is gone) */
	usleep(10000);	/* loopback: the FIN is queued at the server by now */
	btw("... the relay fails in the next event-loop round (no time passes): -ECONNRESET");
	osmo_select_main(1);
	CU_ASSERT_EQUAL(up.n, 1);
	CU_ASSERT_EQUAL(up.op, 21);
	CU_ASSERT_EQUAL(up.rc, -ECONNRESET);
	CU_ASSERT_EQUAL(up.len, 0);
	CU_ASSERT_EQUAL(smsr_scp81_num_sessions(s), 0);
	CU_ASSERT_EQUAL(smsr_scp81_stats(s)->conn_closed, 1);
	CU_ASSERT_EQUAL(smsr_scp81_stats(s)->sessions_failed, 1);
	btw("... and X51 has nothing left to report");
	fake_time_passes(61);
	CU_ASSERT_EQUAL(up.n, 1);

	btw("The next script: a new push and a new session that completes");
	CU_ASSERT_EQUAL(smsr_scp81_send(s, EID, 22, isdr, 16, hx(SCRIPT_GET_STATUS), 16, false), 0);
	CU_ASSERT_EQUAL(push.n, 2);
	c = card_new(psk, 0x40);
	card_post(c, "/gsma/adminagent", NULL, NULL);
	CU_ASSERT_EQUAL_FATAL(c->status, 200);
	snprintf(next, sizeof(next), "%s", c->next);
	card_post(c, next, RESP_GET_STATUS, "ok");
	CU_ASSERT_EQUAL(c->status, 204);
	CU_ASSERT_EQUAL(up.n, 2);
	CU_ASSERT_EQUAL(up.op, 22);
	CU_ASSERT_EQUAL(up.rc, 0);
	TEST_ASSERT_HEX_EQ(up.rsp, up.len, "AF80230AE3084F009F70011F90000000");
	CU_ASSERT_EQUAL(smsr_scp81_stats(s)->sessions_ok, 1);
	btw("... the card closing after the session ended changes nothing");
	talloc_free(c);
	for (int i = 0; i < 5; i++) {
		usleep(2000);
		osmo_select_main(1);
	}
	CU_ASSERT_EQUAL(up.n, 2);
	CU_ASSERT_EQUAL(smsr_scp81_stats(s)->conn_closed, 1);

	btw("A connection that stays open but silent still fails at X51 (-ETIMEDOUT)");
	CU_ASSERT_EQUAL(smsr_scp81_send(s, EID, 23, isdr, 16, hx(SCRIPT_GET_STATUS), 16, false), 0);
	c = card_new(psk, 0x40);
	card_post(c, "/gsma/adminagent", NULL, NULL);
	CU_ASSERT_EQUAL_FATAL(c->status, 200);
	for (int i = 0; i < 5; i++) {
		usleep(2000);
		osmo_select_main(1);
	}
	CU_ASSERT_EQUAL(up.n, 2);
	fake_time_passes(61);
	CU_ASSERT_EQUAL(up.n, 3);
	CU_ASSERT_EQUAL(up.op, 23);
	CU_ASSERT_EQUAL(up.rc, -ETIMEDOUT);
	CU_ASSERT_EQUAL(smsr_scp81_stats(s)->conn_closed, 1);
	talloc_free(c);
	for (int i = 0; i < 5; i++) {
		usleep(2000);
		osmo_select_main(1);
	}
	CU_ASSERT_EQUAL(up.n, 3);

	btw("The card's connection closing while its POST is held (MoreToDo) fails the session as before");
	CU_ASSERT_EQUAL(smsr_scp81_send(s, EID, 24, isdr, 16, hx(SCRIPT_GET_STATUS), 16, true), 0);
	c = card_new(psk, 0x40);
	card_post(c, "/gsma/adminagent", NULL, NULL);
	CU_ASSERT_EQUAL_FATAL(c->status, 200);
	snprintf(next, sizeof(next), "%s", c->next);
	card_post(c, next, RESP_GET_STATUS, "ok");
	CU_ASSERT_FALSE(c->done); /* held */
	CU_ASSERT_EQUAL(up.n, 4);
	CU_ASSERT_EQUAL(up.rc, 0);
	smsr_scp81_free(s); /* shutdown with a held POST on an open connection: nothing more reported */
	CU_ASSERT_EQUAL(up.n, 4);
	talloc_free(c);
	smsr_store_close(st);
}

/* The E1 of WHTY's device simulator with our test EID (open-questions §9), sequence number 0102 */
#define E1_HEX                                     \
	"E12B4C1089001012012341234012345678901224" \
	"4D01024E0201022F10A0000005591010FFFFFFFF8900001100"
/* its confirmation as a RAM over HTTP script: STORE DATA 3A08 {4E 0102} (es5_test's WHTY trace) */
#define CONFIRM_SCRIPT "AE80 220D 80E28900073A08044E02010200 0000"

void test_scp81_notification(void)
{
	struct smsr_store *st = store_new();
	struct smsr_scp81 *s = server_new(st);
	struct card *c = card_new(psk, 0x40);
	char uri[512], next[160];

	btw("The card opens a session by itself (no push) for a notification in the msg parameter");
	CU_ASSERT_FATAL(ramhttp_notif_uri_build(uri, sizeof(uri), "/gsma/adminagent", hx(E1_HEX), strlen(E1_HEX) / 2) >
			0);
	card_post(c, uri, NULL, NULL);
	CU_ASSERT_EQUAL(notif.n, 1);
	CU_ASSERT_STRING_EQUAL(notif.eid, EID);
	TEST_ASSERT_HEX_EQ(notif.e1, notif.len, E1_HEX);
	btw("... confirmed in the session: 200 with the 3A08 script to the ISD-R");
	CU_ASSERT_EQUAL(c->status, 200);
	TEST_ASSERT_HEX_EQ(c->body, c->body_len, CONFIRM_SCRIPT);
	CU_ASSERT_STRING_EQUAL(c->target, "");
	CU_ASSERT(strncmp(c->next, "/gsma/adminagent/", 17) == 0);
	CU_ASSERT_EQUAL(push.n, 0);
	snprintf(next, sizeof(next), "%s", c->next);
	btw("... its response: nobody's result; 204 ends the session");
	card_post(c, next, "AF80230190000000", "ok");
	CU_ASSERT_EQUAL(c->status, 204);
	CU_ASSERT_EQUAL(up.n, 0);
	CU_ASSERT_EQUAL(smsr_scp81_num_sessions(s), 0);
	CU_ASSERT_EQUAL(smsr_scp81_stats(s)->notifs, 1);

	btw("The other carriage: the E1 as the body of the first POST");
	card_post(c, "/gsma/adminagent", E1_HEX, NULL);
	CU_ASSERT_EQUAL(notif.n, 2);
	CU_ASSERT_EQUAL(c->status, 200);
	TEST_ASSERT_HEX_EQ(c->body, c->body_len, CONFIRM_SCRIPT);
	snprintf(next, sizeof(next), "%s", c->next);
	card_post(c, next, "AF80230190000000", "ok");
	CU_ASSERT_EQUAL(c->status, 204);

	btw("A malformed msg: 400, nothing goes up, no session");
	card_post(c, "/gsma/adminagent?msg=E10", NULL, NULL);
	CU_ASSERT_EQUAL(c->status, 400);
	CU_ASSERT_EQUAL(notif.n, 2);
	CU_ASSERT_EQUAL(smsr_scp81_num_sessions(s), 0);
	talloc_free(c);

	btw("The procedure layer drops it (e.g. another EID than the PSK's): 204, nothing confirmed");
	c = card_new(psk, 0x40);
	notif.rc = -EPERM;
	card_post(c, uri, NULL, NULL);
	CU_ASSERT_EQUAL(notif.n, 3);
	CU_ASSERT_EQUAL(c->status, 204);
	CU_ASSERT_EQUAL(smsr_scp81_stats(s)->notifs_dropped, 1);
	CU_ASSERT_EQUAL(smsr_scp81_num_sessions(s), 0);
	notif.rc = 0;

	btw("A push was waiting when the card's notification session came: the 3A08 first, then the script");
	CU_ASSERT_EQUAL(smsr_scp81_send(s, EID, 5, isdr, 16, hx(SCRIPT_GET_STATUS), 16, false), 0);
	CU_ASSERT_EQUAL(push.n, 1);
	card_post(c, uri, NULL, NULL);
	CU_ASSERT_EQUAL(c->status, 200);
	TEST_ASSERT_HEX_EQ(c->body, c->body_len, CONFIRM_SCRIPT);
	snprintf(next, sizeof(next), "%s", c->next);
	card_post(c, next, "AF80230190000000", "ok");
	CU_ASSERT_EQUAL(c->status, 200);
	TEST_ASSERT_HEX_EQ(c->body, c->body_len, "AE80220C80F24002074F005C034F9F700000");
	CU_ASSERT_EQUAL(up.n, 0);
	snprintf(next, sizeof(next), "%s", c->next);
	card_post(c, next, RESP_GET_STATUS, "ok");
	CU_ASSERT_EQUAL(c->status, 204);
	CU_ASSERT_EQUAL(up.n, 1);
	CU_ASSERT_EQUAL(up.op, 5);
	CU_ASSERT_EQUAL(up.rc, 0);

	btw("A script sent while the 3A08 is out waits behind it in the same session (no -EBUSY, no push)");
	card_post(c, uri, NULL, NULL);
	CU_ASSERT_EQUAL(c->status, 200);
	CU_ASSERT_EQUAL(smsr_scp81_send(s, EID, 6, isdr, 16, hx(SCRIPT_GET_STATUS), 16, false), 0);
	CU_ASSERT_EQUAL(push.n, 1);
	snprintf(next, sizeof(next), "%s", c->next);
	card_post(c, next, "AF80230190000000", "ok");
	CU_ASSERT_EQUAL(c->status, 200);
	TEST_ASSERT_HEX_EQ(c->body, c->body_len, "AE80220C80F24002074F005C034F9F700000");
	snprintf(next, sizeof(next), "%s", c->next);
	card_post(c, next, RESP_GET_STATUS, "ok");
	CU_ASSERT_EQUAL(c->status, 204);
	CU_ASSERT_EQUAL(up.n, 2);
	CU_ASSERT_EQUAL(up.op, 6);
	CU_ASSERT_EQUAL(smsr_scp81_num_sessions(s), 0);
	talloc_free(c);
	smsr_scp81_free(s);
	smsr_store_close(st);
}
