/* GP Amd B RAM over HTTP header values and the SCP81 PSK identity (see ramhttp.h).
 *
 *   X-Admin-Protocol: globalplatform-remote-admin/1.0
 *   X-Admin-From: //se-id/eid/89049032123451234512345678901235;//aa-id/aid/A000000559/1010FFFFFFFF8900000100
 *   X-Admin-Targeted-Application: //aid/A000000559/1010FFFFFFFF8900001300
 *   X-Admin-Next-URI: /ramNext/42
 *   X-Admin-Script-Status: ok
 *   Content-Type: application/vnd.globalplatform.card-content-mgt-response;version=1.0
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "lib/ramhttp/ramhttp.h"
#include "lib/tlv/bertlv.h"

const struct value_string ramhttp_agent_spelling_names[] = {
	{ RAMHTTP_AGENT_AA_ID, "aa-id" },
	{ RAMHTTP_AGENT_AAID, "aaid" },
	{ 0, NULL },
};

const struct value_string ramhttp_script_status_names[] = {
	{ RAMHTTP_SCRIPT_OK, "ok" },
	{ RAMHTTP_SCRIPT_UNKNOWN_APPLICATION, "unknown-application" },
	{ RAMHTTP_SCRIPT_NOT_A_SECURITY_DOMAIN, "not-a-security-domain" },
	{ RAMHTTP_SCRIPT_SECURITY_ERROR, "security-error" },
	{ RAMHTTP_SCRIPT_UNAVAILABLE_SE, "unavailable-se" },
	{ RAMHTTP_SCRIPT_TEMPORARILY_UNAVAILABLE_APP, "temporarily-unavailable-application" },
	{ RAMHTTP_SCRIPT_FORMAT_ERROR, "script-format-error" },
	{ 0, NULL },
};

const struct value_string ramhttp_content_names[] = {
	{ RAMHTTP_CONTENT_GP_COMMAND, "application/vnd.globalplatform.card-content-mgt" },
	{ RAMHTTP_CONTENT_GP_RESPONSE, "application/vnd.globalplatform.card-content-mgt-response" },
	{ RAMHTTP_CONTENT_ETSI_COMMAND, "application/vnd.etsi.scp.command-data" },
	{ 0, NULL },
};

const struct value_string ramhttp_notif_carriage_names[] = {
	{ RAMHTTP_NOTIF_URI_MSG, "uri-msg" },
	{ RAMHTTP_NOTIF_BODY, "body" },
	{ 0, NULL },
};

const struct value_string ramhttp_psk_id_format_names[] = {
	{ RAMHTTP_PSK_ID_TLV_HEX_V4, "tlv-hex-v4" },
	{ RAMHTTP_PSK_ID_OPAQUE, "opaque" },
	{ 0, NULL },
};

/* ---- small string helpers over (ptr, len) ---- */

struct span {
	const char *p;
	size_t n;
};

static int trim(struct span *s, const char *v, size_t len)
{
	if (!v || len > RAMHTTP_MAX_VALUE)
		return -EBADMSG;
	while (len && (*v == ' ' || *v == '\t'))
		v++, len--;
	while (len && (v[len - 1] == ' ' || v[len - 1] == '\t'))
		len--;
	s->p = v;
	s->n = len;
	return 0;
}

/* Consume a literal prefix (case-sensitive unless icase). */
static bool eat(struct span *s, const char *lit, bool icase)
{
	size_t n = strlen(lit);

	if (s->n < n || (icase ? strncasecmp(s->p, lit, n) : strncmp(s->p, lit, n)) != 0)
		return false;
	s->p += n;
	s->n -= n;
	return true;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decode exactly n hex chars into out (n even, n/2 <= cap). Returns bytes or -EBADMSG. */
static int unhex(uint8_t *out, size_t cap, const char *p, size_t n)
{
	if (n % 2 || n / 2 > cap)
		return -EBADMSG;
	for (size_t i = 0; i < n; i += 2) {
		int hi = hexval(p[i]), lo = hexval(p[i + 1]);

		if (hi < 0 || lo < 0)
			return -EBADMSG;
		out[i / 2] = (uint8_t)(hi << 4 | lo);
	}
	return (int)(n / 2);
}

static size_t put_hex(char *dst, const uint8_t *b, size_t n)
{
	static const char digits[] = "0123456789ABCDEF";

	for (size_t i = 0; i < n; i++) {
		dst[2 * i] = digits[b[i] >> 4];
		dst[2 * i + 1] = digits[b[i] & 0xF];
	}
	return 2 * n;
}

/* ---- X-Admin-Protocol ---- */

static bool eat_uint(struct span *s, unsigned int *out)
{
	unsigned int v = 0;
	size_t i = 0;

	while (i < s->n && s->p[i] >= '0' && s->p[i] <= '9') {
		if (i >= 4) /* a version component of more than 4 digits is not one */
			return false;
		v = v * 10 + (unsigned int)(s->p[i] - '0');
		i++;
	}
	if (i == 0)
		return false;
	s->p += i;
	s->n -= i;
	*out = v;
	return true;
}

int ramhttp_protocol_parse(struct ramhttp_protocol *out, const char *v, size_t len)
{
	struct ramhttp_protocol p = { 0 };
	struct span s;

	if (trim(&s, v, len) < 0 || !eat(&s, "globalplatform-remote-admin/", false))
		return -EBADMSG;
	if (!eat_uint(&s, &p.major) || !eat(&s, ".", false) || !eat_uint(&s, &p.minor))
		return -EBADMSG;
	if (s.n && eat(&s, ".", false)) {
		if (!eat_uint(&s, &p.patch))
			return -EBADMSG;
		p.has_patch = true;
	}
	if (s.n)
		return -EBADMSG;
	*out = p;
	return 0;
}

/* ---- AIDs ---- */

/* "<RID>/<PIX>" to the end of s: RID 5 bytes, PIX 0..11 bytes. */
static int parse_rid_pix(struct ramhttp_aid *out, struct span *s)
{
	const char *slash = memchr(s->p, '/', s->n);
	struct ramhttp_aid a = { 0 };
	int rc;

	if (!slash || slash - s->p != 10)
		return -EBADMSG;
	if (unhex(a.aid, 5, s->p, 10) != 5)
		return -EBADMSG;
	rc = unhex(a.aid + 5, 11, slash + 1, s->n - 11);
	if (rc < 0)
		return rc;
	a.len = 5 + (size_t)rc;
	*out = a;
	return 0;
}

int ramhttp_targeted_app_parse(struct ramhttp_aid *out, const char *v, size_t len)
{
	struct span s;

	if (trim(&s, v, len) < 0 || !eat(&s, "//aid/", false))
		return -EBADMSG;
	return parse_rid_pix(out, &s);
}

static int format_aid(char *dst, size_t cap, const uint8_t *aid, size_t aid_len)
{
	if (aid_len < 5 || aid_len > 16)
		return -EINVAL;
	if (cap < 2 * aid_len + 1)
		return -EMSGSIZE;
	put_hex(dst, aid, 5);
	dst[10] = '/';
	put_hex(dst + 11, aid + 5, aid_len - 5);
	return (int)(2 * aid_len + 1);
}

int ramhttp_targeted_app_format(char *buf, size_t cap, const uint8_t *aid, size_t aid_len)
{
	int n;

	if (cap < 7)
		return -EMSGSIZE;
	memcpy(buf, "//aid/", 6);
	n = format_aid(buf + 6, cap - 7, aid, aid_len);
	if (n < 0)
		return n;
	buf[6 + n] = '\0';
	return 6 + n;
}

/* ---- X-Admin-From ---- */

static bool is_alnum(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

int ramhttp_from_parse(struct ramhttp_from *out, const char *v, size_t len)
{
	struct ramhttp_from f = { 0 };
	struct span s, agent;
	const char *semi, *slash;
	int rc;

	if (trim(&s, v, len) < 0 || !eat(&s, "//se-id/", false))
		return -EBADMSG;
	semi = memchr(s.p, ';', s.n);
	if (!semi)
		return -EBADMSG;
	slash = memchr(s.p, '/', (size_t)(semi - s.p));
	if (!slash || slash == s.p || slash + 1 == semi)
		return -EBADMSG;
	f.se_type = s.p;
	f.se_type_len = (size_t)(slash - s.p);
	f.se_id = slash + 1;
	f.se_id_len = (size_t)(semi - f.se_id);
	if (f.se_id_len > 64)
		return -EBADMSG;
	for (size_t i = 0; i < f.se_type_len; i++)
		if (!is_alnum(f.se_type[i]) && f.se_type[i] != '-')
			return -EBADMSG;
	for (size_t i = 0; i < f.se_id_len; i++)
		if (!is_alnum(f.se_id[i]))
			return -EBADMSG;
	agent.p = semi + 1;
	agent.n = s.n - (size_t)(agent.p - s.p);
	if (eat(&agent, "//aa-id/aid/", false))
		f.spelling = RAMHTTP_AGENT_AA_ID;
	else if (eat(&agent, "//aaid/aid/", false))
		f.spelling = RAMHTTP_AGENT_AAID;
	else
		return -EBADMSG;
	rc = parse_rid_pix(&f.agent, &agent);
	if (rc < 0)
		return rc;
	*out = f;
	return 0;
}

bool ramhttp_from_is_eid(const struct ramhttp_from *f)
{
	if (f->se_type_len != 3 || strncasecmp(f->se_type, "eid", 3) != 0 || f->se_id_len != 32)
		return false;
	for (size_t i = 0; i < 32; i++)
		if (f->se_id[i] < '0' || f->se_id[i] > '9')
			return false;
	return true;
}

int ramhttp_from_format(char *buf, size_t cap, const char *eid, size_t eid_len, const uint8_t *aid, size_t aid_len)
{
	static const char a[] = "//se-id/eid/", b[] = ";//aa-id/aid/";
	size_t pos;
	int n;

	if (eid_len == 0 || eid_len > 64)
		return -EINVAL;
	for (size_t i = 0; i < eid_len; i++)
		if (!is_alnum(eid[i]))
			return -EINVAL;
	if (cap < sizeof(a) - 1 + eid_len + sizeof(b) - 1 + 1)
		return -EMSGSIZE;
	memcpy(buf, a, sizeof(a) - 1);
	pos = sizeof(a) - 1;
	memcpy(buf + pos, eid, eid_len);
	pos += eid_len;
	memcpy(buf + pos, b, sizeof(b) - 1);
	pos += sizeof(b) - 1;
	n = format_aid(buf + pos, cap - pos - 1, aid, aid_len);
	if (n < 0)
		return n;
	pos += (size_t)n;
	buf[pos] = '\0';
	return (int)pos;
}

/* ---- X-Admin-Next-URI ---- */

int ramhttp_next_uri_parse(const char **uri, size_t *uri_len, const char *v, size_t len)
{
	struct span s, t;

	if (trim(&s, v, len) < 0 || s.n == 0)
		return -EBADMSG;
	for (size_t i = 0; i < s.n; i++)
		if ((unsigned char)s.p[i] <= 0x20 || (unsigned char)s.p[i] >= 0x7F)
			return -EBADMSG;
	t = s;
	if (s.p[0] != '/' && !eat(&t, "http://", true) && !eat(&t, "https://", true))
		return -EBADMSG;
	*uri = s.p;
	*uri_len = s.n;
	return 0;
}

/* ---- X-Admin-Script-Status ---- */

int ramhttp_script_status_parse(enum ramhttp_script_status *out, const char *v, size_t len)
{
	struct span s;

	if (trim(&s, v, len) < 0)
		return -EBADMSG;
	for (const struct value_string *vs = ramhttp_script_status_names; vs->str; vs++) {
		if (strlen(vs->str) == s.n && memcmp(vs->str, s.p, s.n) == 0) {
			*out = (enum ramhttp_script_status)vs->value;
			return 0;
		}
	}
	return -EBADMSG;
}

bool ramhttp_script_status_is_amd_b(enum ramhttp_script_status st)
{
	return st == RAMHTTP_SCRIPT_OK || st == RAMHTTP_SCRIPT_UNKNOWN_APPLICATION ||
	       st == RAMHTTP_SCRIPT_NOT_A_SECURITY_DOMAIN || st == RAMHTTP_SCRIPT_SECURITY_ERROR;
}

/* ---- X-Admin-Resume ---- */

int ramhttp_resume_parse(bool *out, const char *v, size_t len)
{
	struct span s;

	if (trim(&s, v, len) < 0)
		return -EBADMSG;
	if (s.n == 4 && strncasecmp(s.p, "true", 4) == 0)
		*out = true;
	else if (s.n == 5 && strncasecmp(s.p, "false", 5) == 0)
		*out = false;
	else
		return -EBADMSG;
	return 0;
}

/* ---- Content-Type ---- */

static void skip_ows(struct span *s)
{
	while (s->n && (*s->p == ' ' || *s->p == '\t'))
		s->p++, s->n--;
}

int ramhttp_content_type_parse(struct ramhttp_content_type *out, const char *v, size_t len)
{
	struct ramhttp_content_type ct = { 0 };
	const struct value_string *best = NULL;
	struct span s;
	size_t vn = 0;

	if (trim(&s, v, len) < 0)
		return -EBADMSG;
	/* The longest media type that matches and is followed by OWS or ';' (the response type has the
	 * command type as a prefix). */
	for (const struct value_string *vs = ramhttp_content_names; vs->str; vs++) {
		size_t n = strlen(vs->str);

		if (s.n >= n && strncasecmp(s.p, vs->str, n) == 0 &&
		    (s.n == n || s.p[n] == ';' || s.p[n] == ' ' || s.p[n] == '\t') && (!best || n > strlen(best->str)))
			best = vs;
	}
	if (!best)
		return -EBADMSG;
	ct.kind = (enum ramhttp_content)best->value;
	s.p += strlen(best->str);
	s.n -= strlen(best->str);
	skip_ows(&s);
	if (!eat(&s, ";", false))
		return -EBADMSG; /* the version parameter is required */
	skip_ows(&s);
	if (!eat(&s, "version", true))
		return -EBADMSG;
	skip_ows(&s);
	if (!eat(&s, "=", false))
		return -EBADMSG;
	skip_ows(&s);
	if (s.n && s.p[0] == '"') {
		const char *q = memchr(s.p + 1, '"', s.n - 1);

		if (!q)
			return -EBADMSG;
		ct.version = s.p + 1;
		vn = (size_t)(q - ct.version);
		s.n -= vn + 2;
		s.p = q + 1;
	} else {
		ct.version = s.p;
		while (vn < s.n && s.p[vn] != ';' && s.p[vn] != ' ' && s.p[vn] != '\t')
			vn++;
		s.p += vn;
		s.n -= vn;
	}
	if (vn == 0)
		return -EBADMSG;
	for (size_t i = 0; i < vn; i++)
		if (!((ct.version[i] >= '0' && ct.version[i] <= '9') || ct.version[i] == '.'))
			return -EBADMSG;
	skip_ows(&s);
	if (s.n)
		return -EBADMSG; /* other parameters: not part of these media types */
	ct.version_len = vn;
	ct.version_1_0 = vn == 3 && memcmp(ct.version, "1.0", 3) == 0;
	*out = ct;
	return 0;
}

/* ---- PSK identity ---- */

#define PSK_TAG_FORMAT 0x80 /* NJ PSK_ID_SGP_FORMAT */
#define PSK_TAG_EID    0x81
#define PSK_TAG_AID    0x4F
#define PSK_TAG_KEY_ID 0x82
#define PSK_TAG_KVN    0x83

int ramhttp_psk_id_tlv_encode(uint8_t *buf, size_t cap, const struct ramhttp_psk_id *id)
{
	struct bertlv_writer w;

	if (id->format != RAMHTTP_PSK_ID_TLV_HEX_V4 || id->aid_len < 5 || id->aid_len > 16)
		return -EINVAL;
	bertlv_writer_init(&w, buf, cap);
	bertlv_put_u8(&w, PSK_TAG_FORMAT, id->format_version);
	bertlv_put(&w, PSK_TAG_EID, id->eid, sizeof(id->eid));
	bertlv_put(&w, PSK_TAG_AID, id->aid, id->aid_len);
	bertlv_put_u8(&w, PSK_TAG_KEY_ID, id->key_id);
	bertlv_put_u8(&w, PSK_TAG_KVN, id->kvn);
	return bertlv_writer_finish(&w);
}

int ramhttp_psk_id_build(char *buf, size_t cap, const struct ramhttp_psk_id *id)
{
	uint8_t tlv[64];
	int n;

	if (id->format == RAMHTTP_PSK_ID_OPAQUE) {
		if (!id->opaque || id->opaque_len == 0 || id->opaque_len > RAMHTTP_PSK_ID_MAX)
			return -EINVAL;
		if (cap < id->opaque_len + 1)
			return -EMSGSIZE;
		memcpy(buf, id->opaque, id->opaque_len);
		buf[id->opaque_len] = '\0';
		return (int)id->opaque_len;
	}
	n = ramhttp_psk_id_tlv_encode(tlv, sizeof(tlv), id);
	if (n < 0)
		return n;
	if (cap < 2 * (size_t)n + 1)
		return -EMSGSIZE;
	put_hex(buf, tlv, (size_t)n);
	buf[2 * n] = '\0';
	return 2 * n;
}

int ramhttp_psk_id_parse(struct ramhttp_psk_id *out, enum ramhttp_psk_id_format format, const char *v, size_t len)
{
	struct ramhttp_psk_id id = { .format = format };
	uint8_t tlv[RAMHTTP_PSK_ID_MAX / 2];
	struct bertlv_iter it;
	struct bertlv t;
	unsigned int seen = 0;
	int n, rc;

	if (!v || len == 0 || len > RAMHTTP_PSK_ID_MAX)
		return -EBADMSG;
	if (format == RAMHTTP_PSK_ID_OPAQUE) {
		id.opaque = v;
		id.opaque_len = len;
		*out = id;
		return 0;
	}
	if (format != RAMHTTP_PSK_ID_TLV_HEX_V4)
		return -EINVAL;
	n = unhex(tlv, sizeof(tlv), v, len);
	if (n < 0)
		return n;
	bertlv_iter_init(&it, tlv, (size_t)n);
	while ((rc = bertlv_iter_next(&it, &t)) > 0) {
		unsigned int bit;

		if (seen == 0 && t.tag != PSK_TAG_FORMAT)
			return -EBADMSG;
		switch (t.tag) {
		case PSK_TAG_FORMAT:
			bit = 1;
			if (t.len != 1)
				return -EBADMSG;
			id.format_version = t.value[0];
			break;
		case PSK_TAG_EID:
			bit = 2;
			if (t.len != sizeof(id.eid))
				return -EBADMSG;
			memcpy(id.eid, t.value, t.len);
			break;
		case PSK_TAG_AID:
			bit = 4;
			if (t.len < 5 || t.len > sizeof(id.aid))
				return -EBADMSG;
			memcpy(id.aid, t.value, t.len);
			id.aid_len = t.len;
			break;
		case PSK_TAG_KEY_ID:
			bit = 8;
			if (t.len != 1)
				return -EBADMSG;
			id.key_id = t.value[0];
			break;
		case PSK_TAG_KVN:
			bit = 16;
			if (t.len != 1)
				return -EBADMSG;
			id.kvn = t.value[0];
			break;
		default: return -EBADMSG;
		}
		if (seen & bit)
			return -EBADMSG;
		seen |= bit;
	}
	if (rc < 0 || seen != 31)
		return -EBADMSG;
	*out = id;
	return 0;
}

/* ---- notifications in the first POST ---- */

int ramhttp_notif_uri_build(char *buf, size_t cap, const char *base, const uint8_t *e1, size_t len)
{
	size_t blen, need;

	if (!buf || !base || !e1 || !len || len > RAMHTTP_NOTIF_MAX || strchr(base, '?'))
		return -EINVAL;
	blen = strlen(base);
	need = blen + 5 + 2 * len; /* "?msg=" */
	if (need + 1 > cap)
		return -EMSGSIZE;
	memcpy(buf, base, blen);
	memcpy(buf + blen, "?msg=", 5);
	put_hex(buf + blen + 5, e1, len);
	buf[need] = 0;
	return (int)need;
}

int ramhttp_notif_from_uri(uint8_t *out, size_t cap, const char *target, size_t len)
{
	const char *q = memchr(target, '?', len), *end = target + len, *hex = NULL;
	size_t hex_len = 0;

	if (!q)
		return 0;
	for (const char *p = q + 1; p < end;) {
		const char *amp = memchr(p, '&', (size_t)(end - p));
		const char *stop = amp ? amp : end;

		if (stop - p >= 4 && !memcmp(p, "msg=", 4)) {
			if (hex)
				return -EBADMSG; /* twice: which one? */
			hex = p + 4;
			hex_len = (size_t)(stop - hex);
		}
		p = amp ? amp + 1 : end;
	}
	if (!hex)
		return 0;
	if (!hex_len || hex_len % 2)
		return -EBADMSG;
	if (hex_len / 2 > cap || hex_len / 2 > RAMHTTP_NOTIF_MAX)
		return -EMSGSIZE;
	return unhex(out, cap, hex, hex_len);
}

int ramhttp_notif_from_post(uint8_t *out, size_t cap, const char *target, size_t len, const uint8_t *body,
			    size_t body_len, enum ramhttp_notif_carriage *how)
{
	int n = ramhttp_notif_from_uri(out, cap, target, len);

	*how = RAMHTTP_NOTIF_URI_MSG;
	if (n != 0 || !body_len || body[0] != 0xE1) /* digest §4.5: the notification TLV is E1 */
		return n;
	*how = RAMHTTP_NOTIF_BODY;
	if (body_len > cap || body_len > RAMHTTP_NOTIF_MAX)
		return -EMSGSIZE;
	memcpy(out, body, body_len);
	return (int)body_len;
}
