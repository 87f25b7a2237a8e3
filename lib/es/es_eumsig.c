/* lib/es: the EumSignature of an EIS (es_eumsig.h).
 *
 *   <Eis>                                     GSMA body namespace (/3 or /1)
 *     <EumSignedInfo>...</EumSignedInfo>      exc-C14N -> SHA-256 -> DigestValue
 *     <EumSignature>
 *       <ds:SignedInfo>                        exc-C14N -> ECDSA (dsig-detached)
 *         <ds:CanonicalizationMethod/> <ds:SignatureMethod/>
 *         <ds:Reference> <ds:DigestMethod/> <ds:DigestValue>b64</ds:DigestValue> </ds:Reference>
 *       </ds:SignedInfo>
 *       <ds:SignatureValue>b64(r‖s)</ds:SignatureValue>   (direct: ECDSA over EumSignedInfo's C14N)
 *     </EumSignature>
 *     ...
 */
#include <errno.h>
#include <string.h>
#include <openssl/evp.h>
#include <libxml/c14n.h>
#include <libxml/parser.h>
#include <libxml/tree.h>

#include "lib/crypto/ec.h"
#include "lib/crypto/sym.h"
#include "lib/es/es_eumsig.h"

const struct value_string es_eumsig_variant_names[] = {
	{ ES_EUMSIG_DSIG_DETACHED, "dsig-detached" },
	{ ES_EUMSIG_DIRECT, "direct" },
	{ 0, NULL },
};

/* ---- parsing and canonicalisation --------------------------------------------------------------- */

static xmlDocPtr parse(const uint8_t *xml, size_t len)
{
	xmlDocPtr doc;

	if (!xml || !len || len > ES_EUMSIG_XML_MAX)
		return NULL;
	/* no NOENT: entities are not substituted; no DTDLOAD; a DTD at all is refused below */
	doc = xmlReadMemory((const char *)xml, (int)len, NULL, NULL,
			    XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	if (doc && (doc->intSubset || doc->extSubset)) {
		xmlFreeDoc(doc);
		return NULL;
	}
	return doc;
}

static int in_subtree(void *root, xmlNodePtr node, xmlNodePtr parent)
{
	/* a namespace node (xmlNs) has no parent pointer: judge it by its element */
	xmlNodePtr n = node->type == XML_NAMESPACE_DECL ? parent : node;

	for (; n; n = n->parent)
		if (n == (xmlNodePtr)root)
			return 1;
	return 0;
}

/* the exclusive C14N 1.0 of the subtree el (caller frees *out with xmlFree) */
static int c14n_of(xmlDocPtr doc, xmlNodePtr el, xmlChar **out, size_t *out_len)
{
	xmlBufferPtr buf = xmlBufferCreate();
	xmlOutputBufferPtr ob = buf ? xmlOutputBufferCreateBuffer(buf, NULL) : NULL;
	int rc;

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
	*out_len = (size_t)xmlBufferLength(buf);
	*out = xmlStrndup(xmlBufferContent(buf), (int)*out_len);
	xmlBufferFree(buf);
	return *out ? 0 : -EIO;
}

static bool is_el(xmlNodePtr n, const char *name)
{
	return n && n->type == XML_ELEMENT_NODE && !strcmp((const char *)n->name, name);
}

static bool ns_is(xmlNodePtr n, const char *uri)
{
	return n->ns && n->ns->href && !strcmp((const char *)n->ns->href, uri);
}

static bool body_ns(xmlNodePtr n)
{
	return ns_is(n, ES_NS_URI_V3) || ns_is(n, ES_NS_URI_V1);
}

/* The signature's parts, each the only element of its local name in the document. */
struct parts {
	xmlNodePtr signed_info_eum, signature, ds_signed_info, reference, digest_value, signature_value, c14n_method,
		sig_method, digest_method;
};

static const struct {
	const char *name;
	size_t off;
} part_names[] = {
	{ "EumSignedInfo", offsetof(struct parts, signed_info_eum) },
	{ "EumSignature", offsetof(struct parts, signature) },
	{ "SignedInfo", offsetof(struct parts, ds_signed_info) },
	{ "Reference", offsetof(struct parts, reference) },
	{ "DigestValue", offsetof(struct parts, digest_value) },
	{ "SignatureValue", offsetof(struct parts, signature_value) },
	{ "CanonicalizationMethod", offsetof(struct parts, c14n_method) },
	{ "SignatureMethod", offsetof(struct parts, sig_method) },
	{ "DigestMethod", offsetof(struct parts, digest_method) },
};

/* Walk the whole tree (iteratively: libxml2 caps the depth, we do not recurse anyway) and pick each
 * part; a second element of the same local name is refused. */
static int find_parts(xmlDocPtr doc, struct parts *p)
{
	xmlNodePtr root = xmlDocGetRootElement(doc), n = root;

	memset(p, 0, sizeof(*p));
	while (n) {
		if (n->type == XML_ELEMENT_NODE)
			for (size_t i = 0; i < ARRAY_SIZE(part_names); i++) {
				xmlNodePtr *slot = (xmlNodePtr *)((char *)p + part_names[i].off);

				if (strcmp((const char *)n->name, part_names[i].name))
					continue;
				if (*slot)
					return -EBADMSG;
				*slot = n;
			}
		if (n->type == XML_ELEMENT_NODE && n->children) {
			n = n->children;
			continue;
		}
		while (n && n != root && !n->next)
			n = n->parent;
		n = n && n != root ? n->next : NULL;
	}
	for (size_t i = 0; i < ARRAY_SIZE(part_names); i++)
		if (!*(xmlNodePtr *)((char *)p + part_names[i].off))
			return -EBADMSG;
	/* the tree: Eis { EumSignedInfo, EumSignature { ds:SignedInfo { ds:C14N, ds:SigMethod, ds:Reference {
	 * ds:DigestMethod, ds:DigestValue } }, ds:SignatureValue } } */
	if (!is_el(p->signed_info_eum->parent, "Eis") || p->signature->parent != p->signed_info_eum->parent ||
	    !body_ns(p->signed_info_eum) || !body_ns(p->signature) || !body_ns(p->signed_info_eum->parent) ||
	    p->ds_signed_info->parent != p->signature || p->signature_value->parent != p->signature ||
	    p->c14n_method->parent != p->ds_signed_info || p->sig_method->parent != p->ds_signed_info ||
	    p->reference->parent != p->ds_signed_info || p->digest_method->parent != p->reference ||
	    p->digest_value->parent != p->reference)
		return -EBADMSG;
	{
		xmlNodePtr ds[] = { p->ds_signed_info, p->signature_value, p->c14n_method, p->sig_method,
				    p->reference,      p->digest_method,   p->digest_value };
		for (size_t i = 0; i < ARRAY_SIZE(ds); i++)
			if (!ns_is(ds[i], ES_NS_URI_DS))
				return -EBADMSG;
	}
	return 0;
}

static bool algorithm_is(xmlNodePtr n, const char *uri)
{
	xmlChar *a = xmlGetNoNsProp(n, (const xmlChar *)"Algorithm");
	bool ok = a && !strcmp((const char *)a, uri);

	xmlFree(a);
	return ok;
}

/* The text of el as canonical base64 of exactly want bytes (no white space, zero pad bits). */
static int text_b64(xmlNodePtr el, uint8_t *out, size_t want)
{
	uint8_t buf[96];
	char again[132];
	xmlChar *t = xmlNodeGetContent(el);
	size_t tl = t ? strlen((const char *)t) : 0;
	int rc = -EBADMSG;

	/* 4 * ceil(want / 3) characters */
	if (!t || want > 64 || tl != 4 * ((want + 2) / 3))
		goto out;
	if (EVP_DecodeBlock(buf, t, (int)tl) != (int)(3 * (tl / 4)))
		goto out;
	EVP_EncodeBlock((unsigned char *)again, buf, (int)want);
	if (strcmp(again, (const char *)t))
		goto out;
	memcpy(out, buf, want);
	rc = 0;
out:
	xmlFree(t);
	return rc;
}

/* ---- verify ----------------------------------------------------------------------------------------- */

int es_eumsig_verify(const uint8_t *xml, size_t len, EVP_PKEY *const *keys, size_t n, enum es_eumsig_variant v,
		     size_t *which)
{
	uint8_t d[SHA256_LEN], got[SHA256_LEN], sig[EC_SIG_LEN];
	xmlChar *c = NULL;
	size_t cl = 0;
	struct parts p;
	xmlDocPtr doc;
	int rc;

	if (!xml || !keys || !n || (v != ES_EUMSIG_DSIG_DETACHED && v != ES_EUMSIG_DIRECT))
		return -EINVAL;
	if (!(doc = parse(xml, len)))
		return -EBADMSG;
	rc = find_parts(doc, &p);
	if (rc == 0 &&
	    (!algorithm_is(p.c14n_method, ES_EUMSIG_ALG_C14N) || !algorithm_is(p.sig_method, ES_EUMSIG_ALG_ECDSA) ||
	     !algorithm_is(p.digest_method, ES_EUMSIG_ALG_SHA256) || xmlHasProp(p.reference, (const xmlChar *)"URI")))
		rc = -EBADMSG;
	if (rc == 0)
		rc = text_b64(p.digest_value, got, sizeof(got));
	if (rc == 0)
		rc = text_b64(p.signature_value, sig, sizeof(sig));
	if (rc == 0)
		rc = c14n_of(doc, p.signed_info_eum, &c, &cl);
	if (rc == 0)
		rc = crypto_sha256(c, cl, d) < 0 ? -EIO : 0;
	if (rc == 0 && !crypto_mem_equal(d, got, sizeof(d)))
		rc = -EACCES;
	if (rc == 0 && v == ES_EUMSIG_DSIG_DETACHED) {
		xmlFree(c);
		c = NULL;
		rc = c14n_of(doc, p.ds_signed_info, &c, &cl);
	}
	if (rc == 0) {
		rc = -EACCES;
		for (size_t i = 0; i < n && rc; i++)
			if (keys[i] && crypto_ecdsa_verify(keys[i], c, cl, sig, sizeof(sig)) == 0) {
				rc = 0;
				if (which)
					*which = i;
			}
	}
	xmlFree(c);
	xmlFreeDoc(doc);
	return rc == -EIO ? -EBADMSG : rc;
}

/* ---- sign --------------------------------------------------------------------------------------------- */

/* exc-C14N of the named part of the encoded message: the digest (sig NULL) or the ECDSA signature */
static int c14n_op(const uint8_t *xml, size_t len, bool ds_signed_info, EVP_PKEY *key, uint8_t d[SHA256_LEN],
		   uint8_t sig[EC_SIG_LEN])
{
	xmlDocPtr doc = parse(xml, len);
	xmlChar *c = NULL;
	size_t cl = 0;
	struct parts p;
	int rc;

	if (!doc)
		return -EIO;
	rc = find_parts(doc, &p);
	if (rc == 0)
		rc = c14n_of(doc, ds_signed_info ? p.ds_signed_info : p.signed_info_eum, &c, &cl);
	if (rc == 0 && d)
		rc = crypto_sha256(c, cl, d);
	if (rc == 0 && sig)
		rc = crypto_ecdsa_sign(key, c, cl, sig);
	xmlFree(c);
	xmlFreeDoc(doc);
	return rc < 0 ? -EIO : 0;
}

int es_eumsig_sign(uint8_t *out, size_t cap, struct es_msg *msg, struct es_eumsig_buf *b, EVP_PKEY *key,
		   enum es_eumsig_variant v, const struct es_variant *var)
{
	struct es_ds_signature *s;
	uint8_t d[SHA256_LEN], sig[EC_SIG_LEN];
	int n, rc;

	if (!out || !msg || !b || !key || msg->id != ES_MSG_ES1_REGISTER_EIS_REQ ||
	    (v != ES_EUMSIG_DSIG_DETACHED && v != ES_EUMSIG_DIRECT))
		return -EINVAL;
	if (!var)
		var = &es_variant_default;
	s = &msg->u.es1_register_eis_req.eis.eum_signature;
	memset(s, 0, sizeof(*s));
	memset(b, 0, sizeof(*b));
	s->present = true;
	s->signed_info.present = true;
	s->signed_info.canonicalization_method = (struct es_ds_method){ true, ES_EUMSIG_ALG_C14N };
	s->signed_info.signature_method = (struct es_ds_method){ true, ES_EUMSIG_ALG_ECDSA };
	s->signed_info.reference[0].present = true;
	s->signed_info.reference[0].digest_method = (struct es_ds_method){ true, ES_EUMSIG_ALG_SHA256 };
	s->signed_info.reference[0].digest_value = b->digest_b64;
	s->signed_info.n_reference = 1;
	s->signature_value = b->sig_b64;
	/* 1: encode with empty values, digest the EumSignedInfo as it stands in the message (direct: sign it) */
	n = es_msg_encode(out, cap, msg, var);
	if (n < 0)
		return n;
	rc = c14n_op(out, (size_t)n, false, key, d, v == ES_EUMSIG_DIRECT ? sig : NULL);
	if (rc < 0)
		return rc;
	EVP_EncodeBlock((unsigned char *)b->digest_b64, d, sizeof(d));
	/* 2: with the digest in place, sign the canonical ds:SignedInfo */
	if (v == ES_EUMSIG_DSIG_DETACHED) {
		n = es_msg_encode(out, cap, msg, var);
		if (n < 0)
			return n;
		rc = c14n_op(out, (size_t)n, true, key, NULL, sig);
		if (rc < 0)
			return rc;
	}
	EVP_EncodeBlock((unsigned char *)b->sig_b64, sig, sizeof(sig));
	OPENSSL_cleanse(sig, sizeof(sig));
	return es_msg_encode(out, cap, msg, var);
}
