/* Private to harness/check: the checker's state shared by its files (check.c: frames, TCP and TLS;
 * app.c: HTTP, SOAP, Kannel, SMPP, SMS, SCP80; proc.c: procedure rules; report.c: output). */
#pragma once

#include "harness/check/check.h"
#include "harness/check/tcpr.h"

/* One ES message as the procedure rules see it. */
struct check_es {
	uint32_t frame;
	enum es_msg_id id;
	const char *message_id, *relates_to; /* wsa: full texts */
	const char *sender, *receiver;	     /* entity OIDs from the RPS header mapping, or NULL */
	const char *eid;		     /* first Eid in the body (hex text), or NULL */
	enum es_status status;		     /* responses */
};

/* The last SCP80 command per TAR and direction (to the card: the PoR that answers it is verified with
 * its SPI/KIc/KID), and the last counter per key version: TS 102 225 §5.1.1 keeps a counter per key set
 * and per sending side (the SM-SR's commands and the card's notifications count apart). */
struct check_scp80_tar {
	uint8_t tar[3];
	bool used, from_card;
	uint8_t spi[2], kic, kid;
	uint16_t have_cntr; /* bit per KVN 0..15 */
	uint64_t last_cntr[16];
	uint32_t frame;
};
#define CHECK_MAX_TARS 64

struct checker {
	struct check_opts opts;
	struct tcpr *tcpr;
	struct check_finding *f;
	unsigned int nf, capf;
	struct check_event *ev;
	unsigned int nev, capev;
	struct check_undecrypted *und;
	unsigned int nund, capund;
	struct check_es *es;
	unsigned int nes, capes;
	struct check_scp80_tar tars[CHECK_MAX_TARS];
	struct check_stats st;
	uint32_t last_frame;
	uint64_t cur_ts;
	bool finished;
	bool linktype_warned;
};

/* Stream consumers (app.c). kind is chosen from the first bytes of a stream. */
enum check_app_kind {
	CHECK_APP_UNKNOWN,
	CHECK_APP_TLS,
	CHECK_APP_HTTP,
	CHECK_APP_SMPP,
	CHECK_APP_IPA, /* IPA multiplex: GSUP (osmo-hlr), CCM */
	CHECK_APP_OTHER,
};

#define CHECK_GSUP_PENDING 64

struct http_rx;
struct check_sink {
	enum check_app_kind kind;
	struct http_rx *rx[2];
	bool rx_dead[2];
	uint8_t *smpp_buf[2];
	size_t smpp_have[2];
	bool smpp_dead[2];
	uint8_t *ipa_buf[2];
	size_t ipa_have[2];
	bool ipa_dead[2];
	/* GSUP requests awaiting their result/error on this connection (IMSI + request type) */
	struct check_gsup_pending {
		char imsi[17];
		uint8_t type, dir;
		uint32_t frame;
	} gsup_pending[CHECK_GSUP_PENDING];
	unsigned int n_gsup_pending;
};

struct check_flow {
	struct checker *ck;
	struct tcpr_flow *fl;
	enum check_app_kind outer;
	struct tlsdec_conn *tls;
	struct check_sink plain; /* the TCP payload, or the TLS plaintext when outer is TLS */
	char ep[2][64];		 /* endpoint strings */
};

enum check_app_kind check_app_detect(const uint8_t *d, size_t len);
void check_sink_feed(struct check_flow *cf, struct check_sink *s, int dir, const uint8_t *d, size_t len,
		     uint32_t frame);
void check_sink_gap(struct check_flow *cf, struct check_sink *s, int dir);
void check_sink_close(struct check_flow *cf, struct check_sink *s, uint32_t frame);
/* Decode SMS user data (UDH + secured packet) carried by SMPP or Kannel. from_sc: towards the card. */
void check_sms_ud(struct checker *ck, uint32_t frame, const uint8_t *ud, size_t len, bool udhi, bool to_card,
		  const char *via);

/* Events and ES records. */
struct check_event *check_event_add(struct checker *ck, uint32_t frame, const char *proto, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
struct check_es *check_es_add(struct checker *ck);
/* The procedure rules over ck->es (proc.c). */
void check_proc_run(struct checker *ck);
