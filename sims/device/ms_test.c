/* The MS state machine with stub transports: a stub SCCP user records every BSSAP message the MS sends,
 * a stub card answers IMSI / AUTHENTICATE / SMS-PP download. Narrative tests in the osmo-msc style:
 * the network side is played by feeding the bytes osmo-msc sends.
 *
 * Vectors: the LOCATION UPDATING REQUEST 05087200f110000b33080910100000000010 and the LOCATION UPDATING
 * ACCEPT 050200f110000b1705f46c9828c2 are the bytes osmo-msc 1.9 exchanged with the C BSC in
 * shared/docs/sigtran-lab.md §2 (IMSI 001010000000001, MCC 001 MNC 01 LAC 11). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <osmocom/core/application.h>
#include <osmocom/core/logging.h>
#include <osmocom/core/select.h>
#include <osmocom/core/talloc.h>
#include <osmocom/core/timer.h>
#include <osmocom/core/timer_compat.h>

#include "lib/cat/cat.h"
#include "lib/sms/sms.h"
#include "lib/test/runner.h"
#include "sims/device/a_msg.h"
#include "sims/device/ms.h"

#define MAXMSG 32
struct sent {
	char kind; /* U udt, C conn req, D data, X disconnect */
	uint32_t conn;
	uint8_t b[300];
	size_t len;
};
static struct sent sent[MAXMSG];
static unsigned int n_sent;
static char card_imsi[16];
static unsigned int n_auth, n_dl;
static uint8_t dl_tpdu[200], dl_sc[12];
static size_t dl_tpdu_len, dl_sc_len;
static uint16_t dl_sw = 0x9000;
static uint8_t dl_por[64];
static size_t dl_por_len;
static int loc_status = -1;
static uint8_t loc_info[7];
static int mo_result = 1000;
static void *ctx;

static void record(char kind, uint32_t conn, struct msgb *m)
{
	CU_ASSERT_FATAL(n_sent < MAXMSG);
	struct sent *s = &sent[n_sent++];
	s->kind = kind;
	s->conn = conn;
	s->len = m ? msgb_length(m) : 0;
	if (m) {
		CU_ASSERT_FATAL(s->len <= sizeof(s->b));
		memcpy(s->b, msgb_data(m), s->len);
		msgb_free(m);
	}
}
static int tx_udt(void *p, struct msgb *m)
{
	record('U', 0, m);
	return 0;
}
static int tx_conn_req(void *p, uint32_t id, struct msgb *m)
{
	record('C', id, m);
	return 0;
}
static int tx_conn_data(void *p, uint32_t id, struct msgb *m)
{
	record('D', id, m);
	return 0;
}
static int tx_disc(void *p, uint32_t id)
{
	record('X', id, NULL);
	return 0;
}
static const struct dev_ms_net_ops net = { tx_udt, tx_conn_req, tx_conn_data, tx_disc };

static int sim_imsi(void *p, char imsi[16])
{
	if (!card_imsi[0])
		return -ENOENT;
	strcpy(imsi, card_imsi);
	return 0;
}
static int sim_auth(void *p, const uint8_t rand[16], const uint8_t *autn, struct dev_auth_res *res)
{
	memset(res, 0, sizeof(*res));
	n_auth++;
	/* the stub card's "algorithm": SRES = first 4 bytes of RAND xor a5 */
	for (int i = 0; i < 4; i++)
		res->sres[i] = rand[i] ^ 0xa5;
	res->ok = true;
	res->sw = 0x9000;
	return 0;
}
static int sim_dl(void *p, const uint8_t *sc, size_t sc_len, const uint8_t *tpdu, size_t tpdu_len, struct dev_rapdu *r)
{
	n_dl++;
	memcpy(dl_tpdu, tpdu, tpdu_len);
	dl_tpdu_len = tpdu_len;
	memcpy(dl_sc, sc, sc_len);
	dl_sc_len = sc_len;
	memcpy(r->data, dl_por, dl_por_len);
	r->len = dl_por_len;
	r->sw = r->sw_first = dl_sw;
	if (dl_por_len)
		r->sw_first = (uint16_t)(0x6100 | dl_por_len);
	return 0;
}
static void sim_loc(void *p, uint8_t status, const uint8_t *loci, size_t len)
{
	loc_status = status;
	memset(loc_info, 0, sizeof(loc_info));
	if (loci && len == 7)
		memcpy(loc_info, loci, 7);
}
static void sim_mo_done(void *p, int result)
{
	mo_result = result;
}
static const struct dev_ms_sim_ops sim = {
	.read_imsi = sim_imsi,
	.authenticate = sim_auth,
	.sms_pp_download = sim_dl,
	.location_status = sim_loc,
	.mo_sms_done = sim_mo_done,
};

static const struct log_info_cat cats[] = { [0] = { .name = "DTEST", .enabled = 0, .loglevel = LOGL_ERROR } };
static const struct log_info li = { .cat = cats, .num_cat = ARRAY_SIZE(cats) };

int suite_setup(void)
{
	ctx = talloc_named_const(NULL, 0, "ms_test");
	msgb_talloc_ctx_init(ctx, 0);
	osmo_init_logging2(ctx, &li);
	log_set_log_level(osmo_stderr_target, LOGL_FATAL);
	log_set_all_filter(osmo_stderr_target, 0);
	return 0;
}

static struct dev_ms *new_ms(void)
{
	struct dev_ms_cfg cfg = { .cgi = { .lai = { .plmn = { .mcc = 1, .mnc = 1 }, .lac = 11 }, .cell_identity = 1 },
				  .sc = { 0x91, 0x44, 0x77, 0x00, 0x00, 0x10 },
				  .sc_len = 6 };
	n_sent = 0;
	n_auth = n_dl = 0;
	loc_status = -1;
	mo_result = 1000;
	dl_sw = 0x9000;
	dl_por_len = 0;
	strcpy(card_imsi, "001010000000001");
	return dev_ms_alloc(ctx, &cfg, &net, &sim, NULL);
}

static void feed_udt(struct dev_ms *ms, const char *hex)
{
	size_t n;
	uint8_t *b = test_unhex(hex, &n);
	dev_ms_rx_udt(ms, b, n);
	free(b);
}
static void feed(struct dev_ms *ms, uint32_t conn, const char *hex)
{
	size_t n;
	uint8_t *b = test_unhex(hex, &n);
	dev_ms_rx_conn_data(ms, conn, b, n);
	free(b);
}
/* DTAP with L3 in hex */
static void feed_dtap(struct dev_ms *ms, uint32_t conn, uint8_t dlci, const char *l3hex)
{
	size_t n;
	uint8_t *l3 = test_unhex(l3hex, &n);
	uint8_t b[300] = { 0x01, dlci, (uint8_t)n };
	memcpy(b + 3, l3, n);
	dev_ms_rx_conn_data(ms, conn, b, n + 3);
	free(l3);
}

/* Power on, RESET/RESET ACK, LU with the card's SRES, LU ACCEPT with TMSI. Returns the conn id. */
static uint32_t attach(struct dev_ms *ms)
{
	dev_ms_power_on(ms);
	CU_ASSERT_EQUAL_FATAL(n_sent, 1);
	CU_ASSERT_EQUAL(sent[0].kind, 'U');
	TEST_ASSERT_HEX_EQ(sent[0].b, sent[0].len, "000430040120"); /* BSSMAP RESET, cause O&M intervention */
	feed_udt(ms, "000131");					    /* RESET ACKNOWLEDGE */
	CU_ASSERT_EQUAL_FATAL(n_sent, 2);
	CU_ASSERT_EQUAL(sent[1].kind, 'C');
	/* COMPLETE LAYER 3 INFORMATION: cell identifier (whole CGI) + L3 = the sigtran-lab LU REQUEST */
	TEST_ASSERT_HEX_EQ(sent[1].b, sent[1].len,
			   "001f57 05 08 00 00f110 000b 0001 17 12 05087200f110000b33080910100000000010");
	uint32_t c = sent[1].conn;
	dev_ms_rx_conn_confirm(ms, c);
	feed_dtap(ms, c, 0, "0512 00 00112233445566778899aabbccddeeff"); /* AUTH REQ, CKSN 0, RAND */
	CU_ASSERT_EQUAL(n_auth, 1);
	CU_ASSERT_EQUAL_FATAL(n_sent, 3);
	/* AUTH RESPONSE with N(SD) = 1 (0x14 | 0x40), SRES = 00112233 ^ a5a5a5a5 */
	TEST_ASSERT_HEX_EQ(sent[2].b, sent[2].len, "010006 0554 a5b48796");
	feed_dtap(ms, c, 0, "050200f110000b1705f46c9828c2");
	CU_ASSERT_EQUAL_FATAL(n_sent, 4);
	TEST_ASSERT_HEX_EQ(sent[3].b, sent[3].len, "010002 051b"); /* TMSI REALLOCATION COMPLETE, N(SD) 0 */
	return c;
}

void test_ms_lu_with_card_auth(void)
{
	struct dev_ms *ms = new_ms();
	uint32_t c = attach(ms);

	CU_ASSERT_EQUAL(ms->fi->state, DEV_MS_ST_ATTACHED);
	CU_ASSERT_TRUE(ms->has_tmsi);
	CU_ASSERT_EQUAL(ms->tmsi, 0x6c9828c2);
	CU_ASSERT_EQUAL(ms->serving.lac, 11);
	CU_ASSERT_EQUAL(loc_status, CAT_LOC_NORMAL_SERVICE);
	TEST_ASSERT_HEX_EQ(loc_info, 7, "00f110000b0001"); /* TS 102 223 §8.19: MCC MNC LAC CI */
	/* CLEAR COMMAND -> CLEAR COMPLETE, then the release */
	feed(ms, c, "0004 20 04 0109");
	CU_ASSERT_EQUAL_FATAL(n_sent, 5);
	TEST_ASSERT_HEX_EQ(sent[4].b, sent[4].len, "000121");
	dev_ms_rx_disconnect(ms, c);
	CU_ASSERT_FALSE(ms->conn.active);
	CU_ASSERT_EQUAL(ms->fi->state, DEV_MS_ST_ATTACHED);
	dev_ms_free(ms);
}

void test_ms_lu_reject_cause3_limited_service(void)
{
	struct dev_ms *ms = new_ms();

	ms->faults.fail_attach = 1;
	dev_ms_power_on(ms);
	feed_udt(ms, "000131");
	uint32_t c = sent[1].conn;
	feed_dtap(ms, c, 0, "0512 00 00112233445566778899aabbccddeeff");
	/* the fault corrupted the SRES: 00112233 ^ a5a5a5a5 ^ ffffffff */
	TEST_ASSERT_HEX_EQ(sent[2].b, sent[2].len, "010006 0554 5a4b7869");
	CU_ASSERT_EQUAL(ms->faults.fail_attach, 0);
	feed_dtap(ms, c, 0, "0504 03"); /* LOCATION UPDATING REJECT, cause 3 illegal MS */
	CU_ASSERT_EQUAL(ms->fi->state, DEV_MS_ST_LIMITED);
	CU_ASSERT_EQUAL(ms->last_reject_cause, 3);
	CU_ASSERT_EQUAL(loc_status, CAT_LOC_LIMITED_SERVICE);
	CU_ASSERT_FALSE(osmo_timer_pending(&ms->t3211)); /* cause 3: no retry (TS 24.008 §4.4.4.9) */
	/* a PAGING for us is not answered in limited service */
	dev_ms_rx_disconnect(ms, c);
	unsigned int before = n_sent;
	feed_udt(ms, "000e 52 08 08 0910100000000010 1a 01 05");
	CU_ASSERT_EQUAL(n_sent, before);
	dev_ms_free(ms);
}

static const char *MT_RP_DATA_HEX =
	/* CP-DATA TI 0 (network originated) | RP-DATA N->MS mr 7, RP-OA 91 447758100650, RP-DA empty,
	 * SMS-DELIVER fo 40 (UDHI), OA 555 (unknown TON, 81), PID 7F, DCS F6, SCTS, UDL 8 UD 027000d0d1d2d3d4
	 * (network-lab §2.4 shows the same DELIVER coming out of osmo-msc) */
	"0901 23 01 07 07 91447758100650 00 17 40 03 81 55f5 7f f6 32107021000000 08 027000d0d1d2d3d4";

void test_ms_mt_sms_envelope_rp_ack_with_por(void)
{
	struct dev_ms *ms = new_ms();
	uint32_t c = attach(ms);
	dev_ms_rx_disconnect(ms, c);
	n_sent = 0;

	/* PAGING for our IMSI -> CR with PAGING RESPONSE */
	feed_udt(ms, "000e 52 08 08 0910100000000010 1a 01 05");
	CU_ASSERT_EQUAL_FATAL(n_sent, 1);
	CU_ASSERT_EQUAL(sent[0].kind, 'C');
	TEST_ASSERT_HEX_EQ(sent[0].b, sent[0].len,
			   "001d57 05 08 00 00f110 000b 0001 17 10 0627 07 03 3319a2 08 0910100000000010");
	c = sent[0].conn;
	dev_ms_rx_conn_confirm(ms, c);
	/* the card's PoR: UDHL 02, IEI 71 (RPI) len 00, then the response packet */
	memcpy(dl_por, "\x02\x71\x00\x00\x0b\x0a\xb0\x00\x01\x00\x00\x00\x00\x00\x01\x00", 16);
	dl_por_len = 16;
	feed_dtap(ms, c, 3, MT_RP_DATA_HEX);
	CU_ASSERT_EQUAL(n_dl, 1);
	TEST_ASSERT_HEX_EQ(dl_sc, dl_sc_len, "91447758100650");
	TEST_ASSERT_HEX_EQ(dl_tpdu, dl_tpdu_len, "400381 55f5 7ff6 32107021000000 08 027000d0d1d2d3d4");
	CU_ASSERT_EQUAL_FATAL(n_sent, 3);
	TEST_ASSERT_HEX_EQ(sent[1].b, sent[1].len, "010302 8904"); /* CP-ACK, TI flag 1 */
	/* CP-DATA(RP-ACK mr 7, RP-UD: SMS-DELIVER-REPORT fo 40 (UDHI), PI 07, PID 7F, DCS F6, UDL 16, PoR) */
	TEST_ASSERT_HEX_EQ(sent[2].b, sent[2].len,
			   "01 03 1c 8901 19 02 07 41 15 40 07 7f f6 10 027100000b0ab0000100000000000100");
	CU_ASSERT_EQUAL(ms->n_mt_sms, 1);
	dev_ms_free(ms);
}

void test_ms_mt_sms_plain_ack_and_busy(void)
{
	struct dev_ms *ms = new_ms();
	uint32_t c = attach(ms);
	n_sent = 0;
	/* 90 00 without data -> a plain RP-ACK */
	feed_dtap(ms, c, 3, MT_RP_DATA_HEX);
	CU_ASSERT_EQUAL_FATAL(n_sent, 2);
	TEST_ASSERT_HEX_EQ(sent[1].b, sent[1].len, "010305 8901 02 0207");
	/* 93 00 toolkit busy -> RP-ERROR cause 111 with a report TP-FCS D4 */
	dl_sw = 0x9300;
	feed_dtap(ms, c, 3, MT_RP_DATA_HEX);
	CU_ASSERT_EQUAL_FATAL(n_sent, 4);
	TEST_ASSERT_HEX_EQ(sent[3].b, sent[3].len, "01030e 8901 0b 04 07 01 6f 41 05 00 d4 03 7f f6");
	dev_ms_free(ms);
}

void test_ms_mt_sms_drop_fault(void)
{
	struct dev_ms *ms = new_ms();
	uint32_t c = attach(ms);
	ms->faults.drop_mt = 1;
	n_sent = 0;
	feed_dtap(ms, c, 3, MT_RP_DATA_HEX);
	CU_ASSERT_EQUAL(n_sent, 0);
	CU_ASSERT_EQUAL(n_dl, 0);
	CU_ASSERT_EQUAL(ms->n_mt_dropped, 1);
	feed_dtap(ms, c, 3, MT_RP_DATA_HEX); /* the next one goes through */
	CU_ASSERT_EQUAL(n_sent, 2);
	CU_ASSERT_EQUAL(n_dl, 1);
	dev_ms_free(ms);
}

/* fault delay-mt: CP-ACK at once, the card and the RP-ACK only when the hold ends; an SMS from another
 * originator (TP-OA) is not held; the hold is bounded. The timer is driven by libosmocore's clock
 * override, so the test does not depend on wall time. */
static void clock_add(time_t s, long us)
{
	osmo_clock_override_add(CLOCK_MONOTONIC, s, us * 1000);
	osmo_gettimeofday_override_add(s, us);
}

void test_ms_mt_sms_delay_fault(void)
{
	struct dev_ms *ms = new_ms();
	uint32_t c = attach(ms);

	n_sent = 0;
	n_dl = 0;
	dl_sw = 0x9000;
	dl_por_len = 0;
	CU_ASSERT_EQUAL(dev_ms_fault_delay_mt(ms, DEV_MS_DELAY_MT_MAX_MS + 1, NULL), -EINVAL);
	CU_ASSERT_EQUAL(dev_ms_fault_delay_mt(ms, 30000, "556"), 0); /* another SM-SR's short code */
	feed_dtap(ms, c, 3, MT_RP_DATA_HEX);			     /* TP-OA 555: not held */
	CU_ASSERT_EQUAL(n_dl, 1);
	CU_ASSERT_EQUAL(n_sent, 2);
	CU_ASSERT_EQUAL(ms->n_mt_delayed, 0);

	osmo_clock_override_enable(CLOCK_MONOTONIC, true);
	osmo_gettimeofday_override = true; /* libosmocore's timers read one or the other, by version */
	osmo_gettimeofday_override_time = (struct timeval){ 1000, 0 };
	CU_ASSERT_EQUAL(dev_ms_fault_delay_mt(ms, 30000, "555"), 0);
	n_sent = 0;
	feed_dtap(ms, c, 3, MT_RP_DATA_HEX);
	CU_ASSERT_EQUAL_FATAL(n_sent, 1);
	TEST_ASSERT_HEX_EQ(sent[0].b, sent[0].len, "010302 8904"); /* CP-ACK at once */
	CU_ASSERT_EQUAL(n_dl, 1);				   /* the card has not seen it */
	CU_ASSERT_EQUAL(ms->n_mt_delayed, 1);
	clock_add(29, 999000);
	osmo_timers_update();
	CU_ASSERT_EQUAL(n_dl, 1); /* 1 ms early */
	CU_ASSERT_EQUAL(n_sent, 1);
	clock_add(0, 1000);
	osmo_timers_update();
	CU_ASSERT_EQUAL(n_dl, 2); /* now */
	CU_ASSERT_EQUAL_FATAL(n_sent, 2);
	TEST_ASSERT_HEX_EQ(sent[1].b, sent[1].len, "010305 8901 02 0207"); /* RP-ACK mr 7 */

	/* no OA: every MT SMS; at most DEV_MS_HELD_MAX at once, the rest go through undelayed */
	CU_ASSERT_EQUAL(dev_ms_fault_delay_mt(ms, 100, NULL), 0);
	n_sent = 0;
	for (int i = 0; i < DEV_MS_HELD_MAX + 1; i++)
		feed_dtap(ms, c, 3, MT_RP_DATA_HEX);
	CU_ASSERT_EQUAL(ms->n_mt_delayed, 1 + DEV_MS_HELD_MAX);
	CU_ASSERT_EQUAL(n_dl, 3);		      /* the one beyond the queue */
	CU_ASSERT_EQUAL(n_sent, DEV_MS_HELD_MAX + 2); /* 9 CP-ACKs + its RP-ACK */
	clock_add(0, 100000);
	osmo_timers_update();
	CU_ASSERT_EQUAL(n_dl, 3 + DEV_MS_HELD_MAX);
	/* off again: straight through */
	CU_ASSERT_EQUAL(dev_ms_fault_delay_mt(ms, 0, NULL), 0);
	feed_dtap(ms, c, 3, MT_RP_DATA_HEX);
	CU_ASSERT_EQUAL(n_dl, 4 + DEV_MS_HELD_MAX);
	/* freed with an SMS still held: its timer goes with it (ASan would see a use after free) */
	CU_ASSERT_EQUAL(dev_ms_fault_delay_mt(ms, 1000, NULL), 0);
	feed_dtap(ms, c, 3, MT_RP_DATA_HEX);
	dev_ms_free(ms);
	clock_add(2, 0);
	osmo_timers_update();
	CU_ASSERT_EQUAL(n_dl, 4 + DEV_MS_HELD_MAX);
	osmo_clock_override_enable(CLOCK_MONOTONIC, false);
	osmo_gettimeofday_override = false;
}

void test_ms_refresh_detach_reattach_new_imsi(void)
{
	struct dev_ms *ms = new_ms();
	uint32_t c = attach(ms);

	/* REFRESH arrives while the connection is still up: everything waits for the release */
	strcpy(card_imsi, "001020000000042");
	n_sent = 0;
	dev_ms_refresh(ms);
	CU_ASSERT_EQUAL(n_sent, 0);
	dev_ms_rx_disconnect(ms, c);
	CU_ASSERT_EQUAL_FATAL(n_sent, 1);
	CU_ASSERT_EQUAL(ms->fi->state, DEV_MS_ST_DETACH);
	/* IMSI DETACH INDICATION for the OLD identity */
	TEST_ASSERT_HEX_EQ(sent[0].b, sent[0].len,
			   "001957 05 08 00 00f110 000b 0001 17 0c 0501 33 08 0910100000000010");
	uint32_t c2 = sent[0].conn;
	CU_ASSERT_NOT_EQUAL(c2, c);
	dev_ms_rx_disconnect(ms, c2);
	/* then LU with the new IMSI */
	CU_ASSERT_EQUAL_FATAL(n_sent, 2);
	CU_ASSERT_EQUAL(ms->fi->state, DEV_MS_ST_LU);
	TEST_ASSERT_HEX_EQ(sent[1].b, sent[1].len,
			   "001f57 05 08 00 00f110 000b 0001 17 12 05087200f110000b33080910200000000024");
	CU_ASSERT_STRING_EQUAL(ms->imsi, "001020000000042");
	uint32_t c3 = sent[1].conn;
	feed_dtap(ms, c3, 0, "0512 00 ffeeddccbbaa99887766554433221100");
	feed_dtap(ms, c3, 0, "050200f110000b");
	CU_ASSERT_EQUAL(ms->fi->state, DEV_MS_ST_ATTACHED);
	CU_ASSERT_EQUAL(n_auth, 2);
	dev_ms_free(ms);
}

void test_ms_mo_sms(void)
{
	struct dev_ms *ms = new_ms();
	uint32_t c = attach(ms);
	static const uint8_t tpdu[] = { 0x41, 0x01, 0x03, 0x81, 0x55, 0xf5, 0x7f, 0xf6, 0x03, 0x02, 0x71, 0x00 };

	CU_ASSERT_EQUAL(dev_ms_send_sms(ms, NULL, 0, tpdu, sizeof(tpdu)), 0);
	CU_ASSERT_EQUAL(dev_ms_send_sms(ms, NULL, 0, tpdu, sizeof(tpdu)), -EBUSY);
	n_sent = 0;
	dev_ms_rx_disconnect(ms, c); /* the LU connection goes, the MO one opens */
	CU_ASSERT_EQUAL_FATAL(n_sent, 1);
	TEST_ASSERT_HEX_EQ(sent[0].b, sent[0].len,
			   "001d57 05 08 00 00f110 000b 0001 17 10 0524 74 03 3319a2 08 0910100000000010");
	c = sent[0].conn;
	feed_dtap(ms, c, 0, "0521"); /* CM SERVICE ACCEPT */
	CU_ASSERT_EQUAL_FATAL(n_sent, 2);
	/* CP-DATA TI 0 | RP-DATA MS->N mr 1, RP-OA empty, RP-DA = configured SC, the TPDU */
	TEST_ASSERT_HEX_EQ(sent[1].b, sent[1].len,
			   "01031a 0901 17 00 01 00 06 914477000010 0c 41010381 55f5 7ff6 03027100");
	feed_dtap(ms, c, 3, "8904");	     /* CP-ACK */
	feed_dtap(ms, c, 3, "8901 02 0301"); /* CP-DATA(RP-ACK N->MS mr 1) */
	CU_ASSERT_EQUAL(mo_result, 0);
	CU_ASSERT_EQUAL_FATAL(n_sent, 3);
	TEST_ASSERT_HEX_EQ(sent[2].b, sent[2].len, "010302 0904"); /* our CP-ACK, TI flag 0 */
	CU_ASSERT_PTR_NULL(ms->mo);

	/* an RP-ERROR ends the next one with its cause */
	CU_ASSERT_EQUAL(dev_ms_send_sms(ms, NULL, 0, tpdu, sizeof(tpdu)), 0);
	dev_ms_rx_disconnect(ms, c);
	c = sent[n_sent - 1].conn;
	feed_dtap(ms, c, 0, "0521");
	feed_dtap(ms, c, 3, "8901 04 05 02 01 26"); /* RP-ERROR cause 38 */
	CU_ASSERT_EQUAL(mo_result, 38);
	dev_ms_free(ms);
}

void test_ms_power_off_detaches(void)
{
	struct dev_ms *ms = new_ms();
	uint32_t c = attach(ms);
	dev_ms_rx_disconnect(ms, c);
	n_sent = 0;
	dev_ms_power_off(ms);
	CU_ASSERT_EQUAL_FATAL(n_sent, 1);
	CU_ASSERT_EQUAL(ms->fi->state, DEV_MS_ST_DETACH);
	dev_ms_rx_disconnect(ms, sent[0].conn);
	CU_ASSERT_EQUAL(ms->fi->state, DEV_MS_ST_OFF);
	/* no card IMSI: no service */
	card_imsi[0] = '\0';
	n_sent = 0;
	dev_ms_power_on(ms);
	feed_udt(ms, "000131");
	CU_ASSERT_EQUAL(ms->fi->state, DEV_MS_ST_NO_IMSI);
	CU_ASSERT_EQUAL(n_sent, 1);
	dev_ms_free(ms);
}

void test_ms_lu_retry_after_congestion(void)
{
	struct dev_ms *ms = new_ms();

	osmo_tdef_set(dev_ms_tdefs, DEV_MS_T3211, 0, OSMO_TDEF_S);
	dev_ms_power_on(ms);
	feed_udt(ms, "000131");
	uint32_t c = sent[1].conn;
	feed_dtap(ms, c, 0, "0504 16"); /* cause 22 congestion: what osmo-msc sends when the HLR did not answer */
	CU_ASSERT_EQUAL(ms->fi->state, DEV_MS_ST_LIMITED);
	CU_ASSERT_EQUAL(ms->lu_attempts, 1);
	CU_ASSERT_TRUE(osmo_timer_pending(&ms->t3211));
	dev_ms_rx_disconnect(ms, c);
	unsigned int before = n_sent;
	for (int i = 0; i < 50 && n_sent == before; i++)
		osmo_select_main(1);
	CU_ASSERT_EQUAL_FATAL(n_sent, before + 1); /* T3211 fired: a new LU */
	CU_ASSERT_EQUAL(sent[before].kind, 'C');
	CU_ASSERT_EQUAL(ms->fi->state, DEV_MS_ST_LU);
	feed_dtap(ms, sent[before].conn, 0, "050200f110000b");
	CU_ASSERT_EQUAL(ms->fi->state, DEV_MS_ST_ATTACHED);
	CU_ASSERT_EQUAL(ms->lu_attempts, 0);
	osmo_tdef_set(dev_ms_tdefs, DEV_MS_T3211, 15, OSMO_TDEF_S);
	dev_ms_free(ms);
}
