/* Tests of `rsplab tool script` and `rsplab tool eid`: the tool functions are called with argv and
 * their stdout is captured and compared line by line. Vectors as in lib/rscript/rscript_test.c and
 * lib/ids/ids_test.c (osmocom/pysim tests/unittests/test_ota.py, test_euicc.py). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness/tool.h"
#include "lib/test/runner.h"

static char captured[8192];

/* Runs fn with the NULL-terminated argv, stdout into `captured`. Returns the exit status. */
static int run_tool(int (*fn)(int, char **), char **argv)
{
	return test_run_captured(fn, argv, captured, sizeof(captured), NULL, 0);
}

#define RUN(fn, ...) run_tool(fn, (char *[]){ __VA_ARGS__, NULL })

void test_tool_script_build_expanded(void)
{
	/* PYSIM test_multi_capdu_golden */
	CU_ASSERT_EQUAL(RUN(tool_script, "script", "build", "--apdu", "80f24002024f0000", "--apdu", "00a40004023f0000"),
			0);
	CU_ASSERT_STRING_EQUAL(captured, "script=aa14220880f24002024f0000220800a40004023f0000\n");
	/* PYSIM test_cmd_single_golden (indefinite) */
	CU_ASSERT_EQUAL(RUN(tool_script, "script", "build", "--format", "expanded-indefinite", "--apdu", "80CA00E000"),
			0);
	CU_ASSERT_STRING_EQUAL(captured, "script=ae80220580ca00e0000000\n");
	CU_ASSERT_EQUAL(RUN(tool_script, "script", "build", "--chaining", "last", "--apdu", "80ca00e000"), 0);
	CU_ASSERT_STRING_EQUAL(captured, "script=aa0a830103220580ca00e000\n");
	CU_ASSERT_EQUAL(RUN(tool_script, "script", "build", "--format", "compact", "--apdu", "00a4000c023f00", "--apdu",
			    "00b000000a"),
			0);
	CU_ASSERT_STRING_EQUAL(captured, "script=00a4000c023f0000b000000a\n");
}

void test_tool_script_build_errors(void)
{
	CU_ASSERT_EQUAL(RUN(tool_script, "script", "build"), 1);
	CU_ASSERT_EQUAL(RUN(tool_script, "script", "build", "--apdu", "00a40004033f00"), 1); /* Lc 3, 2 bytes */
	CU_ASSERT_EQUAL(RUN(tool_script, "script", "build", "--apdu", "00a4000"), 1);
	CU_ASSERT_EQUAL(RUN(tool_script, "script", "build", "--chaining", "middle", "--apdu", "80ca00e000"), 1);
	CU_ASSERT_EQUAL(RUN(tool_script, "script", "build", "--format", "compact", "--chaining", "last"), 1);
	CU_ASSERT_EQUAL(RUN(tool_script, "script", "build", "--format", "tlv", "--apdu", "80ca00e000"), 1);
	CU_ASSERT_STRING_EQUAL(captured, "");
	CU_ASSERT_EQUAL(RUN(tool_script, "script", "build", "--help"), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(captured, "usage: rsplab tool script build"));
}

void test_tool_script_parse(void)
{
	CU_ASSERT_EQUAL(RUN(tool_script, "script", "parse", "--script", "aa14220880f24002024f0000220800a40004023f0000"),
			0);
	CU_ASSERT_STRING_EQUAL(captured, "format=expanded\ntype=command\napdu.1=80f24002024f0000\n"
					 "apdu.2=00a40004023f0000\nitems=2\n");
	/* PYSIM test_status_only_golden */
	CU_ASSERT_EQUAL(RUN(tool_script, "script", "parse", "--script", "ab0780010123026132"), 0);
	CU_ASSERT_STRING_EQUAL(captured, "format=expanded\ntype=response\ncount=1\ndata.1=\nsw.1=6132\nitems=1\n");
	/* PYSIM test_resp_rfm_golden */
	CU_ASSERT_EQUAL(RUN(tool_script, "script", "parse", "--script",
			    "af802302900023029000230c9888120100004086081490000000"),
			0);
	CU_ASSERT_STRING_EQUAL(captured, "format=expanded-indefinite\ntype=response\ndata.1=\nsw.1=9000\ndata.2=\n"
					 "sw.2=9000\ndata.3=98881201000040860814\nsw.3=9000\nitems=3\n");
	CU_ASSERT_EQUAL(RUN(tool_script, "script", "parse", "--format", "compact-response", "--script", "016132"), 0);
	CU_ASSERT_STRING_EQUAL(captured, "format=compact\ntype=response\ncount=1\nsw=6132\ndata=\n");
	CU_ASSERT_EQUAL(RUN(tool_script, "script", "parse", "--format", "compact", "--script",
			    "00a4000c023f0000a4000c022fe200b000000a"),
			0);
	CU_ASSERT_STRING_EQUAL(captured, "format=compact\ntype=command\napdu.1=00a4000c023f00\n"
					 "apdu.2=00a4000c022fe2\napdu.3=00b000000a\nitems=3\n");
}

void test_tool_script_parse_errors(void)
{
	CU_ASSERT_EQUAL(RUN(tool_script, "script", "parse", "--script", "aa072305 80ca00e000"), 1);  /* unknown tag */
	CU_ASSERT_EQUAL(RUN(tool_script, "script", "parse", "--script", "af8023029000"), 1);	     /* no 00 00 */
	CU_ASSERT_EQUAL(RUN(tool_script, "script", "parse", "--script", "ab0780010123026132ff"), 1); /* trailing */
	CU_ASSERT_EQUAL(RUN(tool_script, "script", "parse", "--format", "compact", "--script", "00a4000c023f"), 1);
	CU_ASSERT_EQUAL(RUN(tool_script, "script", "parse", "--format", "compact-response", "--script", "0161"), 1);
	CU_ASSERT_EQUAL(RUN(tool_script, "script", "parse"), 1);
	CU_ASSERT_EQUAL(RUN(tool_script, "script", "frobnicate"), 2);
}

void test_tool_eid_check(void)
{
	CU_ASSERT_EQUAL(RUN(tool_eid, "eid", "check", "89049032123451234512345678901235"), 0);
	CU_ASSERT_STRING_EQUAL(captured, "ok\n");
	CU_ASSERT_EQUAL(RUN(tool_eid, "eid", "check", "89049032123451234512345678901234"), 1);
	CU_ASSERT_STRING_EQUAL(captured, "");
	CU_ASSERT_EQUAL(RUN(tool_eid, "eid", "check", "8904903212345123451234567890123"), 1);
	CU_ASSERT_EQUAL(RUN(tool_eid, "eid", "--help"), 0);
	CU_ASSERT_EQUAL(RUN(tool_eid, "eid"), 2);
}
