/* `rsplab run [-v] [--out DIR] [--top DIR] [--no-netns] [--pki DIR] SUITE|all|FILE.scn...`: see
 * harness/run/runner.h. */
#include <getopt.h>
#include <stdlib.h>
#include <stdio.h>

#include "harness/cli.h"
#include "harness/proc.h"
#include "harness/run/scn.h"
#include "harness/run/runner.h"

static void run_usage(FILE *f)
{
	fprintf(f, "usage: rsplab run [-v] [--out DIR] [--top DIR] [--no-netns] [--pki DIR] SUITE|all|FILE.scn...\n"
		   "Runs scenarios over the testbed: a SUITE is a directory under scenarios/ (flagship,\n"
		   "smsr-change, download, es1, es2), 'all' runs every suite, FILE.scn one scenario. Each run gets\n"
		   "reports/out/<YYYYmmdd-HHMMSS>-<suite>/ with the test PKI, per-scenario configs, logs and\n"
		   "captures, run.json, junit.xml and report.html ('rsplab report RUNDIR' regenerates the last two).\n"
		   "A component that does not exist yet is named and the scenario ends as an error before\n"
		   "anything is started. Exit status 0 only when every scenario passed (or did not apply).\n"
		   "  -v, --verbose  stream component log lines\n"
		   "  --max-wait S   cap every step's timeout at S seconds (a quick smoke run)\n"
		   "  --out DIR      parent of the run directory (default: <top>/reports/out)\n"
		   "  --top DIR      the source tree holding scenarios/ and network/ (default: from the binary)\n"
		   "  --no-netns     as root too, run in this network namespace (an external component on this\n"
		   "                 host's loopback can then be reached and reach the builtin ones)\n"
		   "  --pki DIR      use this test PKI (rsplab pki init, with the topology's EIDs and addresses)\n"
		   "                 instead of a fresh one: the one an external component was configured with\n"
		   "Formats: scenarios/README.md.\n");
}

int cmd_run(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "verbose", no_argument, NULL, 'v' },	 { "out", required_argument, NULL, 'o' },
		{ "top", required_argument, NULL, 't' }, { "max-wait", required_argument, NULL, 'm' },
		{ "no-netns", no_argument, NULL, 'n' },	 { "pki", required_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },	 { NULL, 0, NULL, 0 },
	};
	struct run_opts o = { 0 };
	int c;

	if (argc > 1 && cli_is_help(argv[1])) {
		run_usage(stdout);
		return 0;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	/* whatever happens to this process, nothing it started keeps running */
	proc_die_with_parent();
	optind = 1;
	while ((c = getopt_long(argc, argv, "vh", longopts, NULL)) != -1) {
		switch (c) {
		case 'v': o.verbose = true; break;
		case 'o': o.out_dir = optarg; break;
		case 't': o.top = optarg; break;
		case 'n': o.no_netns = true; break;
		case 'p': o.pki_dir = optarg; break;
		case 'm': {
			char *end;
			unsigned long sec = strtoul(optarg, &end, 10);

			if (*optarg == '\0' || *end || sec == 0 || sec > 86400) {
				fprintf(stderr, "rsplab run: --max-wait takes seconds, 1 to 86400\n");
				return 2;
			}
			scn_set_timeout_cap_ms((unsigned int)sec * 1000);
			break;
		}
		case 'h': run_usage(stdout); return 0;
		default: run_usage(stderr); return 2;
		}
	}
	if (optind >= argc) {
		run_usage(stderr);
		return 2;
	}
	return run_main(argv + optind, (size_t)(argc - optind), &o);
}
