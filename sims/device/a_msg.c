/* MS-side A-interface codecs (see a_msg.h).
 *
 *   BSSAP   00 len BSSMAP{type IEs...}          01 dlci len L3{...}
 *   L3      [TI|flag:4 ‖ PD:4] [N(SD):2 ‖ type:6] fields...
 *   CP-DATA [TI ‖ 9] 01 len RP{type mr ...}
 *   RP-DATA (N->MS)  01 mr oa_len oa... 00 ud_len tpdu...
 */
#include <errno.h>
#include <string.h>

#include "sims/device/a_msg.h"

const struct value_string dev_mm_type_names[] = { { DEV_MM_IMSI_DETACH_IND, "IMSI DETACH INDICATION" },
						  { DEV_MM_LU_ACCEPT, "LOCATION UPDATING ACCEPT" },
						  { DEV_MM_LU_REJECT, "LOCATION UPDATING REJECT" },
						  { DEV_MM_LU_REQUEST, "LOCATION UPDATING REQUEST" },
						  { DEV_MM_AUTH_REJECT, "AUTHENTICATION REJECT" },
						  { DEV_MM_AUTH_REQUEST, "AUTHENTICATION REQUEST" },
						  { DEV_MM_AUTH_RESPONSE, "AUTHENTICATION RESPONSE" },
						  { DEV_MM_AUTH_FAILURE, "AUTHENTICATION FAILURE" },
						  { DEV_MM_IDENTITY_REQUEST, "IDENTITY REQUEST" },
						  { DEV_MM_IDENTITY_RESPONSE, "IDENTITY RESPONSE" },
						  { DEV_MM_TMSI_REALLOC_CMD, "TMSI REALLOCATION COMMAND" },
						  { DEV_MM_TMSI_REALLOC_COMPLETE, "TMSI REALLOCATION COMPLETE" },
						  { DEV_MM_CM_SERVICE_ACCEPT, "CM SERVICE ACCEPT" },
						  { DEV_MM_CM_SERVICE_REJECT, "CM SERVICE REJECT" },
						  { DEV_MM_CM_SERVICE_REQUEST, "CM SERVICE REQUEST" },
						  { DEV_MM_ABORT, "ABORT" },
						  { DEV_MM_INFO, "MM INFORMATION" },
						  { 0, NULL } };

const struct value_string dev_cp_type_names[] = {
	{ DEV_CP_DATA, "CP-DATA" }, { DEV_CP_ACK, "CP-ACK" }, { DEV_CP_ERROR, "CP-ERROR" }, { 0, NULL }
};

const struct value_string dev_rp_type_names[] = { { DEV_RP_DATA_MS_TO_N, "RP-DATA (MS->N)" },
						  { DEV_RP_DATA_N_TO_MS, "RP-DATA (N->MS)" },
						  { DEV_RP_ACK_MS_TO_N, "RP-ACK (MS->N)" },
						  { DEV_RP_ACK_N_TO_MS, "RP-ACK (N->MS)" },
						  { DEV_RP_ERROR_MS_TO_N, "RP-ERROR (MS->N)" },
						  { DEV_RP_ERROR_N_TO_MS, "RP-ERROR (N->MS)" },
						  { DEV_RP_SMMA, "RP-SMMA" },
						  { 0, NULL } };

int dev_bssap_decode(struct dev_bssap *out, const uint8_t *buf, size_t len)
{
	if (!out || (!buf && len))
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	if (len < 2)
		return -EAGAIN;
	out->kind = buf[0];
	switch (buf[0]) {
	case DEV_BSSAP_BSSMAP: /* TS 48.006 §9.3.1: discriminator, length, message */
		if (buf[1] < 1)
			return -EBADMSG;
		if ((size_t)2 + buf[1] > len)
			return -EAGAIN;
		out->msg_type = buf[2];
		out->ies = buf + 3;
		out->ies_len = buf[1] - 1u;
		return 2 + buf[1];
	case DEV_BSSAP_DTAP: /* TS 48.006 §9.3.2: discriminator, DLCI, length, L3 */
		if (len < 3)
			return -EAGAIN;
		out->dlci = buf[1];
		if ((size_t)3 + buf[2] > len)
			return -EAGAIN;
		out->ies = buf + 3;
		out->ies_len = buf[2];
		return 3 + buf[2];
	default: return -EBADMSG;
	}
}

/* TS 24.008 §10.5.1.4: octet 1 = digit 1 ‖ odd/even ‖ type (1 = IMSI); then digits low nibble first. */
int dev_mi_imsi_decode(char out[16], const uint8_t *mi, size_t len)
{
	size_t n = 0;

	if (!out || !mi || len < 1 || len > 8)
		return -EBADMSG;
	if ((mi[0] & 0x07) != 0x01)
		return -EBADMSG;
	bool odd = mi[0] & 0x08;
	out[n++] = '0' + (mi[0] >> 4);
	if ((mi[0] >> 4) > 9)
		return -EBADMSG;
	for (size_t i = 1; i < len; i++) {
		uint8_t lo = mi[i] & 0x0f, hi = mi[i] >> 4;
		if (lo > 9)
			return -EBADMSG;
		out[n++] = '0' + lo;
		if (i == len - 1 && !odd) {
			if (hi != 0x0f)
				return -EBADMSG;
			break;
		}
		if (hi > 9)
			return -EBADMSG;
		out[n++] = '0' + hi;
	}
	out[n] = '\0';
	/* TS 23.003 §2.2: at most 15 digits; 6 is the shortest MCC+MNC+1 digit MSIN we accept */
	if (n < 6 || n > 15)
		return -EBADMSG;
	return 0;
}

int dev_mi_imsi_encode(uint8_t out[9], const char *imsi)
{
	size_t n = imsi ? strlen(imsi) : 0;

	if (n < 6 || n > 15)
		return -EINVAL;
	for (size_t i = 0; i < n; i++)
		if (imsi[i] < '0' || imsi[i] > '9')
			return -EINVAL;
	bool odd = n & 1;
	size_t o = 0;
	out[o++] = (uint8_t)((imsi[0] - '0') << 4 | (odd ? 0x08 : 0) | 0x01);
	for (size_t i = 1; i < n; i += 2) {
		uint8_t lo = imsi[i] - '0';
		uint8_t hi = i + 1 < n ? (uint8_t)(imsi[i + 1] - '0') : 0x0f;
		out[o++] = (uint8_t)(hi << 4 | lo);
	}
	return (int)o;
}

static int decode_tmsi_mi(uint32_t *tmsi, const uint8_t *mi, size_t len)
{
	/* TS 24.008 §10.5.1.4: type 4 = TMSI, octet 1 high nibble 1111, then 4 octets */
	if (len != 5 || (mi[0] & 0x07) != 0x04)
		return -EBADMSG;
	*tmsi = (uint32_t)mi[1] << 24 | (uint32_t)mi[2] << 16 | (uint32_t)mi[3] << 8 | mi[4];
	return 0;
}

int dev_paging_decode(struct dev_paging *out, const uint8_t *ies, size_t len)
{
	size_t i = 0;
	bool have_imsi = false;

	if (!out || (!ies && len))
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	while (i < len) {
		uint8_t iei = ies[i];
		if (i + 2 > len)
			return -EAGAIN;
		size_t l = ies[i + 1];
		if (i + 2 + l > len)
			return -EAGAIN;
		const uint8_t *v = ies + i + 2;
		switch (iei) {
		case 0x08: /* TS 48.008 §3.2.2.6 IMSI */
			if (have_imsi || dev_mi_imsi_decode(out->imsi, v, l) < 0)
				return -EBADMSG;
			have_imsi = true;
			break;
		case 0x04: /* §3.2.2.7 TMSI: 4 octets, no MI header */
			if (l != 4 || out->has_tmsi)
				return -EBADMSG;
			out->has_tmsi = true;
			out->tmsi = (uint32_t)v[0] << 24 | (uint32_t)v[1] << 16 | (uint32_t)v[2] << 8 | v[3];
			break;
		default: /* cell identifier list, channel needed, eMLPP ...: skipped */ break;
		}
		i += 2 + l;
	}
	return have_imsi ? (int)len : -EBADMSG;
}

static int decode_mm(struct dev_l3 *out, const uint8_t *buf, size_t len)
{
	switch (out->msg_type) {
	case DEV_MM_LU_REJECT:
	case DEV_MM_CM_SERVICE_REJECT:
	case DEV_MM_ABORT:
	case DEV_MM_AUTH_FAILURE:
		if (len < 3)
			return -EAGAIN;
		out->cause = buf[2];
		return 3;
	case DEV_MM_AUTH_REQUEST: /* §9.2.2: CKSN (half octet + spare), RAND 16, [20 len AUTN] */
		if (len < 19)
			return -EAGAIN;
		out->cksn = buf[2] & 0x07;
		out->rand = buf + 3;
		if (len >= 21 && buf[19] == 0x20) {
			if (buf[20] != 16)
				return -EBADMSG;
			if (len < 37)
				return -EAGAIN;
			out->autn = buf + 21;
			return 37;
		}
		return 19;
	case DEV_MM_LU_ACCEPT: /* §9.2.13: LAI 5, [17 len MI] ... */
		if (len < 7)
			return -EAGAIN;
		out->lai = buf + 2;
		if (len >= 9 && buf[7] == 0x17) {
			size_t l = buf[8];
			if (9 + l > len)
				return -EAGAIN;
			if (l >= 1 && (buf[9] & 0x07) == 0x04) {
				if (decode_tmsi_mi(&out->tmsi, buf + 9, l) < 0)
					return -EBADMSG;
				out->has_tmsi = true;
			}
			return (int)(9 + l);
		}
		return 7;
	case DEV_MM_TMSI_REALLOC_CMD: /* §9.2.17: LAI 5, MI (LV) */
		if (len < 8)
			return -EAGAIN;
		out->lai = buf + 2;
		if ((size_t)8 + buf[7] > len)
			return -EAGAIN;
		if (decode_tmsi_mi(&out->tmsi, buf + 8, buf[7]) == 0)
			out->has_tmsi = true;
		return 8 + buf[7];
	case DEV_MM_IDENTITY_REQUEST:
		if (len < 3)
			return -EAGAIN;
		out->id_type = buf[2] & 0x07;
		return 3;
	default: return (int)len;
	}
}

int dev_l3_decode(struct dev_l3 *out, const uint8_t *buf, size_t len)
{
	if (!out || (!buf && len))
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	if (len < 2)
		return -EAGAIN;
	out->pd = buf[0] & 0x0f;
	out->ti = buf[0] >> 4;
	out->msg_type = buf[1];
	switch (out->pd) {
	case DEV_PD_MM:
		out->ti = 0;
		out->msg_type = buf[1] & 0x3f; /* TS 24.007 §11.2.3.2.3: bits 7-8 carry N(SD) */
		return decode_mm(out, buf, len);
	case DEV_PD_SMS:
		switch (out->msg_type) {
		case DEV_CP_DATA: /* TS 24.011 §7.2.1: CP-User data LV */
			if (len < 3)
				return -EAGAIN;
			if ((size_t)3 + buf[2] > len)
				return -EAGAIN;
			if (buf[2] < 2)
				return -EBADMSG;
			out->rp = buf + 3;
			out->rp_len = buf[2];
			return 3 + buf[2];
		case DEV_CP_ERROR:
			if (len < 3)
				return -EAGAIN;
			out->cause = buf[2];
			return 3;
		case DEV_CP_ACK: return 2;
		default: return -EBADMSG;
		}
	default: return (int)len;
	}
}

int dev_rp_decode(struct dev_rp *out, const uint8_t *buf, size_t len)
{
	size_t i;

	if (!out || (!buf && len))
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	if (len < 2)
		return -EAGAIN;
	out->type = buf[0] & 0x07;
	out->mr = buf[1];
	i = 2;
	switch (out->type) {
	case DEV_RP_DATA_N_TO_MS: /* TS 24.011 §7.3.1.1: RP-OA (LV, 1..11), RP-DA (LV, 0), RP-UD (LV) */
		if (i + 1 > len)
			return -EAGAIN;
		if (buf[i] < 1 || buf[i] > 11)
			return -EBADMSG;
		if (i + 1 + buf[i] > len)
			return -EAGAIN;
		out->oa = buf + i + 1;
		out->oa_len = buf[i];
		i += 1 + buf[i];
		if (i + 1 > len)
			return -EAGAIN;
		if (buf[i] != 0) /* RP-DA is empty towards the MS */
			return -EBADMSG;
		i++;
		if (i + 1 > len)
			return -EAGAIN;
		if (buf[i] < 1 || buf[i] > 233) /* §8.2.5.3: TPDU at most 232+1 octets */
			return -EBADMSG;
		if (i + 1 + buf[i] > len)
			return -EAGAIN;
		out->tpdu = buf + i + 1;
		out->tpdu_len = buf[i];
		return (int)(i + 1 + buf[i]);
	case DEV_RP_ERROR_N_TO_MS: /* §7.3.4: RP-Cause (LV, 1..2), [41 RP-UD] */
		if (i + 1 > len)
			return -EAGAIN;
		if (buf[i] < 1 || buf[i] > 2)
			return -EBADMSG;
		if (i + 1 + buf[i] > len)
			return -EAGAIN;
		out->cause = buf[i + 1] & 0x7f;
		i += 1 + buf[i];
		/* fall through to the optional user data */
		/* FALLTHRU */
	case DEV_RP_ACK_N_TO_MS: /* §7.3.3: [41 RP-UD] */
		if (i < len && buf[i] == 0x41) {
			if (i + 2 > len)
				return -EAGAIN;
			if (i + 2 + buf[i + 1] > len)
				return -EAGAIN;
			out->tpdu = buf + i + 2;
			out->tpdu_len = buf[i + 1];
			i += 2 + buf[i + 1];
		}
		return (int)i;
	default: return -EBADMSG;
	}
}

/* Append bytes after checking the whole message fits (encoders check the total first). */
static void put(struct msgb *msg, const void *p, size_t n)
{
	if (n)
		memcpy(msgb_put(msg, n), p, n);
}

static void put_u8(struct msgb *msg, uint8_t v)
{
	put(msg, &v, 1);
}

static bool fits(const struct msgb *msg, size_t n)
{
	return msgb_tailroom(msg) >= 0 && (size_t)msgb_tailroom(msg) >= n;
}

int dev_cp_encode(struct msgb *msg, uint8_t ti_flag_bits, uint8_t cp_type, const uint8_t *rp, size_t rp_len,
		  uint8_t cause)
{
	if (!msg || ti_flag_bits > 0x0f || rp_len > 248 || (rp_len && !rp))
		return -EINVAL;
	if (cp_type != DEV_CP_DATA && cp_type != DEV_CP_ACK && cp_type != DEV_CP_ERROR)
		return -EINVAL;
	if (!fits(msg, 3 + rp_len))
		return -EMSGSIZE;
	put_u8(msg, (uint8_t)(ti_flag_bits << 4 | DEV_PD_SMS));
	put_u8(msg, cp_type);
	if (cp_type == DEV_CP_DATA) { /* TS 24.011 §7.2.1 */
		put_u8(msg, (uint8_t)rp_len);
		put(msg, rp, rp_len);
	} else if (cp_type == DEV_CP_ERROR) { /* §7.2.3 */
		put_u8(msg, cause);
	}
	return 0;
}

int dev_rp_data_mo_encode(struct msgb *msg, uint8_t mr, const uint8_t *sc, size_t sc_len, const uint8_t *tpdu,
			  size_t tpdu_len)
{
	if (!msg || !sc || sc_len < 2 || sc_len > 11 || !tpdu || !tpdu_len || tpdu_len > 232)
		return -EINVAL;
	if (!fits(msg, 5 + sc_len + tpdu_len))
		return -EMSGSIZE;
	put_u8(msg, DEV_RP_DATA_MS_TO_N); /* TS 24.011 §7.3.1.2 */
	put_u8(msg, mr);
	put_u8(msg, 0); /* RP-OA empty towards the network */
	put_u8(msg, (uint8_t)sc_len);
	put(msg, sc, sc_len);
	put_u8(msg, (uint8_t)tpdu_len);
	put(msg, tpdu, tpdu_len);
	return 0;
}

static void put_rp_ud(struct msgb *msg, const uint8_t *tpdu, size_t tpdu_len)
{
	if (!tpdu_len)
		return;
	put_u8(msg, 0x41); /* TS 24.011 §8.2.5.3: RP-User data IEI */
	put_u8(msg, (uint8_t)tpdu_len);
	put(msg, tpdu, tpdu_len);
}

int dev_rp_ack_encode(struct msgb *msg, uint8_t mr, const uint8_t *tpdu, size_t tpdu_len)
{
	if (!msg || tpdu_len > 232 || (tpdu_len && !tpdu))
		return -EINVAL;
	if (!fits(msg, 4 + tpdu_len))
		return -EMSGSIZE;
	put_u8(msg, DEV_RP_ACK_MS_TO_N); /* TS 24.011 §7.3.3 */
	put_u8(msg, mr);
	put_rp_ud(msg, tpdu, tpdu_len);
	return 0;
}

int dev_rp_error_encode(struct msgb *msg, uint8_t mr, uint8_t cause, const uint8_t *tpdu, size_t tpdu_len)
{
	if (!msg || tpdu_len > 232 || (tpdu_len && !tpdu) || cause > 0x7f)
		return -EINVAL;
	if (!fits(msg, 6 + tpdu_len))
		return -EMSGSIZE;
	put_u8(msg, DEV_RP_ERROR_MS_TO_N); /* TS 24.011 §7.3.4 */
	put_u8(msg, mr);
	put_u8(msg, 1);
	put_u8(msg, cause);
	put_rp_ud(msg, tpdu, tpdu_len);
	return 0;
}
