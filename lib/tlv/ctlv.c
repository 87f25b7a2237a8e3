/* COMPREHENSION-TLV walker and writer (see ctlv.h). */
#include <errno.h>
#include <string.h>

#include "lib/tlv/bertlv.h"
#include "lib/tlv/ctlv.h"

int ctlv_decode(struct ctlv *out, const uint8_t *buf, size_t len)
{
	struct ctlv t = { 0 };
	size_t pos, n;

	if (len < 1)
		return -EAGAIN;
	/* TS 101 220 §7.1.1.1: 00, 80 and FF are reserved as first tag byte. */
	if (buf[0] == 0x00 || buf[0] == 0x80 || buf[0] == 0xFF)
		return -EBADMSG;
	if (buf[0] == 0x7F) {
		if (len < 3)
			return -EAGAIN;
		t.three_byte = true;
		t.cr = buf[1] & 0x80;
		t.tag = (uint16_t)((buf[1] & 0x7F) << 8 | buf[2]);
		pos = 3;
	} else {
		t.cr = buf[0] & 0x80;
		t.tag = buf[0] & 0x7F;
		pos = 1;
	}

	if (pos >= len)
		return -EAGAIN;
	if (buf[pos] < 0x80) {
		t.len = buf[pos++];
	} else {
		n = buf[pos] & 0x7F;
		if (n == 0 || n > 3)
			return n == 0 ? -EBADMSG : -EOVERFLOW;
		if (len - pos < 1 + n)
			return -EAGAIN;
		t.len = 0;
		for (size_t i = 1; i <= n; i++)
			t.len = t.len << 8 | buf[pos + i];
		t.nonminimal_len = bertlv_len_size(t.len) < 1 + n;
		pos += 1 + n;
	}
	if (t.len > len - pos)
		return -EAGAIN;
	t.value = buf + pos;
	t.total = pos + t.len;
	*out = t;
	return (int)t.total;
}

void ctlv_iter_init(struct ctlv_iter *it, const uint8_t *buf, size_t len)
{
	it->buf = buf;
	it->len = len;
	it->pos = 0;
}

int ctlv_iter_next(struct ctlv_iter *it, struct ctlv *out)
{
	int rc;

	if (it->pos >= it->len)
		return 0;
	rc = ctlv_decode(out, it->buf + it->pos, it->len - it->pos);
	if (rc < 0) {
		it->pos = it->len;
		return rc;
	}
	it->pos += (size_t)rc;
	return 1;
}

int ctlv_find(const uint8_t *buf, size_t len, uint16_t tag, struct ctlv *out)
{
	struct ctlv_iter it;
	struct ctlv t;
	int rc;

	ctlv_iter_init(&it, buf, len);
	while ((rc = ctlv_iter_next(&it, &t)) > 0) {
		if (t.tag == tag) {
			*out = t;
			return 0;
		}
	}
	return rc < 0 ? rc : -ENOENT;
}

int ctlv_encode(uint8_t *out, size_t out_len, uint16_t tag, bool cr, const void *value, size_t len)
{
	size_t tag_n = tag <= 0x7E ? 1 : 3;
	size_t len_n = bertlv_len_size(len);
	size_t pos = 0;

	if (tag == 0 || tag == 0x7F || tag > 0x7FFF || len > BERTLV_MAX_LEN)
		return -EINVAL;
	if (out_len < tag_n + len_n + len)
		return -EMSGSIZE;
	if (tag_n == 1) {
		out[pos++] = (uint8_t)((cr ? 0x80 : 0) | tag);
	} else {
		out[pos++] = 0x7F;
		out[pos++] = (uint8_t)((cr ? 0x80 : 0) | tag >> 8);
		out[pos++] = (uint8_t)tag;
	}
	if (len_n == 1) {
		out[pos++] = (uint8_t)len;
	} else {
		out[pos++] = (uint8_t)(0x80 | (len_n - 1));
		for (size_t i = 1; i < len_n; i++)
			out[pos++] = (uint8_t)(len >> (8 * (len_n - 1 - i)));
	}
	if (len)
		memcpy(out + pos, value, len);
	return (int)(pos + len);
}
