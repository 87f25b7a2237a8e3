/* Per-eUICC SMS transport with real processes (smsr_testnet.h world): ONE rsplab-smsr with both transports,
 * Kannel as the daemon-wide default (--sms-transport kannel) and an --eis-variant rule sending the real
 * card's eUICC (A, by its full EID) over the SMPP ESME; a second EIS (B, a card initialised but not
 * running, with A's ECASD files: the run's PKI holds one eUICC) has no rule and goes over Kannel. The test registers both EIS (ES1) and imports their keys,
 * then asks ES4 AuditEIS of each:
 *   A: GET STATUS over SCP80 as submit_sm on the ESME, the card's PoR back as deliver_sm: Executed-Success;
 *      the daemon's counters (telnet VTY `show counters`) move on SMPP only.
 *   B: the packets go as Kannel sendsms (3 copies with --por-timeout 3 and 2 retransmissions), nobody
 *      answers: Failed; the Kannel counter moved, the SMPP one did not.
 * Every wait is bounded; everything started is stopped and asserted gone. Needs root (network namespace):
 * otherwise the test says why and checks nothing. */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <unistd.h>

#include <osmocom/core/utils.h>
#include <talloc.h>

#include "lib/esnet/esnet.h"
#include "lib/test/runner.h"
#include "network/smsr/smsr_testnet.h"

#define SR_PORT	    28111
#define PEER_PORT   28112 /* no peer runs there: no SM-SR Change in this test */
#define MNO_PORT    28113
#define VPCD_PORT   35991
#define TELNET_PORT "28114"
#define MSISDN_B    "1002"
#define EID_B	    "89001012012341234012345678901224" /* check digits: mod 97 = 1; not A's --auto prefix */

int suite_setup(void)
{
	tn = (struct tn_cfg){ "smsr_eisvar_net", "eisvarnet", SR_PORT, PEER_PORT, MNO_PORT, VPCD_PORT };
	return tn_suite_setup();
}

int suite_teardown(void)
{
	return tn_suite_teardown();
}

static struct es_msg *new_msg(enum es_msg_id id)
{
	struct es_msg *m = talloc_zero(ctx, struct es_msg);

	m->id = id;
	return m;
}

/* The value of the counter whose description is desc in `show counters` over the telnet VTY, or -1. */
static long vty_counter(const char *desc)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(TELNET_PORT)) };
	char buf[32768];
	size_t n = 0;
	long long deadline = now_ms() + 3000;
	const char *p;
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	if (fd < 0)
		return -1;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0 || write(fd, "show counters\r\n", 15) != 15) {
		close(fd);
		return -1;
	}
	/* until the end of the output (the last group's lines) or the bound */
	while (n + 1 < sizeof(buf) && now_ms() < deadline) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		ssize_t r;

		if (poll(&pfd, 1, 200) <= 0) {
			if (strstr(buf, "ES endpoint"))
				break;
			continue;
		}
		r = read(fd, buf + n, sizeof(buf) - 1 - n);
		if (r <= 0)
			break;
		n += (size_t)r;
		buf[n] = '\0';
	}
	buf[n] = '\0';
	close(fd);
	p = strstr(buf, desc);
	return p ? strtol(p + strlen(desc) + 1, NULL, 10) : -1;
}

#define SMPP_MT	  "submit_sm sent (MT):"
#define SMPP_MO	  "deliver_sm received (MO, not receipts):"
#define KANNEL_MT "sendsms requests sent (MT):"

/* rsplab-euicc init of one card (eid NULL: --auto): its EIS (ES1 RegisterEIS body) to eis_path, its keys
 * next to db. */
static bool card_init(const char *db, const char *eis_path, const char *msisdn, const char *eid)
{
	char card_bin[PATH_MAX], pki[PATH_MAX], prof[PATH_MAX], smsr_sms[32];

	snprintf(card_bin, sizeof(card_bin), "%.4000s/rsplab-euicc", bindir);
	path_in(pki, sizeof(pki), "pki");
	path_in(prof, sizeof(prof), "p1.der");
	snprintf(smsr_sms, sizeof(smsr_sms), "1 1 %s", E("SMSR1_SHORT_CODE"));
	const char *argv[] = { card_bin,     "init",	  "--pki",    pki,    eid ? "--eid" : "--auto",
			       eid,	     "--profile", prof,	      "-o",   db,
			       "--smsr-sms", smsr_sms,	  "--msisdn", msisdn, "--smsr-id",
			       SR1_ID,	     "--mno-id",  MNO_ID,     NULL };

	if (!eid) /* no value after --auto */
		memmove(&argv[5], &argv[6], sizeof(argv) - 6 * sizeof(argv[0]));
	return run(argv, eis_path) == 0;
}

/* ES1 RegisterEIS at our SM-SR with the EIS rsplab-euicc init wrote; Executed-Success expected. */
static void register_eis(const char *eis_path)
{
	struct es_msg *m = new_msg(ES_MSG_NONE);
	uint8_t *xml = talloc_size(m, 65536);
	char *arena;
	size_t len;
	struct result r;
	FILE *f = fopen(eis_path, "re");

	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	len = fread(xml, 1, 65536, f);
	fclose(f);
	arena = talloc_size(m, len + 64);
	CU_ASSERT_FATAL(es_msg_decode(m, arena, len + 64, xml, len, NULL, NULL) == 0);
	CU_ASSERT_FATAL(m->id == ES_MSG_ES1_REGISTER_EIS_REQ);
	memset(&m->wsa, 0, sizeof(m->wsa));
	m->u.es1_register_eis_req.function_call_identifier = NULL;
	r = mno_call(SR_PORT, SR1_ID, m, 10000);
	CU_ASSERT_EQUAL(r.rc, 0);
	CU_ASSERT_EQUAL(r.status, ES_STATUS_EXECUTED_SUCCESS);
}

static struct result audit(const uint8_t eid_bin[16], int timeout_ms)
{
	struct es_msg *m = new_msg(ES_MSG_ES4_AUDIT_EIS_REQ);

	m->u.es4_audit_eis_req.present = true;
	m->u.es4_audit_eis_req.eid = (struct es_hex){ eid_bin, 16 };
	return mno_call(SR_PORT, SR1_ID, m, timeout_ms);
}

void test_eisvar_net_two_transports(void)
{
	char db_a[PATH_MAX], db_b[PATH_MAX], eis_a[PATH_MAX], eis_b[PATH_MAX], keys_a[PATH_MAX], keys_b[PATH_MAX],
		rule[64];
	struct card_keys ka, kb;
	struct result r;
	uint8_t eid_a[16], eid_b[16];
	long smpp_mt, smpp_mo, kannel_mt;

	if (skipped) {
		printf("\n  skipped: needs root (network namespace for rsplab net up)\n");
		return;
	}
	path_in(db_a, sizeof(db_a), "card.db");
	path_in(db_b, sizeof(db_b), "card2.db");
	path_in(eis_a, sizeof(eis_a), "eis.xml");
	path_in(eis_b, sizeof(eis_b), "eis2.xml");
	snprintf(keys_a, sizeof(keys_a), "%.3000s/card.db.keys", rundir);
	snprintf(keys_b, sizeof(keys_b), "%.3000s/card2.db.keys", rundir);
	CU_ASSERT_FATAL(card_init(db_a, eis_a, MSISDN1, NULL));
	CU_ASSERT_FATAL(card_keys_read(keys_a, &ka));
	{
		/* the run's PKI holds one eUICC; B never runs, so it borrows A's ECASD files (nothing here checks
		 * B's ECASD: no SM-SR Change) */
		char from[PATH_MAX], to[PATH_MAX];

		snprintf(from, sizeof(from), "%.3000s/pki/euicc/%s", rundir, ka.eid);
		snprintf(to, sizeof(to), "%.3000s/pki/euicc/%s", rundir, EID_B);
		const char *cp_argv[] = { "/bin/cp", "-a", from, to, NULL };
		CU_ASSERT_FATAL(run(cp_argv, NULL) == 0);
	}
	CU_ASSERT_FATAL(card_init(db_b, eis_b, MSISDN_B, EID_B));
	CU_ASSERT_FATAL(card_keys_read(keys_b, &kb));
	CU_ASSERT_FATAL(strcmp(ka.eid, kb.eid) != 0);
	CU_ASSERT_FATAL(osmo_hexparse(ka.eid, eid_a, sizeof(eid_a)) == 16);
	CU_ASSERT_FATAL(osmo_hexparse(kb.eid, eid_b, sizeof(eid_b)) == 16);
	printf("  A %s (the running card, rule: smpp), B %s (no card, default: kannel)\n", ka.eid, kb.eid);

	/* the whole EID of A as the prefix */
	snprintf(rule, sizeof(rule), "%s:sms-transport=smpp", ka.eid);
	const char *extra[] = { "--eis-variant", rule, "--por-timeout", "3", "-T", TELNET_PORT, NULL };
	CU_ASSERT_FATAL(mno_start());
	sr1_pid = smsr_start("smsr1", SR1_ID, SR_PORT, "kannel", SR2_ID, PEER_PORT, false, extra);
	if (!wait_port(SR_PORT, sr1_pid, 100)) {
		CU_FAIL("rsplab-smsr did not start");
		goto out;
	}
	if (!dut_start(db_a)) {
		CU_FAIL("the device with the card did not attach");
		goto out;
	}
	register_eis(eis_a);
	register_eis(eis_b);
	CU_ASSERT_FATAL(sr1_keys_import(keys_a));
	CU_ASSERT_FATAL(sr1_keys_import(keys_b));
	CU_ASSERT_EQUAL(vty_counter(SMPP_MT), 0);
	CU_ASSERT_EQUAL(vty_counter(KANNEL_MT), 0);

	/* A over SMPP, both ways */
	r = audit(eid_a, 30000);
	CU_ASSERT_EQUAL(r.rc, 0);
	CU_ASSERT_EQUAL(r.status, ES_STATUS_EXECUTED_SUCCESS);
	smpp_mt = vty_counter(SMPP_MT);
	smpp_mo = vty_counter(SMPP_MO);
	kannel_mt = vty_counter(KANNEL_MT);
	printf("  after AuditEIS A: submit_sm %ld, deliver_sm %ld, sendsms %ld\n", smpp_mt, smpp_mo, kannel_mt);
	CU_ASSERT(smpp_mt >= 1);
	CU_ASSERT(smpp_mo >= 1);
	CU_ASSERT_EQUAL(kannel_mt, 0);

	/* B over Kannel: sent, never answered */
	r = audit(eid_b, 30000);
	CU_ASSERT_EQUAL(r.rc, 0);
	CU_ASSERT_EQUAL(r.status, ES_STATUS_FAILED);
	kannel_mt = vty_counter(KANNEL_MT);
	printf("  after AuditEIS B: submit_sm %ld, sendsms %ld\n", vty_counter(SMPP_MT), kannel_mt);
	CU_ASSERT_EQUAL(vty_counter(SMPP_MT), smpp_mt);
	CU_ASSERT(kannel_mt >= 3); /* first copy + 2 retransmissions */
out:
	CU_ASSERT(stop_pid(&dev_pid) >= 0);
	CU_ASSERT(stop_pid(&card_pid) >= 0);
	CU_ASSERT(stop_pid(&sr1_pid) == 0);
	esnet_free(mno);
	mno = NULL;
	reap();
	memset(&ka, 0, sizeof(ka));
	memset(&kb, 0, sizeof(kb));
}

/* Last: net down, nothing of ours left. */
void test_eisvar_net_down(void)
{
	if (skipped)
		return;
	tn_net_down_check();
}
