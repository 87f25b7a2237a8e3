/* `rsplab tool scp03 derive` against kaoh/globalplatform's published session (scp03Test.c,
 * mutual_auth(): session keys, card cryptogram, and the host cryptogram inside its EXTERNAL
 * AUTHENTICATE 8482030010 23EBFEDC579D22CD …) (stdout captured by the shared test runner). */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "harness/tool.h"
#include "lib/test/runner.h"

static char err[2048]; /* the last command's stderr */

/* Runs fn(argv) with stdout captured into buf and stderr into err; returns the exit status. */
static int capture(int (*fn)(int, char **), char **argv, char *buf, size_t cap)
{
	return test_run_captured(fn, argv, buf, cap, err, sizeof(err));
}

void test_tool_scp03_derive_kaoh(void)
{
	char *argv[] = { "scp03",
			 "derive",
			 "--enc",
			 "F995D0A069335C7DF42E590317FFEA6D",
			 "--mac",
			 "58563362EC5A4541ABCD32B34B1EAE7D",
			 "--host-challenge",
			 "9BD6BF878FB8E991",
			 "--card-challenge",
			 "3C80C2CC87EB3A35",
			 NULL };
	char out[1024];

	CU_ASSERT_EQUAL(capture(tool_scp03, argv, out, sizeof(out)), 0);
	CU_ASSERT_STRING_EQUAL(out, "s_enc=d83ee38c9954c8078987a5e9ee6ab13c\n"
				    "s_mac=6ff37716e0413065e8dfd08bf1e9ec5e\n"
				    "s_rmac=0254c786e57aca8982670c1c1a05ff12\n"
				    "card_cryptogram=e4edba35e629c336\n"
				    "host_cryptogram=23ebfedc579d22cd\n");
}

void test_tool_scp03_errors(void)
{
	char *short_key[] = { "scp03",
			      "derive",
			      "--enc",
			      "F995",
			      "--mac",
			      "5856",
			      "--host-challenge",
			      "9BD6BF878FB8E991",
			      "--card-challenge",
			      "3C80C2CC87EB3A35",
			      NULL };
	char *missing[] = { "scp03", "derive", "--enc", "F995D0A069335C7DF42E590317FFEA6D", NULL };
	char *bad_hex[] = { "scp03", "derive",		 "--enc", "zz", "--mac", "00", "--host-challenge",
			    "00",    "--card-challenge", "00",	  NULL };
	char *help[] = { "scp03", "--help", NULL };
	char out[2048];

	CU_ASSERT_EQUAL(capture(tool_scp03, short_key, out, sizeof(out)), 1);
	CU_ASSERT_STRING_EQUAL(out, "");
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "16, 24 or 32 bytes"));
	CU_ASSERT_EQUAL(capture(tool_scp03, missing, out, sizeof(out)), 2);
	CU_ASSERT_EQUAL(capture(tool_scp03, bad_hex, out, sizeof(out)), 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "not a hex digit"));
	CU_ASSERT_EQUAL(capture(tool_scp03, help, out, sizeof(out)), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "usage: rsplab tool scp03 derive"));
}
