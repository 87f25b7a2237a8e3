/* libFuzzer target for the SCP03 decoders and verifiers. The first input byte selects the target:
 *   00 INITIALIZE UPDATE response decode (and re-encode: must give the same bytes)
 *   01 INITIALIZE UPDATE command decode
 *   02 card-side command unwrap, in the session of pySim's SCP03_Test_AES128_33 after EXTERNAL
 *      AUTHENTICATE (so pySim's protected GET EID is a valid seed)
 *   03 host-side response unwrap (SW 9000), in the same session after that GET EID
 * The rest of the input is the data. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/scp03/scp03.h"

static struct scp03_session s0, s1;

static void setup(void)
{
	/* pySim tests/unittests/test_globalplatform.py, KEYSET_AES128, SCP03_Test_AES128_33. */
	static const uint8_t hc[8] = { 0xfd, 0xf3, 0x82, 0x59, 0xa1, 0xe0, 0xde, 0x44 };
	static const uint8_t cc[8] = { 0x3b, 0x1a, 0xca, 0x81, 0xe8, 0x21, 0xf2, 0x19 };
	static const uint8_t get_eid[] = { 0x80, 0xE2, 0x91, 0x00, 0x06, 0xBF, 0x3E, 0x03, 0x5C, 0x01, 0x5A, 0x00 };
	uint8_t enc[16], mac[16], buf[64];
	int n;

	for (int i = 0; i < 16; i++) {
		enc[i] = (uint8_t)i;
		mac[i] = (uint8_t)(0x10 + i);
	}
	if (scp03_session_derive(&s0, enc, mac, 16, hc, cc) < 0 ||
	    scp03_host_ext_auth_cmd(&s0, SCP03_SL_CMAC_CDEC_RMAC_RENC, buf, sizeof(buf)) < 0)
		abort();
	s1 = s0;
	n = scp03_cmd_wrap(&s1, get_eid, sizeof(get_eid), buf, sizeof(buf));
	if (n < 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool ready;
	struct scp03_session s;
	uint8_t out[300];

	if (!ready) {
		setup();
		ready = true;
	}
	if (size < 1)
		return 0;
	switch (data[0]) {
	case 0: {
		struct scp03_iu_resp r;
		int n = scp03_iu_resp_decode(&r, data + 1, size - 1);

		if (n >= 0 && (scp03_iu_resp_encode(&r, out, sizeof(out)) != n || memcmp(out, data + 1, (size_t)n)))
			abort();
		break;
	}
	case 1: {
		struct scp03_init_update iu;

		(void)scp03_init_update_cmd_decode(&iu, data + 1, size - 1);
		break;
	}
	case 2:
		s = s0;
		(void)scp03_cmd_unwrap(&s, data + 1, size - 1, out, sizeof(out));
		break;
	case 3:
		s = s1;
		(void)scp03_rsp_unwrap(&s, data + 1, size - 1, 0x9000, out, sizeof(out));
		break;
	default: break;
	}
	return 0;
}
