/* The `rsplab tool` sub-commands, one per file (tool_<name>.c). */
#pragma once

int tool_cat(int argc, char **argv);
int tool_cert(int argc, char **argv);
int tool_eid(int argc, char **argv);
int tool_saip(int argc, char **argv);
int tool_scp80(int argc, char **argv);
int tool_script(int argc, char **argv);
int tool_tlv(int argc, char **argv);
