/* sims/euicc: the card factory (factory.h). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <arpa/inet.h>
#include <stdlib.h>

#include "lib/cat/cat.h"
#include "lib/crypto/sym.h"
#include "lib/es5/es5.h"
#include "lib/ids/ids.h"
#include "lib/saip/saip.h"
#include "sims/euicc/card.h"
#include "sims/euicc/factory.h"

/* "IPv4:port" -> the OPEN CHANNEL objects of a TCP client session to it (TS 102 223 §6.6.27; the
 * objects an SM-SR's push carries in `84`, digest §5.2) and the host text. */
static int admin_conn(const char *addr, uint8_t *out, size_t cap, char *host, size_t hcap)
{
	struct cat_channel_params p = { .has_bearer = true,
					.bearer_type = CAT_BEARER_DEFAULT,
					.has_buffer_size = true,
					.buffer_size = 1400,
					.has_transport = true,
					.transport = CAT_TRANSPORT_TCP_CLIENT_REMOTE };
	uint8_t dest[5] = { 0x21 }; /* §8.58 IPv4 */
	const char *colon = strrchr(addr, ':');
	struct bertlv_writer w;
	char *end;
	long port;

	if (!colon || (size_t)(colon - addr) >= hcap)
		return -EINVAL;
	memcpy(host, addr, (size_t)(colon - addr));
	host[colon - addr] = 0;
	port = strtol(colon + 1, &end, 10);
	if (*end || port < 1 || port > 65535 || inet_pton(AF_INET, host, dest + 1) != 1)
		return -EINVAL;
	p.port = (uint16_t)port;
	p.dest_addr = (struct cat_bytes){ dest, sizeof(dest) };
	bertlv_writer_init(&w, out, cap);
	cat_channel_params_put(&w, &p);
	return bertlv_writer_finish(&w);
}

int euicc_factory_profile(struct euicc_isdp *isdp, const uint8_t *saip, size_t len, const char *msisdn)
{
	struct saip_profile sp;
	struct euicc_profile *p = &isdp->prof;

	if (saip_decode(&sp, saip, len, NULL) < 0)
		return -EINVAL;
	if ((sp.algo != SAIP_ALGO_MILENAGE && sp.algo != SAIP_ALGO_COMP128V1) || sp.key.len != 16 ||
	    (sp.algo == SAIP_ALGO_MILENAGE && sp.opc.len != 16) || !sp.imsi[0] || sp.usim_aid.len > EUICC_AID_MAX)
		return -EINVAL;
	memset(p, 0, sizeof(*p));
	snprintf(p->iccid, sizeof(p->iccid), "%s", sp.iccid);
	snprintf(p->imsi, sizeof(p->imsi), "%s", sp.imsi);
	if (msisdn)
		snprintf(p->msisdn, sizeof(p->msisdn), "%s", msisdn);
	p->algo = (uint8_t)sp.algo;
	memcpy(p->k, sp.key.buf, 16);
	if (sp.algo == SAIP_ALGO_MILENAGE)
		memcpy(p->opc, sp.opc.buf, 16);
	memcpy(p->usim_aid, sp.usim_aid.buf, sp.usim_aid.len);
	p->usim_aid_len = (uint8_t)sp.usim_aid.len;
	isdp->pol1 = sp.pol1.len == 1 ? sp.pol1.buf[0] : 0;
	isdp->has_profile = true;
	return 0;
}

int euicc_factory_make(const char *path, struct euicc_factory *f)
{
	struct euicc_store *st = NULL;
	struct euicc_keyset ks = { 0 };
	struct euicc_isdp isdp = { 0 };
	uint8_t eid[IDS_EID_BYTES], curve = (uint8_t)f->curve;
	int rc;

	if (!f->eid || ids_eid_verify(f->eid, strlen(f->eid), NULL) < 0 ||
	    ids_eid_to_bytes(eid, f->eid, strlen(f->eid)) < 0 || !f->cert_ecasd || !f->cert_len)
		return -EINVAL;
	ids_aid_from_tar(isdp.aid, EUICC_FIRST_ISDP_TAR);
	isdp.aid_len = IDS_AID_LEN;
	isdp.tar = EUICC_FIRST_ISDP_TAR;
	/* The first profile: enabled, and the fall-back profile (SGP.02 §3.6 [I]: the provisioning
	 * profile the card returns to). */
	isdp.state = ES5_ISDP_ENABLED;
	isdp.fallback = true;
	memset(isdp.loci, 0xFF, 7);
	isdp.loci[7] = 0xFF, isdp.loci[8] = 0xFE, isdp.loci[9] = 0x00, isdp.loci[10] = 0x01;
	if (euicc_factory_profile(&isdp, f->saip, f->saip_len, f->msisdn) < 0)
		return -EINVAL;
	if (!f->keys_given) {
		if (crypto_random(&f->scp80[0][0], sizeof(f->scp80)) < 0 ||
		    crypto_random(&f->scp81[0][0], sizeof(f->scp81)) < 0)
			return -EIO;
		f->keys_given = true;
	}
	rc = euicc_store_open(&st, path, true);
	if (rc < 0)
		return rc;
	rc = -EIO;
	if (euicc_store_begin(st) < 0)
		goto out;
	if (euicc_store_param_set(st, "eid", eid, sizeof(eid)) < 0 ||
	    euicc_store_param_set(st, "curve", &curve, 1) < 0 ||
	    euicc_store_param_set(st, "ecasd.sk", f->sk_ecasd, EC_SCALAR_LEN) < 0 ||
	    euicc_store_param_set(st, "ecasd.cert", f->cert_ecasd, f->cert_len) < 0 ||
	    euicc_store_param_set(st, "ci.pk", f->pk_ci, EC_POINT_LEN) < 0)
		goto out;
	if (f->smsr_sms && euicc_store_param_set(st, "smsr.sms", (const uint8_t *)f->smsr_sms, strlen(f->smsr_sms)) < 0)
		goto out;
	if (f->admin_addr) {
		uint8_t conn[64];
		char host[64];
		int n = admin_conn(f->admin_addr, conn, sizeof(conn), host, sizeof(host));

		if (n < 0) {
			rc = -EINVAL;
			goto out;
		}
		if (euicc_store_param_set(st, "admin.conn", conn, (size_t)n) < 0 ||
		    euicc_store_param_set(st, "admin.host", (const uint8_t *)host, strlen(host)) < 0)
			goto out;
	}
	if (f->notif_transport) {
		if (get_string_value(euicc_notif_transport_names, f->notif_transport) < 0) {
			rc = -EINVAL;
			goto out;
		}
		if (euicc_store_param_set(st, "notif.transport", (const uint8_t *)f->notif_transport,
					  strlen(f->notif_transport)) < 0)
			goto out;
	}
	if (f->notif_carriage) {
		if (get_string_value(ramhttp_notif_carriage_names, f->notif_carriage) < 0) {
			rc = -EINVAL;
			goto out;
		}
		if (euicc_store_param_set(st, "notif.carriage", (const uint8_t *)f->notif_carriage,
					  strlen(f->notif_carriage)) < 0)
			goto out;
	}
	ks.kvn = 0x01;
	ks.type = EUICC_KEYSET_SCP80;
	for (int i = 0; i < 3; i++) {
		memcpy(ks.key[i], f->scp80[i], 16);
		ks.key_len[i] = 16;
	}
	if (euicc_store_keyset_put(st, &ks) < 0)
		goto out;
	memset(&ks, 0, sizeof(ks));
	ks.kvn = 0x40;
	ks.type = EUICC_KEYSET_SCP81;
	for (int i = 0; i < 2; i++) {
		memcpy(ks.key[i], f->scp81[i], 16);
		ks.key_len[i] = 16;
	}
	if (euicc_store_keyset_put(st, &ks) < 0 || euicc_store_isdp_put(st, &isdp) < 0)
		goto out;
	rc = euicc_store_commit(st);
out:
	if (rc < 0)
		euicc_store_rollback(st);
	euicc_store_close(st);
	if (rc < 0)
		remove(path);
	return rc;
}

int euicc_factory_add_profile(const char *path, const uint8_t *saip, size_t len, const char *msisdn, uint32_t tar)
{
	struct euicc_store *st = NULL;
	struct euicc_isdp isdp = { 0 }, old;
	int rc;

	if (tar <= EUICC_FIRST_ISDP_TAR || tar > IDS_TAR_ISD_P_MAX)
		return -EINVAL;
	ids_aid_from_tar(isdp.aid, tar);
	isdp.aid_len = IDS_AID_LEN;
	isdp.tar = tar;
	isdp.state = ES5_ISDP_DISABLED; /* installed, not enabled: an EnableProfile (3A03) switches to it */
	memset(isdp.loci, 0xFF, 7);
	isdp.loci[7] = 0xFF, isdp.loci[8] = 0xFE, isdp.loci[9] = 0x00, isdp.loci[10] = 0x01;
	if (euicc_factory_profile(&isdp, saip, len, msisdn) < 0)
		return -EINVAL;
	rc = euicc_store_open(&st, path, false);
	if (rc < 0)
		return rc;
	if (euicc_store_isdp_get_by_tar(st, tar, &old) == 0)
		rc = -EEXIST;
	else if (euicc_store_begin(st) < 0 || euicc_store_isdp_put(st, &isdp) < 0 || euicc_store_check(st) < 0)
		rc = -EIO;
	else
		rc = euicc_store_commit(st);
	if (rc == -EIO)
		euicc_store_rollback(st);
	euicc_store_close(st);
	return rc;
}
