/* Transaction bookkeeping for ES web services, as pure data structures (no clock, no I/O: the
 * caller passes `now` in seconds). The HTTP 202 acknowledgement of a callback is the transport's job.
 *
 *  - es_corr: requests we sent and are waiting for a response to. A response (synchronous, or a
 *    later callback to our ReplyTo) is matched by wsa:RelatesTo == the request's wsa:MessageID and
 *    must be the response message of the same function (digest §6.3).
 *  - es_fci: FunctionCallIdentifiers a provider has seen, per sender, to detect retries
 *    (BaseRequestType documentation, digest §6.3).
 *  - es_validity_*: ValidityPeriod (seconds from receipt, digest §6.3) expiry, and the EXPIRED
 *    status a provider answers with (subject 1.6 Function, reason 5.3 Transaction Expired, as
 *    Njiwa does: digest §6.5, open-questions §11 [U]).
 *
 * Tables have fixed capacity; strings are copied in (bounded) so callers keep no pointers alive.
 * Returns: 0 / index on success, -ENOENT no match, -ENOSPC table full, -EINVAL bad argument,
 * -EMSGSIZE string longer than ES_TXN_STR_MAX. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "lib/es/es.h"

#define ES_TXN_STR_MAX 256
#define ES_CORR_MAX    64
#define ES_FCI_MAX     256

struct es_corr_entry {
	bool used;
	char message_id[ES_TXN_STR_MAX];
	enum es_msg_id request;
	uint64_t deadline; /* 0 = none */
};

struct es_corr {
	struct es_corr_entry e[ES_CORR_MAX];
};

enum es_corr_result {
	ES_CORR_MATCHED,       /* RelatesTo known, response of the right function, in time */
	ES_CORR_UNKNOWN,       /* RelatesTo not (or no longer) outstanding */
	ES_CORR_WRONG_MESSAGE, /* RelatesTo known, but the message is not that request's response */
	ES_CORR_LATE,	       /* RelatesTo known, but past the request's validity */
	ES_CORR_NO_RELATES_TO, /* a response without wsa:RelatesTo */
};
extern const struct value_string es_corr_result_names[];

/* A response may arrive this long after the request's validity period and still match: the provider's
 * period starts when the request reaches it and it answers (e.g. Failed "validity period expired") when
 * the period ends, so its answer is in flight at our deadline; our clock counts whole seconds. Not an
 * SGP.02 value: a lab tolerance (seen as a flake of smsr-change/validity-expires without it). */
#define ES_CORR_GRACE_S 5

void es_corr_init(struct es_corr *c);
/* Remember a sent request. validity_s = 0: no deadline. */
int es_corr_add(struct es_corr *c, const char *message_id, enum es_msg_id request, uint64_t now, uint64_t validity_s);
/* Match a received response (its relates_to and id); a match (also LATE / WRONG_MESSAGE) removes the
 * entry, so a duplicate callback is then UNKNOWN. *request receives the matched request id. */
enum es_corr_result es_corr_match(struct es_corr *c, const char *relates_to, enum es_msg_id response, uint64_t now,
				  enum es_msg_id *request);
/* Drop entries past their deadline and the grace; returns how many. */
unsigned int es_corr_expire(struct es_corr *c, uint64_t now);

struct es_fci_entry {
	bool used;
	char sender[ES_TXN_STR_MAX];
	char fci[ES_TXN_STR_MAX];
	uint64_t seen;
};

struct es_fci {
	struct es_fci_entry e[ES_FCI_MAX];
	unsigned int next; /* round-robin eviction of the oldest slot when full */
};

void es_fci_init(struct es_fci *t);
/* Record (sender, fci). Returns 1 if it was seen before (a retry), 0 if new, or a negative errno. */
int es_fci_check(struct es_fci *t, const char *sender, const char *fci, uint64_t now);

/* ValidityPeriod: true if a request received at `received` with this period has expired at now.
 * An absent period never expires. */
bool es_validity_expired(const struct es_int *validity_period, uint64_t received, uint64_t now);
/* Fill an EXPIRED FunctionExecutionStatus (see above). */
void es_fes_expired(struct es_fes *fes);
