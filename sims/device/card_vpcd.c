/* vpcd backend: the device plays vsmartcard's vpcd (pcsc-lab.md §3), so the same card process that serves
 * pcscd + vpcd serves the device directly. Server mode (default): we listen, the card connects, as to vpcd.
 * Client mode: we connect to a card that listens.
 *
 * Every message is framed by dev_vpcd_frame_encode() and sent in ONE write with TCP_NODELAY; TCP_QUICKACK
 * is re-armed before every recv() (pcsc-lab pitfall 2: otherwise a card that writes length and payload
 * separately stalls each exchange by the 40 ms delayed ACK). Every read is bounded by
 * DEV_CARD_IO_TIMEOUT_MS (a hung card fails the APDU with -ETIMEDOUT, unlike pcscd). */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include "sims/device/card.h"

struct vpcd {
	int lfd; /* listening socket (server mode), -1 otherwise */
	int fd;	 /* the card connection */
};

static int read_full(int fd, uint8_t *b, size_t n)
{
	while (n) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		int one = 1;
		int rc = poll(&p, 1, DEV_CARD_IO_TIMEOUT_MS);
		if (rc == 0)
			return -ETIMEDOUT;
		if (rc < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		setsockopt(fd, IPPROTO_TCP, TCP_QUICKACK, &one, sizeof(one));
		ssize_t r = recv(fd, b, n, 0);
		if (r == 0)
			return -ECONNRESET; /* the card went away */
		if (r < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			return -errno;
		}
		b += r;
		n -= (size_t)r;
	}
	return 0;
}

static int send_frame(struct vpcd *v, const uint8_t *p, size_t n)
{
	static uint8_t buf[2 + 0xffff];
	int len = dev_vpcd_frame_encode(buf, sizeof(buf), p, n);
	if (len < 0)
		return len;
	ssize_t w = send(v->fd, buf, (size_t)len, MSG_NOSIGNAL);
	if (w != len)
		return w < 0 ? -errno : -EIO;
	return 0;
}

/* Read one frame; returns the payload length (0: card removed) or -errno. */
static int recv_frame(struct vpcd *v, uint8_t *out, size_t cap)
{
	uint8_t h[2];
	int rc = read_full(v->fd, h, 2);
	if (rc < 0)
		return rc;
	size_t n = (size_t)h[0] << 8 | h[1];
	if (n > cap) {
		/* drain and reject: the card answered more than we accept */
		uint8_t junk[256];
		while (n) {
			size_t k = n < sizeof(junk) ? n : sizeof(junk);
			if ((rc = read_full(v->fd, junk, k)) < 0)
				return rc;
			n -= k;
		}
		return -EMSGSIZE;
	}
	if (n && (rc = read_full(v->fd, out, n)) < 0)
		return rc;
	return (int)n;
}

static int ctrl(struct vpcd *v, uint8_t c)
{
	return send_frame(v, &c, 1);
}

static int get_atr(struct vpcd *v, uint8_t atr[DEV_CARD_ATR_MAX])
{
	int rc = ctrl(v, DEV_VPCD_GET_ATR);
	if (rc < 0)
		return rc;
	rc = recv_frame(v, atr, DEV_CARD_ATR_MAX);
	if (rc == 0)
		return -ENXIO; /* no card */
	return rc;
}

static int vpcd_power_on(void *priv, uint8_t atr[DEV_CARD_ATR_MAX])
{
	struct vpcd *v = priv;
	int rc = ctrl(v, DEV_VPCD_POWER_ON);
	return rc < 0 ? rc : get_atr(v, atr);
}

static int vpcd_reset(void *priv, uint8_t atr[DEV_CARD_ATR_MAX])
{
	struct vpcd *v = priv;
	int rc = ctrl(v, DEV_VPCD_RESET);
	return rc < 0 ? rc : get_atr(v, atr);
}

static int vpcd_power_off(void *priv)
{
	return ctrl(priv, DEV_VPCD_POWER_OFF);
}

static int vpcd_transmit(void *priv, const uint8_t *capdu, size_t len, uint8_t *rapdu, size_t cap)
{
	struct vpcd *v = priv;
	if (len < 2) /* a 1-byte payload would be a control byte */
		return -EINVAL;
	int rc = send_frame(v, capdu, len);
	if (rc < 0)
		return rc;
	rc = recv_frame(v, rapdu, cap);
	if (rc == 0)
		return -ENXIO;
	return rc;
}

static void vpcd_destroy(void *priv)
{
	struct vpcd *v = priv;
	if (!v)
		return;
	if (v->fd >= 0)
		close(v->fd);
	if (v->lfd >= 0)
		close(v->lfd);
	free(v);
}

const struct dev_card_ops dev_vpcd_ops = {
	.name = "vpcd",
	.power_on = vpcd_power_on,
	.reset = vpcd_reset,
	.power_off = vpcd_power_off,
	.transmit = vpcd_transmit,
	.destroy = vpcd_destroy,
};

int dev_vpcd_open(void **priv_out, const char *addr, uint16_t port, bool connect_to_card, int wait_ms)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port) };
	struct vpcd *v;
	int one = 1, rc;

	if (!priv_out || !addr || inet_pton(AF_INET, addr, &sa.sin_addr) != 1)
		return -EINVAL;
	v = calloc(1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	v->lfd = v->fd = -1;
	if (connect_to_card) {
		for (int waited = 0;; waited += 50) {
			v->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
			if (v->fd < 0) {
				rc = -errno;
				goto fail;
			}
			if (connect(v->fd, (struct sockaddr *)&sa, sizeof(sa)) == 0)
				break;
			rc = -errno;
			close(v->fd);
			v->fd = -1;
			if (waited >= wait_ms)
				goto fail;
			usleep(50000);
		}
	} else {
		v->lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (v->lfd < 0) {
			rc = -errno;
			goto fail;
		}
		setsockopt(v->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (bind(v->lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(v->lfd, 1) < 0) {
			rc = -errno;
			goto fail;
		}
		struct pollfd p = { .fd = v->lfd, .events = POLLIN };
		rc = poll(&p, 1, wait_ms);
		if (rc <= 0) {
			rc = rc == 0 ? -ETIMEDOUT : -errno;
			goto fail;
		}
		v->fd = accept4(v->lfd, NULL, NULL, SOCK_CLOEXEC);
		if (v->fd < 0) {
			rc = -errno;
			goto fail;
		}
	}
	setsockopt(v->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	*priv_out = v;
	return 0;
fail:
	vpcd_destroy(v);
	return rc;
}
