/* CAT data objects shared by proactive commands, TERMINAL RESPONSEs and ENVELOPEs (TS 102 223 §8):
 * the writer glue, channel status, the OPEN CHANNEL channel parameters, other address and IMEI. */
#include <errno.h>
#include <string.h>

#include "lib/cat/cat_internal.h"

void cat_put(struct bertlv_writer *w, uint8_t tag, bool cr, const void *v, size_t len)
{
	int rc;

	if (w->err)
		return;
	if (!w->buf) { /* counting pass */
		if (len > BERTLV_MAX_LEN)
			w->err = -EINVAL;
		else
			w->pos += 1 + bertlv_len_size(len) + len;
		return;
	}
	rc = ctlv_encode(w->buf + w->pos, w->cap - w->pos, tag, cr, v, len);
	if (rc < 0)
		w->err = rc;
	else
		w->pos += (size_t)rc;
}

void cat_put_u16(struct bertlv_writer *w, uint8_t tag, bool cr, uint16_t v)
{
	uint8_t b[2] = { (uint8_t)(v >> 8), (uint8_t)v };

	cat_put(w, tag, cr, b, 2);
}

int cat_wrap(uint8_t *out, size_t cap, uint8_t tag, void (*put)(struct bertlv_writer *w, const void *arg),
	     const void *arg)
{
	struct bertlv_writer w = { .buf = NULL, .cap = SIZE_MAX, .pos = 0, .err = 0 };
	size_t content, hdr, n;

	put(&w, arg);
	if (w.err)
		return w.err;
	content = w.pos;
	if (content > BERTLV_MAX_LEN)
		return -EINVAL;
	n = bertlv_len_size(content);
	hdr = 1 + n;
	if (cap < hdr + content)
		return -EMSGSIZE;
	/* BER-TLV length (ISO 7816-4 §5.2.2; TS 101 220 §7.1.2 for the D0 form): minimal. */
	out[0] = tag;
	if (n == 1) {
		out[1] = (uint8_t)content;
	} else {
		out[1] = (uint8_t)(0x80 | (n - 1));
		for (size_t i = 2; i <= n; i++)
			out[i] = (uint8_t)(content >> (8 * (n - i)));
	}
	bertlv_writer_init(&w, out + hdr, content);
	put(&w, arg);
	if (w.err)
		return w.err;
	if (w.pos != content)
		return -EINVAL; /* put() is not deterministic: a programming error */
	return (int)(hdr + content);
}

unsigned int cat_dev_channel_nr(uint8_t dev)
{
	return dev >= CAT_DEV_CHANNEL_1 && dev <= CAT_DEV_CHANNEL_7 ? dev - 0x20u : 0;
}

bool cat_result_performed(uint8_t general)
{
	return general < 0x20; /* TS 102 223 §8.12: '0X' and '1X' */
}

int cat_channel_status_decode(struct cat_channel_status *out, const uint8_t *v, size_t len)
{
	if (len != 2)
		return -EBADMSG;
	/* TS 102 223 §8.56: byte 1 bits 1-3 channel identifier, bit 8 link established; byte 2 further info */
	out->raw1 = v[0];
	out->channel_id = v[0] & 0x07;
	out->established = v[0] & 0x80;
	out->further_info = v[1];
	return 0;
}

void cat_channel_status_encode(uint8_t out[2], const struct cat_channel_status *cs)
{
	/* bits 4-7 are kept from raw1 (TCP server states, RFU), so decode -> encode is byte-exact */
	out[0] = (uint8_t)((cs->established ? 0x80 : 0) | (cs->raw1 & 0x78) | (cs->channel_id & 0x07));
	out[1] = cs->further_info;
}

int cat_other_address_check(const struct cat_bytes *a)
{
	/* TS 102 223 §8.58: type of address ‖ address; no address = dynamic address requested */
	if (!a->data)
		return 0;
	if (a->len < 1)
		return -EBADMSG;
	if (a->data[0] == CAT_ADDR_IPV4 && a->len != 1 && a->len != 5)
		return -EBADMSG;
	if (a->data[0] == CAT_ADDR_IPV6 && a->len != 1 && a->len != 17)
		return -EBADMSG;
	return 0;
}

int cat_channel_params_take(struct cat_channel_params *p, const struct ctlv *t, bool *seen_any)
{
	int rc = 0;

	switch (t->tag) {
	case CAT_TAG_BEARER_DESCRIPTION: /* §8.52: bearer type ‖ bearer parameters */
		if (p->has_bearer || t->len < 1)
			return -EBADMSG;
		p->has_bearer = true;
		p->bearer_type = t->value[0];
		p->bearer_params.data = t->value + 1;
		p->bearer_params.len = t->len - 1;
		break;
	case CAT_TAG_BUFFER_SIZE: /* §8.55: 2 bytes */
		if (p->has_buffer_size || t->len != 2)
			return -EBADMSG;
		p->has_buffer_size = true;
		p->buffer_size = (uint16_t)(t->value[0] << 8 | t->value[1]);
		break;
	case CAT_TAG_NETWORK_ACCESS_NAME: rc = cat_take(&p->apn, t); break;
	case CAT_TAG_TEXT_STRING: /* §6.6.27.4: user login, then user password */
		if (!p->login.data)
			rc = cat_take(&p->login, t);
		else
			rc = cat_take(&p->password, t);
		break;
	case CAT_TAG_TRANSPORT_LEVEL: /* §8.59: protocol type ‖ port (2) */
		if (p->has_transport || t->len != 3)
			return -EBADMSG;
		p->has_transport = true;
		p->transport = t->value[0];
		p->port = (uint16_t)(t->value[1] << 8 | t->value[2]);
		break;
	case CAT_TAG_OTHER_ADDRESS: {
		/* §6.6.27.4: before the transport level it is the local address, after it the destination */
		struct cat_bytes *a = p->has_transport ? &p->dest_addr : &p->local_addr;

		rc = cat_take(a, t);
		if (rc == 0)
			rc = cat_other_address_check(a);
		break;
	}
	default: return 0;
	}
	if (rc < 0)
		return rc;
	if (!*seen_any) {
		*seen_any = true;
		p->cr = t->cr;
	}
	return 1;
}

int cat_channel_params_decode(struct cat_channel_params *out, const uint8_t *buf, size_t len)
{
	struct ctlv_iter it;
	struct ctlv t;
	bool seen = false;
	int rc;

	memset(out, 0, sizeof(*out));
	ctlv_iter_init(&it, buf, len);
	while ((rc = ctlv_iter_next(&it, &t)) > 0) {
		rc = cat_channel_params_take(out, &t, &seen);
		if (rc < 0)
			return rc;
		if (rc == 0)
			out->unknown++;
	}
	if (rc < 0)
		return rc;
	return (int)len;
}

void cat_channel_params_put(struct bertlv_writer *w, const struct cat_channel_params *p)
{
	/* TS 102 223 §6.6.27.4 order: bearer, buffer size, APN, local address, login, password, transport
	 * level, data destination address */
	if (p->has_bearer) {
		uint8_t b[1 + 255];

		if (p->bearer_params.len > 255) {
			w->err = w->err ? w->err : -EINVAL;
			return;
		}
		b[0] = p->bearer_type;
		if (p->bearer_params.len)
			memcpy(b + 1, p->bearer_params.data, p->bearer_params.len);
		cat_put(w, CAT_TAG_BEARER_DESCRIPTION, p->cr, b, 1 + p->bearer_params.len);
	}
	if (p->has_buffer_size)
		cat_put_u16(w, CAT_TAG_BUFFER_SIZE, p->cr, p->buffer_size);
	cat_put_bytes(w, CAT_TAG_NETWORK_ACCESS_NAME, p->cr, &p->apn);
	cat_put_bytes(w, CAT_TAG_OTHER_ADDRESS, p->cr, &p->local_addr);
	cat_put_bytes(w, CAT_TAG_TEXT_STRING, p->cr, &p->login);
	cat_put_bytes(w, CAT_TAG_TEXT_STRING, p->cr, &p->password);
	if (p->has_transport) {
		uint8_t b[3] = { p->transport, (uint8_t)(p->port >> 8), (uint8_t)p->port };

		cat_put(w, CAT_TAG_TRANSPORT_LEVEL, p->cr, b, 3);
	}
	cat_put_bytes(w, CAT_TAG_OTHER_ADDRESS, p->cr, &p->dest_addr);
}

int cat_imei_encode(uint8_t out[8], const char *digits)
{
	/* TS 24.008 §10.5.1.4: digit 1 ‖ odd(1) ‖ type 010 (IMEI), then digits two per byte, low nibble first */
	if (!digits || strlen(digits) != 15)
		return -EINVAL;
	for (size_t i = 0; i < 15; i++)
		if (digits[i] < '0' || digits[i] > '9')
			return -EINVAL;
	out[0] = (uint8_t)((digits[0] - '0') << 4 | 0x08 | 0x02);
	for (size_t i = 1; i < 15; i += 2)
		out[(i + 1) / 2] = (uint8_t)((digits[i + 1] - '0') << 4 | (digits[i] - '0'));
	return 0;
}

int cat_imei_decode(char out[16], const uint8_t *v, size_t len)
{
	if (len != 8 || (v[0] & 0x0F) != 0x0A) /* type IMEI, odd number of digits (15) */
		return -EBADMSG;
	for (size_t i = 0; i < 15; i++) {
		unsigned int d = i == 0 ? v[0] >> 4 : (i % 2 ? v[(i + 1) / 2] & 0x0F : v[(i + 1) / 2] >> 4);

		if (d > 9)
			return -EBADMSG;
		out[i] = (char)('0' + d);
	}
	out[15] = '\0';
	return 0;
}
