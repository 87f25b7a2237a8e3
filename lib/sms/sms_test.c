/* Tests of the SMS TPDU codec (TS 23.040). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/sms/sms.h"
#include "lib/test/runner.h"

/* pySim tests/unittests/test_sms.py Test_SUBMIT: an SMS-SUBMIT with RD, relative VP, UDHI, DCS F5,
 * UDL 140, UDH = 16-bit application port IE (05) + 8-bit concatenation IE (00 03 01 02 01). */
static const char *pysim_submit = "550d0b911614261771f000f5a78c0b050423f423f40003010201424547494e3a56434152440d0a564552"
				  "53494f4e3a322e310d0a"
				  "4e3a4d650d0a54454c3b505245463b43454c4c3b564f4943453a2b36313431363237313137300d0a5445"
				  "4c3b484f4d453b564f49"
				  "43453a2b36313339353337303437310d0a54454c3b574f524b3b564f4943453a2b363133393637343730"
				  "31350d0a454e443a";
/* pySim tests/unittests/test_sms.py Test_DELIVER: SMS-DELIVER with MMS, an alphanumeric TP-OA, PID 7F
 * (data download), DCS F6, UDL 8. */
static const char *pysim_deliver = "0408D0E5759A0E7FF6907090307513000824010101BB400101";
/* pySim tests/unittests/test_ota.py (digest §5.1): AES-128 command packet (CPL .. end, no UDH). */
static const char *pysim_aes_cmd = "00281506192222b00011e87cceebb2d93083011ce294f93fc4d8de80da1abae8c37ca3e72ec4432e505"
				   "8";
/* pySim tests/unittests/test_ota.py (digest §5.1): the PoR of that command, with its UDH 027100. */
static const char *pysim_aes_por = "027100002412b00011ebc6b497e2cad7aedf36ace0e3a29b38853f0fe9ccde81913be5702b73abce1f";

struct dec_priv {
	enum sms_tpdu_type type;
};

static int tpdu_cb(const uint8_t *buf, size_t len, void *priv)
{
	struct dec_priv *p = priv;
	struct sms_tpdu t;

	return sms_tpdu_decode(&t, p->type, buf, len);
}

void test_sms_address_pysim_vectors(void)
{
	size_t len;
	uint8_t *buf, out[12];
	struct sms_addr a;

	/* pySim Test_AddressField.test_from_bytes: 04 80 2143 + trailing 99 */
	buf = test_unhex("0480214399", &len);
	CU_ASSERT_EQUAL(sms_addr_decode(&a, buf, len), 4);
	CU_ASSERT_EQUAL(a.ton, SMS_TON_UNKNOWN);
	CU_ASSERT_EQUAL(a.npi, 0);
	CU_ASSERT_STRING_EQUAL(a.digits, "1234");
	CU_ASSERT_EQUAL(sms_addr_encode(&a, out, sizeof(out)), 4);
	TEST_ASSERT_HEX_EQ(out, 4, "04802143");
	free(buf);

	/* test_from_bytes_odd: 03 80 21f3 */
	buf = test_unhex("038021f399", &len);
	CU_ASSERT_EQUAL(sms_addr_decode(&a, buf, len), 4);
	CU_ASSERT_STRING_EQUAL(a.digits, "123");
	free(buf);

	/* test_to_bytes_odd: '12345' international / ISDN -> 05 91 2143f5 */
	memset(&a, 0, sizeof(a));
	a.ton = SMS_TON_INTERNATIONAL;
	a.npi = 1;
	strcpy(a.digits, "12345");
	CU_ASSERT_EQUAL(sms_addr_encode(&a, out, sizeof(out)), 5);
	TEST_ASSERT_HEX_EQ(out, 5, "05912143f5");
}

void test_sms_address_special_digits_and_alpha(void)
{
	uint8_t out[12];
	struct sms_addr a, b;
	int n;

	memset(&a, 0, sizeof(a));
	a.ton = SMS_TON_NATIONAL;
	a.npi = 1;
	strcpy(a.digits, "*#abc0123456789*#abc"); /* 20 digits, TS 23.040 §9.1.2.3 */
	n = sms_addr_encode(&a, out, sizeof(out));
	CU_ASSERT_EQUAL(n, 12);
	TEST_ASSERT_HEX_EQ(out, 3, "14a1ba");
	CU_ASSERT_EQUAL(sms_addr_decode(&b, out, (size_t)n), n);
	CU_ASSERT_STRING_EQUAL(b.digits, a.digits);
	CU_ASSERT_EQUAL(b.ton, SMS_TON_NATIONAL);

	strcpy(a.digits, "123456789012345678901"); /* 21 digits */
	CU_ASSERT_EQUAL(sms_addr_encode(&a, out, sizeof(out)), -EINVAL);
	strcpy(a.digits, "12d");
	CU_ASSERT_EQUAL(sms_addr_encode(&a, out, sizeof(out)), -EINVAL);
	strcpy(a.digits, "1234");
	CU_ASSERT_EQUAL(sms_addr_encode(&a, out, 3), -EMSGSIZE);

	/* alphanumeric: the pySim DELIVER vector's "ekit"; we write the useful semi-octets (7), not 8 */
	memset(&a, 0, sizeof(a));
	a.ton = SMS_TON_ALPHANUMERIC;
	strcpy(a.digits, "ekit");
	n = sms_addr_encode(&a, out, sizeof(out));
	CU_ASSERT_EQUAL(n, 6);
	TEST_ASSERT_HEX_EQ(out, (size_t)n, "07d0e5759a0e");
	CU_ASSERT_EQUAL(sms_addr_decode(&b, out, (size_t)n), n);
	CU_ASSERT_STRING_EQUAL(b.digits, "ekit");
	strcpy(a.digits, "ABCDEFGHIJKL"); /* 12 septets do not fit in 20 semi-octets */
	CU_ASSERT_EQUAL(sms_addr_encode(&a, out, sizeof(out)), -EINVAL);
	strcpy(a.digits, "ABCDEFGHIJK");
	n = sms_addr_encode(&a, out, sizeof(out));
	CU_ASSERT_EQUAL(n, 12);
	CU_ASSERT_EQUAL(out[0], 20);
	CU_ASSERT_EQUAL(sms_addr_decode(&b, out, (size_t)n), n);
	CU_ASSERT_STRING_EQUAL(b.digits, "ABCDEFGHIJK");
}

void test_sms_address_errors(void)
{
	static const struct {
		const char *hex;
		int rc;
	} v[] = {
		{ "04", -EAGAIN },	  { "0491", -EAGAIN },
		{ "049121", -EAGAIN },	  { "159100000000000000000000", -EBADMSG }, /* 21 semi-octets */
		{ "0491f121", -EBADMSG },					    /* filler inside the digits */
		{ "03912143", 4 }, /* odd count: the high nibble of the last octet is not read */
	};
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		size_t len;
		uint8_t *buf = test_unhex(v[i].hex, &len);
		struct sms_addr a;

		CU_ASSERT_EQUAL(sms_addr_decode(&a, buf, len), v[i].rc);
		free(buf);
	}
}

void test_sms_submit_pysim_vector(void)
{
	size_t len;
	uint8_t *buf = test_unhex(pysim_submit, &len);
	uint8_t out[200];
	struct sms_tpdu t;
	struct dec_priv p = { SMS_TPDU_SUBMIT };
	const struct sms_ie *ie;

	CU_ASSERT_EQUAL(sms_tpdu_decode(&t, SMS_TPDU_SUBMIT, buf, len), (int)len);
	CU_ASSERT_TRUE(t.rd);
	CU_ASSERT_EQUAL(t.vpf, SMS_VPF_RELATIVE);
	CU_ASSERT_FALSE(t.rp);
	CU_ASSERT_TRUE(t.udhi);
	CU_ASSERT_FALSE(t.srr);
	CU_ASSERT_EQUAL(t.mr, 0x0d);
	CU_ASSERT_EQUAL(t.addr.ton, SMS_TON_INTERNATIONAL);
	CU_ASSERT_STRING_EQUAL(t.addr.digits, "61416271170");
	CU_ASSERT_EQUAL(t.pid, 0);
	CU_ASSERT_EQUAL(t.dcs, 0xf5);
	CU_ASSERT_EQUAL(t.vp_len, 1);
	CU_ASSERT_EQUAL(t.vp[0], 0xa7);
	CU_ASSERT_EQUAL(sms_vp_relative_minutes(t.vp[0]), 24 * 60);
	CU_ASSERT_EQUAL(t.udl, 140);
	CU_ASSERT_EQUAL(t.udh.len, 12);
	CU_ASSERT_EQUAL(t.udh.n_ies, 2);
	ie = sms_udh_find(&t.udh, 0x05);
	CU_ASSERT_FATAL(ie != NULL);
	TEST_ASSERT_HEX_EQ(ie->value, ie->len, "23f423f4");
	ie = sms_udh_find(&t.udh, SMS_IEI_CONCAT_8);
	CU_ASSERT_FATAL(ie != NULL);
	TEST_ASSERT_HEX_EQ(ie->value, ie->len, "010201");
	CU_ASSERT_EQUAL(t.data_len, 128);
	CU_ASSERT_EQUAL(memcmp(t.data, "BEGIN:VCARD", 11), 0);

	/* round trip */
	CU_ASSERT_EQUAL(sms_tpdu_encode(&t, out, sizeof(out)), (int)len);
	TEST_ASSERT_MEM_EQ(out, len, buf, len);
	CU_ASSERT_EQUAL(sms_tpdu_encode(&t, out, len - 1), -EMSGSIZE);

	CU_ASSERT_EQUAL(TEST_TRUNCATIONS_REJECTED(buf, len, tpdu_cb, &p), 0);
	CU_ASSERT_TRUE(test_mutations_run(buf, len, tpdu_cb, &p) > 0);
	/* the same bytes are no SMS-DELIVER (MTI 01) */
	CU_ASSERT_EQUAL(sms_tpdu_decode(&t, SMS_TPDU_DELIVER, buf, len), -EBADMSG);
	free(buf);
}

void test_sms_deliver_pysim_vector(void)
{
	size_t len;
	uint8_t *buf = test_unhex(pysim_deliver, &len);
	uint8_t out[64];
	struct sms_tpdu t, back;
	struct sms_scts s;
	struct sms_dcs d;
	struct dec_priv p = { SMS_TPDU_DELIVER };
	int n;

	CU_ASSERT_EQUAL(sms_tpdu_decode(&t, SMS_TPDU_DELIVER, buf, len), (int)len);
	CU_ASSERT_TRUE(t.mms);
	CU_ASSERT_FALSE(t.lp);
	CU_ASSERT_FALSE(t.rp);
	CU_ASSERT_FALSE(t.udhi);
	CU_ASSERT_FALSE(t.sri);
	CU_ASSERT_EQUAL(t.addr.ton, SMS_TON_ALPHANUMERIC);
	CU_ASSERT_EQUAL(t.addr.len_semi, 8);
	CU_ASSERT_STRING_EQUAL(t.addr.digits, "ekit");
	CU_ASSERT_EQUAL(t.pid, SMS_PID_SIM_DATA_DOWNLOAD);
	CU_ASSERT_EQUAL(t.dcs, SMS_DCS_CLASS2_8BIT);
	sms_dcs_decode(&d, t.dcs);
	CU_ASSERT_EQUAL(d.alphabet, SMS_ALPHABET_8BIT);
	CU_ASSERT_EQUAL(d.msg_class, 2);
	CU_ASSERT_EQUAL(t.udl, 8);
	TEST_ASSERT_HEX_EQ(t.ud, t.ud_len, "24010101bb400101");
	CU_ASSERT_EQUAL(sms_scts_decode(&s, t.scts), 0);
	CU_ASSERT_EQUAL(s.year, 9);
	CU_ASSERT_EQUAL(s.month, 7);
	CU_ASSERT_EQUAL(s.day, 9);
	CU_ASSERT_EQUAL(s.hour, 3);
	CU_ASSERT_EQUAL(s.minute, 57);
	CU_ASSERT_EQUAL(s.second, 31);
	CU_ASSERT_EQUAL(s.tz_quarters, 0);

	/* round trip: identical except the address length (07 useful semi-octets instead of 08) */
	n = sms_tpdu_encode(&t, out, sizeof(out));
	CU_ASSERT_EQUAL(n, (int)len);
	CU_ASSERT_EQUAL(out[1], 0x07);
	out[1] = 0x08;
	TEST_ASSERT_MEM_EQ(out, (size_t)n, buf, len);
	out[1] = 0x07;
	CU_ASSERT_EQUAL(sms_tpdu_decode(&back, SMS_TPDU_DELIVER, out, (size_t)n), n);
	CU_ASSERT_STRING_EQUAL(back.addr.digits, "ekit");

	CU_ASSERT_EQUAL(TEST_TRUNCATIONS_REJECTED(buf, len, tpdu_cb, &p), 0);
	CU_ASSERT_TRUE(test_mutations_run(buf, len, tpdu_cb, &p) > 0);
	free(buf);
}

/* The MT data download SMS of the lab (network-lab §2.4: fo=0x60 OA=555 PID=7F DCS=F6 UD=027000...),
 * here carrying pySim's AES command packet. */
void test_sms_deliver_data_download_round_trip(void)
{
	size_t plen;
	uint8_t *pkt = test_unhex(pysim_aes_cmd, &plen);
	uint8_t ud[SMS_UD_MAX], out[200], scts[7];
	struct sms_ie cpi = { SMS_IEI_CPI, 0, NULL };
	struct sms_tpdu t, d;
	struct dec_priv p = { SMS_TPDU_DELIVER };
	int udl, n;

	udl = sms_udh_encode(&cpi, 1, pkt, plen, ud, sizeof(ud));
	CU_ASSERT_EQUAL(udl, (int)plen + 3);
	TEST_ASSERT_HEX_EQ(ud, 3, "027000");
	sms_scts_from_time(scts, 1700000000); /* 2023-11-14 22:13:20 UTC */
	TEST_ASSERT_HEX_EQ(scts, 7, "32114122310200");

	sms_tpdu_init_data_download(&t, SMS_TPDU_DELIVER);
	t.sri = true;
	t.mms = false;
	t.addr.ton = SMS_TON_UNKNOWN;
	t.addr.npi = 1;
	strcpy(t.addr.digits, "555");
	t.scts = scts;
	t.ud = ud;
	t.ud_len = (size_t)udl;
	n = sms_tpdu_encode(&t, out, sizeof(out));
	CU_ASSERT_EQUAL(n, 1 + 4 + 2 + 7 + 1 + udl);
	TEST_ASSERT_HEX_EQ(out, 15, "60 03 81 55f5 7ff6 32114122310200 2d");
	CU_ASSERT_EQUAL(sms_tpdu_decode(&d, SMS_TPDU_DELIVER, out, (size_t)n), n);
	CU_ASSERT_TRUE(d.udhi);
	CU_ASSERT_TRUE(d.sri);
	CU_ASSERT_EQUAL(d.udh.n_ies, 1);
	CU_ASSERT_EQUAL(d.udh.ies[0].iei, SMS_IEI_CPI);
	TEST_ASSERT_MEM_EQ(d.data, d.data_len, pkt, plen);
	CU_ASSERT_EQUAL(TEST_TRUNCATIONS_REJECTED(out, (size_t)n, tpdu_cb, &p), 0);
	free(pkt);
}

/* TS 31.115: with SPI2 b6 = 0 the PoR travels in the user data of the SMS-DELIVER-REPORT (RP-ACK);
 * with b6 = 1 in an SMS-SUBMIT. */
void test_sms_reports_carry_por(void)
{
	size_t plen;
	uint8_t *por = test_unhex(pysim_aes_por, &plen);
	uint8_t out[200], scts[7] = { 0x32, 0x11, 0x41, 0x22, 0x31, 0x02, 0x00 };
	struct sms_tpdu t, d;
	struct dec_priv p = { SMS_TPDU_DELIVER_REPORT_ACK };
	int n;

	sms_tpdu_init_data_download(&t, SMS_TPDU_DELIVER_REPORT_ACK);
	t.ud = por;
	t.ud_len = plen;
	n = sms_tpdu_encode(&t, out, sizeof(out));
	CU_ASSERT_EQUAL(n, 5 + (int)plen);
	TEST_ASSERT_HEX_EQ(out, 8, "4007 7ff6 29 027100");
	CU_ASSERT_EQUAL(sms_tpdu_decode(&d, SMS_TPDU_DELIVER_REPORT_ACK, out, (size_t)n), n);
	CU_ASSERT_TRUE(d.has_pid && d.has_dcs && d.has_udl);
	CU_ASSERT_EQUAL(d.udh.ies[0].iei, SMS_IEI_RPI);
	TEST_ASSERT_MEM_EQ(d.data, d.data_len, por + 3, plen - 3);
	CU_ASSERT_EQUAL(TEST_TRUNCATIONS_REJECTED(out, (size_t)n, tpdu_cb, &p), 0);
	CU_ASSERT_TRUE(test_mutations_run(out, (size_t)n, tpdu_cb, &p) > 0);

	/* RP-ERROR form: TP-FCS D4 ((U)SIM data download error, TS 23.040 §9.2.3.22) before TP-PI */
	t.type = SMS_TPDU_DELIVER_REPORT_ERROR;
	t.fcs = 0xd4;
	n = sms_tpdu_encode(&t, out, sizeof(out));
	TEST_ASSERT_HEX_EQ(out, 3, "40d407");
	CU_ASSERT_EQUAL(sms_tpdu_decode(&d, SMS_TPDU_DELIVER_REPORT_ERROR, out, (size_t)n), n);
	CU_ASSERT_EQUAL(d.fcs, 0xd4);
	CU_ASSERT_EQUAL(d.data_len, plen - 3);

	/* a bare RP-ACK report: TP-PI 00, nothing else */
	memset(&t, 0, sizeof(t));
	t.type = SMS_TPDU_DELIVER_REPORT_ACK;
	n = sms_tpdu_encode(&t, out, sizeof(out));
	TEST_ASSERT_HEX_EQ(out, (size_t)n, "0000");
	CU_ASSERT_EQUAL(sms_tpdu_decode(&d, SMS_TPDU_DELIVER_REPORT_ACK, out, (size_t)n), 2);
	/* a TP-PI extension octet is skipped */
	memcpy(out, "\x00\x80\x00", 3);
	CU_ASSERT_EQUAL(sms_tpdu_decode(&d, SMS_TPDU_DELIVER_REPORT_ACK, out, 3), 3);
	CU_ASSERT_EQUAL(sms_tpdu_decode(&d, SMS_TPDU_DELIVER_REPORT_ACK, out, 2), -EAGAIN);

	/* SMS-SUBMIT-REPORT: SCTS after TP-PI */
	sms_tpdu_init_data_download(&t, SMS_TPDU_SUBMIT_REPORT_ACK);
	t.scts = scts;
	t.ud = por;
	t.ud_len = plen;
	n = sms_tpdu_encode(&t, out, sizeof(out));
	TEST_ASSERT_HEX_EQ(out, 9, "4107 32114122310200");
	CU_ASSERT_EQUAL(sms_tpdu_decode(&d, SMS_TPDU_SUBMIT_REPORT_ACK, out, (size_t)n), n);
	TEST_ASSERT_MEM_EQ(d.scts, 7, scts, 7);
	p.type = SMS_TPDU_SUBMIT_REPORT_ACK;
	CU_ASSERT_EQUAL(TEST_TRUNCATIONS_REJECTED(out, (size_t)n, tpdu_cb, &p), 0);

	/* the MO PoR by SMS-SUBMIT (SPI2 b6 = 1) */
	sms_tpdu_init_data_download(&t, SMS_TPDU_SUBMIT);
	t.mr = 0x01;
	t.addr.ton = SMS_TON_UNKNOWN;
	t.addr.npi = 1;
	strcpy(t.addr.digits, "555");
	t.ud = por;
	t.ud_len = plen;
	n = sms_tpdu_encode(&t, out, sizeof(out));
	TEST_ASSERT_HEX_EQ(out, 10, "41 01 038155f5 7ff6 29 02");
	CU_ASSERT_EQUAL(sms_tpdu_decode(&d, SMS_TPDU_SUBMIT, out, (size_t)n), n);
	CU_ASSERT_EQUAL(d.vpf, SMS_VPF_NONE);
	p.type = SMS_TPDU_SUBMIT;
	CU_ASSERT_EQUAL(TEST_TRUNCATIONS_REJECTED(out, (size_t)n, tpdu_cb, &p), 0);
	free(por);
}

void test_sms_submit_vp_forms(void)
{
	static const uint8_t vp_abs[7] = { 0x32, 0x11, 0x41, 0x22, 0x31, 0x02, 0x0a }; /* +02:30 */
	static const uint8_t vp_enh[7] = { 0x01, 0xa7, 0, 0, 0, 0, 0 };
	static const uint8_t vp_rel[1] = { 0xff };
	uint8_t out[64];
	struct sms_tpdu t, d;
	int n;

	sms_tpdu_init_data_download(&t, SMS_TPDU_SUBMIT);
	strcpy(t.addr.digits, "1");
	t.ud = (const uint8_t *)"\x02\x71\x00";
	t.ud_len = 3;
	for (int f = 0; f < 4; f++) {
		t.vpf = (enum sms_vpf)f;
		t.vp = f == SMS_VPF_RELATIVE   ? vp_rel
		       : f == SMS_VPF_ABSOLUTE ? vp_abs
		       : f == SMS_VPF_ENHANCED ? vp_enh
					       : NULL;
		t.vp_len = f == SMS_VPF_NONE ? 0 : f == SMS_VPF_RELATIVE ? 1 : 7;
		n = sms_tpdu_encode(&t, out, sizeof(out));
		CU_ASSERT_EQUAL(n, 2 + 3 + 2 + (int)t.vp_len + 1 + 3);
		CU_ASSERT_EQUAL(sms_tpdu_decode(&d, SMS_TPDU_SUBMIT, out, (size_t)n), n);
		CU_ASSERT_EQUAL(d.vpf, t.vpf);
		CU_ASSERT_EQUAL(d.vp_len, t.vp_len);
		if (t.vp_len)
			TEST_ASSERT_MEM_EQ(d.vp, d.vp_len, t.vp, t.vp_len);
	}
	t.vp_len = 1; /* absolute needs 7 */
	CU_ASSERT_EQUAL(sms_tpdu_encode(&t, out, sizeof(out)), -EINVAL);
	CU_ASSERT_EQUAL(sms_vp_relative_minutes(0), 5);
	CU_ASSERT_EQUAL(sms_vp_relative_minutes(143), 12 * 60);
	CU_ASSERT_EQUAL(sms_vp_relative_minutes(168), 2 * 24 * 60);
	CU_ASSERT_EQUAL(sms_vp_relative_minutes(197), 5 * 7 * 24 * 60);
}

void test_sms_tpdu_negative(void)
{
	static const struct {
		enum sms_tpdu_type type;
		const char *hex;
		int rc;
	} v[] = {
		/* UDL beyond the data */
		{ SMS_TPDU_DELIVER, "00 0391 21f3 7ff6 32114122310200 05 0270 00aa", -EAGAIN },
		/* UDL above 140 octets for 8-bit data */
		{ SMS_TPDU_DELIVER, "00 0391 21f3 7ff6 32114122310200 8d 00", -EBADMSG },
		/* 7-bit: UDL above 160 septets */
		{ SMS_TPDU_DELIVER, "00 0391 21f3 0000 32114122310200 a1 00", -EBADMSG },
		/* 7-bit: 8 septets = 7 octets */
		{ SMS_TPDU_DELIVER, "00 0391 21f3 0000 32114122310200 08 c8329bfd0e0100", 22 },
		/* UDH length beyond UDL */
		{ SMS_TPDU_DELIVER, "40 0391 21f3 7ff6 32114122310200 03 037000", -EBADMSG },
		/* IE running past the UDH */
		{ SMS_TPDU_DELIVER, "40 0391 21f3 7ff6 32114122310200 04 027001 aa", -EBADMSG },
		/* UDHI with UDL 0 */
		{ SMS_TPDU_DELIVER, "40 0391 21f3 7ff6 32114122310200 00", -EBADMSG },
		/* bad address length (21 semi-octets) */
		{ SMS_TPDU_DELIVER, "00 1591 0000000000000000000000 7ff6 32114122310200 00", -EBADMSG },
		/* MTI 11 (reserved) is neither */
		{ SMS_TPDU_DELIVER, "03", -EBADMSG },
		{ SMS_TPDU_SUBMIT, "03", -EBADMSG },
		/* report with UDHI but no TP-UDL */
		{ SMS_TPDU_DELIVER_REPORT_ACK, "40 03 7ff6", -EBADMSG },
		/* SUBMIT with absolute VP cut short */
		{ SMS_TPDU_SUBMIT, "19 00 0391 21f3 7ff6 321141", -EAGAIN },
		{ SMS_TPDU_SUBMIT, "01", -EAGAIN },
	};
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		size_t len;
		uint8_t *buf = test_unhex(v[i].hex, &len);
		struct sms_tpdu t;
		int rc = sms_tpdu_decode(&t, v[i].type, buf, len);

		if (rc != v[i].rc)
			fprintf(stderr, "vector %zu: got %d want %d\n", i, rc, v[i].rc);
		CU_ASSERT_EQUAL(rc, v[i].rc);
		free(buf);
	}
	{
		struct sms_tpdu t;
		uint8_t out[200];

		CU_ASSERT_EQUAL(sms_tpdu_decode(&t, (enum sms_tpdu_type)99, out, 1), -EINVAL);
		sms_tpdu_init_data_download(&t, SMS_TPDU_DELIVER);
		t.ud = out;
		t.ud_len = 141;
		CU_ASSERT_EQUAL(sms_tpdu_encode(&t, out, sizeof(out)), -EINVAL);
		t.ud_len = 0; /* UDHI without UDH */
		CU_ASSERT_EQUAL(sms_tpdu_encode(&t, out, sizeof(out)), -EINVAL);
		t.udhi = false;
		CU_ASSERT_EQUAL(sms_tpdu_encode(&t, out, sizeof(out)), -EINVAL); /* no SCTS */
	}
}

void test_sms_scts(void)
{
	static const uint8_t neg[7] = {
		0x32, 0x11, 0x41, 0x22, 0x31, 0x02, 0x2b
	}; /* -08:00 = -32 quarters: 3 (bits 2-0), sign (bit 3), 2 (high) */
	static const uint8_t bad[7] = { 0x32, 0x1a, 0x41, 0x22, 0x31, 0x02, 0x00 };
	static const uint8_t bad_month[7] = { 0x32, 0x31, 0x41, 0x22, 0x31, 0x02, 0x00 };
	uint8_t raw[7];
	struct sms_scts s;
	time_t t;

	CU_ASSERT_EQUAL(sms_scts_decode(&s, neg), 0);
	CU_ASSERT_EQUAL(s.tz_quarters, -32);
	CU_ASSERT_EQUAL(sms_scts_encode(&s, raw), 0);
	TEST_ASSERT_MEM_EQ(raw, 7, neg, 7);
	/* local 2023-11-14 22:13:20 at UTC-8 = 2023-11-15 06:13:20 UTC */
	CU_ASSERT_EQUAL(sms_scts_to_time(neg, &t), 0);
	CU_ASSERT_EQUAL((long long)t, 1700000000LL + 8 * 3600);
	sms_scts_from_time(raw, 1700000000);
	CU_ASSERT_EQUAL(sms_scts_to_time(raw, &t), 0);
	CU_ASSERT_EQUAL((long long)t, 1700000000LL);
	CU_ASSERT_EQUAL(sms_scts_decode(&s, bad), -EBADMSG);
	CU_ASSERT_EQUAL(sms_scts_to_time(bad, &t), -EBADMSG);
	CU_ASSERT_EQUAL(sms_scts_decode(&s, bad_month), -EBADMSG);
	s.tz_quarters = 80;
	CU_ASSERT_EQUAL(sms_scts_encode(&s, raw), -EINVAL);
}

void test_sms_dcs(void)
{
	static const struct {
		uint8_t dcs;
		enum sms_dcs_alphabet alphabet;
		int cls;
		bool reserved, mwi, compressed;
	} v[] = {
		{ 0xf6, SMS_ALPHABET_8BIT, 2, false, false, false }, /* data download */
		{ 0xf2, SMS_ALPHABET_GSM7, 2, false, false, false },
		{ 0x00, SMS_ALPHABET_GSM7, -1, false, false, false },
		{ 0x04, SMS_ALPHABET_8BIT, -1, false, false, false },
		{ 0x08, SMS_ALPHABET_UCS2, -1, false, false, false },
		{ 0x16, SMS_ALPHABET_8BIT, 2, false, false, false },
		{ 0x0c, SMS_ALPHABET_GSM7, -1, true, false, false },
		{ 0x24, SMS_ALPHABET_8BIT, -1, false, false, true },
		{ 0x84, SMS_ALPHABET_GSM7, -1, true, false, false },
		{ 0xc0, SMS_ALPHABET_GSM7, -1, false, true, false },
		{ 0xe0, SMS_ALPHABET_UCS2, -1, false, true, false },
		{ 0xfe, SMS_ALPHABET_8BIT, 2, true, false, false },
	};
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		struct sms_dcs d;

		sms_dcs_decode(&d, v[i].dcs);
		CU_ASSERT_EQUAL(d.alphabet, v[i].alphabet);
		CU_ASSERT_EQUAL(d.msg_class, v[i].cls);
		CU_ASSERT_EQUAL(d.reserved, v[i].reserved);
		CU_ASSERT_EQUAL(d.mwi, v[i].mwi);
		CU_ASSERT_EQUAL(d.compressed, v[i].compressed);
	}
}

static int udh_cb(const uint8_t *buf, size_t len, void *priv)
{
	struct sms_udh u;

	return sms_udh_decode(&u, buf, len);
}

void test_sms_udh(void)
{
	size_t len;
	uint8_t *buf;
	uint8_t out[150];
	struct sms_udh u;
	struct sms_ie many[70];

	/* pySim Test_SMS_UDH.test_two_ie_data_tail */
	buf = test_unhex("0571007001ffabcd", &len);
	CU_ASSERT_EQUAL(sms_udh_decode(&u, buf, len), 6);
	CU_ASSERT_EQUAL(u.n_ies, 2);
	CU_ASSERT_EQUAL(u.ies[0].iei, 0x71);
	CU_ASSERT_EQUAL(u.ies[0].len, 0);
	CU_ASSERT_EQUAL(u.ies[1].iei, 0x70);
	TEST_ASSERT_HEX_EQ(u.ies[1].value, u.ies[1].len, "ff");
	CU_ASSERT_EQUAL(sms_udh_encode(u.ies, u.n_ies, buf + 6, 2, out, sizeof(out)), 8);
	TEST_ASSERT_MEM_EQ(out, 8, buf, len);
	CU_ASSERT_EQUAL(TEST_TRUNCATIONS_REJECTED(buf, 6, udh_cb, NULL), 0);
	CU_ASSERT_TRUE(test_mutations_run(buf, len, udh_cb, NULL) > 0);
	free(buf);

	/* 69 empty IEs fill UDHL 138 */
	for (int i = 0; i < 69; i++)
		many[i] = (struct sms_ie){ (uint8_t)(0x20 + i), 0, NULL };
	CU_ASSERT_EQUAL(sms_udh_encode(many, 69, NULL, 0, out, sizeof(out)), 139);
	CU_ASSERT_EQUAL(sms_udh_decode(&u, out, 139), 139);
	CU_ASSERT_EQUAL(u.n_ies, 69);
	many[69] = (struct sms_ie){ 0x01, 0, NULL };
	CU_ASSERT_EQUAL(sms_udh_encode(many, 70, NULL, 0, out, sizeof(out)), -EINVAL); /* UDHL 140 */
	CU_ASSERT_EQUAL(sms_udh_encode(many, 2, NULL, 0, out, 4), -EMSGSIZE);
}
