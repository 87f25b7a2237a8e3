/* harness/run: the card's state from `rsplab-euicc dump` and the key set attribution (cardstate.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <osmocom/core/utils.h>

#include "harness/run/cardstate.h"
#include "lib/es/es.h"

/* The value of " key=" in one line (bounded by the line's end), copied into out; false if absent or too long. */
static bool field(const char *line, size_t n, const char *key, char *out, size_t cap)
{
	size_t kl = strlen(key);

	for (size_t i = 0; i + kl + 1 <= n; i++) {
		size_t v = 0;
		if ((i && line[i - 1] != ' ') || memcmp(line + i, key, kl) != 0 || line[i + kl] != '=')
			continue;
		for (const char *p = line + i + kl + 1; p < line + n && *p != ' '; p++) {
			if (v + 1 >= cap)
				return false;
			out[v++] = *p;
		}
		out[v] = '\0';
		return v > 0;
	}
	return false;
}

static bool all_of(const char *s, const char *set)
{
	return s[0] && strspn(s, set) == strlen(s);
}

static int hex_byte(const char *s)
{
	if (strlen(s) != 2 || !all_of(s, "0123456789abcdefABCDEF"))
		return -1;
	return (int)strtol(s, NULL, 16);
}

int cardstate_parse(struct cardstate *out, const char *text, size_t len)
{
	size_t pos = 0;

	memset(out, 0, sizeof(*out));
	while (pos < len) {
		const char *line = text + pos;
		const char *nl = memchr(line, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - line) : len - pos;
		char v[40];

		pos += n + (nl != NULL);
		if (n && line[n - 1] == '\r')
			n--;
		if (!n)
			continue;
		if (n > 4 && memcmp(line, "eid ", 4) == 0) {
			if (n - 4 != 32)
				return -EBADMSG;
			memcpy(out->eid, line + 4, 32);
			out->eid[32] = '\0';
			if (!all_of(out->eid, "0123456789"))
				return -EBADMSG;
		} else if (n > 5 && memcmp(line, "isdp ", 5) == 0) {
			int st;
			if (!field(line, n, "state", v, sizeof(v)) ||
			    (st = get_string_value(es_profile_state_names, v)) <= 0)
				return -EBADMSG;
			if (!field(line, n, "iccid", v, sizeof(v)) || strlen(v) > 20)
				return -EBADMSG;
			if (strcmp(v, "-") == 0)
				continue; /* an ISD-P without a profile */
			if (!all_of(v, "0123456789"))
				return -EBADMSG;
			if (out->n_prof == CARDSTATE_PROFILES_MAX)
				return -EMSGSIZE;
			snprintf(out->prof[out->n_prof].iccid, sizeof(out->prof[0].iccid), "%s", v);
			out->prof[out->n_prof++].state = st;
		} else if (n > 7 && memcmp(line, "keyset ", 7) == 0) {
			int kvn;
			if (!field(line, n, "kvn", v, sizeof(v)) || (kvn = hex_byte(v)) < 0)
				return -EBADMSG;
			if (out->n_ks == CARDSTATE_KEYSETS_MAX)
				return -EMSGSIZE;
			out->ks[out->n_ks].kvn = (uint8_t)kvn;
			if (!field(line, n, "type", v, sizeof(v)))
				return -EBADMSG;
			out->ks[out->n_ks++].type = strcmp(v, "scp80") == 0			? 80
						    : strcmp(v, "scp81") == 0			? 81
						    : all_of(v, "0123456789") && strlen(v) <= 3 ? (unsigned int)atoi(v)
												: 0;
		} else {
			return -EBADMSG;
		}
	}
	return out->eid[0] ? 0 : -EBADMSG;
}

int cardstate_profile(const struct cardstate *cs, const char *iccid)
{
	for (size_t i = 0; i < cs->n_prof; i++)
		if (strcmp(cs->prof[i].iccid, iccid) == 0)
			return cs->prof[i].state;
	return 0;
}

int cardstate_factory_kvns(const char *keys, size_t len, uint8_t *kvn, size_t cap)
{
	static const char *const names[] = { "scp80.kvn=", "scp81.kvn=" };
	size_t pos = 0, n = 0;

	while (pos < len) {
		const char *line = keys + pos;
		const char *nl = memchr(line, '\n', len - pos);
		size_t ll = nl ? (size_t)(nl - line) : len - pos;

		pos += ll + (nl != NULL);
		for (size_t k = 0; k < ARRAY_SIZE(names); k++) {
			size_t nl2 = strlen(names[k]);
			char v[4];
			int b;
			if (ll < nl2 || memcmp(line, names[k], nl2) != 0)
				continue;
			if (ll - nl2 != 2)
				return -EBADMSG;
			memcpy(v, line + nl2, 2);
			v[2] = '\0';
			if ((b = hex_byte(v)) < 0)
				return -EBADMSG;
			if (n < cap)
				kvn[n++] = (uint8_t)b;
		}
	}
	return (int)n;
}

unsigned int cardstate_keysets_of(const struct cardstate *cs, const uint8_t *factory, size_t n_factory, bool initial,
				  unsigned int *expected, char *list, size_t len)
{
	unsigned int found = 0;
	size_t w = 0;

	if (len)
		list[0] = '\0';
	for (size_t i = 0; i < cs->n_ks; i++) {
		bool is_factory = memchr(factory, cs->ks[i].kvn, n_factory) != NULL;
		if (is_factory != initial)
			continue;
		found++;
		if (w < len) {
			int k = snprintf(list + w, len - w, "%s%02X", w ? " " : "", cs->ks[i].kvn);
			w += k > 0 ? (size_t)k : 0;
		}
	}
	*expected = initial ? (unsigned int)n_factory : 1;
	return found;
}
