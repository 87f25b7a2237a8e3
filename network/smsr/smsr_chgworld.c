/* network/smsr test support: the in-process stub world of SM-SR Change (see smsr_chgworld.h). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <CUnit/CUnit.h>
#include <openssl/crypto.h>
#include <osmocom/core/utils.h>
#include <talloc.h>

#include "lib/crypto/sym.h"
#include "lib/gpcert/gpcert.h"
#include "lib/tls/pki.h"
#include "lib/tlv/bertlv.h"
#include "network/smsr/smsr_chgworld.h"

struct cw_world cw;

const uint8_t cw_addressing[7] = { 0x86, 0x05, 0x91, 0x44, 0x77, 0x00, 0xF2 }; /* TS 102 223 address */

/* A world invariant: a CUnit assertion inside a running test (fatal ones end it), exit(1) elsewhere. */
#define CW_CHECK(cond, fatal) cw_check(!!(cond), #cond, fatal, __FILE__, __LINE__, __func__)

static void cw_check(bool ok, const char *what, bool fatal, const char *file, unsigned int line, const char *fn)
{
	if (CU_get_current_test()) {
		CU_assertImplementation(ok ? CU_TRUE : CU_FALSE, line, what, file, fn, fatal ? CU_TRUE : CU_FALSE);
		return;
	}
	if (!ok) {
		fprintf(stderr, "smsr_chgworld: %s:%u: %s: check failed: %s\n", file, line, fn, what);
		exit(1);
	}
}

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...)
{
	va_list ap;

	if (!cw.cfg.narrate)
		return;
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
}

/* ---- PKI ---------------------------------------------------------------------------------------- */

static size_t make_cert(uint8_t *out, size_t cap, enum gpcert_type type, EVP_PKEY *issuer, EVP_PKEY *subject)
{
	static const uint8_t serial[] = { 0x01 }, ca[] = { 0xCA, 0x01 }, subj[] = { 0x5B, 0x01 }, sdin[] = { 0x45 };
	uint8_t point[EC_POINT_LEN];
	struct gpcert c = { 0 };
	int n;

	if (!subject || !issuer || crypto_ec_export_public(subject, point) != 0)
		return 0;
	c.serial = (struct gpcert_bytes){ serial, sizeof(serial) };
	c.ca_id = (struct gpcert_bytes){ ca, sizeof(ca) };
	c.subject_id = (struct gpcert_bytes){ subj, sizeof(subj) };
	c.expiration = 21450101;
	c.public_key = point;
	c.curve = CRYPTO_CURVE_P256;
	if (type == GPCERT_TYPE_ECASD) {
		c.key_usage = GPCERT_KU_ECASD;
		c.key_usage_len = 2;
		c.sdin = (struct gpcert_bytes){ sdin, sizeof(sdin) };
	} else {
		c.key_usage = GPCERT_KU_SIGN;
		c.key_usage_len = 1;
		c.has_cert_type = true;
		c.cert_type = GPCERT_CERT_TYPE_SMSR;
	}
	n = gpcert_sign(out, cap, &c, NULL, issuer);
	return n > 0 ? (size_t)n : 0;
}

static int pki_setup(struct cw_pki *p)
{
	p->ci_key = tls_pki_key_p256();
	p->eum_key = tls_pki_key_p256();
	p->rogue_key = tls_pki_key_p256();
	p->ecasd_key = tls_pki_key_p256();
	p->sr2_key = tls_pki_key_p256();
	p->ci = tls_pki_cert_issue(
		&(struct tls_pki_cert_params){ .cn = "rsplab CI", .is_ca = true, .not_after_s = 86400, .serial = 1 },
		p->ci_key, NULL, NULL);
	p->eum = tls_pki_cert_issue(
		&(struct tls_pki_cert_params){ .cn = "rsplab EUM", .is_ca = true, .not_after_s = 86400, .serial = 2 },
		p->eum_key, p->ci, p->ci_key);
	if (!p->ci || !p->eum)
		return -1;
	p->ecasd_cert_len =
		make_cert(p->ecasd_cert, sizeof(p->ecasd_cert), GPCERT_TYPE_ECASD, p->eum_key, p->ecasd_key);
	p->rogue_ecasd_cert_len = make_cert(p->rogue_ecasd_cert, sizeof(p->rogue_ecasd_cert), GPCERT_TYPE_ECASD,
					    p->rogue_key, p->ecasd_key);
	p->sr2_cert_len = make_cert(p->sr2_cert, sizeof(p->sr2_cert), GPCERT_TYPE_SR, p->ci_key, p->sr2_key);
	p->rogue_sr2_cert_len =
		make_cert(p->rogue_sr2_cert, sizeof(p->rogue_sr2_cert), GPCERT_TYPE_SR, p->rogue_key, p->sr2_key);
	return p->ecasd_cert_len && p->rogue_ecasd_cert_len && p->sr2_cert_len && p->rogue_sr2_cert_len ? 0 : -1;
}

int cw_init(const struct cw_cfg *cfg)
{
	memset(&cw, 0, sizeof(cw));
	cw.cfg = *cfg;
	INIT_LLIST_HEAD(&cw.queue);
	return pki_setup(&cw.pki);
}

void cw_fini(void)
{
	struct cw_pki *p = &cw.pki;

	EVP_PKEY_free(p->ci_key);
	EVP_PKEY_free(p->eum_key);
	EVP_PKEY_free(p->rogue_key);
	EVP_PKEY_free(p->ecasd_key);
	EVP_PKEY_free(p->sr2_key);
	X509_free(p->ci);
	X509_free(p->eum);
	memset(p, 0, sizeof(*p));
}

/* ---- the card: ECASD + ISD-R, computed with lib/ecka and lib/es5 ----------------------------------- */

struct cw_keyset *cw_card_ks(uint8_t kvn)
{
	for (unsigned int i = 0; i < ARRAY_SIZE(cw.card.ks); i++)
		if (cw.card.ks[i].present && cw.card.ks[i].kvn == kvn)
			return &cw.card.ks[i];
	return NULL;
}

unsigned int cw_card_num_keysets(void)
{
	unsigned int n = 0;

	for (unsigned int i = 0; i < ARRAY_SIZE(cw.card.ks); i++)
		n += cw.card.ks[i].present;
	return n;
}

void cw_card_reset(void)
{
	memset(&cw.card, 0, sizeof(cw.card));
	cw.card.ks[0] = (struct cw_keyset){ true, 0x01, { { 0 } }, 3 };
	for (int i = 0; i < 3; i++)
		memset(cw.card.ks[0].key[i], 0x11 * (i + 1), 16);
}

/* 3A01: CERT.SR.ECDSA, checked by the ECASD with PK.CI.ECDSA (digest §2.1 steps 8-12); answers RC. */
static uint16_t card_keyset_cert(const struct es5_command *cmd, uint8_t *resp, size_t *rlen)
{
	struct cw_card *card = &cw.card;
	struct gpcert c;
	struct gpcert_check_opts o = { .check_type = true, .type = GPCERT_TYPE_SR };
	enum gpcert_err why;
	struct bertlv_writer w;
	int n;

	card->rc_pending = false;
	if (gpcert_decode_exact(&c, cmd->u.keyset_cert.cert.buf, cmd->u.keyset_cert.cert.len, &why) < 0)
		return 0x6A80;
	if (gpcert_check(&c, cw.pki.ci_key, &o, &why) < 0)
		return why == GPCERT_ERR_WRONG_TYPE ? 0x6A80 : 0x6982;
	memcpy(card->sr_pk, c.public_key, EC_POINT_LEN);
	crypto_random(card->rc, sizeof(card->rc));
	card->rc_pending = true;
	bertlv_writer_init(&w, resp, 64);
	bertlv_put(&w, 0x85, card->rc, sizeof(card->rc));
	n = bertlv_writer_finish(&w);
	*rlen = n > 0 ? (size_t)n : 0;
	return 0x9000;
}

/* 3A02: the key parameters, signed over RC by the SM-SR, then ECKA; answers DR and the receipt. */
static uint16_t card_keyagreement(uint8_t session_kvn, const struct es5_command *cmd, uint8_t *resp, size_t *rlen)
{
	struct cw_card *card = &cw.card;
	const struct es5_bytes *a6 = &cmd->u.keyset_keyagreement.a6, *ev = &cmd->u.keyset_keyagreement.epk_value,
			       *sig = &cmd->u.keyset_keyagreement.sig;
	uint8_t sd[512], epk_tlv[128];
	const uint8_t *point;
	struct ecka_crt crt;
	struct ecka_card_result r;
	struct cw_keyset *k;
	struct bertlv_writer w;
	EVP_PKEY *pk = NULL;
	int n;

	if (!card->rc_pending)
		return 0x6985;
	card->rc_pending = false;
	bertlv_writer_init(&w, epk_tlv, sizeof(epk_tlv));
	bertlv_put(&w, 0x7F49, ev->buf, ev->len);
	n = bertlv_writer_finish(&w);
	if (n < 0 || ecka_epk_decode(epk_tlv, (size_t)n, &point) < 0 ||
	    ecka_crt_decode(&crt, a6->buf, a6->len) != (int)a6->len)
		return 0x6A80;
	if (crt.kvn == session_kvn)
		return 0x6985;
	n = es5_keyset_signed_data(sd, sizeof(sd), a6->buf, a6->len, ev->buf, ev->len, card->rc, sizeof(card->rc));
	CW_CHECK(crypto_ec_from_public(CRYPTO_CURVE_P256, card->sr_pk, EC_POINT_LEN, &pk) == 0, true);
	if (n < 0 || crypto_ecdsa_verify(pk, sd, (size_t)n, sig->buf, sig->len) != 0) {
		EVP_PKEY_free(pk);
		return 0x6982;
	}
	EVP_PKEY_free(pk);
	/* key type 85: the managing SM-SR's SCP81 PSK-TLS key set (step 26), KVN 40-4F */
	if (crt.key_type == ECKA_KEY_TYPE_PSK_TLS && (crt.kvn < 0x40 || crt.kvn > 0x4F))
		return 0x6A80;
	if (card->refuse_scp81 && crt.key_type == ECKA_KEY_TYPE_PSK_TLS)
		return 0x6985;
	if (ecka_card_establish(cw.pki.ecasd_key, point, EC_POINT_LEN, a6->buf, a6->len,
				crt.key_type == ECKA_KEY_TYPE_PSK_TLS ? ECKA_TARGET_ISDR_SCP81 : ECKA_TARGET_ISDR,
				&ecka_variants_default, NULL, &r) < 0)
		return 0x6A80;
	k = cw_card_ks(crt.kvn);
	for (unsigned int i = 0; !k && i < ARRAY_SIZE(card->ks); i++)
		if (!card->ks[i].present)
			k = &card->ks[i];
	CW_CHECK(k != NULL, true);
	*k = (struct cw_keyset){ true, crt.kvn, { { 0 } }, r.keys.n_keys };
	for (unsigned int i = 0; i < r.keys.n_keys; i++)
		memcpy(k->key[i], r.keys.key[i], 16);
	if (card->corrupt_receipt)
		r.receipt[3] ^= 0x40;
	bertlv_writer_init(&w, resp, 64);
	if (r.dr_len)
		bertlv_put(&w, 0x85, r.dr, r.dr_len);
	bertlv_put(&w, 0x86, r.receipt, ECKA_RECEIPT_LEN);
	n = bertlv_writer_finish(&w);
	*rlen = n > 0 ? (size_t)n : 0;
	OPENSSL_cleanse(&r, sizeof(r));
	return 0x9000;
}

/* One command APDU in a session on key set session_kvn; the response data into resp, the SW returned. */
static uint16_t card_apdu(uint8_t session_kvn, const uint8_t *apdu, size_t len, uint8_t *resp, size_t *rlen)
{
	struct cw_card *card = &cw.card;
	struct es5_command cmd;

	*rlen = 0;
	card->cmds++;
	if (len < 5 || (size_t)apdu[4] + 5 > len)
		return 0x6700;
	if (es5_command_decode(&cmd, apdu[0], apdu[1], apdu[2], apdu[3], apdu + 5, apdu[4]) < 0)
		return 0x6A80;
	switch (cmd.fn) {
	case ES5_FN_KEYSET_CERT: return card_keyset_cert(&cmd, resp, rlen);
	case ES5_FN_KEYSET_KEYAGREEMENT: return card_keyagreement(session_kvn, &cmd, resp, rlen);
	case ES5_FN_FINALISE_HANDOVER:
		if (card->fail_delete)
			return 0x6581;
		for (unsigned int i = 0; i < ARRAY_SIZE(card->ks); i++) {
			struct cw_keyset *k = &card->ks[i];

			if (!k->present ||
			    !es5_f2_deletes(card->f2, cmd.u.finalise.ranges, cmd.u.finalise.n, k->kvn, 1))
				continue;
			if (k->kvn == session_kvn) /* open-questions §2 */
				return 0x6985;
			k->present = false;
		}
		return 0x9000;
	case ES5_FN_UPDATE_ADDRESSING:
		if (cmd.u.addressing.len > sizeof(card->addressing))
			return 0x6A80;
		memcpy(card->addressing, cmd.u.addressing.buf, cmd.u.addressing.len);
		card->addressing_len = cmd.u.addressing.len;
		return 0x9000;
	default: return 0x6D00;
	}
}

/* ---- the queue between the two SM-SRs, the MNO and the card ---------------------------------------- */

struct route {
	struct cw_side *from, *to;
	unsigned int gen;
	uint32_t tag;
	const char *msg_id;
};

static uint8_t *encode(const struct es_msg *m, size_t *len)
{
	uint8_t *buf = talloc_size(cw.cfg.ctx, SOAP_MAX_INPUT_DEFAULT);
	int n = es_msg_encode(buf, SOAP_MAX_INPUT_DEFAULT, m, NULL);

	CW_CHECK(n > 0, true);
	*len = (size_t)n;
	return buf;
}

struct es_msg *cw_decode(void *tctx, const uint8_t *buf, size_t len)
{
	struct es_msg *m = talloc_zero(tctx, struct es_msg);
	char *arena = talloc_size(m, len + 64);

	CW_CHECK(es_msg_decode(m, arena, len + 64, buf, len, NULL, NULL) == 0, true);
	return m;
}

static struct cw_qmsg *enqueue(enum cw_qkind k, struct cw_side *to, struct cw_side *from, unsigned int gen,
			       uint32_t tag, uint8_t *buf, size_t len)
{
	struct cw_qmsg *q = talloc_zero(cw.cfg.ctx, struct cw_qmsg);

	q->kind = k;
	q->to = to;
	q->from = from;
	q->gen = gen;
	q->tag = tag;
	q->buf = buf;
	q->len = len;
	if (buf)
		talloc_steal(q, buf);
	llist_add_tail(&q->list, &cw.queue);
	return q;
}

void cw_mno_respond(void *handle, struct es_msg *resp)
{
	const struct es_fes *fes = &resp->u.es1_register_eis_resp.function_execution_status;
	struct cw_mno_rx *mno = &cw.mno;

	mno->n++;
	mno->id = resp->id;
	mno->status = fes->status;
	snprintf(mno->subject, sizeof(mno->subject), "%s", fes->status_code_data.subject ?: "");
	snprintf(mno->reason, sizeof(mno->reason), "%s", fes->status_code_data.reason ?: "");
	snprintf(mno->message, sizeof(mno->message), "%s", fes->status_code_data.message ?: "");
	say("MNO <- %s %s %s/%s %s\n", es_msgs[resp->id].name, get_value_string(es_status_names, fes->status),
	    mno->subject, mno->reason, mno->message);
}

/* A peer SM-SR answers one of our ES7 calls: the response travels back through the queue. */
static void peer_respond(void *handle, struct es_msg *resp)
{
	struct route *r = handle;
	size_t len;
	uint8_t *buf;

	resp->wsa.relates_to = r->msg_id;
	buf = encode(resp, &len);
	enqueue(CW_Q_RESP, r->from, r->to, r->gen, r->tag, buf, len);
	talloc_free(r);
}

static struct cw_side *side_by_id(const char *id)
{
	return !strcmp(id, cw.sr1.id) ? &cw.sr1 : !strcmp(id, cw.sr2.id) ? &cw.sr2 : NULL;
}

/* ---- the smsr_change_ops of both sides ------------------------------------------------------------ */

static int op_es_call(void *priv, const char *peer_id, struct es_msg *req, uint32_t tag)
{
	struct cw_side *from = priv, *to = side_by_id(peer_id);
	size_t len;
	uint8_t *buf;

	if (!to)
		return -EHOSTUNREACH;
	req->wsa.from = from->id;
	req->wsa.to = to->id;
	buf = encode(req, &len);
	say("%s -> %s: %s\n", from->id, to->id, es_msgs[req->id].name);
	enqueue(CW_Q_REQ, to, from, from->gen, tag, buf, len);
	return 0;
}

static int op_respond_stored(void *priv, const char *reply_to, const char *relates_to, enum es_ns_variant ns,
			     struct es_msg *resp)
{
	struct cw_side *from = priv;
	size_t len;
	uint8_t *buf;

	say("%s answers after a restart: %s to %s\n", from->id, es_msgs[resp->id].name, reply_to);
	if (resp->id == ES_MSG_ES4_SMSR_CHANGE_RESP) {
		cw_mno_respond(NULL, resp);
		return 0;
	}
	resp->wsa.relates_to = relates_to;
	buf = encode(resp, &len);
	enqueue(CW_Q_STORED_RESP, side_by_id(reply_to), from, 0, 0, buf, len);
	return 0;
}

static void op_notify(void *priv, const char *to_id, struct es_msg *msg)
{
	cw.notif.n++;
	cw.notif.id = msg->id;
	snprintf(cw.notif.to, sizeof(cw.notif.to), "%s", to_id);
	cw.notif.profiles = msg->u.es4_handle_smsr_change_notif.eis.n_profile_info;
}

static int op_es5_send(void *priv, const char *eid, uint32_t op, const uint8_t *script, size_t len)
{
	struct cw_side *s = priv;
	struct cw_qmsg *q;

	CW_CHECK(!strcmp(eid, cw.eid), false);
	q = enqueue(CW_Q_ES5, NULL, s, s->gen, 0, talloc_memdup(cw.cfg.ctx, script, len), len);
	q->op = op;
	q->have_ks = smsr_store_keyset_get(s->store, cw.eid, SMSR_KEYSET_SCP80, -1, &q->ks) == 0;
	return 0;
}

static const struct smsr_change_ops ops = {
	.es5_send = op_es5_send, .es_call = op_es_call, .respond_stored = op_respond_stored, .notify = op_notify
};

/* ---- delivery --------------------------------------------------------------------------------------- */

/* The card receives a script from SM-SR s over SCP80 with the key set s's store selects (the highest
 * SCP80 KVN): the card must hold the same keys, else nothing comes back (a packet that does not
 * verify gets no PoR). */
static void deliver_es5(struct cw_qmsg *q)
{
	const struct smsr_keyset_row *ks = &q->ks;
	struct cw_keyset *ck;
	struct cw_qmsg *r;
	uint8_t resp[128];
	size_t rlen = 0, off;
	struct bertlv aa, c22;
	uint16_t sw;

	if (!q->have_ks || !(ck = cw_card_ks(ks->kvn)) || memcmp(ck->key[0], ks->kic, 16) ||
	    memcmp(ck->key[1], ks->kid, 16)) {
		say("card: packet from %s does not verify: dropped\n", q->from->id);
		return;
	}
	/* AA L { 22 L C-APDU }, BER lengths (a 3A01 with the certificate takes the 81 form in both) */
	CW_CHECK(bertlv_decode(&aa, q->buf, q->len) == (int)q->len, true);
	CW_CHECK(aa.tag == 0xAA, true);
	CW_CHECK(bertlv_decode(&c22, aa.value, aa.len) == (int)aa.len, true);
	CW_CHECK(c22.tag == 0x22, true);
	off = (size_t)(c22.value - q->buf);
	sw = card_apdu(ks->kvn, c22.value, c22.len, resp, &rlen);
	say("card: %s (KVN %02X) %02X%02X -> SW %04X\n", q->from->id, ks->kvn, q->buf[off + 1], q->buf[off + 2], sw);
	r = enqueue(CW_Q_ES5_RESULT, q->from, NULL, q->gen, 0, talloc_memdup(cw.cfg.ctx, resp, rlen ? rlen : 1), rlen);
	r->op = q->op;
	r->sw = sw;
}

void cw_deliver(struct cw_qmsg *q)
{
	void *tctx = talloc_new(cw.cfg.ctx);
	struct es_msg *m;

	switch (q->kind) {
	case CW_Q_REQ: {
		struct route *r = talloc_zero(cw.cfg.ctx, struct route);

		m = cw_decode(tctx, q->buf, q->len);
		r->from = q->from;
		r->to = q->to;
		r->gen = q->gen;
		r->tag = q->tag;
		r->msg_id = talloc_strdup(r, m->wsa.message_id);
		smsr_change_es_request(
			q->to->chg, m,
			&(struct smsr_reply){ .respond = peer_respond, .handle = r, .requester = q->from->id });
		break;
	}
	case CW_Q_RESP:
		m = cw_decode(tctx, q->buf, q->len);
		if (q->gen == q->to->gen) {
			smsr_change_es_rx_response(q->to->chg, q->tag, 0, m);
		} else {
			/* the caller restarted since: only a stored MessageID can match it */
			int rc = smsr_change_es_rx_unmatched(q->to->chg, m);

			say("%s: answer to a call of before the restart: %s\n", q->to->id,
			    rc == 0 ? "matched by RelatesTo" : "dropped");
		}
		break;
	case CW_Q_STORED_RESP:
		m = cw_decode(tctx, q->buf, q->len);
		CW_CHECK(smsr_change_es_rx_unmatched(q->to->chg, m) == 0, false);
		break;
	case CW_Q_ES5: deliver_es5(q); break;
	case CW_Q_ES5_RESULT:
		if (q->gen == q->to->gen)
			smsr_change_es5_rx_result(q->to->chg, q->op, 0, q->sw, q->buf, q->len);
		break;
	}
	talloc_free(tctx);
}

struct cw_qmsg *cw_pop(void)
{
	struct cw_qmsg *q;

	if (llist_empty(&cw.queue))
		return NULL;
	q = llist_first_entry(&cw.queue, struct cw_qmsg, list);
	llist_del(&q->list);
	return q;
}

void cw_pump(void)
{
	struct cw_qmsg *q;

	while ((q = cw_pop())) {
		cw_deliver(q);
		talloc_free(q);
	}
}

bool cw_pump_until_req(enum es_msg_id id)
{
	while (!llist_empty(&cw.queue)) {
		struct cw_qmsg *q = llist_first_entry(&cw.queue, struct cw_qmsg, list);

		if (q->kind == CW_Q_REQ) {
			void *t = talloc_new(cw.cfg.ctx);
			bool hit = cw_decode(t, q->buf, q->len)->id == id;

			talloc_free(t);
			if (hit)
				return true;
		}
		q = cw_pop();
		cw_deliver(q);
		talloc_free(q);
	}
	return false;
}

void cw_drop_queue(void)
{
	struct cw_qmsg *q;

	while ((q = cw_pop()))
		talloc_free(q);
}

/* ---- the two SM-SRs ------------------------------------------------------------------------------ */

static int stub_send_script(struct smsr *sr, const char *eid, uint32_t op, const uint8_t *s, size_t len, void *priv)
{
	return -ENOTCONN; /* the profile functions are not used here */
}

void cw_side_open(struct cw_side *s)
{
	char err[128];

	s->store = smsr_store_open(cw.cfg.ctx, s->db, err, sizeof(err));
	CW_CHECK(s->store != NULL, true);
	s->sr = smsr_alloc(cw.cfg.ctx, s->store,
			   &(struct smsr_cfg){ .smsr_id = s->id,
					       .eis_sig = SMSR_EIS_SIG_NONE /* unsigned example EIS */ },
			   &(struct smsr_es5_ops){ .send_script = stub_send_script }, NULL, NULL);
	s->chg = s->sr ? smsr_change_alloc(cw.cfg.ctx, s->sr, s->store, &s->cfg, &ops, s) : NULL;
	CW_CHECK(s->chg != NULL, true);
}

void cw_side_close(struct cw_side *s)
{
	smsr_change_free(s->chg);
	smsr_free(s->sr);
	smsr_store_close(s->store);
	s->chg = NULL;
	s->sr = NULL;
	s->store = NULL;
	s->gen++;
}

void cw_open(void)
{
	struct cw_pki *p = &cw.pki;
	unsigned int n = cw.n_open++;

	memset(&cw.mno, 0, sizeof(cw.mno));
	memset(&cw.notif, 0, sizeof(cw.notif));
	cw_card_reset();
	snprintf(cw.eid, sizeof(cw.eid), "%s", CW_EID);
	osmo_hexparse(cw.eid, cw.eid_bin, sizeof(cw.eid_bin));
	snprintf(cw.iccid, sizeof(cw.iccid), "%s", CW_ICCID);
	cw.sr1 = (struct cw_side){ .id = CW_SR1_ID };
	cw.sr2 = (struct cw_side){ .id = CW_SR2_ID };
	if (cw.cfg.db_dir) {
		snprintf(cw.sr1.db, sizeof(cw.sr1.db), "%s/sr1-%u.db", cw.cfg.db_dir, n);
		snprintf(cw.sr2.db, sizeof(cw.sr2.db), "%s/sr2-%u.db", cw.cfg.db_dir, n);
	} else {
		snprintf(cw.sr1.db, sizeof(cw.sr1.db), ":memory:");
		snprintf(cw.sr2.db, sizeof(cw.sr2.db), ":memory:");
	}
	cw.sr1.cfg = (struct smsr_change_cfg){
		.smsr_id = CW_SR1_ID, .ecka = ecka_variants_default, .es = es_variant_default, .tdefs = cw.cfg.tdefs
	};
	cw.sr2.cfg = (struct smsr_change_cfg){ .smsr_id = CW_SR2_ID,
					       .sr_cert = p->sr2_cert,
					       .sr_cert_len = p->sr2_cert_len,
					       .sr_key = p->sr2_key,
					       .ci = p->ci,
					       .eum = &p->eum,
					       .n_eum = 1,
					       .ecka = ecka_variants_default,
					       .es = es_variant_default,
					       .addressing = cw_addressing,
					       .addressing_len = sizeof(cw_addressing),
					       .tdefs = cw.cfg.tdefs };
	cw_side_open(&cw.sr1);
	cw_side_open(&cw.sr2);
}

static void remove_store(const char *db)
{
	char p[sizeof(cw.sr1.db) + 8];

	unlink(db);
	snprintf(p, sizeof(p), "%s-wal", db);
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", db);
	unlink(p);
}

void cw_close(void)
{
	cw_drop_queue();
	cw_side_close(&cw.sr1);
	cw_side_close(&cw.sr2);
	if (cw.cfg.db_dir) {
		remove_store(cw.sr1.db);
		remove_store(cw.sr2.db);
	}
}

/* ---- the eUICC and the MNOs ------------------------------------------------------------------------ */

void cw_euicc_fresh(unsigned int i)
{
	char first30[31];

	snprintf(first30, sizeof(first30), "890010120123412340%012u", i);
	CW_CHECK(ids_eid_compute(cw.eid, first30, 30) >= 0, true);
	cw.eid[IDS_EID_DIGITS] = '\0';
	CW_CHECK(ids_eid_to_bytes(cw.eid_bin, cw.eid, IDS_EID_DIGITS) >= 0, true);
	snprintf(cw.iccid, sizeof(cw.iccid), "8944%015u", i);
	cw_card_reset();
}

static void reply_register(void *handle, struct es_msg *resp)
{
	CW_CHECK(resp->u.es1_register_eis_resp.function_execution_status.status == ES_STATUS_EXECUTED_SUCCESS, false);
}

void cw_eis_fill(struct es_msg *reg, const uint8_t *eid_bin, const char *iccid, const char *mno_id, const uint8_t *cert,
		 size_t cert_len)
{
	struct es_eis *e;
	struct es_keyset *ks;
	static uint8_t key[3][16];
	static const uint8_t ktype[1] = { 0x88 };
	static uint8_t aid[16] = { 0xA0, 0x00, 0x00, 0x05, 0x59, 0x10, 0x10, 0xFF,
				   0xFF, 0xFF, 0xFF, 0x89, 0x00, 0x00, 0x10, 0x00 };

	es_example_fill(reg, ES_MSG_ES1_REGISTER_EIS_REQ);
	e = &reg->u.es1_register_eis_req.eis;
	e->eum_signed_info.eid = (struct es_hex){ eid_bin, 16 };
	e->n_profile_info = 1;
	e->profile_info[0].iccid = iccid;
	e->profile_info[0].isd_p_aid = (struct es_hex){ aid, 16 };
	e->profile_info[0].mno_id = mno_id;
	e->profile_info[0].state = ES_PROFILE_STATE_ENABLED;
	e->profile_info[0].subscription_address.msisdn = "447700900001";
	e->isd_r.n_keyset = 1;
	ks = &e->isd_r.keyset[0];
	ks->type = ES_KEYSET_SCP80;
	ks->version = (struct es_int){ true, 1 };
	ks->n_key = 3;
	ks->n_certificate = 0;
	for (int i = 0; i < 3; i++) {
		memset(key[i], 0x11 * (i + 1), 16);
		ks->key[i] = ks->key[0];
		ks->key[i].index = (struct es_int){ true, i + 1 };
		ks->key[i].n_key_components = 1;
		ks->key[i].key_components[0] = (struct es_key_component){ true, { ktype, 1 }, { key[i], 16 } };
	}
	e->eum_signed_info.ecasd.n_keyset = 1;
	ks = &e->eum_signed_info.ecasd.keyset[0];
	memset(ks, 0, sizeof(*ks));
	ks->present = true;
	ks->version = (struct es_int){ true, 0x73 };
	ks->type = ES_KEYSET_CA;
	ks->n_certificate = 1;
	ks->certificate[0] = (struct es_gp_certificate){ true, { true, 1 }, "1.2.3.9", { cert, cert_len } };
}

void cw_register_eis(const uint8_t *cert, size_t cert_len)
{
	struct es_msg *reg = talloc_zero(cw.cfg.ctx, struct es_msg);

	cw_eis_fill(reg, cw.eid_bin, cw.iccid, CW_MNO_ID, cert, cert_len);
	CW_CHECK(smsr_es_request(cw.sr1.sr, reg,
				 &(struct smsr_reply){ .respond = reply_register, .requester = "1.2.3.9" }) == 0,
		 true);
	talloc_free(reg);
}

void cw_mno_prepare(int validity)
{
	struct es_msg *m = talloc_zero(cw.cfg.ctx, struct es_msg);

	es_example_fill(m, ES_MSG_ES4_PREPARE_SMSR_CHANGE_REQ);
	m->u.es4_prepare_smsr_change_req.eid = (struct es_hex){ cw.eid_bin, 16 };
	m->u.es4_prepare_smsr_change_req.current_smsr_id = CW_SR1_ID;
	m->u.es4_prepare_smsr_change_req.validity_period = (struct es_int){ true, validity };
	memset(&cw.mno, 0, sizeof(cw.mno));
	smsr_change_es_request(cw.sr2.chg, m,
			       &(struct smsr_reply){ .respond = cw_mno_respond, .requester = CW_MNO_ID });
	talloc_free(m);
}

void cw_mno_smsr_change(int validity)
{
	struct es_msg *m = talloc_zero(cw.cfg.ctx, struct es_msg);

	es_example_fill(m, ES_MSG_ES4_SMSR_CHANGE_REQ);
	m->u.es4_smsr_change_req.eid = (struct es_hex){ cw.eid_bin, 16 };
	m->u.es4_smsr_change_req.target_smsr_id = CW_SR2_ID;
	m->u.es4_smsr_change_req.validity_period = (struct es_int){ true, validity };
	m->wsa.reply_to = "mno";
	memset(&cw.mno, 0, sizeof(cw.mno));
	smsr_change_es_request(cw.sr1.chg, m,
			       &(struct smsr_reply){ .respond = cw_mno_respond, .requester = CW_MNO_ID });
	talloc_free(m);
}

enum smsr_eis_state cw_eis_state(struct cw_side *s)
{
	struct smsr_eis_row row;

	return smsr_store_eis_get(s->store, cw.eid, &row) == 0 ? row.state : 0;
}
