/* Test support for the integration tests that run the built binaries on the real core network
 * (devnet_test.c, smsr_e2e_test.c): `rsplab pki init` + `rsplab net up` in a fresh run directory with
 * this process inside the net's namespace, child processes with bounded waits (spawn, run to
 * completion, SIGTERM then SIGKILL), cards made with `rsplab-euicc init` (keys read back from
 * CARD.db.keys), the device under test (`rsplab-device` + `rsplab-euicc serve`) and its control socket,
 * and the final `net down` with the check that nothing is left. No CUnit in here: the tests assert.
 *
 * Trust: the control socket's replies and the files read are our own programs' output, still parsed
 * with caps. Ownership: struct tb is the caller's (one per suite); tb_setup() allocates env, tb_stop_all()
 * and tb_free() release everything. Returns: 0 / true on success, negative errno / false otherwise,
 * with the reason printed (these run inside `make check`: the log must say what failed). */
#pragma once

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "harness/net.h"

#define TB_CMD_TIMEOUT_MS    45000 /* rsplab net up/down, rsplab pki init, rsplab-euicc init ... */
#define TB_ATTACH_TIMEOUT_MS 20000 /* AS active (~2 s RKM) + LU (+ one T3211 retry after the proxy race) */

struct tb {
	char bindir[PATH_MAX], rundir[PATH_MAX];
	struct net_state st;
	struct net_map *env;
	int saved_ns;
	bool net_is_up;
};

/* --- processes --- */
/* fork + exec argv (argv[0] a path); stdout+stderr appended to log, or stdout alone to out when out is
 * not NULL; preload (may be NULL) as LD_PRELOAD. */
pid_t tb_spawn(const char *const *argv, const char *log, const char *out, const char *preload);
/* Wait for pid within timeout_ms; its exit status (or 128+signal), -ETIMEDOUT. */
int tb_wait_pid(pid_t pid, int timeout_ms);
/* SIGTERM, SIGKILL after 3 s; how it ended (see tb_wait_pid), 0 if *pid <= 0. *pid becomes 0. */
int tb_stop_pid(pid_t *pid);
/* Run to completion (TB_CMD_TIMEOUT_MS): exit status or -errno; on failure the log's tail is printed. */
int tb_run(const char *const *argv, const char *log, const char *out);
/* Processes (not this one) whose command line mentions s, each printed. */
int tb_procs_mentioning(const char *s);
void tb_reap(void);

/* --- the run --- */
/* Not root: 1 (the caller skips with a message). Else 0 after pki init, the subscribers file (subs,
 * may be NULL), `net up`, net.env, this process into the namespace; name: the run directory's prefix
 * under $TMPDIR. A negative errno on failure: call tb_stop_all() whatever happened. */
int tb_setup(struct tb *tb, const char *name, const char *subs);
/* The setting key of net.env ("" when absent). */
const char *tb_env(const struct tb *tb, const char *key);
void tb_path(const struct tb *tb, char *out, size_t cap, const char *name);
/* Leave the namespace, `net down` (if up). */
void tb_stop_all(struct tb *tb);
/* Remove the run directory when keep is false (else say where the logs are); free env. */
void tb_free(struct tb *tb, bool keep);

/* --- cards --- */
struct tb_card_keys {
	char eid[33];
	uint8_t kic[16], kid[16];
	uint64_t cntr;
};
/* rsplab tool saip build into RUNDIR/name. */
bool tb_saip_build(const struct tb *tb, const char *name, const char *iccid, const char *imsi, const char *k,
		   const char *opc);
/* rsplab-euicc init: RUNDIR/name.db with RUNDIR/profile enabled (MSISDN msisdn, SM-SR SMS address the
 * net's SMSR2_SHORT_CODE) and RUNDIR/extra (may be NULL) disabled in ISD-P TAR 000011; its keys read
 * back; the EIS (ES1.RegisterEIS) to RUNDIR/name.eis.xml when eis is true. */
bool tb_card_make(const struct tb *tb, const char *name, const char *profile, const char *msisdn, const char *extra,
		  bool eis, struct tb_card_keys *keys);

/* --- the device under test --- */
struct tb_dut {
	pid_t dev, card;
	char ctl[100], name[16]; /* ctl: a unix socket path (sun_path is 108) */
};
/* Start the device (listening as vpcd on port, on the net's radio) and the card process serving
 * card_db into it. */
bool tb_dut_start(const struct tb *tb, struct tb_dut *d, const char *name, const char *card_db, uint16_t port);
/* Stop both; true when each ended by SIGTERM. */
bool tb_dut_stop(struct tb_dut *d);
/* One control-socket request; the reply (ending with an OK/ERR line) into out: its length or -errno. */
int tb_ctl(const struct tb_dut *d, const char *req, char *out, size_t cap);
/* The value of key in a `state` reply ("" when absent). */
const char *tb_state_val(const char *state, const char *key, char *out, size_t cap);
bool tb_state_is(const char *state, const char *key, const char *want);
bool tb_events_have(const struct tb_dut *d, const char *needle);
void tb_dump_events(const struct tb_dut *d);
/* Poll `state` until pred holds, calling pump(priv) between polls (~100 ms each; NULL: sleep). */
bool tb_wait_state(const struct tb_dut *d, int timeout_ms, bool (*pred)(const char *state), char *state, size_t cap,
		   void (*pump)(void *priv), void *priv);
