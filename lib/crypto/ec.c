/* Elliptic-curve primitives (see ec.h). The low-level EC_GROUP/EC_POINT calls are used only to
 * derive a public point from a private scalar, which the EVP key-import API does not do. */
#include <errno.h>
#include <strings.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/ecdsa.h>
#include <openssl/obj_mac.h>
#include <openssl/param_build.h>

#include "lib/crypto/ec.h"

static const struct {
	const char *name;	/* ours, for command lines and reports */
	const char *ossl_group; /* OpenSSL's group name */
	int nid;
} curves[_NUM_CRYPTO_CURVES] = {
	[CRYPTO_CURVE_P256] = { "p256", "prime256v1", NID_X9_62_prime256v1 },
	[CRYPTO_CURVE_BRAINPOOLP256R1] = { "brainpoolp256r1", "brainpoolP256r1", NID_brainpoolP256r1 },
};

static EVP_MD *sha256;

static const EVP_MD *sha256_get(void)
{
	if (!sha256)
		sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
	return sha256;
}

const char *crypto_curve_name(enum crypto_curve curve)
{
	return (unsigned int)curve < _NUM_CRYPTO_CURVES ? curves[curve].name : NULL;
}

int crypto_curve_from_name(const char *name)
{
	for (int i = 0; i < _NUM_CRYPTO_CURVES; i++)
		if (strcasecmp(name, curves[i].name) == 0 || strcasecmp(name, curves[i].ossl_group) == 0)
			return i;
	if (strcasecmp(name, "secp256r1") == 0)
		return CRYPTO_CURVE_P256;
	return -EINVAL;
}

int crypto_ec_generate(enum crypto_curve curve, EVP_PKEY **out)
{
	if ((unsigned int)curve >= _NUM_CRYPTO_CURVES)
		return -EINVAL;
	*out = EVP_PKEY_Q_keygen(NULL, NULL, "EC", curves[curve].ossl_group);
	return *out ? 0 : -EIO;
}

/* Build an EVP_PKEY from optional private scalar and public point. */
static int from_data(enum crypto_curve curve, const BIGNUM *priv, const uint8_t *point, EVP_PKEY **out)
{
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	OSSL_PARAM *params = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	int rc = -EIO;

	*out = NULL;
	if (!bld)
		return -ENOMEM;
	if (!OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, curves[curve].ossl_group, 0) ||
	    !OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, point, EC_POINT_LEN) ||
	    (priv && !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PRIV_KEY, priv)))
		goto out;
	params = OSSL_PARAM_BLD_to_param(bld);
	ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
	if (!params || !ctx || EVP_PKEY_fromdata_init(ctx) <= 0)
		goto out;
	/* fromdata checks that the public point decodes on the group's curve. */
	if (EVP_PKEY_fromdata(ctx, out, priv ? EVP_PKEY_KEYPAIR : EVP_PKEY_PUBLIC_KEY, params) <= 0) {
		rc = -EINVAL;
		goto out;
	}
	rc = 0;
out:
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	return rc;
}

int crypto_ec_from_private(enum crypto_curve curve, const uint8_t *scalar, size_t len, EVP_PKEY **out)
{
	EC_GROUP *group = NULL;
	EC_POINT *pub = NULL;
	BIGNUM *d = NULL;
	uint8_t point[EC_POINT_LEN];
	int rc = -EINVAL;

	*out = NULL;
	if ((unsigned int)curve >= _NUM_CRYPTO_CURVES || len != EC_SCALAR_LEN)
		return -EINVAL;
	group = EC_GROUP_new_by_curve_name(curves[curve].nid);
	d = BN_bin2bn(scalar, (int)len, NULL);
	pub = group ? EC_POINT_new(group) : NULL;
	if (!group || !d || !pub) {
		rc = -ENOMEM;
		goto out;
	}
	/* The scalar must be in [1, n-1]. */
	if (BN_is_zero(d) || BN_cmp(d, EC_GROUP_get0_order(group)) >= 0)
		goto out;
	if (!EC_POINT_mul(group, pub, d, NULL, NULL, NULL) ||
	    EC_POINT_point2oct(group, pub, POINT_CONVERSION_UNCOMPRESSED, point, sizeof(point), NULL) != EC_POINT_LEN) {
		rc = -EIO;
		goto out;
	}
	rc = from_data(curve, d, point, out);
out:
	BN_clear_free(d);
	EC_POINT_free(pub);
	EC_GROUP_free(group);
	return rc;
}

int crypto_ec_from_public(enum crypto_curve curve, const uint8_t *point, size_t len, EVP_PKEY **out)
{
	*out = NULL;
	if ((unsigned int)curve >= _NUM_CRYPTO_CURVES || len != EC_POINT_LEN || point[0] != 0x04)
		return -EINVAL;
	return from_data(curve, NULL, point, out);
}

int crypto_ec_export_private(const EVP_PKEY *key, uint8_t scalar[EC_SCALAR_LEN])
{
	BIGNUM *d = NULL;
	int rc;

	if (!EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_PRIV_KEY, &d))
		return -EINVAL;
	rc = BN_bn2binpad(d, scalar, EC_SCALAR_LEN) == EC_SCALAR_LEN ? 0 : -EINVAL;
	BN_clear_free(d);
	return rc;
}

int crypto_ec_export_public(const EVP_PKEY *key, uint8_t point[EC_POINT_LEN])
{
	size_t len = 0;

	/* Uncompressed is OpenSSL's default point format for exported EC keys. */
	if (!EVP_PKEY_get_octet_string_param(key, OSSL_PKEY_PARAM_PUB_KEY, point, EC_POINT_LEN, &len) ||
	    len != EC_POINT_LEN || point[0] != 0x04)
		return -EINVAL;
	return 0;
}

int crypto_ec_curve_of(const EVP_PKEY *key)
{
	char group[64];

	if (!EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof(group), NULL))
		return -EINVAL;
	for (int i = 0; i < _NUM_CRYPTO_CURVES; i++)
		if (strcasecmp(group, curves[i].ossl_group) == 0)
			return i;
	return -EINVAL;
}

int crypto_ecdh(const EVP_PKEY *priv, const EVP_PKEY *peer, uint8_t shared[EC_SCALAR_LEN])
{
	EVP_PKEY_CTX *ctx;
	size_t len = EC_SCALAR_LEN;
	int rc = -EIO;

	if (crypto_ec_curve_of(priv) < 0 || crypto_ec_curve_of(priv) != crypto_ec_curve_of(peer))
		return -EINVAL;
	ctx = EVP_PKEY_CTX_new_from_pkey(NULL, (EVP_PKEY *)priv, NULL);
	if (!ctx)
		return -ENOMEM;
	if (EVP_PKEY_derive_init(ctx) > 0 && EVP_PKEY_derive_set_peer(ctx, (EVP_PKEY *)peer) > 0 &&
	    EVP_PKEY_derive(ctx, shared, &len) > 0 && len == EC_SCALAR_LEN)
		rc = 0;
	EVP_PKEY_CTX_free(ctx);
	return rc;
}

int crypto_ecdsa_sign(const EVP_PKEY *priv, const uint8_t *msg, size_t len, uint8_t sig[EC_SIG_LEN])
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	uint8_t der[80];
	const uint8_t *p = der;
	size_t der_len = sizeof(der);
	ECDSA_SIG *s = NULL;
	int rc = -EIO;

	if (!md)
		return -ENOMEM;
	if (EVP_DigestSignInit(md, NULL, sha256_get(), NULL, (EVP_PKEY *)priv) <= 0 ||
	    EVP_DigestSign(md, der, &der_len, msg, len) <= 0)
		goto out;
	/* OpenSSL signs in DER; GP certificates carry r‖s. */
	s = d2i_ECDSA_SIG(NULL, &p, (long)der_len);
	if (!s || BN_bn2binpad(ECDSA_SIG_get0_r(s), sig, 32) != 32 ||
	    BN_bn2binpad(ECDSA_SIG_get0_s(s), sig + 32, 32) != 32)
		goto out;
	rc = 0;
out:
	ECDSA_SIG_free(s);
	EVP_MD_CTX_free(md);
	return rc;
}

int crypto_ecdsa_verify(const EVP_PKEY *pub, const uint8_t *msg, size_t len, const uint8_t *sig, size_t sig_len)
{
	EVP_MD_CTX *md = NULL;
	ECDSA_SIG *s = NULL;
	BIGNUM *r = NULL, *ss = NULL;
	uint8_t *der = NULL;
	int der_len, ok, rc = -EIO;

	if (sig_len != EC_SIG_LEN)
		return -EBADMSG;
	s = ECDSA_SIG_new();
	r = BN_bin2bn(sig, 32, NULL);
	ss = BN_bin2bn(sig + 32, 32, NULL);
	if (!s || !r || !ss || !ECDSA_SIG_set0(s, r, ss)) {
		BN_free(r);
		BN_free(ss);
		rc = -ENOMEM;
		goto out;
	}
	der_len = i2d_ECDSA_SIG(s, &der);
	md = EVP_MD_CTX_new();
	if (der_len <= 0 || !md || EVP_DigestVerifyInit(md, NULL, sha256_get(), NULL, (EVP_PKEY *)pub) <= 0)
		goto out;
	ok = EVP_DigestVerify(md, der, (size_t)der_len, msg, len);
	rc = ok == 1 ? 0 : -EBADMSG;
out:
	OPENSSL_free(der);
	EVP_MD_CTX_free(md);
	ECDSA_SIG_free(s);
	return rc;
}

int crypto_sha256(const uint8_t *msg, size_t len, uint8_t digest[SHA256_LEN])
{
	unsigned int n = 0;

	if (!sha256_get() || !EVP_Digest(msg, len, digest, &n, sha256_get(), NULL) || n != SHA256_LEN)
		return -EIO;
	return 0;
}
