/* rsplab-smdp: logging categories. */
#include "network/smdp/logging.h"

static const struct log_info_cat smdp_log_cats[] = {
	[DSMDP] = { .name = "DSMDP", .description = "SM-DP daemon", .enabled = 1, .loglevel = LOGL_NOTICE },
	[DSTORE] = { .name = "DSTORE",
		     .description = "profile inventory and transaction store",
		     .enabled = 1,
		     .loglevel = LOGL_NOTICE },
	[DDL] = { .name = "DDL", .description = "profile download procedure", .enabled = 1, .loglevel = LOGL_NOTICE },
	[DES2] = { .name = "DES2", .description = "ES2 (MNO)", .enabled = 1, .loglevel = LOGL_NOTICE },
	[DES3] = { .name = "DES3", .description = "ES3 (SM-SR)", .enabled = 1, .loglevel = LOGL_NOTICE },
};

const struct log_info smdp_log_info = {
	.cat = smdp_log_cats,
	.num_cat = _NUM_SMDP_LOG_CATS,
};
