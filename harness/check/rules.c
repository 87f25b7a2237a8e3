/* The checker's rule table: data, one row per rule (id, severity, spec reference, title). Rule ids
 * follow style §13.2 (<IFACE>-<NNN>); the SOAP/WS-A/RPS/ES ids are those lib/soap and lib/es record,
 * the ES-* spellings of the libraries are mapped in app.c. */
#include <string.h>

#include "harness/check/check.h"

const struct value_string check_sev_names[] = {
	{ CHECK_SEV_INFO, "info" },
	{ CHECK_SEV_WARNING, "warning" },
	{ CHECK_SEV_ERROR, "error" },
	{ 0, NULL },
};

#define E CHECK_SEV_ERROR
#define W CHECK_SEV_WARNING
#define I CHECK_SEV_INFO

const struct check_rule check_rules[] = {
	{ "CHK-000", E, "-", "internal: finding under an unknown rule id" },
	/* capture and transport */
	{ "PCAP-001", E, "pcap-savefile(5)", "capture file truncated or malformed" },
	{ "PCAP-002", W, "tcpdump.org link-layer header types", "link-layer type not supported by the checker" },
	{ "PCAP-003", W, "style §10", "the capture reports dropped packets" },
	{ "IP-001", I, "RFC 791 §2.3, RFC 8200 §4.5", "IP fragment not reassembled by the checker" },
	{ "TCP-001", W, "RFC 9293 §3.4", "TCP stream gap: segments missing from the capture" },
	/* TLS */
	{ "TLS-001", W, "RFC 5246 §6.2; NSS key log format", "TLS records not decrypted" },
	{ "TLS-002", E, "RFC 5246 §6.2.3", "TLS record authentication failed with the logged key" },
	{ "TLS-003", E, "RFC 5246 §6.2.1", "TLS record layer malformed" },
	{ "TLS-004", W, "RFC 5246 §7.2", "TLS alert" },
	{ "TLS-005", W, "GP Amd B §3 (SCP81); digest §5.2", "PSK suite other than the two SCP81 suites" },
	/* HTTP and SOAP binding */
	{ "HTTP-001", E, "RFC 9112", "malformed HTTP message" },
	{ "HTTP-002", W, "SOAP 1.2 Part 2 §7; digest §6.1", "SOAP envelope without application/soap+xml" },
	{ "SOAP-001", E, "SGP.02 Annex B; SOAP 1.2 Part 1 §5", "SOAP 1.1 envelope" },
	{ "SOAP-002", E, "SOAP 1.2 Part 1 §5.3", "more than one body element" },
	{ "SOAP-003", E, "SOAP 1.2 Part 1 §5.2.3", "mustUnderstand header not understood" },
	{ "SOAP-004", E, "SOAP 1.2 Part 1 §5.3", "empty body" },
	{ "SOAP-005", E, "SOAP 1.2 Part 1 §5.4", "fault without a known code" },
	{ "SOAP-010", W, "digest §6.1", "Content-Type without charset" },
	{ "SOAP-011", E, "digest §6.1", "Content-Type charset is not utf-8" },
	{ "SOAP-012", W, "digest §6.1", "Content-Type without an action parameter" },
	{ "SOAP-020", E, "SOAP 1.2 Part 1 §5", "not a SOAP 1.2 envelope" },
	{ "WSA-001", E, "WS-Addressing 1.0 Core §3; digest §6.1", "wsa:From missing" },
	{ "WSA-002", E, "WS-Addressing 1.0 Core §3; digest §6.1", "wsa:To missing" },
	{ "WSA-003", E, "WS-Addressing 1.0 Core §3; digest §6.1", "wsa:Action missing" },
	{ "WSA-004", E, "WS-Addressing 1.0 Core §3; digest §6.1", "wsa:MessageID missing" },
	{ "WSA-005", E, "WS-Addressing 1.0 Core §3", "WS-A header repeated" },
	{ "WSA-006", E, "digest §6.2", "WS-A header value not plain text" },
	{ "WSA-007", E, "WS-Addressing 1.0 Core §2", "endpoint reference without wsa:Address" },
	{ "WSA-008", E, "digest §6.1, §6.3", "wsa:RelatesTo missing in a response" },
	{ "RPS-001", E, "euicc.root.xsd RPSHeader; digest §6.2", "From/To without ?EntityId=<OID>" },
	{ "RPS-002", E, "euicc.root.xsd RPSHeader; digest §6.2", "MessageID not prefixed with the sender OID" },
	{ "RPS-003", E, "euicc.root.xsd RPSHeader; digest §6.2", "MessageID prefix differs from the sender" },
	{ "ES-001", E, "SGP.02 Annex B; euicc.request.ESn.xsd", "unknown body element" },
	{ "ES-002", E, "SGP.02 Annex B", "ES message could not be decoded" },
	{ "ES-010", E, "digest §6.6", "wsa:Action does not name the body's function" },
	{ "ES-011", E, "digest §6.1, §8 item 10", "body in an unknown namespace" },
	{ "ES-020", I, "digest §6.4", "function execution status other than EXECUTED_SUCCESS" },
	{ "ES-900", I, "digest §6.6, §6.7, §8", "variant seen" },
	{ "ES-901", E, "digest §8", "variant other than the pinned one" },
	{ "XSD-001", E, "SGP.02 Annex B; lib/es/xsd (GSMA RPS schema copy)", "body does not validate against the XSD" },
	/* SMPP, Kannel, SMS */
	{ "SMPP-001", E, "SMPP 3.4 §3.2, §4", "malformed SMPP PDU" },
	{ "SMPP-002", E, "digest §5.1 SMS/SMPP framing; SMPP 3.4 §5.2.12", "secured packet without esm_class UDHI" },
	{ "SMPP-003", E, "digest §5.1; TS 23.040 §9.2.3.9", "secured packet with protocol_id other than 7F" },
	{ "SMPP-004", E, "digest §5.1; SMPP 3.4 §5.2.19", "secured packet with a data_coding that is not 8-bit" },
	{ "SMPP-005", W, "SMPP 3.4 §5.1.3", "SMPP response with a non-zero command_status" },
	{ "KANNEL-001", E, "Kannel user guide, sendsms; digest §5.1",
	  "secured packet sent without udh or 8-bit coding" },
	{ "KANNEL-002", E, "digest §5.1; TS 23.040 §9.2.3.9", "secured packet sent with pid other than 127" },
	{ "SMS-001", E, "TS 23.040 §9.2.3.24", "malformed user data header" },
	/* IPA and GSUP (osmo-msc <-> osmo-hlr, HLR proxy) */
	{ "IPA-001", E, "Osmocom IPA multiplex (osmo-gsm-manuals ipa-multiplex; libosmocore protocol/ipaccess.h)",
	  "malformed IPA frame (zero length, or stream 0xEE without its extension id)" },
	{ "IPA-002", W, "Osmocom IPA multiplex (osmo-gsm-manuals ipa-multiplex)", "IPA frame of an unknown stream id" },
	{ "GSUP-001", E,
	  "Osmocom GSUP protocol (osmo-gsm-manuals gsup); TS 29.002 §7.6, §8 (the MAP operations it mirrors)",
	  "malformed GSUP message (libosmocore osmo_gsup_decode rejects it)" },
	{ "GSUP-002", I, "Osmocom GSUP protocol (osmo-gsm-manuals gsup, Cause IE); TS 24.008 §10.5.5.14",
	  "GSUP error response" },
	{ "GSUP-003", W, "Osmocom GSUP protocol (osmo-gsm-manuals gsup, message types); TS 29.002 §8.1 (dialogue)",
	  "GSUP result or error without a request for that IMSI on the connection" },
	/* SCP80, scripts, ES5 */
	{ "SCP80-001", E, "TS 102 225 §5.1; TS 31.115 §4", "malformed command packet" },
	{ "SCP80-002", E, "TS 102 225 §5.1.1", "command packet RC/CC/ciphering does not verify with the run's keys" },
	{ "SCP80-003", E, "TS 102 225 §5.1.1 (SPI b5b4)", "counter not acceptable for the SPI's counter mode" },
	{ "SCP80-004", W, "sgp02-open-questions §6", "SPI weaker than CC + ciphering + counter check" },
	{ "SCP80-005", I, "sgp02-open-questions §6, §16 scp80_spi", "SPI variant seen" },
	{ "SCP80-006", I, "TS 102 225 §5.1", "secured packet not verified: no keys for its key version" },
	{ "SCP80-007", E, "TS 102 225 §5.2; TS 31.115 §4", "PoR does not verify with the run's keys" },
	{ "SCP80-008", W, "TS 102 225 §5.2.2 Table 5", "PoR status other than 00 (PoR OK)" },
	{ "SCP80-009", I, "TS 102 225 §5.2", "PoR for a TAR with no command seen" },
	{ "SCP80-010", E, "TS 102 225 §5.2; TS 31.115 §4", "malformed response packet" },
	{ "RSCRIPT-001", E, "TS 102 226 §5.2; digest §4.3", "malformed remote command script" },
	{ "ES5-001", W, "digest §4.4 (SGP.02 §4.1.1)", "ES5/ES8 command answered with an error status word" },
	{ "E1-001", E, "digest §4.5 (SGP.02 §4.1.1.11)", "malformed E1 notification" },
	/* procedures */
	{ "PROC-001", E, "digest §6.3", "response whose RelatesTo matches no earlier request" },
	{ "PROC-002", E, "digest §6.3", "response related to a request of another function" },
	{ "PROC-003", E, "digest §2.1, §3", "procedure step out of order" },
	{ "PROC-004", E, "digest §1.2, §2.1, §3", "message sent or received by an entity its role does not allow" },
	{ "PROC-005", E, "digest §6.2 (MessageId unique)", "MessageID used twice" },
	{ "PROC-006", W, "digest §6.3", "request without a response in the capture" },
	{ "PROC-007", W, "digest §2.1, §3", "procedure incomplete in the capture" },
	{ "PROC-008", E, "digest §6.3", "response not sent by the entity the request went to" },
	{ NULL, 0, NULL, NULL },
};

const struct check_rule *check_rule_find(const char *id)
{
	for (const struct check_rule *r = check_rules; r->id; r++)
		if (!strcmp(r->id, id))
			return r;
	return NULL;
}
