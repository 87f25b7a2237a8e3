/* sims/euicc: the enabled profile as a working USIM (TS 102 221 file system commands, TS 31.102
 * files and AUTHENTICATE) and the SIM-era RUN GSM ALGORITHM (TS 51.011 §9.2.16).
 *
 *   MF 3F00 ── EF.ICCID 2FE2, EF.DIR 2F00 (one record: the USIM AID)
 *     ├─ ADF.USIM (by AID, or 7FFF) ── EF.IMSI 6F07, EF.AD 6FAD, EF.LOCI 6F7E
 *     └─ DF.GSM 7F20               ── EF.IMSI 6F07, EF.AD 6FAD, EF.LOCI 6F7E (same contents)
 *   ISD-R and ECASD by AID (GET DATA there is isdr.c's).
 *
 * AUTHENTICATE in 3G context verifies AUTN on osmo_auth_gen_vec() (the only card-usable entry point
 * libosmocore 1.7 exports): a first vector with a known SQN reveals AK = (SQN ⊕ AK) ⊕ SQN, which
 * unmasks the received SQN; a second vector for that SQN must reproduce AUTN byte for byte (MAC-A).
 * AUTS needs f1* and f5*, which libosmocore computes but does not export: they are implemented below
 * on lib/crypto's AES (TS 35.206 §4.1) and pinned by the TS 35.208 test set 1 vector. */
#include <errno.h>
#include <string.h>

#include <osmocom/crypt/auth.h>

#include "lib/crypto/sym.h"
#include "lib/ids/ids.h"
#include "lib/saip/saip.h"
#include "sims/euicc/card_internal.h"

#define FID_MF	  0x3F00
#define FID_ICCID 0x2FE2
#define FID_DIR	  0x2F00
#define FID_ADF	  0x7FFF
#define FID_GSM	  0x7F20
#define FID_IMSI  0x6F07
#define FID_AD	  0x6FAD
#define FID_LOCI  0x6F7E

/* ETSI TS 101 220 Annex E / TS 31.102: the USIM RID ‖ PIX when the profile names none. */
static const uint8_t default_usim_aid[] = { 0xA0, 0x00, 0x00, 0x00, 0x87, 0x10, 0x02, 0xFF,
					    0xFF, 0xFF, 0xFF, 0x89, 0x07, 0x09, 0x00, 0x00 };

void euicc_usim_reset(struct euicc_card *c)
{
	struct euicc_isdp p;

	c->run_aid_len = 0;
	if (c->powered && euicc_store_isdp_enabled(c->st, &p) == 0) {
		memcpy(c->run_aid, p.aid, p.aid_len);
		c->run_aid_len = p.aid_len;
	}
}

/* The profile the USIM runs: the one enabled at the last power-on / reset (card_internal.h run_aid). */
static int enabled(struct euicc_card *c, struct euicc_isdp *p)
{
	if (!c->run_aid_len || euicc_store_isdp_get(c->st, c->run_aid, c->run_aid_len, p) < 0 || !p->has_profile)
		return -ENOENT;
	return 0;
}

static void usim_aid(const struct euicc_isdp *p, const uint8_t **aid, size_t *len)
{
	if (p->prof.usim_aid_len) {
		*aid = p->prof.usim_aid;
		*len = p->prof.usim_aid_len;
	} else {
		*aid = default_usim_aid;
		*len = sizeof(default_usim_aid);
	}
}

/* EF.IMSI (TS 31.102 §4.2.2): length ‖ TS 24.008 mobile identity (type 1, odd/even, BCD digits). */
static size_t imsi_encode(uint8_t out[9], const char *imsi)
{
	size_t n = strnlen(imsi, 15);
	uint8_t nib[18];

	memset(out, 0xFF, 9);
	nib[0] = (uint8_t)((n & 1) ? 0x9 : 0x1);
	for (size_t i = 0; i < n; i++)
		nib[i + 1] = (uint8_t)(imsi[i] - '0');
	for (size_t i = n + 1; i < 18; i++)
		nib[i] = 0xF;
	for (size_t i = 0; i < 8; i++)
		out[1 + i] = (uint8_t)(nib[2 * i] | nib[2 * i + 1] << 4);
	out[0] = (uint8_t)((n + 2) / 2);
	return 9;
}

/* Contents of a transparent EF; -ENOENT if it does not exist. */
static int ef_content(struct euicc_card *c, uint16_t fid, uint8_t *buf, size_t *len)
{
	struct euicc_isdp p;

	if (enabled(c, &p) < 0)
		return -ENOENT;
	switch (fid) {
	case FID_ICCID:
		if (ids_iccid_encode(buf, p.prof.iccid, strlen(p.prof.iccid)) < 0)
			return -ENOENT;
		*len = IDS_ICCID_BYTES;
		return 0;
	case FID_IMSI: *len = imsi_encode(buf, p.prof.imsi); return 0;
	case FID_AD:
		/* TS 31.102 §4.2.18: normal operation, no OFM, MNC length 2 (the testbed's IMSIs). */
		memcpy(buf, "\x00\x00\x00\x02", 4);
		*len = 4;
		return 0;
	case FID_LOCI:
		memcpy(buf, p.loci, EUICC_LOCI_LEN);
		*len = EUICC_LOCI_LEN;
		return 0;
	}
	return -ENOENT;
}

static bool is_ef(uint16_t fid, enum euicc_sel df)
{
	if (df == EUICC_SEL_MF)
		return fid == FID_ICCID || fid == FID_DIR;
	if (df == EUICC_SEL_ADF_USIM || df == EUICC_SEL_DF_GSM)
		return fid == FID_IMSI || fid == FID_AD || fid == FID_LOCI;
	return false;
}

/* FCP template (TS 102 221 §11.1.1.3). */
static void fcp(struct euicc_card *c, struct euicc_rsp *r)
{
	uint8_t *b = r->data;
	size_t n = 2;
	struct euicc_isdp p;

	if (c->ef) {
		uint8_t buf[32];
		size_t len = 0;
		if (c->ef == FID_DIR) {
			memcpy(b + n, "\x82\x05\x42\x21\x00\x20\x01", 7); /* linear fixed, 1 record of 32 */
			n += 7;
			len = 32;
		} else {
			ef_content(c, c->ef, buf, &len);
			memcpy(b + n, "\x82\x02\x41\x21", 4); /* working EF, transparent */
			n += 4;
		}
		b[n++] = 0x83, b[n++] = 2, b[n++] = (uint8_t)(c->ef >> 8), b[n++] = (uint8_t)c->ef;
		b[n++] = 0x8A, b[n++] = 1, b[n++] = 0x05; /* operational, activated */
		b[n++] = 0x80, b[n++] = 2, b[n++] = (uint8_t)(len >> 8), b[n++] = (uint8_t)len;
	} else {
		uint16_t fid = c->sel == EUICC_SEL_DF_GSM ? FID_GSM : c->sel == EUICC_SEL_ADF_USIM ? FID_ADF : FID_MF;
		memcpy(b + n, "\x82\x02\x78\x21", 4); /* DF */
		n += 4;
		b[n++] = 0x83, b[n++] = 2, b[n++] = (uint8_t)(fid >> 8), b[n++] = (uint8_t)fid;
		if (c->sel == EUICC_SEL_ADF_USIM && enabled(c, &p) == 0) {
			const uint8_t *aid;
			size_t al;
			usim_aid(&p, &aid, &al);
			b[n++] = 0x84, b[n++] = (uint8_t)al;
			memcpy(b + n, aid, al);
			n += al;
		}
		b[n++] = 0x8A, b[n++] = 1, b[n++] = 0x05;
	}
	b[0] = 0x62;
	b[1] = (uint8_t)(n - 2);
	r->len = n;
}

static int select_fid(struct euicc_card *c, uint16_t fid)
{
	struct euicc_isdp p;

	if (fid == FID_MF) {
		c->sel = EUICC_SEL_MF;
		c->ef = 0;
		return 0;
	}
	if (fid == FID_ADF || fid == FID_GSM) {
		if (enabled(c, &p) < 0)
			return -ENOENT;
		c->sel = fid == FID_ADF ? EUICC_SEL_ADF_USIM : EUICC_SEL_DF_GSM;
		c->usim_active = true;
		c->ef = 0;
		return 0;
	}
	if (is_ef(fid, c->sel)) {
		if (fid == FID_DIR && enabled(c, &p) < 0)
			return -ENOENT;
		c->ef = fid;
		return 0;
	}
	return -ENOENT;
}

static int select_aid(struct euicc_card *c, const uint8_t *aid, size_t len)
{
	uint8_t isdr[IDS_AID_LEN], ecasd[IDS_AID_LEN];
	struct euicc_isdp p;
	const uint8_t *ua;
	size_t ul;

	ids_aid_from_tar(isdr, IDS_TAR_ISD_R);
	ids_aid_from_tar(ecasd, IDS_TAR_ECASD);
	/* TS 102 221 §8.4.1: a right-truncated AID selects the application it is a prefix of. */
	if (len >= 5 && len <= IDS_AID_LEN && memcmp(aid, isdr, len) == 0 && len == IDS_AID_LEN) {
		c->sel = EUICC_SEL_ISDR;
		c->ef = 0;
		return 0;
	}
	if (len == IDS_AID_LEN && memcmp(aid, ecasd, len) == 0) {
		c->sel = EUICC_SEL_ECASD;
		c->ef = 0;
		return 0;
	}
	if (enabled(c, &p) < 0)
		return -ENOENT;
	usim_aid(&p, &ua, &ul);
	if (len >= 5 && len <= ul && memcmp(aid, ua, len) == 0) {
		c->sel = EUICC_SEL_ADF_USIM;
		c->usim_active = true;
		c->ef = 0;
		return 0;
	}
	return -ENOENT;
}

static void cmd_select(struct euicc_card *c, uint8_t p1, uint8_t p2, const uint8_t *data, size_t lc,
		       struct euicc_rsp *r)
{
	enum euicc_sel old_sel = c->sel;
	uint16_t old_ef = c->ef;
	int rc = -ENOENT;

	if ((p2 & ~0x0C) != 0x00 && p2 != 0x04) {
		euicc_rsp_sw(r, 0x6A86); /* incorrect P1-P2 */
		return;
	}
	switch (p1) {
	case 0x00: /* by FID */
		if (lc != 2) {
			euicc_rsp_sw(r, 0x6700);
			return;
		}
		rc = select_fid(c, (uint16_t)(data[0] << 8 | data[1]));
		break;
	case 0x04: /* by DF name */ rc = lc ? select_aid(c, data, lc) : -ENOENT; break;
	case 0x08: /* path from MF */
		if (!lc || (lc & 1)) {
			euicc_rsp_sw(r, 0x6700);
			return;
		}
		rc = select_fid(c, FID_MF);
		for (size_t i = 0; rc == 0 && i < lc; i += 2)
			rc = select_fid(c, (uint16_t)(data[i] << 8 | data[i + 1]));
		break;
	default: euicc_rsp_sw(r, 0x6A86); return;
	}
	if (rc < 0) {
		c->sel = old_sel;
		c->ef = old_ef;
		euicc_rsp_sw(r, 0x6A82); /* file or application not found */
		return;
	}
	euicc_rsp_sw(r, 0x9000);
	if ((p2 & 0x0C) == 0x04 && c->sel != EUICC_SEL_ISDR && c->sel != EUICC_SEL_ECASD)
		fcp(c, r);
}

static void cmd_read_binary(struct euicc_card *c, uint8_t p1, uint8_t p2, unsigned int le, struct euicc_rsp *r)
{
	uint8_t buf[32];
	size_t len, off = (size_t)(p1 << 8 | p2);

	if (p1 & 0x80) { /* short file identifier: not offered */
		euicc_rsp_sw(r, 0x6A81);
		return;
	}
	if (!c->ef || c->ef == FID_DIR) {
		euicc_rsp_sw(r, c->ef ? 0x6981 : 0x6986);
		return;
	}
	if (ef_content(c, c->ef, buf, &len) < 0) {
		euicc_rsp_sw(r, 0x6A82);
		return;
	}
	if (off >= len) {
		euicc_rsp_sw(r, 0x6B00);
		return;
	}
	len -= off;
	if (le && le < len)
		len = le;
	memcpy(r->data, buf + off, len);
	r->len = len;
	euicc_rsp_sw(r, 0x9000);
}

static void cmd_update_binary(struct euicc_card *c, uint8_t p1, uint8_t p2, const uint8_t *data, size_t lc,
			      struct euicc_rsp *r)
{
	struct euicc_isdp p;
	size_t off = (size_t)(p1 << 8 | p2);

	if (p1 & 0x80) {
		euicc_rsp_sw(r, 0x6A81);
		return;
	}
	if (!c->ef) {
		euicc_rsp_sw(r, 0x6986);
		return;
	}
	if (c->ef != FID_LOCI) {
		euicc_rsp_sw(r, 0x6982); /* ADM only */
		return;
	}
	if (off + lc > EUICC_LOCI_LEN) {
		euicc_rsp_sw(r, 0x6B00);
		return;
	}
	if (enabled(c, &p) < 0) {
		euicc_rsp_sw(r, 0x6A82);
		return;
	}
	memcpy(p.loci + off, data, lc);
	if (euicc_store_isdp_put(c->st, &p) < 0) {
		euicc_rsp_sw(r, 0x6581); /* memory problem */
		return;
	}
	euicc_rsp_sw(r, 0x9000);
}

static void cmd_read_record(struct euicc_card *c, uint8_t p1, uint8_t p2, struct euicc_rsp *r)
{
	struct euicc_isdp p;
	const uint8_t *aid;
	size_t al;

	if (c->ef != FID_DIR) {
		euicc_rsp_sw(r, c->ef ? 0x6981 : 0x6986);
		return;
	}
	if (p2 != 0x04 || p1 != 1) {
		euicc_rsp_sw(r, p2 != 0x04 ? 0x6A86 : 0x6A83);
		return;
	}
	if (enabled(c, &p) < 0) {
		euicc_rsp_sw(r, 0x6A82);
		return;
	}
	usim_aid(&p, &aid, &al);
	memset(r->data, 0xFF, 32);
	/* TS 102 221 §13.1: 61 { 4F AID, 50 label } */
	r->data[0] = 0x61;
	r->data[1] = (uint8_t)(2 + al + 6);
	r->data[2] = 0x4F;
	r->data[3] = (uint8_t)al;
	memcpy(r->data + 4, aid, al);
	memcpy(r->data + 4 + al, "\x50\x04USIM", 6);
	r->len = 32;
	euicc_rsp_sw(r, 0x9000);
}

int euicc_milenage_f1star_f5star(const uint8_t k[16], const uint8_t opc[16], const uint8_t rand[16],
				 const uint8_t sqn[6], const uint8_t amf[2], uint8_t mac_s[8], uint8_t ak_s[6])
{
	static const uint8_t iv[16];
	uint8_t temp[16], in[16], x[16], out[16];
	int rc;

	/* TEMP = E_K(RAND ⊕ OPc) */
	for (int i = 0; i < 16; i++)
		in[i] = rand[i] ^ opc[i];
	rc = crypto_aes_cbc(true, k, 16, iv, in, 16, temp);
	if (rc < 0)
		return rc;
	/* OUT1 = E_K(TEMP ⊕ rot(IN1 ⊕ OPc, r1 = 64) ⊕ c1 = 0) ⊕ OPc; f1* = OUT1[64..127] */
	memcpy(in, sqn, 6);
	memcpy(in + 6, amf, 2);
	memcpy(in + 8, sqn, 6);
	memcpy(in + 14, amf, 2);
	for (int i = 0; i < 16; i++)
		x[i] = temp[i] ^ (in[(i + 8) % 16] ^ opc[(i + 8) % 16]);
	rc = crypto_aes_cbc(true, k, 16, iv, x, 16, out);
	if (rc < 0)
		return rc;
	for (int i = 0; i < 8; i++)
		mac_s[i] = out[8 + i] ^ opc[8 + i];
	/* OUT5 = E_K(rot(TEMP ⊕ OPc, r5 = 96) ⊕ c5) ⊕ OPc, c5 = 0...08; f5* = OUT5[0..47] */
	for (int i = 0; i < 16; i++)
		x[i] = temp[(i + 12) % 16] ^ opc[(i + 12) % 16];
	x[15] ^= 0x08;
	rc = crypto_aes_cbc(true, k, 16, iv, x, 16, out);
	if (rc < 0)
		return rc;
	for (int i = 0; i < 6; i++)
		ak_s[i] = out[i] ^ opc[i];
	return 0;
}

static void put48(uint8_t b[6], uint64_t v)
{
	for (int i = 5; i >= 0; i--, v >>= 8)
		b[i] = (uint8_t)v;
}

static uint64_t get48(const uint8_t b[6])
{
	uint64_t v = 0;
	for (int i = 0; i < 6; i++)
		v = v << 8 | b[i];
	return v;
}

/* A MILENAGE vector for exactly this SQN (libosmocore 1.7 uses sqn + 1 with ind_bitlen 0). */
static int milenage_vec(const struct euicc_profile *pr, const uint8_t amf[2], uint64_t sqn, const uint8_t rand[16],
			struct osmo_auth_vector *v)
{
	struct osmo_sub_auth_data aud = { .type = OSMO_AUTH_TYPE_UMTS, .algo = OSMO_AUTH_ALG_MILENAGE };

	memcpy(aud.u.umts.opc, pr->opc, 16);
	memcpy(aud.u.umts.k, pr->k, 16);
	memcpy(aud.u.umts.amf, amf, 2);
	aud.u.umts.sqn = (sqn - 1) & 0xFFFFFFFFFFFFULL;
	aud.u.umts.ind_bitlen = 0;
	if (osmo_auth_gen_vec(v, &aud, rand) < 0)
		return -EIO;
	if ((aud.u.umts.sqn & 0xFFFFFFFFFFFFULL) != sqn)
		return -EIO; /* libosmocore changed its SQN rule: refuse rather than answer wrongly */
	return 0;
}

#define SQN_IND_BITS 5 /* TS 33.102 Annex C.3.2 */

static void auth_3g(struct euicc_card *c, struct euicc_isdp *p, const uint8_t *data, size_t lc, struct euicc_rsp *r)
{
	const uint8_t *rand, *autn;
	struct osmo_auth_vector v1, v2;
	uint8_t ak[6], sqn_b[6], mac_s[8], ak_s[6];
	uint64_t sqn, sqn_ms = 0;
	unsigned int ind;

	/* TS 31.102 §7.1.2.1: 10 RAND 10 AUTN */
	if (lc != 34 || data[0] != 16 || data[17] != 16) {
		euicc_rsp_sw(r, 0x6700);
		return;
	}
	if (p->prof.algo != SAIP_ALGO_MILENAGE) {
		euicc_rsp_sw(r, 0x6A81); /* function not supported */
		return;
	}
	rand = data + 1;
	autn = data + 18;
	if (milenage_vec(&p->prof, autn + 6, 0, rand, &v1) < 0) {
		euicc_rsp_sw(r, 0x6F00);
		return;
	}
	for (int i = 0; i < 6; i++)
		ak[i] = v1.autn[i]; /* SQN 0: the first 6 bytes are AK itself */
	for (int i = 0; i < 6; i++)
		sqn_b[i] = autn[i] ^ ak[i];
	sqn = get48(sqn_b);
	if (milenage_vec(&p->prof, autn + 6, sqn, rand, &v2) < 0) {
		euicc_rsp_sw(r, 0x6F00);
		return;
	}
	if (!crypto_mem_equal(v2.autn, autn, 16)) {
		euicc_rsp_sw(r, 0x9862); /* TS 31.102 §7.1.2.1: authentication error, incorrect MAC */
		return;
	}
	/* TS 33.102 Annex C.2.2: SEQ must exceed the one accepted last in the same IND slot. */
	ind = (unsigned int)(sqn & ((1u << SQN_IND_BITS) - 1));
	for (unsigned int i = 0; i < EUICC_SQN_SLOTS; i++)
		if (p->sqn[i] > sqn_ms)
			sqn_ms = p->sqn[i];
	if ((sqn >> SQN_IND_BITS) <= (p->sqn[ind] >> SQN_IND_BITS) && (p->sqn[ind] || !sqn)) {
		/* Synchronisation failure: DC 0E AUTS = (SQN_MS ⊕ AK*) ‖ MAC-S with AMF 0000 (§6.3.3). */
		static const uint8_t amf0[2];
		uint8_t ms[6];
		put48(ms, sqn_ms);
		if (euicc_milenage_f1star_f5star(p->prof.k, p->prof.opc, rand, ms, amf0, mac_s, ak_s) < 0) {
			euicc_rsp_sw(r, 0x6F00);
			return;
		}
		r->data[0] = 0xDC;
		r->data[1] = 14;
		for (int i = 0; i < 6; i++)
			r->data[2 + i] = ms[i] ^ ak_s[i];
		memcpy(r->data + 8, mac_s, 8);
		r->len = 16;
		euicc_rsp_sw(r, 0x9000);
		return;
	}
	p->sqn[ind] = sqn;
	if (euicc_store_isdp_put(c->st, p) < 0) {
		euicc_rsp_sw(r, 0x6581);
		return;
	}
	/* DB L RES L CK L IK L Kc */
	size_t n = 0;
	r->data[n++] = 0xDB;
	r->data[n++] = v2.res_len;
	memcpy(r->data + n, v2.res, v2.res_len);
	n += v2.res_len;
	r->data[n++] = 16;
	memcpy(r->data + n, v2.ck, 16);
	n += 16;
	r->data[n++] = 16;
	memcpy(r->data + n, v2.ik, 16);
	n += 16;
	r->data[n++] = 8;
	memcpy(r->data + n, v2.kc, 8);
	n += 8;
	r->len = n;
	euicc_rsp_sw(r, 0x9000);
}

/* SRES and Kc of the enabled profile (COMP128v1 Ki, or MILENAGE with the c2/c3 conversions). */
static int gsm_vec(const struct euicc_profile *pr, const uint8_t rand[16], struct osmo_auth_vector *v)
{
	struct osmo_sub_auth_data aud = { 0 };
	static const uint8_t amf[2];

	if (pr->algo == SAIP_ALGO_MILENAGE)
		return milenage_vec(pr, amf, 1, rand, v);
	if (pr->algo != SAIP_ALGO_COMP128V1)
		return -ENOTSUP;
	aud.type = OSMO_AUTH_TYPE_GSM;
	aud.algo = OSMO_AUTH_ALG_COMP128v1;
	memcpy(aud.u.gsm.ki, pr->k, 16);
	return osmo_auth_gen_vec(v, &aud, rand) < 0 ? -EIO : 0;
}

static void cmd_authenticate(struct euicc_card *c, uint8_t cla, uint8_t p1, uint8_t p2, const uint8_t *data, size_t lc,
			     struct euicc_rsp *r)
{
	struct euicc_isdp p;
	struct osmo_auth_vector v;

	if (!c->usim_active || enabled(c, &p) < 0) {
		euicc_rsp_sw(r, 0x6985);
		return;
	}
	if (cla == 0xA0) { /* RUN GSM ALGORITHM: RAND(16) -> SRES(4) Kc(8) */
		if (lc != 16) {
			euicc_rsp_sw(r, 0x6700);
			return;
		}
		if (gsm_vec(&p.prof, data, &v) < 0) {
			euicc_rsp_sw(r, 0x6F00);
			return;
		}
		memcpy(r->data, v.sres, 4);
		memcpy(r->data + 4, v.kc, 8);
		r->len = 12;
		euicc_rsp_sw(r, 0x9000);
		return;
	}
	if (p1 != 0x00 || (p2 != 0x80 && p2 != 0x81)) {
		euicc_rsp_sw(r, 0x6A86);
		return;
	}
	if (p2 == 0x81) {
		auth_3g(c, &p, data, lc, r);
		return;
	}
	/* GSM context (TS 31.102 §7.1.2.1): 10 RAND -> 04 SRES 08 Kc */
	if (lc != 17 || data[0] != 16) {
		euicc_rsp_sw(r, 0x6700);
		return;
	}
	if (gsm_vec(&p.prof, data + 1, &v) < 0) {
		euicc_rsp_sw(r, 0x6F00);
		return;
	}
	r->data[0] = 4;
	memcpy(r->data + 1, v.sres, 4);
	r->data[5] = 8;
	memcpy(r->data + 6, v.kc, 8);
	r->len = 14;
	euicc_rsp_sw(r, 0x9000);
}

static void cmd_status(struct euicc_card *c, uint8_t p1, uint8_t p2, struct euicc_rsp *r)
{
	struct euicc_isdp p;
	const uint8_t *aid;
	size_t al;

	euicc_rsp_sw(r, 0x9000);
	if (p2 == 0x0C)
		return;
	if (p2 == 0x01 && c->sel == EUICC_SEL_ADF_USIM && enabled(c, &p) == 0) {
		usim_aid(&p, &aid, &al);
		r->data[0] = 0x84;
		r->data[1] = (uint8_t)al;
		memcpy(r->data + 2, aid, al);
		r->len = 2 + al;
		return;
	}
	if (p2 != 0x00 && p2 != 0x01) {
		euicc_rsp_sw(r, 0x6A86);
		return;
	}
	uint16_t ef = c->ef;
	c->ef = 0;
	fcp(c, r);
	c->ef = ef;
}

bool euicc_usim_apdu(struct euicc_card *c, uint8_t cla, uint8_t ins, uint8_t p1, uint8_t p2, const uint8_t *data,
		     size_t lc, unsigned int le, struct euicc_rsp *r)
{
	switch (ins) {
	case 0xA4: cmd_select(c, p1, p2, data, lc, r); return true;
	case 0xB0: cmd_read_binary(c, p1, p2, le, r); return true;
	case 0xD6: cmd_update_binary(c, p1, p2, data, lc, r); return true;
	case 0xB2: cmd_read_record(c, p1, p2, r); return true;
	case 0x88: cmd_authenticate(c, cla, p1, p2, data, lc, r); return true;
	case 0xF2:
		/* STATUS has P1 00/01/02 (TS 102 221 §11.1.2); GP GET STATUS has P1 80/40/20/10. */
		if ((cla & 0x80) && p1 <= 0x02) {
			cmd_status(c, p1, p2, r);
			return true;
		}
		return false;
	}
	return false;
}
