/* ENVELOPE data (TS 102 223 §7, TS 31.111 §7.1.1.2):
 *
 *   SMS-PP data download  D1 L | 82 02 83 81 | [86 L TON/NPI ‖ SC address] | 8B L SMS-DELIVER TPDU
 *   event download        D6 L | 99 01 event | 82 02 82 81 | event objects
 *     data available (§7.5.10):   B8 02 channel status | B7 01 channel data length
 *     channel status (§7.5.11):   B8 02 channel status
 *     location status (§7.5.4):   9B 01 location status | [93 L location information, normal service]
 */
#include <errno.h>
#include <string.h>

#include "lib/cat/cat_internal.h"

#define CAT_MAX_LOCATION_INFO 16

static int take_event_object(struct cat_envelope *out, const struct ctlv *t)
{
	switch (out->event) {
	case CAT_EV_DATA_AVAILABLE:
	case CAT_EV_CHANNEL_STATUS:
		if (t->tag == CAT_TAG_CHANNEL_STATUS) {
			if (out->has_channel_status ||
			    cat_channel_status_decode(&out->channel_status, t->value, t->len) < 0)
				return -EBADMSG;
			out->has_channel_status = true;
			return 1;
		}
		if (t->tag == CAT_TAG_CHANNEL_DATA_LENGTH && out->event == CAT_EV_DATA_AVAILABLE) {
			if (out->has_channel_data_length || t->len != 1)
				return -EBADMSG;
			out->has_channel_data_length = true;
			out->channel_data_length = t->value[0];
			return 1;
		}
		return 0;
	case CAT_EV_LOCATION_STATUS:
		if (t->tag == CAT_TAG_LOCATION_STATUS) {
			if (out->has_location_status || t->len != 1)
				return -EBADMSG;
			out->has_location_status = true;
			out->location_status = t->value[0];
			return 1;
		}
		if (t->tag == CAT_TAG_LOCATION_INFO) {
			if (t->len > CAT_MAX_LOCATION_INFO || cat_take(&out->location_info, t) < 0)
				return -EBADMSG;
			return 1;
		}
		return 0;
	default: return 0;
	}
}

static int take_sms_pp_object(struct cat_envelope *out, const struct ctlv *t)
{
	if (t->tag == CAT_TAG_ADDRESS)
		return cat_take(&out->address, t) < 0 ? -EBADMSG : 1;
	if (t->tag == CAT_TAG_SMS_TPDU)
		return cat_take(&out->tpdu, t) < 0 ? -EBADMSG : 1;
	return 0;
}

int cat_envelope_decode(struct cat_envelope *out, const uint8_t *buf, size_t len)
{
	struct bertlv outer;
	struct ctlv_iter it;
	struct ctlv t;
	unsigned int idx = 0;
	bool have_dev = false;
	int rc;

	rc = bertlv_decode(&outer, buf, len);
	if (rc < 0)
		return rc;
	if (outer.tag != CAT_TAG_SMS_PP_DOWNLOAD && outer.tag != CAT_TAG_EVENT_DOWNLOAD)
		return -EBADMSG;
	memset(out, 0, sizeof(*out));
	out->tag = (uint8_t)outer.tag;
	ctlv_iter_init(&it, outer.value, outer.len);
	while ((rc = ctlv_iter_next(&it, &t)) > 0) {
		unsigned int i = idx++;

		if (out->tag == CAT_TAG_EVENT_DOWNLOAD && i == 0) {
			/* §7.5.x: the event list holds exactly one event */
			if (t.tag != CAT_TAG_EVENT_LIST || t.len != 1)
				return -EBADMSG;
			out->event = t.value[0];
			continue;
		}
		if (t.tag == CAT_TAG_DEVICE_IDENTITIES) {
			/* first in D1 (TS 31.111 §7.1.1.2), second in D6 */
			if (have_dev || i != (out->tag == CAT_TAG_EVENT_DOWNLOAD ? 1u : 0u) || t.len != 2)
				return -EBADMSG;
			have_dev = true;
			out->dev.src = t.value[0];
			out->dev.dst = t.value[1];
			continue;
		}
		if (!have_dev || t.tag == CAT_TAG_EVENT_LIST)
			return -EBADMSG;
		rc = out->tag == CAT_TAG_SMS_PP_DOWNLOAD ? take_sms_pp_object(out, &t) : take_event_object(out, &t);
		if (rc < 0)
			return rc;
		if (rc == 0) {
			out->unknown++;
			out->unknown_cr += t.cr;
		}
	}
	if (rc < 0)
		return cat_inner_err(rc);
	if (!have_dev)
		return -EBADMSG;
	/* mandatory objects: an ENVELOPE without them cannot be acted on */
	if (out->tag == CAT_TAG_SMS_PP_DOWNLOAD && !out->tpdu.data)
		return -EBADMSG;
	if (out->tag == CAT_TAG_EVENT_DOWNLOAD) {
		if ((out->event == CAT_EV_DATA_AVAILABLE &&
		     (!out->has_channel_status || !out->has_channel_data_length)) ||
		    (out->event == CAT_EV_CHANNEL_STATUS && !out->has_channel_status) ||
		    (out->event == CAT_EV_LOCATION_STATUS && !out->has_location_status))
			return -EBADMSG;
	}
	return (int)outer.total;
}

static void put_envelope(struct bertlv_writer *w, const void *arg)
{
	const struct cat_envelope *e = arg;
	const uint8_t dev[2] = { e->dev.src, e->dev.dst };

	if (e->tag == CAT_TAG_EVENT_DOWNLOAD)
		cat_put_u8(w, CAT_TAG_EVENT_LIST, true, e->event);
	cat_put(w, CAT_TAG_DEVICE_IDENTITIES, true, dev, 2);
	if (e->tag == CAT_TAG_SMS_PP_DOWNLOAD) {
		cat_put_bytes(w, CAT_TAG_ADDRESS, true, &e->address);
		cat_put_bytes(w, CAT_TAG_SMS_TPDU, true, &e->tpdu);
		return;
	}
	if (e->has_location_status)
		cat_put_u8(w, CAT_TAG_LOCATION_STATUS, true, e->location_status);
	cat_put_bytes(w, CAT_TAG_LOCATION_INFO, true, &e->location_info);
	if (e->has_channel_status) {
		uint8_t cs[2];

		cat_channel_status_encode(cs, &e->channel_status);
		cat_put(w, CAT_TAG_CHANNEL_STATUS, true, cs, 2);
	}
	if (e->has_channel_data_length)
		cat_put_u8(w, CAT_TAG_CHANNEL_DATA_LENGTH, true, e->channel_data_length);
}

int cat_envelope_encode(uint8_t *out, size_t cap, const struct cat_envelope *env)
{
	if (env->tag != CAT_TAG_SMS_PP_DOWNLOAD && env->tag != CAT_TAG_EVENT_DOWNLOAD)
		return -EINVAL;
	return cat_wrap(out, cap, env->tag, put_envelope, env);
}
