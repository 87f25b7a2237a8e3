/* Proactive commands (TS 102 223 §6.6):
 *
 *   D0 L | 81 03 number type qualifier | 82 02 source dest | command objects...
 *
 * Command details come first and device identities second (§6.6); the command's objects follow in the
 * order of its table in §6.6.x. The decoder takes the objects it knows for the command type wherever
 * they are, and counts the rest. */
#include <errno.h>
#include <string.h>

#include "lib/cat/cat_internal.h"

static int took(int rc)
{
	return rc < 0 ? rc : 1;
}

/* Take one object of the command's body. 1 taken, 0 not ours, or a negative errno. */
static int take_object(struct cat_proactive *out, const struct ctlv *t, bool *chan_seen)
{
	if (t->tag == CAT_TAG_ALPHA_ID)
		return took(cat_take(&out->alpha_id, t));

	switch (out->details.type) {
	case CAT_CMD_OPEN_CHANNEL: /* §6.6.27 */ return cat_channel_params_take(&out->channel, t, chan_seen);
	case CAT_CMD_SEND_DATA: /* §6.6.30 */
		if (t->tag == CAT_TAG_CHANNEL_DATA)
			return took(cat_take(&out->channel_data, t));
		break;
	case CAT_CMD_RECEIVE_DATA: /* §6.6.29 */
		if (t->tag == CAT_TAG_CHANNEL_DATA_LENGTH) {
			if (out->has_channel_data_length || t->len != 1)
				return -EBADMSG;
			out->has_channel_data_length = true;
			out->channel_data_length = t->value[0];
			return 1;
		}
		break;
	case CAT_CMD_SEND_SHORT_MESSAGE: /* §6.6.9 */
		if (t->tag == CAT_TAG_ADDRESS)
			return took(cat_take(&out->address, t));
		if (t->tag == CAT_TAG_SMS_TPDU)
			return took(cat_take(&out->tpdu, t));
		break;
	case CAT_CMD_REFRESH: /* §6.6.13 */
		if (t->tag == CAT_TAG_FILE_LIST)
			return took(cat_take(&out->file_list, t));
		if (t->tag == CAT_TAG_AID)
			return took(cat_take(&out->aid, t));
		break;
	case CAT_CMD_SET_UP_EVENT_LIST: /* §6.6.16 */
		if (t->tag == CAT_TAG_EVENT_LIST) {
			if (t->len > CAT_MAX_EVENTS)
				return -EBADMSG;
			return took(cat_take(&out->events, t));
		}
		break;
	default: /* CLOSE CHANNEL, PROVIDE LOCAL INFORMATION, GET CHANNEL STATUS: no objects of their own */ break;
	}
	return 0;
}

static bool mandatory_missing(const struct cat_proactive *c)
{
	switch (c->details.type) {
	case CAT_CMD_OPEN_CHANNEL: return !c->channel.has_buffer_size; /* §6.6.27: buffer size M in every variant */
	case CAT_CMD_SEND_DATA: return !c->channel_data.data;
	case CAT_CMD_RECEIVE_DATA: return !c->has_channel_data_length;
	case CAT_CMD_SEND_SHORT_MESSAGE: return !c->tpdu.data;
	case CAT_CMD_SET_UP_EVENT_LIST: return !c->events.data;
	case CAT_CMD_REFRESH: /* §6.4.7: the file change modes need a file list */
		return (c->details.qualifier == CAT_REFRESH_FCN || c->details.qualifier == CAT_REFRESH_NAA_INIT_FCN) &&
		       !c->file_list.data;
	default: return false;
	}
}

int cat_proactive_decode(struct cat_proactive *out, const uint8_t *buf, size_t len)
{
	struct bertlv outer;
	struct ctlv_iter it;
	struct ctlv t;
	unsigned int idx = 0;
	bool chan_seen = false;
	int rc;

	rc = bertlv_decode(&outer, buf, len);
	if (rc < 0)
		return rc;
	if (outer.tag != CAT_TAG_PROACTIVE_COMMAND)
		return -EBADMSG;
	memset(out, 0, sizeof(*out));
	ctlv_iter_init(&it, outer.value, outer.len);
	while ((rc = ctlv_iter_next(&it, &t)) > 0) {
		if (idx == 0) { /* §8.6 command details: number, type, qualifier */
			if (t.tag != CAT_TAG_COMMAND_DETAILS || t.len != 3)
				return -EBADMSG;
			out->details.number = t.value[0];
			out->details.type = t.value[1];
			out->details.qualifier = t.value[2];
		} else if (idx == 1) { /* §8.7 device identities: source, destination */
			if (t.tag != CAT_TAG_DEVICE_IDENTITIES || t.len != 2)
				return -EBADMSG;
			out->dev.src = t.value[0];
			out->dev.dst = t.value[1];
		} else {
			if (t.tag == CAT_TAG_COMMAND_DETAILS || t.tag == CAT_TAG_DEVICE_IDENTITIES)
				return -EBADMSG;
			rc = take_object(out, &t, &chan_seen);
			if (rc < 0)
				return rc;
			if (rc == 0) {
				out->unknown++;
				out->unknown_cr += t.cr;
			}
		}
		idx++;
	}
	if (rc < 0)
		return cat_inner_err(rc);
	if (idx < 2)
		return -EBADMSG;
	out->missing = mandatory_missing(out);
	return (int)outer.total;
}

static void put_proactive(struct bertlv_writer *w, const void *arg)
{
	const struct cat_proactive *c = arg;
	const uint8_t details[3] = { c->details.number, c->details.type, c->details.qualifier };
	const uint8_t dev[2] = { c->dev.src, c->dev.dst };

	cat_put(w, CAT_TAG_COMMAND_DETAILS, true, details, 3);
	cat_put(w, CAT_TAG_DEVICE_IDENTITIES, true, dev, 2);
	switch (c->details.type) {
	case CAT_CMD_OPEN_CHANNEL:
		cat_put_bytes(w, CAT_TAG_ALPHA_ID, true, &c->alpha_id);
		cat_channel_params_put(w, &c->channel);
		break;
	case CAT_CMD_SEND_DATA:
		cat_put_bytes(w, CAT_TAG_ALPHA_ID, true, &c->alpha_id);
		cat_put_bytes(w, CAT_TAG_CHANNEL_DATA, true, &c->channel_data);
		break;
	case CAT_CMD_RECEIVE_DATA:
		cat_put_bytes(w, CAT_TAG_ALPHA_ID, true, &c->alpha_id);
		if (c->has_channel_data_length)
			cat_put_u8(w, CAT_TAG_CHANNEL_DATA_LENGTH, true, c->channel_data_length);
		break;
	case CAT_CMD_SEND_SHORT_MESSAGE:
		cat_put_bytes(w, CAT_TAG_ALPHA_ID, true, &c->alpha_id);
		cat_put_bytes(w, CAT_TAG_ADDRESS, true, &c->address);
		cat_put_bytes(w, CAT_TAG_SMS_TPDU, true, &c->tpdu);
		break;
	case CAT_CMD_REFRESH: /* §6.6.13: file list, AID, then alpha identifier */
		cat_put_bytes(w, CAT_TAG_FILE_LIST, true, &c->file_list);
		cat_put_bytes(w, CAT_TAG_AID, true, &c->aid);
		cat_put_bytes(w, CAT_TAG_ALPHA_ID, true, &c->alpha_id);
		break;
	case CAT_CMD_SET_UP_EVENT_LIST:
		cat_put_bytes(w, CAT_TAG_EVENT_LIST, true, &c->events);
		cat_put_bytes(w, CAT_TAG_ALPHA_ID, true, &c->alpha_id);
		break;
	default: /* CLOSE CHANNEL (alpha identifier optional), PROVIDE LOCAL INFORMATION, GET CHANNEL STATUS */
		cat_put_bytes(w, CAT_TAG_ALPHA_ID, true, &c->alpha_id);
		break;
	}
}

int cat_proactive_encode(uint8_t *out, size_t cap, const struct cat_proactive *cmd)
{
	switch (cmd->details.type) {
	case CAT_CMD_REFRESH:
	case CAT_CMD_SET_UP_EVENT_LIST:
	case CAT_CMD_SEND_SHORT_MESSAGE:
	case CAT_CMD_PROVIDE_LOCAL_INFO:
	case CAT_CMD_OPEN_CHANNEL:
	case CAT_CMD_CLOSE_CHANNEL:
	case CAT_CMD_RECEIVE_DATA:
	case CAT_CMD_SEND_DATA:
	case CAT_CMD_GET_CHANNEL_STATUS: break;
	default: return -EINVAL;
	}
	return cat_wrap(out, cap, CAT_TAG_PROACTIVE_COMMAND, put_proactive, cmd);
}
