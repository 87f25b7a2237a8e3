/* rsplab-smdp inventory: import SAIP profile packages into the store (lib/saip reads ICCID, IMSI,
 * algorithm and keys, POL1, profile type), list them, and export what the operator's HLR needs.
 *
 * Export formats (one profile per line / block, ICCID order, deleted profiles left out):
 *   SMDP_EXPORT_KV:      `iccid=<digits> imsi=<digits> msisdn=<digits or empty> algo=<milenage|comp128v1>
 *                         k=<hex> [opc=<hex>] state=<state> eid=<hex or empty>`
 *   SMDP_EXPORT_HLR_VTY: osmo-hlr VTY commands (enable node): `subscriber imsi I create`,
 *                         `subscriber imsi I update msisdn M`, `subscriber imsi I update aud3g milenage k K
 *                         opc OPC` or `subscriber imsi I update aud2g comp128v1 ki KI`
 * The export prints subscriber keys: it exists so the harness can provision the operator's HLR, and is
 * the only output of this daemon that does. Listing never prints keys.
 *
 * The package is UNTRUSTED input (a file): decoded by lib/saip, refused with -EBADMSG when it lacks an
 * ICCID, an IMSI or a key; nothing is stored then. */
#pragma once

#include <stdio.h>

#include "network/smdp/store.h"

enum smdp_export_format {
	SMDP_EXPORT_KV,
	SMDP_EXPORT_HLR_VTY,
};
extern const struct value_string smdp_export_format_names[];

/* Import one package. msisdn and profile_type may be NULL (type: the package header's). On success
 * *out (may be NULL) holds the stored row. Returns 0, -EBADMSG (package), -EEXIST, -EINVAL. */
int smdp_inventory_import(struct smdp_store *s, const uint8_t *pkg, size_t len, const char *msisdn,
			  const char *profile_type, struct smdp_profile *out);
/* One line per profile: ICCID IMSI MSISDN type state EID (no keys). Returns the count or < 0. */
int smdp_inventory_list(struct smdp_store *s, FILE *out);
int smdp_inventory_export(struct smdp_store *s, FILE *out, enum smdp_export_format fmt);
