/* Tests of the inventory import / list / export. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <osmocom/core/application.h>
#include <osmocom/core/talloc.h>

#include "lib/saip/saip.h"
#include "lib/test/runner.h"
#include "network/smdp/inventory.h"
#include "network/smdp/logging.h"

static void *ctx;
static const uint8_t k[16] = { 0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77,
			       0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff };
static const uint8_t opc[16] = { 0xf0, 0xe1, 0xd2, 0xc3, 0xb4, 0xa5, 0x96, 0x87,
				 0x78, 0x69, 0x5a, 0x4b, 0x3c, 0x2d, 0x1e, 0x0f };

int suite_setup(void)
{
	ctx = talloc_named_const(NULL, 0, "inventory_test");
	osmo_init_logging2(ctx, &smdp_log_info);
	log_set_log_level(osmo_stderr_target, LOGL_FATAL);
	return 0;
}

static int build(uint8_t *buf, size_t cap, const char *iccid, const char *imsi, enum saip_algo algo)
{
	struct saip_build_params p = { .version = SAIP_VERSION_2_0,
				       .profile_type = "m2m-test",
				       .iccid = iccid,
				       .imsi = imsi,
				       .algo = algo,
				       .key = k,
				       .opc = opc,
				       .pol1 = 2 };

	return saip_build(buf, cap, &p);
}

static void capture(struct smdp_store *s, int (*fn)(struct smdp_store *, FILE *), char *out, size_t cap)
{
	FILE *f = fmemopen(out, cap, "w");

	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	CU_ASSERT(fn(s, f) >= 0);
	fclose(f);
}

static int export_kv(struct smdp_store *s, FILE *f)
{
	return smdp_inventory_export(s, f, SMDP_EXPORT_KV);
}

static int export_hlr(struct smdp_store *s, FILE *f)
{
	return smdp_inventory_export(s, f, SMDP_EXPORT_HLR_VTY);
}

void test_inventory_import_list_export(void)
{
	struct smdp_store *s;
	struct smdp_profile p;
	uint8_t pkg[4096];
	char out[4096];
	int n;

	CU_ASSERT_EQUAL_FATAL(smdp_store_open(ctx, ":memory:", &s), 0);
	n = build(pkg, sizeof(pkg), "8949000000000000011", "001010000000011", SAIP_ALGO_MILENAGE);
	CU_ASSERT_FATAL(n > 0);
	CU_ASSERT_EQUAL(smdp_inventory_import(s, pkg, (size_t)n, "491700000011", NULL, &p), 0);
	CU_ASSERT_STRING_EQUAL(p.iccid, "8949000000000000011");
	CU_ASSERT_STRING_EQUAL(p.imsi, "001010000000011");
	CU_ASSERT_STRING_EQUAL(p.profile_type, "m2m-test");
	CU_ASSERT_EQUAL(p.pol1, 2);
	TEST_ASSERT_MEM_EQ(p.k, p.k_len, k, sizeof(k));
	TEST_ASSERT_MEM_EQ(p.opc, p.opc_len, opc, sizeof(opc));
	CU_ASSERT_EQUAL(smdp_inventory_import(s, pkg, (size_t)n, NULL, NULL, NULL), -EEXIST);
	n = build(pkg, sizeof(pkg), "8949000000000000029", "001010000000029", SAIP_ALGO_COMP128V1);
	CU_ASSERT_FATAL(n > 0);
	CU_ASSERT_EQUAL(smdp_inventory_import(s, pkg, (size_t)n, NULL, "other", NULL), 0);

	capture(s, smdp_inventory_list, out, sizeof(out));
	CU_ASSERT_STRING_EQUAL(out, "8949000000000000011 001010000000011 491700000011 m2m-test available -\n"
				    "8949000000000000029 001010000000029 - other available -\n");
	CU_ASSERT_PTR_NULL(strstr(out, "00112233")); /* the list never shows keys */

	capture(s, export_kv, out, sizeof(out));
	CU_ASSERT_STRING_EQUAL(out, "iccid=8949000000000000011 imsi=001010000000011 msisdn=491700000011 algo=milenage"
				    " k=00112233445566778899aabbccddeeff opc=f0e1d2c3b4a5968778695a4b3c2d1e0f"
				    " state=available eid=\n"
				    "iccid=8949000000000000029 imsi=001010000000029 msisdn= algo=comp128v1"
				    " k=00112233445566778899aabbccddeeff state=available eid=\n");
	capture(s, export_hlr, out, sizeof(out));
	CU_ASSERT_STRING_EQUAL(out, "subscriber imsi 001010000000011 create\n"
				    "subscriber imsi 001010000000011 update msisdn 491700000011\n"
				    "subscriber imsi 001010000000011 update aud3g milenage k "
				    "00112233445566778899aabbccddeeff opc f0e1d2c3b4a5968778695a4b3c2d1e0f\n"
				    "subscriber imsi 001010000000029 create\n"
				    "subscriber imsi 001010000000029 update aud2g comp128v1 ki "
				    "00112233445566778899aabbccddeeff\n");
	smdp_store_close(s);
}

static int count(const struct smdp_profile *p, void *priv)
{
	(*(int *)priv)++;
	return 0;
}

void test_inventory_malformed_changes_nothing(void)
{
	struct smdp_store *s;
	uint8_t pkg[4096];
	int n, rows = 0;

	CU_ASSERT_EQUAL_FATAL(smdp_store_open(ctx, ":memory:", &s), 0);
	n = build(pkg, sizeof(pkg), "8949000000000000011", "001010000000011", SAIP_ALGO_MILENAGE);
	CU_ASSERT_FATAL(n > 0);
	/* Every truncation is refused (no PE-End), nothing stored. */
	for (int len = 1; len < n; len++)
		CU_ASSERT_EQUAL(smdp_inventory_import(s, pkg, (size_t)len, NULL, NULL, NULL), -EBADMSG);
	CU_ASSERT_EQUAL(smdp_inventory_import(s, pkg, (size_t)n, "12ab", NULL, NULL), -EINVAL);
	smdp_store_profile_foreach(s, count, &rows);
	CU_ASSERT_EQUAL(rows, 0);
	smdp_store_close(s);
}
