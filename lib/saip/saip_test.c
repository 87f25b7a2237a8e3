/* Tests of the SAIP profile package codec. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/saip/saip.h"
#include "lib/test/runner.h"

/* The SIMalliance sample profile package (IPF v2.0: "GSMA Profile Package", ICCID 89019990001234567893),
 * as the data[] segments of WHTY euicc-cs-security/src/test/java/com/whty/security/Scp03tTest.java
 * (shenqinglan/whatever_ty @ea5675bf), concatenated; digest §4.9 names it as harness input. */
static const char *simalliance_sample =
	"A04F800102810100821447534D412050726F66696C65205061636B616765830A89019990001234567893A506810084008B00A610060667"
	"810F010201060667810F010204870BA0090607913386994211F0B08201F9A0058000810101810667810F010201"
	"A207A105C60301020AA305A1038B010FA40C830A98109909002143658739A528A10A82044221002680020098831A61184F10A000000087"
	"1002FF33FF01890000010050045553494DA682019EA10A8204422100258002022B831B8001019000800102A406"
	"830101950108800158A40683010A95010882010A8316800101A40683010195010880015AA40683010A95010882010F830B80015BA40683"
	"010A95010882011A830A800101900080015A970082011B8316800103A406830101950108800158A40683010A95"
	"010882010F8316800111A40683010195010880014AA40683010A95010882010F8321800103A406830101950108800158A40683010A9501"
	"08840132A4068301019501088201048321800101A406830101950108800102A406830181950108800158A40683"
	"010A950108820104831B800101900080011AA406830101950108800140A40683010A95010882010A8310800101900080015AA40683010A"
	"95010882011583158001019000800118A40683010A95010880014297008201108310800101A406830101950108"
	"80015A97008201158316800113A406830101950108800148A40683010A95010882010F830B80015EA40683010A95010882011A83258001"
	"019000800102A010A406830101950108A406830102950108800158A40683010A950108A33FA0058000810103A1"
	"3630118001018108303030303030303082020099300D800102810831323334353637383012800200818108393239343536373882020088"
	"A241A0058000810104A138A0363010800101810831323334FFFFFFFF8201013010800102810831303030FFFFFF"
	"FF820102301080010A810835363738FFFFFFFF830101B37CA0058000810102810667810F010204A21DA11B83027FF18410A00000008710"
	"02FF33FF018900000100C60301810AA30B8309082943019134876765A406A104C7022F06A80F830D0A2E178CE7"
	"3204000000000000AD1383110247534D41206555494343FFFFFFFFFFFFAE03830100B20483020040B606830419F1FF01A225A005800081"
	"0128A11CA01A301880020081810839323338FFFFFFFF82020081830101840122A43AA0058000810105A131A12F"
	"8001018101018210000102030405060708090A0B0C0D0E0F83100102030405060708090A0B0C0D0E0F008603010203A681B5A005800081"
	"0106A13E4F07A00000015153504F08A0000001515350414F08A000000151000000820382FC8083010FC9048102"
	"8000EA11800F0100000100000002011203B2010000A26C3022950138820101830101301730158001888610112233445566778899101112"
	"1314151630229501348201028301013017301580018886101122334455667788991011121314151630229501C8"
	"82010383010130173015800188861011223344556677889910111213141516A681C7A0058000810107A1504F07A00000015153504F08A0"
	"000001515350414F10A00000055910100102736456616C75654F08A000000151000000820380800083010FC904"
	"81028000EA11800F01000001000000020112036C756500A26C302295013882010183010130173015800180861011223344556677881122"
	"334455667788302295013482010283010130173015800180861011223344556677881122334455667788302295"
	"01C882010383010130173015800180861011223344556677881122334455667788A720A0038101094F09A00000055910100001A0050403"
	"B00000810112040100040100A740A00381010A4F09A00000055910100002A0050403B000208101120401000401"
	"00301E8010A0000000871002FF33FF018900000100810402000100820402000100AA07A0058000810163";

static uint8_t k[16] = {
	0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f
};
static uint8_t opc[16] = { 0xf0, 0xe1, 0xd2, 0xc3, 0xb4, 0xa5, 0x96, 0x87,
			   0x78, 0x69, 0x5a, 0x4b, 0x3c, 0x2d, 0x1e, 0x0f };

void test_saip_simalliance_sample(void)
{
	size_t len;
	uint8_t *buf = test_unhex(simalliance_sample, &len);
	struct saip_profile p;
	struct saip_findings f;

	CU_ASSERT_EQUAL_FATAL(saip_decode(&p, buf, len, &f), 0);
	CU_ASSERT_EQUAL(p.major, 2);
	CU_ASSERT_EQUAL(p.minor, 0);
	TEST_ASSERT_MEM_EQ(p.profile_type.buf, p.profile_type.len, "GSMA Profile Package", 20);
	CU_ASSERT_STRING_EQUAL(p.iccid, "89019990001234567893");
	TEST_ASSERT_HEX_EQ(p.ef_iccid.buf, p.ef_iccid.len, "98109909002143658739"); /* the same, nibble-swapped */
	CU_ASSERT_STRING_EQUAL(p.imsi, "234101943787656");
	CU_ASSERT_EQUAL(p.algo, SAIP_ALGO_MILENAGE);
	TEST_ASSERT_HEX_EQ(p.key.buf, p.key.len, "000102030405060708090a0b0c0d0e0f");
	TEST_ASSERT_HEX_EQ(p.opc.buf, p.opc.len, "0102030405060708090a0b0c0d0e0f00");
	TEST_ASSERT_HEX_EQ(p.usim_aid.buf, p.usim_aid.len, "a0000000871002ff33ff018900000100");
	TEST_ASSERT_HEX_EQ(p.mno_sd_aid.buf, p.mno_sd_aid.len, "a000000151000000");
	/* MF-level PINs 01, 02, 0A and the USIM's local PIN 81; PUKs 01, 02, 81 */
	CU_ASSERT_EQUAL(p.n_pins, 4);
	CU_ASSERT_EQUAL(p.pins[0].key_ref, 1);
	CU_ASSERT_EQUAL(p.pins[0].unblock_ref, 1);
	TEST_ASSERT_HEX_EQ(p.pins[0].value.buf, p.pins[0].value.len, "31323334ffffffff");
	CU_ASSERT_EQUAL(p.pins[3].key_ref, 0x81);
	CU_ASSERT_EQUAL(p.n_puks, 3);
	CU_ASSERT_TRUE(p.has_end);
	CU_ASSERT_EQUAL(p.pol1.len, 0);
	CU_ASSERT_EQUAL(f.n, 0); /* every PE of the sample is a known type */
	free(buf);
}

void test_saip_build_round_trip_milenage(void)
{
	struct saip_build_params bp = { .iccid = "8988211000000000011", /* 19 digits: F padded */
					.imsi = "001010000000001",
					.algo = SAIP_ALGO_MILENAGE,
					.key = k,
					.opc = opc,
					.pol1 = 0x02,
					.profile_type = "rsplab MNO1" };
	uint8_t buf[1024];
	struct saip_profile p;
	struct saip_findings f;
	int n = saip_build(buf, sizeof(buf), &bp);

	CU_ASSERT_TRUE_FATAL(n > 0);
	CU_ASSERT_EQUAL_FATAL(saip_decode(&p, buf, (size_t)n, &f), 0);
	CU_ASSERT_EQUAL(f.n, 0);
	CU_ASSERT_EQUAL(p.major, 2);
	CU_ASSERT_EQUAL(p.minor, 0);
	CU_ASSERT_STRING_EQUAL(p.iccid, "8988211000000000011");
	TEST_ASSERT_HEX_EQ(p.header_iccid.buf, p.header_iccid.len, "8988211000000000011f");
	TEST_ASSERT_HEX_EQ(p.ef_iccid.buf, p.ef_iccid.len, "988812010000000010f1");
	CU_ASSERT_STRING_EQUAL(p.imsi, "001010000000001");
	/* TS 31.102 §4.2.2: 08 ‖ 09 10 10 00 00 00 00 10 (odd count, type IMSI) */
	TEST_ASSERT_HEX_EQ(p.ef_imsi.buf, p.ef_imsi.len, "080910100000000010");
	CU_ASSERT_EQUAL(p.algo, SAIP_ALGO_MILENAGE);
	TEST_ASSERT_MEM_EQ(p.key.buf, p.key.len, k, 16);
	TEST_ASSERT_MEM_EQ(p.opc.buf, p.opc.len, opc, 16);
	TEST_ASSERT_HEX_EQ(p.pol1.buf, p.pol1.len, "02");
	TEST_ASSERT_MEM_EQ(p.profile_type.buf, p.profile_type.len, "rsplab MNO1", 11);
	CU_ASSERT_EQUAL(p.n_pins, 1);
	TEST_ASSERT_HEX_EQ(p.pins[0].value.buf, p.pins[0].value.len, "30303030ffffffff");
	CU_ASSERT_EQUAL(p.n_puks, 1);
	TEST_ASSERT_HEX_EQ(p.puks[0].value.buf, p.puks[0].value.len, "3132333435363738");
	CU_ASSERT_TRUE(p.has_end);
	CU_ASSERT_EQUAL(p.n_pes, 8);

	/* Building is deterministic: the same parameters give the same bytes. */
	{
		uint8_t again[1024];

		CU_ASSERT_EQUAL(saip_build(again, sizeof(again), &bp), n);
		TEST_ASSERT_MEM_EQ(again, (size_t)n, buf, (size_t)n);
	}
}

void test_saip_build_comp128_and_version(void)
{
	struct saip_build_params bp = { .version = SAIP_VERSION_2_3_1,
					.iccid = "89882110000000000123",
					.imsi = "901700000000001",
					.algo = SAIP_ALGO_COMP128V1,
					.key = k,
					.pol1 = -1 };
	uint8_t buf[1024];
	struct saip_profile p;
	int n = saip_build(buf, sizeof(buf), &bp);

	CU_ASSERT_TRUE_FATAL(n > 0);
	CU_ASSERT_EQUAL_FATAL(saip_decode(&p, buf, (size_t)n, NULL), 0);
	CU_ASSERT_EQUAL(p.minor, 3);
	CU_ASSERT_EQUAL(p.algo, SAIP_ALGO_COMP128V1);
	TEST_ASSERT_MEM_EQ(p.key.buf, p.key.len, k, 16);
	CU_ASSERT_EQUAL(p.opc.len, 0);
	CU_ASSERT_EQUAL(p.pol1.buf, NULL);
	CU_ASSERT_STRING_EQUAL(p.iccid, "89882110000000000123");
}

void test_saip_build_rejects(void)
{
	uint8_t buf[1024];
	struct saip_build_params ok = { .iccid = "8988211000000000011",
					.imsi = "001010000000001",
					.algo = SAIP_ALGO_MILENAGE,
					.key = k,
					.opc = opc,
					.pol1 = -1 };
	struct saip_build_params bad;

	bad = ok, bad.iccid = "898821100000000001"; /* 18 digits */
	CU_ASSERT_EQUAL(saip_build(buf, sizeof(buf), &bad), -EINVAL);
	bad = ok, bad.iccid = "898821100000000001A";
	CU_ASSERT_EQUAL(saip_build(buf, sizeof(buf), &bad), -EINVAL);
	bad = ok, bad.imsi = "0010100000000011"; /* 16 digits */
	CU_ASSERT_EQUAL(saip_build(buf, sizeof(buf), &bad), -EINVAL);
	bad = ok, bad.opc = NULL;
	CU_ASSERT_EQUAL(saip_build(buf, sizeof(buf), &bad), -EINVAL);
	bad = ok, bad.algo = SAIP_ALGO_TUAK;
	CU_ASSERT_EQUAL(saip_build(buf, sizeof(buf), &bad), -EINVAL);
	bad = ok, bad.pin1 = "12";
	CU_ASSERT_EQUAL(saip_build(buf, sizeof(buf), &bad), -EINVAL);
	CU_ASSERT_EQUAL(saip_build(buf, 100, &ok), -EMSGSIZE);
}

void test_saip_decode_rejects_and_findings(void)
{
	static const struct {
		const char *hex;
		int rc;
		unsigned int findings;
	} v[] = {
		{ "", -EBADMSG, 0 },
		{ "b0 00", -EBADMSG, 0 },				      /* no header first */
		{ "a0 06 800102 810100", -EBADMSG, 0 },			      /* header without ICCID */
		{ "a0 0e 800102 810100 8308 0102030405060708", -EBADMSG, 0 }, /* ICCID of 8 bytes */
		/* header + an unknown PE [15] + end: decodes, with a finding for the PE */
		{ "a012 800102 810100 830a 89019990001234567893 af00 aa07 a005 8000 810101", 0, 1 },
		/* header only: decodes, with a "no end PE" finding */
		{ "a012 800102 810100 830a 89019990001234567893", 0, 1 },
		/* PE after end */
		{ "a012 800102 810100 830a 89019990001234567893 aa07 a005 8000 810101 a200", 0, 1 },
		/* an INTEGER that is negative */
		{ "a012 8001ff 810100 830a 89019990001234567893", -EBADMSG, 0 },
	};

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		size_t len;
		uint8_t *buf = test_unhex(v[i].hex, &len);
		struct saip_profile p;
		struct saip_findings f;
		int rc = saip_decode(&p, buf, len, &f);

		if (rc != v[i].rc)
			printf("\n      vector %zu: got %d want %d", i, rc, v[i].rc);
		CU_ASSERT_EQUAL(rc, v[i].rc);
		if (rc == 0)
			CU_ASSERT_EQUAL(f.n, v[i].findings);
		free(buf);
	}
}

void test_saip_euicc_response(void)
{
	struct saip_euicc_response r = { .n = 2, .aborted = true, .message = { (const uint8_t *)"bad K", 5 } };
	struct saip_euicc_response back;
	uint8_t buf[128];
	int n;

	r.st[0] = (struct saip_pe_status){
		.status = SAIP_ST_OK, .identification = 1, .additional_info = -1, .offset = -1
	};
	r.st[1] = (struct saip_pe_status){
		.status = SAIP_ST_BAD_VALUES, .identification = 5, .additional_info = 3, .offset = 200
	};
	n = saip_euicc_response_encode(buf, sizeof(buf), &r);
	/* 30 { A0 { 30 {80 01 00 81 01 01} 30 {80 01 03 81 01 05 82 01 03 83 02 00c8} } 81 00 82 05 "bad K" } */
	TEST_ASSERT_HEX_EQ(buf, n > 0 ? (size_t)n : 0,
			   "3022 a017 3006 800100 810101 300d 800103 810105 820103 830200c8 8100 8205 626164204b");
	CU_ASSERT_EQUAL(saip_euicc_response_decode(&back, buf, (size_t)n), n);
	CU_ASSERT_EQUAL(back.n, 2);
	CU_ASSERT_EQUAL(back.st[1].status, SAIP_ST_BAD_VALUES);
	CU_ASSERT_EQUAL(back.st[1].offset, 200);
	CU_ASSERT_EQUAL(back.st[0].offset, -1);
	CU_ASSERT_TRUE(back.aborted);
	TEST_ASSERT_MEM_EQ(back.message.buf, back.message.len, "bad K", 5);
	CU_ASSERT_STRING_EQUAL(get_value_string(saip_pe_status_names, back.st[1].status), "bad-values");
}

static int decode_cb(const uint8_t *buf, size_t len, void *priv)
{
	struct saip_profile p;
	struct saip_findings f;
	int rc = saip_decode(&p, buf, len, &f);

	/* A cut package may frame (at a PE boundary) but must then lack its end PE. */
	return rc == 0 && p.has_end ? 0 : -1;
}

static int response_cb(const uint8_t *buf, size_t len, void *priv)
{
	struct saip_euicc_response r;

	return saip_euicc_response_decode(&r, buf, len);
}

void test_saip_truncations_and_mutations(void)
{
	struct saip_build_params bp = { .iccid = "8988211000000000011",
					.imsi = "001010000000001",
					.algo = SAIP_ALGO_MILENAGE,
					.key = k,
					.opc = opc,
					.pol1 = -1 };
	uint8_t built[1024];
	int n = saip_build(built, sizeof(built), &bp);
	uint8_t resp[] = { 0x30, 0x08, 0xA0, 0x06, 0x30, 0x04, 0x80, 0x01, 0x00, 0x00 };

	CU_ASSERT_TRUE_FATAL(n > 0);
	CU_ASSERT_EQUAL(TEST_TRUNCATIONS_REJECTED(built, (size_t)n, decode_cb, NULL), 0);
	CU_ASSERT_TRUE(test_mutations_run(built, (size_t)n, decode_cb, NULL) > 0);
	CU_ASSERT_EQUAL(TEST_TRUNCATIONS_REJECTED(resp, sizeof(resp) - 1, response_cb, NULL), 0);
	test_mutations_run(resp, sizeof(resp) - 1, response_cb, NULL);
}
