/* The simulated eUICC behind a real PC/SC stack (issue 6 "Tests", shared docs pcsc-lab.md): in a fresh
 * temporary directory `rsplab pki init`, `rsplab tool saip build` and `rsplab-euicc init` make a card;
 * a private pcscd (Debian's pcscd + vsmartcard-vpcd, own reader.conf) runs in its own network, mount
 * and PID namespace with its socket directory bind-mounted from the temporary directory, and
 * `rsplab-euicc serve` plugs the card into vpcd reader 0. This process talks to it through
 * libpcsclite only (PCSCLITE_CSOCK_NAME): ATR, SELECT ISD-R / ECASD + GET DATA EID against init's
 * EID, EF.DIR -> ADF.USIM -> EF.IMSI against the package's IMSI, an unknown AID. Then everything is
 * stopped and no process of the namespace may be left, nor the directory.
 *
 * Needs root (namespaces); as non-root the test prints why and checks nothing. pcscd and
 * vsmartcard-vpcd missing is a failure (scripts/setup installs them). Every wait is bounded: readiness
 * is polled, and a watchdog (SIGALRM) kills the namespace if the card hangs a PC/SC call (pitfall 6).
 *
 * Process tree: this test -> N (unshare(NET|NS|PID), forwards SIGTERM) -> I (pid 1 of the new PID
 * namespace: mounts, lo up, runs pcscd and the card server, stops them on SIGTERM). When I exits the
 * kernel kills whatever is left in the namespace; N and I die with their parent (PR_SET_PDEATHSIG). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <PCSC/winscard.h>
#include <PCSC/wintypes.h>

#include "lib/test/runner.h"
#include "sims/euicc/card.h"

/* Debian 12 packages (pcsc-lab.md §1) */
#define PCSCD	  "/usr/sbin/pcscd"
#define VPCD_LIB  "/usr/lib/pcsc/drivers/serial/libifdvpcd.so"
#define VPCD_PORT 0x8C7B /* 35963: CHANNELID of our reader.conf, slot 0; slot 1 listens on +1 */
#define READER	  "Virtual PCD 00 00"

#define IMSI  "001010123456789"
#define ICCID "8988211000000530082"
/* EF.IMSI of IMSI above (TS 31.102 §4.2.2, TS 24.008 §10.5.1.4): length 08, then digit 1 with the
 * odd/IMSI nibble 9, then the digits in swapped BCD. Worked out by hand. */
#define IMSI_EF "080910101032547698"

#define CMD_TIMEOUT_MS	 10000 /* one rsplab command */
#define READY_TIMEOUT_MS 8000  /* namespace up: pcscd listening, card server started */
#define CARD_TIMEOUT_MS	 5000  /* reader listed and card PRESENT (first presence poll: <= 400 ms) */
#define STOP_TIMEOUT_MS	 6000  /* everything stopped */
#define WATCHDOG_S	 30    /* a hung PC/SC call: kill the namespace */

struct lab {
	char dir[96];	       /* the temporary directory */
	char bin[PATH_MAX];    /* <build>/bin */
	char sock[160];	       /* <dir>/run/pcscd.comm */
	volatile pid_t ns_pid; /* N, in our PID namespace */
	pid_t init_pid;	       /* I, as we see it */
	char pidns[64];	       /* "pid:[inode]" of the private PID namespace */
	char eid[33];	       /* from rsplab-euicc init */
	char imsi[16];	       /* from rsplab tool saip show */
	uint8_t usim_aid[16];
	size_t usim_aid_len;
	uint8_t atr[33];
	size_t atr_len;
};
static struct lab lab;

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(int ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000 };
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* Print the last lines of a log file of the lab (for a failure). */
static void show_file(const char *name)
{
	static char lines[60][256];
	char path[160];
	unsigned int n = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", lab.dir, name);
	f = fopen(path, "r");
	if (!f)
		return;
	while (fgets(lines[n % 60], sizeof(lines[0]), f))
		n++;
	fclose(f);
	printf("  --- %s%s ---\n", name, n > 60 ? " (last 60 lines)" : "");
	for (unsigned int i = n > 60 ? n - 60 : 0; i < n; i++)
		printf("  %s", lines[i % 60]);
}

/* Wait for pid at most ms; SIGKILL it after that. Returns the wait status, or -1 on timeout. */
static int wait_bounded(pid_t pid, int ms)
{
	int64_t deadline = now_ms() + ms;
	int st;

	for (;;) {
		pid_t r = waitpid(pid, &st, WNOHANG);
		if (r == pid)
			return st;
		if (r < 0 && errno != EINTR)
			return -1;
		if (now_ms() > deadline) {
			kill(pid, SIGKILL);
			waitpid(pid, &st, 0);
			return -1;
		}
		sleep_ms(5);
	}
}

/* Run argv (absolute program path) with stdout to <dir>/out and stderr to <dir>/err; bounded.
 * Returns true on exit status 0, else prints both files. */
static bool run_cmd(const char *const argv[], const char *out, const char *err)
{
	char op[160], ep[160];
	int st;
	pid_t pid;

	snprintf(op, sizeof(op), "%s/%s", lab.dir, out);
	snprintf(ep, sizeof(ep), "%s/%s", lab.dir, err);
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		int o = open(op, O_WRONLY | O_CREAT | O_TRUNC, 0600), e = open(ep, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		if (o < 0 || e < 0)
			_exit(126);
		dup2(o, 1);
		dup2(e, 2);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	if (pid < 0)
		return false;
	st = wait_bounded(pid, CMD_TIMEOUT_MS);
	if (st >= 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0)
		return true;
	printf("\n  %s %s failed (status %d)\n", argv[0], argv[1], st);
	show_file(out);
	show_file(err);
	return false;
}

/* The value of "key=" in a key=value file of the lab, into val (NUL-terminated). */
static bool kv_get(const char *name, const char *key, char *val, size_t cap)
{
	char path[160], line[512];
	size_t kl = strlen(key);
	bool found = false;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", lab.dir, name);
	f = fopen(path, "r");
	while (f && !found && fgets(line, sizeof(line), f)) {
		if (strncmp(line, key, kl) || line[kl] != '=')
			continue;
		line[strcspn(line, "\r\n")] = 0;
		snprintf(val, cap, "%s", line + kl + 1);
		found = true;
	}
	if (f)
		fclose(f);
	return found;
}

/* Does a file of the lab contain needle? (small files only) */
static bool file_contains(const char *name, const char *needle)
{
	static char text[65536];
	char path[160];
	size_t n = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", lab.dir, name);
	f = fopen(path, "r");
	if (f) {
		n = fread(text, 1, sizeof(text) - 1, f);
		fclose(f);
	}
	text[n] = 0;
	return strstr(text, needle) != NULL;
}

static int unhex_str(const char *hex, uint8_t *out, size_t cap)
{
	size_t n = strlen(hex);
	if (n % 2 || n / 2 > cap)
		return -1;
	for (size_t i = 0; i < n / 2; i++) {
		unsigned int b;
		if (sscanf(hex + 2 * i, "%2x", &b) != 1)
			return -1;
		out[i] = (uint8_t)b;
	}
	return (int)(n / 2);
}

/* ---- inside the namespaces (N and I): no CUnit here, only messages and exit codes --------------- */

static volatile sig_atomic_t ns_stop;
static volatile pid_t ns_child;

static void on_term(int sig)
{
	ns_stop = 1;
}

static void on_chld(int sig)
{
}

static void fwd_term(int sig)
{
	if (ns_child > 0)
		kill(ns_child, SIGTERM);
}

static pid_t spawn_logged(const char *const argv[], const char *log)
{
	char path[160];
	pid_t pid;

	snprintf(path, sizeof(path), "%s/%s", lab.dir, log);
	pid = fork();
	if (pid == 0) {
		sigset_t none;
		int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
		if (fd < 0)
			_exit(126);
		dup2(fd, 1);
		dup2(fd, 2);
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	return pid;
}

/* Both vpcd slots listening in this network namespace (/proc/net/tcp, state 0A = LISTEN). A TCP
 * connect would be taken for a card, so the table is read instead. */
static bool vpcd_listening(void)
{
	char line[256];
	int n = 0;
	FILE *f = fopen("/proc/net/tcp", "r");

	while (f && fgets(line, sizeof(line), f)) {
		unsigned int port, state;
		if (sscanf(line, " %*d: %*x:%x %*x:%*x %x", &port, &state) == 2 && state == 0x0A &&
		    (port == VPCD_PORT || port == VPCD_PORT + 1))
			n++;
	}
	if (f)
		fclose(f);
	return n == 2;
}

static int lo_up(void)
{
	struct ifreq ifr = { 0 };
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), rc = -1;

	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "lo");
	if (fd >= 0 && ioctl(fd, SIOCGIFFLAGS, &ifr) == 0) {
		ifr.ifr_flags |= IFF_UP;
		rc = ioctl(fd, SIOCSIFFLAGS, &ifr);
	}
	if (fd >= 0)
		close(fd);
	return rc;
}

/* Stop a child of I with SIGTERM; returns its wait status, -1 if it had to be killed. */
static int stop_child(pid_t pid, int *st, bool *reaped)
{
	int64_t deadline = now_ms() + 3000;

	if (!*reaped)
		kill(pid, SIGTERM);
	while (!*reaped) {
		if (waitpid(pid, st, WNOHANG) == pid) {
			*reaped = true;
			break;
		}
		if (now_ms() > deadline) {
			kill(pid, SIGKILL);
			waitpid(pid, st, 0);
			return -1;
		}
		sleep_ms(5);
	}
	return *st;
}

/* I: pid 1 of the private PID namespace, in the private network and mount namespaces. Writes 'R'
 * to ready_fd once pcscd listens and the card server runs; exits 0 when both stopped cleanly. */
static void ns_init(int ready_fd)
{
	char run[128], conf[128], card[160];
	const char *pcscd_argv[] = { PCSCD, "-f", "-d", "-a", "-c", conf, NULL };
	char euicc[PATH_MAX + 16];
	const char *card_argv[] = { euicc, "serve", card, NULL };
	struct sigaction term = { .sa_handler = on_term }, chld = { .sa_handler = on_chld };
	sigset_t block, orig;
	pid_t pcscd, server;
	int pst = 0, cst = 0, rc = 0;
	bool p_done = false, c_done = false;
	int64_t deadline;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	sigaction(SIGTERM, &term, NULL);
	sigaction(SIGCHLD, &chld, NULL);
	snprintf(run, sizeof(run), "%s/run", lab.dir);
	snprintf(conf, sizeof(conf), "%s/reader.conf", lab.dir);
	snprintf(card, sizeof(card), "%s/card.db@127.0.0.1:%d", lab.dir, VPCD_PORT);
	snprintf(euicc, sizeof(euicc), "%s/rsplab-euicc", lab.bin);
	/* pcsc-lab.md "From C": our mounts stay in here; pcscd's fixed /run/pcscd is our directory, on a
	 * private /run so nothing is created or covered on the host. */
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
	    mount("rsplab-pcsc", "/run", "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755") < 0 ||
	    mkdir("/run/pcscd", 0755) < 0 || mount(run, "/run/pcscd", NULL, MS_BIND, NULL) < 0) {
		printf("  namespace: mount: %s\n", strerror(errno));
		_exit(3);
	}
	if (lo_up() < 0) { /* vpcd binds 0.0.0.0: in here that is loopback only (pitfall 1) */
		printf("  namespace: lo up: %s\n", strerror(errno));
		_exit(3);
	}
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGCHLD);
	sigprocmask(SIG_BLOCK, &block, &orig);
	sigdelset(&orig, SIGTERM);
	sigdelset(&orig, SIGCHLD);

	pcscd = spawn_logged(pcscd_argv, "pcscd.log");
	deadline = now_ms() + 5000;
	/* pitfall 10/11: "daemon ready" comes before the socket, and a failed vpcd bind still runs */
	while (!vpcd_listening()) {
		if (waitpid(pcscd, &pst, WNOHANG) == pcscd) {
			printf("  namespace: pcscd exited (status %d) before vpcd listened\n", pst);
			_exit(4);
		}
		if (ns_stop || now_ms() > deadline) {
			printf("  namespace: vpcd ports %d/%d not listening after 5 s\n", VPCD_PORT, VPCD_PORT + 1);
			_exit(4);
		}
		sleep_ms(5);
	}
	server = spawn_logged(card_argv, "card.log");
	if (pcscd < 0 || server < 0 || write(ready_fd, "R", 1) != 1)
		_exit(5);
	close(ready_fd);

	for (;;) { /* reap; anything but our two children is an orphan of the namespace */
		int st;
		pid_t r;
		while ((r = waitpid(-1, &st, WNOHANG)) > 0) {
			if (r == pcscd)
				p_done = true, pst = st;
			if (r == server)
				c_done = true, cst = st;
		}
		if (ns_stop)
			break;
		sigsuspend(&orig);
	}
	if (p_done || c_done) {
		printf("  namespace: %s ended before the stop (status %d)\n", p_done ? "pcscd" : "the card server",
		       p_done ? pst : cst);
		rc = 6;
	}
	if (stop_child(server, &cst, &c_done) < 0 || !WIFEXITED(cst) || WEXITSTATUS(cst) != 0) {
		printf("  namespace: the card server did not exit 0 on SIGTERM (status %d)\n", cst);
		rc = 7;
	}
	if (stop_child(pcscd, &pst, &p_done) < 0 || !WIFEXITED(pst)) {
		printf("  namespace: pcscd did not exit on SIGTERM (status %d)\n", pst);
		rc = 7;
	}
	fflush(stdout);
	_exit(rc);
}

/* N: the parent of the namespaces. */
static void ns_parent(pid_t test_pid, int pid_fd, int ready_fd)
{
	struct sigaction fwd = { .sa_handler = fwd_term };
	sigset_t block, orig;
	pid_t child;
	int st;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != test_pid)
		_exit(1);
	if (unshare(CLONE_NEWNET | CLONE_NEWNS | CLONE_NEWPID) < 0) {
		printf("  unshare(NET|NS|PID): %s\n", strerror(errno));
		_exit(2);
	}
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigprocmask(SIG_BLOCK, &block, &orig);
	child = fork();
	if (child == 0) {
		close(pid_fd);
		sigprocmask(SIG_SETMASK, &orig, NULL);
		ns_init(ready_fd);
	}
	close(ready_fd);
	ns_child = child;
	sigaction(SIGTERM, &fwd, NULL);
	sigprocmask(SIG_SETMASK, &orig, NULL);
	if (child < 0 || write(pid_fd, &child, sizeof(child)) != sizeof(child))
		_exit(1);
	while (waitpid(child, &st, 0) < 0)
		if (errno != EINTR)
			_exit(1);
	_exit(WIFEXITED(st) ? WEXITSTATUS(st) : 9);
}

/* ---- the test process ------------------------------------------------------------------------- */

static void on_watchdog(int sig)
{
	if (lab.ns_pid > 0)
		kill(lab.ns_pid, SIGKILL); /* the card dies with it: a blocked PC/SC call returns */
}

/* Read exactly n bytes from fd within ms. */
static bool read_bounded(int fd, void *buf, size_t n, int ms)
{
	int64_t deadline = now_ms() + ms;
	size_t got = 0;

	while (got < n) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		int left = (int)(deadline - now_ms());
		ssize_t r;
		if (left <= 0 || poll(&p, 1, left) <= 0)
			return false;
		r = read(fd, (uint8_t *)buf + got, n - got);
		if (r <= 0)
			return false;
		got += (size_t)r;
	}
	return true;
}

/* The card, the reader config and the namespace with pcscd and the card server. */
static bool lab_start(void)
{
	char exe[PATH_MAX], pki[128], saip[128], db[128], path[160], aid_hex[64], link[64];
	const char *tmp = getenv("TMPDIR");
	int pid_pipe[2], ready_pipe[2];
	char ready = 0;
	FILE *f;

	if (test_build_dir(exe, sizeof(exe)) < 0)
		return false;
	snprintf(lab.bin, sizeof(lab.bin), "%.4000s/bin", exe);
	snprintf(lab.dir, sizeof(lab.dir), "%.60s/rsplab-pcsc-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(lab.dir)) {
		printf("\n  mkdtemp %s: %s\n", lab.dir, strerror(errno));
		lab.dir[0] = 0;
		return false;
	}
	/* pitfall 12: the client's socket path must fit sun_path */
	if ((size_t)snprintf(lab.sock, sizeof(lab.sock), "%s/run/pcscd.comm", lab.dir) >= 108) {
		printf("\n  socket path %s is too long for sun_path\n", lab.sock);
		return false;
	}

	snprintf(pki, sizeof(pki), "%s/pki", lab.dir);
	snprintf(saip, sizeof(saip), "%s/p.der", lab.dir);
	snprintf(db, sizeof(db), "%s/card.db", lab.dir);
	char rsplab[PATH_MAX + 8], euicc[PATH_MAX + 16];
	snprintf(rsplab, sizeof(rsplab), "%s/rsplab", lab.bin);
	snprintf(euicc, sizeof(euicc), "%s/rsplab-euicc", lab.bin);
	const char *pki_argv[] = { rsplab, "pki", "init", pki, NULL };
	const char *saip_argv[] = { rsplab,    "tool",
				    "saip",    "build",
				    "--iccid", ICCID,
				    "--imsi",  IMSI,
				    "--k",     "000102030405060708090a0b0c0d0e0f",
				    "--opc",   "0f0e0d0c0b0a09080706050403020100",
				    "-o",      saip,
				    NULL };
	const char *show_argv[] = { rsplab, "tool", "saip", "show", saip, NULL };
	const char *init_argv[] = { euicc, "init", "--pki", pki, "--auto", "--profile", saip, "-o", db, NULL };
	if (!run_cmd(pki_argv, "pki.out", "pki.err") || !run_cmd(saip_argv, "saip.out", "saip.err") ||
	    !run_cmd(show_argv, "show.out", "show.err") || !run_cmd(init_argv, "eis.xml", "init.err"))
		return false;
	/* init's EID is in the key file it writes for the SM-SR and in its EIS */
	CU_ASSERT_TRUE(kv_get("card.db.keys", "eid", lab.eid, sizeof(lab.eid)));
	CU_ASSERT_EQUAL(strlen(lab.eid), 32);
	snprintf(path, sizeof(path), "Eid>%s<", lab.eid);
	CU_ASSERT_TRUE(file_contains("eis.xml", path));
	CU_ASSERT_TRUE(kv_get("show.out", "imsi", lab.imsi, sizeof(lab.imsi)));
	CU_ASSERT_STRING_EQUAL(lab.imsi, IMSI);
	CU_ASSERT_TRUE(kv_get("show.out", "usim_aid", aid_hex, sizeof(aid_hex)));
	ssize_t n = unhex_str(aid_hex, lab.usim_aid, sizeof(lab.usim_aid));
	CU_ASSERT_TRUE(n >= 5);
	lab.usim_aid_len = n > 0 ? (size_t)n : 0;

	/* the ATR the card should present (TS 102 221 §6.3), before the server owns the file */
	struct euicc_card *card = NULL;
	CU_ASSERT_EQUAL(euicc_card_open(&card, db, NULL), 0);
	if (!card)
		return false;
	lab.atr_len = euicc_card_atr(card, lab.atr, sizeof(lab.atr));
	euicc_card_close(card);

	/* our own reader.conf: the vpcd entry of /etc/reader.conf.d/vpcd, server mode only (§4.4) */
	snprintf(path, sizeof(path), "%s/reader.conf", lab.dir);
	f = fopen(path, "w");
	if (!f)
		return false;
	fprintf(f, "FRIENDLYNAME \"Virtual PCD\"\nDEVICENAME /dev/null:0x%X\nLIBPATH %s\nCHANNELID 0x%X\n", VPCD_PORT,
		VPCD_LIB, VPCD_PORT);
	fclose(f);
	snprintf(path, sizeof(path), "%s/run", lab.dir);
	if (mkdir(path, 0700) < 0)
		return false;

	if (pipe2(pid_pipe, O_CLOEXEC) < 0)
		return false;
	if (pipe2(ready_pipe, O_CLOEXEC) < 0) {
		close(pid_pipe[0]), close(pid_pipe[1]);
		return false;
	}
	fflush(stdout);
	pid_t self = getpid(), nsp = fork();
	if (nsp == 0) {
		close(pid_pipe[0]);
		close(ready_pipe[0]);
		ns_parent(self, pid_pipe[1], ready_pipe[1]);
	}
	lab.ns_pid = nsp;
	close(pid_pipe[1]);
	close(ready_pipe[1]);
	bool ok = nsp > 0 && read_bounded(pid_pipe[0], &lab.init_pid, sizeof(lab.init_pid), READY_TIMEOUT_MS) &&
		  read_bounded(ready_pipe[0], &ready, 1, READY_TIMEOUT_MS) && ready == 'R';
	close(pid_pipe[0]);
	close(ready_pipe[0]);
	if (!ok) {
		printf("\n  the namespace with pcscd did not come up\n");
		return false;
	}
	snprintf(path, sizeof(path), "/proc/%d/ns/pid", (int)lab.init_pid);
	n = readlink(path, link, sizeof(link) - 1);
	if (n <= 0)
		return false;
	link[n] = 0;
	snprintf(lab.pidns, sizeof(lab.pidns), "%s", link);
	return true;
}

/* Processes in the lab's PID namespace, or whose command line names the lab's directory. */
static int lab_procs(void)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	int count = 0;

	while (d && (e = readdir(d))) {
		char path[300], buf[1024];
		ssize_t n;
		int fd;
		bool hit = false;
		if (e->d_name[0] < '1' || e->d_name[0] > '9' || atoi(e->d_name) == getpid())
			continue;
		snprintf(path, sizeof(path), "/proc/%s/ns/pid", e->d_name);
		n = readlink(path, buf, sizeof(buf) - 1);
		if (n > 0 && lab.pidns[0]) {
			buf[n] = 0;
			hit = !strcmp(buf, lab.pidns);
		}
		snprintf(path, sizeof(path), "/proc/%s/cmdline", e->d_name);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;
		if (fd >= 0)
			close(fd);
		if (n > 0) {
			for (ssize_t i = 0; i < n; i++)
				buf[i] = buf[i] ? buf[i] : ' ';
			buf[n] = 0;
			hit = hit || strstr(buf, lab.dir);
		}
		if (hit) {
			printf("  still running: pid %s: %s\n", e->d_name, n > 0 ? buf : "?");
			count++;
		}
	}
	if (d)
		closedir(d);
	return count;
}

static int rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	return remove(path);
}

/* Stop the namespace (SIGTERM: I stops the card server and pcscd), check nothing is left, remove the
 * directory. failed: print the logs first. */
static void lab_stop(bool failed)
{
	struct stat sb;
	int st = -1;

	if (lab.ns_pid > 0) {
		kill(lab.ns_pid, SIGTERM);
		st = wait_bounded(lab.ns_pid, STOP_TIMEOUT_MS);
		lab.ns_pid = 0;
		CU_ASSERT_TRUE(st >= 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0);
		/* pcscd removes its socket when it exits cleanly */
		CU_ASSERT_NOT_EQUAL(stat(lab.sock, &sb), 0);
		if (st < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
			failed = true;
	}
	CU_ASSERT_EQUAL(lab_procs(), 0);
	if (failed && lab.dir[0]) {
		show_file("pcscd.log");
		show_file("card.log");
	}
	if (lab.dir[0]) {
		nftw(lab.dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
		CU_ASSERT_NOT_EQUAL(stat(lab.dir, &sb), 0);
	}
	memset(&lab, 0, sizeof(lab));
}

static void hex_print(const char *dir, const uint8_t *b, size_t n)
{
	printf("  %s", dir);
	for (size_t i = 0; i < n; i++)
		printf(" %02X", b[i]);
	printf("\n");
}

/* One command through SCardTransmit; 61xx is followed by GET RESPONSE and 6Cxx repeats the command
 * with Le = xx (TS 102 221 §7.3.1.1.5, T=0: pcscd/vpcd pass APDUs through raw, §3). Returns the
 * response length (data + SW), or -1 on a PC/SC error. */
static int xfer(SCARDHANDLE h, DWORD proto, const char *capdu_hex, uint8_t *r, size_t cap)
{
	const SCARD_IO_REQUEST *pci = proto == SCARD_PROTOCOL_T1 ? SCARD_PCI_T1 : SCARD_PCI_T0;
	uint8_t c[300];
	int n = unhex_str(capdu_hex, c, sizeof(c));

	for (int round = 0; n > 0 && round < 4; round++) {
		DWORD rl = (DWORD)cap;
		LONG rv;
		hex_print(">>", c, (size_t)n);
		rv = SCardTransmit(h, pci, c, (DWORD)n, NULL, r, &rl);
		if (rv != SCARD_S_SUCCESS) {
			printf("  SCardTransmit: %s (0x%lX)\n", pcsc_stringify_error(rv), (unsigned long)rv);
			return -1;
		}
		hex_print("<<", r, rl);
		if (rl == 2 && r[0] == 0x61) {
			memcpy(c, "\x00\xC0\x00\x00", 4);
			c[4] = r[1];
			n = 5;
		} else if (rl == 2 && r[0] == 0x6C) {
			c[n - 1] = r[1];
		} else {
			return (int)rl;
		}
	}
	return -1;
}

static unsigned int sw_of(const uint8_t *r, int n)
{
	return n >= 2 ? (unsigned int)(r[n - 2] << 8 | r[n - 1]) : 0;
}

/* Wait for pcscd's socket, a context, our reader in the list and the card PRESENT in it. */
static bool wait_card(SCARDCONTEXT *ctx, DWORD *state)
{
	int64_t deadline = now_ms() + CARD_TIMEOUT_MS;
	bool have_ctx = false;
	struct stat sb;
	LONG rv = SCARD_S_SUCCESS;

	/* pitfall 12: read once per process, before the first call */
	setenv("PCSCLITE_CSOCK_NAME", lab.sock, 1);
	while (now_ms() < deadline && !have_ctx) {
		if (stat(lab.sock, &sb) == 0 && S_ISSOCK(sb.st_mode)) {
			rv = SCardEstablishContext(SCARD_SCOPE_SYSTEM, NULL, NULL, ctx);
			have_ctx = rv == SCARD_S_SUCCESS;
		}
		if (!have_ctx)
			sleep_ms(5);
	}
	if (!have_ctx) {
		printf("  no PC/SC context on %s: %s\n", lab.sock, pcsc_stringify_error(rv));
		return false;
	}
	for (;;) {
		char readers[1024];
		DWORD len = sizeof(readers);
		bool listed = false;
		rv = SCardListReaders(*ctx, NULL, readers, &len);
		/* pitfall 14: by name, the order is readdir order */
		for (const char *p = readers; rv == SCARD_S_SUCCESS && *p; p += strlen(p) + 1)
			listed = listed || !strcmp(p, READER);
		if (listed)
			break;
		if (now_ms() > deadline) {
			printf("  reader '%s' not listed: %s\n", READER, pcsc_stringify_error(rv));
			return false;
		}
		sleep_ms(10);
	}
	SCARD_READERSTATE rs = { .szReader = READER, .dwCurrentState = SCARD_STATE_UNAWARE };
	for (;;) { /* pcscd polls vpcd every 400 ms (§3) */
		int64_t left = deadline - now_ms();
		rv = SCardGetStatusChange(*ctx, left > 0 ? (DWORD)left : 0, &rs, 1);
		if (rv == SCARD_S_SUCCESS && (rs.dwEventState & SCARD_STATE_PRESENT))
			break;
		if ((rv != SCARD_S_SUCCESS && rv != SCARD_E_TIMEOUT) || left <= 0) {
			printf("  no card in '%s': %s, state 0x%lX\n", READER, pcsc_stringify_error(rv),
			       (unsigned long)rs.dwEventState);
			return false;
		}
		rs.dwCurrentState = rs.dwEventState;
	}
	*state = rs.dwEventState;
	return true;
}

/* SELECT an AID (P2 00: FCI not asked) then GET DATA EID (SGP.02 §2.2.2: tag 5A, 16 bytes). */
static void check_eid(SCARDHANDLE h, DWORD proto, const char *select_hex, const uint8_t want[16])
{
	uint8_t r[300];
	int n = xfer(h, proto, select_hex, r, sizeof(r));
	CU_ASSERT_EQUAL(sw_of(r, n), 0x9000);
	n = xfer(h, proto, "80CA005A00", r, sizeof(r));
	CU_ASSERT_EQUAL(sw_of(r, n), 0x9000);
	CU_ASSERT_EQUAL(n, 2 + 16 + 2);
	if (n == 20) {
		CU_ASSERT_EQUAL(r[0], 0x5A);
		CU_ASSERT_EQUAL(r[1], 0x10);
		TEST_ASSERT_MEM_EQ(r + 2, 16, want, 16);
	}
}

/* EF.DIR -> the USIM AID -> SELECT ADF.USIM -> EF.IMSI (TS 102 221 §13.1, TS 31.102 §4.2.2). */
static void check_imsi(SCARDHANDLE h, DWORD proto)
{
	uint8_t r[300];
	char cmd[128];
	bool ok;
	int n;

	n = xfer(h, proto, "00A4000C023F00", r, sizeof(r)); /* MF, no response data */
	CU_ASSERT_EQUAL(sw_of(r, n), 0x9000);
	n = xfer(h, proto, "00A4000C022F00", r, sizeof(r)); /* EF.DIR */
	CU_ASSERT_EQUAL(sw_of(r, n), 0x9000);
	n = xfer(h, proto, "00B2010400", r, sizeof(r)); /* record 1, Le 00: a 6Cxx is answered */
	CU_ASSERT_EQUAL(sw_of(r, n), 0x9000);
	/* 61 L { 4F L AID, 50 L label } */
	ok = n >= 6 && r[0] == 0x61 && r[2] == 0x4F && r[3] <= 16 && 4 + r[3] <= n - 2;
	CU_ASSERT_TRUE(ok);
	if (!ok)
		return;
	TEST_ASSERT_MEM_EQ(r + 4, r[3], lab.usim_aid, lab.usim_aid_len);
	int k = snprintf(cmd, sizeof(cmd), "00A40404%02X", r[3]); /* P2 04: FCP, via GET RESPONSE in T=0 */
	for (unsigned int i = 0; i < r[3]; i++)
		k += snprintf(cmd + k, sizeof(cmd) - (size_t)k, "%02X", r[4 + i]);
	n = xfer(h, proto, cmd, r, sizeof(r));
	CU_ASSERT_EQUAL(sw_of(r, n), 0x9000);
	CU_ASSERT_TRUE(n > 2 && r[0] == 0x62);		    /* FCP template */
	n = xfer(h, proto, "00A4000C026F07", r, sizeof(r)); /* EF.IMSI */
	CU_ASSERT_EQUAL(sw_of(r, n), 0x9000);
	n = xfer(h, proto, "00B0000009", r, sizeof(r));
	CU_ASSERT_EQUAL(n, 9 + 2);
	CU_ASSERT_EQUAL(sw_of(r, n), 0x9000);
	if (n != 9 + 2)
		return;
	TEST_ASSERT_HEX_EQ(r, 9, IMSI_EF);
	/* and back to digits: the profile's IMSI */
	char digits[17] = { 0 };
	size_t nd = 0;
	for (unsigned int i = 1; i <= r[0] && i < 9; i++) {
		uint8_t lo = r[i] & 0x0F, hi = r[i] >> 4;
		if (i > 1 && lo <= 9)
			digits[nd++] = (char)('0' + lo);
		if (hi <= 9 && nd < 16)
			digits[nd++] = (char)('0' + hi);
	}
	CU_ASSERT_STRING_EQUAL(digits, lab.imsi);
}

static bool skip(void)
{
	if (geteuid() == 0)
		return false;
	printf("\n  skipped: needs root (network, mount and PID namespaces for a private pcscd); CI runs as "
	       "root\n");
	return true;
}

int suite_teardown(void)
{
	alarm(0);
	if (lab.ns_pid > 0) /* a test that ended early: do not leave the namespace */
		lab_stop(true);
	return 0;
}

void test_pcsc_card_through_pcscd(void)
{
	int64_t t0 = now_ms();
	SCARDCONTEXT ctx = 0;
	SCARDHANDLE h = 0;
	DWORD state = 0, proto = 0;
	bool have_ctx = false, ok;
	uint8_t eid[16], r[300];
	int n;

	if (skip())
		return;
	if (access(PCSCD, X_OK) < 0) {
		printf("\n  %s missing: install the Debian package pcscd (scripts/setup does)\n", PCSCD);
		CU_FAIL("pcscd is not installed (package pcscd)");
		return;
	}
	if (access(VPCD_LIB, R_OK) < 0) {
		printf("\n  %s missing: install the Debian package vsmartcard-vpcd (scripts/setup does)\n", VPCD_LIB);
		CU_FAIL("the vpcd driver is not installed (package vsmartcard-vpcd)");
		return;
	}
	signal(SIGALRM, on_watchdog);
	alarm(WATCHDOG_S);

	ok = lab_start();
	CU_ASSERT_TRUE(ok);
	if (ok)
		ok = have_ctx = wait_card(&ctx, &state);
	CU_ASSERT_TRUE(ok);
	if (ok) { /* the ATR in the reader state, then through a connection */
		SCARD_READERSTATE rs = { .szReader = READER, .dwCurrentState = SCARD_STATE_UNAWARE };
		LONG rv = SCardGetStatusChange(ctx, 0, &rs, 1);
		CU_ASSERT_EQUAL(rv, SCARD_S_SUCCESS);
		TEST_ASSERT_MEM_EQ(rs.rgbAtr, rs.cbAtr, lab.atr, lab.atr_len);
		rv = SCardConnect(ctx, READER, SCARD_SHARE_SHARED, SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1, &h, &proto);
		CU_ASSERT_EQUAL(rv, SCARD_S_SUCCESS);
		ok = rv == SCARD_S_SUCCESS;
	}
	if (ok) {
		char name[256];
		uint8_t atr[MAX_ATR_SIZE];
		DWORD nlen = sizeof(name), st, pr, alen = sizeof(atr);
		LONG rv = SCardStatus(h, name, &nlen, &st, &pr, atr, &alen);
		CU_ASSERT_EQUAL(rv, SCARD_S_SUCCESS);
		CU_ASSERT_STRING_EQUAL(name, READER);
		CU_ASSERT_TRUE(lab.atr_len >= 2 && lab.atr[0] == 0x3B); /* direct convention (ISO 7816-3 §8.1) */
		TEST_ASSERT_MEM_EQ(atr, alen, lab.atr, lab.atr_len);
		printf("  connected to '%s', protocol T=%d, %d ms after start\n", name, pr == SCARD_PROTOCOL_T1,
		       (int)(now_ms() - t0));

		/* the EID from init, via the ISD-R and via the ECASD (A0000005591010FFFFFFFF89 000001/2 00) */
		CU_ASSERT_EQUAL(unhex_str(lab.eid, eid, sizeof(eid)), 16);
		check_eid(h, proto, "00A4040010A0000005591010FFFFFFFF8900000100", eid);
		check_eid(h, proto, "00A4040010A0000005591010FFFFFFFF8900000200", eid);
		/* an ISD-P AID that does not exist */
		n = xfer(h, proto, "00A4040010A0000005591010FFFFFFFF8900FFFF00", r, sizeof(r));
		CU_ASSERT_EQUAL(sw_of(r, n), 0x6A82);
		check_imsi(h, proto);
		CU_ASSERT_EQUAL(SCardDisconnect(h, SCARD_UNPOWER_CARD), SCARD_S_SUCCESS);
	}
	if (have_ctx)
		CU_ASSERT_EQUAL(SCardReleaseContext(ctx), SCARD_S_SUCCESS);
	lab_stop(!ok);
	alarm(0);
	signal(SIGALRM, SIG_DFL);
	printf("  pcscd + vpcd round trip: %d ms in all\n", (int)(now_ms() - t0));
}
