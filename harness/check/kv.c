/* The checker's key file (see kv.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <osmocom/core/utils.h>

#include "harness/check/kv.h"

static struct check_scp80_keys *keyset(struct check_opts *o, uint8_t kvn)
{
	for (unsigned int i = 0; i < o->num_scp80; i++)
		if (o->scp80[i].kvn == kvn)
			return &o->scp80[i];
	if (o->num_scp80 == CHECK_MAX_SCP80_KEYSETS)
		return NULL;
	memset(&o->scp80[o->num_scp80], 0, sizeof(o->scp80[0]));
	o->scp80[o->num_scp80].kvn = kvn;
	return &o->scp80[o->num_scp80++];
}

static char *trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
		*--e = 0;
	return s;
}

int check_kv_parse_scp80(struct check_opts *o, const char *text, size_t len, char *err, size_t errlen)
{
	char line[512];
	size_t pos = 0;
	unsigned int lineno = 0;

	while (pos < len) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t ll = nl ? (size_t)(nl - text - pos) : len - pos;
		char *k, *v, *eq, *end;
		unsigned long kvn;
		struct check_scp80_keys *ks;
		uint8_t buf[64];
		int n;

		lineno++;
		if (ll >= sizeof(line)) {
			snprintf(err, errlen, "line %u too long", lineno);
			return -EINVAL;
		}
		memcpy(line, text + pos, ll);
		line[ll] = 0;
		pos += ll + (nl ? 1 : 0);
		k = trim(line);
		if (!*k || *k == '#')
			continue;
		eq = strchr(k, '=');
		if (!eq) {
			snprintf(err, errlen, "line %u: no '='", lineno);
			return -EINVAL;
		}
		*eq = 0;
		v = trim(eq + 1);
		k = trim(k);
		if (strncmp(k, "scp80.", 6))
			continue; /* other keys are for other consumers */
		kvn = strtoul(k + 6, &end, 0);
		if (end == k + 6 || *end != '.' || kvn < 1 || kvn > 15 ||
		    (strcmp(end, ".kic") && strcmp(end, ".kid"))) {
			snprintf(err, errlen, "line %u: expected scp80.<kvn 1..15>.kic or .kid", lineno);
			return -EINVAL;
		}
		n = osmo_hexparse(v, buf, sizeof(buf));
		if (n != 16 && n != 24 && n != 32) {
			snprintf(err, errlen, "line %u: key is not 16, 24 or 32 bytes of hex", lineno);
			return -EINVAL;
		}
		ks = keyset(o, (uint8_t)kvn);
		if (!ks) {
			snprintf(err, errlen, "line %u: more than %d key sets", lineno, CHECK_MAX_SCP80_KEYSETS);
			return -EINVAL;
		}
		if (!strcmp(end, ".kic")) {
			memcpy(ks->kic, buf, (size_t)n);
			ks->kic_len = (size_t)n;
		} else {
			memcpy(ks->kid, buf, (size_t)n);
			ks->kid_len = (size_t)n;
		}
		memset(buf, 0, sizeof(buf));
	}
	return (int)o->num_scp80;
}

int check_kv_load_scp80(struct check_opts *o, const char *path, char *err, size_t errlen)
{
	char buf[65536];
	size_t n;
	FILE *f = fopen(path, "r");
	int rc;

	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -errno;
	}
	n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	if (n == sizeof(buf)) {
		snprintf(err, errlen, "%s: larger than 64 KiB", path);
		return -EINVAL;
	}
	rc = check_kv_parse_scp80(o, buf, n, err, errlen);
	memset(buf, 0, sizeof(buf));
	return rc;
}
