/* ES5/ES8 on-card command set of SGP.02 v3.1 (§4.1.1 ISD-R functions, §4.1.3 ISD-P functions):
 * builders for the SM-SR / SM-DP side and a decoder for the card side, plus the response parsers
 * and status-word tables. Layouts are those of sgp02-digest.md §4.4 and the wire traces and vectors
 * of sgp02-open-questions.md §14/§15.
 *
 * The card-side decoder parses UNTRUSTED data: it never allocates, never reads past `len`, and its
 * byte fields point into the caller's buffer. Builders write short APDUs (CLA INS P1 P2 Lc data
 * [Le]) into a caller buffer and return the length, or -EMSGSIZE (buffer or Lc > 255) / -EINVAL.
 *
 * Readings where SGP.02 is ambiguous are named variants (sgp02-open-questions.md §16): the
 * FinaliseISDRhandover `F2` list semantics and the DELETE P2 of DeleteISDP. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <osmocom/core/utils.h>

#define ES5_AID_MAX	    16
#define ES5_MAX_F2	    8  /* key ranges in one FinaliseISDRhandover: 2 are used (SCP80 + SCP81) */
#define ES5_MAX_GET_STATUS  16 /* E3 records decoded from one GET STATUS response */
#define ES5_MAX_DELETED_AID 8  /* ISD-P AIDs listed in a notification-confirmation response */

/* GP 2.3 §11: instruction bytes. */
#define ES5_CLA_GP	   0x80
#define ES5_INS_INSTALL	   0xE6
#define ES5_INS_STORE_DATA 0xE2
#define ES5_INS_DELETE	   0xE4
#define ES5_INS_GET_STATUS 0xF2
#define ES5_INS_GET_DATA   0xCA

/* STORE DATA P1 (GP 2.3 Table 11-89): b8 last block, b5b4 = 01 DGI format, b1 response expected. */
#define ES5_P1_DGI_MORE_RESP 0x09 /* first key-establishment command */
#define ES5_P1_DGI_LAST_RESP 0x89 /* second key-establishment command, notification confirmation */
#define ES5_P1_DGI_LAST	     0x88 /* Enable/Disable/SetFallBack/UpdateSMSRAddressingParameters */

/* DGIs of the STORE DATA functions (digest §4.4). */
enum es5_dgi {
	ES5_DGI_KEYSET_CERT = 0x3A01,	       /* EstablishISDRKeySet / ISDPKeySet, first command */
	ES5_DGI_KEYSET_KEYAGREEMENT = 0x3A02,  /* ... second command */
	ES5_DGI_ENABLE_PROFILE = 0x3A03,       /* §4.1.1.2 */
	ES5_DGI_DISABLE_PROFILE = 0x3A04,      /* §4.1.1.3 */
	ES5_DGI_SET_FALLBACK = 0x3A05,	       /* SetFallBackAttribute */
	ES5_DGI_UPDATE_ADDRESSING = 0x3A07,    /* §4.1.1.10, and ES8.UpdateConnectivityParameters §4.1.3.4 */
	ES5_DGI_NOTIFICATION_CONFIRM = 0x3A08, /* §4.1.1.12 */
};

enum es5_function {
	ES5_FN_UNKNOWN,
	ES5_FN_CREATE_ISDP,	     /* §4.1.1.1: INSTALL [for install and make selectable] */
	ES5_FN_INSTALL_PERSO,	     /* §4.1.3.1: INSTALL [for personalization] of the ISD-P */
	ES5_FN_KEYSET_CERT,	     /* §4.1.1.8 / §4.1.3.1 first STORE DATA: 3A01 { 7F21 } */
	ES5_FN_KEYSET_KEYAGREEMENT,  /* second STORE DATA: 3A02 { A6 } 7F49 5F37 */
	ES5_FN_ENABLE_PROFILE,	     /* 3A03 */
	ES5_FN_DISABLE_PROFILE,	     /* 3A04 */
	ES5_FN_SET_FALLBACK,	     /* 3A05 */
	ES5_FN_UPDATE_ADDRESSING,    /* 3A07 */
	ES5_FN_NOTIFICATION_CONFIRM, /* 3A08 */
	ES5_FN_DELETE_ISDP,	     /* §4.1.1.4: DELETE { 4F } */
	ES5_FN_FINALISE_HANDOVER,    /* §4.1.1.9: DELETE { F2 ... } */
	ES5_FN_GET_STATUS,	     /* §4.1.1.5 eUICCCapabilityAudit */
	ES5_FN_GET_DATA,	     /* §4.1.1.5: EID, ECASD certificate, card resources */
};
extern const struct value_string es5_function_names[];

/* Variant: what the F2 entries of FinaliseISDRhandover name (open-questions §2). */
enum es5_f2_semantics {
	ES5_F2_DELETE_LIST, /* default: the key sets to delete (WHTY) */
	ES5_F2_KEEP_LIST,   /* the key sets to keep, all other ISD-R key sets are deleted (Njiwa) */
};
extern const struct value_string es5_f2_semantics_names[];

/* Variant: P2 of DELETE for DeleteISDP (open-questions §14). */
enum es5_delete_p2 {
	ES5_DELETE_P2_40, /* default: what both SGP.02 implementations send */
	ES5_DELETE_P2_80, /* GP "delete object and related objects" */
};
extern const struct value_string es5_delete_p2_names[];

struct es5_bytes {
	const uint8_t *buf;
	size_t len;
};

/* One SCP80/SCP81 key range of an F2 entry: KVN, first and last KID. */
struct es5_keyrange {
	uint8_t kvn;
	uint8_t first_kid;
	uint8_t last_kid;
};

/* CreateISDP parameters (digest §4.4; trace in open-questions §14). */
struct es5_create_isdp {
	struct es5_bytes elf_aid;
	struct es5_bytes module_aid;
	struct es5_bytes isdp_aid;
	struct es5_bytes privileges;	 /* default 80 C0 00 when building with an empty value */
	struct es5_bytes install_params; /* the whole install-parameter field (C9 ... [EF ...]) */
	struct es5_bytes scp_params;	 /* decoded: value of C9 (e.g. 81 02 03 70 = SCP03 i=70) */
	uint32_t quota;			 /* decoded from EF { 83 }; 0 when absent. Building: 0 = no EF */
};

/* A decoded command, as the card sees it. */
struct es5_command {
	enum es5_function fn;
	uint8_t cla, ins, p1, p2;
	uint16_t dgi; /* STORE DATA only */
	union {
		struct es5_create_isdp create_isdp;
		struct es5_bytes aid; /* INSTALL perso, Enable, Disable, SetFallBack, DeleteISDP */
		struct {
			struct es5_bytes cert; /* the whole 7F21 TLV */
		} keyset_cert;
		struct {
			struct es5_bytes a6;	    /* the whole A6 CRT TLV, exactly as sent (receipt input) */
			struct es5_bytes epk_value; /* value of 7F49 */
			struct es5_bytes sig;	    /* value of 5F37 */
		} keyset_keyagreement;
		struct es5_bytes addressing; /* value of DGI 3A07 */
		uint16_t notification_seq;   /* 3A08 { 4E } */
		struct {
			struct es5_keyrange ranges[ES5_MAX_F2];
			size_t n;
		} finalise;
		struct {
			struct es5_bytes aid_filter; /* value of 4F (may be empty: all) */
			struct es5_bytes tag_list;   /* value of 5C, if present */
		} get_status;
		struct {
			uint16_t tag;		   /* P1‖P2 */
			struct es5_bytes tag_list; /* value of 5C in the data, if any */
		} get_data;
	} u;
};

/* Decode a command addressed to the ISD-R (or, for the ES8 ones, an ISD-P). data/len is the APDU's
 * data field. Returns 0, -ENOTSUP for an instruction/DGI that is not an ES5/ES8 function (the card
 * answers 6D00/6A88), or -EBADMSG when the data is malformed (the card answers 6A80). */
int es5_command_decode(struct es5_command *out, uint8_t cla, uint8_t ins, uint8_t p1, uint8_t p2, const uint8_t *data,
		       size_t len);

/* --- builders (SM-SR / SM-DP side) ------------------------------------------------------------ */

/* A short APDU; Le 00 appended when le is true. */
int es5_apdu_build(uint8_t *buf, size_t cap, uint8_t cla, uint8_t ins, uint8_t p1, uint8_t p2, const uint8_t *data,
		   size_t len, bool le);
/* A STORE DATA with one DGI (GP 2.3 §11.11: DGI length 1 byte up to FE, else FF ‖ 2 bytes). */
int es5_store_dgi_build(uint8_t *buf, size_t cap, uint8_t p1, uint8_t p2, uint16_t dgi, const uint8_t *value,
			size_t len);

int es5_create_isdp_build(uint8_t *buf, size_t cap, const struct es5_create_isdp *p);
int es5_install_perso_build(uint8_t *buf, size_t cap, const uint8_t *isdp_aid, size_t aid_len);
int es5_keyset_cert_build(uint8_t *buf, size_t cap, const uint8_t *cert_tlv, size_t cert_len);
int es5_keyset_keyagreement_build(uint8_t *buf, size_t cap, const uint8_t *a6_tlv, size_t a6_len,
				  const uint8_t *epk_value, size_t epk_len, const uint8_t *sig, size_t sig_len);
/* The data the key-agreement signature covers: 3A02 {A6} ‖ 7F49 {ePK} ‖ 0085 L RC (open-questions
 * §3/§15 V2: the two-byte tag 0085 is confirmed by the trace). Returns the length. */
int es5_keyset_signed_data(uint8_t *buf, size_t cap, const uint8_t *a6_tlv, size_t a6_len, const uint8_t *epk_value,
			   size_t epk_len, const uint8_t *rc, size_t rc_len);
/* Enable (3A03), Disable (3A04), SetFallBack (3A05): STORE DATA 88 00 { 4F AID }. */
int es5_profile_cmd_build(uint8_t *buf, size_t cap, enum es5_function fn, const uint8_t *aid, size_t aid_len);
int es5_update_addressing_build(uint8_t *buf, size_t cap, const uint8_t *params, size_t len);
int es5_notification_confirm_build(uint8_t *buf, size_t cap, uint16_t seq);
int es5_delete_isdp_build(uint8_t *buf, size_t cap, enum es5_delete_p2 variant, const uint8_t *aid, size_t aid_len);
int es5_finalise_handover_build(uint8_t *buf, size_t cap, const struct es5_keyrange *ranges, size_t n);
/* GET STATUS of ISD-Ps (P1 40, P2 02: TLV response); aid NULL = all; with_lcs adds 5C 03 4F 9F70. */
int es5_get_status_build(uint8_t *buf, size_t cap, const uint8_t *aid, size_t aid_len, bool with_lcs);
/* GET DATA P1P2 = tag; tag_list (may be NULL) goes into 5C. */
int es5_get_data_build(uint8_t *buf, size_t cap, uint16_t tag, const uint8_t *tag_list, size_t list_len);

/* --- FinaliseISDRhandover semantics ----------------------------------------------------------- */

/* SR2: the F2 entries to send, given the ISD-R key sets of the EIS and the KVN of the new key set
 * (KS2). DELETE_LIST: every set but KS2; KEEP_LIST: KS2 only. Returns the number written. */
size_t es5_f2_entries(enum es5_f2_semantics v, const struct es5_keyrange *eis_sets, size_t n, uint8_t ks2_kvn,
		      struct es5_keyrange *out, size_t out_cap);
/* Card: does the received list delete key (kvn, kid)? */
bool es5_f2_deletes(enum es5_f2_semantics v, const struct es5_keyrange *list, size_t n, uint8_t kvn, uint8_t kid);

/* --- responses (SM-SR / SM-DP side) ----------------------------------------------------------- */

/* First key-establishment response: 85 { RC }. */
int es5_keyset_cert_resp_parse(const uint8_t *data, size_t len, struct es5_bytes *rc);
/* Second: [85 { DR }] 86 { receipt }. dr->len is 0 when no DR was returned. */
int es5_keyset_keyagreement_resp_parse(const uint8_t *data, size_t len, struct es5_bytes *dr,
				       struct es5_bytes *receipt);
/* Notification confirmation response: 80 { 4F AID ... } — the ISD-Ps the card deleted. */
int es5_notification_confirm_resp_parse(const uint8_t *data, size_t len, struct es5_bytes *aids, size_t cap, size_t *n);

/* GET STATUS E3 record (GP 2.3 §11.4.2; SGP.02 §4.1.1.5). */
struct es5_isdp_status {
	struct es5_bytes aid;	/* 4F */
	int lcs;		/* 9F70, -1 if absent */
	bool fallback;		/* 53 bit 1 */
	bool has_properties;	/* 53 present */
	struct es5_bytes alloc; /* 8F allocated memory, raw */
	struct es5_bytes free;	/* 91 free memory, raw */
};
/* Decode the E3 records of a GET STATUS response; returns 0, -EBADMSG, or -EMSGSIZE if more than cap. */
int es5_get_status_resp_parse(const uint8_t *data, size_t len, struct es5_isdp_status *out, size_t cap, size_t *n);

/* ISD-P life-cycle states (digest §4.2, Njiwa "Table 1"). */
enum es5_isdp_state {
	ES5_ISDP_INSTALLED = 0x03,
	ES5_ISDP_SELECTABLE = 0x07,
	ES5_ISDP_PERSONALIZED = 0x0F,
	ES5_ISDP_DISABLED = 0x1F,
	ES5_ISDP_ENABLED = 0x3F,
};
extern const struct value_string es5_isdp_state_names[];

/* --- status words ----------------------------------------------------------------------------- */

/* The meaning of a status word answered to function fn (digest §4.4), e.g. 69E1 to EnableProfile
 * = "POL1 of the currently enabled profile prevents this action". NULL if the SW is not listed for fn. */
const char *es5_sw_meaning(enum es5_function fn, uint16_t sw);
