/* libFuzzer target: the SCP81 Administration Session Triggering Parameters parser over arbitrary bytes,
 * both retry-delay readings, and re-encoding: what decoded must encode and decode to the same fields. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/scp81/scp81.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t out[SCP81_MAX_TRIGGER];
	struct scp81_trigger t, back;
	uint32_t secs;
	int n;

	if (scp81_trigger_decode(&t, data, size) < 0)
		return 0;
	if (t.has_retry) {
		scp81_retry_delay_get(&t, SCP81_TIMER_BCD, &secs);
		scp81_retry_delay_get(&t, SCP81_TIMER_BINARY, &secs);
	}
	n = scp81_trigger_encode(out, sizeof(out), &t);
	if (n < 0)
		return 0; /* e.g. a bearer description too long to re-encode */
	if (scp81_trigger_decode(&back, out, (size_t)n) != n || back.has_session != t.has_session ||
	    back.has_security != t.has_security || back.kvn != t.kvn || back.kid != t.kid ||
	    back.psk_id.len != t.psk_id.len || back.retry_counter != t.retry_counter ||
	    memcmp(back.retry_delay, t.retry_delay, sizeof(t.retry_delay)) != 0 ||
	    back.admin_uri.len != t.admin_uri.len || back.connection.port != t.connection.port || back.unknown != 0)
		abort();
	return 0;
}
