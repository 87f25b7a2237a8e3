/* The operator role of `rsplab run`: the harness plays each `mno` component of the topology (an
 * operator's IoT line-management platform: ES2 client to SM-DPs, ES4 client to SM-SRs, and an ES
 * endpoint with mutual TLS receiving Handle*Notification messages and the callbacks of asynchronous
 * calls) and the EUM (ES1 client for RegisterEIS). Everything goes over lib/esnet with the run's test
 * PKI (PKI/<name>/tls-cert.pem + tls-key.pem, CA = PKI/ci/cert.pem); the TLS key log of every
 * connection the harness makes or accepts is appended to the key-log file given.
 *
 * Requests are built from a scenario's `call` step (field name = value, `@name` references) with
 * lib/es's field descriptors; responses, callbacks and notifications are recorded (status, subject,
 * reason, EIS profile list) for the `wait` steps and the expectations.
 *
 * The select loop is libosmocore's: op_poll() runs it (bounded), so every wait here is bounded.
 * Trust: everything received is UNTRUSTED (it only becomes data in the records). Ownership: op_alloc()
 * returns a talloc object; op_free() closes every endpoint and aborts every outstanding call.
 * Returns: 0 or a negative errno; the reason is written to the caller's buffer. */
#pragma once

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/es/es.h"
#include "harness/run/scn.h"
#include "harness/run/topo.h"

#define OP_EIS_PROFILES 8
#define OP_RECORDS_MAX	64

/* One response (sync answer or async callback) or notification received by a party. */
struct op_record {
	enum es_msg_id id;	   /* the request (calls) or the notification */
	char party[TOPO_NAME_MAX]; /* mno1, mno2, eum */
	char peer[TOPO_NAME_MAX];  /* the component called / the sender ("" unknown) */
	bool done;		   /* calls: the response (or an error) arrived */
	int rc;			   /* calls: 0, or the transport error (-ETIMEDOUT, -ECONNREFUSED, ...) */
	bool fault;		   /* a SOAP fault came back */
	int status;		   /* enum es_status, 0 = none */
	char subject[16], reason[16], message[120];
	int64_t t_sent_ms, t_done_ms; /* run clock */
	/* GetEIS / AuditEIS: the EID and the profiles of the returned EIS */
	bool has_eis;
	char eis_smsr_id[64];
	unsigned int n_profiles;
	struct {
		char iccid[21];
		int state;
	} profile[OP_EIS_PROFILES];
};

struct op_ctx;

/* The card data the harness built for @card references (Eis, Eid). eis_msg is a decoded
 * ES1-RegisterEIS request whose arena the caller keeps alive. */
struct op_card {
	char name[TOPO_NAME_MAX];
	char eid[33];
	const struct es_msg *register_eis;
};

/* keylog: a file for the NSS key log of the harness's own TLS connections (NULL = none). */
struct op_ctx *op_alloc(void *ctx, const struct topo *t, const char *pki_dir, const char *keylog, char *err,
			size_t errlen);
void op_free(struct op_ctx *op);

/* Cards for @card references: copied pointer, the caller keeps card->register_eis alive. */
int op_card_add(struct op_ctx *op, const struct op_card *card);

/* A flag (the harness's signal flag): once it is set, op_poll() and every wait return early. */
void op_set_stop(struct op_ctx *op, const volatile sig_atomic_t *flag);

/* Run the select loop for up to ms (at least one round). */
void op_poll(struct op_ctx *op, int ms);

/* Build and send a `call` step; wait (bounded by the step's timeout) unless st->nowait. The record is
 * returned in *out (NULL allowed). Returns 0 when the call completed (whatever its status), -EINPROGRESS
 * for nowait, -ETIMEDOUT, or another negative errno (request could not be built: detail says why). */
int op_call_step(struct op_ctx *op, const struct scn_step *st, struct op_record **out, char *detail, size_t len);
/* ES1-RegisterEIS of a card by the EUM to an SM-SR (initial state). */
int op_register_eis(struct op_ctx *op, const char *card, const struct topo_comp *smsr, unsigned int timeout_ms,
		    struct op_record **out, char *detail, size_t len);
/* ES4-GetEIS of an EID at an SM-SR as party (an mno). */
int op_get_eis(struct op_ctx *op, const char *party, const struct topo_comp *smsr, const char *eid,
	       unsigned int timeout_ms, struct op_record **out, char *detail, size_t len);

/* The last outstanding or finished call of request id; wait for it (bounded). */
int op_wait_response(struct op_ctx *op, enum es_msg_id req, unsigned int timeout_ms, struct op_record **out,
		     char *detail, size_t len);
/* Wait for the next not yet consumed notification id received by party. */
int op_wait_notification(struct op_ctx *op, enum es_msg_id notif, const char *party, unsigned int timeout_ms,
			 struct op_record **out, char *detail, size_t len);

/* Does the record match what the step expects (status, subject, reason)? Writes the verdict text. */
bool op_record_matches(const struct op_record *r, const struct scn_step *st, char *detail, size_t len);

/* Every record (responses of calls, then notifications), for the report and the expectations. */
size_t op_records(const struct op_ctx *op, const struct op_record **out, size_t max);
/* Count of notifications id received by party (NULL: any party). */
unsigned int op_notification_count(const struct op_ctx *op, enum es_msg_id notif, const char *party);
