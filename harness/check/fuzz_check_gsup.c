/* Fuzz target: IPA framing and GSUP (libosmocore osmo_gsup_decode) as the checker runs them on one
 * direction of a stream: frames are cut from the input until it ends or the framing breaks; GSUP
 * frames are decoded. Also the detector on the input's start. Seeds: corpus/fuzz_check_gsup/ (frames
 * of gsup_test.c). */
#include <stddef.h>
#include <stdint.h>

#include "harness/check/check_internal.h"
#include "harness/check/gsup.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct check_ipa_msg m;
	struct check_gsup_info g;
	size_t off = 0;
	int n;

	(void)check_app_detect(data, size);
	while ((n = check_ipa_decode(&m, data + off, size - off)) > 0) {
		if (m.proto == 0xee && m.ext == 0x05)
			check_gsup_decode(&g, m.data, m.len);
		off += (size_t)n;
	}
	return 0;
}
