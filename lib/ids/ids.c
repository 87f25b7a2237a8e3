/* SGP.02 identifiers (see ids.h). */
#include <errno.h>
#include <string.h>

#include "lib/ids/ids.h"

static bool all_digits(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

/* ---- EID ---- */

/* N mod 97 over the 30 leading digits followed by "00" (SGP.29 §10, ISO/IEC 7064 MOD 97-10). */
static unsigned int eid_check(const char *eid)
{
	unsigned int rem = 0;

	for (size_t i = 0; i < IDS_EID_DIGITS - 2; i++)
		rem = (rem * 10 + (unsigned int)(eid[i] - '0')) % 97;
	rem = (rem * 100) % 97;
	return 98 - rem;
}

int ids_eid_compute(char out[IDS_EID_DIGITS], const char *eid, size_t n)
{
	unsigned int c;

	if ((n != IDS_EID_DIGITS - 2 && n != IDS_EID_DIGITS) || !all_digits(eid, n))
		return -EINVAL;
	c = eid_check(eid);
	memmove(out, eid, IDS_EID_DIGITS - 2);
	out[30] = (char)('0' + c / 10);
	out[31] = (char)('0' + c % 10);
	return (int)c;
}

int ids_eid_verify(const char *eid, size_t n, unsigned int *expected)
{
	unsigned int c;

	if (n != IDS_EID_DIGITS || !all_digits(eid, n))
		return -EINVAL;
	c = eid_check(eid);
	if (expected)
		*expected = c;
	return (unsigned int)((eid[30] - '0') * 10 + (eid[31] - '0')) == c ? 0 : -EBADMSG;
}

int ids_eid_to_bytes(uint8_t out[IDS_EID_BYTES], const char *eid, size_t n)
{
	if (n != IDS_EID_DIGITS || !all_digits(eid, n))
		return -EINVAL;
	for (size_t i = 0; i < IDS_EID_BYTES; i++)
		out[i] = (uint8_t)((eid[2 * i] - '0') << 4 | (eid[2 * i + 1] - '0'));
	return IDS_EID_BYTES;
}

int ids_eid_from_bytes(char out[IDS_EID_DIGITS], const uint8_t *buf, size_t len)
{
	if (len != IDS_EID_BYTES)
		return -EINVAL;
	for (size_t i = 0; i < IDS_EID_BYTES; i++)
		if ((buf[i] >> 4) > 9 || (buf[i] & 0xF) > 9)
			return -EBADMSG;
	for (size_t i = 0; i < IDS_EID_BYTES; i++) {
		out[2 * i] = (char)('0' + (buf[i] >> 4));
		out[2 * i + 1] = (char)('0' + (buf[i] & 0xF));
	}
	return IDS_EID_DIGITS;
}

/* ---- ICCID ---- */

/* ISO/IEC 7812-1 Annex B: double every second digit from the right of the payload. */
int ids_luhn_digit(const char *digits, size_t n)
{
	unsigned int sum = 0;

	if (n == 0 || n > 64 || !all_digits(digits, n))
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		unsigned int d = (unsigned int)(digits[n - 1 - i] - '0');

		if (i % 2 == 0) {
			d *= 2;
			if (d > 9)
				d -= 9;
		}
		sum += d;
	}
	return (int)((10 - sum % 10) % 10);
}

int ids_iccid_verify(const char *iccid, size_t n, unsigned int *expected)
{
	int c;

	if ((n != 19 && n != 20) || !all_digits(iccid, n))
		return -EINVAL;
	c = ids_luhn_digit(iccid, n - 1);
	if (c < 0)
		return c;
	if (expected)
		*expected = (unsigned int)c;
	return iccid[n - 1] - '0' == c ? 0 : -EBADMSG;
}

int ids_iccid_encode(uint8_t out[IDS_ICCID_BYTES], const char *iccid, size_t n)
{
	if ((n != 19 && n != 20) || !all_digits(iccid, n))
		return -EINVAL;
	for (size_t i = 0; i < IDS_ICCID_BYTES; i++) {
		uint8_t lo = (uint8_t)(iccid[2 * i] - '0');
		uint8_t hi = 2 * i + 1 < n ? (uint8_t)(iccid[2 * i + 1] - '0') : 0xF;

		out[i] = (uint8_t)(hi << 4 | lo); /* TS 102 221 §13.2: first digit in the low nibble */
	}
	return IDS_ICCID_BYTES;
}

int ids_iccid_decode(char out[20], const uint8_t *buf, size_t len)
{
	size_t n = 0;

	if (len != IDS_ICCID_BYTES)
		return -EBADMSG;
	for (size_t i = 0; i < 2 * IDS_ICCID_BYTES; i++) {
		uint8_t d = i % 2 ? buf[i / 2] >> 4 : buf[i / 2] & 0xF;

		if (d == 0xF && i == 2 * IDS_ICCID_BYTES - 1)
			break; /* 19 digits, padded */
		if (d > 9)
			return -EBADMSG;
		out[n++] = (char)('0' + d);
	}
	return (int)n;
}

/* ---- AIDs and TARs ---- */

/* SGP.02 Annex H, via PYSIM pySim/euicc.py ("Application Identifiers as defined in GSMA SGP.02
 * Annex H") and NJ sr/model/Eis.addNewProfile (ISD-P TARs 000010..00FFFF); digest §4.2. */
static const uint8_t sgp02_aid_prefix[12] = { 0xA0, 0x00, 0x00, 0x05, 0x59, 0x10, 0x10, 0xFF, 0xFF, 0xFF, 0xFF, 0x89 };

#define SGP02_AID(b13, b14, b15)                                                                            \
	{                                                                                                   \
		0xA0, 0x00, 0x00, 0x05, 0x59, 0x10, 0x10, 0xFF, 0xFF, 0xFF, 0xFF, 0x89, b13, b14, b15, 0x00 \
	}

const struct ids_app_entry ids_app_table[] = {
	{ IDS_APP_ISD_R, "ISD-R", SGP02_AID(0x00, 0x00, 0x01), true, IDS_TAR_ISD_R,
	  "SGP.02 Annex H; TAR 000001: PYSIM, WHTY sms_tar" },
	/* The ECASD TAR is inferred from its AID (digest §4.2 [I]); no source shows it addressed OTA. */
	{ IDS_APP_ECASD, "ECASD", SGP02_AID(0x00, 0x00, 0x02), true, IDS_TAR_ECASD, "SGP.02 Annex H; TAR [I]" },
	{ IDS_APP_ISD_P_ELF, "ISD-P ELF", SGP02_AID(0x00, 0x00, 0x0D), false, 0,
	  "SGP.02 Annex H default; the real one comes from the EIS Isd-p-loadfile-aid" },
	{ IDS_APP_ISD_P_MODULE, "ISD-P module", SGP02_AID(0x00, 0x00, 0x0E), false, 0,
	  "SGP.02 Annex H default; the real one comes from the EIS Isd-p-module-aid" },
	{ IDS_APP_ISD_P, "ISD-P", SGP02_AID(0x00, 0x00, 0x10), true, IDS_TAR_ISD_P_MIN,
	  "SGP.02 Annex H: ISD-P AID = prefix || TAR || 00, TAR 000010..00FFFF" },
};
const size_t ids_app_table_len = sizeof(ids_app_table) / sizeof(ids_app_table[0]);

int ids_aid_from_tar(uint8_t out[IDS_AID_LEN], uint32_t tar)
{
	if (tar > 0xFFFFFF)
		return -EINVAL;
	memcpy(out, sgp02_aid_prefix, sizeof(sgp02_aid_prefix));
	out[12] = (uint8_t)(tar >> 16);
	out[13] = (uint8_t)(tar >> 8);
	out[14] = (uint8_t)tar;
	out[15] = 0x00;
	return IDS_AID_LEN;
}

int ids_aid_to_tar(const uint8_t *aid, size_t len, uint32_t *tar)
{
	if (len != IDS_AID_LEN || memcmp(aid, sgp02_aid_prefix, sizeof(sgp02_aid_prefix)) != 0 || aid[15] != 0x00)
		return -EBADMSG;
	*tar = (uint32_t)aid[12] << 16 | (uint32_t)aid[13] << 8 | aid[14];
	return 0;
}

int ids_aid_lookup(const uint8_t *aid, size_t len, enum ids_app *app)
{
	uint32_t tar;

	if (ids_aid_to_tar(aid, len, &tar) < 0)
		return -EBADMSG;
	for (size_t i = 0; i < ids_app_table_len; i++) {
		if (ids_app_table[i].app != IDS_APP_ISD_P && memcmp(ids_app_table[i].aid, aid, IDS_AID_LEN) == 0) {
			*app = ids_app_table[i].app;
			return 0;
		}
	}
	if (tar >= IDS_TAR_ISD_P_MIN && tar <= IDS_TAR_ISD_P_MAX) {
		*app = IDS_APP_ISD_P;
		return 0;
	}
	return -EBADMSG;
}

int ids_tar_lookup(uint32_t tar, enum ids_app *app)
{
	if (tar == IDS_TAR_ISD_R)
		*app = IDS_APP_ISD_R;
	else if (tar == IDS_TAR_ECASD)
		*app = IDS_APP_ECASD;
	else if (tar >= IDS_TAR_ISD_P_MIN && tar <= IDS_TAR_ISD_P_MAX)
		*app = IDS_APP_ISD_P;
	else
		return -ENOENT;
	return 0;
}

const char *ids_app_name(enum ids_app app)
{
	for (size_t i = 0; i < ids_app_table_len; i++)
		if (ids_app_table[i].app == app)
			return ids_app_table[i].name;
	return NULL;
}
