/* SCP80: ETSI TS 102 225 secured packets in the SMS dialect of 3GPP TS 31.115, both sides.
 *
 *   command packet (server builds, card parses+verifies), from CPL on (the UDH 02 70 00 is the SMS
 *   layer's):  CPL(2) CHL(1) SPI(2) KIc(1) KID(1) TAR(3) | CNTR(5) PCNTR(1) RC/CC(n) data padding
 *   response packet (PoR; card builds, server parses+verifies), with its UDH:
 *              UDHL 71 00 RPL(2) RHL(1) TAR(3) | CNTR(5) PCNTR(1) STATUS(1) RC/CC(n) data padding
 *   Ciphering (when the SPI asks for it) covers everything right of the bar, IV zero.
 *
 * Pure codec on lib/crypto/sym.h: no allocation, no logging, no global state. Keys are caller-provided
 * byte arrays and never leave the functions that use them. DS (digital signature) and the
 * single-DES / CRC16 / implicit / proprietary algorithm codings are not supported: -ENOTSUP.
 *
 * Trust: packet and PoR bytes are UNTRUSTED (peer input); keys, parameters and counter state are
 * trusted (ours). Protocol outcomes — a failed CC, a replayed counter — are DATA (a verdict and the
 * TS 102 225 response status code in the decoded struct), never a return code. Return values:
 * bytes consumed or written (>= 0), or a negative errno: -EAGAIN the input is shorter than its length
 * fields say (incl. "CPL longer than the data"), -EBADMSG malformed (inconsistent CHL/RHL/UDH),
 * -ENOTSUP an algorithm or integrity mode this codec does not implement, -EINVAL a bad argument (key
 * length not matching the KIc/KID algorithm, missing key), -EMSGSIZE the output buffer is too small.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <osmocom/core/utils.h>

#define SCP80_TAR_LEN	3
#define SCP80_CNTR_LEN	5
#define SCP80_CNTR_MAX	0xFFFFFFFFFFULL /* 5-byte counter (TS 102 225 §5.1.1) */
#define SCP80_CHECK_MAX 8		/* longest RC/CC this codec produces */
#define SCP80_CPL_MAX	0xFFFF

/* TS 102 225 §5.1.1, SPI first octet b2b1 (and second octet b4b3 for the PoR). */
enum scp80_integrity {
	SCP80_INTEG_NONE = 0,
	SCP80_INTEG_RC = 1,
	SCP80_INTEG_CC = 2,
	SCP80_INTEG_DS = 3,
};
extern const struct value_string scp80_integrity_names[];

/* TS 102 225 §5.1.1, SPI first octet b5b4. */
enum scp80_counter_mode {
	SCP80_CNTR_NONE = 0,	   /* no counter */
	SCP80_CNTR_NO_CHECK = 1,   /* counter available, no replay or sequence checking */
	SCP80_CNTR_HIGHER = 2,	   /* process only if higher than the value in the RE */
	SCP80_CNTR_ONE_HIGHER = 3, /* process only if exactly one higher (pySim mislabels this "lower") */
};
extern const struct value_string scp80_counter_mode_names[];

/* TS 102 225 §5.1.1, SPI second octet b2b1. */
enum scp80_por_req {
	SCP80_POR_NONE = 0,
	SCP80_POR_REQUIRED = 1,
	SCP80_POR_ON_ERROR = 2,
	SCP80_POR_REQ_RESERVED = 3,
};
extern const struct value_string scp80_por_req_names[];

/* The two SPI octets as named fields. Reserved bits are kept as received (not an error here). */
struct scp80_spi {
	enum scp80_integrity integrity;
	bool ciphering;
	enum scp80_counter_mode counter;
	enum scp80_por_req por;
	enum scp80_integrity por_integrity;
	bool por_ciphered;
	bool por_in_submit; /* TS 31.115 §4.2: PoR by SMS-SUBMIT (1) or in the SMS-DELIVER-REPORT (0) */
	uint8_t reserved1;  /* octet 1 b8b7b6, in place */
	uint8_t reserved2;  /* octet 2 b8b7, in place */
};
void scp80_spi_decode(struct scp80_spi *spi, const uint8_t raw[2]);
void scp80_spi_encode(uint8_t raw[2], const struct scp80_spi *spi);

/* The SPI an SM-SR sends, a policy the spec leaves open (sgp02-open-questions §6, switch `scp80_spi`):
 * a named variant, selectable at run time. */
enum scp80_spi_variant {
	SCP80_SPI_VARIANT_1639, /* default: CC + ciphering + counter higher; PoR required, CC, ciphered, SUBMIT */
	SCP80_SPI_VARIANT_1621, /* WHTY production SM-SR: same command side; PoR required, plain, SUBMIT */
};
extern const struct value_string scp80_spi_variant_names[];
void scp80_spi_variant_bytes(enum scp80_spi_variant v, uint8_t spi[2]);

/* The eUICC's minimum (sgp02-open-questions §6, inferred): CC, ciphering, and counter mode 10 or 11.
 * When false the card answers SCP80_ST_INSUFFICIENT_SECURITY_LEVEL (0A). */
bool scp80_spi_security_sufficient(const struct scp80_spi *spi);

/* Algorithm coding of the KIc / KID low nibble (TS 102 225 §5.1.2, §5.1.3). */
enum scp80_alg_coding {
	SCP80_CODING_IMPLICIT,
	SCP80_CODING_DES_CBC,
	SCP80_CODING_3DES_2K,
	SCP80_CODING_3DES_3K,
	SCP80_CODING_DES_ECB,
	SCP80_CODING_AES, /* AES-CBC for KIc, AES-CMAC for a CC KID */
	SCP80_CODING_CRC16,
	SCP80_CODING_CRC32,
	SCP80_CODING_PROPRIETARY,
	SCP80_CODING_RESERVED,
};
extern const struct value_string scp80_alg_coding_names[];

/* A KIc or KID octet: key version in the high nibble, algorithm in the low nibble. */
struct scp80_keyid {
	uint8_t key_index;
	enum scp80_alg_coding coding;
};
void scp80_kic_decode(struct scp80_keyid *k, uint8_t kic);
/* The KID coding depends on whether it serves an RC (CRC) or a CC (block cipher MAC). */
void scp80_kid_decode(struct scp80_keyid *k, uint8_t kid, enum scp80_integrity integrity);

/* The algorithm actually run: the coding plus the key length. */
enum scp80_alg {
	SCP80_ALG_NONE,
	SCP80_ALG_AES128,
	SCP80_ALG_AES192,
	SCP80_ALG_AES256,
	SCP80_ALG_3DES_2K,
	SCP80_ALG_3DES_3K,
	SCP80_ALG_CRC32,
};
extern const struct value_string scp80_alg_names[];

/* Resolve a coding and a key length (ignored for CRC32) to the algorithm. -ENOTSUP for codings this
 * codec does not implement, -EINVAL when key_len does not fit (AES: 16/24/32, 3DES-2K: 16, 3K: 24). */
int scp80_alg_resolve(enum scp80_alg_coding coding, size_t key_len, enum scp80_alg *alg);

/* Response status codes, TS 102 225 §5.2.2 Table 5 + TS 31.115 (0B, 0C). */
enum scp80_status {
	SCP80_ST_POR_OK = 0x00,
	SCP80_ST_RC_CC_DS_FAILED = 0x01,
	SCP80_ST_CNTR_LOW = 0x02,
	SCP80_ST_CNTR_HIGH = 0x03,
	SCP80_ST_CNTR_BLOCKED = 0x04,
	SCP80_ST_CIPHERING_ERROR = 0x05,
	SCP80_ST_UNIDENTIFIED_SECURITY_ERROR = 0x06,
	SCP80_ST_INSUFFICIENT_MEMORY = 0x07,
	SCP80_ST_MORE_TIME = 0x08,
	SCP80_ST_TAR_UNKNOWN = 0x09,
	SCP80_ST_INSUFFICIENT_SECURITY_LEVEL = 0x0A,
	SCP80_ST_RESPONSE_VIA_SMS_SUBMIT = 0x0B,
	SCP80_ST_RESPONSE_VIA_USSD = 0x0C,
};
extern const struct value_string scp80_status_names[];

/* Why a packet was (not) accepted: finer than the status code, which scp80_verdict_status() gives. */
enum scp80_verdict {
	SCP80_V_OK,
	SCP80_V_CHECK_FAILED,  /* RC or CC mismatch (wrong key, tampering) -> 01 */
	SCP80_V_CIPHER_LENGTH, /* ciphered part not a multiple of the block size -> 05 */
	SCP80_V_PCNTR,	       /* PCNTR >= block size, > secured data, or non-zero without ciphering -> 05 */
	SCP80_V_CNTR_REPLAY,   /* counter equal to the last one -> 02 */
	SCP80_V_CNTR_LOW,      /* counter below the last one -> 02 */
	SCP80_V_CNTR_HIGH,     /* not exactly one higher (mode 11), or beyond the allowed gap (mode 10) -> 03 */
	SCP80_V_CNTR_BLOCKED,  /* the RE counter has reached its maximum -> 04 */
};
extern const struct value_string scp80_verdict_names[];
enum scp80_status scp80_verdict_status(enum scp80_verdict v);

/* Caller-provided keys; a key may be NULL when the SPI does not need it. */
struct scp80_keys {
	const uint8_t *kic_key;
	size_t kic_key_len;
	const uint8_t *kid_key;
	size_t kid_key_len;
};

/* Big-endian 5-byte counter <-> integer. */
uint64_t scp80_cntr_get(const uint8_t cntr[SCP80_CNTR_LEN]);
void scp80_cntr_put(uint8_t cntr[SCP80_CNTR_LEN], uint64_t value);

/* The card-side counter rule (TS 102 225 §5.1.1 b5b4) for a received counter rx against the last
 * value accepted by the RE. max_gap (0 = unlimited) is the RE's optional limit for mode 10: a counter
 * more than max_gap above last is "too high". Modes 00 and 01 always pass. */
enum scp80_verdict scp80_counter_check(enum scp80_counter_mode mode, uint64_t last, uint64_t rx, uint64_t max_gap);

/* Unknown TAR (TS 102 225 §5.2.2, status 09) is the receiving entity's check: index of tar in table,
 * or -ENOENT (answer SCP80_ST_TAR_UNKNOWN). */
int scp80_tar_find(const uint8_t tar[SCP80_TAR_LEN], const uint8_t (*table)[SCP80_TAR_LEN], size_t n);

/* ---- command packet ---------------------------------------------------------------------------- */

struct scp80_cmd_params {
	uint8_t spi[2];
	uint8_t kic;
	uint8_t kid;
	uint8_t tar[SCP80_TAR_LEN];
	uint8_t cntr[SCP80_CNTR_LEN];
};

/* Server side: build a command packet (from CPL, no UDH) carrying data into out. RC = CRC32 and CC
 * (AES-CMAC leftmost 8 / 3DES CBC-MAC over input zero-padded to 8, that padding not sent and not in
 * PCNTR) cover CPL..PCNTR, data and the ciphering padding; ciphering pads CNTR..data with zeros to the
 * block size and PCNTR counts them. data must not overlap out. Returns the packet length. */
int scp80_cmd_wrap(uint8_t *out, size_t out_cap, const struct scp80_cmd_params *p, const struct scp80_keys *keys,
		   const uint8_t *data, size_t data_len);

/* A command packet as the card sees it. */
struct scp80_cmd {
	/* header, from scp80_cmd_decode_header() */
	uint16_t cpl;
	uint8_t chl;
	uint8_t spi_raw[2];
	struct scp80_spi spi;
	uint8_t kic;
	uint8_t kid;
	uint8_t tar[SCP80_TAR_LEN];
	size_t check_len; /* RC/CC length implied by SPI + KID (CHL - 13) */
	/* from scp80_cmd_unwrap(); cntr/pcntr/check are valid unless verdict is SCP80_V_CIPHER_LENGTH */
	uint8_t cntr[SCP80_CNTR_LEN];
	uint8_t pcntr;
	uint8_t check[SCP80_CHECK_MAX];
	const uint8_t *data; /* plaintext secured data without padding, in the caller's out; NULL unless OK */
	size_t data_len;
	enum scp80_verdict verdict;
	enum scp80_status status; /* the PoR status code for the verdict */
};

/* Decode the clear header (CPL..TAR) so the card can find the keys for TAR/KIc/KID. Checks that CHL
 * matches the SPI and KID. Returns 2 + CPL (the packet's size), -EAGAIN if len < 2 + CPL. */
int scp80_cmd_decode_header(struct scp80_cmd *cmd, const uint8_t *pkt, size_t len);

struct scp80_counter_policy {
	bool check;	  /* false: no counter state known, the check is skipped */
	uint64_t last;	  /* the RE's counter for this key set */
	uint64_t max_gap; /* for mode 10; 0 = unlimited */
};

/* Card side: decode the header, decipher, verify RC/CC, PCNTR and the counter (in that order; the
 * first failure is the verdict). out (out_cap >= the packet size, no overlap with pkt) receives the
 * plaintext; cmd->data points into it. counter may be NULL (no check). On SCP80_V_OK the caller
 * stores the received counter as its new last value. Returns 2 + CPL whatever the verdict. */
int scp80_cmd_unwrap(struct scp80_cmd *cmd, const uint8_t *pkt, size_t len, const struct scp80_keys *keys,
		     const struct scp80_counter_policy *counter, uint8_t *out, size_t out_cap);

/* ---- response packet (PoR) --------------------------------------------------------------------- */

/* spi/kic/kid are those of the command the PoR answers; SPI octet 2 selects PoR integrity/ciphering. */
struct scp80_por_params {
	uint8_t spi[2];
	uint8_t kic;
	uint8_t kid;
	uint8_t tar[SCP80_TAR_LEN];
	uint8_t cntr[SCP80_CNTR_LEN];
	uint8_t status;
};

/* Card side: build UDH 02 71 00 ‖ RPL RHL TAR CNTR PCNTR STATUS [RC/CC] data padding into out. The
 * RC/CC covers UDH‖RPL‖RHL‖TAR‖CNTR‖PCNTR‖STATUS‖data‖padding (as pySim decode_resp checks it);
 * ciphering runs from CNTR on. Returns the length written. */
int scp80_por_wrap(uint8_t *out, size_t out_cap, const struct scp80_por_params *p, const struct scp80_keys *keys,
		   const uint8_t *data, size_t data_len);

struct scp80_por {
	const uint8_t *udh; /* the whole UDH (UDHL and IEs), points into the input */
	size_t udh_len;
	uint16_t rpl;
	uint8_t rhl;
	uint8_t tar[SCP80_TAR_LEN];
	/* valid unless verdict is SCP80_V_CIPHER_LENGTH */
	uint8_t cntr[SCP80_CNTR_LEN];
	uint8_t pcntr;
	uint8_t status; /* the card's response status (enum scp80_status values) */
	uint8_t check[SCP80_CHECK_MAX];
	size_t check_len;
	const uint8_t *data; /* plaintext additional response data without padding, in out; NULL unless OK */
	size_t data_len;
	enum scp80_verdict verdict; /* our verification of the PoR (counter verdicts do not occur) */
};

/* Server side: parse and verify a PoR (input starts with the UDH, which must hold IEI 71) for the
 * command identified by spi/kic/kid. out (out_cap >= the PoR size) receives the plaintext. Returns
 * the bytes consumed (UDH + 2 + RPL). */
int scp80_por_unwrap(struct scp80_por *por, const uint8_t *buf, size_t len, const uint8_t spi[2], uint8_t kic,
		     uint8_t kid, const struct scp80_keys *keys, uint8_t *out, size_t out_cap);
