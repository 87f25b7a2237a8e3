/* The device's A-interface codecs, MS side: what a GSM MS behind a BSC receives from the MSC (BSSAP =
 * BSSMAP | DTAP, TS 48.008 §3.2 / TS 48.006 §9.3; MM and RR messages of TS 24.008 §9.1/§9.2; CP and RP
 * messages of TS 24.011 §7/§8) and the few messages it sends that libosmogsm has no MS-side encoder
 * for (MM with N(SD), CP/RP towards the network).
 *
 * Decoders parse UNTRUSTED input (everything in a SCCP N-UNITDATA / N-DATA indication from the MSC),
 * never allocate, and leave pointer fields pointing into the caller's buffer. They return the bytes
 * consumed or -EAGAIN (a length field runs past the end), -EBADMSG (malformed: an IE that cannot be
 * what it claims), -EINVAL (bad argument). Message types the MS does not handle are not errors: they
 * decode with their raw bytes so the caller can log them.
 *
 * Encoders append to a msgb (struct msgb from libosmocore; ownership stays with the caller) and return
 * 0 or -EMSGSIZE / -EINVAL. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <osmocom/core/msgb.h>
#include <osmocom/core/utils.h>

/* --- BSSAP (TS 48.006 §9.3: discriminator 00 BSSMAP ‖ length; 01 DTAP ‖ DLCI ‖ length) ---------------- */
enum dev_bssap_kind {
	DEV_BSSAP_BSSMAP = 0x00,
	DEV_BSSAP_DTAP = 0x01,
};

struct dev_bssap {
	uint8_t kind;	    /* enum dev_bssap_kind */
	uint8_t dlci;	    /* DTAP: data link connection identifier (SAPI in bits 1-3: 0 = RR/MM/CC, 3 = SMS) */
	uint8_t msg_type;   /* BSSMAP: message type (TS 48.008 §3.2.2.1) */
	const uint8_t *ies; /* BSSMAP: the IEs after the type; DTAP: the L3 message */
	size_t ies_len;
};
int dev_bssap_decode(struct dev_bssap *out, const uint8_t *buf, size_t len);

/* BSSMAP PAGING (TS 48.008 §3.2.1.19): IMSI (mandatory), TMSI (optional). */
struct dev_paging {
	char imsi[16];
	bool has_tmsi;
	uint32_t tmsi;
};
int dev_paging_decode(struct dev_paging *out, const uint8_t *ies, size_t len);

/* --- L3 (TS 24.007 §11.2: skip indicator / TI ‖ PD, message type with N(SD) in bits 7-8 for MM) -------- */
#define DEV_PD_CC  0x03
#define DEV_PD_MM  0x05
#define DEV_PD_RR  0x06
#define DEV_PD_SMS 0x09

/* MM message types (TS 24.008 §10.4 Table 10.2) */
enum dev_mm_type {
	DEV_MM_IMSI_DETACH_IND = 0x01,
	DEV_MM_LU_ACCEPT = 0x02,
	DEV_MM_LU_REJECT = 0x04,
	DEV_MM_LU_REQUEST = 0x08,
	DEV_MM_AUTH_REJECT = 0x11,
	DEV_MM_AUTH_REQUEST = 0x12,
	DEV_MM_AUTH_RESPONSE = 0x14,
	DEV_MM_AUTH_FAILURE = 0x1C,
	DEV_MM_IDENTITY_REQUEST = 0x18,
	DEV_MM_IDENTITY_RESPONSE = 0x19,
	DEV_MM_TMSI_REALLOC_CMD = 0x1A,
	DEV_MM_TMSI_REALLOC_COMPLETE = 0x1B,
	DEV_MM_CM_SERVICE_ACCEPT = 0x21,
	DEV_MM_CM_SERVICE_REJECT = 0x22,
	DEV_MM_CM_SERVICE_REQUEST = 0x24,
	DEV_MM_ABORT = 0x29,
	DEV_MM_INFO = 0x32,
};
extern const struct value_string dev_mm_type_names[];

/* CP message types (TS 24.011 §8.1.3) */
enum dev_cp_type {
	DEV_CP_DATA = 0x01,
	DEV_CP_ACK = 0x04,
	DEV_CP_ERROR = 0x10,
};
extern const struct value_string dev_cp_type_names[];

/* A decoded downlink L3 message. Fields of other message types stay zero. */
struct dev_l3 {
	uint8_t pd;	  /* protocol discriminator */
	uint8_t ti;	  /* transaction identifier incl. the TI flag (bits 5-8 of octet 1) for CC/SMS */
	uint8_t msg_type; /* MM: N(SD) bits masked off */
	/* MM */
	uint8_t cause;	     /* LU REJECT, CM SERVICE REJECT, AUTH FAILURE, ABORT; CP-ERROR cause */
	const uint8_t *rand; /* AUTH REQUEST: 16 bytes */
	const uint8_t *autn; /* AUTH REQUEST: 16 bytes (IE 0x20, 3G context) or NULL */
	uint8_t cksn;	     /* AUTH REQUEST */
	const uint8_t *lai;  /* LU ACCEPT: 5 bytes (TS 24.008 §10.5.1.3) */
	bool has_tmsi;	     /* LU ACCEPT with a TMSI mobile identity, TMSI REALLOC CMD */
	uint32_t tmsi;	     /* */
	uint8_t id_type;     /* IDENTITY REQUEST: identity type (1 IMSI, 2 IMEI, 3 IMEISV, 4 TMSI) */
	/* SMS CP-DATA */
	const uint8_t *rp; /* the RP message */
	size_t rp_len;
};
int dev_l3_decode(struct dev_l3 *out, const uint8_t *buf, size_t len);

/* RP messages (TS 24.011 §7.3, §8.2.2), network -> MS direction. */
enum dev_rp_type {
	DEV_RP_DATA_MS_TO_N = 0x00,
	DEV_RP_DATA_N_TO_MS = 0x01,
	DEV_RP_ACK_MS_TO_N = 0x02,
	DEV_RP_ACK_N_TO_MS = 0x03,
	DEV_RP_ERROR_MS_TO_N = 0x04,
	DEV_RP_ERROR_N_TO_MS = 0x05,
	DEV_RP_SMMA = 0x06,
};
extern const struct value_string dev_rp_type_names[];

struct dev_rp {
	uint8_t type; /* enum dev_rp_type (bits 1-3) */
	uint8_t mr;   /* message reference */
	/* RP-DATA (N->MS) */
	const uint8_t *oa; /* RP originator address value (TON/NPI ‖ BCD), the service centre */
	size_t oa_len;
	const uint8_t *tpdu; /* RP-User data: the TPDU (RP-DATA, and RP-ACK/RP-ERROR when present) */
	size_t tpdu_len;
	uint8_t cause; /* RP-ERROR */
};
int dev_rp_decode(struct dev_rp *out, const uint8_t *buf, size_t len);

/* Mobile identity (TS 24.008 §10.5.1.4) value of type IMSI -> digits (the EF.IMSI layout after its length
 * byte is the same). 0 or -EBADMSG. */
int dev_mi_imsi_decode(char out[16], const uint8_t *mi, size_t len);
/* IMSI digits -> MI value (without its length). Returns the length written or -EINVAL. */
int dev_mi_imsi_encode(uint8_t out[9], const char *imsi);

/* --- Encoders (MS -> network) ------------------------------------------------------------------------------- */
/* CP-DATA / CP-ACK / CP-ERROR with the given TI octet (already carrying the TI flag). */
int dev_cp_encode(struct msgb *msg, uint8_t ti_flag_bits, uint8_t cp_type, const uint8_t *rp, size_t rp_len,
		  uint8_t cause);
/* RP-DATA (MS->N) with the SC address (TON/NPI ‖ BCD, at most 11 bytes) and the SMS-SUBMIT TPDU. */
int dev_rp_data_mo_encode(struct msgb *msg, uint8_t mr, const uint8_t *sc, size_t sc_len, const uint8_t *tpdu,
			  size_t tpdu_len);
/* RP-ACK (MS->N) with an optional RP-User data (the SMS-DELIVER-REPORT), or RP-ERROR (MS->N) with a cause. */
int dev_rp_ack_encode(struct msgb *msg, uint8_t mr, const uint8_t *tpdu, size_t tpdu_len);
int dev_rp_error_encode(struct msgb *msg, uint8_t mr, uint8_t cause, const uint8_t *tpdu, size_t tpdu_len);
