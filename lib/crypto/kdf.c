/* ANSI X9.63 KDF with SHA-256 (see kdf.h). Written on EVP_Digest* directly (not EVP_KDF "X963KDF")
 * so that the tests can use OpenSSL's own X963KDF as an independent second computation. */
#include <errno.h>
#include <string.h>
#include <openssl/evp.h>

#include "lib/crypto/kdf.h"

#define SHA256_OUT 32

static EVP_MD *sha256;			 /* fetched once, kept for the life of the process */
static _Thread_local EVP_MD_CTX *md_ctx; /* reused per thread */

int crypto_x963_kdf_sha256(const uint8_t *z, size_t z_len, const uint8_t *shared_info, size_t si_len, uint8_t *out,
			   size_t out_len)
{
	uint8_t block[SHA256_OUT];
	size_t done = 0;
	uint32_t counter = 1;

	if (!z || !out || (si_len && !shared_info) || out_len == 0 || out_len > CRYPTO_X963_MAX_OUT)
		return -EINVAL;
	if (!sha256 && !(sha256 = EVP_MD_fetch(NULL, "SHA256", NULL)))
		return -EIO;
	if (!md_ctx && !(md_ctx = EVP_MD_CTX_new()))
		return -ENOMEM;
	while (done < out_len) {
		/* ANSI X9.63 §5.6.3: the counter is a 32-bit big-endian integer starting at 1. */
		const uint8_t ctr[4] = { (uint8_t)(counter >> 24), (uint8_t)(counter >> 16), (uint8_t)(counter >> 8),
					 (uint8_t)counter };
		size_t n = out_len - done < SHA256_OUT ? out_len - done : SHA256_OUT;

		if (!EVP_DigestInit_ex2(md_ctx, sha256, NULL) || !EVP_DigestUpdate(md_ctx, z, z_len) ||
		    !EVP_DigestUpdate(md_ctx, ctr, sizeof(ctr)) ||
		    (si_len && !EVP_DigestUpdate(md_ctx, shared_info, si_len)) ||
		    !EVP_DigestFinal_ex(md_ctx, block, NULL)) {
			OPENSSL_cleanse(block, sizeof(block));
			return -EIO;
		}
		memcpy(out + done, block, n);
		done += n;
		counter++;
	}
	OPENSSL_cleanse(block, sizeof(block));
	return 0;
}
