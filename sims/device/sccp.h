/* The simulated BSC's SCCP user on the A interface (sigtran-lab.md): libosmo-sigtran's simple client
 * (M3UA ASP to osmo-stp; the library does ASPUP, RKM registration and ASPAC by itself) and an SCCP user
 * on SSN 254 (BSSAP). Where the kernel has no SCTP the process runs with the SCTP-over-TCP shim of
 * network/sctpshim preloaded (LD_PRELOAD), as osmo-stp and osmo-msc do; dev_sccp_sctp_mode() says which.
 *
 * Primitives from the library are handed up through struct dev_sccp_up with borrowed data (UNTRUSTED
 * BSSAP bytes). The tx functions consume the msgb on all paths. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include <osmocom/core/msgb.h>

struct dev_sccp_up {
	void (*udt)(void *priv, const uint8_t *data, size_t len);
	void (*conn_confirm)(void *priv, uint32_t conn_id);
	void (*conn_data)(void *priv, uint32_t conn_id, const uint8_t *data, size_t len);
	void (*disconnect)(void *priv, uint32_t conn_id);
};

struct dev_sccp_cfg {
	const char *stp_ip;
	uint16_t stp_port;
	const char *local_ip;
	const char *bsc_pc; /* point codes in 3.8.3 notation, e.g. "0.42.1" */
	const char *msc_pc;
};

struct dev_sccp;
/* Create the cs7 instance and start the ASP. NULL on failure (bad point code, library error). */
struct dev_sccp *dev_sccp_start(void *ctx, const struct dev_sccp_cfg *cfg, const struct dev_sccp_up *up, void *priv);
/* True once the AS is active (the MSC is reachable through the STP). */
bool dev_sccp_ready(const struct dev_sccp *s);
int dev_sccp_tx_udt(struct dev_sccp *s, struct msgb *msg);
int dev_sccp_tx_conn_req(struct dev_sccp *s, uint32_t conn_id, struct msgb *msg);
int dev_sccp_tx_conn_data(struct dev_sccp *s, uint32_t conn_id, struct msgb *msg);
int dev_sccp_tx_disconnect(struct dev_sccp *s, uint32_t conn_id);
/* "kernel" when SCTP sockets work natively, "sctp2tcp shim" when the preloaded shim answers, "none". */
const char *dev_sccp_sctp_mode(void);
