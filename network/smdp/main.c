/* rsplab-smdp: the SM-DP daemon and its inventory commands.
 *
 *   rsplab-smdp [-c CONFIG] [-T TELNET_PORT]          run the daemon (VTY config file, telnet VTY)
 *   rsplab-smdp import --db DB [--msisdn N] [--type T] SAIPFILE...
 *                                                     import profile packages (--msisdn/--type apply
 *                                                     to the next file only)
 *   rsplab-smdp list --db DB                          the inventory, without keys
 *   rsplab-smdp export --db DB [--format kv|hlr-vty]  what the operator's HLR needs (prints keys)
 *
 * Exit status: 0 success, 1 failure, 2 usage. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <osmocom/core/application.h>
#include <osmocom/core/select.h>
#include <osmocom/core/talloc.h>
#include <osmocom/vty/logging.h>
#include <osmocom/vty/misc.h>
#include <osmocom/vty/tdef_vty.h>
#include <osmocom/vty/telnet_interface.h>
#include <osmocom/vty/vty.h>

#include "lib/esnet/esnet.h"
#include "network/smdp/inventory.h"
#include "network/smdp/logging.h"
#include "network/smdp/smdp.h"
#include "network/smdp/transport.h"
#include "network/smdp/vty.h"

#define SMDP_TELNET_PORT_DEFAULT 4260 /* rsplab's choice; not an Osmocom-assigned port */

static void *ctx;
static volatile sig_atomic_t quit;

static void usage(FILE *f)
{
	fprintf(f, "usage: rsplab-smdp [-c CONFIG] [-T TELNET_PORT]\n"
		   "       rsplab-smdp import --db DB [--msisdn N] [--type T] SAIPFILE...\n"
		   "       rsplab-smdp list --db DB\n"
		   "       rsplab-smdp export --db DB [--format kv|hlr-vty]\n");
}

static int read_file(const char *path, uint8_t **buf, size_t *len)
{
	FILE *f = fopen(path, "rb");
	size_t n;

	if (!f)
		return -errno;
	*buf = talloc_size(ctx, SMDP_PKG_MAX + 1);
	n = fread(*buf, 1, SMDP_PKG_MAX + 1, f);
	fclose(f);
	if (n > SMDP_PKG_MAX)
		return -EMSGSIZE;
	*len = n;
	return 0;
}

static int cmd_inventory(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "db", required_argument, NULL, 'd' },	  { "msisdn", required_argument, NULL, 'm' },
		{ "type", required_argument, NULL, 't' }, { "format", required_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },	  { NULL, 0, NULL, 0 }
	};
	const char *cmd = argv[0], *db = NULL, *msisdn = NULL, *type = NULL;
	enum smdp_export_format fmt = SMDP_EXPORT_KV;
	struct smdp_store *s = NULL;
	int c, rc = 0, n_files = 0;

	optind = 1;
	/* "-" keeps the files in order with the per-file options (GNU getopt: non-options as 1). */
	while ((c = getopt_long(argc, argv, "-d:m:t:f:h", opts, NULL)) != -1) {
		switch (c) {
		case 'd': db = optarg; break;
		case 'm': msisdn = optarg; break;
		case 't': type = optarg; break;
		case 'f':
			if (get_string_value(smdp_export_format_names, optarg) < 0) {
				fprintf(stderr, "rsplab-smdp: unknown export format '%s' (kv, hlr-vty)\n", optarg);
				return 2;
			}
			fmt = get_string_value(smdp_export_format_names, optarg);
			break;
		case 'h': usage(stdout); return 0;
		case 1: {
			uint8_t *pkg = NULL;
			size_t len = 0;
			struct smdp_profile p;
			int r;

			if (strcmp(cmd, "import") != 0) {
				usage(stderr);
				return 2;
			}
			if (!s) {
				if (!db) {
					fprintf(stderr, "rsplab-smdp: --db is required before the files\n");
					return 2;
				}
				if (smdp_store_open(ctx, db, &s) < 0) {
					fprintf(stderr, "rsplab-smdp: cannot open %s\n", db);
					return 1;
				}
			}
			n_files++;
			r = read_file(optarg, &pkg, &len);
			if (r == 0)
				r = smdp_inventory_import(s, pkg, len, msisdn, type, &p);
			talloc_free(pkg);
			if (r < 0) {
				fprintf(stderr, "rsplab-smdp: %s: %s\n", optarg,
					r == -EBADMSG  ? "not a usable profile package (ICCID, IMSI, key, PE-End)"
					: r == -EEXIST ? "ICCID or IMSI already in the inventory"
						       : strerror(-r));
				rc = 1;
			} else {
				printf("imported %s ICCID %s IMSI %s\n", optarg, p.iccid, p.imsi);
			}
			msisdn = type = NULL;
			break;
		}
		default: usage(stderr); return 2;
		}
	}
	if (!db) {
		usage(stderr);
		return 2;
	}
	if (strcmp(cmd, "import") == 0) {
		if (!n_files) {
			usage(stderr);
			return 2;
		}
		smdp_store_close(s);
		return rc;
	}
	if (smdp_store_open(ctx, db, &s) < 0) {
		fprintf(stderr, "rsplab-smdp: cannot open %s\n", db);
		return 1;
	}
	if (strcmp(cmd, "list") == 0)
		rc = smdp_inventory_list(s, stdout) < 0;
	else
		rc = smdp_inventory_export(s, stdout, fmt) < 0;
	smdp_store_close(s);
	return rc;
}

static void sig_cb(int sig)
{
	quit = 1;
}

static struct vty_app_info vty_info = {
	.name = "rsplab-smdp",
	.version = "0",
	.copyright = "rsplab SM-DP (SGP.02 testbed)\r\n",
};

static int daemon_main(int argc, char **argv)
{
	const char *config = "rsplab-smdp.cfg";
	int telnet_port = SMDP_TELNET_PORT_DEFAULT, c, rc = 1;
	struct smdp_cfg cfg;
	struct smdp_store *store = NULL;
	struct smdp_transport *t = NULL;
	struct smdp_ops ops;
	struct smdp *s = NULL;
	struct osmo_tdef_group groups[] = {
		{ .name = "smdp", .desc = "SM-DP procedure timers", .tdefs = smdp_tdefs },
		{ .name = "esnet", .desc = "ES web-service timers (HTTP, callbacks)", .tdefs = esnet_tdefs },
		{}
	};

	while ((c = getopt(argc, argv, "c:T:h")) != -1) {
		switch (c) {
		case 'c': config = optarg; break;
		case 'T': telnet_port = atoi(optarg); break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	smdp_cfg_init(&cfg);
	osmo_tdefs_reset(esnet_tdefs);
	vty_info.tall_ctx = ctx;
	vty_init(&vty_info);
	logging_vty_add_cmds();
	osmo_tdef_vty_groups_init(CONFIG_NODE, groups);
	smdp_vty_init(&cfg, &store);
	if (vty_read_config_file(config, NULL) < 0) {
		fprintf(stderr, "rsplab-smdp: cannot read config %s\n", config);
		goto out;
	}
	if (!cfg.dp_cert_len || !cfg.dp_key || !cfg.ci || !cfg.n_eum) {
		LOGP(DSMDP, LOGL_ERROR,
		     "config lacks dp-certificate, dp-private-key, ci-certificate or eum-certificate\n");
		goto out;
	}
	if (smdp_store_open(ctx, cfg.db_path, &store) < 0)
		goto out;
	t = smdp_transport_alloc(ctx, &cfg, &ops);
	if (!t) {
		LOGP(DSMDP, LOGL_ERROR, "ES endpoint not started (%s)\n", strerror(errno));
		goto out;
	}
	s = smdp_alloc(ctx, &cfg, store, &ops);
	if (!s)
		goto out;
	smdp_transport_bind(t, s);
	smdp_vty_set_daemon(s);
	if (telnet_init_default(ctx, NULL, telnet_port) < 0)
		goto out;
	LOGP(DSMDP, LOGL_NOTICE, "rsplab-smdp up: ES endpoint port %u, %d download(s) recovered\n",
	     smdp_transport_port(t), smdp_recover(s));
	signal(SIGINT, sig_cb);
	signal(SIGTERM, sig_cb);
	while (!quit)
		osmo_select_main_ctx(0);
	rc = 0;
out:
	smdp_vty_set_daemon(NULL);
	smdp_free(s);
	smdp_transport_free(t);
	smdp_store_close(store);
	smdp_cfg_fini(&cfg);
	return rc;
}

int main(int argc, char **argv)
{
	int rc;

	ctx = talloc_named_const(NULL, 0, "rsplab-smdp");
	osmo_init_logging2(ctx, &smdp_log_info);
	log_set_print_category(osmo_stderr_target, 1);
	if (argc > 1 &&
	    (strcmp(argv[1], "import") == 0 || strcmp(argv[1], "list") == 0 || strcmp(argv[1], "export") == 0)) {
		log_set_log_level(osmo_stderr_target, LOGL_ERROR);
		rc = cmd_inventory(argc - 1, argv + 1);
	} else {
		rc = daemon_main(argc, argv);
	}
	return rc;
}
