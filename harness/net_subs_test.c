/* Unit tests: the RUNDIR/subscribers file (harness/net_subs.h). Keys are network-lab §3's test keys. */
#include <errno.h>
#include <string.h>

#include "harness/net_subs.h"
#include "lib/test/runner.h"

void test_net_subs_parse_ok(void)
{
	const char *t = "# HLR,IMSI,MSISDN,ALGO,KEY[,OPC]\n\n"
			"mno1,001010000000001,1001,comp128v1,000102030405060708090a0b0c0d0e0f\r\n"
			"mno2,001020000000002,2002,milenage,00112233445566778899aabbccddeeff,"
			"0f0e0d0c0b0a09080706050403020100";
	struct net_sub s[4];
	unsigned int line;

	CU_ASSERT_EQUAL(net_subs_parse(t, strlen(t), s, 4, &line), 2);
	CU_ASSERT_EQUAL(s[0].hlr, NET_HLR_MNO1);
	CU_ASSERT_STRING_EQUAL(s[0].imsi, "001010000000001");
	CU_ASSERT_STRING_EQUAL(s[0].msisdn, "1001");
	CU_ASSERT_EQUAL(s[0].algo, NET_AUTH_COMP128V1);
	TEST_ASSERT_HEX_EQ(s[0].key, 16, "000102030405060708090a0b0c0d0e0f");
	CU_ASSERT_EQUAL(s[1].hlr, NET_HLR_MNO2);
	CU_ASSERT_EQUAL(s[1].algo, NET_AUTH_MILENAGE);
	TEST_ASSERT_HEX_EQ(s[1].opc, 16, "0f0e0d0c0b0a09080706050403020100");
	CU_ASSERT_EQUAL(net_subs_parse(t, strlen(t), s, 1, &line), -ENOSPC);
}

void test_net_subs_parse_rejects(void)
{
	static const char *const bad[] = {
		"mno3,001010000000001,1001,comp128v1,000102030405060708090a0b0c0d0e0f",
		"mno1,0010,1001,comp128v1,000102030405060708090a0b0c0d0e0f",
		"mno1,0010100000000011,1001,comp128v1,000102030405060708090a0b0c0d0e0f",
		"mno1,001010000000001,,comp128v1,000102030405060708090a0b0c0d0e0f",
		"mno1,001010000000001,10 1,comp128v1,000102030405060708090a0b0c0d0e0f",
		"mno1,001010000000001,1001,comp128v2,000102030405060708090a0b0c0d0e0f",
		"mno1,001010000000001,1001,comp128v1,000102030405060708090a0b0c0d0e",
		"mno1,001010000000001,1001,comp128v1,000102030405060708090a0b0c0d0e0g",
		"mno1,001010000000001,1001,comp128v1,000102030405060708090a0b0c0d0e0f,00",
		"mno2,001020000000002,2002,milenage,00112233445566778899aabbccddeeff",
		"mno2,001020000000002,2002,milenage,00112233445566778899aabbccddeeff,0f0e;reboot",
		"mno1,001010000000001,1001,comp128v1,000102030405060708090a0b0c0d0e0f,a,b",
		"mno1,001010000000001",
	};
	struct net_sub s[2];
	unsigned int line;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char text[256];
		int n = snprintf(text, sizeof(text), "# c\n%s\n", bad[i]);
		int rc = net_subs_parse(text, (size_t)n, s, 2, &line);
		CU_ASSERT(rc == -EINVAL || rc == -EBADMSG);
		CU_ASSERT_EQUAL(line, 2);
	}
}
