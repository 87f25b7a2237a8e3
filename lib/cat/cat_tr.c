/* TERMINAL RESPONSE (TS 102 223 §6.8): the APDU data is a plain sequence of COMPREHENSION-TLVs,
 *
 *   81 03 number type qualifier | 82 02 82 81 | 83 L general ‖ additional info | command objects...
 *
 * Command details (echoed), device identities and result come first, in that order (§6.8); then, per
 * command: location information 13 / IMEI 14 (PROVIDE LOCAL INFORMATION), channel data 36 (RECEIVE DATA),
 * channel status 38, bearer description 35, buffer size 39 (OPEN CHANNEL; 38 also GET CHANNEL STATUS),
 * channel data length 37 (SEND DATA, RECEIVE DATA). */
#include <errno.h>
#include <string.h>

#include "lib/cat/cat_internal.h"

#define CAT_MAX_LOCATION_INFO 16 /* §8.19: 7 (GERAN) to 11 (NR) bytes; a generous cap */

static int take_object(struct cat_terminal_response *out, const struct ctlv *t)
{
	switch (t->tag) {
	case CAT_TAG_LOCATION_INFO:
		if (t->len > CAT_MAX_LOCATION_INFO)
			return -EBADMSG;
		return cat_take(&out->location_info, t) < 0 ? -EBADMSG : 1;
	case CAT_TAG_IMEI: /* §8.20: 8 bytes */
		if (out->has_imei || t->len != 8)
			return -EBADMSG;
		out->has_imei = true;
		memcpy(out->imei, t->value, 8);
		return 1;
	case CAT_TAG_CHANNEL_DATA: return cat_take(&out->channel_data, t) < 0 ? -EBADMSG : 1;
	case CAT_TAG_CHANNEL_STATUS:
		if (out->n_channel_status >= CAT_MAX_CHANNELS)
			return -EBADMSG;
		if (cat_channel_status_decode(&out->channel_status[out->n_channel_status], t->value, t->len) < 0)
			return -EBADMSG;
		out->n_channel_status++;
		return 1;
	case CAT_TAG_BEARER_DESCRIPTION:
		if (out->has_bearer || t->len < 1)
			return -EBADMSG;
		out->has_bearer = true;
		out->bearer_type = t->value[0];
		out->bearer_params.data = t->value + 1;
		out->bearer_params.len = t->len - 1;
		return 1;
	case CAT_TAG_BUFFER_SIZE:
		if (out->has_buffer_size || t->len != 2)
			return -EBADMSG;
		out->has_buffer_size = true;
		out->buffer_size = (uint16_t)(t->value[0] << 8 | t->value[1]);
		return 1;
	case CAT_TAG_CHANNEL_DATA_LENGTH:
		if (out->has_channel_data_length || t->len != 1)
			return -EBADMSG;
		out->has_channel_data_length = true;
		out->channel_data_length = t->value[0];
		return 1;
	default: return 0;
	}
}

int cat_terminal_response_decode(struct cat_terminal_response *out, const uint8_t *buf, size_t len)
{
	struct ctlv_iter it;
	struct ctlv t;
	unsigned int idx = 0;
	int rc;

	memset(out, 0, sizeof(*out));
	ctlv_iter_init(&it, buf, len);
	while ((rc = ctlv_iter_next(&it, &t)) > 0) {
		switch (idx++) {
		case 0:
			if (t.tag != CAT_TAG_COMMAND_DETAILS || t.len != 3)
				return -EBADMSG;
			out->details.number = t.value[0];
			out->details.type = t.value[1];
			out->details.qualifier = t.value[2];
			continue;
		case 1:
			if (t.tag != CAT_TAG_DEVICE_IDENTITIES || t.len != 2)
				return -EBADMSG;
			out->dev.src = t.value[0];
			out->dev.dst = t.value[1];
			continue;
		case 2: /* §8.12: general result ‖ additional information */
			if (t.tag != CAT_TAG_RESULT || t.len < 1)
				return -EBADMSG;
			out->general = t.value[0];
			out->add_info.data = t.value + 1;
			out->add_info.len = t.len - 1;
			continue;
		default: break;
		}
		if (t.tag == CAT_TAG_COMMAND_DETAILS || t.tag == CAT_TAG_DEVICE_IDENTITIES || t.tag == CAT_TAG_RESULT)
			return -EBADMSG;
		rc = take_object(out, &t);
		if (rc < 0)
			return rc;
		if (rc == 0) {
			out->unknown++;
			out->unknown_cr += t.cr;
		}
	}
	if (rc < 0)
		return rc;
	if (idx < 3)
		return len == 0 ? -EAGAIN : -EBADMSG;
	return (int)len;
}

static void put_tr(struct bertlv_writer *w, const void *arg)
{
	const struct cat_terminal_response *tr = arg;
	const uint8_t details[3] = { tr->details.number, tr->details.type, tr->details.qualifier };
	const uint8_t dev[2] = { tr->dev.src, tr->dev.dst };
	uint8_t result[1 + 255];

	cat_put(w, CAT_TAG_COMMAND_DETAILS, true, details, 3);
	cat_put(w, CAT_TAG_DEVICE_IDENTITIES, true, dev, 2);
	if (tr->add_info.len > 255) {
		w->err = w->err ? w->err : -EINVAL;
		return;
	}
	result[0] = tr->general;
	if (tr->add_info.len)
		memcpy(result + 1, tr->add_info.data, tr->add_info.len);
	cat_put(w, CAT_TAG_RESULT, true, result, 1 + tr->add_info.len);
	cat_put_bytes(w, CAT_TAG_LOCATION_INFO, true, &tr->location_info);
	if (tr->has_imei)
		cat_put(w, CAT_TAG_IMEI, true, tr->imei, 8);
	cat_put_bytes(w, CAT_TAG_CHANNEL_DATA, true, &tr->channel_data);
	for (unsigned int i = 0; i < tr->n_channel_status && i < CAT_MAX_CHANNELS; i++) {
		uint8_t cs[2];

		cat_channel_status_encode(cs, &tr->channel_status[i]);
		cat_put(w, CAT_TAG_CHANNEL_STATUS, true, cs, 2);
	}
	if (tr->has_bearer) {
		uint8_t b[1 + 255];

		if (tr->bearer_params.len > 255) {
			w->err = w->err ? w->err : -EINVAL;
			return;
		}
		b[0] = tr->bearer_type;
		if (tr->bearer_params.len)
			memcpy(b + 1, tr->bearer_params.data, tr->bearer_params.len);
		cat_put(w, CAT_TAG_BEARER_DESCRIPTION, true, b, 1 + tr->bearer_params.len);
	}
	if (tr->has_buffer_size)
		cat_put_u16(w, CAT_TAG_BUFFER_SIZE, true, tr->buffer_size);
	if (tr->has_channel_data_length)
		cat_put_u8(w, CAT_TAG_CHANNEL_DATA_LENGTH, true, tr->channel_data_length);
}

int cat_terminal_response_encode(uint8_t *out, size_t cap, const struct cat_terminal_response *tr)
{
	struct bertlv_writer w = { .buf = NULL, .cap = SIZE_MAX, .pos = 0, .err = 0 };

	if (tr->n_channel_status > CAT_MAX_CHANNELS)
		return -EINVAL;
	/* No wrapper TLV: a counting pass, then the real one into out. */
	put_tr(&w, tr);
	if (w.err)
		return w.err;
	if (w.pos > cap)
		return -EMSGSIZE;
	bertlv_writer_init(&w, out, cap);
	put_tr(&w, tr);
	return bertlv_writer_finish(&w);
}
