/* Benchmark of the SM-DP:
 *  1. profile downloads per second through the whole procedure (store, FSM, ES8 scripts, ECKA, SCP03t,
 *     EUICCResponse) against the stub SM-SR + eUICC (network stubbed at the ES3/ES5 boundary); the card
 *     side's crypto is inside the number, so it is a lower bound for the SM-DP alone;
 *  2. SCP03t throughput (scp03t_host_segments over a 64 KiB package in 1024-byte segments) in MB/s,
 *     as a ratio to raw AES-128-CBC + AES-CMAC over the same segments, measured interleaved in the same
 *     run (target <= 1.5x).
 * Bounded in time (ROUNDS x SLICE per measurement); reports ratios, never asserts on time. */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <osmocom/core/application.h>
#include <osmocom/core/talloc.h>

#include "lib/crypto/sym.h"
#include "lib/scp03t/scp03t.h"
#include "network/smdp/logging.h"
#include "network/smdp/stubcard.h"

#define ROUNDS	3
#define SLICE_S 1.0
#define PKG_LEN (64 * 1024)
#define SEG	1024

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint8_t pkg[PKG_LEN], out[PKG_LEN + (PKG_LEN / SEG + 1) * 64];

static int ours_scp03t(const uint8_t *enc, const uint8_t *mac)
{
	struct scp03t_host h;
	const uint8_t aid[16] = { 0xA0, 0, 0, 5, 0x59, 0x10, 0x10, 0xFF, 0xFF, 0xFF, 0xFF, 0x89, 0, 0, 0x10, 0 };
	const uint8_t chal[8] = { 1, 2, 3, 4, 5, 6, 7, 8 }, seq[3] = { 0, 0, 1 };
	uint8_t open[64];
	size_t count;

	if (scp03t_host_init(&h, &scp03t_variants_default, enc, mac, 16, 0x30, 0) < 0 ||
	    scp03t_host_open(&h, chal, seq, aid, sizeof(aid), 0x33, open, sizeof(open)) < 0)
		return -1;
	return scp03t_host_segments(&h, pkg, sizeof(pkg), SEG, out, sizeof(out), &count) > 0 ? 0 : -1;
}

/* The same bytes through the raw primitives: per segment, AES-CBC of the padded segment and one CMAC
 * over MCV || header || ciphertext. */
static int raw_cbc_cmac(const uint8_t *enc, const uint8_t *mac)
{
	uint8_t iv[16] = { 0 }, buf[SEG + 16 + 16 + 4], m[16] = { 0 };

	for (size_t off = 0; off < sizeof(pkg); off += SEG) {
		memcpy(buf, pkg + off, SEG);
		buf[SEG] = 0x80;
		memset(buf + SEG + 1, 0, 15);
		if (crypto_aes_cbc(true, enc, 16, iv, buf, SEG + 16, buf + 16 + 4) < 0)
			return -1;
		memcpy(buf, m, 16);
		memcpy(buf + 16, "\x86\x82\x04\x18", 4);
		if (crypto_aes_cmac(mac, 16, buf, SEG + 16 + 16 + 4, m) < 0)
			return -1;
	}
	return 0;
}

static double rate(int (*fn)(const uint8_t *, const uint8_t *), const uint8_t *enc, const uint8_t *mac)
{
	double t0 = now(), t;
	unsigned long n = 0;

	do {
		if (fn(enc, mac) < 0)
			return -1;
		n++;
		t = now();
	} while (t - t0 < SLICE_S);
	return (double)n * sizeof(pkg) / (t - t0) / 1e6;
}

static double download_rate(void *ctx)
{
	char db[] = "/tmp/smdp_bench_XXXXXX";
	struct smdp_cfg cfg;
	struct smdp_store *store = NULL;
	struct smdp_stub *st;
	struct smdp_ops ops;
	struct smdp *s;
	struct es_msg *m = talloc_zero(ctx, struct es_msg);
	uint8_t eid[16];
	unsigned long n = 0, ok = 0;
	double t0, t = 0;
	int fd = mkstemp(db);

	if (fd < 0)
		return -1;
	close(fd);
	smdp_cfg_init(&cfg);
	if (smdp_store_open(ctx, db, &store) < 0 || !(st = smdp_stub_alloc(ctx, &cfg)))
		return -1;
	smdp_stub_ops(st, &ops);
	s = smdp_alloc(ctx, &cfg, store, &ops);
	st->s = s;
	memcpy(eid, st->eid, sizeof(eid));
	m->id = ES_MSG_ES2_DOWNLOAD_PROFILE_REQ;
	m->u.es2_download_profile_req.present = true;
	m->u.es2_download_profile_req.eid = (struct es_hex){ eid, 16 };
	m->u.es2_download_profile_req.smsr_id = "sr1";
	m->u.es2_download_profile_req.enable_profile = (struct es_bool){ true, false };
	t0 = now();
	do {
		char iccid[20], imsi[16];
		snprintf(iccid, sizeof(iccid), "894900000%010lu", n);
		snprintf(imsi, sizeof(imsi), "00101%010lu", n);
		if (smdp_stub_add_profile(store, iccid, imsi, NULL) < 0)
			break;
		m->u.es2_download_profile_req.iccid = iccid;
		smdp_stub_card_reset(st);
		smdp_es2_rx(s, m, "bench");
		smdp_stub_run(st);
		if (st->last_status == ES_STATUS_EXECUTED_SUCCESS)
			ok++;
		n++;
		t = now();
	} while (t - t0 < SLICE_S * ROUNDS);
	smdp_free(s);
	smdp_stub_free(st);
	smdp_store_close(store);
	smdp_cfg_fini(&cfg);
	talloc_free(m);
	unlink(db);
	{
		char p[64];
		snprintf(p, sizeof(p), "%s-wal", db);
		unlink(p);
		snprintf(p, sizeof(p), "%s-shm", db);
		unlink(p);
	}
	printf("downloads: %lu in %.2f s, %lu successful: %.1f downloads/s (store on disk, SCP03t 1024-byte "
	       "segments)\n",
	       n, t - t0, ok, (double)n / (t - t0));
	return ok == n ? (double)n / (t - t0) : -1;
}

int main(void)
{
	void *ctx = talloc_named_const(NULL, 0, "smdp_bench");
	uint8_t enc[16], mac[16];
	double o = 0, r = 0;

	osmo_init_logging2(ctx, &smdp_log_info);
	log_set_log_level(osmo_stderr_target, LOGL_FATAL);
	crypto_random(enc, sizeof(enc));
	crypto_random(mac, sizeof(mac));
	crypto_random(pkg, sizeof(pkg));
	for (int i = 0; i < ROUNDS; i++) {
		o += rate(ours_scp03t, enc, mac);
		r += rate(raw_cbc_cmac, enc, mac);
	}
	printf("SCP03t host: %.1f MB/s, raw AES-CBC+CMAC: %.1f MB/s, cost ratio %.2fx (target <= 1.5x)\n", o / ROUNDS,
	       r / ROUNDS, r / o);
	if (download_rate(ctx) < 0)
		printf("downloads: FAILED\n");
	talloc_free(ctx);
	return 0;
}
