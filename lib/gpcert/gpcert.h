/* GP-format certificates (tag 7F21) of SGP.02: CERT.SR.ECDSA, CERT.DP.ECDSA and CERT.ECASD.ECKA
 * (digest §4.6; open-questions §15 V1). Decode, encode, sign, verify, and check a certificate against
 * its issuer: type, validity dates, signature, and the chain to an X.509 CI (and, for the ECASD
 * certificate, an X.509 EUM signed by the CI).
 *
 *   7F21 { 93 serial | 42 CA id | 5F20 subject id | 95 key usage | [5F25 effective YYYYMMDD]
 *          | 5F24 expiration YYYYMMDD | [45 SDIN] | [73|53 discretionary { C8 01 type | [C9 AKI] }]
 *          | 7F49 { B0 04‖X‖Y | F0 01 curve ref } | 5F37 r‖s }
 *
 * The decoder parses UNTRUSTED input: it never allocates, every field is bounded (GPCERT_MAX_*),
 * and the pointers in struct gpcert point into the input, which must outlive it. Every rejection
 * carries a reason (enum gpcert_err, named in gpcert_err_names) as data next to the negative errno:
 * -EAGAIN truncated, -EBADMSG malformed or failed a check, -EINVAL bad argument, -EMSGSIZE output
 * too small, -EIO OpenSSL failure.
 *
 * Where the sources disagree the readings are named variants (struct gpcert_variant) with a
 * documented default: the discretionary-data tag (73 default, 53) and, for the ECASD certificate
 * only, the signed data (the TLVs as transmitted, default; or Njiwa's re-ordering). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <osmocom/core/utils.h>

#include "lib/crypto/ec.h"

#define GPCERT_TAG	      0x7F21
#define GPCERT_MAX_LEN	      1024   /* cap on a whole certificate; ours are < 300 bytes */
#define GPCERT_MAX_ID_LEN     32     /* cap on serial, CA id, subject id, SDIN, AKI */
#define GPCERT_MAX_KU_LEN     2	     /* key usage: 1 byte (SR/DP) or 2 bytes (ECASD) */
#define GPCERT_MAX_DD_LEN     64     /* cap on the discretionary data value */
#define GPCERT_KU_SIGN	      0x88   /* DP/SR certificates: `95 01 88` (digest §4.6, both implementations) */
#define GPCERT_KU_ECASD	      0x0080 /* ECASD: `95 02 0080` key agreement (NJ, "Table 23 of SGP v3.1") */
#define GPCERT_CERT_TYPE_SMDP 0x01   /* `C8 01 01` (digest §4.6) */
#define GPCERT_CERT_TYPE_SMSR 0x02   /* `C8 01 02` */

enum gpcert_type {
	GPCERT_TYPE_SR,	   /* CERT.SR.ECDSA, signed by the CI */
	GPCERT_TYPE_DP,	   /* CERT.DP.ECDSA, signed by the CI */
	GPCERT_TYPE_ECASD, /* CERT.ECASD.ECKA, signed by the EUM */
	_NUM_GPCERT_TYPES
};
/* "sr", "dp", "ecasd" */
extern const struct value_string gpcert_type_names[];

/* Why a certificate was rejected: data, next to the negative errno. */
enum gpcert_err {
	GPCERT_OK,
	GPCERT_ERR_TRUNCATED,	      /* the input ends inside the certificate */
	GPCERT_ERR_MALFORMED,	      /* BER-TLV structure broken, or bytes after the certificate */
	GPCERT_ERR_NOT_A_CERT,	      /* the outer tag is not 7F21 */
	GPCERT_ERR_TOO_LONG,	      /* longer than GPCERT_MAX_LEN, or a field over its cap */
	GPCERT_ERR_MISSING_FIELD,     /* a mandatory field is absent */
	GPCERT_ERR_DUPLICATE_FIELD,   /* a field appears twice */
	GPCERT_ERR_UNKNOWN_FIELD,     /* a tag that does not belong in a 7F21 certificate */
	GPCERT_ERR_FIELD_LENGTH,      /* a field of the wrong size */
	GPCERT_ERR_BAD_DATE,	      /* a date that is not BCD YYYYMMDD */
	GPCERT_ERR_BAD_CURVE,	      /* F0 missing or not a GP key-parameter reference */
	GPCERT_ERR_UNSUPPORTED_CURVE, /* a known reference outside P-256 / brainpoolP256r1 */
	GPCERT_ERR_BAD_PUBLIC_KEY,    /* B0 is not 04‖X‖Y on the certificate's curve */
	GPCERT_ERR_SIGNATURE_FORMAT,  /* 5F37 is not a 64-byte r‖s, or not the last field */
	GPCERT_ERR_WRONG_TYPE,	      /* certificate type (C8) / key usage differ from the expected type */
	GPCERT_ERR_EXPIRED,	      /* the check date is after the expiration date (5F24) */
	GPCERT_ERR_NOT_YET_VALID,     /* the check date is before the effective date (5F25) */
	GPCERT_ERR_BAD_SIGNATURE,     /* does not verify with the issuer key: wrong signer or altered */
	GPCERT_ERR_ISSUER_KEY,	      /* the issuer key is unusable (not EC on a supported curve) */
	GPCERT_ERR_ISSUER_MISMATCH,   /* the AKI (C9) differs from the issuer's SubjectKeyIdentifier */
	GPCERT_ERR_CHAIN,	      /* the X.509 EUM certificate is not signed by the CI */
	_NUM_GPCERT_ERRS
};
/* Short names, e.g. "expired"; gpcert_err_descs: one sentence each. */
extern const struct value_string gpcert_err_names[];
extern const struct value_string gpcert_err_descs[];
const char *gpcert_err_name(enum gpcert_err err);

/* Discretionary-data tag (digest §4.6: "73 (or 53)"). Decoding accepts both and records which. */
enum gpcert_dd_tag {
	GPCERT_DD_TAG_73, /* default: WHTY example and open-questions V1 */
	GPCERT_DD_TAG_53, /* Njiwa's ECASD signing order names 53 */
	_NUM_GPCERT_DD_TAGS
};
extern const struct value_string gpcert_dd_tag_names[];

/* What the signature of a CERT.ECASD.ECKA covers (digest §4.6 and §8; open-questions §15 V1 settles
 * DP/SR certificates only, which always use the transmitted order). */
enum gpcert_ecasd_sigdata {
	GPCERT_ECASD_SIGDATA_TRANSMITTED, /* default: the TLVs before 5F37 in transmitted order, as V1 */
	GPCERT_ECASD_SIGDATA_NJIWA,	  /* 7F49, 93, 42, 5F20, 5F25, 5F24, 53/73 (NJ makeCertificateSigData,
					   * "Table 11-3 GPC UICC Configuration v1.0"); 95 and 45 not signed */
	_NUM_GPCERT_ECASD_SIGDATAS
};
extern const struct value_string gpcert_ecasd_sigdata_names[];

struct gpcert_variant {
	enum gpcert_dd_tag dd_tag;		 /* used when encoding */
	enum gpcert_ecasd_sigdata ecasd_sigdata; /* used when signing and verifying ECASD certificates */
};
/* 73, transmitted order. */
extern const struct gpcert_variant gpcert_variant_default;

/* A byte string field: pointer into the decoded input (or the caller's data when encoding). */
struct gpcert_bytes {
	const uint8_t *data;
	size_t len;
};

struct gpcert {
	struct gpcert_bytes raw;	 /* decode: the whole 7F21 TLV */
	struct gpcert_bytes signed_data; /* decode: the value bytes before 5F37 (transmitted order) */
	struct gpcert_bytes serial;	 /* 93 */
	struct gpcert_bytes ca_id;	 /* 42: CA identifier */
	struct gpcert_bytes subject_id;	 /* 5F20 */
	uint16_t key_usage;		 /* 95, 1 or 2 bytes big-endian */
	uint8_t key_usage_len;
	uint32_t effective;	  /* 5F25 as the number YYYYMMDD; 0 = absent */
	uint32_t expiration;	  /* 5F24 as the number YYYYMMDD */
	struct gpcert_bytes sdin; /* 45 (ECASD only), len 0 = absent */
	/* Discretionary data. Decode: dd_tag is the tag seen (0x73 or 0x53, 0 = absent) and dd the raw
	 * value. Encode: if dd.data is set it is written as is under dd_tag (0 = the variant's tag);
	 * otherwise the value is built from cert_type and aki, and omitted when both are absent. */
	uint32_t dd_tag;
	struct gpcert_bytes dd;
	bool has_cert_type;
	uint8_t cert_type;	   /* C8 */
	struct gpcert_bytes aki;   /* C9 (v4.x), len 0 = absent */
	const uint8_t *public_key; /* B0: EC_POINT_LEN bytes 04‖X‖Y */
	uint8_t curve_ref;	   /* F0: GP Amd E Table 4-3 key-parameter reference */
	enum crypto_curve curve;   /* decoded from curve_ref */
	const uint8_t *signature;  /* 5F37: EC_SIG_LEN bytes r‖s */
};

/* GP key-parameter reference (F0) for a curve: 00 P-256, 03 brainpoolP256r1. */
uint8_t gpcert_curve_ref(enum crypto_curve curve);

/* Decode one certificate at the start of buf. Returns the bytes it occupies, or a negative errno
 * with *reason set (reason may be NULL). Trailing bytes after the 7F21 TLV are not consumed: use
 * gpcert_decode_exact() when buf must hold exactly one certificate. */
int gpcert_decode(struct gpcert *out, const uint8_t *buf, size_t len, enum gpcert_err *reason);
/* As gpcert_decode(), but buf must be exactly one certificate (GPCERT_ERR_MALFORMED otherwise). */
int gpcert_decode_exact(struct gpcert *out, const uint8_t *buf, size_t len, enum gpcert_err *reason);

/* Encode c (including c->signature, which must be set) into out in the canonical order of the
 * header comment. Returns the length or a negative errno (-EINVAL: a mandatory field missing or
 * over its cap). */
int gpcert_encode(uint8_t *out, size_t cap, const struct gpcert *c, const struct gpcert_variant *v);

/* The bytes the signature covers, for the certificate's type and the variant (a copy in out).
 * Returns the length or a negative errno. */
int gpcert_signed_data(const struct gpcert *c, const struct gpcert_variant *v, uint8_t *out, size_t cap);

/* Encode c and sign it with issuer (ECDSA-SHA-256, raw r‖s). c->signature is ignored; on return
 * it and every other pointer of c point into out (c is re-decoded from out). Returns the length. */
int gpcert_sign(uint8_t *out, size_t cap, struct gpcert *c, const struct gpcert_variant *v, const EVP_PKEY *issuer);

/* The type a certificate claims: C8 01/02 with key usage 88 → DP/SR; key usage 0080 without C8 →
 * ECASD. -EBADMSG (GPCERT_ERR_WRONG_TYPE) when it is none of these. */
int gpcert_type_of(const struct gpcert *c, enum gpcert_err *reason);

/* The subject public key as an EVP_PKEY (on-curve checked; GPCERT_ERR_BAD_PUBLIC_KEY if not). */
int gpcert_public_key(const struct gpcert *c, EVP_PKEY **out, enum gpcert_err *reason);

/* What gpcert_check() checks besides the signature. */
struct gpcert_check_opts {
	bool check_type;
	enum gpcert_type type;		      /* the expected type when check_type */
	uint32_t date;			      /* YYYYMMDD to check validity at; 0 = no date check */
	const struct gpcert_variant *variant; /* NULL = default */
};

/* Today (UTC) as YYYYMMDD. */
uint32_t gpcert_date_today(void);
/* YYYYMMDD from "YYYYMMDD" text; -EINVAL if malformed. */
int gpcert_date_parse(const char *s, uint32_t *out);

/* Check a decoded certificate against its issuer's public key, in this order: type (if asked),
 * validity at the date (if given; the certificate is valid on its effective and expiration days),
 * signature. Returns 0, or -EBADMSG with *reason. */
int gpcert_check(const struct gpcert *c, const EVP_PKEY *issuer, const struct gpcert_check_opts *o,
		 enum gpcert_err *reason);

/* Chain to the X.509 CI: CERT.SR.ECDSA / CERT.DP.ECDSA checked with the CI certificate's public key
 * (and, if the certificate carries an AKI C9, that it equals the CI's SubjectKeyIdentifier). */
int gpcert_check_ci(const struct gpcert *c, X509 *ci, const struct gpcert_check_opts *o, enum gpcert_err *reason);
/* Chain for CERT.ECASD.ECKA: the X.509 EUM certificate must be signed by the X.509 CI, then the GP
 * certificate is checked with the EUM's public key (AKI against the EUM's SKI as above). */
int gpcert_check_eum(const struct gpcert *c, X509 *eum, X509 *ci, const struct gpcert_check_opts *o,
		     enum gpcert_err *reason);
