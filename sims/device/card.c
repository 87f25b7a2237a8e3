/* The card as the device uses it (see card.h): APDU exchange with GET RESPONSE handling, start-up,
 * EF.IMSI, AUTHENTICATE, FETCH / TERMINAL RESPONSE / ENVELOPE, and the vpcd framing. */
#include <errno.h>
#include <string.h>

#include "lib/cat/cat.h"
#include "sims/device/a_msg.h"
#include "sims/device/card.h"

const struct value_string dev_vpcd_ctrl_names[] = { { DEV_VPCD_POWER_OFF, "power off" },
						    { DEV_VPCD_POWER_ON, "power on" },
						    { DEV_VPCD_RESET, "reset" },
						    { DEV_VPCD_GET_ATR, "ATR request" },
						    { 0, NULL } };

int dev_vpcd_frame_encode(uint8_t *out, size_t cap, const uint8_t *payload, size_t len)
{
	if (!out || !payload || len < 1 || len > 0xffff)
		return -EINVAL;
	if (cap < len + 2)
		return -EMSGSIZE;
	out[0] = (uint8_t)(len >> 8);
	out[1] = (uint8_t)len;
	memcpy(out + 2, payload, len);
	return (int)(len + 2);
}

int dev_vpcd_frame_decode(const uint8_t *buf, size_t len, const uint8_t **payload, size_t *plen)
{
	if ((!buf && len) || !payload || !plen)
		return -EINVAL;
	if (len < 2)
		return -EAGAIN;
	size_t n = (size_t)buf[0] << 8 | buf[1];
	if (len < 2 + n)
		return -EAGAIN;
	*payload = buf + 2;
	*plen = n;
	return (int)(2 + n);
}

/* --- APDU exchange ----------------------------------------------------------------------------------------- */
static int raw_xfer(struct dev_card *card, const uint8_t *capdu, size_t len, uint8_t *buf, size_t cap)
{
	if (!card->powered)
		return -ENODEV;
	int rc = card->ops->transmit(card->priv, capdu, len, buf, cap);
	card->n_apdus++;
	if (rc < 0)
		return rc;
	if (rc < 2 || (size_t)rc > cap)
		return -EBADMSG;
	return rc;
}

int dev_card_apdu(struct dev_card *card, const uint8_t *capdu, size_t len, struct dev_rapdu *r)
{
	static uint8_t buf[DEV_CARD_RAPDU_MAX + 2];
	uint8_t cmd[5 + 255 + 1];
	int rc;

	if (!card || !capdu || len < 4 || len > sizeof(cmd) || !r)
		return -EINVAL;
	memcpy(cmd, capdu, len);
	r->len = 0;
	r->sw = r->sw_first = 0;
	for (unsigned int round = 0; round < 8; round++) {
		rc = raw_xfer(card, cmd, len, buf, sizeof(buf));
		if (rc < 0)
			return rc;
		size_t dlen = (size_t)rc - 2;
		uint8_t sw1 = buf[rc - 2], sw2 = buf[rc - 1];
		if (r->len + dlen > sizeof(r->data))
			return -EMSGSIZE;
		memcpy(r->data + r->len, buf, dlen);
		r->len += dlen;
		r->sw = (uint16_t)(sw1 << 8 | sw2);
		if (round == 0)
			r->sw_first = r->sw;
		if (sw1 == CAT_SW1_RESPONSE_AVAILABLE || sw1 == CAT_SW1_SIM_RESPONSE_LENGTH ||
		    sw1 == CAT_SW1_DOWNLOAD_ERROR) {
			/* TS 102 221 §7.3.1.1.4 / TS 51.011 §9.4.1: GET RESPONSE for sw2 bytes (00 = 256) */
			cmd[0] = capdu[0] == 0xA0 ? 0xA0 : (uint8_t)(capdu[0] & 0x03);
			cmd[1] = 0xC0;
			cmd[2] = cmd[3] = 0;
			cmd[4] = sw2;
			len = 5;
			continue;
		}
		if (sw1 == 0x6C && round == 0) { /* §7.3.1.1.5: wrong Le, re-issue with Le = sw2 */
			if (len == 4)
				len = 5;
			cmd[len - 1] = sw2;
			r->len = 0;
			continue;
		}
		if (sw1 == CAT_SW1_PROACTIVE_PENDING)
			card->proactive = sw2 ? sw2 : 256;
		return 0;
	}
	return -EPROTO; /* a card that keeps answering 61xx */
}

static int apdu5(struct dev_card *card, uint8_t cla, uint8_t ins, uint8_t p1, uint8_t p2, const uint8_t *data,
		 size_t dlen, int le, struct dev_rapdu *r)
{
	uint8_t c[5 + 255 + 1];
	size_t n = 4;

	if (dlen > 255)
		return -EINVAL;
	c[0] = cla;
	c[1] = ins;
	c[2] = p1;
	c[3] = p2;
	if (dlen) {
		c[n++] = (uint8_t)dlen;
		memcpy(c + n, data, dlen);
		n += dlen;
	}
	if (le >= 0)
		c[n++] = (uint8_t)le;
	return dev_card_apdu(card, c, n, r);
}

int dev_card_start(struct dev_card *card, bool warm, const uint8_t *tp, size_t tp_len)
{
	static struct dev_rapdu r;
	int rc;

	if (!card || !card->ops || (tp_len && !tp) || tp_len > 255)
		return -EINVAL;
	rc = warm && card->powered ? card->ops->reset(card->priv, card->atr)
				   : card->ops->power_on(card->priv, card->atr);
	if (rc < 0)
		return rc;
	if (rc < 2 || rc > DEV_CARD_ATR_MAX) /* an ATR has at least TS and T0 */
		return -EBADMSG;
	card->atr_len = (size_t)rc;
	card->powered = true;
	card->proactive = 0;
	card->usim = false;
	if (!tp_len)
		return 0;
	/* TS 102 221 §10.1.2 / TS 102 223 §5.2: TERMINAL PROFILE, CLA 80 INS 10 */
	rc = apdu5(card, 0x80, CAT_INS_TERMINAL_PROFILE, 0, 0, tp, tp_len, -1, &r);
	if (rc < 0)
		return rc;
	if (r.sw != 0x9000 && (r.sw >> 8) != CAT_SW1_PROACTIVE_PENDING)
		return -EPROTO;
	return 0;
}

int dev_card_stop(struct dev_card *card)
{
	if (!card || !card->powered)
		return 0;
	card->powered = false;
	card->proactive = 0;
	return card->ops->power_off(card->priv);
}

int dev_ef_imsi_decode(char imsi[16], const uint8_t *buf, size_t len)
{
	if (!imsi || !buf || len < 2)
		return -EBADMSG;
	if (buf[0] < 1 || buf[0] > 8 || (size_t)1 + buf[0] > len)
		return -EBADMSG;
	return dev_mi_imsi_decode(imsi, buf + 1, buf[0]);
}

static bool sw_ok(uint16_t sw)
{
	return sw == 0x9000 || (sw >> 8) == CAT_SW1_PROACTIVE_PENDING;
}

int dev_card_read_imsi(struct dev_card *card, char imsi[16])
{
	static struct dev_rapdu r;
	/* TS 101 220 Annex E: 3GPP RID A000000087, application code 1002 = USIM; partial AID selection */
	static const uint8_t usim_aid[] = { 0xA0, 0x00, 0x00, 0x00, 0x87, 0x10, 0x02 };
	static const uint8_t ef_imsi[] = { 0x6F, 0x07 };
	static const uint8_t df_gsm[] = { 0x7F, 0x20 };
	static const uint8_t mf[] = { 0x3F, 0x00 };
	int rc;

	if (!card || !imsi)
		return -EINVAL;
	/* TS 102 221 §11.1.1: SELECT by DF name, first occurrence, return FCP (P2 04) */
	rc = apdu5(card, 0x00, 0xA4, 0x04, 0x04, usim_aid, sizeof(usim_aid), 0, &r);
	if (rc < 0)
		return rc;
	if (sw_ok(r.sw)) {
		card->usim = true;
		rc = apdu5(card, 0x00, 0xA4, 0x00, 0x04, ef_imsi, sizeof(ef_imsi), 0, &r);
		if (rc < 0)
			return rc;
		if (!sw_ok(r.sw))
			return -ENOENT;
		rc = apdu5(card, 0x00, 0xB0, 0, 0, NULL, 0, 9, &r); /* READ BINARY 9 bytes */
	} else {
		/* TS 51.011 §9.2.1: the SIM path MF / DF GSM / EF IMSI with CLA A0 */
		card->usim = false;
		rc = apdu5(card, 0xA0, 0xA4, 0, 0, mf, sizeof(mf), -1, &r);
		if (rc >= 0)
			rc = apdu5(card, 0xA0, 0xA4, 0, 0, df_gsm, sizeof(df_gsm), -1, &r);
		if (rc >= 0 && sw_ok(r.sw))
			rc = apdu5(card, 0xA0, 0xA4, 0, 0, ef_imsi, sizeof(ef_imsi), -1, &r);
		if (rc < 0)
			return rc;
		if (!sw_ok(r.sw))
			return -ENOENT;
		rc = apdu5(card, 0xA0, 0xB0, 0, 0, NULL, 0, 9, &r);
	}
	if (rc < 0)
		return rc;
	if (!sw_ok(r.sw))
		return -ENOENT;
	return dev_ef_imsi_decode(imsi, r.data, r.len);
}

int dev_auth_resp_decode(struct dev_auth_res *out, enum dev_auth_ctx ctx, const uint8_t *buf, size_t len)
{
	size_t i = 0;

	if (!out || (!buf && len))
		return -EINVAL;
	memset(out->sres, 0, sizeof(out->sres));
	out->ok = false;
	out->sync_failure = false;
	out->res_len = 0;
	switch (ctx) {
	case DEV_AUTH_SIM: /* TS 51.011 §9.2.16: SRES 4 ‖ Kc 8 */
		if (len < 12)
			return -EAGAIN;
		memcpy(out->sres, buf, 4);
		memcpy(out->kc, buf + 4, 8);
		out->ok = true;
		return 12;
	case DEV_AUTH_USIM_GSM: /* TS 31.102 §7.1.2.1 GSM context: 04 SRES 08 Kc */
		if (len < 14)
			return -EAGAIN;
		if (buf[0] != 4 || buf[5] != 8)
			return -EBADMSG;
		memcpy(out->sres, buf + 1, 4);
		memcpy(out->kc, buf + 6, 8);
		out->ok = true;
		return 14;
	case DEV_AUTH_USIM_3G:
		if (len < 1)
			return -EAGAIN;
		if (buf[0] == 0xDC) { /* synchronisation failure: DC 0E AUTS */
			if (len < 2)
				return -EAGAIN;
			if (buf[1] != 14)
				return -EBADMSG;
			if (len < 16)
				return -EAGAIN;
			memcpy(out->auts, buf + 2, 14);
			out->sync_failure = true;
			return 16;
		}
		if (buf[0] != 0xDB)
			return -EBADMSG;
		i = 1;
		/* RES (4..16), CK (16), IK (16), optional Kc (8) */
		if (i + 1 > len)
			return -EAGAIN;
		if (buf[i] < 4 || buf[i] > 16)
			return -EBADMSG;
		if (i + 1 + buf[i] > len)
			return -EAGAIN;
		out->res_len = buf[i];
		memcpy(out->res, buf + i + 1, out->res_len);
		memcpy(out->sres, out->res, 4);
		i += 1 + buf[i];
		for (int k = 0; k < 2; k++) {
			if (i + 1 > len)
				return -EAGAIN;
			if (buf[i] != 16)
				return -EBADMSG;
			if (i + 17 > len)
				return -EAGAIN;
			memcpy(k ? out->ik : out->ck, buf + i + 1, 16);
			i += 17;
		}
		if (i < len) {
			if (buf[i] != 8)
				return -EBADMSG;
			if (i + 9 > len)
				return -EAGAIN;
			memcpy(out->kc, buf + i + 1, 8);
			i += 9;
		}
		out->ok = true;
		return (int)i;
	default: return -EINVAL;
	}
}

int dev_card_authenticate(struct dev_card *card, const uint8_t rand[16], const uint8_t *autn, struct dev_auth_res *res)
{
	static struct dev_rapdu r;
	uint8_t d[34];
	size_t n = 0;
	int rc;

	if (!card || !rand || !res)
		return -EINVAL;
	memset(res, 0, sizeof(*res));
	if (!card->usim) {
		rc = apdu5(card, 0xA0, 0x88, 0, 0, rand, 16, -1, &r);
		if (rc < 0)
			return rc;
		res->sw = r.sw;
		if (r.sw == 0x9000 && dev_auth_resp_decode(res, DEV_AUTH_SIM, r.data, r.len) < 0)
			res->ok = false;
		return 0;
	}
	/* TS 31.102 §7.1.2: CLA 00 INS 88, P2 80 GSM context (LV RAND), 81 3G context (LV RAND, LV AUTN) */
	d[n++] = 16;
	memcpy(d + n, rand, 16);
	n += 16;
	if (autn) {
		d[n++] = 16;
		memcpy(d + n, autn, 16);
		n += 16;
	}
	rc = apdu5(card, 0x00, 0x88, 0x00, autn ? 0x81 : 0x80, d, n, 0, &r);
	if (rc < 0)
		return rc;
	res->sw = r.sw;
	if (r.sw == 0x9000 || (r.sw >> 8) == CAT_SW1_PROACTIVE_PENDING) {
		if (dev_auth_resp_decode(res, autn ? DEV_AUTH_USIM_3G : DEV_AUTH_USIM_GSM, r.data, r.len) < 0)
			res->ok = false;
	}
	return 0;
}

int dev_card_fetch(struct dev_card *card, struct dev_rapdu *r)
{
	if (!card || !r)
		return -EINVAL;
	if (!card->proactive)
		return -ENOENT;
	unsigned int n = card->proactive;
	card->proactive = 0;
	/* TS 102 221 §10.1.2: FETCH, CLA 80 INS 12, Le = the length from 91xx */
	return apdu5(card, 0x80, CAT_INS_FETCH, 0, 0, NULL, 0, n == 256 ? 0 : (int)n, r);
}

int dev_card_terminal_response(struct dev_card *card, const uint8_t *data, size_t len, struct dev_rapdu *r)
{
	if (!card || !data || !r)
		return -EINVAL;
	card->proactive = 0;
	return apdu5(card, 0x80, CAT_INS_TERMINAL_RESPONSE, 0, 0, data, len, -1, r);
}

int dev_card_envelope(struct dev_card *card, const uint8_t *data, size_t len, struct dev_rapdu *r)
{
	if (!card || !data || !r)
		return -EINVAL;
	return apdu5(card, 0x80, CAT_INS_ENVELOPE, 0, 0, data, len, -1, r);
}
