/* `rsplab run`: the orchestration of scenario runs (ARCHITECTURE.md §5).
 *
 * For a list of targets (a suite = a directory under scenarios/, `all`, or a .scn file) it parses and
 * validates every scenario and its topology first (errors: file:line, exit 2, nothing created), then
 * creates the run directory reports/out/<YYYYmmdd-HHMMSS>-<suite>/ (0700) with the run's test PKI
 * (pki/, `rsplab pki init` code) and one directory per scenario (its topology, configs, logs, capture).
 * Per scenario: applicability (skipped when it needs a feature this testbed lacks), a pre-flight check
 * that every component of its topology exists (a builtin's program, the capture/checker, the harness's
 * own operator role; an external's CA and certificate files) — a missing one ends the scenario as an
 * error that names it, before anything is started —, then the components are started in topology order
 * with bounded readiness waits, the steps run through the step-kind ops table, the expectations are
 * checked, and everything started is stopped in reverse order whatever happened (and listed). Progress
 * is one line per step (article step number, elapsed time) and a summary table; -v streams component
 * logs. RUNDIR/run.json records everything; junit.xml and report.html are generated from it.
 *
 * Returns the exit status: 0 every scenario passed (or was not applicable), 1 otherwise, 2 usage or
 * scenario file errors. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

struct run_opts {
	bool verbose;	     /* -v: stream component log lines */
	const char *out_dir; /* NULL: <top>/reports/out */
	const char *top;     /* source tree (scenarios/ ...); NULL: from the binary's location, else "." */
	bool no_netns;	     /* as root too, run in the current network namespace (interop with an external
			      * component on this host's loopback) */
	const char *pki_dir; /* an existing test PKI (rsplab pki init) to use instead of a fresh one: what an
			      * external component was configured with */
};

int run_main(char *const *targets, size_t n, const struct run_opts *o);
