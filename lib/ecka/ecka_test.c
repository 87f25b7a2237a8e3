/* ECKA-EG: the recomputed SGP.02 vectors of open-questions §15 (V2, V3) first; then the card side
 * against the host side on both curves and for every variant, each checked against an independent
 * second computation in this file (ECDH with raw EVP_PKEY_derive, the KDF with OpenSSL's EVP_KDF
 * "X963KDF", the receipt with EVP_MAC CMAC, SharedInfo assembled by hand); then decoders
 * (truncations, mutations) and the negative cases (wrong receipt, wrong key, bad point). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>

#include "lib/crypto/sym.h"
#include "lib/ecka/ecka.h"
#include "lib/test/runner.h"

/* open-questions §15 */
static const char *pk_ecasd_hex = "04 3F157A6242EC54888EB50967BD84D1A885E51D66B2F6CD135354724C91D790ED"
				  "B48B015F6B272DF50E49EAB2E1383BF0EEB0E9848543B971397D274D88E8EA77";
static const char *esk_dp_hex = "4FFC58BA23F4A6825BFF0B5612BE37DDF1257E183672499DDE6EBD80FD3E4D3C";
static const char *epk_dp_hex = "04 E6D0C71F98538A8344C22C46A252F3A8F85C8AD77480C1E1C9A1F77FD1272495"
				"8ACD75B1C04F83BB7E7D10FA248825E08993A933C79B54E48B68E78FD4AF4D97";
static const char *crt_v2_hex = "A615900203099501108001888101108201018301309100";

/* --- independent computations ------------------------------------------------------------------- */

static void evp_ecdh(EVP_PKEY *priv, EVP_PKEY *peer, uint8_t out[32])
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new(priv, NULL);
	size_t len = 32;

	CU_ASSERT_FATAL(ctx != NULL);
	CU_ASSERT_EQUAL(EVP_PKEY_derive_init(ctx), 1);
	CU_ASSERT_EQUAL(EVP_PKEY_derive_set_peer(ctx, peer), 1);
	CU_ASSERT_EQUAL(EVP_PKEY_derive(ctx, out, &len), 1);
	CU_ASSERT_EQUAL(len, 32);
	EVP_PKEY_CTX_free(ctx);
}

static void evp_x963(const uint8_t *z, size_t zl, const uint8_t *si, size_t sil, uint8_t *out, size_t ol)
{
	EVP_KDF *kdf = EVP_KDF_fetch(NULL, "X963KDF", NULL);
	EVP_KDF_CTX *ctx = EVP_KDF_CTX_new(kdf);
	OSSL_PARAM p[] = { OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, "SHA256", 0),
			   OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, (void *)z, zl),
			   OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, (void *)si, sil),
			   OSSL_PARAM_construct_end() };

	CU_ASSERT_EQUAL(EVP_KDF_derive(ctx, out, ol, p), 1);
	EVP_KDF_CTX_free(ctx);
	EVP_KDF_free(kdf);
}

static void evp_cmac(const uint8_t *key, const uint8_t *msg, size_t len, uint8_t out[16])
{
	EVP_MAC *mac = EVP_MAC_fetch(NULL, "CMAC", NULL);
	EVP_MAC_CTX *ctx = EVP_MAC_CTX_new(mac);
	OSSL_PARAM p[] = { OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_CIPHER, "AES-128-CBC", 0),
			   OSSL_PARAM_construct_end() };
	size_t ol = 0;

	CU_ASSERT_EQUAL(EVP_MAC_init(ctx, key, 16, p), 1);
	CU_ASSERT_EQUAL(EVP_MAC_update(ctx, msg, len), 1);
	CU_ASSERT_EQUAL(EVP_MAC_final(ctx, out, &ol, 16), 1);
	EVP_MAC_CTX_free(ctx);
	EVP_MAC_free(mac);
}

static EVP_PKEY *key_from_hex(enum crypto_curve curve, const char *hex, bool priv)
{
	size_t l;
	uint8_t *b = test_unhex(hex, &l);
	EVP_PKEY *k = NULL;

	CU_ASSERT_EQUAL_FATAL(priv ? crypto_ec_from_private(curve, b, l, &k) : crypto_ec_from_public(curve, b, l, &k),
			      0);
	free(b);
	return k;
}

/* --- published / recomputed vectors ------------------------------------------------------------- */

void test_ecka_v2_crt_and_epk(void)
{
	struct ecka_crt c;
	uint8_t out[128];
	size_t l, pl;
	uint8_t *crt = test_unhex(crt_v2_hex, &l), *pt = test_unhex(epk_dp_hex, &pl);
	const uint8_t *p;
	int n;

	/* V2: the CRT the SM-DP sent is our ISD-P default CRT with KVN 30 */
	ecka_crt_default(&c, ECKA_TARGET_ISDP, NULL, 0x30);
	n = ecka_crt_encode(&c, out, sizeof(out));
	TEST_ASSERT_HEX_EQ(out, (size_t)n, crt_v2_hex);
	CU_ASSERT_EQUAL(ecka_crt_decode(&c, crt, l), (int)l);
	CU_ASSERT_EQUAL(c.param, 0x09);
	CU_ASSERT_EQUAL(c.kuq, 0x10);
	CU_ASSERT_EQUAL(c.kvn, 0x30);
	CU_ASSERT_EQUAL(c.counter_len, 0);
	/* V2: ePK as 7F49 41 <raw point> (EPK_RAW) */
	n = ecka_epk_encode(ECKA_EPK_RAW, pt, CRYPTO_CURVE_P256, out, sizeof(out));
	CU_ASSERT_EQUAL(n, 3 + 65);
	TEST_ASSERT_HEX_EQ(out, 5, "7F494104E6");
	CU_ASSERT_EQUAL(ecka_epk_decode(out, (size_t)n, &p), n);
	TEST_ASSERT_MEM_EQ(p, 65, pt, pl);
	/* the default B0/F0 form: 7F49 46 B0 41 <point> F0 01 00 */
	n = ecka_epk_encode(ECKA_EPK_B0_F0, pt, CRYPTO_CURVE_P256, out, sizeof(out));
	CU_ASSERT_EQUAL(n, 3 + 0x46);
	TEST_ASSERT_HEX_EQ(out, 5, "7F4946B041");
	TEST_ASSERT_HEX_EQ(out + n - 3, 3, "F00100");
	CU_ASSERT_EQUAL(ecka_epk_decode(out, (size_t)n, &p), n);
	TEST_ASSERT_MEM_EQ(p, 65, pt, pl);
	n = ecka_epk_encode(ECKA_EPK_B0, pt, CRYPTO_CURVE_BRAINPOOLP256R1, out, sizeof(out));
	CU_ASSERT_EQUAL(n, 3 + 0x43);
	CU_ASSERT_EQUAL(ecka_epk_decode(out, (size_t)n, &p), n);
	free(crt);
	free(pt);
}

void test_ecka_v3_host_side(void)
{
	/* V3: eSK.DP with PK.ECASD.ECKA → ShS, KeyData = receipt key ‖ ENC ‖ MAC ‖ DEK, receipt over V2's CRT
	 * equal to the card's `86 10 …`. */
	EVP_PKEY *card_pub = key_from_hex(CRYPTO_CURVE_P256, pk_ecasd_hex, false);
	struct ecka_host h;
	struct ecka_keys k;
	struct ecka_crt c;
	uint8_t rcpt[16];
	size_t el, cl, rl;
	uint8_t *esk = test_unhex(esk_dp_hex, &el), *crt = test_unhex(crt_v2_hex, &cl);
	uint8_t *card_rcpt = test_unhex("C54FD902ABF8ECCB0ED83C51C504A041", &rl);

	CU_ASSERT_EQUAL_FATAL(ecka_host_start(&h, card_pub, esk, el), 0);
	TEST_ASSERT_HEX_EQ(h.epk, 65, epk_dp_hex);
	TEST_ASSERT_HEX_EQ(h.shs, 32, "B41C57B3E9BDFD26E5C361CAD7B763C54B8D33DF9B06B1FDDB8CB65A7B5AC75D");
	CU_ASSERT_EQUAL_FATAL(ecka_crt_decode(&c, crt, cl), (int)cl);
	CU_ASSERT_EQUAL(ecka_derive(h.shs, &c, NULL, 0, ECKA_TARGET_ISDP, NULL, &k), 0);
	CU_ASSERT_EQUAL(k.n_keys, 3);
	TEST_ASSERT_HEX_EQ(k.receipt_key, 16, "934A62019E6F7832BBA601E32BBA0DDD");
	TEST_ASSERT_HEX_EQ(k.key[0], 16, "533AF4EFC4096F331A7361AFBFBCFDA1");
	TEST_ASSERT_HEX_EQ(k.key[1], 16, "E9E10E0BB335081D5ED498F63850AC82");
	TEST_ASSERT_HEX_EQ(k.key[2], 16, "B01C437002CC21587CF95C145AA529B0");
	CU_ASSERT_EQUAL(ecka_receipt(&k, crt, cl, NULL, 0, ECKA_RECEIPT_A6_THEN_DR_IF_ANY, rcpt), 0);
	TEST_ASSERT_MEM_EQ(rcpt, 16, card_rcpt, rl);
	/* the full host step checks the card's receipt… */
	memset(&k, 0, sizeof(k));
	CU_ASSERT_EQUAL(ecka_host_finish(&h, crt, cl, NULL, 0, card_rcpt, rl, ECKA_TARGET_ISDP, NULL, &k), 0);
	TEST_ASSERT_HEX_EQ(k.key[0], 16, "533AF4EFC4096F331A7361AFBFBCFDA1");
	/* …and refuses a wrong one */
	card_rcpt[15] ^= 0x01;
	CU_ASSERT_EQUAL(ecka_host_finish(&h, crt, cl, NULL, 0, card_rcpt, rl, ECKA_TARGET_ISDP, NULL, &k), -EACCES);
	CU_ASSERT_EQUAL(ecka_host_finish(&h, crt, cl, NULL, 0, card_rcpt, 15, ECKA_TARGET_ISDP, NULL, &k), -EACCES);
	/* a DR the CRT did not ask for is malformed */
	CU_ASSERT_EQUAL(ecka_host_finish(&h, crt, cl, rcpt, 16, card_rcpt, rl, ECKA_TARGET_ISDP, NULL, &k), -EBADMSG);
	ecka_host_free(&h);
	EVP_PKEY_free(card_pub);
	free(esk);
	free(crt);
	free(card_rcpt);
}

/* --- card against host, both against the independent computation ------------------------------- */

struct scenario {
	const char *name;
	enum crypto_curve curve;
	enum ecka_target target;
	struct ecka_variants v;
	bool host_id;
};

static void run_scenario(const struct scenario *s)
{
	static const uint8_t host_id[16] = { 0xA5, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 0x5A };
	EVP_PKEY *sk = NULL, *card_pub = NULL, *epk_key = NULL;
	struct ecka_card_result cr;
	struct ecka_host h;
	struct ecka_keys hk;
	struct ecka_crt c;
	uint8_t pub[65], crt[ECKA_CRT_MAX], shs[32], si[64], kd[128], mac_in[128], rcpt[16];
	size_t sil = 0, kdl, mil;
	int cl;

	/* the eUICC's ECASD key pair, and the CRT the host sends */
	CU_ASSERT_EQUAL_FATAL(crypto_ec_generate(s->curve, &sk), 0);
	CU_ASSERT_EQUAL_FATAL(crypto_ec_export_public(sk, pub), 0);
	CU_ASSERT_EQUAL_FATAL(crypto_ec_from_public(s->curve, pub, 65, &card_pub), 0);
	ecka_crt_default(&c, s->target, &s->v, 0x30);
	if (s->host_id) {
		c.param |= ECKA_SP_HOSTID;
		c.host_id = host_id;
		c.host_id_len = sizeof(host_id);
	}
	cl = ecka_crt_encode(&c, crt, sizeof(crt));
	CU_ASSERT_TRUE_FATAL(cl > 0);

	/* host → card → host */
	CU_ASSERT_EQUAL_FATAL(ecka_host_start(&h, card_pub, NULL, 0), 0);
	CU_ASSERT_EQUAL_FATAL(ecka_card_establish(sk, h.epk, 65, crt, (size_t)cl, s->target, &s->v, NULL, &cr), 0);
	CU_ASSERT_EQUAL(cr.dr_len, (c.param & ECKA_SP_DR) ? 16u : 0u);
	CU_ASSERT_EQUAL_FATAL(ecka_host_finish(&h, crt, (size_t)cl, cr.dr_len ? cr.dr : NULL, cr.dr_len, cr.receipt, 16,
					       s->target, &s->v, &hk),
			      0);
	CU_ASSERT_EQUAL(hk.n_keys, cr.keys.n_keys);
	TEST_ASSERT_MEM_EQ(hk.receipt_key, 16, cr.keys.receipt_key, 16);
	for (unsigned int i = 0; i < hk.n_keys; i++)
		TEST_ASSERT_MEM_EQ(hk.key[i], 16, cr.keys.key[i], 16);

	/* independent: ECDH on the card's side with raw EVP */
	CU_ASSERT_EQUAL_FATAL(crypto_ec_from_public(s->curve, h.epk, 65, &epk_key), 0);
	evp_ecdh(sk, epk_key, shs);
	TEST_ASSERT_MEM_EQ(shs, 32, h.shs, 32);
	/* independent: SharedInfo by hand, X963KDF, split, CMAC */
	si[sil++] = c.kuq;
	si[sil++] = s->target == ECKA_TARGET_ISDR_SCP81 ? 0x85 : 0x88;
	si[sil++] = 0x10;
	if (cr.dr_len && s->v.sharedinfo_order == ECKA_SI_DR_THEN_HOSTID) {
		memcpy(si + sil, cr.dr, cr.dr_len);
		sil += cr.dr_len;
	}
	if (s->host_id) {
		si[sil++] = 16;
		memcpy(si + sil, host_id, 16);
		sil += 16;
	}
	if (cr.dr_len && s->v.sharedinfo_order == ECKA_SI_HOSTID_THEN_DR) {
		memcpy(si + sil, cr.dr, cr.dr_len);
		sil += cr.dr_len;
	}
	kdl = 16 * (1 + (size_t)hk.n_keys);
	CU_ASSERT_EQUAL(kdl, ecka_key_data_len(s->target, &s->v, 16));
	evp_x963(shs, 32, si, sil, kd, kdl);
	TEST_ASSERT_MEM_EQ(kd, 16, hk.receipt_key, 16);
	for (unsigned int i = 0; i < hk.n_keys; i++)
		TEST_ASSERT_MEM_EQ(kd + 16 * (i + 1), 16, hk.key[i], 16);
	memcpy(mac_in, crt, (size_t)cl);
	mil = (size_t)cl;
	if (cr.dr_len && s->v.receipt_input == ECKA_RECEIPT_A6_THEN_DR_IF_ANY) {
		mac_in[mil++] = 0x85;
		mac_in[mil++] = (uint8_t)cr.dr_len;
		memcpy(mac_in + mil, cr.dr, cr.dr_len);
		mil += cr.dr_len;
	}
	evp_cmac(kd, mac_in, mil, rcpt);
	TEST_ASSERT_MEM_EQ(rcpt, 16, cr.receipt, 16);

	/* negative: a wrong receipt, and a receipt from a card with another ECASD key */
	cr.receipt[0] ^= 0x80;
	CU_ASSERT_EQUAL(ecka_host_finish(&h, crt, (size_t)cl, cr.dr_len ? cr.dr : NULL, cr.dr_len, cr.receipt, 16,
					 s->target, &s->v, &hk),
			-EACCES);
	{
		EVP_PKEY *other = NULL;
		struct ecka_card_result cr2;

		CU_ASSERT_EQUAL_FATAL(crypto_ec_generate(s->curve, &other), 0);
		CU_ASSERT_EQUAL(ecka_card_establish(other, h.epk, 65, crt, (size_t)cl, s->target, &s->v, cr.dr, &cr2),
				0);
		CU_ASSERT_EQUAL(ecka_host_finish(&h, crt, (size_t)cl, cr2.dr_len ? cr2.dr : NULL, cr2.dr_len,
						 cr2.receipt, 16, s->target, &s->v, &hk),
				-EACCES);
		EVP_PKEY_free(other);
	}
	ecka_host_free(&h);
	EVP_PKEY_free(epk_key);
	EVP_PKEY_free(card_pub);
	EVP_PKEY_free(sk);
}

/* The default variants with one field changed. */
static struct ecka_variants with_isdp_kuq(enum ecka_kuq x)
{
	struct ecka_variants v = ecka_variants_default;

	v.isdp_kuq = x;
	return v;
}

static struct ecka_variants with_isdr_kuq(enum ecka_kuq x)
{
	struct ecka_variants v = ecka_variants_default;

	v.isdr_kuq = x;
	return v;
}

static struct ecka_variants with_isdr_split(enum ecka_isdr_split x)
{
	struct ecka_variants v = ecka_variants_default;

	v.isdr_split = x;
	return v;
}

static struct ecka_variants with_receipt_input(enum ecka_receipt_input x)
{
	struct ecka_variants v = ecka_variants_default;

	v.receipt_input = x;
	return v;
}

static struct ecka_variants with_sharedinfo_order(enum ecka_sharedinfo_order x)
{
	struct ecka_variants v = ecka_variants_default;

	v.sharedinfo_order = x;
	return v;
}

static void scenario(const char *name, enum crypto_curve curve, enum ecka_target target, struct ecka_variants v,
		     bool host_id)
{
	struct scenario s = { name, curve, target, v, host_id };

	run_scenario(&s);
}

void test_ecka_default_isdp_both_curves(void)
{
	scenario("isdp-p256", CRYPTO_CURVE_P256, ECKA_TARGET_ISDP, ecka_variants_default, false);
	scenario("isdp-bp", CRYPTO_CURVE_BRAINPOOLP256R1, ECKA_TARGET_ISDP, ecka_variants_default, false);
}

void test_ecka_default_isdr_both_curves(void)
{
	/* ISD-R default: P = 0E (DR and HostID), 64-byte split */
	scenario("isdr-p256", CRYPTO_CURVE_P256, ECKA_TARGET_ISDR, ecka_variants_default, true);
	scenario("isdr-bp", CRYPTO_CURVE_BRAINPOOLP256R1, ECKA_TARGET_ISDR, ecka_variants_default, true);
}

void test_ecka_isdr_scp81_both_curves(void)
{
	struct ecka_crt c;
	uint8_t crt[ECKA_CRT_MAX];

	/* step 26's PSK-TLS key set (NJ CreateSCP81KeySet): 95 5C, 80 85, one key after the receipt key */
	scenario("scp81-p256", CRYPTO_CURVE_P256, ECKA_TARGET_ISDR_SCP81, ecka_variants_default, true);
	scenario("scp81-bp", CRYPTO_CURVE_BRAINPOOLP256R1, ECKA_TARGET_ISDR_SCP81, ecka_variants_default, true);
	CU_ASSERT_EQUAL(ecka_key_data_len(ECKA_TARGET_ISDR_SCP81, NULL, 16), 32u);
	ecka_crt_default(&c, ECKA_TARGET_ISDR_SCP81, NULL, 0x41);
	CU_ASSERT_EQUAL(ecka_crt_encode(&c, crt, sizeof(crt)), 23);
	TEST_ASSERT_HEX_EQ(crt, 23,
			   "A615"
			   "9002030E"
			   "95015C"
			   "800185"
			   "810110"
			   "820101"
			   "830141"
			   "9100");
}

void test_ecka_variant_kuq_5c(void)
{
	scenario("kuq5c", CRYPTO_CURVE_P256, ECKA_TARGET_ISDP, with_isdp_kuq(ECKA_KUQ_5C), false);
	scenario("kuq5c-r", CRYPTO_CURVE_P256, ECKA_TARGET_ISDR, with_isdr_kuq(ECKA_KUQ_5C), true);
	CU_ASSERT_STRING_EQUAL(get_value_string(ecka_kuq_names, ECKA_KUQ_5C), "5C");
}

void test_ecka_variant_isdp_basekey(void)
{
	/* Njiwa: KUQ 5C, one base key, DR included (P = 0A) */
	struct ecka_variants v = ecka_variants_default;

	v.isdp_kuq = ECKA_KUQ_5C;
	v.isdp_split = ECKA_ISDP_RCPT_BASEKEY;
	v.isdp_scenario_param = 0x0A;
	scenario("basekey", CRYPTO_CURVE_P256, ECKA_TARGET_ISDP, v, false);
	CU_ASSERT_EQUAL(ecka_key_data_len(ECKA_TARGET_ISDP, &v, 16), 32);
	CU_ASSERT_EQUAL(ecka_key_data_len(ECKA_TARGET_ISDP, NULL, 16), 64);
}

void test_ecka_variant_isdr_kic_kid(void)
{
	struct ecka_variants v = with_isdr_split(ECKA_ISDR_RCPT_KIC_KID);

	scenario("kic-kid", CRYPTO_CURVE_BRAINPOOLP256R1, ECKA_TARGET_ISDR, v, true);
	CU_ASSERT_EQUAL(ecka_key_data_len(ECKA_TARGET_ISDR, &v, 16), 48);
	CU_ASSERT_EQUAL(ecka_key_data_len(ECKA_TARGET_ISDR, NULL, 16), 64);
}

void test_ecka_variant_receipt_a6_only(void)
{
	scenario("a6only", CRYPTO_CURVE_P256, ECKA_TARGET_ISDR, with_receipt_input(ECKA_RECEIPT_A6_ONLY), true);
}

void test_ecka_variant_sharedinfo_hostid_first(void)
{
	scenario("hostid-dr", CRYPTO_CURVE_P256, ECKA_TARGET_ISDR, with_sharedinfo_order(ECKA_SI_HOSTID_THEN_DR), true);
}

/* The variants must change the result (otherwise their tests prove nothing), and a card and host on
 * different variants must disagree. */
void test_ecka_variants_distinct(void)
{
	static const uint8_t shs[32] = { 1, 2, 3 }, dr[16] = { 9 }, hid[4] = { 7, 7, 7, 7 };
	struct ecka_variants order = with_sharedinfo_order(ECKA_SI_HOSTID_THEN_DR);
	struct ecka_variants kic_kid = with_isdr_split(ECKA_ISDR_RCPT_KIC_KID);
	struct ecka_keys a, b;
	struct ecka_crt c;
	uint8_t crt[ECKA_CRT_MAX], ra[16], rb[16];
	int cl;

	ecka_crt_default(&c, ECKA_TARGET_ISDR, NULL, 0x02);
	c.host_id = hid;
	c.host_id_len = sizeof(hid);
	cl = ecka_crt_encode(&c, crt, sizeof(crt));
	CU_ASSERT_EQUAL(ecka_derive(shs, &c, dr, 16, ECKA_TARGET_ISDR, NULL, &a), 0);
	CU_ASSERT_EQUAL(ecka_derive(shs, &c, dr, 16, ECKA_TARGET_ISDR, &order, &b), 0);
	CU_ASSERT_NOT_EQUAL(memcmp(a.receipt_key, b.receipt_key, 16), 0);
	CU_ASSERT_EQUAL(ecka_receipt(&a, crt, (size_t)cl, dr, 16, ECKA_RECEIPT_A6_THEN_DR_IF_ANY, ra), 0);
	CU_ASSERT_EQUAL(ecka_receipt(&a, crt, (size_t)cl, dr, 16, ECKA_RECEIPT_A6_ONLY, rb), 0);
	CU_ASSERT_NOT_EQUAL(memcmp(ra, rb, 16), 0);
	c.kuq = ECKA_KUQ_5C;
	CU_ASSERT_EQUAL(ecka_derive(shs, &c, dr, 16, ECKA_TARGET_ISDR, NULL, &b), 0);
	CU_ASSERT_NOT_EQUAL(memcmp(a.receipt_key, b.receipt_key, 16), 0);
	/* the 48-byte split is a prefix of the 64-byte one: same KIc and KID, no KIK */
	c.kuq = ECKA_KUQ_10;
	CU_ASSERT_EQUAL(ecka_derive(shs, &c, dr, 16, ECKA_TARGET_ISDR, &kic_kid, &b), 0);
	CU_ASSERT_EQUAL(b.n_keys, 2);
	TEST_ASSERT_MEM_EQ(b.key[1], 16, a.key[1], 16);
	CU_ASSERT_STRING_EQUAL(get_value_string(ecka_sharedinfo_order_names, ecka_variants_default.sharedinfo_order),
			       "KUQ,TYPE,LEN,DR,HOSTID");
	CU_ASSERT_STRING_EQUAL(get_value_string(ecka_epk_encoding_names, ecka_variants_default.epk_encoding), "B0_F0");
	CU_ASSERT_STRING_EQUAL(get_value_string(ecka_isdp_split_names, ecka_variants_default.isdp_split), "RCPT_ENC_"
													  "MAC_DEK");
	CU_ASSERT_STRING_EQUAL(get_value_string(ecka_isdr_split_names, ecka_variants_default.isdr_split), "RCPT_KIC_"
													  "KID_KIK");
	CU_ASSERT_STRING_EQUAL(get_value_string(ecka_receipt_input_names, ecka_variants_default.receipt_input), "A6_"
														"THEN_"
														"DR_IF_"
														"ANY");
	CU_ASSERT_STRING_EQUAL(get_value_string(ecka_target_names, ECKA_TARGET_ISDR), "ISD-R");
}

void test_ecka_card_rejects_bad_input(void)
{
	EVP_PKEY *sk = key_from_hex(CRYPTO_CURVE_P256, esk_dp_hex, true);
	struct ecka_card_result r;
	size_t cl, pl;
	uint8_t *crt = test_unhex(crt_v2_hex, &cl), *pt = test_unhex(epk_dp_hex, &pl);

	CU_ASSERT_EQUAL(ecka_card_establish(sk, pt, pl, crt, cl, ECKA_TARGET_ISDP, NULL, NULL, &r), 0);
	pt[64] ^= 0x01; /* off the curve */
	CU_ASSERT_EQUAL(ecka_card_establish(sk, pt, pl, crt, cl, ECKA_TARGET_ISDP, NULL, NULL, &r), -EINVAL);
	pt[64] ^= 0x01;
	CU_ASSERT_EQUAL(ecka_card_establish(sk, pt, pl - 1, crt, cl, ECKA_TARGET_ISDP, NULL, NULL, &r), -EINVAL);
	/* a brainpool point for a P-256 key */
	crt[4] = 0x04; /* scenario 04 */
	CU_ASSERT_EQUAL(ecka_card_establish(sk, pt, pl, crt, cl, ECKA_TARGET_ISDP, NULL, NULL, &r), -EBADMSG);
	EVP_PKEY_free(sk);
	free(crt);
	free(pt);
}

static int crt_cb(const uint8_t *buf, size_t len, void *priv)
{
	struct ecka_crt c;

	return ecka_crt_decode(&c, buf, len);
}

static int epk_cb(const uint8_t *buf, size_t len, void *priv)
{
	const uint8_t *p;

	return ecka_epk_decode(buf, len, &p);
}

void test_ecka_decoders_truncations_mutations(void)
{
	static const uint8_t hid[16] = { 1 }, sdin[8] = { 2 }, ctr[5] = { 0, 0, 0, 0, 1 };
	uint8_t crt[ECKA_CRT_MAX], epk[80], back[ECKA_CRT_MAX];
	struct ecka_crt c, d;
	size_t pl;
	uint8_t *pt = test_unhex(epk_dp_hex, &pl);
	int n, m;

	ecka_crt_default(&c, ECKA_TARGET_ISDR, NULL, 0x02);
	c.host_id = hid;
	c.host_id_len = sizeof(hid);
	c.sdin = sdin;
	c.sdin_len = sizeof(sdin);
	c.counter = ctr;
	c.counter_len = sizeof(ctr);
	c.has_key_access = true;
	c.key_access = 0x01;
	n = ecka_crt_encode(&c, crt, sizeof(crt));
	CU_ASSERT_TRUE_FATAL(n > 0 && n <= ECKA_CRT_MAX);
	/* round trip */
	CU_ASSERT_EQUAL(ecka_crt_decode(&d, crt, (size_t)n), n);
	m = ecka_crt_encode(&d, back, sizeof(back));
	TEST_ASSERT_MEM_EQ(back, (size_t)m, crt, (size_t)n);
	CU_ASSERT_EQUAL(TEST_TRUNCATIONS_REJECTED(crt, (size_t)n, crt_cb, NULL), 0);
	CU_ASSERT_TRUE(test_mutations_run(crt, (size_t)n, crt_cb, NULL) > (unsigned long)n);
	CU_ASSERT_EQUAL(ecka_crt_encode(&c, crt, 10), -EMSGSIZE);
	/* a repeated tag and a missing mandatory one */
	CU_ASSERT_EQUAL(crt_cb((const uint8_t *)"\xA6\x06\x95\x01\x10\x95\x01\x10", 8, NULL), -EBADMSG);
	CU_ASSERT_EQUAL(crt_cb((const uint8_t *)"\xA6\x03\x95\x01\x10", 5, NULL), -EBADMSG);

	for (int e = ECKA_EPK_B0_F0; e <= ECKA_EPK_RAW; e++) {
		n = ecka_epk_encode((enum ecka_epk_encoding)e, pt, CRYPTO_CURVE_P256, epk, sizeof(epk));
		CU_ASSERT_EQUAL(TEST_TRUNCATIONS_REJECTED(epk, (size_t)n, epk_cb, NULL), 0);
		CU_ASSERT_TRUE(test_mutations_run(epk, (size_t)n, epk_cb, NULL) > 0);
	}
	free(pt);
}
