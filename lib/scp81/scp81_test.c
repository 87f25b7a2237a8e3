/* Tests of the SCP81 Administration Session Triggering Parameters codec (lib/scp81).
 *
 * Sources:
 *  [PYSIM-HTTP] osmocom/pysim pySim/global_platform/http.py _test_de_encode: security parameters
 *               `850804deadbeef020040` (psk-id deadbeef, KVN 00, KID 40), admin host `8a0a…` "admin.host",
 *               admin URI `8c16…` "https://admin.host/uri".
 *  [NJ]         bagyenda/njiwa RamHttp.makeRAMHttpPushCommand: `81 00` for the card defaults; the retry
 *               policy as counter ‖ A5 03 hh mm ss (binary) ‖ 87 00; the agent id as the X-Admin-From value.
 *  [DIGEST]     sgp02-digest §5.2: the 84 channel parameters 35 01 03, 39 02 05 00, 3C 03 02 port,
 *               3E 05 21 IPv4, CR clear.
 * The full trigger below is those pieces assembled by hand (lengths computed, not captured). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/scp81/scp81.h"
#include "lib/test/runner.h"

static const char *minimal = "8100"; /* [NJ] */

static const char *full = "8181b0"		 /* 81: triggering parameters */
			  "8381ad"		 /*   83: session parameters */
			  "8413"		 /*     84: connection parameters [DIGEST] */
			  "350103"		 /*       default bearer */
			  "39020500"		 /*       buffer size 1280 */
			  "3c030201bb"		 /*       TCP client, port 443 */
			  "3e05217f000001"	 /*       IPv4 127.0.0.1 */
			  "850804deadbeef020040" /*  85 [PYSIM-HTTP] */
			  "8609"		 /*     86 [NJ]: 3 retries, 1 minute (binary), failure report */
			  "0003a50300010087 00"
			  "898180"		     /*     89: HTTP POST parameters */
			  "8a0a61646d696e2e686f7374" /*       [PYSIM-HTTP] admin.host */
			  "8b5a2f2f73652d69642f6569642f38393030313031323031323334313233343031323334353637383930"
			  "313232343b2f2f61612d69642f6169642f413030303030303535392f313031304646464646464646383930"
			  "303030303130"
			  "30" /* 8B [NJ]: //se-id/eid/<EID>;//aa-id/aid/A000000559/1010FFFFFFFF8900000100 */
			  "8c1668747470733a2f2f61646d696e2e686f73742f757269"; /* [PYSIM-HTTP] */

static int dec(const uint8_t *buf, size_t len, void *priv)
{
	struct scp81_trigger t;

	return scp81_trigger_decode(&t, buf, len);
}

static void round_trip(const char *hex)
{
	size_t len;
	uint8_t *buf = test_unhex(hex, &len), out[512];
	struct scp81_trigger t;
	int n;

	CU_ASSERT_EQUAL_FATAL(scp81_trigger_decode(&t, buf, len), (int)len);
	n = scp81_trigger_encode(out, sizeof(out), &t);
	TEST_ASSERT_HEX_EQ(out, n > 0 ? (size_t)n : 0, hex);
	CU_ASSERT_EQUAL(scp81_trigger_encode(out, (size_t)n, &t), n); /* exact fit */
	for (size_t cap = 0; n > 0 && cap < (size_t)n; cap++)
		CU_ASSERT_EQUAL(scp81_trigger_encode(out, cap, &t), -EMSGSIZE);
	CU_ASSERT_EQUAL(TEST_TRUNCATIONS_REJECTED(buf, len, dec, NULL), 0);
	CU_ASSERT_TRUE(test_mutations_run(buf, len, dec, NULL) > 0);
	free(buf);
}

void test_scp81_minimal(void)
{
	size_t len;
	uint8_t *buf = test_unhex(minimal, &len);
	struct scp81_trigger t;

	CU_ASSERT_EQUAL(scp81_trigger_decode(&t, buf, len), 2);
	CU_ASSERT_FALSE(t.has_session);
	CU_ASSERT_FALSE(t.has_connection);
	CU_ASSERT_EQUAL(t.unknown, 0);
	free(buf);
	round_trip(minimal);
}

void test_scp81_full(void)
{
	size_t len;
	uint8_t *buf = test_unhex(full, &len);
	struct scp81_trigger t;
	uint32_t secs;

	CU_ASSERT_EQUAL(scp81_trigger_decode(&t, buf, len), (int)len);
	CU_ASSERT_TRUE(t.has_session);
	CU_ASSERT_TRUE(t.has_connection);
	CU_ASSERT_FALSE(t.connection.cr);
	CU_ASSERT_EQUAL(t.connection.bearer_type, CAT_BEARER_DEFAULT);
	CU_ASSERT_EQUAL(t.connection.buffer_size, 1280);
	CU_ASSERT_EQUAL(t.connection.transport, CAT_TRANSPORT_TCP_CLIENT_REMOTE);
	CU_ASSERT_EQUAL(t.connection.port, 443);
	TEST_ASSERT_HEX_EQ(t.connection.dest_addr.data, t.connection.dest_addr.len, "217f000001");
	CU_ASSERT_TRUE(t.has_security);
	TEST_ASSERT_HEX_EQ(t.psk_id.data, t.psk_id.len, "deadbeef");
	CU_ASSERT_EQUAL(t.kvn, 0x00);
	CU_ASSERT_EQUAL(t.kid, 0x40);
	CU_ASSERT_FALSE(t.has_sha);
	CU_ASSERT_TRUE(t.has_retry);
	CU_ASSERT_EQUAL(t.retry_counter, 3);
	TEST_ASSERT_HEX_EQ(t.retry_failure.data, t.retry_failure.len, "8700");
	CU_ASSERT_EQUAL(scp81_retry_delay_get(&t, SCP81_TIMER_BINARY, &secs), 0);
	CU_ASSERT_EQUAL(secs, 60);
	CU_ASSERT_EQUAL(scp81_retry_delay_get(&t, SCP81_TIMER_BCD, &secs), 0);
	CU_ASSERT_EQUAL(secs, 600); /* the same bytes read as swapped BCD: 00 h, "10" min: why it is a variant */
	CU_ASSERT_TRUE(t.has_http_post);
	CU_ASSERT_EQUAL(t.admin_host.len, 10);
	CU_ASSERT_EQUAL(memcmp(t.admin_host.data, "admin.host", 10), 0);
	CU_ASSERT_EQUAL(t.admin_uri.len, 22);
	CU_ASSERT_EQUAL(memcmp(t.admin_uri.data, "https://admin.host/uri", 22), 0);
	CU_ASSERT_EQUAL(t.agent_id.len, 90);
	CU_ASSERT_EQUAL(memcmp(t.agent_id.data, "//se-id/eid/8900", 16), 0);
	CU_ASSERT_PTR_NULL(t.dns.data);
	CU_ASSERT_EQUAL(t.unknown, 0);
	free(buf);
	round_trip(full);
}

void test_scp81_build(void)
{
	/* the SM-SR side: a push to 10.0.0.1:8443 with KVN 40 / KID 01, 5 retries every 90 s (BCD) */
	static const uint8_t addr[] = { CAT_ADDR_IPV4, 10, 0, 0, 1 };
	static const char psk[] = "8001028110";
	struct scp81_trigger t = {
		.has_session = true,
		.has_connection = true,
		.connection = {
			.has_bearer = true, .bearer_type = CAT_BEARER_DEFAULT,
			.has_buffer_size = true, .buffer_size = 1024,
			.has_transport = true, .transport = CAT_TRANSPORT_TCP_CLIENT_REMOTE, .port = 8443,
			.dest_addr = { addr, sizeof(addr) },
		},
		.has_security = true,
		.psk_id = { (const uint8_t *)psk, 10 },
		.kvn = 0x40,
		.kid = 0x01,
		.has_retry = true,
		.retry_counter = 5,
		.has_http_post = true,
		.admin_uri = { (const uint8_t *)"/smsr", 5 },
	};
	struct scp81_trigger back;
	uint8_t out[128];
	uint32_t secs;
	int n;

	CU_ASSERT_EQUAL(scp81_retry_delay_set(&t, SCP81_TIMER_BCD, 90), 0);
	TEST_ASSERT_HEX_EQ(t.retry_delay, 5, "a503001003"); /* 0 h, 01 min -> 10, 30 s -> 03 */
	n = scp81_trigger_encode(out, sizeof(out), &t);
	TEST_ASSERT_HEX_EQ(out, n > 0 ? (size_t)n : 0,
			   "8139 8337"
			   "8413 350103 39020400 3c030220fb 3e05210a000001"
			   "850e 0a38303031303238313130 024001"
			   "8607 0005 a503001003"
			   "8907 8c052f736d7372");
	CU_ASSERT_EQUAL(scp81_trigger_decode(&back, out, (size_t)n), n);
	CU_ASSERT_EQUAL(back.kvn, 0x40);
	CU_ASSERT_EQUAL(scp81_retry_delay_get(&back, SCP81_TIMER_BCD, &secs), 0);
	CU_ASSERT_EQUAL(secs, 90);
	CU_ASSERT_EQUAL(back.retry_failure.len, 0);

	CU_ASSERT_EQUAL(scp81_retry_delay_set(&t, SCP81_TIMER_BINARY, 255 * 3600 + 59 * 60 + 59), 0);
	TEST_ASSERT_HEX_EQ(t.retry_delay, 5, "a503ff3b3b");
	CU_ASSERT_EQUAL(scp81_retry_delay_set(&t, SCP81_TIMER_BINARY, 256 * 3600), -EINVAL);
	CU_ASSERT_EQUAL(scp81_retry_delay_set(&t, SCP81_TIMER_BCD, 100 * 3600), -EINVAL);
	CU_ASSERT_EQUAL(scp81_retry_delay_set(&t, (enum scp81_timer_coding)7, 1), -EINVAL);
	CU_ASSERT_EQUAL(scp81_retry_delay_get(&t, SCP81_TIMER_BCD, &secs), -EBADMSG); /* ff is no BCD */
	memcpy(t.retry_delay, "\x84\x03\x00\x00\x01", 5);
	CU_ASSERT_EQUAL(scp81_retry_delay_get(&t, SCP81_TIMER_BINARY, &secs), -EBADMSG); /* not a timer TLV */
	memcpy(t.retry_delay, "\x25\x03\x00\x60\x00", 5);
	CU_ASSERT_EQUAL(scp81_retry_delay_get(&t, SCP81_TIMER_BINARY, &secs), -EBADMSG); /* 96 minutes */
	CU_ASSERT_EQUAL(scp81_retry_delay_get(&t, SCP81_TIMER_BCD, &secs), 0);		 /* "06" min */
	CU_ASSERT_EQUAL(secs, 360);
	CU_ASSERT_STRING_EQUAL(get_value_string(scp81_timer_coding_names, SCP81_TIMER_DEFAULT), "bcd");

	t.psk_id.len = 256;
	CU_ASSERT_EQUAL(scp81_trigger_encode(out, sizeof(out), &t), -EINVAL);
}

void test_scp81_negative(void)
{
	static const struct {
		const char *hex;
		int rc;
	} v[] = {
		{ "", -EAGAIN },
		{ "81", -EAGAIN },
		{ "8103 8300", -EAGAIN },
		{ "8200", -EBADMSG },				 /* not 81 */
		{ "8104 8300 8300", -EBADMSG },			 /* two 83 */
		{ "8104 8302 8405", -EBADMSG },			 /* 84 overruns 83 */
		{ "8105 8303 840135", -EBADMSG },		 /* CTLV inside 84 overruns 84 */
		{ "8107 8305 8403 390105", -EBADMSG },		 /* buffer size of 1 byte */
		{ "8106 8304 85020100", -EBADMSG },		 /* 85 too short */
		{ "810b 8309 850705aabbccdd0240", -EBADMSG },	 /* psk-id length beyond 85 */
		{ "810a 8308 850604aabbccdd02", -EBADMSG },	 /* no KVN / KID */
		{ "810b 8309 8507 02010203400100", -EBADMSG },	 /* KVN/KID length 03 */
		{ "810c 830a 8508 020102024001aabb", -EBADMSG }, /* 2 bytes after KID */
		{ "8109 8307 8605 0003a50300", -EBADMSG },	 /* retry policy too short */
		{ "8107 8305 8903 8a0261", -EBADMSG },		 /* 89 inner overrun */
		{ "810a 8308 8906 8a0161 8a0161", -EBADMSG },	 /* two admin hosts */
		{ "8104 8301 8900", -EBADMSG },			 /* 89 header cut by the end of 83 */
	};
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		size_t len;
		uint8_t *buf = test_unhex(v[i].hex, &len);
		struct scp81_trigger t;
		int rc = scp81_trigger_decode(&t, buf, len);

		if (rc != v[i].rc)
			fprintf(stderr, "vector %zu: rc %d, want %d\n", i, rc, v[i].rc);
		CU_ASSERT_EQUAL(rc, v[i].rc);
		free(buf);
	}
}

void test_scp81_unknown_and_extras(void)
{
	/* a SHA type byte after KID [PYSIM-HTTP 'sha_type'], an A5 extended-security blob, an unknown 9F tag
	 * in 83, an 8D in 89 and a B3 DNS block: decoded or counted, never rejected */
	static const char *hex = "811e 8316 8509 04deadbeef02004002 a50101 9f010100 8902 8d00 b304 d6026162";
	size_t len;
	uint8_t *buf = test_unhex(hex, &len);
	struct scp81_trigger t;

	CU_ASSERT_EQUAL(scp81_trigger_decode(&t, buf, len), (int)len);
	CU_ASSERT_TRUE(t.has_sha);
	CU_ASSERT_EQUAL(t.sha_type, 2);
	TEST_ASSERT_HEX_EQ(t.ext_security.data, t.ext_security.len, "01");
	TEST_ASSERT_HEX_EQ(t.dns.data, t.dns.len, "d6026162");
	CU_ASSERT_EQUAL(t.unknown, 2);
	CU_ASSERT_TRUE(t.has_http_post);
	CU_ASSERT_PTR_NULL(t.admin_uri.data);
	free(buf);
}
