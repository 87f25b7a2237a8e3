/* VTY configuration round trip: a config file with every smdp / smsr command (non-default variants,
 * TLS files, identities, PKI files written from the stub's run-time PKI) is read, the running config
 * is written, the configuration is wiped and that file read back: the same values, and writing again
 * gives the same text. Bad values are refused with a warning and leave the configuration as it was. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <osmocom/core/application.h>
#include <osmocom/core/talloc.h>
#include <osmocom/vty/command.h>
#include <osmocom/vty/misc.h>
#include <osmocom/vty/vty.h>

#include "lib/test/runner.h"
#include "lib/tls/pki.h"
#include "network/smdp/logging.h"
#include "network/smdp/stubcard.h"
#include "network/smdp/vty.h"

static void *ctx;
static char dir[64];
static struct smdp_cfg cfg;
static struct smdp_store *store;

static struct vty_app_info info = { .name = "vty_test", .version = "0" };

int suite_setup(void)
{
	ctx = talloc_named_const(NULL, 0, "vty_test");
	osmo_init_logging2(ctx, &smdp_log_info);
	log_set_log_level(osmo_stderr_target, LOGL_FATAL);
	snprintf(dir, sizeof(dir), "/tmp/smdp_vty_XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	info.tall_ctx = ctx;
	vty_init(&info);
	smdp_cfg_init(&cfg);
	smdp_vty_init(&cfg, &store);
	return 0;
}

int suite_teardown(void)
{
	char cmd[128];

	smdp_cfg_fini(&cfg);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		return -1;
	talloc_free(ctx);
	return 0;
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf = talloc_zero_size(ctx, 65536);
	size_t n = f ? fread(buf, 1, 65535, f) : 0;

	if (f)
		fclose(f);
	buf[n] = '\0';
	return buf;
}

static void wipe(void)
{
	smdp_cfg_fini(&cfg);
	smdp_cfg_init(&cfg);
}

void test_vty_config_round_trip(void)
{
	struct smdp_cfg scratch;
	struct smdp_stub *st;
	char p_dp[128], p_key[128], p_ci[128], p_eum[128], p_in[128], p_out1[128], p_out2[128];
	char *out1, *out2;
	struct smdp_smsr_peer *peer;
	FILE *f;

	/* PKI files, as `rsplab pki init` would leave them. */
	smdp_cfg_init(&scratch);
	st = smdp_stub_alloc(ctx, &scratch);
	CU_ASSERT_PTR_NOT_NULL_FATAL(st);
	snprintf(p_dp, sizeof(p_dp), "%s/gp-cert.bin", dir);
	snprintf(p_key, sizeof(p_key), "%s/gp-key.pem", dir);
	snprintf(p_ci, sizeof(p_ci), "%s/ci.pem", dir);
	snprintf(p_eum, sizeof(p_eum), "%s/eum.pem", dir);
	f = fopen(p_dp, "wb");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	CU_ASSERT_EQUAL(fwrite(scratch.dp_cert, 1, scratch.dp_cert_len, f), scratch.dp_cert_len);
	fclose(f);
	CU_ASSERT_EQUAL(tls_pki_write_key_pem(p_key, scratch.dp_key), 0);
	CU_ASSERT_EQUAL(tls_pki_write_cert_pem(p_ci, st->ci_x509), 0);
	CU_ASSERT_EQUAL(tls_pki_write_cert_pem(p_eum, st->eum_x509), 0);

	snprintf(p_in, sizeof(p_in), "%s/in.cfg", dir);
	f = fopen(p_in, "w");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fprintf(f,
		"smdp\n"
		" database %s/smdp.db\n"
		" smdp-id 1.3.6.1.4.1.99999.5\n"
		" mno-id 1.3.6.1.4.1.99999.3\n"
		" dp-certificate %s\n"
		" dp-private-key %s\n"
		" ci-certificate %s\n"
		" eum-certificate %s\n"
		" delete-retries 5\n"
		" es2-retry in-progress\n"
		" es2-call-retention 3600 500\n"
		" es-listen 127.0.0.1 8443\n"
		" own-url https://127.0.0.1:8443/\n"
		" mno-url https://127.0.0.1:8445/ 1.3.6.1.4.1.99999.3\n"
		" tls-certificate smdp1/tls-cert.pem\n"
		" tls-private-key smdp1/tls-key.pem\n"
		" tls-ca-certificate ci/cert.pem\n"
		" tls-keylog smdp.keys\n"
		" smsr sr1\n"
		"  url https://127.0.0.1:8444/\n"
		"  entity-id 1.3.6.1.4.1.99999.2\n"
		"  key-usage-qualifier 5c\n"
		"  isdp-key-split rcpt_enc_mac_dek\n"
		"  receipt-input a6_only\n"
		"  sharedinfo-order KUQ,TYPE,LEN,HOSTID,DR\n"
		"  epk-encoding raw\n"
		"  scenario-parameter 11\n"
		"  scp03t-mac-chaining reset\n"
		"  scp03t-response-mac every_86\n"
		"  namespace ws_ns_v1_njiwa\n"
		"  action-uri action_plain\n"
		"  script-coding indefinite\n"
		"  script-chaining none\n"
		"  isdp-kvn 49\n"
		"  segment-size 512\n"
		" smsr sr2\n"
		"  url http://127.0.0.1:9444/\n",
		dir, p_dp, p_key, p_ci, p_eum);
	fclose(f);

	wipe();
	CU_ASSERT_EQUAL_FATAL(vty_read_config_file(p_in, NULL), 0);
	snprintf(p_out1, sizeof(p_out1), "%s/out1.cfg", dir);
	CU_ASSERT_EQUAL_FATAL(osmo_vty_write_config_file(p_out1), 0);

	/* Wipe, read what was written. */
	wipe();
	CU_ASSERT_EQUAL_FATAL(vty_read_config_file(p_out1, NULL), 0);
	CU_ASSERT_STRING_EQUAL(cfg.smdp_id, "1.3.6.1.4.1.99999.5");
	CU_ASSERT_STRING_EQUAL(cfg.mno_id, "1.3.6.1.4.1.99999.3");
	TEST_ASSERT_MEM_EQ(cfg.dp_cert, cfg.dp_cert_len, scratch.dp_cert, scratch.dp_cert_len);
	CU_ASSERT_EQUAL(EVP_PKEY_eq(cfg.dp_key, scratch.dp_key), 1);
	CU_ASSERT(cfg.ci && X509_cmp(cfg.ci, st->ci_x509) == 0);
	CU_ASSERT_EQUAL(cfg.n_eum, 1);
	CU_ASSERT_EQUAL(cfg.delete_retries, 5);
	CU_ASSERT_EQUAL(cfg.es2_retry, SMDP_RETRY_IN_PROGRESS);
	CU_ASSERT_EQUAL(cfg.es2_call_retention, 3600);
	CU_ASSERT_EQUAL(cfg.es2_call_max, 500);
	CU_ASSERT_STRING_EQUAL(cfg.listen_addr, "127.0.0.1");
	CU_ASSERT_EQUAL(cfg.listen_port, 8443);
	CU_ASSERT_STRING_EQUAL(cfg.own_url, "https://127.0.0.1:8443/");
	CU_ASSERT_STRING_EQUAL(cfg.mno_url, "https://127.0.0.1:8445/");
	CU_ASSERT_STRING_EQUAL(cfg.mno_entity_id, "1.3.6.1.4.1.99999.3");
	CU_ASSERT_STRING_EQUAL(cfg.tls_cert_file, "smdp1/tls-cert.pem");
	CU_ASSERT_STRING_EQUAL(cfg.tls_key_file, "smdp1/tls-key.pem");
	CU_ASSERT_STRING_EQUAL(cfg.tls_ca_file, "ci/cert.pem");
	CU_ASSERT_STRING_EQUAL(cfg.tls_keylog_file, "smdp.keys");
	peer = smdp_cfg_peer(&cfg, "sr1", false);
	CU_ASSERT_PTR_NOT_NULL_FATAL(peer);
	CU_ASSERT_STRING_EQUAL(peer->url, "https://127.0.0.1:8444/");
	CU_ASSERT_STRING_EQUAL(peer->entity_id, "1.3.6.1.4.1.99999.2");
	CU_ASSERT_EQUAL(peer->v.ecka.isdp_kuq, ECKA_KUQ_5C);
	CU_ASSERT_EQUAL(peer->v.ecka.receipt_input, ECKA_RECEIPT_A6_ONLY);
	CU_ASSERT_EQUAL(peer->v.ecka.sharedinfo_order, ECKA_SI_HOSTID_THEN_DR);
	CU_ASSERT_EQUAL(peer->v.ecka.epk_encoding, ECKA_EPK_RAW);
	CU_ASSERT_EQUAL(peer->v.ecka.isdp_scenario_param, 11);
	CU_ASSERT_EQUAL(peer->v.scp03t.mcv_after_ea, SCP03T_MCV_RESET);
	CU_ASSERT_EQUAL(peer->v.scp03t.resp_mac, SCP03T_RESP_MAC_EVERY_86);
	CU_ASSERT_EQUAL(peer->v.es.ns, ES_NS_V1);
	CU_ASSERT_EQUAL(peer->v.es.action, ES_ACTION_PLAIN);
	CU_ASSERT_EQUAL(peer->v.coding, RSCRIPT_INDEFINITE);
	CU_ASSERT_EQUAL(peer->v.chaining, SMDP_CHAIN_NONE);
	CU_ASSERT_EQUAL(peer->v.isdp_kvn, 49);
	CU_ASSERT_EQUAL(peer->v.segment_size, 512);
	peer = smdp_cfg_peer(&cfg, "sr2", false);
	CU_ASSERT_PTR_NOT_NULL_FATAL(peer);
	CU_ASSERT_EQUAL(peer->v.ecka.isdp_kuq, ECKA_KUQ_10); /* defaults where nothing was said */
	CU_ASSERT_EQUAL(peer->v.chaining, SMDP_CHAIN_NJIWA);

	/* Writing again gives the same text; no key material is in it. */
	snprintf(p_out2, sizeof(p_out2), "%s/out2.cfg", dir);
	CU_ASSERT_EQUAL_FATAL(osmo_vty_write_config_file(p_out2), 0);
	out1 = slurp(p_out1);
	out2 = slurp(p_out2);
	CU_ASSERT_STRING_EQUAL(out1, out2);
	CU_ASSERT_PTR_NOT_NULL(strstr(out1, " tls-keylog smdp.keys\n"));
	CU_ASSERT_PTR_NULL(strstr(out1, "PRIVATE KEY"));

	talloc_free(out1);
	talloc_free(out2);
	smdp_stub_free(st);
	smdp_cfg_fini(&scratch);
}

/* Refused values: an unknown variant name and a certificate file that is not a CERT.DP.ECDSA. */
void test_vty_bad_values_refused(void)
{
	char p_in[128], p_bad[128];
	FILE *f;

	wipe();
	snprintf(p_bad, sizeof(p_bad), "%s/not-a-cert", dir);
	f = fopen(p_bad, "w");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fputs("7f2101ff\n", f);
	fclose(f);
	snprintf(p_in, sizeof(p_in), "%s/bad1.cfg", dir);
	f = fopen(p_in, "w");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fprintf(f, "smdp\n smsr sr1\n  key-usage-qualifier 77\n");
	fclose(f);
	CU_ASSERT(vty_read_config_file(p_in, NULL) < 0);
	CU_ASSERT_EQUAL(smdp_cfg_peer(&cfg, "sr1", false)->v.ecka.isdp_kuq, ECKA_KUQ_10);
	f = fopen(p_in, "w");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fprintf(f, "smdp\n dp-certificate %s\n", p_bad);
	fclose(f);
	CU_ASSERT(vty_read_config_file(p_in, NULL) < 0);
	CU_ASSERT_EQUAL(cfg.dp_cert_len, 0);
}
