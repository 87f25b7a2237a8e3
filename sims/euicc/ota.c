/* sims/euicc: SMS-PP data download (TS 31.111 §7.1.1, ENVELOPE D1) on the ISD-R: SMS-DELIVER decode
 * (lib/sms), concatenation reassembly (lib/sms concat), SCP80 unwrap with the ISD-R key set and the
 * counter rule of the SPI (lib/scp80), TAR routing (lib/ids), the remote script (lib/rscript, run by
 * euicc_card_script_run) and the PoR, either in the ENVELOPE response (SMS-DELIVER-REPORT) or by SEND
 * SHORT MESSAGE to the originating address (SPI octet 2 b6, TS 31.115 §4.2).
 *
 * Silent drops (no PoR, no state change): an SMS that is not for the (U)SIM data download (TP-PID),
 * a segment the reassembly rejects, a command packet whose header does not parse (TS 102 225 §5.1.1:
 * CPL/CHL inconsistent), and with the SILENT_DROP variant every security failure. */
#include <errno.h>
#include <string.h>

#include "lib/ids/ids.h"
#include "lib/rscript/rscript.h"
#include "lib/scp80/scp80.h"
#include "lib/sms/sms.h"
#include "lib/sms/sms_concat.h"
#include "sims/euicc/card_internal.h"

#define OTA_PKT_MAX	 (SMS_CONCAT_MAX_SEGS * SMS_UD_MAX)
#define SCRIPT_MAX_ITEMS 32

int euicc_ota_send_sms(struct euicc_card *c, const struct sms_addr *to, const uint8_t *packet, size_t len, uint8_t iei)
{
	static struct sms_concat_seg segs[8];
	static uint16_t ref;
	struct sms_tpdu t;
	uint8_t tpdu[200];
	int n, tl;

	n = sms_concat_split(packet, len, iei, SMS_CONCAT_REF8, ++ref, segs, 8);
	if (n < 0)
		return n;
	if ((unsigned int)n + c->q_n > EUICC_PROACTIVE_MAX)
		return -ENOSPC;
	for (int i = 0; i < n; i++) {
		struct cat_proactive cmd = { .details = { .type = CAT_CMD_SEND_SHORT_MESSAGE } };
		memset(&t, 0, sizeof(t));
		sms_tpdu_init_data_download(&t, SMS_TPDU_SUBMIT);
		t.addr = *to;
		t.mr = 0;
		t.ud = segs[i].ud;
		t.ud_len = segs[i].len;
		t.udl = (uint8_t)segs[i].len;
		tl = sms_tpdu_encode(&t, tpdu, sizeof(tpdu));
		if (tl < 0)
			return tl;
		cmd.dev.dst = CAT_DEV_NETWORK;
		cmd.tpdu.data = tpdu;
		cmd.tpdu.len = (size_t)tl;
		if (euicc_card_proactive_push(c, &cmd, NULL, NULL) < 0)
			return -ENOSPC;
	}
	return 0;
}

/* --- script engine ------------------------------------------------------------------------------ */

static bool sw_ok(uint16_t sw)
{
	/* TS 102 226 §5.2.1 / §5.1.1: the script stops at the first command that does not succeed */
	uint8_t sw1 = sw >> 8;
	return sw1 == 0x90 || sw1 == 0x91 || sw1 == 0x61 || sw1 == 0x62 || sw1 == 0x63;
}

static void exec_apdu(struct euicc_card *c, const struct euicc_session *s, const uint8_t *apdu, size_t len,
		      struct euicc_rsp *r)
{
	struct euicc_isdp p;

	memset(r, 0, sizeof(*r));
	if (s->tar != IDS_TAR_ISD_R) {
		/* ES8: a C-APDU for an ISD-P goes to the extension */
		uint16_t sw = 0x6A88;
		int n = -ENOTSUP;
		if (c->ext.isdp_item && euicc_store_isdp_get_by_tar(c->st, s->tar, &p) == 0)
			n = c->ext.isdp_item(c, &p, RSCRIPT_CMD_CAPDU, apdu, len, r->data, sizeof(r->data) - 2, &sw,
					     c->ext.priv);
		r->len = n > 0 ? (size_t)n : 0;
		r->sw = sw;
		return;
	}
	euicc_isdr_apdu(c, s, apdu, len, r);
}

#define OUT_RAW 0xFFFFFFFFu /* out_item holding whole response TLVs */

struct out_item {
	uint32_t tag;
	uint16_t sw;
	uint8_t code;
	size_t len;
	uint8_t data[EUICC_RAPDU_MAX];
};

static int run_expanded(struct euicc_card *c, const struct euicc_session *s, const uint8_t *script, size_t len,
			uint8_t *resp, size_t cap)
{
	static struct out_item items[SCRIPT_MAX_ITEMS];
	struct rscript_cmd_iter it;
	struct rscript_cmd_item ci;
	struct rscript_builder b;
	struct euicc_rsp r;
	size_t n = 0;
	uint32_t count = 0;
	int rc;

	rc = rscript_cmd_open(&it, script, len);
	if (rc < 0)
		return rc;
	while (n < SCRIPT_MAX_ITEMS && (rc = rscript_cmd_next(&it, &ci)) > 0) {
		if (ci.kind == RSCRIPT_CMD_CAPDU) {
			exec_apdu(c, s, ci.value, ci.len, &r);
			count++;
			items[n].tag = RSCRIPT_RSP_RAPDU;
			items[n].sw = r.sw;
			items[n].len = r.len;
			memcpy(items[n].data, r.data, r.len);
			n++;
			if (!sw_ok(r.sw))
				break;
		} else if (ci.kind == RSCRIPT_CMD_SCP03T_INIT || ci.kind == RSCRIPT_CMD_SCP03T_EXT_AUTH ||
			   ci.kind == RSCRIPT_CMD_SCP03T_DATA) {
			struct euicc_isdp p;
			uint16_t sw = 0;
			int k = -ENOTSUP;
			count++;
			if (c->ext.isdp_item && euicc_store_isdp_get_by_tar(c->st, s->tar, &p) == 0)
				k = c->ext.isdp_item(c, &p, (uint8_t)ci.kind, ci.value, ci.len, items[n].data,
						     sizeof(items[n].data), &sw, c->ext.priv);
			if (k < 0) {
				/* no ES8 extension / not an ISD-P: 90 bad format, unknown tag (table 5.12) */
				items[n].tag = RSCRIPT_RSP_BAD_FORMAT;
				items[n].code = RSCRIPT_BAD_FORMAT_UNKNOWN_TAG;
				n++;
				break;
			}
			/* the extension answers whole TLVs: 84/85/86, or 9F4x on an error (open-questions §5),
			 * after which the script stops like after a failed C-APDU */
			items[n].tag = OUT_RAW;
			items[n].len = (size_t)k;
			n++;
			if (!sw_ok(sw))
				break;
		}
		/* 81 / 82 actions and 83 chaining: accepted, nothing to answer */
	}
	if (rc < 0 && n < SCRIPT_MAX_ITEMS) {
		items[n].tag = RSCRIPT_RSP_BAD_FORMAT;
		items[n].code = (uint8_t)it.bad_format;
		n++;
	}
	rscript_rsp_begin(&b, resp, cap, it.coding);
	if (it.coding == RSCRIPT_DEFINITE)
		rscript_rsp_add_count(&b, count);
	for (size_t i = 0; i < n; i++) {
		if (items[i].tag == RSCRIPT_RSP_RAPDU)
			rscript_rsp_add_rapdu(&b, items[i].data, items[i].len, items[i].sw);
		else if (items[i].tag == OUT_RAW)
			bertlv_put_raw(&b.w, items[i].data, items[i].len);
		else if (items[i].tag == RSCRIPT_RSP_BAD_FORMAT)
			rscript_rsp_add_code(&b, RSCRIPT_RSP_BAD_FORMAT, items[i].code);
		else
			rscript_rsp_add(&b, items[i].tag, items[i].data, items[i].len);
	}
	return rscript_rsp_finish(&b);
}

static int run_compact(struct euicc_card *c, const struct euicc_session *s, const uint8_t *script, size_t len,
		       uint8_t *resp, size_t cap)
{
	struct rscript_compact_iter it;
	struct rscript_apdu a;
	struct rscript_compact_rsp cr = { 0 };
	static struct euicc_rsp r;
	int rc;

	memset(&r, 0, sizeof(r));
	rscript_compact_init(&it, script, len, RSCRIPT_COMPACT_TPDU, NULL, NULL);
	while ((rc = rscript_compact_next(&it, &a)) > 0) {
		exec_apdu(c, s, a.raw, a.raw_len, &r);
		cr.count++;
		if (!sw_ok(r.sw))
			break;
	}
	if (rc < 0 && !cr.count)
		return rc;
	cr.sw = r.sw;
	cr.data = r.data;
	cr.data_len = r.len;
	return rscript_compact_rsp_encode(resp, cap, &cr);
}

int euicc_card_script_run(struct euicc_card *c, const struct euicc_session *s, const uint8_t *script, size_t len,
			  uint8_t *resp, size_t cap)
{
	if (!len)
		return -EBADMSG;
	c->script_seq++;
	if (script[0] == RSCRIPT_TAG_CMD_DEFINITE || script[0] == RSCRIPT_TAG_CMD_INDEFINITE)
		return run_expanded(c, s, script, len, resp, cap);
	return run_compact(c, s, script, len, resp, cap);
}

/* --- SMS-PP download ---------------------------------------------------------------------------- */

/* Key material for the KIc / KID key indexes (= ISD-R KVN, TS 102 225 §5.1.2). */
static int load_keys(struct euicc_card *c, const struct scp80_cmd *h, struct euicc_keyset *kic_ks,
		     struct euicc_keyset *kid_ks, struct scp80_keys *keys)
{
	memset(keys, 0, sizeof(*keys));
	if (h->spi.ciphering) {
		if (euicc_store_keyset_get(c->st, h->kic >> 4, kic_ks) < 0 || kic_ks->type != EUICC_KEYSET_SCP80 ||
		    !kic_ks->key_len[0])
			return -ENOENT;
		keys->kic_key = kic_ks->key[0];
		keys->kic_key_len = kic_ks->key_len[0];
	}
	if (h->spi.integrity != SCP80_INTEG_NONE || !h->spi.ciphering) {
		if (euicc_store_keyset_get(c->st, h->kid >> 4, kid_ks) < 0 || kid_ks->type != EUICC_KEYSET_SCP80 ||
		    !kid_ks->key_len[1])
			return -ENOENT;
		keys->kid_key = kid_ks->key[1];
		keys->kid_key_len = kid_ks->key_len[1];
	} else {
		*kid_ks = *kic_ks;
	}
	return 0;
}

static void send_por(struct euicc_card *c, const struct sms_tpdu *deliver, const struct scp80_cmd *h,
		     const struct scp80_keys *keys, uint8_t status, const uint8_t *data, size_t len, bool secured,
		     struct euicc_rsp *r)
{
	static uint8_t por[OTA_PKT_MAX];
	struct scp80_por_params pp = { 0 };
	struct scp80_keys none = { 0 };
	int n;

	memcpy(pp.spi, h->spi_raw, 2);
	if (!secured)
		pp.spi[1] &= (uint8_t)~0x1C; /* unsecured PoR: no RC/CC/DS, not ciphered */
	pp.kic = h->kic;
	pp.kid = h->kid;
	memcpy(pp.tar, h->tar, 3);
	memcpy(pp.cntr, h->cntr, SCP80_CNTR_LEN);
	pp.status = status;
	n = scp80_por_wrap(por, sizeof(por), &pp, secured ? keys : &none, data, len);
	if (n < 3)
		return;
	if (h->spi.por_in_submit) {
		/* by SMS-SUBMIT to the originating address of the command (TS 31.115 §4.2); the split adds
		 * the UDH again, so pass the packet without its 02 71 00 */
		euicc_ota_send_sms(c, &deliver->addr, por + 3, (size_t)n - 3, SMS_IEI_RPI);
		return;
	}
	if ((size_t)n > sizeof(r->data) - 2)
		return;
	memcpy(r->data, por, (size_t)n);
	r->len = (size_t)n;
}

void euicc_ota_sms_pp(struct euicc_card *c, const struct cat_envelope *env, struct euicc_rsp *r)
{
	static uint8_t pkt[OTA_PKT_MAX], plain[OTA_PKT_MAX], resp[1024];
	struct sms_tpdu t;
	struct sms_udh udh;
	struct scp80_cmd h;
	struct euicc_keyset kic_ks = { 0 }, kid_ks = { 0 };
	struct scp80_keys keys;
	struct scp80_counter_policy pol = { 0 };
	struct euicc_session s = { 0 };
	struct euicc_isdp isdp;
	size_t plen;
	int rc, n;
	uint32_t tar;
	bool want_por;

	if (sms_tpdu_decode(&t, SMS_TPDU_DELIVER, env->tpdu.data, env->tpdu.len) < 0 || !t.udhi ||
	    t.pid != SMS_PID_SIM_DATA_DOWNLOAD)
		return;
	if (sms_udh_decode(&udh, t.ud, t.ud_len) < 0)
		return;
	if (!sms_udh_find(&udh, SMS_IEI_CONCAT_8) && !sms_udh_find(&udh, SMS_IEI_CONCAT_16)) {
		/* a single SMS: a new packet whatever is pending */
		if (!sms_udh_find(&udh, SMS_IEI_CPI))
			return;
		plen = t.ud_len - udh.len;
		memcpy(pkt, t.ud + udh.len, plen);
	} else {
		rc = sms_concat_add(&c->concat, t.ud, t.ud_len);
		if (rc == -EXDEV) { /* a segment of a new set: the old set is abandoned */
			sms_concat_reset(&c->concat);
			rc = sms_concat_add(&c->concat, t.ud, t.ud_len);
		}
		if (rc <= 0)
			return;
		rc = sms_concat_assemble(&c->concat, pkt, sizeof(pkt));
		sms_concat_reset(&c->concat);
		if (rc < 0)
			return;
		plen = (size_t)rc;
	}

	if (scp80_cmd_decode_header(&h, pkt, plen) < 0)
		return; /* silent drop */
	want_por = h.spi.por == SCP80_POR_REQUIRED || h.spi.por == SCP80_POR_ON_ERROR;
	tar = (uint32_t)(h.tar[0] << 16 | h.tar[1] << 8 | h.tar[2]);
	if (tar != IDS_TAR_ISD_R && !(c->ext.isdp_item && euicc_store_isdp_get_by_tar(c->st, tar, &isdp) == 0)) {
		if (want_por && c->cfg.secerr == EUICC_SECERR_POR_UNSECURED) {
			memset(h.cntr, 0, sizeof(h.cntr));
			send_por(c, &t, &h, NULL, SCP80_ST_TAR_UNKNOWN, NULL, 0, false, r);
		}
		return;
	}
	if (load_keys(c, &h, &kic_ks, &kid_ks, &keys) < 0) {
		if (want_por && c->cfg.secerr == EUICC_SECERR_POR_UNSECURED) {
			memset(h.cntr, 0, sizeof(h.cntr));
			send_por(c, &t, &h, NULL, SCP80_ST_UNIDENTIFIED_SECURITY_ERROR, NULL, 0, false, r);
		}
		return;
	}
	pol.check = true;
	pol.last = kid_ks.cntr_in;
	pol.max_gap = c->cfg.cntr_max_gap;
	rc = scp80_cmd_unwrap(&h, pkt, plen, &keys, &pol, plain, sizeof(plain));
	if (rc < 0)
		return;
	if (h.verdict == SCP80_V_OK && !scp80_spi_security_sufficient(&h.spi)) {
		h.verdict = SCP80_V_CHECK_FAILED;
		h.status = SCP80_ST_INSUFFICIENT_SECURITY_LEVEL;
	}
	if (h.verdict != SCP80_V_OK) {
		if (want_por && c->cfg.secerr == EUICC_SECERR_POR_UNSECURED)
			send_por(c, &t, &h, NULL, h.status, NULL, 0, false, r);
		return;
	}
	/* The counter is committed before the script runs: a replay after a power cycle is still one. */
	if (h.spi.counter != SCP80_CNTR_NONE &&
	    euicc_store_keyset_set_cntr(c->st, kid_ks.kvn, scp80_cntr_get(h.cntr), kid_ks.cntr_out) < 0)
		return;

	s.kvn = kid_ks.kvn;
	s.tar = tar;
	c->script_switched = false;
	if (tar == IDS_TAR_ISD_R && h.data_len && h.data[0] == 0x81) {
		/* GP Amd B push (digest §5.2): the SCP81 extension opens the admin session */
		n = c->ext.push ? c->ext.push(c, &s, h.data, h.data_len, resp, sizeof(resp), c->ext.priv) : 0;
		if (n < 0)
			n = 0;
	} else {
		n = euicc_card_script_run(c, &s, h.data, h.data_len, resp, sizeof(resp));
	}
	if (n < 0) {
		if (want_por)
			send_por(c, &t, &h, &keys, SCP80_ST_POR_OK, NULL, 0, true, r);
		return;
	}
	if (h.spi.por == SCP80_POR_REQUIRED && !(c->script_switched && c->cfg.por_refresh == EUICC_NO_POR_ON_ENABLE))
		send_por(c, &t, &h, &keys, SCP80_ST_POR_OK, resp, (size_t)n, true, r);
	euicc_switch_refresh_if_pending(c);
}
