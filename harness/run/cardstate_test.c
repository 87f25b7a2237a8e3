/* cardstate: the `rsplab-euicc dump` text (sims/euicc/dump.h; the dump itself is tested in
 * sims/euicc/euicc_test.c) and the key set attribution rule of scenarios/README.md. */
#include <errno.h>
#include <string.h>

#include "harness/run/cardstate.h"
#include "lib/es/es.h"
#include "lib/test/runner.h"

static const char DUMP[] = "eid 89049032123456789000000000000123\n"
			   "isdp tar=000010 aid=A0000005591010FFFFFFFF8900001000 lifecycle=1F state=Disabled "
			   "iccid=8981100000000000019 fallback=1\n"
			   "isdp tar=000011 aid=A0000005591010FFFFFFFF8900001100 lifecycle=3F state=Enabled "
			   "iccid=8981200000000000018 fallback=0\n"
			   "isdp tar=000012 aid=A0000005591010FFFFFFFF8900001200 lifecycle=07 state=Created iccid=- "
			   "fallback=0\n"
			   "keyset kvn=02 type=scp80 keys=3\n"
			   "keyset kvn=41 type=scp81 keys=2\n";

static const char KEYS[] = "eid=89049032123456789000000000000123\nscp80.kvn=01\nscp80.kic_kid=12\n"
			   "scp80.kic=00112233445566778899aabbccddeeff\nscp81.kvn=40\n"
			   "scp81.psk=00112233445566778899aabbccddeeff\n";

static int parse_cb(const uint8_t *b, size_t n, void *priv)
{
	struct cardstate cs;
	return cardstate_parse(&cs, (const char *)b, n);
}

void test_cardstate_parse_profiles(void)
{
	struct cardstate cs;

	CU_ASSERT_EQUAL_FATAL(cardstate_parse(&cs, DUMP, strlen(DUMP)), 0);
	CU_ASSERT_STRING_EQUAL(cs.eid, "89049032123456789000000000000123");
	CU_ASSERT_EQUAL(cs.n_prof, 2); /* the ISD-P without a profile is not one */
	CU_ASSERT_EQUAL(cardstate_profile(&cs, "8981200000000000018"), ES_PROFILE_STATE_ENABLED);
	CU_ASSERT_EQUAL(cardstate_profile(&cs, "8981100000000000019"), ES_PROFILE_STATE_DISABLED);
	CU_ASSERT_EQUAL(cardstate_profile(&cs, "8981100000000000020"), 0);
	CU_ASSERT_EQUAL(cs.n_ks, 2);
	CU_ASSERT_EQUAL(cs.ks[1].kvn, 0x41);
	CU_ASSERT_EQUAL(cs.ks[1].type, 81);
}

void test_cardstate_parse_rejects(void)
{
	struct cardstate cs;
	static const char *const bad[] = {
		"",
		"keyset kvn=01 type=scp80 keys=3\n",	 /* no EID */
		"eid 8904903212345678900000000000012\n", /* 31 digits */
		"eid 89049032123456789000000000000123\nisdp state=Running iccid=1\n",
		"eid 89049032123456789000000000000123\nisdp state=Enabled iccid=89x1\n",
		"eid 89049032123456789000000000000123\nisdp state=Enabled\n",
		"eid 89049032123456789000000000000123\nkeyset kvn=1 type=scp80\n",
		"eid 89049032123456789000000000000123\nkeyset kvn=zz type=scp80\n",
		"eid 89049032123456789000000000000123\nkeyset kvn=01\n",
		"eid 89049032123456789000000000000123\nsomething else\n",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CU_ASSERT_EQUAL(cardstate_parse(&cs, bad[i], strlen(bad[i])), -EBADMSG);
	/* every proper prefix that cuts a line is refused or parses to less; none crashes (ASan) */
	TEST_TRUNCATIONS_REJECTED((const uint8_t *)DUMP, 30, parse_cb, NULL);
	test_truncations_run((const uint8_t *)DUMP, strlen(DUMP), parse_cb, NULL);
	CU_ASSERT(test_mutations_run((const uint8_t *)DUMP, strlen(DUMP), parse_cb, NULL) > 0);
}

void test_cardstate_factory_kvns(void)
{
	uint8_t kvn[4];

	CU_ASSERT_EQUAL(cardstate_factory_kvns(KEYS, strlen(KEYS), kvn, sizeof(kvn)), 2);
	CU_ASSERT_EQUAL(kvn[0], 0x01);
	CU_ASSERT_EQUAL(kvn[1], 0x40);
	CU_ASSERT_EQUAL(cardstate_factory_kvns("scp80.kvn=1\n", 12, kvn, sizeof(kvn)), -EBADMSG);
	CU_ASSERT_EQUAL(cardstate_factory_kvns("eid=1\n", 6, kvn, sizeof(kvn)), 0);
}

/* The rule: the initial SM-SR owns the factory KVNs (all needed for "present"), the other SM-SR owns
 * what is beyond them (one is enough). Before SM-SR Change, half-way (both), after it. */
void test_cardstate_keysets_rule(void)
{
	static const uint8_t factory[] = { 0x01, 0x40 };
	static const char before[] = "eid 89049032123456789000000000000123\nkeyset kvn=01 type=scp80 keys=3\n"
				     "keyset kvn=40 type=scp81 keys=2\n";
	static const char half[] = "eid 89049032123456789000000000000123\nkeyset kvn=01 type=scp80 keys=3\n"
				   "keyset kvn=02 type=scp80 keys=3\n";
	struct cardstate cs;
	unsigned int want;
	char list[40];

	CU_ASSERT_EQUAL_FATAL(cardstate_parse(&cs, before, strlen(before)), 0);
	CU_ASSERT_EQUAL(cardstate_keysets_of(&cs, factory, 2, true, &want, list, sizeof(list)), 2);
	CU_ASSERT_EQUAL(want, 2);
	CU_ASSERT_STRING_EQUAL(list, "01 40");
	CU_ASSERT_EQUAL(cardstate_keysets_of(&cs, factory, 2, false, &want, list, sizeof(list)), 0);
	CU_ASSERT_EQUAL(want, 1);
	CU_ASSERT_STRING_EQUAL(list, "");

	CU_ASSERT_EQUAL_FATAL(cardstate_parse(&cs, half, strlen(half)), 0);
	CU_ASSERT_EQUAL(cardstate_keysets_of(&cs, factory, 2, true, &want, list, sizeof(list)), 1); /* < want */
	CU_ASSERT_EQUAL(cardstate_keysets_of(&cs, factory, 2, false, &want, list, sizeof(list)), 1);
	CU_ASSERT_STRING_EQUAL(list, "02");

	CU_ASSERT_EQUAL_FATAL(cardstate_parse(&cs, DUMP, strlen(DUMP)), 0); /* after: 02 and 41 */
	CU_ASSERT_EQUAL(cardstate_keysets_of(&cs, factory, 2, true, &want, list, sizeof(list)), 0);
	CU_ASSERT_EQUAL(cardstate_keysets_of(&cs, factory, 2, false, &want, list, sizeof(list)), 2);
	CU_ASSERT_STRING_EQUAL(list, "02 41");
}
