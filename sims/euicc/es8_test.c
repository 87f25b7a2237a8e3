/* Tests of key establishment (EstablishISDRKeySet, ES8.EstablishISDPKeySet) and ES8 (DownloadAndInstallation
 * over SCP03t, UpdateConnectivityParameters over SCP03), driving the card by APDUs only. The SM-SR / SM-DP
 * side is computed with the lib host functions: lib/gpcert (certificates), lib/ecka (ecka_host_start /
 * ecka_host_finish: the receipt the card returns must verify), lib/scp03t host (its card-cryptogram and
 * R-MAC checks), lib/scp03 host. The store is read only to check states after power cycles. */
#include <errno.h>

#include "lib/ecka/ecka.h"
#include "lib/es5/es5.h"
#include "lib/scp03/scp03.h"
#include "lib/scp03t/scp03t.h"
#include "lib/tlv/bertlv.h"
#include "sims/euicc/ext.h"
#include "sims/euicc/test_dev.h"

#define ISDP_TAR 0x000020

int suite_setup(void)
{
	return td_setup("es8_test");
}

int suite_teardown(void)
{
	td_teardown();
	return 0;
}

/* --- SM-SR / SM-DP side ------------------------------------------------------------------------------ */

/* The first key-establishment command; returns the SW and the RC. with_perso: INSTALL [for perso] of
 * the ISD-P first, in the same script (digest §3.2 step 7). */
static uint16_t send_cert(const uint8_t *cert, size_t cert_len, uint32_t isdp_tar, uint8_t *rc, size_t *rc_len)
{
	uint8_t a1[64], a2[300], aid[16];
	struct td_item it[2];
	struct rscript_rsp_item r[8];
	struct es5_bytes rcb;
	size_t n = 0, k = 0;
	int l1 = 0, l2;

	if (isdp_tar) {
		ids_aid_from_tar(aid, isdp_tar);
		l1 = es5_install_perso_build(a1, sizeof(a1), aid, 16);
		CU_ASSERT_FATAL(l1 > 0);
		it[k++] = (struct td_item){ RSCRIPT_CMD_CAPDU, a1, (size_t)l1 };
	}
	l2 = es5_keyset_cert_build(a2, sizeof(a2), cert, cert_len);
	CU_ASSERT_FATAL(l2 > 0);
	it[k++] = (struct td_item){ RSCRIPT_CMD_CAPDU, a2, (size_t)l2 };
	CU_ASSERT_EQUAL_FATAL(td_ota_items(0, NULL, IDS_TAR_ISD_R, it, k, r, 8, &n), 0);
	CU_ASSERT_FATAL(n >= 2);
	if (r[n - 1].kind != RSCRIPT_RSP_RAPDU)
		return 0;
	if (r[n - 1].sw == 0x9000) {
		CU_ASSERT_FATAL(es5_keyset_cert_resp_parse(r[n - 1].data, r[n - 1].data_len, &rcb) == 0);
		CU_ASSERT_EQUAL(rcb.len, EUICC_RC_LEN);
		memcpy(rc, rcb.buf, rcb.len);
		*rc_len = rcb.len;
	}
	return r[n - 1].sw;
}

struct host_ke {
	struct ecka_host h;
	uint8_t crt[ECKA_CRT_MAX];
	size_t crt_len;
	uint8_t hostid[16];
	struct ecka_keys keys;
};

/* The second command, built and signed by the SM-SR2 / SM-DP (signer), sent; on 9000 the receipt is
 * checked with ecka_host_finish (must be 0). Returns the SW. */
static uint16_t send_keyagreement(struct host_ke *ke, enum ecka_target target, uint8_t kvn, EVP_PKEY *signer,
				  const uint8_t *rc, size_t rc_len, uint32_t perso_tar, bool corrupt_sig)
{
	struct ecka_crt crt;
	EVP_PKEY *pk_ecasd = NULL;
	uint8_t epk[128], sd[512], sig[EC_SIG_LEN], a[300], a1[64], aid[16], pt[EC_POINT_LEN];
	struct bertlv t;
	struct td_item it[2];
	struct rscript_rsp_item r[8];
	struct es5_bytes dr, receipt;
	size_t n = 0, k = 0;
	int epk_len, sdl, al, rcd;

	memset(ke, 0, sizeof(*ke));
	ecka_crt_default(&crt, target, &td.cfg.ecka, kvn);
	if (crt.param & ECKA_SP_HOSTID) {
		memset(ke->hostid, 0x5A, sizeof(ke->hostid));
		crt.host_id = ke->hostid;
		crt.host_id_len = sizeof(ke->hostid);
	}
	rcd = ecka_crt_encode(&crt, ke->crt, sizeof(ke->crt));
	CU_ASSERT_FATAL(rcd > 0);
	ke->crt_len = (size_t)rcd;
	crypto_ec_export_public(td.ecasd, pt);
	CU_ASSERT_FATAL(crypto_ec_from_public(CRYPTO_CURVE_P256, pt, EC_POINT_LEN, &pk_ecasd) == 0);
	CU_ASSERT_FATAL(ecka_host_start(&ke->h, pk_ecasd, NULL, 0) == 0);
	EVP_PKEY_free(pk_ecasd);
	epk_len = ecka_epk_encode(td.cfg.ecka.epk_encoding, ke->h.epk, CRYPTO_CURVE_P256, epk, sizeof(epk));
	CU_ASSERT_FATAL(epk_len > 0 && bertlv_decode(&t, epk, (size_t)epk_len) == epk_len);
	sdl = es5_keyset_signed_data(sd, sizeof(sd), ke->crt, ke->crt_len, t.value, t.len, rc, rc_len);
	CU_ASSERT_FATAL(sdl > 0);
	CU_ASSERT_FATAL(crypto_ecdsa_sign(signer, sd, (size_t)sdl, sig) == 0);
	if (corrupt_sig)
		sig[10] ^= 0x01;
	al = es5_keyset_keyagreement_build(a, sizeof(a), ke->crt, ke->crt_len, t.value, t.len, sig, sizeof(sig));
	CU_ASSERT_FATAL(al > 0);
	if (perso_tar) {
		ids_aid_from_tar(aid, perso_tar);
		int l1 = es5_install_perso_build(a1, sizeof(a1), aid, 16);
		it[k++] = (struct td_item){ RSCRIPT_CMD_CAPDU, a1, (size_t)l1 };
	}
	it[k++] = (struct td_item){ RSCRIPT_CMD_CAPDU, a, (size_t)al };
	CU_ASSERT_EQUAL_FATAL(td_ota_items(0, NULL, IDS_TAR_ISD_R, it, k, r, 8, &n), 0);
	CU_ASSERT_FATAL(n >= 2 && r[n - 1].kind == RSCRIPT_RSP_RAPDU);
	if (r[n - 1].sw == 0x9000) {
		CU_ASSERT_FATAL(es5_keyset_keyagreement_resp_parse(r[n - 1].data, r[n - 1].data_len, &dr, &receipt) ==
				0);
		CU_ASSERT_EQUAL(dr.len ? 1 : 0, (crt.param & ECKA_SP_DR) ? 1 : 0);
		CU_ASSERT_EQUAL(ecka_host_finish(&ke->h, ke->crt, ke->crt_len, dr.len ? dr.buf : NULL, dr.len,
						 receipt.buf, receipt.len, target, &td.cfg.ecka, &ke->keys),
				0);
	}
	ecka_host_free(&ke->h);
	return r[n - 1].sw;
}

/* --- EstablishISDRKeySet: the SM-SR change, card side ------------------------------------------------ */

static uint16_t finalise(uint8_t kvn, const uint8_t (*k)[16], enum es5_f2_semantics v)
{
	/* the ISD-R key sets of the EIS after step 23 (SR2 knows SR1's from the handed-over EIS) */
	const struct es5_keyrange eis[] = { { 0x01, 1, 3 }, { 0x02, 1, 3 }, { 0x40, 1, 2 } };
	struct es5_keyrange f2[4];
	uint8_t a[64];
	size_t nf = es5_f2_entries(v, eis, 3, 0x02, f2, 4);
	int n = es5_finalise_handover_build(a, sizeof(a), f2, nf);

	CU_ASSERT_FATAL(n > 0);
	return td_apdu(kvn, k, IDS_TAR_ISD_R, a, (size_t)n, NULL, NULL);
}

static void smsr_change(enum es5_f2_semantics f2)
{
	struct host_ke ke;
	uint8_t rc[32], a[64], k2[3][16];
	size_t rc_len = 0;
	struct euicc_keyset left[4];
	char text[48];
	size_t tl = sizeof(text);
	int n;

	td.cfg.f2 = f2;
	td_new_card(true);
	/* steps 8-12: SR1 relays CERT.SR2 -> RC */
	CU_ASSERT_EQUAL_FATAL(send_cert(td.cert_sr2, td.cert_sr2_len, 0, rc, &rc_len), 0x9000);
	/* steps 14-23: SR2's CRT / ePK / signature relayed by SR1; SR2 checks the receipt */
	CU_ASSERT_EQUAL_FATAL(send_keyagreement(&ke, ECKA_TARGET_ISDR, 0x02, td.sr2, rc, rc_len, 0, false), 0x9000);
	CU_ASSERT_EQUAL(ke.keys.n_keys, 3);
	for (int i = 0; i < 3; i++)
		memcpy(k2[i], ke.keys.key[i], 16);
	td_power_cycle(); /* KS2 is non-volatile */
	/* step 24-25: SR2 with KS2 deletes SR1's key sets */
	CU_ASSERT_EQUAL(finalise(0x02, (const uint8_t(*)[16])k2, f2), 0x9000);
	CU_ASSERT_EQUAL(euicc_store_keyset_list(euicc_card_store(td.card), left, 4), 1);
	CU_ASSERT_EQUAL(left[0].kvn, 0x02);
	CU_ASSERT_EQUAL(left[0].type, EUICC_KEYSET_SCP80);
	/* step 26: UpdateSMSRAddressingParameters with KS2 */
	n = es5_update_addressing_build(a, sizeof(a), (const uint8_t *)"\xa0\x08\x86\x06\x91\x94\x71\x00\x00\xf9", 10);
	CU_ASSERT_EQUAL(td_apdu(0x02, (const uint8_t(*)[16])k2, IDS_TAR_ISD_R, a, (size_t)n, NULL, NULL), 0x9000);
	CU_ASSERT_EQUAL(euicc_store_param_get(euicc_card_store(td.card), "smsr.sms", (uint8_t *)text, &tl), 0);
	TEST_ASSERT_MEM_EQ(text, tl, "1 1 491700009", 13);
	/* SR1 can no longer reach the ISD-R: its KVN is unknown (PoR 06) */
	CU_ASSERT_EQUAL(td_ota_raw(0x01, (const uint8_t(*)[16])td.scp80, IDS_TAR_ISD_R, a, 0, NULL, &tl),
			SCP80_ST_UNIDENTIFIED_SECURITY_ERROR);
	td_power_cycle();
	CU_ASSERT_EQUAL(td_apdu(0x02, (const uint8_t(*)[16])k2, IDS_TAR_ISD_R, (const uint8_t *)"\x80\xca\x00\x5a\x00",
				5, NULL, NULL),
			0x9000);
}

void test_keyest_smsr_change_card_side(void)
{
	smsr_change(ES5_F2_DELETE_LIST);
}

void test_keyest_smsr_change_keep_list_variant(void)
{
	smsr_change(ES5_F2_KEEP_LIST);
}

/* The other ECKA variants end to end (card and host configured alike). */
void test_keyest_smsr_change_ecka_variants(void)
{
	struct host_ke ke;
	uint8_t rc[32];
	size_t rc_len;

	euicc_config_default(&td.cfg);
	td.cfg.ecka.isdr_split = ECKA_ISDR_RCPT_KIC_KID;
	td.cfg.ecka.receipt_input = ECKA_RECEIPT_A6_ONLY;
	td.cfg.ecka.epk_encoding = ECKA_EPK_RAW;
	td_new_card(true);
	CU_ASSERT_EQUAL_FATAL(send_cert(td.cert_sr2, td.cert_sr2_len, 0, rc, &rc_len), 0x9000);
	CU_ASSERT_EQUAL_FATAL(send_keyagreement(&ke, ECKA_TARGET_ISDR, 0x03, td.sr2, rc, rc_len, 0, false), 0x9000);
	CU_ASSERT_EQUAL(ke.keys.n_keys, 2);
	struct euicc_keyset ks;
	CU_ASSERT_EQUAL(euicc_store_keyset_get(euicc_card_store(td.card), 0x03, &ks), 0);
	CU_ASSERT_EQUAL(ks.key_len[2], 0); /* no KIK under KIC_KID */
	TEST_ASSERT_MEM_EQ(ks.key[1], 16, ke.keys.key[1], 16);
	euicc_config_default(&td.cfg);
}

/* Step 26: the managing SM-SR establishes its own SCP81 PSK-TLS key set (key type 85, KVN 40-4F). */
void test_keyest_isdr_scp81_keyset(void)
{
	struct host_ke ke;
	uint8_t rc[32];
	size_t rc_len;
	struct euicc_keyset ks;

	euicc_config_default(&td.cfg);
	td_new_card(true);
	CU_ASSERT_EQUAL_FATAL(send_cert(td.cert_sr2, td.cert_sr2_len, 0, rc, &rc_len), 0x9000);
	CU_ASSERT_EQUAL_FATAL(send_keyagreement(&ke, ECKA_TARGET_ISDR_SCP81, 0x41, td.sr2, rc, rc_len, 0, false),
			      0x9000);
	CU_ASSERT_EQUAL(ke.keys.n_keys, 1);
	CU_ASSERT_EQUAL_FATAL(euicc_store_keyset_get(euicc_card_store(td.card), 0x41, &ks), 0);
	CU_ASSERT_EQUAL(ks.type, EUICC_KEYSET_SCP81);
	CU_ASSERT_EQUAL(ks.key_len[0], 16);
	CU_ASSERT_EQUAL(ks.key_len[1], 0);
	TEST_ASSERT_MEM_EQ(ks.key[0], 16, ke.keys.key[0], 16);
	/* a PSK-TLS key set outside 40-4F, and an AES (SCP80) one inside it, are refused */
	CU_ASSERT_EQUAL_FATAL(send_cert(td.cert_sr2, td.cert_sr2_len, 0, rc, &rc_len), 0x9000);
	CU_ASSERT_EQUAL(send_keyagreement(&ke, ECKA_TARGET_ISDR_SCP81, 0x05, td.sr2, rc, rc_len, 0, false), 0x6A80);
	CU_ASSERT_EQUAL_FATAL(send_cert(td.cert_sr2, td.cert_sr2_len, 0, rc, &rc_len), 0x9000);
	CU_ASSERT_EQUAL(send_keyagreement(&ke, ECKA_TARGET_ISDR, 0x42, td.sr2, rc, rc_len, 0, false), 0x6A80);
	CU_ASSERT_EQUAL(euicc_store_keyset_get(euicc_card_store(td.card), 0x05, &ks), -ENOENT);
	CU_ASSERT_EQUAL(euicc_store_keyset_get(euicc_card_store(td.card), 0x42, &ks), -ENOENT);
}

void test_keyest_negative(void)
{
	struct host_ke ke;
	uint8_t rc[32], bad[16];
	size_t rc_len;

	euicc_config_default(&td.cfg);
	td_new_card(true);
	/* 3A02 without 3A01: sequence error */
	memset(bad, 0, sizeof(bad));
	CU_ASSERT_EQUAL(send_keyagreement(&ke, ECKA_TARGET_ISDR, 0x02, td.sr2, bad, 16, 0, false), 0x6985);
	/* a DP certificate where an SM-SR one is expected: wrong type */
	CU_ASSERT_EQUAL(send_cert(td.cert_dp, td.cert_dp_len, 0, rc, &rc_len), 0x6A80);
	/* signed by someone else than the CI */
	CU_ASSERT_EQUAL(send_cert(td.cert_sr_by_rogue, td.cert_sr_by_rogue_len, 0, rc, &rc_len), 0x6982);
	/* a certificate that is not one */
	CU_ASSERT_EQUAL(send_cert((const uint8_t *)"\x7f\x21\x03\x93\x01\x01", 6, 0, rc, &rc_len), 0x6A80);
	/* a bad signature over the key agreement: 6982, and the pending state is gone (6985 after) */
	CU_ASSERT_EQUAL_FATAL(send_cert(td.cert_sr2, td.cert_sr2_len, 0, rc, &rc_len), 0x9000);
	CU_ASSERT_EQUAL(send_keyagreement(&ke, ECKA_TARGET_ISDR, 0x02, td.sr2, rc, rc_len, 0, true), 0x6982);
	CU_ASSERT_EQUAL(send_keyagreement(&ke, ECKA_TARGET_ISDR, 0x02, td.sr2, rc, rc_len, 0, false), 0x6985);
	/* signed by a key that is not the certificate's */
	CU_ASSERT_EQUAL_FATAL(send_cert(td.cert_sr2, td.cert_sr2_len, 0, rc, &rc_len), 0x9000);
	CU_ASSERT_EQUAL(send_keyagreement(&ke, ECKA_TARGET_ISDR, 0x02, td.rogue, rc, rc_len, 0, false), 0x6982);
	/* the RC of an earlier 3A01 does not do */
	uint8_t old_rc[32];
	memcpy(old_rc, rc, rc_len);
	CU_ASSERT_EQUAL_FATAL(send_cert(td.cert_sr2, td.cert_sr2_len, 0, rc, &rc_len), 0x9000);
	CU_ASSERT_EQUAL(send_keyagreement(&ke, ECKA_TARGET_ISDR, 0x02, td.sr2, old_rc, rc_len, 0, false), 0x6982);
	/* the pending state is volatile: a power cycle between the two commands */
	CU_ASSERT_EQUAL_FATAL(send_cert(td.cert_sr2, td.cert_sr2_len, 0, rc, &rc_len), 0x9000);
	td_power_cycle();
	CU_ASSERT_EQUAL(send_keyagreement(&ke, ECKA_TARGET_ISDR, 0x02, td.sr2, rc, rc_len, 0, false), 0x6985);
	/* the key set protecting this session (KVN 01) cannot be replaced */
	CU_ASSERT_EQUAL_FATAL(send_cert(td.cert_sr2, td.cert_sr2_len, 0, rc, &rc_len), 0x9000);
	CU_ASSERT_EQUAL(send_keyagreement(&ke, ECKA_TARGET_ISDR, 0x01, td.sr2, rc, rc_len, 0, false), 0x6985);
	/* a KVN outside the SCP80 range for the ISD-R */
	CU_ASSERT_EQUAL_FATAL(send_cert(td.cert_sr2, td.cert_sr2_len, 0, rc, &rc_len), 0x9000);
	CU_ASSERT_EQUAL(send_keyagreement(&ke, ECKA_TARGET_ISDR, 0x30, td.sr2, rc, rc_len, 0, false), 0x6A80);
	/* nothing of it changed the key sets */
	struct euicc_keyset ks[4];
	CU_ASSERT_EQUAL(euicc_store_keyset_list(euicc_card_store(td.card), ks, 4), 2);
	/* an expired certificate (checked at a date after 2145-01-01) */
	td.cfg.cert_date = 21460101;
	td_power_cycle();
	CU_ASSERT_EQUAL(send_cert(td.cert_sr2, td.cert_sr2_len, 0, rc, &rc_len), 0x6982);
	euicc_config_default(&td.cfg);
	td_power_cycle();
}

/* --- ES8.EstablishISDPKeySet + DownloadAndInstallation ------------------------------------------------ */

struct dl {
	struct host_ke ke;
	struct scp03t_host h;
	uint8_t segs[8192];
	size_t segs_len, count;
	const uint8_t *seg[64];
	size_t seg_len[64];
	uint8_t pkg[2048];
	size_t pkg_len;
};
static struct dl dl;

/* Re-serialise the SCP03t response TLVs of a script response (items 84/85/86/9F4x). */
static size_t scp03t_resp(const struct rscript_rsp_item *r, size_t n, uint8_t *out, size_t cap)
{
	struct bertlv_writer w;
	int len;

	bertlv_writer_init(&w, out, cap);
	for (size_t i = 0; i < n; i++)
		if (r[i].kind == RSCRIPT_RSP_SCP03T_INIT || r[i].kind == RSCRIPT_RSP_SCP03T_EXT_AUTH ||
		    r[i].kind == RSCRIPT_RSP_SCP03T_DATA || r[i].kind == RSCRIPT_RSP_SCP03T_ERROR)
			bertlv_put(&w, r[i].tag, r[i].value, r[i].len);
	len = bertlv_writer_finish(&w);
	CU_ASSERT_FATAL(len >= 0);
	return (size_t)len;
}

/* Send SCP03t command TLVs (concatenated) as one script to the ISD-P; the response TLVs into out. */
static size_t send_scp03t(uint32_t tar, const uint8_t *tlvs, size_t len, uint8_t *out, size_t cap)
{
	struct td_item it[4];
	struct rscript_rsp_item r[8];
	struct bertlv t;
	size_t k = 0, off = 0, n = 0;
	int rc;

	while (off < len && k < 4) {
		rc = bertlv_decode(&t, tlvs + off, len - off);
		CU_ASSERT_FATAL(rc > 0);
		it[k++] = (struct td_item){ (uint8_t)t.tag, t.value, t.len };
		off += (size_t)rc;
	}
	CU_ASSERT_EQUAL_FATAL(td_ota_items(0, NULL, tar, it, k, r, 8, &n), 0);
	return scp03t_resp(r, n, out, cap);
}

enum dl_step {
	DL_CREATE,
	DL_CERT,
	DL_KEYAGREEMENT,
	DL_OPEN,
	DL_SEG0, /* DL_SEG0 + i: the i-th 86 */
};

/* One step of the download; checks its nominal answer. */
static void dl_step(unsigned int step, uint32_t tar)
{
	static uint8_t rc[32], out[512], plain[256];
	static size_t rc_len;
	struct scp03t_status st;
	uint8_t aid[16], hc[8] = { 1, 2, 3, 4, 5, 6, 7, 8 }, seq[3] = { 0, 0, 1 }, open[64];
	int n;

	ids_aid_from_tar(aid, tar);
	switch (step) {
	case DL_CREATE: CU_ASSERT_EQUAL(td_create_isdp(tar), 0x9000); return;
	case DL_CERT: CU_ASSERT_EQUAL(send_cert(td.cert_dp, td.cert_dp_len, tar, rc, &rc_len), 0x9000); return;
	case DL_KEYAGREEMENT:
		CU_ASSERT_EQUAL(send_keyagreement(&dl.ke, ECKA_TARGET_ISDP, 0x30, td.dp, rc, rc_len, tar, false),
				0x9000);
		CU_ASSERT_EQUAL(td_state(tar), ES5_ISDP_PERSONALIZED);
		return;
	case DL_OPEN:
		CU_ASSERT_FATAL(scp03t_host_init(&dl.h, &td.cfg.scp03t, dl.ke.keys.key[0], dl.ke.keys.key[1], 16, 0x30,
						 0x00) == 0);
		n = scp03t_host_open(&dl.h, hc, seq, aid, 16, 0x33, open, sizeof(open));
		CU_ASSERT_FATAL(n > 0);
		size_t ol = send_scp03t(tar, open, (size_t)n, out, sizeof(out));
		CU_ASSERT_EQUAL(scp03t_host_check_open(&dl.h, out, ol, &st), (int)ol);
		CU_ASSERT(!st.error);
		/* the package, segmented now that the session keys are known */
		dl.pkg_len = (size_t)td_saip(dl.pkg, sizeof(dl.pkg), "8988211000000530090", "001010000000002");
		n = scp03t_host_segments(&dl.h, dl.pkg, dl.pkg_len, 160, dl.segs, sizeof(dl.segs), &dl.count);
		CU_ASSERT_FATAL(n > 0 && dl.count > 2 && dl.count < 64);
		dl.segs_len = (size_t)n;
		for (size_t off = 0, i = 0; off < dl.segs_len; i++) {
			struct bertlv t;
			int l = bertlv_decode(&t, dl.segs + off, dl.segs_len - off);
			CU_ASSERT_FATAL(l > 0);
			dl.seg[i] = dl.segs + off;
			dl.seg_len[i] = (size_t)l;
			off += (size_t)l;
		}
		return;
	default: {
		unsigned int i = step - DL_SEG0;
		size_t rl = send_scp03t(tar, dl.seg[i], dl.seg_len[i], out, sizeof(out));
		n = scp03t_host_check_data_resp(&dl.h, out, rl, plain, sizeof(plain), &st);
		CU_ASSERT_FATAL(n >= 0);
		CU_ASSERT(!st.error);
		if (i + 1 < dl.count) {
			CU_ASSERT_EQUAL(n, 0); /* 86 00 */
		} else {
			struct saip_euicc_response er;
			CU_ASSERT_FATAL(saip_euicc_response_decode(&er, plain, (size_t)n) > 0);
			CU_ASSERT_EQUAL(er.n, 1);
			CU_ASSERT_EQUAL(er.st[0].status, SAIP_ST_OK);
			CU_ASSERT(!er.aborted);
			CU_ASSERT_EQUAL(td_state(tar), ES5_ISDP_DISABLED);
		}
		return;
	}
	}
}

void test_es8_download_and_install(void)
{
	struct euicc_isdp p;
	uint8_t aid[16], a[64];
	int n;

	euicc_config_default(&td.cfg);
	td_new_card(true);
	dl.count = 0;
	for (unsigned int s = 0; s < DL_SEG0 || s < DL_SEG0 + dl.count; s++)
		dl_step(s, ISDP_TAR);
	ids_aid_from_tar(aid, ISDP_TAR);
	CU_ASSERT_FATAL(euicc_store_isdp_get(euicc_card_store(td.card), aid, 16, &p) == 0);
	CU_ASSERT(p.has_profile);
	CU_ASSERT_STRING_EQUAL(p.prof.imsi, "001010000000002");
	CU_ASSERT(p.has_scp03);
	CU_ASSERT_EQUAL(p.scp03_kvn, 0x30);
	TEST_ASSERT_MEM_EQ(p.scp03[0], 16, dl.ke.keys.key[0], 16);
	/* the installed profile can be enabled like any other */
	n = es5_profile_cmd_build(a, sizeof(a), ES5_FN_ENABLE_PROFILE, aid, 16);
	CU_ASSERT_EQUAL(td_apdu(0, NULL, IDS_TAR_ISD_R, a, (size_t)n, NULL, NULL), 0x9000);
	CU_ASSERT_EQUAL(td_state(ISDP_TAR), ES5_ISDP_ENABLED);
	/* a second 84 on an installed ISD-P: wrong state */
	uint8_t out[64], tlv[12] = { 0x84, 0x0A, 0x30, 0x00 };
	size_t ol = send_scp03t(ISDP_TAR, tlv, sizeof(tlv), out, sizeof(out));
	TEST_ASSERT_HEX_EQ(out, ol, "9f440101");
}

/* A power cycle after every single step leaves a store the SM-DP / SM-SR error path cleans up: the ISD-P
 * is deletable (DeleteISDP 9000, the ISD-P and its parameters gone) and a new download works. */
void test_es8_power_cycle_after_every_step(void)
{
	unsigned int total;
	char name[64];
	uint8_t aid[16], b[8];
	size_t bl;

	euicc_config_default(&td.cfg);
	td_new_card(true);
	dl.count = 0;
	for (unsigned int s = 0; s < DL_SEG0 || s < DL_SEG0 + dl.count; s++)
		dl_step(s, ISDP_TAR);
	total = DL_SEG0 + (unsigned int)dl.count;
	CU_ASSERT_EQUAL(td_delete_isdp(ISDP_TAR), 0x9000);
	ids_aid_from_tar(aid, ISDP_TAR);
	for (unsigned int k = 0; k < total; k++) {
		uint8_t st;
		for (unsigned int s = 0; s <= k; s++)
			dl_step(s, ISDP_TAR);
		td_power_cycle();
		st = td_state(ISDP_TAR);
		if (k == DL_CREATE || k == DL_CERT) {
			CU_ASSERT_EQUAL(st, ES5_ISDP_SELECTABLE);
		} else if (k + 1 < total) {
			CU_ASSERT_EQUAL(st, ES5_ISDP_PERSONALIZED);
		} else {
			CU_ASSERT_EQUAL(st, ES5_ISDP_DISABLED);
		}
		if (k >= DL_OPEN && k + 1 < total) {
			/* the session is gone: the next segment is refused */
			uint8_t out[64];
			unsigned int next = k + 1 - DL_SEG0;
			size_t ol = send_scp03t(ISDP_TAR, dl.seg[next], dl.seg_len[next], out, sizeof(out));
			TEST_ASSERT_HEX_EQ(out, ol, "9f460102");
		}
		CU_ASSERT_EQUAL(td_delete_isdp(ISDP_TAR), 0x9000);
		CU_ASSERT_EQUAL(td_state(ISDP_TAR), 0);
		euicc_es8_param_name(name, sizeof(name), "seq", aid, 16);
		bl = sizeof(b);
		CU_ASSERT_EQUAL(euicc_store_param_get(euicc_card_store(td.card), name, b, &bl), -ENOENT);
	}
	/* and the whole download once more, uninterrupted */
	for (unsigned int s = 0; s < total; s++)
		dl_step(s, ISDP_TAR);
	CU_ASSERT_EQUAL(td_state(ISDP_TAR), ES5_ISDP_DISABLED);
}

void test_es8_scp03t_bad_mac_replay_errors(void)
{
	uint8_t out[128], tlv[600], plain[64], hc[8] = { 9 }, seq[3] = { 0, 0, 2 }, aid[16], open[64];
	struct scp03t_status st;
	size_t ol;
	int n;

	euicc_config_default(&td.cfg);
	td_new_card(true);
	dl.count = 0;
	/* 84 before the key set exists: wrong state */
	dl_step(DL_CREATE, ISDP_TAR);
	memcpy(tlv, "\x84\x0a\x30\x00\x01\x02\x03\x04\x05\x06\x07\x08", 12);
	ol = send_scp03t(ISDP_TAR, tlv, 12, out, sizeof(out));
	TEST_ASSERT_HEX_EQ(out, ol, "9f440101");
	/* 85 / 86 without a session */
	ol = send_scp03t(ISDP_TAR,
			 (const uint8_t *)"\x85\x11\x33\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"
					  "\x00\x00\x00\x00",
			 19, out, sizeof(out));
	TEST_ASSERT_HEX_EQ(out, ol, "9f450102");
	for (unsigned int s = DL_CERT; s <= DL_OPEN; s++)
		dl_step(s, ISDP_TAR);
	/* unknown KVN */
	tlv[2] = 0x31;
	ol = send_scp03t(ISDP_TAR, tlv, 12, out, sizeof(out));
	TEST_ASSERT_HEX_EQ(out, ol, "9f440103");
	/* that 84 closed the session (the refused one did not use a counter value): reopen with 2 */
	ids_aid_from_tar(aid, ISDP_TAR);
	seq[2] = 2;
	CU_ASSERT_FATAL(scp03t_host_init(&dl.h, &td.cfg.scp03t, dl.ke.keys.key[0], dl.ke.keys.key[1], 16, 0x30, 0) ==
			0);
	n = scp03t_host_open(&dl.h, hc, seq, aid, 16, 0x33, open, sizeof(open));
	ol = send_scp03t(ISDP_TAR, open, (size_t)n, out, sizeof(out));
	CU_ASSERT_EQUAL(scp03t_host_check_open(&dl.h, out, ol, &st), (int)ol);
	/* a good segment, then its replay: 9F46 01 02 and the session is closed */
	n = scp03t_host_segment(&dl.h, dl.pkg, 100, tlv, sizeof(tlv));
	CU_ASSERT_FATAL(n > 0);
	ol = send_scp03t(ISDP_TAR, tlv, (size_t)n, out, sizeof(out));
	CU_ASSERT_EQUAL(scp03t_host_check_data_resp(&dl.h, out, ol, plain, sizeof(plain), &st), 0);
	ol = send_scp03t(ISDP_TAR, tlv, (size_t)n, out, sizeof(out));
	TEST_ASSERT_HEX_EQ(out, ol, "9f460102");
	n = scp03t_host_segment(&dl.h, dl.pkg + 100, 100, tlv, sizeof(tlv));
	ol = send_scp03t(ISDP_TAR, tlv, (size_t)n, out, sizeof(out));
	TEST_ASSERT_HEX_EQ(out, ol, "9f460102");
	/* a reused counter value (2 again: the card is at 3) gives a card cryptogram the host does not predict */
	CU_ASSERT_FATAL(scp03t_host_init(&dl.h, &td.cfg.scp03t, dl.ke.keys.key[0], dl.ke.keys.key[1], 16, 0x30, 0) ==
			0);
	n = scp03t_host_open(&dl.h, hc, seq, aid, 16, 0x33, open, sizeof(open));
	ol = send_scp03t(ISDP_TAR, open, (size_t)n, out, sizeof(out));
	CU_ASSERT(scp03t_host_check_open(&dl.h, out, ol, &st) < 0 || st.error);
	/* a bad MAC on a segment of a fresh session */
	seq[2] = 4; /* 3 was used by the open above */
	CU_ASSERT_FATAL(scp03t_host_init(&dl.h, &td.cfg.scp03t, dl.ke.keys.key[0], dl.ke.keys.key[1], 16, 0x30, 0) ==
			0);
	n = scp03t_host_open(&dl.h, hc, seq, aid, 16, 0x33, open, sizeof(open));
	ol = send_scp03t(ISDP_TAR, open, (size_t)n, out, sizeof(out));
	CU_ASSERT_EQUAL(scp03t_host_check_open(&dl.h, out, ol, &st), (int)ol);
	n = scp03t_host_segment(&dl.h, dl.pkg, 100, tlv, sizeof(tlv));
	tlv[n - 1] ^= 0x80;
	ol = send_scp03t(ISDP_TAR, tlv, (size_t)n, out, sizeof(out));
	TEST_ASSERT_HEX_EQ(out, ol, "9f460102");
	/* a package that is not one: EUICCResponse with an error, aborted; the ISD-P stays PERSONALIZED */
	seq[2] = 5;
	CU_ASSERT_FATAL(scp03t_host_init(&dl.h, &td.cfg.scp03t, dl.ke.keys.key[0], dl.ke.keys.key[1], 16, 0x30, 0) ==
			0);
	n = scp03t_host_open(&dl.h, hc, seq, aid, 16, 0x33, open, sizeof(open));
	ol = send_scp03t(ISDP_TAR, open, (size_t)n, out, sizeof(out));
	CU_ASSERT_EQUAL(scp03t_host_check_open(&dl.h, out, ol, &st), (int)ol);
	n = scp03t_host_segment(&dl.h, (const uint8_t *)"\xa0\x03\x80\x01\x02\xaa\x00", 7, tlv, sizeof(tlv));
	ol = send_scp03t(ISDP_TAR, tlv, (size_t)n, out, sizeof(out));
	n = scp03t_host_check_data_resp(&dl.h, out, ol, plain, sizeof(plain), &st);
	CU_ASSERT_FATAL(n > 0);
	struct saip_euicc_response er;
	CU_ASSERT_FATAL(saip_euicc_response_decode(&er, plain, (size_t)n) > 0);
	CU_ASSERT_NOT_EQUAL(er.st[0].status, SAIP_ST_OK);
	CU_ASSERT(er.aborted);
	CU_ASSERT_EQUAL(td_state(ISDP_TAR), ES5_ISDP_PERSONALIZED);
	CU_ASSERT_EQUAL(td_delete_isdp(ISDP_TAR), 0x9000);
}

/* EUICC_PERSO_PENDING (default) lets 3A02 continue an ISD-P establishment without a new INSTALL perso;
 * EUICC_PERSO_PER_SCRIPT refuses it; an INSTALL perso naming another ISD-P is refused under both. */
void test_keyest_isdp_perso_scope_variants(void)
{
	uint8_t rc[32];
	size_t rc_len;
	struct host_ke ke;

	euicc_config_default(&td.cfg);
	td_new_card(true);
	CU_ASSERT_EQUAL(td_create_isdp(ISDP_TAR), 0x9000);
	CU_ASSERT_EQUAL(td_create_isdp(ISDP_TAR + 1), 0x9000);
	/* an SM-SR certificate for an ISD-P: wrong type */
	CU_ASSERT_EQUAL(send_cert(td.cert_sr2, td.cert_sr2_len, ISDP_TAR, rc, &rc_len), 0x6A80);
	CU_ASSERT_EQUAL(send_cert(td.cert_dp, td.cert_dp_len, ISDP_TAR, rc, &rc_len), 0x9000);
	CU_ASSERT_EQUAL(send_keyagreement(&ke, ECKA_TARGET_ISDP, 0x30, td.dp, rc, rc_len, ISDP_TAR + 1, false), 0x6985);
	CU_ASSERT_EQUAL(send_cert(td.cert_dp, td.cert_dp_len, ISDP_TAR, rc, &rc_len), 0x9000);
	CU_ASSERT_EQUAL(send_keyagreement(&ke, ECKA_TARGET_ISDP, 0x30, td.dp, rc, rc_len, 0, false), 0x9000);
	CU_ASSERT_EQUAL(td_state(ISDP_TAR), ES5_ISDP_PERSONALIZED);
	td.cfg.perso = EUICC_PERSO_PER_SCRIPT;
	td_power_cycle();
	CU_ASSERT_EQUAL(send_cert(td.cert_dp, td.cert_dp_len, ISDP_TAR + 1, rc, &rc_len), 0x9000);
	CU_ASSERT_EQUAL(send_keyagreement(&ke, ECKA_TARGET_ISDP, 0x30, td.dp, rc, rc_len, 0, false), 0x6985);
	CU_ASSERT_EQUAL(send_cert(td.cert_dp, td.cert_dp_len, ISDP_TAR + 1, rc, &rc_len), 0x9000);
	CU_ASSERT_EQUAL(send_keyagreement(&ke, ECKA_TARGET_ISDP, 0x30, td.dp, rc, rc_len, ISDP_TAR + 1, false), 0x9000);
	CU_ASSERT_EQUAL(td_state(ISDP_TAR + 1), ES5_ISDP_PERSONALIZED);
	/* INSTALL perso of an unknown ISD-P, of the enabled one */
	CU_ASSERT_EQUAL(send_cert(td.cert_dp, td.cert_dp_len, 0x99, rc, &rc_len), 0x6A88);
	CU_ASSERT_EQUAL(send_cert(td.cert_dp, td.cert_dp_len, EUICC_FIRST_ISDP_TAR, rc, &rc_len), 0x6985);
	euicc_config_default(&td.cfg);
	td_power_cycle();
}

/* ES8.UpdateConnectivityParameters: SCP03 APDUs to the ISD-P. */
void test_es8_update_connectivity_parameters(void)
{
	struct scp03_session s;
	struct scp03_iu_resp iu;
	uint8_t c[300], w[300], d[256], hc[8] = { 7, 7, 7, 7, 7, 7, 7, 7 }, plain[64], aid[16];
	size_t dl_len;
	char name[64];
	int n;

	euicc_config_default(&td.cfg);
	td_new_card(true);
	dl.count = 0;
	for (unsigned int st = DL_CREATE; st <= DL_KEYAGREEMENT; st++)
		dl_step(st, ISDP_TAR);
	/* unprotected STORE DATA: refused */
	n = es5_update_addressing_build(c, sizeof(c), (const uint8_t *)"\x80\x01\x01", 3);
	CU_ASSERT_EQUAL(td_apdu(0, NULL, ISDP_TAR, c, (size_t)n, NULL, NULL), 0x6982);
	/* INITIALIZE UPDATE / EXTERNAL AUTHENTICATE */
	n = scp03_init_update_cmd(0x30, hc, c, sizeof(c));
	CU_ASSERT_EQUAL(td_apdu(0, NULL, ISDP_TAR, c, (size_t)n, d, &dl_len), 0x9000);
	CU_ASSERT_FATAL(scp03_iu_resp_decode(&iu, d, dl_len) > 0);
	memset(&s, 0, sizeof(s));
	CU_ASSERT_EQUAL_FATAL(scp03_host_auth(&s, dl.ke.keys.key[0], dl.ke.keys.key[1], 16, hc, &iu), 0);
	n = scp03_host_ext_auth_cmd(&s, SCP03_SL_CMAC_CDEC_RMAC, c, sizeof(c));
	CU_ASSERT_FATAL(n > 0);
	/* EXTERNAL AUTHENTICATE and the STORE DATA go in the same script (the session lives in RAM) */
	{
		struct td_item it[2];
		struct rscript_rsp_item r[8];
		size_t nr = 0;
		int wl;

		it[0] = (struct td_item){ RSCRIPT_CMD_CAPDU, c, (size_t)n };
		n = es5_update_addressing_build(d, sizeof(d), (const uint8_t *)"\x80\x01\x01\x81\x02\x12\x34", 7);
		wl = scp03_cmd_wrap(&s, d, (size_t)n, w, sizeof(w));
		CU_ASSERT_FATAL(wl > 0);
		it[1] = (struct td_item){ RSCRIPT_CMD_CAPDU, w, (size_t)wl };
		CU_ASSERT_EQUAL_FATAL(td_ota_items(0, NULL, ISDP_TAR, it, 2, r, 8, &nr), 0);
		CU_ASSERT_FATAL(nr == 3 && r[1].sw == 0x9000 && r[2].sw == 0x9000);
		CU_ASSERT(scp03_rsp_unwrap(&s, r[2].data, r[2].data_len, r[2].sw, plain, sizeof(plain)) >= 0);
	}
	ids_aid_from_tar(aid, ISDP_TAR);
	euicc_es8_param_name(name, sizeof(name), "conn", aid, 16);
	dl_len = sizeof(d);
	CU_ASSERT_EQUAL(euicc_store_param_get(euicc_card_store(td.card), name, d, &dl_len), 0);
	TEST_ASSERT_HEX_EQ(d, dl_len, "8001018102 1234");
	/* a bad C-MAC: 6982 */
	td_power_cycle();
	n = scp03_init_update_cmd(0x30, hc, c, sizeof(c));
	CU_ASSERT_EQUAL(td_apdu(0, NULL, ISDP_TAR, c, (size_t)n, d, &dl_len), 0x9000);
	CU_ASSERT_FATAL(scp03_iu_resp_decode(&iu, d, dl_len) > 0);
	CU_ASSERT_EQUAL_FATAL(scp03_host_auth(&s, dl.ke.keys.key[0], dl.ke.keys.key[1], 16, hc, &iu), 0);
	n = scp03_host_ext_auth_cmd(&s, SCP03_SL_CMAC, c, sizeof(c));
	c[n - 1] ^= 1;
	CU_ASSERT_EQUAL(td_apdu(0, NULL, ISDP_TAR, c, (size_t)n, NULL, NULL), 0x6982);
	/* unknown KVN */
	n = scp03_init_update_cmd(0x31, hc, c, sizeof(c));
	CU_ASSERT_EQUAL(td_apdu(0, NULL, ISDP_TAR, c, (size_t)n, NULL, NULL), 0x6A88);
}
