/* Scenario files (scenarios/<suite>/<file>.scn; the format is documented in scenarios/README.md):
 * one SGP.11-style test case as data. A header (id, title, SGP.02 section, applicability flags,
 * topology, time bound), then three sections:
 *   [initial]  the state the harness sets up: profiles on the cards, which SM-SR holds each EIS,
 *              where each device is attached, credentials deliberately not from the CI;
 *   [steps]    operator calls (ES1/ES2/ES4 function names from lib/es's registry, parameters by their
 *              XML element names), waits (responses, notifications, messages on the wire, attaches)
 *              and fault injections, each labelled with the article's step number (1-6, i-ix);
 *   [expect]   what must hold at the end: response statuses, EIS location and content, profile states,
 *              key sets, attached IMSI and HLR, notifications received, maximum durations.
 *
 * scn_parse() checks everything that does not need a topology (syntax, names against lib/es, field
 * names and value forms against the request's schema fields, mandatory fields, labels, durations);
 * scn_check_topo() then resolves every component reference against a topology (kinds, roles,
 * builtin/external). Both report the 1-based line of the first error.
 *
 * Trust: the text is UNTRUSTED. No allocation: struct scn (about 100 KiB) is the caller's; every
 * string is copied into it. Returns 0 or a negative errno (-EBADMSG malformed, -ENOSPC over a cap). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <osmocom/core/utils.h>

#include "lib/es/es.h"
#include "harness/run/topo.h"

#define SCN_ID_MAX     48
#define SCN_TITLE_MAX  160
#define SCN_NAME_MAX   TOPO_NAME_MAX
#define SCN_LABEL_MAX  8
#define SCN_STEPS_MAX  48
#define SCN_INIT_MAX   16
#define SCN_EXPECT_MAX 32
#define SCN_FIELDS_MAX 10
#define SCN_FLAGS_MAX  12

/* SGP.11-style optional features (digest §7 item 3): a scenario applies when the run's features
 * include all of its flags; otherwise it is skipped, not failed. */
enum scn_flag {
	SCN_O_SMS,	   /* SCP80 over SMS (both SMSC paths) */
	SCN_O_SMPP,	   /* SM-SR on direct SMPP to the SMSC */
	SCN_O_KANNEL,	   /* SM-SR through Kannel's sendsms interface */
	SCN_O_HTTPS,	   /* SCP81 push SMS + BIP + PSK-TLS */
	SCN_O_CAT_TP,	   /* CAT_TP transport */
	SCN_O_SMSR_CHANGE, /* ES4/ES7 SM-SR Change */
	SCN_O_DOWNLOAD,	   /* ES2/ES3/ES8 profile download */
	SCN_O_POL1,	   /* POL1 rules on the card */
	SCN_O_ROLLBACK,	   /* connectivity-failure rollback (SGP.02 §3.2.2) */
	SCN_O_ROAMING,	   /* device attached through a visited network */
	SCN_O_BRAINPOOL,   /* brainpoolP256r1 PKI */
	SCN_FLAG__COUNT,
};
extern const struct value_string scn_flag_names[]; /* "O_SMS" ... */
extern const struct value_string scn_flag_descr[]; /* one-line meaning */

struct scn_field { /* an ES request element: XML name = value (or @component) */
	char name[32];
	char value[96];
};

enum scn_init_kind {
	SCN_INIT_PROFILE,    /* profile CARD ICCID STATE operator=MNO imsi=IMSI [smdp=SMDP] [pol1=...] */
	SCN_INIT_EIS,	     /* eis CARD at=SMSR [notify=sms|https] [carriage=uri-msg|body] */
	SCN_INIT_ATTACH,     /* attach DEVICE imsi=IMSI hlr=HLR */
	SCN_INIT_CREDENTIAL, /* credential COMPONENT issuer=ci|rogue */
};
extern const struct value_string scn_init_kind_names[];

enum scn_pol1 { SCN_POL1_NONE, SCN_POL1_DISABLE_NOT_ALLOWED, SCN_POL1_DELETE_WHEN_DISABLED };
extern const struct value_string scn_pol1_names[];

struct scn_init {
	unsigned int line;
	enum scn_init_kind kind;
	char subject[SCN_NAME_MAX]; /* card, device or component */
	char iccid[21];
	enum es_profile_state state;
	char op[SCN_NAME_MAX]; /* operator: mno1 | mno2 */
	char imsi[16];
	char where[SCN_NAME_MAX]; /* eis: the SM-SR; attach: the HLR; profile: the SM-DP ("" = none) */
	enum scn_pol1 pol1;
	bool rogue; /* credential: a GP certificate from a CI the others do not trust */
	/* eis: the card's E1 notifications over HTTPS to that SM-SR's SCP81 server (personalised by the
	 * harness: rsplab-euicc init --notif-transport https --admin-addr), and how the E1 rides in the
	 * first POST (enum ramhttp_notif_carriage; -1 = the card's default) */
	bool notify_https;
	int carriage;
};

enum scn_step_kind {
	SCN_STEP_CALL,		    /* call FUNC to=C as=M [nowait] [timeout=] [validity=] [expect=] ... */
	SCN_STEP_WAIT_RESPONSE,	    /* wait response FUNC [timeout=] */
	SCN_STEP_WAIT_NOTIFICATION, /* wait notification NOTIF to=M [timeout=] */
	SCN_STEP_WAIT_MESSAGE,	    /* wait message NAME from=C to=C [timeout=]: seen on the wire */
	SCN_STEP_WAIT_ATTACH,	    /* wait attach DEVICE imsi=IMSI hlr=HLR [timeout=] */
	SCN_STEP_FAULT,		    /* fault KIND ... */
	SCN_STEP_KIND__COUNT,
};
extern const struct value_string scn_step_kind_names[];

enum scn_fault {
	SCN_FAULT_NONE,
	SCN_FAULT_DROP_SMS,    /* drop-sms path=kannel|smpp count=N: the next N MT SMS on that path vanish */
	SCN_FAULT_DELAY_SMS,   /* delay-sms path=kannel|smpp by=D: every MT SMS on that path waits D */
	SCN_FAULT_FAIL_ATTACH, /* fail-attach device=D count=N: the next N attach attempts are rejected */
	SCN_FAULT_KILL,	       /* kill COMPONENT: SIGKILL, no clean-up */
	SCN_FAULT_RESTART,     /* restart COMPONENT: start it again (same config, same database) */
	SCN_FAULT_CUT_BIP,     /* cut-bip device=D after=N: close the BIP channel after N bytes to the card */
};
extern const struct value_string scn_fault_names[];

enum scn_sms_path { SCN_PATH_NONE, SCN_PATH_KANNEL, SCN_PATH_SMPP };
extern const struct value_string scn_sms_path_names[];

/* The status a call must end with; SCN_EXPECT_ANY = not checked (a fault scenario's intermediate call). */
#define SCN_EXPECT_ANY 0

struct scn_step {
	unsigned int line;
	char label[SCN_LABEL_MAX]; /* article step: "1", "3-4", "i", "vii-ix", "-" (none) */
	enum scn_step_kind kind;
	enum es_msg_id msg; /* call (the request), wait response (the request), notification, message */
	enum scn_fault fault;
	char target[SCN_NAME_MAX]; /* call to=, notification to=, message from=, attach/fault device or component */
	char peer[SCN_NAME_MAX];   /* call as=, message to=, attach hlr= */
	char imsi[16];		   /* wait attach */
	bool nowait;		   /* call: do not wait for the (async) response here */
	unsigned int timeout_ms;   /* 0 = the kind's default */
	unsigned int validity_s;   /* call: ValidityPeriod, 0 = absent */
	int expect;		   /* call: an enum es_status, or SCN_EXPECT_ANY */
	char subject[16], reason[16];
	enum scn_sms_path path;	  /* drop-sms, delay-sms */
	unsigned int count;	  /* drop-sms, fail-attach */
	unsigned int by_ms;	  /* delay-sms */
	unsigned int after_bytes; /* cut-bip */
	struct scn_field field[SCN_FIELDS_MAX];
	size_t n_fields;
};

enum scn_expect_kind {
	SCN_EXP_RESPONSES,    /* responses all=STATUS: every ES response the operators got */
	SCN_EXP_EIS,	      /* eis CARD at=SMSR [profiles=ICCID:STATE,...]: held there and nowhere else */
	SCN_EXP_PROFILE,      /* profile CARD ICCID enabled|disabled|absent: the state on the card */
	SCN_EXP_KEYSETS,      /* keysets CARD of=SMSR present|absent: ISD-R key sets of that SM-SR on the card */
	SCN_EXP_ATTACHED,     /* attached DEVICE imsi=IMSI hlr=HLR roaming=yes|no */
	SCN_EXP_NOTIFICATION, /* notification NOTIF to=MNO count=N */
	SCN_EXP_DURATION,     /* duration LABEL max=D: first to last step with that label (or "all") */
	SCN_EXP_CARD_NOTIF,   /* card-notification CARD type=NN at=SMSR: an E1 notification (digest 4.5) of that
			       * type the SM-SR received (02 profile change succeeded, 03 failed with rollback) */
};
extern const struct value_string scn_expect_kind_names[];

struct scn_expect {
	unsigned int line;
	enum scn_expect_kind kind;
	char subject[SCN_NAME_MAX]; /* card, device, or (duration) the label */
	char where[SCN_NAME_MAX];   /* SM-SR, HLR or MNO */
	char iccid[21];
	int state;	    /* profile: enum es_profile_state, 0 = absent */
	int status;	    /* responses: enum es_status */
	enum es_msg_id msg; /* notification */
	unsigned int count;
	unsigned int max_ms;
	bool yes;     /* keysets present / roaming=yes */
	uint8_t type; /* card-notification */
	char imsi[16];
	char profiles[4][32]; /* eis content: "ICCID:state" */
	size_t n_profiles;
};

struct scn {
	char id[SCN_ID_MAX];
	char title[SCN_TITLE_MAX];
	char section[64];
	char topology[SCN_NAME_MAX]; /* default "flagship" */
	uint32_t flags;		     /* 1 << enum scn_flag */
	unsigned int timeout_ms;     /* the whole scenario; default 10 min */
	struct scn_init init[SCN_INIT_MAX];
	size_t n_init;
	struct scn_step step[SCN_STEPS_MAX];
	size_t n_steps;
	struct scn_expect expect[SCN_EXPECT_MAX];
	size_t n_expect;
};

struct scn_error {
	unsigned int line;
	char msg[200];
};

int scn_parse(const char *text, size_t len, struct scn *out, struct scn_error *err);
int scn_check_topo(const struct scn *s, const struct topo *t, struct scn_error *err);

/* Is label a valid step label ("1".."6", "i".."ix", an ascending range of one family, or "-")?
 * Does label (a single step or range) cover step? ("1-6" covers "3", "vii-ix" covers "viii-ix"). */
bool scn_label_valid(const char *label);
bool scn_label_covers(const char *range, const char *label);

/* The default timeout of a step kind (wait and call), in ms. */
unsigned int scn_step_timeout_ms(const struct scn_step *st);
/* Cap every step's timeout at ms (0: no cap): `rsplab run --max-wait`, for smoke runs and tests. */
void scn_set_timeout_cap_ms(unsigned int ms);
