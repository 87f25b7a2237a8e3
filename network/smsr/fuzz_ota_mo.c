/* Fuzz the SM-SR's MO SMS path (smsr_ota_rx_mo: UDH parsing, concatenation, PoR / command packet
 * verification) and the Kannel callback parameter decoding with arbitrary input. Input: a sequence of
 * [len(1)][TP-UD(len)] records fed as MO SMS from the MSISDN of a registered eUICC (SCP80 keys set up
 * once in an in-memory store); the whole input is also parsed as a query string. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <osmocom/core/application.h>
#include <osmocom/core/logging.h>
#include <osmocom/core/utils.h>
#include <talloc.h>

#include "network/smsr/smsr_kannel.h"
#include "network/smsr/smsr_log.h"
#include "network/smsr/smsr_ota.h"

static struct smsr_ota *ota;

static void setup(void)
{
	struct smsr_eis_row row = { .state = SMSR_EIS_ACTIVE, .last_notif_seq = -1 };
	struct smsr_keyset_row ks = { .kvn = 1, .kind = SMSR_KEYSET_SCP80, .kic_len = 16, .kid_len = 16 };
	struct es_eis eis = { 0 };
	struct smsr_store *store;
	char err[64];

	osmo_init_logging2(NULL, &smsr_log_info);
	log_set_log_level(osmo_stderr_target, LOGL_FATAL); /* drop lines are expected here */
	store = smsr_store_open(NULL, ":memory:", err, sizeof(err));
	if (!store)
		abort();
	snprintf(row.eid, sizeof(row.eid), "89001012012341234012345678901224");
	snprintf(row.msisdn, sizeof(row.msisdn), "1001");
	snprintf(ks.eid, sizeof(ks.eid), "%s", row.eid);
	memset(ks.kic, 0x11, 16);
	memset(ks.kid, 0x22, 16);
	if (smsr_store_eis_insert(store, &row, &eis, (const uint8_t *)"x", 1, &ks, 1) < 0)
		abort();
	osmo_tdefs_reset(smsr_ota_tdefs);
	ota = smsr_ota_alloc(NULL, store, &(struct smsr_ota_cfg){ 0 }, NULL, NULL, NULL);
	if (!ota)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t off = 0;
	uint8_t out[64];
	char *q;

	if (!ota)
		setup();
	while (off < size) {
		size_t len = data[off++];

		if (len > size - off)
			len = size - off;
		smsr_ota_rx_mo(ota, "1001", data + off, len);
		off += len;
	}
	q = malloc(size + 1);
	if (!q)
		return 0;
	memcpy(q, data, size);
	q[size] = '\0';
	smsr_kannel_query_param(q, "udh", out, sizeof(out));
	free(q);
	return 0;
}
