/* SGP.02 off-card web-service messages (ES1, ES2, ES3, ES4, ES7; SGP.02 Annex B, digest §1.2, §4.1,
 * §6): a C type per request, response and notification, table-driven SOAP encode/decode, XSD
 * validation against lib/es/xsd/, and the named variants of digest §6.6/§6.7/§8 item 10.
 *
 * Field lists live once in es_types.def. Decoding parses UNTRUSTED input through soap_doc_parse()
 * (no DTD, no network, size and depth caps) and copies every decoded string and byte string into a
 * caller-provided arena: an arena of at least `len` bytes (the input size) always suffices. The
 * libxml2 tree is freed before es_msg_decode() returns, so out's pointers point only into the arena
 * (which must outlive out). Encoding reads the caller's struct (pointers borrowed) and writes into a
 * caller-provided buffer.
 *
 * Deviations in a decoded message (unknown or repeated elements, bad values, a variant seen,
 * missing RelatesTo on a response, XSD failures when a schema is given) are findings: data, not
 * errors. The return value only says whether the message could be decoded at all. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <osmocom/core/utils.h>

#include "lib/soap/soap.h"

#define ES_NS_URI_V3 "http://namespaces.gsma.org/esim-messaging/3" /* XSD copy, ZTE trace (digest §6.1) */
#define ES_NS_URI_V1 "http://namespaces.gsma.org/esim-messaging/1" /* Njiwa */
#define ES_NS_URI_DS "http://www.w3.org/2000/09/xmldsig#"

/* ---- variants (digest §6.6, §6.7, §8 item 10; open-questions §10, §16) -------------------------- */

/* Body namespace. Default ES_NS_V3. */
enum es_ns_variant {
	ES_NS_V3, /* .../esim-messaging/3: the GSMA XSD/WSDL copy and ZTE's 2018 wire trace */
	ES_NS_V1, /* .../esim-messaging/1: Njiwa ("WS_NS_V1_NJIWA") */
};
extern const struct value_string es_ns_variant_names[];

/* Action URI form. Default ES_ACTION_SUFFIXED. */
enum es_action_variant {
	ES_ACTION_SUFFIXED, /* requests .../ESn-<F>Request, sync responses ...Response (ES3_SMSR.wsdl, ES4_MNO.wsdl) */
	ES_ACTION_PLAIN,    /* requests .../ESn-<F> (ES2_SMDP, ES4_SMSR, ES7_SMSR_Provider .wsdl) */
};
extern const struct value_string es_action_variant_names[];

/* Spelling of the notification timestamp. Default ES_TS_AS_XSD. */
enum es_ts_variant {
	ES_TS_AS_XSD,  /* completionTimestamp in ES2-HandleProfileEnabled and ES3-HandleSMSRChange, as the copy */
	ES_TS_UNIFORM, /* CompletionTimestamp everywhere */
};
extern const struct value_string es_ts_variant_names[];

/* What ES7-AuthenticateSMSRRequest identifies the eUICC with. Default ES_AUTH_SMSR_EIS. */
enum es_auth_smsr_variant {
	ES_AUTH_SMSR_EIS, /* Eis (EISType), as the XSD copy */
	ES_AUTH_SMSR_EID, /* Eid, as the copy's documentation says */
};
extern const struct value_string es_auth_smsr_variant_names[];

struct es_variant {
	enum es_ns_variant ns;
	enum es_action_variant action;
	enum es_ts_variant ts;
	enum es_auth_smsr_variant auth_smsr;
};
extern const struct es_variant es_variant_default; /* all of the defaults above */

/* ---- scalar types --------------------------------------------------------------------------------- */

struct es_hex { /* xs:hexBinary; data == NULL: absent */
	const uint8_t *data;
	size_t len;
};
struct es_int { /* xs:integer and its restrictions */
	bool present;
	int64_t v;
};
struct es_bool {
	bool present;
	bool v;
};

/* ---- enumerations of the schema (value 0 = absent) ------------------------------------------------ */

enum es_status { /* ExecutionStatusType/Status (digest §6.4) */
		 ES_STATUS_EXECUTED_SUCCESS = 1,
		 ES_STATUS_EXECUTED_WITHWARNING,
		 ES_STATUS_FAILED,
		 ES_STATUS_EXPIRED,
};
extern const struct value_string es_status_names[];

enum es_profile_state { ES_PROFILE_STATE_CREATED = 1, ES_PROFILE_STATE_DISABLED, ES_PROFILE_STATE_ENABLED };
extern const struct value_string es_profile_state_names[];
enum es_sd_role { ES_SD_ROLE_ISD_R = 1, ES_SD_ROLE_ECASD };
extern const struct value_string es_sd_role_names[];
enum es_keyset_usage {
	ES_KEYSET_SCP03 = 1,
	ES_KEYSET_SCP80,
	ES_KEYSET_SCP81,
	ES_KEYSET_TOKEN_GENERATION,
	ES_KEYSET_RECEIPT_VERIFICATION,
	ES_KEYSET_CA,
};
extern const struct value_string es_keyset_usage_names[];
enum es_pol2_subject { ES_POL2_SUBJECT_PROFILE = 1 };
extern const struct value_string es_pol2_subject_names[];
enum es_pol2_action { ES_POL2_ACTION_ENABLE = 1, ES_POL2_ACTION_DISABLE, ES_POL2_ACTION_DELETE };
extern const struct value_string es_pol2_action_names[];
enum es_pol2_qualification { ES_POL2_QUAL_NOT_ALLOWED = 1, ES_POL2_QUAL_AUTO_DELETE };
extern const struct value_string es_pol2_qualification_names[];
enum es_ecc_key_length { ES_ECC_256 = 1, ES_ECC_384, ES_ECC_512, ES_ECC_521 };
extern const struct value_string es_ecc_key_length_names[];

/* ---- the generated structs ------------------------------------------------------------------------ */

#include "lib/es/es_types.def"

#define ES_CTYPE_STR(sub)	 const char *
#define ES_CTYPE_TS(sub)	 const char *
#define ES_CTYPE_ASTR(sub)	 const char *
#define ES_CTYPE_HEX(sub)	 struct es_hex
#define ES_CTYPE_AHEX(sub)	 struct es_hex
#define ES_CTYPE_INT(sub)	 struct es_int
#define ES_CTYPE_BOOL(sub)	 struct es_bool
#define ES_CTYPE_ENUM(sub)	 enum sub
#define ES_CTYPE_STRUCT(sub)	 struct sub
#define ES_MEMBER_ONE(t, m, cap) t m;
#define ES_MEMBER_REP(t, m, cap) \
	t m[cap];                \
	unsigned int n_##m;
#define ES_MEMBER(T, mult, kind, member, xml, min, max, cap, sub) ES_MEMBER_##mult(ES_CTYPE_##kind(sub), member, cap)
/* Every complex type starts with `present` (optional elements: false = absent). */
#define ES_DECL_STRUCT(T, ns)                      \
	struct T {                                 \
		bool present;                      \
		ES_FIELDS_##T(ES_MEMBER, struct T) \
	};
ES_COMPLEX_TYPES(ES_DECL_STRUCT)

#define ES_DECL_FUNC(n, fname, ID, ctype, group, sync, afname)           \
	struct ctype##_req {                                             \
		bool present;                                            \
		ES_FIELDS_##ctype##_req(ES_MEMBER, struct ctype##_req)   \
	};                                                               \
	struct ctype##_resp {                                            \
		bool present;                                            \
		ES_FIELDS_##ctype##_resp(ES_MEMBER, struct ctype##_resp) \
	};
ES_FUNCTIONS(ES_DECL_FUNC)
#define ES_DECL_NOTIF(n, ename, ID, ctype, group)          \
	struct ctype {                                     \
		bool present;                              \
		ES_FIELDS_##ctype(ES_MEMBER, struct ctype) \
	};
ES_NOTIFICATIONS(ES_DECL_NOTIF)

/* ---- the message registry ------------------------------------------------------------------------- */

#define ES_ID_FUNC(n, fname, ID, ctype, group, sync, afname) ES_MSG_##ID##_REQ, ES_MSG_##ID##_RESP,
#define ES_ID_NOTIF(n, ename, ID, ctype, group)		     ES_MSG_##ID##_NOTIF,
enum es_msg_id { ES_MSG_NONE = -1, ES_FUNCTIONS(ES_ID_FUNC) ES_NOTIFICATIONS(ES_ID_NOTIF) ES_MSG__COUNT };

enum es_msg_kind { ES_KIND_REQUEST, ES_KIND_RESPONSE, ES_KIND_NOTIFICATION };
extern const struct value_string es_msg_kind_names[];

struct es_type; /* a descriptor (es.c) */

struct es_msg_info {
	enum es_msg_id id;
	uint8_t iface; /* 1, 2, 3, 4 or 7 */
	enum es_msg_kind kind;
	bool async;		     /* the response is a callback to ReplyTo (digest §6.3) */
	const char *function;	     /* "CreateISDP", "HandleSMSRChangeNotification" */
	const char *element;	     /* "ES3-CreateISDPRequest" */
	const char *name;	     /* "ES3-CreateISDP" (notifications: "ES3-HandleSMSRChangeNotification") */
	const char *group;	     /* action URI group: "ProfileManagement" ... */
	const char *action_function; /* the WSDL's spelling in the action URI */
	const struct es_type *type;
};
extern const struct es_msg_info es_msgs[ES_MSG__COUNT];

/* Look up by element local name ("ES3-CreateISDPRequest"). NULL if unknown. */
const struct es_msg_info *es_msg_info_by_element(const char *element);

/* A decoded or to-be-encoded message. */
#define ES_UNION_FUNC(n, fname, ID, ctype, group, sync, afname) \
	struct ctype##_req ctype##_req;                         \
	struct ctype##_resp ctype##_resp;
#define ES_UNION_NOTIF(n, ename, ID, ctype, group) struct ctype ctype;
struct es_msg {
	enum es_msg_id id;   /* ES_MSG_NONE for a fault */
	struct soap_wsa wsa; /* the WS-A headers */
	bool is_fault;
	struct soap_fault fault;    /* when is_fault */
	enum es_ns_variant ns_seen; /* decode: the body namespace found */
	union {
		ES_FUNCTIONS(ES_UNION_FUNC)
		ES_NOTIFICATIONS(ES_UNION_NOTIF)
	} u;
};

/* ---- action URIs (digest §6.6) ------------------------------------------------------------------- */

/* The wsa:Action for message id: requests and notifications per the variant; responses are
 * `.../<Group>/ESn-<F>Response`, or `.../<Group>CallBack/ESn-<F>` when callback is true. Returns the
 * length or -EMSGSIZE/-EINVAL. */
int es_action_uri(char *buf, size_t cap, enum es_msg_id id, const struct es_variant *v, bool callback);

/* ---- encode / decode -------------------------------------------------------------------------------- */

/* Encode msg (msg->id selects the union member; msg->wsa the headers, action filled in by the caller
 * or, when NULL, computed with es_action_uri() with callback = the function is async) as a complete
 * SOAP envelope. Absent mandatory fields are not invented: what the struct holds is written, so
 * tests can build invalid messages; es_validate() says whether the result is valid.
 * Returns the length, -EMSGSIZE, -EINVAL or -ENOMEM. */
int es_msg_encode(uint8_t *out, size_t cap, const struct es_msg *msg, const struct es_variant *v);

struct es_schema; /* the compiled XSD set of lib/es/xsd (both body namespaces) */

struct es_decode_opts {
	const struct es_variant *variant; /* expected (configured) variant; NULL = default */
	const struct soap_limits *limits; /* NULL = defaults */
	const struct es_schema *schema;	  /* validate the body against it too (NULL = don't) */
};

/* Decode one SOAP envelope into out. Returns 0 on success (including faults: out->is_fault), or
 * -EMSGSIZE (input over the cap or arena too small), -EBADMSG (not a SOAP 1.2 envelope, body element
 * unknown or in an unknown namespace; a finding says which), -ELOOP (too deep), -ENOMEM. */
int es_msg_decode(struct es_msg *out, char *arena, size_t arena_len, const uint8_t *buf, size_t len,
		  const struct es_decode_opts *opts, struct soap_findings *f);

/* ---- XSD validation ------------------------------------------------------------------------------- */

/* Load es-ns3.xsd and es-ns1.xsd from dir (which also holds the included per-interface files).
 * Returns 0, -ENOENT (missing file) or -EBADMSG (schema does not compile; details to stderr-free
 * findings are not kept). Free with es_schema_free(). */
int es_schema_load(struct es_schema **out, const char *dir);
void es_schema_free(struct es_schema *s);

/* Parse buf as a SOAP envelope and validate its body element against the schema for the body's
 * namespace. Every schema error becomes a finding (rule "ES-XSD") with the element path; envelope
 * findings (missing WS-A headers ...) are recorded too. Returns the number of findings that are not
 * informational (0 = valid), or a negative errno if buf is not a SOAP envelope at all. */
int es_validate(const struct es_schema *s, const uint8_t *buf, size_t len, const struct soap_limits *lim,
		struct soap_findings *f);

/* The default XSD directory: <top>/lib/es/xsd where the running binary is <top>/build*\/bin/x or
 * <top>/build*\/lib/es/x (from /proc/self/exe). Returns the length, or -ENOENT if that directory
 * does not hold es-ns3.xsd. */
int es_xsd_dir_default(char *buf, size_t cap);

/* Write the per-interface schema file (es<iface>.xsd) for the messages of iface from the field
 * table. Returns 0, or -EINVAL if iface has no messages. */
int es_xsd_write_interface(FILE *out, unsigned int iface);

/* ---- examples ------------------------------------------------------------------------------------- */

/* Fill msg with a complete, valid example of message id (test data: a fixed EID, ICCID, OIDs, an
 * EIS with one profile); strings point to static storage. */
void es_example_fill(struct es_msg *msg, enum es_msg_id id);

/* ---- status codes (digest §6.5; open-questions §11) --------------------------------------------- */

struct es_code_name {
	const char *code; /* "8.1.1" */
	const char *name;
};
extern const struct es_code_name es_subject_codes[]; /* ends { NULL, NULL } */
extern const struct es_code_name es_reason_codes[];  /* ends { NULL, NULL } */
/* The name of a subject/reason code, or NULL if unknown. */
const char *es_code_name(const struct es_code_name *table, const char *code);
