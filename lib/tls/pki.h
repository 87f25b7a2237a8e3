/* A tiny X.509 factory for test PKIs (run directories, unit tests): EC P-256 keys and certificates
 * signed with ECDSA-SHA256, generated at run time so no private key is ever committed.
 *
 * Input is trusted (our own parameters). Returned objects are owned by the caller and freed with
 * EVP_PKEY_free() / X509_free(). Functions return NULL on failure. */
#pragma once

#include <stdbool.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

/* A fresh EC P-256 key pair. */
EVP_PKEY *tls_pki_key_p256(void);

struct tls_pki_cert_params {
	const char *cn;	      /* subject commonName */
	bool is_ca;	      /* basicConstraints CA:TRUE + keyCertSign, else a TLS leaf */
	long not_before_s;    /* validity relative to now, in seconds (may be negative) */
	long not_after_s;     /* e.g. -3600 with not_before_s = -7200 gives an expired certificate */
	const char *san_dns;  /* optional subjectAltName DNS name (leaf) */
	const char *san_ip;   /* optional subjectAltName IP address (leaf) */
	unsigned long serial; /* serial number */
};

/* Issue a certificate for subject_key. issuer/issuer_key NULL = self-signed with subject_key. */
X509 *tls_pki_cert_issue(const struct tls_pki_cert_params *p, EVP_PKEY *subject_key, X509 *issuer,
			 EVP_PKEY *issuer_key);

/* Write PEM files (the key file is created with mode 0600). Return 0 or a negative errno. */
int tls_pki_write_cert_pem(const char *path, X509 *cert);
int tls_pki_write_key_pem(const char *path, EVP_PKEY *key);
