/* Unit tests: the config map and the {{NAME}} renderer (harness/net_tmpl.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "harness/net_tmpl.h"
#include "lib/test/runner.h"

static struct net_map map;

static void map_init(void)
{
	memset(&map, 0, sizeof(map));
	CU_ASSERT_EQUAL(net_map_set(&map, "MSC_ADDR", "127.0.0.22"), 0);
	CU_ASSERT_EQUAL(net_map_set(&map, "MSC_SMPP_PORT", "2775"), 0);
	CU_ASSERT_EQUAL(net_map_set(&map, "MO_URL", "http://127.0.0.41:18080/mo"), 0);
}

static int render(const char *tmpl, char *out, size_t out_len, char *err)
{
	return net_tmpl_render(&map, tmpl, strlen(tmpl), out, out_len, err, 200);
}

void test_net_tmpl_render_ok(void)
{
	char out[256], err[200];
	const char *t = "smpp\n local-tcp-ip {{MSC_ADDR}} {{MSC_SMPP_PORT}}\nget-url = \"{{MO_URL}}?from=%p\"\n";
	const char *want = "smpp\n local-tcp-ip 127.0.0.22 2775\nget-url = \"http://127.0.0.41:18080/mo?from=%p\"\n";

	map_init();
	CU_ASSERT_EQUAL(render(t, out, sizeof(out), err), (int)strlen(want));
	CU_ASSERT_STRING_EQUAL(out, want);
	/* no placeholder: copied as is, single braces too */
	CU_ASSERT_EQUAL(render("a { b } c", out, sizeof(out), err), 9);
	CU_ASSERT_STRING_EQUAL(out, "a { b } c");
	CU_ASSERT_EQUAL(render("", out, sizeof(out), err), 0);
	CU_ASSERT_STRING_EQUAL(out, "");
	/* a replaced value */
	CU_ASSERT_EQUAL(net_map_set(&map, "MSC_SMPP_PORT", "2776"), 0);
	CU_ASSERT_EQUAL(render("{{MSC_SMPP_PORT}}", out, sizeof(out), err), 4);
	CU_ASSERT_STRING_EQUAL(out, "2776");
}

void test_net_tmpl_render_unknown_is_error(void)
{
	char out[256], err[200];

	map_init();
	CU_ASSERT_EQUAL(render("x\ny {{NOPE}}\n", out, sizeof(out), err), -ENOENT);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "{{NOPE}}"));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "line 2"));
}

void test_net_tmpl_render_malformed(void)
{
	static const char *const bad[] = {
		"{{MSC_ADDR",	 "{{MSC_ADDR}", "{{msc_addr}}", "{{}}",		  "{{ MSC_ADDR }}", "{{MSC-ADDR}}",
		"stray }} here", "{{1ABC}}",	"{{",		"{{MSC_ADDR}}}}", "{{MSC_ADDR}x}",  "{{{MSC_ADDR}}",
	};
	char out[256], err[200];

	map_init();
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int rc = render(bad[i], out, sizeof(out), err);
		CU_ASSERT(rc == -EBADMSG || rc == -ENOENT);
		if (rc >= 0)
			fprintf(stderr, "accepted: '%s'\n", bad[i]);
	}
}

void test_net_tmpl_render_output_too_small(void)
{
	char out[64], err[200];
	const char *t = "ip {{MSC_ADDR}}";

	map_init();
	/* "ip 127.0.0.22" is 13 characters + NUL */
	CU_ASSERT_EQUAL(render(t, out, 14, err), 13);
	CU_ASSERT_EQUAL(render(t, out, 13, err), -EMSGSIZE);
	CU_ASSERT_EQUAL(render(t, out, 3, err), -EMSGSIZE);
	CU_ASSERT_EQUAL(net_tmpl_render(&map, t, strlen(t), out, 0, NULL, 0), -EMSGSIZE);
	/* every truncation of the template is rendered or rejected, never overread (ASan) */
	for (size_t n = 0; n <= strlen(t); n++) {
		char *copy = malloc(n ? n : 1);
		memcpy(copy, t, n);
		int rc = net_tmpl_render(&map, copy, n, out, sizeof(out), NULL, 0);
		CU_ASSERT(rc >= 0 || rc == -EBADMSG);
		free(copy);
	}
}

void test_net_map_values_checked(void)
{
	static const char *const bad_vals[] = {
		"", "a b", "x\ny", "say \"hi\"", "back\\slash", "{{X}}", "a#b", "a!b", "tab\t", "\x7f",
	};
	static const char *const bad_keys[] = { "",    "lower", "1X",
						"A-B", "A B",	"ABCDEFGHIJKLMNOPQRSTUVWXYZABCDEFGHIJKLMN" };
	char longval[NET_VAL_MAX + 1];

	memset(&map, 0, sizeof(map));
	for (size_t i = 0; i < sizeof(bad_vals) / sizeof(bad_vals[0]); i++)
		CU_ASSERT_EQUAL(net_map_set(&map, "K", bad_vals[i]), -EINVAL);
	for (size_t i = 0; i < sizeof(bad_keys) / sizeof(bad_keys[0]); i++)
		CU_ASSERT_EQUAL(net_map_set(&map, bad_keys[i], "v"), -EINVAL);
	memset(longval, 'a', sizeof(longval) - 1);
	longval[sizeof(longval) - 1] = '\0';
	CU_ASSERT_EQUAL(net_map_set(&map, "K", longval), -EINVAL);
	longval[NET_VAL_MAX - 1] = '\0';
	CU_ASSERT_EQUAL(net_map_set(&map, "K", longval), 0);
	CU_ASSERT_EQUAL(net_map_set(&map, "URL", "http://127.0.0.1:80/a?b=%p&c=1,2*~+@"), 0);
	CU_ASSERT_EQUAL(map.n, 2);
	/* full map */
	for (int i = 0; i < NET_MAP_MAX; i++) {
		char key[16];
		snprintf(key, sizeof(key), "K%d", i);
		int rc = net_map_set(&map, key, "v");
		CU_ASSERT(i < NET_MAP_MAX - 2 ? rc == 0 : rc == -ENOSPC);
	}
}

void test_net_map_parse(void)
{
	const char *text = "# overrides\nMSC_ADDR=127.0.0.99\r\n\nMSC_SMPP_PORT=2800";
	char out[512];
	unsigned int line;

	map_init();
	CU_ASSERT_EQUAL(net_map_parse(&map, text, strlen(text), true, &line), 0);
	CU_ASSERT_STRING_EQUAL(net_map_get(&map, "MSC_ADDR"), "127.0.0.99");
	CU_ASSERT_STRING_EQUAL(net_map_get(&map, "MSC_SMPP_PORT"), "2800");
	/* an override file cannot invent keys, break lines or carry blanks */
	CU_ASSERT_EQUAL(net_map_parse(&map, "MSC_ADDR=1\nNEW_KEY=1\n", 21, true, &line), -ENOENT);
	CU_ASSERT_EQUAL(line, 2);
	CU_ASSERT_EQUAL(net_map_parse(&map, "MSC_ADDR = 1\n", 13, true, &line), -EINVAL);
	CU_ASSERT_EQUAL(net_map_parse(&map, "MSC_ADDR\n", 9, true, &line), -EBADMSG);
	CU_ASSERT_EQUAL(net_map_parse(&map, "MSC_ADDR=a b\n", 13, true, &line), -EINVAL);
	CU_ASSERT_EQUAL(net_map_parse(&map, "MSC_ADDR=a\0b\n", 13, true, &line), -EBADMSG);
	/* without only_known (net.env): new keys are fine; round trip through net_map_format */
	CU_ASSERT_EQUAL(net_map_parse(&map, "NEW_KEY=x", 9, false, &line), 0);
	int n = net_map_format(&map, out, sizeof(out));
	CU_ASSERT(n > 0);
	struct net_map back = { 0 };
	CU_ASSERT_EQUAL(net_map_parse(&back, out, (size_t)n, false, &line), 0);
	CU_ASSERT_EQUAL(back.n, map.n);
	CU_ASSERT_STRING_EQUAL(net_map_get(&back, "NEW_KEY"), "x");
	CU_ASSERT_EQUAL(net_map_format(&map, out, 10), -EMSGSIZE);
}
