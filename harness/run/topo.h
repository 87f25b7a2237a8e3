/* Topology files (scenarios/topology/<name>.topo; format documented in scenarios/README.md): the
 * components of a run, where they listen, how they are configured, and whether the harness starts
 * them (builtin) or only talks to them (external: a vendor's endpoint).
 *
 *     # NAME      KIND      MODE      KEY=VALUE ...
 *     smsr1       smsr      builtin   operator=mno1 addr=127.0.0.51 port=8441 needs=msc-mno2,kannel
 *     smsr2       smsr      external  operator=mno2 url=https://sr.vendor.example:8443/es
 *                                     ca=vendor-ca.pem cert=our-client.pem key=our-client-key.pem
 *
 * (one component a line; the wrap above is for this comment only). Start order = file order, so
 * `needs=` may only name earlier lines; stop order = reverse. Checked here: names, kinds, modes,
 * every key allowed for the kind and mode, IPv4 addresses, ports, URLs, EIDs (mod 97), references.
 *
 * Trust: the text is UNTRUSTED (a vendor may hand us one). No allocation: the caller owns struct topo
 * (about 40 KiB: allocate it, do not put it on a small stack). Errors carry the 1-based line number.
 * Returns: 0 or a negative errno (-EBADMSG malformed, -ENOSPC too many components). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <osmocom/core/utils.h>

enum topo_kind {
	TOPO_OSMO_STP,
	TOPO_OSMO_HLR,
	TOPO_OSMO_MSC,
	TOPO_KANNEL, /* bearerbox + smsbox: MNO1's SMS gateway (the SM-SR1 Kannel path) */
	TOPO_SMSR,
	TOPO_SMDP,
	TOPO_DEVICE,
	TOPO_EUICC,
	TOPO_MNO, /* an operator's IoT line-management platform: always played by the harness (ES2/ES4 client +
		   * notification endpoint) */
	TOPO_KIND__COUNT,
};
extern const struct value_string topo_kind_names[];

enum topo_mode {
	TOPO_BUILTIN,
	TOPO_EXTERNAL,
};
extern const struct value_string topo_mode_names[];

enum topo_operator {
	TOPO_OP_NONE,
	TOPO_OP_MNO1,
	TOPO_OP_MNO2,
};
extern const struct value_string topo_operator_names[];

#define TOPO_COMP_MAX  24
#define TOPO_NAME_MAX  24
#define TOPO_NEEDS_MAX 6
#define TOPO_VAL_MAX   256

struct topo_comp {
	unsigned int line;
	char name[TOPO_NAME_MAX];
	enum topo_kind kind;
	enum topo_mode mode;
	enum topo_operator op;
	char addr[16];		       /* dotted IPv4, "" = none */
	uint16_t port;		       /* 0 = none */
	char config[TOPO_VAL_MAX];     /* builtin: template under the source tree, "" = the component's default */
	char entity[64];	       /* ES entity id (OID), "" = none */
	char url[TOPO_VAL_MAX];	       /* external: the endpoint */
	char ca[TOPO_VAL_MAX];	       /* external: its CA (PEM) */
	char cert[TOPO_VAL_MAX];       /* external: our client certificate (PEM) */
	char key[TOPO_VAL_MAX];	       /* external: our client key (PEM) */
	char eid[33];		       /* euicc */
	char device[TOPO_NAME_MAX];    /* euicc: the device it sits in */
	unsigned int ready_timeout_ms; /* readiness bound; 0 = the kind's default */
	unsigned int por_timeout_s;    /* smsr: wait for an SMS packet's PoR before retransmitting; 0 = its default */
	bool es5_set, es5_https;       /* smsr: es5=https|sms, the bearer of every eUICC's ES5 scripts */
	char needs[TOPO_NEEDS_MAX][TOPO_NAME_MAX];
	size_t n_needs;
};

struct topo {
	struct topo_comp comp[TOPO_COMP_MAX];
	size_t n;
};

struct topo_error {
	unsigned int line; /* 0: not tied to a line (e.g. a missing component) */
	char msg[200];
};

int topo_parse(const char *text, size_t len, struct topo *out, struct topo_error *err);

/* The component named name, or NULL. */
const struct topo_comp *topo_find(const struct topo *t, const char *name);
/* The first component of a kind (and operator, TOPO_OP_NONE = any), or NULL. */
const struct topo_comp *topo_find_kind(const struct topo *t, enum topo_kind kind, enum topo_operator op);

/* Write t in the file format (canonical key order, no comments): parsing it again gives the same
 * struct except line numbers. Returns the length (without the NUL) or -EMSGSIZE. */
int topo_format(const struct topo *t, char *out, size_t out_len);

/* The readiness bound used for c (its own or the kind's default), in ms. */
unsigned int topo_ready_timeout_ms(const struct topo_comp *c);
