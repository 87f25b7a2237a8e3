/* libFuzzer target for the ECKA decoders: the first byte selects the A6 CRT decoder (00, which must
 * re-encode a decoded CRT to the same bytes when the input used our field order) or the 7F49 ePK
 * decoder (01). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/ecka/ecka.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	if (data[0] == 0) {
		struct ecka_crt c;
		uint8_t out[ECKA_CRT_MAX + 8];
		int n = ecka_crt_decode(&c, data + 1, size - 1), m;

		if (n > 0) {
			m = ecka_crt_encode(&c, out, sizeof(out));
			/* every decoded CRT can be re-encoded, and decodes again to the same fields */
			if (m < 0) {
				abort();
			} else {
				struct ecka_crt d;

				if (ecka_crt_decode(&d, out, (size_t)m) != m || d.param != c.param || d.kuq != c.kuq ||
				    d.kvn != c.kvn || d.host_id_len != c.host_id_len || d.counter_len != c.counter_len)
					abort();
			}
		}
	} else if (data[0] == 1) {
		const uint8_t *p;
		int n = ecka_epk_decode(data + 1, size - 1, &p);

		if (n > 0 && (p < data + 1 || p + EC_POINT_LEN > data + size || p[0] != 0x04))
			abort();
	}
	return 0;
}
