/* SAIP profile packages (see saip.h). Tag numbers follow the AUTOMATIC TAGS of PE-Def: inside a
 * SEQUENCE without explicit tags, component n gets the context tag [n] (80+n primitive, A0+n
 * constructed); a CHOICE component is tagged explicitly, so its chosen alternative keeps its own tag
 * inside (akaParameter: A1 { A1 algoParameter { ... } }). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <osmocom/core/utils.h>
#include <osmocom/gsm/gsm48.h>

#include "lib/saip/saip.h"
#include "lib/tlv/bertlv.h"

const struct value_string saip_pe_type_names[] = { { SAIP_PE_HEADER, "header" },
						   { SAIP_PE_GENERIC_FILE_MANAGEMENT, "genericFileManagement" },
						   { SAIP_PE_PIN_CODES, "pinCodes" },
						   { SAIP_PE_PUK_CODES, "pukCodes" },
						   { SAIP_PE_AKA_PARAMETER, "akaParameter" },
						   { SAIP_PE_CDMA_PARAMETER, "cdmaParameter" },
						   { SAIP_PE_SECURITY_DOMAIN, "securityDomain" },
						   { SAIP_PE_RFM, "rfm" },
						   { SAIP_PE_APPLICATION, "application" },
						   { SAIP_PE_NON_STANDARD, "nonStandard" },
						   { SAIP_PE_END, "end" },
						   { SAIP_PE_MF, "mf" },
						   { SAIP_PE_CD, "cd" },
						   { SAIP_PE_TELECOM, "telecom" },
						   { SAIP_PE_USIM, "usim" },
						   { SAIP_PE_OPT_USIM, "opt-usim" },
						   { SAIP_PE_ISIM, "isim" },
						   { SAIP_PE_OPT_ISIM, "opt-isim" },
						   { SAIP_PE_PHONEBOOK, "phonebook" },
						   { SAIP_PE_GSM_ACCESS, "gsm-access" },
						   { SAIP_PE_CSIM, "csim" },
						   { SAIP_PE_OPT_CSIM, "opt-csim" },
						   { SAIP_PE_EAP, "eap" },
						   { 0, NULL } };

const struct value_string saip_algo_names[] = {
	{ SAIP_ALGO_NONE, "none" },	      { SAIP_ALGO_MILENAGE, "milenage" },
	{ SAIP_ALGO_TUAK, "tuak" },	      { SAIP_ALGO_USIM_TEST, "usim-test-algorithm" },
	{ SAIP_ALGO_COMP128V1, "comp128v1" }, { 0, NULL }
};

const struct value_string saip_version_names[] = { { SAIP_VERSION_2_0, "2.0" },
						   { SAIP_VERSION_2_3_1, "2.3.1" },
						   { 0, NULL } };

const struct value_string saip_pe_status_names[] = { { SAIP_ST_OK, "ok" },
						     { SAIP_ST_PE_NOT_SUPPORTED, "pe-not-supported" },
						     { SAIP_ST_MEMORY_FAILURE, "memory-failure" },
						     { SAIP_ST_BAD_VALUES, "bad-values" },
						     { SAIP_ST_NOT_ENOUGH_MEMORY, "not-enough-memory" },
						     { SAIP_ST_INVALID_REQUEST_FORMAT, "invalid-request-format" },
						     { SAIP_ST_INVALID_PARAMETER, "invalid-parameter" },
						     { SAIP_ST_RUNTIME_NOT_SUPPORTED, "runtime-not-supported" },
						     { SAIP_ST_LIB_NOT_SUPPORTED, "lib-not-supported" },
						     { SAIP_ST_TEMPLATE_NOT_SUPPORTED, "template-not-supported" },
						     { SAIP_ST_FEATURE_NOT_SUPPORTED, "feature-not-supported" },
						     { SAIP_ST_PIN_CODE_MISSING, "pin-code-missing" },
						     { SAIP_ST_UNSUPPORTED_PROFILE_VERSION, "unsupported-profile-"
											    "version" },
						     { 0, NULL } };

/* Template OIDs, DER contents: 2.23.143.1.2.1 (MF) and 2.23.143.1.2.4 (USIM), as in the SIMalliance
 * sample package's eUICC-Mandatory-GFSTEList. */
static const uint8_t oid_mf[] = { 0x67, 0x81, 0x0F, 0x01, 0x02, 0x01 };
static const uint8_t oid_usim[] = { 0x67, 0x81, 0x0F, 0x01, 0x02, 0x04 };
/* ADF.USIM: the USIM AID (TS 101 220 Annex E, RID A000000087 app 1002) and, as in the SIMalliance
 * sample, the temporary file ID 7FF1 and the PIN status template (PS_DO: key references 01, 81, 0A). */
static const uint8_t usim_aid[] = { 0xA0, 0x00, 0x00, 0x00, 0x87, 0x10, 0x02, 0xFF,
				    0x33, 0xFF, 0x01, 0x89, 0x00, 0x00, 0x01, 0x00 };
static const uint8_t usim_temp_fid[] = { 0x7F, 0xF1 };
static const uint8_t usim_ps_do[] = { 0x01, 0x81, 0x0A };
/* The MNO-SD instance (GP ISD package/class/instance AIDs, privileges and C9 as in the sample). */
static const uint8_t sd_pkg_aid[] = { 0xA0, 0x00, 0x00, 0x01, 0x51, 0x53, 0x50 };
static const uint8_t sd_class_aid[] = { 0xA0, 0x00, 0x00, 0x01, 0x51, 0x53, 0x50, 0x41 };
static const uint8_t sd_instance_aid[] = { 0xA0, 0x00, 0x00, 0x01, 0x51, 0x00, 0x00, 0x00 };
static const uint8_t sd_privileges[] = { 0x82, 0xFC, 0x80 };
static const uint8_t sd_c9[] = { 0x81, 0x02, 0x80, 0x00 };

#define CTX(n)	(0x80 | (n)) /* [n] primitive */
#define CTXC(n) (0xA0 | (n)) /* [n] constructed, n < 31 */

/* --- decoding --------------------------------------------------------------------------------- */

__attribute__((format(printf, 4, 5))) static void finding(struct saip_findings *f, size_t offset, uint32_t tag,
							  const char *fmt, ...)
{
	va_list ap;

	if (!f)
		return;
	if (f->n >= SAIP_MAX_FINDINGS) {
		f->dropped++;
		return;
	}
	f->f[f->n].offset = offset;
	f->f[f->n].tag = tag;
	va_start(ap, fmt);
	vsnprintf(f->f[f->n].text, sizeof(f->f[f->n].text), fmt, ap);
	va_end(ap);
	f->n++;
}

/* A DER INTEGER that must be non-negative and fit a long of 4 bytes. */
static int der_uint(const struct bertlv *t, long *out)
{
	if (t->len < 1 || t->len > 4 || (t->value[0] & 0x80))
		return -EBADMSG;
	*out = 0;
	for (size_t i = 0; i < t->len; i++)
		*out = *out << 8 | t->value[i];
	return 0;
}

static int find_uint(const uint8_t *buf, size_t len, uint32_t tag, long *out)
{
	struct bertlv t;

	if (bertlv_find(buf, len, tag, &t) < 0)
		return -ENOENT;
	return der_uint(&t, out);
}

static void set_bytes(struct saip_bytes *b, const struct bertlv *t)
{
	b->buf = t->value;
	b->len = t->len;
}

/* The content of a File (SEQUENCE OF CHOICE): its fillFileContent [3], if any. */
static int file_content(const struct bertlv *file, struct saip_bytes *out)
{
	struct bertlv t;
	int rc = bertlv_find(file->value, file->len, CTX(3), &t);

	if (rc == 0)
		set_bytes(out, &t);
	return rc == -ENOENT ? 0 : rc;
}

/* Digits of a BCD string, F nibbles dropped; nibble_swap for TS 102 221 files. */
static int bcd_digits(char *out, size_t out_len, const uint8_t *b, size_t len, bool nibble_swap)
{
	size_t n = 0;

	for (size_t i = 0; i < 2 * len; i++) {
		uint8_t byte = b[i / 2];
		uint8_t d = (i % 2 == 0) != nibble_swap ? byte >> 4 : byte & 0x0F;

		if (d == 0xF)
			continue;
		if (d > 9 || n + 1 >= out_len)
			return -EBADMSG;
		out[n++] = (char)('0' + d);
	}
	out[n] = '\0';
	return 0;
}

static int decode_header(struct saip_profile *p, const struct bertlv *pe)
{
	struct bertlv t;
	long v;

	if (find_uint(pe->value, pe->len, CTX(0), &v) < 0)
		return -EBADMSG;
	p->major = (int)v;
	if (find_uint(pe->value, pe->len, CTX(1), &v) < 0)
		return -EBADMSG;
	p->minor = (int)v;
	if (bertlv_find(pe->value, pe->len, CTX(2), &t) == 0)
		set_bytes(&p->profile_type, &t);
	/* iccid OCTET STRING (SIZE (10)) */
	if (bertlv_find(pe->value, pe->len, CTX(3), &t) < 0 || t.len != 10)
		return -EBADMSG;
	set_bytes(&p->header_iccid, &t);
	if (bcd_digits(p->iccid, sizeof(p->iccid), t.value, t.len, false) < 0)
		return -EBADMSG;
	if (bertlv_find(pe->value, pe->len, CTX(4), &t) == 0)
		set_bytes(&p->pol1, &t);
	return 0;
}

static int decode_pins(struct saip_pin *pins, unsigned int *n, unsigned int max, const uint8_t *buf, size_t len,
		       bool is_pin)
{
	struct bertlv_iter it;
	struct bertlv cfg;
	int rc;

	bertlv_iter_init(&it, buf, len);
	while ((rc = bertlv_iter_next(&it, &cfg)) > 0) {
		struct saip_pin *pin;
		struct bertlv t;
		long v;

		if (cfg.tag != 0x30 || *n >= max)
			return -EBADMSG;
		pin = &pins[(*n)++];
		if (find_uint(cfg.value, cfg.len, CTX(0), &v) < 0 || v > 0xFF)
			return -EBADMSG;
		pin->key_ref = (uint8_t)v;
		if (bertlv_find(cfg.value, cfg.len, CTX(1), &t) < 0 || t.len != 8)
			return -EBADMSG;
		set_bytes(&pin->value, &t);
		pin->unblock_ref = -1;
		if (is_pin && find_uint(cfg.value, cfg.len, CTX(2), &v) == 0)
			pin->unblock_ref = (int)v;
	}
	return rc < 0 ? -EBADMSG : 0;
}

static int decode_aka(struct saip_profile *p, const struct bertlv *pe, struct saip_findings *f)
{
	struct bertlv cfg, alg, t;
	long v;

	if (bertlv_find(pe->value, pe->len, CTXC(1), &cfg) < 0)
		return -EBADMSG;
	if (bertlv_find(cfg.value, cfg.len, CTXC(1), &alg) < 0) {
		finding(f, 0, pe->tag, "akaParameter uses a mappingParameter, not an algoParameter");
		return 0;
	}
	if (find_uint(alg.value, alg.len, CTX(0), &v) < 0 || bertlv_find(alg.value, alg.len, CTX(2), &t) < 0)
		return -EBADMSG;
	p->algo = (enum saip_algo)v;
	set_bytes(&p->key, &t);
	if (bertlv_find(alg.value, alg.len, CTX(3), &t) < 0) /* opc is mandatory in the ASN.1 */
		return -EBADMSG;
	set_bytes(&p->opc, &t);
	if (p->algo != SAIP_ALGO_MILENAGE && p->algo != SAIP_ALGO_COMP128V1)
		finding(f, 0, pe->tag, "algorithm %s is not supported by the testbed",
			get_value_string(saip_algo_names, p->algo));
	else if (p->key.len != 16 || (p->algo == SAIP_ALGO_MILENAGE && p->opc.len != 16))
		return -EBADMSG;
	return 0;
}

static int decode_pe(struct saip_profile *p, const struct bertlv *pe, size_t offset, struct saip_findings *f)
{
	unsigned int type = pe->tag & 0x1F;
	struct bertlv t;

	switch (type) {
	case SAIP_PE_HEADER: return decode_header(p, pe);
	case SAIP_PE_MF:
		if (bertlv_find(pe->value, pe->len, CTXC(4), &t) < 0) /* ef-iccid [4] is mandatory */
			return -EBADMSG;
		return file_content(&t, &p->ef_iccid);
	case SAIP_PE_USIM: {
		struct bertlv adf, fcp;
		struct osmo_mobile_identity mi;

		if (bertlv_find(pe->value, pe->len, CTXC(2), &adf) < 0 ||
		    bertlv_find(pe->value, pe->len, CTXC(3), &t) < 0)
			return -EBADMSG;
		/* ADF.USIM: fileDescriptor [1] Fcp { dfName [4] } */
		if (bertlv_find(adf.value, adf.len, CTXC(1), &fcp) == 0 &&
		    bertlv_find(fcp.value, fcp.len, CTX(4), &adf) == 0)
			set_bytes(&p->usim_aid, &adf);
		if (file_content(&t, &p->ef_imsi) < 0)
			return -EBADMSG;
		if (p->ef_imsi.len) {
			/* TS 31.102 §4.2.2: length byte, then the IMSI as a mobile identity (TS 24.008 §10.5.1.4). */
			if (p->ef_imsi.len < 2 || p->ef_imsi.buf[0] > p->ef_imsi.len - 1 ||
			    osmo_mobile_identity_decode(&mi, p->ef_imsi.buf + 1, p->ef_imsi.buf[0], false) < 0 ||
			    mi.type != GSM_MI_TYPE_IMSI)
				return -EBADMSG;
			osmo_strlcpy(p->imsi, mi.imsi, sizeof(p->imsi));
		}
		return 0;
	}
	case SAIP_PE_PIN_CODES:
		if (bertlv_find(pe->value, pe->len, CTXC(1), &t) < 0)
			return -EBADMSG;
		/* CHOICE { pinconfig [0], filePath [1] }: a filePath shares another directory's PINs */
		if (bertlv_find(t.value, t.len, CTXC(0), &t) < 0)
			return 0;
		return decode_pins(p->pins, &p->n_pins, SAIP_MAX_PINS, t.value, t.len, true);
	case SAIP_PE_PUK_CODES:
		if (bertlv_find(pe->value, pe->len, CTXC(1), &t) < 0)
			return -EBADMSG;
		return decode_pins(p->puks, &p->n_puks, SAIP_MAX_PUKS, t.value, t.len, false);
	case SAIP_PE_AKA_PARAMETER: return decode_aka(p, pe, f);
	case SAIP_PE_SECURITY_DOMAIN:
		/* instance [1] ApplicationInstance: the third [APPLICATION 15] is the instance AID */
		if (bertlv_find(pe->value, pe->len, CTXC(1), &t) == 0 && !p->mno_sd_aid.buf) {
			struct bertlv_iter it;
			struct bertlv aid;
			int k = 0;

			bertlv_iter_init(&it, t.value, t.len);
			while (bertlv_iter_next(&it, &aid) > 0)
				if (aid.tag == 0x4F && ++k == 3)
					set_bytes(&p->mno_sd_aid, &aid);
		}
		return 0;
	case SAIP_PE_END: p->has_end = true; return 0;
	default:
		if (!get_value_string_or_null(saip_pe_type_names, type))
			finding(f, offset, pe->tag, "unknown PE [%u] skipped", type);
		return 0;
	}
}

int saip_decode(struct saip_profile *out, const uint8_t *buf, size_t len, struct saip_findings *findings)
{
	struct bertlv_iter it;
	struct bertlv pe;
	int rc;

	memset(out, 0, sizeof(*out));
	out->major = out->minor = -1;
	if (findings)
		memset(findings, 0, sizeof(*findings));
	bertlv_iter_init(&it, buf, len);
	for (;;) {
		size_t offset = it.pos;

		rc = bertlv_iter_next(&it, &pe);
		if (rc == 0)
			break;
		if (rc < 0)
			return -EBADMSG;
		/* Every PE is a context-specific constructed [n]; n >= 31 (multi-byte tags) are later PE
		 * types this subset does not know. */
		if ((pe.tag >> (8 * (pe.tag_len - 1)) & 0xE0) != 0xA0) {
			finding(findings, offset, pe.tag, "not a ProfileElement, skipped");
			continue;
		}
		if (out->n_pes == 0 && pe.tag != CTXC(SAIP_PE_HEADER))
			return -EBADMSG; /* PE-Def: the header comes first */
		if (out->has_end) {
			finding(findings, offset, pe.tag, "PE after the end PE, skipped");
			continue;
		}
		out->n_pes++;
		if (pe.tag_len > 1) {
			finding(findings, offset, pe.tag, "PE type beyond this subset, skipped");
			continue;
		}
		if (decode_pe(out, &pe, offset, findings) < 0)
			return -EBADMSG;
	}
	if (out->n_pes == 0)
		return -EBADMSG;
	if (!out->has_end)
		finding(findings, len, 0, "no end PE");
	return 0;
}

/* --- building --------------------------------------------------------------------------------- */

static void put_uint(struct bertlv_writer *w, uint32_t tag, unsigned long v)
{
	uint8_t b[5];
	size_t n = 0;

	/* DER INTEGER: minimal big-endian two's complement, non-negative here. */
	do {
		b[4 - n++] = (uint8_t)v;
		v >>= 8;
	} while (v && n < 4);
	if (b[5 - n] & 0x80)
		b[4 - n++] = 0x00;
	bertlv_put(w, tag, b + 5 - n, n);
}

static void put_pe_header(struct bertlv_writer *w, unsigned int id)
{
	size_t h = bertlv_open(w, CTXC(0));

	bertlv_put(w, CTX(0), NULL, 0); /* mandated NULL, as in the SIMalliance sample */
	put_uint(w, CTX(1), id);
	bertlv_close(w, h);
}

static bool digits(const char *s, size_t min, size_t max)
{
	size_t n = s ? strlen(s) : 0;

	if (n < min || n > max)
		return false;
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

/* 8-byte PIN/PUK value: ASCII digits, FF padded (TS 102 221 §9.5.1). */
static void pin_value(uint8_t out[8], const char *pin)
{
	memset(out, 0xFF, 8);
	memcpy(out, pin, strlen(pin));
}

int saip_build(uint8_t *buf, size_t cap, const struct saip_build_params *p)
{
	uint8_t iccid_plain[10], iccid_swapped[10], imsi[10], pin[8];
	const char *pin1 = p->pin1 ? p->pin1 : "0000", *puk1 = p->puk1 ? p->puk1 : "12345678";
	char padded[21];
	struct osmo_mobile_identity mi = { .type = GSM_MI_TYPE_IMSI };
	struct bertlv_writer w;
	unsigned int id = 1;
	size_t pe, m, s, c;
	int rc;

	if (!digits(p->iccid, 19, 20) || !digits(p->imsi, 6, 15) || !digits(pin1, 4, 8) || !digits(puk1, 8, 8) ||
	    !p->key || (p->algo != SAIP_ALGO_MILENAGE && p->algo != SAIP_ALGO_COMP128V1) ||
	    (p->algo == SAIP_ALGO_MILENAGE && !p->opc) || p->pol1 > 0xFF ||
	    (p->profile_type && (strlen(p->profile_type) < 1 || strlen(p->profile_type) > 100)))
		return -EINVAL;

	/* ICCID: 20 nibbles, F padded; plain order in the header, nibble-swapped in EF.ICCID. */
	osmo_strlcpy(padded, p->iccid, sizeof(padded));
	if (strlen(padded) == 19)
		strcat(padded, "F");
	if (osmo_hexparse(padded, iccid_plain, sizeof(iccid_plain)) != 10 ||
	    osmo_str2bcd(iccid_swapped, sizeof(iccid_swapped), padded, 0, -1, true) != 10)
		return -EINVAL;
	osmo_strlcpy(mi.imsi, p->imsi, sizeof(mi.imsi));
	rc = osmo_mobile_identity_encode_buf(imsi + 1, sizeof(imsi) - 1, &mi, false);
	if (rc < 0)
		return -EINVAL;
	imsi[0] = (uint8_t)rc;

	bertlv_writer_init(&w, buf, cap);

	/* header [0] */
	pe = bertlv_open(&w, CTXC(SAIP_PE_HEADER));
	put_uint(&w, CTX(0), 2);
	put_uint(&w, CTX(1), p->version == SAIP_VERSION_2_3_1 ? 3 : 0);
	if (p->profile_type)
		bertlv_put(&w, CTX(2), p->profile_type, strlen(p->profile_type));
	bertlv_put(&w, CTX(3), iccid_plain, sizeof(iccid_plain));
	if (p->pol1 >= 0)
		bertlv_put_u8(&w, CTX(4), (uint8_t)p->pol1);
	s = bertlv_open(&w, CTXC(5)); /* eUICC-Mandatory-services: usim, milenage */
	bertlv_put(&w, CTX(1), NULL, 0);
	if (p->algo == SAIP_ALGO_MILENAGE)
		bertlv_put(&w, CTX(4), NULL, 0);
	bertlv_close(&w, s);
	s = bertlv_open(&w, CTXC(6)); /* eUICC-Mandatory-GFSTEList: the templates used */
	bertlv_put(&w, 0x06, oid_mf, sizeof(oid_mf));
	bertlv_put(&w, 0x06, oid_usim, sizeof(oid_usim));
	bertlv_close(&w, s);
	bertlv_close(&w, pe);

	/* mf [16]: template files, EF.ICCID filled */
	pe = bertlv_open(&w, CTXC(SAIP_PE_MF));
	put_pe_header(&w, id++);
	bertlv_put(&w, CTX(1), oid_mf, sizeof(oid_mf));
	bertlv_put(&w, CTXC(2), NULL, 0); /* mf */
	m = bertlv_open(&w, CTXC(4));	  /* ef-iccid */
	bertlv_put(&w, CTX(3), iccid_swapped, sizeof(iccid_swapped));
	bertlv_close(&w, m);
	bertlv_put(&w, CTXC(5), NULL, 0); /* ef-dir */
	bertlv_put(&w, CTXC(6), NULL, 0); /* ef-arr */
	bertlv_close(&w, pe);

	/* pukCodes [3], then pinCodes [2] referring to PUK 1 (the sample's order) */
	pe = bertlv_open(&w, CTXC(SAIP_PE_PUK_CODES));
	put_pe_header(&w, id++);
	s = bertlv_open(&w, CTXC(1));
	c = bertlv_open(&w, 0x30);
	put_uint(&w, CTX(0), 1); /* pukAppl1 */
	pin_value(pin, puk1);
	bertlv_put(&w, CTX(1), pin, sizeof(pin));
	bertlv_close(&w, c);
	bertlv_close(&w, s);
	bertlv_close(&w, pe);

	pe = bertlv_open(&w, CTXC(SAIP_PE_PIN_CODES));
	put_pe_header(&w, id++);
	s = bertlv_open(&w, CTXC(1));
	m = bertlv_open(&w, CTXC(0)); /* pinconfig */
	c = bertlv_open(&w, 0x30);
	put_uint(&w, CTX(0), 1); /* pinAppl1 */
	pin_value(pin, pin1);
	bertlv_put(&w, CTX(1), pin, sizeof(pin));
	put_uint(&w, CTX(2), 1); /* unblocked by pukAppl1 */
	bertlv_close(&w, c);
	bertlv_close(&w, m);
	bertlv_close(&w, s);
	bertlv_close(&w, pe);

	/* usim [19]: ADF.USIM with its AID, EF.IMSI filled, the other mandatory files from the template */
	pe = bertlv_open(&w, CTXC(SAIP_PE_USIM));
	put_pe_header(&w, id++);
	bertlv_put(&w, CTX(1), oid_usim, sizeof(oid_usim));
	m = bertlv_open(&w, CTXC(2)); /* adf-usim */
	c = bertlv_open(&w, CTXC(1)); /* fileDescriptor Fcp */
	bertlv_put(&w, CTX(3), usim_temp_fid, sizeof(usim_temp_fid));
	bertlv_put(&w, CTX(4), usim_aid, sizeof(usim_aid));
	bertlv_put(&w, 0xC6, usim_ps_do, sizeof(usim_ps_do));
	bertlv_close(&w, c);
	bertlv_close(&w, m);
	m = bertlv_open(&w, CTXC(3)); /* ef-imsi */
	bertlv_put(&w, CTX(3), imsi, (size_t)imsi[0] + 1);
	bertlv_close(&w, m);
	bertlv_put(&w, CTXC(4), NULL, 0);  /* ef-arr */
	bertlv_put(&w, CTXC(8), NULL, 0);  /* ef-ust */
	bertlv_put(&w, CTXC(13), NULL, 0); /* ef-spn */
	bertlv_put(&w, CTXC(14), NULL, 0); /* ef-est */
	bertlv_put(&w, CTXC(18), NULL, 0); /* ef-acc */
	bertlv_put(&w, CTXC(22), NULL, 0); /* ef-ecc */
	bertlv_close(&w, pe);

	/* akaParameter [4]: algoConfiguration [1] (explicit, CHOICE) { algoParameter [1] { ... } } */
	pe = bertlv_open(&w, CTXC(SAIP_PE_AKA_PARAMETER));
	put_pe_header(&w, id++);
	s = bertlv_open(&w, CTXC(1));
	m = bertlv_open(&w, CTXC(1));
	put_uint(&w, CTX(0), p->algo);
	bertlv_put_u8(&w, CTX(1), 0x00); /* algorithmOptions */
	bertlv_put(&w, CTX(2), p->key, 16);
	bertlv_put(&w, CTX(3), p->opc, p->algo == SAIP_ALGO_MILENAGE ? 16 : 0);
	bertlv_close(&w, m);
	bertlv_close(&w, s);
	bertlv_close(&w, pe);

	/* securityDomain [6]: the MNO-SD instance */
	pe = bertlv_open(&w, CTXC(SAIP_PE_SECURITY_DOMAIN));
	put_pe_header(&w, id++);
	s = bertlv_open(&w, CTXC(1));
	bertlv_put(&w, 0x4F, sd_pkg_aid, sizeof(sd_pkg_aid));
	bertlv_put(&w, 0x4F, sd_class_aid, sizeof(sd_class_aid));
	bertlv_put(&w, 0x4F, sd_instance_aid, sizeof(sd_instance_aid));
	bertlv_put(&w, 0x82, sd_privileges, sizeof(sd_privileges));
	bertlv_put_u8(&w, 0x83, 0x0F); /* PERSONALIZED */
	bertlv_put(&w, 0xC9, sd_c9, sizeof(sd_c9));
	bertlv_close(&w, s);
	bertlv_close(&w, pe);

	/* end [10] */
	pe = bertlv_open(&w, CTXC(SAIP_PE_END));
	put_pe_header(&w, id++);
	bertlv_close(&w, pe);

	return bertlv_writer_finish(&w);
}

/* --- EUICCResponse ---------------------------------------------------------------------------- */

int saip_euicc_response_encode(uint8_t *buf, size_t cap, const struct saip_euicc_response *r)
{
	struct bertlv_writer w;
	size_t seq, list;

	if (r->n > SAIP_MAX_PE_STATUS)
		return -EINVAL;
	bertlv_writer_init(&w, buf, cap);
	seq = bertlv_open(&w, 0x30);
	list = bertlv_open(&w, CTXC(0)); /* peStatus [0] SEQUENCE OF PEStatus */
	for (size_t i = 0; i < r->n; i++) {
		size_t st = bertlv_open(&w, 0x30);

		if (r->st[i].status < 0)
			return -EINVAL;
		put_uint(&w, CTX(0), (unsigned long)r->st[i].status);
		if (r->st[i].identification >= 0)
			put_uint(&w, CTX(1), (unsigned long)r->st[i].identification);
		if (r->st[i].additional_info >= 0)
			put_uint(&w, CTX(2), (unsigned long)r->st[i].additional_info);
		if (r->st[i].offset >= 0)
			put_uint(&w, CTX(3), (unsigned long)r->st[i].offset);
		bertlv_close(&w, st);
	}
	bertlv_close(&w, list);
	if (r->aborted)
		bertlv_put(&w, CTX(1), NULL, 0);
	if (r->message.len)
		bertlv_put(&w, CTX(2), r->message.buf, r->message.len);
	bertlv_close(&w, seq);
	return bertlv_writer_finish(&w);
}

int saip_euicc_response_decode(struct saip_euicc_response *out, const uint8_t *buf, size_t len)
{
	struct bertlv seq, list, st, t;
	struct bertlv_iter it;
	int n, rc;

	memset(out, 0, sizeof(*out));
	n = bertlv_decode(&seq, buf, len);
	if (n < 0)
		return n;
	if (seq.tag != 0x30 || bertlv_find(seq.value, seq.len, CTXC(0), &list) < 0)
		return -EBADMSG;
	bertlv_iter_init(&it, list.value, list.len);
	while ((rc = bertlv_iter_next(&it, &st)) > 0) {
		struct saip_pe_status *s;

		if (st.tag != 0x30 || out->n >= SAIP_MAX_PE_STATUS)
			return -EBADMSG;
		s = &out->st[out->n++];
		s->identification = s->additional_info = s->offset = -1;
		if (find_uint(st.value, st.len, CTX(0), &s->status) < 0)
			return -EBADMSG;
		if (find_uint(st.value, st.len, CTX(1), &s->identification) == -EBADMSG ||
		    find_uint(st.value, st.len, CTX(2), &s->additional_info) == -EBADMSG ||
		    find_uint(st.value, st.len, CTX(3), &s->offset) == -EBADMSG)
			return -EBADMSG;
	}
	if (rc < 0)
		return -EBADMSG;
	out->aborted = bertlv_find(seq.value, seq.len, CTX(1), &t) == 0;
	if (bertlv_find(seq.value, seq.len, CTX(2), &t) == 0) {
		if (t.len < 2 || t.len > 64) /* statusMessage UTF8String (SIZE (2..64)) */
			return -EBADMSG;
		out->message.buf = t.value;
		out->message.len = t.len;
	}
	return n;
}
