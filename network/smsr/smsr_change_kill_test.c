/* SM-SR Change with a kill -9 (issue 8, Robustness): two REAL rsplab-smsr processes (SR1 on Kannel, SR2 on
 * direct SMPP, ES7 between them over HTTPS with mutual TLS) and the real card (`rsplab-euicc serve` behind
 * `rsplab-device` on the lab network of `rsplab net up`), set up as in smsr_change_net_test.c. For every
 * step an SM-SR stores in its table smsr_change, on the giving and on the taking side, one SM-SR Change
 * runs; the test watches the victim's database (read-only) and sends it SIGKILL as soon as that step is
 * stored (a prepared read-only query in a tight loop; the card's ES5 round trip is the shortest window),
 * restarts it on the same database at once (smsr_change_resume() at start-up) and waits until
 * both tables are empty (finished or expired; bounded). Then it asserts digest §2.1: ES4 GetEIS finds
 * the EIS at exactly one SM-SR, whose Smsr-id it carries; that SM-SR's newest ISD-R SCP80 key set (its
 * store) is on the card with the same KIc/KID (the card's store); the MNO got exactly one SMSRChange
 * answer, success iff the eUICC moved; the audit trails of both stores record it once, in line. The next
 * change starts from whichever SM-SR holds the eUICC, so both directions run. Needs root (network
 * namespace): otherwise the test says why and checks only the --timer option. Every wait is bounded; the
 * timers are short (--timer, --por-timeout) and the validity period VALIDITY_S, so a killed SR1 is asked
 * again by SR2 after T_ES7_RETRY instead of waiting out the validity period. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <osmocom/core/select.h>
#include <osmocom/core/utils.h>
#include <sqlite3.h>
#include <talloc.h>

#include "lib/esnet/esnet.h"
#include "lib/test/runner.h"
#include "network/smsr/smsr_netenv.h"

#define CMD_TIMEOUT_MS	  60000 /* net up/down, pki init, card init */
#define ATTACH_TIMEOUT_MS 20000
#define CHANGE_TIMEOUT_MS 30000 /* one SM-SR Change with a kill and a restart until both tables are empty */
#define VALIDITY_S	  15	/* of PrepareSMSRChange and SMSRChange */
#define PREPARE_LOST_MS	  3000	/* SR2 killed at step 2: how long the MNO waits for the lost answer */

#define SR1_ID	  "1.3.6.1.4.1.99999.11"
#define SR2_ID	  "1.3.6.1.4.1.99999.12"
#define MNO_ID	  "1.3.6.1.4.1.99999.21"
#define SR1_PORT  28111
#define SR2_PORT  28112
#define MNO_PORT  28113
#define IMSI1	  "001010000000001"
#define MSISDN1	  "1001"
#define K1	  "000102030405060708090a0b0c0d0e0f"
#define OPC1	  "0f0e0d0c0b0a09080706050403020100"
#define VPCD_PORT 35982

static bool skipped;
static char bindir[PATH_MAX], rundir[PATH_MAX], netenv[PATH_MAX];
static char netns[128], sctp[16], shim[PATH_MAX];
static bool net_is_up;
static int saved_ns = -1;
static void *ctx;
static unsigned int failures_at_start;

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void path_in(char *out, size_t cap, const char *name)
{
	snprintf(out, cap, "%.3000s/%s", rundir, name);
}

/* ---- processes ----------------------------------------------------------------------------------- */

/* fork + exec argv; stdout to out (NULL: log), stderr to log (appended); preload as LD_PRELOAD. */
static pid_t spawn(const char *const *argv, const char *log, const char *out, const char *preload)
{
	pid_t pid = fork();

	if (pid != 0)
		return pid;
	int fd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	int fo = out ? open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600) : fd;

	if (fd >= 0)
		dup2(fd, 2);
	if (fo >= 0)
		dup2(fo, 1);
	if (preload)
		setenv("LD_PRELOAD", preload, 1);
	execv(argv[0], (char *const *)argv);
	_exit(127);
}

/* The exit status (128+signal when killed) of pid within timeout_ms, or -ETIMEDOUT. */
static int wait_pid(pid_t pid, int timeout_ms)
{
	long long deadline = now_ms() + timeout_ms;
	int status;

	for (;;) {
		pid_t r = waitpid(pid, &status, WNOHANG);

		if (r == pid)
			return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
		if (r < 0)
			return -errno;
		if (now_ms() > deadline)
			return -ETIMEDOUT;
		usleep(10000);
	}
}

/* SIGTERM, SIGKILL after 3 s. How it ended (wait_pid), 0 if not running. */
static int stop_pid(pid_t *pid)
{
	int rc;

	if (*pid <= 0)
		return 0;
	kill(*pid, SIGTERM);
	rc = wait_pid(*pid, 3000);
	if (rc == -ETIMEDOUT) {
		printf("  pid %d ignored SIGTERM for 3 s: SIGKILL\n", (int)*pid);
		kill(*pid, SIGKILL);
		rc = wait_pid(*pid, 3000);
	}
	*pid = 0;
	return rc;
}

static int run(const char *const *argv, const char *out)
{
	char log[PATH_MAX];
	pid_t pid;
	int rc;

	path_in(log, sizeof(log), "setup.log");
	pid = spawn(argv, log, out, NULL);
	if (pid < 0)
		return -errno;
	rc = wait_pid(pid, CMD_TIMEOUT_MS);
	if (rc == -ETIMEDOUT) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}
	if (rc != 0)
		printf("\n  %s %s failed (%d); see %s\n", argv[0], argv[1] ? argv[1] : "", rc, log);
	return rc;
}

static void reap(void)
{
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
}

/* Something listens on TCP 127.0.0.1:port (/proc/self/net/tcp, state 0A; no probe connection: the
 * device would take one on its vpcd port for the card) within timeout_ms, unless pid exits. */
static bool listening(uint16_t port)
{
	char line[256], want[32];
	FILE *f = fopen("/proc/self/net/tcp", "re");
	bool found = false;

	snprintf(want, sizeof(want), "0100007F:%04X", port);
	while (f && !found && fgets(line, sizeof(line), f)) {
		char local[32], remote[32];
		unsigned int st;

		if (sscanf(line, " %*u: %31s %31s %x", local, remote, &st) == 3 && st == 0x0A && !strcmp(local, want))
			found = true;
	}
	if (f)
		fclose(f);
	return found;
}

static bool wait_port(uint16_t port, pid_t pid, int timeout_ms)
{
	long long deadline = now_ms() + timeout_ms;

	do {
		if (listening(port))
			return true;
		if (pid > 0 && waitpid(pid, NULL, WNOHANG) == pid)
			return false;
		usleep(20000);
	} while (now_ms() < deadline);
	return false;
}

/* Any process whose command line mentions dir? */
static int procs_mentioning(const char *dir)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	int count = 0;

	while (d && (e = readdir(d))) {
		char path[300], buf[4096];
		size_t len;
		FILE *f;

		if (e->d_name[0] < '1' || e->d_name[0] > '9' || atoi(e->d_name) == getpid())
			continue;
		snprintf(path, sizeof(path), "/proc/%s/cmdline", e->d_name);
		if (!(f = fopen(path, "re")))
			continue;
		len = fread(buf, 1, sizeof(buf) - 1, f);
		fclose(f);
		for (size_t i = 0; i < len; i++)
			buf[i] = buf[i] ? buf[i] : ' ';
		buf[len] = '\0';
		if (len && strstr(buf, dir)) {
			printf("  still running: pid %s: %s\n", e->d_name, buf);
			count++;
		}
	}
	if (d)
		closedir(d);
	return count;
}

/* ---- the net --------------------------------------------------------------------------------------- */

static const char *E(const char *key)
{
	static char v[8][256];
	static unsigned int i;
	char *o = v[i++ % 8];

	if (smsr_netenv_get(netenv, key, o, sizeof(v[0])) < 0)
		o[0] = '\0';
	return o;
}

static int state_load(void)
{
	char path[PATH_MAX], line[PATH_MAX + 16];
	FILE *f;

	path_in(path, sizeof(path), "net/state");
	f = fopen(path, "re");
	if (!f)
		return -ENOENT;
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		if (!strncmp(line, "netns=", 6))
			snprintf(netns, sizeof(netns), "%.127s", line + 6);
		else if (!strncmp(line, "sctp=", 5))
			snprintf(sctp, sizeof(sctp), "%.15s", line + 5);
		else if (!strncmp(line, "shim=", 5))
			snprintf(shim, sizeof(shim), "%.4000s", line + 5);
	}
	fclose(f);
	return 0;
}

static int netns_enter(void)
{
	char path[PATH_MAX];
	int fd;

	if (!netns[0])
		return 0; /* the net runs in ours */
	saved_ns = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	snprintf(path, sizeof(path), "/run/netns/%s", netns);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (saved_ns < 0 || fd < 0 || setns(fd, CLONE_NEWNET) < 0) {
		if (fd >= 0)
			close(fd);
		return -errno;
	}
	close(fd);
	return 0;
}

static int netns_exists(void)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "/run/netns/%s", netns);
	return access(path, F_OK) == 0;
}

static void stop_net(void)
{
	char rsplab[PATH_MAX];

	if (saved_ns >= 0) {
		setns(saved_ns, CLONE_NEWNET);
		close(saved_ns);
		saved_ns = -1;
	}
	if (net_is_up) {
		snprintf(rsplab, sizeof(rsplab), "%.4000s/rsplab", bindir);
		const char *argv[] = { rsplab, "net", "down", rundir, NULL };
		if (run(argv, NULL) != 0)
			printf("  rsplab net down failed\n");
		net_is_up = false;
	}
	reap();
}

static int setup(void)
{
	char exe[PATH_MAX], rsplab[PATH_MAX], path[PATH_MAX], out[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	static const char subs[] = "# HLR,IMSI,MSISDN,ALGO,KEY[,OPC]\nmno1," IMSI1 "," MSISDN1 ",milenage," K1 "," OPC1
				   "\n";
	long long t0 = now_ms();
	FILE *f;

	failures_at_start = CU_get_number_of_failures();
	if (n < 0)
		return 1;
	exe[n] = '\0';
	*strrchr(exe, '/') = '\0'; /* <build>/network/smsr */
	snprintf(bindir, sizeof(bindir), "%.4000s/../../bin", exe);
	if (geteuid() != 0) {
		skipped = true;
		printf("\n  smsr_change_kill: not root, skipped (rsplab net up needs a network namespace)\n");
		return 0;
	}
	snprintf(rsplab, sizeof(rsplab), "%.4000s/rsplab", bindir);
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	signal(SIGPIPE, SIG_IGN);
	snprintf(rundir, sizeof(rundir), "%s/rsplab-chgkill-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(rundir))
		return 1;
	ctx = talloc_named_const(NULL, 0, "smsr_change_kill_test");
	path_in(path, sizeof(path), "pki");
	const char *pki_argv[] = { rsplab, "pki", "init", path, NULL };
	path_in(out, sizeof(out), "p1.der");
	const char *saip_argv[] = { rsplab,   "tool", "saip", "build", "--iccid", "8988211000000530082",
				    "--imsi", IMSI1,  "--k",  K1,      "--opc",	  OPC1,
				    "-o",     out,    NULL };
	if (run(pki_argv, NULL) != 0 || run(saip_argv, NULL) != 0)
		return 1;
	path_in(path, sizeof(path), "subscribers");
	f = fopen(path, "we");
	if (!f || fputs(subs, f) < 0 || fclose(f) != 0)
		return 1;
	const char *up_argv[] = { rsplab, "net", "up", rundir, NULL };
	net_is_up = true;
	if (run(up_argv, NULL) != 0 || state_load() < 0)
		return 1;
	path_in(netenv, sizeof(netenv), "net/net.env");
	if (netns_enter() < 0)
		return 1;
	printf("\n  smsr_change_kill: net up (sctp %s, netns %s) in %.1f s; RUNDIR %s\n", sctp, netns,
	       (double)(now_ms() - t0) / 1000, rundir);
	return 0;
}

int suite_setup(void)
{
	int rc = setup();

	if (rc) {
		stop_net();
		printf("\n  smsr_change_kill: set-up failed; logs kept in %s\n", rundir);
	}
	return rc;
}

static int rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	return remove(path);
}

int suite_teardown(void)
{
	if (skipped)
		return 0;
	stop_net();
	if (rundir[0] && CU_get_number_of_failures() == failures_at_start)
		nftw(rundir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	else if (rundir[0])
		printf("\n  smsr_change_kill: logs kept in %s\n", rundir);
	talloc_free(ctx);
	return 0;
}

/* ---- the device under test ----------------------------------------------------------------------- */

static pid_t dev_pid, card_pid, sr1_pid, sr2_pid;
static char ctl_path[108];

static int ctl(const char *req, char *out, size_t cap)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	long long deadline = now_ms() + 3000;
	size_t len = 0;
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -errno;
	snprintf(a.sun_path, sizeof(a.sun_path), "%s", ctl_path);
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0 || write(fd, req, strlen(req)) < 0 ||
	    write(fd, "\n", 1) != 1) {
		close(fd);
		return -ENOTCONN;
	}
	out[0] = '\0';
	while (len + 1 < cap && now_ms() < deadline) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t r;

		if (poll(&p, 1, 100) <= 0)
			continue;
		r = read(fd, out + len, cap - 1 - len);
		if (r <= 0)
			break;
		len += (size_t)r;
		out[len] = '\0';
		if (strstr(out, "\nOK") || !strncmp(out, "OK", 2) || strstr(out, "ERR"))
			break;
	}
	close(fd);
	return len ? (int)len : -ETIMEDOUT;
}

static bool dut_start(const char *card_db)
{
	char log[PATH_MAX], dev_bin[PATH_MAX], card_bin[PATH_MAX], card_arg[PATH_MAX + 32], vpcd[48], stp[64];
	char state[2048];
	long long deadline;

	snprintf(ctl_path, sizeof(ctl_path), "%.90s/dev.ctl", rundir);
	snprintf(dev_bin, sizeof(dev_bin), "%.4000s/rsplab-device", bindir);
	snprintf(card_bin, sizeof(card_bin), "%.4000s/rsplab-euicc", bindir);
	snprintf(vpcd, sizeof(vpcd), "vpcd:127.0.0.1:%u", VPCD_PORT);
	snprintf(stp, sizeof(stp), "%s:%s", E("STP_ADDR"), E("STP_M3UA_PORT"));
	const char *dev_argv[] = { dev_bin,	  "--card",   vpcd,	   "--card-wait", "10000",	 "--stp",
				   stp,		  "--msc-pc", E("MSC_PC"), "--mcc",	  E("MNO2_MCC"), "--mnc",
				   E("MNO2_MNC"), "--ctrl",   ctl_path,	   "--t3211",	  "1",		 NULL };
	path_in(log, sizeof(log), "device.log");
	dev_pid = spawn(dev_argv, log, NULL, strcmp(sctp, "shim") ? NULL : shim);
	if (dev_pid < 0 || !wait_port(VPCD_PORT, dev_pid, 5000)) {
		printf("  rsplab-device not listening as vpcd; see %s\n", log);
		return false;
	}
	snprintf(card_arg, sizeof(card_arg), "%.4000s@127.0.0.1:%u", card_db, VPCD_PORT);
	const char *card_argv[] = { card_bin, "serve", card_arg, NULL };
	path_in(log, sizeof(log), "card.log");
	card_pid = spawn(card_argv, log, NULL, NULL);
	if (card_pid < 0)
		return false;
	deadline = now_ms() + ATTACH_TIMEOUT_MS;
	do {
		if (ctl("state", state, sizeof(state)) > 0 && strstr(state, " ms=ATTACHED") &&
		    strstr(state, " imsi=" IMSI1))
			return true;
		usleep(100000);
	} while (now_ms() < deadline);
	printf("  the device did not attach within %d ms; last state: %s\n", ATTACH_TIMEOUT_MS, state);
	return false;
}

/* ---- the SM-SRs --------------------------------------------------------------------------------- */

static pid_t smsr_start(const char *name, const char *id, uint16_t port, const char *transport, const char *peer_id,
			uint16_t peer_port, bool sr2, const char *addressing)
{
	char bin[PATH_MAX], db[PATH_MAX], log[PATH_MAX], cert[PATH_MAX], key[PATH_MAX], ca[PATH_MAX], url[64],
		peer[128], notify[64], portstr[8], gpc[PATH_MAX], gpk[PATH_MAX], eum[PATH_MAX];
	const char *argv[48];
	unsigned int n = 0;
	pid_t pid;

	snprintf(bin, sizeof(bin), "%.4000s/rsplab-smsr", bindir);
	snprintf(db, sizeof(db), "%.3000s/%s.db", rundir, name);
	snprintf(log, sizeof(log), "%.3000s/%s.log", rundir, name);
	snprintf(cert, sizeof(cert), "%.3000s/pki/%s/tls-cert.pem", rundir, name);
	snprintf(key, sizeof(key), "%.3000s/pki/%s/tls-key.pem", rundir, name);
	snprintf(ca, sizeof(ca), "%.3000s/pki/ci/cert.pem", rundir);
	snprintf(eum, sizeof(eum), "%.3000s/pki/eum/cert.pem", rundir);
	snprintf(gpc, sizeof(gpc), "%.3000s/pki/%s/gp-cert.hex", rundir, name);
	snprintf(gpk, sizeof(gpk), "%.3000s/pki/%s/gp-key.hex", rundir, name);
	snprintf(url, sizeof(url), "https://127.0.0.1:%u/es", port);
	snprintf(peer, sizeof(peer), "%s=https://127.0.0.1:%u/es", peer_id, peer_port);
	snprintf(notify, sizeof(notify), "https://127.0.0.1:%u/mno", MNO_PORT);
	snprintf(portstr, sizeof(portstr), "%u", port);
	argv[n++] = bin;
	argv[n++] = "--smsr-id", argv[n++] = id;
	argv[n++] = "--db", argv[n++] = db;
	argv[n++] = "--port", argv[n++] = portstr;
	argv[n++] = "--url", argv[n++] = url;
	argv[n++] = "--notify-url", argv[n++] = notify;
	argv[n++] = "--cert", argv[n++] = cert;
	argv[n++] = "--key", argv[n++] = key;
	argv[n++] = "--ca", argv[n++] = ca;
	argv[n++] = "--net-env", argv[n++] = netenv;
	argv[n++] = "--sms-transport", argv[n++] = transport;
	argv[n++] = "--peer-smsr", argv[n++] = peer;
	/* short timers (seconds): a killed SR1 is asked again by SR2 after T_ES7_RETRY, a restarted SR1
	 * asks again at step 22 after T_ES7, a lost SMS is sent again after the PoR timeout */
	argv[n++] = "--timer", argv[n++] = "es7=3";
	argv[n++] = "--timer", argv[n++] = "es7-retry=4";
	argv[n++] = "--timer", argv[n++] = "es5=8";
	argv[n++] = "--por-timeout", argv[n++] = "5";
	if (addressing && addressing[0])
		argv[n++] = "--addressing", argv[n++] = addressing;
	if (sr2) {
		argv[n++] = "--sr-cert", argv[n++] = gpc;
		argv[n++] = "--sr-key", argv[n++] = gpk;
		argv[n++] = "--ci", argv[n++] = ca;
		argv[n++] = "--eum", argv[n++] = eum;
	}
	argv[n] = NULL;
	pid = spawn(argv, log, NULL, NULL);
	if (pid <= 0 || !wait_port(port, pid, 5000)) {
		printf("  %s did not start; see %s\n", name, log);
		return pid;
	}
	return pid;
}

/* ---- the MNO: an esnet client and notification endpoint --------------------------------------------- */

static struct esnet *mno;
static struct tls_ctx *mno_srv_tls, *mno_cli_tls;
static unsigned int n_change_notifs;
static char notif_from[64];

static void on_notif(struct esnet_in *in, void *priv)
{
	const struct es_msg *m = esnet_in_msg(in);

	printf("  MNO <- %s from %s\n", es_msgs[m->id].name, esnet_in_sender_id(in));
	if (m->id == ES_MSG_ES4_HANDLE_SMSR_CHANGE_NOTIF) {
		n_change_notifs++;
		snprintf(notif_from, sizeof(notif_from), "%s", esnet_in_sender_id(in));
	}
	esnet_in_done(in);
}

static const struct esnet_handler mno_handlers[] = {
	{ ES_MSG_ES4_HANDLE_SMSR_CHANGE_NOTIF, on_notif, NULL },
	{ ES_MSG_ES4_HANDLE_PROFILE_ENABLED_NOTIF, on_notif, NULL },
	{ ES_MSG_ES4_HANDLE_PROFILE_DISABLED_NOTIF, on_notif, NULL },
	{ ES_MSG_ES4_HANDLE_PROFILE_DELETED_NOTIF, on_notif, NULL },
};

static bool mno_start(void)
{
	char cert[PATH_MAX], key[PATH_MAX], ca[PATH_MAX], url[64], err[256] = "";

	snprintf(cert, sizeof(cert), "%.3000s/pki/mno1/tls-cert.pem", rundir);
	snprintf(key, sizeof(key), "%.3000s/pki/mno1/tls-key.pem", rundir);
	snprintf(ca, sizeof(ca), "%.3000s/pki/ci/cert.pem", rundir);
	mno_srv_tls = tls_ctx_alloc(ctx,
				    &(struct tls_cfg){ .role = TLS_ROLE_SERVER,
						       .cert_file = cert,
						       .key_file = key,
						       .ca_file = ca,
						       .require_client_cert = true },
				    err, sizeof(err));
	mno_cli_tls = tls_ctx_alloc(ctx,
				    &(struct tls_cfg){ .role = TLS_ROLE_CLIENT,
						       .cert_file = cert,
						       .key_file = key,
						       .ca_file = ca,
						       .verify_host = "127.0.0.1" },
				    err, sizeof(err));
	if (!mno_srv_tls || !mno_cli_tls) {
		printf("  MNO TLS: %s\n", err);
		return false;
	}
	snprintf(url, sizeof(url), "https://127.0.0.1:%u/mno", MNO_PORT);
	mno = esnet_alloc(ctx, &(struct esnet_cfg){ .listen_addr = "127.0.0.1",
						    .listen_port = MNO_PORT,
						    .server_tls = mno_srv_tls,
						    .callback_tls = mno_cli_tls,
						    .handlers = mno_handlers,
						    .num_handlers = ARRAY_SIZE(mno_handlers),
						    .own_url = url,
						    .own_id = MNO_ID,
						    .own_name = "MNO1",
						    .variant = es_variant_default });
	return mno != NULL;
}

struct result {
	bool done;
	int rc;
	enum es_msg_id id;
	enum es_status status;
	char subject[16], reason[16];
	unsigned int n_profiles;
	char smsr_id[64];
};

static void call_cb(struct esnet_call *call, int rc, const struct es_msg *resp, const struct soap_findings *f,
		    void *priv)
{
	struct result *r = priv;
	const struct es_fes *fes;

	r->done = true;
	r->rc = rc;
	if (rc < 0 || !resp || resp->is_fault) {
		r->rc = rc < 0 ? rc : -EPROTO;
		return;
	}
	r->id = resp->id;
	/* every response begins with the base fields (es_types.def ES_BASE_RESP) */
	fes = &resp->u.es1_register_eis_resp.function_execution_status;
	r->status = fes->status;
	snprintf(r->subject, sizeof(r->subject), "%s", fes->status_code_data.subject ?: "");
	snprintf(r->reason, sizeof(r->reason), "%s", fes->status_code_data.reason ?: "");
	if (resp->id == ES_MSG_ES4_GET_EIS_RESP && resp->u.es4_get_eis_resp.eis.present) {
		r->n_profiles = resp->u.es4_get_eis_resp.eis.n_profile_info;
		snprintf(r->smsr_id, sizeof(r->smsr_id), "%s", resp->u.es4_get_eis_resp.eis.smsr_id ?: "");
	}
}

/* Send m to the SM-SR at port and wait for its answer within timeout_ms. */
static struct result mno_call(uint16_t port, const char *peer_id, struct es_msg *m, int timeout_ms)
{
	char url[64];
	struct result r = { 0 };
	long long deadline = now_ms() + timeout_ms;

	snprintf(url, sizeof(url), "https://127.0.0.1:%u/es", port);
	r.rc = esnet_call(mno,
			  &(struct esnet_peer){
				  .url = url, .entity_id = peer_id, .tls = mno_cli_tls, .variant = es_variant_default },
			  m, call_cb, &r, NULL);
	if (r.rc < 0) {
		printf("  %s not sent: %s\n", es_msgs[m->id].name, esnet_last_error(mno));
		return r;
	}
	while (!r.done && now_ms() < deadline) {
		osmo_select_main(1);
		usleep(2000);
	}
	if (!r.done)
		r.rc = -ETIMEDOUT;
	printf("  MNO: %s -> %s rc %d %s %s/%s\n", es_msgs[m->id].name, peer_id, r.rc,
	       r.rc == 0 ? get_value_string(es_status_names, r.status) : "-", r.subject, r.reason);
	return r;
}

static void pump_ms(int ms)
{
	long long deadline = now_ms() + ms;

	while (now_ms() < deadline) {
		osmo_select_main(1);
		usleep(10000);
	}
}

/* ---- card keys -> SR1's store ----------------------------------------------------------------------- */

struct card_keys {
	char eid[33];
	uint8_t kvn80, kvn81, kic[16], kid[16], kik[16], psk[16];
};

static bool card_keys_read(const char *path, struct card_keys *k)
{
	char line[256];
	unsigned int got = 0;
	FILE *f = fopen(path, "re");

	memset(k, 0, sizeof(*k));
	while (f && fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		if (!strncmp(line, "eid=", 4))
			got += snprintf(k->eid, sizeof(k->eid), "%s", line + 4) == 32;
		else if (!strncmp(line, "scp80.kvn=", 10))
			got += osmo_hexparse(line + 10, &k->kvn80, 1) == 1;
		else if (!strncmp(line, "scp80.kic=", 10))
			got += osmo_hexparse(line + 10, k->kic, 16) == 16;
		else if (!strncmp(line, "scp80.kid=", 10))
			got += osmo_hexparse(line + 10, k->kid, 16) == 16;
		else if (!strncmp(line, "scp80.kik=", 10))
			got += osmo_hexparse(line + 10, k->kik, 16) == 16;
		else if (!strncmp(line, "scp81.kvn=", 10))
			got += osmo_hexparse(line + 10, &k->kvn81, 1) == 1;
		else if (!strncmp(line, "scp81.psk=", 10))
			got += osmo_hexparse(line + 10, k->psk, 16) == 16;
	}
	if (f)
		fclose(f);
	memset(line, 0, sizeof(line));
	return got == 7;
}

/* `rsplab-smsr keys-import`: the card's key values into the EIS registered at SR1 (the lab EIS carries
 * key versions only). */
static bool sr1_keys_import(const char *keys_path)
{
	char bin[PATH_MAX], db[PATH_MAX];

	snprintf(bin, sizeof(bin), "%.4000s/rsplab-smsr", bindir);
	path_in(db, sizeof(db), "smsr1.db");
	const char *argv[] = { bin, "keys-import", "--db", db, keys_path, NULL };
	return run(argv, NULL) == 0;
}

/* ---- the stores, read-only ------------------------------------------------------------------------- */

/* The first column of the first row of sql (one text parameter p1, may be NULL) as text into out; ""
 * when there is none. */
static void db_text(const char *path, const char *sql, const char *p1, char *out, size_t cap)
{
	sqlite3 *db;
	sqlite3_stmt *q;

	out[0] = '\0';
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
		sqlite3_close(db);
		return;
	}
	sqlite3_busy_timeout(db, 1000);
	if (sqlite3_prepare_v2(db, sql, -1, &q, NULL) == SQLITE_OK) {
		if (p1)
			sqlite3_bind_text(q, 1, p1, -1, SQLITE_STATIC);
		if (sqlite3_step(q) == SQLITE_ROW && sqlite3_column_text(q, 0))
			snprintf(out, cap, "%s", (const char *)sqlite3_column_text(q, 0));
		sqlite3_finalize(q);
	}
	sqlite3_close(db);
}

static void smsr_db(int i, char *out, size_t cap)
{
	snprintf(out, cap, "%.3000s/smsr%d.db", rundir, i + 1);
}

/* ---- the test --------------------------------------------------------------------------------------- */

static const char *const ids[2] = { SR1_ID, SR2_ID };
static const uint16_t ports[2] = { SR1_PORT, SR2_PORT };
static pid_t *const pids[2] = { &sr1_pid, &sr2_pid };

/* The DGI 3A07 value of step 26 (UpdateSMSRAddressingParameters) with the SM-SR's short code: 86 len 91
 * (TON/NPI) then BCD digits, low nibble first, F filler; as `rsplab run` builds it; "" when there is none. */
static void addressing_hex(const char *code, char *out, size_t cap)
{
	uint8_t v[2 + 1 + 10];
	size_t nd = strlen(code), n = 3;

	out[0] = '\0';
	if (!nd || nd > 2 * (sizeof(v) - 3) || strspn(code, "0123456789") != nd)
		return;
	v[0] = 0x86;
	v[2] = 0x91;
	for (size_t i = 0; i < nd; i += 2)
		v[n++] = (uint8_t)((code[i] - '0') | (i + 1 < nd ? (code[i + 1] - '0') << 4 : 0xF0));
	v[1] = (uint8_t)(n - 2);
	osmo_hexdump_buf(out, cap, v, n, "", false);
}

static pid_t sr_start(int i)
{
	char name[16];

	char addressing[32];

	snprintf(name, sizeof(name), "smsr%d", i + 1);
	addressing_hex(E(i == 0 ? "SMSR1_SHORT_CODE" : "SMSR2_SHORT_CODE"), addressing, sizeof(addressing));
	return smsr_start(name, ids[i], ports[i], i == 0 ? "kannel" : "smpp", ids[!i], ports[!i], true, addressing);
}

static struct es_msg *new_msg(enum es_msg_id id)
{
	struct es_msg *m = talloc_zero(ctx, struct es_msg);

	m->id = id;
	return m;
}

/* GetEIS at SM-SR i: the Smsr-id of the EIS there, "" when it answers Failed. false when no answer. */
static bool get_eis(int i, const uint8_t eid_bin[16], char *smsr_id, size_t cap)
{
	struct es_msg *m = new_msg(ES_MSG_ES4_GET_EIS_REQ);
	struct result r;

	m->u.es4_get_eis_req.present = true;
	m->u.es4_get_eis_req.eid = (struct es_hex){ (uint8_t *)eid_bin, 16 };
	r = mno_call(ports[i], ids[i], m, 10000);
	smsr_id[0] = '\0';
	if (r.rc == 0 && r.status == ES_STATUS_EXECUTED_SUCCESS)
		snprintf(smsr_id, cap, "%s", r.smsr_id);
	return r.rc == 0;
}

/* ES4 SMSRChange at SM-SR from (to to), answered into *rsp later (async). */
static void send_change(const uint8_t eid_bin[16], int from, int to, struct result *rsp)
{
	struct es_msg *m = new_msg(ES_MSG_ES4_SMSR_CHANGE_REQ);
	char url[64];

	memset(rsp, 0, sizeof(*rsp));
	m->u.es4_smsr_change_req.present = true;
	m->u.es4_smsr_change_req.eid = (struct es_hex){ (uint8_t *)eid_bin, 16 };
	m->u.es4_smsr_change_req.target_smsr_id = ids[to];
	m->u.es4_smsr_change_req.validity_period = (struct es_int){ true, VALIDITY_S };
	snprintf(url, sizeof(url), "https://127.0.0.1:%u/es", ports[from]);
	CU_ASSERT_EQUAL(esnet_call(mno,
				   &(struct esnet_peer){ .url = url,
							 .entity_id = ids[from],
							 .tls = mno_cli_tls,
							 .variant = es_variant_default },
				   m, call_cb, rsp, NULL),
			0);
}

/* Every step either role stores (smsr_change.c state names). */
static const char *const giver_steps[] = { "5_HANDOVER_SENT", "8_CERT_TO_ISDR", "13_WAIT_KEYSET_REQ",
					   "16_KEYAGREEMENT_TO_ISDR", "22_WAIT_HANDOVER_RESP" };
static const char *const taker_steps[] = { "2_AWAITING_HANDOVER", "7_AUTHENTICATE_SENT", "15_CREATE_KEYSET_SENT",
					   "25_FINALISE_SENT",	  "26_ADDRESSING_SENT",	 "26_SCP81_CERT_SENT",
					   "26_SCP81_KEYS_SENT" };

static int holder; /* index of the SM-SR managing the card */

/* One SM-SR Change from holder to the other, the victim (the giver when giver, else the taker) killed
 * -9 as soon as it stored step and restarted. Asserts digest §2.1 afterwards. */
static bool change_with_kill(const uint8_t eid_bin[16], const char *eid, bool giver, const char *step)
{
	int from = holder, to = !holder, v = giver ? from : to;
	char db[PATH_MAX], audit_before[2][16], audit_after[2][16], got[2][64], peer_url[64];
	struct result rsp = { 0 }, *prep = talloc_zero(ctx, struct result); /* lives on: its answer may come late */
	struct es_msg *m;
	long long t0 = now_ms(), deadline = t0 + CHANGE_TIMEOUT_MS, t_kill = 0;
	bool killed = false, empty = false, early = !giver && !strcmp(step, "2_AWAITING_HANDOVER");
	sqlite3 *vdb = NULL;
	sqlite3_stmt *q = NULL;

	printf("\n  --- %s -> %s, kill -9 %s at %s\n", ids[from], ids[to], ids[v], step);
	for (int i = 0; i < 2; i++) {
		smsr_db(i, db, sizeof(db));
		db_text(db, "SELECT count(*) FROM audit WHERE eid = ?", eid, audit_before[i], sizeof(audit_before[i]));
	}
	/* the victim's table, read-only, one prepared query: each step of it reads the last commit (WAL) */
	smsr_db(v, db, sizeof(db));
	CU_ASSERT_FATAL(sqlite3_open_v2(db, &vdb, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK);
	sqlite3_busy_timeout(vdb, 1000);
	CU_ASSERT_FATAL(sqlite3_prepare_v2(vdb, "SELECT step FROM smsr_change WHERE eid = ?", -1, &q, NULL) ==
			SQLITE_OK);
	sqlite3_bind_text(q, 1, eid, -1, SQLITE_STATIC);
	m = new_msg(ES_MSG_ES4_PREPARE_SMSR_CHANGE_REQ);
	m->u.es4_prepare_smsr_change_req.present = true;
	m->u.es4_prepare_smsr_change_req.eid = (struct es_hex){ (uint8_t *)eid_bin, 16 };
	m->u.es4_prepare_smsr_change_req.current_smsr_id = ids[from];
	m->u.es4_prepare_smsr_change_req.validity_period = (struct es_int){ true, VALIDITY_S };
	if (early) {
		/* the step is stored before PrepareSMSRChange is answered: fire it and watch */
		snprintf(peer_url, sizeof(peer_url), "https://127.0.0.1:%u/es", ports[to]);
		CU_ASSERT_EQUAL(esnet_call(mno,
					   &(struct esnet_peer){ .url = peer_url,
								 .entity_id = ids[to],
								 .tls = mno_cli_tls,
								 .variant = es_variant_default },
					   m, call_cb, prep, NULL),
				0);
	} else {
		*prep = mno_call(ports[to], ids[to], m, 10000);
		CU_ASSERT_EQUAL(prep->status, ES_STATUS_EXECUTED_SUCCESS);
		send_change(eid_bin, from, to, &rsp);
	}
	/* watch the victim's table; SIGKILL the moment the step is there */
	while (!killed && now_ms() < deadline) {
		const unsigned char *now = NULL;

		sqlite3_reset(q);
		if (sqlite3_step(q) == SQLITE_ROW)
			now = sqlite3_column_text(q, 0);
		if (now && !strcmp((const char *)now, step)) {
			kill(*pids[v], SIGKILL);
			t_kill = now_ms();
			CU_ASSERT_EQUAL(wait_pid(*pids[v], 3000), 128 + SIGKILL);
			printf("  killed %s at %s after %.2f s\n", ids[v], step, (double)(t_kill - t0) / 1000);
			*pids[v] = sr_start(v);
			killed = true;
			break;
		}
		if (rsp.done) {
			printf("  the change ended (%s) before %s was seen in the table\n",
			       get_value_string(es_status_names, rsp.status), step);
			break;
		}
		osmo_select_main(1);
	}
	sqlite3_finalize(q);
	sqlite3_close(vdb);
	if (early) {
		/* PrepareSMSRChange is asynchronous (202, then the callback): the callback died with the
		 * process; the step was stored, so SR2 takes the eUICC over: the MNO goes on after a while */
		long long lost = now_ms() + PREPARE_LOST_MS;

		while (!prep->done && now_ms() < lost)
			pump_ms(20);
		printf("  PrepareSMSRChange answer: %s\n",
		       prep->done ? get_value_string(es_status_names, prep->status) : "lost with the process");
		send_change(eid_bin, from, to, &rsp);
	}
	/* finished or expired: no procedure stored at either */
	while (now_ms() < deadline && !empty) {
		char n0[16], n1[16], p[PATH_MAX];

		smsr_db(0, p, sizeof(p));
		db_text(p, "SELECT count(*) FROM smsr_change", NULL, n0, sizeof(n0));
		smsr_db(1, p, sizeof(p));
		db_text(p, "SELECT count(*) FROM smsr_change", NULL, n1, sizeof(n1));
		empty = !strcmp(n0, "0") && !strcmp(n1, "0") && rsp.done;
		if (!empty)
			pump_ms(20);
	}
	printf("  both tables empty: %s after %.1f s (%.1f s after the kill); MNO answer: %s\n", empty ? "yes" : "NO",
	       (double)(now_ms() - t0) / 1000, t_kill ? (double)(now_ms() - t_kill) / 1000 : 0.0,
	       rsp.done ? get_value_string(es_status_names, rsp.status) : "none");
	CU_ASSERT(empty);
	CU_ASSERT(rsp.done);
	/* the EIS at exactly one SM-SR */
	CU_ASSERT_FATAL(get_eis(0, eid_bin, got[0], sizeof(got[0])));
	CU_ASSERT_FATAL(get_eis(1, eid_bin, got[1], sizeof(got[1])));
	CU_ASSERT_FATAL((got[0][0] != '\0') != (got[1][0] != '\0'));
	holder = got[0][0] ? 0 : 1;
	CU_ASSERT_STRING_EQUAL(got[holder], ids[holder]);
	if (rsp.done && rsp.id == ES_MSG_ES4_SMSR_CHANGE_RESP)
		CU_ASSERT_EQUAL(rsp.status != ES_STATUS_FAILED, holder == to);
	/* the holder reaches the card: its newest SCP80 key set is there, same KIc and KID */
	{
		char kvn[8], kic[80], kid[80], ckic[80], ckid[80], card_db[PATH_MAX];

		smsr_db(holder, db, sizeof(db));
		path_in(card_db, sizeof(card_db), "card.db");
		db_text(db, "SELECT kvn FROM keyset WHERE eid = ? AND kic IS NOT NULL ORDER BY kvn DESC", eid, kvn,
			sizeof(kvn));
		db_text(db, "SELECT hex(kic) FROM keyset WHERE eid = ? AND kic IS NOT NULL ORDER BY kvn DESC", eid, kic,
			sizeof(kic));
		db_text(db, "SELECT hex(kid) FROM keyset WHERE eid = ? AND kic IS NOT NULL ORDER BY kvn DESC", eid, kid,
			sizeof(kid));
		db_text(card_db, "SELECT hex(k1) FROM keyset WHERE kvn = ?1", kvn, ckic, sizeof(ckic));
		db_text(card_db, "SELECT hex(k2) FROM keyset WHERE kvn = ?1", kvn, ckid, sizeof(ckid));
		printf("  EIS at %s only; its key set %s is on the card: %s\n", ids[holder], kvn,
		       kic[0] && !strcmp(kic, ckic) && !strcmp(kid, ckid) ? "yes" : "NO");
		CU_ASSERT(kvn[0] != '\0');
		CU_ASSERT(kic[0] != '\0' && !strcmp(kic, ckic));
		CU_ASSERT(kid[0] != '\0' && !strcmp(kid, ckid));
	}
	/* audit: the giver recorded the handover once (unless it refused before starting), in line with
	 * the outcome; the taker recorded success only if it holds */
	for (int i = 0; i < 2; i++) {
		smsr_db(i, db, sizeof(db));
		db_text(db, "SELECT count(*) FROM audit WHERE eid = ?", eid, audit_after[i], sizeof(audit_after[i]));
	}
	{
		char st[16], type[16];

		smsr_db(from, db, sizeof(db));
		db_text(db, "SELECT op_type FROM audit WHERE eid = ? ORDER BY id DESC", eid, type, sizeof(type));
		db_text(db, "SELECT status FROM audit WHERE eid = ? ORDER BY id DESC", eid, st, sizeof(st));
		CU_ASSERT_EQUAL(atoi(audit_after[from]) - atoi(audit_before[from]), 1);
		CU_ASSERT_EQUAL(atoi(type), 0x0A00);
		CU_ASSERT_EQUAL(atoi(st) != ES_STATUS_FAILED, holder == to);
		smsr_db(to, db, sizeof(db));
		db_text(db, "SELECT status FROM audit WHERE eid = ? AND op_type = 2304 ORDER BY id DESC", eid, st,
			sizeof(st));
		if (holder == to)
			CU_ASSERT(st[0] && atoi(st) != ES_STATUS_FAILED);
	}
	return killed;
}

/* rsplab-smsr --timer: the three SM-SR Change timers by name, 1..86400 s; anything else refused (exit 2)
 * before the daemon starts (-h: exit 0 once the options parsed). Runs without root too. */
void test_smsr_change_kill_timer_option(void)
{
	static const struct {
		const char *arg;
		int rc;
	} cases[] = { { "es7=3", 0 },	  { "es5=86400", 0 }, { "es7-retry=1", 0 }, { "es7=0", 2 },
		      { "es5=86401", 2 }, { "es7", 2 },	      { "=3", 2 },	    { "t_es7=3", 2 } };
	char bin[PATH_MAX];

	snprintf(bin, sizeof(bin), "%.4000s/rsplab-smsr", bindir);
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		const char *argv[] = { bin, "--timer", cases[i].arg, "-h", NULL };
		pid_t pid = spawn(argv, "/dev/null", "/dev/null", NULL);
		int rc = wait_pid(pid, 10000);

		if (rc != cases[i].rc)
			printf("\n  --timer %s: exit %d, want %d\n", cases[i].arg, rc, cases[i].rc);
		CU_ASSERT_EQUAL(rc, cases[i].rc);
	}
}

void test_smsr_change_kill_every_step(void)
{
	char card_bin[PATH_MAX], pki[PATH_MAX], prof[PATH_MAX], db[PATH_MAX], keys_path[PATH_MAX], eis_path[PATH_MAX];
	char smsr_sms[32];
	struct card_keys k;
	struct result r;
	struct es_msg *m;
	uint8_t eid_bin[16], *xml = NULL;
	char *arena;
	FILE *f;
	size_t xml_len;
	long long t0 = now_ms();

	if (skipped) {
		printf("\n  skipped: needs root (network namespace for rsplab net up)\n");
		return;
	}
	snprintf(card_bin, sizeof(card_bin), "%.4000s/rsplab-euicc", bindir);
	path_in(pki, sizeof(pki), "pki");
	path_in(prof, sizeof(prof), "p1.der");
	path_in(db, sizeof(db), "card.db");
	path_in(eis_path, sizeof(eis_path), "eis.xml");
	snprintf(keys_path, sizeof(keys_path), "%.3000s/card.db.keys", rundir);
	snprintf(smsr_sms, sizeof(smsr_sms), "1 1 %s", E("SMSR1_SHORT_CODE"));
	const char *init_argv[] = { card_bin, "init",	   "--pki", pki,	  "--auto", "--profile",
				    prof,     "-o",	   db,	    "--smsr-sms", smsr_sms, "--msisdn",
				    MSISDN1,  "--smsr-id", SR1_ID,  "--mno-id",	  MNO_ID,   NULL };
	CU_ASSERT_FATAL(run(init_argv, eis_path) == 0);
	CU_ASSERT_FATAL(card_keys_read(keys_path, &k));
	CU_ASSERT_FATAL(osmo_hexparse(k.eid, eid_bin, sizeof(eid_bin)) == 16);
	CU_ASSERT_FATAL(mno_start());
	sr1_pid = sr_start(0);
	sr2_pid = sr_start(1);
	if (!wait_port(SR1_PORT, sr1_pid, 100) || !wait_port(SR2_PORT, sr2_pid, 100)) {
		CU_FAIL("an SM-SR did not start");
		goto out;
	}
	if (!dut_start(db)) {
		CU_FAIL("the device with the card did not attach");
		goto out;
	}
	f = fopen(eis_path, "re");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	xml = talloc_size(ctx, 65536);
	xml_len = fread(xml, 1, 65536, f);
	fclose(f);
	m = new_msg(ES_MSG_NONE);
	arena = talloc_size(m, xml_len + 64);
	CU_ASSERT_FATAL(es_msg_decode(m, arena, xml_len + 64, xml, xml_len, NULL, NULL) == 0);
	memset(&m->wsa, 0, sizeof(m->wsa));
	m->u.es1_register_eis_req.function_call_identifier = NULL;
	r = mno_call(SR1_PORT, SR1_ID, m, 10000);
	CU_ASSERT_EQUAL_FATAL(r.status, ES_STATUS_EXECUTED_SUCCESS);
	CU_ASSERT_FATAL(sr1_keys_import(keys_path));
	holder = 0;
	printf("  set-up: %.1f s\n", (double)(now_ms() - t0) / 1000);
	/* a change that ended (or expired) before the step was stored still had its outcome checked; the
	 * step gets one more change */
	for (size_t i = 0; i < ARRAY_SIZE(giver_steps); i++)
		CU_ASSERT(change_with_kill(eid_bin, k.eid, true, giver_steps[i]) ||
			  change_with_kill(eid_bin, k.eid, true, giver_steps[i]));
	for (size_t i = 0; i < ARRAY_SIZE(taker_steps); i++)
		CU_ASSERT(change_with_kill(eid_bin, k.eid, false, taker_steps[i]) ||
			  change_with_kill(eid_bin, k.eid, false, taker_steps[i]));
	printf("\n  %zu kills in %.1f s\n", ARRAY_SIZE(giver_steps) + ARRAY_SIZE(taker_steps),
	       (double)(now_ms() - t0) / 1000);
out:
	CU_ASSERT(stop_pid(&dev_pid) >= 0);
	CU_ASSERT(stop_pid(&card_pid) >= 0);
	CU_ASSERT(stop_pid(&sr1_pid) == 0);
	CU_ASSERT(stop_pid(&sr2_pid) == 0);
	esnet_free(mno);
	mno = NULL;
	reap();
	memset(&k, 0, sizeof(k));
	talloc_free(xml);
}

/* Last: net down, nothing of ours left. */
void test_smsr_change_kill_net_down(void)
{
	if (skipped)
		return;
	stop_pid(&dev_pid);
	stop_pid(&card_pid);
	stop_pid(&sr1_pid);
	stop_pid(&sr2_pid);
	stop_net();
	CU_ASSERT_FALSE(net_is_up);
	CU_ASSERT_EQUAL(procs_mentioning(rundir), 0);
	if (netns[0])
		CU_ASSERT_FALSE(netns_exists());
}
