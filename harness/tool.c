/* `rsplab tool`: scriptable access to the lib/ codecs. Output is key=value lines with lowercase hex;
 * errors go to stderr with exit status 1. */
#include <stdio.h>

#include "harness/cli.h"
#include "harness/tool.h"

static const struct cli_command tools[] = {
	{ "tlv", "show a BER-TLV tree", tool_tlv },
	{ "scp03", "SCP03 session keys and cryptograms", tool_scp03 },
	{ "ecka", "ECDH shared secret (ECKA)", tool_ecka },
	{ "x963-kdf", "ANSI X9.63 KDF with SHA-256", tool_x963_kdf },
	{ NULL, NULL, NULL },
};

int cmd_tool(int argc, char **argv)
{
	return cli_dispatch("rsplab tool", tools, argc - 1, argv + 1);
}
