/* libFuzzer target: the identifier parsers over arbitrary strings and bytes. A computed EID must
 * verify, and BCD ICCIDs must round-trip. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/ids/ids.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	char eid[IDS_EID_DIGITS], iccid[20];
	uint8_t b[IDS_ICCID_BYTES];
	unsigned int exp;
	uint32_t tar;
	enum ids_app app;
	int n;

	ids_eid_verify(s, size, &exp);
	if (ids_eid_compute(eid, s, size) >= 0 && ids_eid_verify(eid, sizeof(eid), NULL) != 0)
		abort();
	if (size == IDS_EID_BYTES)
		ids_eid_from_bytes(eid, data, size);
	ids_iccid_verify(s, size, &exp);
	ids_luhn_digit(s, size);
	if (ids_iccid_encode(b, s, size) == IDS_ICCID_BYTES &&
	    (ids_iccid_decode(iccid, b, sizeof(b)) != (int)size || memcmp(iccid, s, size) != 0))
		abort();
	n = ids_iccid_decode(iccid, data, size);
	if (n >= 0 && (ids_iccid_encode(b, iccid, (size_t)n) != IDS_ICCID_BYTES || memcmp(b, data, size) != 0))
		abort();
	ids_aid_lookup(data, size, &app);
	if (ids_aid_to_tar(data, size, &tar) == 0 && ids_tar_lookup(tar, &app) == 0 && app > IDS_APP_ISD_P)
		abort();
	return 0;
}
