/* Administration Session Triggering Parameters (see scp81.h for the tree and its sources). */
#include <errno.h>
#include <string.h>

#include "lib/scp81/scp81.h"
#include "lib/tlv/bertlv.h"

const struct value_string scp81_tag_names[] = {
	{ SCP81_TAG_TRIGGER, "admin session triggering parameters" },
	{ SCP81_TAG_SESSION, "security domain admin session parameters" },
	{ SCP81_TAG_CONNECTION, "connection parameters" },
	{ SCP81_TAG_SECURITY, "security parameters" },
	{ SCP81_TAG_EXT_SECURITY, "extended security parameters" },
	{ SCP81_TAG_RETRY, "retry policy parameters" },
	{ SCP81_TAG_RETRY_FAILURE, "retry failure report" },
	{ SCP81_TAG_HTTP_POST, "HTTP POST parameters" },
	{ SCP81_TAG_ADMIN_HOST, "admin host" },
	{ SCP81_TAG_AGENT_ID, "agent id" },
	{ SCP81_TAG_ADMIN_URI, "admin URI" },
	{ SCP81_TAG_DNS, "DNS resolution parameters" },
	{ 0, NULL },
};

const struct value_string scp81_timer_coding_names[] = {
	{ SCP81_TIMER_BCD, "bcd" },
	{ SCP81_TIMER_BINARY, "binary" },
	{ 0, NULL },
};

static int take(struct cat_bytes *dst, const struct bertlv *t)
{
	if (dst->data)
		return -EBADMSG;
	dst->data = t->value;
	dst->len = t->len;
	return 0;
}

/* A walk error inside a complete parent is malformation, not truncation. */
static int inner(int rc)
{
	return rc == -EAGAIN ? -EBADMSG : rc;
}

static int decode_security(struct scp81_trigger *out, const struct bertlv *t)
{
	const uint8_t *v = t->value;
	size_t n = t->len, id_len;

	/* psk-id length ‖ psk-id ‖ 02 ‖ KVN ‖ KID [‖ SHA type] [R pySim SecurityParams] */
	if (out->has_security || n < 1)
		return -EBADMSG;
	id_len = v[0];
	if (n < 1 + id_len + 3 || v[1 + id_len] != 2 || n > 1 + id_len + 4)
		return -EBADMSG;
	out->has_security = true;
	out->psk_id.data = v + 1;
	out->psk_id.len = id_len;
	out->kvn = v[2 + id_len];
	out->kid = v[3 + id_len];
	if (n == 1 + id_len + 4) {
		out->has_sha = true;
		out->sha_type = v[4 + id_len];
	}
	return 0;
}

static int decode_retry(struct scp81_trigger *out, const struct bertlv *t)
{
	/* counter (2) ‖ waiting delay (5) [‖ failure report] [R pySim SessionRetryPolicyParams; R-impl NJ] */
	if (out->has_retry || t->len < 2 + SCP81_RETRY_DELAY_LEN)
		return -EBADMSG;
	out->has_retry = true;
	out->retry_counter = (uint16_t)(t->value[0] << 8 | t->value[1]);
	memcpy(out->retry_delay, t->value + 2, SCP81_RETRY_DELAY_LEN);
	out->retry_failure.data = t->value + 2 + SCP81_RETRY_DELAY_LEN;
	out->retry_failure.len = t->len - 2 - SCP81_RETRY_DELAY_LEN;
	return 0;
}

static int decode_http_post(struct scp81_trigger *out, const struct bertlv *parent)
{
	struct bertlv_iter it;
	struct bertlv t;
	int rc;

	if (out->has_http_post)
		return -EBADMSG;
	out->has_http_post = true;
	bertlv_iter_init(&it, parent->value, parent->len);
	while ((rc = bertlv_iter_next(&it, &t)) > 0) {
		switch (t.tag) {
		case SCP81_TAG_ADMIN_HOST: rc = take(&out->admin_host, &t); break;
		case SCP81_TAG_AGENT_ID: rc = take(&out->agent_id, &t); break;
		case SCP81_TAG_ADMIN_URI: rc = take(&out->admin_uri, &t); break;
		default:
			out->unknown++;
			rc = 0;
			break;
		}
		if (rc < 0)
			return rc;
	}
	return inner(rc);
}

static int decode_session(struct scp81_trigger *out, const struct bertlv *parent)
{
	struct bertlv_iter it;
	struct bertlv t;
	int rc;

	if (out->has_session)
		return -EBADMSG;
	out->has_session = true;
	bertlv_iter_init(&it, parent->value, parent->len);
	while ((rc = bertlv_iter_next(&it, &t)) > 0) {
		switch (t.tag) {
		case SCP81_TAG_CONNECTION:
			if (out->has_connection)
				return -EBADMSG;
			out->has_connection = true;
			rc = cat_channel_params_decode(&out->connection, t.value, t.len);
			rc = rc < 0 ? inner(rc) : 0;
			break;
		case SCP81_TAG_SECURITY: rc = decode_security(out, &t); break;
		case SCP81_TAG_EXT_SECURITY: rc = take(&out->ext_security, &t); break;
		case SCP81_TAG_RETRY: rc = decode_retry(out, &t); break;
		case SCP81_TAG_HTTP_POST: rc = decode_http_post(out, &t); break;
		default:
			out->unknown++;
			rc = 0;
			break;
		}
		if (rc < 0)
			return rc;
	}
	return inner(rc);
}

int scp81_trigger_decode(struct scp81_trigger *out, const uint8_t *buf, size_t len)
{
	struct bertlv outer, t;
	struct bertlv_iter it;
	int rc;

	rc = bertlv_decode(&outer, buf, len);
	if (rc < 0)
		return rc;
	if (outer.tag != SCP81_TAG_TRIGGER)
		return -EBADMSG;
	memset(out, 0, sizeof(*out));
	bertlv_iter_init(&it, outer.value, outer.len);
	while ((rc = bertlv_iter_next(&it, &t)) > 0) {
		if (t.tag == SCP81_TAG_SESSION)
			rc = decode_session(out, &t);
		else if (t.tag == SCP81_TAG_DNS)
			rc = take(&out->dns, &t);
		else
			out->unknown++;
		if (rc < 0)
			return rc;
	}
	if (rc < 0)
		return inner(rc);
	return (int)outer.total;
}

static int encode(uint8_t *out, size_t cap, const struct scp81_trigger *t)
{
	struct bertlv_writer w;
	size_t m_trigger, m_session, m;

	bertlv_writer_init(&w, out, cap);
	m_trigger = bertlv_open(&w, SCP81_TAG_TRIGGER);
	if (t->has_session) {
		m_session = bertlv_open(&w, SCP81_TAG_SESSION);
		if (t->has_connection) {
			m = bertlv_open(&w, SCP81_TAG_CONNECTION);
			cat_channel_params_put(&w, &t->connection);
			bertlv_close(&w, m);
		}
		if (t->has_security) {
			uint8_t sec[1 + 255 + 4];
			size_t n = 0;

			if (t->psk_id.len > 255)
				return -EINVAL;
			sec[n++] = (uint8_t)t->psk_id.len;
			if (t->psk_id.len)
				memcpy(sec + n, t->psk_id.data, t->psk_id.len);
			n += t->psk_id.len;
			sec[n++] = 2;
			sec[n++] = t->kvn;
			sec[n++] = t->kid;
			if (t->has_sha)
				sec[n++] = t->sha_type;
			bertlv_put(&w, SCP81_TAG_SECURITY, sec, n);
		}
		if (t->ext_security.data)
			bertlv_put(&w, SCP81_TAG_EXT_SECURITY, t->ext_security.data, t->ext_security.len);
		if (t->has_retry) {
			m = bertlv_open(&w, SCP81_TAG_RETRY);
			bertlv_put_raw(&w,
				       (const uint8_t[]){ (uint8_t)(t->retry_counter >> 8), (uint8_t)t->retry_counter },
				       2);
			bertlv_put_raw(&w, t->retry_delay, SCP81_RETRY_DELAY_LEN);
			if (t->retry_failure.len)
				bertlv_put_raw(&w, t->retry_failure.data, t->retry_failure.len);
			bertlv_close(&w, m);
		}
		if (t->has_http_post) {
			m = bertlv_open(&w, SCP81_TAG_HTTP_POST);
			if (t->admin_host.data)
				bertlv_put(&w, SCP81_TAG_ADMIN_HOST, t->admin_host.data, t->admin_host.len);
			if (t->agent_id.data)
				bertlv_put(&w, SCP81_TAG_AGENT_ID, t->agent_id.data, t->agent_id.len);
			if (t->admin_uri.data)
				bertlv_put(&w, SCP81_TAG_ADMIN_URI, t->admin_uri.data, t->admin_uri.len);
			bertlv_close(&w, m);
		}
		bertlv_close(&w, m_session);
	}
	if (t->dns.data)
		bertlv_put(&w, SCP81_TAG_DNS, t->dns.data, t->dns.len);
	bertlv_close(&w, m_trigger);
	return bertlv_writer_finish(&w);
}

int scp81_trigger_encode(uint8_t *out, size_t cap, const struct scp81_trigger *t)
{
	/* lib/tlv's writer reserves room for long length forms while a constructed TLV is open, so build
	 * in a scratch buffer and copy: the result then fits a buffer of exactly its size. */
	uint8_t tmp[SCP81_MAX_TRIGGER];
	int n = encode(tmp, sizeof(tmp), t);

	if (n < 0)
		return n;
	if ((size_t)n > cap)
		return -EMSGSIZE;
	memcpy(out, tmp, (size_t)n);
	return n;
}

static int bcd_get(uint8_t b, unsigned int *v)
{
	/* TS 102 223 §8.38 / TS 23.040 §9.2.3.11 semi-octets: low nibble = tens, high nibble = units */
	unsigned int tens = b & 0x0F, units = b >> 4;

	if (tens > 9 || units > 9)
		return -EBADMSG;
	*v = tens * 10 + units;
	return 0;
}

int scp81_retry_delay_get(const struct scp81_trigger *t, enum scp81_timer_coding coding, uint32_t *seconds)
{
	const uint8_t *d = t->retry_delay;
	unsigned int h, m, s;

	/* a TS 102 223 §8.38 timer value TLV, with or without CR (A5 / 25) */
	if ((d[0] & 0x7F) != 0x25 || d[1] != 3)
		return -EBADMSG;
	if (coding == SCP81_TIMER_BINARY) {
		h = d[2];
		m = d[3];
		s = d[4];
	} else if (coding == SCP81_TIMER_BCD) {
		if (bcd_get(d[2], &h) < 0 || bcd_get(d[3], &m) < 0 || bcd_get(d[4], &s) < 0)
			return -EBADMSG;
	} else {
		return -EINVAL;
	}
	if (m > 59 || s > 59)
		return -EBADMSG;
	*seconds = h * 3600u + m * 60u + s;
	return 0;
}

static uint8_t bcd_put(unsigned int v)
{
	return (uint8_t)((v % 10) << 4 | v / 10);
}

int scp81_retry_delay_set(struct scp81_trigger *t, enum scp81_timer_coding coding, uint32_t seconds)
{
	uint32_t h = seconds / 3600, m = seconds / 60 % 60, s = seconds % 60;

	t->retry_delay[0] = 0xA5; /* timer value, CR set [R-impl NJ TIMER_VALUE_BER_TAG] */
	t->retry_delay[1] = 3;
	if (coding == SCP81_TIMER_BINARY) {
		if (h > 255)
			return -EINVAL;
		t->retry_delay[2] = (uint8_t)h;
		t->retry_delay[3] = (uint8_t)m;
		t->retry_delay[4] = (uint8_t)s;
	} else if (coding == SCP81_TIMER_BCD) {
		if (h > 99)
			return -EINVAL;
		t->retry_delay[2] = bcd_put(h);
		t->retry_delay[3] = bcd_put(m);
		t->retry_delay[4] = bcd_put(s);
	} else {
		return -EINVAL;
	}
	return 0;
}
