/* TLS contexts and memory-pipe connections on OpenSSL 3 (see tls.h).
 *
 *   peer bytes --tls_conn_feed()--> [rbio] --SSL--> plaintext (tls_conn_read)
 *   plaintext (tls_conn_write) --SSL--> [wbio] --tls_conn_take()--> bytes for the peer
 *
 * Failure reasons are collected from three places, most precise first: the local certificate
 * verification result, our own PSK lookup, the OpenSSL error reason, and the fatal alert received from
 * (or sent to) the peer, which is all a peer learns about the other side's verdict. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <arpa/inet.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <talloc.h>

#include "lib/tls/tls.h"

struct tls_ctx {
	SSL_CTX *ssl_ctx;
	enum tls_role role;
	bool psk_mode;
	tls_psk_lookup_cb psk_lookup;
	void *psk_priv;
	char *psk_identity;
	uint8_t *psk;
	size_t psk_len;
	char *verify_host;
	bool has_cert;
	int keylog_fd;
};

struct tls_conn {
	struct tls_ctx *t;
	SSL *ssl;
	BIO *rbio, *wbio;
	bool hs_done;
	bool wants_input;
	bool failed;
	bool psk_unknown;
	bool cert_requested; /* client: the server sent a CertificateRequest and we have no cert */
	int alert_rcvd, alert_sent;
	enum tls_fail fail;
	char psk_identity[PSK_MAX_IDENTITY_LEN + 1];
	char err[256];
};

const struct value_string tls_fail_names[] = { { TLS_FAIL_NONE, "none" },
					       { TLS_FAIL_UNKNOWN_CA, "unknown CA" },
					       { TLS_FAIL_EXPIRED, "certificate expired" },
					       { TLS_FAIL_NOT_YET_VALID, "certificate not yet valid" },
					       { TLS_FAIL_BAD_CERT, "bad certificate" },
					       { TLS_FAIL_NO_PEER_CERT, "missing client certificate" },
					       { TLS_FAIL_HOSTNAME, "host name mismatch" },
					       { TLS_FAIL_BAD_PSK_IDENTITY, "bad PSK identity" },
					       { TLS_FAIL_PSK_MISMATCH, "PSK mismatch" },
					       { TLS_FAIL_NO_SHARED_CIPHER, "no shared cipher or version" },
					       { TLS_FAIL_PROTOCOL, "TLS protocol error" },
					       { TLS_FAIL_CLOSED, "connection closed during handshake" },
					       { 0, NULL } };

/* ---- context ----------------------------------------------------------------------------------- */

static int tls_ctx_destructor(struct tls_ctx *t)
{
	SSL_CTX_free(t->ssl_ctx);
	if (t->keylog_fd >= 0)
		close(t->keylog_fd);
	if (t->psk)
		OPENSSL_cleanse(t->psk, t->psk_len);
	return 0;
}

static struct tls_conn *conn_of(const SSL *ssl)
{
	return SSL_get_app_data(ssl);
}

/* NSS key-log format: OpenSSL hands us complete lines ("CLIENT_RANDOM <cr> <master>" for TLS 1.2). */
static void keylog_cb(const SSL *ssl, const char *line)
{
	struct tls_conn *c = conn_of(ssl);
	char buf[512];
	size_t n = strlen(line);

	if (!c || c->t->keylog_fd < 0 || n + 1 > sizeof(buf))
		return;
	memcpy(buf, line, n);
	buf[n++] = '\n';
	/* one write() per line, O_APPEND: lines from several processes never interleave */
	if (write(c->t->keylog_fd, buf, n) != (ssize_t)n) {
		/* nothing to do: the key log is a debugging aid and must not break the connection */
	}
	OPENSSL_cleanse(buf, sizeof(buf));
}

static void info_cb(const SSL *ssl, int where, int ret)
{
	struct tls_conn *c = conn_of(ssl);

	if (!c || !(where & SSL_CB_ALERT) || (ret >> 8) != SSL3_AL_FATAL)
		return;
	if (where & SSL_CB_READ)
		c->alert_rcvd = ret & 0xff;
	else
		c->alert_sent = ret & 0xff;
}

/* RFC 4279 §5.1: the server looks the identity up. */
static unsigned int psk_server_cb(SSL *ssl, const char *identity, unsigned char *psk, unsigned int max_psk_len)
{
	struct tls_conn *c = conn_of(ssl);
	size_t n;

	if (!c || !identity)
		return 0;
	snprintf(c->psk_identity, sizeof(c->psk_identity), "%s", identity);
	n = c->t->psk_lookup(c->t->psk_priv, identity, psk, max_psk_len);
	if (n == 0 || n > max_psk_len) {
		c->psk_unknown = true;
		return 0;
	}
	return (unsigned int)n;
}

static unsigned int psk_client_cb(SSL *ssl, const char *hint, char *identity, unsigned int max_identity_len,
				  unsigned char *psk, unsigned int max_psk_len)
{
	struct tls_conn *c = conn_of(ssl);
	size_t idlen;

	if (!c || !c->t->psk_identity)
		return 0;
	idlen = strlen(c->t->psk_identity);
	if (idlen + 1 > max_identity_len || c->t->psk_len > max_psk_len)
		return 0;
	memcpy(identity, c->t->psk_identity, idlen + 1);
	memcpy(psk, c->t->psk, c->t->psk_len);
	return (unsigned int)c->t->psk_len;
}

static int client_cert_cb(SSL *ssl, X509 **x509, EVP_PKEY **pkey)
{
	struct tls_conn *c = conn_of(ssl);

	/* only called when the server asks for a certificate and none is configured */
	if (c)
		c->cert_requested = true;
	return 0;
}

static void set_err(char *err, size_t errlen, const char *what, const char *arg)
{
	char ossl[160] = "";
	unsigned long e = ERR_peek_last_error();

	if (e)
		ERR_error_string_n(e, ossl, sizeof(ossl));
	ERR_clear_error();
	if (err && errlen)
		snprintf(err, errlen, "%s%s%s%s%s", what, arg ? " " : "", arg ? arg : "", ossl[0] ? ": " : "", ossl);
}

struct tls_ctx *tls_ctx_alloc(void *ctx, const struct tls_cfg *cfg, char *err, size_t errlen)
{
	struct tls_ctx *t;
	SSL_CTX *s;
	const char *ciphers = cfg->ciphers;
	bool client = cfg->role == TLS_ROLE_CLIENT;
	bool psk_mode = client ? cfg->psk_identity != NULL : cfg->psk_lookup != NULL;
	bool has_ca = cfg->ca_file || cfg->num_ca_certs;

	ERR_clear_error();
	if (err && errlen)
		err[0] = '\0';
	if (client && psk_mode && (!cfg->psk || !cfg->psk_len || cfg->psk_len > PSK_MAX_PSK_LEN)) {
		set_err(err, errlen, "PSK client needs a key of 1..512 bytes", NULL);
		return NULL;
	}
	t = talloc_zero(ctx, struct tls_ctx);
	if (!t)
		return NULL;
	t->keylog_fd = -1;
	t->role = cfg->role;
	t->psk_mode = psk_mode;
	talloc_set_destructor(t, tls_ctx_destructor);

	s = SSL_CTX_new(client ? TLS_client_method() : TLS_server_method());
	if (!s) {
		set_err(err, errlen, "SSL_CTX_new failed", NULL);
		goto fail;
	}
	t->ssl_ctx = s;
	SSL_CTX_set_app_data(s, t);
	SSL_CTX_set_min_proto_version(s, TLS1_2_VERSION);
	if (psk_mode)
		SSL_CTX_set_max_proto_version(s, TLS1_2_VERSION); /* PSK suites of RFC 5487 are TLS 1.2 */
	else if (cfg->max_version)
		SSL_CTX_set_max_proto_version(s, cfg->max_version);
	/* GP Amd B / digest §5.2: no session resumption */
	SSL_CTX_set_options(s, SSL_OP_NO_TICKET | SSL_OP_NO_RENEGOTIATION);
	SSL_CTX_set_session_cache_mode(s, SSL_SESS_CACHE_OFF);
	SSL_CTX_set_info_callback(s, info_cb);

	if (psk_mode && !ciphers)
		ciphers = TLS_CIPHERS_SCP81;
	if (ciphers && SSL_CTX_set_cipher_list(s, ciphers) != 1) {
		set_err(err, errlen, "bad cipher list", ciphers);
		goto fail;
	}

	if (cfg->cert_file && SSL_CTX_use_certificate_chain_file(s, cfg->cert_file) != 1) {
		set_err(err, errlen, "cannot load certificate", cfg->cert_file);
		goto fail;
	}
	if (cfg->key_file && SSL_CTX_use_PrivateKey_file(s, cfg->key_file, SSL_FILETYPE_PEM) != 1) {
		set_err(err, errlen, "cannot load private key", cfg->key_file);
		goto fail;
	}
	if (cfg->cert && SSL_CTX_use_certificate(s, cfg->cert) != 1) {
		set_err(err, errlen, "cannot use certificate", NULL);
		goto fail;
	}
	if (cfg->key && SSL_CTX_use_PrivateKey(s, cfg->key) != 1) {
		set_err(err, errlen, "cannot use private key", NULL);
		goto fail;
	}
	t->has_cert = cfg->cert_file || cfg->cert;
	if (t->has_cert && SSL_CTX_check_private_key(s) != 1) {
		set_err(err, errlen, "private key does not match the certificate", NULL);
		goto fail;
	}
	if (!client && !psk_mode && !t->has_cert) {
		set_err(err, errlen, "a TLS server needs a certificate and key (or a PSK lookup)", NULL);
		goto fail;
	}

	if (cfg->ca_file && SSL_CTX_load_verify_file(s, cfg->ca_file) != 1) {
		set_err(err, errlen, "cannot load CA file", cfg->ca_file);
		goto fail;
	}
	for (size_t i = 0; i < cfg->num_ca_certs; i++) {
		if (X509_STORE_add_cert(SSL_CTX_get_cert_store(s), cfg->ca_certs[i]) != 1) {
			set_err(err, errlen, "cannot add CA certificate", NULL);
			goto fail;
		}
	}

	if (client) {
		SSL_CTX_set_verify(s, has_ca ? SSL_VERIFY_PEER : SSL_VERIFY_NONE, NULL);
		if (!t->has_cert)
			SSL_CTX_set_client_cert_cb(s, client_cert_cb);
		if (psk_mode) {
			t->psk_identity = talloc_strdup(t, cfg->psk_identity);
			t->psk = talloc_memdup(t, cfg->psk, cfg->psk_len);
			if (!t->psk_identity || !t->psk)
				goto fail;
			t->psk_len = cfg->psk_len;
			SSL_CTX_set_psk_client_callback(s, psk_client_cb);
		}
		if (cfg->verify_host) {
			t->verify_host = talloc_strdup(t, cfg->verify_host);
			if (!t->verify_host)
				goto fail;
		}
	} else {
		if (cfg->require_client_cert) {
			if (!has_ca) {
				set_err(err, errlen, "mutual TLS needs a CA to verify clients against", NULL);
				goto fail;
			}
			SSL_CTX_set_verify(s, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
		}
		if (psk_mode) {
			t->psk_lookup = cfg->psk_lookup;
			t->psk_priv = cfg->psk_priv;
			SSL_CTX_set_psk_server_callback(s, psk_server_cb);
		}
	}

	if (cfg->keylog_file) {
		t->keylog_fd = open(cfg->keylog_file, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
		if (t->keylog_fd < 0) {
			if (err && errlen)
				snprintf(err, errlen, "cannot open key log %s: %s", cfg->keylog_file, strerror(errno));
			goto fail;
		}
		/* an existing file keeps its content but not wider permissions */
		if (fchmod(t->keylog_fd, 0600) < 0) {
			/* not our file: we still append, the owner chose its mode */
		}
		SSL_CTX_set_keylog_callback(s, keylog_cb);
	}
	return t;
fail:
	talloc_free(t);
	return NULL;
}

void tls_ctx_free(struct tls_ctx *t)
{
	talloc_free(t);
}

enum tls_role tls_ctx_role(const struct tls_ctx *t)
{
	return t->role;
}

/* ---- connection -------------------------------------------------------------------------------- */

static int tls_conn_destructor(struct tls_conn *c)
{
	SSL_free(c->ssl); /* frees both BIOs */
	return 0;
}

struct tls_conn *tls_conn_alloc(void *ctx, struct tls_ctx *t)
{
	struct tls_conn *c = talloc_zero(ctx, struct tls_conn);

	if (!c)
		return NULL;
	c->t = t;
	talloc_set_destructor(c, tls_conn_destructor);
	c->ssl = SSL_new(t->ssl_ctx);
	c->rbio = BIO_new(BIO_s_mem());
	c->wbio = BIO_new(BIO_s_mem());
	if (!c->ssl || !c->rbio || !c->wbio) {
		BIO_free(c->rbio);
		BIO_free(c->wbio);
		talloc_free(c);
		return NULL;
	}
	/* an empty read BIO means "retry later", not EOF */
	BIO_set_mem_eof_return(c->rbio, -1);
	BIO_set_mem_eof_return(c->wbio, -1);
	SSL_set_bio(c->ssl, c->rbio, c->wbio);
	SSL_set_app_data(c->ssl, c);
	if (t->role == TLS_ROLE_CLIENT) {
		SSL_set_connect_state(c->ssl);
		if (t->verify_host) {
			struct in6_addr a6;
			struct in_addr a4;
			bool ip = inet_pton(AF_INET, t->verify_host, &a4) == 1 ||
				  inet_pton(AF_INET6, t->verify_host, &a6) == 1;
			if (ip) {
				X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(c->ssl), t->verify_host);
			} else {
				SSL_set1_host(c->ssl, t->verify_host);
				SSL_set_tlsext_host_name(c->ssl, t->verify_host);
			}
		}
	} else {
		SSL_set_accept_state(c->ssl);
	}
	return c;
}

void tls_conn_free(struct tls_conn *c)
{
	talloc_free(c);
}

int tls_conn_feed(struct tls_conn *c, const uint8_t *buf, size_t len)
{
	size_t done = 0;

	while (done < len) {
		size_t w;
		if (BIO_write_ex(c->rbio, buf + done, len - done, &w) != 1)
			return -ENOMEM;
		done += w;
	}
	return 0;
}

size_t tls_conn_out_pending(const struct tls_conn *c)
{
	return BIO_ctrl_pending(c->wbio);
}

size_t tls_conn_take(struct tls_conn *c, uint8_t *buf, size_t len)
{
	size_t n = 0;

	if (len == 0 || BIO_ctrl_pending(c->wbio) == 0)
		return 0;
	if (BIO_read_ex(c->wbio, buf, len, &n) != 1)
		return 0;
	return n;
}

static enum tls_fail fail_of_verify(long vr)
{
	switch (vr) {
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
	case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
	case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
	case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE: return TLS_FAIL_UNKNOWN_CA;
	case X509_V_ERR_CERT_HAS_EXPIRED: return TLS_FAIL_EXPIRED;
	case X509_V_ERR_CERT_NOT_YET_VALID: return TLS_FAIL_NOT_YET_VALID;
	case X509_V_ERR_HOSTNAME_MISMATCH:
	case X509_V_ERR_IP_ADDRESS_MISMATCH: return TLS_FAIL_HOSTNAME;
	default: return TLS_FAIL_BAD_CERT;
	}
}

/* RFC 5246 §7.2.2, RFC 4279 §2, RFC 8446 §6.2 */
static enum tls_fail fail_of_alert(const struct tls_conn *c, int alert)
{
	switch (alert) {
	case SSL_AD_UNKNOWN_CA: return TLS_FAIL_UNKNOWN_CA;
	case SSL_AD_CERTIFICATE_EXPIRED: return TLS_FAIL_EXPIRED;
	case SSL_AD_BAD_CERTIFICATE:
	case SSL_AD_CERTIFICATE_UNKNOWN:
	case SSL_AD_UNSUPPORTED_CERTIFICATE:
	case SSL_AD_CERTIFICATE_REVOKED: return TLS_FAIL_BAD_CERT;
	case SSL_AD_UNKNOWN_PSK_IDENTITY: return TLS_FAIL_BAD_PSK_IDENTITY;
	case SSL_AD_CERTIFICATE_REQUIRED: return TLS_FAIL_NO_PEER_CERT;
	case SSL_AD_DECRYPT_ERROR:
	case SSL_AD_BAD_RECORD_MAC: return c->t->psk_mode ? TLS_FAIL_PSK_MISMATCH : TLS_FAIL_PROTOCOL;
	case SSL_AD_HANDSHAKE_FAILURE:
		/* TLS 1.2 servers answer a missing client certificate with handshake_failure */
		return c->cert_requested ? TLS_FAIL_NO_PEER_CERT : TLS_FAIL_NO_SHARED_CIPHER;
	case SSL_AD_PROTOCOL_VERSION:
	case SSL_AD_INSUFFICIENT_SECURITY: return TLS_FAIL_NO_SHARED_CIPHER;
	default: return TLS_FAIL_PROTOCOL;
	}
}

/* Called once after a fatal SSL error: decide the reason and write the message. */
static void conn_set_failed(struct tls_conn *c)
{
	unsigned long e, last = 0;
	bool verify_failed = false, no_cert = false, no_cipher = false, bad_mac = false;
	char detail[160] = "";
	enum tls_fail f = TLS_FAIL_PROTOCOL;

	while ((e = ERR_get_error()) != 0) {
		last = e;
		if (ERR_GET_LIB(e) != ERR_LIB_SSL)
			continue;
		switch (ERR_GET_REASON(e)) {
		case SSL_R_CERTIFICATE_VERIFY_FAILED: verify_failed = true; break;
		case SSL_R_PEER_DID_NOT_RETURN_A_CERTIFICATE: no_cert = true; break;
		case SSL_R_NO_SHARED_CIPHER:
		case SSL_R_UNSUPPORTED_PROTOCOL:
		case SSL_R_NO_PROTOCOLS_AVAILABLE:
		case SSL_R_NO_CIPHERS_AVAILABLE: no_cipher = true; break;
		case SSL_R_DECRYPTION_FAILED_OR_BAD_RECORD_MAC:
		case SSL_R_DIGEST_CHECK_FAILED: bad_mac = true; break;
		}
	}
	if (last)
		ERR_error_string_n(last, detail, sizeof(detail));

	if (verify_failed) {
		long vr = SSL_get_verify_result(c->ssl);
		f = fail_of_verify(vr);
		snprintf(detail, sizeof(detail), "%s", X509_verify_cert_error_string(vr));
	} else if (c->psk_unknown) {
		f = TLS_FAIL_BAD_PSK_IDENTITY;
		snprintf(detail, sizeof(detail), "identity not found");
	} else if (no_cert) {
		f = TLS_FAIL_NO_PEER_CERT;
		snprintf(detail, sizeof(detail), "the client sent no certificate");
	} else if (bad_mac && c->t->psk_mode) {
		f = TLS_FAIL_PSK_MISMATCH;
		snprintf(detail, sizeof(detail), "Finished did not verify: the peer uses another key");
	} else if (no_cipher) {
		f = TLS_FAIL_NO_SHARED_CIPHER;
	} else if (c->alert_rcvd) {
		f = fail_of_alert(c, c->alert_rcvd);
		snprintf(detail, sizeof(detail), "alert from peer: %s", SSL_alert_desc_string_long(c->alert_rcvd));
	} else if (c->alert_sent) {
		f = fail_of_alert(c, c->alert_sent);
		snprintf(detail, sizeof(detail), "alert sent: %s", SSL_alert_desc_string_long(c->alert_sent));
	}
	c->failed = true;
	c->fail = f;
	snprintf(c->err, sizeof(c->err), "%s%s%s", get_value_string(tls_fail_names, f), detail[0] ? ": " : "", detail);
}

/* Map an SSL_get_error() result: -EAGAIN, 0 for a clean close, or -EPROTO. */
static int conn_error(struct tls_conn *c, int ret)
{
	int e = SSL_get_error(c->ssl, ret);

	switch (e) {
	case SSL_ERROR_WANT_READ: c->wants_input = true; return -EAGAIN;
	case SSL_ERROR_WANT_WRITE: /* cannot happen with a memory BIO: treat as "send, then retry" */ return -EAGAIN;
	case SSL_ERROR_ZERO_RETURN: return 0;
	default:
		if (!c->failed)
			conn_set_failed(c);
		ERR_clear_error();
		return -EPROTO;
	}
}

int tls_conn_handshake(struct tls_conn *c)
{
	int ret, rc;

	if (c->failed)
		return -EPROTO;
	if (c->hs_done)
		return 0;
	c->wants_input = false;
	ERR_clear_error();
	ret = SSL_do_handshake(c->ssl);
	if (ret == 1) {
		c->hs_done = true;
		return 0;
	}
	rc = conn_error(c, ret);
	if (rc == 0) { /* close_notify during the handshake */
		c->failed = true;
		c->fail = TLS_FAIL_CLOSED;
		snprintf(c->err, sizeof(c->err), "%s", get_value_string(tls_fail_names, c->fail));
		return -EPROTO;
	}
	return rc;
}

bool tls_conn_handshake_done(const struct tls_conn *c)
{
	return c->hs_done;
}

ssize_t tls_conn_read(struct tls_conn *c, uint8_t *buf, size_t len)
{
	size_t n = 0;
	int ret;

	if (c->failed)
		return -EPROTO;
	c->wants_input = false;
	ERR_clear_error();
	ret = SSL_read_ex(c->ssl, buf, len, &n);
	if (ret == 1)
		return (ssize_t)n;
	return conn_error(c, ret);
}

ssize_t tls_conn_write(struct tls_conn *c, const uint8_t *buf, size_t len)
{
	size_t n = 0;
	int ret, rc;

	if (c->failed)
		return -EPROTO;
	if (!c->hs_done)
		return -EAGAIN;
	if (len == 0)
		return 0;
	ERR_clear_error();
	ret = SSL_write_ex(c->ssl, buf, len, &n);
	if (ret == 1)
		return (ssize_t)n;
	rc = conn_error(c, ret);
	return rc == 0 ? -EPROTO : rc;
}

void tls_conn_shutdown(struct tls_conn *c)
{
	if (c->hs_done && !c->failed) {
		ERR_clear_error();
		SSL_shutdown(c->ssl);
		ERR_clear_error();
	}
}

void tls_conn_transport_closed(struct tls_conn *c)
{
	if (c->hs_done || c->failed)
		return;
	c->failed = true;
	c->fail = TLS_FAIL_CLOSED;
	if (c->alert_rcvd)
		c->fail = fail_of_alert(c, c->alert_rcvd);
	snprintf(c->err, sizeof(c->err), "%s", get_value_string(tls_fail_names, c->fail));
}

bool tls_conn_wants_input(const struct tls_conn *c)
{
	return c->wants_input;
}

enum tls_fail tls_conn_fail(const struct tls_conn *c)
{
	return c->fail;
}

const char *tls_conn_err_str(const struct tls_conn *c)
{
	return c->err;
}

const char *tls_conn_cipher(const struct tls_conn *c)
{
	return c->hs_done ? SSL_get_cipher_name(c->ssl) : NULL;
}

const char *tls_conn_version(const struct tls_conn *c)
{
	return c->hs_done ? SSL_get_version(c->ssl) : NULL;
}

const char *tls_conn_psk_identity(const struct tls_conn *c)
{
	return c->psk_identity;
}

X509 *tls_conn_peer_cert(const struct tls_conn *c)
{
	return SSL_get0_peer_certificate(c->ssl);
}
