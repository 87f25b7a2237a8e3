/* CARD.db.keys import: the file exactly as `rsplab-euicc init` writes it (sims/euicc/main.c) parsed and
 * put into a store holding the card's EIS row; counters kept; every truncation of the file that cuts a
 * set in part refused; malformed values, duplicates and an unregistered EID refused with the store
 * unchanged. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <talloc.h>

#include "lib/test/runner.h"
#include "network/smsr/smsr_keys.h"

static void *ctx;

int suite_setup(void)
{
	ctx = talloc_named_const(NULL, 0, "smsr_keys_test");
	return ctx ? 0 : -1;
}

int suite_teardown(void)
{
	talloc_free(ctx);
	return 0;
}

#define EID "89001012012341234012345678901224"

/* The layout rsplab-euicc init writes (sims/euicc/main.c cmd_init), with made-up key values. */
static const char FILE_TEXT[] = "eid=" EID "\n"
				"scp80.kvn=01\n"
				"scp80.kic_kid=12\n"
				"scp80.kic=000102030405060708090a0b0c0d0e0f\n"
				"scp80.kid=101112131415161718191a1b1c1d1e1f\n"
				"scp80.kik=202122232425262728292a2b2c2d2e2f\n"
				"scp81.kvn=40\n"
				"scp81.psk=303132333435363738393a3b3c3d3e3f\n"
				"scp81.dek=404142434445464748494a4b4c4d4e4f\n";

static struct smsr_store *store_with_eis(void)
{
	char err[256];
	struct smsr_store *s = smsr_store_open(ctx, ":memory:", err, sizeof(err));
	struct smsr_eis_row row = { .eid = EID, .eum_id = "1.2.3", .smsr_id = "1.2.4", .state = SMSR_EIS_ACTIVE };
	struct es_eis eis = { 0 };
	/* what RegisterEIS stores from a lab EIS: versions, no values, counter 5 */
	struct smsr_keyset_row ks[2] = {
		{ .eid = EID, .kvn = 1, .kind = SMSR_KEYSET_SCP80, .counter = 5 },
		{ .eid = EID, .kvn = 0x40, .kind = SMSR_KEYSET_SCP81 },
	};

	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	CU_ASSERT_EQUAL_FATAL(smsr_store_eis_insert(s, &row, &eis, (const uint8_t *)"x", 1, ks, 2), 0);
	return s;
}

void test_keys_parse_euicc_file(void)
{
	struct smsr_card_keys k;

	CU_ASSERT_EQUAL_FATAL(smsr_card_keys_parse(FILE_TEXT, strlen(FILE_TEXT), &k), 0);
	CU_ASSERT_STRING_EQUAL(k.eid, EID);
	CU_ASSERT_TRUE(k.has_scp80);
	CU_ASSERT_TRUE(k.has_scp81);
	CU_ASSERT_EQUAL(k.scp80.kvn, 1);
	CU_ASSERT_EQUAL(k.scp80.kind, SMSR_KEYSET_SCP80);
	TEST_ASSERT_HEX_EQ(k.scp80.kic, k.scp80.kic_len, "000102030405060708090a0b0c0d0e0f");
	TEST_ASSERT_HEX_EQ(k.scp80.kid, k.scp80.kid_len, "101112131415161718191a1b1c1d1e1f");
	TEST_ASSERT_HEX_EQ(k.scp80.kik, k.scp80.kik_len, "202122232425262728292a2b2c2d2e2f");
	CU_ASSERT_EQUAL(k.scp81.kvn, 0x40);
	CU_ASSERT_EQUAL(k.scp81.kind, SMSR_KEYSET_SCP81);
	TEST_ASSERT_HEX_EQ(k.scp81.psk, k.scp81.psk_len, "303132333435363738393a3b3c3d3e3f");
	CU_ASSERT_STRING_EQUAL(k.scp80.eid, EID);
	CU_ASSERT_STRING_EQUAL(k.scp81.eid, EID);
}

void test_keys_parse_one_set_comments_crlf(void)
{
	static const char t[] = "# card keys\r\n\r\neid=" EID "\r\nscp81.kvn=40\r\nscp81.psk="
				"000102030405060708090a0b0c0d0e0f1011121314151617\r\nfuture.key=1\r\n";
	struct smsr_card_keys k;

	CU_ASSERT_EQUAL_FATAL(smsr_card_keys_parse(t, strlen(t), &k), 0);
	CU_ASSERT_FALSE(k.has_scp80);
	CU_ASSERT_TRUE(k.has_scp81);
	CU_ASSERT_EQUAL(k.scp81.psk_len, 24);
}

/* Every prefix of the file either still holds complete sets only (accepted, with those sets) or is
 * refused: a set in part is never imported. */
void test_keys_parse_truncations(void)
{
	size_t len = strlen(FILE_TEXT);

	for (size_t n = 0; n < len; n++) {
		struct smsr_card_keys k;
		int rc = smsr_card_keys_parse(FILE_TEXT, n, &k);

		if (rc == 0) {
			/* accepted: the SCP80 set complete, and the SCP81 set only once its psk line is whole
			 * (a cut in the ignored scp81.dek line, or before any scp81 line) */
			size_t dek = (size_t)(strstr(FILE_TEXT, "scp81.dek") - FILE_TEXT) - 1; /* its psk line whole */
			size_t kvn81 = (size_t)(strstr(FILE_TEXT, "scp81.kvn") - FILE_TEXT);
			CU_ASSERT_TRUE(k.has_scp80);
			CU_ASSERT_EQUAL(k.has_scp81, n >= dek);
			CU_ASSERT(n >= dek || n <= kvn81);
		} else {
			CU_ASSERT_EQUAL(rc, -EBADMSG);
		}
	}
}

void test_keys_parse_rejects(void)
{
	static const char *const bad[] = {
		"scp80.kvn=01\nscp80.kic=000102030405060708090a0b0c0d0e0f\n",		   /* no eid */
		"eid=" EID "\n",							   /* no set */
		"eid=" EID "\nscp81.kvn=40\n",						   /* set in part */
		"eid=" EID "\nscp81.kvn=40\nscp81.psk=00010203\n",			   /* short key */
		"eid=" EID "\nscp81.kvn=40\nscp81.psk=000102030405060708090a0b0c0d0e0g\n", /* not hex */
		"eid=" EID "\nscp81.kvn=00\nscp81.psk=000102030405060708090a0b0c0d0e0f\n", /* KVN 0 */
		"eid=" EID "\nscp81.kvn=4\nscp81.psk=000102030405060708090a0b0c0d0e0f\n",  /* KVN form */
		"eid=" EID "\neid=" EID "\nscp81.kvn=40\nscp81.psk=000102030405060708090a0b0c0d0e0f\n", /* twice */
		"eid=8900\nscp81.kvn=40\nscp81.psk=000102030405060708090a0b0c0d0e0f\n",			/* EID length */
		"eid=" EID "\nscp81.kvn 40\n",								/* no '=' */
		"eid=" EID "\nscp80.kvn=40\nscp80.kic=000102030405060708090a0b0c0d0e0f\nscp80.kid="
		"000102030405060708090a0b0c0d0e0f\nscp80.kik=000102030405060708090a0b0c0d0e0f\nscp81.kvn=40\n"
		"scp81.psk=000102030405060708090a0b0c0d0e0f\n", /* both sets on one KVN */
	};
	char longline[400];
	struct smsr_card_keys k;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int rc = smsr_card_keys_parse(bad[i], strlen(bad[i]), &k);
		if (rc != -EBADMSG)
			printf("\n  accepted: %s", bad[i]);
		CU_ASSERT_EQUAL(rc, -EBADMSG);
	}
	memset(longline, 'a', sizeof(longline));
	CU_ASSERT_EQUAL(smsr_card_keys_parse(longline, sizeof(longline), &k), -EBADMSG);
	CU_ASSERT_EQUAL(smsr_card_keys_parse(NULL, 0, &k), -EINVAL);
}

void test_keys_import_into_registered_eis(void)
{
	struct smsr_store *s = store_with_eis();
	struct smsr_card_keys k;
	struct smsr_keyset_row r;

	CU_ASSERT_EQUAL_FATAL(smsr_card_keys_parse(FILE_TEXT, strlen(FILE_TEXT), &k), 0);
	CU_ASSERT_EQUAL(smsr_card_keys_import(s, &k), 0);
	CU_ASSERT_EQUAL_FATAL(smsr_store_keyset_get(s, EID, SMSR_KEYSET_SCP80, -1, &r), 0);
	CU_ASSERT_EQUAL(r.kvn, 1);
	CU_ASSERT_EQUAL(r.counter, 5); /* the counter RegisterEIS stored is kept */
	TEST_ASSERT_HEX_EQ(r.kic, r.kic_len, "000102030405060708090a0b0c0d0e0f");
	TEST_ASSERT_HEX_EQ(r.kid, r.kid_len, "101112131415161718191a1b1c1d1e1f");
	TEST_ASSERT_HEX_EQ(r.kik, r.kik_len, "202122232425262728292a2b2c2d2e2f");
	CU_ASSERT_EQUAL_FATAL(smsr_store_keyset_get(s, EID, SMSR_KEYSET_SCP81, -1, &r), 0);
	CU_ASSERT_EQUAL(r.kvn, 0x40);
	TEST_ASSERT_HEX_EQ(r.psk, r.psk_len, "303132333435363738393a3b3c3d3e3f");
	/* a counter used since survives a second import */
	uint64_t c;
	CU_ASSERT_EQUAL(smsr_store_counter_next(s, EID, 1, &c), 0);
	CU_ASSERT_EQUAL(c, 6);
	CU_ASSERT_EQUAL(smsr_card_keys_import(s, &k), 0);
	CU_ASSERT_EQUAL(smsr_store_keyset_get(s, EID, SMSR_KEYSET_SCP80, 1, &r), 0);
	CU_ASSERT_EQUAL(r.counter, 6);
	smsr_store_close(s);
}

/* An EID the store does not know: -ENOENT, nothing written; a store failure rolls the import back. */
void test_keys_import_refused(void)
{
	struct smsr_store *s = store_with_eis();
	struct smsr_card_keys k;
	struct smsr_keyset_row r;

	CU_ASSERT_EQUAL_FATAL(smsr_card_keys_parse(FILE_TEXT, strlen(FILE_TEXT), &k), 0);
	snprintf(k.eid, sizeof(k.eid), "89001012012341234012345678901307");
	snprintf(k.scp80.eid, sizeof(k.scp80.eid), "%s", k.eid);
	snprintf(k.scp81.eid, sizeof(k.scp81.eid), "%s", k.eid);
	CU_ASSERT_EQUAL(smsr_card_keys_import(s, &k), -ENOENT);
	CU_ASSERT_EQUAL(smsr_store_keyset_get(s, k.eid, SMSR_KEYSET_SCP80, -1, &r), -ENOENT);
	/* the right EID, but the store fails at each statement in turn: the keys stay as before */
	CU_ASSERT_EQUAL_FATAL(smsr_card_keys_parse(FILE_TEXT, strlen(FILE_TEXT), &k), 0);
	for (unsigned int n = 1; n <= 6; n++) {
		smsr_store_fail_after(s, n);
		int rc = smsr_card_keys_import(s, &k);
		smsr_store_fail_after(s, 0);
		if (rc == 0)
			break; /* past the last statement */
		CU_ASSERT_EQUAL(smsr_store_keyset_get(s, EID, SMSR_KEYSET_SCP80, -1, &r), 0);
		CU_ASSERT_EQUAL(r.kic_len, 0);
		CU_ASSERT_EQUAL(smsr_store_keyset_get(s, EID, SMSR_KEYSET_SCP81, -1, &r), 0);
		CU_ASSERT_EQUAL(r.psk_len, 0);
	}
	CU_ASSERT_EQUAL(smsr_card_keys_import(s, NULL), -EINVAL);
	smsr_store_close(s);
}
