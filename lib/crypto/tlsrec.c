/* TLS 1.2 record primitives (see tlsrec.h). */
#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>

#include "lib/crypto/tlsrec.h"

static EVP_KDF *prf_kdf;
static EVP_MAC *hmac_mac;
static EVP_CIPHER *aead_ciphers[3]; /* AES-128-GCM, AES-256-GCM, ChaCha20-Poly1305 */

static const char *md_name(enum crypto_md md)
{
	return md == CRYPTO_MD_SHA384 ? "SHA384" : "SHA256";
}

int crypto_tls12_prf(enum crypto_md md, const uint8_t *secret, size_t secret_len, const char *label,
		     const uint8_t *seed, size_t seed_len, uint8_t *out, size_t out_len)
{
	OSSL_PARAM params[5], *p = params;
	EVP_KDF_CTX *kctx;
	int rc;

	if (!secret || !label || (!seed && seed_len) || !out || out_len == 0 || out_len > CRYPTO_TLS_PRF_MAX)
		return -EINVAL;
	if (!prf_kdf && !(prf_kdf = EVP_KDF_fetch(NULL, "TLS1-PRF", NULL)))
		return -EIO;
	kctx = EVP_KDF_CTX_new(prf_kdf);
	if (!kctx)
		return -ENOMEM;
	/* RFC 5246 §5: PRF(secret, label, seed) = P_hash(secret, label ‖ seed); the KDF concatenates the
	 * seed parameters in order. */
	*p++ = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *)md_name(md), 0);
	*p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SECRET, (void *)secret, secret_len);
	*p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SEED, (void *)label, strlen(label));
	*p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SEED, (void *)(seed ? seed : (const uint8_t *)""),
						 seed_len);
	*p = OSSL_PARAM_construct_end();
	rc = EVP_KDF_derive(kctx, out, out_len, params) > 0 ? 0 : -EIO;
	EVP_KDF_CTX_free(kctx);
	return rc;
}

int crypto_hmac2(enum crypto_md md, const uint8_t *key, size_t key_len, const uint8_t *a, size_t a_len,
		 const uint8_t *b, size_t b_len, uint8_t *out)
{
	OSSL_PARAM params[2];
	EVP_MAC_CTX *mctx;
	size_t outl = 0;
	int rc = -EIO;

	if (!key || (!a && a_len) || (!b && b_len) || !out)
		return -EINVAL;
	if (!hmac_mac && !(hmac_mac = EVP_MAC_fetch(NULL, "HMAC", NULL)))
		return -EIO;
	mctx = EVP_MAC_CTX_new(hmac_mac);
	if (!mctx)
		return -ENOMEM;
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)md_name(md), 0);
	params[1] = OSSL_PARAM_construct_end();
	if (EVP_MAC_init(mctx, key, key_len, params) && (!a_len || EVP_MAC_update(mctx, a, a_len)) &&
	    (!b_len || EVP_MAC_update(mctx, b, b_len)) && EVP_MAC_final(mctx, out, &outl, 64))
		rc = (int)outl;
	EVP_MAC_CTX_free(mctx);
	return rc;
}

int crypto_hmac(enum crypto_md md, const uint8_t *key, size_t key_len, const uint8_t *msg, size_t len, uint8_t *out)
{
	return crypto_hmac2(md, key, key_len, msg, len, NULL, 0, out);
}

static const EVP_CIPHER *aead_cipher(enum crypto_aead alg, size_t key_len)
{
	int idx;
	static const char *const names[3] = { "AES-128-GCM", "AES-256-GCM", "ChaCha20-Poly1305" };

	if (alg == CRYPTO_AEAD_AES_GCM && key_len == 16)
		idx = 0;
	else if (alg == CRYPTO_AEAD_AES_GCM && key_len == 32)
		idx = 1;
	else if (alg == CRYPTO_AEAD_CHACHA20_POLY1305 && key_len == 32)
		idx = 2;
	else
		return NULL;
	if (!aead_ciphers[idx])
		aead_ciphers[idx] = EVP_CIPHER_fetch(NULL, names[idx], NULL);
	return aead_ciphers[idx];
}

static int aead_run(bool enc, enum crypto_aead alg, const uint8_t *key, size_t key_len, const uint8_t nonce[12],
		    const uint8_t *aad, size_t aad_len, const uint8_t *in, size_t len, uint8_t *tag, uint8_t *out)
{
	const EVP_CIPHER *c = aead_cipher(alg, key_len);
	EVP_CIPHER_CTX *ctx;
	int outl = 0, finl = 0, rc = -EIO;

	if (!c)
		return -EINVAL;
	if (len > INT32_MAX || aad_len > INT32_MAX)
		return -EINVAL;
	ctx = EVP_CIPHER_CTX_new();
	if (!ctx)
		return -ENOMEM;
	if (!EVP_CipherInit_ex2(ctx, c, NULL, NULL, enc ? 1 : 0, NULL) ||
	    !EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_IVLEN, 12, NULL) ||
	    !EVP_CipherInit_ex2(ctx, NULL, key, nonce, enc ? 1 : 0, NULL))
		goto out;
	if (aad_len && !EVP_CipherUpdate(ctx, NULL, &outl, aad, (int)aad_len))
		goto out;
	if (len && !EVP_CipherUpdate(ctx, out, &outl, in, (int)len))
		goto out;
	if (!enc && !EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, CRYPTO_AEAD_TAG, tag))
		goto out;
	if (!EVP_CipherFinal_ex(ctx, out + outl, &finl)) {
		rc = enc ? -EIO : -EBADMSG;
		if (!enc && len)
			memset(out, 0, len);
		goto out;
	}
	if (enc && !EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, CRYPTO_AEAD_TAG, tag))
		goto out;
	rc = (int)len;
out:
	EVP_CIPHER_CTX_free(ctx);
	return rc;
}

int crypto_aead_decrypt(enum crypto_aead alg, const uint8_t *key, size_t key_len, const uint8_t nonce[12],
			const uint8_t *aad, size_t aad_len, const uint8_t *in, size_t in_len, uint8_t *out)
{
	uint8_t tag[CRYPTO_AEAD_TAG];

	if (!key || !nonce || (!aad && aad_len) || !in || !out || in_len < CRYPTO_AEAD_TAG)
		return -EINVAL;
	memcpy(tag, in + in_len - CRYPTO_AEAD_TAG, CRYPTO_AEAD_TAG);
	return aead_run(false, alg, key, key_len, nonce, aad, aad_len, in, in_len - CRYPTO_AEAD_TAG, tag, out);
}

int crypto_aead_encrypt(enum crypto_aead alg, const uint8_t *key, size_t key_len, const uint8_t nonce[12],
			const uint8_t *aad, size_t aad_len, const uint8_t *in, size_t len, uint8_t *out)
{
	if (!key || !nonce || (!aad && aad_len) || (!in && len) || !out)
		return -EINVAL;
	return aead_run(true, alg, key, key_len, nonce, aad, aad_len, in, len, out + len, out);
}
