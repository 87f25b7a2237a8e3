/* ES5 over SMS: SCP80 packets, chaining, concatenation, PoR matching, retransmission (see smsr_ota.h). */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <osmocom/core/linuxlist.h>
#include <osmocom/core/timer.h>
#include <osmocom/core/utils.h>
#include <talloc.h>

#include "lib/rscript/rscript.h"
#include "lib/sms/sms.h"
#include "network/smsr/smsr.h"
#include "network/smsr/smsr_log.h"
#include "network/smsr/smsr_ctr.h"
#include "network/smsr/smsr_ota.h"

struct osmo_tdef smsr_ota_tdefs[] = { { .T = SMSR_T_POR,
					.default_val = 60,
					.unit = OSMO_TDEF_S,
					.min_val = 1,
					.max_val = 86400,
					.desc = "ES5 SMS: wait for the PoR of a packet" },
				      { .T = SMSR_T_MO_REASSEMBLY,
					.default_val = 60,
					.unit = OSMO_TDEF_S,
					.min_val = 1,
					.max_val = 86400,
					.desc = "ES5 SMS: reassembly of one concatenated MO packet" },
				      {} };

const struct value_string smsr_ota_retx_names[] = {
	{ SMSR_OTA_RETX_NEW_COUNTER, "new-counter" },
	{ SMSR_OTA_RETX_SAME_COUNTER, "same-counter" },
	{ 0, NULL },
};

/* ISD-R TAR (SGP.02 Annex H; digest §4.2). */
static const uint8_t isdr_tar[SCP80_TAR_LEN] = { 0x00, 0x00, 0x01 };

#define MAX_SEGS_CAP	8 /* cfg.max_segs is clamped to this */
#define MAX_CHUNKS	16
#define MAX_ITEMS	64
#define PKT_MAX		(MAX_SEGS_CAP * SMS_UD_MAX)
#define MO_PKT_MAX	(SMS_CONCAT_MAX_SEGS * SMS_UD_MAX)
#define RSP_ITEMS_MAX	32
#define MSISDN_TEXT_MAX 24

struct ota_tx {
	struct llist_head entry;
	struct smsr_ota *ota;
	uint32_t id; /* the tag given to the transport */
	uint32_t op;
	char eid[SMSR_EID_HEX_MAX];
	char msisdn[SMSR_MSISDN_MAX];
	uint8_t kvn;
	struct scp80_cmd_params params;
	uint64_t cntr_lo; /* first counter used for the current chunk (a late PoR of an earlier copy) */
	uint8_t *chunk[MAX_CHUNKS];
	size_t chunk_len[MAX_CHUNKS];
	unsigned int n_chunks, cur, n_cmds[MAX_CHUNKS];
	unsigned int retx;
	struct osmo_timer_list timer;
	bool raw; /* smsr_ota_send_raw(): the whole PoR data goes to up.raw_result */
	/* the router's transport for this exchange; routed false: the ota's default at each send */
	bool routed;
	struct smsr_sms_ops sms;
	void *tp;
};

struct mo_set {
	struct llist_head entry;
	struct smsr_ota *ota;
	char src[MSISDN_TEXT_MAX];
	bool ref16;
	uint16_t ref;
	struct sms_concat c;
	struct osmo_timer_list timer;
};

struct smsr_ota {
	struct smsr_store *store;
	struct smsr_ota_cfg cfg;
	struct smsr_sms_ops sms;
	void *tp;
	smsr_ota_route_cb route;
	void *route_priv;
	struct smsr_ota_up up;
	struct osmo_tdef *tdefs;
	struct llist_head txs, mo_sets;
	uint32_t next_id;
	uint16_t next_ref;
	struct smsr_ota_stats stats;
};

/* ---- keys ---------------------------------------------------------------------------------------- */

struct keybuf {
	struct smsr_keyset_row row;
	struct scp80_keys keys;
};

static void keybuf_wipe(struct keybuf *k)
{
	explicit_bzero(k, sizeof(*k));
}

static int keys_load(struct smsr_ota *ota, const char *eid, int kvn, struct keybuf *k)
{
	int rc = smsr_store_keyset_get(ota->store, eid, SMSR_KEYSET_SCP80, kvn, &k->row);

	if (rc < 0)
		return rc;
	k->keys = (struct scp80_keys){ k->row.kic, k->row.kic_len, k->row.kid, k->row.kid_len };
	return 0;
}

/* ---- sizing and chaining ------------------------------------------------------------------------- */

/* The command packet size for len bytes of secured data (TS 102 225 §5.1.1: 10 clear header bytes,
 * then CNTR PCNTR CC data, ciphered part padded to the block size). */
static size_t pkt_size(const struct smsr_ota *ota, size_t len)
{
	struct scp80_spi spi;
	uint8_t raw[2];
	size_t block = ota->cfg.alg == 0x2 ? 16 : 8, check, body;

	scp80_spi_variant_bytes(ota->cfg.spi, raw);
	scp80_spi_decode(&spi, raw);
	check = spi.integrity == SCP80_INTEG_CC ? 8 : spi.integrity == SCP80_INTEG_RC ? 4 : 0;
	body = SCP80_CNTR_LEN + 1 + check + len;
	if (spi.ciphering)
		body = (body + block - 1) / block * block;
	return 10 + body;
}

static bool fits(struct smsr_ota *ota, size_t script_len)
{
	static const uint8_t zeros[PKT_MAX];
	struct sms_concat_seg segs[MAX_SEGS_CAP];
	size_t n = pkt_size(ota, script_len);

	if (n > sizeof(zeros))
		return false;
	return sms_concat_split(zeros, n, SMS_IEI_CPI, ota->cfg.ref_kind, 0, segs, ota->cfg.max_segs) > 0;
}

/* The header length of a definite template (AA L / AA 81 L / AA 82 LL). */
static size_t tmpl_hdr_len(const uint8_t *b)
{
	return b[1] == 0x81 ? 3 : b[1] == 0x82 ? 4 : 2;
}

static int chunk_finish(struct ota_tx *tx, struct rscript_builder *b, unsigned int n_cmds)
{
	int n = rscript_cmd_finish(b);

	if (n < 0)
		return n;
	if (tx->n_chunks >= MAX_CHUNKS)
		return -EMSGSIZE;
	tx->chunk[tx->n_chunks] = talloc_memdup(tx, b->w.buf, (size_t)n);
	if (!tx->chunk[tx->n_chunks])
		return -ENOMEM;
	tx->chunk_len[tx->n_chunks] = (size_t)n;
	tx->n_cmds[tx->n_chunks] = n_cmds;
	tx->n_chunks++;
	return 0;
}

/* Cut script into chained scripts that fit (TS 102 226 §5.2.1.4: the script chaining TLV is the first
 * TLV of each template). */
static int tx_split(struct smsr_ota *ota, struct ota_tx *tx, const uint8_t *script, size_t len)
{
	struct rscript_cmd_item items[MAX_ITEMS];
	struct rscript_builder b;
	uint8_t buf[PKT_MAX], trial[PKT_MAX];
	size_t n = 0, start = 0;
	int rc = rscript_cmd_decode(script, len, items, MAX_ITEMS, &n);

	if (rc < 0 || (size_t)rc != len)
		return rc < 0 ? rc : -EBADMSG;
	if (n > MAX_ITEMS)
		return -EMSGSIZE;
	if (fits(ota, len)) {
		unsigned int cmds = 0;

		for (size_t i = 0; i < n; i++)
			cmds += items[i].kind != RSCRIPT_CMD_SCRIPT_CHAINING;
		tx->chunk[0] = talloc_memdup(tx, script, len);
		if (!tx->chunk[0])
			return -ENOMEM;
		tx->chunk_len[0] = len;
		tx->n_cmds[0] = cmds;
		tx->n_chunks = 1;
		return 0;
	}
	for (size_t i = 0; i < n; i++)
		if (items[i].kind == RSCRIPT_CMD_SCRIPT_CHAINING)
			return -EINVAL; /* already chained by the caller: not ours to cut again */
	while (start < n) {
		size_t end = start;

		/* the largest prefix items[start..end) that fits */
		while (end < n) {
			int tn;

			rscript_cmd_begin(&b, trial, sizeof(trial), RSCRIPT_DEFINITE);
			rscript_cmd_add_chaining(&b, RSCRIPT_CHAIN_SUBSEQUENT);
			for (size_t k = start; k <= end; k++)
				rscript_cmd_add(&b, items[k].kind, items[k].value, items[k].len);
			tn = rscript_cmd_finish(&b);
			if (tn < 0 || !fits(ota, (size_t)tn))
				break;
			end++;
		}
		if (end == start)
			return -EMSGSIZE; /* one command alone is too long */
		rscript_cmd_begin(&b, buf, sizeof(buf), RSCRIPT_DEFINITE);
		rscript_cmd_add_chaining(&b, RSCRIPT_CHAIN_SUBSEQUENT);
		for (size_t k = start; k < end; k++)
			rscript_cmd_add(&b, items[k].kind, items[k].value, items[k].len);
		rc = chunk_finish(tx, &b, (unsigned int)(end - start));
		if (rc < 0)
			return rc;
		start = end;
	}
	/* patch the chaining values now that the count is known: 01 first, 02 subsequent, 03 last */
	for (unsigned int i = 0; i < tx->n_chunks; i++) {
		uint8_t *c = tx->chunk[i];

		c[tmpl_hdr_len(c) + 2] = i == 0			 ? RSCRIPT_CHAIN_FIRST_DELETE_ON_RESET
					 : i + 1 == tx->n_chunks ? RSCRIPT_CHAIN_LAST
								 : RSCRIPT_CHAIN_SUBSEQUENT;
	}
	ota->stats.chained++;
	return 0;
}

/* ---- sending ------------------------------------------------------------------------------------- */

static void tx_free(struct ota_tx *tx)
{
	osmo_timer_del(&tx->timer);
	llist_del(&tx->entry);
	talloc_free(tx);
}

/* Remove tx, then report (the callback may start the next exchange). */
static void tx_done(struct ota_tx *tx, int rc, uint16_t sw, const uint8_t *data, size_t len)
{
	struct smsr_ota *ota = tx->ota;
	uint32_t op = tx->op;

	bool raw = tx->raw;

	tx_free(tx);
	if (raw) {
		if (op && ota->up.raw_result)
			ota->up.raw_result(ota->up.priv, op, rc < 0 ? rc : 0, rc < 0 ? NULL : data, rc < 0 ? 0 : len);
		return;
	}
	if (op && ota->up.result)
		ota->up.result(ota->up.priv, op, rc, sw, data, len);
}

static bool tx_alive(struct smsr_ota *ota, uint32_t id)
{
	struct ota_tx *t;

	llist_for_each_entry (t, &ota->txs, entry)
		if (t->id == id)
			return true;
	return false;
}

/* Send the current chunk. first_copy: a new chunk (its counter starts the accepted PoR range). A
 * transport may deliver synchronously (tests): the PoR can complete and free tx inside send(), so tx is
 * not touched after a send once it is gone. */
static int tx_send_chunk(struct ota_tx *tx, bool new_counter, bool first_copy)
{
	struct smsr_ota *ota = tx->ota;
	struct sms_concat_seg segs[MAX_SEGS_CAP];
	struct keybuf k;
	uint8_t pkt[PKT_MAX];
	uint64_t cntr;
	uint32_t id;
	int n, nseg, rc;
	const struct smsr_sms_ops *sms = tx->routed ? &tx->sms : &ota->sms;
	void *tp = tx->routed ? tx->tp : ota->tp;

	if (!sms->send)
		return -ENOTCONN;
	rc = keys_load(ota, tx->eid, tx->kvn, &k);
	if (rc < 0)
		goto out;
	if (new_counter) {
		/* reserved (and committed) before the packet exists: a crash never reuses it */
		rc = smsr_store_counter_next(ota->store, tx->eid, tx->kvn, &cntr);
		if (rc < 0)
			goto out;
		scp80_cntr_put(tx->params.cntr, cntr);
		if (first_copy)
			tx->cntr_lo = cntr;
	}
	n = scp80_cmd_wrap(pkt, sizeof(pkt), &tx->params, &k.keys, tx->chunk[tx->cur], tx->chunk_len[tx->cur]);
	if (n < 0) {
		rc = n;
		goto out;
	}
	nseg = sms_concat_split(pkt, (size_t)n, SMS_IEI_CPI, ota->cfg.ref_kind, ota->next_ref++, segs,
				ota->cfg.max_segs);
	if (nseg < 0) {
		rc = nseg;
		goto out;
	}
	LOGP(DOTA, LOGL_INFO, "EID-%s: packet %u/%u, counter %" PRIu64 ", %d octets in %d SMS to %s\n", tx->eid,
	     tx->cur + 1, tx->n_chunks, scp80_cntr_get(tx->params.cntr), n, nseg, tx->msisdn);
	ota->stats.packets_tx++;
	osmo_timer_schedule(&tx->timer, (int)osmo_tdef_get(ota->tdefs, SMSR_T_POR, OSMO_TDEF_S, 60), 0);
	id = tx->id;
	for (int i = 0; i < nseg; i++) {
		rc = sms->send(tp, tx->msisdn, segs[i].ud, segs[i].len, id);
		if (rc == -ENOTCONN && tx_alive(ota, id)) {
			/* the SMSC link is not (yet) bound, e.g. right after a restart that resumed a procedure:
			 * like a lost SMS, the packet goes again when its PoR timer runs out */
			ota->stats.not_connected++;
			LOGP(DOTA, LOGL_NOTICE, "EID-%s: SMSC not connected: packet %u goes again in %lu s\n", tx->eid,
			     tx->cur + 1, osmo_tdef_get(ota->tdefs, SMSR_T_POR, OSMO_TDEF_S, 60));
			rc = 0;
			goto out;
		}
		if (rc < 0) {
			if (tx_alive(ota, id))
				osmo_timer_del(&tx->timer);
			goto out;
		}
		ota->stats.sms_tx++;
		if (!tx_alive(ota, id))
			break; /* answered already */
	}
	rc = 0;
out:
	keybuf_wipe(&k);
	explicit_bzero(pkt, sizeof(pkt));
	return rc;
}

static void tx_timer_cb(void *data)
{
	struct ota_tx *tx = data;
	struct smsr_ota *ota = tx->ota;
	int rc;

	if (tx->retx < ota->cfg.max_retx) {
		tx->retx++;
		ota->stats.retx++;
		smsr_ctr_inc(SMSR_CTRG_SCP80, SMSR_CTR_SCP80_RETX);
		LOGP(DOTA, LOGL_NOTICE, "EID-%s: no PoR for packet %u, retransmission %u/%u (%s)\n", tx->eid,
		     tx->cur + 1, tx->retx, ota->cfg.max_retx, get_value_string(smsr_ota_retx_names, ota->cfg.retx));
		rc = tx_send_chunk(tx, ota->cfg.retx == SMSR_OTA_RETX_NEW_COUNTER, false);
		if (rc == 0)
			return;
		LOGP(DOTA, LOGL_ERROR, "EID-%s: retransmission failed: %d\n", tx->eid, rc);
		tx_done(tx, rc, 0, NULL, 0);
		return;
	}
	ota->stats.timeouts++;
	smsr_ctr_inc(SMSR_CTRG_SCP80, SMSR_CTR_SCP80_TIMEOUT);
	LOGP(DOTA, LOGL_NOTICE, "EID-%s: no PoR after %u retransmissions\n", tx->eid, tx->retx);
	tx_done(tx, -ETIMEDOUT, 0, NULL, 0);
}

static int ota_send(struct smsr_ota *ota, const char *eid, uint32_t op, const uint8_t tar[SCP80_TAR_LEN],
		    const uint8_t *script, size_t len, bool raw, bool is_script)
{
	struct smsr_eis_row row;
	struct keybuf k;
	struct ota_tx *tx;
	const struct smsr_sms_ops *rsms = NULL;
	void *rtp = NULL;
	int rc;

	if (!eid || !script || !len)
		return -EINVAL;
	if (ota->route && (rc = ota->route(ota->route_priv, eid, &rsms, &rtp)) < 0) {
		ota->stats.no_route++;
		LOGP(DOTA, LOGL_NOTICE, "EID-%s: no SMS transport for this EID (%d): not sent\n", eid, rc);
		return rc;
	}
	rc = smsr_store_eis_get(ota->store, eid, &row);
	if (rc < 0)
		return rc;
	if (!row.msisdn[0]) {
		LOGP(DOTA, LOGL_NOTICE, "EID-%s: no MSISDN for ES5 over SMS\n", eid);
		return -EHOSTUNREACH;
	}
	rc = keys_load(ota, eid, -1, &k);
	if (rc < 0) {
		LOGP(DOTA, LOGL_NOTICE, "EID-%s: no ISD-R SCP80 key set\n", eid);
		return rc;
	}
	tx = talloc_zero(ota, struct ota_tx);
	if (!tx) {
		keybuf_wipe(&k);
		return -ENOMEM;
	}
	tx->ota = ota;
	tx->id = ++ota->next_id;
	tx->op = op;
	snprintf(tx->eid, sizeof(tx->eid), "%s", eid);
	snprintf(tx->msisdn, sizeof(tx->msisdn), "%s", row.msisdn);
	tx->kvn = k.row.kvn;
	scp80_spi_variant_bytes(ota->cfg.spi, tx->params.spi);
	/* KIc / KID: key version in the high nibble, algorithm in the low one (TS 102 225 §5.1.2/§5.1.3) */
	tx->params.kic = (uint8_t)((k.row.kvn & 0x0F) << 4 | ota->cfg.alg);
	tx->params.kid = tx->params.kic;
	memcpy(tx->params.tar, tar, SCP80_TAR_LEN);
	tx->raw = raw;
	if (rsms) {
		tx->routed = true;
		tx->sms = *rsms;
		tx->tp = rtp;
	}
	keybuf_wipe(&k);
	osmo_timer_setup(&tx->timer, tx_timer_cb, tx);
	INIT_LLIST_HEAD(&tx->entry);
	if (is_script) {
		rc = tx_split(ota, tx, script, len);
	} else if (!fits(ota, len)) {
		rc = -EMSGSIZE;
	} else {
		tx->chunk[0] = talloc_memdup(tx, script, len);
		tx->chunk_len[0] = len;
		tx->n_chunks = 1;
		rc = tx->chunk[0] ? 0 : -ENOMEM;
	}
	if (rc < 0) {
		LOGP(DOTA, LOGL_ERROR, "EID-%s: script of %zu octets cannot be sent: %d\n", eid, len, rc);
		talloc_free(tx);
		return rc;
	}
	llist_add_tail(&tx->entry, &ota->txs);
	ota->stats.scripts++;
	smsr_ctr_inc(SMSR_CTRG_SCP80, SMSR_CTR_SCP80_SCRIPT_TX);
	rc = tx_send_chunk(tx, true, true);
	if (rc < 0)
		tx_free(tx); /* a failed send never completed it */
	return rc;
}

int smsr_ota_send(struct smsr_ota *ota, const char *eid, uint32_t op, const uint8_t *script, size_t len)
{
	return ota_send(ota, eid, op, isdr_tar, script, len, false, true);
}

int smsr_ota_send_raw(struct smsr_ota *ota, const char *eid, uint32_t op, const uint8_t tar[SCP80_TAR_LEN],
		      const uint8_t *data, size_t len, bool is_script)
{
	if (!tar)
		return -EINVAL;
	return ota_send(ota, eid, op, tar, data, len, true, is_script);
}

int smsr_ota_send_script(struct smsr *sr, const char *eid, uint32_t op, const uint8_t *script, size_t len, void *priv)
{
	return smsr_ota_send(priv, eid, op, script, len);
}

void smsr_ota_tx_status(struct smsr_ota *ota, uint32_t tag, int rc)
{
	struct ota_tx *tx;

	if (rc >= 0)
		return;
	llist_for_each_entry (tx, &ota->txs, entry) {
		if (tx->id != tag)
			continue;
		ota->stats.tx_errors++;
		LOGP(DOTA, LOGL_NOTICE, "EID-%s: SMS not delivered (%d)\n", tx->eid, rc);
		if (tx->retx >= ota->cfg.max_retx)
			tx_done(tx, rc, 0, NULL, 0);
		/* else: the PoR timer retransmits */
		return;
	}
}

/* ---- receiving ----------------------------------------------------------------------------------- */

static void notif_up(struct smsr_ota *ota, const char *eid, const uint8_t *d, size_t len)
{
	ota->stats.mo_notifs++;
	LOGP(DOTA, LOGL_INFO, "EID-%s: notification by SMS (%zu octets)\n", eid, len);
	if (ota->up.notification)
		ota->up.notification(ota->up.priv, d, len);
}

static bool is_e1(const uint8_t *d, size_t len)
{
	return d && len >= 2 && d[0] == 0xE1;
}

/* A verified PoR with status 00 for tx: evaluate the response script. */
static void tx_por_ok(struct ota_tx *tx, const uint8_t *d, size_t len)
{
	struct rscript_rsp_item items[RSP_ITEMS_MAX];
	const struct rscript_rsp_item *last = NULL;
	unsigned int executed = 0;
	bool all_ok = true;
	size_t n = 0;
	int rc;

	if (tx->raw && tx->cur + 1 == tx->n_chunks) {
		tx_done(tx, 0, 0, d, len); /* the relay's caller judges the response script */
		return;
	}
	if (!len) {
		/* tolerant but reporting: a PoR without a response script says only "received" */
		LOGP(DOTA, LOGL_NOTICE, "EID-%s: PoR without a response script, taken as 9000\n", tx->eid);
		if (tx->cur + 1 < tx->n_chunks)
			goto next;
		tx_done(tx, 0, 0x9000, NULL, 0);
		return;
	}
	rc = rscript_rsp_decode(d, len, items, RSP_ITEMS_MAX, &n);
	if (rc < 0) {
		LOGP(DOTA, LOGL_NOTICE, "EID-%s: PoR response script malformed (%d)\n", tx->eid, rc);
		tx_done(tx, -EBADMSG, 0, NULL, 0);
		return;
	}
	for (size_t i = 0; i < n && i < RSP_ITEMS_MAX; i++) {
		switch (items[i].kind) {
		case RSCRIPT_RSP_RAPDU:
			last = &items[i];
			executed++;
			if (items[i].sw != 0x9000 && (items[i].sw >> 8) != 0x61)
				all_ok = false;
			break;
		case RSCRIPT_RSP_BAD_FORMAT:
		case RSCRIPT_RSP_IMMEDIATE_ACTION:
		case RSCRIPT_RSP_SCRIPT_CHAINING:
		case RSCRIPT_RSP_SCP03T_ERROR:
			LOGP(DOTA, LOGL_NOTICE, "EID-%s: response script reports %s %02X\n", tx->eid,
			     get_value_string(rscript_rsp_kind_names, items[i].kind), items[i].code);
			if (tx->raw)
				tx_done(tx, 0, 0, d, len);
			else
				tx_done(tx, -EPROTO, 0, NULL, 0);
			return;
		default: break;
		}
	}
	if (tx->cur + 1 < tx->n_chunks) {
		if (!all_ok || executed < tx->n_cmds[tx->cur]) {
			LOGP(DOTA, LOGL_NOTICE, "EID-%s: chained script %u stopped after %u of %u commands\n", tx->eid,
			     tx->cur + 1, executed, tx->n_cmds[tx->cur]);
			if (tx->raw)
				tx_done(tx, 0, 0, d, len);
			else if (last)
				tx_done(tx, 0, last->sw, last->data, last->data_len);
			else
				tx_done(tx, -EPROTO, 0, NULL, 0);
			return;
		}
		goto next;
	}
	if (!last) {
		LOGP(DOTA, LOGL_NOTICE, "EID-%s: response script without an R-APDU, taken as 9000\n", tx->eid);
		tx_done(tx, 0, 0x9000, NULL, 0);
		return;
	}
	tx_done(tx, 0, last->sw, last->data, last->data_len);
	return;
next:
	tx->cur++;
	tx->retx = 0;
	rc = tx_send_chunk(tx, true, true);
	if (rc < 0)
		tx_done(tx, rc, 0, NULL, 0);
}

static void rx_por(struct smsr_ota *ota, const char *eid, const uint8_t *buf, size_t len)
{
	struct scp80_por por;
	struct ota_tx *tx;
	struct keybuf k;
	uint8_t out[MO_PKT_MAX + 16];
	int rc;

	llist_for_each_entry (tx, &ota->txs, entry) {
		uint64_t c;

		if (strcmp(tx->eid, eid))
			continue;
		if (keys_load(ota, eid, tx->kvn, &k) < 0)
			continue;
		rc = scp80_por_unwrap(&por, buf, len, tx->params.spi, tx->params.kic, tx->params.kid, &k.keys, out,
				      sizeof(out));
		keybuf_wipe(&k);
		if (rc < 0) {
			ota->stats.por_bad++;
			smsr_ctr_inc(SMSR_CTRG_SCP80, SMSR_CTR_SCP80_POR_FAILED);
			LOGP(DOTA, LOGL_NOTICE, "EID-%s: malformed PoR dropped (%d)\n", eid, rc);
			return;
		}
		if (por.verdict != SCP80_V_OK || memcmp(por.tar, tx->params.tar, SCP80_TAR_LEN))
			continue;
		/* TS 102 225 §5.1.2: the PoR carries the counter of the packet it answers. Only the newest copy
		 * counts: a retransmitted command ran again on the card (3A01 draws a new RC each time), so the
		 * late PoR of an earlier copy no longer describes the card's state. */
		c = scp80_cntr_get(por.cntr);
		if (c != scp80_cntr_get(tx->params.cntr)) {
			if (c >= tx->cntr_lo && c < scp80_cntr_get(tx->params.cntr)) {
				ota->stats.por_superseded++;
				LOGP(DOTA, LOGL_NOTICE,
				     "EID-%s: PoR of a superseded copy (counter %" PRIu64 ") ignored\n", eid, c);
				explicit_bzero(out, sizeof(out));
				return;
			}
			continue;
		}
		ota->stats.por_ok++;
		smsr_ctr_inc(SMSR_CTRG_SCP80,
			     por.status == SCP80_ST_POR_OK ? SMSR_CTR_SCP80_POR_OK : SMSR_CTR_SCP80_POR_FAILED);
		if (por.status != SCP80_ST_POR_OK) {
			ota->stats.por_status_err++;
			LOGP(DOTA, LOGL_NOTICE, "EID-%s: PoR status %02X (%s)\n", eid, por.status,
			     get_value_string(scp80_status_names, por.status));
			tx_done(tx, -EPROTO, 0, NULL, 0);
			return;
		}
		tx_por_ok(tx, por.data, por.data_len);
		explicit_bzero(out, sizeof(out));
		return;
	}
	/* no exchange: a notification in a response packet (digest §4.5), with the current key set */
	if (keys_load(ota, eid, -1, &k) == 0) {
		uint8_t spi[2], kid = (uint8_t)((k.row.kvn & 0x0F) << 4 | ota->cfg.alg);

		scp80_spi_variant_bytes(ota->cfg.spi, spi);
		rc = scp80_por_unwrap(&por, buf, len, spi, kid, kid, &k.keys, out, sizeof(out));
		keybuf_wipe(&k);
		if (rc >= 0 && por.verdict == SCP80_V_OK && is_e1(por.data, por.data_len)) {
			notif_up(ota, eid, por.data, por.data_len);
			explicit_bzero(out, sizeof(out));
			return;
		}
	}
	ota->stats.por_unmatched++;
	smsr_ctr_inc(SMSR_CTRG_SCP80, SMSR_CTR_SCP80_MO_DROPPED);
	LOGP(DOTA, LOGL_NOTICE, "EID-%s: PoR matching no exchange (or not verifying) dropped\n", eid);
}

/* A command packet from the card: an eUICC notification. The card's MO counter is not tracked (no
 * replay state for MO): the notification layer de-duplicates on the E1 sequence number instead. */
/* An authenticated notification from src shows where the eUICC is reachable now: after a profile switch
 * (enable, fall-back, rollback) it sends from the newly enabled profile's MSISDN (digest §3.4 step 23), and
 * the confirmation (3A08) and every later ES5 SMS must go there, not to the previous profile's number. */
static void follow_msisdn(struct smsr_ota *ota, const char *eid, const char *src)
{
	struct smsr_eis_row row;

	if (smsr_store_eis_get(ota->store, eid, &row) < 0 ||
	    !strcmp(row.msisdn + (row.msisdn[0] == '+'), src + (src[0] == '+')))
		return;
	if (strlen(src) >= sizeof(row.msisdn) || smsr_store_eis_set_msisdn(ota->store, eid, src) < 0)
		return;
	LOGP(DOTA, LOGL_INFO, "EID-%s: notification from %s: the ES5 SMS address is now %s (was %s)\n", eid, src, src,
	     row.msisdn);
}

static void rx_cmd(struct smsr_ota *ota, const char *eid, const char *src, const uint8_t *pkt, size_t len)
{
	struct scp80_cmd cmd;
	struct keybuf k;
	uint8_t out[MO_PKT_MAX + 16];
	int rc = scp80_cmd_decode_header(&cmd, pkt, len);

	if (rc < 0 || keys_load(ota, eid, (cmd.kic >> 4) & 0x0F, &k) < 0) {
		ota->stats.mo_bad++;
		smsr_ctr_inc(SMSR_CTRG_SCP80, SMSR_CTR_SCP80_MO_DROPPED);
		LOGP(DOTA, LOGL_NOTICE, "EID-%s: MO command packet dropped (header %d or no key set)\n", eid, rc);
		return;
	}
	rc = scp80_cmd_unwrap(&cmd, pkt, len, &k.keys, NULL, out, sizeof(out));
	keybuf_wipe(&k);
	if (rc < 0 || cmd.verdict != SCP80_V_OK || !is_e1(cmd.data, cmd.data_len)) {
		ota->stats.mo_bad++;
		smsr_ctr_inc(SMSR_CTRG_SCP80, SMSR_CTR_SCP80_MO_DROPPED);
		LOGP(DOTA, LOGL_NOTICE, "EID-%s: MO command packet dropped (%s)\n", eid,
		     rc < 0 ? "malformed" : get_value_string(scp80_verdict_names, cmd.verdict));
		return;
	}
	follow_msisdn(ota, eid, src);
	notif_up(ota, eid, cmd.data, cmd.data_len);
	explicit_bzero(out, sizeof(out));
}

static void rx_packet(struct smsr_ota *ota, const char *src, uint8_t iei, const uint8_t *udh, size_t udh_len,
		      const uint8_t *pkt, size_t pkt_len)
{
	char eid[SMSR_EID_HEX_MAX];
	uint8_t buf[MO_PKT_MAX + 2 * SMS_UD_MAX];

	if (smsr_store_eis_by_msisdn(ota->store, src, eid, sizeof(eid)) < 0) {
		ota->stats.mo_bad++;
		smsr_ctr_inc(SMSR_CTRG_SCP80, SMSR_CTR_SCP80_MO_DROPPED);
		LOGP(DOTA, LOGL_NOTICE, "MO packet from %s: no eUICC with this MSISDN, dropped\n", src);
		return;
	}
	if (iei == SMS_IEI_CPI) {
		rx_cmd(ota, eid, src, pkt, pkt_len);
		return;
	}
	/* the PoR's check covers its UDH: verify UDH ‖ packet */
	if (udh_len + pkt_len > sizeof(buf)) {
		ota->stats.mo_bad++;
		smsr_ctr_inc(SMSR_CTRG_SCP80, SMSR_CTR_SCP80_MO_DROPPED);
		return;
	}
	memcpy(buf, udh, udh_len);
	memcpy(buf + udh_len, pkt, pkt_len);
	rx_por(ota, eid, buf, udh_len + pkt_len);
}

static void mo_set_free(struct mo_set *m)
{
	osmo_timer_del(&m->timer);
	llist_del(&m->entry);
	talloc_free(m);
}

static void mo_timer_cb(void *data)
{
	struct mo_set *m = data;

	m->ota->stats.mo_bad++;
	smsr_ctr_inc(SMSR_CTRG_SCP80, SMSR_CTR_SCP80_MO_DROPPED);
	LOGP(DSMS, LOGL_NOTICE, "MO from %s: concatenated packet incomplete (missing 0x%08" PRIx32 "), dropped\n",
	     m->src, sms_concat_missing(&m->c));
	mo_set_free(m);
}

/* The concatenation IE of a UDH: 1 with *ref16 / *ref, 0 when there is none. */
static int udh_concat(const struct sms_udh *udh, bool *ref16, uint16_t *ref)
{
	const struct sms_ie *ie = sms_udh_find(udh, SMS_IEI_CONCAT_8);

	if (ie && ie->len == 3) {
		*ref16 = false;
		*ref = ie->value[0];
		return 1;
	}
	ie = sms_udh_find(udh, SMS_IEI_CONCAT_16);
	if (ie && ie->len == 4) {
		*ref16 = true;
		*ref = (uint16_t)(ie->value[0] << 8 | ie->value[1]);
		return 1;
	}
	return 0;
}

int smsr_ota_rx_mo(struct smsr_ota *ota, const char *src, const uint8_t *ud, size_t ud_len)
{
	struct sms_udh udh;
	struct mo_set *m = NULL, *it;
	bool ref16 = false;
	uint16_t ref = 0;
	uint8_t iei;
	int n, rc;

	if (!ota || !src || !ud)
		return -EINVAL;
	ota->stats.mo_sms++;
	if (src[0] == '+')
		src++;
	if (ud_len > SMS_UD_MAX || strlen(src) >= MSISDN_TEXT_MAX || (n = sms_udh_decode(&udh, ud, ud_len)) < 0) {
		ota->stats.mo_bad++;
		smsr_ctr_inc(SMSR_CTRG_SCP80, SMSR_CTR_SCP80_MO_DROPPED);
		LOGP(DSMS, LOGL_NOTICE, "MO SMS dropped: no valid UDH (%zu octets)\n", ud_len);
		return 0;
	}
	iei = sms_udh_find(&udh, SMS_IEI_RPI) ? SMS_IEI_RPI : sms_udh_find(&udh, SMS_IEI_CPI) ? SMS_IEI_CPI : 0;
	if (!udh_concat(&udh, &ref16, &ref)) {
		if (!iei) {
			ota->stats.mo_bad++;
			smsr_ctr_inc(SMSR_CTRG_SCP80, SMSR_CTR_SCP80_MO_DROPPED);
			LOGP(DSMS, LOGL_NOTICE, "MO SMS from %s dropped: neither command nor response packet\n", src);
			return 0;
		}
		rx_packet(ota, src, iei, ud, (size_t)n, ud + n, ud_len - (size_t)n);
		return 0;
	}
	llist_for_each_entry (it, &ota->mo_sets, entry)
		if (!strcmp(it->src, src) && it->ref16 == ref16 && it->ref == ref) {
			m = it;
			break;
		}
	if (!m) {
		if (llist_count(&ota->mo_sets) >= ota->cfg.max_reassemblies) {
			ota->stats.mo_bad++;
			smsr_ctr_inc(SMSR_CTRG_SCP80, SMSR_CTR_SCP80_MO_DROPPED);
			LOGP(DSMS, LOGL_NOTICE, "MO SMS from %s dropped: %u reassemblies in progress\n", src,
			     ota->cfg.max_reassemblies);
			return 0;
		}
		m = talloc_zero(ota, struct mo_set);
		if (!m)
			return -ENOMEM;
		m->ota = ota;
		snprintf(m->src, sizeof(m->src), "%s", src);
		m->ref16 = ref16;
		m->ref = ref;
		/* the packet type is in segment 1 only; a set opened by a later segment assumes a PoR */
		sms_concat_init(&m->c, iei ? iei : SMS_IEI_RPI, SMS_CONCAT_ORDER_ANY, 0, 0);
		osmo_timer_setup(&m->timer, mo_timer_cb, m);
		llist_add_tail(&m->entry, &ota->mo_sets);
		osmo_timer_schedule(&m->timer, (int)osmo_tdef_get(ota->tdefs, SMSR_T_MO_REASSEMBLY, OSMO_TDEF_S, 60),
				    0);
	}
	if (iei && iei != m->c.packet_iei)
		m->c.packet_iei = iei; /* segment 1 says what it is */
	rc = sms_concat_add(&m->c, ud, ud_len);
	if (rc < 0) {
		ota->stats.mo_bad++;
		smsr_ctr_inc(SMSR_CTRG_SCP80, SMSR_CTR_SCP80_MO_DROPPED);
		LOGP(DSMS, LOGL_NOTICE, "MO SMS from %s: segment dropped (%s)\n", src,
		     get_value_string(sms_concat_err_names, m->c.err));
		return 0;
	}
	if (rc == 1) {
		uint8_t pkt[MO_PKT_MAX];
		const uint8_t *fudh;
		size_t fudh_len = 0;
		int len = sms_concat_assemble(&m->c, pkt, sizeof(pkt));

		fudh = sms_concat_first_udh(&m->c, &fudh_len);
		iei = m->c.packet_iei;
		if (len >= 0 && fudh) {
			uint8_t udh_copy[SMS_UD_MAX];

			memcpy(udh_copy, fudh, fudh_len);
			mo_set_free(m); /* before the upcalls: they may feed more MO */
			rx_packet(ota, src, iei, udh_copy, fudh_len, pkt, (size_t)len);
		} else {
			ota->stats.mo_bad++;
			smsr_ctr_inc(SMSR_CTRG_SCP80, SMSR_CTR_SCP80_MO_DROPPED);
			mo_set_free(m);
		}
	}
	return 0;
}

/* ---- lifecycle ----------------------------------------------------------------------------------- */

static int ota_destructor(struct smsr_ota *ota)
{
	struct ota_tx *tx, *t2;
	struct mo_set *m, *m2;

	llist_for_each_entry_safe (tx, t2, &ota->txs, entry)
		tx_free(tx);
	llist_for_each_entry_safe (m, m2, &ota->mo_sets, entry)
		mo_set_free(m);
	return 0;
}

struct smsr_ota *smsr_ota_alloc(void *ctx, struct smsr_store *store, const struct smsr_ota_cfg *cfg,
				const struct smsr_sms_ops *sms, void *tp, const struct smsr_ota_up *up)
{
	struct smsr_ota *ota = talloc_zero(ctx, struct smsr_ota);

	if (!ota)
		return NULL;
	ota->store = store;
	ota->cfg = *cfg;
	if (!ota->cfg.alg)
		ota->cfg.alg = 0x2; /* AES (TS 102 225 §5.1.2) */
	if (!ota->cfg.max_segs)
		ota->cfg.max_segs = 3;
	if (ota->cfg.max_segs > MAX_SEGS_CAP)
		ota->cfg.max_segs = MAX_SEGS_CAP;
	if (!ota->cfg.max_reassemblies)
		ota->cfg.max_reassemblies = 32;
	ota->tdefs = cfg->tdefs ? cfg->tdefs : smsr_ota_tdefs;
	if (sms)
		ota->sms = *sms;
	ota->tp = tp;
	if (up)
		ota->up = *up;
	INIT_LLIST_HEAD(&ota->txs);
	INIT_LLIST_HEAD(&ota->mo_sets);
	talloc_set_destructor(ota, ota_destructor);
	return ota;
}

void smsr_ota_free(struct smsr_ota *ota)
{
	talloc_free(ota);
}

void smsr_ota_set_transport(struct smsr_ota *ota, const struct smsr_sms_ops *sms, void *tp)
{
	ota->sms = *sms;
	ota->tp = tp;
}

void smsr_ota_set_router(struct smsr_ota *ota, smsr_ota_route_cb tp_for_eid, void *priv)
{
	ota->route = tp_for_eid;
	ota->route_priv = priv;
}

const struct smsr_ota_stats *smsr_ota_stats(const struct smsr_ota *ota)
{
	return &ota->stats;
}

unsigned int smsr_ota_num_pending(const struct smsr_ota *ota)
{
	return llist_count(&ota->txs);
}
