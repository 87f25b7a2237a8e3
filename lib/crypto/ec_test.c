/* Known-answer tests of the EC primitives. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/crypto/ec.h"
#include "lib/test/runner.h"

static EVP_PKEY *priv_key(enum crypto_curve curve, const char *hex)
{
	size_t len;
	uint8_t *d = test_unhex(hex, &len);
	EVP_PKEY *key = NULL;

	CU_ASSERT_EQUAL(crypto_ec_from_private(curve, d, len, &key), 0);
	free(d);
	return key;
}

static EVP_PKEY *pub_key(enum crypto_curve curve, const char *hex)
{
	size_t len;
	uint8_t *q = test_unhex(hex, &len);
	EVP_PKEY *key = NULL;

	CU_ASSERT_EQUAL(crypto_ec_from_public(curve, q, len, &key), 0);
	free(q);
	return key;
}

void test_ec_ecdh_p256_nist_cavs(void)
{
	/* NIST CAVS 14.1 "ECC CDH Primitive" (KAS_ECC_CDH_PrimitiveTest.txt), curve P-256, COUNT = 0. */
	EVP_PKEY *iut = priv_key(CRYPTO_CURVE_P256, "7d7dc5f71eb29ddaf80d6214632eeae03d9058af1fb6d22ed80badb62bc1a534");
	EVP_PKEY *cavs = pub_key(CRYPTO_CURVE_P256, "04 "
						    "700c48f77f56584c5cc632ca65640db91b6bacce3a4df6b42ce7cc838833d287"
						    "db71e509e3fd9b060ddb20ba5c51dcc5948d46fbf640dfe0441782cab85fa4ac");
	uint8_t point[EC_POINT_LEN], z[EC_SCALAR_LEN];

	CU_ASSERT_EQUAL(crypto_ec_export_public(iut, point), 0);
	TEST_ASSERT_HEX_EQ(point, sizeof(point),
			   "04 ead218590119e8876b29146ff89ca61770c4edbbf97d38ce385ed281d8a6b230"
			   "28af61281fd35e2fa7002523acc85a429cb06ee6648325389f59edfce1405141");
	CU_ASSERT_EQUAL(crypto_ecdh(iut, cavs, z), 0);
	TEST_ASSERT_HEX_EQ(z, sizeof(z), "46fc62106420ff012e54a434fbdd2d25ccc5852060561e68040dd7778997bd7b");
	EVP_PKEY_free(iut);
	EVP_PKEY_free(cavs);
}

void test_ec_ecdh_brainpool_rfc7027(void)
{
	/* RFC 7027 appendix A.1, brainpoolP256r1: both sides derive x_Z. */
	EVP_PKEY *a = priv_key(CRYPTO_CURVE_BRAINPOOLP256R1, "81db1ee100150ff2ea338d708271be38300cb54241d79950f77b06303"
							     "9804f1d");
	EVP_PKEY *b = priv_key(CRYPTO_CURVE_BRAINPOOLP256R1, "55e40bc41e37e3e2ad25c3c6654511ffa8474a91a0032087593852d3e"
							     "7d76bd3");
	uint8_t qa[EC_POINT_LEN], qb[EC_POINT_LEN], z1[EC_SCALAR_LEN], z2[EC_SCALAR_LEN];

	CU_ASSERT_EQUAL(crypto_ec_export_public(a, qa), 0);
	TEST_ASSERT_HEX_EQ(qa, sizeof(qa),
			   "04 44106e913f92bc02a1705d9953a8414db95e1aaa49e81d9e85f929a8e3100be5"
			   "8ab4846f11caccb73ce49cbdd120f5a900a69fd32c272223f789ef10eb089bdc");
	CU_ASSERT_EQUAL(crypto_ec_export_public(b, qb), 0);
	TEST_ASSERT_HEX_EQ(qb, sizeof(qb),
			   "04 8d2d688c6cf93e1160ad04cc4429117dc2c41825e1e9fca0addd34e6f1b39f7b"
			   "990c57520812be512641e47034832106bc7d3e8dd0e4c7f1136d7006547cec6a");
	CU_ASSERT_EQUAL(crypto_ecdh(a, b, z1), 0);
	CU_ASSERT_EQUAL(crypto_ecdh(b, a, z2), 0);
	TEST_ASSERT_HEX_EQ(z1, sizeof(z1), "89afc39d41d3b327814b80940b042590f96556ec91e6ae7939bce31f3a18bf2b");
	TEST_ASSERT_MEM_EQ(z1, sizeof(z1), z2, sizeof(z2));
	CU_ASSERT_EQUAL(crypto_ec_curve_of(a), CRYPTO_CURVE_BRAINPOOLP256R1);
	EVP_PKEY_free(a);
	EVP_PKEY_free(b);
}

void test_ec_ecdsa_rfc6979(void)
{
	/* RFC 6979 appendix A.2.5: P-256, SHA-256, message "sample". ECDSA signing is randomised, so
	 * the published (r, s) is checked by verification, and our own signatures round-trip. */
	EVP_PKEY *key = priv_key(CRYPTO_CURVE_P256, "c9afa9d845ba75166b5c215767b1d6934e50c3db36e89b127b8a622b120f6721");
	EVP_PKEY *pub = pub_key(CRYPTO_CURVE_P256, "04 60fed4ba255a9d31c961eb74c6356d68c049b8923b61fa6ce669622e60f29fb6"
						   "7903fe1008b8bc99a41ae9e95628bc64f2f1b20c2d7e9f5177a3c294d4462299");
	size_t sig_len;
	uint8_t *sig = test_unhex("efd48b2aacb6a8fd1140dd9cd45e81d69d2c877b56aaf991c34d0ea84eaf3716"
				  "f7cb1c942d657c41d436c7a1b6e29f65f3e900dbb9aff4064dc4ab2f843acda8",
				  &sig_len);
	uint8_t own[EC_SIG_LEN];

	CU_ASSERT_EQUAL(crypto_ecdsa_verify(pub, (const uint8_t *)"sample", 6, sig, sig_len), 0);
	CU_ASSERT_EQUAL(crypto_ecdsa_verify(pub, (const uint8_t *)"samplf", 6, sig, sig_len), -EBADMSG);
	sig[63] ^= 1;
	CU_ASSERT_EQUAL(crypto_ecdsa_verify(pub, (const uint8_t *)"sample", 6, sig, sig_len), -EBADMSG);
	CU_ASSERT_EQUAL(crypto_ecdsa_verify(pub, (const uint8_t *)"sample", 6, sig, 63), -EBADMSG);

	CU_ASSERT_EQUAL(crypto_ecdsa_sign(key, (const uint8_t *)"test", 4, own), 0);
	CU_ASSERT_EQUAL(crypto_ecdsa_verify(pub, (const uint8_t *)"test", 4, own, sizeof(own)), 0);
	CU_ASSERT_EQUAL(crypto_ecdsa_verify(key, (const uint8_t *)"test", 4, own, sizeof(own)), 0);
	free(sig);
	EVP_PKEY_free(key);
	EVP_PKEY_free(pub);
}

void test_ec_generate_and_round_trip(void)
{
	for (int c = 0; c < _NUM_CRYPTO_CURVES; c++) {
		EVP_PKEY *k = NULL, *back = NULL;
		uint8_t d[EC_SCALAR_LEN], q[EC_POINT_LEN], q2[EC_POINT_LEN];

		CU_ASSERT_EQUAL_FATAL(crypto_ec_generate(c, &k), 0);
		CU_ASSERT_EQUAL(crypto_ec_curve_of(k), c);
		CU_ASSERT_EQUAL(crypto_ec_export_private(k, d), 0);
		CU_ASSERT_EQUAL(crypto_ec_export_public(k, q), 0);
		CU_ASSERT_EQUAL(crypto_ec_from_private(c, d, sizeof(d), &back), 0);
		CU_ASSERT_EQUAL(crypto_ec_export_public(back, q2), 0);
		TEST_ASSERT_MEM_EQ(q, sizeof(q), q2, sizeof(q2));
		EVP_PKEY_free(k);
		EVP_PKEY_free(back);
	}
}

void test_ec_rejects_bad_keys(void)
{
	uint8_t point[EC_POINT_LEN] = { 0x04 }, zero[EC_SCALAR_LEN] = { 0 }, ff[EC_SCALAR_LEN];
	EVP_PKEY *k = (EVP_PKEY *)1, *p256 = NULL, *bp = NULL;
	uint8_t z[EC_SCALAR_LEN];

	memset(ff, 0xff, sizeof(ff));
	/* (0, 0) is not on either curve; a wrong prefix or length is refused before OpenSSL. */
	CU_ASSERT_EQUAL(crypto_ec_from_public(CRYPTO_CURVE_P256, point, sizeof(point), &k), -EINVAL);
	CU_ASSERT_PTR_NULL(k);
	point[0] = 0x02;
	CU_ASSERT_EQUAL(crypto_ec_from_public(CRYPTO_CURVE_P256, point, sizeof(point), &k), -EINVAL);
	CU_ASSERT_EQUAL(crypto_ec_from_public(CRYPTO_CURVE_P256, point, 33, &k), -EINVAL);
	/* scalars 0 and >= n are not private keys */
	CU_ASSERT_EQUAL(crypto_ec_from_private(CRYPTO_CURVE_P256, zero, sizeof(zero), &k), -EINVAL);
	CU_ASSERT_EQUAL(crypto_ec_from_private(CRYPTO_CURVE_P256, ff, sizeof(ff), &k), -EINVAL);
	CU_ASSERT_EQUAL(crypto_ec_from_private(CRYPTO_CURVE_P256, ff, 31, &k), -EINVAL);
	/* ECDH across curves is refused */
	CU_ASSERT_EQUAL(crypto_ec_generate(CRYPTO_CURVE_P256, &p256), 0);
	CU_ASSERT_EQUAL(crypto_ec_generate(CRYPTO_CURVE_BRAINPOOLP256R1, &bp), 0);
	CU_ASSERT_EQUAL(crypto_ecdh(p256, bp, z), -EINVAL);
	EVP_PKEY_free(p256);
	EVP_PKEY_free(bp);

	CU_ASSERT_EQUAL(crypto_curve_from_name("P256"), CRYPTO_CURVE_P256);
	CU_ASSERT_EQUAL(crypto_curve_from_name("brainpoolP256r1"), CRYPTO_CURVE_BRAINPOOLP256R1);
	CU_ASSERT_EQUAL(crypto_curve_from_name("p384"), -EINVAL);
}

void test_ec_sha256(void)
{
	uint8_t d[SHA256_LEN];

	/* FIPS 180-2 appendix B.1: SHA-256("abc") */
	CU_ASSERT_EQUAL(crypto_sha256((const uint8_t *)"abc", 3, d), 0);
	TEST_ASSERT_HEX_EQ(d, sizeof(d), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}
