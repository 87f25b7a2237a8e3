/* Config templates for the core network: a key=value map and a `{{NAME}}` renderer.
 *
 * The map holds the run's addresses, ports, point codes, credentials and paths; `rsplab net up` fills
 * it from its defaults, RUNDIR/net.conf and generated credentials, and renders network/osmocom/ and
 * network/kannel/ templates with it. Safety rules (the rendered text is a config file, so a value must
 * not be able to add a line or a quoted token):
 *  - a key is [A-Z][A-Z0-9_]* and at most NET_KEY_MAX-1 characters;
 *  - a value is 1..NET_VAL_MAX-1 characters from [A-Za-z0-9] and ._:/?&=%+@,*~- (no blank, quote,
 *    backslash, brace, '#', '!' or control character);
 *  - a placeholder is `{{` KEY `}}`; an unknown key, a malformed or unclosed placeholder is an error,
 *    and so is a lone `}}`. Everything else is copied unchanged.
 *
 * Trust: templates come from the source tree; map text (RUNDIR/net.conf, net.env) is checked as above.
 * No allocation; the caller owns every buffer. Return values: 0 / bytes written, or a negative errno. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#define NET_KEY_MAX 40
#define NET_VAL_MAX 200
#define NET_MAP_MAX 96

struct net_kv {
	char key[NET_KEY_MAX];
	char val[NET_VAL_MAX];
};

struct net_map {
	struct net_kv kv[NET_MAP_MAX];
	size_t n;
};

bool net_key_valid(const char *key);
bool net_val_valid(const char *val);

/* Add or replace. -EINVAL bad key or value, -ENOSPC map full. */
int net_map_set(struct net_map *m, const char *key, const char *val);
/* The value, or NULL. */
const char *net_map_get(const struct net_map *m, const char *key);

/* Parse `KEY=value` lines ('#' comment lines and blank lines ignored; no blanks around '=').
 * only_known: every key must already be in the map (an override file cannot invent keys).
 * Returns 0, or -EBADMSG / -EINVAL / -ENOENT (unknown key) with *err_line set to the 1-based line. */
int net_map_parse(struct net_map *m, const char *text, size_t len, bool only_known, unsigned int *err_line);

/* Write the map as KEY=value lines. Returns bytes written (without the NUL) or -EMSGSIZE. */
int net_map_format(const struct net_map *m, char *out, size_t out_len);

/* Render tmpl (len bytes) into out (NUL-terminated). Returns bytes written (without the NUL), or
 * -ENOENT (unknown key), -EBADMSG (malformed placeholder or stray "}}"), -EMSGSIZE (out too small).
 * On error, err (may be NULL) gets a one-line reason naming the key or the line. */
int net_tmpl_render(const struct net_map *m, const char *tmpl, size_t len, char *out, size_t out_len, char *err,
		    size_t err_len);
