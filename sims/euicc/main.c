/* rsplab-euicc: the simulated SGP.02 eUICC.
 *
 *   rsplab-euicc init --pki DIR (--eid EID | --auto) --profile SAIPFILE -o CARD.db
 *                     [--smsr-sms "TON NPI DIGITS"] [--msisdn DIGITS]
 *                     [--eum-id OID] [--smsr-id OID] [--mno-id OID] [--eis-sig dsig-detached|direct]
 *                     [--add-profile SAIPFILE]...
 *                     [--admin-addr IPV4:PORT] [--notif-transport sms|https] [--notif-carriage uri-msg|body]
 *       makes a card file (0600) with an enabled first profile (and, with --add-profile, further
 *       disabled ones in ISD-Ps TAR 000011, 000012, ...), ISD-R SCP80 KVN 01 and SCP81 KVN 40
 *       keys (random), writes the keys for the SM-SR to CARD.db.keys (0600, key=value hex) and prints
 *       the EIS as an ES1.RegisterEIS SOAP message signed with DIR/eum/key.pem (eis.h) on stdout.
 *       --admin-addr: the SM-SR's SCP81 address for sessions the card opens itself; --notif-transport:
 *       how its E1 notifications go (card.h enum euicc_notif_transport, default sms; https needs
 *       --admin-addr) and --notif-carriage how the E1 rides in the first POST (lib/ramhttp).
 *   rsplab-euicc serve [--notif-interval S] CARD.db[@HOST:PORT] ...
 *       puts each card into a vpcd reader (default 127.0.0.1:35963, 35964, ...), one connection per
 *       card, all on one osmo_select_main loop.
 *   rsplab-euicc dump CARD.db
 *       prints the card's ISD-Ps (state, ICCID) and ISD-R key sets (KVN, type; never key values) in the
 *       line format of dump.h; read-only, safe while `serve` has the file open.
 *   rsplab-euicc keys CARD.db
 *       prints the card's current SCP80 key sets (secret: for the harness's 0600 scp80.keys, so that the
 *       checker decrypts packets under key sets made during the run, e.g. by SM-SR Change). */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/pem.h>
#include <osmocom/core/select.h>
#include <osmocom/core/timer.h>
#include <osmocom/core/utils.h>

#include "lib/crypto/ec.h"
#include "lib/crypto/x509.h"
#include "lib/ids/ids.h"
#include "sims/euicc/dump.h"
#include "sims/euicc/eis.h"
#include "sims/euicc/factory.h"
#include "sims/euicc/vpcd.h"

#define MAX_CARDS	 64
#define MAX_ADD_PROFILES 8

static int read_file(const char *path, uint8_t *buf, size_t cap, size_t *len)
{
	FILE *f = fopen(path, "rb");
	size_t n;

	if (!f) {
		fprintf(stderr, "rsplab-euicc: %s: %s\n", path, strerror(errno));
		return -ENOENT;
	}
	n = fread(buf, 1, cap, f);
	fclose(f);
	if (n == cap) {
		fprintf(stderr, "rsplab-euicc: %s: too large\n", path);
		return -EMSGSIZE;
	}
	*len = n;
	return 0;
}

/* A one-line hex file of the PKI. */
static int read_hex(const char *dir, const char *rel, uint8_t *out, size_t cap, size_t *len)
{
	char path[1024], text[4096];
	size_t n;
	int rc;

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	if (read_file(path, (uint8_t *)text, sizeof(text) - 1, &n) < 0)
		return -ENOENT;
	while (n && (text[n - 1] == '\n' || text[n - 1] == '\r'))
		n--;
	text[n] = 0;
	rc = osmo_hexparse(text, out, (unsigned int)cap);
	if (rc < 0) {
		fprintf(stderr, "rsplab-euicc: %s: not hex\n", path);
		return -EINVAL;
	}
	*len = (size_t)rc;
	return 0;
}

static void kv_hex(FILE *f, const char *k, const uint8_t *b, size_t n)
{
	fprintf(f, "%s=", k);
	for (size_t i = 0; i < n; i++)
		fprintf(f, "%02x", b[i]);
	fprintf(f, "\n");
}

/* The ES1.RegisterEIS of the new card, signed with SK.EUM.ECDSA (PKI/eum/key.pem), to stdout. */
static int print_eis(const char *pki, const char *card, const struct euicc_eis_params *ep, enum es_eumsig_variant v)
{
	static struct es_msg msg;
	static struct euicc_eis_buf eb;
	static uint8_t xml[65536];
	struct euicc_store *st = NULL;
	EVP_PKEY *eum = NULL;
	char path[1024];
	FILE *f;
	int n;

	snprintf(path, sizeof(path), "%s/eum/key.pem", pki);
	f = fopen(path, "r");
	if (!f || !(eum = PEM_read_PrivateKey(f, NULL, NULL, NULL))) {
		fprintf(stderr, "rsplab-euicc: %s: cannot read the EUM key\n", path);
		if (f)
			fclose(f);
		return -1;
	}
	fclose(f);
	n = euicc_store_open(&st, card, false);
	if (n == 0)
		n = euicc_eis_fill(&msg, &eb, st, ep);
	if (n == 0)
		n = euicc_eis_sign(xml, sizeof(xml), &msg, &eb, eum, v);
	euicc_store_close(st);
	EVP_PKEY_free(eum);
	if (n < 0) {
		fprintf(stderr, "rsplab-euicc: cannot build the EIS: %s\n", strerror(-n));
		return -1;
	}
	fwrite(xml, 1, (size_t)n, stdout);
	fputc('\n', stdout);
	return 0;
}

static void usage_init(void)
{
	fprintf(stderr, "usage: rsplab-euicc init --pki DIR (--eid EID | --auto) --profile SAIPFILE -o CARD.db\n"
			"                         [--smsr-sms \"TON NPI DIGITS\"] [--msisdn DIGITS]\n"
			"                         [--eum-id OID] [--smsr-id OID] [--mno-id OID]\n"
			"                         [--eis-sig dsig-detached|direct]\n"
			"                         [--add-profile SAIPFILE]...  (disabled, ISD-P TAR 000011, ...)\n"
			"                         [--admin-addr IPV4:PORT] [--notif-transport sms|https]\n"
			"                         [--notif-carriage uri-msg|body]\n");
}

static int cmd_init(int argc, char **argv)
{
	static const struct option opts[] = { { "pki", 1, NULL, 'p' },
					      { "eid", 1, NULL, 'e' },
					      { "auto", 0, NULL, 'a' },
					      { "profile", 1, NULL, 'P' },
					      { "smsr-sms", 1, NULL, 's' },
					      { "msisdn", 1, NULL, 'm' },
					      { "eum-id", 1, NULL, 'E' },
					      { "smsr-id", 1, NULL, 'S' },
					      { "mno-id", 1, NULL, 'M' },
					      { "eis-sig", 1, NULL, 'G' },
					      { "add-profile", 1, NULL, 'A' },
					      { "help", 0, NULL, 'h' },
					      { "admin-addr", 1, NULL, 'D' },
					      { "notif-transport", 1, NULL, 'T' },
					      { "notif-carriage", 1, NULL, 'C' },
					      { NULL, 0, NULL, 0 } };
	struct euicc_eis_params ep = { .eum_id = "1.3.6.1.4.1.99999.1",
				       .smsr_id = "1.3.6.1.4.1.99999.2",
				       .mno_id = "1.3.6.1.4.1.99999.3" };
	int eis_sig = ES_EUMSIG_DSIG_DETACHED;
	const char *pki = NULL, *eid = NULL, *profile = NULL, *out = NULL, *smsr = NULL, *msisdn = NULL;
	const char *more[MAX_ADD_PROFILES];
	unsigned int n_more = 0;
	static uint8_t saip[65536], cert[1024], buf[256];
	char eids[64 * 33 + 1], rel[128], curve_name[32], keypath[1100];
	struct euicc_factory f = { 0 };
	size_t n, saip_len, cert_len;
	bool autoeid = false;
	int c, rc;
	FILE *kf;

	optind = 1;
	while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
		switch (c) {
		case 'p': pki = optarg; break;
		case 'e': eid = optarg; break;
		case 'a': autoeid = true; break;
		case 'P': profile = optarg; break;
		case 's': smsr = optarg; break;
		case 'm': msisdn = optarg; break;
		case 'o': out = optarg; break;
		case 'E': ep.eum_id = optarg; break;
		case 'S': ep.smsr_id = optarg; break;
		case 'M': ep.mno_id = optarg; break;
		case 'D': f.admin_addr = optarg; break;
		case 'T':
			if (get_string_value(euicc_notif_transport_names, optarg) < 0) {
				fprintf(stderr, "rsplab-euicc: --notif-transport: sms or https\n");
				return 2;
			}
			f.notif_transport = optarg;
			break;
		case 'C':
			if (get_string_value(ramhttp_notif_carriage_names, optarg) < 0) {
				fprintf(stderr, "rsplab-euicc: --notif-carriage: uri-msg or body\n");
				return 2;
			}
			f.notif_carriage = optarg;
			break;
		case 'G':
			eis_sig = get_string_value(es_eumsig_variant_names, optarg);
			if (eis_sig < 0) {
				usage_init();
				return 2;
			}
			break;
		case 'A':
			if (n_more == MAX_ADD_PROFILES) {
				fprintf(stderr, "rsplab-euicc: at most %d --add-profile\n", MAX_ADD_PROFILES);
				return 2;
			}
			more[n_more++] = optarg;
			break;
		case 'h': usage_init(); return 0;
		default: usage_init(); return 2;
		}
	}
	if (!pki || !profile || !out || (!eid && !autoeid) || (eid && autoeid)) {
		usage_init();
		return 2;
	}
	if (f.notif_transport && !strcmp(f.notif_transport, "https") && !f.admin_addr) {
		fprintf(stderr, "rsplab-euicc: --notif-transport https needs --admin-addr\n");
		return 2;
	}
	if (autoeid) { /* the first EID of DIR/euicc/eids */
		char path[1024];
		snprintf(path, sizeof(path), "%s/euicc/eids", pki);
		if (read_file(path, (uint8_t *)eids, sizeof(eids) - 1, &n) < 0 || n < 32)
			return 1;
		eids[32] = 0;
		eid = eids;
	}
	if (ids_eid_verify(eid, strlen(eid), NULL) < 0) {
		fprintf(stderr, "rsplab-euicc: '%s' is not an EID\n", eid);
		return 2;
	}
	snprintf(rel, sizeof(rel), "curve");
	{
		char path[1024];
		snprintf(path, sizeof(path), "%s/curve", pki);
		if (read_file(path, (uint8_t *)curve_name, sizeof(curve_name) - 1, &n) < 0)
			return 1;
		while (n && curve_name[n - 1] == '\n')
			n--;
		curve_name[n] = 0;
		rc = crypto_curve_from_name(curve_name);
		if (rc < 0) {
			fprintf(stderr, "rsplab-euicc: unknown curve '%s'\n", curve_name);
			return 1;
		}
		f.curve = (enum crypto_curve)rc;
	}
	snprintf(rel, sizeof(rel), "euicc/%s/ecasd-key.hex", eid);
	if (read_hex(pki, rel, buf, sizeof(buf), &n) < 0 || n != EC_SCALAR_LEN)
		return 1;
	memcpy(f.sk_ecasd, buf, EC_SCALAR_LEN);
	snprintf(rel, sizeof(rel), "euicc/%s/ecasd-cert.hex", eid);
	if (read_hex(pki, rel, cert, sizeof(cert), &cert_len) < 0)
		return 1;
	if (read_hex(pki, "ci/public.hex", buf, sizeof(buf), &n) < 0 || n != EC_POINT_LEN)
		return 1;
	memcpy(f.pk_ci, buf, EC_POINT_LEN);
	if (read_file(profile, saip, sizeof(saip), &saip_len) < 0)
		return 1;
	f.eid = eid;
	f.cert_ecasd = cert;
	f.cert_len = cert_len;
	f.saip = saip;
	f.saip_len = saip_len;
	f.msisdn = msisdn;
	f.smsr_sms = smsr;
	rc = euicc_factory_make(out, &f);
	if (rc < 0) {
		fprintf(stderr, "rsplab-euicc: cannot make %s: %s\n", out, strerror(-rc));
		return 1;
	}
	for (unsigned int i = 0; i < n_more; i++) {
		if (read_file(more[i], saip, sizeof(saip), &saip_len) < 0 ||
		    (rc = euicc_factory_add_profile(out, saip, saip_len, NULL, EUICC_FIRST_ISDP_TAR + 1 + i)) < 0) {
			fprintf(stderr, "rsplab-euicc: cannot add profile %s to %s: %s\n", more[i], out,
				strerror(rc < 0 ? -rc : EIO));
			unlink(out);
			return 1;
		}
	}
	/* The SM-SR is provisioned from this file; keys never go to stdout. */
	snprintf(keypath, sizeof(keypath), "%s.keys", out);
	int fd = open(keypath, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0 || !(kf = fdopen(fd, "w"))) {
		fprintf(stderr, "rsplab-euicc: %s: %s\n", keypath, strerror(errno));
		if (fd >= 0)
			close(fd);
		unlink(out);
		return 1;
	}
	fprintf(kf, "eid=%s\n", eid);
	fprintf(kf, "scp80.kvn=01\nscp80.kic_kid=12\n");
	kv_hex(kf, "scp80.kic", f.scp80[0], 16);
	kv_hex(kf, "scp80.kid", f.scp80[1], 16);
	kv_hex(kf, "scp80.kik", f.scp80[2], 16);
	fprintf(kf, "scp81.kvn=40\n");
	kv_hex(kf, "scp81.psk", f.scp81[0], 16);
	kv_hex(kf, "scp81.dek", f.scp81[1], 16);
	fclose(kf);
	if (print_eis(pki, out, &ep, (enum es_eumsig_variant)eis_sig) < 0) {
		unlink(out);
		unlink(keypath);
		return 1;
	}
	fprintf(stderr, "card=%s\nkeys=%s\n", out, keypath);
	return 0;
}

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	stop = 1;
}

struct served {
	struct euicc_card *card;
	struct euicc_vpcd_conn *conn;
};
static struct served served[MAX_CARDS];
static unsigned int n_served;
static struct osmo_timer_list tick;
static unsigned int tick_s = 600; /* open-questions §9: every 10 min */

static struct osmo_timer_list admin_tick;

/* the retry policy of SCP81 admin sessions (admin.c) counts in seconds */
static void admin_tick_cb(void *data)
{
	for (unsigned int i = 0; i < n_served; i++)
		euicc_card_admin_tick(served[i].card, 1);
	osmo_timer_schedule(&admin_tick, 1, 0);
}

static void tick_cb(void *data)
{
	for (unsigned int i = 0; i < n_served; i++)
		euicc_card_notif_tick(served[i].card);
	osmo_timer_schedule(&tick, tick_s, 0);
}

static int cmd_serve(int argc, char **argv)
{
	int port = 35963;

	for (int i = 1; i < argc; i++) {
		char host[64] = "127.0.0.1", path[1024];
		char *at;
		int p = port + (int)n_served;

		if (!strcmp(argv[i], "--notif-interval") && i + 1 < argc) {
			tick_s = (unsigned int)atoi(argv[++i]);
			continue;
		}
		snprintf(path, sizeof(path), "%s", argv[i]);
		at = strrchr(path, '@');
		if (at) {
			*at = 0;
			if (sscanf(at + 1, "%63[^:]:%d", host, &p) != 2) {
				fprintf(stderr, "rsplab-euicc: bad address in %s\n", argv[i]);
				return 2;
			}
		}
		if (n_served >= MAX_CARDS)
			return 2;
		if (euicc_card_open(&served[n_served].card, path, NULL) < 0) {
			fprintf(stderr, "rsplab-euicc: cannot open card %s\n", path);
			return 1;
		}
		if (euicc_vpcd_conn_start(&served[n_served].conn, served[n_served].card, host, (uint16_t)p) < 0)
			return 1;
		n_served++;
	}
	if (!n_served) {
		fprintf(stderr, "usage: rsplab-euicc serve [--notif-interval S] CARD.db[@HOST:PORT] ...\n");
		return 2;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGPIPE, SIG_IGN);
	osmo_timer_setup(&tick, tick_cb, NULL);
	osmo_timer_schedule(&tick, tick_s ? tick_s : 600, 0);
	osmo_timer_setup(&admin_tick, admin_tick_cb, NULL);
	osmo_timer_schedule(&admin_tick, 1, 0);
	while (!stop)
		osmo_select_main(0);
	for (unsigned int i = 0; i < n_served; i++) {
		euicc_vpcd_conn_stop(served[i].conn);
		euicc_card_close(served[i].card);
	}
	return 0;
}

static int cmd_dump(int argc, char **argv)
{
	struct euicc_store *st = NULL;
	int rc;

	if (argc != 2 || argv[1][0] == '-') {
		fprintf(stderr, "usage: rsplab-euicc dump CARD.db\n");
		return argc == 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) ? 0 : 2;
	}
	rc = euicc_store_open_ro(&st, argv[1]);
	if (rc == 0)
		rc = euicc_dump(st, stdout);
	euicc_store_close(st);
	if (rc < 0) {
		fprintf(stderr, "rsplab-euicc: cannot dump %s: %s\n", argv[1], strerror(-rc));
		return 1;
	}
	return fflush(stdout) == 0 ? 0 : 1;
}

/* The current SCP80 key sets in the `rsplab check --keys-file` format, for the checker to decrypt what
 * was sent with key sets created during the run (SM-SR Change). Secret: written only to stdout, which
 * the caller makes a 0600 file; never to a log. */
static int cmd_keys(int argc, char **argv)
{
	struct euicc_store *st = NULL;
	struct euicc_keyset ks[EUICC_MAX_KEYSETS];
	char hex[2 * EUICC_KEY_MAX + 1];
	int n;

	if (argc != 2 || argv[1][0] == '-') {
		fprintf(stderr, "usage: rsplab-euicc keys CARD.db   (SCP80 key sets as scp80.<kvn>.kic/kid = HEX)\n");
		return argc == 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) ? 0 : 2;
	}
	n = euicc_store_open_ro(&st, argv[1]);
	if (n == 0)
		n = euicc_store_keyset_list(st, ks, EUICC_MAX_KEYSETS);
	euicc_store_close(st);
	if (n < 0) {
		fprintf(stderr, "rsplab-euicc: cannot read the key sets of %s: %s\n", argv[1], strerror(-n));
		return 1;
	}
	for (int i = 0; i < n; i++) {
		if (ks[i].type != EUICC_KEYSET_SCP80 || !ks[i].key_len[0] || !ks[i].key_len[1])
			continue;
		printf("scp80.0x%02x.kic = %s\n", ks[i].kvn,
		       osmo_hexdump_buf(hex, sizeof(hex), ks[i].key[0], ks[i].key_len[0], "", false));
		printf("scp80.0x%02x.kid = %s\n", ks[i].kvn,
		       osmo_hexdump_buf(hex, sizeof(hex), ks[i].key[1], ks[i].key_len[1], "", false));
	}
	explicit_bzero(ks, sizeof(ks));
	explicit_bzero(hex, sizeof(hex));
	return fflush(stdout) == 0 ? 0 : 1;
}

int main(int argc, char **argv)
{
	if (argc >= 2 && !strcmp(argv[1], "init"))
		return cmd_init(argc - 1, argv + 1);
	if (argc >= 2 && !strcmp(argv[1], "serve"))
		return cmd_serve(argc - 1, argv + 1);
	if (argc >= 2 && !strcmp(argv[1], "dump"))
		return cmd_dump(argc - 1, argv + 1);
	if (argc >= 2 && !strcmp(argv[1], "keys"))
		return cmd_keys(argc - 1, argv + 1);
	fprintf(stderr, "usage: rsplab-euicc init ... | serve ... | dump CARD.db | keys CARD.db   (--help after a "
			"command)\n");
	return argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) ? 0 : 2;
}
