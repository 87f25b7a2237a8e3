/* JSON reader (see json.h): recursive descent over the text with a depth cap, nodes and decoded
 * strings in one arena sized from the input (a string never decodes longer than its literal). */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "harness/report/json.h"

struct json_doc {
	struct json *nodes;
	size_t n_nodes, cap_nodes;
	char *strs;
	size_t strs_len, strs_cap;
	struct json *root;
};

struct json_parser {
	const char *s;
	size_t len, pos;
	struct json_doc *doc;
};

static void skip_ws(struct json_parser *p)
{
	while (p->pos < p->len &&
	       (p->s[p->pos] == ' ' || p->s[p->pos] == '\t' || p->s[p->pos] == '\n' || p->s[p->pos] == '\r'))
		p->pos++;
}

static struct json *new_node(struct json_parser *p, enum json_type t)
{
	struct json *n;

	if (p->doc->n_nodes == p->doc->cap_nodes)
		return NULL;
	n = &p->doc->nodes[p->doc->n_nodes++];
	memset(n, 0, sizeof(*n));
	n->type = t;
	return n;
}

static int hex4(const char *s, unsigned int *out)
{
	unsigned int v = 0;

	for (int i = 0; i < 4; i++) {
		char c = s[i];
		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= (unsigned int)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v |= (unsigned int)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v |= (unsigned int)(c - 'A' + 10);
		else
			return -EBADMSG;
	}
	*out = v;
	return 0;
}

/* A string literal at p->pos (the opening quote) into the arena. */
static int parse_string(struct json_parser *p, const char **out)
{
	struct json_doc *d = p->doc;
	char *dst = d->strs + d->strs_len, *w = dst;

	p->pos++; /* '"' */
	for (;;) {
		unsigned char c;
		if (p->pos >= p->len)
			return -EBADMSG;
		c = (unsigned char)p->s[p->pos++];
		if (c == '"')
			break;
		if (c < 0x20)
			return -EBADMSG;
		if (c != '\\') {
			*w++ = (char)c;
			continue;
		}
		if (p->pos >= p->len)
			return -EBADMSG;
		c = (unsigned char)p->s[p->pos++];
		switch (c) {
		case '"': *w++ = '"'; break;
		case '\\': *w++ = '\\'; break;
		case '/': *w++ = '/'; break;
		case 'b': *w++ = '\b'; break;
		case 'f': *w++ = '\f'; break;
		case 'n': *w++ = '\n'; break;
		case 'r': *w++ = '\r'; break;
		case 't': *w++ = '\t'; break;
		case 'u': {
			unsigned int cp, lo;
			if (p->len - p->pos < 4 || hex4(p->s + p->pos, &cp) < 0)
				return -EBADMSG;
			p->pos += 4;
			if (cp >= 0xDC00 && cp <= 0xDFFF)
				return -EBADMSG;
			if (cp >= 0xD800 && cp <= 0xDBFF) {
				if (p->len - p->pos < 6 || p->s[p->pos] != '\\' || p->s[p->pos + 1] != 'u' ||
				    hex4(p->s + p->pos + 2, &lo) < 0 || lo < 0xDC00 || lo > 0xDFFF)
					return -EBADMSG;
				p->pos += 6;
				cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
			}
			if (cp == 0)
				return -EBADMSG; /* our strings are C strings */
			/* UTF-8: at most 4 bytes, never more than the 6-byte escape it came from */
			if (cp < 0x80) {
				*w++ = (char)cp;
			} else if (cp < 0x800) {
				*w++ = (char)(0xC0 | (cp >> 6));
				*w++ = (char)(0x80 | (cp & 0x3F));
			} else if (cp < 0x10000) {
				*w++ = (char)(0xE0 | (cp >> 12));
				*w++ = (char)(0x80 | ((cp >> 6) & 0x3F));
				*w++ = (char)(0x80 | (cp & 0x3F));
			} else {
				*w++ = (char)(0xF0 | (cp >> 18));
				*w++ = (char)(0x80 | ((cp >> 12) & 0x3F));
				*w++ = (char)(0x80 | ((cp >> 6) & 0x3F));
				*w++ = (char)(0x80 | (cp & 0x3F));
			}
			break;
		}
		default: return -EBADMSG;
		}
	}
	*w++ = '\0';
	d->strs_len += (size_t)(w - dst);
	*out = dst;
	return 0;
}

static int parse_value(struct json_parser *p, struct json **out, unsigned int depth);

static int parse_container(struct json_parser *p, struct json *n, unsigned int depth)
{
	char close = n->type == JSON_OBJECT ? '}' : ']';
	struct json **tail = &n->child;
	int rc;

	p->pos++;
	skip_ws(p);
	if (p->pos < p->len && p->s[p->pos] == close) {
		p->pos++;
		return 0;
	}
	for (;;) {
		const char *key = NULL;
		struct json *v;

		skip_ws(p);
		if (n->type == JSON_OBJECT) {
			if (p->pos >= p->len || p->s[p->pos] != '"')
				return -EBADMSG;
			rc = parse_string(p, &key);
			if (rc < 0)
				return rc;
			skip_ws(p);
			if (p->pos >= p->len || p->s[p->pos] != ':')
				return -EBADMSG;
			p->pos++;
		}
		rc = parse_value(p, &v, depth + 1);
		if (rc < 0)
			return rc;
		v->key = key;
		*tail = v;
		tail = &v->next;
		n->n++;
		skip_ws(p);
		if (p->pos >= p->len)
			return -EBADMSG;
		if (p->s[p->pos] == ',') {
			p->pos++;
			continue;
		}
		if (p->s[p->pos] != close)
			return -EBADMSG;
		p->pos++;
		return 0;
	}
}

static int parse_number(struct json_parser *p, struct json *n)
{
	size_t start = p->pos;
	char buf[64];

	if (p->pos < p->len && p->s[p->pos] == '-')
		p->pos++;
	if (p->pos >= p->len || p->s[p->pos] < '0' || p->s[p->pos] > '9')
		return -EBADMSG;
	if (p->s[p->pos] == '0')
		p->pos++;
	else
		while (p->pos < p->len && p->s[p->pos] >= '0' && p->s[p->pos] <= '9')
			p->pos++;
	if (p->pos < p->len && p->s[p->pos] == '.') {
		p->pos++;
		if (p->pos >= p->len || p->s[p->pos] < '0' || p->s[p->pos] > '9')
			return -EBADMSG;
		while (p->pos < p->len && p->s[p->pos] >= '0' && p->s[p->pos] <= '9')
			p->pos++;
	}
	if (p->pos < p->len && (p->s[p->pos] == 'e' || p->s[p->pos] == 'E')) {
		p->pos++;
		if (p->pos < p->len && (p->s[p->pos] == '+' || p->s[p->pos] == '-'))
			p->pos++;
		if (p->pos >= p->len || p->s[p->pos] < '0' || p->s[p->pos] > '9')
			return -EBADMSG;
		while (p->pos < p->len && p->s[p->pos] >= '0' && p->s[p->pos] <= '9')
			p->pos++;
	}
	if (p->pos - start >= sizeof(buf))
		return -EBADMSG;
	memcpy(buf, p->s + start, p->pos - start);
	buf[p->pos - start] = '\0';
	n->num = strtod(buf, NULL);
	if (!isfinite(n->num))
		return -EBADMSG;
	return 0;
}

static int parse_value(struct json_parser *p, struct json **out, unsigned int depth)
{
	static const struct {
		const char *word;
		enum json_type t;
	} words[] = { { "null", JSON_NULL }, { "false", JSON_FALSE }, { "true", JSON_TRUE } };
	struct json *n;
	char c;

	if (depth > JSON_MAX_DEPTH)
		return -E2BIG;
	skip_ws(p);
	if (p->pos >= p->len)
		return -EBADMSG;
	c = p->s[p->pos];
	for (size_t i = 0; i < 3; i++) {
		size_t wl = strlen(words[i].word);
		if (p->len - p->pos >= wl && memcmp(p->s + p->pos, words[i].word, wl) == 0) {
			n = new_node(p, words[i].t);
			if (!n)
				return -E2BIG;
			p->pos += wl;
			*out = n;
			return 0;
		}
	}
	n = new_node(p, c == '{' ? JSON_OBJECT : c == '[' ? JSON_ARRAY : c == '"' ? JSON_STRING : JSON_NUMBER);
	if (!n)
		return -E2BIG;
	*out = n;
	if (c == '{' || c == '[')
		return parse_container(p, n, depth);
	if (c == '"')
		return parse_string(p, &n->str);
	return parse_number(p, n);
}

int json_parse(const char *text, size_t len, struct json_doc **out, size_t *err_off)
{
	struct json_doc *d;
	struct json_parser p = { text, len, 0, NULL };
	int rc;

	*out = NULL;
	*err_off = 0;
	if (len > JSON_MAX_INPUT)
		return -E2BIG;
	d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	/* every node needs at least one input byte; every string decodes into at most its literal + NUL */
	d->cap_nodes = len < JSON_MAX_NODES ? len + 1 : JSON_MAX_NODES;
	d->nodes = calloc(d->cap_nodes, sizeof(*d->nodes));
	d->strs_cap = len + 1;
	d->strs = malloc(d->strs_cap);
	if (!d->nodes || !d->strs) {
		json_free(d);
		return -ENOMEM;
	}
	p.doc = d;
	rc = parse_value(&p, &d->root, 0);
	if (rc == 0) {
		skip_ws(&p);
		if (p.pos != len)
			rc = -EBADMSG;
	}
	if (rc < 0) {
		*err_off = p.pos;
		json_free(d);
		return rc;
	}
	*out = d;
	return 0;
}

const struct json *json_root(const struct json_doc *doc)
{
	return doc ? doc->root : NULL;
}

void json_free(struct json_doc *doc)
{
	if (!doc)
		return;
	free(doc->nodes);
	free(doc->strs);
	free(doc);
}

const struct json *json_get(const struct json *obj, const char *key)
{
	if (!obj || obj->type != JSON_OBJECT)
		return NULL;
	for (const struct json *c = obj->child; c; c = c->next)
		if (strcmp(c->key, key) == 0)
			return c;
	return NULL;
}

const char *json_str(const struct json *obj, const char *key, const char *dflt)
{
	const struct json *v = json_get(obj, key);

	return v && v->type == JSON_STRING ? v->str : dflt;
}

double json_num(const struct json *obj, const char *key, double dflt)
{
	const struct json *v = json_get(obj, key);

	return v && v->type == JSON_NUMBER ? v->num : dflt;
}

void json_put_str(FILE *out, const char *s)
{
	fputc('"', out);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(out, "\\%c", *p);
		else if (*p == '\n')
			fputs("\\n", out);
		else if (*p == '\t')
			fputs("\\t", out);
		else if (*p < 0x20 || *p == 0x7f)
			fprintf(out, "\\u%04x", *p);
		else
			fputc(*p, out);
	}
	fputc('"', out);
}
