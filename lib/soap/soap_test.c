/* Tests of lib/soap on its own: the RPSHeader <-> WS-A mapping, the SOAP HTTP content type, faults,
 * and envelope-level checks (lib/es's tests cover the bodies). */
#include <errno.h>
#include <string.h>

#include "lib/soap/rps_header.h"
#include "lib/soap/soap.h"
#include "lib/test/runner.h"

#define ACTION "http://gsma.com/ES3/ProfileManagement/ES3-CreateISDP"

void test_soap_rps_header_round_trip(void)
{
	/* Values with characters that need percent-encoding in a query (space, &, =, %). */
	const struct rps_header in = {
		.sender_url = "https://127.0.0.1:8443/ES3",
		.sender_id = "1.3.6.1.4.1.99999.1",
		.sender_name = "SM-DP 2 & co=test 100%",
		.receiver_url = "https://127.0.0.1:9443/ES3",
		.receiver_id = "1.3.6.1.4.1.99999.2",
		.response_endpoint = "https://127.0.0.1:8443/callback",
		.context_id = "ctx-7",
		.transaction_id = "T 42",
		.message_id = "urn:uuid:0f2b8c6e-1111-4222-8333-944455556666",
		.action = ACTION,
		.message_date = "2026-11-28T08:00:00Z",
	};
	char arena1[2048], arena2[2048];
	struct soap_wsa wsa;
	struct rps_header out;
	struct soap_findings f;

	CU_ASSERT_EQUAL_FATAL(rps_header_to_wsa(&in, arena1, sizeof(arena1), &wsa), 0);
	/* digest §6.2: the entity ids travel as query parameters of the WS-A addresses */
	CU_ASSERT_PTR_NOT_NULL(strstr(wsa.from, "?EntityId=1.3.6.1.4.1.99999.1&EntityName="));
	CU_ASSERT_PTR_NOT_NULL(strstr(wsa.to, "?EntityId=1.3.6.1.4.1.99999.2"));
	CU_ASSERT_PTR_NOT_NULL(strstr(wsa.message_id, "TransactionId=T%2042"));
	CU_ASSERT_PTR_NULL(strstr(wsa.from, "& co")); /* the & inside the name is escaped */
	CU_ASSERT_STRING_EQUAL(wsa.action, ACTION);
	CU_ASSERT_STRING_EQUAL(wsa.reply_to, in.response_endpoint);

	soap_findings_init(&f);
	CU_ASSERT_EQUAL_FATAL(rps_header_from_wsa(&wsa, arena2, sizeof(arena2), &out, &f), 0);
	CU_ASSERT_EQUAL(f.n, 0);
	CU_ASSERT_STRING_EQUAL(out.sender_url, in.sender_url);
	CU_ASSERT_STRING_EQUAL(out.sender_id, in.sender_id);
	CU_ASSERT_STRING_EQUAL(out.sender_name, in.sender_name);
	CU_ASSERT_STRING_EQUAL(out.receiver_url, in.receiver_url);
	CU_ASSERT_STRING_EQUAL(out.receiver_id, in.receiver_id);
	CU_ASSERT_STRING_EQUAL(out.transaction_id, in.transaction_id);
	CU_ASSERT_STRING_EQUAL(out.context_id, in.context_id);
	CU_ASSERT_STRING_EQUAL(out.message_date, in.message_date);
	CU_ASSERT_STRING_EQUAL(out.response_endpoint, in.response_endpoint);

	/* An arena too small is an error, not a truncation. */
	CU_ASSERT_EQUAL(rps_header_to_wsa(&in, arena1, 40, &wsa), -EMSGSIZE);
}

void test_soap_rps_header_findings(void)
{
	/* Headers that do not follow the mapping decode with findings, never an error. */
	const struct soap_wsa wsa = {
		.from = "https://peer.example/ES3", /* no ?EntityId= */
		.to = "https://us.example/ES3?EntityId=1.2.3",
		.action = ACTION,
		.message_id = "plain-id-without-structure",
	};
	char arena[1024];
	struct rps_header out;
	struct soap_findings f;

	soap_findings_init(&f);
	CU_ASSERT_EQUAL(rps_header_from_wsa(&wsa, arena, sizeof(arena), &out, &f), 0);
	CU_ASSERT_TRUE(soap_findings_has(&f, "RPS-001"));
	CU_ASSERT_PTR_NULL(out.sender_id);
	CU_ASSERT_STRING_EQUAL(out.receiver_id, "1.2.3");
	CU_ASSERT_TRUE(soap_findings_errors(&f) >= 1);
}

void test_soap_content_type(void)
{
	char ct[256], action[128];
	struct soap_findings f;
	int n = soap_content_type_make(ct, sizeof(ct), ACTION);

	/* digest §6.1: application/soap+xml; charset=utf-8; action="..." */
	CU_ASSERT_TRUE_FATAL(n > 0);
	CU_ASSERT_STRING_EQUAL(ct, "application/soap+xml; charset=utf-8; action=\"" ACTION "\"");
	soap_findings_init(&f);
	CU_ASSERT_EQUAL(soap_content_type_parse(ct, (size_t)n, action, sizeof(action), &f), 0);
	CU_ASSERT_STRING_EQUAL(action, ACTION);
	CU_ASSERT_EQUAL(f.n, 0);

	/* Case-insensitive type, token action, no charset: accepted with a finding. */
	soap_findings_init(&f);
	strcpy(ct, "Application/SOAP+XML;action=urn:x");
	CU_ASSERT_EQUAL(soap_content_type_parse(ct, strlen(ct), action, sizeof(action), &f), 0);
	CU_ASSERT_STRING_EQUAL(action, "urn:x");
	CU_ASSERT_TRUE(soap_findings_has(&f, "SOAP-010"));

	/* No action parameter: accepted, action empty, finding. */
	soap_findings_init(&f);
	strcpy(ct, "application/soap+xml; charset=utf-8");
	CU_ASSERT_EQUAL(soap_content_type_parse(ct, strlen(ct), action, sizeof(action), &f), 0);
	CU_ASSERT_STRING_EQUAL(action, "");
	CU_ASSERT_TRUE(soap_findings_has(&f, "SOAP-012"));

	/* Not SOAP 1.2 (text/xml is SOAP 1.1): rejected. */
	strcpy(ct, "text/xml; charset=utf-8");
	CU_ASSERT_EQUAL(soap_content_type_parse(ct, strlen(ct), action, sizeof(action), NULL), -EBADMSG);
	/* An action that does not fit, and one that would break the quoting. */
	n = soap_content_type_make(ct, sizeof(ct), ACTION);
	CU_ASSERT_EQUAL(soap_content_type_parse(ct, (size_t)n, action, 8, NULL), -EMSGSIZE);
	CU_ASSERT_EQUAL(soap_content_type_make(ct, sizeof(ct), "urn:\"x"), -EINVAL);
	CU_ASSERT_EQUAL(soap_content_type_make(ct, 20, ACTION), -EMSGSIZE);
}

void test_soap_fault_round_trip(void)
{
	const struct soap_wsa h = { .from = "https://a/?EntityId=1.2",
				    .to = "https://b/?EntityId=1.3",
				    .action = "http://www.w3.org/2005/08/addressing/fault",
				    .message_id = "urn:uuid:1",
				    .relates_to = "urn:uuid:0" };
	const struct soap_fault fault = { .code = SOAP_FAULT_SENDER,
					  .reason = "Iccid missing",
					  .detail = "/Envelope/Body/ES3-CreateISDPRequest" };
	uint8_t buf[4096];
	struct soap_doc d;
	struct soap_findings f;
	int n = soap_fault_encode(buf, sizeof(buf), &h, &fault);

	CU_ASSERT_TRUE_FATAL(n > 0);
	soap_findings_init(&f);
	CU_ASSERT_EQUAL_FATAL(soap_doc_parse(&d, buf, (size_t)n, NULL, &f), 0);
	CU_ASSERT_TRUE(d.is_fault);
	CU_ASSERT_EQUAL(d.fault.code, SOAP_FAULT_SENDER);
	CU_ASSERT_STRING_EQUAL(d.fault.reason, "Iccid missing");
	CU_ASSERT_STRING_EQUAL(d.wsa.relates_to, "urn:uuid:0");
	CU_ASSERT_EQUAL(soap_findings_errors(&f), 0);
	soap_doc_free(&d);
}

void test_soap_envelope_checks(void)
{
	static const char *soap11 = "<?xml version=\"1.0\"?><s:Envelope "
				    "xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\">"
				    "<s:Body><x/></s:Body></s:Envelope>";
	static const char *no_header = "<e:Envelope xmlns:e=\"http://www.w3.org/2003/05/soap-envelope\">"
				       "<e:Body><x xmlns=\"urn:y\"/></e:Body></e:Envelope>";
	static const char *entity = "<!DOCTYPE e [<!ENTITY a \"b\">]><e:Envelope "
				    "xmlns:e=\"http://www.w3.org/2003/05/soap-envelope\"><e:Body/></e:Envelope>";
	struct soap_doc d;
	struct soap_findings f;
	struct soap_limits tiny = { .max_input = 32 };

	/* SOAP 1.1 is not SOAP 1.2: the structure check fails or a finding names it. */
	soap_findings_init(&f);
	if (soap_doc_parse(&d, (const uint8_t *)soap11, strlen(soap11), NULL, &f) == 0) {
		CU_ASSERT_TRUE(soap_findings_errors(&f) > 0);
		soap_doc_free(&d);
	}
	/* A body without WS-A headers parses, and each missing mandatory header is a finding. */
	soap_findings_init(&f);
	CU_ASSERT_EQUAL_FATAL(soap_doc_parse(&d, (const uint8_t *)no_header, strlen(no_header), NULL, &f), 0);
	CU_ASSERT_PTR_NOT_NULL(d.body);
	CU_ASSERT_TRUE(soap_findings_errors(&f) >= 4); /* From, To, Action, MessageID */
	soap_doc_free(&d);
	/* DTDs are refused before libxml2 sees them; oversized input is refused. */
	CU_ASSERT_EQUAL(soap_doc_parse(&d, (const uint8_t *)entity, strlen(entity), NULL, NULL), -EBADMSG);
	CU_ASSERT_TRUE(soap_doc_parse(&d, (const uint8_t *)no_header, strlen(no_header), &tiny, NULL) < 0);
}
