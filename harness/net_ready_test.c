/* Unit tests: readiness-check parsers (harness/net_ready.h), on text captured from the real daemons
 * (Debian 12: osmo-hlr 1.5.0, osmo-stp 1.6.0, Kannel 1.4.5) on this project's machines. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "harness/net_ready.h"
#include "lib/test/runner.h"

/* /proc/net/tcp inside a `rsplab net up` namespace (trimmed: 127.0.0.1:2905 and 127.0.0.22:2775 listen) */
static const char proc_tcp[] = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  "
			       "timeout inode\n"
			       "   0: 0100007F:0B59 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0      "
			       "  0 49328 1 0 100 0 0 10 0\n"
			       "   1: 1600007F:0AD7 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0      "
			       "  0 49877 1 0 100 0 0 10 0\n"
			       "   2: 0100007F:AFEC 1F00007F:32C9 01 00000000:00000000 00:00000000 00000000     0      "
			       "  0 49456 1 0 20 0 0 11 -1\n"
			       "   3: 00000000:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0      "
			       "  0 49999 1 0 100 0 0 10 0\n";

void test_net_ready_proc_tcp(void)
{
	size_t n = strlen(proc_tcp);

	CU_ASSERT_EQUAL(net_proc_tcp_listening(proc_tcp, n, "127.0.0.1", 2905), 1);
	CU_ASSERT_EQUAL(net_proc_tcp_listening(proc_tcp, n, "127.0.0.22", 2775), 1);
	/* right port, wrong address; established (01) is not listening; 0.0.0.0 counts for all */
	CU_ASSERT_EQUAL(net_proc_tcp_listening(proc_tcp, n, "127.0.0.23", 2775), 0);
	CU_ASSERT_EQUAL(net_proc_tcp_listening(proc_tcp, n, "127.0.0.1", 0xAFEC), 0);
	CU_ASSERT_EQUAL(net_proc_tcp_listening(proc_tcp, n, "127.0.0.31", 8080), 1);
	CU_ASSERT_EQUAL(net_proc_tcp_listening(proc_tcp, n, "127.0.0.1", 4239), 0);
	CU_ASSERT_EQUAL(net_proc_tcp_listening(proc_tcp, n, "not-an-ip", 1), -EINVAL);
	CU_ASSERT_EQUAL(net_proc_tcp_listening("garbage\n", 8, "127.0.0.1", 1), -EBADMSG);
	CU_ASSERT_EQUAL(net_proc_tcp_listening("", 0, "127.0.0.1", 1), -EBADMSG);
	/* every truncation: never a false positive beyond what the prefix shows, never an overread */
	for (size_t k = 0; k < n; k++) {
		char *copy = malloc(k ? k : 1);
		memcpy(copy, proc_tcp, k);
		int rc = net_proc_tcp_listening(copy, k, "127.0.0.31", 8080);
		CU_ASSERT(rc == 0 || rc == -EBADMSG ||
			  (rc == 1 && k >= (size_t)(strstr(proc_tcp, "   3:") - proc_tcp) + 6 + 30));
		free(copy);
	}
}

void test_net_ready_log(void)
{
	/* osmo-msc 1.9 log, as `net up` waits for it (network-lab §7) */
	const char *log = "Sat Nov 28 08:34:59 2026 DSGS NOTICE <0012> sgs_server.c:186 SGs socket bound\n"
			  "Sat Nov 28 08:35:01 2026 DLM3UA NOTICE <0023> m3ua.c:623 0: asp-asp-clnt-msc-mno2: Received "
			  "NOTIFY Type State Change:AS Inactive ()\n"
			  "Sat Nov 28 08:35:01 2026 DLM3UA NOTICE <0023> m3ua.c:623 0: asp-asp-clnt-msc-mno2: Received "
			  "NOTIFY Type State Change:AS Active ()\n   \n";
	const char *needle = "Received NOTIFY Type State Change:AS Active";
	char last[64];

	CU_ASSERT_TRUE(net_log_has(log, strlen(log), needle));
	CU_ASSERT_FALSE(net_log_has(log, strstr(log, "AS Active") - log, needle));
	CU_ASSERT_FALSE(net_log_has("AS\nActive", 9, "AS Active"));
	CU_ASSERT_EQUAL(net_log_last_line(log, strlen(log), last, sizeof(last)), sizeof(last) - 1);
	CU_ASSERT_EQUAL(strncmp(last, "Sat Nov 28 08:35:01 2026 DLM3UA", 31), 0);
	CU_ASSERT_EQUAL(net_log_last_line("\n \n", 3, last, sizeof(last)), 0);
	CU_ASSERT_STRING_EQUAL(last, "");
	CU_ASSERT_EQUAL(net_log_last_line("a\x01\xff", 3, last, sizeof(last)), 3);
	CU_ASSERT_STRING_EQUAL(last, "a??");
}

/* Kannel 1.4.5 bearerbox /status.txt (trimmed), captured with bearerbox bound to osmo-msc */
static const char kannel_status[] = "Kannel bearerbox version `1.4.5'.\n"
				    "Status: running, uptime 0d 0h 0m 2s\n\n"
				    "Box connections:\n"
				    "    smsbox:(none), IP 127.0.0.1 (0 queued), (on-line 0d 0h 0m 1s)  \n\n\n"
				    "SMSC connections:\n"
				    "    mno2msc[mno2msc]    SMPP:127.0.0.22:2775/2775:kannel: (online 2s, rcvd: sms 0 "
				    "(0.00,0.00,0.00) / dlr 0 (0.00,0.00,0.00), failed 0, queued 0 msgs)\n"
				    "    other[other]    SMPP:127.0.0.9:2775/2775:x: (re-connecting, rcvd: sms 0)\n\n";

void test_net_ready_kannel_status(void)
{
	size_t n = strlen(kannel_status);
	char state[16];

	CU_ASSERT_EQUAL(net_kannel_smsc_state(kannel_status, n, "mno2msc", state, sizeof(state)), 1);
	CU_ASSERT_STRING_EQUAL(state, "online");
	CU_ASSERT_EQUAL(net_kannel_smsc_state(kannel_status, n, "other", state, sizeof(state)), 0);
	CU_ASSERT_STRING_EQUAL(state, "re-connecting");
	CU_ASSERT_EQUAL(net_kannel_smsc_state(kannel_status, n, "mno2", state, sizeof(state)), -ENOENT);
	CU_ASSERT_EQUAL(net_kannel_smsc_state(kannel_status, n, "", state, sizeof(state)), -EINVAL);
	CU_ASSERT_EQUAL(net_kannel_smsc_state("<html>", 6, "mno2msc", state, sizeof(state)), -EBADMSG);
	CU_ASSERT_EQUAL(net_kannel_smsbox_count(kannel_status, n), 1);
	CU_ASSERT_EQUAL(net_kannel_smsbox_count("Box connections:\n\nSMSC", 22), 0);
	CU_ASSERT_EQUAL(net_kannel_smsbox_count("nothing", 7), -EBADMSG);
	for (size_t k = 0; k < n; k++) {
		char *copy = malloc(k ? k : 1);
		memcpy(copy, kannel_status, k);
		net_kannel_smsc_state(copy, k, "mno2msc", state, sizeof(state));
		net_kannel_smsbox_count(copy, k);
		free(copy);
	}
}

void test_net_ready_telnet_and_prompt(void)
{
	/* libosmovty greets with IAC WILL ECHO, IAC WILL SGA, IAC DONT LINEMODE, then the banner */
	uint8_t buf[] = "\xff\xfb\x01\xff\xfb\x03\xff\xfe\x22Welcome\r\n\xff\xfa\x18\x01\xff\xf0OsmoHLR> ";
	size_t n = net_telnet_strip(buf, sizeof(buf) - 1);

	CU_ASSERT_EQUAL(n, strlen("Welcome\r\nOsmoHLR> "));
	CU_ASSERT_EQUAL(memcmp(buf, "Welcome\r\nOsmoHLR> ", n), 0);
	CU_ASSERT_TRUE(net_vty_prompt_at_end((char *)buf, n));
	uint8_t iac2[] = { 'a', 0xff, 0xff, 'b', 0xff };
	CU_ASSERT_EQUAL(net_telnet_strip(iac2, sizeof(iac2)), 3);
	CU_ASSERT_EQUAL(iac2[1], 0xff);

	CU_ASSERT_TRUE(net_vty_prompt_at_end("x\r\nOsmoMSC# ", 12));
	CU_ASSERT_TRUE(net_vty_prompt_at_end("OsmoSTP(config-cs7)# ", 21));
	CU_ASSERT_FALSE(net_vty_prompt_at_end("OsmoHLR>", 8));
	CU_ASSERT_FALSE(net_vty_prompt_at_end("KI=00 # ", 8));
	CU_ASSERT_FALSE(net_vty_prompt_at_end("\n> ", 3));
	CU_ASSERT_FALSE(net_vty_prompt_at_end("", 0));
}

void test_net_ready_vty_reply(void)
{
	CU_ASSERT_FALSE(net_vty_reply_failed("% Created subscriber 001010000000001\r\n", 38));
	CU_ASSERT_FALSE(net_vty_reply_failed("% Updated subscriber IMSI='001010000000001' to MSISDN='1001'\r\n", 62));
	CU_ASSERT_FALSE(net_vty_reply_failed("", 0));
	CU_ASSERT_TRUE(net_vty_reply_failed("% Unknown command.\r\n", 20));
	CU_ASSERT_TRUE(net_vty_reply_failed("x\n% Error: cannot create subscriber\n", 36));
}

void test_net_ready_hlr_subscriber(void)
{
	/* osmo-hlr 1.5 `show subscriber imsi ...` (keys are the test vectors of network-lab §3) */
	const char *mil = "    ID: 1\r\n    IMSI: 001020000000002\r\n    MSISDN: 2002\r\n    3G auth: MILENAGE\r\n"
			  "             K=00112233445566778899aabbccddeeff\r\n"
			  "             OPC=0f0e0d0c0b0a09080706050403020100\r\n             IND-bitlen=5\r\n";
	const char *c128 = "    ID: 1\n    IMSI: 001010000000001\n    MSISDN: none\n    2G auth: COMP128v1\n"
			   "             KI=000102030405060708090a0b0c0d0e0f\n";
	struct net_hlr_sub_view v;

	CU_ASSERT_EQUAL(net_hlr_sub_parse(mil, strlen(mil), &v), 0);
	CU_ASSERT_STRING_EQUAL(v.imsi, "001020000000002");
	CU_ASSERT_STRING_EQUAL(v.msisdn, "2002");
	CU_ASSERT_STRING_EQUAL(v.algo_3g, "MILENAGE");
	CU_ASSERT_STRING_EQUAL(v.algo_2g, "");
	CU_ASSERT_TRUE(v.has_k && v.has_opc && !v.has_ki);

	CU_ASSERT_EQUAL(net_hlr_sub_parse(c128, strlen(c128), &v), 0);
	CU_ASSERT_STRING_EQUAL(v.imsi, "001010000000001");
	CU_ASSERT_STRING_EQUAL(v.msisdn, "");
	CU_ASSERT_STRING_EQUAL(v.algo_2g, "COMP128v1");
	CU_ASSERT_TRUE(v.has_ki && !v.has_k);

	CU_ASSERT_EQUAL(net_hlr_sub_parse("% No subscriber for imsi = '1'\r\n", 32, &v), -ENOENT);
	CU_ASSERT_EQUAL(net_hlr_sub_parse("hello\n", 6, &v), -EBADMSG);
	for (size_t k = 0; k < strlen(mil); k++) {
		char *copy = malloc(k ? k : 1);
		memcpy(copy, mil, k);
		int rc = net_hlr_sub_parse(copy, k, &v);
		CU_ASSERT(rc == 0 || rc == -EBADMSG);
		free(copy);
	}
}
