/* `rsplab pki init DIR`: a complete, fresh test PKI for one run (issue 4 module 5): the CI (X.509
 * root), the EUM (X.509, signed by the CI), two SM-SRs and two SM-DPs (a GP-format certificate for
 * ES5/ES8 signed by the CI plus an X.509 TLS certificate for the ES interfaces, also signed by the
 * CI), and per eUICC an ECASD key pair with CERT.ECASD.ECKA signed by the EUM. The file layout is
 * documented in harness/README.md and in DIR/README, which pki_init() writes.
 *
 * Private keys are written with mode 0600 (open O_CREAT|O_EXCL, then fchmod) and never printed. */
#pragma once

#include <stdbool.h>
#include <stdio.h>

#include "lib/crypto/ec.h"

#define PKI_MAX_EUICC  64
#define PKI_EID_DIGITS 32

struct pki_opts {
	const char *dir;
	enum crypto_curve curve; /* CI, EUM, GP and ECASD keys; TLS keys are always P-256 */
	unsigned int n_euicc;	 /* eUICCs with generated EIDs, when no eids are given */
	const char *const *eids; /* 32-digit EIDs (check digits: EID mod 97 = 1), or NULL */
	unsigned int n_eids;
	const char *const *tls_ips; /* extra IPv4/IPv6 addresses for every TLS certificate's SAN, or NULL */
	unsigned int n_tls_ips;
	bool force;    /* overwrite an existing PKI in dir */
	FILE *summary; /* key=value lines of what was created (paths, ids, public keys), or NULL */
};

/* Creates the PKI. Returns 0, or a negative errno after printing the reason to stderr: -EEXIST dir
 * already holds a PKI and force is not set, -EINVAL a bad option or EID, -EIO a file or OpenSSL
 * failure. */
int pki_init(const struct pki_opts *o);

/* true if eid is 32 decimal digits whose value mod 97 is 1 (SGP.02 Annex J / SGP.29 §10). */
bool pki_eid_valid(const char *eid);
