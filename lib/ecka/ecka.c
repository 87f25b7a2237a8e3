/* ECKA-EG key establishment (see ecka.h). */
#include <errno.h>
#include <string.h>
#include <openssl/crypto.h>

#include "lib/crypto/kdf.h"
#include "lib/crypto/sym.h"
#include "lib/ecka/ecka.h"
#include "lib/tlv/bertlv.h"

const struct value_string ecka_target_names[] = {
	{ ECKA_TARGET_ISDP, "ISD-P" },
	{ ECKA_TARGET_ISDR, "ISD-R" },
	{ ECKA_TARGET_ISDR_SCP81, "ISD-R-SCP81" },
	{ 0, NULL },
};
const struct value_string ecka_kuq_names[] = {
	{ ECKA_KUQ_10, "10" },
	{ ECKA_KUQ_5C, "5C" },
	{ 0, NULL },
};
const struct value_string ecka_isdp_split_names[] = {
	{ ECKA_ISDP_RCPT_ENC_MAC_DEK, "RCPT_ENC_MAC_DEK" },
	{ ECKA_ISDP_RCPT_BASEKEY, "RCPT_BASEKEY" },
	{ 0, NULL },
};
const struct value_string ecka_isdr_split_names[] = {
	{ ECKA_ISDR_RCPT_KIC_KID_KIK, "RCPT_KIC_KID_KIK" },
	{ ECKA_ISDR_RCPT_KIC_KID, "RCPT_KIC_KID" },
	{ 0, NULL },
};
const struct value_string ecka_receipt_input_names[] = {
	{ ECKA_RECEIPT_A6_THEN_DR_IF_ANY, "A6_THEN_DR_IF_ANY" },
	{ ECKA_RECEIPT_A6_ONLY, "A6_ONLY" },
	{ 0, NULL },
};
const struct value_string ecka_sharedinfo_order_names[] = {
	{ ECKA_SI_DR_THEN_HOSTID, "KUQ,TYPE,LEN,DR,HOSTID" },
	{ ECKA_SI_HOSTID_THEN_DR, "KUQ,TYPE,LEN,HOSTID,DR" },
	{ 0, NULL },
};
const struct value_string ecka_epk_encoding_names[] = {
	{ ECKA_EPK_B0_F0, "B0_F0" },
	{ ECKA_EPK_B0, "B0" },
	{ ECKA_EPK_RAW, "RAW" },
	{ 0, NULL },
};

/* open-questions §16, default column. */
const struct ecka_variants ecka_variants_default = {
	.isdp_kuq = ECKA_KUQ_10,
	.isdr_kuq = ECKA_KUQ_10,
	.isdp_split = ECKA_ISDP_RCPT_ENC_MAC_DEK,
	.isdr_split = ECKA_ISDR_RCPT_KIC_KID_KIK,
	.receipt_input = ECKA_RECEIPT_A6_THEN_DR_IF_ANY,
	.sharedinfo_order = ECKA_SI_DR_THEN_HOSTID,
	.epk_encoding = ECKA_EPK_B0_F0,
	.isdp_scenario_param = ECKA_SP_CERT_FIRST | ECKA_SP_DELETE_KEYS,	 /* 09, trace */
	.isdr_scenario_param = ECKA_SP_CERT_FIRST | ECKA_SP_HOSTID | ECKA_SP_DR, /* 0E */
};

static const struct ecka_variants *var(const struct ecka_variants *v)
{
	return v ? v : &ecka_variants_default;
}

/* --- CRT A6 ------------------------------------------------------------------------------------- */

void ecka_crt_default(struct ecka_crt *c, enum ecka_target target, const struct ecka_variants *v, uint8_t kvn)
{
	v = var(v);
	memset(c, 0, sizeof(*c));
	c->scenario = 0x03;
	c->param = target == ECKA_TARGET_ISDP ? v->isdp_scenario_param : v->isdr_scenario_param;
	c->kuq = (uint8_t)(target == ECKA_TARGET_ISDR ? v->isdr_kuq : v->isdp_kuq);
	/* open-questions §3: fixed by SGP.02 since ES7 does not carry them */
	c->key_type = ECKA_KEY_TYPE_AES;
	if (target == ECKA_TARGET_ISDR_SCP81) {
		/* one PSK-TLS key (NJ CreateSCP81KeySet: KEY_QUAL_ONE_KEY, PSK_TLS, 16 bytes) */
		c->kuq = ECKA_KUQ_5C;
		c->key_type = ECKA_KEY_TYPE_PSK_TLS;
	}
	c->key_len = 16;
	c->kid = 0x01;
	c->kvn = kvn;
	c->counter = NULL;
	c->counter_len = 0;
}

int ecka_crt_encode(const struct ecka_crt *c, uint8_t *out, size_t cap)
{
	struct bertlv_writer w;
	const uint8_t sp[2] = { c->scenario, c->param };
	size_t mark;

	if (!c || !out || c->counter_len > ECKA_COUNTER_MAX || c->host_id_len > ECKA_HOSTID_MAX ||
	    c->sdin_len > ECKA_SDIN_MAX || (c->counter_len && !c->counter))
		return -EINVAL;
	bertlv_writer_init(&w, out, cap);
	mark = bertlv_open(&w, 0xA6);
	bertlv_put(&w, 0x90, sp, 2);
	bertlv_put_u8(&w, 0x95, c->kuq);
	bertlv_put_u8(&w, 0x80, c->key_type);
	bertlv_put_u8(&w, 0x81, c->key_len);
	bertlv_put_u8(&w, 0x82, c->kid);
	bertlv_put_u8(&w, 0x83, c->kvn);
	bertlv_put(&w, 0x91, c->counter, c->counter_len);
	if (c->host_id)
		bertlv_put(&w, 0x84, c->host_id, c->host_id_len);
	if (c->sdin)
		bertlv_put(&w, 0x45, c->sdin, c->sdin_len);
	if (c->has_key_access)
		bertlv_put_u8(&w, 0x96, c->key_access);
	bertlv_close(&w, mark);
	return bertlv_writer_finish(&w);
}

static int one_byte(const struct bertlv *t, uint8_t *v)
{
	if (t->len != 1)
		return -EBADMSG;
	*v = t->value[0];
	return 0;
}

int ecka_crt_decode(struct ecka_crt *c, const uint8_t *buf, size_t len)
{
	enum { F90 = 1, F95 = 2, F80 = 4, F81 = 8, F82 = 16, F83 = 32, F91 = 64, F84 = 128, F45 = 256, F96 = 512 };
	const unsigned int mandatory = F90 | F95 | F80 | F81 | F82 | F83;
	struct bertlv outer, t;
	struct bertlv_iter it;
	unsigned int seen = 0, bit;
	int n, rc;

	if (!c || (!buf && len))
		return -EINVAL;
	n = bertlv_decode(&outer, buf, len);
	if (n < 0)
		return n;
	if (outer.tag != 0xA6 || outer.indefinite || outer.total > ECKA_CRT_MAX)
		return -EBADMSG;
	memset(c, 0, sizeof(*c));
	bertlv_iter_init(&it, outer.value, outer.len);
	while ((rc = bertlv_iter_next(&it, &t)) > 0) {
		if (t.indefinite)
			return -EBADMSG;
		switch (t.tag) {
		case 0x90:
			bit = F90;
			if (t.len != 2 || t.value[0] != 0x03) /* Scenario #3 only */
				return -EBADMSG;
			c->scenario = t.value[0];
			c->param = t.value[1];
			break;
		case 0x95:
			bit = F95;
			rc = one_byte(&t, &c->kuq);
			break;
		case 0x80:
			bit = F80;
			rc = one_byte(&t, &c->key_type);
			break;
		case 0x81:
			bit = F81;
			rc = one_byte(&t, &c->key_len);
			if (rc == 0 && c->key_len != 16 && c->key_len != 24 && c->key_len != 32)
				return -EBADMSG;
			break;
		case 0x82:
			bit = F82;
			rc = one_byte(&t, &c->kid);
			break;
		case 0x83:
			bit = F83;
			rc = one_byte(&t, &c->kvn);
			break;
		case 0x91:
			bit = F91;
			if (t.len > ECKA_COUNTER_MAX)
				return -EBADMSG;
			c->counter = t.len ? t.value : NULL;
			c->counter_len = t.len;
			break;
		case 0x84:
			bit = F84;
			if (t.len < 1 || t.len > ECKA_HOSTID_MAX)
				return -EBADMSG;
			c->host_id = t.value;
			c->host_id_len = t.len;
			break;
		case 0x45:
			bit = F45;
			if (t.len < 1 || t.len > ECKA_SDIN_MAX)
				return -EBADMSG;
			c->sdin = t.value;
			c->sdin_len = t.len;
			break;
		case 0x96:
			bit = F96;
			c->has_key_access = true;
			rc = one_byte(&t, &c->key_access);
			break;
		default: return -EBADMSG;
		}
		if (rc < 0)
			return rc;
		if (seen & bit)
			return -EBADMSG;
		seen |= bit;
	}
	if (rc < 0)
		return rc == -EAGAIN ? -EBADMSG : rc; /* the outer length said the content was complete */
	if ((seen & mandatory) != mandatory)
		return -EBADMSG;
	return n;
}

/* --- ePK 7F49 ------------------------------------------------------------------------------------ */

int ecka_epk_encode(enum ecka_epk_encoding enc, const uint8_t point[EC_POINT_LEN], enum crypto_curve curve,
		    uint8_t *out, size_t cap)
{
	/* GP Amd E Table 4-26 key parameter reference: 00 NIST P-256, 03 brainpoolP256r1 */
	const uint8_t ref = curve == CRYPTO_CURVE_BRAINPOOLP256R1 ? 0x03 : 0x00;
	struct bertlv_writer w;
	size_t mark;

	if (!point || !out || point[0] != 0x04 || (unsigned int)curve >= _NUM_CRYPTO_CURVES)
		return -EINVAL;
	bertlv_writer_init(&w, out, cap);
	mark = bertlv_open(&w, 0x7F49);
	switch (enc) {
	case ECKA_EPK_RAW: bertlv_put_raw(&w, point, EC_POINT_LEN); break;
	case ECKA_EPK_B0:
	case ECKA_EPK_B0_F0:
		bertlv_put(&w, 0xB0, point, EC_POINT_LEN);
		if (enc == ECKA_EPK_B0_F0)
			bertlv_put_u8(&w, 0xF0, ref);
		break;
	default: return -EINVAL;
	}
	bertlv_close(&w, mark);
	return bertlv_writer_finish(&w);
}

int ecka_epk_decode(const uint8_t *buf, size_t len, const uint8_t **point)
{
	struct bertlv outer, t;
	int n, rc;

	if (!point || (!buf && len))
		return -EINVAL;
	n = bertlv_decode(&outer, buf, len);
	if (n < 0)
		return n;
	if (outer.tag != 0x7F49 || outer.indefinite)
		return -EBADMSG;
	/* RAW: the value is the point itself (the recorded trace) */
	if (outer.len == EC_POINT_LEN && outer.value[0] == 0x04) {
		*point = outer.value;
		return n;
	}
	rc = bertlv_decode(&t, outer.value, outer.len);
	if (rc < 0)
		return -EBADMSG;
	if (t.tag != 0xB0 || t.len != EC_POINT_LEN || t.value[0] != 0x04)
		return -EBADMSG;
	if ((size_t)rc != outer.len) {
		struct bertlv f;
		int m = bertlv_decode(&f, outer.value + rc, outer.len - (size_t)rc);

		if (m < 0 || f.tag != 0xF0 || f.len != 1 || (size_t)rc + (size_t)m != outer.len)
			return -EBADMSG;
	}
	*point = t.value;
	return n;
}

/* --- derivation ---------------------------------------------------------------------------------- */

size_t ecka_dr_len(enum crypto_curve curve)
{
	/* GP Amd A Table 3-27 (via Njiwa): 16 bytes up to 383 bits, 24 up to 511, else 32; ours are 256-bit. */
	(void)curve;
	return 16;
}

int ecka_shared_info(const struct ecka_crt *crt, const uint8_t *dr, size_t dr_len, enum ecka_sharedinfo_order order,
		     uint8_t *out, size_t cap)
{
	size_t n = 0, need;

	if (!crt || !out || (dr_len && !dr) || dr_len > ECKA_DR_MAX || crt->host_id_len > ECKA_HOSTID_MAX)
		return -EINVAL;
	need = 3 + dr_len + (crt->host_id ? 1 + crt->host_id_len : 0);
	if (cap < need)
		return -EMSGSIZE;
	/* GP Amd A Table 3-28 (via Njiwa computeSharedInfo; trace: 10 88 10) */
	out[n++] = crt->kuq;
	out[n++] = crt->key_type;
	out[n++] = crt->key_len;
	if (order == ECKA_SI_DR_THEN_HOSTID && dr_len) {
		memcpy(out + n, dr, dr_len);
		n += dr_len;
	}
	if (crt->host_id) {
		out[n++] = (uint8_t)crt->host_id_len;
		memcpy(out + n, crt->host_id, crt->host_id_len);
		n += crt->host_id_len;
	}
	if (order == ECKA_SI_HOSTID_THEN_DR && dr_len) {
		memcpy(out + n, dr, dr_len);
		n += dr_len;
	}
	return (int)n;
}

static unsigned int n_keys(enum ecka_target target, const struct ecka_variants *v)
{
	if (target == ECKA_TARGET_ISDR)
		return v->isdr_split == ECKA_ISDR_RCPT_KIC_KID ? 2 : 3;
	if (target == ECKA_TARGET_ISDR_SCP81)
		return 1;
	return v->isdp_split == ECKA_ISDP_RCPT_BASEKEY ? 1 : 3;
}

size_t ecka_key_data_len(enum ecka_target target, const struct ecka_variants *v, size_t key_len)
{
	return (1 + n_keys(target, var(v))) * key_len;
}

int ecka_derive(const uint8_t shs[EC_SCALAR_LEN], const struct ecka_crt *crt, const uint8_t *dr, size_t dr_len,
		enum ecka_target target, const struct ecka_variants *v, struct ecka_keys *out)
{
	uint8_t si[ECKA_SHAREDINFO_MAX], kd[ECKA_KEYDATA_MAX];
	size_t kl, kdl;
	int sil, rc;

	v = var(v);
	if (!shs || !crt || !out)
		return -EINVAL;
	kl = crt->key_len;
	if (kl != 16 && kl != 24 && kl != 32)
		return -EINVAL;
	sil = ecka_shared_info(crt, dr, dr_len, v->sharedinfo_order, si, sizeof(si));
	if (sil < 0)
		return sil;
	kdl = ecka_key_data_len(target, v, kl);
	rc = crypto_x963_kdf_sha256(shs, EC_SCALAR_LEN, si, (size_t)sil, kd, kdl);
	if (rc < 0)
		return rc;
	/* GP Amd A Table 3-29 (via Njiwa / WHTY; trace: receipt ‖ ENC ‖ MAC ‖ DEK) */
	memset(out, 0, sizeof(*out));
	out->key_len = kl;
	out->n_keys = n_keys(target, v);
	memcpy(out->receipt_key, kd, kl);
	for (unsigned int i = 0; i < out->n_keys; i++)
		memcpy(out->key[i], kd + (1 + i) * kl, kl);
	OPENSSL_cleanse(kd, sizeof(kd));
	return 0;
}

int ecka_receipt(const struct ecka_keys *k, const uint8_t *crt_tlv, size_t crt_len, const uint8_t *dr, size_t dr_len,
		 enum ecka_receipt_input input, uint8_t receipt[ECKA_RECEIPT_LEN])
{
	uint8_t in[ECKA_CRT_MAX + 2 + ECKA_DR_MAX];
	size_t n = crt_len;

	if (!k || !crt_tlv || !receipt || crt_len > ECKA_CRT_MAX || dr_len > ECKA_DR_MAX || (dr_len && !dr))
		return -EINVAL;
	memcpy(in, crt_tlv, crt_len);
	if (input == ECKA_RECEIPT_A6_THEN_DR_IF_ANY && dr_len) {
		in[n++] = 0x85;
		in[n++] = (uint8_t)dr_len;
		memcpy(in + n, dr, dr_len);
		n += dr_len;
	}
	return crypto_aes_cmac(k->receipt_key, k->key_len, in, n, receipt);
}

/* --- the two sides ------------------------------------------------------------------------------- */

int ecka_host_start(struct ecka_host *h, const EVP_PKEY *card_pub, const uint8_t *eph_priv, size_t eph_len)
{
	int curve, rc;

	if (!h || !card_pub)
		return -EINVAL;
	memset(h, 0, sizeof(*h));
	curve = crypto_ec_curve_of(card_pub);
	if (curve < 0)
		return curve;
	rc = eph_priv ? crypto_ec_from_private((enum crypto_curve)curve, eph_priv, eph_len, &h->eph)
		      : crypto_ec_generate((enum crypto_curve)curve, &h->eph);
	if (rc < 0)
		return rc;
	if ((rc = crypto_ec_export_public(h->eph, h->epk)) < 0 || (rc = crypto_ecdh(h->eph, card_pub, h->shs)) < 0) {
		ecka_host_free(h);
		return rc;
	}
	return 0;
}

int ecka_host_finish(struct ecka_host *h, const uint8_t *crt_tlv, size_t crt_len, const uint8_t *dr, size_t dr_len,
		     const uint8_t *receipt, size_t receipt_len, enum ecka_target target, const struct ecka_variants *v,
		     struct ecka_keys *keys)
{
	struct ecka_crt crt;
	uint8_t want[ECKA_RECEIPT_LEN];
	int rc;

	v = var(v);
	if (!h || !h->eph || !keys || (!receipt && receipt_len))
		return -EINVAL;
	rc = ecka_crt_decode(&crt, crt_tlv, crt_len);
	if (rc < 0)
		return rc;
	if ((size_t)rc != crt_len || dr_len > ECKA_DR_MAX)
		return -EBADMSG;
	/* the DR is there exactly when the CRT asked for one */
	if (((crt.param & ECKA_SP_DR) != 0) != (dr_len != 0))
		return -EBADMSG;
	if ((rc = ecka_derive(h->shs, &crt, dr, dr_len, target, v, keys)) < 0 ||
	    (rc = ecka_receipt(keys, crt_tlv, crt_len, dr, dr_len, v->receipt_input, want)) < 0)
		return rc;
	if (receipt_len != ECKA_RECEIPT_LEN || !crypto_mem_equal(want, receipt, ECKA_RECEIPT_LEN)) {
		OPENSSL_cleanse(keys, sizeof(*keys));
		return -EACCES;
	}
	return 0;
}

void ecka_host_free(struct ecka_host *h)
{
	if (!h)
		return;
	EVP_PKEY_free(h->eph);
	OPENSSL_cleanse(h, sizeof(*h));
}

int ecka_card_establish(const EVP_PKEY *sk, const uint8_t *epk, size_t epk_len, const uint8_t *crt_tlv, size_t crt_len,
			enum ecka_target target, const struct ecka_variants *v, const uint8_t *dr_fixed,
			struct ecka_card_result *r)
{
	struct ecka_crt crt;
	EVP_PKEY *peer = NULL;
	uint8_t shs[EC_SCALAR_LEN];
	int curve, rc;

	v = var(v);
	if (!sk || !r || (!epk && epk_len))
		return -EINVAL;
	memset(r, 0, sizeof(*r));
	rc = ecka_crt_decode(&crt, crt_tlv, crt_len);
	if (rc < 0)
		return rc;
	if ((size_t)rc != crt_len)
		return -EBADMSG;
	curve = crypto_ec_curve_of(sk);
	if (curve < 0)
		return curve;
	rc = crypto_ec_from_public((enum crypto_curve)curve, epk, epk_len, &peer); /* on-curve check */
	if (rc < 0)
		return rc;
	rc = crypto_ecdh(sk, peer, shs);
	EVP_PKEY_free(peer);
	if (rc < 0)
		return rc;
	if (crt.param & ECKA_SP_DR) {
		r->dr_len = ecka_dr_len((enum crypto_curve)curve);
		if (dr_fixed)
			memcpy(r->dr, dr_fixed, r->dr_len);
		else if ((rc = crypto_random(r->dr, r->dr_len)) < 0)
			goto out;
	}
	if ((rc = ecka_derive(shs, &crt, r->dr_len ? r->dr : NULL, r->dr_len, target, v, &r->keys)) < 0)
		goto out;
	rc = ecka_receipt(&r->keys, crt_tlv, crt_len, r->dr_len ? r->dr : NULL, r->dr_len, v->receipt_input,
			  r->receipt);
out:
	OPENSSL_cleanse(shs, sizeof(shs));
	if (rc < 0)
		OPENSSL_cleanse(r, sizeof(*r));
	return rc;
}
