/* Sub-command dispatch (see cli.h). */
#include <string.h>

#include "harness/cli.h"

int cli_is_help(const char *arg)
{
	return strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0 || strcmp(arg, "help") == 0;
}

void cli_print_commands(FILE *out, const char *prog, const struct cli_command *cmds)
{
	fprintf(out, "usage: %s COMMAND [ARGS...]\n\ncommands:\n", prog);
	for (const struct cli_command *c = cmds; c->name; c++)
		fprintf(out, "  %-10s %s\n", c->name, c->summary);
	fprintf(out, "\n'%s COMMAND --help' describes one command.\n", prog);
}

int cli_dispatch(const char *prog, const struct cli_command *cmds, int argc, char **argv)
{
	if (argc < 1) {
		cli_print_commands(stderr, prog, cmds);
		return 2;
	}
	if (cli_is_help(argv[0])) {
		cli_print_commands(stdout, prog, cmds);
		return 0;
	}
	for (const struct cli_command *c = cmds; c->name; c++) {
		if (strcmp(c->name, argv[0]) == 0)
			return c->run(argc, argv);
	}
	fprintf(stderr, "%s: unknown command '%s' ('%s --help' lists them)\n", prog, argv[0], prog);
	return 2;
}
