/* The device's control socket: a unix stream socket with a line protocol, for the harness.
 *
 * Requests (one per line, '\n'-terminated, at most DEV_CTRL_LINE_MAX bytes, tokens separated by blanks):
 *   power on | power off        card power-on + BSSMAP RESET + attach | IMSI detach + card off
 *   attach | detach             location update now | IMSI detach now
 *   fault drop-mt N             drop the next N MT SMS (no CP-ACK, no RP-ACK)
 *   fault fail-attach [N]       make the next N (default 1) location updates fail (SRES corrupted: the
 *                               network rejects with cause 3)
 *   fault bip-cut N             drop the next BIP link after N relayed bytes (both directions counted)
 *   fault delay-mt MS [OA]      hold every MT SMS (whose TP-OA digits are OA, when given) for MS milliseconds
 *                               before giving it to the card (CP-ACK at once, RP-ACK/ERROR after the card);
 *                               0 = off; at most DEV_MS_DELAY_MT_MAX_MS (ms.h); OA: 1..20 digits
 *   fault clear                 all faults off
 *   state                       one line of key=value: power, ms (state), imsi, tmsi, plmn, lac, cause, card,
 *                               bip channels, counters
 *   events [N]                  the last N (default all kept, at most DEV_CTRL_EVENTS_KEPT) event lines
 *   quit                        close this connection
 * Replies: zero or more data lines, then exactly one line starting with "OK" or "ERR <reason>".
 * Data lines are "EV <seq> <text>" for events; `state` answers "OK key=value ...".
 *
 * Request lines are UNTRUSTED (any local process that can open the socket); dev_ctrl_parse() is pure and
 * fuzzed. Numbers are decimal, 0..1000000. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <osmocom/core/select.h>
#include <osmocom/core/utils.h>

#define DEV_CTRL_LINE_MAX    256
#define DEV_CTRL_EVENTS_KEPT 128
#define DEV_CTRL_ARG_MAX     1000000

enum dev_ctrl_verb {
	DEV_CTRL_POWER_ON,
	DEV_CTRL_POWER_OFF,
	DEV_CTRL_ATTACH,
	DEV_CTRL_DETACH,
	DEV_CTRL_FAULT_DROP_MT,
	DEV_CTRL_FAULT_FAIL_ATTACH,
	DEV_CTRL_FAULT_BIP_CUT,
	DEV_CTRL_FAULT_DELAY_MT,
	DEV_CTRL_FAULT_CLEAR,
	DEV_CTRL_STATE,
	DEV_CTRL_EVENTS,
	DEV_CTRL_QUIT,
};
extern const struct value_string dev_ctrl_verb_names[];

struct dev_ctrl_cmd {
	enum dev_ctrl_verb verb;
	long arg;      /* N where the verb takes one (-1: not given) */
	char addr[21]; /* delay-mt: the TP-OA digits it applies to; fail-attach: the IMSI ("" = every one) */
};

/* Parse one request line (without or with its "\r\n"). 0 or -EINVAL (unknown verb, bad or extra arguments). */
int dev_ctrl_parse(struct dev_ctrl_cmd *out, const char *line);

/* The server: the device executes a command and appends its reply (all lines, '\n'-terminated) to out. */
typedef void (*dev_ctrl_exec_cb)(void *priv, const struct dev_ctrl_cmd *cmd, char *out, size_t cap);

struct dev_ctrl_srv {
	struct osmo_fd lfd;
	dev_ctrl_exec_cb exec;
	void *priv;
	void *ctx; /* talloc parent of the connections */
	char path[108];
};
/* Listen on path (an old socket file there is replaced). 0 or -errno. */
int dev_ctrl_srv_open(struct dev_ctrl_srv *srv, void *ctx, const char *path, dev_ctrl_exec_cb exec, void *priv);
void dev_ctrl_srv_close(struct dev_ctrl_srv *srv);

/* The event ring the `events` command reads. */
struct dev_ctrl_events {
	unsigned long seq; /* number of events ever added */
	char line[DEV_CTRL_EVENTS_KEPT][160];
};
void dev_ctrl_event_add(struct dev_ctrl_events *ev, const char *text);
/* Append the last n events (n <= 0: all kept) as "EV <seq> <text>\n" lines. Returns how many. */
unsigned int dev_ctrl_events_print(const struct dev_ctrl_events *ev, long n, char *out, size_t cap);
