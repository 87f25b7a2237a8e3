/* sims/euicc: the EIS of a card as the EUM registers it at the first SM-SR: an ES1.RegisterEIS SOAP
 * message (lib/es) filled from the card file, with the EumSignature made with SK.EUM.ECDSA.
 *
 * What is signed — a named variant, because the XML-DSig profile SGP.02 uses (references, transforms,
 * canonicalisation) was not read (digest §4.1 only says EumSignature is a ds:SignatureType over the
 * EumSignedInfo the EUM signs):
 *   EUICC_EIS_SIG_DSIG_DETACHED (default): ds:SignedInfo with CanonicalizationMethod exclusive C14N
 *     1.0, SignatureMethod ecdsa-sha256 (RFC 6931), one Reference WITHOUT URI whose DigestValue is the
 *     SHA-256 of the exclusive C14N of the EumSignedInfo element (as it stands in the message); the
 *     SignatureValue is ECDSA-SHA-256 over the exclusive C14N of ds:SignedInfo, base64 of r‖s.
 *     This is OUR convention for a reference to a sibling element without an Id; it is XML-DSig in
 *     shape only and was NOT tested against any XML-DSig implementation.
 *   EUICC_EIS_SIG_DIRECT: the same SignedInfo, but the SignatureValue is ECDSA-SHA-256 directly over
 *     the exclusive C14N of EumSignedInfo (no SignedInfo indirection).
 * euicc_eis_verify() checks either, so the SM-SR side can use the same rule.
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
#include "sims/euicc/store.h"

enum euicc_eis_sig {
	EUICC_EIS_SIG_DSIG_DETACHED,
	EUICC_EIS_SIG_DIRECT,
};
extern const struct value_string euicc_eis_sig_names[];

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
	char digest_b64[64], sig_b64[128];
};

/* Fill msg (an ES1.RegisterEIS request) from the card file (at most 4 profiles). */
int euicc_eis_fill(struct es_msg *msg, struct euicc_eis_buf *b, struct euicc_store *st,
		   const struct euicc_eis_params *p);
/* Sign msg's Eis with the EUM key and encode the whole message into out. Returns its length. */
int euicc_eis_sign(uint8_t *out, size_t cap, struct es_msg *msg, struct euicc_eis_buf *b, EVP_PKEY *eum,
		   enum euicc_eis_sig v);
/* Check the EumSignature of an encoded RegisterEIS with PK.EUM.ECDSA: 0, -EACCES, -EBADMSG. */
int euicc_eis_verify(const uint8_t *xml, size_t len, EVP_PKEY *eum_pub, enum euicc_eis_sig v);
