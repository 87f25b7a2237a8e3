/* `rsplab tool scp80 wrap|unwrap|por|por-parse`: SCP80 secured packets (TS 102 225 / TS 31.115 SMS)
 * on the command line, through lib/scp80. Keys are printed nowhere; only the computed packet or the
 * recovered fields go to stdout. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "harness/cli.h"
#include "harness/tool.h"
#include "harness/tool_util.h"
#include "lib/scp80/scp80.h"

#define BIG (SCP80_CPL_MAX + 2 + 256) /* any packet or PoR, with its UDH */

struct opt {
	const char *name;
	uint8_t *buf;
	size_t cap;
	size_t exact; /* required length in bytes, 0 = any up to cap */
	bool required;
	int len; /* set by parse_opts: -1 when absent */
};

static int parse_opts(const char *sub, struct opt *opts, size_t n, int argc, char **argv)
{
	for (size_t i = 0; i < n; i++)
		opts[i].len = -1;
	for (int a = 1; a < argc; a += 2) {
		struct opt *o = NULL;
		char what[64];

		for (size_t i = 0; i < n; i++)
			if (strcmp(argv[a], opts[i].name) == 0)
				o = &opts[i];
		if (!o) {
			fprintf(stderr, "scp80 %s: unknown option '%s' (see --help)\n", sub, argv[a]);
			return 2;
		}
		if (a + 1 >= argc) {
			fprintf(stderr, "scp80 %s: %s needs a value\n", sub, argv[a]);
			return 2;
		}
		snprintf(what, sizeof(what), "scp80 %s %s", sub, o->name);
		o->len = tool_hex_arg(what, argv[a + 1], o->buf, o->cap);
		if (o->len < 0)
			return 1;
		if (o->exact && (size_t)o->len != o->exact) {
			fprintf(stderr, "%s: %d bytes, %zu expected\n", what, o->len, o->exact);
			return 1;
		}
	}
	for (size_t i = 0; i < n; i++) {
		if (opts[i].required && opts[i].len < 0) {
			fprintf(stderr, "scp80 %s: %s is required (see --help)\n", sub, opts[i].name);
			return 2;
		}
	}
	return 0;
}

static const char *errno_reason(int rc)
{
	switch (rc) {
	case -EAGAIN: return "truncated: shorter than its length field (CPL/RPL/UDHL) says";
	case -EBADMSG: return "malformed: header length (CHL/RHL) or UDH inconsistent with the SPI/KID";
	case -ENOTSUP: return "unsupported: DS, single DES, CRC16 or an implicit/proprietary/reserved algorithm";
	case -EINVAL: return "key missing or its length does not fit the KIc/KID algorithm";
	case -EMSGSIZE: return "too large";
	default: return strerror(-rc);
	}
}

static void keys_of(struct scp80_keys *k, const struct opt *kic_key, const struct opt *kid_key)
{
	k->kic_key = kic_key->len > 0 ? kic_key->buf : NULL;
	k->kic_key_len = kic_key->len > 0 ? (size_t)kic_key->len : 0;
	k->kid_key = kid_key->len > 0 ? kid_key->buf : NULL;
	k->kid_key_len = kid_key->len > 0 ? (size_t)kid_key->len : 0;
}

#define KEY_OPTS_HELP                                                             \
	"  --kic-key HEX  ciphering key (AES 16/24/32 bytes, 3DES 16/24 bytes)\n" \
	"  --kid-key HEX  RC/CC key (not needed for CRC32 or no integrity)\n"

static int usage_wrap(FILE *out)
{
	fprintf(out, "usage: rsplab tool scp80 wrap --spi HEX --kic HEX --kid HEX --kic-key HEX --kid-key HEX\n"
		     "                               --tar HEX --cntr HEX [--data HEX]\n"
		     "Builds a command packet (server side); prints packet=<hex from CPL to the end, no UDH>.\n"
		     "  --spi HEX      2 bytes (TS 102 225 §5.1.1)\n"
		     "  --kic/--kid    1 byte each: key index (high nibble) and algorithm (low nibble)\n" KEY_OPTS_HELP
		     "  --tar HEX      3 bytes\n"
		     "  --cntr HEX     5 bytes\n"
		     "  --data HEX     the secured data (e.g. a command script)\n");
	return out == stdout ? 0 : 2;
}

static int cmd_wrap(int argc, char **argv)
{
	static uint8_t spi[2], kic, kid, kic_key[32], kid_key[32], tar[3], cntr[5], data[BIG], pkt[BIG];
	struct opt o[] = {
		{ "--spi", spi, 2, 2, true, 0 },	   { "--kic", &kic, 1, 1, true, 0 },
		{ "--kid", &kid, 1, 1, true, 0 },	   { "--kic-key", kic_key, 32, 0, false, 0 },
		{ "--kid-key", kid_key, 32, 0, false, 0 }, { "--tar", tar, 3, 3, true, 0 },
		{ "--cntr", cntr, 5, 5, true, 0 },	   { "--data", data, SCP80_CPL_MAX, 0, false, 0 },
	};
	struct scp80_cmd_params p;
	struct scp80_keys keys;
	int rc, n;

	if (argc > 1 && cli_is_help(argv[1]))
		return usage_wrap(stdout);
	rc = parse_opts("wrap", o, sizeof(o) / sizeof(o[0]), argc, argv);
	if (rc)
		return rc == 2 ? usage_wrap(stderr) : rc;
	memcpy(p.spi, spi, 2);
	p.kic = kic;
	p.kid = kid;
	memcpy(p.tar, tar, 3);
	memcpy(p.cntr, cntr, 5);
	keys_of(&keys, &o[3], &o[4]);
	n = scp80_cmd_wrap(pkt, sizeof(pkt), &p, &keys, data, o[7].len > 0 ? (size_t)o[7].len : 0);
	if (n < 0) {
		fprintf(stderr, "scp80 wrap: %s\n", errno_reason(n));
		return 1;
	}
	tool_kv_hex("packet", pkt, (size_t)n);
	return 0;
}

static int usage_unwrap(FILE *out)
{
	fprintf(out, "usage: rsplab tool scp80 unwrap --kic-key HEX --kid-key HEX [--last-cntr HEX] --packet HEX\n"
		     "Parses and verifies a command packet (card side): deciphers, checks the RC/CC, the padding\n"
		     "counter and, with --last-cntr, the counter against the RE's last value under the SPI's mode.\n"
		     "Prints spi= kic= kid= tar= cntr= pcntr= data=; exits 1 with the reason and the PoR status\n"
		     "code the card would answer when the packet is malformed or fails a check.\n" KEY_OPTS_HELP
		     "  --last-cntr HEX  5 bytes, the receiving entity's counter\n"
		     "  --packet HEX     from CPL to the end, no UDH\n");
	return out == stdout ? 0 : 2;
}

static int cmd_unwrap(int argc, char **argv)
{
	static uint8_t kic_key[32], kid_key[32], last[5], pkt[BIG], out[BIG];
	struct opt o[] = {
		{ "--kic-key", kic_key, 32, 0, false, 0 },
		{ "--kid-key", kid_key, 32, 0, false, 0 },
		{ "--last-cntr", last, 5, 5, false, 0 },
		{ "--packet", pkt, BIG, 0, true, 0 },
	};
	struct scp80_counter_policy pol = { 0 };
	struct scp80_keys keys;
	struct scp80_cmd cmd;
	int rc, n;

	if (argc > 1 && cli_is_help(argv[1]))
		return usage_unwrap(stdout);
	rc = parse_opts("unwrap", o, sizeof(o) / sizeof(o[0]), argc, argv);
	if (rc)
		return rc == 2 ? usage_unwrap(stderr) : rc;
	keys_of(&keys, &o[0], &o[1]);
	if (o[2].len == 5) {
		pol.check = true;
		pol.last = scp80_cntr_get(last);
	}
	n = scp80_cmd_unwrap(&cmd, pkt, (size_t)o[3].len, &keys, &pol, out, sizeof(out));
	if (n < 0) {
		fprintf(stderr, "scp80 unwrap: bad format: %s\n", errno_reason(n));
		return 1;
	}
	if (n != o[3].len) {
		fprintf(stderr, "scp80 unwrap: bad format: %d bytes after the packet (CPL %u)\n", o[3].len - n,
			cmd.cpl);
		return 1;
	}
	if (cmd.verdict != SCP80_V_OK) {
		fprintf(stderr, "scp80 unwrap: %s (PoR status %02x %s)\n",
			get_value_string(scp80_verdict_names, cmd.verdict), cmd.status,
			get_value_string(scp80_status_names, cmd.status));
		return 1;
	}
	tool_kv_hex("spi", cmd.spi_raw, 2);
	tool_kv_hex("kic", &cmd.kic, 1);
	tool_kv_hex("kid", &cmd.kid, 1);
	tool_kv_hex("tar", cmd.tar, 3);
	tool_kv_hex("cntr", cmd.cntr, 5);
	tool_kv_hex("pcntr", &cmd.pcntr, 1);
	tool_kv_hex("data", cmd.data, cmd.data_len);
	return 0;
}

static int usage_por(FILE *out)
{
	fprintf(out, "usage: rsplab tool scp80 por --spi HEX --kic HEX --kid HEX --kic-key HEX --kid-key HEX\n"
		     "                              --tar HEX --cntr HEX --status HEX [--data HEX]\n"
		     "Builds the response packet (PoR, card side) for a command; prints por=<hex incl. UDH 027100>.\n"
		     "  --spi/--kic/--kid  those of the command answered; SPI octet 2 selects PoR RC/CC and "
		     "ciphering\n" KEY_OPTS_HELP "  --tar HEX      3 bytes\n"
		     "  --cntr HEX     5 bytes\n"
		     "  --status HEX   1 byte, TS 102 225 response status (00 PoR OK .. 0C)\n"
		     "  --data HEX     additional response data (e.g. 01 6132: one command, SW 6132)\n");
	return out == stdout ? 0 : 2;
}

static int cmd_por(int argc, char **argv)
{
	static uint8_t spi[2], kic, kid, kic_key[32], kid_key[32], tar[3], cntr[5], status, data[BIG], por[BIG];
	struct opt o[] = {
		{ "--spi", spi, 2, 2, true, 0 },
		{ "--kic", &kic, 1, 1, true, 0 },
		{ "--kid", &kid, 1, 1, true, 0 },
		{ "--kic-key", kic_key, 32, 0, false, 0 },
		{ "--kid-key", kid_key, 32, 0, false, 0 },
		{ "--tar", tar, 3, 3, true, 0 },
		{ "--cntr", cntr, 5, 5, true, 0 },
		{ "--status", &status, 1, 1, true, 0 },
		{ "--data", data, SCP80_CPL_MAX, 0, false, 0 },
	};
	struct scp80_por_params p;
	struct scp80_keys keys;
	int rc, n;

	if (argc > 1 && cli_is_help(argv[1]))
		return usage_por(stdout);
	rc = parse_opts("por", o, sizeof(o) / sizeof(o[0]), argc, argv);
	if (rc)
		return rc == 2 ? usage_por(stderr) : rc;
	memcpy(p.spi, spi, 2);
	p.kic = kic;
	p.kid = kid;
	memcpy(p.tar, tar, 3);
	memcpy(p.cntr, cntr, 5);
	p.status = status;
	keys_of(&keys, &o[3], &o[4]);
	n = scp80_por_wrap(por, sizeof(por), &p, &keys, data, o[8].len > 0 ? (size_t)o[8].len : 0);
	if (n < 0) {
		fprintf(stderr, "scp80 por: %s\n", errno_reason(n));
		return 1;
	}
	tool_kv_hex("por", por, (size_t)n);
	return 0;
}

static int usage_por_parse(FILE *out)
{
	fprintf(out, "usage: rsplab tool scp80 por-parse --spi HEX --kic HEX --kid HEX --kic-key HEX --kid-key HEX\n"
		     "                                    --por HEX\n"
		     "Parses and verifies a PoR (server side) for the command with this SPI/KIc/KID; prints\n"
		     "tar= cntr= pcntr= status= data=; exits 1 on a bad RC/CC, padding or format.\n" KEY_OPTS_HELP
		     "  --por HEX      the PoR with its UDH (02 71 00 ...)\n");
	return out == stdout ? 0 : 2;
}

static int cmd_por_parse(int argc, char **argv)
{
	static uint8_t spi[2], kic, kid, kic_key[32], kid_key[32], buf[BIG], out[BIG];
	struct opt o[] = {
		{ "--spi", spi, 2, 2, true, 0 },	   { "--kic", &kic, 1, 1, true, 0 },
		{ "--kid", &kid, 1, 1, true, 0 },	   { "--kic-key", kic_key, 32, 0, false, 0 },
		{ "--kid-key", kid_key, 32, 0, false, 0 }, { "--por", buf, BIG, 0, true, 0 },
	};
	struct scp80_keys keys;
	struct scp80_por por;
	int rc, n;

	if (argc > 1 && cli_is_help(argv[1]))
		return usage_por_parse(stdout);
	rc = parse_opts("por-parse", o, sizeof(o) / sizeof(o[0]), argc, argv);
	if (rc)
		return rc == 2 ? usage_por_parse(stderr) : rc;
	keys_of(&keys, &o[3], &o[4]);
	n = scp80_por_unwrap(&por, buf, (size_t)o[5].len, spi, kic, kid, &keys, out, sizeof(out));
	if (n < 0) {
		fprintf(stderr, "scp80 por-parse: bad format: %s\n", errno_reason(n));
		return 1;
	}
	if (n != o[5].len) {
		fprintf(stderr, "scp80 por-parse: bad format: %d bytes after the PoR (RPL %u)\n", o[5].len - n,
			por.rpl);
		return 1;
	}
	if (por.verdict != SCP80_V_OK) {
		fprintf(stderr, "scp80 por-parse: %s\n", get_value_string(scp80_verdict_names, por.verdict));
		return 1;
	}
	tool_kv_hex("tar", por.tar, 3);
	tool_kv_hex("cntr", por.cntr, 5);
	tool_kv_hex("pcntr", &por.pcntr, 1);
	tool_kv_hex("status", &por.status, 1);
	tool_kv_hex("data", por.data, por.data_len);
	return 0;
}

static const struct cli_command subs[] = {
	{ "wrap", "build a command packet (server side)", cmd_wrap },
	{ "unwrap", "parse and verify a command packet (card side)", cmd_unwrap },
	{ "por", "build a PoR response packet (card side)", cmd_por },
	{ "por-parse", "parse and verify a PoR (server side)", cmd_por_parse },
	{ NULL, NULL, NULL },
};

int tool_scp80(int argc, char **argv)
{
	return cli_dispatch("rsplab tool scp80", subs, argc - 1, argv + 1);
}
