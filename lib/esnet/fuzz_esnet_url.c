/* libFuzzer target: esnet_url_parse() over arbitrary bytes (it parses wsa:ReplyTo / wsa:From
 * addresses, which are peer-controlled). What parses must have a host, a port and a path that starts
 * with '/'. Seed corpus: the URL forms of esnet_test.c. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/esnet/esnet.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char s[2048], stripped[2048];
	struct esnet_url u;

	if (size >= sizeof(s))
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	if (esnet_url_parse(s, &u) == 0 && (!u.host[0] || u.port == 0 || u.path[0] != '/'))
		abort();
	if (esnet_url_strip_query(s, stripped, sizeof(stripped)) < 0)
		abort();
	return 0;
}
