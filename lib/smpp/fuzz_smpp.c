/* libFuzzer target: SMPP framing and the guarded libsmpp34 unpack of submit_sm / deliver_sm, then a
 * re-encode through libsmpp34 of what decoded (when it fits the encoder's limits). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/smpp/smpp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct smpp_sm m, back;
	struct smpp_hdr h;
	uint8_t out[SMPP_SM_DECODE_MAX];
	int n, e;

	smpp_frame_len(data, size);
	smpp_hdr_decode(&h, data, size);
	n = smpp_sm_decode(&m, data, size);
	if (n < 0 || m.sm_in_payload || m.sm_len > 253)
		return 0;
	e = smpp_sm_encode(&m, out, sizeof(out));
	if (e < 0)
		return 0;
	if (smpp_sm_decode(&back, out, (size_t)e) != e || back.sm_len != m.sm_len ||
	    (m.sm_len && memcmp(back.sm, m.sm, m.sm_len) != 0) || back.esm_class != m.esm_class ||
	    back.data_coding != m.data_coding || strcmp(back.src.addr, m.src.addr) != 0)
		abort();
	return 0;
}
