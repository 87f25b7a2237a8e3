/* Helpers shared by the `rsplab tool` sub-commands. */
#pragma once

#include <stddef.h>
#include <stdint.h>

/* Parse the hex argument of option `what` (e.g. "--kic-key") into out. Returns the length, or -1
 * after printing a clear error to stderr (odd length, non-hex character, longer than cap). */
int tool_hex_arg(const char *what, const char *hex, uint8_t *out, size_t cap);

/* Print `key=<lowercase hex>` on stdout. */
void tool_kv_hex(const char *key, const uint8_t *buf, size_t len);
