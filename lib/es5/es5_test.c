/* Tests of the ES5/ES8 on-card command set. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/crypto/ec.h"
#include "lib/es5/es5.h"
#include "lib/test/runner.h"

#define ISDR_ELF "a0000005591010ffffffff8900000d00"
#define ISDR_MOD "a0000005591010ffffffff8900000e00"
#define ISDP_AID "a0000005591010ffffffff8900001300"

/* open-questions §14: INSTALL [for install and make selectable] as on the wire in the WHTY trace. */
#define CREATE_ISDP_TRACE "80e60c00 3f 10" ISDR_ELF " 10" ISDR_MOD " 10" ISDP_AID " 03 80c000 06 c9 04 81020370 00"

/* open-questions §15 V2: the second key-establishment STORE DATA (ISD-P, no DR), signed by SK.DP. */
#define V2_A6 "a615900203099501108001888101108201018301309100"
#define V2_EPK                                                               \
	"04e6d0c71f98538a8344c22c46a252f3a8f85c8ad77480c1e1c9a1f77fd1272495" \
	"8acd75b1c04f83bb7e7d10fa248825e08993a933c79b54e48b68e78fd4af4d97"
#define V2_SIG                                                             \
	"1d49f907a0c8370e7d64fba14040223a5b9874bebf8d87d0acdec4cd0ee416a1" \
	"e00a73a892c42e0bfebdaa0ccab74dec89aefab6b723c56a64533e12081b3b22"
#define V2_RC "000102030405060708090a0b0c0d0e0f"
#define PK_DP                                                                \
	"046466e042804faac48f839ea53e85d0b8b93f2f015028a472f07f3227af408170" \
	"acfb39d198ba7d0dcff3de5032a6cc8f6acc84ef556bfe530dec0ff75f2af59a"

struct bytes {
	uint8_t *buf;
	size_t len;
};

static struct bytes hex(const char *h)
{
	struct bytes b;

	b.buf = test_unhex(h, &b.len);
	return b;
}

static int decode_apdu(const uint8_t *apdu, size_t len, struct es5_command *cmd)
{
	/* Test-side split of a short APDU with Lc: header, Lc, data (any trailing Le ignored). */
	if (len < 5 || apdu[4] > len - 5)
		return -EBADMSG;
	return es5_command_decode(cmd, apdu[0], apdu[1], apdu[2], apdu[3], apdu + 5, apdu[4]);
}

void test_es5_CREATE_ISDP_TRACE(void)
{
	struct bytes want = hex(CREATE_ISDP_TRACE), elf = hex(ISDR_ELF), mod = hex(ISDR_MOD), aid = hex(ISDP_AID);
	struct es5_create_isdp p = { .elf_aid = { elf.buf, elf.len },
				     .module_aid = { mod.buf, mod.len },
				     .isdp_aid = { aid.buf, aid.len } };
	struct es5_command cmd;
	uint8_t buf[300];
	int n = es5_create_isdp_build(buf, sizeof(buf), &p);

	TEST_ASSERT_MEM_EQ(buf, n > 0 ? (size_t)n : 0, want.buf, want.len);
	CU_ASSERT_EQUAL(decode_apdu(want.buf, want.len, &cmd), 0);
	CU_ASSERT_EQUAL(cmd.fn, ES5_FN_CREATE_ISDP);
	TEST_ASSERT_MEM_EQ(cmd.u.create_isdp.isdp_aid.buf, cmd.u.create_isdp.isdp_aid.len, aid.buf, aid.len);
	TEST_ASSERT_HEX_EQ(cmd.u.create_isdp.privileges.buf, cmd.u.create_isdp.privileges.len, "80c000");
	TEST_ASSERT_HEX_EQ(cmd.u.create_isdp.scp_params.buf, cmd.u.create_isdp.scp_params.len, "81020370");
	CU_ASSERT_EQUAL(cmd.u.create_isdp.quota, 0);

	/* Njiwa's variant with a quota: EF { 83 02 <quota> } follows C9 and round-trips. */
	p.quota = 0x1234;
	n = es5_create_isdp_build(buf, sizeof(buf), &p);
	CU_ASSERT_TRUE(n > 0);
	CU_ASSERT_EQUAL(decode_apdu(buf, (size_t)n, &cmd), 0);
	CU_ASSERT_EQUAL(cmd.u.create_isdp.quota, 0x1234);
	TEST_ASSERT_HEX_EQ(cmd.u.create_isdp.install_params.buf, cmd.u.create_isdp.install_params.len,
			   "c904 81020370 ef04 83021234");
	free(want.buf);
	free(elf.buf);
	free(mod.buf);
	free(aid.buf);
}

void test_es5_keyagreement_v2_signature(void)
{
	struct bytes a6 = hex(V2_A6), epk = hex(V2_EPK), sig = hex(V2_SIG), rc = hex(V2_RC), pk = hex(PK_DP);
	uint8_t apdu[300], signed_data[300];
	struct es5_command cmd;
	EVP_PKEY *key = NULL;
	int n;

	/* The APDU of V2: 80E28901 A1 3A02 17 {A6} 7F49 41 {ePK raw} 5F37 40 {sig}. */
	n = es5_keyset_keyagreement_build(apdu, sizeof(apdu), a6.buf, a6.len, epk.buf, epk.len, sig.buf, sig.len);
	CU_ASSERT_EQUAL_FATAL(n, 5 + 0xA1);
	TEST_ASSERT_HEX_EQ(apdu, 5 + 3 + a6.len + 3, "80e28901a1 3a0217" V2_A6 "7f4941");
	CU_ASSERT_EQUAL(decode_apdu(apdu, (size_t)n, &cmd), 0);
	CU_ASSERT_EQUAL(cmd.fn, ES5_FN_KEYSET_KEYAGREEMENT);
	TEST_ASSERT_MEM_EQ(cmd.u.keyset_keyagreement.a6.buf, cmd.u.keyset_keyagreement.a6.len, a6.buf, a6.len);
	TEST_ASSERT_MEM_EQ(cmd.u.keyset_keyagreement.epk_value.buf, cmd.u.keyset_keyagreement.epk_value.len, epk.buf,
			   epk.len);
	TEST_ASSERT_MEM_EQ(cmd.u.keyset_keyagreement.sig.buf, cmd.u.keyset_keyagreement.sig.len, sig.buf, sig.len);

	/* The signed data layout is right exactly when the trace's signature verifies with PK.DP. */
	n = es5_keyset_signed_data(signed_data, sizeof(signed_data), a6.buf, a6.len, epk.buf, epk.len, rc.buf, rc.len);
	CU_ASSERT_EQUAL_FATAL(n, 3 + 23 + 3 + 65 + 3 + 16);
	TEST_ASSERT_HEX_EQ(signed_data + n - 19, 19, "0085 10" V2_RC);
	CU_ASSERT_EQUAL_FATAL(crypto_ec_from_public(CRYPTO_CURVE_P256, pk.buf, pk.len, &key), 0);
	CU_ASSERT_EQUAL(crypto_ecdsa_verify(key, signed_data, (size_t)n, sig.buf, sig.len), 0);
	signed_data[n - 1] ^= 1; /* another RC: the signature must no longer verify */
	CU_ASSERT_EQUAL(crypto_ecdsa_verify(key, signed_data, (size_t)n, sig.buf, sig.len), -EBADMSG);
	EVP_PKEY_free(key);
	free(a6.buf);
	free(epk.buf);
	free(sig.buf);
	free(rc.buf);
	free(pk.buf);
}

void test_es5_notification_confirm_trace(void)
{
	uint8_t buf[32];
	struct es5_command cmd;
	int n = es5_notification_confirm_build(buf, sizeof(buf), 0x0102);

	/* WHTY ReceiveNotificationApduHandler: 80E28900073A08044E02<seq>00 */
	TEST_ASSERT_HEX_EQ(buf, n > 0 ? (size_t)n : 0, "80e28900 07 3a08 04 4e02 0102 00");
	CU_ASSERT_EQUAL(decode_apdu(buf, (size_t)n, &cmd), 0);
	CU_ASSERT_EQUAL(cmd.fn, ES5_FN_NOTIFICATION_CONFIRM);
	CU_ASSERT_EQUAL(cmd.u.notification_seq, 0x0102);
}

void test_es5_profile_commands_round_trip(void)
{
	static const struct {
		enum es5_function fn;
		const char *apdu;
	} v[] = {
		/* digest §4.4: STORE DATA 88 00 with DGI 3A03/3A04/3A05 { 4F 10 AID } */
		{ ES5_FN_ENABLE_PROFILE, "80e28800 15 3a03 12 4f10" ISDP_AID },
		{ ES5_FN_DISABLE_PROFILE, "80e28800 15 3a04 12 4f10" ISDP_AID },
		{ ES5_FN_SET_FALLBACK, "80e28800 15 3a05 12 4f10" ISDP_AID },
	};
	struct bytes aid = hex(ISDP_AID);

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		uint8_t buf[64];
		struct es5_command cmd;
		int n = es5_profile_cmd_build(buf, sizeof(buf), v[i].fn, aid.buf, aid.len);

		TEST_ASSERT_HEX_EQ(buf, n > 0 ? (size_t)n : 0, v[i].apdu);
		CU_ASSERT_EQUAL(decode_apdu(buf, (size_t)n, &cmd), 0);
		CU_ASSERT_EQUAL(cmd.fn, v[i].fn);
		TEST_ASSERT_MEM_EQ(cmd.u.aid.buf, cmd.u.aid.len, aid.buf, aid.len);
	}
	free(aid.buf);
}

void test_es5_delete_and_perso(void)
{
	struct bytes aid = hex(ISDP_AID);
	uint8_t buf[64];
	struct es5_command cmd;
	int n;

	n = es5_delete_isdp_build(buf, sizeof(buf), ES5_DELETE_P2_40, aid.buf, aid.len);
	TEST_ASSERT_HEX_EQ(buf, (size_t)n, "80e40040 12 4f10" ISDP_AID);
	CU_ASSERT_EQUAL(decode_apdu(buf, (size_t)n, &cmd), 0);
	CU_ASSERT_EQUAL(cmd.fn, ES5_FN_DELETE_ISDP);
	n = es5_delete_isdp_build(buf, sizeof(buf), ES5_DELETE_P2_80, aid.buf, aid.len);
	CU_ASSERT_EQUAL(buf[3], 0x80);

	/* digest §3.2 step 7: INSTALL [for personalization] 00 00 L AID 00 00 00 */
	n = es5_install_perso_build(buf, sizeof(buf), aid.buf, aid.len);
	TEST_ASSERT_HEX_EQ(buf, (size_t)n, "80e62000 16 0000 10" ISDP_AID " 000000");
	CU_ASSERT_EQUAL(decode_apdu(buf, (size_t)n, &cmd), 0);
	CU_ASSERT_EQUAL(cmd.fn, ES5_FN_INSTALL_PERSO);
	TEST_ASSERT_MEM_EQ(cmd.u.aid.buf, cmd.u.aid.len, aid.buf, aid.len);
	free(aid.buf);
}

void test_es5_finalise_handover_variants(void)
{
	/* WHTY deletes SR1's SCP80 KVN 01 keys 1-3 and SCP81 KVN 41 keys 1-2 (open-questions §2); the
	 * new key set KS2 is KVN 02. */
	const struct es5_keyrange eis[] = { { 0x01, 1, 3 }, { 0x41, 1, 2 }, { 0x02, 1, 3 } };
	struct es5_keyrange list[ES5_MAX_F2];
	uint8_t buf[64];
	struct es5_command cmd;
	size_t n;
	int len;

	n = es5_f2_entries(ES5_F2_DELETE_LIST, eis, 3, 0x02, list, ES5_MAX_F2);
	CU_ASSERT_EQUAL(n, 2);
	len = es5_finalise_handover_build(buf, sizeof(buf), list, n);
	TEST_ASSERT_HEX_EQ(buf, (size_t)len, "80e40000 0a f203010103 f203410102");
	CU_ASSERT_EQUAL(decode_apdu(buf, (size_t)len, &cmd), 0);
	CU_ASSERT_EQUAL(cmd.fn, ES5_FN_FINALISE_HANDOVER);
	CU_ASSERT_EQUAL(cmd.u.finalise.n, 2);
	/* Card side, delete-list reading: SR1's keys go, KS2 stays. */
	CU_ASSERT_TRUE(es5_f2_deletes(ES5_F2_DELETE_LIST, cmd.u.finalise.ranges, 2, 0x01, 2));
	CU_ASSERT_TRUE(es5_f2_deletes(ES5_F2_DELETE_LIST, cmd.u.finalise.ranges, 2, 0x41, 1));
	CU_ASSERT_FALSE(es5_f2_deletes(ES5_F2_DELETE_LIST, cmd.u.finalise.ranges, 2, 0x02, 1));

	/* Njiwa's keep-list reading: the list names KS2, and the effect is the same. */
	n = es5_f2_entries(ES5_F2_KEEP_LIST, eis, 3, 0x02, list, ES5_MAX_F2);
	CU_ASSERT_EQUAL(n, 1);
	CU_ASSERT_EQUAL(list[0].kvn, 0x02);
	CU_ASSERT_TRUE(es5_f2_deletes(ES5_F2_KEEP_LIST, list, n, 0x01, 2));
	CU_ASSERT_TRUE(es5_f2_deletes(ES5_F2_KEEP_LIST, list, n, 0x41, 1));
	CU_ASSERT_FALSE(es5_f2_deletes(ES5_F2_KEEP_LIST, list, n, 0x02, 3));

	CU_ASSERT_EQUAL(es5_finalise_handover_build(buf, sizeof(buf), list, 0), -EINVAL);
}

void test_es5_get_status_and_data(void)
{
	uint8_t buf[64];
	size_t n;
	int len;
	struct es5_command cmd;
	/* GET STATUS response as in a real eUICC dump (digest §4.2, KAOH get_status_enc_mac): ISD-P
	 * A0000005591010FFFFFFFF8900001000 in state 3F, plus a second, disabled fall-back ISD-P. */
	struct bytes resp = hex("e319 4f10a0000005591010ffffffff8900001000 9f70013f 530100"
				"e31d 4f10" ISDP_AID " 9f70011f 530101 8f020400");
	struct es5_isdp_status st[4];

	len = es5_get_status_build(buf, sizeof(buf), NULL, 0, true);
	TEST_ASSERT_HEX_EQ(buf, (size_t)len, "80f24002 07 4f00 5c034f9f70 00");
	CU_ASSERT_EQUAL(decode_apdu(buf, (size_t)len, &cmd), 0);
	CU_ASSERT_EQUAL(cmd.fn, ES5_FN_GET_STATUS);
	CU_ASSERT_EQUAL(cmd.u.get_status.aid_filter.len, 0);
	TEST_ASSERT_HEX_EQ(cmd.u.get_status.tag_list.buf, cmd.u.get_status.tag_list.len, "4f9f70");

	CU_ASSERT_EQUAL(es5_get_status_resp_parse(resp.buf, resp.len, st, 4, &n), 0);
	CU_ASSERT_EQUAL(n, 2);
	CU_ASSERT_EQUAL(st[0].lcs, ES5_ISDP_ENABLED);
	CU_ASSERT_FALSE(st[0].fallback);
	CU_ASSERT_EQUAL(st[1].lcs, ES5_ISDP_DISABLED);
	CU_ASSERT_TRUE(st[1].fallback);
	TEST_ASSERT_HEX_EQ(st[1].alloc.buf, st[1].alloc.len, "0400");
	CU_ASSERT_EQUAL(es5_get_status_resp_parse(resp.buf, resp.len, st, 1, &n), -EMSGSIZE);
	free(resp.buf);

	/* GET DATA for the ECASD certificate (digest §4.4): 80 CA BF 30 with 5C 02 7F21 */
	len = es5_get_data_build(buf, sizeof(buf), 0xBF30, (const uint8_t *)"\x7f\x21", 2);
	TEST_ASSERT_HEX_EQ(buf, (size_t)len, "80cabf30 04 5c027f21 00");
	CU_ASSERT_EQUAL(decode_apdu(buf, (size_t)len, &cmd), 0);
	CU_ASSERT_EQUAL(cmd.fn, ES5_FN_GET_DATA);
	CU_ASSERT_EQUAL(cmd.u.get_data.tag, 0xBF30);
	len = es5_get_data_build(buf, sizeof(buf), 0x005A, NULL, 0); /* EID */
	TEST_ASSERT_HEX_EQ(buf, (size_t)len, "80ca005a 00");
}

void test_es5_responses(void)
{
	struct bytes r1 = hex("8510" V2_RC);
	struct bytes r2 = hex("8510 11111111111111111111111111111111 8610 c54fd902abf8eccb0ed83c51c504a041");
	struct bytes r3 = hex("8610 c54fd902abf8eccb0ed83c51c504a041"); /* trace: no DR (open-questions §3) */
	struct bytes r4 = hex("8012 4f10" ISDP_AID);
	struct es5_bytes rc, dr, receipt, aids[2];
	size_t n;

	CU_ASSERT_EQUAL(es5_keyset_cert_resp_parse(r1.buf, r1.len, &rc), 0);
	TEST_ASSERT_HEX_EQ(rc.buf, rc.len, V2_RC);
	CU_ASSERT_EQUAL(es5_keyset_keyagreement_resp_parse(r2.buf, r2.len, &dr, &receipt), 0);
	CU_ASSERT_EQUAL(dr.len, 16);
	CU_ASSERT_EQUAL(es5_keyset_keyagreement_resp_parse(r3.buf, r3.len, &dr, &receipt), 0);
	CU_ASSERT_EQUAL(dr.len, 0);
	TEST_ASSERT_HEX_EQ(receipt.buf, receipt.len, "c54fd902abf8eccb0ed83c51c504a041");
	CU_ASSERT_EQUAL(es5_keyset_keyagreement_resp_parse(r1.buf, r1.len, &dr, &receipt), -EBADMSG);
	CU_ASSERT_EQUAL(es5_notification_confirm_resp_parse(r4.buf, r4.len, aids, 2, &n), 0);
	CU_ASSERT_EQUAL(n, 1);
	CU_ASSERT_EQUAL(es5_notification_confirm_resp_parse(NULL, 0, aids, 2, &n), 0);
	CU_ASSERT_EQUAL(n, 0);
	free(r1.buf);
	free(r2.buf);
	free(r3.buf);
	free(r4.buf);
}

void test_es5_decode_rejects(void)
{
	static const struct {
		uint8_t ins, p1, p2;
		const char *data;
		int rc;
	} v[] = {
		{ 0xE2, 0x88, 0x00, "3a03 12 4f10" ISDP_AID "00", -EBADMSG }, /* trailing byte */
		{ 0xE2, 0x88, 0x00, "3a03 05 4f03a00000", -EBADMSG },	      /* AID shorter than 5 */
		{ 0xE2, 0x88, 0x00, "3a09 01 00", -ENOTSUP },		      /* unknown DGI */
		{ 0xE2, 0x88, 0x00, "3a03 30 4f10", -EBADMSG },		      /* DGI length beyond data */
		{ 0xE2, 0x89, 0x00, "3a08 04 4e03010203", -EBADMSG },	      /* seq not 2 bytes */
		{ 0xE2, 0x09, 0x00, "3a01 03 930101", -EBADMSG },	      /* not a 7F21 certificate */
		{ 0xE4, 0x00, 0x00, "f203010301", -EBADMSG },		      /* first KID > last KID */
		{ 0xE4, 0x00, 0x00, "f2020101", -EBADMSG },		      /* F2 of the wrong size */
		{ 0xE6, 0x0C, 0x00, "10", -EBADMSG },			      /* cut INSTALL */
		{ 0xE6, 0x0C, 0x00, "0000 05a000000559 00 00 00", -EBADMSG }, /* no C9 parameters */
		{ 0xB0, 0x00, 0x00, "", -ENOTSUP },			      /* READ BINARY: not ES5 */
		{ 0xCA, 0x00, 0x5A, "5c", -EBADMSG },
	};

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		struct bytes d = hex(v[i].data);
		struct es5_command cmd;
		int rc = es5_command_decode(&cmd, 0x80, v[i].ins, v[i].p1, v[i].p2, d.buf, d.len);

		if (rc != v[i].rc)
			printf("\n      vector %zu: got %d want %d", i, rc, v[i].rc);
		CU_ASSERT_EQUAL(rc, v[i].rc);
		free(d.buf);
	}
}

void test_es5_builders_reject(void)
{
	uint8_t buf[300], big[300] = { 0 };
	struct es5_create_isdp p = { 0 };

	CU_ASSERT_EQUAL(es5_create_isdp_build(buf, sizeof(buf), &p), -EINVAL);
	CU_ASSERT_EQUAL(es5_profile_cmd_build(buf, sizeof(buf), ES5_FN_GET_DATA, big, 16), -EINVAL);
	CU_ASSERT_EQUAL(es5_profile_cmd_build(buf, sizeof(buf), ES5_FN_ENABLE_PROFILE, big, 17), -EINVAL);
	CU_ASSERT_EQUAL(es5_keyset_cert_build(buf, sizeof(buf), big, 253), -EMSGSIZE); /* Lc > 255 */
	CU_ASSERT_EQUAL(es5_apdu_build(buf, 8, 0x80, 0xE2, 0, 0, big, 4, false), 9 > 8 ? -EMSGSIZE : 0);
	/* A DGI of 255 bytes or more (FF ‖ 2-byte length form) cannot fit a short APDU. */
	CU_ASSERT_EQUAL(es5_store_dgi_build(buf, sizeof(buf), 0x88, 0, 0x3A07, big, 0xFF), -EMSGSIZE);
	CU_ASSERT_EQUAL(es5_store_dgi_build(buf, sizeof(buf), 0x88, 0, 0x3A07, big, 0xFC), 5 + 3 + 0xFC);
	CU_ASSERT_EQUAL(es5_apdu_build(buf, sizeof(buf), 0x80, 0xE2, 0, 0, big, 256, false), -EMSGSIZE);
}

void test_es5_dgi_long_form(void)
{
	/* The decoder reads the FF ‖ 2-byte DGI length (GP 2.3 §11.11.3.2), e.g. from chained blocks. */
	uint8_t data[5 + 256] = { 0x3A, 0x07, 0xFF, 0x01, 0x00 };
	struct es5_command cmd;

	CU_ASSERT_EQUAL(es5_command_decode(&cmd, 0x80, 0xE2, 0x88, 0x00, data, sizeof(data)), 0);
	CU_ASSERT_EQUAL(cmd.fn, ES5_FN_UPDATE_ADDRESSING);
	CU_ASSERT_EQUAL(cmd.u.addressing.len, 256);
	CU_ASSERT_EQUAL(es5_command_decode(&cmd, 0x80, 0xE2, 0x88, 0x00, data, sizeof(data) - 1), -EBADMSG);
	CU_ASSERT_EQUAL(es5_command_decode(&cmd, 0x80, 0xE2, 0x88, 0x00, data, 4), -EBADMSG);
}

void test_es5_sw_meanings(void)
{
	CU_ASSERT_STRING_EQUAL(es5_sw_meaning(ES5_FN_ENABLE_PROFILE, 0x69E1), "POL1 of the currently enabled profile "
									      "prevents this action");
	CU_ASSERT_STRING_EQUAL(es5_sw_meaning(ES5_FN_CREATE_ISDP, 0x6A84), "not enough memory space");
	CU_ASSERT_STRING_EQUAL(es5_sw_meaning(ES5_FN_GET_DATA, 0x9000), "success");
	CU_ASSERT_PTR_NULL(es5_sw_meaning(ES5_FN_GET_DATA, 0x1234));
	CU_ASSERT_STRING_EQUAL(get_value_string(es5_f2_semantics_names, ES5_F2_DELETE_LIST), "delete-list");
}

static int decode_cb(const uint8_t *buf, size_t len, void *priv)
{
	struct es5_command cmd;

	return decode_apdu(buf, len, &cmd);
}

void test_es5_truncations_and_mutations(void)
{
	static const struct {
		const char *apdu;
		unsigned int valid_prefixes; /* cuts of the data that are themselves a valid command */
	} vectors[] = {
		{ CREATE_ISDP_TRACE, 0 },
		{ "80e28800 15 3a03 12 4f10" ISDP_AID, 0 },
		{ "80e40000 0a f203010103 f203410102", 1 }, /* the first F2 alone is a valid list */
		{ "80e28900 07 3a08 04 4e02 0102", 0 },
	};

	for (size_t i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++) {
		struct bytes v = hex(vectors[i].apdu);
		unsigned int accepted = 0;

		/* Each cut of the data field, in an exact-size copy. */
		for (size_t cut = 0; cut < v.len - 5; cut++) {
			struct es5_command cmd;
			uint8_t *copy = malloc(cut ? cut : 1);

			memcpy(copy, v.buf + 5, cut);
			if (es5_command_decode(&cmd, v.buf[0], v.buf[1], v.buf[2], v.buf[3], copy, cut) == 0)
				accepted++;
			free(copy);
		}
		CU_ASSERT_EQUAL(accepted, vectors[i].valid_prefixes);
		CU_ASSERT_TRUE(test_mutations_run(v.buf, v.len, decode_cb, NULL) > 0);
		free(v.buf);
	}
}
