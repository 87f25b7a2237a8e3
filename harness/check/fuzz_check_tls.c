/* Fuzz target: the TLS layer alone. Input = a sequence of chunks `dir(1) len(2) bytes`, fed to one
 * connection (both directions), with key log entries (TLS 1.2 and 1.3) for client random 11..11 so that hellos built
 * by the fuzzer reach the decryption paths (GCM, ChaCha, CBC with and without encrypt-then-MAC). */
#include <stddef.h>
#include <stdint.h>

#include <talloc.h>

#include "harness/check/tlsdec.h"

static const char keylog[] = "CLIENT_RANDOM 1111111111111111111111111111111111111111111111111111111111111111 "
			     "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f202122232425262728292a2b"
			     "2c2d2e2f\n"
			     /* TLS 1.3 secrets for the same random (SHA-256 suites), so 0x0304 hellos reach 1.3 */
			     "CLIENT_HANDSHAKE_TRAFFIC_SECRET "
			     "1111111111111111111111111111111111111111111111111111111111111111 "
			     "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\n"
			     "SERVER_HANDSHAKE_TRAFFIC_SECRET "
			     "1111111111111111111111111111111111111111111111111111111111111111 "
			     "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\n"
			     "CLIENT_TRAFFIC_SECRET_0 1111111111111111111111111111111111111111111111111111111111111111 "
			     "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\n"
			     "SERVER_TRAFFIC_SECRET_0 1111111111111111111111111111111111111111111111111111111111111111 "
			     "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\n";

static void app(void *priv, int dir, const uint8_t *d, size_t len, uint32_t frame)
{
	volatile uint8_t x = len ? d[len - 1] : 0;
	(void)x;
}

static const struct tlsdec_ops ops = { .app = app };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	void *ctx = talloc_named_const(NULL, 0, "fuzz");
	struct tlsdec_keylog *kl = tlsdec_keylog_alloc(ctx);
	struct tlsdec_conn *c;
	struct tlsdec_record r;
	size_t off = 0;
	uint32_t frame = 0;

	tlsdec_record_decode(&r, data, size);
	tlsdec_keylog_add_text(kl, keylog, sizeof(keylog) - 1, NULL);
	tlsdec_keylog_add_text(kl, (const char *)data, size < 4096 ? size : 4096, NULL);
	c = tlsdec_conn_alloc(ctx, kl, &ops, NULL);
	while (c && size - off >= 3) {
		int dir = data[off] & 1;
		size_t len = (size_t)data[off + 1] << 8 | data[off + 2];

		off += 3;
		if (len > size - off)
			len = size - off;
		tlsdec_conn_feed(c, dir, data + off, len, ++frame);
		off += len;
	}
	talloc_free(ctx);
	return 0;
}
