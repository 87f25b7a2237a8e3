/* `rsplab tool script build|parse`: TS 102 226 remote command scripts (lib/rscript). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/cli.h"
#include "harness/tool.h"
#include "harness/tool_util.h"
#include "lib/rscript/rscript.h"

#define SCRIPT_MAX	 65536
#define SCRIPT_MAX_APDU	 4096
#define SCRIPT_MAX_ITEMS 256

static const struct {
	const char *name;
	enum rscript_chaining v;
} chainings[] = {
	{ "first", RSCRIPT_CHAIN_FIRST_DELETE_ON_RESET },
	{ "first-keep", RSCRIPT_CHAIN_FIRST_KEEP_ON_RESET },
	{ "subsequent", RSCRIPT_CHAIN_SUBSEQUENT },
	{ "last", RSCRIPT_CHAIN_LAST },
};

static int usage_build(FILE *out)
{
	fprintf(out, "usage: rsplab tool script build [--format expanded|expanded-indefinite|compact] ITEM...\n"
		     "  ITEM (added in the order given):\n"
		     "    --apdu HEX                 a C-APDU (22 in the expanded format)\n"
		     "    --chaining first|first-keep|subsequent|last\n"
		     "                               script chaining 83: 01 / 11 / 02 / 03 (TS 102 226 §5.2.1.4)\n"
		     "    --immediate-action HEX     81 (TS 102 226 §5.2.1.2)\n"
		     "    --error-action HEX         82 (TS 102 226 §5.2.1.3; empty allowed: --error-action '')\n"
		     "    --scp03t-84|--scp03t-85|--scp03t-86 HEX   SCP03t TLVs placed directly in the template\n"
		     "  The compact format (TS 102 226 §5.1.1) takes --apdu only.\n"
		     "  prints: script=<hex>\n");
	return out == stdout ? 0 : 2;
}

static int usage_parse(FILE *out)
{
	fprintf(out, "usage: rsplab tool script parse [--format expanded|compact|compact-response] "
		     "[--split tpdu|single] --script HEX\n"
		     "  expanded (default): a command (AA / AE) or response (AB / AF) scripting template\n"
		     "  compact: concatenated C-APDUs, split per --split (default tpdu: P3 + data by INS)\n"
		     "  compact-response: number of commands || last SW || last response data\n"
		     "  prints: format=, type=, then one numbered line per item (apdu.N=, sw.N=, data.N=, ...),\n"
		     "  items=, and count= where the script carries one\n");
	return out == stdout ? 0 : 2;
}

static int usage(FILE *out)
{
	fprintf(out, "usage: rsplab tool script build|parse ...   (TS 102 226 remote command scripts)\n"
		     "'rsplab tool script build --help' and 'rsplab tool script parse --help' describe each.\n");
	return out == stdout ? 0 : 2;
}

static int script_build(int argc, char **argv)
{
	static uint8_t out[SCRIPT_MAX], compact[SCRIPT_MAX];
	static uint8_t apdu[SCRIPT_MAX_APDU];
	enum { F_EXP, F_EXP_INDEF, F_COMPACT } fmt = F_EXP;
	struct rscript_builder b;
	size_t clen = 0;
	int items = 0, i, n, rc;

	for (i = 1; i < argc; i++) {
		if (cli_is_help(argv[i]))
			return usage_build(stdout);
		if (strcmp(argv[i], "--format") == 0 && i + 1 < argc) {
			const char *f = argv[++i];

			if (strcmp(f, "expanded") == 0)
				fmt = F_EXP;
			else if (strcmp(f, "expanded-indefinite") == 0)
				fmt = F_EXP_INDEF;
			else if (strcmp(f, "compact") == 0)
				fmt = F_COMPACT;
			else {
				fprintf(stderr, "script build: unknown format '%s'\n", f);
				return 1;
			}
		}
	}
	if (fmt != F_COMPACT)
		rscript_cmd_begin(&b, out, sizeof(out), fmt == F_EXP ? RSCRIPT_DEFINITE : RSCRIPT_INDEFINITE);
	for (i = 1; i < argc; i++) {
		const char *opt = argv[i];
		enum rscript_cmd_kind kind;

		if (strcmp(opt, "--format") == 0) {
			i++;
			continue;
		}
		if (i + 1 >= argc) {
			fprintf(stderr, "script build: '%s' needs a value or is unknown\n", opt);
			usage_build(stderr);
			return 1;
		}
		if (strcmp(opt, "--chaining") == 0) {
			const char *c = argv[++i];
			size_t k;

			for (k = 0; k < sizeof(chainings) / sizeof(chainings[0]); k++)
				if (strcmp(chainings[k].name, c) == 0)
					break;
			if (k == sizeof(chainings) / sizeof(chainings[0])) {
				fprintf(stderr,
					"script build: unknown chaining '%s' (first|first-keep|subsequent|last)\n", c);
				return 1;
			}
			if (fmt == F_COMPACT) {
				fprintf(stderr, "script build: the compact format has no script chaining\n");
				return 1;
			}
			rscript_cmd_add_chaining(&b, chainings[k].v);
			items++;
			continue;
		}
		if (strcmp(opt, "--apdu") == 0)
			kind = RSCRIPT_CMD_CAPDU;
		else if (strcmp(opt, "--immediate-action") == 0)
			kind = RSCRIPT_CMD_IMMEDIATE_ACTION;
		else if (strcmp(opt, "--error-action") == 0)
			kind = RSCRIPT_CMD_ERROR_ACTION;
		else if (strcmp(opt, "--scp03t-84") == 0)
			kind = RSCRIPT_CMD_SCP03T_INIT;
		else if (strcmp(opt, "--scp03t-85") == 0)
			kind = RSCRIPT_CMD_SCP03T_EXT_AUTH;
		else if (strcmp(opt, "--scp03t-86") == 0)
			kind = RSCRIPT_CMD_SCP03T_DATA;
		else {
			fprintf(stderr, "script build: unknown option '%s'\n", opt);
			return 1;
		}
		n = tool_hex_arg(opt, argv[++i], apdu, sizeof(apdu));
		if (n < 0)
			return 1;
		if (kind == RSCRIPT_CMD_CAPDU) {
			struct rscript_apdu a;

			if (rscript_apdu_parse(&a, apdu, (size_t)n) < 0) {
				fprintf(stderr,
					"script build: --apdu %s is not a short-form C-APDU "
					"(CLA INS P1 P2 [Lc data] [Le], Lc consistent)\n",
					argv[i]);
				return 1;
			}
		}
		if (fmt == F_COMPACT) {
			if (kind != RSCRIPT_CMD_CAPDU) {
				fprintf(stderr, "script build: the compact format takes --apdu only\n");
				return 1;
			}
			if ((size_t)n > sizeof(compact) - clen) {
				fprintf(stderr, "script build: script longer than %d bytes\n", SCRIPT_MAX);
				return 1;
			}
			memcpy(compact + clen, apdu, (size_t)n);
			clen += (size_t)n;
		} else {
			rscript_cmd_add(&b, kind, apdu, (size_t)n);
		}
		items++;
	}
	if (items == 0) {
		fprintf(stderr, "script build: no items (give at least one --apdu)\n");
		return 1;
	}
	if (fmt == F_COMPACT) {
		tool_kv_hex("script", compact, clen);
		return 0;
	}
	rc = rscript_cmd_finish(&b);
	if (rc < 0) {
		fprintf(stderr, "script build: %s\n", strerror(-rc));
		return 1;
	}
	tool_kv_hex("script", out, (size_t)rc);
	return 0;
}

static void kv_n_hex(const char *key, unsigned int n, const uint8_t *buf, size_t len)
{
	char k[48];

	snprintf(k, sizeof(k), "%s.%u", key, n);
	tool_kv_hex(k, buf, len);
}

static int parse_cmd(const uint8_t *buf, size_t len)
{
	struct rscript_cmd_iter it;
	struct rscript_cmd_item item;
	unsigned int n = 0;
	int total, rc;

	total = rscript_cmd_open(&it, buf, len);
	if (total < 0) {
		fprintf(stderr, "script parse: not a command scripting template: %s\n", strerror(-total));
		return 1;
	}
	if ((size_t)total != len) {
		fprintf(stderr, "script parse: %zu bytes after the template\n", len - (size_t)total);
		return 1;
	}
	printf("format=%s\ntype=command\n", it.coding == RSCRIPT_DEFINITE ? "expanded" : "expanded-indefinite");
	while ((rc = rscript_cmd_next(&it, &item)) > 0) {
		static const struct {
			enum rscript_cmd_kind kind;
			const char *key;
		} keys[] = {
			{ RSCRIPT_CMD_CAPDU, "apdu" },
			{ RSCRIPT_CMD_IMMEDIATE_ACTION, "immediate-action" },
			{ RSCRIPT_CMD_ERROR_ACTION, "error-action" },
			{ RSCRIPT_CMD_SCRIPT_CHAINING, "chaining" },
			{ RSCRIPT_CMD_SCP03T_INIT, "scp03t-84" },
			{ RSCRIPT_CMD_SCP03T_EXT_AUTH, "scp03t-85" },
			{ RSCRIPT_CMD_SCP03T_DATA, "scp03t-86" },
		};
		n++;
		for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++)
			if (keys[k].kind == item.kind)
				kv_n_hex(keys[k].key, n, item.value, item.len);
	}
	if (rc < 0) {
		fprintf(stderr, "script parse: item %u at offset %zu: %s (bad format %02x: %s)\n", n + 1, it.bad_offset,
			strerror(-rc), it.bad_format, get_value_string(rscript_bad_format_names, it.bad_format));
		return 1;
	}
	printf("items=%u\n", n);
	return 0;
}

static int parse_rsp(const uint8_t *buf, size_t len)
{
	struct rscript_rsp_iter it;
	struct rscript_rsp_item r;
	unsigned int n = 0;
	int total, rc;
	char k[48];

	total = rscript_rsp_open(&it, buf, len);
	if (total < 0) {
		fprintf(stderr, "script parse: not a response scripting template: %s\n", strerror(-total));
		return 1;
	}
	if ((size_t)total != len) {
		fprintf(stderr, "script parse: %zu bytes after the template\n", len - (size_t)total);
		return 1;
	}
	printf("format=%s\ntype=response\n", it.coding == RSCRIPT_DEFINITE ? "expanded" : "expanded-indefinite");
	while ((rc = rscript_rsp_next(&it, &r)) > 0) {
		switch (r.kind) {
		case RSCRIPT_RSP_COUNT: printf("count=%u\n", r.count); break;
		case RSCRIPT_RSP_RAPDU:
			n++;
			kv_n_hex("data", n, r.data, r.data_len);
			printf("sw.%u=%04x\n", n, r.sw);
			break;
		case RSCRIPT_RSP_BAD_FORMAT:
			printf("bad-format=%02x\nbad-format.name=%s\n", r.code,
			       get_value_string(rscript_bad_format_names, r.code));
			break;
		case RSCRIPT_RSP_IMMEDIATE_ACTION: printf("immediate-action-response=%02x\n", r.code); break;
		case RSCRIPT_RSP_SCRIPT_CHAINING:
			printf("chaining-response=%02x\nchaining-response.name=%s\n", r.code,
			       get_value_string(rscript_chaining_rsp_names, r.code));
			break;
		case RSCRIPT_RSP_SCP03T_ERROR:
			n++;
			snprintf(k, sizeof(k), "scp03t-%04x.%u", r.tag, n);
			tool_kv_hex(k, r.value, r.len);
			break;
		default:
			n++;
			snprintf(k, sizeof(k), "scp03t-%02x.%u", r.tag, n);
			tool_kv_hex(k, r.value, r.len);
			break;
		}
	}
	if (rc < 0) {
		fprintf(stderr, "script parse: malformed response item after %u: %s\n", n, strerror(-rc));
		return 1;
	}
	printf("items=%u\n", n);
	return 0;
}

static int script_parse(int argc, char **argv)
{
	static uint8_t buf[SCRIPT_MAX];
	const char *fmt = "expanded", *hex = NULL;
	enum rscript_compact_split split = RSCRIPT_COMPACT_TPDU;
	int n;

	for (int i = 1; i < argc; i++) {
		if (cli_is_help(argv[i]))
			return usage_parse(stdout);
		if (i + 1 >= argc) {
			fprintf(stderr, "script parse: '%s' needs a value or is unknown\n", argv[i]);
			return 1;
		}
		if (strcmp(argv[i], "--format") == 0) {
			fmt = argv[++i];
		} else if (strcmp(argv[i], "--script") == 0) {
			hex = argv[++i];
		} else if (strcmp(argv[i], "--split") == 0) {
			const char *s = argv[++i];

			if (get_string_value(rscript_compact_split_names, s) < 0) {
				fprintf(stderr, "script parse: unknown split '%s' (tpdu|single)\n", s);
				return 1;
			}
			split = (enum rscript_compact_split)get_string_value(rscript_compact_split_names, s);
		} else {
			fprintf(stderr, "script parse: unknown option '%s'\n", argv[i]);
			return 1;
		}
	}
	if (!hex) {
		fprintf(stderr, "script parse: --script HEX is required\n");
		return 1;
	}
	n = tool_hex_arg("--script", hex, buf, sizeof(buf));
	if (n < 0)
		return 1;
	if (strcmp(fmt, "expanded") == 0) {
		if (n > 0 && (buf[0] == RSCRIPT_TAG_RSP_DEFINITE || buf[0] == RSCRIPT_TAG_RSP_INDEFINITE))
			return parse_rsp(buf, (size_t)n);
		return parse_cmd(buf, (size_t)n);
	}
	if (strcmp(fmt, "compact") == 0) {
		struct rscript_compact_iter it;
		struct rscript_apdu a;
		unsigned int k = 0;
		int rc;

		printf("format=compact\ntype=command\n");
		rscript_compact_init(&it, buf, (size_t)n, split, NULL, NULL);
		while ((rc = rscript_compact_next(&it, &a)) > 0)
			kv_n_hex("apdu", ++k, a.raw, a.raw_len);
		if (rc < 0) {
			fprintf(stderr, "script parse: command %u cannot be split (%s): %s\n", k + 1,
				get_value_string(rscript_compact_split_names, split), strerror(-rc));
			return 1;
		}
		printf("items=%u\n", k);
		return 0;
	}
	if (strcmp(fmt, "compact-response") == 0) {
		struct rscript_compact_rsp r;
		int rc = rscript_compact_rsp_decode(&r, buf, (size_t)n);

		if (rc < 0) {
			fprintf(stderr, "script parse: a compact response needs at least 3 bytes\n");
			return 1;
		}
		printf("format=compact\ntype=response\ncount=%u\nsw=%04x\n", r.count, r.sw);
		tool_kv_hex("data", r.data, r.data_len);
		return 0;
	}
	fprintf(stderr, "script parse: unknown format '%s'\n", fmt);
	return 1;
}

int tool_script(int argc, char **argv)
{
	if (argc < 2)
		return usage(stderr);
	if (cli_is_help(argv[1]))
		return usage(stdout);
	if (strcmp(argv[1], "build") == 0)
		return script_build(argc - 1, argv + 1);
	if (strcmp(argv[1], "parse") == 0)
		return script_parse(argc - 1, argv + 1);
	fprintf(stderr, "script: unknown sub-command '%s'\n", argv[1]);
	return usage(stderr);
}
