/* SMPP 3.4 ESME on osmo_fd (see smsr_smpp.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <libsmpp34/smpp34.h>
#include <libsmpp34/smpp34_structs.h>
#include <osmocom/core/select.h>
#include <osmocom/core/socket.h>
#include <osmocom/core/timer.h>
#include <osmocom/core/utils.h>
#include <talloc.h>

#include "network/smsr/smsr_log.h"
#include "network/smsr/smsr_ctr.h"
#include "network/smsr/smsr_smpp.h"

struct osmo_tdef smsr_smpp_tdefs[] = { { .T = SMSR_T_SMPP_ENQUIRE,
					 .default_val = 30,
					 .unit = OSMO_TDEF_S,
					 .min_val = 1,
					 .max_val = 86400,
					 .desc = "SMPP enquire_link interval" },
				       { .T = SMSR_T_SMPP_RESPONSE,
					 .default_val = 10,
					 .unit = OSMO_TDEF_S,
					 .min_val = 1,
					 .max_val = 86400,
					 .desc = "SMPP response timeout" },
				       { .T = SMSR_T_SMPP_RECONNECT,
					 .default_val = 1,
					 .unit = OSMO_TDEF_S,
					 .min_val = 1,
					 .max_val = 86400,
					 .desc = "SMPP first reconnect delay" },
				       {} };

#define SMPP_CMD_ALERT_NOTIFICATION 0x00000102u /* SMPP 3.4 §4.12: no response PDU */
#define OUTQ_MAX		    (64 * 1024)
#define MAX_INFLIGHT		    64
#define BACKOFF_MAX		    32

enum esme_state {
	ESME_DOWN,
	ESME_CONNECTING,
	ESME_BINDING,
	ESME_BOUND,
};

struct inflight {
	uint32_t seq, tag;
	bool used;
};

struct smsr_smpp {
	struct smsr_smpp_cfg cfg;
	struct smsr_smpp_up up;
	struct osmo_tdef *tdefs;
	enum esme_state state;
	struct osmo_fd ofd;
	struct osmo_timer_list reconnect_timer, enquire_timer, resp_timer;
	unsigned int backoff;
	uint32_t seq;
	uint32_t enquire_seq; /* outstanding enquire_link, 0 = none */
	uint8_t rx[SMPP_PDU_MAX];
	size_t rx_len;
	uint8_t *tx;
	size_t tx_len;
	struct inflight inflight[MAX_INFLIGHT];
	struct smsr_smpp_stats stats;
};

/* A timer value; never below 10 ms (a table nobody reset with osmo_tdefs_reset() reads 0: that would
 * turn the reconnect backoff into a busy loop). */
static long tdef_ms(struct smsr_smpp *e, int T, long dflt)
{
	long v = (long)osmo_tdef_get(e->tdefs, T, OSMO_TDEF_MS, dflt);

	return v < 10 ? 10 : v;
}

static void sched_ms(struct osmo_timer_list *t, long ms)
{
	osmo_timer_schedule(t, (int)(ms / 1000), (int)(ms % 1000) * 1000);
}

static uint32_t next_seq(struct smsr_smpp *e)
{
	e->seq = e->seq >= 0x7FFFFFFF ? 1 : e->seq + 1; /* SMPP 3.4 §5.1.4: 1..0x7FFFFFFF */
	return e->seq;
}

/* ---- connection ---------------------------------------------------------------------------------- */

static void link_down(struct smsr_smpp *e, const char *why)
{
	bool was_bound = e->state == ESME_BOUND;
	long delay;

	if (e->ofd.fd >= 0) {
		osmo_fd_unregister(&e->ofd);
		close(e->ofd.fd);
		e->ofd.fd = -1;
	}
	if (e->state != ESME_DOWN) {
		e->stats.disconnects++;
		smsr_ctr_inc(SMSR_CTRG_SMPP, SMSR_CTR_SMPP_DISCONNECT);
	}
	e->state = ESME_DOWN;
	e->rx_len = 0;
	e->tx_len = 0;
	e->enquire_seq = 0;
	osmo_timer_del(&e->enquire_timer);
	osmo_timer_del(&e->resp_timer);
	/* submits without a response are lost with the link: the OTA layer retransmits on its timer */
	for (unsigned int i = 0; i < MAX_INFLIGHT; i++) {
		if (e->inflight[i].used && e->up.tx_status)
			e->up.tx_status(e->up.priv, e->inflight[i].tag, -ECONNRESET);
		e->inflight[i].used = false;
	}
	delay = tdef_ms(e, SMSR_T_SMPP_RECONNECT, 1000) * (1L << (e->backoff < 5 ? e->backoff : 5));
	if (e->backoff < BACKOFF_MAX)
		e->backoff++;
	LOGP(DSMPP, LOGL_NOTICE, "SMSC %s:%u: %s; reconnecting in %ld ms\n", e->cfg.host, e->cfg.port, why, delay);
	sched_ms(&e->reconnect_timer, delay);
	if (was_bound && e->up.bound)
		e->up.bound(e->up.priv, false);
}

static int queue_out(struct smsr_smpp *e, const uint8_t *pdu, size_t len)
{
	if (e->ofd.fd < 0)
		return -ENOTCONN;
	if (e->tx_len + len > OUTQ_MAX)
		return -ENOBUFS;
	memcpy(e->tx + e->tx_len, pdu, len);
	e->tx_len += len;
	osmo_fd_write_enable(&e->ofd);
	return 0;
}

/* A header-only PDU (enquire_link, *_resp without body, generic_nack, unbind). */
static int send_hdr(struct smsr_smpp *e, uint32_t cmd, uint32_t status, uint32_t seq, const uint8_t *body,
		    size_t body_len)
{
	uint8_t pdu[SMPP_HDR_LEN + 8];
	uint32_t v[4] = { htonl((uint32_t)(SMPP_HDR_LEN + body_len)), htonl(cmd), htonl(status), htonl(seq) };

	if (body_len > 8)
		return -EINVAL;
	memcpy(pdu, v, SMPP_HDR_LEN);
	if (body_len)
		memcpy(pdu + SMPP_HDR_LEN, body, body_len);
	return queue_out(e, pdu, SMPP_HDR_LEN + body_len);
}

static void send_bind(struct smsr_smpp *e)
{
	bind_transceiver_t b;
	uint8_t pdu[256];
	int len = 0;

	memset(&b, 0, sizeof(b));
	b.command_id = BIND_TRANSCEIVER;
	b.sequence_number = next_seq(e);
	b.interface_version = 0x34; /* SMPP 3.4 */
	snprintf((char *)b.system_id, sizeof(b.system_id), "%s", e->cfg.system_id ? e->cfg.system_id : "");
	snprintf((char *)b.password, sizeof(b.password), "%s", e->cfg.password ? e->cfg.password : "");
	snprintf((char *)b.system_type, sizeof(b.system_type), "%s", e->cfg.system_type ? e->cfg.system_type : "");
	if (smpp34_pack(BIND_TRANSCEIVER, pdu, sizeof(pdu), &len, &b) != 0 || len <= 0) {
		explicit_bzero(&b, sizeof(b));
		link_down(e, "bind_transceiver does not pack");
		return;
	}
	explicit_bzero(&b, sizeof(b));
	e->state = ESME_BINDING;
	queue_out(e, pdu, (size_t)len);
	explicit_bzero(pdu, sizeof(pdu)); /* it held the password */
	sched_ms(&e->resp_timer, tdef_ms(e, SMSR_T_SMPP_RESPONSE, 10000));
}

static int fd_cb(struct osmo_fd *ofd, unsigned int what);

static void reconnect_cb(void *data)
{
	struct smsr_smpp *e = data;
	int fd;

	fd = osmo_sock_init(AF_INET, SOCK_STREAM, IPPROTO_TCP, e->cfg.host, e->cfg.port,
			    OSMO_SOCK_F_CONNECT | OSMO_SOCK_F_NONBLOCK);
	if (fd < 0) {
		e->state = ESME_CONNECTING; /* counts as a failed attempt */
		link_down(e, "connect failed");
		return;
	}
	e->stats.connects++;
	osmo_fd_setup(&e->ofd, fd, OSMO_FD_READ | OSMO_FD_WRITE, fd_cb, e, 0);
	if (osmo_fd_register(&e->ofd) < 0) {
		close(fd);
		e->ofd.fd = -1;
		link_down(e, "cannot register the socket");
		return;
	}
	e->state = ESME_CONNECTING;
	sched_ms(&e->resp_timer, tdef_ms(e, SMSR_T_SMPP_RESPONSE, 10000));
}

static void resp_timer_cb(void *data)
{
	struct smsr_smpp *e = data;

	link_down(e, e->state == ESME_CONNECTING ? "connect timed out"
		     : e->state == ESME_BINDING	 ? "no bind_transceiver_resp"
						 : "no enquire_link_resp");
}

static void enquire_timer_cb(void *data)
{
	struct smsr_smpp *e = data;

	if (e->state != ESME_BOUND)
		return;
	sched_ms(&e->enquire_timer, tdef_ms(e, SMSR_T_SMPP_ENQUIRE, 30000));
	if (e->enquire_seq)
		return; /* the previous one is still unanswered: X41 decides */
	e->enquire_seq = next_seq(e);
	e->stats.enquire_tx++;
	send_hdr(e, ENQUIRE_LINK, 0, e->enquire_seq, NULL, 0);
	sched_ms(&e->resp_timer, tdef_ms(e, SMSR_T_SMPP_RESPONSE, 10000));
}

/* ---- PDUs in ------------------------------------------------------------------------------------- */

static void rx_deliver(struct smsr_smpp *e, const uint8_t *pdu, size_t len, uint32_t seq)
{
	struct smpp_sm sm;
	int rc = smpp_sm_decode(&sm, pdu, len);
	static const uint8_t empty_id = 0; /* deliver_sm_resp message_id: unused, NULL string (§4.6.2) */

	if (rc < 0) {
		e->stats.bad_pdus++;
		LOGP(DSMPP, LOGL_NOTICE, "malformed deliver_sm (%d) answered with ESME_RSYSERR\n", rc);
		send_hdr(e, DELIVER_SM_RESP, ESME_RSYSERR, seq, &empty_id, 1);
		return;
	}
	send_hdr(e, DELIVER_SM_RESP, ESME_ROK, seq, &empty_id, 1);
	if (sm.esm_class & SMPP_ESM_DELIVERY_RECEIPT) {
		e->stats.receipts++;
		LOGP(DSMPP, LOGL_DEBUG, "delivery receipt from %s (not matchable, counted)\n", sm.src.addr);
		return;
	}
	e->stats.delivers++;
	smsr_ctr_inc(SMSR_CTRG_SMPP, SMSR_CTR_SMPP_MO_RX);
	if (!(sm.esm_class & SMPP_ESM_UDHI)) {
		LOGP(DSMPP, LOGL_NOTICE, "deliver_sm from %s without UDHI: not an OTA packet, dropped\n", sm.src.addr);
		return;
	}
	LOGP(DSMPP, LOGL_INFO, "MO from %s: %zu octets (pid %02X dcs %02X)\n", sm.src.addr, sm.sm_len, sm.protocol_id,
	     sm.data_coding);
	if (e->up.mo)
		e->up.mo(e->up.priv, sm.src.addr, sm.sm, sm.sm_len);
}

static struct inflight *inflight_take(struct smsr_smpp *e, uint32_t seq)
{
	for (unsigned int i = 0; i < MAX_INFLIGHT; i++)
		if (e->inflight[i].used && e->inflight[i].seq == seq) {
			e->inflight[i].used = false;
			return &e->inflight[i];
		}
	return NULL;
}

/* One complete PDU. Returns false when the link was dropped. */
static bool rx_pdu(struct smsr_smpp *e, const uint8_t *pdu, size_t len)
{
	struct smpp_hdr h;
	struct inflight *f;

	if (smpp_hdr_decode(&h, pdu, len) < 0)
		return true; /* framing was checked already */
	switch (h.cmd_id) {
	case BIND_TRANSCEIVER_RESP:
		if (e->state != ESME_BINDING)
			break;
		osmo_timer_del(&e->resp_timer);
		if (h.status != ESME_ROK) {
			e->stats.binds_refused++;
			smsr_ctr_inc(SMSR_CTRG_SMPP, SMSR_CTR_SMPP_BIND_REFUSED);
			LOGP(DSMPP, LOGL_ERROR, "bind_transceiver as %s refused: status 0x%08" PRIx32 "\n",
			     e->cfg.system_id, h.status);
			link_down(e, "bind refused");
			return false;
		}
		e->stats.binds_ok++;
		smsr_ctr_inc(SMSR_CTRG_SMPP, SMSR_CTR_SMPP_BIND_OK);
		e->state = ESME_BOUND;
		e->backoff = 0;
		LOGP(DSMPP, LOGL_NOTICE, "bound to %s:%u as %s\n", e->cfg.host, e->cfg.port, e->cfg.system_id);
		sched_ms(&e->enquire_timer, tdef_ms(e, SMSR_T_SMPP_ENQUIRE, 30000));
		if (e->up.bound)
			e->up.bound(e->up.priv, true);
		return e->state == ESME_BOUND;
	case SUBMIT_SM_RESP:
		f = inflight_take(e, h.seq);
		if (!f) {
			LOGP(DSMPP, LOGL_NOTICE, "submit_sm_resp for unknown sequence %" PRIu32 "\n", h.seq);
			break;
		}
		if (h.status == ESME_ROK) {
			e->stats.submit_ok++;
		} else {
			e->stats.submit_err++;
			smsr_ctr_inc(SMSR_CTRG_SMPP, SMSR_CTR_SMPP_MT_REFUSED);
		}
		if (h.status != ESME_ROK)
			LOGP(DSMPP, LOGL_NOTICE, "submit_sm refused: status 0x%08" PRIx32 "\n", h.status);
		if (e->up.tx_status && (h.status != ESME_ROK || e->cfg.transaction_mode))
			e->up.tx_status(e->up.priv, f->tag, h.status == ESME_ROK ? 0 : -EIO);
		break;
	case DELIVER_SM: rx_deliver(e, pdu, len, h.seq); break;
	case ENQUIRE_LINK:
		e->stats.enquire_rx++;
		send_hdr(e, ENQUIRE_LINK_RESP, ESME_ROK, h.seq, NULL, 0);
		break;
	case ENQUIRE_LINK_RESP:
		if (e->enquire_seq && h.seq == e->enquire_seq) {
			e->enquire_seq = 0;
			osmo_timer_del(&e->resp_timer);
		}
		break;
	case UNBIND:
		send_hdr(e, UNBIND_RESP, ESME_ROK, h.seq, NULL, 0);
		/* flush what we can before closing: best effort, non-blocking */
		if (e->tx_len && write(e->ofd.fd, e->tx, e->tx_len) < 0)
			LOGP(DSMPP, LOGL_DEBUG, "unbind_resp not written\n");
		link_down(e, "SMSC unbound");
		return false;
	case GENERIC_NACK:
		e->stats.generic_nacks_rx++;
		smsr_ctr_inc(SMSR_CTRG_SMPP, SMSR_CTR_SMPP_GNACK_RX);
		LOGP(DSMPP, LOGL_NOTICE, "generic_nack 0x%08" PRIx32 " for sequence %" PRIu32 "\n", h.status, h.seq);
		f = inflight_take(e, h.seq);
		if (f && e->up.tx_status)
			e->up.tx_status(e->up.priv, f->tag, -EIO);
		break;
	case SMPP_CMD_ALERT_NOTIFICATION:
		LOGP(DSMPP, LOGL_DEBUG, "alert_notification ignored (no response PDU, SMPP 3.4 §4.12)\n");
		break;
	default:
		if (h.cmd_id & 0x80000000u) {
			LOGP(DSMPP, LOGL_NOTICE, "unexpected response 0x%08" PRIx32 " ignored\n", h.cmd_id);
			break;
		}
		e->stats.generic_nacks_tx++;
		smsr_ctr_inc(SMSR_CTRG_SMPP, SMSR_CTR_SMPP_GNACK_TX);
		LOGP(DSMPP, LOGL_NOTICE, "unknown command 0x%08" PRIx32 ": generic_nack\n", h.cmd_id);
		send_hdr(e, GENERIC_NACK, ESME_RINVCMDID, h.seq, NULL, 0);
		break;
	}
	return true;
}

static void do_read(struct smsr_smpp *e)
{
	ssize_t n = read(e->ofd.fd, e->rx + e->rx_len, sizeof(e->rx) - e->rx_len);
	size_t off = 0;

	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
		link_down(e, n == 0 ? "connection closed by the SMSC" : "read error");
		return;
	}
	if (n < 0)
		return;
	e->rx_len += (size_t)n;
	while (e->rx_len - off >= 4) {
		int flen = smpp_frame_len(e->rx + off, e->rx_len - off);

		if (flen < 0) {
			uint32_t seq = 0;

			if (e->rx_len - off >= SMPP_HDR_LEN)
				memcpy(&seq, e->rx + off + 12, 4);
			e->stats.bad_pdus++;
			e->stats.generic_nacks_tx++;
			smsr_ctr_inc(SMSR_CTRG_SMPP, SMSR_CTR_SMPP_GNACK_TX);
			send_hdr(e, GENERIC_NACK, ESME_RINVCMDLEN, ntohl(seq), NULL, 0);
			if (write(e->ofd.fd, e->tx, e->tx_len) < 0)
				LOGP(DSMPP, LOGL_DEBUG, "generic_nack not written\n");
			link_down(e, "command_length out of bounds");
			return;
		}
		if ((size_t)flen > e->rx_len - off)
			break;
		if (!rx_pdu(e, e->rx + off, (size_t)flen))
			return; /* link dropped: buffers are reset */
		off += (size_t)flen;
	}
	memmove(e->rx, e->rx + off, e->rx_len - off);
	e->rx_len -= off;
}

static void do_write(struct smsr_smpp *e)
{
	ssize_t n;

	if (e->state == ESME_CONNECTING) {
		int err = 0;
		socklen_t l = sizeof(err);

		if (getsockopt(e->ofd.fd, SOL_SOCKET, SO_ERROR, &err, &l) < 0 || err) {
			link_down(e, "connect failed");
			return;
		}
		osmo_timer_del(&e->resp_timer);
		send_bind(e);
		return;
	}
	if (!e->tx_len) {
		osmo_fd_write_disable(&e->ofd);
		return;
	}
	n = write(e->ofd.fd, e->tx, e->tx_len);
	if (n < 0) {
		if (errno != EAGAIN && errno != EINTR)
			link_down(e, "write error");
		return;
	}
	memmove(e->tx, e->tx + n, e->tx_len - (size_t)n);
	e->tx_len -= (size_t)n;
	if (!e->tx_len)
		osmo_fd_write_disable(&e->ofd);
}

static int fd_cb(struct osmo_fd *ofd, unsigned int what)
{
	struct smsr_smpp *e = ofd->data;

	if (what & OSMO_FD_WRITE) {
		do_write(e);
		if (e->ofd.fd < 0)
			return 0;
	}
	if ((what & OSMO_FD_READ) && e->state != ESME_CONNECTING)
		do_read(e);
	return 0;
}

/* ---- API ----------------------------------------------------------------------------------------- */

int smsr_smpp_send(void *tp, const char *dst, const uint8_t *ud, size_t len, uint32_t tag)
{
	struct smsr_smpp *e = tp;
	struct smpp_sm m;
	uint8_t pdu[512];
	struct inflight *slot = NULL;
	int n, rc;

	if (!e || !dst || !ud)
		return -EINVAL;
	if (e->state != ESME_BOUND)
		return -ENOTCONN;
	if (len > 140)
		return -EMSGSIZE;
	for (unsigned int i = 0; i < MAX_INFLIGHT && !slot; i++)
		if (!e->inflight[i].used)
			slot = &e->inflight[i];
	if (!slot)
		return -ENOBUFS;
	smpp_sm_init_data_download(&m, SMPP_CMD_SUBMIT_SM, e->cfg.dcs, e->cfg.registered_delivery);
	if (e->cfg.transaction_mode)
		m.esm_class |= SMPP_ESM_FORWARD_MODE; /* network-lab §2.2: synchronous delivery verdict */
	m.seq = next_seq(e);
	/* SMPP 3.4 §5.2.5/§5.2.6: TON 1 international, NPI 1 ISDN (the lab's routes: network/README.md) */
	m.src.ton = 1;
	m.src.npi = 1;
	snprintf(m.src.addr, sizeof(m.src.addr), "%s", e->cfg.src_addr ? e->cfg.src_addr : "");
	m.dst.ton = 1;
	m.dst.npi = 1;
	if (dst[0] == '+')
		dst++;
	if (strlen(dst) >= sizeof(m.dst.addr))
		return -EINVAL;
	snprintf(m.dst.addr, sizeof(m.dst.addr), "%s", dst);
	m.sm = ud;
	m.sm_len = len;
	n = smpp_sm_encode(&m, pdu, sizeof(pdu));
	if (n < 0)
		return n;
	rc = queue_out(e, pdu, (size_t)n);
	if (rc < 0)
		return rc;
	*slot = (struct inflight){ .seq = m.seq, .tag = tag, .used = true };
	e->stats.submits++;
	smsr_ctr_inc(SMSR_CTRG_SMPP, SMSR_CTR_SMPP_MT_SENT);
	return 0;
}

static int smpp_destructor(struct smsr_smpp *e)
{
	osmo_timer_del(&e->reconnect_timer);
	osmo_timer_del(&e->enquire_timer);
	osmo_timer_del(&e->resp_timer);
	if (e->ofd.fd >= 0) {
		osmo_fd_unregister(&e->ofd);
		close(e->ofd.fd);
	}
	return 0;
}

struct smsr_smpp *smsr_smpp_alloc(void *ctx, const struct smsr_smpp_cfg *cfg, const struct smsr_smpp_up *up)
{
	struct smsr_smpp *e;

	if (!cfg || !cfg->host || !cfg->port || !cfg->system_id)
		return NULL;
	e = talloc_zero(ctx, struct smsr_smpp);
	if (!e)
		return NULL;
	e->cfg = *cfg;
	e->cfg.host = talloc_strdup(e, cfg->host);
	e->cfg.system_id = talloc_strdup(e, cfg->system_id);
	e->cfg.password = talloc_strdup(e, cfg->password ? cfg->password : "");
	e->cfg.system_type = talloc_strdup(e, cfg->system_type ? cfg->system_type : "");
	e->cfg.src_addr = talloc_strdup(e, cfg->src_addr ? cfg->src_addr : "");
	e->tdefs = cfg->tdefs ? cfg->tdefs : smsr_smpp_tdefs;
	if (up)
		e->up = *up;
	e->tx = talloc_size(e, OUTQ_MAX);
	if (!e->tx) {
		talloc_free(e);
		return NULL;
	}
	e->ofd.fd = -1;
	osmo_timer_setup(&e->reconnect_timer, reconnect_cb, e);
	osmo_timer_setup(&e->enquire_timer, enquire_timer_cb, e);
	osmo_timer_setup(&e->resp_timer, resp_timer_cb, e);
	talloc_set_destructor(e, smpp_destructor);
	reconnect_cb(e);
	return e;
}

void smsr_smpp_free(struct smsr_smpp *e)
{
	talloc_free(e);
}

bool smsr_smpp_bound(const struct smsr_smpp *e)
{
	return e && e->state == ESME_BOUND;
}

const struct smsr_smpp_stats *smsr_smpp_stats(const struct smsr_smpp *e)
{
	return &e->stats;
}
