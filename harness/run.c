/* `rsplab run`: the scenario runner. The components a scenario needs (SM-SR, SM-DP, eUICC, device,
 * core network) do not exist yet, so it says so instead of pretending to run anything. */
#include <stdio.h>

#include "harness/cli.h"

int cmd_run(int argc, char **argv)
{
	if (argc > 1 && cli_is_help(argv[1])) {
		printf("usage: rsplab run SCENARIO|SUITE...\n"
		       "Runs scenarios over the testbed, captures the traffic, checks it and writes the report\n"
		       "under reports/out/<run>/.\n");
		return 0;
	}
	fprintf(stderr, "rsplab run: not available yet: the flagship MNO1->MNO2 switchover needs the eUICC,\n"
			"the device, the SM-SRs, the SM-DPs and the core network, which are not built yet.\n"
			"What works today: 'rsplab tool' (see 'rsplab tool --help') and 'make check'.\n");
	return 1;
}
