/* Small blocking I/O helpers for `rsplab net` and its tests: bounded TCP connect, an Osmocom VTY
 * client, one HTTP GET, file read/write. Every call has a time bound (milliseconds); none blocks
 * longer. Not for servers (they run on osmo_select_main): the harness orchestrates step by step.
 *
 * Trust: everything read from a socket is UNTRUSTED and capped by the caller's buffer.
 * Returns 0 / a length, or a negative errno (-ETIMEDOUT when a bound expired). */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Monotonic clock in milliseconds. */
int64_t net_now_ms(void);
void net_sleep_ms(unsigned int ms);

/* TCP connect to ip:port (dotted IPv4) within timeout_ms; returns a blocking fd (CLOEXEC) or -errno. */
int net_tcp_connect(const char *ip, uint16_t port, int timeout_ms);

/* Read the LAST cap-1 bytes of a file into buf (NUL-terminated); *len gets the count. -errno. */
int net_file_read_tail(const char *path, char *buf, size_t cap, size_t *len);
/* Replace path atomically (path.tmp + rename) with data, mode for a new file. -errno. */
int net_file_write(const char *path, const void *data, size_t len, mode_t mode);

#define NET_VTY_BUF 32768
struct net_vty {
	int fd;
	size_t len;
	char buf[NET_VTY_BUF];
};

/* Connect and wait for the first prompt. */
int net_vty_open(struct net_vty *v, const char *ip, uint16_t port, int timeout_ms);
/* Send one command line and read until the next prompt. out gets the reply without the echoed command
 * and without the prompt (NUL-terminated, truncated to out_len-1). Returns the reply length or -errno
 * (-EMSGSIZE if the reply did not fit NET_VTY_BUF). cmd must not contain control characters. */
int net_vty_cmd(struct net_vty *v, const char *cmd, char *out, size_t out_len, int timeout_ms);
void net_vty_close(struct net_vty *v);

/* HTTP/1.0 GET http://ip:port/target; *status gets the status code, body the body (NUL-terminated,
 * truncated to body_len-1). Returns the body length or -errno (-EBADMSG malformed response). */
int net_http_get(const char *ip, uint16_t port, const char *target, unsigned int *status, char *body, size_t body_len,
		 int timeout_ms);
