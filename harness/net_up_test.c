/* Integration test of `rsplab net up` / `rsplab net down` (runs the built binary, as a user would).
 * Needs root (network namespace); as non-root every test prints why and returns without checking.
 * Covers: a fresh RUNDIR comes up with every daemon ready; a subscriber provisioned in each HLR reads
 * back over the VTY; an ESME binds to osmo-msc's SMPP port (bind_transceiver_resp OK, wrong password
 * refused); Kannel's status page shows its SMSC online; `net down` leaves no process and no namespace;
 * a broken config fails naming the component and its log and leaves nothing behind. */
#include <arpa/inet.h>
#include <dirent.h>
#include <ftw.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <libsmpp34/smpp34.h>
#include <libsmpp34/smpp34_structs.h>

#include "harness/net.h"
#include "harness/net_io.h"
#include "harness/net_ready.h"
#include "lib/smpp/smpp.h"
#include "lib/test/runner.h"

#define UP_TIMEOUT_MS 45000

static char rsplab_bin[PATH_MAX], src_net[PATH_MAX];

static bool skip(void)
{
	if (geteuid() == 0)
		return false;
	printf("\n  skipped: needs root (network namespace); CI runs as root\n");
	return true;
}

int suite_setup(void)
{
	char exe[PATH_MAX];

	if (test_build_dir(exe, sizeof(exe)) < 0)
		return 1;
	snprintf(rsplab_bin, sizeof(rsplab_bin), "%.4000s/bin/rsplab", exe);
	snprintf(src_net, sizeof(src_net), "%.4000s/../network", exe);
	/* daemons orphaned by `rsplab net up` are reparented to us, so we can reap them */
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	return 0;
}

static void reap(void)
{
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
}

/* Run rsplab with args; stdout+stderr into out (NUL-terminated). Returns the exit status, -1 on error. */
static int run_rsplab(const char *const *args, char *out, size_t out_len)
{
	char log[] = "/tmp/rsplab-net-test-XXXXXX";
	int fd = mkstemp(log), status = -1;
	int64_t deadline = net_now_ms() + UP_TIMEOUT_MS;
	const char *argv[12] = { rsplab_bin };
	size_t n = 1, len = 0;
	pid_t pid;

	if (fd < 0)
		return -1;
	for (size_t i = 0; args[i] && n < 11; i++)
		argv[n++] = args[i];
	pid = fork();
	if (pid == 0) {
		dup2(fd, 1);
		dup2(fd, 2);
		execv(rsplab_bin, (char *const *)argv);
		_exit(127);
	}
	while (pid > 0) {
		pid_t r = waitpid(pid, &status, WNOHANG);
		if (r == pid)
			break;
		if (net_now_ms() > deadline) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			status = -1;
			break;
		}
		net_sleep_ms(20);
	}
	close(fd);
	net_file_read_tail(log, out, out_len, &len);
	unlink(log);
	printf("\n--- rsplab %s %s ---\n%s", args[0], args[1], out);
	reap();
	if (status < 0 || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

/* Any process whose command line mentions dir? (every daemon's config path is under it) */
static int procs_mentioning(const char *dir)
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
			continue; /* gone, or a zombie (empty cmdline) */
		for (size_t i = 0; i < len; i++)
			buf[i] = buf[i] ? buf[i] : ' ';
		if (strstr(buf, dir)) {
			printf("  still running: pid %s: %s\n", e->d_name, buf);
			count++;
		}
	}
	if (d)
		closedir(d);
	return count;
}

static void assert_all_gone(const char *rundir, const struct net_state *st)
{
	reap();
	for (size_t i = 0; i < st->nprocs; i++)
		CU_ASSERT_FALSE(net_proc_alive(st->procs[i].pid, st->procs[i].start));
	CU_ASSERT_EQUAL(procs_mentioning(rundir), 0);
	if (st->netns[0])
		CU_ASSERT_FALSE(net_netns_exists(st->netns));
}

static int rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	return remove(path);
}

/* A passing run leaves no directory behind; a failing one keeps its logs for the reader. */
static void rm_if_passed(const char *dir, unsigned int failures_before)
{
	if (CU_get_number_of_failures() == failures_before)
		nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static uint16_t port_of(const struct net_map *m, const char *key)
{
	return (uint16_t)atoi(net_map_get(m, key));
}

/* bind_transceiver with libsmpp34, response framed/decoded with lib/smpp; returns command_status or -errno */
static long smpp_bind(const char *ip, uint16_t port, const char *sysid, const char *pw)
{
	bind_transceiver_t b = { 0 };
	uint8_t out[256], in[512];
	int len = 0, fd = net_tcp_connect(ip, port, 2000);
	size_t got = 0;
	struct smpp_hdr h;
	long rc = -EIO;
	int64_t deadline = net_now_ms() + 3000;

	if (fd < 0)
		return fd;
	b.command_id = BIND_TRANSCEIVER;
	b.sequence_number = 1;
	b.interface_version = 0x34; /* SMPP 3.4 §5.2.4 */
	snprintf((char *)b.system_id, sizeof(b.system_id), "%s", sysid);
	snprintf((char *)b.password, sizeof(b.password), "%s", pw);
	if (smpp34_pack(BIND_TRANSCEIVER, out, sizeof(out), &len, &b) != 0 || write(fd, out, (size_t)len) != len)
		goto out;
	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		int fl = smpp_frame_len(in, got);
		if (fl > 0 && got >= (size_t)fl)
			break;
		if (fl == -EBADMSG || got == sizeof(in) || net_now_ms() > deadline ||
		    poll(&p, 1, (int)(deadline - net_now_ms())) <= 0)
			goto out;
		ssize_t r = read(fd, in + got, sizeof(in) - got);
		if (r <= 0)
			goto out;
		got += (size_t)r;
	}
	if (smpp_hdr_decode(&h, in, got) != SMPP_HDR_LEN || h.cmd_id != 0x80000009u /* bind_transceiver_resp */ ||
	    h.seq != 1)
		goto out;
	rc = (long)h.status;
out:
	close(fd);
	return rc;
}

static void vty_check_sub(const struct net_map *m, const char *addr_key, const char *port_key, const char *imsi,
			  const char *msisdn, const char *algo2g, const char *algo3g)
{
	struct net_vty *v = malloc(sizeof(*v));
	char cmd[64], reply[4096];
	struct net_hlr_sub_view view;
	int n;

	CU_ASSERT_EQUAL_FATAL(net_vty_open(v, net_map_get(m, addr_key), port_of(m, port_key), 3000), 0);
	snprintf(cmd, sizeof(cmd), "show subscriber imsi %s", imsi);
	n = net_vty_cmd(v, cmd, reply, sizeof(reply), 3000);
	CU_ASSERT(n > 0);
	CU_ASSERT_EQUAL(net_hlr_sub_parse(reply, n > 0 ? (size_t)n : 0, &view), 0);
	CU_ASSERT_STRING_EQUAL(view.imsi, imsi);
	CU_ASSERT_STRING_EQUAL(view.msisdn, msisdn);
	CU_ASSERT_STRING_EQUAL(view.algo_2g, algo2g);
	CU_ASSERT_STRING_EQUAL(view.algo_3g, algo3g);
	CU_ASSERT_TRUE(algo2g[0] ? view.has_ki : (view.has_k && view.has_opc));
	/* an IMSI that was not provisioned is not there */
	n = net_vty_cmd(v, "show subscriber imsi 999990000000009", reply, sizeof(reply), 3000);
	CU_ASSERT_EQUAL(net_hlr_sub_parse(reply, n > 0 ? (size_t)n : 0, &view), -ENOENT);
	net_vty_close(v);
	free(v);
}

void test_net_up_down(void)
{
	char rundir[] = "/tmp/rsplab-net-XXXXXX", path[PATH_MAX], *out = malloc(65536);
	static const char subs[] = "# HLR,IMSI,MSISDN,ALGO,KEY[,OPC]\n"
				   "mno1,001010000000001,1001,comp128v1,000102030405060708090a0b0c0d0e0f\n"
				   "mno2,001020000000002,2002,milenage,00112233445566778899aabbccddeeff,"
				   "0f0e0d0c0b0a09080706050403020100\n";
	struct net_state st;
	struct net_map *m = calloc(1, sizeof(*m));
	static char body[65536];
	unsigned int status = 0;
	char target[128], state[32];
	int saved = -1, n;
	unsigned int failures = CU_get_number_of_failures();

	if (skip())
		goto out;
	CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(rundir));
	snprintf(path, sizeof(path), "%s/subscribers", rundir);
	CU_ASSERT_EQUAL_FATAL(net_file_write(path, subs, strlen(subs), 0600), 0);

	const char *up[] = { "net", "up", rundir, NULL };
	CU_ASSERT_EQUAL_FATAL(run_rsplab(up, out, 65536), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "sctp: "));
	CU_ASSERT_EQUAL_FATAL(net_state_load(rundir, &st), 0);
	CU_ASSERT_STRING_EQUAL(st.status, "up");
	CU_ASSERT_EQUAL(st.nprocs, 6);
	for (size_t i = 0; i < st.nprocs; i++)
		CU_ASSERT_TRUE(net_proc_alive(st.procs[i].pid, st.procs[i].start));
	CU_ASSERT_TRUE(st.netns[0] && net_netns_exists(st.netns));
	CU_ASSERT_EQUAL_FATAL(net_env_load(rundir, m), 0);
	CU_ASSERT_EQUAL_FATAL(net_netns_enter(st.netns, &saved), 0);

	/* every daemon ready: listeners in the namespace, the MSC's A interface up */
	n = (int)sizeof(body);
	size_t len;
	CU_ASSERT_EQUAL(net_file_read_tail("/proc/self/net/tcp", body, sizeof(body), &len), 0);
	CU_ASSERT_EQUAL(net_proc_tcp_listening(body, len, net_map_get(m, "STP_ADDR"), port_of(m, "STP_VTY_PORT")), 1);
	CU_ASSERT_EQUAL(net_proc_tcp_listening(body, len, net_map_get(m, "HLR1_ADDR"), port_of(m, "HLR1_GSUP_PORT")),
			1);
	CU_ASSERT_EQUAL(net_proc_tcp_listening(body, len, net_map_get(m, "HLR2_ADDR"), port_of(m, "HLR2_GSUP_PORT")),
			1);
	CU_ASSERT_EQUAL(net_proc_tcp_listening(body, len, net_map_get(m, "MSC_ADDR"), port_of(m, "MSC_SMPP_PORT")), 1);
	CU_ASSERT_EQUAL(
		net_proc_tcp_listening(body, len, net_map_get(m, "KANNEL_ADDR"), port_of(m, "KANNEL_SENDSMS_PORT")), 1);
	snprintf(path, sizeof(path), "%s/net/msc-mno2.log", rundir);
	CU_ASSERT_EQUAL(net_file_read_tail(path, body, sizeof(body), &len), 0);
	CU_ASSERT_TRUE(net_log_has(body, len, "AS Active"));

	/* subscribers read back over each HLR's VTY */
	vty_check_sub(m, "HLR1_ADDR", "HLR1_VTY_PORT", "001010000000001", "1001", "COMP128v1", "");
	vty_check_sub(m, "HLR2_ADDR", "HLR2_VTY_PORT", "001020000000002", "2002", "", "MILENAGE");

	/* SMPP: MNO2's SM-SR binds; a wrong password is refused (ESME_RBINDFAIL 0x0D or ESME_RINVPASWD 0x0E) */
	CU_ASSERT_EQUAL(smpp_bind(net_map_get(m, "MSC_ADDR"), port_of(m, "MSC_SMPP_PORT"),
				  net_map_get(m, "SMSR2_ESME_ID"), net_map_get(m, "SMSR2_ESME_PASSWORD")),
			0);
	long bad = smpp_bind(net_map_get(m, "MSC_ADDR"), port_of(m, "MSC_SMPP_PORT"), net_map_get(m, "SMSR2_ESME_ID"),
			     "wrongpw");
	CU_ASSERT(bad == 0x0d || bad == 0x0e);

	/* Kannel: the status page shows the SMPP SMSC online */
	snprintf(target, sizeof(target), "/status.txt?password=%s", net_map_get(m, "KANNEL_ADMIN_PASSWORD"));
	n = net_http_get(net_map_get(m, "KANNEL_ADDR"), port_of(m, "KANNEL_ADMIN_PORT"), target, &status, body,
			 sizeof(body), 3000);
	CU_ASSERT(n > 0);
	CU_ASSERT_EQUAL(status, 200);
	CU_ASSERT_EQUAL(net_kannel_smsc_state(body, n > 0 ? (size_t)n : 0, net_map_get(m, "KANNEL_SMSC_ID"), state,
					      sizeof(state)),
			1);

	CU_ASSERT_EQUAL(net_netns_leave(saved), 0);
	saved = -1;
	/* a second `up` on a running RUNDIR is refused */
	CU_ASSERT_EQUAL(run_rsplab(up, out, 65536), 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "net down"));

	const char *down[] = { "net", "down", rundir, NULL };
	CU_ASSERT_EQUAL(run_rsplab(down, out, 65536), 0);
	assert_all_gone(rundir, &st);
	CU_ASSERT_EQUAL(net_state_load(rundir, &st), 0);
	CU_ASSERT_STRING_EQUAL(st.status, "down");
	/* down again: nothing to do, still fine */
	CU_ASSERT_EQUAL(run_rsplab(down, out, 65536), 0);
	rm_if_passed(rundir, failures);
out:
	if (saved >= 0)
		net_netns_leave(saved);
	free(m);
	free(out);
}

/* Copy the templates and break osmo-hlr MNO2's: `net up` must name osmo-hlr, HLR-MNO2 and its log. */
void test_net_up_broken_config(void)
{
	char rundir[] = "/tmp/rsplab-net-XXXXXX", src[] = "/tmp/rsplab-net-src-XXXXXX", path[PATH_MAX],
	     *out = malloc(65536), *buf = malloc(65536);
	static const char *const files[] = { "osmocom/osmo-stp.cfg.tmpl", "osmocom/osmo-hlr-mno1.cfg.tmpl",
					     "osmocom/osmo-hlr-mno2.cfg.tmpl", "osmocom/osmo-msc-mno2.cfg.tmpl",
					     "kannel/kannel.conf.tmpl" };
	struct net_state st;
	size_t len;
	unsigned int failures = CU_get_number_of_failures();

	if (skip())
		goto out;
	CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(rundir));
	CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(src));
	snprintf(path, sizeof(path), "%s/osmocom", src);
	mkdir(path, 0700);
	snprintf(path, sizeof(path), "%s/kannel", src);
	mkdir(path, 0700);
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(path, sizeof(path), "%.3000s/%s", src_net, files[i]);
		CU_ASSERT_EQUAL_FATAL(net_file_read_tail(path, buf, 65536, &len), 0);
		if (strstr(files[i], "hlr-mno2")) {
			const char *bad = "hlr\n this-is-not-a-command\n";
			memcpy(buf + len, bad, strlen(bad) + 1);
			len += strlen(bad);
		}
		snprintf(path, sizeof(path), "%.200s/%s", src, files[i]);
		CU_ASSERT_EQUAL_FATAL(net_file_write(path, buf, len, 0600), 0);
	}
	const char *up[] = { "net", "up", rundir, "--src", src, NULL };
	CU_ASSERT_EQUAL(run_rsplab(up, out, 65536), 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "osmo-hlr (hlr-mno2, HLR-MNO2)"));
	snprintf(path, sizeof(path), "log: %.200s/net/hlr-mno2.log", rundir);
	CU_ASSERT_PTR_NOT_NULL(strstr(out, path));
	CU_ASSERT_EQUAL(net_state_load(rundir, &st), 0);
	CU_ASSERT_STRING_EQUAL(st.status, "down");
	CU_ASSERT_EQUAL(st.nprocs, 3); /* stp, hlr-mno1 were up; hlr-mno2 died */
	assert_all_gone(rundir, &st);
	rm_if_passed(rundir, failures);
	rm_if_passed(src, failures);
out:
	free(buf);
	free(out);
}
