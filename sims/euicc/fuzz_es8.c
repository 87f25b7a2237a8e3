/* Fuzz target: a remote script run on a fresh card (from the same pristine file every input), for the
 * ISD-R (key establishment 3A01/3A02, INSTALL perso, every ES5 function) or for an ISD-P that is
 * PERSONALIZED with a known SCP03 key set (SCP03t 84/85/86 download, SCP03 C-APDUs). First input byte:
 * bit 0 = target ISD-P, bit 1 = a second script (the rest split at byte 2's value) in the same power
 * session, which reaches the 3A02-after-3A01 and 86-after-84 states. Seeds in corpus/fuzz_es8/. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/ids/ids.h"
#include "lib/saip/saip.h"
#include "sims/euicc/card_internal.h"
#include "sims/euicc/factory.h"

#define ISDP_TAR 0x000020

static char path[300], dir[256];
static uint8_t *pristine;
static size_t pristine_len;

static void cleanup(void)
{
	unlink(path);
	rmdir(dir);
}

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
	struct euicc_store *st;
	struct euicc_isdp isdp = { 0 };
	static uint8_t saip[2048];
	char eid[33];
	const char *tmp = getenv("TMPDIR");
	FILE *fp;
	int n;

	snprintf(dir, sizeof(dir), "%s/fuzz_es8.XXXXXX", tmp ? tmp : "/tmp");
	if (!mkdtemp(dir))
		return -1;
	snprintf(path, sizeof(path), "%s/card.db", dir);
	atexit(cleanup);
	n = saip_build(saip, sizeof(saip), &p);
	ids_eid_compute(eid, "890490321234567890000000000000", 30);
	eid[32] = 0;
	f.eid = eid;
	f.curve = CRYPTO_CURVE_P256;
	f.cert_ecasd = cert;
	f.cert_len = sizeof(cert);
	f.saip = saip;
	f.saip_len = (size_t)n;
	f.keys_given = true;
	memset(f.sk_ecasd, 1, sizeof(f.sk_ecasd));
	/* PK.CI: the generator point of P-256 would do; any valid point: derive one from sk = 1 */
	{
		EVP_PKEY *key = NULL;
		if (crypto_ec_from_private(CRYPTO_CURVE_P256, f.sk_ecasd, 32, &key) < 0)
			return -1;
		crypto_ec_export_public(key, f.pk_ci);
		EVP_PKEY_free(key);
	}
	if (n < 0 || euicc_factory_make(path, &f) < 0)
		return -1;
	/* a PERSONALIZED ISD-P with a known SCP03 key set (KVN 30) */
	if (euicc_store_open(&st, path, false) < 0)
		return -1;
	ids_aid_from_tar(isdp.aid, ISDP_TAR);
	isdp.aid_len = 16;
	isdp.tar = ISDP_TAR;
	isdp.state = ES5_ISDP_PERSONALIZED;
	isdp.has_scp03 = true;
	isdp.scp03_kvn = 0x30;
	memset(isdp.scp03, 0x42, sizeof(isdp.scp03));
	n = euicc_store_isdp_put(st, &isdp);
	euicc_store_close(st);
	if (n < 0)
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
	static uint8_t resp[1 << 14];
	struct euicc_session s = { .kvn = 0x01 };
	struct euicc_card *c;
	size_t split;
	FILE *fp;

	if (!ready) {
		if (setup() < 0)
			abort();
		ready = 1;
	}
	if (size < 2)
		return 0;
	fp = fopen(path, "wb");
	if (!fp)
		abort();
	fwrite(pristine, 1, pristine_len, fp);
	fclose(fp);
	if (euicc_card_open(&c, path, NULL) < 0)
		abort();
	euicc_card_power_on(c);
	s.tar = (data[0] & 1) ? ISDP_TAR : IDS_TAR_ISD_R;
	split = (data[0] & 2) && size > 2 ? 2 + (size_t)data[1] : size;
	if (split > size)
		split = size;
	euicc_card_script_run(c, &s, data + 2, split - 2, resp, sizeof(resp));
	if (split < size)
		euicc_card_script_run(c, &s, data + split, size - split, resp, sizeof(resp));
	if (euicc_store_check(euicc_card_store(c)) < 0)
		abort(); /* whatever the scripts did, the store stays consistent */
	euicc_card_close(c);
	return 0;
}
