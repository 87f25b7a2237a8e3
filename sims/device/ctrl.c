/* Control socket (see ctrl.h): line parser, event ring, and the unix-socket server on osmo_fd. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <osmocom/core/talloc.h>

#include "sims/device/ctrl.h"

const struct value_string dev_ctrl_verb_names[] = { { DEV_CTRL_POWER_ON, "power on" },
						    { DEV_CTRL_POWER_OFF, "power off" },
						    { DEV_CTRL_ATTACH, "attach" },
						    { DEV_CTRL_DETACH, "detach" },
						    { DEV_CTRL_FAULT_DROP_MT, "fault drop-mt" },
						    { DEV_CTRL_FAULT_FAIL_ATTACH, "fault fail-attach" },
						    { DEV_CTRL_FAULT_BIP_CUT, "fault bip-cut" },
						    { DEV_CTRL_FAULT_DELAY_MT, "fault delay-mt" },
						    { DEV_CTRL_FAULT_CLEAR, "fault clear" },
						    { DEV_CTRL_STATE, "state" },
						    { DEV_CTRL_EVENTS, "events" },
						    { DEV_CTRL_QUIT, "quit" },
						    { 0, NULL } };

static const struct {
	const char *w1, *w2;
	enum dev_ctrl_verb verb;
	int arg; /* 0 none, 1 required, 2 optional, 3 required + an optional address, 4 optional + an optional
		  * address (fail-attach N IMSI) */
} verbs[] = {
	{ "power", "on", DEV_CTRL_POWER_ON, 0 },
	{ "power", "off", DEV_CTRL_POWER_OFF, 0 },
	{ "attach", NULL, DEV_CTRL_ATTACH, 0 },
	{ "detach", NULL, DEV_CTRL_DETACH, 0 },
	{ "fault", "drop-mt", DEV_CTRL_FAULT_DROP_MT, 1 },
	{ "fault", "fail-attach", DEV_CTRL_FAULT_FAIL_ATTACH, 4 },
	{ "fault", "bip-cut", DEV_CTRL_FAULT_BIP_CUT, 1 },
	{ "fault", "delay-mt", DEV_CTRL_FAULT_DELAY_MT, 3 },
	{ "fault", "clear", DEV_CTRL_FAULT_CLEAR, 0 },
	{ "state", NULL, DEV_CTRL_STATE, 0 },
	{ "events", NULL, DEV_CTRL_EVENTS, 2 },
	{ "quit", NULL, DEV_CTRL_QUIT, 0 },
};

static int parse_num(const char *s, long *out)
{
	long v = 0;
	if (!*s)
		return -EINVAL;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -EINVAL;
		v = v * 10 + (*s - '0');
		if (v > DEV_CTRL_ARG_MAX)
			return -EINVAL;
	}
	*out = v;
	return 0;
}

int dev_ctrl_parse(struct dev_ctrl_cmd *out, const char *line)
{
	char buf[DEV_CTRL_LINE_MAX + 1];
	char *tok[4] = { NULL };
	unsigned int n = 0;
	char *save = NULL;

	if (!out || !line || strlen(line) > DEV_CTRL_LINE_MAX)
		return -EINVAL;
	strcpy(buf, line);
	for (char *t = strtok_r(buf, " \t\r\n", &save); t; t = strtok_r(NULL, " \t\r\n", &save)) {
		if (n == ARRAY_SIZE(tok))
			return -EINVAL;
		tok[n++] = t;
	}
	if (!n)
		return -EINVAL;
	for (size_t i = 0; i < ARRAY_SIZE(verbs); i++) {
		unsigned int k = 1;
		if (strcmp(tok[0], verbs[i].w1))
			continue;
		if (verbs[i].w2) {
			if (n < 2 || strcmp(tok[1], verbs[i].w2))
				continue;
			k = 2;
		}
		out->verb = verbs[i].verb;
		out->arg = -1;
		out->addr[0] = '\0';
		if (n == k)
			return verbs[i].arg == 1 || verbs[i].arg == 3 ? -EINVAL : 0;
		if ((verbs[i].arg == 3 || verbs[i].arg == 4) && n == k + 2) {
			size_t al = strlen(tok[k + 1]);
			if (!al || al >= sizeof(out->addr) || strspn(tok[k + 1], "0123456789") != al)
				return -EINVAL;
			memcpy(out->addr, tok[k + 1], al + 1);
		} else if (n != k + 1 || !verbs[i].arg) {
			return -EINVAL;
		}
		return parse_num(tok[k], &out->arg);
	}
	return -EINVAL;
}

void dev_ctrl_event_add(struct dev_ctrl_events *ev, const char *text)
{
	char *l = ev->line[ev->seq % DEV_CTRL_EVENTS_KEPT];
	size_t i;
	/* one line per event: no control characters */
	for (i = 0; text[i] && i < sizeof(ev->line[0]) - 1; i++)
		l[i] = (text[i] < 0x20 || text[i] == 0x7f) ? ' ' : text[i];
	l[i] = '\0';
	ev->seq++;
}

unsigned int dev_ctrl_events_print(const struct dev_ctrl_events *ev, long n, char *out, size_t cap)
{
	unsigned long kept = ev->seq < DEV_CTRL_EVENTS_KEPT ? ev->seq : DEV_CTRL_EVENTS_KEPT;
	unsigned long want = (n <= 0 || (unsigned long)n > kept) ? kept : (unsigned long)n;
	unsigned int printed = 0;
	size_t o = strlen(out);

	for (unsigned long s = ev->seq - want; s < ev->seq; s++) {
		int k = snprintf(out + o, cap - o, "EV %lu %s\n", s + 1, ev->line[s % DEV_CTRL_EVENTS_KEPT]);
		if (k < 0 || (size_t)k >= cap - o)
			break;
		o += (size_t)k;
		printed++;
	}
	return printed;
}

/* --- server ---------------------------------------------------------------------------------------------- */
struct ctrl_conn {
	struct osmo_fd ofd;
	struct dev_ctrl_srv *srv;
	char buf[DEV_CTRL_LINE_MAX + 2];
	size_t len;
};

static void conn_close(struct ctrl_conn *c)
{
	osmo_fd_unregister(&c->ofd);
	close(c->ofd.fd);
	talloc_free(c);
}

static int conn_cb(struct osmo_fd *ofd, unsigned int what)
{
	struct ctrl_conn *c = ofd->data;
	static char reply[32768];
	ssize_t r = read(ofd->fd, c->buf + c->len, sizeof(c->buf) - 1 - c->len);

	if (r <= 0) {
		conn_close(c);
		return 0;
	}
	c->len += (size_t)r;
	c->buf[c->len] = '\0';
	for (;;) {
		char *nl = strchr(c->buf, '\n');
		struct dev_ctrl_cmd cmd;
		if (!nl) {
			if (c->len >= sizeof(c->buf) - 1) { /* a line longer than allowed: reject and drop it */
				static const char err[] = "ERR line too long\n";
				if (write(ofd->fd, err, sizeof(err) - 1) < 0)
					break;
				c->len = 0;
			}
			break;
		}
		*nl = '\0';
		reply[0] = '\0';
		if (dev_ctrl_parse(&cmd, c->buf) < 0) {
			snprintf(reply, sizeof(reply), "ERR bad request\n");
		} else if (cmd.verb == DEV_CTRL_QUIT) {
			static const char ok[] = "OK bye\n";
			if (write(ofd->fd, ok, sizeof(ok) - 1) < 0)
				break;
			conn_close(c);
			return 0;
		} else {
			c->srv->exec(c->srv->priv, &cmd, reply, sizeof(reply));
		}
		size_t rl = strlen(reply), off = 0;
		while (off < rl) { /* replies are small; the harness reads them at once */
			ssize_t w = write(ofd->fd, reply + off, rl - off);
			if (w <= 0)
				break;
			off += (size_t)w;
		}
		size_t used = (size_t)(nl - c->buf) + 1;
		memmove(c->buf, nl + 1, c->len - used + 1);
		c->len -= used;
	}
	return 0;
}

static int accept_cb(struct osmo_fd *lfd, unsigned int what)
{
	struct dev_ctrl_srv *srv = lfd->data;
	int fd = accept4(lfd->fd, NULL, NULL, SOCK_CLOEXEC);
	if (fd < 0)
		return 0;
	struct ctrl_conn *c = talloc_zero(srv->ctx, struct ctrl_conn);
	c->srv = srv;
	osmo_fd_setup(&c->ofd, fd, OSMO_FD_READ, conn_cb, c, 0);
	if (osmo_fd_register(&c->ofd) < 0) {
		close(fd);
		talloc_free(c);
	}
	return 0;
}

int dev_ctrl_srv_open(struct dev_ctrl_srv *srv, void *ctx, const char *path, dev_ctrl_exec_cb exec, void *priv)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	if (!srv || !path || strlen(path) >= sizeof(sa.sun_path) || !exec)
		return -EINVAL;
	memset(srv, 0, sizeof(*srv));
	OSMO_STRLCPY_ARRAY(srv->path, path);
	strcpy(sa.sun_path, path);
	srv->exec = exec;
	srv->priv = priv;
	srv->ctx = ctx;
	unlink(path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 4) < 0) {
		int e = -errno;
		close(fd);
		return e;
	}
	osmo_fd_setup(&srv->lfd, fd, OSMO_FD_READ, accept_cb, srv, 0);
	if (osmo_fd_register(&srv->lfd) < 0) {
		close(fd);
		return -EIO;
	}
	return 0;
}

void dev_ctrl_srv_close(struct dev_ctrl_srv *srv)
{
	if (!srv || srv->lfd.fd <= 0)
		return;
	osmo_fd_unregister(&srv->lfd);
	close(srv->lfd.fd);
	srv->lfd.fd = -1;
	unlink(srv->path);
}
