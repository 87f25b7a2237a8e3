/* sims/euicc: the device and SM-SR side shared by the extension tests (es8_test.c, admin_test.c):
 * a card file from a run-time PKI (CI, ECASD, SM-SR and SM-DP keys and GP certificates), APDU transfer
 * with GET RESPONSE / FETCH / TERMINAL RESPONSE handling, and remote scripts over SMS-PP with SCP80
 * exactly as an SM-SR sends them. Test code only: static inline so that each test uses what it needs. */
#pragma once

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/cat/cat.h"
#include "lib/crypto/ec.h"
#include "lib/gpcert/gpcert.h"
#include "lib/ids/ids.h"
#include "lib/rscript/rscript.h"
#include "lib/saip/saip.h"
#include "lib/scp80/scp80.h"
#include "lib/sms/sms.h"
#include "lib/sms/sms_concat.h"
#include "lib/test/runner.h"
#include "sims/euicc/card_internal.h"
#include "sims/euicc/factory.h"

#define TD_EID_PREFIX "890490321234567890000000000001" /* + 2 check digits */

static const uint8_t td_k[16] = { 0x46, 0x5b, 0x5c, 0xe8, 0xb1, 0x99, 0xb4, 0x9f,
				  0xaa, 0x5f, 0x0a, 0x2e, 0xe2, 0x38, 0xa6, 0xbc };
static const uint8_t td_opc[16] = { 0xcd, 0x63, 0xcb, 0x71, 0x95, 0x4a, 0x9f, 0x4e,
				    0x48, 0xa5, 0x99, 0x4e, 0x37, 0xa0, 0x2b, 0xaf };

/* The test world: one card, its keys, the CI / SM-SR / SM-DP keys and certificates. */
struct td {
	char dir[256], path[300];
	char eid[33];
	struct euicc_card *card;
	struct euicc_config cfg;
	EVP_PKEY *ci, *ecasd, *sr2, *dp, *rogue;
	uint8_t cert_sr2[512], cert_dp[512], cert_sr_by_rogue[512];
	size_t cert_sr2_len, cert_dp_len, cert_sr_by_rogue_len;
	uint8_t scp80[3][16]; /* SR1: KVN 01 */
	uint8_t scp81[2][16]; /* KVN 40 PSK, DEK */
	uint64_t cntr[16];    /* SCP80 counter per KVN */
	/* what the device saw */
	uint8_t por[1024];
	size_t por_len;
	unsigned int refresh;
	/* extra proactive handling (BIP); returns true if it built the TERMINAL RESPONSE itself */
	bool (*on_proactive)(const struct cat_proactive *pc, struct cat_terminal_response *tr, void *priv);
	void *priv;
};
static struct td td;

static inline int td_cert(uint8_t *out, size_t cap, enum gpcert_type type, EVP_PKEY *issuer, EVP_PKEY *subject)
{
	static const uint8_t serial[] = { 0x01 }, ca[] = { 0x01 }, subj[] = { 0x01 };
	static uint8_t point[EC_POINT_LEN];
	struct gpcert c;

	memset(&c, 0, sizeof(c));
	crypto_ec_export_public(subject, point);
	c.serial = (struct gpcert_bytes){ serial, sizeof(serial) };
	c.ca_id = (struct gpcert_bytes){ ca, sizeof(ca) };
	c.subject_id = (struct gpcert_bytes){ subj, sizeof(subj) };
	c.expiration = 21450101; /* digest §4.6 example */
	c.public_key = point;
	c.curve = CRYPTO_CURVE_P256;
	c.key_usage = GPCERT_KU_SIGN;
	c.key_usage_len = 1;
	c.has_cert_type = true;
	c.cert_type = type == GPCERT_TYPE_DP ? GPCERT_CERT_TYPE_SMDP : GPCERT_CERT_TYPE_SMSR;
	return gpcert_sign(out, cap, &c, &gpcert_variant_default, issuer);
}

static inline int td_setup(const char *name)
{
	const char *tmp = getenv("TMPDIR");
	int n;

	memset(&td, 0, sizeof(td));
	snprintf(td.dir, sizeof(td.dir), "%s/%s.XXXXXX", tmp ? tmp : "/tmp", name);
	if (!mkdtemp(td.dir))
		return -1;
	snprintf(td.path, sizeof(td.path), "%s/card.db", td.dir);
	ids_eid_compute(td.eid, TD_EID_PREFIX, 30);
	td.eid[32] = 0;
	if (crypto_ec_generate(CRYPTO_CURVE_P256, &td.ci) < 0 || crypto_ec_generate(CRYPTO_CURVE_P256, &td.ecasd) < 0 ||
	    crypto_ec_generate(CRYPTO_CURVE_P256, &td.sr2) < 0 || crypto_ec_generate(CRYPTO_CURVE_P256, &td.dp) < 0 ||
	    crypto_ec_generate(CRYPTO_CURVE_P256, &td.rogue) < 0)
		return -1;
	n = td_cert(td.cert_sr2, sizeof(td.cert_sr2), GPCERT_TYPE_SR, td.ci, td.sr2);
	if (n < 0)
		return -1;
	td.cert_sr2_len = (size_t)n;
	n = td_cert(td.cert_dp, sizeof(td.cert_dp), GPCERT_TYPE_DP, td.ci, td.dp);
	if (n < 0)
		return -1;
	td.cert_dp_len = (size_t)n;
	n = td_cert(td.cert_sr_by_rogue, sizeof(td.cert_sr_by_rogue), GPCERT_TYPE_SR, td.rogue, td.sr2);
	if (n < 0)
		return -1;
	td.cert_sr_by_rogue_len = (size_t)n;
	for (int i = 0; i < 3; i++)
		memset(td.scp80[i], 0x11 * (i + 1), 16);
	memset(td.scp81[0], 0x44, 16);
	memset(td.scp81[1], 0x55, 16);
	return 0;
}

static inline void td_teardown(void)
{
	euicc_card_close(td.card);
	td.card = NULL;
	unlink(td.path);
	rmdir(td.dir);
	EVP_PKEY_free(td.ci);
	EVP_PKEY_free(td.ecasd);
	EVP_PKEY_free(td.sr2);
	EVP_PKEY_free(td.dp);
	EVP_PKEY_free(td.rogue);
}

static inline int td_saip(uint8_t *buf, size_t cap, const char *iccid, const char *imsi)
{
	struct saip_build_params p = { .version = SAIP_VERSION_2_0,
				       .iccid = iccid,
				       .imsi = imsi,
				       .algo = SAIP_ALGO_MILENAGE,
				       .key = td_k,
				       .opc = td_opc,
				       .pol1 = -1 };
	return saip_build(buf, cap, &p);
}

static inline void td_open(void)
{
	CU_ASSERT_FATAL(euicc_card_open(&td.card, td.path, &td.cfg) == 0);
	euicc_card_power_on(td.card);
}

static inline void td_power_cycle(void)
{
	CU_ASSERT_EQUAL(euicc_store_check(euicc_card_store(td.card)), 0);
	euicc_card_close(td.card);
	td_open();
	CU_ASSERT_EQUAL(euicc_store_check(euicc_card_store(td.card)), 0);
}

/* A fresh card with the test world's keys (cfg reset to the defaults unless keep_cfg). */
static inline void td_new_card(bool keep_cfg)
{
	struct euicc_factory f = { 0 };
	uint8_t saip[2048];
	int n;

	euicc_card_close(td.card);
	td.card = NULL;
	unlink(td.path);
	n = td_saip(saip, sizeof(saip), "8988211000000530082", "001010000000001");
	CU_ASSERT_FATAL(n > 0);
	f.eid = td.eid;
	f.curve = CRYPTO_CURVE_P256;
	crypto_ec_export_private(td.ecasd, f.sk_ecasd);
	crypto_ec_export_public(td.ci, f.pk_ci);
	f.cert_ecasd = (const uint8_t *)"\x7f\x21\x00";
	f.cert_len = 3;
	f.saip = saip;
	f.saip_len = (size_t)n;
	f.smsr_sms = "1 1 491770000001";
	f.keys_given = true;
	memcpy(f.scp80, td.scp80, sizeof(td.scp80));
	memcpy(f.scp81, td.scp81, sizeof(td.scp81));
	CU_ASSERT_FATAL(euicc_factory_make(td.path, &f) == 0);
	if (!keep_cfg)
		euicc_config_default(&td.cfg);
	memset(td.cntr, 0, sizeof(td.cntr));
	td_open();
}

static inline size_t td_xfer(const uint8_t *c, size_t n, uint8_t *r)
{
	return euicc_card_apdu(td.card, c, n, r, EUICC_RAPDU_MAX);
}

static inline uint16_t td_sw(const uint8_t *r, size_t n)
{
	return (uint16_t)(r[n - 2] << 8 | r[n - 1]);
}

static inline void td_terminal_response(const struct cat_terminal_response *tr)
{
	uint8_t c[300], r[EUICC_RAPDU_MAX];
	int n;

	c[0] = 0x80, c[1] = CAT_INS_TERMINAL_RESPONSE, c[2] = 0, c[3] = 0;
	n = cat_terminal_response_encode(c + 5, sizeof(c) - 5, tr);
	CU_ASSERT_FATAL(n > 0 && n < 256);
	c[4] = (uint8_t)n;
	size_t rl = td_xfer(c, 5 + (size_t)n, r);
	uint16_t sw = td_sw(r, rl);
	CU_ASSERT(sw == 0x9000 || (sw >> 8) == 0x91);
}

static inline void td_handle_proactive(const uint8_t *buf, size_t len)
{
	struct cat_proactive pc;
	struct cat_terminal_response tr = { 0 };
	struct sms_tpdu t;

	CU_ASSERT_FATAL(cat_proactive_decode(&pc, buf, len) > 0);
	tr.details = pc.details;
	tr.dev.src = CAT_DEV_TERMINAL;
	tr.dev.dst = CAT_DEV_UICC;
	tr.general = CAT_RES_OK;
	if (td.on_proactive && td.on_proactive(&pc, &tr, td.priv)) {
		td_terminal_response(&tr);
		return;
	}
	if (pc.details.type == CAT_CMD_SEND_SHORT_MESSAGE) {
		CU_ASSERT_FATAL(sms_tpdu_decode(&t, SMS_TPDU_SUBMIT, pc.tpdu.data, pc.tpdu.len) > 0);
		if (t.ud_len >= 3 && t.ud[1] == SMS_IEI_RPI && t.ud_len <= sizeof(td.por)) {
			memcpy(td.por, t.ud, t.ud_len);
			td.por_len = t.ud_len;
		}
	} else if (pc.details.type == CAT_CMD_REFRESH) {
		td.refresh++;
	}
	td_terminal_response(&tr);
}

/* Follow 61xx / 91xx until the card has nothing more; data gets the first GET RESPONSE data. */
static inline uint16_t td_pump(uint16_t sw, uint8_t *data, size_t *data_len)
{
	uint8_t c[5], r[EUICC_RAPDU_MAX];
	size_t rl;

	for (int guard = 0; guard < 64; guard++) {
		if ((sw >> 8) == 0x61) {
			c[0] = 0x00, c[1] = 0xC0, c[2] = 0, c[3] = 0, c[4] = (uint8_t)sw;
			rl = td_xfer(c, 5, r);
			if (data && data_len) {
				memcpy(data, r, rl - 2);
				*data_len = rl - 2;
			}
			sw = td_sw(r, rl);
			continue;
		}
		if ((sw >> 8) == 0x91) {
			c[0] = 0x80, c[1] = CAT_INS_FETCH, c[2] = 0, c[3] = 0, c[4] = (uint8_t)sw;
			rl = td_xfer(c, 5, r);
			CU_ASSERT_EQUAL_FATAL(td_sw(r, rl), 0x9000);
			td_handle_proactive(r, rl - 2);
			size_t p = euicc_card_proactive_pending(td.card);
			sw = p ? (uint16_t)(0x9100 | p) : 0x9000;
			continue;
		}
		return sw;
	}
	CU_FAIL("proactive loop did not end");
	return sw;
}

static inline void td_sms_pp(const uint8_t *ud, size_t ud_len, uint8_t *resp, size_t *resp_len)
{
	static const uint8_t scts[7] = { 0x42, 0x10, 0x10, 0x21, 0x43, 0x65, 0x00 };
	struct sms_tpdu t;
	struct cat_envelope env = { .tag = CAT_TAG_SMS_PP_DOWNLOAD };
	uint8_t tpdu[200], c[300], r[EUICC_RAPDU_MAX];
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
	size_t rl = td_xfer(c, 5 + (size_t)n, r);
	*resp_len = 0;
	td_pump(td_sw(r, rl), resp, resp_len);
}

/* Send a secured packet (script) by SMS-PP with SCP80 key set kvn (keys k: KIc, KID), SPI 16 39, to tar.
 * Returns the PoR status (-1: no PoR); the PoR data (the response script) goes to out/out_len. */
static inline int td_ota_raw(uint8_t kvn, const uint8_t (*k)[16], uint32_t tar, const uint8_t *script, size_t len,
			     uint8_t *out, size_t *out_len)
{
	static uint8_t pkt[1200], plain[1200];
	static struct sms_concat_seg segs[8];
	struct scp80_cmd_params cp = { .spi = { 0x16, 0x39 } };
	struct scp80_keys keys = { k[0], 16, k[1], 16 };
	struct scp80_por por;
	uint8_t resp[300];
	size_t resp_len = 0;
	int n, segn;

	cp.kic = cp.kid = (uint8_t)(kvn << 4 | 0x02);
	cp.tar[0] = (uint8_t)(tar >> 16), cp.tar[1] = (uint8_t)(tar >> 8), cp.tar[2] = (uint8_t)tar;
	scp80_cntr_put(cp.cntr, ++td.cntr[kvn & 0x0F]);
	n = scp80_cmd_wrap(pkt, sizeof(pkt), &cp, &keys, script, len);
	CU_ASSERT_FATAL(n > 0);
	segn = sms_concat_split(pkt, (size_t)n, SMS_IEI_CPI, SMS_CONCAT_REF8, (uint16_t)td.cntr[kvn & 0x0F], segs, 8);
	CU_ASSERT_FATAL(segn > 0);
	td.por_len = 0;
	for (int i = 0; i < segn; i++)
		td_sms_pp(segs[i].ud, segs[i].len, resp, &resp_len);
	if (resp_len) {
		memcpy(td.por, resp, resp_len);
		td.por_len = resp_len;
	}
	*out_len = 0;
	if (!td.por_len)
		return -1;
	if (scp80_por_unwrap(&por, td.por, td.por_len, cp.spi, cp.kic, cp.kid, &keys, plain, sizeof(plain)) <= 0) {
		uint8_t spi[2] = { cp.spi[0], (uint8_t)(cp.spi[1] & ~0x1C) }; /* an unsecured error PoR */
		CU_ASSERT_FATAL(scp80_por_unwrap(&por, td.por, td.por_len, spi, cp.kic, cp.kid, &keys, plain,
						 sizeof(plain)) > 0);
		return por.status;
	}
	if (por.data && out) {
		memcpy(out, por.data, por.data_len);
		*out_len = por.data_len;
	}
	return por.status;
}

/* A script of the given items (kind, value) over OTA with SR1's keys (KVN 01) unless k is given. */
struct td_item {
	uint8_t kind;
	const uint8_t *v;
	size_t len;
};

static inline int td_ota_items(uint8_t kvn, const uint8_t (*k)[16], uint32_t tar, const struct td_item *items, size_t n,
			       struct rscript_rsp_item *rsp, size_t max, size_t *nrsp)
{
	static uint8_t script[1200], out[1200];
	struct rscript_builder b;
	size_t out_len;
	int len, st;

	rscript_cmd_begin(&b, script, sizeof(script), RSCRIPT_DEFINITE);
	for (size_t i = 0; i < n; i++)
		rscript_cmd_add(&b, (enum rscript_cmd_kind)items[i].kind, items[i].v, items[i].len);
	len = rscript_cmd_finish(&b);
	CU_ASSERT_FATAL(len > 0);
	st = td_ota_raw(kvn ? kvn : 1, k ? k : (const uint8_t(*)[16])td.scp80, tar, script, (size_t)len, out, &out_len);
	*nrsp = 0;
	if (st == 0 && out_len)
		CU_ASSERT_FATAL(rscript_rsp_decode(out, out_len, rsp, max, nrsp) > 0);
	return st;
}

/* One C-APDU; returns its SW (0: no R-APDU) and copies the response data. */
static inline uint16_t td_apdu(uint8_t kvn, const uint8_t (*k)[16], uint32_t tar, const uint8_t *apdu, size_t len,
			       uint8_t *data, size_t *data_len)
{
	struct td_item it = { RSCRIPT_CMD_CAPDU, apdu, len };
	struct rscript_rsp_item r[4];
	size_t n = 0;

	if (td_ota_items(kvn, k, tar, &it, 1, r, 4, &n) != 0)
		return 0;
	for (size_t i = 0; i < n; i++) {
		if (r[i].kind != RSCRIPT_RSP_RAPDU)
			continue;
		if (data && data_len) {
			memcpy(data, r[i].data, r[i].data_len);
			*data_len = r[i].data_len;
		}
		return r[i].sw;
	}
	return 0;
}

static inline uint8_t td_state(uint32_t tar)
{
	uint8_t aid[16];
	struct euicc_isdp p;

	ids_aid_from_tar(aid, tar);
	if (euicc_store_isdp_get(euicc_card_store(td.card), aid, 16, &p) < 0)
		return 0;
	return p.state;
}

static inline uint16_t td_create_isdp(uint32_t tar)
{
	struct es5_create_isdp ci = { 0 };
	uint8_t elf[16], mod[16], aid[16], a[128];
	int n;

	ids_aid_from_tar(elf, 0x0D);
	ids_aid_from_tar(mod, 0x0E);
	ids_aid_from_tar(aid, tar);
	ci.elf_aid.buf = elf, ci.elf_aid.len = 16;
	ci.module_aid.buf = mod, ci.module_aid.len = 16;
	ci.isdp_aid.buf = aid, ci.isdp_aid.len = 16;
	n = es5_create_isdp_build(a, sizeof(a), &ci);
	CU_ASSERT_FATAL(n > 0);
	return td_apdu(0, NULL, IDS_TAR_ISD_R, a, (size_t)n, NULL, NULL);
}

static inline uint16_t td_delete_isdp(uint32_t tar)
{
	uint8_t aid[16], a[64];
	int n;

	ids_aid_from_tar(aid, tar);
	n = es5_delete_isdp_build(a, sizeof(a), ES5_DELETE_P2_40, aid, 16);
	CU_ASSERT_FATAL(n > 0);
	return td_apdu(0, NULL, IDS_TAR_ISD_R, a, (size_t)n, NULL, NULL);
}
