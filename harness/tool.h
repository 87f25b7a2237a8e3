/* The `rsplab tool` sub-commands, one per file (tool_<name>.c). */
#pragma once

#include <stdint.h>
#include <stdio.h>

int tool_cat(int argc, char **argv);
int tool_cert(int argc, char **argv);
int tool_ecka(int argc, char **argv);
int tool_eid(int argc, char **argv);
int tool_es(int argc, char **argv);
int tool_saip(int argc, char **argv);
int tool_scp03(int argc, char **argv);
int tool_scp80(int argc, char **argv);
int tool_script(int argc, char **argv);
int tool_tlv(int argc, char **argv);
int tool_x963_kdf(int argc, char **argv);

/* tool_es.c internals shared with its test: print an example envelope; validate a buffer. */
int tool_es_example_print(FILE *out, const char *name);
int tool_es_validate_buf(FILE *out, const char *xsd_dir, const uint8_t *buf, size_t len);
