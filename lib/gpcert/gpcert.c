/* GP-format certificates (see gpcert.h).
 *
 * Layout (digest §4.6; field order as built by both SM implementations, NJ
 * ECKeyAgreementEG.makeCertSigningData and WHTY CertSrEcdsaApdu; open-questions §15 V1):
 *
 *   7F21 L
 *     93 L serial            42 L CA identifier      5F20 L subject identifier
 *     95 01 88 | 95 02 0080  key usage (DP/SR | ECASD)
 *     5F25 04 YYYYMMDD       effective date, BCD (optional)
 *     5F24 04 YYYYMMDD       expiration date, BCD
 *     45 L SDIN              ECASD only (optional)
 *     73 L { C8 01 01|02, [C9 L AKI] }   discretionary data (53 in Njiwa's ECASD order)
 *     7F49 L { B0 41 04‖X‖Y, F0 01 ref }
 *     5F37 40 r‖s            ECDSA-SHA-256 over the value bytes before 5F37 (V1)
 */
#include <errno.h>
#include <string.h>
#include <time.h>

#include "lib/crypto/ec.h"
#include "lib/crypto/x509.h"
#include "lib/gpcert/gpcert.h"
#include "lib/tlv/bertlv.h"

const struct value_string gpcert_type_names[] = {
	{ GPCERT_TYPE_SR, "sr" },
	{ GPCERT_TYPE_DP, "dp" },
	{ GPCERT_TYPE_ECASD, "ecasd" },
	{ 0, NULL },
};

const struct value_string gpcert_err_names[] = {
	{ GPCERT_OK, "ok" },
	{ GPCERT_ERR_TRUNCATED, "truncated" },
	{ GPCERT_ERR_MALFORMED, "malformed" },
	{ GPCERT_ERR_NOT_A_CERT, "not-a-certificate" },
	{ GPCERT_ERR_TOO_LONG, "too-long" },
	{ GPCERT_ERR_MISSING_FIELD, "missing-field" },
	{ GPCERT_ERR_DUPLICATE_FIELD, "duplicate-field" },
	{ GPCERT_ERR_UNKNOWN_FIELD, "unknown-field" },
	{ GPCERT_ERR_FIELD_LENGTH, "field-length" },
	{ GPCERT_ERR_BAD_DATE, "bad-date" },
	{ GPCERT_ERR_BAD_CURVE, "bad-curve-reference" },
	{ GPCERT_ERR_UNSUPPORTED_CURVE, "unsupported-curve" },
	{ GPCERT_ERR_BAD_PUBLIC_KEY, "bad-public-key" },
	{ GPCERT_ERR_SIGNATURE_FORMAT, "signature-format" },
	{ GPCERT_ERR_WRONG_TYPE, "wrong-type" },
	{ GPCERT_ERR_EXPIRED, "expired" },
	{ GPCERT_ERR_NOT_YET_VALID, "not-yet-valid" },
	{ GPCERT_ERR_BAD_SIGNATURE, "bad-signature" },
	{ GPCERT_ERR_ISSUER_KEY, "issuer-key" },
	{ GPCERT_ERR_ISSUER_MISMATCH, "issuer-mismatch" },
	{ GPCERT_ERR_CHAIN, "chain" },
	{ 0, NULL },
};

const struct value_string gpcert_err_descs[] = {
	{ GPCERT_OK, "the certificate is acceptable" },
	{ GPCERT_ERR_TRUNCATED, "the input ends inside the certificate" },
	{ GPCERT_ERR_MALFORMED, "the BER-TLV structure is broken, or bytes follow the certificate" },
	{ GPCERT_ERR_NOT_A_CERT, "the outer tag is not 7F21" },
	{ GPCERT_ERR_TOO_LONG, "the certificate or one of its fields is longer than its cap" },
	{ GPCERT_ERR_MISSING_FIELD, "a mandatory field is absent" },
	{ GPCERT_ERR_DUPLICATE_FIELD, "a field appears twice" },
	{ GPCERT_ERR_UNKNOWN_FIELD, "a tag that does not belong in a 7F21 certificate" },
	{ GPCERT_ERR_FIELD_LENGTH, "a field has the wrong size" },
	{ GPCERT_ERR_BAD_DATE, "a date is not BCD YYYYMMDD" },
	{ GPCERT_ERR_BAD_CURVE, "the curve reference F0 is missing or unknown" },
	{ GPCERT_ERR_UNSUPPORTED_CURVE, "the curve reference names a curve other than P-256 or brainpoolP256r1" },
	{ GPCERT_ERR_BAD_PUBLIC_KEY, "the public key B0 is not an uncompressed point on the certificate's curve" },
	{ GPCERT_ERR_SIGNATURE_FORMAT, "5F37 is not a 64-byte r||s signature at the end of the certificate" },
	{ GPCERT_ERR_WRONG_TYPE, "the certificate type (C8) or key usage is not the expected one" },
	{ GPCERT_ERR_EXPIRED, "the certificate has expired (5F24)" },
	{ GPCERT_ERR_NOT_YET_VALID, "the certificate is not yet valid (5F25)" },
	{ GPCERT_ERR_BAD_SIGNATURE, "the signature does not verify with the issuer key (wrong signer or altered)" },
	{ GPCERT_ERR_ISSUER_KEY, "the issuer key is not an EC key on a supported curve" },
	{ GPCERT_ERR_ISSUER_MISMATCH, "the authority key identifier (C9) does not match the issuer" },
	{ GPCERT_ERR_CHAIN, "the X.509 EUM certificate is not signed by the CI" },
	{ 0, NULL },
};

const struct value_string gpcert_dd_tag_names[] = {
	{ GPCERT_DD_TAG_73, "73" },
	{ GPCERT_DD_TAG_53, "53" },
	{ 0, NULL },
};

const struct value_string gpcert_ecasd_sigdata_names[] = {
	{ GPCERT_ECASD_SIGDATA_TRANSMITTED, "transmitted" },
	{ GPCERT_ECASD_SIGDATA_NJIWA, "njiwa" },
	{ 0, NULL },
};

const struct gpcert_variant gpcert_variant_default = {
	.dd_tag = GPCERT_DD_TAG_73,
	.ecasd_sigdata = GPCERT_ECASD_SIGDATA_TRANSMITTED,
};

const char *gpcert_err_name(enum gpcert_err err)
{
	const char *s = get_value_string_or_null(gpcert_err_names, err);

	return s ? s : "unknown";
}

static int fail(enum gpcert_err *reason, enum gpcert_err why, int rc)
{
	if (reason)
		*reason = why;
	return rc;
}

/* GP key-parameter references (NJ Utils.ECC, "Table 4-3 of GP Amd E / Table 24 of SGP.02 v4.1"). */
uint8_t gpcert_curve_ref(enum crypto_curve curve)
{
	return curve == CRYPTO_CURVE_BRAINPOOLP256R1 ? 0x03 : 0x00;
}

static enum gpcert_err curve_from_ref(uint8_t ref, enum crypto_curve *curve)
{
	switch (ref) {
	case 0x00: *curve = CRYPTO_CURVE_P256; return GPCERT_OK;
	case 0x03: *curve = CRYPTO_CURVE_BRAINPOOLP256R1; return GPCERT_OK;
	case 0x01: /* P-384 */
	case 0x02: /* P-521 */
	case 0x04: /* brainpoolP256t1 */
	case 0x05: /* brainpoolP384r1 */
	case 0x06: /* brainpoolP384t1 */
	case 0x07: /* brainpoolP512r1 */
	case 0x08: /* brainpoolP512t1 */
	case 0x40: /* ANSSI FRP256v1 (v4.1 only) */ return GPCERT_ERR_UNSUPPORTED_CURVE;
	default: return GPCERT_ERR_BAD_CURVE;
	}
}

/* --- dates ------------------------------------------------------------------------------------- */

static bool leap(unsigned int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static bool date_valid(uint32_t d)
{
	static const uint8_t mdays[12] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	unsigned int y = d / 10000, m = d / 100 % 100, day = d % 100;

	if (d > 99991231 || m < 1 || m > 12 || day < 1 || day > mdays[m - 1])
		return false;
	return !(m == 2 && day == 29 && !leap(y));
}

/* BCD YYYYMMDD (digest §4.6: `5F24 04 21450101`). */
static bool date_from_bcd(const uint8_t *b, uint32_t *out)
{
	uint32_t d = 0;

	for (int i = 0; i < 4; i++) {
		if ((b[i] >> 4) > 9 || (b[i] & 0xF) > 9)
			return false;
		d = d * 100 + (b[i] >> 4) * 10 + (b[i] & 0xF);
	}
	*out = d;
	return date_valid(d);
}

static void date_to_bcd(uint32_t d, uint8_t b[4])
{
	for (int i = 3; i >= 0; i--) {
		unsigned int two = d % 100;

		b[i] = (uint8_t)(((two / 10) << 4) | (two % 10));
		d /= 100;
	}
}

uint32_t gpcert_date_today(void)
{
	time_t now = time(NULL);
	struct tm tm;

	if (!gmtime_r(&now, &tm))
		return 0;
	return (uint32_t)(tm.tm_year + 1900) * 10000 + (uint32_t)(tm.tm_mon + 1) * 100 + (uint32_t)tm.tm_mday;
}

int gpcert_date_parse(const char *s, uint32_t *out)
{
	uint32_t d = 0;

	if (!s || strlen(s) != 8)
		return -EINVAL;
	for (int i = 0; i < 8; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -EINVAL;
		d = d * 10 + (uint32_t)(s[i] - '0');
	}
	if (!date_valid(d))
		return -EINVAL;
	*out = d;
	return 0;
}

/* --- decoding ---------------------------------------------------------------------------------- */

/* Bits for duplicate detection. */
enum {
	F_SERIAL = 1 << 0,
	F_CA_ID = 1 << 1,
	F_SUBJECT = 1 << 2,
	F_KU = 1 << 3,
	F_EFFECTIVE = 1 << 4,
	F_EXPIRATION = 1 << 5,
	F_SDIN = 1 << 6,
	F_DD = 1 << 7,
	F_PK = 1 << 8,
	F_SIG = 1 << 9,
};
#define F_MANDATORY (F_SERIAL | F_CA_ID | F_SUBJECT | F_KU | F_EXPIRATION | F_PK | F_SIG)

static enum gpcert_err id_field(struct gpcert_bytes *dst, const struct bertlv *t)
{
	if (t->len == 0)
		return GPCERT_ERR_FIELD_LENGTH;
	if (t->len > GPCERT_MAX_ID_LEN)
		return GPCERT_ERR_TOO_LONG;
	dst->data = t->value;
	dst->len = t->len;
	return GPCERT_OK;
}

static enum gpcert_err decode_dd(struct gpcert *out, const struct bertlv *t)
{
	struct bertlv_iter it;
	struct bertlv d;
	int rc;

	if (t->len > GPCERT_MAX_DD_LEN)
		return GPCERT_ERR_TOO_LONG;
	out->dd_tag = t->tag;
	out->dd.data = t->value;
	out->dd.len = t->len;
	bertlv_iter_init(&it, t->value, t->len);
	while ((rc = bertlv_iter_next(&it, &d)) > 0) {
		if (d.indefinite)
			return GPCERT_ERR_MALFORMED;
		if (d.tag == 0xC8) {
			if (out->has_cert_type)
				return GPCERT_ERR_DUPLICATE_FIELD;
			if (d.len != 1)
				return GPCERT_ERR_FIELD_LENGTH;
			out->has_cert_type = true;
			out->cert_type = d.value[0];
		} else if (d.tag == 0xC9) {
			enum gpcert_err e;

			if (out->aki.len)
				return GPCERT_ERR_DUPLICATE_FIELD;
			e = id_field(&out->aki, &d);
			if (e != GPCERT_OK)
				return e;
		}
		/* Other discretionary TLVs (EUM default C0, CI 00: NJ "Table 23") are kept in dd only. */
	}
	return rc < 0 ? GPCERT_ERR_MALFORMED : GPCERT_OK;
}

static enum gpcert_err decode_pk(struct gpcert *out, const struct bertlv *t)
{
	struct bertlv_iter it;
	struct bertlv k;
	bool have_ref = false;
	enum gpcert_err e;
	int rc;

	bertlv_iter_init(&it, t->value, t->len);
	while ((rc = bertlv_iter_next(&it, &k)) > 0) {
		if (k.indefinite)
			return GPCERT_ERR_MALFORMED;
		switch (k.tag) {
		case 0xB0: /* ECC public key (GP key type B0, digest §4.1) */
			if (out->public_key)
				return GPCERT_ERR_DUPLICATE_FIELD;
			if (k.len != EC_POINT_LEN || k.value[0] != 0x04)
				return GPCERT_ERR_BAD_PUBLIC_KEY;
			out->public_key = k.value;
			break;
		case 0xF0: /* ECC key-parameter reference (GP key type F0) */
			if (have_ref)
				return GPCERT_ERR_DUPLICATE_FIELD;
			if (k.len != 1)
				return GPCERT_ERR_BAD_CURVE;
			have_ref = true;
			out->curve_ref = k.value[0];
			break;
		default: return GPCERT_ERR_UNKNOWN_FIELD;
		}
	}
	if (rc < 0)
		return GPCERT_ERR_MALFORMED;
	if (!out->public_key)
		return GPCERT_ERR_MISSING_FIELD;
	if (!have_ref)
		return GPCERT_ERR_BAD_CURVE;
	e = curve_from_ref(out->curve_ref, &out->curve);
	return e;
}

static enum gpcert_err decode_field(struct gpcert *out, const struct bertlv *t, unsigned int *seen)
{
	unsigned int bit;

	switch (t->tag) {
	case 0x93: bit = F_SERIAL; break;
	case 0x42: bit = F_CA_ID; break;
	case 0x5F20: bit = F_SUBJECT; break;
	case 0x95: bit = F_KU; break;
	case 0x5F25: bit = F_EFFECTIVE; break;
	case 0x5F24: bit = F_EXPIRATION; break;
	case 0x45: bit = F_SDIN; break;
	case 0x73:
	case 0x53: bit = F_DD; break;
	case 0x7F49: bit = F_PK; break;
	case 0x5F37: bit = F_SIG; break;
	default: return GPCERT_ERR_UNKNOWN_FIELD;
	}
	if (*seen & bit)
		return GPCERT_ERR_DUPLICATE_FIELD;
	*seen |= bit;

	switch (t->tag) {
	case 0x93: return id_field(&out->serial, t);
	case 0x42: return id_field(&out->ca_id, t);
	case 0x5F20: return id_field(&out->subject_id, t);
	case 0x45: return id_field(&out->sdin, t);
	case 0x95:
		if (t->len < 1 || t->len > GPCERT_MAX_KU_LEN)
			return GPCERT_ERR_FIELD_LENGTH;
		out->key_usage_len = (uint8_t)t->len;
		out->key_usage = t->len == 1 ? t->value[0] : (uint16_t)(t->value[0] << 8 | t->value[1]);
		return GPCERT_OK;
	case 0x5F25:
	case 0x5F24:
		if (t->len != 4)
			return GPCERT_ERR_FIELD_LENGTH;
		if (!date_from_bcd(t->value, t->tag == 0x5F25 ? &out->effective : &out->expiration))
			return GPCERT_ERR_BAD_DATE;
		return GPCERT_OK;
	case 0x73:
	case 0x53: return decode_dd(out, t);
	case 0x7F49: return decode_pk(out, t);
	default: /* 0x5F37 */
		if (t->len != EC_SIG_LEN)
			return GPCERT_ERR_SIGNATURE_FORMAT;
		out->signature = t->value;
		return GPCERT_OK;
	}
}

int gpcert_decode(struct gpcert *out, const uint8_t *buf, size_t len, enum gpcert_err *reason)
{
	struct bertlv outer, t;
	struct bertlv_iter it;
	unsigned int seen = 0;
	int rc;

	memset(out, 0, sizeof(*out));
	if (!buf)
		return fail(reason, GPCERT_ERR_TRUNCATED, -EINVAL);
	rc = bertlv_decode(&outer, buf, len);
	if (rc == -EAGAIN) {
		/* A 7F21 whose declared length is over the cap is too long, not merely truncated. */
		if (len >= 2 && buf[0] == 0x7F && buf[1] == 0x21 && len > GPCERT_MAX_LEN)
			return fail(reason, GPCERT_ERR_TOO_LONG, -EBADMSG);
		return fail(reason, GPCERT_ERR_TRUNCATED, -EAGAIN);
	}
	if (rc < 0)
		return fail(reason, GPCERT_ERR_MALFORMED, -EBADMSG);
	if (outer.tag != GPCERT_TAG)
		return fail(reason, GPCERT_ERR_NOT_A_CERT, -EBADMSG);
	if (outer.indefinite)
		return fail(reason, GPCERT_ERR_MALFORMED, -EBADMSG);
	if (outer.total > GPCERT_MAX_LEN)
		return fail(reason, GPCERT_ERR_TOO_LONG, -EBADMSG);

	bertlv_iter_init(&it, outer.value, outer.len);
	for (;;) {
		size_t at = it.pos;
		enum gpcert_err e;

		rc = bertlv_iter_next(&it, &t);
		if (rc == 0)
			break;
		/* The outer length says every byte is there: an inner overrun is malformed. */
		if (rc < 0 || t.indefinite)
			return fail(reason, GPCERT_ERR_MALFORMED, -EBADMSG);
		if (seen & F_SIG) /* the signature covers what precedes it: nothing may follow */
			return fail(reason, GPCERT_ERR_SIGNATURE_FORMAT, -EBADMSG);
		e = decode_field(out, &t, &seen);
		if (e != GPCERT_OK)
			return fail(reason, e, -EBADMSG);
		if (t.tag == 0x5F37) {
			out->signed_data.data = outer.value;
			out->signed_data.len = at;
		}
	}
	if ((seen & F_MANDATORY) != F_MANDATORY)
		return fail(reason, GPCERT_ERR_MISSING_FIELD, -EBADMSG);
	out->raw.data = buf;
	out->raw.len = outer.total;
	if (reason)
		*reason = GPCERT_OK;
	return (int)outer.total;
}

int gpcert_decode_exact(struct gpcert *out, const uint8_t *buf, size_t len, enum gpcert_err *reason)
{
	int rc = gpcert_decode(out, buf, len, reason);

	if (rc >= 0 && (size_t)rc != len) {
		memset(out, 0, sizeof(*out));
		return fail(reason, GPCERT_ERR_MALFORMED, -EBADMSG);
	}
	return rc;
}

/* --- encoding ---------------------------------------------------------------------------------- */

static bool id_ok(const struct gpcert_bytes *b, bool optional)
{
	if (b->len == 0)
		return optional;
	return b->data && b->len <= GPCERT_MAX_ID_LEN;
}

static uint32_t dd_tag_of(const struct gpcert *c, const struct gpcert_variant *v)
{
	if (c->dd_tag)
		return c->dd_tag;
	return v->dd_tag == GPCERT_DD_TAG_53 ? 0x53 : 0x73;
}

/* The discretionary-data TLV, or nothing when there is none. */
static void put_dd(struct bertlv_writer *w, const struct gpcert *c, const struct gpcert_variant *v)
{
	size_t m;

	if (c->dd.data) {
		bertlv_put(w, dd_tag_of(c, v), c->dd.data, c->dd.len);
		return;
	}
	if (!c->has_cert_type && !c->aki.len)
		return;
	m = bertlv_open(w, dd_tag_of(c, v));
	if (c->has_cert_type)
		bertlv_put_u8(w, 0xC8, c->cert_type);
	if (c->aki.len)
		bertlv_put(w, 0xC9, c->aki.data, c->aki.len);
	bertlv_close(w, m);
}

static void put_pk(struct bertlv_writer *w, const struct gpcert *c)
{
	size_t m = bertlv_open(w, 0x7F49);

	bertlv_put(w, 0xB0, c->public_key, EC_POINT_LEN);
	bertlv_put_u8(w, 0xF0, gpcert_curve_ref(c->curve));
	bertlv_close(w, m);
}

static void put_date(struct bertlv_writer *w, uint32_t tag, uint32_t d)
{
	uint8_t b[4];

	date_to_bcd(d, b);
	bertlv_put(w, tag, b, sizeof(b));
}

static void put_ku(struct bertlv_writer *w, const struct gpcert *c)
{
	uint8_t b[2] = { (uint8_t)(c->key_usage >> 8), (uint8_t)c->key_usage };

	if (c->key_usage_len == 1)
		bertlv_put_u8(w, 0x95, (uint8_t)c->key_usage);
	else
		bertlv_put(w, 0x95, b, 2);
}

static int encode_check(const struct gpcert *c)
{
	if (!id_ok(&c->serial, false) || !id_ok(&c->ca_id, false) || !id_ok(&c->subject_id, false) ||
	    !id_ok(&c->sdin, true) || !id_ok(&c->aki, true))
		return -EINVAL;
	if (c->key_usage_len < 1 || c->key_usage_len > GPCERT_MAX_KU_LEN ||
	    (c->key_usage_len == 1 && c->key_usage > 0xFF))
		return -EINVAL;
	if (!date_valid(c->expiration) || (c->effective && !date_valid(c->effective)))
		return -EINVAL;
	if (!c->public_key || c->public_key[0] != 0x04 || (unsigned int)c->curve >= _NUM_CRYPTO_CURVES)
		return -EINVAL;
	if (c->dd.data && c->dd.len > GPCERT_MAX_DD_LEN)
		return -EINVAL;
	if (c->dd_tag && c->dd_tag != 0x73 && c->dd_tag != 0x53)
		return -EINVAL;
	return 0;
}

int gpcert_encode(uint8_t *out, size_t cap, const struct gpcert *c, const struct gpcert_variant *v)
{
	struct bertlv_writer w;
	size_t m;
	int rc;

	if (!v)
		v = &gpcert_variant_default;
	rc = encode_check(c);
	if (rc < 0 || !c->signature)
		return -EINVAL;
	bertlv_writer_init(&w, out, cap);
	m = bertlv_open(&w, GPCERT_TAG);
	bertlv_put(&w, 0x93, c->serial.data, c->serial.len);
	bertlv_put(&w, 0x42, c->ca_id.data, c->ca_id.len);
	bertlv_put(&w, 0x5F20, c->subject_id.data, c->subject_id.len);
	put_ku(&w, c);
	if (c->effective)
		put_date(&w, 0x5F25, c->effective);
	put_date(&w, 0x5F24, c->expiration);
	if (c->sdin.len)
		bertlv_put(&w, 0x45, c->sdin.data, c->sdin.len);
	put_dd(&w, c, v);
	put_pk(&w, c);
	bertlv_put(&w, 0x5F37, c->signature, EC_SIG_LEN);
	bertlv_close(&w, m);
	rc = bertlv_writer_finish(&w);
	if (rc > GPCERT_MAX_LEN)
		return -EINVAL;
	return rc;
}

/* --- type, signed data, signing ---------------------------------------------------------------- */

int gpcert_type_of(const struct gpcert *c, enum gpcert_err *reason)
{
	if (c->has_cert_type) {
		/* DP/SR certificates: `95 01 88` and `C8 01 01|02` (digest §4.6). */
		if (c->key_usage_len != 1 || c->key_usage != GPCERT_KU_SIGN)
			return fail(reason, GPCERT_ERR_WRONG_TYPE, -EBADMSG);
		if (c->cert_type == GPCERT_CERT_TYPE_SMDP)
			return GPCERT_TYPE_DP;
		if (c->cert_type == GPCERT_CERT_TYPE_SMSR)
			return GPCERT_TYPE_SR;
		return fail(reason, GPCERT_ERR_WRONG_TYPE, -EBADMSG);
	}
	/* CERT.ECASD.ECKA: key agreement `95 02 0080`, no certificate type. */
	if (c->key_usage_len == 2 && c->key_usage == GPCERT_KU_ECASD)
		return GPCERT_TYPE_ECASD;
	return fail(reason, GPCERT_ERR_WRONG_TYPE, -EBADMSG);
}

int gpcert_signed_data(const struct gpcert *c, const struct gpcert_variant *v, uint8_t *out, size_t cap)
{
	struct bertlv_writer w;

	if (!v)
		v = &gpcert_variant_default;
	if (gpcert_type_of(c, NULL) != GPCERT_TYPE_ECASD || v->ecasd_sigdata == GPCERT_ECASD_SIGDATA_TRANSMITTED) {
		if (!c->signed_data.data)
			return -EINVAL;
		if (c->signed_data.len > cap)
			return -EMSGSIZE;
		memcpy(out, c->signed_data.data, c->signed_data.len);
		return (int)c->signed_data.len;
	}
	/* Njiwa's re-encoding for CERT.ECASD.ECKA (digest §4.6, "Table 11-3 GPC UICC Configuration"). */
	if (encode_check(c) < 0)
		return -EINVAL;
	bertlv_writer_init(&w, out, cap);
	put_pk(&w, c);
	bertlv_put(&w, 0x93, c->serial.data, c->serial.len);
	bertlv_put(&w, 0x42, c->ca_id.data, c->ca_id.len);
	bertlv_put(&w, 0x5F20, c->subject_id.data, c->subject_id.len);
	if (c->effective)
		put_date(&w, 0x5F25, c->effective);
	put_date(&w, 0x5F24, c->expiration);
	put_dd(&w, c, v);
	return bertlv_writer_finish(&w);
}

int gpcert_sign(uint8_t *out, size_t cap, struct gpcert *c, const struct gpcert_variant *v, const EVP_PKEY *issuer)
{
	static const uint8_t placeholder[EC_SIG_LEN];
	uint8_t tbs[GPCERT_MAX_LEN], sd[GPCERT_MAX_LEN], sig[EC_SIG_LEN];
	struct gpcert tmp = *c;
	int n, sd_len, rc;

	if (!issuer)
		return -EINVAL;
	/* Build in a private buffer first: c's fields may point into out (re-signing in place). */
	tmp.signature = placeholder;
	n = gpcert_encode(tbs, sizeof(tbs), &tmp, v);
	if (n < 0)
		return n;
	/* Re-decode our own output so the signed span is exactly what a verifier will see. */
	if (gpcert_decode_exact(&tmp, tbs, (size_t)n, NULL) < 0)
		return -EINVAL;
	sd_len = gpcert_signed_data(&tmp, v, sd, sizeof(sd));
	if (sd_len < 0)
		return sd_len;
	rc = crypto_ecdsa_sign(issuer, sd, (size_t)sd_len, sig);
	if (rc < 0)
		return rc;
	if ((size_t)n > cap)
		return -EMSGSIZE;
	memcpy(tbs + (tmp.signature - tbs), sig, sizeof(sig));
	memcpy(out, tbs, (size_t)n);
	return gpcert_decode_exact(c, out, (size_t)n, NULL) == n ? n : -EINVAL;
}

int gpcert_public_key(const struct gpcert *c, EVP_PKEY **out, enum gpcert_err *reason)
{
	*out = NULL;
	if (!c->public_key)
		return fail(reason, GPCERT_ERR_MISSING_FIELD, -EBADMSG);
	if (crypto_ec_from_public(c->curve, c->public_key, EC_POINT_LEN, out) < 0)
		return fail(reason, GPCERT_ERR_BAD_PUBLIC_KEY, -EBADMSG);
	return 0;
}

/* --- checks ------------------------------------------------------------------------------------ */

int gpcert_check(const struct gpcert *c, const EVP_PKEY *issuer, const struct gpcert_check_opts *o,
		 enum gpcert_err *reason)
{
	const struct gpcert_variant *v = o && o->variant ? o->variant : &gpcert_variant_default;
	uint8_t sd[GPCERT_MAX_LEN];
	const uint8_t *msg;
	int type, sd_len;

	if (!c->signature || !c->signed_data.data)
		return fail(reason, GPCERT_ERR_MISSING_FIELD, -EINVAL);
	if (!issuer || crypto_ec_curve_of(issuer) < 0)
		return fail(reason, GPCERT_ERR_ISSUER_KEY, -EINVAL);
	type = gpcert_type_of(c, NULL);
	if (o && o->check_type && type != (int)o->type)
		return fail(reason, GPCERT_ERR_WRONG_TYPE, -EBADMSG);
	if (o && o->date) {
		if (c->effective && o->date < c->effective)
			return fail(reason, GPCERT_ERR_NOT_YET_VALID, -EBADMSG);
		if (o->date > c->expiration)
			return fail(reason, GPCERT_ERR_EXPIRED, -EBADMSG);
	}
	if (type == GPCERT_TYPE_ECASD && v->ecasd_sigdata != GPCERT_ECASD_SIGDATA_TRANSMITTED) {
		sd_len = gpcert_signed_data(c, v, sd, sizeof(sd));
		if (sd_len < 0)
			return fail(reason, GPCERT_ERR_MALFORMED, -EBADMSG);
		msg = sd;
	} else {
		/* V1: the signed data is the transmitted bytes before 5F37; no copy needed. */
		msg = c->signed_data.data;
		sd_len = (int)c->signed_data.len;
	}
	if (crypto_ecdsa_verify(issuer, msg, (size_t)sd_len, c->signature, EC_SIG_LEN) < 0)
		return fail(reason, GPCERT_ERR_BAD_SIGNATURE, -EBADMSG);
	if (reason)
		*reason = GPCERT_OK;
	return 0;
}

/* The AKI (C9), when present, names the issuer by its SubjectKeyIdentifier (digest §4.6, v4.x). */
static int check_aki(const struct gpcert *c, X509 *issuer, enum gpcert_err *reason)
{
	uint8_t ski[GPCERT_MAX_ID_LEN];
	int n;

	if (!c->aki.len)
		return 0;
	n = crypto_x509_ski(issuer, ski, sizeof(ski));
	if (n < 0 || (size_t)n != c->aki.len || memcmp(ski, c->aki.data, c->aki.len) != 0)
		return fail(reason, GPCERT_ERR_ISSUER_MISMATCH, -EBADMSG);
	return 0;
}

static int check_with_x509(const struct gpcert *c, X509 *issuer, const struct gpcert_check_opts *o,
			   enum gpcert_err *reason)
{
	EVP_PKEY *key = NULL;
	int rc;

	if (crypto_x509_public_key(issuer, &key) < 0)
		return fail(reason, GPCERT_ERR_ISSUER_KEY, -EBADMSG);
	rc = check_aki(c, issuer, reason);
	if (rc == 0)
		rc = gpcert_check(c, key, o, reason);
	EVP_PKEY_free(key);
	return rc;
}

int gpcert_check_ci(const struct gpcert *c, X509 *ci, const struct gpcert_check_opts *o, enum gpcert_err *reason)
{
	int type = gpcert_type_of(c, NULL);

	/* Only SM-SR and SM-DP certificates are signed by the CI (digest §1.1). */
	if (type != GPCERT_TYPE_SR && type != GPCERT_TYPE_DP)
		return fail(reason, GPCERT_ERR_WRONG_TYPE, -EBADMSG);
	return check_with_x509(c, ci, o, reason);
}

int gpcert_check_eum(const struct gpcert *c, X509 *eum, X509 *ci, const struct gpcert_check_opts *o,
		     enum gpcert_err *reason)
{
	/* The EUM signs CERT.ECASD.ECKA; the CI signs the EUM certificate (digest §1.1). */
	if (gpcert_type_of(c, NULL) != GPCERT_TYPE_ECASD)
		return fail(reason, GPCERT_ERR_WRONG_TYPE, -EBADMSG);
	if (crypto_x509_verify_signed_by(eum, ci) < 0)
		return fail(reason, GPCERT_ERR_CHAIN, -EBADMSG);
	return check_with_x509(c, eum, o, reason);
}
