/* Secured packets (TS 102 225 command packets and PoRs) carried in concatenated SMS, the SMS dialect of
 * 3GPP TS 31.115 (formerly TS 03.48 §6):
 *
 *   single SMS:     TP-UD = 02 70 00 ‖ packet                       (02 71 00 for a response packet)
 *   concatenated:   segment 1:  UDHL ‖ concatenation IE ‖ 70 00 ‖ first part of the packet
 *                   segment n>1: UDHL ‖ concatenation IE ‖ next part
 *
 * The concatenation IE comes FIRST and the command (70) / response (71) packet identifier is present
 * ONLY in the first segment (TS 31.115 §6.2 "Structure of the Command Packet contained in concatenated
 * Short Messages"; section number as recalled, the table is the one of TS 03.48 §6.2). The IE is
 * TS 23.040 §9.2.3.24.1 (IEI 00: ref(1) total(1) seq(1)) or §9.2.3.24.8 (IEI 08: ref(2) total seq).
 * Each segment's TP-UD is at most 140 octets (TS 23.040 §9.2.3.16).
 *
 * Reassembly keeps one set in a caller-provided struct (no allocation), with caps on the segment
 * count and the total size. Segments are UNTRUSTED input. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <osmocom/core/utils.h>

#include "lib/sms/sms.h"

/* Cap on the segments of one packet (TS 23.040 allows 255; an SCP80 packet over SMS never needs more). */
#define SMS_CONCAT_MAX_SEGS 32

enum sms_concat_ref {
	SMS_CONCAT_REF8,  /* IEI 00 */
	SMS_CONCAT_REF16, /* IEI 08 */
};

struct sms_concat_seg {
	uint8_t ud[SMS_UD_MAX]; /* TP-UD: UDH ‖ part of the packet; TP-UDHI must be set */
	size_t len;
};

/* Split a secured packet (CPL .. end, no UDH) into TP-UD segments. packet_iei is SMS_IEI_CPI or
 * SMS_IEI_RPI. A packet of up to 137 octets gives one segment with UDH 02 7x 00 and no concatenation
 * IE; longer ones get the concatenation IE in every segment and the packet identifier in the first.
 * Returns the number of segments, -EMSGSIZE if more than max_segs (or 255) are needed, -EINVAL. */
int sms_concat_split(const uint8_t *packet, size_t len, uint8_t packet_iei, enum sms_concat_ref ref_kind, uint16_t ref,
		     struct sms_concat_seg *segs, unsigned int max_segs);

/* Reassembly policy on arrival order. TS 23.040 §9.2.3.24.1 lets the receiver reorder by sequence
 * number (ANY, the default); STRICT reports a segment that overtakes a missing one (for checkers that
 * expect in-order delivery from a single SMSC). */
enum sms_concat_order {
	SMS_CONCAT_ORDER_ANY,
	SMS_CONCAT_ORDER_STRICT,
};
extern const struct value_string sms_concat_order_names[];

enum sms_concat_err {
	SMS_CONCAT_OK,
	SMS_CONCAT_ERR_MALFORMED,	   /* no UDH, or the UDH does not parse */
	SMS_CONCAT_ERR_NO_PACKET_ID,	   /* segment 1 (or a single SMS) without IEI 70/71 */
	SMS_CONCAT_ERR_BAD_IE,		   /* concatenation IE: wrong length, total 0, seq 0 or > total, both forms */
	SMS_CONCAT_ERR_TOO_MANY,	   /* total above the segment cap */
	SMS_CONCAT_ERR_TOO_BIG,		   /* the packet would exceed the size cap */
	SMS_CONCAT_ERR_REF_MISMATCH,	   /* a segment of another set (reference or IE form) */
	SMS_CONCAT_ERR_INCONSISTENT_TOTAL, /* total differs from the earlier segments */
	SMS_CONCAT_ERR_DUPLICATE,	   /* this sequence number was already received */
	SMS_CONCAT_ERR_OUT_OF_ORDER,	   /* STRICT: not the next sequence number */
	SMS_CONCAT_ERR_MISSING,		   /* assemble with segments still missing */
};
extern const struct value_string sms_concat_err_names[];

struct sms_concat {
	/* configuration (sms_concat_init) */
	uint8_t packet_iei;
	enum sms_concat_order order;
	unsigned int max_segs;
	size_t max_total;
	/* state */
	bool active;
	bool ref16;
	uint16_t ref;
	uint8_t total;
	uint8_t count;
	uint32_t have; /* bit (seq - 1) */
	size_t total_bytes;
	/* Finding: the packet identifier also appeared in a later segment (TS 31.115 puts it only in the
	 * first; pySim's reassembler tolerates it, so it is not an error). */
	bool late_packet_id;
	enum sms_concat_err err; /* reason of the last negative return */
	size_t seg_len[SMS_CONCAT_MAX_SEGS];
	size_t seg_off[SMS_CONCAT_MAX_SEGS]; /* offset of the packet part (after the UDH) */
	uint8_t seg[SMS_CONCAT_MAX_SEGS][SMS_UD_MAX];
};

/* max_segs 0 or above SMS_CONCAT_MAX_SEGS means SMS_CONCAT_MAX_SEGS; max_total 0 means max_segs * 140. */
void sms_concat_init(struct sms_concat *c, uint8_t packet_iei, enum sms_concat_order order, unsigned int max_segs,
		     size_t max_total);
/* Forget the set in progress, keep the configuration. */
void sms_concat_reset(struct sms_concat *c);

/* Feed one TP-UD (UDHI set). Returns 1 when the packet is complete, 0 when more segments are needed, or
 * a negative errno with c->err saying why; the offending segment is dropped and the set is kept:
 *   -EBADMSG  MALFORMED, NO_PACKET_ID, BAD_IE, INCONSISTENT_TOTAL;   -E2BIG   TOO_MANY, TOO_BIG;
 *   -EXDEV    REF_MISMATCH;   -EEXIST  DUPLICATE;   -EILSEQ  OUT_OF_ORDER;   -EINVAL bad argument. */
int sms_concat_add(struct sms_concat *c, const uint8_t *ud, size_t ud_len);

/* Bitmap of the sequence numbers still missing (bit seq - 1). */
uint32_t sms_concat_missing(const struct sms_concat *c);

/* Copy the reassembled packet (without UDHs) to out. Returns its length, -ENODATA (c->err = MISSING)
 * while segments are missing, -EMSGSIZE if out is too small. */
int sms_concat_assemble(struct sms_concat *c, uint8_t *out, size_t out_len);

/* The UDH of segment 1 as received (for a PoR the CC covers it): pointer into c, or NULL. */
const uint8_t *sms_concat_first_udh(const struct sms_concat *c, size_t *len);
