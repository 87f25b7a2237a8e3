/* HTTP/1.1 message assembly (receive) and serialisation (send), without sockets.
 *
 * struct http_rx turns a byte stream, split at any point, into complete messages (requests or
 * responses) using http-parser: request line or status line, headers, body with Content-Length,
 * Transfer-Encoding: chunked (extensions ignored, trailers kept), or read-until-close for responses.
 * Every size the peer controls has a cap (struct http_limits); exceeding one is an error with the HTTP
 * status a server should answer (431, 413, 400).
 *
 * Trust: all bytes fed are UNTRUSTED. Ownership: http_rx_alloc() returns a talloc object; the message
 * it exposes (struct http_msg) points into the rx's own storage and stays valid until http_rx_next()
 * or the rx is freed. Storage is allocated once from the limits (headers) and grows up to max_body
 * (body).
 *
 * http_out_encode() serialises an outgoing message (Content-Length or chunked) into a growable
 * buffer. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <osmocom/core/utils.h>

struct http_limits {
	size_t max_header_bytes;  /* request/status line + all header lines (and trailers) */
	unsigned int max_headers; /* header fields (trailers count too) */
	size_t max_body;	  /* decoded body bytes */
};
/* Defaults used where a field of a configured struct http_limits is 0. */
#define HTTP_DEFAULT_MAX_HEADER_BYTES 8192
#define HTTP_DEFAULT_MAX_HEADERS      64
#define HTTP_DEFAULT_MAX_BODY	      (1024 * 1024)
/* Fill zero fields of *l with the defaults. */
void http_limits_apply_defaults(struct http_limits *l);

enum http_rx_err {
	HTTP_RX_OK = 0,
	HTTP_RX_ERR_MALFORMED,	      /* syntax error (incl. bad chunk size, CL + chunked): 400 */
	HTTP_RX_ERR_HEADER_TOO_LARGE, /* max_header_bytes exceeded: 431 */
	HTTP_RX_ERR_TOO_MANY_HEADERS, /* max_headers exceeded: 431 */
	HTTP_RX_ERR_BODY_TOO_LARGE,   /* max_body exceeded (declared or received): 413 */
	HTTP_RX_ERR_UNSUPPORTED,      /* CONNECT / Upgrade: 501 */
	HTTP_RX_ERR_TRUNCATED,	      /* the stream ended inside a message */
	HTTP_RX_ERR_NOMEM,
};
extern const struct value_string http_rx_err_names[];
/* The status code a server answers an rx error with (400, 413, 431, 501). */
unsigned int http_rx_err_status(enum http_rx_err e);

struct http_header {
	const char *name; /* NUL-terminated */
	const char *value;
};

struct http_msg {
	bool request;
	/* requests */
	const char *method; /* "GET", "POST", ... */
	const char *url;    /* request target as sent, e.g. "/gsma/rsp2/es3?x=1" */
	/* responses */
	unsigned int status;
	const char *reason;
	unsigned short http_major, http_minor;
	const struct http_header *hdr; /* num_hdr header fields, then num_trailers trailer fields */
	unsigned int num_hdr, num_trailers;
	const uint8_t *body; /* body_len bytes, plus a NUL after them (not counted) */
	size_t body_len;
	bool chunked;	 /* the body came with Transfer-Encoding: chunked */
	bool keep_alive; /* the connection may carry another message (HTTP/1.1 rules, Connection header) */
};

/* Value of the first header (not trailer) named name (case-insensitive), or NULL. */
const char *http_msg_header(const struct http_msg *m, const char *name);

struct http_rx;

/* request: parse requests (server) or responses (client). limits: NULL or zero fields = defaults. */
struct http_rx *http_rx_alloc(void *ctx, bool request, const struct http_limits *limits);
/* Feed bytes. Returns the number consumed (it stops right after a complete message, so the rest of
 * buf belongs to the next one: call http_rx_next() and feed it again), or -EBADMSG / -EMSGSIZE
 * (limits) / -ENOMEM; then http_rx_error() says which, and every later call fails the same way. */
int http_rx_feed(struct http_rx *rx, const uint8_t *buf, size_t len);
/* The transport reached EOF. Returns 0 (a read-until-close response is now complete, or nothing had
 * started) or -EBADMSG (truncated message). */
int http_rx_eof(struct http_rx *rx);
/* The next response has no body whatever its headers say (answer to HEAD; 1xx/204/304 are known). */
void http_rx_expect_no_body(struct http_rx *rx);
bool http_rx_done(const struct http_rx *rx);
/* Any byte of the current message seen yet. */
bool http_rx_started(const struct http_rx *rx);
const struct http_msg *http_rx_msg(const struct http_rx *rx);
enum http_rx_err http_rx_error(const struct http_rx *rx);
/* Get ready for the next message on the same stream (after done). */
void http_rx_next(struct http_rx *rx);

/* A message to send. Content-Length / Transfer-Encoding / Connection are added here; a caller-given
 * header of those names is refused (-EINVAL), as is any CR, LF or NUL in a name or value. */
struct http_out {
	const char *method; /* request */
	const char *url;
	unsigned int status; /* response; reason NULL = the standard phrase */
	const char *reason;
	const struct http_header *hdr;
	size_t num_hdr;
	const uint8_t *body;
	size_t body_len;
	bool chunked;	   /* Transfer-Encoding: chunked ... */
	size_t chunk_size; /* ... in chunks of this size (0 = one chunk) */
	bool close;	   /* Connection: close */
};

struct http_buf {
	uint8_t *data; /* talloc, child of the ctx given to http_buf_append() */
	size_t len, cap;
};
int http_buf_append(void *ctx, struct http_buf *b, const void *data, size_t len);

/* Append the serialised message to b. request selects request or status line. Returns 0, -EINVAL or
 * -ENOMEM. */
int http_out_encode(void *ctx, struct http_buf *b, const struct http_out *o, bool request);
/* The standard reason phrase for a status code ("OK", "Not Found"), "Unknown" otherwise. */
const char *http_status_reason(unsigned int status);
