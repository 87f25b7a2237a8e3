/* IPA framing and GSUP through libosmocore for the checker (see gsup.h). */
#include <errno.h>
#include <string.h>

#include <osmocom/gsm/gsup.h>
#include <osmocom/gsm/protocol/gsm_04_08_gprs.h>
#include <osmocom/gsm/protocol/ipaccess.h>

#include "harness/check/gsup.h"

bool check_ipa_proto_known(uint8_t proto)
{
	switch (proto) {
	case IPAC_PROTO_RSL:
	case IPAC_PROTO_MGCP_OLD:
	case IPAC_PROTO_SCCP:
	case IPAC_PROTO_IPACCESS:
	case IPAC_PROTO_OML:
	case IPAC_PROTO_OSMO: return true;
	default: return false;
	}
}

int check_ipa_decode(struct check_ipa_msg *m, const uint8_t *buf, size_t len)
{
	const struct ipaccess_head *h = (const struct ipaccess_head *)buf;
	size_t plen;

	if (!m || (!buf && len))
		return -EINVAL;
	if (len < CHECK_IPA_HDR)
		return -EAGAIN;
	plen = (size_t)buf[0] << 8 | buf[1]; /* h->len, network byte order (unaligned-safe read) */
	if (plen == 0)
		return -EBADMSG; /* every IPA stream carries at least its message or extension id */
	if (len - CHECK_IPA_HDR < plen)
		return -EAGAIN;
	m->proto = h->proto;
	m->ext = CHECK_IPA_NO_EXT;
	m->data = buf + CHECK_IPA_HDR;
	m->len = plen;
	if (m->proto == IPAC_PROTO_OSMO) { /* struct ipaccess_head_ext */
		m->ext = buf[CHECK_IPA_HDR];
		m->data++;
		m->len--;
	}
	return (int)(CHECK_IPA_HDR + plen);
}

bool check_ipa_looks_like(const uint8_t *buf, size_t len)
{
	size_t plen;

	if (!buf || len < CHECK_IPA_HDR + 1)
		return false;
	plen = (size_t)buf[0] << 8 | buf[1];
	if (plen == 0)
		return false;
	if (buf[2] == IPAC_PROTO_OSMO)
		return buf[3] == IPAC_PROTO_EXT_GSUP && plen >= 2; /* extension id + GSUP message type */
	if (buf[2] == IPAC_PROTO_IPACCESS)
		return buf[3] <= IPAC_MSGT_ID_NACK && buf[3] != 2 && buf[3] != 3 && plen < 1024;
	return false;
}

int check_gsup_decode(struct check_gsup_info *info, const uint8_t *data, size_t len)
{
	struct osmo_gsup_message gm;
	int rc;

	if (!info || (!data && len))
		return -EINVAL;
	memset(info, 0, sizeof(*info));
	if (len)
		info->msg_type = data[0];
	memset(&gm, 0, sizeof(gm));
	rc = osmo_gsup_decode(data, len, &gm);
	info->decode_rc = rc;
	if (rc < 0)
		return -EBADMSG;
	info->msg_type = (uint8_t)gm.message_type;
	osmo_strlcpy(info->imsi, gm.imsi, sizeof(info->imsi));
	info->cn_domain = (uint8_t)gm.cn_domain;
	if (OSMO_GSUP_IS_MSGT_ERROR(gm.message_type))
		info->cause = (uint8_t)gm.cause;
	return 0;
}

const char *check_gsup_type_name(uint8_t msg_type)
{
	const char *n = osmo_gsup_message_type_name((enum osmo_gsup_message_type)msg_type);

	if (!strncmp(n, "OSMO_GSUP_MSGT_", 15))
		n += 15;
	return n;
}
