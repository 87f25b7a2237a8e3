/* sims/euicc: vpcd framing and the TCP connection of one card (vpcd.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <osmocom/core/select.h>
#include <osmocom/core/timer.h>

#include "sims/euicc/vpcd.h"

int euicc_vpcd_process(struct euicc_card *c, const uint8_t *in, size_t len, uint8_t *out, size_t cap, size_t *out_len)
{
	size_t pos = 0;

	while (len - pos >= 2) {
		size_t n = (size_t)in[pos] << 8 | in[pos + 1];
		const uint8_t *p = in + pos + 2;
		uint8_t r[EUICC_RAPDU_MAX];
		size_t rl = 0;

		if (n > EUICC_VPCD_MSG_MAX)
			return -EMSGSIZE;
		if (len - pos - 2 < n)
			break; /* wait for the rest */
		pos += 2 + n;
		if (n == 0)
			continue;
		if (n == 1) {
			switch (p[0]) {
			case EUICC_VPCD_CTRL_OFF: euicc_card_power_off(c); continue;
			case EUICC_VPCD_CTRL_ON: euicc_card_power_on(c); continue;
			case EUICC_VPCD_CTRL_RESET: euicc_card_reset(c); continue;
			case EUICC_VPCD_CTRL_ATR: rl = euicc_card_atr(c, r, sizeof(r)); break;
			default: continue; /* unknown control byte: ignored, as vicc does */
			}
		} else {
			rl = euicc_card_apdu(c, p, n, r, sizeof(r));
		}
		if (cap - *out_len < rl + 2)
			return -EMSGSIZE;
		out[(*out_len)++] = (uint8_t)(rl >> 8);
		out[(*out_len)++] = (uint8_t)rl;
		memcpy(out + *out_len, r, rl);
		*out_len += rl;
	}
	return (int)pos;
}

struct euicc_vpcd_conn {
	struct euicc_card *card;
	struct sockaddr_in sa;
	struct osmo_fd ofd;
	struct osmo_timer_list retry;
	uint8_t in[2 + EUICC_VPCD_MSG_MAX];
	size_t in_len;
};

static void conn_close(struct euicc_vpcd_conn *v)
{
	if (v->ofd.fd >= 0) {
		osmo_fd_unregister(&v->ofd);
		close(v->ofd.fd);
		v->ofd.fd = -1;
	}
	v->in_len = 0;
	euicc_card_power_off(v->card); /* the card is removed from the reader */
}

static int read_cb(struct osmo_fd *ofd, unsigned int what)
{
	struct euicc_vpcd_conn *v = ofd->data;
	uint8_t out[4 * (EUICC_RAPDU_MAX + 2)];
	size_t out_len = 0;
	ssize_t n;
	int used;

	/* vpcd 3.3 sends length and payload in two writes with Nagle on (pcsc-lab.md pitfall 2) */
	setsockopt(ofd->fd, IPPROTO_TCP, TCP_QUICKACK, &(int){ 1 }, sizeof(int));
	n = recv(ofd->fd, v->in + v->in_len, sizeof(v->in) - v->in_len, 0);
	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
		conn_close(v);
		osmo_timer_schedule(&v->retry, 0, 500000);
		return 0;
	}
	if (n < 0)
		return 0;
	v->in_len += (size_t)n;
	used = euicc_vpcd_process(v->card, v->in, v->in_len, out, sizeof(out), &out_len);
	if (used < 0) {
		conn_close(v);
		osmo_timer_schedule(&v->retry, 0, 500000);
		return 0;
	}
	memmove(v->in, v->in + used, v->in_len - (size_t)used);
	v->in_len -= (size_t)used;
	/* replies are small; one blocking-free send each (the peer reads them at once) */
	if (out_len && send(ofd->fd, out, out_len, MSG_NOSIGNAL) != (ssize_t)out_len) {
		conn_close(v);
		osmo_timer_schedule(&v->retry, 0, 500000);
	}
	return 0;
}

static void retry_cb(void *data)
{
	struct euicc_vpcd_conn *v = data;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0 || connect(fd, (struct sockaddr *)&v->sa, sizeof(v->sa)) < 0) {
		if (fd >= 0)
			close(fd);
		osmo_timer_schedule(&v->retry, 0, 500000);
		return;
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &(int){ 1 }, sizeof(int));
	osmo_fd_setup(&v->ofd, fd, OSMO_FD_READ, read_cb, v, 0);
	if (osmo_fd_register(&v->ofd) < 0) {
		close(fd);
		v->ofd.fd = -1;
		osmo_timer_schedule(&v->retry, 0, 500000);
	}
}

int euicc_vpcd_conn_start(struct euicc_vpcd_conn **out, struct euicc_card *c, const char *host, uint16_t port)
{
	struct euicc_vpcd_conn *v = calloc(1, sizeof(*v));

	if (!v)
		return -ENOMEM;
	v->card = c;
	v->sa.sin_family = AF_INET;
	v->sa.sin_port = htons(port);
	if (inet_pton(AF_INET, host, &v->sa.sin_addr) != 1) {
		free(v);
		return -EINVAL;
	}
	v->ofd.fd = -1;
	osmo_timer_setup(&v->retry, retry_cb, v);
	retry_cb(v);
	*out = v;
	return 0;
}

void euicc_vpcd_conn_stop(struct euicc_vpcd_conn *v)
{
	if (!v)
		return;
	osmo_timer_del(&v->retry);
	if (v->ofd.fd >= 0) {
		osmo_fd_unregister(&v->ofd);
		close(v->ofd.fd);
	}
	free(v);
}
