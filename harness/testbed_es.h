/* Test support for the end-to-end tests (harness/smsr_e2e_test.c, download_e2e_test.c): an ES party played by the test — the
 * EUM (a client) or an MNO's platform (a client plus a notification endpoint) — on lib/esnet with
 * mutual TLS and the run's `rsplab pki init` certificates, and bounded synchronous ES calls. Test code
 * only: it prints to stdout and keeps a few statics. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "lib/es/es.h"
#include "lib/esnet/esnet.h"
#include "lib/tls/tls.h"

#define TB_NOTIF_MAX 8
#define TB_PROF_MAX  4

/* What came back for one ES call (response or async callback). */
struct tb_result {
	bool done;
	int rc;
	bool fault;
	int status;
	char subject[16], reason[16], message[120];
	unsigned int n_prof; /* profiles of an EIS in a GetEIS/AuditEIS response */
	struct {
		char iccid[21];
		int state;
	} prof[TB_PROF_MAX];
	int64_t t0, t1;
};

struct tb_party {
	struct tls_ctx *cli, *srv;
	struct esnet *e;
	struct {
		enum es_msg_id id;
		char iccid[21];
	} notifs[TB_NOTIF_MAX]; /* notifications received (endpoint parties) */
	unsigned int n_notifs;
};

/* A party named name (its certificates: RUNDIR/pki/<name>/tls-*.pem) with entity id. port 0: a client
 * only; else a notification endpoint on addr:port accepting the notifications of the ES interfaces
 * whose bit is set in ifaces (1 << 4 = ES4, 1 << 2 = ES2). 0 or a negative errno (printed). */
int tb_party_init(void *ctx, const char *rundir, struct tb_party *p, const char *name, const char *entity,
		  const char *addr, uint16_t port, unsigned int ifaces);
/* lib/esnet completion callback filling a struct tb_result (priv) — for calls the test makes itself. */
void tb_es_call_cb(struct esnet_call *call, int rc, const struct es_msg *resp, const struct soap_findings *f,
		   void *priv);
/* Send req from p to https://addr:port/ (entity id) and wait at most timeout_ms for the answer. True
 * when it came back without error or fault (the ES status is in r). */
bool tb_es_call(struct tb_party *p, const char *addr, uint16_t port, const char *entity, struct es_msg *req,
		struct tb_result *r, int timeout_ms);
/* Run the select loop for ms (the ES endpoints and calls); tb_pump is the tb_wait_state form. */
void tb_poll_ms(int ms);
void tb_pump(void *priv);
/* An ES4 request of id about the eUICC eid (GetEIS, AuditEIS; EnableProfile and
 * UpdateSubscriptionAddress with iccid), allocated under ctx. */
struct es_msg *tb_eid_req(void *ctx, enum es_msg_id id, const uint8_t eid[16], const char *iccid);
/* The state of profile iccid in r (0 if it is not listed), and how many notifications id for iccid p got. */
int tb_result_state(const struct tb_result *r, const char *iccid);
unsigned int tb_notif_count(const struct tb_party *p, enum es_msg_id id, const char *iccid);
