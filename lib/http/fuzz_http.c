/* libFuzzer target: the HTTP message assembly (lib/http/http_msg.h) over arbitrary bytes. The first
 * byte picks request or response parsing and how the rest is split across feeds; complete messages
 * are consumed one after the other (pipelining), then EOF is signalled. Small limits make the caps
 * reachable. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <talloc.h>

#include "lib/http/http_msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct http_limits lim = { .max_header_bytes = 512, .max_headers = 16, .max_body = 4096 };
	struct http_rx *rx;
	size_t off = 1, step;

	if (size < 1)
		return 0;
	step = (data[0] >> 1) ? (data[0] >> 1) : size;
	rx = http_rx_alloc(NULL, (data[0] & 1) == 0, &lim);
	if (!rx)
		return 0;
	while (off < size) {
		size_t n = size - off < step ? size - off : step;
		int rc = http_rx_feed(rx, data + off, n);
		if (rc < 0)
			break;
		off += (size_t)rc;
		if (http_rx_done(rx)) {
			const struct http_msg *m = http_rx_msg(rx);
			/* touch everything the message exposes */
			volatile size_t sum = m->body_len + strlen(m->url) + strlen(m->reason);
			for (unsigned int i = 0; i < m->num_hdr + m->num_trailers; i++)
				sum += strlen(m->hdr[i].name) + strlen(m->hdr[i].value);
			if (m->body_len)
				sum += m->body[m->body_len - 1];
			(void)sum;
			http_rx_next(rx);
		} else if (rc == 0) {
			break;
		}
	}
	http_rx_eof(rx);
	talloc_free(rx);
	return 0;
}
