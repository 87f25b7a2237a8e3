/* `rsplab tool`: scriptable access to the lib/ codecs. Output is key=value lines with lowercase hex;
 * errors go to stderr with exit status 1. */
#include <stdio.h>

#include "harness/cli.h"
#include "harness/tool.h"

static const struct cli_command tools[] = {
	{ "cat", "decode a CAT proactive command, ENVELOPE or TERMINAL RESPONSE", tool_cat },
	{ "cert", "show or verify a GP-format certificate (7F21)", tool_cert },
	{ "ecka", "ECDH shared secret (ECKA)", tool_ecka },
	{ "eid", "check the check digits of an EID", tool_eid },
	{ "es", "validate / print SGP.02 ES1-ES7 SOAP messages", tool_es },
	{ "saip", "show or build SAIP profile packages", tool_saip },
	{ "scp03", "SCP03 session keys and cryptograms", tool_scp03 },
	{ "scp80", "SCP80 secured packets and PoR (TS 102 225 / TS 31.115 SMS)", tool_scp80 },
	{ "script", "build or parse TS 102 226 remote command scripts", tool_script },
	{ "tlv", "show a BER-TLV tree", tool_tlv },
	{ "x963-kdf", "ANSI X9.63 KDF with SHA-256", tool_x963_kdf },
	{ NULL, NULL, NULL },
};

int cmd_tool(int argc, char **argv)
{
	return cli_dispatch("rsplab tool", tools, argc - 1, argv + 1);
}
