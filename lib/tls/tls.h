/* TLS on OpenSSL 3 for rsplab: certificate contexts (server and client, mutual TLS), the SCP81
 * PSK-TLS server (GP Amd B; SGP.02 digest §5.2), and TLS connections that run over a byte pipe.
 *
 * Every connection runs over two memory BIOs: the caller feeds the bytes it received from the peer
 * (tls_conn_feed()) and takes the bytes to send (tls_conn_take()). The same object therefore serves a
 * non-blocking socket (lib/http moves bytes between the socket and the pipe; "wants more input" maps to
 * OSMO_FD_READ, "output pending" to OSMO_FD_WRITE) and the eUICC simulator's TLS inside the card over
 * BIP SEND/RECEIVE DATA. No file descriptor ever reaches OpenSSL, so no SIGPIPE either.
 *
 * Trust: every byte fed in is UNTRUSTED (peer-controlled). Configuration (files, keys, callbacks) is
 * trusted. Secrets (private keys, PSKs, traffic secrets) are never logged; the only place key material
 * leaves is the NSS key-log file the user configured (tls_cfg.keylog_file), created with mode 0600.
 *
 * Ownership: tls_ctx_alloc() and tls_conn_alloc() return talloc objects (free with talloc_free() or the
 * _free() helpers, which accept NULL); OpenSSL objects inside are freed by talloc destructors. A ctx
 * must outlive its conns. X509/EVP_PKEY objects passed in the configuration are borrowed (OpenSSL takes
 * its own reference); strings in the configuration are copied.
 *
 * Returns: 0 or a negative errno (-EAGAIN: need more input, see tls_conn_wants_input(); -EPROTO: TLS
 * failure, the reason is in tls_conn_fail() / tls_conn_err_str(); -EINVAL; -ENOMEM; -ENOENT / -EIO for
 * files). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <osmocom/core/utils.h>

enum tls_role {
	TLS_ROLE_SERVER,
	TLS_ROLE_CLIENT,
};

/* Why a handshake (or a connection) failed, from the local verify result, the alert received or sent,
 * and the OpenSSL error reason. Names: tls_fail_names. */
enum tls_fail {
	TLS_FAIL_NONE = 0,
	TLS_FAIL_UNKNOWN_CA,	   /* the peer's chain does not lead to a configured CA */
	TLS_FAIL_EXPIRED,	   /* a certificate in the peer's chain has expired */
	TLS_FAIL_NOT_YET_VALID,	   /* a certificate is not valid yet */
	TLS_FAIL_BAD_CERT,	   /* any other certificate verification failure */
	TLS_FAIL_NO_PEER_CERT,	   /* mutual TLS: the client sent no certificate */
	TLS_FAIL_HOSTNAME,	   /* the server certificate does not match the expected host name */
	TLS_FAIL_BAD_PSK_IDENTITY, /* PSK: the identity is unknown to the server */
	TLS_FAIL_PSK_MISMATCH,	   /* PSK: both sides use different keys (Finished does not verify) */
	TLS_FAIL_NO_SHARED_CIPHER, /* no common cipher suite / protocol version */
	TLS_FAIL_PROTOCOL,	   /* malformed records or handshake messages, any other TLS error */
	TLS_FAIL_CLOSED,	   /* the peer closed the connection during the handshake */
};
extern const struct value_string tls_fail_names[];

/* Server side PSK lookup (TLS 1.2, RFC 4279): given the identity the client sent (NUL-terminated,
 * untrusted: at most 128 bytes as OpenSSL passes it), write the key into psk (at most psk_max bytes)
 * and return its length, or 0 if the identity is unknown (the handshake then fails with
 * TLS_FAIL_BAD_PSK_IDENTITY and an unknown_psk_identity alert). */
typedef size_t (*tls_psk_lookup_cb)(void *priv, const char *identity, uint8_t *psk, size_t psk_max);

struct tls_cfg {
	enum tls_role role;
	/* Own certificate and key: PEM files, or in-memory objects (borrowed). A server needs one unless
	 * psk_lookup is set; a client needs one for mutual TLS. cert_chain_file may hold the leaf followed
	 * by intermediates (SSL_CTX_use_certificate_chain_file). */
	const char *cert_file;
	const char *key_file;
	X509 *cert;
	EVP_PKEY *key;
	/* Trusted CAs to verify the peer against: a PEM file (any number of certificates) and/or in-memory
	 * certificates (borrowed). A client always verifies the server when a CA is configured. */
	const char *ca_file;
	X509 *const *ca_certs;
	size_t num_ca_certs;
	/* Server: require and verify a client certificate (mutual TLS, the ES interfaces). */
	bool require_client_cert;
	/* Client: if set, the server certificate must match this DNS name or IP address; also sent as SNI. */
	const char *verify_host;
	/* Highest protocol version (TLS1_2_VERSION, TLS1_3_VERSION); 0 = OpenSSL's highest. The minimum is
	 * always TLS 1.2. PSK configurations are TLS 1.2 only. */
	int max_version;
	/* PSK-TLS (SCP81): a server sets psk_lookup; a client sets psk_identity and psk/psk_len. */
	tls_psk_lookup_cb psk_lookup;
	void *psk_priv;
	const char *psk_identity;
	const uint8_t *psk;
	size_t psk_len;
	/* OpenSSL cipher list (TLS 1.2); NULL = the default for the mode (for PSK: TLS_CIPHERS_SCP81). */
	const char *ciphers;
	/* NSS key-log file (CLIENT_RANDOM lines); NULL = off. Opened for append, created with mode 0600. */
	const char *keylog_file;
};

/* GP Amd B / SGP.02 digest §5.2: TLS_PSK_WITH_AES_128_GCM_SHA256 (RFC 5487, 0x00A8) and
 * TLS_PSK_WITH_AES_128_CBC_SHA256 (RFC 5487, 0x00AE), in OpenSSL's names. */
#define TLS_CIPHERS_SCP81 "PSK-AES128-GCM-SHA256:PSK-AES128-CBC-SHA256"

struct tls_ctx;
struct tls_conn;

/* Build a context from cfg. On failure returns NULL and, if err is not NULL, writes a reason naming
 * the file or setting into err (errlen bytes). ctx is the talloc parent. */
struct tls_ctx *tls_ctx_alloc(void *ctx, const struct tls_cfg *cfg, char *err, size_t errlen);
void tls_ctx_free(struct tls_ctx *t);
enum tls_role tls_ctx_role(const struct tls_ctx *t);

/* A connection over a memory pipe. The handshake starts with the first tls_conn_handshake() call. */
struct tls_conn *tls_conn_alloc(void *ctx, struct tls_ctx *t);
void tls_conn_free(struct tls_conn *c);

/* Bytes received from the peer: always all taken (returns 0 or -ENOMEM). */
int tls_conn_feed(struct tls_conn *c, const uint8_t *buf, size_t len);
/* Bytes waiting to be sent to the peer. */
size_t tls_conn_out_pending(const struct tls_conn *c);
/* Move up to len of them into buf; returns the count (0 if none). */
size_t tls_conn_take(struct tls_conn *c, uint8_t *buf, size_t len);

/* Drive the handshake: 0 when complete, -EAGAIN when more input is needed (send what
 * tls_conn_out_pending() says first), -EPROTO on failure. */
int tls_conn_handshake(struct tls_conn *c);
bool tls_conn_handshake_done(const struct tls_conn *c);
/* Application data. read: > 0 bytes, 0 = the peer sent close_notify, -EAGAIN = need more input,
 * -EPROTO on failure. write: len (all of it is encrypted into the output pipe) or -EPROTO / -EAGAIN
 * (the handshake is not complete yet). */
ssize_t tls_conn_read(struct tls_conn *c, uint8_t *buf, size_t len);
ssize_t tls_conn_write(struct tls_conn *c, const uint8_t *buf, size_t len);
/* Queue a close_notify alert. */
void tls_conn_shutdown(struct tls_conn *c);
/* The transport under the pipe ended (EOF): if the handshake was still running, fail it with
 * TLS_FAIL_CLOSED (unless a more precise reason is already known). */
void tls_conn_transport_closed(struct tls_conn *c);
/* True if the last operation stopped because it needs more bytes from the peer. */
bool tls_conn_wants_input(const struct tls_conn *c);

enum tls_fail tls_conn_fail(const struct tls_conn *c);
/* A human-readable reason, e.g. "unknown CA (unable to get local issuer certificate)"; "" if none. */
const char *tls_conn_err_str(const struct tls_conn *c);
/* Negotiated values (after the handshake): e.g. "PSK-AES128-GCM-SHA256", "TLSv1.2"; NULL if none. */
const char *tls_conn_cipher(const struct tls_conn *c);
const char *tls_conn_version(const struct tls_conn *c);
/* PSK server: the identity the client sent ("" before it is known). */
const char *tls_conn_psk_identity(const struct tls_conn *c);
/* The peer certificate (borrowed, NULL if none). */
X509 *tls_conn_peer_cert(const struct tls_conn *c);
