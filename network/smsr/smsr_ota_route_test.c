/* ES5 over SMS with two SMS transports at once (smsr_ota_set_router), narrative style: a router built on
 * per-EID rules (smsr_eisvar.h, as rsplab-smsr's main.c does) sends eUICC A's packets over transport 1
 * ("smpp") and eUICC B's over transport 2 ("kannel"); each stub transport hands its MT TP-UDs to the
 * simulated card with that MSISDN (lib/scp80 card side, lib/rscript responses) and the card's PoR comes
 * back as MO of the transport it came in on. Retransmissions and transmission verdicts stay on the
 * exchange's transport; a rule naming a transport that is not running fails the send with -ENOTCONN
 * before any counter is reserved; a router that leaves an EID to the default uses the default transport
 * (smsr_ota_set_transport), as without a router. Time is frozen and advanced by hand. */
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

/* ---- two simulated cards, each with its own keys and MSISDN --------------------------------------- */

struct card {
	const char *eid, *msisdn;
	uint8_t kic[16], kid[16];
	bool online; /* false: MT SMS are lost */
	uint64_t last_cntr;
	struct sms_concat mt;
	unsigned int packets_ok;
	uint64_t cntr_seen[8];
	unsigned int n_cntr;
};
static struct card card_a = { .eid = "89049032123451234512345678901235", .msisdn = "1001" };
static struct card card_b = { .eid = "89001012012341234012345678901224", .msisdn = "2002" };
static struct card card_d = { .eid = "89033023000000000000000000000017", .msisdn = "3003" }; /* no rule */

/* ---- the stub transports ------------------------------------------------------------------------ */

struct stub_tp {
	const char *name;
	struct smsr_ota *ota; /* its MO and verdicts go here */
	unsigned int sent, mo;
	int send_rc; /* != 0: refuse every send with it */
	uint32_t last_tag;
	char last_dst[24];
};
static struct stub_tp tp1 = { .name = "smpp" }, tp2 = { .name = "kannel" }, tp_def = { .name = "default" };

static struct card *card_by_msisdn(const char *dst)
{
	struct card *all[] = { &card_a, &card_b, &card_d };

	for (size_t i = 0; i < ARRAY_SIZE(all); i++)
		if (!strcmp(all[i]->msisdn, dst))
			return all[i];
	return NULL;
}

/* The card executes the packet (counter rule checked) and answers with a PoR carrying a response script
 * (one R-APDU 9000 per C-APDU), sent back as MO over the transport t. */
static void card_rx_packet(struct card *c, struct stub_tp *t, const uint8_t *pkt, size_t len)
{
	struct scp80_cmd cmd;
	struct scp80_counter_policy pol = { .check = true, .last = c->last_cntr };
	struct scp80_keys keys = { c->kic, 16, c->kid, 16 };
	struct rscript_cmd_item items[16];
	struct rscript_builder b;
	struct scp80_por_params pp = { 0 };
	uint8_t out[600], rsp[200], por[300];
	unsigned int count = 0;
	size_t n = 0;
	int rlen, plen;

	CU_ASSERT_FATAL(scp80_cmd_unwrap(&cmd, pkt, len, &keys, &pol, out, sizeof(out)) > 0);
	CU_ASSERT_EQUAL_FATAL(cmd.verdict, SCP80_V_OK); /* the other card's keys would not verify */
	c->packets_ok++;
	c->last_cntr = scp80_cntr_get(cmd.cntr);
	c->cntr_seen[c->n_cntr++ % 8] = c->last_cntr;
	CU_ASSERT_FATAL(rscript_cmd_decode(cmd.data, cmd.data_len, items, 16, &n) > 0);
	rscript_rsp_begin(&b, rsp, sizeof(rsp), RSCRIPT_DEFINITE);
	for (size_t i = 0; i < n; i++)
		count += items[i].kind == RSCRIPT_CMD_CAPDU;
	rscript_rsp_add_count(&b, count);
	for (size_t i = 0; i < n; i++)
		if (items[i].kind == RSCRIPT_CMD_CAPDU)
			rscript_rsp_add_rapdu(&b, (const uint8_t *)"\x80\x00", 2, 0x9000);
	rlen = rscript_rsp_finish(&b);
	CU_ASSERT_FATAL(rlen > 0);
	memcpy(pp.spi, cmd.spi_raw, 2);
	pp.kic = cmd.kic;
	pp.kid = cmd.kid;
	memcpy(pp.tar, cmd.tar, 3);
	memcpy(pp.cntr, cmd.cntr, 5);
	plen = scp80_por_wrap(por, sizeof(por), &pp, &keys, rsp, (size_t)rlen);
	CU_ASSERT_FATAL(plen > 0 && plen <= SMS_UD_MAX);
	t->mo++;
	CU_ASSERT_EQUAL(smsr_ota_rx_mo(t->ota, c->msisdn, por, (size_t)plen), 0);
}

static int stub_send(void *tp, const char *dst, const uint8_t *ud, size_t len, uint32_t tag)
{
	struct stub_tp *t = tp;
	struct card *c = card_by_msisdn(dst);
	int rc;

	if (t->send_rc)
		return t->send_rc;
	t->sent++;
	t->last_tag = tag;
	snprintf(t->last_dst, sizeof(t->last_dst), "%s", dst);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	if (!c->online)
		return 0;
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

/* ---- the router: per-EID rules, transport 2 may be "not started" -------------------------------- */

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

/* ---- upward capture ---------------------------------------------------------------------------- */

static struct {
	unsigned int n;
	uint32_t op;
	int rc;
	uint16_t sw;
} res;
static unsigned int n_raw, n_notifs;
static uint32_t raw_op;

static void up_result(void *priv, uint32_t op, int rc, uint16_t sw, const uint8_t *d, size_t len)
{
	res.n++;
	res.op = op;
	res.rc = rc;
	res.sw = sw;
}

static void up_raw(void *priv, uint32_t op, int rc, const uint8_t *d, size_t len)
{
	n_raw++;
	raw_op = op;
	CU_ASSERT_EQUAL(rc, 0);
}

static void up_notif(void *priv, const uint8_t *d, size_t len)
{
	n_notifs++;
}

/* ---- fixture -------------------------------------------------------------------------------------- */

struct world {
	struct smsr_store *store;
	struct smsr_ota *ota;
};

static void card_insert(struct world *w, struct card *c, uint8_t kbyte)
{
	struct smsr_eis_row row = { .state = SMSR_EIS_ACTIVE, .last_notif_seq = -1 };
	struct smsr_keyset_row ks = { .kvn = 1, .kind = SMSR_KEYSET_SCP80, .kic_len = 16, .kid_len = 16, .counter = 5 };
	struct es_eis eis = { 0 };

	memset(c->kic, kbyte, 16);
	memset(c->kid, kbyte + 1, 16);
	c->online = true;
	c->last_cntr = 5;
	c->packets_ok = c->n_cntr = 0;
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

static void world_setup(struct world *w)
{
	struct smsr_ota_cfg cfg = { .max_retx = 2, .tdefs = test_tdefs };
	char err[128];

	memset(&res, 0, sizeof(res));
	n_raw = n_notifs = n_routes = 0;
	memset(&rules, 0, sizeof(rules));
	tp2_running = true;
	w->store = smsr_store_open(ctx, ":memory:", err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(w->store);
	card_insert(w, &card_a, 0x11);
	card_insert(w, &card_b, 0x44);
	card_insert(w, &card_d, 0x77);
	/* as main.c: the default transport first (--sms-transport), the router on top */
	w->ota = smsr_ota_alloc(
		ctx, w->store, &cfg, NULL, NULL,
		&(struct smsr_ota_up){ .result = up_result, .notification = up_notif, .raw_result = up_raw });
	CU_ASSERT_PTR_NOT_NULL_FATAL(w->ota);
	smsr_ota_set_transport(w->ota, &stub_ops, &tp_def);
	smsr_ota_set_router(w->ota, route, NULL);
	tp1 = (struct stub_tp){ .name = "smpp", .ota = w->ota };
	tp2 = (struct stub_tp){ .name = "kannel", .ota = w->ota };
	tp_def = (struct stub_tp){ .name = "default", .ota = w->ota };
	/* the rules of a lab with MNO1's eUICCs (89049032...) on Kannel and the rest on SMPP, except
	 * one test eUICC (by its full EID) that falls back to the default */
	CU_ASSERT_EQUAL(smsr_eisvar_parse(&rules, "89:sms-transport=smpp", err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(smsr_eisvar_parse(&rules, "8900:sms-transport=kannel", err, sizeof(err)), 0);
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

/* AA { 22 apdu } with n_apdus APDUs of apdu_len bytes (STORE DATA with filler). */
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
	ctx = talloc_named_const(NULL, 0, "smsr_ota_route_test");
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

void test_ota_route_per_eid(void)
{
	struct world w;
	uint8_t s[64];
	size_t len;

	world_setup(&w);
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

	world_setup(&w);
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
	CU_ASSERT_EQUAL(card_b.cntr_seen[(card_b.n_cntr - 1) % 8], stored_counter(&w, card_b.eid));

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

	world_setup(&w);
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

	world_setup(&w);
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

/* An E1 notification as an SCP80 command packet from card c, in one SMS (lib/es5, lib/scp80). */
static size_t notif_sms(struct card *c, uint8_t *ud, uint64_t cntr, uint32_t seq)
{
	struct es5_notification n = { .type = ES5_NOTIF_PROFILE_CHANGE_SUCCEEDED, .seq = seq };
	struct scp80_cmd_params p = { .kic = 0x12, .kid = 0x12, .tar = { 0, 0, 1 } };
	struct scp80_keys keys = { c->kic, 16, c->kid, 16 };
	struct sms_ie ie = { SMS_IEI_CPI, 0, NULL };
	uint8_t eidb[16], e1[64], pkt[200];
	int elen, plen;

	osmo_hexparse(c->eid, eidb, sizeof(eidb));
	n.eid = (struct es5_bytes){ eidb, 16 };
	elen = es5_notification_encode(e1, sizeof(e1), &n, ES5_NOTIF_AID_2F);
	CU_ASSERT_FATAL(elen > 0);
	scp80_spi_variant_bytes(SCP80_SPI_VARIANT_1639, p.spi);
	scp80_cntr_put(p.cntr, cntr);
	plen = scp80_cmd_wrap(pkt, sizeof(pkt), &p, &keys, e1, (size_t)elen);
	CU_ASSERT_FATAL(plen > 0);
	return (size_t)sms_udh_encode(&ie, 1, pkt, (size_t)plen, ud, SMS_UD_MAX);
}

void test_ota_route_mo_notifications_from_both(void)
{
	struct world w;
	uint8_t ud[SMS_UD_MAX];
	size_t len;

	world_setup(&w);
	btw("A's E1 arrives over transport 1, B's over transport 2: both reach the one ota and go up");
	len = notif_sms(&card_a, ud, 1, 1);
	tp1.mo++;
	CU_ASSERT_EQUAL(smsr_ota_rx_mo(tp1.ota, "+1001", ud, len), 0);
	len = notif_sms(&card_b, ud, 1, 1);
	tp2.mo++;
	CU_ASSERT_EQUAL(smsr_ota_rx_mo(tp2.ota, "2002", ud, len), 0);
	CU_ASSERT_EQUAL(n_notifs, 2);
	CU_ASSERT_EQUAL(smsr_ota_stats(w.ota)->mo_notifs, 2);
	btw("B's E1 arriving over transport 1 instead (a rule changed, a roaming path): still B's, still up");
	len = notif_sms(&card_b, ud, 2, 2);
	CU_ASSERT_EQUAL(smsr_ota_rx_mo(tp1.ota, "2002", ud, len), 0);
	CU_ASSERT_EQUAL(n_notifs, 3);
	btw("Signed with A's keys but from B's MSISDN: verified against B's keys, dropped");
	len = notif_sms(&card_a, ud, 3, 3);
	CU_ASSERT_EQUAL(smsr_ota_rx_mo(tp2.ota, "2002", ud, len), 0);
	CU_ASSERT_EQUAL(n_notifs, 3);
	world_teardown(&w);
}
