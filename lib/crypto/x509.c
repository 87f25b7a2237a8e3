/* X.509 certificate primitives (see x509.h). */
#include <errno.h>
#include <string.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "lib/crypto/ec.h"
#include "lib/crypto/x509.h"

int crypto_x509_from_pem(const uint8_t *pem, size_t len, X509 **out)
{
	BIO *bio;

	*out = NULL;
	if (!pem || len == 0 || len > CRYPTO_X509_MAX_INPUT)
		return -EINVAL;
	bio = BIO_new_mem_buf(pem, (int)len);
	if (!bio)
		return -ENOMEM;
	*out = PEM_read_bio_X509(bio, NULL, NULL, NULL);
	BIO_free(bio);
	return *out ? 0 : -EBADMSG;
}

int crypto_x509_from_der(const uint8_t *der, size_t len, X509 **out)
{
	const uint8_t *p = der;

	*out = NULL;
	if (!der || len == 0 || len > CRYPTO_X509_MAX_INPUT)
		return -EINVAL;
	*out = d2i_X509(NULL, &p, (long)len);
	if (*out && p != der + len) {
		/* trailing bytes after the certificate */
		X509_free(*out);
		*out = NULL;
	}
	return *out ? 0 : -EBADMSG;
}

int crypto_x509_public_key(X509 *cert, EVP_PKEY **out)
{
	EVP_PKEY *key;

	*out = NULL;
	if (!cert)
		return -EINVAL;
	key = X509_get_pubkey(cert); /* a new reference */
	if (!key)
		return -EBADMSG;
	if (crypto_ec_curve_of(key) < 0) {
		EVP_PKEY_free(key);
		return -EINVAL;
	}
	*out = key;
	return 0;
}

int crypto_x509_verify_signed_by(X509 *cert, X509 *issuer)
{
	EVP_PKEY *key;
	int ok;

	if (!cert || !issuer)
		return -EINVAL;
	if (X509_NAME_cmp(X509_get_issuer_name(cert), X509_get_subject_name(issuer)) != 0)
		return -EBADMSG;
	key = X509_get0_pubkey(issuer); /* borrowed */
	if (!key)
		return -EBADMSG;
	ok = X509_verify(cert, key);
	return ok == 1 ? 0 : -EBADMSG;
}

int crypto_x509_ski(X509 *cert, uint8_t *out, size_t cap)
{
	const ASN1_OCTET_STRING *ski;
	int len;

	if (!cert)
		return -EINVAL;
	ski = X509_get0_subject_key_id(cert);
	if (!ski)
		return -ENOENT;
	len = ASN1_STRING_length(ski);
	if (len < 0 || (size_t)len > cap)
		return -EMSGSIZE;
	memcpy(out, ASN1_STRING_get0_data(ski), (size_t)len);
	return len;
}
