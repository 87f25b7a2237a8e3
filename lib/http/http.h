/* HTTP/1.1 server and client on libosmocore's select loop (osmo_fd, non-blocking sockets, no threads),
 * over plain TCP or lib/tls. Message framing is lib/http/http_msg.h; this is the connection glue:
 * accept/connect, TLS pumping (the TLS pipe wanting input maps to OSMO_FD_READ, pending output to
 * OSMO_FD_WRITE), buffering, keep-alive, routing by path, timeouts from an osmo_tdef table, and
 * limits answered with a clean 4xx and connection close.
 *
 * Trust: everything received is UNTRUSTED. Ownership (talloc): a server or client owns its
 * connections; each connection is one talloc context (its parser, buffers, TLS state and the request
 * objects hang off it) and is freed when it closes. A struct http_req given to a handler stays valid
 * until http_req_respond() is called on it or, if the connection dies first, until the abort callback
 * set with http_req_set_abort_cb() has run. Messages given to callbacks are valid during the callback.
 *
 * Connection life (server): every accepted connection has an id (http_req_conn_id(): unique per server,
 * never reused, never 0) and one opaque user pointer (http_req_set_conn_data(), borrowed: lib/http never
 * dereferences or frees it). cfg.on_conn_close fires EXACTLY ONCE per accepted connection, when it is
 * closed for whatever reason (enum http_conn_end), including the connections still open when
 * http_server_free() runs (HTTP_CONN_END_SHUTDOWN, from inside it); never after http_server_free()
 * returns. For a connection with a request not yet answered, the request's abort callback runs first.
 * It is the place to drop application state bound to the connection (the nginx pool-cleanup /
 * libosmocore closed_cb pattern); the callback may use the API on other connections but must not free
 * the server. While a request is being handled the server does not read from its connection, so a
 * peer's close is seen after the answer (or when X2 fires), not before.
 *
 * Timers (osmo_tdef, Osmocom-specific X numbers, configurable by the caller's table):
 *   X1  idle keep-alive connection (server and client): closed after this long without a request
 *   X2  server: one request, from its first byte until the response is queued;
 *       when it fires: 408 while receiving, 503 while the handler has not answered; then close
 *   X3  client: one request, from http_client_request() until the response is complete
 * Return values: 0 or a negative errno. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <osmocom/core/tdef.h>
#include <osmocom/core/utils.h>

#include "lib/http/http_msg.h"
#include "lib/tls/tls.h"

enum http_timer {
	HTTP_T_IDLE = -1,
	HTTP_T_REQUEST = -2,
	HTTP_T_RESPONSE = -3,
};
/* The default table (seconds): X1 = 60, X2 = 30, X3 = 30. Used when a config's tdefs is NULL. */
extern struct osmo_tdef http_tdefs[];

struct http_server;
struct http_client;
struct http_req;

typedef void (*http_handler_cb)(struct http_req *req, void *priv);

struct http_route {
	const char *path; /* matched against the request target without its query */
	bool prefix;	  /* match path as a prefix instead of exactly */
	http_handler_cb cb;
	void *priv;
};

/* Why a server connection closed (the first cause wins). */
enum http_conn_end {
	HTTP_CONN_END_PEER = 1, /* the peer closed it (EOF, reset), also in the TLS handshake */
	HTTP_CONN_END_IDLE,	/* X1 fired on an idle keep-alive connection */
	HTTP_CONN_END_TIMEOUT,	/* X2 fired (408 / 503 sent) */
	HTTP_CONN_END_ERROR,	/* TLS failure, malformed request or a limit (4xx sent), socket error */
	HTTP_CONN_END_DONE,	/* we closed it after a response that said close (ours or the peer's wish) */
	HTTP_CONN_END_SHUTDOWN, /* http_server_free() */
};
extern const struct value_string http_conn_end_names[];

struct http_server_stats {
	unsigned long accepted, requests, responses, rejected, tls_failures, idle_timeouts, request_timeouts, aborted;
};

struct http_server_cfg {
	const char *addr;		 /* e.g. "127.0.0.1" */
	uint16_t port;			 /* 0 = ephemeral, see http_server_port() */
	struct tls_ctx *tls;		 /* NULL = plain HTTP; borrowed, must outlive the server */
	const struct http_route *routes; /* borrowed; first match wins; no match = 404 */
	size_t num_routes;
	struct http_limits limits; /* zero fields = defaults */
	struct osmo_tdef *tdefs;   /* NULL = http_tdefs */
	/* Optional: called when a connection fails (TLS failure, limit, timeout); reason is readable. */
	void (*on_error)(struct http_server *srv, int err, const char *reason, void *priv);
	/* Optional: a connection closed (see "Connection life" above); conn_data is what a handler set on
	 * it with http_req_set_conn_data() (NULL if none). */
	void (*on_conn_close)(struct http_server *srv, uint64_t conn_id, void *conn_data, enum http_conn_end why,
			      void *priv);
	void *priv; /* for on_error and on_conn_close */
};

/* Bind and listen. Returns NULL on failure (the reason is in errno). */
struct http_server *http_server_alloc(void *ctx, const struct http_server_cfg *cfg);
/* Closes the listening socket and every connection (pending requests are aborted). NULL is fine. */
void http_server_free(struct http_server *srv);
uint16_t http_server_port(const struct http_server *srv);
const struct http_server_stats *http_server_stats(const struct http_server *srv);
/* The reason of the last connection failure ("" if none), e.g. "TLS: unknown CA: ...". */
const char *http_server_last_error(const struct http_server *srv);
unsigned int http_server_num_conns(const struct http_server *srv);

const struct http_msg *http_req_msg(const struct http_req *req);
/* The TLS connection the request came over (peer certificate, PSK identity), or NULL. */
struct tls_conn *http_req_tls(const struct http_req *req);
/* Send the response (now or later: async handlers keep req and answer from another event). The
 * connection is closed after it if the request asked for that or resp->close is set. req is invalid
 * after this call, whatever it returns (-EINVAL for a bad header: a 500 is sent instead). */
int http_req_respond(struct http_req *req, const struct http_out *resp);
/* The id of the connection the request came over (stable for its life, unique per server, never 0). */
uint64_t http_req_conn_id(const struct http_req *req);
/* Set / get the user pointer of the request's connection (kept across its requests, handed to
 * cfg.on_conn_close). Borrowed: the caller keeps it valid until on_conn_close or sets it to NULL. */
void http_req_set_conn_data(struct http_req *req, void *conn_data);
void *http_req_conn_data(const struct http_req *req);
/* Called (once) if the connection goes away before http_req_respond(); req is freed afterwards. */
void http_req_set_abort_cb(struct http_req *req, void (*cb)(struct http_req *req, void *priv), void *priv);

struct http_client_cfg {
	const char *host; /* an IP address or a name (resolved when connecting) */
	uint16_t port;
	struct tls_ctx *tls; /* NULL = plain; a TLS_ROLE_CLIENT context; borrowed */
	struct http_limits limits;
	struct osmo_tdef *tdefs; /* NULL = http_tdefs */
};

/* rc 0: resp is the complete response. rc < 0: -ETIMEDOUT (X3), -ECONNREFUSED / -ECONNRESET / other
 * socket errors, -EPROTO (TLS failure: see http_client_err_str()), -EBADMSG (malformed response or
 * closed inside it), -EMSGSIZE (a limit). The callback may start the next request; it must not free
 * the client. */
typedef void (*http_client_cb)(struct http_client *cli, int rc, const struct http_msg *resp, void *priv);

struct http_client *http_client_alloc(void *ctx, const struct http_client_cfg *cfg);
void http_client_free(struct http_client *cli);
/* Send one request (a Host header is added if missing); one at a time: -EBUSY while one is in
 * flight. The connection is kept open for the next request unless either side said close. */
int http_client_request(struct http_client *cli, const struct http_out *req, http_client_cb cb, void *priv);
bool http_client_busy(const struct http_client *cli);
/* The owner of the request in flight is gone: its callback is never called (the response, if it still
 * comes in the same event-loop round, is dropped). The client stays usable. */
void http_client_forget(struct http_client *cli);
const char *http_client_err_str(const struct http_client *cli);
/* How many TCP connections this client opened so far (keep-alive reuse shows as 1). */
unsigned long http_client_num_connects(const struct http_client *cli);
