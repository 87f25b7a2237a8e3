/* SMS TPDU codec, 3GPP TS 23.040 §9.2. Layouts (octets):
 *
 *   SMS-DELIVER        FO  OA(2-12)  PID DCS SCTS(7)          UDL UD
 *   SMS-SUBMIT         FO  MR DA(2-12)  PID DCS VP(0/1/7)      UDL UD
 *   SMS-DELIVER-REPORT FO [FCS] PI  [PID] [DCS] [UDL UD]       (FCS only in RP-ERROR)
 *   SMS-SUBMIT-REPORT  FO [FCS] PI SCTS(7) [PID] [DCS] [UDL UD]
 *
 *   FO bits: 1-0 MTI, 2 MMS (DELIVER) / RD (SUBMIT), 3 LP (DELIVER), 4-3 VPF (SUBMIT),
 *            5 SRI (DELIVER) / SRR (SUBMIT), 6 UDHI, 7 RP.               (§9.2.3.1 - §9.2.3.23)
 *   address:  length in useful semi-octets, type-of-address (1 TON(3) NPI(4)), BCD digits low nibble
 *             first, odd count filled with F (§9.1.2.5).
 *   UD:       UDL counts septets for GSM 7-bit, octets otherwise (§9.2.3.16); with UDHI set it starts
 *             with UDHL and the IEs (§9.2.3.24).
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <osmocom/gsm/gsm0411_utils.h>
#include <osmocom/gsm/gsm_utils.h>
#include <osmocom/gsm/protocol/gsm_03_40.h>
#include <osmocom/gsm/protocol/gsm_04_11.h>

#include "lib/sms/sms.h"

const struct value_string sms_tpdu_type_names[] = {
	{ SMS_TPDU_DELIVER, "SMS-DELIVER" },
	{ SMS_TPDU_SUBMIT, "SMS-SUBMIT" },
	{ SMS_TPDU_DELIVER_REPORT_ACK, "SMS-DELIVER-REPORT (RP-ACK)" },
	{ SMS_TPDU_DELIVER_REPORT_ERROR, "SMS-DELIVER-REPORT (RP-ERROR)" },
	{ SMS_TPDU_SUBMIT_REPORT_ACK, "SMS-SUBMIT-REPORT (RP-ACK)" },
	{ SMS_TPDU_SUBMIT_REPORT_ERROR, "SMS-SUBMIT-REPORT (RP-ERROR)" },
	{ 0, NULL },
};

const struct value_string sms_vpf_names[] = {
	{ SMS_VPF_NONE, "none" },
	{ SMS_VPF_ENHANCED, "enhanced" },
	{ SMS_VPF_RELATIVE, "relative" },
	{ SMS_VPF_ABSOLUTE, "absolute" },
	{ 0, NULL },
};

const struct value_string sms_ton_names[] = {
	{ SMS_TON_UNKNOWN, "unknown" },
	{ SMS_TON_INTERNATIONAL, "international" },
	{ SMS_TON_NATIONAL, "national" },
	{ SMS_TON_NETWORK, "network-specific" },
	{ SMS_TON_SUBSCRIBER, "subscriber" },
	{ SMS_TON_ALPHANUMERIC, "alphanumeric" },
	{ SMS_TON_ABBREVIATED, "abbreviated" },
	{ SMS_TON_RESERVED, "reserved" },
	{ 0, NULL },
};

const struct value_string sms_dcs_alphabet_names[] = {
	{ SMS_ALPHABET_GSM7, "gsm7" },
	{ SMS_ALPHABET_8BIT, "8bit" },
	{ SMS_ALPHABET_UCS2, "ucs2" },
	{ 0, NULL },
};

/* TS 23.040 §9.1.2.3 semi-octet digits; F is the filler. */
static const char bcd_digits[] = "0123456789*#abc";

static bool is_report(enum sms_tpdu_type type)
{
	return type >= SMS_TPDU_DELIVER_REPORT_ACK;
}

static uint8_t mti_of(enum sms_tpdu_type type)
{
	switch (type) {
	case SMS_TPDU_DELIVER:
	case SMS_TPDU_DELIVER_REPORT_ACK:
	case SMS_TPDU_DELIVER_REPORT_ERROR: return 0;
	default: return 1;
	}
}

/* ---- DCS ---------------------------------------------------------------------------------------- */

void sms_dcs_decode(struct sms_dcs *out, uint8_t dcs)
{
	uint8_t group = dcs >> 4;

	memset(out, 0, sizeof(*out));
	out->msg_class = -1;
	if (group <= 0x7) {
		/* TS 23.038 §4: 00xx general data coding, 01xx the same with automatic deletion */
		out->auto_delete = group & 0x4;
		out->compressed = dcs & 0x20;
		if (dcs & 0x10)
			out->msg_class = dcs & 0x03;
		switch ((dcs >> 2) & 0x03) {
		case 0: out->alphabet = SMS_ALPHABET_GSM7; break;
		case 1: out->alphabet = SMS_ALPHABET_8BIT; break;
		case 2: out->alphabet = SMS_ALPHABET_UCS2; break;
		default: out->alphabet = SMS_ALPHABET_GSM7; out->reserved = true;
		}
	} else if (group <= 0xB) {
		out->alphabet = SMS_ALPHABET_GSM7; /* reserved groups: assume the default alphabet */
		out->reserved = true;
	} else if (group <= 0xE) {
		out->mwi = true; /* C: discard, D: store (GSM 7-bit), E: store (UCS2) */
		out->alphabet = group == 0xE ? SMS_ALPHABET_UCS2 : SMS_ALPHABET_GSM7;
	} else {
		/* 1111: bit 3 reserved, bit 2 message coding (0 GSM 7-bit, 1 8-bit), bits 1-0 class */
		out->alphabet = (dcs & 0x04) ? SMS_ALPHABET_8BIT : SMS_ALPHABET_GSM7;
		out->msg_class = dcs & 0x03;
		out->reserved = dcs & 0x08;
	}
}

/* UDL counts septets only for uncompressed GSM 7-bit (TS 23.040 §9.2.3.16). */
static bool udl_in_septets(uint8_t dcs)
{
	struct sms_dcs d;

	sms_dcs_decode(&d, dcs);
	return d.alphabet == SMS_ALPHABET_GSM7 && !d.compressed;
}

/* ---- address ------------------------------------------------------------------------------------ */

int sms_addr_decode(struct sms_addr *out, const uint8_t *buf, size_t len)
{
	size_t octets;

	if (!out || (!buf && len))
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	if (len < 2)
		return -EAGAIN;
	out->len_semi = buf[0];
	out->toa = buf[1];
	out->ton = (buf[1] >> 4) & 0x07;
	out->npi = buf[1] & 0x0F;
	if (out->len_semi > SMS_ADDR_MAX_SEMI) /* TS 23.040 §9.1.2.5: at most 10 octets of value */
		return -EBADMSG;
	octets = (out->len_semi + 1u) / 2;
	if (len < 2 + octets)
		return -EAGAIN;
	if (out->ton == SMS_TON_ALPHANUMERIC) {
		/* TS 23.040 §9.1.2.5: GSM 7-bit default alphabet, length = useful semi-octets */
		uint8_t septets = (uint8_t)(out->len_semi * 4u / 7u);

		if (septets)
			gsm_7bit_decode_n(out->digits, sizeof(out->digits), buf + 2, septets);
		return (int)(2 + octets);
	}
	for (unsigned int i = 0; i < out->len_semi; i++) {
		uint8_t b = buf[2 + i / 2];
		uint8_t nib = (i & 1) ? (b >> 4) : (b & 0x0F);

		if (nib == 0x0F)
			return -EBADMSG; /* filler inside the useful semi-octets */
		out->digits[i] = bcd_digits[nib];
	}
	return (int)(2 + octets);
}

int sms_addr_encode(const struct sms_addr *a, uint8_t *out, size_t out_len)
{
	size_t n;

	if (!a || !out || a->ton > 7 || a->npi > 15)
		return -EINVAL;
	n = strnlen(a->digits, sizeof(a->digits));
	if (n == sizeof(a->digits))
		return -EINVAL;
	if (a->ton == SMS_TON_ALPHANUMERIC) {
		uint8_t packed[sizeof(a->digits)];
		int octets = 0, septets;

		septets = gsm_7bit_encode_n(packed, sizeof(packed), a->digits, &octets);
		/* 20 semi-octets = 80 bits: at most 11 septets */
		if (septets < 0 || septets > 11 || octets < 0)
			return -EINVAL;
		if (out_len < 2 + (size_t)octets)
			return -EMSGSIZE;
		out[0] = (uint8_t)((septets * 7 + 3) / 4); /* useful semi-octets */
		out[1] = 0x80 | (SMS_TON_ALPHANUMERIC << 4) | a->npi;
		memcpy(out + 2, packed, (size_t)octets);
		return 2 + octets;
	}
	if (n > SMS_ADDR_MAX_SEMI)
		return -EINVAL;
	for (size_t i = 0; i < n; i++)
		if (!strchr(bcd_digits, a->digits[i]))
			return -EINVAL;
	if (out_len < 2 + (n + 1) / 2)
		return -EMSGSIZE;
	{
		/* libosmocore writes length, TOA (with bit 7) and the BCD digits with an F filler. */
		uint8_t tmp[2 + SMS_ADDR_MAX_SEMI / 2];
		int rc = gsm340_gen_oa(tmp, sizeof(tmp), a->ton, a->npi, a->digits);

		if (rc != (int)(2 + (n + 1) / 2))
			return -EINVAL;
		memcpy(out, tmp, (size_t)rc);
		return rc;
	}
}

/* ---- UDH ---------------------------------------------------------------------------------------- */

int sms_udh_decode(struct sms_udh *out, const uint8_t *ud, size_t ud_len)
{
	size_t udhl, pos = 1;

	if (!out || (!ud && ud_len))
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	if (ud_len < 1)
		return -EAGAIN;
	udhl = ud[0];
	if (1 + udhl > ud_len)
		return -EBADMSG; /* UDHL beyond the user data */
	out->raw = ud;
	out->len = 1 + udhl;
	while (pos < 1 + udhl) {
		struct sms_ie *ie;

		if (pos + 2 > 1 + udhl || pos + 2 + ud[pos + 1] > 1 + udhl)
			return -EBADMSG; /* IE header or value past UDHL */
		if (out->n_ies >= SMS_UDH_MAX_IES)
			return -EBADMSG; /* cannot happen with UDHL <= 255, kept as a cap */
		ie = &out->ies[out->n_ies++];
		ie->iei = ud[pos];
		ie->len = ud[pos + 1];
		ie->value = ud + pos + 2;
		pos += 2 + ie->len;
	}
	return (int)out->len;
}

const struct sms_ie *sms_udh_find(const struct sms_udh *udh, uint8_t iei)
{
	for (unsigned int i = 0; udh && i < udh->n_ies; i++)
		if (udh->ies[i].iei == iei)
			return &udh->ies[i];
	return NULL;
}

int sms_udh_encode(const struct sms_ie *ies, unsigned int n_ies, const uint8_t *data, size_t data_len, uint8_t *out,
		   size_t out_len)
{
	size_t udhl = 0, pos;

	if ((!ies && n_ies) || (!data && data_len) || !out)
		return -EINVAL;
	for (unsigned int i = 0; i < n_ies; i++) {
		if (ies[i].len && !ies[i].value)
			return -EINVAL;
		udhl += 2u + ies[i].len;
	}
	if (udhl > SMS_UD_MAX - 1)
		return -EINVAL;
	if (out_len < 1 + udhl + data_len)
		return -EMSGSIZE;
	out[0] = (uint8_t)udhl;
	pos = 1;
	for (unsigned int i = 0; i < n_ies; i++) {
		out[pos++] = ies[i].iei;
		out[pos++] = ies[i].len;
		if (ies[i].len)
			memcpy(out + pos, ies[i].value, ies[i].len);
		pos += ies[i].len;
	}
	if (data_len)
		memcpy(out + pos, data, data_len);
	return (int)(pos + data_len);
}

/* ---- SCTS, VP ----------------------------------------------------------------------------------- */

static bool bcd_ok(uint8_t b)
{
	return (b & 0x0F) <= 9 && (b >> 4) <= 9;
}

int sms_scts_decode(struct sms_scts *out, const uint8_t raw[7])
{
	uint8_t q;

	if (!out || !raw)
		return -EINVAL;
	for (int i = 0; i < 6; i++)
		if (!bcd_ok(raw[i]))
			return -EBADMSG;
	if ((raw[6] >> 4) > 9) /* time zone: tens in bits 2-0, sign in bit 3, units in the high nibble */
		return -EBADMSG;
	/* checked above, so libosmocore's unbcdify never logs */
	out->year = gsm411_unbcdify(raw[0]);
	out->month = gsm411_unbcdify(raw[1]);
	out->day = gsm411_unbcdify(raw[2]);
	out->hour = gsm411_unbcdify(raw[3]);
	out->minute = gsm411_unbcdify(raw[4]);
	out->second = gsm411_unbcdify(raw[5]);
	q = gsm411_unbcdify(raw[6] & 0xF7);
	out->tz_quarters = (int8_t)((raw[6] & 0x08) ? -(int)q : (int)q);
	if (out->month < 1 || out->month > 12 || out->day < 1 || out->day > 31 || out->hour > 23 || out->minute > 59 ||
	    out->second > 59)
		return -EBADMSG;
	return 0;
}

int sms_scts_encode(const struct sms_scts *s, uint8_t raw[7])
{
	int q;

	if (!s || !raw || s->year > 99 || s->month < 1 || s->month > 12 || s->day < 1 || s->day > 31 || s->hour > 23 ||
	    s->minute > 59 || s->second > 59 || s->tz_quarters > 79 || s->tz_quarters < -79)
		return -EINVAL;
	q = s->tz_quarters < 0 ? -s->tz_quarters : s->tz_quarters;
	raw[0] = gsm411_bcdify(s->year);
	raw[1] = gsm411_bcdify(s->month);
	raw[2] = gsm411_bcdify(s->day);
	raw[3] = gsm411_bcdify(s->hour);
	raw[4] = gsm411_bcdify(s->minute);
	raw[5] = gsm411_bcdify(s->second);
	raw[6] = gsm411_bcdify((uint8_t)q) | (s->tz_quarters < 0 ? 0x08 : 0);
	return 0;
}

void sms_scts_from_time(uint8_t raw[7], time_t t)
{
	gsm340_gen_scts(raw, t);
}

int sms_scts_to_time(const uint8_t raw[7], time_t *t)
{
	struct sms_scts s;
	struct tm tm;
	int rc = sms_scts_decode(&s, raw);

	if (rc < 0)
		return rc;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = s.year <= 80 ? 100 + s.year : s.year; /* as libosmocore gsm340_scts() */
	tm.tm_mon = s.month - 1;
	tm.tm_mday = s.day;
	tm.tm_hour = s.hour;
	tm.tm_min = s.minute;
	tm.tm_sec = s.second;
	*t = timegm(&tm) - (time_t)s.tz_quarters * 15 * 60;
	return 0;
}

unsigned long sms_vp_relative_minutes(uint8_t vp)
{
	return gsm340_validity_period(GSM340_TP_VPF_RELATIVE, &vp);
}

/* ---- TPDU --------------------------------------------------------------------------------------- */

/* Reads UDL and UD at buf (the UDL octet). Returns bytes consumed. */
static int decode_ud(struct sms_tpdu *t, const uint8_t *buf, size_t len)
{
	size_t octets;

	if (len < 1)
		return -EAGAIN;
	t->udl = buf[0];
	if (udl_in_septets(t->has_dcs ? t->dcs : 0)) {
		if (t->udl > 160)
			return -EBADMSG;
		octets = (t->udl * 7u + 7) / 8;
	} else {
		if (t->udl > SMS_UD_MAX)
			return -EBADMSG;
		octets = t->udl;
	}
	if (len < 1 + octets)
		return -EAGAIN;
	t->ud = buf + 1;
	t->ud_len = octets;
	t->data = t->ud;
	t->data_len = octets;
	if (t->udhi) {
		int rc = sms_udh_decode(&t->udh, t->ud, t->ud_len);

		if (rc < 0)
			return rc == -EAGAIN ? -EBADMSG : rc; /* UDHI set but UDL 0 */
		t->data = t->ud + rc;
		t->data_len = t->ud_len - (size_t)rc;
	}
	return (int)(1 + octets);
}

int sms_tpdu_decode(struct sms_tpdu *out, enum sms_tpdu_type type, const uint8_t *buf, size_t len)
{
	size_t pos = 0;
	uint8_t fo;
	int rc;

	if (!out || (!buf && len) || type > SMS_TPDU_SUBMIT_REPORT_ERROR)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	out->type = type;
	if (len < 1)
		return -EAGAIN;
	fo = out->first_octet = buf[pos++];
	if ((fo & 0x03) != mti_of(type))
		return -EBADMSG;
	out->udhi = fo & 0x40;
	if (!is_report(type))
		out->rp = fo & 0x80;

	if (type == SMS_TPDU_DELIVER) {
		out->mms = fo & 0x04;
		out->lp = fo & 0x08;
		out->sri = fo & 0x20;
		rc = sms_addr_decode(&out->addr, buf + pos, len - pos);
		if (rc < 0)
			return rc;
		pos += (size_t)rc;
		if (len < pos + 2 + 7)
			return -EAGAIN;
		out->has_pid = out->has_dcs = out->has_udl = true;
		out->pid = buf[pos++];
		out->dcs = buf[pos++];
		out->scts = buf + pos;
		pos += 7;
	} else if (type == SMS_TPDU_SUBMIT) {
		out->rd = fo & 0x04;
		out->vpf = (enum sms_vpf)((fo >> 3) & 0x03);
		out->srr = fo & 0x20;
		if (len < pos + 1)
			return -EAGAIN;
		out->mr = buf[pos++];
		rc = sms_addr_decode(&out->addr, buf + pos, len - pos);
		if (rc < 0)
			return rc;
		pos += (size_t)rc;
		out->vp_len = out->vpf == SMS_VPF_NONE ? 0 : out->vpf == SMS_VPF_RELATIVE ? 1 : 7;
		if (len < pos + 2 + out->vp_len)
			return -EAGAIN;
		out->has_pid = out->has_dcs = out->has_udl = true;
		out->pid = buf[pos++];
		out->dcs = buf[pos++];
		if (out->vp_len)
			out->vp = buf + pos;
		pos += out->vp_len;
	} else {
		if (type == SMS_TPDU_DELIVER_REPORT_ERROR || type == SMS_TPDU_SUBMIT_REPORT_ERROR) {
			if (len < pos + 1)
				return -EAGAIN;
			out->fcs = buf[pos++];
		}
		/* TS 23.040 §9.2.3.27 TP-PI; bit 7 announces a further TP-PI octet */
		if (len < pos + 1)
			return -EAGAIN;
		out->pi = buf[pos];
		while (buf[pos++] & 0x80)
			if (len < pos + 1)
				return -EAGAIN;
		out->has_pid = out->pi & 0x01;
		out->has_dcs = out->pi & 0x02;
		out->has_udl = out->pi & 0x04;
		if (type == SMS_TPDU_SUBMIT_REPORT_ACK || type == SMS_TPDU_SUBMIT_REPORT_ERROR) {
			if (len < pos + 7)
				return -EAGAIN;
			out->scts = buf + pos;
			pos += 7;
		}
		if (out->has_pid) {
			if (len < pos + 1)
				return -EAGAIN;
			out->pid = buf[pos++];
		}
		if (out->has_dcs) {
			if (len < pos + 1)
				return -EAGAIN;
			out->dcs = buf[pos++];
		}
		if (!out->has_udl) {
			if (out->udhi)
				return -EBADMSG; /* UDHI without user data */
			return (int)pos;
		}
	}
	rc = decode_ud(out, buf + pos, len - pos);
	if (rc < 0)
		return rc;
	return (int)(pos + (size_t)rc);
}

void sms_tpdu_init_data_download(struct sms_tpdu *t, enum sms_tpdu_type type)
{
	memset(t, 0, sizeof(*t));
	t->type = type;
	t->pid = SMS_PID_SIM_DATA_DOWNLOAD;
	t->dcs = SMS_DCS_CLASS2_8BIT;
	t->has_pid = t->has_dcs = t->has_udl = true;
	t->udhi = true;
	/* TS 23.040 §9.2.3.2: 1 = no more messages waiting in the SC */
	t->mms = type == SMS_TPDU_DELIVER;
}

int sms_tpdu_encode(const struct sms_tpdu *t, uint8_t *out, size_t out_len)
{
	size_t pos = 0, need;
	uint8_t udl;
	int rc;

	if (!t || !out || t->type > SMS_TPDU_SUBMIT_REPORT_ERROR || (!t->ud && t->ud_len))
		return -EINVAL;
	/* the UD length rules first, so that nothing is written for an invalid TPDU */
	if (udl_in_septets(t->has_dcs ? t->dcs : 0)) {
		if (t->udl > 160 || t->ud_len != (t->udl * 7u + 7) / 8)
			return -EINVAL;
		udl = t->udl;
	} else {
		if (t->ud_len > SMS_UD_MAX)
			return -EINVAL;
		udl = (uint8_t)t->ud_len;
	}
	if (t->udhi && t->ud_len < 1)
		return -EINVAL;
	if (is_report(t->type) && !t->has_udl && (t->ud_len || t->udhi))
		return -EINVAL;

	if (out_len < 1)
		return -EMSGSIZE;
	switch (t->type) {
	case SMS_TPDU_DELIVER:
		out[pos++] = 0x00 | (t->mms ? 0x04 : 0) | (t->lp ? 0x08 : 0) | (t->sri ? 0x20 : 0) |
			     (t->udhi ? 0x40 : 0) | (t->rp ? 0x80 : 0);
		rc = sms_addr_encode(&t->addr, out + pos, out_len - pos);
		if (rc < 0)
			return rc;
		pos += (size_t)rc;
		if (!t->scts)
			return -EINVAL;
		if (out_len < pos + 2 + 7)
			return -EMSGSIZE;
		out[pos++] = t->pid;
		out[pos++] = t->dcs;
		memcpy(out + pos, t->scts, 7);
		pos += 7;
		break;
	case SMS_TPDU_SUBMIT: {
		size_t vp_len = t->vpf == SMS_VPF_NONE ? 0 : t->vpf == SMS_VPF_RELATIVE ? 1 : 7;

		if ((unsigned int)t->vpf > 3 || t->vp_len != vp_len || (vp_len && !t->vp))
			return -EINVAL;
		out[pos++] = 0x01 | (t->rd ? 0x04 : 0) | (uint8_t)(t->vpf << 3) | (t->srr ? 0x20 : 0) |
			     (t->udhi ? 0x40 : 0) | (t->rp ? 0x80 : 0);
		if (out_len < pos + 1)
			return -EMSGSIZE;
		out[pos++] = t->mr;
		rc = sms_addr_encode(&t->addr, out + pos, out_len - pos);
		if (rc < 0)
			return rc;
		pos += (size_t)rc;
		if (out_len < pos + 2 + vp_len)
			return -EMSGSIZE;
		out[pos++] = t->pid;
		out[pos++] = t->dcs;
		if (vp_len)
			memcpy(out + pos, t->vp, vp_len);
		pos += vp_len;
		break;
	}
	default: {
		bool submit_report = t->type == SMS_TPDU_SUBMIT_REPORT_ACK || t->type == SMS_TPDU_SUBMIT_REPORT_ERROR;
		bool error = t->type == SMS_TPDU_DELIVER_REPORT_ERROR || t->type == SMS_TPDU_SUBMIT_REPORT_ERROR;

		if (submit_report && !t->scts)
			return -EINVAL;
		need = 1 + (error ? 1 : 0) + 1 + (submit_report ? 7 : 0) + (t->has_pid ? 1 : 0) + (t->has_dcs ? 1 : 0);
		if (out_len < need)
			return -EMSGSIZE;
		out[pos++] = mti_of(t->type) | (t->udhi ? 0x40 : 0);
		if (error)
			out[pos++] = t->fcs;
		out[pos++] = (t->has_pid ? 0x01 : 0) | (t->has_dcs ? 0x02 : 0) | (t->has_udl ? 0x04 : 0);
		if (submit_report) {
			memcpy(out + pos, t->scts, 7);
			pos += 7;
		}
		if (t->has_pid)
			out[pos++] = t->pid;
		if (t->has_dcs)
			out[pos++] = t->dcs;
		if (!t->has_udl)
			return (int)pos;
	}
	}
	if (out_len < pos + 1 + t->ud_len)
		return -EMSGSIZE;
	out[pos++] = udl;
	if (t->ud_len)
		memcpy(out + pos, t->ud, t->ud_len);
	pos += t->ud_len;
	return (int)pos;
}
