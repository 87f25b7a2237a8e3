/* Tests of the GP-format certificate codec, signing and checks (digest §4.6). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/x509v3.h>

#include "lib/crypto/ec.h"
#include "lib/crypto/x509.h"
#include "lib/gpcert/gpcert.h"
#include "lib/test/runner.h"

/* open-questions §15: the WT test CI and SM-DP keys (WT FirstStoreDataforISDPApdu.java:47,
 * PersonalAllISDPHandler.java:61) and the derived PK.CI. */
static const char *sk_ci = "CCF97608A5081B8F478FBAB00CFE6F5A50B1C23C4B42E95EFFDDFB2DD1AD6676";
static const char *pk_ci = "04 F5D2FFB5293ED953053DAF0865F7FCAEE9790216AD861246777B3CCBE4077BA2"
			   "61BB8A999DD9D56F987E5AC8548AFBA5B11A91A786ACFCA4982B18C5192D15CA";
static const char *sk_dp = "7C766F81C0C7FD7139EDCB7B51EFBA2E49841D725A45B8B11D9AA144D5076037";
#define PK_DP                                                                \
	"046466E042804FAAC48F839EA53E85D0B8B93F2F015028A472F07F3227AF408170" \
	"ACFB39D198BA7D0DCFF3DE5032A6CC8F6ACC84EF556BFE530DEC0FF75F2AF59A"

/* open-questions §15 V1: CERT.DP.ECDSA signed by the test CI, as transmitted 300× in the WT logs. */
static const char *v1_dp = "7F21 81A5 930102 420102 5F200102 950188 5F240421450101 7303C80101"
			   "7F4946 B041" PK_DP " F00100"
			   "5F3740 F7BA7DE1E625D5721A5756F9B9D8D1A25D1667300801BE063AE1FED8CA9E0107"
			   "B12F00500EEE49D82A5065542E0A38FDD86E276A804BF859CB5528C0457CC830";

/* CERT.SR.ECDSA of the same test CI (digest §4.6 worked example): WHTY (shenqinglan/whatever_ty)
 * com/whty/euicc/sr/http/SrChangeAuthenticateSMSRTest.java, the value after `3A01 A9` of the
 * EstablishISDRKeySet APDU. Its signature was recomputed independently (Python `cryptography`) to
 * verify with PK.CI. It reuses PK.DP as the SM-SR key. */
static const char *whty_sr = "7F2181A5 930101 420101 5F200101 950188 5F240421450101 7303C80102"
			     "7F4946 B041" PK_DP " F00100"
			     "5F3740 F1B7D2080AABCEE4EEE484130279F075CEF5A34C27AC87B0F8413DF8D3548A3C"
			     "4666F06A812A079E740B1956566585F49F65D6A559F5C5B41C3795D1524A63DF";

static EVP_PKEY *priv_key(enum crypto_curve curve, const char *hex)
{
	size_t len;
	uint8_t *d = test_unhex(hex, &len);
	EVP_PKEY *key = NULL;

	CU_ASSERT_EQUAL_FATAL(crypto_ec_from_private(curve, d, len, &key), 0);
	free(d);
	return key;
}

static EVP_PKEY *pub_key(enum crypto_curve curve, const char *hex)
{
	size_t len;
	uint8_t *q = test_unhex(hex, &len);
	EVP_PKEY *key = NULL;

	CU_ASSERT_EQUAL_FATAL(crypto_ec_from_public(curve, q, len, &key), 0);
	free(q);
	return key;
}

/* decode_exact + check with a fixed key, as a test_decode_fn. */
struct verify_ctx {
	EVP_PKEY *issuer;
	struct gpcert_check_opts opts;
};

static int decode_cb(const uint8_t *buf, size_t len, void *priv)
{
	struct gpcert c;

	return gpcert_decode_exact(&c, buf, len, NULL);
}

static int verify_cb(const uint8_t *buf, size_t len, void *priv)
{
	struct verify_ctx *v = priv;
	struct gpcert c;
	int rc = gpcert_decode_exact(&c, buf, len, NULL);

	return rc < 0 ? rc : gpcert_check(&c, v->issuer, &v->opts, NULL);
}

void test_gpcert_v1_dp_vector(void)
{
	size_t len;
	uint8_t *buf = test_unhex(v1_dp, &len);
	EVP_PKEY *ci = priv_key(CRYPTO_CURVE_P256, sk_ci), *dp = priv_key(CRYPTO_CURVE_P256, sk_dp);
	uint8_t point[EC_POINT_LEN], out[GPCERT_MAX_LEN];
	struct gpcert_check_opts o = { .check_type = true, .type = GPCERT_TYPE_DP, .date = 20170101 };
	enum gpcert_err why = _NUM_GPCERT_ERRS;
	struct gpcert c;

	/* The keys of the vector are what the table says. */
	CU_ASSERT_EQUAL(crypto_ec_export_public(ci, point), 0);
	TEST_ASSERT_HEX_EQ(point, sizeof(point), pk_ci);
	CU_ASSERT_EQUAL(crypto_ec_export_public(dp, point), 0);
	TEST_ASSERT_HEX_EQ(point, sizeof(point), PK_DP);

	CU_ASSERT_EQUAL_FATAL(gpcert_decode_exact(&c, buf, len, &why), (int)len);
	CU_ASSERT_EQUAL(why, GPCERT_OK);
	TEST_ASSERT_HEX_EQ(c.serial.data, c.serial.len, "02");
	TEST_ASSERT_HEX_EQ(c.ca_id.data, c.ca_id.len, "02");
	TEST_ASSERT_HEX_EQ(c.subject_id.data, c.subject_id.len, "02");
	CU_ASSERT_EQUAL(c.key_usage, 0x88);
	CU_ASSERT_EQUAL(c.key_usage_len, 1);
	CU_ASSERT_EQUAL(c.effective, 0);
	CU_ASSERT_EQUAL(c.expiration, 21450101);
	CU_ASSERT_EQUAL(c.dd_tag, 0x73);
	CU_ASSERT_TRUE(c.has_cert_type);
	CU_ASSERT_EQUAL(c.cert_type, GPCERT_CERT_TYPE_SMDP);
	CU_ASSERT_EQUAL(c.aki.len, 0);
	TEST_ASSERT_HEX_EQ(c.public_key, EC_POINT_LEN, PK_DP);
	CU_ASSERT_EQUAL(c.curve_ref, 0x00);
	CU_ASSERT_EQUAL(c.curve, CRYPTO_CURVE_P256);
	CU_ASSERT_EQUAL(c.signed_data.len, 98); /* the value bytes before 5F37 */
	CU_ASSERT_EQUAL(gpcert_type_of(&c, NULL), GPCERT_TYPE_DP);

	/* The CI's signature verifies, with the private key's public half as issuer. */
	CU_ASSERT_EQUAL(gpcert_check(&c, ci, &o, &why), 0);
	CU_ASSERT_EQUAL(why, GPCERT_OK);
	/* Round trip: byte-identical. */
	CU_ASSERT_EQUAL(gpcert_encode(out, sizeof(out), &c, NULL), (int)len);
	TEST_ASSERT_MEM_EQ(out, len, buf, len);
	/* SM-DP key as issuer: wrong signer. */
	CU_ASSERT_EQUAL(gpcert_check(&c, dp, &o, &why), -EBADMSG);
	CU_ASSERT_EQUAL(why, GPCERT_ERR_BAD_SIGNATURE);
	EVP_PKEY_free(ci);
	EVP_PKEY_free(dp);
	free(buf);
}

void test_gpcert_whty_sr_vector(void)
{
	size_t len;
	uint8_t *buf = test_unhex(whty_sr, &len), out[GPCERT_MAX_LEN];
	EVP_PKEY *ci = pub_key(CRYPTO_CURVE_P256, pk_ci);
	struct gpcert_check_opts o = { .check_type = true, .type = GPCERT_TYPE_SR };
	enum gpcert_err why;
	struct gpcert c;

	CU_ASSERT_EQUAL_FATAL(gpcert_decode_exact(&c, buf, len, &why), (int)len);
	CU_ASSERT_EQUAL(c.cert_type, GPCERT_CERT_TYPE_SMSR);
	CU_ASSERT_EQUAL(gpcert_type_of(&c, NULL), GPCERT_TYPE_SR);
	CU_ASSERT_EQUAL(gpcert_check(&c, ci, &o, &why), 0);
	/* The same bytes are not a DP certificate. */
	o.type = GPCERT_TYPE_DP;
	CU_ASSERT_EQUAL(gpcert_check(&c, ci, &o, &why), -EBADMSG);
	CU_ASSERT_EQUAL(why, GPCERT_ERR_WRONG_TYPE);
	CU_ASSERT_EQUAL(gpcert_encode(out, sizeof(out), &c, NULL), (int)len);
	TEST_ASSERT_MEM_EQ(out, len, buf, len);
	EVP_PKEY_free(ci);
	free(buf);
}

/* A certificate of each type built from fields, signed, decoded, checked, re-encoded. */
static int make_cert(uint8_t *out, size_t cap, enum gpcert_type type, EVP_PKEY *issuer, EVP_PKEY *subject,
		     uint32_t effective, uint32_t expiration, const struct gpcert_variant *v, struct gpcert *c)
{
	static const uint8_t serial[] = { 0x12, 0x34 }, ca[] = { 0xCA, 0x01 }, subj[] = { 0x5B, 0x01 },
			     sdin[] = { 0x45, 0x45 };
	static uint8_t point[EC_POINT_LEN];

	memset(c, 0, sizeof(*c));
	CU_ASSERT_EQUAL_FATAL(crypto_ec_export_public(subject, point), 0);
	c->serial = (struct gpcert_bytes){ serial, sizeof(serial) };
	c->ca_id = (struct gpcert_bytes){ ca, sizeof(ca) };
	c->subject_id = (struct gpcert_bytes){ subj, sizeof(subj) };
	c->effective = effective;
	c->expiration = expiration;
	c->public_key = point;
	c->curve = (enum crypto_curve)crypto_ec_curve_of(subject);
	if (type == GPCERT_TYPE_ECASD) {
		c->key_usage = GPCERT_KU_ECASD;
		c->key_usage_len = 2;
		c->sdin = (struct gpcert_bytes){ sdin, sizeof(sdin) };
	} else {
		c->key_usage = GPCERT_KU_SIGN;
		c->key_usage_len = 1;
		c->has_cert_type = true;
		c->cert_type = type == GPCERT_TYPE_DP ? GPCERT_CERT_TYPE_SMDP : GPCERT_CERT_TYPE_SMSR;
	}
	return gpcert_sign(out, cap, c, v, issuer);
}

void test_gpcert_sign_round_trip(void)
{
	for (int curve = 0; curve < _NUM_CRYPTO_CURVES; curve++) {
		for (int type = 0; type < _NUM_GPCERT_TYPES; type++) {
			EVP_PKEY *issuer = NULL, *subject = NULL;
			uint8_t buf[GPCERT_MAX_LEN], again[GPCERT_MAX_LEN];
			struct gpcert_check_opts o = { .check_type = true, .type = type, .date = 20300615 };
			struct gpcert c, d;
			enum gpcert_err why;
			int n;

			CU_ASSERT_EQUAL_FATAL(crypto_ec_generate(curve, &issuer), 0);
			CU_ASSERT_EQUAL_FATAL(crypto_ec_generate(curve, &subject), 0);
			n = make_cert(buf, sizeof(buf), type, issuer, subject, 20200101, 20401231, NULL, &c);
			CU_ASSERT_FATAL(n > 0);
			/* gpcert_sign leaves c decoded from buf. */
			CU_ASSERT_PTR_EQUAL(c.raw.data, buf);
			CU_ASSERT_EQUAL(gpcert_decode_exact(&d, buf, (size_t)n, &why), n);
			CU_ASSERT_EQUAL(gpcert_type_of(&d, NULL), type);
			CU_ASSERT_EQUAL((int)d.curve, curve);
			CU_ASSERT_EQUAL(d.curve_ref, curve == CRYPTO_CURVE_P256 ? 0x00 : 0x03);
			CU_ASSERT_EQUAL(d.effective, 20200101);
			CU_ASSERT_EQUAL(d.expiration, 20401231);
			CU_ASSERT_EQUAL(gpcert_check(&d, issuer, &o, &why), 0);
			CU_ASSERT_EQUAL(why, GPCERT_OK);
			CU_ASSERT_EQUAL(gpcert_encode(again, sizeof(again), &d, NULL), n);
			TEST_ASSERT_MEM_EQ(again, (size_t)n, buf, (size_t)n);
			/* Output too small. */
			CU_ASSERT_EQUAL(gpcert_encode(again, (size_t)n - 1, &d, NULL), -EMSGSIZE);
			EVP_PKEY_free(issuer);
			EVP_PKEY_free(subject);
		}
	}
}

void test_gpcert_truncations(void)
{
	size_t len;
	uint8_t *buf = test_unhex(v1_dp, &len);

	CU_ASSERT_EQUAL(TEST_TRUNCATIONS_REJECTED(buf, len, decode_cb, NULL), 0);
	/* Each prefix is reported as truncated with -EAGAIN. */
	for (size_t i = 0; i < len; i++) {
		struct gpcert c;
		enum gpcert_err why;

		CU_ASSERT_EQUAL(gpcert_decode(&c, buf, i, &why), -EAGAIN);
		CU_ASSERT_EQUAL(why, GPCERT_ERR_TRUNCATED);
	}
	free(buf);
}

void test_gpcert_mutations(void)
{
	size_t len;
	uint8_t *buf = test_unhex(v1_dp, &len);
	struct verify_ctx v = { .issuer = pub_key(CRYPTO_CURVE_P256, pk_ci) };

	/* Decoding alone accepts many mutants (values inside fields): the decoder is not vacuous. */
	CU_ASSERT(test_mutations_run(buf, len, decode_cb, NULL) > 1000);
	/* Decode + verify accepts none but the original: every byte is covered by the signature or
	 * by the structure. */
	CU_ASSERT_EQUAL(test_mutations_run(buf, len, verify_cb, &v), len);
	EVP_PKEY_free(v.issuer);
	free(buf);
}

/* Decode hex and return the reason (and the errno through rc). */
static enum gpcert_err reason_of(const char *hex, int *rc)
{
	size_t len;
	uint8_t *buf = test_unhex(hex, &len);
	enum gpcert_err why = GPCERT_OK;
	struct gpcert c;

	*rc = gpcert_decode_exact(&c, buf, len, &why);
	free(buf);
	return why;
}

void test_gpcert_malformed_reasons(void)
{
	static const struct {
		const char *hex;
		enum gpcert_err why;
		int rc;
	} v[] = {
		/* F0 01 01: P-384, a known reference we do not support. */
		{ "7F21 81A5 930102 420102 5F200102 950188 5F240421450101 7303C80101 7F4946 B041" PK_DP " F00101"
		  "5F3740 F7BA7DE1E625D5721A5756F9B9D8D1A25D1667300801BE063AE1FED8CA9E0107"
		  "B12F00500EEE49D82A5065542E0A38FDD86E276A804BF859CB5528C0457CC830",
		  GPCERT_ERR_UNSUPPORTED_CURVE, -EBADMSG },
		/* F0 01 09: no such reference. */
		{ "7F21 81A5 930102 420102 5F200102 950188 5F240421450101 7303C80101 7F4946 B041" PK_DP " F00109"
		  "5F3740 F7BA7DE1E625D5721A5756F9B9D8D1A25D1667300801BE063AE1FED8CA9E0107"
		  "B12F00500EEE49D82A5065542E0A38FDD86E276A804BF859CB5528C0457CC830",
		  GPCERT_ERR_BAD_CURVE, -EBADMSG },
		/* F0 missing. */
		{ "7F21 81A2 930102 420102 5F200102 950188 5F240421450101 7303C80101 7F4943 B041" PK_DP "5F3740 "
		  "F7BA7DE1E625D5"
		  "721A5756F9B9D8"
		  "D1A25D16673008"
		  "01BE063AE1FED8"
		  "CA9E0107"
		  "B12F00500EEE49D82A5065542E0A38FDD86E276A804BF859CB5528C0457CC830",
		  GPCERT_ERR_BAD_CURVE, -EBADMSG },
		/* Not 7F21. */
		{ "7F22 03 930102", GPCERT_ERR_NOT_A_CERT, -EBADMSG },
		/* Serial twice. */
		{ "7F21 06 930102 930102", GPCERT_ERR_DUPLICATE_FIELD, -EBADMSG },
		/* A tag that does not belong. */
		{ "7F21 03 990100", GPCERT_ERR_UNKNOWN_FIELD, -EBADMSG },
		/* Mandatory fields missing. */
		{ "7F21 03 930102", GPCERT_ERR_MISSING_FIELD, -EBADMSG },
		/* Month 13. */
		{ "7F21 07 5F240421451301", GPCERT_ERR_BAD_DATE, -EBADMSG },
		/* 29 February of a non-leap year; BCD digit A. */
		{ "7F21 07 5F240421450229", GPCERT_ERR_BAD_DATE, -EBADMSG },
		{ "7F21 07 5F2404214A0101", GPCERT_ERR_BAD_DATE, -EBADMSG },
		/* A 3-byte date. */
		{ "7F21 06 5F2403214501", GPCERT_ERR_FIELD_LENGTH, -EBADMSG },
		/* Empty serial; 3-byte key usage. */
		{ "7F21 02 9300", GPCERT_ERR_FIELD_LENGTH, -EBADMSG },
		{ "7F21 05 9503000080", GPCERT_ERR_FIELD_LENGTH, -EBADMSG },
		/* A 63-byte signature. */
		{ "7F21 42 5F373F 00000000000000000000000000000000000000000000000000000000000000"
		  "0000000000000000000000000000000000000000000000000000000000000000",
		  GPCERT_ERR_SIGNATURE_FORMAT, -EBADMSG },
		/* A field after the signature. */
		{ "7F21 46 5F3740 0000000000000000000000000000000000000000000000000000000000000000"
		  "0000000000000000000000000000000000000000000000000000000000000000 930101",
		  GPCERT_ERR_SIGNATURE_FORMAT, -EBADMSG },
		/* A compressed point. */
		{ "7F21 27 7F4924 B02103 6466E042804FAAC48F839EA53E85D0B8B93F2F015028A472F07F3227AF408170 F00100",
		  GPCERT_ERR_BAD_PUBLIC_KEY, -EBADMSG },
		/* An inner TLV overruns the outer length. */
		{ "7F21 03 930502", GPCERT_ERR_MALFORMED, -EBADMSG },
		/* Indefinite outer length. */
		{ "7F21 80 930102 0000", GPCERT_ERR_MALFORMED, -EBADMSG },
		/* A byte after the certificate (decode_exact). */
		{ "7F21 81A5 930102 420102 5F200102 950188 5F240421450101 7303C80101 7F4946 B041" PK_DP " F00100"
		  "5F3740 F7BA7DE1E625D5721A5756F9B9D8D1A25D1667300801BE063AE1FED8CA9E0107"
		  "B12F00500EEE49D82A5065542E0A38FDD86E276A804BF859CB5528C0457CC830 00",
		  GPCERT_ERR_MALFORMED, -EBADMSG },
		/* Truncated. */
		{ "7F21 81A5 930102", GPCERT_ERR_TRUNCATED, -EAGAIN },
		/* A 7F21 declaring more than GPCERT_MAX_LEN but cut short: truncated (test_gpcert_too_long has the rest). */
		{ "7F21 820500 930102", GPCERT_ERR_TRUNCATED, -EAGAIN },
	};
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		int rc;
		enum gpcert_err why = reason_of(v[i].hex, &rc);

		if (why != v[i].why || rc != v[i].rc)
			printf("\ncase %zu: reason %s rc %d\n", i, gpcert_err_name(why), rc);
		CU_ASSERT_EQUAL(why, v[i].why);
		CU_ASSERT_EQUAL(rc, v[i].rc);
	}
}

void test_gpcert_too_long(void)
{
	uint8_t *buf = calloc(1, GPCERT_MAX_LEN + 8);
	struct gpcert c;
	enum gpcert_err why;

	/* 7F21 82 0500: 1280 bytes declared and present. */
	memcpy(buf, "\x7F\x21\x82\x05\x00", 5);
	CU_ASSERT_EQUAL(gpcert_decode(&c, buf, GPCERT_MAX_LEN + 8, &why), -EBADMSG);
	CU_ASSERT_EQUAL(why, GPCERT_ERR_TOO_LONG);
	free(buf);
}

void test_gpcert_dates(void)
{
	EVP_PKEY *issuer = NULL, *subject = NULL;
	uint8_t buf[GPCERT_MAX_LEN];
	struct gpcert c;
	struct gpcert_check_opts o = { .check_type = true, .type = GPCERT_TYPE_SR };
	enum gpcert_err why;
	uint32_t d;

	CU_ASSERT_EQUAL_FATAL(crypto_ec_generate(CRYPTO_CURVE_P256, &issuer), 0);
	CU_ASSERT_EQUAL_FATAL(crypto_ec_generate(CRYPTO_CURVE_P256, &subject), 0);
	CU_ASSERT_FATAL(make_cert(buf, sizeof(buf), GPCERT_TYPE_SR, issuer, subject, 20200301, 20250228, NULL, &c) > 0);
	/* Valid on the first and the last day. */
	o.date = 20200301;
	CU_ASSERT_EQUAL(gpcert_check(&c, issuer, &o, &why), 0);
	o.date = 20250228;
	CU_ASSERT_EQUAL(gpcert_check(&c, issuer, &o, &why), 0);
	o.date = 20250301;
	CU_ASSERT_EQUAL(gpcert_check(&c, issuer, &o, &why), -EBADMSG);
	CU_ASSERT_EQUAL(why, GPCERT_ERR_EXPIRED);
	o.date = 20200229;
	CU_ASSERT_EQUAL(gpcert_check(&c, issuer, &o, &why), -EBADMSG);
	CU_ASSERT_EQUAL(why, GPCERT_ERR_NOT_YET_VALID);
	/* No date: no date check. */
	o.date = 0;
	CU_ASSERT_EQUAL(gpcert_check(&c, issuer, &o, &why), 0);

	CU_ASSERT_EQUAL(gpcert_date_parse("20240229", &d), 0);
	CU_ASSERT_EQUAL(d, 20240229);
	CU_ASSERT_EQUAL(gpcert_date_parse("20230229", &d), -EINVAL);
	CU_ASSERT_EQUAL(gpcert_date_parse("2024022", &d), -EINVAL);
	CU_ASSERT_EQUAL(gpcert_date_parse("2024o229", &d), -EINVAL);
	CU_ASSERT(gpcert_date_today() > 20240101);
	EVP_PKEY_free(issuer);
	EVP_PKEY_free(subject);
}

void test_gpcert_wrong_type(void)
{
	EVP_PKEY *issuer = NULL;
	uint8_t buf[GPCERT_MAX_LEN];
	struct gpcert c;
	enum gpcert_err why;

	CU_ASSERT_EQUAL_FATAL(crypto_ec_generate(CRYPTO_CURVE_P256, &issuer), 0);
	for (int type = 0; type < _NUM_GPCERT_TYPES; type++) {
		CU_ASSERT_FATAL(make_cert(buf, sizeof(buf), type, issuer, issuer, 0, 20991231, NULL, &c) > 0);
		for (int want = 0; want < _NUM_GPCERT_TYPES; want++) {
			struct gpcert_check_opts o = { .check_type = true, .type = want };
			int rc = gpcert_check(&c, issuer, &o, &why);

			CU_ASSERT_EQUAL(rc, want == type ? 0 : -EBADMSG);
			CU_ASSERT_EQUAL(why, want == type ? GPCERT_OK : GPCERT_ERR_WRONG_TYPE);
		}
	}
	/* C8 03 and key usage 88 without C8 are no type at all. */
	c.has_cert_type = true;
	c.cert_type = 0x03;
	c.key_usage = 0x88;
	c.key_usage_len = 1;
	CU_ASSERT_EQUAL(gpcert_type_of(&c, &why), -EBADMSG);
	CU_ASSERT_EQUAL(why, GPCERT_ERR_WRONG_TYPE);
	c.has_cert_type = false;
	CU_ASSERT_EQUAL(gpcert_type_of(&c, &why), -EBADMSG);
	EVP_PKEY_free(issuer);
}

void test_gpcert_bad_public_key(void)
{
	size_t len;
	uint8_t *buf = test_unhex(v1_dp, &len);
	struct gpcert c;
	enum gpcert_err why;
	EVP_PKEY *key = NULL;

	CU_ASSERT_EQUAL_FATAL(gpcert_decode_exact(&c, buf, len, &why), (int)len);
	CU_ASSERT_EQUAL(gpcert_public_key(&c, &key, &why), 0);
	EVP_PKEY_free(key);
	/* Y + 1: still 04‖X‖Y in shape, no longer on P-256. */
	buf[(size_t)(c.public_key - buf) + 64] ^= 0x01;
	CU_ASSERT_EQUAL(gpcert_public_key(&c, &key, &why), -EBADMSG);
	CU_ASSERT_EQUAL(why, GPCERT_ERR_BAD_PUBLIC_KEY);
	CU_ASSERT_PTR_NULL(key);
	/* The PK.DP point read as brainpoolP256r1 is not on that curve either. */
	buf[(size_t)(c.public_key - buf) + 64] ^= 0x01;
	c.curve = CRYPTO_CURVE_BRAINPOOLP256R1;
	CU_ASSERT_EQUAL(gpcert_public_key(&c, &key, &why), -EBADMSG);
	free(buf);
}

void test_gpcert_variants(void)
{
	EVP_PKEY *issuer = NULL, *subject = NULL;
	uint8_t buf[GPCERT_MAX_LEN];
	struct gpcert c;
	enum gpcert_err why;
	const struct gpcert_variant v53 = { .dd_tag = GPCERT_DD_TAG_53 };
	const struct gpcert_variant nj = { .ecasd_sigdata = GPCERT_ECASD_SIGDATA_NJIWA };
	struct gpcert_check_opts o = { .variant = &nj };
	uint8_t sd[GPCERT_MAX_LEN];
	int n;

	CU_ASSERT_STRING_EQUAL(get_value_string(gpcert_dd_tag_names, GPCERT_DD_TAG_73), "73");
	CU_ASSERT_STRING_EQUAL(get_value_string(gpcert_ecasd_sigdata_names, GPCERT_ECASD_SIGDATA_NJIWA), "njiwa");
	CU_ASSERT_EQUAL(gpcert_variant_default.dd_tag, GPCERT_DD_TAG_73);
	CU_ASSERT_EQUAL(gpcert_variant_default.ecasd_sigdata, GPCERT_ECASD_SIGDATA_TRANSMITTED);
	CU_ASSERT_EQUAL_FATAL(crypto_ec_generate(CRYPTO_CURVE_P256, &issuer), 0);
	CU_ASSERT_EQUAL_FATAL(crypto_ec_generate(CRYPTO_CURVE_P256, &subject), 0);

	/* Discretionary data under 53: decoded, recorded, same type, verifies. */
	CU_ASSERT_FATAL(make_cert(buf, sizeof(buf), GPCERT_TYPE_DP, issuer, subject, 0, 20991231, &v53, &c) > 0);
	CU_ASSERT_EQUAL(c.dd_tag, 0x53);
	CU_ASSERT_EQUAL(gpcert_type_of(&c, NULL), GPCERT_TYPE_DP);
	CU_ASSERT_EQUAL(gpcert_check(&c, issuer, NULL, &why), 0);

	/* ECASD signed in Njiwa's order verifies only under that variant. */
	n = make_cert(buf, sizeof(buf), GPCERT_TYPE_ECASD, issuer, subject, 20200101, 20991231, &nj, &c);
	CU_ASSERT_FATAL(n > 0);
	CU_ASSERT_EQUAL(gpcert_check(&c, issuer, &o, &why), 0);
	CU_ASSERT_EQUAL(gpcert_check(&c, issuer, NULL, &why), -EBADMSG);
	CU_ASSERT_EQUAL(why, GPCERT_ERR_BAD_SIGNATURE);
	/* The Njiwa signed data starts with 7F49 and leaves out 95 and 45. */
	n = gpcert_signed_data(&c, &nj, sd, sizeof(sd));
	CU_ASSERT_FATAL(n > 0);
	CU_ASSERT_EQUAL(sd[0], 0x7F);
	CU_ASSERT_EQUAL(sd[1], 0x49);
	CU_ASSERT_EQUAL((size_t)n, c.signed_data.len - 4 /* 95 02 0080 */ - 4 /* 45 02 SDIN */);
	/* And the default-signed ECASD certificate fails under Njiwa's order. */
	CU_ASSERT_FATAL(make_cert(buf, sizeof(buf), GPCERT_TYPE_ECASD, issuer, subject, 0, 20991231, NULL, &c) > 0);
	CU_ASSERT_EQUAL(gpcert_check(&c, issuer, NULL, &why), 0);
	CU_ASSERT_EQUAL(gpcert_check(&c, issuer, &o, &why), -EBADMSG);
	/* DP/SR certificates ignore the ECASD switch (V1 settles them). */
	CU_ASSERT_FATAL(make_cert(buf, sizeof(buf), GPCERT_TYPE_SR, issuer, subject, 0, 20991231, &nj, &c) > 0);
	CU_ASSERT_EQUAL(gpcert_check(&c, issuer, NULL, &why), 0);
	EVP_PKEY_free(issuer);
	EVP_PKEY_free(subject);
}

/* A minimal X.509 certificate for the chain tests. */
static X509 *make_x509(const char *cn, EVP_PKEY *key, X509 *issuer, EVP_PKEY *issuer_key, bool ski)
{
	X509 *x = X509_new();
	X509V3_CTX ctx;
	X509_EXTENSION *ext;

	CU_ASSERT_PTR_NOT_NULL_FATAL(x);
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
	X509_gmtime_adj(X509_getm_notBefore(x), 0);
	X509_gmtime_adj(X509_getm_notAfter(x), 3600);
	X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
	X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer) : X509_get_subject_name(x));
	X509_set_pubkey(x, key);
	if (ski) {
		X509V3_set_ctx(&ctx, issuer ? issuer : x, x, NULL, NULL, 0);
		ext = X509V3_EXT_conf_nid(NULL, &ctx, NID_subject_key_identifier, "hash");
		X509_add_ext(x, ext, -1);
		X509_EXTENSION_free(ext);
	}
	CU_ASSERT_FATAL(X509_sign(x, issuer_key, EVP_sha256()) > 0);
	return x;
}

void test_gpcert_chain(void)
{
	EVP_PKEY *ci_key = NULL, *eum_key = NULL, *rogue_key = NULL, *subject = NULL;
	X509 *ci, *eum, *rogue_eum, *rogue_ci;
	uint8_t buf[GPCERT_MAX_LEN], ski[GPCERT_MAX_ID_LEN];
	struct gpcert c;
	struct gpcert_check_opts o = { .date = gpcert_date_today() };
	enum gpcert_err why;
	int n;

	CU_ASSERT_EQUAL_FATAL(crypto_ec_generate(CRYPTO_CURVE_P256, &ci_key), 0);
	CU_ASSERT_EQUAL_FATAL(crypto_ec_generate(CRYPTO_CURVE_P256, &eum_key), 0);
	CU_ASSERT_EQUAL_FATAL(crypto_ec_generate(CRYPTO_CURVE_P256, &rogue_key), 0);
	CU_ASSERT_EQUAL_FATAL(crypto_ec_generate(CRYPTO_CURVE_P256, &subject), 0);
	ci = make_x509("ci", ci_key, NULL, ci_key, true);
	eum = make_x509("eum", eum_key, ci, ci_key, true);
	/* Same names, but signed by a key outside the CI chain. */
	rogue_ci = make_x509("ci", rogue_key, NULL, rogue_key, true);
	rogue_eum = make_x509("eum", eum_key, ci, rogue_key, true);
	CU_ASSERT_EQUAL(crypto_x509_verify_signed_by(eum, ci), 0);
	CU_ASSERT_EQUAL(crypto_x509_verify_signed_by(rogue_eum, ci), -EBADMSG);

	/* SM-DP certificate signed by the CI: chains; checked against a different CI: does not. */
	CU_ASSERT_FATAL(make_cert(buf, sizeof(buf), GPCERT_TYPE_DP, ci_key, subject, 0, 20991231, NULL, &c) > 0);
	CU_ASSERT_EQUAL(gpcert_check_ci(&c, ci, &o, &why), 0);
	CU_ASSERT_EQUAL(gpcert_check_ci(&c, rogue_ci, &o, &why), -EBADMSG);
	CU_ASSERT_EQUAL(why, GPCERT_ERR_BAD_SIGNATURE);
	/* An SM-SR certificate signed by a key outside the CI chain. */
	CU_ASSERT_FATAL(make_cert(buf, sizeof(buf), GPCERT_TYPE_SR, rogue_key, subject, 0, 20991231, NULL, &c) > 0);
	CU_ASSERT_EQUAL(gpcert_check_ci(&c, ci, &o, &why), -EBADMSG);
	CU_ASSERT_EQUAL(why, GPCERT_ERR_BAD_SIGNATURE);
	/* An SM-SR certificate signed by the EUM (a key in the chain, but not the CI). */
	CU_ASSERT_FATAL(make_cert(buf, sizeof(buf), GPCERT_TYPE_SR, eum_key, subject, 0, 20991231, NULL, &c) > 0);
	CU_ASSERT_EQUAL(gpcert_check_ci(&c, ci, &o, &why), -EBADMSG);
	CU_ASSERT_EQUAL(why, GPCERT_ERR_BAD_SIGNATURE);

	/* ECASD certificate signed by the EUM. */
	CU_ASSERT_FATAL(make_cert(buf, sizeof(buf), GPCERT_TYPE_ECASD, eum_key, subject, 0, 20991231, NULL, &c) > 0);
	CU_ASSERT_EQUAL(gpcert_check_eum(&c, eum, ci, &o, &why), 0);
	CU_ASSERT_EQUAL(why, GPCERT_OK);
	/* ... but the EUM certificate is not signed by the CI. */
	CU_ASSERT_EQUAL(gpcert_check_eum(&c, rogue_eum, ci, &o, &why), -EBADMSG);
	CU_ASSERT_EQUAL(why, GPCERT_ERR_CHAIN);
	/* ... an ECASD certificate is not a CI-signed certificate, and a DP one not an EUM-signed one. */
	CU_ASSERT_EQUAL(gpcert_check_ci(&c, ci, &o, &why), -EBADMSG);
	CU_ASSERT_EQUAL(why, GPCERT_ERR_WRONG_TYPE);
	/* ECASD signed by the CI itself, not the EUM. */
	CU_ASSERT_FATAL(make_cert(buf, sizeof(buf), GPCERT_TYPE_ECASD, ci_key, subject, 0, 20991231, NULL, &c) > 0);
	CU_ASSERT_EQUAL(gpcert_check_eum(&c, eum, ci, &o, &why), -EBADMSG);
	CU_ASSERT_EQUAL(why, GPCERT_ERR_BAD_SIGNATURE);

	/* AKI (C9): must equal the issuer's SubjectKeyIdentifier when present. */
	n = crypto_x509_ski(ci, ski, sizeof(ski));
	CU_ASSERT_FATAL(n == 20);
	CU_ASSERT_FATAL(make_cert(buf, sizeof(buf), GPCERT_TYPE_DP, ci_key, subject, 0, 20991231, NULL, &c) > 0);
	c.aki = (struct gpcert_bytes){ ski, (size_t)n };
	c.dd.data = NULL; /* rebuild 73 from cert_type and aki */
	c.dd_tag = 0;
	CU_ASSERT_FATAL(gpcert_sign(buf, sizeof(buf), &c, NULL, ci_key) > 0);
	TEST_ASSERT_MEM_EQ(c.aki.data, c.aki.len, ski, (size_t)n);
	CU_ASSERT_EQUAL(gpcert_check_ci(&c, ci, &o, &why), 0);
	ski[0] ^= 1;
	c.aki.data = ski; /* as if the certificate named another issuer */
	CU_ASSERT_EQUAL(gpcert_check_ci(&c, ci, &o, &why), -EBADMSG);
	CU_ASSERT_EQUAL(why, GPCERT_ERR_ISSUER_MISMATCH);

	X509_free(ci);
	X509_free(eum);
	X509_free(rogue_ci);
	X509_free(rogue_eum);
	EVP_PKEY_free(ci_key);
	EVP_PKEY_free(eum_key);
	EVP_PKEY_free(rogue_key);
	EVP_PKEY_free(subject);
}

void test_gpcert_issuer_key(void)
{
	size_t len;
	uint8_t *buf = test_unhex(v1_dp, &len);
	struct gpcert c;
	enum gpcert_err why;
	EVP_PKEY *rsa = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)1024);

	CU_ASSERT_EQUAL_FATAL(gpcert_decode_exact(&c, buf, len, &why), (int)len);
	CU_ASSERT_EQUAL(gpcert_check(&c, NULL, NULL, &why), -EINVAL);
	CU_ASSERT_EQUAL(why, GPCERT_ERR_ISSUER_KEY);
	CU_ASSERT_PTR_NOT_NULL_FATAL(rsa);
	CU_ASSERT_EQUAL(gpcert_check(&c, rsa, NULL, &why), -EINVAL);
	CU_ASSERT_EQUAL(why, GPCERT_ERR_ISSUER_KEY);
	EVP_PKEY_free(rsa);
	free(buf);
}

void test_gpcert_names(void)
{
	/* Every reason has a name and a description. */
	for (int e = 0; e < _NUM_GPCERT_ERRS; e++) {
		CU_ASSERT_PTR_NOT_NULL(get_value_string_or_null(gpcert_err_names, e));
		CU_ASSERT_PTR_NOT_NULL(get_value_string_or_null(gpcert_err_descs, e));
	}
	CU_ASSERT_STRING_EQUAL(gpcert_err_name(GPCERT_ERR_EXPIRED), "expired");
	CU_ASSERT_STRING_EQUAL(gpcert_err_name(_NUM_GPCERT_ERRS), "unknown");
	for (int t = 0; t < _NUM_GPCERT_TYPES; t++)
		CU_ASSERT_PTR_NOT_NULL(get_value_string_or_null(gpcert_type_names, t));
}
