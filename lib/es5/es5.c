/* ES5/ES8 on-card command set (see es5.h).
 *
 * CreateISDP (GP 2.3 §11.5.2.3 INSTALL data, trace in open-questions §14):
 *   Lf ELF-AID ‖ Lm module-AID ‖ La ISD-P-AID ‖ Lp privileges ‖ Li (C9 L scp-params [EF L {83 L quota}]) ‖ Lt token
 * STORE DATA DGI (GP 2.3 §11.11.3.2): DGI(2) ‖ L (1 byte up to FE, else FF ‖ 2 bytes) ‖ value
 */
#include <errno.h>
#include <string.h>

#include "lib/es5/es5.h"
#include "lib/tlv/bertlv.h"

const struct value_string es5_function_names[] = { { ES5_FN_UNKNOWN, "unknown" },
						   { ES5_FN_CREATE_ISDP, "CreateISDP" },
						   { ES5_FN_INSTALL_PERSO, "INSTALL[for personalization]" },
						   { ES5_FN_KEYSET_CERT, "EstablishKeySet(certificate)" },
						   { ES5_FN_KEYSET_KEYAGREEMENT, "EstablishKeySet(key agreement)" },
						   { ES5_FN_ENABLE_PROFILE, "EnableProfile" },
						   { ES5_FN_DISABLE_PROFILE, "DisableProfile" },
						   { ES5_FN_SET_FALLBACK, "SetFallBackAttribute" },
						   { ES5_FN_UPDATE_ADDRESSING, "UpdateSMSRAddressingParameters" },
						   { ES5_FN_NOTIFICATION_CONFIRM, "HandleNotificationConfirmation" },
						   { ES5_FN_DELETE_ISDP, "DeleteISDP" },
						   { ES5_FN_FINALISE_HANDOVER, "FinaliseISDRhandover" },
						   { ES5_FN_GET_STATUS, "GET STATUS" },
						   { ES5_FN_GET_DATA, "GET DATA" },
						   { 0, NULL } };

const struct value_string es5_f2_semantics_names[] = { { ES5_F2_DELETE_LIST, "delete-list" },
						       { ES5_F2_KEEP_LIST, "keep-list" },
						       { 0, NULL } };

const struct value_string es5_delete_p2_names[] = { { ES5_DELETE_P2_40, "40" },
						    { ES5_DELETE_P2_80, "80" },
						    { 0, NULL } };

const struct value_string es5_isdp_state_names[] = {
	{ ES5_ISDP_INSTALLED, "INSTALLED" },	   { ES5_ISDP_SELECTABLE, "SELECTABLE" },
	{ ES5_ISDP_PERSONALIZED, "PERSONALIZED" }, { ES5_ISDP_DISABLED, "DISABLED" },
	{ ES5_ISDP_ENABLED, "ENABLED" },	   { 0, NULL }
};

/* Default privileges of an ISD-P: Security Domain; Trusted Path + Authorized Management (digest §4.4). */
static const uint8_t default_privileges[] = { 0x80, 0xC0, 0x00 };
/* Default SCP parameters: C9 { 81 02 03 70 } = SCP03 with i=70 (digest §4.4). */
static const uint8_t default_scp_params[] = { 0x81, 0x02, 0x03, 0x70 };

/* --- small readers ---------------------------------------------------------------------------- */

/* An LV field (1-byte length) at *pos. */
static int take_lv(const uint8_t *data, size_t len, size_t *pos, struct es5_bytes *out)
{
	size_t l;

	if (*pos >= len)
		return -EBADMSG;
	l = data[*pos];
	if (l > len - *pos - 1)
		return -EBADMSG;
	out->buf = data + *pos + 1;
	out->len = l;
	*pos += 1 + l;
	return 0;
}

/* One DGI at the start of data; the rest of the data (after the DGI) goes to *rest. */
static int take_dgi(const uint8_t *data, size_t len, uint16_t *dgi, struct es5_bytes *value, struct es5_bytes *rest)
{
	size_t hdr, l;

	if (len < 3)
		return -EBADMSG;
	*dgi = (uint16_t)(data[0] << 8 | data[1]);
	if (data[2] < 0xFF) {
		l = data[2];
		hdr = 3;
	} else {
		if (len < 5)
			return -EBADMSG;
		l = (size_t)data[3] << 8 | data[4];
		hdr = 5;
	}
	if (l > len - hdr)
		return -EBADMSG;
	value->buf = data + hdr;
	value->len = l;
	rest->buf = data + hdr + l;
	rest->len = len - hdr - l;
	return 0;
}

/* The value of a TLV that must be the only content of buf. */
static int only_tlv(const uint8_t *buf, size_t len, uint32_t tag, struct es5_bytes *value)
{
	struct bertlv t;

	if (bertlv_decode(&t, buf, len) != (int)len || t.tag != tag || t.indefinite)
		return -EBADMSG;
	value->buf = t.value;
	value->len = t.len;
	return 0;
}

static int decode_aid(const uint8_t *buf, size_t len, struct es5_bytes *aid)
{
	int rc = only_tlv(buf, len, 0x4F, aid);

	/* ISO 7816-5: an AID has 5 to 16 bytes. */
	if (rc == 0 && (aid->len < 5 || aid->len > ES5_AID_MAX))
		return -EBADMSG;
	return rc;
}

/* --- card-side decoder ------------------------------------------------------------------------ */

static int decode_create_isdp(struct es5_create_isdp *c, const uint8_t *data, size_t len)
{
	struct es5_bytes token;
	struct bertlv t;
	size_t pos = 0;

	if (take_lv(data, len, &pos, &c->elf_aid) || take_lv(data, len, &pos, &c->module_aid) ||
	    take_lv(data, len, &pos, &c->isdp_aid) || take_lv(data, len, &pos, &c->privileges) ||
	    take_lv(data, len, &pos, &c->install_params) || take_lv(data, len, &pos, &token) || pos != len)
		return -EBADMSG;
	if (c->isdp_aid.len < 5 || c->isdp_aid.len > ES5_AID_MAX || c->elf_aid.len > ES5_AID_MAX ||
	    c->module_aid.len > ES5_AID_MAX)
		return -EBADMSG;
	/* Install parameters: C9 (mandatory, application-specific) and optional EF (system) with 83 quota. */
	if (bertlv_find(c->install_params.buf, c->install_params.len, 0xC9, &t) < 0)
		return -EBADMSG;
	c->scp_params.buf = t.value;
	c->scp_params.len = t.len;
	c->quota = 0;
	if (bertlv_find(c->install_params.buf, c->install_params.len, 0xEF, &t) == 0) {
		struct bertlv q;

		if (bertlv_find(t.value, t.len, 0x83, &q) == 0) {
			if (q.len < 1 || q.len > 4)
				return -EBADMSG;
			for (size_t i = 0; i < q.len; i++)
				c->quota = c->quota << 8 | q.value[i];
		}
	}
	return 0;
}

static int decode_store_data(struct es5_command *out, const uint8_t *data, size_t len)
{
	struct es5_bytes value, rest;
	struct bertlv t;
	int rc;

	rc = take_dgi(data, len, &out->dgi, &value, &rest);
	if (rc < 0)
		return rc;
	switch (out->dgi) {
	case ES5_DGI_KEYSET_CERT:
		/* 3A01 { 7F21 CERT.xx.ECDSA }: the certificate TLV is kept whole, tag included. */
		if (rest.len || bertlv_decode(&t, value.buf, value.len) != (int)value.len || t.tag != 0x7F21)
			return -EBADMSG;
		out->fn = ES5_FN_KEYSET_CERT;
		out->u.keyset_cert.cert = value;
		return 0;
	case ES5_DGI_KEYSET_KEYAGREEMENT: {
		struct bertlv a6, epk, sig;

		/* 3A02 { A6 CRT } ‖ 7F49 { ePK } ‖ 5F37 { signature } (open-questions §15 V2). */
		if (bertlv_decode(&a6, value.buf, value.len) != (int)value.len || a6.tag != 0xA6)
			return -EBADMSG;
		rc = bertlv_decode(&epk, rest.buf, rest.len);
		if (rc < 0 || epk.tag != 0x7F49)
			return -EBADMSG;
		if (bertlv_decode(&sig, rest.buf + rc, rest.len - (size_t)rc) != (int)(rest.len - (size_t)rc) ||
		    sig.tag != 0x5F37)
			return -EBADMSG;
		out->fn = ES5_FN_KEYSET_KEYAGREEMENT;
		out->u.keyset_keyagreement.a6.buf = value.buf;
		out->u.keyset_keyagreement.a6.len = value.len;
		out->u.keyset_keyagreement.epk_value.buf = epk.value;
		out->u.keyset_keyagreement.epk_value.len = epk.len;
		out->u.keyset_keyagreement.sig.buf = sig.value;
		out->u.keyset_keyagreement.sig.len = sig.len;
		return 0;
	}
	case ES5_DGI_ENABLE_PROFILE:
	case ES5_DGI_DISABLE_PROFILE:
	case ES5_DGI_SET_FALLBACK:
		if (rest.len || decode_aid(value.buf, value.len, &out->u.aid) < 0)
			return -EBADMSG;
		out->fn = out->dgi == ES5_DGI_ENABLE_PROFILE	? ES5_FN_ENABLE_PROFILE
			  : out->dgi == ES5_DGI_DISABLE_PROFILE ? ES5_FN_DISABLE_PROFILE
								: ES5_FN_SET_FALLBACK;
		return 0;
	case ES5_DGI_UPDATE_ADDRESSING:
		if (rest.len)
			return -EBADMSG;
		out->fn = ES5_FN_UPDATE_ADDRESSING;
		out->u.addressing = value;
		return 0;
	case ES5_DGI_NOTIFICATION_CONFIRM: {
		struct es5_bytes seq;

		if (rest.len || only_tlv(value.buf, value.len, 0x4E, &seq) < 0 || seq.len != 2)
			return -EBADMSG;
		out->fn = ES5_FN_NOTIFICATION_CONFIRM;
		out->u.notification_seq = (uint16_t)(seq.buf[0] << 8 | seq.buf[1]);
		return 0;
	}
	default: return -ENOTSUP;
	}
}

static int decode_delete(struct es5_command *out, const uint8_t *data, size_t len)
{
	struct bertlv_iter it;
	struct bertlv t;
	int rc;

	if (len >= 1 && data[0] == 0x4F) {
		if (decode_aid(data, len, &out->u.aid) < 0)
			return -EBADMSG;
		out->fn = ES5_FN_DELETE_ISDP;
		return 0;
	}
	/* FinaliseISDRhandover: one or more F2 03 KVN KIDfirst KIDlast (digest §4.4). */
	out->fn = ES5_FN_FINALISE_HANDOVER;
	out->u.finalise.n = 0;
	bertlv_iter_init(&it, data, len);
	while ((rc = bertlv_iter_next(&it, &t)) > 0) {
		struct es5_keyrange *r;

		if (t.tag != 0xF2 || t.len != 3 || out->u.finalise.n >= ES5_MAX_F2)
			return -EBADMSG;
		r = &out->u.finalise.ranges[out->u.finalise.n++];
		r->kvn = t.value[0];
		r->first_kid = t.value[1];
		r->last_kid = t.value[2];
		if (r->first_kid > r->last_kid)
			return -EBADMSG;
	}
	if (rc < 0 || out->u.finalise.n == 0)
		return -EBADMSG;
	return 0;
}

int es5_command_decode(struct es5_command *out, uint8_t cla, uint8_t ins, uint8_t p1, uint8_t p2, const uint8_t *data,
		       size_t len)
{
	struct bertlv t;
	int rc = -ENOTSUP;

	memset(out, 0, sizeof(*out));
	out->cla = cla;
	out->ins = ins;
	out->p1 = p1;
	out->p2 = p2;
	switch (ins) {
	case ES5_INS_INSTALL:
		if (p1 == 0x0C) {
			out->fn = ES5_FN_CREATE_ISDP;
			rc = decode_create_isdp(&out->u.create_isdp, data, len);
		} else if (p1 == 0x20) {
			struct es5_bytes elf, mod, aid, priv, params, token;
			size_t pos = 0;

			/* INSTALL [for personalization]: 00 00 L AID 00 00 00 (GP 2.3 §11.5.2.3.6) */
			rc = -EBADMSG;
			if (!take_lv(data, len, &pos, &elf) && !take_lv(data, len, &pos, &mod) &&
			    !take_lv(data, len, &pos, &aid) && !take_lv(data, len, &pos, &priv) &&
			    !take_lv(data, len, &pos, &params) && !take_lv(data, len, &pos, &token) && pos == len &&
			    elf.len == 0 && mod.len == 0 && aid.len >= 5 && aid.len <= ES5_AID_MAX) {
				out->fn = ES5_FN_INSTALL_PERSO;
				out->u.aid = aid;
				rc = 0;
			}
		}
		break;
	case ES5_INS_STORE_DATA: rc = decode_store_data(out, data, len); break;
	case ES5_INS_DELETE: rc = decode_delete(out, data, len); break;
	case ES5_INS_GET_STATUS:
		out->fn = ES5_FN_GET_STATUS;
		rc = bertlv_find(data, len, 0x4F, &t);
		if (rc < 0)
			return -EBADMSG;
		out->u.get_status.aid_filter.buf = t.value;
		out->u.get_status.aid_filter.len = t.len;
		if (bertlv_find(data, len, 0x5C, &t) == 0) {
			out->u.get_status.tag_list.buf = t.value;
			out->u.get_status.tag_list.len = t.len;
		}
		rc = 0;
		break;
	case ES5_INS_GET_DATA:
		out->fn = ES5_FN_GET_DATA;
		out->u.get_data.tag = (uint16_t)(p1 << 8 | p2);
		rc = 0;
		if (len) {
			if (only_tlv(data, len, 0x5C, &out->u.get_data.tag_list) < 0)
				rc = -EBADMSG;
		}
		break;
	}
	if (rc < 0)
		out->fn = rc == -ENOTSUP ? ES5_FN_UNKNOWN : out->fn;
	return rc;
}

/* --- builders --------------------------------------------------------------------------------- */

int es5_apdu_build(uint8_t *buf, size_t cap, uint8_t cla, uint8_t ins, uint8_t p1, uint8_t p2, const uint8_t *data,
		   size_t len, bool le)
{
	size_t n = 4 + (len ? 1 + len : 0) + (le ? 1 : 0);

	if (len > 255)
		return -EMSGSIZE;
	if (cap < n)
		return -EMSGSIZE;
	buf[0] = cla;
	buf[1] = ins;
	buf[2] = p1;
	buf[3] = p2;
	if (len) {
		buf[4] = (uint8_t)len;
		memmove(buf + 5, data, len);
	}
	if (le)
		buf[n - 1] = 0x00;
	return (int)n;
}

/* Writes DGI ‖ L into hdr; returns the header length. */
static size_t dgi_header(uint8_t hdr[5], uint16_t dgi, size_t len)
{
	hdr[0] = (uint8_t)(dgi >> 8);
	hdr[1] = (uint8_t)dgi;
	if (len < 0xFF) {
		hdr[2] = (uint8_t)len;
		return 3;
	}
	hdr[2] = 0xFF;
	hdr[3] = (uint8_t)(len >> 8);
	hdr[4] = (uint8_t)len;
	return 5;
}

/* STORE DATA whose data is DGI{value} ‖ tail. */
static int store_dgi_tail(uint8_t *buf, size_t cap, uint8_t p1, uint8_t p2, uint16_t dgi, const uint8_t *value,
			  size_t len, const uint8_t *tail, size_t tail_len)
{
	uint8_t data[255], hdr[5];
	size_t h = dgi_header(hdr, dgi, len);

	if (len > sizeof(data) - h || tail_len > sizeof(data) - h - len)
		return -EMSGSIZE;
	memcpy(data, hdr, h);
	if (len)
		memcpy(data + h, value, len);
	if (tail_len)
		memcpy(data + h + len, tail, tail_len);
	return es5_apdu_build(buf, cap, ES5_CLA_GP, ES5_INS_STORE_DATA, p1, p2, data, h + len + tail_len, false);
}

int es5_store_dgi_build(uint8_t *buf, size_t cap, uint8_t p1, uint8_t p2, uint16_t dgi, const uint8_t *value,
			size_t len)
{
	return store_dgi_tail(buf, cap, p1, p2, dgi, value, len, NULL, 0);
}

static int aid_ok(const uint8_t *aid, size_t len)
{
	return aid && len >= 5 && len <= ES5_AID_MAX;
}

int es5_create_isdp_build(uint8_t *buf, size_t cap, const struct es5_create_isdp *p)
{
	uint8_t data[255], params[64];
	struct bertlv_writer w;
	const struct es5_bytes *aids[3] = { &p->elf_aid, &p->module_aid, &p->isdp_aid };
	const uint8_t *priv = p->privileges.len ? p->privileges.buf : default_privileges;
	size_t priv_len = p->privileges.len ? p->privileges.len : sizeof(default_privileges);
	size_t n = 0;
	int params_len;

	for (int i = 0; i < 3; i++)
		if (!aid_ok(aids[i]->buf, aids[i]->len))
			return -EINVAL;
	/* C9 { SCP parameters } [EF { 83 quota }]: Njiwa adds the quota; the WHTY trace has none. */
	bertlv_writer_init(&w, params, sizeof(params));
	if (p->scp_params.len)
		bertlv_put(&w, 0xC9, p->scp_params.buf, p->scp_params.len);
	else
		bertlv_put(&w, 0xC9, default_scp_params, sizeof(default_scp_params));
	if (p->quota) {
		uint8_t q[4] = { (uint8_t)(p->quota >> 24), (uint8_t)(p->quota >> 16), (uint8_t)(p->quota >> 8),
				 (uint8_t)p->quota };
		size_t skip = p->quota > 0xFFFF ? 0 : 2; /* 2 bytes as in Njiwa unless it needs 4 */
		size_t ef = bertlv_open(&w, 0xEF);

		bertlv_put(&w, 0x83, q + skip, 4 - skip);
		bertlv_close(&w, ef);
	}
	params_len = bertlv_writer_finish(&w);
	if (params_len < 0)
		return params_len;

	for (int i = 0; i < 3; i++) {
		data[n++] = (uint8_t)aids[i]->len;
		memcpy(data + n, aids[i]->buf, aids[i]->len);
		n += aids[i]->len;
	}
	data[n++] = (uint8_t)priv_len;
	memcpy(data + n, priv, priv_len);
	n += priv_len;
	if (n + 1 + (size_t)params_len + 1 > sizeof(data))
		return -EMSGSIZE;
	data[n++] = (uint8_t)params_len;
	memcpy(data + n, params, (size_t)params_len);
	n += (size_t)params_len;
	data[n++] = 0x00; /* no install token */
	return es5_apdu_build(buf, cap, ES5_CLA_GP, ES5_INS_INSTALL, 0x0C, 0x00, data, n, false);
}

int es5_install_perso_build(uint8_t *buf, size_t cap, const uint8_t *isdp_aid, size_t aid_len)
{
	uint8_t data[3 + ES5_AID_MAX + 3] = { 0x00, 0x00 };

	if (!aid_ok(isdp_aid, aid_len))
		return -EINVAL;
	data[2] = (uint8_t)aid_len;
	memcpy(data + 3, isdp_aid, aid_len);
	memset(data + 3 + aid_len, 0, 3);
	return es5_apdu_build(buf, cap, ES5_CLA_GP, ES5_INS_INSTALL, 0x20, 0x00, data, 6 + aid_len, false);
}

int es5_keyset_cert_build(uint8_t *buf, size_t cap, const uint8_t *cert_tlv, size_t cert_len)
{
	return es5_store_dgi_build(buf, cap, ES5_P1_DGI_MORE_RESP, 0x00, ES5_DGI_KEYSET_CERT, cert_tlv, cert_len);
}

/* 7F49 {epk} ‖ (5F37 {sig} | 0085 {rc}) */
static int keyagreement_tail(uint8_t *tail, size_t cap, const uint8_t *epk_value, size_t epk_len, uint32_t tag,
			     const uint8_t *v, size_t v_len, bool two_byte_85)
{
	struct bertlv_writer w;

	bertlv_writer_init(&w, tail, cap);
	bertlv_put(&w, 0x7F49, epk_value, epk_len);
	if (two_byte_85) {
		/* 0085: tag 85 written with a leading zero byte, as the signature input requires. */
		bertlv_put_raw(&w, "\x00", 1);
	}
	bertlv_put(&w, tag, v, v_len);
	return bertlv_writer_finish(&w);
}

int es5_keyset_keyagreement_build(uint8_t *buf, size_t cap, const uint8_t *a6_tlv, size_t a6_len,
				  const uint8_t *epk_value, size_t epk_len, const uint8_t *sig, size_t sig_len)
{
	uint8_t tail[255];
	int n = keyagreement_tail(tail, sizeof(tail), epk_value, epk_len, 0x5F37, sig, sig_len, false);

	if (n < 0)
		return n;
	return store_dgi_tail(buf, cap, ES5_P1_DGI_LAST_RESP, 0x01, ES5_DGI_KEYSET_KEYAGREEMENT, a6_tlv, a6_len, tail,
			      (size_t)n);
}

int es5_keyset_signed_data(uint8_t *buf, size_t cap, const uint8_t *a6_tlv, size_t a6_len, const uint8_t *epk_value,
			   size_t epk_len, const uint8_t *rc, size_t rc_len)
{
	uint8_t hdr[5];
	size_t h = dgi_header(hdr, ES5_DGI_KEYSET_KEYAGREEMENT, a6_len);
	int n;

	if (cap < h + a6_len)
		return -EMSGSIZE;
	memcpy(buf, hdr, h);
	memcpy(buf + h, a6_tlv, a6_len);
	n = keyagreement_tail(buf + h + a6_len, cap - h - a6_len, epk_value, epk_len, 0x85, rc, rc_len, true);
	return n < 0 ? n : (int)(h + a6_len + (size_t)n);
}

int es5_profile_cmd_build(uint8_t *buf, size_t cap, enum es5_function fn, const uint8_t *aid, size_t aid_len)
{
	uint8_t value[2 + ES5_AID_MAX];
	uint16_t dgi;

	switch (fn) {
	case ES5_FN_ENABLE_PROFILE: dgi = ES5_DGI_ENABLE_PROFILE; break;
	case ES5_FN_DISABLE_PROFILE: dgi = ES5_DGI_DISABLE_PROFILE; break;
	case ES5_FN_SET_FALLBACK: dgi = ES5_DGI_SET_FALLBACK; break;
	default: return -EINVAL;
	}
	if (!aid_ok(aid, aid_len))
		return -EINVAL;
	value[0] = 0x4F;
	value[1] = (uint8_t)aid_len;
	memcpy(value + 2, aid, aid_len);
	return es5_store_dgi_build(buf, cap, ES5_P1_DGI_LAST, 0x00, dgi, value, 2 + aid_len);
}

int es5_update_addressing_build(uint8_t *buf, size_t cap, const uint8_t *params, size_t len)
{
	return es5_store_dgi_build(buf, cap, ES5_P1_DGI_LAST, 0x00, ES5_DGI_UPDATE_ADDRESSING, params, len);
}

int es5_notification_confirm_build(uint8_t *buf, size_t cap, uint16_t seq)
{
	const uint8_t data[] = { 0x3A, 0x08, 0x04, 0x4E, 0x02, (uint8_t)(seq >> 8), (uint8_t)seq };

	/* With Le 00, as on the wire in WHTY ReceiveNotificationApduHandler (80E28900073A08044E02<seq>00):
	 * P1 89 asks for a response (the list of deleted ISD-Ps). */
	return es5_apdu_build(buf, cap, ES5_CLA_GP, ES5_INS_STORE_DATA, ES5_P1_DGI_LAST_RESP, 0x00, data, sizeof(data),
			      true);
}

int es5_delete_isdp_build(uint8_t *buf, size_t cap, enum es5_delete_p2 variant, const uint8_t *aid, size_t aid_len)
{
	uint8_t data[2 + ES5_AID_MAX];

	if (!aid_ok(aid, aid_len))
		return -EINVAL;
	data[0] = 0x4F;
	data[1] = (uint8_t)aid_len;
	memcpy(data + 2, aid, aid_len);
	return es5_apdu_build(buf, cap, ES5_CLA_GP, ES5_INS_DELETE, 0x00, variant == ES5_DELETE_P2_80 ? 0x80 : 0x40,
			      data, 2 + aid_len, false);
}

int es5_finalise_handover_build(uint8_t *buf, size_t cap, const struct es5_keyrange *ranges, size_t n)
{
	uint8_t data[5 * ES5_MAX_F2];

	if (n == 0 || n > ES5_MAX_F2)
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		if (ranges[i].first_kid > ranges[i].last_kid)
			return -EINVAL;
		data[5 * i] = 0xF2;
		data[5 * i + 1] = 0x03;
		data[5 * i + 2] = ranges[i].kvn;
		data[5 * i + 3] = ranges[i].first_kid;
		data[5 * i + 4] = ranges[i].last_kid;
	}
	return es5_apdu_build(buf, cap, ES5_CLA_GP, ES5_INS_DELETE, 0x00, 0x00, data, 5 * n, false);
}

int es5_get_status_build(uint8_t *buf, size_t cap, const uint8_t *aid, size_t aid_len, bool with_lcs)
{
	uint8_t data[2 + ES5_AID_MAX + 5] = { 0x4F };
	size_t n;

	if (aid && !aid_ok(aid, aid_len))
		return -EINVAL;
	data[1] = aid ? (uint8_t)aid_len : 0;
	if (aid)
		memcpy(data + 2, aid, aid_len);
	n = 2 + (aid ? aid_len : 0);
	if (with_lcs) {
		memcpy(data + n, "\x5C\x03\x4F\x9F\x70", 5);
		n += 5;
	}
	return es5_apdu_build(buf, cap, ES5_CLA_GP, ES5_INS_GET_STATUS, 0x40, 0x02, data, n, true);
}

int es5_get_data_build(uint8_t *buf, size_t cap, uint16_t tag, const uint8_t *tag_list, size_t list_len)
{
	uint8_t data[2 + 32];

	if (list_len > 32)
		return -EINVAL;
	if (tag_list && list_len) {
		data[0] = 0x5C;
		data[1] = (uint8_t)list_len;
		memcpy(data + 2, tag_list, list_len);
	}
	return es5_apdu_build(buf, cap, ES5_CLA_GP, ES5_INS_GET_DATA, (uint8_t)(tag >> 8), (uint8_t)tag, data,
			      tag_list && list_len ? 2 + list_len : 0, true);
}

/* --- FinaliseISDRhandover --------------------------------------------------------------------- */

size_t es5_f2_entries(enum es5_f2_semantics v, const struct es5_keyrange *eis_sets, size_t n, uint8_t ks2_kvn,
		      struct es5_keyrange *out, size_t out_cap)
{
	size_t k = 0;

	for (size_t i = 0; i < n && k < out_cap; i++) {
		bool is_ks2 = eis_sets[i].kvn == ks2_kvn;

		if (v == ES5_F2_DELETE_LIST ? !is_ks2 : is_ks2)
			out[k++] = eis_sets[i];
	}
	return k;
}

bool es5_f2_deletes(enum es5_f2_semantics v, const struct es5_keyrange *list, size_t n, uint8_t kvn, uint8_t kid)
{
	bool listed = false;

	for (size_t i = 0; i < n; i++)
		if (list[i].kvn == kvn && kid >= list[i].first_kid && kid <= list[i].last_kid)
			listed = true;
	return v == ES5_F2_DELETE_LIST ? listed : !listed;
}

/* --- responses -------------------------------------------------------------------------------- */

int es5_keyset_cert_resp_parse(const uint8_t *data, size_t len, struct es5_bytes *rc)
{
	/* The random challenge: 16 or 32 bytes (digest §2.1 step 8-12). */
	if (only_tlv(data, len, 0x85, rc) < 0 || (rc->len != 16 && rc->len != 32))
		return -EBADMSG;
	return 0;
}

int es5_keyset_keyagreement_resp_parse(const uint8_t *data, size_t len, struct es5_bytes *dr, struct es5_bytes *receipt)
{
	struct bertlv t;
	int n;

	dr->buf = NULL;
	dr->len = 0;
	n = bertlv_decode(&t, data, len);
	if (n < 0)
		return -EBADMSG;
	if (t.tag == 0x85) {
		dr->buf = t.value;
		dr->len = t.len;
		data += n;
		len -= (size_t)n;
	}
	if (only_tlv(data, len, 0x86, receipt) < 0 || receipt->len != 16)
		return -EBADMSG;
	return 0;
}

int es5_notification_confirm_resp_parse(const uint8_t *data, size_t len, struct es5_bytes *aids, size_t cap, size_t *n)
{
	struct es5_bytes list;
	struct bertlv_iter it;
	struct bertlv t;
	int rc;

	*n = 0;
	if (len == 0)
		return 0; /* nothing deleted */
	if (only_tlv(data, len, 0x80, &list) < 0)
		return -EBADMSG;
	bertlv_iter_init(&it, list.buf, list.len);
	while ((rc = bertlv_iter_next(&it, &t)) > 0) {
		if (t.tag != 0x4F || t.len < 5 || t.len > ES5_AID_MAX)
			return -EBADMSG;
		if (*n >= cap)
			return -EMSGSIZE;
		aids[*n].buf = t.value;
		aids[(*n)++].len = t.len;
	}
	return rc < 0 ? -EBADMSG : 0;
}

int es5_get_status_resp_parse(const uint8_t *data, size_t len, struct es5_isdp_status *out, size_t cap, size_t *n)
{
	struct bertlv_iter it, fields;
	struct bertlv rec, f;
	int rc, frc;

	*n = 0;
	bertlv_iter_init(&it, data, len);
	while ((rc = bertlv_iter_next(&it, &rec)) > 0) {
		struct es5_isdp_status *s;

		if (rec.tag != 0xE3)
			return -EBADMSG;
		if (*n >= cap)
			return -EMSGSIZE;
		s = &out[(*n)++];
		memset(s, 0, sizeof(*s));
		s->lcs = -1;
		bertlv_iter_init(&fields, rec.value, rec.len);
		while ((frc = bertlv_iter_next(&fields, &f)) > 0) {
			switch (f.tag) {
			case 0x4F:
				if (f.len > ES5_AID_MAX)
					return -EBADMSG;
				s->aid.buf = f.value;
				s->aid.len = f.len;
				break;
			case 0x9F70:
				if (f.len != 1)
					return -EBADMSG;
				s->lcs = f.value[0];
				break;
			case 0x53:
				s->has_properties = true;
				s->fallback = f.len >= 1 && (f.value[0] & 0x01);
				break;
			case 0x8F:
				s->alloc.buf = f.value;
				s->alloc.len = f.len;
				break;
			case 0x91:
				s->free.buf = f.value;
				s->free.len = f.len;
				break;
			default: /* other GP GET STATUS tags: ignored */ break;
			}
		}
		if (frc < 0 || !s->aid.buf)
			return -EBADMSG;
	}
	return rc < 0 ? -EBADMSG : 0;
}

/* --- status words ----------------------------------------------------------------------------- */

static const struct {
	enum es5_function fn; /* ES5_FN_UNKNOWN = any function */
	uint16_t sw;
	const char *meaning;
} sw_table[] = {
	/* digest §4.4 (WHTY CreateISDPApduHandler) */
	{ ES5_FN_CREATE_ISDP, 0x6A80, "incorrect values in the command data" },
	{ ES5_FN_CREATE_ISDP, 0x6A84, "not enough memory space" },
	{ ES5_FN_CREATE_ISDP, 0x6581, "memory failure" },
	{ ES5_FN_CREATE_ISDP, 0x6A88, "referenced data not found (ELF or module AID)" },
	/* digest §3.4 step 21, §4.4 (WHTY EnableProfileApduHandler) */
	{ ES5_FN_ENABLE_PROFILE, 0x69E1, "POL1 of the currently enabled profile prevents this action" },
	{ ES5_FN_ENABLE_PROFILE, 0x6985, "target profile is not in the Disabled state" },
	{ ES5_FN_ENABLE_PROFILE, 0x6A88, "target ISD-P not found" },
	{ ES5_FN_DISABLE_PROFILE, 0x69E1, "POL1 of the profile prevents this action" },
	{ ES5_FN_DISABLE_PROFILE, 0x6985, "profile is not Enabled, or it is the fall-back profile" },
	{ ES5_FN_DISABLE_PROFILE, 0x6A88, "ISD-P not found" },
	{ ES5_FN_SET_FALLBACK, 0x6985, "conditions of use not satisfied" },
	{ ES5_FN_SET_FALLBACK, 0x6A88, "ISD-P not found" },
	{ ES5_FN_DELETE_ISDP, 0x69E1, "POL1 of the profile prevents deletion" },
	{ ES5_FN_DELETE_ISDP, 0x6985, "ISD-P is Enabled or is the fall-back profile" },
	{ ES5_FN_DELETE_ISDP, 0x6A88, "ISD-P not found" },
	/* open-questions §2 [inferred]: the key set protecting the session cannot be deleted */
	{ ES5_FN_FINALISE_HANDOVER, 0x6985, "would delete the key set protecting the current session" },
	{ ES5_FN_FINALISE_HANDOVER, 0x6A88, "key set not found" },
	/* key establishment [inferred from GP 2.3 §11.11 STORE DATA status words] */
	{ ES5_FN_KEYSET_CERT, 0x6A80, "certificate malformed or of the wrong type" },
	{ ES5_FN_KEYSET_CERT, 0x6982, "certificate verification failed" },
	{ ES5_FN_KEYSET_KEYAGREEMENT, 0x6982, "signature verification failed" },
	{ ES5_FN_KEYSET_KEYAGREEMENT, 0x6985, "no certificate received before (sequence error)" },
	{ ES5_FN_NOTIFICATION_CONFIRM, 0x6A88, "no pending notification with this sequence number" },
	/* ISO 7816-4 §5.1.3, any function */
	{ ES5_FN_UNKNOWN, 0x9000, "success" },
	{ ES5_FN_UNKNOWN, 0x6700, "wrong length" },
	{ ES5_FN_UNKNOWN, 0x6A80, "incorrect values in the command data" },
	{ ES5_FN_UNKNOWN, 0x6A86, "incorrect P1 P2" },
	{ ES5_FN_UNKNOWN, 0x6A88, "referenced data not found" },
	{ ES5_FN_UNKNOWN, 0x6D00, "instruction not supported" },
	{ ES5_FN_UNKNOWN, 0x6E00, "class not supported" },
};

const char *es5_sw_meaning(enum es5_function fn, uint16_t sw)
{
	for (size_t i = 0; i < sizeof(sw_table) / sizeof(sw_table[0]); i++)
		if (sw_table[i].fn == fn && sw_table[i].sw == sw)
			return sw_table[i].meaning;
	for (size_t i = 0; i < sizeof(sw_table) / sizeof(sw_table[0]); i++)
		if (sw_table[i].fn == ES5_FN_UNKNOWN && sw_table[i].sw == sw)
			return sw_table[i].meaning;
	return NULL;
}
