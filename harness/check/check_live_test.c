/* harness/check end to end, on live captures of `lo` (root only: CI runs as root; skipped with a
 * message otherwise):
 *  - a TLS 1.2 mutual-auth HTTPS exchange made with lib/http + lib/tls with the key log on, carrying
 *    an ES4 SOAP request: the checker decrypts it and validates the body against the XSD (for
 *    ECDHE-ECDSA-AES128-GCM-SHA256, OpenSSL's default TLS 1.2 suite, and the SCP81 PSK-AES128-CBC-SHA256
 *    suite with encrypt-then-MAC);
 *  - the oracle test of issue 10: SMPP submit_sm / deliver_sm carrying SMS-PP secured packets, made
 *    with lib/smpp over loopback TCP; the checker's SMPP and SMS field decoding must equal tshark's
 *    for every frame (tshark is the independent oracle, used only here). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <osmocom/core/select.h>
#include <osmocom/core/timer.h>
#include <talloc.h>

#include "harness/capture/capture.h"
#include "harness/check/check.h"
#include "lib/http/http.h"
#include "lib/scp80/scp80.h"
#include "lib/smpp/smpp.h"
#include "lib/test/runner.h"
#include "lib/tls/pki.h"

static void *ctx;
static char tmpdir[64];
static EVP_PKEY *ca_key, *srv_key, *cli_key;
static X509 *ca, *srv_cert, *cli_cert;
static struct es_schema *schema;

int suite_setup(void)
{
	struct tls_pki_cert_params p_ca = {
		.cn = "check CA", .is_ca = true, .not_before_s = -3600, .not_after_s = 86400, .serial = 1
	};
	struct tls_pki_cert_params p_srv = {
		.cn = "127.0.0.1", .not_before_s = -3600, .not_after_s = 86400, .san_ip = "127.0.0.1", .serial = 2
	};
	struct tls_pki_cert_params p_cli = {
		.cn = "mno.test", .not_before_s = -3600, .not_after_s = 86400, .serial = 3
	};
	char dir[1024];

	ctx = talloc_named_const(NULL, 0, "check_live_test");
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/rsplab-check-XXXXXX");
	if (!ctx || !mkdtemp(tmpdir))
		return -1;
	ca_key = tls_pki_key_p256();
	srv_key = tls_pki_key_p256();
	cli_key = tls_pki_key_p256();
	ca = tls_pki_cert_issue(&p_ca, ca_key, NULL, NULL);
	srv_cert = tls_pki_cert_issue(&p_srv, srv_key, ca, ca_key);
	cli_cert = tls_pki_cert_issue(&p_cli, cli_key, ca, ca_key);
	if (es_xsd_dir_default(dir, sizeof(dir)) < 0)
		snprintf(dir, sizeof(dir), "lib/es/xsd");
	if (es_schema_load(&schema, dir) < 0)
		return -1;
	return (ca && srv_cert && cli_cert) ? 0 : -1;
}

int suite_teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", tmpdir);
	X509_free(ca);
	X509_free(srv_cert);
	X509_free(cli_cert);
	EVP_PKEY_free(ca_key);
	EVP_PKEY_free(srv_key);
	EVP_PKEY_free(cli_key);
	es_schema_free(schema);
	talloc_free(ctx);
	return 0;
}

static bool is_root(const char *test)
{
	if (geteuid() == 0)
		return true;
	fprintf(stderr, "SKIP %s: live capture on lo needs root (CAP_NET_RAW); CI runs as root\n", test);
	return false;
}

static bool guard_fired;
static void guard_cb(void *data)
{
	guard_fired = true;
}

static void run_until(const bool *flag)
{
	struct osmo_timer_list guard = { 0 };

	guard_fired = false;
	osmo_timer_setup(&guard, guard_cb, NULL);
	osmo_timer_schedule(&guard, 5, 0);
	for (int i = 0; i < 20000 && !*flag && !guard_fired; i++)
		osmo_select_main(0);
	osmo_timer_del(&guard);
	CU_ASSERT_FALSE(guard_fired);
}

static struct capture *cap_start(const char *name, uint16_t port, char *path, size_t cap)
{
	const char *ifs[] = { "lo" };
	char filter[64], err[256] = "";
	int rc = 0;
	struct capture *c;

	snprintf(path, cap, "%s/%s", tmpdir, name);
	snprintf(filter, sizeof(filter), "tcp port %u", port);
	struct capture_cfg cfg = { .ifaces = ifs, .num_ifaces = 1, .path = path, .filter = filter };
	c = capture_start(ctx, &cfg, err, sizeof(err), &rc);
	if (!c)
		fprintf(stderr, "capture: %s\n", err);
	return c;
}

/* ---- TLS + SOAP ---------------------------------------------------------------------------------- */

static void es_server_cb(struct http_req *req, void *priv)
{
	struct http_out o = { .status = 202 };

	http_req_respond(req, &o);
}

static bool got;
static int got_rc;
static void resp_cb(struct http_client *cli, int rc, const struct http_msg *resp, void *priv)
{
	got_rc = rc;
	got = true;
}

static size_t psk_lookup(void *priv, const char *identity, uint8_t *psk, size_t psk_max)
{
	if (strcmp(identity, "scp81-identity") || psk_max < 16)
		return 0;
	memset(psk, 0x42, 16);
	return 16;
}

/* One HTTPS POST of an ES4-PrepareSMSRChangeRequest; returns the checker over the capture. */
static struct checker *https_exchange(const char *ciphers, bool psk, const char *name)
{
	char pcap[256], keylog[256], err[256] = "", ct[512], action[256];
	uint8_t psk_key[16];
	uint8_t *body = talloc_size(ctx, 65536);
	struct es_msg *msg = talloc_zero(ctx, struct es_msg);
	struct http_header hdr[1];
	struct http_route route = { .path = "/es4", .cb = es_server_cb };
	struct tls_ctx *sctx, *cctx;
	struct http_server *srv;
	struct http_client *cli;
	struct capture *cap;
	struct checker *ck;
	int n;

	memset(psk_key, 0x42, sizeof(psk_key));
	snprintf(keylog, sizeof(keylog), "%s/%s.keylog", tmpdir, name);
	struct tls_cfg sc = { .role = TLS_ROLE_SERVER, .max_version = TLS1_2_VERSION, .ciphers = ciphers };
	struct tls_cfg cc = {
		.role = TLS_ROLE_CLIENT, .max_version = TLS1_2_VERSION, .ciphers = ciphers, .keylog_file = keylog
	};
	X509 *cas[1] = { ca };
	if (psk) {
		sc.psk_lookup = psk_lookup;
		cc.psk_identity = "scp81-identity";
		cc.psk = psk_key;
		cc.psk_len = sizeof(psk_key);
	} else {
		sc.cert = srv_cert;
		sc.key = srv_key;
		sc.ca_certs = cas;
		sc.num_ca_certs = 1;
		sc.require_client_cert = true;
		cc.cert = cli_cert;
		cc.key = cli_key;
		cc.ca_certs = cas;
		cc.num_ca_certs = 1;
		cc.verify_host = "127.0.0.1";
	}
	sctx = tls_ctx_alloc(ctx, &sc, err, sizeof(err));
	cctx = tls_ctx_alloc(ctx, &cc, err, sizeof(err));
	if (!sctx || !cctx)
		fprintf(stderr, "tls: %s\n", err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(sctx);
	CU_ASSERT_PTR_NOT_NULL_FATAL(cctx);
	struct http_server_cfg scfg = { .addr = "127.0.0.1", .tls = sctx, .routes = &route, .num_routes = 1 };
	srv = http_server_alloc(ctx, &scfg);
	CU_ASSERT_PTR_NOT_NULL_FATAL(srv);
	cap = cap_start(name, http_server_port(srv), pcap, sizeof(pcap));
	CU_ASSERT_PTR_NOT_NULL_FATAL(cap);

	es_example_fill(msg, ES_MSG_ES4_PREPARE_SMSR_CHANGE_REQ);
	n = es_msg_encode(body, 65536, msg, NULL);
	CU_ASSERT_FATAL(n > 0);
	es_action_uri(action, sizeof(action), ES_MSG_ES4_PREPARE_SMSR_CHANGE_REQ, &es_variant_default, false);
	soap_content_type_make(ct, sizeof(ct), action);
	hdr[0] = (struct http_header){ "Content-Type", ct };
	struct http_client_cfg ccfg = { .host = "127.0.0.1", .port = http_server_port(srv), .tls = cctx };
	cli = http_client_alloc(ctx, &ccfg);
	struct http_out req = {
		.method = "POST", .url = "/es4", .hdr = hdr, .num_hdr = 1, .body = body, .body_len = (size_t)n
	};
	got = false;
	CU_ASSERT_EQUAL(http_client_request(cli, &req, resp_cb, NULL), 0);
	run_until(&got);
	CU_ASSERT_EQUAL(got_rc, 0);
	http_client_free(cli);
	for (int i = 0; i < 5; i++)
		osmo_select_main(1);
	capture_stop(cap);
	CU_ASSERT_EQUAL(capture_stats(cap)->ifs[0].ps_drop, 0);
	capture_free(cap);
	http_server_free(srv);

	struct tlsdec_keylog *kl = tlsdec_keylog_alloc(ctx);
	CU_ASSERT(tlsdec_keylog_load(kl, keylog, NULL) >= 1);
	struct check_opts o;
	check_opts_init(&o);
	o.keylog = kl;
	o.schema = schema;
	ck = checker_alloc(ctx, &o);
	CU_ASSERT_EQUAL(checker_run_file(ck, pcap, err, sizeof(err)), 0);
	talloc_free(body);
	talloc_free(msg);
	return ck;
}

static const struct check_event *es_event(const struct checker *ck, enum es_msg_id id)
{
	unsigned int n;
	const struct check_event *ev = checker_events(ck, &n);

	for (unsigned int i = 0; i < n; i++)
		if (ev[i].es_id == id)
			return &ev[i];
	return NULL;
}

static void assert_decrypted_soap(struct checker *ck, const char *suite)
{
	unsigned int n;
	const struct check_event *ev = checker_events(ck, &n), *es;
	bool suite_seen = false;

	for (unsigned int i = 0; i < n; i++)
		if (!strcmp(ev[i].proto, "TLS") && strstr(ev[i].summary, suite))
			suite_seen = true;
	CU_ASSERT_TRUE(suite_seen);
	es = es_event(ck, ES_MSG_ES4_PREPARE_SMSR_CHANGE_REQ);
	CU_ASSERT_PTR_NOT_NULL_FATAL(es);
	CU_ASSERT_EQUAL(es->xsd_errors, 0); /* validated, and valid */
	CU_ASSERT_PTR_NOT_NULL(strstr(es->summary, "XSD valid"));
	CU_ASSERT_PTR_NOT_NULL(es->detail);
	CU_ASSERT_PTR_NOT_NULL(strstr(es->detail, "ES4-PrepareSMSRChangeRequest"));
	CU_ASSERT(checker_stats(ck)->tls_decrypted_records >= 2);
	CU_ASSERT_FALSE(checker_has(ck, "TLS-001"));
	CU_ASSERT_FALSE(checker_has(ck, "TLS-002"));
	CU_ASSERT_FALSE(checker_has(ck, "XSD-001"));
	CU_ASSERT_FALSE(checker_has(ck, "HTTP-001"));
}

void test_check_live_tls_mutual_gcm(void)
{
	if (!is_root(__func__))
		return;
	assert_decrypted_soap(https_exchange("ECDHE-ECDSA-AES128-GCM-SHA256", false, "mtls-gcm"), "C02B");
	/* OpenSSL's own choice (AES-256-GCM-SHA384 here): the SHA-384 PRF */
	assert_decrypted_soap(https_exchange(NULL, false, "mtls-default"), "version 0303");
}

void test_check_live_tls_psk_cbc(void)
{
	if (!is_root(__func__))
		return;
	assert_decrypted_soap(https_exchange("PSK-AES128-CBC-SHA256", true, "psk-cbc"), "00AE");
	assert_decrypted_soap(https_exchange("PSK-AES128-GCM-SHA256", true, "psk-gcm"), "00A8");
}

/* ---- SMPP oracle ------------------------------------------------------------------------------------ */

static size_t build_sm(uint8_t *out, size_t cap, uint32_t cmd, uint32_t seq, const uint8_t *ud, size_t ud_len,
		       const char *src, const char *dst)
{
	struct smpp_sm m;
	int n;

	memset(&m, 0, sizeof(m));
	smpp_sm_init_data_download(&m, cmd, cmd == SMPP_CMD_SUBMIT_SM ? SMPP_DD_DCS_F6 : SMPP_DD_DCS_02, false);
	m.seq = seq;
	snprintf(m.src.addr, sizeof(m.src.addr), "%s", src);
	snprintf(m.dst.addr, sizeof(m.dst.addr), "%s", dst);
	m.src.ton = 1;
	m.src.npi = 1;
	m.dst.ton = 2;
	m.dst.npi = 1;
	m.sm = ud;
	m.sm_len = ud_len;
	n = smpp_sm_encode(&m, out, cap);
	CU_ASSERT_FATAL(n > 0);
	return (size_t)n;
}

static void send_all(int fd, const uint8_t *b, size_t n)
{
	CU_ASSERT_EQUAL(send(fd, b, n, 0), (ssize_t)n);
	usleep(2000); /* one PDU per segment, so frame numbers map one to one */
}

static size_t hdr_only(uint8_t *out, uint32_t cmd, uint32_t status, uint32_t seq)
{
	uint32_t v[4] = { htonl(16), htonl(cmd), htonl(status), htonl(seq) };

	memcpy(out, v, 16);
	return 16;
}

void test_check_live_smpp_tshark_oracle(void)
{
	char pcap[256], cmd[768], line[512];
	uint8_t pdu[512], ud[200] = { 0x02, 0x70, 0x00 }, key[16];
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t sl = sizeof(sa);
	int lfd, cfd, afd, n;
	struct capture *cap;
	struct checker *ck;
	struct check_opts o;
	char err[256];

	if (!is_root(__func__))
		return;
	if (access("/usr/bin/tshark", X_OK)) {
		CU_FAIL("tshark missing: run scripts/setup");
		return;
	}
	lfd = socket(AF_INET, SOCK_STREAM, 0);
	CU_ASSERT_FATAL(lfd >= 0 && bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) == 0 && listen(lfd, 1) == 0);
	getsockname(lfd, (struct sockaddr *)&sa, &sl);
	cap = cap_start("smpp.pcap", ntohs(sa.sin_port), pcap, sizeof(pcap));
	CU_ASSERT_PTR_NOT_NULL_FATAL(cap);
	cfd = socket(AF_INET, SOCK_STREAM, 0);
	CU_ASSERT_FATAL(connect(cfd, (struct sockaddr *)&sa, sizeof(sa)) == 0);
	afd = accept(lfd, NULL, NULL);
	CU_ASSERT_FATAL(afd >= 0);

	/* an SCP80 command packet (pySim's AES test keys) in a submit_sm, ESME -> SMSC */
	memset(key, 0x21, sizeof(key));
	struct scp80_keys keys = { key, 16, key, 16 };
	struct scp80_cmd_params p = { .spi = { 0x16, 0x39 }, .kic = 0x12, .kid = 0x12, .tar = { 0, 0, 1 } };
	static const uint8_t script[] = { 0xaa, 0x07, 0x22, 0x05, 0x80, 0xca, 0x00, 0x5a, 0x00 };
	n = scp80_cmd_wrap(ud + 3, sizeof(ud) - 3, &p, &keys, script, sizeof(script));
	CU_ASSERT_FATAL(n > 0);
	send_all(cfd, pdu,
		 build_sm(pdu, sizeof(pdu), SMPP_CMD_SUBMIT_SM, 1, ud, (size_t)n + 3, "12345", "491720000001"));
	send_all(afd, pdu, hdr_only(pdu, SMPP_CMD_SUBMIT_SM_RESP, 0, 1));
	/* a PoR-like MO in a deliver_sm, SMSC -> ESME; and a second one with an error status answer */
	static const uint8_t por[] = { 0x02, 0x71, 0x00, 0x00, 0x0b, 0x0a, 0x00, 0x00, 0x01, 0x00,
				       0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x01, 0x90, 0x00 };
	send_all(afd, pdu,
		 build_sm(pdu, sizeof(pdu), SMPP_CMD_DELIVER_SM, 7, por, sizeof(por), "491720000001", "12345"));
	send_all(cfd, pdu, hdr_only(pdu, SMPP_CMD_DELIVER_SM_RESP, 0, 7));
	send_all(cfd, pdu, hdr_only(pdu, 0x00000015, 0, 8));
	send_all(afd, pdu, hdr_only(pdu, 0x80000015, 0, 8));
	for (int i = 0; i < 20; i++)
		osmo_select_main(1);
	close(cfd);
	close(afd);
	close(lfd);
	usleep(2000);
	capture_stop(cap);
	capture_free(cap);

	check_opts_init(&o);
	ck = checker_alloc(ctx, &o);
	CU_ASSERT_EQUAL(checker_run_file(ck, pcap, err, sizeof(err)), 0);

	/* tshark, with the port decoded as SMPP; one line per frame that holds an SMPP PDU */
	snprintf(cmd, sizeof(cmd),
		 "tshark -n -r '%s' -d tcp.port==%u,smpp -Y smpp -T fields -E separator='|' -E occurrence=a "
		 "-E aggregator=',' -e frame.number -e smpp.command_id -e smpp.command_status -e smpp.sequence_number "
		 "-e smpp.source_addr_ton -e smpp.source_addr_npi -e smpp.source_addr -e smpp.dest_addr_ton "
		 "-e smpp.dest_addr_npi -e smpp.destination_addr -e smpp.protocol_id -e smpp.data_coding "
		 "-e smpp.sm_length -e gsm_sms.ie_identifier 2>/dev/null",
		 pcap, ntohs(sa.sin_port));
	FILE *ts = popen(cmd, "r");
	CU_ASSERT_PTR_NOT_NULL_FATAL(ts);
	unsigned int nev, lines = 0, matched = 0;
	const struct check_event *ev = checker_events(ck, &nev);
	while (fgets(line, sizeof(line), ts)) {
		char mine[512];
		unsigned int frame = (unsigned int)strtoul(line, NULL, 10);
		const struct check_event *e = NULL;

		line[strcspn(line, "\n")] = 0;
		lines++;
		for (unsigned int i = 0; i < nev; i++)
			if (ev[i].has_smpp && ev[i].frame == frame)
				e = &ev[i];
		CU_ASSERT_PTR_NOT_NULL(e);
		if (!e) {
			fprintf(stderr, "tshark: %s; checker: nothing in frame %u\n", line, frame);
			continue;
		}
		const struct check_smpp_info *s = &e->smpp;
		char status[16] = ""; /* SMPP 3.4 §3.2: command_status is only meaningful in responses; tshark
				       * shows it for those only */
		if (s->cmd_id & 0x80000000u)
			snprintf(status, sizeof(status), "0x%08x", s->status);
		if (s->has_sm) {
			char ieis[64] = "";
			size_t off = 0;

			for (unsigned int i = 0; i < s->n_iei; i++)
				off += (size_t)snprintf(ieis + off, sizeof(ieis) - off, "%s0x%02x", i ? "," : "",
							s->iei[i]);
			snprintf(mine, sizeof(mine),
				 "%u|0x%08x|%s|%u|0x%02x|0x%02x|%s|0x%02x|0x%02x|%s|0x%02x|0x%02x|%zu|%s", frame,
				 s->cmd_id, status, s->seq, s->src_ton, s->src_npi, s->src, s->dst_ton, s->dst_npi,
				 s->dst, s->protocol_id, s->data_coding, s->sm_len, ieis);
		} else {
			snprintf(mine, sizeof(mine), "%u|0x%08x|%s|%u||||||||||", frame, s->cmd_id, status, s->seq);
		}
		if (!strcmp(mine, line))
			matched++;
		else
			fprintf(stderr, "frame %u differs:\n  tshark:  %s\n  checker: %s\n", frame, line, mine);
	}
	pclose(ts);
	CU_ASSERT_EQUAL(lines, 6);
	CU_ASSERT_EQUAL(matched, lines);
	unsigned int smpp_events = 0;
	for (unsigned int i = 0; i < nev; i++)
		smpp_events += ev[i].has_smpp;
	CU_ASSERT_EQUAL(smpp_events, lines);
}
