/* rsplab-smsr VTY: the `smsr` configuration node (one command per command-line option of main.c,
 * every value checked when the line is read), config_write so the running config round-trips, and the
 * telnet show commands (smsr_vty.h). No command prints key material: `show eis` selects no key column,
 * the configuration holds file names only. */
#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sqlite3.h>
#include <osmocom/core/talloc.h>
#include <osmocom/core/tdef.h>
#include <osmocom/core/utils.h>
#include <osmocom/vty/command.h>
#include <osmocom/vty/misc.h>
#include <osmocom/vty/tdef_vty.h>
#include <osmocom/vty/vty.h>

#include "lib/es5/es5.h"
#include "lib/esnet/esnet.h"
#include "lib/scp80/scp80.h"
#include "network/smsr/smsr.h"
#include "network/smsr/smsr_change.h"
#include "network/smsr/smsr_ctr.h"
#include "network/smsr/smsr_es3.h"
#include "network/smsr/smsr_ota.h"
#include "network/smsr/smsr_scp81.h"
#include "network/smsr/smsr_smpp.h"
#include "network/smsr/smsr_vty.h"

enum smsr_vty_node {
	SMSR_NODE = _LAST_OSMOVTY_NODE + 1,
};

static struct smsr_vty_cfg *g_cfg;
static struct smsr_store *g_store;
static struct smsr_change *g_chg;
static struct esnet *g_es;
static char g_err[256]; /* the message of the last refused line */

static struct cmd_node smsr_node = { .node = SMSR_NODE, .prompt = "%s(config-smsr)# ", .vtysh = 1 };

/* The live timer tables, one group each (`timer GROUP TNNNN VALUE`, `show timer`). A group's desc is the
 * help text of its keyword (one line). */
struct osmo_tdef_group smsr_vty_tdef_groups[] = { { .name = "proc",
						    .desc = "ES5 procedures (smsr.c): X20 script result, X21 E1 "
							    "notification of EnableProfile",
						    .tdefs = smsr_tdefs },
						  { .name = "ota",
						    .desc = "ES5 over SMS (smsr_ota, SCP80): X30 PoR, X31 MO "
							    "reassembly",
						    .tdefs = smsr_ota_tdefs },
						  { .name = "smpp",
						    .desc = "SMPP ESME: X40 enquire_link interval, X41 response, X42 "
							    "first reconnect delay",
						    .tdefs = smsr_smpp_tdefs },
						  { .name = "es3",
						    .desc = "ES3 relay: X22 ES5 result of SendData, AuditEIS, "
							    "UpdateConnectivityParameters",
						    .tdefs = smsr_es3_tdefs },
						  { .name = "change",
						    .desc = "SM-SR Change: X70 ES7 answer (--timer es7), X71 ES5 "
							    "exchange (es5), X72 ask again (es7-retry)",
						    .tdefs = smsr_change_tdefs },
						  { .name = "scp81",
						    .desc = "ES5 over HTTPS (SCP81): X50 push to first POST, X51 "
							    "response POST, X52 held POST",
						    .tdefs = smsr_scp81_tdefs },
						  {} };

#define SMSR_VTY_MAX_TIMERS 32 /* every entry of every group (14 today) */

void smsr_vty_cfg_init(struct smsr_vty_cfg *c)
{
	memset(c, 0, sizeof(*c));
	c->port = c->kannel = c->transaction = c->spi = c->relay_sms = c->f2 = c->hide = c->notify = c->scp81_keyset =
		c->eis_sig = -1;
}

/* Refuse the line: the message goes to the telnet user and to the reader of a file. */
static int refuse(struct vty *vty, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int refuse(struct vty *vty, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(g_err, sizeof(g_err), fmt, ap);
	va_end(ap);
	vty_out(vty, "%% %s%s", g_err, VTY_NEWLINE);
	return CMD_WARNING;
}

/* Copy s into dst[cap] or refuse (nothing changed) when it does not fit. */
static int set_str(struct vty *vty, char *dst, size_t cap, const char *what, const char *s)
{
	if (strlen(s) >= cap)
		return refuse(vty, "%s: longer than %zu characters", what, cap - 1);
	osmo_strlcpy(dst, s, cap);
	return CMD_SUCCESS;
}

static int check_url(struct vty *vty, const char *what, const char *url)
{
	struct esnet_url u;

	if (strlen(url) >= SMSR_VTY_PATH_MAX || esnet_url_parse(url, &u) < 0)
		return refuse(vty, "%s: '%s' is not an http(s)://host[:port][/path] URL", what, url);
	return CMD_SUCCESS;
}

static int name_value(struct vty *vty, const struct value_string *names, const char *what, const char *s, int *out)
{
	int v = get_string_value(names, s);
	char list[128] = "";

	if (v >= 0) {
		*out = v;
		return CMD_SUCCESS;
	}
	for (const struct value_string *n = names; n->str; n++)
		snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s", list[0] ? ", " : "", n->str);
	return refuse(vty, "%s: unknown '%s' (one of %s)", what, s, list);
}

DEFUN(cfg_smsr, cfg_smsr_cmd, "smsr", "Configure the SM-SR (the settings of the command-line options)\n")
{
	vty->node = SMSR_NODE;
	return CMD_SUCCESS;
}

/* A command setting one string field (a file name or an identity) from its only argument. */
#define STR_CMD(fn, cmdstr, arg, helpstr, arghelp, field)                                 \
	DEFUN(fn, fn##_cmd, cmdstr " " arg, helpstr "\n" arghelp "\n")                    \
	{                                                                                 \
		return set_str(vty, g_cfg->field, sizeof(g_cfg->field), cmdstr, argv[0]); \
	}

STR_CMD(cfg_smsr_id, "smsr-id", "OID", "Our entity id (--smsr-id)", "OID", smsr_id)
STR_CMD(cfg_db, "database", "FILE", "SQLite EIS store, created 0600 (--db)", "File name", db)
STR_CMD(cfg_listen, "es-listen", "ADDR", "Address of the ES endpoint (--listen, default 127.0.0.1)", "Address", listen)
STR_CMD(cfg_cert, "tls-certificate", "FILE", "Our X.509 TLS certificate, PEM (--cert)", "File name", cert)
STR_CMD(cfg_key, "tls-private-key", "FILE", "Its private key, PEM (--key)", "File name", key)
STR_CMD(cfg_ca, "tls-ca-certificate", "FILE", "CA of the peers' TLS certificates, PEM (--ca)", "File name", ca)
STR_CMD(cfg_keylog, "tls-keylog", "FILE", "NSS key log of our TLS sessions, 0600 (--tls-keylog)", "File name", keylog)
STR_CMD(cfg_net_env, "net-env", "FILE", "The run's net.env: SMSC and Kannel settings (--net-env)", "File name", net_env)
STR_CMD(cfg_sr_cert, "sr-certificate", "FILE", "CERT.SR.ECDSA as hex of the 7F21 TLV (--sr-cert)", "File name", sr_cert)
STR_CMD(cfg_sr_key, "sr-private-key", "FILE", "SK.SR.ECDSA: hex scalar or PEM (--sr-key)", "File name", sr_key)
STR_CMD(cfg_ci, "ci-certificate", "FILE", "The CI certificate, X.509 PEM (--ci)", "File name", ci)

DEFUN(cfg_port, cfg_port_cmd, "es-port <0-65535>",
      "Port of the ES endpoint (--port; 0 = any)\n"
      "Port\n")
{
	g_cfg->port = atoi(argv[0]);
	return CMD_SUCCESS;
}

DEFUN(cfg_url, cfg_url_cmd, "own-url URL",
      "The URL peers reach our ES endpoint at (--url)\n"
      "URL\n")
{
	if (check_url(vty, "own-url", argv[0]) != CMD_SUCCESS)
		return CMD_WARNING;
	return set_str(vty, g_cfg->url, sizeof(g_cfg->url), "own-url", argv[0]);
}

DEFUN(cfg_notify_url, cfg_notify_url_cmd, "notify-url URL",
      "Where ES notifications go when the owner has no mno-notify (--notify-url)\n"
      "URL\n")
{
	if (check_url(vty, "notify-url", argv[0]) != CMD_SUCCESS)
		return CMD_WARNING;
	return set_str(vty, g_cfg->notify_url, sizeof(g_cfg->notify_url), "notify-url", argv[0]);
}

DEFUN(cfg_sms_transport, cfg_sms_transport_cmd, "sms-transport (smpp|kannel)",
      "ES5 SMS transport (--sms-transport)\n"
      "SMPP ESME bound to the SMSC\n"
      "Kannel sendsms and MO callbacks\n")
{
	g_cfg->kannel = !strcmp(argv[0], "kannel");
	return CMD_SUCCESS;
}

DEFUN(cfg_transaction, cfg_transaction_cmd, "smpp-transaction-mode",
      "submit_sm in transaction mode (--smpp-transaction)\n")
{
	g_cfg->transaction = 1;
	return CMD_SUCCESS;
}

DEFUN(cfg_no_transaction, cfg_no_transaction_cmd, "no smpp-transaction-mode",
      NO_STR "submit_sm store and forward (default)\n")
{
	g_cfg->transaction = 0;
	return CMD_SUCCESS;
}

DEFUN(cfg_spi, cfg_spi_cmd, "spi NAME",
      "SCP80 SPI variant (--spi; open-questions §6)\n"
      "SPI_1639 (default) or SPI_1621\n")
{
	return name_value(vty, scp80_spi_variant_names, "spi", argv[0], &g_cfg->spi);
}

DEFUN(cfg_scp81_listen, cfg_scp81_listen_cmd, "scp81-listen ADDR:PORT",
      "Serve SCP81 (PSK-TLS RAM over HTTP) here (--scp81-listen)\n"
      "Address and port\n")
{
	char addr[64];
	unsigned int port = 0;
	char extra;

	if (sscanf(argv[0], "%63[^:]:%u%c", addr, &port, &extra) != 2 || port > 65535)
		return refuse(vty, "scp81-listen: '%s' is not ADDR:PORT", argv[0]);
	return set_str(vty, g_cfg->scp81_listen, sizeof(g_cfg->scp81_listen), "scp81-listen", argv[0]);
}

DEFUN(cfg_scp81_push_addr, cfg_scp81_push_addr_cmd, "scp81-push-addr A.B.C.D",
      "IPv4 address the push tells the card to open its channel to (--scp81-push-addr)\n"
      "IPv4 address\n")
{
	return set_str(vty, g_cfg->scp81_push_addr, sizeof(g_cfg->scp81_push_addr), "scp81-push-addr", argv[0]);
}

DEFUN(cfg_es8_relay, cfg_es8_relay_cmd, "es8-relay (https|sms)",
      "Transport of the ES3 relay (--es8-relay)\n"
      "SCP81 (default when scp81-listen is set)\n"
      "SCP80 over SMS\n")
{
	g_cfg->relay_sms = !strcmp(argv[0], "sms");
	return CMD_SUCCESS;
}

/* OID URL lists (--peer-smsr, --mno-notify): a second line for the same OID replaces its URL. */
static int list_set(struct vty *vty, struct smsr_vty_peer *list, unsigned int *n, unsigned int max, const char *what,
		    const char *oid, const char *url)
{
	unsigned int i;

	if (strlen(oid) >= SMSR_OID_MAX)
		return refuse(vty, "%s: OID longer than %d characters", what, SMSR_OID_MAX - 1);
	if (check_url(vty, what, url) != CMD_SUCCESS)
		return CMD_WARNING;
	for (i = 0; i < *n && strcmp(list[i].id, oid); i++)
		;
	if (i == max)
		return refuse(vty, "%s: at most %u", what, max);
	osmo_strlcpy(list[i].id, oid, sizeof(list[i].id));
	osmo_strlcpy(list[i].url, url, sizeof(list[i].url));
	if (i == *n)
		(*n)++;
	return CMD_SUCCESS;
}

static int list_del(struct smsr_vty_peer *list, unsigned int *n, const char *oid)
{
	for (unsigned int i = 0; i < *n; i++) {
		if (strcmp(list[i].id, oid))
			continue;
		memmove(&list[i], &list[i + 1], (*n - i - 1) * sizeof(list[0]));
		(*n)--;
		memset(&list[*n], 0, sizeof(list[0]));
	}
	return CMD_SUCCESS;
}

DEFUN(cfg_peer, cfg_peer_cmd, "peer-smsr OID URL",
      "An SM-SR peer of SM-SR Change (--peer-smsr OID=URL)\n"
      "Its entity id\n"
      "Its ES7 endpoint\n")
{
	return list_set(vty, g_cfg->peer, &g_cfg->n_peer, SMSR_VTY_MAX_PEERS, "peer-smsr", argv[0], argv[1]);
}

DEFUN(cfg_no_peer, cfg_no_peer_cmd, "no peer-smsr OID",
      NO_STR "Forget an SM-SR peer\n"
	     "Its entity id\n")
{
	return list_del(g_cfg->peer, &g_cfg->n_peer, argv[0]);
}

static const struct {
	const char *key;
	const struct value_string *names;
	size_t off;
} pvar_keys[] = {
	{ "namespace", es_ns_variant_names, offsetof(struct es_variant, ns) },
	{ "action-uri", es_action_variant_names, offsetof(struct es_variant, action) },
	{ "timestamp", es_ts_variant_names, offsetof(struct es_variant, ts) },
	{ "authenticate-smsr", es_auth_smsr_variant_names, offsetof(struct es_variant, auth_smsr) },
};

int smsr_vty_peer_variant_set(struct smsr_vty_cfg *c, const char *oid, const char *key, const char *name, char *err,
			      size_t errlen)
{
	unsigned int i;
	int v = -1;
	size_t k;

	if (!oid || !*oid || strlen(oid) >= SMSR_OID_MAX) {
		snprintf(err, errlen, "peer-variant: OID missing or longer than %d characters", SMSR_OID_MAX - 1);
		return -EINVAL;
	}
	for (k = 0; k < ARRAY_SIZE(pvar_keys) && strcmp(pvar_keys[k].key, key ? key : ""); k++)
		;
	if (k == ARRAY_SIZE(pvar_keys)) {
		snprintf(err, errlen, "peer-variant: '%s' is not namespace, action-uri, timestamp or authenticate-smsr",
			 key ? key : "");
		return -EINVAL;
	}
	if (!name || (v = get_string_value(pvar_keys[k].names, name)) < 0) {
		snprintf(err, errlen, "peer-variant %s: '%s' is not one of its names", key, name ? name : "");
		return -EINVAL;
	}
	for (i = 0; i < c->n_pvar && strcmp(c->pvar[i].id, oid); i++)
		;
	if (i == ARRAY_SIZE(c->pvar)) {
		snprintf(err, errlen, "peer-variant: at most %zu entities", ARRAY_SIZE(c->pvar));
		return -EINVAL;
	}
	if (i == c->n_pvar) {
		osmo_strlcpy(c->pvar[i].id, oid, sizeof(c->pvar[i].id));
		c->pvar[i].v = es_variant_default;
		c->n_pvar++;
	}
	/* the enums are int-sized (lib/es/es.h) */
	*(int *)((char *)&c->pvar[i].v + pvar_keys[k].off) = v;
	return 0;
}

const struct es_variant *smsr_vty_peer_variant(const struct smsr_vty_cfg *c, const char *oid)
{
	for (unsigned int i = 0; c && oid && i < c->n_pvar; i++)
		if (!strcmp(c->pvar[i].id, oid))
			return &c->pvar[i].v;
	return &es_variant_default;
}

DEFUN(cfg_pvar, cfg_pvar_cmd, "peer-variant OID (namespace|action-uri|timestamp|authenticate-smsr) NAME",
      "The ES reading of what goes to one entity, digest §8 (--peer-variant OID:KEY=NAME)\n"
      "Its entity id (an SM-SR peer or an operator)\n"
      "Body namespace: NS_V3 (default) or WS_NS_V1_NJIWA\n"
      "Action URI form: ACTION_SUFFIXED (default) or ACTION_PLAIN\n"
      "Timestamps: TS_AS_XSD (default) or TS_UNIFORM\n"
      "AuthenticateSMSR's first element: AUTH_SMSR_EIS (default) or AUTH_SMSR_EID\n"
      "The variant's name\n")
{
	char err[160];

	if (smsr_vty_peer_variant_set(g_cfg, argv[0], argv[1], argv[2], err, sizeof(err)) < 0)
		return refuse(vty, "%s", err);
	return CMD_SUCCESS;
}

DEFUN(cfg_no_pvar, cfg_no_pvar_cmd, "no peer-variant OID",
      NO_STR "Back to the default ES reading for one entity\n"
	     "Its entity id\n")
{
	for (unsigned int i = 0; i < g_cfg->n_pvar; i++) {
		if (strcmp(g_cfg->pvar[i].id, argv[0]))
			continue;
		memmove(&g_cfg->pvar[i], &g_cfg->pvar[i + 1], (g_cfg->n_pvar - i - 1) * sizeof(g_cfg->pvar[0]));
		g_cfg->n_pvar--;
		memset(&g_cfg->pvar[g_cfg->n_pvar], 0, sizeof(g_cfg->pvar[0]));
	}
	return CMD_SUCCESS;
}

DEFUN(cfg_mno, cfg_mno_cmd, "mno-notify OID URL",
      "An operator's own notification endpoint (--mno-notify OID=URL)\n"
      "Its entity id\n"
      "Its ES4 endpoint\n")
{
	return list_set(vty, g_cfg->mno, &g_cfg->n_mno, SMSR_VTY_MAX_MNOS, "mno-notify", argv[0], argv[1]);
}

DEFUN(cfg_no_mno, cfg_no_mno_cmd, "no mno-notify OID",
      NO_STR "Forget an operator's notification endpoint\n"
	     "Its entity id\n")
{
	return list_del(g_cfg->mno, &g_cfg->n_mno, argv[0]);
}

DEFUN(cfg_eum, cfg_eum_cmd, "eum-certificate FILE",
      "An EUM certificate CERT.ECASD.ECKA may chain through, X.509 PEM (--eum)\n"
      "File name\n")
{
	if (strlen(argv[0]) >= SMSR_VTY_PATH_MAX)
		return refuse(vty, "eum-certificate: longer than %d characters", SMSR_VTY_PATH_MAX - 1);
	for (unsigned int i = 0; i < g_cfg->n_eum; i++)
		if (!strcmp(g_cfg->eum[i], argv[0]))
			return CMD_SUCCESS;
	if (g_cfg->n_eum == SMSR_VTY_MAX_EUMS)
		return refuse(vty, "eum-certificate: at most %d", SMSR_VTY_MAX_EUMS);
	osmo_strlcpy(g_cfg->eum[g_cfg->n_eum++], argv[0], SMSR_VTY_PATH_MAX);
	return CMD_SUCCESS;
}

DEFUN(cfg_no_eum, cfg_no_eum_cmd, "no eum-certificate FILE",
      NO_STR "Forget an EUM certificate\n"
	     "File name\n")
{
	for (unsigned int i = 0; i < g_cfg->n_eum; i++) {
		if (strcmp(g_cfg->eum[i], argv[0]))
			continue;
		memmove(g_cfg->eum[i], g_cfg->eum[i + 1], (g_cfg->n_eum - i - 1) * SMSR_VTY_PATH_MAX);
		memset(g_cfg->eum[--g_cfg->n_eum], 0, SMSR_VTY_PATH_MAX);
		break;
	}
	return CMD_SUCCESS;
}

DEFUN(cfg_addressing, cfg_addressing_cmd, "addressing HEX",
      "Value of DGI 3A07 UpdateSMSRAddressingParameters at step 26 (--addressing)\n"
      "Hex\n")
{
	uint8_t buf[SMSR_VTY_HEX_MAX / 2];

	if (strlen(argv[0]) > SMSR_VTY_HEX_MAX || osmo_hexparse(argv[0], buf, sizeof(buf)) <= 0)
		return refuse(vty, "addressing: not 1..%d bytes of hex", SMSR_VTY_HEX_MAX / 2);
	return set_str(vty, g_cfg->addressing, sizeof(g_cfg->addressing), "addressing", argv[0]);
}

DEFUN(cfg_no_addressing, cfg_no_addressing_cmd, "no addressing", NO_STR "Skip step 26 (default)\n")
{
	g_cfg->addressing[0] = '\0';
	return CMD_SUCCESS;
}

DEFUN(cfg_f2, cfg_f2_cmd, "f2 (delete-list|keep-list)",
      "Meaning of the F2 list of FinaliseISDRhandover (--f2; digest §8)\n"
      "The key sets listed are deleted (default)\n"
      "The key sets listed are kept\n")
{
	return name_value(vty, es5_f2_semantics_names, "f2", argv[0], &g_cfg->f2);
}

DEFUN(cfg_hide, cfg_hide_cmd, "handover-hide NAME",
      "What HandoverEUICC withholds of the ISD-R key sets (--handover-hide)\n"
      "KEY_VALUES (default) or KEYSETS\n")
{
	return name_value(vty, smsr_change_hide_names, "handover-hide", argv[0], &g_cfg->hide);
}

DEFUN(cfg_eisvar, cfg_eisvar_cmd, "eis-variant PREFIX (sms-transport|f2|handover-hide|es5) NAME",
      "A setting for the eUICCs whose EID starts with PREFIX; the longest matching prefix wins per key, a key "
      "no rule sets keeps the daemon-wide value (--eis-variant PREFIX:KEY=NAME)\n"
      "1..32 leading hex digits of the EID (either case), or * for every eUICC\n"
      "ES5 SMS transport: smpp or kannel (both are started when named; net-env)\n"
      "Meaning of the F2 list of FinaliseISDRhandover: delete-list or keep-list (digest §8)\n"
      "What HandoverEUICC withholds of the ISD-R key sets: KEY_VALUES or KEYSETS\n"
      "Bearer of the procedures' and the ES3 relay's ES5 scripts: sms or https (SCP81)\n"
      "The value's name\n")
{
	char err[160];

	if (smsr_eisvar_set(&g_cfg->eisvar, argv[0], argv[1], argv[2], err, sizeof(err)) < 0)
		return refuse(vty, "%s", err);
	return CMD_SUCCESS;
}

DEFUN(cfg_no_eisvar, cfg_no_eisvar_cmd, "no eis-variant PREFIX (sms-transport|f2|handover-hide|es5)",
      NO_STR "Forget a per-eUICC rule\n"
	     "Its EID prefix (or *)\n"
	     "ES5 SMS transport\n"
	     "Meaning of the F2 list\n"
	     "What HandoverEUICC withholds\n"
	     "Bearer of the ES5 scripts\n")
{
	int rc = smsr_eisvar_del(&g_cfg->eisvar, argv[0], argv[1]);

	if (rc == -EINVAL)
		return refuse(vty, "eis-variant: prefix '%s' is not 1..32 hex digits of an EID or *", argv[0]);
	return CMD_SUCCESS; /* like `no peer-smsr`: forgetting a rule that is not there is no error */
}

DEFUN(cfg_notify, cfg_notify_cmd, "change-notify NAME",
      "Interface of HandleSMSRChangeNotification (--change-notify)\n"
      "ES4 (default) or ES3\n")
{
	return name_value(vty, smsr_change_notify_names, "change-notify", argv[0], &g_cfg->notify);
}

DEFUN(cfg_scp81_keyset, cfg_scp81_keyset_cmd, "scp81-keyset NAME",
      "As SR2: how we get our own SCP81 PSK at step 26 (--scp81-keyset)\n"
      "ecka (default) or none\n")
{
	return name_value(vty, smsr_change_scp81_names, "scp81-keyset", argv[0], &g_cfg->scp81_keyset);
}

DEFUN(cfg_eis_sig, cfg_eis_sig_cmd, "eis-sig NAME",
      "How ES1 RegisterEIS checks the EUM's signature of the EIS (--eis-sig)\n"
      "dsig-detached (default), direct, or none (not checked: vendor interop only)\n")
{
	return name_value(vty, smsr_eis_sig_names, "eis-sig", argv[0], &g_cfg->eis_sig);
}

DEFUN(cfg_por_timeout, cfg_por_timeout_cmd, "por-timeout <1-3600>",
      "How long an SMS packet waits for its PoR before it is sent again, X30 (--por-timeout; applied at "
      "start-up over `timer ota X30`)\n"
      "Seconds (default 60)\n")
{
	g_cfg->por_timeout = atoi(argv[0]);
	return CMD_SUCCESS;
}

/* ---- writing ------------------------------------------------------------------------------------- */

typedef void (*emit_fn)(void *priv, const char *line);

static void emitf(emit_fn emit, void *priv, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void emitf(emit_fn emit, void *priv, const char *fmt, ...)
{
	char line[SMSR_VTY_PATH_MAX + SMSR_OID_MAX + 64];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	emit(priv, line);
}

static void cfg_emit(const struct smsr_vty_cfg *c, emit_fn emit, void *priv)
{
#define S(cmd, field)                                               \
	do {                                                        \
		if (c->field[0])                                    \
			emitf(emit, priv, " " cmd " %s", c->field); \
	} while (0)
	emit(priv, "smsr");
	S("smsr-id", smsr_id);
	S("database", db);
	S("es-listen", listen);
	if (c->port >= 0)
		emitf(emit, priv, " es-port %d", c->port);
	S("own-url", url);
	S("notify-url", notify_url);
	for (unsigned int i = 0; i < c->n_mno; i++)
		emitf(emit, priv, " mno-notify %s %s", c->mno[i].id, c->mno[i].url);
	S("tls-certificate", cert);
	S("tls-private-key", key);
	S("tls-ca-certificate", ca);
	S("tls-keylog", keylog);
	S("net-env", net_env);
	if (c->kannel >= 0)
		emitf(emit, priv, " sms-transport %s", c->kannel ? "kannel" : "smpp");
	if (c->transaction >= 0)
		emit(priv, c->transaction ? " smpp-transaction-mode" : " no smpp-transaction-mode");
	if (c->spi >= 0)
		emitf(emit, priv, " spi %s", get_value_string(scp80_spi_variant_names, c->spi));
	if (c->por_timeout > 0)
		emitf(emit, priv, " por-timeout %d", c->por_timeout);
	S("scp81-listen", scp81_listen);
	S("scp81-push-addr", scp81_push_addr);
	if (c->relay_sms >= 0)
		emitf(emit, priv, " es8-relay %s", c->relay_sms ? "sms" : "https");
	for (unsigned int i = 0; i < c->n_peer; i++)
		emitf(emit, priv, " peer-smsr %s %s", c->peer[i].id, c->peer[i].url);
	for (unsigned int i = 0; i < c->n_pvar; i++)
		for (size_t k = 0; k < ARRAY_SIZE(pvar_keys); k++) {
			int v = *(const int *)((const char *)&c->pvar[i].v + pvar_keys[k].off);
			int d = *(const int *)((const char *)&es_variant_default + pvar_keys[k].off);
			if (v != d)
				emitf(emit, priv, " peer-variant %s %s %s", c->pvar[i].id, pvar_keys[k].key,
				      get_value_string(pvar_keys[k].names, v));
		}
	S("sr-certificate", sr_cert);
	S("sr-private-key", sr_key);
	S("ci-certificate", ci);
	for (unsigned int i = 0; i < c->n_eum; i++)
		emitf(emit, priv, " eum-certificate %s", c->eum[i]);
	S("addressing", addressing);
	if (c->f2 >= 0)
		emitf(emit, priv, " f2 %s", get_value_string(es5_f2_semantics_names, c->f2));
	if (c->hide >= 0)
		emitf(emit, priv, " handover-hide %s", get_value_string(smsr_change_hide_names, c->hide));
	for (unsigned int i = 0; i < c->eisvar.n; i++) {
		char rule[SMSR_EISVAR_PREFIX_MAX + 48];

		if (smsr_eisvar_rule_to_str_buf(rule, sizeof(rule), &c->eisvar, i) == 0)
			emitf(emit, priv, " eis-variant %s", rule);
	}
	if (c->notify >= 0)
		emitf(emit, priv, " change-notify %s", get_value_string(smsr_change_notify_names, c->notify));
	if (c->scp81_keyset >= 0)
		emitf(emit, priv, " scp81-keyset %s", get_value_string(smsr_change_scp81_names, c->scp81_keyset));
	if (c->eis_sig >= 0)
		emitf(emit, priv, " eis-sig %s", get_value_string(smsr_eis_sig_names, c->eis_sig));
	/* the live tables (process-wide, not in *c): every timer not at its default */
	for (struct osmo_tdef_group *g = smsr_vty_tdef_groups; g->name; g++) {
		struct osmo_tdef *t;

		osmo_tdef_for_each(t, g->tdefs) if (t->val != t->default_val)
			emitf(emit, priv, " timer %s %c%d %lu", g->name, t->T >= 0 ? 'T' : 'X', abs(t->T), t->val);
	}
#undef S
}

static void emit_vty(void *priv, const char *line)
{
	struct vty *vty = priv;

	vty_out(vty, "%s%s", line, VTY_NEWLINE);
}

static void emit_file(void *priv, const char *line)
{
	fprintf(priv, "%s\n", line);
}

void smsr_vty_cfg_write(const struct smsr_vty_cfg *cfg, FILE *out)
{
	cfg_emit(cfg, emit_file, out);
}

static int config_write_smsr(struct vty *vty)
{
	cfg_emit(g_cfg, emit_vty, vty);
	return CMD_SUCCESS;
}

/* ---- show ---------------------------------------------------------------------------------------- */

DEFUN(show_config, show_config_cmd, "show config",
      SHOW_STR "The SM-SR's effective settings (file, then command line)\n")
{
	return config_write_smsr(vty);
}

DEFUN(show_counters, show_counters_cmd, "show counters", SHOW_STR "Rate counters per interface and per ES function\n")
{
	static const unsigned int ifaces[] = { 1, 3, 4, 7 };
	struct rate_ctr_group *grp;

	for (unsigned int i = 0; i < ARRAY_SIZE(ifaces); i++) {
		if (!(grp = smsr_ctr_group(SMSR_CTRG_ES, ifaces[i])))
			continue;
		vty_out(vty, "ES%u ", ifaces[i]);
		vty_out_rate_ctr_group(vty, "", grp);
	}
	for (int g = SMSR_CTRG_ES + 1; g < _NUM_SMSR_CTRG; g++) {
		if (!(grp = smsr_ctr_group((enum smsr_ctr_grp)g, 0)))
			continue;
		vty_out_rate_ctr_group2(vty, "", grp, g == SMSR_CTRG_FN); /* functions: only those used */
	}
	if (g_es) {
		const struct esnet_stats *s = esnet_stats(g_es);

		vty_out(vty, "ES endpoint (all interfaces):%s", VTY_NEWLINE);
		vty_out(vty, "  requests received %lu, notifications %lu, callbacks %lu%s", s->rx_requests,
			s->rx_notifications, s->rx_callbacks, VTY_NEWLINE);
		vty_out(vty, "  faults sent %lu (malformed %lu, no handler %lu), unmatched callbacks %lu%s",
			s->rx_faults_sent, s->rx_malformed, s->rx_unhandled, s->rx_unmatched_callbacks, VTY_NEWLINE);
		vty_out(vty, "  requests sent %lu, responses %lu, callbacks %lu, send failures %lu, timeouts %lu%s",
			s->tx_requests, s->tx_responses, s->tx_callbacks, s->tx_failures, s->call_timeouts,
			VTY_NEWLINE);
	}
	return CMD_SUCCESS;
}

static const char *col(sqlite3_stmt *q, int i)
{
	const unsigned char *t = sqlite3_column_text(q, i);

	return t ? (const char *)t : "";
}

static void time_str(int64_t t, char *buf, size_t cap)
{
	struct tm tm;
	time_t tt = (time_t)t;

	if (!t || !gmtime_r(&tt, &tm) || !strftime(buf, cap, "%Y-%m-%dT%H:%M:%SZ", &tm))
		osmo_strlcpy(buf, "-", cap);
}

DEFUN(show_eis, show_eis_cmd, "show eis",
      SHOW_STR "Every EIS: EID, state, managing SM-SR, profiles and their owners (no keys)\n")
{
	sqlite3 *db = g_store ? smsr_store_sqlite(g_store) : NULL;
	sqlite3_stmt *q = NULL, *k = NULL;
	struct smsr_profile_row prof[16];
	unsigned int n_eis = 0;
	size_t n;

	if (!db) {
		vty_out(vty, "%% store not open%s", VTY_NEWLINE);
		return CMD_WARNING;
	}
	/* no key column is selected: kvn and kind only */
	if (sqlite3_prepare_v2(db,
			       "SELECT eid, state, smsr_id, eum_id, msisdn, last_notif_seq, peer_smsr_id, deadline "
			       "FROM eis ORDER BY eid",
			       -1, &q, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, "SELECT kvn, kind FROM keyset WHERE eid = ? ORDER BY kvn", -1, &k, NULL) !=
		    SQLITE_OK) {
		vty_out(vty, "%% %s%s", sqlite3_errmsg(db), VTY_NEWLINE);
		sqlite3_finalize(q);
		return CMD_WARNING;
	}
	while (sqlite3_step(q) == SQLITE_ROW) {
		const char *eid = col(q, 0);
		char dl[32];

		n_eis++;
		time_str(sqlite3_column_int64(q, 7), dl, sizeof(dl));
		vty_out(vty, "EID %s state %s SM-SR %s EUM %s ES5-address %s last-E1-seq %d%s", eid,
			get_value_string(smsr_eis_state_names, sqlite3_column_int(q, 1)), col(q, 2), col(q, 3),
			col(q, 4)[0] ? col(q, 4) : "-", sqlite3_column_int(q, 5), VTY_NEWLINE);
		if (col(q, 6)[0])
			vty_out(vty, "  SM-SR Change with %s until %s%s", col(q, 6), dl, VTY_NEWLINE);
		if (smsr_store_profile_list(g_store, eid, prof, ARRAY_SIZE(prof), &n) == 0)
			for (size_t i = 0; i < n; i++)
				vty_out(vty, "  profile ICCID %s %s owner %s SM-DP %s%s", prof[i].iccid,
					get_value_string(es_profile_state_names, prof[i].state),
					prof[i].mno_id[0] ? prof[i].mno_id : "-",
					prof[i].smdp_id[0] ? prof[i].smdp_id : "-", VTY_NEWLINE);
		sqlite3_reset(k);
		sqlite3_bind_text(k, 1, eid, -1, SQLITE_TRANSIENT);
		while (sqlite3_step(k) == SQLITE_ROW)
			vty_out(vty, "  key set KVN %d %s%s", sqlite3_column_int(k, 0),
				sqlite3_column_int(k, 1) == SMSR_KEYSET_SCP81 ? "SCP81" : "SCP80", VTY_NEWLINE);
	}
	sqlite3_finalize(q);
	sqlite3_finalize(k);
	vty_out(vty, "%u EIS%s", n_eis, VTY_NEWLINE);
	return CMD_SUCCESS;
}

DEFUN(show_change, show_change_cmd, "show change",
      SHOW_STR "SM-SR Change procedures stored, with their step (digest §2.1)\n")
{
	sqlite3 *db = g_store ? smsr_store_sqlite(g_store) : NULL;
	sqlite3_stmt *q = NULL;
	unsigned int n = 0;

	if (!db) {
		vty_out(vty, "%% store not open%s", VTY_NEWLINE);
		return CMD_WARNING;
	}
	if (sqlite3_prepare_v2(db,
			       "SELECT eid, role, step, peer, deadline, requester, warning FROM smsr_change ORDER BY "
			       "eid",
			       -1, &q, NULL) != SQLITE_OK) {
		vty_out(vty, "no SM-SR Change table (%s)%s", sqlite3_errmsg(db), VTY_NEWLINE);
		return CMD_SUCCESS;
	}
	while (sqlite3_step(q) == SQLITE_ROW) {
		char dl[32];

		n++;
		time_str(sqlite3_column_int64(q, 4), dl, sizeof(dl));
		vty_out(vty, "EID %s role %s step %s peer %s deadline %s requester %s%s%s", col(q, 0),
			sqlite3_column_int(q, 1) == 1 ? "SR1" : "SR2", col(q, 2), col(q, 3)[0] ? col(q, 3) : "-", dl,
			col(q, 5)[0] ? col(q, 5) : "-", sqlite3_column_int(q, 6) ? " (warning)" : "", VTY_NEWLINE);
	}
	sqlite3_finalize(q);
	vty_out(vty, "%u stored, %u running%s", n, g_chg ? smsr_change_num_procs(g_chg) : 0, VTY_NEWLINE);
	return CMD_SUCCESS;
}

/* ---- set-up and reading -------------------------------------------------------------------------- */

void smsr_vty_set_cfg(struct smsr_vty_cfg *cfg)
{
	g_cfg = cfg;
}

void smsr_vty_set_daemon(struct smsr_store *store, struct smsr_change *chg, struct esnet *es)
{
	g_store = store;
	g_chg = chg;
	g_es = es;
}

void smsr_vty_init(struct smsr_vty_cfg *cfg)
{
	g_cfg = cfg;
	install_element(CONFIG_NODE, &cfg_smsr_cmd);
	install_node(&smsr_node, config_write_smsr);
	install_element(SMSR_NODE, &cfg_smsr_id_cmd);
	install_element(SMSR_NODE, &cfg_db_cmd);
	install_element(SMSR_NODE, &cfg_listen_cmd);
	install_element(SMSR_NODE, &cfg_port_cmd);
	install_element(SMSR_NODE, &cfg_url_cmd);
	install_element(SMSR_NODE, &cfg_notify_url_cmd);
	install_element(SMSR_NODE, &cfg_mno_cmd);
	install_element(SMSR_NODE, &cfg_no_mno_cmd);
	install_element(SMSR_NODE, &cfg_pvar_cmd);
	install_element(SMSR_NODE, &cfg_no_pvar_cmd);
	install_element(SMSR_NODE, &cfg_cert_cmd);
	install_element(SMSR_NODE, &cfg_key_cmd);
	install_element(SMSR_NODE, &cfg_ca_cmd);
	install_element(SMSR_NODE, &cfg_keylog_cmd);
	install_element(SMSR_NODE, &cfg_net_env_cmd);
	install_element(SMSR_NODE, &cfg_sms_transport_cmd);
	install_element(SMSR_NODE, &cfg_transaction_cmd);
	install_element(SMSR_NODE, &cfg_no_transaction_cmd);
	install_element(SMSR_NODE, &cfg_spi_cmd);
	install_element(SMSR_NODE, &cfg_scp81_listen_cmd);
	install_element(SMSR_NODE, &cfg_scp81_push_addr_cmd);
	install_element(SMSR_NODE, &cfg_es8_relay_cmd);
	install_element(SMSR_NODE, &cfg_peer_cmd);
	install_element(SMSR_NODE, &cfg_no_peer_cmd);
	install_element(SMSR_NODE, &cfg_sr_cert_cmd);
	install_element(SMSR_NODE, &cfg_sr_key_cmd);
	install_element(SMSR_NODE, &cfg_ci_cmd);
	install_element(SMSR_NODE, &cfg_eum_cmd);
	install_element(SMSR_NODE, &cfg_no_eum_cmd);
	install_element(SMSR_NODE, &cfg_addressing_cmd);
	install_element(SMSR_NODE, &cfg_no_addressing_cmd);
	install_element(SMSR_NODE, &cfg_f2_cmd);
	install_element(SMSR_NODE, &cfg_hide_cmd);
	install_element(SMSR_NODE, &cfg_eisvar_cmd);
	install_element(SMSR_NODE, &cfg_no_eisvar_cmd);
	install_element(SMSR_NODE, &cfg_notify_cmd);
	install_element(SMSR_NODE, &cfg_scp81_keyset_cmd);
	install_element(SMSR_NODE, &cfg_eis_sig_cmd);
	install_element(SMSR_NODE, &cfg_por_timeout_cmd);
	/* `timer [GROUP] [TNNNN] [VALUE]` in the smsr node, `show timer` in view and enable; resets every table */
	osmo_tdef_vty_groups_init(SMSR_NODE, smsr_vty_tdef_groups);
	install_element_ve(&show_config_cmd);
	install_element_ve(&show_counters_cmd);
	install_element_ve(&show_eis_cmd);
	install_element_ve(&show_change_cmd);
}

void smsr_vty_timers_reset(void)
{
	for (struct osmo_tdef_group *g = smsr_vty_tdef_groups; g->name; g++)
		osmo_tdefs_reset(g->tdefs);
}

static void timers_save(unsigned long *v)
{
	size_t n = 0;

	for (struct osmo_tdef_group *g = smsr_vty_tdef_groups; g->name; g++) {
		struct osmo_tdef *t;

		osmo_tdef_for_each(t, g->tdefs)
		{
			OSMO_ASSERT(n < SMSR_VTY_MAX_TIMERS);
			v[n++] = t->val;
		}
	}
}

static void timers_restore(const unsigned long *v)
{
	size_t n = 0;

	for (struct osmo_tdef_group *g = smsr_vty_tdef_groups; g->name; g++) {
		struct osmo_tdef *t;

		osmo_tdef_for_each(t, g->tdefs) t->val = v[n++];
	}
}

/* The next whitespace-separated word of [*p, end): its start and length (0 at the end). */
static size_t next_word(const char **p, const char *end, const char **w)
{
	const char *s = *p;
	size_t n;

	while (s < end && (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\v' || *s == '\f'))
		s++;
	for (n = 0; s + n < end && !strchr(" \t\r\v\f", s[n]); n++)
		;
	*w = s;
	*p = s + n;
	return n;
}

static bool word_is(const char *w, size_t n, const char *s)
{
	return n == strlen(s) && !memcmp(w, s, n);
}

/* A `timer` line of a file, checked before any line of the file applies: exactly `timer GROUP TNNNN VALUE`,
 * the group and the timer known, the value in the timer's range or `default`. (libosmocore's command would
 * take a shorter line as `show timer`, and its messages go nowhere while a file is read.) 0 for a good line
 * or a line that is not a timer line (the first word a prefix of "timer", at least "ti"); -EINVAL with
 * the reason in why. */
static int timer_line_check(const char *line, size_t len, char *why, size_t cap)
{
	const char *p = line, *end = line + strnlen(line, len), *w[5];
	size_t n[5], nw;
	struct osmo_tdef_group *g;
	struct osmo_tdef *t = NULL;
	char groups[96] = "", num[16];
	unsigned long long val = 0;
	long T = 0;
	int sign = 1;
	size_t i = 0;

	for (nw = 0; nw < 5 && (n[nw] = next_word(&p, end, &w[nw])) > 0; nw++)
		;
	if (nw == 0 || n[0] < 2 || n[0] > 5 || memcmp(w[0], "timer", n[0]))
		return 0;
	for (g = smsr_vty_tdef_groups; g->name; g++)
		snprintf(groups + strlen(groups), sizeof(groups) - strlen(groups), "%s%s", groups[0] ? ", " : "",
			 g->name);
	if (nw != 4) {
		snprintf(why, cap, "timer: GROUP TNNNN VALUE expected (groups %s; `show timer` lists them)", groups);
		return -EINVAL;
	}
	for (g = smsr_vty_tdef_groups; g->name && !word_is(w[1], n[1], g->name); g++)
		;
	if (!g->name) {
		snprintf(why, cap, "timer: unknown group '%.*s' (one of %s)", (int)OSMO_MIN(n[1], 32), w[1], groups);
		return -EINVAL;
	}
	/* TNNNN: 1234, T1234 or t1234 (3GPP), X1234 or x1234 (ours), as libosmocore reads it */
	i = strchr("TtXx", w[2][0]) ? 1 : 0;
	sign = w[2][0] == 'X' || w[2][0] == 'x' ? -1 : 1;
	if (n[2] > i && n[2] - i <= 9) {
		size_t k;

		for (k = i; k < n[2] && w[2][k] >= '0' && w[2][k] <= '9'; k++)
			T = T * 10 + (w[2][k] - '0');
		t = k == n[2] ? osmo_tdef_get_entry(g->tdefs, sign * (int)T) : NULL;
	}
	if (!t) {
		char list[64] = "";
		struct osmo_tdef *e;

		osmo_tdef_for_each(e, g->tdefs) snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%c%d",
							 list[0] ? ", " : "", e->T >= 0 ? 'T' : 'X', abs(e->T));
		snprintf(why, cap, "timer %s: no timer '%.*s' (its timers: %s)", g->name, (int)OSMO_MIN(n[2], 32), w[2],
			 list);
		return -EINVAL;
	}
	snprintf(num, sizeof(num), "%c%d", t->T >= 0 ? 'T' : 'X', abs(t->T));
	if (word_is(w[3], n[3], "default"))
		return 0;
	for (i = 0; i < n[3] && w[3][i] >= '0' && w[3][i] <= '9'; i++)
		if (val <= INT32_MAX) /* saturates above: out of range */
			val = val * 10 + (unsigned long long)(w[3][i] - '0');
	if (i != n[3]) {
		snprintf(why, cap, "timer %s %s: '%.*s' is not a number of %s or default", g->name, num,
			 (int)OSMO_MIN(n[3], 32), w[3], osmo_tdef_unit_name(t->unit));
		return -EINVAL;
	}
	if (val > INT32_MAX || !osmo_tdef_val_in_range(t, (unsigned long)val)) {
		snprintf(why, cap, "timer %s %s: %.*s is out of range %lu..%lu %s", g->name, num,
			 (int)OSMO_MIN(n[3], 32), w[3], t->min_val, t->max_val ? t->max_val : (unsigned long)INT32_MAX,
			 osmo_tdef_unit_name(t->unit));
		return -EINVAL;
	}
	return 0;
}

#define SMSR_VTY_FILE_MAX (1024 * 1024)

/* The whole of f into a NUL-terminated talloc buffer under ctx; NULL when unreadable or too large. */
static char *read_all(void *ctx, FILE *f, size_t *len)
{
	size_t cap = 4096, n = 0, got;
	char *buf = talloc_size(ctx, cap + 1);

	while (buf && (got = fread(buf + n, 1, cap - n, f)) > 0) {
		n += got;
		if (n == cap) {
			if (cap >= SMSR_VTY_FILE_MAX) {
				talloc_free(buf);
				return NULL;
			}
			cap *= 2;
			buf = talloc_realloc_size(ctx, buf, cap + 1);
		}
	}
	if (!buf || ferror(f)) {
		talloc_free(buf);
		return NULL;
	}
	buf[n] = '\0';
	*len = n;
	return buf;
}

static void line_err(char *err, size_t errlen, const char *line, size_t len, const char *why)
{
	char l[128];

	osmo_strlcpy(l, line, OSMO_MIN(sizeof(l), len + 1));
	l[strcspn(l, "\r\n")] = '\0';
	if (err)
		snprintf(err, errlen, "'%s': %s", l, why);
}

int smsr_vty_read_configp(struct smsr_vty_cfg *cfg, FILE *f, char *err, size_t errlen)
{
	struct smsr_vty_cfg *saved = g_cfg, *tmp = talloc_zero(NULL, struct smsr_vty_cfg);
	unsigned long timers[SMSR_VTY_MAX_TIMERS];
	struct vty *vty = NULL;
	FILE *mf = NULL;
	char *text, why[200];
	const char *nul;
	bool seen_cmd = false;
	size_t len = 0;
	int rc = -ENOMEM;

	if (!tmp)
		return -ENOMEM;
	/* the timer lines first, all of them before any line applies (the tables are live) */
	if (!(text = read_all(tmp, f, &len))) {
		if (err)
			snprintf(err, errlen, "cannot read the file, or larger than %d bytes", SMSR_VTY_FILE_MAX);
		rc = -EINVAL;
		goto out;
	}
	/* libosmovty 1.7's config_from_file() can loop forever on a line holding a NUL byte (found by
	 * fuzz_smsr_cfg): a configuration is text */
	if ((nul = memchr(text, '\0', len))) {
		unsigned int line = 1;

		for (const char *c = text; c < nul; c++)
			line += *c == '\n';
		if (err)
			snprintf(err, errlen, "line %u: a NUL byte (not a text file)", line);
		rc = -EINVAL;
		goto out;
	}
	for (const char *l = text, *e; l < text + len; l = e + 1) {
		e = memchr(l, '\n', (size_t)(text + len - l));
		if (!e)
			e = text + len;
		/* libosmovty 1.7 takes the first command's indentation as the top level's and loops forever on a
		 * later line indented less (found by fuzz_smsr_cfg) */
		if (!seen_cmd) {
			size_t b = strspn(l, " \t\r\v\f");

			if (l + b < e && l[b] != '!' && l[b] != '#') {
				seen_cmd = true;
				if (b > 0) {
					line_err(err, errlen, l, (size_t)(e - l), "the first command is indented");
					rc = -EINVAL;
					goto out;
				}
			}
		}
		if (timer_line_check(l, (size_t)(e - l), why, sizeof(why)) < 0) {
			line_err(err, errlen, l, (size_t)(e - l), why);
			rc = -EINVAL;
			goto out;
		}
	}
	if (len == 0) {
		rc = 0; /* nothing to apply */
		goto out;
	}
	if (!(mf = fmemopen(text, len, "r")) || !(vty = vty_new()))
		goto out;
	*tmp = *cfg; /* the lines apply on top of cfg, all or nothing: cfg's copy and the timer tables */
	timers_save(timers);
	g_cfg = tmp;
	g_err[0] = '\0';
	vty->type = VTY_FILE;
	vty->node = CONFIG_NODE;
	vty->fd = -1; /* messages of refused lines: g_err */
	rc = config_from_file(vty, mf);
	if (rc == CMD_SUCCESS || rc == CMD_ERR_NOTHING_TODO) {
		*cfg = *tmp;
		rc = 0;
	} else {
		const char *b = vty->buf ? vty->buf : "";

		timers_restore(timers);
		line_err(err, errlen, b, strlen(b),
			 g_err[0]		    ? g_err
			 : rc == CMD_ERR_AMBIGUOUS  ? "ambiguous command"
			 : rc == CMD_ERR_INCOMPLETE ? "incomplete command"
						    : "no such command, or a value out of range");
		rc = -EINVAL;
	}
out:
	if (vty)
		vty_close(vty);
	if (mf)
		fclose(mf);
	g_cfg = saved;
	talloc_free(tmp);
	return rc;
}

int smsr_vty_read_config(struct smsr_vty_cfg *cfg, const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");
	int rc;

	if (!f) {
		if (err)
			snprintf(err, errlen, "cannot open %s: %s", path, strerror(errno));
		return -ENOENT;
	}
	rc = smsr_vty_read_configp(cfg, f, err, errlen);
	fclose(f);
	return rc;
}
