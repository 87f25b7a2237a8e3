/* BER-TLV (ISO/IEC 7816-4 §5.2, ITU-T X.690 §8.1) walker and writer, as used by GlobalPlatform,
 * ETSI TS 102 226 remote command scripts and SGP.02 data objects.
 *
 * Parses UNTRUSTED input. Decoders never allocate and never read past `len`; decoded value pointers
 * point into the caller's buffer, which must outlive the result.
 *
 * Supported: tags of 1 to 4 bytes (multi-byte when the low five bits of the first byte are 1F),
 * lengths in the short form and the long forms 81, 82 and 83 (up to 16 MiB), and the indefinite form
 * `80 ... 00 00` for constructed tags (TS 102 226 §5.2: `AE 80 ... 00 00`, `AF 80 ... 00 00`).
 *
 * Errors (negative errno): -EAGAIN the buffer ends inside the TLV (truncated); -EOVERFLOW a length
 * form longer than 83 or a tag longer than 4 bytes; -EBADMSG anything else malformed (indefinite
 * length on a primitive tag, nesting deeper than BERTLV_MAX_DEPTH, missing end-of-contents). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BERTLV_MAX_DEPTH 16	  /* nesting bound for indefinite-length walks: a stack bound, not a spec limit */
#define BERTLV_MAX_LEN	 0xFFFFFF /* the largest value the 83 form can express */

struct bertlv {
	uint32_t tag;	      /* the tag bytes as a big-endian number: 0x22, 0x7F21, 0xBF20 */
	uint8_t tag_len;      /* 1..4 */
	bool constructed;     /* bit 6 of the first tag byte */
	bool indefinite;      /* length byte was 80: value ends before the matching 00 00 */
	bool nonminimal_len;  /* a long form was used where a shorter one would do (BER allows, DER forbids) */
	const uint8_t *value; /* points into the input */
	size_t len;	      /* value length (for the indefinite form: without the 00 00) */
	size_t total;	      /* bytes the whole TLV occupies, header and end-of-contents included */
};

/* Decode one TLV at the start of buf. Returns the bytes it occupies (out->total) or a negative errno. */
int bertlv_decode(struct bertlv *out, const uint8_t *buf, size_t len);

/* Walk the TLVs of a buffer (e.g. the value of a constructed TLV) one after another. */
struct bertlv_iter {
	const uint8_t *buf;
	size_t len;
	size_t pos;
};
void bertlv_iter_init(struct bertlv_iter *it, const uint8_t *buf, size_t len);
/* Returns 1 and fills *out, 0 at the end of the buffer, or a negative errno (the walk stops there). */
int bertlv_iter_next(struct bertlv_iter *it, struct bertlv *out);

/* Find the first TLV with this tag directly in buf (not nested). 0 if found, -ENOENT if not, or the
 * negative errno of a malformed TLV met before it. */
int bertlv_find(const uint8_t *buf, size_t len, uint32_t tag, struct bertlv *out);

/* Size of the encoded tag / length fields. */
size_t bertlv_tag_size(uint32_t tag);
size_t bertlv_len_size(size_t len);

/* A writer into a caller-provided buffer. Errors are sticky: after the first overflow or bad
 * argument every call is a no-op and bertlv_writer_finish() reports it, so builders need one check. */
struct bertlv_writer {
	uint8_t *buf;
	size_t cap;
	size_t pos;
	int err; /* 0, -EMSGSIZE (buffer too small) or -EINVAL (value longer than BERTLV_MAX_LEN, bad nesting) */
};
void bertlv_writer_init(struct bertlv_writer *w, uint8_t *buf, size_t cap);
/* Append raw bytes (a pre-encoded TLV, an APDU). */
void bertlv_put_raw(struct bertlv_writer *w, const void *data, size_t len);
/* Append tag, length and value. */
void bertlv_put(struct bertlv_writer *w, uint32_t tag, const void *value, size_t len);
void bertlv_put_u8(struct bertlv_writer *w, uint32_t tag, uint8_t v);
/* Open a constructed TLV whose length is written when it is closed; returns a mark for close.
 * Nested opens are fine. The length is minimal: one byte is reserved at open and the content is
 * moved up at close when it needs a long form, so a buffer of exactly the result's size suffices. */
size_t bertlv_open(struct bertlv_writer *w, uint32_t tag);
void bertlv_close(struct bertlv_writer *w, size_t mark);
/* Indefinite form: `tag 80` ... `00 00`. */
void bertlv_open_indefinite(struct bertlv_writer *w, uint32_t tag);
void bertlv_close_indefinite(struct bertlv_writer *w);
/* Returns the number of bytes written, or the sticky negative errno. */
int bertlv_writer_finish(const struct bertlv_writer *w);
