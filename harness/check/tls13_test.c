/* harness/check TLS 1.3: the key schedule against RFC 8448's trace, then real TLS 1.3 connections made
 * in-process with OpenSSL (memory BIOs, the key-log callback) for each of the three suites: the record
 * streams of both directions go through tlsdec (and once through the whole checker as a pcap), and the
 * application data must come back byte for byte, across the handshake-to-application key switch, the
 * server's NewSessionTickets and a KeyUpdate. Then a wrong key, a truncated record, a bad tag, a
 * missing key log and an all-zero inner plaintext. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/ssl.h>
#include <talloc.h>

#include "harness/check/check.h"
#include "harness/check/pcapbuf.h"
#include "harness/check/pkt.h"
#include "harness/check/tlsdec.h"
#include "lib/crypto/tlsrec.h"
#include "harness/check/check_testframe.h"
#include "lib/test/runner.h"
#include "lib/tls/pki.h"

static void *ctx;
static EVP_PKEY *srv_key;
static X509 *srv_cert;

int suite_setup(void)
{
	struct tls_pki_cert_params p = {
		.cn = "tls13 test server", .not_before_s = -60, .not_after_s = 3600, .serial = 13
	};

	ctx = talloc_named_const(NULL, 0, "tls13_test");
	srv_key = tls_pki_key_p256();
	srv_cert = srv_key ? tls_pki_cert_issue(&p, srv_key, NULL, NULL) : NULL;
	return ctx && srv_cert ? 0 : -1;
}

int suite_teardown(void)
{
	X509_free(srv_cert);
	EVP_PKEY_free(srv_key);
	talloc_free(ctx);
	return 0;
}

/* RFC 8448 §3 (Simple 1-RTT Handshake): "derive write traffic keys for handshake data" from the
 * server_handshake_traffic_secret; and §3's client application keys from client_application_traffic_secret_0. */
void test_tls13_hkdf_expand_label_rfc8448(void)
{
	size_t n;
	uint8_t *sec = test_unhex("b67b7d690cc16c4e75e54213cb2d37b4e9c912bcded9105d42befd59d391ad38", &n);
	uint8_t out[48];

	CU_ASSERT_EQUAL_FATAL(n, 32);
	CU_ASSERT_EQUAL(tlsdec_hkdf_expand_label(false, sec, n, "key", NULL, 0, out, 16), 0);
	TEST_ASSERT_HEX_EQ(out, 16, "3fce516009c21727d0f2e4e86ee403bc");
	CU_ASSERT_EQUAL(tlsdec_hkdf_expand_label(false, sec, n, "iv", NULL, 0, out, 12), 0);
	TEST_ASSERT_HEX_EQ(out, 12, "5d313eb2671276ee13000b30");
	free(sec);
	sec = test_unhex("9e40646ce79a7f9dc05af8889bce6552875afa0b06df0087f792ebb7c17504a5", &n);
	CU_ASSERT_EQUAL(tlsdec_hkdf_expand_label(false, sec, n, "key", NULL, 0, out, 16), 0);
	TEST_ASSERT_HEX_EQ(out, 16, "17422dda596ed5d9acd890e3c63f5051");
	CU_ASSERT_EQUAL(tlsdec_hkdf_expand_label(false, sec, n, "iv", NULL, 0, out, 12), 0);
	TEST_ASSERT_HEX_EQ(out, 12, "5b78923dee08579033e523d9");
	/* arguments */
	CU_ASSERT_EQUAL(tlsdec_hkdf_expand_label(false, sec, n, "key", NULL, 0, out, 33), -EINVAL);
	CU_ASSERT_EQUAL(tlsdec_hkdf_expand_label(false, sec, n, "key", NULL, 0, out, 0), -EINVAL);
	CU_ASSERT_EQUAL(tlsdec_hkdf_expand_label(true, sec, n, "key", NULL, 1, out, 16), -EINVAL);
	CU_ASSERT_EQUAL(tlsdec_hkdf_expand_label(true, sec, n, "key", NULL, 0, out, 48), 0);
	free(sec);
}

void test_tls13_keylog_lines(void)
{
	struct tlsdec_keylog *kl = tlsdec_keylog_alloc(ctx);
	unsigned int bad = 0;
	uint8_t cr[32];
	size_t len = 0;
	const uint8_t *s;
	static const char log[] =
		"CLIENT_HANDSHAKE_TRAFFIC_SECRET 0202020202020202020202020202020202020202020202020202020202020202 "
		"0001020304050607080900010203040506070809000102030405060708090001\n"
		"SERVER_TRAFFIC_SECRET_0 0202020202020202020202020202020202020202020202020202020202020202 "
		"000102030405060708090001020304050607080900010203040506070809000102030405060708090001020304050607\n"
		"SERVER_HANDSHAKE_TRAFFIC_SECRET 0202020202020202020202020202020202020202020202020202020202020202 "
		"00010203\n"
		"EXPORTER_SECRET 0202020202020202020202020202020202020202020202020202020202020202 00\n"
		"CLIENT_TRAFFIC_SECRET_0 02 0001020304050607080900010203040506070809000102030405060708090001\n";

	CU_ASSERT_EQUAL(tlsdec_keylog_add_text(kl, log, sizeof(log) - 1, &bad), 2);
	CU_ASSERT_EQUAL(bad, 2); /* a 4-byte secret, a short random */
	CU_ASSERT_EQUAL(tlsdec_keylog_tls13_lines(kl), 5);
	memset(cr, 2, 32);
	s = tlsdec_keylog_find13(kl, cr, TLSDEC_S_CLIENT_HS, &len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	CU_ASSERT_EQUAL(len, 32);
	CU_ASSERT_EQUAL(s[31], 0x01);
	s = tlsdec_keylog_find13(kl, cr, TLSDEC_S_SERVER_AP0, &len);
	CU_ASSERT_PTR_NOT_NULL(s);
	CU_ASSERT_EQUAL(len, 48);
	CU_ASSERT_PTR_NULL(tlsdec_keylog_find13(kl, cr, TLSDEC_S_SERVER_HS, &len));
	CU_ASSERT_PTR_NULL(tlsdec_keylog_find13(kl, cr, TLSDEC_S_CLIENT_AP0, &len));
	cr[0] = 3;
	CU_ASSERT_PTR_NULL(tlsdec_keylog_find13(kl, cr, TLSDEC_S_CLIENT_HS, &len));
}

/* ---- an in-process TLS 1.3 connection ------------------------------------------------------------ */

#define MAX_CHUNKS 256

struct chunk {
	int dir; /* 0 client -> server */
	uint8_t *d;
	size_t len;
};

struct session {
	struct chunk ch[MAX_CHUNKS];
	unsigned int n;
	char keylog[8192];
	size_t kl_len;
	int app_chunk[8]; /* chunk index of each application write (msgs[]) */
	int ku_chunk;	  /* the client's KeyUpdate + data */
};

static struct session *cur_sess;

static void keylog_cb(const SSL *ssl, const char *line)
{
	size_t n = strlen(line);

	if (cur_sess && cur_sess->kl_len + n + 1 < sizeof(cur_sess->keylog)) {
		memcpy(cur_sess->keylog + cur_sess->kl_len, line, n);
		cur_sess->kl_len += n;
		cur_sess->keylog[cur_sess->kl_len++] = '\n';
	}
}

/* Move what one side wrote to the other side, recording it as a chunk. Returns the chunk index or -1. */
static int move(struct session *s, int dir, BIO *from, BIO *to)
{
	int pend = (int)BIO_ctrl_pending(from);
	struct chunk *c;

	if (pend <= 0)
		return -1;
	CU_ASSERT_FATAL(s->n < MAX_CHUNKS);
	c = &s->ch[s->n];
	c->dir = dir;
	c->d = talloc_size(ctx, (size_t)pend);
	c->len = (size_t)BIO_read(from, c->d, pend);
	CU_ASSERT_FATAL(c->len == (size_t)pend);
	CU_ASSERT_FATAL(BIO_write(to, c->d, pend) == pend);
	return (int)s->n++;
}

static const char *const msgs[] = {
	"POST /gsma/rsp2/es2 HTTP/1.1\r\nHost: smdp\r\nContent-Length: 5\r\n\r\nhello",
	"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
	"second client message, after the server's tickets",
	"second server message",
	"after KeyUpdate from the client",
	"the server answers under its updated keys",
};

/* A full session with suite (OpenSSL TLS 1.3 ciphersuite name). */
static void make_session(struct session *s, const char *suite)
{
	SSL_CTX *cctx = SSL_CTX_new(TLS_client_method()), *sctx = SSL_CTX_new(TLS_server_method());
	SSL *cl, *sv;
	BIO *c_in = BIO_new(BIO_s_mem()), *c_out = BIO_new(BIO_s_mem());
	BIO *s_in = BIO_new(BIO_s_mem()), *s_out = BIO_new(BIO_s_mem());
	uint8_t buf[512];
	int i;

	memset(s, 0, sizeof(*s));
	cur_sess = s;
	CU_ASSERT_FATAL(cctx && sctx && c_in && c_out && s_in && s_out);
	CU_ASSERT_FATAL(SSL_CTX_set_min_proto_version(cctx, TLS1_3_VERSION) == 1);
	CU_ASSERT_FATAL(SSL_CTX_set_min_proto_version(sctx, TLS1_3_VERSION) == 1);
	CU_ASSERT_FATAL(SSL_CTX_set_ciphersuites(cctx, suite) == 1);
	CU_ASSERT_FATAL(SSL_CTX_set_ciphersuites(sctx, suite) == 1);
	CU_ASSERT_FATAL(SSL_CTX_use_certificate(sctx, srv_cert) == 1);
	CU_ASSERT_FATAL(SSL_CTX_use_PrivateKey(sctx, srv_key) == 1);
	SSL_CTX_set_verify(cctx, SSL_VERIFY_NONE, NULL);
	SSL_CTX_set_keylog_callback(cctx, keylog_cb);
	cl = SSL_new(cctx);
	sv = SSL_new(sctx);
	CU_ASSERT_FATAL(cl && sv);
	SSL_set_bio(cl, c_in, c_out);
	SSL_set_bio(sv, s_in, s_out);
	SSL_set_connect_state(cl);
	SSL_set_accept_state(sv);
	for (i = 0; i < 20 && !(SSL_is_init_finished(cl) && SSL_is_init_finished(sv)); i++) {
		SSL_do_handshake(cl);
		move(s, 0, c_out, s_in);
		SSL_do_handshake(sv);
		move(s, 1, s_out, c_in);
	}
	CU_ASSERT_FATAL(SSL_is_init_finished(cl) && SSL_is_init_finished(sv));
	CU_ASSERT_STRING_EQUAL(SSL_get_version(cl), "TLSv1.3");
	for (i = 0; i < 4; i++) {
		SSL *w = i % 2 ? sv : cl, *r = i % 2 ? cl : sv;

		CU_ASSERT_FATAL(SSL_write(w, msgs[i], (int)strlen(msgs[i])) == (int)strlen(msgs[i]));
		s->app_chunk[i] = move(s, i % 2, i % 2 ? s_out : c_out, i % 2 ? c_in : s_in);
		CU_ASSERT_FATAL(SSL_read(r, buf, sizeof(buf)) == (int)strlen(msgs[i]));
	}
	/* KeyUpdate (RFC 8446 §4.6.3): the client updates its keys and asks the server to update its own */
	CU_ASSERT_FATAL(SSL_key_update(cl, SSL_KEY_UPDATE_REQUESTED) == 1);
	CU_ASSERT_FATAL(SSL_write(cl, msgs[4], (int)strlen(msgs[4])) == (int)strlen(msgs[4]));
	s->app_chunk[4] = s->ku_chunk = move(s, 0, c_out, s_in);
	CU_ASSERT_FATAL(SSL_read(sv, buf, sizeof(buf)) == (int)strlen(msgs[4]));
	CU_ASSERT_FATAL(SSL_write(sv, msgs[5], (int)strlen(msgs[5])) == (int)strlen(msgs[5]));
	s->app_chunk[5] = move(s, 1, s_out, c_in);
	CU_ASSERT_FATAL(SSL_read(cl, buf, sizeof(buf)) == (int)strlen(msgs[5]));
	SSL_shutdown(cl);
	move(s, 0, c_out, s_in);
	SSL_free(cl);
	SSL_free(sv);
	SSL_CTX_free(cctx);
	SSL_CTX_free(sctx);
	cur_sess = NULL;
}

struct got {
	char data[2][2048];
	size_t len[2];
	unsigned int n_app, n_und, n_alert;
	enum tlsdec_reason last_why;
	uint16_t suite, version;
	uint32_t und_frame[64];
};

static void got_app(void *priv, int dir, const uint8_t *d, size_t len, uint32_t frame)
{
	struct got *g = priv;

	g->n_app++;
	if (g->len[dir] + len <= sizeof(g->data[dir])) {
		memcpy(g->data[dir] + g->len[dir], d, len);
		g->len[dir] += len;
	}
}

static void got_und(void *priv, int dir, uint8_t ct, enum tlsdec_reason why, uint32_t frame)
{
	struct got *g = priv;

	if (g->n_und < 64)
		g->und_frame[g->n_und] = frame;
	g->n_und++;
	g->last_why = why;
}

static void got_hello(void *priv, const struct tlsdec_suite *suite, uint16_t id, uint16_t version, uint32_t frame)
{
	struct got *g = priv;

	g->suite = id;
	g->version = version;
}

static void got_alert(void *priv, int dir, uint8_t level, uint8_t desc, uint32_t frame)
{
	((struct got *)priv)->n_alert++;
}

static const struct tlsdec_ops got_ops = {
	.app = got_app, .undecrypted = got_und, .hello = got_hello, .alert = got_alert
};

/* Replay the chunks (frame = chunk index + 1) through one tlsdec connection. */
static void replay(const struct session *s, const char *keylog, size_t kl_len, struct got *g)
{
	struct tlsdec_keylog *kl = tlsdec_keylog_alloc(ctx);
	struct tlsdec_conn *c;

	memset(g, 0, sizeof(*g));
	if (kl_len)
		CU_ASSERT(tlsdec_keylog_add_text(kl, keylog, kl_len, NULL) >= 4);
	c = tlsdec_conn_alloc(ctx, kl, &got_ops, g);
	CU_ASSERT_FATAL(c != NULL);
	for (unsigned int i = 0; i < s->n; i++)
		tlsdec_conn_feed(c, s->ch[i].dir, s->ch[i].d, s->ch[i].len, i + 1);
	talloc_free(c);
	talloc_free(kl);
}

static void expect_all(const struct got *g, int skip_msg)
{
	char want[2][2048];
	size_t wl[2] = { 0, 0 };

	for (int i = 0; i < 6; i++) {
		size_t n = strlen(msgs[i]);

		if (i == skip_msg)
			continue;
		memcpy(want[i % 2 ? 1 : 0] + wl[i % 2 ? 1 : 0], msgs[i], n);
		wl[i % 2 ? 1 : 0] += n;
	}
	/* the client's KeyUpdate message goes with msgs[4] from dir 0 */
	CU_ASSERT_EQUAL(g->len[0], wl[0]);
	CU_ASSERT_EQUAL(g->len[1], wl[1]);
	TEST_ASSERT_MEM_EQ(g->data[0], g->len[0], want[0], wl[0]);
	TEST_ASSERT_MEM_EQ(g->data[1], g->len[1], want[1], wl[1]);
}

static void session_ok(const char *suite, uint16_t id)
{
	struct session *s = talloc_zero(ctx, struct session);
	struct got g;

	make_session(s, suite);
	CU_ASSERT_PTR_NOT_NULL(strstr(s->keylog, "CLIENT_HANDSHAKE_TRAFFIC_SECRET "));
	replay(s, s->keylog, s->kl_len, &g);
	CU_ASSERT_EQUAL(g.suite, id);
	CU_ASSERT_EQUAL(g.version, 0x0304);
	CU_ASSERT_EQUAL(g.n_und, 0);
	CU_ASSERT_EQUAL(g.n_app, 6);
	CU_ASSERT_EQUAL(g.n_alert, 1); /* the client's close_notify, decrypted under its updated keys */
	expect_all(&g, -1);
	talloc_free(s);
}

void test_tls13_session_aes128_gcm(void)
{
	session_ok("TLS_AES_128_GCM_SHA256", 0x1301);
}

void test_tls13_session_aes256_gcm(void)
{
	session_ok("TLS_AES_256_GCM_SHA384", 0x1302);
}

void test_tls13_session_chacha20(void)
{
	session_ok("TLS_CHACHA20_POLY1305_SHA256", 0x1303);
}

/* The session with one secret of the key log changed: the records under it do not authenticate. */
void test_tls13_wrong_key(void)
{
	struct session *s = talloc_zero(ctx, struct session);
	char *kl;
	char *p;
	struct got g;

	make_session(s, "TLS_AES_128_GCM_SHA256");
	kl = talloc_strndup(ctx, s->keylog, s->kl_len);
	p = strstr(kl, "SERVER_TRAFFIC_SECRET_0 ");
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	p = strchr(p + 24, ' ') + 1; /* the secret's first hex digit */
	*p = *p == '0' ? '1' : '0';
	replay(s, kl, strlen(kl), &g);
	/* the client's direction is intact; the server's application records fail (its handshake
	 * records still open, and the fallback to application_0 fails too) */
	CU_ASSERT_EQUAL(g.len[0], strlen(msgs[0]) + strlen(msgs[2]) + strlen(msgs[4]));
	CU_ASSERT_EQUAL(g.len[1], 0);
	CU_ASSERT(g.n_und >= 3);
	CU_ASSERT_EQUAL(g.last_why, TLSDEC_R_BAD_MAC);

	/* no key log at all: every protected record is reported, none decrypted */
	replay(s, NULL, 0, &g);
	CU_ASSERT_EQUAL(g.n_app, 0);
	CU_ASSERT(g.n_und >= 8);
	CU_ASSERT_EQUAL(g.last_why, TLSDEC_R_NO_KEYLOG);
	talloc_free(kl);
	talloc_free(s);
}

/* One application record with a flipped tag byte: that record fails, the next ones still open (the
 * sequence number moved on). The same record cut short (length adjusted): it fails too. */
void test_tls13_bad_tag_and_truncated_record(void)
{
	struct session *s = talloc_zero(ctx, struct session);
	struct chunk *c;
	struct got g;
	uint8_t saved;

	make_session(s, "TLS_CHACHA20_POLY1305_SHA256");
	c = &s->ch[s->app_chunk[2]];
	CU_ASSERT_EQUAL_FATAL(c->d[0], TLSDEC_CT_APPDATA);
	CU_ASSERT_EQUAL_FATAL((size_t)(c->d[3] << 8 | c->d[4]) + 5, c->len); /* one record */
	saved = c->d[c->len - 1];
	c->d[c->len - 1] ^= 0x80;
	replay(s, s->keylog, s->kl_len, &g);
	CU_ASSERT_EQUAL(g.n_und, 1);
	CU_ASSERT_EQUAL(g.und_frame[0], (uint32_t)s->app_chunk[2] + 1);
	CU_ASSERT_EQUAL(g.last_why, TLSDEC_R_BAD_MAC);
	expect_all(&g, 2);
	c->d[c->len - 1] = saved;

	/* truncated: one byte less, header length adjusted */
	c->len--;
	c->d[4]--;
	replay(s, s->keylog, s->kl_len, &g);
	CU_ASSERT_EQUAL(g.n_und, 1);
	CU_ASSERT_EQUAL(g.last_why, TLSDEC_R_BAD_MAC);
	expect_all(&g, 2);
	/* shorter than a tag */
	c->d[3] = 0;
	c->d[4] = 10;
	c->len = 15;
	replay(s, s->keylog, s->kl_len, &g);
	CU_ASSERT_EQUAL(g.n_und, 1);
	expect_all(&g, 2);
	talloc_free(s);
}

/* A stream cut in the middle of a record: everything before it opens, nothing of the partial record is
 * passed on; every proper prefix of the client's last record gives no application data for it. */
void test_tls13_stream_cut(void)
{
	struct session *s = talloc_zero(ctx, struct session);
	struct chunk *c;
	struct got g;
	size_t full;

	make_session(s, "TLS_AES_256_GCM_SHA384");
	c = &s->ch[s->app_chunk[4]];
	full = c->len;
	for (size_t cut = 0; cut < full; cut += 7) {
		s->n = (unsigned int)s->app_chunk[4] + 1; /* the KeyUpdate chunk is the last replayed */
		c->len = cut;
		replay(s, s->keylog, s->kl_len, &g);
		CU_ASSERT_EQUAL(g.n_und, 0);
		CU_ASSERT_EQUAL(g.len[0], strlen(msgs[0]) + strlen(msgs[2]));
	}
	c->len = full;
	replay(s, s->keylog, s->kl_len, &g);
	CU_ASSERT_EQUAL(g.len[0], strlen(msgs[0]) + strlen(msgs[2]) + strlen(msgs[4]));
	talloc_free(s);
}

/* Inner plaintext of zeros only (RFC 8446 §5.4: no content type): reported malformed, not passed on. */
void test_tls13_inner_all_zero(void)
{
	struct session *s = talloc_zero(ctx, struct session);
	struct tlsdec_keylog *kl = tlsdec_keylog_alloc(ctx);
	const uint8_t *sec;
	uint8_t key[16], iv[12], rec[5 + 8 + 16], zero[8] = { 0 }, cr[32];
	size_t sl = 0;
	struct got g;
	int k = -1;

	make_session(s, "TLS_AES_128_GCM_SHA256");
	/* the client random from the ClientHello (record header 5, handshake header 4, version 2) */
	memcpy(cr, s->ch[0].d + 11, 32);
	tlsdec_keylog_add_text(kl, s->keylog, s->kl_len, NULL);
	sec = tlsdec_keylog_find13(kl, cr, TLSDEC_S_CLIENT_AP0, &sl);
	CU_ASSERT_PTR_NOT_NULL_FATAL(sec);
	CU_ASSERT_EQUAL(tlsdec_hkdf_expand_label(false, sec, sl, "key", NULL, 0, key, 16), 0);
	CU_ASSERT_EQUAL(tlsdec_hkdf_expand_label(false, sec, sl, "iv", NULL, 0, iv, 12), 0);
	/* the client's first application record has sequence number 0: iv is the nonce */
	rec[0] = 23;
	rec[1] = 3;
	rec[2] = 3;
	rec[3] = 0;
	rec[4] = 8 + 16;
	CU_ASSERT(crypto_aead_encrypt(CRYPTO_AEAD_AES_GCM, key, 16, iv, rec, 5, zero, 8, rec + 5) >= 0);
	for (unsigned int i = 0; i < s->n; i++)
		if ((int)i == s->app_chunk[0])
			k = (int)i;
	CU_ASSERT_FATAL(k >= 0);
	s->ch[k].d = rec;
	s->ch[k].len = sizeof(rec);
	s->n = (unsigned int)k + 1;
	replay(s, s->keylog, s->kl_len, &g);
	CU_ASSERT_EQUAL(g.n_und, 1);
	CU_ASSERT_EQUAL(g.last_why, TLSDEC_R_MALFORMED);
	CU_ASSERT_EQUAL(g.len[0], 0);
	talloc_free(kl);
	talloc_free(s);
}

/* ---- the whole checker: the session as a pcap ------------------------------------------------------ */

static size_t build_tcp(uint8_t *f, int dir, uint32_t seq, uint8_t flags, const void *payload, size_t plen)
{
	/* 127.0.0.1:40000 <-> 127.0.0.2:8443 */
	return dir ? tf_build_tcp(f, 0x7f000002, 8443, 0x7f000001, 40000, seq, flags, payload, plen)
		   : tf_build_tcp(f, 0x7f000001, 40000, 0x7f000002, 8443, seq, flags, payload, plen);
}

void test_tls13_checker_pcap(void)
{
	struct session *s = talloc_zero(ctx, struct session);
	size_t cap = 1 << 20, len;
	uint8_t *buf = talloc_size(ctx, cap), *f = talloc_size(ctx, 70000);
	uint32_t seq[2] = { 100, 5000 };
	struct tlsdec_keylog *kl = tlsdec_keylog_alloc(ctx);
	struct check_opts o;
	struct checker *ck;
	const struct check_event *ev;
	unsigned int nev, http = 0;

	make_session(s, "TLS_AES_128_GCM_SHA256");
	len = (size_t)pcapbuf_write_header(buf, cap, 1, 65535);
	for (int d = 0; d < 2; d++) {
		size_t n = build_tcp(f, d, seq[d]++, d ? (PKT_TCP_SYN | PKT_TCP_ACK) : PKT_TCP_SYN, NULL, 0);

		len += (size_t)pcapbuf_write_record(buf + len, cap - len, 1700000000000000ull + len, f, (uint32_t)n);
	}
	for (unsigned int i = 0; i < s->n; i++) {
		const struct chunk *c = &s->ch[i];
		size_t n = build_tcp(f, c->dir, seq[c->dir], PKT_TCP_ACK | PKT_TCP_PSH, c->d, c->len);
		int w = pcapbuf_write_record(buf + len, cap - len, 1700000000000000ull + len, f, (uint32_t)n);

		CU_ASSERT_FATAL(w > 0);
		len += (size_t)w;
		seq[c->dir] += (uint32_t)c->len;
	}
	tlsdec_keylog_add_text(kl, s->keylog, s->kl_len, NULL);
	check_opts_init(&o);
	o.keylog = kl;
	ck = checker_alloc(ctx, &o);
	CU_ASSERT_FATAL(ck != NULL);
	CU_ASSERT_EQUAL(checker_run_buffer(ck, buf, len), 0);
	CU_ASSERT_EQUAL(checker_stats(ck)->tls_conns, 1);
	CU_ASSERT_EQUAL(checker_stats(ck)->tls_decrypted_records, 6);
	CU_ASSERT_EQUAL(checker_stats(ck)->tls_undecrypted_records, 0);
	CU_ASSERT_FALSE(checker_has(ck, "TLS-001"));
	CU_ASSERT_FALSE(checker_has(ck, "TLS-002"));
	CU_ASSERT_FALSE(checker_has(ck, "TLS-004"));
	/* the decrypted HTTP request and response reached the HTTP decoder */
	ev = checker_events(ck, &nev);
	for (unsigned int i = 0; i < nev; i++)
		if (!strcmp(ev[i].proto, "HTTP"))
			http++;
	CU_ASSERT(http >= 2);
	talloc_free(ck);
	talloc_free(kl);
	talloc_free(buf);
	talloc_free(f);
	talloc_free(s);
}
