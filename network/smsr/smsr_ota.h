/* ES5 over SMS: the SM-SR's SCP80 layer between the procedures (smsr.h, struct smsr_es5_ops) and an SMS
 * transport (SMPP ESME, Kannel HTTP: struct smsr_sms_ops), or several at once, chosen per EID by a router
 * (smsr_ota_set_router).
 *
 * Outgoing (MT): a remote command script (TS 102 226 expanded format, AA template) for the ISD-R of an
 * eUICC is wrapped as an SCP80 command packet (TS 102 225 §5.1) with the eUICC's ISD-R SCP80 key set
 * (the highest KVN in the store) and the next value of its persistent counter (reserved in the store
 * BEFORE the packet is built: a crash never reuses a counter), TAR 000001 (ISD-R, SGP.02 Annex H), the
 * SPI of the configured variant (sgp02-open-questions §6, default 16 39), and split into concatenated
 * SMS (TS 31.115 via lib/sms). A script too long for cfg.max_segs SMS is cut into several scripts
 * chained with the script chaining TLV `83` (TS 102 226 §5.2.1.4: 01 first, 02 subsequent, 03 last),
 * sent one after the other, each after the previous one's PoR.
 *
 * Incoming (MO): TP-UDs from the transport are reassembled per originator (lib/sms/sms_concat.h). A
 * response packet (UDH IEI 71) is verified with lib/scp80 against the key set of the exchange it
 * answers (found by the EIS MSISDN and matched by the echoed counter); a PoR that does not verify is
 * dropped with a log line and changes nothing. A PoR status other than 00 fails the exchange; status 00
 * gives the last R-APDU of the response script (AB) to the procedure. A command packet from the card
 * (IEI 70) or a PoR whose data is not a response script but an `E1` TLV is an eUICC notification
 * (digest §4.5, NJ Ota.processMO) and goes to the notification callback.
 *
 * Retransmission (no PoR within X30): up to cfg.max_retx times, with the counter policy of the named
 * variant enum smsr_ota_retx. The SPI's counter mode 10 ("higher") makes a resent packet with the same
 * counter a replay the card refuses (status 02) if the first copy arrived, so the default takes a new
 * counter; SAME_COUNTER is there for cards configured without counter checking.
 *
 * Timers (osmo_tdef): X30 = wait for a PoR (default 60 s), X31 = MO reassembly of one packet (60 s).
 *
 * Trust: MO TP-UDs and PoRs are UNTRUSTED; the store and the keys are ours. Keys never reach a log.
 * Ownership: struct smsr_ota is a talloc object; exchanges and reassembly sets hang off it.
 * Returns: 0 or a negative errno. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <osmocom/core/tdef.h>
#include <osmocom/core/utils.h>

#include "lib/scp80/scp80.h"
#include "lib/sms/sms_concat.h"
#include "network/smsr/smsr_store.h"

enum smsr_ota_timer {
	SMSR_T_POR = -30,
	SMSR_T_MO_REASSEMBLY = -31,
};
extern struct osmo_tdef smsr_ota_tdefs[];

/* Counter of a retransmitted command packet (see the top of this file). */
enum smsr_ota_retx {
	SMSR_OTA_RETX_NEW_COUNTER, /* default: every copy gets the next counter value */
	SMSR_OTA_RETX_SAME_COUNTER,
};
extern const struct value_string smsr_ota_retx_names[];

/* The SMS transport below (SMPP ESME or Kannel). send() submits one SMS-PP data download (TP-PID 7F,
 * 8-bit class 2, UDHI) whose TP-UD is ud (UDH included) to dst; tag identifies it for
 * smsr_ota_tx_status(). Returns 0 when queued, or a negative errno. */
struct smsr_sms_ops {
	int (*send)(void *tp, const char *dst, const uint8_t *ud, size_t ud_len, uint32_t tag);
};

/* Upward: the result of exchange op (smsr_es5_rx_result() shape) and eUICC notifications (E1 TLV). */
struct smsr_ota_up {
	void (*result)(void *priv, uint32_t op, int rc, uint16_t sw, const uint8_t *resp, size_t len);
	void (*notification)(void *priv, const uint8_t *e1, size_t len);
	void *priv;
	/* Optional: the outcome of an exchange started with smsr_ota_send_raw(): rc 0 with the complete
	 * secured data of the PoR (the response script, AB; empty when the PoR carried none), or rc < 0. */
	void (*raw_result)(void *priv, uint32_t op, int rc, const uint8_t *data, size_t len);
};

struct smsr_ota_cfg {
	enum scp80_spi_variant spi;    /* default SCP80_SPI_VARIANT_1639 */
	uint8_t alg;		       /* KIc/KID algorithm nibble: 0 = AES (2) */
	unsigned int max_segs;	       /* SMS per command packet before chaining, 0 = 3 */
	unsigned int max_retx;	       /* retransmissions after a missing PoR */
	enum smsr_ota_retx retx;       /* counter policy of a retransmission */
	enum sms_concat_ref ref_kind;  /* concatenation IE of MT packets, default 8-bit */
	unsigned int max_reassemblies; /* concurrent MO sets, 0 = 32 */
	struct osmo_tdef *tdefs;       /* NULL = smsr_ota_tdefs */
};

struct smsr_ota_stats {
	unsigned long scripts, packets_tx, sms_tx, retx, por_ok, por_status_err, por_bad, por_unmatched, por_superseded,
		not_connected, mo_sms, mo_bad, mo_notifs, chained, timeouts, tx_errors, no_route;
};

struct smsr_ota;

struct smsr_ota *smsr_ota_alloc(void *ctx, struct smsr_store *store, const struct smsr_ota_cfg *cfg,
				const struct smsr_sms_ops *sms, void *tp, const struct smsr_ota_up *up);
void smsr_ota_free(struct smsr_ota *ota);
/* Set the transport later (the transport usually needs the ota for its MO callback). With a router (below)
 * this is the default transport: the one of every EID the router leaves to it. */
void smsr_ota_set_transport(struct smsr_ota *ota, const struct smsr_sms_ops *sms, void *tp);
/* Optional per-EID routing (several SMS transports at once, e.g. smsr_eisvar.h rules in main.c): asked once
 * per exchange, before anything is reserved or sent; the transport it names carries every packet of that
 * exchange (all chained scripts and retransmissions). 0 with *sms / *tp set: that transport; 0 with *sms
 * left NULL: the default transport (smsr_ota_set_transport, looked up at each send as without a router);
 * a negative errno (e.g. -ENOTCONN: the transport eid's rule names is not running): the send fails with
 * it (logged, stats.no_route). MO and transmission verdicts of every transport go to the same ota
 * (smsr_ota_rx_mo, smsr_ota_tx_status: tags are unique per ota). tp_for_eid NULL = no router. */
typedef int (*smsr_ota_route_cb)(void *priv, const char *eid, const struct smsr_sms_ops **sms, void **tp);
void smsr_ota_set_router(struct smsr_ota *ota, smsr_ota_route_cb tp_for_eid, void *priv);
const struct smsr_ota_stats *smsr_ota_stats(const struct smsr_ota *ota);
unsigned int smsr_ota_num_pending(const struct smsr_ota *ota);

/* struct smsr_es5_ops.send_script with priv = the struct smsr_ota. -ENOENT unknown EID / no SCP80 key
 * set, -EHOSTUNREACH no MSISDN in the EIS, -EMSGSIZE a single command too long even for a chained
 * script, -ERANGE counter exhausted, or the transport's error. op 0 = no result wanted (3A08). */
struct smsr;
int smsr_ota_send_script(struct smsr *sr, const char *eid, uint32_t op, const uint8_t *script, size_t len, void *priv);
/* The same without the procedure layer's signature. */
int smsr_ota_send(struct smsr_ota *ota, const char *eid, uint32_t op, const uint8_t *script, size_t len);

/* Like smsr_ota_send() for any security domain and any secured data (ES8 relay of ES3.SendData, the
 * SCP81 push): tar is the TAR of the target (ISD-R 000001, an ISD-P's = its AID bytes 13..15); with
 * is_script the data is a command script, chained when too long (as above); without it (a push trigger)
 * the data goes as it is and must fit cfg.max_segs SMS (-EMSGSIZE). The result goes to up.raw_result
 * with the whole PoR data (for a chained script: the last script's response, or the response of the
 * script that stopped). */
int smsr_ota_send_raw(struct smsr_ota *ota, const char *eid, uint32_t op, const uint8_t tar[SCP80_TAR_LEN],
		      const uint8_t *data, size_t len, bool is_script);

/* One MO SMS from src (the originator's MSISDN as the transport gives it; a leading '+' is ignored):
 * ud is the TP-UD with its UDH (UDHI set). Returns 0 (consumed, also when dropped: see the stats),
 * -EINVAL for a bad argument. */
int smsr_ota_rx_mo(struct smsr_ota *ota, const char *src, const uint8_t *ud, size_t ud_len);

/* The transport's verdict on SMS tag (e.g. submit_sm_resp in transaction mode): rc < 0 = not
 * delivered; the exchange is retransmitted after X30 or fails when no retransmission is left. */
void smsr_ota_tx_status(struct smsr_ota *ota, uint32_t tag, int rc);
