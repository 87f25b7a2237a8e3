/* libFuzzer target: the TS 102 226 script decoders over arbitrary bytes. Every command script that
 * decodes is rebuilt in the same coding and must come out byte-identical; likewise responses. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/rscript/rscript.h"

#define FUZZ_MAX_ITEMS 64

static void cmd_round_trip(const uint8_t *data, size_t size)
{
	struct rscript_cmd_item items[FUZZ_MAX_ITEMS];
	struct rscript_cmd_iter it;
	struct rscript_builder b;
	static uint8_t out[70000];
	size_t n;
	int total, rc;

	total = rscript_cmd_decode(data, size, items, FUZZ_MAX_ITEMS, &n);
	if (total < 0 || n > FUZZ_MAX_ITEMS || rscript_cmd_open(&it, data, size) != total)
		return;
	rscript_cmd_begin(&b, out, sizeof(out), it.coding);
	for (size_t i = 0; i < n; i++)
		rscript_cmd_add(&b, items[i].kind, items[i].value, items[i].len);
	rc = rscript_cmd_finish(&b);
	/* BER allows non-minimal lengths; the builder writes minimal ones, so compare only then. */
	if (rc < 0 || (rc == total && memcmp(out, data, (size_t)rc) != 0))
		abort();
	if (rscript_cmd_decode(out, (size_t)rc, NULL, 0, NULL) != rc)
		abort();
}

static void rsp_round_trip(const uint8_t *data, size_t size)
{
	struct rscript_rsp_item items[FUZZ_MAX_ITEMS];
	struct rscript_rsp_iter it;
	struct rscript_builder b;
	static uint8_t out[70000];
	size_t n;
	int total, rc;

	total = rscript_rsp_decode(data, size, items, FUZZ_MAX_ITEMS, &n);
	if (total < 0 || n > FUZZ_MAX_ITEMS || rscript_rsp_open(&it, data, size) != total)
		return;
	rscript_rsp_begin(&b, out, sizeof(out), it.coding);
	for (size_t i = 0; i < n; i++) {
		if (items[i].kind == RSCRIPT_RSP_RAPDU)
			rscript_rsp_add_rapdu(&b, items[i].data, items[i].data_len, items[i].sw);
		else
			rscript_rsp_add(&b, items[i].tag, items[i].value, items[i].len);
	}
	rc = rscript_rsp_finish(&b);
	if (rc < 0 || rscript_rsp_decode(out, (size_t)rc, NULL, 0, NULL) != rc)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rscript_compact_iter cit;
	struct rscript_compact_rsp cr;
	struct rscript_apdu a;

	cmd_round_trip(data, size);
	rsp_round_trip(data, size);
	rscript_compact_init(&cit, data, size, RSCRIPT_COMPACT_TPDU, NULL, NULL);
	while (rscript_compact_next(&cit, &a) > 0)
		if (a.raw_len > size || (a.lc && a.data + a.lc > data + size))
			abort();
	if (rscript_apdu_parse(&a, data, size) >= 0 && a.lc + 4 > size)
		abort();
	if (rscript_compact_rsp_decode(&cr, data, size) >= 0 && cr.data_len + 3 != size)
		abort();
	return 0;
}
