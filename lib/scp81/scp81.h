/* SCP81 push: the Administration Session Triggering Parameters (GlobalPlatform Amendment B "RAM over
 * HTTP", Table 3-3 and §3.8), the secured data of the push SMS an SM-SR sends to the ISD-R TAR to make
 * the eUICC open a BIP channel and an HTTPS (PSK-TLS) admin session (sgp02-digest §5.2):
 *
 *   81 L  admin session triggering parameters
 *     83 L  security-domain admin session parameters
 *       84 L  connection parameters: TS 102 223 OPEN CHANNEL objects (35 bearer, 39 buffer size, 47 APN,
 *             3C transport level, 3E other address) — decoded with lib/cat's channel parameters
 *       85 L  security parameters: psk-id length ‖ psk-id ‖ 02 ‖ KVN ‖ KID [‖ SHA type]
 *       A5 L  extended security parameters (kept opaque)
 *       86 L  retry policy: counter (2) ‖ waiting delay (5: a TS 102 223 timer value TLV) [‖ failure report]
 *       89 L  HTTP POST parameters: 8A admin host, 8B agent id, 8C admin URI (strings)
 *     B3 L  DNS resolution parameters (v4 DNS: D6 FQDN, FA connection parameters; kept opaque)
 *
 * `81 00` is the minimal push: every parameter from the card's defaults [R-impl NJ].
 * Sources and their weight (digest §0): the tag tree is [R] pySim `pySim/global_platform/http.py`, [R-impl]
 * Njiwa `RamHttp.makeRAMHttpPushCommand`, WHTY `SmsTriggerUtil`; GP Amd B itself was not readable. The
 * 85 layout (KVN before KID) follows pySim's SecurityParams vector `850804deadbeef020040`. The retry
 * waiting delay is 5 bytes in pySim and `A5 03 hh mm ss` in Njiwa, whose hours/minutes/seconds are binary
 * where TS 102 223 §8.38 codes a timer value in swapped BCD: both readings are named variants below. The
 * failure report after it is `87 00` in Njiwa [R-impl]; its meaning ("report failure by SMS") is [U].
 * The PSK identity string and the RAM-over-HTTP headers are lib/ramhttp's, not this module's.
 *
 * Parses UNTRUSTED input, never allocates; byte fields point into the caller's buffer. Returns bytes
 * consumed (the 81 TLV) or a negative errno: -EAGAIN truncated, -EBADMSG malformed (not 81, a duplicate,
 * a bad 85/86 layout, an inner TLV overrunning its parent), -EOVERFLOW length form beyond 83. Unknown tags
 * are counted in `unknown` (a later GP version may add some), not rejected. The encoder returns the bytes
 * written, -EMSGSIZE, or -EINVAL (a field too long for its layout). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <osmocom/core/utils.h>

#include "lib/cat/cat.h"

/* BER-TLV tags (GP Amd B Table 3-3, as read in pySim http.py) */
enum scp81_tag {
	SCP81_TAG_TRIGGER = 0x81,	/* admin session triggering parameters */
	SCP81_TAG_SESSION = 0x83,	/* security-domain admin session parameters */
	SCP81_TAG_CONNECTION = 0x84,	/* §3.8.1 connection parameters */
	SCP81_TAG_SECURITY = 0x85,	/* §3.8.2 security parameters */
	SCP81_TAG_EXT_SECURITY = 0xA5,	/* extended security parameters */
	SCP81_TAG_RETRY = 0x86,		/* §3.8.3 retry policy */
	SCP81_TAG_RETRY_FAILURE = 0x87, /* failure report inside 86 [R-impl NJ] */
	SCP81_TAG_HTTP_POST = 0x89,	/* HTTP POST parameters */
	SCP81_TAG_ADMIN_HOST = 0x8A,	/* §3.8.4 */
	SCP81_TAG_AGENT_ID = 0x8B,	/* §3.8.5 */
	SCP81_TAG_ADMIN_URI = 0x8C,	/* §3.8.6 */
	SCP81_TAG_DNS = 0xB3,		/* §3.11 DNS resolution parameters (v4 DNS) */
};
extern const struct value_string scp81_tag_names[];

/* How the retry waiting delay's hours/minutes/seconds are coded (digest §5.2). */
enum scp81_timer_coding {
	SCP81_TIMER_BCD,    /* TS 102 223 §8.38 timer value: each byte swapped BCD (default) */
	SCP81_TIMER_BINARY, /* Njiwa RamHttp: each byte binary [R-impl NJ] */
};
extern const struct value_string scp81_timer_coding_names[];
#define SCP81_TIMER_DEFAULT SCP81_TIMER_BCD

#define SCP81_RETRY_DELAY_LEN 5 /* 86: the waiting delay field (A5 03 hh mm ss) */
/* Encoder bound: a push is a few SMS at most (TS 31.115 concatenation); larger gives -EMSGSIZE. */
#define SCP81_MAX_TRIGGER 4096

struct scp81_trigger {
	bool has_session; /* 83 present; `81 00` has none (card defaults) */
	bool has_connection;
	struct cat_channel_params connection; /* 84 */
	bool has_security;		      /* 85 */
	struct cat_bytes psk_id;	      /* PSK identity as sent (lib/ramhttp builds/parses its content) */
	uint8_t kvn, kid;		      /* SCP81 key set version (40-4F for the ISD-R) and key id */
	bool has_sha;
	uint8_t sha_type;				  /* optional trailing byte [R pySim: 'sha_type'] */
	struct cat_bytes ext_security;			  /* A5, opaque */
	bool has_retry;					  /* 86 */
	uint16_t retry_counter;				  /* number of retries */
	uint8_t retry_delay[SCP81_RETRY_DELAY_LEN];	  /* waiting delay as received: A5 03 hh mm ss */
	struct cat_bytes retry_failure;			  /* the bytes after the delay (NJ: 87 00), may be empty */
	bool has_http_post;				  /* 89 */
	struct cat_bytes admin_host, agent_id, admin_uri; /* 8A, 8B, 8C: UTF-8 strings, not NUL-terminated */
	struct cat_bytes dns;				  /* B3 value, opaque */
	unsigned int unknown;				  /* tags skipped */
};

int scp81_trigger_decode(struct scp81_trigger *out, const uint8_t *buf, size_t len);
int scp81_trigger_encode(uint8_t *out, size_t cap, const struct scp81_trigger *t);

/* The retry waiting delay in seconds under a coding: 0, or -EBADMSG when the 5 bytes are not
 * `A5 03 hh mm ss` / `25 03 hh mm ss` or a byte is no valid value in that coding. */
int scp81_retry_delay_get(const struct scp81_trigger *t, enum scp81_timer_coding coding, uint32_t *seconds);
/* Fill t->retry_delay for a delay in seconds (< 100 h for BCD, < 256 h for binary): 0 or -EINVAL. */
int scp81_retry_delay_set(struct scp81_trigger *t, enum scp81_timer_coding coding, uint32_t seconds);
