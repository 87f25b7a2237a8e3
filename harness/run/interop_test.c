/* Interop mode, proven (issue 10): a second rsplab-smsr is started OUTSIDE the harness, as a vendor's
 * SM-SR2 would be, with its own (foreign) CERT.SR.ECDSA; a topology declares it `external` (its URL, its
 * CA, our client certificate); `rsplab run` plays MNO2 and SM-SR1 against it. The harness never starts
 * or stops it, talks to it only over ES4/ES7, and captures and checks what passes. The scenario is the
 * SM-SR Change refused for a certificate not from the CI: the external SM-SR takes the handover,
 * authenticates to SM-SR1, the eUICC refuses its certificate (article step 2) and the EIS stays at
 * SM-SR1.
 *
 * Needs root (capture, core network) and runs in the host's network namespace (rsplab run --no-netns)
 * so that the external process and the builtin components reach each other on 127.0.0.x; the PKI is
 * made first (rsplab pki init) and given to both (rsplab run --pki). Skipped with a message otherwise. */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <CUnit/CUnit.h>

#include "lib/test/runner.h"

#define SR2_ADDR "127.0.0.42"
#define SR2_PORT "8443"
#define EID	 "89049032000000000000000000000163"

static char bin[PATH_MAX], top[PATH_MAX], tmp[64];

int suite_setup(void)
{
	char build[PATH_MAX];

	if (test_build_dir(build, sizeof(build)) < 0)
		return 1;
	snprintf(bin, sizeof(bin), "%.4000s/bin", build);
	snprintf(build + strlen(build), sizeof(build) - strlen(build), "/..");
	if (!realpath(build, top))
		return 1;
	snprintf(tmp, sizeof(tmp), "/tmp/rsplab-interop-XXXXXX");
	return mkdtemp(tmp) ? 0 : 1;
}

int suite_teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmp);
	return system(cmd) == 0 ? 0 : 1;
}

/* Run a shell command, its output (stdout+stderr) into out; the exit status. */
static int sh(const char *cmd, char *out, size_t len)
{
	char full[PATH_MAX * 6];
	FILE *p;
	size_t n = 0;
	int st;

	snprintf(full, sizeof(full), "%s 2>&1", cmd);
	p = popen(full, "r");
	if (!p)
		return -1;
	if (out) {
		n = fread(out, 1, len - 1, p);
		out[n] = '\0';
	} else {
		char sink[4096];
		while (fread(sink, 1, sizeof(sink), p) > 0)
			;
	}
	st = pclose(p);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fputs(text, f);
	fclose(f);
}

/* The source tree as rsplab run needs it, with our topology and scenario next to the real ones. */
static void make_top(const char *pki)
{
	char path[PATH_MAX], text[16384], *topo;
	size_t len = 0;
	static const char *const links[] = { "network", "lib", "reports" };

	snprintf(path, sizeof(path), "%s/top", tmp);
	CU_ASSERT_EQUAL_FATAL(mkdir(path, 0700), 0);
	for (size_t i = 0; i < sizeof(links) / sizeof(links[0]); i++) {
		char from[PATH_MAX * 2], to[PATH_MAX * 2];
		snprintf(from, sizeof(from), "%s/%s", top, links[i]);
		snprintf(to, sizeof(to), "%s/top/%s", tmp, links[i]);
		CU_ASSERT_EQUAL_FATAL(symlink(from, to), 0);
	}
	snprintf(path, sizeof(path), "%s/top/scenarios", tmp);
	CU_ASSERT_EQUAL_FATAL(mkdir(path, 0700), 0);
	snprintf(path, sizeof(path), "%s/top/scenarios/topology", tmp);
	CU_ASSERT_EQUAL_FATAL(mkdir(path, 0700), 0);
	snprintf(path, sizeof(path), "%s/top/scenarios/interop", tmp);
	CU_ASSERT_EQUAL_FATAL(mkdir(path, 0700), 0);

	/* the flagship's topology, SM-SR2 replaced by the external one */
	snprintf(path, sizeof(path), "%.3000s/scenarios/topology/flagship.topo", top);
	topo = test_slurp(path, &len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(topo);
	{
		char *sr2 = strstr(topo, "\nsmsr2 "), *eol;
		CU_ASSERT_PTR_NOT_NULL_FATAL(sr2);
		eol = strchr(sr2 + 1, '\n');
		CU_ASSERT_PTR_NOT_NULL_FATAL(eol);
		*sr2 = '\0';
		snprintf(text, sizeof(text),
			 "%.6000s\nsmsr2 smsr external operator=mno2 entity=2.999.1.2 url=https://" SR2_ADDR
			 ":" SR2_PORT "/ ca=%.1000s/ci/cert.pem cert=%.1000s/mno2/tls-cert.pem "
			 "key=%.1000s/mno2/tls-key.pem%.6000s",
			 topo, pki, pki, pki, eol);
	}
	free(topo);
	snprintf(path, sizeof(path), "%s/top/scenarios/topology/interop.topo", tmp);
	write_file(path, text);

	snprintf(path, sizeof(path), "%s/top/scenarios/interop/external-smsr2.scn", tmp);
	write_file(path, "# SM-SR Change towards an external SM-SR2 whose CERT.SR.ECDSA is not from our CI\n"
			 "id        TC.INTEROP.SMSRCHANGE.1\n"
			 "title     SM-SR Change towards an external SM-SR2 with a certificate not from the CI\n"
			 "section   3.8\n"
			 "applies   O_SMS O_KANNEL O_SMSR_CHANGE\n"
			 "topology  interop\n"
			 "\n[initial]\n"
			 "profile    card1 8981100000000000019 Enabled operator=mno1 imsi=001010000000001 smdp=smdp1\n"
			 "eis        card1 at=smsr1\n"
			 "attach     device1 imsi=001010000000001 hlr=hlr-mno1\n"
			 "\n[steps]\n"
			 "1     call ES4-PrepareSMSRChange to=smsr2 as=mno2 Eid=@card1 CurrentSMSRid=@smsr1 "
			 "validity=300s\n"
			 "1     call ES4-SMSRChange to=smsr1 as=mno1 Eid=@card1 Target-Smsr-id=@smsr2 validity=300s "
			 "nowait expect=FAILED\n"
			 "1     wait message ES7-HandoverEUICC from=smsr1 to=smsr2 timeout=60s\n"
			 "2     wait message ES7-AuthenticateSMSR from=smsr2 to=smsr1 timeout=60s\n"
			 "2     wait response ES4-SMSRChange timeout=2m\n"
			 "\n[expect]\n"
			 "eis       card1 at=smsr1\n"
			 "keysets   card1 of=smsr1 present\n"
			 "profile   card1 8981100000000000019 Enabled\n"
			 "notification ES4-HandleSMSRChangeNotification to=mno1 count=0\n");
}

static pid_t start_external_sr2(const char *pki)
{
	char db[PATH_MAX], log[PATH_MAX], prog[PATH_MAX + 16], cert[PATH_MAX], key[PATH_MAX], ca[PATH_MAX],
		srcert[PATH_MAX], srkey[PATH_MAX], eum[PATH_MAX], keylog[PATH_MAX];
	pid_t pid;

	snprintf(db, sizeof(db), "%s/vendor-sr2.db", tmp);
	snprintf(log, sizeof(log), "%s/vendor-sr2.log", tmp);
	snprintf(keylog, sizeof(keylog), "%s/vendor-sr2.keylog", tmp);
	snprintf(prog, sizeof(prog), "%s/rsplab-smsr", bin);
	snprintf(cert, sizeof(cert), "%.3000s/smsr2/tls-cert.pem", pki);
	snprintf(key, sizeof(key), "%.3000s/smsr2/tls-key.pem", pki);
	snprintf(ca, sizeof(ca), "%.3000s/ci/cert.pem", pki);
	/* the vendor's GP certificate: the same key, certified by a CI our eUICCs do not trust */
	snprintf(srcert, sizeof(srcert), "%.3000s/smsr2/gp-cert-rogue.hex", pki);
	snprintf(srkey, sizeof(srkey), "%.3000s/smsr2/gp-key.hex", pki);
	snprintf(eum, sizeof(eum), "%.3000s/eum/cert.pem", pki);
	pid = fork();
	if (pid == 0) {
		FILE *f = freopen(log, "w", stdout);
		if (!f || dup2(1, 2) < 0)
			_exit(126);
		execl(prog, prog, "--smsr-id", "2.999.1.2", "--db", db, "--listen", SR2_ADDR, "--port", SR2_PORT,
		      "--url", "https://" SR2_ADDR ":" SR2_PORT "/", "--cert", cert, "--key", key, "--ca", ca,
		      "--tls-keylog", keylog, "--sr-cert", srcert, "--sr-key", srkey, "--ci", ca, "--eum", eum,
		      "--peer-smsr", "2.999.1.1=https://127.0.0.41:8443/", "--mno-notify",
		      "2.999.3.2=https://127.0.0.72:8443/", "--notify-url", "https://127.0.0.72:8443/", (char *)NULL);
		_exit(127);
	}
	return pid;
}

/* Bounded: the external SM-SR listening (it prints its address once its endpoint is up). */
static bool sr2_ready(pid_t pid)
{
	char log[PATH_MAX], *text;
	size_t len;

	snprintf(log, sizeof(log), "%s/vendor-sr2.log", tmp);
	for (int i = 0; i < 100; i++) {
		int st;
		if (waitpid(pid, &st, WNOHANG) == pid)
			return false;
		text = test_slurp(log, &len);
		if (text && strstr(text, "listening on " SR2_ADDR)) {
			free(text);
			return true;
		}
		free(text);
		usleep(50000);
	}
	return false;
}

void test_interop_external_smsr2(void)
{
	static char out[1 << 17];
	char pki[PATH_MAX], cmd[PATH_MAX * 4];
	pid_t sr2;
	int st;

	if (geteuid() != 0) {
		printf("\n  skipped: interop needs root (capture, core network)\n");
		return;
	}
	snprintf(pki, sizeof(pki), "%s/pki", tmp);
	snprintf(cmd, sizeof(cmd),
		 "%s/rsplab pki init %s --eid " EID " --tls-ip 127.0.0.11 --tls-ip 127.0.0.12 --tls-ip 127.0.0.22 "
		 "--tls-ip 127.0.0.31 --tls-ip 127.0.0.41 --tls-ip 127.0.0.42 --tls-ip 127.0.0.51 --tls-ip 127.0.0.52 "
		 "--tls-ip 127.0.0.61 --tls-ip 127.0.0.71 --tls-ip 127.0.0.72",
		 bin, pki);
	CU_ASSERT_EQUAL_FATAL(sh(cmd, NULL, 0), 0);
	make_top(pki);
	sr2 = start_external_sr2(pki);
	CU_ASSERT_FATAL(sr2 > 0);
	if (!sr2_ready(sr2)) {
		CU_FAIL("the external SM-SR did not come up");
		kill(sr2, SIGKILL);
		waitpid(sr2, NULL, 0);
		return;
	}
	snprintf(cmd, sizeof(cmd),
		 "cd %s/top && timeout 600 %s/rsplab run --top %s/top --no-netns --pki %s --max-wait 60 --out %s/out "
		 "interop",
		 tmp, bin, tmp, pki, tmp);
	st = sh(cmd, out, sizeof(out));
	printf("\n--- %s ---\n%s", cmd, out);
	if (st != 0) {
		/* what the two SM-SRs said, for whoever reads the failure */
		static char logs[16384];
		snprintf(cmd, sizeof(cmd),
			 "tail -n 15 %s/vendor-sr2.log %s/out/*/*/smsr1.log; d=$(ls -d %s/out/*/TC*); %s/rsplab check "
			 "$d/capture.pcap --keys $d | grep -E 'error|warning|ES7' | head -30",
			 tmp, tmp, tmp, bin);
		sh(cmd, logs, sizeof(logs));
		printf("%s", logs);
	}
	CU_ASSERT_EQUAL(st, 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "1 pass, 0 fail, 0 error, 0 skipped"));
	/* the external SM-SR took part on the wire, as the capture shows */
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "ES7-HandoverEUICC smsr1 -> smsr2"));
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "ES7-AuthenticateSMSR smsr2 -> smsr1"));
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "FAILED"));
	/* the harness did not start or stop it: not among what it started, not in its "stopped:" list, still
	 * running */
	CU_ASSERT_PTR_NULL(strstr(out, "smsr2      rsplab-smsr"));
	{
		const char *stopped = strstr(out, "   stopped: ");
		const char *eol = stopped ? strchr(stopped, '\n') : NULL;
		const char *hit = stopped ? strstr(stopped, "smsr2") : NULL;
		CU_ASSERT_PTR_NOT_NULL(stopped);
		CU_ASSERT(!hit || (eol && hit > eol));
	}
	CU_ASSERT_EQUAL(waitpid(sr2, NULL, WNOHANG), 0);
	kill(sr2, SIGTERM);
	for (int i = 0; i < 100 && waitpid(sr2, NULL, WNOHANG) == 0; i++)
		usleep(50000);
	kill(sr2, SIGKILL);
	waitpid(sr2, NULL, 0);
}
