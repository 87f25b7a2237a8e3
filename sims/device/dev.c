/* rsplab-device glue (see dev.h). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <osmocom/core/logging.h>
#include <osmocom/core/talloc.h>

#include "lib/cat/cat.h"
#include "sims/device/dev.h"

#define DEV_MAX_PROACTIVE_PER_KICK 32

void dev_event(struct dev *d, const char *fmt, ...)
{
	char buf[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	dev_ctrl_event_add(&d->events, buf);
	LOGP(DLGLOBAL, LOGL_NOTICE, "device: %s\n", buf);
}

static void kick_schedule(struct dev *d)
{
	if (d->card.proactive && !osmo_timer_pending(&d->kick))
		osmo_timer_schedule(&d->kick, 0, 0);
}

/* The proactive loop: FETCH while the card has a command and no TR is owed. */
static void kick_cb(void *data)
{
	static struct dev_rapdu r;
	struct dev *d = data;

	for (int i = 0; i < DEV_MAX_PROACTIVE_PER_KICK; i++) {
		if (!d->card.powered || !d->card.proactive || dev_stk_busy(d->stk))
			return;
		int rc = dev_card_fetch(&d->card, &r);
		if (rc < 0) {
			dev_event(d, "FETCH failed (%d)", rc);
			return;
		}
		if (r.sw != 0x9000 && (r.sw >> 8) != CAT_SW1_PROACTIVE_PENDING) {
			dev_event(d, "FETCH sw=%04x", r.sw);
			continue;
		}
		rc = dev_stk_proactive(d->stk, r.data, r.len);
		if (rc < 0 && rc != -EBUSY)
			dev_event(d, "proactive command not handled (%d)", rc);
	}
	kick_schedule(d); /* a card that keeps going: continue from the loop, not here */
}

/* --- card operations used by the MS and the STK ---------------------------------------------------------- */
static int sim_read_imsi(void *priv, char imsi[16])
{
	struct dev *d = priv;
	int rc = dev_card_read_imsi(&d->card, imsi);
	kick_schedule(d);
	return rc;
}

static int sim_authenticate(void *priv, const uint8_t rand[16], const uint8_t *autn, struct dev_auth_res *res)
{
	struct dev *d = priv;
	int rc = dev_card_authenticate(&d->card, rand, autn, res);
	kick_schedule(d);
	return rc;
}

static int sim_sms_pp_download(void *priv, const uint8_t *sc, size_t sc_len, const uint8_t *tpdu, size_t tpdu_len,
			       struct dev_rapdu *r)
{
	struct dev *d = priv;
	struct cat_envelope env = { .tag = CAT_TAG_SMS_PP_DOWNLOAD };
	uint8_t buf[255];
	int n;

	/* TS 31.111 §7.1.1.2: D1 { 82 83 81, 06 RP-OA of the SC, 0B SMS-DELIVER TPDU } */
	env.dev.src = CAT_DEV_NETWORK;
	env.dev.dst = CAT_DEV_UICC;
	env.address.data = sc;
	env.address.len = sc_len;
	env.tpdu.data = tpdu;
	env.tpdu.len = tpdu_len;
	n = cat_envelope_encode(buf, sizeof(buf), &env);
	if (n < 0)
		return n;
	int rc = dev_card_envelope(&d->card, buf, (size_t)n, r);
	kick_schedule(d);
	return rc;
}

static void sim_location_status(void *priv, uint8_t status, const uint8_t *loci, size_t len)
{
	struct dev *d = priv;
	dev_stk_location_status(d->stk, status, loci, len);
}

static void sim_mo_sms_done(void *priv, int result)
{
	struct dev *d = priv;
	dev_stk_sms_done(d->stk, result);
	kick_schedule(d);
}

static void sim_event(void *priv, const char *text)
{
	struct dev *d = priv;
	dev_ctrl_event_add(&d->events, text);
}

static const struct dev_ms_sim_ops sim_ops = {
	.read_imsi = sim_read_imsi,
	.authenticate = sim_authenticate,
	.sms_pp_download = sim_sms_pp_download,
	.location_status = sim_location_status,
	.mo_sms_done = sim_mo_sms_done,
	.event = sim_event,
};

/* --- A interface ----------------------------------------------------------------------------------------- */
static int net_udt(void *priv, struct msgb *m)
{
	struct dev *d = priv;
	if (!d->sccp) {
		msgb_free(m);
		return -ENOTCONN;
	}
	return dev_sccp_tx_udt(d->sccp, m);
}
static int net_conn_req(void *priv, uint32_t id, struct msgb *m)
{
	struct dev *d = priv;
	if (!d->sccp) {
		msgb_free(m);
		return -ENOTCONN;
	}
	return dev_sccp_tx_conn_req(d->sccp, id, m);
}
static int net_conn_data(void *priv, uint32_t id, struct msgb *m)
{
	struct dev *d = priv;
	if (!d->sccp) {
		msgb_free(m);
		return -ENOTCONN;
	}
	return dev_sccp_tx_conn_data(d->sccp, id, m);
}
static int net_disc(void *priv, uint32_t id)
{
	struct dev *d = priv;
	return d->sccp ? dev_sccp_tx_disconnect(d->sccp, id) : -ENOTCONN;
}
static const struct dev_ms_net_ops net_ops = { net_udt, net_conn_req, net_conn_data, net_disc };

static void up_udt(void *priv, const uint8_t *data, size_t len)
{
	struct dev *d = priv;
	dev_ms_rx_udt(d->ms, data, len);
}
static void up_confirm(void *priv, uint32_t id)
{
	struct dev *d = priv;
	dev_ms_rx_conn_confirm(d->ms, id);
}
static void up_data(void *priv, uint32_t id, const uint8_t *data, size_t len)
{
	struct dev *d = priv;
	dev_ms_rx_conn_data(d->ms, id, data, len);
}
static void up_disc(void *priv, uint32_t id)
{
	struct dev *d = priv;
	dev_ms_rx_disconnect(d->ms, id);
}
static const struct dev_sccp_up sccp_up = { up_udt, up_confirm, up_data, up_disc };

/* --- STK operations ----------------------------------------------------------------------------------------- */
static int stk_tr(void *priv, const uint8_t *tr, size_t len)
{
	static struct dev_rapdu r;
	struct dev *d = priv;
	int rc = dev_card_terminal_response(&d->card, tr, len, &r);
	if (rc == 0 && r.sw != 0x9000 && (r.sw >> 8) != CAT_SW1_PROACTIVE_PENDING)
		dev_event(d, "TERMINAL RESPONSE sw=%04x", r.sw);
	kick_schedule(d);
	return rc;
}

static int stk_envelope(void *priv, const uint8_t *env, size_t len)
{
	static struct dev_rapdu r;
	struct dev *d = priv;
	int rc = dev_card_envelope(&d->card, env, len, &r);
	kick_schedule(d);
	return rc;
}

static int stk_send_sms(void *priv, const uint8_t *sc, size_t sc_len, const uint8_t *tpdu, size_t tpdu_len)
{
	struct dev *d = priv;
	if (d->ms->fi->state != DEV_MS_ST_ATTACHED)
		return -ENOTCONN;
	return dev_ms_send_sms(d->ms, sc, sc_len, tpdu, tpdu_len);
}

static void stk_refresh(void *priv, uint8_t mode)
{
	struct dev *d = priv;

	if (mode == CAT_REFRESH_UICC_RESET) {
		/* TS 102 223 §6.4.7: reset the UICC, then the terminal initialises it again */
		dev_stk_card_reset(d->stk);
		int rc = dev_card_start(&d->card, true, d->tp, d->tp_len);
		dev_event(d, "REFRESH: UICC reset rc=%d", rc);
	}
	dev_ms_refresh(d->ms);
	kick_schedule(d);
}

static void stk_event(void *priv, const char *text)
{
	struct dev *d = priv;
	dev_ctrl_event_add(&d->events, text);
}

static const struct dev_stk_ops stk_ops = { stk_tr, stk_envelope, stk_send_sms, stk_refresh, stk_event };

/* --- power ---------------------------------------------------------------------------------------------- */
static void radio_cb(void *data)
{
	struct dev *d = data;
	if (!d->powered || d->radio_up)
		return;
	if (dev_sccp_ready(d->sccp)) {
		d->radio_up = true;
		dev_event(d, "A interface up (AS active)");
		dev_ms_power_on(d->ms);
		return;
	}
	osmo_timer_schedule(&d->radio, 0, 100000);
}

int dev_power_on(struct dev *d)
{
	if (d->powered)
		return 0;
	int rc = dev_card_start(&d->card, false, d->tp, d->tp_len);
	if (rc < 0) {
		dev_event(d, "card power-on failed (%d)", rc);
		return rc;
	}
	d->powered = true;
	dev_event(d, "power on: card %s ATR %s", d->card.ops->name, osmo_hexdump_nospc(d->card.atr, d->card.atr_len));
	kick_schedule(d);
	if (d->sccp) {
		d->radio_up = false;
		radio_cb(d);
	}
	return 0;
}

void dev_power_off(struct dev *d)
{
	if (!d->powered)
		return;
	d->powered = false;
	d->radio_up = false;
	dev_ms_power_off(d->ms); /* IMSI detach (the IMSI is known), no card needed */
	dev_stk_card_reset(d->stk);
	dev_card_stop(&d->card);
	dev_event(d, "power off");
}

int dev_radio_start(struct dev *d)
{
	d->sccp = dev_sccp_start(d->ctx, &d->cfg.sccp, &sccp_up, d);
	if (!d->sccp)
		return -EINVAL;
	dev_event(d, "A interface: STP %s:%u, BSC %s -> MSC %s, SCTP: %s", d->cfg.sccp.stp_ip, d->cfg.sccp.stp_port,
		  d->cfg.sccp.bsc_pc, d->cfg.sccp.msc_pc, dev_sccp_sctp_mode());
	return 0;
}

int dev_init(struct dev *d, void *ctx, const struct dev_cfg *cfg)
{
	int n;

	d->ctx = ctx;
	d->cfg = *cfg;
	n = cat_terminal_profile_build(d->tp, sizeof(d->tp), cat_tp_euicc_flags, cfg->bip_channels, 0);
	if (n < 0)
		return n;
	d->tp_len = (size_t)n;
	d->stk = dev_stk_alloc(ctx, &stk_ops, d, cfg->imei);
	d->ms = dev_ms_alloc(ctx, &cfg->ms, &net_ops, &sim_ops, d);
	if (!d->stk || !d->ms)
		return -ENOMEM;
	d->stk->refresh_tr = cfg->refresh_tr;
	d->stk->event_policy = cfg->event_policy;
	osmo_timer_setup(&d->kick, kick_cb, d);
	osmo_timer_setup(&d->radio, radio_cb, d);
	return 0;
}

/* --- control socket ------------------------------------------------------------------------------------ */
static void append(char *out, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void append(char *out, size_t cap, const char *fmt, ...)
{
	size_t o = strlen(out);
	va_list ap;

	if (o >= cap)
		return;
	va_start(ap, fmt);
	vsnprintf(out + o, cap - o, fmt, ap);
	va_end(ap);
}

void dev_ctrl_exec(void *priv, const struct dev_ctrl_cmd *c, char *out, size_t cap)
{
	struct dev *d = priv;
	struct dev_ms *ms = d->ms;
	char chans[128];

	switch (c->verb) {
	case DEV_CTRL_POWER_ON:
		if (dev_power_on(d) < 0)
			append(out, cap, "ERR card power-on failed\n");
		else
			append(out, cap, "OK\n");
		break;
	case DEV_CTRL_POWER_OFF:
		dev_power_off(d);
		append(out, cap, "OK\n");
		break;
	case DEV_CTRL_ATTACH:
		dev_ms_attach(ms);
		append(out, cap, "OK\n");
		break;
	case DEV_CTRL_DETACH:
		dev_ms_detach(ms);
		append(out, cap, "OK\n");
		break;
	case DEV_CTRL_FAULT_DROP_MT:
		ms->faults.drop_mt = (unsigned int)c->arg;
		append(out, cap, "OK drop-mt=%u\n", ms->faults.drop_mt);
		break;
	case DEV_CTRL_FAULT_FAIL_ATTACH:
		if (strlen(c->addr) >= sizeof(ms->faults.fail_attach_imsi)) {
			append(out, cap, "ERR an IMSI has at most 15 digits\n");
			break;
		}
		ms->faults.fail_attach = c->arg < 0 ? 1 : (unsigned int)c->arg;
		snprintf(ms->faults.fail_attach_imsi, sizeof(ms->faults.fail_attach_imsi), "%s", c->addr);
		append(out, cap, "OK fail-attach=%u imsi=%s\n", ms->faults.fail_attach, c->addr[0] ? c->addr : "any");
		break;
	case DEV_CTRL_FAULT_BIP_CUT:
		d->stk->bip_cut_after = c->arg;
		append(out, cap, "OK bip-cut=%ld\n", c->arg);
		break;
	case DEV_CTRL_FAULT_DELAY_MT:
		if (dev_ms_fault_delay_mt(ms, (unsigned int)c->arg, c->addr) < 0)
			append(out, cap, "ERR delay above %u ms (the network's TR1M)\n", DEV_MS_DELAY_MT_MAX_MS);
		else
			append(out, cap, "OK delay-mt=%u oa=%s\n", ms->faults.delay_mt_ms,
			       ms->faults.delay_mt_oa[0] ? ms->faults.delay_mt_oa : "any");
		break;
	case DEV_CTRL_FAULT_CLEAR:
		dev_ms_fault_delay_mt(ms, 0, NULL);
		ms->faults.drop_mt = ms->faults.fail_attach = 0;
		d->stk->bip_cut_after = -1;
		append(out, cap, "OK\n");
		break;
	case DEV_CTRL_STATE:
		dev_stk_channels_str(d->stk, chans, sizeof(chans));
		append(out, cap, "OK power=%s ms=%s imsi=%s", d->powered ? "on" : "off",
		       osmo_fsm_inst_state_name(ms->fi), ms->imsi[0] ? ms->imsi : "-");
		if (ms->has_tmsi)
			append(out, cap, " tmsi=%08x", ms->tmsi);
		else
			append(out, cap, " tmsi=-");
		if (ms->has_serving)
			append(out, cap, " plmn=%s lac=%u", osmo_plmn_name(&ms->serving.plmn), ms->serving.lac);
		else
			append(out, cap, " plmn=- lac=-");
		append(out, cap,
		       " reject_cause=%u card=%s apdus=%lu bip=%s lu_ok=%lu lu_rej=%lu mt_sms=%lu mt_dropped=%lu "
		       "mt_delayed=%lu mo_sms=%lu paging=%lu proactive=%lu "
		       "faults=drop-mt:%u,fail-attach:%u,bip-cut:%ld,delay-mt:%u\n",
		       ms->last_reject_cause, d->card.powered ? (d->card.usim ? "usim" : "sim") : "off",
		       d->card.n_apdus, chans[0] ? chans : "-", ms->n_lu_ok, ms->n_lu_rej, ms->n_mt_sms,
		       ms->n_mt_dropped, ms->n_mt_delayed, ms->n_mo_sms, ms->n_paging, d->stk->n_cmds,
		       ms->faults.drop_mt, ms->faults.fail_attach, d->stk->bip_cut_after, ms->faults.delay_mt_ms);
		break;
	case DEV_CTRL_EVENTS: {
		unsigned int n = dev_ctrl_events_print(&d->events, c->arg, out, cap > 64 ? cap - 64 : cap);
		append(out, cap, "OK %u\n", n);
		break;
	}
	case DEV_CTRL_QUIT: append(out, cap, "OK\n"); break;
	}
}
