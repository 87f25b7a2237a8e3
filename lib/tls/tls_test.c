/* lib/tls over memory pipes (client and server in one process, bytes moved by the test): mutual TLS
 * and each named failure, PSK-TLS with both SCP81 suites, the key log. All keys and certificates are
 * generated here at run time (lib/tls/pki.h); none is committed. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <talloc.h>

#include "lib/test/runner.h"
#include "lib/tls/pki.h"
#include "lib/tls/tls.h"

static EVP_PKEY *ca_key, *ca2_key, *srv_key, *cli_key, *old_key, *cli2_key;
static X509 *ca, *ca2, *srv_cert, *cli_cert, *old_cert, *cli2_cert;
static void *tctx;

/* A template for mkstemp/mkdtemp in $TMPDIR (or the system's temporary directory). */
static void tmp_template(char *buf, size_t len, const char *stem)
{
	const char *d = getenv("TMPDIR");

	snprintf(buf, len, "%s/%sXXXXXX", d && d[0] ? d : P_tmpdir, stem);
}

int suite_setup(void)
{
	struct tls_pki_cert_params p_ca = {
		.cn = "rsplab test CA", .is_ca = true, .not_before_s = -3600, .not_after_s = 86400, .serial = 1
	};
	struct tls_pki_cert_params p_ca2 = {
		.cn = "other CA", .is_ca = true, .not_before_s = -3600, .not_after_s = 86400, .serial = 2
	};
	struct tls_pki_cert_params p_srv = { .cn = "sm-sr.test",
					     .not_before_s = -3600,
					     .not_after_s = 86400,
					     .san_dns = "sm-sr.test",
					     .san_ip = "127.0.0.1",
					     .serial = 10 };
	struct tls_pki_cert_params p_cli = {
		.cn = "sm-dp.test", .not_before_s = -3600, .not_after_s = 86400, .serial = 11
	};
	/* expired: valid from two days ago until yesterday (X509_gmtime_adj with negative offsets) */
	struct tls_pki_cert_params p_old = { .cn = "sm-sr.test",
					     .not_before_s = -2 * 86400,
					     .not_after_s = -86400,
					     .san_dns = "sm-sr.test",
					     .san_ip = "127.0.0.1",
					     .serial = 12 };

	tctx = talloc_named_const(NULL, 0, "tls_test");
	ca_key = tls_pki_key_p256();
	ca2_key = tls_pki_key_p256();
	srv_key = tls_pki_key_p256();
	cli_key = tls_pki_key_p256();
	old_key = tls_pki_key_p256();
	cli2_key = tls_pki_key_p256();
	ca = tls_pki_cert_issue(&p_ca, ca_key, NULL, NULL);
	ca2 = tls_pki_cert_issue(&p_ca2, ca2_key, NULL, NULL);
	srv_cert = tls_pki_cert_issue(&p_srv, srv_key, ca, ca_key);
	cli_cert = tls_pki_cert_issue(&p_cli, cli_key, ca, ca_key);
	old_cert = tls_pki_cert_issue(&p_old, old_key, ca, ca_key);
	cli2_cert = tls_pki_cert_issue(&p_cli, cli2_key, ca2, ca2_key);
	return (tctx && ca && ca2 && srv_cert && cli_cert && old_cert && cli2_cert) ? 0 : -1;
}

int suite_teardown(void)
{
	X509_free(ca);
	X509_free(ca2);
	X509_free(srv_cert);
	X509_free(cli_cert);
	X509_free(old_cert);
	X509_free(cli2_cert);
	EVP_PKEY_free(ca_key);
	EVP_PKEY_free(ca2_key);
	EVP_PKEY_free(srv_key);
	EVP_PKEY_free(cli_key);
	EVP_PKEY_free(old_key);
	EVP_PKEY_free(cli2_key);
	talloc_free(tctx);
	return 0;
}

static void move(struct tls_conn *from, struct tls_conn *to, size_t *moved)
{
	uint8_t buf[4096];
	size_t n;

	while ((n = tls_conn_take(from, buf, sizeof(buf))) > 0) {
		CU_ASSERT_EQUAL(tls_conn_feed(to, buf, n), 0);
		*moved += n;
	}
}

/* Run both handshakes to completion or failure (bounded: a handshake is a few flights). */
static void handshake(struct tls_conn *c, struct tls_conn *s, int *crc, int *src)
{
	*crc = *src = -EAGAIN;
	for (int i = 0; i < 20; i++) {
		size_t moved = 0;
		if (*crc == -EAGAIN)
			*crc = tls_conn_handshake(c);
		move(c, s, &moved);
		if (*src == -EAGAIN)
			*src = tls_conn_handshake(s);
		move(s, c, &moved);
		if (moved == 0 && *crc != -EAGAIN && *src != -EAGAIN)
			break;
		if (moved == 0 && i > 2)
			break;
	}
}

/* After a client-side "success" in TLS 1.3, the server's verdict arrives with the next read. */
static ssize_t exchange(struct tls_conn *c, struct tls_conn *s, ssize_t *sr)
{
	uint8_t buf[64];
	size_t moved = 0;
	ssize_t cr;

	CU_ASSERT_EQUAL(tls_conn_write(c, (const uint8_t *)"ping", 4), 4);
	move(c, s, &moved);
	*sr = tls_conn_read(s, buf, sizeof(buf));
	if (*sr == 4) {
		CU_ASSERT_EQUAL(memcmp(buf, "ping", 4), 0);
		CU_ASSERT_EQUAL(tls_conn_write(s, (const uint8_t *)"pong!", 5), 5);
	}
	move(s, c, &moved);
	cr = tls_conn_read(c, buf, sizeof(buf));
	if (cr == 5)
		CU_ASSERT_EQUAL(memcmp(buf, "pong!", 5), 0);
	return cr;
}

static struct tls_ctx *mk(const struct tls_cfg *cfg)
{
	char err[256];
	struct tls_ctx *t = tls_ctx_alloc(tctx, cfg, err, sizeof(err));

	if (!t)
		fprintf(stderr, "tls_ctx_alloc: %s\n", err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	return t;
}

static void check_reason(struct tls_conn *c, enum tls_fail want, const char *substr)
{
	CU_ASSERT_EQUAL(tls_conn_fail(c), want);
	if (!strstr(tls_conn_err_str(c), substr)) {
		fprintf(stderr, "reason \"%s\" lacks \"%s\"\n", tls_conn_err_str(c), substr);
		CU_FAIL("reason string");
	}
}

static struct tls_cfg srv_cfg(bool mutual, X509 *cert, EVP_PKEY *key, int maxv)
{
	static X509 *cas[1];
	cas[0] = ca;
	return (struct tls_cfg){ .role = TLS_ROLE_SERVER,
				 .cert = cert,
				 .key = key,
				 .ca_certs = cas,
				 .num_ca_certs = 1,
				 .require_client_cert = mutual,
				 .max_version = maxv };
}

static struct tls_cfg cli_cfg(X509 *cert, EVP_PKEY *key, X509 *const *cas, int maxv)
{
	return (struct tls_cfg){ .role = TLS_ROLE_CLIENT,
				 .cert = cert,
				 .key = key,
				 .ca_certs = cas,
				 .num_ca_certs = 1,
				 .verify_host = "sm-sr.test",
				 .max_version = maxv };
}

void test_tls_mutual_ok(void)
{
	static const int versions[] = { TLS1_2_VERSION, TLS1_3_VERSION };
	X509 *cas[1] = { ca };

	for (size_t v = 0; v < 2; v++) {
		struct tls_cfg sc = srv_cfg(true, srv_cert, srv_key, versions[v]);
		struct tls_cfg cc = cli_cfg(cli_cert, cli_key, cas, versions[v]);
		struct tls_ctx *st = mk(&sc), *ct = mk(&cc);
		struct tls_conn *s = tls_conn_alloc(tctx, st), *c = tls_conn_alloc(tctx, ct);
		int crc, src;
		ssize_t sr;

		handshake(c, s, &crc, &src);
		CU_ASSERT_EQUAL(crc, 0);
		CU_ASSERT_EQUAL(src, 0);
		CU_ASSERT_EQUAL(exchange(c, s, &sr), 5);
		CU_ASSERT_EQUAL(sr, 4);
		CU_ASSERT_PTR_NOT_NULL(tls_conn_peer_cert(s));
		CU_ASSERT_STRING_EQUAL(tls_conn_version(c), v == 0 ? "TLSv1.2" : "TLSv1.3");
		CU_ASSERT_EQUAL(tls_conn_fail(c), TLS_FAIL_NONE);
		/* close_notify is a clean end (read returns 0) */
		tls_conn_shutdown(c);
		{
			size_t moved = 0;
			uint8_t b[8];
			move(c, s, &moved);
			CU_ASSERT_EQUAL(tls_conn_read(s, b, sizeof(b)), 0);
		}
		talloc_free(s);
		talloc_free(c);
		talloc_free(st);
		talloc_free(ct);
	}
}

void test_tls_unknown_ca(void)
{
	X509 *cas[1] = { ca2 }; /* the client trusts another CA */
	struct tls_cfg sc = srv_cfg(false, srv_cert, srv_key, 0);
	struct tls_cfg cc = cli_cfg(NULL, NULL, cas, 0);
	struct tls_ctx *st = mk(&sc), *ct = mk(&cc);
	struct tls_conn *s = tls_conn_alloc(tctx, st), *c = tls_conn_alloc(tctx, ct);
	int crc, src;

	handshake(c, s, &crc, &src);
	CU_ASSERT_EQUAL(crc, -EPROTO);
	/* the server sends its CA along (chain built from its store): "self-signed certificate in chain" */
	check_reason(c, TLS_FAIL_UNKNOWN_CA, "unknown CA: self-signed certificate in certificate chain");
	/* the server learns it from the alert */
	CU_ASSERT_EQUAL(src, -EPROTO);
	check_reason(s, TLS_FAIL_UNKNOWN_CA, "unknown CA: alert from peer: unknown CA");
	talloc_free(tctx);
	tctx = talloc_named_const(NULL, 0, "tls_test");
}

void test_tls_client_unknown_ca(void)
{
	/* mutual TLS: the server does not know the client's CA */
	X509 *cas[1] = { ca };
	struct tls_cfg sc = srv_cfg(true, srv_cert, srv_key, TLS1_2_VERSION);
	struct tls_cfg cc = cli_cfg(cli2_cert, cli2_key, cas, TLS1_2_VERSION);
	struct tls_ctx *st = mk(&sc), *ct = mk(&cc);
	struct tls_conn *s = tls_conn_alloc(tctx, st), *c = tls_conn_alloc(tctx, ct);
	int crc, src;

	handshake(c, s, &crc, &src);
	CU_ASSERT_EQUAL(src, -EPROTO);
	check_reason(s, TLS_FAIL_UNKNOWN_CA, "unknown CA: unable to get local issuer certificate");
	CU_ASSERT_EQUAL(crc, -EPROTO);
	check_reason(c, TLS_FAIL_UNKNOWN_CA, "alert from peer");
	talloc_free(tctx);
	tctx = talloc_named_const(NULL, 0, "tls_test");
}

void test_tls_expired(void)
{
	X509 *cas[1] = { ca };
	struct tls_cfg sc = srv_cfg(false, old_cert, old_key, 0);
	struct tls_cfg cc = cli_cfg(NULL, NULL, cas, 0);
	struct tls_ctx *st = mk(&sc), *ct = mk(&cc);
	struct tls_conn *s = tls_conn_alloc(tctx, st), *c = tls_conn_alloc(tctx, ct);
	int crc, src;

	handshake(c, s, &crc, &src);
	CU_ASSERT_EQUAL(crc, -EPROTO);
	check_reason(c, TLS_FAIL_EXPIRED, "certificate expired: certificate has expired");
	CU_ASSERT_EQUAL(src, -EPROTO);
	check_reason(s, TLS_FAIL_EXPIRED, "alert from peer: certificate expired");
	talloc_free(tctx);
	tctx = talloc_named_const(NULL, 0, "tls_test");
}

void test_tls_hostname_mismatch(void)
{
	X509 *cas[1] = { ca };
	struct tls_cfg sc = srv_cfg(false, srv_cert, srv_key, 0);
	struct tls_cfg cc = cli_cfg(NULL, NULL, cas, 0);
	struct tls_ctx *st, *ct;
	struct tls_conn *s, *c;
	int crc, src;

	cc.verify_host = "sm-dp.test";
	st = mk(&sc);
	ct = mk(&cc);
	s = tls_conn_alloc(tctx, st);
	c = tls_conn_alloc(tctx, ct);
	handshake(c, s, &crc, &src);
	CU_ASSERT_EQUAL(crc, -EPROTO);
	check_reason(c, TLS_FAIL_HOSTNAME, "host name mismatch");
	talloc_free(tctx);
	tctx = talloc_named_const(NULL, 0, "tls_test");
}

void test_tls_missing_client_cert(void)
{
	static const int versions[] = { TLS1_2_VERSION, TLS1_3_VERSION };
	X509 *cas[1] = { ca };

	for (size_t v = 0; v < 2; v++) {
		struct tls_cfg sc = srv_cfg(true, srv_cert, srv_key, versions[v]);
		struct tls_cfg cc = cli_cfg(NULL, NULL, cas, versions[v]);
		struct tls_ctx *st = mk(&sc), *ct = mk(&cc);
		struct tls_conn *s = tls_conn_alloc(tctx, st), *c = tls_conn_alloc(tctx, ct);
		int crc, src;
		ssize_t sr, cr;

		handshake(c, s, &crc, &src);
		CU_ASSERT_EQUAL(src, -EPROTO);
		check_reason(s, TLS_FAIL_NO_PEER_CERT, "missing client certificate");
		if (crc == 0) /* TLS 1.3: the client finishes first and hears the verdict on its next read */
			cr = exchange(c, s, &sr);
		else
			cr = crc;
		CU_ASSERT_EQUAL(cr, -EPROTO);
		check_reason(c, TLS_FAIL_NO_PEER_CERT, "missing client certificate: alert from peer");
	}
	talloc_free(tctx);
	tctx = talloc_named_const(NULL, 0, "tls_test");
}

/* ---- PSK-TLS (SCP81) ---------------------------------------------------------------------------- */

/* The SGP.02 digest §5.2 identity form (hex string of the 80/81/4F/82/83 TLV); its parsing lives
 * elsewhere, here it is an opaque string. */
static const char psk_id[] = "800102811089049032123451234512345678901235"
			     "4F10A0000005591010FFFFFFFF8900000100820101830140";
static const uint8_t psk_key[16] = { 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88,
				     0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff, 0x00 };

static size_t psk_lookup(void *priv, const char *identity, uint8_t *psk, size_t psk_max)
{
	unsigned int *calls = priv;

	(*calls)++;
	if (strcmp(identity, psk_id) != 0 || psk_max < sizeof(psk_key))
		return 0;
	memcpy(psk, psk_key, sizeof(psk_key));
	return sizeof(psk_key);
}

static void psk_run(const char *client_ciphers, const char *identity, const uint8_t *key, const char *keylog, int *crc,
		    int *src, struct tls_conn **cp, struct tls_conn **sp)
{
	static unsigned int calls;
	struct tls_cfg sc = {
		.role = TLS_ROLE_SERVER, .psk_lookup = psk_lookup, .psk_priv = &calls, .keylog_file = keylog
	};
	struct tls_cfg cc = {
		.role = TLS_ROLE_CLIENT, .psk_identity = identity, .psk = key, .psk_len = 16, .ciphers = client_ciphers
	};
	struct tls_ctx *st = mk(&sc), *ct = mk(&cc);

	*sp = tls_conn_alloc(st, st);
	*cp = tls_conn_alloc(ct, ct);
	calls = 0;
	handshake(*cp, *sp, crc, src);
	CU_ASSERT_EQUAL(calls, 1);
}

void test_tls_psk_both_suites(void)
{
	static const char *suites[] = { "PSK-AES128-GCM-SHA256", "PSK-AES128-CBC-SHA256" };

	for (size_t i = 0; i < 2; i++) {
		struct tls_conn *c, *s;
		int crc, src;
		ssize_t sr;

		psk_run(suites[i], psk_id, psk_key, NULL, &crc, &src, &c, &s);
		CU_ASSERT_EQUAL(crc, 0);
		CU_ASSERT_EQUAL(src, 0);
		CU_ASSERT_STRING_EQUAL(tls_conn_cipher(s), suites[i]);
		CU_ASSERT_STRING_EQUAL(tls_conn_version(s), "TLSv1.2");
		CU_ASSERT_STRING_EQUAL(tls_conn_psk_identity(s), psk_id);
		CU_ASSERT_EQUAL(exchange(c, s, &sr), 5);
		CU_ASSERT_EQUAL(sr, 4);
	}
	talloc_free(tctx);
	tctx = talloc_named_const(NULL, 0, "tls_test");
}

void test_tls_psk_server_refuses_other_suites(void)
{
	struct tls_conn *c, *s;
	int crc = 0, src = 0;
	static unsigned int calls;
	struct tls_cfg sc = { .role = TLS_ROLE_SERVER, .psk_lookup = psk_lookup, .psk_priv = &calls };
	struct tls_cfg cc = { .role = TLS_ROLE_CLIENT,
			      .psk_identity = psk_id,
			      .psk = psk_key,
			      .psk_len = 16,
			      .ciphers = "PSK-AES256-GCM-SHA384:PSK-AES128-CBC-SHA" };
	struct tls_ctx *st = mk(&sc), *ct = mk(&cc);

	s = tls_conn_alloc(st, st);
	c = tls_conn_alloc(ct, ct);
	handshake(c, s, &crc, &src);
	CU_ASSERT_EQUAL(src, -EPROTO);
	check_reason(s, TLS_FAIL_NO_SHARED_CIPHER, "no shared cipher");
	CU_ASSERT_EQUAL(crc, -EPROTO);
	talloc_free(tctx);
	tctx = talloc_named_const(NULL, 0, "tls_test");
}

void test_tls_psk_unknown_identity(void)
{
	struct tls_conn *c, *s;
	int crc, src;

	psk_run(NULL, "8001028110deadbeef", psk_key, NULL, &crc, &src, &c, &s);
	CU_ASSERT_EQUAL(src, -EPROTO);
	check_reason(s, TLS_FAIL_BAD_PSK_IDENTITY, "bad PSK identity: identity not found");
	CU_ASSERT_STRING_EQUAL(tls_conn_psk_identity(s), "8001028110deadbeef");
	CU_ASSERT_EQUAL(crc, -EPROTO);
	check_reason(c, TLS_FAIL_BAD_PSK_IDENTITY, "bad PSK identity: alert from peer");
	talloc_free(tctx);
	tctx = talloc_named_const(NULL, 0, "tls_test");
}

void test_tls_psk_wrong_key(void)
{
	uint8_t wrong[16];
	struct tls_conn *c, *s;
	int crc, src;

	memcpy(wrong, psk_key, 16);
	wrong[15] ^= 1;
	psk_run(NULL, psk_id, wrong, NULL, &crc, &src, &c, &s);
	CU_ASSERT_EQUAL(src, -EPROTO);
	check_reason(s, TLS_FAIL_PSK_MISMATCH, "PSK mismatch");
	CU_ASSERT_EQUAL(crc, -EPROTO);
	check_reason(c, TLS_FAIL_PSK_MISMATCH, "PSK mismatch");
	talloc_free(tctx);
	tctx = talloc_named_const(NULL, 0, "tls_test");
}

void test_tls_keylog(void)
{
	char path[256];
	char line[400];
	struct stat st;
	struct tls_conn *c, *s;
	int crc, src, fd, lines = 0;
	FILE *f;

	tmp_template(path, sizeof(path), "rsplab-keylog");
	fd = mkstemp(path);
	CU_ASSERT_FATAL(fd >= 0);
	close(fd);
	unlink(path); /* let tls_ctx_alloc create it */
	psk_run(NULL, psk_id, psk_key, path, &crc, &src, &c, &s);
	CU_ASSERT_EQUAL(crc, 0);
	CU_ASSERT_EQUAL(src, 0);
	talloc_free(tctx); /* closes the key log */
	tctx = talloc_named_const(NULL, 0, "tls_test");

	CU_ASSERT_FATAL(stat(path, &st) == 0);
	CU_ASSERT_EQUAL(st.st_mode & 0777, 0600);
	f = fopen(path, "r");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	while (fgets(line, sizeof(line), f)) {
		unsigned int i;
		/* NSS key-log: "CLIENT_RANDOM <64 hex client random> <96 hex master secret>\n" */
		CU_ASSERT_EQUAL(strncmp(line, "CLIENT_RANDOM ", 14), 0);
		CU_ASSERT_EQUAL(strlen(line), 14 + 64 + 1 + 96 + 1);
		for (i = 14; i < 14 + 64; i++)
			CU_ASSERT(strchr("0123456789ABCDEFabcdef", line[i]) != NULL);
		CU_ASSERT_EQUAL(line[14 + 64], ' ');
		lines++;
	}
	fclose(f);
	CU_ASSERT_EQUAL(lines, 1);
	unlink(path);

	/* off unless configured: a context without keylog_file writes nothing anywhere (no path to check),
	 * and a key log that cannot be created is a configuration error with a reason */
	{
		char err[200];
		struct tls_cfg bad = { .role = TLS_ROLE_SERVER,
				       .psk_lookup = psk_lookup,
				       .keylog_file = "/nonexistent-dir/keylog" };
		CU_ASSERT_PTR_NULL(tls_ctx_alloc(tctx, &bad, err, sizeof(err)));
		CU_ASSERT_PTR_NOT_NULL(strstr(err, "cannot open key log"));
	}
}

void test_tls_config_errors(void)
{
	char err[200];
	struct tls_cfg nocert = { .role = TLS_ROLE_SERVER };
	struct tls_cfg badfile = { .role = TLS_ROLE_SERVER, .cert_file = "/nonexistent.pem", .key_file = "/x" };
	struct tls_cfg mismatch = { .role = TLS_ROLE_SERVER, .cert = srv_cert, .key = cli_key };
	struct tls_cfg mutual_noca = {
		.role = TLS_ROLE_SERVER, .cert = srv_cert, .key = srv_key, .require_client_cert = true
	};

	CU_ASSERT_PTR_NULL(tls_ctx_alloc(tctx, &nocert, err, sizeof(err)));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "needs a certificate"));
	CU_ASSERT_PTR_NULL(tls_ctx_alloc(tctx, &badfile, err, sizeof(err)));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "/nonexistent.pem"));
	CU_ASSERT_PTR_NULL(tls_ctx_alloc(tctx, &mismatch, err, sizeof(err)));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "private key"));
	CU_ASSERT_PTR_NULL(tls_ctx_alloc(tctx, &mutual_noca, err, sizeof(err)));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "needs a CA"));
}

void test_tls_pem_files(void)
{
	char dir[200], cert[256], key[256], cafile[256];
	struct stat st;
	X509 *cas[1] = { ca };
	struct tls_cfg sc = { .role = TLS_ROLE_SERVER, .cert_file = cert, .key_file = key };
	struct tls_cfg cc = cli_cfg(NULL, NULL, cas, 0);
	struct tls_ctx *stc, *ctc;
	struct tls_conn *s, *c;
	int crc, src;

	tmp_template(dir, sizeof(dir), "rsplab-pem");
	CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(dir));
	snprintf(cert, sizeof(cert), "%s/srv.pem", dir);
	snprintf(key, sizeof(key), "%s/srv.key", dir);
	snprintf(cafile, sizeof(cafile), "%s/ca.pem", dir);
	CU_ASSERT_EQUAL(tls_pki_write_cert_pem(cert, srv_cert), 0);
	CU_ASSERT_EQUAL(tls_pki_write_key_pem(key, srv_key), 0);
	CU_ASSERT_EQUAL(tls_pki_write_cert_pem(cafile, ca), 0);
	CU_ASSERT(stat(key, &st) == 0 && (st.st_mode & 0777) == 0600);
	cc.ca_certs = NULL;
	cc.num_ca_certs = 0;
	cc.ca_file = cafile;
	stc = mk(&sc);
	ctc = mk(&cc);
	s = tls_conn_alloc(tctx, stc);
	c = tls_conn_alloc(tctx, ctc);
	handshake(c, s, &crc, &src);
	CU_ASSERT_EQUAL(crc, 0);
	CU_ASSERT_EQUAL(src, 0);
	unlink(cert);
	unlink(key);
	unlink(cafile);
	rmdir(dir);
	talloc_free(tctx);
	tctx = talloc_named_const(NULL, 0, "tls_test");
}

void test_tls_garbage_input(void)
{
	/* a server fed garbage fails with a protocol error, never crashes */
	struct tls_cfg sc = srv_cfg(false, srv_cert, srv_key, 0);
	struct tls_ctx *st = mk(&sc);
	struct tls_conn *s = tls_conn_alloc(tctx, st);
	static const uint8_t junk[] = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";

	CU_ASSERT_EQUAL(tls_conn_feed(s, junk, sizeof(junk) - 1), 0);
	CU_ASSERT_EQUAL(tls_conn_handshake(s), -EPROTO);
	CU_ASSERT_EQUAL(tls_conn_fail(s), TLS_FAIL_PROTOCOL);
	CU_ASSERT(strlen(tls_conn_err_str(s)) > 0);
	talloc_free(tctx);
	tctx = talloc_named_const(NULL, 0, "tls_test");
}
