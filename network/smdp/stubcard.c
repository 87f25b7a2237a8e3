/* rsplab-smdp test double: SM-SR + eUICC behind ES3 (see stubcard.h). */
#include <errno.h>
#include <string.h>

#include <osmocom/core/talloc.h>
#include <osmocom/core/utils.h>

#include "lib/crypto/ec.h"
#include "lib/crypto/sym.h"
#include "lib/crypto/x509.h"
#include "lib/es5/es5.h"
#include "lib/ids/ids.h"
#include "lib/saip/saip.h"
#include "lib/tls/pki.h"
#include "lib/tlv/bertlv.h"
#include "network/smdp/stubcard.h"

#define RSP_MAX 8192

struct queued {
	struct llist_head list;
	uint32_t call_id;
	struct es_msg *resp; /* children of this entry hold its buffers */
};

static const uint8_t test_eid[16] = { 0x89, 0x00, 0x10, 0x12, 0x01, 0x23, 0x41, 0x23,
				      0x40, 0x12, 0x34, 0x56, 0x78, 0x90, 0x12, 0x24 };

static int make_gpcert(uint8_t *out, size_t cap, enum gpcert_type type, EVP_PKEY *issuer, EVP_PKEY *subject)
{
	static const uint8_t serial[] = { 0x01, 0x02 }, ca[] = { 0xCA, 0x01 }, subj[] = { 0x5B, 0x01 },
			     sdin[] = { 0x45, 0x45 };
	uint8_t point[EC_POINT_LEN];
	struct gpcert c;

	memset(&c, 0, sizeof(c));
	if (crypto_ec_export_public(subject, point) < 0)
		return -EIO;
	c.serial = (struct gpcert_bytes){ serial, sizeof(serial) };
	c.ca_id = (struct gpcert_bytes){ ca, sizeof(ca) };
	c.subject_id = (struct gpcert_bytes){ subj, sizeof(subj) };
	c.expiration = 21450101; /* digest §4.6 example */
	c.public_key = point;
	c.curve = (enum crypto_curve)crypto_ec_curve_of(subject);
	if (type == GPCERT_TYPE_ECASD) {
		c.key_usage = GPCERT_KU_ECASD;
		c.key_usage_len = 2;
		c.sdin = (struct gpcert_bytes){ sdin, sizeof(sdin) };
	} else {
		c.key_usage = GPCERT_KU_SIGN;
		c.key_usage_len = 1;
		c.has_cert_type = true;
		c.cert_type = type == GPCERT_TYPE_DP ? GPCERT_CERT_TYPE_SMDP : GPCERT_CERT_TYPE_SMSR;
	}
	return gpcert_sign(out, cap, &c, NULL, issuer);
}

static int stub_destructor(struct smdp_stub *st)
{
	EVP_PKEY_free(st->ci_key);
	EVP_PKEY_free(st->eum_key);
	EVP_PKEY_free(st->ecasd_key);
	EVP_PKEY_free(st->dp_pub);
	X509_free(st->ci_x509);
	X509_free(st->eum_x509);
	return 0;
}

struct smdp_stub *smdp_stub_alloc(void *ctx, struct smdp_cfg *cfg)
{
	struct smdp_stub *st = talloc_zero(ctx, struct smdp_stub);
	struct tls_pki_cert_params ci_p = {
		.cn = "rsplab test CI", .is_ca = true, .not_before_s = -3600, .not_after_s = 86400, .serial = 1
	};
	struct tls_pki_cert_params eum_p = {
		.cn = "rsplab test EUM", .is_ca = true, .not_before_s = -3600, .not_after_s = 86400, .serial = 2
	};
	struct smdp_smsr_peer *peer;
	int n;

	if (!st)
		return NULL;
	talloc_set_destructor(st, stub_destructor);
	INIT_LLIST_HEAD(&st->queue);
	memcpy(st->eid, test_eid, sizeof(st->eid));
	st->remaining_memory = 1 << 20;
	st->drop = ES_MSG_NONE;
	st->next_tar = IDS_TAR_ISD_P_MIN;
	smdp_variants_default(&st->card_v);
	st->ci_key = tls_pki_key_p256();
	st->eum_key = tls_pki_key_p256();
	if (crypto_ec_generate(CRYPTO_CURVE_P256, &st->ecasd_key) < 0 || !st->ci_key || !st->eum_key)
		goto fail;
	st->ci_x509 = tls_pki_cert_issue(&ci_p, st->ci_key, NULL, NULL);
	st->eum_x509 = st->ci_x509 ? tls_pki_cert_issue(&eum_p, st->eum_key, st->ci_x509, st->ci_key) : NULL;
	if (!st->eum_x509)
		goto fail;
	n = make_gpcert(st->ecasd_cert, sizeof(st->ecasd_cert), GPCERT_TYPE_ECASD, st->eum_key, st->ecasd_key);
	if (n <= 0)
		goto fail;
	st->ecasd_cert_len = (size_t)n;
	/* The SM-DP side. */
	if (crypto_ec_generate(CRYPTO_CURVE_P256, &cfg->dp_key) < 0)
		goto fail;
	n = make_gpcert(cfg->dp_cert, sizeof(cfg->dp_cert), GPCERT_TYPE_DP, st->ci_key, cfg->dp_key);
	if (n <= 0)
		goto fail;
	cfg->dp_cert_len = (size_t)n;
	cfg->ci = X509_dup(st->ci_x509);
	cfg->eum[0] = X509_dup(st->eum_x509);
	cfg->n_eum = 1;
	osmo_strlcpy(cfg->mno_id, "1.3.6.1.4.1.99999.3", sizeof(cfg->mno_id));
	osmo_strlcpy(cfg->smdp_id, "1.3.6.1.4.1.99999.5", sizeof(cfg->smdp_id));
	peer = smdp_cfg_peer(cfg, "sr1", true);
	if (!peer || !cfg->ci || !cfg->eum[0])
		goto fail;
	return st;
fail:
	talloc_free(st);
	return NULL;
}

void smdp_stub_free(struct smdp_stub *st)
{
	talloc_free(st);
}

void smdp_stub_card_reset(struct smdp_stub *st)
{
	st->isdp = false;
	st->scp_ready = false;
	st->pkg_len = 0;
	st->segments = 0;
	EVP_PKEY_free(st->dp_pub);
	st->dp_pub = NULL;
}

int smdp_stub_bad_ecasd_cert(struct smdp_stub *st)
{
	EVP_PKEY *rogue = tls_pki_key_p256();
	int n;

	if (!rogue)
		return -EIO;
	n = make_gpcert(st->ecasd_cert, sizeof(st->ecasd_cert), GPCERT_TYPE_ECASD, rogue, st->ecasd_key);
	EVP_PKEY_free(rogue);
	if (n <= 0)
		return -EIO;
	st->ecasd_cert_len = (size_t)n;
	return 0;
}

int smdp_stub_add_profile(struct smdp_store *store, const char *iccid, const char *imsi, const char *type)
{
	uint8_t k[16], opc[16], pkg[4096];
	struct saip_build_params bp = { .version = SAIP_VERSION_2_0,
					.profile_type = type,
					.iccid = iccid,
					.imsi = imsi,
					.algo = SAIP_ALGO_MILENAGE,
					.key = k,
					.opc = opc,
					.pol1 = -1 };
	struct saip_profile sp;
	struct smdp_profile p = { .pol1 = -1 };
	int n;

	if (crypto_random(k, sizeof(k)) < 0 || crypto_random(opc, sizeof(opc)) < 0)
		return -EIO;
	n = saip_build(pkg, sizeof(pkg), &bp);
	if (n <= 0)
		return n < 0 ? n : -EINVAL;
	if (saip_decode(&sp, pkg, (size_t)n, NULL) < 0)
		return -EBADMSG;
	osmo_strlcpy(p.iccid, sp.iccid, sizeof(p.iccid));
	osmo_strlcpy(p.imsi, sp.imsi, sizeof(p.imsi));
	osmo_strlcpy(p.profile_type, type ? type : "", sizeof(p.profile_type));
	p.algo = sp.algo;
	memcpy(p.k, sp.key.buf, p.k_len = sp.key.len);
	memcpy(p.opc, sp.opc.buf, p.opc_len = sp.opc.len);
	return smdp_store_profile_add(store, &p, pkg, (size_t)n);
}

/* --- answers ------------------------------------------------------------------------------------------ */

static struct queued *answer_new(struct smdp_stub *st, uint32_t call_id, enum es_msg_id id)
{
	struct queued *q = talloc_zero(st, struct queued);

	q->call_id = call_id;
	q->resp = talloc_zero(q, struct es_msg);
	q->resp->id = id;
	return q;
}

static struct es_fes *fes_of(struct es_msg *m)
{
	switch (m->id) {
	case ES_MSG_ES3_GET_EIS_RESP: return &m->u.es3_get_eis_resp.function_execution_status;
	case ES_MSG_ES3_AUDIT_EIS_RESP: return &m->u.es3_audit_eis_resp.function_execution_status;
	case ES_MSG_ES3_CREATE_ISDP_RESP: return &m->u.es3_create_isdp_resp.function_execution_status;
	case ES_MSG_ES3_SEND_DATA_RESP: return &m->u.es3_send_data_resp.function_execution_status;
	case ES_MSG_ES3_PROFILE_DOWNLOAD_COMPLETED_RESP:
		return &m->u.es3_profile_download_completed_resp.function_execution_status;
	case ES_MSG_ES3_ENABLE_PROFILE_RESP: return &m->u.es3_enable_profile_resp.function_execution_status;
	case ES_MSG_ES3_DISABLE_PROFILE_RESP: return &m->u.es3_disable_profile_resp.function_execution_status;
	case ES_MSG_ES3_DELETE_ISDP_RESP: return &m->u.es3_delete_isdp_resp.function_execution_status;
	case ES_MSG_ES3_UPDATE_POLICY_RULES_RESP: return &m->u.es3_update_policy_rules_resp.function_execution_status;
	case ES_MSG_ES3_UPDATE_SUBSCRIPTION_ADDRESS_RESP:
		return &m->u.es3_update_subscription_address_resp.function_execution_status;
	default: return NULL;
	}
}

static void set_status(struct es_msg *m, enum es_status s, const char *subject, const char *reason)
{
	smdp_fes_set(fes_of(m), s, subject, reason, NULL);
}

/* One card command of the script: an APDU. Writes the R-APDU into the response builder. */
static uint16_t card_apdu(struct smdp_stub *st, const uint8_t *raw, size_t len, struct rscript_builder *b)
{
	struct rscript_apdu a;
	struct es5_command c;
	uint8_t out[64];
	size_t out_len = 0;
	uint16_t sw = 0x9000;

	if (rscript_apdu_parse(&a, raw, len) < 0) {
		sw = 0x6700;
		goto done;
	}
	if (es5_command_decode(&c, a.cla, a.ins, a.p1, a.p2, a.data, a.lc) < 0) {
		sw = 0x6A80;
		goto done;
	}
	switch (c.fn) {
	case ES5_FN_INSTALL_PERSO:
		if (!st->isdp || c.u.aid.len != 16 || memcmp(c.u.aid.buf, st->isdp_aid, 16) != 0)
			sw = 0x6A88;
		break;
	case ES5_FN_KEYSET_CERT: {
		struct gpcert cert;
		struct gpcert_check_opts o = { .check_type = true, .type = GPCERT_TYPE_DP, .date = 20300101 };
		EVP_PKEY *ci_pub = NULL;
		int ok = crypto_x509_public_key(st->ci_x509, &ci_pub) == 0 &&
			 gpcert_decode_exact(&cert, c.u.keyset_cert.cert.buf, c.u.keyset_cert.cert.len, NULL) > 0 &&
			 gpcert_check(&cert, ci_pub, &o, NULL) == 0;
		EVP_PKEY_free(ci_pub);
		EVP_PKEY_free(st->dp_pub);
		st->dp_pub = NULL;
		if (!ok || gpcert_public_key(&cert, &st->dp_pub, NULL) < 0) {
			sw = 0x6982;
			break;
		}
		crypto_random(st->rc, sizeof(st->rc));
		out[0] = 0x85;
		out[1] = sizeof(st->rc);
		memcpy(out + 2, st->rc, sizeof(st->rc));
		out_len = 2 + sizeof(st->rc);
		break;
	}
	case ES5_FN_KEYSET_KEYAGREEMENT: {
		uint8_t sd[300], epk_tlv[80];
		struct bertlv_writer w;
		struct ecka_card_result r;
		const uint8_t *point;
		struct ecka_crt crt;
		int n;

		n = es5_keyset_signed_data(sd, sizeof(sd), c.u.keyset_keyagreement.a6.buf,
					   c.u.keyset_keyagreement.a6.len, c.u.keyset_keyagreement.epk_value.buf,
					   c.u.keyset_keyagreement.epk_value.len, st->rc, sizeof(st->rc));
		if (!st->dp_pub || n <= 0 ||
		    crypto_ecdsa_verify(st->dp_pub, sd, (size_t)n, c.u.keyset_keyagreement.sig.buf,
					c.u.keyset_keyagreement.sig.len) < 0) {
			sw = 0x6982;
			break;
		}
		bertlv_writer_init(&w, epk_tlv, sizeof(epk_tlv));
		bertlv_put(&w, 0x7F49, c.u.keyset_keyagreement.epk_value.buf, c.u.keyset_keyagreement.epk_value.len);
		n = bertlv_writer_finish(&w);
		if (n <= 0 || ecka_epk_decode(epk_tlv, (size_t)n, &point) < 0 ||
		    ecka_crt_decode(&crt, c.u.keyset_keyagreement.a6.buf, c.u.keyset_keyagreement.a6.len) < 0 ||
		    ecka_card_establish(st->ecasd_key, point, EC_POINT_LEN, c.u.keyset_keyagreement.a6.buf,
					c.u.keyset_keyagreement.a6.len, ECKA_TARGET_ISDP, &st->card_v.ecka, NULL,
					&r) < 0) {
			sw = 0x6A80;
			break;
		}
		if (r.dr_len) {
			out[out_len++] = 0x85;
			out[out_len++] = (uint8_t)r.dr_len;
			memcpy(out + out_len, r.dr, r.dr_len);
			out_len += r.dr_len;
		}
		if (st->corrupt_receipt)
			r.receipt[0] ^= 0x01;
		out[out_len++] = 0x86;
		out[out_len++] = ECKA_RECEIPT_LEN;
		memcpy(out + out_len, r.receipt, ECKA_RECEIPT_LEN);
		out_len += ECKA_RECEIPT_LEN;
		{
			const uint8_t seq[SCP03_SEQ_LEN] = { 0, 0, 1 };
			st->scp_ready = scp03t_card_init(&st->scp, &st->card_v.scp03t, r.keys.key[0], r.keys.key[1],
							 r.keys.key_len, crt.kvn, seq, st->isdp_aid, 16) == 0;
		}
		st->isdp_state = ES5_ISDP_PERSONALIZED;
		break;
	}
	default: sw = 0x6D00; break;
	}
done:
	rscript_rsp_add_rapdu(b, out, out_len, sw);
	return sw;
}

/* One SCP03t TLV of the script. */
static int card_scp03t(struct smdp_stub *st, uint32_t tag, const uint8_t *value, size_t len, struct rscript_builder *b)
{
	uint8_t in[SCP03T_MAX_TLV], rsp[SCP03T_MAX_TLV], plain[SCP03T_MAX_VALUE], euicc[64];
	size_t plain_len = 0, rsp_len = 0;
	struct bertlv_writer w;
	struct bertlv t;
	int n;

	bertlv_writer_init(&w, in, sizeof(in));
	bertlv_put(&w, tag, value, len);
	n = bertlv_writer_finish(&w);
	if (n <= 0 || !st->scp_ready)
		return -1;
	if (tag == SCP03T_TAG_DATA && st->seg_error && st->segments + 1 == st->seg_error) {
		rsp_len = (size_t)scp03t_error_encode(SCP03T_TAG_DATA, SCP03T_ERR_SECURITY, rsp, sizeof(rsp));
		goto out;
	}
	if (scp03t_card_handle(&st->scp, in, (size_t)n, plain, sizeof(plain), &plain_len, rsp, sizeof(rsp), &rsp_len) <
	    0)
		return -1;
	if (tag == SCP03T_TAG_DATA && rsp[0] == SCP03T_TAG_DATA) {
		struct saip_profile sp;
		st->segments++;
		if (st->pkg_len + plain_len > st->pkg_cap) {
			uint8_t *np = talloc_realloc_size(st, st->pkg, st->pkg_len + plain_len + 4096);
			if (!np)
				return -1;
			st->pkg = np;
			st->pkg_cap = st->pkg_len + plain_len + 4096;
		}
		memcpy(st->pkg + st->pkg_len, plain, plain_len);
		st->pkg_len += plain_len;
		/* PE-End received: the package is complete, answer with the EUICCResponse (TCA, digest §4.9). */
		if (saip_decode(&sp, st->pkg, st->pkg_len, NULL) == 0 && sp.has_end) {
			struct saip_euicc_response er = { .n = 1 };
			er.st[0] = (struct saip_pe_status){
				.status = st->pe_error, .identification = 1, .additional_info = -1, .offset = -1
			};
			n = saip_euicc_response_encode(euicc, sizeof(euicc), &er);
			if (n <= 0)
				return -1;
			n = scp03t_card_respond_data(&st->scp, euicc, (size_t)n, rsp, sizeof(rsp));
			if (n <= 0)
				return -1;
			rsp_len = (size_t)n;
			st->isdp_state = st->pe_error ? ES5_ISDP_PERSONALIZED : ES5_ISDP_DISABLED;
		}
	}
out:
	if (bertlv_decode(&t, rsp, rsp_len) <= 0)
		return -1;
	rscript_rsp_add(b, t.tag, t.value, t.len);
	return (t.tag & 0xFFF0) == SCP03T_TAG_ERROR_BASE ? -1 : 0;
}

static void card_send_data(struct smdp_stub *st, const struct es3_send_data_req *r, struct queued *q)
{
	struct rscript_cmd_item items[16];
	struct rscript_builder b;
	uint8_t *out = talloc_size(q, RSP_MAX);
	size_t n = 0, executed = 0;
	enum rscript_coding coding;
	int len;

	if (!r->data.data || rscript_cmd_decode(r->data.data, r->data.len, items, ARRAY_SIZE(items), &n) < 0 ||
	    n > ARRAY_SIZE(items)) {
		set_status(q->resp, ES_STATUS_FAILED, "8.4", "2.1");
		return;
	}
	coding = r->data.data[0] == RSCRIPT_TAG_CMD_INDEFINITE ? RSCRIPT_INDEFINITE : RSCRIPT_DEFINITE;
	for (size_t i = 0; i < n; i++)
		if (items[i].kind != RSCRIPT_CMD_SCRIPT_CHAINING)
			executed++;
	/* Two passes would be needed for an exact count after an error; the stub stops at the first one
	 * and reports the count of commands it was given (TS 102 226 leaves the card room here). */
	rscript_rsp_begin(&b, out, RSP_MAX, coding);
	if (coding == RSCRIPT_DEFINITE)
		rscript_rsp_add_count(&b, (uint32_t)executed);
	for (size_t i = 0; i < n; i++) {
		if (items[i].kind == RSCRIPT_CMD_SCRIPT_CHAINING)
			continue;
		if (items[i].kind == RSCRIPT_CMD_CAPDU) {
			if (card_apdu(st, items[i].value, items[i].len, &b) != 0x9000)
				break;
		} else if (card_scp03t(st, items[i].kind, items[i].value, items[i].len, &b) < 0) {
			break;
		}
	}
	len = rscript_rsp_finish(&b);
	if (len <= 0) {
		set_status(q->resp, ES_STATUS_FAILED, "8.4", "4.2");
		return;
	}
	set_status(q->resp, ES_STATUS_EXECUTED_SUCCESS, NULL, NULL);
	q->resp->u.es3_send_data_resp.euicc_response_data = (struct es_hex){ out, (size_t)len };
}

static bool eid_match(const struct smdp_stub *st, const struct es_hex *eid)
{
	return !st->unknown_eid && eid->data && eid->len == 16 && memcmp(eid->data, st->eid, 16) == 0;
}

/* The answer to req in a new queue entry (NULL: not an ES3 request the stub serves). */
static struct queued *stub_answer(struct smdp_stub *st, uint32_t call_id, const struct es_msg *req)
{
	struct queued *q;

	st->n_calls[req->id]++;
	q = answer_new(st, call_id, (enum es_msg_id)(req->id + 1));
	switch (req->id) {
	case ES_MSG_ES3_GET_EIS_REQ: {
		struct es_eis *eis = &q->resp->u.es3_get_eis_resp.eis;
		if (!eid_match(st, &req->u.es3_get_eis_req.eid)) {
			set_status(q->resp, ES_STATUS_FAILED, "8.1.1", "1.1");
			break;
		}
		es_example_fill(q->resp, ES_MSG_ES3_GET_EIS_RESP);
		memset(&q->resp->wsa, 0, sizeof(q->resp->wsa)); /* the transport fills the WS-A headers */
		set_status(q->resp, ES_STATUS_EXECUTED_SUCCESS, NULL, NULL);
		eis->eum_signed_info.eid = (struct es_hex){ st->eid, 16 };
		eis->eum_signed_info.ecasd.keyset[0].type = ES_KEYSET_CA;
		eis->eum_signed_info.ecasd.keyset[0].certificate[0].value =
			(struct es_hex){ st->ecasd_cert, st->ecasd_cert_len };
		eis->remaining_memory = (struct es_int){ true, st->remaining_memory };
		eis->n_profile_info = st->isdp ? 1 : 0;
		eis->profile_info[0].iccid = st->iccid;
		break;
	}
	case ES_MSG_ES3_AUDIT_EIS_REQ: {
		/* The same EIS as GetEIS, with the profile's state as the card has it. */
		struct es_eis *eis = &q->resp->u.es3_audit_eis_resp.eis;
		if (!eid_match(st, &req->u.es3_audit_eis_req.eid)) {
			set_status(q->resp, ES_STATUS_FAILED, "8.1.1", "1.1");
			break;
		}
		es_example_fill(q->resp, ES_MSG_ES3_AUDIT_EIS_RESP);
		memset(&q->resp->wsa, 0, sizeof(q->resp->wsa));
		set_status(q->resp, ES_STATUS_EXECUTED_SUCCESS, NULL, NULL);
		eis->eum_signed_info.eid = (struct es_hex){ st->eid, 16 };
		eis->remaining_memory = (struct es_int){ true, st->remaining_memory };
		eis->n_profile_info = st->isdp ? 1 : 0;
		eis->profile_info[0].iccid = st->iccid;
		eis->profile_info[0].state = st->isdp_state == ES5_ISDP_ENABLED	   ? ES_PROFILE_STATE_ENABLED
					     : st->isdp_state == ES5_ISDP_DISABLED ? ES_PROFILE_STATE_DISABLED
										   : ES_PROFILE_STATE_CREATED;
		break;
	}
	case ES_MSG_ES3_CREATE_ISDP_REQ: {
		uint8_t *aid = talloc_size(q, 16);
		if (!eid_match(st, &req->u.es3_create_isdp_req.eid) || st->create_fail || st->isdp) {
			set_status(q->resp, ES_STATUS_FAILED, "8.4", "4.2");
			break;
		}
		smdp_stub_card_reset(st);
		ids_aid_from_tar(st->isdp_aid, st->next_tar++);
		memcpy(aid, st->isdp_aid, 16);
		st->isdp = true;
		st->isdp_state = ES5_ISDP_SELECTABLE;
		st->n_created++;
		osmo_strlcpy(st->iccid, req->u.es3_create_isdp_req.iccid ? req->u.es3_create_isdp_req.iccid : "",
			     sizeof(st->iccid));
		set_status(q->resp, ES_STATUS_EXECUTED_SUCCESS, NULL, NULL);
		q->resp->u.es3_create_isdp_resp.isd_p_aid = (struct es_hex){ aid, 16 };
		break;
	}
	case ES_MSG_ES3_SEND_DATA_REQ:
		if (!eid_match(st, &req->u.es3_send_data_req.eid) || !st->isdp) {
			set_status(q->resp, ES_STATUS_FAILED, "8.4", "4.2");
			break;
		}
		card_send_data(st, &req->u.es3_send_data_req, q);
		break;
	case ES_MSG_ES3_PROFILE_DOWNLOAD_COMPLETED_REQ:
		if (st->pdc_fail || !st->isdp || st->isdp_state != ES5_ISDP_DISABLED)
			set_status(q->resp, ES_STATUS_FAILED, "8.2.1", "1.1");
		else
			set_status(q->resp, ES_STATUS_EXECUTED_SUCCESS, NULL, NULL);
		break;
	case ES_MSG_ES3_ENABLE_PROFILE_REQ:
		if (st->enable_fail || !st->isdp) {
			set_status(q->resp, ES_STATUS_FAILED, "8.2.2", "3.8");
		} else {
			st->isdp_state = ES5_ISDP_ENABLED;
			set_status(q->resp, ES_STATUS_EXECUTED_SUCCESS, NULL, NULL);
		}
		break;
	case ES_MSG_ES3_DISABLE_PROFILE_REQ:
		st->isdp_state = ES5_ISDP_DISABLED;
		set_status(q->resp, st->isdp ? ES_STATUS_EXECUTED_SUCCESS : ES_STATUS_FAILED, "8.2.1", "1.1");
		break;
	case ES_MSG_ES3_DELETE_ISDP_REQ:
		if (st->delete_fail) {
			set_status(q->resp, ES_STATUS_FAILED, "8.4", "4.2");
		} else if (!st->isdp ||
			   strcmp(st->iccid,
				  req->u.es3_delete_isdp_req.iccid ? req->u.es3_delete_isdp_req.iccid : "") != 0) {
			set_status(q->resp, ES_STATUS_FAILED, "8.2.1", "1.1");
		} else {
			smdp_stub_card_reset(st);
			st->n_deleted++;
			set_status(q->resp, ES_STATUS_EXECUTED_SUCCESS, NULL, NULL);
		}
		break;
	case ES_MSG_ES3_UPDATE_POLICY_RULES_REQ:
	case ES_MSG_ES3_UPDATE_SUBSCRIPTION_ADDRESS_REQ:
		set_status(q->resp, st->isdp ? ES_STATUS_EXECUTED_SUCCESS : ES_STATUS_FAILED, "8.2.1", "1.1");
		break;
	default: talloc_free(q); return NULL;
	}
	return q;
}

static int stub_es3_call(struct smdp *s, uint32_t call_id, const struct smdp_smsr_peer *smsr, struct es_msg *req)
{
	struct smdp_stub *st = s->ops.priv;
	struct queued *q = stub_answer(st, call_id, req);

	if (!q)
		return -ENOTSUP;
	if (req->id == st->drop && st->n_calls[req->id] == st->drop_nth) {
		talloc_free(q); /* the answer is lost */
		return 0;
	}
	llist_add_tail(&q->list, &st->queue);
	return 0;
}

struct es_msg *smdp_stub_answer(struct smdp_stub *st, void *ctx, const struct es_msg *req)
{
	struct queued *q = stub_answer(st, 0, req);

	if (!q)
		return NULL;
	talloc_steal(ctx, q);
	return q->resp;
}

static void stub_es2_respond(struct smdp *s, const char *mno_ref, struct es_msg *resp)
{
	struct smdp_stub *st = s->ops.priv;
	const struct es_fes *f = NULL;

	st->n_es2_resp++;
	st->last_es2_id = resp->id;
	osmo_strlcpy(st->last_mno_ref, mno_ref ? mno_ref : "", sizeof(st->last_mno_ref));
	st->last_iccid[0] = st->last_subject[0] = st->last_reason[0] = st->last_message[0] = '\0';
	st->last_eis_present = false;
	switch (resp->id) {
	case ES_MSG_ES2_DOWNLOAD_PROFILE_RESP:
		f = &resp->u.es2_download_profile_resp.function_execution_status;
		osmo_strlcpy(st->last_iccid,
			     resp->u.es2_download_profile_resp.iccid ? resp->u.es2_download_profile_resp.iccid : "",
			     sizeof(st->last_iccid));
		break;
	case ES_MSG_ES2_GET_EIS_RESP:
		f = &resp->u.es2_get_eis_resp.function_execution_status;
		st->last_eis_present = resp->u.es2_get_eis_resp.eis.present;
		break;
	case ES_MSG_ES2_UPDATE_POLICY_RULES_RESP:
		f = &resp->u.es2_update_policy_rules_resp.function_execution_status;
		break;
	case ES_MSG_ES2_UPDATE_SUBSCRIPTION_ADDRESS_RESP:
		f = &resp->u.es2_update_subscription_address_resp.function_execution_status;
		break;
	case ES_MSG_ES2_ENABLE_PROFILE_RESP: f = &resp->u.es2_enable_profile_resp.function_execution_status; break;
	case ES_MSG_ES2_DISABLE_PROFILE_RESP: f = &resp->u.es2_disable_profile_resp.function_execution_status; break;
	case ES_MSG_ES2_DELETE_PROFILE_RESP: f = &resp->u.es2_delete_profile_resp.function_execution_status; break;
	default: break;
	}
	st->last_status = f ? f->status : 0;
	if (f && f->status_code_data.present) {
		osmo_strlcpy(st->last_subject, f->status_code_data.subject ? f->status_code_data.subject : "",
			     sizeof(st->last_subject));
		osmo_strlcpy(st->last_reason, f->status_code_data.reason ? f->status_code_data.reason : "",
			     sizeof(st->last_reason));
		osmo_strlcpy(st->last_message, f->status_code_data.message ? f->status_code_data.message : "",
			     sizeof(st->last_message));
	}
}

static void stub_es2_callback(struct smdp *s, const struct smdp_es2_return *ret, struct es_msg *resp)
{
	struct smdp_stub *st = s->ops.priv;

	st->n_es2_callback++;
	st->last_ret = *ret;
	stub_es2_respond(s, NULL, resp);
}

static void stub_es2_notify(struct smdp *s, struct es_msg *n)
{
	struct smdp_stub *st = s->ops.priv;

	st->n_es2_notif++;
	st->last_es2_id = n->id;
}

void smdp_stub_ops(struct smdp_stub *st, struct smdp_ops *ops)
{
	memset(ops, 0, sizeof(*ops));
	ops->es3_call = stub_es3_call;
	ops->es2_respond = stub_es2_respond;
	ops->es2_callback = stub_es2_callback;
	ops->es2_notify = stub_es2_notify;
	ops->priv = st;
}

unsigned int smdp_stub_run(struct smdp_stub *st)
{
	unsigned int n = 0;

	while (!llist_empty(&st->queue)) {
		struct queued *q = llist_first_entry(&st->queue, struct queued, list);
		llist_del(&q->list);
		smdp_es3_rx(st->s, q->call_id, 0, q->resp);
		talloc_free(q);
		n++;
	}
	return n;
}

unsigned int smdp_stub_drop_queue(struct smdp_stub *st)
{
	unsigned int n = 0;
	struct queued *q, *t;

	llist_for_each_entry_safe (q, t, &st->queue, list) {
		llist_del(&q->list);
		talloc_free(q);
		n++;
	}
	return n;
}
