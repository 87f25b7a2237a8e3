/* A card's ISD-R key sets from the file `rsplab-euicc init` writes next to the card (CARD.db.keys,
 * sims/euicc/README.md), into the SM-SR's store. The ES1.RegisterEIS of a lab card carries the key
 * versions only (a production EIS carries the values transport-encrypted, digest §4.1, which the lab
 * EUM does not do), so the operator of the first SM-SR imports the values once, after RegisterEIS:
 *
 *   rsplab-smsr keys-import --db SMSR.db CARD.db.keys
 *
 * File format: `key=value` lines (hex values, no spaces), `#` comments and empty lines ignored:
 *   eid=<32 hex digits>
 *   scp80.kvn=01  scp80.kic_kid=12  scp80.kic=<hex>  scp80.kid=<hex>  scp80.kik=<hex>
 *   scp81.kvn=40  scp81.psk=<hex>  scp81.dek=<hex>
 * Keys are 16, 24 or 32 bytes. Other keys are ignored (forward compatible); a key given twice, a
 * value that is not hex of an allowed size, or a set given in part is refused. At least one complete
 * set (SCP80: kvn + kic + kid + kik; SCP81: kvn + psk) is required.
 *
 * Trust: the file is operator input (trusted to be ours, checked for form). Key values are never
 * printed or logged; buffers holding them are wiped.
 * Returns: 0 or a negative errno: -EBADMSG malformed file, -ENOENT the EID has no EIS in the store
 * (register it first), -EINVAL, or the store's error. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "network/smsr/smsr_store.h"

struct smsr_card_keys {
	char eid[SMSR_EID_HEX_MAX]; /* upper-case hex, as the store keeps it */
	bool has_scp80, has_scp81;
	struct smsr_keyset_row scp80, scp81;
};

/* Parse the file's text (need not be NUL-terminated). */
int smsr_card_keys_parse(const char *text, size_t len, struct smsr_card_keys *out);

/* Put the key sets into the store (one transaction) for an EID already registered. A key set row
 * already there (from RegisterEIS) keeps its SCP80 counter; the key values are replaced. */
int smsr_card_keys_import(struct smsr_store *s, const struct smsr_card_keys *k);

/* `rsplab-smsr keys-import --db DB FILE...` (argv[0] = "keys-import"). Exit status: 0, 1 failure, 2 usage. */
int smsr_keys_import_main(int argc, char **argv);
