/* `rsplab run` orchestration (see runner.h). */
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <osmocom/core/talloc.h>
#include <osmocom/gsm/gsm48.h>

#include "lib/crypto/sym.h"
#include "lib/esnet/esnet.h"
#include "lib/ramhttp/ramhttp.h"
#include "lib/saip/saip.h"
#include "lib/smpp/smpp.h"

#include "harness/capture/capture.h"
#include "harness/check/check.h"
#include "harness/check/kv.h"
#include "harness/check/tlsdec.h"
#include "harness/net.h"
#include "harness/net_io.h"
#include "harness/net_ready.h"
#include "harness/pki.h"
#include "harness/proc.h"
#include "harness/report/json.h"
#include "harness/report/report.h"
#include "harness/run/cardstate.h"
#include "harness/run/lex.h"
#include "harness/run/operator.h"
#include "harness/run/runner.h"
#include "harness/run/scn.h"
#include "harness/run/topo.h"

#define RUN_SCN_MAX	 64
#define RUN_STOP_TERM_MS 3000
#define RUN_STOP_KILL_MS 2000
#define RUN_EV_MAX	 400 /* messages charted per scenario */
#define RUN_FINDINGS_MAX 100 /* findings kept per scenario (all are counted) */
#define RUN_KPI_MAX	 16
#define RUN_STOCK_MAX	 4	     /* profiles of the scenario's own per SM-DP (DownloadProfile Iccid=) */
#define RUN_EUM_ID	 "2.999.4.1" /* the EUM the harness plays (its wsa:From EntityId) */
/* What this testbed can do (SGP.11-style optional features): no CAT_TP; brainpool only with a
 * brainpool PKI, which `rsplab run` does not create yet. */
#define RUN_FEATURES (((1u << SCN_FLAG__COUNT) - 1) & ~(1u << SCN_O_CAT_TP) & ~(1u << SCN_O_BRAINPOOL))

/* snprintf that the compiler does not second-guess: paths here are bounded by PATH_MAX and a
 * truncation is checked where it matters (returns what vsnprintf returns). */
static int run_fmt(char *out, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int run_fmt(char *out, size_t len, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(out, len, fmt, ap);
	va_end(ap);
	return n;
}

static volatile sig_atomic_t run_interrupted;

static void run_on_signal(int sig)
{
	run_interrupted = sig;
}

struct run_scn {
	char path[PATH_MAX];
	char suite[32];
	struct scn scn;
	struct topo topo;
};

/* A started component: a process of ours, or the core network as one group (net_up). */
struct run_started {
	const struct topo_comp *c;
	bool net_group;
	pid_t pid;
	unsigned long long start;
	char log[PATH_MAX];
	long log_off; /* -v: how much of the log has been shown */
};

struct run_ctx {
	const struct run_opts *o;
	char top[PATH_MAX], bin_dir[PATH_MAX], rundir[PATH_MAX], scndir[PATH_MAX];
	const struct run_scn *rs;
	struct run_started started[TOPO_COMP_MAX];
	size_t n_started;
	bool net_up;
	int64_t t0;
	int64_t wall0_ms;  /* the scenario's start on the capture's clock (ms since the epoch) */
	FILE *json;	   /* run.json being written */
	void *tall;	   /* talloc context of one scenario */
	struct op_ctx *op; /* the harness's operator role (mno components + the EUM) */
	struct capture *cap;
	char pcap[PATH_MAX];
	/* the core network of this scenario (net_up): its namespace, which this process enters so that
	 * everything else of the run (daemons, operator endpoints, cards, devices, capture) is in it */
	char netns[32];
	int saved_ns;				 /* -1: not entered */
	char shim[512];				 /* the SCTP shim to preload on the M3UA path, "" = kernel SCTP */
	struct net_map *env;			 /* RUNDIR/<scenario>/net/net.env, NULL without a core network */
	char card_xml[TOPO_COMP_MAX][PATH_MAX];	 /* per euicc component: its RegisterEIS (rsplab-euicc init) */
	char card_prof[TOPO_COMP_MAX][PATH_MAX]; /* per euicc component: the profile it is created with */
	char card_msisdn[TOPO_COMP_MAX][16];
};

/* ---- step and expectation results ---------------------------------------------------------------- */

struct run_step_res {
	const char *verdict;
	int64_t start_ms, elapsed_ms;
	char detail[300];
};

struct run_res {
	const char *verdict;
	char reason[600];
	int64_t duration_ms;
	struct run_step_res step[SCN_STEPS_MAX];
	const char *exp_verdict[SCN_EXPECT_MAX];
	char exp_detail[SCN_EXPECT_MAX][160];
	char stopped[TOPO_COMP_MAX][TOPO_NAME_MAX + 8];
	size_t n_stopped;
	/* the sequence chart: the capture's messages when the checker ran, else what the operator role
	 * sent and received */
	struct run_event {
		int64_t t_ms;
		uint32_t frame; /* 0: not from the capture */
		char from[TOPO_NAME_MAX], to[TOPO_NAME_MAX], label[96];
	} ev[RUN_EV_MAX];
	size_t n_ev, ev_dropped;
	bool ev_from_capture;
	uint64_t steps_wall_us; /* wall clock when step one started (the capture's time base); 0 = never */
	/* the checker over the scenario's capture */
	enum { RUN_CHECK_NOT_RUN, RUN_CHECK_RAN } checker;
	char checker_why[200]; /* why it did not run */
	bool schema;	       /* messages validated against the XSDs */
	unsigned int n_sev[3]; /* findings per severity: info, warning, error */
	unsigned int undecrypted;
	struct run_finding {
		char rule[16];
		const char *sev;
		char ref[96];
		uint32_t frame;
		char text[240];
	} find[RUN_FINDINGS_MAX];
	size_t n_find, find_dropped;
	struct {
		char name[32];
		double v;
	} kpi[RUN_KPI_MAX];
	size_t n_kpi;
	bool has_capture;
	uint64_t cap_received, cap_dropped, cap_ifdropped;
	char pcap[64], keylog[64]; /* relative to the run directory */
};

/* ---- the step executor: one entry per step kind (and per fault) ----------------------------------- */

typedef int (*run_step_fn)(struct run_ctx *ctx, const struct scn_step *st, char *detail, size_t len);

struct run_step_ops {
	const char *executor; /* what carries the step out: named when it does not exist */
	run_step_fn exec;     /* NULL: not built yet */
};

static int run_fault_kill(struct run_ctx *ctx, const struct scn_step *st, char *detail, size_t len);
static int run_fault_restart(struct run_ctx *ctx, const struct scn_step *st, char *detail, size_t len);
static int run_call(struct run_ctx *ctx, const struct scn_step *st, char *detail, size_t len);
static int run_wait_response(struct run_ctx *ctx, const struct scn_step *st, char *detail, size_t len);
static int run_wait_notification(struct run_ctx *ctx, const struct scn_step *st, char *detail, size_t len);
static int run_wait_message(struct run_ctx *ctx, const struct scn_step *st, char *detail, size_t len);
static int run_wait_attach(struct run_ctx *ctx, const struct scn_step *st, char *detail, size_t len);
static int run_fault_drop_sms(struct run_ctx *ctx, const struct scn_step *st, char *detail, size_t len);
static int run_fault_fail_attach(struct run_ctx *ctx, const struct scn_step *st, char *detail, size_t len);
static int run_fault_cut_bip(struct run_ctx *ctx, const struct scn_step *st, char *detail, size_t len);
static int run_fault_delay_sms(struct run_ctx *ctx, const struct scn_step *st, char *detail, size_t len);

static const struct run_step_ops run_step_ops[SCN_STEP_KIND__COUNT] = {
	[SCN_STEP_CALL] = { "the harness's operator role (ES1/ES2/ES4 client with mutual TLS)", run_call },
	[SCN_STEP_WAIT_RESPONSE] = { "the harness's operator role (ES callback endpoint)", run_wait_response },
	[SCN_STEP_WAIT_NOTIFICATION] = { "the harness's operator role (ES notification endpoint)",
					 run_wait_notification },
	[SCN_STEP_WAIT_MESSAGE] = { "the live capture decoder (harness/capture + rsplab check)", run_wait_message },
	[SCN_STEP_WAIT_ATTACH] = { "the device's control socket and the HLR's VTY", run_wait_attach },
	[SCN_STEP_FAULT] = { "(per fault)", NULL },
};

static const struct run_step_ops run_fault_ops[] = {
	[SCN_FAULT_NONE] = { "", NULL },
	[SCN_FAULT_DROP_SMS] = { "the device's fault interface (rsplab-device drop-mt)", run_fault_drop_sms },
	[SCN_FAULT_DELAY_SMS] = { "the device's fault interface (rsplab-device delay-mt)", run_fault_delay_sms },
	[SCN_FAULT_FAIL_ATTACH] = { "the device's fault interface (rsplab-device)", run_fault_fail_attach },
	[SCN_FAULT_KILL] = { "the harness's process control", run_fault_kill },
	[SCN_FAULT_RESTART] = { "the harness's process control", run_fault_restart },
	[SCN_FAULT_CUT_BIP] = { "the device's fault interface (rsplab-device)", run_fault_cut_bip },
};

static const struct run_step_ops *step_ops_of(const struct scn_step *st)
{
	return st->kind == SCN_STEP_FAULT ? &run_fault_ops[st->fault] : &run_step_ops[st->kind];
}

/* `credential NAME issuer=rogue` in the scenario's initial state: that component's GP certificate is
 * pki/NAME/gp-cert-rogue.hex (the same key, certified by a CI nobody trusts). */
static bool credential_rogue(const struct scn *s, const char *name)
{
	for (size_t i = 0; i < s->n_init; i++)
		if (s->init[i].kind == SCN_INIT_CREDENTIAL && s->init[i].rogue && !strcmp(s->init[i].subject, name))
			return true;
	return false;
}

/* Expectations are checked through: */
static const char *const run_expect_checker[] = {
	[SCN_EXP_RESPONSES] = "the harness's operator role (ES responses)",
	[SCN_EXP_EIS] = "the harness's operator role (ES4 GetEIS at every SM-SR)",
	[SCN_EXP_PROFILE] = "the eUICC's state dump (rsplab-euicc)",
	[SCN_EXP_KEYSETS] = "the eUICC's state dump (rsplab-euicc)",
	[SCN_EXP_ATTACHED] = "the device's control socket and the HLR's VTY",
	[SCN_EXP_NOTIFICATION] = "the harness's operator role (notification endpoint)",
	[SCN_EXP_DURATION] = "the step timing of this run",
	[SCN_EXP_CARD_NOTIF] = "the capture decoder (rsplab check, SCP80 with the run's keys)",
};

/* ---- components: what runs each kind, and the pre-flight check --------------------------------------- */

struct run_kind {
	const char *program; /* an executable: in the build's bin/ when it starts with "rsplab-", else PATH */
	const char *program2;
	bool in_harness; /* played by the harness itself (the operators) */
};

static const struct run_kind run_kinds[TOPO_KIND__COUNT] = {
	[TOPO_OSMO_STP] = { "osmo-stp", NULL, false },
	[TOPO_OSMO_HLR] = { "osmo-hlr", NULL, false },
	[TOPO_OSMO_MSC] = { "osmo-msc", NULL, false },
	[TOPO_KANNEL] = { "bearerbox", "smsbox", false },
	[TOPO_SMSR] = { "rsplab-smsr", NULL, false },
	[TOPO_SMDP] = { "rsplab-smdp", NULL, false },
	[TOPO_DEVICE] = { "rsplab-device", NULL, false },
	[TOPO_EUICC] = { "rsplab-euicc", NULL, false },
	[TOPO_MNO] = { NULL, NULL, true },
};

static bool in_path(const char *prog)
{
	const char *path = getenv("PATH");
	char buf[PATH_MAX];

	if (!path)
		path = "/usr/bin:/bin";
	while (*path) {
		size_t n = strcspn(path, ":");
		if (n && run_fmt(buf, sizeof(buf), "%.*s/%s", (int)n, path, prog) < (int)sizeof(buf) &&
		    access(buf, X_OK) == 0)
			return true;
		path += n + (path[n] == ':');
	}
	return false;
}

static bool program_exists(const struct run_ctx *ctx, const char *prog)
{
	char buf[PATH_MAX];

	if (strncmp(prog, "rsplab-", 7) == 0)
		return run_fmt(buf, sizeof(buf), "%s/%s", ctx->bin_dir, prog) < (int)sizeof(buf) &&
		       access(buf, X_OK) == 0;
	return in_path(prog);
}

/* Does this rsplab have the `check` command (the capture + compliance checker)? Asked by running it. */
static bool have_checker(void)
{
	char *const argv[] = { "rsplab", "check", "--help", NULL };
	int status;
	pid_t pid = fork();

	if (pid < 0)
		return false;
	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);
		if (null >= 0) {
			dup2(null, 1);
			dup2(null, 2);
		}
		execv("/proc/self/exe", argv);
		_exit(127);
	}
	for (int i = 0; i < 500; i++) { /* 5 s bound */
		if (waitpid(pid, &status, WNOHANG) == pid)
			return WIFEXITED(status) && WEXITSTATUS(status) == 0;
		net_sleep_ms(10);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	return false;
}

/* Append "what (who, who)" for every missing piece into out. Returns how many are missing. */
static unsigned int preflight(const struct run_ctx *ctx, const struct topo *t, bool checker, char *out, size_t len)
{
	unsigned int missing = 0;
	size_t n = 0;

#define RUN_APPEND(...)                                                        \
	do {                                                                   \
		int w_ = run_fmt(out + n, n < len ? len - n : 0, __VA_ARGS__); \
		n += w_ > 0 ? (size_t)w_ : 0;                                  \
	} while (0)
	out[0] = '\0';
	for (int k = 0; k < TOPO_KIND__COUNT; k++) {
		const struct run_kind *rk = &run_kinds[k];
		bool first = true;
		for (size_t i = 0; i < t->n; i++) {
			const struct topo_comp *c = &t->comp[i];
			bool ok;
			if ((int)c->kind != k)
				continue;
			if (c->mode == TOPO_EXTERNAL)
				ok = access(c->ca, R_OK) == 0 && access(c->cert, R_OK) == 0 &&
				     access(c->key, R_OK) == 0;
			else if (rk->in_harness)
				ok = true; /* harness/run/operator.c */
			else
				ok = program_exists(ctx, rk->program) &&
				     (!rk->program2 || program_exists(ctx, rk->program2));
			if (ok)
				continue;
			if (first) {
				missing++;
				if (c->mode == TOPO_EXTERNAL)
					RUN_APPEND("%sexternal %s's CA/certificate/key files (", n ? "; " : "",
						   c->name);
				else if (rk->in_harness)
					RUN_APPEND("%sthe harness's operator role (ES2/ES4 client + notification "
						   "endpoint) (",
						   n ? "; " : "");
				else
					RUN_APPEND("%s%s (", n ? "; " : "", rk->program);
			} else {
				RUN_APPEND(", ");
			}
			RUN_APPEND("%s", c->name);
			first = false;
		}
		if (!first)
			RUN_APPEND(")");
	}
	if (!checker) {
		missing++;
		RUN_APPEND("%sthe capture and compliance checker (rsplab check)", n ? "; " : "");
	}
#undef RUN_APPEND
	return missing;
}

/* ---- initial state: profiles, SM-DP inventories, cards, HLR subscribers ------------------------------ */

/* Run a tool to completion (bounded): stdout to out (NULL: to the log), stderr to log. Returns its exit
 * status, or a negative errno (-ETIMEDOUT: killed after timeout_ms). */
static int run_tool(char *const argv[], const char *out, const char *log, int timeout_ms)
{
	int status;
	pid_t pid = fork();

	if (pid < 0)
		return -errno;
	if (pid == 0) {
		int lf = open(log, O_WRONLY | O_CREAT | O_APPEND, 0600);
		int of = out ? open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600) : lf;
		int null = open("/dev/null", O_RDONLY);
		if (lf < 0 || of < 0 || null < 0)
			_exit(126);
		dup2(null, 0);
		dup2(of, 1);
		dup2(lf, 2);
		execv(argv[0], argv);
		dprintf(2, "rsplab run: cannot run %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	for (int64_t end = net_now_ms() + timeout_ms; net_now_ms() < end;) {
		if (waitpid(pid, &status, WNOHANG) == pid)
			return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
		net_sleep_ms(10);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	return -ETIMEDOUT;
}

static const struct topo_comp *mno_of(const struct topo *t, enum topo_operator op)
{
	return topo_find_kind(t, TOPO_MNO, op);
}

static enum topo_operator op_by_name(const char *name)
{
	return strcmp(name, "mno1") == 0 ? TOPO_OP_MNO1 : strcmp(name, "mno2") == 0 ? TOPO_OP_MNO2 : TOPO_OP_NONE;
}

static void msisdn_of(const char *imsi, char *out, size_t len);

/* One profile package (lib/saip) with a fresh random K/OPc; its subscriber line goes to subs. */
static int make_profile(struct run_ctx *ctx, const char *iccid, const char *imsi, const char *opname, int pol1,
			char *path, size_t plen, FILE *subs)
{
	uint8_t k[16], opc[16], buf[4096];
	struct saip_build_params p = {
		.iccid = iccid, .imsi = imsi, .algo = SAIP_ALGO_MILENAGE, .key = k, .opc = opc, .pol1 = pol1
	};
	char dir[PATH_MAX], msisdn[16];
	int n;

	if (crypto_random(k, sizeof(k)) < 0 || crypto_random(opc, sizeof(opc)) < 0)
		return -EIO;
	n = saip_build(buf, sizeof(buf), &p);
	if (n < 0)
		return n;
	run_fmt(dir, sizeof(dir), "%s/profiles", ctx->scndir);
	mkdir(dir, 0700);
	run_fmt(path, plen, "%s/%s.der", dir, iccid);
	if (net_file_write(path, buf, (size_t)n, 0600) < 0)
		return -EIO;
	/* network/README.md: HLR,IMSI,MSISDN,ALGO,K,OPC (the MSISDN is ours: 1 + the IMSI's last 5 digits) */
	msisdn_of(imsi, msisdn, sizeof(msisdn));
	fprintf(subs, "%s,%s,%s,milenage,", opname, imsi, msisdn);
	for (size_t i = 0; i < 16; i++)
		fprintf(subs, "%02x", k[i]);
	fputc(',', subs);
	for (size_t i = 0; i < 16; i++)
		fprintf(subs, "%02x", opc[i]);
	fputc('\n', subs);
	return 0;
}

/* The stock of an SM-DP: two profiles of its operator that are on no card (what DownloadProfile
 * takes). ICCID 898<op>9<k>0000000000 + Luhn, IMSI 0010<op>000000<k>90. */
static int smdp_stock(struct run_ctx *ctx, const struct topo_comp *c, unsigned int k, char *iccid, char *imsi,
		      char *path, size_t plen, FILE *subs)
{
	unsigned int opd = c->op == TOPO_OP_MNO2 ? 2 : 1;
	char body[20];
	unsigned int sum = 0;

	run_fmt(body, sizeof(body), "898%u9%u%012u", opd, k, 0u);
	/* Luhn check digit over the 18 digits (ITU-T E.118) */
	for (int i = 17, dbl = 1; i >= 0; i--, dbl ^= 1) {
		unsigned int d = (unsigned int)(body[i] - '0') * (dbl ? 2 : 1);
		sum += d > 9 ? d - 9 : d;
	}
	run_fmt(iccid, 21, "%s%u", body, (10 - sum % 10) % 10);
	run_fmt(imsi, 16, "0010%u000000%u90", opd, k);
	return make_profile(ctx, iccid, imsi, opd == 2 ? "mno2" : "mno1", -1, path, plen, subs);
}

static int pol1_of(enum scn_pol1 p)
{
	/* POL1, one byte (open-questions §13, as the card reads it): b1 disabling not allowed, b2 deletion not
	 * allowed, b3 deletion mandatory when disabled */
	return p == SCN_POL1_DISABLE_NOT_ALLOWED ? 0x01 : p == SCN_POL1_DELETE_WHEN_DISABLED ? 0x04 : -1;
}

/* Does this SM-SR reach the cards through Kannel (it needs= a kannel component)? Otherwise, when the
 * topology has a core network, it binds to the MSC's SMSC as an SMPP ESME (scenarios/README.md). */
static bool smsr_uses_kannel(const struct topo *t, const struct topo_comp *smsr)
{
	for (size_t i = 0; i < smsr->n_needs; i++) {
		const struct topo_comp *n = topo_find(t, smsr->needs[i]);
		if (n && n->kind == TOPO_KANNEL)
			return true;
	}
	return false;
}

/* The MSISDN the run gives a profile's IMSI in the HLRs (make_profile): 1, the MNC's last digit (the
 * run's PLMNs are 001-01 and 001-02), then the IMSI's last 5 digits: the two operators' subscribers never
 * share a number (the SM-SR tells the card's SMS apart by it). */
static void msisdn_of(const char *imsi, char *out, size_t len)
{
	size_t il = strlen(imsi);

	run_fmt(out, len, "1%c%s", il > 5 ? imsi[4] : '0', il > 5 ? imsi + il - 5 : imsi);
}

/* The profiles a scenario downloads from a builtin SM-DP (`call ES2-DownloadProfile to=SMDP Iccid=X`):
 * they must be in its inventory. The IMSI is the one a `wait attach` step or an `attached` expectation
 * names at an HLR of the SM-DP's operator (the profile the device attaches with after the download),
 * else 0010<op>000000<n>80. Built like the cards' profiles, subscribers included; paths into out. */
static int stock_from_steps(struct run_ctx *ctx, const struct run_scn *rs, const struct topo_comp *smdp,
			    char out[][PATH_MAX], char out_imsi[][16], size_t *n, FILE *subs)
{
	const struct scn *s = &rs->scn;
	unsigned int opd = smdp->op == TOPO_OP_MNO2 ? 2 : 1;

	for (size_t i = 0; i < s->n_steps && *n < RUN_STOCK_MAX; i++) {
		const struct scn_step *st = &s->step[i];
		const char *iccid = NULL;
		char imsi[16] = "";
		bool dup = false;
		int rc;
		if (st->kind != SCN_STEP_CALL || st->msg != ES_MSG_ES2_DOWNLOAD_PROFILE_REQ ||
		    strcmp(st->target, smdp->name) != 0)
			continue;
		for (size_t f = 0; f < st->n_fields; f++)
			if (strcmp(st->field[f].name, "Iccid") == 0)
				iccid = st->field[f].value;
		if (!iccid || iccid[0] == '@')
			continue;
		for (size_t k = 0; k < *n; k++)
			dup |= strstr(out[k], iccid) != NULL;
		for (size_t k = 0; k < s->n_init; k++) /* a profile the scenario puts on a card is not stock */
			dup |= s->init[k].kind == SCN_INIT_PROFILE && strcmp(s->init[k].iccid, iccid) == 0;
		if (dup)
			continue;
		for (size_t k = 0; k < s->n_steps && !imsi[0]; k++) {
			const struct topo_comp *hlr = topo_find(&rs->topo, s->step[k].peer);
			if (s->step[k].kind == SCN_STEP_WAIT_ATTACH && hlr && hlr->op == smdp->op)
				run_fmt(imsi, sizeof(imsi), "%s", s->step[k].imsi);
		}
		/* a fail-attach fault aimed at an IMSI of this operator's network (MCC 001, MNC 0<op>) */
		for (size_t k = 0; k < s->n_steps && !imsi[0]; k++) {
			char plmn[6];
			run_fmt(plmn, sizeof(plmn), "0010%u", opd);
			if (s->step[k].kind == SCN_STEP_FAULT && s->step[k].fault == SCN_FAULT_FAIL_ATTACH &&
			    strncmp(s->step[k].imsi, plmn, 5) == 0)
				run_fmt(imsi, sizeof(imsi), "%s", s->step[k].imsi);
		}
		for (size_t k = 0; k < s->n_expect && !imsi[0]; k++) {
			const struct topo_comp *hlr = topo_find(&rs->topo, s->expect[k].where);
			if (s->expect[k].kind == SCN_EXP_ATTACHED && hlr && hlr->op == smdp->op)
				run_fmt(imsi, sizeof(imsi), "%s", s->expect[k].imsi);
		}
		if (!imsi[0])
			run_fmt(imsi, sizeof(imsi), "0010%u000000%zu80", opd, *n % 10);
		rc = make_profile(ctx, iccid, imsi, opd == 2 ? "mno2" : "mno1", -1, out[*n], sizeof(out[0]), subs);
		if (rc < 0)
			return rc;
		run_fmt(out_imsi[*n], 16, "%s", imsi);
		(*n)++;
	}
	return 0;
}

/* Profiles and SM-DP inventories (before the SM-DPs and the HLRs start: RUNDIR/<scenario>/subscribers is
 * what `net up` provisions), and the profile each card is created with (ctx->card_prof). */
static int prepare_profiles(struct run_ctx *ctx, const struct run_scn *rs, char *why, size_t wlen)
{
	const struct scn *s = &rs->scn;
	const struct topo *t = &rs->topo;
	char subs_path[PATH_MAX], path[PATH_MAX], bin[PATH_MAX];
	FILE *subs;
	int rc = 0;

	memset(ctx->card_prof, 0, sizeof(ctx->card_prof));
	memset(ctx->card_msisdn, 0, sizeof(ctx->card_msisdn));
	run_fmt(subs_path, sizeof(subs_path), "%s/subscribers", ctx->scndir);
	subs = fopen(subs_path, "w");
	if (!subs) {
		run_fmt(why, wlen, "cannot write %s", subs_path);
		return -EIO;
	}
	fputs("# HLR,IMSI,MSISDN,ALGO,K,OPC: the run's profiles (rsplab run)\n", subs);
	/* profiles on the cards */
	for (size_t i = 0; i < s->n_init && rc == 0; i++) {
		const struct scn_init *in = &s->init[i];
		const struct topo_comp *card;
		if (in->kind != SCN_INIT_PROFILE)
			continue;
		rc = make_profile(ctx, in->iccid, in->imsi, in->op, pol1_of(in->pol1), path, sizeof(path), subs);
		card = topo_find(t, in->subject);
		if (rc == 0 && card) {
			size_t ci = (size_t)(card - t->comp);
			/* the card is created with its enabled profile (rsplab-euicc init takes one) */
			if (!ctx->card_prof[ci][0] || in->state == ES_PROFILE_STATE_ENABLED) {
				run_fmt(ctx->card_prof[ci], sizeof(ctx->card_prof[ci]), "%s", path);
				msisdn_of(in->imsi, ctx->card_msisdn[ci], sizeof(ctx->card_msisdn[ci]));
			}
		}
		if (rc < 0)
			run_fmt(why, wlen, "profile %s (line %u): saip build failed (%s)", in->iccid, in->line,
				strerror(-rc));
	}
	/* cards without a profile line: a provisioning profile of the EIS holder's operator (an M2M eUICC
	 * leaves the factory with one; scenarios/README.md) */
	for (size_t i = 0; i < t->n && rc == 0; i++) {
		const struct topo_comp *c = &t->comp[i], *smsr = NULL;
		char iccid[21], imsi[16];
		if (c->kind != TOPO_EUICC || ctx->card_prof[i][0])
			continue;
		for (size_t j = 0; j < s->n_init; j++)
			if (s->init[j].kind == SCN_INIT_EIS && strcmp(s->init[j].subject, c->name) == 0)
				smsr = topo_find(t, s->init[j].where);
		if (!smsr)
			smsr = topo_find_kind(t, TOPO_SMSR, TOPO_OP_NONE);
		if (!smsr || smdp_stock(ctx, &(struct topo_comp){ .op = smsr->op }, 3 + (unsigned int)(i % 8), iccid,
					imsi, ctx->card_prof[i], sizeof(ctx->card_prof[i]), subs) < 0) {
			run_fmt(why, wlen, "%s: no provisioning profile could be built", c->name);
			rc = -EIO;
			break;
		}
		msisdn_of(imsi, ctx->card_msisdn[i], sizeof(ctx->card_msisdn[i]));
	}
	/* SM-DP inventories: the stock, imported before the daemon starts */
	for (size_t i = 0; i < t->n && rc == 0; i++) {
		const struct topo_comp *c = &t->comp[i];
		char p1[PATH_MAX], p2[PATH_MAX], db[PATH_MAX], log[PATH_MAX], iccid[2][21], imsi[2][16], dir[PATH_MAX];
		static char extra[RUN_STOCK_MAX + 2][PATH_MAX], extra_imsi[RUN_STOCK_MAX + 2][16];
		size_t n_extra;
		if (c->kind != TOPO_SMDP || c->mode != TOPO_BUILTIN)
			continue;
		run_fmt(dir, sizeof(dir), "%s/%s", ctx->scndir, c->name);
		mkdir(dir, 0700);
		if (smdp_stock(ctx, c, 1, iccid[0], imsi[0], p1, sizeof(p1), subs) < 0 ||
		    smdp_stock(ctx, c, 2, iccid[1], imsi[1], p2, sizeof(p2), subs) < 0) {
			run_fmt(why, wlen, "%s: stock profiles could not be built", c->name);
			rc = -EIO;
			break;
		}
		run_fmt(bin, sizeof(bin), "%s/rsplab-smdp", ctx->bin_dir);
		run_fmt(db, sizeof(db), "%s/smdp.db", dir);
		run_fmt(log, sizeof(log), "%s/%s.log", ctx->scndir, c->name);
		n_extra = 0;
		if (stock_from_steps(ctx, rs, c, extra, extra_imsi, &n_extra, subs) < 0) {
			run_fmt(why, wlen, "%s: the scenario's profiles could not be built", c->name);
			rc = -EIO;
			break;
		}
		run_fmt(extra[n_extra], PATH_MAX, "%s", p1);
		run_fmt(extra_imsi[n_extra++], 16, "%s", imsi[0]);
		run_fmt(extra[n_extra], PATH_MAX, "%s", p2);
		run_fmt(extra_imsi[n_extra++], 16, "%s", imsi[1]);
		/* one import per profile: each with the MSISDN its HLR subscriber has, which the SM-DP reports to
		 * the SM-SR in ProfileDownloadCompleted (the SM-SR recognises the card's SMS from that number
		 * once the profile is enabled) */
		for (size_t k = 0; k < n_extra && rc == 0; k++) {
			char msisdn[16];
			char *argv[] = { bin, "import", "--db", db, "--msisdn", msisdn, extra[k], NULL };
			int st;

			msisdn_of(extra_imsi[k], msisdn, sizeof(msisdn));
			st = run_tool(argv, NULL, log, 10000);
			if (st != 0) {
				run_fmt(why, wlen, "%s: rsplab-smdp import failed (status %d, see %s)", c->name, st,
					log);
				rc = -EIO;
			}
		}
	}
	fclose(subs);
	return rc;
}

/* An SM-SR's short code in the run's net.env (network/README.md: SMSR1_SHORT_CODE on the Kannel path,
 * SMSR2_SHORT_CODE on SMPP); NULL without a core network. */
static const char *smsr_short_code(const struct run_ctx *ctx, const struct topo_comp *smsr)
{
	const char *code;

	if (!ctx->env || !smsr)
		return NULL;
	code = net_map_get(ctx->env, smsr_uses_kannel(&ctx->rs->topo, smsr) ? "SMSR1_SHORT_CODE" : "SMSR2_SHORT_CODE");
	return code && code[0] ? code : NULL;
}

/* The SMS address ("TON NPI DIGITS") of an SM-SR for the card's PoRs and notifications; "" without a
 * core network. */
static void smsr_sms_addr(const struct run_ctx *ctx, const struct topo_comp *smsr, char *out, size_t len)
{
	const char *code = smsr_short_code(ctx, smsr);

	out[0] = '\0';
	if (code)
		run_fmt(out, len, "1 1 %s", code);
}

/* The same address as the value of DGI 3A07 for the SM-SR's UpdateSMSRAddressingParameters at SM-SR
 * Change step 26 (--addressing): a TS 102 223 §8.1 address object `86 L TON/NPI BCD` with TON/NPI 91
 * ("1 1" above), so that after the change the eUICC's notifications go to the new SM-SR's number. */
static void smsr_addressing_hex(const struct run_ctx *ctx, const struct topo_comp *smsr, char *out, size_t len)
{
	const char *code = smsr_short_code(ctx, smsr);
	uint8_t v[16] = { 0x86 };
	int n;

	out[0] = '\0';
	/* libosmocore writes L, leaves the one header byte (TON/NPI) to us, then the BCD digits */
	n = code ? gsm48_encode_bcd_number(v + 1, sizeof(v) - 1, 1, code) : -1;
	if (n < 3)
		return;
	v[2] = 0x91;
	osmo_hexdump_buf(out, len, v, n + 1, "", false);
}

/* Cards: rsplab-euicc init (sims/euicc/README.md) writes the card and prints its EUM-signed
 * ES1-RegisterEIS; the harness plays the EUM with it (card_load, once the operator role exists). */
static int prepare_cards(struct run_ctx *ctx, const struct run_scn *rs, char *why, size_t wlen)
{
	const struct scn *s = &rs->scn;
	const struct topo *t = &rs->topo;
	char pki[PATH_MAX], bin[PATH_MAX];

	run_fmt(pki, sizeof(pki), "%s/pki", ctx->rundir);
	run_fmt(bin, sizeof(bin), "%s/rsplab-euicc", ctx->bin_dir);
	for (size_t i = 0; i < t->n; i++) {
		const struct topo_comp *c = &t->comp[i];
		const struct topo_comp *smsr = NULL, *mno = NULL;
		const struct scn_init *eis = NULL;
		char dir[PATH_MAX], db[PATH_MAX], log[PATH_MAX], sms[40], admin[40];
		char *argv[32];
		size_t a = 0;
		int st;
		if (c->kind != TOPO_EUICC)
			continue;
		for (size_t j = 0; j < s->n_init; j++) {
			const struct scn_init *in = &s->init[j];
			if (strcmp(in->subject, c->name) != 0)
				continue;
			if (in->kind == SCN_INIT_EIS) {
				smsr = topo_find(t, in->where);
				eis = in;
			}
			if (in->kind == SCN_INIT_PROFILE && (!mno || in->state == ES_PROFILE_STATE_ENABLED))
				mno = mno_of(t, op_by_name(in->op));
		}
		if (!smsr)
			smsr = topo_find_kind(t, TOPO_SMSR, TOPO_OP_NONE);
		if (!mno && smsr)
			mno = mno_of(t, smsr->op);
		run_fmt(dir, sizeof(dir), "%s/%s", ctx->scndir, c->name);
		mkdir(dir, 0700);
		run_fmt(db, sizeof(db), "%s/card.db", dir);
		run_fmt(log, sizeof(log), "%s/%s.log", ctx->scndir, c->name);
		run_fmt(ctx->card_xml[i], sizeof(ctx->card_xml[i]), "%s/register-eis.xml", dir);
		smsr_sms_addr(ctx, smsr, sms, sizeof(sms));
		argv[a++] = bin;
		argv[a++] = "init";
		argv[a++] = "--pki";
		argv[a++] = pki;
		argv[a++] = "--eid";
		argv[a++] = (char *)c->eid;
		argv[a++] = "--profile";
		argv[a++] = ctx->card_prof[i];
		argv[a++] = "-o";
		argv[a++] = db;
		argv[a++] = "--eum-id";
		argv[a++] = RUN_EUM_ID;
		argv[a++] = "--msisdn";
		argv[a++] = ctx->card_msisdn[i];
		if (sms[0]) {
			argv[a++] = "--smsr-sms";
			argv[a++] = sms;
		}
		if (smsr) {
			argv[a++] = "--smsr-id";
			argv[a++] = (char *)smsr->entity;
		}
		if (mno) {
			argv[a++] = "--mno-id";
			argv[a++] = (char *)mno->entity;
		}
		if (eis && eis->notify_https) {
			/* personalised for E1 over HTTPS to its SM-SR's SCP81 server (ES port + 1, as started) */
			if (!smsr || smsr->mode != TOPO_BUILTIN) {
				run_fmt(why, wlen, "%s: notify=https needs a builtin SM-SR", c->name);
				return -EINVAL;
			}
			run_fmt(admin, sizeof(admin), "%s:%u", smsr->addr, smsr->port + 1u);
			argv[a++] = "--notif-transport";
			argv[a++] = "https";
			argv[a++] = "--admin-addr";
			argv[a++] = admin;
			if (eis->carriage >= 0) {
				argv[a++] = "--notif-carriage";
				argv[a++] = (char *)get_value_string(ramhttp_notif_carriage_names, eis->carriage);
			}
		}
		argv[a] = NULL;
		st = run_tool(argv, ctx->card_xml[i], log, 20000);
		if (st != 0) {
			run_fmt(why, wlen, "%s: rsplab-euicc init failed (status %d, see %s)", c->name, st, log);
			return -EIO;
		}
	}
	return 0;
}

/* Decode a card's ES1-RegisterEIS (rsplab-euicc init's output) and hand it to the operator role. */
static int card_load(struct run_ctx *ctx, const struct topo_comp *c, const char *xml, char *why, size_t wlen)
{
	size_t len = 0;
	char *text = talloc_size(ctx->tall, 1 << 18), *arena;
	struct es_msg *m = talloc_zero(ctx->tall, struct es_msg);
	struct op_card card = { 0 };
	int rc;

	if (!text || !m || net_file_read_tail(xml, text, 1 << 18, &len) < 0 || !len || len >= (1 << 18) - 1) {
		run_fmt(why, wlen, "%s: no RegisterEIS in %s", c->name, xml);
		return -EIO;
	}
	arena = talloc_size(ctx->tall, len + 64);
	if (!arena)
		return -ENOMEM;
	rc = es_msg_decode(m, arena, len + 64, (const uint8_t *)text, len, NULL, NULL);
	if (rc < 0 || m->id != ES_MSG_ES1_REGISTER_EIS_REQ) {
		run_fmt(why, wlen, "%s: %s is not an ES1-RegisterEIS request", c->name, xml);
		return -EBADMSG;
	}
	run_fmt(card.name, sizeof(card.name), "%s", c->name);
	run_fmt(card.eid, sizeof(card.eid), "%s", c->eid);
	card.register_eis = m;
	return op_card_add(ctx->op, &card);
}

/* The SM-DP's telnet VTY port: 4260 (its default) + the component's index, so two SM-DPs never clash. */
static unsigned int smdp_telnet_port(const struct run_ctx *ctx, const struct topo_comp *c)
{
	return 4260u + (unsigned int)(c - ctx->rs->topo.comp);
}

/* network/smdp/README.md "Configuration": identities, PKI files, ES endpoint, mutual TLS, key log, the
 * operator (mno-url) and every SM-SR of the topology. */
static int render_smdp_cfg(struct run_ctx *ctx, const struct topo_comp *c, const char *dir, const char *path)
{
	const struct topo *t = &ctx->rs->topo;
	const struct topo_comp *mno = mno_of(t, c->op);
	char pki[PATH_MAX];
	FILE *f = fopen(path, "w");

	if (!f)
		return -errno;
	run_fmt(pki, sizeof(pki), "%s/pki", ctx->rundir);
	fprintf(f, "! rendered by rsplab run for %s\nsmdp\n database %s/smdp.db\n smdp-id %s\n", c->name, dir,
		c->entity);
	if (mno)
		fprintf(f, " mno-id %s\n mno-url https://%s:%u/ %s\n", mno->entity, mno->addr, mno->port, mno->entity);
	fprintf(f,
		" dp-certificate %s/%s/gp-cert%s.hex\n dp-private-key %s/%s/gp-key.hex p256\n"
		" ci-certificate %s/ci/cert.pem\n eum-certificate %s/eum/cert.pem\n"
		" es-listen %s %u\n own-url https://%s:%u/\n"
		" tls-certificate %s/%s/tls-cert.pem\n tls-private-key %s/%s/tls-key.pem\n"
		" tls-ca-certificate %s/ci/cert.pem\n tls-keylog %s/%s.keylog\n",
		pki, c->name, credential_rogue(&ctx->rs->scn, c->name) ? "-rogue" : "", pki, c->name, pki, pki, c->addr,
		c->port, c->addr, c->port, pki, c->name, pki, c->name, pki, ctx->scndir, c->name);
	for (size_t i = 0; i < t->n; i++) {
		const struct topo_comp *r = &t->comp[i];
		if (r->kind != TOPO_SMSR)
			continue;
		if (r->mode == TOPO_EXTERNAL)
			fprintf(f, " smsr %s\n  url %s\n  entity-id %s\n", r->entity, r->url, r->entity);
		else
			fprintf(f, " smsr %s\n  url https://%s:%u/\n  entity-id %s\n", r->entity, r->addr, r->port,
				r->entity);
	}
	return fclose(f) == 0 ? 0 : -EIO;
}

/* ---- the operator role's steps ------------------------------------------------------------------------ */

static int run_call(struct run_ctx *ctx, const struct scn_step *st, char *detail, size_t len)
{
	struct op_record *r = NULL;
	int rc = op_call_step(ctx->op, st, &r, detail, len);

	if (rc == -EINPROGRESS)
		return 0;
	if (rc < 0)
		return rc;
	return op_record_matches(r, st, detail, len) ? 0 : -EPROTO;
}

static int run_wait_response(struct run_ctx *ctx, const struct scn_step *st, char *detail, size_t len)
{
	const struct scn_step *call = NULL;
	struct op_record *r = NULL;
	int rc;

	/* the call's expect= applies: the latest earlier call of this function */
	for (const struct scn_step *p = ctx->rs->scn.step; p < st; p++)
		if (p->kind == SCN_STEP_CALL && p->msg == st->msg)
			call = p;
	rc = op_wait_response(ctx->op, st->msg, scn_step_timeout_ms(st), &r, detail, len);
	if (rc < 0)
		return rc;
	if (!call)
		return 0;
	return op_record_matches(r, call, detail, len) ? 0 : -EPROTO;
}

static int run_wait_notification(struct run_ctx *ctx, const struct scn_step *st, char *detail, size_t len)
{
	return op_wait_notification(ctx->op, st->msg, st->target, scn_step_timeout_ms(st), NULL, detail, len);
}

/* [initial] eis lines: the harness, as the EUM, registers each card's EIS at its SM-SR (ES1). */
static int register_eis_all(struct run_ctx *ctx, char *why, size_t wlen)
{
	const struct scn *s = &ctx->rs->scn;

	for (size_t i = 0; i < s->n_init; i++) {
		const struct scn_init *in = &s->init[i];
		const struct topo_comp *smsr = topo_find(&ctx->rs->topo, in->where);
		struct op_record *r = NULL;
		char d[200];
		int rc;

		if (in->kind != SCN_INIT_EIS || !smsr)
			continue;
		rc = op_register_eis(ctx->op, in->subject, smsr, 30000, &r, d, sizeof(d));
		if (rc < 0 || !r || r->status != ES_STATUS_EXECUTED_SUCCESS) {
			run_fmt(why, wlen, "initial state (line %u): RegisterEIS of %s at %s: %s", in->line,
				in->subject, in->where, d);
			return rc < 0 ? rc : -EPROTO;
		}
		printf("   [init  ] RegisterEIS %s at %s (as the EUM): %s\n", in->subject, in->where, d);
		/* The EIS carries key-set versions only; the ISD-R key values go from the card factory's
		 * CARD.db.keys into the SM-SR's store (network/smsr/smsr_keys.h). */
		{
			char bin[PATH_MAX], db[PATH_MAX], keys[PATH_MAX], log[PATH_MAX];
			char *argv[] = { bin, "keys-import", "--db", db, keys, NULL };
			int st;

			run_fmt(bin, sizeof(bin), "%s/rsplab-smsr", ctx->bin_dir);
			run_fmt(db, sizeof(db), "%s/%s/smsr.db", ctx->scndir, smsr->name);
			run_fmt(keys, sizeof(keys), "%s/%s/card.db.keys", ctx->scndir, in->subject);
			run_fmt(log, sizeof(log), "%s/%s.log", ctx->scndir, smsr->name);
			st = run_tool(argv, NULL, log, 10000);
			if (st != 0) {
				run_fmt(why, wlen,
					"initial state (line %u): keys-import of %s into %s failed (status %d, see %s)",
					in->line, in->subject, in->where, st, log);
				return -EIO;
			}
			printf("   [init  ] keys of %s imported into %s\n", in->subject, in->where);
		}
	}
	return 0;
}

/* Whether a GetEIS answer lists profile "ICCID:State". */
static bool eis_has_profile(const struct op_record *r, const char *want)
{
	for (unsigned int q = 0; q < r->n_profiles; q++) {
		char pe[40];
		run_fmt(pe, sizeof(pe), "%s:%s", r->profile[q].iccid,
			get_value_string(es_profile_state_names, r->profile[q].state));
		if (strcmp(pe, want) == 0)
			return true;
	}
	return false;
}

/* An expectation the operator role checks. Returns 1 pass, 0 fail, -1 not checkable here. */
static int check_expect_op(struct run_ctx *ctx, const struct scn_expect *e, char *detail, size_t len)
{
	const struct topo *t = &ctx->rs->topo;

	switch (e->kind) {
	case SCN_EXP_RESPONSES: {
		const struct op_record *recs[OP_RECORDS_MAX];
		size_t n = op_records(ctx->op, recs, OP_RECORDS_MAX), bad = 0, seen = 0;
		for (size_t i = 0; i < n; i++) {
			if (es_msgs[recs[i]->id].kind != ES_KIND_REQUEST)
				continue;
			seen++;
			if (recs[i]->rc < 0 || recs[i]->fault || recs[i]->status != e->status)
				bad++;
		}
		run_fmt(detail, len, "%zu of %zu responses %s", seen - bad, seen,
			get_value_string(es_status_names, e->status));
		return bad == 0;
	}
	case SCN_EXP_NOTIFICATION: {
		unsigned int n = op_notification_count(ctx->op, e->msg, e->where);
		run_fmt(detail, len, "%u received (expected %u)", n, e->count);
		return n == e->count;
	}
	case SCN_EXP_EIS: {
		const struct topo_comp *card = topo_find(t, e->subject);
		size_t w = 0;
		int ok = 1;
		if (!card)
			return -1;
		detail[0] = '\0';
		/* ES4-GetEIS at every SM-SR, as the operator of that SM-SR: held at e->where and nowhere else */
		for (size_t i = 0; i < t->n; i++) {
			const struct topo_comp *sr = &t->comp[i];
			const struct topo_comp *mno;
			struct op_record *r = NULL;
			char d[200];
			bool here = strcmp(sr->name, e->where) == 0;
			if (sr->kind != TOPO_SMSR)
				continue;
			mno = mno_of(t, sr->op);
			if (!mno)
				mno = topo_find_kind(t, TOPO_MNO, TOPO_OP_NONE);
			if (!mno || op_get_eis(ctx->op, mno->name, sr, card->eid, 30000, &r, d, sizeof(d)) < 0) {
				w += (size_t)run_fmt(detail + w, w < len ? len - w : 0, "%s%s: GetEIS: %s",
						     w ? "; " : "", sr->name, mno ? d : "no operator to ask as");
				ok = 0;
				continue;
			}
			if (here && r->status == ES_STATUS_EXECUTED_SUCCESS && r->has_eis) {
				w += (size_t)run_fmt(detail + w, w < len ? len - w : 0, "%sheld at %s", w ? "; " : "",
						     sr->name);
				for (size_t k = 0; k < e->n_profiles; k++) {
					bool found = eis_has_profile(r, e->profiles[k]);
					/* ES4 GetEIS shows each operator its own profiles only (SGP.02 §5.5.x, digest
					 * §6): ask as every other operator of the topology too */
					for (size_t o = 0; !found && o < t->n; o++) {
						const struct topo_comp *other = &t->comp[o];
						struct op_record *r2 = NULL;
						char d2[200];
						if (other->kind != TOPO_MNO || other == mno ||
						    op_get_eis(ctx->op, other->name, sr, card->eid, 30000, &r2, d2,
							       sizeof(d2)) < 0)
							continue;
						found = r2->status == ES_STATUS_EXECUTED_SUCCESS && r2->has_eis &&
							eis_has_profile(r2, e->profiles[k]);
					}
					if (!found) {
						w += (size_t)run_fmt(detail + w, w < len ? len - w : 0,
								     ", profile %s not in its EIS (%u profile(s))",
								     e->profiles[k], r->n_profiles);
						ok = 0;
					}
				}
			} else if (here) {
				w += (size_t)run_fmt(detail + w, w < len ? len - w : 0, "%snot held at %s (%s)",
						     w ? "; " : "", sr->name, d);
				ok = 0;
			} else if (r->status == ES_STATUS_EXECUTED_SUCCESS) {
				w += (size_t)run_fmt(detail + w, w < len ? len - w : 0, "%salso held at %s",
						     w ? "; " : "", sr->name);
				ok = 0;
			} else {
				w += (size_t)run_fmt(detail + w, w < len ? len - w : 0, "%snot at %s (%s)",
						     w ? "; " : "", sr->name, d);
			}
		}
		return ok;
	}
	default: return -1;
	}
}

/* ---- the capture: one pcap per scenario, decoded by the checker with the run's key logs ------------ */

static void capture_begin(struct run_ctx *ctx, const struct topo *t)
{
	static const char *const ifs[] = { "lo" };
	char filter[1024], err[256];
	size_t n = 0;
	int e = 0;

	if (geteuid() != 0) {
		printf("   capture: not root: no capture for this scenario\n");
		return;
	}
	/* the components' addresses only: other traffic on the loopback is not ours */
	filter[0] = '\0';
	for (size_t i = 0; i < t->n && n < sizeof(filter) - 40; i++)
		if (t->comp[i].addr[0])
			n += (size_t)run_fmt(filter + n, sizeof(filter) - n, "%shost %s", n ? " or " : "",
					     t->comp[i].addr);
	run_fmt(ctx->pcap, sizeof(ctx->pcap), "%s/capture.pcap", ctx->scndir);
	ctx->cap = capture_start(ctx->tall,
				 &(struct capture_cfg){ .ifaces = ifs,
							.num_ifaces = 1,
							.path = ctx->pcap,
							.filter = n ? filter : NULL,
							.max_bytes = 256u << 20 },
				 err, sizeof(err), &e);
	if (!ctx->cap)
		printf("   capture: could not start (%s): no capture for this scenario\n", err);
}

static int keylogs_load(struct tlsdec_keylog *kl, const char *dir, int depth)
{
	glob_t g;
	char pat[PATH_MAX];
	int files = 0;

	run_fmt(pat, sizeof(pat), "%s/%s*.keylog", dir, depth ? "*/" : "");
	if (glob(pat, 0, NULL, &g) == 0) {
		for (size_t i = 0; i < g.gl_pathc; i++) {
			unsigned int bad = 0;
			files += tlsdec_keylog_load(kl, g.gl_pathv[i], &bad) >= 0;
		}
		globfree(&g);
	}
	return files;
}

/* The component whose address:port is ep ("127.0.0.42:8443"), or NULL. */
static const struct topo_comp *comp_at(const struct topo *t, const char *ep)
{
	for (size_t i = 0; i < t->n; i++) {
		char want[ESNET_HOST_MAX + 8];
		struct esnet_url u;
		if (t->comp[i].mode == TOPO_EXTERNAL) {
			/* an external component is where its URL points (an address literal: the capture's) */
			if (esnet_url_parse(t->comp[i].url, &u) < 0)
				continue;
			run_fmt(want, sizeof(want), "%s:%u", u.host, u.port);
		} else if (t->comp[i].addr[0]) {
			run_fmt(want, sizeof(want), "%s:%u", t->comp[i].addr, t->comp[i].port);
		} else {
			continue;
		}
		if (strcmp(want, ep) == 0)
			return &t->comp[i];
	}
	return NULL;
}

/* The EntityId of a wsa:From address ("https://h/?EntityId=1.2&EntityName=X" -> "1.2"); "" when absent. */
static void from_entity(const char *from, char *out, size_t len)
{
	const char *eq = from ? strstr(from, "EntityId=") : NULL;

	out[0] = '\0';
	if (eq)
		run_fmt(out, len, "%.*s", (int)strcspn(eq + 9, "&#"), eq + 9);
}

/* Look through the capture so far for an ES message st->msg from st->target to st->peer: the receiver
 * by its listening address, the sender by the EntityId of the message's wsa:From. */
static int find_message(struct run_ctx *ctx, const struct scn_step *st, void *tall, char *detail, size_t len)
{
	const struct topo *t = &ctx->rs->topo;
	const struct topo_comp *from = topo_find(t, st->target), *to = topo_find(t, st->peer);
	struct tlsdec_keylog *kl = tlsdec_keylog_alloc(tall);
	struct check_opts o;
	struct checker *ck;
	const struct check_event *ev;
	unsigned int n = 0;
	char err[200];

	if (!kl)
		return -ENOMEM;
	keylogs_load(kl, ctx->scndir, 0);
	check_opts_init(&o);
	o.keylog = kl;
	ck = checker_alloc(tall, &o);
	if (!ck || checker_run_file(ck, ctx->pcap, err, sizeof(err)) < 0) {
		run_fmt(detail, len, "the capture could not be read");
		return -EIO;
	}
	checker_finish(ck);
	ev = checker_events(ck, &n);
	for (unsigned int i = 0; i < n; i++) {
		const char *arrow, *colon;
		char dst[64];
		struct es_msg *m;
		char *arena;
		size_t dl;
		if (ev[i].es_id != st->msg || !ev[i].detail)
			continue;
		/* "flow N SRC -> DST: ..." */
		arrow = strstr(ev[i].summary, " -> ");
		colon = arrow ? strstr(arrow + 4, ": ") : NULL;
		if (!colon || (size_t)(colon - arrow - 4) >= sizeof(dst))
			continue;
		run_fmt(dst, sizeof(dst), "%.*s", (int)(colon - arrow - 4), arrow + 4);
		if (comp_at(t, dst) != to)
			continue;
		dl = strlen(ev[i].detail);
		m = talloc_zero(tall, struct es_msg);
		arena = talloc_size(tall, dl + 64);
		if (!m || !arena ||
		    es_msg_decode(m, arena, dl + 64, (const uint8_t *)ev[i].detail, dl, NULL, NULL) < 0 ||
		    !m->wsa.from || !from || !from->entity[0])
			continue;
		{
			char ent[64];
			from_entity(m->wsa.from, ent, sizeof(ent));
			if (strcmp(ent, from->entity) != 0)
				continue;
		}
		run_fmt(detail, len, "%s %s -> %s in frame %u", es_msgs[st->msg].name, st->target, st->peer,
			ev[i].frame);
		return 0;
	}
	return -ENOENT;
}

static int run_wait_message(struct run_ctx *ctx, const struct scn_step *st, char *detail, size_t len)
{
	unsigned int timeout = scn_step_timeout_ms(st);
	int64_t end = net_now_ms() + timeout;
	int rc;

	if (!ctx->cap) {
		run_fmt(detail, len, "no capture in this run (needs root): the message cannot be seen");
		return -ENOSYS;
	}
	for (;;) {
		void *tall = talloc_named_const(ctx->tall, 0, "wait message");
		capture_poll(ctx->cap);
		capture_flush(ctx->cap);
		rc = find_message(ctx, st, tall, detail, len);
		talloc_free(tall);
		if (rc != -ENOENT || net_now_ms() >= end || run_interrupted)
			break;
		op_poll(ctx->op, 200);
	}
	if (rc == -ENOENT)
		run_fmt(detail, len, "no %s from %s to %s in the capture within %.1f s", es_msgs[st->msg].name,
			st->target, st->peer, timeout / 1000.0);
	return rc;
}

/* ---- starting and stopping ------------------------------------------------------------------------- */

static void log_tail_line(const char *log, char *out, size_t len)
{
	static char buf[65536];
	size_t n = 0;

	if (net_file_read_tail(log, buf, sizeof(buf), &n) < 0)
		n = 0;
	if (!net_log_last_line(buf, n, out, len))
		run_fmt(out, len, "(empty)");
}

/* Does the topology have a core network (started as one group by net_up)? */
static bool topo_has_net(const struct topo *t)
{
	for (size_t i = 0; i < t->n; i++)
		if (t->comp[i].mode == TOPO_BUILTIN &&
		    (t->comp[i].kind == TOPO_OSMO_STP || t->comp[i].kind == TOPO_OSMO_HLR ||
		     t->comp[i].kind == TOPO_OSMO_MSC || t->comp[i].kind == TOPO_KANNEL))
			return true;
	return false;
}

/* The core network is one group started by net_up() with the topology's addresses as overrides. */
static int start_net(struct run_ctx *ctx, const struct topo *t)
{
	static const struct {
		enum topo_kind kind;
		enum topo_operator op;
		const char *addr_key, *port_key;
	} keys[] = {
		{ TOPO_OSMO_STP, TOPO_OP_NONE, "STP_ADDR", "STP_M3UA_PORT" },
		{ TOPO_OSMO_HLR, TOPO_OP_MNO1, "HLR1_ADDR", "HLR1_GSUP_PORT" },
		{ TOPO_OSMO_HLR, TOPO_OP_MNO2, "HLR2_ADDR", "HLR2_GSUP_PORT" },
		{ TOPO_OSMO_MSC, TOPO_OP_NONE, "MSC_ADDR", "MSC_SMPP_PORT" },
		{ TOPO_KANNEL, TOPO_OP_NONE, "KANNEL_ADDR", "KANNEL_SENDSMS_PORT" },
	};
	char conf[2048], path[PATH_MAX];
	size_t n = 0;
	struct net_opts no = { .sctp = NET_SCTP_AUTO, .no_netns = ctx->o->no_netns };
	char src[PATH_MAX];
	int rc;

	n += (size_t)run_fmt(conf, sizeof(conf), "# from the topology (rsplab run)\n");
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		const struct topo_comp *c = topo_find_kind(t, keys[i].kind, keys[i].op);
		if (c && n < sizeof(conf))
			n += (size_t)run_fmt(conf + n, sizeof(conf) - n, "%s=%s\n%s=%u\n", keys[i].addr_key, c->addr,
					     keys[i].port_key, c->port);
	}
	run_fmt(path, sizeof(path), "%s/net.conf", ctx->scndir);
	rc = n < sizeof(conf) ? net_file_write(path, conf, n, 0600) : -EMSGSIZE;
	if (rc < 0)
		return rc;
	run_fmt(src, sizeof(src), "%s/network", ctx->top);
	no.src_dir = src;
	rc = net_up(ctx->scndir, &no);
	if (rc < 0)
		return rc;
	ctx->net_up = true;
	/* everything else of the scenario runs in the net's namespace: this process enters it, so the
	 * operator endpoints, the capture and every child started from here on are there too */
	{
		struct net_state st;
		rc = net_state_load(ctx->scndir, &st);
		if (rc < 0) {
			fprintf(stderr, "rsplab run: the core network's state file cannot be read\n");
			return rc;
		}
		if (strcmp(st.sctp, "shim") == 0)
			run_fmt(ctx->shim, sizeof(ctx->shim), "%s", st.shim);
		if (st.netns[0]) {
			rc = net_netns_enter(st.netns, &ctx->saved_ns);
			if (rc < 0) {
				fprintf(stderr, "rsplab run: cannot enter the network namespace %s: %s\n", st.netns,
					strerror(-rc));
				return rc;
			}
			run_fmt(ctx->netns, sizeof(ctx->netns), "%s", st.netns);
		}
	}
	ctx->env = talloc_zero(ctx->tall, struct net_map);
	if (!ctx->env || net_env_load(ctx->scndir, ctx->env) < 0) {
		fprintf(stderr, "rsplab run: the core network's net.env cannot be read\n");
		return -EIO;
	}
	return 0;
}

static struct run_started *started_of(struct run_ctx *ctx, const char *name)
{
	for (size_t i = 0; i < ctx->n_started; i++)
		if (strcmp(ctx->started[i].c->name, name) == 0)
			return &ctx->started[i];
	return NULL;
}

/* The device's control socket (sims/device/README.md "Control socket"): one request, the reply up to its
 * final OK/ERR line into out (bounded: 3 s). The socket is device.ctl in the device's working directory,
 * reached through /proc/PID/cwd (a run directory can be longer than a unix socket path). Returns the
 * reply length or a negative errno. */
static int dev_ctl(const struct run_started *dev, const char *req, char *out, size_t cap)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int64_t deadline = net_now_ms() + 3000;
	size_t len = 0;
	int fd;

	if (!dev || cap < 2)
		return -EINVAL;
	run_fmt(a.sun_path, sizeof(a.sun_path), "/proc/%d/cwd/device.ctl", (int)dev->pid);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0 || write(fd, req, strlen(req)) < 0 ||
	    write(fd, "\n", 1) != 1) {
		close(fd);
		return -ENOTCONN;
	}
	out[0] = '\0';
	while (len + 1 < cap && net_now_ms() < deadline) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t r;
		if (poll(&p, 1, 100) <= 0)
			continue;
		r = read(fd, out + len, cap - 1 - len);
		if (r <= 0)
			break;
		len += (size_t)r;
		out[len] = '\0';
		if (out[len - 1] == '\n') { /* done when the last complete line starts with OK or ERR */
			char *last = out + len - 1;
			while (last > out && last[-1] != '\n')
				last--;
			if (strncmp(last, "OK", 2) == 0 || strncmp(last, "ERR", 3) == 0)
				break;
		}
	}
	close(fd);
	return len ? (int)len : -ETIMEDOUT;
}

/* The value of key in a device `state` reply ("" when absent). */
static const char *state_val(const char *state, const char *key, char *out, size_t cap)
{
	char pat[40];
	const char *p;
	size_t n = 0;

	run_fmt(pat, sizeof(pat), " %s=", key);
	out[0] = '\0';
	p = strstr(state, pat);
	if (!p)
		return out;
	for (p += strlen(pat); *p && *p != ' ' && *p != '\n' && n + 1 < cap; p++)
		out[n++] = *p;
	out[n] = '\0';
	return out;
}

static const char *env_get(const struct run_ctx *ctx, const char *key)
{
	const char *v = ctx->env ? net_map_get(ctx->env, key) : NULL;
	return v ? v : "";
}

#define RUN_PEERS_MAX 8 /* ES7 peers of one SM-SR */

static int start_proc(struct run_ctx *ctx, const struct topo_comp *c)
{
	struct run_started *s = &ctx->started[ctx->n_started];
	char prog[PATH_MAX], dir[PATH_MAX], pki[PATH_MAX], db[PATH_MAX], url[300], cert[PATH_MAX], key[PATH_MAX],
		ca[PATH_MAX], port[8], last[300], keylog[PATH_MAX], notify[300], netenv[PATH_MAX], stp[40], vpcd[48],
		card[PATH_MAX + 40], scp81[32], srcert[PATH_MAX], srkey[PATH_MAX], eumcert[PATH_MAX], addressing[40],
		por[12];
	static char peers[RUN_PEERS_MAX][TOPO_VAL_MAX + 80], mnos[RUN_PEERS_MAX][TOPO_VAL_MAX + 80];
	char *argv[64];
	size_t a = 0;
	int64_t t0 = net_now_ms(), deadline = t0 + topo_ready_timeout_ms(c);
	static char tcp[1 << 18];
	char state;
	const char *preload = NULL, *ready_addr = c->addr, *what = "TCP listening";
	unsigned int ready_port = c->port;
	const struct topo_comp *dev = NULL;
	const struct run_started *dev_s = NULL;

	run_fmt(prog, sizeof(prog), "%s/%s", ctx->bin_dir, run_kinds[c->kind].program);
	run_fmt(dir, sizeof(dir), "%s/%s", ctx->scndir, c->name);
	run_fmt(s->log, sizeof(s->log), "%s/%s.log", ctx->scndir, c->name);
	run_fmt(pki, sizeof(pki), "%s/pki", ctx->rundir);
	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return -errno;
	argv[a++] = prog;
	if (c->kind == TOPO_SMSR) {
		/* network/smsr/main.c options */
		const struct topo_comp *mno = mno_of(&ctx->rs->topo, c->op);
		run_fmt(db, sizeof(db), "%s/smsr.db", dir);
		run_fmt(url, sizeof(url), "https://%s:%u/", c->addr, c->port);
		run_fmt(port, sizeof(port), "%u", c->port);
		run_fmt(cert, sizeof(cert), "%s/%s/tls-cert.pem", pki, c->name);
		run_fmt(key, sizeof(key), "%s/%s/tls-key.pem", pki, c->name);
		run_fmt(ca, sizeof(ca), "%s/ci/cert.pem", pki);
		run_fmt(keylog, sizeof(keylog), "%s/%s.keylog", ctx->scndir, c->name);
		argv[a++] = "--smsr-id";
		argv[a++] = (char *)c->entity;
		argv[a++] = "--db";
		argv[a++] = db;
		argv[a++] = "--listen";
		argv[a++] = (char *)c->addr;
		argv[a++] = "--port";
		argv[a++] = port;
		argv[a++] = "--url";
		argv[a++] = url;
		argv[a++] = "--cert";
		argv[a++] = cert;
		argv[a++] = "--key";
		argv[a++] = key;
		argv[a++] = "--ca";
		argv[a++] = ca;
		argv[a++] = "--tls-keylog";
		argv[a++] = keylog;
		/* SM-SR Change (network/smsr/README.md): its CERT.SR.ECDSA and key from the run's PKI, the CI
		 * and EUM for the ECASD chain, and every other SM-SR of the topology as an ES7 peer. */
		/* `credential NAME issuer=rogue`: the same key, certified by a CI nobody trusts */
		run_fmt(srcert, sizeof(srcert), "%s/%s/gp-cert%s.hex", pki, c->name,
			credential_rogue(&ctx->rs->scn, c->name) ? "-rogue" : "");
		run_fmt(srkey, sizeof(srkey), "%s/%s/gp-key.hex", pki, c->name);
		run_fmt(eumcert, sizeof(eumcert), "%s/eum/cert.pem", pki);
		argv[a++] = "--sr-cert";
		argv[a++] = srcert;
		argv[a++] = "--sr-key";
		argv[a++] = srkey;
		argv[a++] = "--ci";
		argv[a++] = ca;
		argv[a++] = "--eum";
		argv[a++] = eumcert;
		for (size_t k = 0, np = 0; k < ctx->rs->topo.n && np < RUN_PEERS_MAX; k++) {
			const struct topo_comp *o = &ctx->rs->topo.comp[k];

			if (o == c || o->kind != TOPO_SMSR || !o->entity[0])
				continue;
			if (o->url[0])
				run_fmt(peers[np], sizeof(peers[np]), "%s=%s", o->entity, o->url);
			else
				run_fmt(peers[np], sizeof(peers[np]), "%s=https://%s:%u/", o->entity, o->addr, o->port);
			argv[a++] = "--peer-smsr";
			argv[a++] = peers[np++];
		}
		/* every operator's own notification endpoint: notifications go to the profile owner */
		for (size_t k = 0, nm = 0; k < ctx->rs->topo.n && nm < RUN_PEERS_MAX; k++) {
			const struct topo_comp *o = &ctx->rs->topo.comp[k];

			if (o->kind != TOPO_MNO || !o->entity[0])
				continue;
			run_fmt(mnos[nm], sizeof(mnos[nm]), "%s=https://%s:%u/", o->entity, o->addr, o->port);
			argv[a++] = "--mno-notify";
			argv[a++] = mnos[nm++];
		}
		if (mno) { /* its operator's notification endpoint (the harness) */
			run_fmt(notify, sizeof(notify), "https://%s:%u/", mno->addr, mno->port);
			argv[a++] = "--notify-url";
			argv[a++] = notify;
		}
		if (ctx->env) {
			/* the SMS path of the topology: Kannel's sendsms, or the MSC's SMSC by SMPP; addresses and
			 * credentials from the run's net.env (never on the command line) */
			run_fmt(netenv, sizeof(netenv), "%s/net/net.env", ctx->scndir);
			argv[a++] = "--net-env";
			argv[a++] = netenv;
			argv[a++] = "--sms-transport";
			argv[a++] = smsr_uses_kannel(&ctx->rs->topo, c) ? "kannel" : "smpp";
			/* SCP81 (push SMS, BIP, PSK-TLS admin session) on its own address, ES port + 1: the card's
			 * device opens the BIP channel to it inside the run's namespace */
			run_fmt(scp81, sizeof(scp81), "%s:%u", c->addr, c->port + 1u);
			argv[a++] = "--scp81-listen";
			argv[a++] = scp81;
			argv[a++] = "--scp81-push-addr";
			argv[a++] = (char *)c->addr;
			if (c->por_timeout_s) {
				run_fmt(por, sizeof(por), "%u", c->por_timeout_s);
				argv[a++] = "--por-timeout";
				argv[a++] = por;
			}
			if (c->es5_set) { /* one rule for every eUICC (rsplab-smsr eis-variant es5) */
				argv[a++] = "--eis-variant";
				argv[a++] = c->es5_https ? "*:es5=https" : "*:es5=sms";
			}
			/* as the new SM-SR of a change: our number to the eUICC at step 26 */
			smsr_addressing_hex(ctx, c, addressing, sizeof(addressing));
			if (addressing[0]) {
				argv[a++] = "--addressing";
				argv[a++] = addressing;
			}
		}
	} else if (c->kind == TOPO_SMDP) {
		/* network/smdp/README.md: rsplab-smdp -c CONFIG -T TELNET_PORT */
		static char tport[8];
		run_fmt(db, sizeof(db), "%s/smdp.cfg", dir);
		if (render_smdp_cfg(ctx, c, dir, db) < 0) {
			fprintf(stderr, "rsplab run: %s: cannot write %s\n", c->name, db);
			return -EIO;
		}
		run_fmt(tport, sizeof(tport), "%u", smdp_telnet_port(ctx, c));
		argv[a++] = "-c";
		argv[a++] = db;
		argv[a++] = "-T";
		argv[a++] = tport;
	} else if (c->kind == TOPO_DEVICE) {
		/* sims/device/README.md: the device listens like vpcd on its topology address for its card, the
		 * radio is a BSC on the MSC's A interface through osmo-stp (M3UA: the net's SCTP, the shim
		 * preloaded when the net uses it), the cell in the MSC operator's network */
		const struct topo_comp *msc = NULL;
		const char *op = "MNO2";
		for (size_t i = 0; i < c->n_needs && !msc; i++) {
			const struct topo_comp *n = topo_find(&ctx->rs->topo, c->needs[i]);
			if (n && n->kind == TOPO_OSMO_MSC)
				msc = n;
		}
		if (!msc)
			msc = topo_find_kind(&ctx->rs->topo, TOPO_OSMO_MSC, TOPO_OP_NONE);
		if (!ctx->env || !msc) {
			fprintf(stderr,
				"rsplab run: %s: a device needs the core network (an osmo-msc in the topology)\n",
				c->name);
			return -EINVAL;
		}
		op = msc->op == TOPO_OP_MNO1 ? "MNO1" : "MNO2";
		{
			static char mcc_key[16], mnc_key[16];
			run_fmt(mcc_key, sizeof(mcc_key), "%s_MCC", op);
			run_fmt(mnc_key, sizeof(mnc_key), "%s_MNC", op);
			run_fmt(vpcd, sizeof(vpcd), "vpcd:%s:%u", c->addr, c->port);
			run_fmt(stp, sizeof(stp), "%s:%s", env_get(ctx, "STP_ADDR"), env_get(ctx, "STP_M3UA_PORT"));
			argv[a++] = "--card";
			argv[a++] = vpcd;
			argv[a++] = "--card-wait";
			argv[a++] = "10000";
			argv[a++] = "--stp";
			argv[a++] = stp;
			argv[a++] = "--msc-pc";
			argv[a++] = (char *)env_get(ctx, "MSC_PC");
			argv[a++] = "--mcc";
			argv[a++] = (char *)env_get(ctx, mcc_key);
			argv[a++] = "--mnc";
			argv[a++] = (char *)env_get(ctx, mnc_key);
			argv[a++] = "--ctrl";
			argv[a++] = "device.ctl"; /* in its working directory: see dev_ctl() */
			argv[a++] = "--t3211";
			argv[a++] = "1"; /* LU retry after 1 s, not 15: the proxy race of the first roaming LU */
		}
		preload = ctx->shim[0] ? ctx->shim : NULL;
	} else if (c->kind == TOPO_EUICC) {
		/* sims/euicc/README.md: rsplab-euicc serve CARD.db@IP:PORT connects to its device's vpcd */
		dev = topo_find(&ctx->rs->topo, c->device);
		dev_s = dev ? started_of(ctx, dev->name) : NULL;
		if (!dev_s) {
			fprintf(stderr, "rsplab run: %s: its device %s is not running\n", c->name, c->device);
			return -ESRCH;
		}
		run_fmt(card, sizeof(card), "%s/card.db@%s:%u", dir, dev->addr, dev->port);
		argv[a++] = "serve";
		argv[a++] = card;
		what = "the device's card powered on (control socket `state`: card=usim)";
		ready_addr = NULL;
	} else {
		return -ENOSYS;
	}
	argv[a] = NULL;
	s->c = c;
	s->log_off = 0;
	s->pid = proc_spawn("rsplab run", dir, s->log, preload, argv);
	if (s->pid < 0)
		return s->pid;
	if (proc_stat_read(s->pid, &state, &s->start) < 0)
		s->start = 0;
	ctx->n_started++;
	if (dev_s) /* the card's readiness is its device's */
		deadline = t0 + topo_ready_timeout_ms(dev);
	for (;;) {
		size_t len = 0;
		bool ready = false;
		if (!proc_alive(s->pid, s->start)) {
			log_tail_line(s->log, last, sizeof(last));
			fprintf(stderr, "rsplab run: %s (%s) exited during start-up\n  last log line: %s\n  log: %s\n",
				c->name, run_kinds[c->kind].program, last, s->log);
			return -ESRCH;
		}
		if (ready_addr) {
			ready = net_file_read_tail("/proc/self/net/tcp", tcp, sizeof(tcp), &len) == 0 &&
				net_proc_tcp_listening(tcp, len, ready_addr, (uint16_t)ready_port) == 1;
		} else {
			char st[2048], v[16];
			ready = dev_ctl(dev_s, "state", st, sizeof(st)) > 0 &&
				strcmp(state_val(st, "card", v, sizeof(v)), "off") != 0 && v[0];
		}
		if (ready) {
			printf("  %-10s %-13s pid %-7d ready in %.2f s\n", c->name, run_kinds[c->kind].program,
			       (int)s->pid, (double)(net_now_ms() - t0) / 1000);
			return 0;
		}
		if (run_interrupted || net_now_ms() > deadline) {
			log_tail_line(s->log, last, sizeof(last));
			if (ready_addr)
				fprintf(stderr,
					"rsplab run: %s (%s) not ready within %.1f s (waiting for TCP %s:%u "
					"listening)\n"
					"  last log line: %s\n  log: %s\n",
					c->name, run_kinds[c->kind].program, (double)(deadline - t0) / 1000, ready_addr,
					ready_port, last, s->log);
			else
				fprintf(stderr,
					"rsplab run: %s (%s) not ready within %.1f s (waiting for %s)\n"
					"  last log line: %s\n  log: %s\n",
					c->name, run_kinds[c->kind].program, (double)(deadline - t0) / 1000, what, last,
					s->log);
			return -ETIMEDOUT;
		}
		if (ctx->cap)
			capture_poll(ctx->cap);
		net_sleep_ms(20);
	}
}

/* -v: print the log lines each started process wrote since the last call, prefixed with its name. */
static void stream_logs(struct run_ctx *ctx)
{
	char line[512];

	if (!ctx->o->verbose)
		return;
	for (size_t i = 0; i < ctx->n_started; i++) {
		struct run_started *s = &ctx->started[i];
		FILE *f = fopen(s->log, "r");
		if (!f)
			continue;
		if (fseek(f, s->log_off, SEEK_SET) == 0)
			while (fgets(line, sizeof(line), f)) {
				size_t n = strlen(line);
				for (size_t k = 0; k < n;
				     k++) /* the log is another process's output: no control chars */
					if ((unsigned char)line[k] < 0x20 && line[k] != '\n' && line[k] != '\t')
						line[k] = '?';
				printf("     | %-8s %s%s", s->c->name, line, n && line[n - 1] == '\n' ? "" : "\n");
			}
		s->log_off = ftell(f);
		fclose(f);
	}
}

static int start_all(struct run_ctx *ctx, const struct topo *t)
{
	for (size_t i = 0; i < t->n; i++) {
		const struct topo_comp *c = &t->comp[i];
		int rc = 0;
		if (c->mode == TOPO_EXTERNAL || run_kinds[c->kind].in_harness)
			continue;
		if (c->kind == TOPO_EUICC && !c->device[0])
			continue; /* a card in no device: initialised (prepare_cards), nothing runs */
		if (c->kind == TOPO_OSMO_STP || c->kind == TOPO_OSMO_HLR || c->kind == TOPO_OSMO_MSC ||
		    c->kind == TOPO_KANNEL) {
			if (!ctx->net_up)
				rc = start_net(ctx, t);
		} else {
			rc = start_proc(ctx, c);
		}
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* Stop everything started, in reverse order, and record what was stopped. */
static void stop_all(struct run_ctx *ctx, struct run_res *res)
{
	for (size_t i = ctx->n_started; i-- > 0;) {
		struct run_started *s = &ctx->started[i];
		bool was = proc_alive(s->pid, s->start);
		if (proc_stop("rsplab run", s->c->name, s->pid, s->start, RUN_STOP_TERM_MS, RUN_STOP_KILL_MS) < 0)
			fprintf(stderr, "rsplab run: could not stop %s (pid %d)\n", s->c->name, (int)s->pid);
		if (was && res->n_stopped < TOPO_COMP_MAX)
			run_fmt(res->stopped[res->n_stopped++], sizeof(res->stopped[0]), "%s", s->c->name);
	}
	ctx->n_started = 0;
	if (ctx->saved_ns >= 0) {
		net_netns_leave(ctx->saved_ns);
		ctx->saved_ns = -1;
		ctx->netns[0] = '\0';
	}
	ctx->shim[0] = '\0';
	ctx->env = NULL; /* freed with the scenario's talloc context */
	if (ctx->net_up) {
		struct net_state st;
		if (net_state_load(ctx->scndir, &st) == 0)
			for (size_t i = st.nprocs; i-- > 0;)
				if (net_proc_alive(st.procs[i].pid, st.procs[i].start) &&
				    res->n_stopped < TOPO_COMP_MAX)
					run_fmt(res->stopped[res->n_stopped++], sizeof(res->stopped[0]), "%s",
						st.procs[i].name);
		net_down(ctx->scndir);
		ctx->net_up = false;
	}
}

static int run_fault_kill(struct run_ctx *ctx, const struct scn_step *st, char *detail, size_t len)
{
	struct run_started *s = started_of(ctx, st->target);

	if (!s) {
		run_fmt(detail, len, "%s is not a process this run started", st->target);
		return -ENOENT;
	}
	kill(s->pid, SIGKILL);
	if (proc_wait_gone(s->pid, s->start, RUN_STOP_KILL_MS) < 0) {
		run_fmt(detail, len, "%s (pid %d) still there after SIGKILL", st->target, (int)s->pid);
		return -EBUSY;
	}
	run_fmt(detail, len, "%s (pid %d) killed", st->target, (int)s->pid);
	return 0;
}

static int run_fault_restart(struct run_ctx *ctx, const struct scn_step *st, char *detail, size_t len)
{
	struct run_started *s = started_of(ctx, st->target);
	const struct topo_comp *c;
	size_t idx;
	int rc;

	if (!s) {
		run_fmt(detail, len, "%s is not a process this run started", st->target);
		return -ENOENT;
	}
	if (proc_alive(s->pid, s->start)) {
		run_fmt(detail, len, "%s is still running (kill it first)", st->target);
		return -EBUSY;
	}
	/* start it again in the same slot: move it to the end of the table and start anew */
	c = s->c;
	idx = (size_t)(s - ctx->started);
	memmove(&ctx->started[idx], &ctx->started[idx + 1], (ctx->n_started - idx - 1) * sizeof(*s));
	ctx->n_started--;
	rc = start_proc(ctx, c);
	run_fmt(detail, len, rc == 0 ? "%s restarted" : "%s did not come back (see its log)", st->target);
	return rc;
}

/* ---- the device: attach waits and checks, faults through its control socket -------------------------- */

/* Where is the device attached? Polls its `state` (pumping the operator role and the capture) until it is
 * ATTACHED with imsi, within timeout_ms; then asks the HLR's VTY (`show subscriber imsi`) that it holds
 * the subscriber and knows it at the MSC. roaming: 1 yes, 0 no, -1 not checked. Returns 0 or -EPROTO /
 * -ETIMEDOUT / -ENOENT with the reason in detail. */
static int attach_check(struct run_ctx *ctx, const char *device, const char *imsi, const char *hlr_name,
			unsigned int timeout_ms, int roaming, char *detail, size_t len)
{
	const struct topo *t = &ctx->rs->topo;
	const struct run_started *dev = started_of(ctx, device);
	const struct topo_comp *hlr = topo_find(t, hlr_name), *msc = topo_find_kind(t, TOPO_OSMO_MSC, TOPO_OP_NONE);
	int64_t t0 = net_now_ms(), end = t0 + timeout_ms;
	char st[2048] = "", v[32], plmn[16], reply[4096], key_addr[16], key_port[20];
	struct net_vty *vty;
	bool attached = false;
	int n;

	if (!dev || !hlr || !ctx->env) {
		run_fmt(detail, len, "%s is not a device this run started (or the run has no core network)", device);
		return -ENOENT;
	}
	do {
		if (dev_ctl(dev, "state", st, sizeof(st)) > 0 &&
		    strcmp(state_val(st, "ms", v, sizeof(v)), "ATTACHED") == 0 &&
		    strcmp(state_val(st, "imsi", v, sizeof(v)), imsi) == 0) {
			attached = true;
			break;
		}
		if (ctx->op)
			op_poll(ctx->op, 200);
		else
			net_sleep_ms(200);
	} while (net_now_ms() < end && !run_interrupted);
	if (!attached) {
		char ms[32], im[20], rej[8];
		run_fmt(detail, len, "%s not attached with %s within %.1f s (ms=%s imsi=%s reject_cause=%s)", device,
			imsi, timeout_ms / 1000.0, state_val(st, "ms", ms, sizeof(ms)),
			state_val(st, "imsi", im, sizeof(im)), state_val(st, "reject_cause", rej, sizeof(rej)));
		return -ETIMEDOUT;
	}
	state_val(st, "plmn", plmn, sizeof(plmn));
	/* the HLR that authenticated it holds the subscriber with the MSC as its location (network/README.md:
	 * HLR1_* is MNO1's HLR, HLR2_* MNO2's) */
	run_fmt(key_addr, sizeof(key_addr), "HLR%d_ADDR", hlr->op == TOPO_OP_MNO2 ? 2 : 1);
	run_fmt(key_port, sizeof(key_port), "HLR%d_VTY_PORT", hlr->op == TOPO_OP_MNO2 ? 2 : 1);
	vty = talloc_zero(ctx->tall, struct net_vty);
	n = vty ? net_vty_open(vty, env_get(ctx, key_addr), (uint16_t)atoi(env_get(ctx, key_port)), 3000) : -ENOMEM;
	if (n == 0) {
		char cmd[64];
		run_fmt(cmd, sizeof(cmd), "show subscriber imsi %s", imsi);
		n = net_vty_cmd(vty, cmd, reply, sizeof(reply), 3000);
		net_vty_close(vty);
	}
	talloc_free(vty);
	if (n < 0) {
		run_fmt(detail, len, "%s attached as %s in %s, but %s's VTY did not answer (%s)", device, imsi, plmn,
			hlr_name, strerror(-n));
		return -EPROTO;
	}
	{
		char want[40];
		run_fmt(want, sizeof(want), "IMSI: %s", imsi);
		if (!strstr(reply, want) || !strstr(reply, env_get(ctx, "MSC_IPA_NAME"))) {
			run_fmt(detail, len, "%s attached as %s in %s, but %s does not have it at %s", device, imsi,
				plmn, hlr_name, env_get(ctx, "MSC_IPA_NAME"));
			return -EPROTO;
		}
	}
	if (roaming >= 0 && msc && (hlr->op != msc->op) != (roaming == 1)) {
		run_fmt(detail, len, "%s attached as %s at %s, %s (expected %s)", device, imsi, hlr_name,
			hlr->op != msc->op ? "roaming" : "not roaming", roaming ? "roaming" : "home");
		return -EPROTO;
	}
	run_fmt(detail, len, "%s attached as %s in %s, at %s (%s) after %.2f s", device, imsi, plmn, hlr_name,
		msc && hlr->op != msc->op ? "roaming" : "home", (double)(net_now_ms() - t0) / 1000);
	return 0;
}

static int run_wait_attach(struct run_ctx *ctx, const struct scn_step *st, char *detail, size_t len)
{
	return attach_check(ctx, st->target, st->imsi, st->peer, scn_step_timeout_ms(st), -1, detail, len);
}

/* [initial] attach lines: the device must be attached there before step one (bounded by its readiness
 * timeout plus the LU's retries). */
static int initial_attach(struct run_ctx *ctx, char *why, size_t wlen)
{
	const struct scn *s = &ctx->rs->scn;

	for (size_t i = 0; i < s->n_init; i++) {
		const struct scn_init *in = &s->init[i];
		char d[240];
		if (in->kind != SCN_INIT_ATTACH)
			continue;
		if (attach_check(ctx, in->subject, in->imsi, in->where, 30000, -1, d, sizeof(d)) < 0) {
			run_fmt(why, wlen, "initial state (line %u): %s", in->line, d);
			return -EPROTO;
		}
		printf("   [init  ] %s\n", d);
	}
	return 0;
}

/* One request to the control socket of device (or of every device when device is NULL). */
static int dev_fault(struct run_ctx *ctx, const char *device, const char *req, char *detail, size_t len)
{
	size_t w = 0, n = 0;

	detail[0] = '\0';
	for (size_t i = 0; i < ctx->n_started; i++) {
		const struct run_started *s = &ctx->started[i];
		char reply[256];
		if (s->c->kind != TOPO_DEVICE || (device && strcmp(s->c->name, device) != 0))
			continue;
		n++;
		if (dev_ctl(s, req, reply, sizeof(reply)) <= 0 || strncmp(reply, "OK", 2) != 0) {
			reply[strcspn(reply, "\n")] = '\0';
			run_fmt(detail, len, "%s: `%s` refused: %s", s->c->name, req, reply[0] ? reply : "no answer");
			return -EPROTO;
		}
		w += (size_t)run_fmt(detail + w, w < len ? len - w : 0, "%s%s: %s", w ? "; " : "", s->c->name, req);
	}
	if (!n) {
		run_fmt(detail, len, "%s is not a device this run started", device ? device : "(any)");
		return -ENOENT;
	}
	return 0;
}

static int run_fault_fail_attach(struct run_ctx *ctx, const struct scn_step *st, char *detail, size_t len)
{
	char req[48];

	run_fmt(req, sizeof(req), "fault fail-attach %u%s%s", st->count ? st->count : 1, st->imsi[0] ? " " : "",
		st->imsi);
	return dev_fault(ctx, st->target, req, detail, len);
}

static int run_fault_cut_bip(struct run_ctx *ctx, const struct scn_step *st, char *detail, size_t len)
{
	char req[48];

	run_fmt(req, sizeof(req), "fault bip-cut %u", st->after_bytes);
	return dev_fault(ctx, st->target, req, detail, len);
}

/* drop-sms: the next N MT SMS are dropped at the receiving device (no CP-ACK, no RP-ACK), which the SMSC
 * sees as a delivery failure; the device cannot tell the two SMSC paths apart, so the fault applies to
 * the next N MT SMS whichever path they came by (said in the step's detail). */
static int run_fault_drop_sms(struct run_ctx *ctx, const struct scn_step *st, char *detail, size_t len)
{
	char req[48];
	int rc;

	run_fmt(req, sizeof(req), "fault drop-mt %u", st->count);
	rc = dev_fault(ctx, NULL, req, detail, len);
	if (rc == 0) {
		size_t w = strlen(detail);
		run_fmt(detail + w, len - w, " (at the device: any path, the scenario said %s)",
			scn_sms_path_names[st->path].str);
	}
	return rc;
}

/* delay-sms: every MT SMS on the path is held at the receiving device for by= before it reaches the card
 * (CP-ACK at once, RP-ACK after the card). The device tells the paths apart by the TP-OA: each SM-SR
 * sends from its own short code (network/README.md: SMSR1_SHORT_CODE through Kannel, SMSR2_SHORT_CODE on
 * direct SMPP). The device refuses a hold beyond the network's TR1M (sims/device/README.md). */
static int run_fault_delay_sms(struct run_ctx *ctx, const struct scn_step *st, char *detail, size_t len)
{
	const char *code = env_get(ctx, st->path == SCN_PATH_KANNEL ? "SMSR1_SHORT_CODE" : "SMSR2_SHORT_CODE");
	char req[64];
	int rc;

	if (!code[0] || strspn(code, "0123456789") != strlen(code)) {
		run_fmt(detail, len, "no short code for the %s path in the run's net.env",
			scn_sms_path_names[st->path].str);
		return -ENOSYS;
	}
	run_fmt(req, sizeof(req), "fault delay-mt %u %s", st->by_ms, code);
	rc = dev_fault(ctx, NULL, req, detail, len);
	if (rc == 0) {
		size_t w = strlen(detail);
		run_fmt(detail + w, len - w, " (the %s path: TP-OA %s)", scn_sms_path_names[st->path].str, code);
	}
	return rc;
}

/* ---- after each scenario: the checker over its capture (findings, messages, KPIs) --------------------- */

/* The component listening at ep ("ADDR:PORT"); with by_addr, any component with that address. */
static const struct topo_comp *comp_at_ep(const struct topo *t, const char *ep, bool by_addr)
{
	const struct topo_comp *c = comp_at(t, ep);
	char addr[20];

	if (c || !by_addr)
		return c;
	run_fmt(addr, sizeof(addr), "%.*s", (int)strcspn(ep, ":"), ep);
	for (size_t i = 0; i < t->n; i++)
		if (strcmp(t->comp[i].addr, addr) == 0)
			return &t->comp[i];
	return NULL;
}

/* The component whose ES entity id is entity ("eum" for the EUM the harness plays), or NULL. */
static const char *entity_name(const struct topo *t, const char *entity)
{
	if (strcmp(entity, RUN_EUM_ID) == 0)
		return "eum";
	for (size_t i = 0; i < t->n; i++)
		if (t->comp[i].entity[0] && strcmp(t->comp[i].entity, entity) == 0)
			return t->comp[i].name;
	return NULL;
}

/* "flow N SRC -> DST: TEXT": the endpoints and the text. Returns false when the summary has no flow. */
static bool summary_split(const char *sum, char *src, char *dst, size_t elen, const char **text)
{
	const char *sp, *arrow = strstr(sum, " -> "), *colon;

	if (strncmp(sum, "flow ", 5) != 0 || !arrow || !(sp = strchr(sum + 5, ' ')) || sp > arrow)
		return false;
	colon = strstr(arrow + 4, ": ");
	if (!colon || (size_t)(arrow - sp - 1) >= elen || (size_t)(colon - arrow - 4) >= elen)
		return false;
	run_fmt(src, elen, "%.*s", (int)(arrow - sp - 1), sp + 1);
	run_fmt(dst, elen, "%.*s", (int)(colon - arrow - 4), arrow + 4);
	*text = colon + 2;
	return true;
}

/* The SM-SR an SMS short code belongs to (network/README.md: SMSR1_SHORT_CODE via Kannel, SMSR2 by SMPP). */
static const char *smpp_party(const struct run_ctx *ctx, const char *addr)
{
	const struct topo *t = &ctx->rs->topo;
	const char *a = addr[0] == '+' ? addr + 1 : addr;

	if (ctx->env && a[0] && strcmp(a, env_get(ctx, "SMSR2_SHORT_CODE")) == 0) {
		for (size_t i = 0; i < t->n; i++)
			if (t->comp[i].kind == TOPO_SMSR && !smsr_uses_kannel(t, &t->comp[i]))
				return t->comp[i].name;
	}
	if (ctx->env && a[0] && strcmp(a, env_get(ctx, "SMSR1_SHORT_CODE")) == 0) {
		const struct topo_comp *k = topo_find_kind(t, TOPO_KANNEL, TOPO_OP_NONE);
		return k ? k->name : NULL;
	}
	return NULL;
}

static void res_event(struct run_res *res, int64_t t_ms, uint32_t frame, const char *from, const char *to,
		      const char *label)
{
	struct run_event *ev;

	if (res->n_ev >= RUN_EV_MAX) {
		res->ev_dropped++;
		return;
	}
	ev = &res->ev[res->n_ev++];
	ev->t_ms = t_ms;
	ev->frame = frame;
	run_fmt(ev->from, sizeof(ev->from), "%s", from);
	run_fmt(ev->to, sizeof(ev->to), "%s", to);
	run_fmt(ev->label, sizeof(ev->label), "%s", label);
}

/* The messages of the capture as chart events: every ES message (sender by its wsa:From EntityId or, for
 * a response, the flow's client; receiver by its listening address), SMPP short messages and their
 * responses (the ESME by its short code), Kannel sendsms and its callbacks. */
static void capture_events(struct run_ctx *ctx, const struct check_event *ev, unsigned int n, void *tall,
			   struct run_res *res)
{
	const struct topo *t = &ctx->rs->topo;
	struct {
		uint32_t id;
		char client[TOPO_NAME_MAX];
	} flows[128];
	size_t nf = 0;

	/* pass 1: who is the client of each flow (an ES request's sender, an ESME's short code) */
	for (unsigned int i = 0; i < n; i++) {
		char src[48], dst[48];
		const char *text, *who = NULL;
		if (!ev[i].flow || !summary_split(ev[i].summary, src, dst, sizeof(src), &text))
			continue;
		if (ev[i].es_id != ES_MSG_NONE && ev[i].detail && comp_at_ep(t, dst, false)) {
			/* a message to a listening component (a request, or an asynchronous callback): its client
			 * is the sender its wsa:From names */
			size_t dl = strlen(ev[i].detail);
			struct es_msg *m = talloc_zero(tall, struct es_msg);
			char *arena = talloc_size(tall, dl + 64), ent[64];
			if (m && arena &&
			    es_msg_decode(m, arena, dl + 64, (const uint8_t *)ev[i].detail, dl, NULL, NULL) >= 0) {
				from_entity(m->wsa.from, ent, sizeof(ent));
				who = ent[0] ? entity_name(t, ent) : NULL;
			}
		} else if (ev[i].has_smpp && ev[i].smpp.has_sm) {
			who = smpp_party(ctx,
					 ev[i].smpp.cmd_id == SMPP_CMD_SUBMIT_SM ? ev[i].smpp.src : ev[i].smpp.dst);
		}
		if (!who)
			continue;
		size_t k;
		for (k = 0; k < nf && flows[k].id != ev[i].flow; k++)
			;
		if (k == nf && nf < sizeof(flows) / sizeof(flows[0])) {
			flows[nf].id = ev[i].flow;
			flows[nf++].client[0] = '\0';
		}
		if (k < nf && !flows[k].client[0])
			run_fmt(flows[k].client, sizeof(flows[k].client), "%s", who);
	}
	/* pass 2: the events */
	for (unsigned int i = 0; i < n; i++) {
		char src[48], dst[48], label[96];
		const char *text, *client = "?", *from, *to;
		const struct topo_comp *cs, *cd;
		bool es = ev[i].es_id != ES_MSG_NONE, smpp = ev[i].has_smpp;
		bool kannel = strcmp(ev[i].proto, "KANNEL") == 0;
		bool http_cb = strcmp(ev[i].proto, "HTTP") == 0 && strncmp(ev[i].summary, "flow", 4) == 0;
		if (!ev[i].flow || !summary_split(ev[i].summary, src, dst, sizeof(src), &text))
			continue;
		if (smpp && ev[i].smpp.cmd_id != SMPP_CMD_SUBMIT_SM && ev[i].smpp.cmd_id != SMPP_CMD_DELIVER_SM &&
		    ev[i].smpp.cmd_id != SMPP_CMD_SUBMIT_SM_RESP && ev[i].smpp.cmd_id != SMPP_CMD_DELIVER_SM_RESP)
			continue; /* binds, enquire_link: not part of the procedures */
		bool to_kannel = false;
		if (http_cb) {
			/* HTTP requests that are not ES messages: an SM-SR's sendsms to Kannel, Kannel's MO/DLR
			 * callbacks to an SM-SR */
			cd = comp_at_ep(t, dst, true);
			to_kannel = cd && cd->kind == TOPO_KANNEL && strstr(text, "sendsms");
			if (!to_kannel && (!cd || cd->kind != TOPO_SMSR || strncmp(text, "GET ", 4) != 0))
				continue;
		} else if (!es && !smpp && !kannel) {
			continue;
		}
		for (size_t k = 0; k < nf; k++)
			if (flows[k].id == ev[i].flow && flows[k].client[0])
				client = flows[k].client;
		cs = comp_at_ep(t, src, false);
		cd = comp_at_ep(t, dst, false);
		if (!cd && !cs) {
			cd = comp_at_ep(t, dst, true);
			cs = cd ? NULL : comp_at_ep(t, src, true);
		}
		if ((kannel || to_kannel) && !strcmp(client, "?")) {
			const struct topo_comp *k1 = NULL;
			for (size_t k = 0; k < t->n && !k1; k++)
				if (t->comp[k].kind == TOPO_SMSR && smsr_uses_kannel(t, &t->comp[k]))
					k1 = &t->comp[k];
			client = k1 ? k1->name : "?";
		}
		if (http_cb && !to_kannel)
			client = topo_find_kind(t, TOPO_KANNEL, TOPO_OP_NONE)
					 ? topo_find_kind(t, TOPO_KANNEL, TOPO_OP_NONE)->name
					 : "?";
		from = cd ? client : cs ? cs->name : "?";
		to = cd ? cd->name : client;
		if (es) /* the name is the pair's; the response and a callback say so */
			run_fmt(label, sizeof(label), "%s%s", es_msgs[ev[i].es_id].name,
				es_msgs[ev[i].es_id].kind != ES_KIND_RESPONSE ? ""
				: cd					      ? " (callback)"
									      : " response");
		else if (smpp && ev[i].smpp.has_sm)
			run_fmt(label, sizeof(label), "%s %s->%s (%zu B)",
				ev[i].smpp.cmd_id == SMPP_CMD_SUBMIT_SM ? "submit_sm" : "deliver_sm", ev[i].smpp.src,
				ev[i].smpp.dst, ev[i].smpp.sm_len);
		else if (smpp)
			run_fmt(label, sizeof(label), "%s %s",
				ev[i].smpp.cmd_id == SMPP_CMD_SUBMIT_SM_RESP ? "submit_sm_resp" : "deliver_sm_resp",
				ev[i].smpp.status ? "error" : "ok");
		else if (kannel || to_kannel)
			run_fmt(label, sizeof(label), "sendsms");
		else if (http_cb)
			run_fmt(label, sizeof(label), "MO callback");
		else
			run_fmt(label, sizeof(label), "%.40s", text);
		res_event(res, (int64_t)(ev[i].ts_usec / 1000) - ctx->wall0_ms, ev[i].frame, from, to, label);
	}
}

static void res_kpi(struct run_res *res, const char *name, double v)
{
	if (res->n_kpi < RUN_KPI_MAX) {
		run_fmt(res->kpi[res->n_kpi].name, sizeof(res->kpi[0].name), "%s", name);
		res->kpi[res->n_kpi++].v = v;
	}
}

/* KPIs of the steps: the span of a label range when every step in it passed. */
static void step_kpi(const struct scn *s, struct run_res *res, const char *range, const char *name)
{
	int64_t from = -1, to = 0;

	for (size_t j = 0; j < s->n_steps; j++) {
		if (!scn_label_covers(range, s->step[j].label))
			continue;
		if (strcmp(res->step[j].verdict, "pass") != 0)
			return;
		if (from < 0)
			from = res->step[j].start_ms;
		to = res->step[j].start_ms + res->step[j].elapsed_ms;
	}
	if (from >= 0)
		res_kpi(res, name, (double)(to - from));
}

/* KPIs of the capture: protocol time (first to last ES message of the steps) and SMS round trips (an MT short message
 * by SMPP submit_sm or Kannel sendsms to the next MO answer on the same path: deliver_sm / the MO call). */
static void capture_kpis(const struct check_event *ev, unsigned int n, struct run_res *res)
{
	uint64_t first = 0, last = 0, mt[2] = { 0, 0 }, sum = 0, max = 0;
	unsigned int count = 0;

	for (unsigned int i = 0; i < n; i++) {
		int path = -1;
		bool is_mt = false;
		/* the scenario's protocol time: from its first step on (not the initial state's RegisterEIS) */
		if (ev[i].es_id != ES_MSG_NONE && ev[i].ts_usec >= res->steps_wall_us) {
			if (!first)
				first = ev[i].ts_usec;
			last = ev[i].ts_usec;
		}
		if (ev[i].has_smpp && ev[i].smpp.has_sm && ev[i].smpp.cmd_id == SMPP_CMD_SUBMIT_SM)
			path = 0, is_mt = true;
		else if (ev[i].has_smpp && ev[i].smpp.has_sm && ev[i].smpp.cmd_id == SMPP_CMD_DELIVER_SM)
			path = 0;
		else if (strcmp(ev[i].proto, "KANNEL") == 0 && strstr(ev[i].summary, "sendsms"))
			path = 1, is_mt = true;
		else if (strcmp(ev[i].proto, "KANNEL") == 0 && strstr(ev[i].summary, "MO callback"))
			path = 1;
		if (path < 0)
			continue;
		if (is_mt) {
			if (!mt[path])
				mt[path] = ev[i].ts_usec;
		} else if (mt[path]) {
			uint64_t d = ev[i].ts_usec - mt[path];
			sum += d;
			max = d > max ? d : max;
			count++;
			mt[path] = 0;
		}
	}
	if (first && last > first)
		res_kpi(res, "protocol_ms", (double)(last - first) / 1000);
	if (count) {
		res_kpi(res, "sms_round_trips", count);
		res_kpi(res, "sms_round_trip_avg_ms", (double)sum / count / 1000);
		res_kpi(res, "sms_round_trip_max_ms", (double)max / 1000);
	}
}

/* Every key log of the scenario (the harness's and each builtin's) concatenated into sslkeylog.txt, the
 * one file Wireshark takes; the SCP80 keys of the cards into scp80.keys (`rsplab check --keys` reads
 * both). */
static void keys_collect(struct run_ctx *ctx, struct check_opts *o)
{
	char out[PATH_MAX], pat[PATH_MAX], err[200];
	glob_t g;
	FILE *f;

	run_fmt(out, sizeof(out), "%s/sslkeylog.txt", ctx->scndir);
	run_fmt(pat, sizeof(pat), "%s/*.keylog", ctx->scndir);
	f = fopen(out, "w");
	if (f && glob(pat, 0, NULL, &g) == 0) {
		for (size_t i = 0; i < g.gl_pathc; i++) {
			char line[512];
			FILE *in = fopen(g.gl_pathv[i], "r");
			while (in && fgets(line, sizeof(line), in))
				fputs(line, f);
			if (in)
				fclose(in);
		}
		globfree(&g);
	}
	if (f)
		fclose(f);
	run_fmt(out, sizeof(out), "%s/scp80.keys", ctx->scndir);
	f = fopen(out, "w");
	if (!f)
		return;
	fchmod(fileno(f), 0600);
	fputs("# the cards' SCP80 key sets (rsplab run; format: rsplab check --keys-file)\n", f);
	for (size_t i = 0; i < ctx->rs->topo.n; i++) {
		char path[PATH_MAX], kv[4096], *line, *save, kvn[8] = "", kic[80] = "", kid[80] = "";
		size_t len = 0;
		if (ctx->rs->topo.comp[i].kind != TOPO_EUICC)
			continue;
		run_fmt(path, sizeof(path), "%s/%s/card.db.keys", ctx->scndir, ctx->rs->topo.comp[i].name);
		if (net_file_read_tail(path, kv, sizeof(kv), &len) < 0)
			continue;
		for (line = strtok_r(kv, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
			if (strncmp(line, "scp80.kvn=", 10) == 0)
				run_fmt(kvn, sizeof(kvn), "%s", line + 10);
			else if (strncmp(line, "scp80.kic=", 10) == 0)
				run_fmt(kic, sizeof(kic), "%s", line + 10);
			else if (strncmp(line, "scp80.kid=", 10) == 0)
				run_fmt(kid, sizeof(kid), "%s", line + 10);
		}
		if (kvn[0] && kic[0] && kid[0])
			fprintf(f, "# %s\nscp80.0x%s.kic = %s\nscp80.0x%s.kid = %s\n", ctx->rs->topo.comp[i].name, kvn,
				kic, kvn, kid);
		explicit_bzero(kv, sizeof(kv));
		explicit_bzero(kic, sizeof(kic));
		explicit_bzero(kid, sizeof(kid));
	}
	fclose(f);
	if (check_kv_load_scp80(o, out, err, sizeof(err)) < 0)
		printf("   check: %s: %s\n", out, err);
	/* and the key sets each card holds now (made during the run, e.g. SM-SR2's by SM-SR Change), from the
	 * card itself (rsplab-euicc keys: 0600 file, never a log) */
	for (size_t i = 0; i < ctx->rs->topo.n; i++) {
		const struct topo_comp *c = &ctx->rs->topo.comp[i];
		char bin[PATH_MAX], db[PATH_MAX], now[PATH_MAX], log[PATH_MAX];
		char *argv[] = { bin, "keys", db, NULL };

		if (c->kind != TOPO_EUICC)
			continue;
		run_fmt(bin, sizeof(bin), "%s/rsplab-euicc", ctx->bin_dir);
		run_fmt(db, sizeof(db), "%s/%s/card.db", ctx->scndir, c->name);
		run_fmt(now, sizeof(now), "%s/%s/scp80-end.keys", ctx->scndir, c->name);
		run_fmt(log, sizeof(log), "%s/%s.log", ctx->scndir, c->name);
		if (run_tool(argv, now, log, 5000) != 0 || check_kv_load_scp80(o, now, err, sizeof(err)) < 0)
			printf("   check: %s: the card's key sets at the end are not known to the checker\n", c->name);
	}
}

/* The checker over the scenario's capture, in-process, with every key log and the cards' SCP80 keys: its
 * findings, the messages (the sequence chart) and the KPIs go into res. */
static void check_scenario(struct run_ctx *ctx, struct run_res *res)
{
	void *tall = talloc_named_const(NULL, 0, "rsplab run check");
	struct tlsdec_keylog *kl = tlsdec_keylog_alloc(tall);
	struct es_schema *schema = NULL;
	char xsd[1024], err[200];
	const struct check_finding *f;
	const struct check_event *ev;
	unsigned int nf = 0, ne = 0, nu = 0;
	struct check_opts o;
	struct checker *ck;

	res->checker = RUN_CHECK_NOT_RUN;
	if (!kl) {
		run_fmt(res->checker_why, sizeof(res->checker_why), "out of memory");
		goto out;
	}
	keylogs_load(kl, ctx->scndir, 0);
	check_opts_init(&o);
	o.keylog = kl;
	keys_collect(ctx, &o);
	if (es_xsd_dir_default(xsd, sizeof(xsd)) > 0 && es_schema_load(&schema, xsd) == 0)
		o.schema = schema;
	ck = checker_alloc(tall, &o);
	if (!ck || checker_run_file(ck, ctx->pcap, err, sizeof(err)) < 0) {
		run_fmt(res->checker_why, sizeof(res->checker_why), "the capture could not be read: %s", err);
		goto out;
	}
	checker_finish(ck);
	res->checker = RUN_CHECK_RAN;
	res->schema = o.schema != NULL;
	f = checker_findings(ck, &nf);
	for (unsigned int i = 0; i < nf; i++) {
		struct run_finding *rf;
		res->n_sev[f[i].sev < 3 ? f[i].sev : 2]++;
		if (res->n_find >= RUN_FINDINGS_MAX) {
			res->find_dropped++;
			continue;
		}
		rf = &res->find[res->n_find++];
		run_fmt(rf->rule, sizeof(rf->rule), "%s", f[i].rule ? f[i].rule->id : "?");
		rf->sev = get_value_string(check_sev_names, f[i].sev);
		run_fmt(rf->ref, sizeof(rf->ref), "%s", f[i].rule ? f[i].rule->ref : "");
		rf->frame = f[i].frame;
		run_fmt(rf->text, sizeof(rf->text), "%s", f[i].text ? f[i].text : "");
	}
	checker_undecrypted(ck, &nu);
	res->undecrypted = nu;
	ev = checker_events(ck, &ne);
	res->n_ev = 0; /* the capture's messages replace the operator role's view */
	res->ev_from_capture = true;
	capture_events(ctx, ev, ne, tall, res);
	capture_kpis(ev, ne, res);
	printf("   check: %u finding(s): %u error, %u warning, %u info; %zu message(s) charted%s\n", nf,
	       res->n_sev[CHECK_SEV_ERROR], res->n_sev[CHECK_SEV_WARNING], res->n_sev[CHECK_SEV_INFO], res->n_ev,
	       nu ? "; some TLS records stayed closed" : "");
out:
	es_schema_free(schema);
	talloc_free(tall);
}

/* ---- expectations on the card, the device and the capture ------------------------------------------- */

/* The card's own state: `rsplab-euicc dump` (read-only, safe while the card is served) into cs. */
static int card_state(struct run_ctx *ctx, const char *card, struct cardstate *cs, char *detail, size_t len)
{
	char bin[PATH_MAX], db[PATH_MAX], out[PATH_MAX], log[PATH_MAX], text[8192];
	char *argv[] = { bin, "dump", db, NULL };
	size_t n = 0;
	int st;

	run_fmt(bin, sizeof(bin), "%s/rsplab-euicc", ctx->bin_dir);
	run_fmt(db, sizeof(db), "%s/%s/card.db", ctx->scndir, card);
	run_fmt(out, sizeof(out), "%s/%s/card.dump", ctx->scndir, card);
	run_fmt(log, sizeof(log), "%s/%s.log", ctx->scndir, card);
	st = run_tool(argv, out, log, 10000);
	if (st != 0 || net_file_read_tail(out, text, sizeof(text), &n) < 0 || n >= sizeof(text) - 1) {
		run_fmt(detail, len, "rsplab-euicc dump of %s failed (status %d, see %s)", card, st, log);
		return -EIO;
	}
	if (cardstate_parse(cs, text, n) < 0) {
		run_fmt(detail, len, "rsplab-euicc dump of %s: output not understood (%s)", card, out);
		return -EBADMSG;
	}
	return 0;
}

/* The SM-SR that held the card's EIS at the start (its [initial] eis line, else the topology's first). */
static const struct topo_comp *initial_smsr(const struct run_ctx *ctx, const char *card)
{
	const struct scn *s = &ctx->rs->scn;

	for (size_t i = 0; i < s->n_init; i++)
		if (s->init[i].kind == SCN_INIT_EIS && strcmp(s->init[i].subject, card) == 0)
			return topo_find(&ctx->rs->topo, s->init[i].where);
	return topo_find_kind(&ctx->rs->topo, TOPO_SMSR, TOPO_OP_NONE);
}

/* keysets CARD of=SMSR: the rule of scenarios/README.md ("Which key sets are an SM-SR's"). */
static int expect_keysets(struct run_ctx *ctx, const struct scn_expect *e, const struct cardstate *cs, char *detail,
			  size_t len)
{
	const struct topo *t = &ctx->rs->topo;
	const struct topo_comp *first = initial_smsr(ctx, e->subject), *sr = topo_find(t, e->where);
	char path[PATH_MAX], keys[4096], list[100];
	uint8_t kvn[4];
	size_t n = 0, others = 0;
	unsigned int want, found;
	int nk;
	bool initial;

	if (!first || !sr)
		return -1;
	initial = first == sr;
	for (size_t i = 0; i < t->n; i++)
		others += t->comp[i].kind == TOPO_SMSR && &t->comp[i] != first;
	if (!initial && others != 1) {
		run_fmt(detail, len, "cannot attribute: %zu SM-SRs besides %s (the rule needs one)", others,
			first->name);
		return -1;
	}
	run_fmt(path, sizeof(path), "%s/%s/card.db.keys", ctx->scndir, e->subject);
	nk = net_file_read_tail(path, keys, sizeof(keys), &n) < 0 ? -EIO
								  : cardstate_factory_kvns(keys, n, kvn, sizeof(kvn));
	explicit_bzero(keys, sizeof(keys));
	if (nk <= 0) {
		run_fmt(detail, len, "the card factory's key set versions of %s are not known (%s)", e->subject, path);
		return -1;
	}
	found = cardstate_keysets_of(cs, kvn, (size_t)nk, initial, &want, list, sizeof(list));
	run_fmt(detail, len, "%s's key sets on %s: %s%s (%s: %s)", sr->name, e->subject, found ? "KVN " : "none", list,
		initial ? "the factory's, handed over at the start" : "beyond the factory's",
		e->yes ? (found >= want ? "present" : "missing") : (found ? "still there" : "absent"));
	return e->yes ? found >= want : found == 0;
}

/* card-notification CARD type=NN at=SMSR: an E1 (digest §4.5) of that type, decoded by the checker from an
 * SCP80 command packet the card sent as MO SMS to that SM-SR's short code, or from the first POST of an
 * admin session the card opened to that SM-SR's SCP81 server (decrypted PSK-TLS). The capture is the real
 * evidence: the SM-SR's audit trail is not exposed over ES4 (GetEIS carries no AuditTrail here). */
static int expect_card_notif(struct run_ctx *ctx, const struct scn_expect *e, char *detail, size_t len)
{
	const struct topo *t = &ctx->rs->topo;
	const struct topo_comp *sr = topo_find(t, e->where);
	void *tall;
	struct tlsdec_keylog *kl;
	struct check_opts o;
	struct checker *ck;
	const struct check_event *ev;
	unsigned int n = 0, e1_other = 0, undecoded = 0;
	char err[200];
	int ok = 0;

	if (!sr)
		return -1;
	if (!ctx->cap) {
		run_fmt(detail, len, "no capture in this run (needs root)");
		return -1;
	}
	capture_poll(ctx->cap);
	capture_flush(ctx->cap);
	tall = talloc_named_const(ctx->tall, 0, "card-notification");
	kl = tlsdec_keylog_alloc(tall);
	if (!kl) {
		talloc_free(tall);
		return -1;
	}
	keylogs_load(kl, ctx->scndir, 0);
	check_opts_init(&o);
	o.keylog = kl;
	keys_collect(ctx, &o);
	ck = checker_alloc(tall, &o);
	if (!ck || checker_run_file(ck, ctx->pcap, err, sizeof(err)) < 0) {
		run_fmt(detail, len, "the capture could not be read");
		talloc_free(tall);
		return -1;
	}
	checker_finish(ck);
	ev = checker_events(ck, &n);
	for (unsigned int i = 0; i < n && !ok; i++) {
		unsigned int type, seq;
		const char *to = NULL;
		bool e1 = strcmp(ev[i].proto, "E1") == 0;
		bool scp80_cmd = strcmp(ev[i].proto, "SCP80") == 0 && strncmp(ev[i].summary, "command", 7) == 0;
		const char *https = e1 ? strstr(ev[i].summary, " over HTTPS to ") : NULL;
		if (!e1 && !scp80_cmd)
			continue;
		/* over HTTPS: a POST to an SM-SR's SCP81 server (ES port + 1, as started) */
		for (size_t k = 0; https && k < t->n && !to; k++) {
			char ep[64];
			size_t el;
			if (t->comp[k].kind != TOPO_SMSR || t->comp[k].mode != TOPO_BUILTIN)
				continue;
			run_fmt(ep, sizeof(ep), "%s:%u", t->comp[k].addr, t->comp[k].port + 1u);
			el = strlen(ep);
			if (!strncmp(https + 15, ep, el) && (https[15 + el] == ' ' || !https[15 + el]))
				to = t->comp[k].name;
		}
		/* the SMS of the same frame: an MO deliver_sm to an SM-SR's short code */
		for (unsigned int j = 0; j < n && !to; j++)
			if (ev[j].frame == ev[i].frame && ev[j].has_smpp && ev[j].smpp.has_sm &&
			    ev[j].smpp.cmd_id == SMPP_CMD_DELIVER_SM) {
				const char *code = ev[j].smpp.dst[0] == '+' ? ev[j].smpp.dst + 1 : ev[j].smpp.dst;
				bool kannel = strcmp(code, env_get(ctx, "SMSR1_SHORT_CODE")) == 0;
				if (!kannel && strcmp(code, env_get(ctx, "SMSR2_SHORT_CODE")) != 0)
					continue;
				for (size_t k = 0; k < t->n && !to; k++)
					if (t->comp[k].kind == TOPO_SMSR && smsr_uses_kannel(t, &t->comp[k]) == kannel)
						to = t->comp[k].name;
			}
		if (!to || strcmp(to, sr->name) != 0)
			continue;
		if (scp80_cmd) {
			undecoded++; /* counted down again when its E1 follows */
			continue;
		}
		undecoded -= undecoded > 0;
		if (sscanf(ev[i].summary, "notification type %x seq %u", &type, &seq) == 2 && type == e->type) {
			run_fmt(detail, len, "E1 type %02X seq %u to %s in frame %u", type, seq, sr->name, ev[i].frame);
			ok = 1;
		} else {
			e1_other++;
		}
	}
	if (!ok)
		run_fmt(detail, len,
			"no E1 type %02X to %s in the capture (%u other E1, %u card packet(s) not decrypted)", e->type,
			sr->name, e1_other, undecoded);
	talloc_free(tall);
	return ok;
}

/* Expectations checked at the card (rsplab-euicc dump), the device and HLR (attach_check) and in the
 * capture. Returns 1 pass, 0 fail, -1 not checkable (detail says why). */
static int check_expect_card(struct run_ctx *ctx, const struct scn_expect *e, char *detail, size_t len)
{
	struct cardstate *cs;
	int rc, v;

	switch (e->kind) {
	case SCN_EXP_PROFILE:
	case SCN_EXP_KEYSETS:
		cs = talloc_zero(ctx->tall, struct cardstate);
		if (!cs)
			return -1;
		rc = card_state(ctx, e->subject, cs, detail, len);
		if (rc < 0) {
			talloc_free(cs);
			return -1;
		}
		if (e->kind == SCN_EXP_PROFILE) {
			int st = cardstate_profile(cs, e->iccid);
			run_fmt(detail, len, "%s on %s: %s", e->iccid, e->subject,
				st ? get_value_string(es_profile_state_names, st) : "absent");
			v = st == e->state;
		} else {
			v = expect_keysets(ctx, e, cs, detail, len);
		}
		talloc_free(cs);
		return v;
	case SCN_EXP_ATTACHED: {
		char d[300];
		rc = attach_check(ctx, e->subject, e->imsi, e->where, 5000, e->yes ? 1 : 0, d, sizeof(d));
		run_fmt(detail, len, "%s", d);
		return rc == 0 ? 1 : rc == -ENOENT ? -1 : 0;
	}
	case SCN_EXP_CARD_NOTIF: return expect_card_notif(ctx, e, detail, len);
	default: return -1;
	}
}

/* ---- one scenario ------------------------------------------------------------------------------------ */

static void step_text(const struct scn_step *st, char *out, size_t len)
{
	const char *name = st->msg != ES_MSG_NONE ? es_msgs[st->msg].name : "";

	switch (st->kind) {
	case SCN_STEP_CALL:
		run_fmt(out, len, "call %s to=%s as=%s%s", name, st->target, st->peer, st->nowait ? " nowait" : "");
		break;
	case SCN_STEP_WAIT_RESPONSE: run_fmt(out, len, "wait response %s", name); break;
	case SCN_STEP_WAIT_NOTIFICATION: run_fmt(out, len, "wait notification %s to=%s", name, st->target); break;
	case SCN_STEP_WAIT_MESSAGE:
		run_fmt(out, len, "wait message %s from=%s to=%s", name, st->target, st->peer);
		break;
	case SCN_STEP_WAIT_ATTACH:
		run_fmt(out, len, "wait attach %s imsi=%s hlr=%s", st->target, st->imsi, st->peer);
		break;
	case SCN_STEP_FAULT:
		run_fmt(out, len, "fault %s%s%s", scn_fault_names[st->fault].str, st->target[0] ? " " : "", st->target);
		break;
	default: run_fmt(out, len, "?"); break;
	}
}

static void expect_text(const struct scn_expect *e, char *out, size_t len)
{
	const char *k = scn_expect_kind_names[e->kind].str;

	switch (e->kind) {
	case SCN_EXP_RESPONSES:
		run_fmt(out, len, "responses all=%s", get_value_string(es_status_names, e->status));
		break;
	case SCN_EXP_EIS: run_fmt(out, len, "eis %s at=%s", e->subject, e->where); break;
	case SCN_EXP_PROFILE:
		run_fmt(out, len, "profile %s %s %s", e->subject, e->iccid,
			e->state ? get_value_string(es_profile_state_names, e->state) : "absent");
		break;
	case SCN_EXP_KEYSETS:
		run_fmt(out, len, "keysets %s of=%s %s", e->subject, e->where, e->yes ? "present" : "absent");
		break;
	case SCN_EXP_ATTACHED:
		run_fmt(out, len, "attached %s imsi=%s hlr=%s roaming=%s", e->subject, e->imsi, e->where,
			e->yes ? "yes" : "no");
		break;
	case SCN_EXP_NOTIFICATION:
		run_fmt(out, len, "notification %s to=%s count=%u", es_msgs[e->msg].name, e->where, e->count);
		break;
	case SCN_EXP_DURATION: run_fmt(out, len, "duration %s max=%u ms", e->subject, e->max_ms); break;
	case SCN_EXP_CARD_NOTIF:
		run_fmt(out, len, "card-notification %s type=%02x at=%s", e->subject, e->type, e->where);
		break;
	default: run_fmt(out, len, "%s", k); break;
	}
}

static void run_one(struct run_ctx *ctx, const struct run_scn *rs, bool checker, struct run_res *res)
{
	const struct scn *s = &rs->scn;
	int64_t t0 = net_now_ms();
	struct timespec wall;
	char missing[600];
	int rc;

	memset(res, 0, sizeof(*res));
	clock_gettime(CLOCK_REALTIME, &wall);
	ctx->wall0_ms = (int64_t)wall.tv_sec * 1000 + wall.tv_nsec / 1000000 - (net_now_ms() - t0);
	res->checker_why[0] = '\0';
	run_fmt(res->checker_why, sizeof(res->checker_why), "nothing was started");
	for (size_t i = 0; i < s->n_steps; i++)
		res->step[i].verdict = "not-run";
	for (size_t i = 0; i < s->n_expect; i++)
		res->exp_verdict[i] = "not-checked";
	printf("== %s  %s\n", s->id, s->title);
	if ((s->flags & RUN_FEATURES) != s->flags) {
		uint32_t lacking = s->flags & ~RUN_FEATURES;
		size_t n = (size_t)run_fmt(res->reason, sizeof(res->reason), "not applicable: needs");
		for (int f = 0; f < SCN_FLAG__COUNT; f++)
			if ((lacking & (1u << f)) && n < sizeof(res->reason))
				n += (size_t)run_fmt(res->reason + n, sizeof(res->reason) - n, " %s",
						     scn_flag_names[f].str);
		res->verdict = "skipped";
		printf("   skipped: %s\n", res->reason);
		return;
	}
	if (preflight(ctx, &rs->topo, checker, missing, sizeof(missing))) {
		run_fmt(res->reason, sizeof(res->reason), "component not built yet: %s", missing);
		res->verdict = "error";
		printf("   error: %s\n   nothing was started\n", res->reason);
		return;
	}
	run_fmt(ctx->scndir, sizeof(ctx->scndir), "%s/%s", ctx->rundir, s->id);
	ctx->tall = talloc_named_const(NULL, 0, "rsplab run scenario");
	/* profiles and SM-DP stock first (the HLRs are provisioned from them), then the core network and its
	 * namespace, which this process enters: the operator role, the capture, the cards, the daemons and
	 * the devices are all started inside it */
	rc = prepare_profiles(ctx, rs, res->reason, sizeof(res->reason));
	if (rc == 0 && topo_has_net(&rs->topo)) {
		rc = start_net(ctx, &rs->topo);
		if (rc < 0 && !res->reason[0])
			run_fmt(res->reason, sizeof(res->reason),
				"the core network did not come up (%s): see the message above and %s/net/",
				strerror(-rc), ctx->scndir);
	}
	if (rc == 0) {
		char pki[PATH_MAX], keylog[PATH_MAX], err[300] = "";
		run_fmt(pki, sizeof(pki), "%s/pki", ctx->rundir);
		run_fmt(keylog, sizeof(keylog), "%s/harness.keylog", ctx->scndir);
		ctx->op = op_alloc(ctx->tall, &rs->topo, pki, keylog, err, sizeof(err));
		if (ctx->op)
			op_set_stop(ctx->op, &run_interrupted);
		if (!ctx->op) {
			run_fmt(res->reason, sizeof(res->reason), "the harness's operator role could not start: %s",
				err);
			rc = -EIO;
		}
	}
	if (rc == 0) {
		capture_begin(ctx, &rs->topo);
		rc = prepare_cards(ctx, rs, res->reason, sizeof(res->reason));
	}
	for (size_t i = 0; i < rs->topo.n && rc == 0; i++)
		if (rs->topo.comp[i].kind == TOPO_EUICC)
			rc = card_load(ctx, &rs->topo.comp[i], ctx->card_xml[i], res->reason, sizeof(res->reason));
	if (rc == 0)
		rc = start_all(ctx, &rs->topo);
	if (rc == 0)
		rc = register_eis_all(ctx, res->reason, sizeof(res->reason));
	if (rc == 0)
		rc = initial_attach(ctx, res->reason, sizeof(res->reason));
	if (rc < 0) {
		if (!res->reason[0])
			run_fmt(res->reason, sizeof(res->reason), "start-up failed (%s): see the message above",
				strerror(-rc));
		res->verdict = "error";
		printf("   error: %s\n", res->reason);
	} else {
		res->verdict = "pass";
		{
			struct timespec w;
			clock_gettime(CLOCK_REALTIME, &w);
			res->steps_wall_us = (uint64_t)w.tv_sec * 1000000u + (uint64_t)w.tv_nsec / 1000u;
		}
		for (size_t i = 0; i < s->n_steps && !run_interrupted; i++) {
			const struct scn_step *st = &s->step[i];
			const struct run_step_ops *ops = step_ops_of(st);
			struct run_step_res *sr = &res->step[i];
			char text[200];
			int64_t ts = net_now_ms();

			step_text(st, text, sizeof(text));
			sr->start_ms = ts - t0;
			if (!ops->exec) {
				run_fmt(sr->detail, sizeof(sr->detail), "%s is not built yet", ops->executor);
				rc = -ENOSYS;
			} else {
				rc = ops->exec(ctx, st, sr->detail, sizeof(sr->detail));
			}
			sr->elapsed_ms = net_now_ms() - ts;
			if (run_interrupted && rc < 0) {
				run_fmt(sr->detail, sizeof(sr->detail), "interrupted by signal %d",
					(int)run_interrupted);
				rc = -ENOSYS; /* an error, not a failure of the component */
			}
			stream_logs(ctx);
			sr->verdict = rc == 0 ? "pass" : rc == -ENOSYS ? "error" : "fail";
			printf("   [%-6s] %-60s %-5s %7.3f s%s%s\n", st->label, text, sr->verdict,
			       (double)sr->elapsed_ms / 1000, sr->detail[0] ? "  " : "", sr->detail);
			if (rc < 0) {
				run_fmt(res->reason, sizeof(res->reason), "step %zu (line %u, article step %s): %s",
					i + 1, st->line, st->label, sr->detail);
				res->verdict = rc == -ENOSYS ? "error" : "fail";
				break;
			}
		}
		if (strcmp(res->verdict, "pass") == 0 && run_interrupted) {
			res->verdict = "error";
			run_fmt(res->reason, sizeof(res->reason), "interrupted by signal %d", (int)run_interrupted);
		}
		if (strcmp(res->verdict, "pass") == 0)
			for (size_t i = 0; i < s->n_expect; i++) {
				const struct scn_expect *e = &s->expect[i];
				if (e->kind == SCN_EXP_DURATION) {
					/* first start to last end of the steps carrying the label */
					int64_t from = -1, to = 0;
					for (size_t j = 0; j < s->n_steps; j++) {
						if (!scn_label_covers(e->subject, s->step[j].label))
							continue;
						if (from < 0)
							from = res->step[j].start_ms;
						to = res->step[j].start_ms + res->step[j].elapsed_ms;
					}
					if (from < 0)
						from = 0;
					run_fmt(res->exp_detail[i], sizeof(res->exp_detail[i]), "%.3f s (max %.3f s)",
						(double)(to - from) / 1000, e->max_ms / 1000.0);
					res->exp_verdict[i] = to - from <= (int64_t)e->max_ms ? "pass" : "fail";
					if (to - from > (int64_t)e->max_ms && strcmp(res->verdict, "pass") == 0)
						res->verdict = "fail";
					continue;
				}
				{
					int v = check_expect_op(ctx, e, res->exp_detail[i], sizeof(res->exp_detail[i]));
					if (v < 0)
						v = check_expect_card(ctx, e, res->exp_detail[i],
								      sizeof(res->exp_detail[i]));
					if (v >= 0) {
						res->exp_verdict[i] = v ? "pass" : "fail";
						if (!v && strcmp(res->verdict, "pass") == 0)
							res->verdict = "fail";
						printf("   [expect] %-60s %s  %s\n", scn_expect_kind_names[e->kind].str,
						       res->exp_verdict[i], res->exp_detail[i]);
						continue;
					}
				}
				/* not checkable: the checker said why, or none exists for this kind */
				if (!res->exp_detail[i][0])
					run_fmt(res->exp_detail[i], sizeof(res->exp_detail[i]), "%s is not built yet",
						run_expect_checker[s->expect[i].kind]);
				res->exp_verdict[i] = "error";
				res->verdict = "error";
				printf("   [expect] %-60s error  %s\n", scn_expect_kind_names[e->kind].str,
				       res->exp_detail[i]);
			}
	}
	/* the harness's start-up (core network, daemons, cards, devices, initial state) before step one */
	if (s->n_steps && strcmp(res->step[0].verdict, "not-run") != 0)
		res_kpi(res, "startup_ms", (double)res->step[0].start_ms);
	/* KPIs of the procedures (only when every step of the range passed) */
	step_kpi(s, res, "1-6", "smsr_change_ms");
	step_kpi(s, res, "i-ix", "download_ms");
	for (size_t i = 0; i < s->n_steps; i++)
		if (s->step[i].kind == SCN_STEP_WAIT_ATTACH && strcmp(res->step[i].verdict, "pass") == 0)
			res_kpi(res, "reattach_ms", (double)res->step[i].elapsed_ms);
	if (ctx->op) {
		const struct op_record *recs[OP_RECORDS_MAX];
		size_t n = op_records(ctx->op, recs, OP_RECORDS_MAX);
		for (size_t i = 0; i < n && res->n_ev + 2 <= sizeof(res->ev) / sizeof(res->ev[0]); i++) {
			const struct op_record *r = recs[i];
			struct run_event *ev = &res->ev[res->n_ev++];
			bool notif = es_msgs[r->id].kind == ES_KIND_NOTIFICATION;
			ev->t_ms = r->t_sent_ms - t0;
			run_fmt(ev->from, sizeof(ev->from), "%s", notif ? r->peer : r->party);
			run_fmt(ev->to, sizeof(ev->to), "%s", notif ? r->party : r->peer);
			run_fmt(ev->label, sizeof(ev->label), "%s", es_msgs[r->id].name);
			if (notif || !r->done)
				continue;
			ev = &res->ev[res->n_ev++];
			ev->t_ms = r->t_done_ms - t0;
			run_fmt(ev->from, sizeof(ev->from), "%s", r->peer);
			run_fmt(ev->to, sizeof(ev->to), "%s", r->party);
			if (r->rc < 0)
				run_fmt(ev->label, sizeof(ev->label), "(no response: %s)", strerror(-r->rc));
			else
				run_fmt(ev->label, sizeof(ev->label), "%s %s%s%s%s%s", es_msgs[r->id + 1].name,
					r->fault ? "fault" : get_value_string(es_status_names, r->status),
					r->subject[0] ? " " : "", r->subject, r->reason[0] ? "/" : "", r->reason);
		}
		op_free(ctx->op);
		ctx->op = NULL;
	}
	if (ctx->cap) {
		char st[300];
		capture_stop(ctx->cap);
		{
			const struct capture_stats *cs = capture_stats(ctx->cap);
			res->has_capture = true;
			for (unsigned int i = 0; cs && i < cs->num_ifaces; i++) {
				res->cap_received += cs->ifs[i].received;
				res->cap_dropped += cs->ifs[i].ps_drop;
				res->cap_ifdropped += cs->ifs[i].ps_ifdrop;
			}
			run_fmt(res->pcap, sizeof(res->pcap), "%s/capture.pcap", s->id);
			run_fmt(res->keylog, sizeof(res->keylog), "%s/sslkeylog.txt", s->id);
		}
		if (capture_stats_format(ctx->cap, st, sizeof(st)) > 0) {
			for (char *c = st; *c; c++)
				if (*c == '\n')
					*c = c[1] ? ';' : '\0';
			printf("   capture: %s\n", st);
		}
		capture_free(ctx->cap);
		ctx->cap = NULL;
		check_scenario(ctx, res);
	} else if (ctx->op || ctx->net_up) {
		run_fmt(res->checker_why, sizeof(res->checker_why), "%s",
			geteuid() ? "no capture: not root" : "no capture: it could not start (see above)");
	}
	talloc_free(ctx->tall);
	ctx->tall = NULL;
	stop_all(ctx, res);
	printf("   stopped: ");
	if (!res->n_stopped)
		printf("nothing");
	for (size_t i = 0; i < res->n_stopped; i++)
		printf("%s%s", i ? ", " : "", res->stopped[i]);
	printf("\n");
	res->duration_ms = net_now_ms() - t0;
}

/* ---- run.json ------------------------------------------------------------------------------------------- */

static void json_kv(FILE *f, const char *key, const char *val, bool comma)
{
	json_put_str(f, key);
	fputc(':', f);
	json_put_str(f, val);
	if (comma)
		fputc(',', f);
}

static void write_scn_json(FILE *f, const char *top, const struct run_scn *rs, const struct run_res *res, bool last)
{
	const struct scn *s = &rs->scn;
	char text[200];

	fputs("  {", f);
	json_kv(f, "id", s->id, true);
	json_kv(f, "title", s->title, true);
	json_kv(f, "suite", rs->suite, true);
	{
		size_t tl = strlen(top);
		/* relative to the source tree when it is in it: no machine paths in reports */
		json_kv(f, "file",
			strncmp(rs->path, top, tl) == 0 && rs->path[tl] == '/' ? rs->path + tl + 1 : rs->path, true);
	}
	json_kv(f, "section", s->section, true);
	json_kv(f, "verdict", res->verdict, true);
	if (res->reason[0])
		json_kv(f, "reason", res->reason, true);
	fprintf(f, "\"duration_ms\":%lld,\n   \"steps\":[", (long long)res->duration_ms);
	for (size_t i = 0; i < s->n_steps; i++) {
		const struct run_step_res *sr = &res->step[i];
		step_text(&s->step[i], text, sizeof(text));
		fputs(i ? ",\n    {" : "\n    {", f);
		json_kv(f, "label", s->step[i].label, true);
		json_kv(f, "text", text, true);
		json_kv(f, "verdict", sr->verdict, true);
		json_kv(f, "detail", sr->detail, true);
		fprintf(f, "\"start_ms\":%lld,\"elapsed_ms\":%lld}", (long long)sr->start_ms,
			(long long)sr->elapsed_ms);
	}
	fputs("],\n   \"expectations\":[", f);
	for (size_t i = 0; i < s->n_expect; i++) {
		expect_text(&s->expect[i], text, sizeof(text));
		fputs(i ? ",\n    {" : "\n    {", f);
		json_kv(f, "text", text, true);
		json_kv(f, "verdict", res->exp_verdict[i], true);
		json_kv(f, "detail", res->exp_detail[i], false);
		fputc('}', f);
	}
	fputs("],\n   ", f);
	if (res->has_capture) {
		json_kv(f, "pcap", res->pcap, true);
		json_kv(f, "keylog", res->keylog, true);
		fprintf(f, "\"capture\":{\"received\":%llu,\"dropped\":%llu,\"if_dropped\":%llu},\n   ",
			(unsigned long long)res->cap_received, (unsigned long long)res->cap_dropped,
			(unsigned long long)res->cap_ifdropped);
	}
	/* the checker: whether it ran (a scenario without findings is only clean when it did) */
	fputs("\"checker\":{", f);
	if (res->checker == RUN_CHECK_RAN) {
		fprintf(f, "\"ran\":true,\"errors\":%u,\"warnings\":%u,\"info\":%u,\"shown\":%zu,", res->n_sev[2],
			res->n_sev[1], res->n_sev[0], res->n_find);
		fprintf(f, "\"xsd\":%s,\"undecrypted_frames\":%u}", res->schema ? "true" : "false", res->undecrypted);
	} else {
		fputs("\"ran\":false,", f);
		json_kv(f, "why", res->checker_why[0] ? res->checker_why : "not run", false);
		fputc('}', f);
	}
	fputs(",\n   \"findings\":[", f);
	for (size_t i = 0; i < res->n_find; i++) {
		const struct run_finding *rf = &res->find[i];
		fputs(i ? ",\n    {" : "\n    {", f);
		json_kv(f, "rule", rf->rule, true);
		json_kv(f, "severity", rf->sev ? rf->sev : "info", true);
		json_kv(f, "ref", rf->ref, true);
		fprintf(f, "\"frame\":%u,", rf->frame);
		json_kv(f, "text", rf->text, false);
		fputc('}', f);
	}
	fputs("],\n   \"kpis\":{", f);
	for (size_t i = 0; i < res->n_kpi; i++) {
		if (i)
			fputc(',', f);
		json_put_str(f, res->kpi[i].name);
		fprintf(f, ":%.0f", res->kpi[i].v);
	}
	fputs("},\n   ", f);
	json_kv(f, "events_source", res->ev_from_capture ? "capture" : "operator", true);
	fputs("\"events\":[", f);
	for (size_t i = 0; i < res->n_ev; i++) {
		const struct run_event *ev = &res->ev[i];
		fputs(i ? ",\n    {" : "\n    {", f);
		fprintf(f, "\"t_ms\":%lld,", (long long)ev->t_ms);
		if (ev->frame)
			fprintf(f, "\"frame\":%u,", ev->frame);
		json_kv(f, "from", ev->from, true);
		json_kv(f, "to", ev->to, true);
		json_kv(f, "label", ev->label, false);
		fputc('}', f);
	}
	fputs("]}", f);
	fputs(last ? "\n" : ",\n", f);
}

/* ---- targets ------------------------------------------------------------------------------------------- */

static int add_file(struct run_scn *list, size_t *n, const char *path, const char *suite)
{
	if (*n == RUN_SCN_MAX) {
		fprintf(stderr, "rsplab run: more than %d scenarios\n", RUN_SCN_MAX);
		return -ENOSPC;
	}
	if (!realpath(path, list[*n].path)) {
		fprintf(stderr, "rsplab run: %s: %s\n", path, strerror(errno));
		return -errno;
	}
	run_fmt(list[*n].suite, sizeof(list[*n].suite), "%s", suite);
	(*n)++;
	return 0;
}

static int collect(const struct run_ctx *ctx, char *const *targets, size_t nt, struct run_scn *list, size_t *n)
{
	for (size_t i = 0; i < nt; i++) {
		const char *t = targets[i];
		size_t len = strlen(t);
		char pattern[PATH_MAX];
		glob_t g;
		int rc = 0;

		if (len > 4 && strcmp(t + len - 4, ".scn") == 0) {
			char dir[PATH_MAX], *slash;
			run_fmt(dir, sizeof(dir), "%s", t);
			slash = strrchr(dir, '/');
			*(slash ? slash : dir) = '\0';
			slash = strrchr(dir, '/');
			rc = add_file(list, n, t, slash ? slash + 1 : dir[0] ? dir : "scenarios");
			if (rc < 0)
				return rc;
			continue;
		}
		if (strcmp(t, "all") == 0)
			run_fmt(pattern, sizeof(pattern), "%s/scenarios/*/*.scn", ctx->top);
		else if (lex_name_valid(t, 32))
			run_fmt(pattern, sizeof(pattern), "%s/scenarios/%s/*.scn", ctx->top, t);
		else {
			fprintf(stderr,
				"rsplab run: '%s' is neither a suite (a directory under scenarios/), 'all', nor a .scn "
				"file\n",
				t);
			return -EINVAL;
		}
		if (glob(pattern, 0, NULL, &g) != 0) {
			fprintf(stderr, "rsplab run: no scenarios match %s\n", pattern);
			return -ENOENT;
		}
		for (size_t j = 0; j < g.gl_pathc && rc == 0; j++) {
			char suite[PATH_MAX], *slash;
			run_fmt(suite, sizeof(suite), "%s", g.gl_pathv[j]);
			slash = strrchr(suite, '/');
			*slash = '\0';
			slash = strrchr(suite, '/');
			rc = add_file(list, n, g.gl_pathv[j], slash ? slash + 1 : suite);
		}
		globfree(&g);
		if (rc < 0)
			return rc;
	}
	return 0;
}

static char *read_text(const char *path, size_t cap, size_t *len)
{
	char *buf = malloc(cap);

	if (!buf)
		return NULL;
	if (net_file_read_tail(path, buf, cap, len) < 0 || *len >= cap - 1) {
		free(buf);
		return NULL;
	}
	return buf;
}

/* Parse every scenario and its topology; print file:line errors. */
static int load_all(const struct run_ctx *ctx, struct run_scn *list, size_t n)
{
	int bad = 0;

	for (size_t i = 0; i < n; i++) {
		struct run_scn *rs = &list[i];
		struct scn_error e;
		struct topo_error te;
		char tpath[PATH_MAX];
		size_t len;
		char *text = read_text(rs->path, 1 << 20, &len);

		if (!text) {
			fprintf(stderr, "%s: cannot read (or larger than 1 MiB)\n", rs->path);
			bad = 1;
			continue;
		}
		if (scn_parse(text, len, &rs->scn, &e) < 0) {
			fprintf(stderr, "%s:%u: %s\n", rs->path, e.line, e.msg);
			bad = 1;
			free(text);
			continue;
		}
		free(text);
		run_fmt(tpath, sizeof(tpath), "%s/scenarios/topology/%s.topo", ctx->top, rs->scn.topology);
		text = read_text(tpath, 1 << 20, &len);
		if (!text) {
			fprintf(stderr, "%s: topology %s: cannot read %s\n", rs->path, rs->scn.topology, tpath);
			bad = 1;
			continue;
		}
		if (topo_parse(text, len, &rs->topo, &te) < 0) {
			fprintf(stderr, "%s:%u: %s\n", tpath, te.line, te.msg);
			bad = 1;
		} else if (scn_check_topo(&rs->scn, &rs->topo, &e) < 0) {
			fprintf(stderr, "%s:%u: %s (topology %s)\n", rs->path, e.line, e.msg, rs->scn.topology);
			bad = 1;
		}
		free(text);
		for (size_t j = 0; j < i && !bad; j++)
			if (strcmp(list[j].scn.id, rs->scn.id) == 0) {
				fprintf(stderr, "%s: id %s is also the id of %s\n", rs->path, rs->scn.id, list[j].path);
				bad = 1;
			}
	}
	return bad ? -EBADMSG : 0;
}

static int make_rundir(struct run_ctx *ctx, char *const *targets, size_t nt)
{
	char out[PATH_MAX], label[64] = "", stamp[32];
	time_t now = time(NULL);
	struct tm tm;
	size_t n = 0;

	if (ctx->o->out_dir)
		run_fmt(out, sizeof(out), "%s", ctx->o->out_dir);
	else
		run_fmt(out, sizeof(out), "%s/reports/out", ctx->top);
	for (size_t i = 0; i < nt && n < sizeof(label) - 1; i++) {
		const char *t = strrchr(targets[i], '/') ? strrchr(targets[i], '/') + 1 : targets[i];
		if (i)
			label[n++] = '+';
		for (; *t && n < sizeof(label) - 1; t++)
			label[n++] = (strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.", *t) &&
				      strcmp(t, ".scn") != 0)
					     ? *t
					     : (*t == '.' ? '\0' : '_');
		label[n] = '\0';
		n = strlen(label);
	}
	gmtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S", &tm);
	if (mkdir(out, 0755) < 0 && errno != EEXIST) {
		char parent[PATH_MAX];
		run_fmt(parent, sizeof(parent), "%s", out);
		*strrchr(parent, '/') = '\0';
		mkdir(parent, 0755);
		if (mkdir(out, 0755) < 0 && errno != EEXIST) {
			fprintf(stderr, "rsplab run: cannot create %s: %s\n", out, strerror(errno));
			return -errno;
		}
	}
	for (int attempt = 0; attempt < 100; attempt++) {
		if (attempt)
			run_fmt(ctx->rundir, sizeof(ctx->rundir), "%s/%s-%s.%d", out, stamp, label, attempt);
		else
			run_fmt(ctx->rundir, sizeof(ctx->rundir), "%s/%s-%s", out, stamp, label);
		if (mkdir(ctx->rundir, 0700) == 0)
			return 0;
		if (errno != EEXIST)
			break;
	}
	fprintf(stderr, "rsplab run: cannot create a run directory under %s: %s\n", out, strerror(errno));
	return -errno;
}

static int make_pki(struct run_ctx *ctx, const struct run_scn *list, size_t n)
{
	const char *eids[PKI_MAX_EUICC], *ips[32];
	unsigned int n_eids = 0, n_ips = 0;
	char dir[PATH_MAX];
	struct pki_opts po = { .curve = CRYPTO_CURVE_P256, .eids = eids };

	if (ctx->o->pki_dir) {
		/* --pki: the PKI an external component was given; the run's pki/ points to it */
		char abs[PATH_MAX], readme[PATH_MAX];

		run_fmt(dir, sizeof(dir), "%s/pki", ctx->rundir);
		if (!realpath(ctx->o->pki_dir, abs) || run_fmt(readme, sizeof(readme), "%s/README", abs) < 0 ||
		    access(readme, R_OK) != 0) {
			fprintf(stderr, "rsplab run: --pki %s: not a test PKI (rsplab pki init DIR)\n",
				ctx->o->pki_dir);
			return -EINVAL;
		}
		if (symlink(abs, dir) < 0) {
			fprintf(stderr, "rsplab run: --pki: cannot link %s: %s\n", dir, strerror(errno));
			return -errno;
		}
		return 0;
	}
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < list[i].topo.n; j++) {
			const char *eid = list[i].topo.comp[j].eid;
			bool seen = false;
			if (!eid[0])
				continue;
			for (unsigned int k = 0; k < n_eids; k++)
				seen |= strcmp(eids[k], eid) == 0;
			if (!seen && n_eids < PKI_MAX_EUICC)
				eids[n_eids++] = eid;
		}
	/* every address of the topologies goes into the TLS certificates' SAN (the SM-DP checks the host) */
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < list[i].topo.n; j++) {
			const char *a = list[i].topo.comp[j].addr;
			bool seen = false;
			if (!a[0])
				continue;
			for (unsigned int k = 0; k < n_ips; k++)
				seen |= strcmp(ips[k], a) == 0;
			if (!seen && n_ips < sizeof(ips) / sizeof(ips[0]))
				ips[n_ips++] = a;
		}
	po.tls_ips = ips;
	po.n_tls_ips = n_ips;
	run_fmt(dir, sizeof(dir), "%s/pki", ctx->rundir);
	po.dir = dir;
	po.n_eids = n_eids;
	po.n_euicc = n_eids ? 0 : 1;
	if (!n_eids)
		po.eids = NULL;
	return pki_init(&po);
}

static int find_top(struct run_ctx *ctx)
{
	char exe[PATH_MAX], probe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	char *slash;

	if (n < 0)
		return -errno;
	exe[n] = '\0';
	slash = strrchr(exe, '/');
	if (!slash)
		return -ENOENT;
	*slash = '\0';
	run_fmt(ctx->bin_dir, sizeof(ctx->bin_dir), "%s", exe);
	if (ctx->o->top) {
		run_fmt(probe, sizeof(probe), "%s", ctx->o->top);
	} else {
		/* <top>/build*\/bin/rsplab */
		run_fmt(probe, sizeof(probe), "%s/../..", exe);
	}
	if (!realpath(probe, ctx->top)) {
		if (!realpath(".", ctx->top))
			return -errno;
	}
	run_fmt(probe, sizeof(probe), "%s/scenarios/topology", ctx->top);
	if (access(probe, R_OK) < 0 && !ctx->o->top && realpath(".", exe)) {
		run_fmt(ctx->top, sizeof(ctx->top), "%s", exe);
		run_fmt(probe, sizeof(probe), "%s/scenarios/topology", ctx->top);
	}
	if (access(probe, R_OK) < 0) {
		fprintf(stderr, "rsplab run: no scenarios/topology under %s (run from the source tree or use --top)\n",
			ctx->top);
		return -ENOENT;
	}
	return 0;
}

int run_main(char *const *targets, size_t nt, const struct run_opts *o)
{
	struct run_ctx *ctx = calloc(1, sizeof(*ctx));
	struct run_scn *list = calloc(RUN_SCN_MAX, sizeof(*list));
	struct run_res *res = calloc(RUN_SCN_MAX, sizeof(*res));
	struct sigaction sa = { .sa_handler = run_on_signal }, old_int, old_term;
	char path[PATH_MAX], stamp[32];
	size_t n = 0, counts[4] = { 0 };
	static const char *const vnames[4] = { "pass", "fail", "error", "skipped" };
	bool checker;
	int status = 2;
	time_t now = time(NULL);
	struct tm tm;
	FILE *f;

	if (!ctx || !list || !res)
		goto out;
	ctx->o = o;
	ctx->saved_ns = -1;
	ctx->t0 = net_now_ms();
	if (find_top(ctx) < 0 || collect(ctx, targets, nt, list, &n) < 0 || load_all(ctx, list, n) < 0)
		goto out;
	status = 1;
	if (make_rundir(ctx, targets, nt) < 0)
		goto out;
	printf("run: %s (%zu scenario%s)\n", ctx->rundir, n, n == 1 ? "" : "s");
	if (make_pki(ctx, list, n) < 0) {
		fprintf(stderr, "rsplab run: the test PKI could not be created in %s/pki\n", ctx->rundir);
		goto out;
	}
	checker = have_checker();
	/* TLS 1.2 on every ES connection of the run (the builtin daemons through OpenSSL's system default,
	 * the harness through lib/tls max_version): the checker decrypts TLS 1.2 only, and a run whose
	 * messages cannot be opened cannot be checked. */
	{
		static const char cnf[] = "# rsplab run: TLS 1.2 for every component it starts\n"
					  "openssl_conf = rsplab_conf\n[rsplab_conf]\nssl_conf = rsplab_ssl\n"
					  "[rsplab_ssl]\nsystem_default = rsplab_tls\n[rsplab_tls]\n"
					  "MaxProtocol = TLSv1.2\n";
		run_fmt(path, sizeof(path), "%s/openssl.cnf", ctx->rundir);
		if (net_file_write(path, cnf, sizeof(cnf) - 1, 0644) == 0)
			setenv("OPENSSL_CONF", path, 1);
	}
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	for (size_t i = 0; i < n; i++) {
		char dir[PATH_MAX], topo_text[8192];
		int len;
		ctx->rs = &list[i];
		run_fmt(dir, sizeof(dir), "%s/%s", ctx->rundir, list[i].scn.id);
		if (mkdir(dir, 0700) == 0 && (len = topo_format(&list[i].topo, topo_text, sizeof(topo_text))) > 0) {
			run_fmt(path, sizeof(path), "%s/topology.topo", dir);
			net_file_write(path, topo_text, (size_t)len, 0644);
		}
		if (run_interrupted) {
			memset(&res[i], 0, sizeof(res[i]));
			res[i].verdict = "error";
			run_fmt(res[i].reason, sizeof(res[i].reason), "not run: interrupted by signal %d",
				(int)run_interrupted);
			for (size_t j = 0; j < list[i].scn.n_steps; j++)
				res[i].step[j].verdict = "not-run";
			for (size_t j = 0; j < list[i].scn.n_expect; j++)
				res[i].exp_verdict[j] = "not-checked";
			continue;
		}
		run_one(ctx, &list[i], checker, &res[i]);
	}
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);

	/* run.json, then the reports generated from it */
	run_fmt(path, sizeof(path), "%s/run.json", ctx->rundir);
	f = fopen(path, "w");
	if (!f) {
		fprintf(stderr, "rsplab run: cannot write %s: %s\n", path, strerror(errno));
		goto out;
	}
	gmtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", &tm);
	fputs("{", f);
	json_kv(f, "format", "rsplab-run-1", true);
	json_kv(f, "run", strrchr(ctx->rundir, '/') + 1, true);
	json_kv(f, "started", stamp, true);
	json_kv(f, "topology", n ? list[0].scn.topology : "", true);
	fprintf(f, "\"duration_ms\":%lld,\n \"stopped\":[", (long long)(net_now_ms() - ctx->t0));
	{
		bool first = true;
		for (size_t i = 0; i < n; i++)
			for (size_t j = 0; j < res[i].n_stopped; j++) {
				if (!first)
					fputc(',', f);
				json_put_str(f, res[i].stopped[j]);
				first = false;
			}
	}
	fputs("],\n \"scenarios\":[\n", f);
	for (size_t i = 0; i < n; i++)
		write_scn_json(f, ctx->top, &list[i], &res[i], i + 1 == n);
	fputs(" ]}\n", f);
	if (fclose(f) != 0) {
		fprintf(stderr, "rsplab run: %s: write error\n", path);
		goto out;
	}
	if (report_generate(ctx->rundir) < 0)
		goto out;

	/* summary table */
	printf("\n%-28s %-13s %-8s %9s  %s\n", "scenario", "suite", "verdict", "time", "reason");
	for (size_t i = 0; i < n; i++) {
		for (int v = 0; v < 4; v++)
			counts[v] += strcmp(res[i].verdict, vnames[v]) == 0;
		printf("%-28s %-13s %-8s %8.3fs  %.*s\n", list[i].scn.id, list[i].suite, res[i].verdict,
		       (double)res[i].duration_ms / 1000, 90, res[i].reason);
	}
	printf("\n%zu pass, %zu fail, %zu error, %zu skipped\nreport: %s/report.html\njunit:  %s/junit.xml\n",
	       counts[0], counts[1], counts[2], counts[3], ctx->rundir, ctx->rundir);
	status = counts[1] || counts[2] ? 1 : 0;
out:
	free(ctx);
	free(list);
	free(res);
	return status;
}
