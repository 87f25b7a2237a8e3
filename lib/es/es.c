/* ES message registry, action URIs and the table-driven encoder/decoder (see es.h).
 *
 * Every struct is described by an array of struct es_field generated from es_types.def; encode
 * walks the array in schema order (attributes first, then elements), decode matches each child
 * element by name (exact, then case-insensitive for the known spelling quirks) and leaves order and
 * occurrence checking to the XSD, recording what it cannot place as findings. */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/es/es.h"
#include "lib/es/es_desc.h"
#include "lib/es/es_internal.h"

/* ---- names ------------------------------------------------------------------------------------ */

const struct value_string es_ns_variant_names[] = {
	{ ES_NS_V3, "NS_V3" },
	{ ES_NS_V1, "WS_NS_V1_NJIWA" },
	{ 0, NULL },
};
const struct value_string es_action_variant_names[] = {
	{ ES_ACTION_SUFFIXED, "ACTION_SUFFIXED" },
	{ ES_ACTION_PLAIN, "ACTION_PLAIN" },
	{ 0, NULL },
};
const struct value_string es_ts_variant_names[] = {
	{ ES_TS_AS_XSD, "TS_AS_XSD" },
	{ ES_TS_UNIFORM, "TS_UNIFORM" },
	{ 0, NULL },
};
const struct value_string es_auth_smsr_variant_names[] = {
	{ ES_AUTH_SMSR_EIS, "AUTH_SMSR_EIS" },
	{ ES_AUTH_SMSR_EID, "AUTH_SMSR_EID" },
	{ 0, NULL },
};
const struct es_variant es_variant_default = { ES_NS_V3, ES_ACTION_SUFFIXED, ES_TS_AS_XSD, ES_AUTH_SMSR_EIS };

const struct value_string es_msg_kind_names[] = {
	{ ES_KIND_REQUEST, "request" },
	{ ES_KIND_RESPONSE, "response" },
	{ ES_KIND_NOTIFICATION, "notification" },
	{ 0, NULL },
};

/* euicc.common.types.xsd enumerations (digest §4.1, §6.4: upper case with underscores on the wire) */
const struct value_string es_status_names[] = {
	{ ES_STATUS_EXECUTED_SUCCESS, "EXECUTED_SUCCESS" },
	{ ES_STATUS_EXECUTED_WITHWARNING, "EXECUTED_WITHWARNING" },
	{ ES_STATUS_FAILED, "FAILED" },
	{ ES_STATUS_EXPIRED, "EXPIRED" },
	{ 0, NULL },
};
const struct value_string es_profile_state_names[] = {
	{ ES_PROFILE_STATE_CREATED, "Created" },
	{ ES_PROFILE_STATE_DISABLED, "Disabled" },
	{ ES_PROFILE_STATE_ENABLED, "Enabled" },
	{ 0, NULL },
};
const struct value_string es_sd_role_names[] = {
	{ ES_SD_ROLE_ISD_R, "ISD-R" },
	{ ES_SD_ROLE_ECASD, "ECASD" },
	{ 0, NULL },
};
const struct value_string es_keyset_usage_names[] = {
	{ ES_KEYSET_SCP03, "SCP03" },
	{ ES_KEYSET_SCP80, "SCP80" },
	{ ES_KEYSET_SCP81, "SCP81" },
	{ ES_KEYSET_TOKEN_GENERATION, "TokenGeneration" },
	{ ES_KEYSET_RECEIPT_VERIFICATION, "ReceiptVerification" },
	{ ES_KEYSET_CA, "CA" },
	{ 0, NULL },
};
const struct value_string es_pol2_subject_names[] = {
	{ ES_POL2_SUBJECT_PROFILE, "PROFILE" },
	{ 0, NULL },
};
const struct value_string es_pol2_action_names[] = {
	{ ES_POL2_ACTION_ENABLE, "ENABLE" },
	{ ES_POL2_ACTION_DISABLE, "DISABLE" },
	{ ES_POL2_ACTION_DELETE, "DELETE" },
	{ 0, NULL },
};
const struct value_string es_pol2_qualification_names[] = {
	{ ES_POL2_QUAL_NOT_ALLOWED, "Not-Allowed" },
	{ ES_POL2_QUAL_AUTO_DELETE, "Auto-Delete" },
	{ 0, NULL },
};
const struct value_string es_ecc_key_length_names[] = {
	{ ES_ECC_256, "ECC-256" },
	{ ES_ECC_384, "ECC-384" },
	{ ES_ECC_512, "ECC-512" },
	{ ES_ECC_521, "ECC-521" },
	{ 0, NULL },
};

/* ---- descriptors -------------------------------------------------------------------------------- */

#define ES_SUBT_STR(sub)    NULL
#define ES_SUBT_TS(sub)	    NULL
#define ES_SUBT_ASTR(sub)   NULL
#define ES_SUBT_HEX(sub)    NULL
#define ES_SUBT_AHEX(sub)   NULL
#define ES_SUBT_INT(sub)    NULL
#define ES_SUBT_BOOL(sub)   NULL
#define ES_SUBT_ENUM(sub)   NULL
#define ES_SUBT_STRUCT(sub) &sub##_type
#define ES_SUBN_STR(sub)    NULL
#define ES_SUBN_TS(sub)	    NULL
#define ES_SUBN_ASTR(sub)   NULL
#define ES_SUBN_HEX(sub)    NULL
#define ES_SUBN_AHEX(sub)   NULL
#define ES_SUBN_INT(sub)    NULL
#define ES_SUBN_BOOL(sub)   NULL
#define ES_SUBN_ENUM(sub)   sub##_names
#define ES_SUBN_STRUCT(sub) NULL
#define ES_REP_ONE	    false
#define ES_REP_REP	    true
#define ES_CNT_ONE(T, m)    0
#define ES_CNT_REP(T, m)    offsetof(T, n_##m)
#define ES_ESZ_ONE(T, m)    sizeof(((T *)0)->m)
#define ES_ESZ_REP(T, m)    sizeof(((T *)0)->m[0])
#define ES_DESC(T, mult, kind_, member, xml, mn, mx, cp, sub_) \
	{ .name = xml,                                         \
	  .kind = ES_K_##kind_,                                \
	  .rep = ES_REP_##mult,                                \
	  .min = mn,                                           \
	  .max = mx,                                           \
	  .cap = cp,                                           \
	  .off = offsetof(T, member),                          \
	  .count_off = ES_CNT_##mult(T, member),               \
	  .elem_size = ES_ESZ_##mult(T, member),               \
	  .sub = ES_SUBT_##kind_(sub_),                        \
	  .names = ES_SUBN_##kind_(sub_) },

#define ES_DEF_TYPE(T, ns)                                                                \
	static const struct es_field T##_fields[] = { ES_FIELDS_##T(ES_DESC, struct T) }; \
	static const struct es_type T##_type = { #T, ns, T##_fields, ARRAY_SIZE(T##_fields), sizeof(struct T) };
ES_COMPLEX_TYPES(ES_DEF_TYPE)

#define ES_DEF_FUNC(n, fname, ID, ctype, group, sync, afname) \
	ES_DEF_TYPE(ctype##_req, ES_NS_BODY) ES_DEF_TYPE(ctype##_resp, ES_NS_BODY)
ES_FUNCTIONS(ES_DEF_FUNC)
#define ES_DEF_NOTIF(n, ename, ID, ctype, group) ES_DEF_TYPE(ctype, ES_NS_BODY)
ES_NOTIFICATIONS(ES_DEF_NOTIF)

#define ES_ASYNC_SYNC  false
#define ES_ASYNC_ASYNC true
#define ES_INFO_FUNC(n, fname, ID, ctype, group, sync, afname)                            \
	[ES_MSG_##ID##_REQ] = { ES_MSG_##ID##_REQ, n,	  ES_KIND_REQUEST,                \
				ES_ASYNC_##sync,   fname, "ES" #n "-" fname "Request",    \
				"ES" #n "-" fname, group, afname,                         \
				&ctype##_req_type },                                      \
	[ES_MSG_##ID##_RESP] = { ES_MSG_##ID##_RESP, n,	    ES_KIND_RESPONSE,             \
				 ES_ASYNC_##sync,    fname, "ES" #n "-" fname "Response", \
				 "ES" #n "-" fname,  group, afname,                       \
				 &ctype##_resp_type },
#define ES_INFO_NOTIF(n, ename, ID, ctype, group)       \
	[ES_MSG_##ID##_NOTIF] = { ES_MSG_##ID##_NOTIF,  \
				  n,                    \
				  ES_KIND_NOTIFICATION, \
				  false,                \
				  ename,                \
				  "ES" #n "-" ename,    \
				  "ES" #n "-" ename,    \
				  group,                \
				  ename,                \
				  &ctype##_type },
const struct es_msg_info es_msgs[ES_MSG__COUNT] = { ES_FUNCTIONS(ES_INFO_FUNC) ES_NOTIFICATIONS(ES_INFO_NOTIF) };

const struct es_msg_info *es_msg_info_by_element(const char *element)
{
	for (unsigned int i = 0; i < ES_MSG__COUNT; i++)
		if (strcmp(es_msgs[i].element, element) == 0)
			return &es_msgs[i];
	return NULL;
}

const struct es_type *es_security_domain_desc(void)
{
	return &es_security_domain_type;
}

bool es_field_present(const struct es_field *fd, const void *p)
{
	switch (fd->kind) {
	case ES_K_STR:
	case ES_K_TS:
	case ES_K_ASTR: return *(const char *const *)p != NULL;
	case ES_K_HEX:
	case ES_K_AHEX: return ((const struct es_hex *)p)->data != NULL;
	case ES_K_INT: return ((const struct es_int *)p)->present;
	case ES_K_BOOL: return ((const struct es_bool *)p)->present;
	case ES_K_ENUM: return *(const int *)p != 0;
	case ES_K_STRUCT: return *(const bool *)p;
	}
	return false;
}

/* ---- action URIs ----------------------------------------------------------------------------------- */

static int action_form(char *buf, size_t cap, const struct es_msg_info *mi, const char *group, const char *func,
		       enum es_action_variant form, bool callback)
{
	int n;

	/* digest §6.6: http://gsma.com/ES<n>/<Group>[CallBack]/ES<n>-<Function>[Request|Response] */
	if (mi->kind == ES_KIND_NOTIFICATION)
		n = snprintf(buf, cap, "http://gsma.com/ES%u/%s/ES%u-%s", mi->iface, group, mi->iface, func);
	else if (mi->kind == ES_KIND_REQUEST)
		n = snprintf(buf, cap, "http://gsma.com/ES%u/%s/ES%u-%s%s", mi->iface, group, mi->iface, func,
			     form == ES_ACTION_SUFFIXED ? "Request" : "");
	else if (callback)
		n = snprintf(buf, cap, "http://gsma.com/ES%u/%sCallBack/ES%u-%s", mi->iface, group, mi->iface, func);
	else
		n = snprintf(buf, cap, "http://gsma.com/ES%u/%s/ES%u-%sResponse", mi->iface, group, mi->iface, func);
	if (n < 0 || (size_t)n >= cap)
		return -EMSGSIZE;
	return n;
}

int es_action_uri(char *buf, size_t cap, enum es_msg_id id, const struct es_variant *v, bool callback)
{
	if (id < 0 || id >= ES_MSG__COUNT)
		return -EINVAL;
	if (!v)
		v = &es_variant_default;
	return action_form(buf, cap, &es_msgs[id], es_msgs[id].group, es_msgs[id].action_function, v->action, callback);
}

/* Judge a received wsa:Action against message mi (digest §6.6: accept both forms, log deviations). */
static void check_action(const char *action, const struct es_msg_info *mi, const struct es_variant *v,
			 struct soap_findings *f)
{
	/* The group spellings we know: the WSDL's, and Njiwa's "ProfileManagent" (digest §6.6). */
	const char *groups[2] = { mi->group, strcmp(mi->group, "ProfileManagement") == 0 ? "ProfileManagent" : NULL };
	const char *funcs[2] = { mi->action_function, strcmp(mi->function, mi->action_function) ? mi->function : NULL };
	char buf[256];

	if (!action)
		return;
	for (unsigned int g = 0; g < 2; g++) {
		for (unsigned int fn = 0; fn < 2; fn++) {
			for (unsigned int form = 0; form < 2; form++) {
				for (unsigned int cb = 0; cb < 2; cb++) {
					if (!groups[g] || !funcs[fn])
						continue;
					if (action_form(buf, sizeof(buf), mi, groups[g], funcs[fn],
							(enum es_action_variant)form, cb) < 0 ||
					    strcmp(buf, action) != 0)
						continue;
					if (g)
						soap_findings_note(f, "ES-VARIANT", "/Envelope/Header/Action",
								   "action group spelt ProfileManagent (Njiwa)");
					if (fn)
						soap_findings_note(f, "ES-VARIANT", "/Envelope/Header/Action",
								   "action function spelt %s; the WSDL says %s",
								   mi->function, mi->action_function);
					if (mi->kind == ES_KIND_REQUEST && form != v->action)
						soap_findings_note(f, "ES-VARIANT", "/Envelope/Header/Action",
								   "action variant %s seen (configured %s)",
								   get_value_string(es_action_variant_names, form),
								   get_value_string(es_action_variant_names,
										    v->action));
					return;
				}
			}
		}
	}
	es_action_uri(buf, sizeof(buf), mi->id, v, mi->async);
	soap_findings_add(f, "ES-ACTION", "/Envelope/Header/Action", "wsa:Action %s does not name %s (expected %s)",
			  action, mi->element, buf);
}

/* ---- encoder ----------------------------------------------------------------------------------------- */

static const char *field_name(const struct es_field *fd, const struct es_variant *v)
{
	if (fd->kind == ES_K_TS && v->ts == ES_TS_UNIFORM)
		return "CompletionTimestamp";
	return fd->name;
}

static void enc_scalar(struct soap_writer *w, const struct es_field *fd, const void *p)
{
	char num[32];

	switch (fd->kind) {
	case ES_K_STR:
	case ES_K_TS: soap_writer_text(w, *(const char *const *)p); break;
	case ES_K_HEX: {
		const struct es_hex *h = p;
		if (h->len && !w->err && xmlTextWriterWriteBinHex(w->xw, (const char *)h->data, 0, (int)h->len) < 0)
			w->err = -ENOMEM;
		break;
	}
	case ES_K_INT:
		snprintf(num, sizeof(num), "%" PRId64, ((const struct es_int *)p)->v);
		soap_writer_text(w, num);
		break;
	case ES_K_BOOL: soap_writer_text(w, ((const struct es_bool *)p)->v ? "true" : "false"); break;
	case ES_K_ENUM: {
		const char *s = get_value_string_or_null(fd->names, (uint32_t) * (const int *)p);
		if (!s && !w->err)
			w->err = -EINVAL;
		else
			soap_writer_text(w, s);
		break;
	}
	default: break;
	}
}

static void enc_type(struct soap_writer *w, const struct es_type *t, const void *base, const struct es_variant *v,
		     const char *prefix)
{
	const char *cprefix = t->child_ns == ES_NS_DS ? "ds" : prefix;

	/* attributes first (xmlTextWriter requires it) */
	for (unsigned int i = 0; i < t->n_fields; i++) {
		const struct es_field *fd = &t->fields[i];
		const void *p = (const uint8_t *)base + fd->off;

		if (!es_kind_is_attr(fd->kind) || !es_field_present(fd, p))
			continue;
		if (fd->kind == ES_K_ASTR) {
			soap_writer_attr(w, fd->name, *(const char *const *)p);
		} else {
			const struct es_hex *h = p;
			char *hex = malloc(h->len * 2 + 1);

			if (!hex) {
				w->err = w->err ? w->err : -ENOMEM;
				return;
			}
			for (size_t k = 0; k < h->len; k++)
				snprintf(hex + 2 * k, 3, "%02X", h->data[k]);
			hex[h->len * 2] = '\0';
			soap_writer_attr(w, fd->name, hex);
			free(hex);
		}
	}
	for (unsigned int i = 0; i < t->n_fields; i++) {
		const struct es_field *fd = &t->fields[i];
		unsigned int n = 1;

		if (es_kind_is_attr(fd->kind))
			continue;
		if (fd->rep) {
			n = *(const unsigned int *)((const uint8_t *)base + fd->count_off);
			if (n > fd->cap)
				n = fd->cap;
		}
		for (unsigned int k = 0; k < n; k++) {
			const void *p = (const uint8_t *)base + fd->off + k * fd->elem_size;

			if (!es_field_present(fd, p))
				continue;
			soap_writer_start(w, cprefix, field_name(fd, v));
			if (fd->kind == ES_K_STRUCT) {
				if (fd->sub->child_ns == ES_NS_DS && t->child_ns != ES_NS_DS)
					soap_writer_attr(w, "xmlns:ds", ES_NS_URI_DS);
				enc_type(w, fd->sub, p, v, prefix);
			} else {
				enc_scalar(w, fd, p);
			}
			soap_writer_end(w);
		}
	}
}

int es_msg_encode(uint8_t *out, size_t cap, const struct es_msg *msg, const struct es_variant *v)
{
	const struct es_msg_info *mi;
	struct soap_writer w;
	struct soap_wsa wsa;
	char action[256];
	const void *body;
	int rc;

	if (!msg || msg->id < 0 || msg->id >= ES_MSG__COUNT)
		return -EINVAL;
	if (!v)
		v = &es_variant_default;
	mi = &es_msgs[msg->id];
	wsa = msg->wsa;
	if (!wsa.action) {
		rc = es_action_uri(action, sizeof(action), msg->id, v, mi->async);
		if (rc < 0)
			return rc;
		wsa.action = action;
	}
	body = &msg->u;
	/* Variant AUTH_SMSR_EID: identify the eUICC by its EID instead of the EIS (digest §6.7). */
	struct es7_authenticate_smsr_req auth;
	if (msg->id == ES_MSG_ES7_AUTHENTICATE_SMSR_REQ && v->auth_smsr == ES_AUTH_SMSR_EID &&
	    msg->u.es7_authenticate_smsr_req.eis.present) {
		auth = msg->u.es7_authenticate_smsr_req;
		if (!auth.eid.data)
			auth.eid = auth.eis.eum_signed_info.eid;
		auth.eis.present = false;
		body = &auth;
	}
	rc = soap_writer_begin(&w, &wsa, "rps", v->ns == ES_NS_V1 ? ES_NS_URI_V1 : ES_NS_URI_V3);
	if (rc == 0) {
		soap_writer_start(&w, "rps", mi->element);
		enc_type(&w, mi->type, body, v, "rps");
		soap_writer_end(&w);
		return soap_writer_finish(&w, out, cap);
	}
	soap_writer_free(&w);
	return rc;
}

/* ---- decoder ------------------------------------------------------------------------------------------- */

struct dec {
	char *arena;
	size_t cap, used;
	const char *body_ns;
	const struct es_variant *v;
	struct soap_findings *f;
};

static char *dec_copy_text(struct dec *d, const xmlNode *node, int *err)
{
	char *s = d->arena + d->used;
	int n;

	if (d->used >= d->cap) {
		*err = -EMSGSIZE;
		return NULL;
	}
	n = soap_node_text(node, s, d->cap - d->used);
	if (n < 0) {
		*err = n;
		return NULL;
	}
	d->used += (size_t)n + 1;
	return s;
}

static char *dec_copy_str(struct dec *d, const char *src, int *err)
{
	size_t l = strlen(src);
	char *s = d->arena + d->used;

	if (l + 1 > d->cap - d->used) {
		*err = -EMSGSIZE;
		return NULL;
	}
	memcpy(s, src, l + 1);
	d->used += l + 1;
	return s;
}

static char *trim(char *s)
{
	size_t e;

	while (*s && isspace((unsigned char)*s))
		s++;
	e = strlen(s);
	while (e && isspace((unsigned char)s[e - 1]))
		s[--e] = '\0';
	return s;
}

static int hexnib(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decode hex text s in place (output never overtakes input). Returns the length or -1. */
static long unhex_inplace(char *s)
{
	size_t l = strlen(s);

	if (l % 2)
		return -1;
	for (size_t i = 0; i < l / 2; i++) {
		int hi = hexnib(s[2 * i]), lo = hexnib(s[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return -1;
		s[i] = (char)(hi << 4 | lo);
	}
	return (long)(l / 2);
}

/* Parse scalar text into *p. Returns 0, or -EINVAL for a value the type does not allow (finding). */
static int dec_value(const struct es_field *fd, void *p, char *text)
{
	switch (fd->kind) {
	case ES_K_STR:
	case ES_K_TS:
	case ES_K_ASTR: *(const char **)p = text; return 0;
	case ES_K_HEX:
	case ES_K_AHEX: {
		char *t = trim(text);
		long n = unhex_inplace(t);
		if (n < 0)
			return -EINVAL;
		((struct es_hex *)p)->data = (const uint8_t *)t;
		((struct es_hex *)p)->len = (size_t)n;
		return 0;
	}
	case ES_K_INT: {
		char *t = trim(text), *end;
		long long x;

		errno = 0;
		x = strtoll(t, &end, 10);
		if (!*t || *end || errno || isspace((unsigned char)*t))
			return -EINVAL;
		((struct es_int *)p)->present = true;
		((struct es_int *)p)->v = x;
		return 0;
	}
	case ES_K_BOOL: {
		char *t = trim(text);
		struct es_bool *b = p;

		if (strcmp(t, "true") == 0 || strcmp(t, "1") == 0)
			b->v = true;
		else if (strcmp(t, "false") == 0 || strcmp(t, "0") == 0)
			b->v = false;
		else
			return -EINVAL;
		b->present = true;
		return 0;
	}
	case ES_K_ENUM: {
		int x = get_string_value(fd->names, trim(text));
		if (x <= 0)
			return -EINVAL;
		*(int *)p = x;
		return 0;
	}
	case ES_K_STRUCT: break;
	}
	return -EINVAL;
}

static const struct es_field *find_field(const struct es_type *t, const char *name, bool attr, bool nocase)
{
	for (unsigned int i = 0; i < t->n_fields; i++) {
		const struct es_field *fd = &t->fields[i];
		if (es_kind_is_attr(fd->kind) != attr)
			continue;
		if (nocase ? strcasecmp(fd->name, name) == 0 : strcmp(fd->name, name) == 0)
			return fd;
	}
	return NULL;
}

static int dec_type(struct dec *d, const struct es_type *t, void *base, xmlNodePtr node)
{
	const char *want_ns = t->child_ns == ES_NS_DS ? ES_NS_URI_DS : d->body_ns;
	char path[SOAP_FINDING_PATH_MAX];
	int err = 0;

	*(bool *)base = true;
	for (xmlAttrPtr a = node->properties; a; a = a->next) {
		const struct es_field *fd = a->ns ? NULL : find_field(t, (const char *)a->name, true, false);
		char *text;

		if (!fd) {
			soap_node_path(node, path, sizeof(path));
			soap_findings_add(d->f, "ES-UNKNOWN", path, "unexpected attribute %s", (const char *)a->name);
			continue;
		}
		text = dec_copy_text(d, (const xmlNode *)a, &err);
		if (!text)
			return err == -EMSGSIZE ? err : -EBADMSG;
		if (dec_value(fd, (uint8_t *)base + fd->off, text) < 0) {
			soap_node_path(node, path, sizeof(path));
			soap_findings_add(d->f, "ES-VALUE", path, "attribute %s: invalid value", fd->name);
		}
	}
	for (xmlNodePtr c = node->children; c; c = c->next) {
		const struct es_field *fd;
		void *p;
		char *text;
		int rc;

		if (c->type != XML_ELEMENT_NODE)
			continue;
		soap_node_path(c, path, sizeof(path));
		if (!c->ns || !c->ns->href || strcmp((const char *)c->ns->href, want_ns) != 0) {
			soap_findings_add(d->f, "ES-NS", path, "element in namespace %s, expected %s",
					  c->ns && c->ns->href ? (const char *)c->ns->href : "(none)", want_ns);
			continue;
		}
		fd = find_field(t, (const char *)c->name, false, false);
		if (!fd) {
			fd = find_field(t, (const char *)c->name, false, true);
			if (fd && fd->kind != ES_K_TS)
				soap_findings_add(d->f, "ES-CASE", path, "element %s should be spelt %s",
						  (const char *)c->name, fd->name);
		}
		/* digest §6.7: the timestamp spelling the configured variant expects, else a note */
		if (fd && fd->kind == ES_K_TS && strcmp((const char *)c->name, field_name(fd, d->v)) != 0)
			soap_findings_note(
				d->f, "ES-VARIANT", path, "timestamp spelt %s: variant %s seen", (const char *)c->name,
				strcmp((const char *)c->name, "CompletionTimestamp") == 0 ? "TS_UNIFORM" : "TS_AS_XSD");
		if (!fd) {
			soap_findings_add(d->f, "ES-UNKNOWN", path, "unexpected element %s in %s",
					  (const char *)c->name, (const char *)node->name);
			continue;
		}
		if (fd->rep) {
			unsigned int *n = (unsigned int *)((uint8_t *)base + fd->count_off);
			if (*n >= fd->cap) {
				soap_findings_add(d->f, "ES-CAP", path, "more than %u %s elements; the rest is ignored",
						  fd->cap, fd->name);
				continue;
			}
			p = (uint8_t *)base + fd->off + (*n)++ * fd->elem_size;
		} else {
			p = (uint8_t *)base + fd->off;
			if (es_field_present(fd, p)) {
				soap_findings_add(d->f, "ES-DUP", path, "%s appears more than once", fd->name);
				continue;
			}
		}
		if (fd->kind == ES_K_STRUCT) {
			rc = dec_type(d, fd->sub, p, c);
			if (rc < 0)
				return rc;
			continue;
		}
		text = dec_copy_text(d, c, &err);
		if (!text) {
			if (err == -EMSGSIZE)
				return err;
			soap_findings_add(d->f, "ES-VALUE", path, "%s must hold text, not elements", fd->name);
			if (fd->rep)
				(*(unsigned int *)((uint8_t *)base + fd->count_off))--;
			continue;
		}
		if (dec_value(fd, p, text) < 0) {
			soap_findings_add(d->f, "ES-VALUE", path, "%s: invalid value \"%.64s\"", fd->name, text);
			if (fd->rep)
				(*(unsigned int *)((uint8_t *)base + fd->count_off))--;
		}
	}
	/* Isd-r/Keyset minOccurs=1 in the copy, withheld in HandoverEUICC (digest §6.7). */
	if (t == &es_security_domain_type && ((struct es_security_domain *)base)->n_keyset == 0) {
		soap_node_path(node, path, sizeof(path));
		soap_findings_note(d->f, "ES-VARIANT", path,
				   "security domain without Keyset: variant ISDR_KEYSET_WITHHELD");
	}
	return 0;
}

static int copy_opt(struct dec *d, const char **dst, const char *src)
{
	int err = 0;

	if (!src)
		return 0;
	*dst = dec_copy_str(d, src, &err);
	return *dst ? 0 : err;
}

int es_msg_decode(struct es_msg *out, char *arena, size_t arena_len, const uint8_t *buf, size_t len,
		  const struct es_decode_opts *opts, struct soap_findings *f)
{
	const struct es_variant *v = opts && opts->variant ? opts->variant : &es_variant_default;
	const struct es_msg_info *mi;
	struct soap_doc doc;
	struct dec d = { arena, arena_len, 0, NULL, v, f };
	const char *ns;
	int rc;

	if (!out || !arena)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	out->id = ES_MSG_NONE;
	rc = soap_doc_parse(&doc, buf, len, opts ? opts->limits : NULL, f);
	if (rc < 0)
		return rc;
	/* Plain C11: each copy runs only while the previous ones succeeded. */
	if ((rc = copy_opt(&d, &out->wsa.from, doc.wsa.from)) || (rc = copy_opt(&d, &out->wsa.to, doc.wsa.to)) ||
	    (rc = copy_opt(&d, &out->wsa.action, doc.wsa.action)) ||
	    (rc = copy_opt(&d, &out->wsa.message_id, doc.wsa.message_id)) ||
	    (rc = copy_opt(&d, &out->wsa.relates_to, doc.wsa.relates_to)) ||
	    (rc = copy_opt(&d, &out->wsa.reply_to, doc.wsa.reply_to)))
		goto out;
	if (doc.is_fault) {
		out->is_fault = true;
		out->fault.code = doc.fault.code;
		if (!(rc = copy_opt(&d, &out->fault.subcode, doc.fault.subcode)) &&
		    !(rc = copy_opt(&d, &out->fault.reason, doc.fault.reason)))
			rc = copy_opt(&d, &out->fault.detail, doc.fault.detail);
		goto out;
	}
	rc = -EBADMSG;
	if (!doc.body)
		goto out;
	ns = doc.body->ns && doc.body->ns->href ? (const char *)doc.body->ns->href : "";
	if (strcmp(ns, ES_NS_URI_V3) == 0) {
		out->ns_seen = ES_NS_V3;
	} else if (strcmp(ns, ES_NS_URI_V1) == 0) {
		out->ns_seen = ES_NS_V1;
	} else {
		soap_findings_add(f, "ES-NS", "/Envelope/Body", "body element %s in unknown namespace \"%s\"",
				  (const char *)doc.body->name, ns);
		goto out;
	}
	if (out->ns_seen != v->ns)
		soap_findings_note(f, "ES-VARIANT", "/Envelope/Body",
				   "body namespace %s: variant %s seen (configured %s)", ns,
				   get_value_string(es_ns_variant_names, out->ns_seen),
				   get_value_string(es_ns_variant_names, v->ns));
	d.body_ns = ns;
	mi = es_msg_info_by_element((const char *)doc.body->name);
	if (!mi) {
		soap_findings_add(f, "ES-001", "/Envelope/Body", "unknown body element %s",
				  (const char *)doc.body->name);
		goto out;
	}
	out->id = mi->id;
	check_action(out->wsa.action, mi, v, f);
	if (mi->kind == ES_KIND_RESPONSE && !out->wsa.relates_to)
		soap_findings_add(f, "WSA-008", "/Envelope/Header",
				  "wsa:RelatesTo missing in a response (mandatory, digest §6.1)");
	rc = dec_type(&d, mi->type, &out->u, doc.body);
	if (rc < 0)
		goto out;
	if (mi->id == ES_MSG_ES7_AUTHENTICATE_SMSR_REQ && out->u.es7_authenticate_smsr_req.eid.data &&
	    v->auth_smsr != ES_AUTH_SMSR_EID)
		soap_findings_note(f, "ES-VARIANT", "/Envelope/Body/ES7-AuthenticateSMSRRequest/Eid",
				   "eUICC identified by Eid: variant AUTH_SMSR_EID seen");
	if (opts && opts->schema)
		es_schema_validate_node(opts->schema, doc.body, out->ns_seen, f);
	rc = 0;
out:
	soap_doc_free(&doc);
	if (rc < 0)
		out->id = ES_MSG_NONE;
	return rc;
}
