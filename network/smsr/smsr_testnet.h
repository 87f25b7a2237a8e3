/* network/smsr test support, shared by smsr_change_net_test and smsr_change_kill_test: a real world for
 * SM-SR Change — the run's PKI and the core network (rsplab net up, in a network namespace the test
 * process enters), the device with the card (rsplab-device, rsplab-euicc serve), two real rsplab-smsr
 * processes and an MNO on lib/esnet — with bounded waits everywhere. Root only: tn_suite_setup() sets
 * `skipped` otherwise. Tests only (built into the component archive like smdp's stubcard.c, linked into
 * the test binaries that use it). */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "lib/esnet/esnet.h"

#define CMD_TIMEOUT_MS	  60000 /* net up/down, pki init, card init */
#define ATTACH_TIMEOUT_MS 20000
#define SR1_ID		  "1.3.6.1.4.1.99999.11"
#define SR2_ID		  "1.3.6.1.4.1.99999.12"
#define MNO_ID		  "1.3.6.1.4.1.99999.21"
#define IMSI1		  "001010000000001"
#define MSISDN1		  "1001"
#define K1		  "000102030405060708090a0b0c0d0e0f"
#define OPC1		  "0f0e0d0c0b0a09080706050403020100"

/* Set by the test before tn_suite_setup(): its name in messages, its temporary directory's tag, and its
 * own ports (two tests may not share them). */
struct tn_cfg {
	const char *name, *tag;
	uint16_t sr1_port, sr2_port, mno_port, vpcd_port;
};
extern struct tn_cfg tn;

extern bool skipped;
extern char bindir[], rundir[], netenv[], netns[], sctp[], shim[];
extern bool net_is_up;
extern int saved_ns;
extern void *ctx;
extern unsigned int failures_at_start;
extern pid_t dev_pid, card_pid, sr1_pid, sr2_pid;
extern char ctl_path[];
extern struct esnet *mno;
extern struct tls_ctx *mno_srv_tls, *mno_cli_tls;
extern unsigned int n_change_notifs;
extern char notif_from[];

/* The CUnit suite set-up / tear-down of a test using this world. */
int tn_suite_setup(void);
int tn_suite_teardown(void);

long long now_ms(void);
void path_in(char *out, size_t cap, const char *name); /* rundir/name */
pid_t spawn(const char *const *argv, const char *log, const char *out, const char *preload);
int wait_pid(pid_t pid, int timeout_ms);
int stop_pid(pid_t *pid);			   /* SIGTERM, then SIGKILL after a bound */
int run(const char *const *argv, const char *out); /* a tool, bounded by CMD_TIMEOUT_MS */
void reap(void);
bool wait_port(uint16_t port, pid_t pid, int timeout_ms);
int procs_mentioning(const char *dir);
const char *E(const char *key); /* a value of the net's net.env */
int netns_exists(void);
void stop_net(void);
/* The last test of each binary: every process of ours stopped, the net down, nothing left behind
 * (no process mentioning the run directory, the namespace gone). */
void tn_net_down_check(void);

bool dut_start(const char *card_db);
/* One rsplab-smsr: its name (pki/NAME), entity, port, SMS transport and ES7 peer; with sr2 its CERT.SR.
 * ECDSA and the CI; extra: more options (NULL-terminated) or NULL. */
pid_t smsr_start(const char *name, const char *id, uint16_t port, const char *transport, const char *peer_id,
		 uint16_t peer_port, bool sr2, const char *const *extra);
bool mno_start(void);

struct result {
	bool done;
	int rc;
	enum es_msg_id id;
	enum es_status status;
	char subject[16], reason[16];
	unsigned int n_profiles;
	char smsr_id[64];
};
void call_cb(struct esnet_call *call, int rc, const struct es_msg *resp, const struct soap_findings *f, void *priv);
struct result mno_call(uint16_t port, const char *peer_id, struct es_msg *m, int timeout_ms);
void pump_ms(int ms);

struct card_keys {
	char eid[33];
	uint8_t kvn80, kvn81, kic[16], kid[16], kik[16], psk[16];
};
bool card_keys_read(const char *path, struct card_keys *k);
bool sr1_keys_import(const char *keys_path);
/* The card of the test (rundir/card.db from the run's PKI, registered for SR1 with its SMS short code);
 * its keys in *k. Fatal assertions. */
void tn_card_make(char *db, size_t cap, struct card_keys *k);
/* ES1 RegisterEIS of that card (rundir/eis.xml, as rsplab-euicc init printed it) at SR1 as the EUM, then
 * its key sets into SR1's store. Fatal assertions. */
void tn_card_register_sr1(uint16_t sr1_port);
