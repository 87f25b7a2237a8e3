/* The checker's key file (`--keys-file`, RUNDIR/scp80.keys): `key = value` lines, `#` comments.
 * Understood keys: `scp80.<kvn>.kic` and `scp80.<kvn>.kid` (hex; kvn 1..15 in decimal or 0x hex),
 * the key sets of the SCP80 key versions the run uses. The file is trusted input (the user's);
 * key values are never printed. */
#pragma once

#include <stddef.h>

#include "harness/check/check.h"

/* Parse text into o->scp80. Returns the number of key sets, or -EINVAL with the reason (line number,
 * never the value) in err. */
int check_kv_parse_scp80(struct check_opts *o, const char *text, size_t len, char *err, size_t errlen);
int check_kv_load_scp80(struct check_opts *o, const char *path, char *err, size_t errlen);
