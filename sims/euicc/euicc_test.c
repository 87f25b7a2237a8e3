/* Tests of the simulated eUICC, driving the card by APDUs only (the store is read to check that it is
 * consistent after power cycles, and written only to stand in for ES8, which is not in this module):
 * USIM files and AUTHENTICATE against osmo_auth_gen_vec as the network side, the TS 35.208 f1-star/f5-star
 * vector, SMS-PP OTA with SCP80 (PoR, replay, wrong key, wrong TAR, silent drop), every ES5 function
 * nominal and its errors, the profile switch with notification retry and confirmation, rollback on
 * attach failure, a power cycle after every step. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <osmocom/crypt/auth.h>

#include "lib/cat/cat.h"
#include "lib/crypto/ec.h"
#include "lib/es5/es5.h"
#include "lib/es5/notification.h"
#include "lib/ids/ids.h"
#include "lib/rscript/rscript.h"
#include "lib/saip/saip.h"
#include "lib/scp80/scp80.h"
#include "lib/sms/sms.h"
#include "lib/sms/sms_concat.h"
#include "lib/test/runner.h"
#include "sims/euicc/card_internal.h"
#include "sims/euicc/dump.h"
#include "sims/euicc/factory.h"
#include "sims/euicc/vpcd.h"

static const char *EID = "89049032123456789000000000000123"; /* fixed below in suite_setup */
static char eid_buf[33];
static const uint8_t K[16] = { 0x46, 0x5b, 0x5c, 0xe8, 0xb1, 0x99, 0xb4, 0x9f,
			       0xaa, 0x5f, 0x0a, 0x2e, 0xe2, 0x38, 0xa6, 0xbc };
static const uint8_t OPC[16] = { 0xcd, 0x63, 0xcb, 0x71, 0x95, 0x4a, 0x9f, 0x4e,
				 0x48, 0xa5, 0x99, 0x4e, 0x37, 0xa0, 0x2b, 0xaf };
static const uint8_t CERT[] = { 0x7F, 0x21, 0x05, 0x93, 0x01, 0x01, 0x42, 0x00 };
static uint8_t scp80_keys[3][16];

static char dir[256], path[300];
static struct euicc_card *card;
static struct euicc_config cfg;
static uint64_t cntr;

/* what the device saw while pumping proactive commands */
static struct {
	uint8_t por[512];
	size_t por_len;
	uint8_t mo[4][256];
	size_t mo_len[4];
	unsigned int n_mo;
	unsigned int refresh;
	uint8_t refresh_qualifier;
} dev;

static int make_saip(uint8_t *buf, size_t cap, const char *iccid, const char *imsi, int pol1)
{
	struct saip_build_params p = { .version = SAIP_VERSION_2_0,
				       .iccid = iccid,
				       .imsi = imsi,
				       .algo = SAIP_ALGO_MILENAGE,
				       .key = K,
				       .opc = OPC,
				       .pol1 = pol1 };
	return saip_build(buf, cap, &p);
}

static void open_card(void)
{
	CU_ASSERT_FATAL(euicc_card_open(&card, path, &cfg) == 0);
	euicc_card_power_on(card);
}

static void power_cycle(void)
{
	CU_ASSERT_EQUAL(euicc_store_check(euicc_card_store(card)), 0);
	euicc_card_close(card);
	open_card();
	CU_ASSERT_EQUAL(euicc_store_check(euicc_card_store(card)), 0);
}

static void new_card(void)
{
	struct euicc_factory f = { 0 };
	uint8_t saip[2048];
	EVP_PKEY *k = NULL;
	int n;

	euicc_card_close(card);
	card = NULL;
	unlink(path);
	n = make_saip(saip, sizeof(saip), "8988211000000530082", "001010000000001", -1);
	CU_ASSERT_FATAL(n > 0);
	f.eid = eid_buf;
	f.curve = CRYPTO_CURVE_P256;
	CU_ASSERT_FATAL(crypto_ec_generate(CRYPTO_CURVE_P256, &k) == 0);
	crypto_ec_export_private(k, f.sk_ecasd);
	crypto_ec_export_public(k, f.pk_ci);
	EVP_PKEY_free(k);
	f.cert_ecasd = CERT;
	f.cert_len = sizeof(CERT);
	f.saip = saip;
	f.saip_len = (size_t)n;
	f.smsr_sms = "1 1 491770000001";
	f.keys_given = true;
	memcpy(f.scp80, scp80_keys, sizeof(scp80_keys));
	memset(f.scp81, 0x44, sizeof(f.scp81));
	CU_ASSERT_FATAL(euicc_factory_make(path, &f) == 0);
	euicc_config_default(&cfg);
	cntr = 0;
	open_card();
}

int suite_setup(void)
{
	const char *tmp = getenv("TMPDIR");
	char e[32];

	snprintf(dir, sizeof(dir), "%s/euicc_test.XXXXXX", tmp ? tmp : "/tmp");
	if (!mkdtemp(dir))
		return -1;
	snprintf(path, sizeof(path), "%s/card.db", dir);
	memcpy(e, EID, 30);
	ids_eid_compute(eid_buf, e, 30);
	eid_buf[32] = 0;
	for (int i = 0; i < 3; i++)
		memset(scp80_keys[i], 0x11 * (i + 1), 16);
	return 0;
}

int suite_teardown(void)
{
	euicc_card_close(card);
	unlink(path);
	rmdir(dir);
	return 0;
}

/* --- the device side ------------------------------------------------------------------------------ */

static size_t xfer(const uint8_t *c, size_t n, uint8_t *r)
{
	return euicc_card_apdu(card, c, n, r, EUICC_RAPDU_MAX);
}

static uint16_t sw_of(const uint8_t *r, size_t n)
{
	return (uint16_t)(r[n - 2] << 8 | r[n - 1]);
}

static void handle_proactive(const uint8_t *buf, size_t len)
{
	struct cat_proactive pc;
	struct cat_terminal_response tr = { 0 };
	struct sms_tpdu t;
	uint8_t c[300], r[EUICC_RAPDU_MAX];
	int n;

	CU_ASSERT_FATAL(cat_proactive_decode(&pc, buf, len) > 0);
	if (pc.details.type == CAT_CMD_SEND_SHORT_MESSAGE) {
		CU_ASSERT_FATAL(sms_tpdu_decode(&t, SMS_TPDU_SUBMIT, pc.tpdu.data, pc.tpdu.len) > 0);
		CU_ASSERT_EQUAL(t.pid, SMS_PID_SIM_DATA_DOWNLOAD);
		if (t.ud_len >= 3 && t.ud[1] == SMS_IEI_RPI) {
			memcpy(dev.por, t.ud, t.ud_len);
			dev.por_len = t.ud_len;
		} else if (t.ud_len >= 3 && t.ud[1] == SMS_IEI_CPI && dev.n_mo < 4) {
			memcpy(dev.mo[dev.n_mo], t.ud + 3, t.ud_len - 3);
			dev.mo_len[dev.n_mo++] = t.ud_len - 3;
		}
	} else if (pc.details.type == CAT_CMD_REFRESH) {
		dev.refresh++;
		dev.refresh_qualifier = pc.details.qualifier;
	}
	tr.details = pc.details;
	tr.dev.src = CAT_DEV_TERMINAL;
	tr.dev.dst = CAT_DEV_UICC;
	tr.general = CAT_RES_OK;
	c[0] = 0x80, c[1] = CAT_INS_TERMINAL_RESPONSE, c[2] = 0, c[3] = 0;
	n = cat_terminal_response_encode(c + 5, sizeof(c) - 5, &tr);
	CU_ASSERT_FATAL(n > 0);
	c[4] = (uint8_t)n;
	size_t rl = xfer(c, 5 + (size_t)n, r);
	uint16_t sw = sw_of(r, rl);
	CU_ASSERT(sw == 0x9000 || (sw >> 8) == 0x91);
}

/* Follow 61xx / 91xx until 9000; returns the response data of the first command (if any). */
static uint16_t pump(uint16_t sw, uint8_t *data, size_t *data_len)
{
	uint8_t c[5], r[EUICC_RAPDU_MAX];
	size_t rl;

	for (int guard = 0; guard < 32; guard++) {
		if ((sw >> 8) == 0x61) {
			c[0] = 0x00, c[1] = 0xC0, c[2] = 0, c[3] = 0, c[4] = (uint8_t)sw;
			rl = xfer(c, 5, r);
			if (data && data_len) {
				memcpy(data, r, rl - 2);
				*data_len = rl - 2;
			}
			sw = sw_of(r, rl);
			continue;
		}
		if ((sw >> 8) == 0x91) {
			c[0] = 0x80, c[1] = CAT_INS_FETCH, c[2] = 0, c[3] = 0, c[4] = (uint8_t)sw;
			rl = xfer(c, 5, r);
			CU_ASSERT_EQUAL_FATAL(sw_of(r, rl), 0x9000);
			handle_proactive(r, rl - 2);
			/* the TERMINAL RESPONSE's SW is re-read through the pending length */
			size_t p = euicc_card_proactive_pending(card);
			sw = p ? (uint16_t)(0x9100 | p) : 0x9000;
			continue;
		}
		return sw;
	}
	CU_FAIL("proactive loop did not end");
	return sw;
}

static uint16_t apdu_hex(const char *hex, uint8_t *data, size_t *len)
{
	size_t n;
	uint8_t *c = test_unhex(hex, &n), r[EUICC_RAPDU_MAX];
	size_t rl = xfer(c, n, r);
	uint16_t sw = sw_of(r, rl);

	free(c);
	if (data && len) {
		memcpy(data, r, rl - 2);
		*len = rl - 2;
	}
	return pump(sw, data, len);
}

static void sms_pp(const uint8_t *ud, size_t ud_len, uint8_t *resp, size_t *resp_len, uint16_t *sw_out)
{
	struct sms_tpdu t;
	struct cat_envelope env = { .tag = CAT_TAG_SMS_PP_DOWNLOAD };
	uint8_t tpdu[200], c[300], r[EUICC_RAPDU_MAX];
	static const uint8_t scts[7] = { 0x42, 0x10, 0x10, 0x21, 0x43, 0x65, 0x00 };
	int n;

	memset(&t, 0, sizeof(t));
	sms_tpdu_init_data_download(&t, SMS_TPDU_DELIVER);
	t.addr.ton = SMS_TON_INTERNATIONAL;
	t.addr.npi = 1;
	snprintf(t.addr.digits, sizeof(t.addr.digits), "491770000001");
	t.scts = scts;
	t.ud = ud;
	t.ud_len = ud_len;
	t.udl = (uint8_t)ud_len;
	n = sms_tpdu_encode(&t, tpdu, sizeof(tpdu));
	CU_ASSERT_FATAL(n > 0);
	env.dev.src = CAT_DEV_NETWORK;
	env.dev.dst = CAT_DEV_UICC;
	env.tpdu.data = tpdu;
	env.tpdu.len = (size_t)n;
	n = cat_envelope_encode(c + 5, sizeof(c) - 5, &env);
	CU_ASSERT_FATAL(n > 0 && n < 256);
	c[0] = 0x80, c[1] = CAT_INS_ENVELOPE, c[2] = 0, c[3] = 0, c[4] = (uint8_t)n;
	size_t rl = xfer(c, 5 + (size_t)n, r);
	*resp_len = 0;
	*sw_out = pump(sw_of(r, rl), resp, resp_len);
}

struct ota_opts {
	uint8_t spi[2];
	uint8_t kic, kid;
	uint32_t tar;
	const uint8_t (*keys)[16];
	bool replay; /* reuse the last counter */
};

static const struct ota_opts ota_default = { { 0x16, 0x39 }, 0x12, 0x12, IDS_TAR_ISD_R, NULL, false };

/* Send APDUs as one expanded script; returns the PoR status (-1: no PoR) and the R-APDU SWs. */
static int ota_send(const struct ota_opts *o, const uint8_t *const *apdus, const size_t *lens, size_t n, uint16_t *sws,
		    uint8_t (*rdata)[256], size_t *nsw)
{
	static uint8_t script[1024], pkt[1200], out[1200];
	static struct sms_concat_seg segs[8];
	struct rscript_builder b;
	struct scp80_cmd_params cp = { 0 };
	const uint8_t(*k)[16] = o->keys ? o->keys : (const uint8_t(*)[16])scp80_keys;
	struct scp80_keys keys = { k[0], 16, k[1], 16 };
	struct scp80_por por;
	struct rscript_rsp_item items[16];
	uint8_t resp[300];
	size_t resp_len = 0, ni = 0;
	uint16_t sw;
	int len, segn;

	rscript_cmd_begin(&b, script, sizeof(script), RSCRIPT_DEFINITE);
	for (size_t i = 0; i < n; i++)
		rscript_cmd_add_apdu(&b, apdus[i], lens[i]);
	len = rscript_cmd_finish(&b);
	CU_ASSERT_FATAL(len > 0);
	memcpy(cp.spi, o->spi, 2);
	cp.kic = o->kic;
	cp.kid = o->kid;
	cp.tar[0] = (uint8_t)(o->tar >> 16), cp.tar[1] = (uint8_t)(o->tar >> 8), cp.tar[2] = (uint8_t)o->tar;
	if (!o->replay)
		cntr++;
	scp80_cntr_put(cp.cntr, cntr);
	len = scp80_cmd_wrap(pkt, sizeof(pkt), &cp, &keys, script, (size_t)len);
	CU_ASSERT_FATAL(len > 0);
	segn = sms_concat_split(pkt, (size_t)len, SMS_IEI_CPI, SMS_CONCAT_REF8, (uint16_t)cntr, segs, 8);
	CU_ASSERT_FATAL(segn > 0);
	dev.por_len = 0;
	for (int i = 0; i < segn; i++)
		sms_pp(segs[i].ud, segs[i].len, resp, &resp_len, &sw);
	if (resp_len) { /* PoR in the ENVELOPE response */
		memcpy(dev.por, resp, resp_len);
		dev.por_len = resp_len;
	}
	if (nsw)
		*nsw = 0;
	if (!dev.por_len)
		return -1;
	if (scp80_por_unwrap(&por, dev.por, dev.por_len, cp.spi, cp.kic, cp.kid, &keys, out, sizeof(out)) <= 0) {
		/* an error PoR is sent unsecured (TS 102 225 §5.2.2): parse it as such */
		uint8_t spi[2] = { cp.spi[0], (uint8_t)(cp.spi[1] & ~0x1C) };
		CU_ASSERT_FATAL(
			scp80_por_unwrap(&por, dev.por, dev.por_len, spi, cp.kic, cp.kid, &keys, out, sizeof(out)) > 0);
		CU_ASSERT(por.status != SCP80_ST_POR_OK);
	}
	if (por.status != SCP80_ST_POR_OK || !por.data)
		return por.status;
	CU_ASSERT_EQUAL(por.verdict, SCP80_V_OK);
	CU_ASSERT_FATAL(rscript_rsp_decode(por.data, por.data_len, items, 16, &ni) > 0);
	for (size_t i = 0; i < ni && nsw && *nsw < 8; i++) {
		if (items[i].kind != RSCRIPT_RSP_RAPDU)
			continue;
		if (rdata) {
			memcpy(rdata[*nsw], items[i].data, items[i].data_len);
		}
		sws[(*nsw)++] = items[i].sw;
	}
	return por.status;
}

/* One APDU over OTA with the default keys; returns its SW (0 if no R-APDU). */
static uint16_t ota1(const uint8_t *apdu, size_t len, uint8_t *rdata)
{
	uint16_t sws[4] = { 0 };
	uint8_t rd[4][256];
	size_t nsw = 0;
	int st = ota_send(&ota_default, &apdu, &len, 1, sws, rd, &nsw);

	CU_ASSERT_EQUAL(st, 0);
	if (rdata && nsw)
		memcpy(rdata, rd[0], 256);
	return nsw ? sws[0] : 0;
}

static uint16_t ota_hex(const char *hex)
{
	size_t n;
	uint8_t *a = test_unhex(hex, &n);
	uint16_t sw = ota1(a, n, NULL);
	free(a);
	return sw;
}

static void aid_of(uint8_t aid[16], uint32_t tar)
{
	ids_aid_from_tar(aid, tar);
}

static uint16_t profile_cmd(enum es5_function fn, uint32_t tar)
{
	uint8_t aid[16], a[64];
	int n;

	aid_of(aid, tar);
	n = es5_profile_cmd_build(a, sizeof(a), fn, aid, 16);
	CU_ASSERT_FATAL(n > 0);
	return ota1(a, (size_t)n, NULL);
}

static uint16_t create_isdp(uint32_t tar, uint32_t quota)
{
	struct es5_create_isdp ci = { 0 };
	uint8_t elf[16], mod[16], aid[16], a[128];
	int n;

	aid_of(elf, 0x0D);
	aid_of(mod, 0x0E);
	aid_of(aid, tar);
	ci.elf_aid.buf = elf, ci.elf_aid.len = 16;
	ci.module_aid.buf = mod, ci.module_aid.len = 16;
	ci.isdp_aid.buf = aid, ci.isdp_aid.len = 16;
	ci.quota = quota;
	n = es5_create_isdp_build(a, sizeof(a), &ci);
	CU_ASSERT_FATAL(n > 0);
	return ota1(a, (size_t)n, NULL);
}

/* Stand-in for ES8 DownloadAndInstallation: install a profile in an ISD-P and leave it DISABLED. */
static void install_profile(uint32_t tar, const char *iccid, const char *imsi, int pol1)
{
	uint8_t aid[16], saip[2048];
	struct euicc_isdp p;
	int n = make_saip(saip, sizeof(saip), iccid, imsi, pol1);

	aid_of(aid, tar);
	CU_ASSERT_FATAL(euicc_store_isdp_get(euicc_card_store(card), aid, 16, &p) == 0);
	CU_ASSERT_FATAL(euicc_factory_profile(&p, saip, (size_t)n, NULL) == 0);
	p.state = ES5_ISDP_DISABLED;
	CU_ASSERT_FATAL(euicc_store_isdp_put(euicc_card_store(card), &p) == 0);
}

static uint8_t state_of(uint32_t tar)
{
	uint8_t aid[16];
	struct euicc_isdp p;

	aid_of(aid, tar);
	if (euicc_store_isdp_get(euicc_card_store(card), aid, 16, &p) < 0)
		return 0;
	return p.state;
}

static void location(uint8_t status)
{
	struct cat_envelope env = { .tag = CAT_TAG_EVENT_DOWNLOAD, .event = CAT_EV_LOCATION_STATUS };
	uint8_t c[64], r[EUICC_RAPDU_MAX];
	int n;

	env.dev.src = CAT_DEV_TERMINAL;
	env.dev.dst = CAT_DEV_UICC;
	env.has_location_status = true;
	env.location_status = status;
	n = cat_envelope_encode(c + 5, sizeof(c) - 5, &env);
	CU_ASSERT_FATAL(n > 0);
	c[0] = 0x80, c[1] = CAT_INS_ENVELOPE, c[2] = 0, c[3] = 0, c[4] = (uint8_t)n;
	size_t rl = xfer(c, 5 + (size_t)n, r);
	CU_ASSERT_EQUAL(pump(sw_of(r, rl), NULL, NULL), 0x9000);
}

/* Decode the n-th MO packet as the SM-SR does: SCP80 unwrap with the ISD-R keys, then E1. */
static void decode_mo(unsigned int i, struct es5_notification *e, uint8_t *plain)
{
	struct scp80_cmd h;
	struct scp80_keys keys = { scp80_keys[0], 16, scp80_keys[1], 16 };

	CU_ASSERT_FATAL(i < dev.n_mo);
	CU_ASSERT_FATAL(scp80_cmd_unwrap(&h, dev.mo[i], dev.mo_len[i], &keys, NULL, plain, 512) > 0);
	CU_ASSERT_EQUAL_FATAL(h.verdict, SCP80_V_OK);
	CU_ASSERT_FATAL(es5_notification_decode(e, h.data, h.data_len) > 0);
	CU_ASSERT_EQUAL(e->eid.len, 16);
}

/* ========================================================================================= tests */

/* TS 35.208 v4 §4.3 test set 1 (also 3GPP TS 35.207 §4.3.1): f1* = 01cfaf9ec4e871e9, f5* = 451e8beca43b. */
void test_euicc_milenage_f1star_f5star_ts35208_set1(void)
{
	static const uint8_t rand[16] = { 0x23, 0x55, 0x3c, 0xbe, 0x96, 0x37, 0xa8, 0x9d,
					  0x21, 0x8a, 0xe6, 0x4d, 0xae, 0x47, 0xbf, 0x35 };
	static const uint8_t sqn[6] = { 0xff, 0x9b, 0xb4, 0xd0, 0xb6, 0x07 };
	static const uint8_t amf[2] = { 0xb9, 0xb9 };
	uint8_t mac_s[8], ak_s[6];

	CU_ASSERT_EQUAL(euicc_milenage_f1star_f5star(K, OPC, rand, sqn, amf, mac_s, ak_s), 0);
	TEST_ASSERT_HEX_EQ(mac_s, 8, "01cfaf9ec4e871e9");
	TEST_ASSERT_HEX_EQ(ak_s, 6, "451e8beca43b");
}

void test_euicc_usim_files_and_loci_persist(void)
{
	uint8_t d[EUICC_RAPDU_MAX];
	size_t n;

	new_card();
	CU_ASSERT_EQUAL(apdu_hex("00a40004023f00", d, &n), 0x9000); /* FCP through GET RESPONSE */
	CU_ASSERT(n > 2 && d[0] == 0x62);
	CU_ASSERT_EQUAL(apdu_hex("00a4000c022fe2", NULL, NULL), 0x9000);
	CU_ASSERT_EQUAL(apdu_hex("00b000000a", d, &n), 0x9000);
	TEST_ASSERT_HEX_EQ(d, n, "988812010000500380f2");
	CU_ASSERT_EQUAL(apdu_hex("00a4000c026f07", NULL, NULL), 0x6A82); /* not under the MF */
	CU_ASSERT_EQUAL(apdu_hex("00a4000c027fff", NULL, NULL), 0x9000);
	CU_ASSERT_EQUAL(apdu_hex("00a4000c026f07", NULL, NULL), 0x9000);
	CU_ASSERT_EQUAL(apdu_hex("00b0000009", d, &n), 0x9000);
	TEST_ASSERT_HEX_EQ(d, n, "080910100000000010");
	CU_ASSERT_EQUAL(apdu_hex("00b0000004", d, &n), 0x9000); /* a shorter read is a read */
	CU_ASSERT_EQUAL(n, 4);
	CU_ASSERT_EQUAL(apdu_hex("00b00009 01", NULL, NULL), 0x6B00);
	CU_ASSERT_EQUAL(apdu_hex("00d6000001ff", NULL, NULL), 0x6982); /* EF.IMSI is not writable */
	CU_ASSERT_EQUAL(apdu_hex("00a4000c026f7e", NULL, NULL), 0x9000);
	CU_ASSERT_EQUAL(apdu_hex("00d600000b 11223344 00f110 0001 00 00", NULL, NULL), 0x9000);
	power_cycle();
	CU_ASSERT_EQUAL(apdu_hex("00a40800047fff6f7e", NULL, NULL), 0x9000);
	CU_ASSERT_EQUAL(apdu_hex("00b000000b", d, &n), 0x9000);
	TEST_ASSERT_HEX_EQ(d, n, "1122334400f11000010000");
	CU_ASSERT_EQUAL(apdu_hex("00b00000", NULL, NULL), 0x9000); /* case 1: data through GET RESPONSE */
	CU_ASSERT_EQUAL(apdu_hex("00ee0000", NULL, NULL), 0x6D00);
	CU_ASSERT_EQUAL(apdu_hex("01a4000c023f00", NULL, NULL), 0x6881);
	CU_ASSERT_EQUAL(apdu_hex("80e2880000", NULL, NULL), 0x6982); /* ES5 only over OTA */
}

void test_euicc_usim_authenticate_vs_osmo_auth_gen_vec(void)
{
	struct osmo_sub_auth_data aud = { .type = OSMO_AUTH_TYPE_UMTS, .algo = OSMO_AUTH_ALG_MILENAGE };
	struct osmo_auth_vector v, v2;
	uint8_t rand[16], c[64], d[EUICC_RAPDU_MAX];
	size_t n;

	new_card();
	memcpy(aud.u.umts.k, K, 16);
	memcpy(aud.u.umts.opc, OPC, 16);
	aud.u.umts.ind_bitlen = 5;
	aud.u.umts.sqn = 0x20 * 7;
	memset(rand, 0x5A, 16);
	CU_ASSERT_FATAL(osmo_auth_gen_vec(&v, &aud, rand) == 0);
	/* AUTHENTICATE before selecting the USIM: refused */
	memcpy(c, "\x00\x88\x00\x81\x22\x10", 6);
	memcpy(c + 6, rand, 16);
	c[22] = 0x10;
	memcpy(c + 23, v.autn, 16);
	CU_ASSERT_EQUAL(sw_of(d, xfer(c, 39, d)), 0x6985);
	CU_ASSERT_EQUAL(apdu_hex("00a4040c07a0000000871002", NULL, NULL), 0x9000);
	n = xfer(c, 39, d);
	CU_ASSERT_FATAL(n >= 2);
	CU_ASSERT_EQUAL_FATAL(pump(sw_of(d, n), d, &n), 0x9000);
	CU_ASSERT_EQUAL(d[0], 0xDB);
	TEST_ASSERT_MEM_EQ(d + 2, d[1], v.res, v.res_len);
	TEST_ASSERT_MEM_EQ(d + 3 + d[1], 16, v.ck, 16);
	TEST_ASSERT_MEM_EQ(d + 4 + d[1] + 16, 16, v.ik, 16);
	TEST_ASSERT_MEM_EQ(d + 5 + d[1] + 32, 8, v.kc, 8);
	/* the same vector again: SQN not fresh -> AUTS, from which the network recovers SQN_MS */
	n = xfer(c, 39, d);
	CU_ASSERT_EQUAL_FATAL(pump(sw_of(d, n), d, &n), 0x9000);
	CU_ASSERT_EQUAL_FATAL(d[0], 0xDC);
	CU_ASSERT_EQUAL(d[1], 14);
	aud.u.umts.sqn = 0;
	CU_ASSERT_EQUAL(osmo_auth_gen_vec_auts(&v2, &aud, d + 2, rand, rand), 0);
	CU_ASSERT_EQUAL(aud.u.umts.sqn_ms, aud.u.umts.sqn_ms & 0xFFFFFFFFFFFFULL);
	CU_ASSERT_EQUAL(aud.u.umts.sqn_ms >> 5, 8u);
	/* a tampered MAC */
	c[38] ^= 1;
	CU_ASSERT_EQUAL(sw_of(d, xfer(c, 39, d)), 0x9862);
	/* GSM context: SRES / Kc as the network computes them */
	memcpy(c, "\x00\x88\x00\x80\x11\x10", 6);
	memcpy(c + 6, rand, 16);
	n = xfer(c, 22, d);
	CU_ASSERT_EQUAL_FATAL(pump(sw_of(d, n), d, &n), 0x9000);
	TEST_ASSERT_MEM_EQ(d + 1, 4, v.sres, 4);
	TEST_ASSERT_MEM_EQ(d + 6, 8, v.kc, 8);
	/* SQN persists over a power cycle: the first vector is still a replay */
	power_cycle();
	CU_ASSERT_EQUAL(apdu_hex("00a4040c07a0000000871002", NULL, NULL), 0x9000);
	memcpy(c, "\x00\x88\x00\x81\x22\x10", 6);
	memcpy(c + 6, rand, 16);
	c[22] = 0x10;
	memcpy(c + 23, v.autn, 16);
	n = xfer(c, 39, d);
	CU_ASSERT_EQUAL(pump(sw_of(d, n), d, &n), 0x9000);
	CU_ASSERT_EQUAL(d[0], 0xDC);
}

void test_euicc_get_data_eid_and_cert(void)
{
	uint8_t d[EUICC_RAPDU_MAX], eid[16];
	size_t n;

	new_card();
	ids_eid_to_bytes(eid, eid_buf, 32);
	/* I/O interface: SELECT ECASD, GET DATA 5A (digest §4.1) */
	CU_ASSERT_EQUAL(apdu_hex("00a4040010a0000005591010ffffffff8900000200", NULL, NULL), 0x9000);
	CU_ASSERT_EQUAL(apdu_hex("80ca005a00", d, &n), 0x9000);
	CU_ASSERT_EQUAL(n, 18);
	TEST_ASSERT_MEM_EQ(d + 2, 16, eid, 16);
	/* OTA */
	uint8_t rd[256];
	CU_ASSERT_EQUAL(ota_hex("80ca005a00"), 0x9000);
	CU_ASSERT_EQUAL(ota1((const uint8_t *)"\x80\xca\x7f\x21\x00", 5, rd), 0x9000);
	TEST_ASSERT_MEM_EQ(rd, sizeof(CERT), CERT, sizeof(CERT));
	CU_ASSERT_EQUAL(ota_hex("80cabf30045c027f2100"), 0x9000);
	CU_ASSERT_EQUAL(ota_hex("80caff2100"), 0x9000);
	CU_ASSERT_EQUAL(ota_hex("80ca00ee00"), 0x6A88);
}

void test_euicc_scp80_replay_wrong_key_wrong_tar(void)
{
	const uint8_t *a = (const uint8_t *)"\x80\xca\x00\x5a\x00";
	size_t l = 5;
	uint16_t sws[16];
	size_t nsw;
	struct ota_opts o = ota_default;
	static const uint8_t bad[3][16] = { { 1 }, { 2 }, { 3 } };

	new_card();
	CU_ASSERT_EQUAL(ota_send(&o, &a, &l, 1, sws, NULL, &nsw), 0);
	CU_ASSERT_EQUAL(nsw, 1);
	o.replay = true; /* same counter: process only if higher -> 02 */
	CU_ASSERT_EQUAL(ota_send(&o, &a, &l, 1, sws, NULL, &nsw), SCP80_ST_CNTR_LOW);
	power_cycle(); /* the counter is non-volatile */
	CU_ASSERT_EQUAL(ota_send(&o, &a, &l, 1, sws, NULL, &nsw), SCP80_ST_CNTR_LOW);
	o.replay = false;
	o.keys = bad; /* wrong keys: the CC fails -> 01 (unsecured PoR, readable with any key) */
	CU_ASSERT_EQUAL(ota_send(&o, &a, &l, 1, sws, NULL, &nsw), SCP80_ST_RC_CC_DS_FAILED);
	o.keys = NULL;
	o.tar = 0x000099; /* wrong TAR -> 09 */
	CU_ASSERT_EQUAL(ota_send(&o, &a, &l, 1, sws, NULL, &nsw), SCP80_ST_TAR_UNKNOWN);
	o.tar = IDS_TAR_ISD_R;
	o.kic = 0x32, o.kid = 0x32; /* KVN 3 does not exist -> 06 */
	CU_ASSERT_EQUAL(ota_send(&o, &a, &l, 1, sws, NULL, &nsw), SCP80_ST_UNIDENTIFIED_SECURITY_ERROR);
	o.kic = 0x12, o.kid = 0x12;
	o.spi[0] = 0x12; /* CC, no ciphering: below the card's minimum -> 0A */
	CU_ASSERT_EQUAL(ota_send(&o, &a, &l, 1, sws, NULL, &nsw), SCP80_ST_INSUFFICIENT_SECURITY_LEVEL);
	/* silent drop variant: no PoR at all */
	cfg.secerr = EUICC_SECERR_SILENT_DROP;
	euicc_card_close(card);
	open_card();
	o = ota_default;
	o.keys = bad;
	CU_ASSERT_EQUAL(ota_send(&o, &a, &l, 1, sws, NULL, &nsw), -1);
	/* the counter did not move on the failures: the next good packet works */
	o.keys = NULL;
	CU_ASSERT_EQUAL(ota_send(&o, &a, &l, 1, sws, NULL, &nsw), 0);
	/* PoR in the ENVELOPE response (SPI2 b6 clear) and concatenated commands */
	o.spi[1] = 0x19;
	const uint8_t *many[6] = { a, a, a, a, a, a };
	size_t ls[6] = { 5, 5, 5, 5, 5, 5 };
	uint8_t big[200];
	memset(big, 0, sizeof(big));
	memcpy(big, "\x80\xe2\x88\x00\xc0\x3a\x07\xbd\x80\x81\xba", 11); /* 3A07 of 189 bytes: 2 SMS */
	many[5] = big;
	ls[5] = 5 + 0xc0;
	CU_ASSERT_EQUAL(ota_send(&o, many, ls, 6, sws, NULL, &nsw), 0);
	CU_ASSERT_EQUAL(nsw, 6);
	CU_ASSERT_EQUAL(sws[5], 0x9000);
}

void test_euicc_create_isdp_errors(void)
{
	new_card();
	CU_ASSERT_EQUAL(create_isdp(0x11, 0), 0x9000);
	CU_ASSERT_EQUAL(state_of(0x11), ES5_ISDP_SELECTABLE);
	CU_ASSERT_EQUAL(create_isdp(0x11, 0), 0x6A80);		/* exists */
	CU_ASSERT_EQUAL(create_isdp(0x05, 0), 0x6A80);		/* TAR outside the ISD-P range */
	CU_ASSERT_EQUAL(create_isdp(0x12, 0x7FFFFFFF), 0x6A84); /* quota over the free memory */
	/* an unknown ELF AID */
	{
		struct es5_create_isdp ci = { 0 };
		uint8_t elf[16], mod[16], aid[16], a[128];
		aid_of(elf, 0x0C);
		aid_of(mod, 0x0E);
		aid_of(aid, 0x13);
		ci.elf_aid.buf = elf, ci.elf_aid.len = 16;
		ci.module_aid.buf = mod, ci.module_aid.len = 16;
		ci.isdp_aid.buf = aid, ci.isdp_aid.len = 16;
		int n = es5_create_isdp_build(a, sizeof(a), &ci);
		CU_ASSERT_EQUAL(ota1(a, (size_t)n, NULL), 0x6A88);
	}
	CU_ASSERT_EQUAL(ota_hex("80e60c000100"), 0x6A80); /* malformed */
	power_cycle();
	CU_ASSERT_EQUAL(state_of(0x11), ES5_ISDP_SELECTABLE);
}

/* Enable with a power cycle after every step; notification retried until 3A08. */
void test_euicc_enable_notification_confirm_power_cycles(void)
{
	struct es5_notification e, e2;
	uint8_t plain[512], a[32], aid[16];
	int n;

	new_card();
	CU_ASSERT_EQUAL(create_isdp(0x20, 0), 0x9000);
	power_cycle();
	install_profile(0x20, "8988211000000530090", "001010000000002", -1);
	power_cycle();
	memset(&dev, 0, sizeof(dev));
	CU_ASSERT_EQUAL(profile_cmd(ES5_FN_ENABLE_PROFILE, 0x20), 0x9000);
	CU_ASSERT_EQUAL(dev.refresh, 1);
	CU_ASSERT_EQUAL(dev.refresh_qualifier, CAT_REFRESH_UICC_RESET);
	CU_ASSERT_EQUAL(state_of(0x20), ES5_ISDP_ENABLED);
	CU_ASSERT_EQUAL(state_of(EUICC_FIRST_ISDP_TAR), ES5_ISDP_DISABLED);
	CU_ASSERT_EQUAL(euicc_card_switch_phase(card), EUICC_SW_WAIT_RESET);
	power_cycle(); /* the REFRESH's UICC reset */
	CU_ASSERT_EQUAL(euicc_card_switch_phase(card), EUICC_SW_WAIT_ATTACH);
	power_cycle();
	CU_ASSERT_EQUAL(euicc_card_switch_phase(card), EUICC_SW_WAIT_ATTACH);
	/* the new profile's IMSI is what the device reads now */
	uint8_t d[EUICC_RAPDU_MAX];
	size_t dl;
	CU_ASSERT_EQUAL(apdu_hex("00a40800047fff6f07", NULL, NULL), 0x9000);
	CU_ASSERT_EQUAL(apdu_hex("00b0000009", d, &dl), 0x9000);
	TEST_ASSERT_HEX_EQ(d, dl, "080910100000000020");
	location(CAT_LOC_NORMAL_SERVICE);
	CU_ASSERT_EQUAL(dev.n_mo, 1);
	CU_ASSERT_EQUAL(euicc_card_switch_phase(card), EUICC_SW_WAIT_CONFIRM);
	decode_mo(0, &e, plain);
	CU_ASSERT_EQUAL(e.type, ES5_NOTIF_PROFILE_CHANGE_SUCCEEDED);
	CU_ASSERT_EQUAL(e.aid_tag, 0x2F);
	aid_of(aid, 0x20);
	TEST_ASSERT_MEM_EQ(e.isdp_aid.buf, e.isdp_aid.len, aid, 16);
	uint16_t seq = e.seq;
	power_cycle();
	/* retry on the timer and on the next attach: same sequence number */
	euicc_card_notif_tick(card);
	CU_ASSERT_EQUAL(pump((uint16_t)(0x9100 | euicc_card_proactive_pending(card)), NULL, NULL), 0x9000);
	location(CAT_LOC_NORMAL_SERVICE);
	CU_ASSERT_EQUAL(dev.n_mo, 3);
	decode_mo(2, &e2, plain);
	CU_ASSERT_EQUAL(e2.seq, seq);
	/* confirmation */
	n = es5_notification_confirm_build(a, sizeof(a), seq);
	CU_ASSERT_FATAL(n > 0);
	CU_ASSERT_EQUAL(ota1(a, (size_t)n, NULL), 0x9000);
	CU_ASSERT_EQUAL(euicc_card_switch_phase(card), EUICC_SW_NONE);
	CU_ASSERT_EQUAL(ota1(a, (size_t)n, NULL), 0x6A88); /* already confirmed */
	power_cycle();
	location(CAT_LOC_NORMAL_SERVICE);
	CU_ASSERT_EQUAL(dev.n_mo, 3); /* nothing left to send */
}

void test_euicc_enable_errors_pol1_state_unknown(void)
{
	new_card();
	CU_ASSERT_EQUAL(profile_cmd(ES5_FN_ENABLE_PROFILE, EUICC_FIRST_ISDP_TAR), 0x6985); /* already enabled */
	CU_ASSERT_EQUAL(profile_cmd(ES5_FN_ENABLE_PROFILE, 0x77), 0x6A88);
	CU_ASSERT_EQUAL(create_isdp(0x21, 0), 0x9000);
	CU_ASSERT_EQUAL(profile_cmd(ES5_FN_ENABLE_PROFILE, 0x21), 0x6985); /* SELECTABLE, no profile */
	install_profile(0x21, "8988211000000530108", "001010000000003", 0x01);
	CU_ASSERT_EQUAL(create_isdp(0x22, 0), 0x9000);
	install_profile(0x22, "8988211000000530116", "001010000000004", -1);
	/* enable 21 (its POL1 forbids disabling), then 22 must be refused with 69E1 */
	CU_ASSERT_EQUAL(profile_cmd(ES5_FN_ENABLE_PROFILE, 0x21), 0x9000);
	power_cycle();
	location(CAT_LOC_NORMAL_SERVICE);
	CU_ASSERT_EQUAL(profile_cmd(ES5_FN_ENABLE_PROFILE, 0x22), 0x69E1);
	CU_ASSERT_EQUAL(profile_cmd(ES5_FN_DISABLE_PROFILE, 0x21), 0x69E1);
	CU_ASSERT_EQUAL(state_of(0x21), ES5_ISDP_ENABLED);
	CU_ASSERT_EQUAL(state_of(0x22), ES5_ISDP_DISABLED);
}

void test_euicc_rollback_on_attach_failure(void)
{
	struct es5_notification e;
	uint8_t plain[512];

	new_card();
	CU_ASSERT_EQUAL(create_isdp(0x30, 0), 0x9000);
	install_profile(0x30, "8988211000000530124", "001010000000005", -1);
	memset(&dev, 0, sizeof(dev));
	CU_ASSERT_EQUAL(profile_cmd(ES5_FN_ENABLE_PROFILE, 0x30), 0x9000);
	power_cycle();
	location(CAT_LOC_LIMITED_SERVICE);
	CU_ASSERT_EQUAL(dev.refresh, 2);
	CU_ASSERT_EQUAL(state_of(0x30), ES5_ISDP_DISABLED);
	CU_ASSERT_EQUAL(state_of(EUICC_FIRST_ISDP_TAR), ES5_ISDP_ENABLED);
	CU_ASSERT_EQUAL(euicc_card_switch_phase(card), EUICC_SW_RB_WAIT_RESET);
	power_cycle();
	CU_ASSERT_EQUAL(euicc_card_switch_phase(card), EUICC_SW_RB_WAIT_ATTACH);
	location(CAT_LOC_NORMAL_SERVICE);
	CU_ASSERT_EQUAL(dev.n_mo, 1);
	decode_mo(0, &e, plain);
	CU_ASSERT_EQUAL(e.type, ES5_NOTIF_PROFILE_CHANGE_FAILED);
	CU_ASSERT_EQUAL(euicc_card_switch_phase(card), EUICC_SW_NONE);
}

void test_euicc_rollback_when_never_confirmed(void)
{
	struct es5_notification e;
	uint8_t plain[512];

	new_card();
	CU_ASSERT_EQUAL(create_isdp(0x31, 0), 0x9000);
	install_profile(0x31, "8988211000000530132", "001010000000006", -1);
	memset(&dev, 0, sizeof(dev));
	CU_ASSERT_EQUAL(profile_cmd(ES5_FN_ENABLE_PROFILE, 0x31), 0x9000);
	power_cycle();
	location(CAT_LOC_NORMAL_SERVICE);
	for (unsigned int i = 1; i < cfg.notif_max_attempts; i++) {
		euicc_card_notif_tick(card);
		pump((uint16_t)(0x9100 | euicc_card_proactive_pending(card)), NULL, NULL);
	}
	CU_ASSERT_EQUAL(euicc_card_switch_phase(card), EUICC_SW_WAIT_CONFIRM);
	euicc_card_notif_tick(card); /* validity over: roll back */
	pump((uint16_t)(0x9100 | euicc_card_proactive_pending(card)), NULL, NULL);
	CU_ASSERT_EQUAL(euicc_card_switch_phase(card), EUICC_SW_RB_WAIT_RESET);
	CU_ASSERT_EQUAL(state_of(EUICC_FIRST_ISDP_TAR), ES5_ISDP_ENABLED);
	power_cycle();
	dev.n_mo = 0;
	location(CAT_LOC_NORMAL_SERVICE);
	decode_mo(0, &e, plain);
	CU_ASSERT_EQUAL(e.type, ES5_NOTIF_PROFILE_CHANGE_FAILED);
}

void test_euicc_fallback_after_failed_rollback(void)
{
	struct es5_notification e;
	uint8_t plain[512];

	new_card();
	/* profiles: 10 (fall-back, enabled), 40, 41; enable 40, then 41 -> prev = 40 */
	CU_ASSERT_EQUAL(create_isdp(0x40, 0), 0x9000);
	install_profile(0x40, "8988211000000530140", "001010000000007", -1);
	CU_ASSERT_EQUAL(create_isdp(0x41, 0), 0x9000);
	install_profile(0x41, "8988211000000530157", "001010000000008", -1);
	CU_ASSERT_EQUAL(profile_cmd(ES5_FN_ENABLE_PROFILE, 0x40), 0x9000);
	power_cycle();
	location(CAT_LOC_NORMAL_SERVICE);
	CU_ASSERT_EQUAL(profile_cmd(ES5_FN_ENABLE_PROFILE, 0x41), 0x9000);
	power_cycle();
	location(CAT_LOC_NO_SERVICE); /* 41 fails */
	CU_ASSERT_EQUAL(state_of(0x40), ES5_ISDP_ENABLED);
	power_cycle();
	location(CAT_LOC_NO_SERVICE); /* 40 fails too: fall-back */
	CU_ASSERT_EQUAL(state_of(EUICC_FIRST_ISDP_TAR), ES5_ISDP_ENABLED);
	CU_ASSERT_EQUAL(euicc_card_switch_phase(card), EUICC_SW_FB_WAIT_RESET);
	power_cycle();
	memset(&dev, 0, sizeof(dev));
	location(CAT_LOC_NORMAL_SERVICE);
	CU_ASSERT(dev.n_mo >= 1);
	decode_mo(dev.n_mo - 1, &e, plain);
	CU_ASSERT_EQUAL(e.type, ES5_NOTIF_PROFILE_CHANGE_AFTER_FALLBACK);
}

void test_euicc_fallback_disable_delete(void)
{
	uint8_t a[64], aid[16];
	int n;

	new_card();
	CU_ASSERT_EQUAL(create_isdp(0x50, 0), 0x9000);
	CU_ASSERT_EQUAL(profile_cmd(ES5_FN_SET_FALLBACK, 0x50), 0x6985); /* not installed */
	CU_ASSERT_EQUAL(profile_cmd(ES5_FN_SET_FALLBACK, 0x99), 0x6A88);
	install_profile(0x50, "8988211000000530165", "001010000000009", 0x02);
	/* the enabled fall-back profile cannot be disabled */
	CU_ASSERT_EQUAL(profile_cmd(ES5_FN_DISABLE_PROFILE, EUICC_FIRST_ISDP_TAR), 0x6985);
	CU_ASSERT_EQUAL(profile_cmd(ES5_FN_DISABLE_PROFILE, 0x50), 0x6985); /* not enabled */
	CU_ASSERT_EQUAL(profile_cmd(ES5_FN_SET_FALLBACK, 0x50), 0x9000);
	power_cycle();
	/* now 10 is no longer fall-back: disabling it enables 50 */
	memset(&dev, 0, sizeof(dev));
	CU_ASSERT_EQUAL(profile_cmd(ES5_FN_DISABLE_PROFILE, EUICC_FIRST_ISDP_TAR), 0x9000);
	CU_ASSERT_EQUAL(dev.refresh, 1);
	CU_ASSERT_EQUAL(state_of(0x50), ES5_ISDP_ENABLED);
	power_cycle();
	location(CAT_LOC_NORMAL_SERVICE);
	/* delete: enabled 6985, POL1 b2 69E1, unknown 6A88, disabled one ok */
	aid_of(aid, 0x50);
	n = es5_delete_isdp_build(a, sizeof(a), ES5_DELETE_P2_40, aid, 16);
	CU_ASSERT_EQUAL(ota1(a, (size_t)n, NULL), 0x6985);
	aid_of(aid, 0x99);
	n = es5_delete_isdp_build(a, sizeof(a), ES5_DELETE_P2_40, aid, 16);
	CU_ASSERT_EQUAL(ota1(a, (size_t)n, NULL), 0x6A88);
	aid_of(aid, EUICC_FIRST_ISDP_TAR);
	n = es5_delete_isdp_build(a, sizeof(a), ES5_DELETE_P2_40, aid, 16);
	CU_ASSERT_EQUAL(ota1(a, (size_t)n, NULL), 0x9000);
	CU_ASSERT_EQUAL(state_of(EUICC_FIRST_ISDP_TAR), 0);
	CU_ASSERT_EQUAL(create_isdp(0x51, 0), 0x9000);
	install_profile(0x51, "8988211000000530173", "001010000000010", 0x02);
	aid_of(aid, 0x51);
	n = es5_delete_isdp_build(a, sizeof(a), ES5_DELETE_P2_40, aid, 16);
	CU_ASSERT_EQUAL(ota1(a, (size_t)n, NULL), 0x69E1);
	power_cycle();
}

void test_euicc_get_status_and_addressing(void)
{
	uint8_t a[64], rd[256];
	struct es5_isdp_status st[8];
	size_t n_st = 0;
	int n;

	new_card();
	CU_ASSERT_EQUAL(create_isdp(0x60, 0), 0x9000);
	n = es5_get_status_build(a, sizeof(a), NULL, 0, true);
	CU_ASSERT_EQUAL(ota1(a, (size_t)n, rd), 0x9000);
	/* the PoR carries the E3 records; decode them with the SM-SR parser */
	uint16_t sws[2];
	uint8_t rdata[2][256];
	size_t nsw;
	const uint8_t *ap = a;
	size_t al = (size_t)n;
	CU_ASSERT_EQUAL(ota_send(&ota_default, &ap, &al, 1, sws, rdata, &nsw), 0);
	CU_ASSERT_EQUAL(es5_get_status_resp_parse(rdata[0], 2 + rdata[0][1] + 2 + rdata[0][2 + rdata[0][1] + 1], st, 8,
						  &n_st),
			0);
	CU_ASSERT_EQUAL(n_st, 2);
	CU_ASSERT_EQUAL(st[0].lcs, ES5_ISDP_ENABLED);
	CU_ASSERT(st[0].fallback);
	CU_ASSERT_EQUAL(st[1].lcs, ES5_ISDP_SELECTABLE);
	uint8_t unknown[16];
	aid_of(unknown, 0x99);
	n = es5_get_status_build(a, sizeof(a), unknown, 16, true);
	CU_ASSERT_EQUAL(ota1(a, (size_t)n, NULL), 0x6A88);
	/* UpdateSMSRAddressingParameters: the SMS address moves */
	n = es5_update_addressing_build(a, sizeof(a), (const uint8_t *)"\xa0\x08\x86\x06\x91\x94\x71\x00\x00\xf9", 10);
	CU_ASSERT_EQUAL(ota1(a, (size_t)n, NULL), 0x9000);
	char text[48];
	size_t tl = sizeof(text);
	CU_ASSERT_EQUAL(euicc_store_param_get(euicc_card_store(card), "smsr.sms", (uint8_t *)text, &tl), 0);
	TEST_ASSERT_MEM_EQ(text, tl, "1 1 491700009", 13);
	n = es5_update_addressing_build(a, sizeof(a), (const uint8_t *)"\xa0\x08\x86", 3);
	CU_ASSERT_EQUAL(ota1(a, (size_t)n, NULL), 0x6A80);
}

void test_euicc_finalise_handover(void)
{
	struct euicc_keyset ks = { .kvn = 0x02, .type = EUICC_KEYSET_SCP80 };
	struct es5_keyrange del1[] = { { 0x01, 1, 3 }, { 0x40, 1, 2 } };
	struct es5_keyrange del2[] = { { 0x02, 1, 3 } };
	struct es5_keyrange ghost[] = { { 0x09, 1, 3 } };
	struct ota_opts o = ota_default;
	static uint8_t k2[3][16];
	uint8_t a[64];
	uint16_t sws[2];
	size_t nsw;
	int n;

	new_card();
	/* KS2 as EstablishISDRKeySet would leave it (stand-in for the lib/ecka path) */
	for (int i = 0; i < 3; i++) {
		memset(k2[i], 0xA0 + i, 16);
		memcpy(ks.key[i], k2[i], 16);
		ks.key_len[i] = 16;
	}
	CU_ASSERT_FATAL(euicc_store_keyset_put(euicc_card_store(card), &ks) == 0);
	/* SR1 (session KVN 01) cannot delete its own key set */
	n = es5_finalise_handover_build(a, sizeof(a), del1, 2);
	CU_ASSERT_EQUAL(ota1(a, (size_t)n, NULL), 0x6985);
	/* SR2 with KS2 (KVN 02): a KVN that does not exist -> 6A88, then the real list */
	o.kic = o.kid = 0x22;
	o.keys = k2;
	const uint8_t *ap = a;
	size_t al;
	n = es5_finalise_handover_build(a, sizeof(a), ghost, 1);
	al = (size_t)n;
	cntr = 0;
	CU_ASSERT_EQUAL(ota_send(&o, &ap, &al, 1, sws, NULL, &nsw), 0);
	CU_ASSERT_EQUAL(sws[0], 0x6A88);
	n = es5_finalise_handover_build(a, sizeof(a), del1, 2);
	al = (size_t)n;
	CU_ASSERT_EQUAL(ota_send(&o, &ap, &al, 1, sws, NULL, &nsw), 0);
	CU_ASSERT_EQUAL(sws[0], 0x9000);
	power_cycle();
	struct euicc_keyset left[4];
	CU_ASSERT_EQUAL(euicc_store_keyset_list(euicc_card_store(card), left, 4), 1);
	CU_ASSERT_EQUAL(left[0].kvn, 0x02);
	/* SR1's keys are gone: its packet now gets 06 */
	CU_ASSERT_EQUAL(ota_send(&ota_default, &ap, &al, 1, sws, NULL, &nsw), SCP80_ST_UNIDENTIFIED_SECURITY_ERROR);
	n = es5_finalise_handover_build(a, sizeof(a), del2, 1);
	al = (size_t)n;
	CU_ASSERT_EQUAL(ota_send(&o, &ap, &al, 1, sws, NULL, &nsw), 0);
	CU_ASSERT_EQUAL(sws[0], 0x6985);
}

void test_euicc_keyset_hook_absent(void)
{
	uint8_t a[256], cert[8] = { 0x7F, 0x21, 0x05, 0x93, 0x01, 0x01, 0x42, 0x00 };
	int n;

	new_card();
	n = es5_keyset_cert_build(a, sizeof(a), cert, sizeof(cert));
	CU_ASSERT_FATAL(n > 0);
	CU_ASSERT_EQUAL(ota1(a, (size_t)n, NULL), 0x6A80); /* the extension: a malformed certificate */
	euicc_card_set_ext(card, NULL);
	CU_ASSERT_EQUAL(ota1(a, (size_t)n, NULL), 0x6985); /* no key-establishment extension plugged in */
}

/* The vpcd framing without sockets: split at every byte, control bytes, ATR, an APDU. */
void test_euicc_vpcd_framing_every_split(void)
{
	static const uint8_t stream[] = { 0x00, 0x01, 0x01,			    /* power on */
					  0x00, 0x01, 0x04,			    /* ATR request */
					  0x00, 0x05, 0x80, 0xCA, 0x00, 0x5A, 0x00, /* GET DATA: 6982 (MF selected) */
					  0x00, 0x01, 0x00 /* power off */ };
	uint8_t out[256];

	new_card();
	euicc_card_power_off(card);
	for (size_t split = 0; split <= sizeof(stream); split++) {
		size_t out_len = 0;
		int a = euicc_vpcd_process(card, stream, split, out, sizeof(out), &out_len);
		CU_ASSERT_FATAL(a >= 0 && (size_t)a <= split);
		int b = euicc_vpcd_process(card, stream + a, sizeof(stream) - (size_t)a, out, sizeof(out), &out_len);
		CU_ASSERT_EQUAL((size_t)a + (size_t)b, sizeof(stream));
		/* replies: ATR (2 + 22) and the R-APDU (2 + 2) */
		CU_ASSERT_EQUAL(out_len, 24u + 4u);
		CU_ASSERT_EQUAL(out[1], 22);
		TEST_ASSERT_HEX_EQ(out + 24, 4, "00026982");
		CU_ASSERT(!euicc_card_powered(card));
	}
	/* an oversized message is refused */
	size_t ol = 0;
	CU_ASSERT_EQUAL(euicc_vpcd_process(card, (const uint8_t *)"\xff\xff", 2, out, sizeof(out), &ol), -EMSGSIZE);
	euicc_card_power_on(card);
}

/* `rsplab-euicc init --add-profile`: a further profile, disabled, that an EnableProfile switches to. */
void test_euicc_factory_add_profile(void)
{
	uint8_t saip[2048];
	int n;

	new_card();
	euicc_card_close(card);
	card = NULL;
	n = make_saip(saip, sizeof(saip), "8988211000000530090", "001020000000002", -1);
	CU_ASSERT_FATAL(n > 0);
	CU_ASSERT_EQUAL(euicc_factory_add_profile(path, saip, (size_t)n, NULL, 0x11), 0);
	CU_ASSERT_EQUAL(euicc_factory_add_profile(path, saip, (size_t)n, NULL, 0x11), -EEXIST);
	CU_ASSERT_EQUAL(euicc_factory_add_profile(path, saip, (size_t)n, NULL, EUICC_FIRST_ISDP_TAR), -EINVAL);
	CU_ASSERT_EQUAL(euicc_factory_add_profile(path, saip, (size_t)n - 1, NULL, 0x12), -EINVAL);
	open_card();
	CU_ASSERT_EQUAL(euicc_store_check(euicc_card_store(card)), 0);
	CU_ASSERT_EQUAL(state_of(0x11), ES5_ISDP_DISABLED);
	CU_ASSERT_EQUAL(state_of(EUICC_FIRST_ISDP_TAR), ES5_ISDP_ENABLED);
	CU_ASSERT_EQUAL(profile_cmd(ES5_FN_ENABLE_PROFILE, 0x11), 0x9000);
	CU_ASSERT_EQUAL(state_of(0x11), ES5_ISDP_ENABLED);
	CU_ASSERT_EQUAL(state_of(EUICC_FIRST_ISDP_TAR), ES5_ISDP_DISABLED);
	/* until the REFRESH's reset the USIM still runs the old profile (its IMSI, its keys) ... */
	uint8_t d[EUICC_RAPDU_MAX];
	size_t dl;
	CU_ASSERT_EQUAL(apdu_hex("00a40800047fff6f07", NULL, NULL), 0x9000);
	CU_ASSERT_EQUAL(apdu_hex("00b0000009", d, &dl), 0x9000);
	TEST_ASSERT_HEX_EQ(d, dl, "080910100000000010");
	/* ... and the new one after it */
	power_cycle();
	CU_ASSERT_EQUAL(apdu_hex("00a40800047fff6f07", NULL, NULL), 0x9000);
	CU_ASSERT_EQUAL(apdu_hex("00b0000009", d, &dl), 0x9000);
	TEST_ASSERT_HEX_EQ(d, dl, "080910200000000020");
}

/* `rsplab-euicc dump`: read-only while the card (the server) has the file open; states, ICCIDs and key
 * set versions as they change, never a key value. */
static void dump_text(char *out, size_t cap)
{
	struct euicc_store *ro = NULL;
	FILE *f = fmemopen(out, cap, "w");

	CU_ASSERT_FATAL(f != NULL);
	CU_ASSERT_FATAL(euicc_store_open_ro(&ro, path) == 0);
	CU_ASSERT_EQUAL(euicc_dump(ro, f), 0);
	/* read-only: a write is refused */
	CU_ASSERT_EQUAL(euicc_store_param_set_u64(ro, "dump.test", 1), -EIO);
	euicc_store_close(ro);
	fclose(f);
}

void test_euicc_dump_state(void)
{
	char text[2048], want[2048];
	uint8_t saip[2048];
	int n;

	new_card();
	euicc_card_close(card);
	card = NULL;
	n = make_saip(saip, sizeof(saip), "8988211000000530090", "001020000000002", -1);
	CU_ASSERT_FATAL(n > 0);
	CU_ASSERT_FATAL(euicc_factory_add_profile(path, saip, (size_t)n, NULL, 0x11) == 0);
	open_card();
	dump_text(text, sizeof(text));
	snprintf(want, sizeof(want),
		 "eid %s\n"
		 "isdp tar=000010 aid=A0000005591010FFFFFFFF8900001000 lifecycle=3F state=Enabled "
		 "iccid=8988211000000530082 fallback=1\n"
		 "isdp tar=000011 aid=A0000005591010FFFFFFFF8900001100 lifecycle=1F state=Disabled "
		 "iccid=8988211000000530090 fallback=0\n"
		 "keyset kvn=01 type=scp80 keys=3\n"
		 "keyset kvn=40 type=scp81 keys=2\n",
		 eid_buf);
	CU_ASSERT_STRING_EQUAL(text, want);
	CU_ASSERT_PTR_NULL(strstr(text, "1111111111")); /* the SCP80 KIc is 11..11: never printed */
	/* the card changes state: the dump follows */
	CU_ASSERT_EQUAL(profile_cmd(ES5_FN_ENABLE_PROFILE, 0x11), 0x9000);
	CU_ASSERT_EQUAL(euicc_store_keyset_del(euicc_card_store(card), 0x40), 0);
	dump_text(text, sizeof(text));
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "tar=000010 aid=A0000005591010FFFFFFFF8900001000 lifecycle=1F "
					    "state=Disabled"));
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "tar=000011 aid=A0000005591010FFFFFFFF8900001100 lifecycle=3F "
					    "state=Enabled"));
	CU_ASSERT_PTR_NULL(strstr(text, "kvn=40"));
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "keyset kvn=01 type=scp80 keys=3\n"));
}
