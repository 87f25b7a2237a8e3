/* A small JSON reader (RFC 8259) for the run record (RUNDIR/run.json) that `rsplab report` turns into
 * reports, and the string escaping the writers share. The run record is written by `rsplab run`, but
 * a run directory can come from anywhere, so the text is UNTRUSTED: depth, node count and size are
 * capped, every string is validated (escapes, \u surrogate pairs, no raw control characters).
 *
 * Ownership: json_parse() allocates one arena (nodes + decoded strings) that json_free() releases;
 * every pointer handed out points into it. Returns 0 or a negative errno (-EBADMSG malformed, with
 * the byte offset in *err_off; -E2BIG over a cap; -ENOMEM). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#define JSON_MAX_DEPTH 32
#define JSON_MAX_NODES 200000
#define JSON_MAX_INPUT (16u << 20)

enum json_type { JSON_NULL, JSON_FALSE, JSON_TRUE, JSON_NUMBER, JSON_STRING, JSON_ARRAY, JSON_OBJECT };

struct json {
	enum json_type type;
	const char *key;    /* member name inside an object, else NULL */
	const char *str;    /* JSON_STRING (NUL-terminated, may not contain NUL: \u0000 is refused) */
	double num;	    /* JSON_NUMBER */
	struct json *child; /* first element / member */
	struct json *next;  /* next sibling */
	size_t n;	    /* number of children */
};

struct json_doc;

int json_parse(const char *text, size_t len, struct json_doc **doc, size_t *err_off);
const struct json *json_root(const struct json_doc *doc);
void json_free(struct json_doc *doc);

/* Lookups that tolerate NULL and wrong types (they return NULL / the default). */
const struct json *json_get(const struct json *obj, const char *key);
const char *json_str(const struct json *obj, const char *key, const char *dflt);
double json_num(const struct json *obj, const char *key, double dflt);

/* Write s as a JSON string literal (quotes included), escaping what RFC 8259 requires. */
void json_put_str(FILE *out, const char *s);
