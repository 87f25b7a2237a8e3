/* Test PKI factory on OpenSSL 3 (see pki.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "lib/tls/pki.h"

EVP_PKEY *tls_pki_key_p256(void)
{
	return EVP_EC_gen("P-256");
}

static int add_ext(X509 *cert, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX v3;
	X509_EXTENSION *ext;
	int rc;

	X509V3_set_ctx_nodb(&v3);
	X509V3_set_ctx(&v3, issuer, cert, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &v3, nid, value);
	if (!ext)
		return -1;
	rc = X509_add_ext(cert, ext, -1) == 1 ? 0 : -1;
	X509_EXTENSION_free(ext);
	return rc;
}

X509 *tls_pki_cert_issue(const struct tls_pki_cert_params *p, EVP_PKEY *subject_key, X509 *issuer, EVP_PKEY *issuer_key)
{
	X509 *x = X509_new();
	X509_NAME *name;
	char san[300];
	bool ok = false;

	if (!x || !subject_key)
		goto out;
	if (!issuer_key)
		issuer_key = subject_key;
	if (X509_set_version(x, X509_VERSION_3) != 1 || ASN1_INTEGER_set(X509_get_serialNumber(x), p->serial) != 1)
		goto out;
	if (!X509_gmtime_adj(X509_getm_notBefore(x), p->not_before_s) ||
	    !X509_gmtime_adj(X509_getm_notAfter(x), p->not_after_s))
		goto out;
	if (X509_set_pubkey(x, subject_key) != 1)
		goto out;
	name = X509_get_subject_name(x);
	if (X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)p->cn, -1, -1, 0) != 1)
		goto out;
	if (X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer) : name) != 1)
		goto out;
	if (add_ext(x, issuer ? issuer : x, NID_subject_key_identifier, "hash") < 0 ||
	    add_ext(x, issuer ? issuer : x, NID_authority_key_identifier, "keyid:always") < 0)
		goto out;
	if (p->is_ca) {
		if (add_ext(x, x, NID_basic_constraints, "critical,CA:TRUE") < 0 ||
		    add_ext(x, x, NID_key_usage, "critical,keyCertSign,cRLSign") < 0)
			goto out;
	} else {
		if (add_ext(x, x, NID_basic_constraints, "critical,CA:FALSE") < 0 ||
		    add_ext(x, x, NID_key_usage, "critical,digitalSignature,keyAgreement") < 0 ||
		    add_ext(x, x, NID_ext_key_usage, "serverAuth,clientAuth") < 0)
			goto out;
		if (p->san_dns || p->san_ip) {
			snprintf(san, sizeof(san), "%s%s%s%s%s", p->san_dns ? "DNS:" : "", p->san_dns ? p->san_dns : "",
				 p->san_dns && p->san_ip ? "," : "", p->san_ip ? "IP:" : "",
				 p->san_ip ? p->san_ip : "");
			if (add_ext(x, x, NID_subject_alt_name, san) < 0)
				goto out;
		}
	}
	if (X509_sign(x, issuer_key, EVP_sha256()) <= 0)
		goto out;
	ok = true;
out:
	if (!ok) {
		X509_free(x);
		return NULL;
	}
	return x;
}

static int write_pem(const char *path, int mode, X509 *cert, EVP_PKEY *key)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	FILE *f;
	int ok;

	if (fd < 0)
		return -errno;
	f = fdopen(fd, "w");
	if (!f) {
		close(fd);
		return -ENOMEM;
	}
	ok = cert ? PEM_write_X509(f, cert) : PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL);
	if (fclose(f) != 0)
		ok = 0;
	return ok == 1 ? 0 : -EIO;
}

int tls_pki_write_cert_pem(const char *path, X509 *cert)
{
	return write_pem(path, 0644, cert, NULL);
}

int tls_pki_write_key_pem(const char *path, EVP_PKEY *key)
{
	return write_pem(path, 0600, NULL, key);
}
