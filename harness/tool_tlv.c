/* `rsplab tool tlv show HEX`: an indented BER-TLV tree with names for the tags SGP.02 traffic uses. */
#include <stdio.h>
#include <string.h>

#include "harness/cli.h"
#include "harness/tool.h"
#include "harness/tool_util.h"
#include "lib/tlv/bertlv.h"

#define TLV_MAX_INPUT 65536

#define ANY_PARENT 0xFFFFFFFF
#define TOP_LEVEL  0

/* Names for the tags SGP.02 traffic uses. Context-specific tags (8x, Ax) mean different things in
 * different templates, so they are named only under the parent they belong to. */
static const struct {
	uint32_t tag;
	uint32_t parent;
	const char *name;
} tag_names[] = {
	{ 0xAA, TOP_LEVEL, "command scripting template, definite (TS 102 226 §5.2.1)" },
	{ 0xAE, TOP_LEVEL, "command scripting template, indefinite (TS 102 226 §5.2.1)" },
	{ 0xAB, TOP_LEVEL, "response scripting template, definite (TS 102 226 §5.2.2)" },
	{ 0xAF, TOP_LEVEL, "response scripting template, indefinite (TS 102 226 §5.2.2)" },
	{ 0x22, 0xAA, "C-APDU (TS 102 226 §5.2.1)" },
	{ 0x22, 0xAE, "C-APDU (TS 102 226 §5.2.1)" },
	{ 0x23, 0xAB, "R-APDU (TS 102 226 §5.2.2)" },
	{ 0x23, 0xAF, "R-APDU (TS 102 226 §5.2.2)" },
	{ 0x80, 0xAB, "number of executed commands (TS 102 226 §5.2.2)" },
	{ 0x80, 0xAF, "number of executed commands (TS 102 226 §5.2.2)" },
	{ 0x84, 0xAE, "SCP03t: INITIALIZE UPDATE (SGP.02 §4.1.3.3)" },
	{ 0x85, 0xAE, "SCP03t: EXTERNAL AUTHENTICATE (SGP.02 §4.1.3.3)" },
	{ 0x86, 0xAE, "SCP03t: protected profile segment (SGP.02 §4.1.3.3)" },
	{ 0x84, 0xAF, "SCP03t: INITIALIZE UPDATE response (SGP.02 §4.1.3.3)" },
	{ 0x85, 0xAF, "SCP03t: EXTERNAL AUTHENTICATE response (SGP.02 §4.1.3.3)" },
	{ 0x86, 0xAF, "SCP03t: segment response (SGP.02 §4.1.3.3)" },
	{ 0x7F21, ANY_PARENT, "GP certificate (SGP.02 §4.6)" },
	{ 0x5F37, ANY_PARENT, "signature" },
	{ 0x5F20, ANY_PARENT, "subject identifier" },
	{ 0x5F49, ANY_PARENT, "public key" },
	{ 0x7F49, ANY_PARENT, "public key" },
	{ 0x4F, ANY_PARENT, "AID" },
	{ 0x9F70, ANY_PARENT, "life cycle state" },
	{ 0xE3, ANY_PARENT, "GET STATUS record (GP 2.3 §11.4.2)" },
	{ 0xE1, TOP_LEVEL, "notification (SGP.02 §4.1.1.11)" },
	{ 0x4C, 0xE1, "EID" },
	{ 0x4D, 0xE1, "notification type" },
	{ 0x4E, 0xE1, "sequence number" },
};

static const char *tag_name(uint32_t tag, uint32_t parent)
{
	for (size_t i = 0; i < sizeof(tag_names) / sizeof(tag_names[0]); i++)
		if (tag_names[i].tag == tag && (tag_names[i].parent == ANY_PARENT || tag_names[i].parent == parent))
			return tag_names[i].name;
	return NULL;
}

/* Prints the TLVs of buf at this depth. Returns 0, or the errno of the first malformed TLV. */
static int show(const uint8_t *buf, size_t len, unsigned int depth, size_t offset, uint32_t parent)
{
	struct bertlv_iter it;
	struct bertlv t;
	int rc;

	bertlv_iter_init(&it, buf, len);
	for (;;) {
		size_t at = offset + it.pos;
		const char *name;

		rc = bertlv_iter_next(&it, &t);
		if (rc <= 0)
			break;
		name = tag_name(t.tag, parent);
		printf("%*s%0*x len=%zu%s%s%s%s", (int)depth * 2, "", t.tag_len * 2, t.tag, t.len,
		       t.indefinite ? " (indefinite)" : "", t.nonminimal_len ? " (non-minimal length)" : "",
		       name ? " " : "", name ? name : "");
		/* 22/23 carry the constructed bit but hold an APDU (TS 102 226 §5.2): show them as bytes. */
		if (t.constructed && t.tag != 0x22 && t.tag != 0x23) {
			printf("\n");
			rc = show(t.value, t.len, depth + 1, at + (size_t)(t.value - (buf + (at - offset))), t.tag);
			if (rc < 0)
				return rc;
		} else {
			printf(": ");
			for (size_t i = 0; i < t.len; i++)
				printf("%02x", t.value[i]);
			printf("\n");
		}
	}
	if (rc < 0)
		fprintf(stderr, "tlv: malformed TLV at offset %zu: %s\n", offset + it.pos, strerror(-rc));
	return rc;
}

static int usage(FILE *out)
{
	fprintf(out, "usage: rsplab tool tlv show HEX\n"
		     "Prints the BER-TLV tree (ISO 7816-4 / TS 102 226) of HEX, indented by depth.\n");
	return out == stdout ? 0 : 2;
}

int tool_tlv(int argc, char **argv)
{
	static uint8_t buf[TLV_MAX_INPUT];
	int n;

	if (argc > 1 && cli_is_help(argv[1]))
		return usage(stdout);
	if (argc != 3 || strcmp(argv[1], "show") != 0)
		return usage(stderr);
	n = tool_hex_arg("tlv show", argv[2], buf, sizeof(buf));
	if (n < 0)
		return 1;
	return show(buf, (size_t)n, 0, 0, TOP_LEVEL) < 0 ? 1 : 0;
}
