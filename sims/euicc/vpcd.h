/* sims/euicc: the vsmartcard vpcd wire protocol (shared docs pcsc-lab.md §3): every message in both
 * directions is a 2-byte big-endian length and the payload; from vpcd a 1-byte payload is a control
 * byte (0 power off, 1 power on, 2 reset — no reply; 4 ATR request — reply the ATR), a longer one a
 * C-APDU (reply the R-APDU). The card connects to vpcd (server mode).
 *
 * euicc_vpcd_process() is the pure framing step (no sockets, testable and fuzzable): input bytes are
 * UNTRUSTED. euicc_vpcd_conn_* put a card on a TCP connection on osmo_select_main (osmo_fd,
 * non-blocking), one connection per card, any number of cards per process. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "sims/euicc/card.h"

#define EUICC_VPCD_MSG_MAX    4096 /* longest C-APDU accepted; a longer message closes the connection */
#define EUICC_VPCD_CTRL_OFF   0
#define EUICC_VPCD_CTRL_ON    1
#define EUICC_VPCD_CTRL_RESET 2
#define EUICC_VPCD_CTRL_ATR   4

/* Handle every complete message in in[0..len): the card acts, framed replies are appended to out
 * (*out_len in/out). Returns the bytes consumed (a trailing partial message is left), or -EMSGSIZE
 * when a message exceeds EUICC_VPCD_MSG_MAX or out has no room for a reply (then close). */
int euicc_vpcd_process(struct euicc_card *c, const uint8_t *in, size_t len, uint8_t *out, size_t cap, size_t *out_len);

struct euicc_vpcd_conn;
/* Connect card c to vpcd at host:port (IPv4 dotted quad), retrying every 500 ms until vpcd listens
 * and after the connection drops. Returns 0 or a negative errno. */
int euicc_vpcd_conn_start(struct euicc_vpcd_conn **out, struct euicc_card *c, const char *host, uint16_t port);
void euicc_vpcd_conn_stop(struct euicc_vpcd_conn *v);
