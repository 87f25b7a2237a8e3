/* The GSMA logical message header (RPSHeader, euicc.root.xsd) and its mapping onto WS-Addressing
 * 1.0 headers, as seen on the wire (digest §6.2, ZTE trace; the mapping rule itself is inferred):
 *
 *   wsa:From/wsa:Address = <sender URL>?EntityId=<OID>&EntityName=<name>
 *   wsa:To               = <receiver URL>?EntityId=<OID>
 *   wsa:MessageID        = //<sender OID>/<unique id>?TransactionId=<id>&MessageDate=<UTC>[&ContextId=<id>]
 *   wsa:Action           = MessageType's action URI
 *   wsa:RelatesTo        = RelatesTo (responses)
 *   wsa:ReplyTo          = ResponseEndpoint
 *
 * ContextId has no place in the trace; we carry it as a further MessageID query parameter [I].
 * Query values are percent-encoded (RFC 3986 §2.1) except unreserved characters and ':'.
 *
 * rps_header_from_wsa() parses UNTRUSTED header texts. Both directions copy every string into a
 * caller-provided arena; out's pointers point into it (or, for unchanged texts, into *in).
 * Returns 0, -EMSGSIZE (arena too small) or -EINVAL. Headers that do not follow the mapping are
 * findings (RPS-0xx), never errors: the fields that could not be recovered stay NULL. */
#pragma once

#include <stddef.h>

#include "lib/soap/soap.h"

struct rps_header {
	const char *sender_url;	       /* endpoint part of wsa:From */
	const char *sender_id;	       /* SenderEntity/EntityId (OID) */
	const char *sender_name;       /* SenderEntity/EntityName (optional) */
	const char *receiver_url;      /* endpoint part of wsa:To */
	const char *receiver_id;       /* ReceiverEntity/EntityId (OID) */
	const char *response_endpoint; /* ResponseEndpoint (optional) = wsa:ReplyTo */
	const char *context_id;	       /* ContextId (optional) */
	const char *transaction_id;    /* TransactionId (optional) */
	const char *message_id;	       /* the sender-unique part of MessageId, e.g. urn:uuid:... */
	const char *action;	       /* MessageType, expressed as the wsa:Action URI */
	const char *relates_to;	       /* RelatesTo (responses): the full wsa:MessageID of the request */
	const char *message_date;      /* MessageDate, xs:dateTime (UTC, "Z") */
};

int rps_header_to_wsa(const struct rps_header *h, char *arena, size_t cap, struct soap_wsa *out);
int rps_header_from_wsa(const struct soap_wsa *w, char *arena, size_t cap, struct rps_header *out,
			struct soap_findings *f);
