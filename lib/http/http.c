/* HTTP/1.1 server and client connections on osmo_select_main (see http.h).
 *
 * One struct http_conn per TCP connection, for both roles. Everything happens in conn_pump(), run
 * after every fd event, timer and API call that changes state:
 *
 *   connect done? -> TLS handshake (feed socket bytes into the pipe until done) -> plaintext output
 *   into TLS -> flush wire bytes -> read + parse (server: while no request is being handled; client:
 *   always, to notice a server closing an idle connection) -> dispatch complete messages -> flush
 *
 * The osmo_fd `when` mask is then recomputed: READ while we want bytes (parsing, or the TLS pipe
 * wants input during the handshake), WRITE while wire bytes are pending or a connect is in progress.
 * User callbacks run inside the pump; a connection closed meanwhile is only marked dead and freed when
 * the pump unwinds. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <osmocom/core/linuxlist.h>
#include <osmocom/core/select.h>
#include <osmocom/core/socket.h>
#include <osmocom/core/timer.h>
#include <talloc.h>

#include "lib/http/http.h"

#define IO_CHUNK 16384

struct osmo_tdef http_tdefs[] = { { .T = HTTP_T_IDLE,
				    .default_val = 60,
				    .val = 60,
				    .unit = OSMO_TDEF_S,
				    .desc = "HTTP: close an idle keep-alive connection" },
				  { .T = HTTP_T_REQUEST,
				    .default_val = 30,
				    .val = 30,
				    .unit = OSMO_TDEF_S,
				    .desc = "HTTP server: receive a request and queue its response" },
				  { .T = HTTP_T_RESPONSE,
				    .default_val = 30,
				    .val = 30,
				    .unit = OSMO_TDEF_S,
				    .desc = "HTTP client: connect, send a request and receive its response" },
				  {} };

const struct value_string http_conn_end_names[] = {
	{ HTTP_CONN_END_PEER, "closed by the peer" },
	{ HTTP_CONN_END_IDLE, "idle timeout" },
	{ HTTP_CONN_END_TIMEOUT, "request timeout" },
	{ HTTP_CONN_END_ERROR, "error" },
	{ HTTP_CONN_END_DONE, "closed after the response" },
	{ HTTP_CONN_END_SHUTDOWN, "server shut down" },
	{ 0, NULL },
};

struct http_conn {
	struct http_server *srv;
	struct http_client *cli; /* NULL once detached from its client */
	bool is_client;
	struct llist_head list;
	struct osmo_fd ofd;
	struct tls_conn *tls;
	struct http_rx *rx;
	struct http_buf plain; /* TLS: plaintext queued before the handshake completed */
	struct http_buf out;   /* bytes for the socket */
	size_t out_off;
	uint8_t in[IO_CHUNK]; /* plaintext received, not yet parsed */
	size_t in_len, in_off;
	struct osmo_timer_list t_idle, t_req;
	bool connecting, eof, close_after_flush, in_pump, pump_again, dead;
	struct http_req *req;
	uint64_t id;		/* server: connection id */
	void *data;		/* server: the user's pointer (borrowed) */
	enum http_conn_end end; /* server: the first cause of closing, 0 = none yet */
};

struct http_req {
	struct http_conn *conn;
	const struct http_msg *msg;
	void (*abort_cb)(struct http_req *req, void *priv);
	void *abort_priv;
};

struct http_server {
	struct http_server_cfg cfg;
	struct osmo_fd lfd;
	uint16_t port;
	struct llist_head conns;
	uint64_t next_conn_id;
	struct http_server_stats stats;
	char last_err[300];
};

struct http_client {
	struct http_client_cfg cfg;
	struct http_conn *conn;
	bool in_flight, head;
	http_client_cb cb;
	void *priv;
	struct osmo_timer_list t_resp;
	unsigned long connects;
	char err[300];
};

static void conn_pump(struct http_conn *c);
static void conn_close(struct http_conn *c);

static struct osmo_tdef *conn_tdefs(const struct http_conn *c)
{
	struct osmo_tdef *t = c->is_client ? (c->cli ? c->cli->cfg.tdefs : NULL) : c->srv->cfg.tdefs;
	return t ? t : http_tdefs;
}

static void timer_start(struct osmo_timer_list *t, struct osmo_tdef *tdefs, int T)
{
	unsigned long ms = osmo_tdef_get(tdefs, T, OSMO_TDEF_MS, 30000);
	osmo_timer_schedule(t, (int)(ms / 1000), (int)(ms % 1000) * 1000);
}

/* Record why a server connection will close (the first cause wins). */
static void conn_set_end(struct http_conn *c, enum http_conn_end why)
{
	if (!c->is_client && !c->end)
		c->end = why;
}

/* ---- connection core ---------------------------------------------------------------------------- */

static int conn_destructor(struct http_conn *c)
{
	osmo_timer_del(&c->t_idle);
	osmo_timer_del(&c->t_req);
	if (c->ofd.fd >= 0) {
		osmo_fd_unregister(&c->ofd);
		close(c->ofd.fd);
		c->ofd.fd = -1;
	}
	if (!c->is_client)
		llist_del(&c->list);
	return 0;
}

static int conn_fd_cb(struct osmo_fd *ofd, unsigned int what);
static void conn_idle_cb(void *data);
static void conn_req_cb(void *data);

static struct http_conn *conn_alloc(void *ctx, int fd, struct tls_ctx *tls, bool client, const struct http_limits *lim)
{
	struct http_conn *c = talloc_zero(ctx, struct http_conn);
	int one = 1;

	if (!c)
		return NULL;
	c->ofd.fd = -1;
	c->is_client = client;
	INIT_LLIST_HEAD(&c->list);
	talloc_set_destructor(c, conn_destructor);
	osmo_timer_setup(&c->t_idle, conn_idle_cb, c);
	osmo_timer_setup(&c->t_req, conn_req_cb, c);
	c->rx = http_rx_alloc(c, !client, lim);
	if (tls)
		c->tls = tls_conn_alloc(c, tls);
	if (!c->rx || (tls && !c->tls)) {
		talloc_free(c);
		return NULL;
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	osmo_fd_setup(&c->ofd, fd, OSMO_FD_READ, conn_fd_cb, c, 0);
	if (osmo_fd_register(&c->ofd) < 0) {
		c->ofd.fd = -1;
		talloc_free(c);
		return NULL;
	}
	return c;
}

/* Queue application bytes (a whole encoded message). */
static int conn_queue(struct http_conn *c, const uint8_t *data, size_t len)
{
	if (!c->tls)
		return http_buf_append(c, &c->out, data, len);
	if (tls_conn_handshake_done(c->tls) && c->plain.len == 0) {
		ssize_t n = tls_conn_write(c->tls, data, len);
		return n == (ssize_t)len ? 0 : -EPROTO;
	}
	return http_buf_append(c, &c->plain, data, len);
}

static int conn_move_tls_out(struct http_conn *c)
{
	uint8_t tmp[IO_CHUNK];
	size_t n;

	if (!c->tls)
		return 0;
	while ((n = tls_conn_take(c->tls, tmp, sizeof(tmp))) > 0) {
		if (http_buf_append(c, &c->out, tmp, n) < 0)
			return -ENOMEM;
	}
	return 0;
}

/* Write pending wire bytes: 0 (all written or the socket is full) or a negative errno. */
static int conn_flush(struct http_conn *c)
{
	int rc = conn_move_tls_out(c);

	if (rc < 0)
		return rc;
	while (c->out_off < c->out.len) {
		ssize_t n = send(c->ofd.fd, c->out.data + c->out_off, c->out.len - c->out_off, MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
				return 0;
			return -errno;
		}
		c->out_off += (size_t)n;
	}
	c->out_off = c->out.len = 0;
	return 0;
}

static bool conn_out_pending(struct http_conn *c)
{
	return c->out_off < c->out.len || (c->tls && tls_conn_out_pending(c->tls) > 0);
}

/* Receive ciphertext into the TLS pipe: 1 if bytes came, 0 on EOF, -EAGAIN, or a negative errno. */
static int conn_recv_tls(struct http_conn *c)
{
	uint8_t tmp[IO_CHUNK];
	ssize_t r = recv(c->ofd.fd, tmp, sizeof(tmp), 0);

	if (r > 0)
		return tls_conn_feed(c->tls, tmp, (size_t)r) < 0 ? -ENOMEM : 1;
	if (r == 0)
		return 0;
	if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
		return -EAGAIN;
	return -errno;
}

/* Read plaintext: > 0 bytes, 0 on EOF (or TLS close_notify), -EAGAIN, or a negative errno. */
static ssize_t conn_read(struct http_conn *c, uint8_t *buf, size_t len)
{
	if (!c->tls) {
		ssize_t n = recv(c->ofd.fd, buf, len, 0);
		if (n >= 0)
			return n;
		if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
			return -EAGAIN;
		return -errno;
	}
	for (;;) {
		ssize_t n = tls_conn_read(c->tls, buf, len);
		int r;
		if (n != -EAGAIN)
			return n;
		r = conn_recv_tls(c);
		if (r <= 0)
			return r;
	}
}

/* ---- server side -------------------------------------------------------------------------------- */

static void srv_error(struct http_server *srv, int err, const char *prefix, const char *reason)
{
	snprintf(srv->last_err, sizeof(srv->last_err), "%s%s", prefix, reason);
	if (srv->cfg.on_error)
		srv->cfg.on_error(srv, err, srv->last_err, srv->cfg.priv);
}

/* Answer with an error status and close (limits, timeouts, no route). */
static void srv_reply_status(struct http_conn *c, unsigned int status, const char *text, bool close)
{
	struct http_header h[] = { { "Content-Type", "text/plain" } };
	struct http_out o = { .status = status,
			      .hdr = h,
			      .num_hdr = 1,
			      .body = (const uint8_t *)text,
			      .body_len = strlen(text),
			      .close = close };
	struct http_buf b = { 0 };

	if (http_out_encode(c, &b, &o, false) == 0)
		conn_queue(c, b.data, b.len);
	talloc_free(b.data);
	if (close)
		c->close_after_flush = true;
}

static void req_abort(struct http_conn *c)
{
	struct http_req *req = c->req;

	if (!req)
		return;
	c->req = NULL;
	c->srv->stats.aborted++;
	if (req->abort_cb)
		req->abort_cb(req, req->abort_priv);
	talloc_free(req);
}

static void srv_dispatch(struct http_conn *c)
{
	struct http_server *srv = c->srv;
	const struct http_msg *msg = http_rx_msg(c->rx);
	size_t plen = strcspn(msg->url, "?#");
	const struct http_route *route = NULL;
	struct http_req *req;

	srv->stats.requests++;
	for (size_t i = 0; i < srv->cfg.num_routes; i++) {
		const struct http_route *r = &srv->cfg.routes[i];
		size_t rl = strlen(r->path);
		if (r->prefix ? (plen >= rl && !strncmp(msg->url, r->path, rl))
			      : (plen == rl && !strncmp(msg->url, r->path, rl))) {
			route = r;
			break;
		}
	}
	req = talloc_zero(c, struct http_req);
	if (!req) {
		conn_set_end(c, HTTP_CONN_END_ERROR);
		srv_reply_status(c, 503, "out of memory\n", true);
		return;
	}
	req->conn = c;
	req->msg = msg;
	c->req = req;
	if (!route) {
		struct http_out o = { .status = 404, .body = (const uint8_t *)"no such path\n", .body_len = 13 };
		http_req_respond(req, &o);
		return;
	}
	route->cb(req, route->priv);
}

const struct http_msg *http_req_msg(const struct http_req *req)
{
	return req->msg;
}

struct tls_conn *http_req_tls(const struct http_req *req)
{
	return req->conn->tls;
}

uint64_t http_req_conn_id(const struct http_req *req)
{
	return req->conn->id;
}

void http_req_set_conn_data(struct http_req *req, void *conn_data)
{
	req->conn->data = conn_data;
}

void *http_req_conn_data(const struct http_req *req)
{
	return req->conn->data;
}

void http_req_set_abort_cb(struct http_req *req, void (*cb)(struct http_req *req, void *priv), void *priv)
{
	req->abort_cb = cb;
	req->abort_priv = priv;
}

int http_req_respond(struct http_req *req, const struct http_out *resp)
{
	struct http_conn *c = req->conn;
	struct http_out o = *resp;
	struct http_buf b = { 0 };
	int rc;

	o.close = resp->close || !req->msg->keep_alive;
	rc = http_out_encode(c, &b, &o, false);
	if (rc < 0) {
		struct http_out err = { .status = 500, .close = o.close };
		b.len = 0;
		http_out_encode(c, &b, &err, false);
	}
	conn_queue(c, b.data, b.len);
	talloc_free(b.data);
	osmo_timer_del(&c->t_req);
	c->srv->stats.responses++;
	c->req = NULL;
	talloc_free(req);
	if (o.close) {
		conn_set_end(c, HTTP_CONN_END_DONE);
		c->close_after_flush = true;
	} else {
		http_rx_next(c->rx);
		timer_start(&c->t_idle, conn_tdefs(c), HTTP_T_IDLE);
	}
	conn_pump(c);
	return rc;
}

static void srv_rx_error(struct http_conn *c)
{
	enum http_rx_err e = http_rx_error(c->rx);
	char text[80];

	c->srv->stats.rejected++;
	conn_set_end(c, HTTP_CONN_END_ERROR);
	osmo_timer_del(&c->t_req);
	snprintf(text, sizeof(text), "%s\n", get_value_string(http_rx_err_names, e));
	srv_reply_status(c, http_rx_err_status(e), text, true);
	srv_error(c->srv, -EBADMSG, "HTTP: ", get_value_string(http_rx_err_names, e));
}

static void conn_idle_cb(void *data)
{
	struct http_conn *c = data;

	if (c->is_client) {
		if (c->cli && c->cli->conn == c)
			c->cli->conn = NULL;
		c->cli = NULL;
	} else {
		c->srv->stats.idle_timeouts++;
		conn_set_end(c, HTTP_CONN_END_IDLE);
	}
	conn_close(c);
}

static void conn_req_cb(void *data)
{
	struct http_conn *c = data;

	c->srv->stats.request_timeouts++;
	conn_set_end(c, HTTP_CONN_END_TIMEOUT);
	if (c->req) {
		req_abort(c);
		srv_reply_status(c, 503, "request timed out in the handler\n", true);
	} else {
		srv_reply_status(c, 408, "request timeout\n", true);
	}
	srv_error(c->srv, -ETIMEDOUT, "HTTP: ", "request timeout");
	conn_pump(c);
}

/* ---- client side -------------------------------------------------------------------------------- */

static void cli_finish(struct http_client *cli, int rc, const struct http_msg *msg)
{
	http_client_cb cb = cli->cb;

	cli->in_flight = false;
	osmo_timer_del(&cli->t_resp);
	if (cb)
		cb(cli, rc, msg, cli->priv);
}

/* Fail the request in flight on this connection (if any) and detach. */
static void conn_fail(struct http_conn *c, int err, const char *reason)
{
	if (c->is_client) {
		struct http_client *cli = c->cli;
		if (cli) {
			if (cli->conn == c)
				cli->conn = NULL;
			c->cli = NULL;
			if (cli->in_flight) {
				snprintf(cli->err, sizeof(cli->err), "%s", reason);
				cli_finish(cli, err, NULL);
			}
		}
	} else {
		conn_set_end(c, err == -ECONNRESET || err == -EPIPE ? HTTP_CONN_END_PEER : HTTP_CONN_END_ERROR);
		if (err == -EPROTO)
			c->srv->stats.tls_failures++;
		srv_error(c->srv, err, "", reason);
	}
	conn_close(c);
}

static void cli_dispatch(struct http_conn *c)
{
	struct http_client *cli = c->cli;
	const struct http_msg *msg = http_rx_msg(c->rx);
	bool keep = msg->keep_alive;

	if (!cli || !cli->in_flight) { /* a response nobody asked for */
		conn_fail(c, -EBADMSG, "HTTP: unsolicited response");
		return;
	}
	if (!keep) {
		cli->conn = NULL;
		c->cli = NULL;
		c->close_after_flush = true;
	}
	cli->err[0] = '\0';
	cli_finish(cli, 0, msg);
	if (c->dead)
		return;
	http_rx_next(c->rx);
	if (c->cli && c->cli->in_flight && c->cli->head)
		http_rx_expect_no_body(c->rx);
	if (keep && c->cli && !c->cli->in_flight)
		timer_start(&c->t_idle, conn_tdefs(c), HTTP_T_IDLE);
}

static void cli_timeout_cb(void *data)
{
	struct http_client *cli = data;
	struct http_conn *c = cli->conn;

	if (!cli->in_flight)
		return;
	if (c) {
		cli->conn = NULL;
		c->cli = NULL;
		conn_close(c);
	}
	snprintf(cli->err, sizeof(cli->err), "HTTP: response timeout");
	cli_finish(cli, -ETIMEDOUT, NULL);
}

/* ---- the pump ----------------------------------------------------------------------------------- */

static bool conn_wants_parse(const struct http_conn *c)
{
	if (c->eof || c->close_after_flush || c->dead)
		return false;
	return c->is_client ? true : c->req == NULL;
}

static void conn_handle_eof(struct http_conn *c)
{
	int rc;

	c->eof = true;
	conn_set_end(c, HTTP_CONN_END_PEER);
	if (c->tls && !tls_conn_handshake_done(c->tls)) {
		tls_conn_transport_closed(c->tls);
		conn_fail(c, -EPROTO, tls_conn_err_str(c->tls));
		return;
	}
	rc = http_rx_eof(c->rx);
	if (c->is_client) {
		if (c->cli && c->cli->in_flight) {
			if (rc == 0 && http_rx_done(c->rx)) {
				cli_dispatch(c);
				if (!c->dead)
					conn_close(c);
				return;
			}
			conn_fail(c, http_rx_started(c->rx) ? -EBADMSG : -ECONNRESET,
				  http_rx_started(c->rx) ? "HTTP: connection closed inside the response"
							 : "HTTP: connection closed by the server");
			return;
		}
		conn_fail(c, 0, "");
		return;
	}
	/* server: a request still being handled is answered, then the connection closes */
	if (c->req)
		c->close_after_flush = true;
	else
		conn_close(c);
}

static bool conn_handshake(struct http_conn *c)
{
	for (int i = 0; i < 64; i++) {
		int rc = tls_conn_handshake(c->tls), r;
		if (rc == 0)
			return true;
		if (rc == -EPROTO) {
			char reason[300];
			conn_flush(c); /* best effort: let the peer see our alert */
			snprintf(reason, sizeof(reason), "TLS: %s", tls_conn_err_str(c->tls));
			conn_fail(c, -EPROTO, reason);
			return false;
		}
		if (conn_flush(c) < 0) {
			conn_fail(c, -ECONNRESET, "TLS: send failed during the handshake");
			return false;
		}
		r = conn_recv_tls(c);
		if (r == -EAGAIN)
			return false;
		if (r == 0) {
			conn_handle_eof(c);
			return false;
		}
		if (r < 0) {
			conn_fail(c, r, "TLS: receive failed during the handshake");
			return false;
		}
	}
	return false;
}

static void conn_step(struct http_conn *c)
{
	int rc;

	if (c->connecting)
		return;
	if (c->tls && !tls_conn_handshake_done(c->tls)) {
		if (!conn_handshake(c))
			return;
	}
	if (c->tls && c->plain.len) {
		ssize_t n = tls_conn_write(c->tls, c->plain.data, c->plain.len);
		c->plain.len = 0;
		if (n < 0) {
			conn_fail(c, -EPROTO, "TLS: write failed");
			return;
		}
	}
	rc = conn_flush(c);
	if (rc < 0) {
		conn_fail(c, rc, "send failed");
		return;
	}
	while (conn_wants_parse(c)) {
		ssize_t n;
		if (c->in_off < c->in_len) {
			rc = http_rx_feed(c->rx, c->in + c->in_off, c->in_len - c->in_off);
			if (rc < 0) {
				if (c->is_client)
					conn_fail(c, rc, get_value_string(http_rx_err_names, http_rx_error(c->rx)));
				else
					srv_rx_error(c);
				break;
			}
			c->in_off += (size_t)rc;
			if (http_rx_started(c->rx)) {
				if (c->is_client && !(c->cli && c->cli->in_flight)) {
					conn_fail(c, -EBADMSG, "HTTP: bytes from the server without a request");
					break;
				}
				if (!c->is_client && !osmo_timer_pending(&c->t_req)) {
					osmo_timer_del(&c->t_idle);
					timer_start(&c->t_req, conn_tdefs(c), HTTP_T_REQUEST);
				}
			}
			if (http_rx_done(c->rx)) {
				if (c->is_client)
					cli_dispatch(c);
				else
					srv_dispatch(c);
			}
			continue;
		}
		c->in_off = c->in_len = 0;
		n = conn_read(c, c->in, sizeof(c->in));
		if (n > 0) {
			c->in_len = (size_t)n;
			continue;
		}
		if (n == -EAGAIN)
			break;
		if (n == 0) {
			conn_handle_eof(c);
			break;
		}
		conn_fail(c, (int)n, n == -EPROTO && c->tls ? tls_conn_err_str(c->tls) : "receive failed");
		break;
	}
	if (c->dead)
		return;
	rc = conn_flush(c);
	if (rc < 0) {
		conn_fail(c, rc, "send failed");
		return;
	}
	if (c->close_after_flush && !conn_out_pending(c))
		conn_close(c);
}

static void conn_update_when(struct http_conn *c)
{
	unsigned int when = 0;

	if (c->connecting || conn_out_pending(c))
		when |= OSMO_FD_WRITE;
	if (!c->connecting && (conn_wants_parse(c) || (c->tls && !tls_conn_handshake_done(c->tls))))
		when |= OSMO_FD_READ;
	osmo_fd_update_when(&c->ofd, 0, when);
}

static void conn_free_now(struct http_conn *c)
{
	talloc_free(c);
}

static void conn_pump(struct http_conn *c)
{
	if (c->in_pump) {
		c->pump_again = true;
		return;
	}
	c->in_pump = true;
	do {
		c->pump_again = false;
		conn_step(c);
	} while (c->pump_again && !c->dead);
	c->in_pump = false;
	if (c->dead) {
		conn_free_now(c);
		return;
	}
	conn_update_when(c);
}

static void conn_close(struct http_conn *c)
{
	if (c->dead)
		return;
	if (!c->is_client)
		req_abort(c);
	else if (c->cli && c->cli->conn == c)
		c->cli->conn = NULL;
	c->dead = true;
	osmo_timer_del(&c->t_idle);
	osmo_timer_del(&c->t_req);
	if (!c->is_client)
		llist_del_init(&c->list); /* no longer counted or reached by http_server_free() */
	if (!c->is_client && c->srv->cfg.on_conn_close) {
		void *data = c->data;

		c->data = NULL;
		c->srv->cfg.on_conn_close(c->srv, c->id, data, c->end ? c->end : HTTP_CONN_END_DONE, c->srv->cfg.priv);
	}
	if (!c->in_pump)
		conn_free_now(c);
}

static int conn_fd_cb(struct osmo_fd *ofd, unsigned int what)
{
	struct http_conn *c = ofd->data;

	if (c->connecting) {
		int err = 0;
		socklen_t len = sizeof(err);
		if (!(what & OSMO_FD_WRITE))
			return 0;
		if (getsockopt(ofd->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
			err = errno;
		c->connecting = false;
		if (err) {
			char reason[120];
			snprintf(reason, sizeof(reason), "connect: %s", strerror(err));
			c->in_pump = true;
			conn_fail(c, -err, reason);
			c->in_pump = false;
			conn_free_now(c);
			return 0;
		}
	}
	conn_pump(c);
	return 0;
}

/* ---- server API --------------------------------------------------------------------------------- */

static int srv_accept_cb(struct osmo_fd *ofd, unsigned int what)
{
	struct http_server *srv = ofd->data;

	for (int i = 0; i < 64; i++) {
		int fd = accept4(ofd->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		struct http_conn *c;
		if (fd < 0)
			break;
		c = conn_alloc(srv, fd, srv->cfg.tls, false, &srv->cfg.limits);
		if (!c) {
			close(fd);
			continue;
		}
		c->srv = srv;
		c->id = ++srv->next_conn_id;
		llist_add_tail(&c->list, &srv->conns);
		srv->stats.accepted++;
		timer_start(&c->t_idle, conn_tdefs(c), HTTP_T_IDLE);
		conn_pump(c);
	}
	return 0;
}

static int srv_destructor(struct http_server *srv)
{
	/* conn_close() unlinks the connection, whatever the close callbacks do meanwhile */
	while (!llist_empty(&srv->conns)) {
		struct http_conn *c = llist_first_entry(&srv->conns, struct http_conn, list);

		conn_set_end(c, HTTP_CONN_END_SHUTDOWN);
		conn_close(c);
	}
	if (srv->lfd.fd >= 0) {
		osmo_fd_unregister(&srv->lfd);
		close(srv->lfd.fd);
	}
	return 0;
}

struct http_server *http_server_alloc(void *ctx, const struct http_server_cfg *cfg)
{
	struct http_server *srv = talloc_zero(ctx, struct http_server);
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	int fd;

	if (!srv)
		return NULL;
	srv->cfg = *cfg;
	srv->lfd.fd = -1;
	INIT_LLIST_HEAD(&srv->conns);
	talloc_set_destructor(srv, srv_destructor);
	fd = osmo_sock_init2(AF_UNSPEC, SOCK_STREAM, IPPROTO_TCP, cfg->addr, cfg->port, NULL, 0,
			     OSMO_SOCK_F_BIND | OSMO_SOCK_F_NONBLOCK);
	if (fd < 0 || listen(fd, 64) < 0 || getsockname(fd, (struct sockaddr *)&ss, &sl) < 0) {
		int e = errno ? errno : EADDRNOTAVAIL;
		if (fd >= 0)
			close(fd);
		talloc_free(srv);
		errno = e;
		return NULL;
	}
	srv->port = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
						   : ((struct sockaddr_in *)&ss)->sin_port);
	osmo_fd_setup(&srv->lfd, fd, OSMO_FD_READ, srv_accept_cb, srv, 0);
	if (osmo_fd_register(&srv->lfd) < 0) {
		close(fd);
		srv->lfd.fd = -1;
		talloc_free(srv);
		return NULL;
	}
	return srv;
}

void http_server_free(struct http_server *srv)
{
	talloc_free(srv);
}

uint16_t http_server_port(const struct http_server *srv)
{
	return srv->port;
}

const struct http_server_stats *http_server_stats(const struct http_server *srv)
{
	return &srv->stats;
}

const char *http_server_last_error(const struct http_server *srv)
{
	return srv->last_err;
}

unsigned int http_server_num_conns(const struct http_server *srv)
{
	return llist_count(&srv->conns);
}

/* ---- client API --------------------------------------------------------------------------------- */

static int cli_destructor(struct http_client *cli)
{
	osmo_timer_del(&cli->t_resp);
	if (cli->conn) {
		struct http_conn *c = cli->conn;
		cli->conn = NULL;
		c->cli = NULL;
		conn_close(c);
	}
	return 0;
}

struct http_client *http_client_alloc(void *ctx, const struct http_client_cfg *cfg)
{
	struct http_client *cli = talloc_zero(ctx, struct http_client);

	if (!cli)
		return NULL;
	cli->cfg = *cfg;
	cli->cfg.host = talloc_strdup(cli, cfg->host);
	if (!cli->cfg.host) {
		talloc_free(cli);
		return NULL;
	}
	osmo_timer_setup(&cli->t_resp, cli_timeout_cb, cli);
	talloc_set_destructor(cli, cli_destructor);
	return cli;
}

void http_client_forget(struct http_client *cli)
{
	if (!cli)
		return;
	cli->cb = NULL;
	cli->priv = NULL;
}

void http_client_free(struct http_client *cli)
{
	talloc_free(cli);
}

static int cli_connect(struct http_client *cli)
{
	struct http_conn *c;
	int fd = osmo_sock_init2(AF_UNSPEC, SOCK_STREAM, IPPROTO_TCP, NULL, 0, cli->cfg.host, cli->cfg.port,
				 OSMO_SOCK_F_CONNECT | OSMO_SOCK_F_NONBLOCK);

	if (fd < 0) {
		snprintf(cli->err, sizeof(cli->err), "connect to %s:%u failed", cli->cfg.host, cli->cfg.port);
		return -ECONNREFUSED;
	}
	c = conn_alloc(cli, fd, cli->cfg.tls, true, &cli->cfg.limits);
	if (!c) {
		close(fd);
		return -ENOMEM;
	}
	c->cli = cli;
	c->connecting = true;
	osmo_fd_update_when(&c->ofd, 0, OSMO_FD_WRITE);
	cli->conn = c;
	cli->connects++;
	return 0;
}

int http_client_request(struct http_client *cli, const struct http_out *req, http_client_cb cb, void *priv)
{
	struct http_out o = *req;
	struct http_header *h;
	struct http_buf b = { 0 };
	bool has_host = false;
	char host[300];
	int rc;

	if (cli->in_flight)
		return -EBUSY;
	for (size_t i = 0; i < req->num_hdr; i++)
		has_host |= req->hdr[i].name && !strcasecmp(req->hdr[i].name, "Host");
	h = talloc_array(cli, struct http_header, req->num_hdr + 1);
	if (!h)
		return -ENOMEM;
	if (req->num_hdr)
		memcpy(h, req->hdr, req->num_hdr * sizeof(*h));
	if (!has_host) {
		snprintf(host, sizeof(host), strchr(cli->cfg.host, ':') ? "[%s]:%u" : "%s:%u", cli->cfg.host,
			 cli->cfg.port);
		h[req->num_hdr] = (struct http_header){ "Host", host };
		o.num_hdr++;
	}
	o.hdr = h;
	rc = http_out_encode(cli, &b, &o, true);
	talloc_free(h);
	if (rc < 0)
		return rc;
	if (cli->conn && !cli->conn->connecting) {
		/* A kept-alive connection the server has closed (or sent anything on) meanwhile is not
		 * reused: peek before writing, so the idle race costs a reconnect, not a failed request. */
		char peek;
		ssize_t r = recv(cli->conn->ofd.fd, &peek, 1, MSG_PEEK | MSG_DONTWAIT);
		if (r >= 0 || (errno != EAGAIN && errno != EWOULDBLOCK)) {
			struct http_conn *c = cli->conn;
			cli->conn = NULL;
			c->cli = NULL;
			conn_close(c);
		}
	}
	if (!cli->conn) {
		rc = cli_connect(cli);
		if (rc < 0) {
			talloc_free(b.data);
			return rc;
		}
	}
	rc = conn_queue(cli->conn, b.data, b.len);
	talloc_free(b.data);
	if (rc < 0)
		return rc;
	cli->in_flight = true;
	cli->cb = cb;
	cli->priv = priv;
	cli->head = !strcasecmp(req->method, "HEAD");
	cli->err[0] = '\0';
	osmo_timer_del(&cli->conn->t_idle);
	if (cli->head && !http_rx_done(cli->conn->rx))
		http_rx_expect_no_body(cli->conn->rx);
	timer_start(&cli->t_resp, cli->cfg.tdefs ? cli->cfg.tdefs : http_tdefs, HTTP_T_RESPONSE);
	if (!cli->conn->connecting)
		conn_pump(cli->conn);
	return 0;
}

bool http_client_busy(const struct http_client *cli)
{
	return cli->in_flight;
}

const char *http_client_err_str(const struct http_client *cli)
{
	return cli->err;
}

unsigned long http_client_num_connects(const struct http_client *cli)
{
	return cli->connects;
}
