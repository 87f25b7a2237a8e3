/* Config template map and renderer (see net_tmpl.h). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "harness/net_tmpl.h"

bool net_key_valid(const char *key)
{
	size_t n = strlen(key);

	if (n == 0 || n >= NET_KEY_MAX || key[0] < 'A' || key[0] > 'Z')
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = key[i];
		if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_'))
			return false;
	}
	return true;
}

bool net_val_valid(const char *val)
{
	size_t n = strlen(val);

	if (n == 0 || n >= NET_VAL_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = val[i];
		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))
			continue;
		if (!strchr("._:/?&=%+@,*~-", c))
			return false;
	}
	return true;
}

static struct net_kv *map_find(const struct net_map *m, const char *key)
{
	for (size_t i = 0; i < m->n; i++) {
		if (strcmp(m->kv[i].key, key) == 0)
			return (struct net_kv *)&m->kv[i];
	}
	return NULL;
}

int net_map_set(struct net_map *m, const char *key, const char *val)
{
	struct net_kv *kv;

	if (!net_key_valid(key) || !net_val_valid(val))
		return -EINVAL;
	kv = map_find(m, key);
	if (!kv) {
		if (m->n >= NET_MAP_MAX)
			return -ENOSPC;
		kv = &m->kv[m->n++];
		snprintf(kv->key, sizeof(kv->key), "%s", key);
	}
	snprintf(kv->val, sizeof(kv->val), "%s", val);
	return 0;
}

const char *net_map_get(const struct net_map *m, const char *key)
{
	const struct net_kv *kv = map_find(m, key);

	return kv ? kv->val : NULL;
}

int net_map_parse(struct net_map *m, const char *text, size_t len, bool only_known, unsigned int *err_line)
{
	size_t pos = 0;
	unsigned int line = 0;

	while (pos < len) {
		char buf[NET_KEY_MAX + NET_VAL_MAX + 2];
		size_t end = pos, n;
		char *eq;
		int rc;

		while (end < len && text[end] != '\n')
			end++;
		n = end - pos;
		line++;
		if (err_line)
			*err_line = line;
		if (n > 0 && text[pos + n - 1] == '\r')
			n--;
		if (n >= sizeof(buf))
			return -EBADMSG;
		memcpy(buf, text + pos, n);
		buf[n] = '\0';
		pos = end < len ? end + 1 : end;
		if (n == 0 || buf[0] == '#')
			continue;
		if (memchr(buf, '\0', n))
			return -EBADMSG;
		eq = strchr(buf, '=');
		if (!eq)
			return -EBADMSG;
		*eq = '\0';
		if (only_known && !map_find(m, buf))
			return net_key_valid(buf) ? -ENOENT : -EINVAL;
		rc = net_map_set(m, buf, eq + 1);
		if (rc < 0)
			return rc;
	}
	if (err_line)
		*err_line = 0;
	return 0;
}

int net_map_format(const struct net_map *m, char *out, size_t out_len)
{
	size_t pos = 0;

	if (out_len == 0)
		return -EMSGSIZE;
	out[0] = '\0';
	for (size_t i = 0; i < m->n; i++) {
		int w = snprintf(out + pos, out_len - pos, "%s=%s\n", m->kv[i].key, m->kv[i].val);
		if (w < 0 || (size_t)w >= out_len - pos)
			return -EMSGSIZE;
		pos += (size_t)w;
	}
	return (int)pos;
}

static unsigned int line_of(const char *tmpl, size_t pos)
{
	unsigned int line = 1;

	for (size_t i = 0; i < pos; i++)
		line += tmpl[i] == '\n';
	return line;
}

int net_tmpl_render(const struct net_map *m, const char *tmpl, size_t len, char *out, size_t out_len, char *err,
		    size_t err_len)
{
	size_t i = 0, o = 0;
	char dummy[1];

	if (!err) {
		err = dummy;
		err_len = sizeof(dummy);
	}
	if (err_len)
		err[0] = '\0';
	if (out_len == 0)
		return -EMSGSIZE;
	while (i < len) {
		const char *val;
		size_t vlen, k;
		char key[NET_KEY_MAX];

		if (tmpl[i] == '}' && i + 1 < len && tmpl[i + 1] == '}') {
			snprintf(err, err_len, "line %u: '}}' without '{{'", line_of(tmpl, i));
			return -EBADMSG;
		}
		if (!(tmpl[i] == '{' && i + 1 < len && tmpl[i + 1] == '{')) {
			if (o + 1 >= out_len)
				return -EMSGSIZE;
			out[o++] = tmpl[i++];
			continue;
		}
		/* {{KEY}} */
		for (k = 0; i + 2 + k < len && k < NET_KEY_MAX - 1; k++) {
			char c = tmpl[i + 2 + k];
			if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_'))
				break;
			key[k] = c;
		}
		key[k] = '\0';
		if (i + 2 + k + 1 >= len || tmpl[i + 2 + k] != '}' || tmpl[i + 3 + k] != '}' || !net_key_valid(key)) {
			snprintf(err, err_len, "line %u: malformed or unclosed placeholder", line_of(tmpl, i));
			return -EBADMSG;
		}
		val = net_map_get(m, key);
		if (!val) {
			snprintf(err, err_len, "line %u: unknown placeholder {{%s}}", line_of(tmpl, i), key);
			return -ENOENT;
		}
		vlen = strlen(val);
		if (o + vlen >= out_len)
			return -EMSGSIZE;
		memcpy(out + o, val, vlen);
		o += vlen;
		i += 2 + k + 2;
	}
	out[o] = '\0';
	return (int)o;
}
