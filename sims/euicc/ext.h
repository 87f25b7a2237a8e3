/* sims/euicc: the card's extension state — key establishment (keyset.c), ES8 over SCP03t and SCP03
 * (es8.c) and the BIP / TLS-PSK / RAM-over-HTTP admin session (admin.c) — plugged into the core through
 * struct euicc_ext_ops (card.h) by ext.c. Not a public API.
 *
 * Everything here is VOLATILE (RAM of the card): power-on and reset forget it (euicc_x_power). What a
 * real card commits — key sets, ISD-P life cycle, the SCP03t sequence counter, the installed profile —
 * goes to the store at the point it would commit. Input reaching these functions is UNTRUSTED (it comes
 * out of SCP80/SCP81-verified scripts, but the SM-SR / SM-DP that sent it is not trusted to be
 * well-formed). Key material never reaches a log. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/crypto/ec.h"
#include "lib/scp03/scp03.h"
#include "lib/scp03t/scp03t.h"
#include "sims/euicc/card_internal.h"

#define EUICC_RC_LEN	       16	   /* the random challenge of 3A01 (digest §2.1 step 8: 16 or 32) */
#define EUICC_PACKAGE_MAX      (64 * 1024) /* cap on an assembled profile package (ours are < 2 KiB) */
#define EUICC_CONNECTIVITY_MAX 512	   /* cap on ES8 UpdateConnectivityParameters data */

/* A key establishment between its two STORE DATAs (3A01 -> 3A02). */
struct euicc_keyest {
	bool pending;
	bool isdp; /* target: an ISD-P (ES8.EstablishISDPKeySet) or the ISD-R (EstablishISDRKeySet) */
	uint8_t aid[EUICC_AID_MAX];
	size_t aid_len;
	uint8_t pk[EC_POINT_LEN]; /* PK.SR.ECDSA / PK.DP.ECDSA from the verified certificate */
	enum crypto_curve curve;
	uint8_t rc[EUICC_RC_LEN];
};

/* An ES8 download in progress for one ISD-P (allocated on its 84, freed when it ends). */
struct euicc_download {
	uint8_t aid[EUICC_AID_MAX];
	size_t aid_len;
	struct scp03t_card s;
	uint8_t *pkg; /* EUICC_PACKAGE_MAX bytes */
	size_t pkg_len;
	bool done; /* installed (or failed) after PE-End: later 86 are refused */
};

/* An SCP03 APDU session with an ISD-P (ES8.UpdateConnectivityParameters). */
struct euicc_scp03_apdu {
	bool active;
	bool authenticated;
	uint8_t aid[EUICC_AID_MAX];
	size_t aid_len;
	struct scp03_session s;
};

struct euicc_admin; /* admin.c */

struct euicc_x {
	/* INSTALL [for personalization]: the ISD-P the next STORE DATAs of this script go to */
	bool perso;
	unsigned int perso_script;
	uint8_t perso_aid[EUICC_AID_MAX];
	size_t perso_len;
	struct euicc_keyest ke;
	struct euicc_download *dl;
	struct euicc_scp03_apdu scp03;
	struct euicc_admin *admin;
};

/* keyset.c: ext.keyset (INSTALL perso, 3A01, 3A02). */
int euicc_keyset_handle(struct euicc_card *c, const struct euicc_session *s, const struct es5_command *cmd,
			uint8_t *resp, size_t cap, uint16_t *sw);

/* es8.c: ext.isdp_item (C-APDUs and SCP03t TLVs for an ISD-P). */
int euicc_es8_item(struct euicc_card *c, const struct euicc_isdp *isdp, uint8_t kind, const uint8_t *v, size_t len,
		   uint8_t *resp, size_t cap, uint16_t *sw);
void euicc_es8_reset(struct euicc_card *c);
/* Names of the per-ISD-P params (SCP03t sequence counter, connectivity parameters). */
void euicc_es8_param_name(char *buf, size_t cap, const char *what, const uint8_t *aid, size_t aid_len);
/* Drop the per-ISD-P params of a deleted ISD-P (in the caller's transaction). */
void euicc_es8_forget(struct euicc_card *c, const uint8_t *aid, size_t aid_len);

/* admin.c: ext.push and ext.event; the admin session over BIP. */
int euicc_admin_push(struct euicc_card *c, const struct euicc_session *s, const uint8_t *data, size_t len,
		     uint8_t *resp, size_t cap);
void euicc_admin_event(struct euicc_card *c, const struct cat_envelope *env);
void euicc_admin_reset(struct euicc_card *c);
/* Open an admin session without a push to send the E1 notification e1 (its first POST); 0 when the
 * OPEN CHANNEL is queued, -EBUSY (a session runs), -ENOENT (no stored connection or SCP81 key set),
 * -EINVAL. */
int euicc_admin_notify(struct euicc_card *c, const uint8_t *e1, size_t len);
