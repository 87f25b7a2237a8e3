/* lib/crypto/tlsrec: published vectors first (TLS 1.2 PRF, HMAC, AES-GCM, ChaCha20-Poly1305), then
 * round trips and tampering. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/crypto/tlsrec.h"
#include "lib/test/runner.h"

/* The TLS 1.2 PRF (SHA-256) vector posted to the IETF TLS WG list (2009, "TLS 1.2 PRF test vectors"),
 * used by several TLS libraries' unit tests: secret, seed, label "test label", 100 bytes. */
void test_tlsrec_prf_sha256_vector(void)
{
	size_t sl, dl;
	uint8_t *secret = test_unhex("9bbe436ba940f017b17652849a71db35", &sl);
	uint8_t *seed = test_unhex("a0ba9f936cda311827a6f796ffd5198c", &dl);
	uint8_t out[100];

	CU_ASSERT_EQUAL(crypto_tls12_prf(CRYPTO_MD_SHA256, secret, sl, "test label", seed, dl, out, sizeof(out)), 0);
	TEST_ASSERT_HEX_EQ(out, sizeof(out),
			   "e3f229ba727be17b8d122620557cd453c2aab21d07c3d495329b52d4e61edb5a6b301791e90d35c9c9a46b4e14b"
			   "af9af"
			   "0fa022f7077def17abfd3797c0564bab4fbc91666e9def9b97fce34f796789baa48082d122ee42c5a72e5a5110f"
			   "ff701"
			   "87347b66");
	CU_ASSERT_EQUAL(crypto_tls12_prf(CRYPTO_MD_SHA256, secret, sl, "test label", seed, dl, out, 0), -EINVAL);
	CU_ASSERT_EQUAL(crypto_tls12_prf(CRYPTO_MD_SHA256, NULL, sl, "test label", seed, dl, out, 10), -EINVAL);
	free(secret);
	free(seed);
}

/* RFC 4231 §4.3 test case 2 ("Jefe"). */
void test_tlsrec_hmac_rfc4231(void)
{
	static const char data[] = "what do ya want for nothing?";
	uint8_t out[64];

	CU_ASSERT_EQUAL(crypto_hmac(CRYPTO_MD_SHA256, (const uint8_t *)"Jefe", 4, (const uint8_t *)data,
				    sizeof(data) - 1, out),
			32);
	TEST_ASSERT_HEX_EQ(out, 32, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
	CU_ASSERT_EQUAL(crypto_hmac(CRYPTO_MD_SHA384, (const uint8_t *)"Jefe", 4, (const uint8_t *)data,
				    sizeof(data) - 1, out),
			48);
	TEST_ASSERT_HEX_EQ(out, 48,
			   "af45d2e376484031617f78d2b58a6b1b9c7ef464f5a01b47e42ec3736322445e8e2240ca5e69e2c78b3239ecfab"
			   "21649");
	/* split input gives the same MAC */
	CU_ASSERT_EQUAL(crypto_hmac2(CRYPTO_MD_SHA256, (const uint8_t *)"Jefe", 4, (const uint8_t *)data, 10,
				     (const uint8_t *)data + 10, sizeof(data) - 11, out),
			32);
	TEST_ASSERT_HEX_EQ(out, 32, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

/* McGrew & Viega, "The Galois/Counter Mode of Operation", test case 4 (AES-128, with AAD). */
void test_tlsrec_gcm_vector(void)
{
	size_t kl, nl, al, pl, cl;
	uint8_t *key = test_unhex("feffe9928665731c6d6a8f9467308308", &kl);
	uint8_t *nonce = test_unhex("cafebabefacedbaddecaf888", &nl);
	uint8_t *aad = test_unhex("feedfacedeadbeeffeedfacedeadbeefabaddad2", &al);
	uint8_t *pt = test_unhex("d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0"
				 "e24"
				 "49a6b525b16aedf5aa0de657ba637b39",
				 &pl);
	uint8_t *ct = test_unhex("42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e21d514b25466931c7d8f6"
				 "a5a"
				 "ac84aa051ba30b396a0aac973d58e091"
				 "5bc94fbc3221a5db94fae95ae7121a47",
				 &cl);
	uint8_t out[128];

	CU_ASSERT_EQUAL(crypto_aead_encrypt(CRYPTO_AEAD_AES_GCM, key, kl, nonce, aad, al, pt, pl, out), (int)pl);
	TEST_ASSERT_MEM_EQ(out, pl + 16, ct, cl);
	CU_ASSERT_EQUAL(crypto_aead_decrypt(CRYPTO_AEAD_AES_GCM, key, kl, nonce, aad, al, ct, cl, out), (int)pl);
	TEST_ASSERT_MEM_EQ(out, pl, pt, pl);
	/* any flipped bit in ciphertext, tag or AAD fails */
	ct[3] ^= 1;
	CU_ASSERT_EQUAL(crypto_aead_decrypt(CRYPTO_AEAD_AES_GCM, key, kl, nonce, aad, al, ct, cl, out), -EBADMSG);
	ct[3] ^= 1;
	ct[cl - 1] ^= 0x80;
	CU_ASSERT_EQUAL(crypto_aead_decrypt(CRYPTO_AEAD_AES_GCM, key, kl, nonce, aad, al, ct, cl, out), -EBADMSG);
	ct[cl - 1] ^= 0x80;
	aad[0] ^= 1;
	CU_ASSERT_EQUAL(crypto_aead_decrypt(CRYPTO_AEAD_AES_GCM, key, kl, nonce, aad, al, ct, cl, out), -EBADMSG);
	CU_ASSERT_EQUAL(crypto_aead_decrypt(CRYPTO_AEAD_AES_GCM, key, 15, nonce, aad, al, ct, cl, out), -EINVAL);
	CU_ASSERT_EQUAL(crypto_aead_decrypt(CRYPTO_AEAD_AES_GCM, key, kl, nonce, aad, al, ct, 15, out), -EINVAL);
	free(key);
	free(nonce);
	free(aad);
	free(pt);
	free(ct);
}

/* RFC 8439 §2.8.2 AEAD_CHACHA20_POLY1305 example: the tag, and the first ciphertext block. */
void test_tlsrec_chacha_vector(void)
{
	static const char pt[] = "Ladies and Gentlemen of the class of '99: If I could offer you only one tip for "
				 "the future, sunscreen would be it.";
	size_t kl, nl, al;
	uint8_t *key = test_unhex("808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f", &kl);
	uint8_t *nonce = test_unhex("070000004041424344454647", &nl);
	uint8_t *aad = test_unhex("50515253c0c1c2c3c4c5c6c7", &al);
	uint8_t out[256], back[256];
	size_t n = sizeof(pt) - 1;

	CU_ASSERT_EQUAL(crypto_aead_encrypt(CRYPTO_AEAD_CHACHA20_POLY1305, key, kl, nonce, aad, al, (const uint8_t *)pt,
					    n, out),
			(int)n);
	TEST_ASSERT_HEX_EQ(out, 16, "d31a8d34648e60db7b86afbc53ef7ec2");
	TEST_ASSERT_HEX_EQ(out + n, 16, "1ae10b594f09e26a7e902ecbd0600691");
	CU_ASSERT_EQUAL(crypto_aead_decrypt(CRYPTO_AEAD_CHACHA20_POLY1305, key, kl, nonce, aad, al, out, n + 16, back),
			(int)n);
	TEST_ASSERT_MEM_EQ(back, n, pt, n);
	free(key);
	free(nonce);
	free(aad);
}
