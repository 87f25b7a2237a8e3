/* ES5 over HTTPS (SCP81; GP Amd B RAM over HTTP, digest §5.2) on the SM-SR side: the push, the PSK-TLS
 * admin server and one RAM-over-HTTP session per eUICC.
 *
 *   smsr_scp81_send() for an eUICC without a session builds the Administration Session Triggering
 *   Parameters (lib/scp81: `84` OPEN CHANNEL objects = default bearer, buffer size, TCP client to our
 *   address and port; `85` KVN/KID of the eUICC's SCP81 key set with an empty identity, so the card
 *   derives its own per lib/ramhttp's variant; `89` admin host and URI; `86` retry policy if configured)
 *   and hands it to the push transport (SCP80-secured SMS to the ISD-R: smsr_ota_send_raw()).
 *   The card opens TLS-PSK to the admin server (lib/tls PSK server + lib/http server); the PSK is looked
 *   up from the identity: TLV_HEX_V4 -> EID + KVN -> the store's SCP81 key set; OPAQUE -> the identity
 *   is the EID's hex digits -> the highest SCP81 KVN. Its first POST (empty) gets 200 with the script
 *   (converted to the indefinite form `AE 80 ... 00 00`, chunked), X-Admin-Next-URI and, for an ISD-P,
 *   X-Admin-Targeted-Application //aid/<RID>/<PIX>. The POST to that URI carries the `AF` response:
 *   it is reported upward; with more (MoreToDo) the POST is held until the next script arrives (then
 *   200 with it), else, or when nothing comes within X52, 204 without a next URI ends the session.
 *
 * A session the card opens by itself (no push) to send an E1 notification carries it in its first POST
 * (lib/ramhttp enum ramhttp_notif_carriage; both forms accepted): it goes up (struct smsr_scp81_up
 * .notification, which checks that the E1 names the eUICC the PSK authenticated) and is confirmed in that
 * session: 200 with the 3A08 script, the card's response POST, then 204 — or the script a procedure
 * queued meanwhile. A malformed notification gets 400.
 *
 * Timers (osmo_tdef): X50 = push -> first POST (default 60 s; then the push is sent again, up to
 * cfg.max_pushes times in all), X51 = script out -> its response POST (60 s), X52 = held POST waiting
 * for the next script (60 s). A session that fails reports -ETIMEDOUT / -ECONNRESET / -EPROTO for the
 * exchange in flight. The session is bound to the card's TLS connection (GP Amd B): when the card closes
 * it (or it fails) while a script's response is awaited, the session fails at once with -ECONNRESET
 * (stats conn_closed), not at X51; X51 stays for a connection that is open but silent. A POST with X-Admin-Script-Status other than ok reports -EPROTO.
 *
 * Trust: everything from the card (identities, headers, bodies) is UNTRUSTED; the store is ours. PSKs
 * never reach a log. Ownership: struct smsr_scp81 is a talloc object; sessions hang off it.
 * Returns: 0 or a negative errno. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <osmocom/core/tdef.h>

#include "lib/ramhttp/ramhttp.h"
#include "lib/scp81/scp81.h"
#include "network/smsr/smsr_store.h"

enum smsr_scp81_timer {
	SMSR_T_SCP81_PUSH = -50,
	SMSR_T_SCP81_RESPONSE = -51,
	SMSR_T_SCP81_HOLD = -52,
};
extern struct osmo_tdef smsr_scp81_tdefs[];

struct smsr_scp81_cfg {
	const char *listen_addr; /* admin server bind address (IPv4 text) */
	uint16_t port;		 /* 0 = ephemeral */
	const char *push_addr;	 /* IPv4 the card's OPEN CHANNEL connects to; NULL = listen_addr */
	uint16_t push_port;	 /* 0 = the bound port */
	const char *admin_host;	 /* `8A`; NULL = push_addr */
	const char *admin_uri;	 /* `8C` and the route prefix; NULL = "/gsma/adminagent" */
	uint16_t buffer_size;	 /* `39`; 0 = 1400 */
	enum ramhttp_psk_id_format psk_id;
	uint16_t retry_counter; /* `86` when > 0 */
	uint32_t retry_delay_s;
	enum scp81_timer_coding retry_coding;
	unsigned int max_pushes;      /* 0 = 2 */
	const char *tls_keylog;	      /* NSS key log for Wireshark (file 0600), NULL = off */
	struct osmo_tdef *tdefs;      /* NULL = smsr_scp81_tdefs */
	struct osmo_tdef *http_tdefs; /* NULL = ours: X2 long enough to hold a POST (X52) */
};

/* The push transport: send trigger (the `81` TLV) SCP80-secured to the ISD-R of eid. tag identifies it
 * for smsr_scp81_push_result(). 0 or a negative errno. */
struct smsr_scp81_push_ops {
	int (*send)(void *tp, const char *eid, uint32_t tag, const uint8_t *trigger, size_t len);
};

/* Upward: the outcome of exchange op (as struct smsr_relay_ops' result: rc 0 + the AF response). */
struct smsr_scp81_up {
	void (*result)(void *priv, uint32_t op, int rc, const uint8_t *rsp, size_t len);
	/* An E1 notification (digest §4.5) the card eid POSTed in a session it opened itself (no push;
	 * lib/ramhttp: as the msg parameter of the admin URI or as the body). Return 0 and the sequence
	 * number to confirm: the session's next script is the 3A08 (before any queued one; its response
	 * is nobody's result); < 0: dropped, nothing confirmed. NULL = notifications are dropped. */
	int (*notification)(void *priv, const char *eid, const uint8_t *e1, size_t len, uint16_t *seq);
	void *priv;
};

struct smsr_scp81_stats {
	unsigned long pushes, push_failures, sessions, sessions_ok, sessions_failed, posts, scripts, responses,
		bad_posts, psk_unknown;
	unsigned long notifs, notifs_dropped; /* notifications in first POSTs / not confirmed */
	unsigned long conn_closed;	      /* sessions ended because the card's connection closed (not by us) */
};

struct smsr_scp81;

struct smsr_scp81 *smsr_scp81_alloc(void *ctx, struct smsr_store *store, const struct smsr_scp81_cfg *cfg,
				    const struct smsr_scp81_push_ops *push, void *tp, const struct smsr_scp81_up *up);
void smsr_scp81_free(struct smsr_scp81 *s);
void smsr_scp81_set_push(struct smsr_scp81 *s, const struct smsr_scp81_push_ops *push, void *tp);
uint16_t smsr_scp81_port(const struct smsr_scp81 *s);
const struct smsr_scp81_stats *smsr_scp81_stats(const struct smsr_scp81 *s);
unsigned int smsr_scp81_num_sessions(const struct smsr_scp81 *s);

/* struct smsr_relay_ops.send with tp = the struct smsr_scp81: script for the security domain aid of eid
 * in its session (opened by a push if there is none). -EBUSY if the session has a script queued already. */
int smsr_scp81_send(void *scp81, const char *eid, uint32_t op, const uint8_t *aid, size_t aid_len,
		    const uint8_t *script, size_t len, bool more);
/* The push transport's verdict on push tag (e.g. its PoR): rc < 0 = not delivered (the session fails
 * unless the card has POSTed already, or another push is left). */
void smsr_scp81_push_result(struct smsr_scp81 *s, uint32_t tag, int rc);

/* Build the push trigger for eid (exposed for the tool and the tests). Returns the length. */
int smsr_scp81_trigger_build(struct smsr_scp81 *s, const char *eid, uint8_t *out, size_t cap);
