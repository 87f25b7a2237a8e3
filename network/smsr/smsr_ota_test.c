/* ES5 over SMS (smsr_ota), narrative style: the SMS transport is a stub that hands every MT TP-UD to a
 * simulated card written here with the CARD side of lib/scp80 (unwrap with the counter rule, PoR wrap)
 * and lib/rscript (response scripts), so both directions are checked by independent code paths. Time is
 * frozen and advanced by hand for the retransmission and timeout rows. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <osmocom/core/logging.h>
#include <osmocom/core/timer.h>
#include <osmocom/core/utils.h>
#include <talloc.h>

#include "lib/es5/notification.h"
#include "lib/rscript/rscript.h"
#include "lib/scp80/scp80.h"
#include "lib/sms/sms_concat.h"
#include "lib/test/runner.h"
#include "network/smsr/smsr.h"
#include "network/smsr/smsr_log.h"
#include "network/smsr/smsr_ota.h"

#define btw(fmt, args...) fprintf(stderr, "\n--- " fmt "\n", ##args)

static void *ctx;
static const char *EID = "89001012012341234012345678901224";
static const char *MSISDN = "1001";
static uint8_t kic[16], kid[16];

static struct osmo_tdef test_tdefs[] = {
	{ .T = SMSR_T_POR, .default_val = 30, .unit = OSMO_TDEF_S, .desc = "por" },
	{ .T = SMSR_T_MO_REASSEMBLY, .default_val = 20, .unit = OSMO_TDEF_S, .desc = "mo" },
	{}
};

static void fake_time_passes(unsigned int secs)
{
	osmo_gettimeofday_override_time.tv_sec += secs;
	osmo_timers_prepare();
	osmo_timers_update();
}

/* ---- the simulated card ------------------------------------------------------------------------ */

struct card {
	struct smsr_ota *ota; /* where its MO goes */
	bool online;	      /* false: MT SMS are lost */
	bool corrupt_por;     /* flip a bit in the next PoR's ciphered part */
	bool hold_por;	      /* keep PoRs back (delivered by the test, late and in any order) */
	uint8_t held[2][600];
	size_t held_len[2];
	unsigned int n_held;
	uint8_t por_status;
	uint16_t sw; /* SW of every command */
	uint64_t last_cntr;
	struct sms_concat mt;
	unsigned int sms_rx, packets_ok, packets_refused, cmds;
	uint8_t chaining[16];
	unsigned int n_chaining;
	uint64_t cntr_seen[16];
	unsigned int n_cntr;
	uint8_t last_data[600];
	size_t last_data_len;
	uint8_t last_spi[2], last_kic;
	char last_dst[24];
};
static struct card card;

static int tp_send_rc;
static unsigned int tp_sent;
static uint32_t last_tag;

static void card_rx_packet(const uint8_t *pkt, size_t len)
{
	struct scp80_cmd cmd;
	struct scp80_counter_policy pol = { .check = true, .last = card.last_cntr };
	struct scp80_keys keys = { kic, 16, kid, 16 };
	struct rscript_cmd_item items[64];
	struct rscript_builder b;
	struct scp80_por_params pp = { 0 };
	uint8_t out[1200], rsp[400], por[600];
	size_t n = 0;
	int rc, rlen, plen;

	rc = scp80_cmd_unwrap(&cmd, pkt, len, &keys, &pol, out, sizeof(out));
	CU_ASSERT_FATAL(rc > 0);
	card.cntr_seen[card.n_cntr++ % 16] = scp80_cntr_get(cmd.cntr);
	memcpy(card.last_spi, cmd.spi_raw, 2);
	card.last_kic = cmd.kic;
	if (cmd.verdict != SCP80_V_OK) {
		card.packets_refused++;
		pp.status = scp80_verdict_status(cmd.verdict);
		rlen = 0;
	} else {
		card.packets_ok++;
		card.last_cntr = scp80_cntr_get(cmd.cntr);
		memcpy(card.last_data, cmd.data, cmd.data_len);
		card.last_data_len = cmd.data_len;
		CU_ASSERT_FATAL(rscript_cmd_decode(cmd.data, cmd.data_len, items, 64, &n) > 0);
		rscript_rsp_begin(&b, rsp, sizeof(rsp), RSCRIPT_DEFINITE);
		{
			unsigned int count = 0;

			for (size_t i = 0; i < n; i++)
				count += items[i].kind == RSCRIPT_CMD_CAPDU;
			rscript_rsp_add_count(&b, count);
		}
		for (size_t i = 0; i < n; i++) {
			if (items[i].kind == RSCRIPT_CMD_SCRIPT_CHAINING)
				card.chaining[card.n_chaining++ % 16] = items[i].value[0];
			if (items[i].kind == RSCRIPT_CMD_CAPDU) {
				card.cmds++;
				rscript_rsp_add_rapdu(&b, (const uint8_t *)"\x80\x00", 2, card.sw);
			}
		}
		rlen = rscript_rsp_finish(&b);
		CU_ASSERT_FATAL(rlen > 0);
		pp.status = card.por_status;
	}
	memcpy(pp.spi, cmd.spi_raw, 2);
	pp.kic = cmd.kic;
	pp.kid = cmd.kid;
	memcpy(pp.tar, cmd.tar, 3);
	memcpy(pp.cntr, cmd.cntr, 5);
	plen = scp80_por_wrap(por, sizeof(por), &pp, &keys, rsp, (size_t)rlen);
	CU_ASSERT_FATAL(plen > 0);
	if (card.corrupt_por) {
		card.corrupt_por = false;
		por[plen - 1] ^= 0x01;
	}
	CU_ASSERT_FATAL(plen <= SMS_UD_MAX); /* single-SMS PoR: UDH 02 71 00 included */
	if (card.hold_por && card.n_held < 2) {
		memcpy(card.held[card.n_held], por, (size_t)plen);
		card.held_len[card.n_held++] = (size_t)plen;
		return;
	}
	CU_ASSERT_EQUAL(smsr_ota_rx_mo(card.ota, "+1001", por, (size_t)plen), 0);
}

static int tp_send(void *tp, const char *dst, const uint8_t *ud, size_t len, uint32_t tag)
{
	int rc;

	if (tp_send_rc)
		return tp_send_rc;
	tp_sent++;
	last_tag = tag;
	snprintf(card.last_dst, sizeof(card.last_dst), "%s", dst);
	if (!card.online)
		return 0;
	card.sms_rx++;
	rc = sms_concat_add(&card.mt, ud, len);
	CU_ASSERT(rc >= 0);
	if (rc == 1) {
		uint8_t pkt[SMS_CONCAT_MAX_SEGS * SMS_UD_MAX];
		int n = sms_concat_assemble(&card.mt, pkt, sizeof(pkt));

		sms_concat_reset(&card.mt);
		CU_ASSERT_FATAL(n > 0);
		card_rx_packet(pkt, (size_t)n);
	}
	return 0;
}
static const struct smsr_sms_ops tp_ops = { .send = tp_send };

/* ---- upward capture ---------------------------------------------------------------------------- */

struct result {
	unsigned int n;
	uint32_t op;
	int rc;
	uint16_t sw;
	uint8_t data[64];
	size_t len;
};
static struct result res;
static unsigned int n_notifs;
static uint8_t notif[128];
static size_t notif_len;

static void up_result(void *priv, uint32_t op, int rc, uint16_t sw, const uint8_t *d, size_t len)
{
	res.n++;
	res.op = op;
	res.rc = rc;
	res.sw = sw;
	res.len = len < sizeof(res.data) ? len : sizeof(res.data);
	if (d && res.len)
		memcpy(res.data, d, res.len);
}

static void up_notif(void *priv, const uint8_t *d, size_t len)
{
	n_notifs++;
	notif_len = len < sizeof(notif) ? len : sizeof(notif);
	memcpy(notif, d, notif_len);
}

/* ---- fixture -------------------------------------------------------------------------------------- */

struct world {
	struct smsr_store *store;
	struct smsr_ota *ota;
};

static void world_setup(struct world *w, const struct smsr_ota_cfg *cfg_in)
{
	struct smsr_ota_cfg cfg = cfg_in ? *cfg_in : (struct smsr_ota_cfg){ .max_retx = 2 };
	struct smsr_eis_row row = { .state = SMSR_EIS_ACTIVE, .last_notif_seq = -1 };
	struct smsr_keyset_row ks = { .kvn = 1, .kind = SMSR_KEYSET_SCP80, .kic_len = 16, .kid_len = 16, .counter = 5 };
	struct es_eis eis = { 0 };
	char err[128];

	memset(&card, 0, sizeof(card));
	memset(&res, 0, sizeof(res));
	n_notifs = 0;
	tp_send_rc = 0;
	tp_sent = 0;
	card.online = true;
	card.sw = 0x9000;
	card.last_cntr = 5;
	sms_concat_init(&card.mt, SMS_IEI_CPI, SMS_CONCAT_ORDER_ANY, 0, 0);
	memset(kic, 0x11, 16);
	memset(kid, 0x22, 16);
	w->store = smsr_store_open(ctx, ":memory:", err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(w->store);
	snprintf(row.eid, sizeof(row.eid), "%s", EID);
	snprintf(row.eum_id, sizeof(row.eum_id), "1.2.3.9");
	snprintf(row.smsr_id, sizeof(row.smsr_id), "1.2.3.4");
	snprintf(row.msisdn, sizeof(row.msisdn), "%s", MSISDN);
	snprintf(ks.eid, sizeof(ks.eid), "%s", EID);
	memcpy(ks.kic, kic, 16);
	memcpy(ks.kid, kid, 16);
	memset(ks.kik, 0x33, 16);
	ks.kik_len = 16;
	CU_ASSERT_EQUAL_FATAL(smsr_store_eis_insert(w->store, &row, &eis, (const uint8_t *)"x", 1, &ks, 1), 0);
	cfg.tdefs = test_tdefs;
	w->ota = smsr_ota_alloc(ctx, w->store, &cfg, &tp_ops, NULL,
				&(struct smsr_ota_up){ .result = up_result, .notification = up_notif });
	CU_ASSERT_PTR_NOT_NULL_FATAL(w->ota);
	card.ota = w->ota;
}

static void world_teardown(struct world *w)
{
	CU_ASSERT_EQUAL(smsr_ota_num_pending(w->ota), 0);
	smsr_ota_free(w->ota);
	smsr_store_close(w->store);
}

static uint64_t stored_counter(struct world *w)
{
	struct smsr_keyset_row k;

	CU_ASSERT_EQUAL(smsr_store_keyset_get(w->store, EID, SMSR_KEYSET_SCP80, 1, &k), 0);
	return k.counter;
}

/* AA { 22 apdu } with an APDU of apdu_len bytes (STORE DATA with filler). */
static size_t script_of(uint8_t *buf, size_t cap, unsigned int n_apdus, size_t apdu_len)
{
	struct rscript_builder b;
	uint8_t apdu[255];

	memset(apdu, 0xA5, sizeof(apdu));
	apdu[0] = 0x80;
	apdu[1] = 0xE2;
	apdu[2] = 0x88;
	apdu[3] = 0x00;
	apdu[4] = (uint8_t)(apdu_len - 5);
	rscript_cmd_begin(&b, buf, cap, RSCRIPT_DEFINITE);
	for (unsigned int i = 0; i < n_apdus; i++)
		rscript_cmd_add_apdu(&b, apdu, apdu_len);
	return (size_t)rscript_cmd_finish(&b);
}

int suite_setup(void)
{
	ctx = talloc_named_const(NULL, 0, "smsr_ota_test");
	test_osmo_log_init(ctx, &smsr_log_info, LOGL_INFO);
	osmo_gettimeofday_override = true;
	osmo_gettimeofday_override_time = (struct timeval){ .tv_sec = 2000000 };
	osmo_tdefs_reset(test_tdefs);
	return 0;
}

int suite_teardown(void)
{
	log_fini();
	talloc_free(ctx);
	return 0;
}

/* ---- tests ------------------------------------------------------------------------------------------ */

void test_ota_script_por_ok(void)
{
	struct world w;
	uint8_t s[64];
	size_t len;

	world_setup(&w, NULL);
	btw("One EnableProfile-sized script to the ISD-R: SCP80 16 39, KIc=KID=12, TAR 000001, counter 6");
	len = script_of(s, sizeof(s), 1, 25);
	CU_ASSERT_EQUAL(smsr_ota_send(w.ota, EID, 7, s, len), 0);
	CU_ASSERT_EQUAL(card.sms_rx, 1);
	CU_ASSERT_STRING_EQUAL(card.last_dst, MSISDN);
	CU_ASSERT_EQUAL(card.packets_ok, 1);
	CU_ASSERT_EQUAL(card.cntr_seen[0], 6);
	TEST_ASSERT_HEX_EQ(card.last_spi, 2, "1639");
	CU_ASSERT_EQUAL(card.last_kic, 0x12);
	TEST_ASSERT_MEM_EQ(card.last_data, card.last_data_len, s, len);
	btw("The counter was reserved in the store before use");
	CU_ASSERT_EQUAL(stored_counter(&w), 6);
	btw("The card's PoR (CC, ciphered) verifies: the procedure gets the R-APDU 8000 9000");
	CU_ASSERT_EQUAL(res.n, 1);
	CU_ASSERT_EQUAL(res.op, 7);
	CU_ASSERT_EQUAL(res.rc, 0);
	CU_ASSERT_EQUAL(res.sw, 0x9000);
	TEST_ASSERT_HEX_EQ(res.data, res.len, "8000");
	CU_ASSERT_EQUAL(smsr_ota_stats(w.ota)->por_ok, 1);

	btw("A second script uses counter 7");
	CU_ASSERT_EQUAL(smsr_ota_send(w.ota, EID, 8, s, len), 0);
	CU_ASSERT_EQUAL(card.cntr_seen[1], 7);
	CU_ASSERT_EQUAL(res.n, 2);
	CU_ASSERT_EQUAL(stored_counter(&w), 7);

	btw("The eUICC answers SW 6985: reported as data (rc 0, sw 6985), not as a transport error");
	card.sw = 0x6985;
	CU_ASSERT_EQUAL(smsr_ota_send(w.ota, EID, 9, s, len), 0);
	CU_ASSERT_EQUAL(res.rc, 0);
	CU_ASSERT_EQUAL(res.sw, 0x6985);
	world_teardown(&w);
}

void test_ota_send_errors(void)
{
	struct world w;
	struct smsr_eis_row row = { .state = SMSR_EIS_ACTIVE };
	struct es_eis eis = { 0 };
	uint8_t s[64];
	size_t len;

	world_setup(&w, NULL);
	len = script_of(s, sizeof(s), 1, 25);
	btw("Unknown EID: -ENOENT, nothing sent, no counter used");
	CU_ASSERT_EQUAL(smsr_ota_send(w.ota, "89001012012341234012345678901307", 1, s, len), -ENOENT);
	CU_ASSERT_EQUAL(tp_sent, 0);
	btw("An EIS without an MSISDN: -EHOSTUNREACH");
	snprintf(row.eid, sizeof(row.eid), "89049032123451234512345678901235");
	CU_ASSERT_EQUAL(smsr_store_eis_insert(w.store, &row, &eis, (const uint8_t *)"x", 1, NULL, 0), 0);
	CU_ASSERT_EQUAL(smsr_ota_send(w.ota, row.eid, 1, s, len), -EHOSTUNREACH);
	btw("An EIS with an MSISDN but no SCP80 key set: -ENOENT");
	snprintf(row.eid, sizeof(row.eid), "89049032123451234512345678901236");
	snprintf(row.msisdn, sizeof(row.msisdn), "2002");
	CU_ASSERT_EQUAL(smsr_store_eis_insert(w.store, &row, &eis, (const uint8_t *)"x", 1, NULL, 0), 0);
	CU_ASSERT_EQUAL(smsr_ota_send(w.ota, row.eid, 1, s, len), -ENOENT);
	btw("Not a command script: -EBADMSG; empty: -EINVAL");
	CU_ASSERT_EQUAL(smsr_ota_send(w.ota, EID, 1, (const uint8_t *)"\x22\x01\x00", 3), -EBADMSG);
	CU_ASSERT_EQUAL(smsr_ota_send(w.ota, EID, 1, s, 0), -EINVAL);
	btw("The transport refuses: its error, the exchange is gone (the counter stays used)");
	tp_send_rc = -EIO;
	CU_ASSERT_EQUAL(smsr_ota_send(w.ota, EID, 1, s, len), -EIO);
	CU_ASSERT_EQUAL(stored_counter(&w), 6);
	CU_ASSERT_EQUAL(res.n, 0);
	btw("The SMSC link is not bound yet (a restart): like a lost SMS, the packet goes again at X30");
	tp_send_rc = -ENOTCONN;
	CU_ASSERT_EQUAL(smsr_ota_send(w.ota, EID, 2, s, len), 0);
	CU_ASSERT_EQUAL(smsr_ota_stats(w.ota)->not_connected, 1);
	CU_ASSERT_EQUAL(res.n, 0);
	tp_send_rc = 0;
	fake_time_passes(30);
	CU_ASSERT_EQUAL(res.n, 1);
	CU_ASSERT_EQUAL(res.op, 2);
	CU_ASSERT_EQUAL(res.sw, 0x9000);
	world_teardown(&w);
}

void test_ota_concatenated(void)
{
	struct world w;
	uint8_t s[400];
	size_t len;

	world_setup(&w, NULL);
	btw("A 210-octet script needs two concatenated SMS (8-bit reference, 70 00 in the first only)");
	len = script_of(s, sizeof(s), 1, 200);
	CU_ASSERT_EQUAL(smsr_ota_send(w.ota, EID, 3, s, len), 0);
	CU_ASSERT_EQUAL(card.sms_rx, 2);
	CU_ASSERT_EQUAL(card.packets_ok, 1);
	CU_ASSERT_EQUAL(card.n_chaining, 0);
	TEST_ASSERT_MEM_EQ(card.last_data, card.last_data_len, s, len);
	CU_ASSERT_EQUAL(res.n, 1);
	CU_ASSERT_EQUAL(res.sw, 0x9000);
	world_teardown(&w);
}

void test_ota_script_chaining(void)
{
	struct world w;
	struct smsr_ota_cfg cfg = { .max_segs = 2, .max_retx = 1 };
	uint8_t s[1200];
	size_t len;

	world_setup(&w, &cfg);
	btw("Four 200-octet commands with at most 2 SMS per packet: chained scripts 83 01 / 02 / 03, each sent "
	    "after the previous PoR, with a new counter each");
	len = script_of(s, sizeof(s), 4, 200);
	CU_ASSERT_EQUAL(smsr_ota_send(w.ota, EID, 4, s, len), 0);
	CU_ASSERT_EQUAL(card.packets_ok, 4);
	CU_ASSERT_EQUAL(card.cmds, 4);
	CU_ASSERT_EQUAL(card.n_chaining, 4);
	TEST_ASSERT_HEX_EQ(card.chaining, 4, "01020203");
	CU_ASSERT_EQUAL(card.cntr_seen[0], 6);
	CU_ASSERT_EQUAL(card.cntr_seen[3], 9);
	CU_ASSERT_EQUAL(res.n, 1);
	CU_ASSERT_EQUAL(res.op, 4);
	CU_ASSERT_EQUAL(res.sw, 0x9000);
	CU_ASSERT_EQUAL(smsr_ota_stats(w.ota)->chained, 1);

	btw("The card fails a command of the second script: the chain stops there and reports that SW");
	memset(&card.chaining, 0, sizeof(card.chaining));
	card.n_chaining = 0;
	card.packets_ok = 0;
	card.sw = 0x6A80;
	CU_ASSERT_EQUAL(smsr_ota_send(w.ota, EID, 5, s, len), 0);
	CU_ASSERT_EQUAL(card.packets_ok, 1);
	CU_ASSERT_EQUAL(res.n, 2);
	CU_ASSERT_EQUAL(res.sw, 0x6A80);

	btw("A single command too big for 2 SMS even alone: -EMSGSIZE, nothing sent");
	tp_sent = 0;
	len = script_of(s, sizeof(s), 1, 255);
	{
		struct smsr_ota_cfg c1 = { .max_segs = 1 };
		struct smsr_ota *o1 = smsr_ota_alloc(ctx, w.store, &c1, &tp_ops, NULL, NULL);

		CU_ASSERT_EQUAL(smsr_ota_send(o1, EID, 6, s, len), -EMSGSIZE);
		smsr_ota_free(o1);
	}
	CU_ASSERT_EQUAL(tp_sent, 0);
	world_teardown(&w);
}

void test_ota_retransmission(void)
{
	struct world w;
	uint8_t s[64];
	size_t len;

	world_setup(&w, NULL);
	len = script_of(s, sizeof(s), 1, 25);
	btw("The network loses the SMS: after X30 the packet goes again with a NEW counter (default)");
	card.online = false;
	CU_ASSERT_EQUAL(smsr_ota_send(w.ota, EID, 11, s, len), 0);
	CU_ASSERT_EQUAL(tp_sent, 1);
	fake_time_passes(29);
	CU_ASSERT_EQUAL(tp_sent, 1);
	card.online = true;
	fake_time_passes(1);
	CU_ASSERT_EQUAL(tp_sent, 2);
	CU_ASSERT_EQUAL(card.cntr_seen[0], 7);
	CU_ASSERT_EQUAL(res.n, 1);
	CU_ASSERT_EQUAL(res.sw, 0x9000);
	CU_ASSERT_EQUAL(smsr_ota_stats(w.ota)->retx, 1);

	btw("No PoR at all: 1 + max_retx (2) copies, then -ETIMEDOUT to the procedure");
	card.online = false;
	tp_sent = 0;
	CU_ASSERT_EQUAL(smsr_ota_send(w.ota, EID, 12, s, len), 0);
	fake_time_passes(30);
	fake_time_passes(30);
	CU_ASSERT_EQUAL(res.n, 1);
	fake_time_passes(30);
	CU_ASSERT_EQUAL(tp_sent, 3);
	CU_ASSERT_EQUAL(res.n, 2);
	CU_ASSERT_EQUAL(res.op, 12);
	CU_ASSERT_EQUAL(res.rc, -ETIMEDOUT);
	CU_ASSERT_EQUAL(stored_counter(&w), 10);
	world_teardown(&w);
}

/* A retransmitted command executes again on the card (3A01 draws a new RC each time): only the PoR of
 * the newest copy reflects the card's state. A late PoR of an earlier copy is ignored (TS 102 225
 * §5.1.2: the PoR carries the counter of the command packet it answers). */
void test_ota_late_por_of_superseded_copy_ignored(void)
{
	struct world w;
	uint8_t s[64];
	size_t len;

	world_setup(&w, NULL);
	len = script_of(s, sizeof(s), 1, 25);
	card.hold_por = true;
	CU_ASSERT_EQUAL(smsr_ota_send(w.ota, EID, 21, s, len), 0);
	btw("The card executes copy 1 but its PoR is slow; after X30 copy 2 (the next counter) executes too");
	fake_time_passes(30);
	CU_ASSERT_EQUAL(tp_sent, 2);
	CU_ASSERT_EQUAL_FATAL(card.n_held, 2);
	CU_ASSERT_EQUAL(card.n_cntr, 2);
	CU_ASSERT_EQUAL(card.cntr_seen[1], card.cntr_seen[0] + 1);
	btw("Copy 1's PoR arrives first: not the answer of the exchange any more");
	CU_ASSERT_EQUAL(smsr_ota_rx_mo(card.ota, "+1001", card.held[0], card.held_len[0]), 0);
	CU_ASSERT_EQUAL(res.n, 0);
	btw("Copy 2's PoR completes it");
	CU_ASSERT_EQUAL(smsr_ota_rx_mo(card.ota, "+1001", card.held[1], card.held_len[1]), 0);
	CU_ASSERT_EQUAL(res.n, 1);
	CU_ASSERT_EQUAL(res.op, 21);
	CU_ASSERT_EQUAL(res.sw, 0x9000);
	CU_ASSERT_EQUAL(smsr_ota_stats(w.ota)->por_superseded, 1);
	card.hold_por = false;
	card.n_held = 0;
	world_teardown(&w);
}

void test_ota_retx_same_counter_variant(void)
{
	struct world w;
	struct smsr_ota_cfg cfg = { .max_retx = 1, .retx = SMSR_OTA_RETX_SAME_COUNTER };
	uint8_t s[64];
	size_t len;

	world_setup(&w, &cfg);
	len = script_of(s, sizeof(s), 1, 25);
	btw("Variant same-counter: the PoR was lost, the copy carries counter 6 again; the card (counter "
	    "higher) refuses it with 02, which fails the exchange");
	card.corrupt_por = true; /* the first PoR does not verify: dropped like a lost one */
	CU_ASSERT_EQUAL(smsr_ota_send(w.ota, EID, 13, s, len), 0);
	CU_ASSERT_EQUAL(res.n, 0);
	CU_ASSERT_EQUAL(smsr_ota_stats(w.ota)->por_unmatched, 1);
	fake_time_passes(30);
	CU_ASSERT_EQUAL(card.cntr_seen[1], 6);
	CU_ASSERT_EQUAL(card.packets_refused, 1);
	CU_ASSERT_EQUAL(stored_counter(&w), 6);
	CU_ASSERT_EQUAL(res.n, 1);
	CU_ASSERT_EQUAL(res.rc, -EPROTO);
	world_teardown(&w);
}

void test_ota_por_status_and_tamper(void)
{
	struct world w;
	uint8_t s[64];
	size_t len;

	world_setup(&w, NULL);
	len = script_of(s, sizeof(s), 1, 25);
	btw("PoR status 07 (insufficient memory): -EPROTO to the procedure");
	card.por_status = SCP80_ST_INSUFFICIENT_MEMORY;
	CU_ASSERT_EQUAL(smsr_ota_send(w.ota, EID, 21, s, len), 0);
	CU_ASSERT_EQUAL(res.rc, -EPROTO);
	CU_ASSERT_EQUAL(smsr_ota_stats(w.ota)->por_status_err, 1);
	card.por_status = 0;

	btw("The card's key differs from ours: its PoR does not verify, is dropped, the exchange waits");
	card.last_cntr = 0;
	kid[0] ^= 0xFF; /* the card now uses another KID key: our CC check fails on its packets */
	CU_ASSERT_EQUAL(smsr_ota_send(w.ota, EID, 22, s, len), 0);
	CU_ASSERT_EQUAL(card.packets_refused, 1);
	CU_ASSERT_EQUAL(res.n, 1);
	CU_ASSERT_EQUAL(smsr_ota_num_pending(w.ota), 1);
	kid[0] ^= 0xFF;
	fake_time_passes(30); /* retransmission, keys agree again */
	CU_ASSERT_EQUAL(res.n, 2);
	CU_ASSERT_EQUAL(res.op, 22);
	CU_ASSERT_EQUAL(res.rc, 0);
	world_teardown(&w);
}

/* The card's MO command packet carrying an E1 notification, as TP-UDs (split in n_segs by hand). */
static unsigned int build_notif_sms(uint8_t ud[][SMS_UD_MAX], size_t *ud_len, unsigned int n_segs, uint64_t cntr)
{
	struct es5_notification n = { .type = ES5_NOTIF_PROFILE_CHANGE_SUCCEEDED, .seq = 3 };
	struct scp80_cmd_params p = { .kic = 0x12, .kid = 0x12, .tar = { 0, 0, 1 } };
	struct scp80_keys keys = { kic, 16, kid, 16 };
	uint8_t eidb[16], e1[64], pkt[200];
	int elen, plen;
	size_t part, off = 0;

	osmo_hexparse(EID, eidb, sizeof(eidb));
	n.eid = (struct es5_bytes){ eidb, 16 };
	elen = es5_notification_encode(e1, sizeof(e1), &n, ES5_NOTIF_AID_2F);
	CU_ASSERT_FATAL(elen > 0);
	scp80_spi_variant_bytes(SCP80_SPI_VARIANT_1639, p.spi);
	scp80_cntr_put(p.cntr, cntr);
	plen = scp80_cmd_wrap(pkt, sizeof(pkt), &p, &keys, e1, (size_t)elen);
	CU_ASSERT_FATAL(plen > 0);
	if (n_segs == 1) {
		struct sms_ie ie = { SMS_IEI_CPI, 0, NULL };

		ud_len[0] = (size_t)sms_udh_encode(&ie, 1, pkt, (size_t)plen, ud[0], SMS_UD_MAX);
		return 1;
	}
	part = ((size_t)plen + n_segs - 1) / n_segs;
	for (unsigned int i = 0; i < n_segs; i++) {
		uint8_t cv[3] = { 0x42, (uint8_t)n_segs, (uint8_t)(i + 1) };
		struct sms_ie ies[2] = { { SMS_IEI_CONCAT_8, 3, cv }, { SMS_IEI_CPI, 0, NULL } };
		size_t this = off + part <= (size_t)plen ? part : (size_t)plen - off;

		ud_len[i] = (size_t)sms_udh_encode(ies, i == 0 ? 2 : 1, pkt + off, this, ud[i], SMS_UD_MAX);
		off += this;
	}
	return n_segs;
}

void test_ota_mo_notification(void)
{
	struct world w;
	uint8_t ud[3][SMS_UD_MAX];
	size_t ud_len[3];

	world_setup(&w, NULL);
	btw("The eUICC sends its E1 notification as an SCP80 command packet by SMS-MO from +1001");
	build_notif_sms(ud, ud_len, 1, 1);
	CU_ASSERT_EQUAL(smsr_ota_rx_mo(w.ota, "+1001", ud[0], ud_len[0]), 0);
	CU_ASSERT_EQUAL(n_notifs, 1);
	CU_ASSERT_EQUAL(notif[0], 0xE1);

	btw("The same in three concatenated SMS, arriving 3, 1, 2: reassembled, delivered once");
	build_notif_sms(ud, ud_len, 3, 2);
	CU_ASSERT_EQUAL(smsr_ota_rx_mo(w.ota, "1001", ud[2], ud_len[2]), 0);
	CU_ASSERT_EQUAL(smsr_ota_rx_mo(w.ota, "1001", ud[0], ud_len[0]), 0);
	CU_ASSERT_EQUAL(n_notifs, 1);
	CU_ASSERT_EQUAL(smsr_ota_rx_mo(w.ota, "1001", ud[1], ud_len[1]), 0);
	CU_ASSERT_EQUAL(n_notifs, 2);

	btw("An incomplete set is dropped after X31");
	CU_ASSERT_EQUAL(smsr_ota_rx_mo(w.ota, "1001", ud[0], ud_len[0]), 0);
	fake_time_passes(20);
	CU_ASSERT_EQUAL(n_notifs, 2);
	CU_ASSERT_EQUAL(smsr_ota_rx_mo(w.ota, "1001", ud[1], ud_len[1]), 0);
	CU_ASSERT_EQUAL(n_notifs, 2);
	fake_time_passes(20);

	btw("From an MSISDN no EIS has: dropped");
	build_notif_sms(ud, ud_len, 1, 3);
	CU_ASSERT_EQUAL(smsr_ota_rx_mo(w.ota, "+4999", ud[0], ud_len[0]), 0);
	CU_ASSERT_EQUAL(n_notifs, 2);

	btw("Tampered (one bit in the ciphered part): the CC fails, dropped");
	ud[0][ud_len[0] - 1] ^= 0x80;
	CU_ASSERT_EQUAL(smsr_ota_rx_mo(w.ota, "1001", ud[0], ud_len[0]), 0);
	CU_ASSERT_EQUAL(n_notifs, 2);
	CU_ASSERT_EQUAL(smsr_ota_rx_mo(NULL, "1001", ud[0], ud_len[0]), -EINVAL);
	world_teardown(&w);
}

static struct world *mut_w;

static int feed_mo(const uint8_t *buf, size_t len, void *priv)
{
	smsr_ota_rx_mo(mut_w->ota, "1001", buf, len);
	return 0;
}

void test_ota_mo_malformed(void)
{
	struct world w;
	uint8_t ud[1][SMS_UD_MAX];
	size_t ud_len[1];
	uint8_t s[64];
	size_t len;

	world_setup(&w, NULL);
	mut_w = &w;
	btw("Every truncation and every byte mutation of a notification SMS: never accepted, never a crash");
	build_notif_sms(ud, ud_len, 1, 1);
	test_truncations_run(ud[0], ud_len[0], feed_mo, NULL);
	CU_ASSERT_EQUAL(n_notifs, 0);
	test_mutations_run(ud[0], ud_len[0], feed_mo, NULL);
	/* each position once with its original value gets through (the MO counter is not replay-checked:
	 * the E1 sequence number de-duplicates); any other value breaks the CC, the key set, the header or
	 * the UDH */
	printf("\n  notifications from %zu x 256 mutants: %u\n", ud_len[0], n_notifs);
	CU_ASSERT_EQUAL(n_notifs, ud_len[0]);
	btw("Garbage with a valid-looking UDH, and no UDH at all: dropped");
	CU_ASSERT_EQUAL(smsr_ota_rx_mo(w.ota, "1001", (const uint8_t *)"\x02\x71\x00\x00\x05\x01", 6), 0);
	CU_ASSERT_EQUAL(smsr_ota_rx_mo(w.ota, "1001", (const uint8_t *)"\x00", 1), 0);
	CU_ASSERT_EQUAL(smsr_ota_rx_mo(w.ota, "1001", (const uint8_t *)"\x05\x00\x03\x01\x00\x01", 6), 0);
	btw("A pending exchange is not disturbed by the noise and completes normally");
	n_notifs = 0;
	len = script_of(s, sizeof(s), 1, 25);
	card.last_cntr = 5;
	CU_ASSERT_EQUAL(smsr_ota_send(w.ota, EID, 31, s, len), 0);
	CU_ASSERT_EQUAL(res.rc, 0);
	CU_ASSERT_EQUAL(res.op, 31);
	CU_ASSERT(smsr_ota_stats(w.ota)->mo_bad > 0);
	world_teardown(&w);
}
