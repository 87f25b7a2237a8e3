/* End-to-end test of our SM-SR (issue 8's integration direction): the real `rsplab-smsr` manages the
 * real simulated eUICC (`rsplab-euicc serve`) inside the real device (`rsplab-device`) over the real core
 * network (`rsplab net up`: osmo-msc's SMSC over SMPP, the radio over M3UA), ES interfaces over mutual TLS
 * with the run's `rsplab pki init` certificates. This test plays the EUM (ES1.RegisterEIS, the EIS that
 * `rsplab-euicc init` printed) and MNO2's platform (ES4 client + notification endpoint, lib/esnet).
 *
 *   1. set-up: net up; a card with two profiles (MNO1's enabled, MNO2's disabled) attached roaming with
 *      the MNO1 IMSI; rsplab-smsr as MNO2's SM-SR (direct SMPP with smsr2's net.env credentials, SCP81
 *      admin server); RegisterEIS; `rsplab-smsr keys-import` of CARD.db.keys;
 *   2. ES4.EnableProfile of the second profile: SCP80 STORE DATA 3A03 by SMS-PP -> PoR -> REFRESH -> the
 *      device attaches with MNO2's IMSI -> E1 notification by MO SMS -> 3A08 -> ES4 response
 *      Executed-Success, the EIS shows the profile Enabled, the MNO is notified;
 *   3. ES4.AuditEIS over HTTPS: push SMS -> OPEN CHANNEL -> BIP/TCP to the SM-SR's SCP81 server ->
 *      PSK-TLS in the card -> RAM over HTTP (GET STATUS) -> response -> 204 -> CLOSE CHANNEL; the audited
 *      EIS reaches the caller;
 *   4. everything stopped; no process, no namespace left.
 * Bounded waits throughout; each step's time is printed. Needs root (network namespace): otherwise every
 * test prints why and returns without checking. */
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

#define ES_TIMEOUT_MS	  5000	/* a synchronous ES call over TLS on lo */
#define ENABLE_TIMEOUT_MS 45000 /* 3A03 + PoR + REFRESH + attach + E1 + 3A08 over the SMSC */
#define AUDIT_TIMEOUT_MS  30000 /* push SMS + OPEN CHANNEL + PSK-TLS over BIP + one RAM exchange */

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

#define SMSR_ADDR  "127.0.0.1"
#define SMSR_PORT  18443
#define SCP81_PORT 18444
#define MNO_PORT   18445
#define VPCD_PORT  35981

static struct tb tb;
static bool skipped, failed_setup;
static unsigned int failures_at_start;
static void *ctx;
static pid_t smsr_pid;
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
	tb_path(&tb, db, sizeof(db), "smsr.db");
	tb_path(&tb, cert, sizeof(cert), "pki/smsr2/tls-cert.pem");
	tb_path(&tb, key, sizeof(key), "pki/smsr2/tls-key.pem");
	tb_path(&tb, ca, sizeof(ca), "pki/ci/cert.pem");
	tb_path(&tb, eum_pem, sizeof(eum_pem), "pki/eum/cert.pem"); /* RegisterEIS checks the EumSignature */
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
	int rc = tb_setup(&tb, "smsr-e2e", subs);

	if (rc == 1) {
		skipped = true;
		printf("\n  smsr-e2e: not root, every test will be skipped (rsplab net up needs a network "
		       "namespace)\n");
		return 0;
	}
	if (rc < 0)
		return rc;
	printf("\n  smsr-e2e: pki init + net up (sctp %s) in %.2f s; RUNDIR %s\n", tb.st.sctp,
	       (double)(net_now_ms() - t0) / 1000, tb.rundir);
	t = net_now_ms();
	if (!tb_saip_build(&tb, "p1.der", ICCID1, IMSI1, K1, OPC1) ||
	    !tb_saip_build(&tb, "p2.der", ICCID2, IMSI2, K2, OPC2) ||
	    !tb_card_make(&tb, "card", "p1.der", MSISDN1, "p2.der", true, &keys))
		return -EIO;
	if (osmo_hexparse(keys.eid, eid_bin, sizeof(eid_bin)) != 16)
		return -EINVAL;
	/* the EIS rsplab-euicc init printed, decoded as the EUM will send it */
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
	printf("  card (EID %s, 2 profiles) + EIS in %.2f s\n", keys.eid, (double)(net_now_ms() - t) / 1000);
	/* the device with the card, attached roaming with the MNO1 IMSI */
	t = net_now_ms();
	tb_path(&tb, db, sizeof(db), "card.db");
	if (!tb_dut_start(&tb, &dut, "dev", db, VPCD_PORT) ||
	    !tb_wait_state(&dut, TB_ATTACH_TIMEOUT_MS, attached_imsi1, state, sizeof(state), NULL, NULL))
		return -EIO;
	printf("  device attached with %s (roaming) in %.2f s\n", IMSI1, (double)(net_now_ms() - t) / 1000);
	/* the SM-SR and the ES parties */
	t = net_now_ms();
	if (smsr_start() < 0 || tb_party_init(ctx, tb.rundir, &eum, "eum", EUM_ID, SMSR_ADDR, 0, 1u << 4) < 0 ||
	    tb_party_init(ctx, tb.rundir, &mno, "mno2", MNO_ID, SMSR_ADDR, MNO_PORT, 1u << 4) < 0)
		return -EIO;
	printf("  rsplab-smsr + EUM + MNO endpoints up in %.2f s\n", (double)(net_now_ms() - t) / 1000);
	return 0;
}

static void stop_all(void)
{
	int rc;

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
	ctx = talloc_named_const(NULL, 0, "smsr_e2e_test");
	rc = setup();
	if (rc < 0) {
		/* CUnit runs no test after a failed suite_setup: the tests say why instead */
		printf("\n  smsr-e2e: set-up failed (%d); logs in %s\n", rc, tb.rundir);
		stop_all();
		failed_setup = true;
	}
	return 0;
}

int suite_teardown(void)
{
	if (skipped)
		return 0;
	stop_all();							/* a no-op when test_smsr_e2e_down ran */
	tb_free(&tb, CU_get_number_of_failures() != failures_at_start); /* a failing run keeps its logs */
	talloc_free(ctx);
	return 0;
}

/* --- the tests ------------------------------------------------------------------------------------- */

/* 1. ES1.RegisterEIS of the card's EIS by the EUM, its keys imported, ES4.GetEIS as MNO2's platform. */
void test_smsr_e2e_register(void)
{
	struct tb_result r;
	struct es_msg *req;
	char bin[PATH_MAX], db[PATH_MAX], kf[PATH_MAX], log[PATH_MAX];
	int64_t t;

	if (skip())
		return;
	req = talloc_zero(ctx, struct es_msg);
	req->id = ES_MSG_ES1_REGISTER_EIS_REQ;
	req->u.es1_register_eis_req = eis_msg->u.es1_register_eis_req;
	req->u.es1_register_eis_req.function_call_identifier = NULL;
	CU_ASSERT_TRUE(call_smsr(&eum, req, &r, ES_TIMEOUT_MS));
	CU_ASSERT_EQUAL(r.status, ES_STATUS_EXECUTED_SUCCESS);
	/* the key values (the EIS has the versions only) */
	t = net_now_ms();
	snprintf(bin, sizeof(bin), "%.4000s/rsplab-smsr", tb.bindir);
	tb_path(&tb, db, sizeof(db), "smsr.db");
	tb_path(&tb, kf, sizeof(kf), "card.db.keys");
	tb_path(&tb, log, sizeof(log), "keys-import.log");
	const char *argv[] = { bin, "keys-import", "--db", db, kf, NULL };
	CU_ASSERT_EQUAL(tb_run(argv, log, NULL), 0);
	printf("  keys-import in %.2f s\n", (double)(net_now_ms() - t) / 1000);
	req = eid_req(ES_MSG_ES4_GET_EIS_REQ, NULL);
	CU_ASSERT_TRUE(call_smsr(&mno, req, &r, ES_TIMEOUT_MS));
	CU_ASSERT_EQUAL(r.status, ES_STATUS_EXECUTED_SUCCESS);
	CU_ASSERT_EQUAL(r.n_prof, 2);
	CU_ASSERT_EQUAL(tb_result_state(&r, ICCID1), ES_PROFILE_STATE_ENABLED);
	CU_ASSERT_EQUAL(tb_result_state(&r, ICCID2), ES_PROFILE_STATE_DISABLED);
}

static unsigned int notif_count(enum es_msg_id id, const char *iccid)
{
	return tb_notif_count(&mno, id, iccid);
}

/* 2. ES4.EnableProfile of the second profile over ES5 by SMS through the real SMSC. */
void test_smsr_e2e_enable_profile(void)
{
	struct tb_result r, e;
	struct es_msg *req;
	char state[2048], v[64];
	int64_t t0, end;

	if (skip())
		return;
	/* the MNO tells the SM-SR its profile's MSISDN: where the card is reachable once it is enabled */
	req = eid_req(ES_MSG_ES4_UPDATE_SUBSCRIPTION_ADDRESS_REQ, ICCID2);
	req->u.es4_update_subscription_address_req.new_subscription_address =
		(struct es_subscription_address){ .present = true, .imsi = IMSI2, .msisdn = MSISDN2 };
	CU_ASSERT_TRUE(call_smsr(&mno, req, &r, ES_TIMEOUT_MS));
	CU_ASSERT_EQUAL(r.status, ES_STATUS_EXECUTED_SUCCESS);

	t0 = net_now_ms();
	req = eid_req(ES_MSG_ES4_ENABLE_PROFILE_REQ, ICCID2);
	memset(&e, 0, sizeof(e));
	e.t0 = t0;
	{
		char url[64];
		struct esnet_peer peer = {
			.url = url, .entity_id = SMSR_ID, .tls = mno.cli, .variant = es_variant_default
		};
		snprintf(url, sizeof(url), "https://%s:%u/", SMSR_ADDR, SMSR_PORT);
		CU_ASSERT_EQUAL_FATAL(esnet_call(mno.e, &peer, req, tb_es_call_cb, &e, NULL), 0);
	}
	/* the device: 3A03 by SMS-PP, REFRESH, attach with the MNO2 IMSI (while the call is outstanding) */
	if (tb_wait_state(&dut, ENABLE_TIMEOUT_MS, attached_imsi2, state, sizeof(state), tb_pump, NULL)) {
		printf("  3A03 -> REFRESH -> attached with %s after %.2f s\n", IMSI2,
		       (double)(net_now_ms() - t0) / 1000);
		CU_ASSERT_TRUE(tb_events_have(&dut, "MT SMS-PP download sw="));
		CU_ASSERT_TRUE(tb_events_have(&dut, "REFRESH"));
		CU_ASSERT_TRUE(tb_events_have(&dut, "LU ACCEPT imsi=" IMSI2));
	} else {
		CU_FAIL("the device did not attach with the new profile's IMSI");
	}
	end = net_now_ms() + ENABLE_TIMEOUT_MS;
	while (!e.done && net_now_ms() < end)
		tb_poll_ms(20);
	CU_ASSERT_TRUE(e.done);
	printf("  ES4.EnableProfile -> rc %d %s %s/%s %s after %.2f s\n", e.rc,
	       get_value_string(es_status_names, e.status), e.subject, e.reason, e.message,
	       (double)(net_now_ms() - t0) / 1000);
	CU_ASSERT_EQUAL(e.rc, 0);
	CU_ASSERT_FALSE(e.fault);
	CU_ASSERT_EQUAL(e.status, ES_STATUS_EXECUTED_SUCCESS);
	/* E1 by MO SMS, 3A08 back by MT SMS-PP */
	CU_ASSERT_TRUE(tb_events_have(&dut, "SEND SHORT MESSAGE -> MO SMS"));
	printf("  device state: %s", state);
	CU_ASSERT_STRING_EQUAL(tb_state_val(state, "imsi", v, sizeof(v)), IMSI2);
	/* the EIS: the new profile Enabled, the old one Disabled */
	req = eid_req(ES_MSG_ES4_GET_EIS_REQ, NULL);
	CU_ASSERT_TRUE(call_smsr(&mno, req, &r, ES_TIMEOUT_MS));
	CU_ASSERT_EQUAL(tb_result_state(&r, ICCID2), ES_PROFILE_STATE_ENABLED);
	CU_ASSERT_EQUAL(tb_result_state(&r, ICCID1), ES_PROFILE_STATE_DISABLED);
	/* the owner's notifications (HandleProfileEnabled / Disabled), bounded */
	end = net_now_ms() + ES_TIMEOUT_MS;
	while (notif_count(ES_MSG_ES4_HANDLE_PROFILE_ENABLED_NOTIF, ICCID2) == 0 && net_now_ms() < end)
		tb_poll_ms(20);
	CU_ASSERT_EQUAL(notif_count(ES_MSG_ES4_HANDLE_PROFILE_ENABLED_NOTIF, ICCID2), 1);
	CU_ASSERT_EQUAL(notif_count(ES_MSG_ES4_HANDLE_PROFILE_DISABLED_NOTIF, ICCID1), 1);
	printf("  step 2 (EnableProfile end to end) %.2f s\n", (double)(net_now_ms() - t0) / 1000);
}

/* 3. ES4.AuditEIS: ES5 over HTTPS (SCP81) - push SMS, BIP, PSK-TLS, RAM over HTTP (GET STATUS). */
void test_smsr_e2e_audit_over_https(void)
{
	struct tb_result r;
	struct es_msg *req;
	char state[2048], v[64];
	int64_t t0 = net_now_ms();

	if (skip())
		return;
	req = eid_req(ES_MSG_ES4_AUDIT_EIS_REQ, NULL);
	CU_ASSERT_TRUE(call_smsr(&mno, req, &r, AUDIT_TIMEOUT_MS));
	CU_ASSERT_EQUAL(r.status, ES_STATUS_EXECUTED_SUCCESS);
	CU_ASSERT_EQUAL(tb_result_state(&r, ICCID2), ES_PROFILE_STATE_ENABLED);
	CU_ASSERT_EQUAL(tb_result_state(&r, ICCID1), ES_PROFILE_STATE_DISABLED);
	/* the card went through the device's BIP channel to the SM-SR's admin server and closed it */
	snprintf(v, sizeof(v), "OPEN CHANNEL 1 -> %s:%u", SMSR_ADDR, SCP81_PORT);
	CU_ASSERT_TRUE(tb_events_have(&dut, v));
	CU_ASSERT_TRUE(tb_events_have(&dut, "OPEN CHANNEL 1 established"));
	CU_ASSERT_TRUE(tb_events_have(&dut, "CLOSE CHANNEL 1"));
	if (tb_ctl(&dut, "state", state, sizeof(state)) > 0)
		printf("  device state: %s", state);
	if (r.status != ES_STATUS_EXECUTED_SUCCESS)
		tb_dump_events(&dut);
	printf("  step 3 (AuditEIS over HTTPS) %.2f s\n", (double)(net_now_ms() - t0) / 1000);
}

/* Last: stop everything; no process (daemons, SM-SR, card, device) and no namespace left. */
void test_smsr_e2e_down(void)
{
	int64_t t0 = net_now_ms();

	if (skipped) {
		skip();
		return;
	}
	CU_ASSERT_TRUE(smsr_pid <= 0 || kill(smsr_pid, 0) == 0);
	{
		int rc = smsr_pid > 0 ? tb_stop_pid(&smsr_pid) : 0;
		CU_ASSERT_EQUAL(rc, 0); /* rsplab-smsr exits 0 on SIGTERM */
	}
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
