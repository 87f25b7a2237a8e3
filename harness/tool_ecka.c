/* `rsplab tool ecka` (ECDH shared secret, BSI TR-03111 ECKA: the x-coordinate) and
 * `rsplab tool x963-kdf` (ANSI X9.63 KDF with SHA-256), the two primitives of SGP.02 key
 * establishment (GP Amd E Scenario #3). */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/crypto.h>

#include "harness/cli.h"
#include "harness/tool.h"
#include "harness/tool_util.h"
#include "lib/crypto/ec.h"
#include "lib/crypto/kdf.h"

#define SHARED_INFO_MAX 1024
#define Z_MAX		1024

static int ecka_usage(FILE *out)
{
	fprintf(out, "usage: rsplab tool ecka --curve p256|brainpoolp256r1 --private HEX --peer-public HEX\n"
		     "Computes the ECDH shared secret ShS (the x-coordinate of private × peer) as in GP Amd E\n"
		     "ECKA-EG. --private is the 32-byte scalar, --peer-public the uncompressed point 04‖X‖Y.\n"
		     "Prints shs=.\n");
	return out == stdout ? 0 : 2;
}

/* Finds `--name VALUE` pairs; returns 0, or the exit status after printing the error. */
static int opt_value(int argc, char **argv, int *i, const char **out)
{
	if (*i + 1 >= argc) {
		fprintf(stderr, "option '%s' needs a value\n", argv[*i]);
		return 2;
	}
	*out = argv[++*i];
	return 0;
}

int tool_ecka(int argc, char **argv)
{
	const char *curve_s = NULL, *priv_s = NULL, *peer_s = NULL;
	uint8_t priv[EC_SCALAR_LEN], peer[EC_POINT_LEN], shs[EC_SCALAR_LEN];
	EVP_PKEY *k = NULL, *p = NULL;
	int curve, pl, ql, rc;

	for (int i = 1; i < argc; i++) {
		const char **dst;

		if (cli_is_help(argv[i]))
			return ecka_usage(stdout);
		if (strcmp(argv[i], "--curve") == 0)
			dst = &curve_s;
		else if (strcmp(argv[i], "--private") == 0)
			dst = &priv_s;
		else if (strcmp(argv[i], "--peer-public") == 0)
			dst = &peer_s;
		else {
			fprintf(stderr, "ecka: unknown option '%s'\n", argv[i]);
			return ecka_usage(stderr);
		}
		if (opt_value(argc, argv, &i, dst))
			return ecka_usage(stderr);
	}
	if (!curve_s || !priv_s || !peer_s) {
		fprintf(stderr, "ecka: --curve, --private and --peer-public are required\n");
		return ecka_usage(stderr);
	}
	curve = crypto_curve_from_name(curve_s);
	if (curve < 0) {
		fprintf(stderr, "ecka: unknown curve '%s' (p256 or brainpoolp256r1)\n", curve_s);
		return 1;
	}
	pl = tool_hex_arg("--private", priv_s, priv, sizeof(priv));
	ql = tool_hex_arg("--peer-public", peer_s, peer, sizeof(peer));
	if (pl < 0 || ql < 0)
		return 1;
	rc = crypto_ec_from_private((enum crypto_curve)curve, priv, (size_t)pl, &k);
	OPENSSL_cleanse(priv, sizeof(priv));
	if (rc < 0) {
		fprintf(stderr, "ecka: --private is not a valid %d-byte scalar for %s\n", EC_SCALAR_LEN, curve_s);
		return 1;
	}
	rc = crypto_ec_from_public((enum crypto_curve)curve, peer, (size_t)ql, &p);
	if (rc < 0) {
		fprintf(stderr, "ecka: --peer-public is not an uncompressed point (04‖X‖Y) on %s\n", curve_s);
		EVP_PKEY_free(k);
		return 1;
	}
	rc = crypto_ecdh(k, p, shs);
	EVP_PKEY_free(k);
	EVP_PKEY_free(p);
	if (rc < 0) {
		fprintf(stderr, "ecka: ECDH failed: %s\n", strerror(-rc));
		return 1;
	}
	tool_kv_hex("shs", shs, sizeof(shs));
	OPENSSL_cleanse(shs, sizeof(shs));
	return 0;
}

static int kdf_usage(FILE *out)
{
	fprintf(out,
		"usage: rsplab tool x963-kdf --z HEX --shared-info HEX --length N\n"
		"ANSI X9.63 KDF with SHA-256: N bytes (1..%d) of SHA256(Z ‖ counter ‖ SharedInfo) blocks.\n"
		"--shared-info may be empty (''). Prints key=.\n",
		CRYPTO_X963_MAX_OUT);
	return out == stdout ? 0 : 2;
}

int tool_x963_kdf(int argc, char **argv)
{
	const char *z_s = NULL, *si_s = NULL, *len_s = NULL;
	static uint8_t z[Z_MAX], si[SHARED_INFO_MAX], out[CRYPTO_X963_MAX_OUT];
	int zl, sil, rc;
	unsigned long n;
	char *end;

	for (int i = 1; i < argc; i++) {
		const char **dst;

		if (cli_is_help(argv[i]))
			return kdf_usage(stdout);
		if (strcmp(argv[i], "--z") == 0)
			dst = &z_s;
		else if (strcmp(argv[i], "--shared-info") == 0)
			dst = &si_s;
		else if (strcmp(argv[i], "--length") == 0)
			dst = &len_s;
		else {
			fprintf(stderr, "x963-kdf: unknown option '%s'\n", argv[i]);
			return kdf_usage(stderr);
		}
		if (opt_value(argc, argv, &i, dst))
			return kdf_usage(stderr);
	}
	if (!z_s || !si_s || !len_s) {
		fprintf(stderr, "x963-kdf: --z, --shared-info and --length are required\n");
		return kdf_usage(stderr);
	}
	errno = 0;
	n = strtoul(len_s, &end, 10);
	if (errno || *end || end == len_s || n == 0 || n > CRYPTO_X963_MAX_OUT) {
		fprintf(stderr, "x963-kdf: --length must be a number from 1 to %d\n", CRYPTO_X963_MAX_OUT);
		return 1;
	}
	zl = tool_hex_arg("--z", z_s, z, sizeof(z));
	sil = tool_hex_arg("--shared-info", si_s, si, sizeof(si));
	if (zl < 0 || sil < 0)
		return 1;
	if (zl == 0) {
		fprintf(stderr, "x963-kdf: --z must not be empty\n");
		return 1;
	}
	rc = crypto_x963_kdf_sha256(z, (size_t)zl, si, (size_t)sil, out, n);
	OPENSSL_cleanse(z, sizeof(z));
	if (rc < 0) {
		fprintf(stderr, "x963-kdf: %s\n", strerror(-rc));
		return 1;
	}
	tool_kv_hex("key", out, n);
	OPENSSL_cleanse(out, sizeof(out));
	return 0;
}
