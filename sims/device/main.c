/* rsplab-device: the simulated IoT module (see README.md in this directory and dev.h). */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <osmocom/core/application.h>
#include <osmocom/core/logging.h>
#include <osmocom/core/select.h>
#include <osmocom/core/talloc.h>

#include "sims/device/dev.h"

static const struct log_info_cat cats[] = {
	[0] = { .name = "DDEV", .description = "rsplab-device", .enabled = 1, .loglevel = LOGL_NOTICE },
};
static const struct log_info log_info = { .cat = cats, .num_cat = ARRAY_SIZE(cats) };

static volatile sig_atomic_t quit;
static void on_signal(int sig)
{
	quit = 1;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: rsplab-device --card SPEC [options]\n"
		   "  --card vpcd:IP:PORT          act as vpcd: listen, the card process connects (default\n"
		   "                               vpcd:127.0.0.1:35963)\n"
		   "  --card vpcd-connect:IP:PORT  connect to a card that listens\n"
		   "  --card pcsc[:READER]         PC/SC (pcscd; PCSCLITE_CSOCK_NAME as usual)\n"
		   "  --card-wait MS               how long to wait for the card (default 30000)\n"
		   "  --stp IP:PORT                A interface: osmo-stp's M3UA port (no radio without it)\n"
		   "  --local-ip IP                our M3UA address (default 127.0.0.1)\n"
		   "  --bsc-pc PC --msc-pc PC      point codes, 3.8.3 (default 0.42.1, 0.23.1)\n"
		   "  --mcc N --mnc N --lac N --cell N   the simulated cell (default 1 1 11 1)\n"
		   "  --smsc DIGITS                SMSC for MO SMS without an address (default 4477000001)\n"
		   "  --imei DIGITS                15 digits (default 490154203237518)\n"
		   "  --ctrl PATH                  control socket (see ctrl.h)\n"
		   "  --refresh-tr none|before-reset   REFRESH UICC reset answer variant (default none)\n"
		   "  --events listed|always       event download policy (default listed)\n"
		   "  --no-power-on                wait for 'power on' on the control socket\n"
		   "  --t3211 S                    LU retry delay after a failure (default 15)\n"
		   "  --log-level N                libosmocore level for our lines (default 5 = notice)\n");
}

static int split_host_port(const char *s, char *host, size_t hcap, uint16_t *port)
{
	const char *c = strrchr(s, ':');
	char *end;
	if (!c || (size_t)(c - s) >= hcap)
		return -EINVAL;
	memcpy(host, s, (size_t)(c - s));
	host[c - s] = '\0';
	long p = strtol(c + 1, &end, 10);
	if (*end || p < 1 || p > 65535)
		return -EINVAL;
	*port = (uint16_t)p;
	return 0;
}

/* digits -> TON/NPI 91 (international, ISDN) ‖ BCD (TS 24.008 §10.5.4.7) */
static int smsc_encode(uint8_t out[11], size_t *len, const char *digits)
{
	size_t n = strlen(digits);
	if (n < 1 || n > 20)
		return -EINVAL;
	out[0] = 0x91;
	for (size_t i = 0; i < n; i++) {
		if (digits[i] < '0' || digits[i] > '9')
			return -EINVAL;
		uint8_t v = (uint8_t)(digits[i] - '0');
		if (i & 1)
			out[1 + i / 2] = (uint8_t)((out[1 + i / 2] & 0x0f) | v << 4);
		else
			out[1 + i / 2] = (uint8_t)(0xf0 | v);
	}
	*len = 1 + (n + 1) / 2;
	return 0;
}

int main(int argc, char **argv)
{
	static struct dev d;
	struct dev_cfg cfg = { .imei = "490154203237518", .bip_channels = 1, .power_on_at_start = true };
	const char *card = "vpcd:127.0.0.1:35963", *ctrl = NULL, *stp = NULL;
	char stp_ip[64], card_host[64];
	uint16_t stp_port = 0, card_port = 0;
	int card_wait = 30000, level = LOGL_NOTICE, rc;
	void *ctx;

	cfg.ms.cgi.lai.plmn.mcc = 1;
	cfg.ms.cgi.lai.plmn.mnc = 1;
	cfg.ms.cgi.lai.lac = 11;
	cfg.ms.cgi.cell_identity = 1;
	cfg.sccp.local_ip = "127.0.0.1";
	cfg.sccp.bsc_pc = "0.42.1";
	cfg.sccp.msc_pc = "0.23.1";
	smsc_encode(cfg.ms.sc, &cfg.ms.sc_len, "4477000001");

	static const struct option opts[] = {
		{ "card", required_argument, NULL, 'c' },     { "card-wait", required_argument, NULL, 'w' },
		{ "stp", required_argument, NULL, 's' },      { "local-ip", required_argument, NULL, 'L' },
		{ "bsc-pc", required_argument, NULL, 'b' },   { "msc-pc", required_argument, NULL, 'm' },
		{ "mcc", required_argument, NULL, 1 },	      { "mnc", required_argument, NULL, 2 },
		{ "lac", required_argument, NULL, 3 },	      { "cell", required_argument, NULL, 4 },
		{ "smsc", required_argument, NULL, 5 },	      { "imei", required_argument, NULL, 6 },
		{ "ctrl", required_argument, NULL, 7 },	      { "refresh-tr", required_argument, NULL, 8 },
		{ "events", required_argument, NULL, 9 },     { "no-power-on", no_argument, NULL, 10 },
		{ "log-level", required_argument, NULL, 11 }, { "help", no_argument, NULL, 'h' },
		{ "t3211", required_argument, NULL, 12 },     { 0 }
	};
	int o;
	while ((o = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (o) {
		case 'c': card = optarg; break;
		case 'w': card_wait = atoi(optarg); break;
		case 's': stp = optarg; break;
		case 'L': cfg.sccp.local_ip = optarg; break;
		case 'b': cfg.sccp.bsc_pc = optarg; break;
		case 'm': cfg.sccp.msc_pc = optarg; break;
		case 1: cfg.ms.cgi.lai.plmn.mcc = (uint16_t)atoi(optarg); break;
		case 2:
			cfg.ms.cgi.lai.plmn.mnc = (uint16_t)atoi(optarg);
			cfg.ms.cgi.lai.plmn.mnc_3_digits = strlen(optarg) == 3;
			break;
		case 3: cfg.ms.cgi.lai.lac = (uint16_t)atoi(optarg); break;
		case 4: cfg.ms.cgi.cell_identity = (uint16_t)atoi(optarg); break;
		case 5:
			if (smsc_encode(cfg.ms.sc, &cfg.ms.sc_len, optarg) < 0) {
				fprintf(stderr, "rsplab-device: bad --smsc '%s'\n", optarg);
				return 2;
			}
			break;
		case 6:
			if (strlen(optarg) != 15) {
				fprintf(stderr, "rsplab-device: --imei needs 15 digits\n");
				return 2;
			}
			OSMO_STRLCPY_ARRAY(cfg.imei, optarg);
			break;
		case 7: ctrl = optarg; break;
		case 8:
			rc = get_string_value(dev_stk_refresh_tr_names, optarg);
			if (rc < 0) {
				fprintf(stderr, "rsplab-device: --refresh-tr none|before-reset\n");
				return 2;
			}
			cfg.refresh_tr = (enum dev_stk_refresh_tr)rc;
			break;
		case 9:
			rc = get_string_value(dev_stk_event_policy_names, optarg);
			if (rc < 0) {
				fprintf(stderr, "rsplab-device: --events listed|always\n");
				return 2;
			}
			cfg.event_policy = (enum dev_stk_event_policy)rc;
			break;
		case 10: cfg.power_on_at_start = false; break;
		case 11: level = atoi(optarg); break;
		case 12:
			if (osmo_tdef_set(dev_ms_tdefs, DEV_MS_T3211, atoi(optarg), OSMO_TDEF_S) < 0) {
				fprintf(stderr, "rsplab-device: bad --t3211\n");
				return 2;
			}
			break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}

	ctx = talloc_named_const(NULL, 0, "rsplab-device");
	msgb_talloc_ctx_init(ctx, 0);
	osmo_init_logging2(ctx, &log_info);
	log_set_print_category(osmo_stderr_target, 1);
	log_set_print_level(osmo_stderr_target, 1);
	log_set_use_color(osmo_stderr_target, 0);
	log_set_print_extended_timestamp(osmo_stderr_target, 1);
	/* sigtran-lab pitfall: without DLGLOBAL the real no-SCTP error stays hidden */
	log_parse_category_mask(osmo_stderr_target, "DDEV,1:DLGLOBAL,3:DLSS7,3:DLM3UA,3:DLSCCP,3:DLINP,3");
	log_set_category_filter(osmo_stderr_target, DLGLOBAL, 1, level);

	if (stp) {
		if (split_host_port(stp, stp_ip, sizeof(stp_ip), &stp_port) < 0) {
			fprintf(stderr, "rsplab-device: bad --stp '%s' (IP:PORT)\n", stp);
			return 2;
		}
		cfg.sccp.stp_ip = stp_ip;
		cfg.sccp.stp_port = stp_port;
	}
	if (dev_init(&d, ctx, &cfg) < 0) {
		fprintf(stderr, "rsplab-device: init failed\n");
		return 1;
	}

	/* the card */
	if (!strncmp(card, "pcsc", 4)) {
		rc = dev_pcsc_open(&d.card.priv, card[4] == ':' ? card + 5 : NULL);
		d.card.ops = &dev_pcsc_ops;
	} else if (!strncmp(card, "vpcd:", 5) || !strncmp(card, "vpcd-connect:", 13)) {
		bool conn = card[4] == '-';
		if (split_host_port(card + (conn ? 13 : 5), card_host, sizeof(card_host), &card_port) < 0) {
			fprintf(stderr, "rsplab-device: bad --card '%s'\n", card);
			return 2;
		}
		fprintf(stderr, "rsplab-device: %s card on %s:%u (waiting up to %d ms)\n",
			conn ? "connecting to the" : "waiting for the", card_host, card_port, card_wait);
		rc = dev_vpcd_open(&d.card.priv, card_host, card_port, conn, card_wait);
		d.card.ops = &dev_vpcd_ops;
	} else {
		usage(stderr);
		return 2;
	}
	if (rc < 0) {
		fprintf(stderr, "rsplab-device: card '%s': %s\n", card, strerror(-rc));
		return 1;
	}
	if (ctrl && dev_ctrl_srv_open(&d.ctrl, ctx, ctrl, dev_ctrl_exec, &d) < 0) {
		fprintf(stderr, "rsplab-device: cannot listen on control socket %s\n", ctrl);
		return 1;
	}
	if (stp && dev_radio_start(&d) < 0) {
		fprintf(stderr, "rsplab-device: cannot start the A interface (point codes?)\n");
		return 1;
	}
	if (cfg.power_on_at_start && dev_power_on(&d) < 0) {
		fprintf(stderr, "rsplab-device: card power-on failed\n");
		return 1;
	}

	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	signal(SIGPIPE, SIG_IGN);
	while (!quit)
		osmo_select_main(0);
	/* leave cleanly: IMSI detach, then let the queued SCCP messages go out (sigtran-lab pitfall: RLC) */
	dev_power_off(&d);
	for (int i = 0; i < 30; i++) {
		osmo_select_main(1);
		usleep(10000);
	}
	dev_ctrl_srv_close(&d.ctrl);
	if (d.card.ops && d.card.ops->destroy)
		d.card.ops->destroy(d.card.priv);
	fprintf(stderr, "rsplab-device: stopped\n");
	return 0;
}
