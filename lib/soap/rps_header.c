/* RPSHeader <-> WS-Addressing mapping (digest §6.2). See rps_header.h for the layout. */
#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "lib/soap/rps_header.h"

struct arena {
	char *buf;
	size_t cap, used;
	int err;
};

static char *a_begin(struct arena *a)
{
	return a->err ? NULL : a->buf + a->used;
}

static void a_putc(struct arena *a, char c)
{
	if (a->err)
		return;
	if (a->used >= a->cap) {
		a->err = -EMSGSIZE;
		return;
	}
	a->buf[a->used++] = c;
}

static void a_puts(struct arena *a, const char *s)
{
	while (s && *s)
		a_putc(a, *s++);
}

static bool unreserved(unsigned char c)
{
	return isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~' || c == ':';
}

static void a_put_pct(struct arena *a, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";

	for (; s && *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (unreserved(c)) {
			a_putc(a, (char)c);
		} else {
			a_putc(a, '%');
			a_putc(a, hex[c >> 4]);
			a_putc(a, hex[c & 15]);
		}
	}
}

static const char *a_end(struct arena *a, char *start)
{
	a_putc(a, '\0');
	return a->err ? NULL : start;
}

int rps_header_to_wsa(const struct rps_header *h, char *arena, size_t cap, struct soap_wsa *out)
{
	struct arena a = { arena, cap, 0, 0 };
	char *s;

	if (!h || !out || !h->sender_url || !h->sender_id || !h->receiver_url || !h->message_id || !h->action)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	s = a_begin(&a);
	a_puts(&a, h->sender_url);
	a_puts(&a, "?EntityId=");
	a_put_pct(&a, h->sender_id);
	if (h->sender_name) {
		a_puts(&a, "&EntityName=");
		a_put_pct(&a, h->sender_name);
	}
	out->from = a_end(&a, s);
	s = a_begin(&a);
	a_puts(&a, h->receiver_url);
	if (h->receiver_id) {
		a_puts(&a, "?EntityId=");
		a_put_pct(&a, h->receiver_id);
	}
	out->to = a_end(&a, s);
	s = a_begin(&a);
	a_puts(&a, "//");
	a_put_pct(&a, h->sender_id);
	a_putc(&a, '/');
	a_puts(&a, h->message_id);
	if (h->transaction_id || h->message_date || h->context_id) {
		char sep = '?';
		if (h->transaction_id) {
			a_putc(&a, sep);
			a_puts(&a, "TransactionId=");
			a_put_pct(&a, h->transaction_id);
			sep = '&';
		}
		if (h->message_date) {
			a_putc(&a, sep);
			a_puts(&a, "MessageDate=");
			a_put_pct(&a, h->message_date);
			sep = '&';
		}
		if (h->context_id) {
			a_putc(&a, sep);
			a_puts(&a, "ContextId=");
			a_put_pct(&a, h->context_id);
		}
	}
	out->message_id = a_end(&a, s);
	out->action = h->action;
	out->relates_to = h->relates_to;
	out->reply_to = h->response_endpoint;
	return a.err;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)tolower((unsigned char)c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Copy s[0..len) percent-decoded into the arena. Returns NULL on a bad escape or full arena. */
static const char *a_put_unpct(struct arena *a, const char *s, size_t len)
{
	char *start = a_begin(a);

	for (size_t i = 0; i < len; i++) {
		if (s[i] == '%') {
			int hi = i + 2 < len ? hexval(s[i + 1]) : -1;
			int lo = i + 2 < len ? hexval(s[i + 2]) : -1;

			if (hi < 0 || lo < 0 || (hi == 0 && lo == 0))
				return NULL;
			a_putc(a, (char)(hi << 4 | lo));
			i += 2;
			continue;
		}
		a_putc(a, s[i]);
	}
	return a_end(a, start);
}

/* Find parameter `key` in query q[0..len) (k=v&k=v); copy its decoded value. */
static const char *query_get(struct arena *a, const char *q, size_t len, const char *key)
{
	size_t klen = strlen(key), i = 0;

	while (i < len) {
		size_t e = i;
		while (e < len && q[e] != '&')
			e++;
		if (e - i > klen && strncmp(q + i, key, klen) == 0 && q[i + klen] == '=')
			return a_put_unpct(a, q + i + klen + 1, e - i - klen - 1);
		i = e + 1;
	}
	return NULL;
}

/* Split an endpoint with ?EntityId=..[&EntityName=..] into its parts. */
static void split_endpoint(struct arena *a, const char *addr, const char **url, const char **id, const char **name,
			   const char *what, struct soap_findings *f)
{
	const char *q = strchr(addr, '?');
	size_t ulen = q ? (size_t)(q - addr) : strlen(addr);
	char *s = a_begin(a);

	for (size_t i = 0; i < ulen; i++)
		a_putc(a, addr[i]);
	*url = a_end(a, s);
	if (q) {
		size_t qlen = strlen(q + 1);
		*id = query_get(a, q + 1, qlen, "EntityId");
		if (name)
			*name = query_get(a, q + 1, qlen, "EntityName");
	}
	if (!*id)
		soap_findings_add(f, "RPS-001", "/Envelope/Header", "%s carries no ?EntityId=<OID> (digest §6.2)",
				  what);
}

int rps_header_from_wsa(const struct soap_wsa *w, char *arena, size_t cap, struct rps_header *out,
			struct soap_findings *f)
{
	struct arena a = { arena, cap, 0, 0 };

	if (!w || !out)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	if (w->from)
		split_endpoint(&a, w->from, &out->sender_url, &out->sender_id, &out->sender_name, "wsa:From", f);
	if (w->to)
		split_endpoint(&a, w->to, &out->receiver_url, &out->receiver_id, NULL, "wsa:To", f);
	out->action = w->action;
	out->relates_to = w->relates_to;
	out->response_endpoint = w->reply_to;
	if (w->message_id) {
		const char *m = w->message_id, *slash, *q;

		if (strncmp(m, "//", 2) != 0 || !(slash = strchr(m + 2, '/'))) {
			soap_findings_add(f, "RPS-002", "/Envelope/Header/MessageID",
					  "MessageID is not prefixed with //<sender OID>/ (digest §6.2)");
			out->message_id = w->message_id;
		} else {
			const char *oid = a_put_unpct(&a, m + 2, (size_t)(slash - m - 2));
			q = strchr(slash + 1, '?');
			out->message_id = a_put_unpct(&a, slash + 1, q ? (size_t)(q - slash - 1) : strlen(slash + 1));
			if (q) {
				size_t qlen = strlen(q + 1);
				out->transaction_id = query_get(&a, q + 1, qlen, "TransactionId");
				out->message_date = query_get(&a, q + 1, qlen, "MessageDate");
				out->context_id = query_get(&a, q + 1, qlen, "ContextId");
			}
			if (oid && out->sender_id && strcmp(oid, out->sender_id) != 0)
				soap_findings_add(f, "RPS-003", "/Envelope/Header/MessageID",
						  "MessageID prefix %s differs from the sender's EntityId %s", oid,
						  out->sender_id);
			if (!out->sender_id)
				out->sender_id = oid;
		}
	}
	return a.err;
}
