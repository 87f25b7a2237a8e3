/* libFuzzer target: the GP certificate decoder over arbitrary bytes, then, for what decodes, the
 * type, the signed data of both ECASD variants, re-encoding (which must reproduce a decodable
 * certificate) and signature verification with a fixed issuer key (the open-questions §15 test CI). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/crypto/ec.h"
#include "lib/gpcert/gpcert.h"

static EVP_PKEY *issuer;

static const uint8_t pk_ci[EC_POINT_LEN] = {
	0x04, 0xF5, 0xD2, 0xFF, 0xB5, 0x29, 0x3E, 0xD9, 0x53, 0x05, 0x3D, 0xAF, 0x08, 0x65, 0xF7, 0xFC, 0xAE,
	0xE9, 0x79, 0x02, 0x16, 0xAD, 0x86, 0x12, 0x46, 0x77, 0x7B, 0x3C, 0xCB, 0xE4, 0x07, 0x7B, 0xA2, 0x61,
	0xBB, 0x8A, 0x99, 0x9D, 0xD9, 0xD5, 0x6F, 0x98, 0x7E, 0x5A, 0xC8, 0x54, 0x8A, 0xFB, 0xA5, 0xB1, 0x1A,
	0x91, 0xA7, 0x86, 0xAC, 0xFC, 0xA4, 0x98, 0x2B, 0x18, 0xC5, 0x19, 0x2D, 0x15, 0xCA,
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct gpcert_variant nj = { .ecasd_sigdata = GPCERT_ECASD_SIGDATA_NJIWA };
	struct gpcert c, back;
	enum gpcert_err why;
	uint8_t out[GPCERT_MAX_LEN], sd[GPCERT_MAX_LEN];
	int n, m;

	if (!issuer && crypto_ec_from_public(CRYPTO_CURVE_P256, pk_ci, sizeof(pk_ci), &issuer) < 0)
		abort();
	n = gpcert_decode(&c, data, size, &why);
	if (n < 0) {
		if (why == GPCERT_OK)
			abort(); /* a rejection always has a reason */
		return 0;
	}
	if ((size_t)n > size || why != GPCERT_OK)
		abort();
	gpcert_type_of(&c, NULL);
	gpcert_signed_data(&c, NULL, sd, sizeof(sd));
	gpcert_signed_data(&c, &nj, sd, sizeof(sd));

	/* What decodes re-encodes to something that decodes to the same fields. */
	m = gpcert_encode(out, sizeof(out), &c, NULL);
	if (m < 0 || gpcert_decode_exact(&back, out, (size_t)m, &why) != m)
		abort();
	if (back.expiration != c.expiration || back.effective != c.effective || back.curve != c.curve ||
	    memcmp(back.public_key, c.public_key, EC_POINT_LEN) != 0 ||
	    memcmp(back.signature, c.signature, EC_SIG_LEN) != 0)
		abort();

	gpcert_check(&c, issuer, NULL, &why);
	return 0;
}
