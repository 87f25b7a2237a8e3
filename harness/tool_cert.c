/* `rsplab tool cert`: show and verify GP-format certificates (7F21, SGP.02 digest §4.6). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "harness/cli.h"
#include "harness/tool.h"
#include "harness/tool_util.h"
#include "lib/crypto/ec.h"
#include "lib/gpcert/gpcert.h"

static int usage(FILE *out)
{
	fprintf(out, "usage: rsplab tool cert show HEX\n"
		     "       rsplab tool cert verify --cert HEX --issuer-public HEX [--curve p256|brainpoolp256r1]\n"
		     "                               [--type sr|dp|ecasd] [--date YYYYMMDD|none]\n"
		     "                               [--ecasd-sigdata transmitted|njiwa]\n"
		     "\n"
		     "show    prints every field of a GP certificate (CERT.SR.ECDSA, CERT.DP.ECDSA, CERT.ECASD.ECKA)\n"
		     "        as key=value lines.\n"
		     "verify  checks the certificate with the issuer's public key (04||X||Y; for SR/DP the CI, for\n"
		     "        ECASD the EUM): type (if --type), validity at --date (default today, UTC; 'none' "
		     "skips),\n"
		     "        then the ECDSA-SHA-256 r||s signature. Prints ok, or the reason on stderr and exits 1.\n"
		     "        --curve is the issuer key's curve (default: the certificate's own curve reference).\n"
		     "        --ecasd-sigdata selects what an ECASD certificate's signature covers (default\n"
		     "        transmitted; njiwa = Njiwa's re-ordered fields).\n");
	return out == stdout ? 0 : 2;
}

static int reject(const char *what, enum gpcert_err why)
{
	fprintf(stderr, "cert %s: rejected: reason=%s (%s)\n", what, gpcert_err_name(why),
		get_value_string(gpcert_err_descs, why));
	return 1;
}

static int show(const char *hex)
{
	static uint8_t buf[GPCERT_MAX_LEN];
	struct gpcert c;
	enum gpcert_err why;
	int n, type;

	n = tool_hex_arg("cert show", hex, buf, sizeof(buf));
	if (n < 0)
		return 1;
	if (gpcert_decode_exact(&c, buf, (size_t)n, &why) < 0)
		return reject("show", why);
	type = gpcert_type_of(&c, NULL);
	printf("type=%s\n", type >= 0 ? get_value_string(gpcert_type_names, type) : "unknown");
	tool_kv_hex("serial", c.serial.data, c.serial.len);
	tool_kv_hex("ca_id", c.ca_id.data, c.ca_id.len);
	tool_kv_hex("subject_id", c.subject_id.data, c.subject_id.len);
	printf("key_usage=%0*x\n", c.key_usage_len * 2, c.key_usage);
	if (c.effective)
		printf("effective_date=%08u\n", (unsigned int)c.effective);
	printf("expiration_date=%08u\n", (unsigned int)c.expiration);
	if (c.sdin.len)
		tool_kv_hex("sdin", c.sdin.data, c.sdin.len);
	if (c.dd_tag) {
		printf("discretionary_data_tag=%02x\n", (unsigned int)c.dd_tag);
		tool_kv_hex("discretionary_data", c.dd.data, c.dd.len);
	}
	if (c.has_cert_type)
		printf("certificate_type=%02x\n", c.cert_type);
	if (c.aki.len)
		tool_kv_hex("authority_key_id", c.aki.data, c.aki.len);
	tool_kv_hex("public_key", c.public_key, EC_POINT_LEN);
	printf("curve_ref=%02x\n", c.curve_ref);
	printf("curve=%s\n", crypto_curve_name(c.curve));
	tool_kv_hex("signature", c.signature, EC_SIG_LEN);
	printf("signed_data_len=%zu\n", c.signed_data.len);
	return 0;
}

static int verify(int argc, char **argv)
{
	static uint8_t buf[GPCERT_MAX_LEN];
	uint8_t point[EC_POINT_LEN];
	const char *cert_hex = NULL, *pub_hex = NULL, *curve_name = NULL, *type_name = NULL, *date = NULL,
		   *sigdata = NULL;
	struct gpcert_variant variant = gpcert_variant_default;
	struct gpcert_check_opts o = { .variant = &variant };
	EVP_PKEY *issuer = NULL;
	enum gpcert_err why;
	struct gpcert c;
	int n, curve, rc;

	for (int i = 2; i < argc; i++) {
		const char **dst;

		if (cli_is_help(argv[i]))
			return usage(stdout);
		if (strcmp(argv[i], "--cert") == 0)
			dst = &cert_hex;
		else if (strcmp(argv[i], "--issuer-public") == 0)
			dst = &pub_hex;
		else if (strcmp(argv[i], "--curve") == 0)
			dst = &curve_name;
		else if (strcmp(argv[i], "--type") == 0)
			dst = &type_name;
		else if (strcmp(argv[i], "--date") == 0)
			dst = &date;
		else if (strcmp(argv[i], "--ecasd-sigdata") == 0)
			dst = &sigdata;
		else {
			fprintf(stderr, "cert verify: unknown option '%s'\n", argv[i]);
			return usage(stderr);
		}
		if (i + 1 >= argc) {
			fprintf(stderr, "cert verify: %s needs a value\n", argv[i]);
			return usage(stderr);
		}
		*dst = argv[++i];
	}
	if (!cert_hex || !pub_hex) {
		fprintf(stderr, "cert verify: --cert and --issuer-public are required\n");
		return usage(stderr);
	}
	if (type_name) {
		rc = get_string_value(gpcert_type_names, type_name);
		if (rc < 0) {
			fprintf(stderr, "cert verify: --type must be sr, dp or ecasd\n");
			return usage(stderr);
		}
		o.check_type = true;
		o.type = rc;
	}
	if (!date)
		o.date = gpcert_date_today();
	else if (strcmp(date, "none") != 0 && gpcert_date_parse(date, &o.date) < 0) {
		fprintf(stderr, "cert verify: --date must be YYYYMMDD or none\n");
		return usage(stderr);
	}
	if (sigdata) {
		rc = get_string_value(gpcert_ecasd_sigdata_names, sigdata);
		if (rc < 0) {
			fprintf(stderr, "cert verify: --ecasd-sigdata must be transmitted or njiwa\n");
			return usage(stderr);
		}
		variant.ecasd_sigdata = rc;
	}

	n = tool_hex_arg("--cert", cert_hex, buf, sizeof(buf));
	if (n < 0)
		return 1;
	if (tool_hex_arg("--issuer-public", pub_hex, point, sizeof(point)) != EC_POINT_LEN) {
		fprintf(stderr, "cert verify: --issuer-public must be 65 bytes 04||X||Y\n");
		return 1;
	}
	if (gpcert_decode_exact(&c, buf, (size_t)n, &why) < 0)
		return reject("verify", why);
	curve = curve_name ? crypto_curve_from_name(curve_name) : (int)c.curve;
	if (curve < 0) {
		fprintf(stderr, "cert verify: --curve must be p256 or brainpoolp256r1\n");
		return usage(stderr);
	}
	if (crypto_ec_from_public(curve, point, sizeof(point), &issuer) < 0) {
		fprintf(stderr, "cert verify: --issuer-public is not a point on %s\n", crypto_curve_name(curve));
		return 1;
	}
	rc = gpcert_check(&c, issuer, &o, &why);
	EVP_PKEY_free(issuer);
	if (rc < 0)
		return reject("verify", why);
	printf("ok\n");
	return 0;
}

int tool_cert(int argc, char **argv)
{
	if (argc < 2)
		return usage(stderr);
	if (cli_is_help(argv[1]))
		return usage(stdout);
	if (strcmp(argv[1], "show") == 0) {
		if (argc == 3 && cli_is_help(argv[2]))
			return usage(stdout);
		if (argc != 3)
			return usage(stderr);
		return show(argv[2]);
	}
	if (strcmp(argv[1], "verify") == 0)
		return verify(argc, argv);
	fprintf(stderr, "cert: unknown sub-command '%s'\n", argv[1]);
	return usage(stderr);
}
