/* Complete example messages, filled from the field table: every element (optional ones too) gets a
 * value valid for its schema type, chosen by element name. Test data only: the EID is WT's test
 * EID (open-questions §12), AIDs follow SGP.02's A0000005591010FFFFFFFF89 prefix (digest §4.2),
 * OIDs sit under an example private-enterprise arc. */
#include <string.h>

#include "lib/es/es.h"
#include "lib/es/es_desc.h"

static const uint8_t eid[] = { 0x89, 0x00, 0x10, 0x12, 0x01, 0x23, 0x41, 0x23,
			       0x40, 0x12, 0x34, 0x56, 0x78, 0x90, 0x12, 0x24 };
static const uint8_t isdp_aid[] = { 0xA0, 0x00, 0x00, 0x05, 0x59, 0x10, 0x10, 0xFF,
				    0xFF, 0xFF, 0xFF, 0x89, 0x00, 0x00, 0x10, 0x00 };
static const uint8_t isdr_aid[] = { 0xA0, 0x00, 0x00, 0x05, 0x59, 0x10, 0x10, 0xFF,
				    0xFF, 0xFF, 0xFF, 0x89, 0x00, 0x00, 0x01, 0x00 };
static const uint8_t ecasd_aid[] = { 0xA0, 0x00, 0x00, 0x05, 0x59, 0x10, 0x10, 0xFF,
				     0xFF, 0xFF, 0xFF, 0x89, 0x00, 0x00, 0x02, 0x00 };
static const uint8_t elf_aid[] = { 0xA0, 0x00, 0x00, 0x05, 0x59, 0x10, 0x10, 0xFF,
				   0xFF, 0xFF, 0xFF, 0x89, 0x00, 0x00, 0x0D, 0x00 };
static const uint8_t mod_aid[] = { 0xA0, 0x00, 0x00, 0x05, 0x59, 0x10, 0x10, 0xFF,
				   0xFF, 0xFF, 0xFF, 0x89, 0x00, 0x00, 0x0E, 0x00 };
static const uint8_t bytes64[] = { 0x04, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0A, 0x0B, 0x0C,
				   0x0D, 0x0E, 0x0F, 0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19,
				   0x1A, 0x1B, 0x1C, 0x1D, 0x1E, 0x1F, 0x20, 0x21, 0x22, 0x23, 0x24, 0x25, 0x26,
				   0x27, 0x28, 0x29, 0x2A, 0x2B, 0x2C, 0x2D, 0x2E, 0x2F, 0x30, 0x31, 0x32, 0x33,
				   0x34, 0x35, 0x36, 0x37, 0x38, 0x39, 0x3A, 0x3B, 0x3C, 0x3D, 0x3E, 0x3F, 0x40 };
static const uint8_t tar_isdr[] = { 0x00, 0x00, 0x01 };
static const uint8_t key_type_aes[] = { 0x88 };		 /* GP key type AES (digest §4.1) */
static const uint8_t op_type[] = { 0x01, 0x00 };	 /* audit: CreateISDP (digest §4.1) */
static const uint8_t ccp[] = { 0x80, 0xE2, 0x88, 0x00 }; /* an APDU-looking payload */

struct hex_value {
	const char *name;
	const uint8_t *data;
	size_t len;
};

static const struct hex_value hex_values[] = {
	{ "Eid", eid, sizeof(eid) },
	{ "Isd-p-aid", isdp_aid, sizeof(isdp_aid) },
	{ "Sd-aid", isdp_aid, sizeof(isdp_aid) },
	{ "Isd-p-loadfile-aid", elf_aid, sizeof(elf_aid) },
	{ "Isd-p-module-aid", mod_aid, sizeof(mod_aid) },
	{ "Tar", tar_isdr, sizeof(tar_isdr) },
	{ "Sin", bytes64 + 1, 4 },
	{ "Sdin", bytes64 + 5, 4 },
	{ "type", key_type_aes, 1 },
	{ "value", bytes64 + 1, 16 },
	{ "kcv", bytes64 + 17, 3 },
	{ "OperationType", op_type, 2 },
	{ "Imei", bytes64 + 1, 8 },
	{ "Meid", bytes64 + 1, 7 },
	{ "EphemeralPublicKey", bytes64, 65 },
	{ "Signature", bytes64 + 1, 64 },
	{ "HostId", bytes64 + 1, 8 },
	{ "DerivationRandom", bytes64 + 1, 16 },
	{ "Receipt", bytes64 + 17, 16 },
	{ "RandomChallenge", bytes64 + 33, 16 },
	{ "ConnectivityParameters", ccp, sizeof(ccp) },
	{ "Data", ccp, sizeof(ccp) },
};

struct str_value {
	const char *name;
	const char *value;
};

static const struct str_value str_values[] = {
	{ "FunctionCallIdentifier", "rsplab-fci-0001" },
	{ "Iccid", "89019990001234567893" },
	{ "Mno-id", "1.3.6.1.4.1.99999.3" },
	{ "Smsr-id", "1.3.6.1.4.1.99999.2" },
	{ "SmSr-id", "1.3.6.1.4.1.99999.2" },
	{ "CurrentSMSRid", "1.3.6.1.4.1.99999.2" },
	{ "Target-Smsr-id", "1.3.6.1.4.1.99999.4" },
	{ "Eum-id", "1.3.6.1.4.1.99999.1" },
	{ "Smdp-id", "1.3.6.1.4.1.99999.5" },
	{ "RequesterId", "1.3.6.1.4.1.99999.5" },
	{ "CaId", "1.3.6.1.4.1.99999.9" },
	{ "Subject", "8.1.1" }, /* digest §6.5: EID */
	{ "Reason", "1.1" },	/* digest §6.5: Unknown */
	{ "SubjectIdentifier", "89001012012341234012345678901224" },
	{ "Message", "example status" },
	{ "PlatformType", "rsplab-euicc" },
	{ "PlatformVersion", "1.0.0" },
	{ "CattpVersion", "1.0.0" },
	{ "HttpVersion", "1.1.0" },
	{ "SecurePacketVersion", "13.1.0" },
	{ "RemoteProvisioningVersion", "3.1.0" },
	{ "ProfileType", "rsplab-test-profile" },
	{ "Imsi", "001010123456789" },
	{ "Msisdn", "491701234567" },
	{ "DigestValue", "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=" },
	{ "SignatureValue", "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=" },
	{ "URI", "" },
	{ "key", "vendor" },
};

static const char *const date = "2024-05-01T10:00:00Z";

static int64_t int_value(const char *name)
{
	if (strcmp(name, "ScenarioParameter") == 0)
		return 0x0E; /* ISD-R default (open-questions §4) */
	if (strcmp(name, "KeyVersionNumber") == 0 || strcmp(name, "Version") == 0)
		return 1;
	if (strcmp(name, "Index") == 0 || strcmp(name, "Cntr") == 0 || strcmp(name, "InitialSequenceCounter") == 0)
		return 1;
	if (strcmp(name, "ValidityPeriod") == 0 || strcmp(name, "AcceptableValidityPeriod") == 0)
		return 3600;
	return 65536; /* memory sizes */
}

static const char *algorithm(const char *parent)
{
	if (strcmp(parent, "CanonicalizationMethod") == 0)
		return "http://www.w3.org/2001/10/xml-exc-c14n#";
	if (strcmp(parent, "SignatureMethod") == 0)
		return "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256";
	return "http://www.w3.org/2001/04/xmlenc#sha256";
}

static void fill(const struct es_type *t, void *base, const char *parent)
{
	*(bool *)base = true;
	for (unsigned int i = 0; i < t->n_fields; i++) {
		const struct es_field *fd = &t->fields[i];
		void *p = (uint8_t *)base + fd->off;

		/* StatusCodeData only accompanies a non-success status (digest §6.4); the AuthenticateSMSR
		 * Eid is the alternative to its Eis (digest §6.7). */
		if (strcmp(fd->name, "StatusCodeData") == 0 ||
		    (strcmp(t->name, "es7_authenticate_smsr_req") == 0 && strcmp(fd->name, "Eid") == 0))
			continue;
		if (fd->rep)
			*(unsigned int *)((uint8_t *)base + fd->count_off) = 1;
		switch (fd->kind) {
		case ES_K_STR:
		case ES_K_ASTR:
			if (strcmp(fd->name, "Algorithm") == 0) {
				*(const char **)p = algorithm(parent);
				break;
			}
			if (strcmp(fd->name, "value") == 0) {
				*(const char **)p = "rsplab";
				break;
			}
			*(const char **)p = "x";
			for (unsigned int k = 0; k < ARRAY_SIZE(str_values); k++)
				if (strcmp(str_values[k].name, fd->name) == 0)
					*(const char **)p = str_values[k].value;
			if (strstr(fd->name, "Date") || strstr(fd->name, "Processing"))
				*(const char **)p = date;
			break;
		case ES_K_TS: *(const char **)p = date; break;
		case ES_K_HEX:
		case ES_K_AHEX: {
			struct es_hex *h = p;

			h->data = bytes64 + 1;
			h->len = 8;
			for (unsigned int k = 0; k < ARRAY_SIZE(hex_values); k++)
				if (strcmp(hex_values[k].name, fd->name) == 0) {
					h->data = hex_values[k].data;
					h->len = hex_values[k].len;
				}
			if (strcmp(fd->name, "Aid") == 0) {
				h->data = strcmp(parent, "Ecasd") == 0 ? ecasd_aid : isdr_aid;
				h->len = 16;
			}
			break;
		}
		case ES_K_INT:
			((struct es_int *)p)->present = true;
			((struct es_int *)p)->v = int_value(fd->name);
			break;
		case ES_K_BOOL:
			((struct es_bool *)p)->present = true;
			((struct es_bool *)p)->v = strcmp(fd->name, "HttpSupport") == 0 || strcmp(fd->name, "EnableProf"
													    "ile") == 0;
			break;
		case ES_K_ENUM:
			*(int *)p = (int)fd->names[0].value;
			if (strcmp(fd->name, "Role") == 0 && strcmp(parent, "Ecasd") == 0)
				*(int *)p = ES_SD_ROLE_ECASD;
			if (strcmp(fd->name, "State") == 0)
				*(int *)p = ES_PROFILE_STATE_ENABLED;
			break;
		case ES_K_STRUCT: fill(fd->sub, p, fd->name); break;
		}
	}
}

void es_example_fill(struct es_msg *msg, enum es_msg_id id)
{
	memset(msg, 0, sizeof(*msg));
	msg->id = id;
	if (id < 0 || id >= ES_MSG__COUNT)
		return;
	fill(es_msgs[id].type, &msg->u, es_msgs[id].element);
	msg->wsa.from = "https://sender.example:8443/es?EntityId=1.3.6.1.4.1.99999.5&EntityName=SM-DP";
	msg->wsa.to = "https://receiver.example:8443/es?EntityId=1.3.6.1.4.1.99999.2";
	msg->wsa.message_id = "//1.3.6.1.4.1.99999.5/urn:uuid:5b0c6f2e-7a8d-4d6e-9a43-2d5c1a9e0001"
			      "?TransactionId=urn:uuid:5b0c6f2e-7a8d-4d6e-9a43-2d5c1a9e00ff&MessageDate=2024-05-01T10:"
			      "00:00Z";
	if (es_msgs[id].kind == ES_KIND_RESPONSE)
		msg->wsa.relates_to = "//1.3.6.1.4.1.99999.2/urn:uuid:5b0c6f2e-7a8d-4d6e-9a43-2d5c1a9e0000";
	else if (es_msgs[id].kind == ES_KIND_REQUEST)
		msg->wsa.reply_to = "https://sender.example:8443/es";
}
