/* `rsplab net up RUNDIR` / `rsplab net down RUNDIR`: the core network of the flagship scenario, alone.
 *
 * Up: renders network/osmocom/ and network/kannel/ templates with the run's settings into RUNDIR/net/,
 * detects SCTP (kernel, or the SCTP-over-TCP LD_PRELOAD shim for every process on the M3UA path),
 * creates a private network namespace when run as root, starts osmo-stp, osmo-hlr (MNO1), osmo-hlr
 * (MNO2, gateway-proxy to MNO1), provisions RUNDIR/subscribers into both HLRs, then osmo-msc (MNO2),
 * bearerbox and smsbox, each with a bounded readiness check (network-lab §7). Any failure stops what
 * was started, removes the namespace, and names the component and its log.
 * Down: stops the recorded processes in reverse order (TERM, KILL after a bound), removes the namespace.
 *
 * Files in RUNDIR/net/: <component>.cfg (0600: credentials), <component>.log, the HLR and SMS databases,
 * net.env (0600, KEY=value: every setting incl. ESME/Kannel credentials, for the SM-SRs and tests),
 * state (status, namespace, SCTP mode, NAME,PID,START of each process). RUNDIR/net.conf (optional,
 * KEY=value) overrides settings; RUNDIR/subscribers (optional) is described in net_subs.h.
 * Return values: 0 or a negative errno (functions), exit status 0/1/2 (cmd_net). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include <osmocom/core/utils.h>

#include "harness/net_tmpl.h"

/* How SCTP is provided to osmo-stp/osmo-msc (and later the device). DEFAULT auto: the kernel's if a
 * socket(AF_INET, SOCK_STREAM, IPPROTO_SCTP) succeeds, else the shim. */
enum net_sctp_mode {
	NET_SCTP_AUTO,
	NET_SCTP_KERNEL,
	NET_SCTP_SHIM,
};
extern const struct value_string net_sctp_mode_names[];

struct net_opts {
	const char *src_dir; /* holds osmocom/ and kannel/; NULL = <binary>/../../network */
	const char *shim;    /* NULL = <binary>/../network/sctpshim/sctp2tcp.so */
	enum net_sctp_mode sctp;
	bool no_netns; /* even as root, run in the current namespace */
};

#define NET_PROCS_MAX 8
struct net_proc {
	char name[24];
	pid_t pid;
	unsigned long long start; /* /proc/PID/stat starttime: guards against a recycled PID */
};

struct net_state {
	char status[12]; /* starting | up | down */
	char netns[32];	 /* "" = none */
	char sctp[8];	 /* kernel | shim */
	char shim[512];
	struct net_proc procs[NET_PROCS_MAX];
	size_t nprocs;
};

int net_up(const char *rundir, const struct net_opts *o);
int net_down(const char *rundir);

int net_state_load(const char *rundir, struct net_state *st);
/* RUNDIR/net/net.env into m (which should be empty). */
int net_env_load(const char *rundir, struct net_map *m);
/* Is the process alive (not a zombie) and the same one (start time)? */
bool net_proc_alive(pid_t pid, unsigned long long start);
/* Enter namespace name (/run/netns/name); *saved gets an fd of the current one for net_netns_leave(). */
int net_netns_enter(const char *name, int *saved);
int net_netns_leave(int saved);
bool net_netns_exists(const char *name);
