/* SCP80 benchmark: wrap + unwrap of single-SMS command packets (AES-128, CC, ciphering; SPI 06 39)
 * against the raw OpenSSL work the same packets need — AES-CMAC and AES-128-CBC encrypt on the wrap
 * side, AES-128-CBC decrypt and AES-CMAC on the unwrap side, on the same sizes, keyed per call as
 * the codec is. The baseline calls EVP directly (here only, as the yardstick). Prints the ratio; the
 * target is <= 1.5x. Never fails on time. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include "lib/scp80/scp80.h"

#define ITER	 1000000
#define DATA_LEN 90 /* 6 + 8 + 90 = 104 -> 112 ciphered; packet 122 bytes, fits one SMS with its UDH */
#define TARGET	 1.5

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static const uint8_t kic[16] = { 0x20, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15 };
static const uint8_t kid[16] = { 0x20, 0x11, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15 };

static double bench_codec(unsigned long iter, unsigned long *sink)
{
	struct scp80_keys keys = { kic, 16, kid, 16 };
	struct scp80_cmd_params p = { .spi = { 0x06, 0x39 }, .kic = 0x12, .kid = 0x12, .tar = { 0, 0, 1 } };
	uint8_t data[DATA_LEN], pkt[256], out[256];
	struct scp80_cmd cmd;
	double t0 = now();

	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)i;
	for (unsigned long i = 0; i < iter; i++) {
		int n;

		p.cntr[4] = (uint8_t)i;
		n = scp80_cmd_wrap(pkt, sizeof(pkt), &p, &keys, data, sizeof(data));
		if (n < 0 || scp80_cmd_unwrap(&cmd, pkt, (size_t)n, &keys, NULL, out, sizeof(out)) != n ||
		    cmd.verdict != SCP80_V_OK) {
			fprintf(stderr, "scp80_bench: round trip failed\n");
			exit(1);
		}
		*sink += cmd.data[0] + (unsigned long)n;
	}
	return now() - t0;
}

static int raw_cbc(EVP_CIPHER_CTX *ctx, const EVP_CIPHER *c, int enc, const uint8_t *in, size_t len, uint8_t *out)
{
	static const uint8_t iv[16];
	int outl = 0, fin = 0;

	if (!EVP_CipherInit_ex2(ctx, c, kic, iv, enc, NULL) || !EVP_CIPHER_CTX_set_padding(ctx, 0) ||
	    !EVP_CipherUpdate(ctx, out, &outl, in, (int)len) || !EVP_CipherFinal_ex(ctx, out + outl, &fin))
		return -1;
	return outl + fin;
}

static int raw_cmac(EVP_MAC_CTX *ctx, const uint8_t *in, size_t len, uint8_t mac[16])
{
	OSSL_PARAM params[] = { OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_CIPHER, "AES-128-CBC", 0),
				OSSL_PARAM_construct_end() };
	size_t ml = 0;

	if (!EVP_MAC_init(ctx, kid, 16, params) || !EVP_MAC_update(ctx, in, len) || !EVP_MAC_final(ctx, mac, &ml, 16))
		return -1;
	return (int)ml;
}

static double bench_raw(unsigned long iter, unsigned long *sink)
{
	EVP_CIPHER *c = EVP_CIPHER_fetch(NULL, "AES-128-CBC", NULL);
	EVP_MAC *m = EVP_MAC_fetch(NULL, "CMAC", NULL);
	EVP_CIPHER_CTX *cctx = EVP_CIPHER_CTX_new();
	EVP_MAC_CTX *mctx = m ? EVP_MAC_CTX_new(m) : NULL;
	/* Same sizes as the codec: MAC input CPL..PCNTR + data + padding = 16 + 96, cipher 112 bytes. */
	uint8_t msg[112], ct[112], pt[112], mac[16];
	double t0, t;

	if (!c || !m || !cctx || !mctx) {
		fprintf(stderr, "scp80_bench: OpenSSL fetch failed\n");
		exit(1);
	}
	memset(msg, 0x5A, sizeof(msg));
	t0 = now();
	for (unsigned long i = 0; i < iter; i++) {
		msg[14] = (uint8_t)i;
		if (raw_cmac(mctx, msg, 112, mac) != 16 || raw_cbc(cctx, c, 1, msg, 112, ct) != 112 ||
		    raw_cbc(cctx, c, 0, ct, 112, pt) != 112 || raw_cmac(mctx, pt, 112, mac) != 16) {
			fprintf(stderr, "scp80_bench: raw OpenSSL failed\n");
			exit(1);
		}
		*sink += mac[0] + pt[3];
	}
	t = now() - t0;
	EVP_MAC_CTX_free(mctx);
	EVP_MAC_free(m);
	EVP_CIPHER_CTX_free(cctx);
	EVP_CIPHER_free(c);
	return t;
}

int main(void)
{
	unsigned long sink = 0;
	double codec, raw, ratio;

	/* warm-up: fetches, contexts and caches on both sides */
	bench_raw(ITER / 50, &sink);
	bench_codec(ITER / 50, &sink);
	raw = bench_raw(ITER, &sink);
	codec = bench_codec(ITER, &sink);
	ratio = codec / raw;
	printf("scp80: %d x wrap+unwrap (AES-128 CBC + CMAC, %d data bytes, %d-byte packet)\n", ITER, DATA_LEN,
	       10 + 112);
	printf("  codec       %.3f s  (%.0f ns per round trip)\n", codec, codec * 1e9 / ITER);
	printf("  raw OpenSSL %.3f s  (%.0f ns per CMAC+CBC-enc+CBC-dec+CMAC)\n", raw, raw * 1e9 / ITER);
	printf("  ratio       %.2fx (target <= %.1fx: %s)   [sink %lu]\n", ratio, TARGET,
	       ratio <= TARGET ? "met" : "NOT met", sink & 1);
	return 0;
}
