/* sims/euicc: the card's state as text for the harness (`rsplab-euicc dump CARD.db`): the EID, every
 * ISD-P with its life-cycle state and profile, and the ISD-R key sets by version and type. Key values
 * are never printed (only KVN, type and which key ids are set).
 *
 * Format: one record a line, words separated by one blank, fixed order (EID, ISD-Ps by TAR, key sets by
 * KVN), so two dumps of the same state are equal byte for byte:
 *
 *   eid 89049032123456789000000000000123
 *   isdp tar=000010 aid=A0000005591010FFFFFFFF8900001000 lifecycle=3F state=Enabled iccid=8988211000000530082 fallback=1
 *   keyset kvn=01 type=scp80 keys=3
 *   keyset kvn=40 type=scp81 keys=2
 *
 * `state=` is the ES profile state (lib/es: Enabled for 3F, Disabled for 1F, Created before); `iccid=-`
 * for an ISD-P without a profile. `type=` is scp80 (KVN 01-0F), scp81 (KVN 40-4F) or the stored number.
 *
 * Input: our own store (trusted). Returns 0, or the store's negative errno. */
#pragma once

#include <stdio.h>

#include "sims/euicc/store.h"

int euicc_dump(struct euicc_store *st, FILE *out);
