/* Tests of the RAM over HTTP header values and the PSK identity.
 *
 * Vectors: digest §5.2 (headers as WHTY AbstractHandler / NJ RamHttp send them);
 * open-questions §5 and §14 (X-Admin-Targeted-Application //aid/A000000559/1010FFFFFFFF8900001300
 * and X-Admin-From with `aaid` from a real card trace; `unknown-application` sent by a card);
 * a public SCP81 client test sending "X-Admin-From: //se-id/eid/123456;//aa-id/aid/0001020304/
 * 05060708090A0B0C0D0E0F" and another sending content types with a trailing space (search index
 * ids 41805027982, 35645156882); the PSK identity layout of NJ RamHttp.makePskId. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/ramhttp/ramhttp.h"
#include "lib/test/runner.h"

#define S(x) x, strlen(x)

void test_ramhttp_protocol(void)
{
	struct ramhttp_protocol p;

	CU_ASSERT_EQUAL(ramhttp_protocol_parse(&p, S(RAMHTTP_PROTOCOL_1_0)), 0);
	CU_ASSERT_EQUAL(p.major, 1);
	CU_ASSERT_EQUAL(p.minor, 0);
	CU_ASSERT_FALSE(p.has_patch);
	CU_ASSERT_EQUAL(ramhttp_protocol_parse(&p, S(" globalplatform-remote-admin/1.1.1\t")), 0);
	CU_ASSERT_TRUE(p.has_patch);
	CU_ASSERT_EQUAL(p.patch, 1);
	CU_ASSERT_EQUAL(ramhttp_protocol_parse(&p, S("globalplatform-remote-admin/1")), -EBADMSG);
	CU_ASSERT_EQUAL(ramhttp_protocol_parse(&p, S("globalplatform-remote-admin/1.0.")), -EBADMSG);
	CU_ASSERT_EQUAL(ramhttp_protocol_parse(&p, S("globalplatform-remote-admin/1.0x")), -EBADMSG);
	CU_ASSERT_EQUAL(ramhttp_protocol_parse(&p, S("GlobalPlatform-remote-admin/1.0")), -EBADMSG);
	CU_ASSERT_EQUAL(ramhttp_protocol_parse(&p, S("globalplatform-remote-admin/123456.0")), -EBADMSG);
	CU_ASSERT_EQUAL(ramhttp_protocol_parse(&p, S("")), -EBADMSG);
}

void test_ramhttp_from(void)
{
	static const char *v = "//se-id/eid/89049032123451234512345678901235;//aa-id/aid/A000000559/"
			       "1010FFFFFFFF8900000100";
	struct ramhttp_from f;
	char buf[160];
	size_t len;
	uint8_t *isdr = test_unhex("A0000005591010FFFFFFFF8900000100", &len);

	CU_ASSERT_EQUAL(ramhttp_from_parse(&f, S(v)), 0);
	CU_ASSERT_NSTRING_EQUAL(f.se_type, "eid", f.se_type_len);
	CU_ASSERT_EQUAL(f.se_id_len, 32);
	CU_ASSERT_TRUE(ramhttp_from_is_eid(&f));
	CU_ASSERT_EQUAL(f.spelling, RAMHTTP_AGENT_AA_ID);
	TEST_ASSERT_MEM_EQ(f.agent.aid, f.agent.len, isdr, len);
	CU_ASSERT_EQUAL(ramhttp_from_format(buf, sizeof(buf), f.se_id, f.se_id_len, isdr, len), (int)strlen(v));
	CU_ASSERT_STRING_EQUAL(buf, v);
	CU_ASSERT_EQUAL(ramhttp_from_format(buf, strlen(v), f.se_id, f.se_id_len, isdr, len), -EMSGSIZE);

	/* open-questions §14: a real card wrote `aaid`. */
	CU_ASSERT_EQUAL(ramhttp_from_parse(&f, S("//se-id/eid/89049032123451234512345678901235;//aaid/aid/a000000559/"
						 "1010ffffffff8900000100")),
			0);
	CU_ASSERT_EQUAL(f.spelling, RAMHTTP_AGENT_AAID);
	TEST_ASSERT_MEM_EQ(f.agent.aid, f.agent.len, isdr, len);
	/* A public SCP81 client test: a short se-id and an 11-byte PIX. */
	CU_ASSERT_EQUAL(ramhttp_from_parse(&f, S("//se-id/eid/123456;//aa-id/aid/0001020304/05060708090A0B0C0D0E0F")),
			0);
	CU_ASSERT_FALSE(ramhttp_from_is_eid(&f));
	TEST_ASSERT_HEX_EQ(f.agent.aid, f.agent.len, "000102030405060708090a0b0c0d0e0f");
	free(isdr);
}

void test_ramhttp_from_negative(void)
{
	static const char *bad[] = {
		"test_card_001",						    /* seen in a test harness: not GP */
		"//se-id/eid/8904;//aa-id/aid/A000000559",			    /* no PIX separator */
		"//se-id/eid/8904;//aa-id/aid/A0000005/591010",			    /* RID of 4 bytes */
		"//se-id/eid/8904;//aa-id/aid/A000000559/10101",		    /* odd PIX */
		"//se-id/eid/8904;//aa-id/aid/A000000559/1010FFFFFFFF890000010000", /* PIX 12 bytes */
		"//se-id/eid/8904//aa-id/aid/A000000559/1010",			    /* no ';' */
		"//se-id/eid/;//aa-id/aid/A000000559/1010",			    /* empty se-id */
		"//se-id//8904;//aa-id/aid/A000000559/1010",			    /* empty type */
		"//se-id/eid/89 04;//aa-id/aid/A000000559/1010",		    /* space in se-id */
		"//se-id/eid/8904;//aa/aid/A000000559/1010",			    /* agent spelling */
		"//se-id/eid/8904;//aa-id/aid/A000000559/10G0",			    /* non-hex */
		"//se-id/eid;//aa-id/aid/A000000559/1010",			    /* no type/value */
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct ramhttp_from f;

		CU_ASSERT_EQUAL(ramhttp_from_parse(&f, S(bad[i])), -EBADMSG);
	}
}

void test_ramhttp_targeted_app(void)
{
	static const char *v = "//aid/A000000559/1010FFFFFFFF8900001300";
	struct ramhttp_aid a;
	char buf[64];

	CU_ASSERT_EQUAL(ramhttp_targeted_app_parse(&a, S(v)), 0);
	TEST_ASSERT_HEX_EQ(a.aid, a.len, "A0000005591010FFFFFFFF8900001300");
	CU_ASSERT_EQUAL(ramhttp_targeted_app_format(buf, sizeof(buf), a.aid, a.len), (int)strlen(v));
	CU_ASSERT_STRING_EQUAL(buf, v);
	CU_ASSERT_EQUAL(ramhttp_targeted_app_format(buf, 10, a.aid, a.len), -EMSGSIZE);
	CU_ASSERT_EQUAL(ramhttp_targeted_app_format(buf, sizeof(buf), a.aid, 4), -EINVAL);
	CU_ASSERT_EQUAL(ramhttp_targeted_app_parse(&a, S("//aid/A000000559/")), 0); /* RID only */
	CU_ASSERT_EQUAL(a.len, 5);
	CU_ASSERT_EQUAL(ramhttp_targeted_app_parse(&a, S("/aid/A000000559/10")), -EBADMSG);
	CU_ASSERT_EQUAL(ramhttp_targeted_app_parse(&a, S("//aid/A000000559")), -EBADMSG);
	CU_ASSERT_EQUAL(ramhttp_targeted_app_parse(&a, S("//aid/A000000559/10/10")), -EBADMSG);
}

void test_ramhttp_next_uri_resume_status(void)
{
	const char *u;
	size_t n;
	bool b;
	enum ramhttp_script_status st;

	CU_ASSERT_EQUAL(ramhttp_next_uri_parse(&u, &n, S(" /ramNext/42 ")), 0);
	CU_ASSERT_NSTRING_EQUAL(u, "/ramNext/42", n);
	CU_ASSERT_EQUAL(n, 11);
	CU_ASSERT_EQUAL(ramhttp_next_uri_parse(&u, &n, S("https://smsr.example/ram?step=2")), 0);
	CU_ASSERT_EQUAL(ramhttp_next_uri_parse(&u, &n, S("")), -EBADMSG);
	CU_ASSERT_EQUAL(ramhttp_next_uri_parse(&u, &n, S("/a b")), -EBADMSG);
	CU_ASSERT_EQUAL(ramhttp_next_uri_parse(&u, &n, S("ramNext")), -EBADMSG);
	CU_ASSERT_EQUAL(ramhttp_next_uri_parse(&u, &n, S("/a\x01")), -EBADMSG);

	CU_ASSERT_EQUAL(ramhttp_resume_parse(&b, S("true")), 0);
	CU_ASSERT_TRUE(b);
	CU_ASSERT_EQUAL(ramhttp_resume_parse(&b, S("FALSE")), 0);
	CU_ASSERT_FALSE(b);
	CU_ASSERT_EQUAL(ramhttp_resume_parse(&b, S("yes")), -EBADMSG);

	for (const struct value_string *vs = ramhttp_script_status_names; vs->str; vs++) {
		CU_ASSERT_EQUAL(ramhttp_script_status_parse(&st, S(vs->str)), 0);
		CU_ASSERT_EQUAL((unsigned int)st, vs->value);
	}
	CU_ASSERT_EQUAL(ramhttp_script_status_parse(&st, S("unknown-application ")), 0); /* WT card trace */
	CU_ASSERT_EQUAL(st, RAMHTTP_SCRIPT_UNKNOWN_APPLICATION);
	CU_ASSERT_TRUE(ramhttp_script_status_is_amd_b(st));
	CU_ASSERT_FALSE(ramhttp_script_status_is_amd_b(RAMHTTP_SCRIPT_FORMAT_ERROR));
	CU_ASSERT_EQUAL(ramhttp_script_status_parse(&st, S("OK")), -EBADMSG);
	CU_ASSERT_EQUAL(ramhttp_script_status_parse(&st, S("ok2")), -EBADMSG);
	CU_ASSERT_EQUAL(ramhttp_script_status_parse(&st, S("")), -EBADMSG);
}

void test_ramhttp_content_type(void)
{
	static const struct {
		const char *v;
		enum ramhttp_content kind;
		bool v10;
	} good[] = {
		{ RAMHTTP_CT_GP_COMMAND, RAMHTTP_CONTENT_GP_COMMAND, true },
		{ RAMHTTP_CT_GP_RESPONSE, RAMHTTP_CONTENT_GP_RESPONSE, true },
		{ RAMHTTP_CT_ETSI_COMMAND, RAMHTTP_CONTENT_ETSI_COMMAND, true },
		/* trailing space as one SCP81 client sends it */
		{ "application/vnd.globalplatform.card-content-mgt-response;version=1.0 ", RAMHTTP_CONTENT_GP_RESPONSE,
		  true },
		{ "Application/Vnd.GlobalPlatform.Card-Content-Mgt ; Version = \"1.0\"", RAMHTTP_CONTENT_GP_COMMAND,
		  true },
		{ "application/vnd.globalplatform.card-content-mgt;version=1.1.1", RAMHTTP_CONTENT_GP_COMMAND, false },
	};
	static const char *bad[] = {
		"application/vnd.globalplatform.card-content-mgt",		 /* no version */
		"application/vnd.globalplatform.card-content-mgtx;version=1.0",	 /* other type */
		"application/vnd.globalplatform.card-content-mgt;version=",	 /* empty */
		"application/vnd.globalplatform.card-content-mgt;version=\"1.0", /* open quote */
		"application/vnd.globalplatform.card-content-mgt;version=1.0;charset=utf-8",
		"application/vnd.globalplatform.card-content-mgt;version=abc",
		"text/plain;version=1.0",
		"application/vnd.globalplatform.card-content-mgt;level=1.0",
	};
	struct ramhttp_content_type ct;

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		CU_ASSERT_EQUAL(ramhttp_content_type_parse(&ct, S(good[i].v)), 0);
		CU_ASSERT_EQUAL(ct.kind, good[i].kind);
		CU_ASSERT_EQUAL(ct.version_1_0, good[i].v10);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CU_ASSERT_EQUAL(ramhttp_content_type_parse(&ct, S(bad[i])), -EBADMSG);
}

static struct ramhttp_psk_id sample_psk_id(void)
{
	struct ramhttp_psk_id id = {
		.format = RAMHTTP_PSK_ID_TLV_HEX_V4, .format_version = 0x02, .key_id = 0x01, .kvn = 0x40
	};
	size_t len;
	uint8_t *eid = test_unhex("89049032123451234512345678901235", &len);
	uint8_t *aid = test_unhex("A0000005591010FFFFFFFF8900000100", &len);

	memcpy(id.eid, eid, 16);
	memcpy(id.aid, aid, 16);
	id.aid_len = 16;
	free(eid);
	free(aid);
	return id;
}

/* 80 01 02 | 81 10 EID | 4F 10 ISD-R | 82 01 01 | 83 01 40 (KVN 40: SCP81 key set, digest §5.2) */
static const char *psk_hex = "800102"
			     "811089049032123451234512345678901235"
			     "4F10A0000005591010FFFFFFFF8900000100"
			     "820101"
			     "830140";

void test_ramhttp_psk_id_v4(void)
{
	struct ramhttp_psk_id id = sample_psk_id(), back;
	char buf[128], lower[128];

	CU_ASSERT_EQUAL(ramhttp_psk_id_build(buf, sizeof(buf), &id), 90);
	CU_ASSERT_STRING_EQUAL(buf, psk_hex);
	CU_ASSERT_EQUAL(ramhttp_psk_id_parse(&back, RAMHTTP_PSK_ID_TLV_HEX_V4, buf, 90), 0);
	CU_ASSERT_EQUAL(back.format_version, 2);
	CU_ASSERT_EQUAL(back.key_id, 1);
	CU_ASSERT_EQUAL(back.kvn, 0x40);
	TEST_ASSERT_MEM_EQ(back.eid, 16, id.eid, 16);
	TEST_ASSERT_MEM_EQ(back.aid, back.aid_len, id.aid, id.aid_len);
	for (size_t i = 0; i <= 90; i++)
		lower[i] = (char)(buf[i] >= 'A' && buf[i] <= 'F' ? buf[i] + 32 : buf[i]);
	CU_ASSERT_EQUAL(ramhttp_psk_id_parse(&back, RAMHTTP_PSK_ID_TLV_HEX_V4, lower, 90), 0);
	CU_ASSERT_EQUAL(ramhttp_psk_id_build(buf, 90, &id), -EMSGSIZE);
	/* Every truncation is rejected. */
	for (size_t n = 0; n < 90; n++)
		CU_ASSERT_EQUAL(ramhttp_psk_id_parse(&back, RAMHTTP_PSK_ID_TLV_HEX_V4, psk_hex, n), -EBADMSG);
	/* The same string as an opaque identity. */
	CU_ASSERT_EQUAL(ramhttp_psk_id_parse(&back, RAMHTTP_PSK_ID_OPAQUE, psk_hex, 90), 0);
	CU_ASSERT_PTR_EQUAL(back.opaque, psk_hex);
	CU_ASSERT_EQUAL(ramhttp_psk_id_build(buf, sizeof(buf), &back), 90);
	CU_ASSERT_STRING_EQUAL(buf, psk_hex);
	CU_ASSERT_STRING_EQUAL(get_value_string(ramhttp_psk_id_format_names, RAMHTTP_PSK_ID_TLV_HEX_V4), "tlv-hex-v4");
}

void test_ramhttp_psk_id_negative(void)
{
	static const char *bad[] = {
		"811089049032123451234512345678901235800102"
		"4F10A0000005591010FFFFFFFF8900000100820101830140", /* 80 not first */
		"800102811089049032123451234512345678901235"
		"4F10A0000005591010FFFFFFFF8900000100820101", /* no 83 */
		"800102811089049032123451234512345678901235"
		"4F10A0000005591010FFFFFFFF8900000100820101830140830140", /* 83 twice */
		"800102810F890490321234512345123456789012"
		"4F10A0000005591010FFFFFFFF8900000100820101830140", /* EID of 15 bytes */
		"800102811089049032123451234512345678901235"
		"4F04A0000005820101830140", /* AID of 4 bytes */
		"800102811089049032123451234512345678901235"
		"4F10A0000005591010FFFFFFFF8900000100820101830140840100", /* extra tag */
		"8001028110890490321234512345123456789012354F10A0000005591010FFFFFFFF890000010082010183014", /* odd */
		"800102811089049032123451234512345678901235"
		"4F10A0000005591010FFFFFFFF8900000100820101 830140", /* space */
		"80020202",
	};
	struct ramhttp_psk_id id = sample_psk_id(), back;
	uint8_t tlv[8];
	char buf[300];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CU_ASSERT_EQUAL(ramhttp_psk_id_parse(&back, RAMHTTP_PSK_ID_TLV_HEX_V4, S(bad[i])), -EBADMSG);
	memset(buf, 'A', sizeof(buf));
	CU_ASSERT_EQUAL(ramhttp_psk_id_parse(&back, RAMHTTP_PSK_ID_OPAQUE, buf, RAMHTTP_PSK_ID_MAX + 1), -EBADMSG);
	CU_ASSERT_EQUAL(ramhttp_psk_id_parse(&back, RAMHTTP_PSK_ID_OPAQUE, buf, 0), -EBADMSG);
	CU_ASSERT_EQUAL(ramhttp_psk_id_parse(&back, (enum ramhttp_psk_id_format)9, buf, 4), -EINVAL);
	CU_ASSERT_EQUAL(ramhttp_psk_id_tlv_encode(tlv, sizeof(tlv), &id), -EMSGSIZE);
	id.aid_len = 4;
	CU_ASSERT_EQUAL(ramhttp_psk_id_tlv_encode(tlv, sizeof(tlv), &id), -EINVAL);
}

static int psk_cb(const uint8_t *buf, size_t len, void *priv)
{
	struct ramhttp_psk_id id;

	return ramhttp_psk_id_parse(&id, RAMHTTP_PSK_ID_TLV_HEX_V4, (const char *)buf, len);
}

static int from_cb(const uint8_t *buf, size_t len, void *priv)
{
	struct ramhttp_from f;

	return ramhttp_from_parse(&f, (const char *)buf, len);
}

void test_ramhttp_mutations(void)
{
	static const char *from = "//se-id/eid/89049032123451234512345678901235;//aa-id/aid/A000000559/"
				  "1010FFFFFFFF8900000100";
	unsigned long a = test_mutations_run((const uint8_t *)psk_hex, strlen(psk_hex), psk_cb, NULL);
	unsigned long b = test_mutations_run((const uint8_t *)from, strlen(from), from_cb, NULL);

	/* Hex digits of values may change (15 other hex chars per position at least for EID/AID). */
	CU_ASSERT(a > 500);
	CU_ASSERT(b > 500);
	/* A prefix of the From value is never valid up to the RID separator. */
	CU_ASSERT_EQUAL(test_truncations_run((const uint8_t *)from, 68, from_cb, NULL), 0);
}

/* The notification in the first POST: WHTY's device simulator's E1 (open-questions §9: E1 35 4C10<EID>
 * 4D01 02 4E02 0000 4F10<AID> 1408<IMEI>) as NJ reads it from the `msg` query parameter. */
void test_ramhttp_notif_uri(void)
{
	static const char *e1_hex = "E1354C1089049032123451234512345678901235"
				    "4D01024E0200004F10A0000005591010FFFFFFFF89000011001408"
				    "3512345678901234";
	size_t e1_len = 0;
	uint8_t *e1 = test_unhex(e1_hex, &e1_len), out[64];
	char uri[256], lower[256];
	int n;

	n = ramhttp_notif_uri_build(uri, sizeof(uri), "/gsma/adminagent", e1, e1_len);
	CU_ASSERT_EQUAL(n, (int)(strlen("/gsma/adminagent?msg=") + 2 * e1_len));
	CU_ASSERT_EQUAL(strncmp(uri, "/gsma/adminagent?msg=E1354C10", 29), 0);
	CU_ASSERT_EQUAL(ramhttp_notif_from_uri(out, sizeof(out), uri, (size_t)n), (int)e1_len);
	TEST_ASSERT_MEM_EQ(out, e1_len, e1, e1_len);
	/* lower case, among other parameters, in any order */
	snprintf(lower, sizeof(lower), "/a?x=1&msg=%s&y", "e1034c0101");
	CU_ASSERT_EQUAL(ramhttp_notif_from_uri(out, sizeof(out), S(lower)), 5);
	TEST_ASSERT_HEX_EQ(out, 5, "E1034C0101");
	/* no msg: 0, nothing decoded */
	CU_ASSERT_EQUAL(ramhttp_notif_from_uri(out, sizeof(out), S("/gsma/adminagent")), 0);
	CU_ASSERT_EQUAL(ramhttp_notif_from_uri(out, sizeof(out), S("/gsma/adminagent?mesg=E1")), 0);
	CU_ASSERT_EQUAL(ramhttp_notif_from_uri(out, sizeof(out), S("/gsma/adminagent?xmsg=E1")), 0);
	/* refusals */
	CU_ASSERT_EQUAL(ramhttp_notif_from_uri(out, sizeof(out), S("/a?msg=")), -EBADMSG);
	CU_ASSERT_EQUAL(ramhttp_notif_from_uri(out, sizeof(out), S("/a?msg=E10")), -EBADMSG);
	CU_ASSERT_EQUAL(ramhttp_notif_from_uri(out, sizeof(out), S("/a?msg=E1G0")), -EBADMSG);
	CU_ASSERT_EQUAL(ramhttp_notif_from_uri(out, sizeof(out), S("/a?msg=E100&msg=E100")), -EBADMSG);
	CU_ASSERT_EQUAL(ramhttp_notif_from_uri(out, 1, S("/a?msg=E100")), -EMSGSIZE);
	CU_ASSERT_EQUAL(ramhttp_notif_uri_build(uri, sizeof(uri), "/a?b=c", e1, e1_len), -EINVAL);
	CU_ASSERT_EQUAL(ramhttp_notif_uri_build(uri, sizeof(uri), "/a", e1, 0), -EINVAL);
	CU_ASSERT_EQUAL(ramhttp_notif_uri_build(uri, 30, "/gsma/adminagent", e1, e1_len), -EMSGSIZE);
	/* either carriage from a whole first POST: the msg parameter wins, else an E1 body */
	{
		enum ramhttp_notif_carriage how;
		static const uint8_t body[] = { 0xE1, 0x03, 0x4C, 0x01, 0x01 }, af[] = { 0xAF, 0x80, 0x00, 0x00 };

		CU_ASSERT_EQUAL(ramhttp_notif_from_post(out, sizeof(out), uri, (size_t)n, body, sizeof(body), &how),
				(int)e1_len);
		CU_ASSERT_EQUAL(how, RAMHTTP_NOTIF_URI_MSG);
		CU_ASSERT_EQUAL(
			ramhttp_notif_from_post(out, sizeof(out), S("/gsma/adminagent"), body, sizeof(body), &how), 5);
		CU_ASSERT_EQUAL(how, RAMHTTP_NOTIF_BODY);
		TEST_ASSERT_HEX_EQ(out, 5, "E1034C0101");
		CU_ASSERT_EQUAL(ramhttp_notif_from_post(out, sizeof(out), S("/gsma/adminagent"), af, sizeof(af), &how),
				0);
		CU_ASSERT_EQUAL(ramhttp_notif_from_post(out, sizeof(out), S("/gsma/adminagent"), NULL, 0, &how), 0);
		CU_ASSERT_EQUAL(ramhttp_notif_from_post(out, 3, S("/gsma/adminagent"), body, sizeof(body), &how),
				-EMSGSIZE);
	}
	{
		uint8_t big[RAMHTTP_NOTIF_MAX + 1] = { 0xE1 };
		char *u = malloc(2 * sizeof(big) + 16);

		CU_ASSERT_EQUAL(ramhttp_notif_uri_build(u, 2 * sizeof(big) + 16, "/a", big, sizeof(big)), -EINVAL);
		free(u);
	}
	free(e1);
}
