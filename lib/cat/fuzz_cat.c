/* libFuzzer target: every lib/cat parser over arbitrary bytes (proactive command, TERMINAL RESPONSE,
 * ENVELOPE, channel parameters, IMEI, TERMINAL PROFILE), and re-encoding of what decoded: the encoder's
 * output must decode again to the same command details / result / event. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/cat/cat.h"

static uint8_t out[70000];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cat_proactive c, c2;
	struct cat_terminal_response tr, tr2;
	struct cat_envelope e, e2;
	struct cat_channel_params p;
	char imei[16];
	int n;

	if (cat_proactive_decode(&c, data, size) >= 0) {
		n = cat_proactive_encode(out, sizeof(out), &c);
		if (n >= 0 && (cat_proactive_decode(&c2, out, (size_t)n) != n ||
			       memcmp(&c.details, &c2.details, sizeof(c.details)) != 0 || c2.unknown != 0 ||
			       c.channel.buffer_size != c2.channel.buffer_size || c.channel.port != c2.channel.port ||
			       c.channel_data.len != c2.channel_data.len || c.tpdu.len != c2.tpdu.len))
			abort();
	}
	if (cat_terminal_response_decode(&tr, data, size) >= 0) {
		n = cat_terminal_response_encode(out, sizeof(out), &tr);
		if (n >= 0 && (cat_terminal_response_decode(&tr2, out, (size_t)n) != n || tr.general != tr2.general ||
			       tr.add_info.len != tr2.add_info.len || tr.n_channel_status != tr2.n_channel_status ||
			       tr.channel_data.len != tr2.channel_data.len || tr2.unknown != 0))
			abort();
		if (tr.has_imei)
			cat_imei_decode(imei, tr.imei, 8);
	}
	if (cat_envelope_decode(&e, data, size) >= 0) {
		n = cat_envelope_encode(out, sizeof(out), &e);
		if (n >= 0 && (cat_envelope_decode(&e2, out, (size_t)n) != n || e.event != e2.event ||
			       e.tpdu.len != e2.tpdu.len || e.channel_data_length != e2.channel_data_length))
			abort();
	}
	cat_channel_params_decode(&p, data, size);
	for (int f = 0; f < CAT_TP_MAX_BYTES * 8; f++)
		cat_terminal_profile_has(data, size, f);
	cat_terminal_profile_channels(data, size);
	return 0;
}
