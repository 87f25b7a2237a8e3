/* `rsplab tool es`: SGP.02 ES1..ES4/ES7 SOAP messages for people writing their own peers.
 *   validate FILE|-      check one SOAP envelope against our XSD (lib/es/xsd) and the envelope rules
 *   example ES<n>-<F>    print a complete, valid envelope (requests: ES3-CreateISDP; responses:
 *                        ES3-CreateISDPResponse; notifications: ES4-HandleSMSRChangeNotification)
 *   list                 every known message
 * The XSD directory is <top>/lib/es/xsd next to the binary's build directory, or --xsd-dir DIR. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/cli.h"
#include "harness/tool.h"
#include "lib/es/es.h"

#define ES_TOOL_MAX_INPUT SOAP_MAX_INPUT_DEFAULT

static int usage(FILE *out)
{
	fprintf(out, "usage: rsplab tool es [--xsd-dir DIR] validate FILE|-\n"
		     "       rsplab tool es example ES<n>-<Function>[Response]   e.g. ES3-CreateISDP, "
		     "ES7-HandoverEUICC,\n"
		     "                                                         ES4-HandleSMSRChangeNotification\n"
		     "       rsplab tool es list\n"
		     "validate prints 'ok', or each finding as 'RULE PATH: TEXT' (exit 1). Notes about which\n"
		     "variant a peer used are printed as 'note' and do not fail. The schema directory defaults to\n"
		     "<top>/lib/es/xsd found from the binary's location.\n");
	return out == stdout ? 0 : 2;
}

/* "ES3-CreateISDP" -> the request; "ES3-CreateISDPResponse" -> the response; notifications by name. */
static const struct es_msg_info *lookup(const char *name)
{
	const struct es_msg_info *mi = es_msg_info_by_element(name);

	if (mi)
		return mi;
	for (unsigned int i = 0; i < ES_MSG__COUNT; i++)
		if (es_msgs[i].kind == ES_KIND_REQUEST && strcmp(es_msgs[i].name, name) == 0)
			return &es_msgs[i];
	return NULL;
}

int tool_es_example_print(FILE *out, const char *name)
{
	static uint8_t buf[65536];
	const struct es_msg_info *mi = lookup(name);
	struct es_msg *msg;
	int n;

	if (!mi)
		return -ENOENT;
	msg = malloc(sizeof(*msg));
	if (!msg)
		return -ENOMEM;
	es_example_fill(msg, mi->id);
	n = es_msg_encode(buf, sizeof(buf), msg, NULL);
	free(msg);
	if (n < 0)
		return n;
	fwrite(buf, 1, (size_t)n, out);
	return 0;
}

int tool_es_validate_buf(FILE *out, const char *xsd_dir, const uint8_t *buf, size_t len)
{
	struct soap_findings *f = malloc(sizeof(*f));
	struct es_schema *s = NULL;
	int rc;

	if (!f)
		return -ENOMEM;
	soap_findings_init(f);
	rc = es_schema_load(&s, xsd_dir);
	if (rc < 0) {
		fprintf(stderr, "es: cannot load the XSD set from %s: %s\n", xsd_dir, strerror(-rc));
		free(f);
		return rc;
	}
	rc = es_validate(s, buf, len, NULL, f);
	es_schema_free(s);
	if (rc < 0) {
		fprintf(out, "SOAP-000 /: not a SOAP 1.2 envelope (%s)\n", strerror(-rc));
		for (unsigned int i = 0; i < f->n; i++)
			fprintf(out, "%s %s: %s\n", f->f[i].rule, f->f[i].path, f->f[i].text);
		free(f);
		return 1;
	}
	for (unsigned int i = 0; i < f->n; i++)
		fprintf(out, "%s%s %s: %s\n", f->f[i].info ? "note " : "", f->f[i].rule,
			f->f[i].path[0] ? f->f[i].path : "/", f->f[i].text);
	if (f->dropped)
		fprintf(out, "(%u more findings)\n", f->dropped);
	if (rc == 0)
		fprintf(out, "ok\n");
	free(f);
	return rc == 0 ? 0 : 1;
}

static int cmd_validate(const char *xsd_dir, const char *file)
{
	FILE *in = strcmp(file, "-") == 0 ? stdin : fopen(file, "rb");
	uint8_t *buf;
	size_t len;
	int rc;

	if (!in) {
		fprintf(stderr, "es validate: %s: %s\n", file, strerror(errno));
		return 1;
	}
	buf = malloc(ES_TOOL_MAX_INPUT + 1);
	if (!buf) {
		if (in != stdin)
			fclose(in);
		return 1;
	}
	len = fread(buf, 1, ES_TOOL_MAX_INPUT + 1, in);
	if (in != stdin)
		fclose(in);
	if (len > ES_TOOL_MAX_INPUT) {
		fprintf(stderr, "es validate: input larger than %d bytes\n", ES_TOOL_MAX_INPUT);
		free(buf);
		return 1;
	}
	rc = tool_es_validate_buf(stdout, xsd_dir, buf, len);
	free(buf);
	return rc < 0 ? 1 : rc;
}

int tool_es(int argc, char **argv)
{
	char dir[4096];
	const char *xsd_dir = NULL;
	int i = 1, rc;

	if (argc > 1 && cli_is_help(argv[1]))
		return usage(stdout);
	if (argc > 2 && strcmp(argv[1], "--xsd-dir") == 0) {
		xsd_dir = argv[2];
		i = 3;
	}
	if (i >= argc)
		return usage(stderr);
	if (argc > i + 1 && cli_is_help(argv[i + 1]))
		return usage(stdout);
	if (strcmp(argv[i], "list") == 0 && argc == i + 1) {
		for (unsigned int k = 0; k < ES_MSG__COUNT; k++)
			printf("%-48s %-12s %s\n", es_msgs[k].element,
			       get_value_string(es_msg_kind_names, es_msgs[k].kind),
			       es_msgs[k].async && es_msgs[k].kind != ES_KIND_NOTIFICATION ? "async" : "");
		return 0;
	}
	if (strcmp(argv[i], "example") == 0 && argc == i + 2) {
		rc = tool_es_example_print(stdout, argv[i + 1]);
		if (rc == -ENOENT)
			fprintf(stderr, "es example: unknown message '%s' ('rsplab tool es list' shows them)\n",
				argv[i + 1]);
		else if (rc < 0)
			fprintf(stderr, "es example: %s\n", strerror(-rc));
		return rc < 0 ? 1 : 0;
	}
	if (strcmp(argv[i], "validate") == 0 && argc == i + 2) {
		if (!xsd_dir) {
			if (es_xsd_dir_default(dir, sizeof(dir)) < 0) {
				fprintf(stderr, "es validate: cannot find lib/es/xsd from the binary's location; "
						"use --xsd-dir DIR\n");
				return 1;
			}
			xsd_dir = dir;
		}
		return cmd_validate(xsd_dir, argv[i + 1]);
	}
	return usage(stderr);
}
