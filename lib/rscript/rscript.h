/* ETSI TS 102 226 remote command scripts: the expanded format (BER-TLV command / response scripting
 * templates, §5.2), the compact format (§5.1) and a short-form C-APDU case parser.
 *
 * Parses UNTRUSTED input (the secured data of an SCP80 packet or an SCP81 HTTP body). Decoders never
 * allocate and never read past `len`; every pointer they return points into the caller's buffer,
 * which must outlive the result. TLV framing is lib/tlv/bertlv.h's; this module adds the meaning.
 *
 * Return values (negative errno): -EAGAIN the buffer ends inside the script (truncated);
 * -EBADMSG malformed (wrong template tag, unknown tag in a template, a TLV with an impossible
 * length, an APDU whose Lc does not match); -EMSGSIZE (builders) the output buffer is too small;
 * -EINVAL a bad argument. Status words, bad-format codes and the executed-commands count are DATA in
 * the decoded items, never return codes.
 *
 * Expanded command script (TS 102 226 §5.2.1; digest §4.3):
 *   AA L { item... }            definite length (table 5.2)
 *   AE 80 { item... } 00 00     indefinite length (table 5.2a; what SGP.02 HTTPS bodies use)
 *   item = 22 C-APDU | 81 immediate action | 82 error action | 83 script chaining
 *        | 84 / 85 / 86 SCP03t TLVs, placed directly in the template (SGP.02 §4.1.3.3, digest §4.3)
 * Expanded response script (§5.2.2):
 *   AB L { 80 count, item... }  definite (table 5.10): the number of executed commands comes first
 *   AF 80 { item... } 00 00     indefinite (table 5.10a): no count TLV required
 *   item = 23 R-APDU (data || SW1 SW2) | 90 bad format | 81 immediate action response
 *        | 83 script chaining response | 84 / 85 / 86 SCP03t responses | 9F44..9F47 SCP03t errors
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <osmocom/core/utils.h>

#include "lib/tlv/bertlv.h"

/* Length coding of a template (TS 102 226 §5.2.1 tables 5.2 / 5.2a, §5.2.2 tables 5.10 / 5.10a). */
enum rscript_coding {
	RSCRIPT_DEFINITE,   /* AA / AB */
	RSCRIPT_INDEFINITE, /* AE 80 ... 00 00 / AF 80 ... 00 00 */
};
extern const struct value_string rscript_coding_names[];

#define RSCRIPT_TAG_CMD_DEFINITE   0xAA /* TS 101 220 table 7.18 */
#define RSCRIPT_TAG_CMD_INDEFINITE 0xAE
#define RSCRIPT_TAG_RSP_DEFINITE   0xAB
#define RSCRIPT_TAG_RSP_INDEFINITE 0xAF

/* Items of a command scripting template; the value is the tag (TS 102 226 §5.2.1, TS 101 220 table 7.19). */
enum rscript_cmd_kind {
	RSCRIPT_CMD_CAPDU = 0x22,	     /* §5.2.1.1 C-APDU */
	RSCRIPT_CMD_IMMEDIATE_ACTION = 0x81, /* §5.2.1.2 */
	RSCRIPT_CMD_ERROR_ACTION = 0x82,     /* §5.2.1.3 */
	RSCRIPT_CMD_SCRIPT_CHAINING = 0x83,  /* §5.2.1.4 */
	RSCRIPT_CMD_SCP03T_INIT = 0x84,	     /* SGP.02 §4.1.3.3: INITIALIZE UPDATE (digest §4.8) */
	RSCRIPT_CMD_SCP03T_EXT_AUTH = 0x85,  /* SGP.02 §4.1.3.3: EXTERNAL AUTHENTICATE */
	RSCRIPT_CMD_SCP03T_DATA = 0x86,	     /* SGP.02 §4.1.3.3: protected profile segment */
};
extern const struct value_string rscript_cmd_kind_names[];

/* Script chaining TLV value (TS 102 226 §5.2.1.4; digest §4.3 from NJ Ota.java). */
enum rscript_chaining {
	RSCRIPT_CHAIN_FIRST_DELETE_ON_RESET = 0x01, /* first script; chaining info deleted on reset */
	RSCRIPT_CHAIN_FIRST_KEEP_ON_RESET = 0x11,   /* first script; chaining info kept across reset */
	RSCRIPT_CHAIN_SUBSEQUENT = 0x02,	    /* subsequent script, more to follow */
	RSCRIPT_CHAIN_LAST = 0x03,		    /* last script */
};
extern const struct value_string rscript_chaining_names[];
bool rscript_chaining_valid(uint8_t v);

/* Items of a response scripting template; the value is the tag (TS 102 226 §5.2.2, tables 5.10-5.16). */
enum rscript_rsp_kind {
	RSCRIPT_RSP_COUNT = 0x80,	     /* table 5.11: number of executed command TLVs */
	RSCRIPT_RSP_IMMEDIATE_ACTION = 0x81, /* table 5.14: immediate action response */
	RSCRIPT_RSP_SCRIPT_CHAINING = 0x83,  /* table 5.16: script chaining response */
	RSCRIPT_RSP_RAPDU = 0x23,	     /* §5.2.2: R-APDU = response data || SW1 SW2 */
	RSCRIPT_RSP_BAD_FORMAT = 0x90,	     /* table 5.12 */
	RSCRIPT_RSP_SCP03T_INIT = 0x84,	     /* SGP.02 SCP03t responses (open-questions §5) */
	RSCRIPT_RSP_SCP03T_EXT_AUTH = 0x85,
	RSCRIPT_RSP_SCP03T_DATA = 0x86,
	RSCRIPT_RSP_SCP03T_ERROR = 0x9F40, /* 9F44..9F47 01 <code>: kind for the whole range */
};
extern const struct value_string rscript_rsp_kind_names[];

/* Bad format TLV `90` value (TS 102 226 table 5.12; PYSIM pySim/ota.py ExpandedBadFormat). */
enum rscript_bad_format {
	RSCRIPT_BAD_FORMAT_NONE = 0x00, /* not a code on the wire: "no error" in struct rscript_cmd_iter */
	RSCRIPT_BAD_FORMAT_UNKNOWN_TAG = 0x01,
	RSCRIPT_BAD_FORMAT_WRONG_LENGTH = 0x02,
	RSCRIPT_BAD_FORMAT_LENGTH_NOT_FOUND = 0x03,
};
extern const struct value_string rscript_bad_format_names[];

/* Immediate action response `81` (table 5.14) and script chaining response `83` (table 5.16). */
extern const struct value_string rscript_immediate_action_rsp_names[]; /* 01 suspension error */
extern const struct value_string rscript_chaining_rsp_names[];	       /* 01 no previous script, 02 not
									* supported, 03 unable to process */

/* ---- APDU case parsing (ISO/IEC 7816-3 §12.1.3, short form only) ---------------------------- */

enum rscript_apdu_case {
	RSCRIPT_APDU_CASE_1 = 1, /* CLA INS P1 P2 */
	RSCRIPT_APDU_CASE_2 = 2, /* CLA INS P1 P2 Le */
	RSCRIPT_APDU_CASE_3 = 3, /* CLA INS P1 P2 Lc data */
	RSCRIPT_APDU_CASE_4 = 4, /* CLA INS P1 P2 Lc data Le */
};

struct rscript_apdu {
	uint8_t cla, ins, p1, p2;
	enum rscript_apdu_case apdu_case;
	const uint8_t *data; /* points into the input; NULL for case 1/2 */
	size_t lc;	     /* 0 for case 1/2, else 1..255 */
	unsigned int le;     /* 0 when absent, else 1..256 (a coded 00 means 256) */
	const uint8_t *raw;  /* the whole APDU */
	size_t raw_len;
};

/* Parse one complete short-form C-APDU occupying exactly buf[0..len). Returns len, or -EBADMSG when
 * shorter than 4 bytes, when the byte after the header is 00 with more than 5 bytes (the extended
 * form, not supported here), or when Lc is inconsistent with the length. */
int rscript_apdu_parse(struct rscript_apdu *out, const uint8_t *buf, size_t len);

/* ---- expanded format: command scripts ---------------------------------------------------------- */

struct rscript_cmd_item {
	enum rscript_cmd_kind kind;
	const uint8_t *value; /* points into the input */
	size_t len;
};

/* Walks the items of a command scripting template in order. */
struct rscript_cmd_iter {
	struct bertlv_iter it;
	enum rscript_coding coding;
	size_t total; /* bytes the whole template occupies */
	/* After a -EBADMSG from rscript_cmd_next(): the TS 102 226 table 5.12 code the card would
	 * answer in a `90` bad format TLV, and the offset of the offending item in the template value. */
	enum rscript_bad_format bad_format;
	size_t bad_offset;
};

/* Open the template at the start of buf. Returns the bytes it occupies (bytes after it are the
 * caller's business), -EAGAIN if truncated, -EBADMSG if it is not an AA / AE template. */
int rscript_cmd_open(struct rscript_cmd_iter *it, const uint8_t *buf, size_t len);
/* Returns 1 with *out filled, 0 at the end of the template, or a negative errno (the walk stops).
 * Checks: known tag, C-APDU at least 4 bytes, script chaining exactly 1 byte. */
int rscript_cmd_next(struct rscript_cmd_iter *it, struct rscript_cmd_item *out);
/* Convenience: open and walk everything. Returns the bytes of the template or a negative errno;
 * when items is not NULL stores up to max items and sets *n to the number of items seen. */
int rscript_cmd_decode(const uint8_t *buf, size_t len, struct rscript_cmd_item *items, size_t max, size_t *n);

/* Builder: begin, add items in order, finish. Errors are sticky (bertlv_writer). */
struct rscript_builder {
	struct bertlv_writer w;
	enum rscript_coding coding;
	size_t mark;
};
void rscript_cmd_begin(struct rscript_builder *b, uint8_t *buf, size_t cap, enum rscript_coding coding);
void rscript_cmd_add(struct rscript_builder *b, enum rscript_cmd_kind kind, const uint8_t *value, size_t len);
void rscript_cmd_add_apdu(struct rscript_builder *b, const uint8_t *apdu, size_t len);
void rscript_cmd_add_chaining(struct rscript_builder *b, enum rscript_chaining chaining);
/* Returns the bytes written, or the sticky negative errno. */
int rscript_cmd_finish(struct rscript_builder *b);

/* ---- expanded format: response scripts --------------------------------------------------------- */

struct rscript_rsp_item {
	enum rscript_rsp_kind kind;
	uint32_t tag;	      /* the tag as received (9F44..9F47 for RSCRIPT_RSP_SCP03T_ERROR) */
	const uint8_t *value; /* the whole value, pointing into the input */
	size_t len;
	/* RSCRIPT_RSP_RAPDU: the value split into response data and status word. */
	const uint8_t *data;
	size_t data_len;
	uint16_t sw;
	/* RSCRIPT_RSP_COUNT: the number (1..4 byte unsigned integer). */
	uint32_t count;
	/* BAD_FORMAT, IMMEDIATE_ACTION, SCRIPT_CHAINING, SCP03T_ERROR: the one-byte code. */
	uint8_t code;
};

struct rscript_rsp_iter {
	struct bertlv_iter it;
	enum rscript_coding coding;
	size_t total;
	unsigned int items; /* items returned so far */
};

/* Open the response template at the start of buf (AB or AF). Same returns as rscript_cmd_open(). */
int rscript_rsp_open(struct rscript_rsp_iter *it, const uint8_t *buf, size_t len);
/* Returns 1 with *out filled, 0 at the end, or a negative errno. In the definite form the first item
 * must be the `80` count (table 5.10); an R-APDU shorter than the 2-byte SW, a count of 0 or more
 * than 4 bytes, a 1-byte code TLV of another length, or an unknown tag give -EBADMSG. */
int rscript_rsp_next(struct rscript_rsp_iter *it, struct rscript_rsp_item *out);
int rscript_rsp_decode(const uint8_t *buf, size_t len, struct rscript_rsp_item *items, size_t max, size_t *n);

void rscript_rsp_begin(struct rscript_builder *b, uint8_t *buf, size_t cap, enum rscript_coding coding);
/* The `80` count, as a minimal big-endian integer (one byte for 0..255). */
void rscript_rsp_add_count(struct rscript_builder *b, uint32_t count);
void rscript_rsp_add_rapdu(struct rscript_builder *b, const uint8_t *data, size_t len, uint16_t sw);
/* A one-byte code TLV: RSCRIPT_RSP_BAD_FORMAT, _IMMEDIATE_ACTION or _SCRIPT_CHAINING. */
void rscript_rsp_add_code(struct rscript_builder *b, enum rscript_rsp_kind kind, uint8_t code);
/* Any other item (an SCP03t response) as tag + value. */
void rscript_rsp_add(struct rscript_builder *b, uint32_t tag, const uint8_t *value, size_t len);
int rscript_rsp_finish(struct rscript_builder *b);

/* ---- compact format (TS 102 226 §5.1) ------------------------------------------------------------ */

/* How concatenated compact-format commands are split. The bytes alone do not say where one command
 * ends (P3 is Lc for an incoming command and Le for an outgoing one), so the reading is a variant:
 *   RSCRIPT_COMPACT_TPDU (default): every command is `CLA INS P1 P2 P3` followed by P3 data bytes iff
 *     the command carries data (decided per INS by a classifier), never by an Le after data:
 *     case 4 answers come through 61xx + GET RESPONSE. Evidence: the PYSIM compact vectors
 *     (tests/unittests/test_ota.py) send SELECT `00a40004023f00` (P2=04 asks for the FCP) without
 *     Le, and the card answers `01 6132` (one command, SW 61 32).
 *   RSCRIPT_COMPACT_SINGLE: the whole secured data is one C-APDU, split by rscript_apdu_parse()
 *     (what pySim's encoder produces for one APDU). */
enum rscript_compact_split {
	RSCRIPT_COMPACT_TPDU,
	RSCRIPT_COMPACT_SINGLE,
};
extern const struct value_string rscript_compact_split_names[];

/* Classifier for RSCRIPT_COMPACT_TPDU: 1 if the command carries P3 bytes of data, 0 if P3 is Le,
 * negative if unknown (the split then fails with -EBADMSG). */
typedef int (*rscript_has_data_fn)(uint8_t cla, uint8_t ins, uint8_t p1, uint8_t p2, void *priv);
/* The default classifier: TS 102 221 §10.1.2 and GP Card Spec commands an OTA script uses. */
int rscript_compact_has_data_default(uint8_t cla, uint8_t ins, uint8_t p1, uint8_t p2, void *priv);

struct rscript_compact_iter {
	const uint8_t *buf;
	size_t len, pos;
	enum rscript_compact_split split;
	rscript_has_data_fn has_data; /* NULL = rscript_compact_has_data_default */
	void *priv;
};
void rscript_compact_init(struct rscript_compact_iter *it, const uint8_t *buf, size_t len,
			  enum rscript_compact_split split, rscript_has_data_fn has_data, void *priv);
/* Returns 1 with *out filled (out->raw / raw_len delimit the command), 0 at the end, -EAGAIN if the
 * last command is cut short, -EBADMSG if it cannot be split. In the TPDU reading P3 of an outgoing
 * command is reported as Le (case 2), of an incoming one as Lc (case 3). */
int rscript_compact_next(struct rscript_compact_iter *it, struct rscript_apdu *out);

/* Compact command = the APDUs concatenated (TS 102 226 §5.1.1). Returns bytes written or -EMSGSIZE. */
int rscript_compact_cmd_encode(uint8_t *buf, size_t cap, const uint8_t *const *apdus, const size_t *lens, size_t n);

/* Compact response (TS 102 226 §5.1.2; PYSIM pySim/ota.py CompactRemoteResp):
 * number of commands (1) || SW of the last command (2) || response data of the last command. */
struct rscript_compact_rsp {
	uint8_t count;
	uint16_t sw;
	const uint8_t *data; /* points into the input */
	size_t data_len;
};
/* Returns len (the data runs to the end), or -EAGAIN when shorter than 3 bytes. */
int rscript_compact_rsp_decode(struct rscript_compact_rsp *out, const uint8_t *buf, size_t len);
int rscript_compact_rsp_encode(uint8_t *buf, size_t cap, const struct rscript_compact_rsp *rsp);
