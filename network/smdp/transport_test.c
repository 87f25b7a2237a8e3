/* The SM-DP over real SOAP/HTTP(S) (lib/esnet on loopback): an MNO endpoint sends ES2.DownloadProfile,
 * the SM-DP runs the procedure against an SM-SR endpoint whose handlers answer with the stub card, and
 * the MNO receives the asynchronous ES2 response (step 27). Once over plain HTTP, once over HTTPS with
 * mutual TLS on every hop (certificates issued by the stub's CI, which is the SM-DP's TLS CA by
 * default), and clients without a certificate from the CI are refused before any ES2 is read.
 * Waits run under a guard timer; nothing is timed. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <osmocom/core/application.h>
#include <osmocom/core/select.h>
#include <osmocom/core/talloc.h>
#include <osmocom/core/timer.h>

#include "lib/esnet/esnet.h"
#include "lib/test/runner.h"
#include "lib/tls/pki.h"
#include "network/smdp/logging.h"
#include "network/smdp/stubcard.h"
#include "network/smdp/transport.h"

static void *ctx;
static char tmpdir[64];

int suite_setup(void)
{
	char tmpl[] = "/tmp/smdp_tr_XXXXXX";

	ctx = talloc_named_const(NULL, 0, "transport_test");
	osmo_init_logging2(ctx, &smdp_log_info);
	log_set_print_timestamp(osmo_stderr_target, 0);
	log_set_log_level(osmo_stderr_target, getenv("SMDP_TEST_DEBUG") ? LOGL_DEBUG : LOGL_FATAL);
	if (!mkdtemp(tmpl))
		return -1;
	snprintf(tmpdir, sizeof(tmpdir), "%s", tmpl);
	return 0;
}

static const char *const pem_files[] = {
	"dp-cert.pem", "dp-key.pem", "keylog", "smdp.db", "smdp.db-wal", "smdp.db-shm"
};

int suite_teardown(void)
{
	char p[128];

	for (size_t i = 0; i < ARRAY_SIZE(pem_files); i++) {
		snprintf(p, sizeof(p), "%s/%s", tmpdir, pem_files[i]);
		unlink(p);
	}
	rmdir(tmpdir);
	talloc_free(ctx);
	return 0;
}

static struct smdp_stub *g_stub;
static char smsr_saw_cn[128];
/* Test control: hold (never answer) the first request of this id, as an SM-SR that is still working
 * when the SM-DP dies. */
static enum es_msg_id hold_id;
static struct esnet_in *held;

/* The SM-SR: every ES3 request answered by the stub card. */
static void smsr_handler(struct esnet_in *in, void *priv)
{
	void *tmp;
	struct es_msg *resp;

	osmo_strlcpy(smsr_saw_cn, esnet_in_peer_cn(in), sizeof(smsr_saw_cn));
	if (hold_id && esnet_in_msg(in)->id == hold_id && !held) {
		held = in;
		return;
	}
	tmp = talloc_new(ctx);
	resp = smdp_stub_answer(g_stub, tmp, esnet_in_msg(in));
	if (!resp)
		esnet_in_fault(in, SOAP_FAULT_SENDER, NULL, "not served");
	else if (esnet_in_respond(in, resp) < 0 && getenv("SMDP_TEST_DEBUG"))
		fprintf(stderr, "SM-SR respond failed\n");
	talloc_free(tmp);
}

struct mno_result {
	bool done;
	int rc;
	enum es_status status;
	char iccid[32];
};

static void mno_done(struct esnet_call *call, int rc, const struct es_msg *resp, const struct soap_findings *f,
		     void *priv)
{
	struct mno_result *r = priv;

	r->done = true;
	r->rc = rc;
	if (rc == 0 && resp && resp->id == ES_MSG_ES2_DOWNLOAD_PROFILE_RESP) {
		r->status = resp->u.es2_download_profile_resp.function_execution_status.status;
		osmo_strlcpy(r->iccid,
			     resp->u.es2_download_profile_resp.iccid ? resp->u.es2_download_profile_resp.iccid : "",
			     sizeof(r->iccid));
	}
}

static bool guard_fired;
static void guard_cb(void *data)
{
	guard_fired = true;
}

static void run_until(bool *done, int secs)
{
	struct osmo_timer_list guard;

	guard_fired = false;
	osmo_timer_setup(&guard, guard_cb, NULL);
	osmo_timer_schedule(&guard, secs, 0);
	while (!*done && !guard_fired)
		osmo_select_main_ctx(0);
	osmo_timer_del(&guard);
}

/* A TLS leaf for cn issued by issuer (the CI, or a rogue CA). */
static bool leaf(const char *cn, unsigned long serial, X509 *issuer, EVP_PKEY *issuer_key, X509 **cert, EVP_PKEY **key)
{
	struct tls_pki_cert_params p = {
		.cn = cn, .not_before_s = -3600, .not_after_s = 86400, .san_ip = "127.0.0.1", .serial = serial
	};

	*key = tls_pki_key_p256();
	*cert = *key ? tls_pki_cert_issue(&p, *key, issuer, issuer_key) : NULL;
	return *cert != NULL;
}

static struct tls_ctx *tls_for(enum tls_role role, X509 *cert, EVP_PKEY *key, X509 *ca)
{
	struct tls_cfg c = { .role = role,
			     .cert = cert,
			     .key = key,
			     .ca_certs = &ca,
			     .num_ca_certs = 1,
			     .require_client_cert = role == TLS_ROLE_SERVER };

	return tls_ctx_alloc(ctx, &c, NULL, 0);
}

/* Everything of one run: the SM-DP (real transport) between an MNO endpoint and an SM-SR endpoint. */
struct bed {
	bool tls;
	struct smdp_cfg cfg;
	struct smdp_store *store;
	struct smdp_transport *t;
	struct smdp *s;
	struct esnet *smsr, *mno;
	struct esnet_handler smsr_h[6];
	X509 *smsr_cert, *mno_cert;
	EVP_PKEY *smsr_key, *mno_key;
	struct tls_ctx *smsr_srv, *smsr_cli, *mno_srv, *mno_cli;
	char smdp_url[64];
};

static const enum es_msg_id es3_reqs[] = {
	ES_MSG_ES3_GET_EIS_REQ,	       ES_MSG_ES3_CREATE_ISDP_REQ,
	ES_MSG_ES3_SEND_DATA_REQ,      ES_MSG_ES3_PROFILE_DOWNLOAD_COMPLETED_REQ,
	ES_MSG_ES3_ENABLE_PROFILE_REQ, ES_MSG_ES3_DELETE_ISDP_REQ,
};

static void bed_up(struct bed *b, bool tls, const char *db)
{
	struct esnet_cfg smsr_c = { .listen_addr = "127.0.0.1", .own_id = "1.2.3.2" };
	struct esnet_cfg mno_c = { .listen_addr = "127.0.0.1", .own_id = "1.2.3.3" };
	const char *scheme = tls ? "https" : "http";
	struct smdp_smsr_peer *peer;
	struct smdp_ops ops;
	char url[64];

	memset(b, 0, sizeof(*b));
	b->tls = tls;
	for (size_t i = 0; i < ARRAY_SIZE(es3_reqs); i++)
		b->smsr_h[i] = (struct esnet_handler){ es3_reqs[i], smsr_handler, NULL };
	smsr_c.handlers = b->smsr_h;
	smsr_c.num_handlers = ARRAY_SIZE(es3_reqs);
	smsr_c.variant = es_variant_default;
	mno_c.variant = es_variant_default;

	smdp_cfg_init(&b->cfg);
	CU_ASSERT_EQUAL_FATAL(smdp_store_open(ctx, db ? db : ":memory:", &b->store), 0);
	g_stub = smdp_stub_alloc(ctx, &b->cfg);
	CU_ASSERT_PTR_NOT_NULL_FATAL(g_stub);
	CU_ASSERT_EQUAL_FATAL(smdp_stub_add_profile(b->store, "8949000000000000011", "001010000000011", "m2m"), 0);
	if (tls) {
		/* Every TLS certificate from the CI (rsplab pki init does the same). The SM-DP's as files. */
		X509 *dp_cert;
		EVP_PKEY *dp_key;
		char p[128];

		CU_ASSERT_FATAL(leaf("smdp.test", 11, g_stub->ci_x509, g_stub->ci_key, &dp_cert, &dp_key));
		CU_ASSERT_FATAL(leaf("smsr.test", 12, g_stub->ci_x509, g_stub->ci_key, &b->smsr_cert, &b->smsr_key));
		CU_ASSERT_FATAL(leaf("mno.test", 13, g_stub->ci_x509, g_stub->ci_key, &b->mno_cert, &b->mno_key));
		snprintf(p, sizeof(p), "%s/dp-cert.pem", tmpdir);
		CU_ASSERT_EQUAL(tls_pki_write_cert_pem(p, dp_cert), 0);
		osmo_strlcpy(b->cfg.tls_cert_file, p, sizeof(b->cfg.tls_cert_file));
		snprintf(p, sizeof(p), "%s/dp-key.pem", tmpdir);
		CU_ASSERT_EQUAL(tls_pki_write_key_pem(p, dp_key), 0);
		osmo_strlcpy(b->cfg.tls_key_file, p, sizeof(b->cfg.tls_key_file));
		snprintf(p, sizeof(p), "%s/keylog", tmpdir);
		unlink(p);
		osmo_strlcpy(b->cfg.tls_keylog_file, p, sizeof(b->cfg.tls_keylog_file));
		X509_free(dp_cert);
		EVP_PKEY_free(dp_key);
		b->smsr_srv = tls_for(TLS_ROLE_SERVER, b->smsr_cert, b->smsr_key, g_stub->ci_x509);
		b->smsr_cli = tls_for(TLS_ROLE_CLIENT, b->smsr_cert, b->smsr_key, g_stub->ci_x509);
		b->mno_srv = tls_for(TLS_ROLE_SERVER, b->mno_cert, b->mno_key, g_stub->ci_x509);
		b->mno_cli = tls_for(TLS_ROLE_CLIENT, b->mno_cert, b->mno_key, g_stub->ci_x509);
		CU_ASSERT_FATAL(b->smsr_srv && b->smsr_cli && b->mno_srv && b->mno_cli);
		smsr_c.server_tls = b->smsr_srv;
		smsr_c.callback_tls = b->smsr_cli;
		mno_c.server_tls = b->mno_srv;
	}
	smsr_c.own_url = tls ? "https://127.0.0.1/" : "http://127.0.0.1/";
	mno_c.own_url = smsr_c.own_url;
	b->smsr = esnet_alloc(ctx, &smsr_c);
	b->mno = esnet_alloc(ctx, &mno_c);
	CU_ASSERT_PTR_NOT_NULL_FATAL(b->smsr);
	CU_ASSERT_PTR_NOT_NULL_FATAL(b->mno);
	snprintf(url, sizeof(url), "%s://127.0.0.1:%u/", scheme, esnet_port(b->mno));
	esnet_set_own_url(b->mno, url);
	snprintf(url, sizeof(url), "%s://127.0.0.1:%u/", scheme, esnet_port(b->smsr));
	esnet_set_own_url(b->smsr, url);
	peer = smdp_cfg_peer(&b->cfg, "sr1", false);
	osmo_strlcpy(peer->url, url, sizeof(peer->url));
	osmo_strlcpy(b->cfg.listen_addr, "127.0.0.1", sizeof(b->cfg.listen_addr));
	b->t = smdp_transport_alloc(ctx, &b->cfg, &ops);
	CU_ASSERT_PTR_NOT_NULL_FATAL(b->t);
	b->s = smdp_alloc(ctx, &b->cfg, b->store, &ops);
	smdp_transport_bind(b->t, b->s);
	g_stub->s = b->s;
	snprintf(b->smdp_url, sizeof(b->smdp_url), "%s://127.0.0.1:%u/", scheme, smdp_transport_port(b->t));
}

static void bed_down(struct bed *b)
{
	smdp_free(b->s);
	smdp_transport_free(b->t);
	esnet_free(b->smsr);
	esnet_free(b->mno);
	tls_ctx_free(b->smsr_srv);
	tls_ctx_free(b->smsr_cli);
	tls_ctx_free(b->mno_srv);
	tls_ctx_free(b->mno_cli);
	X509_free(b->smsr_cert);
	X509_free(b->mno_cert);
	EVP_PKEY_free(b->smsr_key);
	EVP_PKEY_free(b->mno_key);
	smdp_stub_free(g_stub);
	g_stub = NULL;
	smdp_store_close(b->store);
	smdp_cfg_fini(&b->cfg);
}

/* The MNO's ES2.DownloadProfile (EID of the stub card, sr1, type m2m, enable). */
static struct es_msg *download_req(uint8_t eid[16])
{
	struct es_msg *req = talloc_zero(ctx, struct es_msg);

	memcpy(eid, g_stub->eid, 16);
	req->id = ES_MSG_ES2_DOWNLOAD_PROFILE_REQ;
	req->u.es2_download_profile_req.present = true;
	req->u.es2_download_profile_req.eid = (struct es_hex){ eid, 16 };
	req->u.es2_download_profile_req.smsr_id = "sr1";
	req->u.es2_download_profile_req.profile_type = "m2m";
	req->u.es2_download_profile_req.enable_profile = (struct es_bool){ true, true };
	return req;
}

static void download_over(bool tls)
{
	struct bed b;
	struct esnet_peer to_smdp = { 0 };
	struct mno_result res = { 0 };
	struct es_msg *req;
	uint8_t eid[16];

	bed_up(&b, tls, NULL);
	req = download_req(eid);
	to_smdp.url = b.smdp_url;
	to_smdp.variant = es_variant_default;
	to_smdp.tls = b.mno_cli;
	CU_ASSERT_EQUAL_FATAL(esnet_call(b.mno, &to_smdp, req, mno_done, &res, NULL), 0);
	run_until(&res.done, 30);
	CU_ASSERT_FALSE(guard_fired);
	if (res.rc != 0)
		fprintf(stderr, "MNO call: rc %d (%s)\n", res.rc, esnet_last_error(b.mno));
	CU_ASSERT_EQUAL(res.rc, 0);
	CU_ASSERT_EQUAL(res.status, ES_STATUS_EXECUTED_SUCCESS);
	CU_ASSERT_STRING_EQUAL(res.iccid, "8949000000000000011");
	CU_ASSERT(g_stub->segments > 0);
	CU_ASSERT_EQUAL(g_stub->isdp_state, 0x3F);
	CU_ASSERT_EQUAL(g_stub->n_calls[ES_MSG_ES3_DELETE_ISDP_REQ], 0);
	if (tls) {
		struct stat st;
		/* The SM-SR saw the SM-DP's certificate; the key log exists and is private. */
		CU_ASSERT_STRING_EQUAL(smsr_saw_cn, "smdp.test");
		CU_ASSERT_EQUAL(stat(b.cfg.tls_keylog_file, &st), 0);
		CU_ASSERT_EQUAL(st.st_mode & 0777, 0600);
		CU_ASSERT(st.st_size > 0);
	} else {
		CU_ASSERT_STRING_EQUAL(smsr_saw_cn, "");
	}
	bed_down(&b);
	talloc_free(req);
}

void test_transport_download_over_soap(void)
{
	download_over(false);
}

void test_transport_download_over_mutual_tls(void)
{
	download_over(true);
}

/* A client with a certificate from another CA, and one without any certificate: the handshake fails,
 * the SM-DP reads no ES2 request and changes nothing. */
void test_transport_tls_refuses_foreign_client(void)
{
	struct tls_pki_cert_params p_ca = {
		.cn = "rogue CA", .is_ca = true, .not_before_s = -3600, .not_after_s = 86400, .serial = 99
	};
	EVP_PKEY *rogue_key = tls_pki_key_p256(), *cli_key = NULL;
	X509 *rogue = tls_pki_cert_issue(&p_ca, rogue_key, NULL, NULL), *cli_cert = NULL;
	struct bed b;
	uint8_t eid[16];
	struct es_msg *req;
	struct smdp_profile p;

	CU_ASSERT_PTR_NOT_NULL_FATAL(rogue);
	bed_up(&b, true, NULL);
	CU_ASSERT_FATAL(leaf("mno.test", 14, rogue, rogue_key, &cli_cert, &cli_key));
	req = download_req(eid);
	for (int i = 0; i < 2; i++) {
		/* i 0: certificate from the rogue CA (it trusts the real CI for the server); i 1: none. */
		struct tls_cfg c = { .role = TLS_ROLE_CLIENT,
				     .cert = i == 0 ? cli_cert : NULL,
				     .key = i == 0 ? cli_key : NULL,
				     .ca_certs = &g_stub->ci_x509,
				     .num_ca_certs = 1 };
		struct tls_ctx *tc = tls_ctx_alloc(ctx, &c, NULL, 0);
		struct esnet_peer to_smdp = { .url = b.smdp_url, .variant = es_variant_default, .tls = tc };
		struct mno_result res = { 0 };

		CU_ASSERT_PTR_NOT_NULL_FATAL(tc);
		req->wsa = (struct soap_wsa){ 0 };
		CU_ASSERT_EQUAL_FATAL(esnet_call(b.mno, &to_smdp, req, mno_done, &res, NULL), 0);
		run_until(&res.done, 30);
		CU_ASSERT_FALSE(guard_fired);
		CU_ASSERT(res.rc < 0);
		tls_ctx_free(tc);
	}
	CU_ASSERT_EQUAL(rate_ctr_group_get_ctr(b.s->ctrs, SMDP_CTR_ES2_RX)->current, 0);
	CU_ASSERT_EQUAL(g_stub->n_calls[ES_MSG_ES3_GET_EIS_REQ], 0);
	CU_ASSERT_EQUAL(smdp_store_profile_get(b.store, "8949000000000000011", &p), 0);
	CU_ASSERT_EQUAL(p.state, SMDP_PROFILE_AVAILABLE);
	bed_down(&b);
	talloc_free(req);
	X509_free(rogue);
	X509_free(cli_cert);
	EVP_PKEY_free(rogue_key);
	EVP_PKEY_free(cli_key);
}

/* A TLS configuration that cannot work (key file missing) stops the transport from starting. */
void test_transport_tls_bad_files_refused(void)
{
	struct smdp_cfg cfg;
	struct smdp_ops ops;
	struct smdp_stub *st;
	char p[128];

	smdp_cfg_init(&cfg);
	st = smdp_stub_alloc(ctx, &cfg);
	CU_ASSERT_PTR_NOT_NULL_FATAL(st);
	snprintf(p, sizeof(p), "%s/does-not-exist.pem", tmpdir);
	osmo_strlcpy(cfg.tls_cert_file, p, sizeof(cfg.tls_cert_file));
	osmo_strlcpy(cfg.tls_key_file, p, sizeof(cfg.tls_key_file));
	CU_ASSERT_PTR_NULL(smdp_transport_alloc(ctx, &cfg, &ops));
	cfg.tls_key_file[0] = '\0';
	CU_ASSERT_PTR_NULL(smdp_transport_alloc(ctx, &cfg, &ops));
	smdp_stub_free(st);
	smdp_cfg_fini(&cfg);
}

/* The SM-DP dies while the SM-SR works on ProfileDownloadCompleted (step 17), over HTTPS with mutual
 * TLS. Its store file is reopened by a new process (transport, procedures), which resends step 17,
 * enables, and delivers step 27 as a callback that the MNO's still-pending call matches by
 * wsa:RelatesTo: the MNO gets its answer although the request's connection died with the process. */
void test_transport_restart_answers_mno(void)
{
	struct bed b;
	struct esnet_peer to_smdp = { 0 };
	struct mno_result res = { 0 };
	struct smdp_ops ops;
	struct es_msg *req;
	uint8_t eid[16];
	char db[128];
	int n;

	snprintf(db, sizeof(db), "%s/smdp.db", tmpdir);
	unlink(db);
	hold_id = ES_MSG_ES3_PROFILE_DOWNLOAD_COMPLETED_REQ;
	held = NULL;
	bed_up(&b, true, db);
	req = download_req(eid);
	to_smdp.url = b.smdp_url;
	to_smdp.variant = es_variant_default;
	to_smdp.tls = b.mno_cli;
	CU_ASSERT_EQUAL_FATAL(esnet_call(b.mno, &to_smdp, req, mno_done, &res, NULL), 0);
	run_until((bool *)&held, 30); /* until the SM-SR holds step 17 */
	CU_ASSERT_PTR_NOT_NULL_FATAL(held);
	CU_ASSERT_FALSE(res.done);
	CU_ASSERT_EQUAL(g_stub->isdp_state, 0x1F); /* installed, disabled */

	/* kill: procedures, transport and store handle go; the SM-SR's pending request dies with them */
	smdp_free(b.s);
	smdp_transport_free(b.t);
	smdp_store_close(b.store);
	esnet_in_done(held);
	held = NULL;
	hold_id = ES_MSG_NONE;

	/* restart on the same file and port configuration */
	CU_ASSERT_EQUAL_FATAL(smdp_store_open(ctx, db, &b.store), 0);
	b.t = smdp_transport_alloc(ctx, &b.cfg, &ops);
	CU_ASSERT_PTR_NOT_NULL_FATAL(b.t);
	b.s = smdp_alloc(ctx, &b.cfg, b.store, &ops);
	smdp_transport_bind(b.t, b.s);
	g_stub->s = b.s;
	n = smdp_recover(b.s);
	CU_ASSERT_EQUAL(n, 1);
	run_until(&res.done, 30);
	CU_ASSERT_FALSE(guard_fired);
	CU_ASSERT_EQUAL(res.rc, 0);
	CU_ASSERT_EQUAL(res.status, ES_STATUS_EXECUTED_SUCCESS);
	CU_ASSERT_STRING_EQUAL(res.iccid, "8949000000000000011");
	/* The held first one never reached the stub: this is the resent one. */
	CU_ASSERT_EQUAL(g_stub->n_calls[ES_MSG_ES3_PROFILE_DOWNLOAD_COMPLETED_REQ], 1);
	CU_ASSERT_EQUAL(g_stub->n_calls[ES_MSG_ES3_DELETE_ISDP_REQ], 0);
	CU_ASSERT_EQUAL(g_stub->isdp_state, 0x3F);
	bed_down(&b);
	talloc_free(req);
}
