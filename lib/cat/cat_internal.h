/* Private helpers of lib/cat: writing COMPREHENSION-TLVs through a BER-TLV writer, and taking decoded
 * objects into struct fields. Not part of the public API. */
#pragma once

#include <errno.h>

#include "lib/cat/cat.h"
#include "lib/tlv/ctlv.h"

/* Append one COMPREHENSION-TLV (tag value <= 7E). A writer whose buf is NULL only counts (cat_wrap's
 * first pass); errors are the writer's sticky ones. */
void cat_put(struct bertlv_writer *w, uint8_t tag, bool cr, const void *v, size_t len);
static inline void cat_put_u8(struct bertlv_writer *w, uint8_t tag, bool cr, uint8_t v)
{
	cat_put(w, tag, cr, &v, 1);
}
/* Written only when present (data != NULL). */
static inline void cat_put_bytes(struct bertlv_writer *w, uint8_t tag, bool cr, const struct cat_bytes *b)
{
	if (b->data)
		cat_put(w, tag, cr, b->data, b->len);
}
void cat_put_u16(struct bertlv_writer *w, uint8_t tag, bool cr, uint16_t v);

/* Encode `tag L { objects written by put(w, arg) }` into out: a counting pass sizes the content, so the
 * result fits a buffer of exactly its size. Returns the bytes written or a negative errno. */
int cat_wrap(uint8_t *out, size_t cap, uint8_t tag, void (*put)(struct bertlv_writer *w, const void *arg),
	     const void *arg);

/* Store a decoded object's value; a second one of the same kind is malformed. 0 or -EBADMSG. */
static inline int cat_take(struct cat_bytes *dst, const struct ctlv *t)
{
	if (dst->data)
		return -EBADMSG;
	dst->data = t->value;
	dst->len = t->len;
	return 0;
}

/* Offer one decoded object to the channel parameters: 1 taken, 0 not a channel parameter, or -EBADMSG. */
int cat_channel_params_take(struct cat_channel_params *p, const struct ctlv *t, bool *seen_any);

/* A walk error inside a complete outer TLV is malformation, not truncation. */
static inline int cat_inner_err(int rc)
{
	return rc == -EAGAIN ? -EBADMSG : rc;
}
