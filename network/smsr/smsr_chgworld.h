/* network/smsr test support: the in-process "stub world" of SM-SR Change, shared by smsr_change_test (CUnit
 * narrative tests) and smsr_change_bench (cw_eis_fill alone also by smsr_change_eisvar_test). TEST SUPPORT
 * ONLY: fake in-process peers for unit tests and benchmarks, never for scenarios (the real-process world is
 * smsr_testnet.h). It is built into the component archive and linked only by the test and bench binaries
 * that use it; main.c never refers to it.
 *
 * What it is: one PKI made at run time (CI, EUM, a rogue issuer; CERT.ECASD.ECKA, CERT.SR.ECDSA of SR2 and
 * their rogue twins), two SM-SRs ("sides": SR1 the current, SR2 the target, each an smsr + smsr_change over
 * its own smsr_store, on-disk or in memory), an MNO that records what it got back, and a card at the ES5
 * boundary computed with lib/gpcert, lib/ecka and lib/es5 (ECASD + ISD-R: the real card-side crypto). Every
 * ES4/ES7 message between the sides is SOAP-encoded and decoded again (lib/es) and queued; cw_pump() and
 * friends deliver it, so a caller can stop the world at any step, lose or reorder messages, or restart a
 * side (cw_side_close + cw_side_open on the same store; its generation then tells answers to calls of
 * before the restart apart). The card gets a script only if the key set the sender's store selects (the
 * highest SCP80 KVN) is one it holds (no SCP80 or SMS here: a packet that would not verify gets no PoR).
 *
 * Checks: the world's own invariants (a message encodes and decodes, a script has the AA{22{C-APDU}} shape,
 * a store opens ...) are CUnit assertions while a CUnit test runs (the fatal ones end the test) and
 * otherwise (a benchmark) end the process with exit(1) and a message.
 *
 * Ownership: one world per process, the global `cw`. Everything it allocates hangs off cw.cfg.ctx; the PKI
 * lives from cw_init() to cw_fini(), the sides, their stores and the queue from cw_open() to cw_close().
 * Input: only what the world itself made (trusted); not for untrusted data. Keys never reach the output. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <osmocom/core/linuxlist.h>
#include <osmocom/core/tdef.h>

#include "lib/crypto/ec.h"
#include "lib/es/es.h"
#include "lib/es5/es5.h"
#include "lib/ids/ids.h"
#include "network/smsr/smsr.h"
#include "network/smsr/smsr_change.h"
#include "network/smsr/smsr_store.h"

#define CW_SR1_ID "1.3.6.1.4.1.99999.1"
#define CW_SR2_ID "1.3.6.1.4.1.99999.2"
#define CW_MNO_ID "1.2.3.1"
#define CW_EID	  "89001012012341234012345678901224" /* cw_open()'s eUICC */
#define CW_ICCID  "8944000000000000010"

/* SR2's value of DGI 3A07 (UpdateSMSRAddressingParameters, step 26): a TS 102 223 address */
extern const uint8_t cw_addressing[7];

struct cw_cfg {
	void *ctx;	    /* talloc parent of everything the world allocates */
	const char *db_dir; /* stores as files sr1-<n>.db, sr2-<n>.db here (removed by cw_close); NULL: in memory */
	struct osmo_tdef *tdefs; /* both sides' procedure timers; NULL: smsr_change_tdefs */
	bool narrate;		 /* every ES message, card command and MNO answer on stderr (tests) */
};

struct cw_pki {
	EVP_PKEY *ci_key, *eum_key, *rogue_key, *ecasd_key, *sr2_key;
	X509 *ci, *eum;
	/* CERT.ECASD.ECKA (EUM-signed), CERT.SR.ECDSA of SR2 (CI-signed), and both signed by the rogue key */
	uint8_t ecasd_cert[512], rogue_ecasd_cert[512], sr2_cert[512], rogue_sr2_cert[512];
	size_t ecasd_cert_len, rogue_ecasd_cert_len, sr2_cert_len, rogue_sr2_cert_len;
};

/* One ISD-R key set on the card: SCP80 (KIc, KID, KIK) or SCP81 (one PSK). */
struct cw_keyset {
	bool present;
	uint8_t kvn;
	uint8_t key[3][16];
	unsigned int n;
};

struct cw_card {
	struct cw_keyset ks[8];
	bool rc_pending; /* a 3A01 gave out rc; the next 3A02 must be signed over it */
	uint8_t rc[16];
	uint8_t sr_pk[EC_POINT_LEN]; /* from the last CERT.SR.ECDSA */
	/* fault switches, set after cw_card_reset(): a wrong receipt, F2 fails (6581), SCP81 3A02 refused */
	bool corrupt_receipt, fail_delete, refuse_scp81;
	enum es5_f2_semantics f2;
	uint8_t addressing[64]; /* the last 3A07 */
	size_t addressing_len;
	unsigned int cmds; /* command APDUs seen */
};

struct cw_side {
	const char *id;
	char db[320];
	struct smsr_store *store;
	struct smsr *sr;
	struct smsr_change *chg;
	struct smsr_change_cfg cfg; /* cw_open() fills it; change it, then cw_side_close + cw_side_open */
	unsigned int gen;	    /* incremented by cw_side_close() (a restart) */
};

enum cw_qkind {
	CW_Q_REQ,	  /* an ES7 (or ES4) request from one side to the other */
	CW_Q_RESP,	  /* its response, back to the caller */
	CW_Q_ES5,	  /* a script to the card */
	CW_Q_ES5_RESULT,  /* the card's answer to it */
	CW_Q_STORED_RESP, /* a response sent after a restart by ReplyTo/RelatesTo (op_respond_stored) */
};

struct cw_qmsg {
	struct llist_head list; /* in cw.queue */
	enum cw_qkind kind;
	struct cw_side *to, *from;
	unsigned int gen; /* the generation of the side waiting for the answer */
	uint32_t tag, op;
	uint8_t *buf; /* owned by the message */
	size_t len;
	uint16_t sw;
	/* CW_Q_ES5: the key set the sender secured it with (its store may be gone when it arrives) */
	struct smsr_keyset_row ks;
	bool have_ks;
};

/* What the MNO (the initiator of PrepareSMSRChange / SMSRChange) got back: the last answer. */
struct cw_mno_rx {
	unsigned int n;
	enum es_msg_id id;
	enum es_status status;
	char subject[16], reason[16], message[96];
};

struct cw_world {
	struct cw_cfg cfg;
	struct cw_pki pki;
	struct cw_card card;
	struct cw_side sr1, sr2;
	struct llist_head queue; /* of struct cw_qmsg, in delivery order */
	char eid[IDS_EID_DIGITS + 1];
	uint8_t eid_bin[IDS_EID_BYTES];
	char iccid[24];
	struct cw_mno_rx mno;
	struct {
		unsigned int n; /* Handle*SMSRChangeNotifications sent (steps 31-32), the last one's details */
		enum es_msg_id id;
		char to[64];
		unsigned int profiles;
	} notif;
	unsigned int n_open; /* names the store files of each cw_open() */
};
extern struct cw_world cw;

/* Once per process (CUnit suite set-up, a bench's main): the configuration and the PKI. No assertions:
 * 0 or -1. cw_fini() frees the PKI. */
int cw_init(const struct cw_cfg *cfg);
void cw_fini(void);

/* A fresh world: the MNO's and notifications' records cleared, the card reset (ISD-R SCP80 key set 01 of
 * 11.., 22.., 33..), the eUICC CW_EID/CW_ICCID, both sides configured (SR2 with its certificate, key,
 * the CI/EUM and cw_addressing) and opened on new stores. cw_close(): the queue dropped, both sides
 * closed, the store files removed. */
void cw_open(void);
void cw_close(void);
void cw_side_open(struct cw_side *s);
void cw_side_close(struct cw_side *s);

void cw_card_reset(void);
struct cw_keyset *cw_card_ks(uint8_t kvn); /* the key set with that KVN the card holds, or NULL */
unsigned int cw_card_num_keysets(void);
/* Another eUICC: EID number i (valid check digits), its own ICCID, and a reset card. */
void cw_euicc_fresh(unsigned int i);

/* Fills reg (zeroed) as the EUM's ES1.RegisterEIS of the EID eid_bin (16 bytes): one enabled profile
 * iccid of mno_id (MSISDN 447700900001), ISD-R SCP80 key set 01 with three keys (11.., 22.., 33..), the
 * ECASD certificate cert. eid_bin, iccid, mno_id and cert must outlive reg; the key and AID bytes are
 * static. Needs no world (cw_init). */
void cw_eis_fill(struct es_msg *reg, const uint8_t *eid_bin, const char *iccid, const char *mno_id, const uint8_t *cert,
		 size_t cert_len);
/* The EUM registers the eUICC's EIS at SR1 (must succeed): one enabled profile of CW_MNO_ID, ISD-R SCP80
 * key set 01 (the card's), the ECASD certificate cert. */
void cw_register_eis(const uint8_t *cert, size_t cert_len);
/* The MNOs: PrepareSMSRChange to SR2, SMSRChange (towards SR2) to SR1, with a ValidityPeriod in seconds;
 * cw.mno is cleared first and records the answer. */
void cw_mno_prepare(int validity);
void cw_mno_smsr_change(int validity);
void cw_mno_respond(void *handle, struct es_msg *resp); /* the MNO's struct smsr_reply.respond */
/* The EIS state of the world's eUICC at s, 0 if s has no EIS for it. */
enum smsr_eis_state cw_eis_state(struct cw_side *s);

/* The queue. cw_pop(): the next message, taken out (the caller frees it), or NULL. cw_deliver(): hands it
 * to its receiver (a side, or the card); does not free it. */
struct cw_qmsg *cw_pop(void);
void cw_deliver(struct cw_qmsg *q);
void cw_pump(void);			   /* deliver until the queue is empty */
bool cw_pump_until_req(enum es_msg_id id); /* deliver until the next message is a request id (kept) */
void cw_drop_queue(void);		   /* lose everything queued */
/* Decode a queued SOAP message into a new es_msg under tctx (must decode). */
struct es_msg *cw_decode(void *tctx, const uint8_t *buf, size_t len);
