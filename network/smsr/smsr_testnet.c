/* network/smsr test support: the real-process world of the SM-SR Change integration tests (see
 * smsr_testnet.h). */
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

#include "lib/test/runner.h"
#include "network/smsr/smsr_netenv.h"
#include "network/smsr/smsr_testnet.h"

struct tn_cfg tn = { "smsr_testnet", "testnet", 28101, 28102, 28103, 35981 };

bool skipped;
char bindir[PATH_MAX], rundir[PATH_MAX], netenv[PATH_MAX];
char netns[128], sctp[16], shim[PATH_MAX];
bool net_is_up;
int saved_ns = -1;
void *ctx;
unsigned int failures_at_start;

long long now_ms(void)
{
	return test_now_ms();
}

void path_in(char *out, size_t cap, const char *name)
{
	snprintf(out, cap, "%.3000s/%s", rundir, name);
}

/* ---- processes ----------------------------------------------------------------------------------- */

/* lib/test's bounded process helpers (runner.h) */
pid_t spawn(const char *const *argv, const char *log, const char *out, const char *preload)
{
	return test_spawn(argv, log, out, preload);
}

int wait_pid(pid_t pid, int timeout_ms)
{
	return test_wait_pid(pid, timeout_ms);
}

int stop_pid(pid_t *pid)
{
	int p = *pid, rc = test_stop_pid(&p);

	*pid = 0;
	return rc;
}

int run(const char *const *argv, const char *out)
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

void reap(void)
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

bool wait_port(uint16_t port, pid_t pid, int timeout_ms)
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
int procs_mentioning(const char *dir)
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

const char *E(const char *key)
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

int netns_exists(void)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "/run/netns/%s", netns);
	return access(path, F_OK) == 0;
}

void stop_net(void)
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

void tn_card_make(char *db, size_t cap, struct card_keys *k)
{
	char card_bin[PATH_MAX], pki[PATH_MAX], prof[PATH_MAX], keys_path[PATH_MAX], eis_path[PATH_MAX];
	char smsr_sms[32];

	snprintf(card_bin, sizeof(card_bin), "%.4000s/rsplab-euicc", bindir);
	path_in(pki, sizeof(pki), "pki");
	path_in(prof, sizeof(prof), "p1.der");
	path_in(db, cap, "card.db");
	path_in(eis_path, sizeof(eis_path), "eis.xml");
	snprintf(keys_path, sizeof(keys_path), "%.3000s/card.db.keys", rundir);
	snprintf(smsr_sms, sizeof(smsr_sms), "1 1 %s", E("SMSR1_SHORT_CODE"));
	const char *init_argv[] = { card_bin, "init",	   "--pki", pki,	  "--auto", "--profile",
				    prof,     "-o",	   db,	    "--smsr-sms", smsr_sms, "--msisdn",
				    MSISDN1,  "--smsr-id", SR1_ID,  "--mno-id",	  MNO_ID,   NULL };
	CU_ASSERT_FATAL(run(init_argv, eis_path) == 0);
	CU_ASSERT_FATAL(card_keys_read(keys_path, k));
}

void tn_card_register_sr1(uint16_t sr1_port)
{
	char eis_path[PATH_MAX], keys_path[PATH_MAX];
	struct es_msg *m = talloc_zero(ctx, struct es_msg);
	uint8_t *xml = talloc_size(ctx, 65536);
	char *arena;
	struct result r;
	size_t xml_len;
	FILE *f;

	path_in(eis_path, sizeof(eis_path), "eis.xml");
	snprintf(keys_path, sizeof(keys_path), "%.3000s/card.db.keys", rundir);
	f = fopen(eis_path, "re");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	CU_ASSERT_FATAL(m && xml);
	xml_len = fread(xml, 1, 65536, f);
	fclose(f);
	arena = talloc_size(m, xml_len + 64);
	CU_ASSERT_FATAL(es_msg_decode(m, arena, xml_len + 64, xml, xml_len, NULL, NULL) == 0);
	CU_ASSERT_FATAL(m->id == ES_MSG_ES1_REGISTER_EIS_REQ);
	memset(&m->wsa, 0, sizeof(m->wsa));
	m->u.es1_register_eis_req.function_call_identifier = NULL;
	r = mno_call(sr1_port, SR1_ID, m, 10000);
	talloc_free(xml);
	CU_ASSERT_EQUAL(r.rc, 0);
	CU_ASSERT_EQUAL_FATAL(r.status, ES_STATUS_EXECUTED_SUCCESS);
	CU_ASSERT_FATAL(sr1_keys_import(keys_path));
}

void tn_net_down_check(void)
{
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

static int setup(void)
{
	char exe[PATH_MAX], rsplab[PATH_MAX], path[PATH_MAX], out[PATH_MAX];
	static const char subs[] = "# HLR,IMSI,MSISDN,ALGO,KEY[,OPC]\nmno1," IMSI1 "," MSISDN1 ",milenage," K1 "," OPC1
				   "\n";
	long long t0 = now_ms();
	FILE *f;

	failures_at_start = CU_get_number_of_failures();
	if (geteuid() != 0) {
		skipped = true;
		printf("\n  %s: not root, skipped (rsplab net up needs a network namespace)\n", tn.name);
		return 0;
	}
	if (test_build_dir(exe, sizeof(exe)) < 0)
		return 1;
	snprintf(bindir, sizeof(bindir), "%.4000s/bin", exe);
	snprintf(rsplab, sizeof(rsplab), "%.4000s/rsplab", bindir);
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	signal(SIGPIPE, SIG_IGN);
	snprintf(rundir, sizeof(rundir), "%s/rsplab-%s-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp", tn.tag);
	if (!mkdtemp(rundir))
		return 1;
	ctx = talloc_named_const(NULL, 0, tn.name);
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
	printf("\n  %s: net up (sctp %s, netns %s) in %.1f s; RUNDIR %s\n", tn.name, sctp, netns,
	       (double)(now_ms() - t0) / 1000, rundir);
	return 0;
}

int tn_suite_setup(void)
{
	int rc = setup();

	if (rc) {
		stop_net();
		printf("\n  %s: set-up failed; logs kept in %s\n", tn.name, rundir);
	}
	return rc;
}

static int rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	return remove(path);
}

int tn_suite_teardown(void)
{
	if (skipped)
		return 0;
	stop_net();
	if (rundir[0] && CU_get_number_of_failures() == failures_at_start)
		nftw(rundir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	else if (rundir[0])
		printf("\n  %s: logs kept in %s\n", tn.name, rundir);
	talloc_free(ctx);
	return 0;
}

/* ---- the device under test ----------------------------------------------------------------------- */

pid_t dev_pid, card_pid, sr1_pid, sr2_pid;
char ctl_path[108];

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

bool dut_start(const char *card_db)
{
	char log[PATH_MAX], dev_bin[PATH_MAX], card_bin[PATH_MAX], card_arg[PATH_MAX + 32], vpcd[48], stp[64];
	char state[2048];
	long long deadline;

	snprintf(ctl_path, sizeof(ctl_path), "%.90s/dev.ctl", rundir);
	snprintf(dev_bin, sizeof(dev_bin), "%.4000s/rsplab-device", bindir);
	snprintf(card_bin, sizeof(card_bin), "%.4000s/rsplab-euicc", bindir);
	snprintf(vpcd, sizeof(vpcd), "vpcd:127.0.0.1:%u", tn.vpcd_port);
	snprintf(stp, sizeof(stp), "%s:%s", E("STP_ADDR"), E("STP_M3UA_PORT"));
	const char *dev_argv[] = { dev_bin,	  "--card",   vpcd,	   "--card-wait", "10000",	 "--stp",
				   stp,		  "--msc-pc", E("MSC_PC"), "--mcc",	  E("MNO2_MCC"), "--mnc",
				   E("MNO2_MNC"), "--ctrl",   ctl_path,	   "--t3211",	  "1",		 NULL };
	path_in(log, sizeof(log), "device.log");
	dev_pid = spawn(dev_argv, log, NULL, strcmp(sctp, "shim") ? NULL : shim);
	if (dev_pid < 0 || !wait_port(tn.vpcd_port, dev_pid, 5000)) {
		printf("  rsplab-device not listening as vpcd; see %s\n", log);
		return false;
	}
	snprintf(card_arg, sizeof(card_arg), "%.4000s@127.0.0.1:%u", card_db, tn.vpcd_port);
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

pid_t smsr_start(const char *name, const char *id, uint16_t port, const char *transport, const char *peer_id,
		 uint16_t peer_port, bool sr2, const char *const *extra)
{
	char bin[PATH_MAX], db[PATH_MAX], log[PATH_MAX], cert[PATH_MAX], key[PATH_MAX], ca[PATH_MAX], url[64],
		peer[128], notify[64], portstr[8], gpc[PATH_MAX], gpk[PATH_MAX], eum[PATH_MAX];
	const char *argv[64];
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
	snprintf(notify, sizeof(notify), "https://127.0.0.1:%u/mno", tn.mno_port);
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
	if (sr2) {
		argv[n++] = "--sr-cert", argv[n++] = gpc;
		argv[n++] = "--sr-key", argv[n++] = gpk;
		argv[n++] = "--ci", argv[n++] = ca;
	}
	argv[n++] = "--eum", argv[n++] = eum; /* SR2: the ECASD chain; SR1: RegisterEIS's EumSignature */
	for (unsigned int i = 0; extra && extra[i] && n + 1 < sizeof(argv) / sizeof(argv[0]); i++)
		argv[n++] = extra[i];
	argv[n] = NULL;
	pid = spawn(argv, log, NULL, NULL);
	if (pid <= 0 || !wait_port(port, pid, 5000)) {
		printf("  %s did not start; see %s\n", name, log);
		return pid;
	}
	return pid;
}

/* ---- the MNO: an esnet client and notification endpoint --------------------------------------------- */

struct esnet *mno;
struct tls_ctx *mno_srv_tls, *mno_cli_tls;
unsigned int n_change_notifs;
char notif_from[64];

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

bool mno_start(void)
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
	snprintf(url, sizeof(url), "https://127.0.0.1:%u/mno", tn.mno_port);
	mno = esnet_alloc(ctx, &(struct esnet_cfg){ .listen_addr = "127.0.0.1",
						    .listen_port = tn.mno_port,
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

void call_cb(struct esnet_call *call, int rc, const struct es_msg *resp, const struct soap_findings *f, void *priv)
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
struct result mno_call(uint16_t port, const char *peer_id, struct es_msg *m, int timeout_ms)
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

void pump_ms(int ms)
{
	long long deadline = now_ms() + ms;

	while (now_ms() < deadline) {
		osmo_select_main(1);
		usleep(10000);
	}
}

/* ---- card keys -> SR1's store ----------------------------------------------------------------------- */

bool card_keys_read(const char *path, struct card_keys *k)
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
bool sr1_keys_import(const char *keys_path)
{
	char bin[PATH_MAX], db[PATH_MAX];

	snprintf(bin, sizeof(bin), "%.4000s/rsplab-smsr", bindir);
	path_in(db, sizeof(db), "smsr1.db");
	const char *argv[] = { bin, "keys-import", "--db", db, keys_path, NULL };
	return run(argv, NULL) == 0;
}
