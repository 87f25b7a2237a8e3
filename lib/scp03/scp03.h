/* GlobalPlatform SCP03 (GPC v2.3 Amendment D v1.1.2 / v1.2): the secure channel SGP.02 uses for ES8
 * (SCP03t, lib/scp03t/) and for card-content management with AES-128/192/256 keys, S8 mode (8-byte
 * challenges, cryptograms and MACs on the wire).
 *
 * Everything here is a pure function on a caller-owned `struct scp03_session`; both sides are given:
 *   host: scp03_init_update_cmd → scp03_host_auth (checks the card cryptogram of the INITIALIZE
 *         UPDATE response) → scp03_host_ext_auth_cmd → scp03_cmd_wrap / scp03_rsp_unwrap
 *   card: scp03_init_update_cmd_decode → scp03_card_init_update (answers with a card cryptogram)
 *         → scp03_card_ext_auth (checks host cryptogram and C-MAC) → scp03_cmd_unwrap / scp03_rsp_wrap
 *
 * Input from the peer (APDUs, responses) is UNTRUSTED: lengths are checked before any access and
 * decoders never read past `len`; decoded pointers point into the input. Only short APDUs (Lc ≤ 255)
 * and CLA bytes of the first interindustry form (logical channels 0–3) are supported.
 *
 * Return values: bytes written / consumed (≥ 0) or a negative errno: -EINVAL bad argument (key length,
 * security level, session state), -EAGAIN input truncated, -EBADMSG malformed input, -EMSGSIZE output
 * buffer too small, -EACCES a cryptogram or MAC that does not verify (the session is then closed, as
 * GP Amd D §6.2.4 requires), -EIO crypto failure. Session keys are secret: never logged. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <osmocom/core/utils.h>

#define SCP03_KEY_MAX	32 /* AES-256 */
#define SCP03_CHALLENGE 8  /* S8 mode */
#define SCP03_MAC_LEN	8  /* S8 mode: C-MAC / R-MAC truncated to 8 bytes on the wire */
#define SCP03_MCV_LEN	16 /* the MAC chaining value keeps the full CMAC */
#define SCP03_KDD_LEN	10
#define SCP03_SEQ_LEN	3
/* INITIALIZE UPDATE response: KDD(10) ‖ KVN ‖ SCP id 03 ‖ i ‖ card challenge(8) ‖ card cryptogram(8) [‖ seq(3)]
 * (GP Amd D §7.1.1.6 Table 7-3). */
#define SCP03_IU_RESP_LEN     (SCP03_KDD_LEN + 3 + 2 * SCP03_CHALLENGE)
#define SCP03_IU_RESP_SEQ_LEN (SCP03_IU_RESP_LEN + SCP03_SEQ_LEN)
#define SCP03_APDU_MAX	      (5 + 255 + 1) /* short APDU: header, Lc, 255 data bytes, Le */

/* Data derivation constants (GP Amd D §4.1.5 Table 4-1). */
enum scp03_dd_const {
	SCP03_DD_CARD_CRYPTOGRAM = 0x00,
	SCP03_DD_HOST_CRYPTOGRAM = 0x01,
	SCP03_DD_CARD_CHALLENGE = 0x02,
	SCP03_DD_S_ENC = 0x04,
	SCP03_DD_S_MAC = 0x06,
	SCP03_DD_S_RMAC = 0x07,
};

/* Security level bits (GP Amd D §5.1 / EXTERNAL AUTHENTICATE P1, Table 7-5). */
#define SCP03_SL_BIT_CMAC 0x01
#define SCP03_SL_BIT_CDEC 0x02
#define SCP03_SL_BIT_RMAC 0x10
#define SCP03_SL_BIT_RENC 0x20

/* The security levels this module accepts (R-ENC needs R-MAC and C-DEC; R-MAC needs C-MAC). */
enum scp03_sec_level {
	SCP03_SL_CMAC = 0x01,
	SCP03_SL_CMAC_CDEC = 0x03,
	SCP03_SL_CMAC_RMAC = 0x11,
	SCP03_SL_CMAC_CDEC_RMAC = 0x13,
	SCP03_SL_CMAC_CDEC_RMAC_RENC = 0x33, /* SGP.02 SCP03t */
};
extern const struct value_string scp03_sec_level_names[];
bool scp03_sec_level_valid(uint8_t level);

/* The "i" parameter bits of the INITIALIZE UPDATE response (GP Amd D §5.1 Table 5-1). */
#define SCP03_I_PSEUDO_RANDOM 0x10
#define SCP03_I_RMAC	      0x20
#define SCP03_I_RENC	      0x40
#define SCP03_I_SGP02	      0x70 /* pseudo-random challenge, R-MAC and R-ENC supported */

/* NIST SP 800-108 counter-mode KDF with AES-CMAC in GP's layout (Amd D §4.1.5):
 * PRF(key, 00×11 ‖ constant ‖ 00 ‖ L(16-bit, in bits) ‖ i(8-bit, from 1) ‖ context), blocks
 * concatenated and truncated to out_len bytes (L = 8·out_len). key_len 16/24/32; out_len 1..64;
 * context at most 64 bytes. */
int scp03_kdf(const uint8_t *key, size_t key_len, uint8_t constant, const uint8_t *context, size_t ctx_len,
	      uint8_t *out, size_t out_len);

/* The pseudo-random card challenge (i=70): KDF(static Key-ENC, 02, seq(3) ‖ invoking AID, 64 bits)
 * (GP Amd D §6.2.2.1). aid_len 5..16. */
int scp03_card_challenge(const uint8_t *enc, size_t key_len, const uint8_t seq[SCP03_SEQ_LEN], const uint8_t *aid,
			 size_t aid_len, uint8_t out[SCP03_CHALLENGE]);

struct scp03_session {
	size_t key_len; /* 16, 24 or 32 */
	uint8_t s_enc[SCP03_KEY_MAX], s_mac[SCP03_KEY_MAX], s_rmac[SCP03_KEY_MAX];
	uint8_t host_challenge[SCP03_CHALLENGE], card_challenge[SCP03_CHALLENGE];
	uint8_t card_cryptogram[SCP03_CHALLENGE], host_cryptogram[SCP03_CHALLENGE];
	uint8_t mcv[SCP03_MCV_LEN]; /* C-MAC chaining value: 16×00 before EXTERNAL AUTHENTICATE */
	uint32_t counter;	    /* encryption counter of the last command; 0 until the first one */
	uint8_t level;		    /* security level, valid once authenticated */
	bool authenticated;	    /* EXTERNAL AUTHENTICATE done (and verified, on the card side) */
};

/* Derive S-ENC, S-MAC, S-RMAC and both cryptograms from the static keys and the two challenges
 * (GP Amd D §6.2.1, §6.2.2.2, §6.2.2.3), and reset the chaining value and counter. */
int scp03_session_derive(struct scp03_session *s, const uint8_t *enc, const uint8_t *mac, size_t key_len,
			 const uint8_t host_challenge[SCP03_CHALLENGE], const uint8_t card_challenge[SCP03_CHALLENGE]);
/* Wipe all key material. */
void scp03_session_clear(struct scp03_session *s);

/* INITIALIZE UPDATE `80 50 KVN 00 08 <host challenge> 00` (GP Amd D §7.1.1). Returns 14 or -EMSGSIZE. */
int scp03_init_update_cmd(uint8_t kvn, const uint8_t host_challenge[SCP03_CHALLENGE], uint8_t *out, size_t cap);
struct scp03_init_update {
	uint8_t kvn;
	const uint8_t *host_challenge; /* 8 bytes, into the input */
};
/* Decodes an INITIALIZE UPDATE command (CLA 80–83, Le optional). Returns bytes consumed. */
int scp03_init_update_cmd_decode(struct scp03_init_update *out, const uint8_t *buf, size_t len);

struct scp03_iu_resp {
	const uint8_t *kdd; /* key diversification data, 10 bytes */
	uint8_t kvn, scp_id, i_param;
	const uint8_t *card_challenge, *card_cryptogram; /* 8 bytes each */
	bool has_seq;
	uint8_t seq[SCP03_SEQ_LEN]; /* present when the pseudo-random challenge is used */
};
/* Decodes the response data (without SW) of INITIALIZE UPDATE: 29 or 32 bytes; SCP id must be 03. */
int scp03_iu_resp_decode(struct scp03_iu_resp *out, const uint8_t *buf, size_t len);
/* Encodes it (32 bytes if has_seq, else 29). */
int scp03_iu_resp_encode(const struct scp03_iu_resp *r, uint8_t *out, size_t cap);

/* Host: derive the session from a decoded INITIALIZE UPDATE response and verify the card cryptogram
 * (-EACCES if it does not match). */
int scp03_host_auth(struct scp03_session *s, const uint8_t *enc, const uint8_t *mac, size_t key_len,
		    const uint8_t host_challenge[SCP03_CHALLENGE], const struct scp03_iu_resp *resp);
/* Host: EXTERNAL AUTHENTICATE `84 82 <level> 00 10 <host cryptogram> <C-MAC>` (GP Amd D §7.1.2), never
 * encrypted; updates the chaining value and marks the session authenticated. Returns 21. */
int scp03_host_ext_auth_cmd(struct scp03_session *s, uint8_t level, uint8_t *out, size_t cap);

/* Card: derive the session for a received INITIALIZE UPDATE and encode the response data into out
 * (the caller supplies KDD, the card challenge it chose — random, or scp03_card_challenge() — and seq
 * if it uses the pseudo-random mode). Returns the response length. */
int scp03_card_init_update(struct scp03_session *s, const uint8_t *enc, const uint8_t *mac, size_t key_len,
			   const struct scp03_init_update *cmd, const struct scp03_iu_resp *tmpl, uint8_t *out,
			   size_t cap);
/* Card: verify EXTERNAL AUTHENTICATE (C-MAC, then host cryptogram, then the level). -EACCES on a
 * bad MAC or cryptogram, -EINVAL on an unsupported level. */
int scp03_card_ext_auth(struct scp03_session *s, const uint8_t *apdu, size_t len);

/* Host: protect a plain short command APDU (CLA INS P1 P2 [Lc data] [Le]) at the session's level:
 * C-DEC encrypts the data (80-padding, ICV = AES(S-ENC, counter)), then the C-MAC (8 bytes) is
 * appended; CLA gets the secure-messaging bit 04; a present Le becomes 00 because the protected
 * response is longer (ISO 7816-4 §5.1: Le is a maximum). The counter is incremented for every
 * command (GP Amd D §6.2.6). */
int scp03_cmd_wrap(struct scp03_session *s, const uint8_t *apdu, size_t len, uint8_t *out, size_t cap);
/* Card: verify and strip the protection of a command APDU; out receives the plain APDU (CLA without
 * bit 04). -EACCES on a bad C-MAC (session closed). */
int scp03_cmd_unwrap(struct scp03_session *s, const uint8_t *apdu, size_t len, uint8_t *out, size_t cap);
/* Card: protect response data for status word sw (R-ENC, then R-MAC over MCV ‖ data ‖ SW, GP Amd D
 * §6.2.5/§6.2.7). Error status words (not 9000, 62xx, 63xx) get no protection. out receives the
 * response data field without SW. */
int scp03_rsp_wrap(struct scp03_session *s, const uint8_t *data, size_t len, uint16_t sw, uint8_t *out, size_t cap);
/* Host: verify the R-MAC and decrypt (the inverse of scp03_rsp_wrap). -EACCES on a bad R-MAC. */
int scp03_rsp_unwrap(struct scp03_session *s, const uint8_t *rdata, size_t len, uint16_t sw, uint8_t *out, size_t cap);

/* Building blocks shared with SCP03t (lib/scp03t/), which carries the same protection in TLVs.
 * scp03_cmac_chain: CMAC(S-MAC, MCV ‖ hdr ‖ data) becomes the new MCV; its first 8 bytes go to mac.
 * scp03_rmac: CMAC(S-RMAC, MCV ‖ hdr ‖ data ‖ trailer), first 8 bytes; the MCV is unchanged.
 * hdr ≤ 8 bytes, data ≤ SCP03_MAC_INPUT_MAX, trailer ≤ 2 bytes. */
#define SCP03_MAC_INPUT_MAX 8192
int scp03_cmac_chain(struct scp03_session *s, const uint8_t *hdr, size_t hdr_len, const uint8_t *data, size_t len,
		     uint8_t mac[SCP03_MAC_LEN]);
int scp03_rmac(const struct scp03_session *s, const uint8_t *hdr, size_t hdr_len, const uint8_t *data, size_t len,
	       const uint8_t *trailer, size_t trailer_len, uint8_t mac[SCP03_MAC_LEN]);
/* AES-CBC with S-ENC and the counter ICV (response: first counter byte 80), 80-padding on encrypt;
 * decrypt checks and strips the padding (-EBADMSG). The counter is not changed. */
int scp03_encrypt(const struct scp03_session *s, bool response, const uint8_t *in, size_t len, uint8_t *out,
		  size_t cap);
int scp03_decrypt(const struct scp03_session *s, bool response, const uint8_t *in, size_t len, uint8_t *out,
		  size_t cap);
