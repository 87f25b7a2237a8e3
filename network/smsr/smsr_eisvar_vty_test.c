/* The `eis-variant PREFIX KEY NAME` lines of the rsplab-smsr configuration (smsr_vty.h, smsr_eisvar.h): read,
 * written in the same text (after the daemon-wide f2 / handover-hide they refine), read back to the same
 * settings; the same (prefix, key) again replaces its value; `no eis-variant`; every refused line names the
 * problem and leaves the configuration unchanged (the file applies all or nothing). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <osmocom/core/application.h>
#include <osmocom/core/talloc.h>
#include <osmocom/vty/command.h>
#include <osmocom/vty/vty.h>

#include "lib/es5/es5.h"
#include "lib/test/runner.h"
#include "network/smsr/smsr_change.h"
#include "network/smsr/smsr_eisvar.h"
#include "network/smsr/smsr_log.h"
#include "network/smsr/smsr_vty.h"
#include "network/smsr/smsr_vty_testutil.h"

int suite_setup(void)
{
	return vt_setup("smsr_eisvar_vty_test");
}

int suite_teardown(void)
{
	return vt_teardown();
}

static const char text[] = "smsr\n"
			   " sms-transport smpp\n"
			   " f2 delete-list\n"
			   " handover-hide KEY_VALUES\n"
			   " eis-variant 89049032 sms-transport kannel\n"
			   " eis-variant * f2 keep-list\n"
			   " eis-variant 89001012012341234012345678901224 handover-hide KEYSETS\n"
			   " eis-variant 8904 f2 delete-list\n";

void test_eisvar_vty_round_trip(void)
{
	struct smsr_vty_cfg a, b;
	char err[256] = "";
	char *t1, *t2;

	smsr_vty_cfg_init(&a);
	CU_ASSERT_EQUAL_FATAL(vt_read_text(&a, text, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(a.kannel, 0);
	CU_ASSERT_EQUAL(a.eisvar.n, 4);
	CU_ASSERT_EQUAL(smsr_eisvar_get(&a.eisvar, "89049032123451234512345678901235", SMSR_EISVAR_SMS_TRANSPORT,
					a.kannel),
			SMSR_SMS_KANNEL);
	CU_ASSERT_EQUAL(smsr_eisvar_get(&a.eisvar, "89049032123451234512345678901235", SMSR_EISVAR_F2, a.f2),
			ES5_F2_DELETE_LIST);
	CU_ASSERT_EQUAL(smsr_eisvar_get(&a.eisvar, "89001012012341234012345678901224", SMSR_EISVAR_F2, a.f2),
			ES5_F2_KEEP_LIST);
	CU_ASSERT_EQUAL(smsr_eisvar_get(&a.eisvar, "89001012012341234012345678901224", SMSR_EISVAR_HANDOVER_HIDE,
					a.hide),
			SMSR_CHG_HIDE_KEYSETS);
	CU_ASSERT_EQUAL(smsr_eisvar_get(&a.eisvar, "89001012012341234012345678901224", SMSR_EISVAR_SMS_TRANSPORT,
					a.kannel),
			SMSR_SMS_SMPP); /* no rule: the daemon-wide value */

	t1 = vt_written(&a);
	CU_ASSERT_STRING_EQUAL(t1, text);
	smsr_vty_cfg_init(&b);
	CU_ASSERT_EQUAL_FATAL(vt_read_text(&b, t1, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(memcmp(&a, &b, sizeof(a)), 0);
	t2 = vt_written(&b);
	CU_ASSERT_STRING_EQUAL(t1, t2);
	free(t1);
	free(t2);
}

void test_eisvar_vty_replace_and_no(void)
{
	struct smsr_vty_cfg a;
	char err[256] = "", *t;

	smsr_vty_cfg_init(&a);
	CU_ASSERT_EQUAL(vt_read_text(&a,
				     "smsr\n eis-variant abcd sms-transport kannel\n eis-variant ABCD sms-transport "
				     "smpp\n"
				     " eis-variant 89 f2 keep-list\n",
				     err, sizeof(err)),
			0);
	CU_ASSERT_EQUAL(a.eisvar.n, 2);
	t = vt_written(&a);
	CU_ASSERT_STRING_EQUAL(t, "smsr\n eis-variant ABCD sms-transport smpp\n eis-variant 89 f2 keep-list\n");
	free(t);
	CU_ASSERT_EQUAL(vt_read_text(&a, "smsr\n no eis-variant abcd sms-transport\n no eis-variant 77 f2\n", err,
				     sizeof(err)),
			0);
	CU_ASSERT_EQUAL(a.eisvar.n, 1);
	CU_ASSERT_EQUAL(a.eisvar.rule[0].key, SMSR_EISVAR_F2);
	CU_ASSERT_EQUAL(vt_read_text(&a, "smsr\n no eis-variant 89 f2\n", err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(a.eisvar.n, 0);
	t = vt_written(&a);
	CU_ASSERT_STRING_EQUAL(t, "smsr\n");
	free(t);
}

void test_eisvar_vty_refused(void)
{
	static const struct {
		const char *line, *expect;
	} bad[] = {
		{ " eis-variant 89G sms-transport kannel", "prefix '89G' is not 1..32 hex digits of an EID or *" },
		{ " eis-variant 890490321234512345123456789012350 f2 keep-list", "is not 1..32 hex digits" },
		{ " eis-variant ** f2 keep-list", "prefix '**'" },
		{ " eis-variant 89 sms-transport https", "eis-variant sms-transport: unknown 'https' (one of smpp, "
							 "kannel)" },
		{ " eis-variant 89 f2 delete", "eis-variant f2: unknown 'delete' (one of delete-list, keep-list)" },
		{ " eis-variant 89 handover-hide ALL", "unknown 'ALL' (one of KEY_VALUES, KEYSETS)" },
		{ " eis-variant 89 spi SPI_1639", "" }, /* not a keyword of the command */
		{ " eis-variant 89 f2", "incomplete" },
		{ " no eis-variant 8x f2", "prefix '8x'" },
	};
	struct smsr_vty_cfg a, before;
	char err[256], file[256];

	smsr_vty_cfg_init(&a);
	CU_ASSERT_EQUAL_FATAL(vt_read_text(&a, "smsr\n eis-variant 89 f2 keep-list\n", err, sizeof(err)), 0);
	before = a;
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		err[0] = '\0';
		snprintf(file, sizeof(file), "smsr\n eis-variant 8904 sms-transport kannel\n%s\n", bad[i].line);
		CU_ASSERT_EQUAL(vt_read_text(&a, file, err, sizeof(err)), -EINVAL);
		if (!strstr(err, bad[i].expect) || !strstr(err, bad[i].line + 1))
			fprintf(stderr, "'%s': message '%s'\n", bad[i].line, err);
		CU_ASSERT_PTR_NOT_NULL(strstr(err, bad[i].expect));
		CU_ASSERT_PTR_NOT_NULL(strstr(err, bad[i].line + 1)); /* the line is named */
		CU_ASSERT_EQUAL(memcmp(&a, &before, sizeof(a)), 0);
	}
}

void test_eisvar_vty_table_full(void)
{
	struct smsr_vty_cfg a;
	char err[256] = "", *file, line[64];
	size_t len = 0;
	FILE *f = open_memstream(&file, &len);

	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fputs("smsr\n", f);
	for (unsigned int i = 0; i <= SMSR_EISVAR_MAX; i++) {
		snprintf(line, sizeof(line), " eis-variant %X f2 keep-list\n", 0x100 + i);
		fputs(line, f);
	}
	fclose(f);
	smsr_vty_cfg_init(&a);
	CU_ASSERT_EQUAL(vt_read_text(&a, file, err, sizeof(err)), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "at most 32 rules"));
	CU_ASSERT_EQUAL(a.eisvar.n, 0);
	free(file);
}
