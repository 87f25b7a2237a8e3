/* SMPP 3.4 submit_sm / deliver_sm for data download, on libsmpp34.
 *
 *   header:   command_length(4) command_id(4) command_status(4) sequence_number(4)      (§3.2)
 *   body:     service_type(C<=6) src_ton src_npi source_addr(C<=21) dst_ton dst_npi
 *             destination_addr(C<=21) esm_class protocol_id priority_flag
 *             schedule_delivery_time(C<=17; deliver_sm: 1) validity_period(C<=17; deliver_sm: 1)
 *             registered_delivery replace_if_present_flag data_coding sm_default_msg_id
 *             sm_length short_message(sm_length)   then optional parameters tag(2) len(2) value
 *                                                                        (§4.4.1, §4.6.1, §5.3)
 *   C = NUL-terminated C-octet string, the size includes the NUL.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <smpp34.h>
#include <smpp34_structs.h>
#include <smpp34_params.h>

#include "lib/smpp/smpp.h"

const struct value_string smpp_dd_dcs_names[] = {
	{ SMPP_DD_DCS_F6, "f6" },
	{ SMPP_DD_DCS_02, "02" },
	{ SMPP_DD_DCS_04, "04" },
	{ 0, NULL },
};

uint8_t smpp_dd_dcs_value(enum smpp_dd_dcs v)
{
	switch (v) {
	case SMPP_DD_DCS_02: return 0x02;
	case SMPP_DD_DCS_04: return 0x04;
	default: return SMS_DCS_CLASS2_8BIT;
	}
}

bool smpp_data_coding_is_8bit(uint8_t dc)
{
	/* SMPP 3.4 §5.2.19: 02/04 octet unspecified; F0-FF GSM message class control, bit 2 = 8-bit */
	return dc == 0x02 || dc == 0x04 || (dc & 0xFC) == 0xF4;
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

int smpp_frame_len(const uint8_t *buf, size_t len)
{
	uint32_t l;

	if (!buf && len)
		return -EINVAL;
	if (len < 4)
		return -EAGAIN;
	l = be32(buf);
	if (l < SMPP_PDU_MIN || l > SMPP_PDU_MAX)
		return -EBADMSG;
	return (int)l;
}

int smpp_hdr_decode(struct smpp_hdr *out, const uint8_t *buf, size_t len)
{
	int rc = smpp_frame_len(buf, len);

	if (rc < 0)
		return rc;
	if (len < SMPP_HDR_LEN)
		return -EAGAIN;
	out->len = be32(buf);
	out->cmd_id = be32(buf + 4);
	out->status = be32(buf + 8);
	out->seq = be32(buf + 12);
	return SMPP_HDR_LEN;
}

void smpp_sm_init_data_download(struct smpp_sm *m, uint32_t cmd_id, enum smpp_dd_dcs dcs, bool registered_delivery)
{
	memset(m, 0, sizeof(*m));
	m->cmd_id = cmd_id;
	m->seq = 1;
	m->esm_class = SMPP_ESM_UDHI;
	m->protocol_id = SMS_PID_SIM_DATA_DOWNLOAD;
	m->data_coding = smpp_dd_dcs_value(dcs);
	m->registered_delivery = registered_delivery ? 0x01 : 0x00;
}

/* ---- the guard walk: what libsmpp34 will read, checked before it reads it ------------------------ */

/* How libsmpp34 1.14 reads an optional parameter (def_frame/submit_sm.tlv, deliver_sm.tlv):
 * 1 or 2 = a fixed-size value read whatever the length field says; else an octet string of at most cap. */
struct tlv_rule {
	uint16_t tag;
	uint8_t fixed;
	uint16_t cap;
};

static const struct tlv_rule submit_rules[] = {
	{ 0x0204, 2, 0 },    { 0x020A, 2, 0 },	{ 0x000D, 1, 0 },  { 0x020B, 2, 0 }, { 0x0005, 1, 0 },
	{ 0x020C, 2, 0 },    { 0x020E, 1, 0 },	{ 0x020F, 1, 0 },  { 0x0426, 1, 0 }, { 0x0019, 1, 0 },
	{ 0x0424, 0, 1024 }, { 0x0201, 1, 0 },	{ 0x0381, 0, 19 }, { 0x0302, 1, 0 }, { 0x0303, 0, 65 },
	{ 0x0202, 0, 23 },   { 0x0203, 0, 23 }, { 0x0205, 1, 0 },  { 0x1201, 1, 0 }, { 0x1203, 2, 0 },
	{ 0x1204, 1, 0 },    { 0x0030, 1, 0 },	{ 0x0304, 1, 0 },  { 0x130C, 0, 0 }, { 0x020D, 1, 0 },
	{ 0x1380, 1, 0 },    { 0x1383, 2, 0 },	{ 0x0501, 0, 1 },
};

static const struct tlv_rule deliver_rules[] = {
	{ 0x0204, 2, 0 },  { 0x020A, 2, 0 },  { 0x020B, 2, 0 },	 { 0x020C, 2, 0 }, { 0x020E, 1, 0 },
	{ 0x020F, 1, 0 },  { 0x0205, 1, 0 },  { 0x0201, 1, 0 },	 { 0x0019, 1, 0 }, { 0x0424, 0, 1024 },
	{ 0x0381, 0, 19 }, { 0x0202, 0, 23 }, { 0x0203, 0, 23 }, { 0x020D, 1, 0 }, { 0x1383, 2, 0 },
	{ 0x0423, 0, 3 },  { 0x0427, 1, 0 },  { 0x001E, 0, 65 }, { 0x0421, 1, 0 }, { 0x000E, 1, 0 },
};

#define TLV_DEFAULT_CAP 1024 /* MAX_TLV_SIZE: tags not in the tables are kept as octets */

struct walk {
	size_t sm_off, sm_len;
	size_t payload_off, payload_len;
	bool has_payload, has_umr;
	uint16_t umr;
};

/* A C-octet string at *pos, NUL-terminated within max octets (the NUL included). */
static int walk_cstr(const uint8_t *b, size_t len, size_t *pos, size_t max)
{
	for (size_t i = 0; i < max && *pos + i < len; i++) {
		if (b[*pos + i] == 0) {
			*pos += i + 1;
			return 0;
		}
	}
	return -EBADMSG;
}

static int walk_sm(struct walk *w, const uint8_t *b, size_t len, bool deliver)
{
	const struct tlv_rule *rules = deliver ? deliver_rules : submit_rules;
	size_t n_rules = deliver ? ARRAY_SIZE(deliver_rules) : ARRAY_SIZE(submit_rules);
	size_t pos = SMPP_HDR_LEN, time_max = deliver ? 1 : 17;

	memset(w, 0, sizeof(*w));
	if (walk_cstr(b, len, &pos, 6) < 0)
		return -EBADMSG;
	pos += 2;
	if (walk_cstr(b, len, &pos, 21) < 0)
		return -EBADMSG;
	pos += 2;
	if (walk_cstr(b, len, &pos, 21) < 0)
		return -EBADMSG;
	pos += 3;
	if (walk_cstr(b, len, &pos, time_max) < 0 || walk_cstr(b, len, &pos, time_max) < 0)
		return -EBADMSG;
	pos += 4;
	if (pos + 1 > len)
		return -EBADMSG;
	w->sm_len = b[pos++];
	w->sm_off = pos;
	if (w->sm_len > 254 || pos + w->sm_len > len) /* OCTET8 short_message[254] */
		return -EBADMSG;
	pos += w->sm_len;
	while (pos < len) {
		uint16_t tag, l;
		const struct tlv_rule *r = NULL;

		if (pos + 4 > len)
			return -EBADMSG;
		tag = (uint16_t)(b[pos] << 8 | b[pos + 1]);
		l = (uint16_t)(b[pos + 2] << 8 | b[pos + 3]);
		pos += 4;
		if (l > len - pos)
			return -EBADMSG;
		for (size_t i = 0; i < n_rules; i++)
			if (rules[i].tag == tag)
				r = &rules[i];
		if ((r && r->fixed) ? l != r->fixed : l > (r ? r->cap : TLV_DEFAULT_CAP))
			return -EBADMSG;
		if (tag == 0x0424) { /* message_payload, SMPP 3.4 §5.3.2.32 */
			if (w->has_payload)
				return -EBADMSG;
			w->has_payload = true;
			w->payload_off = pos;
			w->payload_len = l;
		} else if (tag == 0x0204 && l == 2) { /* user_message_reference, §5.3.2.17 */
			w->has_umr = true;
			w->umr = (uint16_t)(b[pos] << 8 | b[pos + 1]);
		}
		pos += l;
	}
	/* §5.3.2.32: message_payload only with sm_length 0 */
	if (w->has_payload && w->sm_len)
		return -EBADMSG;
	return 0;
}

static void copy_cstr(char *dst, size_t dst_size, const uint8_t *src, size_t src_size)
{
	size_t n = strnlen((const char *)src, src_size);

	if (n >= dst_size)
		n = dst_size - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
}

int smpp_sm_decode(struct smpp_sm *out, const uint8_t *buf, size_t len)
{
	uint8_t tmp[SMPP_SM_DECODE_MAX + 1];
	union {
		submit_sm_t submit;
		deliver_sm_t deliver;
	} u;
	struct smpp_hdr h;
	struct walk w;
	bool deliver;
	int rc;

	if (!out || (!buf && len))
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	rc = smpp_hdr_decode(&h, buf, len);
	if (rc < 0)
		return rc;
	if (len < h.len)
		return -EAGAIN;
	if (h.cmd_id != SMPP_CMD_SUBMIT_SM && h.cmd_id != SMPP_CMD_DELIVER_SM)
		return -ENOTSUP;
	if (h.len > SMPP_SM_DECODE_MAX)
		return -EMSGSIZE;
	deliver = h.cmd_id == SMPP_CMD_DELIVER_SM;
	rc = walk_sm(&w, buf, h.len, deliver);
	if (rc < 0)
		return rc;

	/* libsmpp34 strlen()s C-octet strings: give it a NUL-terminated copy of exactly one PDU */
	memcpy(tmp, buf, h.len);
	tmp[h.len] = 0;
	memset(&u, 0, sizeof(u));
	rc = smpp34_unpack(h.cmd_id, &u, tmp, (int)h.len);
	/* the TLV list is libsmpp34's only allocation: copy what we need, free it on every path */
	destroy_tlv(deliver ? u.deliver.tlv : u.submit.tlv);
	if (rc != 0)
		return -EBADMSG; /* refused: unknown command_status, sequence_number 0, TON/NPI out of range */

#define MAP(s)                                                                                                       \
	do {                                                                                                         \
		out->status = (s).command_status;                                                                    \
		out->seq = (s).sequence_number;                                                                      \
		copy_cstr(out->service_type, sizeof(out->service_type), (s).service_type, sizeof((s).service_type)); \
		out->src.ton = (s).source_addr_ton;                                                                  \
		out->src.npi = (s).source_addr_npi;                                                                  \
		copy_cstr(out->src.addr, sizeof(out->src.addr), (s).source_addr, sizeof((s).source_addr));           \
		out->dst.ton = (s).dest_addr_ton;                                                                    \
		out->dst.npi = (s).dest_addr_npi;                                                                    \
		copy_cstr(out->dst.addr, sizeof(out->dst.addr), (s).destination_addr, sizeof((s).destination_addr)); \
		out->esm_class = (s).esm_class;                                                                      \
		out->protocol_id = (s).protocol_id;                                                                  \
		out->priority_flag = (s).priority_flag;                                                              \
		copy_cstr(out->schedule_delivery_time, sizeof(out->schedule_delivery_time),                          \
			  (s).schedule_delivery_time, sizeof((s).schedule_delivery_time));                           \
		copy_cstr(out->validity_period, sizeof(out->validity_period), (s).validity_period,                   \
			  sizeof((s).validity_period));                                                              \
		out->registered_delivery = (s).registered_delivery;                                                  \
		out->replace_if_present = (s).replace_if_present_flag;                                               \
		out->data_coding = (s).data_coding;                                                                  \
		out->sm_default_msg_id = (s).sm_default_msg_id;                                                      \
		if ((s).sm_length != w.sm_len || memcmp((s).short_message, buf + w.sm_off, w.sm_len) != 0)           \
			return -EPROTO; /* our walk and libsmpp34 disagree: a bug, not input */                      \
	} while (0)

	if (deliver)
		MAP(u.deliver);
	else
		MAP(u.submit);
#undef MAP
	out->cmd_id = h.cmd_id;
	out->sm = w.has_payload ? buf + w.payload_off : buf + w.sm_off;
	out->sm_len = w.has_payload ? w.payload_len : w.sm_len;
	out->sm_in_payload = w.has_payload;
	out->has_user_message_reference = w.has_umr;
	out->user_message_reference = w.umr;
	out->packet = out->sm;
	out->packet_len = out->sm_len;
	if (out->esm_class & SMPP_ESM_UDHI) {
		rc = sms_udh_decode(&out->udh, out->sm, out->sm_len);
		if (rc < 0)
			return -EBADMSG;
		out->packet = out->sm + rc;
		out->packet_len = out->sm_len - (size_t)rc;
	}
	return (int)h.len;
}

static bool cstr_fits(const char *s, size_t size)
{
	return strnlen(s, size) < size;
}

int smpp_sm_encode(const struct smpp_sm *m, uint8_t *out, size_t out_len)
{
	uint8_t tmp[SMPP_SM_DECODE_MAX];
	union {
		submit_sm_t submit;
		deliver_sm_t deliver;
	} u;
	bool deliver;
	int n = 0, rc;

	if (!m || !out || (m->cmd_id != SMPP_CMD_SUBMIT_SM && m->cmd_id != SMPP_CMD_DELIVER_SM))
		return -EINVAL;
	deliver = m->cmd_id == SMPP_CMD_DELIVER_SM;
	/* libsmpp34 would silently truncate an overlong string and refuses 254 octets of short_message */
	if ((!m->sm && m->sm_len) || m->sm_len > 253 || m->sm_in_payload || !cstr_fits(m->service_type, 6) ||
	    !cstr_fits(m->src.addr, 21) || !cstr_fits(m->dst.addr, 21) ||
	    !cstr_fits(m->schedule_delivery_time, deliver ? 1 : 17) ||
	    !cstr_fits(m->validity_period, deliver ? 1 : 17) || m->seq == 0 || m->seq > 0x7FFFFFFF)
		return -EINVAL;
	memset(&u, 0, sizeof(u));

#define FILL(s, cmd)                                                                                                  \
	do {                                                                                                          \
		(s).command_id = (cmd);                                                                               \
		(s).command_status = m->status;                                                                       \
		(s).sequence_number = m->seq;                                                                         \
		memcpy((s).service_type, m->service_type, strlen(m->service_type) + 1);                               \
		(s).source_addr_ton = m->src.ton;                                                                     \
		(s).source_addr_npi = m->src.npi;                                                                     \
		memcpy((s).source_addr, m->src.addr, strlen(m->src.addr) + 1);                                        \
		(s).dest_addr_ton = m->dst.ton;                                                                       \
		(s).dest_addr_npi = m->dst.npi;                                                                       \
		memcpy((s).destination_addr, m->dst.addr, strlen(m->dst.addr) + 1);                                   \
		(s).esm_class = m->esm_class;                                                                         \
		(s).protocol_id = m->protocol_id;                                                                     \
		(s).priority_flag = m->priority_flag;                                                                 \
		memcpy((s).schedule_delivery_time, m->schedule_delivery_time, strlen(m->schedule_delivery_time) + 1); \
		memcpy((s).validity_period, m->validity_period, strlen(m->validity_period) + 1);                      \
		(s).registered_delivery = m->registered_delivery;                                                     \
		(s).replace_if_present_flag = m->replace_if_present;                                                  \
		(s).data_coding = m->data_coding;                                                                     \
		(s).sm_default_msg_id = m->sm_default_msg_id;                                                         \
		(s).sm_length = (uint8_t)m->sm_len;                                                                   \
		if (m->sm_len)                                                                                        \
			memcpy((s).short_message, m->sm, m->sm_len);                                                  \
	} while (0)

	if (deliver)
		FILL(u.deliver, DELIVER_SM);
	else
		FILL(u.submit, SUBMIT_SM);
#undef FILL
	/* libsmpp34 wants one spare octet beyond the PDU ("lenval >= left") */
	rc = smpp34_pack(m->cmd_id, tmp, (int)sizeof(tmp), &n, &u);
	if (rc != 0 || n < SMPP_HDR_LEN)
		return -EINVAL; /* refused: TON/NPI or command_status unknown to libsmpp34 */
	if (out_len < (size_t)n)
		return -EMSGSIZE;
	memcpy(out, tmp, (size_t)n);
	return n;
}
