/* rsplab-smdp VTY: the configuration file / telnet nodes (style §13.7), every value checked when the
 * command is read (certificates and keys are loaded and verified then), and config_write for both
 * nodes so the running config round-trips. Key material is never written back or shown. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/pem.h>
#include <osmocom/core/talloc.h>
#include <osmocom/core/utils.h>
#include <osmocom/vty/command.h>
#include <osmocom/vty/vty.h>

#include "lib/crypto/x509.h"
#include "network/smdp/inventory.h"
#include "network/smdp/logging.h"
#include "network/smdp/relay.h"
#include "network/smdp/vty.h"

enum smdp_vty_node {
	SMDP_NODE = _LAST_OSMOVTY_NODE + 1,
	SMDP_SMSR_NODE,
};

static struct smdp_cfg *g_cfg;
static struct smdp_store **g_store;
static struct smdp_smsr_peer *cur_peer(struct vty *vty)
{
	return vty->index;
}

/* Remember the file names for config_write (the loaded objects cannot be written back). */
static char dp_cert_file[256], dp_key_file[256], ci_file[256], eum_files[SMDP_MAX_EUMS][256];

static struct cmd_node smdp_node = { .node = SMDP_NODE, .prompt = "%s(config-smdp)# ", .vtysh = 1 };
static struct cmd_node smsr_node = { .node = SMDP_SMSR_NODE, .prompt = "%s(config-smdp-smsr)# ", .vtysh = 1 };

/* Hex text (whitespace allowed, as `rsplab pki init` writes *.hex) or binary: the bytes in buf. */
static int hex_or_binary(uint8_t *buf, size_t *len)
{
	char text[2 * GPCERT_MAX_LEN + 64];
	size_t n = 0;
	int r;

	if (*len == 0 || *len >= sizeof(text))
		return 0;
	for (size_t i = 0; i < *len; i++) {
		if (buf[i] == ' ' || buf[i] == '\n' || buf[i] == '\r' || buf[i] == '\t')
			continue;
		if (!isxdigit(buf[i]))
			return 0; /* binary */
		text[n++] = (char)buf[i];
	}
	text[n] = '\0';
	r = osmo_hexparse(text, buf, *len);
	if (r < 0)
		return -EINVAL;
	*len = (size_t)r;
	return 0;
}

static int read_file(const char *path, uint8_t *buf, size_t cap, size_t *len)
{
	FILE *f = fopen(path, "rb");
	size_t n;

	if (!f)
		return -errno;
	n = fread(buf, 1, cap, f);
	if (!feof(f) && n == cap) {
		fclose(f);
		return -EMSGSIZE;
	}
	fclose(f);
	*len = n;
	return 0;
}

DEFUN(cfg_smdp, cfg_smdp_cmd, "smdp", "Configure the SM-DP\n")
{
	vty->node = SMDP_NODE;
	return CMD_SUCCESS;
}

DEFUN(cfg_db, cfg_db_cmd, "database PATH",
      "SQLite store (created 0600)\n"
      "File name\n")
{
	osmo_strlcpy(g_cfg->db_path, argv[0], sizeof(g_cfg->db_path));
	return CMD_SUCCESS;
}

DEFUN(cfg_smdp_id, cfg_smdp_id_cmd, "smdp-id OID",
      "Our entity id\n"
      "OID\n")
{
	osmo_strlcpy(g_cfg->smdp_id, argv[0], sizeof(g_cfg->smdp_id));
	return CMD_SUCCESS;
}

DEFUN(cfg_mno_id, cfg_mno_id_cmd, "mno-id OID",
      "The operator (ES3 Mno-id)\n"
      "OID\n")
{
	osmo_strlcpy(g_cfg->mno_id, argv[0], sizeof(g_cfg->mno_id));
	return CMD_SUCCESS;
}

DEFUN(cfg_dp_cert, cfg_dp_cert_cmd, "dp-certificate FILE",
      "CERT.DP.ECDSA (GP 7F21, binary or hex text)\n"
      "File name\n")
{
	struct gpcert c;
	enum gpcert_err why = GPCERT_OK;
	size_t len = 0;

	if (read_file(argv[0], g_cfg->dp_cert, sizeof(g_cfg->dp_cert), &len) < 0 ||
	    hex_or_binary(g_cfg->dp_cert, &len) < 0 || gpcert_decode_exact(&c, g_cfg->dp_cert, len, &why) < 0 ||
	    gpcert_type_of(&c, &why) != GPCERT_TYPE_DP) {
		vty_out(vty, "%% %s is not a CERT.DP.ECDSA (%s)%s", argv[0], gpcert_err_name(why), VTY_NEWLINE);
		g_cfg->dp_cert_len = 0;
		return CMD_WARNING;
	}
	g_cfg->dp_cert_len = len;
	osmo_strlcpy(dp_cert_file, argv[0], sizeof(dp_cert_file));
	return CMD_SUCCESS;
}

DEFUN(cfg_dp_key, cfg_dp_key_cmd, "dp-private-key FILE [(p256|brainpoolp256r1)]",
      "SK.DP.ECDSA: PEM, or a hex scalar (as `rsplab pki init` writes gp-key.hex)\n"
      "File name\n"
      "Curve of a hex scalar: NIST P-256 (default)\n"
      "brainpoolP256r1\n")
{
	FILE *f = fopen(argv[0], "r");
	EVP_PKEY *k = f ? PEM_read_PrivateKey(f, NULL, NULL, NULL) : NULL;
	uint8_t raw[128];
	size_t len = 0;

	if (f)
		fclose(f);
	if (!k && read_file(argv[0], raw, sizeof(raw), &len) == 0 && hex_or_binary(raw, &len) == 0 &&
	    len == EC_SCALAR_LEN) {
		int curve = crypto_curve_from_name(argc > 1 ? argv[1] : "p256");
		if (curve >= 0)
			crypto_ec_from_private((enum crypto_curve)curve, raw, len, &k);
	}
	OPENSSL_cleanse(raw, sizeof(raw));
	if (!k || crypto_ec_curve_of(k) < 0) {
		EVP_PKEY_free(k);
		vty_out(vty, "%% %s: not an EC private key on a supported curve%s", argv[0], VTY_NEWLINE);
		return CMD_WARNING;
	}
	EVP_PKEY_free(g_cfg->dp_key);
	g_cfg->dp_key = k;
	osmo_strlcpy(dp_key_file, argv[0], sizeof(dp_key_file));
	return CMD_SUCCESS;
}

static X509 *load_x509(struct vty *vty, const char *path)
{
	uint8_t buf[16384];
	size_t len = 0;
	X509 *x = NULL;

	if (read_file(path, buf, sizeof(buf), &len) < 0 || crypto_x509_from_pem(buf, len, &x) < 0) {
		vty_out(vty, "%% %s: not a PEM X.509 certificate%s", path, VTY_NEWLINE);
		return NULL;
	}
	return x;
}

DEFUN(cfg_ci, cfg_ci_cmd, "ci-certificate FILE",
      "The CI certificate (X.509 PEM)\n"
      "File name\n")
{
	X509 *x = load_x509(vty, argv[0]);

	if (!x)
		return CMD_WARNING;
	X509_free(g_cfg->ci);
	g_cfg->ci = x;
	osmo_strlcpy(ci_file, argv[0], sizeof(ci_file));
	return CMD_SUCCESS;
}

DEFUN(cfg_eum, cfg_eum_cmd, "eum-certificate FILE",
      "An accepted EUM certificate (X.509 PEM)\n"
      "File name\n")
{
	X509 *x;

	if (g_cfg->n_eum >= SMDP_MAX_EUMS) {
		vty_out(vty, "%% at most %u EUM certificates%s", SMDP_MAX_EUMS, VTY_NEWLINE);
		return CMD_WARNING;
	}
	x = load_x509(vty, argv[0]);
	if (!x)
		return CMD_WARNING;
	osmo_strlcpy(eum_files[g_cfg->n_eum], argv[0], sizeof(eum_files[0]));
	g_cfg->eum[g_cfg->n_eum++] = x;
	return CMD_SUCCESS;
}

DEFUN(cfg_delete_retries, cfg_delete_retries_cmd, "delete-retries <1-10>",
      "ES3.DeleteISDP attempts before the clean-up waits for the next start\n"
      "Attempts\n")
{
	g_cfg->delete_retries = atoi(argv[0]);
	return CMD_SUCCESS;
}

DEFUN(cfg_es2_retry, cfg_es2_retry_cmd, "es2-retry (answer-at-end|in-progress)",
      "What a retry of a running ES2 call gets (same requester and FunctionCallIdentifier, SGP.02 5.1)\n"
      "Held, answered with the call's final result when it ends (default)\n"
      "Answered at once: Failed 1.6/3.3 function call in progress\n")
{
	g_cfg->es2_retry = (enum smdp_retry_mode)get_string_value(smdp_retry_mode_names, argv[0]);
	return CMD_SUCCESS;
}

DEFUN(cfg_es2_call_retention, cfg_es2_call_retention_cmd, "es2-call-retention <60-31536000> [<1-1000000>]",
      "How long (and how many) ended ES2 calls are kept to answer retries from\n"
      "Seconds (default 86400)\n"
      "Ended calls kept at most (default 10000)\n")
{
	g_cfg->es2_call_retention = atoi(argv[0]);
	if (argc > 1)
		g_cfg->es2_call_max = atoi(argv[1]);
	return CMD_SUCCESS;
}

DEFUN(cfg_listen, cfg_listen_cmd, "es-listen A.B.C.D <0-65535>",
      "Where the ES endpoint listens (ES2 from the MNO, ES3 callbacks/notifications)\n"
      "Address\n"
      "Port\n")
{
	osmo_strlcpy(g_cfg->listen_addr, argv[0], sizeof(g_cfg->listen_addr));
	g_cfg->listen_port = atoi(argv[1]);
	return CMD_SUCCESS;
}

DEFUN(cfg_own_url, cfg_own_url_cmd, "own-url URL",
      "The URL peers reach our ES endpoint at\n"
      "URL\n")
{
	osmo_strlcpy(g_cfg->own_url, argv[0], sizeof(g_cfg->own_url));
	return CMD_SUCCESS;
}

DEFUN(cfg_mno_url, cfg_mno_url_cmd, "mno-url URL [OID]",
      "The MNO's ES2 endpoint (notifications)\n"
      "URL\n"
      "Its entity id\n")
{
	osmo_strlcpy(g_cfg->mno_url, argv[0], sizeof(g_cfg->mno_url));
	osmo_strlcpy(g_cfg->mno_entity_id, argc > 1 ? argv[1] : "", sizeof(g_cfg->mno_entity_id));
	return CMD_SUCCESS;
}

/* Mutual TLS for the ES interfaces (transport.h). Files are checked when the transport starts. */
#define TLS_FILE_CMD(fn, cmdstr, helpstr, field)                              \
	DEFUN(fn, fn##_cmd, cmdstr " FILE",                                   \
	      helpstr "\n"                                                    \
		      "File name\n")                                          \
	{                                                                     \
		if (strlen(argv[0]) >= sizeof(g_cfg->field)) {                \
			vty_out(vty, "%% file name too long%s", VTY_NEWLINE); \
			return CMD_WARNING;                                   \
		}                                                             \
		osmo_strlcpy(g_cfg->field, argv[0], sizeof(g_cfg->field));    \
		return CMD_SUCCESS;                                           \
	}                                                                     \
	DEFUN(no_##fn, no_##fn##_cmd, "no " cmdstr, NO_STR helpstr "\n")      \
	{                                                                     \
		g_cfg->field[0] = '\0';                                       \
		return CMD_SUCCESS;                                           \
	}

TLS_FILE_CMD(cfg_tls_cert, "tls-certificate", "Our X.509 TLS certificate for the ES interfaces (PEM)", tls_cert_file)
TLS_FILE_CMD(cfg_tls_key, "tls-private-key", "Its private key (PEM)", tls_key_file)
TLS_FILE_CMD(cfg_tls_ca, "tls-ca-certificate", "CA for the peers' TLS certificates (PEM; default: the CI)", tls_ca_file)
TLS_FILE_CMD(cfg_tls_keylog, "tls-keylog", "NSS key log of our TLS sessions (created 0600; for captures)",
	     tls_keylog_file)

DEFUN(cfg_smsr, cfg_smsr_cmd, "smsr ID",
      "Configure an SM-SR peer (its SmSr-id in ES2 requests)\n"
      "SM-SR id\n")
{
	struct smdp_smsr_peer *p = smdp_cfg_peer(g_cfg, argv[0], true);

	if (!p) {
		vty_out(vty, "%% no room for SM-SR %s%s", argv[0], VTY_NEWLINE);
		return CMD_WARNING;
	}
	vty->index = p;
	vty->node = SMDP_SMSR_NODE;
	return CMD_SUCCESS;
}

DEFUN(cfg_smsr_url, cfg_smsr_url_cmd, "url URL",
      "The SM-SR's ES3 endpoint\n"
      "URL\n")
{
	osmo_strlcpy(cur_peer(vty)->url, argv[0], sizeof(cur_peer(vty)->url));
	return CMD_SUCCESS;
}

DEFUN(cfg_smsr_eid, cfg_smsr_eid_cmd, "entity-id OID",
      "The SM-SR's entity id (wsa:To)\n"
      "OID\n")
{
	osmo_strlcpy(cur_peer(vty)->entity_id, argv[0], sizeof(cur_peer(vty)->entity_id));
	return CMD_SUCCESS;
}

/* Named variants (digest §8; open-questions §16): one command per switch, the names of the lib tables. */
#define VARIANT_CMD(fn, cmdstr, helpstr, field, table)                                 \
	DEFUN(fn, fn##_cmd, cmdstr " NAME",                                            \
	      helpstr "\n"                                                             \
		      "Variant name\n")                                                \
	{                                                                              \
		int v = get_string_value(table, argv[0]);                              \
		if (v < 0) {                                                           \
			vty_out(vty, "%% unknown variant %s%s", argv[0], VTY_NEWLINE); \
			return CMD_WARNING;                                            \
		}                                                                      \
		cur_peer(vty)->v.field = v;                                            \
		return CMD_SUCCESS;                                                    \
	}

VARIANT_CMD(cfg_kuq, "key-usage-qualifier", "A6 key usage qualifier (10, 5C)", ecka.isdp_kuq, ecka_kuq_names)
VARIANT_CMD(cfg_split, "isdp-key-split", "ISD-P key data split", ecka.isdp_split, ecka_isdp_split_names)
VARIANT_CMD(cfg_receipt, "receipt-input", "What the receipt MACs", ecka.receipt_input, ecka_receipt_input_names)
VARIANT_CMD(cfg_si, "sharedinfo-order", "SharedInfo order", ecka.sharedinfo_order, ecka_sharedinfo_order_names)
VARIANT_CMD(cfg_epk, "epk-encoding", "ePK inside 7F49", ecka.epk_encoding, ecka_epk_encoding_names)
VARIANT_CMD(cfg_mcv, "scp03t-mac-chaining", "SCP03t MAC chaining after EXTERNAL AUTHENTICATE", scp03t.mcv_after_ea,
	    scp03t_mcv_after_ea_names)
VARIANT_CMD(cfg_rmac, "scp03t-response-mac", "Which 86 answers carry an R-MAC", scp03t.resp_mac, scp03t_resp_mac_names)
VARIANT_CMD(cfg_ns, "namespace", "ES body namespace", es.ns, es_ns_variant_names)
VARIANT_CMD(cfg_action, "action-uri", "Action URI form", es.action, es_action_variant_names)
VARIANT_CMD(cfg_coding, "script-coding", "Command script template (definite AA, indefinite AE)", coding,
	    rscript_coding_names)
VARIANT_CMD(cfg_chaining, "script-chaining", "Script chaining of the ES8 scripts", chaining, smdp_chaining_names)

DEFUN(cfg_sp, cfg_sp_cmd, "scenario-parameter <0-255>",
      "ISD-P ScenarioParameter (open-questions §4)\n"
      "Value\n")
{
	cur_peer(vty)->v.ecka.isdp_scenario_param = atoi(argv[0]);
	return CMD_SUCCESS;
}

DEFUN(cfg_kvn, cfg_kvn_cmd, "isdp-kvn <1-127>",
      "KVN of the ISD-P SCP03 key set\n"
      "KVN\n")
{
	cur_peer(vty)->v.isdp_kvn = atoi(argv[0]);
	return CMD_SUCCESS;
}

DEFUN(cfg_seg, cfg_seg_cmd, "segment-size <16-4096>",
      "Plaintext bytes per SCP03t 86 segment\n"
      "Bytes\n")
{
	cur_peer(vty)->v.segment_size = atoi(argv[0]);
	return CMD_SUCCESS;
}

static int config_write_smdp(struct vty *vty)
{
	vty_out(vty, "smdp%s", VTY_NEWLINE);
	vty_out(vty, " database %s%s", g_cfg->db_path, VTY_NEWLINE);
	if (g_cfg->smdp_id[0])
		vty_out(vty, " smdp-id %s%s", g_cfg->smdp_id, VTY_NEWLINE);
	if (g_cfg->mno_id[0])
		vty_out(vty, " mno-id %s%s", g_cfg->mno_id, VTY_NEWLINE);
	if (dp_cert_file[0])
		vty_out(vty, " dp-certificate %s%s", dp_cert_file, VTY_NEWLINE);
	if (dp_key_file[0])
		vty_out(vty, " dp-private-key %s%s", dp_key_file, VTY_NEWLINE);
	if (ci_file[0])
		vty_out(vty, " ci-certificate %s%s", ci_file, VTY_NEWLINE);
	for (unsigned int i = 0; i < g_cfg->n_eum; i++)
		vty_out(vty, " eum-certificate %s%s", eum_files[i], VTY_NEWLINE);
	vty_out(vty, " delete-retries %u%s", g_cfg->delete_retries, VTY_NEWLINE);
	vty_out(vty, " es2-retry %s%s", get_value_string(smdp_retry_mode_names, g_cfg->es2_retry), VTY_NEWLINE);
	vty_out(vty, " es2-call-retention %u %u%s", g_cfg->es2_call_retention, g_cfg->es2_call_max, VTY_NEWLINE);
	if (g_cfg->listen_addr[0])
		vty_out(vty, " es-listen %s %u%s", g_cfg->listen_addr, g_cfg->listen_port, VTY_NEWLINE);
	if (g_cfg->own_url[0])
		vty_out(vty, " own-url %s%s", g_cfg->own_url, VTY_NEWLINE);
	if (g_cfg->mno_url[0])
		vty_out(vty, " mno-url %s %s%s", g_cfg->mno_url, g_cfg->mno_entity_id, VTY_NEWLINE);
	if (g_cfg->tls_cert_file[0])
		vty_out(vty, " tls-certificate %s%s", g_cfg->tls_cert_file, VTY_NEWLINE);
	if (g_cfg->tls_key_file[0])
		vty_out(vty, " tls-private-key %s%s", g_cfg->tls_key_file, VTY_NEWLINE);
	if (g_cfg->tls_ca_file[0])
		vty_out(vty, " tls-ca-certificate %s%s", g_cfg->tls_ca_file, VTY_NEWLINE);
	if (g_cfg->tls_keylog_file[0])
		vty_out(vty, " tls-keylog %s%s", g_cfg->tls_keylog_file, VTY_NEWLINE);
	for (unsigned int i = 0; i < SMDP_MAX_PEERS; i++) {
		const struct smdp_smsr_peer *p = &g_cfg->smsr[i];
		if (!p->used)
			continue;
		vty_out(vty, " smsr %s%s", p->id, VTY_NEWLINE);
		if (p->url[0])
			vty_out(vty, "  url %s%s", p->url, VTY_NEWLINE);
		if (p->entity_id[0])
			vty_out(vty, "  entity-id %s%s", p->entity_id, VTY_NEWLINE);
		vty_out(vty, "  key-usage-qualifier %s%s", get_value_string(ecka_kuq_names, p->v.ecka.isdp_kuq),
			VTY_NEWLINE);
		vty_out(vty, "  isdp-key-split %s%s", get_value_string(ecka_isdp_split_names, p->v.ecka.isdp_split),
			VTY_NEWLINE);
		vty_out(vty, "  receipt-input %s%s",
			get_value_string(ecka_receipt_input_names, p->v.ecka.receipt_input), VTY_NEWLINE);
		vty_out(vty, "  sharedinfo-order %s%s",
			get_value_string(ecka_sharedinfo_order_names, p->v.ecka.sharedinfo_order), VTY_NEWLINE);
		vty_out(vty, "  epk-encoding %s%s", get_value_string(ecka_epk_encoding_names, p->v.ecka.epk_encoding),
			VTY_NEWLINE);
		vty_out(vty, "  scenario-parameter %u%s", p->v.ecka.isdp_scenario_param, VTY_NEWLINE);
		vty_out(vty, "  scp03t-mac-chaining %s%s",
			get_value_string(scp03t_mcv_after_ea_names, p->v.scp03t.mcv_after_ea), VTY_NEWLINE);
		vty_out(vty, "  scp03t-response-mac %s%s",
			get_value_string(scp03t_resp_mac_names, p->v.scp03t.resp_mac), VTY_NEWLINE);
		vty_out(vty, "  namespace %s%s", get_value_string(es_ns_variant_names, p->v.es.ns), VTY_NEWLINE);
		vty_out(vty, "  action-uri %s%s", get_value_string(es_action_variant_names, p->v.es.action),
			VTY_NEWLINE);
		vty_out(vty, "  script-coding %s%s", get_value_string(rscript_coding_names, p->v.coding), VTY_NEWLINE);
		vty_out(vty, "  script-chaining %s%s", get_value_string(smdp_chaining_names, p->v.chaining),
			VTY_NEWLINE);
		vty_out(vty, "  isdp-kvn %u%s", p->v.isdp_kvn, VTY_NEWLINE);
		vty_out(vty, "  segment-size %zu%s", p->v.segment_size, VTY_NEWLINE);
	}
	return CMD_SUCCESS;
}

static int config_write_smsr(struct vty *vty)
{
	return CMD_SUCCESS; /* written inside config_write_smdp */
}

/* --- inventory over the VTY ------------------------------------------------------------------------ */

DEFUN(show_profiles, show_profiles_cmd, "show smdp profiles",
      SHOW_STR "SM-DP\n"
	       "The profile inventory (ICCID IMSI MSISDN type state EID; no keys)\n")
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	if (!*g_store) {
		vty_out(vty, "%% store not open%s", VTY_NEWLINE);
		return CMD_WARNING;
	}
	f = open_memstream(&buf, &len);
	if (!f)
		return CMD_WARNING;
	smdp_inventory_list(*g_store, f);
	fclose(f);
	for (char *line = strtok(buf, "\n"); line; line = strtok(NULL, "\n"))
		vty_out(vty, "%s%s", line, VTY_NEWLINE);
	free(buf);
	return CMD_SUCCESS;
}

DEFUN(smdp_import, smdp_import_cmd, "smdp import FILE [MSISDN]",
      "SM-DP\n"
      "Import a SAIP profile package into the inventory\n"
      "File name\n"
      "MSISDN\n")
{
	uint8_t *pkg = talloc_size(NULL, SMDP_PKG_MAX);
	struct smdp_profile p;
	size_t len = 0;
	int rc = -ENOMEM;

	if (pkg && *g_store && read_file(argv[0], pkg, SMDP_PKG_MAX, &len) == 0)
		rc = smdp_inventory_import(*g_store, pkg, len, argc > 1 ? argv[1] : NULL, NULL, &p);
	talloc_free(pkg);
	if (rc < 0) {
		vty_out(vty, "%% import of %s failed: %s%s", argv[0], strerror(-rc), VTY_NEWLINE);
		return CMD_WARNING;
	}
	vty_out(vty, "imported ICCID %s IMSI %s%s", p.iccid, p.imsi, VTY_NEWLINE);
	return CMD_SUCCESS;
}

static struct smdp *g_smdp;

void smdp_vty_set_daemon(struct smdp *s)
{
	g_smdp = s;
}

static void audit_done(void *priv, enum es_status st, const struct es_eis *eis, unsigned int synced)
{
	/* The telnet session may be gone by now: the outcome goes to the log (DES3 via the FSM too). */
	LOGP(DSMDP, LOGL_NOTICE, "audit-eis: %s, %u profile state(s) updated\n", get_value_string(es_status_names, st),
	     synced);
}

DEFUN(smdp_audit, smdp_audit_cmd, "smdp audit-eis SMSR EID [ICCID]",
      "SM-DP\n"
      "ES3.AuditEIS: ask the SM-SR for the eUICC's state and reconcile the store (result in the log)\n"
      "SM-SR id\n"
      "EID (32 hex digits)\n"
      "Only this ICCID\n")
{
	const struct smdp_smsr_peer *peer = smdp_cfg_peer(g_cfg, argv[0], false);
	const char *iccids[1] = { argc > 2 ? argv[2] : NULL };
	uint8_t eid[16];
	int rc;

	if (!g_smdp || !peer) {
		vty_out(vty, "%% %s%s", g_smdp ? "unknown SM-SR" : "daemon not running", VTY_NEWLINE);
		return CMD_WARNING;
	}
	if (strlen(argv[1]) != 32 || osmo_hexparse(argv[1], eid, sizeof(eid)) != 16) {
		vty_out(vty, "%% EID must be 32 hex digits%s", VTY_NEWLINE);
		return CMD_WARNING;
	}
	rc = smdp_audit_eis(g_smdp, peer, eid, iccids, argc > 2 ? 1 : 0, audit_done, NULL);
	if (rc < 0) {
		vty_out(vty, "%% not sent: %s%s", strerror(-rc), VTY_NEWLINE);
		return CMD_WARNING;
	}
	vty_out(vty, "ES3.AuditEIS sent to %s%s", peer->id, VTY_NEWLINE);
	return CMD_SUCCESS;
}

void smdp_vty_init(struct smdp_cfg *cfg, struct smdp_store **store)
{
	g_cfg = cfg;
	g_store = store;
	install_element(CONFIG_NODE, &cfg_smdp_cmd);
	install_node(&smdp_node, config_write_smdp);
	install_element(SMDP_NODE, &cfg_db_cmd);
	install_element(SMDP_NODE, &cfg_smdp_id_cmd);
	install_element(SMDP_NODE, &cfg_mno_id_cmd);
	install_element(SMDP_NODE, &cfg_dp_cert_cmd);
	install_element(SMDP_NODE, &cfg_dp_key_cmd);
	install_element(SMDP_NODE, &cfg_ci_cmd);
	install_element(SMDP_NODE, &cfg_eum_cmd);
	install_element(SMDP_NODE, &cfg_delete_retries_cmd);
	install_element(SMDP_NODE, &cfg_es2_retry_cmd);
	install_element(SMDP_NODE, &cfg_es2_call_retention_cmd);
	install_element(SMDP_NODE, &cfg_listen_cmd);
	install_element(SMDP_NODE, &cfg_own_url_cmd);
	install_element(SMDP_NODE, &cfg_mno_url_cmd);
	install_element(SMDP_NODE, &cfg_tls_cert_cmd);
	install_element(SMDP_NODE, &no_cfg_tls_cert_cmd);
	install_element(SMDP_NODE, &cfg_tls_key_cmd);
	install_element(SMDP_NODE, &no_cfg_tls_key_cmd);
	install_element(SMDP_NODE, &cfg_tls_ca_cmd);
	install_element(SMDP_NODE, &no_cfg_tls_ca_cmd);
	install_element(SMDP_NODE, &cfg_tls_keylog_cmd);
	install_element(SMDP_NODE, &no_cfg_tls_keylog_cmd);
	install_element(SMDP_NODE, &cfg_smsr_cmd);
	install_node(&smsr_node, config_write_smsr);
	install_element(SMDP_SMSR_NODE, &cfg_smsr_url_cmd);
	install_element(SMDP_SMSR_NODE, &cfg_smsr_eid_cmd);
	install_element(SMDP_SMSR_NODE, &cfg_kuq_cmd);
	install_element(SMDP_SMSR_NODE, &cfg_split_cmd);
	install_element(SMDP_SMSR_NODE, &cfg_receipt_cmd);
	install_element(SMDP_SMSR_NODE, &cfg_si_cmd);
	install_element(SMDP_SMSR_NODE, &cfg_epk_cmd);
	install_element(SMDP_SMSR_NODE, &cfg_mcv_cmd);
	install_element(SMDP_SMSR_NODE, &cfg_rmac_cmd);
	install_element(SMDP_SMSR_NODE, &cfg_ns_cmd);
	install_element(SMDP_SMSR_NODE, &cfg_action_cmd);
	install_element(SMDP_SMSR_NODE, &cfg_coding_cmd);
	install_element(SMDP_SMSR_NODE, &cfg_chaining_cmd);
	install_element(SMDP_SMSR_NODE, &cfg_sp_cmd);
	install_element(SMDP_SMSR_NODE, &cfg_kvn_cmd);
	install_element(SMDP_SMSR_NODE, &cfg_seg_cmd);
	install_element_ve(&show_profiles_cmd);
	install_element(ENABLE_NODE, &smdp_import_cmd);
	install_element(ENABLE_NODE, &smdp_audit_cmd);
}
