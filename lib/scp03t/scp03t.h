/* SCP03t, "SCP03 for transport" (SGP.02 v3.1 §4.1.3.3; digest §4.8; open-questions §5): the SCP03
 * secure channel between SM-DP and ISD-P carried in BER-TLVs instead of APDUs, used by
 * ES8.DownloadAndInstallation to load a profile package.
 *
 *   84 0A  KVN KID host-challenge(8)                                 SM-DP → ISD-P (INITIALIZE UPDATE)
 *   84 20  KDD(10) KVN 03 i card-challenge(8) card-cryptogram(8) seq(3)   ← (its response)
 *   85 11  level host-cryptogram(8) C-MAC(8)                         →     (EXTERNAL AUTHENTICATE)
 *   85 00                                                              ← OK
 *   86 L   ENC(segment ‖ 80 00…) C-MAC(8)                             →     (profile package segment)
 *   86 00  or  86 L ENC(data ‖ 80 00…) R-MAC(8)                        ← OK / protected response data
 *   9F4x 01 code                                                       ← error for command tag 8x
 *
 * C-MAC = CMAC(S-MAC, MCV ‖ tag ‖ length as sent ‖ value without the MAC), the full CMAC is the next
 * MCV; R-MAC = CMAC(S-RMAC, MCV ‖ tag ‖ length ‖ value without the MAC); C-ENC / R-ENC as in SCP03
 * (lib/scp03/scp03.h), the counter being 1 for the first `86`. With i=70 the SM-DP predicts the card
 * challenge, so it sends `84` and `85` together.
 *
 * The spec text was not readable; where the sources disagree the readings are named variants
 * (scp03t_variants, default first as in open-questions §16).
 *
 * Peer input is UNTRUSTED; decoders never allocate and decoded pointers point into the input.
 * Returns: bytes written/consumed or a negative errno (-EINVAL bad argument or state, -EAGAIN
 * truncated, -EBADMSG malformed, -EMSGSIZE output too small, -EACCES a MAC or cryptogram that does not
 * verify). Error TLVs from the card are protocol status: DATA in struct scp03t_status, never an errno. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <osmocom/core/utils.h>

#include "lib/scp03/scp03.h"

#define SCP03T_TAG_INIT_UPDATE 0x84
#define SCP03T_TAG_EXT_AUTH    0x85
#define SCP03T_TAG_DATA	       0x86
#define SCP03T_TAG_ERROR_BASE  0x9F40 /* 9F4x: error for command tag 8x (WT DownloadProfileApduHandler) */

/* Largest plaintext segment (a cap on peer-controlled sizes; the trace uses 1024, WHTY 1000, NJ 512). */
#define SCP03T_MAX_SEGMENT     4096
#define SCP03T_SEGMENT_DEFAULT 1024
#define SCP03T_MAX_VALUE       (SCP03T_MAX_SEGMENT + 16 + SCP03_MAC_LEN)
#define SCP03T_MAX_TLV	       (1 + 3 + SCP03T_MAX_VALUE)

/* Error codes in `9F4x 01 <code>`: values seen 01, 02, 03; meanings inferred (open-questions §5). */
enum scp03t_err {
	SCP03T_ERR_NONE = 0x00,
	SCP03T_ERR_FORMAT = 0x01,      /* malformed / unsupported / wrong state */
	SCP03T_ERR_SECURITY = 0x02,    /* MAC or cryptogram failure, no open session */
	SCP03T_ERR_UNKNOWN_KVN = 0x03, /* INITIALIZE UPDATE only */
};
extern const struct value_string scp03t_err_names[];

/* MAC chaining after EXTERNAL AUTHENTICATE: CARRY the 16-byte CMAC on (GP Amd D, the trace, WHTY) or
 * RESET MCV and counter to zero (Njiwa dp/Scp03.java). */
enum scp03t_mcv_after_ea {
	SCP03T_MCV_CARRY,
	SCP03T_MCV_RESET,
};
extern const struct value_string scp03t_mcv_after_ea_names[];

/* Which `86` responses carry an R-MAC: only the LAST one, which has data (the trace), or EVERY one. */
enum scp03t_resp_mac {
	SCP03T_RESP_MAC_LAST_ONLY,
	SCP03T_RESP_MAC_EVERY_86,
};
extern const struct value_string scp03t_resp_mac_names[];

struct scp03t_variants {
	enum scp03t_mcv_after_ea mcv_after_ea;
	enum scp03t_resp_mac resp_mac;
};
extern const struct scp03t_variants scp03t_variants_default;

/* One SCP03t TLV. For an error TLV (9F4x 01 code), is_error is set and error_for / error_code hold the
 * command tag (8x) and the code. */
struct scp03t_tlv {
	uint32_t tag;
	const uint8_t *hdr; /* tag and length as received (the MAC covers them) */
	size_t hdr_len;
	const uint8_t *value;
	size_t len;
	bool is_error;
	uint8_t error_for, error_code;
};
/* Decodes the TLV at the start of buf: tags 84, 85, 86, 87 and 9F44–9F47 (value ≤ SCP03T_MAX_VALUE;
 * an error TLV must have exactly one value byte). Returns bytes consumed. */
int scp03t_tlv_decode(struct scp03t_tlv *out, const uint8_t *buf, size_t len);

/* `9F4x 01 code` for the command tag 8x. Returns 4. */
int scp03t_error_encode(uint8_t cmd_tag, uint8_t code, uint8_t *out, size_t cap);

/* Protocol status of a card response (data, not an errno). */
struct scp03t_status {
	bool error;
	uint8_t error_for, code;
};

/* --- SM-DP side ---------------------------------------------------------------------------------- */
struct scp03t_host {
	struct scp03t_variants v;
	uint8_t enc[SCP03_KEY_MAX], mac[SCP03_KEY_MAX]; /* static keys of the ISD-P (from ECKA, lib/ecka) */
	size_t key_len;
	uint8_t kvn, kid;
	uint8_t seq[SCP03_SEQ_LEN];
	struct scp03_session s;
	bool opened; /* 84+85 built */
};
int scp03t_host_init(struct scp03t_host *h, const struct scp03t_variants *v, const uint8_t *enc, const uint8_t *mac,
		     size_t key_len, uint8_t kvn, uint8_t kid);
/* Writes `84` ‖ `85` for one session: predicts the card challenge KDF(ENC, 02, seq ‖ AID), derives
 * the session and protects EXTERNAL AUTHENTICATE at `level`. */
int scp03t_host_open(struct scp03t_host *h, const uint8_t host_challenge[SCP03_CHALLENGE],
		     const uint8_t seq[SCP03_SEQ_LEN], const uint8_t *aid, size_t aid_len, uint8_t level, uint8_t *out,
		     size_t cap);
/* Checks the card's answers to `84` ‖ `85` (both TLVs, or an error TLV). Returns bytes consumed;
 * -EACCES if the card cryptogram, challenge or sequence counter is not the predicted one. */
int scp03t_host_check_open(struct scp03t_host *h, const uint8_t *rsp, size_t len, struct scp03t_status *st);
/* One `86` TLV for a plaintext segment (len ≤ SCP03T_MAX_SEGMENT). */
int scp03t_host_segment(struct scp03t_host *h, const uint8_t *plain, size_t len, uint8_t *out, size_t cap);
/* Segments a whole profile package into consecutive `86` TLVs of seg_size plaintext bytes (the last
 * may be shorter). Returns the bytes written; *count gets the number of TLVs. */
int scp03t_host_segments(struct scp03t_host *h, const uint8_t *pkg, size_t len, size_t seg_size, uint8_t *out,
			 size_t cap, size_t *count);
size_t scp03t_segment_count(size_t len, size_t seg_size);
/* Checks the answer to an `86`: `86 00`, a protected `86` (R-MAC verified, data decrypted into out),
 * or an error TLV (*st). Returns the plaintext length (0 for none) or a negative errno. */
int scp03t_host_check_data_resp(struct scp03t_host *h, const uint8_t *rsp, size_t len, uint8_t *out, size_t cap,
				struct scp03t_status *st);

/* --- ISD-P side: the verifier -------------------------------------------------------------------- */
enum scp03t_card_state {
	SCP03T_CARD_IDLE,
	SCP03T_CARD_INIT_UPDATED,
	SCP03T_CARD_OPEN,
};

struct scp03t_card {
	struct scp03t_variants v;
	uint8_t enc[SCP03_KEY_MAX], mac[SCP03_KEY_MAX];
	size_t key_len;
	uint8_t kvn;
	uint8_t kdd[SCP03_KDD_LEN];
	uint8_t seq[SCP03_SEQ_LEN]; /* the counter the next session uses; incremented per INITIALIZE UPDATE */
	uint8_t aid[16];
	size_t aid_len;
	enum scp03t_card_state state;
	struct scp03_session s;
	uint32_t segments; /* `86` blocks accepted in this session */
};
int scp03t_card_init(struct scp03t_card *c, const struct scp03t_variants *v, const uint8_t *enc, const uint8_t *mac,
		     size_t key_len, uint8_t kvn, const uint8_t seq[SCP03_SEQ_LEN], const uint8_t *aid, size_t aid_len);
/* Handles the command TLV at the start of in and writes the response TLV to rsp (*rsp_len). For an
 * accepted `86` the decrypted segment goes to plain (*plain_len) and the response is the default one
 * (`86 00`, or an R-MAC'ed empty `86` under SCP03T_RESP_MAC_EVERY_86); to answer with data instead (the
 * last segment's EUICCResponse), call scp03t_card_respond_data() and send that. A failed MAC, a
 * replayed or reordered block closes the session (state IDLE) and answers `9F4x 01 02`.
 * Returns bytes consumed from in, or -EAGAIN / -EBADMSG when no TLV can be framed (no response). */
int scp03t_card_handle(struct scp03t_card *c, const uint8_t *in, size_t len, uint8_t *plain, size_t plain_cap,
		       size_t *plain_len, uint8_t *rsp, size_t rsp_cap, size_t *rsp_len);
/* Protected response data for the last accepted `86`: `86 L ENC(data) R-MAC`. Returns its length. */
int scp03t_card_respond_data(struct scp03t_card *c, const uint8_t *data, size_t len, uint8_t *rsp, size_t cap);
