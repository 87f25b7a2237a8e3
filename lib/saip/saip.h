/* SIMalliance / TCA eUICC Profile Package: Interoperable Format (SAIP) — the subset a testbed profile
 * needs, as a careful DER codec over lib/tlv (ASN.1 module PEDefinitions, AUTOMATIC TAGS; read in
 * pySim pySim/esim/asn1/saip/PE_Definitions-3.3.1.asn, cited as "PE-Def"; digest §4.9):
 *
 *   header (versions, profile type, ICCID, POL1, mandatory services and templates), mf (EF.ICCID),
 *   usim (ADF.USIM, EF.IMSI, template defaults for the other files), pinCodes, pukCodes,
 *   akaParameter (MILENAGE K/OPc, or COMP128v1 Ki: see enum saip_algo), securityDomain (the MNO-SD
 *   instance), end; and EUICCResponse, the eUICC's installation result.
 *
 * A profile package is a series of ProfileElement values, each a CHOICE alternative with a
 * context-specific constructed tag: [0] header = A0 ... [10] end = AA, [16] mf = B0, [19] usim = B3.
 *
 * Decoding parses UNTRUSTED input: no allocation, fields point into the input, unknown PEs are
 * skipped with a finding (data), never a crash. Returns 0 or -EBADMSG when the package cannot be
 * framed or lacks what every package must have (a header first, an ICCID of 10 bytes). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <osmocom/core/utils.h>

#define SAIP_MAX_PINS	   8
#define SAIP_MAX_PUKS	   8
#define SAIP_MAX_FINDINGS  16
#define SAIP_MAX_PE_STATUS 32

/* ProfileElement CHOICE alternatives = their context tag numbers (PE-Def "ProfileElement"). */
enum saip_pe_type {
	SAIP_PE_HEADER = 0,
	SAIP_PE_GENERIC_FILE_MANAGEMENT = 1,
	SAIP_PE_PIN_CODES = 2,
	SAIP_PE_PUK_CODES = 3,
	SAIP_PE_AKA_PARAMETER = 4,
	SAIP_PE_CDMA_PARAMETER = 5,
	SAIP_PE_SECURITY_DOMAIN = 6,
	SAIP_PE_RFM = 7,
	SAIP_PE_APPLICATION = 8,
	SAIP_PE_NON_STANDARD = 9,
	SAIP_PE_END = 10,
	SAIP_PE_MF = 16,
	SAIP_PE_CD = 17,
	SAIP_PE_TELECOM = 18,
	SAIP_PE_USIM = 19,
	SAIP_PE_OPT_USIM = 20,
	SAIP_PE_ISIM = 21,
	SAIP_PE_OPT_ISIM = 22,
	SAIP_PE_PHONEBOOK = 23,
	SAIP_PE_GSM_ACCESS = 24,
	SAIP_PE_CSIM = 25,
	SAIP_PE_OPT_CSIM = 26,
	SAIP_PE_EAP = 27,
};
extern const struct value_string saip_pe_type_names[];

/* AlgoParameter.algorithmID (PE-Def: milenage(1), tuak(2), usim-test-algorithm(3)). SAIP has no
 * value for COMP128v1 (a GSM-only algorithm); the testbed's 2G profiles carry their Ki in an
 * AlgoParameter with SAIP_ALGO_COMP128V1, a value outside the standard list that a real eUICC would
 * reject. It is ours, named and documented, never presented as standard. */
enum saip_algo {
	SAIP_ALGO_NONE = 0,
	SAIP_ALGO_MILENAGE = 1,
	SAIP_ALGO_TUAK = 2,
	SAIP_ALGO_USIM_TEST = 3,
	SAIP_ALGO_COMP128V1 = 0x81, /* rsplab extension, see above */
};
extern const struct value_string saip_algo_names[];

/* Variant: the version written into ProfileHeader (open-questions §13). */
enum saip_version {
	SAIP_VERSION_2_0,   /* default: what the 2016 trace's card accepted */
	SAIP_VERSION_2_3_1, /* the SGP.02 v4.x minimum per euicc.tech */
};
extern const struct value_string saip_version_names[];

struct saip_bytes {
	const uint8_t *buf;
	size_t len;
};

struct saip_finding {
	size_t offset; /* of the PE in the package */
	uint32_t tag;
	char text[96];
};

struct saip_findings {
	struct saip_finding f[SAIP_MAX_FINDINGS];
	unsigned int n;
	unsigned int dropped; /* findings beyond SAIP_MAX_FINDINGS */
};

struct saip_pin {
	uint8_t key_ref;	 /* PINKeyReferenceValue / PUKKeyReferenceValue */
	struct saip_bytes value; /* 8 bytes, FF padded */
	int unblock_ref;	 /* PIN only: PUK reference, -1 if none */
};

struct saip_profile {
	int major, minor;
	struct saip_bytes profile_type; /* UTF8String */
	struct saip_bytes header_iccid; /* 10 bytes, digits in plain BCD order */
	struct saip_bytes pol1;		/* ProfileHeader.pol, 1 byte when present (open-questions §13) */
	struct saip_bytes ef_iccid;	/* content: digits nibble-swapped (TS 102 221 §13.2) */
	struct saip_bytes ef_imsi;	/* content: TS 31.102 §4.2.2 (length ‖ mobile identity) */
	char iccid[21];			/* from the header ICCID, F padding dropped */
	char imsi[16];			/* from EF.IMSI, "" when absent */
	enum saip_algo algo;
	struct saip_bytes key; /* K (MILENAGE) or Ki (COMP128v1) */
	struct saip_bytes opc; /* OPc (MILENAGE) */
	struct saip_pin pins[SAIP_MAX_PINS];
	unsigned int n_pins;
	struct saip_pin puks[SAIP_MAX_PUKS];
	unsigned int n_puks;
	struct saip_bytes usim_aid;   /* ADF.USIM dfName */
	struct saip_bytes mno_sd_aid; /* securityDomain instance AID */
	unsigned int n_pes;
	bool has_end;
};

/* Decode a whole package. findings may be NULL. */
int saip_decode(struct saip_profile *out, const uint8_t *buf, size_t len, struct saip_findings *findings);

/* What saip_build needs. Strings are decimal digits. */
struct saip_build_params {
	enum saip_version version;
	const char *profile_type; /* NULL: none */
	const char *iccid;	  /* 19 or 20 digits */
	const char *imsi;	  /* 6 to 15 digits */
	enum saip_algo algo;	  /* MILENAGE or COMP128V1 */
	const uint8_t *key;	  /* 16 bytes */
	const uint8_t *opc;	  /* 16 bytes (MILENAGE) */
	int pol1;		  /* -1: no POL1 */
	const char *pin1;	  /* NULL: "0000" */
	const char *puk1;	  /* NULL: "12345678" */
};

/* Build a package: header, mf, pukCodes, pinCodes, usim, akaParameter, securityDomain, end.
 * Returns its length, -EINVAL for bad parameters, -EMSGSIZE when cap is too small. */
int saip_build(uint8_t *buf, size_t cap, const struct saip_build_params *p);

/* EUICCResponse (PE-Def): the result of installing a package. */
enum saip_pe_status_code {
	SAIP_ST_OK = 0,
	SAIP_ST_PE_NOT_SUPPORTED = 1,
	SAIP_ST_MEMORY_FAILURE = 2,
	SAIP_ST_BAD_VALUES = 3,
	SAIP_ST_NOT_ENOUGH_MEMORY = 4,
	SAIP_ST_INVALID_REQUEST_FORMAT = 5,
	SAIP_ST_INVALID_PARAMETER = 6,
	SAIP_ST_RUNTIME_NOT_SUPPORTED = 7,
	SAIP_ST_LIB_NOT_SUPPORTED = 8,
	SAIP_ST_TEMPLATE_NOT_SUPPORTED = 9,
	SAIP_ST_FEATURE_NOT_SUPPORTED = 10,
	SAIP_ST_PIN_CODE_MISSING = 11,
	SAIP_ST_UNSUPPORTED_PROFILE_VERSION = 31,
};
extern const struct value_string saip_pe_status_names[];

struct saip_pe_status {
	long status;
	long identification;  /* -1 when absent */
	long additional_info; /* -1 when absent */
	long offset;	      /* -1 when absent */
};

struct saip_euicc_response {
	struct saip_pe_status st[SAIP_MAX_PE_STATUS];
	size_t n;
	bool aborted;		   /* profileInstallationAborted */
	struct saip_bytes message; /* statusMessage, may be empty */
};

int saip_euicc_response_encode(uint8_t *buf, size_t cap, const struct saip_euicc_response *r);
/* Returns bytes consumed or a negative errno. */
int saip_euicc_response_decode(struct saip_euicc_response *out, const uint8_t *buf, size_t len);
