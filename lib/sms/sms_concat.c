/* Concatenated SMS for secured packets (TS 31.115 SMS dialect, TS 23.040 §9.2.3.24.1 / .8).
 *
 *   segment 1:    UDHL | 00 03 ref total 1   | 70 00 | part 1        (16-bit: 08 04 refH refL total seq)
 *   segment n>1:  UDHL | 00 03 ref total n           | part n
 */
#include <errno.h>
#include <string.h>

#include "lib/sms/sms_concat.h"

const struct value_string sms_concat_order_names[] = {
	{ SMS_CONCAT_ORDER_ANY, "any" },
	{ SMS_CONCAT_ORDER_STRICT, "strict" },
	{ 0, NULL },
};

const struct value_string sms_concat_err_names[] = {
	{ SMS_CONCAT_OK, "ok" },
	{ SMS_CONCAT_ERR_MALFORMED, "malformed UDH" },
	{ SMS_CONCAT_ERR_NO_PACKET_ID, "no packet identifier in the first segment" },
	{ SMS_CONCAT_ERR_BAD_IE, "bad concatenation IE" },
	{ SMS_CONCAT_ERR_TOO_MANY, "too many segments" },
	{ SMS_CONCAT_ERR_TOO_BIG, "packet too big" },
	{ SMS_CONCAT_ERR_REF_MISMATCH, "reference mismatch" },
	{ SMS_CONCAT_ERR_INCONSISTENT_TOTAL, "inconsistent total" },
	{ SMS_CONCAT_ERR_DUPLICATE, "duplicate segment" },
	{ SMS_CONCAT_ERR_OUT_OF_ORDER, "out-of-order segment" },
	{ SMS_CONCAT_ERR_MISSING, "missing segment" },
	{ 0, NULL },
};

int sms_concat_split(const uint8_t *packet, size_t len, uint8_t packet_iei, enum sms_concat_ref ref_kind, uint16_t ref,
		     struct sms_concat_seg *segs, unsigned int max_segs)
{
	const size_t cie_len = ref_kind == SMS_CONCAT_REF16 ? 6 : 5; /* IEI, IEDL, ref(1/2), total, seq */
	const size_t first_room = SMS_UD_MAX - (1 + cie_len + 2), next_room = SMS_UD_MAX - (1 + cie_len);
	const uint8_t pid_ie[2] = { packet_iei, 0x00 };
	size_t n, pos = 0;

	if ((!packet && len) || !segs || (ref_kind != SMS_CONCAT_REF8 && ref_kind != SMS_CONCAT_REF16) ||
	    (ref_kind == SMS_CONCAT_REF8 && ref > 0xFF))
		return -EINVAL;
	if (len <= SMS_UD_MAX - 3) {
		if (max_segs < 1)
			return -EMSGSIZE;
		segs[0].ud[0] = 0x02; /* UDHL */
		memcpy(segs[0].ud + 1, pid_ie, 2);
		if (len)
			memcpy(segs[0].ud + 3, packet, len);
		segs[0].len = 3 + len;
		return 1;
	}
	n = 1 + (len - first_room + next_room - 1) / next_room;
	if (n > 255 || n > max_segs)
		return -EMSGSIZE;
	for (size_t i = 0; i < n; i++) {
		uint8_t *u = segs[i].ud;
		size_t room = i == 0 ? first_room : next_room, take = len - pos < room ? len - pos : room, p = 0;

		u[p++] = (uint8_t)(cie_len + (i == 0 ? 2 : 0)); /* UDHL */
		if (ref_kind == SMS_CONCAT_REF16) {
			u[p++] = SMS_IEI_CONCAT_16;
			u[p++] = 4;
			u[p++] = (uint8_t)(ref >> 8);
		} else {
			u[p++] = SMS_IEI_CONCAT_8;
			u[p++] = 3;
		}
		u[p++] = (uint8_t)ref;
		u[p++] = (uint8_t)n;
		u[p++] = (uint8_t)(i + 1);
		if (i == 0) {
			u[p++] = pid_ie[0];
			u[p++] = pid_ie[1];
		}
		memcpy(u + p, packet + pos, take);
		pos += take;
		segs[i].len = p + take;
	}
	return (int)n;
}

void sms_concat_init(struct sms_concat *c, uint8_t packet_iei, enum sms_concat_order order, unsigned int max_segs,
		     size_t max_total)
{
	memset(c, 0, sizeof(*c));
	c->packet_iei = packet_iei;
	c->order = order;
	c->max_segs = (max_segs == 0 || max_segs > SMS_CONCAT_MAX_SEGS) ? SMS_CONCAT_MAX_SEGS : max_segs;
	c->max_total = max_total ? max_total : c->max_segs * SMS_UD_MAX;
}

void sms_concat_reset(struct sms_concat *c)
{
	sms_concat_init(c, c->packet_iei, c->order, c->max_segs, c->max_total);
}

static int fail(struct sms_concat *c, enum sms_concat_err err, int rc)
{
	c->err = err;
	return rc;
}

static void store(struct sms_concat *c, unsigned int seq, const uint8_t *ud, size_t ud_len, size_t off)
{
	memcpy(c->seg[seq - 1], ud, ud_len);
	c->seg_len[seq - 1] = ud_len;
	c->seg_off[seq - 1] = off;
	c->have |= 1u << (seq - 1);
	c->count++;
	c->total_bytes += ud_len - off;
}

int sms_concat_add(struct sms_concat *c, const uint8_t *ud, size_t ud_len)
{
	const struct sms_ie *c8, *c16, *cie;
	struct sms_udh udh;
	bool ref16, has_pid;
	unsigned int total, seq;
	uint16_t ref;
	int off;

	if (!c || (!ud && ud_len))
		return -EINVAL;
	c->err = SMS_CONCAT_OK;
	if (ud_len > SMS_UD_MAX)
		return fail(c, SMS_CONCAT_ERR_MALFORMED, -EBADMSG);
	off = sms_udh_decode(&udh, ud, ud_len);
	if (off < 0)
		return fail(c, SMS_CONCAT_ERR_MALFORMED, -EBADMSG);
	has_pid = sms_udh_find(&udh, c->packet_iei) != NULL;
	c8 = sms_udh_find(&udh, SMS_IEI_CONCAT_8);
	c16 = sms_udh_find(&udh, SMS_IEI_CONCAT_16);

	if (!c8 && !c16) {
		/* a single SMS carrying the whole packet */
		if (c->active)
			return fail(c, SMS_CONCAT_ERR_REF_MISMATCH, -EXDEV);
		if (!has_pid)
			return fail(c, SMS_CONCAT_ERR_NO_PACKET_ID, -EBADMSG);
		if (ud_len - (size_t)off > c->max_total)
			return fail(c, SMS_CONCAT_ERR_TOO_BIG, -E2BIG);
		c->active = true;
		c->total = 1;
		store(c, 1, ud, ud_len, (size_t)off);
		return 1;
	}
	if (c8 && c16)
		return fail(c, SMS_CONCAT_ERR_BAD_IE, -EBADMSG);
	cie = c8 ? c8 : c16;
	ref16 = cie == c16;
	if (cie->len != (ref16 ? 4 : 3))
		return fail(c, SMS_CONCAT_ERR_BAD_IE, -EBADMSG);
	ref = ref16 ? (uint16_t)(cie->value[0] << 8 | cie->value[1]) : cie->value[0];
	total = cie->value[ref16 ? 2 : 1];
	seq = cie->value[ref16 ? 3 : 2];
	/* TS 23.040 §9.2.3.24.1: total 0, seq 0 or seq > total make the IE unusable */
	if (total == 0 || seq == 0 || seq > total)
		return fail(c, SMS_CONCAT_ERR_BAD_IE, -EBADMSG);
	if (total > c->max_segs)
		return fail(c, SMS_CONCAT_ERR_TOO_MANY, -E2BIG);
	if (c->active) {
		if (c->ref16 != ref16 || c->ref != ref)
			return fail(c, SMS_CONCAT_ERR_REF_MISMATCH, -EXDEV);
		if (c->total != total)
			return fail(c, SMS_CONCAT_ERR_INCONSISTENT_TOTAL, -EBADMSG);
	}
	if (c->have & (1u << (seq - 1)))
		return fail(c, SMS_CONCAT_ERR_DUPLICATE, -EEXIST);
	if (c->order == SMS_CONCAT_ORDER_STRICT && seq != c->count + 1u)
		return fail(c, SMS_CONCAT_ERR_OUT_OF_ORDER, -EILSEQ);
	if (seq == 1 && !has_pid)
		return fail(c, SMS_CONCAT_ERR_NO_PACKET_ID, -EBADMSG);
	if (c->total_bytes + (ud_len - (size_t)off) > c->max_total)
		return fail(c, SMS_CONCAT_ERR_TOO_BIG, -E2BIG);
	if (seq > 1 && has_pid)
		c->late_packet_id = true;
	if (!c->active) {
		c->active = true;
		c->ref16 = ref16;
		c->ref = ref;
		c->total = (uint8_t)total;
	}
	store(c, seq, ud, ud_len, (size_t)off);
	return c->count == c->total ? 1 : 0;
}

uint32_t sms_concat_missing(const struct sms_concat *c)
{
	uint32_t all;

	if (!c->active)
		return 0;
	all = c->total >= 32 ? 0xFFFFFFFFu : ((1u << c->total) - 1);
	return all & ~c->have;
}

int sms_concat_assemble(struct sms_concat *c, uint8_t *out, size_t out_len)
{
	size_t pos = 0;

	if (!c || !out)
		return -EINVAL;
	if (!c->active || c->count != c->total)
		return fail(c, SMS_CONCAT_ERR_MISSING, -ENODATA);
	if (out_len < c->total_bytes)
		return -EMSGSIZE;
	for (unsigned int i = 0; i < c->total; i++) {
		size_t n = c->seg_len[i] - c->seg_off[i];

		memcpy(out + pos, c->seg[i] + c->seg_off[i], n);
		pos += n;
	}
	return (int)pos;
}

const uint8_t *sms_concat_first_udh(const struct sms_concat *c, size_t *len)
{
	if (!c || !c->active || !(c->have & 1u))
		return NULL;
	*len = c->seg_off[0];
	return c->seg[0];
}
