/* Elliptic-curve primitives on OpenSSL 3 EVP for SGP.02: key pairs on NIST P-256 and
 * brainpoolP256r1, raw scalar / uncompressed point import and export, ECDH (ECKA, BSI TR-03111:
 * the shared secret is the x-coordinate), ECDSA with SHA-256 and raw r‖s signatures (the GP
 * certificate format, SGP.02 §4.6 / GP Amd E), and SHA-256.
 *
 * Points and scalars from the network are UNTRUSTED: import checks lengths, the 04 prefix and that
 * the point is on the curve. Keys are EVP_PKEY objects owned by the caller (EVP_PKEY_free). Returns
 * 0 or a negative errno: -EINVAL bad argument or point not on the curve, -EBADMSG signature does not
 * verify, -EIO OpenSSL failure. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <openssl/evp.h>

#define EC_SCALAR_LEN 32 /* both curves are 256-bit */
#define EC_POINT_LEN  65 /* uncompressed: 04 ‖ X ‖ Y */
#define EC_SIG_LEN    64 /* r ‖ s */
#define SHA256_LEN    32

enum crypto_curve { CRYPTO_CURVE_P256, CRYPTO_CURVE_BRAINPOOLP256R1, _NUM_CRYPTO_CURVES };

/* "p256", "brainpoolp256r1"; NULL for an unknown value. */
const char *crypto_curve_name(enum crypto_curve curve);
/* Accepts the names above (case-insensitive) plus "prime256v1"/"secp256r1". Returns the curve or -EINVAL. */
int crypto_curve_from_name(const char *name);

int crypto_ec_generate(enum crypto_curve curve, EVP_PKEY **out);
/* A key pair from the private scalar (the public point is computed). */
int crypto_ec_from_private(enum crypto_curve curve, const uint8_t *scalar, size_t len, EVP_PKEY **out);
/* A public key from an uncompressed point; rejects points not on the curve. */
int crypto_ec_from_public(enum crypto_curve curve, const uint8_t *point, size_t len, EVP_PKEY **out);
int crypto_ec_export_private(const EVP_PKEY *key, uint8_t scalar[EC_SCALAR_LEN]);
int crypto_ec_export_public(const EVP_PKEY *key, uint8_t point[EC_POINT_LEN]);
/* The curve of a key, or -EINVAL if it is on neither supported curve. */
int crypto_ec_curve_of(const EVP_PKEY *key);

/* ECDH: the x-coordinate of priv × peer (both on the same curve). */
int crypto_ecdh(const EVP_PKEY *priv, const EVP_PKEY *peer, uint8_t shared[EC_SCALAR_LEN]);

/* ECDSA over SHA-256(msg), raw r‖s with each half left-padded to 32 bytes. */
int crypto_ecdsa_sign(const EVP_PKEY *priv, const uint8_t *msg, size_t len, uint8_t sig[EC_SIG_LEN]);
/* 0 if sig (raw r‖s, sig_len must be 64) is valid for msg, -EBADMSG if not. */
int crypto_ecdsa_verify(const EVP_PKEY *pub, const uint8_t *msg, size_t len, const uint8_t *sig, size_t sig_len);

int crypto_sha256(const uint8_t *msg, size_t len, uint8_t digest[SHA256_LEN]);
