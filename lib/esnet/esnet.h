/* ES web-service glue for the SGP.02 off-card interfaces (ES1..ES4, ES7; digest §6): one object that is
 * both an endpoint (an HTTPS server with mutual TLS that receives requests, notifications and the
 * callbacks answering our own asynchronous requests) and a client (that sends requests and
 * notifications and matches their responses). Built on lib/http, lib/tls, lib/soap and lib/es.
 *
 * Endpoint, per incoming HTTP request (SOAP 1.2 HTTP binding, digest §6.1, §6.3):
 *   - not POST: 405; Content-Type not application/soap+xml: 415 (SOAP 1.2 Part 2 §7.5.2.2 uses 415);
 *   - not a decodable SOAP envelope / unknown body element: env:Sender fault, HTTP 400;
 *   - a request or notification with no handler in the table: env:Sender fault, HTTP 400;
 *   - strict mode (esnet_cfg.strict) and XSD/decoder findings that are deviations: env:Sender fault, 400;
 *   - a request of a SYNC function: the handler answers (now or later) with esnet_in_respond(): HTTP 200
 *     with the response envelope, or esnet_in_fault(): 400 (Sender) / 500 (Receiver);
 *   - a request of an ASYNC function and every notification: HTTP 202 Accepted with an empty body is
 *     sent first, then the handler runs; for an async function the later esnet_in_respond() becomes a
 *     callback POST to wsa:ReplyTo (or, absent/anonymous, to the URL part of wsa:From) with the
 *     `...CallBack/ESn-<F>` action and wsa:RelatesTo = the request's wsa:MessageID;
 *   - a response (a callback to one of our async calls): matched by wsa:RelatesTo to the pending call
 *     (es_corr rules: right function, in time); matched: 202 and the call's callback runs; no call waits
 *     for that RelatesTo: offered to esnet_cfg.unmatched_cb (taken: 202); else 400 fault.
 *   - FunctionCallIdentifier retries (same wsa:From + FCI seen before, es_fci) are flagged on the
 *     request (esnet_in_is_retry()); the handler decides (answer the stored outcome again).
 *   - ValidityPeriod: esnet_in_expired() says whether the request's period has run out; es_fes_expired()
 *     fills the EXPIRED status to answer with.
 *
 * Client: esnet_call() sends one request (or notification); the outgoing WS-A headers are filled from
 * the configuration where the caller left them NULL (From = own URL ?EntityId=, To = the peer's URL,
 * MessageID = //<own id>/urn:uuid:<random>, Action per the peer's variant, ReplyTo = own URL for async
 * functions), FunctionCallIdentifier is generated when NULL. SYNC functions complete with the 200
 * response; ASYNC ones after the 202 with the later callback, or -ETIMEDOUT after timer X10.
 *
 * Trust: everything received is UNTRUSTED; configuration is trusted. Ownership (talloc): esnet_alloc()
 * returns a talloc object; struct esnet_in and struct esnet_call are its children. An esnet_in handed to
 * a handler stays valid until esnet_in_respond() / esnet_in_fault() / esnet_in_done() is called on it
 * (exactly one of them, always: a pending sync request is otherwise never answered); strings in the
 * decoded message point into the in's own arena. A message given to a call's callback is valid during
 * the callback only. Freeing the esnet aborts every pending call without calling its callback.
 *
 * Timers (osmo_tdef, Osmocom X numbers; the table is also handed to lib/http, so X1..X3 mean what they
 * mean there): X10 = how long an async call waits for its callback after the 202 (default 300 s).
 *
 * Returns: 0 or a negative errno. No logging inside: failures are counted (struct esnet_stats) and the
 * last reason is readable (esnet_last_error()), the daemons log them in their own categories. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <osmocom/core/tdef.h>

#include "lib/es/es.h"
#include "lib/tls/tls.h"

enum esnet_timer {
	ESNET_T_CALLBACK = -10,
};
/* The default table: lib/http's X1..X3 defaults plus X10 = 300 s. */
extern struct osmo_tdef esnet_tdefs[];

/* ---- URLs ------------------------------------------------------------------------------------------ */

#define ESNET_HOST_MAX 256
#define ESNET_PATH_MAX 512

struct esnet_url {
	bool tls; /* https */
	char host[ESNET_HOST_MAX];
	uint16_t port;		   /* default 443 / 80 */
	char path[ESNET_PATH_MAX]; /* "/" when absent; the query is kept */
};
/* Parse "http[s]://host[:port][/path[?query]]" ([v6] literals allowed). Returns 0 or -EINVAL (any
 * other form), -EMSGSIZE (a part too long). Input may be untrusted (a wsa:ReplyTo). */
int esnet_url_parse(const char *url, struct esnet_url *out);
/* The part of a WS-A address before its query ("https://h/es3?EntityId=1" -> "https://h/es3") into
 * buf. Returns the length or -EMSGSIZE. */
int esnet_url_strip_query(const char *url, char *buf, size_t cap);

/* ---- configuration ------------------------------------------------------------------------------ */

struct esnet;
struct esnet_in;
struct esnet_call;

typedef void (*esnet_handler_cb)(struct esnet_in *in, void *priv);

/* One row per request (ES_MSG_..._REQ) or notification (ES_MSG_..._NOTIF) this endpoint provides. */
struct esnet_handler {
	enum es_msg_id id;
	esnet_handler_cb cb;
	void *priv;
};

struct esnet_stats {
	unsigned long rx_requests, rx_notifications, rx_callbacks, rx_faults_sent, rx_malformed, rx_unhandled,
		rx_retries, rx_unmatched_callbacks, tx_requests, tx_responses, tx_callbacks, tx_failures, call_timeouts,
		rx_unmatched_taken; /* unmatched callbacks the unmatched_cb took (not in rx_unmatched_callbacks) */
};

/* A callback (a response, not a fault) whose wsa:RelatesTo no outstanding call of this esnet waits for,
 * e.g. the answer to an async call made before a restart of this process (the caller matches it against
 * what it stored). msg and f are UNTRUSTED and valid during the call only. Return 0 to take it (the
 * sender gets 202 Accepted), a negative errno to refuse it (the usual Sender fault, HTTP 400). */
typedef int (*esnet_unmatched_cb)(const struct es_msg *msg, const struct soap_findings *f, void *priv);

struct esnet_cfg {
	/* Server side: listen when listen_addr is not NULL (port 0 = ephemeral, see esnet_port()). */
	const char *listen_addr;
	uint16_t listen_port;
	const char *path;		      /* the route served (prefix match); NULL = "/" */
	struct tls_ctx *server_tls;	      /* a TLS_ROLE_SERVER context (require_client_cert for mutual TLS);
				     * NULL = plain HTTP (tests, lab). Borrowed. */
	const struct esnet_handler *handlers; /* borrowed */
	size_t num_handlers;
	/* Our identity: the URL peers reach this endpoint at (From / ReplyTo) and our entity OID. */
	const char *own_url;
	const char *own_id;
	const char *own_name; /* optional EntityName */
	/* Decoding: expected variant (responses use the body namespace the request came in), schema for
	 * XSD validation (NULL = none), strict = deviations are refused with a fault instead of reported. */
	struct es_variant variant;
	const struct es_schema *schema;
	bool strict;
	struct soap_limits limits;
	/* Callbacks we send to ReplyTo addresses go out with this client context (NULL = plain). */
	struct tls_ctx *callback_tls;
	struct osmo_tdef *tdefs; /* NULL = esnet_tdefs */
	/* Optional: offered the callbacks no outstanding call waits for (see esnet_unmatched_cb). */
	esnet_unmatched_cb unmatched_cb;
	void *unmatched_priv;
};

/* Returns NULL on failure (bind failed: errno says why). Strings in cfg are copied. */
struct esnet *esnet_alloc(void *ctx, const struct esnet_cfg *cfg);
void esnet_free(struct esnet *e);
uint16_t esnet_port(const struct esnet *e);
/* Change the URL announced in wsa:From / wsa:ReplyTo (e.g. once an ephemeral port is known). */
int esnet_set_own_url(struct esnet *e, const char *url);
const struct esnet_stats *esnet_stats(const struct esnet *e);
const char *esnet_last_error(const struct esnet *e);
/* Pending (unanswered) incoming requests and outstanding calls: for leak checks in tests. */
unsigned int esnet_num_pending_in(const struct esnet *e);
unsigned int esnet_num_pending_calls(const struct esnet *e);

/* ---- incoming requests ---------------------------------------------------------------------- */

const struct es_msg *esnet_in_msg(const struct esnet_in *in);
const struct soap_findings *esnet_in_findings(const struct esnet_in *in);
/* The request's SOAP envelope byte for byte as received (UNTRUSTED; what esnet_in_msg() was decoded
 * from), e.g. to check a signature over its XML; valid as long as in. *len (may be NULL) gets its size. */
const uint8_t *esnet_in_body(const struct esnet_in *in, size_t *len);
bool esnet_in_is_retry(const struct esnet_in *in);
/* The peer's TLS certificate subject CN copied at receipt ("" if plain HTTP or none). */
const char *esnet_in_peer_cn(const struct esnet_in *in);
/* The sender entity id (EntityId of wsa:From), "" if not recoverable. */
const char *esnet_in_sender_id(const struct esnet_in *in);
/* ValidityPeriod (seconds from receipt) has run out at the monotonic clock now. */
bool esnet_in_expired(const struct esnet_in *in);

/* Answer with resp (resp->id must be the response of the request's function; resp->wsa is filled in
 * where NULL). Consumes in on every path. Returns 0, -EINVAL (wrong id), or an encode/transport error. */
int esnet_in_respond(struct esnet_in *in, struct es_msg *resp);
/* Answer a pending sync request with a fault (SENDER: 400, else 500); for an async request the fault is
 * sent as the callback. Consumes in. */
int esnet_in_fault(struct esnet_in *in, enum soap_fault_code code, const char *subcode, const char *reason);
/* The callback of an ASYNC request whose esnet_in is gone (answered after a restart from what the
 * caller stored of the request: wsa:ReplyTo, or absent/anonymous the URL of wsa:From, without the query
 * (esnet_url_strip_query()); wsa:MessageID; the body namespace ns_seen): POST
 * resp to reply_url with wsa:RelatesTo = relates_to, fire and forget as esnet_in_respond()'s callbacks
 * (failures counted in tx_failures, reason in esnet_last_error()). reply_url and relates_to were
 * peer-supplied: the URL is parsed again here. Returns 0, -EINVAL (resp not the response of an async
 * function, bad URL, https without callback_tls), or an encode/transport error. */
int esnet_send_callback(struct esnet *e, const char *reply_url, const char *relates_to, enum es_ns_variant ns,
			struct es_msg *resp);

/* Finish without answering (notifications; async requests given up). A pending sync request gets a
 * Receiver fault. Consumes in. */
void esnet_in_done(struct esnet_in *in);

/* ---- outgoing calls -------------------------------------------------------------------------- */

struct esnet_peer {
	const char *url;       /* where the peer's endpoint is */
	const char *entity_id; /* the peer's OID (wsa:To ?EntityId=), may be NULL */
	struct tls_ctx *tls;   /* a TLS_ROLE_CLIENT context for https URLs; borrowed */
	struct es_variant variant;
};

/* rc 0: resp is the response (possibly resp->is_fault) with its findings; -ETIMEDOUT (HTTP or X10),
 * -ECONNREFUSED / -ECONNRESET / -EPROTO (TLS) / -EBADMSG (undecodable reply, unexpected HTTP status),
 * -ECANCELED never (cancelled calls are silent). For a notification rc 0 and resp NULL on acceptance. */
typedef void (*esnet_call_cb)(struct esnet_call *call, int rc, const struct es_msg *resp, const struct soap_findings *f,
			      void *priv);

/* Send req (a request or a notification) to peer. The WS-A headers and a missing FCI are filled in
 * (req is modified only in those NULL fields, which then point into the call: valid until the callback
 * returns). *out (may be NULL) receives the handle for esnet_call_cancel(). Returns 0 or a negative
 * errno (-EINVAL: not a request/notification or a bad URL; -EMSGSIZE; -ENOMEM); cb is then not called. */
int esnet_call(struct esnet *e, const struct esnet_peer *peer, struct es_msg *req, esnet_call_cb cb, void *priv,
	       struct esnet_call **out);
/* Forget an outstanding call; its callback is not called. NULL is fine. */
void esnet_call_cancel(struct esnet_call *call);
/* The wsa:MessageID the call went out with. */
const char *esnet_call_message_id(const struct esnet_call *call);
