/* network/smsr test support for the VTY tests (smsr_vty_test, smsr_eisvar_vty_test, smsr_vty_timer_test):
 * one VTY set up per test binary over a struct smsr_vty_cfg, a configuration read from text and the
 * configuration written back as text. TEST CODE ONLY: static inline, so each test takes what it uses
 * (the sims/euicc/test_dev.h pattern); never included by the daemon. Inputs are the tests' own. */
#pragma once

#include <stdio.h>
#include <string.h>

#include <osmocom/core/application.h>
#include <osmocom/core/talloc.h>
#include <osmocom/vty/vty.h>

#include "lib/test/runner.h"
#include "network/smsr/smsr_log.h"
#include "network/smsr/smsr_vty.h"

static void *vt_ctx;
static struct smsr_vty_cfg vt_cfg;
static struct vty_app_info vt_info = { .version = "0" };

/* suite_setup(): logging (fatal only), vty_init, the smsr node over vt_cfg. */
static inline int vt_setup(const char *name)
{
	vt_ctx = talloc_named_const(NULL, 0, name);
	test_osmo_log_init(vt_ctx, &smsr_log_info, LOGL_FATAL);
	vt_info.name = name;
	vt_info.tall_ctx = vt_ctx;
	vty_init(&vt_info);
	smsr_vty_cfg_init(&vt_cfg);
	smsr_vty_init(&vt_cfg);
	return 0;
}

static inline int vt_teardown(void)
{
	log_fini();
	talloc_free(vt_ctx);
	return 0;
}

/* Read a configuration file given as text (smsr_vty_read_configp, all or nothing). */
static inline int vt_read_text(struct smsr_vty_cfg *c, const char *text, char *err, size_t errlen)
{
	FILE *f = fmemopen((void *)text, strlen(text), "r");
	int rc;

	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	rc = smsr_vty_read_configp(c, f, err, errlen);
	fclose(f);
	return rc;
}

/* What `write` would save for c (malloc'd, free() it). */
static inline char *vt_written(const struct smsr_vty_cfg *c)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	smsr_vty_cfg_write(c, f);
	fclose(f);
	return buf;
}
