#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <osmocom/core/utils.h>

#include "harness/tool_util.h"

int tool_hex_arg(const char *what, const char *hex, uint8_t *out, size_t cap)
{
	size_t digits = 0;
	int n;

	for (const char *p = hex; *p; p++) {
		if (isspace((unsigned char)*p))
			continue;
		if (!isxdigit((unsigned char)*p)) {
			fprintf(stderr, "%s: '%c' is not a hex digit\n", what, *p);
			return -1;
		}
		digits++;
	}
	if (digits % 2) {
		fprintf(stderr, "%s: odd number of hex digits (%zu)\n", what, digits);
		return -1;
	}
	if (digits / 2 > cap) {
		fprintf(stderr, "%s: %zu bytes, at most %zu allowed\n", what, digits / 2, cap);
		return -1;
	}
	n = osmo_hexparse(hex, out, (unsigned int)cap);
	if (n < 0 || (size_t)n != digits / 2) {
		fprintf(stderr, "%s: malformed hex\n", what);
		return -1;
	}
	return n;
}

void tool_kv_hex(const char *key, const uint8_t *buf, size_t len)
{
	printf("%s=", key);
	for (size_t i = 0; i < len; i++)
		printf("%02x", buf[i]);
	printf("\n");
}
