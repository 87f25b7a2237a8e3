/* `rsplab check CAPTURE ...`: the compliance checker on the command line (README, harness/check). */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <osmocom/core/utils.h>
#include <talloc.h>

#include "harness/check/check.h"
#include "harness/check/kv.h"
#include "harness/cli.h"

static void usage(FILE *out)
{
	fprintf(out,
		"usage: rsplab check CAPTURE [--keys RUNDIR] [--keylog FILE]... [--keys-file KV] [--variant NAME]...\n"
		"                    [--xsd DIR] [--json FILE|-] [-v]\n"
		"Check a capture (pcap or pcapng; ours or a vendor lab's) against SGP.02: TCP reassembly, TLS 1.2\n"
		"decryption from NSS key logs, HTTP/SOAP with XSD and WS-Addressing/RPSHeader rules, SMPP, Kannel\n"
		"sendsms, SMS user data, SCP80 (verified and decrypted with the run's keys), remote scripts, ES5/ES8\n"
		"commands, E1 notifications, and the SM-SR Change / profile download procedures.\n"
		"  --keys RUNDIR     every *.keylog / keylog* file below RUNDIR, and RUNDIR/scp80.keys if present\n"
		"  --keylog FILE     an NSS key-log file (CLIENT_RANDOM lines)\n"
		"  --keys-file KV    SCP80 keys, lines `scp80.<kvn>.kic = HEX` and `scp80.<kvn>.kid = HEX`\n"
		"  --variant NAME    pin a variant (then a peer using another one is an error): NS_V3,\n"
		"                    WS_NS_V1_NJIWA, ACTION_SUFFIXED, ACTION_PLAIN, TS_AS_XSD, TS_UNIFORM,\n"
		"                    AUTH_SMSR_EIS, AUTH_SMSR_EID, SPI_1639, SPI_1621\n"
		"  --xsd DIR         the schema directory (default: lib/es/xsd of this build)\n"
		"  --json FILE|-     write the JSON result to FILE (or to stdout instead of the text listing)\n"
		"  -v                also list every frame that could not be decrypted\n"
		"Exit status: 0 no error findings, 1 error findings (or a failure), 2 usage.\n");
}

static int variant_pin(struct check_opts *o, const char *name)
{
	int v;

	if ((v = get_string_value(es_ns_variant_names, name)) >= 0) {
		o->es_variant.ns = v;
		o->es_variant_pinned = true;
	} else if ((v = get_string_value(es_action_variant_names, name)) >= 0) {
		o->es_variant.action = v;
		o->es_variant_pinned = true;
	} else if ((v = get_string_value(es_ts_variant_names, name)) >= 0) {
		o->es_variant.ts = v;
		o->es_variant_pinned = true;
	} else if ((v = get_string_value(es_auth_smsr_variant_names, name)) >= 0) {
		o->es_variant.auth_smsr = v;
		o->es_variant_pinned = true;
	} else if ((v = get_string_value(scp80_spi_variant_names, name)) >= 0) {
		o->spi_variant = v;
		o->spi_pinned = true;
	} else {
		return -EINVAL;
	}
	return 0;
}

static bool is_keylog_name(const char *n)
{
	size_t l = strlen(n);

	return (l > 7 && !strcmp(n + l - 7, ".keylog")) || !strncmp(n, "keylog", 6) || !strncmp(n, "sslkeylog", 9);
}

/* Load key logs below dir (depth-limited). Returns the number of files read. */
static int load_keylogs(struct tlsdec_keylog *kl, const char *dir, int depth)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int files = 0;

	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		char path[4096];
		struct stat st;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (lstat(path, &st))
			continue;
		if (S_ISDIR(st.st_mode) && depth < 4) {
			int n = load_keylogs(kl, path, depth + 1);
			if (n > 0)
				files += n;
		} else if (S_ISREG(st.st_mode) && is_keylog_name(de->d_name)) {
			unsigned int bad = 0;
			if (tlsdec_keylog_load(kl, path, &bad) >= 0)
				files++;
			if (bad)
				fprintf(stderr, "check: %s: %u line(s) not understood\n", path, bad);
		}
	}
	closedir(d);
	return files;
}

int cmd_check(int argc, char **argv)
{
	const char *capture = NULL, *keys_dir = NULL, *keys_file = NULL, *xsd = NULL, *json = NULL;
	const char *keylogs[32];
	unsigned int nkeylogs = 0;
	bool verbose = false;
	void *ctx = talloc_named_const(NULL, 0, "rsplab check");
	struct check_opts *o = talloc_zero(ctx, struct check_opts);
	struct tlsdec_keylog *kl = tlsdec_keylog_alloc(ctx);
	struct es_schema *schema = NULL;
	struct checker *ck;
	char err[512] = "", xsd_buf[1024];
	int rc = 1;

	if (!o || !kl)
		goto out;
	check_opts_init(o);
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		bool has_val = i + 1 < argc;

		if (cli_is_help(a)) {
			usage(stdout);
			rc = 0;
			goto out;
		} else if (!strcmp(a, "--keys") && has_val) {
			keys_dir = argv[++i];
		} else if (!strcmp(a, "--keylog") && has_val && nkeylogs < ARRAY_SIZE(keylogs)) {
			keylogs[nkeylogs++] = argv[++i];
		} else if (!strcmp(a, "--keys-file") && has_val) {
			keys_file = argv[++i];
		} else if (!strcmp(a, "--variant") && has_val) {
			if (variant_pin(o, argv[++i]) < 0) {
				fprintf(stderr, "check: unknown variant %s (see --help)\n", argv[i]);
				rc = 2;
				goto out;
			}
		} else if (!strcmp(a, "--xsd") && has_val) {
			xsd = argv[++i];
		} else if (!strcmp(a, "--json") && has_val) {
			json = argv[++i];
		} else if (!strcmp(a, "-v")) {
			verbose = true;
		} else if (a[0] != '-' && !capture) {
			capture = a;
		} else {
			fprintf(stderr, "check: unexpected argument %s\n", a);
			usage(stderr);
			rc = 2;
			goto out;
		}
	}
	if (!capture) {
		usage(stderr);
		rc = 2;
		goto out;
	}
	for (unsigned int i = 0; i < nkeylogs; i++) {
		unsigned int bad = 0;
		int n = tlsdec_keylog_load(kl, keylogs[i], &bad);

		if (n < 0) {
			fprintf(stderr, "check: key log %s: %s\n", keylogs[i], strerror(-n));
			goto out;
		}
		if (bad)
			fprintf(stderr, "check: %s: %u line(s) not understood\n", keylogs[i], bad);
	}
	if (keys_dir) {
		char kv[4096];
		struct stat st;

		if (load_keylogs(kl, keys_dir, 0) < 0) {
			fprintf(stderr, "check: run directory %s: %s\n", keys_dir, strerror(errno));
			goto out;
		}
		snprintf(kv, sizeof(kv), "%s/scp80.keys", keys_dir);
		if (!keys_file && stat(kv, &st) == 0)
			keys_file = talloc_strdup(ctx, kv);
	}
	if (keys_file) {
		int n = check_kv_load_scp80(o, keys_file, err, sizeof(err));

		if (n < 0) {
			fprintf(stderr, "check: %s\n", err);
			goto out;
		}
	}
	o->keylog = kl;
	if (!xsd && es_xsd_dir_default(xsd_buf, sizeof(xsd_buf)) > 0)
		xsd = xsd_buf;
	if (xsd && es_schema_load(&schema, xsd) < 0) {
		fprintf(stderr, "check: the schemas in %s do not load\n", xsd);
		goto out;
	}
	if (!schema)
		fprintf(stderr, "check: no XSD directory found: messages are not validated (use --xsd DIR)\n");
	o->schema = schema;
	ck = checker_alloc(ctx, o);
	if (!ck)
		goto out;
	if (checker_run_file(ck, capture, err, sizeof(err)) < 0) {
		fprintf(stderr, "check: %s: %s\n", capture, err);
		goto out;
	}
	if (!json || strcmp(json, "-"))
		checker_print_text(ck, stdout, verbose);
	if (json) {
		FILE *f = strcmp(json, "-") ? fopen(json, "w") : stdout;

		if (!f) {
			fprintf(stderr, "check: %s: %s\n", json, strerror(errno));
			goto out;
		}
		checker_print_json(ck, f);
		if (f != stdout)
			fclose(f);
	}
	rc = checker_count(ck, CHECK_SEV_ERROR) ? 1 : 0;
out:
	es_schema_free(schema);
	talloc_free(ctx);
	return rc;
}
