/* End-to-end test of the profile-download leg of the flagship (issue 9's integration test): MNO2's SM-DP
 * (`rsplab-smdp`) downloads a profile onto the real simulated eUICC (`rsplab-euicc serve` in the real
 * `rsplab-device`) through MNO2's SM-SR (`rsplab-smsr`) over the real core network (`rsplab net up`),
 * ES interfaces over mutual TLS with the run's `rsplab pki init` certificates. This test plays the EUM
 * (ES1.RegisterEIS at the SM-SR directly: no SM-SR change here) and MNO2's platform (ES2 client + its
 * notification endpoint, lib/esnet).
 *
 *   1. set-up: net up; a card with MNO1's profile enabled, attached roaming; rsplab-smsr as MNO2's SM-SR
 *      (SMPP with smsr2's credentials, SCP81 admin server); RegisterEIS + keys-import; rsplab-smdp as
 *      MNO2's SM-DP with MNO2's profile imported;
 *   2. ES2.DownloadProfile (EnableProfile true): GetEIS, CreateISDP over ES5 by SMS, EstablishISDPKeySet
 *      and the SCP03t download over ES3.SendData, ProfileDownloadCompleted, EnableProfile, REFRESH, the
 *      device attaches with MNO2's IMSI, the ES2 response Executed-Success;
 *   3. everything stopped; no process, no namespace left.
 * Bounded waits throughout. Needs root (network namespace): otherwise every test says why and returns. */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <osmocom/core/select.h>
#include <osmocom/core/talloc.h>
#include <osmocom/core/timer.h>
#include <osmocom/core/utils.h>

#include "harness/net_io.h"
#include "harness/net_ready.h"
#include "harness/testbed.h"
#include "harness/testbed_es.h"
#include "lib/es/es.h"
#include "lib/esnet/esnet.h"
#include "lib/test/runner.h"
#include "lib/tls/tls.h"

#define ES_TIMEOUT_MS 5000   /* a synchronous ES call over TLS on lo */
#define DL_TIMEOUT_MS 240000 /* CreateISDP by SMS + key establishment + SCP03t over BIP + enable + attach */

#define IMSI1	"001010000000001"
#define MSISDN1 "1001"
#define K1	"000102030405060708090a0b0c0d0e0f"
#define OPC1	"0f0e0d0c0b0a09080706050403020100"
#define IMSI2	"001020000000002"
#define MSISDN2 "2002"
#define K2	"00112233445566778899aabbccddeeff"
#define OPC2	"ffeeddccbbaa99887766554433221100"
#define ICCID1	"8988211000000530082"
#define ICCID2	"8988211000000530090"

/* rsplab-euicc init's default identities (sims/euicc/main.c): the EIS names them */
#define EUM_ID	"1.3.6.1.4.1.99999.1"
#define SMSR_ID "1.3.6.1.4.1.99999.2"
#define MNO_ID	"1.3.6.1.4.1.99999.3"

#define SMSR_ADDR "127.0.0.1"
#define SMDP_ID	  "1.3.6.1.4.1.99999.5"

#define SMSR_PORT   18543
#define SCP81_PORT  18544
#define MNO_PORT    18545
#define SMDP_PORT   18546
#define SMDP_TELNET 18547
#define VPCD_PORT   35991

static struct tb tb;
static bool skipped, failed_setup;
static unsigned int failures_at_start;
static void *ctx;
static pid_t smsr_pid, smdp_pid;
static struct tb_dut dut;
static struct tb_card_keys keys;
static struct es_msg *eis_msg;
static uint8_t eid_bin[16];

/* The ES parties: the EUM (client) and MNO2's platform (client + notification endpoint): testbed_es.h */
static struct tb_party eum, mno;

/* Send req from p to the SM-SR and wait (bounded) for its response (sync) or callback (async). */
static bool call_smsr(struct tb_party *p, struct es_msg *req, struct tb_result *r, int timeout_ms)
{
	return tb_es_call(p, SMSR_ADDR, SMSR_PORT, SMSR_ID, req, r, timeout_ms);
}

static struct es_msg *eid_req(enum es_msg_id id, const char *iccid)
{
	return tb_eid_req(ctx, id, eid_bin, iccid);
}

/* --- suite ------------------------------------------------------------------------------------------ */

static bool skip(void)
{
	if (skipped)
		printf("\n  skipped: needs root (network namespace for rsplab net up); CI runs as root\n");
	else if (failed_setup)
		CU_FAIL("set-up failed (see above)");
	return skipped || failed_setup;
}

static bool port_listening(uint16_t port)
{
	static char tcp[65536];
	size_t len;
	return net_file_read_tail("/proc/self/net/tcp", tcp, sizeof(tcp), &len) == 0 &&
	       net_proc_tcp_listening(tcp, len, SMSR_ADDR, port) == 1;
}

static int smsr_start(void)
{
	char bin[PATH_MAX], db[PATH_MAX], cert[PATH_MAX], key[PATH_MAX], ca[PATH_MAX], env[PATH_MAX], log[PATH_MAX];
	char eum_pem[PATH_MAX], port[8], url[64], notify[64], scp81[32];
	int64_t deadline;

	snprintf(bin, sizeof(bin), "%.4000s/rsplab-smsr", tb.bindir);
	tb_path(&tb, eum_pem, sizeof(eum_pem), "pki/eum/cert.pem"); /* RegisterEIS checks the EumSignature */
	tb_path(&tb, db, sizeof(db), "smsr.db");
	tb_path(&tb, cert, sizeof(cert), "pki/smsr2/tls-cert.pem");
	tb_path(&tb, key, sizeof(key), "pki/smsr2/tls-key.pem");
	tb_path(&tb, ca, sizeof(ca), "pki/ci/cert.pem");
	tb_path(&tb, env, sizeof(env), "net/net.env");
	tb_path(&tb, log, sizeof(log), "smsr.log");
	snprintf(port, sizeof(port), "%u", SMSR_PORT);
	snprintf(url, sizeof(url), "https://%s:%u/", SMSR_ADDR, SMSR_PORT);
	snprintf(notify, sizeof(notify), "https://%s:%u/", SMSR_ADDR, MNO_PORT);
	snprintf(scp81, sizeof(scp81), "%s:%u", SMSR_ADDR, SCP81_PORT);
	const char *argv[] = { bin,	  "--smsr-id",
			       SMSR_ID,	  "--db",
			       db,	  "--listen",
			       SMSR_ADDR, "--port",
			       port,	  "--url",
			       url,	  "--notify-url",
			       notify,	  "--cert",
			       cert,	  "--key",
			       key,	  "--ca",
			       ca,	  "--net-env",
			       env,	  "--sms-transport",
			       "smpp",	  "--scp81-listen",
			       scp81,	  "--scp81-push-addr",
			       SMSR_ADDR, "--eum",
			       eum_pem,	  NULL };
	smsr_pid = tb_spawn(argv, log, NULL, NULL);
	if (smsr_pid < 0)
		return -errno;
	deadline = net_now_ms() + 5000;
	while (!(port_listening(SMSR_PORT) && port_listening(SCP81_PORT))) {
		if (tb_wait_pid(smsr_pid, 0) != -ETIMEDOUT || net_now_ms() > deadline) {
			printf("  rsplab-smsr not listening within 5 s; log: %s\n", log);
			return -EIO;
		}
		net_sleep_ms(20);
	}
	return 0;
}

/* MNO2's SM-DP: its profile imported, a config as network/smdp/README.md "Configuration" shows, the ES
 * endpoint over mutual TLS with smdp2's certificates, MNO2's SM-SR as its one peer. */
static int smdp_start(void)
{
	char bin[PATH_MAX], db[PATH_MAX], cfg[PATH_MAX], pki[PATH_MAX], log[PATH_MAX], p2[PATH_MAX], tport[8];
	int64_t deadline;
	FILE *f;

	snprintf(bin, sizeof(bin), "%.4000s/rsplab-smdp", tb.bindir);
	tb_path(&tb, db, sizeof(db), "smdp.db");
	tb_path(&tb, p2, sizeof(p2), "p2.der");
	tb_path(&tb, log, sizeof(log), "smdp-import.log");
	const char *imp[] = { bin, "import", "--db", db, "--msisdn", MSISDN2, p2, NULL };
	if (tb_run(imp, log, NULL) != 0)
		return -EIO;
	tb_path(&tb, pki, sizeof(pki), "pki");
	tb_path(&tb, cfg, sizeof(cfg), "smdp.cfg");
	f = fopen(cfg, "w");
	if (!f)
		return -errno;
	fprintf(f,
		"smdp\n database %s\n smdp-id " SMDP_ID "\n mno-id " MNO_ID "\n"
		" mno-url https://%s:%u/ " MNO_ID "\n"
		" dp-certificate %s/smdp2/gp-cert.hex\n dp-private-key %s/smdp2/gp-key.hex p256\n"
		" ci-certificate %s/ci/cert.pem\n eum-certificate %s/eum/cert.pem\n"
		" es-listen %s %u\n own-url https://%s:%u/\n"
		" tls-certificate %s/smdp2/tls-cert.pem\n tls-private-key %s/smdp2/tls-key.pem\n"
		" tls-ca-certificate %s/ci/cert.pem\n"
		" smsr " SMSR_ID "\n  url https://%s:%u/\n  entity-id " SMSR_ID "\n",
		db, SMSR_ADDR, MNO_PORT, pki, pki, pki, pki, SMSR_ADDR, SMDP_PORT, SMSR_ADDR, SMDP_PORT, pki, pki, pki,
		SMSR_ADDR, SMSR_PORT);
	if (fclose(f) != 0)
		return -EIO;
	snprintf(tport, sizeof(tport), "%u", SMDP_TELNET);
	tb_path(&tb, log, sizeof(log), "smdp.log");
	const char *argv[] = { bin, "-c", cfg, "-T", tport, NULL };
	smdp_pid = tb_spawn(argv, log, NULL, NULL);
	if (smdp_pid < 0)
		return -errno;
	deadline = net_now_ms() + 5000;
	while (!port_listening(SMDP_PORT)) {
		if (tb_wait_pid(smdp_pid, 0) != -ETIMEDOUT || net_now_ms() > deadline) {
			printf("  rsplab-smdp not listening within 5 s; log: %s\n", log);
			return -EIO;
		}
		net_sleep_ms(20);
	}
	return 0;
}

static bool attached_imsi1(const char *s)
{
	return tb_state_is(s, "ms", "ATTACHED") && tb_state_is(s, "imsi", IMSI1);
}

static bool attached_imsi2(const char *s)
{
	return tb_state_is(s, "ms", "ATTACHED") && tb_state_is(s, "imsi", IMSI2);
}

static int setup(void)
{
	static const char subs[] = "# HLR,IMSI,MSISDN,ALGO,KEY[,OPC]\n"
				   "mno1," IMSI1 "," MSISDN1 ",milenage," K1 "," OPC1 "\n"
				   "mno2," IMSI2 "," MSISDN2 ",milenage," K2 "," OPC2 "\n";
	char path[PATH_MAX], db[PATH_MAX], state[2048], *text, *arena;
	size_t len;
	int64_t t0 = net_now_ms(), t;
	int rc = tb_setup(&tb, "dl-e2e", subs);

	if (rc == 1) {
		skipped = true;
		printf("\n  dl-e2e: not root, every test will be skipped (rsplab net up needs a network "
		       "namespace)\n");
		return 0;
	}
	if (rc < 0)
		return rc;
	printf("\n  dl-e2e: pki init + net up (sctp %s) in %.2f s; RUNDIR %s\n", tb.st.sctp,
	       (double)(net_now_ms() - t0) / 1000, tb.rundir);
	t = net_now_ms();
	if (!tb_saip_build(&tb, "p1.der", ICCID1, IMSI1, K1, OPC1) ||
	    !tb_saip_build(&tb, "p2.der", ICCID2, IMSI2, K2, OPC2) ||
	    !tb_card_make(&tb, "card", "p1.der", MSISDN1, NULL, true, &keys))
		return -EIO;
	if (osmo_hexparse(keys.eid, eid_bin, sizeof(eid_bin)) != 16)
		return -EINVAL;
	tb_path(&tb, path, sizeof(path), "card.eis.xml");
	text = talloc_size(ctx, 1 << 17);
	if (!text || net_file_read_tail(path, text, 1 << 17, &len) < 0 || !len)
		return -EIO;
	arena = talloc_size(ctx, len + 64);
	eis_msg = talloc_zero(ctx, struct es_msg);
	if (!arena || !eis_msg || es_msg_decode(eis_msg, arena, len + 64, (uint8_t *)text, len, NULL, NULL) < 0 ||
	    eis_msg->id != ES_MSG_ES1_REGISTER_EIS_REQ) {
		printf("  %s is not an ES1.RegisterEIS\n", path);
		return -EBADMSG;
	}
	printf("  card (EID %s, 1 profile) + EIS in %.2f s\n", keys.eid, (double)(net_now_ms() - t) / 1000);
	t = net_now_ms();
	tb_path(&tb, db, sizeof(db), "card.db");
	if (!tb_dut_start(&tb, &dut, "dev", db, VPCD_PORT) ||
	    !tb_wait_state(&dut, TB_ATTACH_TIMEOUT_MS, attached_imsi1, state, sizeof(state), NULL, NULL))
		return -EIO;
	printf("  device attached with %s (roaming) in %.2f s\n", IMSI1, (double)(net_now_ms() - t) / 1000);
	t = net_now_ms();
	if (smsr_start() < 0 || smdp_start() < 0 ||
	    tb_party_init(ctx, tb.rundir, &eum, "eum", EUM_ID, SMSR_ADDR, 0, 1u << 4 | 1u << 2) < 0 ||
	    tb_party_init(ctx, tb.rundir, &mno, "mno2", MNO_ID, SMSR_ADDR, MNO_PORT, 1u << 4 | 1u << 2) < 0)
		return -EIO;
	printf("  rsplab-smsr + rsplab-smdp + EUM + MNO endpoints up in %.2f s\n", (double)(net_now_ms() - t) / 1000);
	return 0;
}

static void stop_all(void)
{
	int rc;

	if (smdp_pid > 0) {
		rc = tb_stop_pid(&smdp_pid);
		if (rc != 0)
			printf("  rsplab-smdp ended with %d\n", rc);
	}
	if (smsr_pid > 0) {
		rc = tb_stop_pid(&smsr_pid);
		if (rc != 0)
			printf("  rsplab-smsr ended with %d\n", rc);
	}
	tb_dut_stop(&dut);
	esnet_free(mno.e);
	esnet_free(eum.e);
	mno.e = eum.e = NULL;
	tb_stop_all(&tb);
}

int suite_setup(void)
{
	int rc;

	failures_at_start = CU_get_number_of_failures();
	ctx = talloc_named_const(NULL, 0, "download_e2e_test");
	rc = setup();
	if (rc < 0) {
		printf("\n  dl-e2e: set-up failed (%d); logs in %s\n", rc, tb.rundir);
		stop_all();
		failed_setup = true;
	}
	return 0;
}

int suite_teardown(void)
{
	if (skipped)
		return 0;
	stop_all();							/* a no-op when test_download_e2e_down ran */
	tb_free(&tb, CU_get_number_of_failures() != failures_at_start); /* a failing run keeps its logs */
	talloc_free(ctx);
	return 0;
}

/* --- the tests ------------------------------------------------------------------------------------- */

/* 1. ES1.RegisterEIS of the card's EIS at MNO2's SM-SR by the EUM, its keys imported. */
void test_download_e2e_register(void)
{
	struct tb_result r;
	struct es_msg *req;
	char bin[PATH_MAX], db[PATH_MAX], kf[PATH_MAX], log[PATH_MAX];

	if (skip())
		return;
	req = talloc_zero(ctx, struct es_msg);
	req->id = ES_MSG_ES1_REGISTER_EIS_REQ;
	req->u.es1_register_eis_req = eis_msg->u.es1_register_eis_req;
	req->u.es1_register_eis_req.function_call_identifier = NULL;
	CU_ASSERT_TRUE(call_smsr(&eum, req, &r, ES_TIMEOUT_MS));
	CU_ASSERT_EQUAL(r.status, ES_STATUS_EXECUTED_SUCCESS);
	snprintf(bin, sizeof(bin), "%.4000s/rsplab-smsr", tb.bindir);
	tb_path(&tb, db, sizeof(db), "smsr.db");
	tb_path(&tb, kf, sizeof(kf), "card.db.keys");
	tb_path(&tb, log, sizeof(log), "keys-import.log");
	const char *argv[] = { bin, "keys-import", "--db", db, kf, NULL };
	CU_ASSERT_EQUAL(tb_run(argv, log, NULL), 0);
	req = eid_req(ES_MSG_ES4_GET_EIS_REQ, NULL);
	CU_ASSERT_TRUE(call_smsr(&mno, req, &r, ES_TIMEOUT_MS));
	CU_ASSERT_EQUAL(r.status, ES_STATUS_EXECUTED_SUCCESS);
	CU_ASSERT_EQUAL(r.n_prof, 1);
	CU_ASSERT_EQUAL(tb_result_state(&r, ICCID1), ES_PROFILE_STATE_ENABLED);
}

/* 2. ES2.DownloadProfile with EnableProfile true, from MNO2's platform to MNO2's SM-DP. */
void test_download_e2e_download_profile(void)
{
	char url[64], state[2048];
	struct esnet_peer peer = { .url = url, .entity_id = SMDP_ID, .tls = NULL, .variant = es_variant_default };
	struct es_msg *req;
	struct tb_result e = { 0 }, r;
	int64_t t0 = net_now_ms(), end;

	if (skip())
		return;
	peer.tls = mno.cli;
	snprintf(url, sizeof(url), "https://%s:%u/", SMSR_ADDR, SMDP_PORT);
	req = talloc_zero(ctx, struct es_msg);
	req->id = ES_MSG_ES2_DOWNLOAD_PROFILE_REQ;
	req->u.es2_download_profile_req.present = true;
	req->u.es2_download_profile_req.eid = (struct es_hex){ eid_bin, 16 };
	req->u.es2_download_profile_req.smsr_id = SMSR_ID;
	req->u.es2_download_profile_req.iccid = ICCID2;
	req->u.es2_download_profile_req.enable_profile.present = true;
	req->u.es2_download_profile_req.enable_profile.v = true;
	e.t0 = t0;
	CU_ASSERT_EQUAL_FATAL(esnet_call(mno.e, &peer, req, tb_es_call_cb, &e, NULL), 0);
	/* the device: the new profile enabled by REFRESH, attached with MNO2's IMSI (call outstanding) */
	if (tb_wait_state(&dut, DL_TIMEOUT_MS, attached_imsi2, state, sizeof(state), tb_pump, NULL)) {
		printf("  download -> enable -> attached with %s after %.2f s\n", IMSI2,
		       (double)(net_now_ms() - t0) / 1000);
		CU_ASSERT_TRUE(tb_events_have(&dut, "LU ACCEPT imsi=" IMSI2));
		/* CreateISDP by SMS-PP, key establishment + SCP03t over BIP to the SCP81 server, REFRESH */
		CU_ASSERT_TRUE(tb_events_have(&dut, "MT SMS-PP download sw="));
		snprintf(url, sizeof(url), "OPEN CHANNEL 1 -> %s:%u", SMSR_ADDR, SCP81_PORT);
		CU_ASSERT_TRUE(tb_events_have(&dut, url));
		CU_ASSERT_TRUE(tb_events_have(&dut, "OPEN CHANNEL 1 established"));
		CU_ASSERT_TRUE(tb_events_have(&dut, "REFRESH"));
	} else {
		CU_FAIL("the device did not attach with the downloaded profile's IMSI");
		tb_dump_events(&dut);
	}
	end = net_now_ms() + ES_TIMEOUT_MS * 6;
	while (!e.done && net_now_ms() < end)
		tb_poll_ms(20);
	CU_ASSERT_TRUE(e.done);
	printf("  ES2.DownloadProfile -> rc %d %s%s %s/%s %s after %.2f s\n", e.rc, e.fault ? "FAULT " : "",
	       get_value_string(es_status_names, e.status), e.subject, e.reason, e.message,
	       (double)(net_now_ms() - t0) / 1000);
	CU_ASSERT_EQUAL(e.rc, 0);
	CU_ASSERT_FALSE(e.fault);
	CU_ASSERT_EQUAL(e.status, ES_STATUS_EXECUTED_SUCCESS);
	/* the SM-SR's EIS: the downloaded profile Enabled, the first one Disabled */
	req = eid_req(ES_MSG_ES4_GET_EIS_REQ, NULL);
	CU_ASSERT_TRUE(call_smsr(&mno, req, &r, ES_TIMEOUT_MS));
	CU_ASSERT_EQUAL(r.n_prof, 2);
	CU_ASSERT_EQUAL(tb_result_state(&r, ICCID2), ES_PROFILE_STATE_ENABLED);
	CU_ASSERT_EQUAL(tb_result_state(&r, ICCID1), ES_PROFILE_STATE_DISABLED);
}

/* Last: stop everything; no process (daemons, SM-SR, SM-DP, card, device) and no namespace left. */
void test_download_e2e_down(void)
{
	int64_t t0 = net_now_ms();
	int rc;

	if (skipped) {
		skip();
		return;
	}
	CU_ASSERT_TRUE(smdp_pid <= 0 || kill(smdp_pid, 0) == 0);
	CU_ASSERT_TRUE(smsr_pid <= 0 || kill(smsr_pid, 0) == 0);
	rc = smdp_pid > 0 ? tb_stop_pid(&smdp_pid) : 0;
	CU_ASSERT_EQUAL(rc, 0);
	rc = smsr_pid > 0 ? tb_stop_pid(&smsr_pid) : 0;
	CU_ASSERT_EQUAL(rc, 0);
	CU_ASSERT_TRUE(tb_dut_stop(&dut));
	stop_all();
	CU_ASSERT_FALSE(tb.net_is_up);
	for (size_t i = 0; i < tb.st.nprocs; i++)
		CU_ASSERT_FALSE(net_proc_alive(tb.st.procs[i].pid, tb.st.procs[i].start));
	CU_ASSERT_EQUAL(tb_procs_mentioning(tb.rundir), 0);
	if (tb.st.netns[0])
		CU_ASSERT_FALSE(net_netns_exists(tb.st.netns));
	printf("  teardown %.2f s\n", (double)(net_now_ms() - t0) / 1000);
}
