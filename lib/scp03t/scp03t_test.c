/* SCP03t: the recomputed SGP.02 session of open-questions §15 V4 first, then the card side against
 * the SM-DP side, both against an independent recomputation with raw OpenSSL EVP calls, every
 * truncation and mutation, the variants, and the negative cases (bad MAC, replay, wrong state). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>

#include "lib/crypto/sym.h"
#include "lib/scp03t/scp03t.h"
#include "lib/test/runner.h"

/* sgp02-open-questions.md §15 V3/V4: the ISD-P's static keys are the ENC and MAC of the ECKA key data. */
static const char *v_enc = "533AF4EFC4096F331A7361AFBFBCFDA1";
static const char *v_mac = "E9E10E0BB335081D5ED498F63850AC82";
static const char *v_aid = "A0000005591010FFFFFFFF8900001300";
static const uint8_t v_seq[3] = { 0x00, 0x00, 0x01 };
static const uint8_t v_hc[8] = { 0x33, 0x13, 0x72, 0x86, 0x75, 0x91, 0xFA, 0x71 };

struct pair {
	struct scp03t_host h;
	struct scp03t_card c;
	uint8_t aid[16];
	size_t aid_len;
};

static void pair_init(struct pair *p, const struct scp03t_variants *v)
{
	size_t l;
	uint8_t *enc = test_unhex(v_enc, &l), *mac = test_unhex(v_mac, &l), *aid = test_unhex(v_aid, &p->aid_len);

	memcpy(p->aid, aid, p->aid_len);
	CU_ASSERT_EQUAL_FATAL(scp03t_host_init(&p->h, v, enc, mac, 16, 0x30, 0x00), 0);
	CU_ASSERT_EQUAL_FATAL(scp03t_card_init(&p->c, v, enc, mac, 16, 0x30, v_seq, aid, p->aid_len), 0);
	free(enc);
	free(mac);
	free(aid);
}

/* Opens a session on both sides; returns the bytes the host sent. */
static void pair_open(struct pair *p)
{
	uint8_t cmd[64], rsp[128], plain[16];
	size_t rl, pl, total = 0;
	struct scp03t_status st;
	int n, m;

	n = scp03t_host_open(&p->h, v_hc, p->c.seq, p->aid, p->aid_len, SCP03_SL_CMAC_CDEC_RMAC_RENC, cmd, sizeof(cmd));
	CU_ASSERT_EQUAL_FATAL(n, 12 + 19);
	m = scp03t_card_handle(&p->c, cmd, (size_t)n, plain, sizeof(plain), &pl, rsp, sizeof(rsp), &rl);
	CU_ASSERT_EQUAL_FATAL(m, 12);
	total = rl;
	m = scp03t_card_handle(&p->c, cmd + 12, (size_t)n - 12, plain, sizeof(plain), &pl, rsp + total,
			       sizeof(rsp) - total, &rl);
	CU_ASSERT_EQUAL_FATAL(m, 19);
	total += rl;
	CU_ASSERT_EQUAL_FATAL(p->c.state, SCP03T_CARD_OPEN);
	CU_ASSERT_EQUAL_FATAL(scp03t_host_check_open(&p->h, rsp, total, &st), (int)total);
	CU_ASSERT_FALSE(st.error);
}

void test_scp03t_v4_session_start(void)
{
	struct pair p;
	uint8_t cmd[64], rsp[64], plain[16];
	size_t rl, pl;
	int n;

	pair_init(&p, NULL);
	n = scp03t_host_open(&p.h, v_hc, v_seq, p.aid, p.aid_len, SCP03_SL_CMAC_CDEC_RMAC_RENC, cmd, sizeof(cmd));
	/* V4: the `84` command, the `85` TLV, session keys and the MCV afterwards */
	TEST_ASSERT_HEX_EQ(cmd, (size_t)n, "840A3000331372867591FA71 851133EE6E4FC120C42C6E17B53553F974B2F4");
	TEST_ASSERT_HEX_EQ(p.h.s.s_enc, 16, "8B351D70A648122D4CF95BAB21A13917");
	TEST_ASSERT_HEX_EQ(p.h.s.s_mac, 16, "21AE4A7A347749726F42EFA7A72116A5");
	TEST_ASSERT_HEX_EQ(p.h.s.s_rmac, 16, "F2530DF98EEEDD9B704F427D9B3F4A39");
	TEST_ASSERT_HEX_EQ(p.h.s.mcv, 16, "17B53553F974B2F47FCAD6A49DCD4E9A");

	/* the card's answer: KDD 10×00, KVN 30, 03, 70, card challenge, card cryptogram, seq 000001 */
	CU_ASSERT_EQUAL(scp03t_card_handle(&p.c, cmd, (size_t)n, plain, sizeof(plain), &pl, rsp, sizeof(rsp), &rl), 12);
	TEST_ASSERT_HEX_EQ(rsp, rl, "8420 00000000000000000000 30 03 70 89FD29189E851E8A E57319C394557E1C 000001");
	CU_ASSERT_EQUAL(scp03t_card_handle(&p.c, cmd + 12, 19, plain, sizeof(plain), &pl, rsp, sizeof(rsp), &rl), 19);
	TEST_ASSERT_HEX_EQ(rsp, rl, "8500");
	TEST_ASSERT_MEM_EQ(p.c.s.mcv, 16, p.h.s.mcv, 16);
	CU_ASSERT_EQUAL(p.c.seq[2], 2); /* the next session uses 000002 */
}

/* Independent recomputation of one `86` with raw EVP (AES-128-ECB for the ICV, AES-128-CBC, CMAC),
 * following open-questions §5: ICV = AES(S-ENC, counter), MAC over MCV ‖ 86 L ‖ ct. */
static void evp_segment(const uint8_t s_enc[16], const uint8_t s_mac[16], const uint8_t mcv[16], uint32_t counter,
			const uint8_t *plain, size_t len, uint8_t *out, size_t *out_len)
{
	uint8_t ctr[16] = { 0 }, icv[16], padded[SCP03T_MAX_SEGMENT + 16], mac_in[16 + 4 + sizeof(padded)];
	size_t plen = (len / 16 + 1) * 16, hl, ml = 0, maclen = 0;
	int outl;
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	EVP_MAC *mac = EVP_MAC_fetch(NULL, "CMAC", NULL);
	EVP_MAC_CTX *mctx = EVP_MAC_CTX_new(mac);
	OSSL_PARAM params[] = { OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_CIPHER, "AES-128-CBC", 0),
				OSSL_PARAM_construct_end() };
	uint8_t full[16];

	ctr[12] = (uint8_t)(counter >> 24);
	ctr[13] = (uint8_t)(counter >> 16);
	ctr[14] = (uint8_t)(counter >> 8);
	ctr[15] = (uint8_t)counter;
	EVP_EncryptInit_ex(ctx, EVP_aes_128_ecb(), NULL, s_enc, NULL);
	EVP_CIPHER_CTX_set_padding(ctx, 0);
	EVP_EncryptUpdate(ctx, icv, &outl, ctr, 16);
	memcpy(padded, plain, len);
	padded[len] = 0x80;
	memset(padded + len + 1, 0, plen - len - 1);
	EVP_EncryptInit_ex(ctx, EVP_aes_128_cbc(), NULL, s_enc, icv);
	EVP_CIPHER_CTX_set_padding(ctx, 0);
	hl = plen + 8 < 128 ? 2 : plen + 8 < 256 ? 3 : 4;
	out[0] = 0x86;
	if (hl == 2) {
		out[1] = (uint8_t)(plen + 8);
	} else if (hl == 3) {
		out[1] = 0x81;
		out[2] = (uint8_t)(plen + 8);
	} else {
		out[1] = 0x82;
		out[2] = (uint8_t)((plen + 8) >> 8);
		out[3] = (uint8_t)(plen + 8);
	}
	EVP_EncryptUpdate(ctx, out + hl, &outl, padded, (int)plen);
	memcpy(mac_in, mcv, 16);
	ml = 16;
	memcpy(mac_in + ml, out, hl + plen);
	ml += hl + plen;
	EVP_MAC_init(mctx, s_mac, 16, params);
	EVP_MAC_update(mctx, mac_in, ml);
	EVP_MAC_final(mctx, full, &maclen, sizeof(full));
	memcpy(out + hl + plen, full, 8);
	*out_len = hl + plen + 8;
	EVP_MAC_CTX_free(mctx);
	EVP_MAC_free(mac);
	EVP_CIPHER_CTX_free(ctx);
}

/* A profile package the size of the recorded one (16 985 bytes, 17 segments of 1024). */
#define PKG_LEN 16985

void test_scp03t_download_round_trip(void)
{
	static uint8_t pkg[PKG_LEN], wire[PKG_LEN + 17 * 40], got[PKG_LEN], plain[SCP03T_MAX_VALUE];
	static const uint8_t euicc_rsp[] = { 0x30, 0x07, 0xA0, 0x05, 0x30, 0x03, 0x80, 0x01, 0x00 };
	uint8_t rsp[128], first_mcv[16], indep[1100], out[64];
	struct scp03t_status st;
	struct pair p;
	size_t count, pos = 0, gl = 0, rl, pl, il;
	int n;

	CU_ASSERT_EQUAL_FATAL(crypto_random(pkg, sizeof(pkg)), 0);
	pair_init(&p, NULL);
	pair_open(&p);
	memcpy(first_mcv, p.h.s.mcv, 16);
	n = scp03t_host_segments(&p.h, pkg, sizeof(pkg), SCP03T_SEGMENT_DEFAULT, wire, sizeof(wire), &count);
	CU_ASSERT_TRUE_FATAL(n > 0);
	CU_ASSERT_EQUAL(count, 17);
	CU_ASSERT_EQUAL(scp03t_segment_count(sizeof(pkg), SCP03T_SEGMENT_DEFAULT), 17);
	/* the first segment: 86 82 0418 (1040 bytes ct + 8 MAC, as in V5), equal to the EVP recomputation */
	TEST_ASSERT_HEX_EQ(wire, 4, "86820418");
	evp_segment(p.h.s.s_enc, p.h.s.s_mac, first_mcv, 1, pkg, 1024, indep, &il);
	TEST_ASSERT_MEM_EQ(wire, 4 + 1048, indep, il);

	for (size_t i = 0; i < count; i++) {
		int m = scp03t_card_handle(&p.c, wire + pos, (size_t)n - pos, plain, sizeof(plain), &pl, rsp,
					   sizeof(rsp), &rl);
		CU_ASSERT_TRUE_FATAL(m > 0);
		memcpy(got + gl, plain, pl);
		gl += pl;
		pos += (size_t)m;
		if (i + 1 < count) {
			TEST_ASSERT_HEX_EQ(rsp, rl, "8600");
			CU_ASSERT_EQUAL(scp03t_host_check_data_resp(&p.h, rsp, rl, out, sizeof(out), &st), 0);
		}
	}
	CU_ASSERT_EQUAL(pos, (size_t)n);
	TEST_ASSERT_MEM_EQ(got, gl, pkg, sizeof(pkg));
	CU_ASSERT_EQUAL(p.c.segments, 17);
	/* the last answer carries EUICCResponse, R-ENC + R-MAC: 86 18 <16 ct> <8 R-MAC> */
	n = scp03t_card_respond_data(&p.c, euicc_rsp, sizeof(euicc_rsp), rsp, sizeof(rsp));
	CU_ASSERT_EQUAL(n, 2 + 24);
	TEST_ASSERT_HEX_EQ(rsp, 2, "8618");
	n = scp03t_host_check_data_resp(&p.h, rsp, (size_t)n, out, sizeof(out), &st);
	TEST_ASSERT_MEM_EQ(out, (size_t)n, euicc_rsp, sizeof(euicc_rsp));
	CU_ASSERT_FALSE(st.error);
}

void test_scp03t_replay_rejected(void)
{
	uint8_t seg1[128], seg2[128], rsp[32], plain[128];
	const uint8_t data[40] = { 1, 2, 3 };
	struct scp03t_status st;
	struct pair p;
	size_t rl, pl;
	int n1, n2;

	pair_init(&p, NULL);
	pair_open(&p);
	n1 = scp03t_host_segment(&p.h, data, sizeof(data), seg1, sizeof(seg1));
	n2 = scp03t_host_segment(&p.h, data, sizeof(data), seg2, sizeof(seg2));
	CU_ASSERT_TRUE_FATAL(n1 > 0 && n2 > 0);
	/* same plaintext, different counter and chain: different blocks */
	CU_ASSERT_NOT_EQUAL(memcmp(seg1, seg2, (size_t)n1), 0);
	CU_ASSERT_EQUAL(scp03t_card_handle(&p.c, seg1, (size_t)n1, plain, sizeof(plain), &pl, rsp, sizeof(rsp), &rl),
			n1);
	TEST_ASSERT_HEX_EQ(rsp, rl, "8600");
	TEST_ASSERT_MEM_EQ(plain, pl, data, sizeof(data));
	/* the replayed first block is rejected with 9F46 01 02 and closes the session */
	CU_ASSERT_EQUAL(scp03t_card_handle(&p.c, seg1, (size_t)n1, plain, sizeof(plain), &pl, rsp, sizeof(rsp), &rl),
			n1);
	TEST_ASSERT_HEX_EQ(rsp, rl, "9F460102");
	CU_ASSERT_EQUAL(pl, 0);
	CU_ASSERT_EQUAL(p.c.state, SCP03T_CARD_IDLE);
	/* the genuine second block no longer gets through either */
	CU_ASSERT_EQUAL(scp03t_card_handle(&p.c, seg2, (size_t)n2, plain, sizeof(plain), &pl, rsp, sizeof(rsp), &rl),
			n2);
	TEST_ASSERT_HEX_EQ(rsp, rl, "9F460102");
	/* the SM-DP sees the error as data */
	CU_ASSERT_EQUAL(scp03t_host_check_data_resp(&p.h, rsp, rl, plain, sizeof(plain), &st), 0);
	CU_ASSERT_TRUE(st.error);
	CU_ASSERT_EQUAL(st.error_for, 0x86);
	CU_ASSERT_EQUAL(st.code, SCP03T_ERR_SECURITY);

	/* out of order: the second block first */
	pair_init(&p, NULL);
	pair_open(&p);
	n1 = scp03t_host_segment(&p.h, data, sizeof(data), seg1, sizeof(seg1));
	n2 = scp03t_host_segment(&p.h, data, sizeof(data), seg2, sizeof(seg2));
	CU_ASSERT_EQUAL(scp03t_card_handle(&p.c, seg2, (size_t)n2, plain, sizeof(plain), &pl, rsp, sizeof(rsp), &rl),
			n2);
	TEST_ASSERT_HEX_EQ(rsp, rl, "9F460102");
}

void test_scp03t_bad_ext_auth_and_state(void)
{
	uint8_t cmd[64], rsp[64], plain[16];
	struct scp03t_status st;
	struct pair p;
	size_t rl, pl;
	int n;

	pair_init(&p, NULL);
	n = scp03t_host_open(&p.h, v_hc, v_seq, p.aid, p.aid_len, SCP03_SL_CMAC_CDEC_RMAC_RENC, cmd, sizeof(cmd));
	CU_ASSERT_EQUAL_FATAL(n, 31);
	/* 85 before 84 */
	CU_ASSERT_EQUAL(scp03t_card_handle(&p.c, cmd + 12, 19, plain, sizeof(plain), &pl, rsp, sizeof(rsp), &rl), 19);
	TEST_ASSERT_HEX_EQ(rsp, rl, "9F450101");
	/* 86 with no session */
	CU_ASSERT_EQUAL(scp03t_card_handle(&p.c, (const uint8_t *)"\x86\x08\0\0\0\0\0\0\0\0", 10, plain, sizeof(plain),
					   &pl, rsp, sizeof(rsp), &rl),
			10);
	TEST_ASSERT_HEX_EQ(rsp, rl, "9F460102");
	/* unknown KVN */
	cmd[2] = 0x31;
	CU_ASSERT_EQUAL(scp03t_card_handle(&p.c, cmd, 12, plain, sizeof(plain), &pl, rsp, sizeof(rsp), &rl), 12);
	TEST_ASSERT_HEX_EQ(rsp, rl, "9F440103");
	cmd[2] = 0x30;
	/* a bad C-MAC on EXTERNAL AUTHENTICATE */
	CU_ASSERT_EQUAL(scp03t_card_handle(&p.c, cmd, 12, plain, sizeof(plain), &pl, rsp, sizeof(rsp), &rl), 12);
	cmd[30] ^= 0x01;
	CU_ASSERT_EQUAL(scp03t_card_handle(&p.c, cmd + 12, 19, plain, sizeof(plain), &pl, rsp, sizeof(rsp), &rl), 19);
	TEST_ASSERT_HEX_EQ(rsp, rl, "9F450102");
	CU_ASSERT_EQUAL(p.c.state, SCP03T_CARD_IDLE);
	CU_ASSERT_EQUAL(scp03t_host_check_open(&p.h, rsp, rl, &st), 4);
	CU_ASSERT_TRUE(st.error);
	CU_ASSERT_EQUAL(st.error_for, 0x85);
	/* tag 87 is answered 9F47 01 01 */
	CU_ASSERT_EQUAL(scp03t_card_handle(&p.c, (const uint8_t *)"\x87\x01\x00", 3, plain, sizeof(plain), &pl, rsp,
					   sizeof(rsp), &rl),
			3);
	TEST_ASSERT_HEX_EQ(rsp, rl, "9F470101");
	/* an error TLV is never a command */
	CU_ASSERT_EQUAL(scp03t_card_handle(&p.c, (const uint8_t *)"\x9F\x46\x01\x02", 4, plain, sizeof(plain), &pl, rsp,
					   sizeof(rsp), &rl),
			-EBADMSG);
}

void test_scp03t_bad_card_cryptogram(void)
{
	uint8_t cmd[64], rsp[64], plain[16];
	struct scp03t_status st;
	struct pair p;
	size_t rl, pl;
	int n;

	pair_init(&p, NULL);
	n = scp03t_host_open(&p.h, v_hc, v_seq, p.aid, p.aid_len, SCP03_SL_CMAC_CDEC_RMAC_RENC, cmd, sizeof(cmd));
	CU_ASSERT_EQUAL(scp03t_card_handle(&p.c, cmd, (size_t)n, plain, sizeof(plain), &pl, rsp, sizeof(rsp), &rl), 12);
	rsp[2 + 21] ^= 0x01; /* card cryptogram */
	rsp[rl++] = 0x85;
	rsp[rl++] = 0x00;
	CU_ASSERT_EQUAL(scp03t_host_check_open(&p.h, rsp, rl, &st), -EACCES);
	CU_ASSERT_FALSE(p.h.opened);
}

void test_scp03t_variant_reset(void)
{
	const struct scp03t_variants reset = { .mcv_after_ea = SCP03T_MCV_RESET,
					       .resp_mac = SCP03T_RESP_MAC_LAST_ONLY };
	uint8_t a[128], b[128], rsp[32], plain[128];
	const uint8_t data[20] = { 7 };
	struct pair p, q;
	size_t rl, pl;
	int na, nb;

	pair_init(&p, &reset);
	pair_open(&p);
	CU_ASSERT_TRUE(memcmp(p.h.s.mcv, (uint8_t[16]){ 0 }, 16) == 0);
	pair_init(&q, NULL);
	pair_open(&q);
	na = scp03t_host_segment(&p.h, data, sizeof(data), a, sizeof(a));
	nb = scp03t_host_segment(&q.h, data, sizeof(data), b, sizeof(b));
	CU_ASSERT_EQUAL_FATAL(na, nb);
	/* same keys and counter: same ciphertext, but a different MAC */
	CU_ASSERT_EQUAL(memcmp(a, b, (size_t)na - 8), 0);
	CU_ASSERT_NOT_EQUAL(memcmp(a + na - 8, b + nb - 8, 8), 0);
	CU_ASSERT_EQUAL(scp03t_card_handle(&p.c, a, (size_t)na, plain, sizeof(plain), &pl, rsp, sizeof(rsp), &rl), na);
	TEST_ASSERT_HEX_EQ(rsp, rl, "8600");
	/* a CARRY card rejects a RESET host's block */
	CU_ASSERT_EQUAL(scp03t_card_handle(&q.c, a, (size_t)na, plain, sizeof(plain), &pl, rsp, sizeof(rsp), &rl), na);
	TEST_ASSERT_HEX_EQ(rsp, rl, "9F460102");
	CU_ASSERT_STRING_EQUAL(get_value_string(scp03t_mcv_after_ea_names, SCP03T_MCV_RESET), "RESET");
}

void test_scp03t_variant_every_86(void)
{
	const struct scp03t_variants every = { .mcv_after_ea = SCP03T_MCV_CARRY, .resp_mac = SCP03T_RESP_MAC_EVERY_86 };
	uint8_t seg[128], rsp[32], plain[128], out[32];
	const uint8_t data[33] = { 9 };
	struct scp03t_status st;
	struct pair p;
	size_t rl, pl;
	int n;

	pair_init(&p, &every);
	pair_open(&p);
	for (int i = 0; i < 3; i++) {
		n = scp03t_host_segment(&p.h, data, sizeof(data), seg, sizeof(seg));
		CU_ASSERT_EQUAL(
			scp03t_card_handle(&p.c, seg, (size_t)n, plain, sizeof(plain), &pl, rsp, sizeof(rsp), &rl), n);
		CU_ASSERT_EQUAL(rl, 10); /* 86 08 <R-MAC> */
		CU_ASSERT_EQUAL(scp03t_host_check_data_resp(&p.h, rsp, rl, out, sizeof(out), &st), 0);
		struct scp03t_host copy = p.h;
		rsp[9] ^= 1;
		CU_ASSERT_EQUAL(scp03t_host_check_data_resp(&copy, rsp, rl, out, sizeof(out), &st), -EACCES);
	}
	/* under EVERY_86 a bare 86 00 is not acceptable */
	CU_ASSERT_EQUAL(scp03t_host_check_data_resp(&p.h, (const uint8_t *)"\x86\x00", 2, out, sizeof(out), &st),
			-EBADMSG);
	CU_ASSERT_STRING_EQUAL(get_value_string(scp03t_resp_mac_names, SCP03T_RESP_MAC_EVERY_86), "EVERY_86");
}

static int tlv_cb(const uint8_t *buf, size_t len, void *priv)
{
	struct scp03t_tlv t;

	return scp03t_tlv_decode(&t, buf, len);
}

void test_scp03t_tlv_decode(void)
{
	size_t l;
	uint8_t *iu = test_unhex("840A3000331372867591FA71", &l);
	struct scp03t_tlv t;
	uint8_t big[4 + SCP03T_MAX_VALUE + 1] = { 0x86, 0x82, (uint8_t)((SCP03T_MAX_VALUE + 1) >> 8),
						  (uint8_t)(SCP03T_MAX_VALUE + 1) };

	CU_ASSERT_EQUAL(scp03t_tlv_decode(&t, iu, l), 12);
	CU_ASSERT_EQUAL(t.tag, 0x84);
	CU_ASSERT_EQUAL(t.hdr_len, 2);
	CU_ASSERT_EQUAL(TEST_TRUNCATIONS_REJECTED(iu, l, tlv_cb, NULL), 0);
	CU_ASSERT_TRUE(test_mutations_run(iu, l, tlv_cb, NULL) > 0);
	CU_ASSERT_EQUAL(scp03t_tlv_decode(&t, (const uint8_t *)"\x9F\x45\x01\x02", 4), 4);
	CU_ASSERT_TRUE(t.is_error);
	CU_ASSERT_EQUAL(t.error_for, 0x85);
	CU_ASSERT_EQUAL(t.error_code, 2);
	CU_ASSERT_EQUAL(scp03t_tlv_decode(&t, (const uint8_t *)"\x9F\x45\x02\x02\x00", 5), -EBADMSG);
	CU_ASSERT_EQUAL(scp03t_tlv_decode(&t, (const uint8_t *)"\x83\x00", 2), -EBADMSG);
	/* a value above the cap */
	CU_ASSERT_EQUAL(scp03t_tlv_decode(&t, big, sizeof(big)), -EBADMSG);
	free(iu);
}

/* Every truncation and mutation of a protected `86` is refused by the card (only the unchanged byte
 * value passes); each call works on a copy of the open card. */
static int card_cb(const uint8_t *buf, size_t len, void *priv)
{
	struct scp03t_card c = *(const struct scp03t_card *)priv;
	uint8_t plain[256], rsp[32];
	size_t pl, rl;
	int n = scp03t_card_handle(&c, buf, len, plain, sizeof(plain), &pl, rsp, sizeof(rsp), &rl);

	if (n < 0)
		return n;
	return rl == 2 && rsp[0] == 0x86 ? 0 : -EACCES;
}

static int host_resp_cb(const uint8_t *buf, size_t len, void *priv)
{
	struct scp03t_host h = *(const struct scp03t_host *)priv;
	struct scp03t_status st;
	uint8_t out[64];
	int n = scp03t_host_check_data_resp(&h, buf, len, out, sizeof(out), &st);

	return n < 0 ? n : st.error ? -EACCES : n;
}

void test_scp03t_truncations_mutations(void)
{
	uint8_t seg[256], rsp[64], plain[256];
	const uint8_t data[150] = { 5 };
	struct pair p;
	size_t rl, pl;
	int n;

	pair_init(&p, NULL);
	pair_open(&p);
	n = scp03t_host_segment(&p.h, data, sizeof(data), seg, sizeof(seg));
	CU_ASSERT_EQUAL_FATAL(n, 3 + 160 + 8);
	CU_ASSERT_EQUAL(TEST_TRUNCATIONS_REJECTED(seg, (size_t)n, card_cb, &p.c), 0);
	CU_ASSERT_EQUAL(test_mutations_run(seg, (size_t)n, card_cb, &p.c), (unsigned long)n);
	CU_ASSERT_EQUAL(scp03t_card_handle(&p.c, seg, (size_t)n, plain, sizeof(plain), &pl, rsp, sizeof(rsp), &rl), n);
	n = scp03t_card_respond_data(&p.c, data, 20, rsp, sizeof(rsp));
	CU_ASSERT_EQUAL_FATAL(n, 2 + 32 + 8);
	CU_ASSERT_EQUAL(host_resp_cb(rsp, (size_t)n, &p.h), 20);
	CU_ASSERT_EQUAL(TEST_TRUNCATIONS_REJECTED(rsp, (size_t)n, host_resp_cb, &p.h), 0);
	CU_ASSERT_EQUAL(test_mutations_run(rsp, (size_t)n, host_resp_cb, &p.h), (unsigned long)n);
}

void test_scp03t_segment_sizes(void)
{
	static uint8_t pkg[5000], wire[6000], got[5000], plain[SCP03T_MAX_VALUE];
	static const size_t sizes[] = { 1, 15, 16, 512, 1000, 1024, SCP03T_MAX_SEGMENT };
	uint8_t rsp[32];
	size_t count, rl, pl;

	CU_ASSERT_EQUAL_FATAL(crypto_random(pkg, sizeof(pkg)), 0);
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		size_t len = sizes[i] < 16 ? 200 : sizeof(pkg), pos = 0, gl = 0;
		static uint8_t big[5000 * 33];
		uint8_t *out = big;
		size_t cap = sizeof(big);
		struct pair p;
		int n;

		pair_init(&p, NULL);
		pair_open(&p);
		n = scp03t_host_segments(&p.h, pkg, len, sizes[i], out, cap, &count);
		CU_ASSERT_TRUE_FATAL(n > 0);
		CU_ASSERT_EQUAL(count, scp03t_segment_count(len, sizes[i]));
		while (pos < (size_t)n) {
			int m = scp03t_card_handle(&p.c, out + pos, (size_t)n - pos, plain, sizeof(plain), &pl, rsp,
						   sizeof(rsp), &rl);
			CU_ASSERT_TRUE_FATAL(m > 0 && rl == 2);
			memcpy(got + gl, plain, pl);
			gl += pl;
			pos += (size_t)m;
		}
		TEST_ASSERT_MEM_EQ(got, gl, pkg, len);
	}
	{
		struct pair p;

		pair_init(&p, NULL);
		pair_open(&p);
		CU_ASSERT_EQUAL(scp03t_host_segments(&p.h, pkg, 10, 0, wire, sizeof(wire), &count), -EINVAL);
		CU_ASSERT_EQUAL(scp03t_host_segments(&p.h, pkg, 10, SCP03T_MAX_SEGMENT + 1, wire, sizeof(wire), &count),
				-EINVAL);
		CU_ASSERT_EQUAL(scp03t_host_segment(&p.h, pkg, 100, wire, 50), -EMSGSIZE);
	}
}
