/* Fuzz target: a whole capture through the checker (pcap reader, link/IP/TCP decoding, TCP
 * reassembly, TLS with a fixed key log matching the seed session, HTTP/SOAP, SMPP, SCP80 with the
 * seed's keys, procedure rules). Seeds: the pcaps of check_test.c (corpus/fuzz_check_pcap/). */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <talloc.h>

#include "harness/check/check.h"
#include "harness/check/kv.h"

static const char keylog[] = "CLIENT_RANDOM 1111111111111111111111111111111111111111111111111111111111111111 "
			     "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f202122232425262728292a2b"
			     "2c2d2e2f\n";
static const char keys[] = "scp80.1.kic = 200102030405060708090a0b0c0d0e0f\n"
			   "scp80.1.kid = 201102030405060708090a0b0c0d0e0f\n";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	void *ctx = talloc_named_const(NULL, 0, "fuzz");
	struct tlsdec_keylog *kl = tlsdec_keylog_alloc(ctx);
	struct check_opts o;
	struct checker *ck;
	char err[64];

	check_opts_init(&o);
	tlsdec_keylog_add_text(kl, keylog, sizeof(keylog) - 1, NULL);
	check_kv_parse_scp80(&o, keys, sizeof(keys) - 1, err, sizeof(err));
	o.keylog = kl;
	ck = checker_alloc(ctx, &o);
	if (ck)
		checker_run_buffer(ck, data, size);
	talloc_free(ctx);
	return 0;
}
