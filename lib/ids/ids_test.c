/* Tests of the SGP.02 identifiers.
 *
 * Vectors: PYSIM = osmocom/pysim tests/unittests/test_euicc.py (TestEid: EIDs and check-digit
 * computation), contrib/eidtool.py (usage example 89882119900000000000000000001654),
 * tests/unittests/test_utils.py (TestLuhn), tests/unittests/test_ota.py (the ICCID of the 3DES test
 * card and EF.ICCID bytes of the RFM golden response), pySim/euicc.py (SGP.02 Annex H AIDs);
 * KAOH = kaoh/globalplatform globalplatform/src/scp03Test.c (a real eUICC's ISD-P
 * A0000005591010FFFFFFFF8900001000); open-questions §5 (X-Admin-Targeted-Application
 * //aid/A000000559/1010FFFFFFFF8900001300 on the wire). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/ids/ids.h"
#include "lib/test/runner.h"

static int verify(const char *s, unsigned int *expected)
{
	return ids_eid_verify(s, strlen(s), expected);
}

void test_ids_eid_pysim(void)
{
	static const char *good[] = { "89049032123451234512345678901235", "89086030202200000022000023022943",
				      "89044045116727494800000004479366", "89882119900000000000000000001654" };
	unsigned int exp = 0;
	char out[IDS_EID_DIGITS];

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		CU_ASSERT_EQUAL(verify(good[i], NULL), 0);
	/* test_eid_verify_wrong: the same EID ending in 34 is wrong; 35 is right. */
	CU_ASSERT_EQUAL(verify("89049032123451234512345678901234", &exp), -EBADMSG);
	CU_ASSERT_EQUAL(exp, 35);
	/* test_eid_encode_with_32_digits / _30digits / _wrong_csum */
	CU_ASSERT_EQUAL(ids_eid_compute(out, "89049032123451234512345678901200", 32), 35);
	CU_ASSERT_NSTRING_EQUAL(out, "89049032123451234512345678901235", 32);
	CU_ASSERT_EQUAL(ids_eid_compute(out, "89086030202200000022000023022900", 32), 43);
	CU_ASSERT_NSTRING_EQUAL(out, "89086030202200000022000023022943", 32);
	CU_ASSERT_EQUAL(ids_eid_compute(out, "890490321234512345123456789012", 30), 35);
	CU_ASSERT_NSTRING_EQUAL(out, "89049032123451234512345678901235", 32);
	CU_ASSERT_EQUAL(ids_eid_compute(out, "89049032123451234512345678901299", 32), 35);
	/* eidtool.py --compute 898821199000000000000000000016 */
	CU_ASSERT_EQUAL(ids_eid_compute(out, "898821199000000000000000000016", 30), 54);
	CU_ASSERT_NSTRING_EQUAL(out, "89882119900000000000000000001654", 32);
}

void test_ids_eid_every_digit_error_caught(void)
{
	/* MOD 97-10 catches every single-digit substitution: mutate each digit of a valid EID. */
	char eid[] = "89049032123451234512345678901235";

	for (size_t i = 0; i < 32; i++) {
		char orig = eid[i];

		for (char d = '0'; d <= '9'; d++) {
			if (d == orig)
				continue;
			eid[i] = d;
			CU_ASSERT_EQUAL(verify(eid, NULL), -EBADMSG);
		}
		eid[i] = orig;
	}
	CU_ASSERT_EQUAL(verify(eid, NULL), 0);
}

void test_ids_eid_bytes_and_negative(void)
{
	uint8_t b[IDS_EID_BYTES];
	char back[IDS_EID_DIGITS];
	static const char *eid = "89049032123451234512345678901235";

	CU_ASSERT_EQUAL(ids_eid_to_bytes(b, eid, 32), 16);
	TEST_ASSERT_HEX_EQ(b, 16, "89049032123451234512345678901235");
	CU_ASSERT_EQUAL(ids_eid_from_bytes(back, b, 16), 32);
	CU_ASSERT_NSTRING_EQUAL(back, eid, 32);
	b[3] = 0x3A;
	CU_ASSERT_EQUAL(ids_eid_from_bytes(back, b, 16), -EBADMSG);
	CU_ASSERT_EQUAL(ids_eid_from_bytes(back, b, 15), -EINVAL);
	CU_ASSERT_EQUAL(verify("8904903212345123451234567890123", NULL), -EINVAL);
	CU_ASSERT_EQUAL(verify("890490321234512345123456789012355", NULL), -EINVAL);
	CU_ASSERT_EQUAL(verify("8904903212345123451234567890123a", NULL), -EINVAL);
	CU_ASSERT_EQUAL(ids_eid_compute(back, "89049032123451234512345678901", 29), -EINVAL);
	CU_ASSERT_EQUAL(ids_eid_to_bytes(b, "8904903212345123451234567890123 ", 32), -EINVAL);
}

void test_ids_iccid_pysim(void)
{
	unsigned int exp = 99;
	uint8_t b[IDS_ICCID_BYTES];
	char back[20];

	/* TestLuhn */
	CU_ASSERT_EQUAL(ids_iccid_verify("8988211000000530082", 19, NULL), 0);
	CU_ASSERT_EQUAL(ids_luhn_digit("898821100000053008", 18), 2);
	CU_ASSERT_EQUAL(ids_iccid_verify("89882110000005300811", 20, NULL), 0);
	CU_ASSERT_EQUAL(ids_iccid_verify("8988211000000530081", 19, &exp), -EBADMSG);
	CU_ASSERT_EQUAL(exp, 2);
	/* test_ota.py: "KIC1 + KID1 of 8988211000000467285" (a real test card) */
	CU_ASSERT_EQUAL(ids_iccid_verify("8988211000000467285", 19, NULL), 0);

	CU_ASSERT_EQUAL(ids_iccid_encode(b, "8988211000000530082", 19), 10);
	TEST_ASSERT_HEX_EQ(b, 10, "988812010000500380f2");
	CU_ASSERT_EQUAL(ids_iccid_decode(back, b, 10), 19);
	CU_ASSERT_NSTRING_EQUAL(back, "8988211000000530082", 19);
	CU_ASSERT_EQUAL(ids_iccid_encode(b, "89882110000005300811", 20), 10);
	TEST_ASSERT_HEX_EQ(b, 10, "98881201000050038011");
	CU_ASSERT_EQUAL(ids_iccid_decode(back, b, 10), 20);
	CU_ASSERT_NSTRING_EQUAL(back, "89882110000005300811", 20);
	/* EF.ICCID content read in PYSIM test_resp_rfm_golden. */
	{
		size_t len;
		uint8_t *buf = test_unhex("98881201000040860814", &len);

		CU_ASSERT_EQUAL(ids_iccid_decode(back, buf, len), 20);
		CU_ASSERT_NSTRING_EQUAL(back, "89882110000004688041", 20);
		free(buf);
	}
}

void test_ids_iccid_negative(void)
{
	uint8_t b[IDS_ICCID_BYTES];
	char back[20];

	CU_ASSERT_EQUAL(ids_iccid_verify("898821100000053008", 18, NULL), -EINVAL);
	CU_ASSERT_EQUAL(ids_iccid_verify("898821100000053008X", 19, NULL), -EINVAL);
	CU_ASSERT_EQUAL(ids_iccid_encode(b, "898821100000053008211", 21), -EINVAL);
	CU_ASSERT_EQUAL(ids_luhn_digit("", 0), -EINVAL);
	memcpy(b, "\x98\x88\x12\x01\x00\x00\x50\x03\x80\xf2", 10);
	b[2] = 0x1F; /* an F inside */
	CU_ASSERT_EQUAL(ids_iccid_decode(back, b, 10), -EBADMSG);
	b[2] = 0xA1;
	CU_ASSERT_EQUAL(ids_iccid_decode(back, b, 10), -EBADMSG);
	CU_ASSERT_EQUAL(ids_iccid_decode(back, b, 9), -EBADMSG);
	/* Every single-digit substitution of a valid ICCID is caught by Luhn. */
	{
		char iccid[] = "8988211000000530082";

		for (size_t i = 0; i < 19; i++) {
			char orig = iccid[i];

			for (char d = '0'; d <= '9'; d++) {
				if (d == orig)
					continue;
				iccid[i] = d;
				CU_ASSERT_EQUAL(ids_iccid_verify(iccid, 19, NULL), -EBADMSG);
			}
			iccid[i] = orig;
		}
	}
}

void test_ids_aid_table(void)
{
	/* PYSIM pySim/euicc.py AID_ISD_R, AID_ECASD, AID_ISD_P_FILE, AID_ISD_P_MODULE (SGP.02 Annex H). */
	static const struct {
		const char *hex;
		enum ids_app app;
		const char *name;
	} v[] = {
		{ "A0000005591010FFFFFFFF8900000100", IDS_APP_ISD_R, "ISD-R" },
		{ "A0000005591010FFFFFFFF8900000200", IDS_APP_ECASD, "ECASD" },
		{ "A0000005591010FFFFFFFF8900000D00", IDS_APP_ISD_P_ELF, "ISD-P ELF" },
		{ "A0000005591010FFFFFFFF8900000E00", IDS_APP_ISD_P_MODULE, "ISD-P module" },
		{ "A0000005591010FFFFFFFF8900001000", IDS_APP_ISD_P, "ISD-P" }, /* KAOH real eUICC */
		{ "A0000005591010FFFFFFFF8900001300", IDS_APP_ISD_P, "ISD-P" }, /* open-questions §5 trace */
	};
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		size_t len;
		uint8_t *aid = test_unhex(v[i].hex, &len);
		enum ids_app app;

		CU_ASSERT_EQUAL(ids_aid_lookup(aid, len, &app), 0);
		CU_ASSERT_EQUAL(app, v[i].app);
		CU_ASSERT_STRING_EQUAL(ids_app_name(app), v[i].name);
		free(aid);
	}
	for (size_t i = 0; i < ids_app_table_len; i++) {
		uint32_t tar;

		CU_ASSERT_EQUAL(ids_aid_to_tar(ids_app_table[i].aid, IDS_AID_LEN, &tar), 0);
		if (ids_app_table[i].has_tar)
			CU_ASSERT_EQUAL(tar, ids_app_table[i].tar);
		CU_ASSERT_PTR_NOT_NULL(ids_app_table[i].ref);
	}
	CU_ASSERT_PTR_NULL(ids_app_name((enum ids_app)99));
}

void test_ids_tar_round_trip(void)
{
	uint8_t aid[IDS_AID_LEN];
	uint32_t tar;
	enum ids_app app;

	CU_ASSERT_EQUAL(ids_aid_from_tar(aid, 0x000001), 16);
	TEST_ASSERT_HEX_EQ(aid, 16, "A0000005591010FFFFFFFF8900000100");
	CU_ASSERT_EQUAL(ids_aid_from_tar(aid, 0x000013), 16);
	TEST_ASSERT_HEX_EQ(aid, 16, "A0000005591010FFFFFFFF8900001300");
	for (uint32_t t = 0; t <= 0x20000; t += 0x11) {
		CU_ASSERT_EQUAL(ids_aid_from_tar(aid, t), 16);
		CU_ASSERT_EQUAL(ids_aid_to_tar(aid, 16, &tar), 0);
		CU_ASSERT_EQUAL(tar, t);
	}
	CU_ASSERT_EQUAL(ids_tar_lookup(0x000001, &app), 0);
	CU_ASSERT_EQUAL(app, IDS_APP_ISD_R);
	CU_ASSERT_EQUAL(ids_tar_lookup(0x000010, &app), 0);
	CU_ASSERT_EQUAL(app, IDS_APP_ISD_P);
	CU_ASSERT_EQUAL(ids_tar_lookup(0x00FFFF, &app), 0);
	CU_ASSERT_EQUAL(ids_tar_lookup(0x010000, &app), -ENOENT);
	CU_ASSERT_EQUAL(ids_tar_lookup(0x000003, &app), -ENOENT);
	CU_ASSERT_EQUAL(ids_tar_lookup(0xB00011, &app), -ENOENT); /* a USIM RFM TAR (PYSIM test_ota.py) */
	CU_ASSERT_EQUAL(ids_aid_from_tar(aid, 0x1000000), -EINVAL);
}

void test_ids_aid_negative(void)
{
	static const char *bad[] = {
		"A0000005591010FFFFFFFF89000001",   /* 15 bytes */
		"A0000005591010FFFFFFFF8900000101", /* last byte not 00 */
		"A0000000871002FFFFFFFF8907090000", /* USIM ADF */
		"A0000005591010FFFFFFFF8901000000", /* TAR 010000: beyond the ISD-P range */
		"A0000005591010FFFFFFFF8900000300", /* TAR 000003: reserved */
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		size_t len;
		uint8_t *aid = test_unhex(bad[i], &len);
		enum ids_app app;

		CU_ASSERT_EQUAL(ids_aid_lookup(aid, len, &app), -EBADMSG);
		free(aid);
	}
}
