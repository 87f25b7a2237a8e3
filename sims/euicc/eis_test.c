/* The EUM-signed EIS of `rsplab-euicc init` (eis.h): an ES1.RegisterEIS that lib/es decodes and that is
 * valid against lib/es/xsd, whose EumSignature verifies with PK.EUM under the variant it was made with
 * and fails under the other, with another key, and after any change to the signed EumSignedInfo, the
 * digest or the signature value. No XML-DSig conformance is claimed (eis.h). */
#include <errno.h>

#include "lib/es/es.h"
#include "sims/euicc/eis.h"
#include "sims/euicc/test_dev.h"

#define XSD_DIR "lib/es/xsd" /* make check runs from the top */

static struct es_schema *schema;
static EVP_PKEY *eum, *other;
static uint8_t xml[65536], copy[65536];
static struct es_msg msg, back;
static struct euicc_eis_buf eb;
static char arena[65536];

static const struct euicc_eis_params params = {
	.eum_id = "1.3.6.1.4.1.99999.1",
	.smsr_id = "1.3.6.1.4.1.99999.2",
	.mno_id = "1.3.6.1.4.1.99999.3",
	.production_date = "2024-01-02T03:04:05Z",
	.message_id = "urn:uuid:00000000-0000-0000-0000-000000000001",
};

int suite_setup(void)
{
	if (td_setup("eis_test") < 0 || es_schema_load(&schema, XSD_DIR) < 0)
		return -1;
	if (crypto_ec_generate(CRYPTO_CURVE_P256, &eum) < 0 || crypto_ec_generate(CRYPTO_CURVE_P256, &other) < 0)
		return -1;
	return 0;
}

int suite_teardown(void)
{
	td_teardown();
	es_schema_free(schema);
	EVP_PKEY_free(eum);
	EVP_PKEY_free(other);
	return 0;
}

static int make(enum es_eumsig_variant v)
{
	CU_ASSERT_EQUAL_FATAL(euicc_eis_fill(&msg, &eb, euicc_card_store(td.card), &params), 0);
	return euicc_eis_sign(xml, sizeof(xml), &msg, &eb, eum, v);
}

/* Replace the first occurrence of from (after the element `after`) by to, same length. */
static bool patch(uint8_t *buf, size_t len, const char *after, const char *from, const char *to)
{
	char *a = memmem(buf, len, after, strlen(after));
	char *p = a ? memmem(a, len - (size_t)((uint8_t *)a - buf), from, strlen(from)) : NULL;

	if (!p || strlen(from) != strlen(to))
		return false;
	memcpy(p, to, strlen(to));
	return true;
}

void test_eis_register_eis_valid_and_verifies(void)
{
	struct soap_findings f;
	uint8_t eid[16];
	int n;

	td_new_card(false);
	for (int v = ES_EUMSIG_DSIG_DETACHED; v <= ES_EUMSIG_DIRECT; v++) {
		n = make((enum es_eumsig_variant)v);
		CU_ASSERT_FATAL(n > 0);
		soap_findings_init(&f);
		CU_ASSERT_EQUAL(es_validate(schema, xml, (size_t)n, NULL, &f), 0);
		for (unsigned int i = 0; i < f.n; i++)
			fprintf(stderr, "finding: %s %s\n", f.f[i].path, f.f[i].text);
		soap_findings_init(&f);
		CU_ASSERT_EQUAL_FATAL(es_msg_decode(&back, arena, sizeof(arena), xml, (size_t)n, NULL, &f), 0);
		CU_ASSERT_EQUAL(back.id, ES_MSG_ES1_REGISTER_EIS_REQ);
		ids_eid_to_bytes(eid, td.eid, 32);
		TEST_ASSERT_MEM_EQ(back.u.es1_register_eis_req.eis.eum_signed_info.eid.data,
				   back.u.es1_register_eis_req.eis.eum_signed_info.eid.len, eid, 16);
		CU_ASSERT_EQUAL(back.u.es1_register_eis_req.eis.n_profile_info, 1);
		CU_ASSERT_EQUAL(back.u.es1_register_eis_req.eis.profile_info[0].state, ES_PROFILE_STATE_ENABLED);
		CU_ASSERT_EQUAL(back.u.es1_register_eis_req.eis.isd_r.n_keyset, 2);
		CU_ASSERT_EQUAL(euicc_eis_verify(xml, (size_t)n, eum, (enum es_eumsig_variant)v), 0);
		/* the other variant, another key */
		CU_ASSERT_EQUAL(euicc_eis_verify(xml, (size_t)n, eum, (enum es_eumsig_variant) !v), -EACCES);
		CU_ASSERT_EQUAL(euicc_eis_verify(xml, (size_t)n, other, (enum es_eumsig_variant)v), -EACCES);
	}
}

void test_eis_tampering_detected(void)
{
	int n;

	td_new_card(false);
	n = make(ES_EUMSIG_DSIG_DETACHED);
	CU_ASSERT_FATAL(n > 0);
	/* a signed field: the platform version */
	memcpy(copy, xml, (size_t)n);
	CU_ASSERT_FATAL(patch(copy, (size_t)n, "PlatformVersion>", "1.0.0", "1.0.1"));
	CU_ASSERT_EQUAL(euicc_eis_verify(copy, (size_t)n, eum, ES_EUMSIG_DSIG_DETACHED), -EACCES);
	/* an unsigned field changes nothing (Smsr-id is outside EumSignedInfo) */
	memcpy(copy, xml, (size_t)n);
	CU_ASSERT_FATAL(patch(copy, (size_t)n, "Smsr-id>", "99999.2", "99999.9"));
	CU_ASSERT_EQUAL(euicc_eis_verify(copy, (size_t)n, eum, ES_EUMSIG_DSIG_DETACHED), 0);
	/* the digest value, the signature value, the signed algorithm URI */
	memcpy(copy, xml, (size_t)n);
	{
		char *d = memmem(copy, (size_t)n, "DigestValue>", 12);
		CU_ASSERT_FATAL(d != NULL);
		d[12] = d[12] == 'A' ? 'B' : 'A';
	}
	CU_ASSERT_EQUAL(euicc_eis_verify(copy, (size_t)n, eum, ES_EUMSIG_DSIG_DETACHED), -EACCES);
	memcpy(copy, xml, (size_t)n);
	{
		char *s = memmem(copy, (size_t)n, "SignatureValue>", 15);
		CU_ASSERT_FATAL(s != NULL);
		s[20] = s[20] == 'A' ? 'B' : 'A';
	}
	CU_ASSERT_EQUAL(euicc_eis_verify(copy, (size_t)n, eum, ES_EUMSIG_DSIG_DETACHED), -EACCES);
	memcpy(copy, xml, (size_t)n);
	CU_ASSERT_FATAL(patch(copy, (size_t)n, "SignatureMethod", "ecdsa-sha256", "ecdsa-sha257"));
	CU_ASSERT_EQUAL(euicc_eis_verify(copy, (size_t)n, eum, ES_EUMSIG_DSIG_DETACHED), -EBADMSG); /* unsupported */
	/* every truncation is refused (never 0), without a crash */
	for (size_t len = 0; len < (size_t)n; len += 7)
		CU_ASSERT_NOT_EQUAL(euicc_eis_verify(xml, len, eum, ES_EUMSIG_DSIG_DETACHED), 0);
}
