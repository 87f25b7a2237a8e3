/* rsplab — the harness command: runs scenario suites over the testbed, checks captures against
 * SGP.02, writes reports, and offers `rsplab tool` for the protocol codecs. */
#include <stdio.h>
#include <string.h>

#include "harness/cli.h"

static const struct cli_command commands[] = {
	{ "check", "check a capture against SGP.02 (TLS with key logs, SOAP/XSD, SMPP, SCP80, procedures)", cmd_check },
	{ "net", "start or stop the core network of a run (Osmocom STP/HLRs/MSC+SMSC, Kannel)", cmd_net },
	{ "pki", "create the test PKI of a run (CI, EUM, SM-SR/SM-DP and ECASD certificates)", cmd_pki },
	{ "run", "run scenarios or suites over the testbed and write the report", cmd_run },
	{ "tool", "encode, decode and check protocol data (scp80, script, cat, cert, saip, tlv ...)", cmd_tool },
	{ "version", "print the version", cmd_version },
	{ NULL, NULL, NULL },
};

int main(int argc, char **argv)
{
	return cli_dispatch("rsplab", commands, argc - 1, argv + 1);
}
