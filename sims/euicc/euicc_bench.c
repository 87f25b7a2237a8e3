/* Benchmark: memory per idle card in one rsplab-euicc process (issue 6: "memory per idle card is reported
 * by a benchmark"). N cards are made from one factory file, opened and powered on (as `serve` does,
 * without the socket); the heap growth (glibc mallinfo2) and SQLite's share of it (sqlite3_memory_used)
 * are measured in the same run and reported per card and as ratios (no time, no assertions). */
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "lib/ids/ids.h"
#include "lib/saip/saip.h"
#include "sims/euicc/card.h"
#include "sims/euicc/factory.h"

#define N 64

static size_t heap(void)
{
	struct mallinfo2 mi = mallinfo2();
	return mi.uordblks + mi.hblkhd;
}

int main(void)
{
	static const uint8_t k[16] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16 };
	static const uint8_t cert[] = { 0x7F, 0x21, 0x03, 0x93, 0x01, 0x01 };
	struct saip_build_params p = { .iccid = "8988211000000530082",
				       .imsi = "001010000000001",
				       .algo = SAIP_ALGO_MILENAGE,
				       .key = k,
				       .opc = k,
				       .pol1 = -1 };
	static struct euicc_card *cards[N];
	static uint8_t saip[2048];
	char dir[256], path[N][300], eid[33];
	const char *tmp = getenv("TMPDIR");
	size_t h0, h1, s0, s1, one_card_heap;
	struct stat sb;
	int n, rc = 1;

	snprintf(dir, sizeof(dir), "%s/euicc_bench.XXXXXX", tmp ? tmp : "/tmp");
	if (!mkdtemp(dir))
		return 1;
	n = saip_build(saip, sizeof(saip), &p);
	for (int i = 0; i < N; i++) {
		struct euicc_factory f = { .curve = CRYPTO_CURVE_P256, .cert_ecasd = cert, .cert_len = sizeof(cert) };
		char e[31];
		snprintf(e, sizeof(e), "8904903212345678900000000%05d", i);
		ids_eid_compute(eid, e, 30);
		eid[32] = 0;
		f.eid = eid;
		f.saip = saip;
		f.saip_len = (size_t)n;
		memset(f.sk_ecasd, 1, sizeof(f.sk_ecasd));
		snprintf(path[i], sizeof(path[i]), "%s/card%d.db", dir, i);
		if (n < 0 || euicc_factory_make(path[i], &f) < 0)
			goto out;
	}
	/* one card first: warms up the process-wide parts (OpenSSL, SQLite globals) outside the count */
	if (euicc_card_open(&cards[0], path[0], NULL) < 0)
		goto out;
	euicc_card_power_on(cards[0]);
	h0 = heap();
	s0 = (size_t)sqlite3_memory_used();
	for (int i = 1; i < N; i++) {
		if (euicc_card_open(&cards[i], path[i], NULL) < 0)
			goto out;
		euicc_card_power_on(cards[i]);
	}
	h1 = heap();
	s1 = (size_t)sqlite3_memory_used();
	one_card_heap = (h1 - h0) / (N - 1);
	stat(path[1], &sb);
	printf("cards=%d\n", N);
	printf("heap_per_idle_card_bytes=%zu\n", one_card_heap);
	printf("sqlite_per_idle_card_bytes=%zu\n", (s1 - s0) / (N - 1));
	printf("ratio_sqlite_share=%.3f\n", (double)(s1 - s0) / (double)(h1 - h0));
	printf("ratio_heap_to_card_file=%.3f (card file %lld bytes)\n", (double)one_card_heap / (double)sb.st_size,
	       (long long)sb.st_size);
	printf("ratio_heap_to_card_struct=%.1f (struct euicc_card and extension)\n",
	       (double)one_card_heap / (double)euicc_card_sizeof());
	rc = 0;
out:
	for (int i = 0; i < N; i++) {
		euicc_card_close(cards[i]);
		unlink(path[i]);
		char j[320];
		snprintf(j, sizeof(j), "%s/card%d.db-journal", dir, i);
		unlink(j);
	}
	rmdir(dir);
	return rc;
}
