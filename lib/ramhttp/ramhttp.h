/* GP Card Spec Amd B "RAM over HTTP" (SCP81) administration headers, content types and the SGP.02
 * PSK-TLS identity: constants, parsers/validators and formatters. No HTTP parsing: the HTTP layer
 * hands each header VALUE to these functions (digest §5.2).
 *
 * Parses UNTRUSTED input. Values are (const char *, size_t), no NUL needed; leading/trailing spaces
 * and tabs are ignored (RFC 7230 §3.2.4 OWS). Decoded string fields point into the input, which must
 * outlive the result; AIDs and TLV fields are decoded into fixed arrays. Nothing allocates.
 * Returns 0 (parsers) or a length (formatters), or a negative errno: -EBADMSG malformed value (or
 * longer than RAMHTTP_MAX_VALUE), -EMSGSIZE output too small, -EINVAL bad argument.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <osmocom/core/utils.h>

#define RAMHTTP_MAX_VALUE 1024 /* cap on a header value: ours are < 120 bytes; not a spec limit */

/* Header names (GP Card Spec Amd B, RAM over HTTP; seen on the wire in WHTY / NJ, digest §5.2). */
#define RAMHTTP_HDR_PROTOCOL	  "X-Admin-Protocol"
#define RAMHTTP_HDR_FROM	  "X-Admin-From"
#define RAMHTTP_HDR_NEXT_URI	  "X-Admin-Next-URI"
#define RAMHTTP_HDR_TARGETED_APP  "X-Admin-Targeted-Application"
#define RAMHTTP_HDR_SCRIPT_STATUS "X-Admin-Script-Status"
#define RAMHTTP_HDR_RESUME	  "X-Admin-Resume"

#define RAMHTTP_PROTOCOL_1_0 "globalplatform-remote-admin/1.0" /* the value SGP.02 cards and servers send */

/* Content types (digest §5.2: GP from WHTY/NJ; ETSI from NJ RamHttp APPLICATION_VND_ETSI_SCP_COMMAND). */
#define RAMHTTP_CT_GP_COMMAND	"application/vnd.globalplatform.card-content-mgt;version=1.0"
#define RAMHTTP_CT_GP_RESPONSE	"application/vnd.globalplatform.card-content-mgt-response;version=1.0"
#define RAMHTTP_CT_ETSI_COMMAND "application/vnd.etsi.scp.command-data;version=1.0"

/* ---- X-Admin-Protocol: globalplatform-remote-admin/<major>.<minor>[.<patch>] ---- */
struct ramhttp_protocol {
	unsigned int major, minor, patch; /* patch 0 when absent; 1.1.1 is the GP device Admin Agent update */
	bool has_patch;
};
int ramhttp_protocol_parse(struct ramhttp_protocol *out, const char *v, size_t len);

/* ---- AIDs as //aid/<RID>/<PIX> (X-Admin-Targeted-Application) ---- */
struct ramhttp_aid {
	uint8_t aid[16]; /* RID (5 bytes) || PIX (0..11 bytes) */
	size_t len;
};
/* "//aid/A000000559/1010FFFFFFFF8900001300": RID exactly 5 bytes of hex, PIX 0..11 bytes, either case. */
int ramhttp_targeted_app_parse(struct ramhttp_aid *out, const char *v, size_t len);
/* Writes "//aid/<RID>/<PIX>" in upper-case hex plus a NUL; returns the length without the NUL. */
int ramhttp_targeted_app_format(char *buf, size_t cap, const uint8_t *aid, size_t aid_len);

/* ---- X-Admin-From: //se-id/<type>/<value>;//aa-id/aid/<RID>/<PIX> ---- */
/* The card-side agent id spelling (open-questions §14): GP Amd B writes `aa-id`; one real card sent
 * `aaid`. Both are accepted; the parsed spelling is reported; the formatter emits `aa-id`. */
enum ramhttp_agent_spelling {
	RAMHTTP_AGENT_AA_ID, /* default */
	RAMHTTP_AGENT_AAID,
};
extern const struct value_string ramhttp_agent_spelling_names[];

struct ramhttp_from {
	const char *se_type; /* "eid" for SGP.02 (also CUD / ICCID in the GP device spec) */
	size_t se_type_len;
	const char *se_id; /* the value, e.g. the 32-digit EID; 1..64 chars of [0-9A-Za-z] */
	size_t se_id_len;
	struct ramhttp_aid agent; /* the ISD-R AID for SGP.02 */
	enum ramhttp_agent_spelling spelling;
};
int ramhttp_from_parse(struct ramhttp_from *out, const char *v, size_t len);
/* true if se_type is "eid" (case-insensitive) and se_id is 32 decimal digits. */
bool ramhttp_from_is_eid(const struct ramhttp_from *f);
/* "//se-id/eid/<eid>;//aa-id/aid/<RID>/<PIX>" + NUL. */
int ramhttp_from_format(char *buf, size_t cap, const char *eid, size_t eid_len, const uint8_t *aid, size_t aid_len);

/* ---- X-Admin-Next-URI ---- */
/* A non-empty URI of visible ASCII (no spaces, no controls): an absolute path ("/ramNext/12") or an
 * absolute http(s) URI. *uri / *uri_len point at the trimmed value. */
int ramhttp_next_uri_parse(const char **uri, size_t *uri_len, const char *v, size_t len);

/* ---- X-Admin-Script-Status ---- */
enum ramhttp_script_status {
	RAMHTTP_SCRIPT_OK,		      /* digest §5.2 [R-impl WHTY, NJ] */
	RAMHTTP_SCRIPT_UNKNOWN_APPLICATION,   /* [U] in the digest; one card sent it (open-questions §14) */
	RAMHTTP_SCRIPT_NOT_A_SECURITY_DOMAIN, /* [U] */
	RAMHTTP_SCRIPT_SECURITY_ERROR,	      /* [U] */
	/* GP device Admin Agent extension (X-Admin-Protocol 1.1.1), not GP Amd B 1.0: */
	RAMHTTP_SCRIPT_UNAVAILABLE_SE,
	RAMHTTP_SCRIPT_TEMPORARILY_UNAVAILABLE_APP,
	RAMHTTP_SCRIPT_FORMAT_ERROR,
};
extern const struct value_string ramhttp_script_status_names[]; /* the header tokens */
/* Tokens compare case-sensitively, as written by GP. */
int ramhttp_script_status_parse(enum ramhttp_script_status *out, const char *v, size_t len);
/* true for the four GP Amd B 1.0 values. */
bool ramhttp_script_status_is_amd_b(enum ramhttp_script_status s);

/* ---- X-Admin-Resume: "true" when an interrupted session is resumed (GP Amd B) ---- */
int ramhttp_resume_parse(bool *out, const char *v, size_t len); /* "true" / "false", any case */

/* ---- Content-Type ---- */
enum ramhttp_content {
	RAMHTTP_CONTENT_GP_COMMAND,
	RAMHTTP_CONTENT_GP_RESPONSE,
	RAMHTTP_CONTENT_ETSI_COMMAND,
};
extern const struct value_string ramhttp_content_names[];
struct ramhttp_content_type {
	enum ramhttp_content kind;
	const char *version; /* the version parameter value (quotes stripped), pointing into the input */
	size_t version_len;
	bool version_1_0; /* version is exactly "1.0" */
};
/* Media type case-insensitive (RFC 7231 §3.1.1.1), OWS around ';' and '=' allowed, the `version`
 * parameter required, other parameters rejected. */
int ramhttp_content_type_parse(struct ramhttp_content_type *out, const char *v, size_t len);

/* ---- SCP81 PSK-TLS identity (digest §5.2; open-questions §7) ----
 * The v4.x format (SGP.02 v4.1 Table 4 as cited by NJ RamHttp.makePskId; ET 04):
 *   80 01 02 | 81 10 <EID 16 bytes> | 4F 10 <ISD-R AID> | 82 01 <key id> | 83 01 <KVN>
 * sent as the UPPER-case hex string of that TLV (NJ Utils.HEX.b2H; "SGP.02 says the Psk ID must be
 * UTF-8 encoded hex"). Whether SGP.02 v3.1 fixes this format is UNVERIFIED, hence the variant:
 *   RAMHTTP_PSK_ID_TLV_HEX_V4 (default) - the format above;
 *   RAMHTTP_PSK_ID_OPAQUE - any identity string, resolved by a lookup table (no structure). */
enum ramhttp_psk_id_format {
	RAMHTTP_PSK_ID_TLV_HEX_V4,
	RAMHTTP_PSK_ID_OPAQUE,
};
extern const struct value_string ramhttp_psk_id_format_names[];

#define RAMHTTP_PSK_ID_MAX 256 /* cap on an identity string (the v4 one is 90 chars) */

struct ramhttp_psk_id {
	enum ramhttp_psk_id_format format;
	/* RAMHTTP_PSK_ID_TLV_HEX_V4: */
	uint8_t format_version; /* the `80` value, 02 */
	uint8_t eid[16];
	uint8_t aid[16];
	size_t aid_len; /* 5..16 */
	uint8_t key_id, kvn;
	/* RAMHTTP_PSK_ID_OPAQUE: the identity as given, pointing into the input. */
	const char *opaque;
	size_t opaque_len;
};
/* TLV bytes of a TLV_HEX_V4 identity. Returns the length or -EMSGSIZE / -EINVAL. */
int ramhttp_psk_id_tlv_encode(uint8_t *buf, size_t cap, const struct ramhttp_psk_id *id);
/* The identity string: upper-case hex of the TLV (TLV_HEX_V4) or the opaque bytes. A NUL is written
 * after it; returns the length without the NUL. */
int ramhttp_psk_id_build(char *buf, size_t cap, const struct ramhttp_psk_id *id);
/* Parse an identity string in the given format. TLV_HEX_V4: hex of either case; `80` first with one
 * byte, then 81 (16 bytes), 4F (5..16), 82 (1), 83 (1), each exactly once in any order, nothing else. */
int ramhttp_psk_id_parse(struct ramhttp_psk_id *out, enum ramhttp_psk_id_format format, const char *v, size_t len);

/* ---- An eUICC notification (E1, digest §4.5) in the card's first POST of an admin session it opens
 * itself (no push) ----
 * How the E1 rides in that POST is not settled by what we read (open-questions §9 is silent; the
 * SGP.02 text of the HTTPS notification was not read), hence the variant:
 *   RAMHTTP_NOTIF_URI_MSG (default) - the TLV as the hex string of a `msg` query parameter of the
 *     admin URI, "<admin URI>?msg=<HEX>", empty body (NJ RamHttp.runHttpSession: "notification via
 *     HTTPS: it is hex-coded as per spec", citing SGP.02 §3.15.2) [R-impl];
 *   RAMHTTP_NOTIF_BODY - the TLV as the body of that POST (NJ also takes a body that is no response
 *     script as a notification) [R-impl].
 * Receivers accept both. The SM-SR confirms it in the same session with a 3A08 script. */
enum ramhttp_notif_carriage {
	RAMHTTP_NOTIF_URI_MSG,
	RAMHTTP_NOTIF_BODY,
};
extern const struct value_string ramhttp_notif_carriage_names[];

#define RAMHTTP_NOTIF_MAX 255 /* cap on one notification TLV (ours are < 80 bytes) */

/* "<base>?msg=<upper-case hex of e1>" + NUL (base must not have a query); returns the length without
 * the NUL, -EMSGSIZE, -EINVAL (empty e1, e1 longer than RAMHTTP_NOTIF_MAX, base with a '?'). */
int ramhttp_notif_uri_build(char *buf, size_t cap, const char *base, const uint8_t *e1, size_t len);
/* The `msg` parameter of a request target's query ("/path?a=b&msg=E1..."): hex of either case,
 * decoded into out. Returns the decoded length, 0 when the target has no `msg` parameter, -EBADMSG
 * (odd length, not hex, empty, given twice), -EMSGSIZE (longer than cap or RAMHTTP_NOTIF_MAX). */
int ramhttp_notif_from_uri(uint8_t *out, size_t cap, const char *target, size_t len);
/* The E1 of a first POST in either carriage: the msg parameter of target, else a body that starts with
 * the E1 tag; *how says which. The decoded length, 0 when the POST carries none, or the errors above
 * (-EMSGSIZE also for a body longer than cap or RAMHTTP_NOTIF_MAX). */
int ramhttp_notif_from_post(uint8_t *out, size_t cap, const char *target, size_t len, const uint8_t *body,
			    size_t body_len, enum ramhttp_notif_carriage *how);
