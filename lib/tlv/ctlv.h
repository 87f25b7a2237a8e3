/* COMPREHENSION-TLV (ETSI TS 101 220 §7.1.1), the TLV format of the Card Application Toolkit
 * (ETSI TS 102 223 §8: proactive commands, TERMINAL RESPONSE, ENVELOPE contents).
 *
 * Parses UNTRUSTED input; never allocates; value pointers point into the caller's buffer.
 *
 *   tag, single-byte form: CR ‖ 7-bit tag value (01..7E); 00, 80 and FF are not valid tags.
 *   tag, three-byte form:  7F ‖ CR ‖ 15-bit tag value.
 *   length: 00-7F; 81 80-FF; 82 0100-FFFF; 83 010000-FFFFFF (TS 101 220 §7.1.2).
 *
 * CR ("comprehension required") is kept apart from the tag value: 0x81 and 0x01 are the same tag
 * (TS 102 223 §8.1 Command details) with CR set and clear.
 *
 * Errors: -EAGAIN truncated; -EOVERFLOW a length form beyond 83; -EBADMSG a reserved tag byte. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ctlv {
	uint16_t tag;	     /* tag value without the CR bit (7 or 15 bits) */
	bool cr;	     /* comprehension required */
	bool three_byte;     /* 7F form */
	bool nonminimal_len; /* e.g. 81 05: TS 101 220 allows 81 only for 80-FF; kept as a finding */
	const uint8_t *value;
	size_t len;
	size_t total;
};

/* Returns bytes consumed (out->total) or a negative errno. */
int ctlv_decode(struct ctlv *out, const uint8_t *buf, size_t len);

struct ctlv_iter {
	const uint8_t *buf;
	size_t len;
	size_t pos;
};
void ctlv_iter_init(struct ctlv_iter *it, const uint8_t *buf, size_t len);
/* 1 and *out filled, 0 at the end, or a negative errno (the walk stops). */
int ctlv_iter_next(struct ctlv_iter *it, struct ctlv *out);
/* First TLV with this tag value (CR ignored): 0, -ENOENT, or the errno of a malformed TLV before it. */
int ctlv_find(const uint8_t *buf, size_t len, uint16_t tag, struct ctlv *out);

/* Writes tag (with CR), length and value at out. Single-byte tag form for tag values up to 7E,
 * three-byte form above. Returns the bytes written, -EMSGSIZE if out_len is too small, -EINVAL for an
 * invalid tag value (0, 7F) or a value longer than 0xFFFFFF. */
int ctlv_encode(uint8_t *out, size_t out_len, uint16_t tag, bool cr, const void *value, size_t len);
