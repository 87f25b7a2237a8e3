/* libFuzzer target for what the device decodes from the network and the card that lib/ does not fuzz.
 * The first byte selects: 0 BSSAP -> L3 -> RP chain; 1 BSSMAP PAGING IEs; 2 AUTHENTICATE response (second
 * byte = context); 3 EF.IMSI; 4 vpcd frames; 5 a control-socket line; 6 the MS state machine (attached,
 * stub transports, stub card answering SMS-PP download with a PoR) fed connection data; 7 the same fed a UDT. */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <osmocom/core/application.h>
#include <osmocom/core/logging.h>
#include <osmocom/core/talloc.h>

#include "sims/device/a_msg.h"
#include "sims/device/card.h"
#include "sims/device/ctrl.h"
#include "sims/device/ms.h"

static int tx_any(void *p, struct msgb *m)
{
	msgb_free(m);
	return 0;
}
static int tx_conn(void *p, uint32_t id, struct msgb *m)
{
	msgb_free(m);
	return 0;
}
static int tx_disc(void *p, uint32_t id)
{
	return 0;
}
static const struct dev_ms_net_ops net = { tx_any, tx_conn, tx_conn, tx_disc };
static int sim_imsi(void *p, char imsi[16])
{
	strcpy(imsi, "001010000000001");
	return 0;
}
static int sim_auth(void *p, const uint8_t rand[16], const uint8_t *autn, struct dev_auth_res *res)
{
	memset(res, 0, sizeof(*res));
	res->ok = true;
	return 0;
}
static int sim_dl(void *p, const uint8_t *sc, size_t sc_len, const uint8_t *tpdu, size_t tpdu_len, struct dev_rapdu *r)
{
	/* echo the TPDU as the PoR: any length up to what a card may return */
	r->len = tpdu_len;
	memcpy(r->data, tpdu, tpdu_len);
	r->sw = 0x9000;
	r->sw_first = 0x6100;
	return 0;
}
static const struct dev_ms_sim_ops sim = { .read_imsi = sim_imsi, .authenticate = sim_auth, .sms_pp_download = sim_dl };

static const struct log_info_cat cats[] = { [0] = { .name = "DFUZZ", .enabled = 0, .loglevel = LOGL_FATAL } };
static const struct log_info li = { .cat = cats, .num_cat = 1 };

static struct dev_ms *attached_ms(void)
{
	static void *ctx;
	static struct dev_ms *ms;
	static const uint8_t reset_ack[] = { 0x00, 0x01, 0x31 };
	static const uint8_t lu_acc[] = { 0x01, 0x00, 0x07, 0x05, 0x02, 0x00, 0xf1, 0x10, 0x00, 0x0b };

	if (!ctx) {
		ctx = talloc_named_const(NULL, 0, "fuzz_device");
		msgb_talloc_ctx_init(ctx, 0);
		osmo_init_logging2(ctx, &li);
		log_set_log_level(osmo_stderr_target, LOGL_FATAL);
		log_set_all_filter(osmo_stderr_target, 0);
	}
	if (ms)
		dev_ms_free(ms);
	struct dev_ms_cfg cfg = { .cgi = { .lai = { .plmn = { .mcc = 1, .mnc = 1 }, .lac = 11 }, .cell_identity = 1 },
				  .sc = { 0x91, 0x44 },
				  .sc_len = 2 };
	ms = dev_ms_alloc(ctx, &cfg, &net, &sim, NULL);
	dev_ms_power_on(ms);
	dev_ms_rx_udt(ms, reset_ack, sizeof(reset_ack));
	dev_ms_rx_conn_data(ms, ms->conn.id, lu_acc, sizeof(lu_acc));
	return ms;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	uint8_t sel = data[0];
	data++;
	size--;
	switch (sel % 8) {
	case 0: {
		struct dev_bssap b;
		struct dev_l3 l3;
		struct dev_rp rp;
		if (dev_bssap_decode(&b, data, size) < 0 || b.kind != DEV_BSSAP_DTAP)
			break;
		if (dev_l3_decode(&l3, b.ies, b.ies_len) < 0 || !l3.rp)
			break;
		dev_rp_decode(&rp, l3.rp, l3.rp_len);
		break;
	}
	case 1: {
		struct dev_paging pg;
		dev_paging_decode(&pg, data, size);
		break;
	}
	case 2: {
		struct dev_auth_res r;
		if (size < 1)
			break;
		dev_auth_resp_decode(&r, (enum dev_auth_ctx)(data[0] % 3), data + 1, size - 1);
		break;
	}
	case 3: {
		char imsi[16];
		dev_ef_imsi_decode(imsi, data, size);
		break;
	}
	case 4: {
		const uint8_t *pl;
		size_t pn;
		int rc;
		while ((rc = dev_vpcd_frame_decode(data, size, &pl, &pn)) > 0) {
			data += rc;
			size -= (size_t)rc;
		}
		break;
	}
	case 5: {
		char line[DEV_CTRL_LINE_MAX + 2];
		struct dev_ctrl_cmd c;
		size_t n = size < sizeof(line) - 1 ? size : sizeof(line) - 1;
		memcpy(line, data, n);
		line[n] = '\0';
		dev_ctrl_parse(&c, line);
		break;
	}
	case 6: {
		struct dev_ms *ms = attached_ms();
		dev_ms_rx_conn_data(ms, ms->conn.id, data, size);
		break;
	}
	case 7: {
		struct dev_ms *ms = attached_ms();
		dev_ms_rx_udt(ms, data, size);
		break;
	}
	}
	return 0;
}
