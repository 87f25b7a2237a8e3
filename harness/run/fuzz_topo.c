/* libFuzzer target: the topology parser (untrusted text: a vendor may hand us one) and its writer. */
#include <stdint.h>
#include <stdlib.h>

#include "harness/run/topo.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct topo t;
	static char out[16384];
	struct topo_error e;

	if (topo_parse((const char *)data, size, &t, &e) == 0)
		topo_format(&t, out, sizeof(out));
	return 0;
}
