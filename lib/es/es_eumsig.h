/* lib/es: the EumSignature of an EIS (ES1.RegisterEIS; digest §4.1): sign (the EUM side, e.g. the card
 * simulator's `rsplab-euicc init`) and verify (the SM-SR side) over the XML bytes of the message.
 *
 * What is signed is a NAMED variant, because the XML-DSig profile SGP.02 uses (references, transforms,
 * canonicalisation) was not read (digest §4.1 only says EumSignature is a ds:SignatureType over the
 * EumSignedInfo the EUM signs):
 *   ES_EUMSIG_DSIG_DETACHED (default): ds:SignedInfo with CanonicalizationMethod exclusive C14N 1.0,
 *     SignatureMethod ecdsa-sha256 (RFC 6931), one Reference WITHOUT URI whose DigestMethod is SHA-256
 *     and whose DigestValue is the SHA-256 of the exclusive C14N of the EumSignedInfo element (as it
 *     stands in the message); the SignatureValue is ECDSA-SHA-256 over the exclusive C14N of
 *     ds:SignedInfo, base64 of r‖s (64 bytes). This is OUR convention for a reference to a sibling
 *     element without an Id; it is XML-DSig in shape only and was NOT tested against any XML-DSig
 *     implementation.
 *   ES_EUMSIG_DIRECT: the same SignedInfo (DigestValue included), but the SignatureValue is ECDSA-SHA-256
 *     directly over the exclusive C14N of EumSignedInfo (no SignedInfo indirection).
 * Only EumSignedInfo is covered: the rest of the EIS (profiles, ISD-R, Smsr-id, memory) changes during
 * the eUICC's life and is not signed by the EUM (digest §4.1 EISType).
 *
 * The verifier is strict about the shape, so that the element it checks is the one a decoder reads
 * (no signature wrapping): no DTD; exactly one element each named EumSignedInfo, EumSignature, SignedInfo,
 * Reference, DigestValue, SignatureValue anywhere in the document (by local name, any namespace);
 * EumSignedInfo and EumSignature are children of the same Eis element in the GSMA body namespace (/3 or
 * /1); SignedInfo and SignatureValue children of EumSignature in the ds namespace; the three algorithm
 * URIs exactly the ones above; no Reference URI; DigestValue and SignatureValue canonical base64 of 32
 * and 64 bytes without white space.
 *
 * Trust: es_eumsig_verify() parses UNTRUSTED XML (libxml2, no network, no DTD, entities not
 * substituted, at most ES_EUMSIG_XML_MAX bytes); keys and es_eumsig_sign()'s message are trusted.
 * Nothing is kept: no allocation survives a call. Return values below. */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <openssl/evp.h>
#include <osmocom/core/utils.h>

#include "lib/es/es.h"

#define ES_EUMSIG_XML_MAX (1024 * 1024) /* = SOAP_MAX_INPUT_DEFAULT: one message */

enum es_eumsig_variant {
	ES_EUMSIG_DSIG_DETACHED, /* default */
	ES_EUMSIG_DIRECT,
};
extern const struct value_string es_eumsig_variant_names[];

#define ES_EUMSIG_ALG_C14N   "http://www.w3.org/2001/10/xml-exc-c14n#"		   /* exclusive XML C14N 1.0 */
#define ES_EUMSIG_ALG_SHA256 "http://www.w3.org/2001/04/xmlenc#sha256"		   /* RFC 6931 §2.1.3 */
#define ES_EUMSIG_ALG_ECDSA  "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256" /* RFC 6931 §2.3.6 */

/* Storage es_eumsig_sign() points the message's DigestValue and SignatureValue into. */
struct es_eumsig_buf {
	char digest_b64[48]; /* base64 of 32 bytes: 44 characters */
	char sig_b64[96];    /* base64 of r‖s, 64 bytes: 88 characters */
};

/* Sign the Eis of msg (an ES1.RegisterEIS request) with key (SK.EUM.ECDSA, P-256) under variant v:
 * fills its EumSignature (algorithms, DigestValue, SignatureValue pointing into b) and encodes the whole
 * message with body variant var (NULL = es_variant_default) into out. Returns the encoded length, or
 * -EINVAL (not a RegisterEIS / bad argument), -EMSGSIZE (cap), -EIO (XML or crypto failure). */
int es_eumsig_sign(uint8_t *out, size_t cap, struct es_msg *msg, struct es_eumsig_buf *b, EVP_PKEY *key,
		   enum es_eumsig_variant v, const struct es_variant *var);

/* Check the EumSignature of the encoded RegisterEIS xml under variant v against each of the n public
 * keys (PK.EUM.ECDSA; NULL entries skipped). Returns 0 when one verifies (its index in *which, may be
 * NULL), -EBADMSG (not well-formed, not the shape above, no signature, oversize), -EACCES (the digest
 * does not match the EumSignedInfo, or no key verifies the signature), -EINVAL (bad argument). */
int es_eumsig_verify(const uint8_t *xml, size_t len, EVP_PKEY *const *keys, size_t n, enum es_eumsig_variant v,
		     size_t *which);
