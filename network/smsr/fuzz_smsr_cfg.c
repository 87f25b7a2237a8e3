/* Fuzz target: the rsplab-smsr configuration file parser (smsr_vty_read_configp()) on arbitrary text.
 * A refused file must leave the configuration as it was; an accepted one must write and read back to
 * the same settings. Seeds: corpus/fuzz_smsr_cfg/ (a full file, lists, refused lines). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <osmocom/core/application.h>
#include <osmocom/core/talloc.h>
#include <osmocom/vty/vty.h>

#include "network/smsr/smsr_log.h"
#include "network/smsr/smsr_vty.h"

static struct smsr_vty_cfg cfg;
static struct vty_app_info info = { .name = "fuzz_smsr_cfg", .version = "0" };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static void *ctx;
	struct smsr_vty_cfg before, again;
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
	before = cfg;
	f = fmemopen((void *)data, size, "r");
	if (!f)
		return 0;
	rc = smsr_vty_read_configp(&cfg, f, err, sizeof(err));
	fclose(f);
	if (rc < 0) {
		if (memcmp(&cfg, &before, sizeof(cfg)))
			abort(); /* a refused file changed the configuration */
		return 0;
	}
	w = open_memstream(&text, &text_len);
	if (!w)
		return 0;
	smsr_vty_cfg_write(&cfg, w);
	fclose(w);
	smsr_vty_cfg_init(&again);
	f = fmemopen(text, text_len, "r");
	if (f) {
		if (smsr_vty_read_configp(&again, f, err, sizeof(err)) < 0)
			abort(); /* what we write, we read */
		fclose(f);
	}
	free(text);
	return 0;
}
