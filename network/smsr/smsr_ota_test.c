/* ES5 over SMS (smsr_ota), narrative style: the SMS transport is a stub that hands every MT TP-UD to a
 * simulated card written here with the CARD side of lib/scp80 (unwrap with the counter rule, PoR wrap)
 * and lib/rscript (response scripts), so both directions are checked by independent code paths. Time is
 * frozen and advanced by hand for the retransmission and timeout rows.
 *
 * The test_ota_route_* rows run two SMS transports at once (smsr_ota_set_router): a router built on
 * per-EID rules (smsr_eisvar.h, as rsplab-smsr's main.c does) sends eUICC A's packets over transport 1
 * ("smpp") and eUICC B's over transport 2 ("kannel"); each stub transport hands its MT TP-UDs to the
 * simulated card with that MSISDN and the card's PoR comes back as MO of the transport it came in on.
 * Retransmissions and transmission verdicts stay on the exchange's transport; a rule naming a transport
 * that is not running fails the send with -ENOTCONN before any counter is reserved; a router that leaves
 * an EID to the default uses the default transport (smsr_ota_set_transport), as without a router. */
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
#include "network/smsr/smsr_eisvar.h"
#include "network/smsr/smsr_log.h"
#include "network/smsr/smsr_ota.h"

#define btw(fmt, args...) fprintf(stderr, "\n--- " fmt "\n", ##args)

static void *ctx;
static const char *EID = "89001012012341234012345678901224";
static const char *MSISDN = "1001";

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

/* ---- the simulated cards ------------------------------------------------------------------------ */

struct card {
	const char *eid, *msisdn;
	const char *mo_from; /* the originating address of its PoRs */
	bool strict;	     /* every packet must verify: another card's keys would not */
	uint8_t kic[16], kid[16];
	bool online;	  /* false: MT SMS are lost */
	bool corrupt_por; /* flip a bit in the next PoR's ciphered part */
	bool hold_por;	  /* keep PoRs back (delivered by the test, late and in any order) */
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
};
/* The card of the one-transport rows (EID, MSISDN), and the three of the route rows. */
static struct card card;
static struct card card_a = { .eid = "89049032123451234512345678901235", .msisdn = "1001", .mo_from = "1001" };
static struct card card_b = { .eid = "89001012012341234012345678901224", .msisdn = "2002", .mo_from = "2002" };
static struct card card_d = { .eid = "89033023000000000000000000000017", .msisdn = "3003", .mo_from = "3003" };

/* ---- the stub transports ------------------------------------------------------------------------ */

struct stub_tp {
	struct smsr_ota *ota; /* the PoRs of its cards go here as MO */
	struct card *card;    /* the card behind it; NULL: the route card with the destination MSISDN */
	unsigned int sent, mo;
	int send_rc; /* != 0: refuse every send with it */
	uint32_t last_tag;
	char last_dst[24];
};
/* The default transport (smsr_ota_alloc, smsr_ota_set_transport), and the route rows' "smpp" and "kannel". */
static struct stub_tp tp_def, tp1, tp2;

static struct card *card_by_msisdn(const char *dst)
{
	struct card *all[] = { &card_a, &card_b, &card_d };

	for (size_t i = 0; i < ARRAY_SIZE(all); i++)
		if (!strcmp(all[i]->msisdn, dst))
			return all[i];
	return NULL;
}

/* The card executes the packet (counter rule checked) and answers with a PoR carrying a response script
 * (one R-APDU 8000 <sw> per C-APDU), sent back as MO over the transport t. */
static void card_rx_packet(struct card *c, struct stub_tp *t, const uint8_t *pkt, size_t len)
{
	struct scp80_cmd cmd;
	struct scp80_counter_policy pol = { .check = true, .last = c->last_cntr };
	struct scp80_keys keys = { c->kic, 16, c->kid, 16 };
	struct rscript_cmd_item items[64];
	struct rscript_builder b;
	struct scp80_por_params pp = { 0 };
	uint8_t out[1200], rsp[400], por[600];
	size_t n = 0;
	int rc, rlen, plen;

	rc = scp80_cmd_unwrap(&cmd, pkt, len, &keys, &pol, out, sizeof(out));
	CU_ASSERT_FATAL(rc > 0);
	CU_ASSERT_FATAL(!c->strict || cmd.verdict == SCP80_V_OK);
	c->cntr_seen[c->n_cntr++ % 16] = scp80_cntr_get(cmd.cntr);
	memcpy(c->last_spi, cmd.spi_raw, 2);
	c->last_kic = cmd.kic;
	if (cmd.verdict != SCP80_V_OK) {
		c->packets_refused++;
		pp.status = scp80_verdict_status(cmd.verdict);
		rlen = 0;
	} else {
		c->packets_ok++;
		c->last_cntr = scp80_cntr_get(cmd.cntr);
		memcpy(c->last_data, cmd.data, cmd.data_len);
		c->last_data_len = cmd.data_len;
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
				c->chaining[c->n_chaining++ % 16] = items[i].value[0];
			if (items[i].kind == RSCRIPT_CMD_CAPDU) {
				c->cmds++;
				rscript_rsp_add_rapdu(&b, (const uint8_t *)"\x80\x00", 2, c->sw);
			}
		}
		rlen = rscript_rsp_finish(&b);
		CU_ASSERT_FATAL(rlen > 0);
		pp.status = c->por_status;
	}
	memcpy(pp.spi, cmd.spi_raw, 2);
	pp.kic = cmd.kic;
	pp.kid = cmd.kid;
	memcpy(pp.tar, cmd.tar, 3);
	memcpy(pp.cntr, cmd.cntr, 5);
	plen = scp80_por_wrap(por, sizeof(por), &pp, &keys, rsp, (size_t)rlen);
	CU_ASSERT_FATAL(plen > 0 && plen <= SMS_UD_MAX); /* single-SMS PoR: UDH 02 71 00 included */
	if (c->corrupt_por) {
		c->corrupt_por = false;
		por[plen - 1] ^= 0x01;
	}
	if (c->hold_por && c->n_held < 2) {
		memcpy(c->held[c->n_held], por, (size_t)plen);
		c->held_len[c->n_held++] = (size_t)plen;
		return;
	}
	t->mo++;
	CU_ASSERT_EQUAL(smsr_ota_rx_mo(t->ota, c->mo_from, por, (size_t)plen), 0);
}

static int stub_send(void *tp, const char *dst, const uint8_t *ud, size_t len, uint32_t tag)
{
	struct stub_tp *t = tp;
	struct card *c = t->card;
	int rc;

	if (t->send_rc)
		return t->send_rc;
	t->sent++;
	t->last_tag = tag;
	snprintf(t->last_dst, sizeof(t->last_dst), "%s", dst);
	if (!c) {
		c = card_by_msisdn(dst);
		CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	}
	if (!c->online)
		return 0;
	c->sms_rx++;
	rc = sms_concat_add(&c->mt, ud, len);
	CU_ASSERT(rc >= 0);
	if (rc == 1) {
		uint8_t pkt[SMS_CONCAT_MAX_SEGS * SMS_UD_MAX];
		int n = sms_concat_assemble(&c->mt, pkt, sizeof(pkt));

		sms_concat_reset(&c->mt);
		CU_ASSERT_FATAL(n > 0);
		card_rx_packet(c, t, pkt, (size_t)n);
	}
	return 0;
}
static const struct smsr_sms_ops stub_ops = { .send = stub_send };

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
static unsigned int n_notifs, n_raw;
static uint8_t notif[128];
static size_t notif_len;
static uint32_t raw_op;

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

static void up_raw(void *priv, uint32_t op, int rc, const uint8_t *d, size_t len)
{
	n_raw++;
	raw_op = op;
	CU_ASSERT_EQUAL(rc, 0);
}

/* ---- fixture -------------------------------------------------------------------------------------- */

struct world {
	struct smsr_store *store;
	struct smsr_ota *ota;
};

/* Nothing captured yet, the stub transports cleared, an empty store. */
static void world_open(struct world *w)
{
	char err[128];

	memset(&res, 0, sizeof(res));
	n_notifs = n_raw = 0;
	tp_def = tp1 = tp2 = (struct stub_tp){ 0 };
	w->store = smsr_store_open(ctx, ":memory:", err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(w->store);
}

/* Card c afresh (who it is kept), online, SW 9000, with KIc all kic_byte and KID all kid_byte, and its
 * EIS in the store: ACTIVE, its MSISDN, SCP80 key set KVN 1 at counter 5. */
static void card_insert(struct world *w, struct card *c, uint8_t kic_byte, uint8_t kid_byte)
{
	struct smsr_eis_row row = { .state = SMSR_EIS_ACTIVE, .last_notif_seq = -1 };
	struct smsr_keyset_row ks = { .kvn = 1, .kind = SMSR_KEYSET_SCP80, .kic_len = 16, .kid_len = 16, .counter = 5 };
	struct es_eis eis = { 0 };

	*c = (struct card){ .eid = c->eid,
			    .msisdn = c->msisdn,
			    .mo_from = c->mo_from,
			    .strict = c->strict,
			    .online = true,
			    .sw = 0x9000,
			    .last_cntr = 5 };
	memset(c->kic, kic_byte, 16);
	memset(c->kid, kid_byte, 16);
	sms_concat_init(&c->mt, SMS_IEI_CPI, SMS_CONCAT_ORDER_ANY, 0, 0);
	snprintf(row.eid, sizeof(row.eid), "%s", c->eid);
	snprintf(row.eum_id, sizeof(row.eum_id), "1.2.3.9");
	snprintf(row.smsr_id, sizeof(row.smsr_id), "1.2.3.4");
	snprintf(row.msisdn, sizeof(row.msisdn), "%s", c->msisdn);
	snprintf(ks.eid, sizeof(ks.eid), "%s", c->eid);
	memcpy(ks.kic, c->kic, 16);
	memcpy(ks.kid, c->kid, 16);
	memset(ks.kik, 0x33, 16);
	ks.kik_len = 16;
	CU_ASSERT_EQUAL_FATAL(smsr_store_eis_insert(w->store, &row, &eis, (const uint8_t *)"x", 1, &ks, 1), 0);
}

/* One card (EID, MSISDN +1001) behind the one transport tp_def. */
static void world_setup(struct world *w, const struct smsr_ota_cfg *cfg_in)
{
	struct smsr_ota_cfg cfg = cfg_in ? *cfg_in : (struct smsr_ota_cfg){ .max_retx = 2 };

	world_open(w);
	card = (struct card){ .eid = EID, .msisdn = MSISDN, .mo_from = "+1001" };
	card_insert(w, &card, 0x11, 0x22);
	cfg.tdefs = test_tdefs;
	w->ota = smsr_ota_alloc(ctx, w->store, &cfg, &stub_ops, &tp_def,
				&(struct smsr_ota_up){ .result = up_result, .notification = up_notif });
	CU_ASSERT_PTR_NOT_NULL_FATAL(w->ota);
	tp_def.ota = w->ota;
	tp_def.card = &card;
}

static void world_teardown(struct world *w)
{
	CU_ASSERT_EQUAL(smsr_ota_num_pending(w->ota), 0);
	smsr_ota_free(w->ota);
	smsr_store_close(w->store);
}

static uint64_t stored_counter(struct world *w, const char *eid)
{
	struct smsr_keyset_row k;

	CU_ASSERT_EQUAL(smsr_store_keyset_get(w->store, eid, SMSR_KEYSET_SCP80, 1, &k), 0);
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
	CU_ASSERT_STRING_EQUAL(tp_def.last_dst, MSISDN);
	CU_ASSERT_EQUAL(card.packets_ok, 1);
	CU_ASSERT_EQUAL(card.cntr_seen[0], 6);
	TEST_ASSERT_HEX_EQ(card.last_spi, 2, "1639");
	CU_ASSERT_EQUAL(card.last_kic, 0x12);
	TEST_ASSERT_MEM_EQ(card.last_data, card.last_data_len, s, len);
	btw("The counter was reserved in the store before use");
	CU_ASSERT_EQUAL(stored_counter(&w, EID), 6);
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
	CU_ASSERT_EQUAL(stored_counter(&w, EID), 7);

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
	CU_ASSERT_EQUAL(tp_def.sent, 0);
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
	tp_def.send_rc = -EIO;
	CU_ASSERT_EQUAL(smsr_ota_send(w.ota, EID, 1, s, len), -EIO);
	CU_ASSERT_EQUAL(stored_counter(&w, EID), 6);
	CU_ASSERT_EQUAL(res.n, 0);
	btw("The SMSC link is not bound yet (a restart): like a lost SMS, the packet goes again at X30");
	tp_def.send_rc = -ENOTCONN;
	CU_ASSERT_EQUAL(smsr_ota_send(w.ota, EID, 2, s, len), 0);
	CU_ASSERT_EQUAL(smsr_ota_stats(w.ota)->not_connected, 1);
	CU_ASSERT_EQUAL(res.n, 0);
	tp_def.send_rc = 0;
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
	tp_def.sent = 0;
	len = script_of(s, sizeof(s), 1, 255);
	{
		struct smsr_ota_cfg c1 = { .max_segs = 1 };
		struct smsr_ota *o1 = smsr_ota_alloc(ctx, w.store, &c1, &stub_ops, &tp_def, NULL);

		CU_ASSERT_EQUAL(smsr_ota_send(o1, EID, 6, s, len), -EMSGSIZE);
		smsr_ota_free(o1);
	}
	CU_ASSERT_EQUAL(tp_def.sent, 0);
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
	CU_ASSERT_EQUAL(tp_def.sent, 1);
	fake_time_passes(29);
	CU_ASSERT_EQUAL(tp_def.sent, 1);
	card.online = true;
	fake_time_passes(1);
	CU_ASSERT_EQUAL(tp_def.sent, 2);
	CU_ASSERT_EQUAL(card.cntr_seen[0], 7);
	CU_ASSERT_EQUAL(res.n, 1);
	CU_ASSERT_EQUAL(res.sw, 0x9000);
	CU_ASSERT_EQUAL(smsr_ota_stats(w.ota)->retx, 1);

	btw("No PoR at all: 1 + max_retx (2) copies, then -ETIMEDOUT to the procedure");
	card.online = false;
	tp_def.sent = 0;
	CU_ASSERT_EQUAL(smsr_ota_send(w.ota, EID, 12, s, len), 0);
	fake_time_passes(30);
	fake_time_passes(30);
	CU_ASSERT_EQUAL(res.n, 1);
	fake_time_passes(30);
	CU_ASSERT_EQUAL(tp_def.sent, 3);
	CU_ASSERT_EQUAL(res.n, 2);
	CU_ASSERT_EQUAL(res.op, 12);
	CU_ASSERT_EQUAL(res.rc, -ETIMEDOUT);
	CU_ASSERT_EQUAL(stored_counter(&w, EID), 10);
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
	CU_ASSERT_EQUAL(tp_def.sent, 2);
	CU_ASSERT_EQUAL_FATAL(card.n_held, 2);
	CU_ASSERT_EQUAL(card.n_cntr, 2);
	CU_ASSERT_EQUAL(card.cntr_seen[1], card.cntr_seen[0] + 1);
	btw("Copy 1's PoR arrives first: not the answer of the exchange any more");
	CU_ASSERT_EQUAL(smsr_ota_rx_mo(w.ota, "+1001", card.held[0], card.held_len[0]), 0);
	CU_ASSERT_EQUAL(res.n, 0);
	btw("Copy 2's PoR completes it");
	CU_ASSERT_EQUAL(smsr_ota_rx_mo(w.ota, "+1001", card.held[1], card.held_len[1]), 0);
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
	CU_ASSERT_EQUAL(stored_counter(&w, EID), 6);
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
	card.kid[0] ^= 0xFF; /* the card now uses another KID key: our CC check fails on its packets */
	CU_ASSERT_EQUAL(smsr_ota_send(w.ota, EID, 22, s, len), 0);
	CU_ASSERT_EQUAL(card.packets_refused, 1);
	CU_ASSERT_EQUAL(res.n, 1);
	CU_ASSERT_EQUAL(smsr_ota_num_pending(w.ota), 1);
	card.kid[0] ^= 0xFF;
	fake_time_passes(30); /* retransmission, keys agree again */
	CU_ASSERT_EQUAL(res.n, 2);
	CU_ASSERT_EQUAL(res.op, 22);
	CU_ASSERT_EQUAL(res.rc, 0);
	world_teardown(&w);
}

/* Card c's MO command packet carrying an E1 notification (sequence number seq), as TP-UDs (split in n_segs
 * by hand). */
static unsigned int build_notif_sms(const struct card *c, uint8_t ud[][SMS_UD_MAX], size_t *ud_len, unsigned int n_segs,
				    uint64_t cntr, uint32_t seq)
{
	struct es5_notification n = { .type = ES5_NOTIF_PROFILE_CHANGE_SUCCEEDED, .seq = seq };
	struct scp80_cmd_params p = { .kic = 0x12, .kid = 0x12, .tar = { 0, 0, 1 } };
	struct scp80_keys keys = { c->kic, 16, c->kid, 16 };
	uint8_t eidb[16], e1[64], pkt[200];
	int elen, plen;
	size_t part, off = 0;

	osmo_hexparse(c->eid, eidb, sizeof(eidb));
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
	build_notif_sms(&card, ud, ud_len, 1, 1, 3);
	CU_ASSERT_EQUAL(smsr_ota_rx_mo(w.ota, "+1001", ud[0], ud_len[0]), 0);
	CU_ASSERT_EQUAL(n_notifs, 1);
	CU_ASSERT_EQUAL(notif[0], 0xE1);

	btw("The same in three concatenated SMS, arriving 3, 1, 2: reassembled, delivered once");
	build_notif_sms(&card, ud, ud_len, 3, 2, 3);
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
	build_notif_sms(&card, ud, ud_len, 1, 3, 3);
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
	build_notif_sms(&card, ud, ud_len, 1, 1, 3);
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

/* ---- two transports at once: a router on per-EID rules (smsr_eisvar), transport 2 may be "not started" -- */

static struct smsr_eisvar rules;
static bool tp2_running;
static unsigned int n_routes;

static int route(void *priv, const char *eid, const struct smsr_sms_ops **sms, void **tp)
{
	n_routes++;
	switch (smsr_eisvar_get(&rules, eid, SMSR_EISVAR_SMS_TRANSPORT, -1)) {
	case SMSR_SMS_SMPP:
		*sms = &stub_ops;
		*tp = &tp1;
		return 0;
	case SMSR_SMS_KANNEL:
		if (!tp2_running)
			return -ENOTCONN;
		*sms = &stub_ops;
		*tp = &tp2;
		return 0;
	default: return 0; /* no rule: the default transport */
	}
}

/* Cards A, B and D (strict: each verifies only its own keys), the default transport tp_def, the router
 * on top with the rules 89 -> smpp (tp1) and 8900 -> kannel (tp2). */
static void route_world_setup(struct world *w)
{
	struct smsr_ota_cfg cfg = { .max_retx = 2, .tdefs = test_tdefs };
	char err[128];

	world_open(w);
	n_routes = 0;
	memset(&rules, 0, sizeof(rules));
	tp2_running = true;
	card_a.strict = card_b.strict = card_d.strict = true;
	card_insert(w, &card_a, 0x11, 0x12);
	card_insert(w, &card_b, 0x44, 0x45);
	card_insert(w, &card_d, 0x77, 0x78);
	/* as main.c: the default transport first (--sms-transport), the router on top */
	w->ota = smsr_ota_alloc(
		ctx, w->store, &cfg, NULL, NULL,
		&(struct smsr_ota_up){ .result = up_result, .notification = up_notif, .raw_result = up_raw });
	CU_ASSERT_PTR_NOT_NULL_FATAL(w->ota);
	smsr_ota_set_transport(w->ota, &stub_ops, &tp_def);
	smsr_ota_set_router(w->ota, route, NULL);
	tp_def.ota = tp1.ota = tp2.ota = w->ota;
	/* the rules of a lab with MNO1's eUICCs (89049032...) on Kannel and the rest on SMPP, except
	 * one test eUICC (by its full EID) that falls back to the default */
	CU_ASSERT_EQUAL(smsr_eisvar_parse(&rules, "89:sms-transport=smpp", err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(smsr_eisvar_parse(&rules, "8900:sms-transport=kannel", err, sizeof(err)), 0);
}

void test_ota_route_per_eid(void)
{
	struct world w;
	uint8_t s[64];
	size_t len;

	route_world_setup(&w);
	len = script_of(s, sizeof(s), 1, 25);
	btw("EID A (89049032..., rule 89 -> smpp) goes over transport 1; its PoR comes back as MO on it");
	CU_ASSERT_EQUAL(smsr_ota_send(w.ota, card_a.eid, 1, s, len), 0);
	CU_ASSERT_EQUAL(tp1.sent, 1);
	CU_ASSERT_EQUAL(tp2.sent, 0);
	CU_ASSERT_EQUAL(tp_def.sent, 0);
	CU_ASSERT_STRING_EQUAL(tp1.last_dst, card_a.msisdn);
	CU_ASSERT_EQUAL(tp1.mo, 1);
	CU_ASSERT_EQUAL(card_a.packets_ok, 1);
	CU_ASSERT_EQUAL(res.n, 1);
	CU_ASSERT_EQUAL(res.op, 1);
	CU_ASSERT_EQUAL(res.rc, 0);
	CU_ASSERT_EQUAL(res.sw, 0x9000);

	btw("EID B (89001012..., the longer rule 8900 -> kannel) goes over transport 2, MO back on it");
	CU_ASSERT_EQUAL(smsr_ota_send(w.ota, card_b.eid, 2, s, len), 0);
	CU_ASSERT_EQUAL(tp1.sent, 1);
	CU_ASSERT_EQUAL(tp2.sent, 1);
	CU_ASSERT_STRING_EQUAL(tp2.last_dst, card_b.msisdn);
	CU_ASSERT_EQUAL(tp2.mo, 1);
	CU_ASSERT_EQUAL(card_b.packets_ok, 1);
	CU_ASSERT_EQUAL(res.n, 2);
	CU_ASSERT_EQUAL(res.op, 2);
	CU_ASSERT_EQUAL(res.sw, 0x9000);
	CU_ASSERT_EQUAL(smsr_ota_stats(w.ota)->por_ok, 2);

	btw("A raw send (ES8 relay, SCP81 push) to EID B takes the same way");
	CU_ASSERT_EQUAL(
		smsr_ota_send_raw(w.ota, card_b.eid, 0x40000001u, (const uint8_t *)"\x00\x00\x01", s, len, true), 0);
	CU_ASSERT_EQUAL(tp2.sent, 2);
	CU_ASSERT_EQUAL(tp1.sent, 1);
	CU_ASSERT_EQUAL(n_raw, 1);
	CU_ASSERT_EQUAL(raw_op, 0x40000001u);
	CU_ASSERT_EQUAL(n_routes, 3); /* asked once per exchange */
	world_teardown(&w);
}

void test_ota_route_chained_and_retransmitted_same_way(void)
{
	struct world w;
	uint8_t s[1200];
	size_t len;

	route_world_setup(&w);
	btw("A script for B that needs chaining: every chained script goes over transport 2");
	len = script_of(s, sizeof(s), 6, 150);
	CU_ASSERT_EQUAL(smsr_ota_send(w.ota, card_b.eid, 3, s, len), 0);
	CU_ASSERT(card_b.packets_ok >= 2);
	CU_ASSERT_EQUAL(tp1.sent, 0);
	CU_ASSERT_EQUAL(tp_def.sent, 0);
	CU_ASSERT_EQUAL(tp2.mo, card_b.packets_ok);
	CU_ASSERT_EQUAL(res.n, 1);
	CU_ASSERT_EQUAL(res.rc, 0);
	CU_ASSERT_EQUAL(n_routes, 1);

	btw("B's SMS is lost: after X30 the retransmission (new counter) goes over transport 2 again");
	len = script_of(s, sizeof(s), 1, 25);
	card_b.online = false;
	tp2.sent = 0;
	CU_ASSERT_EQUAL(smsr_ota_send(w.ota, card_b.eid, 4, s, len), 0);
	CU_ASSERT_EQUAL(tp2.sent, 1);
	card_b.online = true;
	fake_time_passes(30);
	CU_ASSERT_EQUAL(tp2.sent, 2);
	CU_ASSERT_EQUAL(tp1.sent, 0);
	CU_ASSERT_EQUAL(tp_def.sent, 0);
	CU_ASSERT_EQUAL(res.n, 2);
	CU_ASSERT_EQUAL(res.op, 4);
	CU_ASSERT_EQUAL(res.rc, 0);
	CU_ASSERT_EQUAL(smsr_ota_stats(w.ota)->retx, 1);
	CU_ASSERT_EQUAL(card_b.cntr_seen[(card_b.n_cntr - 1) % 16], stored_counter(&w, card_b.eid));

	btw("Transport 2 reports B's SMS undelivered (a DLR): retransmitted over transport 2");
	card_b.online = false;
	tp2.sent = 0;
	CU_ASSERT_EQUAL(smsr_ota_send(w.ota, card_b.eid, 5, s, len), 0);
	smsr_ota_tx_status(w.ota, tp2.last_tag, -EIO);
	CU_ASSERT_EQUAL(smsr_ota_stats(w.ota)->tx_errors, 1);
	card_b.online = true;
	fake_time_passes(30);
	CU_ASSERT_EQUAL(tp2.sent, 2);
	CU_ASSERT_EQUAL(tp1.sent, 0);
	CU_ASSERT_EQUAL(res.n, 3);
	CU_ASSERT_EQUAL(res.op, 5);
	CU_ASSERT_EQUAL(res.rc, 0);

	btw("Meanwhile A's exchanges are untouched and go over transport 1");
	CU_ASSERT_EQUAL(smsr_ota_send(w.ota, card_a.eid, 6, s, len), 0);
	CU_ASSERT_EQUAL(tp1.sent, 1);
	CU_ASSERT_EQUAL(res.n, 4);
	CU_ASSERT_EQUAL(res.rc, 0);
	world_teardown(&w);
}

void test_ota_route_not_running(void)
{
	struct world w;
	uint8_t s[64];
	size_t len;
	uint64_t before;

	route_world_setup(&w);
	len = script_of(s, sizeof(s), 1, 25);
	btw("B's rule names Kannel, which could not be started: -ENOTCONN, nothing sent, no counter used");
	tp2_running = false;
	before = stored_counter(&w, card_b.eid);
	CU_ASSERT_EQUAL(smsr_ota_send(w.ota, card_b.eid, 7, s, len), -ENOTCONN);
	CU_ASSERT_EQUAL(smsr_ota_send_raw(w.ota, card_b.eid, 8, (const uint8_t *)"\x00\x00\x01", s, len, false),
			-ENOTCONN);
	CU_ASSERT_EQUAL(tp1.sent + tp2.sent + tp_def.sent, 0);
	CU_ASSERT_EQUAL(stored_counter(&w, card_b.eid), before);
	CU_ASSERT_EQUAL(smsr_ota_num_pending(w.ota), 0);
	CU_ASSERT_EQUAL(smsr_ota_stats(w.ota)->no_route, 2);
	CU_ASSERT_EQUAL(smsr_ota_stats(w.ota)->scripts, 0);
	CU_ASSERT_EQUAL(res.n, 0);
	btw("A (rule: smpp) is not affected");
	CU_ASSERT_EQUAL(smsr_ota_send(w.ota, card_a.eid, 9, s, len), 0);
	CU_ASSERT_EQUAL(tp1.sent, 1);
	CU_ASSERT_EQUAL(res.n, 1);
	CU_ASSERT_EQUAL(res.rc, 0);
	world_teardown(&w);
}

void test_ota_route_default_and_mo(void)
{
	struct world w;
	uint8_t s[64];
	size_t len;

	route_world_setup(&w);
	len = script_of(s, sizeof(s), 1, 25);
	btw("D (89033023...) matches only the rule 89 -> smpp; without it, the default transport");
	CU_ASSERT_EQUAL(smsr_ota_send(w.ota, card_d.eid, 10, s, len), 0);
	CU_ASSERT_EQUAL(tp1.sent, 1);
	CU_ASSERT_EQUAL(smsr_eisvar_del(&rules, "89", "sms-transport"), 0);
	CU_ASSERT_EQUAL(smsr_ota_send(w.ota, card_d.eid, 11, s, len), 0);
	CU_ASSERT_EQUAL(tp1.sent, 1);
	CU_ASSERT_EQUAL(tp_def.sent, 1);
	CU_ASSERT_EQUAL(tp_def.mo, 1);
	CU_ASSERT_EQUAL(res.n, 2);
	CU_ASSERT_EQUAL(res.rc, 0);

	btw("The default transport is looked up at each send: replaced while D's SMS is lost, the "
	    "retransmission takes the new one (as without a router)");
	card_d.online = false;
	CU_ASSERT_EQUAL(smsr_ota_send(w.ota, card_d.eid, 12, s, len), 0);
	CU_ASSERT_EQUAL(tp_def.sent, 2);
	smsr_ota_set_transport(w.ota, &stub_ops, &tp1);
	card_d.online = true;
	fake_time_passes(30);
	CU_ASSERT_EQUAL(tp1.sent, 2);
	CU_ASSERT_EQUAL(tp_def.sent, 2);
	CU_ASSERT_EQUAL(res.n, 3);
	CU_ASSERT_EQUAL(res.rc, 0);

	btw("No default transport at all: an EID left to it fails with -ENOTCONN; a routed one still goes");
	smsr_ota_set_transport(w.ota, &(struct smsr_sms_ops){ 0 }, NULL);
	CU_ASSERT_EQUAL(smsr_ota_send(w.ota, card_d.eid, 13, s, len), -ENOTCONN);
	CU_ASSERT_EQUAL(smsr_ota_send(w.ota, card_b.eid, 14, s, len), 0);
	CU_ASSERT_EQUAL(res.n, 4);
	CU_ASSERT_EQUAL(res.op, 14);

	btw("An exchange keeps the transport it started on: with the router gone and transport 1 as the "
	    "default, B's retransmission still goes over transport 2");
	card_b.online = false;
	tp1.sent = tp2.sent = 0;
	CU_ASSERT_EQUAL(smsr_ota_send(w.ota, card_b.eid, 15, s, len), 0);
	CU_ASSERT_EQUAL(tp2.sent, 1);
	smsr_ota_set_router(w.ota, NULL, NULL);
	smsr_ota_set_transport(w.ota, &stub_ops, &tp1);
	card_b.online = true;
	fake_time_passes(30);
	CU_ASSERT_EQUAL(tp2.sent, 2);
	CU_ASSERT_EQUAL(tp1.sent, 0);
	CU_ASSERT_EQUAL(res.n, 5);
	CU_ASSERT_EQUAL(res.op, 15);
	CU_ASSERT_EQUAL(res.rc, 0);
	btw("... and a new exchange of B, without a router, takes the default");
	CU_ASSERT_EQUAL(smsr_ota_send(w.ota, card_b.eid, 16, s, len), 0);
	CU_ASSERT_EQUAL(tp1.sent, 1);
	CU_ASSERT_EQUAL(res.n, 6);
	world_teardown(&w);
}

void test_ota_route_mo_notifications_from_both(void)
{
	struct world w;
	uint8_t ud[1][SMS_UD_MAX];
	size_t len[1];

	route_world_setup(&w);
	btw("A's E1 arrives over transport 1, B's over transport 2: both reach the one ota and go up");
	build_notif_sms(&card_a, ud, len, 1, 1, 1);
	tp1.mo++;
	CU_ASSERT_EQUAL(smsr_ota_rx_mo(tp1.ota, "+1001", ud[0], len[0]), 0);
	build_notif_sms(&card_b, ud, len, 1, 1, 1);
	tp2.mo++;
	CU_ASSERT_EQUAL(smsr_ota_rx_mo(tp2.ota, "2002", ud[0], len[0]), 0);
	CU_ASSERT_EQUAL(n_notifs, 2);
	CU_ASSERT_EQUAL(smsr_ota_stats(w.ota)->mo_notifs, 2);
	btw("B's E1 arriving over transport 1 instead (a rule changed, a roaming path): still B's, still up");
	build_notif_sms(&card_b, ud, len, 1, 2, 2);
	CU_ASSERT_EQUAL(smsr_ota_rx_mo(tp1.ota, "2002", ud[0], len[0]), 0);
	CU_ASSERT_EQUAL(n_notifs, 3);
	btw("Signed with A's keys but from B's MSISDN: verified against B's keys, dropped");
	build_notif_sms(&card_a, ud, len, 1, 3, 3);
	CU_ASSERT_EQUAL(smsr_ota_rx_mo(tp2.ota, "2002", ud[0], len[0]), 0);
	CU_ASSERT_EQUAL(n_notifs, 3);
	world_teardown(&w);
}
