#include <stdio.h>

#include "harness/cli.h"

#ifndef RSPLAB_VERSION
#define RSPLAB_VERSION "0.1-dev"
#endif

int cmd_version(int argc, char **argv)
{
	printf("rsplab %s (GSMA SGP.02 v3.1 testbed)\n", RSPLAB_VERSION);
	return 0;
}
