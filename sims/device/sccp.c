/* SCCP user of the simulated BSC on libosmo-sigtran 1.6 (see sccp.h). */
#include <dlfcn.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <osmocom/core/logging.h>
#include <osmocom/core/talloc.h>
#include <osmocom/gsm/protocol/gsm_08_08.h>
#include <osmocom/sigtran/osmo_ss7.h>
#include <osmocom/sigtran/sccp_helpers.h>
#include <osmocom/sigtran/sccp_sap.h>

#include "sims/device/sccp.h"

struct dev_sccp {
	struct osmo_sccp_instance *sccp;
	struct osmo_sccp_user *scu;
	struct osmo_ss7_as *as;
	struct osmo_sccp_addr a_bsc, a_msc;
	const struct dev_sccp_up *up;
	void *priv;
};

static int sap_up(struct osmo_prim_hdr *oph, void *_scu)
{
	struct osmo_sccp_user *scu = _scu;
	struct dev_sccp *s = osmo_sccp_user_get_priv(scu);
	struct osmo_scu_prim *p = (struct osmo_scu_prim *)oph;
	const uint8_t *d = msgb_l2(oph->msg);
	size_t len = msgb_l2(oph->msg) ? msgb_l2len(oph->msg) : 0;

	switch (OSMO_PRIM_HDR(oph)) {
	case OSMO_PRIM(OSMO_SCU_PRIM_N_UNITDATA, PRIM_OP_INDICATION): s->up->udt(s->priv, d, len); break;
	case OSMO_PRIM(OSMO_SCU_PRIM_N_CONNECT, PRIM_OP_CONFIRM):
		s->up->conn_confirm(s->priv, p->u.connect.conn_id);
		if (len) /* a CC may carry data */
			s->up->conn_data(s->priv, p->u.connect.conn_id, d, len);
		break;
	case OSMO_PRIM(OSMO_SCU_PRIM_N_DATA, PRIM_OP_INDICATION):
		s->up->conn_data(s->priv, p->u.data.conn_id, d, len);
		break;
	case OSMO_PRIM(OSMO_SCU_PRIM_N_DISCONNECT, PRIM_OP_INDICATION):
		s->up->disconnect(s->priv, p->u.disconnect.conn_id);
		break;
	default: break;
	}
	msgb_free(oph->msg);
	return 0;
}

struct dev_sccp *dev_sccp_start(void *ctx, const struct dev_sccp_cfg *cfg, const struct dev_sccp_up *up, void *priv)
{
	struct dev_sccp *s;
	int bsc_pc, msc_pc;

	if (osmo_ss7_init() < 0)
		return NULL;
	bsc_pc = osmo_ss7_pointcode_parse(NULL, cfg->bsc_pc);
	msc_pc = osmo_ss7_pointcode_parse(NULL, cfg->msc_pc);
	if (bsc_pc < 0 || msc_pc < 0)
		return NULL;
	s = talloc_zero(ctx, struct dev_sccp);
	s->up = up;
	s->priv = priv;
	/* cs7 instance 0 + AS + ASP (M3UA client) + default route; the default layer manager registers the
	 * routing key by RKM (sigtran-lab §3) */
	s->sccp = osmo_sccp_simple_client_on_ss7_id(s, 0, "dev", (uint32_t)bsc_pc, OSMO_SS7_ASP_PROT_M3UA, 0,
						    cfg->local_ip, cfg->stp_port, cfg->stp_ip);
	if (!s->sccp) {
		talloc_free(s);
		return NULL;
	}
	struct osmo_ss7_instance *ss7 = osmo_sccp_get_ss7(s->sccp);
	s->as = osmo_ss7_as_find_by_proto(ss7, OSMO_SS7_ASP_PROT_M3UA);
	osmo_sccp_make_addr_pc_ssn(&s->a_bsc, (uint32_t)bsc_pc, OSMO_SCCP_SSN_BSSAP);
	osmo_sccp_make_addr_pc_ssn(&s->a_msc, (uint32_t)msc_pc, OSMO_SCCP_SSN_BSSAP);
	s->scu = osmo_sccp_user_bind(s->sccp, "dev", sap_up, OSMO_SCCP_SSN_BSSAP);
	if (!s->scu) {
		talloc_free(s);
		return NULL;
	}
	osmo_sccp_user_set_priv(s->scu, s);
	return s;
}

bool dev_sccp_ready(const struct dev_sccp *s)
{
	return s && s->as && osmo_ss7_as_active(s->as);
}

int dev_sccp_tx_udt(struct dev_sccp *s, struct msgb *msg)
{
	return osmo_sccp_tx_unitdata_msg(s->scu, &s->a_bsc, &s->a_msc, msg);
}

int dev_sccp_tx_conn_req(struct dev_sccp *s, uint32_t conn_id, struct msgb *msg)
{
	return osmo_sccp_tx_conn_req_msg(s->scu, conn_id, &s->a_bsc, &s->a_msc, msg);
}

int dev_sccp_tx_conn_data(struct dev_sccp *s, uint32_t conn_id, struct msgb *msg)
{
	return osmo_sccp_tx_data_msg(s->scu, conn_id, msg);
}

int dev_sccp_tx_disconnect(struct dev_sccp *s, uint32_t conn_id)
{
	return osmo_sccp_tx_disconn(s->scu, conn_id, NULL, 0);
}

const char *dev_sccp_sctp_mode(void)
{
	int fd = socket(AF_INET, SOCK_STREAM, IPPROTO_SCTP);
	if (fd < 0)
		return "none";
	close(fd);
	/* the shim exports sctp_send from the preloaded object; the kernel path resolves it in libsctp */
	void *sym = dlsym(RTLD_DEFAULT, "sctp_send");
	Dl_info info;
	if (sym && dladdr(sym, &info) && info.dli_fname && strstr(info.dli_fname, "sctp2tcp"))
		return "sctp2tcp shim";
	return "kernel";
}
