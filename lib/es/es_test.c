/* Tests of the ES message layer: a published wire vector first, then encode -> validate -> decode
 * round trips of every message in the table, the XSD/table agreement, every mandatory element
 * removed, each variant decoded tolerantly, and hostile input (malformed, wrong namespace,
 * oversized, deep, entity expansion, truncations, mutations). Run from the repository top
 * (the XSD set is loaded from lib/es/xsd). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/es/es.h"
#include "lib/es/es_desc.h"
#include "lib/es/es_txn.h"
#include "lib/test/runner.h"

#define XSD_DIR "lib/es/xsd"
#define BUF_MAX 65536

static struct es_schema *schema;
static struct es_msg *msg, *msg2;
static struct soap_findings *fnd;
static uint8_t *buf, *buf2;
static char *arena;

int suite_setup(void)
{
	if (es_schema_load(&schema, XSD_DIR) < 0)
		return 1;
	msg = malloc(sizeof(*msg));
	msg2 = malloc(sizeof(*msg2));
	fnd = malloc(sizeof(*fnd));
	buf = malloc(BUF_MAX);
	buf2 = malloc(BUF_MAX);
	arena = malloc(BUF_MAX * 2);
	return !(msg && msg2 && fnd && buf && buf2 && arena);
}

int suite_teardown(void)
{
	es_schema_free(schema);
	free(msg);
	free(msg2);
	free(fnd);
	free(buf);
	free(buf2);
	free(arena);
	return 0;
}

static void dump_findings(const char *what)
{
	for (unsigned int i = 0; i < fnd->n; i++)
		fprintf(stderr, "  %s: %s%s %s: %s\n", what, fnd->f[i].info ? "note " : "", fnd->f[i].rule,
			fnd->f[i].path, fnd->f[i].text);
}

static bool has_text(const char *rule, const char *needle)
{
	for (unsigned int i = 0; i < fnd->n; i++)
		if (strcmp(fnd->f[i].rule, rule) == 0 &&
		    (strcasestr(fnd->f[i].text, needle) || strstr(fnd->f[i].path, needle)))
			return true;
	return false;
}

static int decode(const uint8_t *b, size_t len, const struct es_variant *v)
{
	struct es_decode_opts o = { .variant = v, .schema = schema };

	soap_findings_init(fnd);
	return es_msg_decode(msg2, arena, BUF_MAX * 2, b, len, &o, fnd);
}

/* ZTE's gSOAP trace of an SM-SR -> SM-DP ES3-CreateISDP callback (digest §0 key ZTE, §6.6), copied
 * byte for byte from the logged body (unused namespace declarations shortened). Note: it carries no
 * wsa:RelatesTo, which the WSDL makes mandatory for responses. */
static const char zte_callback[] =
	"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	"<SOAP-ENV:Envelope xmlns:SOAP-ENV=\"http://www.w3.org/2003/05/soap-envelope\" "
	"xmlns:wsa5=\"http://www.w3.org/2005/08/addressing\" "
	"xmlns:rps=\"http://namespaces.gsma.org/esim-messaging/3\"><SOAP-ENV:Header>"
	"<wsa5:MessageID>//1.3.6.1.4.1.20/urn:uuid:78c224dc-6d66-4fe4-8791-5c3e6a7dc869?TransactionId=urn:uuid:"
	"68eaf45a-6bd7-48ea-bf37-15d40df60552&amp;MessageDate=2018-12-19T02:44:49Z</wsa5:MessageID>"
	"<wsa5:From><wsa5:Address>http://smdp.ztesoft.com:20000?EntityId=1.3.6.1.4.1.20&amp;EntityName=SM-SR"
	"</wsa5:Address></wsa5:From><wsa5:To SOAP-ENV:mustUnderstand=\"true\">http://smdp.ztesoft.com:10000?"
	"EntityId=1.3.6.1.4.1.10</wsa5:To><wsa5:Action SOAP-ENV:mustUnderstand=\"true\">http://gsma.com/ES3/"
	"ProfileManagementCallBack/ES3-CreateISDP</wsa5:Action></SOAP-ENV:Header><SOAP-ENV:Body>"
	"<rps:ES3-CreateISDPResponse><rps:ProcessingStart>2018-12-19T02:44:49Z</rps:ProcessingStart>"
	"<rps:ProcessingEnd>2018-12-19T02:44:49Z</rps:ProcessingEnd><rps:FunctionExecutionStatus><rps:Status>"
	"EXECUTED_SUCCESS</rps:Status></rps:FunctionExecutionStatus><rps:Isd-p-aid>61626364656666</rps:Isd-p-aid>"
	"</rps:ES3-CreateISDPResponse></SOAP-ENV:Body></SOAP-ENV:Envelope>";

void test_es_zte_vector(void)
{
	struct es3_create_isdp_resp *r = &msg2->u.es3_create_isdp_resp;

	CU_ASSERT_EQUAL_FATAL(decode((const uint8_t *)zte_callback, strlen(zte_callback), NULL), 0);
	CU_ASSERT_EQUAL(msg2->id, ES_MSG_ES3_CREATE_ISDP_RESP);
	CU_ASSERT_EQUAL(r->function_execution_status.status, ES_STATUS_EXECUTED_SUCCESS);
	TEST_ASSERT_HEX_EQ(r->isd_p_aid.data, r->isd_p_aid.len, "61626364656666");
	CU_ASSERT_STRING_EQUAL(r->processing_start, "2018-12-19T02:44:49Z");
	CU_ASSERT_STRING_EQUAL(msg2->wsa.action, "http://gsma.com/ES3/ProfileManagementCallBack/ES3-CreateISDP");
	/* exactly one deviation: the missing RelatesTo; the body is schema-valid */
	CU_ASSERT_TRUE(soap_findings_has(fnd, "WSA-008"));
	CU_ASSERT_EQUAL(soap_findings_errors(fnd), 1);
	if (soap_findings_errors(fnd) != 1)
		dump_findings("zte");
}

/* Every message of the table: example -> encode -> XSD-valid -> decode without deviations ->
 * re-encode byte-identical. */
void test_es_roundtrip_all(void)
{
	unsigned int done = 0;

	for (int id = 0; id < ES_MSG__COUNT; id++) {
		int n, n2;

		es_example_fill(msg, (enum es_msg_id)id);
		n = es_msg_encode(buf, BUF_MAX, msg, NULL);
		CU_ASSERT_TRUE_FATAL(n > 0);
		soap_findings_init(fnd);
		CU_ASSERT_EQUAL(es_validate(schema, buf, (size_t)n, NULL, fnd), 0);
		if (soap_findings_errors(fnd))
			dump_findings(es_msgs[id].element);
		CU_ASSERT_EQUAL(decode(buf, (size_t)n, NULL), 0);
		CU_ASSERT_EQUAL(msg2->id, id);
		CU_ASSERT_EQUAL(fnd->n, 0);
		if (fnd->n)
			dump_findings(es_msgs[id].element);
		n2 = es_msg_encode(buf2, BUF_MAX, msg2, NULL);
		CU_ASSERT_EQUAL(n2, n);
		if (n2 == n && memcmp(buf, buf2, (size_t)n) == 0)
			done++;
		else
			fprintf(stderr, "  re-encode differs: %s\n", es_msgs[id].element);
	}
	CU_ASSERT_EQUAL(done, ES_MSG__COUNT);
	CU_ASSERT_EQUAL(ES_MSG__COUNT, 75); /* ES1 2, ES2 18, ES3 26, ES4 22, ES7 7 */
}

/* The per-interface XSD files are what the table generates (so table and schema cannot drift). */
void test_es_xsd_matches_table(void)
{
	static const unsigned int ifaces[] = { 1, 2, 3, 4, 7 };

	for (unsigned int i = 0; i < ARRAY_SIZE(ifaces); i++) {
		char path[64], *gen = NULL;
		size_t gen_len = 0, file_len;
		FILE *mem = open_memstream(&gen, &gen_len), *fp;

		CU_ASSERT_EQUAL(es_xsd_write_interface(mem, ifaces[i]), 0);
		fclose(mem);
		snprintf(path, sizeof(path), XSD_DIR "/es%u.xsd", ifaces[i]);
		fp = fopen(path, "rb");
		CU_ASSERT_PTR_NOT_NULL_FATAL(fp);
		file_len = fread(buf, 1, BUF_MAX, fp);
		fclose(fp);
		TEST_ASSERT_MEM_EQ(buf, file_len, gen, gen_len);
		free(gen);
	}
	{
		char *none = NULL;
		size_t none_len = 0;
		FILE *mem = open_memstream(&none, &none_len);

		CU_ASSERT_EQUAL(es_xsd_write_interface(mem, 5), -EINVAL);
		fclose(mem);
		CU_ASSERT_EQUAL(none_len, 0);
		free(none);
	}
}

/* Remove each mandatory top-level element of each message: validation must fail and name it. */
void test_es_missing_mandatory_each(void)
{
	unsigned int checked = 0;

	for (int id = 0; id < ES_MSG__COUNT; id++) {
		const struct es_type *t = es_msgs[id].type;

		for (unsigned int k = 0; k < t->n_fields; k++) {
			const struct es_field *fd = &t->fields[k];
			int n;

			if (fd->min == 0 || es_kind_is_attr(fd->kind))
				continue;
			es_example_fill(msg, (enum es_msg_id)id);
			memset((uint8_t *)&msg->u + fd->off, 0, fd->rep ? fd->elem_size : fd->elem_size);
			if (fd->rep)
				*(unsigned int *)((uint8_t *)&msg->u + fd->count_off) = 0;
			n = es_msg_encode(buf, BUF_MAX, msg, NULL);
			CU_ASSERT_TRUE_FATAL(n > 0);
			soap_findings_init(fnd);
			CU_ASSERT_TRUE(es_validate(schema, buf, (size_t)n, NULL, fnd) > 0);
			if (!has_text("ES-XSD", fd->name)) {
				CU_FAIL("validation does not name the missing element");
				fprintf(stderr, "  %s without %s:\n", es_msgs[id].element, fd->name);
				dump_findings("missing");
			}
			checked++;
		}
	}
	CU_ASSERT_TRUE(checked > 150);
}

/* Each variant: encode with it, decode with the default: accepted, valid, and a note names it. */
void test_es_variants_tolerant(void)
{
	static const struct {
		enum es_msg_id id;
		struct es_variant v;
		const char *needle;
	} cases[] = {
		{ ES_MSG_ES3_CREATE_ISDP_REQ,
		  { ES_NS_V1, ES_ACTION_SUFFIXED, ES_TS_AS_XSD, ES_AUTH_SMSR_EIS },
		  "WS_NS_V1" },
		{ ES_MSG_ES3_CREATE_ISDP_REQ,
		  { ES_NS_V3, ES_ACTION_PLAIN, ES_TS_AS_XSD, ES_AUTH_SMSR_EIS },
		  "ACTION_PLAIN" },
		{ ES_MSG_ES3_HANDLE_SMSR_CHANGE_NOTIF,
		  { ES_NS_V3, ES_ACTION_SUFFIXED, ES_TS_UNIFORM, ES_AUTH_SMSR_EIS },
		  "TS_UNIFORM" },
		{ ES_MSG_ES7_AUTHENTICATE_SMSR_REQ,
		  { ES_NS_V3, ES_ACTION_SUFFIXED, ES_TS_AS_XSD, ES_AUTH_SMSR_EID },
		  "AUTH_SMSR_EID" },
	};

	for (unsigned int i = 0; i < ARRAY_SIZE(cases); i++) {
		int n;

		es_example_fill(msg, cases[i].id);
		n = es_msg_encode(buf, BUF_MAX, msg, &cases[i].v);
		CU_ASSERT_TRUE_FATAL(n > 0);
		CU_ASSERT_EQUAL(decode(buf, (size_t)n, NULL), 0);
		CU_ASSERT_EQUAL(msg2->id, cases[i].id);
		CU_ASSERT_EQUAL(soap_findings_errors(fnd), 0);
		CU_ASSERT_TRUE(has_text("ES-VARIANT", cases[i].needle));
		if (soap_findings_errors(fnd) || !has_text("ES-VARIANT", cases[i].needle))
			dump_findings(cases[i].needle);
		/* decoding with the same variant configured: no note about it */
		CU_ASSERT_EQUAL(decode(buf, (size_t)n, &cases[i].v), 0);
		CU_ASSERT_FALSE(has_text("ES-VARIANT", cases[i].needle));
	}
	/* the V1 namespace decodes to the same content */
	CU_ASSERT_EQUAL(msg2->ns_seen, ES_NS_V3);
}

static int replace(char *s, size_t cap, const char *from, const char *to)
{
	char *p = strstr(s, from);
	size_t fl = strlen(from), tl = strlen(to), l = strlen(s);

	if (!p || l - fl + tl + 1 > cap)
		return -1;
	memmove(p + tl, p + fl, l - (size_t)(p - s) - fl + 1);
	memcpy(p, to, tl);
	return (int)(l - fl + tl);
}

static int example_text(enum es_msg_id id)
{
	int n;

	es_example_fill(msg, id);
	n = es_msg_encode(buf, BUF_MAX - 1, msg, NULL);
	if (n > 0)
		buf[n] = '\0';
	return n;
}

/* Known spelling quirks the decoder accepts with a note: Njiwa's "ProfileManagent", the WSDL's
 * ProfileDownloadedCompleted vs. the element name, an ISD-R without key sets (HandoverEUICC). */
void test_es_quirks_tolerant(void)
{
	char *s = (char *)buf;
	int n;

	CU_ASSERT_TRUE_FATAL(example_text(ES_MSG_ES3_CREATE_ISDP_REQ) > 0);
	n = replace(s, BUF_MAX, "ProfileManagement/", "ProfileManagent/");
	CU_ASSERT_EQUAL(decode(buf, (size_t)n, NULL), 0);
	CU_ASSERT_TRUE(has_text("ES-VARIANT", "ProfileManagent"));
	CU_ASSERT_EQUAL(soap_findings_errors(fnd), 0);

	CU_ASSERT_TRUE_FATAL(example_text(ES_MSG_ES3_PROFILE_DOWNLOAD_COMPLETED_REQ) > 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(s, "ES3-ProfileDownloadedCompletedRequest</wsa:Action>"));
	n = replace(s, BUF_MAX, "ES3-ProfileDownloadedCompletedRequest<", "ES3-ProfileDownloadCompletedRequest<");
	CU_ASSERT_EQUAL(decode(buf, (size_t)n, NULL), 0);
	CU_ASSERT_TRUE(has_text("ES-VARIANT", "ProfileDownloadCompleted"));

	es_example_fill(msg, ES_MSG_ES7_HANDOVER_EUICC_REQ);
	msg->u.es7_handover_euicc_req.eis.isd_r.n_keyset = 0;
	n = es_msg_encode(buf, BUF_MAX, msg, NULL);
	CU_ASSERT_EQUAL(decode(buf, (size_t)n, NULL), 0);
	CU_ASSERT_TRUE(has_text("ES-VARIANT", "ISDR_KEYSET_WITHHELD"));
	CU_ASSERT_EQUAL(soap_findings_errors(fnd), 0);

	/* an unknown action is a deviation, not a failure */
	CU_ASSERT_TRUE_FATAL(example_text(ES_MSG_ES3_CREATE_ISDP_REQ) > 0);
	n = replace(s, BUF_MAX, "ES3-CreateISDPRequest</wsa:Action>", "ES3-SendDataRequest</wsa:Action>");
	CU_ASSERT_EQUAL(decode(buf, (size_t)n, NULL), 0);
	CU_ASSERT_TRUE(soap_findings_has(fnd, "ES-ACTION"));
}

void test_es_wrong_namespace(void)
{
	char *s = (char *)buf;
	int n;

	CU_ASSERT_TRUE_FATAL(example_text(ES_MSG_ES3_CREATE_ISDP_REQ) > 0);
	n = replace(s, BUF_MAX, "esim-messaging/3", "esim-messaging/7");
	CU_ASSERT_EQUAL(decode(buf, (size_t)n, NULL), -EBADMSG);
	CU_ASSERT_TRUE(soap_findings_has(fnd, "ES-NS"));
	soap_findings_init(fnd);
	CU_ASSERT_TRUE(es_validate(schema, buf, (size_t)n, NULL, fnd) > 0);

	/* SOAP 1.1 envelope */
	CU_ASSERT_TRUE_FATAL(example_text(ES_MSG_ES3_CREATE_ISDP_REQ) > 0);
	n = replace(s, BUF_MAX, "http://www.w3.org/2003/05/soap-envelope", "http://schemas.xmlsoap.org/soap/envelope/");
	CU_ASSERT_EQUAL(decode(buf, (size_t)n, NULL), -EBADMSG);
	CU_ASSERT_TRUE(soap_findings_has(fnd, "SOAP-001"));
}

void test_es_malformed(void)
{
	static const char *const bad[] = {
		"",
		"<",
		"not xml at all",
		"<env:Envelope xmlns:env=\"http://www.w3.org/2003/05/soap-envelope\"><env:Body></env:Envelope>",
		"<env:Envelope xmlns:env=\"http://www.w3.org/2003/05/soap-envelope\"/>",
		"<env:Envelope xmlns:env=\"http://www.w3.org/2003/05/soap-envelope\"><env:Body/><env:Body/>"
		"</env:Envelope>",
		"<env:Envelope xmlns:env=\"http://www.w3.org/2003/05/soap-envelope\"><env:Body><x:Unknown "
		"xmlns:x=\"http://namespaces.gsma.org/esim-messaging/3\"/></env:Body></env:Envelope>",
		"<a>\0</a>",
	};

	for (unsigned int i = 0; i < ARRAY_SIZE(bad); i++)
		CU_ASSERT_EQUAL(decode((const uint8_t *)bad[i], i == 7 ? 8 : strlen(bad[i]), NULL), -EBADMSG);
}

void test_es_entity_expansion_rejected(void)
{
	static const char laughs[] = "<?xml version=\"1.0\"?><!DOCTYPE lolz [<!ENTITY lol \"lol\"><!ENTITY lol2 "
				     "\"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\"><!ENTITY lol3 "
				     "\"&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;\">]>"
				     "<env:Envelope "
				     "xmlns:env=\"http://www.w3.org/2003/05/soap-envelope\"><env:Body><a>&lol3;</a>"
				     "</env:Body></env:Envelope>";
	static const char external[] = "<?xml version=\"1.0\"?><!DOCTYPE e SYSTEM \"http://example.invalid/x.dtd\">"
				       "<env:Envelope xmlns:env=\"http://www.w3.org/2003/05/soap-envelope\">"
				       "<env:Body/></env:Envelope>";
	static const char utf16[] = "\xff\xfe<\0e\0/\0>\0";

	CU_ASSERT_EQUAL(decode((const uint8_t *)laughs, strlen(laughs), NULL), -EBADMSG);
	CU_ASSERT_EQUAL(decode((const uint8_t *)external, strlen(external), NULL), -EBADMSG);
	CU_ASSERT_EQUAL(decode((const uint8_t *)utf16, sizeof(utf16) - 1, NULL), -EBADMSG);
	soap_findings_init(fnd);
	CU_ASSERT_EQUAL(es_validate(schema, (const uint8_t *)laughs, strlen(laughs), NULL, fnd), -EBADMSG);
}

void test_es_oversized_and_deep(void)
{
	struct soap_limits lim = { .max_input = 1024, .max_depth = 0 };
	struct es_decode_opts o = { .limits = &lim };
	size_t len = 0;
	int n = example_text(ES_MSG_ES3_CREATE_ISDP_REQ);
	char *deep;

	CU_ASSERT_TRUE_FATAL(n > 1024);
	soap_findings_init(fnd);
	CU_ASSERT_EQUAL(es_msg_decode(msg2, arena, BUF_MAX * 2, buf, (size_t)n, &o, fnd), -EMSGSIZE);
	/* arena too small */
	CU_ASSERT_EQUAL(es_msg_decode(msg2, arena, 64, buf, (size_t)n, NULL, fnd), -EMSGSIZE);
	/* 100 nested elements inside the body */
	deep = malloc(8192);
	len = (size_t)sprintf(deep, "<env:Envelope xmlns:env=\"http://www.w3.org/2003/05/soap-envelope\"><env:Body>");
	for (int i = 0; i < 100; i++)
		len += (size_t)sprintf(deep + len, "<a>");
	for (int i = 0; i < 100; i++)
		len += (size_t)sprintf(deep + len, "</a>");
	len += (size_t)sprintf(deep + len, "</env:Body></env:Envelope>");
	CU_ASSERT_EQUAL(decode((const uint8_t *)deep, len, NULL), -ELOOP);
	free(deep);
}

static int decode_cb(const uint8_t *b, size_t len, void *priv)
{
	struct soap_findings *f = priv;

	soap_findings_init(f);
	return es_msg_decode(msg2, arena, BUF_MAX * 2, b, len, NULL, f);
}

/* Every proper prefix of an envelope is not well-formed XML. */
void test_es_truncations(void)
{
	int n = example_text(ES_MSG_ES3_CREATE_ISDP_REQ);

	CU_ASSERT_TRUE_FATAL(n > 0);
	/* the trailing newline after the root may go: stop before it */
	CU_ASSERT_EQUAL(TEST_TRUNCATIONS_REJECTED(buf, (size_t)n - 1, decode_cb, fnd), 0);
}

/* Byte mutations of a short envelope (a ZTE-style callback without the optional parts): nothing
 * crashes (ASan judges), some mutants still decode (the pass is not vacuous). */
void test_es_mutations(void)
{
	static const char small[] = "<e:Envelope xmlns:e=\"http://www.w3.org/2003/05/soap-envelope\" "
				    "xmlns:r=\"http://namespaces.gsma."
				    "org/esim-messaging/"
				    "3\"><e:Body><r:ES3-SendDataResponse><r:FunctionExecutionStatus><r:Status>"
				    "FAILED</r:Status></r:FunctionExecutionStatus><r:EuiccResponseData>9000</"
				    "r:EuiccResponseData>"
				    "</r:ES3-SendDataResponse></e:Body></e:Envelope>";
	unsigned long accepted = test_mutations_run((const uint8_t *)small, sizeof(small) - 1, decode_cb, fnd);

	CU_ASSERT_TRUE(accepted > 1000);
}

void test_es_fault(void)
{
	struct soap_wsa h = { .from = "https://a",
			      .to = "https://b",
			      .action = "http://www.w3.org/2005/08/addressing/fault",
			      .message_id = "urn:uuid:1",
			      .relates_to = "urn:uuid:0" };
	struct soap_fault fault = { SOAP_FAULT_SENDER, "rps:InvalidMessage", "missing Iccid", "ES3-CreateISDPRequest" };
	int n = soap_fault_encode(buf, BUF_MAX, &h, &fault);

	CU_ASSERT_TRUE_FATAL(n > 0);
	CU_ASSERT_EQUAL(decode(buf, (size_t)n, NULL), 0);
	CU_ASSERT_TRUE(msg2->is_fault);
	CU_ASSERT_EQUAL(msg2->fault.code, SOAP_FAULT_SENDER);
	CU_ASSERT_STRING_EQUAL(msg2->fault.subcode, "rps:InvalidMessage");
	CU_ASSERT_STRING_EQUAL(msg2->fault.reason, "missing Iccid");
	CU_ASSERT_STRING_EQUAL(msg2->fault.detail, "ES3-CreateISDPRequest");
	CU_ASSERT_STRING_EQUAL(msg2->wsa.relates_to, "urn:uuid:0");
	fault.code = SOAP_FAULT_NONE;
	CU_ASSERT_EQUAL(soap_fault_encode(buf, BUF_MAX, &h, &fault), -EINVAL);
}

void test_es_action_uris(void)
{
	char a[256];

	/* digest §6.6 table */
	CU_ASSERT_TRUE(es_action_uri(a, sizeof(a), ES_MSG_ES3_CREATE_ISDP_REQ, NULL, false) > 0);
	CU_ASSERT_STRING_EQUAL(a, "http://gsma.com/ES3/ProfileManagement/ES3-CreateISDPRequest");
	es_action_uri(a, sizeof(a), ES_MSG_ES3_CREATE_ISDP_RESP, NULL, true);
	CU_ASSERT_STRING_EQUAL(a, "http://gsma.com/ES3/ProfileManagementCallBack/ES3-CreateISDP");
	es_action_uri(a, sizeof(a), ES_MSG_ES3_PROFILE_DOWNLOAD_COMPLETED_REQ, NULL, false);
	CU_ASSERT_STRING_EQUAL(a, "http://gsma.com/ES3/ProfileManagement/ES3-ProfileDownloadedCompletedRequest");
	es_action_uri(a, sizeof(a), ES_MSG_ES3_ENABLE_PROFILE_RESP, NULL, true);
	CU_ASSERT_STRING_EQUAL(a, "http://gsma.com/ES3/PlatformManagementCallBack/ES3-EnableProfile");
	es_action_uri(a, sizeof(a), ES_MSG_ES7_HANDOVER_EUICC_RESP, NULL, true);
	CU_ASSERT_STRING_EQUAL(a, "http://gsma.com/ES7/eUICCManagementCallBack/ES7-HandoverEUICC");
	es_action_uri(a, sizeof(a), ES_MSG_ES2_GET_EIS_REQ, NULL, false);
	CU_ASSERT_STRING_EQUAL(a, "http://gsma.com/ES2/DataPreparation/ES2-GetEISRequest");
	es_action_uri(a, sizeof(a), ES_MSG_ES3_HANDLE_PROFILE_ENABLED_NOTIF, NULL, false);
	CU_ASSERT_STRING_EQUAL(a, "http://gsma.com/ES3/PlatformManagement/ES3-HandleProfileEnabledNotification");
	{
		struct es_variant plain = es_variant_default;
		plain.action = ES_ACTION_PLAIN;
		es_action_uri(a, sizeof(a), ES_MSG_ES4_SMSR_CHANGE_REQ, &plain, false);
		CU_ASSERT_STRING_EQUAL(a, "http://gsma.com/ES4/eUICCManagement/ES4-SMSRChange");
	}
	CU_ASSERT_EQUAL(es_action_uri(a, 10, ES_MSG_ES3_CREATE_ISDP_REQ, NULL, false), -EMSGSIZE);
	CU_ASSERT_EQUAL(es_action_uri(a, sizeof(a), ES_MSG__COUNT, NULL, false), -EINVAL);
}

void test_es_correlation(void)
{
	struct es_corr *c = malloc(sizeof(*c));
	enum es_msg_id req = ES_MSG_NONE;

	es_corr_init(c);
	CU_ASSERT_EQUAL(es_corr_add(c, "urn:uuid:1", ES_MSG_ES3_CREATE_ISDP_REQ, 100, 60), 0);
	CU_ASSERT_EQUAL(es_corr_add(c, "urn:uuid:2", ES_MSG_ES3_SEND_DATA_REQ, 100, 0), 1);
	CU_ASSERT_EQUAL(es_corr_add(c, "urn:uuid:3", ES_MSG_ES3_SEND_DATA_RESP, 100, 0), -EINVAL);
	CU_ASSERT_EQUAL(es_corr_match(c, NULL, ES_MSG_ES3_CREATE_ISDP_RESP, 110, &req), ES_CORR_NO_RELATES_TO);
	CU_ASSERT_EQUAL(es_corr_match(c, "urn:uuid:9", ES_MSG_ES3_CREATE_ISDP_RESP, 110, &req), ES_CORR_UNKNOWN);
	CU_ASSERT_EQUAL(es_corr_match(c, "urn:uuid:1", ES_MSG_ES3_CREATE_ISDP_RESP, 110, &req), ES_CORR_MATCHED);
	CU_ASSERT_EQUAL(req, ES_MSG_ES3_CREATE_ISDP_REQ);
	/* a duplicate callback no longer matches */
	CU_ASSERT_EQUAL(es_corr_match(c, "urn:uuid:1", ES_MSG_ES3_CREATE_ISDP_RESP, 110, &req), ES_CORR_UNKNOWN);
	CU_ASSERT_EQUAL(es_corr_match(c, "urn:uuid:2", ES_MSG_ES3_CREATE_ISDP_RESP, 110, &req), ES_CORR_WRONG_MESSAGE);
	/* an answer made when the provider's period ends is in flight at our deadline: the grace takes it */
	CU_ASSERT_EQUAL(es_corr_add(c, "urn:uuid:6", ES_MSG_ES3_CREATE_ISDP_REQ, 100, 60), 0);
	CU_ASSERT_EQUAL(es_corr_match(c, "urn:uuid:6", ES_MSG_ES3_CREATE_ISDP_RESP, 160 + ES_CORR_GRACE_S, &req),
			ES_CORR_MATCHED);
	CU_ASSERT_EQUAL(es_corr_add(c, "urn:uuid:4", ES_MSG_ES3_CREATE_ISDP_REQ, 100, 60), 0);
	CU_ASSERT_EQUAL(es_corr_match(c, "urn:uuid:4", ES_MSG_ES3_CREATE_ISDP_RESP, 161 + ES_CORR_GRACE_S, &req),
			ES_CORR_LATE);
	CU_ASSERT_EQUAL(es_corr_add(c, "urn:uuid:5", ES_MSG_ES3_CREATE_ISDP_REQ, 100, 60), 0);
	CU_ASSERT_EQUAL(es_corr_expire(c, 160 + ES_CORR_GRACE_S), 0);
	CU_ASSERT_EQUAL(es_corr_expire(c, 161 + ES_CORR_GRACE_S), 1);
	for (int i = 0; i < ES_CORR_MAX; i++)
		CU_ASSERT_EQUAL(es_corr_add(c, "urn:uuid:x", ES_MSG_ES3_CREATE_ISDP_REQ, 0, 0), i);
	CU_ASSERT_EQUAL(es_corr_add(c, "urn:uuid:y", ES_MSG_ES3_CREATE_ISDP_REQ, 0, 0), -ENOSPC);
	free(c);
}

void test_es_retry_and_validity(void)
{
	struct es_fci *t = malloc(sizeof(*t));
	struct es_int vp = { true, 30 };
	struct es_fes fes;
	char longs[ES_TXN_STR_MAX + 2];

	es_fci_init(t);
	CU_ASSERT_EQUAL(es_fci_check(t, "1.3.6.1.4.1.99999.5", "fci-1", 0), 0);
	CU_ASSERT_EQUAL(es_fci_check(t, "1.3.6.1.4.1.99999.5", "fci-1", 5), 1);
	CU_ASSERT_EQUAL(es_fci_check(t, "1.3.6.1.4.1.99999.6", "fci-1", 5), 0); /* other sender */
	memset(longs, 'a', sizeof(longs) - 1);
	longs[sizeof(longs) - 1] = '\0';
	CU_ASSERT_EQUAL(es_fci_check(t, longs, "fci-1", 5), -EMSGSIZE);
	CU_ASSERT_EQUAL(es_fci_check(t, NULL, "fci-1", 5), -EINVAL);
	free(t);

	CU_ASSERT_FALSE(es_validity_expired(&vp, 100, 130));
	CU_ASSERT_TRUE(es_validity_expired(&vp, 100, 131));
	vp.present = false;
	CU_ASSERT_FALSE(es_validity_expired(&vp, 100, 100000));
	es_fes_expired(&fes);
	CU_ASSERT_EQUAL(fes.status, ES_STATUS_EXPIRED);
	CU_ASSERT_STRING_EQUAL(es_code_name(es_subject_codes, fes.status_code_data.subject), "Function");
	CU_ASSERT_STRING_EQUAL(es_code_name(es_reason_codes, fes.status_code_data.reason), "Transaction Expired");
	CU_ASSERT_PTR_NULL(es_code_name(es_reason_codes, "9.9"));
}

void test_es_names_tables(void)
{
	CU_ASSERT_STRING_EQUAL(get_value_string(es_ns_variant_names, ES_NS_V1), "WS_NS_V1_NJIWA");
	CU_ASSERT_STRING_EQUAL(get_value_string(es_status_names, ES_STATUS_EXECUTED_WITHWARNING), "EXECUTED_"
												  "WITHWARNING");
	CU_ASSERT_PTR_NOT_NULL(es_msg_info_by_element("ES7-HandoverEUICCRequest"));
	CU_ASSERT_PTR_NOT_NULL(es_msg_info_by_element("ES3-UpdateConnectivityParametersResponse"));
	CU_ASSERT_PTR_NULL(es_msg_info_by_element("ES3-Nothing"));
}

void test_es_schema_load_errors(void)
{
	struct es_schema *s = NULL;
	char dir[4096];

	CU_ASSERT_EQUAL(es_schema_load(&s, "/nonexistent-dir"), -ENOENT);
	CU_ASSERT_PTR_NULL(s);
	/* the test binary lives under build*\/lib/es: the default finds lib/es/xsd from there */
	CU_ASSERT_TRUE(es_xsd_dir_default(dir, sizeof(dir)) > 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(dir, "lib/es/xsd"));
}
