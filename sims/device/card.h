/* The device's card reader: one abstraction (struct dev_card_ops) with two backends, PC/SC through
 * libpcsclite (real readers, or pcscd + vsmartcard-vpcd) and the vpcd wire protocol spoken directly
 * (the device plays vpcd: it listens, the card process connects; pcsc-lab.md §3), and the APDU-level
 * operations the device needs on top: power-on/ATR, TERMINAL PROFILE, FETCH / TERMINAL RESPONSE,
 * ENVELOPE, reading EF.IMSI and USIM/SIM AUTHENTICATE.
 *
 * Card I/O is synchronous: a backend's transmit() blocks until the card answers or a bound
 * (DEV_CARD_IO_TIMEOUT_MS for vpcd; PC/SC has no timeout, pcsc-lab §4.2) expires. The card is a local
 * peer and answers in well under a millisecond (pcsc-lab §5), so the device's select loop accepts that.
 *
 * What the card returns is UNTRUSTED: response lengths are capped by DEV_CARD_RAPDU_MAX, ATRs by 33
 * bytes (ISO 7816-3 / vpcd MAX_ATR_SIZE), and every response decoder below is fuzzed (fuzz_device.c).
 * Status words are data (struct dev_rapdu.sw), never return codes. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <osmocom/core/utils.h>

#define DEV_CARD_ATR_MAX       33   /* ISO 7816-3 §8.2.1; vpcd MAX_ATR_SIZE */
#define DEV_CARD_RAPDU_MAX     4096 /* response data + SW we accept from a card (short APDUs need 258) */
#define DEV_CARD_IO_TIMEOUT_MS 5000

/* --- vpcd wire protocol (pcsc-lab.md §3): 2-byte big-endian length ‖ payload, both directions ------------ */
enum dev_vpcd_ctrl {
	DEV_VPCD_POWER_OFF = 0,
	DEV_VPCD_POWER_ON = 1,
	DEV_VPCD_RESET = 2,
	DEV_VPCD_GET_ATR = 4,
};
extern const struct value_string dev_vpcd_ctrl_names[];
/* Frame a payload (1..65535 bytes). Returns 2 + len, -EMSGSIZE, -EINVAL. */
int dev_vpcd_frame_encode(uint8_t *out, size_t cap, const uint8_t *payload, size_t len);
/* Find one frame at the start of buf. Returns bytes consumed (2 + payload length) with payload and plen set
 * (a zero-length frame is valid: the card says "removed"), or -EAGAIN when buf holds less than a frame. */
int dev_vpcd_frame_decode(const uint8_t *buf, size_t len, const uint8_t **payload, size_t *plen);

/* --- backends ---------------------------------------------------------------------------------------------- */
struct dev_card_ops {
	const char *name;
	/* Cold power-on or warm reset: write the ATR, return its length or a negative errno. */
	int (*power_on)(void *priv, uint8_t atr[DEV_CARD_ATR_MAX]);
	int (*reset)(void *priv, uint8_t atr[DEV_CARD_ATR_MAX]);
	int (*power_off)(void *priv);
	/* One C-APDU -> R-APDU (data ‖ SW1 SW2). Returns the response length (>= 2) or -errno. */
	int (*transmit)(void *priv, const uint8_t *capdu, size_t len, uint8_t *rapdu, size_t cap);
	void (*destroy)(void *priv);
};

/* vpcd backend: listen on addr:port (the card connects, as it does to vpcd), or connect to a card that
 * listens (connect = true). *priv_out is handed to the ops. 0 or -errno. */
int dev_vpcd_open(void **priv_out, const char *addr, uint16_t port, bool connect_to_card, int wait_ms);
extern const struct dev_card_ops dev_vpcd_ops;
/* PC/SC backend: reader by name (NULL: the first reader with a card). 0 or -errno (-ENODEV no reader,
 * -ENXIO no card). The SCARDHANDLE is held for the whole run (pcsc-lab pitfall 8). */
int dev_pcsc_open(void **priv_out, const char *reader);
extern const struct dev_card_ops dev_pcsc_ops;

/* --- the card as the device uses it --------------------------------------------------------------------- */
struct dev_rapdu {
	uint8_t data[DEV_CARD_RAPDU_MAX];
	size_t len;	   /* response data without the SW */
	uint16_t sw;	   /* the final SW */
	uint16_t sw_first; /* the SW of the command itself, before any GET RESPONSE (61xx, 9Fxx, 9Exx) */
};

struct dev_card {
	const struct dev_card_ops *ops;
	void *priv;
	bool powered;
	uint8_t atr[DEV_CARD_ATR_MAX];
	size_t atr_len;
	bool usim;		/* ADF.USIM selected (else the GSM SIM path with CLA A0) */
	unsigned int proactive; /* length of a pending proactive command (last 91xx), 0 = none */
	unsigned long n_apdus;	/* APDUs exchanged (statistics) */
};

/* Exchange one APDU: follows 61xx / 9Fxx / 9Exx with GET RESPONSE and 6Cxx with a re-issue (TS 102 221 §7.3.1.1),
 * records 91xx in card->proactive. 0 (SW in r->sw) or -errno (transport failure, response too long). */
int dev_card_apdu(struct dev_card *card, const uint8_t *capdu, size_t len, struct dev_rapdu *r);

/* Power on (cold) or reset (warm), read the ATR, send TERMINAL PROFILE tp. 0 or -errno. */
int dev_card_start(struct dev_card *card, bool warm, const uint8_t *tp, size_t tp_len);
int dev_card_stop(struct dev_card *card);

/* Select ADF.USIM (by its RID ‖ app code prefix, TS 31.102 §4.x / TS 101 220 Annex E) or, failing that, the
 * GSM SIM DF 7F20, and read EF.IMSI (6F07). 0, -ENOENT (the card has no such file), -EBADMSG or -errno. */
int dev_card_read_imsi(struct dev_card *card, char imsi[16]);

/* AUTHENTICATE: USIM GSM context (TS 31.102 §7.1.2.1, P2 80) when autn is NULL, 3G context (P2 81) else;
 * RUN GSM ALGORITHM (TS 51.011 §9.2.16) on a plain SIM. The result is data in *res; 0 or -errno. */
struct dev_auth_res {
	uint16_t sw;
	bool ok;
	bool sync_failure; /* 3G: DC ‖ AUTS */
	uint8_t sres[4];   /* GSM context, or derived from RES (first 4 bytes) in 3G context */
	uint8_t kc[8];
	uint8_t res[16];
	size_t res_len;
	uint8_t ck[16], ik[16];
	uint8_t auts[14];
};
int dev_card_authenticate(struct dev_card *card, const uint8_t rand[16], const uint8_t *autn, struct dev_auth_res *res);

enum dev_auth_ctx {
	DEV_AUTH_SIM = 0,      /* RUN GSM ALGORITHM: SRES(4) ‖ Kc(8) */
	DEV_AUTH_USIM_GSM = 1, /* 04 SRES 08 Kc */
	DEV_AUTH_USIM_3G = 2,  /* DB L RES L CK L IK [L Kc] | DC L AUTS */
};
/* Decode an AUTHENTICATE response (data, no SW). Returns len or -EBADMSG / -EAGAIN. */
int dev_auth_resp_decode(struct dev_auth_res *out, enum dev_auth_ctx ctx, const uint8_t *buf, size_t len);

/* EF.IMSI (TS 31.102 §4.2.2, TS 51.011 §10.3.2): length ‖ MI value. 0 or -EBADMSG. */
int dev_ef_imsi_decode(char imsi[16], const uint8_t *buf, size_t len);

/* FETCH the pending proactive command into r (0 or -errno; -ENOENT when none is pending). */
int dev_card_fetch(struct dev_card *card, struct dev_rapdu *r);
/* TERMINAL RESPONSE / ENVELOPE with data. 0 (SW in r) or -errno. */
int dev_card_terminal_response(struct dev_card *card, const uint8_t *data, size_t len, struct dev_rapdu *r);
int dev_card_envelope(struct dev_card *card, const uint8_t *data, size_t len, struct dev_rapdu *r);
