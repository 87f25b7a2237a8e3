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
static struct osmo_timer_list tick;

/* --- the ES parties: the EUM (client) and MNO2's platform (client + notification endpoint) ------------ */

struct party {
	struct tls_ctx *cli, *srv;
	struct esnet *e;
};
static struct party eum, mno;

struct result {
	bool done;
	int rc;
	bool fault;
	int status;
	char subject[16], reason[16], message[120];
	unsigned int n_prof;
	struct {
		char iccid[21];
		int state;
	} prof[4];
	int64_t t0, t1;
};

#define NOTIF_MAX 8
static struct {
	enum es_msg_id id;
	char iccid[21];
} notifs[NOTIF_MAX];
static unsigned int n_notifs;

static void copy_str(char *dst, size_t cap, const char *src)
{
	size_t k = 0;
	for (; src && *src && k + 1 < cap; src++)
		dst[k++] = (*src >= 0x20 && *src < 0x7f) ? *src : '?';
	dst[k] = '\0';
}

static void call_cb(struct esnet_call *call, int rc, const struct es_msg *resp, const struct soap_findings *f,
		    void *priv)
{
	struct result *r = priv;
	const struct es_fes *fes;

	r->done = true;
	r->rc = rc;
	r->t1 = net_now_ms();
	if (rc < 0 || !resp)
		return;
	if (resp->is_fault) {
		r->fault = true;
		copy_str(r->message, sizeof(r->message), resp->fault.reason);
		return;
	}
	fes = &resp->u.es1_register_eis_resp.function_execution_status; /* every response starts so */
	r->status = fes->status;
	if (fes->status_code_data.present) {
		copy_str(r->subject, sizeof(r->subject), fes->status_code_data.subject);
		copy_str(r->reason, sizeof(r->reason), fes->status_code_data.reason);
		copy_str(r->message, sizeof(r->message), fes->status_code_data.message);
	}
	if (resp->id == ES_MSG_ES4_GET_EIS_RESP || resp->id == ES_MSG_ES4_AUDIT_EIS_RESP) {
		const struct es_eis *eis = &resp->u.es4_get_eis_resp.eis;
		for (unsigned int i = 0; eis->present && i < eis->n_profile_info && r->n_prof < 4; i++) {
			copy_str(r->prof[r->n_prof].iccid, sizeof(r->prof[0].iccid), eis->profile_info[i].iccid);
			r->prof[r->n_prof++].state = eis->profile_info[i].state;
		}
	}
}

static void notif_cb(struct esnet_in *in, void *priv)
{
	const struct es_msg *m = esnet_in_msg(in);

	if (n_notifs < NOTIF_MAX) {
		notifs[n_notifs].id = m->id;
		copy_str(notifs[n_notifs].iccid, sizeof(notifs[0].iccid), m->u.es4_handle_profile_enabled_notif.iccid);
		printf("  MNO <- %s ICCID %s\n", es_msgs[m->id].name, notifs[n_notifs].iccid);
		n_notifs++;
	}
	esnet_in_done(in);
}

static int party_init(struct party *p, const char *name, const char *entity, uint16_t port)
{
	char cert[PATH_MAX], key[PATH_MAX], ca[PATH_MAX], url[64], err[256];
	static struct esnet_handler hs[ES_MSG__COUNT];
	struct esnet_cfg cfg = { .variant = es_variant_default, .own_id = entity, .own_name = name };
	size_t nh = 0;

	snprintf(cert, sizeof(cert), "%.3000s/pki/%s/tls-cert.pem", tb.rundir, name);
	snprintf(key, sizeof(key), "%.3000s/pki/%s/tls-key.pem", tb.rundir, name);
	snprintf(ca, sizeof(ca), "%.3000s/pki/ci/cert.pem", tb.rundir);
	p->cli = tls_ctx_alloc(
		ctx, &(struct tls_cfg){ .role = TLS_ROLE_CLIENT, .cert_file = cert, .key_file = key, .ca_file = ca },
		err, sizeof(err));
	if (!p->cli) {
		printf("  %s: TLS client: %s\n", name, err);
		return -EPROTO;
	}
	cfg.callback_tls = p->cli;
	if (port) {
		p->srv = tls_ctx_alloc(ctx,
				       &(struct tls_cfg){ .role = TLS_ROLE_SERVER,
							  .cert_file = cert,
							  .key_file = key,
							  .ca_file = ca,
							  .require_client_cert = true },
				       err, sizeof(err));
		if (!p->srv) {
			printf("  %s: TLS server: %s\n", name, err);
			return -EPROTO;
		}
		for (int id = 0; id < ES_MSG__COUNT; id++)
			if (es_msgs[id].kind == ES_KIND_NOTIFICATION && es_msgs[id].iface == 4)
				hs[nh++] = (struct esnet_handler){ (enum es_msg_id)id, notif_cb, p };
		snprintf(url, sizeof(url), "https://%s:%u/", SMSR_ADDR, port);
		cfg.listen_addr = SMSR_ADDR;
		cfg.listen_port = port;
		cfg.server_tls = p->srv;
		cfg.handlers = hs;
		cfg.num_handlers = nh;
	} else {
		snprintf(url, sizeof(url), "https://%s.rsplab.invalid/", name);
	}
	cfg.own_url = url;
	p->e = esnet_alloc(ctx, &cfg);
	if (!p->e) {
		printf("  %s: esnet: %s\n", name, strerror(errno));
		return -EIO;
	}
	return 0;
}

static void tick_cb(void *data)
{
}

/* The select loop for up to ms (our ES endpoints and calls). */
static void poll_ms(int ms)
{
	int64_t end = net_now_ms() + ms;

	do {
		osmo_timer_schedule(&tick, 0, 20000);
		osmo_select_main_ctx(0);
	} while (net_now_ms() < end);
	osmo_timer_del(&tick);
}

static void pump(void *priv)
{
	poll_ms(100);
}

/* Send req from p to the SM-SR and wait (bounded) for its response (sync) or callback (async). */
static bool call_smsr(struct party *p, struct es_msg *req, struct result *r, int timeout_ms)
{
	char url[64];
	struct esnet_peer peer = { .url = url, .entity_id = SMSR_ID, .tls = p->cli, .variant = es_variant_default };
	int64_t end;
	int rc;

	memset(r, 0, sizeof(*r));
	r->t0 = net_now_ms();
	snprintf(url, sizeof(url), "https://%s:%u/", SMSR_ADDR, SMSR_PORT);
	rc = esnet_call(p->e, &peer, req, call_cb, r, NULL);
	if (rc < 0) {
		printf("  %s not sent: %s (%s)\n", es_msgs[req->id].name, strerror(-rc), esnet_last_error(p->e));
		return false;
	}
	end = net_now_ms() + timeout_ms;
	while (!r->done && net_now_ms() < end)
		poll_ms(20);
	if (!r->done)
		printf("  %s: no response within %d ms\n", es_msgs[req->id].name, timeout_ms);
	else
		printf("  %s -> rc %d %s%s %s/%s %s (%.2f s)\n", es_msgs[req->id].name, r->rc, r->fault ? "FAULT " : "",
		       get_value_string(es_status_names, r->status), r->subject, r->reason, r->message,
		       (double)(r->t1 - r->t0) / 1000);
	return r->done && r->rc == 0 && !r->fault;
}

static uint8_t eid_bin[16];

/* A request of id with Eid (and Iccid where the body has one: ES_REQ_EID_ICCID bodies share that
 * layout, es_types.def) */
static struct es_msg *eid_req(enum es_msg_id id, const char *iccid)
{
	struct es_msg *m = talloc_zero(ctx, struct es_msg);

	m->id = id;
	switch (id) {
	case ES_MSG_ES4_GET_EIS_REQ:
		m->u.es4_get_eis_req.present = true;
		m->u.es4_get_eis_req.eid = (struct es_hex){ eid_bin, 16 };
		break;
	case ES_MSG_ES4_AUDIT_EIS_REQ:
		m->u.es4_audit_eis_req.present = true;
		m->u.es4_audit_eis_req.eid = (struct es_hex){ eid_bin, 16 };
		break;
	case ES_MSG_ES4_ENABLE_PROFILE_REQ:
		m->u.es4_enable_profile_req.present = true;
		m->u.es4_enable_profile_req.eid = (struct es_hex){ eid_bin, 16 };
		m->u.es4_enable_profile_req.iccid = iccid;
		break;
	case ES_MSG_ES4_UPDATE_SUBSCRIPTION_ADDRESS_REQ:
		m->u.es4_update_subscription_address_req.present = true;
		m->u.es4_update_subscription_address_req.eid = (struct es_hex){ eid_bin, 16 };
		m->u.es4_update_subscription_address_req.iccid = iccid;
		break;
	default: break;
	}
	return m;
}

static int state_of(const struct result *r, const char *iccid)
{
	for (unsigned int i = 0; i < r->n_prof; i++)
		if (!strncmp(r->prof[i].iccid, iccid, strlen(iccid)))
			return r->prof[i].state;
	return 0;
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
	char port[8], url[64], notify[64], scp81[32];
	int64_t deadline;

	snprintf(bin, sizeof(bin), "%.4000s/rsplab-smsr", tb.bindir);
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
			       SMSR_ADDR, NULL };
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
	if (smsr_start() < 0 || party_init(&eum, "eum", EUM_ID, 0) < 0 ||
	    party_init(&mno, "mno2", MNO_ID, MNO_PORT) < 0)
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
	osmo_timer_setup(&tick, tick_cb, NULL);
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
	struct result r;
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
	CU_ASSERT_EQUAL(state_of(&r, ICCID1), ES_PROFILE_STATE_ENABLED);
	CU_ASSERT_EQUAL(state_of(&r, ICCID2), ES_PROFILE_STATE_DISABLED);
}

static unsigned int notif_count(enum es_msg_id id, const char *iccid)
{
	unsigned int n = 0;
	for (unsigned int i = 0; i < n_notifs; i++)
		n += notifs[i].id == id && !strncmp(notifs[i].iccid, iccid, strlen(iccid));
	return n;
}

/* 2. ES4.EnableProfile of the second profile over ES5 by SMS through the real SMSC. */
void test_smsr_e2e_enable_profile(void)
{
	struct result r, e;
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
		CU_ASSERT_EQUAL_FATAL(esnet_call(mno.e, &peer, req, call_cb, &e, NULL), 0);
	}
	/* the device: 3A03 by SMS-PP, REFRESH, attach with the MNO2 IMSI (while the call is outstanding) */
	if (tb_wait_state(&dut, ENABLE_TIMEOUT_MS, attached_imsi2, state, sizeof(state), pump, NULL)) {
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
		poll_ms(20);
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
	CU_ASSERT_EQUAL(state_of(&r, ICCID2), ES_PROFILE_STATE_ENABLED);
	CU_ASSERT_EQUAL(state_of(&r, ICCID1), ES_PROFILE_STATE_DISABLED);
	/* the owner's notifications (HandleProfileEnabled / Disabled), bounded */
	end = net_now_ms() + ES_TIMEOUT_MS;
	while (notif_count(ES_MSG_ES4_HANDLE_PROFILE_ENABLED_NOTIF, ICCID2) == 0 && net_now_ms() < end)
		poll_ms(20);
	CU_ASSERT_EQUAL(notif_count(ES_MSG_ES4_HANDLE_PROFILE_ENABLED_NOTIF, ICCID2), 1);
	CU_ASSERT_EQUAL(notif_count(ES_MSG_ES4_HANDLE_PROFILE_DISABLED_NOTIF, ICCID1), 1);
	printf("  step 2 (EnableProfile end to end) %.2f s\n", (double)(net_now_ms() - t0) / 1000);
}

/* 3. ES4.AuditEIS: ES5 over HTTPS (SCP81) - push SMS, BIP, PSK-TLS, RAM over HTTP (GET STATUS). */
void test_smsr_e2e_audit_over_https(void)
{
	struct result r;
	struct es_msg *req;
	char state[2048], v[64];
	int64_t t0 = net_now_ms();

	if (skip())
		return;
	req = eid_req(ES_MSG_ES4_AUDIT_EIS_REQ, NULL);
	CU_ASSERT_TRUE(call_smsr(&mno, req, &r, AUDIT_TIMEOUT_MS));
	CU_ASSERT_EQUAL(r.status, ES_STATUS_EXECUTED_SUCCESS);
	CU_ASSERT_EQUAL(state_of(&r, ICCID2), ES_PROFILE_STATE_ENABLED);
	CU_ASSERT_EQUAL(state_of(&r, ICCID1), ES_PROFILE_STATE_DISABLED);
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
