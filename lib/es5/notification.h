/* eUICC notifications (SGP.02 §4.1.1.11 HandleDefaultNotification; digest §4.5) and their
 * confirmation (§4.1.1.12, STORE DATA 3A08, built in es5.h).
 *
 *   E1 L { 4C EID(16) ‖ 4D type(1) ‖ 4E seq(2) ‖ [ISD-P AID] ‖ [14 IMEI] ‖ [6D MEID] }
 *
 * The ISD-P AID tag is ambiguous (open-questions §9): Njiwa reads 2F/AF (the TS 101 220 AID tag
 * with/without CR), WHTY's simulator writes 4F. Encoding uses the configured variant (default 2F);
 * decoding accepts 2F, AF and 4F and records which tag it saw, so the checker can report the
 * reading a peer uses. Likewise IMEI 14/94 and MEID 6D/ED.
 *
 * The decoder parses UNTRUSTED input, never allocates, and points into the input. */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <osmocom/core/utils.h>

#include "lib/es5/es5.h"

#define ES5_EID_LEN 16

enum es5_notif_type {
	ES5_NOTIF_EUICC_DECLARATION = 0x01,	   /* first attach */
	ES5_NOTIF_PROFILE_CHANGE_SUCCEEDED = 0x02, /* after EnableProfile + successful attach */
	ES5_NOTIF_PROFILE_CHANGE_FAILED = 0x03,	   /* failed, rolled back to the previous profile */
	ES5_NOTIF_VOID = 0x04,
	ES5_NOTIF_PROFILE_CHANGE_AFTER_FALLBACK = 0x05, /* the fall-back profile was enabled */
};
extern const struct value_string es5_notif_type_names[];

/* Variant: the tag of the ISD-P AID in E1 (open-questions §9). */
enum es5_notif_aid_tag {
	ES5_NOTIF_AID_2F, /* default */
	ES5_NOTIF_AID_4F,
};
extern const struct value_string es5_notif_aid_tag_names[];

struct es5_notification {
	struct es5_bytes eid; /* 4C */
	uint8_t type;	      /* 4D */
	uint16_t seq;	      /* 4E: changes only for a new notification, not on a retry */
	struct es5_bytes isdp_aid;
	uint8_t aid_tag;       /* decoded: 0x2F, 0xAF, 0x4F, or 0 when absent */
	struct es5_bytes imei; /* 14 / 94, TS 102 223 §8.20 (8 bytes BCD) */
	struct es5_bytes meid; /* 6D / ED */
};

/* Encode E1 into buf. isdp_aid, imei and meid are written when their len is non-zero. Returns the
 * length, -EMSGSIZE, or -EINVAL (EID not 16 bytes). */
int es5_notification_encode(uint8_t *buf, size_t cap, const struct es5_notification *n, enum es5_notif_aid_tag variant);

/* Decode one E1 at the start of buf. Returns the bytes consumed, -EAGAIN if cut, -EBADMSG if
 * malformed (not E1, EID not 16 bytes, type/seq missing or of the wrong size, a field twice). */
int es5_notification_decode(struct es5_notification *out, const uint8_t *buf, size_t len);
