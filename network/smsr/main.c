/* rsplab-smsr: the SM-SR daemon. It wires the store, the procedures and one ES endpoint (lib/esnet;
 * plain HTTP or, with --cert/--key/--ca, HTTPS with mutual TLS) for ES1/ES3/ES4 on the Osmocom select
 * loop; ES notifications go to the profile owner's endpoint given with --notify-url. ES5 goes over SMS
 * (smsr_ota: SCP80) through an SMPP ESME bound to the SMSC named in the run's net.env (--net-env:
 * MSC_ADDR, MSC_SMPP_PORT, SMSR2_ESME_ID, SMSR2_ESME_PASSWORD, SMSR2_SHORT_CODE) or, with
 * --sms-transport kannel, through Kannel's sendsms (KANNEL_*, SMSR1_SHORT_CODE; MO callbacks served at
 * KANNEL_MO_URL). Credentials never on the command line. Without --net-env, ES5 sends fail cleanly
 * (Failed 1.6). --scp81-listen ADDR:PORT serves SCP81 (PSK-TLS RAM over HTTP; the push goes by SMS)
 * and carries the ES3 relay (SendData, AuditEIS, UpdateConnectivityParameters) unless --es8-relay sms.
 * SM-SR Change (smsr_change.h) runs on the same endpoint: ES4 PrepareSMSRChange/SMSRChange from the MNO,
 * ES7 HandoverEUICC/AuthenticateSMSR/CreateAdditionalKeySet between SM-SRs named with --peer-smsr
 * OID=URL; as the new SM-SR it needs its CERT.SR.ECDSA (--sr-cert, the hex of `rsplab pki init`'s
 * smsrN/gp-cert.hex), SK.SR.ECDSA (--sr-key, smsrN/gp-key.hex or PEM) and the CI and EUM X.509
 * certificates CERT.ECASD.ECKA must chain to (--ci, --eum); its ES5 goes the daemon's SMS way. Stored
 * procedures are resumed at start-up (smsr_change_resume()).
 *   rsplab-smsr --smsr-id OID --db FILE [--listen ADDR] [--port N] [--url URL] [--notify-url URL]
 *               [--mno-notify OID=URL]...  (an operator's own notification endpoint; else --notify-url)
 *               [--cert PEM --key PEM --ca PEM] [--net-env FILE [--sms-transport smpp|kannel]
 *               [--smpp-transaction]]
 *               [--spi SPI_1639|SPI_1621] [--tls-keylog FILE]
 * --tls-keylog appends the NSS key log of every TLS connection (ES endpoint and client, SCP81 PSK-TLS) to
 * FILE (0600),
 * for the compliance checker.
 *               [--peer-smsr OID=URL]... [--sr-cert HEXFILE --sr-key FILE] [--ci PEM] [--eum PEM]...
 *               [--addressing HEX] [--f2 delete-list|keep-list] [--handover-hide KEY_VALUES|KEYSETS]
 *               [--change-notify ES4|ES3] [--scp81-keyset ecka|none] [--peer-variant OID:KEY=NAME]...
 * --peer-variant: the ES reading (digest §8) of what we send to entity OID, KEY one of namespace,
 * action-uri, timestamp, authenticate-smsr, NAME from lib/es's tables (e.g. 2.999.1.1:namespace=
 * WS_NS_V1_NJIWA for a peer SM-SR that reads Njiwa's namespace); the command line wins over -c. [--eis-sig dsig-detached|direct|none]
 * --addressing: as SR2, the DGI 3A07 value of UpdateSMSRAddressingParameters at step 26 (our SMS
 * address, so that the eUICC's notifications reach us); --scp81-keyset: as SR2, how we get our own
 * SCP81 PSK at step 26 (smsr_change.h enum smsr_change_scp81; default ecka). --por-timeout S: how long an
 * SMS packet waits for its PoR before it is retransmitted (default 60 s, smsr_ota_tdefs). --timer NAME=S
 * (repeatable) sets an SM-SR Change timer of smsr_change_tdefs: es7, es5 or es7-retry (T_ES7, T_ES5,
 * T_ES7_RETRY in smsr_change.h), 1..86400 s; for lab runs and tests that must not wait minutes. Every
 * timer (osmo_tdef) is also a `timer GROUP TNNNN S` line of the -c file's smsr node and a telnet command:
 * groups proc (X20, X21), ota (X30 = --por-timeout, X31), smpp (X40-X42), es3 (X22), change (X70 = es7,
 * X71 = es5, X72 = es7-retry) and scp81 (X50-X52), 1..86400 s; --por-timeout / por-timeout and --timer win
 * over the file's timer lines.
 * --eis-sig: how ES1 RegisterEIS checks the EumSignature (lib/es/es_eumsig.h variants; default
 * dsig-detached) against the --eum certificates (each tried; with --ci only those the CI signed); `none`
 * = not checked (vendor interop; a warning at start-up). Refused: Failed 8.6/6.1 or 8.6/2.1, nothing stored.
 * --eis-variant PREFIX:KEY=NAME (repeatable; smsr_eisvar.h): a per-eUICC setting for the EIDs starting
 * with PREFIX (1..32 hex digits, either case, or * for all; the longest matching prefix wins per KEY; a
 * KEY no rule sets keeps the daemon-wide option): sms-transport=smpp|kannel (ES5 of those eUICCs; every
 * transport named by --sms-transport or a rule is started from --net-env; one named only by rules that
 * cannot be started is logged and its eUICCs' sends fail with -ENOTCONN), f2=delete-list|keep-list and
 * handover-hide=KEY_VALUES|KEYSETS (SM-SR Change, looked up by the procedure's EID), es5=sms|https (the
 * bearer of the procedures' scripts and of the ES3 relay: SCP80 SMS, or SCP81 sessions opened by a push;
 * without a rule the procedures go by SMS and the relay per --es8-relay; https needs --scp81-listen,
 * else those sends fail with -ENOTCONN and a log line). A bad rule: exit 2.
 * E.g. --eis-variant 89049032:sms-transport=kannel --eis-variant '*:f2=keep-list'. The command line wins
 * over -c for the same PREFIX and KEY.
 *   rsplab-smsr keys-import --db FILE CARD.db.keys...   (smsr_keys.h)
 * -c CONFIG reads the same settings from a VTY config file (smsr_vty.h; the command line overrides it),
 * -T PORT serves the telnet VTY on 127.0.0.1:PORT (default: none): show counters/eis/change/config/timer.
 * Settings typed over telnet apply at the next start (written by `write`), except `timer ...` in the smsr
 * node: it sets the live table at once (smsr_vty.h). */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/pem.h>
#include <osmocom/core/application.h>
#include <osmocom/core/select.h>
#include <osmocom/vty/logging.h>
#include <osmocom/vty/stats.h>
#include <osmocom/vty/telnet_interface.h>
#include <osmocom/vty/vty.h>
#include <talloc.h>

#include "lib/crypto/ec.h"
#include "lib/crypto/x509.h"
#include "lib/es/es_txn.h"
#include "lib/esnet/esnet.h"
#include "lib/gpcert/gpcert.h"
#include "lib/ids/ids.h"
#include "lib/rscript/rscript.h"
#include "network/smsr/smsr.h"
#include "network/smsr/smsr_change.h"
#include "network/smsr/smsr_ctr.h"
#include "network/smsr/smsr_eisvar.h"
#include "network/smsr/smsr_es3.h"
#include "network/smsr/smsr_kannel.h"
#include "network/smsr/smsr_keys.h"
#include "network/smsr/smsr_log.h"
#include "network/smsr/smsr_netenv.h"
#include "network/smsr/smsr_ota.h"
#include "network/smsr/smsr_scp81.h"
#include "network/smsr/smsr_smpp.h"
#include "network/smsr/smsr_vty.h"

static volatile sig_atomic_t quit;
static struct esnet *g_es;
static const char *g_notify_url;
static struct smsr *g_sr;
static struct smsr_ota *g_ota;
static struct smsr_es3 *g_es3;
static struct smsr_scp81 *g_scp81;
static struct tls_ctx *g_cli_tls; /* ES notifications to an https --notify-url go out with our client cert */
static struct smsr_change *g_chg;
static struct tls_ctx *g_notify_tls;

/* The SM-SR peers of SM-SR Change (--peer-smsr OID=URL). */
#define MAX_PEERS      8
#define SMSR_OPTSTRING "c:T:i:d:l:p:u:n:C:K:A:E:S:X:L:P:R:k:h"
#define MAX_MNOS       8

/* Notification endpoints per operator (--mno-notify OID=URL): a Handle*Notification goes to the
 * profile owner's endpoint (open-questions §9: every profile owner), --notify-url for any other. */
static struct {
	char id[SMSR_OID_MAX];
	const char *url;
} g_mnos[MAX_MNOS];
static unsigned int g_n_mnos;
/* --peer-variant (and the config file's peer-variant lines): the ES reading per entity we send to */
static struct smsr_vty_cfg g_pvar;

static const struct es_variant *chg_peer_variant(void *priv, const char *peer_id)
{
	return smsr_vty_peer_variant(&g_pvar, peer_id);
}

static struct smsr_peer {
	char id[SMSR_OID_MAX];
	const char *url;
	struct tls_ctx *tls; /* NULL for http */
} g_peers[MAX_PEERS];
static unsigned int g_n_peers;

/* ISD-R TAR (SGP.02 Annex H) for the SCP81 push */
static const uint8_t push_tar[SCP80_TAR_LEN] = { 0x00, 0x00, 0x01 };

static int scp81_push(void *tp, const char *eid, uint32_t tag, const uint8_t *trigger, size_t len)
{
	return g_ota ? smsr_ota_send_raw(g_ota, eid, tag, push_tar, trigger, len, false) : -ENOTCONN;
}

/* A procedure's script that went over SCP81 (eis-variant es5 https): its AF response script as the
 * procedure layer takes a result, the last R-APDU's data and status word (as smsr_ota gives a PoR's). */
static void proc_https_result(uint32_t op, int rc, const uint8_t *rsp, size_t len)
{
	struct rscript_rsp_item it[8];
	const struct rscript_rsp_item *last = NULL;
	size_t n = 0;

	if (!g_sr)
		return;
	if (rc == 0 && rscript_rsp_decode(rsp, len, it, ARRAY_SIZE(it), &n) >= 0)
		for (size_t i = 0; i < n && i < ARRAY_SIZE(it); i++)
			if (it[i].kind == RSCRIPT_RSP_RAPDU)
				last = &it[i];
	if (rc == 0 && !last) {
		LOGP(DES5, LOGL_NOTICE, "SCP81: the response script of exchange %u has no R-APDU\n", op);
		rc = -EPROTO;
	}
	if (rc < 0) {
		smsr_es5_rx_result(g_sr, op, rc, 0, NULL, 0);
		return;
	}
	smsr_es5_rx_result(g_sr, op, 0, last->sw, last->data, last->data_len);
}

static void scp81_result(void *priv, uint32_t op, int rc, const uint8_t *rsp, size_t len)
{
	if (smsr_es3_owns_op(op)) {
		if (g_es3) /* NULL while shutting down */
			smsr_es3_rx_result(g_es3, op, rc, rsp, len);
	} else {
		proc_https_result(op, rc, rsp, len);
	}
}

/* An E1 the card POSTed in an admin session it opened: confirmed in that session (smsr_scp81.h). */
static int scp81_notification(void *priv, const char *eid, const uint8_t *e1, size_t len, uint16_t *seq)
{
	return g_sr ? smsr_es5_rx_notification_in_session(g_sr, eid, e1, len, seq) : -ENOTCONN;
}

static void ota_result(void *priv, uint32_t op, int rc, uint16_t sw, const uint8_t *resp, size_t len)
{
	if (smsr_change_owns_op(op)) { /* the scripts of SM-SR Change (3A01, 3A02, F2, 3A07) */
		if (g_chg)	       /* NULL while shutting down */
			smsr_change_es5_rx_result(g_chg, op, rc, sw, resp, len);
	} else if (g_sr)
		smsr_es5_rx_result(g_sr, op, rc, sw, resp, len);
}

static void ota_raw_result(void *priv, uint32_t op, int rc, const uint8_t *data, size_t len)
{
	if (smsr_es3_owns_op(op) && g_es3)
		smsr_es3_rx_result(g_es3, op, rc, data, len);
	else if (g_scp81 && (op & 0x40000000u))
		smsr_scp81_push_result(g_scp81, op, rc); /* the PoR of a push */
}

static void ota_notification(void *priv, const uint8_t *e1, size_t len)
{
	if (g_sr)
		smsr_es5_rx_notification(g_sr, e1, len);
}

/* --eis-variant (and the file's eis-variant lines): per-eUICC SMS transport, F2 meaning, handover-hide */
static struct smsr_eisvar g_eisvar;
static struct smsr_smpp *g_smpp;
static struct smsr_kannel *g_kannel;
static const struct smsr_sms_ops smpp_ops = { .send = smsr_smpp_send }, kannel_ops = { .send = smsr_kannel_send };

/* smsr_ota's router: the transport of eid's sms-transport rule; without one, the default (--sms-transport) */
static int ota_route(void *priv, const char *eid, const struct smsr_sms_ops **sms, void **tp)
{
	int t = smsr_eisvar_get(&g_eisvar, eid, SMSR_EISVAR_SMS_TRANSPORT, -1);

	if (t < 0)
		return 0;
	if (t == SMSR_SMS_KANNEL ? !g_kannel : !g_smpp) {
		LOGP(DES5, LOGL_ERROR, "EID-%s: its eis-variant rule names SMS transport %s, which is not running\n",
		     eid, get_value_string(smsr_sms_transport_names, t));
		return -ENOTCONN;
	}
	*sms = t == SMSR_SMS_KANNEL ? &kannel_ops : &smpp_ops;
	*tp = t == SMSR_SMS_KANNEL ? (void *)g_kannel : (void *)g_smpp;
	return 0;
}

static void smpp_mo(void *priv, const char *src, const uint8_t *ud, size_t len)
{
	smsr_ota_rx_mo(g_ota, src, ud, len);
}

static void smpp_status(void *priv, uint32_t tag, int rc)
{
	smsr_ota_tx_status(g_ota, tag, rc);
}

/* The Kannel transport from net.env (MNO1's SM-SR): sendsms to KANNEL_ADDR:KANNEL_SENDSMS_PORT, MO
 * callbacks served where KANNEL_MO_URL points. NULL (with a message) when a setting is missing. */
static struct smsr_kannel *kannel_from_netenv(void *ctx, const char *path)
{
	char addr[64], port[16], user[32], pw[64], sc[24], mo[128], mo_host[64], mo_path[64] = "/mo";
	unsigned int mo_port = 0;
	struct smsr_kannel *k;

	if (smsr_netenv_get(path, "KANNEL_ADDR", addr, sizeof(addr)) < 0 ||
	    smsr_netenv_get(path, "KANNEL_SENDSMS_PORT", port, sizeof(port)) < 0 ||
	    smsr_netenv_get(path, "KANNEL_SENDSMS_USER", user, sizeof(user)) < 0 ||
	    smsr_netenv_get(path, "KANNEL_SENDSMS_PASSWORD", pw, sizeof(pw)) < 0 ||
	    smsr_netenv_get(path, "SMSR1_SHORT_CODE", sc, sizeof(sc)) < 0 ||
	    smsr_netenv_get(path, "KANNEL_MO_URL", mo, sizeof(mo)) < 0 ||
	    sscanf(mo, "http://%63[^:]:%u%63s", mo_host, &mo_port, mo_path) < 2 || mo_port > 65535) {
		fprintf(stderr,
			"rsplab-smsr: %s lacks a KANNEL_ADDR, KANNEL_SENDSMS_PORT, KANNEL_SENDSMS_USER, "
			"KANNEL_SENDSMS_PASSWORD, SMSR1_SHORT_CODE or http://HOST:PORT/PATH KANNEL_MO_URL\n",
			path);
		return NULL;
	}
	k = smsr_kannel_alloc(ctx,
			      &(struct smsr_kannel_cfg){ .host = addr,
							 .port = (uint16_t)atoi(port),
							 .username = user,
							 .password = pw,
							 .from = sc,
							 .listen_addr = mo_host,
							 .listen_port = (uint16_t)mo_port,
							 .mo_path = mo_path },
			      &(struct smsr_kannel_up){ .mo = smpp_mo, .tx_status = smpp_status });
	explicit_bzero(pw, sizeof(pw));
	if (!k)
		fprintf(stderr, "rsplab-smsr: cannot serve Kannel callbacks on %s:%u\n", mo_host, mo_port);
	return k;
}

/* The SMPP ESME from net.env. NULL (with a message) when a setting is missing. */
static struct smsr_smpp *smpp_from_netenv(void *ctx, const char *path, bool transaction)
{
	char addr[64], port[16], id[32], pw[64], sc[24];
	struct smsr_smpp *e;

	if (smsr_netenv_get(path, "MSC_ADDR", addr, sizeof(addr)) < 0 ||
	    smsr_netenv_get(path, "MSC_SMPP_PORT", port, sizeof(port)) < 0 ||
	    smsr_netenv_get(path, "SMSR2_ESME_ID", id, sizeof(id)) < 0 ||
	    smsr_netenv_get(path, "SMSR2_ESME_PASSWORD", pw, sizeof(pw)) < 0 ||
	    smsr_netenv_get(path, "SMSR2_SHORT_CODE", sc, sizeof(sc)) < 0) {
		fprintf(stderr,
			"rsplab-smsr: %s lacks MSC_ADDR, MSC_SMPP_PORT, SMSR2_ESME_ID, SMSR2_ESME_PASSWORD "
			"or SMSR2_SHORT_CODE\n",
			path);
		return NULL;
	}
	e = smsr_smpp_alloc(ctx,
			    &(struct smsr_smpp_cfg){ .host = addr,
						     .port = (uint16_t)atoi(port),
						     .system_id = id,
						     .password = pw,
						     .src_addr = sc,
						     .transaction_mode = transaction,
						     .dcs = SMPP_DD_DCS_F6 },
			    &(struct smsr_smpp_up){ .mo = smpp_mo, .tx_status = smpp_status });
	explicit_bzero(pw, sizeof(pw));
	return e;
}

static void sig_cb(int sig)
{
	quit = 1; /* async-signal-safe: only a flag */
}

static void respond_cb(void *handle, struct es_msg *resp)
{
	esnet_in_respond(handle, resp);
}

static int es5_unconnected(struct smsr *sr, const char *eid, uint32_t op, const uint8_t *s, size_t len, void *priv)
{
	LOGP(DES5, LOGL_NOTICE, "EID-%s: no ES5 transport configured\n", eid);
	return -ENOTCONN;
}

/* --es8-relay sms: the ES3 relay by SMS even with an SCP81 server */
static bool g_relay_sms;

/* Whether eid's ES5 scripts go over SCP81: its eis-variant es5 rule, else the daemon's default (dflt). */
static bool es5_https(const char *eid, bool dflt)
{
	int b = smsr_eisvar_get(&g_eisvar, eid, SMSR_EISVAR_ES5, -1);

	return b < 0 ? dflt : b == SMSR_ES5_HTTPS;
}

static int no_scp81(const char *eid)
{
	LOGP(DES5, LOGL_ERROR,
	     "EID-%s: its eis-variant rule asks for ES5 over HTTPS, but there is no SCP81 server "
	     "(--scp81-listen)\n",
	     eid);
	return -ENOTCONN;
}

/* The procedures' ES5 (struct smsr_es5_ops): by SMS unless eid's rule says es5 https. */
static int proc_send_script(struct smsr *sr, const char *eid, uint32_t op, const uint8_t *script, size_t len,
			    void *priv)
{
	uint8_t isdr[IDS_AID_LEN];

	if (!es5_https(eid, false))
		return g_ota ? smsr_ota_send_script(sr, eid, op, script, len, g_ota)
			     : es5_unconnected(sr, eid, op, script, len, priv);
	if (!g_scp81)
		return no_scp81(eid);
	ids_aid_from_tar(isdr, IDS_TAR_ISD_R);
	return smsr_scp81_send(g_scp81, eid, op, isdr, sizeof(isdr), script, len, false);
}

/* The ES3 relay's ES5 (struct smsr_relay_ops): eid's rule, else SCP81 when served unless --es8-relay sms. */
static int relay_send(void *tp, const char *eid, uint32_t op, const uint8_t *aid, size_t aid_len, const uint8_t *script,
		      size_t len, bool more)
{
	if (es5_https(eid, g_scp81 && !g_relay_sms))
		return g_scp81 ? smsr_scp81_send(g_scp81, eid, op, aid, aid_len, script, len, more) : no_scp81(eid);
	return g_ota ? smsr_relay_sms_send(g_ota, eid, op, aid, aid_len, script, len, more) : -ENOTCONN;
}

static bool owner_has_es4_cb(const char *mno_id, void *priv)
{
	for (unsigned int i = 0; i < g_n_mnos; i++)
		if (strcmp(g_mnos[i].id, mno_id) == 0)
			return true;
	return false;
}

static void notify_cb(struct smsr *sr, const char *mno_id, struct es_msg *msg, void *priv)
{
	struct esnet_peer peer = { .url = g_notify_url,
				   .entity_id = mno_id,
				   .tls = g_notify_tls ? g_notify_tls : g_cli_tls,
				   .variant = *smsr_vty_peer_variant(&g_pvar, mno_id) };

	for (unsigned int i = 0; mno_id && i < g_n_mnos; i++) {
		if (strcmp(g_mnos[i].id, mno_id) == 0) {
			peer.url = g_mnos[i].url;
			peer.tls = g_cli_tls; /* chain checked against the CI; the host is this operator's */
			break;
		}
	}
	if (!peer.url || !g_es)
		return;
	if (esnet_call(g_es, &peer, msg, NULL, NULL, NULL) < 0) {
		smsr_ctr_es_inc(es_msgs[msg->id].iface, SMSR_CTR_ES_OUT_ERR);
		LOGP(DES4, LOGL_ERROR, "notification to %s not sent: %s\n", mno_id, esnet_last_error(g_es));
	} else {
		smsr_ctr_es_inc(es_msgs[msg->id].iface, SMSR_CTR_ES_REQ_OUT);
	}
}

/* ---- SM-SR Change on the daemon's transports ------------------------------------------------------- */

static int chg_es5_send(void *priv, const char *eid, uint32_t op, const uint8_t *script, size_t len)
{
	if (!g_ota) {
		LOGP(DES5, LOGL_NOTICE, "EID-%s: no ES5 transport configured\n", eid);
		return -ENOTCONN;
	}
	return smsr_ota_send(g_ota, eid, op, script, len);
}

static void chg_call_done(struct esnet_call *call, int rc, const struct es_msg *resp, const struct soap_findings *f,
			  void *priv)
{
	uint32_t tag = (uint32_t)(uintptr_t)priv;

	if (!g_chg) /* shutting down */
		return;
	if (rc == 0 && (!resp || resp->is_fault)) {
		smsr_ctr_es_inc(7, SMSR_CTR_ES_FAULT_IN);
		LOGP(DES7, LOGL_NOTICE, "ES7 call %u answered with a fault\n", tag);
		rc = -EPROTO;
	} else if (rc < 0) {
		smsr_ctr_es_inc(7, SMSR_CTR_ES_OUT_ERR);
		LOGP(DES7, LOGL_NOTICE, "ES7 call %u failed: %d (%s)\n", tag, rc, esnet_last_error(g_es));
	}
	smsr_change_es_rx_response(g_chg, tag, rc, rc == 0 ? resp : NULL);
}

static const struct smsr_peer *peer_by_id(const char *id)
{
	for (unsigned int i = 0; i < g_n_peers; i++)
		if (!strcmp(g_peers[i].id, id))
			return &g_peers[i];
	return NULL;
}

static int chg_es_call(void *priv, const char *peer_id, struct es_msg *req, uint32_t tag)
{
	const struct smsr_peer *p = peer_by_id(peer_id);
	struct esnet_peer peer;
	int rc;

	if (!p) {
		LOGP(DES7, LOGL_ERROR, "%s: no URL for SM-SR %s (--peer-smsr)\n", es_msgs[req->id].name, peer_id);
		return -EHOSTUNREACH;
	}
	peer = (struct esnet_peer){
		.url = p->url, .entity_id = p->id, .tls = p->tls, .variant = *smsr_vty_peer_variant(&g_pvar, p->id)
	};
	rc = esnet_call(g_es, &peer, req, chg_call_done, (void *)(uintptr_t)tag, NULL);
	smsr_ctr_es_inc(es_msgs[req->id].iface, rc < 0 ? SMSR_CTR_ES_OUT_ERR : SMSR_CTR_ES_REQ_OUT);
	if (rc < 0)
		LOGP(DES7, LOGL_ERROR, "%s to %s not sent: %s\n", es_msgs[req->id].name, peer_id,
		     esnet_last_error(g_es));
	return rc;
}

static int chg_respond_stored(void *priv, const char *reply_to, const char *relates_to, enum es_ns_variant ns,
			      struct es_msg *resp)
{
	char url[ESNET_HOST_MAX + ESNET_PATH_MAX + 16];
	int rc = esnet_url_strip_query(reply_to, url, sizeof(url));

	if (rc >= 0)
		rc = esnet_send_callback(g_es, url, relates_to, ns, resp);
	if (rc < 0)
		LOGP(DES7, LOGL_ERROR, "%s after a restart not sent: %s\n", es_msgs[resp->id].name,
		     esnet_last_error(g_es));
	return rc;
}

static void chg_notify(void *priv, const char *to_id, struct es_msg *msg)
{
	notify_cb(g_sr, to_id, msg, NULL);
}

/* esnet: a callback no live call waits for (after a restart, SR1's HandoverEUICC response). */
static int chg_unmatched(const struct es_msg *msg, const struct soap_findings *f, void *priv)
{
	return g_chg ? smsr_change_es_rx_unmatched(g_chg, msg) : -ENOENT;
}

static int read_all(const char *path, uint8_t *buf, size_t cap, size_t *len)
{
	FILE *f = fopen(path, "rb");
	size_t n;

	if (!f)
		return -errno;
	n = fread(buf, 1, cap, f);
	fclose(f);
	if (n == cap)
		return -EMSGSIZE;
	*len = n;
	return 0;
}

/* A hex file's content without surrounding white space. */
static char *hex_line(char *s)
{
	size_t n;

	while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
		s++;
	n = strlen(s);
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\n' || s[n - 1] == '\r'))
		s[--n] = '\0';
	return s;
}

static X509 *load_x509(const char *path)
{
	uint8_t buf[8192];
	size_t len;
	X509 *x = NULL;

	if (read_all(path, buf, sizeof(buf), &len) < 0 || crypto_x509_from_pem(buf, len, &x) < 0)
		fprintf(stderr, "rsplab-smsr: %s: not a PEM X.509 certificate\n", path);
	return x;
}

/* CERT.SR.ECDSA (hex of the 7F21 TLV) and SK.SR.ECDSA (a hex scalar on the certificate's curve, as
 * `rsplab pki init` writes gp-key.hex, or a PEM private key). 0 or -1 (with a message). */
static int load_sr_identity(const char *cert_path, const char *key_path, uint8_t *cert, size_t cap, size_t *cert_len,
			    EVP_PKEY **key)
{
	uint8_t buf[4096], raw[EC_SCALAR_LEN + 1];
	size_t len;
	int n;
	struct gpcert c;
	enum gpcert_err why;

	if (read_all(cert_path, buf, sizeof(buf) - 1, &len) < 0) {
		fprintf(stderr, "rsplab-smsr: --sr-cert %s: cannot read\n", cert_path);
		return -1;
	}
	buf[len] = '\0';
	n = osmo_hexparse(hex_line((char *)buf), cert, cap);
	if (n <= 0 || gpcert_decode_exact(&c, cert, (size_t)n, &why) < 0) {
		fprintf(stderr, "rsplab-smsr: --sr-cert %s: not the hex of a GP 7F21 certificate\n", cert_path);
		return -1;
	}
	*cert_len = (size_t)n;
	if (read_all(key_path, buf, sizeof(buf) - 1, &len) < 0) {
		fprintf(stderr, "rsplab-smsr: --sr-key %s: cannot read\n", key_path);
		return -1;
	}
	buf[len] = '\0';
	if (strstr((char *)buf, "-----BEGIN")) {
		BIO *b = BIO_new_mem_buf(buf, (int)len);

		*key = b ? PEM_read_bio_PrivateKey(b, NULL, NULL, NULL) : NULL;
		BIO_free(b);
	} else {
		n = osmo_hexparse(hex_line((char *)buf), raw, sizeof(raw));
		if (n != EC_SCALAR_LEN || crypto_ec_from_private(c.curve, raw, (size_t)n, key) < 0)
			*key = NULL;
		OPENSSL_cleanse(raw, sizeof(raw));
	}
	OPENSSL_cleanse(buf, sizeof(buf));
	if (!*key || crypto_ec_curve_of(*key) < 0) {
		fprintf(stderr, "rsplab-smsr: --sr-key %s: not an EC private key on the certificate's curve\n",
			key_path);
		return -1;
	}
	return 0;
}

/* A client TLS context for url (the server certificate must chain to the CA and match the URL's host);
 * NULL for http URLs. *fail on an error. */
static struct tls_ctx *client_tls_for(void *ctx, const char *url, const char *cert, const char *key, const char *ca,
				      const char *keylog, bool *fail)
{
	struct esnet_url u;
	char err[256];
	struct tls_ctx *t;

	if (esnet_url_parse(url, &u) < 0) {
		fprintf(stderr, "rsplab-smsr: %s: not an http(s) URL\n", url);
		*fail = true;
		return NULL;
	}
	if (!u.tls)
		return NULL;
	if (!cert || !key || !ca) {
		fprintf(stderr, "rsplab-smsr: %s needs --cert, --key and --ca\n", url);
		*fail = true;
		return NULL;
	}
	t = tls_ctx_alloc(ctx,
			  &(struct tls_cfg){ .role = TLS_ROLE_CLIENT,
					     .cert_file = cert,
					     .key_file = key,
					     .ca_file = ca,
					     .verify_host = u.host,
					     .keylog_file = keylog },
			  err, sizeof(err));
	if (!t) {
		fprintf(stderr, "rsplab-smsr: TLS for %s: %s\n", url, err);
		*fail = true;
	}
	return t;
}

static void handler(struct esnet_in *in, void *priv)
{
	struct smsr *sr = priv;
	const struct es_msg *m = esnet_in_msg(in);
	struct smsr_reply r = { .respond = respond_cb, .handle = in, .requester = esnet_in_sender_id(in) };

	r.xml = esnet_in_body(in, &r.xml_len);

	if (esnet_in_expired(in)) {
		struct es_msg *resp = talloc_zero(NULL, struct es_msg);

		resp->id = m->id + 1;
		es_fes_expired(&resp->u.es1_register_eis_resp.function_execution_status);
		esnet_in_respond(in, resp);
		talloc_free(resp);
		return;
	}
	if (smsr_change_handles(m->id))
		smsr_change_es_request(g_chg, m, &r);
	else if (smsr_es3_handles(m->id))
		smsr_es3_request(g_es3, m, &r);
	else
		smsr_es_request(sr, m, &r);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "smsr-id", 1, NULL, 'i' },
		{ "db", 1, NULL, 'd' },
		{ "listen", 1, NULL, 'l' },
		{ "port", 1, NULL, 'p' },
		{ "url", 1, NULL, 'u' },
		{ "notify-url", 1, NULL, 'n' },
		{ "cert", 1, NULL, 'C' },
		{ "key", 1, NULL, 'K' },
		{ "ca", 1, NULL, 'A' },
		{ "net-env", 1, NULL, 'E' },
		{ "smpp-transaction", 0, NULL, 300 },
		{ "spi", 1, NULL, 'S' },
		{ "sms-transport", 1, NULL, 'X' },
		{ "scp81-listen", 1, NULL, 'L' },
		{ "scp81-push-addr", 1, NULL, 'P' },
		{ "es8-relay", 1, NULL, 'R' },
		{ "tls-keylog", 1, NULL, 'k' },
		{ "peer-smsr", 1, NULL, 256 },
		{ "sr-cert", 1, NULL, 257 },
		{ "sr-key", 1, NULL, 258 },
		{ "ci", 1, NULL, 259 },
		{ "eum", 1, NULL, 260 },
		{ "addressing", 1, NULL, 261 },
		{ "f2", 1, NULL, 262 },
		{ "handover-hide", 1, NULL, 263 },
		{ "change-notify", 1, NULL, 264 },
		{ "mno-notify", 1, NULL, 265 },
		{ "scp81-keyset", 1, NULL, 266 },
		{ "por-timeout", 1, NULL, 267 },
		{ "peer-variant", 1, NULL, 269 },
		{ "eis-sig", 1, NULL, 268 },
		{ "timer", 1, NULL, 270 },
		{ "eis-variant", 1, NULL, 271 },
		{ "config", 1, NULL, 'c' },
		{ "telnet-port", 1, NULL, 'T' },
		{ "help", 0, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *smsr_id = NULL, *db = NULL, *listen = "127.0.0.1", *url = NULL, *cert = NULL, *key = NULL,
		   *ca = NULL, *keylog = NULL;
	int port = 0, c, por_timeout = 0;
	struct {
		int T;
		unsigned long s;
	} timers[3];
	unsigned int n_timers = 0;
	void *ctx;
	char err[256];
	struct smsr_store *store;
	struct smsr *sr;
	struct tls_ctx *srv_tls = NULL, *cli_tls = NULL;
	struct esnet_handler handlers[ES_MSG__COUNT];
	size_t nh = 0;
	struct smsr_es5_ops es5 = { .send_script = proc_send_script };
	const char *net_env = NULL;
	bool transaction = false;
	struct smsr_ota_cfg ocfg = { .max_retx = 2 };
	struct smsr_smpp *smpp = NULL;
	struct smsr_kannel *kannel = NULL;
	bool use_kannel = false;
	const char *scp81_listen = NULL, *scp81_push_addr = NULL;
	bool relay_sms = false;
	const char *sr_cert_path = NULL, *sr_key_path = NULL, *ci_path = NULL, *eum_paths[4];
	unsigned int n_eum = 0;
	static uint8_t sr_cert[1024], addressing[128];
	X509 *ci = NULL, *eum[4];
	EVP_PKEY *eum_keys[4];
	size_t n_eum_keys = 0;
	enum smsr_eis_sig eis_sig = SMSR_EIS_SIG_DSIG_DETACHED; /* smsr.h: default */
	EVP_PKEY *sr_key = NULL;
	struct smsr_change_cfg ccfg = { .f2 = ES5_F2_DELETE_LIST, .ecka = ecka_variants_default };
	bool tls_fail = false;
	int v;
	static struct smsr_vty_cfg file_cfg, running; /* -c CONFIG; the effective settings (show config) */
	static struct vty_app_info vty_info = { .name = "rsplab-smsr", .version = "0" };
	const char *config = NULL;
	int telnet_port = 0;

	if (argc > 1 && !strcmp(argv[1], "keys-import")) /* smsr_keys.h: a card's keys into the store */
		return smsr_keys_import_main(argc - 1, argv + 1);
	/* ---- -c CONFIG / -T TELNET_PORT (smsr_vty.h): the file's settings first, the options override them */
	talloc_enable_null_tracking();
	ctx = talloc_named_const(NULL, 0, "rsplab-smsr");
	osmo_init_logging2(ctx, &smsr_log_info);
	opterr = 0;
	while ((c = getopt_long(argc, argv, SMSR_OPTSTRING, opts, NULL)) != -1) {
		if (c == 'c')
			config = optarg;
		else if (c == 'T' && ((telnet_port = atoi(optarg)) <= 0 || telnet_port > 65535)) {
			fprintf(stderr, "rsplab-smsr: -T TELNET_PORT: 1..65535\n");
			return 2;
		}
	}
	optind = 0; /* glibc: scan again from the start */
	opterr = 1;
	vty_info.tall_ctx = ctx;
	vty_init(&vty_info);
	logging_vty_add_cmds();
	osmo_stats_vty_add_cmds();
	smsr_vty_cfg_init(&file_cfg);
	smsr_vty_cfg_init(&g_pvar);
	smsr_vty_init(&file_cfg);
	if (config && smsr_vty_read_config(&file_cfg, config, err, sizeof(err)) < 0) {
		fprintf(stderr, "rsplab-smsr: %s: %s\n", config, err);
		return 2;
	}
	if (file_cfg.smsr_id[0])
		smsr_id = file_cfg.smsr_id;
	if (file_cfg.db[0])
		db = file_cfg.db;
	if (file_cfg.listen[0])
		listen = file_cfg.listen;
	if (file_cfg.port >= 0)
		port = file_cfg.port;
	if (file_cfg.url[0])
		url = file_cfg.url;
	if (file_cfg.notify_url[0])
		g_notify_url = file_cfg.notify_url;
	cert = file_cfg.cert[0] ? file_cfg.cert : NULL;
	key = file_cfg.key[0] ? file_cfg.key : NULL;
	ca = file_cfg.ca[0] ? file_cfg.ca : NULL;
	keylog = file_cfg.keylog[0] ? file_cfg.keylog : NULL;
	net_env = file_cfg.net_env[0] ? file_cfg.net_env : NULL;
	use_kannel = file_cfg.kannel == 1;
	transaction = file_cfg.transaction == 1;
	if (file_cfg.spi >= 0)
		ocfg.spi = (enum scp80_spi_variant)file_cfg.spi;
	scp81_listen = file_cfg.scp81_listen[0] ? file_cfg.scp81_listen : NULL;
	scp81_push_addr = file_cfg.scp81_push_addr[0] ? file_cfg.scp81_push_addr : NULL;
	relay_sms = file_cfg.relay_sms == 1;
	sr_cert_path = file_cfg.sr_cert[0] ? file_cfg.sr_cert : NULL;
	sr_key_path = file_cfg.sr_key[0] ? file_cfg.sr_key : NULL;
	ci_path = file_cfg.ci[0] ? file_cfg.ci : NULL;
	if (file_cfg.addressing[0]) { /* checked when read */
		ccfg.addressing_len = (size_t)osmo_hexparse(file_cfg.addressing, addressing, sizeof(addressing));
		ccfg.addressing = addressing;
	}
	if (file_cfg.f2 >= 0)
		ccfg.f2 = (enum es5_f2_semantics)file_cfg.f2;
	if (file_cfg.hide >= 0)
		ccfg.hide = (enum smsr_change_hide)file_cfg.hide;
	if (file_cfg.notify >= 0)
		ccfg.notify = (enum smsr_change_notify)file_cfg.notify;
	if (file_cfg.scp81_keyset >= 0)
		ccfg.scp81 = (enum smsr_change_scp81)file_cfg.scp81_keyset;
	if (file_cfg.por_timeout > 0)
		por_timeout = file_cfg.por_timeout;
	if (file_cfg.eis_sig >= 0)
		eis_sig = (enum smsr_eis_sig)file_cfg.eis_sig;
	g_eisvar = file_cfg.eisvar; /* an --eis-variant for the same PREFIX and KEY replaces the file's */
	/* (the file's peer-smsr, mno-notify and eum-certificate lines join after the options: an OID given on
	 * the command line keeps the command line's URL) */
	while ((c = getopt_long(argc, argv, SMSR_OPTSTRING, opts, NULL)) != -1) {
		switch (c) {
		case 'c':
		case 'T': break; /* taken above */
		case 300: transaction = true; break;
		case 'i': smsr_id = optarg; break;
		case 'd': db = optarg; break;
		case 'l': listen = optarg; break;
		case 'p': port = atoi(optarg); break;
		case 'u': url = optarg; break;
		case 'n': g_notify_url = optarg; break;
		case 'C': cert = optarg; break;
		case 'K': key = optarg; break;
		case 'A': ca = optarg; break;
		case 'E': net_env = optarg; break;
		case 'k': keylog = optarg; break;
		case 'X':
			if (strcmp(optarg, "smpp") && strcmp(optarg, "kannel")) {
				fprintf(stderr, "rsplab-smsr: --sms-transport: smpp or kannel\n");
				return 2;
			}
			use_kannel = !strcmp(optarg, "kannel");
			break;
		case 'L': scp81_listen = optarg; break;
		case 'P': scp81_push_addr = optarg; break;
		case 'R':
			if (strcmp(optarg, "https") && strcmp(optarg, "sms")) {
				fprintf(stderr, "rsplab-smsr: --es8-relay: https or sms\n");
				return 2;
			}
			relay_sms = !strcmp(optarg, "sms");
			break;
		case 265: {
			const char *eq = strchr(optarg, '=');

			if (!eq || eq == optarg || (size_t)(eq - optarg) >= SMSR_OID_MAX || g_n_mnos == MAX_MNOS) {
				fprintf(stderr, "rsplab-smsr: --mno-notify OID=URL (at most %d)\n", MAX_MNOS);
				return 2;
			}
			snprintf(g_mnos[g_n_mnos].id, sizeof(g_mnos[0].id), "%.*s", (int)(eq - optarg), optarg);
			g_mnos[g_n_mnos++].url = eq + 1;
			break;
		}
		case 256: {
			const char *eq = strchr(optarg, '=');

			if (!eq || eq == optarg || (size_t)(eq - optarg) >= SMSR_OID_MAX || g_n_peers == MAX_PEERS) {
				fprintf(stderr, "rsplab-smsr: --peer-smsr OID=URL (at most %d)\n", MAX_PEERS);
				return 2;
			}
			snprintf(g_peers[g_n_peers].id, sizeof(g_peers[0].id), "%.*s", (int)(eq - optarg), optarg);
			g_peers[g_n_peers++].url = eq + 1;
			break;
		}
		case 257: sr_cert_path = optarg; break;
		case 258: sr_key_path = optarg; break;
		case 259: ci_path = optarg; break;
		case 260:
			if (n_eum == ARRAY_SIZE(eum_paths)) {
				fprintf(stderr, "rsplab-smsr: at most %zu --eum\n", ARRAY_SIZE(eum_paths));
				return 2;
			}
			eum_paths[n_eum++] = optarg;
			break;
		case 261:
			v = osmo_hexparse(optarg, addressing, sizeof(addressing));
			if (v <= 0) {
				fprintf(stderr, "rsplab-smsr: --addressing: the hex value of DGI 3A07\n");
				return 2;
			}
			ccfg.addressing = addressing;
			ccfg.addressing_len = (size_t)v;
			break;
		case 262:
			if ((v = get_string_value(es5_f2_semantics_names, optarg)) < 0) {
				fprintf(stderr, "rsplab-smsr: --f2: delete-list or keep-list\n");
				return 2;
			}
			ccfg.f2 = (enum es5_f2_semantics)v;
			break;
		case 263:
			if ((v = get_string_value(smsr_change_hide_names, optarg)) < 0) {
				fprintf(stderr, "rsplab-smsr: --handover-hide: KEY_VALUES or KEYSETS\n");
				return 2;
			}
			ccfg.hide = (enum smsr_change_hide)v;
			break;
		case 264:
			if ((v = get_string_value(smsr_change_notify_names, optarg)) < 0) {
				fprintf(stderr, "rsplab-smsr: --change-notify: ES4 or ES3\n");
				return 2;
			}
			ccfg.notify = (enum smsr_change_notify)v;
			break;
		case 266:
			if ((v = get_string_value(smsr_change_scp81_names, optarg)) < 0) {
				fprintf(stderr, "rsplab-smsr: --scp81-keyset: ecka or none\n");
				return 2;
			}
			ccfg.scp81 = (enum smsr_change_scp81)v;
			break;
		case 268:
			if ((v = get_string_value(smsr_eis_sig_names, optarg)) < 0) {
				fprintf(stderr, "rsplab-smsr: --eis-sig: dsig-detached, direct or none\n");
				return 2;
			}
			eis_sig = (enum smsr_eis_sig)v;
			break;
		case 269: {
			/* OID:KEY=NAME */
			char oid[SMSR_OID_MAX], vkey[32], name[48], why[160] = "not OID:KEY=NAME";

			if (sscanf(optarg, "%127[^:]:%31[^=]=%47s", oid, vkey, name) != 3 ||
			    smsr_vty_peer_variant_set(&g_pvar, oid, vkey, name, why, sizeof(why)) < 0) {
				fprintf(stderr, "rsplab-smsr: --peer-variant %s: %s\n", optarg, why);
				return 2;
			}
			break;
		}
		case 271: {
			char why[160];

			if (smsr_eisvar_parse(&g_eisvar, optarg, why, sizeof(why)) < 0) {
				fprintf(stderr, "rsplab-smsr: --%s\n", why); /* why starts with "eis-variant" */
				return 2;
			}
			break;
		}
		case 267:
			por_timeout = atoi(optarg);
			if (por_timeout < 1 || por_timeout > 3600) {
				fprintf(stderr, "rsplab-smsr: --por-timeout: 1..3600 seconds\n");
				return 2;
			}
			break;
		case 270: {
			static const struct value_string timer_names[] = { { SMSR_CHG_T_ES7, "es7" },
									   { SMSR_CHG_T_ES5, "es5" },
									   { SMSR_CHG_T_ES7_RETRY, "es7-retry" },
									   { 0, NULL } };
			const char *eq = strchr(optarg, '=');
			char name[16];
			long secs = eq ? strtol(eq + 1, NULL, 10) : 0;

			snprintf(name, sizeof(name), "%.*s", eq ? (int)(eq - optarg) : 0, optarg);
			v = eq ? get_string_value(timer_names, name) : -EINVAL;
			if (v == -EINVAL || secs < 1 || secs > 86400 || n_timers >= ARRAY_SIZE(timers)) {
				fprintf(stderr, "rsplab-smsr: --timer: es7|es5|es7-retry=1..86400 (seconds)\n");
				return 2;
			}
			timers[n_timers].T = v;
			timers[n_timers++].s = (unsigned long)secs;
			break;
		}
		case 'S':
			if (get_string_value(scp80_spi_variant_names, optarg) < 0) {
				fprintf(stderr, "rsplab-smsr: --spi: one of SPI_1639, SPI_1621\n");
				return 2;
			}
			ocfg.spi = (enum scp80_spi_variant)get_string_value(scp80_spi_variant_names, optarg);
			break;
		default:
			fprintf(c == 'h' ? stdout : stderr, "usage: rsplab-smsr [-c CONFIG] [-T TELNET_PORT] --smsr-id "
							    "OID --db FILE [--listen "
							    "ADDR] [--port N] [--url URL]\n"
							    "                   [--notify-url URL] [--cert PEM --key "
							    "PEM --ca PEM]\n"
							    "                   [--net-env FILE [--sms-transport "
							    "smpp|kannel] [--smpp-transaction]]\n"
							    "                   [--spi SPI_1639|SPI_1621]\n"
							    "                   [--scp81-listen ADDR:PORT "
							    "[--scp81-push-addr IPV4]] [--es8-relay https|sms]\n"
							    "                   [--peer-smsr OID=URL]... [--sr-cert "
							    "HEXFILE --sr-key FILE] [--ci PEM] [--eum PEM]...\n"
							    "                   [--addressing HEX] [--f2 "
							    "delete-list|keep-list] [--handover-hide "
							    "KEY_VALUES|KEYSETS]\n"
							    "                   [--change-notify ES4|ES3] "
							    "[--scp81-keyset ecka|none] [--eis-sig "
							    "dsig-detached|direct|none] [--tls-keylog FILE]\n"
							    "                   [--por-timeout S] [--peer-variant "
							    "OID:KEY=NAME]... [--timer es7|es5|es7-retry=S]...\n"
							    "                   [--eis-variant "
							    "PREFIX:sms-transport|f2|handover-hide=NAME]...\n");
			return c == 'h' ? 0 : 2;
		}
	}
	if (!smsr_id || !db || port < 0 || port > 65535) {
		fprintf(stderr, "rsplab-smsr: --smsr-id and --db (or smsr-id and database in -c CONFIG) are "
				"required\n");
		return 2;
	}
	/* ---- the file's list entries after the options', then the effective settings for the VTY */
	for (unsigned int i = 0; i < file_cfg.n_peer; i++)
		if (!peer_by_id(file_cfg.peer[i].id) && g_n_peers < MAX_PEERS) {
			osmo_strlcpy(g_peers[g_n_peers].id, file_cfg.peer[i].id, sizeof(g_peers[0].id));
			g_peers[g_n_peers++].url = file_cfg.peer[i].url;
		}
	for (unsigned int i = 0; i < file_cfg.n_mno; i++) {
		unsigned int j;

		for (j = 0; j < g_n_mnos && strcmp(g_mnos[j].id, file_cfg.mno[i].id); j++)
			;
		if (j == g_n_mnos && g_n_mnos < MAX_MNOS) {
			osmo_strlcpy(g_mnos[g_n_mnos].id, file_cfg.mno[i].id, sizeof(g_mnos[0].id));
			g_mnos[g_n_mnos++].url = file_cfg.mno[i].url;
		}
	}
	for (unsigned int i = 0; i < file_cfg.n_eum; i++) {
		unsigned int j;

		for (j = 0; j < n_eum && strcmp(eum_paths[j], file_cfg.eum[i]); j++)
			;
		if (j == n_eum && n_eum < ARRAY_SIZE(eum_paths))
			eum_paths[n_eum++] = file_cfg.eum[i];
	}
	for (unsigned int i = 0; i < file_cfg.n_pvar; i++) {
		unsigned int j;

		for (j = 0; j < g_pvar.n_pvar && strcmp(g_pvar.pvar[j].id, file_cfg.pvar[i].id); j++)
			;
		if (j == g_pvar.n_pvar && g_pvar.n_pvar < ARRAY_SIZE(g_pvar.pvar))
			g_pvar.pvar[g_pvar.n_pvar++] = file_cfg.pvar[i];
	}
	smsr_vty_cfg_init(&running);
	memcpy(running.pvar, g_pvar.pvar, sizeof(running.pvar));
	running.n_pvar = g_pvar.n_pvar;
	running.eisvar = g_eisvar;
#define RUN_STR(field, val) osmo_strlcpy(running.field, (val) ? (val) : "", sizeof(running.field))
	RUN_STR(smsr_id, smsr_id);
	RUN_STR(db, db);
	RUN_STR(listen, listen);
	running.port = port;
	RUN_STR(url, url);
	RUN_STR(notify_url, g_notify_url);
	RUN_STR(cert, cert);
	RUN_STR(key, key);
	RUN_STR(ca, ca);
	RUN_STR(keylog, keylog);
	RUN_STR(net_env, net_env);
	running.kannel = use_kannel;
	running.transaction = transaction;
	running.spi = ocfg.spi;
	RUN_STR(scp81_listen, scp81_listen);
	RUN_STR(scp81_push_addr, scp81_push_addr);
	running.relay_sms = relay_sms;
	RUN_STR(sr_cert, sr_cert_path);
	RUN_STR(sr_key, sr_key_path);
	RUN_STR(ci, ci_path);
	for (unsigned int i = 0; i < n_eum; i++)
		RUN_STR(eum[running.n_eum++], eum_paths[i]);
	for (size_t i = 0; ccfg.addressing && i < ccfg.addressing_len && 2 * i + 2 < sizeof(running.addressing); i++)
		snprintf(running.addressing + 2 * i, 3, "%02X", ccfg.addressing[i]);
	running.f2 = ccfg.f2;
	running.hide = ccfg.hide;
	running.notify = ccfg.notify;
	running.scp81_keyset = ccfg.scp81;
	running.por_timeout = -1; /* the effective X30 is in the live table: written as `timer ota X30 S` */
	running.eis_sig = eis_sig;
	for (unsigned int i = 0; i < g_n_peers; i++) {
		RUN_STR(peer[running.n_peer].id, g_peers[i].id);
		RUN_STR(peer[running.n_peer++].url, g_peers[i].url);
	}
	for (unsigned int i = 0; i < g_n_mnos; i++) {
		RUN_STR(mno[running.n_mno].id, g_mnos[i].id);
		RUN_STR(mno[running.n_mno++].url, g_mnos[i].url);
	}
#undef RUN_STR
	smsr_vty_set_cfg(&running);
	rate_ctr_init(ctx);
	smsr_ctr_init(ctx);
	/* The timer tables were reset by smsr_vty_init() (their .val start at 0 = no timeout), before the
	 * file's timer lines; por-timeout (file, then option) and --timer win over those lines. */
	if (por_timeout > 0)
		osmo_tdef_set(smsr_ota_tdefs, SMSR_T_POR, (unsigned long)por_timeout, OSMO_TDEF_S);
	for (unsigned int i = 0; i < n_timers; i++)
		osmo_tdef_set(smsr_change_tdefs, timers[i].T, timers[i].s, OSMO_TDEF_S);
	if (!!sr_cert_path != !!sr_key_path) {
		fprintf(stderr, "rsplab-smsr: --sr-cert and --sr-key go together\n");
		return 2;
	}
	if (sr_cert_path &&
	    load_sr_identity(sr_cert_path, sr_key_path, sr_cert, sizeof(sr_cert), &ccfg.sr_cert_len, &sr_key) < 0)
		return 1;
	if (ci_path && !(ci = load_x509(ci_path)))
		return 1;
	for (unsigned int i = 0; i < n_eum; i++)
		if (!(eum[i] = load_x509(eum_paths[i])))
			return 1;
	/* ES1 RegisterEIS: PK.EUM.ECDSA of each --eum (chained to --ci when one is given) */
	for (unsigned int i = 0; i < n_eum; i++) {
		if (ci && crypto_x509_verify_signed_by(eum[i], ci) < 0) {
			fprintf(stderr, "rsplab-smsr: %s is not signed by the CI: not used for RegisterEIS\n",
				eum_paths[i]);
			continue;
		}
		if (crypto_x509_public_key(eum[i], &eum_keys[n_eum_keys]) < 0) {
			fprintf(stderr, "rsplab-smsr: %s: not an EC key on a supported curve\n", eum_paths[i]);
			return 1;
		}
		n_eum_keys++;
	}
	store = smsr_store_open(ctx, db, err, sizeof(err));
	if (!store) {
		fprintf(stderr, "rsplab-smsr: %s\n", err);
		return 1;
	}
	if (cert || key || ca) {
		struct tls_cfg s = { .role = TLS_ROLE_SERVER,
				     .cert_file = cert,
				     .key_file = key,
				     .ca_file = ca,
				     .require_client_cert = true,
				     .keylog_file = keylog };
		struct tls_cfg cl = { .role = TLS_ROLE_CLIENT,
				      .cert_file = cert,
				      .key_file = key,
				      .ca_file = ca,
				      .keylog_file = keylog };

		srv_tls = tls_ctx_alloc(ctx, &s, err, sizeof(err));
		cli_tls = srv_tls ? tls_ctx_alloc(ctx, &cl, err, sizeof(err)) : NULL;
		if (!cli_tls) {
			fprintf(stderr, "rsplab-smsr: TLS: %s\n", err);
			return 1;
		}
		g_cli_tls = cli_tls;
	}
	if (net_env) {
		g_ota = smsr_ota_alloc(ctx, store, &ocfg, NULL, NULL,
				       &(struct smsr_ota_up){ .result = ota_result,
							      .notification = ota_notification,
							      .raw_result = ota_raw_result });
		/* the default transport (a failure ends the daemon, as ever) and any other one an eis-variant rule
		 * names (a failure is logged: the sends of its eUICCs fail with -ENOTCONN) */
		bool want_kannel = use_kannel ||
				   smsr_eisvar_names(&g_eisvar, SMSR_EISVAR_SMS_TRANSPORT, SMSR_SMS_KANNEL);
		bool want_smpp = !use_kannel || smsr_eisvar_names(&g_eisvar, SMSR_EISVAR_SMS_TRANSPORT, SMSR_SMS_SMPP);

		if (!g_ota)
			return 1;
		if (want_kannel && !(kannel = kannel_from_netenv(ctx, net_env)) && use_kannel)
			return 1;
		if (want_smpp && !(smpp = smpp_from_netenv(ctx, net_env, transaction)) && !use_kannel)
			return 1;
		if ((want_kannel && !kannel) || (want_smpp && !smpp))
			fprintf(stderr,
				"rsplab-smsr: SMS transport %s named by an eis-variant rule not started: the ES5 "
				"sends of its eUICCs fail\n",
				want_kannel && !kannel ? "kannel" : "smpp");
		g_kannel = kannel;
		g_smpp = smpp;
		smsr_ota_set_transport(g_ota, use_kannel ? &kannel_ops : &smpp_ops,
				       use_kannel ? (void *)kannel : (void *)smpp);
		smsr_ota_set_router(g_ota, ota_route, NULL);
	}
	if (eis_sig == SMSR_EIS_SIG_NONE)
		LOGP(DES1, LOGL_NOTICE, "WARNING: --eis-sig none: the EumSignature of RegisterEIS is NOT checked\n");
	else if (!n_eum_keys)
		LOGP(DES1, LOGL_NOTICE,
		     "no usable --eum certificate: every RegisterEIS will be refused (--eis-sig %s)\n",
		     get_value_string(smsr_eis_sig_names, eis_sig));
	else
		LOGP(DES1, LOGL_INFO, "RegisterEIS: EumSignature checked (%s) against %zu EUM certificate(s)\n",
		     get_value_string(smsr_eis_sig_names, eis_sig), n_eum_keys);
	sr = smsr_alloc(ctx, store,
			&(struct smsr_cfg){ .smsr_id = smsr_id,
					    .owner_has_es4 = owner_has_es4_cb,
					    .eis_sig = eis_sig,
					    .eum_keys = eum_keys,
					    .n_eum_keys = n_eum_keys },
			&es5, notify_cb, g_ota);
	g_sr = sr;
	for (unsigned int i = 0; i < g_n_peers; i++)
		g_peers[i].tls = client_tls_for(ctx, g_peers[i].url, cert, key, ca, keylog, &tls_fail);
	if (g_notify_url)
		g_notify_tls = client_tls_for(ctx, g_notify_url, cert, key, ca, keylog, &tls_fail);
	if (tls_fail)
		return 1;
	ccfg.smsr_id = smsr_id;
	ccfg.sr_cert = sr_cert_path ? sr_cert : NULL;
	ccfg.sr_key = sr_key;
	ccfg.ci = ci;
	ccfg.eum = n_eum ? eum : NULL;
	ccfg.n_eum = n_eum;
	ccfg.es = es_variant_default;
	ccfg.eisvar = &g_eisvar;
	g_chg = smsr_change_alloc(ctx, sr, store, &ccfg,
				  &(struct smsr_change_ops){ .es5_send = chg_es5_send,
							     .es_call = chg_es_call,
							     .respond_stored = chg_respond_stored,
							     .notify = chg_notify,
							     .peer_variant = chg_peer_variant },
				  NULL);
	if (!g_chg) {
		fprintf(stderr, "rsplab-smsr: SM-SR Change: cannot set up (store table?)\n");
		return 1;
	}
	g_relay_sms = relay_sms;
	g_es3 = smsr_es3_alloc(ctx, sr, store, NULL, &(struct smsr_relay_ops){ .send = relay_send }, NULL);
	if (scp81_listen) {
		/* ES5 over HTTPS for the ES3 relay (default when configured: profile segments are large) */
		char addr[64];
		unsigned int sport = 0;

		if (sscanf(scp81_listen, "%63[^:]:%u", addr, &sport) != 2 || sport > 65535) {
			fprintf(stderr, "rsplab-smsr: --scp81-listen ADDR:PORT\n");
			return 2;
		}
		g_scp81 = smsr_scp81_alloc(ctx, store,
					   &(struct smsr_scp81_cfg){ .listen_addr = addr,
								     .port = (uint16_t)sport,
								     .push_addr = scp81_push_addr,
								     .tls_keylog = keylog },
					   &(struct smsr_scp81_push_ops){ .send = scp81_push }, NULL,
					   &(struct smsr_scp81_up){ .result = scp81_result,
								    .notification = scp81_notification });
		if (!g_scp81) {
			fprintf(stderr, "rsplab-smsr: cannot serve SCP81 on %s\n", scp81_listen);
			return 1;
		}
		printf("rsplab-smsr: SCP81 admin server on %s:%u\n", addr, smsr_scp81_port(g_scp81));
	}
	for (int id = 0; id < ES_MSG__COUNT; id++)
		if (es_msgs[id].kind == ES_KIND_REQUEST && (es_msgs[id].iface == 1 || es_msgs[id].iface == 3 ||
							    es_msgs[id].iface == 4 || es_msgs[id].iface == 7))
			handlers[nh++] = (struct esnet_handler){ (enum es_msg_id)id, handler, sr };
	g_es = esnet_alloc(ctx, &(struct esnet_cfg){ .listen_addr = listen,
						     .listen_port = (uint16_t)port,
						     .server_tls = srv_tls,
						     .callback_tls = cli_tls,
						     .handlers = handlers,
						     .num_handlers = nh,
						     .own_url = url,
						     .own_id = smsr_id,
						     .own_name = "rsplab SM-SR",
						     .variant = es_variant_default,
						     .unmatched_cb = chg_unmatched });
	if (!g_es) {
		fprintf(stderr, "rsplab-smsr: cannot listen on %s:%d: %s\n", listen, port, strerror(errno));
		return 1;
	}
	printf("rsplab-smsr: %s listening on %s:%u\n", smsr_id, listen, esnet_port(g_es));
	smsr_vty_set_daemon(store, g_chg, g_es);
	if (telnet_port && telnet_init_default(ctx, NULL, telnet_port) < 0) {
		fprintf(stderr, "rsplab-smsr: cannot serve the telnet VTY on port %d\n", telnet_port);
		return 1;
	}
	if (telnet_port)
		printf("rsplab-smsr: telnet VTY on 127.0.0.1:%d\n", telnet_port);
	fflush(stdout);
	/* EnableProfile cut by a crash: resumed (it waits for the card's E1 again); Disable/Delete/CreateISDP:
	 * answered Failed (outcome unknown) so that they no longer block their eUICC; SM-SR Change procedures stored before a restart: resumed or aborted (digest §2.1) */
	if ((v = smsr_abort_pending(g_sr, chg_respond_stored, NULL)) > 0)
		LOGP(DES5, LOGL_NOTICE, "%d operation(s) cut by a restart resumed (EnableProfile) or answered Failed\n",
		     v);
	if ((v = smsr_change_resume(g_chg)) > 0)
		LOGP(DES7, LOGL_NOTICE, "SM-SR Change: %d stored procedure(s) resumed\n", v);
	signal(SIGINT, sig_cb);
	signal(SIGTERM, sig_cb);
	while (!quit)
		osmo_select_main_ctx(0);
	/* Procedures still running answer their requesters as they end (through their esnet_in): end them
	 * while the endpoint exists, each layer before the one it calls up into; esnet goes last of those. */
	smsr_vty_set_daemon(NULL, NULL, NULL);
	if (telnet_port)
		telnet_exit();
	smsr_change_free(g_chg); /* above smsr.c and smsr_ota, answers through esnet */
	g_chg = NULL;
	smsr_scp81_free(g_scp81);
	g_scp81 = NULL;
	smsr_es3_free(g_es3);
	g_es3 = NULL;
	smsr_free(sr);
	g_sr = NULL;
	esnet_free(g_es);
	g_es = NULL;
	g_smpp = NULL;
	g_kannel = NULL;
	smsr_smpp_free(smpp);
	smsr_kannel_free(kannel);
	smsr_ota_free(g_ota);
	smsr_store_close(store);
	EVP_PKEY_free(sr_key);
	X509_free(ci);
	for (unsigned int i = 0; i < n_eum; i++)
		X509_free(eum[i]);
	for (size_t i = 0; i < n_eum_keys; i++)
		EVP_PKEY_free(eum_keys[i]);
	smsr_ctr_fini();
	log_fini();
	talloc_free(ctx);
	talloc_disable_null_tracking(); /* frees talloc's null context: a clean exit leaks nothing (LSan) */
	return 0;
}
