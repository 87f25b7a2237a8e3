/* libFuzzer target: the card-side command packet unwrap and the server-side PoR unwrap over arbitrary
 * bytes, with fixed test keys (pySim's SJA5 sample key sets and a 3DES-3K key) picked by the KIc/KID
 * algorithm nibble, so the deciphering and MAC paths are reached, not only the framing. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/scp80/scp80.h"

static const uint8_t aes_kic[16] = { 0x20, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15 };
static const uint8_t aes_kid[16] = { 0x20, 0x11, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15 };
static const uint8_t des_kic[16] = { 0x30, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15 };
static const uint8_t des_kid[16] = { 0x30, 0x11, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15 };
static const uint8_t des3k[24] = {
	1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24
};

static void pick(uint8_t nibble, const uint8_t **key, size_t *len, bool kic)
{
	switch (nibble & 0x0F) {
	case 0x2:
		*key = kic ? aes_kic : aes_kid;
		*len = 16;
		break;
	case 0x9:
		*key = des3k;
		*len = 24;
		break;
	default:
		*key = kic ? des_kic : des_kid;
		*len = 16;
		break;
	}
}

static uint8_t out[70000];
static uint8_t again[70000];

static void fuzz_cmd(const uint8_t *data, size_t size)
{
	struct scp80_counter_policy pol = { .check = true, .last = 5, .max_gap = 100 };
	struct scp80_keys keys;
	struct scp80_cmd cmd;
	int n;

	if (size < 7)
		return;
	pick(data[5], &keys.kic_key, &keys.kic_key_len, true);
	pick(data[6], &keys.kid_key, &keys.kid_key_len, false);
	n = scp80_cmd_unwrap(&cmd, data, size, &keys, &pol, out, sizeof(out));
	if (n < 0 || cmd.verdict != SCP80_V_OK)
		return;
	if (cmd.data + cmd.data_len > out + sizeof(out))
		abort();
	/* An unprotected packet re-encodes to the same bytes. */
	if (cmd.spi.integrity == SCP80_INTEG_NONE && !cmd.spi.ciphering) {
		struct scp80_cmd_params p = { .kic = cmd.kic, .kid = cmd.kid };
		int m;

		memcpy(p.spi, cmd.spi_raw, 2);
		memcpy(p.tar, cmd.tar, 3);
		memcpy(p.cntr, cmd.cntr, 5);
		m = scp80_cmd_wrap(again, sizeof(again), &p, &keys, cmd.data, cmd.data_len);
		if (m != n || memcmp(again, data, (size_t)n) != 0)
			abort();
	}
}

static void fuzz_por(const uint8_t *data, size_t size)
{
	static const struct {
		uint8_t spi[2], kic, kid;
	} cfg[] = {
		{ { 0x06, 0x19 }, 0x22, 0x22 }, { { 0x06, 0x19 }, 0x35, 0x35 }, { { 0x06, 0x09 }, 0x35, 0x35 },
		{ { 0x06, 0x01 }, 0x35, 0x35 }, { { 0x16, 0x11 }, 0x19, 0x19 }, { { 0x06, 0x35 }, 0x22, 0x15 },
	};

	for (size_t i = 0; i < sizeof(cfg) / sizeof(cfg[0]); i++) {
		struct scp80_keys keys;
		struct scp80_por por;
		int n;

		pick(cfg[i].kic, &keys.kic_key, &keys.kic_key_len, true);
		pick(cfg[i].kid, &keys.kid_key, &keys.kid_key_len, false);
		n = scp80_por_unwrap(&por, data, size, cfg[i].spi, cfg[i].kic, cfg[i].kid, &keys, out, sizeof(out));
		if (n >= 0 && por.verdict == SCP80_V_OK && por.data + por.data_len > out + sizeof(out))
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_cmd(data, size);
	fuzz_por(data, size);
	return 0;
}
