/* XSD validation of ES messages against lib/es/xsd/ (our schema files, loaded by path).
 *
 * es-ns3.xsd and es-ns1.xsd are two tiny roots giving the chameleon per-interface files
 * (es-common.xsd, es1.xsd ... es7.xsd) the /3 or /1 target namespace, so one set of files serves
 * both body-namespace variants. Schema errors become findings { "ES-XSD", element path, text }. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libxml/xmlschemas.h>

#include "lib/es/es.h"
#include "lib/es/es_internal.h"

struct es_schema {
	xmlSchemaPtr schema[2]; /* indexed by enum es_ns_variant */
};

static void quiet(void *ctx, xmlErrorPtr err)
{
	(void)ctx;
	(void)err;
}

static int load_one(xmlSchemaPtr *out, const char *dir, const char *file)
{
	char path[PATH_MAX];
	xmlSchemaParserCtxtPtr pc;

	if (snprintf(path, sizeof(path), "%s/%s", dir, file) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	if (access(path, R_OK) != 0)
		return -ENOENT;
	pc = xmlSchemaNewParserCtxt(path);
	if (!pc)
		return -ENOMEM;
	xmlSchemaSetParserStructuredErrors(pc, quiet, NULL);
	*out = xmlSchemaParse(pc);
	xmlSchemaFreeParserCtxt(pc);
	return *out ? 0 : -EBADMSG;
}

int es_schema_load(struct es_schema **out, const char *dir)
{
	struct es_schema *s;
	int rc;

	soap_init();
	*out = NULL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	rc = load_one(&s->schema[ES_NS_V3], dir, "es-ns3.xsd");
	if (rc == 0)
		rc = load_one(&s->schema[ES_NS_V1], dir, "es-ns1.xsd");
	if (rc < 0) {
		es_schema_free(s);
		return rc;
	}
	*out = s;
	return 0;
}

void es_schema_free(struct es_schema *s)
{
	if (!s)
		return;
	for (unsigned int i = 0; i < 2; i++)
		if (s->schema[i])
			xmlSchemaFree(s->schema[i]);
	free(s);
}

struct vctx {
	struct soap_findings *f;
	int n;
};

/* "Element '{http://...}Iccid': ..." -> "Element 'Iccid': ...", without the trailing newline. */
static void clean_message(const char *in, char *out, size_t cap)
{
	size_t o = 0;

	for (size_t i = 0; in && in[i] && o + 1 < cap; i++) {
		if (in[i] == '{') {
			const char *close = strchr(in + i, '}');
			if (close) {
				i = (size_t)(close - in);
				continue;
			}
		}
		out[o++] = in[i];
	}
	while (o && (out[o - 1] == '\n' || out[o - 1] == ' ' || out[o - 1] == '.'))
		o--;
	out[o] = '\0';
}

static void on_error(void *ctx, xmlErrorPtr err)
{
	struct vctx *v = ctx;
	char path[SOAP_FINDING_PATH_MAX], text[SOAP_FINDING_TEXT_MAX];

	path[0] = '\0';
	if (err->node)
		soap_node_path((const xmlNode *)err->node, path, sizeof(path));
	clean_message(err->message, text, sizeof(text));
	soap_findings_add(v->f, "ES-XSD", path, "%s", text);
	v->n++;
}

int es_schema_validate_node(const struct es_schema *s, xmlNodePtr body, enum es_ns_variant ns, struct soap_findings *f)
{
	struct vctx v = { f, 0 };
	xmlSchemaValidCtxtPtr vc;
	int rc;

	if (!s || !body || (unsigned int)ns > ES_NS_V1 || !s->schema[ns])
		return 0;
	vc = xmlSchemaNewValidCtxt(s->schema[ns]);
	if (!vc) {
		soap_findings_add(f, "ES-XSD", NULL, "out of memory while validating");
		return 1;
	}
	xmlSchemaSetValidStructuredErrors(vc, on_error, &v);
	rc = xmlSchemaValidateOneElement(vc, body);
	xmlSchemaFreeValidCtxt(vc);
	if (rc != 0 && v.n == 0) {
		soap_findings_add(f, "ES-XSD", NULL, "schema validation failed (libxml2 code %d)", rc);
		v.n++;
	}
	return v.n;
}

int es_validate(const struct es_schema *s, const uint8_t *buf, size_t len, const struct soap_limits *lim,
		struct soap_findings *f)
{
	struct soap_doc doc;
	enum es_ns_variant ns = ES_NS_V3;
	int rc;

	rc = soap_doc_parse(&doc, buf, len, lim, f);
	if (rc < 0)
		return rc;
	if (doc.body && !doc.is_fault) {
		const char *href = doc.body->ns && doc.body->ns->href ? (const char *)doc.body->ns->href : "";

		if (strcmp(href, ES_NS_URI_V1) == 0) {
			ns = ES_NS_V1;
			soap_findings_note(f, "ES-VARIANT", "/Envelope/Body", "body namespace %s: variant %s seen",
					   href, get_value_string(es_ns_variant_names, ES_NS_V1));
		} else if (strcmp(href, ES_NS_URI_V3) != 0) {
			soap_findings_add(f, "ES-NS", "/Envelope/Body", "body element %s in unknown namespace \"%s\"",
					  (const char *)doc.body->name, href);
		}
		es_schema_validate_node(s, doc.body, ns, f);
		if (es_msg_info_by_element((const char *)doc.body->name) == NULL)
			soap_findings_add(f, "ES-001", "/Envelope/Body", "unknown body element %s",
					  (const char *)doc.body->name);
	}
	soap_doc_free(&doc);
	return (int)soap_findings_errors(f);
}

int es_xsd_dir_default(char *buf, size_t cap)
{
	char exe[PATH_MAX], probe[PATH_MAX + 32];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

	if (n <= 0)
		return -ENOENT;
	exe[n] = '\0';
	/* Binaries live in <top>/build*\/bin or deeper in <top>/build*\/lib/...: walk up to 6 levels. */
	for (unsigned int up = 0; up < 6; up++) {
		char *slash = strrchr(exe, '/');
		int l;

		if (!slash || slash == exe)
			break;
		*slash = '\0';
		snprintf(probe, sizeof(probe), "%s/lib/es/xsd/es-ns3.xsd", exe);
		if (access(probe, R_OK) == 0) {
			l = snprintf(buf, cap, "%s/lib/es/xsd", exe);
			return l < 0 || (size_t)l >= cap ? -EMSGSIZE : l;
		}
	}
	return -ENOENT;
}
