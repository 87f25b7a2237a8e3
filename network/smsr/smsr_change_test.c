/* SM-SR Change, both roles, narrative style (like osmo-msc's msc_vlr tests): SR1 and SR2 run in one
 * process against each other and against a card computed with lib/gpcert, lib/ecka and lib/es5
 * (the ECASD and ISD-R sides). Every ES message between them is encoded to SOAP and decoded again
 * (lib/es), queued, and delivered by pump(), so a test can stop the world at any step, lose
 * messages, let time pass (osmo_gettimeofday_override) or restart both SM-SRs (stores closed and
 * reopened). The ES5 transport uses the key set the SM-SR's store says it would use, and the card
 * refuses a session whose keys it does not hold: SR2 is shown to talk with the keys it derived. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <osmocom/core/application.h>
#include <osmocom/core/linuxlist.h>
#include <osmocom/core/logging.h>
#include <osmocom/core/timer.h>
#include <osmocom/core/utils.h>
#include <talloc.h>

#include "lib/crypto/sym.h"
#include "lib/gpcert/gpcert.h"
#include "lib/test/runner.h"
#include "lib/tls/pki.h"
#include "lib/tlv/bertlv.h"
#include "network/smsr/smsr_change.h"
#include "network/smsr/smsr_log.h"

static void *ctx;

#define btw(fmt, args...) fprintf(stderr, "\n--- " fmt "\n", ##args)

static const char *EID = "89001012012341234012345678901224";
static uint8_t eid_bin[16];
static const char *SR1_ID = "1.3.6.1.4.1.99999.1";
static const char *SR2_ID = "1.3.6.1.4.1.99999.2";
static const char *MNO_ID = "1.2.3.1";

/* ---- PKI ---------------------------------------------------------------------------------------- */

static EVP_PKEY *ci_key, *eum_key, *rogue_key, *ecasd_key, *sr2_key;
static X509 *ci, *eum;
static uint8_t ecasd_cert[512], rogue_ecasd_cert[512], sr2_cert[512], rogue_sr2_cert[512];
static size_t ecasd_cert_len, rogue_ecasd_cert_len, sr2_cert_len, rogue_sr2_cert_len;

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

/* Called from suite_setup: no CUnit assertions. 0 or -1. */
static int pki_setup(void)
{
	ci_key = tls_pki_key_p256();
	eum_key = tls_pki_key_p256();
	rogue_key = tls_pki_key_p256();
	ecasd_key = tls_pki_key_p256();
	sr2_key = tls_pki_key_p256();
	ci = tls_pki_cert_issue(
		&(struct tls_pki_cert_params){ .cn = "rsplab CI", .is_ca = true, .not_after_s = 86400, .serial = 1 },
		ci_key, NULL, NULL);
	eum = tls_pki_cert_issue(
		&(struct tls_pki_cert_params){ .cn = "rsplab EUM", .is_ca = true, .not_after_s = 86400, .serial = 2 },
		eum_key, ci, ci_key);
	if (!ci || !eum)
		return -1;
	ecasd_cert_len = make_cert(ecasd_cert, sizeof(ecasd_cert), GPCERT_TYPE_ECASD, eum_key, ecasd_key);
	rogue_ecasd_cert_len =
		make_cert(rogue_ecasd_cert, sizeof(rogue_ecasd_cert), GPCERT_TYPE_ECASD, rogue_key, ecasd_key);
	sr2_cert_len = make_cert(sr2_cert, sizeof(sr2_cert), GPCERT_TYPE_SR, ci_key, sr2_key);
	rogue_sr2_cert_len = make_cert(rogue_sr2_cert, sizeof(rogue_sr2_cert), GPCERT_TYPE_SR, rogue_key, sr2_key);
	return ecasd_cert_len && rogue_ecasd_cert_len && sr2_cert_len && rogue_sr2_cert_len ? 0 : -1;
}

/* ---- the card: ECASD + ISD-R, computed with lib/ecka and lib/es5 ----------------------------------- */

struct card_keyset {
	bool present;
	uint8_t kvn;
	uint8_t key[3][16];
	unsigned int n;
};

static struct card {
	struct card_keyset ks[8];
	bool rc_pending;
	uint8_t rc[16];
	uint8_t sr_pk[EC_POINT_LEN];
	bool corrupt_receipt, fail_delete, refuse_scp81;
	uint8_t addressing[64];
	size_t addressing_len;
	enum es5_f2_semantics f2;
	unsigned int cmds;
} card;

static struct card_keyset *card_ks(uint8_t kvn)
{
	for (unsigned int i = 0; i < ARRAY_SIZE(card.ks); i++)
		if (card.ks[i].present && card.ks[i].kvn == kvn)
			return &card.ks[i];
	return NULL;
}

static unsigned int card_num_keysets(void)
{
	unsigned int n = 0;

	for (unsigned int i = 0; i < ARRAY_SIZE(card.ks); i++)
		n += card.ks[i].present;
	return n;
}

static void card_reset(void)
{
	memset(&card, 0, sizeof(card));
	card.ks[0] = (struct card_keyset){ true, 0x01, { { 0 } }, 3 };
	for (int i = 0; i < 3; i++)
		memset(card.ks[0].key[i], 0x11 * (i + 1), 16);
}

/* One command APDU; the response data into resp, the status word returned. */
static uint16_t card_apdu(uint8_t session_kvn, const uint8_t *apdu, size_t len, uint8_t *resp, size_t *rlen)
{
	struct es5_command cmd;
	struct bertlv_writer w;
	*rlen = 0;

	card.cmds++;
	if (len < 5 || (size_t)apdu[4] + 5 > len)
		return 0x6700;
	if (es5_command_decode(&cmd, apdu[0], apdu[1], apdu[2], apdu[3], apdu + 5, apdu[4]) < 0)
		return 0x6A80;
	switch (cmd.fn) {
	case ES5_FN_KEYSET_CERT: {
		struct gpcert c;
		struct gpcert_check_opts o = { .check_type = true, .type = GPCERT_TYPE_SR };
		enum gpcert_err why;
		int n;

		card.rc_pending = false;
		if (gpcert_decode_exact(&c, cmd.u.keyset_cert.cert.buf, cmd.u.keyset_cert.cert.len, &why) < 0)
			return 0x6A80;
		/* the ECASD checks it with PK.CI.ECDSA (digest §2.1 steps 8-12) */
		if (gpcert_check(&c, ci_key, &o, &why) < 0)
			return why == GPCERT_ERR_WRONG_TYPE ? 0x6A80 : 0x6982;
		memcpy(card.sr_pk, c.public_key, EC_POINT_LEN);
		crypto_random(card.rc, sizeof(card.rc));
		card.rc_pending = true;
		bertlv_writer_init(&w, resp, 64);
		bertlv_put(&w, 0x85, card.rc, sizeof(card.rc));
		n = bertlv_writer_finish(&w);
		*rlen = n > 0 ? (size_t)n : 0;
		return 0x9000;
	}
	case ES5_FN_KEYSET_KEYAGREEMENT: {
		const struct es5_bytes *a6 = &cmd.u.keyset_keyagreement.a6, *ev = &cmd.u.keyset_keyagreement.epk_value,
				       *sig = &cmd.u.keyset_keyagreement.sig;
		uint8_t sd[512], epk_tlv[128];
		const uint8_t *point;
		struct ecka_crt crt;
		struct ecka_card_result r;
		struct card_keyset *k;
		EVP_PKEY *pk = NULL;
		int n;

		if (!card.rc_pending)
			return 0x6985;
		card.rc_pending = false;
		bertlv_writer_init(&w, epk_tlv, sizeof(epk_tlv));
		bertlv_put(&w, 0x7F49, ev->buf, ev->len);
		n = bertlv_writer_finish(&w);
		if (n < 0 || ecka_epk_decode(epk_tlv, (size_t)n, &point) < 0 ||
		    ecka_crt_decode(&crt, a6->buf, a6->len) != (int)a6->len)
			return 0x6A80;
		if (crt.kvn == session_kvn)
			return 0x6985;
		n = es5_keyset_signed_data(sd, sizeof(sd), a6->buf, a6->len, ev->buf, ev->len, card.rc,
					   sizeof(card.rc));
		CU_ASSERT_EQUAL_FATAL(crypto_ec_from_public(CRYPTO_CURVE_P256, card.sr_pk, EC_POINT_LEN, &pk), 0);
		if (n < 0 || crypto_ecdsa_verify(pk, sd, (size_t)n, sig->buf, sig->len) != 0) {
			EVP_PKEY_free(pk);
			return 0x6982;
		}
		EVP_PKEY_free(pk);
		/* key type 85: the managing SM-SR's SCP81 PSK-TLS key set (step 26), KVN 40-4F */
		if (crt.key_type == ECKA_KEY_TYPE_PSK_TLS && (crt.kvn < 0x40 || crt.kvn > 0x4F))
			return 0x6A80;
		if (card.refuse_scp81 && crt.key_type == ECKA_KEY_TYPE_PSK_TLS)
			return 0x6985;
		if (ecka_card_establish(ecasd_key, point, EC_POINT_LEN, a6->buf, a6->len,
					crt.key_type == ECKA_KEY_TYPE_PSK_TLS ? ECKA_TARGET_ISDR_SCP81
									      : ECKA_TARGET_ISDR,
					&ecka_variants_default, NULL, &r) < 0)
			return 0x6A80;
		k = card_ks(crt.kvn);
		for (unsigned int i = 0; !k && i < ARRAY_SIZE(card.ks); i++)
			if (!card.ks[i].present)
				k = &card.ks[i];
		CU_ASSERT_PTR_NOT_NULL_FATAL(k);
		*k = (struct card_keyset){ true, crt.kvn, { { 0 } }, r.keys.n_keys };
		for (unsigned int i = 0; i < r.keys.n_keys; i++)
			memcpy(k->key[i], r.keys.key[i], 16);
		if (card.corrupt_receipt)
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
	case ES5_FN_FINALISE_HANDOVER:
		if (card.fail_delete)
			return 0x6581;
		for (unsigned int i = 0; i < ARRAY_SIZE(card.ks); i++) {
			struct card_keyset *k = &card.ks[i];

			if (!k->present || !es5_f2_deletes(card.f2, cmd.u.finalise.ranges, cmd.u.finalise.n, k->kvn, 1))
				continue;
			if (k->kvn == session_kvn) /* open-questions §2 */
				return 0x6985;
			k->present = false;
		}
		return 0x9000;
	case ES5_FN_UPDATE_ADDRESSING:
		if (cmd.u.addressing.len > sizeof(card.addressing))
			return 0x6A80;
		memcpy(card.addressing, cmd.u.addressing.buf, cmd.u.addressing.len);
		card.addressing_len = cmd.u.addressing.len;
		return 0x9000;
	default: return 0x6D00;
	}
}

/* ---- two SM-SRs and the message queue ------------------------------------------------------------ */

struct side {
	const char *id;
	char db[256];
	struct smsr_store *store;
	struct smsr *sr;
	struct smsr_change *chg;
	struct smsr_change_cfg cfg;
	unsigned int gen; /* incremented by a restart */
};
static struct side sr1, sr2;
static char tmpdir[128];

enum qkind { Q_REQ, Q_RESP, Q_ES5, Q_ES5_RESULT, Q_STORED_RESP };
struct qmsg {
	struct llist_head list;
	enum qkind kind;
	struct side *to, *from;
	unsigned int gen; /* the generation of the side waiting for the answer */
	uint32_t tag, op;
	uint8_t *buf;
	size_t len;
	int rc;
	uint16_t sw;
	/* Q_ES5: the key set the sender secured it with (its store may be gone when it arrives) */
	struct smsr_keyset_row ks;
	bool have_ks;
};
static LLIST_HEAD(queue);

struct route {
	struct side *from, *to;
	unsigned int gen;
	uint32_t tag;
	const char *msg_id;
};

/* What the MNO (the initiator) got back. */
static struct mno_rx {
	unsigned int n;
	enum es_msg_id id;
	enum es_status status;
	char subject[16], reason[16], message[96];
} mno;
static unsigned int n_notifs;
static enum es_msg_id notif_id;
static char notif_to[64];
static unsigned int notif_profiles;

static uint8_t *encode(const struct es_msg *m, size_t *len)
{
	uint8_t *buf = talloc_size(ctx, SOAP_MAX_INPUT_DEFAULT);
	int n = es_msg_encode(buf, SOAP_MAX_INPUT_DEFAULT, m, NULL);

	CU_ASSERT_FATAL(n > 0);
	*len = (size_t)n;
	return buf;
}

static struct es_msg *decode(void *tctx, const uint8_t *buf, size_t len)
{
	struct es_msg *m = talloc_zero(tctx, struct es_msg);
	char *arena = talloc_size(m, len + 64);

	CU_ASSERT_EQUAL_FATAL(es_msg_decode(m, arena, len + 64, buf, len, NULL, NULL), 0);
	return m;
}

static void enqueue(enum qkind k, struct side *to, struct side *from, unsigned int gen, uint32_t tag, uint8_t *buf,
		    size_t len)
{
	struct qmsg *q = talloc_zero(ctx, struct qmsg);

	q->kind = k;
	q->to = to;
	q->from = from;
	q->gen = gen;
	q->tag = tag;
	q->buf = buf;
	q->len = len;
	if (buf)
		talloc_steal(q, buf);
	llist_add_tail(&q->list, &queue);
}

static void mno_respond(void *handle, struct es_msg *resp)
{
	const struct es_fes *fes = &resp->u.es1_register_eis_resp.function_execution_status;

	mno.n++;
	mno.id = resp->id;
	mno.status = fes->status;
	snprintf(mno.subject, sizeof(mno.subject), "%s", fes->status_code_data.subject ?: "");
	snprintf(mno.reason, sizeof(mno.reason), "%s", fes->status_code_data.reason ?: "");
	snprintf(mno.message, sizeof(mno.message), "%s", fes->status_code_data.message ?: "");
	fprintf(stderr, "MNO <- %s %s %s/%s %s\n", es_msgs[resp->id].name,
		get_value_string(es_status_names, fes->status), mno.subject, mno.reason, mno.message);
}

/* A peer SM-SR answers one of our ES7 calls: the response travels back through the queue. */
static void peer_respond(void *handle, struct es_msg *resp)
{
	struct route *r = handle;
	size_t len;
	uint8_t *buf;

	resp->wsa.relates_to = r->msg_id;
	buf = encode(resp, &len);
	enqueue(Q_RESP, r->from, r->to, r->gen, r->tag, buf, len);
	talloc_free(r);
}

static struct side *side_by_id(const char *id)
{
	return !strcmp(id, sr1.id) ? &sr1 : !strcmp(id, sr2.id) ? &sr2 : NULL;
}

static int op_es_call(void *priv, const char *peer_id, struct es_msg *req, uint32_t tag)
{
	struct side *from = priv, *to = side_by_id(peer_id);
	size_t len;
	uint8_t *buf;

	if (!to)
		return -EHOSTUNREACH;
	req->wsa.from = from->id;
	req->wsa.to = to->id;
	buf = encode(req, &len);
	fprintf(stderr, "%s -> %s: %s\n", from->id, to->id, es_msgs[req->id].name);
	enqueue(Q_REQ, to, from, from->gen, tag, buf, len);
	return 0;
}

static int op_respond_stored(void *priv, const char *reply_to, const char *relates_to, enum es_ns_variant ns,
			     struct es_msg *resp)
{
	struct side *from = priv;
	size_t len;
	uint8_t *buf;

	fprintf(stderr, "%s answers after a restart: %s to %s\n", from->id, es_msgs[resp->id].name, reply_to);
	if (resp->id == ES_MSG_ES4_SMSR_CHANGE_RESP) {
		mno_respond(NULL, resp);
		return 0;
	}
	resp->wsa.relates_to = relates_to;
	buf = encode(resp, &len);
	enqueue(Q_STORED_RESP, side_by_id(reply_to), from, 0, 0, buf, len);
	return 0;
}

static void op_notify(void *priv, const char *to_id, struct es_msg *msg)
{
	n_notifs++;
	notif_id = msg->id;
	snprintf(notif_to, sizeof(notif_to), "%s", to_id);
	notif_profiles = msg->u.es4_handle_smsr_change_notif.eis.n_profile_info;
}

static int op_es5_send(void *priv, const char *eid, uint32_t op, const uint8_t *script, size_t len)
{
	struct side *s = priv;
	uint8_t *buf = talloc_memdup(ctx, script, len);

	struct qmsg *q;

	CU_ASSERT_STRING_EQUAL(eid, EID);
	enqueue(Q_ES5, NULL, s, s->gen, 0, buf, len);
	q = llist_last_entry(&queue, struct qmsg, list);
	q->op = op;
	q->have_ks = smsr_store_keyset_get(s->store, EID, SMSR_KEYSET_SCP80, -1, &q->ks) == 0;
	return 0;
}

static const struct smsr_change_ops ops = {
	.es5_send = op_es5_send, .es_call = op_es_call, .respond_stored = op_respond_stored, .notify = op_notify
};

/* The card receives a script from SM-SR s over SCP80 with the key set s's store selects (the highest
 * SCP80 KVN): the card must hold the same keys, else nothing comes back (a packet that does not
 * verify gets no PoR). */
static void deliver_es5(struct qmsg *q)
{
	const struct smsr_keyset_row *ks = &q->ks;
	struct card_keyset *ck;
	uint8_t resp[128];
	size_t rlen = 0, alen, off;
	struct bertlv aa, c22;
	uint16_t sw;

	if (!q->have_ks || !(ck = card_ks(ks->kvn)) || memcmp(ck->key[0], ks->kic, 16) ||
	    memcmp(ck->key[1], ks->kid, 16)) {
		fprintf(stderr, "card: packet from %s does not verify: dropped\n", q->from->id);
		return;
	}
	/* AA L { 22 L C-APDU }, BER lengths (a 3A01 with the certificate takes the 81 form in both) */
	CU_ASSERT_EQUAL_FATAL(bertlv_decode(&aa, q->buf, q->len), (int)q->len);
	CU_ASSERT_EQUAL_FATAL(aa.tag, 0xAA);
	CU_ASSERT_EQUAL_FATAL(bertlv_decode(&c22, aa.value, aa.len), (int)aa.len);
	CU_ASSERT_EQUAL_FATAL(c22.tag, 0x22);
	alen = c22.len;
	off = (size_t)(c22.value - q->buf);
	sw = card_apdu(ks->kvn, c22.value, alen, resp, &rlen);
	fprintf(stderr, "card: %s (KVN %02X) %02X%02X -> SW %04X\n", q->from->id, ks->kvn, q->buf[off + 1],
		q->buf[off + 2], sw);
	enqueue(Q_ES5_RESULT, q->from, NULL, q->gen, 0, talloc_memdup(ctx, resp, rlen ? rlen : 1), rlen);
	llist_last_entry(&queue, struct qmsg, list)->op = q->op;
	llist_last_entry(&queue, struct qmsg, list)->sw = sw;
}

static void deliver(struct qmsg *q)
{
	void *tctx = talloc_new(ctx);
	struct es_msg *m;

	switch (q->kind) {
	case Q_REQ: {
		struct route *r = talloc_zero(ctx, struct route);

		m = decode(tctx, q->buf, q->len);
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
	case Q_RESP:
		m = decode(tctx, q->buf, q->len);
		if (q->gen == q->to->gen) {
			smsr_change_es_rx_response(q->to->chg, q->tag, 0, m);
		} else {
			/* the caller restarted since: only a stored MessageID can match it */
			int rc = smsr_change_es_rx_unmatched(q->to->chg, m);

			fprintf(stderr, "%s: answer to a call of before the restart: %s\n", q->to->id,
				rc == 0 ? "matched by RelatesTo" : "dropped");
		}
		break;
	case Q_STORED_RESP:
		m = decode(tctx, q->buf, q->len);
		CU_ASSERT_EQUAL(smsr_change_es_rx_unmatched(q->to->chg, m), 0);
		break;
	case Q_ES5: deliver_es5(q); break;
	case Q_ES5_RESULT:
		if (q->gen == q->to->gen)
			smsr_change_es5_rx_result(q->to->chg, q->op, 0, q->sw, q->buf, q->len);
		break;
	}
	talloc_free(tctx);
}

static struct qmsg *pop(void)
{
	struct qmsg *q;

	if (llist_empty(&queue))
		return NULL;
	q = llist_first_entry(&queue, struct qmsg, list);
	llist_del(&q->list);
	return q;
}

static void pump(void)
{
	struct qmsg *q;

	while ((q = pop())) {
		deliver(q);
		talloc_free(q);
	}
}

/* Deliver until the next message is an ES request id (not delivered). */
static bool pump_until_req(enum es_msg_id id)
{
	while (!llist_empty(&queue)) {
		struct qmsg *q = llist_first_entry(&queue, struct qmsg, list);

		if (q->kind == Q_REQ) {
			void *t = talloc_new(ctx);
			bool hit = decode(t, q->buf, q->len)->id == id;

			talloc_free(t);
			if (hit)
				return true;
		}
		q = pop();
		deliver(q);
		talloc_free(q);
	}
	return false;
}

static void drop_queue(void)
{
	struct qmsg *q;

	while ((q = pop()))
		talloc_free(q);
}

static void fake_time_passes(unsigned int secs)
{
	osmo_gettimeofday_override_time.tv_sec += secs;
	osmo_timers_prepare();
	osmo_timers_update();
}

static struct osmo_tdef chg_tdefs[] = { { .T = SMSR_CHG_T_ES7, .default_val = 30, .unit = OSMO_TDEF_S, .desc = "es7" },
					{ .T = SMSR_CHG_T_ES5, .default_val = 20, .unit = OSMO_TDEF_S, .desc = "es5" },
					{} };

static int stub_send_script(struct smsr *sr, const char *eid, uint32_t op, const uint8_t *s, size_t len, void *priv)
{
	return -ENOTCONN; /* the profile functions are not used here */
}

static void side_open(struct side *s)
{
	char err[128];

	s->store = smsr_store_open(ctx, s->db, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(s->store);
	s->sr = smsr_alloc(ctx, s->store,
			   &(struct smsr_cfg){ .smsr_id = s->id,
					       .eis_sig = SMSR_EIS_SIG_NONE /* unsigned example EIS */ },
			   &(struct smsr_es5_ops){ .send_script = stub_send_script }, NULL, NULL);
	s->chg = smsr_change_alloc(ctx, s->sr, s->store, &s->cfg, &ops, s);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s->chg);
}

static void side_close(struct side *s)
{
	smsr_change_free(s->chg);
	smsr_free(s->sr);
	smsr_store_close(s->store);
	s->chg = NULL;
	s->gen++;
}

static void restart_both(void)
{
	btw("Both SM-SRs are killed: queued messages are lost; stores closed and reopened, procedures resumed");
	drop_queue();
	side_close(&sr1);
	side_close(&sr2);
	side_open(&sr1);
	side_open(&sr2);
	CU_ASSERT_EQUAL(smsr_change_resume(sr1.chg), 1);
	CU_ASSERT_EQUAL(smsr_change_resume(sr2.chg), 1);
}

static const uint8_t addressing[] = { 0x86, 0x05, 0x91, 0x44, 0x77, 0x00, 0xF2 }; /* TS 102 223 address */

static void world_setup(void)
{
	static int n;

	memset(&mno, 0, sizeof(mno));
	n_notifs = 0;
	card_reset();
	osmo_hexparse(EID, eid_bin, sizeof(eid_bin));
	sr1 = (struct side){ .id = SR1_ID };
	sr2 = (struct side){ .id = SR2_ID };
	snprintf(sr1.db, sizeof(sr1.db), "%s/sr1-%d.db", tmpdir, n);
	snprintf(sr2.db, sizeof(sr2.db), "%s/sr2-%d.db", tmpdir, n++);
	sr1.cfg = (struct smsr_change_cfg){
		.smsr_id = SR1_ID, .ecka = ecka_variants_default, .es = es_variant_default, .tdefs = chg_tdefs
	};
	sr2.cfg = (struct smsr_change_cfg){ .smsr_id = SR2_ID,
					    .sr_cert = sr2_cert,
					    .sr_cert_len = sr2_cert_len,
					    .sr_key = sr2_key,
					    .ci = ci,
					    .eum = &eum,
					    .n_eum = 1,
					    .ecka = ecka_variants_default,
					    .es = es_variant_default,
					    .addressing = addressing,
					    .addressing_len = sizeof(addressing),
					    .tdefs = chg_tdefs };
	side_open(&sr1);
	side_open(&sr2);
}

static void world_teardown(void)
{
	drop_queue();
	CU_ASSERT_EQUAL(smsr_change_num_procs(sr1.chg), 0);
	CU_ASSERT_EQUAL(smsr_change_num_procs(sr2.chg), 0);
	side_close(&sr1);
	side_close(&sr2);
	unlink(sr1.db);
	unlink(sr2.db);
}

static void reply_null(void *handle, struct es_msg *resp)
{
	CU_ASSERT_EQUAL(resp->u.es1_register_eis_resp.function_execution_status.status, ES_STATUS_EXECUTED_SUCCESS);
}

/* The EUM registers the EIS at SR1: one enabled profile of MNO_ID, ISD-R SCP80 KVN 01, ECASD cert. */
static void register_eis(const uint8_t *cert, size_t cert_len)
{
	struct es_msg *reg = talloc_zero(ctx, struct es_msg);
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
	e->profile_info[0].iccid = "8944000000000000010";
	e->profile_info[0].isd_p_aid = (struct es_hex){ aid, 16 };
	e->profile_info[0].mno_id = MNO_ID;
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
	CU_ASSERT_EQUAL_FATAL(
		smsr_es_request(sr1.sr, reg, &(struct smsr_reply){ .respond = reply_null, .requester = "1.2.3.9" }), 0);
	talloc_free(reg);
}

static void mno_prepare(int validity)
{
	struct es_msg *m = talloc_zero(ctx, struct es_msg);

	es_example_fill(m, ES_MSG_ES4_PREPARE_SMSR_CHANGE_REQ);
	m->u.es4_prepare_smsr_change_req.eid = (struct es_hex){ eid_bin, 16 };
	m->u.es4_prepare_smsr_change_req.current_smsr_id = SR1_ID;
	m->u.es4_prepare_smsr_change_req.validity_period = (struct es_int){ true, validity };
	memset(&mno, 0, sizeof(mno));
	smsr_change_es_request(sr2.chg, m, &(struct smsr_reply){ .respond = mno_respond, .requester = MNO_ID });
	talloc_free(m);
}

static void mno_smsr_change(int validity)
{
	struct es_msg *m = talloc_zero(ctx, struct es_msg);

	es_example_fill(m, ES_MSG_ES4_SMSR_CHANGE_REQ);
	m->u.es4_smsr_change_req.eid = (struct es_hex){ eid_bin, 16 };
	m->u.es4_smsr_change_req.target_smsr_id = SR2_ID;
	m->u.es4_smsr_change_req.validity_period = (struct es_int){ true, validity };
	m->wsa.reply_to = "mno";
	memset(&mno, 0, sizeof(mno));
	smsr_change_es_request(sr1.chg, m, &(struct smsr_reply){ .respond = mno_respond, .requester = MNO_ID });
	talloc_free(m);
}

static enum smsr_eis_state eis_state(struct side *s)
{
	struct smsr_eis_row row;

	return smsr_store_eis_get(s->store, EID, &row) == 0 ? row.state : 0;
}

/* The eUICC is managed by SR1 only, as before: its EIS active there, nothing at SR2, key set 01 on the card. */
static void assert_still_at_sr1(void)
{
	CU_ASSERT_EQUAL(eis_state(&sr1), SMSR_EIS_ACTIVE);
	CU_ASSERT_EQUAL(eis_state(&sr2), 0);
	CU_ASSERT_PTR_NOT_NULL(card_ks(0x01));
}

/* ... or by SR2 only: its EIS active with our Smsr-id and the key set the card holds. */
static void assert_at_sr2(bool old_keys_deleted)
{
	struct smsr_eis_row row;
	struct smsr_keyset_row ks;
	struct card_keyset *ck;
	char step[32];

	CU_ASSERT_EQUAL(eis_state(&sr1), 0);
	CU_ASSERT_EQUAL_FATAL(smsr_store_eis_get(sr2.store, EID, &row), 0);
	CU_ASSERT_EQUAL(row.state, SMSR_EIS_ACTIVE);
	CU_ASSERT_STRING_EQUAL(row.smsr_id, SR2_ID);
	CU_ASSERT_STRING_EQUAL(row.msisdn, "447700900001");
	CU_ASSERT_EQUAL_FATAL(smsr_store_keyset_get(sr2.store, EID, SMSR_KEYSET_SCP80, -1, &ks), 0);
	CU_ASSERT_EQUAL(ks.kvn, 0x02);
	ck = card_ks(ks.kvn);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ck);
	TEST_ASSERT_MEM_EQ(ks.kic, ks.kic_len, ck->key[0], 16);
	TEST_ASSERT_MEM_EQ(ks.kid, ks.kid_len, ck->key[1], 16);
	TEST_ASSERT_MEM_EQ(ks.kik, ks.kik_len, ck->key[2], 16);
	CU_ASSERT_EQUAL(card_ks(0x01) == NULL, old_keys_deleted);
	/* step 26: SR2's own SCP81 PSK, the same on both sides */
	CU_ASSERT_EQUAL_FATAL(smsr_store_keyset_get(sr2.store, EID, SMSR_KEYSET_SCP81, -1, &ks), 0);
	CU_ASSERT_EQUAL(ks.kvn, 0x40);
	ck = card_ks(0x40);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ck);
	CU_ASSERT_EQUAL(ck->n, 1);
	TEST_ASSERT_MEM_EQ(ks.psk, ks.psk_len, ck->key[0], 16);
	CU_ASSERT_EQUAL(card_num_keysets(), old_keys_deleted ? 2u : 3u);
	TEST_ASSERT_MEM_EQ(card.addressing, card.addressing_len, addressing, sizeof(addressing));
	CU_ASSERT_EQUAL(smsr_change_step(sr1.chg, EID, step, sizeof(step)), -ENOENT);
	CU_ASSERT_EQUAL(smsr_change_step(sr2.chg, EID, step, sizeof(step)), -ENOENT);
}

static void run_to_end(void)
{
	mno_prepare(600);
	CU_ASSERT_EQUAL(mno.status, ES_STATUS_EXECUTED_SUCCESS);
	CU_ASSERT_EQUAL(eis_state(&sr2), SMSR_EIS_HANDOVER_IN);
	mno_smsr_change(600);
	CU_ASSERT_EQUAL(mno.n, 0); /* async: nothing yet */
	CU_ASSERT_EQUAL(eis_state(&sr1), SMSR_EIS_HANDOVER_OUT);
	pump();
}

/* ---- the tests ------------------------------------------------------------------------------------- */

int suite_setup(void)
{
	ctx = talloc_named_const(NULL, 0, "smsr_change_test");
	osmo_init_logging2(ctx, &smsr_log_info);
	log_set_print_filename2(osmo_stderr_target, LOG_FILENAME_NONE);
	log_set_print_category_hex(osmo_stderr_target, 0);
	log_set_print_level(osmo_stderr_target, 1);
	log_set_use_color(osmo_stderr_target, 0);
	log_set_print_timestamp(osmo_stderr_target, 0);
	log_set_log_level(osmo_stderr_target, LOGL_INFO);
	osmo_gettimeofday_override = true;
	osmo_gettimeofday_override_time = (struct timeval){ .tv_sec = 1700000000 };
	osmo_tdefs_reset(chg_tdefs);
	snprintf(tmpdir, sizeof(tmpdir), "%s/rsplab-smsr-change-XXXXXX", P_tmpdir);
	if (!mkdtemp(tmpdir))
		return -1;
	return pki_setup();
}

int suite_teardown(void)
{
	rmdir(tmpdir);
	EVP_PKEY_free(ci_key);
	EVP_PKEY_free(eum_key);
	EVP_PKEY_free(rogue_key);
	EVP_PKEY_free(ecasd_key);
	EVP_PKEY_free(sr2_key);
	X509_free(ci);
	X509_free(eum);
	log_fini();
	talloc_free(ctx);
	return 0;
}

void test_smsr_change_success(void)
{
	struct smsr_audit_row a[8];
	size_t n;

	world_setup();
	register_eis(ecasd_cert, ecasd_cert_len);
	btw("MNO2 prepares SR2 (steps 1-3), the MNO asks SR1 for the change (step 4); everything flows");
	run_to_end();
	CU_ASSERT_EQUAL(mno.n, 1);
	CU_ASSERT_EQUAL(mno.id, ES_MSG_ES4_SMSR_CHANGE_RESP);
	CU_ASSERT_EQUAL(mno.status, ES_STATUS_EXECUTED_SUCCESS);
	btw("The eUICC is SR2's: SR1's EIS is gone, SR2 holds the derived key set, the card only that one");
	assert_at_sr2(true);
	/* 3A01, 3A02, FinaliseISDRhandover, 3A07, then SR2's own 3A01 and 3A02 for its SCP81 key set */
	CU_ASSERT_EQUAL(card.cmds, 6);
	btw("Steps 31-32: the MNO owning the profile is notified over ES4, with its part of the EIS");
	CU_ASSERT_EQUAL(n_notifs, 1);
	CU_ASSERT_EQUAL(notif_id, ES_MSG_ES4_HANDLE_SMSR_CHANGE_NOTIF);
	CU_ASSERT_STRING_EQUAL(notif_to, MNO_ID);
	CU_ASSERT_EQUAL(notif_profiles, 1);
	btw("Both audit trails record the handover");
	CU_ASSERT_EQUAL(smsr_store_audit_list(sr1.store, EID, a, 8, &n), 0);
	CU_ASSERT_EQUAL(n, 1);
	CU_ASSERT_EQUAL(a[0].op_type, 0x0A00);
	CU_ASSERT_EQUAL(smsr_store_audit_list(sr2.store, EID, a, 8, &n), 0);
	CU_ASSERT_EQUAL(n, 1);
	CU_ASSERT_EQUAL(a[0].op_type, 0x0900);
	CU_ASSERT_EQUAL(a[0].status, ES_STATUS_EXECUTED_SUCCESS);
	CU_ASSERT_EQUAL(smsr_change_stats(sr2.chg)->committed, 1);
	world_teardown();
}

void test_smsr_change_keep_list_variant(void)
{
	world_setup();
	sr2.cfg.f2 = ES5_F2_KEEP_LIST;
	side_close(&sr2);
	side_open(&sr2);
	card.f2 = ES5_F2_KEEP_LIST;
	register_eis(ecasd_cert, ecasd_cert_len);
	btw("F2 as a keep list (Njiwa): the card keeps the new key set only; the effect is the same");
	run_to_end();
	CU_ASSERT_EQUAL(mno.status, ES_STATUS_EXECUTED_SUCCESS);
	assert_at_sr2(true);
	world_teardown();
}

void test_smsr_change_scp81_none_variant(void)
{
	struct smsr_keyset_row ks;

	world_setup();
	sr2.cfg.scp81 = SMSR_CHG_SCP81_NONE;
	side_close(&sr2);
	side_open(&sr2);
	register_eis(ecasd_cert, ecasd_cert_len);
	btw("Variant scp81=none: SR2 stops after 3A07 and keeps no SCP81 key set (SMS only)");
	run_to_end();
	CU_ASSERT_EQUAL(mno.status, ES_STATUS_EXECUTED_SUCCESS);
	CU_ASSERT_EQUAL(card.cmds, 4);
	CU_ASSERT_PTR_NULL(card_ks(0x40));
	CU_ASSERT_EQUAL(smsr_store_keyset_get(sr2.store, EID, SMSR_KEYSET_SCP81, -1, &ks), -ENOENT);
	world_teardown();
}

void test_smsr_change_scp81_refused_is_a_warning(void)
{
	struct smsr_keyset_row ks;

	world_setup();
	register_eis(ecasd_cert, ecasd_cert_len);
	card.refuse_scp81 = true;
	btw("The card refuses SR2's SCP81 key agreement (6985): after step 23 a warning, the EIS is SR2's");
	run_to_end();
	CU_ASSERT_EQUAL(mno.status, ES_STATUS_EXECUTED_WITHWARNING);
	CU_ASSERT_EQUAL(card.cmds, 6);
	CU_ASSERT_EQUAL(eis_state(&sr1), 0);
	CU_ASSERT_EQUAL(eis_state(&sr2), SMSR_EIS_ACTIVE);
	CU_ASSERT_EQUAL(smsr_store_keyset_get(sr2.store, EID, SMSR_KEYSET_SCP81, -1, &ks), -ENOENT);
	world_teardown();
}

void test_smsr_change_bad_ecasd_cert(void)
{
	world_setup();
	btw("The EIS carries a CERT.ECASD.ECKA signed by a key that is not the EUM's");
	register_eis(rogue_ecasd_cert, rogue_ecasd_cert_len);
	run_to_end();
	btw("Step 6 fails at SR2: HandoverEUICC Failed 8.5.2/6.3, SR1 unlocks and answers Failed");
	CU_ASSERT_EQUAL(mno.n, 1);
	CU_ASSERT_EQUAL(mno.status, ES_STATUS_FAILED);
	assert_still_at_sr1();
	CU_ASSERT_EQUAL(card.cmds, 0);
	CU_ASSERT_EQUAL(card_num_keysets(), 1);
	world_teardown();
}

void test_smsr_change_sr_cert_not_from_ci(void)
{
	world_setup();
	sr2.cfg.sr_cert = rogue_sr2_cert;
	sr2.cfg.sr_cert_len = rogue_sr2_cert_len;
	side_close(&sr2);
	side_open(&sr2);
	register_eis(ecasd_cert, ecasd_cert_len);
	btw("SR2's CERT.SR.ECDSA is not signed by the CI: the eUICC refuses 3A01 (6982)");
	run_to_end();
	CU_ASSERT_EQUAL(mno.status, ES_STATUS_FAILED);
	assert_still_at_sr1();
	CU_ASSERT_EQUAL(card.cmds, 1);
	CU_ASSERT_EQUAL(card_num_keysets(), 1);
	world_teardown();
}

void test_smsr_change_wrong_receipt(void)
{
	world_setup();
	register_eis(ecasd_cert, ecasd_cert_len);
	card.corrupt_receipt = true;
	btw("The receipt the card returns does not verify at SR2 (step 23): no commit");
	run_to_end();
	CU_ASSERT_EQUAL(mno.status, ES_STATUS_FAILED);
	assert_still_at_sr1();
	CU_ASSERT_EQUAL(card.cmds, 2);
	btw("SR1 keeps managing the eUICC with its own key set (the new one on the card is unused)");
	CU_ASSERT_EQUAL(card_num_keysets(), 2);
	CU_ASSERT_EQUAL(smsr_change_stats(sr2.chg)->committed, 0);
	world_teardown();
}

void test_smsr_change_expiry_step7(void)
{
	world_setup();
	register_eis(ecasd_cert, ecasd_cert_len);
	mno_prepare(600);
	mno_smsr_change(60);
	btw("The HandoverEUICC is lost on its way: no AuthenticateSMSR (step 7) within the 60 s");
	drop_queue();
	fake_time_passes(59);
	CU_ASSERT_EQUAL(mno.n, 0);
	CU_ASSERT_EQUAL(eis_state(&sr1), SMSR_EIS_HANDOVER_OUT);
	fake_time_passes(2);
	CU_ASSERT_EQUAL(mno.n, 1);
	CU_ASSERT_EQUAL(mno.status, ES_STATUS_FAILED);
	CU_ASSERT_STRING_EQUAL(mno.reason, "5.3");
	CU_ASSERT_EQUAL(eis_state(&sr1), SMSR_EIS_ACTIVE);
	btw("SR2's preparation expires too; its placeholder goes");
	fake_time_passes(600);
	assert_still_at_sr1();
	world_teardown();
}

void test_smsr_change_expiry_step15(void)
{
	world_setup();
	register_eis(ecasd_cert, ecasd_cert_len);
	mno_prepare(600);
	mno_smsr_change(60);
	btw("Steps 5-13 flow; the CreateAdditionalKeySet (step 15) is lost");
	CU_ASSERT_TRUE(pump_until_req(ES_MSG_ES7_CREATE_ADDITIONAL_KEY_SET_REQ));
	drop_queue();
	CU_ASSERT_EQUAL(card.cmds, 1);
	fake_time_passes(61);
	btw("SR1 aborts with Failed; SR2 gives up at the same deadline and forgets the EIS");
	CU_ASSERT_EQUAL(mno.n, 1);
	CU_ASSERT_EQUAL(mno.status, ES_STATUS_FAILED);
	pump(); /* SR2's Failed answer reaches an SR1 that is done already */
	assert_still_at_sr1();
	world_teardown();
}

void test_smsr_change_lost_request_retried_from_step7(void)
{
	world_setup();
	register_eis(ecasd_cert, ecasd_cert_len);
	mno_prepare(600);
	mno_smsr_change(600);
	btw("Steps 5-13 flow; the CreateAdditionalKeySet (step 15) is lost (SR1 restarting, a network cut)");
	CU_ASSERT_TRUE(pump_until_req(ES_MSG_ES7_CREATE_ADDITIONAL_KEY_SET_REQ));
	drop_queue();
	CU_ASSERT_EQUAL(card.cmds, 1);
	btw("After T_ES7_RETRY (60 s here) SR2 starts again from step 7: a new RC, new key parameters");
	fake_time_passes(59);
	CU_ASSERT_EQUAL(smsr_change_stats(sr2.chg)->es7_retries, 0);
	fake_time_passes(2);
	CU_ASSERT_EQUAL(smsr_change_stats(sr2.chg)->es7_retries, 1);
	pump();
	btw("The change completes within the validity period");
	CU_ASSERT_EQUAL(mno.n, 1);
	CU_ASSERT_EQUAL(mno.status, ES_STATUS_EXECUTED_SUCCESS);
	assert_at_sr2(true);
	CU_ASSERT_EQUAL(card.cmds, 7); /* 3A01, then 3A01 3A02 F2 3A07 and SR2's own 3A01 3A02 */
	world_teardown();
}

void test_smsr_change_already_managed(void)
{
	world_setup();
	register_eis(ecasd_cert, ecasd_cert_len);
	run_to_end();
	assert_at_sr2(true);
	btw("An earlier attempt passed step 23 but SR1 still has the EIS (registered there again)");
	register_eis(ecasd_cert, ecasd_cert_len);
	mno_prepare(600);
	CU_ASSERT_EQUAL(mno.status, ES_STATUS_EXECUTED_SUCCESS);
	card.cmds = 0;
	mno_smsr_change(600);
	pump();
	btw("SR2 skips steps 7-23 with \"eUICC already managed\"; SR1 deletes its EIS: Success-WithWarning");
	CU_ASSERT_EQUAL(card.cmds, 0);
	CU_ASSERT_EQUAL(mno.status, ES_STATUS_EXECUTED_WITHWARNING);
	assert_at_sr2(true);
	world_teardown();
}

void test_smsr_change_key_deletion_fails(void)
{
	world_setup();
	register_eis(ecasd_cert, ecasd_cert_len);
	card.fail_delete = true;
	btw("FinaliseISDRhandover fails on the card (6581): after step 23 that is a warning only");
	run_to_end();
	CU_ASSERT_EQUAL(mno.status, ES_STATUS_EXECUTED_WITHWARNING);
	assert_at_sr2(false);
	world_teardown();
}

void test_smsr_change_restart_between_7_and_15(void)
{
	char step[32];

	world_setup();
	register_eis(ecasd_cert, ecasd_cert_len);
	mno_prepare(600);
	mno_smsr_change(600);
	CU_ASSERT_TRUE(pump_until_req(ES_MSG_ES7_CREATE_ADDITIONAL_KEY_SET_REQ));
	CU_ASSERT_EQUAL(smsr_change_step(sr1.chg, EID, step, sizeof(step)), 0);
	CU_ASSERT_STRING_EQUAL(step, "13_WAIT_KEYSET_REQ");
	CU_ASSERT_EQUAL(smsr_change_step(sr2.chg, EID, step, sizeof(step)), 0);
	CU_ASSERT_STRING_EQUAL(step, "15_CREATE_KEYSET_SENT");
	restart_both();
	btw("SR1 waits for step 15 again; SR2 (before the commit point) restarts from step 7 with a new RC");
	pump();
	CU_ASSERT_EQUAL(mno.n, 1);
	CU_ASSERT_EQUAL(mno.status, ES_STATUS_EXECUTED_SUCCESS);
	CU_ASSERT_EQUAL(card.cmds, 7); /* 3A01 twice */
	assert_at_sr2(true);
	CU_ASSERT_EQUAL(smsr_change_stats(sr1.chg)->resumed, 1);
	world_teardown();
}

void test_smsr_change_restart_after_commit(void)
{
	world_setup();
	register_eis(ecasd_cert, ecasd_cert_len);
	mno_prepare(600);
	mno_smsr_change(600);
	btw("Run until SR2 committed (step 23) and sent FinaliseISDRhandover, then kill both");
	while (!llist_empty(&queue) && smsr_change_stats(sr2.chg)->committed == 0) {
		struct qmsg *q = pop();
		deliver(q);
		talloc_free(q);
	}
	CU_ASSERT_EQUAL(smsr_change_stats(sr2.chg)->committed, 1);
	restart_both();
	btw("SR2 continues from step 25 with its stored key set; SR1 (at step 22) gets step 28 by RelatesTo");
	pump();
	CU_ASSERT_EQUAL(mno.status, ES_STATUS_EXECUTED_SUCCESS);
	assert_at_sr2(true);
	world_teardown();
}

void test_smsr_change_bad_requests(void)
{
	struct es_msg *m = talloc_zero(ctx, struct es_msg);
	struct smsr_reply r = { .respond = mno_respond, .requester = MNO_ID };
	uint8_t other_eid[16];

	world_setup();
	register_eis(ecasd_cert, ecasd_cert_len);
	btw("SMSRChange for an unknown EID, towards ourselves; PrepareSMSRChange naming ourselves");
	es_example_fill(m, ES_MSG_ES4_SMSR_CHANGE_REQ);
	memcpy(other_eid, eid_bin, 16);
	other_eid[15] ^= 0x01; /* check digits wrong: not an EID we could know */
	m->u.es4_smsr_change_req.eid = (struct es_hex){ other_eid, 16 };
	m->u.es4_smsr_change_req.target_smsr_id = SR2_ID;
	CU_ASSERT_EQUAL(smsr_change_es_request(sr1.chg, m, &r), -ENOENT);
	CU_ASSERT_EQUAL(mno.status, ES_STATUS_FAILED);
	m->u.es4_smsr_change_req.eid = (struct es_hex){ eid_bin, 16 };
	m->u.es4_smsr_change_req.target_smsr_id = SR1_ID;
	CU_ASSERT_EQUAL(smsr_change_es_request(sr1.chg, m, &r), -EINVAL);
	es_example_fill(m, ES_MSG_ES4_PREPARE_SMSR_CHANGE_REQ);
	m->u.es4_prepare_smsr_change_req.eid = (struct es_hex){ eid_bin, 16 };
	m->u.es4_prepare_smsr_change_req.current_smsr_id = SR2_ID;
	CU_ASSERT_EQUAL(smsr_change_es_request(sr2.chg, m, &r), -EINVAL);
	btw("An ES7 request without a procedure, and one from an SM-SR that is not the peer");
	es_example_fill(m, ES_MSG_ES7_AUTHENTICATE_SMSR_REQ);
	m->u.es7_authenticate_smsr_req.eis.present = false;
	m->u.es7_authenticate_smsr_req.eid = (struct es_hex){ eid_bin, 16 };
	CU_ASSERT_EQUAL(smsr_change_es_request(sr1.chg, m, &r), -ENOENT);
	mno_prepare(600);
	mno_smsr_change(600);
	CU_ASSERT_EQUAL(smsr_change_es_request(sr1.chg, m,
					       &(struct smsr_reply){ .respond = mno_respond, .requester = "9.9.9" }),
			0);
	CU_ASSERT_EQUAL(mno.status, ES_STATUS_FAILED);
	btw("A second SMSRChange while one runs is refused; the first one completes");
	memset(&mno, 0, sizeof(mno));
	es_example_fill(m, ES_MSG_ES4_SMSR_CHANGE_REQ);
	m->u.es4_smsr_change_req.eid = (struct es_hex){ eid_bin, 16 };
	m->u.es4_smsr_change_req.target_smsr_id = SR2_ID;
	CU_ASSERT_EQUAL(smsr_change_es_request(sr1.chg, m, &r), -EBUSY);
	CU_ASSERT_EQUAL(mno.status, ES_STATUS_FAILED);
	memset(&mno, 0, sizeof(mno));
	pump();
	CU_ASSERT_EQUAL(mno.status, ES_STATUS_EXECUTED_SUCCESS);
	assert_at_sr2(true);
	talloc_free(m);
	world_teardown();
}

void test_smsr_change_commit_not_stored(void)
{
	struct smsr_keyset_row ks;

	world_setup();
	register_eis(ecasd_cert, ecasd_cert_len);
	mno_prepare(600);
	mno_smsr_change(600);
	CU_ASSERT_TRUE(pump_until_req(ES_MSG_ES7_CREATE_ADDITIONAL_KEY_SET_REQ));
	btw("The receipt verifies, but SR2's commit transaction fails (a kill between statements)");
	while (!llist_empty(&queue)) {
		struct qmsg *q = llist_first_entry(&queue, struct qmsg, list);

		if (q->kind == Q_RESP && q->to == &sr2)
			break;
		q = pop();
		deliver(q);
		talloc_free(q);
	}
	CU_ASSERT_FALSE_FATAL(llist_empty(&queue));
	smsr_store_fail_after(sr2.store, 1);
	pump();
	btw("No commit: SR2 answers Failed and keeps nothing; SR1 manages the eUICC as before");
	CU_ASSERT_EQUAL(mno.status, ES_STATUS_FAILED);
	CU_ASSERT_EQUAL(smsr_change_stats(sr2.chg)->committed, 0);
	CU_ASSERT_EQUAL(smsr_store_keyset_get(sr2.store, EID, SMSR_KEYSET_SCP80, -1, &ks), -ENOENT);
	assert_still_at_sr1();
	world_teardown();
}

/* ---- a kill at every stored step ----------------------------------------------------------------------
 * One SM-SR is killed right after it stored a step (its in-flight messages are lost, its stores closed
 * without a shutdown), optionally with the last transaction torn (smsr_store_fail_after: the kill fell
 * between two statements), optionally kept down while the other side runs on (requests to it are refused,
 * answers to it lost), then restarted on the same database with smsr_change_resume(). After everything
 * ran and every validity period expired, digest §2.1 must hold: the EIS at exactly one SM-SR, that one
 * able to reach the card (its newest ISD-R key set is on the card), no procedure left, the MNO answered
 * once and in line with the outcome, both audit trails in line with it. */

static const char *const sr1_steps[] = { "5_HANDOVER_SENT", "8_CERT_TO_ISDR", "13_WAIT_KEYSET_REQ",
					 "16_KEYAGREEMENT_TO_ISDR", "22_WAIT_HANDOVER_RESP" };
static const char *const sr2_steps[] = { "2_AWAITING_HANDOVER", "7_AUTHENTICATE_SENT", "15_CREATE_KEYSET_SENT",
					 "25_FINALISE_SENT",	"26_ADDRESSING_SENT",  "26_SCP81_CERT_SENT",
					 "26_SCP81_KEYS_SENT" };

static unsigned int n_events;
static struct side *dead; /* the killed side while it is down */

/* A message to a dead side: a request is refused (its caller sees a transport error), anything else is
 * lost. */
static void deliver_or_refuse(struct qmsg *q)
{
	if (dead && q->to == dead) {
		if (q->kind == Q_REQ && q->from != dead)
			smsr_change_es_rx_response(q->from->chg, q->tag, -ECONNREFUSED, NULL);
		return;
	}
	if (q->kind == Q_STORED_RESP) {
		/* a late answer may find the procedure ended already (it expired meanwhile) */
		void *t = talloc_new(ctx);

		smsr_change_es_rx_unmatched(q->to->chg, decode(t, q->buf, q->len));
		talloc_free(t);
		return;
	}
	deliver(q);
}

/* The next event of the procedure: 0 = PrepareSMSRChange at SR2, 1 = SMSRChange at SR1, then one queued
 * message each. false when nothing is left. */
static bool advance(void)
{
	struct qmsg *q;

	switch (n_events++) {
	case 0: mno_prepare(600); return true;
	case 1: mno_smsr_change(600); return true;
	default:
		if (!(q = pop()))
			return false;
		deliver_or_refuse(q);
		talloc_free(q);
		return true;
	}
}

static bool at_step(struct side *s, const char *step)
{
	char now[32];

	return smsr_change_step(s->chg, EID, now, sizeof(now)) == 0 && !strcmp(now, step);
}

static void kill_side(struct side *s)
{
	struct qmsg *q, *q2;

	/* what was on its way to the process is lost with it */
	llist_for_each_entry_safe (q, q2, &queue, list) {
		if (q->to != s || q->kind == Q_REQ)
			continue;
		llist_del(&q->list);
		talloc_free(q);
	}
	side_close(s);
	dead = s;
}

static void restart_side(struct side *s)
{
	dead = NULL;
	side_open(s);
	smsr_change_resume(s->chg);
}

static void run_out(void)
{
	while (advance())
		;
}

/* Let every validity period and timer run out, delivering what they cause. */
static void expire_all(void)
{
	for (int i = 0; i < 8; i++) {
		fake_time_passes(400);
		run_out();
	}
}

static void assert_one_holder(const char *what, bool torn)
{
	struct smsr_audit_row a1[16], a2[16];
	struct smsr_keyset_row ks;
	struct side *holder;
	struct card_keyset *ck;
	size_t n1 = 0, n2 = 0;
	char step[32];
	bool at1 = eis_state(&sr1) != 0, at2 = eis_state(&sr2) != 0;

	CU_ASSERT_EQUAL(smsr_store_audit_list(sr1.store, EID, a1, ARRAY_SIZE(a1), &n1), 0);
	CU_ASSERT_EQUAL(smsr_store_audit_list(sr2.store, EID, a2, ARRAY_SIZE(a2), &n2), 0);
	fprintf(stderr, "%s: EIS at SR1 %d, at SR2 %d; MNO answers %u (%s); audit records %zu/%zu\n", what,
		eis_state(&sr1), eis_state(&sr2), mno.n, get_value_string(es_status_names, mno.status), n1, n2);
	CU_ASSERT_EQUAL(smsr_change_num_procs(sr1.chg), 0);
	CU_ASSERT_EQUAL(smsr_change_num_procs(sr2.chg), 0);
	CU_ASSERT_EQUAL(smsr_change_step(sr1.chg, EID, step, sizeof(step)), -ENOENT);
	CU_ASSERT_EQUAL(smsr_change_step(sr2.chg, EID, step, sizeof(step)), -ENOENT);
	/* never at both, never at neither */
	CU_ASSERT_FATAL(at1 != at2);
	holder = at1 ? &sr1 : &sr2;
	CU_ASSERT_EQUAL(eis_state(holder), SMSR_EIS_ACTIVE);
	if (holder == &sr2) {
		struct smsr_eis_row row;

		CU_ASSERT_EQUAL(smsr_store_eis_get(sr2.store, EID, &row), 0);
		CU_ASSERT_STRING_EQUAL(row.smsr_id, SR2_ID);
	}
	/* the holder reaches the card: the key set its ES5 would use is there */
	CU_ASSERT_EQUAL_FATAL(smsr_store_keyset_get(holder->store, EID, SMSR_KEYSET_SCP80, -1, &ks), 0);
	ck = card_ks(ks.kvn);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ck);
	TEST_ASSERT_MEM_EQ(ks.kic, ks.kic_len, ck->key[0], 16);
	TEST_ASSERT_MEM_EQ(ks.kid, ks.kid_len, ck->key[1], 16);
	/* the MNO got one answer, success iff the eUICC moved */
	CU_ASSERT_EQUAL(mno.n, 1);
	CU_ASSERT_EQUAL(mno.status != ES_STATUS_FAILED, holder == &sr2);
	/* audit trails: SR1 recorded the outcome of its handover once; SR2 an incoming one in line with it */
	/* (a torn statement in SR1's first transaction refuses SMSRChange before anything started: no
	 * record then, the MNO got Failed) */
	CU_ASSERT(n1 == 1 || (torn && holder == &sr1 && n1 == 0 && mno.status == ES_STATUS_FAILED));
	if (n1 >= 1) {
		CU_ASSERT_EQUAL(a1[n1 - 1].op_type, 0x0A00);
		CU_ASSERT_EQUAL(a1[n1 - 1].status != ES_STATUS_FAILED, holder == &sr2);
	}
	if (holder == &sr2) {
		CU_ASSERT_EQUAL_FATAL(n2 >= 1, true);
		CU_ASSERT_EQUAL(a2[n2 - 1].op_type, 0x0900);
		CU_ASSERT_NOT_EQUAL(a2[n2 - 1].status, ES_STATUS_FAILED);
	} else {
		for (size_t i = 0; i < n2; i++)
			CU_ASSERT_EQUAL(a2[i].status, ES_STATUS_FAILED);
	}
}

/* Kill s right after it stored step (tear its last transaction after fail_k statements when fail_k > 0),
 * keep it down until the rest ran when down is set, restart it, run everything out. false when the step
 * was never reached. */
static bool kill_at(struct side *s, const char *step, unsigned int fail_k, bool down)
{
	char what[128];
	unsigned int n = 0;
	bool found = false;

	/* a dry run finds the event that stores the step (the flow is the same every time) */
	world_setup();
	register_eis(ecasd_cert, ecasd_cert_len);
	n_events = 0;
	while (!found && advance())
		found = at_step(s, step);
	n = n_events;
	drop_queue();
	side_close(&sr1);
	side_close(&sr2);
	unlink(sr1.db);
	unlink(sr2.db);
	if (!found)
		return false;

	snprintf(what, sizeof(what), "kill %s at %s%s%s", s->id, step, fail_k ? ", statement torn" : "",
		 down ? ", kept down" : "");
	btw("%s (event %u)", what, n);
	world_setup();
	register_eis(ecasd_cert, ecasd_cert_len);
	n_events = 0;
	while (n_events + 1 < n)
		advance();
	if (fail_k)
		smsr_store_fail_after(s->store, fail_k);
	advance();
	kill_side(s);
	if (down) {
		run_out();
		expire_all();
	}
	restart_side(s);
	run_out();
	expire_all();
	assert_one_holder(what, fail_k > 0);
	world_teardown();
	return true;
}

void test_smsr_change_kill_every_step(void)
{
	for (size_t i = 0; i < ARRAY_SIZE(sr1_steps); i++)
		CU_ASSERT_TRUE(kill_at(&sr1, sr1_steps[i], 0, false));
	for (size_t i = 0; i < ARRAY_SIZE(sr2_steps); i++)
		CU_ASSERT_TRUE(kill_at(&sr2, sr2_steps[i], 0, false));
}

/* Each side killed at each step and kept down while the other runs on. SR1 killed at 22 and still down
 * when SR2 answers step 28 loses that answer: after its restart SR1 asks again (HandoverEUICC with the
 * same FunctionCallIdentifier) and SR2 answers "eUICC already managed" from its EIS. */
void test_smsr_change_kill_every_step_kept_down(void)
{
	for (size_t i = 0; i < ARRAY_SIZE(sr1_steps); i++)
		CU_ASSERT_TRUE(kill_at(&sr1, sr1_steps[i], 0, true));
	for (size_t i = 0; i < ARRAY_SIZE(sr2_steps); i++)
		CU_ASSERT_TRUE(kill_at(&sr2, sr2_steps[i], 0, true));
}

void test_smsr_change_kill_between_statements(void)
{
	for (unsigned int k = 1; k <= 3; k++) {
		for (size_t i = 0; i < ARRAY_SIZE(sr1_steps); i++)
			kill_at(&sr1, sr1_steps[i], k, false);
		for (size_t i = 0; i < ARRAY_SIZE(sr2_steps); i++)
			kill_at(&sr2, sr2_steps[i], k, false);
	}
}
