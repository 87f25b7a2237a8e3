/* `rsplab tool scp03 derive` against kaoh/globalplatform's published session (scp03Test.c,
 * mutual_auth(): session keys, card cryptogram, and the host cryptogram inside its EXTERNAL
 * AUTHENTICATE 8482030010 23EBFEDC579D22CD …), with stdout captured through a pipe. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "harness/tool.h"
#include "lib/test/runner.h"

static char err[2048]; /* the last command's stderr */

/* Runs fn(argv) with stdout captured into buf and stderr into err; returns the exit status. */
static int capture(int (*fn)(int, char **), char **argv, char *buf, size_t cap)
{
	int argc = 0, o[2], e[2], saved_o, saved_e, rc;
	ssize_t n;

	while (argv[argc])
		argc++;
	fflush(stdout);
	fflush(stderr);
	CU_ASSERT_FATAL(pipe(o) == 0 && pipe(e) == 0);
	saved_o = dup(STDOUT_FILENO);
	saved_e = dup(STDERR_FILENO);
	dup2(o[1], STDOUT_FILENO);
	dup2(e[1], STDERR_FILENO);
	rc = fn(argc, argv);
	fflush(stdout);
	fflush(stderr);
	dup2(saved_o, STDOUT_FILENO);
	dup2(saved_e, STDERR_FILENO);
	close(saved_o);
	close(saved_e);
	close(o[1]);
	close(e[1]);
	n = read(o[0], buf, cap - 1);
	buf[n > 0 ? n : 0] = '\0';
	n = read(e[0], err, sizeof(err) - 1);
	err[n > 0 ? n : 0] = '\0';
	close(o[0]);
	close(e[0]);
	return rc;
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
