/* SM-SR Change benchmark (issue 8): complete SM-SR Change procedures per second, SR1 and SR2 in one
 * process wired back to back (the wiring of smsr_change_test.c, re-done here: every ES4/ES7 message is
 * SOAP-encoded and decoded again through a queue), against a computed card at the ES5 boundary that
 * does the real card-side crypto (CERT.SR.ECDSA checked with PK.CI.ECDSA, the key-parameter signature
 * verified, ecka_card_establish). SCP80 and the SMS transport are not part of it (stubbed: the card
 * checks that the SM-SR's store selects the keys it holds). One change = RegisterEIS at SR1 (not
 * timed), then PrepareSMSRChange at SR2 and SMSRChange at SR1 until SR1 answers (timed): 6 card
 * commands (3A01, 3A02 for SR2's SCP80 keys, F2, 3A07, then 3A01 and 3A02 for its SCP81 key set).
 *
 * Same run: the crypto one change needs, alone (the same lib/ calls with the same inputs: SR2's EUM
 * chain check of CERT.ECASD.ECKA, and twice the key establishment on both sides), and the procedure
 * again with in-memory stores (the on-disk stores' share). Prints procedure time / crypto time.
 * The stores are on-disk SQLite (WAL, synchronous=FULL) in a fresh directory under $TMPDIR or
 * /var/tmp; the file system type is printed, since fsync cost depends on it.
 * Bounded (about 3 s per procedure series, 2 s crypto); never asserts on time. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statfs.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <osmocom/core/application.h>
#include <osmocom/core/linuxlist.h>
#include <osmocom/core/logging.h>
#include <osmocom/core/utils.h>
#include <talloc.h>

#include "lib/crypto/ec.h"
#include "lib/crypto/sym.h"
#include "lib/gpcert/gpcert.h"
#include "lib/ids/ids.h"
#include "lib/tls/pki.h"
#include "lib/tlv/bertlv.h"
#include "network/smsr/smsr_change.h"
#include "network/smsr/smsr_log.h"

#define SERIES_S    3.0
#define CRYPTO_S    2.0
#define MAX_CHANGES 5000

static void *ctx;
static const char *SR1_ID = "1.3.6.1.4.1.99999.1";
static const char *SR2_ID = "1.3.6.1.4.1.99999.2";
static const char *MNO_ID = "1.2.3.1";
static char cur_eid[IDS_EID_DIGITS + 1];
static uint8_t cur_eid_bin[IDS_EID_BYTES];
static char cur_iccid[24];

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what)
{
	fprintf(stderr, "smsr_change_bench: %s\n", what);
	exit(1);
}

/* ---- PKI: CI, EUM (X.509), CERT.ECASD.ECKA (EUM-signed), CERT.SR.ECDSA of SR2 (CI-signed) ---------- */

static EVP_PKEY *ci_key, *eum_key, *ecasd_key, *sr2_key;
static X509 *ci, *eum;
static uint8_t ecasd_cert[512], sr2_cert[512];
static size_t ecasd_cert_len, sr2_cert_len;

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

static void pki_setup(void)
{
	ci_key = tls_pki_key_p256();
	eum_key = tls_pki_key_p256();
	ecasd_key = tls_pki_key_p256();
	sr2_key = tls_pki_key_p256();
	ci = tls_pki_cert_issue(
		&(struct tls_pki_cert_params){ .cn = "rsplab CI", .is_ca = true, .not_after_s = 86400, .serial = 1 },
		ci_key, NULL, NULL);
	eum = tls_pki_cert_issue(
		&(struct tls_pki_cert_params){ .cn = "rsplab EUM", .is_ca = true, .not_after_s = 86400, .serial = 2 },
		eum_key, ci, ci_key);
	if (!ci || !eum)
		die("PKI");
	ecasd_cert_len = make_cert(ecasd_cert, sizeof(ecasd_cert), GPCERT_TYPE_ECASD, eum_key, ecasd_key);
	sr2_cert_len = make_cert(sr2_cert, sizeof(sr2_cert), GPCERT_TYPE_SR, ci_key, sr2_key);
	if (!ecasd_cert_len || !sr2_cert_len)
		die("PKI certificates");
}

/* ---- the card: ECASD + ISD-R (as in smsr_change_test.c, without the fault switches) ----------------- */

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
	unsigned int cmds;
} card;

static struct card_keyset *card_ks(uint8_t kvn)
{
	for (unsigned int i = 0; i < ARRAY_SIZE(card.ks); i++)
		if (card.ks[i].present && card.ks[i].kvn == kvn)
			return &card.ks[i];
	return NULL;
}

static void card_reset(void)
{
	memset(&card, 0, sizeof(card));
	card.ks[0] = (struct card_keyset){ true, 0x01, { { 0 } }, 3 };
	for (int i = 0; i < 3; i++)
		memset(card.ks[0].key[i], 0x11 * (i + 1), 16);
}

static uint16_t card_keyset_cert(const struct es5_command *cmd, uint8_t *resp, size_t *rlen)
{
	struct gpcert c;
	struct gpcert_check_opts o = { .check_type = true, .type = GPCERT_TYPE_SR };
	enum gpcert_err why;
	struct bertlv_writer w;
	int n;

	card.rc_pending = false;
	if (gpcert_decode_exact(&c, cmd->u.keyset_cert.cert.buf, cmd->u.keyset_cert.cert.len, &why) < 0)
		return 0x6A80;
	if (gpcert_check(&c, ci_key, &o, &why) < 0) /* digest §2.1 steps 8-12 */
		return 0x6982;
	memcpy(card.sr_pk, c.public_key, EC_POINT_LEN);
	crypto_random(card.rc, sizeof(card.rc));
	card.rc_pending = true;
	bertlv_writer_init(&w, resp, 64);
	bertlv_put(&w, 0x85, card.rc, sizeof(card.rc));
	n = bertlv_writer_finish(&w);
	*rlen = n > 0 ? (size_t)n : 0;
	return 0x9000;
}

static uint16_t card_keyagreement(uint8_t session_kvn, const struct es5_command *cmd, uint8_t *resp, size_t *rlen)
{
	const struct es5_bytes *a6 = &cmd->u.keyset_keyagreement.a6, *ev = &cmd->u.keyset_keyagreement.epk_value,
			       *sig = &cmd->u.keyset_keyagreement.sig;
	uint8_t sd[512], epk_tlv[128];
	const uint8_t *point;
	struct ecka_crt crt;
	struct ecka_card_result r;
	struct card_keyset *k;
	struct bertlv_writer w;
	EVP_PKEY *pk = NULL;
	int n;

	if (!card.rc_pending)
		return 0x6985;
	card.rc_pending = false;
	bertlv_writer_init(&w, epk_tlv, sizeof(epk_tlv));
	bertlv_put(&w, 0x7F49, ev->buf, ev->len);
	n = bertlv_writer_finish(&w);
	if (n < 0 || ecka_epk_decode(epk_tlv, (size_t)n, &point) < 0 ||
	    ecka_crt_decode(&crt, a6->buf, a6->len) != (int)a6->len || crt.kvn == session_kvn)
		return 0x6A80;
	n = es5_keyset_signed_data(sd, sizeof(sd), a6->buf, a6->len, ev->buf, ev->len, card.rc, sizeof(card.rc));
	if (n < 0 || crypto_ec_from_public(CRYPTO_CURVE_P256, card.sr_pk, EC_POINT_LEN, &pk) < 0)
		return 0x6A80;
	if (crypto_ecdsa_verify(pk, sd, (size_t)n, sig->buf, sig->len) != 0) {
		EVP_PKEY_free(pk);
		return 0x6982;
	}
	EVP_PKEY_free(pk);
	if (ecka_card_establish(ecasd_key, point, EC_POINT_LEN, a6->buf, a6->len,
				crt.key_type == ECKA_KEY_TYPE_PSK_TLS ? ECKA_TARGET_ISDR_SCP81 : ECKA_TARGET_ISDR,
				&ecka_variants_default, NULL, &r) < 0)
		return 0x6A80;
	k = card_ks(crt.kvn);
	for (unsigned int i = 0; !k && i < ARRAY_SIZE(card.ks); i++)
		if (!card.ks[i].present)
			k = &card.ks[i];
	if (!k)
		return 0x6A84;
	*k = (struct card_keyset){ true, crt.kvn, { { 0 } }, r.keys.n_keys };
	for (unsigned int i = 0; i < r.keys.n_keys && i < 3; i++)
		memcpy(k->key[i], r.keys.key[i], 16);
	bertlv_writer_init(&w, resp, 64);
	if (r.dr_len)
		bertlv_put(&w, 0x85, r.dr, r.dr_len);
	bertlv_put(&w, 0x86, r.receipt, ECKA_RECEIPT_LEN);
	n = bertlv_writer_finish(&w);
	*rlen = n > 0 ? (size_t)n : 0;
	OPENSSL_cleanse(&r, sizeof(r));
	return 0x9000;
}

static uint16_t card_apdu(uint8_t session_kvn, const uint8_t *apdu, size_t len, uint8_t *resp, size_t *rlen)
{
	struct es5_command cmd;

	*rlen = 0;
	card.cmds++;
	if (len < 5 || (size_t)apdu[4] + 5 > len)
		return 0x6700;
	if (es5_command_decode(&cmd, apdu[0], apdu[1], apdu[2], apdu[3], apdu + 5, apdu[4]) < 0)
		return 0x6A80;
	switch (cmd.fn) {
	case ES5_FN_KEYSET_CERT: return card_keyset_cert(&cmd, resp, rlen);
	case ES5_FN_KEYSET_KEYAGREEMENT: return card_keyagreement(session_kvn, &cmd, resp, rlen);
	case ES5_FN_FINALISE_HANDOVER:
		for (unsigned int i = 0; i < ARRAY_SIZE(card.ks); i++) {
			struct card_keyset *k = &card.ks[i];

			if (!k->present ||
			    !es5_f2_deletes(ES5_F2_DELETE_LIST, cmd.u.finalise.ranges, cmd.u.finalise.n, k->kvn, 1))
				continue;
			if (k->kvn == session_kvn)
				return 0x6985;
			k->present = false;
		}
		return 0x9000;
	case ES5_FN_UPDATE_ADDRESSING: return 0x9000;
	default: return 0x6D00;
	}
}

/* ---- two SM-SRs and the message queue ------------------------------------------------------------ */

struct side {
	const char *id;
	char db[300];
	struct smsr_store *store;
	struct smsr *sr;
	struct smsr_change *chg;
	struct smsr_change_cfg cfg;
};
static struct side sr1, sr2;

enum qkind { Q_REQ, Q_RESP, Q_ES5, Q_ES5_RESULT };
struct qmsg {
	struct llist_head list;
	enum qkind kind;
	struct side *to, *from;
	uint32_t tag, op;
	uint8_t *buf;
	size_t len;
	uint16_t sw;
};
static LLIST_HEAD(queue);

struct route {
	struct side *from, *to;
	uint32_t tag;
	const char *msg_id;
};

static struct {
	unsigned int n;
	enum es_status status;
} mno;
static unsigned int n_notifs;

static uint8_t *encode(const struct es_msg *m, size_t *len)
{
	uint8_t *buf = talloc_size(ctx, SOAP_MAX_INPUT_DEFAULT);
	int n = buf ? es_msg_encode(buf, SOAP_MAX_INPUT_DEFAULT, m, NULL) : -ENOMEM;

	if (n <= 0)
		die("ES encode");
	*len = (size_t)n;
	return buf;
}

static struct es_msg *decode(void *tctx, const uint8_t *buf, size_t len)
{
	struct es_msg *m = talloc_zero(tctx, struct es_msg);
	char *arena = talloc_size(m, len + 64);

	if (es_msg_decode(m, arena, len + 64, buf, len, NULL, NULL) != 0)
		die("ES decode");
	return m;
}

static struct qmsg *enqueue(enum qkind k, struct side *to, struct side *from, uint32_t tag, uint8_t *buf, size_t len)
{
	struct qmsg *q = talloc_zero(ctx, struct qmsg);

	q->kind = k;
	q->to = to;
	q->from = from;
	q->tag = tag;
	q->buf = buf;
	q->len = len;
	if (buf)
		talloc_steal(q, buf);
	llist_add_tail(&q->list, &queue);
	return q;
}

static void mno_respond(void *handle, struct es_msg *resp)
{
	mno.n++;
	mno.status = resp->u.es1_register_eis_resp.function_execution_status.status;
}

static void peer_respond(void *handle, struct es_msg *resp)
{
	struct route *r = handle;
	size_t len;
	uint8_t *buf;

	resp->wsa.relates_to = r->msg_id;
	buf = encode(resp, &len);
	enqueue(Q_RESP, r->from, r->to, r->tag, buf, len);
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
	enqueue(Q_REQ, to, from, tag, buf, len);
	return 0;
}

static int op_respond_stored(void *priv, const char *reply_to, const char *relates_to, enum es_ns_variant ns,
			     struct es_msg *resp)
{
	return -ENOTSUP; /* no restarts here */
}

static void op_notify(void *priv, const char *to_id, struct es_msg *msg)
{
	n_notifs++;
}

static int op_es5_send(void *priv, const char *eid, uint32_t op, const uint8_t *script, size_t len)
{
	struct side *s = priv;

	enqueue(Q_ES5, NULL, s, 0, talloc_memdup(ctx, script, len), len)->op = op;
	return 0;
}

static const struct smsr_change_ops ops = {
	.es5_send = op_es5_send, .es_call = op_es_call, .respond_stored = op_respond_stored, .notify = op_notify
};

/* The card gets the script only if the SM-SR's store selects a key set the card holds (no SCP80 here). */
static void deliver_es5(struct qmsg *q)
{
	struct smsr_keyset_row ks;
	struct card_keyset *ck;
	uint8_t resp[128];
	size_t rlen = 0;
	struct bertlv aa, c22;
	uint16_t sw;

	if (smsr_store_keyset_get(q->from->store, cur_eid, SMSR_KEYSET_SCP80, -1, &ks) < 0 || !(ck = card_ks(ks.kvn)) ||
	    memcmp(ck->key[0], ks.kic, 16) || memcmp(ck->key[1], ks.kid, 16))
		die("the card does not hold the key set the SM-SR uses");
	/* AA L { 22 L C-APDU } */
	if (bertlv_decode(&aa, q->buf, q->len) != (int)q->len || aa.tag != 0xAA ||
	    bertlv_decode(&c22, aa.value, aa.len) != (int)aa.len || c22.tag != 0x22)
		die("ES5 script shape");
	sw = card_apdu(ks.kvn, c22.value, c22.len, resp, &rlen);
	{
		struct qmsg *r =
			enqueue(Q_ES5_RESULT, q->from, NULL, 0, talloc_memdup(ctx, resp, rlen ? rlen : 1), rlen);

		r->op = q->op;
		r->sw = sw;
	}
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
		r->tag = q->tag;
		r->msg_id = talloc_strdup(r, m->wsa.message_id);
		smsr_change_es_request(
			q->to->chg, m,
			&(struct smsr_reply){ .respond = peer_respond, .handle = r, .requester = q->from->id });
		break;
	}
	case Q_RESP:
		m = decode(tctx, q->buf, q->len);
		smsr_change_es_rx_response(q->to->chg, q->tag, 0, m);
		break;
	case Q_ES5: deliver_es5(q); break;
	case Q_ES5_RESULT: smsr_change_es5_rx_result(q->to->chg, q->op, 0, q->sw, q->buf, q->len); break;
	}
	talloc_free(tctx);
}

static void pump(void)
{
	while (!llist_empty(&queue)) {
		struct qmsg *q = llist_first_entry(&queue, struct qmsg, list);

		llist_del(&q->list);
		deliver(q);
		talloc_free(q);
	}
}

static int stub_send_script(struct smsr *sr, const char *eid, uint32_t op, const uint8_t *s, size_t len, void *priv)
{
	return -ENOTCONN;
}

static void side_open(struct side *s)
{
	char err[128];

	s->store = smsr_store_open(ctx, s->db, err, sizeof(err));
	if (!s->store)
		die(err);
	s->sr = smsr_alloc(ctx, s->store,
			   &(struct smsr_cfg){ .smsr_id = s->id,
					       .eis_sig = SMSR_EIS_SIG_NONE /* unsigned example EIS */ },
			   &(struct smsr_es5_ops){ .send_script = stub_send_script }, NULL, NULL);
	s->chg = s->sr ? smsr_change_alloc(ctx, s->sr, s->store, &s->cfg, &ops, s) : NULL;
	if (!s->chg)
		die("smsr_change_alloc");
}

static void side_close(struct side *s)
{
	smsr_change_free(s->chg);
	smsr_free(s->sr);
	smsr_store_close(s->store);
}

static const uint8_t addressing[] = { 0x86, 0x05, 0x91, 0x44, 0x77, 0x00, 0xF2 };

static void world_open(const char *dir, const char *tag)
{
	sr1 = (struct side){ .id = SR1_ID };
	sr2 = (struct side){ .id = SR2_ID };
	if (dir) {
		snprintf(sr1.db, sizeof(sr1.db), "%s/sr1-%s.db", dir, tag);
		snprintf(sr2.db, sizeof(sr2.db), "%s/sr2-%s.db", dir, tag);
	} else {
		snprintf(sr1.db, sizeof(sr1.db), ":memory:");
		snprintf(sr2.db, sizeof(sr2.db), ":memory:");
	}
	sr1.cfg =
		(struct smsr_change_cfg){ .smsr_id = SR1_ID, .ecka = ecka_variants_default, .es = es_variant_default };
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
					    .addressing_len = sizeof(addressing) };
	side_open(&sr1);
	side_open(&sr2);
}

static void world_close(void)
{
	side_close(&sr1);
	side_close(&sr2);
	if (strcmp(sr1.db, ":memory:")) {
		char p[320];

		for (int i = 0; i < 2; i++) {
			const char *db = i ? sr2.db : sr1.db;

			unlink(db);
			snprintf(p, sizeof(p), "%s-wal", db);
			unlink(p);
			snprintf(p, sizeof(p), "%s-shm", db);
			unlink(p);
		}
	}
}

static void reply_register(void *handle, struct es_msg *resp)
{
	if (resp->u.es1_register_eis_resp.function_execution_status.status != ES_STATUS_EXECUTED_SUCCESS)
		die("RegisterEIS refused");
}

/* eUICC number i: a fresh EID (valid check digits) and ICCID, its EIS registered at SR1, a fresh card. */
static void new_euicc(unsigned int i)
{
	struct es_msg *reg = talloc_zero(ctx, struct es_msg);
	char first30[31];
	struct es_eis *e;
	struct es_keyset *ks;
	static uint8_t key[3][16];
	static const uint8_t ktype[1] = { 0x88 };
	static uint8_t aid[16] = { 0xA0, 0x00, 0x00, 0x05, 0x59, 0x10, 0x10, 0xFF,
				   0xFF, 0xFF, 0xFF, 0x89, 0x00, 0x00, 0x10, 0x00 };

	snprintf(first30, sizeof(first30), "890010120123412340%012u", i);
	if (ids_eid_compute(cur_eid, first30, 30) < 0 || ids_eid_to_bytes(cur_eid_bin, cur_eid, 32) < 0)
		die("EID");
	cur_eid[32] = '\0';
	snprintf(cur_iccid, sizeof(cur_iccid), "8944%015u", i);
	card_reset();
	es_example_fill(reg, ES_MSG_ES1_REGISTER_EIS_REQ);
	e = &reg->u.es1_register_eis_req.eis;
	e->eum_signed_info.eid = (struct es_hex){ cur_eid_bin, 16 };
	e->n_profile_info = 1;
	e->profile_info[0].iccid = cur_iccid;
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
	for (int k = 0; k < 3; k++) {
		memset(key[k], 0x11 * (k + 1), 16);
		ks->key[k] = ks->key[0];
		ks->key[k].index = (struct es_int){ true, k + 1 };
		ks->key[k].n_key_components = 1;
		ks->key[k].key_components[0] = (struct es_key_component){ true, { ktype, 1 }, { key[k], 16 } };
	}
	e->eum_signed_info.ecasd.n_keyset = 1;
	ks = &e->eum_signed_info.ecasd.keyset[0];
	memset(ks, 0, sizeof(*ks));
	ks->present = true;
	ks->version = (struct es_int){ true, 0x73 };
	ks->type = ES_KEYSET_CA;
	ks->n_certificate = 1;
	ks->certificate[0] = (struct es_gp_certificate){ true, { true, 1 }, "1.2.3.9", { ecasd_cert, ecasd_cert_len } };
	if (smsr_es_request(sr1.sr, reg, &(struct smsr_reply){ .respond = reply_register, .requester = "1.2.3.9" }))
		die("RegisterEIS");
	talloc_free(reg);
}

/* The timed part: PrepareSMSRChange (MNO2 -> SR2), SMSRChange (MNO1 -> SR1), everything until SR1 answers. */
static void one_change(void)
{
	struct es_msg *m = talloc_zero(ctx, struct es_msg);

	memset(&mno, 0, sizeof(mno));
	card.cmds = 0;
	es_example_fill(m, ES_MSG_ES4_PREPARE_SMSR_CHANGE_REQ);
	m->u.es4_prepare_smsr_change_req.eid = (struct es_hex){ cur_eid_bin, 16 };
	m->u.es4_prepare_smsr_change_req.current_smsr_id = SR1_ID;
	m->u.es4_prepare_smsr_change_req.validity_period = (struct es_int){ true, 600 };
	smsr_change_es_request(sr2.chg, m, &(struct smsr_reply){ .respond = mno_respond, .requester = MNO_ID });
	if (mno.n != 1 || mno.status != ES_STATUS_EXECUTED_SUCCESS)
		die("PrepareSMSRChange refused");
	talloc_free(m);
	m = talloc_zero(ctx, struct es_msg);
	es_example_fill(m, ES_MSG_ES4_SMSR_CHANGE_REQ);
	m->u.es4_smsr_change_req.eid = (struct es_hex){ cur_eid_bin, 16 };
	m->u.es4_smsr_change_req.target_smsr_id = SR2_ID;
	m->u.es4_smsr_change_req.validity_period = (struct es_int){ true, 600 };
	m->wsa.reply_to = "mno";
	memset(&mno, 0, sizeof(mno));
	smsr_change_es_request(sr1.chg, m, &(struct smsr_reply){ .respond = mno_respond, .requester = MNO_ID });
	talloc_free(m);
	pump();
}

/* Not timed: the change really happened (SR1's answer, 6 card commands, SR2's SCP81 key set on the card). */
static void check_change(void)
{
	struct smsr_keyset_row ks;

	if (mno.n != 1 || mno.status != ES_STATUS_EXECUTED_SUCCESS)
		die("SMSRChange did not succeed");
	if (card.cmds != 6 || !card_ks(0x40) || card_ks(0x01))
		die("the card did not see the 6 commands of a change");
	if (smsr_store_keyset_get(sr2.store, cur_eid, SMSR_KEYSET_SCP81, -1, &ks) < 0 ||
	    memcmp(ks.psk, card_ks(0x40)->key[0], 16))
		die("SR2's SCP81 key set");
	if (smsr_change_num_procs(sr1.chg) || smsr_change_num_procs(sr2.chg))
		die("a procedure is still running");
}

struct series {
	unsigned int n;
	double secs;
};

static struct series run_series(const char *dir, const char *tag, unsigned int *next_euicc)
{
	struct series s = { 0, 0 };
	double start = now();

	world_open(dir, tag);
	/* warm-up: first statements prepared, pages cached */
	for (int w = 0; w < 2; w++) {
		new_euicc((*next_euicc)++);
		one_change();
		check_change();
	}
	while (s.n < MAX_CHANGES && now() - start < SERIES_S) {
		double t0;

		new_euicc((*next_euicc)++);
		t0 = now();
		one_change();
		s.secs += now() - t0;
		s.n++;
		check_change();
	}
	world_close();
	return s;
}

/* ---- the crypto of one change, alone ---------------------------------------------------------------- */

/* One key establishment for target as the procedure and the card do it: the card checks CERT.SR.ECDSA
 * (3A01); SR2 makes an ephemeral key + ShS and signs the key parameters; the card verifies the
 * signature and runs ECKA (ECDH, X9.63 KDF, receipt CMAC); SR2 derives and checks the receipt. */
static void crypto_establish(const EVP_PKEY *ecasd_pub, enum ecka_target target, uint8_t kvn)
{
	struct gpcert c;
	struct gpcert_check_opts o = { .check_type = true, .type = GPCERT_TYPE_SR };
	uint8_t rc[16], host_id[16], crt_tlv[ECKA_CRT_MAX], epk[128], sd[512], sig[EC_SIG_LEN];
	const uint8_t *point;
	struct ecka_host h;
	struct ecka_crt crt;
	struct ecka_card_result r;
	struct ecka_keys k;
	EVP_PKEY *pk = NULL;
	int n, en, sn;
	size_t off;

	if (gpcert_decode_exact(&c, sr2_cert, sr2_cert_len, NULL) < 0 || gpcert_check(&c, ci_key, &o, NULL) < 0)
		die("crypto: CERT.SR.ECDSA");
	crypto_random(rc, sizeof(rc));
	crypto_random(host_id, sizeof(host_id));
	if (ecka_host_start(&h, ecasd_pub, NULL, 0) < 0)
		die("crypto: ecka_host_start");
	ecka_crt_default(&crt, target, &ecka_variants_default, kvn);
	if (crt.param & ECKA_SP_HOSTID) {
		crt.host_id = host_id;
		crt.host_id_len = sizeof(host_id);
	}
	n = ecka_crt_encode(&crt, crt_tlv, sizeof(crt_tlv));
	en = n < 0 ? n
		   : ecka_epk_encode(ecka_variants_default.epk_encoding, h.epk, CRYPTO_CURVE_P256, epk, sizeof(epk));
	if (n < 0 || en < 4)
		die("crypto: CRT/ePK");
	off = epk[2] == 0x81 ? 4 : 3;
	sn = es5_keyset_signed_data(sd, sizeof(sd), crt_tlv, (size_t)n, epk + off, (size_t)en - off, rc, sizeof(rc));
	if (sn < 0 || crypto_ecdsa_sign(sr2_key, sd, (size_t)sn, sig) < 0)
		die("crypto: sign");
	/* the card */
	if (crypto_ec_from_public(CRYPTO_CURVE_P256, c.public_key, EC_POINT_LEN, &pk) < 0 ||
	    crypto_ecdsa_verify(pk, sd, (size_t)sn, sig, sizeof(sig)) != 0)
		die("crypto: verify");
	EVP_PKEY_free(pk);
	if (ecka_epk_decode(epk, (size_t)en, &point) < 0 ||
	    ecka_card_establish(ecasd_key, point, EC_POINT_LEN, crt_tlv, (size_t)n, target, &ecka_variants_default,
				NULL, &r) < 0)
		die("crypto: card ECKA");
	/* SR2 */
	if (ecka_host_finish(&h, crt_tlv, (size_t)n, r.dr_len ? r.dr : NULL, r.dr_len, r.receipt, ECKA_RECEIPT_LEN,
			     target, &ecka_variants_default, &k) < 0)
		die("crypto: receipt");
	ecka_host_free(&h);
	OPENSSL_cleanse(&r, sizeof(r));
	OPENSSL_cleanse(&k, sizeof(k));
}

static void crypto_of_one_change(void)
{
	struct gpcert_check_opts o = { .check_type = true, .type = GPCERT_TYPE_ECASD, .date = gpcert_date_today() };
	struct gpcert c;
	EVP_PKEY *ecasd_pub = NULL;

	/* step 6: CERT.ECASD.ECKA through the EUM to the CI */
	if (gpcert_decode_exact(&c, ecasd_cert, ecasd_cert_len, NULL) < 0 ||
	    gpcert_check_eum(&c, eum, ci, &o, NULL) < 0 || gpcert_public_key(&c, &ecasd_pub, NULL) < 0)
		die("crypto: CERT.ECASD.ECKA");
	crypto_establish(ecasd_pub, ECKA_TARGET_ISDR, 0x02);	   /* steps 7-23: SR2's SCP80 key set */
	crypto_establish(ecasd_pub, ECKA_TARGET_ISDR_SCP81, 0x40); /* step 26: SR2's SCP81 key set */
	EVP_PKEY_free(ecasd_pub);
}

static const char *fs_name(const char *dir)
{
	struct statfs f;

	if (statfs(dir, &f) < 0)
		return "unknown";
	switch ((unsigned long)f.f_type) {
	case 0x01021994UL: return "tmpfs (no real fsync cost)";
	case 0xEF53UL: return "ext2/3/4";
	case 0x58465342UL: return "xfs";
	case 0x9123683EUL: return "btrfs";
	case 0x794C7630UL: return "overlayfs";
	default: return "other";
	}
}

int main(void)
{
	char dir[256];
	const char *tmp = getenv("TMPDIR");
	unsigned int next = 0, nc = 0;
	struct series disk, mem;
	double t0, crypto_s, per_disk, per_mem, per_crypto;

	ctx = talloc_named_const(NULL, 0, "smsr_change_bench");
	osmo_init_logging2(ctx, &smsr_log_info);
	log_set_log_level(osmo_stderr_target, LOGL_ERROR);
	pki_setup();
	snprintf(dir, sizeof(dir), "%s/rsplab-smsr-change-bench-XXXXXX", tmp && *tmp ? tmp : "/var/tmp");
	if (!mkdtemp(dir))
		die("mkdtemp");

	disk = run_series(dir, "disk", &next);
	mem = run_series(NULL, "mem", &next);
	crypto_of_one_change(); /* warm-up */
	t0 = now();
	while (now() - t0 < CRYPTO_S && nc < MAX_CHANGES) {
		crypto_of_one_change();
		nc++;
	}
	crypto_s = now() - t0;
	rmdir(dir);

	per_disk = disk.secs / disk.n;
	per_mem = mem.secs / mem.n;
	per_crypto = crypto_s / nc;
	printf("smsr_change_bench: complete SM-SR Changes (PrepareSMSRChange + SMSRChange until SR1 answers),\n"
	       "  SR1 and SR2 in one process, ES4/ES7 SOAP-encoded and decoded, a computed card at the ES5\n"
	       "  boundary (no SCP80, no SMS), 6 card commands per change (SR2 also sets up its SCP81 keys)\n");
	printf("  stores: on-disk SQLite (WAL, synchronous=FULL) under %s: %s\n", tmp && *tmp ? "$TMPDIR" : "/var/tmp",
	       fs_name(tmp && *tmp ? tmp : "/var/tmp"));
	printf("  on-disk stores:   %5u changes in %.2f s: %8.1f changes/s  (%.2f ms each)\n", disk.n, disk.secs,
	       disk.n / disk.secs, per_disk * 1e3);
	printf("  in-memory stores: %5u changes in %.2f s: %8.1f changes/s  (%.2f ms each)\n", mem.n, mem.secs,
	       mem.n / mem.secs, per_mem * 1e3);
	printf("  crypto of one change alone (EUM chain check of CERT.ECASD.ECKA; twice: CERT.SR.ECDSA check,\n"
	       "  ephemeral key + ECDH, ECDSA sign, ECDSA verify, card ECDH + X9.63 KDF + receipt CMAC, host\n"
	       "  KDF + receipt check): %u runs in %.2f s: %.2f ms each\n",
	       nc, crypto_s, per_crypto * 1e3);
	printf("  RATIO procedure / crypto: on-disk %.2fx, in-memory %.2fx; the on-disk store's share of a "
	       "change: %.0f%%\n",
	       per_disk / per_crypto, per_mem / per_crypto, 100.0 * (per_disk - per_mem) / per_disk);
	log_fini();
	talloc_free(ctx);
	return 0;
}
