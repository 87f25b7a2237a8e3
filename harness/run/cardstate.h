/* harness/run: a card's state as `rsplab-euicc dump` prints it (sims/euicc/dump.h), and the rule that
 * attributes the card's ISD-R key sets to SM-SRs for the `keysets` expectation (scenarios/README.md).
 *
 * Input: the dump's text and the card factory's CARD.db.keys (files of the run: still parsed as
 * untrusted, every field bounded). No allocation. Returns 0 / counts, or -EBADMSG (a malformed line),
 * -EMSGSIZE (more records than the caps). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CARDSTATE_PROFILES_MAX 16
#define CARDSTATE_KEYSETS_MAX  32

struct cardstate {
	char eid[33];
	struct {
		char iccid[21];
		int state; /* enum es_profile_state */
	} prof[CARDSTATE_PROFILES_MAX];
	size_t n_prof;
	struct {
		uint8_t kvn;
		unsigned int type; /* 80, 81, or what the dump said */
	} ks[CARDSTATE_KEYSETS_MAX];
	size_t n_ks;
};

int cardstate_parse(struct cardstate *out, const char *text, size_t len);
/* The state of the profile with this ICCID on the card, 0 when it is absent. */
int cardstate_profile(const struct cardstate *cs, const char *iccid);

/* The ISD-R key set versions the card factory handed to the first SM-SR (CARD.db.keys: scp80.kvn=,
 * scp81.kvn=, hex). Returns how many (up to cap) or -EBADMSG. */
int cardstate_factory_kvns(const char *keys, size_t len, uint8_t *kvn, size_t cap);

/* The rule: the SM-SR that held the EIS at the start (initial=true) owns exactly the factory KVNs; the
 * other SM-SR owns every ISD-R key set the card has beyond them (created by SM-SR Change, SGP.02 3.8).
 * Writes the owned KVNs found on the card into list ("01 40", "" for none) and returns how many of them
 * are on the card; *expected is the number that "present" needs (the factory count for the initial
 * SM-SR, 1 for the other). */
unsigned int cardstate_keysets_of(const struct cardstate *cs, const uint8_t *factory, size_t n_factory, bool initial,
				  unsigned int *expected, char *list, size_t len);
