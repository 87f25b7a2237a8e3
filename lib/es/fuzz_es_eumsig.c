/* libFuzzer target: the EumSignature verifier (es_eumsig_verify) over arbitrary bytes, under both
 * variants, with the RFC 6979 §A.2.5 P-256 key the seed vectors (corpus/fuzz_es_eumsig: es_example's
 * RegisterEIS signed with it) verify under. Nothing may crash, leak or read past size; an input accepted
 * under one variant must be refused under the other (the two sign different bytes). */
#include <stdint.h>
#include <stdlib.h>

#include "lib/crypto/ec.h"
#include "lib/es/es_eumsig.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t x[EC_SCALAR_LEN] = { 0xC9, 0xAF, 0xA9, 0xD8, 0x45, 0xBA, 0x75, 0x16, 0x6B, 0x5C, 0x21,
						  0x57, 0x67, 0xB1, 0xD6, 0x93, 0x4E, 0x50, 0xC3, 0xDB, 0x36, 0xE8,
						  0x9B, 0x12, 0x7B, 0x8A, 0x62, 0x2B, 0x12, 0x0F, 0x67, 0x21 };
	static EVP_PKEY *key;
	int a, b;

	if (!key && crypto_ec_from_private(CRYPTO_CURVE_P256, x, sizeof(x), &key) < 0)
		abort();
	a = es_eumsig_verify(data, size, &key, 1, ES_EUMSIG_DSIG_DETACHED, NULL);
	b = es_eumsig_verify(data, size, &key, 1, ES_EUMSIG_DIRECT, NULL);
	if (a == 0 && b == 0)
		abort();
	return 0;
}
