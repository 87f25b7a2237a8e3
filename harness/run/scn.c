/* Scenario file parser and validator (see scn.h; the format is documented in scenarios/README.md). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/pki.h"
#include "harness/run/lex.h"
#include "harness/run/scn.h"
#include "lib/ramhttp/ramhttp.h"
#include "lib/es/es_desc.h"

const struct value_string scn_flag_names[] = {
	{ SCN_O_SMS, "O_SMS" },		  { SCN_O_SMPP, "O_SMPP" },	      { SCN_O_KANNEL, "O_KANNEL" },
	{ SCN_O_HTTPS, "O_HTTPS" },	  { SCN_O_CAT_TP, "O_CAT_TP" },	      { SCN_O_SMSR_CHANGE, "O_SMSR_CHANGE" },
	{ SCN_O_DOWNLOAD, "O_DOWNLOAD" }, { SCN_O_POL1, "O_POL1" },	      { SCN_O_ROLLBACK, "O_ROLLBACK" },
	{ SCN_O_ROAMING, "O_ROAMING" },	  { SCN_O_BRAINPOOL, "O_BRAINPOOL" }, { 0, NULL },
};

const struct value_string scn_flag_descr[] = {
	{ SCN_O_SMS, "SCP80 secured packets over SMS" },
	{ SCN_O_SMPP, "an SM-SR bound to the SMSC over SMPP" },
	{ SCN_O_KANNEL, "an SM-SR sending through Kannel's sendsms interface" },
	{ SCN_O_HTTPS, "SCP81: push SMS, BIP channel, PSK-TLS (HTTPS)" },
	{ SCN_O_CAT_TP, "CAT_TP transport" },
	{ SCN_O_SMSR_CHANGE, "SM-SR Change (ES4 + ES7)" },
	{ SCN_O_DOWNLOAD, "profile download (ES2 + ES3 + ES8)" },
	{ SCN_O_POL1, "POL1 rules on the eUICC" },
	{ SCN_O_ROLLBACK, "connectivity-failure rollback (SGP.02 3.2.2)" },
	{ SCN_O_ROAMING, "a device attached through a visited network" },
	{ SCN_O_BRAINPOOL, "brainpoolP256r1 credentials" },
	{ 0, NULL },
};

const struct value_string scn_init_kind_names[] = {
	{ SCN_INIT_PROFILE, "profile" },
	{ SCN_INIT_EIS, "eis" },
	{ SCN_INIT_ATTACH, "attach" },
	{ SCN_INIT_CREDENTIAL, "credential" },
	{ 0, NULL },
};

const struct value_string scn_pol1_names[] = {
	{ SCN_POL1_NONE, "none" },
	{ SCN_POL1_DISABLE_NOT_ALLOWED, "disable-not-allowed" },
	{ SCN_POL1_DELETE_WHEN_DISABLED, "delete-when-disabled" },
	{ 0, NULL },
};

const struct value_string scn_step_kind_names[] = {
	{ SCN_STEP_CALL, "call" },
	{ SCN_STEP_WAIT_RESPONSE, "wait response" },
	{ SCN_STEP_WAIT_NOTIFICATION, "wait notification" },
	{ SCN_STEP_WAIT_MESSAGE, "wait message" },
	{ SCN_STEP_WAIT_ATTACH, "wait attach" },
	{ SCN_STEP_FAULT, "fault" },
	{ 0, NULL },
};

const struct value_string scn_fault_names[] = {
	{ SCN_FAULT_NONE, "none" },	      { SCN_FAULT_DROP_SMS, "drop-sms" },
	{ SCN_FAULT_DELAY_SMS, "delay-sms" }, { SCN_FAULT_FAIL_ATTACH, "fail-attach" },
	{ SCN_FAULT_KILL, "kill" },	      { SCN_FAULT_RESTART, "restart" },
	{ SCN_FAULT_CUT_BIP, "cut-bip" },     { 0, NULL },
};

const struct value_string scn_sms_path_names[] = {
	{ SCN_PATH_NONE, "none" },
	{ SCN_PATH_KANNEL, "kannel" },
	{ SCN_PATH_SMPP, "smpp" },
	{ 0, NULL },
};

const struct value_string scn_expect_kind_names[] = {
	{ SCN_EXP_RESPONSES, "responses" },
	{ SCN_EXP_EIS, "eis" },
	{ SCN_EXP_PROFILE, "profile" },
	{ SCN_EXP_KEYSETS, "keysets" },
	{ SCN_EXP_ATTACHED, "attached" },
	{ SCN_EXP_NOTIFICATION, "notification" },
	{ SCN_EXP_DURATION, "duration" },
	{ SCN_EXP_CARD_NOTIF, "card-notification" },
	{ 0, NULL },
};

#define SCN_DEFAULT_TIMEOUT_MS (10 * 60 * 1000)

static int scn_fail(struct scn_error *err, unsigned int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int scn_fail(struct scn_error *err, unsigned int line, const char *fmt, ...)
{
	va_list ap;

	err->line = line;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return -EBADMSG;
}

/* ---- labels -------------------------------------------------------------------------------------- */

/* Rank of a single label within its family: 1..6 (article SM-SR Change steps), 101..109 (i..ix). */
static int scn_label_rank(const char *s, size_t n)
{
	static const char *const roman[] = { "i", "ii", "iii", "iv", "v", "vi", "vii", "viii", "ix" };

	if (n == 1 && s[0] >= '1' && s[0] <= '6')
		return s[0] - '0';
	for (int i = 0; i < 9; i++)
		if (strlen(roman[i]) == n && strncmp(roman[i], s, n) == 0)
			return 101 + i;
	return -1;
}

static bool scn_label_range(const char *label, int *lo, int *hi)
{
	const char *dash = strchr(label, '-');

	if (strcmp(label, "-") == 0)
		return false;
	if (!dash) {
		*lo = *hi = scn_label_rank(label, strlen(label));
		return *lo > 0;
	}
	*lo = scn_label_rank(label, (size_t)(dash - label));
	*hi = scn_label_rank(dash + 1, strlen(dash + 1));
	return *lo > 0 && *hi > *lo && (*lo > 100) == (*hi > 100);
}

bool scn_label_valid(const char *label)
{
	int lo, hi;

	return strcmp(label, "-") == 0 || scn_label_range(label, &lo, &hi);
}

bool scn_label_covers(const char *range, const char *label)
{
	int rlo, rhi, llo, lhi;

	if (strcmp(range, "all") == 0)
		return true;
	if (!scn_label_range(range, &rlo, &rhi) || !scn_label_range(label, &llo, &lhi))
		return false;
	return llo >= rlo && lhi <= rhi;
}

static unsigned int timeout_cap_ms; /* 0: none (rsplab run --max-wait) */

void scn_set_timeout_cap_ms(unsigned int ms)
{
	timeout_cap_ms = ms;
}

unsigned int scn_step_timeout_ms(const struct scn_step *st)
{
	unsigned int ms;

	if (st->timeout_ms) {
		ms = st->timeout_ms;
	} else {
		switch (st->kind) {
		case SCN_STEP_CALL:
		case SCN_STEP_WAIT_RESPONSE: ms = 120000; break;
		case SCN_STEP_WAIT_ATTACH: ms = 60000; break;
		default: ms = 60000; break;
		}
	}
	return timeout_cap_ms && ms > timeout_cap_ms ? timeout_cap_ms : ms;
}

/* ---- value checks --------------------------------------------------------------------------------- */

static bool digits(const char *s, size_t min, size_t max)
{
	size_t n = strlen(s);

	return n >= min && n <= max && strspn(s, "0123456789") == n;
}

static bool copy(char *dst, size_t cap, const char *src)
{
	if (strlen(src) >= cap)
		return false;
	memcpy(dst, src, strlen(src) + 1);
	return true;
}

static int parse_status(const char *v, int *out)
{
	int s;

	if (strcmp(v, "any") == 0) {
		*out = SCN_EXPECT_ANY;
		return 0;
	}
	s = get_string_value(es_status_names, v);
	if (s <= 0)
		return -EINVAL;
	*out = s;
	return 0;
}

static const struct es_msg_info *msg_by_name(const char *name)
{
	for (int i = 0; i < ES_MSG__COUNT; i++)
		if (es_msgs[i].kind != ES_KIND_RESPONSE && strcmp(es_msgs[i].name, name) == 0)
			return &es_msgs[i];
	return NULL;
}

/* A status code "8.1.1" (digits and dots) */
static bool code_ok(const char *v)
{
	size_t n = strlen(v);

	return n && n < 16 && v[0] != '.' && v[n - 1] != '.' && strspn(v, "0123456789.") == n && !strstr(v, "..");
}

/* Check an ES request field: known element, settable kind, value form. */
static int check_field(const struct es_msg_info *mi, const char *name, const char *val, unsigned int line,
		       struct scn_error *err)
{
	const struct es_type *t = mi->type;

	for (unsigned int i = 0; i < t->n_fields; i++) {
		const struct es_field *f = &t->fields[i];
		if (strcmp(f->name, name) != 0)
			continue;
		if (strcmp(name, "FunctionCallIdentifier") == 0 || strcmp(name, "ValidityPeriod") == 0)
			return scn_fail(err, line,
					"%s is set by the harness (use validity= for ValidityPeriod; the call "
					"identifier "
					"is generated)",
					name);
		if (val[0] == '@') {
			if (!lex_name_valid(val + 1, SCN_NAME_MAX))
				return scn_fail(err, line, "%s=%s: a reference is @ and a component or card name", name,
						val);
			return 0;
		}
		switch (f->kind) {
		case ES_K_STRUCT:
			return scn_fail(err, line,
					"%s is a structure: only a reference (@card: the harness builds it) can fill "
					"it",
					name);
		case ES_K_HEX:
		case ES_K_AHEX: {
			size_t n = strlen(val);
			if (!n || n % 2 || strspn(val, "0123456789abcdefABCDEF") != n)
				return scn_fail(err, line, "%s=%s: hex digits, an even number of them", name, val);
			return 0;
		}
		case ES_K_INT:
			if (!digits(val, 1, 18))
				return scn_fail(err, line, "%s=%s: a non-negative integer", name, val);
			return 0;
		case ES_K_BOOL:
			if (strcmp(val, "true") != 0 && strcmp(val, "false") != 0)
				return scn_fail(err, line, "%s=%s: true or false", name, val);
			return 0;
		case ES_K_ENUM:
			if (get_string_value(f->names, val) < 0)
				return scn_fail(err, line, "%s=%s: not a value of its enumeration", name, val);
			return 0;
		default: return 0;
		}
	}
	return scn_fail(err, line, "%s has no element %s (lib/es field list)", mi->name, name);
}

/* ---- header ------------------------------------------------------------------------------------- */

static bool id_ok(const char *id)
{
	/* TC.<PART>[.<PART>...].<n>: parts [A-Z0-9_]+, the last one a number (SGP.11 style, digest §7) */
	size_t n = strlen(id), parts = 0;
	const char *p = id, *last = NULL;

	if (n < 6 || n >= SCN_ID_MAX || strncmp(id, "TC.", 3) != 0)
		return false;
	p = id + 3;
	while (*p) {
		size_t len = strspn(p, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_");
		if (!len || (p[len] != '.' && p[len] != '\0'))
			return false;
		last = p;
		parts++;
		p += len + (p[len] == '.');
		if (p[-1] == '.' && !*p)
			return false;
	}
	return parts >= 2 && last && strspn(last, "0123456789") == strlen(last);
}

static int parse_header(struct scn *s, struct lex_line *l, unsigned int line, uint32_t *seen, struct scn_error *err)
{
	static const char *const keys[] = { "id", "title", "section", "applies", "topology", "timeout" };
	size_t k;

	for (k = 0; k < sizeof(keys) / sizeof(keys[0]); k++)
		if (strcmp(l->word[0], keys[k]) == 0)
			break;
	if (k == sizeof(keys) / sizeof(keys[0]))
		return scn_fail(err, line,
				"unknown header '%s' (id, title, section, applies, topology, timeout; then [initial], "
				"[steps], [expect])",
				l->word[0]);
	if (*seen & (1u << k))
		return scn_fail(err, line, "header '%s' given twice", l->word[0]);
	*seen |= 1u << k;
	if (l->nwords < 2)
		return scn_fail(err, line, "header '%s' needs a value", l->word[0]);
	switch (k) {
	case 0:
		if (l->nwords != 2 || !id_ok(l->word[1]))
			return scn_fail(err, line,
					"id '%s': SGP.11 style TC.<PART>.<PART>.<n>, e.g. TC.PROC.SMSRCHANGE.1",
					l->rest1);
		copy(s->id, sizeof(s->id), l->word[1]);
		break;
	case 1:
		if (!copy(s->title, sizeof(s->title), l->rest1))
			return scn_fail(err, line, "title longer than %d characters", SCN_TITLE_MAX - 1);
		break;
	case 2:
		for (size_t i = 1; i < l->nwords; i++)
			if (!code_ok(l->word[i]))
				return scn_fail(err, line, "section '%s': SGP.02 section numbers (3.8, 3.1.1 ...)",
						l->word[i]);
		if (!copy(s->section, sizeof(s->section), l->rest1))
			return scn_fail(err, line, "section list too long");
		break;
	case 3:
		for (size_t i = 1; i < l->nwords; i++) {
			int f = get_string_value(scn_flag_names, l->word[i]);
			if (f < 0)
				return scn_fail(err, line, "applicability flag '%s' unknown (see scenarios/README.md)",
						l->word[i]);
			s->flags |= 1u << f;
		}
		break;
	case 4:
		if (l->nwords != 2 || !lex_name_valid(l->word[1], SCN_NAME_MAX))
			return scn_fail(err, line, "topology: a name under scenarios/topology/ without .topo");
		copy(s->topology, sizeof(s->topology), l->word[1]);
		break;
	case 5:
		if (l->nwords != 2 || lex_duration_ms(l->word[1], &s->timeout_ms) < 0 || !s->timeout_ms)
			return scn_fail(err, line, "timeout '%s': a duration with its unit (30s, 5m)", l->rest1);
		break;
	}
	return 0;
}

/* ---- key=value arguments ------------------------------------------------------------------------------ */

struct scn_args {
	char *key[LEX_WORDS_MAX], *val[LEX_WORDS_MAX];
	bool used[LEX_WORDS_MAX];
	size_t n;
	char *bare[LEX_WORDS_MAX]; /* words without '=' */
	size_t n_bare;
};

static int split_args(struct lex_line *l, size_t from, struct scn_args *a, unsigned int line, struct scn_error *err)
{
	memset(a, 0, sizeof(*a));
	for (size_t i = from; i < l->nwords; i++) {
		char *val;
		if (lex_kv(l->word[i], &val)) {
			for (size_t j = 0; j < a->n; j++)
				if (strcmp(a->key[j], l->word[i]) == 0)
					return scn_fail(err, line, "%s= given twice", l->word[i]);
			a->key[a->n] = l->word[i];
			a->val[a->n++] = val;
		} else {
			a->bare[a->n_bare++] = l->word[i];
		}
	}
	return 0;
}

static const char *arg(struct scn_args *a, const char *key)
{
	for (size_t i = 0; i < a->n; i++) {
		if (strcmp(a->key[i], key) == 0) {
			a->used[i] = true;
			return a->val[i];
		}
	}
	return NULL;
}

/* Every key=value must have been consumed; words without '=' are errors unless allowed. */
static int args_done(struct scn_args *a, size_t bare_allowed, unsigned int line, struct scn_error *err)
{
	for (size_t i = 0; i < a->n; i++)
		if (!a->used[i])
			return scn_fail(err, line, "unexpected %s=", a->key[i]);
	if (a->n_bare > bare_allowed)
		return scn_fail(err, line, "unexpected word '%s'", a->bare[bare_allowed]);
	return 0;
}

static int need_name(char *dst, const char *v, const char *what, unsigned int line, struct scn_error *err)
{
	if (!v)
		return scn_fail(err, line, "%s= missing", what);
	if (!lex_name_valid(v, SCN_NAME_MAX))
		return scn_fail(err, line, "%s=%s: not a component name", what, v);
	copy(dst, SCN_NAME_MAX, v);
	return 0;
}

static int opt_duration(struct scn_args *a, const char *key, unsigned int *ms, unsigned int line, struct scn_error *err)
{
	const char *v = arg(a, key);

	if (v && (lex_duration_ms(v, ms) < 0 || !*ms))
		return scn_fail(err, line, "%s=%s: a duration with its unit (250ms, 30s, 2m)", key, v);
	return 0;
}

static int need_imsi(char *dst, const char *v, unsigned int line, struct scn_error *err)
{
	if (!v || !digits(v, 6, 15))
		return scn_fail(err, line, "imsi=%s: 6..15 digits", v ? v : "(missing)");
	copy(dst, 16, v);
	return 0;
}

static int need_count(struct scn_args *a, unsigned int *out, unsigned long min, unsigned int line,
		      struct scn_error *err)
{
	const char *v = arg(a, "count");
	unsigned long u;

	if (!v || lex_uint(v, min, 1000, &u) < 0)
		return scn_fail(err, line, "count=%s: %lu..1000", v ? v : "(missing)", min);
	*out = (unsigned int)u;
	return 0;
}

/* ---- [initial] ------------------------------------------------------------------------------------- */

static int parse_init(struct scn *s, struct lex_line *l, unsigned int line, struct scn_error *err)
{
	struct scn_init *in;
	struct scn_args a;
	int k = get_string_value(scn_init_kind_names, l->word[0]), rc;
	const char *v;

	if (k < 0)
		return scn_fail(err, line, "unknown initial state '%s' (profile, eis, attach, credential)", l->word[0]);
	if (s->n_init == SCN_INIT_MAX) {
		scn_fail(err, line, "too many [initial] lines (at most %d)", SCN_INIT_MAX);
		return -ENOSPC;
	}
	in = &s->init[s->n_init];
	memset(in, 0, sizeof(*in));
	in->line = line;
	in->kind = (enum scn_init_kind)k;
	if (l->nwords < 2 || !lex_name_valid(l->word[1], SCN_NAME_MAX))
		return scn_fail(err, line, "%s: the second word names a card, device or component", l->word[0]);
	copy(in->subject, sizeof(in->subject), l->word[1]);
	switch (in->kind) {
	case SCN_INIT_PROFILE:
		if (l->nwords < 4 || !digits(l->word[2], 18, 20))
			return scn_fail(err, line, "profile CARD ICCID STATE ...: ICCID of 18..20 digits");
		copy(in->iccid, sizeof(in->iccid), l->word[2]);
		k = get_string_value(es_profile_state_names, l->word[3]);
		if (k <= 0)
			return scn_fail(err, line, "profile state '%s': Enabled, Disabled or Created", l->word[3]);
		in->state = (enum es_profile_state)k;
		rc = split_args(l, 4, &a, line, err);
		if (rc < 0)
			return rc;
		v = arg(&a, "operator");
		if (!v || get_string_value(topo_operator_names, v) <= TOPO_OP_NONE)
			return scn_fail(err, line, "profile: operator=mno1|mno2");
		copy(in->op, sizeof(in->op), v);
		rc = need_imsi(in->imsi, arg(&a, "imsi"), line, err);
		if (rc < 0)
			return rc;
		v = arg(&a, "smdp");
		if (v && need_name(in->where, v, "smdp", line, err) < 0)
			return -EBADMSG;
		v = arg(&a, "pol1");
		if (v) {
			k = get_string_value(scn_pol1_names, v);
			if (k < 0)
				return scn_fail(err, line, "pol1=%s: none, disable-not-allowed or delete-when-disabled",
						v);
			in->pol1 = (enum scn_pol1)k;
		}
		break;
	case SCN_INIT_EIS:
		rc = split_args(l, 2, &a, line, err);
		if (rc < 0 || (rc = need_name(in->where, arg(&a, "at"), "at", line, err)) < 0)
			return rc;
		in->carriage = -1;
		v = arg(&a, "notify");
		if (v && strcmp(v, "sms") != 0 && strcmp(v, "https") != 0)
			return scn_fail(err, line, "eis: notify=sms|https");
		in->notify_https = v && strcmp(v, "https") == 0;
		v = arg(&a, "carriage");
		if (v) {
			in->carriage = get_string_value(ramhttp_notif_carriage_names, v);
			if (in->carriage < 0 || !in->notify_https)
				return scn_fail(err, line, "eis: carriage=uri-msg|body, with notify=https");
		}
		break;
	case SCN_INIT_ATTACH:
		rc = split_args(l, 2, &a, line, err);
		if (rc < 0 || (rc = need_imsi(in->imsi, arg(&a, "imsi"), line, err)) < 0 ||
		    (rc = need_name(in->where, arg(&a, "hlr"), "hlr", line, err)) < 0)
			return rc;
		break;
	case SCN_INIT_CREDENTIAL:
		rc = split_args(l, 2, &a, line, err);
		if (rc < 0)
			return rc;
		v = arg(&a, "issuer");
		if (!v || (strcmp(v, "ci") != 0 && strcmp(v, "rogue") != 0))
			return scn_fail(err, line, "credential: issuer=ci|rogue");
		in->rogue = strcmp(v, "rogue") == 0;
		break;
	}
	rc = args_done(&a, 0, line, err);
	if (rc < 0)
		return rc;
	s->n_init++;
	return 0;
}

/* ---- [steps] ------------------------------------------------------------------------------------- */

static int parse_call(struct scn *s, struct scn_step *st, struct lex_line *l, unsigned int line, struct scn_error *err)
{
	const struct es_msg_info *mi;
	struct scn_args a;
	const char *v;
	int rc;

	if (l->nwords < 3)
		return scn_fail(err, line, "call FUNCTION to=COMPONENT as=MNO|eum ...");
	mi = msg_by_name(l->word[2]);
	if (!mi || mi->kind != ES_KIND_REQUEST)
		return scn_fail(err, line, "'%s' is not an ES function of lib/es's registry (e.g. ES4-SMSRChange)",
				l->word[2]);
	if (mi->iface != 1 && mi->iface != 2 && mi->iface != 4)
		return scn_fail(err, line, "%s: the harness calls as an operator (ES2, ES4) or the EUM (ES1) only",
				mi->name);
	st->msg = mi->id;
	rc = split_args(l, 3, &a, line, err);
	if (rc < 0 || (rc = need_name(st->target, arg(&a, "to"), "to", line, err)) < 0)
		return rc;
	v = arg(&a, "as");
	if (!v)
		return scn_fail(err, line, "as= missing (an mno component, or eum for ES1)");
	if ((mi->iface == 1) != (strcmp(v, "eum") == 0))
		return scn_fail(err, line, "as=%s: ES1 is called as eum, ES2/ES4 as an operator", v);
	if (need_name(st->peer, v, "as", line, err) < 0)
		return -EBADMSG;
	if ((rc = opt_duration(&a, "timeout", &st->timeout_ms, line, err)) < 0)
		return rc;
	v = arg(&a, "validity");
	if (v) {
		unsigned int ms;
		if (lex_duration_ms(v, &ms) < 0 || ms < 1000 || ms % 1000)
			return scn_fail(err, line, "validity=%s: whole seconds (ValidityPeriod), at least 1s", v);
		st->validity_s = ms / 1000;
	}
	st->expect = ES_STATUS_EXECUTED_SUCCESS;
	v = arg(&a, "expect");
	if (v && parse_status(v, &st->expect) < 0)
		return scn_fail(err, line, "expect=%s: EXECUTED_SUCCESS, EXECUTED_WITHWARNING, FAILED, EXPIRED or any",
				v);
	v = arg(&a, "subject");
	if (v && (!code_ok(v) || !copy(st->subject, sizeof(st->subject), v)))
		return scn_fail(err, line, "subject=%s: a status code like 8.1.1", v);
	v = arg(&a, "reason");
	if (v && (!code_ok(v) || !copy(st->reason, sizeof(st->reason), v)))
		return scn_fail(err, line, "reason=%s: a status code like 3.8", v);
	if ((st->subject[0] || st->reason[0]) && st->expect != ES_STATUS_FAILED && st->expect != ES_STATUS_EXPIRED &&
	    st->expect != ES_STATUS_EXECUTED_WITHWARNING)
		return scn_fail(err, line, "subject=/reason= need expect=FAILED, EXPIRED or EXECUTED_WITHWARNING");
	/* the remaining key=value words are the request's elements */
	for (size_t i = 0; i < a.n; i++) {
		if (a.used[i])
			continue;
		if (st->n_fields == SCN_FIELDS_MAX) {
			scn_fail(err, line, "too many fields (at most %d)", SCN_FIELDS_MAX);
			return -ENOSPC;
		}
		rc = check_field(mi, a.key[i], a.val[i], line, err);
		if (rc < 0)
			return rc;
		if (!copy(st->field[st->n_fields].name, sizeof(st->field[0].name), a.key[i]) ||
		    !copy(st->field[st->n_fields].value, sizeof(st->field[0].value), a.val[i]))
			return scn_fail(err, line, "%s: value too long", a.key[i]);
		st->n_fields++;
		a.used[i] = true;
	}
	/* mandatory elements (minOccurs >= 1) except the ones the harness fills */
	for (unsigned int i = 0; i < mi->type->n_fields; i++) {
		const struct es_field *f = &mi->type->fields[i];
		bool given = false;
		if (f->min == 0 || strcmp(f->name, "FunctionCallIdentifier") == 0)
			continue;
		for (size_t j = 0; j < st->n_fields; j++)
			given |= strcmp(st->field[j].name, f->name) == 0;
		if (!given)
			return scn_fail(err, line, "%s needs %s= (mandatory in the schema)", mi->name, f->name);
	}
	for (size_t i = 0; i < a.n_bare; i++) {
		if (strcmp(a.bare[i], "nowait") != 0 || st->nowait)
			return scn_fail(err, line, "unexpected word '%s'", a.bare[i]);
		st->nowait = true;
	}
	if (st->nowait && mi->async == false)
		return scn_fail(err, line, "nowait: %s is synchronous", mi->name);
	(void)s;
	return 0;
}

static bool call_pending(const struct scn *s, enum es_msg_id id)
{
	bool pending = false;

	for (size_t i = 0; i < s->n_steps; i++) {
		if (s->step[i].msg != id)
			continue;
		if (s->step[i].kind == SCN_STEP_CALL)
			pending = s->step[i].nowait;
		else if (s->step[i].kind == SCN_STEP_WAIT_RESPONSE)
			pending = false;
	}
	return pending;
}

static int parse_wait(struct scn *s, struct scn_step *st, struct lex_line *l, unsigned int line, struct scn_error *err)
{
	const struct es_msg_info *mi = NULL;
	struct scn_args a;
	int rc;

	if (l->nwords < 4)
		return scn_fail(err, line, "wait response|notification|message|attach NAME ...");
	if (strcmp(l->word[2], "response") != 0 && strcmp(l->word[2], "notification") != 0 &&
	    strcmp(l->word[2], "message") != 0 && strcmp(l->word[2], "attach") != 0)
		return scn_fail(err, line, "wait %s: response, notification, message or attach", l->word[2]);
	if (strcmp(l->word[2], "attach") != 0) {
		mi = msg_by_name(l->word[3]);
		if (!mi)
			return scn_fail(err, line, "'%s' is not an ES message of lib/es's registry", l->word[3]);
		st->msg = mi->id;
	}
	rc = split_args(l, 4, &a, line, err);
	if (rc < 0 || (rc = opt_duration(&a, "timeout", &st->timeout_ms, line, err)) < 0)
		return rc;
	if (strcmp(l->word[2], "response") == 0) {
		st->kind = SCN_STEP_WAIT_RESPONSE;
		if (mi->kind != ES_KIND_REQUEST)
			return scn_fail(err, line, "wait response names the function called (%s is a notification)",
					mi->name);
		if (!call_pending(s, mi->id))
			return scn_fail(err, line, "wait response %s: no earlier 'call %s ... nowait' waits for it",
					mi->name, mi->name);
		for (size_t i = s->n_steps; i-- > 0;) {
			if (s->step[i].kind == SCN_STEP_CALL && s->step[i].msg == mi->id) {
				st->expect = s->step[i].expect;
				memcpy(st->subject, s->step[i].subject, sizeof(st->subject));
				memcpy(st->reason, s->step[i].reason, sizeof(st->reason));
				memcpy(st->target, s->step[i].target, sizeof(st->target));
				break;
			}
		}
	} else if (strcmp(l->word[2], "notification") == 0) {
		st->kind = SCN_STEP_WAIT_NOTIFICATION;
		if (mi->kind != ES_KIND_NOTIFICATION || (mi->iface != 2 && mi->iface != 4))
			return scn_fail(err, line, "%s is not an ES2/ES4 notification (what an operator receives)",
					mi->name);
		if ((rc = need_name(st->target, arg(&a, "to"), "to", line, err)) < 0)
			return rc;
	} else if (strcmp(l->word[2], "message") == 0) {
		st->kind = SCN_STEP_WAIT_MESSAGE;
		if ((rc = need_name(st->target, arg(&a, "from"), "from", line, err)) < 0 ||
		    (rc = need_name(st->peer, arg(&a, "to"), "to", line, err)) < 0)
			return rc;
	} else {
		st->kind = SCN_STEP_WAIT_ATTACH;
		if (!lex_name_valid(l->word[3], SCN_NAME_MAX))
			return scn_fail(err, line, "wait attach DEVICE imsi=IMSI hlr=HLR");
		copy(st->target, sizeof(st->target), l->word[3]);
		if ((rc = need_imsi(st->imsi, arg(&a, "imsi"), line, err)) < 0 ||
		    (rc = need_name(st->peer, arg(&a, "hlr"), "hlr", line, err)) < 0)
			return rc;
	}
	return args_done(&a, 0, line, err);
}

static int parse_fault(struct scn_step *st, struct lex_line *l, unsigned int line, struct scn_error *err)
{
	struct scn_args a;
	const char *v;
	unsigned long u;
	int k, rc;

	k = l->nwords >= 3 ? get_string_value(scn_fault_names, l->word[2]) : -1;
	if (k <= SCN_FAULT_NONE)
		return scn_fail(err, line, "fault drop-sms|delay-sms|fail-attach|kill|restart|cut-bip ...");
	st->fault = (enum scn_fault)k;
	rc = split_args(l, 3, &a, line, err);
	if (rc < 0)
		return rc;
	switch (st->fault) {
	case SCN_FAULT_DROP_SMS:
	case SCN_FAULT_DELAY_SMS:
		v = arg(&a, "path");
		k = v ? get_string_value(scn_sms_path_names, v) : -1;
		if (k <= SCN_PATH_NONE)
			return scn_fail(err, line, "%s: path=kannel|smpp", l->word[2]);
		st->path = (enum scn_sms_path)k;
		if (st->fault == SCN_FAULT_DROP_SMS)
			rc = need_count(&a, &st->count, 1, line, err);
		else if (!arg(&a, "by"))
			rc = scn_fail(err, line, "delay-sms: by=DURATION");
		else
			rc = opt_duration(&a, "by", &st->by_ms, line, err);
		break;
	case SCN_FAULT_FAIL_ATTACH: {
		const char *imsi = arg(&a, "imsi"); /* optional: only that IMSI's attaches are refused */
		rc = need_name(st->target, arg(&a, "device"), "device", line, err);
		if (rc == 0)
			rc = need_count(&a, &st->count, 1, line, err);
		if (rc == 0 && imsi)
			rc = need_imsi(st->imsi, imsi, line, err);
		break;
	}
	case SCN_FAULT_KILL:
	case SCN_FAULT_RESTART:
		if (a.n_bare != 1 || !lex_name_valid(a.bare[0], SCN_NAME_MAX))
			return scn_fail(err, line, "fault %s COMPONENT", l->word[2]);
		copy(st->target, sizeof(st->target), a.bare[0]);
		return args_done(&a, 1, line, err);
	case SCN_FAULT_CUT_BIP:
		rc = need_name(st->target, arg(&a, "device"), "device", line, err);
		v = arg(&a, "after");
		if (rc < 0)
			return rc;
		if (!v || lex_uint(v, 0, 100000000, &u) < 0)
			return scn_fail(err, line, "cut-bip: after=N (bytes towards the card before the cut)");
		st->after_bytes = (unsigned int)u;
		break;
	case SCN_FAULT_NONE: break;
	}
	if (rc < 0)
		return rc;
	return args_done(&a, 0, line, err);
}

static int parse_step(struct scn *s, struct lex_line *l, unsigned int line, struct scn_error *err)
{
	struct scn_step *st;
	int rc;

	if (s->n_steps == SCN_STEPS_MAX) {
		scn_fail(err, line, "too many steps (at most %d)", SCN_STEPS_MAX);
		return -ENOSPC;
	}
	st = &s->step[s->n_steps];
	memset(st, 0, sizeof(*st));
	st->line = line;
	st->msg = ES_MSG_NONE;
	if (l->nwords < 2)
		return scn_fail(err, line, "a step is: LABEL call|wait|fault ...");
	if (strlen(l->word[0]) >= SCN_LABEL_MAX || !scn_label_valid(l->word[0]))
		return scn_fail(err, line,
				"step label '%s': an article step 1..6 or i..ix, an ascending range of one kind (1-6, "
				"vii-ix), or '-'",
				l->word[0]);
	copy(st->label, sizeof(st->label), l->word[0]);
	if (strcmp(l->word[1], "call") == 0) {
		st->kind = SCN_STEP_CALL;
		rc = parse_call(s, st, l, line, err);
	} else if (strcmp(l->word[1], "wait") == 0) {
		rc = parse_wait(s, st, l, line, err);
	} else if (strcmp(l->word[1], "fault") == 0) {
		st->kind = SCN_STEP_FAULT;
		rc = parse_fault(st, l, line, err);
	} else {
		rc = scn_fail(err, line, "step kind '%s': call, wait or fault", l->word[1]);
	}
	if (rc < 0)
		return rc;
	s->n_steps++;
	return 0;
}

/* ---- [expect] ------------------------------------------------------------------------------------- */

static int parse_expect(struct scn *s, struct lex_line *l, unsigned int line, struct scn_error *err)
{
	struct scn_expect *e;
	struct scn_args a;
	const char *v;
	int k, rc;
	size_t first_arg = 2;

	k = get_string_value(scn_expect_kind_names, l->word[0]);
	if (k < 0)
		return scn_fail(err, line,
				"unknown expectation '%s' (responses, eis, profile, keysets, attached, notification, "
				"duration, card-notification)",
				l->word[0]);
	if (s->n_expect == SCN_EXPECT_MAX) {
		scn_fail(err, line, "too many expectations (at most %d)", SCN_EXPECT_MAX);
		return -ENOSPC;
	}
	e = &s->expect[s->n_expect];
	memset(e, 0, sizeof(*e));
	e->line = line;
	e->kind = (enum scn_expect_kind)k;
	e->msg = ES_MSG_NONE;
	if (e->kind == SCN_EXP_RESPONSES) {
		first_arg = 1;
	} else if (l->nwords < 2) {
		return scn_fail(err, line, "%s needs a subject", l->word[0]);
	} else if (e->kind == SCN_EXP_NOTIFICATION) {
		const struct es_msg_info *mi = msg_by_name(l->word[1]);
		if (!mi || mi->kind != ES_KIND_NOTIFICATION || (mi->iface != 2 && mi->iface != 4))
			return scn_fail(err, line, "'%s' is not an ES2/ES4 notification of lib/es's registry",
					l->word[1]);
		e->msg = mi->id;
	} else if (e->kind == SCN_EXP_DURATION) {
		if (strcmp(l->word[1], "all") != 0 && !scn_label_range(l->word[1], &k, &rc))
			return scn_fail(err, line, "duration LABEL: a step label or range, or all");
		copy(e->subject, sizeof(e->subject), l->word[1]);
	} else {
		if (!lex_name_valid(l->word[1], SCN_NAME_MAX))
			return scn_fail(err, line, "%s: '%s' is not a card or device name", l->word[0], l->word[1]);
		copy(e->subject, sizeof(e->subject), l->word[1]);
	}
	if (e->kind == SCN_EXP_PROFILE) {
		if (l->nwords != 4 || !digits(l->word[2], 18, 20))
			return scn_fail(err, line, "profile CARD ICCID Enabled|Disabled|absent");
		copy(e->iccid, sizeof(e->iccid), l->word[2]);
		k = strcmp(l->word[3], "absent") == 0 ? 0 : get_string_value(es_profile_state_names, l->word[3]);
		if (k < 0)
			return scn_fail(err, line, "profile state '%s': Enabled, Disabled, Created or absent",
					l->word[3]);
		e->state = k;
		s->n_expect++;
		return 0;
	}
	rc = split_args(l, first_arg, &a, line, err);
	if (rc < 0)
		return rc;
	switch (e->kind) {
	case SCN_EXP_RESPONSES:
		v = arg(&a, "all");
		if (!v || parse_status(v, &e->status) < 0 || e->status == SCN_EXPECT_ANY)
			return scn_fail(err, line, "responses all=STATUS (e.g. EXECUTED_SUCCESS)");
		break;
	case SCN_EXP_EIS:
		if ((rc = need_name(e->where, arg(&a, "at"), "at", line, err)) < 0)
			return rc;
		v = arg(&a, "profiles");
		if (v) {
			char list[LEX_LINE_MAX], *save = NULL;
			copy(list, sizeof(list), v);
			for (char *p = strtok_r(list, ",", &save); p; p = strtok_r(NULL, ",", &save)) {
				char *colon = strchr(p, ':');
				if (!colon || e->n_profiles == 4)
					return scn_fail(err, line, "profiles=ICCID:STATE[,...] (at most 4)");
				*colon = '\0';
				if (!digits(p, 18, 20) || get_string_value(es_profile_state_names, colon + 1) <= 0)
					return scn_fail(err, line, "profiles: '%s:%s' is not ICCID:STATE", p,
							colon + 1);
				*colon = ':';
				copy(e->profiles[e->n_profiles++], sizeof(e->profiles[0]), p);
			}
		}
		break;
	case SCN_EXP_KEYSETS:
		if ((rc = need_name(e->where, arg(&a, "of"), "of", line, err)) < 0)
			return rc;
		if (a.n_bare != 1 || (strcmp(a.bare[0], "present") != 0 && strcmp(a.bare[0], "absent") != 0))
			return scn_fail(err, line, "keysets CARD of=SMSR present|absent");
		e->yes = strcmp(a.bare[0], "present") == 0;
		rc = args_done(&a, 1, line, err);
		if (rc == 0)
			s->n_expect++;
		return rc;
	case SCN_EXP_ATTACHED:
		if ((rc = need_imsi(e->imsi, arg(&a, "imsi"), line, err)) < 0 ||
		    (rc = need_name(e->where, arg(&a, "hlr"), "hlr", line, err)) < 0)
			return rc;
		v = arg(&a, "roaming");
		if (!v || (strcmp(v, "yes") != 0 && strcmp(v, "no") != 0))
			return scn_fail(err, line, "attached: roaming=yes|no");
		e->yes = strcmp(v, "yes") == 0;
		break;
	case SCN_EXP_NOTIFICATION:
		if ((rc = need_name(e->where, arg(&a, "to"), "to", line, err)) < 0)
			return rc;
		v = arg(&a, "count");
		{
			unsigned long u;
			if (!v || lex_uint(v, 0, 100, &u) < 0)
				return scn_fail(err, line, "notification: count=N (0 = must not arrive)");
			e->count = (unsigned int)u;
		}
		break;
	case SCN_EXP_DURATION:
		if (!arg(&a, "max"))
			return scn_fail(err, line, "duration LABEL max=DURATION");
		if ((rc = opt_duration(&a, "max", &e->max_ms, line, err)) < 0)
			return rc;
		break;
	case SCN_EXP_CARD_NOTIF:
		if ((rc = need_name(e->where, arg(&a, "at"), "at", line, err)) < 0)
			return rc;
		v = arg(&a, "type");
		if (!v || strlen(v) != 2 || strspn(v, "0123456789abcdefABCDEF") != 2)
			return scn_fail(err, line, "card-notification: type=NN (two hex digits: 02, 03 ...)");
		e->type = (uint8_t)strtoul(v, NULL, 16);
		break;
	case SCN_EXP_PROFILE: break;
	}
	rc = args_done(&a, 0, line, err);
	if (rc < 0)
		return rc;
	s->n_expect++;
	return 0;
}

/* ---- the file ------------------------------------------------------------------------------------- */

enum scn_section { SEC_HEADER, SEC_INITIAL, SEC_STEPS, SEC_EXPECT };

int scn_parse(const char *text, size_t len, struct scn *s, struct scn_error *err)
{
	static const char *const sec_names[] = { "", "[initial]", "[steps]", "[expect]" };
	struct lex lx;
	struct lex_line *l = malloc(sizeof(*l));
	enum scn_section sec = SEC_HEADER;
	uint32_t seen = 0;
	int rc;

	memset(err, 0, sizeof(*err));
	memset(s, 0, sizeof(*s));
	if (!l)
		return -ENOMEM;
	lex_init(&lx, text, len);
	while ((rc = lex_next(&lx, l)) == 1) {
		if (l->word[0][0] == '[') {
			enum scn_section next = SEC_HEADER;
			for (int i = 1; i < 4; i++)
				if (strcmp(l->word[0], sec_names[i]) == 0)
					next = (enum scn_section)i;
			if (next == SEC_HEADER || l->nwords != 1)
				rc = scn_fail(err, lx.lineno, "section '%s': [initial], [steps] or [expect]", l->raw);
			else if (next <= sec)
				rc = scn_fail(err, lx.lineno, "%s out of order (header, [initial], [steps], [expect])",
					      sec_names[next]);
			sec = next;
		} else if (sec == SEC_HEADER) {
			rc = parse_header(s, l, lx.lineno, &seen, err);
		} else if (sec == SEC_INITIAL) {
			rc = parse_init(s, l, lx.lineno, err);
		} else if (sec == SEC_STEPS) {
			rc = parse_step(s, l, lx.lineno, err);
		} else {
			rc = parse_expect(s, l, lx.lineno, err);
		}
		if (rc < 0)
			break;
	}
	if (rc < 0 && !err->msg[0])
		scn_fail(err, lx.lineno, "%s",
			 rc == -EMSGSIZE ? "line too long"
			 : rc == -E2BIG	 ? "too many words"
					 : "control character");
	free(l);
	if (rc < 0)
		return rc;
	/* whole-file checks (line 0: not one line's fault) */
	if (!s->id[0] || !s->title[0] || !s->section[0] || !s->flags)
		return scn_fail(err, 0, "the header needs id, title, section and applies");
	if (!s->n_steps)
		return scn_fail(err, 0, "no [steps]");
	if (!s->n_expect)
		return scn_fail(err, 0, "no [expect]: a scenario without expectations cannot fail");
	for (size_t i = 0; i < s->n_steps; i++) {
		const struct scn_step *st = &s->step[i];
		if (st->kind == SCN_STEP_CALL && st->nowait && call_pending(s, st->msg)) {
			bool waited = false;
			for (size_t j = i + 1; j < s->n_steps; j++)
				waited |= s->step[j].kind == SCN_STEP_WAIT_RESPONSE && s->step[j].msg == st->msg;
			if (!waited)
				return scn_fail(err, st->line, "call %s ... nowait: no later 'wait response %s'",
						es_msgs[st->msg].name, es_msgs[st->msg].name);
		}
	}
	for (size_t i = 0; i < s->n_expect; i++) {
		const struct scn_expect *e = &s->expect[i];
		bool found = strcmp(e->subject, "all") == 0;
		if (e->kind != SCN_EXP_DURATION)
			continue;
		for (size_t j = 0; j < s->n_steps && !found; j++)
			found = scn_label_covers(e->subject, s->step[j].label);
		if (!found)
			return scn_fail(err, e->line, "duration %s: no step carries that label", e->subject);
	}
	if (!s->topology[0])
		copy(s->topology, sizeof(s->topology), "flagship");
	if (!s->timeout_ms)
		s->timeout_ms = SCN_DEFAULT_TIMEOUT_MS;
	return 0;
}

/* ---- against a topology --------------------------------------------------------------------------- */

static int want(const struct topo *t, const char *name, unsigned int kinds, const char *what, unsigned int line,
		struct scn_error *err)
{
	const struct topo_comp *c = topo_find(t, name);

	if (!c)
		return scn_fail(err, line, "'%s' is not in the topology", name);
	if (!(kinds & (1u << c->kind)))
		return scn_fail(err, line, "'%s' is a %s, not %s", name, topo_kind_names[c->kind].str, what);
	return 0;
}

#define KB(x) (1u << (x))

int scn_check_topo(const struct scn *s, const struct topo *t, struct scn_error *err)
{
	int rc = 0;

	memset(err, 0, sizeof(*err));
	for (size_t i = 0; i < s->n_init && rc == 0; i++) {
		const struct scn_init *in = &s->init[i];
		switch (in->kind) {
		case SCN_INIT_PROFILE:
			rc = want(t, in->subject, KB(TOPO_EUICC), "a card", in->line, err);
			if (rc == 0 && in->where[0])
				rc = want(t, in->where, KB(TOPO_SMDP), "an SM-DP", in->line, err);
			break;
		case SCN_INIT_EIS:
			rc = want(t, in->subject, KB(TOPO_EUICC), "a card", in->line, err);
			if (rc == 0)
				rc = want(t, in->where, KB(TOPO_SMSR), "an SM-SR", in->line, err);
			break;
		case SCN_INIT_ATTACH:
			rc = want(t, in->subject, KB(TOPO_DEVICE), "a device", in->line, err);
			if (rc == 0)
				rc = want(t, in->where, KB(TOPO_OSMO_HLR), "an HLR", in->line, err);
			break;
		case SCN_INIT_CREDENTIAL:
			rc = want(t, in->subject, KB(TOPO_SMSR) | KB(TOPO_SMDP), "an SM-SR or SM-DP", in->line, err);
			if (rc == 0 && topo_find(t, in->subject)->mode == TOPO_EXTERNAL)
				rc = scn_fail(err, in->line, "'%s' is external: its credentials are not ours to make",
					      in->subject);
			break;
		}
	}
	for (size_t i = 0; i < s->n_steps && rc == 0; i++) {
		const struct scn_step *st = &s->step[i];
		const struct topo_comp *c;
		switch (st->kind) {
		case SCN_STEP_CALL: {
			unsigned int iface = es_msgs[st->msg].iface;
			rc = want(t, st->target, iface == 2 ? KB(TOPO_SMDP) : KB(TOPO_SMSR),
				  iface == 2 ? "an SM-DP (ES2 is served by the SM-DP)"
					     : "an SM-SR (ES1/ES4 are served by the SM-SR)",
				  st->line, err);
			if (rc == 0 && iface != 1)
				rc = want(t, st->peer, KB(TOPO_MNO), "an operator (mno)", st->line, err);
			for (size_t j = 0; j < st->n_fields && rc == 0; j++)
				if (st->field[j].value[0] == '@' && !topo_find(t, st->field[j].value + 1))
					rc = scn_fail(err, st->line, "%s=%s: '%s' is not in the topology",
						      st->field[j].name, st->field[j].value, st->field[j].value + 1);
			break;
		}
		case SCN_STEP_WAIT_NOTIFICATION:
			rc = want(t, st->target, KB(TOPO_MNO), "an operator (mno)", st->line, err);
			break;
		case SCN_STEP_WAIT_MESSAGE:
			rc = want(t, st->target, ~0u, "", st->line, err);
			if (rc == 0)
				rc = want(t, st->peer, ~0u, "", st->line, err);
			break;
		case SCN_STEP_WAIT_ATTACH:
			rc = want(t, st->target, KB(TOPO_DEVICE), "a device", st->line, err);
			if (rc == 0)
				rc = want(t, st->peer, KB(TOPO_OSMO_HLR), "an HLR", st->line, err);
			break;
		case SCN_STEP_FAULT:
			if (st->fault == SCN_FAULT_DROP_SMS || st->fault == SCN_FAULT_DELAY_SMS) {
				if (!topo_find_kind(t, st->path == SCN_PATH_KANNEL ? TOPO_KANNEL : TOPO_OSMO_MSC,
						    TOPO_OP_NONE))
					rc = scn_fail(err, st->line, "path=%s: the topology has no %s",
						      scn_sms_path_names[st->path].str,
						      st->path == SCN_PATH_KANNEL ? "kannel" : "osmo-msc");
			} else if (st->fault == SCN_FAULT_KILL || st->fault == SCN_FAULT_RESTART) {
				rc = want(t, st->target, ~KB(TOPO_MNO), "a component the harness runs", st->line, err);
				c = topo_find(t, st->target);
				if (rc == 0 && c->mode == TOPO_EXTERNAL)
					rc = scn_fail(err, st->line, "'%s' is external: the harness cannot kill it",
						      st->target);
			} else {
				rc = want(t, st->target, KB(TOPO_DEVICE), "a device", st->line, err);
			}
			break;
		case SCN_STEP_WAIT_RESPONSE:
		case SCN_STEP_KIND__COUNT: break;
		}
	}
	for (size_t i = 0; i < s->n_expect && rc == 0; i++) {
		const struct scn_expect *e = &s->expect[i];
		switch (e->kind) {
		case SCN_EXP_EIS:
			rc = want(t, e->subject, KB(TOPO_EUICC), "a card", e->line, err);
			if (rc == 0)
				rc = want(t, e->where, KB(TOPO_SMSR), "an SM-SR", e->line, err);
			break;
		case SCN_EXP_PROFILE: rc = want(t, e->subject, KB(TOPO_EUICC), "a card", e->line, err); break;
		case SCN_EXP_KEYSETS:
			rc = want(t, e->subject, KB(TOPO_EUICC), "a card", e->line, err);
			if (rc == 0)
				rc = want(t, e->where, KB(TOPO_SMSR), "an SM-SR", e->line, err);
			break;
		case SCN_EXP_ATTACHED:
			rc = want(t, e->subject, KB(TOPO_DEVICE), "a device", e->line, err);
			if (rc == 0)
				rc = want(t, e->where, KB(TOPO_OSMO_HLR), "an HLR", e->line, err);
			break;
		case SCN_EXP_NOTIFICATION:
			rc = want(t, e->where, KB(TOPO_MNO), "an operator (mno)", e->line, err);
			break;
		case SCN_EXP_CARD_NOTIF:
			rc = want(t, e->subject, KB(TOPO_EUICC), "a card", e->line, err);
			if (rc == 0)
				rc = want(t, e->where, KB(TOPO_SMSR), "an SM-SR", e->line, err);
			break;
		case SCN_EXP_RESPONSES:
		case SCN_EXP_DURATION: break;
		}
	}
	return rc;
}
