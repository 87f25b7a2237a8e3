/* Acceptance of `rsplab tool es` (issue 5): validate accepts every example that `example` prints,
 * and rejects one with a missing mandatory element, naming the element. Runs from the repo top. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/tool.h"
#include "lib/es/es.h"
#include "lib/test/runner.h"

#define XSD_DIR "lib/es/xsd"

static char *run_example(const char *name, size_t *len)
{
	char *out = NULL;
	FILE *mem = open_memstream(&out, len);

	CU_ASSERT_EQUAL(tool_es_example_print(mem, name), 0);
	fclose(mem);
	return out;
}

static int run_validate(const char *doc, size_t len, char **report)
{
	size_t rlen = 0;
	FILE *mem = open_memstream(report, &rlen);
	int rc = tool_es_validate_buf(mem, XSD_DIR, (const uint8_t *)doc, len);

	fclose(mem);
	return rc;
}

void test_tool_es_every_example_validates(void)
{
	unsigned int ok = 0;

	for (unsigned int i = 0; i < ES_MSG__COUNT; i++) {
		size_t len = 0;
		char *doc = run_example(es_msgs[i].element, &len), *report = NULL;

		if (run_validate(doc, len, &report) == 0 && strcmp(report, "ok\n") == 0)
			ok++;
		else
			fprintf(stderr, "  %s: %s", es_msgs[i].element, report);
		free(doc);
		free(report);
	}
	CU_ASSERT_EQUAL(ok, ES_MSG__COUNT);
}

void test_tool_es_names_from_the_issue(void)
{
	static const char *const names[] = { "ES3-CreateISDP", "ES7-HandoverEUICC",
					     "ES4-HandleSMSRChangeNotification" };

	for (unsigned int i = 0; i < 3; i++) {
		size_t len = 0;
		char *doc = run_example(names[i], &len);

		CU_ASSERT_TRUE(len > 200);
		free(doc);
	}
	CU_ASSERT_EQUAL(tool_es_example_print(stdout, "ES9-Nothing"), -ENOENT);
}

void test_tool_es_missing_element_named(void)
{
	size_t len = 0;
	char *doc = run_example("ES3-CreateISDP", &len), *report = NULL;
	char *start = strstr(doc, "<rps:Mno-id>"), *end = strstr(doc, "</rps:Mno-id>");

	CU_ASSERT_PTR_NOT_NULL_FATAL(start);
	CU_ASSERT_PTR_NOT_NULL_FATAL(end);
	end += strlen("</rps:Mno-id>");
	memmove(start, end, strlen(end) + 1);
	CU_ASSERT_EQUAL(run_validate(doc, strlen(doc), &report), 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(report, "ES-XSD /Envelope/Body/ES3-CreateISDPRequest"));
	CU_ASSERT_PTR_NOT_NULL(strstr(report, "Expected is ( Mno-id )"));
	CU_ASSERT_PTR_NULL(strstr(report, "ok\n"));
	free(doc);
	free(report);
}
