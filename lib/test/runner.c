/* The shared CUnit runner: main() for every test binary (see runner.h).
 *
 * Console output is CUnit's own verbose basic mode. The JUnit XML file is written after the run
 * from CUnit's registry and failure list (CUnit's basic mode owns the run-time handlers, so we read
 * the results afterwards instead of hooking in). */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <CUnit/Basic.h>

#include "lib/test/runner.h"

#define JUNIT_DIR_DEFAULT "reports/out/junit"

static void usage(FILE *out, const char *prog)
{
	fprintf(out,
		"usage: %s [-s SUITE] [-t TEST] [-l] [-j DIR]\n"
		"  -s SUITE  run only this suite (this binary has suite '%s')\n"
		"  -t TEST   run only this test of the suite\n"
		"  -l        list the tests and exit\n"
		"  -j DIR    write the JUnit XML file into DIR (default %s; '-' for none)\n",
		prog, test_registry.suite, JUNIT_DIR_DEFAULT);
}

static void xml_escaped(FILE *f, const char *s)
{
	for (; s && *s; s++) {
		switch (*s) {
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '&': fputs("&amp;", f); break;
		case '"': fputs("&quot;", f); break;
		default:
			/* XML 1.0 forbids most control characters even when escaped. */
			if ((unsigned char)*s < 0x20 && *s != '\n' && *s != '\t')
				fputc('?', f);
			else
				fputc(*s, f);
		}
	}
}

static int mkdir_p(const char *path)
{
	char buf[4096];
	size_t n = strlen(path);

	if (n == 0 || n >= sizeof(buf))
		return -ENAMETOOLONG;
	memcpy(buf, path, n + 1);
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0755) < 0 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(buf, 0755) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

/* JUnit file name from the test source path: lib/tlv/bertlv_test.c -> lib_tlv_bertlv_test.xml */
static void junit_name(char *out, size_t out_len, const char *source)
{
	size_t i = 0;

	for (const char *s = source; *s && i + 5 < out_len; s++) {
		if (strcmp(s, ".c") == 0)
			break;
		out[i++] = (*s == '/' || *s == '.') ? '_' : *s;
	}
	out[i] = '\0';
	strcat(out, ".xml");
}

static int write_junit(const char *dir, const char *only_test)
{
	CU_pSuite suite = CU_get_registry()->pSuite;
	char name[512], path[4608];
	unsigned int n_tests = 0, n_failed = 0;
	FILE *f;
	int rc;

	if ((rc = mkdir_p(dir)) < 0) {
		fprintf(stderr, "runner: cannot create %s: %s\n", dir, strerror(-rc));
		return rc;
	}
	junit_name(name, sizeof(name), test_registry.source);
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	if (!f) {
		fprintf(stderr, "runner: cannot write %s: %s\n", path, strerror(errno));
		return -errno;
	}

	/* Count first: the <testsuite> element carries the totals. */
	for (CU_pTest t = suite->pTest; t; t = t->pNext) {
		if (only_test && strcmp(t->pName, only_test) != 0)
			continue;
		n_tests++;
		for (CU_pFailureRecord fr = CU_get_failure_list(); fr; fr = fr->pNext) {
			if (fr->pTest == t) {
				n_failed++;
				break;
			}
		}
	}

	fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites>\n");
	fprintf(f, "  <testsuite name=\"");
	xml_escaped(f, test_registry.suite);
	fprintf(f, "\" tests=\"%u\" failures=\"%u\" errors=\"%u\" time=\"%.3f\">\n", n_tests, n_failed,
		CU_get_number_of_suites_failed(), CU_get_elapsed_time());

	/* A failed suite set-up or tear-down is reported as an error of the suite itself. */
	for (CU_pFailureRecord fr = CU_get_failure_list(); fr; fr = fr->pNext) {
		if (fr->pTest)
			continue;
		fprintf(f, "    <testcase classname=\"");
		xml_escaped(f, test_registry.source);
		fprintf(f, "\" name=\"%s\">\n      <error message=\"",
			fr->type == CUF_SuiteCleanupFailed ? "suite_teardown" : "suite_setup");
		xml_escaped(f, fr->strCondition);
		fprintf(f, "\"/>\n    </testcase>\n");
	}

	for (CU_pTest t = suite->pTest; t; t = t->pNext) {
		if (only_test && strcmp(t->pName, only_test) != 0)
			continue;
		fprintf(f, "    <testcase classname=\"");
		xml_escaped(f, test_registry.source);
		fprintf(f, "\" name=\"");
		xml_escaped(f, t->pName);
		fprintf(f, "\">\n");
		for (CU_pFailureRecord fr = CU_get_failure_list(); fr; fr = fr->pNext) {
			if (fr->pTest != t)
				continue;
			fprintf(f, "      <failure message=\"");
			xml_escaped(f, fr->strCondition);
			fprintf(f, "\">");
			xml_escaped(f, fr->strFileName);
			fprintf(f, ":%u: ", fr->uiLineNumber);
			xml_escaped(f, fr->strCondition);
			fprintf(f, "</failure>\n");
		}
		fprintf(f, "    </testcase>\n");
	}
	fprintf(f, "  </testsuite>\n</testsuites>\n");
	if (fclose(f) != 0) {
		fprintf(stderr, "runner: cannot write %s: %s\n", path, strerror(errno));
		return -errno;
	}
	return 0;
}

int main(int argc, char **argv)
{
	const char *only_suite = NULL, *only_test = NULL, *junit_dir = JUNIT_DIR_DEFAULT;
	bool list = false;
	CU_pSuite suite;
	CU_pTest test = NULL;
	int opt;
	bool failed;

	while ((opt = getopt(argc, argv, "s:t:lj:h")) != -1) {
		switch (opt) {
		case 's': only_suite = optarg; break;
		case 't': only_test = optarg; break;
		case 'l': list = true; break;
		case 'j': junit_dir = optarg; break;
		case 'h': usage(stdout, argv[0]); return 0;
		default: usage(stderr, argv[0]); return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "%s: unexpected argument '%s'\n", argv[0], argv[optind]);
		usage(stderr, argv[0]);
		return 2;
	}
	if (only_suite && strcmp(only_suite, test_registry.suite) != 0) {
		fprintf(stderr, "%s: no suite '%s' (this binary has suite '%s')\n", argv[0], only_suite,
			test_registry.suite);
		return 2;
	}

	/* Unbuffered, so a crash still leaves the last "Test: ..." line on the console. */
	setvbuf(stdout, NULL, _IONBF, 0);

	if (CU_initialize_registry() != CUE_SUCCESS) {
		fprintf(stderr, "%s: CUnit: %s\n", argv[0], CU_get_error_msg());
		return 1;
	}
	suite = CU_add_suite(test_registry.suite, test_registry.setup, test_registry.teardown);
	if (!suite) {
		fprintf(stderr, "%s: CUnit: %s\n", argv[0], CU_get_error_msg());
		CU_cleanup_registry();
		return 1;
	}
	for (const CU_TestInfo *ti = test_registry.tests; ti->pName; ti++) {
		if (!CU_add_test(suite, ti->pName, ti->pTestFunc)) {
			fprintf(stderr, "%s: CUnit: %s\n", argv[0], CU_get_error_msg());
			CU_cleanup_registry();
			return 1;
		}
	}

	if (list) {
		for (CU_pTest t = suite->pTest; t; t = t->pNext)
			printf("%s %s\n", test_registry.suite, t->pName);
		CU_cleanup_registry();
		return 0;
	}
	if (only_test) {
		test = CU_get_test(suite, only_test);
		if (!test) {
			fprintf(stderr, "%s: suite '%s' has no test '%s' (-l lists them)\n", argv[0],
				test_registry.suite, only_test);
			CU_cleanup_registry();
			return 2;
		}
	}

	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_set_error_action(CUEA_IGNORE);
	if (test)
		CU_basic_run_test(suite, test);
	else
		CU_basic_run_suite(suite);
	printf("\n");

	/* The result is what failed, never the framework's error code nor a count used as exit status. */
	failed = CU_get_number_of_failures() > 0 || CU_get_number_of_suites_failed() > 0 ||
		 CU_get_number_of_tests_failed() > 0;
	if (strcmp(junit_dir, "-") != 0 && write_junit(junit_dir, only_test) < 0)
		failed = true;
	CU_cleanup_registry();
	return failed ? 1 : 0;
}
