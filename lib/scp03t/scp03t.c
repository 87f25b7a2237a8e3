/* SCP03t (see scp03t.h). The cryptography is lib/scp03's; this file frames it in TLVs and keeps the
 * two state machines. */
#include <errno.h>
#include <string.h>
#include <openssl/crypto.h>

#include "lib/crypto/sym.h"
#include "lib/scp03t/scp03t.h"
#include "lib/tlv/bertlv.h"

const struct value_string scp03t_err_names[] = {
	{ SCP03T_ERR_NONE, "none" },
	{ SCP03T_ERR_FORMAT, "format" },
	{ SCP03T_ERR_SECURITY, "security" },
	{ SCP03T_ERR_UNKNOWN_KVN, "unknown KVN" },
	{ 0, NULL },
};

const struct value_string scp03t_mcv_after_ea_names[] = {
	{ SCP03T_MCV_CARRY, "CARRY" },
	{ SCP03T_MCV_RESET, "RESET" },
	{ 0, NULL },
};

const struct value_string scp03t_resp_mac_names[] = {
	{ SCP03T_RESP_MAC_LAST_ONLY, "LAST_ONLY" },
	{ SCP03T_RESP_MAC_EVERY_86, "EVERY_86" },
	{ 0, NULL },
};

/* open-questions §16: scp03t_mcv_after_ea CARRY, scp03t_resp_mac LAST_ONLY. */
const struct scp03t_variants scp03t_variants_default = {
	.mcv_after_ea = SCP03T_MCV_CARRY,
	.resp_mac = SCP03T_RESP_MAC_LAST_ONLY,
};

#define IU_CMD_LEN  (2 + SCP03_CHALLENGE)		  /* KVN KID host-challenge */
#define EA_CMD_LEN  (1 + SCP03_CHALLENGE + SCP03_MAC_LEN) /* level host-cryptogram C-MAC */
#define EA_MAC_PART (1 + SCP03_CHALLENGE)

/* Tag and BER length of a value of len bytes (len < 65536): the MAC input header. */
static size_t hdr_make(uint8_t tag, size_t len, uint8_t hdr[4])
{
	hdr[0] = tag;
	if (len < 0x80) {
		hdr[1] = (uint8_t)len;
		return 2;
	}
	if (len < 0x100) {
		hdr[1] = 0x81;
		hdr[2] = (uint8_t)len;
		return 3;
	}
	hdr[1] = 0x82;
	hdr[2] = (uint8_t)(len >> 8);
	hdr[3] = (uint8_t)len;
	return 4;
}

int scp03t_tlv_decode(struct scp03t_tlv *out, const uint8_t *buf, size_t len)
{
	struct bertlv t;
	int rc;

	if (!out || (!buf && len))
		return -EINVAL;
	rc = bertlv_decode(&t, buf, len);
	if (rc < 0)
		return rc;
	if (t.indefinite || t.len > SCP03T_MAX_VALUE)
		return -EBADMSG;
	memset(out, 0, sizeof(*out));
	out->tag = t.tag;
	out->hdr = buf;
	out->hdr_len = (size_t)(t.value - buf);
	out->value = t.value;
	out->len = t.len;
	switch (t.tag) {
	case 0x84:
	case 0x85:
	case 0x86:
	case 0x87: /* not seen in SGP.02 sources; framed so the card can answer 9F47 */ break;
	case 0x9F44:
	case 0x9F45:
	case 0x9F46:
	case 0x9F47:
		if (t.len != 1)
			return -EBADMSG;
		out->is_error = true;
		out->error_for = (uint8_t)(0x80 | (t.tag & 0x0F));
		out->error_code = t.value[0];
		break;
	default: return -EBADMSG;
	}
	return rc;
}

int scp03t_error_encode(uint8_t cmd_tag, uint8_t code, uint8_t *out, size_t cap)
{
	if (!out)
		return -EINVAL;
	if (cap < 4)
		return -EMSGSIZE;
	out[0] = 0x9F;
	out[1] = (uint8_t)(0x40 | (cmd_tag & 0x0F));
	out[2] = 0x01;
	out[3] = code;
	return 4;
}

static bool key_len_ok(size_t key_len)
{
	return key_len == 16 || key_len == 24 || key_len == 32;
}

/* --- SM-DP side ---------------------------------------------------------------------------------- */

int scp03t_host_init(struct scp03t_host *h, const struct scp03t_variants *v, const uint8_t *enc, const uint8_t *mac,
		     size_t key_len, uint8_t kvn, uint8_t kid)
{
	if (!h || !enc || !mac || !key_len_ok(key_len))
		return -EINVAL;
	memset(h, 0, sizeof(*h));
	h->v = v ? *v : scp03t_variants_default;
	memcpy(h->enc, enc, key_len);
	memcpy(h->mac, mac, key_len);
	h->key_len = key_len;
	h->kvn = kvn;
	h->kid = kid;
	return 0;
}

static void after_ea(struct scp03_session *s, const struct scp03t_variants *v)
{
	if (v->mcv_after_ea == SCP03T_MCV_RESET) {
		/* Njiwa dp/Scp03.java, citing "Figure 6-3 of Amd D" (suspect; open-questions §5) */
		memset(s->mcv, 0, sizeof(s->mcv));
	}
	s->counter = 0;
}

int scp03t_host_open(struct scp03t_host *h, const uint8_t host_challenge[SCP03_CHALLENGE],
		     const uint8_t seq[SCP03_SEQ_LEN], const uint8_t *aid, size_t aid_len, uint8_t level, uint8_t *out,
		     size_t cap)
{
	uint8_t cc[SCP03_CHALLENGE], hdr[2] = { SCP03T_TAG_EXT_AUTH, EA_CMD_LEN };
	uint8_t *ea;
	int rc;

	if (!h || !h->key_len || !host_challenge || !seq || !out || !scp03_sec_level_valid(level))
		return -EINVAL;
	if (cap < 2 + IU_CMD_LEN + 2 + EA_CMD_LEN)
		return -EMSGSIZE;
	/* GP Amd D §6.2.2.1, SGP.02 §4.1.3.3 (i=70): the card challenge is predictable. */
	rc = scp03_card_challenge(h->enc, h->key_len, seq, aid, aid_len, cc);
	if (rc < 0)
		return rc;
	rc = scp03_session_derive(&h->s, h->enc, h->mac, h->key_len, host_challenge, cc);
	if (rc < 0)
		return rc;
	memcpy(h->seq, seq, SCP03_SEQ_LEN);
	out[0] = SCP03T_TAG_INIT_UPDATE;
	out[1] = IU_CMD_LEN;
	out[2] = h->kvn;
	out[3] = h->kid;
	memcpy(out + 4, host_challenge, SCP03_CHALLENGE);
	ea = out + 2 + IU_CMD_LEN;
	ea[0] = hdr[0];
	ea[1] = hdr[1];
	ea[2] = level;
	memcpy(ea + 3, h->s.host_cryptogram, SCP03_CHALLENGE);
	/* open-questions §5: C-MAC = CMAC(S-MAC, 16×00 ‖ 85 11 ‖ level ‖ host cryptogram) */
	rc = scp03_cmac_chain(&h->s, hdr, sizeof(hdr), ea + 2, EA_MAC_PART, ea + 2 + EA_MAC_PART);
	if (rc < 0)
		return rc;
	h->s.level = level;
	h->s.authenticated = true;
	after_ea(&h->s, &h->v);
	h->opened = true;
	return 2 + IU_CMD_LEN + 2 + EA_CMD_LEN;
}

static void status_from(struct scp03t_status *st, const struct scp03t_tlv *t)
{
	st->error = true;
	st->error_for = t->error_for;
	st->code = t->error_code;
}

int scp03t_host_check_open(struct scp03t_host *h, const uint8_t *rsp, size_t len, struct scp03t_status *st)
{
	struct scp03t_tlv t;
	struct scp03_iu_resp r;
	int n, m;

	if (!h || !h->opened || !st || (!rsp && len))
		return -EINVAL;
	memset(st, 0, sizeof(*st));
	n = scp03t_tlv_decode(&t, rsp, len);
	if (n < 0)
		return n;
	if (t.is_error) {
		status_from(st, &t);
		return n;
	}
	if (t.tag != SCP03T_TAG_INIT_UPDATE || scp03_iu_resp_decode(&r, t.value, t.len) != SCP03_IU_RESP_SEQ_LEN)
		return -EBADMSG;
	if (r.kvn != h->kvn || !crypto_mem_equal(r.card_challenge, h->s.card_challenge, SCP03_CHALLENGE) ||
	    !crypto_mem_equal(r.seq, h->seq, SCP03_SEQ_LEN) ||
	    !crypto_mem_equal(r.card_cryptogram, h->s.card_cryptogram, SCP03_CHALLENGE)) {
		scp03_session_clear(&h->s);
		h->opened = false;
		return -EACCES;
	}
	m = scp03t_tlv_decode(&t, rsp + n, len - (size_t)n);
	if (m < 0)
		return m;
	if (t.is_error) {
		status_from(st, &t);
		return n + m;
	}
	if (t.tag != SCP03T_TAG_EXT_AUTH || t.len != 0)
		return -EBADMSG;
	return n + m;
}

size_t scp03t_segment_count(size_t len, size_t seg_size)
{
	if (seg_size == 0)
		return 0;
	return (len + seg_size - 1) / seg_size;
}

int scp03t_host_segment(struct scp03t_host *h, const uint8_t *plain, size_t len, uint8_t *out, size_t cap)
{
	uint8_t body[SCP03T_MAX_SEGMENT + 16], hdr[4];
	size_t blen, vlen, hlen;
	int rc;

	if (!h || !h->opened || !out || (len && !plain))
		return -EINVAL;
	if (len > SCP03T_MAX_SEGMENT)
		return -EMSGSIZE;
	h->s.counter++; /* the first `86` uses counter 1 (open-questions §5) */
	if (h->s.level & SCP03_SL_BIT_CDEC) {
		rc = scp03_encrypt(&h->s, false, plain, len, body, sizeof(body));
		if (rc < 0)
			return rc;
		blen = (size_t)rc;
	} else {
		memcpy(body, plain, len);
		blen = len;
	}
	vlen = blen + SCP03_MAC_LEN;
	hlen = hdr_make(SCP03T_TAG_DATA, vlen, hdr);
	if (cap < hlen + vlen)
		return -EMSGSIZE;
	rc = scp03_cmac_chain(&h->s, hdr, hlen, body, blen, out + hlen + blen);
	if (rc < 0)
		return rc;
	memcpy(out, hdr, hlen);
	memcpy(out + hlen, body, blen);
	return (int)(hlen + vlen);
}

int scp03t_host_segments(struct scp03t_host *h, const uint8_t *pkg, size_t len, size_t seg_size, uint8_t *out,
			 size_t cap, size_t *count)
{
	size_t pos = 0, off = 0, n = 0;

	if (!count || seg_size == 0 || seg_size > SCP03T_MAX_SEGMENT || (len && !pkg))
		return -EINVAL;
	while (off < len) {
		size_t seg = len - off < seg_size ? len - off : seg_size;
		int rc = scp03t_host_segment(h, pkg + off, seg, out + pos, cap - pos);

		if (rc < 0)
			return rc;
		pos += (size_t)rc;
		off += seg;
		n++;
		if (pos > INT32_MAX)
			return -EMSGSIZE;
	}
	*count = n;
	return (int)pos;
}

int scp03t_host_check_data_resp(struct scp03t_host *h, const uint8_t *rsp, size_t len, uint8_t *out, size_t cap,
				struct scp03t_status *st)
{
	struct scp03t_tlv t;
	uint8_t mac[SCP03_MAC_LEN];
	size_t blen;
	int n, rc;

	if (!h || !h->opened || !st || !out || (!rsp && len))
		return -EINVAL;
	memset(st, 0, sizeof(*st));
	n = scp03t_tlv_decode(&t, rsp, len);
	if (n < 0)
		return n;
	if ((size_t)n != len)
		return -EBADMSG;
	if (t.is_error) {
		status_from(st, &t);
		return 0;
	}
	if (t.tag != SCP03T_TAG_DATA)
		return -EBADMSG;
	if (t.len == 0)
		return h->v.resp_mac == SCP03T_RESP_MAC_LAST_ONLY ? 0 : -EBADMSG;
	if (!(h->s.level & SCP03_SL_BIT_RMAC) || t.len < SCP03_MAC_LEN)
		return -EBADMSG;
	blen = t.len - SCP03_MAC_LEN;
	/* open-questions §5: R-MAC = CMAC(S-RMAC, MCV of the last command ‖ 86 L ‖ ct) */
	rc = scp03_rmac(&h->s, t.hdr, t.hdr_len, t.value, blen, NULL, 0, mac);
	if (rc < 0)
		return rc;
	if (!crypto_mem_equal(mac, t.value + blen, SCP03_MAC_LEN)) {
		scp03_session_clear(&h->s);
		h->opened = false;
		return -EACCES;
	}
	if (blen && (h->s.level & SCP03_SL_BIT_RENC))
		return scp03_decrypt(&h->s, true, t.value, blen, out, cap);
	if (cap < blen)
		return -EMSGSIZE;
	memcpy(out, t.value, blen);
	return (int)blen;
}

/* --- ISD-P side ---------------------------------------------------------------------------------- */

int scp03t_card_init(struct scp03t_card *c, const struct scp03t_variants *v, const uint8_t *enc, const uint8_t *mac,
		     size_t key_len, uint8_t kvn, const uint8_t seq[SCP03_SEQ_LEN], const uint8_t *aid, size_t aid_len)
{
	if (!c || !enc || !mac || !seq || !aid || !key_len_ok(key_len) || aid_len < 5 || aid_len > 16)
		return -EINVAL;
	memset(c, 0, sizeof(*c));
	c->v = v ? *v : scp03t_variants_default;
	memcpy(c->enc, enc, key_len);
	memcpy(c->mac, mac, key_len);
	c->key_len = key_len;
	c->kvn = kvn;
	memcpy(c->seq, seq, SCP03_SEQ_LEN);
	memcpy(c->aid, aid, aid_len);
	c->aid_len = aid_len;
	c->state = SCP03T_CARD_IDLE;
	return 0;
}

static void seq_increment(uint8_t seq[SCP03_SEQ_LEN])
{
	for (int i = SCP03_SEQ_LEN - 1; i >= 0; i--)
		if (++seq[i] != 0)
			break;
}

static void card_close(struct scp03t_card *c)
{
	scp03_session_clear(&c->s);
	c->state = SCP03T_CARD_IDLE;
	c->segments = 0;
}

/* The error answer; security errors close the session. */
static int card_error(struct scp03t_card *c, uint8_t cmd_tag, uint8_t code, uint8_t *rsp, size_t cap, size_t *rsp_len)
{
	int n = scp03t_error_encode(cmd_tag, code, rsp, cap);

	if (code == SCP03T_ERR_SECURITY)
		card_close(c);
	if (n < 0)
		return n;
	*rsp_len = (size_t)n;
	return 0;
}

static int card_iu(struct scp03t_card *c, const struct scp03t_tlv *t, uint8_t *rsp, size_t cap, size_t *rsp_len)
{
	struct scp03_init_update cmd;
	struct scp03_iu_resp tmpl;
	uint8_t cc[SCP03_CHALLENGE];
	int rc;

	if (t->len != IU_CMD_LEN)
		return card_error(c, SCP03T_TAG_INIT_UPDATE, SCP03T_ERR_FORMAT, rsp, cap, rsp_len);
	/* KVN 00 means "the first available key" (GPCS §11.8.2.1); the KID is not checked (the trace sends 00). */
	if (t->value[0] != 0x00 && t->value[0] != c->kvn)
		return card_error(c, SCP03T_TAG_INIT_UPDATE, SCP03T_ERR_UNKNOWN_KVN, rsp, cap, rsp_len);
	if (cap < 2 + SCP03_IU_RESP_SEQ_LEN)
		return -EMSGSIZE;
	card_close(c);
	rc = scp03_card_challenge(c->enc, c->key_len, c->seq, c->aid, c->aid_len, cc);
	if (rc < 0)
		return rc;
	cmd.kvn = t->value[0];
	cmd.host_challenge = t->value + 2;
	memset(&tmpl, 0, sizeof(tmpl));
	tmpl.kdd = c->kdd;
	tmpl.kvn = c->kvn;
	tmpl.i_param = SCP03_I_SGP02;
	tmpl.card_challenge = cc;
	tmpl.has_seq = true;
	memcpy(tmpl.seq, c->seq, SCP03_SEQ_LEN);
	rsp[0] = SCP03T_TAG_INIT_UPDATE;
	rsp[1] = SCP03_IU_RESP_SEQ_LEN;
	rc = scp03_card_init_update(&c->s, c->enc, c->mac, c->key_len, &cmd, &tmpl, rsp + 2, cap - 2);
	if (rc < 0)
		return rc;
	seq_increment(c->seq); /* one session per counter value */
	c->state = SCP03T_CARD_INIT_UPDATED;
	*rsp_len = 2 + (size_t)rc;
	return 0;
}

static int card_ea(struct scp03t_card *c, const struct scp03t_tlv *t, uint8_t *rsp, size_t cap, size_t *rsp_len)
{
	struct scp03_session trial;
	uint8_t mac[SCP03_MAC_LEN];
	int rc;

	if (c->state != SCP03T_CARD_INIT_UPDATED)
		return card_error(c, SCP03T_TAG_EXT_AUTH, SCP03T_ERR_FORMAT, rsp, cap, rsp_len);
	if (t->len != EA_CMD_LEN)
		return card_error(c, SCP03T_TAG_EXT_AUTH, SCP03T_ERR_FORMAT, rsp, cap, rsp_len);
	if (cap < 2)
		return -EMSGSIZE;
	trial = c->s;
	memset(trial.mcv, 0, sizeof(trial.mcv));
	rc = scp03_cmac_chain(&trial, t->hdr, t->hdr_len, t->value, EA_MAC_PART, mac);
	if (rc < 0)
		return rc;
	if (!crypto_mem_equal(mac, t->value + EA_MAC_PART, SCP03_MAC_LEN) ||
	    !crypto_mem_equal(t->value + 1, c->s.host_cryptogram, SCP03_CHALLENGE)) {
		OPENSSL_cleanse(&trial, sizeof(trial));
		return card_error(c, SCP03T_TAG_EXT_AUTH, SCP03T_ERR_SECURITY, rsp, cap, rsp_len);
	}
	if (!scp03_sec_level_valid(t->value[0])) {
		OPENSSL_cleanse(&trial, sizeof(trial));
		card_close(c);
		return card_error(c, SCP03T_TAG_EXT_AUTH, SCP03T_ERR_FORMAT, rsp, cap, rsp_len);
	}
	c->s = trial;
	OPENSSL_cleanse(&trial, sizeof(trial));
	c->s.level = t->value[0];
	c->s.authenticated = true;
	after_ea(&c->s, &c->v);
	c->state = SCP03T_CARD_OPEN;
	rsp[0] = SCP03T_TAG_EXT_AUTH;
	rsp[1] = 0x00;
	*rsp_len = 2;
	return 0;
}

static int card_data(struct scp03t_card *c, const struct scp03t_tlv *t, uint8_t *plain, size_t plain_cap,
		     size_t *plain_len, uint8_t *rsp, size_t cap, size_t *rsp_len)
{
	struct scp03_session trial;
	uint8_t mac[SCP03_MAC_LEN];
	size_t blen;
	int rc;

	if (c->state != SCP03T_CARD_OPEN)
		return card_error(c, SCP03T_TAG_DATA, SCP03T_ERR_SECURITY, rsp, cap, rsp_len);
	if (t->len < SCP03_MAC_LEN)
		return card_error(c, SCP03T_TAG_DATA, SCP03T_ERR_FORMAT, rsp, cap, rsp_len);
	blen = t->len - SCP03_MAC_LEN;
	/* The MAC chain makes a replayed, reordered or dropped block fail here. */
	trial = c->s;
	rc = scp03_cmac_chain(&trial, t->hdr, t->hdr_len, t->value, blen, mac);
	if (rc < 0)
		return rc;
	if (!crypto_mem_equal(mac, t->value + blen, SCP03_MAC_LEN)) {
		OPENSSL_cleanse(&trial, sizeof(trial));
		return card_error(c, SCP03T_TAG_DATA, SCP03T_ERR_SECURITY, rsp, cap, rsp_len);
	}
	c->s = trial;
	OPENSSL_cleanse(&trial, sizeof(trial));
	c->s.counter++;
	if (c->s.level & SCP03_SL_BIT_CDEC) {
		rc = scp03_decrypt(&c->s, false, t->value, blen, plain, plain_cap);
		if (rc < 0) /* authentic but badly padded: the host is broken; stop the session */
			return rc == -EMSGSIZE ? rc
					       : card_error(c, SCP03T_TAG_DATA, SCP03T_ERR_SECURITY, rsp, cap, rsp_len);
		*plain_len = (size_t)rc;
	} else {
		if (plain_cap < blen)
			return -EMSGSIZE;
		memcpy(plain, t->value, blen);
		*plain_len = blen;
	}
	c->segments++;
	if (c->v.resp_mac == SCP03T_RESP_MAC_EVERY_86 && (c->s.level & SCP03_SL_BIT_RMAC)) {
		rc = scp03t_card_respond_data(c, NULL, 0, rsp, cap);
		if (rc < 0)
			return rc;
		*rsp_len = (size_t)rc;
		return 0;
	}
	if (cap < 2)
		return -EMSGSIZE;
	rsp[0] = SCP03T_TAG_DATA;
	rsp[1] = 0x00;
	*rsp_len = 2;
	return 0;
}

int scp03t_card_handle(struct scp03t_card *c, const uint8_t *in, size_t len, uint8_t *plain, size_t plain_cap,
		       size_t *plain_len, uint8_t *rsp, size_t rsp_cap, size_t *rsp_len)
{
	struct scp03t_tlv t;
	int n, rc;

	if (!c || !c->key_len || !plain || !plain_len || !rsp || !rsp_len || (!in && len))
		return -EINVAL;
	*plain_len = 0;
	*rsp_len = 0;
	n = scp03t_tlv_decode(&t, in, len);
	if (n < 0)
		return n;
	if (t.is_error)
		return -EBADMSG; /* an error TLV is a response, never a command */
	switch (t.tag) {
	case SCP03T_TAG_INIT_UPDATE: rc = card_iu(c, &t, rsp, rsp_cap, rsp_len); break;
	case SCP03T_TAG_EXT_AUTH: rc = card_ea(c, &t, rsp, rsp_cap, rsp_len); break;
	case SCP03T_TAG_DATA: rc = card_data(c, &t, plain, plain_cap, plain_len, rsp, rsp_cap, rsp_len); break;
	default: /* 87: unknown to SGP.02 v3.1 (open-questions §5: answer 9F47 01 01) */
		rc = card_error(c, (uint8_t)t.tag, SCP03T_ERR_FORMAT, rsp, rsp_cap, rsp_len);
		break;
	}
	return rc < 0 ? rc : n;
}

int scp03t_card_respond_data(struct scp03t_card *c, const uint8_t *data, size_t len, uint8_t *rsp, size_t cap)
{
	uint8_t body[SCP03T_MAX_SEGMENT + 16], hdr[4];
	size_t blen, vlen, hlen;
	int rc;

	if (!c || c->state != SCP03T_CARD_OPEN || !rsp || (len && !data) || !(c->s.level & SCP03_SL_BIT_RMAC))
		return -EINVAL;
	if (len > SCP03T_MAX_SEGMENT)
		return -EMSGSIZE;
	if (len && (c->s.level & SCP03_SL_BIT_RENC)) {
		/* R-ENC: same counter as the last command, first byte 80 (GP Amd D §6.2.7) */
		rc = scp03_encrypt(&c->s, true, data, len, body, sizeof(body));
		if (rc < 0)
			return rc;
		blen = (size_t)rc;
	} else {
		if (len)
			memcpy(body, data, len);
		blen = len;
	}
	vlen = blen + SCP03_MAC_LEN;
	hlen = hdr_make(SCP03T_TAG_DATA, vlen, hdr);
	if (cap < hlen + vlen)
		return -EMSGSIZE;
	rc = scp03_rmac(&c->s, hdr, hlen, body, blen, NULL, 0, rsp + hlen + blen);
	if (rc < 0)
		return rc;
	memcpy(rsp, hdr, hlen);
	memcpy(rsp + hlen, body, blen);
	return (int)(hlen + vlen);
}
