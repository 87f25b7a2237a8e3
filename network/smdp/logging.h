/* rsplab-smdp: logging categories (style §13.6). Log lines never carry key material: profile keys,
 * ISD-P keys, session keys and the SAIP package stay out of every category at every level. */
#pragma once

#include <osmocom/core/logging.h>

enum smdp_log_cat {
	DSMDP,	/* daemon: start-up, configuration */
	DSTORE, /* SQLite store */
	DDL,	/* the download procedure FSM */
	DES2,	/* ES2 provider (MNO -> SM-DP) and ES2 notifications */
	DES3,	/* ES3 client (SM-DP -> SM-SR) and the SM-SR's notifications */
	_NUM_SMDP_LOG_CATS
};

extern const struct log_info smdp_log_info;
