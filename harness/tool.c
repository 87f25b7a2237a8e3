/* `rsplab tool`: scriptable access to the lib/ codecs. Output is key=value lines with lowercase hex;
 * errors go to stderr with exit status 1. */
#include <stdio.h>

#include "harness/cli.h"
#include "harness/tool.h"

static const struct cli_command tools[] = {
	{ "tlv", "show a BER-TLV tree", tool_tlv },
	{ "es", "validate / print SGP.02 ES1-ES7 SOAP messages", tool_es },
	{ NULL, NULL, NULL },
};

int cmd_tool(int argc, char **argv)
{
	return cli_dispatch("rsplab tool", tools, argc - 1, argv + 1);
}
