/* IPA multiplex framing and Osmocom GSUP for the compliance checker: osmo-msc <-> osmo-hlr and the HLR
 * proxy between the operators' HLRs speak GSUP inside IPA over TCP (osmo-hlr listens on 4222; the
 * checker detects the stream by its IPA header, not by the port).
 *
 * IPA (Osmocom IPA multiplex, osmo-gsm-manuals "IPA Multiplex"; struct ipaccess_head of libosmocore
 * protocol/ipaccess.h): u16 length (big endian, bytes after the 3-byte header), u8 stream id; stream
 * 0xEE (IPAC_PROTO_OSMO) carries a one-byte extension id, 0x05 = GSUP. GSUP messages are decoded by
 * libosmocore (osmo_gsup_decode), never by hand.
 *
 * Pure codecs: UNTRUSTED input, no allocation, decoded pointers point into the input. Returns bytes
 * consumed (IPA) or 0 (GSUP), -EAGAIN when the frame is incomplete, -EBADMSG when malformed, -EINVAL
 * for bad arguments. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CHECK_IPA_HDR	  3
#define CHECK_IPA_MAX	  (CHECK_IPA_HDR + 65535)
#define CHECK_IPA_NO_EXT  -1
#define CHECK_IPA_EXT_ANY -2

struct check_ipa_msg {
	uint8_t proto;	     /* stream id: IPAC_PROTO_* */
	int ext;	     /* IPAC_PROTO_EXT_* for stream 0xEE, else CHECK_IPA_NO_EXT */
	const uint8_t *data; /* after the header (and the extension byte) */
	size_t len;
};

/* One IPA frame at the start of buf. Malformed: length 0, or stream 0xEE without its extension byte. */
int check_ipa_decode(struct check_ipa_msg *m, const uint8_t *buf, size_t len);
/* True if buf plausibly starts an IPA stream: a CCM message (stream 0xFE: PING, PONG, ID_GET, ID_RESP,
 * ID_ACK, ID_NACK) or a GSUP frame (stream 0xEE, extension 0x05). */
bool check_ipa_looks_like(const uint8_t *buf, size_t len);
/* True for the stream ids of the IPA multiplex (RSL 00, MGCP FC, SCCP FD, CCM FE, OML FF, OSMO EE). */
bool check_ipa_proto_known(uint8_t proto);

/* The facts of one GSUP message the checker reports (libosmocore's osmo_gsup_message, summarised). */
struct check_gsup_info {
	uint8_t msg_type;  /* enum osmo_gsup_message_type */
	char imsi[17];	   /* digits, "" if absent */
	uint8_t cn_domain; /* enum osmo_gsup_cn_domain, 0 if absent */
	uint8_t cause;	   /* GMM cause (TS 24.008 §10.5.5.14) of an error message, 0 if none */
	int decode_rc;	   /* osmo_gsup_decode()'s result: 0 or a negative GMM cause */
};

/* Decode one GSUP message (the IPA payload after the extension byte) with osmo_gsup_decode. Returns 0,
 * or -EBADMSG (info->decode_rc says why; msg_type is still set when at least one byte was there). */
int check_gsup_decode(struct check_gsup_info *info, const uint8_t *data, size_t len);
/* "UPDATE_LOCATION_REQUEST" etc. (libosmocore's names without the "OSMO_GSUP_MSGT_" prefix). */
const char *check_gsup_type_name(uint8_t msg_type);
