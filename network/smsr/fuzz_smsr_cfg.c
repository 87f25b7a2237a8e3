/* Fuzz target: the rsplab-smsr configuration file parser (smsr_vty_read_configp()) on arbitrary text.
 * A refused file must leave the configuration and the live timer tables as they were; an accepted one
 * must write and read back to the same settings and, into reset tables, the same timer values. Seeds:
 * corpus/fuzz_smsr_cfg/ (a full file, lists, timers, refused lines). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <osmocom/core/application.h>
#include <osmocom/core/talloc.h>
#include <osmocom/core/tdef.h>
#include <osmocom/vty/vty.h>

#include "network/smsr/smsr_log.h"
#include "network/smsr/smsr_vty.h"

static struct smsr_vty_cfg cfg;
static struct vty_app_info info = { .name = "fuzz_smsr_cfg", .version = "0" };

/* Every value of every timer group, in order; returns how many. */
static size_t timers_get(unsigned long *v, size_t cap)
{
	size_t n = 0;

	for (struct osmo_tdef_group *g = smsr_vty_tdef_groups; g->name; g++) {
		struct osmo_tdef *t;

		osmo_tdef_for_each(t, g->tdefs)
		{
			if (n == cap)
				abort();
			v[n++] = t->val;
		}
	}
	return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static void *ctx;
	struct smsr_vty_cfg before, again;
	unsigned long t0[64], t1[64];
	size_t nt;
	char err[256], *text = NULL;
	size_t text_len = 0;
	FILE *f, *w;
	int rc;

	if (!ctx) {
		ctx = talloc_named_const(NULL, 0, "fuzz_smsr_cfg");
		osmo_init_logging2(ctx, &smsr_log_info);
		log_set_log_level(osmo_stderr_target, LOGL_FATAL);
		info.tall_ctx = ctx;
		vty_init(&info);
		smsr_vty_cfg_init(&cfg);
		smsr_vty_init(&cfg);
	}
	if (size == 0 || size > 8192)
		return 0;
	smsr_vty_cfg_init(&cfg);
	smsr_vty_timers_reset();
	before = cfg;
	nt = timers_get(t0, 64);
	f = fmemopen((void *)data, size, "r");
	if (!f)
		return 0;
	rc = smsr_vty_read_configp(&cfg, f, err, sizeof(err));
	fclose(f);
	if (rc < 0) {
		if (memcmp(&cfg, &before, sizeof(cfg)))
			abort(); /* a refused file changed the configuration */
		if (timers_get(t1, 64) != nt || memcmp(t0, t1, nt * sizeof(t0[0])))
			abort(); /* a refused file changed a timer */
		return 0;
	}
	timers_get(t0, 64);
	w = open_memstream(&text, &text_len);
	if (!w)
		return 0;
	smsr_vty_cfg_write(&cfg, w);
	fclose(w);
	smsr_vty_cfg_init(&again);
	smsr_vty_timers_reset();
	f = fmemopen(text, text_len, "r");
	if (f) {
		if (smsr_vty_read_configp(&again, f, err, sizeof(err)) < 0)
			abort(); /* what we write, we read */
		fclose(f);
		timers_get(t1, 64);
		if (memcmp(t0, t1, nt * sizeof(t0[0])))
			abort(); /* the written timer lines give the same values */
	}
	free(text);
	return 0;
}
