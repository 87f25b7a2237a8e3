/* sims/euicc: the simulated SGP.02 v3.1 eUICC as a card object that speaks ISO 7816-4 / TS 102 221
 * APDUs (card.c), with its USIM (usim.c), the SMS-PP OTA path (ota.c), the ISD-R's ES5 functions
 * (isdr.c) and the profile switch / notification procedure (notify.c). No sockets here: vpcd.c puts a
 * card on the vsmartcard wire, tests call euicc_card_apdu() directly.
 *
 * Trust: every APDU is UNTRUSTED. The card file (store.h) is trusted. euicc_card_apdu() never fails:
 * protocol errors are status words.
 *
 * Extension points for the code that is not in these files (BIP/SCP81 admin sessions and ES8 key
 * establishment + SCP03t download), see struct euicc_ext_ops and README.md:
 *   - euicc_card_proactive_push(): queue any proactive command with a TERMINAL RESPONSE callback;
 *   - ext->push: the secured data of an SCP80 packet to the ISD-R that is an SCP81 push (81 TLV);
 *   - ext->event: EVENT DOWNLOAD other than location status (data available, channel status);
 *   - ext->keyset: STORE DATA 3A01/3A02 (EstablishISDRKeySet / ES8 EstablishISDPKeySet);
 *   - ext->isdp_item: a script item addressed to an ISD-P (SCP03t 84/85/86, INSTALL perso, ES8 3A07);
 *   - euicc_card_script_run(): run an expanded (AA/AE) or compact remote script on the ISD-R, as the
 *     HTTP admin agent needs for SCP81 bodies;
 *   - store.h: euicc_store_isdp_put() for the ISD-P SCP03 key set and the installed profile. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <osmocom/core/utils.h>

#include "lib/cat/cat.h"
#include "lib/ecka/ecka.h"
#include "lib/es5/es5.h"
#include "lib/es5/notification.h"
#include "lib/ramhttp/ramhttp.h"
#include "lib/scp03t/scp03t.h"
#include "lib/scp81/scp81.h"
#include "sims/euicc/store.h"

#define EUICC_RAPDU_MAX	    258 /* 256 data bytes + SW */
#define EUICC_PROACTIVE_MAX 8

struct euicc_card;

/* Variant: the REFRESH qualifier after a profile switch (open-questions §8, switch `refresh_qualifier`). */
enum euicc_refresh_variant {
	EUICC_REFRESH_04_UICC_RESET,	       /* default: 04 UICC reset */
	EUICC_REFRESH_09_PROFILE_STATE_CHANGE, /* 09 eUICC profile state change */
};
extern const struct value_string euicc_refresh_variant_names[];

/* Variant: what the card does with a packet that fails an SCP80 security check (CC, counter, key,
 * security level). TS 102 225 §5.2.2 defines PoR status codes 01-0A for exactly these cases and a PoR
 * answers them, unsecured; euicc.tech art. 04 says the eUICC drops such packets silently. */
enum euicc_secerr_variant {
	EUICC_SECERR_POR_UNSECURED, /* default: a PoR with the status, when the SPI asks for a PoR */
	EUICC_SECERR_SILENT_DROP,
};
extern const struct value_string euicc_secerr_variant_names[];

/* Variant: PoR of an EnableProfile / DisableProfile script before the REFRESH (open-questions §6). */
enum euicc_por_refresh_variant {
	EUICC_POR_BEFORE_REFRESH, /* default */
	EUICC_NO_POR_ON_ENABLE,
};
extern const struct value_string euicc_por_refresh_variant_names[];

/* Variant: which security domain a key-agreement STORE DATA (3A02) is for when its script has no INSTALL
 * [for personalization] (digest §3.2 step 7 sends INSTALL perso with the first command only; neither
 * source says whether the second script repeats it). */
enum euicc_perso_scope {
	EUICC_PERSO_PENDING,	/* default: 3A02 continues the pending 3A01's target (ISD-R or ISD-P) */
	EUICC_PERSO_PER_SCRIPT, /* only an INSTALL perso in the same script names an ISD-P, else the ISD-R */
};
extern const struct value_string euicc_perso_scope_names[];

/* How the card sends its E1 notifications (digest §4.5: "SMS-MO or HTTPS"; which one a card uses is its
 * configuration). HTTPS: an admin session the card opens itself (admin.c) to the SM-SR's HTTPS address
 * (param admin.conn, personalised by `rsplab-euicc init --admin-addr`) with the lowest SCP81 key set,
 * the E1 in the first POST (enum ramhttp_notif_carriage), confirmed by the 3A08 the SM-SR sends in that
 * session; when no such session can be opened (no address, no SCP81 key set) the card falls back to SMS
 * [I: the eUICC must support SMS, digest §1]. Persisted per card: param notif.transport overrides
 * the configured value at open. */
enum euicc_notif_transport {
	EUICC_NOTIF_SMS, /* default */
	EUICC_NOTIF_HTTPS,
};
extern const struct value_string euicc_notif_transport_names[];

struct euicc_config {
	enum euicc_refresh_variant refresh;
	enum euicc_secerr_variant secerr;
	enum euicc_por_refresh_variant por_refresh;
	enum es5_f2_semantics f2;
	enum es5_notif_aid_tag notif_aid_tag;
	/* Sends of a type-02 notification without a 3A08 before the card takes it as "validity period
	 * expired" and rolls back (our reading of digest §3.4; no source gives a number). */
	unsigned int notif_max_attempts;
	uint8_t notif_spi[2];  /* SPI of the card's own notification packets: CC, cipher, counter; no PoR */
	uint64_t cntr_max_gap; /* SPI counter mode 10: max accepted jump, 0 = unlimited */
	const char *imei;      /* 15 digits sent in notifications, NULL = none */
	enum euicc_notif_transport notif_transport; /* param notif.transport overrides */
	enum ramhttp_notif_carriage notif_carriage; /* param notif.carriage overrides */
	/* key establishment, ES8 and the admin session (ext.c, keyset.c, es8.c, admin.c) */
	struct ecka_variants ecka;	     /* open-questions §3/§4/§16 */
	struct scp03t_variants scp03t;	     /* open-questions §5 */
	enum euicc_perso_scope perso;	     /* see above */
	enum ramhttp_psk_id_format psk_id;   /* open-questions §7 */
	enum scp81_timer_coding retry_timer; /* digest §5.2: the push's 86 waiting delay */
	uint32_t cert_date;		     /* YYYYMMDD to check SM-SR/SM-DP certificates at; 0 = today (UTC) */
};
void euicc_config_default(struct euicc_config *cfg);

/* An OTA session as the script engine sees it: which key set secures it (FinaliseISDRhandover must not
 * delete it) and the TAR it came to. */
struct euicc_session {
	uint8_t kvn; /* 0 = not an OTA session (I/O interface) */
	uint32_t tar;
	bool scp81;
};

/* TERMINAL RESPONSE callback for a queued proactive command. */
typedef void (*euicc_tr_cb)(struct euicc_card *c, const struct cat_terminal_response *tr, void *priv);

struct euicc_ext_ops {
	/* SCP80-verified secured data to the ISD-R that starts with the 81 push TLV. Fill resp (compact
	 * response data for the PoR) and return its length, or a negative errno (PoR data "no data"). */
	int (*push)(struct euicc_card *c, const struct euicc_session *s, const uint8_t *data, size_t len, uint8_t *resp,
		    size_t cap, void *priv);
	/* EVENT DOWNLOAD other than location status. */
	void (*event)(struct euicc_card *c, const struct cat_envelope *env, void *priv);
	/* Send the E1 notification e1 over HTTPS (an admin session the card opens). 0 when under way,
	 * < 0 when it cannot be (the core then sends it by SMS). */
	int (*notify)(struct euicc_card *c, const uint8_t *e1, size_t len, void *priv);
	/* STORE DATA 3A01 / 3A02 (lib/ecka). Writes response data, sets *sw. */
	int (*keyset)(struct euicc_card *c, const struct euicc_session *s, const struct es5_command *cmd,
		      const uint8_t *target_aid, size_t target_len, uint8_t *resp, size_t cap, uint16_t *sw,
		      void *priv);
	/* A script item for an ISD-P (ES8): kind = the rscript item tag (22 C-APDU, 84/85/86 SCP03t).
	 * Returns the response length and sets *sw (C-APDU) or the response TLV bytes (SCP03t). */
	int (*isdp_item)(struct euicc_card *c, const struct euicc_isdp *isdp, uint8_t kind, const uint8_t *v,
			 size_t len, uint8_t *resp, size_t cap, uint16_t *sw, void *priv);
	void *priv;
};

/* The size of the card object with its extension state (the benchmark's reference). */
size_t euicc_card_sizeof(void);

/* Open the card in path (a file made by `rsplab-euicc init`). cfg NULL = defaults. */
int euicc_card_open(struct euicc_card **c, const char *path, const struct euicc_config *cfg);
/* Power off and close the file: the state is what the last commit left. NULL is fine. */
void euicc_card_close(struct euicc_card *c);
void euicc_card_set_ext(struct euicc_card *c, const struct euicc_ext_ops *ext);
struct euicc_store *euicc_card_store(struct euicc_card *c);
const struct euicc_config *euicc_card_config(const struct euicc_card *c);

/* Reader control (vpcd 0/1/2/4). Power on and reset forget the volatile state (selected files,
 * proactive queue, concatenation buffers) and run the power-on procedure of a pending switch. */
void euicc_card_power_on(struct euicc_card *c);
void euicc_card_power_off(struct euicc_card *c);
void euicc_card_reset(struct euicc_card *c);
bool euicc_card_powered(const struct euicc_card *c);
/* The ATR (T=0 and T=1, TS 102 221 §6.3). Returns its length. */
size_t euicc_card_atr(const struct euicc_card *c, uint8_t *buf, size_t cap);

/* One command APDU (short, or extended up to the buffer) -> response APDU with SW, into rapdu
 * (cap >= EUICC_RAPDU_MAX). Returns the response length (>= 2). A powered-off card answers 6F00. */
size_t euicc_card_apdu(struct euicc_card *c, const uint8_t *capdu, size_t len, uint8_t *rapdu, size_t cap);

/* Queue a proactive command (its details.number is assigned here). cb may be NULL. Returns 0,
 * -ENOSPC (queue full), or the encoder's errno. */
int euicc_card_proactive_push(struct euicc_card *c, struct cat_proactive *cmd, euicc_tr_cb cb, void *priv);
/* Length of the command at the head of the queue (0 if none): what 91xx announces. */
size_t euicc_card_proactive_pending(const struct euicc_card *c);

/* Run a remote command script on the ISD-R (expanded AA/AE -> AB/AF, or compact). Writes the response
 * script; returns its length or a negative errno (malformed data: no response). *refresh is set when the
 * script changed the enabled profile (the PoR goes before the REFRESH). */
int euicc_card_script_run(struct euicc_card *c, const struct euicc_session *s, const uint8_t *script, size_t len,
			  uint8_t *resp, size_t cap);

/* The admin session (admin.c): elapsed seconds for the retry policy of the push's 86 (the server
 * calls it every second; tests with the delay they want to skip); whether a session exists. */
void euicc_card_admin_tick(struct euicc_card *c, unsigned int elapsed_s);
bool euicc_card_admin_active(const struct euicc_card *c);

/* The notification retry timer of the server (and tests): resend every unconfirmed notification. */
void euicc_card_notif_tick(struct euicc_card *c);

/* The pending profile-switch phase, for tests and logs. */
enum euicc_switch_phase {
	EUICC_SW_NONE = 0,
	EUICC_SW_WAIT_RESET = 1,    /* Enable/Disable committed, REFRESH not yet done */
	EUICC_SW_WAIT_ATTACH = 2,   /* reset done, waiting for the location status */
	EUICC_SW_WAIT_CONFIRM = 3,  /* type 02 sent, waiting for 3A08 */
	EUICC_SW_RB_WAIT_RESET = 4, /* rolled back to the previous profile */
	EUICC_SW_RB_WAIT_ATTACH = 5,
	EUICC_SW_FB_WAIT_RESET = 6, /* fell back to the fall-back profile */
	EUICC_SW_FB_WAIT_ATTACH = 7,
};
extern const struct value_string euicc_switch_phase_names[];
enum euicc_switch_phase euicc_card_switch_phase(struct euicc_card *c);
