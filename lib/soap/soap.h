/* SOAP 1.2 envelope with WS-Addressing 1.0 headers, as used by the SGP.02 off-card interfaces
 * (ES1..ES4, ES7; SGP.02 Annex B, digest §6.1): writer, safe parser, faults, the HTTP content type.
 *
 * Parses UNTRUSTED input. soap_doc_parse() refuses, before libxml2 sees a byte of it: input larger
 * than the configured cap, NUL bytes (UTF-16 and other non-UTF-8 forms) and any document type
 * declaration (SOAP 1.2 Part 1 §5: "A SOAP message MUST NOT contain a Document Type Declaration"),
 * so no entity can be declared and none expanded ("billion laughs"). libxml2 then runs with
 * XML_PARSE_NONET (no network), without NOENT/DTDLOAD/XINCLUDE/HUGE, with its own error printing
 * off and the declared encoding ignored (UTF-8 is forced); the element depth is capped afterwards.
 *
 * Ownership: a parsed struct soap_doc owns its libxml2 tree; every pointer it hands out (header
 * texts, the body element) lives until soap_doc_free(). The writer owns its buffer until
 * soap_writer_finish() copies it out.
 *
 * Returns: 0 or a byte count on success; negative errno on failure: -EMSGSIZE input over the cap or
 * output buffer too small, -EBADMSG not well-formed / not a SOAP 1.2 envelope / DTD present,
 * -ELOOP nesting deeper than the cap, -ENOMEM, -EINVAL bad argument. SOAP faults and header
 * deviations are DATA (struct soap_fault, findings), never a return code. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <osmocom/core/utils.h>
#include <libxml/tree.h>
#include <libxml/xmlwriter.h>

#define SOAP_NS_ENV	   "http://www.w3.org/2003/05/soap-envelope" /* SOAP 1.2 Part 1 §5 */
#define SOAP_NS_WSA	   "http://www.w3.org/2005/08/addressing"    /* WS-Addressing 1.0 Core §2 */
#define SOAP_WSA_ANONYMOUS "http://www.w3.org/2005/08/addressing/anonymous"

#define SOAP_MAX_INPUT_DEFAULT (1024 * 1024) /* one message; an EIS with certificates is ~20 KiB */
#define SOAP_MAX_DEPTH_DEFAULT 32	     /* the ES schemas nest 9 deep inside the body */

/* ---- findings: deviations recorded while decoding or validating (data, not errors) ---------- */

#define SOAP_FINDINGS_MAX     32
#define SOAP_FINDING_PATH_MAX 192
#define SOAP_FINDING_TEXT_MAX 256

struct soap_finding {
	const char *rule;		  /* a stable rule id, e.g. "WSA-002", "ES-XSD", "ES-VARIANT" */
	bool info;			  /* informational (e.g. which variant a peer used), not a deviation */
	char path[SOAP_FINDING_PATH_MAX]; /* element path, e.g. /Envelope/Body/ES3-CreateISDPRequest/Iccid */
	char text[SOAP_FINDING_TEXT_MAX];
};

struct soap_findings {
	unsigned int n;
	unsigned int dropped; /* findings beyond SOAP_FINDINGS_MAX are counted, not stored */
	struct soap_finding f[SOAP_FINDINGS_MAX];
};

void soap_findings_init(struct soap_findings *f);
/* Append one finding (f may be NULL: then nothing is recorded). path may be NULL. */
void soap_findings_add(struct soap_findings *f, const char *rule, const char *path, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* The same, flagged informational. */
void soap_findings_note(struct soap_findings *f, const char *rule, const char *path, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* Number of findings that are not informational (dropped ones count as deviations). */
unsigned int soap_findings_errors(const struct soap_findings *f);
/* True if a finding with this rule id was recorded. */
bool soap_findings_has(const struct soap_findings *f, const char *rule);
/* The element path of node without namespace prefixes ("/Envelope/Body/ES3-...") into buf. */
void soap_node_path(const xmlNode *node, char *buf, size_t cap);

/* ---- WS-Addressing header block -------------------------------------------------------------- */

/* WS-A 1.0 message addressing properties used by SGP.02 (digest §6.1). From, To, Action and
 * MessageID are mandatory; RelatesTo in responses; ReplyTo optional. NULL = absent. */
struct soap_wsa {
	const char *from; /* wsa:From/wsa:Address */
	const char *to;
	const char *action;
	const char *message_id;
	const char *relates_to;
	const char *reply_to; /* wsa:ReplyTo/wsa:Address */
};

/* ---- SOAP 1.2 fault (SOAP 1.2 Part 1 §5.4) -------------------------------------------------- */

enum soap_fault_code {
	SOAP_FAULT_NONE,
	SOAP_FAULT_VERSION_MISMATCH,
	SOAP_FAULT_MUST_UNDERSTAND,
	SOAP_FAULT_DATA_ENCODING_UNKNOWN,
	SOAP_FAULT_SENDER,
	SOAP_FAULT_RECEIVER,
};
extern const struct value_string soap_fault_code_names[]; /* "env:Sender" ... */

struct soap_fault {
	enum soap_fault_code code;
	const char *subcode; /* QName text of env:Subcode/env:Value, or NULL */
	const char *reason;  /* env:Reason/env:Text (xml:lang="en") */
	const char *detail;  /* text of env:Detail, or NULL */
};

/* ---- writer ------------------------------------------------------------------------------------- */

struct soap_writer {
	xmlBufferPtr buf;
	xmlTextWriterPtr xw; /* body content is written through this (xmlTextWriter* calls) */
	int err;	     /* sticky: first negative errno */
};

/* Start an envelope: XML declaration, env:Envelope, the WS-A header block, and open env:Body.
 * Namespace prefixes: env (SOAP 1.2), wsa (WS-A); body_ns/body_prefix (e.g. rps) are declared on
 * the envelope when body_ns is not NULL. wsa:To and wsa:Action carry mustUnderstand="true" as on
 * the wire (digest §6.2, ZTE trace). Returns 0 or a negative errno (then soap_writer_free()). */
int soap_writer_begin(struct soap_writer *w, const struct soap_wsa *h, const char *body_prefix, const char *body_ns);
/* Close the body and the envelope, copy the document to out. Returns its length, -EMSGSIZE if it
 * does not fit, or the sticky error. The writer is freed on all paths. */
int soap_writer_finish(struct soap_writer *w, uint8_t *out, size_t cap);
void soap_writer_free(struct soap_writer *w);
/* Helpers that update the sticky error. */
void soap_writer_start(struct soap_writer *w, const char *prefix, const char *name);
void soap_writer_end(struct soap_writer *w);
void soap_writer_text(struct soap_writer *w, const char *text);
void soap_writer_attr(struct soap_writer *w, const char *name, const char *value);

/* A complete fault envelope (SOAP 1.2 Part 1 §5.4). Returns the length or a negative errno. */
int soap_fault_encode(uint8_t *out, size_t cap, const struct soap_wsa *h, const struct soap_fault *fault);

/* ---- parser --------------------------------------------------------------------------------------- */

struct soap_limits {
	size_t max_input;	/* bytes; 0 = SOAP_MAX_INPUT_DEFAULT */
	unsigned int max_depth; /* element nesting, Envelope = 1; 0 = SOAP_MAX_DEPTH_DEFAULT */
};

struct soap_doc {
	xmlDocPtr doc;
	struct soap_wsa wsa; /* texts point into doc */
	xmlNodePtr body;     /* the first element child of env:Body (NULL if the body is empty) */
	bool is_fault;	     /* body is env:Fault; then fault is filled */
	struct soap_fault fault;
};

/* Parse and check one SOAP 1.2 envelope. Header deviations (a missing mandatory WS-A header, a
 * second body element, SOAP 1.1 namespace, unknown mustUnderstand header) become findings; the
 * envelope structure itself (Envelope, optional Header, Body) must hold or -EBADMSG is returned.
 * lim may be NULL (defaults). On success free with soap_doc_free(). */
int soap_doc_parse(struct soap_doc *d, const uint8_t *buf, size_t len, const struct soap_limits *lim,
		   struct soap_findings *f);
void soap_doc_free(struct soap_doc *d);

/* The text content of an element (concatenated text/CDATA children) into buf, NUL-terminated.
 * Returns its length, -EMSGSIZE if it does not fit, -EBADMSG if node has element children. */
int soap_node_text(const xmlNode *node, char *buf, size_t cap);

/* ---- HTTP binding (SOAP 1.2 Part 2 §7; digest §6.1) --------------------------------------------- */

/* `application/soap+xml; charset=utf-8; action="<action>"` into buf. Returns the length (without
 * NUL), -EMSGSIZE, or -EINVAL if action contains a quote, backslash or control character. */
int soap_content_type_make(char *buf, size_t cap, const char *action);
/* Parse a Content-Type value: must be application/soap+xml (case-insensitive); the action
 * parameter (quoted or token) is copied to action (NUL-terminated; "" when absent). A missing or
 * non-UTF-8 charset is a finding. Returns 0, -EBADMSG (not soap+xml or malformed), -EMSGSIZE. */
int soap_content_type_parse(const char *ct, size_t len, char *action, size_t action_cap, struct soap_findings *f);

/* libxml2 global initialisation; idempotent. Every entry point above calls it. */
void soap_init(void);
