/* Flagship benchmark (issue 10): one `rsplab run --out TMPDIR flagship` (the rsplab binary next to this
 * one: BUILDDIR/bin/rsplab), bounded by a timeout, then from its run.json (read back with the report
 * module's JSON reader): the protocol time (first to last ES message in the capture, the runner's
 * protocol_ms KPI), the harness overhead (the run's whole duration minus the protocol time), the SMS
 * round trips of the same run (an MT short message to the next MO answer on the same path, found by
 * running the checker over the scenario's capture: per SMPP short code, i.e. Kannel's bearerbox and
 * SM-SR2's direct SMPP apart, and SM-SR1's Kannel HTTP leg (sendsms to the MO callback); all paths
 * together as the runner's KPIs), and the SM-SR Change and
 * download times as multiples of the SMS round trip, with how much of each window the round trips
 * inside it account for. Needs root (network namespace, capture): otherwise "skipped: needs root".
 * A flagship that does not pass still gets its KPIs printed, with the verdict. Never asserts on time;
 * exit 1 only when the run left no run.json to measure. The temporary directory is removed unless the
 * run ended abnormally (timeout, crash) or RUN_BENCH_KEEP is set. */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <dirent.h>
#include <time.h>
#include <unistd.h>

#include <talloc.h>

#include "harness/check/check.h"
#include "harness/report/json.h"
#include "harness/run/scn.h"
#include "lib/smpp/smpp.h"

#define RUN_TIMEOUT_S 300
#define TERM_GRACE_S  30
#define MAX_PATHS     8

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* BUILDDIR/harness/run/run_bench -> BUILDDIR/bin/rsplab */
static int find_rsplab(char *out, size_t cap)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	char *slash;

	if (n <= 0)
		return -errno;
	self[n] = '\0';
	slash = strrchr(self, '/');
	if (!slash)
		return -EINVAL;
	*slash = '\0';
	if ((size_t)snprintf(out, cap, "%s/../../bin/rsplab", self) >= cap)
		return -ENAMETOOLONG;
	return access(out, X_OK) == 0 ? 0 : -ENOENT;
}

/* Runs rsplab; its output goes to log. The exit status, or -ETIMEDOUT (then it was stopped). */
static int run_flagship(const char *rsplab, const char *outdir, const char *log)
{
	double deadline = now() + RUN_TIMEOUT_S;
	int status;
	pid_t pid = fork();

	if (pid < 0)
		return -errno;
	if (pid == 0) {
		int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0600);

		setpgid(0, 0);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
			close(fd);
		}
		execl(rsplab, "rsplab", "run", "--out", outdir, "flagship", (char *)NULL);
		_exit(127);
	}
	setpgid(pid, pid);
	for (;;) {
		pid_t r = waitpid(pid, &status, WNOHANG);

		if (r == pid)
			return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
		if (r < 0)
			return -errno;
		if (now() > deadline)
			break;
		sleep_ms(100);
	}
	/* SIGTERM: rsplab run stops everything it started; SIGKILL only if it does not end. */
	fprintf(stderr, "run_bench: the flagship run exceeded %d s: stopping it\n", RUN_TIMEOUT_S);
	kill(-pid, SIGTERM);
	deadline = now() + TERM_GRACE_S;
	while (waitpid(pid, &status, WNOHANG) == 0) {
		if (now() > deadline) {
			kill(-pid, SIGKILL);
			waitpid(pid, &status, 0);
			break;
		}
		sleep_ms(100);
	}
	return -ETIMEDOUT;
}

static int find_rundir(const char *outdir, char *out, size_t cap)
{
	DIR *d = opendir(outdir);
	struct dirent *e;
	int rc = -ENOENT;

	if (!d)
		return -errno;
	while ((e = readdir(d))) {
		size_t l = strlen(e->d_name);

		if (l > 9 && !strcmp(e->d_name + l - 9, "-flagship")) {
			snprintf(out, cap, "%s/%s", outdir, e->d_name);
			rc = 0;
			break;
		}
	}
	closedir(d);
	return rc;
}

static char *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	long sz;

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (sz = ftell(f)) > 0 && sz <= (long)JSON_MAX_INPUT &&
	    fseek(f, 0, SEEK_SET) == 0 && (buf = malloc((size_t)sz + 1)) &&
	    fread(buf, 1, (size_t)sz, f) == (size_t)sz) {
		buf[sz] = '\0';
		*len = (size_t)sz;
	} else {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	return buf;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

/* ---- SMS round trips per SMSC client, from the charted events ------------------------------------- */

struct rtt_path {
	char name[64];
	double mt_ms; /* < 0: no MT waiting */
	unsigned int n;
	double sum, max;
};

struct rtt {
	double mt_ms, ms;
	int path;
};

static struct rtt_path paths[MAX_PATHS];
static unsigned int n_paths;
static struct rtt rtts[512];
static unsigned int n_rtts;

static int path_of(const char *name)
{
	for (unsigned int i = 0; i < n_paths; i++)
		if (!strcmp(paths[i].name, name))
			return (int)i;
	if (n_paths == MAX_PATHS)
		return -1;
	snprintf(paths[n_paths].name, sizeof(paths[0].name), "%s", name);
	paths[n_paths].mt_ms = -1;
	return (int)n_paths++;
}

/* The name of the SMSC client using SMPP short code sc, from the run's chart ("submit_sm SC->..." from it). */
static void esme_name(const struct json *events, const char *sc, char *out, size_t cap)
{
	size_t l = strlen(sc);

	snprintf(out, cap, "short code %s", sc);
	for (const struct json *e = events ? events->child : NULL; e; e = e->next) {
		const char *label = json_str(e, "label", "");

		if (!strncmp(label, "submit_sm ", 10) && !strncmp(label + 10, sc, l) &&
		    !strncmp(label + 10 + l, "->", 2)) {
			snprintf(out, cap, "%s (SMPP, %s)", json_str(e, "from", "?"), sc);
			return;
		}
	}
}

/* The runner's rule (an MT to the next MO on the same path), re-done over the scenario's capture with
 * the checker so that the paths stay apart: SMPP per short code (submit_sm from it, deliver_sm to it),
 * and Kannel's HTTP interface (GET sendsms from an SM-SR, then the GET MO callback to it). Times are
 * put on the run.json clock through a frame both know. Returns the number of events, or -1. */
static int rtt_collect(const char *pcap, const struct json *events)
{
	void *tctx = talloc_named_const(NULL, 0, "run_bench");
	struct check_opts o;
	struct checker *ck;
	const struct check_event *ev;
	unsigned int n = 0;
	double offset_ms = 0;
	bool have_offset = false;
	char err[160], key[64];

	check_opts_init(&o);
	ck = checker_alloc(tctx, &o);
	if (!ck || checker_run_file(ck, pcap, err, sizeof(err)) < 0) {
		talloc_free(tctx);
		return -1;
	}
	ev = checker_events(ck, &n);
	for (const struct json *e = events ? events->child : NULL; e && !have_offset; e = e->next)
		for (unsigned int i = 0; i < n && !have_offset; i++)
			if (ev[i].frame == (uint32_t)json_num(e, "frame", 0)) {
				offset_ms = (double)ev[i].ts_usec / 1000 - json_num(e, "t_ms", 0);
				have_offset = true;
			}
	for (unsigned int i = 0; i < n; i++) {
		double t = (double)ev[i].ts_usec / 1000 - offset_ms;
		bool mt;
		int p;

		if (ev[i].has_smpp && ev[i].smpp.has_sm && ev[i].smpp.cmd_id == SMPP_CMD_SUBMIT_SM) {
			esme_name(events, ev[i].smpp.src, key, sizeof(key));
			mt = true;
		} else if (ev[i].has_smpp && ev[i].smpp.has_sm && ev[i].smpp.cmd_id == SMPP_CMD_DELIVER_SM) {
			esme_name(events, ev[i].smpp.dst, key, sizeof(key));
			mt = false;
		} else if (!strcmp(ev[i].proto, "HTTP") && strstr(ev[i].summary, ": GET ")) {
			snprintf(key, sizeof(key), "Kannel HTTP (sendsms, MO)");
			mt = strstr(ev[i].summary, "sendsms") != NULL;
		} else {
			continue;
		}
		if ((p = path_of(key)) < 0)
			continue;
		if (mt) {
			if (paths[p].mt_ms < 0)
				paths[p].mt_ms = t;
		} else if (paths[p].mt_ms >= 0) {
			double d = t - paths[p].mt_ms;

			paths[p].n++;
			paths[p].sum += d;
			paths[p].max = d > paths[p].max ? d : paths[p].max;
			if (n_rtts < sizeof(rtts) / sizeof(rtts[0]))
				rtts[n_rtts++] = (struct rtt){ paths[p].mt_ms, d, p };
			paths[p].mt_ms = -1;
		}
	}
	talloc_free(tctx);
	return have_offset ? (int)n : -1;
}

/* The window of a step range (from the first covered step's start), as the runner's step KPIs. */
static double range_start(const struct json *steps, const char *range)
{
	for (const struct json *s = steps ? steps->child : NULL; s; s = s->next)
		if (scn_label_covers(range, json_str(s, "label", "")))
			return json_num(s, "start_ms", -1);
	return -1;
}

/* An SMS round trip that lies inside one of another path (Kannel's SMPP leg inside SM-SR1's HTTP one). */
static bool nested(unsigned int i)
{
	for (unsigned int j = 0; j < n_rtts; j++)
		if (j != i && rtts[j].path != rtts[i].path && rtts[j].mt_ms <= rtts[i].mt_ms &&
		    rtts[i].mt_ms + rtts[i].ms <= rtts[j].mt_ms + rtts[j].ms)
			return true;
	return false;
}

/* The end-to-end SMS round trip as an SM-SR sees it: the mean of the round trips no other one contains. */
static double e2e_avg(unsigned int *count)
{
	double sum = 0;
	unsigned int n = 0;

	for (unsigned int i = 0; i < n_rtts; i++)
		if (!nested(i)) {
			sum += rtts[i].ms;
			n++;
		}
	*count = n;
	return n ? sum / n : -1;
}

static void window(const char *what, const char *range, const struct json *sc, double kpi_ms, double rtt_avg)
{
	double start = range_start(json_get(sc, "steps"), range), in = 0;
	unsigned int n = 0;

	if (kpi_ms < 0) {
		printf("  %-22s not measured (its steps did not all pass)\n", what);
		return;
	}
	if (start >= 0)
		for (unsigned int i = 0; i < n_rtts; i++)
			if (!nested(i) && rtts[i].mt_ms >= start && rtts[i].mt_ms + rtts[i].ms <= start + kpi_ms + 1) {
				n++;
				in += rtts[i].ms;
			}
	printf("  %-22s %8.0f ms = %5.2f SMS round trips", what, kpi_ms, rtt_avg > 0 ? kpi_ms / rtt_avg : 0);
	if (start >= 0 && n_rtts)
		printf("; %u round trips inside it: %.0f ms = %.0f%% of it", n, in, kpi_ms > 0 ? 100 * in / kpi_ms : 0);
	printf("\n");
}

static void print_report(const char *rundir, const struct json *run, double wall_s, int exit_status)
{
	const struct json *scs = json_get(run, "scenarios"), *sc = NULL, *kpis;
	double duration, protocol, startup, rtt_avg;
	unsigned int n_exp = 0, n_exp_pass = 0, n_e2e = 0;
	char pcap[PATH_MAX + 400];

	for (const struct json *s = scs ? scs->child : NULL; s && !sc; s = s->next)
		if (!strcmp(json_str(s, "suite", ""), "flagship"))
			sc = s;
	if (!sc) {
		printf("run_bench: run.json has no flagship scenario\n");
		return;
	}
	kpis = json_get(sc, "kpis");
	for (const struct json *e = json_get(sc, "expectations") ? json_get(sc, "expectations")->child : NULL; e;
	     e = e->next) {
		n_exp++;
		n_exp_pass += !strcmp(json_str(e, "verdict", ""), "pass");
	}
	printf("run_bench: one flagship run (rsplab run flagship), exit status %d, %.1f s wall\n", exit_status, wall_s);
	printf("  scenario %s: verdict %s%s%s; expectations passed: %u of %u%s\n", json_str(sc, "id", "?"),
	       json_str(sc, "verdict", "?"), json_str(sc, "reason", NULL) ? ": " : "", json_str(sc, "reason", ""),
	       n_exp_pass, n_exp,
	       strcmp(json_str(sc, "verdict", ""), "pass") ? " (the flagship did not pass: KPIs of what ran)" : "");
	duration = json_num(run, "duration_ms", -1);
	protocol = json_num(kpis, "protocol_ms", -1);
	startup = json_num(kpis, "startup_ms", -1);
	printf("  run duration:          %8.0f ms (scenario %.0f ms, of which start-up before the first step %.0f "
	       "ms)\n",
	       duration, json_num(sc, "duration_ms", -1), startup);
	if (protocol < 0) {
		printf("  protocol time:         not measured (no capture, or no ES message in it)\n");
	} else {
		printf("  protocol time:         %8.0f ms (capture: first to last ES message, incl. the initial "
		       "state's "
		       "RegisterEIS)\n",
		       protocol);
		printf("  harness overhead:      %8.0f ms = duration - protocol time = %.2fx the protocol time\n",
		       duration - protocol, (duration - protocol) / protocol);
	}
	snprintf(pcap, sizeof(pcap), "%s/%s", rundir, json_str(sc, "pcap", "-"));
	printf("  SMS round trips (MT to the next MO on the same path, from the scenario's capture):\n");
	if (rtt_collect(pcap, json_get(sc, "events")) < 0)
		printf("    capture not readable or not charted: no per-path split\n");
	for (unsigned int i = 0; i < n_paths; i++)
		if (paths[i].n)
			printf("    %-28s %3u: avg %7.1f ms, max %7.1f ms\n", paths[i].name, paths[i].n,
			       paths[i].sum / paths[i].n, paths[i].max);
	printf("    %-28s %3.0f: avg %7.1f ms, max %7.1f ms (the runner's KPIs, all paths)\n", "all (run.json)",
	       json_num(kpis, "sms_round_trips", 0), json_num(kpis, "sms_round_trip_avg_ms", -1),
	       json_num(kpis, "sms_round_trip_max_ms", -1));
	rtt_avg = e2e_avg(&n_e2e);
	if (rtt_avg < 0) /* no capture split: the runner's mean */
		rtt_avg = json_num(kpis, "sms_round_trip_avg_ms", -1);
	else
		printf("    %-28s %3u: avg %7.1f ms (as the SM-SRs see them: without the legs nested in another; the "
		       "ratios below use this)\n",
		       "end to end", n_e2e, rtt_avg);
	window("SM-SR Change (1-6):", "1-6", sc, json_num(kpis, "smsr_change_ms", -1), rtt_avg);
	window("download (i-ix):", "i-ix", sc, json_num(kpis, "download_ms", -1), rtt_avg);
	printf("  re-attach:             %8.0f ms\n", json_num(kpis, "reattach_ms", -1));
}

int main(void)
{
	char rsplab[PATH_MAX], outdir[PATH_MAX], log[PATH_MAX + 16], rundir[PATH_MAX + 300], path[PATH_MAX + 320];
	const char *tmp = getenv("TMPDIR");
	struct json_doc *doc = NULL;
	size_t len = 0, off = 0;
	double t0, wall;
	char *text;
	int rc, st;

	if (geteuid() != 0) {
		printf("run_bench: skipped: needs root (network namespace, capture)\n");
		return 0;
	}
	if ((rc = find_rsplab(rsplab, sizeof(rsplab))) < 0) {
		fprintf(stderr, "run_bench: no rsplab binary next to this one (%s): make all\n", strerror(-rc));
		return 1;
	}
	snprintf(outdir, sizeof(outdir), "%s/rsplab-run-bench-XXXXXX", tmp && *tmp ? tmp : P_tmpdir);
	if (!mkdtemp(outdir)) {
		perror("run_bench: mkdtemp");
		return 1;
	}
	snprintf(log, sizeof(log), "%s/rsplab-run.log", outdir);
	t0 = now();
	st = run_flagship(rsplab, outdir, log);
	wall = now() - t0;
	if (find_rundir(outdir, rundir, sizeof(rundir)) < 0) {
		fprintf(stderr, "run_bench: no run directory (status %d): see %s\n", st, log);
		return 1;
	}
	snprintf(path, sizeof(path), "%s/run.json", rundir);
	text = read_file(path, &len);
	if (!text || json_parse(text, len, &doc, &off) < 0) {
		fprintf(stderr, "run_bench: %s unreadable (status %d): see %s\n", path, st, log);
		free(text);
		return 1;
	}
	print_report(rundir, json_root(doc), wall, st);
	json_free(doc);
	free(text);
	/* 0 = every scenario passed, 1 = some did not: measured, nothing to keep; else kept to look at */
	if ((st == 0 || st == 1) && !getenv("RUN_BENCH_KEEP"))
		nftw(outdir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	else
		printf("  (run directory kept: %s)\n", rundir);
	return 0;
}
