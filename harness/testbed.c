/* Integration-test support: the run, processes, cards, the device under test (see testbed.h). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <osmocom/core/utils.h>

#include "harness/net_io.h"
#include "harness/net_ready.h"
#include "harness/testbed.h"
#include "lib/test/runner.h"

/* --- processes ------------------------------------------------------------------------------------ */

/* lib/test's bounded process helpers (runner.h) */
pid_t tb_spawn(const char *const *argv, const char *log, const char *out, const char *preload)
{
	return test_spawn(argv, log, out, preload);
}

int tb_wait_pid(pid_t pid, int timeout_ms)
{
	return test_wait_pid(pid, timeout_ms);
}

int tb_stop_pid(pid_t *pid)
{
	int p = *pid, rc = test_stop_pid(&p);

	*pid = 0;
	return rc;
}

int tb_run(const char *const *argv, const char *log, const char *out)
{
	pid_t pid = tb_spawn(argv, log, out, NULL);
	int rc;

	if (pid < 0)
		return -errno;
	rc = tb_wait_pid(pid, TB_CMD_TIMEOUT_MS);
	if (rc == -ETIMEDOUT) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}
	if (rc != 0) {
		char tail[2048];
		size_t len;
		if (net_file_read_tail(log, tail, sizeof(tail), &len) == 0)
			printf("\n  %s failed (%d); end of %s:\n%s\n", argv[0], rc, log, tail);
	}
	return rc;
}

void tb_reap(void)
{
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
}

int tb_procs_mentioning(const char *s)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	int count = 0;

	while (d && (e = readdir(d))) {
		char path[300], buf[4096];
		size_t len;
		if (e->d_name[0] < '1' || e->d_name[0] > '9' || atoi(e->d_name) == getpid())
			continue;
		snprintf(path, sizeof(path), "/proc/%s/cmdline", e->d_name);
		if (net_file_read_tail(path, buf, sizeof(buf), &len) < 0 || len == 0)
			continue; /* gone, or a zombie */
		for (size_t i = 0; i < len; i++)
			buf[i] = buf[i] ? buf[i] : ' ';
		if (strstr(buf, s)) {
			printf("  still running: pid %s: %s\n", e->d_name, buf);
			count++;
		}
	}
	if (d)
		closedir(d);
	return count;
}

/* --- the run -------------------------------------------------------------------------------------- */

void tb_path(const struct tb *tb, char *out, size_t cap, const char *name)
{
	snprintf(out, cap, "%.3000s/%s", tb->rundir, name);
}

const char *tb_env(const struct tb *tb, const char *key)
{
	const char *v = tb->env ? net_map_get(tb->env, key) : NULL;
	return v ? v : "";
}

int tb_setup(struct tb *tb, const char *name, const char *subs)
{
	char exe[PATH_MAX], path[PATH_MAX], log[PATH_MAX], rsplab[PATH_MAX], *slash;
	ssize_t n;

	memset(tb, 0, sizeof(*tb));
	tb->saved_ns = -1;
	if (geteuid() != 0)
		return 1;
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n < 0)
		return -errno;
	exe[n] = '\0';
	slash = strrchr(exe, '/');
	if (!slash)
		return -EINVAL;
	*slash = '\0'; /* <build>/harness */
	snprintf(tb->bindir, sizeof(tb->bindir), "%.4000s/../bin", exe);
	snprintf(rsplab, sizeof(rsplab), "%.4000s/rsplab", tb->bindir);
	prctl(PR_SET_CHILD_SUBREAPER, 1); /* daemons orphaned by `net up` are reparented to us */
	signal(SIGPIPE, SIG_IGN);
	snprintf(tb->rundir, sizeof(tb->rundir), "%s/rsplab-%s-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp",
		 name);
	if (!mkdtemp(tb->rundir))
		return -errno;
	tb_path(tb, log, sizeof(log), "setup.log");
	tb_path(tb, path, sizeof(path), "pki");
	const char *pki_argv[] = { rsplab, "pki", "init", path, NULL };
	if (tb_run(pki_argv, log, NULL) != 0)
		return -EIO;
	tb_path(tb, path, sizeof(path), "subscribers");
	if (subs && net_file_write(path, subs, strlen(subs), 0600) < 0)
		return -EIO;
	tb_path(tb, log, sizeof(log), "net-up.log");
	const char *up_argv[] = { rsplab, "net", "up", tb->rundir, NULL };
	tb->net_is_up = true; /* from here on, tb_stop_all runs `net down` whatever happened */
	if (tb_run(up_argv, log, NULL) != 0 || net_state_load(tb->rundir, &tb->st) < 0 || strcmp(tb->st.status, "up"))
		return -EIO;
	tb->env = calloc(1, sizeof(*tb->env));
	if (!tb->env || net_env_load(tb->rundir, tb->env) < 0)
		return -EIO;
	/* this process joins the net's namespace: what it starts runs there too */
	if (tb->st.netns[0] && net_netns_enter(tb->st.netns, &tb->saved_ns) < 0)
		return -EIO;
	return 0;
}

void tb_stop_all(struct tb *tb)
{
	char rsplab[PATH_MAX], log[PATH_MAX];

	if (tb->saved_ns >= 0)
		net_netns_leave(tb->saved_ns);
	tb->saved_ns = -1;
	if (tb->net_is_up) {
		snprintf(rsplab, sizeof(rsplab), "%.4000s/rsplab", tb->bindir);
		tb_path(tb, log, sizeof(log), "net-down.log");
		const char *down_argv[] = { rsplab, "net", "down", tb->rundir, NULL };
		if (tb_run(down_argv, log, NULL) != 0)
			printf("  rsplab net down failed: see %s\n", log);
		tb->net_is_up = false;
	}
	tb_reap();
}

static int rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	return remove(path);
}

void tb_free(struct tb *tb, bool keep)
{
	if (tb->rundir[0] && !keep)
		nftw(tb->rundir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	else if (tb->rundir[0])
		printf("\n  logs kept in %s\n", tb->rundir);
	free(tb->env);
	tb->env = NULL;
}

/* --- cards ---------------------------------------------------------------------------------------- */

bool tb_saip_build(const struct tb *tb, const char *name, const char *iccid, const char *imsi, const char *k,
		   const char *opc)
{
	char rsplab[PATH_MAX], out[PATH_MAX], log[PATH_MAX];
	snprintf(rsplab, sizeof(rsplab), "%.4000s/rsplab", tb->bindir);
	tb_path(tb, out, sizeof(out), name);
	tb_path(tb, log, sizeof(log), "setup.log");
	const char *argv[] = { rsplab, "tool", "saip",	"build", "--iccid", iccid, "--imsi", imsi,
			       "--k",  k,      "--opc", opc,	 "-o",	    out,   NULL };
	return tb_run(argv, log, NULL) == 0;
}

bool tb_card_make(const struct tb *tb, const char *name, const char *profile, const char *msisdn, const char *extra,
		  bool eis, struct tb_card_keys *keys)
{
	char card_bin[PATH_MAX], pki[PATH_MAX], prof[PATH_MAX], db[PATH_MAX], log[PATH_MAX], extra_path[PATH_MAX];
	char kv[4096], smsr[32], xml[PATH_MAX], *line, *save;
	size_t len;
	int got = 0;

	snprintf(card_bin, sizeof(card_bin), "%.4000s/rsplab-euicc", tb->bindir);
	tb_path(tb, pki, sizeof(pki), "pki");
	tb_path(tb, prof, sizeof(prof), profile);
	snprintf(db, sizeof(db), "%.3000s/%s.db", tb->rundir, name);
	snprintf(xml, sizeof(xml), "%.3000s/%s.eis.xml", tb->rundir, name);
	tb_path(tb, log, sizeof(log), "setup.log");
	snprintf(smsr, sizeof(smsr), "1 1 %s", tb_env(tb, "SMSR2_SHORT_CODE"));
	const char *argv[] = { card_bin, "init",       "--pki", pki,	    "--auto", "--profile",     prof, "-o",
			       db,	 "--smsr-sms", smsr,	"--msisdn", msisdn,   "--add-profile", NULL, NULL };
	if (extra) {
		tb_path(tb, extra_path, sizeof(extra_path), extra);
		argv[14] = extra_path;
	} else {
		argv[13] = NULL;
	}
	if (tb_run(argv, log, eis ? xml : NULL) != 0)
		return false;
	snprintf(db, sizeof(db), "%.3000s/%s.db.keys", tb->rundir, name);
	if (net_file_read_tail(db, kv, sizeof(kv), &len) < 0)
		return false;
	memset(keys, 0, sizeof(*keys));
	for (line = strtok_r(kv, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (!strncmp(line, "eid=", 4))
			got += snprintf(keys->eid, sizeof(keys->eid), "%s", line + 4) == 32;
		else if (!strncmp(line, "scp80.kic=", 10))
			got += osmo_hexparse(line + 10, keys->kic, 16) == 16;
		else if (!strncmp(line, "scp80.kid=", 10))
			got += osmo_hexparse(line + 10, keys->kid, 16) == 16;
	}
	explicit_bzero(kv, sizeof(kv));
	return got == 3;
}

/* --- the device under test ------------------------------------------------------------------------ */

int tb_ctl(const struct tb_dut *d, const char *req, char *out, size_t cap)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int64_t deadline = net_now_ms() + 3000;
	size_t len = 0;
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -errno;
	memcpy(a.sun_path, d->ctl, sizeof(d->ctl));
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0 || write(fd, req, strlen(req)) < 0 ||
	    write(fd, "\n", 1) != 1) {
		close(fd);
		return -ENOTCONN;
	}
	out[0] = '\0';
	while (len + 1 < cap && net_now_ms() < deadline) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		if (poll(&p, 1, 100) <= 0)
			continue;
		ssize_t r = read(fd, out + len, cap - 1 - len);
		if (r <= 0)
			break;
		len += (size_t)r;
		out[len] = '\0';
		/* done when the last complete line starts with OK or ERR */
		if (len && out[len - 1] == '\n') {
			char *last = out + len - 1;
			while (last > out && last[-1] != '\n')
				last--;
			if (!strncmp(last, "OK", 2) || !strncmp(last, "ERR", 3))
				break;
		}
	}
	close(fd);
	return len ? (int)len : -ETIMEDOUT;
}

const char *tb_state_val(const char *state, const char *key, char *out, size_t cap)
{
	char pat[40];
	const char *p;
	size_t n = 0;

	snprintf(pat, sizeof(pat), " %s=", key);
	out[0] = '\0';
	p = strstr(state, pat);
	if (!p)
		return out;
	for (p += strlen(pat); *p && *p != ' ' && *p != '\n' && n + 1 < cap; p++)
		out[n++] = *p;
	out[n] = '\0';
	return out;
}

bool tb_state_is(const char *state, const char *key, const char *want)
{
	char v[64];
	return !strcmp(tb_state_val(state, key, v, sizeof(v)), want);
}

void tb_dump_events(const struct tb_dut *d)
{
	static char ev[16384];
	if (tb_ctl(d, "events 40", ev, sizeof(ev)) > 0)
		printf("  device events (last 40):\n%s", ev);
}

bool tb_events_have(const struct tb_dut *d, const char *needle)
{
	static char ev[16384];
	return tb_ctl(d, "events", ev, sizeof(ev)) > 0 && strstr(ev, needle);
}

bool tb_wait_state(const struct tb_dut *d, int timeout_ms, bool (*pred)(const char *state), char *state, size_t cap,
		   void (*pump)(void *priv), void *priv)
{
	int64_t deadline = net_now_ms() + timeout_ms;

	state[0] = '\0';
	do {
		if (tb_ctl(d, "state", state, cap) > 0 && pred(state))
			return true;
		if (pump)
			pump(priv);
		else
			net_sleep_ms(100);
	} while (net_now_ms() < deadline);
	printf("  device %s: condition not met within %d ms; last state: %s", d->name, timeout_ms, state);
	tb_dump_events(d);
	return false;
}

bool tb_dut_start(const struct tb *tb, struct tb_dut *d, const char *name, const char *card_db, uint16_t port)
{
	char log[PATH_MAX], dev_bin[PATH_MAX], card_bin[PATH_MAX], card_arg[PATH_MAX + 32], vpcd[48], stp[64];
	static char tcp[65536];
	size_t len;
	int64_t deadline;

	memset(d, 0, sizeof(*d));
	snprintf(d->name, sizeof(d->name), "%s", name);
	if (snprintf(d->ctl, sizeof(d->ctl), "%.90s/%s.ctl", tb->rundir, name) >= (int)sizeof(d->ctl)) {
		printf("  RUNDIR %s is too long for a unix socket path\n", tb->rundir);
		return false;
	}
	snprintf(dev_bin, sizeof(dev_bin), "%.4000s/rsplab-device", tb->bindir);
	snprintf(card_bin, sizeof(card_bin), "%.4000s/rsplab-euicc", tb->bindir);
	snprintf(vpcd, sizeof(vpcd), "vpcd:127.0.0.1:%u", port);
	snprintf(stp, sizeof(stp), "%s:%s", tb_env(tb, "STP_ADDR"), tb_env(tb, "STP_M3UA_PORT"));
	const char *dev_argv[] = { dev_bin,
				   "--card",
				   vpcd,
				   "--card-wait",
				   "10000",
				   "--stp",
				   stp,
				   "--msc-pc",
				   tb_env(tb, "MSC_PC"),
				   "--mcc",
				   tb_env(tb, "MNO2_MCC"),
				   "--mnc",
				   tb_env(tb, "MNO2_MNC"),
				   "--ctrl",
				   d->ctl,
				   "--t3211",
				   "1",
				   NULL };
	snprintf(log, sizeof(log), "%.3000s/%s-device.log", tb->rundir, name);
	/* every process on the M3UA path uses what the net uses (network/README.md "SCTP") */
	d->dev = tb_spawn(dev_argv, log, NULL, strcmp(tb->st.sctp, "shim") ? NULL : tb->st.shim);
	if (d->dev < 0)
		return false;
	/* readiness: the device listens as vpcd */
	deadline = net_now_ms() + 5000;
	for (;;) {
		if (net_file_read_tail("/proc/self/net/tcp", tcp, sizeof(tcp), &len) == 0 &&
		    net_proc_tcp_listening(tcp, len, "127.0.0.1", port) == 1)
			break;
		if (waitpid(d->dev, NULL, WNOHANG) == d->dev || net_now_ms() > deadline) {
			printf("  rsplab-device (%s) not listening on %s within 5 s; log: %s\n", name, vpcd, log);
			return false;
		}
		net_sleep_ms(10);
	}
	snprintf(card_arg, sizeof(card_arg), "%.4000s@127.0.0.1:%u", card_db, port);
	const char *card_argv[] = { card_bin, "serve", card_arg, NULL };
	snprintf(log, sizeof(log), "%.3000s/%s-card.log", tb->rundir, name);
	d->card = tb_spawn(card_argv, log, NULL, NULL);
	return d->card > 0;
}

bool tb_dut_stop(struct tb_dut *d)
{
	int rc_dev = tb_stop_pid(&d->dev), rc_card = tb_stop_pid(&d->card);

	tb_reap();
	return rc_dev >= 0 && rc_dev != 128 + SIGKILL && rc_card >= 0 && rc_card != 128 + SIGKILL;
}
