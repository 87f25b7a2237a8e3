/* `rsplab report RUNDIR`: regenerate RUNDIR/junit.xml and RUNDIR/report.html from RUNDIR/run.json. */
#include <stdio.h>

#include "harness/cli.h"
#include "harness/report/report.h"

int cmd_report(int argc, char **argv)
{
	if (argc == 2 && cli_is_help(argv[1])) {
		printf("usage: rsplab report RUNDIR\n"
		       "Regenerates RUNDIR/junit.xml (one testcase per scenario, KPIs as properties) and\n"
		       "RUNDIR/report.html (verdicts, step timing, findings, sequence charts) from RUNDIR/run.json,\n"
		       "the run record `rsplab run` writes (its format is described in harness/report/report.h).\n");
		return 0;
	}
	if (argc != 2) {
		fprintf(stderr, "usage: rsplab report RUNDIR\n");
		return 2;
	}
	if (report_generate(argv[1]) < 0)
		return 1;
	printf("report: %s/report.html\njunit:  %s/junit.xml\n", argv[1], argv[1]);
	return 0;
}
