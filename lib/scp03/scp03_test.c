/* SCP03: published vectors first (pySim, kaoh/globalplatform), then both sides against each other,
 * truncations, mutations and the negative cases (bad cryptogram, bad C-MAC, bad R-MAC, replay). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/crypto/sym.h"
#include "lib/scp03/scp03.h"
#include "lib/test/runner.h"

/* pySim tests/unittests/test_globalplatform.py (osmocom/pysim): KEYSET_AES128/192/256 and the
 * SCP03_Test_AES{128,192,256}_{11,03,33} classes. Each class runs, in order: INITIALIZE UPDATE, its
 * response, EXTERNAL AUTHENTICATE, a wrapped STORE DATA (GET EID), its unwrapped response, and the
 * four ISO 7816-4 command cases, all in one session (so the MAC chain and counter carry over). */
static const char *get_eid_cmd_plain = "80E2910006BF3E035C015A00";
static const char *get_eid_rsp_plain = "bf3e125a1089882119900000000000000000000005";
static const char *case_plain[4] = { "80F22002", "80ca006600", "80F220020a4f0212345c054f9f70c5", "80f28002024f0000" };

struct pysim_vec {
	const char *name;
	size_t key_len;
	const char *iu_cmd, *iu_rsp, *ea_cmd, *eid_cmd, *eid_rsp, *cases[4];
};

static const struct pysim_vec pysim[] = {
	{ "AES128_11",
	  16,
	  "8050300008b13e5f938fc108c400",
	  "000000000000000000003003703eb51047495b249f66c484c1d2ef1948000002",
	  "84821100107d5f5826a993ebc89eea24957fa0b3ce",
	  "84e291000ebf3e035c015a558d036518a2829700",
	  "bf3e125a1089882119900000000000000000000005971be68992dbbdfa",
	  { "84f220020863a63f8959827fb2", "84ca006608a0c6a4a74166f7ce00",
	    "84f22002124f0212345c054f9f70c52249b50272656536", "84f280020a4f00e91443f6dce6b8ed00" } },
	{ "AES128_03",
	  16,
	  "80503000088e1552d0513c60f300",
	  "0000000000000000000030037030760cd2c47c1dd395065fe5ead8a9d7000001",
	  "8482030010fd4721a14d9b07003c451d2f8ae6bb21",
	  "84e2910018ca9c00f6713d79bc8baa642bdff51c3f6a4082d3bd9ad26c00",
	  "bf3e125a1089882119900000000000000000000005",
	  { "84f2200208c9811b11f1264cf1", "84ca006608e10ab60b3054798800",
	    "84f22002184e2908bdb48b2315a55482e9e936ca122d6ecfae7d17416e",
	    "84f28002180dd10a6b6193e5340b9e77d32d5a179cd710ac2773aefb2800" } },
	{ "AES128_33",
	  16,
	  "8050300008fdf38259a1e0de4400",
	  "000000000000000000003003703b1aca81e821f219081cdc01c26b372d000003",
	  "84823300108c36f96bcc00724a4e13ad591d7da3f0",
	  "84e2910018267a85dfe4a98fca6fb0527e0dfecce4914e40401433c87f00",
	  "f3ba2b1013aa6224f5e1c138d71805c569e5439b47576260b75fc021b25097cb2e68f8a0144975b9",
	  { "84f2200208ac6a59024bed84cc", "84ca006608409912ad8fb7aed000",
	    "84f22002185f3dafc3ac14c381536a488bf44e06d056df9d74dbd21e5a",
	    "84f280021865165105be3373347d0424d4400af2ac393f569ec779389e00" } },
	{ "AES192_11",
	  24,
	  "80503100087396430b768b085b00",
	  "000000000000000000003103708cfc23522ffdbf1e5df5542cac8fd866000003",
	  "84821100102145ed30b146f5db252fb7e624cec244",
	  "84e291000ebf3e035c015aff42cf801d14394400",
	  "bf3e125a1089882119900000000000000000000005162fbd33e04940a9",
	  { "84f22002084584e4f6784811ee", "84ca006608937776ebe190fa3000",
	    "84f22002124f0212345c054f9f70c59a52bddf3040368c", "84f280020a4f009804b11411f7393d00" } },
	{ "AES192_03",
	  24,
	  "805031000869c65da8202bf19f00",
	  "00000000000000000000310370b570a67be38446717729d6dd3d2ec5b1000001",
	  "848203001065df4f1a356a887905466516d9e5b7c1",
	  "84e2910018d2c6fb477c5d4afe4fd4d21f17eff10d3578ec1774a12a2d00",
	  "bf3e125a1089882119900000000000000000000005",
	  { "84f2200208964e188f0b1bb697", "84ca006608f0820035a41d3e1800",
	    "84f220021806b076ed452cd1fa84f77f5c08a146aa77a9286757dea791",
	    "84f2800218d06527e39222dce091fabdb8e9b898417a67a6852d3577db00" } },
	{ "AES192_33",
	  24,
	  "80503100089b3f2eef0e8c937400",
	  "00000000000000000000310370f6bb305a15bae1a68f79fb08212fbed7000002",
	  "84823300109100bc22d58b45b86a26365ce39ff3cf",
	  "84e29100188f7f946c84f70d17994bc6e8791251bb1bb1bf02cf8de58900",
	  "c05176c1b6f72aae50c32cbee63b0e95998928fd4dfb2be9f27ffde8c8476f5909b4805cc4039599",
	  { "84f2200208d5d97754b6b3d2ba", "84ca006608516c82b8e30adbeb00",
	    "84f2200218cc247f4761e6944277a4e0d6e32e44025b1e31537e2fc668",
	    "84f2800218ba22b63d509bef5d093b43e5eaed03ed23144ab2d9cb51de00" } },
	{ "AES256_11",
	  32,
	  "805032000811666d57866c6f5400",
	  "0000000000000000000032037053ea8847efa7674e41498a4d66cf0dee000003",
	  "84821100102f2ad190eff2fafc4908996d1cebd310",
	  "84e291000ebf3e035c015af4b680372542b59d00",
	  "bf3e125a10898821199000000000000000000000058012dd7f01f1c4c1",
	  { "84f2200208d618b7da68d5fe52", "84ca0066088f3e055db23ad5e500",
	    "84f22002124f0212345c054f9f70c5b6e15cc42404915e", "84f280020a4f00aa124aa74afe7f7500" } },
	{ "AES256_03",
	  32,
	  "8050320008c6066990fc426e1d00",
	  "000000000000000000003203708682cd81bbd8919f2de3f2664581f118000001",
	  "848203001077c493b632edadaf865a1e64acc07ce9",
	  "84e29100183ddaa60594963befaada3525b492ede23c2ab2c1ce3afe4400",
	  "bf3e125a1089882119900000000000000000000005",
	  { "84f2200208480ddc8e419da38d", "84ca0066083e9d6a6c0b2d732000",
	    "84f22002183ebfef2da8b04af2a85f491f299b76973df76ff08a4031be",
	    "84f2800218783fff80990f5585b1055010ea95094a26e4a8f1ef4b18e100" } },
	{ "AES256_33",
	  32,
	  "805032000897b2055fe58599fd00",
	  "00000000000000000000320370a8439a22cedf045fa9f1903b2834f26e000002",
	  "8482330010508a0fd959d2e547c6b33154a6be2057",
	  "84e29100187a5ef717eaf1e135ae92fe54429d0e465decda65f5fe5aea00",
	  "ea90dbfa648a67c5eb6abc57f8530b97d0cd5647c5e8732016b55203b078dd2ace7f8bc5d1c1cd99",
	  { "84f2200208bcc5c17275545d93", "84ca00660804806aba9d543bb600",
	    "84f2200218717222491556ec81a45f49ce48be33320024801a1c4cb0e0",
	    "84f2800218561f105bccd3a1642904b251ccc1228beb80a82370a8637000" } },
};

/* pySim's keysets: ENC = 00 01 02 …, MAC = 10 11 12 … (the 24/32-byte keys repeat the pattern). */
static void pysim_keys(size_t key_len, uint8_t enc[32], uint8_t mac[32])
{
	for (size_t i = 0; i < key_len; i++) {
		enc[i] = (uint8_t)(i % 16);
		mac[i] = (uint8_t)(0x10 + i % 16);
	}
}

static void assert_bytes(const uint8_t *got, int n, const char *want_hex)
{
	size_t wl;
	uint8_t *want = test_unhex(want_hex, &wl);

	CU_ASSERT_TRUE(n >= 0);
	if (n >= 0)
		TEST_ASSERT_MEM_EQ(got, (size_t)n, want, wl);
	free(want);
}

/* Runs one pySim class through the host side and, in lock step, the card side. */
static void run_pysim(const struct pysim_vec *v)
{
	struct scp03_session host, card;
	struct scp03_iu_resp resp;
	struct scp03_init_update iu;
	uint8_t enc[32], mac[32], out[300], back[300];
	size_t iu_len, rsp_len, l;
	uint8_t *iu_cmd = test_unhex(v->iu_cmd, &iu_len), *iu_rsp = test_unhex(v->iu_rsp, &rsp_len), *buf;
	int n;

	pysim_keys(v->key_len, enc, mac);
	/* INITIALIZE UPDATE, both directions */
	CU_ASSERT_EQUAL_FATAL(scp03_init_update_cmd_decode(&iu, iu_cmd, iu_len), (int)iu_len);
	n = scp03_init_update_cmd(iu.kvn, iu.host_challenge, out, sizeof(out));
	assert_bytes(out, n, v->iu_cmd);
	CU_ASSERT_EQUAL_FATAL(scp03_iu_resp_decode(&resp, iu_rsp, rsp_len), (int)rsp_len);
	CU_ASSERT_EQUAL(resp.i_param, SCP03_I_SGP02);
	CU_ASSERT_EQUAL_FATAL(scp03_host_auth(&host, enc, mac, v->key_len, iu.host_challenge, &resp), 0);
	n = scp03_card_init_update(&card, enc, mac, v->key_len, &iu, &resp, out, sizeof(out));
	assert_bytes(out, n, v->iu_rsp);

	/* EXTERNAL AUTHENTICATE */
	buf = test_unhex(v->ea_cmd, &l);
	n = scp03_host_ext_auth_cmd(&host, buf[2], out, sizeof(out));
	assert_bytes(out, n, v->ea_cmd);
	free(buf);
	CU_ASSERT_EQUAL_FATAL(scp03_card_ext_auth(&card, out, (size_t)n), n);
	CU_ASSERT_EQUAL(card.level, host.level);

	/* GET EID: command wrap / unwrap, response wrap / unwrap */
	buf = test_unhex(get_eid_cmd_plain, &l);
	n = scp03_cmd_wrap(&host, buf, l, out, sizeof(out));
	assert_bytes(out, n, v->eid_cmd);
	n = scp03_cmd_unwrap(&card, out, (size_t)n, back, sizeof(back));
	assert_bytes(back, n, get_eid_cmd_plain);
	free(buf);
	buf = test_unhex(get_eid_rsp_plain, &l);
	n = scp03_rsp_wrap(&card, buf, l, 0x9000, out, sizeof(out));
	assert_bytes(out, n, v->eid_rsp);
	n = scp03_rsp_unwrap(&host, out, (size_t)n, 0x9000, back, sizeof(back));
	assert_bytes(back, n, get_eid_rsp_plain);
	free(buf);

	/* the four command cases */
	for (int c = 0; c < 4; c++) {
		buf = test_unhex(case_plain[c], &l);
		n = scp03_cmd_wrap(&host, buf, l, out, sizeof(out));
		assert_bytes(out, n, v->cases[c]);
		n = scp03_cmd_unwrap(&card, out, (size_t)n, back, sizeof(back));
		assert_bytes(back, n, case_plain[c]);
		free(buf);
	}
	CU_ASSERT_EQUAL(host.counter, 5);
	TEST_ASSERT_MEM_EQ(host.mcv, 16, card.mcv, 16);
	free(iu_cmd);
	free(iu_rsp);
}

void test_scp03_pysim_vectors(void)
{
	for (size_t i = 0; i < sizeof(pysim) / sizeof(pysim[0]); i++)
		run_pysim(&pysim[i]);
}

void test_scp03_kaoh_mutual_auth(void)
{
	/* kaoh/globalplatform globalplatform/src/scp03Test.c, mutual_auth(): static keys, challenges and
	 * the expected session keys, card cryptogram and EXTERNAL AUTHENTICATE (level 03). */
	size_t l;
	uint8_t *enc = test_unhex("F995D0A069335C7DF42E590317FFEA6D", &l);
	uint8_t *mac = test_unhex("58563362EC5A4541ABCD32B34B1EAE7D", &l);
	uint8_t *hc = test_unhex("9BD6BF878FB8E991", &l), *cc = test_unhex("3C80C2CC87EB3A35", &l);
	struct scp03_session s;
	uint8_t out[32];

	CU_ASSERT_EQUAL_FATAL(scp03_session_derive(&s, enc, mac, 16, hc, cc), 0);
	TEST_ASSERT_HEX_EQ(s.s_enc, 16, "D83EE38C9954C8078987A5E9EE6AB13C");
	TEST_ASSERT_HEX_EQ(s.s_mac, 16, "6FF37716E0413065E8DFD08BF1E9EC5E");
	TEST_ASSERT_HEX_EQ(s.s_rmac, 16, "0254C786E57ACA8982670C1C1A05FF12");
	TEST_ASSERT_HEX_EQ(s.card_cryptogram, 8, "E4EDBA35E629C336");
	CU_ASSERT_EQUAL(scp03_host_ext_auth_cmd(&s, SCP03_SL_CMAC_CDEC, out, sizeof(out)), 21);
	TEST_ASSERT_HEX_EQ(out, 21, "8482030010 23EBFEDC579D22CD CDB6A25A5FF7891F");
	free(hc);
	free(cc);
	free(enc);
	free(mac);
}

void test_scp03_kaoh_delete_cdec(void)
{
	/* kaoh scp03Test.c, delete_application(): session keys, EXTERNAL AUTHENTICATE (level 03) and the
	 * C-DEC + C-MAC protected DELETE of AID A00100015141434C (counter 1). */
	size_t l;
	uint8_t *enc = test_unhex("F995D0A069335C7DF42E590317FFEA6D", &l);
	uint8_t *mac = test_unhex("58563362EC5A4541ABCD32B34B1EAE7D", &l);
	uint8_t *hc = test_unhex("B2BDE1A2DC66BD56", &l), *cc = test_unhex("C40932A6FEFEAEB2", &l);
	uint8_t *del = test_unhex("80E40080 0A 4F08A00100015141434C", &l);
	struct scp03_session s;
	uint8_t out[64];

	CU_ASSERT_EQUAL_FATAL(scp03_session_derive(&s, enc, mac, 16, hc, cc), 0);
	TEST_ASSERT_HEX_EQ(s.s_enc, 16, "9B841BB63D1087484FF7F16802017243");
	TEST_ASSERT_HEX_EQ(s.s_mac, 16, "8117FE5ADED74AC0DAABE9FB81DBDB67");
	TEST_ASSERT_HEX_EQ(s.s_rmac, 16, "4521D75E4D6F60DBFB8AB4EE254EF6F1");
	TEST_ASSERT_HEX_EQ(s.card_cryptogram, 8, "E127185170F45FCA");
	CU_ASSERT_EQUAL(scp03_host_ext_auth_cmd(&s, SCP03_SL_CMAC_CDEC, out, sizeof(out)), 21);
	TEST_ASSERT_HEX_EQ(out, 21, "8482030010 59D54D932423D29F 6313C970875F8C2F");
	CU_ASSERT_EQUAL(scp03_cmd_wrap(&s, del, l, out, sizeof(out)), 29);
	TEST_ASSERT_HEX_EQ(out, 29, "84E4008018 29F06AEC3180B3EFE91FF662310B945D E0D5FE66AD67A5B6");
	free(del);
	free(hc);
	free(cc);
	free(enc);
	free(mac);
}

void test_scp03_card_challenge_sgp02(void)
{
	/* sgp02-open-questions.md §15 V4 (recomputed from a recorded SGP.02 session): the pseudo-random
	 * card challenge KDF(ENC, 02, seq 000001 ‖ ISD-P AID) with ENC from V3. */
	size_t l, al;
	uint8_t *enc = test_unhex("533AF4EFC4096F331A7361AFBFBCFDA1", &l);
	uint8_t *aid = test_unhex("A0000005591010FFFFFFFF8900001300", &al);
	const uint8_t seq[3] = { 0, 0, 1 };
	uint8_t cc[8];

	CU_ASSERT_EQUAL(scp03_card_challenge(enc, l, seq, aid, al, cc), 0);
	TEST_ASSERT_HEX_EQ(cc, 8, "89FD29189E851E8A");
	CU_ASSERT_EQUAL(scp03_card_challenge(enc, l, seq, aid, 4, cc), -EINVAL);
	free(enc);
	free(aid);
}

void test_scp03_kdf_args(void)
{
	uint8_t key[16] = { 0 }, out[65];

	CU_ASSERT_EQUAL(scp03_kdf(key, 15, 0, NULL, 0, out, 16), -EINVAL);
	CU_ASSERT_EQUAL(scp03_kdf(key, 16, 0, NULL, 0, out, 0), -EINVAL);
	CU_ASSERT_EQUAL(scp03_kdf(key, 16, 0, NULL, 0, out, 65), -EINVAL);
	CU_ASSERT_EQUAL(scp03_kdf(key, 16, 0, NULL, 65, out, 16), -EINVAL);
	/* L is part of the input: a 16-byte output is not a prefix of a 32-byte one. */
	uint8_t a[16], b[32];
	CU_ASSERT_EQUAL(scp03_kdf(key, 16, 4, key, 16, a, 16), 0);
	CU_ASSERT_EQUAL(scp03_kdf(key, 16, 4, key, 16, b, 32), 0);
	CU_ASSERT_NOT_EQUAL(memcmp(a, b, 16), 0);
}

void test_scp03_sec_level_names(void)
{
	static const uint8_t ok[] = { 0x01, 0x03, 0x11, 0x13, 0x33 };

	for (size_t i = 0; i < sizeof(ok); i++) {
		CU_ASSERT_TRUE(scp03_sec_level_valid(ok[i]));
		CU_ASSERT_PTR_NOT_NULL(get_value_string_or_null(scp03_sec_level_names, ok[i]));
	}
	CU_ASSERT_FALSE(scp03_sec_level_valid(0x00));
	CU_ASSERT_FALSE(scp03_sec_level_valid(0x21));
	CU_ASSERT_FALSE(scp03_sec_level_valid(0x31));
}

/* A session pair after EXTERNAL AUTHENTICATE at `level` (pySim AES-128 keys, fixed challenges). */
static void pair(struct scp03_session *host, struct scp03_session *card, uint8_t level)
{
	uint8_t enc[32], mac[32], ea[32];
	const uint8_t hc[8] = { 1, 2, 3, 4, 5, 6, 7, 8 }, cc[8] = { 9, 8, 7, 6, 5, 4, 3, 2 };

	pysim_keys(16, enc, mac);
	CU_ASSERT_EQUAL_FATAL(scp03_session_derive(host, enc, mac, 16, hc, cc), 0);
	*card = *host;
	CU_ASSERT_EQUAL_FATAL(scp03_host_ext_auth_cmd(host, level, ea, sizeof(ea)), 21);
	CU_ASSERT_EQUAL_FATAL(scp03_card_ext_auth(card, ea, 21), 21);
}

void test_scp03_bad_card_cryptogram(void)
{
	struct scp03_session s;
	struct scp03_iu_resp resp;
	uint8_t enc[32], mac[32];
	size_t l;
	uint8_t *rsp = test_unhex(pysim[0].iu_rsp, &l), *hc = test_unhex("b13e5f938fc108c4", &l);

	pysim_keys(16, enc, mac);
	rsp[21] ^= 0x01; /* first cryptogram byte */
	CU_ASSERT_EQUAL_FATAL(scp03_iu_resp_decode(&resp, rsp, 32), 32);
	CU_ASSERT_EQUAL(scp03_host_auth(&s, enc, mac, 16, hc, &resp), -EACCES);
	CU_ASSERT_FALSE(s.authenticated);
	CU_ASSERT_EQUAL(s.key_len, 0); /* keys wiped */
	free(rsp);
	free(hc);
}

void test_scp03_bad_ext_auth(void)
{
	struct scp03_session host, card, card2;
	uint8_t enc[32], mac[32], ea[32];
	const uint8_t hc[8] = { 0 }, cc[8] = { 1 };

	pysim_keys(16, enc, mac);
	CU_ASSERT_EQUAL_FATAL(scp03_session_derive(&host, enc, mac, 16, hc, cc), 0);
	card = card2 = host;
	CU_ASSERT_EQUAL_FATAL(scp03_host_ext_auth_cmd(&host, SCP03_SL_CMAC_CDEC_RMAC_RENC, ea, sizeof(ea)), 21);
	ea[20] ^= 0x80; /* C-MAC */
	CU_ASSERT_EQUAL(scp03_card_ext_auth(&card, ea, 21), -EACCES);
	CU_ASSERT_FALSE(card.authenticated);
	ea[20] ^= 0x80;
	ea[5] ^= 0x01; /* host cryptogram: the MAC covers it, so this is also a MAC failure */
	CU_ASSERT_EQUAL(scp03_card_ext_auth(&card2, ea, 21), -EACCES);
	/* An invalid level is refused on both sides, even with a correct MAC on the card side. */
	CU_ASSERT_EQUAL_FATAL(scp03_session_derive(&host, enc, mac, 16, hc, cc), 0);
	card = host;
	CU_ASSERT_EQUAL(scp03_host_ext_auth_cmd(&host, 0x21, ea, sizeof(ea)), -EINVAL);
	CU_ASSERT_EQUAL_FATAL(scp03_host_ext_auth_cmd(&host, 0x33, ea, sizeof(ea)), 21);
	host.level = 0x21; /* forge: recompute the MAC over a header with level 21 */
	{
		uint8_t hdr[5] = { 0x84, 0x82, 0x21, 0x00, 0x10 };
		memset(host.mcv, 0, 16);
		CU_ASSERT_EQUAL(scp03_cmac_chain(&host, hdr, 5, ea + 5, 8, ea + 13), 0);
	}
	ea[2] = 0x21;
	CU_ASSERT_EQUAL(scp03_card_ext_auth(&card, ea, 21), -EINVAL);
}

void test_scp03_bad_cmac_and_replay(void)
{
	struct scp03_session host, card;
	uint8_t out[300], back[300], first[300];
	size_t l;
	uint8_t *plain = test_unhex(case_plain[2], &l);
	int n, n1;

	pair(&host, &card, SCP03_SL_CMAC_CDEC_RMAC_RENC);
	n1 = scp03_cmd_wrap(&host, plain, l, first, sizeof(first));
	CU_ASSERT_EQUAL_FATAL(scp03_cmd_unwrap(&card, first, (size_t)n1, back, sizeof(back)), (int)l);
	TEST_ASSERT_MEM_EQ(back, l, plain, l);
	/* replaying the same protected command: the MAC chain has moved on */
	CU_ASSERT_EQUAL(scp03_cmd_unwrap(&card, first, (size_t)n1, back, sizeof(back)), -EACCES);
	CU_ASSERT_FALSE(card.authenticated);
	/* once closed, the session refuses everything */
	n = scp03_cmd_wrap(&host, plain, l, out, sizeof(out));
	CU_ASSERT_EQUAL(scp03_cmd_unwrap(&card, out, (size_t)n, back, sizeof(back)), -EINVAL);

	/* a flipped C-MAC bit */
	pair(&host, &card, SCP03_SL_CMAC);
	n = scp03_cmd_wrap(&host, plain, l, out, sizeof(out));
	out[n - 1] ^= 0x01;
	CU_ASSERT_EQUAL(scp03_cmd_unwrap(&card, out, (size_t)n, back, sizeof(back)), -EACCES);
	free(plain);
}

void test_scp03_bad_rmac(void)
{
	struct scp03_session host, card;
	uint8_t out[300], back[300];
	size_t l;
	uint8_t *plain = test_unhex(get_eid_rsp_plain, &l), *cmd = test_unhex(get_eid_cmd_plain, &l);
	size_t pl = 21;
	int n;

	pair(&host, &card, SCP03_SL_CMAC_CDEC_RMAC);
	n = scp03_cmd_wrap(&host, cmd, l, out, sizeof(out));
	CU_ASSERT_TRUE_FATAL(scp03_cmd_unwrap(&card, out, (size_t)n, back, sizeof(back)) > 0);
	n = scp03_rsp_wrap(&card, plain, pl, 0x9000, out, sizeof(out));
	CU_ASSERT_EQUAL(n, (int)pl + 8);
	/* the same bytes with another status word fail: the SW is MACed */
	struct scp03_session copy = host;
	CU_ASSERT_EQUAL(scp03_rsp_unwrap(&copy, out, (size_t)n, 0x6310, back, sizeof(back)), -EACCES);
	out[0] ^= 0x01;
	CU_ASSERT_EQUAL(scp03_rsp_unwrap(&host, out, (size_t)n, 0x9000, back, sizeof(back)), -EACCES);
	/* error status words carry no protection and no data */
	pair(&host, &card, SCP03_SL_CMAC_CDEC_RMAC_RENC);
	CU_ASSERT_EQUAL(scp03_rsp_wrap(&card, plain, pl, 0x6A88, out, sizeof(out)), 0);
	CU_ASSERT_EQUAL(scp03_rsp_unwrap(&host, out, 0, 0x6A88, back, sizeof(back)), 0);
	CU_ASSERT_EQUAL(scp03_rsp_unwrap(&host, plain, 4, 0x6A88, back, sizeof(back)), -EBADMSG);
	free(plain);
	free(cmd);
}

void test_scp03_round_trip_all_levels(void)
{
	static const uint8_t levels[] = { 0x01, 0x03, 0x11, 0x13, 0x33 };
	uint8_t apdu[5 + 239 + 1], out[300], back[300], rsp[240];

	for (size_t li = 0; li < sizeof(levels); li++) {
		struct scp03_session host, card;

		pair(&host, &card, levels[li]);
		for (size_t dl = 0; dl <= 239; dl += 17) {
			size_t al = 4;
			int n;

			apdu[0] = 0x81; /* logical channel 1: kept on the wire, zero in the MAC */
			apdu[1] = 0xE2;
			apdu[2] = 0x91;
			apdu[3] = (uint8_t)dl;
			if (dl) {
				apdu[4] = (uint8_t)dl;
				CU_ASSERT_EQUAL_FATAL(crypto_random(apdu + 5, dl), 0);
				al = 5 + dl;
			}
			apdu[al++] = 0x00; /* Le */
			n = scp03_cmd_wrap(&host, apdu, al, out, sizeof(out));
			CU_ASSERT_TRUE_FATAL(n > 0);
			CU_ASSERT_EQUAL(out[0], 0x85);
			n = scp03_cmd_unwrap(&card, out, (size_t)n, back, sizeof(back));
			TEST_ASSERT_MEM_EQ(back, (size_t)n, apdu, al);
			CU_ASSERT_EQUAL_FATAL(crypto_random(rsp, dl), 0);
			n = scp03_rsp_wrap(&card, rsp, dl, 0x9000, out, sizeof(out));
			CU_ASSERT_TRUE_FATAL(n >= 0);
			n = scp03_rsp_unwrap(&host, out, (size_t)n, 0x9000, back, sizeof(back));
			TEST_ASSERT_MEM_EQ(back, (size_t)n, rsp, dl);
		}
		CU_ASSERT_TRUE(host.authenticated && card.authenticated);
	}
}

void test_scp03_wrap_limits(void)
{
	struct scp03_session host, card;
	uint8_t apdu[5 + 255], out[300];

	pair(&host, &card, SCP03_SL_CMAC_CDEC);
	memset(apdu, 0x11, sizeof(apdu));
	apdu[0] = 0x80;
	apdu[4] = 240; /* 240 → 256 after padding: does not fit a short APDU */
	CU_ASSERT_EQUAL(scp03_cmd_wrap(&host, apdu, 5 + 240, out, sizeof(out)), -EMSGSIZE);
	apdu[4] = 200;
	CU_ASSERT_EQUAL(scp03_cmd_wrap(&host, apdu, 5 + 200, out, 100), -EMSGSIZE);
	apdu[0] = 0x40; /* further interindustry CLA: not supported */
	CU_ASSERT_EQUAL(scp03_cmd_wrap(&host, apdu, 5 + 200, out, sizeof(out)), -EBADMSG);
	apdu[0] = 0x80;
	CU_ASSERT_EQUAL(scp03_cmd_wrap(&host, apdu, 3, out, sizeof(out)), -EAGAIN);
	CU_ASSERT_EQUAL(scp03_cmd_wrap(&host, apdu, 5 + 202, out, sizeof(out)), -EBADMSG);
	/* not authenticated yet */
	struct scp03_session none = { 0 };
	CU_ASSERT_EQUAL(scp03_cmd_wrap(&none, apdu, 4, out, sizeof(out)), -EINVAL);
}

static int iu_resp_cb(const uint8_t *buf, size_t len, void *priv)
{
	struct scp03_iu_resp r;

	return scp03_iu_resp_decode(&r, buf, len);
}

static int iu_cmd_cb(const uint8_t *buf, size_t len, void *priv)
{
	struct scp03_init_update r;

	return scp03_init_update_cmd_decode(&r, buf, len);
}

void test_scp03_iu_truncations(void)
{
	size_t l, cl;
	uint8_t *rsp = test_unhex(pysim[0].iu_rsp, &l), *cmd = test_unhex(pysim[0].iu_cmd, &cl);
	struct scp03_iu_resp r;
	uint8_t out[32];

	/* the 29-byte form (no sequence counter) is itself valid, so check prefixes below it */
	CU_ASSERT_EQUAL(TEST_TRUNCATIONS_REJECTED(rsp, SCP03_IU_RESP_LEN, iu_resp_cb, NULL), 0);
	CU_ASSERT_EQUAL(iu_resp_cb(rsp, 30, NULL), -EBADMSG);
	CU_ASSERT_EQUAL(iu_resp_cb(rsp, 31, NULL), -EBADMSG);
	CU_ASSERT_EQUAL(scp03_iu_resp_decode(&r, rsp, l), 32);
	CU_ASSERT_EQUAL(scp03_iu_resp_encode(&r, out, sizeof(out)), 32);
	TEST_ASSERT_MEM_EQ(out, 32, rsp, l);
	CU_ASSERT_EQUAL(scp03_iu_resp_encode(&r, out, 31), -EMSGSIZE);
	CU_ASSERT_EQUAL(TEST_TRUNCATIONS_REJECTED(cmd, cl - 1, iu_cmd_cb, NULL), 0);
	CU_ASSERT_TRUE(test_mutations_run(rsp, l, iu_resp_cb, NULL) > 0);
	rsp[11] = 0x02; /* SCP02 */
	CU_ASSERT_EQUAL(iu_resp_cb(rsp, l, NULL), -EBADMSG);
	free(rsp);
	free(cmd);
}

/* Every truncation and every byte mutation of a protected command and a protected response must be
 * rejected by the verifying side (only the unchanged byte value passes). Each call starts from a
 * copy of the session, since a failure closes it. */
struct verify_ctx {
	struct scp03_session s;
	uint16_t sw;
};

static int cmd_unwrap_cb(const uint8_t *buf, size_t len, void *priv)
{
	struct verify_ctx *c = priv;
	struct scp03_session s = c->s;
	uint8_t out[300];

	return scp03_cmd_unwrap(&s, buf, len, out, sizeof(out));
}

static int rsp_unwrap_cb(const uint8_t *buf, size_t len, void *priv)
{
	struct verify_ctx *c = priv;
	struct scp03_session s = c->s;
	uint8_t out[300];

	return scp03_rsp_unwrap(&s, buf, len, c->sw, out, sizeof(out));
}

void test_scp03_unwrap_truncations_mutations(void)
{
	struct scp03_session host, card;
	struct verify_ctx ctx;
	uint8_t out[300], back[300];
	size_t l;
	uint8_t *plain = test_unhex(case_plain[3], &l), *rsp = test_unhex(get_eid_rsp_plain, &l);
	int n;

	pair(&host, &card, SCP03_SL_CMAC_CDEC_RMAC_RENC);
	plain = realloc(plain, 8);
	n = scp03_cmd_wrap(&host, plain, 8, out, sizeof(out));
	CU_ASSERT_TRUE_FATAL(n > 0);
	ctx.s = card;
	/* a protected case-4 command minus its Le is a valid case-3 command: stop one short of that */
	CU_ASSERT_EQUAL(TEST_TRUNCATIONS_REJECTED(out, (size_t)n - 1, cmd_unwrap_cb, &ctx), 0);
	/* Only the unchanged value of each byte passes, except in CLA: the logical channel (85, 86, 87)
	 * and bit 08 (8C–8F) are outside the MAC by design (GP Amd D §6.2.4), so 7 more. */
	CU_ASSERT_EQUAL(test_mutations_run(out, (size_t)n - 1, cmd_unwrap_cb, &ctx), (unsigned long)(n - 1 + 7));
	CU_ASSERT_TRUE_FATAL(scp03_cmd_unwrap(&card, out, (size_t)n, back, sizeof(back)) > 0);

	n = scp03_rsp_wrap(&card, rsp, 21, 0x9000, out, sizeof(out));
	CU_ASSERT_EQUAL_FATAL(n, 32 + 8);
	ctx.s = host;
	ctx.sw = 0x9000;
	CU_ASSERT_EQUAL(TEST_TRUNCATIONS_REJECTED(out, (size_t)n, rsp_unwrap_cb, &ctx), 0);
	CU_ASSERT_EQUAL(test_mutations_run(out, (size_t)n, rsp_unwrap_cb, &ctx), (unsigned long)n);
	free(plain);
	free(rsp);
}
