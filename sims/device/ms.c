/* The GSM MS behind the simulated BSC (see ms.h).
 *
 *   OFF --power on--> WAIT_RESET_ACK --RESET ACK--> (read IMSI) LU --ACCEPT--> ATTACHED
 *                                                                 \--REJECT/T3210--> LIMITED
 *   ATTACHED/LIMITED --detach / refresh / power off--> DETACH --release/T3220--> (re-attach | OFF)
 *
 * One RR connection (= one SCCP connection) at a time, as a real MS has; work that needs one while it is
 * busy (detach, re-attach, MO SMS) waits in the dev_ms fields and is started when the connection is
 * released (ms_kick). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <osmocom/core/logging.h>
#include <osmocom/core/talloc.h>
#include <osmocom/gsm/gsm0808.h>
#include <osmocom/gsm/gsm48.h>
#include <osmocom/gsm/protocol/gsm_08_08.h>

#include "lib/cat/cat.h"
#include "lib/sms/sms.h"
#include "sims/device/a_msg.h"
#include "sims/device/ms.h"

const struct value_string dev_ms_state_names[] = {
	{ DEV_MS_ST_OFF, "OFF" },	    { DEV_MS_ST_WAIT_RESET_ACK, "WAIT_RESET_ACK" },
	{ DEV_MS_ST_NO_IMSI, "NO_IMSI" },   { DEV_MS_ST_LU, "LU" },
	{ DEV_MS_ST_ATTACHED, "ATTACHED" }, { DEV_MS_ST_LIMITED, "LIMITED" },
	{ DEV_MS_ST_DETACH, "DETACH" },	    { 0, NULL }
};

struct osmo_tdef dev_ms_tdefs[] = {
	{ .T = DEV_MS_T_RESET, .default_val = 2, .unit = OSMO_TDEF_S, .desc = "BSSMAP RESET repetition" },
	{ .T = DEV_MS_T3210, .default_val = 20, .unit = OSMO_TDEF_S, .desc = "LOCATION UPDATING guard" },
	{ .T = DEV_MS_T3220, .default_val = 5, .unit = OSMO_TDEF_S, .desc = "IMSI DETACH guard" },
	{ .T = DEV_MS_T_MO_SMS, .default_val = 40, .unit = OSMO_TDEF_S, .desc = "MO SMS guard" },
	{ .T = DEV_MS_T3211, .default_val = 15, .unit = OSMO_TDEF_S, .desc = "LU retry after a failure" },
	{}
};

enum ms_event {
	MS_EV_POWER_ON,
	MS_EV_RESET_ACK,
	MS_EV_LU_ACCEPT,
	MS_EV_LU_REJECT,
	MS_EV_RELEASED,
};
static const struct value_string ms_event_names[] = {
	{ MS_EV_POWER_ON, "POWER_ON" },	  { MS_EV_RESET_ACK, "RESET_ACK" }, { MS_EV_LU_ACCEPT, "LU_ACCEPT" },
	{ MS_EV_LU_REJECT, "LU_REJECT" }, { MS_EV_RELEASED, "RELEASED" },   { 0, NULL }
};

#define S(x) (1u << (x))

static void ms_kick(struct dev_ms *ms);

static void ms_event(struct dev_ms *ms, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void ms_event(struct dev_ms *ms, const char *fmt, ...)
{
	char buf[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	LOGPFSML(ms->fi, LOGL_INFO, "%s\n", buf);
	if (ms->sim->event)
		ms->sim->event(ms->priv, buf);
}

static void state_chg(struct dev_ms *ms, enum dev_ms_state st)
{
	int T = 0;

	switch (st) {
	case DEV_MS_ST_WAIT_RESET_ACK: T = DEV_MS_T_RESET; break;
	case DEV_MS_ST_LU: T = DEV_MS_T3210; break;
	case DEV_MS_ST_DETACH: T = DEV_MS_T3220; break;
	default: break;
	}
	osmo_fsm_inst_state_chg(ms->fi, st, T ? (unsigned long)osmo_tdef_get(dev_ms_tdefs, T, OSMO_TDEF_S, 10) : 0, T);
}

/* --- sending -------------------------------------------------------------------------------------------- */
static struct msgb *l3_alloc(void)
{
	struct msgb *m = msgb_alloc_headroom(512, 128, "dev L3");
	m->l3h = m->data;
	return m;
}

static int conn_send_dtap(struct dev_ms *ms, struct msgb *l3, uint8_t dlci)
{
	int rc;

	if (!ms->conn.active) {
		msgb_free(l3);
		return -ENOTCONN;
	}
	struct msgb *d = gsm0808_create_dtap(l3, dlci);
	msgb_free(l3);
	if (!d)
		return -ENOMEM;
	rc = ms->net->tx_conn_data(ms->priv, ms->conn.id, d);
	return rc;
}

/* MM message from the MS: N(SD) in bits 7-8 of the message type (TS 24.007 §11.2.3.2.3) */
static int conn_send_mm(struct dev_ms *ms, struct msgb *l3)
{
	struct gsm48_hdr *gh = (struct gsm48_hdr *)l3->l3h;
	gh->msg_type |= (uint8_t)((ms->conn.nsd++ & 1) << 6);
	return conn_send_dtap(ms, l3, 0);
}

static void put_mi_imsi(struct msgb *m, const char *imsi)
{
	uint8_t mi[9];
	int n = dev_mi_imsi_encode(mi, imsi);
	if (n < 0)
		n = 0;
	msgb_put_u8(m, (uint8_t)n);
	memcpy(msgb_put(m, (size_t)n), mi, (size_t)n);
}

/* Open the RR connection: SCCP CR carrying COMPLETE LAYER 3 INFORMATION (TS 48.008 §3.2.1.32) with l3. */
static int conn_open(struct dev_ms *ms, struct msgb *l3, bool l3_is_mm)
{
	struct msgb *cl3;
	int rc;

	if (ms->conn.active) {
		msgb_free(l3);
		return -EBUSY;
	}
	cl3 = gsm0808_create_layer3_2(l3, &ms->cfg.cgi, NULL);
	msgb_free(l3);
	if (!cl3)
		return -ENOMEM;
	ms->conn.active = true;
	ms->conn.confirmed = false;
	ms->conn.id = ++ms->next_conn_id;
	ms->conn.nsd = l3_is_mm ? 1 : 0; /* the MM message in the CL3 carried N(SD) 0 */
	rc = ms->net->tx_conn_req(ms->priv, ms->conn.id, cl3);
	if (rc < 0)
		ms->conn.active = false;
	return rc;
}

static void conn_release(struct dev_ms *ms)
{
	if (!ms->conn.active)
		return;
	ms->net->tx_disconnect(ms->priv, ms->conn.id);
	ms->conn.active = false;
}

static void send_reset(struct dev_ms *ms)
{
	struct msgb *m = gsm0808_create_reset();
	if (m)
		ms->net->tx_udt(ms->priv, m);
}

static int start_lu(struct dev_ms *ms)
{
	struct msgb *l3 = l3_alloc();
	struct gsm48_hdr *gh = (struct gsm48_hdr *)msgb_put(l3, sizeof(*gh));
	struct gsm48_loc_upd_req *lu;

	gh->proto_discr = GSM48_PDISC_MM;
	gh->msg_type = GSM48_MT_MM_LOC_UPD_REQUEST;
	lu = (struct gsm48_loc_upd_req *)msgb_put(l3, sizeof(*lu) - 1); /* mi_len is written by put_mi_imsi */
	lu->type = GSM48_LUPD_IMSI_ATT;
	lu->key_seq = 7; /* TS 24.008 §10.5.1.2: no key available */
	gsm48_generate_lai2(&lu->lai, &ms->cfg.cgi.lai);
	memcpy(&lu->classmark1, &ms->cfg.classmark1, 1);
	put_mi_imsi(l3, ms->imsi);
	ms_event(ms, "LU start imsi=%s", ms->imsi);
	state_chg(ms, DEV_MS_ST_LU);
	return conn_open(ms, l3, true);
}

static int start_detach(struct dev_ms *ms)
{
	struct msgb *l3 = l3_alloc();
	struct gsm48_hdr *gh = (struct gsm48_hdr *)msgb_put(l3, sizeof(*gh));

	/* TS 24.008 §9.2.14: IMSI DETACH INDICATION = classmark 1 ‖ mobile identity */
	gh->proto_discr = GSM48_PDISC_MM;
	gh->msg_type = GSM48_MT_MM_IMSI_DETACH_IND;
	msgb_put_u8(l3, ms->cfg.classmark1);
	put_mi_imsi(l3, ms->detach_imsi);
	ms->want_detach = false;
	ms_event(ms, "IMSI DETACH imsi=%s", ms->detach_imsi);
	state_chg(ms, DEV_MS_ST_DETACH);
	return conn_open(ms, l3, true);
}

static void send_loci_event(struct dev_ms *ms, bool normal)
{
	uint8_t loci[7];

	if (!ms->sim->location_status)
		return;
	if (!normal) {
		ms->sim->location_status(ms->priv, CAT_LOC_LIMITED_SERVICE, NULL, 0);
		return;
	}
	/* TS 102 223 §8.19 / TS 31.111 §8.19: MCC MNC (TS 24.008 coding) ‖ LAC ‖ cell identity */
	struct gsm48_loc_area_id lai;
	gsm48_generate_lai2(&lai, &ms->serving);
	memcpy(loci, &lai, 5);
	loci[5] = (uint8_t)(ms->cfg.cgi.cell_identity >> 8);
	loci[6] = (uint8_t)ms->cfg.cgi.cell_identity;
	ms->sim->location_status(ms->priv, CAT_LOC_NORMAL_SERVICE, loci, sizeof(loci));
}

/* --- the MO SMS procedure: fsm "dev_mo_sms" -------------------------------------------------------------- */
enum mo_state {
	MO_ST_QUEUED,	      /* waiting for the RR connection */
	MO_ST_WAIT_CM_ACCEPT, /* CM SERVICE REQUEST sent */
	MO_ST_WAIT_RP,	      /* CP-DATA(RP-DATA) sent, waiting for RP-ACK / RP-ERROR */
};
enum mo_event {
	MO_EV_CM_ACCEPT,
	MO_EV_CM_REJECT,
	MO_EV_RP_RESULT, /* data: int * result */
	MO_EV_RELEASED,
};
static const struct value_string mo_event_names[] = { { MO_EV_CM_ACCEPT, "CM_ACCEPT" },
						      { MO_EV_CM_REJECT, "CM_REJECT" },
						      { MO_EV_RP_RESULT, "RP_RESULT" },
						      { MO_EV_RELEASED, "RELEASED" },
						      { 0, NULL } };

struct dev_ms_mo {
	struct osmo_fsm_inst *fi;
	struct dev_ms *ms;
	uint8_t sc[11];
	size_t sc_len;
	uint8_t tpdu[232];
	size_t tpdu_len;
	uint8_t mr, ti;
	int result;
};

static void mo_finish(struct dev_ms_mo *mo, int result)
{
	struct dev_ms *ms = mo->ms;
	mo->result = result;
	ms->mo = NULL;
	ms_event(ms, "MO SMS done result=%d", result);
	if (ms->sim->mo_sms_done)
		ms->sim->mo_sms_done(ms->priv, result);
	osmo_fsm_inst_term(mo->fi, OSMO_FSM_TERM_REGULAR, NULL);
}

static void mo_send_rp_data(struct dev_ms_mo *mo)
{
	struct dev_ms *ms = mo->ms;
	struct msgb *rp = msgb_alloc(256, "RP");
	struct msgb *l3 = l3_alloc();

	if (dev_rp_data_mo_encode(rp, mo->mr, mo->sc, mo->sc_len, mo->tpdu, mo->tpdu_len) < 0 ||
	    dev_cp_encode(l3, mo->ti, DEV_CP_DATA, msgb_data(rp), msgb_length(rp), 0) < 0) {
		msgb_free(rp);
		msgb_free(l3);
		mo_finish(mo, -EINVAL);
		return;
	}
	msgb_free(rp);
	conn_send_dtap(ms, l3, 0x03); /* SAPI 3 (TS 48.006 §9.3.2) */
	osmo_fsm_inst_state_chg(mo->fi, MO_ST_WAIT_RP,
				(unsigned long)osmo_tdef_get(dev_ms_tdefs, DEV_MS_T_MO_SMS, OSMO_TDEF_S, 40),
				DEV_MS_T_MO_SMS);
}

static void mo_fsm_wait_cm(struct osmo_fsm_inst *fi, uint32_t event, void *data)
{
	struct dev_ms_mo *mo = fi->priv;
	switch (event) {
	case MO_EV_CM_ACCEPT: mo_send_rp_data(mo); break;
	case MO_EV_CM_REJECT: mo_finish(mo, -ECONNREFUSED); break;
	case MO_EV_RELEASED: mo_finish(mo, -ENOTCONN); break;
	}
}

static void mo_fsm_wait_rp(struct osmo_fsm_inst *fi, uint32_t event, void *data)
{
	struct dev_ms_mo *mo = fi->priv;
	switch (event) {
	case MO_EV_RP_RESULT: mo_finish(mo, *(int *)data); break;
	case MO_EV_RELEASED: mo_finish(mo, -ENOTCONN); break;
	}
}

static int mo_timer_cb(struct osmo_fsm_inst *fi)
{
	struct dev_ms_mo *mo = fi->priv;
	mo->ms->mo = NULL;
	if (mo->ms->sim->mo_sms_done)
		mo->ms->sim->mo_sms_done(mo->ms->priv, -ETIMEDOUT);
	return 1; /* terminate */
}

static const struct osmo_fsm_state mo_states[] = {
	[MO_ST_QUEUED] = { .name = "QUEUED", .out_state_mask = S(MO_ST_WAIT_CM_ACCEPT) },
	[MO_ST_WAIT_CM_ACCEPT] = { .name = "WAIT_CM_ACCEPT",
				   .in_event_mask = S(MO_EV_CM_ACCEPT) | S(MO_EV_CM_REJECT) | S(MO_EV_RELEASED),
				   .out_state_mask = S(MO_ST_WAIT_RP),
				   .action = mo_fsm_wait_cm },
	[MO_ST_WAIT_RP] = { .name = "WAIT_RP",
			    .in_event_mask = S(MO_EV_RP_RESULT) | S(MO_EV_RELEASED),
			    .action = mo_fsm_wait_rp },
};

static struct osmo_fsm mo_fsm = {
	.name = "dev_mo_sms",
	.states = mo_states,
	.num_states = ARRAY_SIZE(mo_states),
	.event_names = mo_event_names,
	.timer_cb = mo_timer_cb,
};

static int mo_start(struct dev_ms *ms)
{
	struct dev_ms_mo *mo = ms->mo;
	struct msgb *l3 = l3_alloc();
	struct gsm48_hdr *gh = (struct gsm48_hdr *)msgb_put(l3, sizeof(*gh));

	/* TS 24.008 §9.2.9: CM SERVICE REQUEST = CKSN ‖ service type 4 (SMS), classmark 2 (LV), MI (LV) */
	gh->proto_discr = GSM48_PDISC_MM;
	gh->msg_type = GSM48_MT_MM_CM_SERV_REQ;
	msgb_put_u8(l3, 0x70 | GSM48_CMSERV_SMS);
	msgb_put_u8(l3, 3);
	msgb_put_u8(l3, ms->cfg.classmark1); /* classmark 2 octet 3 has the classmark 1 layout */
	msgb_put_u8(l3, 0x19);
	msgb_put_u8(l3, 0xa2);
	put_mi_imsi(l3, ms->imsi);
	osmo_fsm_inst_state_chg(mo->fi, MO_ST_WAIT_CM_ACCEPT,
				(unsigned long)osmo_tdef_get(dev_ms_tdefs, DEV_MS_T_MO_SMS, OSMO_TDEF_S, 40),
				DEV_MS_T_MO_SMS);
	ms_event(ms, "MO SMS: CM SERVICE REQUEST");
	return conn_open(ms, l3, true);
}

int dev_ms_send_sms(struct dev_ms *ms, const uint8_t *sc, size_t sc_len, const uint8_t *tpdu, size_t tpdu_len)
{
	struct dev_ms_mo *mo;

	if (!ms || !tpdu || !tpdu_len || tpdu_len > sizeof(mo->tpdu))
		return -EINVAL;
	if (!sc || !sc_len) {
		sc = ms->cfg.sc;
		sc_len = ms->cfg.sc_len;
	}
	if (sc_len < 2 || sc_len > sizeof(mo->sc))
		return -EINVAL;
	if (ms->mo)
		return -EBUSY;
	mo = talloc_zero(ms->fi, struct dev_ms_mo);
	mo->fi = osmo_fsm_inst_alloc(&mo_fsm, ms->fi, NULL, LOGL_INFO, NULL);
	if (!mo->fi) {
		talloc_free(mo);
		return -ENOMEM;
	}
	talloc_steal(mo->fi, mo);
	mo->fi->priv = mo;
	mo->ms = ms;
	memcpy(mo->sc, sc, sc_len);
	mo->sc_len = sc_len;
	memcpy(mo->tpdu, tpdu, tpdu_len);
	mo->tpdu_len = tpdu_len;
	mo->mr = ms->next_mr++;
	mo->ti = 0; /* our TI 0, TI flag 0 (we originate) */
	ms->mo = mo;
	ms->n_mo_sms++;
	ms_kick(ms);
	return 0;
}

/* --- MT SMS ------------------------------------------------------------------------------------------------ */
static void sms_send_cp(struct dev_ms *ms, uint8_t ti_bits, uint8_t type, struct msgb *rp)
{
	struct msgb *l3 = l3_alloc();
	if (dev_cp_encode(l3, ti_bits, type, rp ? msgb_data(rp) : NULL, rp ? msgb_length(rp) : 0, 0) < 0) {
		msgb_free(l3);
		return;
	}
	conn_send_dtap(ms, l3, 0x03);
}

/* RP-DATA (N->MS) with an SMS-DELIVER: SMS-PP data download to the card when TP-PID is 7F (TS 31.111
 * §7.1.1), then RP-ACK with the PoR in the SMS-DELIVER-REPORT, or RP-ERROR. */
static void mt_sms(struct dev_ms *ms, uint8_t ti_reply, const struct dev_rp *rp)
{
	static struct dev_rapdu r;
	struct sms_tpdu deliver, report;
	uint8_t rep[240];
	int replen = 0, rc;
	bool ack = true;
	uint8_t cause = DEV_RP_CAUSE_PROTOCOL_ERROR;
	struct msgb *out = msgb_alloc(256, "RP");

	ms->n_mt_sms++;
	rc = sms_tpdu_decode(&deliver, SMS_TPDU_DELIVER, rp->tpdu, rp->tpdu_len);
	if (rc < 0) {
		ms_event(ms, "MT SMS: undecodable TPDU (%d) -> RP-ERROR", rc);
		ack = false;
	} else if (deliver.pid == SMS_PID_SIM_DATA_DOWNLOAD) {
		rc = ms->sim->sms_pp_download(ms->priv, rp->oa, rp->oa_len, rp->tpdu, rp->tpdu_len, &r);
		memset(&report, 0, sizeof(report));
		report.has_pid = report.has_dcs = true;
		report.pid = deliver.pid;
		report.dcs = deliver.dcs;
		if (rc < 0) {
			ack = false;
			report.type = SMS_TPDU_DELIVER_REPORT_ERROR;
			report.fcs = DEV_TP_FCS_SIM_DOWNLOAD_ERROR;
		} else if (r.sw == 0x9000 || (r.sw >> 8) == CAT_SW1_PROACTIVE_PENDING) {
			/* TS 31.111 §7.1.1.1: 90 00 / 91 XX -> RP-ACK; response data (61 XX / 9F XX) -> in TP-UD */
			if ((r.sw_first >> 8) == CAT_SW1_DOWNLOAD_ERROR) {
				ack = false;
				report.type = SMS_TPDU_DELIVER_REPORT_ERROR;
				report.fcs = DEV_TP_FCS_SIM_DOWNLOAD_ERROR;
			} else {
				report.type = SMS_TPDU_DELIVER_REPORT_ACK;
			}
			if (r.len) {
				report.has_udl = true;
				report.ud = r.data;
				report.ud_len = r.len > SMS_UD_MAX ? SMS_UD_MAX : r.len;
				report.udl = (uint8_t)report.ud_len;
				report.udhi = r.len >= 1 && r.data[0] + 1u <= r.len && deliver.udhi;
			}
		} else if (r.sw == CAT_SW_TOOLKIT_BUSY) {
			ack = false;
			report.type = SMS_TPDU_DELIVER_REPORT_ERROR;
			report.fcs = DEV_TP_FCS_SAT_BUSY;
		} else {
			ack = false;
			report.type = SMS_TPDU_DELIVER_REPORT_ERROR;
			report.fcs = DEV_TP_FCS_SIM_DOWNLOAD_ERROR;
		}
		ms_event(ms, "MT SMS-PP download sw=%04x por_len=%zu -> %s", r.sw, rc < 0 ? (size_t)0 : r.len,
			 ack ? "RP-ACK" : "RP-ERROR");
		if (!report.has_udl && ack) {
			replen = 0; /* plain RP-ACK without a deliver report */
		} else {
			replen = sms_tpdu_encode(&report, rep, sizeof(rep));
			if (replen < 0)
				replen = 0;
		}
	} else {
		ms_event(ms, "MT SMS pid=%02x dcs=%02x (not data download) -> RP-ACK", deliver.pid, deliver.dcs);
	}
	if (ack)
		rc = dev_rp_ack_encode(out, rp->mr, rep, (size_t)replen);
	else
		rc = dev_rp_error_encode(out, rp->mr, cause, rep, (size_t)replen);
	if (rc == 0)
		sms_send_cp(ms, ti_reply, DEV_CP_DATA, out);
	msgb_free(out);
}

/* The delay fault's timer: the held MT SMS goes to the card now; its RP-ACK/ERROR follows on the
 * connection if the network still holds it open. */
static void held_cb(void *data)
{
	struct dev_ms_held *h = data;
	struct dev_ms *ms = h->ms;
	struct dev_rp rp;

	h->used = false;
	if (dev_rp_decode(&rp, h->rp, h->rp_len) < 0)
		return; /* it decoded when it arrived: cannot happen */
	ms_event(ms, "MT SMS: the held SMS goes to the card now (fault delay-mt %u ms)%s", ms->faults.delay_mt_ms,
		 ms->conn.active ? "" : ", but the connection is gone: its RP answer is lost");
	mt_sms(ms, h->ti_reply, &rp);
}

/* Hold this MT SMS (true) when the delay fault applies to it. */
static bool mt_hold(struct dev_ms *ms, uint8_t ti_reply, const struct dev_rp *rp, const uint8_t *raw, size_t len)
{
	struct dev_ms_held *h = NULL;
	struct sms_tpdu deliver;
	unsigned int d = ms->faults.delay_mt_ms;

	if (!d)
		return false;
	if (ms->faults.delay_mt_oa[0] && (sms_tpdu_decode(&deliver, SMS_TPDU_DELIVER, rp->tpdu, rp->tpdu_len) < 0 ||
					  strcmp(deliver.addr.digits, ms->faults.delay_mt_oa) != 0))
		return false;
	for (size_t i = 0; i < DEV_MS_HELD_MAX && !h; i++)
		if (!ms->held[i].used)
			h = &ms->held[i];
	if (!h || len > sizeof(h->rp)) {
		ms_event(ms, "MT SMS: not delayed (%s)", h ? "too long to hold" : "held queue full");
		return false;
	}
	h->ms = ms;
	h->used = true;
	h->ti_reply = ti_reply;
	memcpy(h->rp, raw, len);
	h->rp_len = len;
	osmo_timer_setup(&h->t, held_cb, h);
	osmo_timer_schedule(&h->t, d / 1000, (d % 1000) * 1000);
	ms->n_mt_delayed++;
	ms_event(ms, "MT SMS held for %u ms (fault delay-mt)", d);
	return true;
}

int dev_ms_fault_delay_mt(struct dev_ms *ms, unsigned int delay_ms, const char *oa)
{
	if (delay_ms > DEV_MS_DELAY_MT_MAX_MS || (oa && strlen(oa) >= sizeof(ms->faults.delay_mt_oa)))
		return -EINVAL;
	ms->faults.delay_mt_ms = delay_ms;
	OSMO_STRLCPY_ARRAY(ms->faults.delay_mt_oa, oa ? oa : "");
	return 0;
}

static void rx_sms(struct dev_ms *ms, const struct dev_l3 *l3)
{
	uint8_t ti_reply = l3->ti ^ 0x08; /* TS 24.007 §11.2.3.1.3: the TI flag flips for the answering side */
	struct dev_rp rp;
	bool mo_ti = !(l3->ti & 0x08) ? false : true; /* flag 1 from the network: a transaction we originated */

	switch (l3->msg_type) {
	case DEV_CP_DATA:
		if (dev_rp_decode(&rp, l3->rp, l3->rp_len) < 0) {
			ms_event(ms, "SMS: undecodable RP message");
			sms_send_cp(ms, ti_reply, DEV_CP_ERROR, NULL);
			return;
		}
		if (rp.type == DEV_RP_DATA_N_TO_MS && !mo_ti) {
			if (ms->faults.drop_mt) {
				ms->faults.drop_mt--;
				ms->n_mt_dropped++;
				ms_event(ms, "MT SMS dropped (fault, %u more)", ms->faults.drop_mt);
				return;
			}
			sms_send_cp(ms, ti_reply, DEV_CP_ACK, NULL);
			if (!mt_hold(ms, ti_reply, &rp, l3->rp, l3->rp_len))
				mt_sms(ms, ti_reply, &rp);
		} else if ((rp.type == DEV_RP_ACK_N_TO_MS || rp.type == DEV_RP_ERROR_N_TO_MS) && mo_ti) {
			int result = rp.type == DEV_RP_ACK_N_TO_MS ? 0 : (rp.cause ? rp.cause : 1);
			sms_send_cp(ms, ti_reply, DEV_CP_ACK, NULL);
			if (ms->mo && ms->mo->fi->state == MO_ST_WAIT_RP)
				osmo_fsm_inst_dispatch(ms->mo->fi, MO_EV_RP_RESULT, &result);
		} else {
			ms_event(ms, "SMS: unexpected %s", get_value_string(dev_rp_type_names, rp.type));
		}
		break;
	case DEV_CP_ACK: break;
	case DEV_CP_ERROR:
		ms_event(ms, "SMS: CP-ERROR cause %u", l3->cause);
		if (mo_ti && ms->mo && ms->mo->fi->state == MO_ST_WAIT_RP) {
			int result = -EPROTO;
			osmo_fsm_inst_dispatch(ms->mo->fi, MO_EV_RP_RESULT, &result);
		}
		break;
	}
}

/* --- MM ---------------------------------------------------------------------------------------------------- */
static void rx_auth_req(struct dev_ms *ms, const struct dev_l3 *l3)
{
	struct dev_auth_res res;
	struct msgb *m;
	int rc = ms->sim->authenticate(ms->priv, l3->rand, l3->autn, &res);

	if (rc < 0 || !res.ok) {
		/* TS 24.008 §9.2.3a AUTHENTICATION FAILURE: 3G sync failure (15 + AUTS) or MAC failure (20) */
		m = l3_alloc();
		struct gsm48_hdr *gh = (struct gsm48_hdr *)msgb_put(m, sizeof(*gh));
		gh->proto_discr = GSM48_PDISC_MM;
		gh->msg_type = GSM48_MT_MM_AUTH_FAIL;
		if (rc == 0 && res.sync_failure) {
			msgb_put_u8(m, 0x15);
			msgb_put_u8(m, 0x22); /* IEI AUTS */
			msgb_put_u8(m, 14);
			memcpy(msgb_put(m, 14), res.auts, 14);
		} else {
			msgb_put_u8(m, 0x14); /* MAC failure */
		}
		ms_event(ms, "AUTH: card failed (rc=%d sw=%04x) -> AUTHENTICATION FAILURE", rc, res.sw);
		conn_send_mm(ms, m);
		return;
	}
	if (ms->fi->state == DEV_MS_ST_LU && ms->faults.fail_attach &&
	    (!ms->faults.fail_attach_imsi[0] || !strcmp(ms->faults.fail_attach_imsi, ms->imsi))) {
		ms->faults.fail_attach--;
		for (int i = 0; i < 4; i++)
			res.sres[i] ^= 0xff;
		ms_event(ms, "AUTH: SRES corrupted (fault fail-attach, %u more)", ms->faults.fail_attach);
	}
	/* TS 24.008 §9.2.3 AUTHENTICATION RESPONSE: SRES (4) [, 21 extended RES] */
	m = l3_alloc();
	struct gsm48_hdr *gh = (struct gsm48_hdr *)msgb_put(m, sizeof(*gh));
	gh->proto_discr = GSM48_PDISC_MM;
	gh->msg_type = GSM48_MT_MM_AUTH_RESP;
	memcpy(msgb_put(m, 4), res.sres, 4);
	if (l3->autn && res.res_len > 4) {
		msgb_put_u8(m, 0x21);
		msgb_put_u8(m, (uint8_t)(res.res_len - 4));
		memcpy(msgb_put(m, res.res_len - 4), res.res + 4, res.res_len - 4);
	}
	ms_event(ms, "AUTH: %s context answered by the card", l3->autn ? "3G" : "GSM");
	conn_send_mm(ms, m);
}

static void rx_mm(struct dev_ms *ms, const struct dev_l3 *l3)
{
	struct msgb *m;

	switch (l3->msg_type) {
	case DEV_MM_AUTH_REQUEST: rx_auth_req(ms, l3); break;
	case DEV_MM_AUTH_REJECT:
		ms_event(ms, "AUTHENTICATION REJECT");
		if (ms->fi->state == DEV_MS_ST_LU) {
			ms->last_reject_cause = 0;
			osmo_fsm_inst_dispatch(ms->fi, MS_EV_LU_REJECT, NULL);
		}
		break;
	case DEV_MM_IDENTITY_REQUEST:
		m = l3_alloc();
		{
			struct gsm48_hdr *gh = (struct gsm48_hdr *)msgb_put(m, sizeof(*gh));
			gh->proto_discr = GSM48_PDISC_MM;
			gh->msg_type = GSM48_MT_MM_ID_RESP;
		}
		put_mi_imsi(m, ms->imsi); /* we answer every identity type with the IMSI */
		conn_send_mm(ms, m);
		break;
	case DEV_MM_LU_ACCEPT:
		if (ms->fi->state != DEV_MS_ST_LU)
			break;
		gsm48_decode_lai2((const struct gsm48_loc_area_id *)l3->lai, &ms->serving);
		ms->has_serving = true;
		if (l3->has_tmsi) {
			ms->has_tmsi = true;
			ms->tmsi = l3->tmsi;
			m = l3_alloc();
			struct gsm48_hdr *gh = (struct gsm48_hdr *)msgb_put(m, sizeof(*gh));
			gh->proto_discr = GSM48_PDISC_MM;
			gh->msg_type = GSM48_MT_MM_TMSI_REALL_COMPL;
			conn_send_mm(ms, m);
		}
		osmo_fsm_inst_dispatch(ms->fi, MS_EV_LU_ACCEPT, NULL);
		break;
	case DEV_MM_LU_REJECT:
		if (ms->fi->state != DEV_MS_ST_LU)
			break;
		ms->last_reject_cause = l3->cause;
		osmo_fsm_inst_dispatch(ms->fi, MS_EV_LU_REJECT, NULL);
		break;
	case DEV_MM_TMSI_REALLOC_CMD:
		if (l3->has_tmsi) {
			ms->has_tmsi = true;
			ms->tmsi = l3->tmsi;
		}
		m = l3_alloc();
		{
			struct gsm48_hdr *gh = (struct gsm48_hdr *)msgb_put(m, sizeof(*gh));
			gh->proto_discr = GSM48_PDISC_MM;
			gh->msg_type = GSM48_MT_MM_TMSI_REALL_COMPL;
		}
		conn_send_mm(ms, m);
		break;
	case DEV_MM_CM_SERVICE_ACCEPT:
		if (ms->mo && ms->mo->fi->state == MO_ST_WAIT_CM_ACCEPT)
			osmo_fsm_inst_dispatch(ms->mo->fi, MO_EV_CM_ACCEPT, NULL);
		break;
	case DEV_MM_CM_SERVICE_REJECT:
		ms_event(ms, "CM SERVICE REJECT cause %u", l3->cause);
		if (ms->mo && ms->mo->fi->state == MO_ST_WAIT_CM_ACCEPT)
			osmo_fsm_inst_dispatch(ms->mo->fi, MO_EV_CM_REJECT, NULL);
		break;
	default:
		LOGPFSML(ms->fi, LOGL_DEBUG, "MM %s ignored\n", get_value_string(dev_mm_type_names, l3->msg_type));
		break;
	}
}

/* --- network input ------------------------------------------------------------------------------------- */
void dev_ms_rx_udt(struct dev_ms *ms, const uint8_t *data, size_t len)
{
	struct dev_bssap b;
	struct dev_paging pg;

	if (dev_bssap_decode(&b, data, len) < 0 || b.kind != DEV_BSSAP_BSSMAP) {
		LOGPFSML(ms->fi, LOGL_NOTICE, "undecodable UDT\n");
		return;
	}
	switch (b.msg_type) {
	case BSS_MAP_MSG_RESET_ACKNOWLEDGE: osmo_fsm_inst_dispatch(ms->fi, MS_EV_RESET_ACK, NULL); break;
	case BSS_MAP_MSG_RESET: { /* TS 48.008 §3.1.4.1.2: the MSC restarted; acknowledge */
		struct msgb *m = gsm0808_create_reset_ack();
		if (m)
			ms->net->tx_udt(ms->priv, m);
		break;
	}
	case BSS_MAP_MSG_PAGING:
		if (dev_paging_decode(&pg, b.ies, b.ies_len) < 0) {
			LOGPFSML(ms->fi, LOGL_NOTICE, "undecodable PAGING\n");
			break;
		}
		if (strcmp(pg.imsi, ms->imsi) || ms->fi->state != DEV_MS_ST_ATTACHED)
			break; /* another MS behind this BSC, or we are not registered */
		ms->n_paging++;
		if (ms->conn.active) {
			ms_event(ms, "PAGING while connected: ignored");
			break;
		}
		{
			/* TS 44.018 §9.1.25 PAGING RESPONSE: CKSN ‖ spare, classmark 2 (LV), MI (LV) */
			struct msgb *l3 = l3_alloc();
			msgb_put_u8(l3, GSM48_PDISC_RR);
			msgb_put_u8(l3, GSM48_MT_RR_PAG_RESP);
			msgb_put_u8(l3, 0x07);
			msgb_put_u8(l3, 3);
			msgb_put_u8(l3, ms->cfg.classmark1);
			msgb_put_u8(l3, 0x19);
			msgb_put_u8(l3, 0xa2);
			put_mi_imsi(l3, ms->imsi);
			ms_event(ms, "PAGING -> PAGING RESPONSE");
			conn_open(ms, l3, false);
		}
		break;
	default: LOGPFSML(ms->fi, LOGL_DEBUG, "UDT BSSMAP %s ignored\n", gsm0808_bssmap_name(b.msg_type)); break;
	}
}

void dev_ms_rx_conn_confirm(struct dev_ms *ms, uint32_t conn_id)
{
	if (ms->conn.active && conn_id == ms->conn.id)
		ms->conn.confirmed = true;
}

void dev_ms_rx_conn_data(struct dev_ms *ms, uint32_t conn_id, const uint8_t *data, size_t len)
{
	struct dev_bssap b;
	struct dev_l3 l3;

	if (!ms->conn.active || conn_id != ms->conn.id)
		return;
	if (dev_bssap_decode(&b, data, len) < 0) {
		LOGPFSML(ms->fi, LOGL_NOTICE, "undecodable BSSAP\n");
		return;
	}
	if (b.kind == DEV_BSSAP_BSSMAP) {
		switch (b.msg_type) {
		case BSS_MAP_MSG_CLEAR_CMD: {
			struct msgb *m = gsm0808_create_clear_complete();
			if (m)
				ms->net->tx_conn_data(ms->priv, ms->conn.id, m);
			break;
		}
		case BSS_MAP_MSG_CIPHER_MODE_CMD: {
			/* TS 48.008 §3.2.1.31: the simulated radio has no ciphering; report A5/0 chosen */
			struct msgb *m = gsm0808_create_cipher_complete(NULL, 1);
			if (m)
				ms->net->tx_conn_data(ms->priv, ms->conn.id, m);
			break;
		}
		default: break;
		}
		return;
	}
	if (dev_l3_decode(&l3, b.ies, b.ies_len) < 0) {
		LOGPFSML(ms->fi, LOGL_NOTICE, "undecodable L3\n");
		return;
	}
	if (l3.pd == DEV_PD_MM)
		rx_mm(ms, &l3);
	else if (l3.pd == DEV_PD_SMS)
		rx_sms(ms, &l3);
}

void dev_ms_rx_disconnect(struct dev_ms *ms, uint32_t conn_id)
{
	if (!ms->conn.active || conn_id != ms->conn.id)
		return;
	ms->conn.active = false;
	if (ms->mo && ms->mo->fi->state != MO_ST_QUEUED)
		osmo_fsm_inst_dispatch(ms->mo->fi, MO_EV_RELEASED, NULL);
	osmo_fsm_inst_dispatch(ms->fi, MS_EV_RELEASED, NULL);
	ms_kick(ms);
}

/* Start pending work when the RR connection is free. */
static void ms_kick(struct dev_ms *ms)
{
	if (ms->conn.active)
		return;
	switch (ms->fi->state) {
	case DEV_MS_ST_ATTACHED:
	case DEV_MS_ST_LIMITED:
	case DEV_MS_ST_NO_IMSI: break;
	default: return;
	}
	if (ms->want_detach && ms->fi->state == DEV_MS_ST_ATTACHED) {
		start_detach(ms);
		return;
	}
	ms->want_detach = false;
	if (ms->want_power_off) {
		ms->want_power_off = false;
		ms->want_attach = false;
		state_chg(ms, DEV_MS_ST_OFF);
		ms_event(ms, "power off");
		return;
	}
	if (ms->want_attach) {
		ms->want_attach = false;
		if (ms->sim->read_imsi(ms->priv, ms->imsi) < 0) {
			ms->imsi[0] = '\0';
			ms_event(ms, "no IMSI from the card: no service");
			state_chg(ms, DEV_MS_ST_NO_IMSI);
			return;
		}
		start_lu(ms);
		return;
	}
	if (ms->mo && ms->mo->fi->state == MO_ST_QUEUED) {
		if (ms->fi->state == DEV_MS_ST_ATTACHED)
			mo_start(ms);
		else
			mo_finish(ms->mo, -ENOTCONN);
	}
}

/* TS 24.008 §4.4.4.9: after a failed LU the MS retries on T3211 while the attempt counter is below 4,
 * except for the causes that make the SIM invalid or the area forbidden (2, 3, 6, 11, 12, 13, 15). An
 * AUTHENTICATION REJECT (cause 0 here) is final as well. */
static void lu_failed(struct dev_ms *ms, bool timeout)
{
	uint8_t c = ms->last_reject_cause;
	bool final = !timeout && (c == 0 || c == 2 || c == 3 || c == 6 || c == 11 || c == 12 || c == 13 || c == 15);

	if (final) {
		ms->lu_attempts = 0;
		return;
	}
	if (++ms->lu_attempts >= DEV_MS_LU_ATTEMPTS_MAX) {
		ms_event(ms, "LU: %u attempts failed, no more retries", ms->lu_attempts);
		ms->lu_attempts = 0;
		return;
	}
	unsigned long t = osmo_tdef_get(dev_ms_tdefs, DEV_MS_T3211, OSMO_TDEF_S, 15);
	ms_event(ms, "LU: retry %u in %lu s (T3211)", ms->lu_attempts, t);
	osmo_timer_schedule(&ms->t3211, (int)t, 0);
}

static void t3211_cb(void *data)
{
	struct dev_ms *ms = data;
	if (ms->fi->state == DEV_MS_ST_LIMITED)
		dev_ms_attach(ms);
}

/* --- the MS fsm ---------------------------------------------------------------------------------------- */
static void st_off(struct osmo_fsm_inst *fi, uint32_t event, void *data)
{
	struct dev_ms *ms = fi->priv;
	if (event == MS_EV_POWER_ON) {
		state_chg(ms, DEV_MS_ST_WAIT_RESET_ACK);
		send_reset(ms);
	}
}

static void st_wait_reset_ack(struct osmo_fsm_inst *fi, uint32_t event, void *data)
{
	struct dev_ms *ms = fi->priv;
	if (event != MS_EV_RESET_ACK)
		return;
	ms_event(ms, "BSSMAP RESET acknowledged");
	state_chg(ms, DEV_MS_ST_NO_IMSI);
	ms->want_attach = true;
	ms_kick(ms);
}

static void st_lu(struct osmo_fsm_inst *fi, uint32_t event, void *data)
{
	struct dev_ms *ms = fi->priv;
	switch (event) {
	case MS_EV_LU_ACCEPT:
		ms->n_lu_ok++;
		ms->lu_attempts = 0;
		state_chg(ms, DEV_MS_ST_ATTACHED);
		ms_event(ms, "LU ACCEPT imsi=%s plmn=%s lac=%u", ms->imsi, osmo_plmn_name(&ms->serving.plmn),
			 ms->serving.lac);
		send_loci_event(ms, true);
		break;
	case MS_EV_LU_REJECT:
		ms->n_lu_rej++;
		ms->has_serving = false;
		state_chg(ms, DEV_MS_ST_LIMITED);
		ms_event(ms, "LU REJECT imsi=%s cause=%u", ms->imsi, ms->last_reject_cause);
		send_loci_event(ms, false);
		lu_failed(ms, false);
		break;
	case MS_EV_RELEASED:
		ms->n_lu_rej++;
		state_chg(ms, DEV_MS_ST_LIMITED);
		ms_event(ms, "LU: connection released without an answer");
		send_loci_event(ms, false);
		lu_failed(ms, true);
		break;
	}
}

static void st_detach(struct osmo_fsm_inst *fi, uint32_t event, void *data)
{
	struct dev_ms *ms = fi->priv;
	if (event == MS_EV_RELEASED) {
		ms->has_serving = false;
		ms->has_tmsi = false;
		state_chg(ms, DEV_MS_ST_NO_IMSI);
	}
}

static void st_idle(struct osmo_fsm_inst *fi, uint32_t event, void *data)
{
	/* ATTACHED / LIMITED / NO_IMSI: connection releases only kick pending work (dev_ms_rx_disconnect) */
}

static int ms_timer_cb(struct osmo_fsm_inst *fi)
{
	struct dev_ms *ms = fi->priv;
	switch (fi->state) {
	case DEV_MS_ST_WAIT_RESET_ACK:
		send_reset(ms);
		state_chg(ms, DEV_MS_ST_WAIT_RESET_ACK);
		break;
	case DEV_MS_ST_LU:
		ms_event(ms, "LU: T3210 expired");
		conn_release(ms);
		ms->n_lu_rej++;
		state_chg(ms, DEV_MS_ST_LIMITED);
		send_loci_event(ms, false);
		lu_failed(ms, true);
		ms_kick(ms);
		break;
	case DEV_MS_ST_DETACH:
		conn_release(ms);
		state_chg(ms, DEV_MS_ST_NO_IMSI);
		ms_kick(ms);
		break;
	}
	return 0;
}

#define IDLE_OUT                                                                                                  \
	(S(DEV_MS_ST_OFF) | S(DEV_MS_ST_LU) | S(DEV_MS_ST_DETACH) | S(DEV_MS_ST_NO_IMSI) | S(DEV_MS_ST_LIMITED) | \
	 S(DEV_MS_ST_ATTACHED) | S(DEV_MS_ST_WAIT_RESET_ACK))
static const struct osmo_fsm_state ms_states[] = {
	[DEV_MS_ST_OFF] = { .name = "OFF",
			    .in_event_mask = S(MS_EV_POWER_ON),
			    .out_state_mask = IDLE_OUT,
			    .action = st_off },
	[DEV_MS_ST_WAIT_RESET_ACK] = { .name = "WAIT_RESET_ACK",
				       .in_event_mask = S(MS_EV_RESET_ACK),
				       .out_state_mask = IDLE_OUT,
				       .action = st_wait_reset_ack },
	[DEV_MS_ST_NO_IMSI] = { .name = "NO_IMSI",
				.in_event_mask = S(MS_EV_RELEASED),
				.out_state_mask = IDLE_OUT,
				.action = st_idle },
	[DEV_MS_ST_LU] = { .name = "LU",
			   .in_event_mask = S(MS_EV_LU_ACCEPT) | S(MS_EV_LU_REJECT) | S(MS_EV_RELEASED),
			   .out_state_mask = IDLE_OUT,
			   .action = st_lu },
	[DEV_MS_ST_ATTACHED] = { .name = "ATTACHED",
				 .in_event_mask = S(MS_EV_RELEASED),
				 .out_state_mask = IDLE_OUT,
				 .action = st_idle },
	[DEV_MS_ST_LIMITED] = { .name = "LIMITED",
				.in_event_mask = S(MS_EV_RELEASED),
				.out_state_mask = IDLE_OUT,
				.action = st_idle },
	[DEV_MS_ST_DETACH] = { .name = "DETACH",
			       .in_event_mask = S(MS_EV_RELEASED),
			       .out_state_mask = IDLE_OUT,
			       .action = st_detach },
};

static struct osmo_fsm ms_fsm = {
	.name = "dev_ms",
	.states = ms_states,
	.num_states = ARRAY_SIZE(ms_states),
	.event_names = ms_event_names,
	.timer_cb = ms_timer_cb,
};

static __attribute__((constructor)) void ms_fsm_register(void)
{
	OSMO_ASSERT(osmo_fsm_register(&ms_fsm) == 0);
	OSMO_ASSERT(osmo_fsm_register(&mo_fsm) == 0);
}

struct dev_ms *dev_ms_alloc(void *ctx, const struct dev_ms_cfg *cfg, const struct dev_ms_net_ops *net,
			    const struct dev_ms_sim_ops *sim, void *priv)
{
	struct osmo_fsm_inst *fi = osmo_fsm_inst_alloc(&ms_fsm, ctx, NULL, LOGL_INFO, "ms");
	struct dev_ms *ms;

	if (!fi)
		return NULL;
	ms = talloc_zero(fi, struct dev_ms);
	fi->priv = ms;
	ms->fi = fi;
	ms->cfg = *cfg;
	if (!ms->cfg.classmark1)
		ms->cfg.classmark1 = 0x33;
	ms->net = net;
	ms->sim = sim;
	ms->priv = priv;
	ms->next_mr = 1;
	osmo_timer_setup(&ms->t3211, t3211_cb, ms);
	return ms;
}

void dev_ms_free(struct dev_ms *ms)
{
	if (ms) {
		osmo_timer_del(&ms->t3211);
		for (size_t i = 0; i < DEV_MS_HELD_MAX; i++)
			if (ms->held[i].used)
				osmo_timer_del(&ms->held[i].t);
	}
	if (ms)
		osmo_fsm_inst_term(ms->fi, OSMO_FSM_TERM_REQUEST, NULL);
}

void dev_ms_power_on(struct dev_ms *ms)
{
	ms->want_power_off = false;
	if (ms->fi->state == DEV_MS_ST_OFF)
		osmo_fsm_inst_dispatch(ms->fi, MS_EV_POWER_ON, NULL);
}

void dev_ms_power_off(struct dev_ms *ms)
{
	osmo_timer_del(&ms->t3211);
	ms->lu_attempts = 0;
	if (ms->fi->state == DEV_MS_ST_OFF)
		return;
	if (ms->fi->state == DEV_MS_ST_WAIT_RESET_ACK) {
		state_chg(ms, DEV_MS_ST_OFF);
		return;
	}
	dev_ms_detach(ms);
	ms->want_power_off = true;
	ms_kick(ms);
}

void dev_ms_detach(struct dev_ms *ms)
{
	if (ms->fi->state != DEV_MS_ST_ATTACHED && ms->fi->state != DEV_MS_ST_LU)
		return;
	ms->want_detach = true;
	OSMO_STRLCPY_ARRAY(ms->detach_imsi, ms->imsi);
	ms_kick(ms);
}

void dev_ms_attach(struct dev_ms *ms)
{
	osmo_timer_del(&ms->t3211);
	ms->want_attach = true;
	ms_kick(ms);
}

void dev_ms_refresh(struct dev_ms *ms)
{
	ms_event(ms, "REFRESH: detach %s, re-read the IMSI, attach", ms->imsi[0] ? ms->imsi : "(none)");
	if (ms->fi->state == DEV_MS_ST_ATTACHED) {
		ms->want_detach = true;
		OSMO_STRLCPY_ARRAY(ms->detach_imsi, ms->imsi);
	}
	if (ms->fi->state != DEV_MS_ST_OFF && ms->fi->state != DEV_MS_ST_WAIT_RESET_ACK)
		ms->want_attach = true;
	ms_kick(ms);
}
