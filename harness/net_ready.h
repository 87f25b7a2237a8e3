/* Readiness-check parsers for `rsplab net up` (network-lab §7): pure functions over text the harness
 * read from /proc, from a daemon's log, from a VTY or from Kannel's status page. No I/O, no allocation.
 *
 * Trust: all input is UNTRUSTED text (it comes from other processes); every function stays within len
 * and tolerates NUL bytes, missing newlines and garbage. Return values as documented per function. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* /proc/net/tcp (IPv4): is there a socket in state LISTEN (0A) on ip:port?
 * ip is dotted IPv4 ("127.0.0.22"); "0.0.0.0" listeners count for every address.
 * Returns 1 yes, 0 no, -EINVAL bad ip, -EBADMSG text is not /proc/net/tcp (no header line). */
int net_proc_tcp_listening(const char *text, size_t len, const char *ip, uint16_t port);

/* Does any line of a log contain needle? (a needle spanning a newline never matches) */
bool net_log_has(const char *text, size_t len, const char *needle);

/* The last non-blank line of text, trimmed and with control characters replaced by '?', into out
 * (NUL-terminated, truncated to fit). Returns its length; 0 (and "") if there is none. */
size_t net_log_last_line(const char *text, size_t len, char *out, size_t out_len);

/* Kannel bearerbox status page (status.txt): the state of SMSC smsc_id and the smsbox count.
 * state gets the word after '(' on the SMSC's line ("online", "connecting", "re-connecting", "dead" ...).
 * Returns 1 online, 0 listed but not online, -ENOENT not listed, -EBADMSG not a status page. */
int net_kannel_smsc_state(const char *text, size_t len, const char *smsc_id, char *state, size_t state_len);
/* Number of "smsbox:" lines under "Box connections:", or -EBADMSG. */
int net_kannel_smsbox_count(const char *text, size_t len);

/* Remove telnet negotiation (IAC WILL/WONT/DO/DONT x, IAC SB ... IAC SE, IAC IAC -> 0xFF) in place.
 * Returns the new length. A sequence cut at the end is dropped too. */
size_t net_telnet_strip(uint8_t *buf, size_t len);

/* Does text end with an Osmocom VTY prompt ("OsmoHLR> ", "OsmoMSC# ", "OsmoSTP(config)# ")?
 * The prompt is the last line: [A-Za-z0-9_.()-]+ followed by '>' or '#' and one space. */
bool net_vty_prompt_at_end(const char *text, size_t len);

/* A VTY reply that reports a failed command: a line starting with "% " other than the success
 * notices listed in net_vty_reply_failed()'s source (osmo-hlr's "% Created"/"% Updated"). */
bool net_vty_reply_failed(const char *text, size_t len);

/* osmo-hlr `show subscriber imsi X` (osmo-hlr 1.5 hlr_vty_subscr.c subscr_dump_full_vty). */
struct net_hlr_sub_view {
	char imsi[16];
	char msisdn[16];  /* "" if none */
	char algo_2g[16]; /* "" if no 2G data, e.g. "COMP128v1" */
	char algo_3g[16]; /* "" if no 3G data, e.g. "MILENAGE" */
	bool has_ki, has_k, has_opc;
};
/* Returns 0, -ENOENT ("% No subscriber"), -EBADMSG (no IMSI line). Key values are not copied. */
int net_hlr_sub_parse(const char *text, size_t len, struct net_hlr_sub_view *out);
