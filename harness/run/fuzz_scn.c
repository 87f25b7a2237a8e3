/* libFuzzer target: the scenario parser (untrusted text), then the topology check against the
 * flagship-like topology parsed from a fixed string. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "harness/run/scn.h"
#include "harness/run/topo.h"

static const char topo_text[] = "mno1 mno builtin operator=mno1 addr=127.0.0.71 port=8443 entity=2.999.3.1\n"
				"mno2 mno builtin operator=mno2 addr=127.0.0.72 port=8443 entity=2.999.3.2\n"
				"hlr-mno1 osmo-hlr builtin operator=mno1 addr=127.0.0.11 port=4222\n"
				"msc-mno2 osmo-msc builtin operator=mno2 addr=127.0.0.22 port=2775\n"
				"kannel kannel builtin operator=mno1 addr=127.0.0.31 port=13013\n"
				"smsr1 smsr builtin operator=mno1 addr=127.0.0.41 port=8443 entity=2.999.1.1\n"
				"smsr2 smsr builtin operator=mno2 addr=127.0.0.42 port=8443 entity=2.999.1.2\n"
				"smdp2 smdp builtin operator=mno2 addr=127.0.0.52 port=8443 entity=2.999.2.2\n"
				"device1 device builtin\ncard1 euicc builtin eid=89049032000000000000000000000163 "
				"device=device1\n";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct scn s;
	static struct topo t;
	static int have_topo;
	struct scn_error e;
	struct topo_error te;

	if (!have_topo)
		have_topo = topo_parse(topo_text, strlen(topo_text), &t, &te) == 0 ? 1 : -1;
	if (scn_parse((const char *)data, size, &s, &e) == 0 && have_topo == 1)
		scn_check_topo(&s, &t, &e);
	return 0;
}
