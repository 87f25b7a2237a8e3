/* libFuzzer target: the BER-TLV and COMPREHENSION-TLV walkers over arbitrary bytes, recursing into
 * every constructed BER-TLV, and the writer re-encoding what was decoded. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/tlv/bertlv.h"
#include "lib/tlv/ctlv.h"

static void walk_ber(const uint8_t *buf, size_t len, unsigned int depth)
{
	struct bertlv_iter it;
	struct bertlv t;

	bertlv_iter_init(&it, buf, len);
	while (bertlv_iter_next(&it, &t) > 0) {
		if (t.constructed && depth < 8)
			walk_ber(t.value, t.len, depth + 1);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bertlv t;
	struct ctlv_iter cit;
	struct ctlv c;

	walk_ber(data, size, 0);
	ctlv_iter_init(&cit, data, size);
	while (ctlv_iter_next(&cit, &c) > 0)
		;

	/* Re-encode a definite-form TLV: the result must decode to the same tag and value. */
	if (bertlv_decode(&t, data, size) >= 0 && !t.indefinite && t.len < 4096) {
		uint8_t out[4096 + 8];
		struct bertlv_writer w;
		struct bertlv back;
		int n;

		bertlv_writer_init(&w, out, sizeof(out));
		bertlv_put(&w, t.tag, t.value, t.len);
		n = bertlv_writer_finish(&w);
		if (n < 0 || bertlv_decode(&back, out, (size_t)n) != n || back.tag != t.tag || back.len != t.len ||
		    memcmp(back.value, t.value, t.len) != 0)
			abort();
	}
	return 0;
}
