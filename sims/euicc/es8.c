/* sims/euicc: ES8 on the ISD-P (SGP.02 §4.1.3; digest §3.3, §4.4, §4.8; open-questions §5):
 *
 * DownloadAndInstallation over SCP03t (lib/scp03t card-side verifier): `84` opens a session with the
 * ISD-P's SCP03 key set and sequence counter (committed at once: a card never reuses a counter value),
 * `85` authenticates, every accepted `86` segment is appended to the package being assembled (volatile,
 * capped at EUICC_PACKAGE_MAX and at the ISD-P's memory quota). When the profile element `end` (AA) is
 * complete the package is decoded (lib/saip) and installed (euicc_factory_profile), the ISD-P goes
 * PERSONALIZED -> DISABLED in one commit, and the last `86` is answered with the protected EUICCResponse
 * (lib/saip encoder). A failed installation answers an EUICCResponse with the error and
 * profileInstallationAborted, the ISD-P stays PERSONALIZED for the SM-DP's DeleteISDP (digest §3.3
 * error management). A power cycle anywhere loses only volatile state: the ISD-P is SELECTABLE or
 * PERSONALIZED (both deletable) or DISABLED with its complete profile.
 *
 * UpdateConnectivityParameters (§4.1.3.4): C-APDUs to the ISD-P inside an SCP03 session (lib/scp03):
 * INITIALIZE UPDATE `80 50`, EXTERNAL AUTHENTICATE `84 82`, then STORE DATA `84 E2 88 00` { 3A07 … }
 * protected at the session's level. The parameters are kept per ISD-P (param isdp.<AID>.conn).
 *
 * Error TLVs are `9F4x 01 code` (open-questions §5): 01 format / wrong state, 02 security or no open
 * session, 03 unknown KVN. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/crypto.h>

#include "lib/rscript/rscript.h"
#include "lib/saip/saip.h"
#include "lib/tlv/bertlv.h"
#include "sims/euicc/ext.h"
#include "sims/euicc/factory.h"

#define PE_TAG_HEADER 0xA0 /* PE-Def ProfileElement [0] header */
#define PE_TAG_END    0xAA /* [10] end */

void euicc_es8_param_name(char *buf, size_t cap, const char *what, const uint8_t *aid, size_t aid_len)
{
	size_t n = (size_t)snprintf(buf, cap, "isdp.");

	for (size_t i = 0; i < aid_len && n + 3 < cap; i++)
		n += (size_t)snprintf(buf + n, cap - n, "%02x", aid[i]);
	snprintf(buf + n, cap > n ? cap - n : 0, ".%s", what);
}

void euicc_es8_forget(struct euicc_card *c, const uint8_t *aid, size_t aid_len)
{
	char name[64];

	euicc_es8_param_name(name, sizeof(name), "seq", aid, aid_len);
	euicc_store_param_del(c->st, name);
	euicc_es8_param_name(name, sizeof(name), "conn", aid, aid_len);
	euicc_store_param_del(c->st, name);
}

static void dl_free(struct euicc_x *x)
{
	if (!x->dl)
		return;
	if (x->dl->pkg) {
		OPENSSL_cleanse(x->dl->pkg, x->dl->pkg_len);
		free(x->dl->pkg);
	}
	OPENSSL_cleanse(x->dl, sizeof(*x->dl));
	free(x->dl);
	x->dl = NULL;
}

void euicc_es8_reset(struct euicc_card *c)
{
	if (!c->x)
		return;
	dl_free(c->x);
	scp03_session_clear(&c->x->scp03.s);
	memset(&c->x->scp03, 0, sizeof(c->x->scp03));
}

static bool same_aid(const uint8_t *a, size_t al, const uint8_t *b, size_t bl)
{
	return al == bl && memcmp(a, b, al) == 0;
}

static int load_seq(struct euicc_card *c, const struct euicc_isdp *p, uint8_t seq[SCP03_SEQ_LEN])
{
	char name[64];
	size_t len = SCP03_SEQ_LEN;

	euicc_es8_param_name(name, sizeof(name), "seq", p->aid, p->aid_len);
	if (euicc_store_param_get(c->st, name, seq, &len) < 0 || len != SCP03_SEQ_LEN) {
		memset(seq, 0, SCP03_SEQ_LEN);
		seq[SCP03_SEQ_LEN - 1] = 1; /* WHTY starts at 000001 (digest §4.8) */
	}
	return 0;
}

static int save_seq(struct euicc_card *c, const struct euicc_isdp *p, const uint8_t seq[SCP03_SEQ_LEN])
{
	char name[64];

	euicc_es8_param_name(name, sizeof(name), "seq", p->aid, p->aid_len);
	return euicc_store_param_set(c->st, name, seq, SCP03_SEQ_LEN);
}

/* --- DownloadAndInstallation ----------------------------------------------------------------------- */

/* Where PE-End ends in the assembled package: its length, 0 when not complete yet, -EBADMSG when the
 * package is not a series of TLVs starting with the header. */
static int package_end(const uint8_t *pkg, size_t len)
{
	struct bertlv t;
	size_t off = 0;
	int rc;

	while (off < len) {
		rc = bertlv_decode(&t, pkg + off, len - off);
		if (rc == -EAGAIN)
			return 0;
		if (rc <= 0)
			return -EBADMSG;
		if (off == 0 && t.tag != PE_TAG_HEADER)
			return -EBADMSG;
		off += (size_t)rc;
		if (t.tag == PE_TAG_END)
			return off == len ? (int)off : -EBADMSG; /* nothing may follow the end */
	}
	return 0;
}

static int euicc_response(uint8_t *buf, size_t cap, long status, bool aborted)
{
	struct saip_euicc_response r = { .n = 1, .aborted = aborted };

	/* the trace's success answer is EUICCResponse{peStatus{status ok}} (open-questions §5) */
	r.st[0].status = status;
	r.st[0].identification = -1;
	r.st[0].additional_info = -1;
	r.st[0].offset = -1;
	return saip_euicc_response_encode(buf, cap, &r);
}

/* Install the complete package into the ISD-P: 0 or the PEStatus code of the failure. */
static long install(struct euicc_card *c, const struct euicc_isdp *isdp_in, const uint8_t *pkg, size_t len)
{
	struct euicc_isdp p;

	if (euicc_store_isdp_get(c->st, isdp_in->aid, isdp_in->aid_len, &p) < 0 || p.state != ES5_ISDP_PERSONALIZED)
		return SAIP_ST_INVALID_REQUEST_FORMAT;
	if (p.quota && len > p.quota)
		return SAIP_ST_NOT_ENOUGH_MEMORY;
	if (euicc_factory_profile(&p, pkg, len, NULL) < 0)
		return SAIP_ST_BAD_VALUES;
	p.state = ES5_ISDP_DISABLED; /* digest §3.3 step 16: after PE-End */
	if (euicc_store_begin(c->st) < 0)
		return SAIP_ST_MEMORY_FAILURE;
	if (euicc_store_isdp_put(c->st, &p) < 0 || euicc_store_commit(c->st) < 0) {
		euicc_store_rollback(c->st);
		return SAIP_ST_MEMORY_FAILURE;
	}
	return SAIP_ST_OK;
}

static int scp03t_item(struct euicc_card *c, const struct euicc_isdp *isdp, uint8_t kind, const uint8_t *v, size_t len,
		       uint8_t *resp, size_t cap, uint16_t *sw)
{
	static uint8_t tlv[SCP03T_MAX_TLV], plain[SCP03T_MAX_SEGMENT + 16];
	struct euicc_x *x = c->x;
	struct euicc_download *dl = x->dl;
	struct bertlv_writer w;
	size_t plain_len = 0, rsp_len = 0;
	int n, rc;

	*sw = 0x9000;
	if (len > SCP03T_MAX_VALUE)
		goto format;
	/* The MAC covers tag and length as sent; the script item gives the value, so the TLV is rebuilt
	 * with the minimal DER length, which is what every SCP03t sender here writes [I]. */
	bertlv_writer_init(&w, tlv, sizeof(tlv));
	bertlv_put(&w, kind, v, len);
	n = bertlv_writer_finish(&w);
	if (n < 0)
		goto format;

	if (kind == SCP03T_TAG_INIT_UPDATE) {
		uint8_t seq[SCP03_SEQ_LEN];

		if (isdp->state != ES5_ISDP_PERSONALIZED)
			goto format; /* no key set yet, or already installed */
		if (!isdp->has_scp03) {
			*sw = 0x6F00;
			return scp03t_error_encode(kind, SCP03T_ERR_UNKNOWN_KVN, resp, cap);
		}
		dl_free(x); /* a new session starts the package anew */
		dl = x->dl = calloc(1, sizeof(*dl));
		if (!dl)
			goto format;
		memcpy(dl->aid, isdp->aid, isdp->aid_len);
		dl->aid_len = isdp->aid_len;
		load_seq(c, isdp, seq);
		if (scp03t_card_init(&dl->s, &c->cfg.scp03t, isdp->scp03[0], isdp->scp03[1], 16, isdp->scp03_kvn, seq,
				     isdp->aid, isdp->aid_len) < 0)
			goto format;
		rc = scp03t_card_handle(&dl->s, tlv, (size_t)n, plain, sizeof(plain), &plain_len, resp, cap, &rsp_len);
		if (rc < 0)
			goto format;
		/* the counter moved: commit it before answering */
		if (memcmp(seq, dl->s.seq, SCP03_SEQ_LEN) && save_seq(c, isdp, dl->s.seq) < 0) {
			dl_free(x);
			*sw = 0x6F00;
			return scp03t_error_encode(kind, SCP03T_ERR_FORMAT, resp, cap);
		}
		if (resp[0] == 0x9F)
			*sw = 0x6F00;
		return (int)rsp_len;
	}
	if (!dl || !same_aid(dl->aid, dl->aid_len, isdp->aid, isdp->aid_len)) {
		*sw = 0x6F00;
		return scp03t_error_encode(kind, SCP03T_ERR_SECURITY, resp, cap); /* no open session */
	}
	if (kind == SCP03T_TAG_DATA && dl->done)
		goto format;
	rc = scp03t_card_handle(&dl->s, tlv, (size_t)n, plain, sizeof(plain), &plain_len, resp, cap, &rsp_len);
	if (rc < 0)
		goto format;
	if (resp[0] == 0x9F) {
		*sw = 0x6F00;
		return (int)rsp_len;
	}
	if (kind != SCP03T_TAG_DATA)
		return (int)rsp_len;

	/* an accepted segment */
	{
		uint8_t er[64];
		long status = SAIP_ST_OK;
		int end;

		if (!dl->pkg && !(dl->pkg = malloc(EUICC_PACKAGE_MAX)))
			status = SAIP_ST_MEMORY_FAILURE;
		else if (plain_len > EUICC_PACKAGE_MAX - dl->pkg_len)
			status = SAIP_ST_NOT_ENOUGH_MEMORY;
		if (status == SAIP_ST_OK) {
			memcpy(dl->pkg + dl->pkg_len, plain, plain_len);
			dl->pkg_len += plain_len;
			end = package_end(dl->pkg, dl->pkg_len);
			if (end == 0)
				return (int)rsp_len; /* 86 00: more to come */
			status = end < 0 ? SAIP_ST_INVALID_REQUEST_FORMAT : install(c, isdp, dl->pkg, dl->pkg_len);
		}
		dl->done = true;
		n = euicc_response(er, sizeof(er), status, status != SAIP_ST_OK);
		if (n < 0)
			goto format;
		OPENSSL_cleanse(plain, sizeof(plain));
		return scp03t_card_respond_data(&dl->s, er, (size_t)n, resp, cap);
	}
format:
	*sw = 0x6F00;
	return scp03t_error_encode(kind, SCP03T_ERR_FORMAT, resp, cap);
}

/* --- UpdateConnectivityParameters over SCP03 APDUs -------------------------------------------------- */

static int rsp_out(struct euicc_scp03_apdu *a, const uint8_t *data, size_t len, uint16_t sw, uint8_t *resp, size_t cap,
		   uint16_t *sw_out)
{
	int n = 0;

	if (!data)
		data = (const uint8_t *)""; /* lib/scp03 memmoves from it even for 0 bytes (UBSan) */
	*sw_out = sw;
	if (a->authenticated && (a->s.level & SCP03_SL_BIT_RMAC)) {
		n = scp03_rsp_wrap(&a->s, data, len, sw, resp, cap);
		if (n < 0) {
			*sw_out = 0x6F00;
			return 0;
		}
		return n;
	}
	if (len > cap)
		return -EMSGSIZE;
	memcpy(resp, data, len);
	return (int)len;
}

static int capdu_item(struct euicc_card *c, const struct euicc_isdp *isdp, const uint8_t *apdu, size_t len,
		      uint8_t *resp, size_t cap, uint16_t *sw)
{
	struct euicc_scp03_apdu *a = &c->x->scp03;
	struct rscript_apdu ap;
	uint8_t plain[SCP03_APDU_MAX];
	struct es5_command cmd;
	int n;

	*sw = 0x6F00;
	if (rscript_apdu_parse(&ap, apdu, len) < 0) {
		*sw = 0x6700;
		return 0;
	}
	if (ap.ins == 0x50 && (ap.cla & 0xFC) == 0x80) { /* INITIALIZE UPDATE (GP Amd D §7.1.1) */
		struct scp03_init_update iu;
		struct scp03_iu_resp tmpl = { 0 };
		uint8_t kdd[SCP03_KDD_LEN] = { 0 }, seq[SCP03_SEQ_LEN], cc[SCP03_CHALLENGE];

		memset(a, 0, sizeof(*a));
		if (!isdp->has_scp03 || isdp->state < ES5_ISDP_PERSONALIZED) {
			*sw = 0x6985;
			return 0;
		}
		if (scp03_init_update_cmd_decode(&iu, apdu, len) < 0) {
			*sw = 0x6A80;
			return 0;
		}
		if (iu.kvn && iu.kvn != isdp->scp03_kvn) {
			*sw = 0x6A88; /* GP Amd D §7.1.1.5: referenced data not found */
			return 0;
		}
		load_seq(c, isdp, seq);
		if (scp03_card_challenge(isdp->scp03[0], 16, seq, isdp->aid, isdp->aid_len, cc) < 0)
			return 0;
		tmpl.kdd = kdd;
		tmpl.kvn = isdp->scp03_kvn;
		tmpl.i_param = SCP03_I_SGP02;
		tmpl.card_challenge = cc;
		tmpl.has_seq = true;
		memcpy(tmpl.seq, seq, SCP03_SEQ_LEN);
		n = scp03_card_init_update(&a->s, isdp->scp03[0], isdp->scp03[1], 16, &iu, &tmpl, resp, cap);
		if (n < 0)
			return 0;
		for (int i = SCP03_SEQ_LEN - 1; i >= 0; i--)
			if (++seq[i] != 0)
				break;
		if (save_seq(c, isdp, seq) < 0)
			return 0;
		a->active = true;
		memcpy(a->aid, isdp->aid, isdp->aid_len);
		a->aid_len = isdp->aid_len;
		*sw = 0x9000;
		return n;
	}
	if (!a->active || !same_aid(a->aid, a->aid_len, isdp->aid, isdp->aid_len)) {
		*sw = 0x6982; /* GP: security status not satisfied (no secure channel) */
		return 0;
	}
	if (ap.ins == 0x82) { /* EXTERNAL AUTHENTICATE (§7.1.2) */
		if (scp03_card_ext_auth(&a->s, apdu, len) < 0) {
			memset(a, 0, sizeof(*a));
			*sw = 0x6982;
			return 0;
		}
		a->authenticated = true;
		*sw = 0x9000;
		return 0;
	}
	if (!a->authenticated || !(ap.cla & 0x04)) {
		*sw = 0x6982;
		return 0;
	}
	n = scp03_cmd_unwrap(&a->s, apdu, len, plain, sizeof(plain));
	if (n < 0) {
		memset(a, 0, sizeof(*a)); /* GP Amd D §6.2.4: a bad C-MAC closes the session */
		*sw = 0x6982;
		return 0;
	}
	if (rscript_apdu_parse(&ap, plain, (size_t)n) < 0)
		return rsp_out(a, NULL, 0, 0x6700, resp, cap, sw);
	if (es5_command_decode(&cmd, ap.cla, ap.ins, ap.p1, ap.p2, ap.data, ap.lc) < 0 ||
	    cmd.fn != ES5_FN_UPDATE_ADDRESSING)
		return rsp_out(a, NULL, 0, ap.ins == ES5_INS_STORE_DATA ? 0x6A80 : 0x6D00, resp, cap, sw);
	if (cmd.u.addressing.len > EUICC_CONNECTIVITY_MAX)
		return rsp_out(a, NULL, 0, 0x6A80, resp, cap, sw);
	{
		char name[64];

		euicc_es8_param_name(name, sizeof(name), "conn", isdp->aid, isdp->aid_len);
		if (euicc_store_param_set(c->st, name, cmd.u.addressing.buf, cmd.u.addressing.len) < 0)
			return rsp_out(a, NULL, 0, 0x6581, resp, cap, sw);
	}
	return rsp_out(a, NULL, 0, 0x9000, resp, cap, sw);
}

int euicc_es8_item(struct euicc_card *c, const struct euicc_isdp *isdp, uint8_t kind, const uint8_t *v, size_t len,
		   uint8_t *resp, size_t cap, uint16_t *sw)
{
	if (!c->x)
		return -ENOTSUP;
	if (kind == RSCRIPT_CMD_CAPDU)
		return capdu_item(c, isdp, v, len, resp, cap, sw);
	return scp03t_item(c, isdp, kind, v, len, resp, cap, sw);
}
