/* Known-answer tests of the symmetric primitives, from the published standards' examples. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/crypto/sym.h"
#include "lib/test/runner.h"

static const char *aes128_key = "2b7e151628aed2a6abf7158809cf4f3c";
static const char *aes256_key = "603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4";
/* The four plaintext blocks of NIST SP 800-38A appendix F. */
static const char *sp800_38a_plain = "6bc1bee22e409f96e93d7e117393172a ae2d8a571e03ac9c9eb76fac45af8e51"
				     "30c81c46a35ce411e5fbc1191a0a52ef f69f2445df4f9b17ad2b417be66c3710";

void test_sym_aes_cbc_sp800_38a(void)
{
	size_t klen, plen, ivlen;
	uint8_t *key = test_unhex(aes128_key, &klen), *plain = test_unhex(sp800_38a_plain, &plen);
	uint8_t *iv = test_unhex("000102030405060708090a0b0c0d0e0f", &ivlen);
	uint8_t out[64], back[64];

	/* F.2.1 CBC-AES128.Encrypt */
	CU_ASSERT_EQUAL(crypto_aes_cbc(true, key, klen, iv, plain, plen, out), 0);
	TEST_ASSERT_HEX_EQ(out, 64, "7649abac8119b246cee98e9b12e9197d 5086cb9b507219ee95db113a917678b2"
				    "73bed6b8e3c1743b7116e69e22229516 3ff1caa1681fac09120eca307586e1a7");
	/* F.2.2 CBC-AES128.Decrypt, in place */
	memcpy(back, out, 64);
	CU_ASSERT_EQUAL(crypto_aes_cbc(false, key, klen, iv, back, 64, back), 0);
	TEST_ASSERT_MEM_EQ(back, 64, plain, plen);
	free(key);

	/* F.2.5 CBC-AES256.Encrypt (first block) */
	key = test_unhex(aes256_key, &klen);
	CU_ASSERT_EQUAL(crypto_aes_cbc(true, key, klen, iv, plain, 16, out), 0);
	TEST_ASSERT_HEX_EQ(out, 16, "f58c4c04d6e5f1ba779eabfb5f7bfbd6");
	free(key);
	free(plain);
	free(iv);
}

void test_sym_aes_cmac_rfc4493(void)
{
	static const struct {
		size_t len;
		const char *mac;
	} v[] = {
		/* RFC 4493 §4 examples 1-4 */
		{ 0, "bb1d6929e95937287fa37d129b756746" },
		{ 16, "070a16b46b4d4144f79bdd9dd04a287c" },
		{ 40, "dfa66747de9ae63030ca32611497c827" },
		{ 64, "51f0bebf7e3b9d92fc49741779363cfe" },
	};
	size_t klen, plen;
	uint8_t *key = test_unhex(aes128_key, &klen), *plain = test_unhex(sp800_38a_plain, &plen);
	uint8_t mac[16];

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		CU_ASSERT_EQUAL(crypto_aes_cmac(key, klen, plain, v[i].len, mac), 0);
		TEST_ASSERT_HEX_EQ(mac, 16, v[i].mac);
	}
	free(key);
	/* NIST SP 800-38B appendix D.3, AES-256 example 1 (empty message) */
	key = test_unhex(aes256_key, &klen);
	CU_ASSERT_EQUAL(crypto_aes_cmac(key, klen, plain, 0, mac), 0);
	TEST_ASSERT_HEX_EQ(mac, 16, "028962f61b7bf89efc6b551f4667d983");
	free(key);
	free(plain);
}

void test_sym_des3(void)
{
	/* NIST SP 800-67 rev.1 appendix B example: three-key TDEA, first block "The quic". */
	size_t klen, plen;
	uint8_t *key = test_unhex("0123456789abcdef 23456789abcdef01 456789abcdef0123", &klen);
	uint8_t *plain = test_unhex("5468652071756663", &plen);
	uint8_t iv[8] = { 0 }, out[16], mac[8], k2[16], k3[24];

	CU_ASSERT_EQUAL(crypto_des3_cbc(true, key, klen, iv, plain, plen, out), 0);
	TEST_ASSERT_HEX_EQ(out, 8, "a826fd8ce53b855f");
	CU_ASSERT_EQUAL(crypto_des3_cbc_mac(key, klen, plain, plen, mac), 0);
	TEST_ASSERT_HEX_EQ(mac, 8, "a826fd8ce53b855f");

	/* A 2-key key K1‖K2 is the 3-key key K1‖K2‖K1 (SP 800-67 keying option 2). */
	memcpy(k2, key, 16);
	memcpy(k3, key, 16);
	memcpy(k3 + 16, key, 8);
	{
		uint8_t msg[16] = "sixteen byte msg", a[16], b[16], ma[8], mb[8];

		CU_ASSERT_EQUAL(crypto_des3_cbc(true, k2, 16, iv, msg, 16, a), 0);
		CU_ASSERT_EQUAL(crypto_des3_cbc(true, k3, 24, iv, msg, 16, b), 0);
		TEST_ASSERT_MEM_EQ(a, 16, b, 16);
		/* CBC-MAC is the last CBC block. */
		CU_ASSERT_EQUAL(crypto_des3_cbc_mac(k2, 16, msg, 16, ma), 0);
		CU_ASSERT_EQUAL(crypto_des3_cbc_mac(k3, 24, msg, 16, mb), 0);
		TEST_ASSERT_MEM_EQ(ma, 8, a + 8, 8);
		TEST_ASSERT_MEM_EQ(mb, 8, a + 8, 8);
		CU_ASSERT_EQUAL(crypto_des3_cbc(false, k2, 16, iv, a, 16, a), 0);
		TEST_ASSERT_MEM_EQ(a, 16, msg, 16);
	}
	free(key);
	free(plain);
}

void test_sym_cbc_mac_long_message(void)
{
	/* Longer than the internal chunk: the MAC must still be the last block of plain CBC. */
	uint8_t key[16], msg[1000], ct[1000], iv[8] = { 0 }, mac[8];

	for (size_t i = 0; i < sizeof(key); i++)
		key[i] = (uint8_t)(0x30 + i);
	for (size_t i = 0; i < sizeof(msg); i++)
		msg[i] = (uint8_t)i;
	CU_ASSERT_EQUAL(crypto_des3_cbc(true, key, 16, iv, msg, sizeof(msg), ct), 0);
	CU_ASSERT_EQUAL(crypto_des3_cbc_mac(key, 16, msg, sizeof(msg), mac), 0);
	TEST_ASSERT_MEM_EQ(mac, 8, ct + sizeof(ct) - 8, 8);
}

void test_sym_crc32(void)
{
	/* The CRC-32 check value (ITU-T V.42 / ISO 3309): "123456789" -> CBF43926. */
	CU_ASSERT_EQUAL(crypto_crc32((const uint8_t *)"123456789", 9), 0xCBF43926);
	CU_ASSERT_EQUAL(crypto_crc32(NULL, 0), 0);
}

void test_sym_bad_arguments(void)
{
	uint8_t key[32] = { 0 }, iv[16] = { 0 }, buf[32] = { 0 }, mac[16];

	CU_ASSERT_EQUAL(crypto_aes_cbc(true, key, 15, iv, buf, 16, buf), -EINVAL);
	CU_ASSERT_EQUAL(crypto_aes_cbc(true, key, 16, iv, buf, 17, buf), -EINVAL);
	CU_ASSERT_EQUAL(crypto_aes_cmac(key, 20, buf, 16, mac), -EINVAL);
	CU_ASSERT_EQUAL(crypto_des3_cbc(true, key, 8, iv, buf, 8, buf), -EINVAL);
	CU_ASSERT_EQUAL(crypto_des3_cbc(true, key, 16, iv, buf, 12, buf), -EINVAL);
	CU_ASSERT_EQUAL(crypto_des3_cbc_mac(key, 16, buf, 0, mac), -EINVAL);
	CU_ASSERT_EQUAL(crypto_aes_cbc(true, key, 16, iv, buf, 0, buf), 0);
}

void test_sym_random_and_compare(void)
{
	uint8_t a[32] = { 0 }, b[32] = { 0 };

	CU_ASSERT_EQUAL(crypto_random(a, sizeof(a)), 0);
	CU_ASSERT_EQUAL(crypto_random(b, sizeof(b)), 0);
	CU_ASSERT_FALSE(crypto_mem_equal(a, b, sizeof(a))); /* 2^-256 chance of a false failure */
	CU_ASSERT_TRUE(crypto_mem_equal(a, a, sizeof(a)));
}
