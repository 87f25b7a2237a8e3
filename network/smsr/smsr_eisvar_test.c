/* Per-eUICC rules (smsr_eisvar.h): parsing of both forms, the longest matching prefix per key, the
 * daemon-wide fallback for a key no rule sets, case-insensitive EIDs, replacing and deleting a rule, the
 * written form, and every refusal (the table unchanged, the message naming the problem). */
#include <errno.h>
#include <string.h>

#include "lib/es5/es5.h"
#include "lib/test/runner.h"
#include "network/smsr/smsr_change.h"
#include "network/smsr/smsr_eisvar.h"

/* EIDs of the lab (the structure of SGP.02 §2.2.2: 89 + country + issuer + ...); only their prefixes
 * matter here */
#define EID_A "89049032123451234512345678901235"
#define EID_B "89049032999990000000000000000042"
#define EID_C "89001012012341234012345678901224"

void test_eisvar_parse_both_forms(void)
{
	struct smsr_eisvar t = { 0 };
	char err[160] = "";

	CU_ASSERT_EQUAL(smsr_eisvar_parse(&t, "89049032:sms-transport=kannel", err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(smsr_eisvar_set(&t, "*", "f2", "keep-list", err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(smsr_eisvar_parse(&t, "8904903299:handover-hide=KEYSETS", err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(t.n, 3);
	CU_ASSERT_STRING_EQUAL(t.rule[0].prefix, "89049032");
	CU_ASSERT_EQUAL(t.rule[0].key, SMSR_EISVAR_SMS_TRANSPORT);
	CU_ASSERT_EQUAL(t.rule[0].value, SMSR_SMS_KANNEL);
	CU_ASSERT_STRING_EQUAL(t.rule[1].prefix, ""); /* `*` */
	CU_ASSERT_EQUAL(t.rule[1].key, SMSR_EISVAR_F2);
	CU_ASSERT_EQUAL(t.rule[1].value, ES5_F2_KEEP_LIST);
	CU_ASSERT_EQUAL(t.rule[2].key, SMSR_EISVAR_HANDOVER_HIDE);
	CU_ASSERT_EQUAL(t.rule[2].value, SMSR_CHG_HIDE_KEYSETS);
}

void test_eisvar_longest_prefix_wins(void)
{
	struct smsr_eisvar t = { 0 };

	/* in an order where the longest rule is neither first nor last */
	CU_ASSERT_EQUAL(smsr_eisvar_parse(&t, "*:sms-transport=smpp", NULL, 0), 0);
	CU_ASSERT_EQUAL(smsr_eisvar_parse(&t, "8904903299999:sms-transport=smpp", NULL, 0), 0);
	CU_ASSERT_EQUAL(smsr_eisvar_parse(&t, "89049032:sms-transport=kannel", NULL, 0), 0);
	CU_ASSERT_EQUAL(smsr_eisvar_parse(&t, "89:sms-transport=smpp", NULL, 0), 0);
	CU_ASSERT_EQUAL(smsr_eisvar_get(&t, EID_A, SMSR_EISVAR_SMS_TRANSPORT, -1), SMSR_SMS_KANNEL);
	CU_ASSERT_EQUAL(smsr_eisvar_get(&t, EID_B, SMSR_EISVAR_SMS_TRANSPORT, -1), SMSR_SMS_SMPP);
	CU_ASSERT_EQUAL(smsr_eisvar_get(&t, EID_C, SMSR_EISVAR_SMS_TRANSPORT, -1), SMSR_SMS_SMPP);
	/* `*` alone matches everything, even a string that starts with no hex digit */
	CU_ASSERT_EQUAL(smsr_eisvar_get(&t, "", SMSR_EISVAR_SMS_TRANSPORT, -1), SMSR_SMS_SMPP);
	/* a longer rule for another key does not shadow this key's rule */
	CU_ASSERT_EQUAL(smsr_eisvar_parse(&t, EID_A ":f2=keep-list", NULL, 0), 0);
	CU_ASSERT_EQUAL(smsr_eisvar_get(&t, EID_A, SMSR_EISVAR_SMS_TRANSPORT, -1), SMSR_SMS_KANNEL);
	CU_ASSERT_EQUAL(smsr_eisvar_get(&t, EID_A, SMSR_EISVAR_F2, ES5_F2_DELETE_LIST), ES5_F2_KEEP_LIST);
	/* the full 32-digit prefix matches only its own EID */
	CU_ASSERT_EQUAL(smsr_eisvar_get(&t, EID_B, SMSR_EISVAR_F2, ES5_F2_DELETE_LIST), ES5_F2_DELETE_LIST);
}

void test_eisvar_fallback_to_daemon_value(void)
{
	struct smsr_eisvar t = { 0 };

	/* no table, an empty table, no EID: the daemon-wide value as given */
	CU_ASSERT_EQUAL(smsr_eisvar_get(NULL, EID_A, SMSR_EISVAR_F2, ES5_F2_KEEP_LIST), ES5_F2_KEEP_LIST);
	CU_ASSERT_EQUAL(smsr_eisvar_get(&t, EID_A, SMSR_EISVAR_SMS_TRANSPORT, SMSR_SMS_KANNEL), SMSR_SMS_KANNEL);
	CU_ASSERT_EQUAL(smsr_eisvar_parse(&t, "89049032:f2=keep-list", NULL, 0), 0);
	CU_ASSERT_EQUAL(smsr_eisvar_get(&t, NULL, SMSR_EISVAR_F2, ES5_F2_DELETE_LIST), ES5_F2_DELETE_LIST);
	/* a prefix that does not match, a key no rule sets */
	CU_ASSERT_EQUAL(smsr_eisvar_get(&t, EID_C, SMSR_EISVAR_F2, ES5_F2_DELETE_LIST), ES5_F2_DELETE_LIST);
	CU_ASSERT_EQUAL(smsr_eisvar_get(&t, EID_A, SMSR_EISVAR_HANDOVER_HIDE, SMSR_CHG_HIDE_KEY_VALUES),
			SMSR_CHG_HIDE_KEY_VALUES);
	CU_ASSERT_EQUAL(smsr_eisvar_get(&t, EID_A, SMSR_EISVAR_F2, ES5_F2_DELETE_LIST), ES5_F2_KEEP_LIST);
	/* an EID shorter than the prefix (its beginning matching) is no match */
	CU_ASSERT_EQUAL(smsr_eisvar_get(&t, "890490", SMSR_EISVAR_F2, ES5_F2_DELETE_LIST), ES5_F2_DELETE_LIST);
	CU_ASSERT_FALSE(smsr_eisvar_names(&t, SMSR_EISVAR_SMS_TRANSPORT, SMSR_SMS_KANNEL));
	CU_ASSERT_TRUE(smsr_eisvar_names(&t, SMSR_EISVAR_F2, ES5_F2_KEEP_LIST));
	CU_ASSERT_FALSE(smsr_eisvar_names(NULL, SMSR_EISVAR_F2, ES5_F2_KEEP_LIST));
	/* es5: no rule = the caller's "daemon default" marker (-1), a rule the bearer */
	CU_ASSERT_EQUAL(smsr_eisvar_get(&t, EID_A, SMSR_EISVAR_ES5, -1), -1);
	CU_ASSERT_EQUAL(smsr_eisvar_parse(&t, "*:es5=https", NULL, 0), 0);
	CU_ASSERT_EQUAL(smsr_eisvar_parse(&t, "89049032:es5=sms", NULL, 0), 0);
	CU_ASSERT_EQUAL(smsr_eisvar_get(&t, EID_A, SMSR_EISVAR_ES5, -1), SMSR_ES5_SMS);
	CU_ASSERT_EQUAL(smsr_eisvar_get(&t, EID_C, SMSR_EISVAR_ES5, -1), SMSR_ES5_HTTPS);
	CU_ASSERT_EQUAL(smsr_eisvar_parse(&t, "*:es5=carrier-pigeon", NULL, 0), -EINVAL);
}

void test_eisvar_case_insensitive(void)
{
	struct smsr_eisvar t = { 0 };
	char buf[80];

	CU_ASSERT_EQUAL(smsr_eisvar_parse(&t, "abCD:sms-transport=kannel", NULL, 0), 0);
	CU_ASSERT_STRING_EQUAL(t.rule[0].prefix, "ABCD");
	CU_ASSERT_EQUAL(smsr_eisvar_get(&t, "abcd0000", SMSR_EISVAR_SMS_TRANSPORT, SMSR_SMS_SMPP), SMSR_SMS_KANNEL);
	CU_ASSERT_EQUAL(smsr_eisvar_get(&t, "ABCD0000", SMSR_EISVAR_SMS_TRANSPORT, SMSR_SMS_SMPP), SMSR_SMS_KANNEL);
	/* the same rule in the other case replaces it, never a second one */
	CU_ASSERT_EQUAL(smsr_eisvar_set(&t, "ABcd", "sms-transport", "smpp", NULL, 0), 0);
	CU_ASSERT_EQUAL(t.n, 1);
	CU_ASSERT_EQUAL(smsr_eisvar_get(&t, "abcd0000", SMSR_EISVAR_SMS_TRANSPORT, SMSR_SMS_KANNEL), SMSR_SMS_SMPP);
	CU_ASSERT_EQUAL(smsr_eisvar_rule_to_str_buf(buf, sizeof(buf), &t, 0), 0);
	CU_ASSERT_STRING_EQUAL(buf, "ABCD sms-transport smpp");
}

void test_eisvar_delete_and_write(void)
{
	struct smsr_eisvar t = { 0 };
	char buf[80];

	CU_ASSERT_EQUAL(smsr_eisvar_parse(&t, "*:f2=keep-list", NULL, 0), 0);
	CU_ASSERT_EQUAL(smsr_eisvar_parse(&t, "8904:handover-hide=KEYSETS", NULL, 0), 0);
	CU_ASSERT_EQUAL(smsr_eisvar_parse(&t, "8904:f2=delete-list", NULL, 0), 0);
	CU_ASSERT_EQUAL(smsr_eisvar_rule_to_str_buf(buf, sizeof(buf), &t, 0), 0);
	CU_ASSERT_STRING_EQUAL(buf, "* f2 keep-list");
	CU_ASSERT_EQUAL(smsr_eisvar_rule_to_str_buf(buf, sizeof(buf), &t, 1), 0);
	CU_ASSERT_STRING_EQUAL(buf, "8904 handover-hide KEYSETS");
	CU_ASSERT_EQUAL(smsr_eisvar_rule_to_str_buf(buf, sizeof(buf), &t, 3), -EINVAL);
	CU_ASSERT_EQUAL(smsr_eisvar_rule_to_str_buf(buf, 8, &t, 0), -EMSGSIZE);
	/* deleting one (prefix, key) leaves the other key of the same prefix */
	CU_ASSERT_EQUAL(smsr_eisvar_del(&t, "8904", "handover-hide"), 0);
	CU_ASSERT_EQUAL(t.n, 2);
	CU_ASSERT_EQUAL(smsr_eisvar_get(&t, EID_A, SMSR_EISVAR_F2, -1), ES5_F2_DELETE_LIST);
	CU_ASSERT_EQUAL(smsr_eisvar_get(&t, EID_A, SMSR_EISVAR_HANDOVER_HIDE, -1), -1);
	CU_ASSERT_EQUAL(smsr_eisvar_del(&t, "8904", "handover-hide"), -ENOENT);
	CU_ASSERT_EQUAL(smsr_eisvar_del(&t, "89x", "f2"), -EINVAL);
	CU_ASSERT_EQUAL(smsr_eisvar_del(&t, "8904", "spi"), -EINVAL);
	CU_ASSERT_EQUAL(smsr_eisvar_del(&t, "*", "f2"), 0);
	CU_ASSERT_EQUAL(smsr_eisvar_get(&t, EID_C, SMSR_EISVAR_F2, -1), -1);
	CU_ASSERT_EQUAL(t.n, 1);
}

/* One refused rule: -EINVAL (or want), the table byte-identical, the message containing what. */
static void refused(const char *arg, int want, const char *what)
{
	struct smsr_eisvar t = { 0 }, before;
	char err[160] = "";

	CU_ASSERT_EQUAL(smsr_eisvar_parse(&t, "89:f2=keep-list", NULL, 0), 0);
	before = t;
	CU_ASSERT_EQUAL(smsr_eisvar_parse(&t, arg, err, sizeof(err)), want);
	CU_ASSERT_EQUAL(memcmp(&t, &before, sizeof(t)), 0);
	if (!strstr(err, what))
		fprintf(stderr, "'%s': message '%s' lacks '%s'\n", arg, err, what);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, what));
}

void test_eisvar_refusals(void)
{
	char p33[64];

	/* the form */
	refused("89049032", -EINVAL, "not PREFIX:KEY=NAME");
	refused("89049032:f2", -EINVAL, "not PREFIX:KEY=NAME");
	refused("89:f2=keep-list-and-then-some-more-text", -EINVAL, "not PREFIX:KEY=NAME");
	refused("", -EINVAL, "not PREFIX:KEY=NAME");
	/* the prefix */
	refused(":f2=keep-list", -EINVAL, "prefix ''");
	refused("89G4:f2=keep-list", -EINVAL, "prefix '89G4'");
	refused("**:f2=keep-list", -EINVAL, "prefix '**'");
	refused("89*:f2=keep-list", -EINVAL, "prefix '89*'");
	refused(" 89:f2=keep-list", -EINVAL, "not 1..32 hex digits");
	memset(p33, '8', 33);
	strcpy(p33 + 33, ":f2=keep-list");
	refused(p33, -EINVAL, "is not 1..32 hex digits"); /* 33 digits */
	p33[32] = '\0';
	strcat(p33, ":f2=keep-list");
	{
		struct smsr_eisvar t = { 0 };

		CU_ASSERT_EQUAL(smsr_eisvar_parse(&t, p33, NULL, 0), 0); /* 32 digits: the longest prefix */
	}
	/* the key and the name */
	refused("89:spi=SPI_1639", -EINVAL, "'spi' is not sms-transport, f2 or handover-hide");
	refused("89:=keep-list", -EINVAL, "'' is not sms-transport");
	refused("89:sms-transport=https", -EINVAL, "unknown 'https' (one of smpp, kannel)");
	refused("89:f2=delete", -EINVAL, "unknown 'delete' (one of delete-list, keep-list)");
	refused("89:handover-hide=", -EINVAL, "unknown '' (one of KEY_VALUES, KEYSETS)");
	/* the NULL arguments of the set form */
	{
		struct smsr_eisvar t = { 0 };
		char err[160];

		CU_ASSERT_EQUAL(smsr_eisvar_set(&t, NULL, "f2", "keep-list", err, sizeof(err)), -EINVAL);
		CU_ASSERT_EQUAL(smsr_eisvar_set(&t, "89", NULL, "keep-list", err, sizeof(err)), -EINVAL);
		CU_ASSERT_EQUAL(smsr_eisvar_set(&t, "89", "f2", NULL, err, sizeof(err)), -EINVAL);
		CU_ASSERT_EQUAL(smsr_eisvar_parse(&t, NULL, err, sizeof(err)), -EINVAL);
		CU_ASSERT_EQUAL(t.n, 0);
	}
}

void test_eisvar_table_full(void)
{
	struct smsr_eisvar t = { 0 }, before;
	char p[16], err[160] = "";

	for (unsigned int i = 0; i < SMSR_EISVAR_MAX; i++) {
		snprintf(p, sizeof(p), "%X", 0x100 + i);
		CU_ASSERT_EQUAL(smsr_eisvar_set(&t, p, "f2", "keep-list", NULL, 0), 0);
	}
	CU_ASSERT_EQUAL(t.n, SMSR_EISVAR_MAX);
	before = t;
	CU_ASSERT_EQUAL(smsr_eisvar_set(&t, "89", "f2", "keep-list", err, sizeof(err)), -ENOSPC);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "at most 32 rules"));
	CU_ASSERT_EQUAL(memcmp(&t, &before, sizeof(t)), 0);
	/* an existing rule can still be changed */
	CU_ASSERT_EQUAL(smsr_eisvar_set(&t, "100", "f2", "delete-list", NULL, 0), 0);
	CU_ASSERT_EQUAL(smsr_eisvar_get(&t, "1000", SMSR_EISVAR_F2, -1), ES5_F2_DELETE_LIST);
	CU_ASSERT_EQUAL(smsr_eisvar_get(&t, "1010", SMSR_EISVAR_F2, -1), ES5_F2_KEEP_LIST);
}
