/* The `rsplab tool scp80` forms of issue 3, run in-process: they must print the pySim vector bytes
 * exactly (pySim tests/unittests/test_ota.py, SmsOtaTestCase "AES128-SJA5-CIPHERED-CC" and
 * "3DES-SJA5-CIPHERED-CC", = digest §5.1) and exit 1 on a bad CC or counter. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness/tool.h"
#include "lib/test/runner.h"

#define AES_KIC "200102030405060708090a0b0c0d0e0f"
#define AES_KID "201102030405060708090a0b0c0d0e0f"
#define DES_KIC "300102030405060708090a0b0c0d0e0f"
#define DES_KID "301102030405060708090a0b0c0d0e0f"
#define AES_CMD "00281506192222b00011e87cceebb2d93083011ce294f93fc4d8de80da1abae8c37ca3e72ec4432e5058"
#define AES_POR "027100002412b00011ebc6b497e2cad7aedf36ace0e3a29b38853f0fe9ccde81913be5702b73abce1f"
#define DES_CMD "00201506193535b00011ae733256918d050b87c94fbfe12e4dc402f262c41cf67f2f"
#define DES_POR "027100001c12b000118bb989492c632529326a2f4681feb37c825bc9021c9f6d0b"

static char captured[8192];

/* Runs tool_scp80 with stdout (into captured) and stderr captured. */
static int run(char **argv)
{
	return test_run_captured(tool_scp80, argv, captured, sizeof(captured), NULL, 0);
}

void test_tool_scp80_wrap_pysim(void)
{
	char *aes[] = { "scp80",  "wrap",	"--spi",  "0619",	    "--kic", "22",    "--kid",
			"22",	  "--kic-key",	AES_KIC,  "--kid-key",	    AES_KID, "--tar", "b00011",
			"--cntr", "0000000000", "--data", "00a40004023f00", NULL };
	char *des[] = { "scp80",  "wrap",	"--spi",  "0619",	    "--kic", "35",    "--kid",
			"35",	  "--kic-key",	DES_KIC,  "--kid-key",	    DES_KID, "--tar", "b00011",
			"--cntr", "0000000000", "--data", "00a40004023f00", NULL };

	CU_ASSERT_EQUAL(run(aes), 0);
	CU_ASSERT_STRING_EQUAL(captured, "packet=" AES_CMD "\n");
	CU_ASSERT_EQUAL(run(des), 0);
	CU_ASSERT_STRING_EQUAL(captured, "packet=" DES_CMD "\n");
}

void test_tool_scp80_unwrap_pysim(void)
{
	char *argv[] = { "scp80", "unwrap", "--kic-key", AES_KIC, "--kid-key", AES_KID, "--packet", AES_CMD, NULL };

	CU_ASSERT_EQUAL(run(argv), 0);
	CU_ASSERT_STRING_EQUAL(captured, "spi=0619\nkic=22\nkid=22\ntar=b00011\ncntr=0000000000\npcntr=0b\n"
					 "data=00a40004023f00\n");
}

void test_tool_scp80_por_pysim(void)
{
	char *aes[] = { "scp80",  "por",	"--spi",    "0619",	 "--kic",  "22",     "--kid",
			"22",	  "--kic-key",	AES_KIC,    "--kid-key", AES_KID,  "--tar",  "b00011",
			"--cntr", "0000000000", "--status", "00",	 "--data", "016132", NULL };
	char *des[] = { "scp80",  "por",	"--spi",    "0619",	 "--kic",  "35",     "--kid",
			"35",	  "--kic-key",	DES_KIC,    "--kid-key", DES_KID,  "--tar",  "b00011",
			"--cntr", "0000000000", "--status", "00",	 "--data", "016132", NULL };

	CU_ASSERT_EQUAL(run(aes), 0);
	CU_ASSERT_STRING_EQUAL(captured, "por=" AES_POR "\n");
	CU_ASSERT_EQUAL(run(des), 0);
	CU_ASSERT_STRING_EQUAL(captured, "por=" DES_POR "\n");
}

void test_tool_scp80_por_parse_pysim(void)
{
	char *argv[] = { "scp80",     "por-parse", "--spi",	"0619",	 "--kic", "22",	   "--kid", "22",
			 "--kic-key", AES_KIC,	   "--kid-key", AES_KID, "--por", AES_POR, NULL };

	CU_ASSERT_EQUAL(run(argv), 0);
	CU_ASSERT_STRING_EQUAL(captured, "tar=b00011\ncntr=0000000000\npcntr=0e\nstatus=00\ndata=016132\n");
}

void test_tool_scp80_bad_cc(void)
{
	/* the pySim AES command with its last byte changed; the pySim PoR with one CC byte changed */
	char pkt[] = AES_CMD, por[] = AES_POR;
	char *unwrap[] = { "scp80", "unwrap", "--kic-key", AES_KIC, "--kid-key", AES_KID, "--packet", pkt, NULL };
	char *parse[] = { "scp80",     "por-parse", "--spi",	 "0619",  "--kic", "22", "--kid", "22",
			  "--kic-key", AES_KIC,	    "--kid-key", AES_KID, "--por", por,	 NULL };

	pkt[strlen(pkt) - 1] = '9';
	CU_ASSERT_EQUAL(run(unwrap), 1);
	CU_ASSERT_STRING_EQUAL(captured, "");
	/* the PoR is ciphered: change a byte of the clear TAR, which the CC covers */
	por[13] = por[13] == '1' ? '2' : '1';
	CU_ASSERT_EQUAL(run(parse), 1);
	CU_ASSERT_STRING_EQUAL(captured, "");
}

void test_tool_scp80_counter(void)
{
	/* SPI 16 39 (rsplab default): counter must be higher. Wrap counter 5, then unwrap against 4 (ok),
	 * 5 (replay) and 6 (too low). */
	char *wrap[] = { "scp80",  "wrap",	 "--spi",  "1639",	"--kic", "12",	  "--kid",
			 "12",	   "--kic-key",	 AES_KIC,  "--kid-key", AES_KID, "--tar", "000001",
			 "--cntr", "0000000005", "--data", "aabb",	NULL };
	char pkt[256], last[16];
	char *unwrap[] = { "scp80",	  "unwrap", "--kic-key", AES_KIC, "--kid-key", AES_KID,
			   "--last-cntr", last,	    "--packet",	 pkt,	  NULL };

	CU_ASSERT_EQUAL_FATAL(run(wrap), 0);
	CU_ASSERT_EQUAL_FATAL(strncmp(captured, "packet=", 7), 0);
	snprintf(pkt, sizeof(pkt), "%.*s", (int)(strcspn(captured + 7, "\n")), captured + 7);
	strcpy(last, "0000000004");
	CU_ASSERT_EQUAL(run(unwrap), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(captured, "cntr=0000000005\n"));
	strcpy(last, "0000000005");
	CU_ASSERT_EQUAL(run(unwrap), 1);
	strcpy(last, "0000000006");
	CU_ASSERT_EQUAL(run(unwrap), 1);
}

void test_tool_scp80_usage(void)
{
	char *help[] = { "scp80", "--help", NULL };
	char *sub_help[] = { "scp80", "unwrap", "--help", NULL };
	char *missing[] = { "scp80", "wrap", "--spi", "0619", NULL };
	char *bad_hex[] = { "scp80", "unwrap", "--packet", "00zz", NULL };
	char *short_pkt[] = { "scp80", "unwrap", "--packet", "0028150619", NULL };

	CU_ASSERT_EQUAL(run(help), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(captured, "por-parse"));
	CU_ASSERT_EQUAL(run(sub_help), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(captured, "--last-cntr"));
	CU_ASSERT_EQUAL(run(missing), 2);
	CU_ASSERT_EQUAL(run(bad_hex), 1);
	CU_ASSERT_EQUAL(run(short_pkt), 1);
	CU_ASSERT_STRING_EQUAL(captured, "");
}
