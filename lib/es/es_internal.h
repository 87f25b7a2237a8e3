/* Internal glue between es.c and es_xsd.c. */
#pragma once

#include <libxml/tree.h>

#include "lib/es/es.h"

/* Validate one body element (already parsed) against the schema for namespace ns; each schema
 * error becomes an "ES-XSD" finding. Returns the number of such findings. */
int es_schema_validate_node(const struct es_schema *s, xmlNodePtr body, enum es_ns_variant ns, struct soap_findings *f);
