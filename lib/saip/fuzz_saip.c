/* libFuzzer target: SAIP package and EUICCResponse decoders over arbitrary bytes. */
#include <stdint.h>
#include <stdlib.h>

#include "lib/saip/saip.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct saip_profile p;
	struct saip_findings f;
	struct saip_euicc_response r;

	if (saip_decode(&p, data, size, &f) == 0 && f.n > SAIP_MAX_FINDINGS)
		abort();
	if (saip_euicc_response_decode(&r, data, size) > 0) {
		uint8_t out[4096];
		struct saip_euicc_response back;
		int n = saip_euicc_response_encode(out, sizeof(out), &r);

		/* what decodes re-encodes, and decodes to the same entries */
		if (n > 0 && (saip_euicc_response_decode(&back, out, (size_t)n) != n || back.n != r.n))
			abort();
	}
	return 0;
}
