/* sims/euicc: key establishment, card side (ECASD + ISD-R / ISD-P): EstablishISDRKeySet (SGP.02
 * §4.1.1.8, SM-SR change) and ES8.EstablishISDPKeySet (§4.1.3.1), digest §2.1 steps 8-21, §3.2 and §4.7.
 *
 *   INSTALL [for personalization] { ISD-P AID }   the next STORE DATAs of this script go to that ISD-P
 *   STORE DATA 3A01 { 7F21 CERT.SR/DP.ECDSA }     type SR (ISD-R) / DP (ISD-P), verified with PK.CI
 *                                                  (lib/gpcert); PK kept; answer 85 RC
 *   STORE DATA 3A02 { A6 } 7F49 {ePK} 5F37 {sig}  sig verified with the kept PK over
 *                                                  es5_keyset_signed_data (… ‖ 0085 RC); lib/ecka card side
 *                                                  -> key set, DR, receipt; answer [85 DR] 86 receipt
 *
 * ISD-R: the new key set is an SCP80 set with the CRT's KVN (01-0F; KIc/KID/KIK, or KIc/KID under the
 * ISDR_SPLIT_3 variant) and the CRT's initial counter, or, for key type 85, an SCP81 set (KVN 40-4F)
 * whose PSK is KID 1 (the managing SM-SR's PSK-TLS key, digest §2.1 step 26). ISD-P: its SCP03 key set (ENC/MAC/DEK, or one base
 * key used as all three under the BASEKEY variant), the SCP03t sequence counter from the CRT's 91, and
 * state PERSONALIZED; one commit each. Status words: es5_sw_meaning() (6A80 certificate malformed or of
 * the wrong type, 6982 verification failed, 6985 no 3A01 before / wrong ISD-P state / the session's own
 * key set, 6A88 unknown ISD-P, 6581 memory failure). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <openssl/crypto.h>

#include "lib/crypto/sym.h"
#include "lib/gpcert/gpcert.h"
#include "lib/tlv/bertlv.h"
#include "sims/euicc/ext.h"

static int card_curve(struct euicc_card *c, enum crypto_curve *curve)
{
	uint8_t b;
	size_t len = 1;

	if (euicc_store_param_get(c->st, "curve", &b, &len) < 0 || len != 1)
		return -EINVAL;
	*curve = (enum crypto_curve)b;
	return 0;
}

static int load_key(struct euicc_card *c, const char *name, bool priv, EVP_PKEY **out)
{
	uint8_t buf[EC_POINT_LEN];
	size_t len = sizeof(buf);
	enum crypto_curve curve;
	int rc;

	if (card_curve(c, &curve) < 0 || euicc_store_param_get(c->st, name, buf, &len) < 0)
		return -EINVAL;
	rc = priv ? crypto_ec_from_private(curve, buf, len, out) : crypto_ec_from_public(curve, buf, len, out);
	OPENSSL_cleanse(buf, sizeof(buf));
	return rc;
}

static int install_perso(struct euicc_card *c, const struct es5_command *cmd, uint8_t *resp, size_t cap, uint16_t *sw)
{
	struct euicc_x *x = c->x;
	struct euicc_isdp p;

	/* isdr.c checked that the ISD-P exists. Key establishment only for a new ISD-P (digest §3.1 step
	 * 5 -> §3.2 step 11: SELECTABLE -> PERSONALIZED); a PERSONALIZED one may renew its keys (an
	 * interrupted download restarted by the SM-DP) [I]. */
	if (euicc_store_isdp_get(c->st, cmd->u.aid.buf, cmd->u.aid.len, &p) < 0) {
		*sw = 0x6A88;
		return 0;
	}
	if (p.state != ES5_ISDP_SELECTABLE && p.state != ES5_ISDP_PERSONALIZED) {
		*sw = 0x6985;
		return 0;
	}
	x->perso = true;
	x->perso_script = c->script_seq;
	memcpy(x->perso_aid, p.aid, p.aid_len);
	x->perso_len = p.aid_len;
	if (cap < 1)
		return -EMSGSIZE;
	resp[0] = 0x00; /* GP 2.3 §11.5.3.1: one byte 00 */
	*sw = 0x9000;
	return 1;
}

static bool perso_in_script(const struct euicc_card *c)
{
	return c->x->perso && c->x->perso_script == c->script_seq;
}

static int keyset_cert(struct euicc_card *c, const struct es5_command *cmd, uint8_t *resp, size_t cap, uint16_t *sw)
{
	struct euicc_x *x = c->x;
	struct euicc_keyest *ke = &x->ke;
	struct gpcert cert;
	struct gpcert_check_opts o = { .check_type = true };
	enum gpcert_err why;
	EVP_PKEY *ci = NULL;
	bool isdp = perso_in_script(c);
	struct bertlv_writer w;
	int rc;

	/* a new first command abandons any pending establishment */
	OPENSSL_cleanse(ke, sizeof(*ke));
	o.type = isdp ? GPCERT_TYPE_DP : GPCERT_TYPE_SR;
	o.date = c->cfg.cert_date ? c->cfg.cert_date : gpcert_date_today();
	if (gpcert_decode_exact(&cert, cmd->u.keyset_cert.cert.buf, cmd->u.keyset_cert.cert.len, &why) < 0) {
		*sw = 0x6A80;
		return 0;
	}
	if (load_key(c, "ci.pk", false, &ci) < 0) {
		*sw = 0x6581;
		return 0;
	}
	rc = gpcert_check(&cert, ci, &o, &why);
	EVP_PKEY_free(ci);
	if (rc < 0) {
		/* digest §2.1 step 8: the ISD-R checks the type (C8 01 02 / 01); the ECASD the signature */
		*sw = why == GPCERT_ERR_WRONG_TYPE ? 0x6A80 : 0x6982;
		return 0;
	}
	if (crypto_random(ke->rc, sizeof(ke->rc)) < 0) {
		*sw = 0x6F00;
		return 0;
	}
	ke->isdp = isdp;
	if (isdp) {
		memcpy(ke->aid, x->perso_aid, x->perso_len);
		ke->aid_len = x->perso_len;
	}
	memcpy(ke->pk, cert.public_key, EC_POINT_LEN);
	ke->curve = cert.curve;
	ke->pending = true;
	bertlv_writer_init(&w, resp, cap);
	bertlv_put(&w, 0x85, ke->rc, sizeof(ke->rc)); /* 85 RC (digest §4.4) */
	rc = bertlv_writer_finish(&w);
	*sw = rc < 0 ? 0x6F00 : 0x9000;
	return rc;
}

/* The 7F49 TLV again from its value (lib/ecka decodes TLVs). */
static int epk_point(const struct es5_bytes *v, uint8_t *tlv, size_t cap, const uint8_t **point)
{
	struct bertlv_writer w;
	int n;

	bertlv_writer_init(&w, tlv, cap);
	bertlv_put(&w, 0x7F49, v->buf, v->len);
	n = bertlv_writer_finish(&w);
	if (n < 0)
		return n;
	return ecka_epk_decode(tlv, (size_t)n, point);
}

static uint64_t counter_of(const struct ecka_crt *crt)
{
	uint64_t v = 0;

	for (size_t i = 0; i < crt->counter_len; i++)
		v = v << 8 | crt->counter[i];
	return v;
}

/* Persist the ISD-R key set; 0 or -EIO. */
static int store_isdr(struct euicc_card *c, const struct ecka_crt *crt, const struct ecka_keys *k)
{
	struct euicc_keyset ks = { .kvn = crt->kvn,
				   .type = crt->key_type == ECKA_KEY_TYPE_PSK_TLS ? EUICC_KEYSET_SCP81
										  : EUICC_KEYSET_SCP80 };
	int rc;

	for (unsigned int i = 0; i < k->n_keys && i < 3; i++) {
		memcpy(ks.key[i], k->key[i], k->key_len);
		ks.key_len[i] = (uint8_t)k->key_len;
	}
	ks.cntr_in = counter_of(crt); /* TS 102 225 §5.1.1: the next packet must be higher */
	rc = euicc_store_keyset_put(c->st, &ks);
	OPENSSL_cleanse(&ks, sizeof(ks));
	return rc;
}

static int store_isdp(struct euicc_card *c, const struct ecka_crt *crt, const struct ecka_keys *k)
{
	struct euicc_keyest *ke = &c->x->ke;
	struct euicc_isdp p;
	char name[64];
	uint8_t seq[SCP03_SEQ_LEN] = { 0 };
	uint64_t cnt = counter_of(crt);
	int rc;

	if (euicc_store_isdp_get(c->st, ke->aid, ke->aid_len, &p) < 0)
		return -ENOENT;
	if (p.state != ES5_ISDP_SELECTABLE && p.state != ES5_ISDP_PERSONALIZED)
		return -EPERM;
	p.has_scp03 = true;
	p.scp03_kvn = crt->kvn;
	for (unsigned int i = 0; i < 3; i++)
		/* BASEKEY variant: one key, used as ENC, MAC and DEK [I] */
		memcpy(p.scp03[i], k->key[k->n_keys >= 3 ? i : 0], 16);
	p.state = ES5_ISDP_PERSONALIZED; /* digest §3.2 step 11 */
	/* digest §4.8: the SCP03t sequence counter starts from the CRT's 91 initial counter, the first
	 * session uses it + 1 (the trace: 91 00 -> 000001) */
	cnt++;
	for (int i = SCP03_SEQ_LEN - 1; i >= 0; i--, cnt >>= 8)
		seq[i] = (uint8_t)cnt;
	euicc_es8_param_name(name, sizeof(name), "seq", p.aid, p.aid_len);
	rc = euicc_store_isdp_put(c->st, &p);
	if (rc == 0)
		rc = euicc_store_param_set(c->st, name, seq, sizeof(seq));
	OPENSSL_cleanse(&p, sizeof(p));
	return rc;
}

static int keyset_keyagreement(struct euicc_card *c, const struct euicc_session *s, const struct es5_command *cmd,
			       uint8_t *resp, size_t cap, uint16_t *sw)
{
	struct euicc_x *x = c->x;
	struct euicc_keyest *ke = &x->ke;
	const struct es5_bytes *a6 = &cmd->u.keyset_keyagreement.a6, *epk = &cmd->u.keyset_keyagreement.epk_value,
			       *sig = &cmd->u.keyset_keyagreement.sig;
	static uint8_t signed_data[512];
	uint8_t epk_tlv[128];
	const uint8_t *point;
	struct ecka_crt crt;
	struct ecka_card_result r;
	EVP_PKEY *pk = NULL, *sk = NULL;
	struct bertlv_writer w;
	bool isdp, scp81;
	int n, rc;

	if (!ke->pending) {
		*sw = 0x6985; /* no certificate before (es5_sw_meaning) */
		return 0;
	}
	/* Which target this 3A02 is for (variant euicc_perso_scope). */
	isdp = perso_in_script(c) || (c->cfg.perso == EUICC_PERSO_PENDING && ke->isdp);
	if (isdp != ke->isdp || (isdp && perso_in_script(c) &&
				 (x->perso_len != ke->aid_len || memcmp(x->perso_aid, ke->aid, ke->aid_len)))) {
		*sw = 0x6985;
		goto abandon;
	}
	if (ecka_crt_decode(&crt, a6->buf, a6->len) != (int)a6->len ||
	    epk_point(epk, epk_tlv, sizeof(epk_tlv), &point) < 0 || sig->len != EC_SIG_LEN) {
		*sw = 0x6A80;
		goto abandon;
	}
	/* ISD-R: an SCP80 key set (AES, KVN 01-0F) or an SCP81 PSK-TLS key set (KVN 40-4F, digest §4.1 and
	 * §2.1 step 26); not the one protecting this session */
	scp81 = !isdp && crt.key_type == ECKA_KEY_TYPE_PSK_TLS;
	if (!isdp && (scp81 ? crt.kvn < 0x40 || crt.kvn > 0x4F
			    : crt.key_type != ECKA_KEY_TYPE_AES || crt.kvn < 0x01 || crt.kvn > 0x0F)) {
		*sw = 0x6A80;
		goto abandon;
	}
	if (!isdp && s->kvn && crt.kvn == s->kvn) {
		*sw = 0x6985;
		goto abandon;
	}
	n = es5_keyset_signed_data(signed_data, sizeof(signed_data), a6->buf, a6->len, epk->buf, epk->len, ke->rc,
				   sizeof(ke->rc));
	if (n < 0 || crypto_ec_from_public(ke->curve, ke->pk, EC_POINT_LEN, &pk) < 0) {
		*sw = 0x6A80;
		goto abandon;
	}
	rc = crypto_ecdsa_verify(pk, signed_data, (size_t)n, sig->buf, sig->len);
	EVP_PKEY_free(pk);
	if (rc != 0) {
		*sw = 0x6982;
		goto abandon;
	}
	if (load_key(c, "ecasd.sk", true, &sk) < 0) {
		*sw = 0x6581;
		goto abandon;
	}
	rc = ecka_card_establish(sk, point, EC_POINT_LEN, a6->buf, a6->len,
				 isdp	 ? ECKA_TARGET_ISDP
				 : scp81 ? ECKA_TARGET_ISDR_SCP81
					 : ECKA_TARGET_ISDR,
				 &c->cfg.ecka, NULL, &r);
	EVP_PKEY_free(sk);
	if (rc < 0) {
		*sw = rc == -EIO ? 0x6F00 : 0x6A80; /* ePK not on the curve, CRT the variant refuses */
		goto abandon;
	}
	if (euicc_store_begin(c->st) < 0) {
		*sw = 0x6581;
		goto wipe;
	}
	rc = isdp ? store_isdp(c, &crt, &r.keys) : store_isdr(c, &crt, &r.keys);
	if (rc < 0 || euicc_store_commit(c->st) < 0) {
		euicc_store_rollback(c->st);
		*sw = rc == -ENOENT ? 0x6A88 : rc == -EPERM ? 0x6985 : 0x6581;
		goto wipe;
	}
	bertlv_writer_init(&w, resp, cap);
	if (r.dr_len)
		bertlv_put(&w, 0x85, r.dr, r.dr_len); /* 85 DR (digest §4.4) */
	bertlv_put(&w, 0x86, r.receipt, ECKA_RECEIPT_LEN);
	n = bertlv_writer_finish(&w);
	*sw = n < 0 ? 0x6F00 : 0x9000;
	OPENSSL_cleanse(&r, sizeof(r));
	OPENSSL_cleanse(ke, sizeof(*ke));
	x->perso = false;
	return n;
wipe:
	OPENSSL_cleanse(&r, sizeof(r));
abandon:
	/* one attempt per certificate: a failed second command needs a new 3A01 (a fresh RC) */
	OPENSSL_cleanse(ke, sizeof(*ke));
	return 0;
}

int euicc_keyset_handle(struct euicc_card *c, const struct euicc_session *s, const struct es5_command *cmd,
			uint8_t *resp, size_t cap, uint16_t *sw)
{
	*sw = 0x6985;
	if (!c->x)
		return 0;
	switch (cmd->fn) {
	case ES5_FN_INSTALL_PERSO: return install_perso(c, cmd, resp, cap, sw);
	case ES5_FN_KEYSET_CERT: return keyset_cert(c, cmd, resp, cap, sw);
	case ES5_FN_KEYSET_KEYAGREEMENT: return keyset_keyagreement(c, s, cmd, resp, cap, sw);
	default: return 0;
	}
}
