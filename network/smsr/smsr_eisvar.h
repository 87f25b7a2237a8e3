/* Per-eUICC settings of rsplab-smsr: rules `PREFIX KEY NAME` that choose, for the eUICCs whose EID starts
 * with PREFIX, the SMS transport of ES5 (issue 8: "the transport chosen per EIS") and the card-facing
 * variants of SM-SR Change (digest §8: the meaning of the FinaliseISDRhandover F2 list; what HandoverEUICC
 * withholds). For each KEY the rule with the longest matching PREFIX wins; `*` (stored as "") matches every
 * EID; a KEY no rule sets for an EID takes the daemon-wide value the caller passes (--sms-transport, --f2,
 * --handover-hide), so without rules nothing changes.
 *
 *   --eis-variant 89049032:sms-transport=kannel      VTY: eis-variant 89049032 sms-transport kannel
 *   --eis-variant *:f2=keep-list                     VTY: eis-variant * f2 keep-list
 *   --eis-variant 8904903200:es5=https               VTY: eis-variant 8904903200 es5 https
 *
 * Pure: no I/O, no allocation. Trust: rules are the operator's configuration, still checked in full (a
 * refused rule changes nothing, err says why); EIDs are compared, never trusted for length.
 * Ownership: struct smsr_eisvar is a plain value owned by the caller.
 * Returns: 0 or -EINVAL (bad prefix, key or name) / -ENOSPC (table full) / -ENOENT (no such rule). */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include <osmocom/core/utils.h>

#define SMSR_EISVAR_PREFIX_MAX 32 /* hex digits: an EID is 16 bytes (SGP.02 §2.2.2) */
#define SMSR_EISVAR_PREFIX_LEN 36 /* + NUL, rounded up: a rule has no padding (compared with memcmp) */
#define SMSR_EISVAR_MAX	       32 /* rules */

/* What a rule sets. */
enum smsr_eisvar_key {
	SMSR_EISVAR_SMS_TRANSPORT, /* enum smsr_sms_transport */
	SMSR_EISVAR_F2,		   /* enum es5_f2_semantics (lib/es5) */
	SMSR_EISVAR_HANDOVER_HIDE, /* enum smsr_change_hide (smsr_change.h) */
	SMSR_EISVAR_ES5,	   /* enum smsr_es5_bearer */
	SMSR_EISVAR__NUM_KEYS,
};
extern const struct value_string smsr_eisvar_key_names[];

/* The SMS transports of ES5 (main.c: --sms-transport). */
enum smsr_sms_transport {
	SMSR_SMS_SMPP, /* default: SMPP ESME (smsr_smpp.h) */
	SMSR_SMS_KANNEL,
};
extern const struct value_string smsr_sms_transport_names[];

/* The bearer of an eUICC's ES5 scripts (issue 8: "ES5 over SMS and HTTPS", chosen per EIS): the
 * procedures' scripts (EnableProfile, DisableProfile, DeleteProfile/DeleteISDP, CreateISDP, the 3A08 of
 * an SMS notification) and the ES3 relay (SendData, AuditEIS, UpdateConnectivityParameters). Without a
 * rule the daemon's default holds: procedures by SMS, the relay per --es8-relay. SM-SR Change and the
 * push itself always go by SMS (digest §2.1: SR2 reaches the card before it has any SCP81 key set). */
enum smsr_es5_bearer {
	SMSR_ES5_SMS,
	SMSR_ES5_HTTPS, /* SCP81: push SMS, then the PSK-TLS admin session (smsr_scp81.h) */
};
extern const struct value_string smsr_es5_bearer_names[];

struct smsr_eisvar_rule {
	char prefix[SMSR_EISVAR_PREFIX_LEN]; /* upper-case hex, "" = `*`; zero-filled after the NUL */
	enum smsr_eisvar_key key;
	int value; /* of the key's enum */
};

struct smsr_eisvar {
	struct smsr_eisvar_rule rule[SMSR_EISVAR_MAX];
	unsigned int n;
};

/* The name table of key's values. NULL for an unknown key. */
const struct value_string *smsr_eisvar_value_names(enum smsr_eisvar_key key);

/* Add the rule PREFIX KEY NAME, or replace the value of the rule with the same PREFIX and KEY. PREFIX:
 * 1..32 hex digits (either case) or `*`; KEY and NAME as in smsr_eisvar_key_names and the key's table.
 * 0, or -EINVAL / -ENOSPC with the reason in err (errlen may be 0); t unchanged on failure. */
int smsr_eisvar_set(struct smsr_eisvar *t, const char *prefix, const char *key, const char *name, char *err,
		    size_t errlen);
/* The same from the option form PREFIX:KEY=NAME. */
int smsr_eisvar_parse(struct smsr_eisvar *t, const char *arg, char *err, size_t errlen);
/* Remove the rule PREFIX KEY (prefix normalised as above). 0, -EINVAL (bad prefix/key) or -ENOENT. */
int smsr_eisvar_del(struct smsr_eisvar *t, const char *prefix, const char *key);

/* The value of key for eid: the longest matching prefix's, else dflt. t may be NULL (= no rules). */
int smsr_eisvar_get(const struct smsr_eisvar *t, const char *eid, enum smsr_eisvar_key key, int dflt);
/* Whether any rule sets key to value (which transports must be started). */
bool smsr_eisvar_names(const struct smsr_eisvar *t, enum smsr_eisvar_key key, int value);
/* Rule i as the VTY line's arguments "PREFIX KEY NAME" into buf (the config writer). -EINVAL if i is out of
 * range, -EMSGSIZE if buf is too small. */
int smsr_eisvar_rule_to_str_buf(char *buf, size_t len, const struct smsr_eisvar *t, unsigned int i);
