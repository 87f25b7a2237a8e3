/* Card Application Toolkit (ETSI TS 102 223, with the 3GPP additions of TS 31.111 where the eUICC needs
 * them): the proactive commands, TERMINAL RESPONSEs, ENVELOPEs and TERMINAL PROFILE bits an SGP.02 eUICC
 * and its device exchange for SMS-PP data download, the BIP channel of an SCP81 session, REFRESH after a
 * profile switch and the attach outcome (location status event).
 *
 * Both sides: the card builds proactive commands and parses TERMINAL RESPONSEs and ENVELOPEs; the device
 * parses proactive commands and builds the other two. Every object is a COMPREHENSION-TLV (lib/tlv/ctlv.h);
 * proactive commands and ENVELOPEs are wrapped in a BER-TLV `D0` / `D1` / `D6` (lib/tlv/bertlv.h).
 *
 * Decoders parse UNTRUSTED input, never allocate, and leave byte fields (struct cat_bytes) pointing into
 * the caller's buffer, which must outlive the result. They return the bytes consumed or a negative errno:
 * -EAGAIN the input ends inside the outer TLV (truncated), -EBADMSG malformed (command details / device
 * identities / result missing or out of place, an object with an impossible length, a duplicate, a TLV
 * that overruns its container), -EOVERFLOW a TLV length form beyond 83. Objects the decoder does not know
 * are skipped and counted (`unknown`, `unknown_cr`): per TS 102 223 §6.10 a terminal answers an unknown
 * object with CR set by result 32 "command data not understood", and a proactive command lacking one of
 * its mandatory objects (`missing`) by result 36 "required values missing"; those answers are the caller's
 * decision, so they are data here, not errors.
 *
 * Encoders write into a caller-provided buffer and return the bytes written, -EMSGSIZE if it is too small,
 * or -EINVAL for an argument they cannot encode (an unsupported command type, a field too long).
 * Encoders set the comprehension-required (CR) flag on every object they write (as pySim's encoders do;
 * TS 102 223 leaves it to the sender), except the OPEN CHANNEL channel parameters, whose CR flag is
 * `struct cat_channel_params.cr` (the SCP81 trigger examples write them with CR clear). Decoders accept
 * either flag.
 *
 * Status words (91xx etc.) are only named here; the FETCH / TERMINAL RESPONSE loop is the device's job. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <osmocom/core/utils.h>

#include "lib/tlv/bertlv.h"

/* --- APDU level (TS 102 221 §10.1.2 instruction codes, CLA 80; §10.2.1 status words) --------------------- */
#define CAT_INS_TERMINAL_PROFILE  0x10
#define CAT_INS_FETCH		  0x12
#define CAT_INS_TERMINAL_RESPONSE 0x14
#define CAT_INS_ENVELOPE	  0xC2
/* TS 102 221 §10.2.1.1: '91 XX' normal ending, a proactive command of XX bytes is pending (FETCH it). */
#define CAT_SW1_PROACTIVE_PENDING 0x91
/* TS 102 221 §10.2.1.1: '61 XX' (T=0) XX response bytes still available (GET RESPONSE). */
#define CAT_SW1_RESPONSE_AVAILABLE 0x61
/* GSM 11.11 / TS 51.011 §9.4.1: '9F XX' the SIM-era equivalent of 61 XX (length XX of the response). */
#define CAT_SW1_SIM_RESPONSE_LENGTH 0x9F
/* TS 102 221 §10.2.1.2: '93 00' toolkit busy, the ENVELOPE cannot be processed now (retry later). */
#define CAT_SW_TOOLKIT_BUSY 0x9300
/* TS 31.111 §7.1.1.1 / GSM 11.14: '9E XX' SIM data download error with XX bytes of response (only when
 * TERMINAL PROFILE byte 1 bit 5 says the terminal supports it). */
#define CAT_SW1_DOWNLOAD_ERROR 0x9E

/* --- BER-TLV tags of the wrappers (TS 101 220 §7.2, Table 7.17) ------------------------------------------ */
enum cat_ber_tag {
	CAT_TAG_PROACTIVE_COMMAND = 0xD0,
	CAT_TAG_SMS_PP_DOWNLOAD = 0xD1,
	CAT_TAG_EVENT_DOWNLOAD = 0xD6,
};
extern const struct value_string cat_ber_tag_names[];

/* --- COMPREHENSION-TLV tag values, CR bit excluded (TS 101 220 §7.2, Table 7.23; TS 102 223 §9.3) ------- */
enum cat_tag {
	CAT_TAG_COMMAND_DETAILS = 0x01,	    /* §8.6 */
	CAT_TAG_DEVICE_IDENTITIES = 0x02,   /* §8.7 */
	CAT_TAG_RESULT = 0x03,		    /* §8.12 */
	CAT_TAG_ALPHA_ID = 0x05,	    /* §8.2 */
	CAT_TAG_ADDRESS = 0x06,		    /* §8.1 */
	CAT_TAG_SMS_TPDU = 0x0B,	    /* §8.13 (3GPP-SMS TPDU, TS 31.111) */
	CAT_TAG_TEXT_STRING = 0x0D,	    /* §8.15 (user login / password in OPEN CHANNEL) */
	CAT_TAG_FILE_LIST = 0x12,	    /* §8.18 */
	CAT_TAG_LOCATION_INFO = 0x13,	    /* §8.19 */
	CAT_TAG_IMEI = 0x14,		    /* §8.20 */
	CAT_TAG_EVENT_LIST = 0x19,	    /* §8.25 */
	CAT_TAG_LOCATION_STATUS = 0x1B,	    /* §8.27 */
	CAT_TAG_AID = 0x2F,		    /* §8.60 */
	CAT_TAG_BEARER_DESCRIPTION = 0x35,  /* §8.52 */
	CAT_TAG_CHANNEL_DATA = 0x36,	    /* §8.53 */
	CAT_TAG_CHANNEL_DATA_LENGTH = 0x37, /* §8.54 */
	CAT_TAG_CHANNEL_STATUS = 0x38,	    /* §8.56 */
	CAT_TAG_BUFFER_SIZE = 0x39,	    /* §8.55 */
	CAT_TAG_TRANSPORT_LEVEL = 0x3C,	    /* §8.59 UICC/terminal interface transport level */
	CAT_TAG_OTHER_ADDRESS = 0x3E,	    /* §8.58 */
	CAT_TAG_NETWORK_ACCESS_NAME = 0x47, /* §8.70 */
};
extern const struct value_string cat_tag_names[];

/* --- Device identities (TS 102 223 §8.7) ------------------------------------------------------------------- */
enum cat_dev_id {
	CAT_DEV_KEYPAD = 0x01,
	CAT_DEV_DISPLAY = 0x02,
	CAT_DEV_EARPIECE = 0x03,
	CAT_DEV_CHANNEL_1 = 0x21, /* channel n = 0x20 + n, n = 1..7 */
	CAT_DEV_CHANNEL_7 = 0x27,
	CAT_DEV_UICC = 0x81,
	CAT_DEV_TERMINAL = 0x82,
	CAT_DEV_NETWORK = 0x83,
};
extern const struct value_string cat_dev_id_names[];
#define CAT_DEV_CHANNEL(n) ((uint8_t)(0x20 + (n)))
/* The channel number 1..7 of a channel device identity, or 0 when it is not one. */
unsigned int cat_dev_channel_nr(uint8_t dev);

/* --- Type of command (TS 102 223 §9.4) ---------------------------------------------------------------------- */
enum cat_cmd_type {
	CAT_CMD_REFRESH = 0x01,
	CAT_CMD_SET_UP_EVENT_LIST = 0x05,
	CAT_CMD_SEND_SHORT_MESSAGE = 0x13,
	CAT_CMD_PROVIDE_LOCAL_INFO = 0x26,
	CAT_CMD_OPEN_CHANNEL = 0x40,
	CAT_CMD_CLOSE_CHANNEL = 0x41,
	CAT_CMD_RECEIVE_DATA = 0x42,
	CAT_CMD_SEND_DATA = 0x43,
	CAT_CMD_GET_CHANNEL_STATUS = 0x44,
};
extern const struct value_string cat_cmd_type_names[];

/* Command qualifiers (TS 102 223 §8.6). */
enum cat_refresh_mode {
	CAT_REFRESH_NAA_INIT_FULL_FCN = 0x00,	/* NAA initialization and full file change notification */
	CAT_REFRESH_FCN = 0x01,			/* file change notification */
	CAT_REFRESH_NAA_INIT_FCN = 0x02,	/* NAA initialization and file change notification */
	CAT_REFRESH_NAA_INIT = 0x03,		/* NAA initialization */
	CAT_REFRESH_UICC_RESET = 0x04,		/* UICC reset: what SGP.02 enable/rollback uses (digest §8 item 8) */
	CAT_REFRESH_NAA_APP_RESET = 0x05,	/* NAA application reset (3G platform) */
	CAT_REFRESH_NAA_SESSION_RESET = 0x06,	/* NAA session reset (3G platform) */
	CAT_REFRESH_STEERING_OF_ROAMING = 0x07, /* reserved by 3GPP (TS 31.111: steering of roaming) [U] */
	CAT_REFRESH_STEERING_OF_ROAMING_IWLAN = 0x08,  /* reserved by 3GPP (steering of roaming for I-WLAN) [U] */
	CAT_REFRESH_EUICC_PROFILE_STATE_CHANGE = 0x09, /* eUICC profile state change (Rel-13 on) [U] */
	CAT_REFRESH_APPLICATION_UPDATE = 0x0A,	       /* application update (Rel-15 on) [U] */
};
extern const struct value_string cat_refresh_mode_names[];

enum cat_local_info {
	CAT_LOCAL_INFO_LOCATION = 0x00, /* location information (MCC, MNC, LAC/TAC, cell identity) */
	CAT_LOCAL_INFO_IMEI = 0x01,
	CAT_LOCAL_INFO_NMR = 0x02,	 /* network measurement results */
	CAT_LOCAL_INFO_DATE_TIME = 0x03, /* date, time and time zone */
	CAT_LOCAL_INFO_LANGUAGE = 0x04,
	CAT_LOCAL_INFO_TIMING_ADVANCE = 0x05, /* reserved by 3GPP */
	CAT_LOCAL_INFO_ACCESS_TECH = 0x06,
	CAT_LOCAL_INFO_ESN = 0x07,
	CAT_LOCAL_INFO_IMEISV = 0x08,
	CAT_LOCAL_INFO_SEARCH_MODE = 0x09,
	CAT_LOCAL_INFO_BATTERY = 0x0A,
};
extern const struct value_string cat_local_info_names[];

#define CAT_OPEN_CHANNEL_IMMEDIATE	0x01 /* bit 1: immediate link establishment (else on demand) */
#define CAT_OPEN_CHANNEL_AUTO_RECONNECT 0x02 /* bit 2: automatic reconnection */
#define CAT_OPEN_CHANNEL_BACKGROUND	0x04 /* bit 3: immediate link establishment in background mode */
#define CAT_SEND_DATA_IMMEDIATE		0x01 /* bit 1: send immediately (else store in the Tx buffer) */
#define CAT_SEND_SMS_PACKING		0x01 /* bit 1: packing by the terminal required */

/* --- Result (TS 102 223 §8.12) ----------------------------------------------------------------------------- */
enum cat_general_result {
	CAT_RES_OK = 0x00,
	CAT_RES_OK_PARTIAL_COMPREHENSION = 0x01,
	CAT_RES_OK_MISSING_INFO = 0x02,
	CAT_RES_REFRESH_ADDITIONAL_EFS_READ = 0x03,
	CAT_RES_OK_ICON_NOT_DISPLAYED = 0x04,
	CAT_RES_OK_MODIFIED_BY_CALL_CONTROL = 0x05,
	CAT_RES_OK_LIMITED_SERVICE = 0x06,
	CAT_RES_OK_WITH_MODIFICATION = 0x07,
	CAT_RES_REFRESH_NAA_NOT_ACTIVE = 0x08,
	CAT_RES_OK_TONE_NOT_PLAYED = 0x09,
	CAT_RES_SESSION_TERMINATED_BY_USER = 0x10,
	CAT_RES_BACKWARD_MOVE = 0x11,
	CAT_RES_NO_RESPONSE_FROM_USER = 0x12,
	CAT_RES_HELP_REQUESTED = 0x13,
	CAT_RES_TERMINAL_UNABLE = 0x20, /* '2X': worth retrying later; additional information mandatory */
	CAT_RES_NETWORK_UNABLE = 0x21,
	CAT_RES_USER_REJECTED = 0x22,
	CAT_RES_USER_CLEARED_CALL = 0x23,
	CAT_RES_TIMER_CONTRADICTION = 0x24,
	CAT_RES_CALL_CONTROL_TEMPORARY = 0x25,
	CAT_RES_BROWSER_ERROR = 0x26,
	CAT_RES_MMS_TEMPORARY = 0x27,
	CAT_RES_BEYOND_CAPABILITY = 0x30, /* '3X': not worth retrying the same command */
	CAT_RES_TYPE_NOT_UNDERSTOOD = 0x31,
	CAT_RES_DATA_NOT_UNDERSTOOD = 0x32,
	CAT_RES_NUMBER_NOT_KNOWN = 0x33,
	CAT_RES_SS_RETURN_ERROR = 0x34, /* TS 31.111 */
	CAT_RES_SMS_RP_ERROR = 0x35,	/* TS 31.111 */
	CAT_RES_REQUIRED_VALUES_MISSING = 0x36,
	CAT_RES_USSD_RETURN_ERROR = 0x37, /* TS 31.111 */
	CAT_RES_MULTIPLE_CARD_ERROR = 0x38,
	CAT_RES_CALL_CONTROL_PERMANENT = 0x39,
	CAT_RES_BIP_ERROR = 0x3A, /* bearer independent protocol error; additional information mandatory */
	CAT_RES_ACCESS_TECH_UNABLE = 0x3B,
	CAT_RES_FRAMES_ERROR = 0x3C,
	CAT_RES_MMS_ERROR = 0x3D,
};
extern const struct value_string cat_general_result_names[];
/* TS 102 223 §8.12: '0X' and '1X' mean the command was performed. */
bool cat_result_performed(uint8_t general);

/* Additional information for '20' terminal currently unable to process (§8.12.2). */
enum cat_addinfo_terminal {
	CAT_ADD_TERMINAL_NO_CAUSE = 0x00,
	CAT_ADD_TERMINAL_SCREEN_BUSY = 0x01,
	CAT_ADD_TERMINAL_BUSY_ON_CALL = 0x02,
	CAT_ADD_TERMINAL_NO_SERVICE = 0x04,
	CAT_ADD_TERMINAL_ACCESS_CLASS_BAR = 0x05,
	CAT_ADD_TERMINAL_RADIO_NOT_GRANTED = 0x06,
	CAT_ADD_TERMINAL_NOT_IN_SPEECH_CALL = 0x07,
	CAT_ADD_TERMINAL_BUSY_ON_DTMF = 0x09,
	CAT_ADD_TERMINAL_NO_NAA_ACTIVE = 0x10,
};
extern const struct value_string cat_addinfo_terminal_names[];

/* Additional information for '3A' bearer independent protocol error (§8.12.11). */
enum cat_addinfo_bip {
	CAT_ADD_BIP_NO_CAUSE = 0x00,
	CAT_ADD_BIP_NO_CHANNEL = 0x01,
	CAT_ADD_BIP_CHANNEL_CLOSED = 0x02,
	CAT_ADD_BIP_CHANNEL_ID_INVALID = 0x03,
	CAT_ADD_BIP_BUFFER_SIZE_UNAVAILABLE = 0x04,
	CAT_ADD_BIP_SECURITY_ERROR = 0x05,
	CAT_ADD_BIP_TRANSPORT_UNAVAILABLE = 0x06,
	CAT_ADD_BIP_REMOTE_UNREACHABLE = 0x07,
	CAT_ADD_BIP_SERVICE_ERROR = 0x08,
	CAT_ADD_BIP_SERVICE_ID_UNKNOWN = 0x09,
	CAT_ADD_BIP_PORT_UNAVAILABLE = 0x10,
	CAT_ADD_BIP_LAUNCH_PARAMS = 0x11,
	CAT_ADD_BIP_LAUNCH_FAILED = 0x12,
};
extern const struct value_string cat_addinfo_bip_names[];

/* --- Events (TS 102 223 §8.25) and location status (§8.27) ------------------------------------------------ */
enum cat_event {
	CAT_EV_MT_CALL = 0x00,
	CAT_EV_CALL_CONNECTED = 0x01,
	CAT_EV_CALL_DISCONNECTED = 0x02,
	CAT_EV_LOCATION_STATUS = 0x03,
	CAT_EV_USER_ACTIVITY = 0x04,
	CAT_EV_IDLE_SCREEN = 0x05,
	CAT_EV_CARD_READER_STATUS = 0x06,
	CAT_EV_LANGUAGE_SELECTION = 0x07,
	CAT_EV_BROWSER_TERMINATION = 0x08,
	CAT_EV_DATA_AVAILABLE = 0x09,
	CAT_EV_CHANNEL_STATUS = 0x0A,
	CAT_EV_ACCESS_TECH_CHANGE = 0x0B,
	CAT_EV_NETWORK_REJECTION = 0x12, /* TS 31.111 */
};
extern const struct value_string cat_event_names[];

enum cat_location_status {
	CAT_LOC_NORMAL_SERVICE = 0x00,
	CAT_LOC_LIMITED_SERVICE = 0x01,
	CAT_LOC_NO_SERVICE = 0x02,
};
extern const struct value_string cat_location_status_names[];

/* --- BIP objects ---------------------------------------------------------------------------------------------- */
/* Bearer type (TS 102 223 §8.52; 01, 02, 09, 0B, 0C from TS 31.111 §8.52). */
enum cat_bearer_type {
	CAT_BEARER_CSD = 0x01,
	CAT_BEARER_PACKET = 0x02, /* GPRS / UTRAN / E-UTRAN packet service */
	CAT_BEARER_DEFAULT = 0x03,
	CAT_BEARER_LOCAL_LINK = 0x04,
	CAT_BEARER_BLUETOOTH = 0x05,
	CAT_BEARER_IRDA = 0x06,
	CAT_BEARER_RS232 = 0x07,
	CAT_BEARER_CDMA2000 = 0x08,
	CAT_BEARER_PACKET_EXT = 0x09, /* UTRAN packet service with extended parameters */
	CAT_BEARER_IWLAN_USB = 0x0A,  /* I-WLAN in TS 31.111, USB in TS 102 223 */
	CAT_BEARER_EUTRAN = 0x0B,     /* E-UTRAN / mapped UTRAN packet service */
	CAT_BEARER_NG_RAN = 0x0C,
};
extern const struct value_string cat_bearer_type_names[];

/* Transport protocol type (TS 102 223 §8.59). */
enum cat_transport {
	CAT_TRANSPORT_UDP_CLIENT_REMOTE = 0x01,
	CAT_TRANSPORT_TCP_CLIENT_REMOTE = 0x02, /* the SCP81 case: UICC in TCP client mode */
	CAT_TRANSPORT_TCP_SERVER = 0x03,
	CAT_TRANSPORT_UDP_CLIENT_LOCAL = 0x04,
	CAT_TRANSPORT_TCP_CLIENT_LOCAL = 0x05,
	CAT_TRANSPORT_DIRECT = 0x06,
};
extern const struct value_string cat_transport_names[];

/* Type of other address (TS 102 223 §8.58). */
enum cat_addr_type {
	CAT_ADDR_IPV4 = 0x21,
	CAT_ADDR_IPV6 = 0x57,
};
extern const struct value_string cat_addr_type_names[];

/* Channel status (TS 102 223 §8.56): byte 1 = link established (bit 8) ‖ RFU ‖ channel id (bits 1-3);
 * byte 2 = further information. */
enum cat_channel_further_info {
	CAT_CHAN_INFO_NONE = 0x00,
	CAT_CHAN_INFO_LINK_DROPPED = 0x05, /* link dropped (network failure or user cancellation) */
};
extern const struct value_string cat_channel_further_info_names[];

#define CAT_CHANNEL_DATA_LENGTH_MORE 0xFF /* §8.54: more than 255 bytes available / free */
#define CAT_MAX_CHANNELS	     7	  /* channel identifiers 1..7 (§8.56) */

struct cat_bytes {
	const uint8_t *data; /* NULL when absent; a present empty object has data != NULL and len 0 */
	size_t len;
};

struct cat_channel_status {
	uint8_t channel_id;   /* 1..7 (0: none, e.g. OPEN CHANNEL failed) */
	bool established;     /* link established / PDP context activated */
	uint8_t further_info; /* enum cat_channel_further_info */
	uint8_t raw1;	      /* byte 1 as received (its bits 4-7 carry TCP server states, not decoded here) */
};
/* 2-byte value <-> struct. decode: 0 or -EBADMSG when len != 2. */
int cat_channel_status_decode(struct cat_channel_status *out, const uint8_t *v, size_t len);
void cat_channel_status_encode(uint8_t out[2], const struct cat_channel_status *cs);

/* The OPEN CHANNEL channel parameters (TS 102 223 §6.6.27 for the default / packet bearer). SCP81's
 * triggering parameter `84` carries the same objects, so lib/scp81 reuses this. An other address (3E)
 * before the transport level is the local address; the one after it is the data destination address
 * (§6.6.27.4 object order). */
struct cat_channel_params {
	bool cr; /* CR flag to write on these objects (decoder: the flag the first of them carried) */
	bool has_bearer;
	uint8_t bearer_type;		  /* enum cat_bearer_type */
	struct cat_bytes bearer_params;	  /* bearer parameters after the type byte */
	bool has_buffer_size;		  /* mandatory in OPEN CHANNEL */
	uint16_t buffer_size;		  /* §8.55 */
	struct cat_bytes apn;		  /* §8.70 network access name (47), as encoded (labels) */
	struct cat_bytes local_addr;	  /* other address before the transport level: type ‖ address */
	struct cat_bytes login, password; /* text strings (0D): DCS ‖ text */
	bool has_transport;
	uint8_t transport;	    /* enum cat_transport */
	uint16_t port;		    /* §8.59 */
	struct cat_bytes dest_addr; /* other address after the transport level: type ‖ address */
	unsigned int unknown;	    /* objects skipped */
};
/* Parse a buffer holding only channel-parameter objects (SCP81 `84`). Unknown objects are counted.
 * Returns len or a negative errno. */
int cat_channel_params_decode(struct cat_channel_params *out, const uint8_t *buf, size_t len);
/* Append the channel-parameter objects in TS 102 223 order to a BER-TLV writer (its sticky error
 * reports overflow). */
void cat_channel_params_put(struct bertlv_writer *w, const struct cat_channel_params *p);
/* Other address helpers: type byte and address of a struct cat_bytes holding `type ‖ address`. An empty
 * address with a type is allowed (§8.58: dynamic address requested). 0 or -EBADMSG (IPv4 not 0/4 bytes,
 * IPv6 not 0/16). */
int cat_other_address_check(const struct cat_bytes *a);

/* --- Common objects ----------------------------------------------------------------------------------------- */
struct cat_cmd_details {
	uint8_t number; /* command number (1..FE) */
	uint8_t type;	/* enum cat_cmd_type */
	uint8_t qualifier;
};

struct cat_dev_ids {
	uint8_t src, dst; /* enum cat_dev_id */
};

/* IMEI object (§8.20): 8 bytes, the value part of the TS 24.008 §10.5.1.4 mobile identity (type 2).
 * encode: 15 decimal digits -> 8 bytes (0 or -EINVAL); decode: 8 bytes -> 15 digits + NUL (0 or -EBADMSG
 * when the type is not IMEI or a nibble is no digit). */
int cat_imei_encode(uint8_t out[8], const char *digits);
int cat_imei_decode(char out[16], const uint8_t *v, size_t len);

/* --- Proactive command (TS 102 223 §6.6): D0 { 81 command details, 82 device identities, objects } ------- */
#define CAT_MAX_EVENTS 32

struct cat_proactive {
	struct cat_cmd_details details;
	struct cat_dev_ids dev;	   /* UICC -> terminal / network / channel n */
	struct cat_bytes alpha_id; /* 05, optional in every command here */
	/* per command type; fields of other types stay zero */
	struct cat_channel_params channel; /* OPEN CHANNEL */
	struct cat_bytes channel_data;	   /* SEND DATA: 36 */
	bool has_channel_data_length;
	uint8_t channel_data_length; /* RECEIVE DATA: 37 */
	struct cat_bytes address;    /* SEND SHORT MESSAGE: 06, TON/NPI ‖ BCD digits (optional) */
	struct cat_bytes tpdu;	     /* SEND SHORT MESSAGE: 0B, SMS-SUBMIT TPDU (opaque) */
	struct cat_bytes file_list;  /* REFRESH: 12 (optional; mandatory for the file change modes) */
	struct cat_bytes aid;	     /* REFRESH: 2F (optional) */
	struct cat_bytes events;     /* SET UP EVENT LIST: 19, one enum cat_event per byte */
	unsigned int unknown;	     /* objects skipped */
	unsigned int unknown_cr;     /* of which with CR set: the terminal owes result 32 (§6.10) */
	bool missing;		     /* a mandatory object of this command is absent: result 36 (§6.10) */
};

/* Decode a proactive command starting at its D0 tag (a FETCH response). Returns the bytes of the D0 TLV. */
int cat_proactive_decode(struct cat_proactive *out, const uint8_t *buf, size_t len);
/* Encode the command in cmd->details.type (one of enum cat_cmd_type) with the objects it carries. */
int cat_proactive_encode(uint8_t *out, size_t cap, const struct cat_proactive *cmd);

/* --- TERMINAL RESPONSE (TS 102 223 §6.8): 81 ‖ 82 ‖ 83 ‖ command-specific objects, no wrapper ----------- */
struct cat_terminal_response {
	struct cat_cmd_details details; /* echoed from the command */
	struct cat_dev_ids dev;		/* terminal -> UICC */
	uint8_t general;		/* enum cat_general_result */
	struct cat_bytes add_info;	/* additional information (for 3A: enum cat_addinfo_bip) */
	struct cat_bytes location_info; /* 13: PROVIDE LOCAL INFORMATION 00 */
	bool has_imei;
	uint8_t imei[8];	       /* 14: PROVIDE LOCAL INFORMATION 01 */
	struct cat_bytes channel_data; /* 36: RECEIVE DATA */
	unsigned int n_channel_status;
	struct cat_channel_status channel_status[CAT_MAX_CHANNELS]; /* 38: OPEN CHANNEL (1), GET CHANNEL STATUS */
	bool has_bearer;
	uint8_t bearer_type;
	struct cat_bytes bearer_params; /* 35: OPEN CHANNEL */
	bool has_buffer_size;
	uint16_t buffer_size; /* 39: OPEN CHANNEL */
	bool has_channel_data_length;
	uint8_t channel_data_length; /* 37: SEND DATA (free Tx space), RECEIVE DATA (bytes left) */
	unsigned int unknown, unknown_cr;
};
/* Decode the data of a TERMINAL RESPONSE APDU (all of buf). Returns len or a negative errno. */
int cat_terminal_response_decode(struct cat_terminal_response *out, const uint8_t *buf, size_t len);
int cat_terminal_response_encode(uint8_t *out, size_t cap, const struct cat_terminal_response *tr);

/* --- ENVELOPE (TS 102 223 §7; TS 31.111 §7.1.1.2 for SMS-PP) --------------------------------------------- */
struct cat_envelope {
	uint8_t tag;		/* CAT_TAG_SMS_PP_DOWNLOAD or CAT_TAG_EVENT_DOWNLOAD */
	struct cat_dev_ids dev; /* SMS-PP: network -> UICC; events: terminal -> UICC */
	/* SMS-PP data download (D1) */
	struct cat_bytes address; /* 06: RP originating address of the service centre (optional) */
	struct cat_bytes tpdu;	  /* 0B: SMS-DELIVER TPDU (opaque; lib/sms decodes it) */
	/* event download (D6): exactly one event (§7.5: the event list holds one event) */
	uint8_t event; /* enum cat_event */
	bool has_channel_status;
	struct cat_channel_status channel_status; /* data available (mandatory), channel status (mandatory) */
	bool has_channel_data_length;
	uint8_t channel_data_length; /* data available: bytes available (FF: more than 255) */
	bool has_location_status;
	uint8_t location_status;	/* location status event: enum cat_location_status */
	struct cat_bytes location_info; /* with normal service: MCC MNC LAC/TAC cell id (§7.5.4) */
	unsigned int unknown, unknown_cr;
};
/* Decode an ENVELOPE's data (D1 or D6 TLV). Returns the bytes of that TLV. For events other than the
 * three above, the event and device identities are decoded and the other objects counted as unknown. */
int cat_envelope_decode(struct cat_envelope *out, const uint8_t *buf, size_t len);
int cat_envelope_encode(uint8_t *out, size_t cap, const struct cat_envelope *env);

/* --- TERMINAL PROFILE (TS 102 223 §5.2; bit positions as CAT_TP(byte, bit), both counted from 1) --------
 * Positions as in TS 102 223 §5.2 and its copy in pySim `pySim/cat.py` term_prof_bits. There is no single
 * "proactive UICC" bit: each proactive command has its own (bytes 3, 4, 12), and a terminal that sends a
 * TERMINAL PROFILE at all supports FETCH / TERMINAL RESPONSE. */
#define CAT_TP(byte, bit) (((byte)-1) * 8 + ((bit)-1))
enum cat_tp_flag {
	CAT_TP_PROFILE_DOWNLOAD = CAT_TP(1, 1),
	CAT_TP_SMS_PP_DOWNLOAD = CAT_TP(1, 2),	   /* "reserved by 3GPP (SMS-PP data download)", TS 31.111 §5.2 */
	CAT_TP_9EXX_DOWNLOAD_ERROR = CAT_TP(1, 5), /* '9EXX' response for data download error [U] */
	CAT_TP_TIMER_EXPIRATION = CAT_TP(1, 6),
	CAT_TP_COMMAND_RESULT = CAT_TP(2, 1),
	CAT_TP_MORE_TIME = CAT_TP(3, 4),
	CAT_TP_POLL_INTERVAL = CAT_TP(3, 6),
	CAT_TP_POLLING_OFF = CAT_TP(3, 7),
	CAT_TP_REFRESH = CAT_TP(3, 8),
	CAT_TP_SEND_SHORT_MESSAGE = CAT_TP(4, 2),
	CAT_TP_PROVIDE_LOCAL_INFO_LOCATION_IMEI = CAT_TP(4, 7), /* MCC, MNC, LAC, cell id and IMEI */
	CAT_TP_SET_UP_EVENT_LIST = CAT_TP(5, 1),
	CAT_TP_EVENT_LOCATION_STATUS = CAT_TP(5, 5),
	CAT_TP_EVENT_DATA_AVAILABLE = CAT_TP(6, 3),
	CAT_TP_EVENT_CHANNEL_STATUS = CAT_TP(6, 4),
	CAT_TP_OPEN_CHANNEL = CAT_TP(12, 1),
	CAT_TP_CLOSE_CHANNEL = CAT_TP(12, 2),
	CAT_TP_RECEIVE_DATA = CAT_TP(12, 3),
	CAT_TP_SEND_DATA = CAT_TP(12, 4),
	CAT_TP_GET_CHANNEL_STATUS = CAT_TP(12, 5),
	CAT_TP_BIP_CSD = CAT_TP(13, 1),
	CAT_TP_BIP_GPRS = CAT_TP(13, 2),
	/* byte 13 bits 6-8: number of channels supported (cat_terminal_profile_channels) */
	CAT_TP_TCP_CLIENT_REMOTE = CAT_TP(17, 1), /* TCP, UICC in client mode, remote connection */
	CAT_TP_UDP_CLIENT_REMOTE = CAT_TP(17, 2),
	CAT_TP_TCP_SERVER = CAT_TP(17, 3),
	CAT_TP_TCP_CLIENT_LOCAL = CAT_TP(17, 4),
	CAT_TP_UDP_CLIENT_LOCAL = CAT_TP(17, 5),
	CAT_TP_DIRECT_CHANNEL = CAT_TP(17, 6),
};
extern const struct value_string cat_tp_flag_names[];
#define CAT_TP_MAX_BYTES 32

/* The flags the SGP.02 eUICC relies on (SMS-PP download, REFRESH, PROVIDE LOCAL INFORMATION, SEND SHORT
 * MESSAGE, BIP commands, the three events, TCP client mode), terminated by -1. */
extern const int cat_tp_euicc_flags[];

/* Build a profile from flags (terminated by -1) and the number of BIP channels (0..7, byte 13 bits 6-8).
 * The profile is as long as its last non-zero byte needs, at least min_len. Returns the length, -EINVAL
 * for a flag beyond CAT_TP_MAX_BYTES or channels > 7, -EMSGSIZE. */
int cat_terminal_profile_build(uint8_t *out, size_t cap, const int *flags, unsigned int channels, size_t min_len);
/* Whether a received profile has the flag (a profile shorter than the flag's byte: not set, §5.2). */
bool cat_terminal_profile_has(const uint8_t *tp, size_t len, enum cat_tp_flag flag);
unsigned int cat_terminal_profile_channels(const uint8_t *tp, size_t len);
