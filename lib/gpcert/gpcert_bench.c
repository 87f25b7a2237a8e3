/* Benchmark: GP certificate verification (decode + type + date + ECDSA-SHA-256 r‖s signature, as
 * `gpcert_decode_exact()` + `gpcert_check()`) per second, as a ratio to OpenSSL's raw ECDSA verify
 * (EVP_DigestVerifyInit + EVP_DigestVerify over the same signed bytes with the same key, the
 * signature pre-converted to DER) measured in the same run. Target: ratio ≤ 1.3.
 *
 * Both loops run in alternating slices so frequency drift hits both alike; the whole run is bounded
 * (SLICES × 2 × SLICE_SECONDS per curve, about 8 s in all). Reports numbers, asserts nothing. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <openssl/bn.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>

#include "lib/crypto/ec.h"
#include "lib/gpcert/gpcert.h"

#define SLICES	      4
#define SLICE_SECONDS 0.5

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct bench {
	EVP_PKEY *issuer;
	const EVP_MD *md;
	uint8_t cert[GPCERT_MAX_LEN];
	size_t cert_len;
	const uint8_t *sd; /* signed bytes inside cert */
	size_t sd_len;
	uint8_t der[80];
	size_t der_len;
	struct gpcert_check_opts opts;
};

static int run_openssl(struct bench *b)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	int ok = md && EVP_DigestVerifyInit(md, NULL, b->md, NULL, b->issuer) > 0 &&
		 EVP_DigestVerify(md, b->der, b->der_len, b->sd, b->sd_len) == 1;

	EVP_MD_CTX_free(md);
	return ok ? 0 : -1;
}

static int run_gpcert(struct bench *b)
{
	struct gpcert c;

	if (gpcert_decode_exact(&c, b->cert, b->cert_len, NULL) < 0)
		return -1;
	return gpcert_check(&c, b->issuer, &b->opts, NULL);
}

/* Runs fn for about SLICE_SECONDS; adds the count and the time spent. */
static int slice(struct bench *b, int (*fn)(struct bench *), unsigned long *count, double *spent)
{
	double t0 = now(), t;
	unsigned long n = 0;

	do {
		for (int i = 0; i < 16; i++, n++)
			if (fn(b) < 0)
				return -1;
		t = now();
	} while (t - t0 < SLICE_SECONDS);
	*count += n;
	*spent += t - t0;
	return 0;
}

static int bench_curve(enum crypto_curve curve)
{
	struct bench b = { .opts = { .check_type = true, .type = GPCERT_TYPE_DP } };
	static const uint8_t serial[] = { 0x01 }, ids[20] = { 0xCA };
	uint8_t point[EC_POINT_LEN];
	EVP_PKEY *subject = NULL;
	struct gpcert c = { 0 };
	ECDSA_SIG *sig = NULL;
	uint8_t *p;
	unsigned long n_ossl = 0, n_gp = 0;
	double t_ossl = 0, t_gp = 0, r_ossl, r_gp;
	int n, rc = -1;

	b.md = EVP_MD_fetch(NULL, "SHA256", NULL);
	if (!b.md || crypto_ec_generate(curve, &b.issuer) < 0 || crypto_ec_generate(curve, &subject) < 0 ||
	    crypto_ec_export_public(subject, point) < 0)
		goto out;
	/* A CERT.DP.ECDSA with 20-byte key identifiers, like the test PKI's. */
	c.serial = (struct gpcert_bytes){ serial, sizeof(serial) };
	c.ca_id = (struct gpcert_bytes){ ids, sizeof(ids) };
	c.subject_id = (struct gpcert_bytes){ ids, sizeof(ids) };
	c.key_usage = GPCERT_KU_SIGN;
	c.key_usage_len = 1;
	c.effective = 20200101;
	c.expiration = 20991231;
	c.has_cert_type = true;
	c.cert_type = GPCERT_CERT_TYPE_SMDP;
	c.public_key = point;
	c.curve = curve;
	n = gpcert_sign(b.cert, sizeof(b.cert), &c, NULL, b.issuer);
	if (n < 0)
		goto out;
	b.cert_len = (size_t)n;
	b.sd = c.signed_data.data;
	b.sd_len = c.signed_data.len;
	b.opts.date = gpcert_date_today();
	/* The baseline gets the signature in OpenSSL's own DER form, converted once, outside the loop. */
	sig = ECDSA_SIG_new();
	if (!sig || !ECDSA_SIG_set0(sig, BN_bin2bn(c.signature, 32, NULL), BN_bin2bn(c.signature + 32, 32, NULL)))
		goto out;
	p = b.der;
	b.der_len = (size_t)i2d_ECDSA_SIG(sig, &p);
	if (run_openssl(&b) < 0 || run_gpcert(&b) < 0) {
		fprintf(stderr, "gpcert_bench: the certificate does not verify\n");
		goto out;
	}
	for (int i = 0; i < SLICES; i++) {
		if (slice(&b, run_openssl, &n_ossl, &t_ossl) < 0 || slice(&b, run_gpcert, &n_gp, &t_gp) < 0)
			goto out;
	}
	r_ossl = (double)n_ossl / t_ossl;
	r_gp = (double)n_gp / t_gp;
	printf("gpcert verify %s: cert=%zu bytes signed=%zu bytes\n", crypto_curve_name(curve), b.cert_len, b.sd_len);
	printf("  openssl EVP_DigestVerify: %10.0f /s\n", r_ossl);
	printf("  gpcert decode+check:      %10.0f /s\n", r_gp);
	printf("  ratio (time per gpcert verify / time per raw verify): %.3f (target <= 1.3)\n", r_ossl / r_gp);
	rc = 0;
out:
	ECDSA_SIG_free(sig);
	EVP_MD_free((EVP_MD *)b.md);
	EVP_PKEY_free(b.issuer);
	EVP_PKEY_free(subject);
	return rc;
}

int main(void)
{
	int rc = 0;

	for (int curve = 0; curve < _NUM_CRYPTO_CURVES; curve++)
		if (bench_curve(curve) < 0)
			rc = 1;
	return rc;
}
