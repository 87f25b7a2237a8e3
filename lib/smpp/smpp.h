/* SMPP 3.4 submit_sm / deliver_sm for SMS-PP (U)SIM data download, built on libsmpp34: the SM-SR's
 * ESME submits command packets (submit_sm) and receives MO PoRs and notifications (deliver_sm).
 *
 * Field mapping (digest §5.1 "SMS/SMPP framing"; SMPP 3.4 §5.2):
 *   esm_class    0x40 UDHI indicator (§5.2.12), optionally | 0x02 forward (transaction) mode
 *   protocol_id  0x7F = TP-PID (U)SIM data download (TS 23.040 §9.2.3.9)
 *   data_coding  a named variant (enum smpp_dd_dcs), because the sources disagree
 *   short_message UDH (02 70 00, or the concatenation IE + 70 00) ‖ secured packet
 *   registered_delivery 0x01 when the SM-SR wants an SMSC delivery receipt (§5.2.17)
 *
 * The decoder parses UNTRUSTED input: it walks the PDU itself first (every C-octet string NUL-terminated
 * within its maximum size, every optional parameter within the PDU and of the size libsmpp34 reads for
 * its tag) and only then calls smpp34_unpack() on a NUL-terminated copy, because libsmpp34 runs strlen()
 * past the buffer on an unterminated string and leaks a TLV node when an optional parameter is cut short.
 * libsmpp34 allocates the TLV list during unpack; the decoder frees it before returning, so nothing is
 * left allocated. Decoded byte pointers (sm, udh, packet) point into the caller's buffer.
 *
 * Returns: decoders the bytes consumed (the command_length) or -EAGAIN (fewer bytes than
 * command_length), -EBADMSG (malformed or refused by libsmpp34), -ENOTSUP (another command),
 * -EMSGSIZE (above SMPP_SM_DECODE_MAX); encoders the bytes written, -EMSGSIZE, or -EINVAL. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <osmocom/core/utils.h>

#include "lib/sms/sms.h"

#define SMPP_HDR_LEN 16
/* Framing caps: a PDU is at least its header; above 64 KiB is refused (osmo-msc uses 8..UINT16_MAX). */
#define SMPP_PDU_MIN 16
#define SMPP_PDU_MAX 65536
/* Cap for submit_sm / deliver_sm decoding: mandatory part (at most 389 octets) plus optional parameters. */
#define SMPP_SM_DECODE_MAX 4096

/* SMPP 3.4 §5.1.2.1 */
#define SMPP_CMD_SUBMIT_SM	 0x00000004u
#define SMPP_CMD_DELIVER_SM	 0x00000005u
#define SMPP_CMD_SUBMIT_SM_RESP	 0x80000004u
#define SMPP_CMD_DELIVER_SM_RESP 0x80000005u

/* SMPP 3.4 §5.2.12 esm_class */
#define SMPP_ESM_UDHI		  0x40
#define SMPP_ESM_FORWARD_MODE	  0x02
#define SMPP_ESM_DELIVERY_RECEIPT 0x04

/* Which data_coding a data-download submit_sm carries.
 *  F6: SMPP 3.4 §5.2.19 "GSM message class control" (0xF0-0xFF, coded as TS 23.038): class 2, 8-bit.
 *      osmo-msc copies it into TP-DCS unchanged (network-lab §2.2, verified: SMS-DELIVER DCS=F6);
 *      WHTY's gateway call uses msg_fmt=246. DEFAULT: the DCS the card needs arrives on the air.
 *  02: SMPP 3.4 "octet unspecified (8-bit binary)"; pySim contrib/smpp-ota-tool.py sends
 *      smpplib SMPP_ENCODING_BINARY = 0x02, and osmo-msc maps an MO DCS F6 to 0x02 in deliver_sm.
 *  04: SMPP 3.4 "octet unspecified (8-bit binary)", the second code for the same thing (smpplib
 *      SMPP_ENCODING_BINARY2); some SMSCs only map this one to an 8-bit TP-DCS. */
enum smpp_dd_dcs {
	SMPP_DD_DCS_F6,
	SMPP_DD_DCS_02,
	SMPP_DD_DCS_04,
};
extern const struct value_string smpp_dd_dcs_names[];
uint8_t smpp_dd_dcs_value(enum smpp_dd_dcs v);
/* True for the data_coding values that mean 8-bit data: 02, 04, F4-F7. */
bool smpp_data_coding_is_8bit(uint8_t dc);

/* Length of the next PDU from its 4-byte command_length (for stream framing, before the whole PDU is
 * there): the length, -EAGAIN with fewer than 4 bytes, -EBADMSG outside SMPP_PDU_MIN..SMPP_PDU_MAX. */
int smpp_frame_len(const uint8_t *buf, size_t len);

struct smpp_hdr {
	uint32_t len, cmd_id, status, seq;
};
/* Returns SMPP_HDR_LEN, -EAGAIN, or -EBADMSG (command_length out of bounds). */
int smpp_hdr_decode(struct smpp_hdr *out, const uint8_t *buf, size_t len);

struct smpp_addr {
	uint8_t ton, npi; /* SMPP 3.4 §5.2.5 / §5.2.6 */
	char addr[21];
};

struct smpp_sm {
	uint32_t cmd_id; /* SMPP_CMD_SUBMIT_SM or SMPP_CMD_DELIVER_SM */
	uint32_t status, seq;
	char service_type[6];
	struct smpp_addr src, dst;
	uint8_t esm_class, protocol_id, priority_flag;
	char schedule_delivery_time[17], validity_period[17]; /* empty in deliver_sm */
	uint8_t registered_delivery, replace_if_present, data_coding, sm_default_msg_id;
	const uint8_t *sm; /* short_message, or the message_payload parameter (sm_in_payload) */
	size_t sm_len;
	bool sm_in_payload;
	/* decode only */
	bool has_user_message_reference;
	uint16_t user_message_reference;
	struct sms_udh udh;    /* parsed from sm when esm_class has UDHI */
	const uint8_t *packet; /* sm after the UDH */
	size_t packet_len;
};

/* Fill *m for data download: esm_class UDHI, protocol_id 7F, data_coding per variant,
 * registered_delivery 1 if asked. Addresses, seq and sm are left to the caller. */
void smpp_sm_init_data_download(struct smpp_sm *m, uint32_t cmd_id, enum smpp_dd_dcs dcs, bool registered_delivery);

/* Pack with libsmpp34 (short_message of at most 254 octets). */
int smpp_sm_encode(const struct smpp_sm *m, uint8_t *out, size_t out_len);

/* Decode a submit_sm or deliver_sm (see the top of this file). */
int smpp_sm_decode(struct smpp_sm *out, const uint8_t *buf, size_t len);
