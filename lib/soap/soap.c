/* SOAP 1.2 envelope + WS-Addressing 1.0 header block (SGP.02 Annex B; digest §6.1).
 *
 *   <env:Envelope xmlns:env="http://www.w3.org/2003/05/soap-envelope"
 *                 xmlns:wsa="http://www.w3.org/2005/08/addressing" xmlns:rps="<GSMA body ns>">
 *     <env:Header>
 *       <wsa:From><wsa:Address>URL?EntityId=OID&amp;EntityName=NAME</wsa:Address></wsa:From>
 *       <wsa:To env:mustUnderstand="true">URL?EntityId=OID</wsa:To>
 *       <wsa:Action env:mustUnderstand="true">http://gsma.com/ES3/...</wsa:Action>
 *       <wsa:MessageID>//OID/urn:uuid:...?TransactionId=...&amp;MessageDate=...</wsa:MessageID>
 *       <wsa:RelatesTo>...</wsa:RelatesTo>              (responses)
 *       <wsa:ReplyTo><wsa:Address>URL</wsa:Address></wsa:ReplyTo>   (optional)
 *     </env:Header>
 *     <env:Body><rps:ES3-CreateISDPRequest>...</rps:ES3-CreateISDPRequest></env:Body>
 *   </env:Envelope>
 *
 * The parser never lets libxml2 see a DTD (see soap.h) and copies header texts into the
 * struct soap_doc's own buffer so callers never hold libxml2 strings. */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <libxml/parser.h>

#include "lib/soap/soap.h"

#define SOAP11_NS_ENV "http://schemas.xmlsoap.org/soap/envelope/"

const struct value_string soap_fault_code_names[] = {
	{ SOAP_FAULT_NONE, "none" },
	{ SOAP_FAULT_VERSION_MISMATCH, "env:VersionMismatch" },
	{ SOAP_FAULT_MUST_UNDERSTAND, "env:MustUnderstand" },
	{ SOAP_FAULT_DATA_ENCODING_UNKNOWN, "env:DataEncodingUnknown" },
	{ SOAP_FAULT_SENDER, "env:Sender" },
	{ SOAP_FAULT_RECEIVER, "env:Receiver" },
	{ 0, NULL },
};

void soap_init(void)
{
	static bool done;

	if (!done) {
		xmlInitParser();
		done = true;
	}
}

/* ---- findings ---------------------------------------------------------------------------------- */

void soap_findings_init(struct soap_findings *f)
{
	memset(f, 0, sizeof(*f));
}

__attribute__((format(printf, 5, 0))) static void findings_vadd(struct soap_findings *f, bool info, const char *rule,
								const char *path, const char *fmt, va_list ap)
{
	struct soap_finding *x;

	if (!f)
		return;
	if (f->n >= SOAP_FINDINGS_MAX) {
		f->dropped++;
		return;
	}
	x = &f->f[f->n++];
	x->rule = rule;
	x->info = info;
	snprintf(x->path, sizeof(x->path), "%s", path ? path : "");
	vsnprintf(x->text, sizeof(x->text), fmt, ap);
}

void soap_findings_add(struct soap_findings *f, const char *rule, const char *path, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	findings_vadd(f, false, rule, path, fmt, ap);
	va_end(ap);
}

void soap_findings_note(struct soap_findings *f, const char *rule, const char *path, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	findings_vadd(f, true, rule, path, fmt, ap);
	va_end(ap);
}

unsigned int soap_findings_errors(const struct soap_findings *f)
{
	unsigned int n = f->dropped;

	for (unsigned int i = 0; i < f->n; i++)
		n += !f->f[i].info;
	return n;
}

bool soap_findings_has(const struct soap_findings *f, const char *rule)
{
	for (unsigned int i = 0; f && i < f->n; i++)
		if (strcmp(f->f[i].rule, rule) == 0)
			return true;
	return false;
}

void soap_node_path(const xmlNode *node, char *buf, size_t cap)
{
	const xmlNode *chain[SOAP_MAX_DEPTH_DEFAULT * 2];
	unsigned int n = 0;
	size_t pos = 0;

	if (cap == 0)
		return;
	buf[0] = '\0';
	for (const xmlNode *p = node; p && p->type == XML_ELEMENT_NODE && n < sizeof(chain) / sizeof(chain[0]);
	     p = p->parent)
		chain[n++] = p;
	while (n > 0 && pos < cap) {
		int w = snprintf(buf + pos, cap - pos, "/%s", (const char *)chain[--n]->name);
		if (w < 0)
			break;
		pos += (size_t)w;
	}
}

/* ---- writer -------------------------------------------------------------------------------------- */

static void wr_check(struct soap_writer *w, int rc)
{
	if (rc < 0 && !w->err)
		w->err = -ENOMEM; /* xmlTextWriter fails only on allocation or misuse */
}

void soap_writer_start(struct soap_writer *w, const char *prefix, const char *name)
{
	if (!w->err)
		wr_check(w, xmlTextWriterStartElementNS(w->xw, (const xmlChar *)prefix, (const xmlChar *)name, NULL));
}

void soap_writer_end(struct soap_writer *w)
{
	if (!w->err)
		wr_check(w, xmlTextWriterEndElement(w->xw));
}

void soap_writer_text(struct soap_writer *w, const char *text)
{
	if (!w->err)
		wr_check(w, xmlTextWriterWriteString(w->xw, (const xmlChar *)text));
}

void soap_writer_attr(struct soap_writer *w, const char *name, const char *value)
{
	if (!w->err)
		wr_check(w, xmlTextWriterWriteAttribute(w->xw, (const xmlChar *)name, (const xmlChar *)value));
}

static void wr_leaf(struct soap_writer *w, const char *prefix, const char *name, const char *text, bool mu)
{
	if (!text)
		return;
	soap_writer_start(w, prefix, name);
	if (mu)
		soap_writer_attr(w, "env:mustUnderstand", "true");
	soap_writer_text(w, text);
	soap_writer_end(w);
}

static void wr_epr(struct soap_writer *w, const char *name, const char *address)
{
	if (!address)
		return;
	soap_writer_start(w, "wsa", name);
	wr_leaf(w, "wsa", "Address", address, false);
	soap_writer_end(w);
}

int soap_writer_begin(struct soap_writer *w, const struct soap_wsa *h, const char *body_prefix, const char *body_ns)
{
	soap_init();
	memset(w, 0, sizeof(*w));
	if (!h)
		return -EINVAL;
	w->buf = xmlBufferCreate();
	if (!w->buf)
		return -ENOMEM;
	w->xw = xmlNewTextWriterMemory(w->buf, 0);
	if (!w->xw) {
		xmlBufferFree(w->buf);
		w->buf = NULL;
		return -ENOMEM;
	}
	wr_check(w, xmlTextWriterStartDocument(w->xw, NULL, "UTF-8", NULL));
	if (!w->err)
		wr_check(w,
			 xmlTextWriterStartElementNS(w->xw, BAD_CAST "env", BAD_CAST "Envelope", BAD_CAST SOAP_NS_ENV));
	soap_writer_attr(w, "xmlns:wsa", SOAP_NS_WSA);
	if (body_ns && body_prefix) {
		char attr[64];

		snprintf(attr, sizeof(attr), "xmlns:%s", body_prefix);
		soap_writer_attr(w, attr, body_ns);
	}
	soap_writer_start(w, "env", "Header");
	wr_epr(w, "From", h->from);
	wr_leaf(w, "wsa", "To", h->to, true);
	wr_leaf(w, "wsa", "Action", h->action, true);
	wr_leaf(w, "wsa", "MessageID", h->message_id, false);
	wr_leaf(w, "wsa", "RelatesTo", h->relates_to, false);
	wr_epr(w, "ReplyTo", h->reply_to);
	soap_writer_end(w);
	soap_writer_start(w, "env", "Body");
	return w->err;
}

void soap_writer_free(struct soap_writer *w)
{
	if (w->xw)
		xmlFreeTextWriter(w->xw);
	if (w->buf)
		xmlBufferFree(w->buf);
	w->xw = NULL;
	w->buf = NULL;
}

int soap_writer_finish(struct soap_writer *w, uint8_t *out, size_t cap)
{
	int rc = w->err;
	size_t n;

	if (!rc && w->xw)
		wr_check(w, xmlTextWriterEndDocument(w->xw)); /* closes Body and Envelope */
	if (!w->err && w->xw)
		wr_check(w, xmlTextWriterFlush(w->xw));
	rc = w->err;
	if (!rc && !w->buf)
		rc = -EINVAL;
	if (!rc) {
		n = (size_t)xmlBufferLength(w->buf);
		if (n > cap || n > INT32_MAX)
			rc = -EMSGSIZE;
		else {
			memcpy(out, xmlBufferContent(w->buf), n);
			rc = (int)n;
		}
	}
	soap_writer_free(w);
	return rc;
}

int soap_fault_encode(uint8_t *out, size_t cap, const struct soap_wsa *h, const struct soap_fault *fault)
{
	struct soap_writer w;
	int rc;

	if (!fault || fault->code == SOAP_FAULT_NONE)
		return -EINVAL;
	rc = soap_writer_begin(&w, h, NULL, NULL);
	if (rc < 0) {
		soap_writer_free(&w);
		return rc;
	}
	/* SOAP 1.2 Part 1 §5.4: Code/Value, optional Subcode/Value, Reason/Text with xml:lang, Detail. */
	soap_writer_start(&w, "env", "Fault");
	soap_writer_start(&w, "env", "Code");
	wr_leaf(&w, "env", "Value", get_value_string(soap_fault_code_names, fault->code), false);
	if (fault->subcode) {
		soap_writer_start(&w, "env", "Subcode");
		wr_leaf(&w, "env", "Value", fault->subcode, false);
		soap_writer_end(&w);
	}
	soap_writer_end(&w);
	soap_writer_start(&w, "env", "Reason");
	soap_writer_start(&w, "env", "Text");
	soap_writer_attr(&w, "xml:lang", "en");
	soap_writer_text(&w, fault->reason ? fault->reason : "");
	soap_writer_end(&w);
	soap_writer_end(&w);
	wr_leaf(&w, "env", "Detail", fault->detail, false);
	soap_writer_end(&w);
	return soap_writer_finish(&w, out, cap);
}

/* ---- parser -------------------------------------------------------------------------------------- */

static bool ns_is(const xmlNode *n, const char *ns)
{
	return n && n->ns && n->ns->href && strcmp((const char *)n->ns->href, ns) == 0;
}

static bool name_is(const xmlNode *n, const char *name)
{
	return n && strcmp((const char *)n->name, name) == 0;
}

static xmlNodePtr first_elem(xmlNodePtr n)
{
	while (n && n->type != XML_ELEMENT_NODE)
		n = n->next;
	return n;
}

int soap_node_text(const xmlNode *node, char *buf, size_t cap)
{
	size_t pos = 0;

	if (!node || cap == 0)
		return -EINVAL;
	for (const xmlNode *c = node->children; c; c = c->next) {
		size_t l;

		if (c->type == XML_ELEMENT_NODE)
			return -EBADMSG;
		if ((c->type != XML_TEXT_NODE && c->type != XML_CDATA_SECTION_NODE) || !c->content)
			continue;
		l = strlen((const char *)c->content);
		if (l >= cap - pos)
			return -EMSGSIZE;
		memcpy(buf + pos, c->content, l);
		pos += l;
	}
	buf[pos] = '\0';
	return (int)pos;
}

/* Copy the whitespace-trimmed text of node into the doc's own header buffer. */
static const char *hdr_text(struct soap_doc *d, char *arena, size_t cap, size_t *used, const xmlNode *node,
			    struct soap_findings *f)
{
	char path[SOAP_FINDING_PATH_MAX];
	char *s = arena + *used;
	int n = soap_node_text(node, s, cap - *used);
	size_t b = 0, e;

	(void)d;
	if (n < 0) {
		soap_node_path(node, path, sizeof(path));
		soap_findings_add(f, "WSA-006", path, "header value is not plain text of at most %zu bytes",
				  cap - *used);
		return NULL;
	}
	e = (size_t)n;
	while (b < e && isspace((unsigned char)s[b]))
		b++;
	while (e > b && isspace((unsigned char)s[e - 1]))
		e--;
	memmove(s, s + b, e - b);
	s[e - b] = '\0';
	*used += e - b + 1;
	return s;
}

static int check_depth(const xmlNode *root, unsigned int max)
{
	const xmlNode *n = root;
	unsigned int depth = 1;

	/* Iterative pre-order walk: no recursion on peer-controlled structure. */
	while (n) {
		if (depth > max)
			return -ELOOP;
		if (n->children && n->type == XML_ELEMENT_NODE) {
			n = n->children;
			depth++;
			continue;
		}
		while (n && !n->next && n != root) {
			n = n->parent;
			depth--;
		}
		if (!n || n == root)
			break;
		n = n->next;
	}
	return 0;
}

static void parse_fault(struct soap_doc *d, char *arena, size_t cap, size_t *used, xmlNodePtr fault,
			struct soap_findings *f)
{
	d->is_fault = true;
	for (xmlNodePtr c = first_elem(fault->children); c; c = first_elem(c->next)) {
		if (name_is(c, "Code")) {
			xmlNodePtr v = first_elem(c->children);
			xmlNodePtr sub = v ? first_elem(v->next) : NULL;
			const char *t = v ? hdr_text(d, arena, cap, used, v, f) : NULL;

			/* Values are QNames: compare the local part. */
			if (t) {
				const char *colon = strchr(t, ':');
				const char *local = colon ? colon + 1 : t;
				for (unsigned int i = 1; soap_fault_code_names[i].str; i++)
					if (strcmp(strchr(soap_fault_code_names[i].str, ':') + 1, local) == 0)
						d->fault.code = (enum soap_fault_code)soap_fault_code_names[i].value;
			}
			if (sub && name_is(sub, "Subcode") && first_elem(sub->children))
				d->fault.subcode = hdr_text(d, arena, cap, used, first_elem(sub->children), f);
		} else if (name_is(c, "Reason") && first_elem(c->children)) {
			d->fault.reason = hdr_text(d, arena, cap, used, first_elem(c->children), f);
		} else if (name_is(c, "Detail")) {
			char tmp[SOAP_FINDING_TEXT_MAX];
			if (soap_node_text(c, tmp, sizeof(tmp)) >= 0)
				d->fault.detail = hdr_text(d, arena, cap, used, c, f);
			else
				d->fault.detail = "(structured detail)";
		}
	}
	if (d->fault.code == SOAP_FAULT_NONE)
		soap_findings_add(f, "SOAP-005", "/Envelope/Body/Fault", "fault without a known env:Code/env:Value");
}

/* Per-document storage for header texts; lives in the heap with the tree. */
struct soap_doc_priv {
	char arena[4096];
	size_t used;
};

static void parse_header(struct soap_doc *d, struct soap_doc_priv *p, xmlNodePtr hdr, struct soap_findings *f)
{
	static const char *const names[] = { "From", "To", "Action", "MessageID", "RelatesTo", "ReplyTo" };
	const char **slots[] = { &d->wsa.from,	     &d->wsa.to,	 &d->wsa.action,
				 &d->wsa.message_id, &d->wsa.relates_to, &d->wsa.reply_to };
	char path[SOAP_FINDING_PATH_MAX];

	for (xmlNodePtr c = first_elem(hdr->children); c; c = first_elem(c->next)) {
		bool known = false;

		if (ns_is(c, SOAP_NS_WSA)) {
			for (unsigned int i = 0; i < 6; i++) {
				xmlNodePtr src = c;

				if (!name_is(c, names[i]))
					continue;
				known = true;
				if (*slots[i]) {
					soap_node_path(c, path, sizeof(path));
					soap_findings_add(f, "WSA-005", path, "wsa:%s appears more than once",
							  names[i]);
					break;
				}
				if (i == 0 || i == 5) { /* endpoint references: the Address child */
					src = first_elem(c->children);
					if (!src || !name_is(src, "Address") || !ns_is(src, SOAP_NS_WSA)) {
						soap_node_path(c, path, sizeof(path));
						soap_findings_add(f, "WSA-007", path, "wsa:%s has no wsa:Address",
								  names[i]);
						break;
					}
				}
				*slots[i] = hdr_text(d, p->arena, sizeof(p->arena), &p->used, src, f);
				break;
			}
		}
		if (!known) {
			xmlChar *mu = xmlGetNsProp(c, BAD_CAST "mustUnderstand", BAD_CAST SOAP_NS_ENV);

			if (mu && (strcmp((const char *)mu, "true") == 0 || strcmp((const char *)mu, "1") == 0)) {
				soap_node_path(c, path, sizeof(path));
				soap_findings_add(f, "SOAP-003", path,
						  "header block with mustUnderstand=\"true\" is not understood "
						  "(a receiver faults env:MustUnderstand)");
			}
			xmlFree(mu);
		}
	}
}

int soap_doc_parse(struct soap_doc *d, const uint8_t *buf, size_t len, const struct soap_limits *lim,
		   struct soap_findings *f)
{
	size_t max_input = lim && lim->max_input ? lim->max_input : SOAP_MAX_INPUT_DEFAULT;
	unsigned int max_depth = lim && lim->max_depth ? lim->max_depth : SOAP_MAX_DEPTH_DEFAULT;
	struct soap_doc_priv *p;
	xmlNodePtr root, c, hdr = NULL, body = NULL;
	int rc;

	soap_init();
	memset(d, 0, sizeof(*d));
	if (!buf && len)
		return -EINVAL;
	if (len > max_input || len > INT32_MAX)
		return -EMSGSIZE;
	if (len == 0 || memchr(buf, 0, len))
		return -EBADMSG;
	/* SOAP 1.2 Part 1 §5: no DTD, hence no entity declarations; refuse before parsing. */
	if (memmem(buf, len, "<!DOCTYPE", 9) || memmem(buf, len, "<!ENTITY", 8))
		return -EBADMSG;
	d->doc = xmlReadMemory((const char *)buf, (int)len, NULL, "UTF-8",
			       XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING | XML_PARSE_IGNORE_ENC |
				       XML_PARSE_NOCDATA);
	if (!d->doc)
		return -EBADMSG;
	rc = -EBADMSG;
	if (d->doc->intSubset || d->doc->extSubset)
		goto fail;
	p = xmlMalloc(sizeof(*p));
	if (!p) {
		rc = -ENOMEM;
		goto fail;
	}
	p->used = 0;
	d->doc->_private = p;
	root = xmlDocGetRootElement(d->doc);
	if (!root)
		goto fail;
	rc = check_depth(root, max_depth);
	if (rc < 0)
		goto fail;
	rc = -EBADMSG;
	if (!name_is(root, "Envelope"))
		goto fail;
	if (ns_is(root, SOAP11_NS_ENV)) {
		soap_findings_add(f, "SOAP-001", "/Envelope",
				  "SOAP 1.1 envelope; SGP.02 Annex B binds SOAP 1.2 (a receiver faults "
				  "VersionMismatch)");
		goto fail;
	}
	if (!ns_is(root, SOAP_NS_ENV))
		goto fail;
	/* SOAP 1.2 Part 1 §5.1: optional Header, then Body, nothing else. */
	c = first_elem(root->children);
	if (c && name_is(c, "Header") && ns_is(c, SOAP_NS_ENV)) {
		hdr = c;
		c = first_elem(c->next);
	}
	if (!c || !name_is(c, "Body") || !ns_is(c, SOAP_NS_ENV) || first_elem(c->next))
		goto fail;
	body = c;
	if (hdr)
		parse_header(d, p, hdr, f);
	if (!d->wsa.from)
		soap_findings_add(f, "WSA-001", "/Envelope/Header", "wsa:From missing (mandatory, digest §6.1)");
	if (!d->wsa.to)
		soap_findings_add(f, "WSA-002", "/Envelope/Header", "wsa:To missing (mandatory, digest §6.1)");
	if (!d->wsa.action)
		soap_findings_add(f, "WSA-003", "/Envelope/Header", "wsa:Action missing (mandatory, digest §6.1)");
	if (!d->wsa.message_id)
		soap_findings_add(f, "WSA-004", "/Envelope/Header", "wsa:MessageID missing (mandatory, digest §6.1)");
	d->body = first_elem(body->children);
	if (!d->body)
		soap_findings_add(f, "SOAP-004", "/Envelope/Body", "empty body");
	else if (first_elem(d->body->next))
		soap_findings_add(f, "SOAP-002", "/Envelope/Body",
				  "more than one body element (document/literal: exactly one)");
	if (d->body && name_is(d->body, "Fault") && ns_is(d->body, SOAP_NS_ENV))
		parse_fault(d, p->arena, sizeof(p->arena), &p->used, d->body, f);
	return 0;
fail:
	soap_doc_free(d);
	return rc;
}

void soap_doc_free(struct soap_doc *d)
{
	if (d->doc) {
		xmlFree(d->doc->_private);
		d->doc->_private = NULL;
		xmlFreeDoc(d->doc);
	}
	memset(d, 0, sizeof(*d));
}

/* ---- content type --------------------------------------------------------------------------------- */

int soap_content_type_make(char *buf, size_t cap, const char *action)
{
	int n;

	if (!action)
		return -EINVAL;
	for (const char *s = action; *s; s++)
		if (*s == '"' || *s == '\\' || (unsigned char)*s < 0x20 || *s == 0x7f)
			return -EINVAL;
	/* SOAP 1.2 Part 2 §7 / RFC 3902: the action parameter carries wsa:Action. */
	n = snprintf(buf, cap, "application/soap+xml; charset=utf-8; action=\"%s\"", action);
	if (n < 0 || (size_t)n >= cap)
		return -EMSGSIZE;
	return n;
}

static size_t skip_ws(const char *s, size_t len, size_t i)
{
	while (i < len && (s[i] == ' ' || s[i] == '\t'))
		i++;
	return i;
}

int soap_content_type_parse(const char *ct, size_t len, char *action, size_t action_cap, struct soap_findings *f)
{
	static const char mt[] = "application/soap+xml";
	bool charset_ok = false, have_charset = false;
	size_t i = skip_ws(ct, len, 0);

	if (action_cap == 0)
		return -EINVAL;
	action[0] = '\0';
	if (len - i < sizeof(mt) - 1 || strncasecmp(ct + i, mt, sizeof(mt) - 1) != 0)
		return -EBADMSG;
	i = skip_ws(ct, len, i + sizeof(mt) - 1);
	while (i < len) {
		size_t ks, ke, vs, ve;
		bool quoted = false;

		if (ct[i] != ';')
			return -EBADMSG;
		i = skip_ws(ct, len, i + 1);
		ks = i;
		while (i < len && ct[i] != '=' && ct[i] != ';' && ct[i] != ' ')
			i++;
		ke = i;
		if (i >= len || ct[i] != '=' || ke == ks)
			return -EBADMSG;
		i++;
		if (i < len && ct[i] == '"') {
			quoted = true;
			vs = ++i;
			while (i < len && ct[i] != '"') {
				if (ct[i] == '\\')
					return -EBADMSG; /* quoted-pairs are not used for URIs */
				i++;
			}
			if (i >= len)
				return -EBADMSG;
			ve = i++;
		} else {
			vs = i;
			while (i < len && ct[i] != ';' && ct[i] != ' ' && ct[i] != '\t')
				i++;
			ve = i;
		}
		(void)quoted;
		i = skip_ws(ct, len, i);
		if (ke - ks == 7 && strncasecmp(ct + ks, "charset", 7) == 0) {
			have_charset = true;
			charset_ok = (ve - vs == 5 && strncasecmp(ct + vs, "utf-8", 5) == 0);
		} else if (ke - ks == 6 && strncasecmp(ct + ks, "action", 6) == 0) {
			if (ve - vs >= action_cap)
				return -EMSGSIZE;
			memcpy(action, ct + vs, ve - vs);
			action[ve - vs] = '\0';
		}
	}
	if (!have_charset)
		soap_findings_add(f, "SOAP-010", NULL, "Content-Type without charset (digest §6.1: charset=utf-8)");
	else if (!charset_ok)
		soap_findings_add(f, "SOAP-011", NULL, "Content-Type charset is not utf-8");
	if (!action[0])
		soap_findings_add(f, "SOAP-012", NULL, "Content-Type without an action parameter (digest §6.1)");
	return 0;
}
