/* The terminal-side CAT/BIP state machine with stub card ops: TERMINAL RESPONSEs and ENVELOPEs are
 * captured and decoded again with lib/cat. BIP channels connect to a TCP server on 127.0.0.1 (ephemeral
 * port) run by the test itself; osmo_select_main is driven in bounded loops, so no test can hang. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <osmocom/core/application.h>
#include <osmocom/core/logging.h>
#include <osmocom/core/select.h>
#include <osmocom/core/talloc.h>

#include "lib/test/runner.h"
#include "sims/device/stk.h"

static void *ctx;
static uint8_t tr_buf[32][256], env_buf[32][256];
static size_t tr_len[32], env_len[32];
static unsigned int n_tr, n_env, n_refresh, n_sms;
static int refresh_mode = -1, sms_rc;

static int op_tr(void *p, const uint8_t *b, size_t n)
{
	CU_ASSERT_FATAL(n_tr < 32 && n <= 256);
	memcpy(tr_buf[n_tr], b, n);
	tr_len[n_tr++] = n;
	return 0;
}
static int op_env(void *p, const uint8_t *b, size_t n)
{
	CU_ASSERT_FATAL(n_env < 32 && n <= 256);
	memcpy(env_buf[n_env], b, n);
	env_len[n_env++] = n;
	return 0;
}
static int op_sms(void *p, const uint8_t *sc, size_t sc_len, const uint8_t *tpdu, size_t tpdu_len)
{
	n_sms++;
	return sms_rc;
}
static void op_refresh(void *p, uint8_t mode)
{
	n_refresh++;
	refresh_mode = mode;
}
static const struct dev_stk_ops ops = { op_tr, op_env, op_sms, op_refresh, NULL };

static const struct log_info_cat cats[] = { [0] = { .name = "DTEST", .enabled = 0, .loglevel = LOGL_ERROR } };
static const struct log_info li = { .cat = cats, .num_cat = ARRAY_SIZE(cats) };

int suite_setup(void)
{
	ctx = talloc_named_const(NULL, 0, "stk_test");
	osmo_init_logging2(ctx, &li);
	log_set_log_level(osmo_stderr_target, LOGL_FATAL);
	log_set_all_filter(osmo_stderr_target, 0);
	return 0;
}

static struct dev_stk *new_stk(void)
{
	n_tr = n_env = n_refresh = n_sms = 0;
	refresh_mode = -1;
	sms_rc = 0;
	return dev_stk_alloc(ctx, &ops, NULL, "490154203237518");
}

static void run(struct dev_stk *stk, const struct cat_proactive *c)
{
	uint8_t buf[300];
	int n = cat_proactive_encode(buf, sizeof(buf), c);
	CU_ASSERT_FATAL(n > 0);
	CU_ASSERT_EQUAL(dev_stk_proactive(stk, buf, (size_t)n), 0);
}

static void last_tr(struct cat_terminal_response *tr)
{
	CU_ASSERT_FATAL(n_tr > 0);
	CU_ASSERT_FATAL(cat_terminal_response_decode(tr, tr_buf[n_tr - 1], tr_len[n_tr - 1]) > 0);
}

static void last_env(struct cat_envelope *e)
{
	CU_ASSERT_FATAL(n_env > 0);
	CU_ASSERT_FATAL(cat_envelope_decode(e, env_buf[n_env - 1], env_len[n_env - 1]) > 0);
}

/* poll the loop until cond or ~2 s */
#define LOOP_UNTIL(cond)                                      \
	do {                                                  \
		for (int _i = 0; _i < 400 && !(cond); _i++) { \
			osmo_select_main(1);                  \
			usleep(5000);                         \
		}                                             \
	} while (0)

static int server(uint16_t *port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t l = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT_FATAL(bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0);
	CU_ASSERT_FATAL(listen(fd, 1) == 0);
	getsockname(fd, (struct sockaddr *)&sa, &l);
	*port = ntohs(sa.sin_port);
	return fd;
}

static uint8_t dest[5] = { CAT_ADDR_IPV4, 127, 0, 0, 1 };

static void open_cmd(struct cat_proactive *c, uint16_t port, uint16_t bufsize)
{
	memset(c, 0, sizeof(*c));
	c->details = (struct cat_cmd_details){ 1, CAT_CMD_OPEN_CHANNEL, CAT_OPEN_CHANNEL_IMMEDIATE };
	c->dev = (struct cat_dev_ids){ CAT_DEV_UICC, CAT_DEV_TERMINAL };
	c->channel.has_bearer = true;
	c->channel.bearer_type = CAT_BEARER_DEFAULT;
	c->channel.has_buffer_size = true;
	c->channel.buffer_size = bufsize;
	c->channel.has_transport = true;
	c->channel.transport = CAT_TRANSPORT_TCP_CLIENT_REMOTE;
	c->channel.port = port;
	c->channel.dest_addr.data = dest;
	c->channel.dest_addr.len = sizeof(dest);
}

static void data_cmd(struct cat_proactive *c, uint8_t type, uint8_t q, const char *data, int rxlen)
{
	memset(c, 0, sizeof(*c));
	c->details = (struct cat_cmd_details){ 2, type, q };
	c->dev = (struct cat_dev_ids){ CAT_DEV_UICC, CAT_DEV_CHANNEL(1) };
	if (data) {
		c->channel_data.data = (const uint8_t *)data;
		c->channel_data.len = strlen(data);
	}
	if (rxlen >= 0) {
		c->has_channel_data_length = true;
		c->channel_data_length = (uint8_t)rxlen;
	}
}

static ssize_t recv_wait(int fd, char *b, size_t n)
{
	size_t got = 0;
	for (int i = 0; i < 400 && got < n; i++) {
		osmo_select_main(1);
		ssize_t r = recv(fd, b + got, n - got, MSG_DONTWAIT);
		if (r == 0)
			break;
		if (r > 0)
			got += (size_t)r;
		else
			usleep(5000);
	}
	return (ssize_t)got;
}

void test_stk_bip_open_relay_close(void)
{
	struct dev_stk *stk = new_stk();
	struct cat_proactive c;
	struct cat_terminal_response tr;
	struct cat_envelope e;
	uint16_t port;
	int lfd = server(&port);
	char b[64];

	/* the card asks for events first */
	static const uint8_t evl[] = { CAT_EV_DATA_AVAILABLE, CAT_EV_CHANNEL_STATUS };
	memset(&c, 0, sizeof(c));
	c.details = (struct cat_cmd_details){ 9, CAT_CMD_SET_UP_EVENT_LIST, 0 };
	c.dev = (struct cat_dev_ids){ CAT_DEV_UICC, CAT_DEV_TERMINAL };
	c.events.data = evl;
	c.events.len = sizeof(evl);
	run(stk, &c);
	CU_ASSERT_EQUAL(n_tr, 1);

	open_cmd(&c, port, 1024);
	run(stk, &c);
	CU_ASSERT_TRUE(dev_stk_busy(stk)); /* the TR waits for the connection */
	LOOP_UNTIL(n_tr == 2);
	CU_ASSERT_FATAL(n_tr == 2);
	last_tr(&tr);
	CU_ASSERT_EQUAL(tr.general, CAT_RES_OK);
	CU_ASSERT_EQUAL(tr.n_channel_status, 1);
	CU_ASSERT_EQUAL(tr.channel_status[0].channel_id, 1);
	CU_ASSERT_TRUE(tr.channel_status[0].established);
	CU_ASSERT_EQUAL(tr.buffer_size, 1024);
	CU_ASSERT_FALSE(dev_stk_busy(stk));
	int sfd = accept(lfd, NULL, NULL);
	CU_ASSERT_FATAL(sfd >= 0);

	/* card -> server */
	data_cmd(&c, CAT_CMD_SEND_DATA, CAT_SEND_DATA_IMMEDIATE, "hello", -1);
	run(stk, &c);
	last_tr(&tr);
	CU_ASSERT_EQUAL(tr.general, CAT_RES_OK);
	CU_ASSERT_EQUAL(tr.channel_data_length, CAT_CHANNEL_DATA_LENGTH_MORE); /* 1024 free */
	CU_ASSERT_EQUAL(recv_wait(sfd, b, 5), 5);
	CU_ASSERT_NSTRING_EQUAL(b, "hello", 5);

	/* store mode, then immediate: both parts go out together */
	data_cmd(&c, CAT_CMD_SEND_DATA, 0, "ab", -1);
	run(stk, &c);
	last_tr(&tr);
	CU_ASSERT_EQUAL(tr.general, CAT_RES_OK);
	data_cmd(&c, CAT_CMD_SEND_DATA, CAT_SEND_DATA_IMMEDIATE, "cd", -1);
	run(stk, &c);
	CU_ASSERT_EQUAL(recv_wait(sfd, b, 4), 4);
	CU_ASSERT_NSTRING_EQUAL(b, "abcd", 4);

	/* server -> card: data available event, RECEIVE DATA */
	CU_ASSERT_EQUAL(send(sfd, "world!", 6, 0), 6);
	LOOP_UNTIL(n_env == 1);
	CU_ASSERT_FATAL(n_env == 1);
	last_env(&e);
	CU_ASSERT_EQUAL(e.event, CAT_EV_DATA_AVAILABLE);
	CU_ASSERT_EQUAL(e.channel_status.channel_id, 1);
	CU_ASSERT_EQUAL(e.channel_data_length, 6);
	data_cmd(&c, CAT_CMD_RECEIVE_DATA, 0, NULL, 4);
	run(stk, &c);
	last_tr(&tr);
	CU_ASSERT_EQUAL(tr.general, CAT_RES_OK);
	TEST_ASSERT_MEM_EQ(tr.channel_data.data, tr.channel_data.len, "worl", 4);
	CU_ASSERT_EQUAL(tr.channel_data_length, 2);
	data_cmd(&c, CAT_CMD_RECEIVE_DATA, 0, NULL, 10);
	run(stk, &c);
	last_tr(&tr);
	CU_ASSERT_EQUAL(tr.general, CAT_RES_OK_MISSING_INFO); /* 2 of 10 */
	TEST_ASSERT_MEM_EQ(tr.channel_data.data, tr.channel_data.len, "d!", 2);
	CU_ASSERT_EQUAL(tr.channel_data_length, 0);
	/* new data after the buffer was emptied: a new event */
	CU_ASSERT_EQUAL(send(sfd, "x", 1, 0), 1);
	LOOP_UNTIL(n_env == 2);
	CU_ASSERT_EQUAL(n_env, 2);

	/* GET CHANNEL STATUS, CLOSE CHANNEL */
	data_cmd(&c, CAT_CMD_GET_CHANNEL_STATUS, 0, NULL, -1);
	c.dev.dst = CAT_DEV_TERMINAL;
	run(stk, &c);
	last_tr(&tr);
	CU_ASSERT_EQUAL(tr.n_channel_status, 1);
	data_cmd(&c, CAT_CMD_CLOSE_CHANNEL, 0, NULL, -1);
	run(stk, &c);
	last_tr(&tr);
	CU_ASSERT_EQUAL(tr.general, CAT_RES_OK);
	CU_ASSERT_PTR_NULL(stk->chan[1]);
	CU_ASSERT_EQUAL(recv_wait(sfd, b, sizeof(b)), 0); /* EOF */
	/* a command for the closed channel */
	data_cmd(&c, CAT_CMD_SEND_DATA, CAT_SEND_DATA_IMMEDIATE, "z", -1);
	run(stk, &c);
	last_tr(&tr);
	CU_ASSERT_EQUAL(tr.general, CAT_RES_BIP_ERROR);
	CU_ASSERT_EQUAL(tr.add_info.data[0], CAT_ADD_BIP_CHANNEL_ID_INVALID);
	close(sfd);
	close(lfd);
	dev_stk_free(stk);
}

void test_stk_bip_cut_fault(void)
{
	struct dev_stk *stk = new_stk();
	struct cat_proactive c;
	struct cat_terminal_response tr;
	struct cat_envelope e;
	uint16_t port;
	int lfd = server(&port);
	char b[64];

	stk->event_policy = DEV_STK_EVENTS_ALWAYS;
	stk->bip_cut_after = 4;
	open_cmd(&c, port, 60000); /* more than we grant: result 07 with our size */
	run(stk, &c);
	LOOP_UNTIL(n_tr == 1);
	last_tr(&tr);
	CU_ASSERT_EQUAL(tr.general, CAT_RES_OK_WITH_MODIFICATION);
	CU_ASSERT_EQUAL(tr.buffer_size, DEV_BIP_BUF_MAX);
	int sfd = accept(lfd, NULL, NULL);
	data_cmd(&c, CAT_CMD_SEND_DATA, CAT_SEND_DATA_IMMEDIATE, "abcdefgh", -1);
	run(stk, &c);
	last_tr(&tr);
	CU_ASSERT_EQUAL(tr.general, CAT_RES_BIP_ERROR);
	CU_ASSERT_EQUAL(tr.add_info.data[0], CAT_ADD_BIP_CHANNEL_CLOSED);
	/* channel status event: link dropped */
	CU_ASSERT_FATAL(n_env == 1);
	last_env(&e);
	CU_ASSERT_EQUAL(e.event, CAT_EV_CHANNEL_STATUS);
	CU_ASSERT_FALSE(e.channel_status.established);
	CU_ASSERT_EQUAL(e.channel_status.further_info, CAT_CHAN_INFO_LINK_DROPPED);
	CU_ASSERT_EQUAL(recv_wait(sfd, b, sizeof(b)), 4); /* exactly 4 bytes, then EOF */
	CU_ASSERT_NSTRING_EQUAL(b, "abcd", 4);
	CU_ASSERT_EQUAL(stk->bip_cut_after, -1); /* one-shot */
	close(sfd);
	close(lfd);
	dev_stk_free(stk);
}

void test_stk_bip_connect_refused(void)
{
	struct dev_stk *stk = new_stk();
	struct cat_proactive c;
	struct cat_terminal_response tr;
	uint16_t port;
	int lfd = server(&port);
	close(lfd); /* nobody listens there now */

	open_cmd(&c, port, 512);
	run(stk, &c);
	LOOP_UNTIL(n_tr == 1);
	last_tr(&tr);
	CU_ASSERT_EQUAL(tr.general, CAT_RES_NETWORK_UNABLE);
	CU_ASSERT_PTR_NULL(stk->chan[1]);
	CU_ASSERT_FALSE(dev_stk_busy(stk));
	/* UDP is not ours */
	open_cmd(&c, port, 512);
	c.channel.transport = CAT_TRANSPORT_UDP_CLIENT_REMOTE;
	run(stk, &c);
	last_tr(&tr);
	CU_ASSERT_EQUAL(tr.general, CAT_RES_BEYOND_CAPABILITY);
	dev_stk_free(stk);
}

void test_stk_local_info_sms_refresh_events(void)
{
	struct dev_stk *stk = new_stk();
	struct cat_proactive c;
	struct cat_terminal_response tr;
	struct cat_envelope e;
	uint8_t buf[64];

	memset(&c, 0, sizeof(c));
	c.details = (struct cat_cmd_details){ 3, CAT_CMD_PROVIDE_LOCAL_INFO, CAT_LOCAL_INFO_IMEI };
	c.dev = (struct cat_dev_ids){ CAT_DEV_UICC, CAT_DEV_TERMINAL };
	run(stk, &c);
	last_tr(&tr);
	CU_ASSERT_TRUE(tr.has_imei);
	char imei[16];
	CU_ASSERT_EQUAL(cat_imei_decode(imei, tr.imei, 8), 0);
	CU_ASSERT_STRING_EQUAL(imei, "490154203237518");
	/* location before attach: no service */
	c.details.qualifier = CAT_LOCAL_INFO_LOCATION;
	run(stk, &c);
	last_tr(&tr);
	CU_ASSERT_EQUAL(tr.general, CAT_RES_TERMINAL_UNABLE);

	/* location status event: not listed -> not sent; listed -> sent with the LOCI */
	static const uint8_t loci[7] = { 0x00, 0xf1, 0x10, 0x00, 0x0b, 0x00, 0x01 };
	dev_stk_location_status(stk, CAT_LOC_NORMAL_SERVICE, loci, 7);
	CU_ASSERT_EQUAL(n_env, 0);
	static const uint8_t evl[] = { CAT_EV_LOCATION_STATUS };
	memset(&c, 0, sizeof(c));
	c.details = (struct cat_cmd_details){ 4, CAT_CMD_SET_UP_EVENT_LIST, 0 };
	c.dev = (struct cat_dev_ids){ CAT_DEV_UICC, CAT_DEV_TERMINAL };
	c.events.data = evl;
	c.events.len = 1;
	run(stk, &c);
	dev_stk_location_status(stk, CAT_LOC_LIMITED_SERVICE, NULL, 0);
	CU_ASSERT_FATAL(n_env == 1);
	/* TS 102 223 §7.5.4: D6 { 19 03, 82 82 81, 1B 01 } */
	TEST_ASSERT_HEX_EQ(env_buf[0], env_len[0], "d60a 990103 82028281 9b0101");
	dev_stk_location_status(stk, CAT_LOC_NORMAL_SERVICE, loci, 7);
	last_env(&e);
	CU_ASSERT_EQUAL(e.location_status, CAT_LOC_NORMAL_SERVICE);
	TEST_ASSERT_MEM_EQ(e.location_info.data, e.location_info.len, loci, 7);

	/* SEND SHORT MESSAGE: the TR waits for the MO SMS outcome */
	static const uint8_t tpdu[] = { 0x01, 0x01, 0x03, 0x81, 0x55, 0xf5, 0x7f, 0xf6, 0x01, 0xaa };
	memset(&c, 0, sizeof(c));
	c.details = (struct cat_cmd_details){ 5, CAT_CMD_SEND_SHORT_MESSAGE, 0 };
	c.dev = (struct cat_dev_ids){ CAT_DEV_UICC, CAT_DEV_NETWORK };
	c.tpdu.data = tpdu;
	c.tpdu.len = sizeof(tpdu);
	unsigned int before = n_tr;
	run(stk, &c);
	CU_ASSERT_EQUAL(n_sms, 1);
	CU_ASSERT_EQUAL(n_tr, before);
	CU_ASSERT_TRUE(dev_stk_busy(stk));
	int n = cat_proactive_encode(buf, sizeof(buf), &c);
	CU_ASSERT_EQUAL(dev_stk_proactive(stk, buf, (size_t)n), -EBUSY);
	dev_stk_sms_done(stk, 38);
	last_tr(&tr);
	CU_ASSERT_EQUAL(tr.general, CAT_RES_SMS_RP_ERROR);
	CU_ASSERT_EQUAL(tr.add_info.data[0], 0x80 | 38);
	run(stk, &c);
	dev_stk_sms_done(stk, 0);
	last_tr(&tr);
	CU_ASSERT_EQUAL(tr.general, CAT_RES_OK);
	/* not attached: refused at once */
	sms_rc = -ENOTCONN;
	run(stk, &c);
	last_tr(&tr);
	CU_ASSERT_EQUAL(tr.general, CAT_RES_TERMINAL_UNABLE);
	CU_ASSERT_EQUAL(tr.add_info.data[0], CAT_ADD_TERMINAL_NO_SERVICE);

	/* REFRESH UICC reset: no TR by default, one first with the variant; other modes always a TR */
	memset(&c, 0, sizeof(c));
	c.details = (struct cat_cmd_details){ 6, CAT_CMD_REFRESH, CAT_REFRESH_UICC_RESET };
	c.dev = (struct cat_dev_ids){ CAT_DEV_UICC, CAT_DEV_TERMINAL };
	before = n_tr;
	run(stk, &c);
	CU_ASSERT_EQUAL(n_refresh, 1);
	CU_ASSERT_EQUAL(refresh_mode, CAT_REFRESH_UICC_RESET);
	CU_ASSERT_EQUAL(n_tr, before);
	stk->refresh_tr = DEV_STK_REFRESH_TR_BEFORE_RESET;
	run(stk, &c);
	CU_ASSERT_EQUAL(n_tr, before + 1);
	c.details.qualifier = CAT_REFRESH_NAA_INIT;
	stk->refresh_tr = DEV_STK_REFRESH_TR_NONE;
	run(stk, &c);
	CU_ASSERT_EQUAL(n_tr, before + 2);
	CU_ASSERT_EQUAL(n_refresh, 3);
	dev_stk_free(stk);
}

void test_stk_unknown_and_malformed(void)
{
	struct dev_stk *stk = new_stk();
	struct cat_terminal_response tr;
	size_t n;
	/* D0 { 81 03 01 21 00 (DISPLAY TEXT), 82 02 81 02, 8D 02 04 41 } */
	uint8_t *cmd = test_unhex("d00d 8103012100 82028102 8d020441", &n);
	CU_ASSERT_EQUAL(dev_stk_proactive(stk, cmd, n), 0);
	last_tr(&tr);
	CU_ASSERT_EQUAL(tr.general, CAT_RES_TYPE_NOT_UNDERSTOOD);
	CU_ASSERT_EQUAL(tr.details.number, 1);
	free(cmd);
	/* not a proactive command at all: no TR possible */
	cmd = test_unhex("9000", &n);
	CU_ASSERT(dev_stk_proactive(stk, cmd, n) < 0);
	free(cmd);
	/* OPEN CHANNEL without its buffer size: required values missing */
	struct cat_proactive c;
	open_cmd(&c, 1, 100);
	c.channel.has_buffer_size = false;
	run(stk, &c);
	last_tr(&tr);
	CU_ASSERT(tr.general == CAT_RES_REQUIRED_VALUES_MISSING);
	dev_stk_free(stk);
}
