/* libFuzzer target: the SOAP/ES decoder (soap_doc_parse + table-driven decode) over arbitrary
 * bytes; what decodes is re-encoded and must decode again. Seed corpus: every example envelope
 * (rsplab tool es example) and the ZTE callback. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/es/es.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct es_msg msg, back;
	static struct soap_findings f;
	static char arena[1 << 17], arena2[1 << 17];
	static uint8_t out[1 << 17];
	int n;

	if (size > sizeof(arena) - 256)
		return 0;
	soap_findings_init(&f);
	if (es_msg_decode(&msg, arena, sizeof(arena), data, size, NULL, &f) != 0 || msg.is_fault)
		return 0;
	n = es_msg_encode(out, sizeof(out), &msg, NULL);
	if (n > 0) {
		soap_findings_init(&f);
		if (es_msg_decode(&back, arena2, sizeof(arena2), out, (size_t)n, NULL, &f) != 0 || back.id != msg.id)
			abort();
	}
	return 0;
}
