/* GlobalPlatform SCP03 (see scp03.h).
 *
 * Wire formats (GP Amd D §6.2, S8 mode):
 *   protected command:  CLA|04 INS P1 P2 Lc' [ENC(S-ENC, ICV, data ‖ 80 00…)] C-MAC(8) [00]
 *                       C-MAC = CMAC(S-MAC, MCV ‖ CLA' INS P1 P2 Lc' ‖ data field without MAC)
 *                       where CLA' has the logical channel bits cleared and bit 04 set; the full
 *                       16-byte CMAC becomes the next MCV.
 *   protected response: [ENC(S-ENC, ICV', data ‖ 80 00…)] R-MAC(8) SW1 SW2
 *                       R-MAC = CMAC(S-RMAC, MCV ‖ data field without MAC ‖ SW1 SW2)
 *   ICV  = AES-ECB(S-ENC, counter as a 16-byte big-endian block); ICV' the same with byte 0 = 80. */
#include <errno.h>
#include <string.h>
#include <openssl/crypto.h>

#include "lib/crypto/sym.h"
#include "lib/scp03/scp03.h"

#define KDF_CONTEXT_MAX 64
#define KDF_OUT_MAX	64

const struct value_string scp03_sec_level_names[] = {
	{ SCP03_SL_CMAC, "C-MAC" },
	{ SCP03_SL_CMAC_CDEC, "C-MAC+C-DEC" },
	{ SCP03_SL_CMAC_RMAC, "C-MAC+R-MAC" },
	{ SCP03_SL_CMAC_CDEC_RMAC, "C-MAC+C-DEC+R-MAC" },
	{ SCP03_SL_CMAC_CDEC_RMAC_RENC, "C-MAC+C-DEC+R-MAC+R-ENC" },
	{ 0, NULL },
};

bool scp03_sec_level_valid(uint8_t level)
{
	switch (level) {
	case SCP03_SL_CMAC:
	case SCP03_SL_CMAC_CDEC:
	case SCP03_SL_CMAC_RMAC:
	case SCP03_SL_CMAC_CDEC_RMAC:
	case SCP03_SL_CMAC_CDEC_RMAC_RENC: return true;
	default: return false;
	}
}

static bool key_len_ok(size_t key_len)
{
	return key_len == 16 || key_len == 24 || key_len == 32;
}

int scp03_kdf(const uint8_t *key, size_t key_len, uint8_t constant, const uint8_t *context, size_t ctx_len,
	      uint8_t *out, size_t out_len)
{
	/* GP Amd D §4.1.5: label = 11×00 ‖ constant, separation indicator 00, L (bits, 2 bytes), i (1 byte),
	 * context. */
	uint8_t in[16 + KDF_CONTEXT_MAX], block[AES_BLOCK];
	size_t done = 0, bits = out_len * 8;
	uint8_t i = 1;
	int rc = 0;

	if (!key || !out || !key_len_ok(key_len) || out_len == 0 || out_len > KDF_OUT_MAX ||
	    ctx_len > KDF_CONTEXT_MAX || (ctx_len && !context))
		return -EINVAL;
	memset(in, 0, 11);
	in[11] = constant;
	in[12] = 0x00;
	in[13] = (uint8_t)(bits >> 8);
	in[14] = (uint8_t)bits;
	if (ctx_len)
		memcpy(in + 16, context, ctx_len);
	while (done < out_len) {
		size_t n = out_len - done < AES_BLOCK ? out_len - done : AES_BLOCK;

		in[15] = i++;
		rc = crypto_aes_cmac(key, key_len, in, 16 + ctx_len, block);
		if (rc < 0)
			break;
		memcpy(out + done, block, n);
		done += n;
	}
	OPENSSL_cleanse(block, sizeof(block));
	return rc;
}

int scp03_card_challenge(const uint8_t *enc, size_t key_len, const uint8_t seq[SCP03_SEQ_LEN], const uint8_t *aid,
			 size_t aid_len, uint8_t out[SCP03_CHALLENGE])
{
	uint8_t ctx[SCP03_SEQ_LEN + 16];

	if (!seq || !aid || aid_len < 5 || aid_len > 16)
		return -EINVAL;
	memcpy(ctx, seq, SCP03_SEQ_LEN);
	memcpy(ctx + SCP03_SEQ_LEN, aid, aid_len);
	return scp03_kdf(enc, key_len, SCP03_DD_CARD_CHALLENGE, ctx, SCP03_SEQ_LEN + aid_len, out, SCP03_CHALLENGE);
}

void scp03_session_clear(struct scp03_session *s)
{
	OPENSSL_cleanse(s, sizeof(*s));
}

int scp03_session_derive(struct scp03_session *s, const uint8_t *enc, const uint8_t *mac, size_t key_len,
			 const uint8_t host_challenge[SCP03_CHALLENGE], const uint8_t card_challenge[SCP03_CHALLENGE])
{
	uint8_t ctx[2 * SCP03_CHALLENGE];
	int rc;

	if (!s || !enc || !mac || !host_challenge || !card_challenge || !key_len_ok(key_len))
		return -EINVAL;
	scp03_session_clear(s);
	s->key_len = key_len;
	memcpy(s->host_challenge, host_challenge, SCP03_CHALLENGE);
	memcpy(s->card_challenge, card_challenge, SCP03_CHALLENGE);
	/* GP Amd D §6.2.1: context = host challenge ‖ card challenge for keys and cryptograms. */
	memcpy(ctx, host_challenge, SCP03_CHALLENGE);
	memcpy(ctx + SCP03_CHALLENGE, card_challenge, SCP03_CHALLENGE);
	if ((rc = scp03_kdf(enc, key_len, SCP03_DD_S_ENC, ctx, sizeof(ctx), s->s_enc, key_len)) < 0 ||
	    (rc = scp03_kdf(mac, key_len, SCP03_DD_S_MAC, ctx, sizeof(ctx), s->s_mac, key_len)) < 0 ||
	    (rc = scp03_kdf(mac, key_len, SCP03_DD_S_RMAC, ctx, sizeof(ctx), s->s_rmac, key_len)) < 0 ||
	    /* §6.2.2.2 / §6.2.2.3: cryptograms from S-MAC, L = 64 bits in S8 mode. */
	    (rc = scp03_kdf(s->s_mac, key_len, SCP03_DD_CARD_CRYPTOGRAM, ctx, sizeof(ctx), s->card_cryptogram,
			    SCP03_CHALLENGE)) < 0 ||
	    (rc = scp03_kdf(s->s_mac, key_len, SCP03_DD_HOST_CRYPTOGRAM, ctx, sizeof(ctx), s->host_cryptogram,
			    SCP03_CHALLENGE)) < 0) {
		scp03_session_clear(s);
		return rc;
	}
	return 0;
}

/* --- INITIALIZE UPDATE ------------------------------------------------------------------------ */

int scp03_init_update_cmd(uint8_t kvn, const uint8_t host_challenge[SCP03_CHALLENGE], uint8_t *out, size_t cap)
{
	if (!host_challenge || !out)
		return -EINVAL;
	if (cap < 6 + SCP03_CHALLENGE)
		return -EMSGSIZE;
	/* GP Amd D §7.1.1: CLA 80, INS 50, P1 = KVN, P2 = 00 (no key identifier), Lc 08, Le 00. */
	out[0] = 0x80;
	out[1] = 0x50;
	out[2] = kvn;
	out[3] = 0x00;
	out[4] = SCP03_CHALLENGE;
	memcpy(out + 5, host_challenge, SCP03_CHALLENGE);
	out[5 + SCP03_CHALLENGE] = 0x00;
	return 6 + SCP03_CHALLENGE;
}

int scp03_init_update_cmd_decode(struct scp03_init_update *out, const uint8_t *buf, size_t len)
{
	if (!out || (!buf && len))
		return -EINVAL;
	if (len < 5 + SCP03_CHALLENGE)
		return -EAGAIN;
	if ((buf[0] & 0xFC) != 0x80 || buf[1] != 0x50 || buf[4] != SCP03_CHALLENGE)
		return -EBADMSG;
	if (len > 6 + SCP03_CHALLENGE)
		return -EBADMSG;
	out->kvn = buf[2];
	out->host_challenge = buf + 5;
	return (int)len;
}

int scp03_iu_resp_decode(struct scp03_iu_resp *out, const uint8_t *buf, size_t len)
{
	if (!out || (!buf && len))
		return -EINVAL;
	if (len < SCP03_IU_RESP_LEN)
		return -EAGAIN;
	if (len != SCP03_IU_RESP_LEN && len != SCP03_IU_RESP_SEQ_LEN)
		return -EBADMSG;
	/* GP Amd D §7.1.1.6 Table 7-3. */
	if (buf[SCP03_KDD_LEN + 1] != 0x03)
		return -EBADMSG;
	memset(out, 0, sizeof(*out));
	out->kdd = buf;
	out->kvn = buf[SCP03_KDD_LEN];
	out->scp_id = buf[SCP03_KDD_LEN + 1];
	out->i_param = buf[SCP03_KDD_LEN + 2];
	out->card_challenge = buf + SCP03_KDD_LEN + 3;
	out->card_cryptogram = out->card_challenge + SCP03_CHALLENGE;
	out->has_seq = len == SCP03_IU_RESP_SEQ_LEN;
	if (out->has_seq)
		memcpy(out->seq, buf + SCP03_IU_RESP_LEN, SCP03_SEQ_LEN);
	return (int)len;
}

int scp03_iu_resp_encode(const struct scp03_iu_resp *r, uint8_t *out, size_t cap)
{
	size_t n = r->has_seq ? SCP03_IU_RESP_SEQ_LEN : SCP03_IU_RESP_LEN;

	if (!r->kdd || !r->card_challenge || !r->card_cryptogram || !out)
		return -EINVAL;
	if (cap < n)
		return -EMSGSIZE;
	memcpy(out, r->kdd, SCP03_KDD_LEN);
	out[SCP03_KDD_LEN] = r->kvn;
	out[SCP03_KDD_LEN + 1] = 0x03;
	out[SCP03_KDD_LEN + 2] = r->i_param;
	memcpy(out + SCP03_KDD_LEN + 3, r->card_challenge, SCP03_CHALLENGE);
	memcpy(out + SCP03_KDD_LEN + 3 + SCP03_CHALLENGE, r->card_cryptogram, SCP03_CHALLENGE);
	if (r->has_seq)
		memcpy(out + SCP03_IU_RESP_LEN, r->seq, SCP03_SEQ_LEN);
	return (int)n;
}

int scp03_host_auth(struct scp03_session *s, const uint8_t *enc, const uint8_t *mac, size_t key_len,
		    const uint8_t host_challenge[SCP03_CHALLENGE], const struct scp03_iu_resp *resp)
{
	int rc;

	if (!resp || !resp->card_challenge || !resp->card_cryptogram)
		return -EINVAL;
	rc = scp03_session_derive(s, enc, mac, key_len, host_challenge, resp->card_challenge);
	if (rc < 0)
		return rc;
	if (!crypto_mem_equal(s->card_cryptogram, resp->card_cryptogram, SCP03_CHALLENGE)) {
		scp03_session_clear(s);
		return -EACCES;
	}
	return 0;
}

int scp03_card_init_update(struct scp03_session *s, const uint8_t *enc, const uint8_t *mac, size_t key_len,
			   const struct scp03_init_update *cmd, const struct scp03_iu_resp *tmpl, uint8_t *out,
			   size_t cap)
{
	struct scp03_iu_resp r;
	int rc;

	if (!cmd || !cmd->host_challenge || !tmpl || !tmpl->card_challenge)
		return -EINVAL;
	rc = scp03_session_derive(s, enc, mac, key_len, cmd->host_challenge, tmpl->card_challenge);
	if (rc < 0)
		return rc;
	r = *tmpl;
	r.card_cryptogram = s->card_cryptogram;
	return scp03_iu_resp_encode(&r, out, cap);
}

/* --- MAC and encryption building blocks --------------------------------------------------------- */

static int cmac_over(const uint8_t *key, size_t key_len, const uint8_t mcv[SCP03_MCV_LEN], const uint8_t *hdr,
		     size_t hdr_len, const uint8_t *data, size_t len, const uint8_t *trailer, size_t trailer_len,
		     uint8_t full[AES_BLOCK])
{
	uint8_t in[SCP03_MCV_LEN + 8 + SCP03_MAC_INPUT_MAX + 2];
	size_t n = 0;

	if (hdr_len > 8 || len > SCP03_MAC_INPUT_MAX || trailer_len > 2 || (len && !data) || (hdr_len && !hdr) ||
	    (trailer_len && !trailer))
		return -EINVAL;
	memcpy(in, mcv, SCP03_MCV_LEN);
	n = SCP03_MCV_LEN;
	if (hdr_len)
		memcpy(in + n, hdr, hdr_len);
	n += hdr_len;
	if (len)
		memcpy(in + n, data, len);
	n += len;
	if (trailer_len)
		memcpy(in + n, trailer, trailer_len);
	n += trailer_len;
	return crypto_aes_cmac(key, key_len, in, n, full);
}

int scp03_cmac_chain(struct scp03_session *s, const uint8_t *hdr, size_t hdr_len, const uint8_t *data, size_t len,
		     uint8_t mac[SCP03_MAC_LEN])
{
	uint8_t full[AES_BLOCK];
	int rc = cmac_over(s->s_mac, s->key_len, s->mcv, hdr, hdr_len, data, len, NULL, 0, full);

	if (rc < 0)
		return rc;
	memcpy(s->mcv, full, SCP03_MCV_LEN);
	memcpy(mac, full, SCP03_MAC_LEN);
	return 0;
}

int scp03_rmac(const struct scp03_session *s, const uint8_t *hdr, size_t hdr_len, const uint8_t *data, size_t len,
	       const uint8_t *trailer, size_t trailer_len, uint8_t mac[SCP03_MAC_LEN])
{
	uint8_t full[AES_BLOCK];
	int rc = cmac_over(s->s_rmac, s->key_len, s->mcv, hdr, hdr_len, data, len, trailer, trailer_len, full);

	if (rc < 0)
		return rc;
	memcpy(mac, full, SCP03_MAC_LEN);
	return 0;
}

/* GP Amd D §6.2.6 (commands) and §6.2.7 (responses: first byte of the counter block set to 80). */
static int icv_make(const struct scp03_session *s, bool response, uint8_t icv[AES_BLOCK])
{
	static const uint8_t zero[AES_BLOCK];
	uint8_t block[AES_BLOCK] = { 0 };

	block[12] = (uint8_t)(s->counter >> 24);
	block[13] = (uint8_t)(s->counter >> 16);
	block[14] = (uint8_t)(s->counter >> 8);
	block[15] = (uint8_t)s->counter;
	if (response)
		block[0] = 0x80;
	/* One-block CBC with a zero IV is ECB. */
	return crypto_aes_cbc(true, s->s_enc, s->key_len, zero, block, AES_BLOCK, icv);
}

int scp03_encrypt(const struct scp03_session *s, bool response, const uint8_t *in, size_t len, uint8_t *out, size_t cap)
{
	size_t padded = (len / AES_BLOCK + 1) * AES_BLOCK;
	uint8_t icv[AES_BLOCK];
	int rc;

	if (!out || (len && !in))
		return -EINVAL;
	if (cap < padded)
		return -EMSGSIZE;
	/* GPCS §B.2.3 padding: 80 then 00 up to the block size, always at least one byte. */
	if (len)
		memmove(out, in, len);
	out[len] = 0x80;
	memset(out + len + 1, 0, padded - len - 1);
	if ((rc = icv_make(s, response, icv)) < 0 ||
	    (rc = crypto_aes_cbc(true, s->s_enc, s->key_len, icv, out, padded, out)) < 0)
		return rc;
	return (int)padded;
}

int scp03_decrypt(const struct scp03_session *s, bool response, const uint8_t *in, size_t len, uint8_t *out, size_t cap)
{
	uint8_t icv[AES_BLOCK];
	size_t n;
	int rc;

	if (!out || (len && !in))
		return -EINVAL;
	if (len == 0 || len % AES_BLOCK)
		return -EBADMSG;
	if (cap < len)
		return -EMSGSIZE;
	if ((rc = icv_make(s, response, icv)) < 0 ||
	    (rc = crypto_aes_cbc(false, s->s_enc, s->key_len, icv, in, len, out)) < 0)
		return rc;
	/* Strip 80 00…: the last non-zero byte must be 80 and lie in the last block. */
	for (n = len; n > 0 && out[n - 1] == 0x00; n--)
		;
	if (n == 0 || out[n - 1] != 0x80 || len - n >= AES_BLOCK)
		return -EBADMSG;
	return (int)(n - 1);
}

/* --- command and response protection ------------------------------------------------------------ */

struct apdu {
	uint8_t cla, ins, p1, p2;
	const uint8_t *data;
	size_t lc;
	bool has_le;
	uint8_t le;
};

/* Short APDUs only (ISO 7816-4 §5.1 cases 1–4). */
static int apdu_parse(struct apdu *a, const uint8_t *buf, size_t len)
{
	if (len < 4)
		return -EAGAIN;
	memset(a, 0, sizeof(*a));
	a->cla = buf[0];
	a->ins = buf[1];
	a->p1 = buf[2];
	a->p2 = buf[3];
	/* First interindustry CLA only (b7 = 0; 0xFF is invalid). */
	if (a->cla & 0x40)
		return -EBADMSG;
	if (len == 4)
		return 0;
	if (len == 5) {
		a->has_le = true;
		a->le = buf[4];
		return 0;
	}
	a->lc = buf[4];
	if (a->lc == 0) /* extended length: not supported */
		return -EBADMSG;
	if (len < 5 + a->lc)
		return -EAGAIN;
	if (len > 6 + a->lc)
		return -EBADMSG;
	a->data = buf + 5;
	if (len == 6 + a->lc) {
		a->has_le = true;
		a->le = buf[5 + a->lc];
	}
	return 0;
}

/* GP Amd D §6.2.4: for the MAC the logical channel is 0, bit 4 (08) cleared and bit 3 (04) set. */
static uint8_t mac_cla(uint8_t cla)
{
	return (uint8_t)((cla & 0xF0) | 0x04);
}

int scp03_host_ext_auth_cmd(struct scp03_session *s, uint8_t level, uint8_t *out, size_t cap)
{
	uint8_t hdr[5] = { 0x84, 0x82, level, 0x00, 2 * SCP03_MAC_LEN };
	uint8_t mac[SCP03_MAC_LEN];
	int rc;

	if (!s || !out || !s->key_len || !scp03_sec_level_valid(level))
		return -EINVAL;
	if (cap < sizeof(hdr) + 2 * SCP03_MAC_LEN)
		return -EMSGSIZE;
	memset(s->mcv, 0, sizeof(s->mcv)); /* §6.2.4: the first MCV is 16×00 */
	rc = scp03_cmac_chain(s, hdr, sizeof(hdr), s->host_cryptogram, SCP03_CHALLENGE, mac);
	if (rc < 0)
		return rc;
	memcpy(out, hdr, sizeof(hdr));
	memcpy(out + 5, s->host_cryptogram, SCP03_CHALLENGE);
	memcpy(out + 5 + SCP03_CHALLENGE, mac, SCP03_MAC_LEN);
	s->level = level;
	s->counter = 0;
	s->authenticated = true;
	return 5 + 2 * SCP03_MAC_LEN;
}

int scp03_card_ext_auth(struct scp03_session *s, const uint8_t *apdu, size_t len)
{
	uint8_t hdr[5], full[AES_BLOCK];
	static const uint8_t zero_mcv[SCP03_MCV_LEN];
	struct apdu a;
	int rc;

	if (!s || !s->key_len || (!apdu && len))
		return -EINVAL;
	rc = apdu_parse(&a, apdu, len);
	if (rc < 0)
		return rc;
	if ((a.cla & 0x04) == 0 || a.ins != 0x82 || a.p2 != 0x00 || a.lc != 2 * SCP03_MAC_LEN || a.has_le)
		return -EBADMSG;
	hdr[0] = mac_cla(a.cla);
	hdr[1] = a.ins;
	hdr[2] = a.p1;
	hdr[3] = a.p2;
	hdr[4] = (uint8_t)a.lc;
	rc = cmac_over(s->s_mac, s->key_len, zero_mcv, hdr, sizeof(hdr), a.data, SCP03_CHALLENGE, NULL, 0, full);
	if (rc < 0)
		return rc;
	if (!crypto_mem_equal(full, a.data + SCP03_CHALLENGE, SCP03_MAC_LEN) ||
	    !crypto_mem_equal(s->host_cryptogram, a.data, SCP03_CHALLENGE)) {
		scp03_session_clear(s);
		return -EACCES;
	}
	if (!scp03_sec_level_valid(a.p1)) {
		scp03_session_clear(s);
		return -EINVAL;
	}
	memcpy(s->mcv, full, SCP03_MCV_LEN);
	s->level = a.p1;
	s->counter = 0;
	s->authenticated = true;
	return (int)len;
}

int scp03_cmd_wrap(struct scp03_session *s, const uint8_t *apdu, size_t len, uint8_t *out, size_t cap)
{
	uint8_t body[256], hdr[5], mac[SCP03_MAC_LEN];
	size_t blen = 0, n;
	struct apdu a;
	int rc;

	if (!s || !s->authenticated || !out || (!apdu && len))
		return -EINVAL;
	rc = apdu_parse(&a, apdu, len);
	if (rc < 0)
		return rc;
	s->counter++; /* §6.2.6: incremented for every command, with or without data */
	if (a.lc && (s->level & SCP03_SL_BIT_CDEC)) {
		rc = scp03_encrypt(s, false, a.data, a.lc, body, sizeof(body));
		if (rc < 0)
			return rc;
		blen = (size_t)rc;
	} else if (a.lc) {
		memcpy(body, a.data, a.lc);
		blen = a.lc;
	}
	if (blen + SCP03_MAC_LEN > 255)
		return -EMSGSIZE;
	n = 5 + blen + SCP03_MAC_LEN + (a.has_le ? 1 : 0);
	if (cap < n)
		return -EMSGSIZE;
	hdr[0] = mac_cla(a.cla);
	hdr[1] = a.ins;
	hdr[2] = a.p1;
	hdr[3] = a.p2;
	hdr[4] = (uint8_t)(blen + SCP03_MAC_LEN);
	rc = scp03_cmac_chain(s, hdr, sizeof(hdr), body, blen, mac);
	if (rc < 0)
		return rc;
	out[0] = a.cla | 0x04;
	memcpy(out + 1, hdr + 1, 4);
	memcpy(out + 5, body, blen);
	memcpy(out + 5 + blen, mac, SCP03_MAC_LEN);
	if (a.has_le)
		out[n - 1] = 0x00;
	return (int)n;
}

int scp03_cmd_unwrap(struct scp03_session *s, const uint8_t *apdu, size_t len, uint8_t *out, size_t cap)
{
	uint8_t hdr[5], full[AES_BLOCK], plain[256];
	size_t blen, plen, n;
	struct apdu a;
	int rc;

	if (!s || !s->authenticated || !out || (!apdu && len))
		return -EINVAL;
	rc = apdu_parse(&a, apdu, len);
	if (rc < 0)
		return rc;
	if ((a.cla & 0x04) == 0 || a.lc < SCP03_MAC_LEN)
		return -EBADMSG;
	blen = a.lc - SCP03_MAC_LEN;
	hdr[0] = mac_cla(a.cla);
	hdr[1] = a.ins;
	hdr[2] = a.p1;
	hdr[3] = a.p2;
	hdr[4] = (uint8_t)a.lc;
	rc = cmac_over(s->s_mac, s->key_len, s->mcv, hdr, sizeof(hdr), a.data, blen, NULL, 0, full);
	if (rc < 0)
		return rc;
	if (!crypto_mem_equal(full, a.data + blen, SCP03_MAC_LEN)) {
		scp03_session_clear(s);
		return -EACCES;
	}
	memcpy(s->mcv, full, SCP03_MCV_LEN);
	s->counter++;
	if (blen && (s->level & SCP03_SL_BIT_CDEC)) {
		rc = scp03_decrypt(s, false, a.data, blen, plain, sizeof(plain));
		if (rc < 0)
			return rc;
		plen = (size_t)rc;
	} else {
		memcpy(plain, a.data, blen);
		plen = blen;
	}
	n = 4 + (plen ? 1 + plen : 0) + (a.has_le ? 1 : 0);
	if (cap < n)
		return -EMSGSIZE;
	out[0] = a.cla & (uint8_t)~0x04;
	out[1] = a.ins;
	out[2] = a.p1;
	out[3] = a.p2;
	if (plen) {
		out[4] = (uint8_t)plen;
		memcpy(out + 5, plain, plen);
	}
	if (a.has_le)
		out[n - 1] = a.le;
	return (int)n;
}

/* GP Amd D §6.2.5: responses with an error status word carry no data and no R-MAC. */
static bool sw_protected(uint16_t sw)
{
	return sw == 0x9000 || (sw >> 8) == 0x62 || (sw >> 8) == 0x63;
}

int scp03_rsp_wrap(struct scp03_session *s, const uint8_t *data, size_t len, uint16_t sw, uint8_t *out, size_t cap)
{
	const uint8_t swb[2] = { (uint8_t)(sw >> 8), (uint8_t)sw };
	size_t n = len;
	int rc;

	if (!s || !s->authenticated || !out || (len && !data))
		return -EINVAL;
	if (!sw_protected(sw))
		return 0;
	if (len > 256)
		return -EMSGSIZE;
	if (len && (s->level & SCP03_SL_BIT_RENC)) {
		rc = scp03_encrypt(s, true, data, len, out, cap);
		if (rc < 0)
			return rc;
		n = (size_t)rc;
	} else {
		if (cap < len)
			return -EMSGSIZE;
		if (len) /* data may be NULL when empty: memmove(NULL, ...) is undefined even for 0 bytes */
			memmove(out, data, len);
	}
	if (!(s->level & SCP03_SL_BIT_RMAC))
		return (int)n;
	if (cap < n + SCP03_MAC_LEN)
		return -EMSGSIZE;
	rc = scp03_rmac(s, NULL, 0, out, n, swb, 2, out + n);
	if (rc < 0)
		return rc;
	return (int)(n + SCP03_MAC_LEN);
}

int scp03_rsp_unwrap(struct scp03_session *s, const uint8_t *rdata, size_t len, uint16_t sw, uint8_t *out, size_t cap)
{
	const uint8_t swb[2] = { (uint8_t)(sw >> 8), (uint8_t)sw };
	uint8_t mac[SCP03_MAC_LEN];
	size_t blen;
	int rc;

	if (!s || !s->authenticated || !out || (len && !rdata))
		return -EINVAL;
	if (!sw_protected(sw))
		return len == 0 ? 0 : -EBADMSG;
	if (!(s->level & SCP03_SL_BIT_RMAC)) {
		if (cap < len)
			return -EMSGSIZE;
		if (len)
			memmove(out, rdata, len);
		return (int)len;
	}
	if (len < SCP03_MAC_LEN)
		return -EBADMSG;
	blen = len - SCP03_MAC_LEN;
	rc = scp03_rmac(s, NULL, 0, rdata, blen, swb, 2, mac);
	if (rc < 0)
		return rc;
	if (!crypto_mem_equal(mac, rdata + blen, SCP03_MAC_LEN)) {
		scp03_session_clear(s);
		return -EACCES;
	}
	if (blen && (s->level & SCP03_SL_BIT_RENC))
		return scp03_decrypt(s, true, rdata, blen, out, cap);
	if (cap < blen)
		return -EMSGSIZE;
	if (blen)
		memmove(out, rdata, blen);
	return (int)blen;
}
