/* sims/euicc: the EUM-signed EIS as ES1.RegisterEIS (eis.h). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <openssl/evp.h>

#include "lib/crypto/ec.h"
#include "lib/crypto/sym.h"
#include "lib/es5/es5.h"
#include "lib/ids/ids.h"
#include "sims/euicc/eis.h"

#define NVM_TOTAL (512u * 1024u) /* as isdr.c: our eUICC's profile memory */
#define ISDP_BASE (32u * 1024u)	 /* as isdr.c: an ISD-P without a quota */

static void sd_fill(struct es_security_domain *sd, uint8_t *aid, uint8_t *tar, uint32_t tar_v, enum es_sd_role role,
		    const uint8_t *sdin, size_t sdin_len)
{
	ids_aid_from_tar(aid, tar_v);
	tar[0] = (uint8_t)(tar_v >> 16), tar[1] = (uint8_t)(tar_v >> 8), tar[2] = (uint8_t)tar_v;
	sd->present = true;
	sd->aid = (struct es_hex){ aid, 16 };
	sd->tar[0] = (struct es_hex){ tar, 3 };
	sd->n_tar = 1;
	sd->sin = (struct es_hex){ aid + 13, 1 }; /* SIN: the AID's instance byte [I] */
	sd->sdin = (struct es_hex){ sdin, sdin_len };
	sd->role = role;
}

int euicc_eis_fill(struct es_msg *msg, struct euicc_eis_buf *b, struct euicc_store *st,
		   const struct euicc_eis_params *p)
{
	struct es1_register_eis_req *r;
	struct es_eis *e;
	struct euicc_isdp isdp[EUICC_MAX_ISDP];
	struct euicc_keyset ks[EUICC_MAX_KEYSETS];
	size_t len = sizeof(b->eid);
	uint8_t rnd[16];
	uint32_t used = 0;
	int n, nk;

	if (!msg || !b || !st || !p || !p->eum_id || !p->smsr_id || !p->mno_id)
		return -EINVAL;
	memset(msg, 0, sizeof(*msg));
	memset(b, 0, sizeof(*b));
	if (euicc_store_param_get(st, "eid", b->eid, &len) < 0 || len != 16)
		return -EINVAL;
	b->cert_len = sizeof(b->cert);
	if (euicc_store_param_get(st, "ecasd.cert", b->cert, &b->cert_len) < 0)
		return -EINVAL;
	n = euicc_store_isdp_list(st, isdp, EUICC_MAX_ISDP);
	nk = euicc_store_keyset_list(st, ks, EUICC_MAX_KEYSETS);
	if (n < 0 || nk < 0)
		return -EIO;
	if (crypto_random(rnd, sizeof(rnd)) < 0)
		return -EIO;
	msg->id = ES_MSG_ES1_REGISTER_EIS_REQ;
	snprintf(b->msg_id, sizeof(b->msg_id),
		 "urn:uuid:%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", rnd[0], rnd[1],
		 rnd[2], rnd[3], rnd[4], rnd[5], rnd[6], rnd[7], rnd[8], rnd[9], rnd[10], rnd[11], rnd[12], rnd[13],
		 rnd[14], rnd[15]);
	msg->wsa.message_id = p->message_id ? p->message_id : b->msg_id;
	msg->wsa.to = p->to ? p->to : "http://smsr.rsplab.test/ES1";
	msg->wsa.from = "http://eum.rsplab.test/ES1";
	r = &msg->u.es1_register_eis_req;
	r->present = true;
	snprintf(b->fcid, sizeof(b->fcid), "register-eis-%02x%02x%02x%02x", rnd[0], rnd[1], rnd[2], rnd[3]);
	r->function_call_identifier = b->fcid;
	e = &r->eis;
	e->present = true;
	/* EumSignedInfo (digest §4.1) */
	e->eum_signed_info.present = true;
	e->eum_signed_info.eid = (struct es_hex){ b->eid, 16 };
	e->eum_signed_info.eum_id = p->eum_id;
	if (p->production_date) {
		e->eum_signed_info.production_date = p->production_date;
	} else {
		time_t now = time(NULL);
		struct tm tm;
		gmtime_r(&now, &tm);
		strftime(b->date, sizeof(b->date), "%Y-%m-%dT%H:%M:%SZ", &tm);
		e->eum_signed_info.production_date = b->date;
	}
	e->eum_signed_info.platform_type = "rsplab-euicc";
	e->eum_signed_info.platform_version = "1.0.0";
	ids_aid_from_tar(b->aids[0], 0x00000D); /* digest §4.2: ISD-P load file and module */
	ids_aid_from_tar(b->aids[1], 0x00000E);
	e->eum_signed_info.isd_p_loadfile_aid = (struct es_hex){ b->aids[0], 16 };
	e->eum_signed_info.isd_p_module_aid = (struct es_hex){ b->aids[1], 16 };
	sd_fill(&e->eum_signed_info.ecasd, b->aids[2], b->tars[0], 0x000002, ES_SD_ROLE_ECASD, b->eid, 16);
	{
		/* digest §4.1: CERT.ECASD.ECKA in the ECASD key set of type CA */
		struct es_keyset *k = &e->eum_signed_info.ecasd.keyset[0];
		e->eum_signed_info.ecasd.n_keyset = 1;
		k->present = true;
		k->version = (struct es_int){ true, 0x73 }; /* [I] the ECASD certificate's key version */
		k->type = ES_KEYSET_CA;
		k->certificate[0].present = true;
		k->certificate[0].index = (struct es_int){ true, 1 };
		k->certificate[0].ca_id = p->eum_id;
		k->certificate[0].value = (struct es_hex){ b->cert, b->cert_len };
		k->n_certificate = 1;
	}
	e->eum_signed_info.euicc_capabilities.present = true;
	e->eum_signed_info.euicc_capabilities.cattp_support = (struct es_bool){ true, false };
	e->eum_signed_info.euicc_capabilities.http_support = (struct es_bool){ true, true };
	e->eum_signed_info.euicc_capabilities.http_version = "1.1.0";
	e->eum_signed_info.euicc_capabilities.secure_packet_version = "12.1.0"; /* TS 102 225 [I] */
	e->eum_signed_info.euicc_capabilities.remote_provisioning_version = "3.1.0";
	/* the EumSignature: filled by euicc_eis_sign (lib/es/es_eumsig) */
	/* profiles */
	for (int i = 0; i < n; i++) {
		struct es_profile_info *pi = &e->profile_info[e->n_profile_info];
		uint32_t alloc = isdp[i].quota ? isdp[i].quota : ISDP_BASE;
		unsigned int k = e->n_profile_info;

		used += alloc;
		if (!isdp[i].has_profile || k >= 4)
			continue;
		memcpy(b->isdp_aid[k], isdp[i].aid, isdp[i].aid_len);
		snprintf(b->iccid[k], sizeof(b->iccid[k]), "%s", isdp[i].prof.iccid);
		snprintf(b->imsi[k], sizeof(b->imsi[k]), "%s", isdp[i].prof.imsi);
		snprintf(b->msisdn[k], sizeof(b->msisdn[k]), "%s", isdp[i].prof.msisdn);
		pi->present = true;
		pi->iccid = b->iccid[k];
		pi->isd_p_aid = (struct es_hex){ b->isdp_aid[k], isdp[i].aid_len };
		pi->mno_id = p->mno_id;
		pi->fallback_attribute = (struct es_bool){ true, isdp[i].fallback };
		pi->subscription_address.present = true;
		pi->subscription_address.imsi = b->imsi[k];
		pi->subscription_address.msisdn = b->msisdn[k][0] ? b->msisdn[k] : NULL;
		pi->state = isdp[i].state == ES5_ISDP_ENABLED ? ES_PROFILE_STATE_ENABLED : ES_PROFILE_STATE_DISABLED;
		pi->allocated_memory = (struct es_int){ true, alloc };
		pi->pol2.present = true;
		e->n_profile_info++;
	}
	e->remaining_memory = (struct es_int){ true, used >= NVM_TOTAL ? 0 : NVM_TOTAL - used };
	e->available_memory_for_profiles = e->remaining_memory;
	e->smsr_id = p->smsr_id;
	/* ISD-R with its key sets (versions and types; the key values reach the SM-SR through the card's
	 * .keys file, not through this message) */
	sd_fill(&e->isd_r, b->aids[3], b->tars[1], IDS_TAR_ISD_R, ES_SD_ROLE_ISD_R, b->eid, 16);
	for (int i = 0; i < nk && e->isd_r.n_keyset < 8; i++) {
		struct es_keyset *k = &e->isd_r.keyset[e->isd_r.n_keyset++];
		k->present = true;
		k->version = (struct es_int){ true, ks[i].kvn };
		k->type = ks[i].type == EUICC_KEYSET_SCP80 ? ES_KEYSET_SCP80 : ES_KEYSET_SCP81;
		if (ks[i].type == EUICC_KEYSET_SCP80)
			k->cntr = (struct es_int){ true, (int64_t)ks[i].cntr_in };
	}
	OPENSSL_cleanse(ks, sizeof(ks));
	OPENSSL_cleanse(isdp, sizeof(isdp));
	return 0;
}

int euicc_eis_sign(uint8_t *out, size_t cap, struct es_msg *msg, struct euicc_eis_buf *b, EVP_PKEY *eum,
		   enum es_eumsig_variant v)
{
	if (!b)
		return -EINVAL;
	return es_eumsig_sign(out, cap, msg, &b->sig, eum, v, NULL);
}

int euicc_eis_verify(const uint8_t *xml, size_t len, EVP_PKEY *eum_pub, enum es_eumsig_variant v)
{
	return es_eumsig_verify(xml, len, &eum_pub, 1, v, NULL);
}
