/* Tests of the E1 notification codec. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/es5/notification.h"
#include "lib/test/runner.h"

#define EID  "89001012012341234012345678901224" /* open-questions §15 */
#define AID  "a0000005591010ffffffff8900001300"
#define IMEI "3516800000000010"

/* open-questions §9: WHTY's device simulator emits E1 35 4C10<EID> 4D01 02 4E02 0000 4F10<AID> 1408<IMEI>. */
static const char *whty_e1 = "e135 4c10" EID " 4d0102 4e020000 4f10" AID " 1408" IMEI;

void test_notification_whty_vector(void)
{
	size_t len;
	uint8_t *buf = test_unhex(whty_e1, &len);
	struct es5_notification n;
	uint8_t out[128];
	int rc;

	CU_ASSERT_EQUAL(es5_notification_decode(&n, buf, len), (int)len);
	TEST_ASSERT_HEX_EQ(n.eid.buf, n.eid.len, EID);
	CU_ASSERT_EQUAL(n.type, ES5_NOTIF_PROFILE_CHANGE_SUCCEEDED);
	CU_ASSERT_EQUAL(n.seq, 0);
	CU_ASSERT_EQUAL(n.aid_tag, 0x4F); /* the reading this peer uses is recorded */
	TEST_ASSERT_HEX_EQ(n.isdp_aid.buf, n.isdp_aid.len, AID);
	TEST_ASSERT_HEX_EQ(n.imei.buf, n.imei.len, IMEI);

	/* Re-encoded with the 4F variant it is byte-identical; the default variant writes 2F. */
	rc = es5_notification_encode(out, sizeof(out), &n, ES5_NOTIF_AID_4F);
	TEST_ASSERT_MEM_EQ(out, rc > 0 ? (size_t)rc : 0, buf, len);
	rc = es5_notification_encode(out, sizeof(out), &n, ES5_NOTIF_AID_2F);
	CU_ASSERT_EQUAL(rc, (int)len);
	CU_ASSERT_EQUAL(out[2 + 18 + 3 + 4], 0x2F);
	free(buf);
}

void test_notification_tag_readings(void)
{
	/* Njiwa reads the AID under 2F or AF, IMEI under 14 or 94, MEID under 6D or ED. */
	static const char *v[] = {
		"e12b 4c10" EID " 4d0103 4e020007 2f10" AID,
		"e12b 4c10" EID " 4d0103 4e020007 af10" AID,
		"e135 4c10" EID " 4d0103 4e020007 af10" AID " 9408" IMEI,
	};
	static const uint8_t tag[] = { 0x2F, 0xAF, 0xAF };

	for (size_t i = 0; i < 3; i++) {
		size_t len;
		uint8_t *buf = test_unhex(v[i], &len);
		struct es5_notification n;

		CU_ASSERT_EQUAL(es5_notification_decode(&n, buf, len), (int)len);
		CU_ASSERT_EQUAL(n.type, ES5_NOTIF_PROFILE_CHANGE_FAILED);
		CU_ASSERT_EQUAL(n.seq, 7);
		CU_ASSERT_EQUAL(n.aid_tag, tag[i]);
		free(buf);
	}
}

void test_notification_rejects(void)
{
	static const struct {
		const char *hex;
		int rc;
	} v[] = {
		{ "e107 4d0101 4e020001", -EBADMSG },			     /* no EID */
		{ "e10d 4c04 89001012 4d0101 4e020001", -EBADMSG },	     /* EID too short */
		{ "e116 4c10" EID " 4e020001", -EBADMSG },		     /* no type */
		{ "e118 4c10" EID " 4d0101 4e0101", -EBADMSG },		     /* seq of 1 byte */
		{ "e11c 4c10" EID " 4d0101 4d0102 4e020001", -EBADMSG },     /* type twice */
		{ "e319 4c10" EID " 4d0101 4e020001", -EBADMSG },	     /* not E1 */
		{ "e11b 4c10" EID " 4d0101 4e0200", -EAGAIN },		     /* cut */
		{ "e11e 4c10" EID " 4d0102 4e020001 4f03a00000", -EBADMSG }, /* AID too short */
	};

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		size_t len;
		uint8_t *buf = test_unhex(v[i].hex, &len);
		struct es5_notification n;
		int rc = es5_notification_decode(&n, buf, len);

		if (rc != v[i].rc)
			printf("\n      vector %zu: got %d want %d", i, rc, v[i].rc);
		CU_ASSERT_EQUAL(rc, v[i].rc);
		free(buf);
	}
}

void test_notification_encode_errors(void)
{
	uint8_t out[64], eid[ES5_EID_LEN] = { 0 };
	struct es5_notification n = { .eid = { eid, 15 }, .type = 1 };

	CU_ASSERT_EQUAL(es5_notification_encode(out, sizeof(out), &n, ES5_NOTIF_AID_2F), -EINVAL);
	n.eid.len = ES5_EID_LEN;
	CU_ASSERT_EQUAL(es5_notification_encode(out, 10, &n, ES5_NOTIF_AID_2F), -EMSGSIZE);
	CU_ASSERT_EQUAL(es5_notification_encode(out, sizeof(out), &n, ES5_NOTIF_AID_2F), 2 + 18 + 3 + 4);
}

static int decode_cb(const uint8_t *buf, size_t len, void *priv)
{
	struct es5_notification n;

	return es5_notification_decode(&n, buf, len);
}

void test_notification_truncations_and_mutations(void)
{
	size_t len;
	uint8_t *buf = test_unhex(whty_e1, &len);

	CU_ASSERT_EQUAL(TEST_TRUNCATIONS_REJECTED(buf, len, decode_cb, NULL), 0);
	CU_ASSERT_TRUE(test_mutations_run(buf, len, decode_cb, NULL) > 0);
	free(buf);
}
