/* Topology file parser and writer (see topo.h; the format is documented in scenarios/README.md). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include "harness/pki.h"
#include "harness/run/lex.h"
#include "harness/run/topo.h"
#include "lib/esnet/esnet.h"

const struct value_string topo_kind_names[] = {
	{ TOPO_OSMO_STP, "osmo-stp" }, { TOPO_OSMO_HLR, "osmo-hlr" },
	{ TOPO_OSMO_MSC, "osmo-msc" }, { TOPO_KANNEL, "kannel" },
	{ TOPO_SMSR, "smsr" },	       { TOPO_SMDP, "smdp" },
	{ TOPO_DEVICE, "device" },     { TOPO_EUICC, "euicc" },
	{ TOPO_MNO, "mno" },	       { 0, NULL },
};

const struct value_string topo_mode_names[] = {
	{ TOPO_BUILTIN, "builtin" },
	{ TOPO_EXTERNAL, "external" },
	{ 0, NULL },
};

const struct value_string topo_operator_names[] = {
	{ TOPO_OP_NONE, "none" },
	{ TOPO_OP_MNO1, "mno1" },
	{ TOPO_OP_MNO2, "mno2" },
	{ 0, NULL },
};

#define K(x) (1u << (x))
#define K_SERVERS                                                                                                \
	(K(TOPO_OSMO_STP) | K(TOPO_OSMO_HLR) | K(TOPO_OSMO_MSC) | K(TOPO_KANNEL) | K(TOPO_SMSR) | K(TOPO_SMDP) | \
	 K(TOPO_MNO))
#define K_ALL	   ((1u << TOPO_KIND__COUNT) - 1)
#define K_ES	   (K(TOPO_SMSR) | K(TOPO_SMDP))
#define K_OPERATOR (K(TOPO_OSMO_HLR) | K(TOPO_OSMO_MSC) | K(TOPO_KANNEL) | K(TOPO_SMSR) | K(TOPO_SMDP) | K(TOPO_MNO))

enum topo_key {
	TK_ADDR,
	TK_PORT,
	TK_CONFIG,
	TK_OPERATOR,
	TK_ENTITY,
	TK_URL,
	TK_CA,
	TK_CERT,
	TK_KEY,
	TK_EID,
	TK_DEVICE,
	TK_TIMEOUT,
	TK_POR_TIMEOUT,
	TK_ES5,
	TK_NEEDS,
	TK__COUNT,
};

/* Which kinds may carry a key in each mode, and which must. */
static const struct {
	const char *name;
	unsigned int builtin_allowed, builtin_required, external_allowed, external_required;
} topo_keys[TK__COUNT] = {
	[TK_ADDR] = { "addr", K_ALL, K_SERVERS, 0, 0 },
	[TK_PORT] = { "port", K_ALL, K_SERVERS, 0, 0 },
	[TK_CONFIG] = { "config", K_ALL, 0, 0, 0 },
	[TK_OPERATOR] = { "operator", K_OPERATOR, K_OPERATOR, K_ES, K_ES },
	[TK_ENTITY] = { "entity", K_ES | K(TOPO_MNO), K_ES | K(TOPO_MNO), K_ES, K_ES },
	[TK_URL] = { "url", 0, 0, K_ES, K_ES },
	[TK_CA] = { "ca", 0, 0, K_ES, K_ES },
	[TK_CERT] = { "cert", 0, 0, K_ES, K_ES },
	[TK_KEY] = { "key", 0, 0, K_ES, K_ES },
	[TK_EID] = { "eid", K(TOPO_EUICC), K(TOPO_EUICC), 0, 0 },
	[TK_DEVICE] = { "device", K(TOPO_EUICC), 0, 0, 0 }, /* none: a card in no device (initialised, not served) */
	[TK_TIMEOUT] = { "timeout", K_ALL, 0, 0, 0 },
	[TK_POR_TIMEOUT] = { "por-timeout", K(TOPO_SMSR), 0, 0, 0 },
	[TK_ES5] = { "es5", K(TOPO_SMSR), 0, 0, 0 },
	[TK_NEEDS] = { "needs", K_ALL, 0, K_ALL, 0 },
};

/* Readiness bounds per kind (net.c uses the same 5 s / 10 s for the Osmocom daemons and Kannel). */
static const unsigned int topo_default_timeout_ms[TOPO_KIND__COUNT] = {
	[TOPO_OSMO_STP] = 5000, [TOPO_OSMO_HLR] = 5000, [TOPO_OSMO_MSC] = 10000,
	[TOPO_KANNEL] = 10000,	[TOPO_SMSR] = 5000,	[TOPO_SMDP] = 5000,
	[TOPO_DEVICE] = 10000,	[TOPO_EUICC] = 5000,	[TOPO_MNO] = 5000,
};

static int topo_fail(struct topo_error *err, unsigned int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int topo_fail(struct topo_error *err, unsigned int line, const char *fmt, ...)
{
	va_list ap;

	err->line = line;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return -EBADMSG;
}

/* A file name or URL: printable, no blanks, no quotes, no backslash. */
static bool topo_val_ok(const char *v)
{
	if (!*v || strlen(v) >= TOPO_VAL_MAX)
		return false;
	for (const char *p = v; *p; p++) {
		unsigned char c = (unsigned char)*p;
		if (c <= ' ' || c >= 0x7f || c == '"' || c == '\'' || c == '\\')
			return false;
	}
	return true;
}

static bool topo_oid_ok(const char *v)
{
	size_t n = strlen(v);

	if (!n || n >= 64 || v[0] == '.' || v[n - 1] == '.' || strstr(v, ".."))
		return false;
	return strspn(v, "0123456789.") == n;
}

static int topo_set_key(struct topo *t, struct topo_comp *c, enum topo_key k, const char *val, unsigned int line,
			struct topo_error *err)
{
	unsigned long u;
	struct in_addr ia;
	struct esnet_url url;
	int v;

	switch (k) {
	case TK_ADDR:
		if (inet_pton(AF_INET, val, &ia) != 1 || strlen(val) >= sizeof(c->addr))
			return topo_fail(err, line, "addr '%s' is not a dotted IPv4 address", val);
		snprintf(c->addr, sizeof(c->addr), "%s", val);
		break;
	case TK_PORT:
		if (lex_uint(val, 1, 65535, &u) < 0)
			return topo_fail(err, line, "port '%s' is not 1..65535", val);
		c->port = (uint16_t)u;
		break;
	case TK_CONFIG:
	case TK_CA:
	case TK_CERT:
	case TK_KEY:
		if (!topo_val_ok(val))
			return topo_fail(err, line, "%s: a path of 1..%d printable characters without blanks or quotes",
					 topo_keys[k].name, TOPO_VAL_MAX - 1);
		snprintf(k == TK_CONFIG ? c->config
			 : k == TK_CA	? c->ca
			 : k == TK_CERT ? c->cert
					: c->key,
			 TOPO_VAL_MAX, "%s", val);
		break;
	case TK_OPERATOR:
		v = get_string_value(topo_operator_names, val);
		if (v <= TOPO_OP_NONE)
			return topo_fail(err, line, "operator '%s': mno1 or mno2", val);
		c->op = (enum topo_operator)v;
		break;
	case TK_ENTITY:
		if (!topo_oid_ok(val))
			return topo_fail(err, line, "entity '%s' is not an OID (digits and dots)", val);
		snprintf(c->entity, sizeof(c->entity), "%s", val);
		break;
	case TK_URL:
		if (!topo_val_ok(val) || esnet_url_parse(val, &url) < 0)
			return topo_fail(err, line, "url '%s' is not http[s]://host[:port][/path]", val);
		if (!url.tls)
			return topo_fail(err, line, "url '%s': an external endpoint is reached over https (mutual TLS)",
					 val);
		snprintf(c->url, sizeof(c->url), "%s", val);
		break;
	case TK_EID:
		if (strlen(val) != 32 || !pki_eid_valid(val))
			return topo_fail(err, line, "eid '%s' is not 32 digits with valid check digits (mod 97 = 1)",
					 val);
		snprintf(c->eid, sizeof(c->eid), "%s", val);
		break;
	case TK_DEVICE: {
		const struct topo_comp *d = topo_find(t, val);
		if (!d || d == c || d->kind != TOPO_DEVICE)
			return topo_fail(err, line, "device '%s' is not a device defined on an earlier line", val);
		snprintf(c->device, sizeof(c->device), "%s", val);
		break;
	}
	case TK_TIMEOUT: {
		unsigned int ms;
		if (lex_duration_ms(val, &ms) < 0 || ms == 0 || ms > 600000)
			return topo_fail(err, line, "timeout '%s': a duration up to 10m with its unit (ms, s, m)", val);
		c->ready_timeout_ms = ms;
		break;
	}
	case TK_POR_TIMEOUT: {
		unsigned int ms;
		if (lex_duration_ms(val, &ms) < 0 || ms < 1000 || ms > 600000 || ms % 1000)
			return topo_fail(err, line, "por-timeout '%s': whole seconds, 1s to 10m (e.g. 15s)", val);
		c->por_timeout_s = ms / 1000;
		break;
	}
	case TK_ES5:
		if (strcmp(val, "https") != 0 && strcmp(val, "sms") != 0)
			return topo_fail(err, line, "es5 '%s': https or sms", val);
		c->es5_https = strcmp(val, "https") == 0;
		c->es5_set = true;
		break;
	case TK_NEEDS: {
		char list[TOPO_VAL_MAX], *save = NULL;
		if (strlen(val) >= sizeof(list))
			return topo_fail(err, line, "needs: list too long");
		snprintf(list, sizeof(list), "%s", val);
		for (char *n = strtok_r(list, ",", &save); n; n = strtok_r(NULL, ",", &save)) {
			const struct topo_comp *d = topo_find(t, n);
			if (!d || d == c)
				return topo_fail(err, line,
						 "needs '%s': not a component defined on an earlier line (start order "
						 "is file order)",
						 n);
			if (c->n_needs == TOPO_NEEDS_MAX)
				return topo_fail(err, line, "needs: at most %d components", TOPO_NEEDS_MAX);
			snprintf(c->needs[c->n_needs++], TOPO_NAME_MAX, "%s", n);
		}
		if (!c->n_needs)
			return topo_fail(err, line, "needs: empty list");
		break;
	}
	case TK__COUNT: break;
	}
	return 0;
}

static int topo_parse_line(struct topo *t, struct lex_line *l, unsigned int line, struct topo_error *err)
{
	struct topo_comp *c;
	bool seen[TK__COUNT] = { false };
	int v;

	if (l->nwords < 3)
		return topo_fail(err, line, "expected NAME KIND builtin|external [KEY=VALUE ...]");
	if (t->n == TOPO_COMP_MAX) {
		topo_fail(err, line, "too many components (at most %d)", TOPO_COMP_MAX);
		return -ENOSPC;
	}
	if (!lex_name_valid(l->word[0], TOPO_NAME_MAX))
		return topo_fail(err, line, "name '%s': [a-z][a-z0-9-]*, at most %d characters", l->word[0],
				 TOPO_NAME_MAX - 1);
	if (topo_find(t, l->word[0]))
		return topo_fail(err, line, "component '%s' defined twice (first on line %u)", l->word[0],
				 topo_find(t, l->word[0])->line);
	c = &t->comp[t->n];
	memset(c, 0, sizeof(*c));
	c->line = line;
	snprintf(c->name, sizeof(c->name), "%s", l->word[0]);
	v = get_string_value(topo_kind_names, l->word[1]);
	if (v < 0)
		return topo_fail(err, line,
				 "kind '%s' unknown (osmo-stp, osmo-hlr, osmo-msc, kannel, smsr, smdp, device, euicc, "
				 "mno)",
				 l->word[1]);
	c->kind = (enum topo_kind)v;
	v = get_string_value(topo_mode_names, l->word[2]);
	if (v < 0)
		return topo_fail(err, line, "mode '%s': builtin or external", l->word[2]);
	c->mode = (enum topo_mode)v;
	if (c->mode == TOPO_EXTERNAL && !(K(c->kind) & K_ES))
		return topo_fail(err, line, "%s cannot be external: only smsr and smdp (a vendor's ES endpoint) can",
				 l->word[1]);
	for (size_t i = 3; i < l->nwords; i++) {
		char *val;
		enum topo_key k;
		unsigned int allowed;

		if (!lex_kv(l->word[i], &val))
			return topo_fail(err, line, "'%s' is not KEY=VALUE", l->word[i]);
		for (k = 0; k < TK__COUNT; k++)
			if (strcmp(topo_keys[k].name, l->word[i]) == 0)
				break;
		if (k == TK__COUNT)
			return topo_fail(err, line, "unknown key '%s'", l->word[i]);
		allowed = c->mode == TOPO_BUILTIN ? topo_keys[k].builtin_allowed : topo_keys[k].external_allowed;
		if (!(allowed & K(c->kind)))
			return topo_fail(err, line, "key '%s' is not allowed for a%s %s %s", l->word[i],
					 c->mode == TOPO_EXTERNAL ? "n" : "", topo_mode_names[c->mode].str,
					 topo_kind_names[c->kind].str);
		if (seen[k])
			return topo_fail(err, line, "key '%s' given twice", l->word[i]);
		seen[k] = true;
		v = topo_set_key(t, c, k, val, line, err);
		if (v < 0)
			return v;
	}
	for (enum topo_key k = 0; k < TK__COUNT; k++) {
		unsigned int req = c->mode == TOPO_BUILTIN ? topo_keys[k].builtin_required
							   : topo_keys[k].external_required;
		if ((req & K(c->kind)) && !seen[k])
			return topo_fail(err, line, "a%s %s %s needs %s=", c->mode == TOPO_EXTERNAL ? "n" : "",
					 topo_mode_names[c->mode].str, topo_kind_names[c->kind].str, topo_keys[k].name);
	}
	t->n++;
	return 0;
}

int topo_parse(const char *text, size_t len, struct topo *out, struct topo_error *err)
{
	static const char *const lex_errs[] = { "line too long", "too many words", "control character" };
	struct lex lx;
	struct lex_line *l = malloc(sizeof(*l));
	int rc;

	memset(err, 0, sizeof(*err));
	out->n = 0;
	if (!l)
		return -ENOMEM;
	lex_init(&lx, text, len);
	while ((rc = lex_next(&lx, l)) == 1) {
		rc = topo_parse_line(out, l, lx.lineno, err);
		if (rc < 0)
			break;
	}
	if (rc < 0 && !err->msg[0])
		topo_fail(err, lx.lineno, "%s", lex_errs[rc == -EMSGSIZE ? 0 : rc == -E2BIG ? 1 : 2]);
	free(l);
	if (rc == 0 && out->n == 0) {
		topo_fail(err, 0, "no components");
		return -EBADMSG;
	}
	return rc < 0 ? rc : 0;
}

const struct topo_comp *topo_find(const struct topo *t, const char *name)
{
	for (size_t i = 0; i < t->n; i++)
		if (strcmp(t->comp[i].name, name) == 0)
			return &t->comp[i];
	return NULL;
}

const struct topo_comp *topo_find_kind(const struct topo *t, enum topo_kind kind, enum topo_operator op)
{
	for (size_t i = 0; i < t->n; i++)
		if (t->comp[i].kind == kind && (op == TOPO_OP_NONE || t->comp[i].op == op))
			return &t->comp[i];
	return NULL;
}

unsigned int topo_ready_timeout_ms(const struct topo_comp *c)
{
	return c->ready_timeout_ms ? c->ready_timeout_ms : topo_default_timeout_ms[c->kind];
}

struct topo_out {
	char *buf;
	size_t cap, n; /* n may exceed cap: then the output did not fit */
};

static void topo_put(struct topo_out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void topo_put(struct topo_out *o, const char *fmt, ...)
{
	va_list ap;
	int w;

	va_start(ap, fmt);
	w = vsnprintf(o->buf + (o->n < o->cap ? o->n : o->cap), o->n < o->cap ? o->cap - o->n : 0, fmt, ap);
	va_end(ap);
	o->n += w > 0 ? (size_t)w : 0;
}

int topo_format(const struct topo *t, char *out, size_t out_len)
{
	struct topo_out o = { out, out_len, 0 };

	if (!out_len)
		return -EMSGSIZE;
	out[0] = '\0';
	for (size_t i = 0; i < t->n; i++) {
		const struct topo_comp *c = &t->comp[i];
		topo_put(&o, "%s %s %s", c->name, topo_kind_names[c->kind].str, topo_mode_names[c->mode].str);
		if (c->op != TOPO_OP_NONE)
			topo_put(&o, " operator=%s", topo_operator_names[c->op].str);
		if (c->addr[0])
			topo_put(&o, " addr=%s", c->addr);
		if (c->port)
			topo_put(&o, " port=%u", c->port);
		if (c->config[0])
			topo_put(&o, " config=%s", c->config);
		if (c->entity[0])
			topo_put(&o, " entity=%s", c->entity);
		if (c->url[0])
			topo_put(&o, " url=%s ca=%s cert=%s key=%s", c->url, c->ca, c->cert, c->key);
		if (c->eid[0])
			topo_put(&o, " eid=%s", c->eid);
		if (c->device[0])
			topo_put(&o, " device=%s", c->device);
		if (c->ready_timeout_ms)
			topo_put(&o, " timeout=%ums", c->ready_timeout_ms);
		if (c->por_timeout_s)
			topo_put(&o, " por-timeout=%us", c->por_timeout_s);
		if (c->es5_set)
			topo_put(&o, " es5=%s", c->es5_https ? "https" : "sms");
		for (size_t j = 0; j < c->n_needs; j++)
			topo_put(&o, "%s%s", j ? "," : " needs=", c->needs[j]);
		topo_put(&o, "\n");
	}
	if (o.n >= out_len)
		return -EMSGSIZE;
	return (int)o.n;
}
