/* Tests for the JSON reader and the report writers: a fixture run directory in, junit.xml and
 * report.html out; the XML must be well-formed (libxml2), the HTML must carry the verdicts, the
 * sequence-chart SVG must be well-formed XML, and hostile strings must come out escaped. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <libxml/parser.h>
#include <libxml/tree.h>

#include "harness/report/json.h"
#include "harness/report/report.h"
#include "lib/test/runner.h"

#define FIXTURE "harness/report/testdata/run-fixture/run.json"

static char tmpdir[64];

int suite_setup(void)
{
	char cmd[256];
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/rsplab-report-test-XXXXXX");
	if (!mkdtemp(tmpdir))
		return 1;
	snprintf(cmd, sizeof(cmd), "cp %s %s/run.json", FIXTURE, tmpdir);
	return system(cmd) == 0 ? 0 : 1;
}

int suite_teardown(void)
{
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
	return system(cmd) == 0 ? 0 : 1;
}

static unsigned int count(const char *hay, const char *needle)
{
	unsigned int n = 0;
	for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle))
		n++;
	return n;
}

void test_report_generate_fixture(void)
{
	char path[128];
	size_t len = 0;
	char *html, *svg_end, *svg;
	xmlDocPtr doc;
	xmlNodePtr suite, tc;
	unsigned int testcases = 0;

	CU_ASSERT_EQUAL_FATAL(report_generate(tmpdir), 0);

	/* junit.xml: well-formed, one testcase per scenario, counts and KPI properties */
	snprintf(path, sizeof(path), "%s/junit.xml", tmpdir);
	doc = xmlReadFile(path, NULL, XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	CU_ASSERT_PTR_NOT_NULL_FATAL(doc);
	suite = xmlDocGetRootElement(doc)->children;
	while (suite && suite->type != XML_ELEMENT_NODE)
		suite = suite->next;
	CU_ASSERT_PTR_NOT_NULL_FATAL(suite);
	CU_ASSERT_STRING_EQUAL((char *)suite->name, "testsuite");
	{
		xmlChar *tests = xmlGetProp(suite, (const xmlChar *)"tests");
		xmlChar *fail = xmlGetProp(suite, (const xmlChar *)"failures");
		xmlChar *err = xmlGetProp(suite, (const xmlChar *)"errors");
		xmlChar *skip = xmlGetProp(suite, (const xmlChar *)"skipped");
		CU_ASSERT_STRING_EQUAL((char *)tests, "4");
		CU_ASSERT_STRING_EQUAL((char *)fail, "1");
		CU_ASSERT_STRING_EQUAL((char *)err, "1");
		CU_ASSERT_STRING_EQUAL((char *)skip, "1");
		xmlFree(tests);
		xmlFree(fail);
		xmlFree(err);
		xmlFree(skip);
	}
	for (tc = suite->children; tc; tc = tc->next)
		testcases += tc->type == XML_ELEMENT_NODE && strcmp((char *)tc->name, "testcase") == 0;
	CU_ASSERT_EQUAL(testcases, 4);
	xmlFreeDoc(doc);
	{
		char *x = test_slurp(path, &len);
		CU_ASSERT_FATAL(x != NULL);
		CU_ASSERT_PTR_NOT_NULL(strstr(x, "<property name=\"smsr_change_ms\" value=\"31200\"/>"));
		CU_ASSERT_PTR_NOT_NULL(strstr(x, "<property name=\"reattach_ms\" value=\"2400\"/>"));
		CU_ASSERT_PTR_NOT_NULL(strstr(x, "<failure message=\"step 2 (line 21)"));
		CU_ASSERT_PTR_NOT_NULL(strstr(x, "<error message=\"component rsplab-euicc (card1) is not built yet\""));
		CU_ASSERT_PTR_NOT_NULL(strstr(x, "<skipped message=\"needs O_CAT_TP\"/>"));
		free(x);
	}

	/* report.html: verdicts, escaping, frame links, one chart per scenario with events */
	snprintf(path, sizeof(path), "%s/report.html", tmpdir);
	html = test_slurp(path, &len);
	CU_ASSERT_FATAL(html != NULL);
	CU_ASSERT_PTR_NOT_NULL(strstr(html, "<span class=\"v v-pass\">pass</span> TC.PROC.FLAGSHIP.1"));
	CU_ASSERT_PTR_NOT_NULL(strstr(html, "<span class=\"v v-fail\">fail</span> TC.PROC.SMSRCHANGE.2"));
	CU_ASSERT_PTR_NOT_NULL(strstr(html, "<span class=\"v v-error\">error</span> TC.ES1.REGISTEREIS.2"));
	CU_ASSERT_PTR_NOT_NULL(strstr(html, "1 pass, 1 fail, 1 error, 1 skipped"));
	CU_ASSERT_PTR_NOT_NULL(strstr(html, "&lt;check escaping &amp; &quot;quotes&quot;&gt;"));
	CU_ASSERT_PTR_NULL(strstr(html, "<check escaping"));
	CU_ASSERT_PTR_NOT_NULL(strstr(html, "<a href=\"#s0-f212\">#212</a>"));
	CU_ASSERT_PTR_NOT_NULL(strstr(html, "<g id=\"s0-f212\""));
	CU_ASSERT_PTR_NOT_NULL(strstr(html, "<a href=\"TC.PROC.FLAGSHIP.1/capture.pcap\">pcap</a>"));
	CU_ASSERT_PTR_NOT_NULL(strstr(html, "<a href=\"TC.PROC.FLAGSHIP.1/tls-keys.log\">TLS key log</a>"));
	CU_ASSERT_PTR_NOT_NULL(strstr(html, "Stopped at the end: card1, device1"));
	CU_ASSERT_EQUAL(count(html, "<svg "), 1);
	CU_ASSERT_EQUAL(count(html, "No messages recorded"), 3);
	CU_ASSERT_EQUAL(count(html, "class=\"ev\""), 10);
	/* the chart alone is well-formed XML */
	svg = strstr(html, "<svg ");
	svg_end = svg ? strstr(svg, "</svg>") : NULL;
	CU_ASSERT_FATAL(svg && svg_end);
	doc = xmlReadMemory(svg, (int)(svg_end + 6 - svg), "msc.svg", NULL, XML_PARSE_NONET | XML_PARSE_NOERROR);
	CU_ASSERT_PTR_NOT_NULL(doc);
	xmlFreeDoc(doc);
	/* no script, no external resource: self-contained */
	CU_ASSERT_PTR_NULL(strstr(html, "<script"));
	CU_ASSERT_PTR_NULL(strstr(html, "src="));
	CU_ASSERT_PTR_NULL(strstr(html, "<link"));
	free(html);
}

void test_report_bad_run_dirs(void)
{
	char path[128];
	FILE *f;

	CU_ASSERT_EQUAL(report_generate("/nonexistent-rsplab-dir"), -ENOENT);
	snprintf(path, sizeof(path), "%s/bad", tmpdir);
	CU_ASSERT_EQUAL_FATAL(mkdir(path, 0700), 0);
	snprintf(path, sizeof(path), "%s/bad/run.json", tmpdir);
	f = fopen(path, "w");
	CU_ASSERT_FATAL(f != NULL);
	fputs("{\"format\": \"rsplab-run-1\", \"scenarios\": [", f);
	fclose(f);
	snprintf(path, sizeof(path), "%s/bad", tmpdir);
	CU_ASSERT_EQUAL(report_generate(path), -EBADMSG);
	snprintf(path, sizeof(path), "%s/bad/run.json", tmpdir);
	f = fopen(path, "w");
	fputs("{\"format\": \"something-else\", \"scenarios\": []}", f);
	fclose(f);
	snprintf(path, sizeof(path), "%s/bad", tmpdir);
	CU_ASSERT_EQUAL(report_generate(path), -EBADMSG);
	snprintf(path, sizeof(path), "%s/bad/junit.xml", tmpdir);
	CU_ASSERT_NOT_EQUAL(access(path, F_OK), 0);
}

static const char *const good_json[] = {
	"{}",
	"[]",
	"0",
	"-0.5e+3",
	"true",
	"null",
	"\"\\u00e9\\ud83d\\ude00\\n\"",
	"{\"a\":[1,{\"b\":null}],\"c\":\"d\"}",
	" \t\r\n[ 1 , 2 ]\n",
};
static const char *const bad_json[] = {
	"",	     "{",     "[1,]",  "{\"a\"}", "{\"a\":1,}", "01",	       "1.",	       "-",
	"1e",	     "tru",   "\"abc", "\"\\x\"", "\"\\u12\"",	"\"\\ud800\"", "\"\\udc00x\"", "\"\\u0000\"",
	"\"a\x01\"", "[1] 2", "{1:2}", "nan",	  "1e999",
};

void test_report_json(void)
{
	struct json_doc *d;
	size_t off;
	char deep[200];

	for (size_t i = 0; i < sizeof(good_json) / sizeof(good_json[0]); i++) {
		int rc = json_parse(good_json[i], strlen(good_json[i]), &d, &off);
		if (rc)
			printf("\n  good %zu refused at %zu\n", i, off);
		CU_ASSERT_EQUAL(rc, 0);
		json_free(d);
	}
	for (size_t i = 0; i < sizeof(bad_json) / sizeof(bad_json[0]); i++) {
		int rc = json_parse(bad_json[i], strlen(bad_json[i]), &d, &off);
		if (rc != -EBADMSG)
			printf("\n  bad %zu: rc %d\n", i, rc);
		CU_ASSERT_EQUAL(rc, -EBADMSG);
		CU_ASSERT_PTR_NULL(d);
	}
	/* \u escapes decode to UTF-8, lookups work and tolerate wrong types */
	{
		static const char j[] = "{\"s\":\"\\u00e9\\ud83d\\ude00\",\"n\":42,\"o\":{}}";
		CU_ASSERT_EQUAL_FATAL(json_parse(j, strlen(j), &d, &off), 0);
	}
	CU_ASSERT_STRING_EQUAL(json_str(json_root(d), "s", NULL), "\xc3\xa9\xf0\x9f\x98\x80");
	CU_ASSERT_EQUAL(json_num(json_root(d), "n", 0), 42);
	CU_ASSERT_EQUAL(json_num(json_root(d), "s", -1), -1);
	CU_ASSERT_PTR_NULL(json_str(json_root(d), "n", NULL));
	CU_ASSERT_PTR_NULL(json_get(json_get(json_root(d), "n"), "x"));
	CU_ASSERT_EQUAL(json_get(json_root(d), "o")->n, 0);
	json_free(d);
	/* depth cap */
	memset(deep, '[', sizeof(deep));
	CU_ASSERT_EQUAL(json_parse(deep, sizeof(deep), &d, &off), -E2BIG);
}

static int decode_json(const uint8_t *buf, size_t len, void *priv)
{
	struct json_doc *d;
	size_t off;
	int rc = json_parse((const char *)buf, len, &d, &off);

	json_free(d);
	return rc;
}

void test_report_json_mutations(void)
{
	static const char text[] = "{\"a\":[1,-2.5e3,\"x\\u00e9\\n\"],\"b\":{\"c\":true,\"d\":null}}";

	CU_ASSERT_EQUAL(TEST_TRUNCATIONS_REJECTED((const uint8_t *)text, strlen(text), decode_json, NULL), 0);
	CU_ASSERT(test_mutations_run((const uint8_t *)text, strlen(text), decode_json, NULL) > 0);
}

/* A hostile record renders without breaking out of the markup. */
void test_report_hostile_strings(void)
{
	static const char text[] = "{\"format\":\"rsplab-run-1\",\"run\":\"</title><script>x</"
				   "script>\",\"scenarios\":[{\"id\":\"a\\\"b\","
				   "\"verdict\":\"<b>\",\"duration_ms\":1e300,\"events\":[{\"from\":\"<x>\",\"to\":\"y'"
				   "\",\"label\":\"]]>\","
				   "\"frame\":-5,\"t_ms\":\"bad\"}],\"kpis\":{\"k<\":1}}]}";
	struct json_doc *d;
	size_t off, len = 0;
	char *buf = NULL;
	FILE *f;

	CU_ASSERT_EQUAL_FATAL(json_parse(text, strlen(text), &d, &off), 0);
	f = open_memstream(&buf, &len);
	CU_ASSERT_FATAL(f != NULL);
	CU_ASSERT_EQUAL(report_write_html(f, json_root(d)), 0);
	CU_ASSERT_EQUAL(report_write_junit(f, json_root(d)), 0);
	fclose(f);
	CU_ASSERT_PTR_NULL(strstr(buf, "<script"));
	CU_ASSERT_PTR_NULL(strstr(buf, "<x>"));
	CU_ASSERT_PTR_NULL(strstr(buf, "<b>"));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "v-error")); /* an unknown verdict is an error, never a pass */
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "&lt;x&gt;"));
	free(buf);
	json_free(d);
}

/* Whether the checker ran is said, never implied: an unchecked scenario has no "No findings". */
void test_report_checker_wording(void)
{
	static const char run[] = "{\"format\":\"rsplab-run-1\",\"run\":\"r\",\"scenarios\":["
				  "{\"id\":\"A\",\"verdict\":\"error\",\"checker\":{\"ran\":false,\"why\":\"no "
				  "capture: not root\"},"
				  "\"findings\":[],\"events\":[]},"
				  "{\"id\":\"B\",\"verdict\":\"pass\",\"checker\":{\"ran\":true,\"errors\":0,"
				  "\"warnings\":0,\"info\":0,"
				  "\"xsd\":true},\"findings\":[],\"events_source\":\"capture\",\"events\":[],"
				  "\"steps\":[{\"label\":\"1\",\"text\":\"call "
				  "X\",\"verdict\":\"not-run\",\"start_ms\":0,\"elapsed_ms\":0}]},"
				  "{\"id\":\"C\",\"verdict\":\"pass\",\"findings\":[],\"events\":[]}]}";
	char dir[128], path[160], *html;
	size_t len = 0;
	FILE *f;

	snprintf(dir, sizeof(dir), "%s/wording", tmpdir);
	CU_ASSERT_EQUAL_FATAL(mkdir(dir, 0700), 0);
	snprintf(path, sizeof(path), "%s/run.json", dir);
	f = fopen(path, "w");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fputs(run, f);
	fclose(f);
	CU_ASSERT_EQUAL_FATAL(report_generate(dir), 0);
	snprintf(path, sizeof(path), "%s/report.html", dir);
	html = test_slurp(path, &len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(html);
	CU_ASSERT_EQUAL(count(html, "The compliance checker did not run on this scenario: no capture: not root."), 1);
	CU_ASSERT_EQUAL(count(html, "The compliance checker ran over the capture: 0 error(s)"), 1);
	CU_ASSERT_EQUAL(count(html, "No findings."), 1);		       /* B only */
	CU_ASSERT_EQUAL(count(html, "results are not in this run record"), 1); /* C: an older record */
	CU_ASSERT_EQUAL(count(html, ">not checked<"), 1);
	CU_ASSERT_PTR_NULL(strstr(html, "None."));
	CU_ASSERT_EQUAL(count(html, "From the capture"), 1);
	/* a step that never ran has no times */
	CU_ASSERT_PTR_NOT_NULL(strstr(html, "<td class=\"num\">&ndash;</td><td class=\"num\">&ndash;</td>"));
	free(html);
}
