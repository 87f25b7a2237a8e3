/* The `rsplab tool` sub-commands, one per file (tool_<name>.c). */
#pragma once

int tool_tlv(int argc, char **argv);
int tool_scp03(int argc, char **argv);
int tool_ecka(int argc, char **argv);
int tool_x963_kdf(int argc, char **argv);
