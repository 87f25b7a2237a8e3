/* Integration of the SM-SR's SMPP ESME with the real osmo-msc: `rsplab net up` (the built harness binary,
 * as a user runs it) starts the lab core network in its own namespace; the ESME, configured from the
 * run's net.env as the daemon is, binds with SMSR2_ESME_ID / SMSR2_ESME_PASSWORD, has a data-download
 * submit_sm accepted in store-and-forward mode, and in transaction mode gets osmo-msc's verdict for a
 * subscriber that is not attached (ESME_RINVDSTADR, network-lab §2.2) as a failed delivery; the Kannel
 * transport has a sendsms accepted by the run's Kannel (MNO1's path). Then `rsplab net down`. Needs root (network namespace): as non-root the test says why and checks nothing. */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <osmocom/core/application.h>
#include <osmocom/core/logging.h>
#include <osmocom/core/select.h>
#include <osmocom/core/timer.h>
#include <talloc.h>

#include "lib/http/http.h"
#include "lib/test/runner.h"
#include "network/smsr/smsr_kannel.h"
#include "network/smsr/smsr_log.h"
#include "network/smsr/smsr_netenv.h"
#include "network/smsr/smsr_smpp.h"

static char rsplab_bin[PATH_MAX];
static void *ctx;

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int suite_setup(void)
{
	char exe[PATH_MAX];

	if (test_build_dir(exe, sizeof(exe)) < 0)
		return 1;
	snprintf(rsplab_bin, sizeof(rsplab_bin), "%.4000s/bin/rsplab", exe);
	prctl(PR_SET_CHILD_SUBREAPER, 1); /* the daemons `net up` leaves are reparented to us */
	ctx = talloc_named_const(NULL, 0, "smsr_net_test");
	osmo_init_logging2(ctx, &smsr_log_info);
	log_set_print_filename2(osmo_stderr_target, LOG_FILENAME_NONE);
	log_set_log_level(osmo_stderr_target, LOGL_INFO);
	osmo_tdefs_reset(smsr_smpp_tdefs);
	osmo_tdefs_reset(http_tdefs);
	return 0;
}

int suite_teardown(void)
{
	log_fini();
	talloc_free(ctx);
	return 0;
}

/* rsplab net up|down RUNDIR, bounded; its output goes to our stdout. Returns the exit status or -1. */
static int rsplab_net(const char *verb, const char *rundir)
{
	long long deadline = now_ms() + 60000;
	int status = -1;
	pid_t pid = fork();

	if (pid == 0) {
		execl(rsplab_bin, rsplab_bin, "net", verb, rundir, (char *)NULL);
		_exit(127);
	}
	while (pid > 0) {
		pid_t r = waitpid(pid, &status, WNOHANG);

		if (r == pid)
			break;
		if (now_ms() > deadline) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			return -1;
		}
		usleep(20000);
	}
	while (waitpid(-1, NULL, WNOHANG) > 0) /* reap orphaned daemons that exited */
		;
	return pid > 0 && WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static int netns_enter(const char *rundir, int *saved)
{
	char path[PATH_MAX], line[256], name[128] = "";
	FILE *f;
	int fd;

	snprintf(path, sizeof(path), "%.4000s/net/state", rundir);
	f = fopen(path, "re");
	if (!f)
		return -ENOENT;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "netns=", 6))
			sscanf(line + 6, "%127s", name);
	fclose(f);
	if (!name[0])
		return -ENOENT;
	*saved = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	snprintf(path, sizeof(path), "/run/netns/%s", name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (*saved < 0 || fd < 0 || setns(fd, CLONE_NEWNET) < 0) {
		if (fd >= 0)
			close(fd);
		return -errno;
	}
	close(fd);
	return 0;
}

static int rm_cb(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
	return remove(p);
}

static struct smsr_smpp *esme;
static unsigned int n_status;
static int st_rc;

static void up_status(void *priv, uint32_t tag, int rc)
{
	n_status++;
	st_rc = rc;
}

static void tick_cb(void *data)
{
}

static bool run_until(bool (*cond)(void), unsigned int max_ms)
{
	struct osmo_timer_list tick;
	long long end = now_ms() + max_ms;

	osmo_timer_setup(&tick, tick_cb, NULL);
	while (now_ms() < end && !cond()) {
		osmo_timer_schedule(&tick, 0, 10000);
		osmo_select_main(0);
	}
	osmo_timer_del(&tick);
	return cond();
}

static bool bound(void)
{
	return smsr_smpp_bound(esme);
}
static bool submit_answered(void)
{
	const struct smsr_smpp_stats *s = smsr_smpp_stats(esme);

	return s->submit_ok + s->submit_err >= 1;
}
static bool status_up(void)
{
	return n_status >= 1;
}

static struct smsr_kannel *kannel;

static bool kannel_answered(void)
{
	const struct smsr_kannel_stats *s = smsr_kannel_stats(kannel);

	return s->accepted + s->refused >= 1;
}

/* MNO1's path: sendsms to the run's Kannel, which submits to osmo-msc as its ESME. */
static void kannel_sendsms(const char *env)
{
	static const uint8_t ud[] = { 0x02, 0x70, 0x00, 0xB0, 0xB1, 0xB2, 0xB3 };
	char addr[64], port[16], user[32], pw[64], sc[24], mo[128], mo_host[64];
	unsigned int mo_port = 0;

	CU_ASSERT_EQUAL_FATAL(smsr_netenv_get(env, "KANNEL_ADDR", addr, sizeof(addr)), 0);
	CU_ASSERT_EQUAL_FATAL(smsr_netenv_get(env, "KANNEL_SENDSMS_PORT", port, sizeof(port)), 0);
	CU_ASSERT_EQUAL_FATAL(smsr_netenv_get(env, "KANNEL_SENDSMS_USER", user, sizeof(user)), 0);
	CU_ASSERT_EQUAL_FATAL(smsr_netenv_get(env, "KANNEL_SENDSMS_PASSWORD", pw, sizeof(pw)), 0);
	CU_ASSERT_EQUAL_FATAL(smsr_netenv_get(env, "SMSR1_SHORT_CODE", sc, sizeof(sc)), 0);
	CU_ASSERT_EQUAL_FATAL(smsr_netenv_get(env, "KANNEL_MO_URL", mo, sizeof(mo)), 0);
	CU_ASSERT_EQUAL_FATAL(sscanf(mo, "http://%63[^:]:%u", mo_host, &mo_port), 2);
	kannel = smsr_kannel_alloc(ctx,
				   &(struct smsr_kannel_cfg){ .host = addr,
							      .port = (uint16_t)atoi(port),
							      .username = user,
							      .password = pw,
							      .from = sc,
							      .listen_addr = mo_host,
							      .listen_port = (uint16_t)mo_port },
				   NULL);
	explicit_bzero(pw, sizeof(pw));
	CU_ASSERT_PTR_NOT_NULL_FATAL(kannel);
	CU_ASSERT_EQUAL(smsr_kannel_send(kannel, "1001", ud, sizeof(ud), 3), 0);
	CU_ASSERT(run_until(kannel_answered, 10000));
	CU_ASSERT_EQUAL(smsr_kannel_stats(kannel)->accepted, 1); /* 202 "0: Accepted for delivery" */
	smsr_kannel_free(kannel);
}

static struct smsr_smpp *esme_from_env(const char *env, bool transaction)
{
	char addr[64], port[16], id[32], pw[64], sc[24];
	struct smsr_smpp *e;

	CU_ASSERT_EQUAL_FATAL(smsr_netenv_get(env, "MSC_ADDR", addr, sizeof(addr)), 0);
	CU_ASSERT_EQUAL_FATAL(smsr_netenv_get(env, "MSC_SMPP_PORT", port, sizeof(port)), 0);
	CU_ASSERT_EQUAL_FATAL(smsr_netenv_get(env, "SMSR2_ESME_ID", id, sizeof(id)), 0);
	CU_ASSERT_EQUAL_FATAL(smsr_netenv_get(env, "SMSR2_ESME_PASSWORD", pw, sizeof(pw)), 0);
	CU_ASSERT_EQUAL_FATAL(smsr_netenv_get(env, "SMSR2_SHORT_CODE", sc, sizeof(sc)), 0);
	n_status = 0;
	e = smsr_smpp_alloc(ctx,
			    &(struct smsr_smpp_cfg){ .host = addr,
						     .port = (uint16_t)atoi(port),
						     .system_id = id,
						     .password = pw,
						     .src_addr = sc,
						     .transaction_mode = transaction,
						     .dcs = SMPP_DD_DCS_F6 },
			    &(struct smsr_smpp_up){ .tx_status = up_status });
	CU_ASSERT_PTR_NOT_NULL_FATAL(e);
	return e;
}

void test_smsr_net_smpp_osmo_msc(void)
{
	static const uint8_t ud[] = { 0x02, 0x70, 0x00, 0xD0, 0xD1, 0xD2, 0xD3, 0xD4 };
	char rundir[PATH_MAX], env[PATH_MAX], pw[64];
	int saved = -1;

	if (geteuid() != 0) {
		printf("\n  skipped: needs root (network namespace); CI runs as root\n");
		return;
	}
	snprintf(rundir, sizeof(rundir), "%s/rsplab-smsr-net-XXXXXX", P_tmpdir);
	CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(rundir));
	if (rsplab_net("up", rundir) != 0) {
		CU_FAIL("rsplab net up failed (its output is above)");
		rsplab_net("down", rundir);
		nftw(rundir, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
		return;
	}
	snprintf(env, sizeof(env), "%.4000s/net/net.env", rundir);
	CU_ASSERT_EQUAL(smsr_netenv_get(env, "SMSR2_ESME_PASSWORD", pw, sizeof(pw)), 0);
	CU_ASSERT(strlen(pw) >= 8); /* a per-run random password */
	CU_ASSERT_EQUAL(smsr_netenv_get(env, "NO_SUCH_KEY", pw, sizeof(pw)), -ENOENT);
	explicit_bzero(pw, sizeof(pw));
	if (netns_enter(rundir, &saved) == 0) {
		/* store-and-forward: osmo-msc stores the SMS even for an absent subscriber: submit_sm_resp OK */
		esme = esme_from_env(env, false);
		CU_ASSERT(run_until(bound, 10000));
		CU_ASSERT_EQUAL(smsr_smpp_send(esme, "1001", ud, sizeof(ud), 1), 0);
		CU_ASSERT(run_until(submit_answered, 5000));
		CU_ASSERT_EQUAL(smsr_smpp_stats(esme)->submit_ok, 1);
		CU_ASSERT_EQUAL(smsr_smpp_stats(esme)->binds_ok, 1);
		smsr_smpp_free(esme);
		/* transaction mode: nobody attached, so osmo-msc answers ESME_RINVDSTADR at once: not delivered */
		esme = esme_from_env(env, true);
		CU_ASSERT(run_until(bound, 10000));
		CU_ASSERT_EQUAL(smsr_smpp_send(esme, "1001", ud, sizeof(ud), 2), 0);
		CU_ASSERT(run_until(status_up, 5000));
		CU_ASSERT_EQUAL(st_rc, -EIO);
		CU_ASSERT_EQUAL(smsr_smpp_stats(esme)->submit_err, 1);
		smsr_smpp_free(esme);
		kannel_sendsms(env);
		CU_ASSERT_EQUAL(setns(saved, CLONE_NEWNET), 0);
		close(saved);
	} else {
		CU_FAIL("cannot enter the run's network namespace");
	}
	CU_ASSERT_EQUAL(rsplab_net("down", rundir), 0);
	nftw(rundir, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
}
