/* TLS 1.2 and TLS 1.3 decryption of captured connections from an NSS key log, for the compliance checker.
 *
 * The record layer (RFC 5246 §6.2) of both directions of one TCP connection is parsed; ClientHello
 * and ServerHello give the randoms, the cipher suite and the extensions that change record
 * protection (encrypt_then_mac, RFC 7366; supported_versions, RFC 8446 §4.2.1 to recognise TLS 1.3).
 * The master secret comes from the key log's CLIENT_RANDOM line; the key block from the TLS 1.2 PRF
 * (lib/crypto/tlsrec.h); records after ChangeCipherSpec are opened with AES-GCM (RFC 5288),
 * ChaCha20-Poly1305 (RFC 7905) or AES-CBC + HMAC-SHA256/384 (RFC 5246 §6.2.3.2, MAC-then-encrypt, or
 * encrypt-then-MAC). Suites: the two SCP81 PSK suites (PSK-AES128-GCM-SHA256 00A8,
 * PSK-AES128-CBC-SHA256 00AE; GP Amd B), ECDHE-ECDSA-AES128-GCM-SHA256 (C02B) and the other
 * SHA-2 AEAD/CBC suites of tlsdec_suites[]. Records that cannot be opened are reported with the reason
 * (no key-log entry, unsupported suite, handshake not captured, bad MAC).
 *
 * TLS 1.3 (ServerHello supported_versions = 0x0304): the key log's CLIENT_/SERVER_HANDSHAKE_TRAFFIC_SECRET
 * and CLIENT_/SERVER_TRAFFIC_SECRET_0 lines give each direction's secrets; key and iv come from
 * HKDF-Expand-Label (RFC 8446 §7.1, §7.3), the nonce is iv XOR the record sequence number, the AAD the
 * record header (§5.2), the inner content type the last non-zero byte of the plaintext (§5.4). Suites
 * TLS_AES_128_GCM_SHA256, TLS_AES_256_GCM_SHA384, TLS_CHACHA20_POLY1305_SHA256 (§B.4). A direction
 * switches from handshake to application keys after its Finished and to the next generation on
 * KeyUpdate (§4.6.3, §7.2). Not handled: 0-RTT early data (CLIENT_EARLY_TRAFFIC_SECRET).
 *
 * Trust: record bytes are UNTRUSTED; every length is capped (a record at most 2^14 + 2048 bytes, RFC
 * 5246 §6.2.3; handshake reassembly at most TLSDEC_MAX_HS bytes). The key log is trusted input
 * (the user's file), its secrets never printed. Ownership: talloc objects. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <osmocom/core/utils.h>

#define TLSDEC_REC_HDR	    5
#define TLSDEC_MAX_FRAGMENT (16384 + 2048)
#define TLSDEC_MAX_HS	    65536

/* ---- record header (pure codec) ----------------------------------------------------------------- */
#define TLSDEC_CT_CCS	    20
#define TLSDEC_CT_ALERT	    21
#define TLSDEC_CT_HANDSHAKE 22
#define TLSDEC_CT_APPDATA   23
#define TLSDEC_CT_HEARTBEAT 24

struct tlsdec_record {
	uint8_t type;
	uint16_t version;
	const uint8_t *fragment;
	size_t len;
};
/* Returns 5 + length, -EAGAIN (incomplete) or -EBADMSG (unknown type, major version not 3, length above
 * TLSDEC_MAX_FRAGMENT). */
int tlsdec_record_decode(struct tlsdec_record *r, const uint8_t *buf, size_t len);
/* True if buf plausibly starts a TLS record stream (a handshake record of version 3.x). */
bool tlsdec_looks_like_tls(const uint8_t *buf, size_t len);

/* ---- hello messages (pure codec) ---------------------------------------------------------------- */
struct tlsdec_hello {
	uint8_t msg_type; /* 1 ClientHello, 2 ServerHello */
	uint16_t legacy_version;
	uint8_t random[32];
	uint16_t suite;		     /* ServerHello: the chosen suite */
	uint16_t selected_version;   /* ServerHello supported_versions, 0 if absent */
	bool encrypt_then_mac;	     /* extension 22 present */
	bool extended_master_secret; /* extension 23 present */
};
/* Parse a ClientHello or ServerHello body (after the 4-byte handshake header). Returns 0, -EBADMSG. */
int tlsdec_hello_decode(struct tlsdec_hello *h, uint8_t msg_type, const uint8_t *body, size_t len);

/* ---- cipher suites ------------------------------------------------------------------------------- */
enum tlsdec_mode {
	TLSDEC_MODE_GCM,
	TLSDEC_MODE_CHACHA,
	TLSDEC_MODE_CBC,
};
struct tlsdec_suite {
	uint16_t id;
	const char *name; /* OpenSSL's name */
	enum tlsdec_mode mode;
	uint8_t key_len, mac_len, fixed_iv_len;
	bool sha384; /* PRF and (CBC) MAC hash SHA-384, else SHA-256 (TLS 1.3: the HKDF hash) */
	bool tls13;  /* a TLS 1.3 suite (RFC 8446 §B.4): fixed_iv_len is the 12-byte per-record iv */
};
extern const struct tlsdec_suite tlsdec_suites[];
const struct tlsdec_suite *tlsdec_suite_find(uint16_t id);

/* ---- key log -------------------------------------------------------------------------------------- */
struct tlsdec_keylog;
struct tlsdec_keylog *tlsdec_keylog_alloc(void *ctx);
/* Add the lines of an NSS key-log text: CLIENT_RANDOM (TLS 1.2) and the four TLS 1.3 traffic secrets of
 * enum tlsdec_secret; other *_SECRET labels are counted. Returns the number of entries added or -ENOMEM;
 * malformed lines are counted in *bad (may be NULL). */
int tlsdec_keylog_add_text(struct tlsdec_keylog *kl, const char *text, size_t len, unsigned int *bad);
/* Read a key-log file. Returns entries added, or -errno. */
int tlsdec_keylog_load(struct tlsdec_keylog *kl, const char *path, unsigned int *bad);
unsigned int tlsdec_keylog_count(const struct tlsdec_keylog *kl);
/* Lines with TLS 1.3 labels (CLIENT_HANDSHAKE_TRAFFIC_SECRET, EXPORTER_SECRET ...), used or not. */
unsigned int tlsdec_keylog_tls13_lines(const struct tlsdec_keylog *kl);
/* The 48-byte master secret for a client random, or NULL. */
const uint8_t *tlsdec_keylog_find(const struct tlsdec_keylog *kl, const uint8_t client_random[32]);

/* The TLS 1.3 secrets the decoder uses (NSS key log labels). */
enum tlsdec_secret {
	TLSDEC_S_CLIENT_HS,  /* CLIENT_HANDSHAKE_TRAFFIC_SECRET */
	TLSDEC_S_SERVER_HS,  /* SERVER_HANDSHAKE_TRAFFIC_SECRET */
	TLSDEC_S_CLIENT_AP0, /* CLIENT_TRAFFIC_SECRET_0 */
	TLSDEC_S_SERVER_AP0, /* SERVER_TRAFFIC_SECRET_0 */
};
extern const struct value_string tlsdec_secret_names[];
#define TLSDEC_SECRET_MAX 48
/* A TLS 1.3 secret for a client random, or NULL; *len receives its length (32 or 48). */
const uint8_t *tlsdec_keylog_find13(const struct tlsdec_keylog *kl, const uint8_t client_random[32],
				    enum tlsdec_secret which, size_t *len);

/* RFC 8446 §7.1 HKDF-Expand-Label(secret, label, context, out_len) with SHA-256 or SHA-384 (sha384);
 * out_len at most the hash length. Returns 0, -EINVAL or -EIO. */
int tlsdec_hkdf_expand_label(bool sha384, const uint8_t *secret, size_t secret_len, const char *label,
			     const uint8_t *context, size_t context_len, uint8_t *out, size_t out_len);

/* ---- a connection ----------------------------------------------------------------------------------- */
enum tlsdec_reason {
	TLSDEC_R_NONE = 0,
	TLSDEC_R_NO_KEYLOG,	    /* no key-log line (CLIENT_RANDOM, TLS 1.3 traffic secret) for this connection */
	TLSDEC_R_TLS13,		    /* TLS 1.3 record the decoder cannot open (0-RTT early data) */
	TLSDEC_R_UNSUPPORTED_SUITE, /* a suite not in tlsdec_suites[] */
	TLSDEC_R_NO_HANDSHAKE,	    /* the capture started after the hellos */
	TLSDEC_R_BAD_MAC,	    /* authentication failed: wrong key or corrupted record */
	TLSDEC_R_MALFORMED,	    /* record layer broken: the rest of the direction is skipped */
};
extern const struct value_string tlsdec_reason_names[];

struct tlsdec_ops {
	/* Decrypted application data of direction dir (0/1 as the caller numbers them). */
	void (*app)(void *priv, int dir, const uint8_t *data, size_t len, uint32_t frame);
	/* A record that could not be opened (application data, alert or Finished). */
	void (*undecrypted)(void *priv, int dir, uint8_t content_type, enum tlsdec_reason why, uint32_t frame);
	/* Handshake facts, once: the suite and version are known (ServerHello seen). */
	void (*hello)(void *priv, const struct tlsdec_suite *suite, uint16_t suite_id, uint16_t version,
		      uint32_t frame);
	/* An alert received in the clear or decrypted. */
	void (*alert)(void *priv, int dir, uint8_t level, uint8_t desc, uint32_t frame);
};

struct tlsdec_conn;
/* kl may be NULL (nothing can be decrypted then). */
struct tlsdec_conn *tlsdec_conn_alloc(void *ctx, const struct tlsdec_keylog *kl, const struct tlsdec_ops *ops,
				      void *priv);
/* Feed reassembled stream bytes of direction dir (0 or 1). Returns 0, or -EBADMSG once the direction's
 * record layer is broken (later calls for it are ignored and return the same). */
int tlsdec_conn_feed(struct tlsdec_conn *c, int dir, const uint8_t *data, size_t len, uint32_t frame);
/* A hole in the TCP stream of dir: the record layer of dir cannot be followed any more. */
void tlsdec_conn_gap(struct tlsdec_conn *c, int dir);
/* Which direction sent the ClientHello (-1 if not seen). */
int tlsdec_conn_client_dir(const struct tlsdec_conn *c);
bool tlsdec_conn_decrypting(const struct tlsdec_conn *c);
