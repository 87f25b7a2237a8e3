/* sims/euicc: the card factory — writes a new card file (store.h) with its ECASD, ISD-R key sets and a
 * first, enabled profile from a SAIP package. Used by `rsplab-euicc init` and by the tests.
 * Inputs are trusted (ours); the SAIP package is decoded with lib/saip. Returns 0 or a negative errno
 * (-EEXIST the file exists, -EINVAL bad parameter, name or package, -EIO store failure). */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "lib/crypto/ec.h"
#include "sims/euicc/store.h"

#define EUICC_FIRST_ISDP_TAR 0x000010

struct euicc_factory {
	const char *eid; /* 32 digits, valid check digits */
	enum crypto_curve curve;
	uint8_t sk_ecasd[EC_SCALAR_LEN]; /* SK.ECASD.ECKA */
	const uint8_t *cert_ecasd;	 /* CERT.ECASD.ECKA (7F21) */
	size_t cert_len;
	uint8_t pk_ci[EC_POINT_LEN]; /* PK.CI.ECDSA */
	const uint8_t *saip;	     /* the first profile */
	size_t saip_len;
	const char *msisdn;   /* of the first profile, NULL = none */
	const char *smsr_sms; /* SM-SR SMS address "ton npi digits", NULL = none */
	/* The SM-SR's HTTPS (SCP81) address "IPv4:port" for sessions the card opens itself (params
	 * admin.conn = OPEN CHANNEL objects: default bearer, TCP client to it; admin.host), NULL = none */
	const char *admin_addr;
	/* card.h enum euicc_notif_transport / lib/ramhttp enum ramhttp_notif_carriage by name (params
	 * notif.transport / notif.carriage), NULL = the card's configured default */
	const char *notif_transport, *notif_carriage;
	/* ISD-R keys: KVN 01 SCP80 AES-128 KIc/KID/KIK and KVN 40 SCP81 PSK/DEK; random when not set */
	bool keys_given;
	uint8_t scp80[3][16];
	uint8_t scp81[2][16];
};

int euicc_factory_make(const char *path, struct euicc_factory *f);

/* Put a further profile into an ISD-P (test set-up and the ES8 installation path): decode the SAIP
 * package into isdp->prof. Returns 0 or -EINVAL. */
int euicc_factory_profile(struct euicc_isdp *isdp, const uint8_t *saip, size_t len, const char *msisdn);

/* Add a further profile, DISABLED, in a new ISD-P with this TAR (its AID from the TAR, ids.h) to an
 * existing card file (test set-up: a card with two profiles for the profile switch). Returns 0,
 * -EEXIST (an ISD-P with that TAR exists), -EINVAL (bad TAR or package), -EIO / -ENOENT (store). */
int euicc_factory_add_profile(const char *path, const uint8_t *saip, size_t len, const char *msisdn, uint32_t tar);
