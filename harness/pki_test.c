/* Acceptance test of issue 4 module 5: `rsplab pki init` makes a PKI whose certificates all verify
 * (with lib/gpcert and with `rsplab tool cert verify`) and fail once one byte is changed; private
 * keys are mode 0600 and never printed. */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <osmocom/core/utils.h>

#include "harness/pki.h"
#include "harness/tool.h"
#include "lib/crypto/ec.h"
#include "lib/crypto/x509.h"
#include "lib/gpcert/gpcert.h"
#include "lib/test/runner.h"

#define N_EUICC 2

static char tmp[256], main_dir[300];
static const char *dir = main_dir; /* the PKI the helpers read */
static char *summary;
static size_t summary_len;

static const char *const servers[] = { "smsr1", "smsr2", "smdp1", "smdp2" };

static int rm_cb(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

int suite_setup(void)
{
	const char *base = getenv("TMPDIR");
	struct pki_opts o = { .curve = CRYPTO_CURVE_P256, .n_euicc = N_EUICC };
	FILE *f;
	int rc;

	snprintf(tmp, sizeof(tmp), "%s/rsplab-pki-test-XXXXXX", base && *base ? base : P_tmpdir);
	if (!mkdtemp(tmp))
		return 1;
	/* A DIR that does not exist yet: pki_init creates it. */
	snprintf(main_dir, sizeof(main_dir), "%s/pki", tmp);
	f = open_memstream(&summary, &summary_len);
	if (!f)
		return 1;
	o.dir = main_dir;
	o.summary = f;
	rc = pki_init(&o);
	fclose(f);
	return rc < 0;
}

int suite_teardown(void)
{
	free(summary);
	return tmp[0] ? nftw(tmp, rm_cb, 16, FTW_DEPTH | FTW_PHYS) != 0 : 0;
}

/* A file of the PKI as a NUL-terminated string (trailing newline removed). */
static char *slurp(const char *rel)
{
	char path[512];
	FILE *f;
	char *buf = calloc(1, 65536);
	size_t n;

	CU_ASSERT_PTR_NOT_NULL_FATAL(buf);
	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	f = fopen(path, "r");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	n = fread(buf, 1, 65535, f);
	fclose(f);
	while (n && (buf[n - 1] == '\n'))
		buf[--n] = '\0';
	return buf;
}

static size_t slurp_hex(const char *rel, uint8_t *out, size_t cap)
{
	char *hex = slurp(rel);
	int n = osmo_hexparse(hex, out, (unsigned int)cap);

	CU_ASSERT_FATAL(n > 0 && (size_t)n * 2 == strlen(hex));
	free(hex);
	return (size_t)n;
}

static X509 *load_x509(const char *rel)
{
	char *pem = slurp(rel);
	X509 *x = NULL;

	CU_ASSERT_EQUAL_FATAL(crypto_x509_from_pem((const uint8_t *)pem, strlen(pem), &x), 0);
	free(pem);
	return x;
}

/* The EIDs, from euicc/eids. */
static unsigned int eids(char out[N_EUICC][PKI_EID_DIGITS + 1])
{
	char *list = slurp("euicc/eids"), *save = NULL;
	unsigned int n = 0;

	for (char *l = strtok_r(list, "\n", &save); l && n < N_EUICC; l = strtok_r(NULL, "\n", &save)) {
		CU_ASSERT_TRUE(pki_eid_valid(l));
		snprintf(out[n++], PKI_EID_DIGITS + 1, "%s", l);
	}
	free(list);
	return n;
}

/* `rsplab tool cert verify` on a certificate, with stdout/stderr silenced. Returns the exit status. */
static int tool_verify(const uint8_t *cert, size_t len, const char *issuer_hex, const char *type)
{
	char *hex = malloc(2 * len + 1);
	char *argv[] = { "cert",   "verify",	 "--cert", hex, "--issuer-public", (char *)issuer_hex,
			 "--type", (char *)type, NULL };
	int rc;

	for (size_t i = 0; i < len; i++)
		snprintf(hex + 2 * i, 3, "%02x", cert[i]);
	rc = test_run_captured(tool_cert, argv, NULL, 0, NULL, 0);
	free(hex);
	return rc;
}

/* Every byte of the certificate changed in turn must make it fail, with the library and (for a
 * sample of positions, to keep the output quiet and the run short) the tool. */
static void flip_each_byte(uint8_t *cert, size_t len, enum gpcert_type type, X509 *issuer, X509 *ci,
			   const char *issuer_hex, const char *type_name)
{
	struct gpcert c;
	struct gpcert_check_opts o = { .check_type = true, .type = type, .date = gpcert_date_today() };
	enum gpcert_err why;
	unsigned int accepted = 0;
	size_t sd_start, sd_end;

	CU_ASSERT_EQUAL_FATAL(gpcert_decode_exact(&c, cert, len, &why), (int)len);
	sd_start = (size_t)(c.signed_data.data - cert);
	sd_end = sd_start + c.signed_data.len;
	CU_ASSERT_FATAL(sd_end < len);
	for (size_t i = 0; i < len; i++) {
		int rc;

		cert[i] ^= 0x01;
		rc = gpcert_decode_exact(&c, cert, len, &why);
		if (rc >= 0)
			rc = type == GPCERT_TYPE_ECASD ? gpcert_check_eum(&c, issuer, ci, &o, &why)
						       : gpcert_check_ci(&c, issuer, &o, &why);
		if (rc >= 0) {
			accepted++;
			printf("\nbyte %zu flipped: still accepted\n", i);
		}
		/* The tool, at every 16th byte of the signed part. */
		if (i >= sd_start && i < sd_end && (i - sd_start) % 16 == 0)
			CU_ASSERT_EQUAL(tool_verify(cert, len, issuer_hex, type_name), 1);
		cert[i] ^= 0x01;
	}
	CU_ASSERT_EQUAL(accepted, 0);
	/* Restored: accepted again. */
	CU_ASSERT_EQUAL(tool_verify(cert, len, issuer_hex, type_name), 0);
}

void test_pki_server_certs_verify_and_flips_fail(void)
{
	X509 *ci = load_x509("ci/cert.pem");
	char *ci_pub = slurp("ci/public.hex");

	for (size_t i = 0; i < sizeof(servers) / sizeof(servers[0]); i++) {
		enum gpcert_type type = servers[i][3] == 'r' ? GPCERT_TYPE_SR : GPCERT_TYPE_DP;
		const char *type_name = get_value_string(gpcert_type_names, type);
		struct gpcert_check_opts o = { .check_type = true, .type = type, .date = gpcert_date_today() };
		uint8_t cert[GPCERT_MAX_LEN], point[EC_POINT_LEN];
		char rel[64];
		struct gpcert c;
		enum gpcert_err why;
		size_t len;

		snprintf(rel, sizeof(rel), "%s/gp-cert.hex", servers[i]);
		len = slurp_hex(rel, cert, sizeof(cert));
		CU_ASSERT_EQUAL_FATAL(gpcert_decode_exact(&c, cert, len, &why), (int)len);
		CU_ASSERT_EQUAL(gpcert_type_of(&c, NULL), (int)type);
		CU_ASSERT_EQUAL(gpcert_check_ci(&c, ci, &o, &why), 0);
		CU_ASSERT_EQUAL(why, GPCERT_OK);
		CU_ASSERT_EQUAL(tool_verify(cert, len, ci_pub, type_name), 0);
		/* The certificate carries the key in gp-public.hex. */
		snprintf(rel, sizeof(rel), "%s/gp-public.hex", servers[i]);
		CU_ASSERT_EQUAL(slurp_hex(rel, point, sizeof(point)), EC_POINT_LEN);
		TEST_ASSERT_MEM_EQ(c.public_key, EC_POINT_LEN, point, sizeof(point));
		flip_each_byte(cert, len, type, ci, ci, ci_pub, type_name);
		/* gp-cert-rogue.hex: the same key and type, but its signature does not verify with the CI */
		snprintf(rel, sizeof(rel), "%s/gp-cert-rogue.hex", servers[i]);
		len = slurp_hex(rel, cert, sizeof(cert));
		CU_ASSERT_EQUAL_FATAL(gpcert_decode_exact(&c, cert, len, &why), (int)len);
		CU_ASSERT_EQUAL(gpcert_type_of(&c, NULL), (int)type);
		TEST_ASSERT_MEM_EQ(c.public_key, EC_POINT_LEN, point, sizeof(point));
		CU_ASSERT_TRUE(gpcert_check_ci(&c, ci, &o, &why) < 0);
		CU_ASSERT_NOT_EQUAL(tool_verify(cert, len, ci_pub, type_name), 0);
	}
	free(ci_pub);
	X509_free(ci);
}

void test_pki_ecasd_certs_verify_and_flips_fail(void)
{
	X509 *ci = load_x509("ci/cert.pem"), *eum = load_x509("eum/cert.pem");
	char *eum_pub = slurp("eum/public.hex");
	char e[N_EUICC][PKI_EID_DIGITS + 1];
	unsigned int n = eids(e);

	CU_ASSERT_EQUAL(n, N_EUICC);
	CU_ASSERT_EQUAL(crypto_x509_verify_signed_by(eum, ci), 0);
	for (unsigned int i = 0; i < n; i++) {
		struct gpcert_check_opts o = { .check_type = true, .type = GPCERT_TYPE_ECASD };
		uint8_t cert[GPCERT_MAX_LEN], scalar[EC_SCALAR_LEN], point[EC_POINT_LEN];
		EVP_PKEY *key = NULL;
		char rel[96], eid_hex[PKI_EID_DIGITS + 1];
		struct gpcert c;
		enum gpcert_err why;
		size_t len;

		snprintf(rel, sizeof(rel), "euicc/%s/ecasd-cert.hex", e[i]);
		len = slurp_hex(rel, cert, sizeof(cert));
		CU_ASSERT_EQUAL_FATAL(gpcert_decode_exact(&c, cert, len, &why), (int)len);
		CU_ASSERT_EQUAL(gpcert_check_eum(&c, eum, ci, &o, &why), 0);
		CU_ASSERT_EQUAL(tool_verify(cert, len, eum_pub, "ecasd"), 0);
		/* 5F20 is the EID. */
		for (size_t j = 0; j < c.subject_id.len && j < 16; j++)
			snprintf(eid_hex + 2 * j, 3, "%02x", c.subject_id.data[j]);
		CU_ASSERT_EQUAL(c.subject_id.len, 16);
		CU_ASSERT_STRING_EQUAL(eid_hex, e[i]);
		/* The private key in ecasd-key.hex belongs to the certified public key. */
		snprintf(rel, sizeof(rel), "euicc/%s/ecasd-key.hex", e[i]);
		CU_ASSERT_EQUAL(slurp_hex(rel, scalar, sizeof(scalar)), EC_SCALAR_LEN);
		CU_ASSERT_EQUAL_FATAL(crypto_ec_from_private(CRYPTO_CURVE_P256, scalar, sizeof(scalar), &key), 0);
		CU_ASSERT_EQUAL(crypto_ec_export_public(key, point), 0);
		TEST_ASSERT_MEM_EQ(c.public_key, EC_POINT_LEN, point, sizeof(point));
		EVP_PKEY_free(key);
		/* The ECASD certificate does not verify with the CI key (it is the EUM's to sign). */
		CU_ASSERT_EQUAL(gpcert_check_ci(&c, ci, NULL, &why), -EBADMSG);
		flip_each_byte(cert, len, GPCERT_TYPE_ECASD, eum, ci, eum_pub, "ecasd");
	}
	free(eum_pub);
	X509_free(eum);
	X509_free(ci);
}

void test_pki_tls_certs(void)
{
	X509 *ci = load_x509("ci/cert.pem");

	CU_ASSERT_EQUAL(crypto_x509_verify_signed_by(ci, ci), 0); /* self-signed root */
	for (size_t i = 0; i < sizeof(servers) / sizeof(servers[0]); i++) {
		char rel[64], *pem;
		X509 *x;
		EVP_PKEY *key;
		BIO *bio;
		GENERAL_NAMES *san;

		snprintf(rel, sizeof(rel), "%s/tls-cert.pem", servers[i]);
		x = load_x509(rel);
		CU_ASSERT_EQUAL(crypto_x509_verify_signed_by(x, ci), 0);
		CU_ASSERT_EQUAL(X509_check_host(x, "localhost", 0, 0, NULL), 1);
		CU_ASSERT_EQUAL(X509_check_ip_asc(x, "127.0.0.1", 0), 1);
		san = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
		CU_ASSERT_PTR_NOT_NULL(san);
		GENERAL_NAMES_free(san);
		CU_ASSERT_TRUE(X509_get_extended_key_usage(x) & XKU_SSL_SERVER);
		CU_ASSERT_TRUE(X509_get_extended_key_usage(x) & XKU_SSL_CLIENT);
		/* tls-key.pem is the certificate's key. */
		snprintf(rel, sizeof(rel), "%s/tls-key.pem", servers[i]);
		pem = slurp(rel);
		bio = BIO_new_mem_buf(pem, -1);
		key = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
		CU_ASSERT_PTR_NOT_NULL(key);
		CU_ASSERT_EQUAL(X509_check_private_key(x, key), 1);
		EVP_PKEY_free(key);
		BIO_free(bio);
		free(pem);
		X509_free(x);
	}
	X509_free(ci);
}

static void assert_mode(const char *rel, mode_t want)
{
	char path[512];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	CU_ASSERT_EQUAL_FATAL(stat(path, &st), 0);
	if ((st.st_mode & 07777) != want)
		printf("\n%s: mode %o, want %o\n", rel, (unsigned int)(st.st_mode & 07777), (unsigned int)want);
	CU_ASSERT_EQUAL(st.st_mode & 07777, want);
}

void test_pki_private_key_modes(void)
{
	char e[N_EUICC][PKI_EID_DIGITS + 1], rel[96];
	unsigned int n = eids(e);

	assert_mode("", 0700);
	assert_mode("ci/key.pem", 0600);
	assert_mode("eum/key.pem", 0600);
	assert_mode("ci/cert.pem", 0644);
	for (size_t i = 0; i < sizeof(servers) / sizeof(servers[0]); i++) {
		snprintf(rel, sizeof(rel), "%s/gp-key.hex", servers[i]);
		assert_mode(rel, 0600);
		snprintf(rel, sizeof(rel), "%s/tls-key.pem", servers[i]);
		assert_mode(rel, 0600);
		snprintf(rel, sizeof(rel), "%s/gp-cert.hex", servers[i]);
		assert_mode(rel, 0644);
	}
	for (unsigned int i = 0; i < n; i++) {
		snprintf(rel, sizeof(rel), "euicc/%s/ecasd-key.hex", e[i]);
		assert_mode(rel, 0600);
	}
}

/* The summary names paths, ids and public keys, and no private key. */
void test_pki_summary_has_nothing_private(void)
{
	char e[N_EUICC][PKI_EID_DIGITS + 1], rel[96];
	unsigned int n = eids(e);
	char *k;

	CU_ASSERT_PTR_NOT_NULL_FATAL(summary);
	CU_ASSERT_PTR_NOT_NULL(strstr(summary, "ci.public=04"));
	CU_ASSERT_PTR_NOT_NULL(strstr(summary, "smdp1.gp_cert="));
	CU_ASSERT_PTR_NOT_NULL(strstr(summary, e[0]));
	CU_ASSERT_PTR_NULL(strstr(summary, "PRIVATE"));
	for (size_t i = 0; i < sizeof(servers) / sizeof(servers[0]); i++) {
		snprintf(rel, sizeof(rel), "%s/gp-key.hex", servers[i]);
		k = slurp(rel);
		CU_ASSERT_EQUAL(strlen(k), 64);
		CU_ASSERT_PTR_NULL(strstr(summary, k));
		free(k);
	}
	for (unsigned int i = 0; i < n; i++) {
		snprintf(rel, sizeof(rel), "euicc/%s/ecasd-key.hex", e[i]);
		k = slurp(rel);
		CU_ASSERT_PTR_NULL(strstr(summary, k));
		free(k);
	}
}

void test_pki_refuses_overwrite_unless_forced(void)
{
	struct pki_opts o = { .dir = dir, .curve = CRYPTO_CURVE_P256, .n_euicc = N_EUICC };
	char *before = slurp("ci/public.hex"), *after;
	int err, null;

	fflush(stderr);
	err = dup(2);
	null = open("/dev/null", O_WRONLY);
	dup2(null, 2);
	CU_ASSERT_EQUAL(pki_init(&o), -EEXIST);
	dup2(err, 2);
	close(err);
	close(null);
	after = slurp("ci/public.hex");
	CU_ASSERT_STRING_EQUAL(before, after);
	free(after);
	/* --force: a fresh PKI (new keys), still with private keys 0600. */
	o.force = true;
	CU_ASSERT_EQUAL(pki_init(&o), 0);
	after = slurp("ci/public.hex");
	CU_ASSERT_STRING_NOT_EQUAL(before, after);
	free(after);
	free(before);
	assert_mode("ci/key.pem", 0600);
	assert_mode("smsr1/gp-key.hex", 0600);
}

void test_pki_brainpool_and_given_eids(void)
{
	static const char *const given[] = { "89001012012341234012345678901224" }; /* digest §15 EID */
	static const char *const bad[] = { "89001012012341234012345678901225" };
	char sub[320];
	struct pki_opts o = { .dir = sub, .curve = CRYPTO_CURVE_BRAINPOOLP256R1, .eids = given, .n_eids = 1 };
	uint8_t cert[GPCERT_MAX_LEN];
	struct gpcert c;
	struct gpcert_check_opts co = { .check_type = true, .type = GPCERT_TYPE_DP, .date = gpcert_date_today() };
	enum gpcert_err why;
	X509 *ci, *eum;
	char *curve;
	size_t len;
	int err, null;

	CU_ASSERT_TRUE(pki_eid_valid(given[0]));
	CU_ASSERT_FALSE(pki_eid_valid(bad[0]));
	CU_ASSERT_FALSE(pki_eid_valid("8900101201234123401234567890122"));
	snprintf(sub, sizeof(sub), "%s/bp", tmp);
	fflush(stderr);
	err = dup(2);
	null = open("/dev/null", O_WRONLY);
	dup2(null, 2);
	o.eids = bad;
	CU_ASSERT_EQUAL(pki_init(&o), -EINVAL);
	dup2(err, 2);
	close(err);
	close(null);
	o.eids = given;
	CU_ASSERT_EQUAL_FATAL(pki_init(&o), 0);

	/* Read through the brainpool PKI with the same helpers. */
	dir = sub;
	curve = slurp("curve");
	CU_ASSERT_STRING_EQUAL(curve, "brainpoolp256r1");
	free(curve);
	ci = load_x509("ci/cert.pem");
	eum = load_x509("eum/cert.pem");
	len = slurp_hex("smdp2/gp-cert.hex", cert, sizeof(cert));
	CU_ASSERT_EQUAL_FATAL(gpcert_decode_exact(&c, cert, len, &why), (int)len);
	CU_ASSERT_EQUAL(c.curve, CRYPTO_CURVE_BRAINPOOLP256R1);
	CU_ASSERT_EQUAL(c.curve_ref, 0x03);
	CU_ASSERT_EQUAL(gpcert_check_ci(&c, ci, &co, &why), 0);
	len = slurp_hex("euicc/89001012012341234012345678901224/ecasd-cert.hex", cert, sizeof(cert));
	CU_ASSERT_EQUAL_FATAL(gpcert_decode_exact(&c, cert, len, &why), (int)len);
	co.type = GPCERT_TYPE_ECASD;
	CU_ASSERT_EQUAL(gpcert_check_eum(&c, eum, ci, &co, &why), 0);
	X509_free(ci);
	X509_free(eum);
	dir = main_dir;
}
