/* rsplab-smsr logging categories (style §13.6): one per interface and subsystem. Key material is never
 * logged in any of them. */
#pragma once

#include <osmocom/core/logging.h>

enum smsr_log_cat {
	DES1,
	DES3,
	DES4,
	DES5,
	DES7,
	DSMPP,
	DSMS,
	DOTA,
	DHTTP,
	DTLS,
	DSTORE,
};

extern const struct log_info smsr_log_info;
