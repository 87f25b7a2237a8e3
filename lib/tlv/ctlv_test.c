/* Tests of the COMPREHENSION-TLV walker and writer. */
#include <errno.h>
#include <stdlib.h>

#include "lib/test/runner.h"
#include "lib/tlv/ctlv.h"

/* An OPEN CHANNEL proactive command body written by hand from TS 102 223 §6.6.27: command details
 * (81), device identities (82: UICC -> terminal), bearer description (35), buffer size (39),
 * transport level (3C: TCP client, port 443), other address (3E: IPv4 127.0.0.1). */
static const char *open_channel = "8103014001 82028182 350103 39020500 3c030201bb 3e05217f000001";

void test_ctlv_walk(void)
{
	size_t len;
	uint8_t *buf = test_unhex(open_channel, &len);
	struct ctlv_iter it;
	struct ctlv t;
	uint16_t tags[8];
	bool cr[8];
	int n = 0, rc;

	ctlv_iter_init(&it, buf, len);
	while ((rc = ctlv_iter_next(&it, &t)) > 0 && n < 8) {
		tags[n] = t.tag;
		cr[n++] = t.cr;
	}
	CU_ASSERT_EQUAL(rc, 0);
	CU_ASSERT_EQUAL(n, 6);
	CU_ASSERT_EQUAL(tags[0], 0x01);
	CU_ASSERT_TRUE(cr[0]);
	CU_ASSERT_EQUAL(tags[2], 0x35);
	CU_ASSERT_FALSE(cr[2]);
	CU_ASSERT_EQUAL(tags[5], 0x3E);
	CU_ASSERT_EQUAL(ctlv_find(buf, len, 0x3C, &t), 0);
	TEST_ASSERT_HEX_EQ(t.value, t.len, "0201bb");
	CU_ASSERT_EQUAL(ctlv_find(buf, len, 0x02, &t), 0); /* device identities, found with CR set */
	CU_ASSERT_EQUAL(ctlv_find(buf, len, 0x77, &t), -ENOENT);
	free(buf);
}

void test_ctlv_three_byte_tag(void)
{
	size_t len;
	uint8_t *buf = test_unhex("7f812302 abcd", &len);
	struct ctlv t;

	CU_ASSERT_EQUAL(ctlv_decode(&t, buf, len), 6);
	CU_ASSERT_TRUE(t.three_byte);
	CU_ASSERT_TRUE(t.cr);
	CU_ASSERT_EQUAL(t.tag, 0x0123);
	CU_ASSERT_EQUAL(t.len, 2);
	free(buf);
}

void test_ctlv_errors(void)
{
	static const struct {
		const char *hex;
		int rc;
	} v[] = {
		{ "", -EAGAIN },      { "00 00", -EBADMSG },	{ "80 00", -EBADMSG }, { "ff 00", -EBADMSG },
		{ "81", -EAGAIN },    { "8103 0101", -EAGAIN }, { "7f81", -EAGAIN },   { "0184 00000000", -EOVERFLOW },
		{ "0180", -EBADMSG }, /* 80 is no length form in TS 101 220 */
	};
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		size_t len;
		uint8_t *buf = test_unhex(v[i].hex, &len);
		struct ctlv t;

		CU_ASSERT_EQUAL(ctlv_decode(&t, buf, len), v[i].rc);
		free(buf);
	}
}

void test_ctlv_encode_round_trip(void)
{
	uint8_t out[300], big[200] = { 0 };
	struct ctlv t;
	int n;

	n = ctlv_encode(out, sizeof(out), 0x01, true, "\x01\x40\x01", 3);
	CU_ASSERT_EQUAL(n, 5);
	TEST_ASSERT_HEX_EQ(out, (size_t)n, "8103014001");

	n = ctlv_encode(out, sizeof(out), 0x36, false, big, sizeof(big)); /* channel data: 81 form */
	CU_ASSERT_EQUAL(n, 3 + 200);
	TEST_ASSERT_HEX_EQ(out, 3, "3681c8");
	CU_ASSERT_EQUAL(ctlv_decode(&t, out, (size_t)n), n);
	CU_ASSERT_EQUAL(t.len, 200);
	CU_ASSERT_FALSE(t.nonminimal_len);

	n = ctlv_encode(out, sizeof(out), 0x0123, true, "\xab", 1);
	TEST_ASSERT_HEX_EQ(out, (size_t)n, "7f812301ab");

	CU_ASSERT_EQUAL(ctlv_encode(out, 4, 0x01, true, "\x01\x40\x01", 3), -EMSGSIZE);
	CU_ASSERT_EQUAL(ctlv_encode(out, sizeof(out), 0x00, true, NULL, 0), -EINVAL);
	CU_ASSERT_EQUAL(ctlv_encode(out, sizeof(out), 0x7F, true, NULL, 0), -EINVAL);
}

static int decode_cb(const uint8_t *buf, size_t len, void *priv)
{
	struct ctlv t;

	return ctlv_decode(&t, buf, len);
}

static int walk_cb(const uint8_t *buf, size_t len, void *priv)
{
	struct ctlv_iter it;
	struct ctlv t;
	int rc;

	ctlv_iter_init(&it, buf, len);
	while ((rc = ctlv_iter_next(&it, &t)) > 0)
		;
	return rc;
}

void test_ctlv_truncations_and_mutations(void)
{
	size_t len;
	uint8_t *buf = test_unhex("7f812302abcd", &len);

	CU_ASSERT_EQUAL(TEST_TRUNCATIONS_REJECTED(buf, len, decode_cb, NULL), 0);
	free(buf);
	buf = test_unhex(open_channel, &len);
	test_truncations_run(buf, len, walk_cb, NULL);
	CU_ASSERT_TRUE(test_mutations_run(buf, len, walk_cb, NULL) > 0);
	free(buf);
}
