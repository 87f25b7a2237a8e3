/* Integration tests of issue 7: the device with a simulated eUICC on the real core network.
 *
 * Runs the built binaries as a user would: `rsplab net up` once for the suite (suite_setup), then per test
 * `rsplab-device` (SCTP shim preloaded when the net uses it) and `rsplab-euicc serve` inside the net's
 * namespace (this process enters it, children inherit it), with their own card files. The test is the
 * SM-SRs: an SMPP ESME (lib/smpp framing + libsmpp34, smsr2's credentials from net.env) and Kannel's
 * sendsms client with a lib/http server as Kannel's MO URL. Every wait is bounded and polls a readiness
 * signal (the device's control socket `state`/`events`, a listening port, an SMPP or HTTP message).
 * Whatever happens, the device and card are stopped at the end of each test, and the last test stops the
 * net and asserts that no process and no namespace is left. Needs root (network namespace): otherwise
 * every test prints why and returns without checking. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <stdint.h>

#include <libsmpp34/smpp34.h>
#include <libsmpp34/smpp34_structs.h>
#include <osmocom/core/select.h>
#include <osmocom/core/talloc.h>
#include <osmocom/core/utils.h>

#include "harness/net.h"
#include "harness/net_io.h"
#include "harness/net_ready.h"
#include "harness/testbed.h"
#include "lib/es5/es5.h"
#include "lib/http/http.h"
#include "lib/ids/ids.h"
#include "lib/rscript/rscript.h"
#include "lib/scp80/scp80.h"
#include "lib/smpp/smpp.h"
#include "lib/test/runner.h"

#define ATTACH_TIMEOUT_MS TB_ATTACH_TIMEOUT_MS
#define SMS_TIMEOUT_MS	  15000 /* MT SMS + PoR MO SMS through the SMSC (and Kannel) */

/* Subscribers: MNO1's (roams in MNO2), MNO2's (the second profile), MNO1's with a key the card lacks. */
#define IMSI1	"001010000000001"
#define MSISDN1 "1001"
#define K1	"000102030405060708090a0b0c0d0e0f"
#define OPC1	"0f0e0d0c0b0a09080706050403020100"
#define IMSI2	"001020000000002"
#define MSISDN2 "2002"
#define K2	"00112233445566778899aabbccddeeff"
#define OPC2	"ffeeddccbbaa99887766554433221100"
#define IMSI3	"001010000000003"
#define MSISDN3 "1003"
#define K3_HLR	"a0a1a2a3a4a5a6a7a8a9aaabacadaeaf"
#define K3_CARD "b0b1b2b3b4b5b6b7b8b9babbbcbdbebf" /* wrong Ki: the HLR has K3_HLR */
#define OPC3	"0102030405060708090a0b0c0d0e0f10"

static bool not_root;
static struct tb tb;
static void *ctx;
static unsigned int failures_at_start;

static bool skip(void)
{
	if (!not_root)
		return false;
	printf("\n  skipped: needs root (network namespace for rsplab net up); CI runs as root\n");
	return true;
}

static const char *E(const char *key)
{
	return tb_env(&tb, key);
}

/* --- the Kannel MO URL: a lib/http server on the select loop -------------------------------------- */

#define MO_MAX 8
static char mo_urls[MO_MAX][2048];
static unsigned int n_mo;
static struct http_server *mo_srv;

static void mo_cb(struct http_req *req, void *priv)
{
	const struct http_msg *m = http_req_msg(req);
	struct http_out resp = { .status = 200, .body = (const uint8_t *)"ok", .body_len = 2 };

	printf("  kannel -> MO URL: %.300s\n", m->url);
	if (n_mo < MO_MAX)
		snprintf(mo_urls[n_mo++], sizeof(mo_urls[0]), "%s", m->url);
	http_req_respond(req, &resp);
}

/* Query parameter name of url, percent-decoded into out. Returns its length or -ENOENT / -EBADMSG. */
static int query_param(const char *url, const char *name, uint8_t *out, size_t cap)
{
	const char *q = strchr(url, '?');
	size_t nl = strlen(name), n = 0;

	while (q) {
		q++;
		if (!strncmp(q, name, nl) && q[nl] == '=') {
			for (const char *p = q + nl + 1; *p && *p != '&'; p++) {
				int c = (unsigned char)*p;
				if (c == '%') {
					uint8_t b;
					if (osmo_hexparse((char[]){ p[1], p[2], 0 }, &b, 1) != 1)
						return -EBADMSG;
					c = b;
					p += 2;
				} else if (c == '+') {
					c = ' ';
				}
				if (n == cap)
					return -EMSGSIZE;
				out[n++] = (uint8_t)c;
			}
			return (int)n;
		}
		q = strchr(q, '&');
	}
	return -ENOENT;
}

/* --- an SMPP ESME (MNO2's SM-SR) ---------------------------------------------------------------- */

#define DELIVER_MAX 8
struct esme {
	int fd;
	uint32_t seq;
	uint8_t buf[8192];
	size_t len;
	long submit_status; /* status of the last submit_sm_resp, -1 none yet */
	long bind_status;
	unsigned int n_deliver;
	struct {
		char src[21], dst[21];
		uint8_t esm_class, pid, dcs;
		uint8_t sm[256];
		size_t sm_len;
	} deliver[DELIVER_MAX];
};

static int esme_send(struct esme *e, const uint8_t *buf, int len)
{
	return write(e->fd, buf, (size_t)len) == len ? 0 : -EIO;
}

static void esme_rx_pdu(struct esme *e, const uint8_t *pdu, size_t len)
{
	struct smpp_hdr h;
	struct smpp_sm m;
	uint8_t out[64];
	int n = 0;

	if (smpp_hdr_decode(&h, pdu, len) != SMPP_HDR_LEN)
		return;
	switch (h.cmd_id) {
	case 0x80000009u: /* bind_transceiver_resp */ e->bind_status = h.status; break;
	case SMPP_CMD_SUBMIT_SM_RESP:
		e->submit_status = h.status;
		printf("  esme <- submit_sm_resp status %u\n", h.status);
		break;
	case SMPP_CMD_DELIVER_SM: {
		deliver_sm_resp_t r = { 0 };
		if (smpp_sm_decode(&m, pdu, len) > 0 && e->n_deliver < DELIVER_MAX) {
			typeof(e->deliver[0]) *d = &e->deliver[e->n_deliver++];
			snprintf(d->src, sizeof(d->src), "%s", m.src.addr);
			snprintf(d->dst, sizeof(d->dst), "%s", m.dst.addr);
			d->esm_class = m.esm_class;
			d->pid = m.protocol_id;
			d->dcs = m.data_coding;
			d->sm_len = m.sm_len < sizeof(d->sm) ? m.sm_len : sizeof(d->sm);
			memcpy(d->sm, m.sm, d->sm_len);
			printf("  esme <- deliver_sm %s -> %s esm_class %02x pid %02x dcs %02x sm %s\n", d->src, d->dst,
			       d->esm_class, d->pid, d->dcs, osmo_hexdump_nospc(d->sm, d->sm_len));
		}
		r.command_id = DELIVER_SM_RESP;
		r.sequence_number = h.seq;
		if (smpp34_pack(DELIVER_SM_RESP, out, sizeof(out), &n, &r) == 0)
			esme_send(e, out, n);
		break;
	}
	case 0x00000015u: { /* enquire_link (SMPP 3.4 §4.11) */
		enquire_link_resp_t r = { 0 };
		r.command_id = ENQUIRE_LINK_RESP;
		r.sequence_number = h.seq;
		if (smpp34_pack(ENQUIRE_LINK_RESP, out, sizeof(out), &n, &r) == 0)
			esme_send(e, out, n);
		break;
	}
	default: break;
	}
}

/* Read what is there (waiting up to ms) and handle every complete PDU. */
static void esme_poll(struct esme *e, int ms)
{
	struct pollfd p = { .fd = e->fd, .events = POLLIN };
	int fl;

	if (e->fd < 0 || poll(&p, 1, ms) <= 0)
		return;
	ssize_t r = read(e->fd, e->buf + e->len, sizeof(e->buf) - e->len);
	if (r <= 0) {
		printf("  esme: connection closed by the SMSC\n");
		close(e->fd);
		e->fd = -1;
		return;
	}
	e->len += (size_t)r;
	while ((fl = smpp_frame_len(e->buf, e->len)) > 0 && e->len >= (size_t)fl) {
		esme_rx_pdu(e, e->buf, (size_t)fl);
		memmove(e->buf, e->buf + fl, e->len - (size_t)fl);
		e->len -= (size_t)fl;
	}
	if (fl == -EBADMSG || e->len == sizeof(e->buf)) {
		printf("  esme: bad framing from the SMSC\n");
		close(e->fd);
		e->fd = -1;
	}
}

/* One step of every wait: the HTTP server (select loop, non-blocking) and the ESME (up to ms). */
static void pump(struct esme *e, int ms)
{
	osmo_select_main(1);
	if (e && e->fd >= 0)
		esme_poll(e, ms);
	else
		poll(NULL, 0, ms);
	osmo_select_main(1);
}

static int esme_bind(struct esme *e)
{
	bind_transceiver_t b = { 0 };
	uint8_t out[256];
	int len = 0;
	int64_t deadline = net_now_ms() + 5000;

	memset(e, 0, sizeof(*e));
	e->submit_status = -1;
	e->bind_status = -1;
	e->fd = net_tcp_connect(E("MSC_ADDR"), (uint16_t)atoi(E("MSC_SMPP_PORT")), 3000);
	if (e->fd < 0)
		return e->fd;
	b.command_id = BIND_TRANSCEIVER;
	b.sequence_number = ++e->seq;
	b.interface_version = 0x34; /* SMPP 3.4 §5.2.4 */
	snprintf((char *)b.system_id, sizeof(b.system_id), "%s", E("SMSR2_ESME_ID"));
	snprintf((char *)b.password, sizeof(b.password), "%s", E("SMSR2_ESME_PASSWORD"));
	if (smpp34_pack(BIND_TRANSCEIVER, out, sizeof(out), &len, &b) != 0 || esme_send(e, out, len) < 0)
		return -EIO;
	while (e->bind_status < 0 && e->fd >= 0 && net_now_ms() < deadline)
		pump(e, 20);
	return e->bind_status == 0 ? 0 : -EACCES;
}

static void esme_close(struct esme *e)
{
	if (e->fd >= 0)
		close(e->fd);
	e->fd = -1;
}

/* submit_sm for data download in transaction mode (SMPP 3.4 §5.2.12 esm_class 0x42): UDH 02 70 00 ‖ packet,
 * PID 7F, DCS F6, from MNO2's SM-SR short code to msisdn. */
static int esme_submit(struct esme *e, const char *msisdn, const uint8_t *pkt, size_t len)
{
	struct smpp_sm m;
	uint8_t sm[254], out[512];
	int n;

	if (len + 3 > sizeof(sm))
		return -EMSGSIZE;
	memcpy(sm, "\x02\x70\x00", 3); /* TS 31.115 §4.2: UDH, IEI 70 (command packet identifier) */
	memcpy(sm + 3, pkt, len);
	smpp_sm_init_data_download(&m, SMPP_CMD_SUBMIT_SM, SMPP_DD_DCS_F6, false);
	m.esm_class |= SMPP_ESM_FORWARD_MODE;
	m.seq = ++e->seq;
	m.src.ton = 1, m.src.npi = 1;
	snprintf(m.src.addr, sizeof(m.src.addr), "%s", E("SMSR2_SHORT_CODE"));
	m.dst.ton = 1, m.dst.npi = 1;
	snprintf(m.dst.addr, sizeof(m.dst.addr), "%s", msisdn);
	m.sm = sm;
	m.sm_len = len + 3;
	n = smpp_sm_encode(&m, out, sizeof(out));
	if (n < 0)
		return n;
	e->submit_status = -1;
	return esme_send(e, out, n);
}

/* --- the device under test: rsplab-device + rsplab-euicc serve --------------------------------------- */

static struct tb_dut cur; /* the one running now, stopped by the test or at the latest by suite_teardown */

/* Poll `state` until pred holds (pumping the ESME and the HTTP server), within timeout_ms. */
static void pump_esme(void *e)
{
	for (int i = 0; i < 5; i++)
		pump(e, 20);
}

static bool wait_state(const struct tb_dut *d, struct esme *e, int timeout_ms, bool (*pred)(const char *state),
		       char *state, size_t cap)
{
	return tb_wait_state(d, timeout_ms, pred, state, cap, pump_esme, e);
}

/* Stop both; each must have ended by the SIGTERM. */
static void dut_stop(struct tb_dut *d)
{
	CU_ASSERT_TRUE(tb_dut_stop(d));
}

/* --- cards and packets ------------------------------------------------------------------------------ */

#define card_keys tb_card_keys

static bool saip_build(const char *name, const char *iccid, const char *imsi, const char *k, const char *opc)
{
	return tb_saip_build(&tb, name, iccid, imsi, k, opc);
}

static bool card_make(const char *name, const char *profile, const char *msisdn, const char *extra,
		      struct card_keys *keys)
{
	return tb_card_make(&tb, name, profile, msisdn, extra, false, keys);
}

#define KIC_KID 0x12 /* key version 1, AES (TS 102 225 §5.1.2/§5.1.3), as CARD.db.keys says */

static const uint8_t ISD_R_TAR[3] = { 0x00, 0x00, 0x01 };

/* An SCP80 command packet (from CPL on) to the ISD-R carrying an expanded remote script of one C-APDU,
 * SPI 16 39 (the default variant: CC, ciphered, counter higher; PoR required, CC, ciphered, by SMS-SUBMIT). */
static int ota_packet(struct card_keys *k, const uint8_t *apdu, size_t apdu_len, uint8_t *out, size_t cap)
{
	struct scp80_cmd_params p = { .kic = KIC_KID, .kid = KIC_KID };
	struct scp80_keys keys = { k->kic, 16, k->kid, 16 };
	struct rscript_builder b;
	uint8_t script[128];
	int n;

	scp80_spi_variant_bytes(SCP80_SPI_VARIANT_1639, p.spi);
	memcpy(p.tar, ISD_R_TAR, 3);
	scp80_cntr_put(p.cntr, ++k->cntr);
	rscript_cmd_begin(&b, script, sizeof(script), RSCRIPT_DEFINITE); /* TS 102 226 §5.2.1 */
	rscript_cmd_add_apdu(&b, apdu, apdu_len);
	n = rscript_cmd_finish(&b);
	if (n < 0)
		return n;
	return scp80_cmd_wrap(out, cap, &p, &keys, script, (size_t)n);
}

/* Verify a PoR (UDH 02 71 00 ‖ response packet) for the command with counter k->cntr: CC and deciphering
 * with the card's keys, status 00, and the R-APDU of the script. Returns the SW of the (only) R-APDU, or
 * -1; rdata gets its data. */
static int por_check(const struct card_keys *k, const uint8_t *sm, size_t len, uint8_t *rdata, size_t *rdata_len)
{
	struct scp80_keys keys = { k->kic, 16, k->kid, 16 };
	uint8_t spi[2], plain[256];
	struct scp80_por por;
	struct rscript_rsp_item items[4];
	size_t n = 0;
	int rc;

	scp80_spi_variant_bytes(SCP80_SPI_VARIANT_1639, spi);
	rc = scp80_por_unwrap(&por, sm, len, spi, KIC_KID, KIC_KID, &keys, plain, sizeof(plain));
	CU_ASSERT_EQUAL(rc, (int)len);
	if (rc < 0)
		return -1;
	CU_ASSERT_EQUAL(por.verdict, SCP80_V_OK);
	CU_ASSERT_EQUAL(por.status, SCP80_ST_POR_OK);
	TEST_ASSERT_MEM_EQ(por.tar, 3, ISD_R_TAR, 3);
	CU_ASSERT_EQUAL(scp80_cntr_get(por.cntr), k->cntr);
	if (por.verdict != SCP80_V_OK || !por.data)
		return -1;
	printf("  PoR: status %02x, response %s\n", por.status, osmo_hexdump_nospc(por.data, por.data_len));
	rc = rscript_rsp_decode(por.data, por.data_len, items, 4, &n);
	CU_ASSERT(rc > 0);
	/* AB { 80 count, 23 R-APDU } (TS 102 226 §5.2.2) */
	CU_ASSERT_EQUAL(n, 2);
	if (rc <= 0 || n != 2 || items[0].kind != RSCRIPT_RSP_COUNT || items[1].kind != RSCRIPT_RSP_RAPDU)
		return -1;
	CU_ASSERT_EQUAL(items[0].count, 1);
	*rdata_len = items[1].data_len;
	memcpy(rdata, items[1].data, items[1].data_len);
	return items[1].sw;
}

/* GET DATA 5A (the EID, SGP.02 §2.2.2): a harmless script whose answer shows the card ran it. */
static int get_eid_apdu(uint8_t *apdu, size_t cap)
{
	return es5_get_data_build(apdu, cap, 0x005A, NULL, 0);
}

static void assert_eid_answer(const struct card_keys *k, const uint8_t *rdata, size_t len)
{
	char want[40];
	snprintf(want, sizeof(want), "5a10%s", k->eid); /* 5A 10 EID: the EID digits are its BCD hex */
	CU_ASSERT_STRING_EQUAL(osmo_hexdump_nospc(rdata, len), want);
}

static bool events_have(const struct tb_dut *d, const char *needle)
{
	return tb_events_have(d, needle);
}

/* HLR VTY: `show subscriber imsi X`; returns the reply length or -errno. */
static int hlr_show(const char *addr_key, const char *port_key, const char *imsi, char *out, size_t cap)
{
	struct net_vty *v = malloc(sizeof(*v));
	char cmd[64];
	int n;

	if (!v)
		return -ENOMEM;
	n = net_vty_open(v, E(addr_key), (uint16_t)atoi(E(port_key)), 3000);
	if (n == 0) {
		snprintf(cmd, sizeof(cmd), "show subscriber imsi %s", imsi);
		n = net_vty_cmd(v, cmd, out, cap, 3000);
		net_vty_close(v);
	}
	free(v);
	return n;
}

/* --- suite ------------------------------------------------------------------------------------------ */

static void stop_all(void);

static int setup(void)
{
	int64_t t0 = net_now_ms();
	static const char subs[] = "# HLR,IMSI,MSISDN,ALGO,KEY[,OPC]\n"
				   "mno1," IMSI1 "," MSISDN1 ",milenage," K1 "," OPC1 "\n"
				   "mno2," IMSI2 "," MSISDN2 ",milenage," K2 "," OPC2 "\n"
				   "mno1," IMSI3 "," MSISDN3 ",milenage," K3_HLR "," OPC3 "\n";
	int rc;

	failures_at_start = CU_get_number_of_failures();
	rc = tb_setup(&tb, "devnet", subs); /* pki init, net up, this process in the net's namespace */
	if (rc == 1) {
		not_root = true;
		printf("\n  devnet: not root, every test will be skipped (rsplab net up needs a network namespace)\n");
		return 0;
	}
	if (rc < 0 || !saip_build("p1.der", "8988211000000530082", IMSI1, K1, OPC1) ||
	    !saip_build("p2.der", "8988211000000530090", IMSI2, K2, OPC2) ||
	    !saip_build("p3.der", "8988211000000530108", IMSI3, K3_CARD, OPC3))
		return 1;
	/* Kannel's MO URL (KANNEL_MO_URL=http://ADDR:PORT/PATH) is ours */
	char mo_addr[32], mo_path[64];
	unsigned int mo_port;
	static struct http_route route;
	struct http_server_cfg cfg = { 0 };
	if (sscanf(E("KANNEL_MO_URL"), "http://%31[0-9.]:%u%63[^?]", mo_addr, &mo_port, mo_path) != 3)
		return 1;
	ctx = talloc_named_const(NULL, 0, "devnet_test");
	route.path = strdup(mo_path);
	route.cb = mo_cb;
	cfg.addr = mo_addr;
	cfg.port = (uint16_t)mo_port;
	cfg.routes = &route;
	cfg.num_routes = 1;
	mo_srv = http_server_alloc(ctx, &cfg);
	if (!mo_srv)
		return 1;
	printf("\n  devnet: net up (sctp %s, netns %s) + PKI + profiles in %.2f s; RUNDIR %s\n", tb.st.sctp,
	       tb.st.netns, (double)(net_now_ms() - t0) / 1000, tb.rundir);
	return 0;
}

/* CUnit does not run suite_teardown after a failed suite_setup: stop what was started here. */
int suite_setup(void)
{
	int rc = setup();

	if (rc) {
		stop_all();
		printf("\n  devnet: set-up failed; logs kept in %s\n", tb.rundir);
	}
	return rc;
}

/* Stop the device/card, the MO server and the net (each only if it runs). */
static void stop_all(void)
{
	tb_stop_pid(&cur.dev);
	tb_stop_pid(&cur.card);
	http_server_free(mo_srv);
	mo_srv = NULL;
	tb_stop_all(&tb);
}

int suite_teardown(void)
{
	if (not_root)
		return 0;
	stop_all();							/* a no-op when test_devnet_down ran */
	tb_free(&tb, CU_get_number_of_failures() != failures_at_start); /* a failing run keeps its logs */
	talloc_free(ctx);
	return 0;
}

/* --- the tests ------------------------------------------------------------------------------------- */

static bool attached_imsi1(const char *s)
{
	return tb_state_is(s, "ms", "ATTACHED") && tb_state_is(s, "imsi", IMSI1);
}

/* 1. Roaming attach: the MNO1 IMSI read from the eUICC, authenticated by the eUICC (AUTHENTICATE),
 * HLR-MNO1 answering through HLR-MNO2's gateway-proxy; the serving network is MNO2's. */
void test_devnet_roaming_attach(void)
{
	struct card_keys k;
	char db[PATH_MAX], state[2048], v[64], reply[4096];
	int64_t t0 = net_now_ms();

	if (skip())
		return;
	CU_ASSERT_FATAL(card_make("card1", "p1.der", MSISDN1, NULL, &k));
	snprintf(db, sizeof(db), "%.3000s/card1.db", tb.rundir);
	CU_ASSERT(tb_dut_start(&tb, &cur, "attach", db, 35971));
	if (cur.dev > 0 && wait_state(&cur, NULL, ATTACH_TIMEOUT_MS, attached_imsi1, state, sizeof(state))) {
		char plmn[16];
		snprintf(plmn, sizeof(plmn), "%03d-%s", atoi(E("MNO2_MCC")), E("MNO2_MNC"));
		CU_ASSERT_STRING_EQUAL(tb_state_val(state, "plmn", v, sizeof(v)), plmn);
		CU_ASSERT_STRING_EQUAL(tb_state_val(state, "card", v, sizeof(v)), "usim");
		CU_ASSERT_TRUE(events_have(&cur, "AUTH: GSM context answered by the card"));
		CU_ASSERT_TRUE(events_have(&cur, "EVENT DOWNLOAD location status: normal service"));
		/* HLR-MNO1 holds the subscriber and knows where it is; HLR-MNO2 only proxied it */
		CU_ASSERT(hlr_show("HLR1_ADDR", "HLR1_VTY_PORT", IMSI1, reply, sizeof(reply)) > 0);
		CU_ASSERT_PTR_NOT_NULL(strstr(reply, "IMSI: " IMSI1));
		CU_ASSERT_PTR_NOT_NULL(strstr(reply, E("MSC_IPA_NAME")));
		CU_ASSERT(hlr_show("HLR2_ADDR", "HLR2_VTY_PORT", IMSI1, reply, sizeof(reply)) > 0);
		CU_ASSERT_PTR_NOT_NULL(strstr(reply, "No subscriber"));
		printf("  roaming attach %s in %s after %.2f s (lu_ok=%s lu_rej=%s)\n", IMSI1, plmn,
		       (double)(net_now_ms() - t0) / 1000, tb_state_val(state, "lu_ok", reply, 16),
		       tb_state_val(state, "lu_rej", reply + 16, 16));
	} else {
		CU_FAIL("the device did not attach with the MNO1 IMSI");
	}
	dut_stop(&cur);
}

/* Wait for a deliver_sm at the ESME / an MO URL call at Kannel's callback, bounded. */
static bool wait_deliver(struct esme *e, unsigned int count, int timeout_ms)
{
	int64_t deadline = net_now_ms() + timeout_ms;
	while (e->n_deliver < count && net_now_ms() < deadline)
		pump(e, 20);
	return e->n_deliver >= count;
}

static bool wait_mo(struct esme *e, unsigned int count, int timeout_ms)
{
	int64_t deadline = net_now_ms() + timeout_ms;
	while (n_mo < count && net_now_ms() < deadline)
		pump(e, 20);
	return n_mo >= count;
}

/* 2. An SCP80-secured SMS-PP (UDH 027000, PID 7F, DCS F6) through each SMS path; the card runs the script
 * (the PoR's CC, counter and status 00 show it arrived intact) and the PoR (by SMS-SUBMIT, SPI 16 39)
 * reaches the sender that sent the command: the SMPP ESME for 555, Kannel's MO URL for 556. */
void test_devnet_sms_pp_both_paths(void)
{
	struct card_keys k;
	struct esme e = { .fd = -1 };
	char db[PATH_MAX], state[2048];
	uint8_t apdu[16], pkt[200], rdata[256], sm[300];
	size_t rlen = 0;
	int n, a;
	int64_t t0;

	if (skip())
		return;
	CU_ASSERT_FATAL(card_make("card2", "p1.der", MSISDN1, NULL, &k));
	snprintf(db, sizeof(db), "%.3000s/card2.db", tb.rundir);
	a = get_eid_apdu(apdu, sizeof(apdu));
	CU_ASSERT_FATAL(a > 0);
	n_mo = 0;
	CU_ASSERT(tb_dut_start(&tb, &cur, "smspp", db, 35972));
	if (cur.dev <= 0 || !wait_state(&cur, NULL, ATTACH_TIMEOUT_MS, attached_imsi1, state, sizeof(state)))
		goto out;
	CU_ASSERT_EQUAL(esme_bind(&e), 0);
	if (e.fd < 0)
		goto out;

	/* direct SMPP: MNO2's SM-SR */
	t0 = net_now_ms();
	n = ota_packet(&k, apdu, (size_t)a, pkt, sizeof(pkt));
	CU_ASSERT(n > 0);
	CU_ASSERT_EQUAL(esme_submit(&e, MSISDN1, pkt, (size_t)n), 0);
	CU_ASSERT_TRUE(wait_deliver(&e, 1, SMS_TIMEOUT_MS));
	while (e.submit_status < 0 && net_now_ms() - t0 < SMS_TIMEOUT_MS)
		pump(&e, 20);
	CU_ASSERT_EQUAL(e.submit_status, 0); /* transaction mode: the device acknowledged with RP-ACK */
	if (e.n_deliver >= 1) {
		CU_ASSERT_STRING_EQUAL(e.deliver[0].src, MSISDN1);
		CU_ASSERT_STRING_EQUAL(e.deliver[0].dst, E("SMSR2_SHORT_CODE"));
		CU_ASSERT(e.deliver[0].esm_class & SMPP_ESM_UDHI);
		CU_ASSERT_EQUAL(e.deliver[0].pid, 0x7F);
		TEST_ASSERT_HEX_EQ(e.deliver[0].sm, 3, "027100"); /* TS 31.115 §4.2: response packet */
		CU_ASSERT_EQUAL(por_check(&k, e.deliver[0].sm, e.deliver[0].sm_len, rdata, &rlen), 0x9000);
		assert_eid_answer(&k, rdata, rlen);
	}
	CU_ASSERT_TRUE(events_have(&cur, "MT SMS-PP download sw="));
	CU_ASSERT_TRUE(events_have(&cur, "SEND SHORT MESSAGE -> MO SMS"));
	printf("  SMPP path: submit_sm -> PoR deliver_sm in %.2f s\n", (double)(net_now_ms() - t0) / 1000);

	/* Kannel: MNO1's SM-SR over HTTP sendsms (network/README.md), PoR back at the MO URL */
	t0 = net_now_ms();
	n = ota_packet(&k, apdu, (size_t)a, pkt, sizeof(pkt));
	CU_ASSERT(n > 0);
	if (n > 0) {
		static char target[2048], body[1024];
		unsigned int status = 0;
		int o = snprintf(target, sizeof(target),
				 "/cgi-bin/sendsms?username=%s&password=%s&from=%s&to=%s&udh=%%02%%70%%00&coding=1&"
				 "mclass=2&pid=127&text=",
				 E("KANNEL_SENDSMS_USER"), E("KANNEL_SENDSMS_PASSWORD"), E("SMSR1_SHORT_CODE"),
				 MSISDN1);
		for (int i = 0; i < n; i++)
			o += snprintf(target + o, sizeof(target) - (size_t)o, "%%%02X", pkt[i]);
		int r = net_http_get(E("KANNEL_ADDR"), (uint16_t)atoi(E("KANNEL_SENDSMS_PORT")), target, &status, body,
				     sizeof(body), 5000);
		CU_ASSERT(r >= 0);
		CU_ASSERT(status == 202 || status == 200);
		printf("  kannel sendsms: HTTP %u %s\n", status, body);
	}
	CU_ASSERT_TRUE(wait_mo(&e, 1, SMS_TIMEOUT_MS));
	if (n_mo >= 1) {
		uint8_t from[32] = { 0 }, to[32] = { 0 };
		int ul, bl;
		CU_ASSERT(query_param(mo_urls[0], "from", from, sizeof(from) - 1) > 0);
		CU_ASSERT(query_param(mo_urls[0], "to", to, sizeof(to) - 1) > 0);
		CU_ASSERT_PTR_NOT_NULL(strstr((char *)from, MSISDN1));
		/* Kannel writes a TON-international number with a '+' */
		CU_ASSERT_STRING_EQUAL((char *)to + (to[0] == '+'), E("SMSR1_SHORT_CODE"));
		ul = query_param(mo_urls[0], "udh", sm, sizeof(sm));
		CU_ASSERT_EQUAL(ul, 3);
		bl = ul > 0 ? query_param(mo_urls[0], "bin", sm + ul, sizeof(sm) - (size_t)ul) : -1;
		CU_ASSERT(bl > 0);
		if (ul == 3 && bl > 0) {
			TEST_ASSERT_HEX_EQ(sm, 3, "027100");
			rlen = 0;
			CU_ASSERT_EQUAL(por_check(&k, sm, (size_t)(ul + bl), rdata, &rlen), 0x9000);
			assert_eid_answer(&k, rdata, rlen);
		}
	}
	printf("  Kannel path: sendsms -> PoR at the MO URL in %.2f s\n", (double)(net_now_ms() - t0) / 1000);
	/* each PoR went only to its own sender: no second deliver_sm at the ESME, one MO URL call */
	for (int i = 0; i < 10; i++)
		pump(&e, 20);
	CU_ASSERT_EQUAL(e.n_deliver, 1);
	CU_ASSERT_EQUAL(n_mo, 1);
out:
	esme_close(&e);
	dut_stop(&cur);
}

static bool rejected_3(const char *s)
{
	return tb_state_is(s, "ms", "LIMITED") && tb_state_is(s, "reject_cause", "3");
}

/* 3. A card whose key differs from the HLR's: LOCATION UPDATING REJECT cause 3 (illegal MS), the device in
 * limited service, and the card told so by EVENT DOWNLOAD location status. */
void test_devnet_wrong_ki_rejected(void)
{
	struct card_keys k;
	char db[PATH_MAX], state[2048], v[64];

	if (skip())
		return;
	CU_ASSERT_FATAL(card_make("card3", "p3.der", MSISDN3, NULL, &k));
	snprintf(db, sizeof(db), "%.3000s/card3.db", tb.rundir);
	CU_ASSERT(tb_dut_start(&tb, &cur, "wrongki", db, 35973));
	if (cur.dev > 0 && wait_state(&cur, NULL, ATTACH_TIMEOUT_MS, rejected_3, state, sizeof(state))) {
		CU_ASSERT_STRING_EQUAL(tb_state_val(state, "imsi", v, sizeof(v)), IMSI3);
		CU_ASSERT_STRING_EQUAL(tb_state_val(state, "lu_ok", v, sizeof(v)), "0");
		CU_ASSERT_STRING_EQUAL(tb_state_val(state, "plmn", v, sizeof(v)), "-");
		CU_ASSERT_TRUE(events_have(&cur, "LU REJECT imsi=" IMSI3 " cause=3"));
		CU_ASSERT_TRUE(events_have(&cur, "EVENT DOWNLOAD location status: limited service (rc=0)"));
		CU_ASSERT_FALSE(events_have(&cur, "LU ACCEPT"));
	} else {
		CU_FAIL("the device was not rejected with cause 3");
	}
	dut_stop(&cur);
}

static bool attached_imsi2(const char *s)
{
	return tb_state_is(s, "ms", "ATTACHED") && tb_state_is(s, "imsi", IMSI2);
}

/* 4. EnableProfile (ES5, STORE DATA 3A03) of the card's second, disabled MNO2 profile, sent by the SMPP
 * ESME as SCP80 SMS-PP: PoR 9000, then the card's REFRESH (UICC reset); the device re-reads the IMSI and
 * attaches with MNO2's IMSI against HLR-MNO2 (no proxy: MNO2's own subscriber). */
void test_devnet_refresh_new_profile(void)
{
	struct card_keys k;
	struct esme e = { .fd = -1 };
	char db[PATH_MAX], state[2048], v[64], reply[4096];
	uint8_t aid[IDS_AID_LEN], apdu[64], pkt[200], rdata[256];
	size_t rlen = 0;
	int n, a;
	int64_t t0;

	if (skip())
		return;
	CU_ASSERT_FATAL(card_make("card4", "p1.der", MSISDN1, "p2.der", &k));
	snprintf(db, sizeof(db), "%.3000s/card4.db", tb.rundir);
	ids_aid_from_tar(aid, 0x000011); /* rsplab-euicc init --add-profile: the first extra ISD-P */
	a = es5_profile_cmd_build(apdu, sizeof(apdu), ES5_FN_ENABLE_PROFILE, aid, sizeof(aid));
	CU_ASSERT_FATAL(a > 0);
	CU_ASSERT(tb_dut_start(&tb, &cur, "refresh", db, 35974));
	if (cur.dev <= 0 || !wait_state(&cur, NULL, ATTACH_TIMEOUT_MS, attached_imsi1, state, sizeof(state)))
		goto out;
	CU_ASSERT_EQUAL(esme_bind(&e), 0);
	if (e.fd < 0)
		goto out;
	t0 = net_now_ms();
	n = ota_packet(&k, apdu, (size_t)a, pkt, sizeof(pkt));
	CU_ASSERT(n > 0);
	CU_ASSERT_EQUAL(esme_submit(&e, MSISDN1, pkt, (size_t)n), 0);
	/* PoR before the REFRESH (open-questions §6 default), from the old identity */
	CU_ASSERT_TRUE(wait_deliver(&e, 1, SMS_TIMEOUT_MS));
	if (e.n_deliver >= 1) {
		CU_ASSERT_STRING_EQUAL(e.deliver[0].src, MSISDN1);
		CU_ASSERT_EQUAL(por_check(&k, e.deliver[0].sm, e.deliver[0].sm_len, rdata, &rlen), 0x9000);
	}
	if (wait_state(&cur, &e, ATTACH_TIMEOUT_MS, attached_imsi2, state, sizeof(state))) {
		char plmn[16];
		snprintf(plmn, sizeof(plmn), "%03d-%s", atoi(E("MNO2_MCC")), E("MNO2_MNC"));
		CU_ASSERT_STRING_EQUAL(tb_state_val(state, "plmn", v, sizeof(v)), plmn);
		CU_ASSERT_TRUE(events_have(&cur, "REFRESH"));
		CU_ASSERT_TRUE(events_have(&cur, "LU ACCEPT imsi=" IMSI2));
		/* HLR-MNO2 served its own subscriber; HLR-MNO1 does not know it */
		CU_ASSERT(hlr_show("HLR2_ADDR", "HLR2_VTY_PORT", IMSI2, reply, sizeof(reply)) > 0);
		CU_ASSERT_PTR_NOT_NULL(strstr(reply, "IMSI: " IMSI2));
		CU_ASSERT_PTR_NOT_NULL(strstr(reply, E("MSC_IPA_NAME")));
		CU_ASSERT(hlr_show("HLR1_ADDR", "HLR1_VTY_PORT", IMSI2, reply, sizeof(reply)) > 0);
		CU_ASSERT_PTR_NOT_NULL(strstr(reply, "No subscriber"));
		printf("  EnableProfile -> REFRESH -> attached as %s in %s after %.2f s\n", IMSI2, plmn,
		       (double)(net_now_ms() - t0) / 1000);
	} else {
		CU_FAIL("the device did not attach with the new profile's IMSI");
	}
out:
	esme_close(&e);
	dut_stop(&cur);
}

/* Last: `rsplab net down`; no process (daemons, cards, devices) and no namespace left. */
void test_devnet_down(void)
{
	if (skip())
		return;
	stop_all();
	CU_ASSERT_FALSE(tb.net_is_up);
	for (size_t i = 0; i < tb.st.nprocs; i++)
		CU_ASSERT_FALSE(net_proc_alive(tb.st.procs[i].pid, tb.st.procs[i].start));
	CU_ASSERT_EQUAL(tb_procs_mentioning(tb.rundir), 0);
	if (tb.st.netns[0])
		CU_ASSERT_FALSE(net_netns_exists(tb.st.netns));
}
