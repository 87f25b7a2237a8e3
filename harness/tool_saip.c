/* `rsplab tool saip show|build`: SAIP profile packages (lib/saip). */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness/cli.h"
#include "harness/tool.h"
#include "harness/tool_util.h"
#include "lib/saip/saip.h"
#include "lib/tlv/bertlv.h"

#define SAIP_MAX_FILE (1 << 20)

static int usage(FILE *out)
{
	fprintf(out, "usage: rsplab tool saip show FILE|HEX\n"
		     "       rsplab tool saip build --iccid DIGITS --imsi DIGITS (--k HEX --opc HEX | --ki HEX)\n"
		     "                             [--pol1 HEX] [--type NAME] [--pin1 DIGITS] [--puk1 DIGITS]\n"
		     "                             [--version 2.0|2.3.1] -o FILE\n"
		     "show prints the PEs, ICCID, IMSI and algorithm of a package (key material is not printed);\n"
		     "build writes a testbed package: header, MF, PIN/PUK, USIM, AKA parameters, MNO-SD, end.\n"
		     "--ki selects COMP128v1, an rsplab extension a real eUICC rejects (see lib/saip/saip.h).\n");
	return out == stdout ? 0 : 2;
}

/* A package from a file, or from hex if the argument is not a readable file. */
static long load(const char *arg, uint8_t *buf, size_t cap)
{
	FILE *f = fopen(arg, "rb");
	size_t n;

	if (!f)
		return tool_hex_arg("saip show", arg, buf, cap);
	n = fread(buf, 1, cap, f);
	if (ferror(f) || (n == cap && fgetc(f) != EOF)) {
		fprintf(stderr, "saip show: %s: unreadable or larger than %zu bytes\n", arg, cap);
		fclose(f);
		return -1;
	}
	fclose(f);
	return (long)n;
}

static int show(const char *arg)
{
	static uint8_t buf[SAIP_MAX_FILE];
	struct saip_profile p;
	struct saip_findings f;
	long n = load(arg, buf, sizeof(buf));
	int rc;

	if (n < 0)
		return 1;
	rc = saip_decode(&p, buf, (size_t)n, &f);
	if (rc < 0) {
		fprintf(stderr, "saip show: not a valid profile package (%s)\n", strerror(-rc));
		return 1;
	}
	printf("version=%d.%d\n", p.major, p.minor);
	if (p.profile_type.len)
		printf("profile_type=%.*s\n", (int)p.profile_type.len, (const char *)p.profile_type.buf);
	printf("iccid=%s\n", p.iccid);
	printf("imsi=%s\n", p.imsi);
	printf("algorithm=%s\n", get_value_string(saip_algo_names, p.algo));
	if (p.pol1.len)
		tool_kv_hex("pol1", p.pol1.buf, p.pol1.len);
	if (p.usim_aid.len)
		tool_kv_hex("usim_aid", p.usim_aid.buf, p.usim_aid.len);
	printf("pins=%u\npuks=%u\npes=%u\nend=%s\n", p.n_pins, p.n_puks, p.n_pes, p.has_end ? "yes" : "no");
	/* The PE list, in order (the package framed above, so the walk cannot fail here). */
	{
		struct bertlv_iter it;
		struct bertlv pe;
		unsigned int i = 0;

		bertlv_iter_init(&it, buf, (size_t)n);
		while (bertlv_iter_next(&it, &pe) > 0) {
			const char *name = pe.tag_len == 1 ? get_value_string_or_null(saip_pe_type_names, pe.tag & 0x1F)
							   : NULL;

			if (name)
				printf("pe.%u=%s\n", ++i, name);
			else
				printf("pe.%u=unknown tag %x\n", ++i, pe.tag);
		}
	}
	for (unsigned int i = 0; i < f.n; i++)
		printf("finding.%u=offset %zu: %s\n", i + 1, f.f[i].offset, f.f[i].text);
	return 0;
}

static int build(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "iccid", required_argument, NULL, 'c' }, { "imsi", required_argument, NULL, 'i' },
		{ "k", required_argument, NULL, 'k' },	   { "opc", required_argument, NULL, 'p' },
		{ "ki", required_argument, NULL, 'K' },	   { "pol1", required_argument, NULL, 'P' },
		{ "type", required_argument, NULL, 't' },  { "pin1", required_argument, NULL, '1' },
		{ "puk1", required_argument, NULL, '2' },  { "version", required_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },	   { NULL, 0, NULL, 0 },
	};
	struct saip_build_params p = { .pol1 = -1 };
	uint8_t key[16], opc[16], pol1, out[4096];
	const char *path = NULL;
	int opt, n, fd;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
		switch (opt) {
		case 'c': p.iccid = optarg; break;
		case 'i': p.imsi = optarg; break;
		case 'k':
		case 'K':
			if (tool_hex_arg(opt == 'k' ? "--k" : "--ki", optarg, key, sizeof(key)) != 16) {
				fprintf(stderr, "saip build: the key must be 16 bytes\n");
				return 1;
			}
			p.key = key;
			p.algo = opt == 'k' ? SAIP_ALGO_MILENAGE : SAIP_ALGO_COMP128V1;
			break;
		case 'p':
			if (tool_hex_arg("--opc", optarg, opc, sizeof(opc)) != 16) {
				fprintf(stderr, "saip build: --opc must be 16 bytes\n");
				return 1;
			}
			p.opc = opc;
			break;
		case 'P':
			if (tool_hex_arg("--pol1", optarg, &pol1, 1) != 1)
				return 1;
			p.pol1 = pol1;
			break;
		case 't': p.profile_type = optarg; break;
		case '1': p.pin1 = optarg; break;
		case '2': p.puk1 = optarg; break;
		case 'v':
			if (strcmp(optarg, "2.0") == 0) {
				p.version = SAIP_VERSION_2_0;
			} else if (strcmp(optarg, "2.3.1") == 0) {
				p.version = SAIP_VERSION_2_3_1;
			} else {
				fprintf(stderr, "saip build: --version is 2.0 or 2.3.1\n");
				return 1;
			}
			break;
		case 'o': path = optarg; break;
		case 'h': return usage(stdout);
		default: return usage(stderr);
		}
	}
	if (!p.iccid || !p.imsi || !p.key || !path || optind != argc) {
		fprintf(stderr, "saip build: --iccid, --imsi, a key (--k/--opc or --ki) and -o are required\n");
		return 2;
	}
	if (p.algo == SAIP_ALGO_MILENAGE && !p.opc) {
		fprintf(stderr, "saip build: --k needs --opc\n");
		return 1;
	}
	n = saip_build(out, sizeof(out), &p);
	if (n < 0) {
		fprintf(stderr, "saip build: %s (ICCID 19-20 digits, IMSI 6-15 digits, PIN 4-8, PUK 8 digits)\n",
			strerror(-n));
		return 1;
	}
	/* The package holds subscriber keys: the file is created 0600. */
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || write(fd, out, (size_t)n) != n || close(fd) != 0) {
		fprintf(stderr, "saip build: %s: %s\n", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return 1;
	}
	printf("file=%s\nbytes=%d\n", path, n);
	return 0;
}

int tool_saip(int argc, char **argv)
{
	if (argc > 1 && cli_is_help(argv[1]))
		return usage(stdout);
	if (argc == 3 && strcmp(argv[1], "show") == 0)
		return show(argv[2]);
	if (argc >= 2 && strcmp(argv[1], "build") == 0)
		return build(argc - 1, argv + 1);
	return usage(stderr);
}
