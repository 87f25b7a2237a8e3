/* ES parties for the end-to-end tests (see testbed_es.h). */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <osmocom/core/select.h>
#include <osmocom/core/talloc.h>
#include <osmocom/core/timer.h>
#include <osmocom/core/utils.h>

#include "harness/net_io.h"
#include "harness/testbed_es.h"

static void copy_str(char *dst, size_t cap, const char *src)
{
	size_t k = 0;
	for (; src && *src && k + 1 < cap; src++)
		dst[k++] = (*src >= 0x20 && *src < 0x7f) ? *src : '?';
	dst[k] = '\0';
}

void tb_es_call_cb(struct esnet_call *call, int rc, const struct es_msg *resp, const struct soap_findings *f,
		   void *priv)
{
	struct tb_result *r = priv;
	const struct es_fes *fes;

	r->done = true;
	r->rc = rc;
	r->t1 = net_now_ms();
	if (rc < 0 || !resp)
		return;
	if (resp->is_fault) {
		r->fault = true;
		copy_str(r->message, sizeof(r->message), resp->fault.reason);
		return;
	}
	fes = &resp->u.es1_register_eis_resp.function_execution_status; /* every response starts so */
	r->status = fes->status;
	if (fes->status_code_data.present) {
		copy_str(r->subject, sizeof(r->subject), fes->status_code_data.subject);
		copy_str(r->reason, sizeof(r->reason), fes->status_code_data.reason);
		copy_str(r->message, sizeof(r->message), fes->status_code_data.message);
	}
	if (resp->id == ES_MSG_ES4_GET_EIS_RESP || resp->id == ES_MSG_ES4_AUDIT_EIS_RESP) {
		const struct es_eis *eis = &resp->u.es4_get_eis_resp.eis;
		for (unsigned int i = 0; eis->present && i < eis->n_profile_info && r->n_prof < TB_PROF_MAX; i++) {
			copy_str(r->prof[r->n_prof].iccid, sizeof(r->prof[0].iccid), eis->profile_info[i].iccid);
			r->prof[r->n_prof++].state = eis->profile_info[i].state;
		}
	}
}

static void notif_cb(struct esnet_in *in, void *priv)
{
	const struct es_msg *m = esnet_in_msg(in);
	struct tb_party *p = priv;

	if (p->n_notifs < TB_NOTIF_MAX) {
		p->notifs[p->n_notifs].id = m->id;
		copy_str(p->notifs[p->n_notifs].iccid, sizeof(p->notifs[0].iccid),
			 m->u.es4_handle_profile_enabled_notif.iccid);
		printf("  MNO <- %s ICCID %s\n", es_msgs[m->id].name, p->notifs[p->n_notifs].iccid);
		p->n_notifs++;
	}
	esnet_in_done(in);
}

int tb_party_init(void *ctx, const char *rundir, struct tb_party *p, const char *name, const char *entity,
		  const char *addr, uint16_t port, unsigned int ifaces)
{
	char cert[PATH_MAX], key[PATH_MAX], ca[PATH_MAX], url[64], err[256];
	static struct esnet_handler hs[ES_MSG__COUNT];
	struct esnet_cfg cfg = { .variant = es_variant_default, .own_id = entity, .own_name = name };
	size_t nh = 0;

	memset(p, 0, sizeof(*p));

	snprintf(cert, sizeof(cert), "%.3000s/pki/%s/tls-cert.pem", rundir, name);
	snprintf(key, sizeof(key), "%.3000s/pki/%s/tls-key.pem", rundir, name);
	snprintf(ca, sizeof(ca), "%.3000s/pki/ci/cert.pem", rundir);
	p->cli = tls_ctx_alloc(
		ctx, &(struct tls_cfg){ .role = TLS_ROLE_CLIENT, .cert_file = cert, .key_file = key, .ca_file = ca },
		err, sizeof(err));
	if (!p->cli) {
		printf("  %s: TLS client: %s\n", name, err);
		return -EPROTO;
	}
	cfg.callback_tls = p->cli;
	if (port) {
		p->srv = tls_ctx_alloc(ctx,
				       &(struct tls_cfg){ .role = TLS_ROLE_SERVER,
							  .cert_file = cert,
							  .key_file = key,
							  .ca_file = ca,
							  .require_client_cert = true },
				       err, sizeof(err));
		if (!p->srv) {
			printf("  %s: TLS server: %s\n", name, err);
			return -EPROTO;
		}
		for (int id = 0; id < ES_MSG__COUNT; id++)
			if (es_msgs[id].kind == ES_KIND_NOTIFICATION && (ifaces & (1u << es_msgs[id].iface)))
				hs[nh++] = (struct esnet_handler){ (enum es_msg_id)id, notif_cb, p };
		snprintf(url, sizeof(url), "https://%s:%u/", addr, port);
		cfg.listen_addr = addr;
		cfg.listen_port = port;
		cfg.server_tls = p->srv;
		cfg.handlers = hs;
		cfg.num_handlers = nh;
	} else {
		snprintf(url, sizeof(url), "https://%s.rsplab.invalid/", name);
	}
	cfg.own_url = url;
	p->e = esnet_alloc(ctx, &cfg);
	if (!p->e) {
		printf("  %s: esnet: %s\n", name, strerror(errno));
		return -EIO;
	}
	return 0;
}

static struct osmo_timer_list tick;

static void tick_cb(void *data)
{
}

void tb_poll_ms(int ms)
{
	int64_t end = net_now_ms() + ms;

	if (!tick.cb)
		osmo_timer_setup(&tick, tick_cb, NULL);
	do {
		/* a 20 ms tick bounds each select so the loop ends on time without traffic */
		osmo_timer_schedule(&tick, 0, 20000);
		osmo_select_main_ctx(0);
	} while (net_now_ms() < end);
	osmo_timer_del(&tick);
}

void tb_pump(void *priv)
{
	tb_poll_ms(100);
}

bool tb_es_call(struct tb_party *p, const char *addr, uint16_t port, const char *entity, struct es_msg *req,
		struct tb_result *r, int timeout_ms)
{
	char url[64];
	struct esnet_peer peer = { .url = url, .entity_id = entity, .tls = p->cli, .variant = es_variant_default };
	int64_t end;
	int rc;

	memset(r, 0, sizeof(*r));
	r->t0 = net_now_ms();
	snprintf(url, sizeof(url), "https://%s:%u/", addr, port);
	rc = esnet_call(p->e, &peer, req, tb_es_call_cb, r, NULL);
	if (rc < 0) {
		printf("  %s not sent: %s (%s)\n", es_msgs[req->id].name, strerror(-rc), esnet_last_error(p->e));
		return false;
	}
	end = net_now_ms() + timeout_ms;
	while (!r->done && net_now_ms() < end)
		tb_poll_ms(20);
	if (!r->done)
		printf("  %s: no response within %d ms\n", es_msgs[req->id].name, timeout_ms);
	else
		printf("  %s -> rc %d %s%s %s/%s %s (%.2f s)\n", es_msgs[req->id].name, r->rc, r->fault ? "FAULT " : "",
		       get_value_string(es_status_names, r->status), r->subject, r->reason, r->message,
		       (double)(r->t1 - r->t0) / 1000);
	return r->done && r->rc == 0 && !r->fault;
}

struct es_msg *tb_eid_req(void *ctx, enum es_msg_id id, const uint8_t eid[16], const char *iccid)
{
	struct es_msg *m = talloc_zero(ctx, struct es_msg);

	m->id = id;
	switch (id) {
	case ES_MSG_ES4_GET_EIS_REQ:
		m->u.es4_get_eis_req.present = true;
		m->u.es4_get_eis_req.eid = (struct es_hex){ eid, 16 };
		break;
	case ES_MSG_ES4_AUDIT_EIS_REQ:
		m->u.es4_audit_eis_req.present = true;
		m->u.es4_audit_eis_req.eid = (struct es_hex){ eid, 16 };
		break;
	case ES_MSG_ES4_ENABLE_PROFILE_REQ:
		m->u.es4_enable_profile_req.present = true;
		m->u.es4_enable_profile_req.eid = (struct es_hex){ eid, 16 };
		m->u.es4_enable_profile_req.iccid = iccid;
		break;
	case ES_MSG_ES4_UPDATE_SUBSCRIPTION_ADDRESS_REQ:
		m->u.es4_update_subscription_address_req.present = true;
		m->u.es4_update_subscription_address_req.eid = (struct es_hex){ eid, 16 };
		m->u.es4_update_subscription_address_req.iccid = iccid;
		break;
	default: break;
	}
	return m;
}

int tb_result_state(const struct tb_result *r, const char *iccid)
{
	for (unsigned int i = 0; i < r->n_prof; i++)
		if (!strncmp(r->prof[i].iccid, iccid, strlen(iccid)))
			return r->prof[i].state;
	return 0;
}

unsigned int tb_notif_count(const struct tb_party *p, enum es_msg_id id, const char *iccid)
{
	unsigned int n = 0;

	for (unsigned int i = 0; i < p->n_notifs; i++)
		n += p->notifs[i].id == id && !strncmp(p->notifs[i].iccid, iccid, strlen(iccid));
	return n;
}
