/* BER-TLV walker and writer (see bertlv.h).
 *
 *   tag:    b8b7 class, b6 constructed, b5..b1 number; number 11111 = more tag bytes follow,
 *           each with b8 = 1 except the last (ISO/IEC 7816-4 §5.2.2.1, X.690 §8.1.2.4).
 *   length: 00-7F short form; 81 xx, 82 xxxx, 83 xxxxxx long forms; 80 indefinite, then the
 *           content is a series of TLVs ended by 00 00 (X.690 §8.1.3.6).
 */
#include <errno.h>
#include <string.h>

#include "lib/tlv/bertlv.h"

static int decode_tag(struct bertlv *out, const uint8_t *buf, size_t len)
{
	size_t n = 1;

	if (len < 1)
		return -EAGAIN;
	out->tag = buf[0];
	out->constructed = buf[0] & 0x20;
	if ((buf[0] & 0x1F) == 0x1F) {
		do {
			if (n >= 4)
				return -EOVERFLOW;
			if (n >= len)
				return -EAGAIN;
			out->tag = out->tag << 8 | buf[n];
		} while (buf[n++] & 0x80);
	}
	out->tag_len = (uint8_t)n;
	return (int)n;
}

/* Returns the number of length bytes, with *vlen set; *indefinite for the 80 form. */
static int decode_len(const uint8_t *buf, size_t len, size_t *vlen, bool *indefinite, bool *nonminimal)
{
	size_t n;

	*indefinite = false;
	*nonminimal = false;
	if (len < 1)
		return -EAGAIN;
	if (buf[0] < 0x80) {
		*vlen = buf[0];
		return 1;
	}
	if (buf[0] == 0x80) {
		*indefinite = true;
		*vlen = 0;
		return 1;
	}
	n = buf[0] & 0x7F;
	if (n > 3)
		return -EOVERFLOW;
	if (len < 1 + n)
		return -EAGAIN;
	*vlen = 0;
	for (size_t i = 1; i <= n; i++)
		*vlen = *vlen << 8 | buf[i];
	*nonminimal = bertlv_len_size(*vlen) < 1 + n;
	return (int)(1 + n);
}

static int decode_at_depth(struct bertlv *out, const uint8_t *buf, size_t len, unsigned int depth)
{
	size_t hdr;
	int rc;

	memset(out, 0, sizeof(*out));
	rc = decode_tag(out, buf, len);
	if (rc < 0)
		return rc;
	hdr = (size_t)rc;
	rc = decode_len(buf + hdr, len - hdr, &out->len, &out->indefinite, &out->nonminimal_len);
	if (rc < 0)
		return rc;
	hdr += (size_t)rc;
	out->value = buf + hdr;

	if (!out->indefinite) {
		if (out->len > len - hdr)
			return -EAGAIN;
		out->total = hdr + out->len;
		return (int)out->total;
	}

	/* Indefinite: only constructed encodings may use it; the end is found by walking the content. */
	if (!out->constructed)
		return -EBADMSG;
	if (depth >= BERTLV_MAX_DEPTH)
		return -EBADMSG;
	for (size_t pos = hdr;;) {
		struct bertlv child;

		if (len - pos >= 2 && buf[pos] == 0x00 && buf[pos + 1] == 0x00) {
			out->len = pos - hdr;
			out->total = pos + 2;
			return (int)out->total;
		}
		if (len - pos < 2)
			return -EAGAIN;
		rc = decode_at_depth(&child, buf + pos, len - pos, depth + 1);
		if (rc < 0)
			return rc;
		pos += (size_t)rc;
	}
}

int bertlv_decode(struct bertlv *out, const uint8_t *buf, size_t len)
{
	struct bertlv tmp;
	int rc = decode_at_depth(&tmp, buf, len, 0);

	/* A length the int return cannot carry cannot occur (83 form caps at 16 MiB + header). */
	if (rc >= 0)
		*out = tmp;
	return rc;
}

void bertlv_iter_init(struct bertlv_iter *it, const uint8_t *buf, size_t len)
{
	it->buf = buf;
	it->len = len;
	it->pos = 0;
}

int bertlv_iter_next(struct bertlv_iter *it, struct bertlv *out)
{
	int rc;

	if (it->pos >= it->len)
		return 0;
	rc = bertlv_decode(out, it->buf + it->pos, it->len - it->pos);
	if (rc < 0) {
		it->pos = it->len; /* stop: the rest cannot be framed */
		return rc;
	}
	it->pos += (size_t)rc;
	return 1;
}

int bertlv_find(const uint8_t *buf, size_t len, uint32_t tag, struct bertlv *out)
{
	struct bertlv_iter it;
	struct bertlv t;
	int rc;

	bertlv_iter_init(&it, buf, len);
	while ((rc = bertlv_iter_next(&it, &t)) > 0) {
		if (t.tag == tag) {
			*out = t;
			return 0;
		}
	}
	return rc < 0 ? rc : -ENOENT;
}

size_t bertlv_tag_size(uint32_t tag)
{
	if (tag > 0xFFFFFF)
		return 4;
	if (tag > 0xFFFF)
		return 3;
	if (tag > 0xFF)
		return 2;
	return 1;
}

size_t bertlv_len_size(size_t len)
{
	if (len < 0x80)
		return 1;
	if (len <= 0xFF)
		return 2;
	if (len <= 0xFFFF)
		return 3;
	return 4;
}

void bertlv_writer_init(struct bertlv_writer *w, uint8_t *buf, size_t cap)
{
	w->buf = buf;
	w->cap = cap;
	w->pos = 0;
	w->err = 0;
}

static bool reserve(struct bertlv_writer *w, size_t n)
{
	if (w->err)
		return false;
	if (n > w->cap - w->pos) {
		w->err = -EMSGSIZE;
		return false;
	}
	return true;
}

void bertlv_put_raw(struct bertlv_writer *w, const void *data, size_t len)
{
	if (!reserve(w, len))
		return;
	if (len)
		memcpy(w->buf + w->pos, data, len);
	w->pos += len;
}

static void put_tag(struct bertlv_writer *w, uint32_t tag)
{
	size_t n = bertlv_tag_size(tag);

	if (!reserve(w, n))
		return;
	for (size_t i = 0; i < n; i++)
		w->buf[w->pos++] = (uint8_t)(tag >> (8 * (n - 1 - i)));
}

static void put_len(struct bertlv_writer *w, size_t len)
{
	size_t n = bertlv_len_size(len);

	if (len > BERTLV_MAX_LEN) {
		if (!w->err)
			w->err = -EINVAL;
		return;
	}
	if (!reserve(w, n))
		return;
	if (n == 1) {
		w->buf[w->pos++] = (uint8_t)len;
		return;
	}
	w->buf[w->pos++] = (uint8_t)(0x80 | (n - 1));
	for (size_t i = 1; i < n; i++)
		w->buf[w->pos++] = (uint8_t)(len >> (8 * (n - 1 - i)));
}

void bertlv_put(struct bertlv_writer *w, uint32_t tag, const void *value, size_t len)
{
	put_tag(w, tag);
	put_len(w, len);
	bertlv_put_raw(w, value, len);
}

void bertlv_put_u8(struct bertlv_writer *w, uint32_t tag, uint8_t v)
{
	bertlv_put(w, tag, &v, 1);
}

/* The mark is the position of the tag. One length byte is reserved (the short form); close moves
 * the content up when it needs a long form, so a buffer of exactly the final size is enough. */
size_t bertlv_open(struct bertlv_writer *w, uint32_t tag)
{
	size_t mark = w->pos;

	put_tag(w, tag);
	if (reserve(w, 1))
		w->buf[w->pos++] = 0x00;
	return mark;
}

void bertlv_close(struct bertlv_writer *w, size_t mark)
{
	size_t tag_n, content_start, content_len, len_n;

	if (w->err)
		return;
	if (mark + 1 > w->pos) {
		w->err = -EINVAL;
		return;
	}
	/* Re-read the tag we wrote to know where the reserved length byte is. */
	tag_n = 1;
	if ((w->buf[mark] & 0x1F) == 0x1F)
		while (mark + tag_n < w->pos && (w->buf[mark + tag_n++] & 0x80))
			;
	content_start = mark + tag_n + 1;
	if (content_start > w->pos) {
		w->err = -EINVAL;
		return;
	}
	content_len = w->pos - content_start;
	if (content_len > BERTLV_MAX_LEN) {
		w->err = -EINVAL;
		return;
	}
	len_n = bertlv_len_size(content_len);
	if (len_n > 1) {
		if (!reserve(w, len_n - 1))
			return;
		memmove(w->buf + content_start + len_n - 1, w->buf + content_start, content_len);
	}
	w->pos = mark + tag_n;
	put_len(w, content_len);
	w->pos += content_len;
}

void bertlv_open_indefinite(struct bertlv_writer *w, uint32_t tag)
{
	/* X.690 §8.1.3.2: only constructed encodings may use the indefinite form. */
	if (!w->err && !((tag >> (8 * (bertlv_tag_size(tag) - 1))) & 0x20)) {
		w->err = -EINVAL;
		return;
	}
	put_tag(w, tag);
	bertlv_put_raw(w, "\x80", 1);
}

void bertlv_close_indefinite(struct bertlv_writer *w)
{
	bertlv_put_raw(w, "\x00\x00", 2);
}

int bertlv_writer_finish(const struct bertlv_writer *w)
{
	return w->err ? w->err : (int)w->pos;
}
