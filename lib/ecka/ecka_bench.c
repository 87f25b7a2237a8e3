/* Benchmark: one side of an ECKA-EG key establishment (ephemeral key generation + ECDH + X9.63 KDF +
 * receipt, i.e. ecka_host_start + ecka_derive + ecka_receipt) against OpenSSL's raw rate for the same
 * asymmetric work (EVP_PKEY_Q_keygen + EVP_PKEY_derive), measured interleaved in the same run.
 * Reports the cost ratio (ours / raw; target ≤ 1.3). Bounded: ROUNDS × 2 × SLICE per curve (≈ 12 s
 * in all). Never asserts on time. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <openssl/evp.h>

#include "lib/crypto/ec.h"
#include "lib/ecka/ecka.h"

#define ROUNDS	3
#define SLICE_S 1.0

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int ours(const EVP_PKEY *card_pub, const uint8_t *crt, size_t crt_len)
{
	struct ecka_host h;
	struct ecka_keys k;
	struct ecka_crt c;
	uint8_t receipt[ECKA_RECEIPT_LEN];
	int rc;

	if (ecka_crt_decode(&c, crt, crt_len) < 0 || ecka_host_start(&h, card_pub, NULL, 0) < 0)
		return -1;
	rc = ecka_derive(h.shs, &c, NULL, 0, ECKA_TARGET_ISDP, NULL, &k);
	if (rc == 0)
		rc = ecka_receipt(&k, crt, crt_len, NULL, 0, ECKA_RECEIPT_A6_THEN_DR_IF_ANY, receipt);
	ecka_host_free(&h);
	return rc;
}

static int raw(const char *group, EVP_PKEY *card_pub)
{
	EVP_PKEY *eph = EVP_PKEY_Q_keygen(NULL, NULL, "EC", group);
	EVP_PKEY_CTX *ctx = eph ? EVP_PKEY_CTX_new(eph, NULL) : NULL;
	uint8_t shs[32];
	size_t len = sizeof(shs);
	int rc = -1;

	if (ctx && EVP_PKEY_derive_init(ctx) > 0 && EVP_PKEY_derive_set_peer(ctx, card_pub) > 0 &&
	    EVP_PKEY_derive(ctx, shs, &len) > 0)
		rc = 0;
	EVP_PKEY_CTX_free(ctx);
	EVP_PKEY_free(eph);
	return rc;
}

int main(void)
{
	static const struct {
		enum crypto_curve curve;
		const char *group;
	} curves[] = { { CRYPTO_CURVE_P256, "prime256v1" }, { CRYPTO_CURVE_BRAINPOOLP256R1, "brainpoolP256r1" } };
	uint8_t crt[ECKA_CRT_MAX];
	struct ecka_crt c;
	int crt_len;

	ecka_crt_default(&c, ECKA_TARGET_ISDP, NULL, 0x30);
	crt_len = ecka_crt_encode(&c, crt, sizeof(crt));
	if (crt_len < 0)
		return 1;
	printf("ecka_bench: one-side ECKA-EG establishment vs OpenSSL raw keygen+ECDH, %d interleaved rounds of %.1f "
	       "s\n",
	       ROUNDS, SLICE_S);
	for (size_t ci = 0; ci < sizeof(curves) / sizeof(curves[0]); ci++) {
		EVP_PKEY *card = NULL;
		unsigned long n_ours = 0, n_raw = 0;
		double t_ours = 0, t_raw = 0;

		if (crypto_ec_generate(curves[ci].curve, &card) < 0)
			return 1;
		for (int r = 0; r < ROUNDS; r++) {
			double t0 = now(), t;

			while ((t = now()) - t0 < SLICE_S) {
				if (ours(card, crt, (size_t)crt_len) < 0)
					return 1;
				n_ours++;
			}
			t_ours += t - t0;
			t0 = now();
			while ((t = now()) - t0 < SLICE_S) {
				if (raw(curves[ci].group, card) < 0)
					return 1;
				n_raw++;
			}
			t_raw += t - t0;
		}
		{
			double r_ours = (double)n_ours / t_ours, r_raw = (double)n_raw / t_raw;

			printf("%-16s ecka_establish %8.0f/s  openssl_keygen+derive %8.0f/s  cost ratio %.3f (target "
			       "<= 1.3)\n",
			       crypto_curve_name(curves[ci].curve), r_ours, r_raw, r_raw / r_ours);
		}
		EVP_PKEY_free(card);
	}
	return 0;
}
