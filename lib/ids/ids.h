/* SGP.02 identifiers: EID check digits, ICCID Luhn digit and BCD coding, and the SGP.02 AID / TAR table.
 *
 * Parses UNTRUSTED input (digit strings from the command line, an HTTP header, a TLV). Nothing
 * allocates; strings are (const char *, size_t) and need no terminating NUL. Returns: 0 or a length
 * on success; -EINVAL not the right number of decimal digits / hex bytes; -EBADMSG well-formed but
 * the check digits are wrong (the expected ones are reported); -EMSGSIZE output buffer too small.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- EID (GSMA SGP.29 §10, cited by PYSIM pySim/euicc.py; SGP.02 uses the same EID) -------------
 * 32 decimal digits; the last two are check digits: 98 - (N mod 97), where N is the 32-digit number
 * with 00 in place of the check digits (ISO/IEC 7064 MOD 97-10, as for IBAN). A valid EID is
 * N mod 97 == 1. On the wire (EIS, `81 10` of the PSK identity, `5A`) it is 16 bytes, two digits a
 * byte, not nibble-swapped (`89049032...` -> 89 04 90 32 ...). */
#define IDS_EID_DIGITS 32
#define IDS_EID_BYTES  16

/* Compute the check digits of the first 30 digits of eid (n = 30, or 32 whose last two are
 * ignored). Writes the 32-digit EID into out (IDS_EID_DIGITS chars, no NUL) and returns the check
 * value 2..98, or -EINVAL. */
int ids_eid_compute(char out[IDS_EID_DIGITS], const char *eid, size_t n);
/* 0 if eid is 32 digits with correct check digits; -EBADMSG if not (then *expected, if not NULL,
 * holds the right check value 2..98); -EINVAL if it is not 32 decimal digits. */
int ids_eid_verify(const char *eid, size_t n, unsigned int *expected);
/* 32 digits <-> 16 bytes. */
int ids_eid_to_bytes(uint8_t out[IDS_EID_BYTES], const char *eid, size_t n);
int ids_eid_from_bytes(char out[IDS_EID_DIGITS], const uint8_t *buf, size_t len);

/* ---- ICCID (ITU-T E.118; TS 102 221 §13.2 EF.ICCID) ---------------------------------------------
 * 19 or 20 digits, the last being a Luhn check digit (ISO/IEC 7812-1 Annex B) over the others.
 * EF.ICCID holds 10 bytes, each byte with its two digits swapped, padded with F for 19 digits:
 * 8988211000000530082 -> 98 88 12 01 00 00 50 03 80 F2. */
#define IDS_ICCID_BYTES 10

/* The Luhn check digit (0..9) for n payload digits, or -EINVAL. */
int ids_luhn_digit(const char *digits, size_t n);
/* 0 if the 19/20-digit ICCID ends in its correct Luhn digit; -EBADMSG if not (*expected = the
 * right digit); -EINVAL if not 19 or 20 decimal digits. */
int ids_iccid_verify(const char *iccid, size_t n, unsigned int *expected);
/* 19/20 digits -> 10 swapped BCD bytes. Returns 10 or -EINVAL. */
int ids_iccid_encode(uint8_t out[IDS_ICCID_BYTES], const char *iccid, size_t n);
/* 10 swapped BCD bytes -> digits (out needs 20 chars, no NUL written). Returns the digit count
 * (19 or 20) or -EBADMSG (a non-decimal nibble, an F anywhere but the last nibble). */
int ids_iccid_decode(char out[20], const uint8_t *buf, size_t len);

/* ---- SGP.02 AIDs and TARs (SGP.02 Annex H; digest §4.2) ------------------------------------------
 * Every SGP.02 AID is A0000005591010FFFFFFFF89 <3 bytes> 00 (16 bytes); for the security domains
 * that can be addressed over the air the 3 bytes are the TAR. */
#define IDS_AID_LEN 16

enum ids_app {
	IDS_APP_ISD_R,	      /* A0000005591010FFFFFFFF8900000100, TAR 000001 */
	IDS_APP_ECASD,	      /* A0000005591010FFFFFFFF8900000200, TAR 000002 [I] */
	IDS_APP_ISD_P_ELF,    /* A0000005591010FFFFFFFF8900000D00 (default executable load file) */
	IDS_APP_ISD_P_MODULE, /* A0000005591010FFFFFFFF8900000E00 (default executable module) */
	IDS_APP_ISD_P,	      /* A0000005591010FFFFFFFF89 <TAR 000010..00FFFF> 00 */
};

struct ids_app_entry {
	enum ids_app app;
	const char *name;
	uint8_t aid[IDS_AID_LEN]; /* for IDS_APP_ISD_P: the first ISD-P, TAR 000010 */
	bool has_tar;
	uint32_t tar;
	const char *ref;
};
extern const struct ids_app_entry ids_app_table[];
extern const size_t ids_app_table_len;

#define IDS_TAR_ISD_R	  0x000001
#define IDS_TAR_ECASD	  0x000002
#define IDS_TAR_ISD_P_MIN 0x000010
#define IDS_TAR_ISD_P_MAX 0x00FFFF

/* Build the SGP.02 AID for a 3-byte TAR (any value up to FFFFFF). Returns IDS_AID_LEN or -EINVAL. */
int ids_aid_from_tar(uint8_t out[IDS_AID_LEN], uint32_t tar);
/* The TAR of an SGP.02 AID (bytes 13..15, 1-based). Returns 0 or -EBADMSG if not of the SGP.02 form. */
int ids_aid_to_tar(const uint8_t *aid, size_t len, uint32_t *tar);
/* Which application an AID is; -EBADMSG if not an SGP.02 AID of the table (ISD-P: TAR in range). */
int ids_aid_lookup(const uint8_t *aid, size_t len, enum ids_app *app);
/* Which application a TAR addresses; -ENOENT if none. */
int ids_tar_lookup(uint32_t tar, enum ids_app *app);
/* "ISD-R", "ECASD", "ISD-P ELF", "ISD-P module", "ISD-P", or NULL. */
const char *ids_app_name(enum ids_app app);
