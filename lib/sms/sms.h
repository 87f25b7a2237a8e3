/* SMS transfer-layer PDUs (3GPP TS 23.040 §9.2) for (U)SIM data download and its Proof of Receipt:
 * SMS-DELIVER, SMS-SUBMIT, SMS-DELIVER-REPORT and SMS-SUBMIT-REPORT (RP-ACK and RP-ERROR forms),
 * address fields (§9.1.2.5), TP-SCTS (§9.2.3.11), TP-VP (§9.2.3.12), TP-DCS (TS 23.038 §4) and the
 * User Data Header (§9.2.3.24) split into information elements.
 *
 * Decoders parse UNTRUSTED input, never allocate, and leave every pointer of the decoded struct
 * pointing into the caller's buffer (which must outlive the struct). They return the number of bytes
 * consumed (trailing bytes are left to the caller), or:
 *   -EAGAIN   the buffer ends before the TPDU does (a length field points past the end);
 *   -EBADMSG  malformed (wrong TP-MTI for the requested type, address length > 20 semi-octets,
 *             a filler nibble inside an address, UDL above 140 octets / 160 septets, UDHL beyond UDL,
 *             an IE running past the UDH, BCD nibbles above 9 in a TP-SCTS ...);
 *   -EINVAL   bad argument.
 * Encoders write into (out, out_len) and return the bytes written, -EMSGSIZE if out is too small,
 * or -EINVAL for a field that cannot be encoded (digits outside 0-9*#abc, more than 20 digits, ...).
 *
 * TP-MTI is direction dependent (§9.2.3.1: 00 = DELIVER from the SC, DELIVER-REPORT towards it), so
 * the caller says which TPDU it expects (enum sms_tpdu_type). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <osmocom/core/utils.h>

/* TS 23.040 §9.2.3.9: TP-PID 7F = (U)SIM data download (TS 31.111 §7.1). */
#define SMS_PID_SIM_DATA_DOWNLOAD 0x7F
/* TS 23.038 §4: 1111 0 1 10 = message class 2 ((U)SIM specific), 8-bit data. */
#define SMS_DCS_CLASS2_8BIT 0xF6
/* TS 23.040 §9.2.3.16: TP-UD holds at most 140 octets. */
#define SMS_UD_MAX 140
/* TS 23.040 §9.1.2.5: the address value holds at most 20 semi-octets (10 octets). */
#define SMS_ADDR_MAX_SEMI 20
/* An UDH (UDHL <= 139) can hold at most 69 empty IEs. */
#define SMS_UDH_MAX_IES 70

/* TS 23.040 §9.2.3.24 and TS 31.115 (SMS dialect of TS 102 225) information element identifiers. */
#define SMS_IEI_CONCAT_8  0x00 /* concatenated SM, 8-bit reference (§9.2.3.24.1) */
#define SMS_IEI_CONCAT_16 0x08 /* concatenated SM, 16-bit reference (§9.2.3.24.8) */
#define SMS_IEI_CPI	  0x70 /* command packet identifier (TS 31.115) */
#define SMS_IEI_RPI	  0x71 /* response packet identifier (TS 31.115) */

enum sms_tpdu_type {
	SMS_TPDU_DELIVER,	       /* SC -> MS, MTI 00 */
	SMS_TPDU_SUBMIT,	       /* MS -> SC, MTI 01 */
	SMS_TPDU_DELIVER_REPORT_ACK,   /* MS -> SC in RP-ACK, MTI 00, no TP-FCS */
	SMS_TPDU_DELIVER_REPORT_ERROR, /* MS -> SC in RP-ERROR, MTI 00, TP-FCS */
	SMS_TPDU_SUBMIT_REPORT_ACK,    /* SC -> MS in RP-ACK, MTI 01, no TP-FCS */
	SMS_TPDU_SUBMIT_REPORT_ERROR,  /* SC -> MS in RP-ERROR, MTI 01, TP-FCS */
};
extern const struct value_string sms_tpdu_type_names[];

/* TS 23.040 §9.2.3.3 */
enum sms_vpf {
	SMS_VPF_NONE = 0,
	SMS_VPF_ENHANCED = 1,
	SMS_VPF_RELATIVE = 2,
	SMS_VPF_ABSOLUTE = 3,
};
extern const struct value_string sms_vpf_names[];

/* TS 23.040 §9.1.2.5 type of number. */
enum sms_ton {
	SMS_TON_UNKNOWN = 0,
	SMS_TON_INTERNATIONAL = 1,
	SMS_TON_NATIONAL = 2,
	SMS_TON_NETWORK = 3,
	SMS_TON_SUBSCRIBER = 4,
	SMS_TON_ALPHANUMERIC = 5,
	SMS_TON_ABBREVIATED = 6,
	SMS_TON_RESERVED = 7,
};
extern const struct value_string sms_ton_names[];

/* An address field (TP-OA, TP-DA). `digits` holds the semi-octet digits as characters 0-9 * # a b c
 * (§9.1.2.3), or for TON 5 the GSM 7-bit default alphabet text (TS 23.038 §6.2.1) as decoded by
 * libosmocore. */
struct sms_addr {
	uint8_t ton; /* enum sms_ton */
	uint8_t npi; /* numbering plan identification, 4 bits */
	uint8_t toa; /* the raw type-of-address octet (bit 7 is 1 on the wire; kept for checkers) */
	uint8_t len_semi;
	char digits[32];
};

/* TP-SCTS / absolute TP-VP, TS 23.040 §9.2.3.11. The time zone is in quarters of an hour, signed. */
struct sms_scts {
	uint8_t year, month, day, hour, minute, second;
	int8_t tz_quarters;
};

struct sms_ie {
	uint8_t iei;
	uint8_t len;
	const uint8_t *value;
};

/* User Data Header, TS 23.040 §9.2.3.24. */
struct sms_udh {
	const uint8_t *raw; /* UDHL and the IEs */
	size_t len;	    /* 1 + UDHL */
	unsigned int n_ies;
	struct sms_ie ies[SMS_UDH_MAX_IES];
};

/* TS 23.038 §4 */
enum sms_dcs_alphabet {
	SMS_ALPHABET_GSM7 = 0,
	SMS_ALPHABET_8BIT = 1,
	SMS_ALPHABET_UCS2 = 2,
};
extern const struct value_string sms_dcs_alphabet_names[];

struct sms_dcs {
	enum sms_dcs_alphabet alphabet; /* reserved codings count as GSM 7-bit (TS 23.038 §4) */
	bool reserved;			/* a reserved coding group or alphabet value */
	int msg_class;			/* 0..3, or -1 when the DCS carries no class */
	bool compressed;		/* general data coding group, bit 5 */
	bool auto_delete;
	bool mwi; /* message waiting indication groups C0-EF */
};

struct sms_tpdu {
	enum sms_tpdu_type type;
	uint8_t first_octet;
	bool mms;  /* DELIVER: TP-MMS bit 2 (1 = no more messages waiting) */
	bool lp;   /* DELIVER: TP-LP bit 3 */
	bool sri;  /* DELIVER: TP-SRI bit 5 */
	bool rd;   /* SUBMIT: TP-RD bit 2 */
	bool srr;  /* SUBMIT: TP-SRR bit 5 */
	bool udhi; /* bit 6 */
	bool rp;   /* bit 7 */
	enum sms_vpf vpf;
	uint8_t mr;			/* SUBMIT: TP-MR */
	struct sms_addr addr;		/* TP-OA (DELIVER) or TP-DA (SUBMIT) */
	uint8_t fcs;			/* reports in RP-ERROR: TP-FCS */
	uint8_t pi;			/* reports: TP-PI (first octet) */
	bool has_pid, has_dcs, has_udl; /* always true for DELIVER/SUBMIT; from TP-PI in reports */
	uint8_t pid;
	uint8_t dcs;
	const uint8_t *scts; /* 7 octets: DELIVER and SUBMIT-REPORT, else NULL */
	const uint8_t *vp;   /* SUBMIT with a TP-VP */
	size_t vp_len;
	uint8_t udl;	     /* as on the wire: septets for GSM 7-bit, else octets */
	const uint8_t *ud;   /* TP-UD (with the UDH if udhi) */
	size_t ud_len;	     /* in octets */
	struct sms_udh udh;  /* valid if udhi */
	const uint8_t *data; /* TP-UD after the UDH (for 7-bit: starting at the octet after the UDH) */
	size_t data_len;
};

/* Decode a TPDU of the given type. Returns bytes consumed or a negative errno (see above). */
int sms_tpdu_decode(struct sms_tpdu *out, enum sms_tpdu_type type, const uint8_t *buf, size_t len);

/* Encode from the fields: type, the flag booleans, vpf/vp, mr, addr (ton, npi, digits), pid, dcs,
 * scts (7 octets, required for DELIVER / SUBMIT-REPORT), fcs, has_pid/has_dcs/has_udl (reports), ud
 * and ud_len (the whole TP-UD, UDH included when udhi). UDL is ud_len, except for a GSM 7-bit DCS where
 * the caller sets udl (septets) and ud_len must be its packed size. */
int sms_tpdu_encode(const struct sms_tpdu *t, uint8_t *out, size_t out_len);

/* Fill *t for SMS-PP (U)SIM data download (TS 31.111 §7.1.1, TS 31.115): PID 7F, DCS F6, UDHI set.
 * The caller still sets addr, scts / mr, and ud. */
void sms_tpdu_init_data_download(struct sms_tpdu *t, enum sms_tpdu_type type);

/* Address field. Decode returns bytes consumed; encode returns bytes written. Alphanumeric addresses
 * (TON 5) are packed as GSM 7-bit default alphabet (at most 11 characters). */
int sms_addr_decode(struct sms_addr *out, const uint8_t *buf, size_t len);
int sms_addr_encode(const struct sms_addr *a, uint8_t *out, size_t out_len);

/* User Data Header at the start of ud. Returns the UDH length (1 + UDHL) or a negative errno. */
int sms_udh_decode(struct sms_udh *out, const uint8_t *ud, size_t ud_len);
/* First IE with this IEI, or NULL. */
const struct sms_ie *sms_udh_find(const struct sms_udh *udh, uint8_t iei);
/* Writes UDHL, the IEs and then data. Returns bytes written, -EMSGSIZE, -EINVAL (UDHL > 139). */
int sms_udh_encode(const struct sms_ie *ies, unsigned int n_ies, const uint8_t *data, size_t data_len, uint8_t *out,
		   size_t out_len);

/* TP-SCTS coding. decode: 0 or -EBADMSG (a nibble above 9, month/day/hour/... out of range). */
int sms_scts_decode(struct sms_scts *out, const uint8_t raw[7]);
int sms_scts_encode(const struct sms_scts *s, uint8_t raw[7]);
/* From a UTC time (libosmocore gsm340_gen_scts: time zone 0). */
void sms_scts_from_time(uint8_t raw[7], time_t t);
/* To a UTC time (time zone applied; years 00-80 -> 20xx, as libosmocore's gsm340_scts; computed with
 * timegm() so that the result does not depend on the local time zone). Returns 0 or -EBADMSG. */
int sms_scts_to_time(const uint8_t raw[7], time_t *t);

/* Relative TP-VP (§9.2.3.12.1) in minutes. */
unsigned long sms_vp_relative_minutes(uint8_t vp);

/* TS 23.038 §4 */
void sms_dcs_decode(struct sms_dcs *out, uint8_t dcs);
