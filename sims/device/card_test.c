/* The card layer over the real vpcd backend: a forked child plays a minimal USIM speaking the vpcd
 * framing (as the project's eUICC simulator does), the parent is the device. Checks the framing on a real
 * socket, ATR, TERMINAL PROFILE with the eUICC flags, 61xx GET RESPONSE, EF.IMSI through ADF.USIM,
 * AUTHENTICATE in GSM context, the FETCH / TERMINAL RESPONSE loop (PROVIDE LOCAL INFORMATION IMEI
 * answered through the STK), ENVELOPE with response data, warm reset, and a card that hangs up. */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <osmocom/core/application.h>
#include <osmocom/core/logging.h>
#include <osmocom/core/talloc.h>

#include "lib/cat/cat.h"
#include "lib/test/runner.h"
#include "sims/device/card.h"
#include "sims/device/stk.h"

static const uint8_t ATR[] = { 0x3B, 0x9F, 0x96, 0x80, 0x1F, 0xC7, 0x80, 0x31, 0xE0, 0x73, 0xFE,
			       0x21, 0x1B, 0x63, 0x3A, 0x20, 0x4E, 0x83, 0x00, 0x90, 0x00, 0x93 };

static int rd(int fd, uint8_t *b, size_t n)
{
	while (n) {
		ssize_t r = read(fd, b, n);
		if (r <= 0)
			return -1;
		b += r;
		n -= (size_t)r;
	}
	return 0;
}

static void reply(int fd, const uint8_t *p, size_t n)
{
	uint8_t b[300] = { (uint8_t)(n >> 8), (uint8_t)n };
	memcpy(b + 2, p, n);
	if (write(fd, b, n + 2) < 0)
		_exit(3);
}

/* the mini USIM: returns when the device closes; exits 0 if every TERMINAL RESPONSE was right */
static void card_main(int fd, int hang_after)
{
	uint8_t h[2], c[300];
	uint8_t pending[64];
	size_t pending_len = 0;
	int apdus = 0, bad = 0;
	/* PROVIDE LOCAL INFORMATION (IMEI): D0 09 81 03 01 26 01 82 02 81 82 */
	static const uint8_t plinfo[] = { 0xD0, 0x09, 0x81, 0x03, 0x01, 0x26, 0x01, 0x82, 0x02, 0x81, 0x82 };
	/* the IMEI object the TR must carry: 490154203237518 (TS 24.008 §10.5.1.4, type 2 IMEI) */
	static const uint8_t imei_obj[] = { 0x94, 0x08, 0x4A, 0x09, 0x51, 0x24, 0x30, 0x32, 0x57, 0x81 };

	for (;;) {
		if (rd(fd, h, 2))
			break;
		size_t n = (size_t)h[0] << 8 | h[1];
		if (n > sizeof(c) || rd(fd, c, n))
			break;
		if (n == 1) {
			if (c[0] == 4)
				reply(fd, ATR, sizeof(ATR));
			continue;
		}
		if (hang_after && ++apdus > hang_after)
			_exit(bad ? 1 : 0); /* the card goes away mid-session */
		uint8_t r[300];
		size_t rl = 0;
		switch (c[1]) {
		case 0xA4: /* SELECT: by AID -> FCP through 61xx; by FID -> 9000 */
			if (c[2] == 0x04) {
				static const uint8_t fcp[] = { 0x62, 0x03, 0x82, 0x01, 0x38 };
				memcpy(pending, fcp, sizeof(fcp));
				pending_len = sizeof(fcp);
				r[rl++] = 0x61;
				r[rl++] = (uint8_t)pending_len;
			} else {
				r[rl++] = 0x90;
				r[rl++] = 0x00;
			}
			break;
		case 0xC0: /* GET RESPONSE */
			memcpy(r, pending, pending_len);
			rl = pending_len;
			r[rl++] = 0x90;
			r[rl++] = 0x00;
			pending_len = 0;
			break;
		case 0xB0: { /* READ BINARY EF.IMSI */
			static const uint8_t ef[] = { 0x08, 0x09, 0x10, 0x10, 0x00, 0x00, 0x00, 0x00, 0x10, 0x90, 0x00 };
			memcpy(r, ef, sizeof(ef));
			rl = sizeof(ef);
			break;
		}
		case 0x88: { /* AUTHENTICATE GSM context: 04 SRES 08 Kc, through 61 0E */
			static const uint8_t res[] = { 0x04, 0x24, 0xd7, 0x8d, 0x01, 0x08, 1, 2, 3, 4, 5, 6, 7, 8 };
			if (c[3] != 0x80 || c[4] != 0x11 || c[5] != 0x10)
				bad++;
			memcpy(pending, res, sizeof(res));
			pending_len = sizeof(res);
			r[rl++] = 0x61;
			r[rl++] = 0x0e;
			break;
		}
		case 0x10: /* TERMINAL PROFILE: must advertise SMS-PP download and OPEN CHANNEL; a command is pending */
			if (n < 5 + 12 || !(c[5] & 0x02) || !(c[5 + 11] & 0x01))
				bad++;
			r[rl++] = 0x91;
			r[rl++] = sizeof(plinfo);
			break;
		case 0x12: /* FETCH */
			memcpy(r, plinfo, sizeof(plinfo));
			rl = sizeof(plinfo);
			r[rl++] = 0x90;
			r[rl++] = 0x00;
			break;
		case 0x14: /* TERMINAL RESPONSE: must carry the IMEI */
			if (n < 5 + sizeof(imei_obj) || !memmem(c + 5, n - 5, imei_obj, sizeof(imei_obj)))
				bad++;
			r[rl++] = 0x90;
			r[rl++] = 0x00;
			break;
		case 0xC2: { /* ENVELOPE: a PoR through 61 05 */
			static const uint8_t por[] = { 0x02, 0x71, 0x00, 0xab, 0xcd };
			memcpy(pending, por, sizeof(por));
			pending_len = sizeof(por);
			r[rl++] = 0x61;
			r[rl++] = 0x05;
			break;
		}
		default: r[rl++] = 0x6D; r[rl++] = 0x00;
		}
		reply(fd, r, rl);
	}
	_exit(bad ? 1 : 0);
}

static pid_t start_card(uint16_t *port, int hang_after)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t l = sizeof(sa);
	int lfd = socket(AF_INET, SOCK_STREAM, 0);
	CU_ASSERT_FATAL(lfd >= 0);
	CU_ASSERT_FATAL(bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) == 0);
	CU_ASSERT_FATAL(listen(lfd, 1) == 0);
	getsockname(lfd, (struct sockaddr *)&sa, &l);
	*port = ntohs(sa.sin_port);
	pid_t pid = fork();
	CU_ASSERT_FATAL(pid >= 0);
	if (pid == 0) {
		alarm(20); /* a test card never outlives a broken test */
		int fd = accept(lfd, NULL, NULL);
		close(lfd);
		if (fd < 0)
			_exit(2);
		card_main(fd, hang_after);
	}
	close(lfd);
	return pid;
}

static int card_exit(pid_t pid)
{
	int st = 0;
	waitpid(pid, &st, 0);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 100;
}

static struct dev_card *tr_card;
static uint16_t tr_sw;
static int op_tr(void *p, const uint8_t *b, size_t n)
{
	static struct dev_rapdu r;
	int rc = dev_card_terminal_response(tr_card, b, n, &r);
	tr_sw = r.sw;
	return rc;
}
static int op_env(void *p, const uint8_t *b, size_t n)
{
	return 0;
}
static int op_sms(void *p, const uint8_t *sc, size_t l, const uint8_t *t, size_t tl)
{
	return -ENOTCONN;
}
static void op_refresh(void *p, uint8_t m)
{
}
static const struct dev_stk_ops ops = { op_tr, op_env, op_sms, op_refresh, NULL };

static const struct log_info_cat cats[] = { [0] = { .name = "DTEST", .enabled = 0, .loglevel = LOGL_ERROR } };
static const struct log_info li = { .cat = cats, .num_cat = ARRAY_SIZE(cats) };
static void *ctx;

int suite_setup(void)
{
	ctx = talloc_named_const(NULL, 0, "card_test");
	osmo_init_logging2(ctx, &li);
	log_set_log_level(osmo_stderr_target, LOGL_FATAL);
	log_set_all_filter(osmo_stderr_target, 0);
	return 0;
}

void test_card_vpcd_session(void)
{
	static struct dev_card card;
	static struct dev_rapdu r;
	struct dev_auth_res ar;
	uint8_t tp[CAT_TP_MAX_BYTES];
	char imsi[16];
	uint16_t port;
	pid_t pid = start_card(&port, 0);

	memset(&card, 0, sizeof(card));
	card.ops = &dev_vpcd_ops;
	CU_ASSERT_FATAL(dev_vpcd_open(&card.priv, "127.0.0.1", port, true, 2000) == 0);
	int tpl = cat_terminal_profile_build(tp, sizeof(tp), cat_tp_euicc_flags, 1, 0);
	CU_ASSERT_FATAL(tpl >= 17);
	CU_ASSERT_EQUAL(dev_card_start(&card, false, tp, (size_t)tpl), 0);
	TEST_ASSERT_MEM_EQ(card.atr, card.atr_len, ATR, sizeof(ATR));
	CU_ASSERT_EQUAL(card.proactive, 11); /* 91 0B after TERMINAL PROFILE */

	/* the proactive loop: FETCH -> STK -> TERMINAL RESPONSE with the IMEI */
	struct dev_stk *stk = dev_stk_alloc(ctx, &ops, NULL, "490154203237518");
	tr_card = &card;
	CU_ASSERT_EQUAL(dev_card_fetch(&card, &r), 0);
	CU_ASSERT_EQUAL(r.sw, 0x9000);
	CU_ASSERT_EQUAL(dev_stk_proactive(stk, r.data, r.len), 0);
	CU_ASSERT_EQUAL(tr_sw, 0x9000);
	CU_ASSERT_EQUAL(card.proactive, 0);
	CU_ASSERT_EQUAL(dev_card_fetch(&card, &r), -ENOENT);

	/* EF.IMSI through ADF.USIM (the SELECT by AID answers 61 05 -> GET RESPONSE) */
	CU_ASSERT_EQUAL(dev_card_read_imsi(&card, imsi), 0);
	CU_ASSERT_STRING_EQUAL(imsi, "001010000000001");
	CU_ASSERT_TRUE(card.usim);

	/* AUTHENTICATE, GSM context: the SRES comes from the card (the osmo-auc-gen value of sigtran-lab) */
	static const uint8_t rand[16] = { 0x80, 0xfa, 0x9f, 0xef };
	CU_ASSERT_EQUAL(dev_card_authenticate(&card, rand, NULL, &ar), 0);
	CU_ASSERT_TRUE(ar.ok);
	TEST_ASSERT_HEX_EQ(ar.sres, 4, "24d78d01");

	/* ENVELOPE with response data: sw_first keeps the 61 05 */
	static const uint8_t env[] = { 0xD1, 0x03, 0x82, 0x02, 0x83, 0x81 };
	CU_ASSERT_EQUAL(dev_card_envelope(&card, env, sizeof(env), &r), 0);
	CU_ASSERT_EQUAL(r.sw, 0x9000);
	CU_ASSERT_EQUAL(r.sw_first, 0x6105);
	TEST_ASSERT_HEX_EQ(r.data, r.len, "027100abcd");

	/* warm reset: ATR again, the TERMINAL PROFILE again */
	CU_ASSERT_EQUAL(dev_card_start(&card, true, tp, (size_t)tpl), 0);
	CU_ASSERT_EQUAL(card.atr_len, sizeof(ATR));
	CU_ASSERT_EQUAL(dev_card_stop(&card), 0);
	CU_ASSERT_EQUAL(dev_card_read_imsi(&card, imsi), -ENODEV); /* powered off */
	dev_stk_free(stk);
	card.ops->destroy(card.priv);
	CU_ASSERT_EQUAL(card_exit(pid), 0); /* the card saw only well-formed commands */
}

void test_card_vpcd_card_goes_away(void)
{
	static struct dev_card card;
	char imsi[16];
	uint16_t port;
	pid_t pid = start_card(&port, 1); /* answers one APDU, then exits */

	memset(&card, 0, sizeof(card));
	card.ops = &dev_vpcd_ops;
	CU_ASSERT_FATAL(dev_vpcd_open(&card.priv, "127.0.0.1", port, true, 2000) == 0);
	CU_ASSERT_EQUAL(dev_card_start(&card, false, NULL, 0), 0);
	int rc = dev_card_read_imsi(&card, imsi); /* the second APDU finds no card */
	CU_ASSERT(rc == -ECONNRESET || rc == -EPIPE);
	card.ops->destroy(card.priv);
	card_exit(pid);
	/* nobody listening: open fails after its wait */
	void *priv = NULL;
	CU_ASSERT(dev_vpcd_open(&priv, "127.0.0.1", port, true, 100) < 0);
	CU_ASSERT_EQUAL(dev_vpcd_open(&priv, "not-an-ip", port, true, 100), -EINVAL);
}
