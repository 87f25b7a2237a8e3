/* The SM-SR's SMPP 3.4 ESME: one bind_transceiver connection to an SMSC (osmo-msc in the lab) on the
 * Osmocom select loop, carrying ES5 SMS (struct smsr_sms_ops of smsr_ota.h) out and MO SMS (PoRs, E1
 * notifications) in.
 *
 *   connect (non-blocking) -> bind_transceiver (system_id/password, e.g. from the run's net.env)
 *   -> bound: submit_sm (lib/smpp: esm_class UDHI [| forward mode], PID 7F, DCS per variant),
 *      enquire_link every X40, each request answered within X41 or the link is dropped;
 *   deliver_sm in: answered with deliver_sm_resp, a UDHI message goes up as an MO TP-UD, a delivery
 *      receipt (esm_class 04) is only counted (osmo-msc's message_id cannot be matched: network-lab §9);
 *   enquire_link in: enquire_link_resp; unbind in: unbind_resp, close, reconnect;
 *   a request with an unknown command_id: generic_nack ESME_RINVCMDID (SMPP 3.4 §4.3);
 *   a command_length outside 16..64 KiB: generic_nack ESME_RINVCMDLEN and the connection is dropped
 *      (the stream cannot be re-synchronised);
 *   connection lost / bind refused: reconnect after X42, doubling up to 32 x X42 (backoff).
 * In transaction mode (esm_class forward mode, network-lab §2.2) the submit_sm_resp is the delivery
 * verdict: it goes up as tx_status(tag, 0 or -EIO); in store-and-forward mode it only says "stored".
 *
 * Trust: every PDU from the SMSC is UNTRUSTED (lib/smpp decodes with caps). Ownership: a talloc object;
 * smsr_smpp_free() closes the socket. Return values: 0 or a negative errno. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <osmocom/core/tdef.h>

#include "lib/smpp/smpp.h"

enum smsr_smpp_timer {
	SMSR_T_SMPP_ENQUIRE = -40,   /* enquire_link interval (default 30 s) */
	SMSR_T_SMPP_RESPONSE = -41,  /* a request's response (default 10 s) */
	SMSR_T_SMPP_RECONNECT = -42, /* first reconnect delay (default 1 s), doubled up to 32 x */
};
extern struct osmo_tdef smsr_smpp_tdefs[];

struct smsr_smpp_cfg {
	const char *host;
	uint16_t port;
	const char *system_id, *password, *system_type;
	const char *src_addr; /* our short code as source address of MT SMS */
	bool transaction_mode;
	enum smpp_dd_dcs dcs;
	bool registered_delivery;
	struct osmo_tdef *tdefs; /* NULL = smsr_smpp_tdefs */
};

struct smsr_smpp_up {
	void (*mo)(void *priv, const char *src, const uint8_t *ud, size_t len);
	void (*tx_status)(void *priv, uint32_t tag, int rc);
	void (*bound)(void *priv, bool up); /* optional: the bind came up / went down */
	void *priv;
};

struct smsr_smpp_stats {
	unsigned long connects, binds_ok, binds_refused, disconnects, submits, submit_ok, submit_err, delivers,
		receipts, enquire_tx, enquire_rx, generic_nacks_tx, generic_nacks_rx, bad_pdus;
};

struct smsr_smpp;

/* Starts connecting at once. NULL on a bad argument or allocation failure. */
struct smsr_smpp *smsr_smpp_alloc(void *ctx, const struct smsr_smpp_cfg *cfg, const struct smsr_smpp_up *up);
void smsr_smpp_free(struct smsr_smpp *e);
bool smsr_smpp_bound(const struct smsr_smpp *e);
const struct smsr_smpp_stats *smsr_smpp_stats(const struct smsr_smpp *e);

/* struct smsr_sms_ops.send (tp = the struct smsr_smpp): submit_sm of one TP-UD (UDH included).
 * -ENOTCONN while not bound, -EMSGSIZE above 140 octets, -ENOBUFS when the output queue is full. */
int smsr_smpp_send(void *tp, const char *dst, const uint8_t *ud, size_t len, uint32_t tag);
