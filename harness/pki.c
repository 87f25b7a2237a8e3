/* `rsplab pki init DIR`: the run's test PKI (see pki.h). X.509 parts use OpenSSL's X509 API; EC
 * keys and GP certificates come from lib/crypto/ec.h and lib/gpcert. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "harness/cli.h"
#include "harness/pki.h"
#include "lib/crypto/ec.h"
#include "lib/crypto/sym.h"
#include "lib/crypto/x509.h"
#include "lib/gpcert/gpcert.h"

#define PKI_YEARS_CI   20
#define PKI_YEARS_LEAF 10
#define PKI_SKI_LEN    20
#define PKI_SERIAL_LEN 8
#define PKI_MAX_FILE   16384

static const char readme[] =
	"rsplab test PKI (written by `rsplab pki init`). FOR TESTS ONLY: every private key is here.\n"
	"Private keys have mode 0600. Hex files hold one line of lowercase hex.\n"
	"\n"
	"curve                   the curve of the CI, EUM, GP and ECASD keys (p256 | brainpoolp256r1)\n"
	"ci/cert.pem             CI: X.509 self-signed root, ECDSA-SHA256\n"
	"ci/key.pem        0600  SK.CI.ECDSA, PKCS#8 PEM\n"
	"ci/public.hex           PK.CI.ECDSA, 04||X||Y (what the ECASD stores)\n"
	"eum/cert.pem            EUM: X.509 signed by the CI\n"
	"eum/key.pem       0600  SK.EUM.ECDSA (signs the EIS and CERT.ECASD.ECKA)\n"
	"eum/public.hex          PK.EUM.ECDSA, 04||X||Y\n"
	"smsr1/ smsr2/           SM-SRs; smdp1/ smdp2/ SM-DPs; in each:\n"
	"  gp-cert.hex           CERT.SR.ECDSA / CERT.DP.ECDSA (GP 7F21, signed by the CI)\n"
	"  gp-cert-rogue.hex     the same key certified by another CI that nobody trusts (negative tests)\n"
	"  gp-key.hex      0600  SK.SR.ECDSA / SK.DP.ECDSA, raw 32-byte scalar\n"
	"  gp-public.hex         the certificate's public key, 04||X||Y\n"
	"  tls-cert.pem          X.509 TLS certificate for the ES interfaces, signed by the CI,\n"
	"                        subjectAltName localhost and 127.0.0.1, server and client auth, P-256\n"
	"  tls-key.pem     0600  its key, PKCS#8 PEM\n"
	"mno1/ mno2/ eum/        tls-cert.pem + tls-key.pem only (as above): the operators' platforms and\n"
	"                        the EUM's ES1 client, played by rsplab run\n"
	"euicc/eids              the EIDs, one per line\n"
	"euicc/<EID>/ecasd-cert.hex       CERT.ECASD.ECKA (GP 7F21, signed by the EUM)\n"
	"euicc/<EID>/ecasd-key.hex  0600  SK.ECASD.ECKA, raw 32-byte scalar\n"
	"euicc/<EID>/ecasd-public.hex     PK.ECASD.ECKA, 04||X||Y\n"
	"\n"
	"GP certificate fields: 93 random serial; 42 the issuer's key identifier; 5F20 the subject's key\n"
	"identifier (SR/DP) or the EID (ECASD); key identifiers are the first 20 bytes of SHA-256 of the\n"
	"04||X||Y point (RFC 7093 method 1). 95 88 + C8 01|02 (DP/SR) or 95 0080 (ECASD); 5F25 today;\n"
	"5F24 today + 10 years; discretionary data under 73; signature over the transmitted TLVs.\n"
	"Check one: rsplab tool cert verify --cert $(cat smdp1/gp-cert.hex) --issuer-public $(cat ci/public.hex)\n";

static const struct {
	const char *name;
	enum gpcert_type type;
} servers[] = {
	{ "smsr1", GPCERT_TYPE_SR },
	{ "smsr2", GPCERT_TYPE_SR },
	{ "smdp1", GPCERT_TYPE_DP },
	{ "smdp2", GPCERT_TYPE_DP },
};

/* --- files ------------------------------------------------------------------------------------- */

struct pki_ctx {
	const struct pki_opts *o;
	uint32_t today, expiry;
};

static int path_of(char *out, const struct pki_ctx *p, const char *rel)
{
	int n = snprintf(out, PATH_MAX, "%s/%s", p->o->dir, rel);

	if (n < 0 || n >= PATH_MAX) {
		fprintf(stderr, "pki: path too long: %s/%s\n", p->o->dir, rel);
		return -EINVAL;
	}
	return 0;
}

static int make_dir(const struct pki_ctx *p, const char *rel)
{
	char path[PATH_MAX];

	if (path_of(path, p, rel) < 0)
		return -EINVAL;
	if (mkdir(path, 0700) < 0 && errno != EEXIST) {
		fprintf(stderr, "pki: mkdir %s: %s\n", path, strerror(errno));
		return -EIO;
	}
	return 0;
}

/* Creates rel with exactly this mode; an existing file is replaced only with --force. */
static int write_file(const struct pki_ctx *p, const char *rel, const void *data, size_t len, mode_t mode)
{
	char path[PATH_MAX];
	const uint8_t *b = data;
	int fd, rc = 0;

	if (path_of(path, p, rel) < 0)
		return -EINVAL;
	if (p->o->force && unlink(path) < 0 && errno != ENOENT) {
		fprintf(stderr, "pki: unlink %s: %s\n", path, strerror(errno));
		return -EIO;
	}
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
	if (fd < 0) {
		fprintf(stderr, "pki: create %s: %s\n", path, strerror(errno));
		return -EIO;
	}
	if (fchmod(fd, mode) < 0)
		rc = -EIO;
	while (rc == 0 && len > 0) {
		ssize_t w = write(fd, b, len);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			rc = -EIO;
			break;
		}
		b += w;
		len -= (size_t)w;
	}
	if (close(fd) < 0)
		rc = -EIO;
	if (rc < 0)
		fprintf(stderr, "pki: write %s: %s\n", path, strerror(errno));
	return rc;
}

static int write_hex(const struct pki_ctx *p, const char *rel, const uint8_t *buf, size_t len, mode_t mode)
{
	char hex[2 * GPCERT_MAX_LEN + 2];
	int rc;

	if (2 * len + 2 > sizeof(hex))
		return -EINVAL;
	for (size_t i = 0; i < len; i++)
		snprintf(hex + 2 * i, 3, "%02x", buf[i]);
	hex[2 * len] = '\n';
	rc = write_file(p, rel, hex, 2 * len + 1, mode);
	OPENSSL_cleanse(hex, sizeof(hex));
	return rc;
}

static int write_line(const struct pki_ctx *p, const char *rel, const char *text)
{
	char line[64];
	int n = snprintf(line, sizeof(line), "%s\n", text);

	return n > 0 && (size_t)n < sizeof(line) ? write_file(p, rel, line, (size_t)n, 0644) : -EINVAL;
}

/* PEM through a memory BIO, so the file is created by write_file with its mode. */
static int write_pem(const struct pki_ctx *p, const char *rel, X509 *cert, EVP_PKEY *key)
{
	BIO *bio = BIO_new(BIO_s_mem());
	char *data = NULL;
	long len;
	int rc = -EIO;

	if (!bio)
		return -ENOMEM;
	if (cert ? PEM_write_bio_X509(bio, cert) : PEM_write_bio_PrivateKey(bio, key, NULL, NULL, 0, NULL, NULL)) {
		len = BIO_get_mem_data(bio, &data);
		if (len > 0)
			rc = write_file(p, rel, data, (size_t)len, cert ? 0644 : 0600);
		if (len > 0 && !cert)
			OPENSSL_cleanse(data, (size_t)len);
	}
	BIO_free(bio);
	return rc;
}

/* --- helpers ----------------------------------------------------------------------------------- */

static void kv_hex(FILE *f, const char *key, const uint8_t *buf, size_t len)
{
	if (!f)
		return;
	fprintf(f, "%s=", key);
	for (size_t i = 0; i < len; i++)
		fprintf(f, "%02x", buf[i]);
	fprintf(f, "\n");
}

static void kv_path(const struct pki_ctx *p, const char *key, const char *rel)
{
	if (p->o->summary)
		fprintf(p->o->summary, "%s=%s/%s\n", key, p->o->dir, rel);
}

/* RFC 7093 method 1: the leftmost 160 bits of SHA-256 of the public key point. */
static int key_id(const EVP_PKEY *key, uint8_t id[PKI_SKI_LEN])
{
	uint8_t point[EC_POINT_LEN], digest[SHA256_LEN];
	int rc = crypto_ec_export_public(key, point);

	if (rc == 0)
		rc = crypto_sha256(point, sizeof(point), digest);
	memcpy(id, digest, PKI_SKI_LEN);
	return rc;
}

/* YYYYMMDD plus years (29 February becomes 28 February in a non-leap year). */
static uint32_t add_years(uint32_t d, unsigned int years)
{
	uint32_t r = d + years * 10000, ok;
	char s[16];

	snprintf(s, sizeof(s), "%08u", (unsigned int)r);
	return gpcert_date_parse(s, &ok) == 0 ? r : r - 1;
}

bool pki_eid_valid(const char *eid)
{
	unsigned int mod = 0;

	if (!eid || strlen(eid) != PKI_EID_DIGITS)
		return false;
	for (const char *c = eid; *c; c++) {
		if (*c < '0' || *c > '9')
			return false;
		mod = (mod * 10 + (unsigned int)(*c - '0')) % 97;
	}
	return mod == 1;
}

/* A fresh EID: a fixed test prefix, 10 random digits, check digits so that EID mod 97 = 1. */
static int eid_generate(char eid[PKI_EID_DIGITS + 1])
{
	static const char prefix[] = "89049032123451234"; /* 17 digits, test-only issuer part */
	uint8_t rnd[13];
	unsigned int mod = 0;

	if (crypto_random(rnd, sizeof(rnd)) < 0)
		return -EIO;
	memcpy(eid, prefix, 17);
	for (int i = 0; i < 13; i++)
		eid[17 + i] = (char)('0' + rnd[i] % 10);
	for (int i = 0; i < 30; i++)
		mod = (mod * 10 + (unsigned int)(eid[i] - '0')) % 97;
	mod = 98 - (mod * 100) % 97;
	eid[30] = (char)('0' + mod / 10);
	eid[31] = (char)('0' + mod % 10);
	eid[32] = '\0';
	return 0;
}

/* --- X.509 ------------------------------------------------------------------------------------- */

enum x509_kind { X509_ROOT, X509_EUM, X509_TLS };

static int add_ext(X509 *x, X509V3_CTX *ctx, int nid, const char *value)
{
	X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, ctx, nid, value);
	int ok = ext && X509_add_ext(x, ext, -1);

	X509_EXTENSION_free(ext);
	return ok ? 0 : -EIO;
}

static X509 *make_x509(const char *cn, enum x509_kind kind, EVP_PKEY *key, X509 *issuer, EVP_PKEY *issuer_key,
		       unsigned int years, const char *san)
{
	X509 *x = X509_new();
	X509_NAME *name;
	X509V3_CTX ctx;
	uint8_t serial[16];
	BIGNUM *bn = NULL;
	int rc = -EIO;

	if (!x || crypto_random(serial, sizeof(serial)) < 0)
		goto out;
	serial[0] &= 0x7F; /* positive, RFC 5280 §4.1.2.2 */
	bn = BN_bin2bn(serial, sizeof(serial), NULL);
	name = X509_get_subject_name(x);
	if (!bn || !BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) || !X509_set_version(x, 2) ||
	    !X509_gmtime_adj(X509_getm_notBefore(x), -3600) ||
	    !X509_gmtime_adj(X509_getm_notAfter(x), (long)years * 365 * 24 * 3600) ||
	    !X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, (const unsigned char *)"rsplab test PKI", -1, -1, 0) ||
	    !X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0) ||
	    !X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer) : name) || !X509_set_pubkey(x, key))
		goto out;
	X509V3_set_ctx(&ctx, issuer ? issuer : x, x, NULL, NULL, 0);
	switch (kind) {
	case X509_ROOT:
		rc = add_ext(x, &ctx, NID_basic_constraints, "critical,CA:TRUE");
		if (!rc)
			rc = add_ext(x, &ctx, NID_key_usage, "critical,keyCertSign,cRLSign,digitalSignature");
		break;
	case X509_EUM:
		/* The EUM signs CERT.ECASD.ECKA (GP format) and the EIS. */
		rc = add_ext(x, &ctx, NID_basic_constraints, "critical,CA:TRUE,pathlen:0");
		if (!rc)
			rc = add_ext(x, &ctx, NID_key_usage, "critical,keyCertSign,digitalSignature");
		break;
	case X509_TLS:
		rc = add_ext(x, &ctx, NID_basic_constraints, "critical,CA:FALSE");
		if (!rc)
			rc = add_ext(x, &ctx, NID_key_usage, "critical,digitalSignature");
		if (!rc)
			rc = add_ext(x, &ctx, NID_ext_key_usage, "serverAuth,clientAuth");
		if (!rc)
			rc = add_ext(x, &ctx, NID_subject_alt_name, san ? san : "DNS:localhost,IP:127.0.0.1");
		break;
	}
	if (!rc)
		rc = add_ext(x, &ctx, NID_subject_key_identifier, "hash");
	if (!rc && issuer)
		rc = add_ext(x, &ctx, NID_authority_key_identifier, "keyid:always");
	if (!rc && X509_sign(x, issuer_key, EVP_sha256()) <= 0)
		rc = -EIO;
out:
	BN_free(bn);
	if (rc < 0) {
		fprintf(stderr, "pki: cannot make the X.509 certificate '%s'\n", cn);
		X509_free(x);
		return NULL;
	}
	return x;
}

/* --- GP certificates --------------------------------------------------------------------------- */

/* Sign a GP certificate for subject with issuer. subject_id NULL = the subject key's identifier. */
static int make_gpcert(const struct pki_ctx *p, enum gpcert_type type, EVP_PKEY *subject, EVP_PKEY *issuer,
		       const uint8_t *subject_id, size_t subject_id_len, uint8_t *out, size_t cap)
{
	uint8_t serial[PKI_SERIAL_LEN], ca_id[PKI_SKI_LEN], subj[PKI_SKI_LEN], point[EC_POINT_LEN];
	struct gpcert c = { 0 };
	int rc;

	if (crypto_random(serial, sizeof(serial)) < 0 || key_id(issuer, ca_id) < 0 || key_id(subject, subj) < 0 ||
	    crypto_ec_export_public(subject, point) < 0)
		return -EIO;
	c.serial = (struct gpcert_bytes){ serial, sizeof(serial) };
	c.ca_id = (struct gpcert_bytes){ ca_id, sizeof(ca_id) };
	c.subject_id = subject_id ? (struct gpcert_bytes){ subject_id, subject_id_len }
				  : (struct gpcert_bytes){ subj, sizeof(subj) };
	c.effective = p->today;
	c.expiration = p->expiry;
	c.public_key = point;
	c.curve = p->o->curve;
	if (type == GPCERT_TYPE_ECASD) {
		c.key_usage = GPCERT_KU_ECASD;
		c.key_usage_len = 2;
	} else {
		c.key_usage = GPCERT_KU_SIGN;
		c.key_usage_len = 1;
		c.has_cert_type = true;
		c.cert_type = type == GPCERT_TYPE_DP ? GPCERT_CERT_TYPE_SMDP : GPCERT_CERT_TYPE_SMSR;
	}
	rc = gpcert_sign(out, cap, &c, NULL, issuer);
	if (rc < 0)
		fprintf(stderr, "pki: cannot sign a GP certificate: %s\n", strerror(-rc));
	return rc;
}

static int write_scalar(const struct pki_ctx *p, const char *rel, EVP_PKEY *key)
{
	uint8_t d[EC_SCALAR_LEN];
	int rc = crypto_ec_export_private(key, d);

	if (rc == 0)
		rc = write_hex(p, rel, d, sizeof(d), 0600);
	OPENSSL_cleanse(d, sizeof(d));
	return rc;
}

static int write_public(const struct pki_ctx *p, const char *rel, const char *kv, EVP_PKEY *key)
{
	uint8_t point[EC_POINT_LEN];
	int rc = crypto_ec_export_public(key, point);

	if (rc == 0)
		rc = write_hex(p, rel, point, sizeof(point), 0644);
	if (rc == 0)
		kv_hex(p->o->summary, kv, point, sizeof(point));
	return rc;
}

/* One SM-SR or SM-DP: GP key + certificate signed by the CI, TLS key + certificate signed by the CI. */
/* An X.509 TLS certificate for the ES interfaces (P-256, signed by the CI) in name/tls-cert.pem + tls-key.pem. */
static int make_tls(const struct pki_ctx *p, const char *name, X509 *ci, EVP_PKEY *ci_key)
{
	EVP_PKEY *tls = NULL;
	X509 *tls_cert = NULL;
	char rel[64], kv[64], san[1024];
	int rc = -EIO, n;

	if (make_dir(p, name) < 0 || crypto_ec_generate(CRYPTO_CURVE_P256, &tls) < 0)
		goto out;
	/* SAN: localhost, 127.0.0.1 and the extra addresses asked for (rsplab run: the topology's) */
	n = snprintf(san, sizeof(san), "DNS:localhost,IP:127.0.0.1");
	for (unsigned int i = 0; i < p->o->n_tls_ips && n > 0 && (size_t)n < sizeof(san); i++)
		n += snprintf(san + n, sizeof(san) - (size_t)n, ",IP:%s", p->o->tls_ips[i]);
	if (n < 0 || (size_t)n >= sizeof(san))
		goto out;
	tls_cert = make_x509(name, X509_TLS, tls, ci, ci_key, PKI_YEARS_LEAF, san);
	if (!tls_cert)
		goto out;
	snprintf(rel, sizeof(rel), "%s/tls-cert.pem", name);
	if (write_pem(p, rel, tls_cert, NULL) < 0)
		goto out;
	snprintf(kv, sizeof(kv), "%s.tls_cert", name);
	kv_path(p, kv, rel);
	snprintf(rel, sizeof(rel), "%s/tls-key.pem", name);
	if (write_pem(p, rel, NULL, tls) < 0)
		goto out;
	snprintf(kv, sizeof(kv), "%s.tls_key", name);
	kv_path(p, kv, rel);
	rc = 0;
out:
	X509_free(tls_cert);
	EVP_PKEY_free(tls);
	return rc;
}

static int make_server(const struct pki_ctx *p, const char *name, enum gpcert_type type, X509 *ci, EVP_PKEY *ci_key,
		       EVP_PKEY *rogue_key)
{
	EVP_PKEY *gp = NULL;
	uint8_t cert[GPCERT_MAX_LEN];
	struct gpcert c;
	char rel[64], kv[64];
	int n, rc = -EIO;

	if (make_dir(p, name) < 0)
		return -EIO;
	if (crypto_ec_generate(p->o->curve, &gp) < 0)
		goto out;
	n = make_gpcert(p, type, gp, ci_key, NULL, 0, cert, sizeof(cert));
	if (n < 0 || gpcert_decode_exact(&c, cert, (size_t)n, NULL) != n)
		goto out;
	snprintf(rel, sizeof(rel), "%s/gp-cert.hex", name);
	if (write_hex(p, rel, cert, (size_t)n, 0644) < 0)
		goto out;
	snprintf(kv, sizeof(kv), "%s.gp_cert", name);
	kv_path(p, kv, rel);
	snprintf(kv, sizeof(kv), "%s.type", name);
	if (p->o->summary)
		fprintf(p->o->summary, "%s=%s\n", kv, get_value_string(gpcert_type_names, type));
	snprintf(kv, sizeof(kv), "%s.subject_id", name);
	kv_hex(p->o->summary, kv, c.subject_id.data, c.subject_id.len);
	/* the same key certified by a CI nobody trusts: the "certificate not from the CI" scenarios */
	n = make_gpcert(p, type, gp, rogue_key, NULL, 0, cert, sizeof(cert));
	snprintf(rel, sizeof(rel), "%s/gp-cert-rogue.hex", name);
	if (n < 0 || write_hex(p, rel, cert, (size_t)n, 0644) < 0)
		goto out;
	snprintf(rel, sizeof(rel), "%s/gp-key.hex", name);
	if (write_scalar(p, rel, gp) < 0)
		goto out;
	snprintf(rel, sizeof(rel), "%s/gp-public.hex", name);
	snprintf(kv, sizeof(kv), "%s.public", name);
	if (write_public(p, rel, kv, gp) < 0)
		goto out;

	if (make_tls(p, name, ci, ci_key) < 0)
		goto out;
	rc = 0;
out:
	EVP_PKEY_free(gp);
	return rc;
}

/* One eUICC: ECASD key pair and CERT.ECASD.ECKA signed by the EUM; 5F20 is the EID. */
static int make_euicc(const struct pki_ctx *p, unsigned int idx, const char *eid, EVP_PKEY *eum_key)
{
	EVP_PKEY *key = NULL;
	uint8_t cert[GPCERT_MAX_LEN], eid_bin[PKI_EID_DIGITS / 2];
	char rel[96], kv[64];
	int n, rc = -EIO;

	/* The EID as 16 bytes whose hex text is the 32 digits (digest §4.1). */
	for (int i = 0; i < PKI_EID_DIGITS / 2; i++)
		eid_bin[i] = (uint8_t)((eid[2 * i] - '0') << 4 | (eid[2 * i + 1] - '0'));
	snprintf(rel, sizeof(rel), "euicc/%.32s", eid);
	if (make_dir(p, rel) < 0)
		return -EIO;
	if (crypto_ec_generate(p->o->curve, &key) < 0)
		goto out;
	n = make_gpcert(p, GPCERT_TYPE_ECASD, key, eum_key, eid_bin, sizeof(eid_bin), cert, sizeof(cert));
	if (n < 0)
		goto out;
	if (p->o->summary)
		fprintf(p->o->summary, "euicc%u.eid=%s\n", idx, eid);
	snprintf(rel, sizeof(rel), "euicc/%.32s/ecasd-cert.hex", eid);
	if (write_hex(p, rel, cert, (size_t)n, 0644) < 0)
		goto out;
	snprintf(kv, sizeof(kv), "euicc%u.ecasd_cert", idx);
	kv_path(p, kv, rel);
	snprintf(rel, sizeof(rel), "euicc/%.32s/ecasd-key.hex", eid);
	if (write_scalar(p, rel, key) < 0)
		goto out;
	snprintf(rel, sizeof(rel), "euicc/%.32s/ecasd-public.hex", eid);
	snprintf(kv, sizeof(kv), "euicc%u.public", idx);
	if (write_public(p, rel, kv, key) < 0)
		goto out;
	rc = 0;
out:
	EVP_PKEY_free(key);
	return rc;
}

/* --- the whole PKI ----------------------------------------------------------------------------- */

static int make_eids(const struct pki_opts *o, char (*eids)[PKI_EID_DIGITS + 1], unsigned int *n)
{
	if (o->n_eids) {
		if (o->n_eids > PKI_MAX_EUICC)
			return -EINVAL;
		for (unsigned int i = 0; i < o->n_eids; i++) {
			if (!pki_eid_valid(o->eids[i])) {
				fprintf(stderr, "pki: '%s' is not an EID (32 digits, EID mod 97 = 1)\n", o->eids[i]);
				return -EINVAL;
			}
			for (unsigned int j = 0; j < i; j++)
				if (strcmp(o->eids[i], o->eids[j]) == 0) {
					fprintf(stderr, "pki: EID %s given twice\n", o->eids[i]);
					return -EINVAL;
				}
			memcpy(eids[i], o->eids[i], PKI_EID_DIGITS + 1);
		}
		*n = o->n_eids;
		return 0;
	}
	if (o->n_euicc > PKI_MAX_EUICC)
		return -EINVAL;
	for (unsigned int i = 0; i < o->n_euicc; i++) {
		if (eid_generate(eids[i]) < 0)
			return -EIO;
		for (unsigned int j = 0; j < i; j++)
			if (strcmp(eids[i], eids[j]) == 0)
				i--; /* 10^13 values: a collision is a retry, not an error */
	}
	*n = o->n_euicc;
	return 0;
}

int pki_init(const struct pki_opts *o)
{
	static char eids[PKI_MAX_EUICC][PKI_EID_DIGITS + 1];
	struct pki_ctx p = { .o = o };
	EVP_PKEY *ci_key = NULL, *eum_key = NULL, *rogue_key = NULL;
	X509 *ci = NULL, *eum = NULL;
	char path[PATH_MAX], list[PKI_MAX_EUICC * (PKI_EID_DIGITS + 1) + 1];
	struct stat st;
	unsigned int n_eids = 0;
	size_t list_len = 0;
	int rc;

	if (!o->dir || !*o->dir || (unsigned int)o->curve >= _NUM_CRYPTO_CURVES) {
		fprintf(stderr, "pki: bad arguments\n");
		return -EINVAL;
	}
	if (o->n_euicc > PKI_MAX_EUICC || o->n_eids > PKI_MAX_EUICC) {
		fprintf(stderr, "pki: at most %d eUICCs\n", PKI_MAX_EUICC);
		return -EINVAL;
	}
	for (unsigned int i = 0; i < o->n_tls_ips; i++) {
		uint8_t a[16];
		if (!o->tls_ips[i] ||
		    (inet_pton(AF_INET, o->tls_ips[i], a) != 1 && inet_pton(AF_INET6, o->tls_ips[i], a) != 1)) {
			fprintf(stderr, "pki: '%s' is not an IP address\n", o->tls_ips[i] ? o->tls_ips[i] : "");
			return -EINVAL;
		}
	}
	rc = make_eids(o, eids, &n_eids);
	if (rc < 0)
		return rc;
	if (path_of(path, &p, "README") < 0)
		return -EINVAL;
	if (stat(path, &st) == 0 && !o->force) {
		fprintf(stderr, "pki: %s already holds a PKI; --force replaces it\n", o->dir);
		return -EEXIST;
	}
	if (mkdir(o->dir, 0700) < 0 && errno != EEXIST) {
		fprintf(stderr, "pki: mkdir %s: %s\n", o->dir, strerror(errno));
		return -EIO;
	}
	p.today = gpcert_date_today();
	p.expiry = add_years(p.today, PKI_YEARS_LEAF);
	rc = -EIO;
	if (make_dir(&p, "ci") < 0 || make_dir(&p, "eum") < 0 || make_dir(&p, "euicc") < 0)
		goto out;
	if (o->summary)
		fprintf(o->summary, "dir=%s\ncurve=%s\n", o->dir, crypto_curve_name(o->curve));
	if (write_line(&p, "curve", crypto_curve_name(o->curve)) < 0)
		goto out;

	/* CI: X.509 self-signed root. */
	if (crypto_ec_generate(o->curve, &ci_key) < 0 ||
	    !(ci = make_x509("rsplab test CI", X509_ROOT, ci_key, NULL, ci_key, PKI_YEARS_CI, NULL)))
		goto out;
	if (write_pem(&p, "ci/cert.pem", ci, NULL) < 0 || write_pem(&p, "ci/key.pem", NULL, ci_key) < 0 ||
	    write_public(&p, "ci/public.hex", "ci.public", ci_key) < 0)
		goto out;
	kv_path(&p, "ci.cert", "ci/cert.pem");

	/* A second, untrusted CI: only its signatures are kept (gp-cert-rogue.hex), never its key. */
	if (crypto_ec_generate(o->curve, &rogue_key) < 0)
		goto out;

	/* EUM: X.509 signed by the CI. */
	if (crypto_ec_generate(o->curve, &eum_key) < 0 ||
	    !(eum = make_x509("rsplab test EUM", X509_EUM, eum_key, ci, ci_key, PKI_YEARS_CI, NULL)))
		goto out;
	if (write_pem(&p, "eum/cert.pem", eum, NULL) < 0 || write_pem(&p, "eum/key.pem", NULL, eum_key) < 0 ||
	    write_public(&p, "eum/public.hex", "eum.public", eum_key) < 0)
		goto out;
	kv_path(&p, "eum.cert", "eum/cert.pem");

	for (size_t i = 0; i < sizeof(servers) / sizeof(servers[0]); i++)
		if (make_server(&p, servers[i].name, servers[i].type, ci, ci_key, rogue_key) < 0)
			goto out;
	/* The operators' platforms (played by rsplab run: ES2/ES4 client + notification endpoint) and the EUM
	 * (ES1 client for RegisterEIS) need TLS certificates only. */
	if (make_tls(&p, "mno1", ci, ci_key) < 0 || make_tls(&p, "mno2", ci, ci_key) < 0 ||
	    make_tls(&p, "eum", ci, ci_key) < 0)
		goto out;
	for (unsigned int i = 0; i < n_eids; i++) {
		if (make_euicc(&p, i + 1, eids[i], eum_key) < 0)
			goto out;
		memcpy(list + list_len, eids[i], PKI_EID_DIGITS);
		list[list_len + PKI_EID_DIGITS] = '\n';
		list_len += PKI_EID_DIGITS + 1;
	}
	if (write_file(&p, "euicc/eids", list, list_len, 0644) < 0)
		goto out;
	/* README last: its presence marks a complete PKI. */
	if (write_file(&p, "README", readme, sizeof(readme) - 1, 0644) < 0)
		goto out;
	rc = 0;
out:
	X509_free(ci);
	X509_free(eum);
	EVP_PKEY_free(ci_key);
	EVP_PKEY_free(eum_key);
	EVP_PKEY_free(rogue_key);
	return rc;
}

/* --- command line ------------------------------------------------------------------------------ */

static int usage(FILE *out)
{
	fprintf(out, "usage: rsplab pki init DIR [--curve p256|brainpoolp256r1] [--euicc N] [--eid EID...] [--tls-ip "
		     "IP]... "
		     "[--force]\n"
		     "\n"
		     "Creates a fresh test PKI in DIR (created with mode 0700): CI and EUM (X.509), two SM-SRs\n"
		     "and two SM-DPs (GP certificate + X.509 TLS certificate each), and per eUICC an ECASD key\n"
		     "with CERT.ECASD.ECKA signed by the EUM. DIR/README describes the files. Private keys are\n"
		     "mode 0600 and never printed; the key=value summary lists paths, ids and public keys.\n"
		     "\n"
		     "  --curve   curve of the CI, EUM, GP and ECASD keys (default p256); TLS keys are P-256\n"
		     "  --euicc N number of eUICCs with generated EIDs (default 1, at most 64)\n"
		     "  --eid EID one eUICC with this EID (32 digits, mod 97 = 1); repeatable; replaces --euicc\n"
		     "  --tls-ip IP  one more address in every TLS certificate's subject alternative names\n"
		     "  --force   replace an existing PKI in DIR\n");
	return out == stdout ? 0 : 2;
}

static int cmd_pki_init(int argc, char **argv)
{
	static const char *eids[PKI_MAX_EUICC], *ips[32];
	struct pki_opts o = {
		.curve = CRYPTO_CURVE_P256, .n_euicc = 1, .eids = eids, .tls_ips = ips, .summary = stdout
	};

	for (int i = 2; i < argc; i++) {
		const char *a = argv[i];

		if (cli_is_help(a))
			return usage(stdout);
		if (strcmp(a, "--force") == 0) {
			o.force = true;
			continue;
		}
		if (a[0] != '-') {
			if (o.dir) {
				fprintf(stderr, "pki init: one DIR only\n");
				return usage(stderr);
			}
			o.dir = a;
			continue;
		}
		if (i + 1 >= argc) {
			fprintf(stderr, "pki init: %s needs a value\n", a);
			return usage(stderr);
		}
		if (strcmp(a, "--curve") == 0) {
			int c = crypto_curve_from_name(argv[++i]);

			if (c < 0) {
				fprintf(stderr, "pki init: --curve must be p256 or brainpoolp256r1\n");
				return usage(stderr);
			}
			o.curve = c;
		} else if (strcmp(a, "--euicc") == 0) {
			char *end;
			long n = strtol(argv[++i], &end, 10);

			if (*end || n < 0 || n > PKI_MAX_EUICC) {
				fprintf(stderr, "pki init: --euicc must be 0..%d\n", PKI_MAX_EUICC);
				return usage(stderr);
			}
			o.n_euicc = (unsigned int)n;
		} else if (strcmp(a, "--tls-ip") == 0) {
			/* checked by pki_init() */
			if (o.n_tls_ips >= sizeof(ips) / sizeof(ips[0])) {
				fprintf(stderr, "pki init: at most %zu --tls-ip\n", sizeof(ips) / sizeof(ips[0]));
				return usage(stderr);
			}
			ips[o.n_tls_ips++] = argv[++i];
		} else if (strcmp(a, "--eid") == 0) {
			/* --eid EID... : every following non-option argument is an EID */
			do {
				if (o.n_eids >= PKI_MAX_EUICC) {
					fprintf(stderr, "pki init: at most %d EIDs\n", PKI_MAX_EUICC);
					return usage(stderr);
				}
				eids[o.n_eids++] = argv[++i];
			} while (i + 1 < argc && argv[i + 1][0] != '-' && pki_eid_valid(argv[i + 1]));
		} else {
			fprintf(stderr, "pki init: unknown option '%s'\n", a);
			return usage(stderr);
		}
	}
	if (!o.dir) {
		fprintf(stderr, "pki init: DIR is required\n");
		return usage(stderr);
	}
	return pki_init(&o) < 0 ? 1 : 0;
}

int cmd_pki(int argc, char **argv)
{
	if (argc < 2)
		return usage(stderr);
	if (cli_is_help(argv[1]))
		return usage(stdout);
	if (strcmp(argv[1], "init") == 0)
		return cmd_pki_init(argc, argv);
	fprintf(stderr, "pki: unknown sub-command '%s'\n", argv[1]);
	return usage(stderr);
}
