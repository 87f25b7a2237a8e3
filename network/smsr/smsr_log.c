/* rsplab-smsr logging categories (see smsr_log.h). */
#include <osmocom/core/utils.h>

#include "network/smsr/smsr_log.h"

static const struct log_info_cat smsr_log_cats[] = {
	[DES1] = { .name = "DES1", .description = "ES1 (EUM: RegisterEIS)", .enabled = 1, .loglevel = LOGL_NOTICE },
	[DES3] = { .name = "DES3", .description = "ES3 (SM-DP)", .enabled = 1, .loglevel = LOGL_NOTICE },
	[DES4] = { .name = "DES4", .description = "ES4 (MNO)", .enabled = 1, .loglevel = LOGL_NOTICE },
	[DES5] = { .name = "DES5",
		   .description = "ES5 (ISD-R: procedures and notifications)",
		   .enabled = 1,
		   .loglevel = LOGL_NOTICE },
	[DES7] = { .name = "DES7", .description = "ES7 (SM-SR Change)", .enabled = 1, .loglevel = LOGL_NOTICE },
	[DSMPP] = { .name = "DSMPP", .description = "SMPP ESME", .enabled = 1, .loglevel = LOGL_NOTICE },
	[DSMS] = { .name = "DSMS", .description = "SMS TPDUs and concatenation", .enabled = 1, .loglevel = LOGL_NOTICE },
	[DOTA] = { .name = "DOTA", .description = "SCP80 / SCP81 security", .enabled = 1, .loglevel = LOGL_NOTICE },
	[DHTTP] = { .name = "DHTTP", .description = "HTTP transport", .enabled = 1, .loglevel = LOGL_NOTICE },
	[DTLS] = { .name = "DTLS", .description = "TLS", .enabled = 1, .loglevel = LOGL_NOTICE },
	[DSTORE] = { .name = "DSTORE", .description = "EIS store", .enabled = 1, .loglevel = LOGL_NOTICE },
};

const struct log_info smsr_log_info = {
	.cat = smsr_log_cats,
	.num_cat = ARRAY_SIZE(smsr_log_cats),
};
