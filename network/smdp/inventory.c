/* rsplab-smdp inventory: import / list / export (see inventory.h). */
#include <errno.h>
#include <string.h>

#include <openssl/crypto.h>
#include <osmocom/core/utils.h>

#include "lib/saip/saip.h"
#include "network/smdp/inventory.h"
#include "network/smdp/logging.h"

const struct value_string smdp_export_format_names[] = {
	{ SMDP_EXPORT_KV, "kv" },
	{ SMDP_EXPORT_HLR_VTY, "hlr-vty" },
	{ 0, NULL },
};

int smdp_inventory_import(struct smdp_store *s, const uint8_t *pkg, size_t len, const char *msisdn,
			  const char *profile_type, struct smdp_profile *out)
{
	struct saip_profile sp;
	struct smdp_profile p = { .pol1 = -1 };
	int rc;

	if (!s || !pkg || len == 0 || len > SMDP_PKG_MAX)
		return -EINVAL;
	if (saip_decode(&sp, pkg, len, NULL) < 0 || !sp.has_end || !sp.iccid[0] || !sp.imsi[0] || !sp.key.buf ||
	    sp.key.len == 0 || sp.key.len > SMDP_KEY_MAX || sp.opc.len > SMDP_KEY_MAX ||
	    (sp.algo != SAIP_ALGO_MILENAGE && sp.algo != SAIP_ALGO_COMP128V1) ||
	    (sp.algo == SAIP_ALGO_MILENAGE && sp.opc.len != 16) || sp.profile_type.len > SMDP_TYPE_MAX)
		return -EBADMSG;
	osmo_strlcpy(p.iccid, sp.iccid, sizeof(p.iccid));
	osmo_strlcpy(p.imsi, sp.imsi, sizeof(p.imsi));
	osmo_strlcpy(p.msisdn, msisdn ? msisdn : "", sizeof(p.msisdn));
	if (profile_type)
		osmo_strlcpy(p.profile_type, profile_type, sizeof(p.profile_type));
	else if (sp.profile_type.buf)
		memcpy(p.profile_type, sp.profile_type.buf, sp.profile_type.len);
	p.algo = sp.algo;
	memcpy(p.k, sp.key.buf, sp.key.len);
	p.k_len = sp.key.len;
	if (sp.opc.buf) {
		memcpy(p.opc, sp.opc.buf, sp.opc.len);
		p.opc_len = sp.opc.len;
	}
	p.pol1 = sp.pol1.buf && sp.pol1.len == 1 ? sp.pol1.buf[0] : -1;
	rc = smdp_store_profile_add(s, &p, pkg, len);
	if (rc == 0 && out)
		rc = smdp_store_profile_get(s, p.iccid, out);
	OPENSSL_cleanse(&p, sizeof(p));
	return rc;
}

static int list_one(const struct smdp_profile *p, void *priv)
{
	fprintf(priv, "%s %s %s %s %s %s\n", p->iccid, p->imsi, p->msisdn[0] ? p->msisdn : "-",
		p->profile_type[0] ? p->profile_type : "-", get_value_string(smdp_profile_state_names, p->state),
		p->eid[0] ? p->eid : "-");
	return 0;
}

int smdp_inventory_list(struct smdp_store *s, FILE *out)
{
	return smdp_store_profile_foreach(s, list_one, out);
}

struct export_ctx {
	FILE *out;
	enum smdp_export_format fmt;
};

static int export_one(const struct smdp_profile *p, void *priv)
{
	struct export_ctx *e = priv;
	char k[2 * SMDP_KEY_MAX + 1], opc[2 * SMDP_KEY_MAX + 1];

	if (p->state == SMDP_PROFILE_DELETED)
		return 0;
	osmo_hexdump_buf(k, sizeof(k), p->k, p->k_len, "", false);
	osmo_hexdump_buf(opc, sizeof(opc), p->opc, p->opc_len, "", false);
	if (e->fmt == SMDP_EXPORT_KV) {
		fprintf(e->out, "iccid=%s imsi=%s msisdn=%s algo=%s k=%s%s%s state=%s eid=%s\n", p->iccid, p->imsi,
			p->msisdn, p->algo == SAIP_ALGO_MILENAGE ? "milenage" : "comp128v1", k,
			p->opc_len ? " opc=" : "", p->opc_len ? opc : "",
			get_value_string(smdp_profile_state_names, p->state), p->eid);
	} else {
		fprintf(e->out, "subscriber imsi %s create\n", p->imsi);
		if (p->msisdn[0])
			fprintf(e->out, "subscriber imsi %s update msisdn %s\n", p->imsi, p->msisdn);
		if (p->algo == SAIP_ALGO_MILENAGE)
			fprintf(e->out, "subscriber imsi %s update aud3g milenage k %s opc %s\n", p->imsi, k, opc);
		else
			fprintf(e->out, "subscriber imsi %s update aud2g comp128v1 ki %s\n", p->imsi, k);
	}
	OPENSSL_cleanse(k, sizeof(k));
	OPENSSL_cleanse(opc, sizeof(opc));
	return 0;
}

int smdp_inventory_export(struct smdp_store *s, FILE *out, enum smdp_export_format fmt)
{
	struct export_ctx e = { out, fmt };

	return smdp_store_profile_foreach(s, export_one, &e);
}
