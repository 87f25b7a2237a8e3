/* The device's own decoders (what it reads from the network and the card that lib/ does not decode):
 * BSSAP, BSSMAP PAGING, downlink MM/SMS-CP L3, RP, mobile identity / EF.IMSI, AUTHENTICATE responses,
 * the vpcd framing (without sockets) and the control-socket line parser. Vectors first (sources in the
 * comments), then round trips, every truncation, byte mutation, negative cases. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/test/runner.h"
#include "sims/device/a_msg.h"
#include "sims/device/card.h"
#include "sims/device/ctrl.h"

/* --- vectors ------------------------------------------------------------------------------------------------
 * sigtran-lab.md §2: LU REQUEST 05087200f110000b33080910100000000010 (IMSI 001010000000001 as MI
 * 0910100000000010) and LU ACCEPT 050200f110000b1705f46c9828c2 exchanged with osmo-msc 1.9.
 * pcsc-lab.md §3 strace: vpcd sends "\0\r" + 80ee0000080001020304050607 and reads "\0\n" +
 * 00010203040506079000. network-lab §2.4: RP-OA 91447758100650 in the RP-DATA osmo-msc sends. */

void test_codec_mi_imsi(void)
{
	char imsi[16];
	uint8_t mi[9];
	size_t n;
	uint8_t *v = test_unhex("0910100000000010", &n);

	CU_ASSERT_EQUAL(dev_mi_imsi_decode(imsi, v, n), 0);
	CU_ASSERT_STRING_EQUAL(imsi, "001010000000001");
	CU_ASSERT_EQUAL(dev_mi_imsi_encode(mi, imsi), (int)n);
	TEST_ASSERT_MEM_EQ(mi, n, v, n);
	free(v);
	/* an even number of digits ends with an F filler */
	CU_ASSERT_EQUAL(dev_mi_imsi_encode(mi, "00101000000001"), 8);
	TEST_ASSERT_HEX_EQ(mi, 8, "01101000000000f1");
	CU_ASSERT_EQUAL(dev_mi_imsi_decode(imsi, mi, 8), 0);
	CU_ASSERT_STRING_EQUAL(imsi, "00101000000001");
	/* negatives: TMSI type, a filler inside, a non-digit, too long, too short */
	v = test_unhex("f46c9828c2", &n);
	CU_ASSERT_EQUAL(dev_mi_imsi_decode(imsi, v, n), -EBADMSG);
	free(v);
	v = test_unhex("09101f0000000010", &n);
	CU_ASSERT_EQUAL(dev_mi_imsi_decode(imsi, v, n), -EBADMSG);
	free(v);
	v = test_unhex("0110100000000010", &n); /* even flag but the last high nibble is a digit */
	CU_ASSERT_EQUAL(dev_mi_imsi_decode(imsi, v, n), -EBADMSG);
	free(v);
	CU_ASSERT_EQUAL(dev_mi_imsi_encode(mi, "0010100000000012"), -EINVAL);
	CU_ASSERT_EQUAL(dev_mi_imsi_encode(mi, "00101a"), -EINVAL);
	CU_ASSERT_EQUAL(dev_mi_imsi_encode(mi, "00101"), -EINVAL);
	/* EF.IMSI = length ‖ MI */
	v = test_unhex("080910100000000010ffff", &n);
	CU_ASSERT_EQUAL(dev_ef_imsi_decode(imsi, v, n), 0);
	CU_ASSERT_STRING_EQUAL(imsi, "001010000000001");
	free(v);
	v = test_unhex("ffffffffffffffffff", &n); /* erased file */
	CU_ASSERT_EQUAL(dev_ef_imsi_decode(imsi, v, n), -EBADMSG);
	free(v);
}

static int dec_bssap(const uint8_t *b, size_t n, void *p)
{
	struct dev_bssap x;
	return dev_bssap_decode(&x, b, n);
}
static int dec_l3(const uint8_t *b, size_t n, void *p)
{
	struct dev_l3 x;
	return dev_l3_decode(&x, b, n);
}
static int dec_rp(const uint8_t *b, size_t n, void *p)
{
	struct dev_rp x;
	return dev_rp_decode(&x, b, n);
}
static int dec_paging(const uint8_t *b, size_t n, void *p)
{
	struct dev_paging x;
	return dev_paging_decode(&x, b, n);
}
static int dec_auth(const uint8_t *b, size_t n, void *p)
{
	struct dev_auth_res x;
	return dev_auth_resp_decode(&x, *(enum dev_auth_ctx *)p, b, n);
}
static int dec_frame(const uint8_t *b, size_t n, void *p)
{
	const uint8_t *pl;
	size_t pn;
	return dev_vpcd_frame_decode(b, n, &pl, &pn);
}

void test_codec_bssap_l3(void)
{
	struct dev_bssap b;
	struct dev_l3 l3;
	size_t n;
	uint8_t *v = test_unhex("000131", &n); /* BSSMAP RESET ACKNOWLEDGE */

	CU_ASSERT_EQUAL(dev_bssap_decode(&b, v, n), 3);
	CU_ASSERT_EQUAL(b.kind, DEV_BSSAP_BSSMAP);
	CU_ASSERT_EQUAL(b.msg_type, 0x31);
	CU_ASSERT_EQUAL(b.ies_len, 0);
	free(v);

	v = test_unhex("01000e 050200f110000b1705f46c9828c2", &n); /* DTAP LU ACCEPT */
	CU_ASSERT_EQUAL(dev_bssap_decode(&b, v, n), (int)n);
	CU_ASSERT_EQUAL(b.kind, DEV_BSSAP_DTAP);
	CU_ASSERT_EQUAL(b.dlci, 0);
	CU_ASSERT_EQUAL(dev_l3_decode(&l3, b.ies, b.ies_len), 14);
	CU_ASSERT_EQUAL(l3.pd, DEV_PD_MM);
	CU_ASSERT_EQUAL(l3.msg_type, DEV_MM_LU_ACCEPT);
	CU_ASSERT_TRUE(l3.has_tmsi);
	CU_ASSERT_EQUAL(l3.tmsi, 0x6c9828c2);
	TEST_ASSERT_HEX_EQ(l3.lai, 5, "00f110000b");
	TEST_TRUNCATIONS_REJECTED(v, n, dec_bssap, NULL);
	CU_ASSERT(test_mutations_run(v, n, dec_bssap, NULL) > 0);
	free(v);

	/* AUTH REQUEST with N(SD) bits set by the network side of a test, and a 3G AUTN */
	v = test_unhex("0552 02 00112233445566778899aabbccddeeff 2010 0102030405060708090a0b0c0d0e0f10", &n);
	CU_ASSERT_EQUAL(dev_l3_decode(&l3, v, n), 37);
	CU_ASSERT_EQUAL(l3.msg_type, DEV_MM_AUTH_REQUEST);
	CU_ASSERT_EQUAL(l3.cksn, 2);
	TEST_ASSERT_HEX_EQ(l3.rand, 16, "00112233445566778899aabbccddeeff");
	TEST_ASSERT_HEX_EQ(l3.autn, 16, "0102030405060708090a0b0c0d0e0f10");
	CU_ASSERT(test_mutations_run(v, n, dec_l3, NULL) > 0);
	/* a cut AUTN is truncated, not a GSM-only challenge */
	CU_ASSERT_EQUAL(dev_l3_decode(&l3, v, 30), -EAGAIN);
	free(v);

	v = test_unhex("0504 03", &n);
	CU_ASSERT_EQUAL(dev_l3_decode(&l3, v, n), 3);
	CU_ASSERT_EQUAL(l3.cause, 3);
	TEST_TRUNCATIONS_REJECTED(v, n, dec_l3, NULL);
	free(v);

	/* CP-DATA: length past the end; CP type unknown */
	v = test_unhex("0901 05 0107", &n);
	CU_ASSERT_EQUAL(dev_l3_decode(&l3, v, n), -EAGAIN);
	free(v);
	v = test_unhex("0977", &n);
	CU_ASSERT_EQUAL(dev_l3_decode(&l3, v, n), -EBADMSG);
	free(v);
	/* BSSAP with an unknown discriminator */
	v = test_unhex("020131", &n);
	CU_ASSERT_EQUAL(dev_bssap_decode(&b, v, n), -EBADMSG);
	free(v);
}

void test_codec_rp_and_paging(void)
{
	struct dev_rp rp;
	struct dev_paging pg;
	size_t n;
	uint8_t *v = test_unhex("01 07 07 91447758100650 00 0c 000102030405060708090a0b", &n);

	CU_ASSERT_EQUAL(dev_rp_decode(&rp, v, n), (int)n);
	CU_ASSERT_EQUAL(rp.type, DEV_RP_DATA_N_TO_MS);
	CU_ASSERT_EQUAL(rp.mr, 7);
	TEST_ASSERT_HEX_EQ(rp.oa, rp.oa_len, "91447758100650");
	CU_ASSERT_EQUAL(rp.tpdu_len, 12);
	TEST_TRUNCATIONS_REJECTED(v, n, dec_rp, NULL);
	CU_ASSERT(test_mutations_run(v, n, dec_rp, NULL) > 0);
	free(v);
	/* RP-ERROR N->MS with cause 38 and an RP-UD */
	v = test_unhex("05 02 01 26 41 03 010203", &n);
	CU_ASSERT_EQUAL(dev_rp_decode(&rp, v, n), (int)n);
	CU_ASSERT_EQUAL(rp.cause, 38);
	TEST_ASSERT_HEX_EQ(rp.tpdu, rp.tpdu_len, "010203");
	free(v);
	/* RP-DA must be empty towards the MS; RP-OA of length 0 is malformed */
	v = test_unhex("01 07 01 91 01 00 01 00", &n);
	CU_ASSERT_EQUAL(dev_rp_decode(&rp, v, n), -EBADMSG);
	free(v);
	v = test_unhex("01 07 00 00 01 00", &n);
	CU_ASSERT_EQUAL(dev_rp_decode(&rp, v, n), -EBADMSG);
	free(v);

	/* BSSMAP PAGING IEs (TS 48.008 §3.2.1.19): IMSI, TMSI, cell identifier list */
	v = test_unhex("08 08 0910100000000010 04 04 6c9828c2 1a 03 05 000b", &n);
	CU_ASSERT_EQUAL(dev_paging_decode(&pg, v, n), (int)n);
	CU_ASSERT_STRING_EQUAL(pg.imsi, "001010000000001");
	CU_ASSERT_TRUE(pg.has_tmsi);
	CU_ASSERT_EQUAL(pg.tmsi, 0x6c9828c2);
	CU_ASSERT(test_mutations_run(v, n, dec_paging, NULL) > 0);
	/* without the IMSI: malformed */
	CU_ASSERT_EQUAL(dev_paging_decode(&pg, v + 10, n - 10), -EBADMSG);
	TEST_TRUNCATIONS_REJECTED(v, 10, dec_paging, NULL);
	free(v);
}

void test_codec_auth_resp(void)
{
	struct dev_auth_res r;
	size_t n;
	enum dev_auth_ctx ctx = DEV_AUTH_USIM_GSM;
	/* TS 31.102 §7.1.2.1 GSM context: 04 SRES 08 Kc */
	uint8_t *v = test_unhex("04 24d78d01 08 0102030405060708", &n);

	CU_ASSERT_EQUAL(dev_auth_resp_decode(&r, ctx, v, n), 14);
	CU_ASSERT_TRUE(r.ok);
	TEST_ASSERT_HEX_EQ(r.sres, 4, "24d78d01");
	TEST_ASSERT_HEX_EQ(r.kc, 8, "0102030405060708");
	TEST_TRUNCATIONS_REJECTED(v, n, dec_auth, &ctx);
	CU_ASSERT(test_mutations_run(v, n, dec_auth, &ctx) > 0);
	free(v);

	ctx = DEV_AUTH_USIM_3G; /* DB 08 RES 10 CK 10 IK 08 Kc */
	v = test_unhex("db 08 a0be3aa611223344 10 000102030405060708090a0b0c0d0e0f 10 "
		       "101112131415161718191a1b1c1d1e1f 08 2122232425262728",
		       &n);
	CU_ASSERT_EQUAL(dev_auth_resp_decode(&r, ctx, v, n), (int)n);
	CU_ASSERT_EQUAL(r.res_len, 8);
	TEST_ASSERT_HEX_EQ(r.sres, 4, "a0be3aa6");
	TEST_ASSERT_HEX_EQ(r.ik, 16, "101112131415161718191a1b1c1d1e1f");
	TEST_ASSERT_HEX_EQ(r.kc, 8, "2122232425262728");
	CU_ASSERT(test_mutations_run(v, n, dec_auth, &ctx) > 0);
	free(v);
	v = test_unhex("dc 0e 0102030405060708090a0b0c0d0e", &n);
	CU_ASSERT_EQUAL(dev_auth_resp_decode(&r, ctx, v, n), 16);
	CU_ASSERT_TRUE(r.sync_failure);
	CU_ASSERT_FALSE(r.ok);
	TEST_TRUNCATIONS_REJECTED(v, n, dec_auth, &ctx);
	free(v);
	v = test_unhex("db 03 010203", &n); /* RES shorter than 4 */
	CU_ASSERT_EQUAL(dev_auth_resp_decode(&r, ctx, v, n), -EBADMSG);
	free(v);
}

void test_codec_vpcd_frame(void)
{
	uint8_t out[32];
	const uint8_t *pl;
	size_t pn, n;
	uint8_t *apdu = test_unhex("80ee0000080001020304050607", &n);

	CU_ASSERT_EQUAL(dev_vpcd_frame_encode(out, sizeof(out), apdu, n), 15);
	TEST_ASSERT_HEX_EQ(out, 15, "000d 80ee0000080001020304050607");
	CU_ASSERT_EQUAL(dev_vpcd_frame_encode(out, 14, apdu, n), -EMSGSIZE);
	CU_ASSERT_EQUAL(dev_vpcd_frame_encode(out, sizeof(out), apdu, 0), -EINVAL);
	free(apdu);

	uint8_t *in = test_unhex("000a 00010203040506079000 0001 04", &n); /* a response, then a control byte */
	CU_ASSERT_EQUAL(dev_vpcd_frame_decode(in, n, &pl, &pn), 12);
	TEST_ASSERT_HEX_EQ(pl, pn, "00010203040506079000");
	CU_ASSERT_EQUAL(dev_vpcd_frame_decode(in + 12, n - 12, &pl, &pn), 3);
	CU_ASSERT_EQUAL(pn, 1);
	CU_ASSERT_EQUAL(pl[0], DEV_VPCD_GET_ATR);
	TEST_TRUNCATIONS_REJECTED(in, 12, dec_frame, NULL);
	free(in);
	/* a zero-length frame is the card saying "removed" */
	in = test_unhex("0000", &n);
	CU_ASSERT_EQUAL(dev_vpcd_frame_decode(in, n, &pl, &pn), 2);
	CU_ASSERT_EQUAL(pn, 0);
	free(in);
}

void test_codec_encoders(void)
{
	struct msgb *m = msgb_alloc(64, "t");
	static const uint8_t sc[] = { 0x91, 0x44, 0x77 };
	static const uint8_t tpdu[] = { 0x01, 0x02 };

	CU_ASSERT_EQUAL(dev_cp_encode(m, 0x8, DEV_CP_ACK, NULL, 0, 0), 0);
	TEST_ASSERT_HEX_EQ(msgb_data(m), msgb_length(m), "8904");
	msgb_reset(m);
	CU_ASSERT_EQUAL(dev_rp_data_mo_encode(m, 5, sc, sizeof(sc), tpdu, sizeof(tpdu)), 0);
	TEST_ASSERT_HEX_EQ(msgb_data(m), msgb_length(m), "00 05 00 03914477 02 0102");
	msgb_reset(m);
	CU_ASSERT_EQUAL(dev_rp_error_encode(m, 5, 111, NULL, 0), 0);
	TEST_ASSERT_HEX_EQ(msgb_data(m), msgb_length(m), "04 05 01 6f");
	msgb_reset(m);
	CU_ASSERT_EQUAL(dev_cp_encode(m, 0, 0x77, NULL, 0, 0), -EINVAL);
	CU_ASSERT_EQUAL(dev_rp_error_encode(m, 5, 0x80, NULL, 0), -EINVAL);
	CU_ASSERT_EQUAL(dev_rp_data_mo_encode(m, 5, sc, 1, tpdu, sizeof(tpdu)), -EINVAL);
	msgb_free(m);
	m = msgb_alloc(3, "small");
	CU_ASSERT_EQUAL(dev_rp_data_mo_encode(m, 5, sc, sizeof(sc), tpdu, sizeof(tpdu)), -EMSGSIZE);
	CU_ASSERT_EQUAL(msgb_length(m), 0);
	msgb_free(m);
}

void test_codec_ctrl_parse(void)
{
	struct dev_ctrl_cmd c;

	CU_ASSERT_EQUAL(dev_ctrl_parse(&c, "power on"), 0);
	CU_ASSERT_EQUAL(c.verb, DEV_CTRL_POWER_ON);
	CU_ASSERT_EQUAL(dev_ctrl_parse(&c, "  power   off \r"), 0);
	CU_ASSERT_EQUAL(c.verb, DEV_CTRL_POWER_OFF);
	CU_ASSERT_EQUAL(dev_ctrl_parse(&c, "fault drop-mt 3"), 0);
	CU_ASSERT_EQUAL(c.verb, DEV_CTRL_FAULT_DROP_MT);
	CU_ASSERT_EQUAL(c.arg, 3);
	CU_ASSERT_EQUAL(dev_ctrl_parse(&c, "fault fail-attach"), 0);
	CU_ASSERT_EQUAL(c.verb, DEV_CTRL_FAULT_FAIL_ATTACH);
	CU_ASSERT_EQUAL(c.arg, -1); /* not given: the device takes 1 */
	CU_ASSERT_EQUAL(dev_ctrl_parse(&c, "fault fail-attach 5 001020000000001"), 0);
	CU_ASSERT_EQUAL(c.arg, 5);
	CU_ASSERT_STRING_EQUAL(c.addr, "001020000000001");
	CU_ASSERT_EQUAL(dev_ctrl_parse(&c, "fault fail-attach 5 00102x"), -EINVAL);
	CU_ASSERT_EQUAL(dev_ctrl_parse(&c, "fault fail-attach 5 1 2"), -EINVAL);
	CU_ASSERT_EQUAL(dev_ctrl_parse(&c, "fault bip-cut 100"), 0);
	CU_ASSERT_EQUAL(c.arg, 100);
	CU_ASSERT_EQUAL(dev_ctrl_parse(&c, "fault delay-mt 30000"), 0);
	CU_ASSERT_EQUAL(c.verb, DEV_CTRL_FAULT_DELAY_MT);
	CU_ASSERT_EQUAL(c.arg, 30000);
	CU_ASSERT_STRING_EQUAL(c.addr, "");
	CU_ASSERT_EQUAL(dev_ctrl_parse(&c, "fault delay-mt 250 556"), 0);
	CU_ASSERT_EQUAL(c.arg, 250);
	CU_ASSERT_STRING_EQUAL(c.addr, "556");
	CU_ASSERT_EQUAL(dev_ctrl_parse(&c, "fault delay-mt 0 01234567890123456789"), 0);
	CU_ASSERT_STRING_EQUAL(c.addr, "01234567890123456789");
	CU_ASSERT_EQUAL(dev_ctrl_parse(&c, "state"), 0);
	CU_ASSERT_EQUAL(c.verb, DEV_CTRL_STATE);
	CU_ASSERT_EQUAL(dev_ctrl_parse(&c, "events 5"), 0);
	CU_ASSERT_EQUAL(c.arg, 5);
	CU_ASSERT_EQUAL(dev_ctrl_parse(&c, "events"), 0);
	CU_ASSERT_EQUAL(c.verb, DEV_CTRL_EVENTS);
	/* negatives */
	CU_ASSERT_EQUAL(dev_ctrl_parse(&c, ""), -EINVAL);
	CU_ASSERT_EQUAL(dev_ctrl_parse(&c, "power"), -EINVAL);
	CU_ASSERT_EQUAL(dev_ctrl_parse(&c, "power sideways"), -EINVAL);
	CU_ASSERT_EQUAL(dev_ctrl_parse(&c, "fault drop-mt -1"), -EINVAL);
	CU_ASSERT_EQUAL(dev_ctrl_parse(&c, "fault drop-mt 99999999999"), -EINVAL);
	CU_ASSERT_EQUAL(dev_ctrl_parse(&c, "fault drop-mt 3 4"), -EINVAL);
	CU_ASSERT_EQUAL(dev_ctrl_parse(&c, "fault bip-cut x"), -EINVAL);
	CU_ASSERT_EQUAL(dev_ctrl_parse(&c, "fault delay-mt"), -EINVAL);
	CU_ASSERT_EQUAL(dev_ctrl_parse(&c, "fault delay-mt 10 +556"), -EINVAL);
	CU_ASSERT_EQUAL(dev_ctrl_parse(&c, "fault delay-mt 10 012345678901234567890"), -EINVAL); /* 21 digits */
	CU_ASSERT_EQUAL(dev_ctrl_parse(&c, "fault delay-mt 10 556 1"), -EINVAL);
	CU_ASSERT_EQUAL(dev_ctrl_parse(&c, "fault drop-mt 3 556"), -EINVAL); /* only delay-mt takes an address */
	CU_ASSERT_EQUAL(dev_ctrl_parse(&c, "reboot"), -EINVAL);
}
