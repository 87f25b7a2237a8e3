/* The SMPP ESME against a test SMSC written here (loopback TCP, same select loop, every wait bounded):
 * bind_transceiver with the credentials, submit_sm field mapping in both modes, deliver_sm MO up and
 * answered, enquire_link both ways and the dead-link timeout, generic_nack for an unknown command,
 * a malformed deliver_sm answered with an error, a bad command_length dropping the link, unbind,
 * refused bind and reconnect with backoff, lost connection failing in-flight submits. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <libsmpp34/smpp34.h>
#include <libsmpp34/smpp34_structs.h>
#include <osmocom/core/logging.h>
#include <osmocom/core/select.h>
#include <osmocom/core/socket.h>
#include <osmocom/core/timer.h>
#include <osmocom/core/utils.h>
#include <talloc.h>

#include "lib/smpp/smpp.h"
#include "lib/test/runner.h"
#include "network/smsr/smsr_log.h"
#include "network/smsr/smsr_smpp.h"

#define btw(fmt, args...) fprintf(stderr, "\n--- " fmt "\n", ##args)

static void *ctx;

static struct osmo_tdef test_tdefs[] = {
	{ .T = SMSR_T_SMPP_ENQUIRE, .default_val = 300, .unit = OSMO_TDEF_MS, .desc = "enquire" },
	{ .T = SMSR_T_SMPP_RESPONSE, .default_val = 300, .unit = OSMO_TDEF_MS, .desc = "response" },
	{ .T = SMSR_T_SMPP_RECONNECT, .default_val = 30, .unit = OSMO_TDEF_MS, .desc = "reconnect" },
	{}
};

/* ---- the test SMSC ------------------------------------------------------------------------------ */

struct smsc {
	struct osmo_fd lfd, cfd;
	uint16_t port;
	uint8_t rx[8192];
	size_t rx_len;
	/* behaviour */
	uint32_t bind_status;
	uint32_t submit_status;
	bool answer_enquire;
	/* observations */
	unsigned int accepts, binds, submits, enquires, enquire_resps, deliver_resps, generic_nacks, unbind_resps;
	char system_id[32], password[32];
	struct smpp_sm last_submit;
	uint8_t last_sm[200];
	uint32_t last_deliver_resp_status, last_nack_status, last_nack_seq, last_deliver_resp_seq;
};
static struct smsc smsc;

static void smsc_send(const uint8_t *pdu, size_t len)
{
	CU_ASSERT_FATAL(smsc.cfd.fd >= 0);
	CU_ASSERT_EQUAL(write(smsc.cfd.fd, pdu, len), (ssize_t)len);
}

static void smsc_send_hdr(uint32_t cmd, uint32_t status, uint32_t seq, const uint8_t *body, size_t body_len)
{
	uint8_t pdu[64];
	uint32_t v[4] = { htonl((uint32_t)(16 + body_len)), htonl(cmd), htonl(status), htonl(seq) };

	memcpy(pdu, v, 16);
	if (body_len)
		memcpy(pdu + 16, body, body_len);
	smsc_send(pdu, 16 + body_len);
}

static void smsc_close_conn(void)
{
	if (smsc.cfd.fd >= 0) {
		osmo_fd_unregister(&smsc.cfd);
		close(smsc.cfd.fd);
		smsc.cfd.fd = -1;
	}
	smsc.rx_len = 0;
}

static void smsc_pdu(const uint8_t *pdu, size_t len)
{
	struct smpp_hdr h;

	CU_ASSERT_FATAL(smpp_hdr_decode(&h, pdu, len) == SMPP_HDR_LEN);
	switch (h.cmd_id) {
	case BIND_TRANSCEIVER: {
		bind_transceiver_t b;

		memset(&b, 0, sizeof(b));
		CU_ASSERT_EQUAL(smpp34_unpack(BIND_TRANSCEIVER, &b, pdu, (int)len), 0);
		snprintf(smsc.system_id, sizeof(smsc.system_id), "%s", (char *)b.system_id);
		snprintf(smsc.password, sizeof(smsc.password), "%s", (char *)b.password);
		CU_ASSERT_EQUAL(b.interface_version, 0x34);
		smsc.binds++;
		smsc_send_hdr(BIND_TRANSCEIVER_RESP, smsc.bind_status, h.seq, (const uint8_t *)"smsc\0", 5);
		break;
	}
	case SUBMIT_SM:
		smsc.submits++;
		CU_ASSERT_FATAL(smpp_sm_decode(&smsc.last_submit, pdu, len) > 0);
		memcpy(smsc.last_sm, smsc.last_submit.sm, smsc.last_submit.sm_len);
		smsc_send_hdr(SUBMIT_SM_RESP, smsc.submit_status, h.seq, (const uint8_t *)"1\0", 2);
		break;
	case ENQUIRE_LINK:
		smsc.enquires++;
		if (smsc.answer_enquire)
			smsc_send_hdr(ENQUIRE_LINK_RESP, 0, h.seq, NULL, 0);
		break;
	case ENQUIRE_LINK_RESP: smsc.enquire_resps++; break;
	case DELIVER_SM_RESP:
		smsc.deliver_resps++;
		smsc.last_deliver_resp_status = h.status;
		smsc.last_deliver_resp_seq = h.seq;
		break;
	case GENERIC_NACK:
		smsc.generic_nacks++;
		smsc.last_nack_status = h.status;
		smsc.last_nack_seq = h.seq;
		break;
	case UNBIND_RESP: smsc.unbind_resps++; break;
	default: CU_FAIL("unexpected PDU at the SMSC"); break;
	}
}

static int smsc_conn_cb(struct osmo_fd *ofd, unsigned int what)
{
	ssize_t n = read(ofd->fd, smsc.rx + smsc.rx_len, sizeof(smsc.rx) - smsc.rx_len);
	size_t off = 0;

	if (n <= 0) {
		smsc_close_conn();
		return 0;
	}
	smsc.rx_len += (size_t)n;
	for (;;) {
		int flen = smpp_frame_len(smsc.rx + off, smsc.rx_len - off);

		if (flen < 0 || (size_t)flen > smsc.rx_len - off)
			break;
		smsc_pdu(smsc.rx + off, (size_t)flen);
		off += (size_t)flen;
	}
	memmove(smsc.rx, smsc.rx + off, smsc.rx_len - off);
	smsc.rx_len -= off;
	return 0;
}

static int smsc_accept_cb(struct osmo_fd *ofd, unsigned int what)
{
	int fd = accept(ofd->fd, NULL, NULL);

	if (fd < 0)
		return 0;
	smsc_close_conn(); /* one ESME at a time */
	smsc.accepts++;
	osmo_fd_setup(&smsc.cfd, fd, OSMO_FD_READ, smsc_conn_cb, NULL, 0);
	osmo_fd_register(&smsc.cfd);
	return 0;
}

static void smsc_start(void)
{
	struct sockaddr_in sa;
	socklen_t sl = sizeof(sa);
	int fd;

	memset(&smsc, 0, sizeof(smsc));
	smsc.cfd.fd = -1;
	smsc.answer_enquire = true;
	fd = osmo_sock_init(AF_INET, SOCK_STREAM, IPPROTO_TCP, "127.0.0.1", 0, OSMO_SOCK_F_BIND);
	CU_ASSERT_FATAL(fd >= 0);
	getsockname(fd, (struct sockaddr *)&sa, &sl);
	smsc.port = ntohs(sa.sin_port);
	osmo_fd_setup(&smsc.lfd, fd, OSMO_FD_READ, smsc_accept_cb, NULL, 0);
	osmo_fd_register(&smsc.lfd);
}

static void smsc_stop(void)
{
	smsc_close_conn();
	osmo_fd_unregister(&smsc.lfd);
	close(smsc.lfd.fd);
}

/* ---- the loop ------------------------------------------------------------------------------------ */

static void tick_cb(void *data)
{
}
static struct osmo_timer_list tick;

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Run the select loop until cond() or max_ms of real time. Returns cond(). */
static bool run_until(bool (*cond)(void), unsigned int max_ms)
{
	long long end = now_ms() + max_ms;

	osmo_timer_setup(&tick, tick_cb, NULL);
	while (now_ms() < end) {
		if (cond && cond())
			break;
		osmo_timer_schedule(&tick, 0, 5000);
		osmo_select_main(0);
	}
	osmo_timer_del(&tick);
	return cond ? cond() : true;
}

/* ---- the ESME's upper side ------------------------------------------------------------------------ */

static struct smsr_smpp *esme;
static unsigned int n_mo, n_status, n_bound_up, n_bound_down;
static char mo_src[24];
static uint8_t mo_ud[200];
static size_t mo_len;
static uint32_t st_tag;
static int st_rc;

static void up_mo(void *priv, const char *src, const uint8_t *ud, size_t len)
{
	n_mo++;
	snprintf(mo_src, sizeof(mo_src), "%s", src);
	mo_len = len;
	memcpy(mo_ud, ud, len);
}

static void up_status(void *priv, uint32_t tag, int rc)
{
	n_status++;
	st_tag = tag;
	st_rc = rc;
}

static void up_bound(void *priv, bool up)
{
	if (up)
		n_bound_up++;
	else
		n_bound_down++;
}

static bool is_bound(void)
{
	return smsr_smpp_bound(esme);
}
static bool is_unbound(void)
{
	return !smsr_smpp_bound(esme);
}
static unsigned int want;
static bool submits_reached(void)
{
	return smsc.submits >= want;
}
static bool status_reached(void)
{
	return n_status >= want;
}
static bool mo_reached(void)
{
	return n_mo >= want && smsc.deliver_resps >= want;
}
static bool enquires_reached(void)
{
	return smsc.enquires >= want;
}
static bool nacks_reached(void)
{
	return smsc.generic_nacks >= want;
}
static bool deliver_resps_reached(void)
{
	return smsc.deliver_resps >= want;
}
static bool enquire_resps_reached(void)
{
	return smsc.enquire_resps >= want;
}
static bool two_refused(void)
{
	return smsr_smpp_stats(esme)->binds_refused >= 2;
}

static void esme_start(bool transaction)
{
	struct smsr_smpp_cfg cfg = { .host = "127.0.0.1",
				     .port = smsc.port,
				     .system_id = "smsr2",
				     .password = "s3cret",
				     .src_addr = "555",
				     .transaction_mode = transaction,
				     .dcs = SMPP_DD_DCS_F6,
				     .tdefs = test_tdefs };

	n_mo = n_status = n_bound_up = n_bound_down = 0;
	esme = smsr_smpp_alloc(ctx, &cfg,
			       &(struct smsr_smpp_up){ .mo = up_mo, .tx_status = up_status, .bound = up_bound });
	CU_ASSERT_PTR_NOT_NULL_FATAL(esme);
}

int suite_setup(void)
{
	ctx = talloc_named_const(NULL, 0, "smsr_smpp_test");
	test_osmo_log_init(ctx, &smsr_log_info, LOGL_INFO);
	osmo_tdefs_reset(test_tdefs);
	return 0;
}

int suite_teardown(void)
{
	log_fini();
	talloc_free(ctx);
	return 0;
}

/* deliver_sm MO as osmo-msc sends it (network-lab §2.2): UDHI, PID 7F, DCS mapped F6 -> 02 */
static void smsc_send_deliver(uint32_t seq, uint8_t esm_class, const char *hex_ud)
{
	struct smpp_sm m;
	uint8_t ud[160], pdu[400];
	int n, len = osmo_hexparse(hex_ud, ud, sizeof(ud));

	smpp_sm_init_data_download(&m, SMPP_CMD_DELIVER_SM, SMPP_DD_DCS_02, false);
	m.esm_class = esm_class;
	m.seq = seq;
	m.src.ton = 1;
	m.src.npi = 1;
	snprintf(m.src.addr, sizeof(m.src.addr), "1001");
	snprintf(m.dst.addr, sizeof(m.dst.addr), "555");
	m.sm = ud;
	m.sm_len = (size_t)len;
	n = smpp_sm_encode(&m, pdu, sizeof(pdu));
	CU_ASSERT_FATAL(n > 0);
	smsc_send(pdu, (size_t)n);
}

void test_smpp_bind_submit_deliver(void)
{
	static const uint8_t ud[] = { 0x02, 0x70, 0x00, 0xD0, 0xD1, 0xD2, 0xD3, 0xD4 };

	smsc_start();
	btw("The ESME connects and binds as transceiver with the credentials given");
	esme_start(false);
	CU_ASSERT_EQUAL(smsr_smpp_send(esme, "1001", ud, sizeof(ud), 1), -ENOTCONN);
	CU_ASSERT_FATAL(run_until(is_bound, 3000));
	CU_ASSERT_STRING_EQUAL(smsc.system_id, "smsr2");
	CU_ASSERT_STRING_EQUAL(smsc.password, "s3cret");
	CU_ASSERT_EQUAL(n_bound_up, 1);

	btw("submit_sm: 555 -> 1001 (TON/NPI 1/1), esm_class 40, PID 7F, DCS F6, the TP-UD as short_message");
	CU_ASSERT_EQUAL(smsr_smpp_send(esme, "+1001", ud, sizeof(ud), 77), 0);
	want = 1;
	CU_ASSERT_FATAL(run_until(submits_reached, 3000));
	CU_ASSERT_EQUAL(smsc.last_submit.esm_class, 0x40);
	CU_ASSERT_EQUAL(smsc.last_submit.protocol_id, 0x7F);
	CU_ASSERT_EQUAL(smsc.last_submit.data_coding, 0xF6);
	CU_ASSERT_STRING_EQUAL(smsc.last_submit.dst.addr, "1001");
	CU_ASSERT_STRING_EQUAL(smsc.last_submit.src.addr, "555");
	CU_ASSERT_EQUAL(smsc.last_submit.dst.ton, 1);
	TEST_ASSERT_MEM_EQ(smsc.last_sm, smsc.last_submit.sm_len, ud, sizeof(ud));
	btw("Store-and-forward mode: an OK submit_sm_resp is not a delivery verdict (no status up)");
	run_until(NULL, 50);
	CU_ASSERT_EQUAL(n_status, 0);
	CU_ASSERT_EQUAL(smsr_smpp_stats(esme)->submit_ok, 1);
	btw("The SMSC refuses the next one (0x14 queue full): status up as -EIO");
	smsc.submit_status = ESME_RMSGQFUL;
	CU_ASSERT_EQUAL(smsr_smpp_send(esme, "1001", ud, sizeof(ud), 78), 0);
	want = 1;
	CU_ASSERT(run_until(status_reached, 3000));
	CU_ASSERT_EQUAL(st_tag, 78);
	CU_ASSERT_EQUAL(st_rc, -EIO);

	btw("deliver_sm MO from 1001 (UDH 02 71 00, a PoR) goes up and is answered with deliver_sm_resp OK");
	smsc_send_deliver(900, 0x40, "027100aabbcc");
	want = 1;
	CU_ASSERT_FATAL(run_until(mo_reached, 3000));
	CU_ASSERT_STRING_EQUAL(mo_src, "1001");
	TEST_ASSERT_HEX_EQ(mo_ud, mo_len, "027100aabbcc");
	CU_ASSERT_EQUAL(smsc.last_deliver_resp_seq, 900);
	CU_ASSERT_EQUAL(smsc.last_deliver_resp_status, 0);
	btw("A delivery receipt (esm_class 04) is answered and counted, not given up as MO");
	smsc_send_deliver(901, 0x04, "6964");
	want = 2;
	CU_ASSERT(run_until(deliver_resps_reached, 3000));
	CU_ASSERT_EQUAL(n_mo, 1);
	CU_ASSERT_EQUAL(smsr_smpp_stats(esme)->receipts, 1);
	btw("Over 140 octets: -EMSGSIZE");
	CU_ASSERT_EQUAL(smsr_smpp_send(esme, "1001", mo_ud, 141, 1), -EMSGSIZE);
	smsr_smpp_free(esme);
	smsc_stop();
}

void test_smpp_transaction_mode(void)
{
	static const uint8_t ud[] = { 0x02, 0x70, 0x00, 0x01 };

	smsc_start();
	esme_start(true);
	CU_ASSERT_FATAL(run_until(is_bound, 3000));
	btw("Transaction mode: esm_class 42, and the OK submit_sm_resp is the delivery verdict (status 0 up)");
	CU_ASSERT_EQUAL(smsr_smpp_send(esme, "1001", ud, sizeof(ud), 5), 0);
	want = 1;
	CU_ASSERT(run_until(status_reached, 3000));
	CU_ASSERT_EQUAL(smsc.last_submit.esm_class, 0x42);
	CU_ASSERT_EQUAL(st_tag, 5);
	CU_ASSERT_EQUAL(st_rc, 0);
	smsr_smpp_free(esme);
	smsc_stop();
}

void test_smpp_enquire_link(void)
{
	smsc_start();
	esme_start(false);
	CU_ASSERT_FATAL(run_until(is_bound, 3000));
	btw("The ESME sends enquire_link every X40 (300 ms here); answered, the link stays");
	want = 2;
	CU_ASSERT(run_until(enquires_reached, 3000));
	CU_ASSERT(smsr_smpp_bound(esme));
	btw("The SMSC's enquire_link is answered");
	smsc_send_hdr(ENQUIRE_LINK, 0, 4242, NULL, 0);
	want = 1;
	CU_ASSERT(run_until(enquire_resps_reached, 3000));
	btw("The SMSC stops answering: after X41 the link is dropped, the ESME reconnects and binds again");
	smsc.answer_enquire = false;
	CU_ASSERT(run_until(is_unbound, 3000));
	CU_ASSERT_EQUAL(n_bound_down, 1);
	smsc.answer_enquire = true;
	CU_ASSERT(run_until(is_bound, 3000));
	CU_ASSERT_EQUAL(smsc.accepts, 2);
	CU_ASSERT_EQUAL(n_bound_up, 2);
	smsr_smpp_free(esme);
	smsc_stop();
}

void test_smpp_bad_input(void)
{
	smsc_start();
	esme_start(false);
	CU_ASSERT_FATAL(run_until(is_bound, 3000));
	btw("An unknown command (0x00000222) gets generic_nack ESME_RINVCMDID with its sequence number");
	smsc_send_hdr(0x00000222, 0, 31, NULL, 0);
	want = 1;
	CU_ASSERT(run_until(nacks_reached, 3000));
	CU_ASSERT_EQUAL(smsc.last_nack_status, ESME_RINVCMDID);
	CU_ASSERT_EQUAL(smsc.last_nack_seq, 31);
	btw("An unexpected response and an alert_notification are ignored (no answer)");
	smsc_send_hdr(0x80000222, 0, 32, NULL, 0);
	smsc_send_hdr(0x00000102, 0, 33,
		      (const uint8_t *)"\x01\x01"
				       "1\x00",
		      4);
	run_until(NULL, 50);
	CU_ASSERT_EQUAL(smsc.generic_nacks, 1);
	btw("A deliver_sm whose strings are not terminated: deliver_sm_resp with an error status, no MO");
	{
		uint8_t bad[16 + 6] = { 0 };
		uint32_t v[4] = { htonl(22), htonl(DELIVER_SM), 0, htonl(34) };

		memcpy(bad, v, 16);
		memset(bad + 16, 'A', 6);
		smsc_send(bad, sizeof(bad));
	}
	want = 1;
	CU_ASSERT(run_until(deliver_resps_reached, 3000));
	CU_ASSERT_EQUAL(smsc.last_deliver_resp_seq, 34);
	CU_ASSERT_NOT_EQUAL(smsc.last_deliver_resp_status, 0);
	CU_ASSERT_EQUAL(n_mo, 0);
	btw("A command_length of 8: generic_nack ESME_RINVCMDLEN, the link is dropped, then reconnects");
	{
		uint32_t v[2] = { htonl(8), htonl(ENQUIRE_LINK) };

		smsc_send((const uint8_t *)v, 8);
	}
	want = 2;
	CU_ASSERT(run_until(nacks_reached, 3000));
	CU_ASSERT_EQUAL(smsc.last_nack_status, ESME_RINVCMDLEN);
	CU_ASSERT(run_until(is_unbound, 3000));
	CU_ASSERT(run_until(is_bound, 3000));
	CU_ASSERT(smsr_smpp_stats(esme)->bad_pdus >= 2);
	smsr_smpp_free(esme);
	smsc_stop();
}

void test_smpp_refused_unbind_reconnect(void)
{
	static const uint8_t ud[] = { 0x02, 0x70, 0x00, 0x01 };

	smsc_start();
	btw("The SMSC refuses the bind (0x0E invalid password): no bound link, retry with backoff");
	smsc.bind_status = ESME_RINVPASWD;
	esme_start(false);
	CU_ASSERT(run_until(two_refused, 3000));
	CU_ASSERT(!smsr_smpp_bound(esme));
	CU_ASSERT(smsc.binds >= 2);
	btw("The SMSC accepts again: bound");
	smsc.bind_status = 0;
	CU_ASSERT(run_until(is_bound, 3000));
	btw("The SMSC unbinds: unbind_resp, reconnect, bound again");
	smsc_send_hdr(UNBIND, 0, 50, NULL, 0);
	CU_ASSERT(run_until(is_unbound, 3000));
	CU_ASSERT(run_until(is_bound, 3000));
	CU_ASSERT_EQUAL(smsc.unbind_resps, 1);
	btw("The SMSC closes the connection with a submit in flight: -ECONNRESET up, reconnect");
	n_status = 0;
	smsc.submit_status = 0;
	smsc.binds = 0;
	CU_ASSERT_EQUAL(smsr_smpp_send(esme, "1001", ud, sizeof(ud), 61), 0);
	smsc_close_conn();
	want = 1;
	CU_ASSERT(run_until(status_reached, 3000));
	CU_ASSERT_EQUAL(st_tag, 61);
	CU_ASSERT_EQUAL(st_rc, -ECONNRESET);
	CU_ASSERT(run_until(is_bound, 3000));
	smsr_smpp_free(esme);
	smsc_stop();
}
