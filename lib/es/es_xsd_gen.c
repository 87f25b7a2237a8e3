/* Writes the per-interface schema files lib/es/xsd/es<n>.xsd from the field table (es_types.def),
 * so the message elements of our XSD and our C types cannot drift apart: es_test.c regenerates
 * each file and compares it with the committed one. The common types (es-common.xsd) are written
 * by hand from digest §4.1/§6.3/§6.4. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "lib/es/es.h"
#include "lib/es/es_desc.h"

static bool is_base(const char *name)
{
	static const char *const base[] = { "FunctionCallIdentifier",	"ValidityPeriod",
					    "ProcessingStart",		"ProcessingEnd",
					    "AcceptableValidityPeriod", "FunctionExecutionStatus" };
	for (unsigned int i = 0; i < ARRAY_SIZE(base); i++)
		if (strcmp(name, base[i]) == 0)
			return true;
	return false;
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t l = strlen(s), k = strlen(suffix);
	return l >= k && strcmp(s + l - k, suffix) == 0;
}

/* The schema type of a message field (euicc.common.types.xsd names). */
static const char *xsd_type(const struct es_field *fd)
{
	switch (fd->kind) {
	case ES_K_STRUCT:
		if (strcmp(fd->sub->name, "es_eis") == 0)
			return "EISType";
		if (strcmp(fd->sub->name, "es_pol2") == 0)
			return "POL2Type";
		if (strcmp(fd->sub->name, "es_subscription_address") == 0)
			return "SubscriptionAddressType";
		return "ExecutionStatusType";
	case ES_K_ENUM: return "ECCKeyLengthType";
	case ES_K_HEX:
		if (strcmp(fd->name, "Eid") == 0)
			return "EIDType";
		if (ends_with(fd->name, "-aid"))
			return "AIDType";
		return "xs:hexBinary";
	case ES_K_STR:
		if (strcmp(fd->name, "Iccid") == 0)
			return "ICCIDType";
		if (ends_with(fd->name, "-id") || ends_with(fd->name, "SMSRid"))
			return "ObjectIdentifierType";
		return "xs:string";
	case ES_K_INT:
		if (strcmp(fd->name, "KeyVersionNumber") == 0)
			return "KeysetVersionType";
		if (strcmp(fd->name, "ScenarioParameter") == 0)
			return "xs:byte";
		return "xs:integer";
	case ES_K_BOOL: return "xs:boolean";
	case ES_K_TS: return "xs:dateTime";
	default: return "xs:string";
	}
}

static void occurs(FILE *out, const struct es_field *fd)
{
	if (fd->min != 1)
		fprintf(out, " minOccurs=\"%u\"", fd->min);
	if (fd->max == 0)
		fprintf(out, " maxOccurs=\"unbounded\"");
	else if (fd->max != 1)
		fprintf(out, " maxOccurs=\"%u\"", fd->max);
}

int es_xsd_write_interface(FILE *out, unsigned int iface)
{
	static const char *const base[] = { "BaseRequestType", "BaseResponseType", "BaseNotificationType" };
	unsigned int n = 0;

	for (unsigned int i = 0; i < ES_MSG__COUNT; i++)
		n += es_msgs[i].iface == iface;
	if (!n)
		return -EINVAL;
	fprintf(out,
		"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		"<!-- rsplab: the ES%u messages of SGP.02 Annex B (digest 1.2, 6.3), written from the function\n"
		"     definitions. Generated from lib/es/es_types.def by es_xsd_write_interface(); es_test.c\n"
		"     checks this file against the table. No targetNamespace: es-ns3.xsd / es-ns1.xsd include\n"
		"     it (chameleon) together with es-common.xsd. -->\n"
		"<xs:schema xmlns:xs=\"http://www.w3.org/2001/XMLSchema\" elementFormDefault=\"qualified\"\n"
		"           attributeFormDefault=\"unqualified\">\n",
		iface);
	for (unsigned int i = 0; i < ES_MSG__COUNT; i++) {
		const struct es_msg_info *mi = &es_msgs[i];

		if (mi->iface != iface)
			continue;
		fprintf(out, "  <xs:element name=\"%s\">\n", mi->element);
		fprintf(out, "    <xs:complexType>\n      <xs:complexContent>\n        <xs:extension base=\"%s\">\n",
			base[mi->kind]);
		fprintf(out, "          <xs:sequence>\n");
		for (unsigned int k = 0; k < mi->type->n_fields; k++) {
			const struct es_field *fd = &mi->type->fields[k];

			if (is_base(fd->name))
				continue;
			if (fd->kind == ES_K_TS) {
				/* digest §6.7: both spellings occur; the decoder notes which (variant TS_*). */
				fprintf(out, "            <xs:choice>\n"
					     "              <xs:element name=\"CompletionTimestamp\" "
					     "type=\"xs:dateTime\"/>\n"
					     "              <xs:element name=\"completionTimestamp\" "
					     "type=\"xs:dateTime\"/>\n"
					     "            </xs:choice>\n");
				continue;
			}
			if (mi->id == ES_MSG_ES7_AUTHENTICATE_SMSR_REQ && strcmp(fd->name, "Eis") == 0) {
				/* digest §6.7: Eis in the XSD copy, EID in its documentation. */
				fprintf(out, "            <xs:choice>\n"
					     "              <xs:element name=\"Eis\" type=\"EISType\"/>\n"
					     "              <xs:element name=\"Eid\" type=\"EIDType\"/>\n"
					     "            </xs:choice>\n");
				continue;
			}
			if (mi->id == ES_MSG_ES7_AUTHENTICATE_SMSR_REQ && strcmp(fd->name, "Eid") == 0)
				continue;
			fprintf(out, "            <xs:element name=\"%s\" type=\"%s\"", fd->name, xsd_type(fd));
			occurs(out, fd);
			fprintf(out, "/>\n");
		}
		fprintf(out, "          </xs:sequence>\n        </xs:extension>\n      </xs:complexContent>\n"
			     "    </xs:complexType>\n  </xs:element>\n");
	}
	fprintf(out, "</xs:schema>\n");
	return 0;
}
