/* The compliance checker (`rsplab check`): reads a capture, reassembles TCP, opens TLS 1.2/1.3 with a
 * key log, decodes HTTP/SOAP (ES1-ES4, ES7), SMPP, GSUP in IPA (libosmocore), Kannel's HTTP interface, SMS user data, SCP80
 * packets (verified and decrypted when the keys are given), remote scripts, ES5/ES8 commands and E1
 * notifications, then checks the ES procedures (SM-SR Change, profile download) step by step against
 * the digest's §2/§3. Every finding carries a rule id (<IFACE>-<NNN>, rules.c), a severity, the spec
 * reference, the frame number and a text; a variant seen (digest §8) is an info finding unless the
 * configuration pins a variant.
 *
 * Input (the capture) is UNTRUSTED; keys and options are trusted and secrets never printed.
 * Ownership: checker_alloc() returns a talloc object that owns every finding and event; strings in
 * findings and events stay valid until the checker is freed. Returns 0 or a negative errno. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <osmocom/core/utils.h>

#include "harness/check/gsup.h"
#include "harness/check/tlsdec.h"
#include "lib/es/es.h"
#include "lib/scp80/scp80.h"

enum check_sev {
	CHECK_SEV_INFO,
	CHECK_SEV_WARNING,
	CHECK_SEV_ERROR,
};
extern const struct value_string check_sev_names[];

/* The rule table (rules.c): data, one row per rule. */
struct check_rule {
	const char *id; /* "SMPP-003" */
	enum check_sev sev;
	const char *ref; /* "SGP.02 digest §5.1; TS 31.115 §4" */
	const char *title;
};
extern const struct check_rule check_rules[]; /* ends with { NULL } */
const struct check_rule *check_rule_find(const char *id);

struct check_finding {
	const struct check_rule *rule;
	enum check_sev sev; /* the rule's, or INFO for a variant note */
	uint32_t frame;	    /* 0 = the capture as a whole */
	const char *path;   /* element path (SOAP) or NULL */
	const char *text;
};

/* One decoded message, for the listing and the report. */
struct check_smpp_info {
	uint32_t cmd_id, status, seq;
	bool has_sm; /* submit_sm / deliver_sm decoded */
	uint8_t src_ton, src_npi, dst_ton, dst_npi;
	char src[21], dst[21];
	uint8_t esm_class, protocol_id, data_coding;
	size_t sm_len;
	unsigned int n_iei;
	uint8_t iei[8]; /* UDH information element ids in order */
};

struct check_event {
	uint32_t frame;
	uint64_t ts_usec;
	const char *proto;   /* "SMPP", "HTTP", "ES", "SCP80", "KANNEL", "TLS", "ES5", "GSUP" */
	const char *summary; /* one line */
	const char *detail;  /* optional: the decrypted SOAP body (at most CHECK_DETAIL_MAX bytes) */
	uint32_t flow;	     /* TCP flow id, 0 for none */
	bool has_smpp;
	struct check_smpp_info smpp;
	bool has_gsup; /* a GSUP message (decoded, or malformed with the type byte it had) */
	struct check_gsup_info gsup;
	enum es_msg_id es_id; /* ES_MSG_NONE unless an ES message */
	int xsd_errors;	      /* ES: schema findings, -1 when not validated */
};
#define CHECK_DETAIL_MAX 16384

/* An SCP80 key set from the run's keys (KIc/KID key version = the high nibble of KIc/KID). */
struct check_scp80_keys {
	uint8_t kvn;
	uint8_t kic[32], kid[32];
	size_t kic_len, kid_len;
};
#define CHECK_MAX_SCP80_KEYSETS 16

struct check_opts {
	const struct tlsdec_keylog *keylog; /* NULL: no TLS decryption */
	const struct es_schema *schema;	    /* NULL: no XSD validation */
	struct es_variant es_variant;
	bool es_variant_pinned; /* a variant seen that differs is an error, not info */
	enum scp80_spi_variant spi_variant;
	bool spi_pinned;
	struct check_scp80_keys scp80[CHECK_MAX_SCP80_KEYSETS];
	unsigned int num_scp80;
};
void check_opts_init(struct check_opts *o);

/* A frame that carried TLS records the checker could not open. */
struct check_undecrypted {
	uint32_t frame, flow;
	enum tlsdec_reason why;
};
#define CHECK_MAX_UNDECRYPTED 100000

struct check_stats {
	uint64_t frames, bytes, not_ip, fragments, truncated, tcp_segments, udp_datagrams;
	uint64_t tcp_flows, tcp_retrans_bytes, tcp_ooo_segments, tcp_gaps;
	uint64_t tls_conns, tls_decrypted_records, tls_undecrypted_records;
	uint64_t http_msgs, es_msgs, smpp_pdus, sms, scp80_cmds, scp80_pors, ipa_msgs, gsup_msgs;
	uint32_t linktype;
};

struct checker;

struct checker *checker_alloc(void *ctx, const struct check_opts *opts);
/* Feed one captured frame (frame numbers start at 1, as Wireshark counts). */
int checker_frame(struct checker *ck, uint32_t frame, uint64_t ts_usec, uint32_t linktype, const uint8_t *data,
		  size_t caplen, size_t origlen);
/* End of capture: flush streams, run the procedure rules. Idempotent. */
void checker_finish(struct checker *ck);
/* Read a classic pcap from memory (fuzzing, tests) and finish. Returns 0, or the pcapbuf error
 * (the frames before it are checked; a finding PCAP-001 records it). */
int checker_run_buffer(struct checker *ck, const uint8_t *buf, size_t len);
/* Read a pcap or pcapng file with libpcap and finish. Returns 0 or -errno (errbuf says why). */
int checker_run_file(struct checker *ck, const char *path, char *errbuf, size_t errlen);

/* Record a finding (rule must be in check_rules[]; an unknown id is recorded under CHK-000). */
void checker_add(struct checker *ck, const char *rule, uint32_t frame, const char *path, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
/* The same with severity INFO (variants seen). */
void checker_note(struct checker *ck, const char *rule, uint32_t frame, const char *path, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

const struct check_finding *checker_findings(const struct checker *ck, unsigned int *n);
const struct check_event *checker_events(const struct checker *ck, unsigned int *n);
const struct check_undecrypted *checker_undecrypted(const struct checker *ck, unsigned int *n);
const struct check_stats *checker_stats(const struct checker *ck);
/* Findings of at least this severity. */
unsigned int checker_count(const struct checker *ck, enum check_sev min);
bool checker_has(const struct checker *ck, const char *rule);

void checker_print_text(const struct checker *ck, FILE *out, bool verbose);
void checker_print_json(const struct checker *ck, FILE *out);
