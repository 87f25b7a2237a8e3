/* Internal: the field descriptors generated from es_types.def (used by es*.c and the tests). */
#pragma once

#include <stddef.h>

#include "lib/es/es.h"

enum es_kind { ES_K_STR, ES_K_TS, ES_K_ASTR, ES_K_HEX, ES_K_AHEX, ES_K_INT, ES_K_BOOL, ES_K_ENUM, ES_K_STRUCT };
enum es_ns_sel { ES_NS_BODY, ES_NS_DS };

struct es_field {
	const char *name; /* XML element or attribute name */
	enum es_kind kind;
	bool rep;	  /* array of cap with an n_<member> count */
	unsigned int min; /* minOccurs / attribute use=required */
	unsigned int max; /* maxOccurs, 0 = unbounded */
	unsigned int cap; /* array size */
	size_t off, count_off, elem_size;
	const struct es_type *sub;	  /* STRUCT */
	const struct value_string *names; /* ENUM */
};

struct es_type {
	const char *name;
	enum es_ns_sel child_ns;
	const struct es_field *fields;
	unsigned int n_fields;
	size_t size;
};

static inline bool es_kind_is_attr(enum es_kind k)
{
	return k == ES_K_ASTR || k == ES_K_AHEX;
}

/* Is the value at p (one element of field fd) present? */
bool es_field_present(const struct es_field *fd, const void *p);
