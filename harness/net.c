/* `rsplab net up|down RUNDIR`: the core network (see net.h). */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <unistd.h>

#include "harness/cli.h"
#include "harness/net.h"
#include "harness/net_io.h"
#include "harness/net_ready.h"
#include "harness/net_subs.h"
#include "harness/proc.h"
#include "lib/crypto/sym.h"

const struct value_string net_sctp_mode_names[] = {
	{ NET_SCTP_AUTO, "auto" },
	{ NET_SCTP_KERNEL, "kernel" },
	{ NET_SCTP_SHIM, "shim" },
	{ 0, NULL },
};

/* Settings and their defaults (network-lab §8 address plan: one loopback address per daemon). */
static const struct net_kv net_defaults[] = {
	{ "STP_ADDR", "127.0.0.1" },
	{ "STP_M3UA_PORT", "2905" },
	{ "STP_VTY_PORT", "4239" },
	{ "MNO1_MCC", "001" },
	{ "MNO1_MNC", "01" },
	{ "MNO2_MCC", "001" },
	{ "MNO2_MNC", "02" },
	{ "HLR1_ADDR", "127.0.0.11" },
	{ "HLR1_GSUP_PORT", "4222" },
	{ "HLR1_VTY_PORT", "4258" },
	{ "HLR1_IPA_NAME", "HLR-MNO1" },
	{ "HLR2_ADDR", "127.0.0.12" },
	{ "HLR2_GSUP_PORT", "4222" },
	{ "HLR2_VTY_PORT", "4258" },
	{ "HLR2_IPA_NAME", "HLR-MNO2" },
	{ "MSC_ADDR", "127.0.0.22" },
	{ "MSC_VTY_PORT", "4254" },
	{ "MSC_SMPP_PORT", "2775" },
	{ "MSC_SGS_PORT", "29118" },
	{ "MSC_PC", "0.23.2" },
	{ "MSC_M3UA_LOCAL_ADDR", "127.0.0.22" },
	{ "MSC_IPA_NAME", "MSC-MNO2" },
	{ "MSC_VLR_NAME", "vlr.mno2.example" },
	{ "MSC_MGCP_LOCAL_PORT", "2728" },
	{ "MGW_ADDR", "127.0.0.1" },
	{ "MGW_PORT", "2427" },
	{ "SMSC_SYSTEM_ID", "msc-mno2" },
	{ "SMSR1_SHORT_CODE", "556" },
	{ "SMSR2_SHORT_CODE", "555" },
	{ "SMSR2_ESME_ID", "smsr2" },
	{ "KANNEL_ESME_ID", "kannel" },
	{ "KANNEL_ADDR", "127.0.0.31" },
	{ "KANNEL_ADMIN_PORT", "13000" },
	{ "KANNEL_SMSBOX_PORT", "13001" },
	{ "KANNEL_SENDSMS_PORT", "13013" },
	{ "KANNEL_SENDSMS_USER", "smsr1" },
	{ "KANNEL_SMSC_ID", "mno2msc" },
	{ "KANNEL_MO_URL", "http://127.0.0.41:18080/mo" },
	{ "KANNEL_DLR_URL", "http://127.0.0.41:18080/dlr" },
};

/* Generated per run (SMPP passwords are at most 8 octets: SMPP 3.4 §4.1.1). */
static const char *const net_secrets[] = {
	"SMSR2_ESME_PASSWORD",
	"KANNEL_ESME_PASSWORD",
	"KANNEL_ADMIN_PASSWORD",
	"KANNEL_SENDSMS_PASSWORD",
};

struct net_listen {
	const char *addr_key, *port_key;
	bool m3ua; /* an SCTP port: a TCP listener only with the shim */
};

struct net_comp {
	const char *name;      /* files <name>.cfg / <name>.log */
	const char *binary;    /* also the component's name in messages */
	const char *ident_key; /* its GSUP/IPA or SMPP identity, for messages */
	const char *tmpl;      /* under the source dir; NULL: uses cfg_of's config */
	const char *cfg_of;
	const char *db_key; /* osmo-hlr -l */
	bool m3ua;	    /* on the M3UA path: gets the shim */
	struct net_listen listen[3];
	const char *log_ready; /* a line the log must show (network-lab §7) */
	int timeout_ms;
};

static const struct net_comp net_comps[] = {
	{ "stp",
	  "osmo-stp",
	  NULL,
	  "osmocom/osmo-stp.cfg.tmpl",
	  NULL,
	  NULL,
	  true,
	  { { "STP_ADDR", "STP_VTY_PORT", false }, { "STP_ADDR", "STP_M3UA_PORT", true } },
	  NULL,
	  5000 },
	{ "hlr-mno1",
	  "osmo-hlr",
	  "HLR1_IPA_NAME",
	  "osmocom/osmo-hlr-mno1.cfg.tmpl",
	  NULL,
	  "HLR1_DB",
	  false,
	  { { "HLR1_ADDR", "HLR1_GSUP_PORT", false }, { "HLR1_ADDR", "HLR1_VTY_PORT", false } },
	  NULL,
	  5000 },
	{ "hlr-mno2",
	  "osmo-hlr",
	  "HLR2_IPA_NAME",
	  "osmocom/osmo-hlr-mno2.cfg.tmpl",
	  NULL,
	  "HLR2_DB",
	  false,
	  { { "HLR2_ADDR", "HLR2_GSUP_PORT", false }, { "HLR2_ADDR", "HLR2_VTY_PORT", false } },
	  NULL,
	  5000 },
	{ "msc-mno2",
	  "osmo-msc",
	  "MSC_IPA_NAME",
	  "osmocom/osmo-msc-mno2.cfg.tmpl",
	  NULL,
	  NULL,
	  true,
	  { { "MSC_ADDR", "MSC_VTY_PORT", false }, { "MSC_ADDR", "MSC_SMPP_PORT", false } },
	  "Received NOTIFY Type State Change:AS Active",
	  10000 },
	{ "bearerbox",
	  "bearerbox",
	  "KANNEL_SMSC_ID",
	  "kannel/kannel.conf.tmpl",
	  NULL,
	  NULL,
	  false,
	  { { "KANNEL_ADDR", "KANNEL_SMSBOX_PORT", false }, { "KANNEL_ADDR", "KANNEL_ADMIN_PORT", false } },
	  NULL,
	  5000 },
	{ "smsbox",
	  "smsbox",
	  "KANNEL_SENDSMS_USER",
	  NULL,
	  "bearerbox",
	  NULL,
	  false,
	  { { "KANNEL_ADDR", "KANNEL_SENDSMS_PORT", false } },
	  NULL,
	  5000 },
};
#define NET_NCOMPS	      (sizeof(net_comps) / sizeof(net_comps[0]))
#define NET_KANNEL_TIMEOUT_MS 10000
#define NET_STOP_TERM_MS      3000 /* bearerbox can hang on TERM (network-lab §4) */
#define NET_STOP_KILL_MS      2000
#define NET_TOOL_TIMEOUT_MS   5000
#define NET_VTY_TIMEOUT_MS    3000

static volatile sig_atomic_t net_interrupted;

static void net_on_signal(int sig)
{
	net_interrupted = sig;
}

/* --- paths, state ------------------------------------------------------------------------------ */

/* out = a + b + c (no format: paths are data). -ENAMETOOLONG if it does not fit. */
static int path_cat(char *out, size_t out_len, const char *a, const char *b, const char *c)
{
	size_t la = strlen(a), lb = strlen(b), lc = strlen(c);

	if (la + lb + lc >= out_len) {
		if (out_len)
			out[0] = '\0';
		return -ENAMETOOLONG;
	}
	memcpy(out, a, la);
	memcpy(out + la, b, lb);
	memcpy(out + la + lb, c, lc + 1);
	return 0;
}

static int path_join(char *out, size_t out_len, const char *a, const char *b)
{
	char tmp[PATH_MAX];

	return path_cat(tmp, sizeof(tmp), a, "/", "") ?: path_cat(out, out_len, tmp, b, "");
}

/* Directory of the running binary (build/bin or build/harness). */
static int exe_dir(char *out, size_t out_len)
{
	ssize_t n = readlink("/proc/self/exe", out, out_len - 1);
	char *slash;

	if (n < 0)
		return -errno;
	out[n] = '\0';
	slash = strrchr(out, '/');
	if (!slash)
		return -ENOENT;
	*slash = '\0';
	return 0;
}

int net_state_load(const char *rundir, struct net_state *st)
{
	char path[PATH_MAX], buf[8192];
	size_t len, pos = 0;
	int rc;

	memset(st, 0, sizeof(*st));
	rc = path_join(path, sizeof(path), rundir, "net/state");
	if (rc < 0)
		return rc;
	rc = net_file_read_tail(path, buf, sizeof(buf), &len);
	if (rc < 0)
		return rc;
	while (pos < len) {
		char *line = buf + pos, *nl = memchr(line, '\n', len - pos);
		if (!nl)
			break;
		*nl = '\0';
		pos = (size_t)(nl - buf) + 1;
		if (strncmp(line, "status=", 7) == 0)
			snprintf(st->status, sizeof(st->status), "%s", line + 7);
		else if (strncmp(line, "netns=", 6) == 0)
			snprintf(st->netns, sizeof(st->netns), "%s", line + 6);
		else if (strncmp(line, "sctp=", 5) == 0)
			snprintf(st->sctp, sizeof(st->sctp), "%s", line + 5);
		else if (strncmp(line, "shim=", 5) == 0)
			snprintf(st->shim, sizeof(st->shim), "%s", line + 5);
		else if (strncmp(line, "proc=", 5) == 0 && st->nprocs < NET_PROCS_MAX) {
			struct net_proc *p = &st->procs[st->nprocs];
			char name[24];
			int pid;
			unsigned long long start;
			if (sscanf(line + 5, "%23[a-z0-9-],%d,%llu", name, &pid, &start) != 3 || pid <= 1)
				return -EBADMSG;
			snprintf(p->name, sizeof(p->name), "%s", name);
			p->pid = pid;
			p->start = start;
			st->nprocs++;
		}
	}
	return st->status[0] ? 0 : -EBADMSG;
}

static int state_save(const char *rundir, const struct net_state *st)
{
	char path[PATH_MAX], buf[8192];
	int n, rc;

	rc = path_join(path, sizeof(path), rundir, "net/state");
	if (rc < 0)
		return rc;
	n = snprintf(buf, sizeof(buf),
		     "# rsplab net state (written by rsplab net up/down)\nstatus=%s\nnetns=%s\nsctp=%s\nshim=%s\n",
		     st->status, st->netns, st->sctp, st->shim);
	for (size_t i = 0; i < st->nprocs && n > 0 && (size_t)n < sizeof(buf); i++)
		n += snprintf(buf + n, sizeof(buf) - (size_t)n, "proc=%s,%d,%llu\n", st->procs[i].name,
			      (int)st->procs[i].pid, st->procs[i].start);
	if (n < 0 || (size_t)n >= sizeof(buf))
		return -EMSGSIZE;
	return net_file_write(path, buf, (size_t)n, 0644);
}

int net_env_load(const char *rundir, struct net_map *m)
{
	char path[PATH_MAX], buf[16384];
	size_t len;
	unsigned int line;
	int rc = path_join(path, sizeof(path), rundir, "net/net.env");

	if (rc < 0)
		return rc;
	rc = net_file_read_tail(path, buf, sizeof(buf), &len);
	if (rc < 0)
		return rc;
	return net_map_parse(m, buf, len, false, &line);
}

bool net_proc_alive(pid_t pid, unsigned long long start)
{
	return proc_alive(pid, start);
}

/* --- namespaces ----------------------------------------------------------------------------------- */

bool net_netns_exists(const char *name)
{
	char path[PATH_MAX];
	struct stat st;

	snprintf(path, sizeof(path), "/run/netns/%s", name);
	return stat(path, &st) == 0;
}

int net_netns_enter(const char *name, int *saved)
{
	char path[PATH_MAX];
	int fd, rc = 0;

	*saved = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (*saved < 0)
		return -errno;
	snprintf(path, sizeof(path), "/run/netns/%s", name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || setns(fd, CLONE_NEWNET) < 0) {
		rc = -errno;
		close(*saved);
		*saved = -1;
	}
	if (fd >= 0)
		close(fd);
	return rc;
}

int net_netns_leave(int saved)
{
	int rc = 0;

	if (saved < 0)
		return 0;
	if (setns(saved, CLONE_NEWNET) < 0)
		rc = -errno;
	close(saved);
	return rc;
}

/* Run a tool (ip) to completion within NET_TOOL_TIMEOUT_MS; its output is appended to log. */
static int run_tool(char *const argv[], const char *log)
{
	int64_t deadline = net_now_ms() + NET_TOOL_TIMEOUT_MS;
	int status;
	pid_t pid = fork();

	if (pid < 0)
		return -errno;
	if (pid == 0) {
		int fd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		execvp(argv[0], argv);
		_exit(127);
	}
	for (;;) {
		pid_t r = waitpid(pid, &status, WNOHANG);
		if (r == pid)
			break;
		if (r < 0 && errno != EINTR)
			return -errno;
		if (net_now_ms() > deadline) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			return -ETIMEDOUT;
		}
		net_sleep_ms(10);
	}
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -EIO;
}

static int netns_delete(const char *name, const char *log)
{
	char *const argv[] = { "ip", "netns", "del", (char *)name, NULL };

	if (!name[0] || !net_netns_exists(name))
		return 0;
	return run_tool(argv, log);
}

/* --- processes -------------------------------------------------------------------------------------- */

/* TERM, then KILL after a bound. 0 when gone. */
static int stop_proc(const struct net_proc *p)
{
	return proc_stop("rsplab net", p->name, p->pid, p->start, NET_STOP_TERM_MS, NET_STOP_KILL_MS);
}

/* Stop every recorded process in reverse order, delete the namespace, mark the state down. */
static int stop_all(const char *rundir, struct net_state *st, const char *tool_log)
{
	int rc = 0;

	for (size_t i = st->nprocs; i-- > 0;) {
		if (stop_proc(&st->procs[i]) < 0) {
			fprintf(stderr, "rsplab net: could not stop %s (pid %d)\n", st->procs[i].name,
				(int)st->procs[i].pid);
			rc = -EBUSY;
		}
	}
	if (netns_delete(st->netns, tool_log) < 0 || (st->netns[0] && net_netns_exists(st->netns))) {
		fprintf(stderr, "rsplab net: could not delete network namespace %s (see %s)\n", st->netns, tool_log);
		rc = -EBUSY;
	}
	snprintf(st->status, sizeof(st->status), "down");
	state_save(rundir, st);
	return rc;
}

/* --- up ----------------------------------------------------------------------------------------- */

struct net_run {
	const char *rundir;
	char net_dir[PATH_MAX];
	char tool_log[PATH_MAX];
	struct net_map map;
	struct net_state st;
	const char *shim; /* NULL: kernel SCTP */
	int saved_ns;
};

static void log_path(const struct net_run *r, const struct net_comp *c, char *out, size_t out_len)
{
	char base[PATH_MAX];

	path_join(base, sizeof(base), r->net_dir, c->name);
	path_cat(out, out_len, base, ".log", "");
}

/* The failure message every component error uses: what, which, last log line, where the log is. */
static void comp_fail(const struct net_run *r, const struct net_comp *c, const char *what)
{
	char log[PATH_MAX], buf[65536], last[300];
	size_t len = 0;
	const char *ident = c->ident_key ? net_map_get(&r->map, c->ident_key) : NULL;

	log_path(r, c, log, sizeof(log));
	net_file_read_tail(log, buf, sizeof(buf), &len);
	net_log_last_line(buf, len, last, sizeof(last));
	fprintf(stderr, "rsplab net up: %s (%s%s%s) %s\n  last log line: %s\n  log: %s\n", c->binary, c->name,
		ident ? ", " : "", ident ? ident : "", what, last[0] ? last : "(empty)", log);
}

static uint16_t map_port(const struct net_map *m, const char *key)
{
	const char *v = net_map_get(m, key);
	long p = v ? strtol(v, NULL, 10) : 0;

	return (p > 0 && p < 65536) ? (uint16_t)p : 0;
}

/* Wait until c is ready: its listeners in /proc/self/net/tcp (this namespace) and its log line. */
static int wait_ready(struct net_run *r, const struct net_comp *c, const struct net_proc *p)
{
	int64_t t0 = net_now_ms(), deadline = t0 + c->timeout_ms;
	char log[PATH_MAX], what[160] = "";
	static char buf[1 << 18];
	size_t len;

	log_path(r, c, log, sizeof(log));
	for (;;) {
		bool ready = true;

		if (net_interrupted) {
			comp_fail(r, c, "start-up interrupted by a signal");
			return -EINTR;
		}
		if (!net_proc_alive(p->pid, p->start)) {
			comp_fail(r, c, "exited during start-up");
			return -ESRCH;
		}
		if (net_file_read_tail("/proc/self/net/tcp", buf, sizeof(buf), &len) < 0)
			len = 0;
		for (size_t i = 0; i < 3 && c->listen[i].addr_key && ready; i++) {
			const char *ip = net_map_get(&r->map, c->listen[i].addr_key);
			uint16_t port = map_port(&r->map, c->listen[i].port_key);
			if (c->listen[i].m3ua && !r->shim)
				continue; /* kernel SCTP: not in /proc/net/tcp; the MSC's AS Active proves it */
			if (net_proc_tcp_listening(buf, len, ip, port) != 1) {
				snprintf(what, sizeof(what), "TCP %s:%u listening", ip, port);
				ready = false;
			}
		}
		if (ready && c->log_ready) {
			net_file_read_tail(log, buf, sizeof(buf), &len);
			if (!net_log_has(buf, len, c->log_ready)) {
				snprintf(what, sizeof(what), "'%s' in its log", c->log_ready);
				ready = false;
			}
		}
		if (ready) {
			printf("  %-10s %-9s pid %-7d ready in %.2f s\n", c->name, c->binary, (int)p->pid,
			       (double)(net_now_ms() - t0) / 1000);
			return 0;
		}
		if (net_now_ms() > deadline) {
			char msg[256];
			snprintf(msg, sizeof(msg), "not ready within %.1f s (waiting for %s)", c->timeout_ms / 1000.0,
				 what);
			comp_fail(r, c, msg);
			return -ETIMEDOUT;
		}
		net_sleep_ms(20);
	}
}

static int start_comp(struct net_run *r, const struct net_comp *c)
{
	char cfg[PATH_MAX], log[PATH_MAX];
	const char *argv[8];
	size_t n = 0;
	pid_t pid;
	struct net_proc *p;
	char state;

	path_join(log, sizeof(log), r->net_dir, c->cfg_of ? c->cfg_of : c->name);
	path_cat(cfg, sizeof(cfg), log, ".cfg", "");
	log_path(r, c, log, sizeof(log));
	argv[n++] = c->binary;
	if (strcmp(c->binary, "bearerbox") == 0 || strcmp(c->binary, "smsbox") == 0) {
		argv[n++] = "-v"; /* Kannel: stderr log level 1 (info) */
		argv[n++] = "1";
		argv[n++] = cfg;
	} else {
		argv[n++] = "-c";
		argv[n++] = cfg;
		if (c->db_key) {
			argv[n++] = "-l";
			argv[n++] = net_map_get(&r->map, c->db_key);
		}
	}
	argv[n] = NULL;
	if (r->st.nprocs >= NET_PROCS_MAX)
		return -ENOSPC;
	pid = proc_spawn("rsplab net", r->net_dir, log, c->m3ua ? r->shim : NULL, (char *const *)argv);
	if (pid < 0) {
		comp_fail(r, c, "could not be started (fork failed)");
		return pid;
	}
	p = &r->st.procs[r->st.nprocs++];
	snprintf(p->name, sizeof(p->name), "%s", c->name);
	p->pid = pid;
	if (proc_stat_read(pid, &state, &p->start) < 0)
		p->start = 0;
	state_save(r->rundir, &r->st);
	return wait_ready(r, c, p);
}

static int render_all(struct net_run *r, const char *src)
{
	static char tmpl[65536], out[65536];

	for (size_t i = 0; i < NET_NCOMPS; i++) {
		const struct net_comp *c = &net_comps[i];
		char in_path[PATH_MAX], out_path[PATH_MAX], err[200];
		size_t len;
		int rc;

		if (!c->tmpl)
			continue;
		path_join(in_path, sizeof(in_path), r->net_dir, c->name);
		path_cat(out_path, sizeof(out_path), in_path, ".cfg", "");
		if (path_join(in_path, sizeof(in_path), src, c->tmpl) < 0)
			return -ENAMETOOLONG;
		rc = net_file_read_tail(in_path, tmpl, sizeof(tmpl), &len);
		if (rc < 0 || len >= sizeof(tmpl) - 1) {
			fprintf(stderr, "rsplab net up: cannot read template %s: %s\n", in_path,
				rc < 0 ? strerror(-rc) : "too large");
			return rc < 0 ? rc : -EFBIG;
		}
		rc = net_tmpl_render(&r->map, tmpl, len, out, sizeof(out), err, sizeof(err));
		if (rc < 0) {
			fprintf(stderr, "rsplab net up: template %s: %s\n", in_path,
				rc == -EMSGSIZE ? "rendered config too large" : err);
			return rc;
		}
		rc = net_file_write(out_path, out, (size_t)rc, 0600);
		if (rc < 0) {
			fprintf(stderr, "rsplab net up: cannot write %s: %s\n", out_path, strerror(-rc));
			return rc;
		}
	}
	return 0;
}

static int build_map(struct net_run *r)
{
	char path[PATH_MAX], buf[16384], val[PATH_MAX];
	size_t len;
	unsigned int line;
	int rc;

	for (size_t i = 0; i < sizeof(net_defaults) / sizeof(net_defaults[0]); i++)
		net_map_set(&r->map, net_defaults[i].key, net_defaults[i].val);
	for (size_t i = 0; i < sizeof(net_secrets) / sizeof(net_secrets[0]); i++) {
		uint8_t rnd[4];
		if (crypto_random(rnd, sizeof(rnd)) < 0)
			return -EIO;
		snprintf(val, sizeof(val), "%02x%02x%02x%02x", rnd[0], rnd[1], rnd[2], rnd[3]);
		net_map_set(&r->map, net_secrets[i], val);
	}
	const struct {
		const char *key, *file;
	} paths[] = { { "NET_DIR", "" },
		      { "HLR1_DB", "hlr-mno1.db" },
		      { "HLR2_DB", "hlr-mno2.db" },
		      { "MSC_SMS_DB", "sms-mno2.db" } };
	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		path_cat(val, sizeof(val), r->net_dir, paths[i].file[0] ? "/" : "", paths[i].file);
		if (net_map_set(&r->map, paths[i].key, val) < 0) {
			fprintf(stderr,
				"rsplab net up: RUNDIR path '%s' has characters a config file cannot carry\n"
				"  (allowed: letters, digits and ._:/?&=%%+@,*~-)\n",
				r->net_dir);
			return -EINVAL;
		}
	}
	/* RUNDIR/net.conf: overrides of known keys */
	rc = path_join(path, sizeof(path), r->rundir, "net.conf");
	if (rc < 0)
		return rc;
	rc = net_file_read_tail(path, buf, sizeof(buf), &len);
	if (rc == -ENOENT)
		return 0;
	if (rc < 0 || len >= sizeof(buf) - 1) {
		fprintf(stderr, "rsplab net up: cannot read %s\n", path);
		return rc < 0 ? rc : -EFBIG;
	}
	rc = net_map_parse(&r->map, buf, len, true, &line);
	if (rc < 0)
		fprintf(stderr, "rsplab net up: %s line %u: %s\n", path, line,
			rc == -ENOENT ? "unknown key (see net.env for the known ones)" : "malformed KEY=value");
	return rc;
}

static int provision(struct net_run *r, const struct net_sub *subs, int nsubs)
{
	static const char *const addr_keys[] = { "HLR1_ADDR", "HLR2_ADDR", false };
	static const char *const port_keys[] = { "HLR1_VTY_PORT", "HLR2_VTY_PORT", false };

	for (int h = 0; h < 2; h++) {
		const struct net_comp *c = &net_comps[1 + h];
		struct net_vty *v;
		int count = 0, rc = 0;

		for (int i = 0; i < nsubs; i++)
			count += subs[i].hlr == (enum net_hlr_id)h;
		if (!count)
			continue;
		v = malloc(sizeof(*v));
		if (!v)
			return -ENOMEM;
		rc = net_vty_open(v, net_map_get(&r->map, addr_keys[h]), map_port(&r->map, port_keys[h]),
				  NET_VTY_TIMEOUT_MS);
		if (rc < 0) {
			comp_fail(r, c, "VTY did not answer for provisioning");
			free(v);
			return rc;
		}
		char why[300];
		rc = net_vty_enable(v, why, sizeof(why), NET_VTY_TIMEOUT_MS);
		if (rc < 0)
			comp_fail(r, c, why);
		for (int i = 0; i < nsubs && rc == 0; i++) {
			if (subs[i].hlr != (enum net_hlr_id)h)
				continue;
			rc = net_sub_provision(v, &subs[i], why, sizeof(why), NET_VTY_TIMEOUT_MS);
			if (rc < 0) {
				char msg[400];
				snprintf(msg, sizeof(msg), "refused subscriber IMSI %s (%s)", subs[i].imsi, why);
				comp_fail(r, c, msg);
			}
		}
		net_vty_close(v);
		free(v);
		if (rc < 0)
			return rc;
		printf("  %-10s provisioned %d subscriber(s) over its VTY\n", c->name, count);
	}
	return 0;
}

static int kannel_online(struct net_run *r)
{
	const struct net_comp *c = &net_comps[4]; /* bearerbox */
	const char *ip = net_map_get(&r->map, "KANNEL_ADDR");
	const char *smsc = net_map_get(&r->map, "KANNEL_SMSC_ID");
	int64_t t0 = net_now_ms(), deadline = t0 + NET_KANNEL_TIMEOUT_MS;
	char target[256], state[32] = "", what[128] = "the status page";
	static char body[65536];

	snprintf(target, sizeof(target), "/status.txt?password=%s", net_map_get(&r->map, "KANNEL_ADMIN_PASSWORD"));
	for (;;) {
		unsigned int status = 0;
		int rc = net_http_get(ip, map_port(&r->map, "KANNEL_ADMIN_PORT"), target, &status, body, sizeof(body),
				      1000);
		if (rc >= 0 && status == 200) {
			int online = net_kannel_smsc_state(body, (size_t)rc, smsc, state, sizeof(state));
			int boxes = net_kannel_smsbox_count(body, (size_t)rc);
			if (online == 1 && boxes >= 1) {
				printf("  %-10s SMSC %s online (SMPP to osmo-msc), smsbox connected, in %.2f s\n",
				       "kannel", smsc, (double)(net_now_ms() - t0) / 1000);
				return 0;
			}
			snprintf(what, sizeof(what), "SMSC %s online (state '%s') and an smsbox (%d)", smsc,
				 state[0] ? state : "not listed", boxes);
		}
		if (net_interrupted || net_now_ms() > deadline) {
			char msg[300];
			snprintf(msg, sizeof(msg), "status page not ready within %d s (waiting for %s)",
				 NET_KANNEL_TIMEOUT_MS / 1000, what);
			comp_fail(r, c, msg);
			return -ETIMEDOUT;
		}
		net_sleep_ms(50);
	}
}

/* Which SCTP: the kernel's if it has it (or as asked), else the shim. */
static int choose_sctp(struct net_run *r, const struct net_opts *o, char *shim, size_t shim_len)
{
	int fd = socket(AF_INET, SOCK_STREAM, IPPROTO_SCTP);
	int err = fd < 0 ? errno : 0;
	char dir[PATH_MAX];

	if (fd >= 0)
		close(fd);
	if (o->sctp == NET_SCTP_KERNEL || (o->sctp == NET_SCTP_AUTO && fd >= 0)) {
		if (fd < 0) {
			fprintf(stderr, "rsplab net up: --sctp kernel, but this kernel has no SCTP (%s)\n",
				strerror(err));
			return -EPROTONOSUPPORT;
		}
		r->shim = NULL;
		snprintf(r->st.sctp, sizeof(r->st.sctp), "kernel");
		printf("sctp: kernel\n");
		return 0;
	}
	if (o->shim) {
		path_cat(shim, shim_len, o->shim, "", "");
	} else {
		if (exe_dir(dir, sizeof(dir)) < 0 ||
		    path_cat(shim, shim_len, dir, "/../network/sctpshim/sctp2tcp.so", "") < 0)
			return -ENAMETOOLONG;
	}
	if (!realpath(shim, dir) || access(dir, R_OK) < 0) {
		fprintf(stderr, "rsplab net up: the SCTP-over-TCP shim is missing: %s\n  (build it with 'make')\n",
			shim);
		return -ENOENT;
	}
	path_cat(shim, shim_len, dir, "", "");
	r->shim = shim;
	snprintf(r->st.sctp, sizeof(r->st.sctp), "shim");
	if (path_cat(r->st.shim, sizeof(r->st.shim), shim, "", "") < 0)
		return -ENAMETOOLONG;
	if (fd < 0)
		printf("sctp: shim (the kernel has no SCTP: %s): LD_PRELOAD=%s for osmo-stp and osmo-msc\n",
		       strerror(err), shim);
	else
		printf("sctp: shim (asked for): LD_PRELOAD=%s for osmo-stp and osmo-msc\n", shim);
	return 0;
}

static int find_src(const struct net_opts *o, char *out, size_t out_len)
{
	char dir[PATH_MAX], probe[PATH_MAX];

	if (o->src_dir) {
		path_cat(dir, sizeof(dir), o->src_dir, "", "");
	} else {
		if (exe_dir(probe, sizeof(probe)) < 0)
			return -ENOENT;
		path_cat(dir, sizeof(dir), probe, "/../../network", "");
	}
	if (!realpath(dir, out) || path_cat(probe, sizeof(probe), out, "/osmocom/osmo-stp.cfg.tmpl", "") < 0 ||
	    access(probe, R_OK) < 0) {
		fprintf(stderr, "rsplab net up: no templates in %s (want osmocom/ and kannel/; use --src DIR)\n", dir);
		return -ENOENT;
	}
	(void)out_len;
	return 0;
}

static int load_subs(struct net_run *r, struct net_sub *subs, size_t max)
{
	char path[PATH_MAX];
	static char buf[65536];
	size_t len;
	unsigned int line;
	int rc = path_join(path, sizeof(path), r->rundir, "subscribers");

	if (rc < 0)
		return rc;
	rc = net_file_read_tail(path, buf, sizeof(buf), &len);
	if (rc == -ENOENT)
		return 0;
	if (rc < 0 || len >= sizeof(buf) - 1) {
		fprintf(stderr, "rsplab net up: cannot read %s\n", path);
		return rc < 0 ? rc : -EFBIG;
	}
	rc = net_subs_parse(buf, len, subs, max, &line);
	explicit_bzero(buf, sizeof(buf));
	if (rc < 0)
		fprintf(stderr, "rsplab net up: %s line %u: %s (format: HLR,IMSI,MSISDN,ALGO,KEY[,OPC]; see README)\n",
			path, line, rc == -ENOSPC ? "too many subscribers" : "malformed");
	return rc;
}

static int setup_netns(struct net_run *r)
{
	uint8_t rnd[4];
	char *add[] = { "ip", "netns", "add", r->st.netns, NULL };
	char *lo[] = { "ip", "-n", r->st.netns, "link", "set", "lo", "up", NULL };
	int rc;

	if (crypto_random(rnd, sizeof(rnd)) < 0)
		return -EIO;
	snprintf(r->st.netns, sizeof(r->st.netns), "rsplab-%02x%02x%02x%02x", rnd[0], rnd[1], rnd[2], rnd[3]);
	/* recorded before it exists: a crash from here on still leaves `net down` something to remove */
	state_save(r->rundir, &r->st);
	rc = run_tool(add, r->tool_log);
	if (rc == 0)
		rc = run_tool(lo, r->tool_log);
	if (rc == 0)
		rc = net_netns_enter(r->st.netns, &r->saved_ns);
	if (rc < 0) {
		fprintf(stderr, "rsplab net up: cannot create network namespace %s (%s); see %s\n", r->st.netns,
			strerror(-rc), r->tool_log);
		return rc;
	}
	printf("netns: %s (private; loopback only)\n", r->st.netns);
	return 0;
}

int net_up(const char *rundir_arg, const struct net_opts *o)
{
	struct net_run *r = calloc(1, sizeof(*r));
	struct net_sub *subs = calloc(NET_SUBS_MAX, sizeof(*subs));
	char rundir[PATH_MAX], src[PATH_MAX], shim[PATH_MAX];
	struct sigaction sa = { .sa_handler = net_on_signal }, old_int, old_term;
	struct net_state old;
	int64_t t0 = net_now_ms();
	int rc, nsubs = 0;
	bool started = false;

	if (!r || !subs) {
		rc = -ENOMEM;
		goto out;
	}
	r->saved_ns = -1;
	if (mkdir(rundir_arg, 0700) < 0 && errno != EEXIST) {
		rc = -errno;
		fprintf(stderr, "rsplab net up: cannot create %s: %s\n", rundir_arg, strerror(errno));
		goto out;
	}
	if (!realpath(rundir_arg, rundir)) {
		rc = -errno;
		goto out;
	}
	r->rundir = rundir;
	path_join(r->net_dir, sizeof(r->net_dir), rundir, "net");
	path_join(r->tool_log, sizeof(r->tool_log), r->net_dir, "tools.log");
	if (mkdir(r->net_dir, 0700) < 0 && errno != EEXIST) {
		rc = -errno;
		fprintf(stderr, "rsplab net up: cannot create %s: %s\n", r->net_dir, strerror(errno));
		goto out;
	}
	if (net_state_load(rundir, &old) == 0 && strcmp(old.status, "down") != 0) {
		fprintf(stderr, "rsplab net up: %s is %s (see %s/state); run 'rsplab net down %s' first\n", rundir,
			old.status, r->net_dir, rundir_arg);
		rc = -EBUSY;
		goto out;
	}
	rc = build_map(r);
	if (rc < 0)
		goto out;
	rc = find_src(o, src, sizeof(src));
	if (rc < 0)
		goto out;
	rc = render_all(r, src);
	if (rc < 0)
		goto out;
	{
		static char env[16384];
		char path[PATH_MAX];
		int n = net_map_format(&r->map, env, sizeof(env));
		path_join(path, sizeof(path), r->net_dir, "net.env");
		rc = n < 0 ? n : net_file_write(path, env, (size_t)n, 0600);
		if (rc < 0)
			goto out;
	}
	nsubs = load_subs(r, subs, NET_SUBS_MAX);
	if (nsubs < 0) {
		rc = nsubs;
		goto out;
	}
	rc = choose_sctp(r, o, shim, sizeof(shim));
	if (rc < 0)
		goto out;

	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	signal(SIGPIPE, SIG_IGN);
	net_interrupted = 0;
	started = true;
	snprintf(r->st.status, sizeof(r->st.status), "starting");
	if (geteuid() == 0 && !o->no_netns) {
		rc = setup_netns(r);
		if (rc < 0)
			goto fail;
	} else {
		printf("netns: none (%s): daemons on this namespace's loopback addresses\n",
		       geteuid() ? "not root" : "--no-netns");
		state_save(rundir, &r->st);
	}
	for (size_t i = 0; i < NET_NCOMPS; i++) {
		rc = start_comp(r, &net_comps[i]);
		if (rc < 0)
			goto fail;
		if (strcmp(net_comps[i].name, "hlr-mno2") == 0) {
			rc = provision(r, subs, nsubs);
			if (rc < 0)
				goto fail;
		}
	}
	rc = kannel_online(r);
	if (rc < 0)
		goto fail;
	snprintf(r->st.status, sizeof(r->st.status), "up");
	rc = state_save(rundir, &r->st);
	if (rc < 0)
		goto fail;
	printf("net up: %zu processes ready in %.2f s; state %s/state, settings %s/net.env\n", r->st.nprocs,
	       (double)(net_now_ms() - t0) / 1000, r->net_dir, r->net_dir);
	rc = 0;
	goto out;
fail:
	fprintf(stderr, "rsplab net up: failed; stopping what was started\n");
	net_netns_leave(r->saved_ns);
	r->saved_ns = -1;
	stop_all(rundir, &r->st, r->tool_log);
	if (rc >= 0)
		rc = -EIO;
out:
	if (r && r->saved_ns >= 0)
		net_netns_leave(r->saved_ns);
	if (started) {
		sigaction(SIGINT, &old_int, NULL);
		sigaction(SIGTERM, &old_term, NULL);
	}
	if (subs)
		explicit_bzero(subs, NET_SUBS_MAX * sizeof(*subs));
	free(subs);
	free(r);
	return rc;
}

int net_down(const char *rundir_arg)
{
	char rundir[PATH_MAX], tool_log[PATH_MAX];
	struct net_state st;
	int64_t t0 = net_now_ms();
	size_t alive = 0;
	int rc;

	if (!realpath(rundir_arg, rundir)) {
		fprintf(stderr, "rsplab net down: %s: %s\n", rundir_arg, strerror(errno));
		return -errno;
	}
	rc = net_state_load(rundir, &st);
	if (rc == -ENOENT) {
		printf("net down: no network state in %s (never up)\n", rundir);
		return 0;
	}
	if (rc < 0) {
		fprintf(stderr, "rsplab net down: %s/net/state is unreadable (%s)\n", rundir, strerror(-rc));
		return rc;
	}
	for (size_t i = 0; i < st.nprocs; i++)
		alive += net_proc_alive(st.procs[i].pid, st.procs[i].start);
	if (!st.netns[0] || !net_netns_exists(st.netns))
		st.netns[0] = '\0'; /* nothing to remove */
	path_join(tool_log, sizeof(tool_log), rundir, "net/tools.log");
	rc = stop_all(rundir, &st, tool_log);
	if (rc < 0)
		return rc;
	printf("net down: stopped %zu process(es)%s%s in %.2f s\n", alive, st.netns[0] ? ", removed namespace " : "",
	       st.netns, (double)(net_now_ms() - t0) / 1000);
	return 0;
}

/* --- command line ---------------------------------------------------------------------------------- */

static void net_usage(FILE *f)
{
	fprintf(f, "usage: rsplab net up RUNDIR [--src DIR] [--shim PATH] [--sctp auto|kernel|shim] [--no-netns]\n"
		   "       rsplab net down RUNDIR\n"
		   "Starts (up) or stops (down) the core network alone: osmo-stp, osmo-hlr MNO1 and MNO2 (roaming\n"
		   "proxy), osmo-msc MNO2 with its SMSC/SMPP, Kannel (bearerbox + smsbox) as MNO1's SMS gateway.\n"
		   "As root everything runs in a private network namespace. Files: RUNDIR/net/ (configs, logs,\n"
		   "net.env with every setting, state); optional RUNDIR/net.conf (KEY=value overrides) and\n"
		   "RUNDIR/subscribers (HLR,IMSI,MSISDN,ALGO,KEY[,OPC]). See network/README.md.\n"
		   "  --src DIR   templates (DIR/osmocom, DIR/kannel); default: the source tree's network/\n"
		   "  --shim PATH the SCTP-over-TCP LD_PRELOAD shim; default: the build's sctp2tcp.so\n"
		   "  --sctp MODE auto (default: kernel SCTP if present, else the shim), kernel, shim\n"
		   "  --no-netns  do not create a namespace even as root\n");
}

int cmd_net(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "src", required_argument, NULL, 's' },  { "shim", required_argument, NULL, 'S' },
		{ "sctp", required_argument, NULL, 'm' }, { "no-netns", no_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },	  { NULL, 0, NULL, 0 },
	};
	struct net_opts o = { .sctp = NET_SCTP_AUTO };
	const char *verb;
	int c, v;

	if (argc < 2 || cli_is_help(argv[1])) {
		net_usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	setvbuf(stdout, NULL, _IOLBF, 0); /* progress and errors interleave in order in a log */
	verb = argv[1];
	optind = 1;
	while ((c = getopt_long(argc - 1, argv + 1, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 's': o.src_dir = optarg; break;
		case 'S': o.shim = optarg; break;
		case 'n': o.no_netns = true; break;
		case 'm':
			v = get_string_value(net_sctp_mode_names, optarg);
			if (v < 0) {
				fprintf(stderr, "rsplab net: --sctp must be auto, kernel or shim\n");
				return 2;
			}
			o.sctp = (enum net_sctp_mode)v;
			break;
		case 'h': net_usage(stdout); return 0;
		default: net_usage(stderr); return 2;
		}
	}
	if (optind + 1 != argc - 1) {
		net_usage(stderr);
		return 2;
	}
	if (strcmp(verb, "up") == 0)
		return net_up(argv[optind + 1], &o) < 0 ? 1 : 0;
	if (strcmp(verb, "down") == 0)
		return net_down(argv[optind + 1]) < 0 ? 1 : 0;
	fprintf(stderr, "rsplab net: unknown verb '%s' (up or down)\n", verb);
	return 2;
}
