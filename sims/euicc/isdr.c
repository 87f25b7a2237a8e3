/* sims/euicc: the ISD-R's ES5 functions (SGP.02 §4.1.1; digest §4.4) as the script engine runs them,
 * with the status words of digest §4.4 / GP 2.3 §11: 6A80 bad data, 6A84 not enough memory, 6A88
 * referenced data (ISD-P, sequence number, key set) not found, 6985 conditions of use not satisfied
 * (wrong life-cycle state), 69E1 POL1 forbids it, 6581 memory failure (the store failed).
 *
 * Every function commits once, with all of its changes, before it answers. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "lib/ids/ids.h"
#include "lib/rscript/rscript.h"
#include "lib/tlv/bertlv.h"
#include "sims/euicc/ext.h"

#define EUICC_NVM_TOTAL	     (512u * 1024u) /* our eUICC's profile memory */
#define EUICC_ISDP_BASE_SIZE (32u * 1024u)  /* what an ISD-P without a quota occupies */
#define POL1_NO_DISABLE	     0x01	    /* open-questions §13 */
#define POL1_NO_DELETE	     0x02

static uint32_t used_memory(struct euicc_card *c)
{
	struct euicc_isdp p[EUICC_MAX_ISDP];
	int n = euicc_store_isdp_list(c->st, p, EUICC_MAX_ISDP);
	uint32_t used = 0;

	for (int i = 0; i < n; i++)
		used += p[i].quota ? p[i].quota : EUICC_ISDP_BASE_SIZE;
	return used;
}

static uint32_t free_memory(struct euicc_card *c)
{
	uint32_t used = used_memory(c);
	return used >= EUICC_NVM_TOTAL ? 0 : EUICC_NVM_TOTAL - used;
}

static void put_u32(uint8_t *b, uint32_t v)
{
	b[0] = (uint8_t)(v >> 24), b[1] = (uint8_t)(v >> 16), b[2] = (uint8_t)(v >> 8), b[3] = (uint8_t)v;
}

void euicc_isdr_get_data(struct euicc_card *c, uint16_t tag, struct euicc_rsp *r)
{
	uint8_t cert[512];
	size_t len = sizeof(cert);
	struct bertlv_writer w;
	size_t m;
	uint8_t v[4];
	int n;

	bertlv_writer_init(&w, r->data, sizeof(r->data) - 2);
	switch (tag) {
	case 0x005A: /* EID (SGP.02 §2.2.2) */ bertlv_put(&w, 0x5A, c->eid, sizeof(c->eid)); break;
	case 0x7F21: /* CERT.ECASD.ECKA (digest §4.4 eUICCCapabilityAudit) */
	case 0xBF30:
		if (euicc_store_param_get(c->st, "ecasd.cert", cert, &len) < 0) {
			euicc_rsp_sw(r, 0x6A88);
			return;
		}
		if (tag == 0xBF30) {
			m = bertlv_open(&w, 0xBF30);
			bertlv_put_raw(&w, cert, len);
			bertlv_close(&w, m);
		} else {
			bertlv_put_raw(&w, cert, len);
		}
		break;
	case 0xFF21: /* extended card resources (TS 102 226 §8.2.1.7.2) */
		n = euicc_store_isdp_list(c->st, (struct euicc_isdp[EUICC_MAX_ISDP]){ 0 }, EUICC_MAX_ISDP);
		m = bertlv_open(&w, 0xFF21);
		bertlv_put_u8(&w, 0x81, (uint8_t)(n < 0 ? 0 : n));
		put_u32(v, free_memory(c));
		bertlv_put(&w, 0x82, v, 4);
		put_u32(v, 8192);
		bertlv_put(&w, 0x83, v, 4);
		bertlv_close(&w, m);
		break;
	default: euicc_rsp_sw(r, 0x6A88); return;
	}
	n = bertlv_writer_finish(&w);
	if (n < 0) {
		euicc_rsp_sw(r, 0x6A84);
		return;
	}
	r->len = (size_t)n;
	euicc_rsp_sw(r, 0x9000);
}

static bool aid_eq(const struct euicc_isdp *p, const uint8_t *aid, size_t len)
{
	return p->aid_len == len && memcmp(p->aid, aid, len) == 0;
}

static void create_isdp(struct euicc_card *c, const struct es5_create_isdp *ci, struct euicc_rsp *r)
{
	uint8_t elf[IDS_AID_LEN], mod[IDS_AID_LEN];
	struct euicc_isdp p;
	uint32_t tar;
	int n;

	ids_aid_from_tar(elf, 0x00000D);
	ids_aid_from_tar(mod, 0x00000E);
	/* The load file and module must be the ones this eUICC has (EIS Isd-p-loadfile-aid/module-aid). */
	if (ci->elf_aid.len != IDS_AID_LEN || memcmp(ci->elf_aid.buf, elf, IDS_AID_LEN) ||
	    ci->module_aid.len != IDS_AID_LEN || memcmp(ci->module_aid.buf, mod, IDS_AID_LEN)) {
		euicc_rsp_sw(r, 0x6A88);
		return;
	}
	if (ids_aid_to_tar(ci->isdp_aid.buf, ci->isdp_aid.len, &tar) < 0 || tar < IDS_TAR_ISD_P_MIN ||
	    tar > IDS_TAR_ISD_P_MAX || ci->isdp_aid.len != IDS_AID_LEN) {
		euicc_rsp_sw(r, 0x6A80);
		return;
	}
	if (euicc_store_isdp_get(c->st, ci->isdp_aid.buf, ci->isdp_aid.len, &p) == 0 ||
	    euicc_store_isdp_get_by_tar(c->st, tar, &p) == 0) {
		euicc_rsp_sw(r, 0x6A80); /* GP 2.3 §11.5.3: the AID is already present */
		return;
	}
	n = euicc_store_isdp_list(c->st, (struct euicc_isdp[EUICC_MAX_ISDP]){ 0 }, EUICC_MAX_ISDP);
	if (n < 0 || n >= EUICC_MAX_ISDP || (ci->quota ? ci->quota : EUICC_ISDP_BASE_SIZE) > free_memory(c)) {
		euicc_rsp_sw(r, 0x6A84);
		return;
	}
	memset(&p, 0, sizeof(p));
	memcpy(p.aid, ci->isdp_aid.buf, IDS_AID_LEN);
	p.aid_len = IDS_AID_LEN;
	p.tar = tar;
	p.state = ES5_ISDP_SELECTABLE; /* digest §3.1 step 5 */
	p.quota = ci->quota;
	memset(p.loci, 0xFF, 7);
	p.loci[9] = 0x00, p.loci[10] = 0x01; /* TS 31.102 §4.2.17: not updated */
	p.loci[7] = 0xFF, p.loci[8] = 0xFE;
	if (euicc_store_isdp_put(c->st, &p) < 0) {
		euicc_rsp_sw(r, 0x6581);
		return;
	}
	r->data[0] = 0x00; /* GP 2.3 §11.5.3.1: one byte 00 */
	r->len = 1;
	euicc_rsp_sw(r, 0x9000);
}

static void set_fallback(struct euicc_card *c, const uint8_t *aid, size_t len, struct euicc_rsp *r)
{
	struct euicc_isdp p[EUICC_MAX_ISDP];
	int n = euicc_store_isdp_list(c->st, p, EUICC_MAX_ISDP), t = -1;

	for (int i = 0; i < n; i++)
		if (aid_eq(&p[i], aid, len))
			t = i;
	if (t < 0) {
		euicc_rsp_sw(r, 0x6A88);
		return;
	}
	if (p[t].state != ES5_ISDP_DISABLED && p[t].state != ES5_ISDP_ENABLED) {
		euicc_rsp_sw(r, 0x6985);
		return;
	}
	if (euicc_store_begin(c->st) < 0)
		goto fail;
	for (int i = 0; i < n; i++) {
		bool want = i == t;
		if (p[i].fallback != want) {
			p[i].fallback = want;
			if (euicc_store_isdp_put(c->st, &p[i]) < 0)
				goto fail;
		}
	}
	if (euicc_store_commit(c->st) < 0)
		goto fail;
	euicc_rsp_sw(r, 0x9000);
	return;
fail:
	euicc_store_rollback(c->st);
	euicc_rsp_sw(r, 0x6581);
}

static void delete_isdp(struct euicc_card *c, const uint8_t *aid, size_t len, struct euicc_rsp *r)
{
	struct euicc_isdp p;

	if (euicc_store_isdp_get(c->st, aid, len, &p) < 0) {
		euicc_rsp_sw(r, 0x6A88);
		return;
	}
	/* SGP.02 §3.5 [I]: neither the enabled nor the fall-back profile can be deleted. */
	if (p.state == ES5_ISDP_ENABLED || p.fallback) {
		euicc_rsp_sw(r, 0x6985);
		return;
	}
	if (p.pol1 & POL1_NO_DELETE) {
		euicc_rsp_sw(r, 0x69E1);
		return;
	}
	if (euicc_store_begin(c->st) < 0 || euicc_store_isdp_del(c->st, aid, len) < 0) {
		euicc_store_rollback(c->st);
		euicc_rsp_sw(r, 0x6581);
		return;
	}
	euicc_es8_forget(c, aid, len); /* its SCP03 sequence counter and connectivity parameters */
	if (euicc_store_commit(c->st) < 0) {
		euicc_store_rollback(c->st);
		euicc_rsp_sw(r, 0x6581);
		return;
	}
	r->data[0] = 0x00; /* GP 2.3 §11.2.3: one byte 00 */
	r->len = 1;
	euicc_rsp_sw(r, 0x9000);
}

/* The SMS destination address inside UpdateSMSRAddressingParameters: the first TS 102 223 address
 * object (06 / 86: TON/NPI ‖ BCD) at the top level or one level down [I: the layout of §4.1.1.10 was
 * not read]. Stored as "ton npi digits" text in param smsr.sms. */
static int find_address(const uint8_t *v, size_t len, int depth, struct bertlv *out)
{
	struct bertlv_iter it;
	struct bertlv t;
	int rc;

	bertlv_iter_init(&it, v, len);
	while ((rc = bertlv_iter_next(&it, &t)) > 0) {
		if ((t.tag == 0x06 || t.tag == 0x86) && t.len >= 2) {
			*out = t;
			return 0;
		}
		if (t.constructed && depth < 2 && find_address(t.value, t.len, depth + 1, out) == 0)
			return 0;
	}
	return rc < 0 ? -EBADMSG : -ENOENT;
}

static void update_addressing(struct euicc_card *c, const struct es5_bytes *v, struct euicc_rsp *r)
{
	struct bertlv t;
	char text[40];
	size_t n = 0;
	int rc = find_address(v->buf, v->len, 0, &t);

	if (rc == -EBADMSG || v->len > EUICC_PARAM_MAX) {
		euicc_rsp_sw(r, 0x6A80);
		return;
	}
	if (euicc_store_begin(c->st) < 0 || euicc_store_param_set(c->st, "smsr.addressing", v->buf, v->len) < 0)
		goto fail;
	if (rc == 0) {
		n = (size_t)snprintf(text, sizeof(text), "%u %u ", (t.value[0] >> 4) & 7, t.value[0] & 0xF);
		for (size_t i = 1; i < t.len && n + 2 < sizeof(text); i++) {
			static const char d[] = "0123456789*#abc";
			uint8_t lo = t.value[i] & 0xF, hi = t.value[i] >> 4;
			if (lo == 0xF)
				break;
			text[n++] = d[lo];
			if (hi == 0xF)
				break;
			text[n++] = d[hi];
		}
		if (euicc_store_param_set(c->st, "smsr.sms", (const uint8_t *)text, n) < 0)
			goto fail;
	}
	if (euicc_store_commit(c->st) < 0)
		goto fail;
	euicc_rsp_sw(r, 0x9000);
	return;
fail:
	euicc_store_rollback(c->st);
	euicc_rsp_sw(r, 0x6581);
}

static void finalise_handover(struct euicc_card *c, const struct euicc_session *s, const struct es5_command *cmd,
			      struct euicc_rsp *r)
{
	struct euicc_keyset ks[EUICC_MAX_KEYSETS];
	int n = euicc_store_keyset_list(c->st, ks, EUICC_MAX_KEYSETS);
	const struct es5_keyrange *l = cmd->u.finalise.ranges;
	size_t nl = cmd->u.finalise.n;
	bool changed[EUICC_MAX_KEYSETS] = { 0 };

	if (n < 0) {
		euicc_rsp_sw(r, 0x6581);
		return;
	}
	/* A delete list may only name key sets that exist (GP DELETE [key]: 6A88). */
	if (c->cfg.f2 == ES5_F2_DELETE_LIST) {
		for (size_t j = 0; j < nl; j++) {
			bool found = false;
			for (int i = 0; i < n; i++)
				found |= ks[i].kvn == l[j].kvn;
			if (!found || l[j].first_kid > l[j].last_kid) {
				euicc_rsp_sw(r, 0x6A88);
				return;
			}
		}
	}
	for (int i = 0; i < n; i++) {
		for (uint8_t kid = 1; kid <= 3; kid++) {
			if (!ks[i].key_len[kid - 1] || !es5_f2_deletes(c->cfg.f2, l, nl, ks[i].kvn, kid))
				continue;
			/* open-questions §2: never the key set protecting this session */
			if (s->kvn && ks[i].kvn == s->kvn) {
				euicc_rsp_sw(r, 0x6985);
				return;
			}
			ks[i].key_len[kid - 1] = 0;
			memset(ks[i].key[kid - 1], 0, EUICC_KEY_MAX);
			changed[i] = true;
		}
	}
	if (euicc_store_begin(c->st) < 0)
		goto fail;
	for (int i = 0; i < n; i++) {
		if (!changed[i])
			continue;
		if (!ks[i].key_len[0] && !ks[i].key_len[1] && !ks[i].key_len[2]) {
			if (euicc_store_keyset_del(c->st, ks[i].kvn) < 0)
				goto fail;
		} else if (euicc_store_keyset_put(c->st, &ks[i]) < 0) {
			goto fail;
		}
	}
	if (euicc_store_commit(c->st) < 0)
		goto fail;
	r->data[0] = 0x00;
	r->len = 1;
	euicc_rsp_sw(r, 0x9000);
	return;
fail:
	euicc_store_rollback(c->st);
	euicc_rsp_sw(r, 0x6581);
}

static void get_status(struct euicc_card *c, const struct es5_command *cmd, struct euicc_rsp *r)
{
	struct euicc_isdp p[EUICC_MAX_ISDP];
	int n = euicc_store_isdp_list(c->st, p, EUICC_MAX_ISDP);
	const struct es5_bytes *f = &cmd->u.get_status.aid_filter;
	struct bertlv_writer w;
	unsigned int hits = 0;
	uint8_t v[4];
	int len;

	/* GP 2.3 §11.4.2: P1 40 = applications and SSDs; P2 02 = TLV format. */
	if (cmd->p1 != 0x40 || (cmd->p2 & 0xFE) != 0x02) {
		euicc_rsp_sw(r, 0x6A86);
		return;
	}
	bertlv_writer_init(&w, r->data, sizeof(r->data) - 2);
	for (int i = 0; i < n; i++) {
		if (f->len && (f->len > p[i].aid_len || memcmp(p[i].aid, f->buf, f->len)))
			continue;
		size_t m = bertlv_open(&w, 0xE3);
		bertlv_put(&w, 0x4F, p[i].aid, p[i].aid_len);
		bertlv_put_u8(&w, 0x9F70, p[i].state);
		bertlv_put_u8(&w, 0x53, p[i].fallback ? 0x01 : 0x00);
		put_u32(v, p[i].quota ? p[i].quota : EUICC_ISDP_BASE_SIZE);
		bertlv_put(&w, 0x8F, v, 4);
		put_u32(v, free_memory(c));
		bertlv_put(&w, 0x91, v, 4);
		bertlv_close(&w, m);
		hits++;
	}
	len = bertlv_writer_finish(&w);
	if (!hits) {
		euicc_rsp_sw(r, 0x6A88);
		return;
	}
	if (len < 0) {
		euicc_rsp_sw(r, 0x6A84);
		return;
	}
	r->len = (size_t)len;
	euicc_rsp_sw(r, 0x9000);
}

static void notification_confirm(struct euicc_card *c, uint16_t seq, struct euicc_rsp *r)
{
	if (euicc_switch_confirm(c, seq) < 0) {
		euicc_rsp_sw(r, 0x6A88);
		return;
	}
	/* 80 { 4F AID* }: the ISD-Ps the eUICC deleted meanwhile (none: POL1 "delete when disabled" is not
	 * acted on by this card). */
	r->data[0] = 0x80;
	r->data[1] = 0x00;
	r->len = 2;
	euicc_rsp_sw(r, 0x9000);
}

void euicc_isdr_apdu(struct euicc_card *c, const struct euicc_session *s, const uint8_t *apdu, size_t len,
		     struct euicc_rsp *r)
{
	struct rscript_apdu a;
	struct es5_command cmd;
	int rc;

	r->len = 0;
	if (rscript_apdu_parse(&a, apdu, len) < 0) {
		euicc_rsp_sw(r, 0x6700);
		return;
	}
	if ((a.cla & 0xFC) != 0x80 && (a.cla & 0xFC) != 0x84 && (a.cla & 0xFC) != 0x00) {
		euicc_rsp_sw(r, 0x6E00);
		return;
	}
	rc = es5_command_decode(&cmd, a.cla, a.ins, a.p1, a.p2, a.data, a.lc);
	if (rc == -ENOTSUP) {
		euicc_rsp_sw(r, a.ins == ES5_INS_STORE_DATA ? 0x6A88 : 0x6D00);
		return;
	}
	if (rc < 0) {
		euicc_rsp_sw(r, 0x6A80);
		return;
	}
	switch (cmd.fn) {
	case ES5_FN_CREATE_ISDP: create_isdp(c, &cmd.u.create_isdp, r); break;
	case ES5_FN_ENABLE_PROFILE: euicc_switch_enable(c, cmd.u.aid.buf, cmd.u.aid.len, r); break;
	case ES5_FN_DISABLE_PROFILE: euicc_switch_disable(c, cmd.u.aid.buf, cmd.u.aid.len, r); break;
	case ES5_FN_SET_FALLBACK: set_fallback(c, cmd.u.aid.buf, cmd.u.aid.len, r); break;
	case ES5_FN_DELETE_ISDP: delete_isdp(c, cmd.u.aid.buf, cmd.u.aid.len, r); break;
	case ES5_FN_UPDATE_ADDRESSING: update_addressing(c, &cmd.u.addressing, r); break;
	case ES5_FN_NOTIFICATION_CONFIRM: notification_confirm(c, cmd.u.notification_seq, r); break;
	case ES5_FN_FINALISE_HANDOVER: finalise_handover(c, s, &cmd, r); break;
	case ES5_FN_GET_STATUS: get_status(c, &cmd, r); break;
	case ES5_FN_GET_DATA: euicc_isdr_get_data(c, cmd.u.get_data.tag, r); break;
	case ES5_FN_INSTALL_PERSO:
	case ES5_FN_KEYSET_CERT:
	case ES5_FN_KEYSET_KEYAGREEMENT: {
		/* Key establishment (lib/ecka) and ES8 belong to the extension (README: plug-in points). */
		uint16_t sw = 0x6985;
		int n = -ENOTSUP;
		if (cmd.fn == ES5_FN_INSTALL_PERSO) {
			struct euicc_isdp p;
			if (euicc_store_isdp_get(c->st, cmd.u.aid.buf, cmd.u.aid.len, &p) < 0) {
				euicc_rsp_sw(r, 0x6A88);
				break;
			}
		}
		if (c->ext.keyset)
			n = c->ext.keyset(c, s, &cmd, NULL, 0, r->data, sizeof(r->data) - 2, &sw, c->ext.priv);
		r->len = n > 0 ? (size_t)n : 0;
		euicc_rsp_sw(r, sw);
		break;
	}
	default: euicc_rsp_sw(r, 0x6D00); break;
	}
}
