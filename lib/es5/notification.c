/* eUICC notifications (see notification.h). */
#include <errno.h>
#include <string.h>

#include "lib/es5/notification.h"
#include "lib/tlv/bertlv.h"

const struct value_string es5_notif_type_names[] = { { ES5_NOTIF_EUICC_DECLARATION, "eUICC declaration" },
						     { ES5_NOTIF_PROFILE_CHANGE_SUCCEEDED, "profile change succeeded" },
						     { ES5_NOTIF_PROFILE_CHANGE_FAILED, "profile change failed and "
											"rolled back" },
						     { ES5_NOTIF_VOID, "void" },
						     { ES5_NOTIF_PROFILE_CHANGE_AFTER_FALLBACK, "profile change after "
												"fall-back" },
						     { 0, NULL } };

const struct value_string es5_notif_aid_tag_names[] = { { ES5_NOTIF_AID_2F, "2F" },
							{ ES5_NOTIF_AID_4F, "4F" },
							{ 0, NULL } };

int es5_notification_encode(uint8_t *buf, size_t cap, const struct es5_notification *n, enum es5_notif_aid_tag variant)
{
	const uint8_t seq[2] = { (uint8_t)(n->seq >> 8), (uint8_t)n->seq };
	struct bertlv_writer w;
	size_t e1;

	if (n->eid.len != ES5_EID_LEN)
		return -EINVAL;
	bertlv_writer_init(&w, buf, cap);
	e1 = bertlv_open(&w, 0xE1);
	bertlv_put(&w, 0x4C, n->eid.buf, n->eid.len);
	bertlv_put_u8(&w, 0x4D, n->type);
	bertlv_put(&w, 0x4E, seq, sizeof(seq));
	if (n->isdp_aid.len)
		bertlv_put(&w, variant == ES5_NOTIF_AID_4F ? 0x4F : 0x2F, n->isdp_aid.buf, n->isdp_aid.len);
	if (n->imei.len)
		bertlv_put(&w, 0x14, n->imei.buf, n->imei.len);
	if (n->meid.len)
		bertlv_put(&w, 0x6D, n->meid.buf, n->meid.len);
	bertlv_close(&w, e1);
	return bertlv_writer_finish(&w);
}

static int set_once(struct es5_bytes *field, const struct bertlv *t)
{
	if (field->buf)
		return -EBADMSG;
	field->buf = t->value;
	field->len = t->len;
	return 0;
}

int es5_notification_decode(struct es5_notification *out, const uint8_t *buf, size_t len)
{
	struct es5_bytes type = { 0 }, seq = { 0 };
	struct bertlv e1, t;
	struct bertlv_iter it;
	int n, rc;

	memset(out, 0, sizeof(*out));
	n = bertlv_decode(&e1, buf, len);
	if (n < 0)
		return n;
	if (e1.tag != 0xE1)
		return -EBADMSG;
	bertlv_iter_init(&it, e1.value, e1.len);
	while ((rc = bertlv_iter_next(&it, &t)) > 0) {
		switch (t.tag) {
		case 0x4C: rc = set_once(&out->eid, &t); break;
		case 0x4D: rc = set_once(&type, &t); break;
		case 0x4E: rc = set_once(&seq, &t); break;
		case 0x2F:
		case 0xAF:
		case 0x4F:
			rc = set_once(&out->isdp_aid, &t);
			out->aid_tag = (uint8_t)t.tag;
			break;
		case 0x14:
		case 0x94: rc = set_once(&out->imei, &t); break;
		case 0x6D:
		case 0xED: rc = set_once(&out->meid, &t); break;
		default: rc = 0; break; /* unknown tags are skipped: later versions add fields */
		}
		if (rc < 0)
			return rc;
	}
	if (rc < 0)
		return -EBADMSG;
	if (out->eid.len != ES5_EID_LEN || type.len != 1 || seq.len != 2)
		return -EBADMSG;
	if (out->isdp_aid.buf && (out->isdp_aid.len < 5 || out->isdp_aid.len > ES5_AID_MAX))
		return -EBADMSG;
	out->type = type.buf[0];
	out->seq = (uint16_t)(seq.buf[0] << 8 | seq.buf[1]);
	return n;
}
