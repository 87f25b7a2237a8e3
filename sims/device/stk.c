/* Terminal side of the CAT (see stk.h). One osmo_fsm "dev_bip" instance per open channel:
 *
 *   CONNECTING --connected--> OPEN --peer closed / error / cut fault--> DROPPED (channel status event)
 *        \--failure / T connect--> (TERMINAL RESPONSE 21, channel freed)
 *
 * Channel buffers: rx holds what the TCP peer sent and the card has not yet read (RECEIVE DATA);
 * while it is full, the socket is not read (TCP flow control does the rest). tx holds SEND DATA in
 * store mode until an immediate SEND DATA flushes it. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <osmocom/core/logging.h>
#include <osmocom/core/select.h>
#include <osmocom/core/talloc.h>

#include "sims/device/stk.h"

#define S(x) (1u << (x))

const struct value_string dev_stk_refresh_tr_names[] = { { DEV_STK_REFRESH_TR_NONE, "none" },
							 { DEV_STK_REFRESH_TR_BEFORE_RESET, "before-reset" },
							 { 0, NULL } };

const struct value_string dev_stk_event_policy_names[] = { { DEV_STK_EVENTS_LISTED, "listed" },
							   { DEV_STK_EVENTS_ALWAYS, "always" },
							   { 0, NULL } };

struct osmo_tdef dev_stk_tdefs[] = {
	{ .T = DEV_STK_T_CONNECT, .default_val = 10, .unit = OSMO_TDEF_S, .desc = "BIP TCP connect guard" }, {}
};

enum bip_state {
	BIP_ST_CONNECTING,
	BIP_ST_OPEN,
	BIP_ST_DROPPED,
};
enum bip_event {
	BIP_EV_CONNECTED,
	BIP_EV_FAILED,
	BIP_EV_DROPPED,
};
static const struct value_string bip_event_names[] = {
	{ BIP_EV_CONNECTED, "CONNECTED" }, { BIP_EV_FAILED, "FAILED" }, { BIP_EV_DROPPED, "DROPPED" }, { 0, NULL }
};

struct dev_bip_chan {
	struct osmo_fsm_inst *fi;
	struct dev_stk *stk;
	uint8_t id;
	struct osmo_fd ofd;
	struct cat_cmd_details open_cmd;
	uint8_t bearer_type;
	uint8_t bearer_params[32];
	size_t bearer_params_len;
	uint16_t buf_size;
	bool modified; /* buffer size reduced: result 07 */
	uint8_t *rx;
	size_t rx_len;
	bool rx_notified; /* a data-available event went out for the current rx content */
	uint8_t *tx;
	size_t tx_len;
	unsigned long relayed; /* bytes both ways, for the cut fault */
};

static void stk_event(struct dev_stk *stk, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void stk_event(struct dev_stk *stk, const char *fmt, ...)
{
	char buf[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	LOGP(DLGLOBAL, LOGL_INFO, "stk: %s\n", buf);
	if (stk->ops->event)
		stk->ops->event(stk->priv, buf);
}

static bool event_listed(const struct dev_stk *stk, uint8_t ev)
{
	if (stk->event_policy == DEV_STK_EVENTS_ALWAYS)
		return true;
	for (size_t i = 0; i < stk->n_events; i++)
		if (stk->events[i] == ev)
			return true;
	return false;
}

static int send_tr(struct dev_stk *stk, const struct cat_terminal_response *tr)
{
	uint8_t buf[256];
	int n = cat_terminal_response_encode(buf, sizeof(buf), tr);
	if (n < 0)
		return n;
	stk->n_tr++;
	return stk->ops->terminal_response(stk->priv, buf, (size_t)n);
}

static void tr_init(struct cat_terminal_response *tr, const struct cat_cmd_details *d, uint8_t general)
{
	memset(tr, 0, sizeof(*tr));
	tr->details = *d;
	tr->dev.src = CAT_DEV_TERMINAL;
	tr->dev.dst = CAT_DEV_UICC;
	tr->general = general;
}

static int tr_simple(struct dev_stk *stk, const struct cat_cmd_details *d, uint8_t general, int add)
{
	struct cat_terminal_response tr;
	uint8_t a = (uint8_t)add;

	tr_init(&tr, d, general);
	if (add >= 0) {
		tr.add_info.data = &a;
		tr.add_info.len = 1;
	}
	return send_tr(stk, &tr);
}

static void send_event(struct dev_stk *stk, struct cat_envelope *env)
{
	uint8_t buf[256];
	int n;

	if (!event_listed(stk, env->event))
		return;
	env->tag = CAT_TAG_EVENT_DOWNLOAD;
	env->dev.src = CAT_DEV_TERMINAL;
	env->dev.dst = CAT_DEV_UICC;
	n = cat_envelope_encode(buf, sizeof(buf), env);
	if (n < 0)
		return;
	stk->n_env++;
	int rc = stk->ops->envelope(stk->priv, buf, (size_t)n);
	if (env->event == CAT_EV_LOCATION_STATUS) /* for the harness: what the card was told */
		stk_event(stk, "EVENT DOWNLOAD location status: %s (rc=%d)",
			  get_value_string(cat_location_status_names, env->location_status), rc);
}

static struct cat_channel_status chan_status(const struct dev_bip_chan *ch)
{
	struct cat_channel_status cs = { .channel_id = ch->id };
	cs.established = ch->fi->state == BIP_ST_OPEN;
	cs.further_info = ch->fi->state == BIP_ST_DROPPED ? CAT_CHAN_INFO_LINK_DROPPED : CAT_CHAN_INFO_NONE;
	return cs;
}

/* --- channel I/O ------------------------------------------------------------------------------------------ */
static void chan_data_available(struct dev_bip_chan *ch)
{
	struct cat_envelope env = { .event = CAT_EV_DATA_AVAILABLE };

	if (ch->rx_notified || !ch->rx_len)
		return;
	ch->rx_notified = true;
	env.has_channel_status = true;
	env.channel_status = chan_status(ch);
	env.has_channel_data_length = true;
	env.channel_data_length = ch->rx_len > 0xfe ? CAT_CHANNEL_DATA_LENGTH_MORE : (uint8_t)ch->rx_len;
	send_event(ch->stk, &env);
}

/* cut fault: returns true when the link was cut */
static bool chan_count(struct dev_bip_chan *ch, size_t n)
{
	ch->relayed += n;
	if (ch->stk->bip_cut_after >= 0 && ch->relayed >= (unsigned long)ch->stk->bip_cut_after) {
		stk_event(ch->stk, "BIP channel %u cut after %lu bytes (fault)", ch->id, ch->relayed);
		ch->stk->bip_cut_after = -1;
		osmo_fsm_inst_dispatch(ch->fi, BIP_EV_DROPPED, NULL);
		return true;
	}
	return false;
}

static int chan_flush(struct dev_bip_chan *ch)
{
	while (ch->tx_len) {
		size_t n = ch->tx_len;
		if (ch->stk->bip_cut_after >= 0 && ch->relayed + n > (unsigned long)ch->stk->bip_cut_after)
			n = (unsigned long)ch->stk->bip_cut_after - ch->relayed;
		ssize_t w = n ? send(ch->ofd.fd, ch->tx, n, MSG_NOSIGNAL | MSG_DONTWAIT) : 0;
		if (w < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK) {
				osmo_fd_write_enable(&ch->ofd);
				return 0;
			}
			osmo_fsm_inst_dispatch(ch->fi, BIP_EV_DROPPED, NULL);
			return -EPIPE;
		}
		memmove(ch->tx, ch->tx + w, ch->tx_len - (size_t)w);
		ch->tx_len -= (size_t)w;
		if (chan_count(ch, (size_t)w))
			return -EPIPE;
	}
	osmo_fd_write_disable(&ch->ofd);
	return 0;
}

static int chan_fd_cb(struct osmo_fd *ofd, unsigned int what)
{
	struct dev_bip_chan *ch = ofd->data;

	if (ch->fi->state == BIP_ST_CONNECTING) {
		int err = 0;
		socklen_t l = sizeof(err);
		getsockopt(ofd->fd, SOL_SOCKET, SO_ERROR, &err, &l);
		osmo_fd_write_disable(ofd);
		osmo_fsm_inst_dispatch(ch->fi, err ? BIP_EV_FAILED : BIP_EV_CONNECTED, NULL);
		return 0;
	}
	if (ch->fi->state != BIP_ST_OPEN)
		return 0;
	if (what & OSMO_FD_WRITE)
		chan_flush(ch);
	if ((what & OSMO_FD_READ) && ch->fi->state == BIP_ST_OPEN) {
		size_t room = ch->buf_size - ch->rx_len;
		if (!room) {
			osmo_fd_read_disable(ofd); /* the card reads first */
			return 0;
		}
		if (ch->stk->bip_cut_after >= 0 && ch->relayed + room > (unsigned long)ch->stk->bip_cut_after)
			room = (unsigned long)ch->stk->bip_cut_after - ch->relayed;
		ssize_t r = room ? recv(ofd->fd, ch->rx + ch->rx_len, room, MSG_DONTWAIT) : 0;
		if (room && r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return 0;
		if (room && r <= 0) {
			stk_event(ch->stk, "BIP channel %u: peer closed", ch->id);
			osmo_fsm_inst_dispatch(ch->fi, BIP_EV_DROPPED, NULL);
			return 0;
		}
		ch->rx_len += (size_t)(r > 0 ? r : 0);
		bool cut = chan_count(ch, (size_t)(r > 0 ? r : 0));
		if (!cut)
			chan_data_available(ch);
	}
	return 0;
}

/* --- the channel fsm ------------------------------------------------------------------------------------- */
static void chan_answer_open(struct dev_bip_chan *ch, bool ok)
{
	struct dev_stk *stk = ch->stk;
	struct cat_terminal_response tr;

	stk->pending = false;
	if (!ok) {
		stk_event(stk, "OPEN CHANNEL %u failed", ch->id);
		tr_simple(stk, &ch->open_cmd, CAT_RES_NETWORK_UNABLE, CAT_ADD_TERMINAL_NO_CAUSE);
		return;
	}
	tr_init(&tr, &ch->open_cmd, ch->modified ? CAT_RES_OK_WITH_MODIFICATION : CAT_RES_OK);
	tr.n_channel_status = 1;
	tr.channel_status[0] = chan_status(ch);
	tr.has_bearer = true;
	tr.bearer_type = ch->bearer_type;
	tr.bearer_params.data = ch->bearer_params;
	tr.bearer_params.len = ch->bearer_params_len;
	tr.has_buffer_size = true;
	tr.buffer_size = ch->buf_size;
	stk_event(stk, "OPEN CHANNEL %u established (buffer %u)", ch->id, ch->buf_size);
	send_tr(stk, &tr);
}

static void bip_connecting(struct osmo_fsm_inst *fi, uint32_t event, void *data)
{
	struct dev_bip_chan *ch = fi->priv;
	switch (event) {
	case BIP_EV_CONNECTED:
		osmo_fsm_inst_state_chg(fi, BIP_ST_OPEN, 0, 0);
		osmo_fd_read_enable(&ch->ofd);
		chan_answer_open(ch, true);
		break;
	case BIP_EV_FAILED:
		chan_answer_open(ch, false);
		osmo_fsm_inst_term(fi, OSMO_FSM_TERM_ERROR, NULL);
		break;
	}
}

static void bip_open(struct osmo_fsm_inst *fi, uint32_t event, void *data)
{
	struct dev_bip_chan *ch = fi->priv;
	struct cat_envelope env = { .event = CAT_EV_CHANNEL_STATUS };

	if (event != BIP_EV_DROPPED)
		return;
	osmo_fd_unregister(&ch->ofd);
	close(ch->ofd.fd);
	ch->ofd.fd = -1;
	osmo_fsm_inst_state_chg(fi, BIP_ST_DROPPED, 0, 0);
	/* TS 102 223 §7.5.11: channel status event, link dropped */
	env.has_channel_status = true;
	env.channel_status = chan_status(ch);
	send_event(ch->stk, &env);
}

static int bip_timer_cb(struct osmo_fsm_inst *fi)
{
	struct dev_bip_chan *ch = fi->priv;
	if (fi->state == BIP_ST_CONNECTING)
		chan_answer_open(ch, false);
	return 1;
}

static void bip_cleanup(struct osmo_fsm_inst *fi, enum osmo_fsm_term_cause cause)
{
	struct dev_bip_chan *ch = fi->priv;
	if (ch->ofd.fd >= 0) {
		if (osmo_fd_is_registered(&ch->ofd))
			osmo_fd_unregister(&ch->ofd);
		close(ch->ofd.fd);
		ch->ofd.fd = -1;
	}
	if (ch->stk->chan[ch->id] == ch)
		ch->stk->chan[ch->id] = NULL;
}

static const struct osmo_fsm_state bip_states[] = {
	[BIP_ST_CONNECTING] = { .name = "CONNECTING",
				.in_event_mask = S(BIP_EV_CONNECTED) | S(BIP_EV_FAILED),
				.out_state_mask = S(BIP_ST_CONNECTING) | S(BIP_ST_OPEN),
				.action = bip_connecting },
	[BIP_ST_OPEN] = { .name = "OPEN",
			  .in_event_mask = S(BIP_EV_DROPPED),
			  .out_state_mask = S(BIP_ST_DROPPED),
			  .action = bip_open },
	[BIP_ST_DROPPED] = { .name = "DROPPED", .in_event_mask = S(BIP_EV_DROPPED) },
};

static struct osmo_fsm bip_fsm = {
	.name = "dev_bip",
	.states = bip_states,
	.num_states = ARRAY_SIZE(bip_states),
	.event_names = bip_event_names,
	.timer_cb = bip_timer_cb,
	.cleanup = bip_cleanup,
};

static __attribute__((constructor)) void bip_fsm_register(void)
{
	OSMO_ASSERT(osmo_fsm_register(&bip_fsm) == 0);
}

/* --- proactive commands --------------------------------------------------------------------------------- */
static int cmd_open_channel(struct dev_stk *stk, const struct cat_proactive *p)
{
	const struct cat_channel_params *cp = &p->channel;
	struct sockaddr_in sa = { .sin_family = AF_INET };
	struct dev_bip_chan *ch;
	uint8_t id = 0;

	if (!cp->has_transport || !cp->has_buffer_size || !cp->dest_addr.data)
		return tr_simple(stk, &p->details, CAT_RES_REQUIRED_VALUES_MISSING, -1);
	if (cp->transport != CAT_TRANSPORT_TCP_CLIENT_REMOTE || cp->dest_addr.len != 5 ||
	    cp->dest_addr.data[0] != CAT_ADDR_IPV4)
		return tr_simple(stk, &p->details, CAT_RES_BEYOND_CAPABILITY, -1);
	for (uint8_t i = 1; i <= CAT_MAX_CHANNELS; i++) {
		if (!stk->chan[i]) {
			id = i;
			break;
		}
	}
	if (!id) /* TS 102 223 §8.12.11: no channel available */
		return tr_simple(stk, &p->details, CAT_RES_BIP_ERROR, CAT_ADD_BIP_NO_CHANNEL);

	struct osmo_fsm_inst *fi = osmo_fsm_inst_alloc(&bip_fsm, stk, NULL, LOGL_INFO, NULL);
	if (!fi)
		return -ENOMEM;
	ch = talloc_zero(fi, struct dev_bip_chan);
	fi->priv = ch;
	ch->fi = fi;
	ch->stk = stk;
	ch->id = id;
	ch->open_cmd = p->details;
	ch->bearer_type = cp->has_bearer ? cp->bearer_type : CAT_BEARER_DEFAULT;
	ch->bearer_params_len = cp->bearer_params.len < sizeof(ch->bearer_params) ? cp->bearer_params.len : 0;
	if (ch->bearer_params_len)
		memcpy(ch->bearer_params, cp->bearer_params.data, ch->bearer_params_len);
	ch->buf_size = cp->buffer_size;
	if (ch->buf_size > DEV_BIP_BUF_MAX || ch->buf_size == 0) {
		ch->buf_size = DEV_BIP_BUF_MAX; /* §6.4.27: offer what we have, result 07 */
		ch->modified = true;
	}
	ch->rx = talloc_size(ch, ch->buf_size);
	ch->tx = talloc_size(ch, ch->buf_size);
	stk->chan[id] = ch;

	memcpy(&sa.sin_addr, cp->dest_addr.data + 1, 4);
	sa.sin_port = htons(cp->port);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	osmo_fd_setup(&ch->ofd, fd, OSMO_FD_WRITE, chan_fd_cb, ch, 0);
	stk->pending = true;
	stk->pending_cmd = p->details;
	char ip[INET_ADDRSTRLEN];
	inet_ntop(AF_INET, &sa.sin_addr, ip, sizeof(ip));
	stk_event(stk, "OPEN CHANNEL %u -> %s:%u", id, ip, cp->port);
	if (fd < 0 || (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 && errno != EINPROGRESS)) {
		osmo_fsm_inst_dispatch(fi, BIP_EV_FAILED, NULL);
		return 0;
	}
	int one = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	osmo_fd_register(&ch->ofd);
	osmo_fsm_inst_state_chg(fi, BIP_ST_CONNECTING,
				(unsigned long)osmo_tdef_get(dev_stk_tdefs, DEV_STK_T_CONNECT, OSMO_TDEF_S, 10),
				DEV_STK_T_CONNECT);
	return 0;
}

static struct dev_bip_chan *chan_of(struct dev_stk *stk, const struct cat_proactive *p)
{
	unsigned int n = cat_dev_channel_nr(p->dev.dst);
	return n ? stk->chan[n] : NULL;
}

static int cmd_send_data(struct dev_stk *stk, const struct cat_proactive *p)
{
	struct dev_bip_chan *ch = chan_of(stk, p);
	struct cat_terminal_response tr;

	if (!ch)
		return tr_simple(stk, &p->details, CAT_RES_BIP_ERROR, CAT_ADD_BIP_CHANNEL_ID_INVALID);
	if (ch->fi->state != BIP_ST_OPEN)
		return tr_simple(stk, &p->details, CAT_RES_BIP_ERROR, CAT_ADD_BIP_CHANNEL_CLOSED);
	if (p->channel_data.len > ch->buf_size - ch->tx_len)
		return tr_simple(stk, &p->details, CAT_RES_BIP_ERROR, CAT_ADD_BIP_BUFFER_SIZE_UNAVAILABLE);
	if (p->channel_data.len)
		memcpy(ch->tx + ch->tx_len, p->channel_data.data, p->channel_data.len);
	ch->tx_len += p->channel_data.len;
	if ((p->details.qualifier & CAT_SEND_DATA_IMMEDIATE) && chan_flush(ch) < 0)
		return tr_simple(stk, &p->details, CAT_RES_BIP_ERROR, CAT_ADD_BIP_CHANNEL_CLOSED);
	tr_init(&tr, &p->details, CAT_RES_OK);
	tr.has_channel_data_length = true;
	size_t room = ch->buf_size - ch->tx_len;
	tr.channel_data_length = room > 0xfe ? CAT_CHANNEL_DATA_LENGTH_MORE : (uint8_t)room;
	return send_tr(stk, &tr);
}

static int cmd_receive_data(struct dev_stk *stk, const struct cat_proactive *p)
{
	struct dev_bip_chan *ch = chan_of(stk, p);
	struct cat_terminal_response tr;
	uint8_t out[DEV_BIP_RX_CHUNK];

	if (!ch)
		return tr_simple(stk, &p->details, CAT_RES_BIP_ERROR, CAT_ADD_BIP_CHANNEL_ID_INVALID);
	if (!ch->rx_len) /* nothing to read (also after a drop) */
		return tr_simple(stk, &p->details, CAT_RES_BIP_ERROR,
				 ch->fi->state == BIP_ST_OPEN ? CAT_ADD_BIP_NO_CAUSE : CAT_ADD_BIP_CHANNEL_CLOSED);
	size_t want = p->has_channel_data_length ? p->channel_data_length : DEV_BIP_RX_CHUNK;
	size_t n = want < ch->rx_len ? want : ch->rx_len;
	if (n > sizeof(out))
		n = sizeof(out);
	memcpy(out, ch->rx, n);
	memmove(ch->rx, ch->rx + n, ch->rx_len - n);
	ch->rx_len -= n;
	/* TS 102 223 §6.4.29: fewer bytes than asked -> "performed with missing information" */
	tr_init(&tr, &p->details, n < want ? CAT_RES_OK_MISSING_INFO : CAT_RES_OK);
	tr.channel_data.data = out;
	tr.channel_data.len = n;
	tr.has_channel_data_length = true;
	tr.channel_data_length = ch->rx_len > 0xfe ? CAT_CHANNEL_DATA_LENGTH_MORE : (uint8_t)ch->rx_len;
	int rc = send_tr(stk, &tr);
	if (!ch->rx_len) {
		ch->rx_notified = false; /* the next arrival is new data */
		if (ch->fi->state == BIP_ST_OPEN)
			osmo_fd_read_enable(&ch->ofd);
	}
	return rc;
}

static int cmd_close_channel(struct dev_stk *stk, const struct cat_proactive *p)
{
	struct dev_bip_chan *ch = chan_of(stk, p);
	if (!ch)
		return tr_simple(stk, &p->details, CAT_RES_BIP_ERROR, CAT_ADD_BIP_CHANNEL_ID_INVALID);
	stk_event(stk, "CLOSE CHANNEL %u (relayed %lu bytes)", ch->id, ch->relayed);
	osmo_fsm_inst_term(ch->fi, OSMO_FSM_TERM_REGULAR, NULL);
	return tr_simple(stk, &p->details, CAT_RES_OK, -1);
}

static int cmd_channel_status(struct dev_stk *stk, const struct cat_proactive *p)
{
	struct cat_terminal_response tr;

	tr_init(&tr, &p->details, CAT_RES_OK);
	for (unsigned int i = 1; i <= CAT_MAX_CHANNELS; i++)
		if (stk->chan[i] && tr.n_channel_status < CAT_MAX_CHANNELS)
			tr.channel_status[tr.n_channel_status++] = chan_status(stk->chan[i]);
	return send_tr(stk, &tr);
}

static int cmd_local_info(struct dev_stk *stk, const struct cat_proactive *p)
{
	struct cat_terminal_response tr;

	tr_init(&tr, &p->details, CAT_RES_OK);
	switch (p->details.qualifier) {
	case CAT_LOCAL_INFO_IMEI:
		if (cat_imei_encode(tr.imei, stk->imei) < 0)
			return tr_simple(stk, &p->details, CAT_RES_TERMINAL_UNABLE, CAT_ADD_TERMINAL_NO_CAUSE);
		tr.has_imei = true;
		break;
	case CAT_LOCAL_INFO_LOCATION:
		if (!stk->has_loci)
			return tr_simple(stk, &p->details, CAT_RES_TERMINAL_UNABLE, CAT_ADD_TERMINAL_NO_SERVICE);
		tr.location_info.data = stk->loci;
		tr.location_info.len = sizeof(stk->loci);
		break;
	default: return tr_simple(stk, &p->details, CAT_RES_BEYOND_CAPABILITY, -1);
	}
	return send_tr(stk, &tr);
}

static int cmd_send_sms(struct dev_stk *stk, const struct cat_proactive *p)
{
	if (!p->tpdu.data || !p->tpdu.len)
		return tr_simple(stk, &p->details, CAT_RES_REQUIRED_VALUES_MISSING, -1);
	int rc = stk->ops->send_sms(stk->priv, p->address.data, p->address.len, p->tpdu.data, p->tpdu.len);
	if (rc < 0) {
		stk_event(stk, "SEND SHORT MESSAGE refused (%d)", rc);
		return tr_simple(stk, &p->details, CAT_RES_TERMINAL_UNABLE,
				 rc == -ENOTCONN ? CAT_ADD_TERMINAL_NO_SERVICE : CAT_ADD_TERMINAL_NO_CAUSE);
	}
	stk->pending = true;
	stk->pending_cmd = p->details;
	stk_event(stk, "SEND SHORT MESSAGE -> MO SMS");
	return 0;
}

void dev_stk_sms_done(struct dev_stk *stk, int result)
{
	if (!stk->pending || stk->pending_cmd.type != CAT_CMD_SEND_SHORT_MESSAGE)
		return;
	stk->pending = false;
	if (result == 0)
		tr_simple(stk, &stk->pending_cmd, CAT_RES_OK, -1);
	else if (result > 0) /* TS 31.111 §8.12.12: SMS RP-ERROR, additional info = RP cause with bit 8 set */
		tr_simple(stk, &stk->pending_cmd, CAT_RES_SMS_RP_ERROR, 0x80 | (result & 0x7f));
	else
		tr_simple(stk, &stk->pending_cmd, CAT_RES_NETWORK_UNABLE, CAT_ADD_TERMINAL_NO_CAUSE);
}

static int cmd_refresh(struct dev_stk *stk, const struct cat_proactive *p)
{
	uint8_t mode = p->details.qualifier;
	bool uicc_reset = mode == CAT_REFRESH_UICC_RESET;

	stk_event(stk, "REFRESH %s", get_value_string(cat_refresh_mode_names, mode));
	if (!uicc_reset || stk->refresh_tr == DEV_STK_REFRESH_TR_BEFORE_RESET)
		tr_simple(stk, &p->details, CAT_RES_OK, -1);
	stk->ops->refresh(stk->priv, mode);
	return 0;
}

static int cmd_event_list(struct dev_stk *stk, const struct cat_proactive *p)
{
	size_t n = p->events.len < CAT_MAX_EVENTS ? p->events.len : CAT_MAX_EVENTS;
	if (n)
		memcpy(stk->events, p->events.data, n);
	stk->n_events = n;
	return tr_simple(stk, &p->details, CAT_RES_OK, -1);
}

int dev_stk_proactive(struct dev_stk *stk, const uint8_t *cmd, size_t len)
{
	struct cat_proactive p;
	int rc;

	if (stk->pending)
		return -EBUSY;
	memset(&p, 0, sizeof(p));
	rc = cat_proactive_decode(&p, cmd, len);
	if (rc < 0) {
		/* TS 102 223 §6.10: without usable command details no TR can be addressed */
		stk_event(stk, "undecodable proactive command (%d)", rc);
		if (p.details.type) /* the decoder got as far as the command details */
			return tr_simple(stk, &p.details, CAT_RES_DATA_NOT_UNDERSTOOD, -1);
		return rc;
	}
	stk->n_cmds++;
	LOGP(DLGLOBAL, LOGL_DEBUG, "stk: proactive %s\n", get_value_string(cat_cmd_type_names, p.details.type));
	switch (p.details.type) {
	case CAT_CMD_OPEN_CHANNEL:
	case CAT_CMD_SEND_DATA:
	case CAT_CMD_RECEIVE_DATA:
	case CAT_CMD_CLOSE_CHANNEL:
	case CAT_CMD_GET_CHANNEL_STATUS:
	case CAT_CMD_PROVIDE_LOCAL_INFO:
	case CAT_CMD_SEND_SHORT_MESSAGE:
	case CAT_CMD_REFRESH:
	case CAT_CMD_SET_UP_EVENT_LIST: break;
	default: /* §6.10: a type we do not know */ return tr_simple(stk, &p.details, CAT_RES_TYPE_NOT_UNDERSTOOD, -1);
	}
	if (p.unknown_cr)
		return tr_simple(stk, &p.details, CAT_RES_DATA_NOT_UNDERSTOOD, -1);
	if (p.missing)
		return tr_simple(stk, &p.details, CAT_RES_REQUIRED_VALUES_MISSING, -1);
	switch (p.details.type) {
	case CAT_CMD_OPEN_CHANNEL: return cmd_open_channel(stk, &p);
	case CAT_CMD_SEND_DATA: return cmd_send_data(stk, &p);
	case CAT_CMD_RECEIVE_DATA: return cmd_receive_data(stk, &p);
	case CAT_CMD_CLOSE_CHANNEL: return cmd_close_channel(stk, &p);
	case CAT_CMD_GET_CHANNEL_STATUS: return cmd_channel_status(stk, &p);
	case CAT_CMD_PROVIDE_LOCAL_INFO: return cmd_local_info(stk, &p);
	case CAT_CMD_SEND_SHORT_MESSAGE: return cmd_send_sms(stk, &p);
	case CAT_CMD_REFRESH: return cmd_refresh(stk, &p);
	case CAT_CMD_SET_UP_EVENT_LIST:
	default: return cmd_event_list(stk, &p);
	}
}

void dev_stk_location_status(struct dev_stk *stk, uint8_t status, const uint8_t *loci, size_t loci_len)
{
	struct cat_envelope env = { .event = CAT_EV_LOCATION_STATUS, .has_location_status = true };

	env.location_status = status;
	stk->has_loci = status == CAT_LOC_NORMAL_SERVICE && loci && loci_len == sizeof(stk->loci);
	if (stk->has_loci) {
		memcpy(stk->loci, loci, sizeof(stk->loci));
		env.location_info.data = stk->loci;
		env.location_info.len = sizeof(stk->loci);
	}
	send_event(stk, &env);
}

void dev_stk_card_reset(struct dev_stk *stk)
{
	for (unsigned int i = 1; i <= CAT_MAX_CHANNELS; i++)
		if (stk->chan[i])
			osmo_fsm_inst_term(stk->chan[i]->fi, OSMO_FSM_TERM_REGULAR, NULL);
	stk->n_events = 0;
	stk->pending = false;
}

bool dev_stk_busy(const struct dev_stk *stk)
{
	return stk->pending;
}

void dev_stk_channels_str(const struct dev_stk *stk, char *buf, size_t len)
{
	size_t o = 0;
	buf[0] = '\0';
	for (unsigned int i = 1; i <= CAT_MAX_CHANNELS && o < len; i++) {
		const struct dev_bip_chan *ch = stk->chan[i];
		if (!ch)
			continue;
		int n = snprintf(buf + o, len - o, "%s%u:%s:%zu:%lu", o ? "," : "", ch->id,
				 osmo_fsm_inst_state_name(ch->fi), ch->rx_len, ch->relayed);
		if (n < 0)
			break;
		o += (size_t)n;
	}
}

struct dev_stk *dev_stk_alloc(void *ctx, const struct dev_stk_ops *ops, void *priv, const char *imei)
{
	struct dev_stk *stk = talloc_zero(ctx, struct dev_stk);
	if (!stk)
		return NULL;
	stk->ops = ops;
	stk->priv = priv;
	stk->bip_cut_after = -1;
	OSMO_STRLCPY_ARRAY(stk->imei, imei ? imei : "");
	return stk;
}

void dev_stk_free(struct dev_stk *stk)
{
	if (!stk)
		return;
	dev_stk_card_reset(stk);
	talloc_free(stk);
}
