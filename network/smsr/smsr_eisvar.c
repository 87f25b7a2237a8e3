/* Per-eUICC rules of rsplab-smsr (smsr_eisvar.h): a small table searched linearly (at most
 * SMSR_EISVAR_MAX rules), the longest matching prefix per key wins. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "lib/es5/es5.h"
#include "network/smsr/smsr_change.h"
#include "network/smsr/smsr_eisvar.h"

const struct value_string smsr_eisvar_key_names[] = { { SMSR_EISVAR_SMS_TRANSPORT, "sms-transport" },
						      { SMSR_EISVAR_F2, "f2" },
						      { SMSR_EISVAR_HANDOVER_HIDE, "handover-hide" },
						      { SMSR_EISVAR_ES5, "es5" },
						      { 0, NULL } };

const struct value_string smsr_sms_transport_names[] = { { SMSR_SMS_SMPP, "smpp" },
							 { SMSR_SMS_KANNEL, "kannel" },
							 { 0, NULL } };

const struct value_string smsr_es5_bearer_names[] = { { SMSR_ES5_SMS, "sms" },
						      { SMSR_ES5_HTTPS, "https" },
						      { 0, NULL } };

const struct value_string *smsr_eisvar_value_names(enum smsr_eisvar_key key)
{
	switch (key) {
	case SMSR_EISVAR_SMS_TRANSPORT: return smsr_sms_transport_names;
	case SMSR_EISVAR_F2: return es5_f2_semantics_names;
	case SMSR_EISVAR_HANDOVER_HIDE: return smsr_change_hide_names;
	case SMSR_EISVAR_ES5: return smsr_es5_bearer_names;
	default: return NULL;
	}
}

/* PREFIX -> upper-case hex in out ("" for `*`). 0 or -EINVAL. */
static int prefix_norm(const char *prefix, char out[SMSR_EISVAR_PREFIX_LEN])
{
	size_t n;

	memset(out, 0, SMSR_EISVAR_PREFIX_LEN); /* the stored rule is compared and copied whole */
	if (!prefix)
		return -EINVAL;
	if (!strcmp(prefix, "*")) {
		out[0] = '\0';
		return 0;
	}
	n = strlen(prefix);
	if (n < 1 || n > SMSR_EISVAR_PREFIX_MAX)
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		if (!isxdigit((unsigned char)prefix[i]))
			return -EINVAL;
		out[i] = (char)toupper((unsigned char)prefix[i]);
	}
	out[n] = '\0';
	return 0;
}

static int key_of(const char *key)
{
	return key ? get_string_value(smsr_eisvar_key_names, key) : -EINVAL;
}

int smsr_eisvar_set(struct smsr_eisvar *t, const char *prefix, const char *key, const char *name, char *err,
		    size_t errlen)
{
	char p[SMSR_EISVAR_PREFIX_LEN];
	const struct value_string *names;
	int k, v = -1;
	unsigned int i;

	if (prefix_norm(prefix, p) < 0) {
		if (err && errlen)
			snprintf(err, errlen, "eis-variant: prefix '%s' is not 1..32 hex digits of an EID or *",
				 prefix ? prefix : "");
		return -EINVAL;
	}
	k = key_of(key);
	if (k < 0) {
		if (err && errlen)
			snprintf(err, errlen, "eis-variant: '%s' is not sms-transport, f2 or handover-hide",
				 key ? key : "");
		return -EINVAL;
	}
	names = smsr_eisvar_value_names((enum smsr_eisvar_key)k);
	if (!name || (v = get_string_value(names, name)) < 0) {
		char list[96] = "";

		for (const struct value_string *n = names; n->str; n++)
			snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s", list[0] ? ", " : "", n->str);
		if (err && errlen)
			snprintf(err, errlen, "eis-variant %s: unknown '%s' (one of %s)", key, name ? name : "", list);
		return -EINVAL;
	}
	for (i = 0; i < t->n && (t->rule[i].key != (enum smsr_eisvar_key)k || strcmp(t->rule[i].prefix, p)); i++)
		;
	if (i == SMSR_EISVAR_MAX) {
		if (err && errlen)
			snprintf(err, errlen, "eis-variant: at most %d rules", SMSR_EISVAR_MAX);
		return -ENOSPC;
	}
	if (i == t->n) {
		memcpy(t->rule[i].prefix, p, sizeof(p));
		t->rule[i].key = (enum smsr_eisvar_key)k;
		t->n++;
	}
	t->rule[i].value = v;
	return 0;
}

int smsr_eisvar_parse(struct smsr_eisvar *t, const char *arg, char *err, size_t errlen)
{
	char prefix[SMSR_EISVAR_PREFIX_MAX + 2], key[24], name[24];
	const char *colon = arg ? strchr(arg, ':') : NULL, *eq = colon ? strchr(colon, '=') : NULL;

	if (!colon || !eq || (size_t)(colon - arg) >= sizeof(prefix) || (size_t)(eq - colon - 1) >= sizeof(key) ||
	    strlen(eq + 1) >= sizeof(name)) {
		if (err && errlen)
			snprintf(err, errlen, "eis-variant '%s': not PREFIX:KEY=NAME", arg ? arg : "");
		return -EINVAL;
	}
	snprintf(prefix, sizeof(prefix), "%.*s", (int)(colon - arg), arg);
	snprintf(key, sizeof(key), "%.*s", (int)(eq - colon - 1), colon + 1);
	snprintf(name, sizeof(name), "%s", eq + 1);
	return smsr_eisvar_set(t, prefix, key, name, err, errlen);
}

int smsr_eisvar_del(struct smsr_eisvar *t, const char *prefix, const char *key)
{
	char p[SMSR_EISVAR_PREFIX_LEN];
	int k = key_of(key);

	if (prefix_norm(prefix, p) < 0 || k < 0)
		return -EINVAL;
	for (unsigned int i = 0; i < t->n; i++) {
		if (t->rule[i].key != (enum smsr_eisvar_key)k || strcmp(t->rule[i].prefix, p))
			continue;
		memmove(&t->rule[i], &t->rule[i + 1], (t->n - i - 1) * sizeof(t->rule[0]));
		t->n--;
		memset(&t->rule[t->n], 0, sizeof(t->rule[0]));
		return 0;
	}
	return -ENOENT;
}

/* Whether eid starts with prefix (upper-case hex), case-insensitively; never reads past eid's end. */
static bool prefix_matches(const char *prefix, const char *eid)
{
	for (size_t i = 0; prefix[i]; i++)
		if (!eid[i] || toupper((unsigned char)eid[i]) != prefix[i])
			return false;
	return true;
}

int smsr_eisvar_get(const struct smsr_eisvar *t, const char *eid, enum smsr_eisvar_key key, int dflt)
{
	size_t best = 0;
	int v = dflt;
	bool found = false;

	for (unsigned int i = 0; t && eid && i < t->n; i++) {
		size_t len = strlen(t->rule[i].prefix);

		if (t->rule[i].key != key || (found && len <= best) || !prefix_matches(t->rule[i].prefix, eid))
			continue;
		found = true;
		best = len;
		v = t->rule[i].value;
	}
	return v;
}

bool smsr_eisvar_names(const struct smsr_eisvar *t, enum smsr_eisvar_key key, int value)
{
	for (unsigned int i = 0; t && i < t->n; i++)
		if (t->rule[i].key == key && t->rule[i].value == value)
			return true;
	return false;
}

int smsr_eisvar_rule_to_str_buf(char *buf, size_t len, const struct smsr_eisvar *t, unsigned int i)
{
	const struct smsr_eisvar_rule *r;
	int n;

	if (!t || i >= t->n)
		return -EINVAL;
	r = &t->rule[i];
	n = snprintf(buf, len, "%s %s %s", r->prefix[0] ? r->prefix : "*",
		     get_value_string(smsr_eisvar_key_names, r->key),
		     get_value_string(smsr_eisvar_value_names(r->key), r->value));
	return n < 0 || (size_t)n >= len ? -EMSGSIZE : 0;
}
