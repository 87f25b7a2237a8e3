/* Primitives for opening TLS 1.2 records outside OpenSSL's TLS stack (the compliance checker
 * decrypts captures with a key log): the TLS 1.2 PRF (RFC 5246 §5), HMAC-SHA256/384 (RFC 2104) and
 * the AEAD ciphers of the TLS 1.2 suites (AES-GCM, RFC 5288; ChaCha20-Poly1305, RFC 7905), all on
 * OpenSSL 3 EVP (EVP_KDF "TLS1-PRF", EVP_MAC "HMAC", EVP_CIPHER), fetched once.
 *
 * Keys and secrets are caller-trusted and never logged; ciphertext is UNTRUSTED. Returns 0 or the
 * plaintext length, or a negative errno: -EBADMSG authentication tag mismatch, -EINVAL bad
 * argument (key/nonce length), -EIO when OpenSSL fails. */
#pragma once

#include <stddef.h>
#include <stdint.h>

enum crypto_md {
	CRYPTO_MD_SHA256,
	CRYPTO_MD_SHA384,
};

#define CRYPTO_AEAD_TAG	   16
#define CRYPTO_TLS_PRF_MAX 4096

/* TLS 1.2 PRF: P_<md>(secret, label ‖ seed) truncated to out_len (at most CRYPTO_TLS_PRF_MAX). */
int crypto_tls12_prf(enum crypto_md md, const uint8_t *secret, size_t secret_len, const char *label,
		     const uint8_t *seed, size_t seed_len, uint8_t *out, size_t out_len);

/* HMAC; out receives 32 (SHA-256) or 48 (SHA-384) bytes. Returns the MAC length. */
int crypto_hmac(enum crypto_md md, const uint8_t *key, size_t key_len, const uint8_t *msg, size_t len, uint8_t *out);
int crypto_hmac2(enum crypto_md md, const uint8_t *key, size_t key_len, const uint8_t *a, size_t a_len,
		 const uint8_t *b, size_t b_len, uint8_t *out);

enum crypto_aead {
	CRYPTO_AEAD_AES_GCM,	       /* key 16 or 32 bytes, nonce 12 */
	CRYPTO_AEAD_CHACHA20_POLY1305, /* key 32, nonce 12 */
};

/* Decrypt and verify in (ciphertext ‖ 16-byte tag, in_len >= 16) into out (in_len - 16 bytes).
 * Returns the plaintext length or -EBADMSG when the tag does not verify (out is then zeroed). */
int crypto_aead_decrypt(enum crypto_aead alg, const uint8_t *key, size_t key_len, const uint8_t nonce[12],
			const uint8_t *aad, size_t aad_len, const uint8_t *in, size_t in_len, uint8_t *out);
/* Encrypt (for tests and tools): out receives the ciphertext ‖ tag (len + 16 bytes). */
int crypto_aead_encrypt(enum crypto_aead alg, const uint8_t *key, size_t key_len, const uint8_t nonce[12],
			const uint8_t *aad, size_t aad_len, const uint8_t *in, size_t len, uint8_t *out);
