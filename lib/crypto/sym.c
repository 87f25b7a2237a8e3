/* Symmetric crypto primitives (see sym.h). */
#include <errno.h>
#include <string.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#include "lib/crypto/sym.h"

enum cipher_id {
	CIPHER_AES128_CBC,
	CIPHER_AES192_CBC,
	CIPHER_AES256_CBC,
	CIPHER_DES3_2K_CBC,
	CIPHER_DES3_3K_CBC,
	_NUM_CIPHERS
};

static const char *const cipher_names[_NUM_CIPHERS] = {
	[CIPHER_AES128_CBC] = "AES-128-CBC", [CIPHER_AES192_CBC] = "AES-192-CBC", [CIPHER_AES256_CBC] = "AES-256-CBC",
	[CIPHER_DES3_2K_CBC] = "DES-EDE-CBC", [CIPHER_DES3_3K_CBC] = "DES-EDE3-CBC",
};

/* Fetched once and kept: EVP_CIPHER_fetch per call would cost a provider lookup each time. */
static EVP_CIPHER *ciphers[_NUM_CIPHERS];
static EVP_MAC *cmac;
static _Thread_local EVP_CIPHER_CTX *cipher_ctx;
static _Thread_local EVP_MAC_CTX *cmac_ctx;

static const EVP_CIPHER *cipher_get(enum cipher_id id)
{
	if (!ciphers[id])
		ciphers[id] = EVP_CIPHER_fetch(NULL, cipher_names[id], NULL);
	return ciphers[id];
}

static int aes_cipher_id(size_t key_len)
{
	switch (key_len) {
	case 16: return CIPHER_AES128_CBC;
	case 24: return CIPHER_AES192_CBC;
	case 32: return CIPHER_AES256_CBC;
	default: return -EINVAL;
	}
}

static int cbc(enum cipher_id id, bool encrypt, const uint8_t *key, const uint8_t *iv, const uint8_t *in, size_t len,
	       uint8_t *out)
{
	const EVP_CIPHER *cipher = cipher_get(id);
	int outl = 0, finl = 0;

	if (!cipher)
		return -EIO;
	if (!cipher_ctx && !(cipher_ctx = EVP_CIPHER_CTX_new()))
		return -ENOMEM;
	if (len > INT32_MAX)
		return -EINVAL;
	if (!EVP_CipherInit_ex2(cipher_ctx, cipher, key, iv, encrypt ? 1 : 0, NULL) ||
	    !EVP_CIPHER_CTX_set_padding(cipher_ctx, 0) || !EVP_CipherUpdate(cipher_ctx, out, &outl, in, (int)len) ||
	    !EVP_CipherFinal_ex(cipher_ctx, out + outl, &finl))
		return -EIO;
	return (size_t)(outl + finl) == len ? 0 : -EIO;
}

int crypto_aes_cbc(bool encrypt, const uint8_t *key, size_t key_len, const uint8_t iv[AES_BLOCK], const uint8_t *in,
		   size_t len, uint8_t *out)
{
	int id = aes_cipher_id(key_len);

	if (id < 0 || len % AES_BLOCK)
		return -EINVAL;
	if (len == 0)
		return 0;
	return cbc((enum cipher_id)id, encrypt, key, iv, in, len, out);
}

int crypto_aes_cmac(const uint8_t *key, size_t key_len, const uint8_t *msg, size_t len, uint8_t mac[AES_BLOCK])
{
	int id = aes_cipher_id(key_len);
	OSSL_PARAM params[2];
	size_t maclen = 0;

	if (id < 0)
		return -EINVAL;
	if (!cmac && !(cmac = EVP_MAC_fetch(NULL, "CMAC", NULL)))
		return -EIO;
	if (!cmac_ctx && !(cmac_ctx = EVP_MAC_CTX_new(cmac)))
		return -ENOMEM;
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_CIPHER, (char *)cipher_names[id], 0);
	params[1] = OSSL_PARAM_construct_end();
	if (!EVP_MAC_init(cmac_ctx, key, key_len, params) || !EVP_MAC_update(cmac_ctx, msg, len) ||
	    !EVP_MAC_final(cmac_ctx, mac, &maclen, AES_BLOCK))
		return -EIO;
	return maclen == AES_BLOCK ? 0 : -EIO;
}

int crypto_des3_cbc(bool encrypt, const uint8_t *key, size_t key_len, const uint8_t iv[DES_BLOCK], const uint8_t *in,
		    size_t len, uint8_t *out)
{
	if ((key_len != 16 && key_len != 24) || len % DES_BLOCK)
		return -EINVAL;
	if (len == 0)
		return 0;
	return cbc(key_len == 16 ? CIPHER_DES3_2K_CBC : CIPHER_DES3_3K_CBC, encrypt, key, iv, in, len, out);
}

int crypto_des3_cbc_mac(const uint8_t *key, size_t key_len, const uint8_t *msg, size_t len, uint8_t mac[DES_BLOCK])
{
	static const uint8_t zero_iv[DES_BLOCK];
	const EVP_CIPHER *cipher;
	uint8_t scratch[256];

	if ((key_len != 16 && key_len != 24) || len % DES_BLOCK || len == 0)
		return -EINVAL;
	cipher = cipher_get(key_len == 16 ? CIPHER_DES3_2K_CBC : CIPHER_DES3_3K_CBC);
	if (!cipher)
		return -EIO;
	if (!cipher_ctx && !(cipher_ctx = EVP_CIPHER_CTX_new()))
		return -ENOMEM;
	if (!EVP_CipherInit_ex2(cipher_ctx, cipher, key, zero_iv, 1, NULL) || !EVP_CIPHER_CTX_set_padding(cipher_ctx, 0))
		return -EIO;
	/* Stream the message through CBC in chunks; the MAC is the last ciphertext block. */
	for (size_t off = 0; off < len; off += sizeof(scratch)) {
		size_t n = len - off < sizeof(scratch) ? len - off : sizeof(scratch);
		int outl = 0;

		if (!EVP_CipherUpdate(cipher_ctx, scratch, &outl, msg + off, (int)n) || (size_t)outl != n)
			return -EIO;
		if (off + n == len)
			memcpy(mac, scratch + n - DES_BLOCK, DES_BLOCK);
	}
	return 0;
}

uint32_t crypto_crc32(const uint8_t *buf, size_t len)
{
	uint32_t crc = 0xFFFFFFFF;

	for (size_t i = 0; i < len; i++) {
		crc ^= buf[i];
		for (int b = 0; b < 8; b++)
			crc = (crc >> 1) ^ (0xEDB88320 & -(crc & 1));
	}
	return crc ^ 0xFFFFFFFF;
}

int crypto_random(uint8_t *buf, size_t len)
{
	if (len > INT32_MAX)
		return -EINVAL;
	return RAND_bytes(buf, (int)len) == 1 ? 0 : -EIO;
}

bool crypto_mem_equal(const void *a, const void *b, size_t len)
{
	return CRYPTO_memcmp(a, b, len) == 0;
}
