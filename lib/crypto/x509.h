/* X.509 certificate primitives on OpenSSL 3 for the GP-certificate chain (SGP.02 §2.3 / digest §4.6:
 * the CI and EUM certificates are X.509, the SM-SR, SM-DP and ECASD certificates GP `7F21`).
 *
 * Certificates are UNTRUSTED input: parsing checks the encoding only; trust comes from
 * crypto_x509_verify_signed_by(). X509 and EVP_PKEY objects are owned by the caller (X509_free,
 * EVP_PKEY_free). Returns 0 or a negative errno: -EINVAL bad argument, -EBADMSG not a certificate or
 * the signature does not verify, -ENOENT the extension is absent, -EMSGSIZE output too small, -EIO
 * OpenSSL failure. */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#define CRYPTO_X509_MAX_INPUT 65536 /* a cap on a PEM or DER certificate: ours are < 2 KiB */

/* One certificate from PEM (the first one in buf) or DER. */
int crypto_x509_from_pem(const uint8_t *pem, size_t len, X509 **out);
int crypto_x509_from_der(const uint8_t *der, size_t len, X509 **out);

/* The certificate's public key, if it is an EC key on one of the crypto_curve curves (a new
 * reference: free it with EVP_PKEY_free). -EINVAL if it is another key type or curve. */
int crypto_x509_public_key(X509 *cert, EVP_PKEY **out);

/* 0 if cert's signature verifies with issuer's public key (and the issuer name matches the
 * issuer's subject), -EBADMSG if not. Dates and extensions are not checked here. */
int crypto_x509_verify_signed_by(X509 *cert, X509 *issuer);

/* The SubjectKeyIdentifier extension value. Returns its length, -ENOENT if absent. */
int crypto_x509_ski(X509 *cert, uint8_t *out, size_t cap);
