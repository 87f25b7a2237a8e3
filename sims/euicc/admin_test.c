/* The SCP81 admin session of the card, end to end in one process: a push SMS (SCP80, lib/scp81
 * trigger) makes the card open a BIP channel; a test terminal loop carries OPEN CHANNEL / SEND DATA /
 * RECEIVE DATA / CLOSE CHANNEL over APDUs to a TCP socket; on the other end a lib/http + lib/tls PSK
 * server plays the SM-SR's RAM-over-HTTP side (it is not the real SM-SR: that is another module's).
 * Checked: the PSK identity, the X-Admin headers, chunked bodies, scripts in / AF responses out,
 * X-Admin-Targeted-Application routing to an ISD-P, 204 ending the session, CLOSE CHANNEL, the REFRESH
 * after the session, the 86 retry policy and a PSK mismatch. Loops are bounded by iteration counts. */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <talloc.h>

#include <osmocom/core/select.h>

#include "lib/http/http.h"
#include "lib/ramhttp/ramhttp.h"
#include "lib/scp81/scp81.h"
#include "lib/tls/tls.h"
#include "lib/tlv/bertlv.h"
#include "sims/euicc/ext.h"
#include "sims/euicc/test_dev.h"

#define ISDP_TAR 0x000021

/* --- the SM-SR's RAM over HTTP side ------------------------------------------------------------------ */

static struct {
	void *ctx;
	struct tls_ctx *tls;
	struct http_server *srv;
	uint16_t port;
	char psk_id[RAMHTTP_PSK_ID_MAX + 1];
	bool wrong_psk;
	unsigned int posts;
	char uri[4][512];
	char identity[4][RAMHTTP_PSK_ID_MAX + 1];
	char from[4][160];
	bool chunked[4];
	bool has_status[4];
	uint8_t body[4][512];
	size_t body_len[4];
	bool notif; /* play the SM-SR that confirms a notification in the session */
} srv;

/* the device */
static struct {
	int fd;
	uint8_t rx[8192];
	size_t rx_len;
	bool announced;
	unsigned int opens, closes, refuse_opens;
	unsigned int refresh_at_close; /* td.refresh when CLOSE CHANNEL came */
	size_t sent;
	unsigned int sms; /* SEND SHORT MESSAGE seen */
} term;

static size_t psk_lookup(void *priv, const char *identity, uint8_t *psk, size_t psk_max)
{
	if (strcmp(identity, srv.psk_id) != 0)
		return 0;
	memcpy(psk, td.scp81[0], 16);
	if (srv.wrong_psk)
		psk[0] ^= 1;
	return 16;
}

static void respond(struct http_req *req, unsigned int status, const char *next, const char *target,
		    const uint8_t *body, size_t len)
{
	struct http_header h[3];
	struct http_out o = {
		.status = status, .hdr = h, .body = body, .body_len = len, .chunked = len > 0, .chunk_size = 50
	};
	size_t n = 0;

	if (len)
		h[n++] = (struct http_header){ "Content-Type", RAMHTTP_CT_GP_COMMAND };
	if (next)
		h[n++] = (struct http_header){ RAMHTTP_HDR_NEXT_URI, next };
	if (target)
		h[n++] = (struct http_header){ RAMHTTP_HDR_TARGETED_APP, target };
	o.num_hdr = n;
	CU_ASSERT_EQUAL(http_req_respond(req, &o), 0);
}

static int script(uint8_t *out, size_t cap, const struct td_item *items, size_t n)
{
	struct rscript_builder b;

	rscript_cmd_begin(&b, out, cap, RSCRIPT_INDEFINITE);
	for (size_t i = 0; i < n; i++)
		rscript_cmd_add(&b, (enum rscript_cmd_kind)items[i].kind, items[i].v, items[i].len);
	return rscript_cmd_finish(&b);
}

static void ram_handler(struct http_req *req, void *priv)
{
	const struct http_msg *m = http_req_msg(req);
	unsigned int i = srv.posts++;
	const char *v;
	uint8_t body[256], enable[64], aid[16];
	char target[64];
	int n;

	if (i < 4) {
		snprintf(srv.uri[i], sizeof(srv.uri[i]), "%s", m->url);
		snprintf(srv.identity[i], sizeof(srv.identity[i]), "%s", tls_conn_psk_identity(http_req_tls(req)));
		v = http_msg_header(m, RAMHTTP_HDR_FROM);
		snprintf(srv.from[i], sizeof(srv.from[i]), "%s", v ? v : "");
		srv.chunked[i] = m->chunked;
		srv.has_status[i] = http_msg_header(m, RAMHTTP_HDR_SCRIPT_STATUS) != NULL;
		srv.body_len[i] = m->body_len < sizeof(srv.body[i]) ? m->body_len : 0;
		memcpy(srv.body[i], m->body, srv.body_len[i]);
	}
	ids_aid_from_tar(aid, ISDP_TAR);
	if (srv.notif) {
		/* the first POST carries the E1 (msg parameter or body): 200 with its 3A08, then 204 */
		uint8_t e1[RAMHTTP_NOTIF_MAX], apdu[16];
		struct es5_notification nt;
		enum ramhttp_notif_carriage how;
		int el = ramhttp_notif_from_post(e1, sizeof(e1), m->url, strlen(m->url), m->body, m->body_len, &how);

		if (i == 0 && el > 0 && es5_notification_decode(&nt, e1, (size_t)el) > 0) {
			struct td_item it = { RSCRIPT_CMD_CAPDU, apdu, 0 };

			it.len = (size_t)es5_notification_confirm_build(apdu, sizeof(apdu), nt.seq);
			n = script(body, sizeof(body), &it, 1);
			respond(req, 200, "/ram/2", NULL, body, (size_t)n);
			return;
		}
		respond(req, 204, NULL, NULL, NULL, 0);
		return;
	}
	switch (i) {
	case 0: {
		/* GET DATA EID and EnableProfile of the ISD-P (REFRESH only after the session) */
		int el = es5_profile_cmd_build(enable, sizeof(enable), ES5_FN_ENABLE_PROFILE, aid, 16);
		struct td_item it[2] = { { RSCRIPT_CMD_CAPDU, (const uint8_t *)"\x80\xca\x00\x5a\x00", 5 },
					 { RSCRIPT_CMD_CAPDU, enable, (size_t)el } };
		n = script(body, sizeof(body), it, 2);
		respond(req, 200, "/ram/2", NULL, body, (size_t)n);
		return;
	}
	case 1: {
		/* ES8: an SCP03t INITIALIZE UPDATE to the ISD-P (no key set yet: 9F44 01 01 from the ISD-P) */
		static const uint8_t iu[] = { 0x30, 0x00, 1, 2, 3, 4, 5, 6, 7, 8 };
		struct td_item it = { 0x84, iu, sizeof(iu) };
		CU_ASSERT(ramhttp_targeted_app_format(target, sizeof(target), aid, 16) > 0);
		n = script(body, sizeof(body), &it, 1);
		respond(req, 200, "/ram/3", target, body, (size_t)n);
		return;
	}
	default: respond(req, 204, NULL, NULL, NULL, 0); return;
	}
}

static const struct http_route routes[] = { { "/", true, ram_handler, NULL } };

static void server_start(void)
{
	struct tls_cfg sc = { .role = TLS_ROLE_SERVER, .psk_lookup = psk_lookup, .max_version = TLS1_2_VERSION };
	struct http_server_cfg cfg = { .addr = "127.0.0.1", .routes = routes, .num_routes = 1 };
	char err[128];

	srv.ctx = talloc_new(NULL);
	srv.tls = tls_ctx_alloc(srv.ctx, &sc, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(srv.tls);
	cfg.tls = srv.tls;
	srv.srv = http_server_alloc(srv.ctx, &cfg);
	CU_ASSERT_PTR_NOT_NULL_FATAL(srv.srv);
	srv.port = http_server_port(srv.srv);
}

static void server_stop(void)
{
	http_server_free(srv.srv);
	talloc_free(srv.ctx);
	srv.srv = NULL;
	srv.ctx = NULL;
}

/* --- the terminal ----------------------------------------------------------------------------------- */

static bool on_proactive(const struct cat_proactive *pc, struct cat_terminal_response *tr, void *priv)
{
	static uint8_t data[256];
	struct sockaddr_in sa = { .sin_family = AF_INET };

	if (getenv("ADMIN_DEBUG"))
		fprintf(stderr, "proactive %02x len %zu rx %zu\n", pc->details.type, pc->channel_data.len, term.rx_len);
	switch (pc->details.type) {
	case CAT_CMD_SEND_SHORT_MESSAGE: term.sms++; return false; /* the default handling */
	case CAT_CMD_OPEN_CHANNEL:
		term.opens++;
		if (term.refuse_opens) {
			term.refuse_opens--;
			tr->general = CAT_RES_NETWORK_UNABLE; /* 2X: additional information mandatory */
			tr->add_info.data = (const uint8_t *)"";
			tr->add_info.len = 1;
			return true;
		}
		CU_ASSERT_FATAL(pc->channel.has_transport && pc->channel.transport == CAT_TRANSPORT_TCP_CLIENT_REMOTE);
		CU_ASSERT_FATAL(pc->channel.dest_addr.len == 5 && pc->channel.dest_addr.data[0] == CAT_ADDR_IPV4);
		memcpy(&sa.sin_addr, pc->channel.dest_addr.data + 1, 4);
		sa.sin_port = htons(pc->channel.port);
		term.fd = socket(AF_INET, SOCK_STREAM, 0);
		CU_ASSERT_FATAL(term.fd >= 0);
		CU_ASSERT_FATAL(connect(term.fd, (struct sockaddr *)&sa, sizeof(sa)) == 0);
		fcntl(term.fd, F_SETFL, O_NONBLOCK);
		/* a modem sends each SEND DATA at once (no Nagle wait for the server's delayed ACK) */
		setsockopt(term.fd, IPPROTO_TCP, TCP_NODELAY, &(int){ 1 }, sizeof(int));
		term.rx_len = 0;
		term.announced = false;
		tr->n_channel_status = 1;
		tr->channel_status[0].channel_id = 1;
		tr->channel_status[0].established = true;
		tr->has_buffer_size = true;
		tr->buffer_size = pc->channel.buffer_size;
		return true;
	case CAT_CMD_SEND_DATA:
		CU_ASSERT_EQUAL(pc->dev.dst, CAT_DEV_CHANNEL(1));
		CU_ASSERT_FATAL(term.fd >= 0);
		for (size_t off = 0; off < pc->channel_data.len;) {
			ssize_t w =
				send(term.fd, pc->channel_data.data + off, pc->channel_data.len - off, MSG_NOSIGNAL);
			if (w < 0 && errno == EAGAIN) {
				osmo_select_main(1);
				continue;
			}
			CU_ASSERT_FATAL(w > 0);
			off += (size_t)w;
		}
		term.sent += pc->channel_data.len;
		tr->has_channel_data_length = true;
		tr->channel_data_length = 0xFF;
		return true;
	case CAT_CMD_RECEIVE_DATA: {
		size_t n = pc->channel_data_length;
		if (n > term.rx_len)
			n = term.rx_len;
		memcpy(data, term.rx, n);
		memmove(term.rx, term.rx + n, term.rx_len - n);
		term.rx_len -= n;
		tr->channel_data.data = data;
		tr->channel_data.len = n;
		tr->has_channel_data_length = true;
		tr->channel_data_length = (uint8_t)(term.rx_len > 255 ? 255 : term.rx_len);
		if (!term.rx_len)
			term.announced = false;
		return true;
	}
	case CAT_CMD_CLOSE_CHANNEL:
		term.closes++;
		term.refresh_at_close = td.refresh;
		if (term.fd >= 0)
			close(term.fd);
		term.fd = -1;
		return true;
	default: return false;
	}
}

static void data_available(void)
{
	struct cat_envelope env = { .tag = CAT_TAG_EVENT_DOWNLOAD, .event = CAT_EV_DATA_AVAILABLE };
	uint8_t c[64], r[EUICC_RAPDU_MAX];
	int n;

	env.dev.src = CAT_DEV_TERMINAL;
	env.dev.dst = CAT_DEV_UICC;
	env.has_channel_status = true;
	env.channel_status.channel_id = 1;
	env.channel_status.established = true;
	env.has_channel_data_length = true;
	env.channel_data_length = (uint8_t)(term.rx_len > 255 ? 255 : term.rx_len);
	n = cat_envelope_encode(c + 5, sizeof(c) - 5, &env);
	CU_ASSERT_FATAL(n > 0);
	c[0] = 0x80, c[1] = CAT_INS_ENVELOPE, c[2] = 0, c[3] = 0, c[4] = (uint8_t)n;
	size_t rl = td_xfer(c, 5 + (size_t)n, r);
	td_pump(td_sw(r, rl), NULL, NULL);
}

/* Run server and terminal until the card closes the channel (or the bound is hit). */
static void run_session(unsigned int closes_wanted)
{
	/* bounded: at most 5000 rounds, each waiting up to 1 ms for the terminal's socket */
	for (int i = 0; i < 5000 && term.closes < closes_wanted; i++) {
		struct pollfd p = { .fd = term.fd, .events = POLLIN };
		osmo_select_main(1);
		if (term.fd >= 0)
			poll(&p, 1, 1);
		if (term.fd >= 0 && term.rx_len < sizeof(term.rx)) {
			ssize_t n = recv(term.fd, term.rx + term.rx_len, sizeof(term.rx) - term.rx_len, MSG_DONTWAIT);
			if (n > 0)
				term.rx_len += (size_t)n;
		}
		if (term.rx_len && !term.announced) {
			term.announced = true;
			data_available();
		}
	}
	CU_ASSERT_EQUAL(term.closes, closes_wanted);
	if (getenv("ADMIN_DEBUG") && srv.srv) {
		const struct http_server_stats *st = http_server_stats(srv.srv);
		fprintf(stderr, "srv: accepted %lu requests %lu responses %lu tls_failures %lu err '%s' rx %zu\n",
			st->accepted, st->requests, st->responses, st->tls_failures, http_server_last_error(srv.srv),
			term.rx_len);
	}
}

static int push(const struct scp81_trigger *t)
{
	uint8_t trig[256], out[64];
	size_t out_len;
	int n = scp81_trigger_encode(trig, sizeof(trig), t);

	CU_ASSERT_FATAL(n > 0);
	return td_ota_raw(1, (const uint8_t(*)[16])td.scp80, IDS_TAR_ISD_R, trig, (size_t)n, out, &out_len);
}

static void trigger_default(struct scp81_trigger *t, uint16_t port)
{
	static const uint8_t addr[] = { CAT_ADDR_IPV4, 127, 0, 0, 1 };

	memset(t, 0, sizeof(*t));
	t->has_session = true;
	t->has_connection = true;
	t->connection.has_bearer = true;
	t->connection.bearer_type = CAT_BEARER_DEFAULT;
	t->connection.has_buffer_size = true;
	t->connection.buffer_size = 1400;
	t->connection.has_transport = true;
	t->connection.transport = CAT_TRANSPORT_TCP_CLIENT_REMOTE;
	t->connection.port = port;
	t->connection.dest_addr = (struct cat_bytes){ addr, sizeof(addr) };
	t->has_http_post = true;
	t->admin_host = (struct cat_bytes){ (const uint8_t *)"smsr.test", 9 };
	t->admin_uri = (struct cat_bytes){ (const uint8_t *)"/ram/first", 10 };
}

int suite_setup(void)
{
	return td_setup("admin_test");
}

int suite_teardown(void)
{
	td_teardown();
	return 0;
}

static void reset_world(void)
{
	struct ramhttp_psk_id id = {
		.format = RAMHTTP_PSK_ID_TLV_HEX_V4, .format_version = 2, .key_id = 1, .kvn = 0x40
	};

	memset(&srv.posts, 0, sizeof(srv) - offsetof(typeof(srv), posts));
	memset(&term, 0, sizeof(term));
	term.fd = -1;
	td.refresh = 0;
	td.on_proactive = on_proactive;
	ids_eid_to_bytes(id.eid, td.eid, 32);
	ids_aid_from_tar(id.aid, IDS_TAR_ISD_R);
	id.aid_len = 16;
	CU_ASSERT_FATAL(ramhttp_psk_id_build(srv.psk_id, sizeof(srv.psk_id), &id) > 0);
}

/* Stand-in for the ES8 download (tested in es8_test.c): a DISABLED profile in ISD-P ISDP_TAR. */
static void install_profile(void)
{
	uint8_t aid[16], saip[2048];
	struct euicc_isdp p;
	int n = td_saip(saip, sizeof(saip), "8988211000000530090", "001010000000002");

	CU_ASSERT_EQUAL_FATAL(td_create_isdp(ISDP_TAR), 0x9000);
	ids_aid_from_tar(aid, ISDP_TAR);
	CU_ASSERT_FATAL(euicc_store_isdp_get(euicc_card_store(td.card), aid, 16, &p) == 0);
	CU_ASSERT_FATAL(euicc_factory_profile(&p, saip, (size_t)n, NULL) == 0);
	p.state = ES5_ISDP_DISABLED;
	CU_ASSERT_FATAL(euicc_store_isdp_put(euicc_card_store(td.card), &p) == 0);
}

void test_admin_session_end_to_end(void)
{
	struct scp81_trigger t;
	struct rscript_rsp_item r[8];
	size_t n = 0;
	char from[160];
	uint8_t isdr[16];

	reset_world();
	td_new_card(false);
	install_profile();
	CU_ASSERT_EQUAL(td_state(ISDP_TAR), ES5_ISDP_DISABLED);
	server_start();
	trigger_default(&t, srv.port);
	CU_ASSERT_EQUAL(push(&t), 0); /* PoR OK, no data */
	CU_ASSERT_EQUAL(term.opens, 1);
	run_session(1);
	CU_ASSERT_FALSE(euicc_card_admin_active(td.card));
	CU_ASSERT_EQUAL(srv.posts, 3);
	/* first POST: empty body, to the push's admin URI, the v4 PSK identity, X-Admin-From */
	CU_ASSERT_STRING_EQUAL(srv.uri[0], "/ram/first");
	CU_ASSERT_STRING_EQUAL(srv.identity[0], srv.psk_id);
	ids_aid_from_tar(isdr, IDS_TAR_ISD_R);
	CU_ASSERT(ramhttp_from_format(from, sizeof(from), td.eid, 32, isdr, 16) > 0);
	CU_ASSERT_STRING_EQUAL(srv.from[0], from);
	CU_ASSERT_EQUAL(srv.body_len[0], 0);
	CU_ASSERT(srv.chunked[0]);
	CU_ASSERT_FALSE(srv.has_status[0]);
	/* second: the AF response of script 1 (EID; enable 9000) to the next URI, chunked */
	CU_ASSERT_STRING_EQUAL(srv.uri[1], "/ram/2");
	CU_ASSERT(srv.chunked[1] && srv.has_status[1]);
	CU_ASSERT_EQUAL(srv.body[1][0], 0xAF);
	CU_ASSERT_FATAL(rscript_rsp_decode(srv.body[1], srv.body_len[1], r, 8, &n) > 0);
	CU_ASSERT_EQUAL_FATAL(n, 2);
	CU_ASSERT_EQUAL(r[0].sw, 0x9000);
	CU_ASSERT_EQUAL(r[0].data_len, 18);
	CU_ASSERT_EQUAL(r[1].sw, 0x9000);
	/* third: the ISD-P answered the SCP03t item (routing by X-Admin-Targeted-Application) */
	CU_ASSERT_STRING_EQUAL(srv.uri[2], "/ram/3");
	TEST_ASSERT_HEX_EQ(srv.body[2], srv.body_len[2], "af80 9f440101 0000");
	/* the switch the session made: REFRESH after CLOSE CHANNEL, not before */
	CU_ASSERT_EQUAL(term.refresh_at_close, 0);
	CU_ASSERT_EQUAL(td.refresh, 1);
	CU_ASSERT_EQUAL(td_state(ISDP_TAR), ES5_ISDP_ENABLED);
	server_stop();
	td.on_proactive = NULL;
}

/* 86: retry counter 1, waiting delay 30 s. The first OPEN CHANNEL is refused; the card reopens after the
 * delay (counted by euicc_card_admin_tick); with the retries used up it gives up. */
void test_admin_retry_policy(void)
{
	struct scp81_trigger t;

	reset_world();
	td_new_card(false);
	server_start();
	trigger_default(&t, srv.port);
	t.has_retry = true;
	t.retry_counter = 1;
	CU_ASSERT_EQUAL(scp81_retry_delay_set(&t, td.cfg.retry_timer, 30), 0);
	term.refuse_opens = 1;
	CU_ASSERT_EQUAL(push(&t), 0);
	CU_ASSERT_EQUAL(term.opens, 1);
	CU_ASSERT(euicc_card_admin_active(td.card));
	euicc_card_admin_tick(td.card, 29);
	CU_ASSERT_EQUAL(euicc_card_proactive_pending(td.card), 0);
	euicc_card_admin_tick(td.card, 1);
	CU_ASSERT_FATAL(euicc_card_proactive_pending(td.card) > 0);
	td_pump((uint16_t)(0x9100 | euicc_card_proactive_pending(td.card)), NULL, NULL);
	CU_ASSERT_EQUAL(term.opens, 2);
	run_session(1);
	CU_ASSERT_EQUAL(srv.posts, 3);
	CU_ASSERT_FALSE(euicc_card_admin_active(td.card));
	/* retries used up: two refusals with counter 1 end the session */
	reset_world();
	term.refuse_opens = 2;
	CU_ASSERT_EQUAL(push(&t), 0);
	euicc_card_admin_tick(td.card, 30);
	td_pump((uint16_t)(0x9100 | euicc_card_proactive_pending(td.card)), NULL, NULL);
	CU_ASSERT_EQUAL(term.opens, 2);
	CU_ASSERT_FALSE(euicc_card_admin_active(td.card));
	/* a push while a session runs is refused: one OPEN CHANNEL only */
	reset_world();
	term.refuse_opens = 1;
	t.retry_counter = 1;
	CU_ASSERT_EQUAL(push(&t), 0);
	CU_ASSERT_EQUAL(push(&t), 0);
	CU_ASSERT_EQUAL(term.opens, 1);
	td_power_cycle(); /* volatile: the session is gone */
	CU_ASSERT_FALSE(euicc_card_admin_active(td.card));
	server_stop();
	td.on_proactive = NULL;
}

/* A PSK mismatch fails the handshake: the card closes the channel, the server saw no request. The
 * opaque-identity variant sends the EID. */
void test_admin_psk_mismatch_and_opaque_identity(void)
{
	struct scp81_trigger t;

	reset_world();
	td_new_card(false);
	server_start();
	srv.wrong_psk = true;
	trigger_default(&t, srv.port);
	CU_ASSERT_EQUAL(push(&t), 0);
	run_session(1);
	CU_ASSERT_EQUAL(srv.posts, 0);
	CU_ASSERT(http_server_stats(srv.srv)->tls_failures >= 1 || http_server_stats(srv.srv)->requests == 0);
	CU_ASSERT_FALSE(euicc_card_admin_active(td.card));
	reset_world();
	srv.wrong_psk = false;
	td.cfg.psk_id = RAMHTTP_PSK_ID_OPAQUE;
	td_power_cycle();
	snprintf(srv.psk_id, sizeof(srv.psk_id), "%s", td.eid);
	CU_ASSERT_EQUAL(push(&t), 0);
	run_session(1);
	CU_ASSERT_EQUAL(srv.posts, 3);
	CU_ASSERT_STRING_EQUAL(srv.identity[0], td.eid);
	euicc_config_default(&td.cfg);
	server_stop();
	td.on_proactive = NULL;
}

/* Personalise the card for notifications over HTTPS to the test server (as `rsplab-euicc init
 * --admin-addr 127.0.0.1:PORT --notif-transport https --notif-carriage K`) and reopen it. */
static void personalise_https(uint16_t port, const char *carriage)
{
	static const uint8_t addr[] = { CAT_ADDR_IPV4, 127, 0, 0, 1 };
	struct cat_channel_params p = { .has_bearer = true,
					.bearer_type = CAT_BEARER_DEFAULT,
					.has_buffer_size = true,
					.buffer_size = 1400,
					.has_transport = true,
					.transport = CAT_TRANSPORT_TCP_CLIENT_REMOTE,
					.port = port,
					.dest_addr = { addr, sizeof(addr) } };
	struct euicc_store *st = euicc_card_store(td.card);
	struct bertlv_writer w;
	uint8_t conn[64];

	bertlv_writer_init(&w, conn, sizeof(conn));
	cat_channel_params_put(&w, &p);
	CU_ASSERT_FATAL(bertlv_writer_finish(&w) > 0);
	CU_ASSERT_EQUAL(euicc_store_param_set(st, "admin.conn", conn, (size_t)bertlv_writer_finish(&w)), 0);
	CU_ASSERT_EQUAL(euicc_store_param_set(st, "notif.transport", (const uint8_t *)"https", 5), 0);
	CU_ASSERT_EQUAL(euicc_store_param_set(st, "notif.carriage", (const uint8_t *)carriage, strlen(carriage)), 0);
	td_power_cycle();
	CU_ASSERT_EQUAL(euicc_card_config(td.card)->notif_transport, EUICC_NOTIF_HTTPS);
}

/* A new type-02 notification for ISD-P ISDP_TAR, sent at once; the proactive commands it queued run. */
static uint16_t notify_now(void)
{
	uint8_t aid[16];
	uint16_t seq = 0;
	size_t p;

	ids_aid_from_tar(aid, ISDP_TAR);
	CU_ASSERT_EQUAL_FATAL(euicc_store_begin(euicc_card_store(td.card)), 0);
	CU_ASSERT_EQUAL_FATAL(euicc_notif_new(td.card, ES5_NOTIF_PROFILE_CHANGE_SUCCEEDED, aid, 16, &seq), 0);
	CU_ASSERT_EQUAL_FATAL(euicc_store_commit(euicc_card_store(td.card)), 0);
	CU_ASSERT_EQUAL(euicc_notif_send(td.card, seq), 0);
	p = euicc_card_proactive_pending(td.card);
	if (p)
		td_pump((uint16_t)(0x9100 | p), NULL, NULL);
	return seq;
}

/* E1 over HTTPS (card.h EUICC_NOTIF_HTTPS): the card opens an admin session by itself (no push) to its
 * personalised address with the SCP81 key set, the E1 in the first POST; the server's 3A08 script
 * confirms it (the card drops it from its store); no SMS. Both carriages; SMS when there is no address. */
void test_admin_notification_https(void)
{
	struct euicc_notif n;
	struct es5_notification nt;
	uint8_t e1[RAMHTTP_NOTIF_MAX];
	uint16_t seq;
	int el;

	reset_world();
	td_new_card(false);
	server_start();
	srv.notif = true;
	personalise_https(srv.port, "uri-msg");
	seq = notify_now();
	CU_ASSERT_EQUAL(term.opens, 1);
	run_session(1);
	CU_ASSERT_EQUAL(srv.posts, 2);
	CU_ASSERT(strncmp(srv.uri[0], "/gsma/adminagent?msg=E1", 23) == 0);
	CU_ASSERT_STRING_EQUAL(srv.identity[0], srv.psk_id);
	CU_ASSERT_EQUAL(srv.body_len[0], 0);
	el = ramhttp_notif_from_uri(e1, sizeof(e1), srv.uri[0], strlen(srv.uri[0]));
	CU_ASSERT_FATAL(el > 0);
	CU_ASSERT_FATAL(es5_notification_decode(&nt, e1, (size_t)el) > 0);
	CU_ASSERT_EQUAL(nt.seq, seq);
	CU_ASSERT_EQUAL(nt.type, ES5_NOTIF_PROFILE_CHANGE_SUCCEEDED);
	CU_ASSERT_STRING_EQUAL(srv.uri[1], "/ram/2");
	/* the 3A08 answered: 80 { } (no ISD-P deleted meanwhile), 9000 */
	TEST_ASSERT_HEX_EQ(srv.body[1], srv.body_len[1], "AF80 2304 8000 9000 0000");
	CU_ASSERT_EQUAL(euicc_store_notif_get(euicc_card_store(td.card), seq, &n), -ENOENT); /* confirmed */
	CU_ASSERT_EQUAL(term.sms, 0);
	CU_ASSERT_FALSE(euicc_card_admin_active(td.card));

	reset_world();
	srv.notif = true;
	personalise_https(srv.port, "body");
	seq = notify_now();
	run_session(1);
	CU_ASSERT_EQUAL(srv.posts, 2);
	CU_ASSERT_STRING_EQUAL(srv.uri[0], "/gsma/adminagent");
	CU_ASSERT_FATAL(srv.body_len[0] > 0);
	CU_ASSERT_EQUAL(srv.body[0][0], 0xE1);
	CU_ASSERT_FATAL(es5_notification_decode(&nt, srv.body[0], srv.body_len[0]) > 0);
	CU_ASSERT_EQUAL(nt.seq, seq);
	CU_ASSERT_EQUAL(euicc_store_notif_get(euicc_card_store(td.card), seq, &n), -ENOENT);
	CU_ASSERT_EQUAL(term.sms, 0);

	/* the SM-SR at that address does not know the card's PSK (e.g. the old SM-SR after an SM-SR Change):
	 * the handshake fails, the notification goes by SMS at once, and so do the next ones until a
	 * power-on */
	reset_world();
	srv.notif = true;
	srv.wrong_psk = true;
	seq = notify_now();
	CU_ASSERT_EQUAL(term.opens, 1);
	run_session(1);
	CU_ASSERT_EQUAL(srv.posts, 0);
	CU_ASSERT_EQUAL(term.sms, 1);
	CU_ASSERT_EQUAL(euicc_store_notif_get(euicc_card_store(td.card), seq, &n), 0);
	CU_ASSERT_EQUAL(n.attempts, 2); /* the HTTPS try and the SMS */
	CU_ASSERT_EQUAL(euicc_notif_send(td.card, seq), 0);
	CU_ASSERT_EQUAL(euicc_card_proactive_pending(td.card) > 0, true);
	td_pump((uint16_t)(0x9100 | euicc_card_proactive_pending(td.card)), NULL, NULL);
	CU_ASSERT_EQUAL(term.opens, 1);
	CU_ASSERT_EQUAL(term.sms, 2);
	CU_ASSERT_EQUAL(euicc_store_notif_del(euicc_card_store(td.card), seq), 0);
	srv.wrong_psk = false;
	td_power_cycle(); /* HTTPS is tried again after a power-on */

	/* no address personalised: the notification goes by SMS, stays until a 3A08 comes */
	reset_world();
	CU_ASSERT_EQUAL(euicc_store_param_set(euicc_card_store(td.card), "admin.conn", NULL, 0), 0);
	seq = notify_now();
	CU_ASSERT_EQUAL(term.opens, 0);
	CU_ASSERT_EQUAL(term.sms, 1);
	CU_ASSERT_EQUAL(euicc_store_notif_get(euicc_card_store(td.card), seq, &n), 0);
	CU_ASSERT_EQUAL(n.attempts, 1);
	server_stop();
	td.on_proactive = NULL;
}
