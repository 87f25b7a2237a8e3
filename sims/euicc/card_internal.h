/* sims/euicc: the card object's insides, shared by card.c, usim.c, ota.c, isdr.c, notify.c and the
 * extension files (BIP/SCP81, ES8). Not a public API. */
#pragma once

#include "lib/sms/sms_concat.h"
#include "sims/euicc/card.h"

/* What the basic logical channel has selected. */
enum euicc_sel {
	EUICC_SEL_MF,
	EUICC_SEL_ADF_USIM,
	EUICC_SEL_DF_GSM,
	EUICC_SEL_ISDR,
	EUICC_SEL_ECASD,
};

struct euicc_proactive_entry {
	uint8_t buf[256];
	size_t len;
	uint8_t number;
	uint8_t type;
	euicc_tr_cb cb;
	void *priv;
};

struct euicc_card {
	struct euicc_store *st;
	struct euicc_config cfg;
	struct euicc_ext_ops ext;
	uint8_t eid[16];
	bool powered;
	/* volatile state, cleared at power-on / reset */
	enum euicc_sel sel;
	uint16_t ef;			  /* selected EF id, 0 = none */
	bool usim_active;		  /* the USIM ADF has been selected since the reset */
	uint8_t getresp[EUICC_RAPDU_MAX]; /* data kept for GET RESPONSE */
	size_t getresp_len;
	uint16_t getresp_sw;
	struct euicc_proactive_entry q[EUICC_PROACTIVE_MAX];
	unsigned int q_n;
	uint8_t next_number;
	uint8_t tp[CAT_TP_MAX_BYTES];
	size_t tp_len;
	struct sms_concat concat;
	bool script_switched;	 /* the script just run changed the enabled profile (REFRESH pending) */
	bool notif_via_sms;	 /* an HTTPS notification session failed: SMS until the next power-on */
	unsigned int script_seq; /* counts scripts run (euicc_card_script_run): "in the same script" */
	struct euicc_x *x;	 /* key establishment, ES8, admin session (ext.h); NULL when detached */
	/* The ISD-P whose profile the USIM runs from power-on / reset to the next one: an Enable or Disable
	 * takes effect at the REFRESH's reset (SGP.02 §3.2.1 step 22-23), not in the middle of a session
	 * (the PoR's MO SMS before the REFRESH still authenticates with the old profile). */
	uint8_t run_aid[EUICC_AID_MAX];
	uint8_t run_aid_len;
};

/* A response being built: data + SW. */
struct euicc_rsp {
	uint8_t data[EUICC_RAPDU_MAX];
	size_t len;
	uint16_t sw;
};

static inline void euicc_rsp_sw(struct euicc_rsp *r, uint16_t sw)
{
	r->sw = sw;
}

/* ext.c: attach the extension (sets c->ext), forget its volatile state, free it. */
int euicc_x_attach(struct euicc_card *c);
void euicc_x_power(struct euicc_card *c);
void euicc_x_detach(struct euicc_card *c);

/* usim.c */
void euicc_usim_reset(struct euicc_card *c);
/* SELECT by FID (P1 00) or AID (P1 04), READ/UPDATE BINARY, READ RECORD, STATUS, AUTHENTICATE. le: 0 =
 * absent, else 1..256. Returns true if ins was handled. */
bool euicc_usim_apdu(struct euicc_card *c, uint8_t cla, uint8_t ins, uint8_t p1, uint8_t p2, const uint8_t *data,
		     size_t lc, unsigned int le, struct euicc_rsp *r);
/* MILENAGE f1* and f5* (TS 35.206 §4.1), which libosmocore 1.7 does not export: MAC-S (8) and AK* (6). */
int euicc_milenage_f1star_f5star(const uint8_t k[16], const uint8_t opc[16], const uint8_t rand[16],
				 const uint8_t sqn[6], const uint8_t amf[2], uint8_t mac_s[8], uint8_t ak_s[6]);

/* ota.c: ENVELOPE SMS-PP download; r gets the SMS-DELIVER-REPORT data (PoR) or nothing. */
void euicc_ota_sms_pp(struct euicc_card *c, const struct cat_envelope *env, struct euicc_rsp *r);
/* Send a secured packet (already wrapped, UDH 02 7x 00 not included) by SEND SHORT MESSAGE to the
 * address (TON/NPI + digits as sms_addr). iei = SMS_IEI_CPI / SMS_IEI_RPI. */
int euicc_ota_send_sms(struct euicc_card *c, const struct sms_addr *to, const uint8_t *packet, size_t len, uint8_t iei);

/* isdr.c: one C-APDU of a script to the ISD-R (or an I/O-level GP command with s->kvn == 0). */
void euicc_isdr_apdu(struct euicc_card *c, const struct euicc_session *s, const uint8_t *apdu, size_t len,
		     struct euicc_rsp *r);
/* GET DATA (EID, ECASD certificate, card resources), also answered on the I/O interface. */
void euicc_isdr_get_data(struct euicc_card *c, uint16_t tag, struct euicc_rsp *r);

/* notify.c: the profile switch procedure and the notifications. */
/* Enable target (aid): POL1 / state checks, commit, REFRESH. Sets r->sw. */
void euicc_switch_enable(struct euicc_card *c, const uint8_t *aid, size_t len, struct euicc_rsp *r);
void euicc_switch_disable(struct euicc_card *c, const uint8_t *aid, size_t len, struct euicc_rsp *r);
/* Called at power-on/reset, on location status events, on the REFRESH terminal response. */
void euicc_switch_power_on(struct euicc_card *c);
void euicc_switch_location(struct euicc_card *c, uint8_t status);
/* 3A08: drop the notification; returns 0 or -ENOENT. */
int euicc_switch_confirm(struct euicc_card *c, uint16_t seq);
/* Queue a new notification of type for aid (next sequence number), in the caller's transaction. */
int euicc_notif_new(struct euicc_card *c, uint8_t type, const uint8_t *aid, size_t aid_len, uint16_t *seq);
/* Try to send a notification now (SEND SHORT MESSAGE); counts the attempt. */
int euicc_notif_send(struct euicc_card *c, uint16_t seq);
/* admin.c: the admin session opened for a notification failed (no TLS, wrong PSK, link down): send the
 * unconfirmed notifications by SMS now, and until the next power-on. */
void euicc_notif_https_failed(struct euicc_card *c);
/* Queue the REFRESH of a profile switch the last script made (after its PoR). */
void euicc_switch_refresh_if_pending(struct euicc_card *c);
