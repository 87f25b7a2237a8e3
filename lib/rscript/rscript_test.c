/* Tests of the TS 102 226 remote command script codec.
 *
 * Vectors: PYSIM = osmocom/pysim tests/unittests/test_ota.py (ExpandedCmdTestCase,
 * ExpandedRespTestCase, ExpandedIndefiniteTestCase: golden bytes, partly captured from a live eUICC
 * over SCP81; SmsOtaTestCase / Test_SMS_3DES: the compact PoR data `01 6132` / `01 612f` and the
 * compact command SELECT MF) and tests/unittests/test_utils.py (test_parse_command_apdu). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/rscript/rscript.h"
#include "lib/test/runner.h"

static int cmd_decode_cb(const uint8_t *buf, size_t len, void *priv)
{
	return rscript_cmd_decode(buf, len, NULL, 0, NULL);
}

static int rsp_decode_cb(const uint8_t *buf, size_t len, void *priv)
{
	return rscript_rsp_decode(buf, len, NULL, 0, NULL);
}

static int apdu_cb(const uint8_t *buf, size_t len, void *priv)
{
	struct rscript_apdu a;

	return rscript_apdu_parse(&a, buf, len);
}

static int compact_cb(const uint8_t *buf, size_t len, void *priv)
{
	struct rscript_compact_iter it;
	struct rscript_apdu a;
	int rc, n = 0;

	rscript_compact_init(&it, buf, len, RSCRIPT_COMPACT_TPDU, NULL, NULL);
	while ((rc = rscript_compact_next(&it, &a)) > 0)
		n++;
	return rc < 0 ? rc : n;
}

static int compact_rsp_cb(const uint8_t *buf, size_t len, void *priv)
{
	struct rscript_compact_rsp r;

	return rscript_compact_rsp_decode(&r, buf, len);
}

/* ---- expanded command scripts ---- */

void test_rscript_cmd_pysim_definite(void)
{
	/* PYSIM test_single_capdu_golden / test_multi_capdu_golden: GP GET STATUS, SELECT MF. */
	size_t len, n;
	uint8_t *buf = test_unhex("aa14 2208 80f24002024f0000 2208 00a40004023f0000", &len);
	struct rscript_cmd_item items[4];
	uint8_t out[64];
	struct rscript_builder b;
	int rc;

	CU_ASSERT_EQUAL(rscript_cmd_decode(buf, len, items, 4, &n), (int)len);
	CU_ASSERT_EQUAL(n, 2);
	CU_ASSERT_EQUAL(items[0].kind, RSCRIPT_CMD_CAPDU);
	TEST_ASSERT_HEX_EQ(items[0].value, items[0].len, "80f24002024f0000");
	TEST_ASSERT_HEX_EQ(items[1].value, items[1].len, "00a40004023f0000");

	rscript_cmd_begin(&b, out, sizeof(out), RSCRIPT_DEFINITE);
	rscript_cmd_add_apdu(&b, items[0].value, items[0].len);
	rc = rscript_cmd_finish(&b);
	CU_ASSERT_EQUAL(rc, 12);
	TEST_ASSERT_HEX_EQ(out, (size_t)rc, "aa0a220880f24002024f0000");

	rscript_cmd_begin(&b, out, sizeof(out), RSCRIPT_DEFINITE);
	rscript_cmd_add_apdu(&b, items[0].value, items[0].len);
	rscript_cmd_add_apdu(&b, items[1].value, items[1].len);
	rc = rscript_cmd_finish(&b);
	TEST_ASSERT_MEM_EQ(out, (size_t)rc, buf, len);
	free(buf);
}

void test_rscript_cmd_pysim_long_form(void)
{
	/* PYSIM test_multibyte_length_golden: a 200-byte C-APDU gives `aa 81 cb | 22 81 c8`. */
	uint8_t capdu[200], out[256];
	struct rscript_builder b;
	struct rscript_cmd_item item;
	size_t n;
	int rc;

	memcpy(capdu, "\x80\xf2\x40\x00\xc3", 5);
	for (int i = 0; i < 195; i++)
		capdu[5 + i] = (uint8_t)i;
	rscript_cmd_begin(&b, out, sizeof(out), RSCRIPT_DEFINITE);
	rscript_cmd_add_apdu(&b, capdu, sizeof(capdu));
	rc = rscript_cmd_finish(&b);
	CU_ASSERT_EQUAL(rc, 206);
	TEST_ASSERT_HEX_EQ(out, 6, "aa81cb2281c8");
	TEST_ASSERT_MEM_EQ(out + 6, 200, capdu, sizeof(capdu));
	CU_ASSERT_EQUAL(rscript_cmd_decode(out, (size_t)rc, &item, 1, &n), rc);
	CU_ASSERT_EQUAL(n, 1);
	TEST_ASSERT_MEM_EQ(item.value, item.len, capdu, sizeof(capdu));
}

void test_rscript_cmd_pysim_indefinite(void)
{
	/* PYSIM test_cmd_single_golden and test_cmd_multi_golden (RFM: SELECT MF, SELECT EF.ICCID,
	 * READ BINARY). */
	static const char *single = "ae80 2205 80ca00e000 0000";
	static const char *multi = "ae80 2207 00a4000c023f00 2207 00a4000c022fe2 2205 00b000000a 0000";
	static const char *apdus[] = { "00a4000c023f00", "00a4000c022fe2", "00b000000a" };
	struct rscript_cmd_iter it;
	struct rscript_cmd_item item;
	struct rscript_builder b;
	uint8_t out[64];
	size_t len, alen;
	uint8_t *buf = test_unhex(multi, &len);
	int rc, i = 0;

	CU_ASSERT_EQUAL(rscript_cmd_open(&it, buf, len), (int)len);
	CU_ASSERT_EQUAL(it.coding, RSCRIPT_INDEFINITE);
	rscript_cmd_begin(&b, out, sizeof(out), RSCRIPT_INDEFINITE);
	while ((rc = rscript_cmd_next(&it, &item)) > 0) {
		uint8_t *a;

		CU_ASSERT_FATAL(i < 3);
		a = test_unhex(apdus[i], &alen);
		TEST_ASSERT_MEM_EQ(item.value, item.len, a, alen);
		rscript_cmd_add_apdu(&b, a, alen);
		free(a);
		i++;
	}
	CU_ASSERT_EQUAL(rc, 0);
	CU_ASSERT_EQUAL(i, 3);
	rc = rscript_cmd_finish(&b);
	TEST_ASSERT_MEM_EQ(out, (size_t)rc, buf, len);
	free(buf);

	rscript_cmd_begin(&b, out, sizeof(out), RSCRIPT_INDEFINITE);
	rscript_cmd_add_apdu(&b, (const uint8_t *)"\x80\xca\x00\xe0\x00", 5);
	rc = rscript_cmd_finish(&b);
	buf = test_unhex(single, &len);
	TEST_ASSERT_MEM_EQ(out, (size_t)rc, buf, len);
	free(buf);
}

void test_rscript_cmd_all_items_round_trip(void)
{
	/* Every item kind, in the order given, in both codings: SGP.02 style chaining + SCP03t. */
	static const uint8_t apdu[] = { 0x80, 0xE2, 0x89, 0x00, 0x02, 0x3A, 0x08 };
	static const uint8_t ia[] = { 0x01 }, scp[] = { 0x33, 0x44 };
	static const enum rscript_coding codings[] = { RSCRIPT_DEFINITE, RSCRIPT_INDEFINITE };

	for (size_t c = 0; c < 2; c++) {
		struct rscript_builder b;
		struct rscript_cmd_item items[8];
		uint8_t out[128];
		size_t n;
		int rc;

		rscript_cmd_begin(&b, out, sizeof(out), codings[c]);
		rscript_cmd_add_chaining(&b, RSCRIPT_CHAIN_FIRST_KEEP_ON_RESET);
		rscript_cmd_add(&b, RSCRIPT_CMD_IMMEDIATE_ACTION, ia, 1);
		rscript_cmd_add(&b, RSCRIPT_CMD_ERROR_ACTION, NULL, 0);
		rscript_cmd_add_apdu(&b, apdu, sizeof(apdu));
		rscript_cmd_add(&b, RSCRIPT_CMD_SCP03T_INIT, scp, 2);
		rscript_cmd_add(&b, RSCRIPT_CMD_SCP03T_EXT_AUTH, scp, 2);
		rscript_cmd_add(&b, RSCRIPT_CMD_SCP03T_DATA, scp, 2);
		rc = rscript_cmd_finish(&b);
		CU_ASSERT_FATAL(rc > 0);
		CU_ASSERT_EQUAL(out[0], c ? 0xAE : 0xAA);
		CU_ASSERT_EQUAL(rscript_cmd_decode(out, (size_t)rc, items, 8, &n), rc);
		CU_ASSERT_EQUAL_FATAL(n, 7);
		CU_ASSERT_EQUAL(items[0].kind, RSCRIPT_CMD_SCRIPT_CHAINING);
		CU_ASSERT_EQUAL(items[0].value[0], 0x11);
		CU_ASSERT_EQUAL(items[1].kind, RSCRIPT_CMD_IMMEDIATE_ACTION);
		CU_ASSERT_EQUAL(items[2].kind, RSCRIPT_CMD_ERROR_ACTION);
		CU_ASSERT_EQUAL(items[2].len, 0);
		CU_ASSERT_EQUAL(items[3].kind, RSCRIPT_CMD_CAPDU);
		TEST_ASSERT_MEM_EQ(items[3].value, items[3].len, apdu, sizeof(apdu));
		CU_ASSERT_EQUAL(items[4].kind, RSCRIPT_CMD_SCP03T_INIT);
		CU_ASSERT_EQUAL(items[5].kind, RSCRIPT_CMD_SCP03T_EXT_AUTH);
		CU_ASSERT_EQUAL(items[6].kind, RSCRIPT_CMD_SCP03T_DATA);
		CU_ASSERT_EQUAL(test_truncations_rejected(out, (size_t)rc, cmd_decode_cb, NULL, __FILE__, __LINE__), 0);
		/* Trailing bytes after the template are not part of it. */
		out[rc] = 0x5A;
		CU_ASSERT_EQUAL(rscript_cmd_decode(out, (size_t)rc + 1, NULL, 0, NULL), rc);
	}
	CU_ASSERT_STRING_EQUAL(get_value_string(rscript_chaining_names, 0x11), "first, keep on reset");
	CU_ASSERT_STRING_EQUAL(get_value_string(rscript_chaining_names, 0x03), "last");
}

void test_rscript_cmd_negative(void)
{
	static const struct {
		const char *hex;
		int rc;
		enum rscript_bad_format bf;
	} v[] = {
		{ "aa80 2205 80ca00e000 0000", -EBADMSG, 0 }, /* AA must be definite (table 5.2) */
		{ "ae07 2205 80ca00e000", -EBADMSG, 0 },      /* AE must be indefinite (table 5.2a) */
		{ "ab07 2205 80ca00e000", -EBADMSG, 0 },      /* a response template is not a command script */
		{ "aa03 2201 00", -EBADMSG, RSCRIPT_BAD_FORMAT_WRONG_LENGTH },	 /* APDU < 4 bytes */
		{ "aa04 8302 0101", -EBADMSG, RSCRIPT_BAD_FORMAT_WRONG_LENGTH }, /* chaining is 1 byte */
		{ "aa07 2305 80ca00e000", -EBADMSG, RSCRIPT_BAD_FORMAT_UNKNOWN_TAG },
		{ "aa07 2206 80ca00e000", -EBADMSG, RSCRIPT_BAD_FORMAT_WRONG_LENGTH }, /* inner overruns AA */
		{ "aa05 2284 00000004", -EBADMSG, RSCRIPT_BAD_FORMAT_LENGTH_NOT_FOUND },
		{ "ae80 2205 80ca00e000", -EAGAIN, 0 }, /* no end-of-contents */
		{ "aa08 2205 80ca00e000", -EAGAIN, 0 },
	};
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		size_t len;
		uint8_t *buf = test_unhex(v[i].hex, &len);
		struct rscript_cmd_iter it;
		struct rscript_cmd_item item;
		int rc = rscript_cmd_open(&it, buf, len);

		while (rc > 0 && (rc = rscript_cmd_next(&it, &item)) > 0)
			;
		CU_ASSERT_EQUAL(rc, v[i].rc);
		if (v[i].bf)
			CU_ASSERT_EQUAL(it.bad_format, v[i].bf);
		free(buf);
	}
}

void test_rscript_cmd_builder_errors(void)
{
	uint8_t out[16];
	struct rscript_builder b;

	rscript_cmd_begin(&b, out, sizeof(out), RSCRIPT_DEFINITE);
	rscript_cmd_add_chaining(&b, (enum rscript_chaining)0x04);
	CU_ASSERT_EQUAL(rscript_cmd_finish(&b), -EINVAL);
	rscript_cmd_begin(&b, out, sizeof(out), RSCRIPT_DEFINITE);
	rscript_cmd_add_apdu(&b, out, 3);
	CU_ASSERT_EQUAL(rscript_cmd_finish(&b), -EINVAL);
	rscript_cmd_begin(&b, out, sizeof(out), RSCRIPT_INDEFINITE);
	rscript_cmd_add_apdu(&b, (const uint8_t *)"\x00\xa4\x00\x04\x02\x3f\x00\x00\x00\x00\x00\x00\x00", 13);
	CU_ASSERT_EQUAL(rscript_cmd_finish(&b), -EMSGSIZE);
	rscript_cmd_begin(&b, out, sizeof(out), (enum rscript_coding)7);
	CU_ASSERT_EQUAL(rscript_cmd_finish(&b), -EINVAL);
}

/* ---- expanded response scripts ---- */

void test_rscript_rsp_pysim_definite(void)
{
	/* PYSIM test_status_only_golden and test_resp_definite_still_parses. */
	static const struct {
		const char *hex;
		uint16_t sw;
	} v[] = { { "ab0780010123026132", 0x6132 }, { "ab0780010123029000", 0x9000 } };

	for (size_t i = 0; i < 2; i++) {
		size_t len, n;
		uint8_t *buf = test_unhex(v[i].hex, &len);
		struct rscript_rsp_item items[4];
		struct rscript_builder b;
		uint8_t out[16];
		int rc;

		CU_ASSERT_EQUAL(rscript_rsp_decode(buf, len, items, 4, &n), (int)len);
		CU_ASSERT_EQUAL_FATAL(n, 2);
		CU_ASSERT_EQUAL(items[0].kind, RSCRIPT_RSP_COUNT);
		CU_ASSERT_EQUAL(items[0].count, 1);
		CU_ASSERT_EQUAL(items[1].kind, RSCRIPT_RSP_RAPDU);
		CU_ASSERT_EQUAL(items[1].sw, v[i].sw);
		CU_ASSERT_EQUAL(items[1].data_len, 0);

		rscript_rsp_begin(&b, out, sizeof(out), RSCRIPT_DEFINITE);
		rscript_rsp_add_count(&b, 1);
		rscript_rsp_add_rapdu(&b, NULL, 0, v[i].sw);
		rc = rscript_rsp_finish(&b);
		TEST_ASSERT_MEM_EQ(out, (size_t)rc, buf, len);
		CU_ASSERT_EQUAL(TEST_TRUNCATIONS_REJECTED(buf, len, rsp_decode_cb, NULL), 0);
		free(buf);
	}
}

void test_rscript_rsp_pysim_registry(void)
{
	/* PYSIM test_registry_golden: a 198-byte GET STATUS registry + 9000: `ab 81 ce | 80 01 01 | 23 81 c8`. */
	uint8_t reg[198], out[256];
	struct rscript_builder b;
	struct rscript_rsp_item items[3];
	size_t n;
	int rc;

	for (int i = 0; i < 198; i++)
		reg[i] = (uint8_t)i;
	rscript_rsp_begin(&b, out, sizeof(out), RSCRIPT_DEFINITE);
	rscript_rsp_add_count(&b, 1);
	rscript_rsp_add_rapdu(&b, reg, sizeof(reg), 0x9000);
	rc = rscript_rsp_finish(&b);
	CU_ASSERT_EQUAL(rc, 3 + 3 + 3 + 200);
	TEST_ASSERT_HEX_EQ(out, 9, "ab81ce8001012381c8");
	CU_ASSERT_EQUAL(rscript_rsp_decode(out, (size_t)rc, items, 3, &n), rc);
	CU_ASSERT_EQUAL(n, 2);
	TEST_ASSERT_MEM_EQ(items[1].data, items[1].data_len, reg, sizeof(reg));
	CU_ASSERT_EQUAL(items[1].sw, 0x9000);
}

void test_rscript_rsp_pysim_codes(void)
{
	/* PYSIM test_bad_format (90 01 01 = unknown tag), test_immediate_action_error (81 01 01 =
	 * suspension error), test_script_chaining_error (83 01 02 = not supported),
	 * test_resp_indefinite_bad_format (AF form). */
	static const struct {
		const char *hex;
		enum rscript_rsp_kind kind;
		uint8_t code;
		const char *name;
	} v[] = {
		{ "ab06800101900101", RSCRIPT_RSP_BAD_FORMAT, 1, "unknown tag" },
		{ "ab06800101810101", RSCRIPT_RSP_IMMEDIATE_ACTION, 1, "suspension error" },
		{ "ab06800101830102", RSCRIPT_RSP_SCRIPT_CHAINING, 2, "not supported" },
		{ "af80 900101 0000", RSCRIPT_RSP_BAD_FORMAT, 1, "unknown tag" },
	};
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		size_t len, n;
		uint8_t *buf = test_unhex(v[i].hex, &len);
		struct rscript_rsp_item items[3];
		const struct value_string *names;

		CU_ASSERT_EQUAL(rscript_rsp_decode(buf, len, items, 3, &n), (int)len);
		CU_ASSERT_EQUAL_FATAL(n, i == 3 ? 1 : 2);
		CU_ASSERT_EQUAL(items[n - 1].kind, v[i].kind);
		CU_ASSERT_EQUAL(items[n - 1].code, v[i].code);
		names = v[i].kind == RSCRIPT_RSP_BAD_FORMAT	    ? rscript_bad_format_names
			: v[i].kind == RSCRIPT_RSP_IMMEDIATE_ACTION ? rscript_immediate_action_rsp_names
								    : rscript_chaining_rsp_names;
		CU_ASSERT_STRING_EQUAL(get_value_string(names, v[i].code), v[i].name);
		free(buf);
	}
}

void test_rscript_rsp_pysim_indefinite(void)
{
	/* PYSIM test_resp_rfm_golden and test_resp_ram_golden, captured from a live eUICC over SCP81. */
	static const char *rfm = "af80 23029000 23029000 230c 98881201000040860814 9000 0000";
	static const char *ram = "af80 2334 e030c00403308810c00402308810c00401308810c00402408810"
				 "c00401408510c00403018810c00402018810c00401018810 9000 0000";
	size_t len, n;
	uint8_t *buf = test_unhex(rfm, &len);
	struct rscript_rsp_item items[4];
	struct rscript_builder b;
	uint8_t out[128];
	int rc;

	CU_ASSERT_EQUAL(rscript_rsp_decode(buf, len, items, 4, &n), (int)len);
	CU_ASSERT_EQUAL_FATAL(n, 3);
	for (int i = 0; i < 3; i++) {
		CU_ASSERT_EQUAL(items[i].kind, RSCRIPT_RSP_RAPDU);
		CU_ASSERT_EQUAL(items[i].sw, 0x9000);
	}
	TEST_ASSERT_HEX_EQ(items[2].data, items[2].data_len, "98881201000040860814");
	rscript_rsp_begin(&b, out, sizeof(out), RSCRIPT_INDEFINITE);
	for (int i = 0; i < 3; i++)
		rscript_rsp_add_rapdu(&b, items[i].data, items[i].data_len, items[i].sw);
	rc = rscript_rsp_finish(&b);
	TEST_ASSERT_MEM_EQ(out, (size_t)rc, buf, len);
	/* PYSIM test_resp_truncated_is_rejected: every prefix fails. */
	CU_ASSERT_EQUAL(TEST_TRUNCATIONS_REJECTED(buf, len, rsp_decode_cb, NULL), 0);
	free(buf);

	buf = test_unhex(ram, &len);
	CU_ASSERT_EQUAL(rscript_rsp_decode(buf, len, items, 4, &n), (int)len);
	CU_ASSERT_EQUAL(n, 1);
	CU_ASSERT_EQUAL(items[0].data_len, 0x32);
	CU_ASSERT_EQUAL(items[0].sw, 0x9000);
	free(buf);
}

void test_rscript_rsp_scp03t(void)
{
	/* SGP.02 SCP03t responses in AF (open-questions §5): `85 00`, and the error `9F46 01 02` the
	 * card sent (WT logs), with no 22/23 wrapper. */
	static const char *ok = "af80 8500 8600 0000";
	static const char *err = "af80 9f460102 0000";
	size_t len, n;
	uint8_t *buf = test_unhex(ok, &len);
	struct rscript_rsp_item items[3];

	CU_ASSERT_EQUAL(rscript_rsp_decode(buf, len, items, 3, &n), (int)len);
	CU_ASSERT_EQUAL(n, 2);
	CU_ASSERT_EQUAL(items[0].kind, RSCRIPT_RSP_SCP03T_EXT_AUTH);
	CU_ASSERT_EQUAL(items[1].kind, RSCRIPT_RSP_SCP03T_DATA);
	free(buf);
	buf = test_unhex(err, &len);
	CU_ASSERT_EQUAL(rscript_rsp_decode(buf, len, items, 3, &n), (int)len);
	CU_ASSERT_EQUAL_FATAL(n, 1);
	CU_ASSERT_EQUAL(items[0].kind, RSCRIPT_RSP_SCP03T_ERROR);
	CU_ASSERT_EQUAL(items[0].tag, 0x9F46);
	CU_ASSERT_EQUAL(items[0].code, 0x02);
	free(buf);
}

void test_rscript_rsp_negative(void)
{
	static const struct {
		const char *hex;
		int rc;
	} v[] = {
		{ "ab04 23029000", -EBADMSG },	      /* definite without the 80 count first (table 5.10) */
		{ "ab00", -EBADMSG },		      /* definite and empty */
		{ "ab06 800101 230190", -EBADMSG },   /* R-APDU shorter than SW1 SW2 */
		{ "ab07 80050000000001", -EBADMSG },  /* count longer than 4 bytes */
		{ "ab02 8000", -EBADMSG },	      /* count without a value */
		{ "ab06 800101 800101", -EBADMSG },   /* count twice */
		{ "ab07 800101 90020101", -EBADMSG }, /* bad-format code of 2 bytes */
		{ "ab05 800101 2200", -EBADMSG },     /* a command tag in a response */
		{ "af80 23029000", -EAGAIN },	      /* PYSIM test_resp_missing_eoc_raises */
		{ "aa0780010123029000", -EBADMSG },   /* a command template */
		{ "ab07 800101 23049000", -EBADMSG }, /* item overruns the template */
	};
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		size_t len;
		uint8_t *buf = test_unhex(v[i].hex, &len);

		CU_ASSERT_EQUAL(rscript_rsp_decode(buf, len, NULL, 0, NULL), v[i].rc);
		free(buf);
	}
	{
		uint8_t out[8];
		struct rscript_builder b;

		rscript_rsp_begin(&b, out, sizeof(out), RSCRIPT_DEFINITE);
		rscript_rsp_add_code(&b, RSCRIPT_RSP_RAPDU, 1);
		CU_ASSERT_EQUAL(rscript_rsp_finish(&b), -EINVAL);
		/* AB 06 80 04 01020304 is 8 bytes: it fits 8 exactly, not 7. */
		rscript_rsp_begin(&b, out, sizeof(out), RSCRIPT_DEFINITE);
		rscript_rsp_add_count(&b, 0x01020304);
		CU_ASSERT_EQUAL(rscript_rsp_finish(&b), 8);
		rscript_rsp_begin(&b, out, sizeof(out) - 1, RSCRIPT_DEFINITE);
		rscript_rsp_add_count(&b, 0x01020304);
		CU_ASSERT_EQUAL(rscript_rsp_finish(&b), -EMSGSIZE);
	}
}

void test_rscript_rsp_count_widths(void)
{
	static const uint32_t counts[] = { 0, 1, 255, 256, 0xFFFF, 0x10000, 0x1000000, 0xFFFFFFFF };

	for (size_t i = 0; i < sizeof(counts) / sizeof(counts[0]); i++) {
		uint8_t out[32];
		struct rscript_builder b;
		struct rscript_rsp_item item;
		size_t n;
		int rc;

		rscript_rsp_begin(&b, out, sizeof(out), RSCRIPT_DEFINITE);
		rscript_rsp_add_count(&b, counts[i]);
		rc = rscript_rsp_finish(&b);
		CU_ASSERT_FATAL(rc > 0);
		CU_ASSERT_EQUAL(rscript_rsp_decode(out, (size_t)rc, &item, 1, &n), rc);
		CU_ASSERT_EQUAL(item.count, counts[i]);
	}
}

/* ---- APDU cases ---- */

void test_rscript_apdu_cases(void)
{
	/* PYSIM tests/unittests/test_utils.py test_parse_command_apdu (the short forms). */
	static const struct {
		const char *hex;
		enum rscript_apdu_case c;
		size_t lc;
		unsigned int le;
	} v[] = {
		{ "41414141", RSCRIPT_APDU_CASE_1, 0, 0 },
		{ "414141410f", RSCRIPT_APDU_CASE_2, 0, 15 },
		{ "4141414100", RSCRIPT_APDU_CASE_2, 0, 256 },
		{ "41414141081122334455667788", RSCRIPT_APDU_CASE_3, 8, 0 },
		{ "4141414108112233445566778804", RSCRIPT_APDU_CASE_4, 8, 4 },
		{ "80f24002024f0000", RSCRIPT_APDU_CASE_4, 2, 256 }, /* GP GET STATUS (PYSIM test_ota.py) */
	};
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		size_t len;
		uint8_t *buf = test_unhex(v[i].hex, &len);
		struct rscript_apdu a;

		CU_ASSERT_EQUAL(rscript_apdu_parse(&a, buf, len), (int)len);
		CU_ASSERT_EQUAL(a.apdu_case, v[i].c);
		CU_ASSERT_EQUAL(a.lc, v[i].lc);
		CU_ASSERT_EQUAL(a.le, v[i].le);
		CU_ASSERT_EQUAL(a.cla, buf[0]);
		CU_ASSERT_EQUAL(a.p2, buf[3]);
		if (v[i].lc)
			CU_ASSERT_PTR_EQUAL(a.data, buf + 5);
		test_truncations_run(buf, len, apdu_cb, NULL);
		free(buf);
	}
}

void test_rscript_apdu_negative(void)
{
	static const char *bad[] = {
		"414141",		 /* no header */
		"41414141 00 42",	 /* 00 then data: extended form (pySim's 256-byte Lc is not ISO) */
		"41414141 03 1122",	 /* Lc 3, 2 bytes */
		"41414141 02 112233 44", /* Lc 2, 4 bytes after */
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		size_t len;
		uint8_t *buf = test_unhex(bad[i], &len);
		struct rscript_apdu a;

		CU_ASSERT_EQUAL(rscript_apdu_parse(&a, buf, len), -EBADMSG);
		free(buf);
	}
}

/* ---- compact format ---- */

void test_rscript_compact_cmd(void)
{
	/* The RFM sequence of PYSIM test_cmd_multi_golden, concatenated in the compact form. */
	static const char *apdus[] = { "00a4000c023f00", "00a4000c022fe2", "00b000000a" };
	const uint8_t *ptrs[3];
	size_t lens[3], len;
	uint8_t *raw[3], out[64];
	struct rscript_compact_iter it;
	struct rscript_apdu a;
	int rc, i = 0;

	for (int k = 0; k < 3; k++) {
		raw[k] = test_unhex(apdus[k], &lens[k]);
		ptrs[k] = raw[k];
	}
	rc = rscript_compact_cmd_encode(out, sizeof(out), ptrs, lens, 3);
	CU_ASSERT_EQUAL_FATAL(rc, 19);
	TEST_ASSERT_HEX_EQ(out, (size_t)rc, "00a4000c023f0000a4000c022fe200b000000a");
	len = (size_t)rc;
	rscript_compact_init(&it, out, len, RSCRIPT_COMPACT_TPDU, NULL, NULL);
	while ((rc = rscript_compact_next(&it, &a)) > 0) {
		CU_ASSERT_FATAL(i < 3);
		TEST_ASSERT_MEM_EQ(a.raw, a.raw_len, ptrs[i], lens[i]);
		i++;
	}
	CU_ASSERT_EQUAL(rc, 0);
	CU_ASSERT_EQUAL(i, 3);
	CU_ASSERT_EQUAL(a.apdu_case, RSCRIPT_APDU_CASE_2);
	CU_ASSERT_EQUAL(a.le, 10);
	test_truncations_run(out, len, compact_cb, NULL);
	CU_ASSERT_EQUAL(compact_cb(out, 3, NULL), -EAGAIN);
	CU_ASSERT_EQUAL(compact_cb(out, 6, NULL), -EAGAIN); /* SELECT cut inside its data */
	CU_ASSERT_EQUAL(rscript_compact_cmd_encode(out, 10, ptrs, lens, 3), -EMSGSIZE);
	for (int k = 0; k < 3; k++)
		free(raw[k]);

	/* PYSIM Test_SMS_3DES test_cmd_3des_none: the secured data is SELECT MF `00a40000023f00`. */
	{
		uint8_t *buf = test_unhex("00a40000023f00", &len);

		rscript_compact_init(&it, buf, len, RSCRIPT_COMPACT_SINGLE, NULL, NULL);
		CU_ASSERT_EQUAL(rscript_compact_next(&it, &a), 1);
		CU_ASSERT_EQUAL(a.apdu_case, RSCRIPT_APDU_CASE_3);
		CU_ASSERT_EQUAL(rscript_compact_next(&it, &a), 0);
		rscript_compact_init(&it, buf, len, RSCRIPT_COMPACT_TPDU, NULL, NULL);
		CU_ASSERT_EQUAL(rscript_compact_next(&it, &a), 1);
		CU_ASSERT_EQUAL(a.raw_len, len);
		free(buf);
	}
}

void test_rscript_compact_cmd_negative(void)
{
	struct rscript_compact_iter it;
	struct rscript_apdu a;

	/* An unknown INS cannot be split. */
	rscript_compact_init(&it, (const uint8_t *)"\x00\x77\x00\x00\x02\x01\x02", 7, RSCRIPT_COMPACT_TPDU, NULL, NULL);
	CU_ASSERT_EQUAL(rscript_compact_next(&it, &a), -EBADMSG);
	/* An incoming command with P3 = 00. */
	rscript_compact_init(&it, (const uint8_t *)"\x00\xa4\x00\x00\x00", 5, RSCRIPT_COMPACT_TPDU, NULL, NULL);
	CU_ASSERT_EQUAL(rscript_compact_next(&it, &a), -EBADMSG);
	/* GP GET STATUS (P1 80) carries data; TS 102 221 STATUS (P1 00) does not. */
	CU_ASSERT_EQUAL(rscript_compact_has_data_default(0x80, 0xF2, 0x80, 0x02, NULL), 1);
	CU_ASSERT_EQUAL(rscript_compact_has_data_default(0x80, 0xF2, 0x00, 0x0C, NULL), 0);
	rscript_compact_init(&it, (const uint8_t *)"\x00\xa4", 2, RSCRIPT_COMPACT_SINGLE, NULL, NULL);
	CU_ASSERT_EQUAL(rscript_compact_next(&it, &a), -EBADMSG);
}

void test_rscript_compact_rsp(void)
{
	/* PYSIM SmsOtaTestCase / Test_SMS_3DES: the PoR data `01 6132` and `01 612f` (one command,
	 * last SW, no data), as in the unciphered PoR `027100000e0ab0001100000000000000016132`. */
	static const struct {
		const char *hex;
		uint16_t sw;
	} v[] = { { "016132", 0x6132 }, { "01612f", 0x612F } };
	for (size_t i = 0; i < 2; i++) {
		size_t len;
		uint8_t *buf = test_unhex(v[i].hex, &len), out[8];
		struct rscript_compact_rsp r;

		CU_ASSERT_EQUAL(rscript_compact_rsp_decode(&r, buf, len), 3);
		CU_ASSERT_EQUAL(r.count, 1);
		CU_ASSERT_EQUAL(r.sw, v[i].sw);
		CU_ASSERT_EQUAL(r.data_len, 0);
		CU_ASSERT_EQUAL(rscript_compact_rsp_encode(out, sizeof(out), &r), 3);
		TEST_ASSERT_MEM_EQ(out, 3, buf, len);
		CU_ASSERT_EQUAL(TEST_TRUNCATIONS_REJECTED(buf, len, compact_rsp_cb, NULL), 0);
		free(buf);
	}
	{
		/* With data: 2 commands, 9000, the ICCID read by READ BINARY. */
		uint8_t out[16];
		struct rscript_compact_rsp r = {
			.count = 2, .sw = 0x9000, .data = (const uint8_t *)"\x98\x88", .data_len = 2
		};
		struct rscript_compact_rsp back;

		CU_ASSERT_EQUAL(rscript_compact_rsp_encode(out, sizeof(out), &r), 5);
		TEST_ASSERT_HEX_EQ(out, 5, "0290009888");
		CU_ASSERT_EQUAL(rscript_compact_rsp_decode(&back, out, 5), 5);
		TEST_ASSERT_HEX_EQ(back.data, back.data_len, "9888");
		CU_ASSERT_EQUAL(rscript_compact_rsp_encode(out, 4, &r), -EMSGSIZE);
	}
}

/* ---- mutation pass ---- */

void test_rscript_mutations(void)
{
	static const char *cmds[] = { "aa14 2208 80f24002024f0000 2208 00a40004023f0000", "ae80 830111 810101 2207 "
											  "00a4000c023f00 8402 3344 "
											  "0000" };
	static const char *rsps[] = { "ab0780010123026132", "af80 23029000 230c 98881201000040860814 9000 9f460102 "
							    "0000" };
	unsigned long accepted = 0;

	for (size_t i = 0; i < 2; i++) {
		size_t len;
		uint8_t *buf = test_unhex(cmds[i], &len);

		CU_ASSERT_EQUAL(cmd_decode_cb(buf, len, NULL), (int)len);
		accepted += test_mutations_run(buf, len, cmd_decode_cb, NULL);
		free(buf);
		buf = test_unhex(rsps[i], &len);
		CU_ASSERT_EQUAL(rsp_decode_cb(buf, len, NULL), (int)len);
		accepted += test_mutations_run(buf, len, rsp_decode_cb, NULL);
		free(buf);
	}
	{
		size_t len;
		uint8_t *buf = test_unhex("00a4000c023f0000a4000c022fe200b000000a", &len);

		accepted += test_mutations_run(buf, len, compact_cb, NULL);
		accepted += test_mutations_run(buf, len, apdu_cb, NULL);
		free(buf);
	}
	/* Value bytes may change freely, so a working decoder accepts many mutants. */
	CU_ASSERT(accepted > 1000);
}
