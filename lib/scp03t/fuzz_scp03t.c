/* libFuzzer target for SCP03t. The first input byte selects the target, the rest is the data:
 *   00 TLV decoder over every TLV of the input
 *   01 card-side verifier, session open (open-questions §15 V4 keys and session), each TLV in turn
 *   02 card-side verifier from IDLE (so 84/85/86 sequences are exercised), each TLV in turn
 *   03 SM-DP check of the answer to 84 ‖ 85 (V4 session)
 *   04 SM-DP check of an answer to 86 (V4 session after one segment) */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/scp03t/scp03t.h"

static struct scp03t_card idle_card, open_card;
static struct scp03t_host host_open, host_seg;

/* sgp02-open-questions.md §15 V3/V4 */
static const uint8_t enc[16] = { 0x53, 0x3A, 0xF4, 0xEF, 0xC4, 0x09, 0x6F, 0x33,
				 0x1A, 0x73, 0x61, 0xAF, 0xBF, 0xBC, 0xFD, 0xA1 };
static const uint8_t mac[16] = { 0xE9, 0xE1, 0x0E, 0x0B, 0xB3, 0x35, 0x08, 0x1D,
				 0x5E, 0xD4, 0x98, 0xF6, 0x38, 0x50, 0xAC, 0x82 };
static const uint8_t aid[16] = { 0xA0, 0x00, 0x00, 0x05, 0x59, 0x10, 0x10, 0xFF,
				 0xFF, 0xFF, 0xFF, 0x89, 0x00, 0x00, 0x13, 0x00 };
static const uint8_t seq[3] = { 0, 0, 1 };
static const uint8_t hc[8] = { 0x33, 0x13, 0x72, 0x86, 0x75, 0x91, 0xFA, 0x71 };

static void setup(void)
{
	uint8_t cmd[64], rsp[64], plain[16], seg[64];
	size_t rl, pl;

	if (scp03t_card_init(&idle_card, NULL, enc, mac, 16, 0x30, seq, aid, sizeof(aid)) < 0 ||
	    scp03t_host_init(&host_open, NULL, enc, mac, 16, 0x30, 0x00) < 0 ||
	    scp03t_host_open(&host_open, hc, seq, aid, sizeof(aid), 0x33, cmd, sizeof(cmd)) != 31)
		abort();
	open_card = idle_card;
	if (scp03t_card_handle(&open_card, cmd, 31, plain, sizeof(plain), &pl, rsp, sizeof(rsp), &rl) != 12 ||
	    scp03t_card_handle(&open_card, cmd + 12, 19, plain, sizeof(plain), &pl, rsp, sizeof(rsp), &rl) != 19)
		abort();
	host_seg = host_open;
	if (scp03t_host_segment(&host_seg, (const uint8_t *)"seed", 4, seg, sizeof(seg)) < 0)
		abort();
}

static void run_card(struct scp03t_card c, const uint8_t *data, size_t size)
{
	static uint8_t plain[SCP03T_MAX_VALUE];
	uint8_t rsp[64];
	size_t pos = 0, rl, pl;

	while (pos < size) {
		int n = scp03t_card_handle(&c, data + pos, size - pos, plain, sizeof(plain), &pl, rsp, sizeof(rsp),
					   &rl);

		if (n <= 0)
			break;
		pos += (size_t)n;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool ready;
	struct scp03t_status st;
	uint8_t out[SCP03T_MAX_VALUE];

	if (!ready) {
		setup();
		ready = true;
	}
	if (size < 1)
		return 0;
	switch (data[0]) {
	case 0: {
		struct scp03t_tlv t;
		size_t pos = 1;
		int n;

		while (pos < size && (n = scp03t_tlv_decode(&t, data + pos, size - pos)) > 0) {
			if (t.hdr + t.hdr_len != t.value || t.value + t.len > data + size)
				abort();
			pos += (size_t)n;
		}
		break;
	}
	case 1: run_card(open_card, data + 1, size - 1); break;
	case 2: run_card(idle_card, data + 1, size - 1); break;
	case 3: {
		struct scp03t_host h = host_open;

		(void)scp03t_host_check_open(&h, data + 1, size - 1, &st);
		break;
	}
	case 4: {
		struct scp03t_host h = host_seg;

		(void)scp03t_host_check_data_resp(&h, data + 1, size - 1, out, sizeof(out), &st);
		break;
	}
	default: break;
	}
	return 0;
}
