/* Fuzz target: an arbitrary vpcd byte stream (control bytes and APDUs, euicc_vpcd_process) against a
 * powered-on card made fresh from the same pristine file for every input. Seeds in
 * corpus/fuzz_euicc/: USIM reads, AUTHENTICATE, TERMINAL PROFILE + FETCH, events, an SMS-PP ENVELOPE. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/crypto/ec.h"
#include "lib/ids/ids.h"
#include "lib/saip/saip.h"
#include "sims/euicc/factory.h"
#include "sims/euicc/vpcd.h"

static char path[300], dir[256];

static void cleanup(void)
{
	unlink(path);
	rmdir(dir);
}
static uint8_t *pristine;
static size_t pristine_len;

static int setup(void)
{
	static const uint8_t k[16] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16 };
	static const uint8_t cert[] = { 0x7F, 0x21, 0x03, 0x93, 0x01, 0x01 };
	struct saip_build_params p = { .iccid = "8988211000000530082",
				       .imsi = "001010000000001",
				       .algo = SAIP_ALGO_MILENAGE,
				       .key = k,
				       .opc = k,
				       .pol1 = -1 };
	struct euicc_factory f = { 0 };
	static uint8_t saip[2048];
	char eid[33];
	const char *tmp = getenv("TMPDIR");
	FILE *fp;
	int n;

	snprintf(dir, sizeof(dir), "%s/fuzz_euicc.XXXXXX", tmp ? tmp : "/tmp");
	if (!mkdtemp(dir))
		return -1;
	snprintf(path, sizeof(path), "%s/card.db", dir);
	atexit(cleanup);
	n = saip_build(saip, sizeof(saip), &p);
	ids_eid_compute(eid, "890490321234567890000000000000", 30);
	eid[32] = 0;
	f.eid = eid;
	f.cert_ecasd = cert;
	f.cert_len = sizeof(cert);
	f.saip = saip;
	f.saip_len = (size_t)n;
	f.smsr_sms = "1 1 4912345";
	f.keys_given = true;
	memset(f.sk_ecasd, 1, sizeof(f.sk_ecasd));
	if (n < 0 || euicc_factory_make(path, &f) < 0)
		return -1;
	fp = fopen(path, "rb");
	if (!fp)
		return -1;
	pristine = malloc(1 << 20);
	pristine_len = fread(pristine, 1, 1 << 20, fp);
	fclose(fp);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	static uint8_t out[1 << 16];
	struct euicc_card *c;
	size_t out_len = 0;
	FILE *fp;

	if (!ready) {
		if (setup() < 0)
			abort();
		ready = 1;
	}
	fp = fopen(path, "wb");
	if (!fp)
		abort();
	fwrite(pristine, 1, pristine_len, fp);
	fclose(fp);
	if (euicc_card_open(&c, path, NULL) < 0)
		abort();
	euicc_card_power_on(c);
	euicc_vpcd_process(c, data, size, out, sizeof(out), &out_len);
	euicc_card_close(c);
	return 0;
}
