/* ANSI X9.63 KDF (SHA-256): published vectors, then agreement with OpenSSL's own EVP_KDF "X963KDF"
 * as an independent second implementation. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>

#include "lib/crypto/kdf.h"
#include "lib/crypto/sym.h"
#include "lib/test/runner.h"

/* OpenSSL's X963KDF: a different code path (the provider's KDF) from ours (EVP_Digest). */
static int ossl_x963(const uint8_t *z, size_t z_len, const uint8_t *si, size_t si_len, uint8_t *out, size_t out_len)
{
	EVP_KDF *kdf = EVP_KDF_fetch(NULL, "X963KDF", NULL);
	EVP_KDF_CTX *ctx = kdf ? EVP_KDF_CTX_new(kdf) : NULL;
	OSSL_PARAM p[4];
	int rc = -1;

	p[0] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, "SHA256", 0);
	p[1] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, (void *)z, z_len);
	p[2] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, (void *)si, si_len);
	p[3] = OSSL_PARAM_construct_end();
	if (ctx && EVP_KDF_derive(ctx, out, out_len, p) > 0)
		rc = 0;
	EVP_KDF_CTX_free(ctx);
	EVP_KDF_free(kdf);
	return rc;
}

void test_kdf_x963_sgp22_bsp(void)
{
	/* pySim tests/unittests/test_esim_bsp.py (SGP.22 BSP key derivation), as quoted in
	 * sgp02-open-questions.md §15 V6: 48 bytes = MCV ‖ S-ENC ‖ S-MAC. */
	size_t zl, sil;
	uint8_t *z = test_unhex("8902dca391bbb22570fe60c176076246f568b1941265dff1d729e63039658089", &zl);
	uint8_t *si = test_unhex("8810 08 8080808080808080 10 89049032123451234512345678901335", &sil);
	uint8_t out[48];

	CU_ASSERT_EQUAL(crypto_x963_kdf_sha256(z, zl, si, sil, out, sizeof(out)), 0);
	TEST_ASSERT_HEX_EQ(out, 48,
			   "734bc93ddb10c71c5ad13d420dc08b5b d782d575b22a38334556a3d9a1e2ae6b"
			   "a35addc192ae8f934e2932116c7e89e7");
	free(z);
	free(si);
}

void test_kdf_x963_sgp02_v3(void)
{
	/* sgp02-open-questions.md §15 V3 (recomputed from a recorded SGP.02 key establishment):
	 * X9.63-SHA256(ShS, SharedInfo 10 88 10), 64 bytes = receipt key ‖ ENC ‖ MAC ‖ DEK. */
	size_t zl;
	uint8_t *z = test_unhex("B41C57B3E9BDFD26E5C361CAD7B763C54B8D33DF9B06B1FDDB8CB65A7B5AC75D", &zl);
	const uint8_t si[] = { 0x10, 0x88, 0x10 };
	uint8_t out[64];

	CU_ASSERT_EQUAL(crypto_x963_kdf_sha256(z, zl, si, sizeof(si), out, sizeof(out)), 0);
	TEST_ASSERT_HEX_EQ(out, 64,
			   "934A62019E6F7832BBA601E32BBA0DDD 533AF4EFC4096F331A7361AFBFBCFDA1"
			   "E9E10E0BB335081D5ED498F63850AC82 B01C437002CC21587CF95C145AA529B0");
	free(z);
}

void test_kdf_x963_against_openssl(void)
{
	uint8_t z[48], si[40], a[200], b[200];

	for (unsigned int i = 0; i < 64; i++) {
		size_t zl = 1 + i % sizeof(z), sil = (i * 7) % sizeof(si), ol = 1 + (i * 13) % sizeof(a);

		CU_ASSERT_EQUAL_FATAL(crypto_random(z, sizeof(z)), 0);
		CU_ASSERT_EQUAL_FATAL(crypto_random(si, sizeof(si)), 0);
		CU_ASSERT_EQUAL(crypto_x963_kdf_sha256(z, zl, si, sil, a, ol), 0);
		CU_ASSERT_EQUAL_FATAL(ossl_x963(z, zl, si, sil, b, ol), 0);
		TEST_ASSERT_MEM_EQ(a, ol, b, ol);
	}
}

void test_kdf_x963_bad_args(void)
{
	uint8_t z[32] = { 0 }, out[8];

	CU_ASSERT_EQUAL(crypto_x963_kdf_sha256(z, sizeof(z), NULL, 0, out, 0), -EINVAL);
	CU_ASSERT_EQUAL(crypto_x963_kdf_sha256(z, sizeof(z), NULL, 3, out, sizeof(out)), -EINVAL);
	CU_ASSERT_EQUAL(crypto_x963_kdf_sha256(NULL, 0, NULL, 0, out, sizeof(out)), -EINVAL);
	CU_ASSERT_EQUAL(crypto_x963_kdf_sha256(z, sizeof(z), NULL, 0, out, CRYPTO_X963_MAX_OUT + 1), -EINVAL);
	/* A prefix of a longer output is the shorter output. */
	uint8_t longer[40];
	CU_ASSERT_EQUAL(crypto_x963_kdf_sha256(z, sizeof(z), NULL, 0, out, sizeof(out)), 0);
	CU_ASSERT_EQUAL(crypto_x963_kdf_sha256(z, sizeof(z), NULL, 0, longer, sizeof(longer)), 0);
	TEST_ASSERT_MEM_EQ(out, sizeof(out), longer, sizeof(out));
}
