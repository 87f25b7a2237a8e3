/* Blocking, bounded I/O helpers (see net_io.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <talloc.h>

#include "harness/net_io.h"
#include "harness/net_ready.h"
#include "lib/http/http_msg.h"

int64_t net_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void net_sleep_ms(unsigned int ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000 };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* poll one fd until deadline; 1 ready, -ETIMEDOUT, -errno */
static int wait_fd(int fd, short events, int64_t deadline)
{
	for (;;) {
		int64_t left = deadline - net_now_ms();
		struct pollfd p = { .fd = fd, .events = events };
		int rc;

		if (left <= 0)
			return -ETIMEDOUT;
		rc = poll(&p, 1, (int)left);
		if (rc > 0)
			return 1;
		if (rc < 0 && errno != EINTR)
			return -errno;
	}
}

int net_tcp_connect(const char *ip, uint16_t port, int timeout_ms)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port) };
	int64_t deadline = net_now_ms() + timeout_ms;
	int fd, rc, err = 0;
	socklen_t elen = sizeof(err);

	if (inet_pton(AF_INET, ip, &sa.sin_addr) != 1)
		return -EINVAL;
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		if (errno != EINPROGRESS) {
			rc = -errno;
			goto fail;
		}
		rc = wait_fd(fd, POLLOUT, deadline);
		if (rc < 0)
			goto fail;
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen) < 0 || err) {
			rc = err ? -err : -errno;
			goto fail;
		}
	}
	/* back to blocking; every read below is guarded by poll() with a deadline */
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	return fd;
fail:
	close(fd);
	return rc;
}

int net_file_read_tail(const char *path, char *buf, size_t cap, size_t *len)
{
	struct stat st;
	size_t got = 0;
	int fd, rc = 0;

	*len = 0;
	if (cap == 0)
		return -EINVAL;
	buf[0] = '\0';
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) == 0 && (size_t)st.st_size > cap - 1)
		lseek(fd, st.st_size - (off_t)(cap - 1), SEEK_SET);
	while (got < cap - 1) {
		ssize_t r = read(fd, buf + got, cap - 1 - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			rc = -errno;
			break;
		}
		if (r == 0)
			break;
		got += (size_t)r;
	}
	close(fd);
	buf[got] = '\0';
	*len = got;
	return rc;
}

int net_file_write(const char *path, const void *data, size_t len, mode_t mode)
{
	char tmp[4096];
	size_t done = 0;
	int fd, rc = 0;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd < 0)
		return -errno;
	fchmod(fd, mode);
	while (done < len) {
		ssize_t w = write(fd, (const char *)data + done, len - done);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			rc = -errno;
			break;
		}
		done += (size_t)w;
	}
	if (close(fd) < 0 && rc == 0)
		rc = -errno;
	if (rc == 0 && rename(tmp, path) < 0)
		rc = -errno;
	if (rc < 0)
		unlink(tmp);
	return rc;
}

/* Read into v->buf until it ends with a prompt. */
static int vty_read_prompt(struct net_vty *v, int64_t deadline)
{
	for (;;) {
		ssize_t r;
		int rc;

		if (net_vty_prompt_at_end(v->buf, v->len))
			return 0;
		if (v->len >= sizeof(v->buf) - 1)
			return -EMSGSIZE;
		rc = wait_fd(v->fd, POLLIN, deadline);
		if (rc < 0)
			return rc;
		r = read(v->fd, v->buf + v->len, sizeof(v->buf) - 1 - v->len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (r == 0)
			return -ECONNRESET;
		v->len += net_telnet_strip((uint8_t *)v->buf + v->len, (size_t)r);
		v->buf[v->len] = '\0';
	}
}

int net_vty_open(struct net_vty *v, const char *ip, uint16_t port, int timeout_ms)
{
	int64_t deadline = net_now_ms() + timeout_ms;
	int rc;

	v->len = 0;
	v->fd = net_tcp_connect(ip, port, timeout_ms);
	if (v->fd < 0)
		return v->fd;
	rc = vty_read_prompt(v, deadline);
	if (rc < 0) {
		net_vty_close(v);
		return rc;
	}
	return 0;
}

int net_vty_cmd(struct net_vty *v, const char *cmd, char *out, size_t out_len, int timeout_ms)
{
	int64_t deadline = net_now_ms() + timeout_ms;
	char line[1024];
	size_t n = strlen(cmd), start, end;
	int rc;

	if (v->fd < 0 || n + 2 > sizeof(line) || out_len == 0)
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		if ((unsigned char)cmd[i] < 0x20 || cmd[i] == 0x7f)
			return -EINVAL;
	}
	memcpy(line, cmd, n);
	memcpy(line + n, "\r\n", 2);
	for (size_t done = 0; done < n + 2;) {
		ssize_t w = write(v->fd, line + done, n + 2 - done);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -errno;
		done += (size_t)w;
	}
	v->len = 0;
	rc = vty_read_prompt(v, deadline);
	if (rc < 0)
		return rc;
	/* the reply starts after the echoed command line and ends before the prompt's line */
	start = 0;
	while (start < v->len && v->buf[start] != '\n')
		start++;
	start = start < v->len ? start + 1 : 0;
	end = v->len;
	while (end > start && v->buf[end - 1] != '\n')
		end--;
	n = end - start < out_len - 1 ? end - start : out_len - 1;
	memcpy(out, v->buf + start, n);
	out[n] = '\0';
	return (int)n;
}

void net_vty_close(struct net_vty *v)
{
	if (v->fd >= 0)
		close(v->fd);
	v->fd = -1;
}

int net_http_get(const char *ip, uint16_t port, const char *target, unsigned int *status, char *body, size_t body_len,
		 int timeout_ms)
{
	int64_t deadline = net_now_ms() + timeout_ms;
	void *ctx = talloc_named_const(NULL, 0, "net_http_get");
	struct http_limits lim = { .max_body = 256 * 1024 };
	struct http_rx *rx = http_rx_alloc(ctx, false, &lim);
	char req[1024];
	int fd = -1, rc, n;

	if (!ctx || !rx || body_len == 0) {
		rc = -ENOMEM;
		goto out;
	}
	n = snprintf(req, sizeof(req), "GET %s HTTP/1.0\r\nHost: %s:%u\r\nConnection: close\r\n\r\n", target, ip, port);
	if (n < 0 || n >= (int)sizeof(req)) {
		rc = -EINVAL;
		goto out;
	}
	fd = net_tcp_connect(ip, port, timeout_ms);
	if (fd < 0) {
		rc = fd;
		goto out;
	}
	if (write(fd, req, (size_t)n) != n) {
		rc = -EIO;
		goto out;
	}
	while (!http_rx_done(rx)) {
		uint8_t buf[4096];
		ssize_t r;

		rc = wait_fd(fd, POLLIN, deadline);
		if (rc < 0)
			goto out;
		r = read(fd, buf, sizeof(buf));
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			rc = -errno;
			goto out;
		}
		if (r == 0) {
			rc = http_rx_eof(rx);
			if (rc < 0 || !http_rx_done(rx)) {
				rc = -EBADMSG;
				goto out;
			}
			break;
		}
		rc = http_rx_feed(rx, buf, (size_t)r);
		if (rc < 0)
			goto out;
	}
	{
		const struct http_msg *m = http_rx_msg(rx);
		size_t k = m->body_len < body_len - 1 ? m->body_len : body_len - 1;

		*status = m->status;
		memcpy(body, m->body, k);
		body[k] = '\0';
		rc = (int)k;
	}
out:
	if (fd >= 0)
		close(fd);
	talloc_free(ctx);
	return rc;
}
