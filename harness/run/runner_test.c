/* Integration test of `rsplab run` (the built binary, as a user runs it): the
 * flagship passes through the real components as root (and, without root, ends as an error naming what
 * is missing, with nothing started); the run directory holds the PKI, run.json and the reports; a broken
 * scenario file is refused with its file:line before anything is created. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <glob.h>
#include <sys/wait.h>

#include "harness/report/json.h"
#include "lib/test/runner.h"

static char rsplab_bin[PATH_MAX], top[PATH_MAX], tmpdir[64];

int suite_setup(void)
{
	char build[PATH_MAX];

	if (test_build_dir(build, sizeof(build)) < 0)
		return 1;
	snprintf(rsplab_bin, sizeof(rsplab_bin), "%.4000s/bin/rsplab", build);
	snprintf(build + strlen(build), sizeof(build) - strlen(build), "/..");
	if (!realpath(build, top))
		return 1;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/rsplab-run-test-XXXXXX");
	return mkdtemp(tmpdir) ? 0 : 1;
}

int suite_teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
	return system(cmd) == 0 ? 0 : 1;
}

/* Run rsplab with args, output (stdout+stderr) into out; returns the exit status. */
static int run(const char *args, char *out, size_t len)
{
	char cmd[PATH_MAX * 3];
	FILE *p;
	size_t n;
	int st;

	snprintf(cmd, sizeof(cmd), "cd %.4000s && %.4000s %.4000s 2>&1", top, rsplab_bin, args);
	p = popen(cmd, "r");
	if (!p)
		return -1;
	n = fread(out, 1, len - 1, p);
	out[n] = '\0';
	st = pclose(p);
	printf("\n--- rsplab %s ---\n%s", args, out);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

void test_runner_flagship(void)
{
	static char out[65536];
	char args[256], pattern[128], path[PATH_MAX];
	glob_t g;
	struct json_doc *doc;
	const struct json *s;
	size_t len = 0, off;
	char *text;
	int st;

	/* The main job, as `make run` does it (with a cap on every wait, so a regression cannot hang the
	 * suite). As root the run starts everything in the core network's namespace, and the flagship must
	 * pass: the SM-SR Change (article steps 1-6) and the download and enable (i-ix) through the real
	 * components, every expectation met, no checker error; then everything is stopped. Without root the
	 * pre-flight names what is missing (the capture and the namespace need root) and nothing starts. */
	snprintf(args, sizeof(args), "run --max-wait 120 --out %s/out flagship", tmpdir);
	st = run(args, out, sizeof(out));
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "   stopped: "));
	if (geteuid() == 0) {
		CU_ASSERT_EQUAL(st, 0);
		CU_ASSERT_PTR_NOT_NULL(strstr(out, "   [init  ] device1 attached as 001010000000001"));
		CU_ASSERT_PTR_NOT_NULL(strstr(out, "device1 attached as 001020000000001 in 001-02, at hlr-mno2 "
						   "(home)"));
		CU_ASSERT_PTR_NOT_NULL(strstr(out, "0 error, 0 warning"));
		CU_ASSERT_PTR_NULL(strstr(out, " fail  "));
		CU_ASSERT_PTR_NOT_NULL(strstr(out, "card1, device1, smdp2, smdp1, smsr2, smsr1"));
		CU_ASSERT_PTR_NOT_NULL(strstr(out, "1 pass, 0 fail, 0 error, 0 skipped"));
	} else {
		CU_ASSERT_EQUAL(st, 1);
		CU_ASSERT_PTR_NOT_NULL(strstr(out, "   error: "));
		CU_ASSERT_PTR_NOT_NULL(strstr(out, "0 pass, 0 fail, 1 error, 0 skipped"));
	}
	snprintf(pattern, sizeof(pattern), "%s/out/*-flagship", tmpdir);
	CU_ASSERT_EQUAL_FATAL(glob(pattern, 0, NULL, &g), 0);
	CU_ASSERT_EQUAL_FATAL(g.gl_pathc, 1);
	/* the run directory: PKI for the topology's card, the scenario's topology copy, record and reports */
	snprintf(path, sizeof(path), "%s/pki/euicc/89049032000000000000000000000163/ecasd-cert.hex", g.gl_pathv[0]);
	CU_ASSERT_EQUAL(access(path, R_OK), 0);
	snprintf(path, sizeof(path), "%s/TC.PROC.FLAGSHIP.1/topology.topo", g.gl_pathv[0]);
	CU_ASSERT_EQUAL(access(path, R_OK), 0);
	snprintf(path, sizeof(path), "%s/junit.xml", g.gl_pathv[0]);
	CU_ASSERT_EQUAL(access(path, R_OK), 0);
	snprintf(path, sizeof(path), "%s/report.html", g.gl_pathv[0]);
	CU_ASSERT_EQUAL(access(path, R_OK), 0);
	snprintf(path, sizeof(path), "%s/run.json", g.gl_pathv[0]);
	text = test_slurp(path, &len);
	CU_ASSERT_FATAL(text != NULL);
	CU_ASSERT_EQUAL_FATAL(json_parse(text, len, &doc, &off), 0);
	CU_ASSERT_STRING_EQUAL(json_str(json_root(doc), "format", ""), "rsplab-run-1");
	CU_ASSERT_PTR_NOT_NULL(json_get(json_root(doc), "stopped"));
	s = json_get(json_root(doc), "scenarios")->child;
	CU_ASSERT_FATAL(s != NULL);
	CU_ASSERT_STRING_EQUAL(json_str(s, "id", ""), "TC.PROC.FLAGSHIP.1");
	CU_ASSERT_STRING_EQUAL(json_str(s, "file", ""), "scenarios/flagship/switchover.scn");
	CU_ASSERT_EQUAL(json_get(s, "steps")->n, 16); /* the [steps] lines of switchover.scn */
	CU_ASSERT_STRING_EQUAL(json_str(json_get(s, "steps")->child, "label", ""), "1");
	if (geteuid() == 0) {
		const struct json *chk = json_get(s, "checker");
		const struct json *k = json_get(s, "kpis");
		CU_ASSERT_STRING_EQUAL(json_str(s, "verdict", ""), "pass");
		/* every step passed; the checker ran over the capture and charted what it saw */
		for (const struct json *step = json_get(s, "steps")->child; step; step = step->next)
			CU_ASSERT_STRING_EQUAL(json_str(step, "verdict", ""), "pass");
		CU_ASSERT_PTR_NOT_NULL_FATAL(chk);
		CU_ASSERT_EQUAL(json_get(chk, "ran") ? json_get(chk, "ran")->type : JSON_NULL, JSON_TRUE);
		CU_ASSERT_STRING_EQUAL(json_str(s, "events_source", ""), "capture");
		CU_ASSERT(json_get(s, "events") && json_get(s, "events")->n >= 2);
		CU_ASSERT(json_num(k, "startup_ms", 0) > 0);
		/* the KPIs of both procedures (only recorded when every step of their range passed) */
		CU_ASSERT(json_num(k, "smsr_change_ms", 0) > 0);
		CU_ASSERT(json_num(k, "download_ms", 0) > 0);
		CU_ASSERT(json_num(k, "sms_round_trips", 0) >= 1);
	} else {
		CU_ASSERT_PTR_NOT_NULL(json_str(s, "reason", NULL)); /* why it did not run */
		CU_ASSERT_STRING_EQUAL(json_str(s, "verdict", ""), "error");
		CU_ASSERT_STRING_EQUAL(json_str(json_get(s, "steps")->child, "verdict", ""), "not-run");
	}
	json_free(doc);
	free(text);
	globfree(&g);
	/* `rsplab report` regenerates the same files from run.json */
	snprintf(args, sizeof(args), "report %s/out/*-flagship", tmpdir);
	CU_ASSERT_EQUAL(run(args, out, sizeof(out)), 0);
}

void test_runner_refuses_bad_files(void)
{
	static char out[8192];
	char args[PATH_MAX + 128], path[PATH_MAX];
	FILE *f;

	snprintf(path, sizeof(path), "%s/bad.scn", tmpdir);
	f = fopen(path, "w");
	CU_ASSERT_FATAL(f != NULL);
	fputs("id TC.X.Y.1\ntitle t\nsection 3.8\napplies O_SMS\n[steps]\n1 call ES4-Nope to=smsr1 as=mno1\n", f);
	fclose(f);
	snprintf(args, sizeof(args), "run --out %s/out2 %.4000s", tmpdir, path);
	CU_ASSERT_EQUAL(run(args, out, sizeof(out)), 2);
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "bad.scn:6: 'ES4-Nope' is not an ES function"));
	snprintf(path, sizeof(path), "%s/out2", tmpdir);
	CU_ASSERT_NOT_EQUAL(access(path, F_OK), 0); /* nothing created */
	CU_ASSERT_EQUAL(run("run no-such-suite", out, sizeof(out)), 2);
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "no scenarios match"));
	CU_ASSERT_EQUAL(run("run", out, sizeof(out)), 2);
	CU_ASSERT_EQUAL(run("run --help", out, sizeof(out)), 0);
	CU_ASSERT_EQUAL(run("report", out, sizeof(out)), 2);
}
