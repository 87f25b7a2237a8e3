/* The SM-SR's osmo_tdef timers over its VTY (smsr_vty.h): `show timer` lists every group with the live
 * values; `timer GROUP TNNNN VALUE` typed in the smsr node changes the global table at once (read back
 * with osmo_tdef_get, as the procedures read it); a configuration file's timer lines are applied and
 * written back (`show config` / smsr_vty_cfg_write) and read again to the same values; a bad timer line
 * (unknown group or timer, value out of range or not a number, a short line) is refused with a message
 * naming the line and the problem, and the file changes nothing: neither the settings nor any table. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <osmocom/core/application.h>
#include <osmocom/core/talloc.h>
#include <osmocom/core/tdef.h>
#include <osmocom/vty/buffer.h>
#include <osmocom/vty/command.h>
#include <osmocom/vty/vty.h>

#include "lib/test/runner.h"
#include "network/smsr/smsr.h"
#include "network/smsr/smsr_change.h"
#include "network/smsr/smsr_es3.h"
#include "network/smsr/smsr_log.h"
#include "network/smsr/smsr_ota.h"
#include "network/smsr/smsr_scp81.h"
#include "network/smsr/smsr_smpp.h"
#include "network/smsr/smsr_vty.h"
#include "network/smsr/smsr_vty_testutil.h"

int suite_setup(void)
{
	return vt_setup("smsr_vty_timer_test");
}

int suite_teardown(void)
{
	return vt_teardown();
}

static unsigned long get_s(const struct osmo_tdef *tdefs, int T)
{
	return osmo_tdef_get(tdefs, T, OSMO_TDEF_S, -1);
}

/* Run commands on one telnet-like VTY, starting in the enable node: each must give rc; returns the output
 * of the last one (talloc, free with talloc_free). */
static char *vty_run(int rc, const char *const *cmds, size_t n)
{
	struct vty *vty = vty_new();
	char *out;

	CU_ASSERT_PTR_NOT_NULL_FATAL(vty);
	vty->type = VTY_TERM;
	vty->node = ENABLE_NODE;
	vty->fd = -1;
	for (size_t i = 0; i < n; i++) {
		vector v = cmd_make_strvec(cmds[i]);
		int got;

		CU_ASSERT_PTR_NOT_NULL_FATAL(v);
		buffer_reset(vty->obuf);
		got = cmd_execute_command(v, vty, NULL, 0);
		if (got != (i + 1 == n ? rc : CMD_SUCCESS))
			printf("\n  '%s': rc %d\n", cmds[i], got);
		CU_ASSERT_EQUAL(got, i + 1 == n ? rc : CMD_SUCCESS);
		cmd_free_strvec(v);
	}
	out = buffer_getstr(vty->obuf);
	CU_ASSERT_PTR_NOT_NULL_FATAL(out);
	out = talloc_strdup(vt_ctx, out);
	buffer_reset(vty->obuf);
	vty_close(vty);
	return out;
}

/* Every value of every group, in order. */
static size_t timers_get(unsigned long *v, size_t cap)
{
	size_t n = 0;

	for (struct osmo_tdef_group *g = smsr_vty_tdef_groups; g->name; g++) {
		struct osmo_tdef *t;

		osmo_tdef_for_each(t, g->tdefs)
		{
			CU_ASSERT_FATAL(n < cap);
			v[n++] = t->val;
		}
	}
	return n;
}

/* `show timer`: each of the six groups with its timers at their live (default) values. */
void test_smsr_vty_timer_show(void)
{
	static const char *const show[] = { "show timer" }, *const show_ota[] = { "show timer ota" };
	static const char *const lines[] = {
		"proc: X20 = 120 s",   "proc: X21 = 600 s",   "ota: X30 = 60 s",    "ota: X31 = 60 s",
		"smpp: X40 = 30 s",    "smpp: X41 = 10 s",    "smpp: X42 = 1 s",    "es3: X22 = 300 s",
		"change: X70 = 300 s", "change: X71 = 120 s", "change: X72 = 30 s", "scp81: X50 = 60 s",
		"scp81: X51 = 60 s",   "scp81: X52 = 60 s",
	};
	char *out;

	smsr_vty_timers_reset();
	out = vty_run(CMD_SUCCESS, show, 1);
	for (size_t i = 0; i < ARRAY_SIZE(lines); i++) {
		if (!strstr(out, lines[i]))
			printf("\n  show timer lacks '%s':\n%s", lines[i], out);
		CU_ASSERT_PTR_NOT_NULL(strstr(out, lines[i]));
	}
	/* the meaning and the range are shown too */
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "ES5 SMS: wait for the PoR of a packet (default: 60 s"));
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "86400"));
	talloc_free(out);

	/* one group only */
	out = vty_run(CMD_SUCCESS, show_ota, 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "ota: X30 = 60 s"));
	CU_ASSERT_PTR_NULL(strstr(out, "proc:"));
	CU_ASSERT_PTR_NULL(strstr(out, "change:"));
	talloc_free(out);
}

/* `timer GROUP TNNNN VALUE` over telnet: the global table changes at once; `default` puts it back; the
 * running config shows it; a value out of the table's range is refused and changes nothing. */
void test_smsr_vty_timer_set_telnet(void)
{
	static const char *const set[] = { "configure terminal", "smsr", "timer ota X30 7", "timer change X70 45",
					   "timer proc 21 9" /* a bare number is a T (3GPP) timer: none */ };
	static const char *const set_ok[] = { "configure terminal", "smsr", "timer ota X30 7", "timer change X70 45" };
	static const char *const show_cfg[] = { "show config" }, *const show_x30[] = { "show timer ota X30" };
	static const char *const dflt[] = { "configure terminal", "smsr", "timer change X70 default" };
	static const char *const zero[] = { "configure terminal", "smsr", "timer scp81 X50 0" };
	static const char *const big[] = { "configure terminal", "smsr", "timer smpp X41 86401" };
	char *out;

	smsr_vty_timers_reset();
	CU_ASSERT_EQUAL(get_s(smsr_ota_tdefs, SMSR_T_POR), 60);

	out = vty_run(CMD_WARNING, set, ARRAY_SIZE(set));
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "No such timer: T21"));
	talloc_free(out);
	talloc_free(vty_run(CMD_SUCCESS, set_ok, ARRAY_SIZE(set_ok)));
	CU_ASSERT_EQUAL(get_s(smsr_ota_tdefs, SMSR_T_POR), 7);
	CU_ASSERT_EQUAL(get_s(smsr_change_tdefs, SMSR_CHG_T_ES7), 45);
	CU_ASSERT_EQUAL(get_s(smsr_tdefs, SMSR_T_NOTIFICATION), 600);

	out = vty_run(CMD_SUCCESS, show_cfg, 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(out, " timer ota X30 7\r\n timer change X70 45\r\n"));
	CU_ASSERT_PTR_NULL(strstr(out, "X31"));
	talloc_free(out);
	out = vty_run(CMD_SUCCESS, show_x30, 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "ota: X30 = 7 s"));
	talloc_free(out);

	talloc_free(vty_run(CMD_SUCCESS, dflt, ARRAY_SIZE(dflt)));
	CU_ASSERT_EQUAL(get_s(smsr_change_tdefs, SMSR_CHG_T_ES7), 300);

	out = vty_run(CMD_WARNING, zero, ARRAY_SIZE(zero));
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "out of range"));
	CU_ASSERT_EQUAL(get_s(smsr_scp81_tdefs, SMSR_T_SCP81_PUSH), 60);
	talloc_free(out);
	out = vty_run(CMD_WARNING, big, ARRAY_SIZE(big));
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "out of range"));
	CU_ASSERT_EQUAL(get_s(smsr_smpp_tdefs, SMSR_T_SMPP_RESPONSE), 10);
	talloc_free(out);
	smsr_vty_timers_reset();
}

/* A file's timer lines (with the other settings) are applied to the live tables, written back as the same
 * lines, and that text read again into reset tables gives the same values. */
void test_smsr_vty_timer_file(void)
{
	static const char text[] = "smsr\n"
				   " smsr-id 1.3.6.1.4.1.99999.2\n"
				   " por-timeout 30\n"
				   " timer proc X21 900\n"
				   " timer ota x30 5\n"
				   " timer smpp X40 default\n"
				   " timer es3 X22 45\n"
				   " timer change X71 8\n"
				   " timer scp81 X52 86400\n";
	static const char expect[] = " timer proc X21 900\n"
				     " timer ota X30 5\n"
				     " timer es3 X22 45\n"
				     " timer change X71 8\n"
				     " timer scp81 X52 86400\n";
	unsigned long v1[64], v2[64];
	struct smsr_vty_cfg a, b;
	char err[256] = "";
	char *t;
	size_t n;

	smsr_vty_timers_reset();
	smsr_vty_cfg_init(&a);
	CU_ASSERT_EQUAL_FATAL(vt_read_text(&a, text, err, sizeof(err)), 0);
	CU_ASSERT_STRING_EQUAL(a.smsr_id, "1.3.6.1.4.1.99999.2");
	CU_ASSERT_EQUAL(a.por_timeout, 30); /* a setting: main.c applies it after the file (it wins) */
	CU_ASSERT_EQUAL(get_s(smsr_tdefs, SMSR_T_NOTIFICATION), 900);
	CU_ASSERT_EQUAL(get_s(smsr_tdefs, SMSR_T_ES5_RESULT), 120);
	CU_ASSERT_EQUAL(get_s(smsr_ota_tdefs, SMSR_T_POR), 5);
	CU_ASSERT_EQUAL(get_s(smsr_smpp_tdefs, SMSR_T_SMPP_ENQUIRE), 30);
	CU_ASSERT_EQUAL(get_s(smsr_es3_tdefs, SMSR_T_RELAY), 45);
	CU_ASSERT_EQUAL(get_s(smsr_change_tdefs, SMSR_CHG_T_ES5), 8);
	CU_ASSERT_EQUAL(get_s(smsr_scp81_tdefs, SMSR_T_SCP81_HOLD), 86400);

	/* written back: the timers not at their default, after the settings of the node */
	t = vt_written(&a);
	if (!strstr(t, expect))
		printf("\n  written:\n%s", t);
	CU_ASSERT_PTR_NOT_NULL(strstr(t, expect));
	CU_ASSERT_PTR_NULL(strstr(t, "X40"));
	n = timers_get(v1, ARRAY_SIZE(v1));

	/* read again into reset tables: the same values */
	smsr_vty_timers_reset();
	CU_ASSERT_EQUAL(get_s(smsr_ota_tdefs, SMSR_T_POR), 60);
	smsr_vty_cfg_init(&b);
	CU_ASSERT_EQUAL_FATAL(vt_read_text(&b, t, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(timers_get(v2, ARRAY_SIZE(v2)), n);
	CU_ASSERT_EQUAL(memcmp(v1, v2, n * sizeof(v1[0])), 0);
	CU_ASSERT_EQUAL(memcmp(&a, &b, sizeof(a)), 0);
	free(t);
	smsr_vty_timers_reset();
}

/* Every kind of bad timer line, each after good settings and a good timer line of the same file: refused
 * with the line and the problem, and nothing applied (settings and tables). A good timer line followed by
 * a refused other line is not applied either. */
void test_smsr_vty_timer_file_refused(void)
{
	static const struct {
		const char *line, *expect;
	} bad[] = {
		{ " timer tea X30 5", "timer: unknown group 'tea' (one of proc, ota, smpp, es3, change, scp81)" },
		{ " timer ch X70 5", "timer: unknown group 'ch'" }, /* no abbreviations in a file */
		{ " timer ota X99 5", "timer ota: no timer 'X99' (its timers: X30, X31)" },
		{ " timer ota T30 5", "timer ota: no timer 'T30'" },
		{ " timer ota 30 5", "timer ota: no timer '30'" },
		{ " timer ota X 5", "timer ota: no timer 'X'" },
		{ " timer ota X3a 5", "timer ota: no timer 'X3a'" },
		{ " timer change X70 0", "timer change X70: 0 is out of range 1..86400 s" },
		{ " timer change X70 86401", "timer change X70: 86401 is out of range 1..86400 s" },
		{ " timer change X70 2147483648", "is out of range 1..86400 s" },
		{ " timer change X70 99999999999999999999", "is out of range 1..86400 s" },
		{ " timer change X70 -5", "timer change X70: '-5' is not a number of s or default" },
		{ " timer change X70 5s", "timer change X70: '5s' is not a number of s or default" },
		{ " timer change X70", "timer: GROUP TNNNN VALUE expected" }, /* would be `show timer` */
		{ " timer change", "timer: GROUP TNNNN VALUE expected" },
		{ " timer", "timer: GROUP TNNNN VALUE expected" },
		{ " timer change X70 5 6", "timer: GROUP TNNNN VALUE expected" },
		{ " tim scp81 X50 0", "timer scp81 X50: 0 is out of range" }, /* an abbreviated command word */
		{ " es-port 65536", "out of range" }, /* another line refused: the good timer line is not kept */
	};
	unsigned long before_t[64], after_t[64];
	struct smsr_vty_cfg a, before;
	char text[512], err[256];
	size_t n;

	smsr_vty_timers_reset();
	smsr_vty_cfg_init(&a);
	CU_ASSERT_EQUAL_FATAL(vt_read_text(&a, "smsr\n smsr-id 1.2.3\n timer ota X31 20\n", err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(get_s(smsr_ota_tdefs, SMSR_T_MO_REASSEMBLY), 20);
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		before = a;
		n = timers_get(before_t, ARRAY_SIZE(before_t));
		err[0] = '\0';
		snprintf(text, sizeof(text),
			 "smsr\n smsr-id 9.9.9\n timer ota X30 11\n timer proc X20 12\n%s\n timer es3 X22 13\n",
			 bad[i].line);
		CU_ASSERT_EQUAL(vt_read_text(&a, text, err, sizeof(err)), -EINVAL);
		CU_ASSERT_EQUAL(memcmp(&a, &before, sizeof(a)), 0);
		CU_ASSERT_EQUAL(timers_get(after_t, ARRAY_SIZE(after_t)), n);
		CU_ASSERT_EQUAL(memcmp(before_t, after_t, n * sizeof(before_t[0])), 0);
		CU_ASSERT_PTR_NOT_NULL(strstr(err, bad[i].line + 1)); /* names the line */
		if (!strstr(err, bad[i].expect))
			printf("\n  line '%s': error '%s' lacks '%s'\n", bad[i].line, err, bad[i].expect);
		CU_ASSERT_PTR_NOT_NULL(strstr(err, bad[i].expect));
	}
	CU_ASSERT_EQUAL(get_s(smsr_ota_tdefs, SMSR_T_POR), 60);
	CU_ASSERT_EQUAL(get_s(smsr_ota_tdefs, SMSR_T_MO_REASSEMBLY), 20);
	CU_ASSERT_EQUAL(get_s(smsr_tdefs, SMSR_T_ES5_RESULT), 120);
	CU_ASSERT_STRING_EQUAL(a.smsr_id, "1.2.3");

	/* a timer line outside the smsr node is no command there: refused, nothing applied */
	n = timers_get(before_t, ARRAY_SIZE(before_t));
	CU_ASSERT_EQUAL(vt_read_text(&a, "timer ota X30 11\n", err, sizeof(err)), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "'timer ota X30 11': no such command"));
	timers_get(after_t, ARRAY_SIZE(after_t));
	CU_ASSERT_EQUAL(memcmp(before_t, after_t, n * sizeof(before_t[0])), 0);
	smsr_vty_timers_reset();
}

/* A NUL byte anywhere (libosmovty 1.7's file reader could loop forever on such a line, found by
 * fuzz_smsr_cfg; corpus/fuzz_smsr_cfg/hang_nul.cfg): the file is refused with the line number, nothing
 * applied, even the timer line before it. */
void test_smsr_vty_timer_nul_refused(void)
{
	static const char text[] = "smsr\n timer ota X30 5\n f2 keep-list\0\0\n eis-sig none\n";
	unsigned long before_t[64], after_t[64];
	struct smsr_vty_cfg a, before;
	char err[256] = "";
	FILE *f;
	size_t n;

	smsr_vty_timers_reset();
	smsr_vty_cfg_init(&a);
	before = a;
	n = timers_get(before_t, ARRAY_SIZE(before_t));
	f = fmemopen((void *)text, sizeof(text) - 1, "r");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	CU_ASSERT_EQUAL(smsr_vty_read_configp(&a, f, err, sizeof(err)), -EINVAL);
	fclose(f);
	CU_ASSERT_STRING_EQUAL(err, "line 3: a NUL byte (not a text file)");
	CU_ASSERT_EQUAL(memcmp(&a, &before, sizeof(a)), 0);
	timers_get(after_t, ARRAY_SIZE(after_t));
	CU_ASSERT_EQUAL(memcmp(before_t, after_t, n * sizeof(before_t[0])), 0);
}

/* A file whose first command is indented (libosmovty 1.7 then loops forever on a later line indented less,
 * found by fuzz_smsr_cfg; corpus/fuzz_smsr_cfg/hang_indent.cfg): refused, nothing applied. Comments and
 * blank lines before an unindented first command are fine. */
void test_smsr_vty_timer_indented_first_refused(void)
{
	unsigned long before_t[64], after_t[64];
	struct smsr_vty_cfg a, before;
	char err[256] = "";
	size_t n;

	smsr_vty_timers_reset();
	smsr_vty_cfg_init(&a);
	before = a;
	n = timers_get(before_t, ARRAY_SIZE(before_t));
	CU_ASSERT_EQUAL(vt_read_text(&a, "! c\n  smsr\n smsr-id 1\n timer ota X30 5\n", err, sizeof(err)), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err, "'  smsr': the first command is indented");
	CU_ASSERT_EQUAL(vt_read_text(&a, "\r smsr\nsmsr\n", err, sizeof(err)), -EINVAL);
	CU_ASSERT_EQUAL(memcmp(&a, &before, sizeof(a)), 0);
	timers_get(after_t, ARRAY_SIZE(after_t));
	CU_ASSERT_EQUAL(memcmp(before_t, after_t, n * sizeof(before_t[0])), 0);
	CU_ASSERT_EQUAL(vt_read_text(&a, "\n  ! c\n\t\nsmsr\n timer ota X30 5\n", err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(get_s(smsr_ota_tdefs, SMSR_T_POR), 5);
	smsr_vty_timers_reset();
}
