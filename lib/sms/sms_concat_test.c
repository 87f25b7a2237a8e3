/* Tests of the concatenated-SMS split and reassembly of secured packets (TS 31.115, TS 23.040). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/sms/sms_concat.h"
#include "lib/test/runner.h"

static struct sms_concat c; /* large: keep it off the stack */
static struct sms_concat_seg segs[SMS_CONCAT_MAX_SEGS];

static void fill(uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(i * 7 + 3);
}

/* Builds one UD from a hex UDH and a slice of the packet. */
static size_t part(uint8_t *ud, const char *udh_hex, const uint8_t *data, size_t n)
{
	size_t hl;
	uint8_t *h = test_unhex(udh_hex, &hl);

	memcpy(ud, h, hl);
	memcpy(ud + hl, data, n);
	free(h);
	return hl + n;
}

/* pySim tests/unittests/test_sms.py Test_ConcatenatedSmsReassembler.test_ground_truth_udh: the first
 * segment's UDH "observed from sja5" is 07 00 03 01 02 01 71 00; 16-bit form 08 08 04 1234 02 01 71 00. */
void test_sms_concat_split_pysim_udh(void)
{
	uint8_t pkt[200];
	int n;

	fill(pkt, sizeof(pkt));
	n = sms_concat_split(pkt, sizeof(pkt), SMS_IEI_RPI, SMS_CONCAT_REF8, 1, segs, SMS_CONCAT_MAX_SEGS);
	CU_ASSERT_EQUAL(n, 2);
	TEST_ASSERT_HEX_EQ(segs[0].ud, 8, "0700030102017100");
	CU_ASSERT_EQUAL(segs[0].len, SMS_UD_MAX);
	TEST_ASSERT_MEM_EQ(segs[0].ud + 8, 132, pkt, 132);
	TEST_ASSERT_HEX_EQ(segs[1].ud, 6, "050003010202");
	TEST_ASSERT_MEM_EQ(segs[1].ud + 6, segs[1].len - 6, pkt + 132, 68);

	n = sms_concat_split(pkt, sizeof(pkt), SMS_IEI_RPI, SMS_CONCAT_REF16, 0x1234, segs, SMS_CONCAT_MAX_SEGS);
	CU_ASSERT_EQUAL(n, 2);
	TEST_ASSERT_HEX_EQ(segs[0].ud, 9, "080804123402017100");
	TEST_ASSERT_HEX_EQ(segs[1].ud, 7, "06080412340202");

	/* 137 octets still fit one SMS with 02 70 00; 138 do not */
	n = sms_concat_split(pkt, 137, SMS_IEI_CPI, SMS_CONCAT_REF8, 9, segs, 1);
	CU_ASSERT_EQUAL(n, 1);
	CU_ASSERT_EQUAL(segs[0].len, 140);
	TEST_ASSERT_HEX_EQ(segs[0].ud, 3, "027000");
	CU_ASSERT_EQUAL(sms_concat_split(pkt, 138, SMS_IEI_CPI, SMS_CONCAT_REF8, 9, segs, 1), -EMSGSIZE);
	CU_ASSERT_EQUAL(sms_concat_split(pkt, 138, SMS_IEI_CPI, SMS_CONCAT_REF8, 0x100, segs, 2), -EINVAL);
}

/* pySim test_two_part: segment 2 carries only the concatenation IE. */
void test_sms_concat_pysim_two_part(void)
{
	uint8_t pkt[60], ud[SMS_UD_MAX], out[200];
	size_t n;

	fill(pkt, sizeof(pkt));
	sms_concat_init(&c, SMS_IEI_RPI, SMS_CONCAT_ORDER_ANY, 0, 0);
	n = part(ud, "0700030102017100", pkt, 35);
	CU_ASSERT_EQUAL(sms_concat_add(&c, ud, n), 0);
	CU_ASSERT_EQUAL(sms_concat_missing(&c), 0x2);
	CU_ASSERT_EQUAL(sms_concat_assemble(&c, out, sizeof(out)), -ENODATA);
	CU_ASSERT_EQUAL(c.err, SMS_CONCAT_ERR_MISSING);
	n = part(ud, "050003010202", pkt + 35, 25);
	CU_ASSERT_EQUAL(sms_concat_add(&c, ud, n), 1);
	CU_ASSERT_EQUAL(sms_concat_assemble(&c, out, sizeof(out)), 60);
	TEST_ASSERT_MEM_EQ(out, 60, pkt, 60);
	CU_ASSERT_FALSE(c.late_packet_id);
	CU_ASSERT_EQUAL(sms_concat_assemble(&c, out, 59), -EMSGSIZE);
	{
		size_t hl;
		const uint8_t *h = sms_concat_first_udh(&c, &hl);

		CU_ASSERT_FATAL(h != NULL);
		TEST_ASSERT_HEX_EQ(h, hl, "0700030102017100");
	}
}

/* pySim test_out_of_order: seq 2 first (and it carries 71, which we accept and record as a finding). */
void test_sms_concat_order(void)
{
	uint8_t pkt[60], ud[SMS_UD_MAX], out[100];
	size_t n;

	fill(pkt, sizeof(pkt));
	sms_concat_init(&c, SMS_IEI_RPI, SMS_CONCAT_ORDER_ANY, 0, 0);
	n = part(ud, "0700030502027100", pkt + 35, 25);
	CU_ASSERT_EQUAL(sms_concat_add(&c, ud, n), 0);
	n = part(ud, "0700030502017100", pkt, 35);
	CU_ASSERT_EQUAL(sms_concat_add(&c, ud, n), 1);
	CU_ASSERT_TRUE(c.late_packet_id);
	CU_ASSERT_EQUAL(sms_concat_assemble(&c, out, sizeof(out)), 60);
	TEST_ASSERT_MEM_EQ(out, 60, pkt, 60);

	sms_concat_init(&c, SMS_IEI_RPI, SMS_CONCAT_ORDER_STRICT, 0, 0);
	n = part(ud, "050003050202", pkt + 35, 25);
	CU_ASSERT_EQUAL(sms_concat_add(&c, ud, n), -EILSEQ);
	CU_ASSERT_EQUAL(c.err, SMS_CONCAT_ERR_OUT_OF_ORDER);
	n = part(ud, "0700030502017100", pkt, 35);
	CU_ASSERT_EQUAL(sms_concat_add(&c, ud, n), 0);
	n = part(ud, "050003050202", pkt + 35, 25);
	CU_ASSERT_EQUAL(sms_concat_add(&c, ud, n), 1);
	CU_ASSERT_STRING_EQUAL(get_value_string(sms_concat_order_names, c.order), "strict");
}

void test_sms_concat_errors(void)
{
	uint8_t pkt[40], ud[SMS_UD_MAX];
	size_t n;

	fill(pkt, sizeof(pkt));
	sms_concat_init(&c, SMS_IEI_CPI, SMS_CONCAT_ORDER_ANY, 4, 0);
	n = part(ud, "0700030703017000", pkt, 10);
	CU_ASSERT_EQUAL(sms_concat_add(&c, ud, n), 0);

	/* duplicate */
	CU_ASSERT_EQUAL(sms_concat_add(&c, ud, n), -EEXIST);
	CU_ASSERT_EQUAL(c.err, SMS_CONCAT_ERR_DUPLICATE);
	/* reference mismatch: other 8-bit ref, the same ref in the 16-bit form, a single SMS */
	n = part(ud, "050003080302", pkt, 10);
	CU_ASSERT_EQUAL(sms_concat_add(&c, ud, n), -EXDEV);
	CU_ASSERT_EQUAL(c.err, SMS_CONCAT_ERR_REF_MISMATCH);
	n = part(ud, "06080400070302", pkt, 10);
	CU_ASSERT_EQUAL(sms_concat_add(&c, ud, n), -EXDEV);
	n = part(ud, "027000", pkt, 10);
	CU_ASSERT_EQUAL(sms_concat_add(&c, ud, n), -EXDEV);
	/* inconsistent total */
	n = part(ud, "050003070402", pkt, 10);
	CU_ASSERT_EQUAL(sms_concat_add(&c, ud, n), -EBADMSG);
	CU_ASSERT_EQUAL(c.err, SMS_CONCAT_ERR_INCONSISTENT_TOTAL);
	/* bad IEs: seq 0, seq > total, total 0, wrong IE length, both forms */
	static const char *bad[] = { "050003070300", "050003070304", "050003070000", "0400020703",
				     "0b0003070302 080400070302" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		n = part(ud, bad[i], pkt, 4);
		CU_ASSERT_EQUAL(sms_concat_add(&c, ud, n), -EBADMSG);
		CU_ASSERT_EQUAL(c.err, SMS_CONCAT_ERR_BAD_IE);
	}
	/* malformed UDH (UDHL beyond the UD; an IE past the UDH) */
	CU_ASSERT_EQUAL(sms_concat_add(&c, (const uint8_t *)"\x09\x00\x03", 3), -EBADMSG);
	CU_ASSERT_EQUAL(c.err, SMS_CONCAT_ERR_MALFORMED);
	CU_ASSERT_EQUAL(sms_concat_add(&c, (const uint8_t *)"\x02\x00\x03", 3), -EBADMSG);
	CU_ASSERT_EQUAL(sms_concat_add(&c, NULL, 0), -EBADMSG);
	/* the set in progress survived all of that */
	CU_ASSERT_EQUAL(c.count, 1);
	CU_ASSERT_EQUAL(sms_concat_missing(&c), 0x6);

	/* too many segments for the cap (4) */
	sms_concat_reset(&c);
	n = part(ud, "0700030705017000", pkt, 4);
	CU_ASSERT_EQUAL(sms_concat_add(&c, ud, n), -E2BIG);
	CU_ASSERT_EQUAL(c.err, SMS_CONCAT_ERR_TOO_MANY);
	/* first segment without the packet identifier, or the wrong one (71 where 70 is expected) */
	n = part(ud, "050003070201", pkt, 4);
	CU_ASSERT_EQUAL(sms_concat_add(&c, ud, n), -EBADMSG);
	CU_ASSERT_EQUAL(c.err, SMS_CONCAT_ERR_NO_PACKET_ID);
	n = part(ud, "027100", pkt, 4);
	CU_ASSERT_EQUAL(sms_concat_add(&c, ud, n), -EBADMSG);
	CU_ASSERT_EQUAL(c.err, SMS_CONCAT_ERR_NO_PACKET_ID);
	CU_ASSERT_FALSE(c.active);
	/* size cap */
	sms_concat_init(&c, SMS_IEI_CPI, SMS_CONCAT_ORDER_ANY, 4, 30);
	n = part(ud, "0700030702017000", pkt, 20);
	CU_ASSERT_EQUAL(sms_concat_add(&c, ud, n), 0);
	n = part(ud, "050003070202", pkt, 11);
	CU_ASSERT_EQUAL(sms_concat_add(&c, ud, n), -E2BIG);
	CU_ASSERT_EQUAL(c.err, SMS_CONCAT_ERR_TOO_BIG);
	n = part(ud, "050003070202", pkt, 10);
	CU_ASSERT_EQUAL(sms_concat_add(&c, ud, n), 1);
	CU_ASSERT_EQUAL(sms_concat_add(&c, ud, SMS_UD_MAX + 1), -EBADMSG);
	CU_ASSERT_STRING_EQUAL(get_value_string(sms_concat_err_names, SMS_CONCAT_ERR_TOO_BIG), "packet too big");
}

/* Split then reassemble every size from 0 to 4000 octets in both reference forms, in reverse order. */
void test_sms_concat_round_trip(void)
{
	static uint8_t pkt[4000], out[SMS_CONCAT_MAX_SEGS * SMS_UD_MAX];
	unsigned int checked = 0;

	fill(pkt, sizeof(pkt));
	for (size_t len = 0; len <= sizeof(pkt); len += (len < 300 ? 1 : 37)) {
		for (int k = 0; k < 2; k++) {
			enum sms_concat_ref kind = k ? SMS_CONCAT_REF16 : SMS_CONCAT_REF8;
			int n = sms_concat_split(pkt, len, SMS_IEI_CPI, kind, k ? 0xbeef : 0x42, segs,
						 SMS_CONCAT_MAX_SEGS);
			int rc = 0;

			if (n == -EMSGSIZE) {
				CU_ASSERT_TRUE(len > 4000 / 32 * 30);
				continue;
			}
			CU_ASSERT_FATAL(n > 0);
			sms_concat_init(&c, SMS_IEI_CPI, SMS_CONCAT_ORDER_ANY, 0, 0);
			for (int i = n - 1; i >= 0; i--) {
				CU_ASSERT_TRUE(segs[i].len <= SMS_UD_MAX);
				rc = sms_concat_add(&c, segs[i].ud, segs[i].len);
				CU_ASSERT_EQUAL(rc, i == 0 ? 1 : 0);
			}
			CU_ASSERT_EQUAL(sms_concat_assemble(&c, out, sizeof(out)), (int)len);
			TEST_ASSERT_MEM_EQ(out, len, pkt, len);
			CU_ASSERT_FALSE(c.late_packet_id);
			checked++;
		}
	}
	CU_ASSERT_TRUE(checked > 500);
}

static int add_cb(const uint8_t *buf, size_t len, void *priv)
{
	sms_concat_init(&c, SMS_IEI_CPI, SMS_CONCAT_ORDER_ANY, 0, 0);
	return sms_concat_add(&c, buf, len);
}

void test_sms_concat_truncations_and_mutations(void)
{
	size_t len;
	uint8_t *buf = test_unhex("0700030102017000 aabbcc", &len);

	/* prefixes shorter than the UDH are rejected; longer ones are valid shorter parts */
	CU_ASSERT_EQUAL(TEST_TRUNCATIONS_REJECTED(buf, 8, add_cb, NULL), 0);
	CU_ASSERT_EQUAL(test_truncations_run(buf, len, add_cb, NULL), 3);
	CU_ASSERT_TRUE(test_mutations_run(buf, len, add_cb, NULL) > 0);
	free(buf);
}
