/* The device's radio side: a GSM MS (MM + SMS CM, TS 24.008 / TS 24.011) behind a simulated BSC on the A
 * interface. The MS is one osmo_fsm instance (fsm "dev_ms": power, BSSMAP RESET, location updating with
 * authentication answered by the card, IMSI detach, REFRESH re-attach), each MO SMS is an instance of
 * fsm "dev_mo_sms"; MT SMS is answered at once (the card's ENVELOPE is synchronous). Timers come from
 * dev_ms_tdefs (osmo_tdef).
 *
 * Everything leaving the MS goes through two ops tables, so the state machine runs in unit tests with
 * stubs: struct dev_ms_net_ops (the SCCP user below BSSAP: UDT, connection request/data/release; the
 * real one is sccp.c on libosmo-sigtran) and struct dev_ms_sim_ops (the card: IMSI, AUTHENTICATE,
 * SMS-PP download, the location status event; the real one is dev.c).
 *
 * Input from the network is UNTRUSTED and decoded by a_msg.h. msgb passed to the net ops are consumed
 * by them on all paths. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include <osmocom/core/fsm.h>
#include <osmocom/core/msgb.h>
#include <osmocom/core/tdef.h>
#include <osmocom/core/timer.h>
#include <osmocom/gsm/gsm23003.h>

#include "sims/device/card.h"

enum dev_ms_state {
	DEV_MS_ST_OFF,
	DEV_MS_ST_WAIT_RESET_ACK, /* BSSMAP RESET sent, repeated on timeout */
	DEV_MS_ST_NO_IMSI,	  /* the card gave no IMSI: no service */
	DEV_MS_ST_LU,		  /* LOCATION UPDATING in progress (T3210) */
	DEV_MS_ST_ATTACHED,	  /* normal service */
	DEV_MS_ST_LIMITED,	  /* LU rejected: limited service */
	DEV_MS_ST_DETACH,	  /* IMSI DETACH sent, waiting for release (T3220) */
};
extern const struct value_string dev_ms_state_names[];

/* Timers (osmo_tdef T numbers; negative = ours). */
#define DEV_MS_T_RESET	       -1   /* BSSMAP RESET repetition, s */
#define DEV_MS_T3210	       3210 /* LU guard, s (TS 24.008 §11.2) */
#define DEV_MS_T3220	       3220 /* IMSI detach guard, s */
#define DEV_MS_T_MO_SMS	       -2   /* MO SMS guard (TR1M-like), s */
#define DEV_MS_T3211	       3211 /* LU retry after a failure, s (TS 24.008 §4.4.4.9) */
#define DEV_MS_LU_ATTEMPTS_MAX 4    /* TS 24.008 §4.4.4.9: attempt counter limit */
extern struct osmo_tdef dev_ms_tdefs[];

struct dev_ms_net_ops {
	int (*tx_udt)(void *priv, struct msgb *bssap);
	int (*tx_conn_req)(void *priv, uint32_t conn_id, struct msgb *bssap);
	int (*tx_conn_data)(void *priv, uint32_t conn_id, struct msgb *bssap);
	int (*tx_disconnect)(void *priv, uint32_t conn_id);
};

struct dev_ms_sim_ops {
	int (*read_imsi)(void *priv, char imsi[16]);
	int (*authenticate)(void *priv, const uint8_t rand[16], const uint8_t *autn, struct dev_auth_res *res);
	/* ENVELOPE SMS-PP download (sc: RP-OA value, TON/NPI ‖ BCD); r gets the SW and response data (PoR).
	 * r->sw_first carries the SW before any GET RESPONSE. 0 or -errno (card gone). */
	int (*sms_pp_download)(void *priv, const uint8_t *sc, size_t sc_len, const uint8_t *tpdu, size_t tpdu_len,
			       struct dev_rapdu *r);
	/* status: enum cat_location_status; loci: MCC MNC LAC CI (7 bytes) with normal service, else NULL */
	void (*location_status)(void *priv, uint8_t status, const uint8_t *loci, size_t loci_len);
	/* An MO SMS ended: 0 RP-ACK; > 0 RP-ERROR cause; -ECONNREFUSED CM SERVICE REJECT; -ETIMEDOUT; -ENOTCONN */
	void (*mo_sms_done)(void *priv, int result);
	/* one line for the device's event log (the control socket's `events`) */
	void (*event)(void *priv, const char *text);
};

struct dev_ms_cfg {
	struct osmo_cell_global_id cgi; /* where the simulated cell is */
	uint8_t sc[11];			/* SMSC address for MO SMS without one (TON/NPI ‖ BCD) */
	size_t sc_len;
	uint8_t classmark1; /* TS 24.008 §10.5.1.5; 0x33: revision phase 2 -> GSM authentication (network-lab §2.4) */
};

/* A held MT SMS is answered within the network's RP timer or not at all: TS 24.011 Table 10.1 TR1M is
 * 35..45 s (osmo-msc: 40 s), so a longer hold would be a loss, not a delay. */
#define DEV_MS_DELAY_MT_MAX_MS 35000
#define DEV_MS_HELD_MAX	       8   /* MT SMS held at once; further ones go to the card at once */
#define DEV_MS_HELD_RP_MAX     256 /* an RP-DATA is at most 3 + 12 + 1 + 1 + 164 octets (TS 24.011 §7.3.1) */

struct dev_ms_faults {
	unsigned int drop_mt;	   /* drop the next N MT SMS (no CP-ACK, no RP-ACK) */
	unsigned int fail_attach;  /* corrupt the SRES of the next N location updates (network rejects) */
	char fail_attach_imsi[16]; /* only those of this IMSI ("" = any): one profile's network refuses it */
	unsigned int delay_mt_ms;  /* hold every MT SMS this long before the card (CP-ACK at once); 0 = off */
	char delay_mt_oa[21];	   /* only MT SMS whose TP-OA digits are these ("" = every MT SMS) */
};

struct dev_ms;

/* An MT SMS held by the delay fault: CP-ACKed, its RP-DATA kept until the timer gives it to the card. */
struct dev_ms_held {
	struct dev_ms *ms;
	bool used;
	uint8_t ti_reply;
	uint8_t rp[DEV_MS_HELD_RP_MAX];
	size_t rp_len;
	struct osmo_timer_list t;
};

struct dev_ms_mo;

struct dev_ms {
	struct osmo_fsm_inst *fi;
	const struct dev_ms_net_ops *net;
	const struct dev_ms_sim_ops *sim;
	void *priv; /* for both ops tables */
	struct dev_ms_cfg cfg;
	struct dev_ms_faults faults;

	char imsi[16]; /* identity in use (read from the card) */
	bool has_tmsi;
	uint32_t tmsi;
	bool has_serving; /* serving LAI from the last LU ACCEPT */
	struct osmo_location_area_id serving;
	uint8_t last_reject_cause;
	unsigned int lu_attempts;     /* TS 24.008 §4.4.4.9 attempt counter */
	struct osmo_timer_list t3211; /* LU retry */

	struct {
		bool active, confirmed;
		uint32_t id;
		unsigned int nsd; /* TS 24.007 §11.2.3.2.3 send sequence number (mod 2, phase 2 MS) */
	} conn;
	uint32_t next_conn_id;

	/* work waiting for the RR connection to be free, done in this order */
	bool want_detach; /* detach the IMSI in detach_imsi */
	char detach_imsi[16];
	bool want_attach;     /* then (re-)read the IMSI and run a location update */
	bool want_power_off;  /* after the detach */
	struct dev_ms_mo *mo; /* one MO SMS at a time */
	uint8_t next_mr;

	struct dev_ms_held held[DEV_MS_HELD_MAX];

	unsigned long n_lu_ok, n_lu_rej, n_mt_sms, n_mt_dropped, n_mt_delayed, n_mo_sms, n_paging;
};

/* Allocate under ctx (an osmo_fsm instance; freed by dev_ms_free). */
struct dev_ms *dev_ms_alloc(void *ctx, const struct dev_ms_cfg *cfg, const struct dev_ms_net_ops *net,
			    const struct dev_ms_sim_ops *sim, void *priv);
void dev_ms_free(struct dev_ms *ms);
/* The delay fault: hold every MT SMS (with TP-OA digits oa; NULL or "" = all) for ms milliseconds, 0 = off.
 * 0, or -EINVAL (ms above DEV_MS_DELAY_MT_MAX_MS, oa longer than 20 digits). */
int dev_ms_fault_delay_mt(struct dev_ms *ms, unsigned int delay_ms, const char *oa);

/* Harness / device actions. */
void dev_ms_power_on(struct dev_ms *ms);  /* -> BSSMAP RESET, then LU */
void dev_ms_power_off(struct dev_ms *ms); /* IMSI DETACH if attached, then off */
void dev_ms_detach(struct dev_ms *ms);
void dev_ms_attach(struct dev_ms *ms);
/* The card was reset (REFRESH): detach the old identity if attached, read the IMSI, attach again. */
void dev_ms_refresh(struct dev_ms *ms);
/* MO SMS (card SEND SHORT MESSAGE): sc may be NULL (then cfg.sc). 0, -EBUSY (one already pending),
 * -EINVAL. The outcome comes through sim->mo_sms_done. */
int dev_ms_send_sms(struct dev_ms *ms, const uint8_t *sc, size_t sc_len, const uint8_t *tpdu, size_t tpdu_len);

/* Network input (from the SCCP user). data is UNTRUSTED and only borrowed. */
void dev_ms_rx_udt(struct dev_ms *ms, const uint8_t *data, size_t len);
void dev_ms_rx_conn_confirm(struct dev_ms *ms, uint32_t conn_id);
void dev_ms_rx_conn_data(struct dev_ms *ms, uint32_t conn_id, const uint8_t *data, size_t len);
void dev_ms_rx_disconnect(struct dev_ms *ms, uint32_t conn_id);

/* TS 24.011 §8.2.5.4 cause 111 "protocol error, unspecified": our RP-ERROR cause for a failed download. */
#define DEV_RP_CAUSE_PROTOCOL_ERROR 111
/* TS 23.040 §9.2.3.22 TP-FCS values for data download (TS 31.111 §7.1.1.1). */
#define DEV_TP_FCS_SAT_BUSY	      0xD4
#define DEV_TP_FCS_SIM_DOWNLOAD_ERROR 0xD5
