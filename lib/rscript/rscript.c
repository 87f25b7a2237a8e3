/* ETSI TS 102 226 remote command scripts (see rscript.h).
 *
 * Expanded format, both directions, is a BER-TLV template whose items are TLVs too:
 *
 *   AA 0A | 22 08 80F24002024F0000              definite command script, one C-APDU
 *   AE 80 | 22 05 80CA00E000 | 00 00            indefinite command script
 *   AB 07 | 80 01 01 | 23 02 6132               definite response: 1 executed, SW 6132
 *   AF 80 | 23 02 9000 | 23 0C <data> 9000 | 00 00
 *
 * Framing (tags, lengths, end-of-contents) is lib/tlv/bertlv; here the tags get their meaning.
 */
#include <errno.h>
#include <string.h>

#include "lib/rscript/rscript.h"

const struct value_string rscript_coding_names[] = {
	{ RSCRIPT_DEFINITE, "definite" },
	{ RSCRIPT_INDEFINITE, "indefinite" },
	{ 0, NULL },
};

const struct value_string rscript_cmd_kind_names[] = {
	{ RSCRIPT_CMD_CAPDU, "C-APDU" },
	{ RSCRIPT_CMD_IMMEDIATE_ACTION, "immediate action" },
	{ RSCRIPT_CMD_ERROR_ACTION, "error action" },
	{ RSCRIPT_CMD_SCRIPT_CHAINING, "script chaining" },
	{ RSCRIPT_CMD_SCP03T_INIT, "SCP03t INITIALIZE UPDATE" },
	{ RSCRIPT_CMD_SCP03T_EXT_AUTH, "SCP03t EXTERNAL AUTHENTICATE" },
	{ RSCRIPT_CMD_SCP03T_DATA, "SCP03t data" },
	{ 0, NULL },
};

const struct value_string rscript_chaining_names[] = {
	{ RSCRIPT_CHAIN_FIRST_DELETE_ON_RESET, "first, delete on reset" },
	{ RSCRIPT_CHAIN_FIRST_KEEP_ON_RESET, "first, keep on reset" },
	{ RSCRIPT_CHAIN_SUBSEQUENT, "subsequent, more to follow" },
	{ RSCRIPT_CHAIN_LAST, "last" },
	{ 0, NULL },
};

const struct value_string rscript_rsp_kind_names[] = {
	{ RSCRIPT_RSP_COUNT, "number of executed commands" },
	{ RSCRIPT_RSP_IMMEDIATE_ACTION, "immediate action response" },
	{ RSCRIPT_RSP_SCRIPT_CHAINING, "script chaining response" },
	{ RSCRIPT_RSP_RAPDU, "R-APDU" },
	{ RSCRIPT_RSP_BAD_FORMAT, "bad format" },
	{ RSCRIPT_RSP_SCP03T_INIT, "SCP03t INITIALIZE UPDATE response" },
	{ RSCRIPT_RSP_SCP03T_EXT_AUTH, "SCP03t EXTERNAL AUTHENTICATE response" },
	{ RSCRIPT_RSP_SCP03T_DATA, "SCP03t data response" },
	{ RSCRIPT_RSP_SCP03T_ERROR, "SCP03t error" },
	{ 0, NULL },
};

/* TS 102 226 table 5.12 */
const struct value_string rscript_bad_format_names[] = {
	{ RSCRIPT_BAD_FORMAT_NONE, "none" },
	{ RSCRIPT_BAD_FORMAT_UNKNOWN_TAG, "unknown tag" },
	{ RSCRIPT_BAD_FORMAT_WRONG_LENGTH, "wrong length" },
	{ RSCRIPT_BAD_FORMAT_LENGTH_NOT_FOUND, "length not found" },
	{ 0, NULL },
};

/* TS 102 226 table 5.14 */
const struct value_string rscript_immediate_action_rsp_names[] = {
	{ 0x01, "suspension error" },
	{ 0, NULL },
};

/* TS 102 226 table 5.16 */
const struct value_string rscript_chaining_rsp_names[] = {
	{ 0x01, "no previous script" },
	{ 0x02, "not supported" },
	{ 0x03, "unable to process" },
	{ 0, NULL },
};

const struct value_string rscript_compact_split_names[] = {
	{ RSCRIPT_COMPACT_TPDU, "tpdu" },
	{ RSCRIPT_COMPACT_SINGLE, "single" },
	{ 0, NULL },
};

bool rscript_chaining_valid(uint8_t v)
{
	return v == RSCRIPT_CHAIN_FIRST_DELETE_ON_RESET || v == RSCRIPT_CHAIN_FIRST_KEEP_ON_RESET ||
	       v == RSCRIPT_CHAIN_SUBSEQUENT || v == RSCRIPT_CHAIN_LAST;
}

/* ---- APDU ---------------------------------------------------------------------------------------- */

int rscript_apdu_parse(struct rscript_apdu *out, const uint8_t *buf, size_t len)
{
	struct rscript_apdu a = { 0 };
	size_t lc;

	if (len < 4)
		return -EBADMSG;
	a.cla = buf[0];
	a.ins = buf[1];
	a.p1 = buf[2];
	a.p2 = buf[3];
	a.raw = buf;
	a.raw_len = len;
	if (len == 4) {
		a.apdu_case = RSCRIPT_APDU_CASE_1;
	} else if (len == 5) {
		a.apdu_case = RSCRIPT_APDU_CASE_2;
		a.le = buf[4] ? buf[4] : 256; /* ISO 7816-3 §12.1.3: Le 00 = 256 */
	} else {
		/* Short Lc is 01..FF; 00 here would start the extended form (ISO 7816-3 §12.1.3). pySim's
		 * parse_command_apdu() reads 00 + 256 bytes as Lc = 256; that is not ISO and is rejected. */
		lc = buf[4];
		if (lc == 0)
			return -EBADMSG;
		if (len == 5 + lc) {
			a.apdu_case = RSCRIPT_APDU_CASE_3;
		} else if (len == 6 + lc) {
			a.apdu_case = RSCRIPT_APDU_CASE_4;
			a.le = buf[len - 1] ? buf[len - 1] : 256;
		} else {
			return -EBADMSG; /* Lc inconsistent with the length */
		}
		a.lc = lc;
		a.data = buf + 5;
	}
	*out = a;
	return (int)len;
}

/* ---- expanded command scripts -------------------------------------------------------------------- */

static int open_template(struct bertlv_iter *it, enum rscript_coding *coding, size_t *total, const uint8_t *buf,
			 size_t len, uint32_t tag_def, uint32_t tag_indef)
{
	struct bertlv t;
	int rc;

	/* Check the tag before framing, so a wrong first byte is -EBADMSG, not -EAGAIN. */
	if (len >= 1 && buf[0] != tag_def && buf[0] != tag_indef)
		return -EBADMSG;
	rc = bertlv_decode(&t, buf, len);
	if (rc < 0)
		return rc;
	if (t.tag == tag_def && !t.indefinite)
		*coding = RSCRIPT_DEFINITE;
	else if (t.tag == tag_indef && t.indefinite)
		*coding = RSCRIPT_INDEFINITE;
	else
		return -EBADMSG; /* AA with 80, or AE with a definite length (tables 5.2 / 5.2a) */
	bertlv_iter_init(it, t.value, t.len);
	*total = (size_t)rc;
	return rc;
}

int rscript_cmd_open(struct rscript_cmd_iter *it, const uint8_t *buf, size_t len)
{
	memset(it, 0, sizeof(*it));
	return open_template(&it->it, &it->coding, &it->total, buf, len, RSCRIPT_TAG_CMD_DEFINITE,
			     RSCRIPT_TAG_CMD_INDEFINITE);
}

static int cmd_fail(struct rscript_cmd_iter *it, size_t at, enum rscript_bad_format bf)
{
	it->bad_format = bf;
	it->bad_offset = at;
	it->it.pos = it->it.len; /* stop */
	return -EBADMSG;
}

int rscript_cmd_next(struct rscript_cmd_iter *it, struct rscript_cmd_item *out)
{
	size_t at = it->it.pos;
	struct bertlv t;
	int rc;

	rc = bertlv_iter_next(&it->it, &t);
	if (rc == 0)
		return 0;
	if (rc < 0) {
		/* Inside a template that framed as a whole, a TLV running past its end means the length
		 * field could not be honoured (table 5.12 "wrong length"); an unparsable length field
		 * (a form beyond 83) is "length not found". */
		return cmd_fail(it, at,
				rc == -EOVERFLOW ? RSCRIPT_BAD_FORMAT_LENGTH_NOT_FOUND
						 : RSCRIPT_BAD_FORMAT_WRONG_LENGTH);
	}
	if (t.indefinite)
		return cmd_fail(it, at, RSCRIPT_BAD_FORMAT_WRONG_LENGTH); /* only the template may use 80 */
	switch (t.tag) {
	case RSCRIPT_CMD_CAPDU:
		if (t.len < 4) /* a C-APDU has at least CLA INS P1 P2 */
			return cmd_fail(it, at, RSCRIPT_BAD_FORMAT_WRONG_LENGTH);
		break;
	case RSCRIPT_CMD_SCRIPT_CHAINING:
		if (t.len != 1) /* §5.2.1.4: one byte */
			return cmd_fail(it, at, RSCRIPT_BAD_FORMAT_WRONG_LENGTH);
		break;
	case RSCRIPT_CMD_IMMEDIATE_ACTION:
	case RSCRIPT_CMD_ERROR_ACTION:
	case RSCRIPT_CMD_SCP03T_INIT:
	case RSCRIPT_CMD_SCP03T_EXT_AUTH:
	case RSCRIPT_CMD_SCP03T_DATA: break;
	default: return cmd_fail(it, at, RSCRIPT_BAD_FORMAT_UNKNOWN_TAG);
	}
	out->kind = (enum rscript_cmd_kind)t.tag;
	out->value = t.value;
	out->len = t.len;
	return 1;
}

int rscript_cmd_decode(const uint8_t *buf, size_t len, struct rscript_cmd_item *items, size_t max, size_t *n)
{
	struct rscript_cmd_iter it;
	struct rscript_cmd_item item;
	size_t count = 0;
	int total, rc;

	total = rscript_cmd_open(&it, buf, len);
	if (total < 0)
		return total;
	while ((rc = rscript_cmd_next(&it, &item)) > 0) {
		if (items && count < max)
			items[count] = item;
		count++;
	}
	if (n)
		*n = count;
	return rc < 0 ? rc : total;
}

static void builder_begin(struct rscript_builder *b, uint8_t *buf, size_t cap, enum rscript_coding coding,
			  uint32_t tag_def, uint32_t tag_indef)
{
	bertlv_writer_init(&b->w, buf, cap);
	b->coding = coding;
	b->mark = 0;
	if (coding == RSCRIPT_INDEFINITE)
		bertlv_open_indefinite(&b->w, tag_indef);
	else if (coding == RSCRIPT_DEFINITE)
		b->mark = bertlv_open(&b->w, tag_def);
	else
		b->w.err = -EINVAL;
}

static int builder_finish(struct rscript_builder *b)
{
	if (b->coding == RSCRIPT_INDEFINITE)
		bertlv_close_indefinite(&b->w);
	else
		bertlv_close(&b->w, b->mark);
	return bertlv_writer_finish(&b->w);
}

void rscript_cmd_begin(struct rscript_builder *b, uint8_t *buf, size_t cap, enum rscript_coding coding)
{
	builder_begin(b, buf, cap, coding, RSCRIPT_TAG_CMD_DEFINITE, RSCRIPT_TAG_CMD_INDEFINITE);
}

void rscript_cmd_add(struct rscript_builder *b, enum rscript_cmd_kind kind, const uint8_t *value, size_t len)
{
	bertlv_put(&b->w, (uint32_t)kind, value, len);
}

void rscript_cmd_add_apdu(struct rscript_builder *b, const uint8_t *apdu, size_t len)
{
	if (len < 4 && !b->w.err)
		b->w.err = -EINVAL;
	rscript_cmd_add(b, RSCRIPT_CMD_CAPDU, apdu, len);
}

void rscript_cmd_add_chaining(struct rscript_builder *b, enum rscript_chaining chaining)
{
	if (!rscript_chaining_valid((uint8_t)chaining) && !b->w.err)
		b->w.err = -EINVAL;
	bertlv_put_u8(&b->w, RSCRIPT_CMD_SCRIPT_CHAINING, (uint8_t)chaining);
}

int rscript_cmd_finish(struct rscript_builder *b)
{
	return builder_finish(b);
}

/* ---- expanded response scripts ------------------------------------------------------------------- */

int rscript_rsp_open(struct rscript_rsp_iter *it, const uint8_t *buf, size_t len)
{
	memset(it, 0, sizeof(*it));
	return open_template(&it->it, &it->coding, &it->total, buf, len, RSCRIPT_TAG_RSP_DEFINITE,
			     RSCRIPT_TAG_RSP_INDEFINITE);
}

static int rsp_fail(struct rscript_rsp_iter *it)
{
	it->it.pos = it->it.len;
	return -EBADMSG;
}

int rscript_rsp_next(struct rscript_rsp_iter *it, struct rscript_rsp_item *out)
{
	struct rscript_rsp_item r = { 0 };
	struct bertlv t;
	int rc;

	rc = bertlv_iter_next(&it->it, &t);
	if (rc == 0) {
		/* Table 5.10: the definite form carries the count, so an empty AB is malformed. */
		if (it->coding == RSCRIPT_DEFINITE && it->items == 0)
			return -EBADMSG;
		return 0;
	}
	if (rc < 0)
		return rc == -EAGAIN ? -EBADMSG : rc; /* the template framed, so an item overran it */
	if (t.indefinite)
		return rsp_fail(it);
	/* Table 5.10: in the definite form the number of executed commands comes first. */
	if (it->coding == RSCRIPT_DEFINITE && it->items == 0 && t.tag != RSCRIPT_RSP_COUNT)
		return rsp_fail(it);
	r.tag = t.tag;
	r.value = t.value;
	r.len = t.len;
	switch (t.tag) {
	case RSCRIPT_RSP_COUNT:
		if (it->items != 0 || t.len < 1 || t.len > 4) /* table 5.11: integer, once, first */
			return rsp_fail(it);
		for (size_t i = 0; i < t.len; i++)
			r.count = r.count << 8 | t.value[i];
		break;
	case RSCRIPT_RSP_RAPDU:
		if (t.len < 2) /* data || SW1 SW2 */
			return rsp_fail(it);
		r.data = t.value;
		r.data_len = t.len - 2;
		r.sw = (uint16_t)(t.value[t.len - 2] << 8 | t.value[t.len - 1]);
		break;
	case RSCRIPT_RSP_BAD_FORMAT:
	case RSCRIPT_RSP_IMMEDIATE_ACTION:
	case RSCRIPT_RSP_SCRIPT_CHAINING:
		if (t.len != 1) /* tables 5.12, 5.14, 5.16: one byte */
			return rsp_fail(it);
		r.code = t.value[0];
		break;
	case RSCRIPT_RSP_SCP03T_INIT:
	case RSCRIPT_RSP_SCP03T_EXT_AUTH:
	case RSCRIPT_RSP_SCP03T_DATA: break;
	case 0x9F44: /* SCP03t errors `9F4x 01 <code>`, x = low nibble of the command tag (open-questions §5) */
	case 0x9F45:
	case 0x9F46:
	case 0x9F47:
		if (t.len != 1)
			return rsp_fail(it);
		r.code = t.value[0];
		r.kind = RSCRIPT_RSP_SCP03T_ERROR;
		break;
	default: return rsp_fail(it);
	}
	if (r.kind == 0)
		r.kind = (enum rscript_rsp_kind)t.tag;
	it->items++;
	*out = r;
	return 1;
}

int rscript_rsp_decode(const uint8_t *buf, size_t len, struct rscript_rsp_item *items, size_t max, size_t *n)
{
	struct rscript_rsp_iter it;
	struct rscript_rsp_item item;
	size_t count = 0;
	int total, rc;

	total = rscript_rsp_open(&it, buf, len);
	if (total < 0)
		return total;
	while ((rc = rscript_rsp_next(&it, &item)) > 0) {
		if (items && count < max)
			items[count] = item;
		count++;
	}
	if (n)
		*n = count;
	return rc < 0 ? rc : total;
}

void rscript_rsp_begin(struct rscript_builder *b, uint8_t *buf, size_t cap, enum rscript_coding coding)
{
	builder_begin(b, buf, cap, coding, RSCRIPT_TAG_RSP_DEFINITE, RSCRIPT_TAG_RSP_INDEFINITE);
}

void rscript_rsp_add_count(struct rscript_builder *b, uint32_t count)
{
	uint8_t v[4];
	size_t n = count > 0xFFFFFF ? 4 : count > 0xFFFF ? 3 : count > 0xFF ? 2 : 1;

	for (size_t i = 0; i < n; i++)
		v[i] = (uint8_t)(count >> (8 * (n - 1 - i)));
	bertlv_put(&b->w, RSCRIPT_RSP_COUNT, v, n);
}

void rscript_rsp_add_rapdu(struct rscript_builder *b, const uint8_t *data, size_t len, uint16_t sw)
{
	uint8_t swb[2] = { (uint8_t)(sw >> 8), (uint8_t)sw };
	size_t mark = bertlv_open(&b->w, RSCRIPT_RSP_RAPDU);

	bertlv_put_raw(&b->w, data, len);
	bertlv_put_raw(&b->w, swb, 2);
	bertlv_close(&b->w, mark);
}

void rscript_rsp_add_code(struct rscript_builder *b, enum rscript_rsp_kind kind, uint8_t code)
{
	if (kind != RSCRIPT_RSP_BAD_FORMAT && kind != RSCRIPT_RSP_IMMEDIATE_ACTION &&
	    kind != RSCRIPT_RSP_SCRIPT_CHAINING && !b->w.err)
		b->w.err = -EINVAL;
	bertlv_put_u8(&b->w, (uint32_t)kind, code);
}

void rscript_rsp_add(struct rscript_builder *b, uint32_t tag, const uint8_t *value, size_t len)
{
	bertlv_put(&b->w, tag, value, len);
}

int rscript_rsp_finish(struct rscript_builder *b)
{
	return builder_finish(b);
}

/* ---- compact format ------------------------------------------------------------------------------ */

/* Direction of the data phase per INS. TS 102 221 §10.1.2 table 10.5 for the UICC commands, GP Card
 * Spec v2.3 §11 for the card-management ones. 1 = P3 is Lc and data follows; 0 = P3 is Le. */
int rscript_compact_has_data_default(uint8_t cla, uint8_t ins, uint8_t p1, uint8_t p2, void *priv)
{
	switch (ins) {
	case 0xA4: /* SELECT */
	case 0xD6: /* UPDATE BINARY */
	case 0xDC: /* UPDATE RECORD */
	case 0xA2: /* SEARCH RECORD */
	case 0x32: /* INCREASE */
	case 0x20: /* VERIFY PIN */
	case 0x24: /* CHANGE PIN */
	case 0x2C: /* UNBLOCK PIN */
	case 0x88: /* AUTHENTICATE */
	case 0xE6: /* GP INSTALL */
	case 0xE8: /* GP LOAD */
	case 0xE4: /* GP DELETE */
	case 0xD8: /* GP PUT KEY */
	case 0xE2: /* GP STORE DATA */
	case 0xDA: /* PUT DATA */ return 1;
	case 0xB0: /* READ BINARY */
	case 0xB2: /* READ RECORD */
	case 0xC0: /* GET RESPONSE */
	case 0xCA: /* GET DATA */ return 0;
	case 0xF0: /* GP SET STATUS: the AID of the target is the data */ return 1;
	case 0xF2:
		/* TS 102 221 STATUS: P1 00/01/02, P2 00/01/0C, P3 = Le. GP GET STATUS: P1 80/40/20/10 with
		 * a search criterion (4F..) as data. */
		return (p1 & 0xF0) && !(p1 & 0x0F) ? 1 : 0;
	default: /* ACTIVATE / DEACTIVATE FILE (optional data) and anything else: unknown */ return -1;
	}
}

void rscript_compact_init(struct rscript_compact_iter *it, const uint8_t *buf, size_t len,
			  enum rscript_compact_split split, rscript_has_data_fn has_data, void *priv)
{
	it->buf = buf;
	it->len = len;
	it->pos = 0;
	it->split = split;
	it->has_data = has_data ? has_data : rscript_compact_has_data_default;
	it->priv = priv;
}

int rscript_compact_next(struct rscript_compact_iter *it, struct rscript_apdu *out)
{
	const uint8_t *p = it->buf + it->pos;
	size_t left = it->len - it->pos;
	struct rscript_apdu a = { 0 };
	int dir, rc;

	if (left == 0)
		return 0;
	if (it->split == RSCRIPT_COMPACT_SINGLE) {
		rc = rscript_apdu_parse(out, p, left);
		if (rc < 0) {
			it->pos = it->len;
			return rc;
		}
		it->pos = it->len;
		return 1;
	}
	if (it->split != RSCRIPT_COMPACT_TPDU)
		return -EINVAL;
	if (left < 5) {
		it->pos = it->len;
		return -EAGAIN;
	}
	dir = it->has_data(p[0], p[1], p[2], p[3], it->priv);
	if (dir < 0) {
		it->pos = it->len;
		return -EBADMSG;
	}
	a.cla = p[0];
	a.ins = p[1];
	a.p1 = p[2];
	a.p2 = p[3];
	a.raw = p;
	if (dir) {
		a.lc = p[4];
		if (a.lc == 0) { /* TS 102 221 §10.1.2: an incoming command has P3 = Lc 01..FF */
			it->pos = it->len;
			return -EBADMSG;
		}
		if (left < 5 + a.lc) {
			it->pos = it->len;
			return -EAGAIN;
		}
		a.apdu_case = RSCRIPT_APDU_CASE_3;
		a.data = p + 5;
		a.raw_len = 5 + a.lc;
	} else {
		a.apdu_case = RSCRIPT_APDU_CASE_2;
		a.le = p[4] ? p[4] : 256;
		a.raw_len = 5;
	}
	it->pos += a.raw_len;
	*out = a;
	return 1;
}

int rscript_compact_cmd_encode(uint8_t *buf, size_t cap, const uint8_t *const *apdus, const size_t *lens, size_t n)
{
	size_t pos = 0;

	for (size_t i = 0; i < n; i++) {
		if (lens[i] < 4)
			return -EINVAL;
		if (lens[i] > cap - pos)
			return -EMSGSIZE;
		memcpy(buf + pos, apdus[i], lens[i]);
		pos += lens[i];
	}
	if (pos > (size_t)INT32_MAX)
		return -EMSGSIZE;
	return (int)pos;
}

int rscript_compact_rsp_decode(struct rscript_compact_rsp *out, const uint8_t *buf, size_t len)
{
	if (len < 3)
		return -EAGAIN;
	if (len > (size_t)INT32_MAX)
		return -EMSGSIZE;
	out->count = buf[0];
	out->sw = (uint16_t)(buf[1] << 8 | buf[2]);
	out->data = buf + 3;
	out->data_len = len - 3;
	return (int)len;
}

int rscript_compact_rsp_encode(uint8_t *buf, size_t cap, const struct rscript_compact_rsp *rsp)
{
	if (rsp->data_len > (size_t)INT32_MAX - 3)
		return -EINVAL;
	if (cap < 3 + rsp->data_len)
		return -EMSGSIZE;
	buf[0] = rsp->count;
	buf[1] = (uint8_t)(rsp->sw >> 8);
	buf[2] = (uint8_t)rsp->sw;
	if (rsp->data_len)
		memcpy(buf + 3, rsp->data, rsp->data_len);
	return (int)(3 + rsp->data_len);
}
