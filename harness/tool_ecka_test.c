/* `rsplab tool ecka` and `rsplab tool x963-kdf` against the recomputed SGP.02 key establishment of
 * sgp02-open-questions.md §15 V3 (eSK.DP × PK.ECASD.ECKA → ShS → KeyData) and pySim's SGP.22 BSP
 * vector (tests/unittests/test_esim_bsp.py, §15 V6) (stdout captured by the shared test runner). */
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

static char esk_dp[] = "4FFC58BA23F4A6825BFF0B5612BE37DDF1257E183672499DDE6EBD80FD3E4D3C";
static char pk_ecasd[] = "043F157A6242EC54888EB50967BD84D1A885E51D66B2F6CD135354724C91D790ED"
			 "B48B015F6B272DF50E49EAB2E1383BF0EEB0E9848543B971397D274D88E8EA77";

void test_tool_ecka_v3(void)
{
	char *argv[] = { "ecka", "--curve", "p256", "--private", esk_dp, "--peer-public", pk_ecasd, NULL };
	char out[256];

	CU_ASSERT_EQUAL(capture(tool_ecka, argv, out, sizeof(out)), 0);
	CU_ASSERT_STRING_EQUAL(out, "shs=b41c57b3e9bdfd26e5c361cad7b763c54b8d33df9b06b1fddb8cb65a7b5ac75d\n");
}

void test_tool_ecka_errors(void)
{
	char bad_point[sizeof(pk_ecasd)];
	char *wrong_curve[] = { "ecka", "--curve",	 "brainpoolp256r1", "--private",
				esk_dp, "--peer-public", pk_ecasd,	    NULL };
	char *no_curve[] = { "ecka", "--curve", "p384", "--private", esk_dp, "--peer-public", pk_ecasd, NULL };
	char *off_curve[] = { "ecka", "--curve", "p256", "--private", esk_dp, "--peer-public", bad_point, NULL };
	char *missing[] = { "ecka", "--curve", "p256", NULL };
	char *help[] = { "ecka", "--help", NULL };
	char out[1024];

	memcpy(bad_point, pk_ecasd, sizeof(pk_ecasd));
	bad_point[sizeof(bad_point) - 2] = bad_point[sizeof(bad_point) - 2] == '0' ? '1' : '0';
	/* the P-256 point is not on brainpoolP256r1 */
	CU_ASSERT_EQUAL(capture(tool_ecka, wrong_curve, out, sizeof(out)), 1);
	CU_ASSERT_STRING_EQUAL(out, "");
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "not an uncompressed point"));
	CU_ASSERT_EQUAL(capture(tool_ecka, no_curve, out, sizeof(out)), 1);
	CU_ASSERT_EQUAL(capture(tool_ecka, off_curve, out, sizeof(out)), 1);
	CU_ASSERT_EQUAL(capture(tool_ecka, missing, out, sizeof(out)), 2);
	CU_ASSERT_EQUAL(capture(tool_ecka, help, out, sizeof(out)), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "--peer-public"));
}

void test_tool_x963_kdf_vectors(void)
{
	char *v3[] = { "x963-kdf",
		       "--z",
		       "B41C57B3E9BDFD26E5C361CAD7B763C54B8D33DF9B06B1FDDB8CB65A7B5AC75D",
		       "--shared-info",
		       "108810",
		       "--length",
		       "64",
		       NULL };
	char *v6[] = { "x963-kdf",
		       "--z",
		       "8902dca391bbb22570fe60c176076246f568b1941265dff1d729e63039658089",
		       "--shared-info",
		       "88100880808080808080801089049032123451234512345678901335",
		       "--length",
		       "48",
		       NULL };
	char out[512];

	CU_ASSERT_EQUAL(capture(tool_x963_kdf, v3, out, sizeof(out)), 0);
	CU_ASSERT_STRING_EQUAL(out, "key=934a62019e6f7832bba601e32bba0ddd533af4efc4096f331a7361afbfbcfda1"
				    "e9e10e0bb335081d5ed498f63850ac82b01c437002cc21587cf95c145aa529b0\n");
	CU_ASSERT_EQUAL(capture(tool_x963_kdf, v6, out, sizeof(out)), 0);
	CU_ASSERT_STRING_EQUAL(out, "key=734bc93ddb10c71c5ad13d420dc08b5bd782d575b22a38334556a3d9a1e2ae6b"
				    "a35addc192ae8f934e2932116c7e89e7\n");
}

void test_tool_x963_kdf_errors(void)
{
	char *zero[] = { "x963-kdf", "--z", "00", "--shared-info", "", "--length", "0", NULL };
	char *big[] = { "x963-kdf", "--z", "00", "--shared-info", "", "--length", "4097", NULL };
	char *junk[] = { "x963-kdf", "--z", "00", "--shared-info", "", "--length", "12x", NULL };
	char *empty_z[] = { "x963-kdf", "--z", "", "--shared-info", "", "--length", "4", NULL };
	char *ok_empty_si[] = { "x963-kdf", "--z", "00", "--shared-info", "", "--length", "4", NULL };
	char *help[] = { "x963-kdf", "-h", NULL };
	char out[512];

	CU_ASSERT_EQUAL(capture(tool_x963_kdf, zero, out, sizeof(out)), 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "--length"));
	CU_ASSERT_EQUAL(capture(tool_x963_kdf, big, out, sizeof(out)), 1);
	CU_ASSERT_EQUAL(capture(tool_x963_kdf, junk, out, sizeof(out)), 1);
	CU_ASSERT_EQUAL(capture(tool_x963_kdf, empty_z, out, sizeof(out)), 1);
	CU_ASSERT_EQUAL(capture(tool_x963_kdf, ok_empty_si, out, sizeof(out)), 0);
	CU_ASSERT_EQUAL(strlen(out), strlen("key=") + 8 + 1);
	CU_ASSERT_EQUAL(capture(tool_x963_kdf, help, out, sizeof(out)), 0);
}
