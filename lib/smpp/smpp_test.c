/* Tests of the SMPP 3.4 submit_sm / deliver_sm data-download mapping over libsmpp34. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/smpp/smpp.h"
#include "lib/test/runner.h"

/* The submit_sm of network-lab §2.2 (verified against osmo-msc: "submit_sm 555->1001 esm=0x40 pid=0x7f
 * dcs=0xf6 sm=027000d0d1d2d3d4", stored with status_rep_req=1), written out byte by byte from the
 * SMPP 3.4 §4.4.1 layout, independently of libsmpp34. */
static const char *lab_submit = "00000030 00000004 00000000 00000001"
				"00 0101 35353500 0101 3130303100 40 7f 00 00 00 01 00 f6 00 08 027000d0d1d2d3d4";
/* The MO deliver_sm of network-lab §2.2 ("deliver_sm src=1001 dst=555 esm_class=0x41 pid=0x7f dcs=0x02
 * sm=027100aabbcc", TLV user_message_reference), laid out per SMPP 3.4 §4.6.1. */
static const char *lab_deliver = "00000034 00000005 00000000 00000007"
				 "00 0101 3130303100 0101 35353500 41 7f 00 00 00 00 00 02 00 06 027100aabbcc"
				 "0204 0002 0001";

static int sm_cb(const uint8_t *buf, size_t len, void *priv)
{
	struct smpp_sm m;

	return smpp_sm_decode(&m, buf, len);
}

void test_smpp_submit_lab_vector(void)
{
	size_t len;
	uint8_t *want = test_unhex(lab_submit, &len);
	uint8_t out[128];
	struct smpp_sm m, d;
	int n;

	smpp_sm_init_data_download(&m, SMPP_CMD_SUBMIT_SM, SMPP_DD_DCS_F6, true);
	m.src = (struct smpp_addr){ 1, 1, "555" };
	m.dst = (struct smpp_addr){ 1, 1, "1001" };
	m.sm = want + 40;
	m.sm_len = 8;
	n = smpp_sm_encode(&m, out, sizeof(out));
	CU_ASSERT_EQUAL(n, (int)len);
	TEST_ASSERT_MEM_EQ(out, (size_t)n, want, len);
	CU_ASSERT_EQUAL(smpp_sm_encode(&m, out, len - 1), -EMSGSIZE);

	CU_ASSERT_EQUAL(smpp_frame_len(want, 4), 0x30);
	CU_ASSERT_EQUAL(smpp_sm_decode(&d, want, len), (int)len);
	CU_ASSERT_EQUAL(d.cmd_id, SMPP_CMD_SUBMIT_SM);
	CU_ASSERT_EQUAL(d.seq, 1);
	CU_ASSERT_STRING_EQUAL(d.src.addr, "555");
	CU_ASSERT_STRING_EQUAL(d.dst.addr, "1001");
	CU_ASSERT_EQUAL(d.dst.ton, 1);
	CU_ASSERT_EQUAL(d.esm_class, SMPP_ESM_UDHI);
	CU_ASSERT_EQUAL(d.protocol_id, 0x7f);
	CU_ASSERT_EQUAL(d.data_coding, 0xf6);
	CU_ASSERT_EQUAL(d.registered_delivery, 1);
	CU_ASSERT_TRUE(d.sm == want + 40); /* points into the input */
	CU_ASSERT_EQUAL(d.udh.n_ies, 1);
	CU_ASSERT_EQUAL(d.udh.ies[0].iei, SMS_IEI_CPI);
	TEST_ASSERT_HEX_EQ(d.packet, d.packet_len, "d0d1d2d3d4");
	CU_ASSERT_FALSE(d.has_user_message_reference);

	CU_ASSERT_EQUAL(TEST_TRUNCATIONS_REJECTED(want, len, sm_cb, NULL), 0);
	CU_ASSERT_TRUE(test_mutations_run(want, len, sm_cb, NULL) > 0);
	free(want);
}

void test_smpp_deliver_lab_vector(void)
{
	size_t len;
	uint8_t *buf = test_unhex(lab_deliver, &len);
	uint8_t out[128];
	struct smpp_sm d, back;
	int n;

	CU_ASSERT_EQUAL(smpp_sm_decode(&d, buf, len), (int)len);
	CU_ASSERT_EQUAL(d.cmd_id, SMPP_CMD_DELIVER_SM);
	CU_ASSERT_EQUAL(d.seq, 7);
	CU_ASSERT_STRING_EQUAL(d.src.addr, "1001");
	CU_ASSERT_STRING_EQUAL(d.dst.addr, "555");
	CU_ASSERT_EQUAL(d.esm_class, 0x41);
	CU_ASSERT_TRUE(smpp_data_coding_is_8bit(d.data_coding));
	CU_ASSERT_TRUE(d.has_user_message_reference);
	CU_ASSERT_EQUAL(d.user_message_reference, 1);
	CU_ASSERT_EQUAL(d.udh.ies[0].iei, SMS_IEI_RPI);
	TEST_ASSERT_HEX_EQ(d.packet, d.packet_len, "aabbcc");
	CU_ASSERT_EQUAL(TEST_TRUNCATIONS_REJECTED(buf, len, sm_cb, NULL), 0);
	CU_ASSERT_TRUE(test_mutations_run(buf, len, sm_cb, NULL) > 0);

	/* re-encoded without the optional parameter (our encoder writes none): 6 octets shorter */
	d.seq = 7;
	n = smpp_sm_encode(&d, out, sizeof(out));
	CU_ASSERT_EQUAL(n, (int)len - 6);
	CU_ASSERT_EQUAL(smpp_sm_decode(&back, out, (size_t)n), n);
	TEST_ASSERT_MEM_EQ(out + 4, (size_t)n - 4, buf + 4, len - 10);
	free(buf);
}

/* A deliver_sm carrying the PoR in message_payload (SMPP 3.4 §5.3.2.32) with sm_length 0. */
void test_smpp_message_payload(void)
{
	size_t len;
	uint8_t *buf = test_unhex("0000002d 00000005 00000000 00000002"
				  "00 0000 3100 0000 3200 40 7f 00 00 00 00 00 f6 00 00"
				  "0424 0006 027100aabbcc",
				  &len);
	struct smpp_sm d;

	CU_ASSERT_EQUAL(smpp_sm_decode(&d, buf, len), (int)len);
	CU_ASSERT_TRUE(d.sm_in_payload);
	CU_ASSERT_EQUAL(d.sm_len, 6);
	TEST_ASSERT_HEX_EQ(d.packet, d.packet_len, "aabbcc");
	free(buf);
	/* both short_message and message_payload: refused (SMPP 3.4 §5.3.2.32) */
	buf = test_unhex("0000002e 00000005 00000000 00000002"
			 "00 0000 3100 0000 3200 40 7f 00 00 00 00 00 f6 00 01 02"
			 "0424 0006 027100aabbcc",
			 &len);
	CU_ASSERT_EQUAL(smpp_sm_decode(&d, buf, len), -EBADMSG);
	free(buf);
}

void test_smpp_decode_negative(void)
{
	static const struct {
		const char *hex;
		int rc;
	} v[] = {
		/* command_length below 16 / above 65536 */
		{ "0000000f 00000004 00000000 00000001", -EBADMSG },
		{ "00010001 00000004 00000000 00000001", -EBADMSG },
		/* not submit_sm / deliver_sm */
		{ "00000010 80000004 00000000 00000001", -ENOTSUP },
		/* source_addr without its NUL before the end of the PDU (libsmpp34 would strlen past it) */
		{ "00000017 00000004 00000000 00000001 00 0101 35353535", -EBADMSG },
		/* source_addr of 21 characters + NUL */
		{ "00000037 00000004 00000000 00000001 00 0101 313131313131313131313131313131313131313131 00"
		  "0101 3100 00 00 00 00 00 00 00 00 00 00",
		  -EBADMSG },
		/* sm_length beyond the PDU */
		{ "00000025 00000004 00000000 00000001 00 0101 3500 0101 3100 40 7f 00 00 00 00 00 f6 00 08 0270",
		  -EBADMSG },
		/* an optional parameter cut short (libsmpp34 would leak its TLV node) */
		{ "00000026 00000004 00000000 00000001 00 0101 3500 0101 3100 40 7f 00 00 00 00 00 f6 00 00 020400",
		  -EBADMSG },
		/* user_message_reference with length 3 (libsmpp34 reads 2 and loses sync) */
		{ "0000002a 00000004 00000000 00000001 00 0101 3500 0101 3100 40 7f 00 00 00 00 00 f6 00 00"
		  "0204 0003 000102",
		  -EBADMSG },
		/* sequence_number 0: refused by libsmpp34 */
		{ "00000023 00000004 00000000 00000000 00 0101 3500 0101 3100 40 7f 00 00 00 00 00 f6 00 00",
		  -EBADMSG },
		/* TON 7: refused by libsmpp34 */
		{ "00000023 00000004 00000000 00000001 00 0701 3500 0101 3100 40 7f 00 00 00 00 00 f6 00 00",
		  -EBADMSG },
		/* deliver_sm with a schedule_delivery_time (must be NULL, SMPP 3.4 §4.6.1) */
		{ "00000024 00000005 00000000 00000001 00 0101 3500 0101 3100 40 7f 00 3100 00 00 00 f6 00 00",
		  -EBADMSG },
		/* UDHI set, UDH length beyond short_message */
		{ "00000026 00000004 00000000 00000001 00 0101 3500 0101 3100 40 7f 00 00 00 00 00 f6 00 03 057000",
		  -EBADMSG },
		/* UDHI with an empty short_message */
		{ "00000023 00000004 00000000 00000001 00 0101 3500 0101 3100 40 7f 00 00 00 00 00 f6 00 00",
		  -EBADMSG },
		/* the minimal valid one, with trailing octets of the next PDU */
		{ "00000023 00000004 00000000 00000001 00 0101 3500 0101 3100 00 7f 00 00 00 00 00 f6 00 00 ffff",
		  0x23 },
	};
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		size_t len;
		uint8_t *buf = test_unhex(v[i].hex, &len);
		struct smpp_sm m;
		int rc = smpp_sm_decode(&m, buf, len);

		if (rc != v[i].rc)
			fprintf(stderr, "vector %zu: got %d want %d\n", i, rc, v[i].rc);
		CU_ASSERT_EQUAL(rc, v[i].rc);
		free(buf);
	}
}

void test_smpp_frame_len(void)
{
	CU_ASSERT_EQUAL(smpp_frame_len((const uint8_t *)"\x00\x00\x00", 3), -EAGAIN);
	CU_ASSERT_EQUAL(smpp_frame_len((const uint8_t *)"\x00\x00\x00\x10", 4), 16);
	CU_ASSERT_EQUAL(smpp_frame_len((const uint8_t *)"\x00\x00\x00\x0f", 4), -EBADMSG);
	CU_ASSERT_EQUAL(smpp_frame_len((const uint8_t *)"\x00\x01\x00\x00", 4), 65536);
	CU_ASSERT_EQUAL(smpp_frame_len((const uint8_t *)"\x00\x01\x00\x01", 4), -EBADMSG);
	CU_ASSERT_EQUAL(smpp_frame_len((const uint8_t *)"\xff\xff\xff\xff", 4), -EBADMSG);
	{
		struct smpp_hdr h;

		CU_ASSERT_EQUAL(smpp_hdr_decode(&h, (const uint8_t *)"\x00\x00\x00\x10\x80\x00\x00\x04", 8), -EAGAIN);
		CU_ASSERT_EQUAL(smpp_hdr_decode(&h,
						(const uint8_t *)"\x00\x00\x00\x10\x80\x00\x00\x04"
								 "\x00\x00\x00\x0b\x00\x00\x00\x09",
						16),
				16);
		CU_ASSERT_EQUAL(h.cmd_id, SMPP_CMD_SUBMIT_SM_RESP);
		CU_ASSERT_EQUAL(h.status, 0x0b); /* protocol status is data: ESME_RINVDSTADR */
		CU_ASSERT_EQUAL(h.seq, 9);
	}
}

void test_smpp_encode_variants_and_errors(void)
{
	static const uint8_t sm[254] = { 0x02, 0x70, 0x00 };
	uint8_t out[400];
	struct smpp_sm m, d;
	static const struct {
		enum smpp_dd_dcs v;
		uint8_t dc;
		const char *name;
	} dcs[] = { { SMPP_DD_DCS_F6, 0xf6, "f6" }, { SMPP_DD_DCS_02, 0x02, "02" }, { SMPP_DD_DCS_04, 0x04, "04" } };

	for (size_t i = 0; i < sizeof(dcs) / sizeof(dcs[0]); i++) {
		int n;

		smpp_sm_init_data_download(&m, SMPP_CMD_SUBMIT_SM, dcs[i].v, false);
		m.sm = sm;
		m.sm_len = 253;
		strcpy(m.dst.addr, "12345678901234567890");
		n = smpp_sm_encode(&m, out, sizeof(out));
		CU_ASSERT_EQUAL(n, 16 + 1 + 2 + 1 + 2 + 21 + 3 + 1 + 1 + 4 + 1 + 253);
		CU_ASSERT_EQUAL(smpp_sm_decode(&d, out, (size_t)n), n);
		CU_ASSERT_EQUAL(d.data_coding, dcs[i].dc);
		CU_ASSERT_TRUE(smpp_data_coding_is_8bit(d.data_coding));
		CU_ASSERT_EQUAL(d.registered_delivery, 0);
		CU_ASSERT_STRING_EQUAL(get_value_string(smpp_dd_dcs_names, dcs[i].v), dcs[i].name);
	}
	CU_ASSERT_FALSE(smpp_data_coding_is_8bit(0x00));
	CU_ASSERT_FALSE(smpp_data_coding_is_8bit(0xf2));

	m.sm_len = 254; /* libsmpp34 packs at most 253 */
	CU_ASSERT_EQUAL(smpp_sm_encode(&m, out, sizeof(out)), -EINVAL);
	m.sm_len = 3;
	strcpy(m.dst.addr, "123456789012345678901");
	CU_ASSERT_EQUAL(smpp_sm_encode(&m, out, sizeof(out)), -EINVAL);
	strcpy(m.dst.addr, "1");
	m.dst.ton = 7; /* unknown to libsmpp34 */
	CU_ASSERT_EQUAL(smpp_sm_encode(&m, out, sizeof(out)), -EINVAL);
	m.dst.ton = 1;
	m.seq = 0;
	CU_ASSERT_EQUAL(smpp_sm_encode(&m, out, sizeof(out)), -EINVAL);
	m.seq = 2;
	m.cmd_id = SMPP_CMD_DELIVER_SM;
	strcpy(m.validity_period, "000001000000000R"); /* not allowed in deliver_sm */
	CU_ASSERT_EQUAL(smpp_sm_encode(&m, out, sizeof(out)), -EINVAL);
	m.cmd_id = SMPP_CMD_SUBMIT_SM;
	CU_ASSERT_TRUE(smpp_sm_encode(&m, out, sizeof(out)) > 0);
	CU_ASSERT_EQUAL(smpp_sm_decode(&d, out, sizeof(out)), 16 + 1 + 2 + 1 + 2 + 2 + 3 + 1 + 17 + 4 + 1 + 3);
	CU_ASSERT_STRING_EQUAL(d.validity_period, "000001000000000R");
	m.cmd_id = 0x21;
	CU_ASSERT_EQUAL(smpp_sm_encode(&m, out, sizeof(out)), -EINVAL);
}
