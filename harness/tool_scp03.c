/* `rsplab tool scp03 derive`: SCP03 session keys and cryptograms (GP Amd D §6.2) from static keys
 * and the two challenges. */
#include <stdio.h>
#include <string.h>
#include <openssl/crypto.h>

#include "harness/cli.h"
#include "harness/tool.h"
#include "harness/tool_util.h"
#include "lib/scp03/scp03.h"

static int usage(FILE *out)
{
	fprintf(out, "usage: rsplab tool scp03 derive --enc HEX --mac HEX --host-challenge HEX --card-challenge HEX\n"
		     "Derives the SCP03 session keys and cryptograms (GP Amd D §6.2, S8 mode) from the static\n"
		     "Key-ENC and Key-MAC (16, 24 or 32 bytes, the same length) and the 8-byte challenges.\n"
		     "Prints s_enc= s_mac= s_rmac= card_cryptogram= host_cryptogram=.\n");
	return out == stdout ? 0 : 2;
}

static int derive(int argc, char **argv)
{
	uint8_t enc[SCP03_KEY_MAX], mac[SCP03_KEY_MAX], hc[SCP03_CHALLENGE], cc[SCP03_CHALLENGE];
	const char *enc_s = NULL, *mac_s = NULL, *hc_s = NULL, *cc_s = NULL;
	int enc_len, mac_len, hc_len, cc_len, rc;
	struct scp03_session s;

	for (int i = 2; i < argc; i++) {
		const char **dst;

		if (cli_is_help(argv[i]))
			return usage(stdout);
		if (strcmp(argv[i], "--enc") == 0)
			dst = &enc_s;
		else if (strcmp(argv[i], "--mac") == 0)
			dst = &mac_s;
		else if (strcmp(argv[i], "--host-challenge") == 0)
			dst = &hc_s;
		else if (strcmp(argv[i], "--card-challenge") == 0)
			dst = &cc_s;
		else {
			fprintf(stderr, "scp03 derive: unknown option '%s'\n", argv[i]);
			return usage(stderr);
		}
		if (i + 1 >= argc) {
			fprintf(stderr, "scp03 derive: option '%s' needs a value\n", argv[i]);
			return usage(stderr);
		}
		*dst = argv[++i];
	}
	if (!enc_s || !mac_s || !hc_s || !cc_s) {
		fprintf(stderr, "scp03 derive: --enc, --mac, --host-challenge and --card-challenge are required\n");
		return usage(stderr);
	}
	enc_len = tool_hex_arg("--enc", enc_s, enc, sizeof(enc));
	mac_len = tool_hex_arg("--mac", mac_s, mac, sizeof(mac));
	hc_len = tool_hex_arg("--host-challenge", hc_s, hc, sizeof(hc));
	cc_len = tool_hex_arg("--card-challenge", cc_s, cc, sizeof(cc));
	if (enc_len < 0 || mac_len < 0 || hc_len < 0 || cc_len < 0)
		return 1;
	if (enc_len != mac_len || (enc_len != 16 && enc_len != 24 && enc_len != 32)) {
		fprintf(stderr, "scp03 derive: --enc and --mac must both be 16, 24 or 32 bytes\n");
		return 1;
	}
	if (hc_len != SCP03_CHALLENGE || cc_len != SCP03_CHALLENGE) {
		fprintf(stderr, "scp03 derive: the challenges must be 8 bytes (S8 mode)\n");
		return 1;
	}
	rc = scp03_session_derive(&s, enc, mac, (size_t)enc_len, hc, cc);
	OPENSSL_cleanse(enc, sizeof(enc));
	OPENSSL_cleanse(mac, sizeof(mac));
	if (rc < 0) {
		fprintf(stderr, "scp03 derive: %s\n", strerror(-rc));
		return 1;
	}
	tool_kv_hex("s_enc", s.s_enc, s.key_len);
	tool_kv_hex("s_mac", s.s_mac, s.key_len);
	tool_kv_hex("s_rmac", s.s_rmac, s.key_len);
	tool_kv_hex("card_cryptogram", s.card_cryptogram, SCP03_CHALLENGE);
	tool_kv_hex("host_cryptogram", s.host_cryptogram, SCP03_CHALLENGE);
	scp03_session_clear(&s);
	return 0;
}

int tool_scp03(int argc, char **argv)
{
	if (argc > 1 && cli_is_help(argv[1]))
		return usage(stdout);
	if (argc < 2 || strcmp(argv[1], "derive") != 0)
		return usage(stderr);
	return derive(argc, argv);
}
