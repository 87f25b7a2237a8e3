/* Key-derivation functions that lib/crypto/sym.h and ec.h do not provide: the ANSI X9.63 KDF with
 * SHA-256 (ANSI X9.63-2011 §5.6.3, SEC 1 v2 §3.6.1), which GP Amd A / Amd E key establishment
 * (ECKA-EG, SGP.02 §3.1.2) uses to turn the ECDH shared secret into key data.
 *
 * Inputs are caller-trusted lengths of key material (the shared secret is secret: never logged).
 * Returns 0 or a negative errno: -EINVAL a NULL buffer or out_len outside 1..CRYPTO_X963_MAX_OUT,
 * -EIO when OpenSSL fails. */
#pragma once

#include <stddef.h>
#include <stdint.h>

/* A cap far above what any GP key set needs (64 bytes), so a caller's bad length cannot spin. */
#define CRYPTO_X963_MAX_OUT 4096

/* KeyData = SHA256(Z ‖ counter32(1) ‖ SharedInfo) ‖ SHA256(Z ‖ counter32(2) ‖ SharedInfo) ‖ …,
 * truncated to out_len bytes. shared_info may be NULL when si_len is 0. */
int crypto_x963_kdf_sha256(const uint8_t *z, size_t z_len, const uint8_t *shared_info, size_t si_len, uint8_t *out,
			   size_t out_len);
