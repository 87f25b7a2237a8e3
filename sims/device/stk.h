/* The device's terminal side of the Card Application Toolkit (TS 102 223 / TS 31.111, objects from
 * lib/cat): it executes the proactive commands the card FETCHes to it and sends the event downloads.
 *   OPEN CHANNEL -> a TCP connection to the given address/port (one osmo_fsm "dev_bip" per channel,
 *   connect guard timer from dev_stk_tdefs), SEND DATA / RECEIVE DATA relay with data-available and
 *   channel-status events, CLOSE CHANNEL, GET CHANNEL STATUS; SET UP EVENT LIST; PROVIDE LOCAL
 *   INFORMATION (IMEI, location); SEND SHORT MESSAGE (-> MO SMS through the ops); REFRESH (-> the ops).
 *
 * What leaves goes through struct dev_stk_ops (TERMINAL RESPONSE and ENVELOPE towards the card, MO SMS and
 * REFRESH towards the device), so the state machine runs in unit tests with stubs. Sockets are osmo_fds on
 * the caller's osmo_select_main loop.
 *
 * The proactive command bytes are UNTRUSTED (the card's FETCH response); lib/cat decodes them. The TCP
 * peer's bytes are opaque and capped by the channel's buffer size. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include <osmocom/core/fsm.h>
#include <osmocom/core/tdef.h>
#include <osmocom/core/utils.h>

#include "lib/cat/cat.h"

#define DEV_STK_T_CONNECT -10 /* BIP TCP connect guard, s */
extern struct osmo_tdef dev_stk_tdefs[];

#define DEV_BIP_BUF_MAX	 4096 /* the largest channel buffer we grant (OPEN CHANNEL buffer size) */
#define DEV_BIP_RX_CHUNK 237  /* RECEIVE DATA: at most this much per TERMINAL RESPONSE (fits 255-byte data) */

/* REFRESH "UICC reset": whether the terminal answers with a TERMINAL RESPONSE before resetting. GSM 11.14
 * §6.4.7 / TS 102 223 §6.4.7: the reset itself is the answer (no TR): default. Some terminals send the TR
 * first; the card must cope with both. */
enum dev_stk_refresh_tr {
	DEV_STK_REFRESH_TR_NONE = 0,
	DEV_STK_REFRESH_TR_BEFORE_RESET = 1,
};
extern const struct value_string dev_stk_refresh_tr_names[];

/* Event download: only for events in the card's SET UP EVENT LIST (TS 102 223 §6.4.16, default), or always
 * (a testing convenience for cards that never set up the list). */
enum dev_stk_event_policy {
	DEV_STK_EVENTS_LISTED = 0,
	DEV_STK_EVENTS_ALWAYS = 1,
};
extern const struct value_string dev_stk_event_policy_names[];

struct dev_stk_ops {
	int (*terminal_response)(void *priv, const uint8_t *tr, size_t len);
	int (*envelope)(void *priv, const uint8_t *env, size_t len);
	/* SEND SHORT MESSAGE: start an MO SMS (0) and call dev_stk_sms_done() later, or fail (-errno) */
	int (*send_sms)(void *priv, const uint8_t *sc, size_t sc_len, const uint8_t *tpdu, size_t tpdu_len);
	/* REFRESH with this qualifier: reset / re-read the card and re-attach (the device's job) */
	void (*refresh)(void *priv, uint8_t mode);
	void (*event)(void *priv, const char *text);
};

struct dev_bip_chan;

struct dev_stk {
	const struct dev_stk_ops *ops;
	void *priv;
	char imei[16];
	enum dev_stk_refresh_tr refresh_tr;
	enum dev_stk_event_policy event_policy;
	uint8_t events[CAT_MAX_EVENTS];
	size_t n_events;
	bool pending; /* a TERMINAL RESPONSE is owed for `pending_cmd` (async command) */
	struct cat_cmd_details pending_cmd;
	struct dev_bip_chan *chan[CAT_MAX_CHANNELS + 1]; /* index = channel id 1..7 */
	long bip_cut_after; /* fault: drop the link after this many relayed bytes (-1: off) */
	bool has_loci;
	uint8_t loci[7];
	unsigned long n_cmds, n_tr, n_env;
};

struct dev_stk *dev_stk_alloc(void *ctx, const struct dev_stk_ops *ops, void *priv, const char *imei);
void dev_stk_free(struct dev_stk *stk);
/* Handle one fetched proactive command (D0 ...). 0, -EBUSY (a TR is still owed), or -errno (could not
 * answer at all). */
int dev_stk_proactive(struct dev_stk *stk, const uint8_t *cmd, size_t len);
/* The MO SMS of a SEND SHORT MESSAGE ended (see dev_ms_sim_ops.mo_sms_done for result). */
void dev_stk_sms_done(struct dev_stk *stk, int result);
/* Location status event (TS 102 223 §7.5.4) after attach accept / reject. */
void dev_stk_location_status(struct dev_stk *stk, uint8_t status, const uint8_t *loci, size_t loci_len);
/* The card was reset: close every channel, forget the event list and any owed TR. */
void dev_stk_card_reset(struct dev_stk *stk);
/* True when the device must not FETCH (a TR is owed). */
bool dev_stk_busy(const struct dev_stk *stk);
/* Channel state for the control socket: writes "id:state:rx:tx ..." */
void dev_stk_channels_str(const struct dev_stk *stk, char *buf, size_t len);
