/* sims/euicc: the card object: power, ATR, APDU dispatch with TS 102 221 status words and T=0 style
 * GET RESPONSE, and the CAT layer (TERMINAL PROFILE, FETCH / TERMINAL RESPONSE with the proactive
 * queue and 91xx, ENVELOPE). The USIM, OTA, ISD-R and switch logic live in their own files. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/cat/cat.h"
#include "lib/rscript/rscript.h"
#include "sims/euicc/card_internal.h"

const struct value_string euicc_refresh_variant_names[] = {
	{ EUICC_REFRESH_04_UICC_RESET, "04" },
	{ EUICC_REFRESH_09_PROFILE_STATE_CHANGE, "09" },
	{ 0, NULL },
};

const struct value_string euicc_notif_transport_names[] = {
	{ EUICC_NOTIF_SMS, "sms" },
	{ EUICC_NOTIF_HTTPS, "https" },
	{ 0, NULL },
};

const struct value_string euicc_secerr_variant_names[] = {
	{ EUICC_SECERR_POR_UNSECURED, "por-unsecured" },
	{ EUICC_SECERR_SILENT_DROP, "silent-drop" },
	{ 0, NULL },
};

const struct value_string euicc_por_refresh_variant_names[] = {
	{ EUICC_POR_BEFORE_REFRESH, "por-before-refresh" },
	{ EUICC_NO_POR_ON_ENABLE, "no-por-on-enable" },
	{ 0, NULL },
};

const struct value_string euicc_perso_scope_names[] = {
	{ EUICC_PERSO_PENDING, "pending" },
	{ EUICC_PERSO_PER_SCRIPT, "per-script" },
	{ 0, NULL },
};

const struct value_string euicc_switch_phase_names[] = {
	{ EUICC_SW_NONE, "none" },
	{ EUICC_SW_WAIT_RESET, "wait-reset" },
	{ EUICC_SW_WAIT_ATTACH, "wait-attach" },
	{ EUICC_SW_WAIT_CONFIRM, "wait-confirm" },
	{ EUICC_SW_RB_WAIT_RESET, "rollback-wait-reset" },
	{ EUICC_SW_RB_WAIT_ATTACH, "rollback-wait-attach" },
	{ EUICC_SW_FB_WAIT_RESET, "fallback-wait-reset" },
	{ EUICC_SW_FB_WAIT_ATTACH, "fallback-wait-attach" },
	{ 0, NULL },
};

/* ATR: T=0 and T=1 offered, UICC class indicator (TS 102 221 §6.3); the one the PC/SC lab used. */
static const uint8_t euicc_atr[] = { 0x3B, 0x9F, 0x96, 0x80, 0x1F, 0xC7, 0x80, 0x31, 0xE0, 0x73, 0xFE,
				     0x21, 0x1B, 0x63, 0x3A, 0x20, 0x4E, 0x83, 0x00, 0x90, 0x00, 0x93 };

void euicc_config_default(struct euicc_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->refresh = EUICC_REFRESH_04_UICC_RESET;
	cfg->secerr = EUICC_SECERR_POR_UNSECURED;
	cfg->por_refresh = EUICC_POR_BEFORE_REFRESH;
	cfg->f2 = ES5_F2_DELETE_LIST;
	cfg->notif_aid_tag = ES5_NOTIF_AID_2F;
	cfg->notif_max_attempts = 5;
	cfg->notif_spi[0] = 0x16; /* CC, ciphering, counter higher (open-questions §6) */
	cfg->notif_spi[1] = 0x00; /* no PoR for the card's own packets */
	cfg->cntr_max_gap = 0;
	cfg->ecka = ecka_variants_default;
	cfg->scp03t = scp03t_variants_default;
	cfg->perso = EUICC_PERSO_PENDING;
	cfg->psk_id = RAMHTTP_PSK_ID_TLV_HEX_V4;
	cfg->retry_timer = SCP81_TIMER_DEFAULT;
	cfg->notif_transport = EUICC_NOTIF_SMS;
	cfg->notif_carriage = RAMHTTP_NOTIF_URI_MSG;
}

/* A named choice personalised into the card file (param name = text of names[]) overrides *val. */
static void param_choice(struct euicc_card *c, const char *name, const struct value_string *names, int *val)
{
	char text[32];
	size_t len = sizeof(text) - 1;
	int v;

	if (euicc_store_param_get(c->st, name, (uint8_t *)text, &len) < 0)
		return;
	text[len] = 0;
	v = get_string_value(names, text);
	if (v >= 0)
		*val = v;
}

int euicc_card_open(struct euicc_card **out, const char *path, const struct euicc_config *cfg)
{
	struct euicc_card *c = calloc(1, sizeof(*c));
	size_t len = sizeof(c->eid);
	int rc;

	*out = NULL;
	if (!c)
		return -ENOMEM;
	if (cfg)
		c->cfg = *cfg;
	else
		euicc_config_default(&c->cfg);
	rc = euicc_store_open(&c->st, path, false);
	if (rc < 0)
		goto err;
	rc = euicc_store_param_get(c->st, "eid", c->eid, &len);
	if (rc < 0 || len != sizeof(c->eid)) {
		rc = -EINVAL;
		goto err;
	}
	{
		int t = (int)c->cfg.notif_transport, k = (int)c->cfg.notif_carriage;

		param_choice(c, "notif.transport", euicc_notif_transport_names, &t);
		param_choice(c, "notif.carriage", ramhttp_notif_carriage_names, &k);
		c->cfg.notif_transport = (enum euicc_notif_transport)t;
		c->cfg.notif_carriage = (enum ramhttp_notif_carriage)k;
	}
	sms_concat_init(&c->concat, SMS_IEI_CPI, SMS_CONCAT_ORDER_ANY, 0, 0);
	rc = euicc_x_attach(c);
	if (rc < 0)
		goto err;
	*out = c;
	return 0;
err:
	euicc_store_close(c->st);
	free(c);
	return rc;
}

void euicc_card_close(struct euicc_card *c)
{
	if (!c)
		return;
	euicc_x_detach(c);
	euicc_store_close(c->st);
	free(c);
}

void euicc_card_set_ext(struct euicc_card *c, const struct euicc_ext_ops *ext)
{
	if (ext)
		c->ext = *ext;
	else
		memset(&c->ext, 0, sizeof(c->ext));
}

struct euicc_store *euicc_card_store(struct euicc_card *c)
{
	return c->st;
}

const struct euicc_config *euicc_card_config(const struct euicc_card *c)
{
	return &c->cfg;
}

static void volatile_reset(struct euicc_card *c)
{
	c->sel = EUICC_SEL_MF;
	c->ef = 0;
	c->usim_active = false;
	c->getresp_len = 0;
	c->q_n = 0;
	c->next_number = 1;
	c->tp_len = 0;
	c->script_switched = false;
	c->notif_via_sms = false;
	sms_concat_reset(&c->concat);
	euicc_usim_reset(c);
	euicc_x_power(c);
}

void euicc_card_power_on(struct euicc_card *c)
{
	if (c->powered)
		return;
	c->powered = true;
	volatile_reset(c);
	euicc_switch_power_on(c);
	euicc_usim_reset(c); /* after the switch phase moved on: pins the profile enabled now */
}

void euicc_card_power_off(struct euicc_card *c)
{
	c->powered = false;
	volatile_reset(c);
}

void euicc_card_reset(struct euicc_card *c)
{
	euicc_card_power_off(c);
	euicc_card_power_on(c);
}

bool euicc_card_powered(const struct euicc_card *c)
{
	return c->powered;
}

size_t euicc_card_atr(const struct euicc_card *c, uint8_t *buf, size_t cap)
{
	if (cap < sizeof(euicc_atr))
		return 0;
	memcpy(buf, euicc_atr, sizeof(euicc_atr));
	return sizeof(euicc_atr);
}

/* --- proactive queue ---------------------------------------------------------------------------- */

int euicc_card_proactive_push(struct euicc_card *c, struct cat_proactive *cmd, euicc_tr_cb cb, void *priv)
{
	struct euicc_proactive_entry *e;
	int n;

	if (c->q_n >= EUICC_PROACTIVE_MAX)
		return -ENOSPC;
	e = &c->q[c->q_n];
	cmd->details.number = c->next_number;
	if (!cmd->dev.src)
		cmd->dev.src = CAT_DEV_UICC;
	if (!cmd->dev.dst)
		cmd->dev.dst = CAT_DEV_TERMINAL;
	n = cat_proactive_encode(e->buf, sizeof(e->buf), cmd);
	if (n < 0)
		return n;
	if (n > 255)
		return -EMSGSIZE;
	e->len = (size_t)n;
	e->number = cmd->details.number;
	e->type = cmd->details.type;
	e->cb = cb;
	e->priv = priv;
	c->q_n++;
	/* TS 102 223 §6.5.1: command numbers 01..FE */
	c->next_number = c->next_number >= 0xFE ? 1 : (uint8_t)(c->next_number + 1);
	return 0;
}

size_t euicc_card_proactive_pending(const struct euicc_card *c)
{
	return c->q_n ? c->q[0].len : 0;
}

static void proactive_pop(struct euicc_card *c)
{
	if (!c->q_n)
		return;
	memmove(&c->q[0], &c->q[1], (c->q_n - 1) * sizeof(c->q[0]));
	c->q_n--;
}

/* --- CAT commands --------------------------------------------------------------------------------- */

static void terminal_profile(struct euicc_card *c, const uint8_t *data, size_t lc, struct euicc_rsp *r)
{
	uint8_t events[3];
	size_t n = 0;
	struct cat_proactive cmd = { .details = { .type = CAT_CMD_SET_UP_EVENT_LIST } };

	c->tp_len = lc < sizeof(c->tp) ? lc : sizeof(c->tp);
	memcpy(c->tp, data, c->tp_len);
	/* The attach outcome drives notifications and rollback: ask for the location status event
	 * (TS 102 223 §6.4.16) when the terminal supports it. The SCP81 admin session over BIP reads its
	 * input on the data available event and learns of a dropped link by the channel status event
	 * (TS 102 223 §7.5.10, §7.5.11: sent only when the UICC listed them), so list those too. */
	if (cat_terminal_profile_has(c->tp, c->tp_len, CAT_TP_EVENT_LOCATION_STATUS))
		events[n++] = CAT_EV_LOCATION_STATUS;
	if (cat_terminal_profile_has(c->tp, c->tp_len, CAT_TP_EVENT_DATA_AVAILABLE))
		events[n++] = CAT_EV_DATA_AVAILABLE;
	if (cat_terminal_profile_has(c->tp, c->tp_len, CAT_TP_EVENT_CHANNEL_STATUS))
		events[n++] = CAT_EV_CHANNEL_STATUS;
	if (n && cat_terminal_profile_has(c->tp, c->tp_len, CAT_TP_SET_UP_EVENT_LIST)) {
		cmd.events.data = events;
		cmd.events.len = n;
		euicc_card_proactive_push(c, &cmd, NULL, NULL);
	}
	euicc_rsp_sw(r, 0x9000);
}

static void fetch(struct euicc_card *c, struct euicc_rsp *r)
{
	if (!c->q_n) {
		euicc_rsp_sw(r, 0x6F00); /* TS 102 221 §10.2.1.5: no precise diagnosis */
		return;
	}
	memcpy(r->data, c->q[0].buf, c->q[0].len);
	r->len = c->q[0].len;
	/* The command stays at the head until its TERMINAL RESPONSE (TS 102 223 §6.2). */
	euicc_rsp_sw(r, 0x9000);
}

static void terminal_response(struct euicc_card *c, const uint8_t *data, size_t lc, struct euicc_rsp *r)
{
	struct cat_terminal_response tr;
	struct euicc_proactive_entry e;

	if (cat_terminal_response_decode(&tr, data, lc) < 0) {
		euicc_rsp_sw(r, 0x6A80);
		return;
	}
	if (!c->q_n || tr.details.number != c->q[0].number || tr.details.type != c->q[0].type) {
		/* TS 102 221 §10.2.1.5: no proactive session / command mismatch */
		euicc_rsp_sw(r, 0x6F00);
		return;
	}
	e = c->q[0];
	proactive_pop(c);
	if (e.cb)
		e.cb(c, &tr, e.priv);
	euicc_rsp_sw(r, 0x9000);
}

static void envelope(struct euicc_card *c, const uint8_t *data, size_t lc, struct euicc_rsp *r)
{
	struct cat_envelope env;

	if (cat_envelope_decode(&env, data, lc) < 0) {
		euicc_rsp_sw(r, 0x6A80);
		return;
	}
	euicc_rsp_sw(r, 0x9000);
	if (env.tag == CAT_TAG_SMS_PP_DOWNLOAD) {
		euicc_ota_sms_pp(c, &env, r);
		return;
	}
	if (env.tag != CAT_TAG_EVENT_DOWNLOAD)
		return;
	if (env.event == CAT_EV_LOCATION_STATUS && env.has_location_status)
		euicc_switch_location(c, env.location_status);
	else if (c->ext.event)
		c->ext.event(c, &env, c->ext.priv);
}

/* --- dispatch ------------------------------------------------------------------------------------ */

static void dispatch(struct euicc_card *c, const struct rscript_apdu *a, struct euicc_rsp *r)
{
	const bool gp = (a->cla & 0x80) != 0;
	const bool has_le = a->apdu_case == RSCRIPT_APDU_CASE_2 || a->apdu_case == RSCRIPT_APDU_CASE_4;

	/* Only the basic logical channel (TS 102 221 §10.1.1: channel number in CLA b2b1). */
	if (a->cla != 0xA0 && (a->cla & 0x03)) {
		euicc_rsp_sw(r, 0x6881);
		return;
	}
	if (gp && a->cla != 0xA0) {
		switch (a->ins) {
		case CAT_INS_TERMINAL_PROFILE: terminal_profile(c, a->data, a->lc, r); return;
		case CAT_INS_FETCH: fetch(c, r); return;
		case CAT_INS_TERMINAL_RESPONSE: terminal_response(c, a->data, a->lc, r); return;
		case CAT_INS_ENVELOPE: envelope(c, a->data, a->lc, r); return;
		default: break;
		}
	}
	if (a->ins == 0xC0) { /* GET RESPONSE, TS 102 221 §11.1.13 */
		size_t n = a->le ? a->le : 256;
		if (!c->getresp_len) {
			euicc_rsp_sw(r, 0x6F00);
			return;
		}
		if (n > c->getresp_len)
			n = c->getresp_len;
		memcpy(r->data, c->getresp, n);
		r->len = n;
		memmove(c->getresp, c->getresp + n, c->getresp_len - n);
		c->getresp_len -= n;
		euicc_rsp_sw(r, c->getresp_len ? (uint16_t)(0x6100 | (c->getresp_len > 255 ? 0 : c->getresp_len))
					       : c->getresp_sw);
		return;
	}
	if (euicc_usim_apdu(c, a->cla, a->ins, a->p1, a->p2, a->data, a->lc, has_le ? a->le : 0, r))
		return;
	if (a->ins == 0xCA && (c->sel == EUICC_SEL_ISDR || c->sel == EUICC_SEL_ECASD)) {
		euicc_isdr_get_data(c, (uint16_t)(a->p1 << 8 | a->p2), r);
		return;
	}
	if (gp && (a->ins == 0xE2 || a->ins == 0xE4 || a->ins == 0xE6 || a->ins == 0xF2 || a->ins == 0xCA)) {
		/* ES5 functions only arrive over an OTA session (SCP80/SCP81); on the I/O interface the
		 * ISD-R refuses them (GP 2.3 §10.2: security status not satisfied). */
		euicc_rsp_sw(r, 0x6982);
		return;
	}
	euicc_rsp_sw(r, 0x6D00); /* TS 102 221 §10.2.1.4: instruction not supported */
}

size_t euicc_card_apdu(struct euicc_card *c, const uint8_t *capdu, size_t len, uint8_t *rapdu, size_t cap)
{
	struct euicc_rsp r;
	struct rscript_apdu a;
	size_t out = 0;
	bool has_le;

	if (cap < EUICC_RAPDU_MAX)
		return 0;
	memset(&r, 0, sizeof(r));
	if (!c->powered) {
		r.sw = 0x6F00;
		goto sw;
	}
	if (len < 4) {
		r.sw = 0x6700;
		goto sw;
	}
	if (rscript_apdu_parse(&a, capdu, len) < 0) {
		r.sw = 0x6700; /* TS 102 221 §10.2.1.4: wrong length (also: extended APDUs) */
		goto sw;
	}
	if (!a.data)
		a.data = (const uint8_t *)""; /* case 1/2: handlers may memcpy 0 bytes from it */
	if (a.ins != 0xC0)
		c->getresp_len = 0;
	dispatch(c, &a, &r);
	has_le = a.apdu_case == RSCRIPT_APDU_CASE_2 || a.apdu_case == RSCRIPT_APDU_CASE_4;
	if ((r.sw == 0x9000 || (r.sw >> 8) == 0x91) && c->q_n && a.ins != 0xC0 && a.ins != CAT_INS_FETCH)
		r.sw = (uint16_t)(0x9100 | c->q[0].len); /* TS 102 221 §10.2.1.1 */
	if (r.len && a.ins != 0xC0 && (!has_le || (a.le < r.len && a.le != 256))) {
		if (has_le && a.le < r.len && (r.sw >> 8) == 0x90) {
			/* Le too short: 6Cxx with the right length (TS 102 221 §10.2.1.2). */
			r.sw = (uint16_t)(0x6C00 | r.len);
			r.len = 0;
		} else if ((r.sw >> 8) == 0x90 || (r.sw >> 8) == 0x91 || (r.sw >> 8) == 0x62 || (r.sw >> 8) == 0x63) {
			/* Case 4 without Le (T=0): keep the data for GET RESPONSE, answer 61xx (§7.3.1.1.4). */
			memcpy(c->getresp, r.data, r.len);
			c->getresp_len = r.len;
			c->getresp_sw = r.sw;
			r.sw = (uint16_t)(0x6100 | (r.len > 255 ? 0 : r.len));
			r.len = 0;
		} else {
			r.len = 0;
		}
	}
	if (a.cla == 0xA0 && (r.sw >> 8) == 0x61)
		r.sw = (uint16_t)(0x9F00 | (r.sw & 0xFF)); /* TS 51.011 §9.4.1 */
	memcpy(rapdu, r.data, r.len);
	out = r.len;
sw:
	rapdu[out++] = (uint8_t)(r.sw >> 8);
	rapdu[out++] = (uint8_t)r.sw;
	return out;
}
