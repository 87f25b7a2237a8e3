/* HTTP/1.1 message assembly on http-parser and serialisation (see http_msg.h).
 *
 * Storage of one struct http_rx (allocated once from the limits):
 *
 *   text[max_header_bytes + 1]:  url\0 field\0value\0 field\0value\0 ... (trailers too)
 *   hdr[max_headers]:            pointers into text
 *   body:                        grows (doubling) up to max_body + 1 (a NUL after the body)
 *
 * http-parser delivers every token in pieces (any split point of the input); we append the pieces and
 * write the NUL when the next kind of token starts. On message completion the parser is paused so
 * that http_rx_feed() returns exactly the bytes of this message (pipelining). */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <http_parser.h>
#include <talloc.h>

#include "lib/http/http_msg.h"

enum tok { TOK_NONE, TOK_URL, TOK_STATUS, TOK_FIELD, TOK_VALUE };

struct http_rx {
	http_parser p;
	bool request;
	struct http_limits lim;
	char *text;
	size_t text_len;
	size_t tok_start;
	enum tok tok;
	struct http_header *hdr;
	unsigned int nfields; /* headers + trailers stored */
	bool in_trailers;
	uint8_t *body;
	size_t body_cap;
	bool started, done, no_body;
	enum http_rx_err err;
	struct http_msg msg;
};

const struct value_string http_rx_err_names[] = { { HTTP_RX_OK, "ok" },
						  { HTTP_RX_ERR_MALFORMED, "malformed message" },
						  { HTTP_RX_ERR_HEADER_TOO_LARGE, "header section too large" },
						  { HTTP_RX_ERR_TOO_MANY_HEADERS, "too many header fields" },
						  { HTTP_RX_ERR_BODY_TOO_LARGE, "body too large" },
						  { HTTP_RX_ERR_UNSUPPORTED, "CONNECT/Upgrade not supported" },
						  { HTTP_RX_ERR_TRUNCATED, "connection closed inside a message" },
						  { HTTP_RX_ERR_NOMEM, "out of memory" },
						  { 0, NULL } };

unsigned int http_rx_err_status(enum http_rx_err e)
{
	switch (e) {
	case HTTP_RX_ERR_HEADER_TOO_LARGE:
	case HTTP_RX_ERR_TOO_MANY_HEADERS: return 431; /* RFC 6585 §5 */
	case HTTP_RX_ERR_BODY_TOO_LARGE: return 413;   /* RFC 9110 §15.5.14 */
	case HTTP_RX_ERR_UNSUPPORTED: return 501;
	case HTTP_RX_ERR_NOMEM: return 503;
	default: return 400;
	}
}

void http_limits_apply_defaults(struct http_limits *l)
{
	if (!l->max_header_bytes)
		l->max_header_bytes = HTTP_DEFAULT_MAX_HEADER_BYTES;
	if (!l->max_headers)
		l->max_headers = HTTP_DEFAULT_MAX_HEADERS;
	if (!l->max_body)
		l->max_body = HTTP_DEFAULT_MAX_BODY;
}

static struct http_rx *rx_of(http_parser *p)
{
	return p->data;
}

static int fail(struct http_rx *rx, enum http_rx_err e)
{
	if (!rx->err)
		rx->err = e;
	return -1;
}

/* End the current token: terminate it and hook it into the message. */
static void tok_close(struct http_rx *rx)
{
	const char *s = rx->text + rx->tok_start;

	if (rx->tok == TOK_NONE)
		return;
	rx->text[rx->text_len++] = '\0'; /* room reserved by append() */
	switch (rx->tok) {
	case TOK_URL: rx->msg.url = s; break;
	case TOK_STATUS: rx->msg.reason = s; break;
	case TOK_FIELD:
		rx->hdr[rx->nfields].name = s;
		rx->hdr[rx->nfields].value = "";
		break;
	case TOK_VALUE:
		rx->hdr[rx->nfields].value = s;
		rx->nfields++;
		break;
	default: break;
	}
	rx->tok = TOK_NONE;
}

static int append(struct http_rx *rx, enum tok t, const char *at, size_t len)
{
	if (rx->tok != t) {
		tok_close(rx);
		if (t == TOK_FIELD && rx->nfields >= rx->lim.max_headers)
			return fail(rx, HTTP_RX_ERR_TOO_MANY_HEADERS);
		rx->tok = t;
		rx->tok_start = rx->text_len;
	}
	/* + 1 keeps room for the terminating NUL */
	if (len > rx->lim.max_header_bytes || rx->text_len + len + 1 > rx->lim.max_header_bytes + 1)
		return fail(rx, HTTP_RX_ERR_HEADER_TOO_LARGE);
	memcpy(rx->text + rx->text_len, at, len);
	rx->text_len += len;
	return 0;
}

static int on_message_begin(http_parser *p)
{
	rx_of(p)->started = true;
	return 0;
}

static int on_url(http_parser *p, const char *at, size_t len)
{
	return append(rx_of(p), TOK_URL, at, len);
}

static int on_status(http_parser *p, const char *at, size_t len)
{
	return append(rx_of(p), TOK_STATUS, at, len);
}

static int on_header_field(http_parser *p, const char *at, size_t len)
{
	return append(rx_of(p), TOK_FIELD, at, len);
}

static int on_header_value(http_parser *p, const char *at, size_t len)
{
	return append(rx_of(p), TOK_VALUE, at, len);
}

static int on_headers_complete(http_parser *p)
{
	struct http_rx *rx = rx_of(p);

	/* a field without a value ("X-Empty:" gives no value callback) */
	if (rx->tok == TOK_FIELD) {
		tok_close(rx);
		rx->nfields++;
	}
	tok_close(rx);
	rx->msg.num_hdr = rx->nfields;
	rx->msg.hdr = rx->hdr;
	rx->in_trailers = true;
	rx->msg.chunked = (p->flags & F_CHUNKED) != 0;
	if (p->upgrade) /* CONNECT or Upgrade: we do not switch protocols */
		return fail(rx, HTTP_RX_ERR_UNSUPPORTED);
	if (!rx->msg.chunked && p->content_length != ULLONG_MAX && p->content_length > rx->lim.max_body)
		return fail(rx, HTTP_RX_ERR_BODY_TOO_LARGE);
	/* RFC 9112 §6.3: no body in answers to HEAD (the caller said so) */
	return (!rx->request && rx->no_body) ? 1 : 0;
}

static int on_chunk_header(http_parser *p)
{
	struct http_rx *rx = rx_of(p);

	if (p->content_length > rx->lim.max_body - rx->msg.body_len)
		return fail(rx, HTTP_RX_ERR_BODY_TOO_LARGE);
	return 0;
}

static int on_body(http_parser *p, const char *at, size_t len)
{
	struct http_rx *rx = rx_of(p);
	size_t need;

	if (len > rx->lim.max_body - rx->msg.body_len)
		return fail(rx, HTTP_RX_ERR_BODY_TOO_LARGE);
	need = rx->msg.body_len + len + 1;
	if (need > rx->body_cap) {
		size_t cap = rx->body_cap ? rx->body_cap : 256;
		uint8_t *nb;
		while (cap < need)
			cap *= 2;
		if (cap > rx->lim.max_body + 1)
			cap = rx->lim.max_body + 1;
		nb = talloc_realloc_size(rx, rx->body, cap);
		if (!nb)
			return fail(rx, HTTP_RX_ERR_NOMEM);
		rx->body = nb;
		rx->body_cap = cap;
	}
	memcpy(rx->body + rx->msg.body_len, at, len);
	rx->msg.body_len += len;
	return 0;
}

static int on_message_complete(http_parser *p)
{
	struct http_rx *rx = rx_of(p);

	if (rx->tok == TOK_FIELD) { /* trailer field without value */
		tok_close(rx);
		rx->nfields++;
	}
	tok_close(rx);
	rx->msg.num_trailers = rx->nfields - rx->msg.num_hdr;
	if (rx->body) {
		rx->body[rx->msg.body_len] = '\0';
		rx->msg.body = rx->body;
	} else {
		rx->msg.body = (const uint8_t *)"";
	}
	rx->msg.keep_alive = http_should_keep_alive(p) != 0;
	rx->msg.http_major = p->http_major;
	rx->msg.http_minor = p->http_minor;
	if (rx->request)
		rx->msg.method = http_method_str(p->method);
	else
		rx->msg.status = p->status_code;
	if (!rx->msg.url)
		rx->msg.url = "";
	if (!rx->msg.reason)
		rx->msg.reason = "";
	rx->done = true;
	http_parser_pause(p, 1);
	return 0;
}

static const http_parser_settings settings = {
	.on_message_begin = on_message_begin,
	.on_url = on_url,
	.on_status = on_status,
	.on_header_field = on_header_field,
	.on_header_value = on_header_value,
	.on_headers_complete = on_headers_complete,
	.on_body = on_body,
	.on_message_complete = on_message_complete,
	.on_chunk_header = on_chunk_header,
};

static void rx_reset(struct http_rx *rx)
{
	http_parser_init(&rx->p, rx->request ? HTTP_REQUEST : HTTP_RESPONSE);
	rx->p.data = rx;
	rx->text_len = 0;
	rx->tok = TOK_NONE;
	rx->tok_start = 0;
	rx->nfields = 0;
	rx->in_trailers = false;
	rx->started = rx->done = rx->no_body = false;
	memset(&rx->msg, 0, sizeof(rx->msg));
	rx->msg.request = rx->request;
	rx->msg.hdr = rx->hdr;
	/* keep the body buffer for the next message */
}

struct http_rx *http_rx_alloc(void *ctx, bool request, const struct http_limits *limits)
{
	struct http_rx *rx = talloc_zero(ctx, struct http_rx);

	if (!rx)
		return NULL;
	if (limits)
		rx->lim = *limits;
	http_limits_apply_defaults(&rx->lim);
	rx->request = request;
	rx->text = talloc_size(rx, rx->lim.max_header_bytes + 1);
	rx->hdr = talloc_zero_array(rx, struct http_header, rx->lim.max_headers);
	if (!rx->text || !rx->hdr) {
		talloc_free(rx);
		return NULL;
	}
	rx_reset(rx);
	return rx;
}

static int err_rc(const struct http_rx *rx)
{
	switch (rx->err) {
	case HTTP_RX_ERR_HEADER_TOO_LARGE:
	case HTTP_RX_ERR_TOO_MANY_HEADERS:
	case HTTP_RX_ERR_BODY_TOO_LARGE: return -EMSGSIZE;
	case HTTP_RX_ERR_NOMEM: return -ENOMEM;
	default: return -EBADMSG;
	}
}

int http_rx_feed(struct http_rx *rx, const uint8_t *buf, size_t len)
{
	size_t n;
	enum http_errno e;

	if (rx->err)
		return err_rc(rx);
	if (rx->done || len == 0)
		return 0;
	n = http_parser_execute(&rx->p, &settings, (const char *)buf, len);
	e = HTTP_PARSER_ERRNO(&rx->p);
	if (rx->err)
		return err_rc(rx);
	if (e == HPE_PAUSED && rx->done)
		return (int)n;
	if (e == HPE_HEADER_OVERFLOW) {
		fail(rx, HTTP_RX_ERR_HEADER_TOO_LARGE);
		return err_rc(rx);
	}
	if (e != HPE_OK) {
		fail(rx, HTTP_RX_ERR_MALFORMED);
		return err_rc(rx);
	}
	if (rx->p.upgrade) {
		fail(rx, HTTP_RX_ERR_UNSUPPORTED);
		return err_rc(rx);
	}
	return (int)n;
}

int http_rx_eof(struct http_rx *rx)
{
	if (rx->err)
		return err_rc(rx);
	if (rx->done || !rx->started)
		return 0;
	http_parser_execute(&rx->p, &settings, NULL, 0);
	if (rx->err)
		return err_rc(rx);
	if (!rx->done) {
		fail(rx, HTTP_RX_ERR_TRUNCATED);
		return -EBADMSG;
	}
	return 0;
}

void http_rx_expect_no_body(struct http_rx *rx)
{
	rx->no_body = true;
}

bool http_rx_done(const struct http_rx *rx)
{
	return rx->done;
}

bool http_rx_started(const struct http_rx *rx)
{
	return rx->started;
}

const struct http_msg *http_rx_msg(const struct http_rx *rx)
{
	return rx->done ? &rx->msg : NULL;
}

enum http_rx_err http_rx_error(const struct http_rx *rx)
{
	return rx->err;
}

void http_rx_next(struct http_rx *rx)
{
	if (rx->err)
		return;
	http_parser_pause(&rx->p, 0);
	rx_reset(rx);
}

const char *http_msg_header(const struct http_msg *m, const char *name)
{
	for (unsigned int i = 0; i < m->num_hdr; i++) {
		if (strcasecmp(m->hdr[i].name, name) == 0)
			return m->hdr[i].value;
	}
	return NULL;
}

/* ---- sending ------------------------------------------------------------------------------------ */

int http_buf_append(void *ctx, struct http_buf *b, const void *data, size_t len)
{
	if (len > SIZE_MAX / 2 - b->len)
		return -ENOMEM;
	if (b->len + len > b->cap) {
		size_t cap = b->cap ? b->cap : 1024;
		uint8_t *nd;
		while (cap < b->len + len)
			cap *= 2;
		nd = talloc_realloc_size(ctx, b->data, cap);
		if (!nd)
			return -ENOMEM;
		b->data = nd;
		b->cap = cap;
	}
	if (len)
		memcpy(b->data + b->len, data, len);
	b->len += len;
	return 0;
}

static int buf_printf(void *ctx, struct http_buf *b, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int buf_printf(void *ctx, struct http_buf *b, const char *fmt, ...)
{
	char tmp[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(tmp))
		return -EINVAL;
	return http_buf_append(ctx, b, tmp, (size_t)n);
}

static bool token_ok(const char *s, bool allow_empty)
{
	if (!s || (!allow_empty && !*s))
		return false;
	for (; *s; s++) {
		if (*s == '\r' || *s == '\n')
			return false;
	}
	return true;
}

const char *http_status_reason(unsigned int status)
{
	switch (status) {
#define XX(num, name, string) \
	case num: return #string;
		HTTP_STATUS_MAP(XX)
#undef XX
	default: return "Unknown";
	}
}

int http_out_encode(void *ctx, struct http_buf *b, const struct http_out *o, bool request)
{
	size_t start = b->len;
	int rc;

	if (request) {
		if (!token_ok(o->method, false) || !token_ok(o->url, false) || strchr(o->method, ' ') ||
		    strchr(o->url, ' '))
			return -EINVAL;
		rc = buf_printf(ctx, b, "%s %s HTTP/1.1\r\n", o->method, o->url);
	} else {
		if (o->status < 100 || o->status > 999 || (o->reason && !token_ok(o->reason, true)))
			return -EINVAL;
		rc = buf_printf(ctx, b, "HTTP/1.1 %u %s\r\n", o->status,
				o->reason ? o->reason : http_status_reason(o->status));
	}
	for (size_t i = 0; rc == 0 && i < o->num_hdr; i++) {
		const char *n = o->hdr[i].name;
		if (!token_ok(n, false) || strchr(n, ':') || !token_ok(o->hdr[i].value, true) ||
		    !strcasecmp(n, "Content-Length") || !strcasecmp(n, "Transfer-Encoding") ||
		    !strcasecmp(n, "Connection")) {
			rc = -EINVAL;
			break;
		}
		rc = http_buf_append(ctx, b, n, strlen(n));
		if (!rc)
			rc = http_buf_append(ctx, b, ": ", 2);
		if (!rc)
			rc = http_buf_append(ctx, b, o->hdr[i].value, strlen(o->hdr[i].value));
		if (!rc)
			rc = http_buf_append(ctx, b, "\r\n", 2);
	}
	if (!rc && o->close)
		rc = buf_printf(ctx, b, "Connection: close\r\n");
	/* RFC 9110 §8.6: no Content-Length in 1xx / 204 */
	if (!rc && o->chunked)
		rc = buf_printf(ctx, b, "Transfer-Encoding: chunked\r\n\r\n");
	else if (!rc && (request || (o->status >= 200 && o->status != 204 && o->status != 304)))
		rc = buf_printf(ctx, b, "Content-Length: %zu\r\n\r\n", o->body_len);
	else if (!rc)
		rc = http_buf_append(ctx, b, "\r\n", 2);
	if (!rc && o->chunked) {
		/* RFC 9112 §7.1: chunk = hex size CRLF data CRLF; last-chunk = "0" CRLF; then CRLF */
		size_t cs = o->chunk_size ? o->chunk_size : o->body_len;
		for (size_t off = 0; !rc && off < o->body_len; off += cs) {
			size_t n = o->body_len - off < cs ? o->body_len - off : cs;
			rc = buf_printf(ctx, b, "%zx\r\n", n);
			if (!rc)
				rc = http_buf_append(ctx, b, o->body + off, n);
			if (!rc)
				rc = http_buf_append(ctx, b, "\r\n", 2);
		}
		if (!rc)
			rc = http_buf_append(ctx, b, "0\r\n\r\n", 5);
	} else if (!rc && o->body_len) {
		rc = http_buf_append(ctx, b, o->body, o->body_len);
	}
	if (rc)
		b->len = start;
	return rc;
}
