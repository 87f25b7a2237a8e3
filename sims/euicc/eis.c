/* sims/euicc: the EUM-signed EIS as ES1.RegisterEIS (eis.h). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <openssl/evp.h>
#include <libxml/c14n.h>
#include <libxml/parser.h>
#include <libxml/tree.h>

#include "lib/crypto/ec.h"
#include "lib/crypto/sym.h"
#include "lib/es5/es5.h"
#include "lib/ids/ids.h"
#include "sims/euicc/eis.h"

#define ALG_C14N   "http://www.w3.org/2001/10/xml-exc-c14n#"		 /* XML exclusive C14N 1.0 */
#define ALG_SHA256 "http://www.w3.org/2001/04/xmlenc#sha256"		 /* RFC 6931 §2.1.3 */
#define ALG_ECDSA  "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256" /* RFC 6931 §2.3.6 */
#define NVM_TOTAL  (512u * 1024u)					 /* as isdr.c: our eUICC's profile memory */
#define ISDP_BASE  (32u * 1024u)					 /* as isdr.c: an ISD-P without a quota */
#define XML_MAX	   (256 * 1024)

const struct value_string euicc_eis_sig_names[] = {
	{ EUICC_EIS_SIG_DSIG_DETACHED, "dsig-detached" },
	{ EUICC_EIS_SIG_DIRECT, "direct" },
	{ 0, NULL },
};

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
	/* the signature: filled by euicc_eis_sign */
	e->eum_signature.present = true;
	e->eum_signature.signed_info.present = true;
	e->eum_signature.signed_info.canonicalization_method = (struct es_ds_method){ true, ALG_C14N };
	e->eum_signature.signed_info.signature_method = (struct es_ds_method){ true, ALG_ECDSA };
	e->eum_signature.signed_info.reference[0].present = true;
	e->eum_signature.signed_info.reference[0].digest_method = (struct es_ds_method){ true, ALG_SHA256 };
	e->eum_signature.signed_info.reference[0].digest_value = b->digest_b64;
	e->eum_signature.signed_info.n_reference = 1;
	e->eum_signature.signature_value = b->sig_b64;
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

/* --- canonicalisation ------------------------------------------------------------------------------ */

static int in_subtree(void *root, xmlNodePtr node, xmlNodePtr parent)
{
	/* a namespace node (xmlNs) has no parent pointer: judge it by its element */
	xmlNodePtr n = node->type == XML_NAMESPACE_DECL ? parent : node;

	for (; n; n = n->parent)
		if (n == (xmlNodePtr)root)
			return 1;
	return 0;
}

static xmlNodePtr find(xmlNodePtr n, const char *name, const char *ns)
{
	for (; n; n = n->next) {
		xmlNodePtr r;
		if (n->type == XML_ELEMENT_NODE && !strcmp((const char *)n->name, name) &&
		    (!ns || (n->ns && !strcmp((const char *)n->ns->href, ns))))
			return n;
		if ((r = find(n->children, name, ns)))
			return r;
	}
	return NULL;
}

/* SHA-256 of the exclusive C14N of the element name (namespace ns) in doc; the c14n bytes in *out
 * when out is not NULL (caller frees with xmlFree). */
static int c14n_of(xmlDocPtr doc, const char *name, const char *ns, xmlChar **out, int *out_len)
{
	xmlNodePtr el = find(xmlDocGetRootElement(doc), name, ns);
	xmlOutputBufferPtr ob;
	xmlBufferPtr buf;
	int rc;

	if (!el)
		return -EBADMSG;
	buf = xmlBufferCreate();
	ob = buf ? xmlOutputBufferCreateBuffer(buf, NULL) : NULL;
	if (!ob) {
		xmlBufferFree(buf);
		return -EIO;
	}
	rc = xmlC14NExecute(doc, in_subtree, el, XML_C14N_EXCLUSIVE_1_0, NULL, 0, ob);
	xmlOutputBufferClose(ob);
	if (rc < 0) {
		xmlBufferFree(buf);
		return -EIO;
	}
	*out_len = (int)xmlBufferLength(buf);
	*out = xmlStrndup(xmlBufferContent(buf), *out_len);
	xmlBufferFree(buf);
	return *out ? 0 : -EIO;
}

static xmlDocPtr parse(const uint8_t *xml, size_t len)
{
	if (len > XML_MAX)
		return NULL;
	return xmlReadMemory((const char *)xml, (int)len, NULL, NULL,
			     XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
}

static int digest_of(xmlDocPtr doc, const char *name, const char *ns, uint8_t d[SHA256_LEN])
{
	xmlChar *c = NULL;
	int cl = 0, rc = c14n_of(doc, name, ns, &c, &cl);

	if (rc < 0)
		return rc;
	rc = crypto_sha256(c, (size_t)cl, d);
	xmlFree(c);
	return rc;
}

static int sign_of(xmlDocPtr doc, const char *name, const char *ns, EVP_PKEY *key, uint8_t sig[EC_SIG_LEN])
{
	xmlChar *c = NULL;
	int cl = 0, rc = c14n_of(doc, name, ns, &c, &cl);

	if (rc < 0)
		return rc;
	rc = crypto_ecdsa_sign(key, c, (size_t)cl, sig);
	xmlFree(c);
	return rc;
}

static int verify_of(xmlDocPtr doc, const char *name, const char *ns, EVP_PKEY *key, const uint8_t *sig, size_t len)
{
	xmlChar *c = NULL;
	int cl = 0, rc = c14n_of(doc, name, ns, &c, &cl);

	if (rc < 0)
		return rc;
	rc = crypto_ecdsa_verify(key, c, (size_t)cl, sig, len) == 0 ? 0 : -EACCES;
	xmlFree(c);
	return rc;
}

static const char *body_ns(const struct es_variant *v)
{
	return v->ns == ES_NS_V1 ? ES_NS_URI_V1 : ES_NS_URI_V3;
}

int euicc_eis_sign(uint8_t *out, size_t cap, struct es_msg *msg, struct euicc_eis_buf *b, EVP_PKEY *eum,
		   enum euicc_eis_sig v)
{
	const struct es_variant *var = &es_variant_default;
	uint8_t d[SHA256_LEN], sig[EC_SIG_LEN];
	xmlDocPtr doc;
	int n, rc;

	/* 1: encode with empty values, digest the EumSignedInfo as it stands in the message */
	b->digest_b64[0] = b->sig_b64[0] = 0;
	n = es_msg_encode(out, cap, msg, var);
	if (n < 0)
		return n;
	if (!(doc = parse(out, (size_t)n)))
		return -EIO;
	rc = digest_of(doc, "EumSignedInfo", body_ns(var), d);
	if (rc == 0 && v == EUICC_EIS_SIG_DIRECT)
		rc = sign_of(doc, "EumSignedInfo", body_ns(var), eum, sig);
	xmlFreeDoc(doc);
	if (rc < 0)
		return rc;
	EVP_EncodeBlock((unsigned char *)b->digest_b64, d, sizeof(d));
	/* 2: with the digest in place, sign the canonical ds:SignedInfo */
	if (v == EUICC_EIS_SIG_DSIG_DETACHED) {
		n = es_msg_encode(out, cap, msg, var);
		if (n < 0)
			return n;
		if (!(doc = parse(out, (size_t)n)))
			return -EIO;
		rc = sign_of(doc, "SignedInfo", ES_NS_URI_DS, eum, sig);
		xmlFreeDoc(doc);
		if (rc < 0)
			return rc;
	}
	EVP_EncodeBlock((unsigned char *)b->sig_b64, sig, sizeof(sig));
	return es_msg_encode(out, cap, msg, var);
}

static int text_b64(xmlDocPtr doc, const char *name, uint8_t *out, size_t want)
{
	xmlNodePtr el = find(xmlDocGetRootElement(doc), name, ES_NS_URI_DS);
	xmlChar *t;
	uint8_t buf[128];
	int n;
	size_t tl;

	if (!el || !(t = xmlNodeGetContent(el)))
		return -EBADMSG;
	tl = strlen((const char *)t);
	/* base64 of `want` bytes: 4 * ceil(want / 3) characters, no line breaks */
	if (tl != 4 * ((want + 2) / 3)) {
		xmlFree(t);
		return -EBADMSG;
	}
	n = EVP_DecodeBlock(buf, t, (int)tl);
	xmlFree(t);
	if (n < (int)want)
		return -EBADMSG;
	memcpy(out, buf, want);
	return 0;
}

int euicc_eis_verify(const uint8_t *xml, size_t len, EVP_PKEY *eum_pub, enum euicc_eis_sig v)
{
	const struct es_variant *var = &es_variant_default;
	uint8_t d[SHA256_LEN], got[SHA256_LEN], sig[EC_SIG_LEN];
	xmlDocPtr doc = parse(xml, len);
	int rc;

	if (!doc)
		return -EBADMSG;
	rc = digest_of(doc, "EumSignedInfo", body_ns(var), d);
	if (rc == 0)
		rc = text_b64(doc, "DigestValue", got, sizeof(got));
	if (rc == 0)
		rc = text_b64(doc, "SignatureValue", sig, sizeof(sig));
	if (rc == 0 && !crypto_mem_equal(d, got, sizeof(d)))
		rc = -EACCES;
	if (rc == 0)
		rc = v == EUICC_EIS_SIG_DIRECT
			     ? verify_of(doc, "EumSignedInfo", body_ns(var), eum_pub, sig, sizeof(sig))
			     : verify_of(doc, "SignedInfo", ES_NS_URI_DS, eum_pub, sig, sizeof(sig));
	xmlFreeDoc(doc);
	return rc == -EIO ? -EBADMSG : rc;
}
