/* ECKA-EG key establishment as SGP.02 uses it (GP Amd E Scenario #3 with the key derivation of GP
 * Amd A; SGP.02 §3.1.2 EstablishISDPKeySet and §3.8 ISD-R key set for SM-SR change; digest §4.7,
 * open-questions §3/§4/§15):
 *
 *   host (SM-DP / new SM-SR): ephemeral key pair (eSK, ePK); ShS = x(eSK · PK.ECASD.ECKA)
 *   card (ECASD):             ShS = x(SK.ECASD.ECKA · ePK); DR = random if requested
 *   both: KeyData = X9.63-KDF-SHA256(ShS, SharedInfo), SharedInfo = KUQ ‖ key type ‖ key length ‖ [DR] ‖
 *         [len ‖ HostID]; KeyData = receipt key ‖ key set; receipt = AES-CMAC(receipt key, A6 CRT [‖ 85 L DR])
 *
 * The points the sources disagree on are NAMED VARIANTS (struct ecka_variants, each enum with a name
 * table); ecka_variants_default holds the defaults of open-questions §16.
 *
 * Trust: the CRT, ePK, DR and receipt come from the peer and are UNTRUSTED: decoders check every
 * length against a cap, never allocate, and decoded pointers point into the input. Key material is
 * secret and never logged. EVP_PKEY objects are owned by the caller unless a comment says otherwise.
 * Returns 0 / bytes written or consumed, or a negative errno: -EINVAL bad argument or point, -EAGAIN
 * truncated, -EBADMSG malformed, -EMSGSIZE output too small, -EACCES receipt does not verify, -EIO
 * crypto failure. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <openssl/evp.h>
#include <osmocom/core/utils.h>

#include "lib/crypto/ec.h"

#define ECKA_KEY_MAX	    32
#define ECKA_RECEIPT_LEN    16 /* AES-CMAC */
#define ECKA_DR_MAX	    32
#define ECKA_HOSTID_MAX	    16
#define ECKA_SDIN_MAX	    16
#define ECKA_COUNTER_MAX    5
#define ECKA_CRT_MAX	    96 /* the whole A6 TLV: all fields at their caps fit */
#define ECKA_KEYDATA_MAX    (4 * ECKA_KEY_MAX)
#define ECKA_SHAREDINFO_MAX (3 + 1 + ECKA_DR_MAX + 1 + ECKA_HOSTID_MAX)

/* Which key set is established. */
enum ecka_target {
	ECKA_TARGET_ISDP, /* SCP03 key set of a new ISD-P (ES8.EstablishISDPKeySet) */
	ECKA_TARGET_ISDR, /* SCP80 key set of the ISD-R for the new SM-SR (ES7.CreateAdditionalKeySet) */
	/* SCP81 PSK-TLS key set of the ISD-R, established by the SM-SR that manages the eUICC (digest §2.1
	 * step 26 "new SCP81 PSK key set"; Njiwa CreateSCP81KeySet): key type 85, KUQ 5C "one key",
	 * KeyData = receipt key ‖ PSK */
	ECKA_TARGET_ISDR_SCP81,
};
extern const struct value_string ecka_target_names[];

/* Key-usage qualifier in the CRT (tag 95) and SharedInfo: 10 (trace, WHTY) or 5C (Njiwa ISD-P). */
enum ecka_kuq {
	ECKA_KUQ_10 = 0x10,
	ECKA_KUQ_5C = 0x5C,
};
extern const struct value_string ecka_kuq_names[];

/* How KeyData is split for an ISD-P: receipt ‖ ENC ‖ MAC ‖ DEK (trace) or receipt ‖ one base key (Njiwa). */
enum ecka_isdp_split {
	ECKA_ISDP_RCPT_ENC_MAC_DEK,
	ECKA_ISDP_RCPT_BASEKEY,
};
extern const struct value_string ecka_isdp_split_names[];

/* … and for an ISD-R: receipt ‖ KIc ‖ KID ‖ KIK (WHTY, 64 bytes) or receipt ‖ KIc ‖ KID (Njiwa, 48). */
enum ecka_isdr_split {
	ECKA_ISDR_RCPT_KIC_KID_KIK,
	ECKA_ISDR_RCPT_KIC_KID,
};
extern const struct value_string ecka_isdr_split_names[];

/* What the receipt MACs: the A6 CRT and then `85 L DR` when a DR was used (Njiwa), or the CRT only (WHTY). */
enum ecka_receipt_input {
	ECKA_RECEIPT_A6_THEN_DR_IF_ANY,
	ECKA_RECEIPT_A6_ONLY,
};
extern const struct value_string ecka_receipt_input_names[];

/* Order of the optional SharedInfo parts. */
enum ecka_sharedinfo_order {
	ECKA_SI_DR_THEN_HOSTID, /* Njiwa, citing GP Amd A Table 3-28 */
	ECKA_SI_HOSTID_THEN_DR,
};
extern const struct value_string ecka_sharedinfo_order_names[];

/* ePK inside 7F49: `B0 41 04‖X‖Y F0 01 ref` (well-formed constructed), `B0 …` only, or raw `04‖X‖Y` (trace). */
enum ecka_epk_encoding {
	ECKA_EPK_B0_F0,
	ECKA_EPK_B0,
	ECKA_EPK_RAW,
};
extern const struct value_string ecka_epk_encoding_names[];

struct ecka_variants {
	enum ecka_kuq isdp_kuq, isdr_kuq;
	enum ecka_isdp_split isdp_split;
	enum ecka_isdr_split isdr_split;
	enum ecka_receipt_input receipt_input;
	enum ecka_sharedinfo_order sharedinfo_order;
	enum ecka_epk_encoding epk_encoding;
	uint8_t isdp_scenario_param, isdr_scenario_param; /* 09 / 0E by default (open-questions §4) */
};
extern const struct ecka_variants ecka_variants_default;

/* ScenarioParameter bits (GP Amd E Table 4-17 as the implementations read it; open-questions §4). */
#define ECKA_SP_DELETE_KEYS 0x01 /* meaning unconfirmed: never set for the ISD-R */
#define ECKA_SP_DR	    0x02 /* a DR is generated and used */
#define ECKA_SP_HOSTID	    0x04 /* HostID (and SDIN) present */
#define ECKA_SP_CERT_FIRST  0x08 /* certificate verification precedes key establishment */

#define ECKA_KEY_TYPE_AES     0x88
#define ECKA_KEY_TYPE_PSK_TLS 0x85 /* GP CS Table 11-16: PSK-TLS (digest §4.7, NJ KeyComponent) */

/* The key-agreement control reference template `A6` (digest §4.7). */
struct ecka_crt {
	uint8_t scenario;	/* 90: 03 */
	uint8_t param;		/* 90: ScenarioParameter */
	uint8_t kuq;		/* 95 */
	uint8_t key_type;	/* 80: 88 = AES */
	uint8_t key_len;	/* 81: 10 */
	uint8_t kid;		/* 82: first key id */
	uint8_t kvn;		/* 83 */
	const uint8_t *counter; /* 91: initial sequence counter, 0..5 bytes */
	size_t counter_len;
	const uint8_t *host_id; /* 84: 1..16 bytes, or NULL */
	size_t host_id_len;
	const uint8_t *sdin; /* 45: 1..16 bytes, or NULL */
	size_t sdin_len;
	bool has_key_access;
	uint8_t key_access; /* 96 */
};
/* A CRT with the SGP.02 constants (scenario 03, type 88, length 10, first KID 01, empty counter) and
 * the variant's KUQ and ScenarioParameter for the target. */
void ecka_crt_default(struct ecka_crt *c, enum ecka_target target, const struct ecka_variants *v, uint8_t kvn);
/* Writes the whole `A6 L …` TLV in the order 90 95 80 81 82 83 91 [84] [45] [96]. */
int ecka_crt_encode(const struct ecka_crt *c, uint8_t *out, size_t cap);
/* Decodes an `A6` TLV at the start of buf (90, 95, 80, 81, 82, 83 mandatory; unknown or repeated tags,
 * a scenario other than 03 or a key length other than 16/24/32 are -EBADMSG). Returns bytes consumed. */
int ecka_crt_decode(struct ecka_crt *c, const uint8_t *buf, size_t len);

/* The `7F49` TLV for an uncompressed point (key_ref goes into F0: 00 P-256, 03 brainpoolP256r1). */
int ecka_epk_encode(enum ecka_epk_encoding enc, const uint8_t point[EC_POINT_LEN], enum crypto_curve curve,
		    uint8_t *out, size_t cap);
/* Decodes a `7F49` TLV in any of the three encodings; *point points into buf (65 bytes). */
int ecka_epk_decode(const uint8_t *buf, size_t len, const uint8_t **point);

/* DR length for a curve (GP Amd A Table 3-27: 16 bytes for curves up to 383 bits). */
size_t ecka_dr_len(enum crypto_curve curve);

/* SharedInfo from the CRT (KUQ, key type, key length, HostID) and the DR (NULL if none). */
int ecka_shared_info(const struct ecka_crt *crt, const uint8_t *dr, size_t dr_len, enum ecka_sharedinfo_order order,
		     uint8_t *out, size_t cap);

struct ecka_keys {
	size_t key_len;
	uint8_t receipt_key[ECKA_KEY_MAX];
	/* ISD-P: ENC, MAC, DEK (or the base key alone); ISD-R: KIc, KID, KIK (or KIc, KID); ISD-R SCP81: PSK. */
	uint8_t key[3][ECKA_KEY_MAX];
	unsigned int n_keys;
};
/* KeyData length for a target and variant, for key length key_len. */
size_t ecka_key_data_len(enum ecka_target target, const struct ecka_variants *v, size_t key_len);
/* X9.63 KDF over ShS and the SharedInfo built from crt and dr, split per target and variant. */
int ecka_derive(const uint8_t shs[EC_SCALAR_LEN], const struct ecka_crt *crt, const uint8_t *dr, size_t dr_len,
		enum ecka_target target, const struct ecka_variants *v, struct ecka_keys *out);
/* Receipt = AES-CMAC(receipt key, crt_tlv [‖ 85 L DR]). */
int ecka_receipt(const struct ecka_keys *k, const uint8_t *crt_tlv, size_t crt_len, const uint8_t *dr, size_t dr_len,
		 enum ecka_receipt_input input, uint8_t receipt[ECKA_RECEIPT_LEN]);

/* --- host side (SM-DP for an ISD-P, the new SM-SR for the ISD-R) ---------------------------------- */
struct ecka_host {
	EVP_PKEY *eph; /* owned; freed by ecka_host_free() */
	uint8_t epk[EC_POINT_LEN];
	uint8_t shs[EC_SCALAR_LEN];
};
/* Ephemeral key pair (generated, or from eph_priv for reproducible tests) and ShS with PK.ECASD.ECKA. */
int ecka_host_start(struct ecka_host *h, const EVP_PKEY *card_pub, const uint8_t *eph_priv, size_t eph_len);
/* Derive the keys with the card's DR (NULL if none) and check its receipt: -EACCES if it differs. */
int ecka_host_finish(struct ecka_host *h, const uint8_t *crt_tlv, size_t crt_len, const uint8_t *dr, size_t dr_len,
		     const uint8_t *receipt, size_t receipt_len, enum ecka_target target, const struct ecka_variants *v,
		     struct ecka_keys *keys);
void ecka_host_free(struct ecka_host *h);

/* --- card side (ECASD) ---------------------------------------------------------------------------- */
struct ecka_card_result {
	uint8_t dr[ECKA_DR_MAX];
	size_t dr_len; /* 0 when the ScenarioParameter did not ask for a DR */
	uint8_t receipt[ECKA_RECEIPT_LEN];
	struct ecka_keys keys;
};
/* From SK.ECASD.ECKA, the received ePK (uncompressed point) and A6 TLV: ShS, DR (random, or dr_fixed
 * when not NULL, for tests), keys and receipt. */
int ecka_card_establish(const EVP_PKEY *sk, const uint8_t *epk, size_t epk_len, const uint8_t *crt_tlv, size_t crt_len,
			enum ecka_target target, const struct ecka_variants *v, const uint8_t *dr_fixed,
			struct ecka_card_result *r);
