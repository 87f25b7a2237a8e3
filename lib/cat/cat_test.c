/* Tests of the CAT codecs (lib/cat): proactive commands, TERMINAL RESPONSEs, ENVELOPEs, TERMINAL PROFILE.
 *
 * Sources of the vectors (read with the search tools, bytes re-typed here):
 *  [PYSIM-BIP]  osmocom/pysim tests/unittests/test_bip_relay.py: the data-available ENVELOPE
 *               `d60e99010982028281b8028100b701XX`, TERMINAL RESPONSE device identities `82028281`,
 *               channel status `8100` / `8200`, BIP error 3A with "channel identifier not valid", and the
 *               OPEN / SEND / RECEIVE / CLOSE commands it assembles from pySim's IE encoders.
 *  [PYSIM-IE]   osmocom/pysim pySim/cat.py _test_de_encode: bearer description `b50103`, other address
 *               `be052101020304`, transport level `bc03028000`, network access name `c704036e6161`.
 *  [PYSIM-IMEI] osmocom/pysim tests/unittests/test_cat.py: IMEI 123456789012345 = `94081a32547698103254`.
 *  [PYSIM-TP]   osmocom/pysim tests/pySim-trace_test/pySim-trace_test_gsmtap.pcapng.ok: the TERMINAL
 *               PROFILE a real terminal sent, `ffffffff7f9d00dfbf00001fe2000000c36b000700004000500000000008`.
 *  [PYSIM-SMPP] osmocom/pysim pySim-smpp2sim.py handle_submit_sm / handle_OpenChannel: the SMS-PP ENVELOPE
 *               objects (device identities network -> UICC, address TON/NPI 00 "0123456") and the OPEN
 *               CHANNEL TERMINAL RESPONSE objects (channel status 8100, bearer and buffer size echoed).
 *  [DIGEST]     the project's sgp02-digest §5.2 channel parameters (35 01 03, 39 02 05 00, 3C 03 02 port,
 *               3E 05 21 IPv4), CR clear, as in lib/tlv/ctlv_test.c.
 *  [HAND]       built by hand from the TS 102 223 / TS 23.040 layouts where no public capture was found. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/cat/cat.h"
#include "lib/test/runner.h"

/* [PYSIM-BIP] _open_channel(): qualifier 3, default bearer, buffer 1024, TCP client port 32768 [PYSIM-IE],
 * IPv4 127.0.0.1 — every object with CR set, as pySim encodes them. */
static const char *oc_pysim = "d01c 8103014003 82028182 b50103 b9020400 bc03028000 be05217f000001";
/* [DIGEST] OPEN CHANNEL with the channel parameters CR clear: buffer 1280, TCP client port 443. */
static const char *oc_digest = "d01c 8103014001 82028182 350103 39020500 3c030201bb 3e05217f000001";
/* [HAND] OPEN CHANNEL for packet data (TS 102 223 §6.6.27.4): alpha id, GPRS bearer, APN "naa" [PYSIM-IE],
 * local address (dynamic IPv4), login/password text strings, UDP port 1024, IPv6 destination. */
static const char *oc_full = "d048 8103014003 82028182 8503414243 b50702000000000002 b9020578 c704036e6161 be0121"
			     "8d0404757372 8d0404707764 bc03010400 be1157 20010000000000000000000000000001";
/* [PYSIM-BIP] _send_data(b"Hello", channel_1), qualifier 1 = send immediately */
static const char *send_data = "d010 8103014301 82028121 b60548656c6c6f";
/* [PYSIM-BIP] _receive_data(16) and _close_channel() */
static const char *receive_data = "d00c 8103014200 82028121 b70110";
static const char *close_channel = "d009 8103014100 82028121";
/* [HAND] REFRESH UICC reset (§6.4.7, qualifier 04) and PROVIDE LOCAL INFORMATION IMEI (qualifier 01) */
static const char *refresh_reset = "d009 8103010104 82028182";
static const char *pli_imei = "d009 8103012601 82028182";
/* [HAND] SEND SHORT MESSAGE to the network: SC address, SMS-SUBMIT (TS 23.040: MTI 01, MR 00, DA "1234",
 * PID 7F, DCS F6, UDL 3, UD = UDH 02 71 00) */
static const char *send_sms = "d01d 8103011300 82028183 860491214365 8b0c 0100048121437ff603027100";
/* [HAND] SET UP EVENT LIST: location status, data available, channel status */
static const char *event_list = "d00e 8103010500 82028182 9903 03090a";

/* [PYSIM-SMPP] OPEN CHANNEL TERMINAL RESPONSE: channel 1 established, bearer and buffer size echoed */
static const char *tr_open = "8103014003 82028281 830100 b8028100 b50103 b9020400";
/* [PYSIM-BIP] SEND DATA ok, 255+ bytes of Tx space free (channel data length FF) */
static const char *tr_send = "8103014301 82028281 830100 b701ff";
/* [PYSIM-BIP] RECEIVE DATA "PONG", nothing left */
static const char *tr_receive = "8103014200 82028281 830100 b604504f4e47 b70100";
/* [PYSIM-BIP] SEND DATA on a channel never opened: BIP error, channel identifier not valid */
static const char *tr_bip_error = "8103014301 82028281 83023a03";
/* [PYSIM-IMEI] PROVIDE LOCAL INFORMATION (IMEI) */
static const char *tr_imei = "8103012601 82028281 830100 94081a32547698103254";
/* [HAND] PROVIDE LOCAL INFORMATION (location): MCC 262 MNC 02, LAC 0001, cell id 0002 */
static const char *tr_location = "8103012600 82028281 830100 930762f22000010002";
/* [PYSIM-BIP] GET CHANNEL STATUS with channels 1 and 2 established ("8100", "8200") */
static const char *tr_chan_status = "8103014400 82028281 830100 b8028100 b8028200";

/* [PYSIM-BIP] data available: channel 1 established, 4 bytes ("PONG") available */
static const char *env_data_available = "d60e99010982028281b8028100b70104";
/* [HAND] channel status event: channel 1, link dropped (§8.56 further info 05) */
static const char *env_chan_status = "d60b 99010a 82028281 b8020105";
/* [HAND] location status: normal service with location information; limited service without */
static const char *env_loc_normal = "d613 990103 82028281 9b0100 930762f22000010002";
static const char *env_loc_limited = "d60a 990103 82028281 9b0101";
/* [PYSIM-SMPP] SMS-PP data download; the TPDU is a hand-built SMS-DELIVER (TS 23.040: UDHI, OA "1234",
 * PID 7F, DCS F6, SCTS, UDL 8, UDH 02 70 00 and 5 bytes of secured packet) */
static const char *env_sms_pp = "d124 82028381 86050010 3254f6 8b17 40048121437ff632101021436500080270000003112233";

/* [PYSIM-TP] */
static const char *tp_real = "ffffffff7f9d00dfbf00001fe2000000c36b000700004000500000000008";

static int dec_proactive(const uint8_t *buf, size_t len, void *priv)
{
	struct cat_proactive c;

	return cat_proactive_decode(&c, buf, len);
}

static int dec_tr(const uint8_t *buf, size_t len, void *priv)
{
	struct cat_terminal_response tr;

	return cat_terminal_response_decode(&tr, buf, len);
}

static int dec_envelope(const uint8_t *buf, size_t len, void *priv)
{
	struct cat_envelope e;

	return cat_envelope_decode(&e, buf, len);
}

/* decode -> encode must reproduce the vector; every smaller output buffer must give -EMSGSIZE. */
static void proactive_round_trip(const char *hex)
{
	size_t len;
	uint8_t *buf = test_unhex(hex, &len), out[512];
	struct cat_proactive c;
	int n;

	CU_ASSERT_EQUAL_FATAL(cat_proactive_decode(&c, buf, len), (int)len);
	n = cat_proactive_encode(out, sizeof(out), &c);
	TEST_ASSERT_HEX_EQ(out, n > 0 ? (size_t)n : 0, hex);
	for (size_t cap = 0; n > 0 && cap < (size_t)n; cap++)
		CU_ASSERT_EQUAL(cat_proactive_encode(out, cap, &c), -EMSGSIZE);
	CU_ASSERT_EQUAL(TEST_TRUNCATIONS_REJECTED(buf, len, dec_proactive, NULL), 0);
	CU_ASSERT_TRUE(test_mutations_run(buf, len, dec_proactive, NULL) > 0);
	free(buf);
}

static void tr_round_trip(const char *hex)
{
	size_t len;
	uint8_t *buf = test_unhex(hex, &len), out[512];
	struct cat_terminal_response tr;
	int n;

	CU_ASSERT_EQUAL_FATAL(cat_terminal_response_decode(&tr, buf, len), (int)len);
	n = cat_terminal_response_encode(out, sizeof(out), &tr);
	TEST_ASSERT_HEX_EQ(out, n > 0 ? (size_t)n : 0, hex);
	for (size_t cap = 0; n > 0 && cap < (size_t)n; cap++)
		CU_ASSERT_EQUAL(cat_terminal_response_encode(out, cap, &tr), -EMSGSIZE);
	test_truncations_run(buf, len, dec_tr, NULL);
	CU_ASSERT_TRUE(test_mutations_run(buf, len, dec_tr, NULL) > 0);
	free(buf);
}

static void envelope_round_trip(const char *hex)
{
	size_t len;
	uint8_t *buf = test_unhex(hex, &len), out[512];
	struct cat_envelope e;
	int n;

	CU_ASSERT_EQUAL_FATAL(cat_envelope_decode(&e, buf, len), (int)len);
	n = cat_envelope_encode(out, sizeof(out), &e);
	TEST_ASSERT_HEX_EQ(out, n > 0 ? (size_t)n : 0, hex);
	for (size_t cap = 0; n > 0 && cap < (size_t)n; cap++)
		CU_ASSERT_EQUAL(cat_envelope_encode(out, cap, &e), -EMSGSIZE);
	CU_ASSERT_EQUAL(TEST_TRUNCATIONS_REJECTED(buf, len, dec_envelope, NULL), 0);
	CU_ASSERT_TRUE(test_mutations_run(buf, len, dec_envelope, NULL) > 0);
	free(buf);
}

void test_cat_open_channel_pysim(void)
{
	size_t len;
	uint8_t *buf = test_unhex(oc_pysim, &len);
	struct cat_proactive c;

	CU_ASSERT_EQUAL(cat_proactive_decode(&c, buf, len), (int)len);
	CU_ASSERT_EQUAL(c.details.number, 1);
	CU_ASSERT_EQUAL(c.details.type, CAT_CMD_OPEN_CHANNEL);
	CU_ASSERT_EQUAL(c.details.qualifier, CAT_OPEN_CHANNEL_IMMEDIATE | CAT_OPEN_CHANNEL_AUTO_RECONNECT);
	CU_ASSERT_EQUAL(c.dev.src, CAT_DEV_UICC);
	CU_ASSERT_EQUAL(c.dev.dst, CAT_DEV_TERMINAL);
	CU_ASSERT_TRUE(c.channel.cr);
	CU_ASSERT_TRUE(c.channel.has_bearer);
	CU_ASSERT_EQUAL(c.channel.bearer_type, CAT_BEARER_DEFAULT);
	CU_ASSERT_EQUAL(c.channel.bearer_params.len, 0);
	CU_ASSERT_EQUAL(c.channel.buffer_size, 1024);
	CU_ASSERT_EQUAL(c.channel.transport, CAT_TRANSPORT_TCP_CLIENT_REMOTE);
	CU_ASSERT_EQUAL(c.channel.port, 32768);
	CU_ASSERT_PTR_NULL(c.channel.local_addr.data);
	TEST_ASSERT_HEX_EQ(c.channel.dest_addr.data, c.channel.dest_addr.len, "217f000001");
	CU_ASSERT_EQUAL(c.unknown, 0);
	CU_ASSERT_FALSE(c.missing);
	free(buf);
	proactive_round_trip(oc_pysim);
}

void test_cat_open_channel_digest_and_full(void)
{
	size_t len;
	uint8_t *buf = test_unhex(oc_digest, &len);
	struct cat_proactive c;

	CU_ASSERT_EQUAL(cat_proactive_decode(&c, buf, len), (int)len);
	CU_ASSERT_FALSE(c.channel.cr);
	CU_ASSERT_EQUAL(c.channel.buffer_size, 0x0500);
	CU_ASSERT_EQUAL(c.channel.port, 443);
	free(buf);
	proactive_round_trip(oc_digest);

	buf = test_unhex(oc_full, &len);
	CU_ASSERT_EQUAL(cat_proactive_decode(&c, buf, len), (int)len);
	TEST_ASSERT_HEX_EQ(c.alpha_id.data, c.alpha_id.len, "414243");
	CU_ASSERT_EQUAL(c.channel.bearer_type, CAT_BEARER_PACKET);
	TEST_ASSERT_HEX_EQ(c.channel.apn.data, c.channel.apn.len, "036e6161");
	TEST_ASSERT_HEX_EQ(c.channel.local_addr.data, c.channel.local_addr.len, "21");
	TEST_ASSERT_HEX_EQ(c.channel.login.data, c.channel.login.len, "04757372");
	TEST_ASSERT_HEX_EQ(c.channel.password.data, c.channel.password.len, "04707764");
	CU_ASSERT_EQUAL(c.channel.transport, CAT_TRANSPORT_UDP_CLIENT_REMOTE);
	CU_ASSERT_EQUAL(c.channel.dest_addr.len, 17);
	CU_ASSERT_EQUAL(c.channel.dest_addr.data[0], CAT_ADDR_IPV6);
	free(buf);
	proactive_round_trip(oc_full);
}

void test_cat_bip_commands(void)
{
	size_t len;
	uint8_t *buf = test_unhex(send_data, &len);
	struct cat_proactive c;

	CU_ASSERT_EQUAL(cat_proactive_decode(&c, buf, len), (int)len);
	CU_ASSERT_EQUAL(c.details.qualifier & CAT_SEND_DATA_IMMEDIATE, CAT_SEND_DATA_IMMEDIATE);
	CU_ASSERT_EQUAL(cat_dev_channel_nr(c.dev.dst), 1);
	TEST_ASSERT_HEX_EQ(c.channel_data.data, c.channel_data.len, "48656c6c6f");
	free(buf);

	buf = test_unhex(receive_data, &len);
	CU_ASSERT_EQUAL(cat_proactive_decode(&c, buf, len), (int)len);
	CU_ASSERT_TRUE(c.has_channel_data_length);
	CU_ASSERT_EQUAL(c.channel_data_length, 16);
	free(buf);

	buf = test_unhex(close_channel, &len);
	CU_ASSERT_EQUAL(cat_proactive_decode(&c, buf, len), (int)len);
	CU_ASSERT_EQUAL(c.details.type, CAT_CMD_CLOSE_CHANNEL);
	CU_ASSERT_EQUAL(c.dev.dst, CAT_DEV_CHANNEL(1));
	free(buf);

	proactive_round_trip(send_data);
	proactive_round_trip(receive_data);
	proactive_round_trip(close_channel);
}

void test_cat_refresh_pli_sms_events(void)
{
	size_t len;
	uint8_t *buf = test_unhex(refresh_reset, &len);
	struct cat_proactive c;

	CU_ASSERT_EQUAL(cat_proactive_decode(&c, buf, len), (int)len);
	CU_ASSERT_EQUAL(c.details.type, CAT_CMD_REFRESH);
	CU_ASSERT_EQUAL(c.details.qualifier, CAT_REFRESH_UICC_RESET);
	CU_ASSERT_STRING_EQUAL(get_value_string(cat_refresh_mode_names, c.details.qualifier), "UICC reset");
	CU_ASSERT_FALSE(c.missing);
	free(buf);

	buf = test_unhex(pli_imei, &len);
	CU_ASSERT_EQUAL(cat_proactive_decode(&c, buf, len), (int)len);
	CU_ASSERT_EQUAL(c.details.qualifier, CAT_LOCAL_INFO_IMEI);
	free(buf);

	buf = test_unhex(send_sms, &len);
	CU_ASSERT_EQUAL(cat_proactive_decode(&c, buf, len), (int)len);
	CU_ASSERT_EQUAL(c.dev.dst, CAT_DEV_NETWORK);
	TEST_ASSERT_HEX_EQ(c.address.data, c.address.len, "91214365");
	TEST_ASSERT_HEX_EQ(c.tpdu.data, c.tpdu.len, "0100048121437ff603027100");
	free(buf);

	buf = test_unhex(event_list, &len);
	CU_ASSERT_EQUAL(cat_proactive_decode(&c, buf, len), (int)len);
	TEST_ASSERT_HEX_EQ(c.events.data, c.events.len, "03090a");
	free(buf);

	proactive_round_trip(refresh_reset);
	proactive_round_trip(pli_imei);
	proactive_round_trip(send_sms);
	proactive_round_trip(event_list);
}

void test_cat_proactive_findings(void)
{
	static const struct {
		const char *hex;
		unsigned int unknown, unknown_cr;
		bool missing;
	} v[] = {
		{ "d00c 8103014100 82028121 fe0100", 1, 1, false },   /* unknown object, CR set: result 32 */
		{ "d00c 8103014100 82028121 7e0100", 1, 0, false },   /* unknown, CR clear: ignored */
		{ "d00c 8103014100 82028121 b70110", 1, 1, false },   /* 37 is not a CLOSE CHANNEL object */
		{ "d009 8103014200 82028121", 0, 0, true },	      /* RECEIVE DATA without 37: result 36 */
		{ "d009 8103014300 82028121", 0, 0, true },	      /* SEND DATA without channel data */
		{ "d009 8103010101 82028182", 0, 0, true },	      /* REFRESH file change without file list */
		{ "d00d 8103010101 82028182 92020000", 0, 0, false }, /* ... with one */
		{ "d011 8103014001 82028182 350103 3c030201bb", 0, 0, true }, /* OPEN CHANNEL without buffer size */
		{ "d009 8103017700 82028182", 0, 0, false },		      /* unknown type: decoded, not ours */
	};
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		size_t len;
		uint8_t *buf = test_unhex(v[i].hex, &len);
		struct cat_proactive c;

		CU_ASSERT_EQUAL(cat_proactive_decode(&c, buf, len), (int)len);
		CU_ASSERT_EQUAL(c.unknown, v[i].unknown);
		CU_ASSERT_EQUAL(c.unknown_cr, v[i].unknown_cr);
		CU_ASSERT_EQUAL(c.missing, v[i].missing);
		free(buf);
	}
}

void test_cat_proactive_negative(void)
{
	static const struct {
		const char *hex;
		int rc;
	} v[] = {
		{ "", -EAGAIN },
		{ "d0", -EAGAIN },
		{ "d009 8103014100 820281", -EAGAIN },				   /* outer TLV truncated */
		{ "d109 8103014100 82028121", -EBADMSG },			   /* not D0 */
		{ "d009 82028121 8103014100", -EBADMSG },			   /* device identities first */
		{ "d008 81020141 82028121", -EBADMSG },				   /* command details of 2 bytes */
		{ "d005 8103014100", -EBADMSG },				   /* no device identities */
		{ "d000", -EBADMSG },						   /* empty */
		{ "d00a 8103014100 820381 2100", -EBADMSG },			   /* device identities of 3 bytes */
		{ "d00b 8103014100 82028121 3605", -EBADMSG },			   /* inner TLV overruns the D0 */
		{ "d00e 8103014100 82028121 8103014100", -EBADMSG },		   /* second command details */
		{ "d012 8103014301 82028121 b60100 b60100 b60100", -EBADMSG },	   /* duplicate channel data */
		{ "d00d 8103014200 82028121 b7020010", -EBADMSG },		   /* channel data length of 2 */
		{ "d014 8103014001 82028182 b9030400 00 be0421010203", -EBADMSG }, /* buffer size of 3 */
		{ "d013 8103014001 82028182 b9020400 be0421010203", -EBADMSG },	   /* IPv4 of 3 bytes */
		{ "d011 8103014001 82028182 b9020400 bc020201", -EBADMSG },	   /* transport level of 2 */
		{ "d00f 8103014001 82028182 b9020400 b500", -EBADMSG },		   /* empty bearer */
		{ "d018 8103014001 82028182 b9020400 be0121 be0121 bc03020050", -EBADMSG }, /* two local addrs */
	};
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		size_t len;
		uint8_t *buf = test_unhex(v[i].hex, &len);
		struct cat_proactive c;
		int rc = cat_proactive_decode(&c, buf, len);

		if (rc != v[i].rc)
			fprintf(stderr, "vector %zu: rc %d, want %d\n", i, rc, v[i].rc);
		CU_ASSERT_EQUAL(rc, v[i].rc);
		free(buf);
	}
}

void test_cat_proactive_encode_errors(void)
{
	struct cat_proactive c = { .details = { 1, 0x21, 0 }, .dev = { CAT_DEV_UICC, CAT_DEV_DISPLAY } };
	uint8_t out[300], big[300] = { 0 };
	int n;

	CU_ASSERT_EQUAL(cat_proactive_encode(out, sizeof(out), &c), -EINVAL); /* DISPLAY TEXT: not ours */
	/* SEND DATA of 240 bytes: the D0 length takes the 81 form (TS 101 220 §7.1.2) */
	c.details.type = CAT_CMD_SEND_DATA;
	c.dev.dst = CAT_DEV_CHANNEL(1);
	c.channel_data.data = big;
	c.channel_data.len = 240;
	n = cat_proactive_encode(out, sizeof(out), &c);
	CU_ASSERT_EQUAL(n, 3 + 5 + 4 + 3 + 240);
	TEST_ASSERT_HEX_EQ(out, 6, "d081fc810301");
	c.channel.bearer_params.len = 300; /* ignored for SEND DATA */
	c.details.type = CAT_CMD_OPEN_CHANNEL;
	c.channel.has_bearer = true;
	c.channel.bearer_params.data = big;
	CU_ASSERT_EQUAL(cat_proactive_encode(out, sizeof(out), &c), -EINVAL); /* bearer parameters > 255 */
}

void test_cat_terminal_responses(void)
{
	size_t len;
	uint8_t *buf = test_unhex(tr_open, &len);
	struct cat_terminal_response tr;
	char imei[16];

	CU_ASSERT_EQUAL(cat_terminal_response_decode(&tr, buf, len), (int)len);
	CU_ASSERT_EQUAL(tr.details.type, CAT_CMD_OPEN_CHANNEL);
	CU_ASSERT_EQUAL(tr.dev.src, CAT_DEV_TERMINAL);
	CU_ASSERT_EQUAL(tr.dev.dst, CAT_DEV_UICC);
	CU_ASSERT_EQUAL(tr.general, CAT_RES_OK);
	CU_ASSERT_TRUE(cat_result_performed(tr.general));
	CU_ASSERT_EQUAL(tr.add_info.len, 0);
	CU_ASSERT_EQUAL(tr.n_channel_status, 1);
	CU_ASSERT_EQUAL(tr.channel_status[0].channel_id, 1);
	CU_ASSERT_TRUE(tr.channel_status[0].established);
	CU_ASSERT_EQUAL(tr.bearer_type, CAT_BEARER_DEFAULT);
	CU_ASSERT_EQUAL(tr.buffer_size, 1024);
	/* prefixes ending after the result, the channel status and the bearer are whole responses */
	CU_ASSERT_EQUAL(test_truncations_run(buf, len, dec_tr, NULL), 3);
	free(buf);

	buf = test_unhex(tr_bip_error, &len);
	CU_ASSERT_EQUAL(cat_terminal_response_decode(&tr, buf, len), (int)len);
	CU_ASSERT_EQUAL(tr.general, CAT_RES_BIP_ERROR);
	CU_ASSERT_FALSE(cat_result_performed(tr.general));
	CU_ASSERT_EQUAL(tr.add_info.len, 1);
	CU_ASSERT_EQUAL(tr.add_info.data[0], CAT_ADD_BIP_CHANNEL_ID_INVALID);
	CU_ASSERT_STRING_EQUAL(get_value_string(cat_addinfo_bip_names, tr.add_info.data[0]), "channel identifier not "
											     "valid");
	free(buf);

	buf = test_unhex(tr_imei, &len);
	CU_ASSERT_EQUAL(cat_terminal_response_decode(&tr, buf, len), (int)len);
	CU_ASSERT_TRUE(tr.has_imei);
	CU_ASSERT_EQUAL(cat_imei_decode(imei, tr.imei, 8), 0);
	CU_ASSERT_STRING_EQUAL(imei, "123456789012345");
	free(buf);

	buf = test_unhex(tr_receive, &len);
	CU_ASSERT_EQUAL(cat_terminal_response_decode(&tr, buf, len), (int)len);
	TEST_ASSERT_HEX_EQ(tr.channel_data.data, tr.channel_data.len, "504f4e47");
	CU_ASSERT_EQUAL(tr.channel_data_length, 0);
	free(buf);

	buf = test_unhex(tr_chan_status, &len);
	CU_ASSERT_EQUAL(cat_terminal_response_decode(&tr, buf, len), (int)len);
	CU_ASSERT_EQUAL(tr.n_channel_status, 2);
	CU_ASSERT_EQUAL(tr.channel_status[1].channel_id, 2);
	free(buf);

	buf = test_unhex(tr_location, &len);
	CU_ASSERT_EQUAL(cat_terminal_response_decode(&tr, buf, len), (int)len);
	TEST_ASSERT_HEX_EQ(tr.location_info.data, tr.location_info.len, "62f22000010002");
	free(buf);

	tr_round_trip(tr_open);
	tr_round_trip(tr_send);
	tr_round_trip(tr_receive);
	tr_round_trip(tr_bip_error);
	tr_round_trip(tr_imei);
	tr_round_trip(tr_location);
	tr_round_trip(tr_chan_status);
}

void test_cat_terminal_response_negative(void)
{
	static const struct {
		const char *hex;
		int rc;
	} v[] = {
		{ "", -EAGAIN },
		{ "810301", -EAGAIN },
		{ "8103014301 82028281", -EBADMSG },				/* no result */
		{ "8103014301 82028281 8300", -EBADMSG },			/* empty result */
		{ "82028281 8103014301 830100", -EBADMSG },			/* out of order */
		{ "8103014301 82028281 830100 830100", -EBADMSG },		/* second result */
		{ "8103012601 82028281 830100 9407 1a325476981032", -EBADMSG }, /* IMEI of 7 */
		{ "8103014301 82028281 830100 b70100 b70100", -EBADMSG },	/* duplicate 37 */
		{ "8103014301 82028281 830100 b80181", -EBADMSG },		/* channel status of 1 */
		{ "8103014301 82028281 830100 b9020400 b9020400", -EBADMSG },	/* duplicate buffer size */
		{ "8103014400 82028281 830100 b8028100 b8028200 b8028300 b8028400 b8028500 b8028600 b8028700 "
		  "b8028100",
		  -EBADMSG }, /* 8 channel statuses */
	};
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		size_t len;
		uint8_t *buf = test_unhex(v[i].hex, &len);
		struct cat_terminal_response tr;
		int rc = cat_terminal_response_decode(&tr, buf, len);

		if (rc != v[i].rc)
			fprintf(stderr, "vector %zu: rc %d, want %d\n", i, rc, v[i].rc);
		CU_ASSERT_EQUAL(rc, v[i].rc);
		free(buf);
	}
}

void test_cat_envelopes(void)
{
	size_t len;
	uint8_t *buf = test_unhex(env_data_available, &len);
	struct cat_envelope e;
	struct cat_envelope built = {
		.tag = CAT_TAG_EVENT_DOWNLOAD,
		.dev = { CAT_DEV_TERMINAL, CAT_DEV_UICC },
		.event = CAT_EV_DATA_AVAILABLE,
		.has_channel_status = true,
		.channel_status = { .channel_id = 1, .established = true },
		.has_channel_data_length = true,
		.channel_data_length = 4,
	};
	uint8_t out[64];
	int n;

	CU_ASSERT_EQUAL(cat_envelope_decode(&e, buf, len), (int)len);
	CU_ASSERT_EQUAL(e.tag, CAT_TAG_EVENT_DOWNLOAD);
	CU_ASSERT_EQUAL(e.event, CAT_EV_DATA_AVAILABLE);
	CU_ASSERT_EQUAL(e.dev.src, CAT_DEV_TERMINAL);
	CU_ASSERT_EQUAL(e.channel_status.channel_id, 1);
	CU_ASSERT_TRUE(e.channel_status.established);
	CU_ASSERT_EQUAL(e.channel_data_length, 4);
	/* the device side builds it from a struct, byte for byte as pySim's BIP relay does */
	n = cat_envelope_encode(out, sizeof(out), &built);
	TEST_ASSERT_HEX_EQ(out, n > 0 ? (size_t)n : 0, env_data_available);
	free(buf);

	buf = test_unhex(env_chan_status, &len);
	CU_ASSERT_EQUAL(cat_envelope_decode(&e, buf, len), (int)len);
	CU_ASSERT_FALSE(e.channel_status.established);
	CU_ASSERT_EQUAL(e.channel_status.further_info, CAT_CHAN_INFO_LINK_DROPPED);
	free(buf);

	buf = test_unhex(env_loc_normal, &len);
	CU_ASSERT_EQUAL(cat_envelope_decode(&e, buf, len), (int)len);
	CU_ASSERT_EQUAL(e.location_status, CAT_LOC_NORMAL_SERVICE);
	TEST_ASSERT_HEX_EQ(e.location_info.data, e.location_info.len, "62f22000010002");
	free(buf);

	buf = test_unhex(env_loc_limited, &len);
	CU_ASSERT_EQUAL(cat_envelope_decode(&e, buf, len), (int)len);
	CU_ASSERT_STRING_EQUAL(get_value_string(cat_location_status_names, e.location_status), "limited service");
	CU_ASSERT_PTR_NULL(e.location_info.data);
	free(buf);

	buf = test_unhex(env_sms_pp, &len);
	CU_ASSERT_EQUAL(cat_envelope_decode(&e, buf, len), (int)len);
	CU_ASSERT_EQUAL(e.tag, CAT_TAG_SMS_PP_DOWNLOAD);
	CU_ASSERT_EQUAL(e.dev.src, CAT_DEV_NETWORK);
	CU_ASSERT_EQUAL(e.dev.dst, CAT_DEV_UICC);
	TEST_ASSERT_HEX_EQ(e.address.data, e.address.len, "00103254f6");
	CU_ASSERT_EQUAL(e.tpdu.len, 0x17);
	CU_ASSERT_EQUAL(e.tpdu.data[0], 0x40);
	free(buf);

	envelope_round_trip(env_data_available);
	envelope_round_trip(env_chan_status);
	envelope_round_trip(env_loc_normal);
	envelope_round_trip(env_loc_limited);
	envelope_round_trip(env_sms_pp);
}

void test_cat_envelope_negative(void)
{
	static const struct {
		const char *hex;
		int rc;
	} v[] = {
		{ "", -EAGAIN },
		{ "d60e99010982028281b8028100b701", -EAGAIN },
		{ "d50a 990103 82028281 9b0101", -EBADMSG },	    /* not D1/D6 */
		{ "d60b 99020309 82028281 9b0101", -EBADMSG },	    /* two events */
		{ "d60a 82028281 990103 9b0101", -EBADMSG },	    /* event list not first */
		{ "d607 990103 82028281", -EBADMSG },		    /* location status missing */
		{ "d60b 990109 82028281 b8028100", -EBADMSG },	    /* data available without 37 */
		{ "d607 99010a 82028281", -EBADMSG },		    /* channel status event without 38 */
		{ "d60d 990103 82028281 9b0101 9b0101", -EBADMSG }, /* duplicate */
		{ "d107 82028381 8b0200", -EBADMSG },		    /* D1 with an inner overrun */
		{ "d604 82028381", -EBADMSG },			    /* D6 without event list */
		{ "d104 82028381", -EBADMSG },			    /* D1 without TPDU */
		{ "d107 8b0100 82028381", -EBADMSG },		    /* D1 device identities not first */
		{ "d10b 82028381 8b0100 82028381", -EBADMSG },	    /* D1 second device identities */
		{ "d10a 82028381 8b0100 0b0100", -EBADMSG },	    /* D1 second TPDU */
		{ "d61d 990103 82028281 9b0100 9311 0000000000000000000000000000000000", -EBADMSG }, /* 17 */
	};
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		size_t len;
		uint8_t *buf = test_unhex(v[i].hex, &len);
		struct cat_envelope e;
		int rc = cat_envelope_decode(&e, buf, len);

		if (rc != v[i].rc)
			fprintf(stderr, "vector %zu: rc %d, want %d\n", i, rc, v[i].rc);
		CU_ASSERT_EQUAL(rc, v[i].rc);
		free(buf);
	}
	{
		struct cat_envelope e = { .tag = 0xD7 };
		uint8_t out[16];

		CU_ASSERT_EQUAL(cat_envelope_encode(out, sizeof(out), &e), -EINVAL);
	}
}

void test_cat_imei(void)
{
	uint8_t v[8];
	char s[16];

	/* [PYSIM-IMEI] */
	CU_ASSERT_EQUAL(cat_imei_encode(v, "123456789012345"), 0);
	TEST_ASSERT_HEX_EQ(v, 8, "1a32547698103254");
	CU_ASSERT_EQUAL(cat_imei_decode(s, v, 8), 0);
	CU_ASSERT_STRING_EQUAL(s, "123456789012345");
	CU_ASSERT_EQUAL(cat_imei_encode(v, "12345678901234"), -EINVAL);
	CU_ASSERT_EQUAL(cat_imei_encode(v, "12345678901234a"), -EINVAL);
	CU_ASSERT_EQUAL(cat_imei_encode(v, NULL), -EINVAL);
	v[0] = 0x13; /* [PYSIM-IMEI] IMEISV type: not an IMEI */
	CU_ASSERT_EQUAL(cat_imei_decode(s, v, 8), -EBADMSG);
	v[0] = 0x1a;
	v[7] = 0x5c; /* a nibble that is no digit */
	CU_ASSERT_EQUAL(cat_imei_decode(s, v, 8), -EBADMSG);
	CU_ASSERT_EQUAL(cat_imei_decode(s, v, 7), -EBADMSG);
}

void test_cat_terminal_profile(void)
{
	size_t len;
	uint8_t *tp = test_unhex(tp_real, &len), out[CAT_TP_MAX_BYTES];
	static const int too_far[] = { CAT_TP(33, 1), -1 };
	int n;

	/* [PYSIM-TP] a real terminal's profile supports everything the eUICC needs, 7 BIP channels */
	for (const int *f = cat_tp_euicc_flags; *f >= 0; f++) {
		if (!cat_terminal_profile_has(tp, len, *f))
			fprintf(stderr, "missing %s\n", get_value_string(cat_tp_flag_names, *f));
		CU_ASSERT_TRUE(cat_terminal_profile_has(tp, len, *f));
	}
	CU_ASSERT_EQUAL(cat_terminal_profile_channels(tp, len), 7);
	CU_ASSERT_FALSE(cat_terminal_profile_has(tp, len, CAT_TP_TCP_SERVER)); /* byte 17 = c3: bit 3 clear */
	CU_ASSERT_FALSE(cat_terminal_profile_has(tp, len, CAT_TP_DIRECT_CHANNEL));
	CU_ASSERT_FALSE(cat_terminal_profile_has(tp, len, CAT_TP_BIP_CSD)); /* byte 13 = e2: bit 1 clear */
	/* a short profile has none of the later facilities (§5.2) */
	CU_ASSERT_FALSE(cat_terminal_profile_has(tp, 11, CAT_TP_OPEN_CHANNEL));
	CU_ASSERT_TRUE(cat_terminal_profile_has(tp, 12, CAT_TP_OPEN_CHANNEL));
	CU_ASSERT_EQUAL(cat_terminal_profile_channels(tp, 12), 0);
	free(tp);

	/* the eUICC set, by hand from §5.2: bytes 1-6, 12, 13 (GPRS + 7 channels), 17 */
	n = cat_terminal_profile_build(out, sizeof(out), cat_tp_euicc_flags, 7, 0);
	TEST_ASSERT_HEX_EQ(out, n > 0 ? (size_t)n : 0, "0301804211 0c 0000000000 1f e2 000000 01");
	n = cat_terminal_profile_build(out, sizeof(out), cat_tp_euicc_flags, 1, 20);
	CU_ASSERT_EQUAL(n, 20);
	CU_ASSERT_EQUAL(cat_terminal_profile_channels(out, (size_t)n), 1);
	CU_ASSERT_EQUAL(cat_terminal_profile_build(out, 16, cat_tp_euicc_flags, 7, 0), -EMSGSIZE);
	CU_ASSERT_EQUAL(cat_terminal_profile_build(out, sizeof(out), cat_tp_euicc_flags, 8, 0), -EINVAL);
	CU_ASSERT_EQUAL(cat_terminal_profile_build(out, sizeof(out), too_far, 0, 0), -EINVAL);
	CU_ASSERT_EQUAL(cat_terminal_profile_build(out, sizeof(out), NULL, 0, 0), 0);
}

void test_cat_names_and_constants(void)
{
	CU_ASSERT_STRING_EQUAL(get_value_string(cat_dev_id_names, CAT_DEV_CHANNEL(7)), "channel 7");
	CU_ASSERT_EQUAL(cat_dev_channel_nr(CAT_DEV_UICC), 0);
	CU_ASSERT_EQUAL(cat_dev_channel_nr(0x28), 0);
	CU_ASSERT_STRING_EQUAL(get_value_string(cat_cmd_type_names, CAT_CMD_OPEN_CHANNEL), "OPEN CHANNEL");
	CU_ASSERT_STRING_EQUAL(get_value_string(cat_general_result_names, CAT_RES_BIP_ERROR), "bearer independent "
											      "protocol error");
	CU_ASSERT_STRING_EQUAL(get_value_string(cat_transport_names, CAT_TRANSPORT_TCP_CLIENT_REMOTE), "TCP, UICC in "
												       "client mode, "
												       "remote "
												       "connection");
	CU_ASSERT_STRING_EQUAL(get_value_string(cat_event_names, CAT_EV_DATA_AVAILABLE), "data available");
	CU_ASSERT_TRUE(cat_result_performed(CAT_RES_OK_LIMITED_SERVICE));
	CU_ASSERT_FALSE(cat_result_performed(CAT_RES_TERMINAL_UNABLE));
	/* TS 102 221 §10.2.1.1: 91 XX after an ENVELOPE / TERMINAL RESPONSE means "FETCH XX bytes" */
	CU_ASSERT_EQUAL(CAT_SW1_PROACTIVE_PENDING, 0x91);
	CU_ASSERT_EQUAL(CAT_TP_OPEN_CHANNEL, 88); /* byte 12 bit 1 = bit 89 counted from 1 */
}
