/* `rsplab tool eid check EID`: the EID check digits (SGP.29 §10, ISO/IEC 7064 MOD 97-10; lib/ids). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "harness/cli.h"
#include "harness/tool.h"
#include "lib/ids/ids.h"

static int usage(FILE *out)
{
	fprintf(out, "usage: rsplab tool eid check EID\n"
		     "Checks the two check digits of a 32-digit EID (98 - N mod 97 over the EID with 00 in\n"
		     "their place). Prints 'ok', or exits 1 naming the expected check digits.\n");
	return out == stdout ? 0 : 2;
}

int tool_eid(int argc, char **argv)
{
	unsigned int expected;
	const char *eid;
	int rc;

	if (argc > 1 && cli_is_help(argv[1]))
		return usage(stdout);
	if (argc > 2 && strcmp(argv[1], "check") == 0 && cli_is_help(argv[2]))
		return usage(stdout);
	if (argc != 3 || strcmp(argv[1], "check") != 0)
		return usage(stderr);
	eid = argv[2];
	rc = ids_eid_verify(eid, strlen(eid), &expected);
	if (rc == -EINVAL) {
		fprintf(stderr, "eid: '%s' is not 32 decimal digits\n", eid);
		return 1;
	}
	if (rc < 0) {
		fprintf(stderr, "eid: wrong check digits %.2s, expected %02u (%.30s%02u)\n", eid + 30, expected, eid,
			expected);
		return 1;
	}
	printf("ok\n");
	return 0;
}
