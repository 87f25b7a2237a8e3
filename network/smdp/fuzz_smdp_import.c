/* Fuzz target: an untrusted SAIP file through the inventory import into an in-memory store (lib/saip
 * decode, the import checks, the store's input checks). Seeds: packages made by `rsplab tool saip
 * build` (MILENAGE and COMP128v1). */
#include <stddef.h>
#include <stdint.h>

#include <osmocom/core/application.h>
#include <osmocom/core/logging.h>
#include <osmocom/core/talloc.h>

#include "network/smdp/inventory.h"
#include "network/smdp/logging.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct smdp_store *s;
	struct smdp_profile p;

	if (!s) {
		osmo_init_logging2(NULL, &smdp_log_info);
		log_set_log_level(osmo_stderr_target, LOGL_FATAL);
		if (smdp_store_open(NULL, ":memory:", &s) < 0)
			return 0;
	}
	/* Imports that succeed stay: later inputs then also exercise the duplicate paths. */
	smdp_inventory_import(s, data, size, NULL, NULL, &p);
	return 0;
}
