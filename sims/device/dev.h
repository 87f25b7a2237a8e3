/* rsplab-device: the IoT module (card reader + CAT terminal + GSM MS) put together. Owns the card
 * (card.h), the CAT/BIP terminal (stk.h), the MS (ms.h), the A-interface SCCP user (sccp.h) and the
 * control socket (ctrl.h); implements the ops tables the state machines talk through, and runs the
 * proactive FETCH / TERMINAL RESPONSE loop whenever the card signals 91xx (from a zero timer, so that
 * nothing recurses into the card while a command is being handled). Single-threaded on osmo_select_main. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include <osmocom/core/timer.h>

#include "sims/device/card.h"
#include "sims/device/ctrl.h"
#include "sims/device/ms.h"
#include "sims/device/sccp.h"
#include "sims/device/stk.h"

struct dev_cfg {
	char imei[16];
	struct dev_ms_cfg ms;
	struct dev_sccp_cfg sccp;
	enum dev_stk_refresh_tr refresh_tr;
	enum dev_stk_event_policy event_policy;
	unsigned int bip_channels; /* advertised in TERMINAL PROFILE byte 13 */
	bool power_on_at_start;
};

struct dev {
	void *ctx;
	struct dev_cfg cfg;
	struct dev_card card;
	struct dev_stk *stk;
	struct dev_ms *ms;
	struct dev_sccp *sccp;
	struct dev_ctrl_srv ctrl;
	struct dev_ctrl_events events;
	bool powered;  /* the harness wants the device on */
	bool radio_up; /* the MS was powered on once the AS was active */
	uint8_t tp[CAT_TP_MAX_BYTES];
	size_t tp_len;
	struct osmo_timer_list kick;  /* proactive loop */
	struct osmo_timer_list radio; /* waits for the AS before powering the MS on */
};

/* Set up everything but the card backend and the network (card ops/priv are set by the caller). */
int dev_init(struct dev *d, void *ctx, const struct dev_cfg *cfg);
/* Start the A interface (NULL sccp config: the radio stays off, for card-only runs). */
int dev_radio_start(struct dev *d);
int dev_power_on(struct dev *d);
void dev_power_off(struct dev *d);
void dev_event(struct dev *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Control socket request handler (dev_ctrl_exec_cb). */
void dev_ctrl_exec(void *priv, const struct dev_ctrl_cmd *cmd, char *out, size_t cap);
