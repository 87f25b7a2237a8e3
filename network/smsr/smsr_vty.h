/* rsplab-smsr VTY (style §13.7): the `smsr` config node with one command per command-line option of
 * rsplab-smsr (main.c; README.md lists the pairs), and the telnet show commands:
 *   show counters   the rate counter groups of smsr_ctr.h and the ES endpoint's counters
 *   show eis        every EIS: EID, state, managing SM-SR, EUM, ES5 address, profiles with their owner
 *                   (MNO) and SM-DP, key set versions (never key values)
 *   show change     SM-SR Change procedures stored (role, step of digest §2.1, peer, deadline)
 *   show config     the effective settings (file, then command line), as `write` would save them
 *                   (with the per-eUICC `eis-variant PREFIX KEY NAME` rules and the timer lines)
 *   show timer [GROUP] [TNNNN]   libosmocore's tdef VTY over smsr_vty_tdef_groups: every timer, its
 *                   value, default, range and meaning
 *
 * Settings are read when the daemon starts: a command typed over telnet changes the running config
 * (what `show config` / `write` show and save), not the transports already running. Timers are the
 * exception: `timer GROUP TNNNN (VALUE|default)` in the smsr node sets the live osmo_tdef table (the
 * globals the procedures read), so it applies at once to every timer started from then on (one already
 * running keeps its time). Groups: proc (smsr_tdefs, X20-X21), ota (smsr_ota_tdefs, X30-X31), smpp
 * (smsr_smpp_tdefs, X40-X42), es3 (smsr_es3_tdefs, X22), change (smsr_change_tdefs, X70-X72), scp81
 * (smsr_scp81_tdefs, X50-X52); every one in seconds, 1..86400 (the tables' min_val/max_val). The tables
 * are process-wide, not part of struct smsr_vty_cfg: the written configuration holds a `timer` line for
 * each timer not at its default.
 *
 * Trust: the configuration file is the operator's (trusted for content), but every line is checked when
 * it is read (names of variants, hex values, URL syntax, lengths, ranges) and a refused line changes
 * nothing; smsr_vty_read_config() applies a file all or nothing (the settings and the timer tables: every
 * `timer` line is checked before any line applies, and a file refused later puts the tables back). Files named in it (certificates, keys)
 * are read and checked at start-up, as for the command-line options. Key material never appears in a
 * show command or in the written configuration (only file names).
 * Ownership: struct smsr_vty_cfg is a plain value (fixed-size strings), owned by the caller. */
#pragma once

#include "lib/es/es.h"

#include <osmocom/core/tdef.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "network/smsr/smsr_eisvar.h"
#include "network/smsr/smsr_store.h"

#define SMSR_VTY_PATH_MAX  256
#define SMSR_VTY_MAX_PEERS 8
#define SMSR_VTY_MAX_MNOS  8
#define SMSR_VTY_MAX_EUMS  4
#define SMSR_VTY_HEX_MAX   256 /* hex digits of --addressing (128 bytes) */

/* An unset string is "", an unset number -1: main.c takes only what was set. */
struct smsr_vty_cfg {
	char smsr_id[SMSR_OID_MAX];			/* --smsr-id */
	char db[SMSR_VTY_PATH_MAX];			/* --db */
	char listen[64];				/* --listen */
	int port;					/* --port */
	char url[SMSR_VTY_PATH_MAX];			/* --url */
	char notify_url[SMSR_VTY_PATH_MAX];		/* --notify-url */
	char cert[SMSR_VTY_PATH_MAX];			/* --cert */
	char key[SMSR_VTY_PATH_MAX];			/* --key */
	char ca[SMSR_VTY_PATH_MAX];			/* --ca */
	char keylog[SMSR_VTY_PATH_MAX];			/* --tls-keylog */
	char net_env[SMSR_VTY_PATH_MAX];		/* --net-env */
	int kannel;					/* --sms-transport: 0 smpp, 1 kannel */
	int transaction;				/* --smpp-transaction: 0/1 */
	int spi;					/* --spi: enum scp80_spi_variant */
	char scp81_listen[80];				/* --scp81-listen ADDR:PORT */
	char scp81_push_addr[64];			/* --scp81-push-addr */
	int relay_sms;					/* --es8-relay: 0 https, 1 sms */
	char sr_cert[SMSR_VTY_PATH_MAX];		/* --sr-cert */
	char sr_key[SMSR_VTY_PATH_MAX];			/* --sr-key */
	char ci[SMSR_VTY_PATH_MAX];			/* --ci */
	char eum[SMSR_VTY_MAX_EUMS][SMSR_VTY_PATH_MAX]; /* --eum */
	unsigned int n_eum;
	char addressing[SMSR_VTY_HEX_MAX + 1]; /* --addressing (hex) */
	int f2;				       /* --f2: enum es5_f2_semantics */
	int hide;			       /* --handover-hide: enum smsr_change_hide */
	int notify;			       /* --change-notify: enum smsr_change_notify */
	int scp81_keyset;		       /* --scp81-keyset: enum smsr_change_scp81 */
	int por_timeout;		       /* --por-timeout: seconds (X30) */
	int eis_sig;			       /* --eis-sig: enum smsr_eis_sig */
	struct smsr_vty_peer {
		char id[SMSR_OID_MAX];
		char url[SMSR_VTY_PATH_MAX];
	} peer[SMSR_VTY_MAX_PEERS], mno[SMSR_VTY_MAX_MNOS]; /* --peer-smsr, --mno-notify */
	unsigned int n_peer, n_mno;
	/* --peer-variant: the ES reading (digest §8: body namespace, Action URI form, timestamps,
	 * AuthenticateSMSR's first element) of what we send to one entity (an SM-SR peer, an operator) */
	struct smsr_vty_peer_variant {
		char id[SMSR_OID_MAX];
		struct es_variant v;
	} pvar[SMSR_VTY_MAX_PEERS + SMSR_VTY_MAX_MNOS];
	unsigned int n_pvar;
	/* --eis-variant: per-eUICC rules (EID prefix -> SMS transport, F2 meaning, handover-hide) on top of
	 * kannel / f2 / hide above, which stay the daemon-wide fallback (smsr_eisvar.h) */
	struct smsr_eisvar eisvar;
};

/* Set one variant KEY (namespace, action-uri, timestamp, authenticate-smsr) of entity oid to NAME (the
 * lib/es name tables). 0, or -EINVAL with the reason in err (nothing changed). */
int smsr_vty_peer_variant_set(struct smsr_vty_cfg *c, const char *oid, const char *key, const char *name, char *err,
			      size_t errlen);
/* The variant of what goes to oid: its own, else es_variant_default. */
const struct es_variant *smsr_vty_peer_variant(const struct smsr_vty_cfg *c, const char *oid);

struct smsr_change;
struct esnet;

/* Everything unset. */
void smsr_vty_cfg_init(struct smsr_vty_cfg *c);

/* The timer groups of `timer` / `show timer` (zero-terminated): the live tables named above. */
extern struct osmo_tdef_group smsr_vty_tdef_groups[];
/* Every table of smsr_vty_tdef_groups back to its defaults. */
void smsr_vty_timers_reset(void);

/* Install the node, the timer commands and the show commands (after vty_init(); once per process, as
 * libosmocore's osmo_tdef_vty_groups_init() allows); commands act on *cfg. Resets every timer table to
 * its defaults: a daemon calls it before it reads its file, so that the file's timer lines survive. */
void smsr_vty_init(struct smsr_vty_cfg *cfg);
/* Make the commands act on cfg from now on (the daemon: the effective settings). */
void smsr_vty_set_cfg(struct smsr_vty_cfg *cfg);
/* What the show commands look at; each may be NULL (not running: the command says so). */
void smsr_vty_set_daemon(struct smsr_store *store, struct smsr_change *chg, struct esnet *es);

/* Read a configuration file into *cfg (and its timer lines into the live tables), all or nothing: on any
 * refused line *cfg and the tables are unchanged and err holds the reason (the line's own message, or the
 * parser's). The file is read whole first (at most 1 MiB; a NUL byte or an indented first command refuses it:
 * libosmovty 1.7's reader can loop forever on either). Returns 0 or -EINVAL / -ENOENT / -ENOMEM. */
int smsr_vty_read_config(struct smsr_vty_cfg *cfg, const char *path, char *err, size_t errlen);
int smsr_vty_read_configp(struct smsr_vty_cfg *cfg, FILE *f, char *err, size_t errlen);

/* The `smsr` node as it would be written (show config, write): *cfg, then a `timer` line for each live
 * timer not at its default. */
void smsr_vty_cfg_write(const struct smsr_vty_cfg *cfg, FILE *out);
