/* Reading the run's net.env (written 0600 by `rsplab net up`: KEY=value lines, network/README.md):
 * where the SM-SR finds its SMSC address and ESME credentials (MSC_ADDR, MSC_SMPP_PORT, SMSR2_ESME_ID,
 * SMSR2_ESME_PASSWORD, SMSR2_SHORT_CODE, KANNEL_*).
 *
 * Trust: the file is the harness's (trusted) but parsed defensively: lines over 1 KiB, no '=' or an
 * empty key are skipped. Values are copied into the caller's buffer; nothing is logged (it holds
 * passwords). Returns 0, -ENOENT (file or key missing), -EMSGSIZE (value longer than cap - 1). */
#pragma once

#include <stddef.h>

int smsr_netenv_get(const char *path, const char *key, char *out, size_t cap);
