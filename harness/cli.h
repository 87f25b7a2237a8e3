/* Sub-command dispatch for the rsplab command line.
 *
 * Conventions for every command: `--help` on every level prints usage to stdout and exits 0;
 * errors go to stderr and exit 1 (usage errors exit 2); results go to stdout. */
#pragma once

#include <stdio.h>

/* A command handler gets its own arguments (argv[0] is the command's name). Returns the exit status. */
typedef int (*cli_handler)(int argc, char **argv);

struct cli_command {
	const char *name;
	const char *summary;
	cli_handler run;
};

/* Runs the command named by argv[0] from a NULL-terminated table, or prints the table for --help. */
int cli_dispatch(const char *prog, const struct cli_command *cmds, int argc, char **argv);
void cli_print_commands(FILE *out, const char *prog, const struct cli_command *cmds);
int cli_is_help(const char *arg);

int cmd_net(int argc, char **argv);
int cmd_check(int argc, char **argv);
int cmd_pki(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_tool(int argc, char **argv);
int cmd_version(int argc, char **argv);
