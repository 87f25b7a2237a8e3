/* rsplab-smdp VTY nodes: `smdp` (database, identities, DP certificate and key, CI and EUM certificates,
 * clean-up retries, ES endpoint, MNO URL) and under it `smsr ID` (URL, entity id and every named variant
 * of digest §8, with the lib/ name tables); `show smdp profiles` and `smdp import FILE [MSISDN]`.
 * Timers: `timer smdp X1..X8` (osmo_tdef_vty). Configuration is trusted; files named in it are read
 * and checked when the command is read (certificates decoded and typed, keys on a supported curve). */
#pragma once

#include "network/smdp/smdp.h"

/* Install the nodes; cfg and *store are used by the commands (store may be NULL until opened). */
void smdp_vty_init(struct smdp_cfg *cfg, struct smdp_store **store);
/* The running daemon, for the commands that start procedures (`smdp audit-eis SMSR EID [ICCID]`);
 * NULL until it exists (the command then refuses). */
void smdp_vty_set_daemon(struct smdp *s);
