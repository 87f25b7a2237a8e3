/* The EumSignature of an EIS (es_eumsig.h): committed vectors made with the RFC 6979 §A.2.5 P-256 key,
 * sign-then-verify under both variants, every byte of the signature, the digest and the EumSignedInfo
 * changed, every truncation, and the shapes the verifier refuses (no signature, wrapping, DTD,
 * non-canonical base64, a Reference URI, unknown algorithms). No XML-DSig conformance is claimed. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/crypto/ec.h"
#include "lib/es/es_eumsig.h"
#include "lib/test/runner.h"

#define CORPUS "lib/es/corpus/fuzz_es_eumsig" /* make check runs from the top */

/* RFC 6979 §A.2.5 (ECDSA, 256 bits, prime field): the private key x. The committed vectors
 * corpus/fuzz_es_eumsig/{dsig-detached,direct}.xml are es_example_fill()'s RegisterEIS signed with it
 * (ECDSA with random k, so they are regression vectors of the format, not KATs of the signature). */
static const char rfc6979_x[] = "C9AFA9D845BA75166B5C215767B1D6934E50C3DB36E89B127B8A622B120F6721";

static EVP_PKEY *key, *other;
static struct es_msg msg;
static struct es_eumsig_buf sb;
static uint8_t xml[2][65536];
static int xml_len[2];

struct vctx {
	EVP_PKEY *keys[2];
	size_t n;
	enum es_eumsig_variant v;
};

static int verify_cb(const uint8_t *buf, size_t len, void *priv)
{
	struct vctx *c = priv;

	return es_eumsig_verify(buf, len, c->keys, c->n, c->v, NULL);
}

int suite_setup(void)
{
	size_t l;
	uint8_t *x = test_unhex(rfc6979_x, &l);
	int rc = crypto_ec_from_private(CRYPTO_CURVE_P256, x, l, &key);

	free(x);
	if (rc < 0 || crypto_ec_generate(CRYPTO_CURVE_P256, &other) < 0)
		return -1;
	for (int v = ES_EUMSIG_DSIG_DETACHED; v <= ES_EUMSIG_DIRECT; v++) {
		es_example_fill(&msg, ES_MSG_ES1_REGISTER_EIS_REQ);
		xml_len[v] = es_eumsig_sign(xml[v], sizeof(xml[v]), &msg, &sb, key, (enum es_eumsig_variant)v, NULL);
		if (xml_len[v] <= 0)
			return -1;
	}
	return 0;
}

int suite_teardown(void)
{
	EVP_PKEY_free(key);
	EVP_PKEY_free(other);
	return 0;
}

static int verify1(const uint8_t *buf, size_t len, EVP_PKEY *k, enum es_eumsig_variant v)
{
	return es_eumsig_verify(buf, len, &k, 1, v, NULL);
}

/* a heap copy of xml[v] with the first `from` after `after` replaced by `to` (any length) */
static uint8_t *patched(int v, const char *after, const char *from, const char *to, size_t *len)
{
	const uint8_t *a = memmem(xml[v], (size_t)xml_len[v], after, strlen(after));
	const uint8_t *p = a ? memmem(a, (size_t)xml_len[v] - (size_t)(a - xml[v]), from, strlen(from)) : NULL;
	uint8_t *out;
	size_t off;

	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	off = (size_t)(p - xml[v]);
	*len = (size_t)xml_len[v] - strlen(from) + strlen(to);
	out = malloc(*len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(out);
	memcpy(out, xml[v], off);
	memcpy(out + off, to, strlen(to));
	memcpy(out + off + strlen(to), p + strlen(from), (size_t)xml_len[v] - off - strlen(from));
	return out;
}

/* [start, end) of the text between `<...open` and the next `</` (an element's content) or, with
 * whole, the element from its start tag to the end of its end tag */
static void span(int v, const char *name, bool whole, size_t *start, size_t *end)
{
	char open[64], close[64];
	const uint8_t *s, *e;

	snprintf(open, sizeof(open), ":%s>", name);
	snprintf(close, sizeof(close), ":%s>", name);
	s = memmem(xml[v], (size_t)xml_len[v], open, strlen(open));
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	e = memmem(s + 1, (size_t)xml_len[v] - (size_t)(s + 1 - xml[v]), close, strlen(close));
	CU_ASSERT_PTR_NOT_NULL_FATAL(e);
	if (whole) {
		while (s > xml[v] && *s != '<')
			s--;
		*start = (size_t)(s - xml[v]);
		*end = (size_t)(e - xml[v]) + strlen(close);
	} else {
		*start = (size_t)(s - xml[v]) + strlen(open);
		while (e > s && *e != '<')
			e--;
		*end = (size_t)(e - xml[v]);
	}
}

void test_es_eumsig_vectors(void)
{
	static const char *const files[] = { CORPUS "/dsig-detached.xml", CORPUS "/direct.xml" };

	for (int v = ES_EUMSIG_DSIG_DETACHED; v <= ES_EUMSIG_DIRECT; v++) {
		size_t len;
		char *f = test_slurp(files[v], &len);
		size_t which = 9;

		CU_ASSERT_PTR_NOT_NULL_FATAL(f);
		CU_ASSERT_EQUAL(es_eumsig_verify((uint8_t *)f, len, (EVP_PKEY *[]){ other, key }, 2,
						 (enum es_eumsig_variant)v, &which),
				0);
		CU_ASSERT_EQUAL(which, 1);
		CU_ASSERT_EQUAL(verify1((uint8_t *)f, len, key, (enum es_eumsig_variant) !v), -EACCES);
		CU_ASSERT_EQUAL(verify1((uint8_t *)f, len, other, (enum es_eumsig_variant)v), -EACCES);
		free(f);
	}
}

void test_es_eumsig_sign_verify(void)
{
	for (int v = ES_EUMSIG_DSIG_DETACHED; v <= ES_EUMSIG_DIRECT; v++) {
		CU_ASSERT_EQUAL(verify1(xml[v], (size_t)xml_len[v], key, (enum es_eumsig_variant)v), 0);
		CU_ASSERT_EQUAL(verify1(xml[v], (size_t)xml_len[v], key, (enum es_eumsig_variant) !v), -EACCES);
		CU_ASSERT_EQUAL(verify1(xml[v], (size_t)xml_len[v], other, (enum es_eumsig_variant)v), -EACCES);
		/* the signature names our algorithms and no URI */
		CU_ASSERT_PTR_NOT_NULL(
			memmem(xml[v], (size_t)xml_len[v], ES_EUMSIG_ALG_ECDSA, strlen(ES_EUMSIG_ALG_ECDSA)));
		CU_ASSERT_PTR_NULL(memmem(xml[v], (size_t)xml_len[v], "URI=", 4));
	}
	/* bad arguments */
	CU_ASSERT_EQUAL(es_eumsig_verify(xml[0], (size_t)xml_len[0], &key, 0, ES_EUMSIG_DIRECT, NULL), -EINVAL);
	CU_ASSERT_EQUAL(es_eumsig_verify(xml[0], (size_t)xml_len[0], &key, 1, (enum es_eumsig_variant)7, NULL),
			-EINVAL);
	CU_ASSERT_EQUAL(es_eumsig_sign(xml[1], 100, &msg, &sb, key, ES_EUMSIG_DIRECT, NULL), -EMSGSIZE);
	es_example_fill(&msg, ES_MSG_ES3_GET_EIS_REQ);
	CU_ASSERT_EQUAL(es_eumsig_sign(xml[1], sizeof(xml[1]), &msg, &sb, key, ES_EUMSIG_DIRECT, NULL), -EINVAL);
	CU_ASSERT_STRING_EQUAL(get_value_string(es_eumsig_variant_names, ES_EUMSIG_DSIG_DETACHED), "dsig-detached");
	CU_ASSERT_EQUAL(get_string_value(es_eumsig_variant_names, "direct"), ES_EUMSIG_DIRECT);
}

/* Every byte of the span, set to every other value (the signature and digest texts) or flipped in
 * one bit (0x01 and 0x20: the EumSignedInfo, ECDSA per mutant), is refused. */
static void mutate_span(int v, size_t s, size_t e, bool all_values)
{
	struct vctx c = { .keys = { key }, .n = 1, .v = (enum es_eumsig_variant)v };
	static const uint8_t flips[] = { 0x01, 0x20, 0x80 };
	unsigned long accepted = 0, tried = 0;
	uint8_t *copy = malloc((size_t)xml_len[v]);

	CU_ASSERT_PTR_NOT_NULL_FATAL(copy);
	memcpy(copy, xml[v], (size_t)xml_len[v]);
	for (size_t i = s; i < e; i++) {
		for (unsigned int k = 0; k < (all_values ? 256u : ARRAY_SIZE(flips)); k++) {
			uint8_t val = all_values ? (uint8_t)k : (uint8_t)(xml[v][i] ^ flips[k]);

			if (val == xml[v][i])
				continue;
			copy[i] = val;
			tried++;
			if (verify_cb(copy, (size_t)xml_len[v], &c) == 0) {
				if (!accepted)
					fprintf(stderr, "accepted: byte %zu '%c' -> 0x%02x\n", i, xml[v][i], val);
				accepted++;
			}
		}
		copy[i] = xml[v][i];
	}
	CU_ASSERT(tried > 0);
	CU_ASSERT_EQUAL(accepted, 0);
	free(copy);
}

void test_es_eumsig_byte_changes_refused(void)
{
	size_t s, e;

	for (int v = ES_EUMSIG_DSIG_DETACHED; v <= ES_EUMSIG_DIRECT; v++) {
		span(v, "SignatureValue", false, &s, &e);
		CU_ASSERT_EQUAL(e - s, 88);
		mutate_span(v, s, e, true);
		span(v, "DigestValue", false, &s, &e);
		CU_ASSERT_EQUAL(e - s, 44);
		mutate_span(v, s, e, true);
		span(v, "EumSignedInfo", true, &s, &e);
		CU_ASSERT(e - s > 500);
		mutate_span(v, s, e, false);
	}
	/* dsig-detached covers SignedInfo as a whole */
	span(ES_EUMSIG_DSIG_DETACHED, "SignedInfo", true, &s, &e);
	mutate_span(ES_EUMSIG_DSIG_DETACHED, s, e, false);
}

void test_es_eumsig_truncations(void)
{
	struct vctx c = { .keys = { key }, .n = 1 };

	for (int v = ES_EUMSIG_DSIG_DETACHED; v <= ES_EUMSIG_DIRECT; v++) {
		size_t end = (size_t)xml_len[v];

		/* the encoder ends with a newline after the root element: dropping white space after the
		 * document is no truncation; every prefix that cuts into the document is */
		while (end && xml[v][end - 1] != '>')
			end--;
		CU_ASSERT_FATAL(end + 2 > (size_t)xml_len[v]);
		c.v = (enum es_eumsig_variant)v;
		CU_ASSERT_EQUAL(verify_cb(xml[v], end, &c), 0);
		CU_ASSERT_EQUAL(TEST_TRUNCATIONS_REJECTED(xml[v], end, verify_cb, &c), 0);
	}
}

void test_es_eumsig_shapes_refused(void)
{
	size_t len;
	uint8_t *p;
	int v = ES_EUMSIG_DSIG_DETACHED;

	/* no signature at all */
	es_example_fill(&msg, ES_MSG_ES1_REGISTER_EIS_REQ);
	msg.u.es1_register_eis_req.eis.eum_signature.present = false;
	{
		int n = es_msg_encode(xml[1], sizeof(xml[1]), &msg, NULL);
		CU_ASSERT_FATAL(n > 0);
		CU_ASSERT_PTR_NULL(memmem(xml[1], (size_t)n, "SignatureValue", 14));
		CU_ASSERT_EQUAL(verify1(xml[1], (size_t)n, key, ES_EUMSIG_DSIG_DETACHED), -EBADMSG);
		CU_ASSERT_EQUAL(verify1(xml[1], (size_t)n, key, ES_EUMSIG_DIRECT), -EBADMSG);
	}
	/* another message */
	es_example_fill(&msg, ES_MSG_ES3_GET_EIS_REQ);
	{
		int n = es_msg_encode(xml[1], sizeof(xml[1]), &msg, NULL);
		CU_ASSERT_FATAL(n > 0);
		CU_ASSERT_EQUAL(verify1(xml[1], (size_t)n, key, ES_EUMSIG_DSIG_DETACHED), -EBADMSG);
	}
	/* not XML, empty */
	CU_ASSERT_EQUAL(verify1((const uint8_t *)"<a", 2, key, ES_EUMSIG_DIRECT), -EBADMSG);
	CU_ASSERT_EQUAL(verify1((const uint8_t *)"", 0, key, ES_EUMSIG_DIRECT), -EBADMSG);
	/* re-sign the direct vector (the patches below go into xml[0] = dsig-detached) */
	es_example_fill(&msg, ES_MSG_ES1_REGISTER_EIS_REQ);
	xml_len[1] = es_eumsig_sign(xml[1], sizeof(xml[1]), &msg, &sb, key, ES_EUMSIG_DIRECT, NULL);
	CU_ASSERT_FATAL(xml_len[1] > 0);
	/* wrapping: a second EumSignedInfo (e.g. the signed one moved into an extension) */
	{
		size_t s, e;
		uint8_t *w;

		span(v, "EumSignedInfo", true, &s, &e);
		len = (size_t)xml_len[v] + (e - s);
		w = malloc(len);
		CU_ASSERT_PTR_NOT_NULL_FATAL(w);
		memcpy(w, xml[v], e);
		memcpy(w + e, xml[v] + s, e - s);
		memcpy(w + e + (e - s), xml[v] + e, (size_t)xml_len[v] - e);
		CU_ASSERT_EQUAL(verify1(w, len, key, ES_EUMSIG_DSIG_DETACHED), -EBADMSG);
		free(w);
	}
	/* a DTD */
	{
		static const char dtd[] = "<!DOCTYPE x [<!ENTITY e \"1\">]>";
		const uint8_t *root = memmem(xml[v], (size_t)xml_len[v], "<env:", 5);
		size_t off;
		uint8_t *w;

		if (!root)
			root = memmem(xml[v], (size_t)xml_len[v], "<", 1);
		CU_ASSERT_PTR_NOT_NULL_FATAL(root);
		if (root[1] == '?') /* after the XML declaration */
			root = memmem(root + 1, (size_t)xml_len[v] - (size_t)(root + 1 - xml[v]), "<", 1);
		off = (size_t)(root - xml[v]);
		len = (size_t)xml_len[v] + strlen(dtd);
		w = malloc(len);
		CU_ASSERT_PTR_NOT_NULL_FATAL(w);
		memcpy(w, xml[v], off);
		memcpy(w + off, dtd, strlen(dtd));
		memcpy(w + off + strlen(dtd), xml[v] + off, (size_t)xml_len[v] - off);
		CU_ASSERT_EQUAL(verify1(w, len, key, ES_EUMSIG_DSIG_DETACHED), -EBADMSG);
		free(w);
	}
	/* a Reference URI, unknown algorithms, white space in the base64 */
	p = patched(v, "", ":Reference>", ":Reference>", &len);
	CU_ASSERT_EQUAL(verify1(p, len, key, ES_EUMSIG_DSIG_DETACHED), 0); /* the patcher itself changes nothing */
	free(p);
	p = patched(v, "", ":Reference>", ":Reference URI=\"\">", &len);
	CU_ASSERT_EQUAL(verify1(p, len, key, ES_EUMSIG_DSIG_DETACHED), -EBADMSG);
	free(p);
	p = patched(v, "", "xml-exc-c14n#", "xml-exc-c14n#WithComments", &len);
	CU_ASSERT_EQUAL(verify1(p, len, key, ES_EUMSIG_DSIG_DETACHED), -EBADMSG);
	free(p);
	p = patched(1, "", "xmlenc#sha256", "xmlenc#sha512", &len);
	CU_ASSERT_EQUAL(verify1(p, len, key, ES_EUMSIG_DIRECT), -EBADMSG);
	free(p);
	p = patched(1, "SignatureValue>", "", "\n", &len);
	CU_ASSERT_EQUAL(verify1(p, len, key, ES_EUMSIG_DIRECT), -EBADMSG);
	free(p);
}
