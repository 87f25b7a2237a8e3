/* sims/euicc: the EIS of a card as the EUM registers it at the first SM-SR: an ES1.RegisterEIS SOAP
 * message (lib/es) filled from the card file, with the EumSignature made with SK.EUM.ECDSA.
 *
 * The EumSignature (what is signed: the named variants of lib/es/es_eumsig.h, default dsig-detached) is
 * made and checked by lib/es/es_eumsig, which the SM-SR uses too; euicc_eis_sign() / euicc_eis_verify()
 * are thin wrappers kept for the card side.
 *
 * Trust: the card file and the EUM key are trusted; euicc_eis_verify() parses UNTRUSTED XML (libxml2,
 * no network, no DTD loading). Returns: length / 0, or a negative errno (-EINVAL bad argument or card
 * data, -EMSGSIZE, -EBADMSG not a RegisterEIS with a signature, -EACCES the signature or digest does
 * not verify, -EIO crypto or XML failure). */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <openssl/evp.h>
#include <osmocom/core/utils.h>

#include "lib/es/es.h"
#include "lib/es/es_eumsig.h"
#include "sims/euicc/store.h"

struct euicc_eis_params {
	const char *eum_id;	     /* OID of the EUM */
	const char *smsr_id;	     /* OID of the first SM-SR */
	const char *mno_id;	     /* OID of the first profile's MNO */
	const char *production_date; /* xs:dateTime; NULL = now (UTC) */
	const char *message_id;	     /* WS-A MessageID; NULL = a random urn:uuid */
	const char *to;		     /* WS-A To; NULL = "http://smsr.rsplab.test/ES1" */
};

/* Storage the message's strings and byte strings point into. */
struct euicc_eis_buf {
	uint8_t eid[16], cert[1024];
	size_t cert_len;
	uint8_t aids[4][16], tars[2][3], isdp_aid[4][16];
	char iccid[4][21], imsi[4][16], msisdn[4][16];
	char date[32], msg_id[64], fcid[64];
	struct es_eumsig_buf sig;
};

/* Fill msg (an ES1.RegisterEIS request) from the card file (at most 4 profiles). */
int euicc_eis_fill(struct es_msg *msg, struct euicc_eis_buf *b, struct euicc_store *st,
		   const struct euicc_eis_params *p);
/* Sign msg's Eis with the EUM key and encode the whole message into out. Returns its length. */
int euicc_eis_sign(uint8_t *out, size_t cap, struct es_msg *msg, struct euicc_eis_buf *b, EVP_PKEY *eum,
		   enum es_eumsig_variant v);
/* Check the EumSignature of an encoded RegisterEIS with PK.EUM.ECDSA: 0, -EACCES, -EBADMSG. */
int euicc_eis_verify(const uint8_t *xml, size_t len, EVP_PKEY *eum_pub, enum es_eumsig_variant v);
