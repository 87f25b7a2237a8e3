/* SM-SR Change benchmark (issue 8): complete SM-SR Change procedures per second, SR1 and SR2 in one
 * process wired back to back by the stub world of smsr_chgworld.h (the one smsr_change_test.c uses:
 * every ES4/ES7 message is SOAP-encoded and decoded again through a queue), against a computed card at
 * the ES5 boundary that does the real card-side crypto (CERT.SR.ECDSA checked with PK.CI.ECDSA, the
 * key-parameter signature verified, ecka_card_establish). SCP80 and the SMS transport are not part of it
 * (stubbed: the card checks that the SM-SR's store selects the keys it holds). One change = a fresh eUICC
 * and RegisterEIS at SR1 (not timed), then PrepareSMSRChange at SR2 and SMSRChange at SR1 until SR1
 * answers (timed): 6 card commands (3A01, 3A02 for SR2's SCP80 keys, F2, 3A07, then 3A01 and 3A02 for its
 * SCP81 key set). The world's fault switches stay off and nothing restarts.
 *
 * Same run: the crypto one change needs, alone (the same lib/ calls with the same inputs: SR2's EUM
 * chain check of CERT.ECASD.ECKA, and twice the key establishment on both sides), and the procedure
 * again with in-memory stores (the on-disk stores' share). Prints procedure time / crypto time.
 * The stores are on-disk SQLite (WAL, synchronous=FULL) in a fresh directory under $TMPDIR or
 * /var/tmp; the file system type is printed, since fsync cost depends on it.
 * Bounded (about 3 s per procedure series, 2 s crypto); never asserts on time. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statfs.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <osmocom/core/application.h>
#include <osmocom/core/logging.h>
#include <talloc.h>

#include "lib/crypto/ec.h"
#include "lib/crypto/sym.h"
#include "lib/gpcert/gpcert.h"
#include "network/smsr/smsr_change.h"
#include "network/smsr/smsr_chgworld.h"
#include "network/smsr/smsr_log.h"

#define SERIES_S    3.0
#define CRYPTO_S    2.0
#define MAX_CHANGES 5000

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what)
{
	fprintf(stderr, "smsr_change_bench: %s\n", what);
	exit(1);
}

/* eUICC number i: a fresh EID (valid check digits) and ICCID, its EIS registered at SR1, a fresh cw.card. */
static void new_euicc(unsigned int i)
{
	cw_euicc_fresh(i);
	cw_register_eis(cw.pki.ecasd_cert, cw.pki.ecasd_cert_len);
}

/* The timed part: PrepareSMSRChange (MNO2 -> SR2), SMSRChange (MNO1 -> SR1), everything until SR1 answers. */
static void one_change(void)
{
	cw.card.cmds = 0;
	cw_mno_prepare(600);
	if (cw.mno.n != 1 || cw.mno.status != ES_STATUS_EXECUTED_SUCCESS)
		die("PrepareSMSRChange refused");
	cw_mno_smsr_change(600);
	cw_pump();
}

/* Not timed: the change really happened (SR1's answer, 6 card commands, SR2's SCP81 key set on the card). */
static void check_change(void)
{
	struct smsr_keyset_row ks;

	if (cw.mno.n != 1 || cw.mno.status != ES_STATUS_EXECUTED_SUCCESS)
		die("SMSRChange did not succeed");
	if (cw.card.cmds != 6 || !cw_card_ks(0x40) || cw_card_ks(0x01))
		die("the card did not see the 6 commands of a change");
	if (smsr_store_keyset_get(cw.sr2.store, cw.eid, SMSR_KEYSET_SCP81, -1, &ks) < 0 ||
	    memcmp(ks.psk, cw_card_ks(0x40)->key[0], 16))
		die("SR2's SCP81 key set");
	if (smsr_change_num_procs(cw.sr1.chg) || smsr_change_num_procs(cw.sr2.chg))
		die("a procedure is still running");
}

struct series {
	unsigned int n;
	double secs;
};

static struct series run_series(const char *dir, unsigned int *next_euicc)
{
	struct series s = { 0, 0 };
	double start = now();

	cw.cfg.db_dir = dir;
	cw_open();
	/* warm-up: first statements prepared, pages cached */
	for (int w = 0; w < 2; w++) {
		new_euicc((*next_euicc)++);
		one_change();
		check_change();
	}
	while (s.n < MAX_CHANGES && now() - start < SERIES_S) {
		double t0;

		new_euicc((*next_euicc)++);
		t0 = now();
		one_change();
		s.secs += now() - t0;
		s.n++;
		check_change();
	}
	cw_close();
	return s;
}

/* ---- the crypto of one change, alone ---------------------------------------------------------------- */

/* One key establishment for target as the procedure and the card do it: the card checks CERT.SR.ECDSA
 * (3A01); SR2 makes an ephemeral key + ShS and signs the key parameters; the card verifies the
 * signature and runs ECKA (ECDH, X9.63 KDF, receipt CMAC); SR2 derives and checks the receipt. */
static void crypto_establish(const EVP_PKEY *ecasd_pub, enum ecka_target target, uint8_t kvn)
{
	struct gpcert c;
	struct gpcert_check_opts o = { .check_type = true, .type = GPCERT_TYPE_SR };
	uint8_t rc[16], host_id[16], crt_tlv[ECKA_CRT_MAX], epk[128], sd[512], sig[EC_SIG_LEN];
	const uint8_t *point;
	struct ecka_host h;
	struct ecka_crt crt;
	struct ecka_card_result r;
	struct ecka_keys k;
	EVP_PKEY *pk = NULL;
	int n, en, sn;
	size_t off;

	if (gpcert_decode_exact(&c, cw.pki.sr2_cert, cw.pki.sr2_cert_len, NULL) < 0 ||
	    gpcert_check(&c, cw.pki.ci_key, &o, NULL) < 0)
		die("crypto: CERT.SR.ECDSA");
	crypto_random(rc, sizeof(rc));
	crypto_random(host_id, sizeof(host_id));
	if (ecka_host_start(&h, ecasd_pub, NULL, 0) < 0)
		die("crypto: ecka_host_start");
	ecka_crt_default(&crt, target, &ecka_variants_default, kvn);
	if (crt.param & ECKA_SP_HOSTID) {
		crt.host_id = host_id;
		crt.host_id_len = sizeof(host_id);
	}
	n = ecka_crt_encode(&crt, crt_tlv, sizeof(crt_tlv));
	en = n < 0 ? n
		   : ecka_epk_encode(ecka_variants_default.epk_encoding, h.epk, CRYPTO_CURVE_P256, epk, sizeof(epk));
	if (n < 0 || en < 4)
		die("crypto: CRT/ePK");
	off = epk[2] == 0x81 ? 4 : 3;
	sn = es5_keyset_signed_data(sd, sizeof(sd), crt_tlv, (size_t)n, epk + off, (size_t)en - off, rc, sizeof(rc));
	if (sn < 0 || crypto_ecdsa_sign(cw.pki.sr2_key, sd, (size_t)sn, sig) < 0)
		die("crypto: sign");
	/* the card */
	if (crypto_ec_from_public(CRYPTO_CURVE_P256, c.public_key, EC_POINT_LEN, &pk) < 0 ||
	    crypto_ecdsa_verify(pk, sd, (size_t)sn, sig, sizeof(sig)) != 0)
		die("crypto: verify");
	EVP_PKEY_free(pk);
	if (ecka_epk_decode(epk, (size_t)en, &point) < 0 ||
	    ecka_card_establish(cw.pki.ecasd_key, point, EC_POINT_LEN, crt_tlv, (size_t)n, target,
				&ecka_variants_default, NULL, &r) < 0)
		die("crypto: card ECKA");
	/* SR2 */
	if (ecka_host_finish(&h, crt_tlv, (size_t)n, r.dr_len ? r.dr : NULL, r.dr_len, r.receipt, ECKA_RECEIPT_LEN,
			     target, &ecka_variants_default, &k) < 0)
		die("crypto: receipt");
	ecka_host_free(&h);
	OPENSSL_cleanse(&r, sizeof(r));
	OPENSSL_cleanse(&k, sizeof(k));
}

static void crypto_of_one_change(void)
{
	struct gpcert_check_opts o = { .check_type = true, .type = GPCERT_TYPE_ECASD, .date = gpcert_date_today() };
	struct gpcert c;
	EVP_PKEY *ecasd_pub = NULL;

	/* step 6: CERT.ECASD.ECKA through the EUM to the CI */
	if (gpcert_decode_exact(&c, cw.pki.ecasd_cert, cw.pki.ecasd_cert_len, NULL) < 0 ||
	    gpcert_check_eum(&c, cw.pki.eum, cw.pki.ci, &o, NULL) < 0 || gpcert_public_key(&c, &ecasd_pub, NULL) < 0)
		die("crypto: CERT.ECASD.ECKA");
	crypto_establish(ecasd_pub, ECKA_TARGET_ISDR, 0x02);	   /* steps 7-23: SR2's SCP80 key set */
	crypto_establish(ecasd_pub, ECKA_TARGET_ISDR_SCP81, 0x40); /* step 26: SR2's SCP81 key set */
	EVP_PKEY_free(ecasd_pub);
}

static const char *fs_name(const char *dir)
{
	struct statfs f;

	if (statfs(dir, &f) < 0)
		return "unknown";
	switch ((unsigned long)f.f_type) {
	case 0x01021994UL: return "tmpfs (no real fsync cost)";
	case 0xEF53UL: return "ext2/3/4";
	case 0x58465342UL: return "xfs";
	case 0x9123683EUL: return "btrfs";
	case 0x794C7630UL: return "overlayfs";
	default: return "other";
	}
}

int main(void)
{
	char dir[256];
	const char *tmp = getenv("TMPDIR");
	unsigned int next = 0, nc = 0;
	struct series disk, mem;
	double t0, crypto_s, per_disk, per_mem, per_crypto;
	void *ctx = talloc_named_const(NULL, 0, "smsr_change_bench");

	osmo_init_logging2(ctx, &smsr_log_info);
	log_set_log_level(osmo_stderr_target, LOGL_ERROR);
	/* no narration; run_series() picks on-disk or in-memory stores */
	if (cw_init(&(struct cw_cfg){ .ctx = ctx }) < 0)
		die("PKI");
	snprintf(dir, sizeof(dir), "%s/rsplab-smsr-change-bench-XXXXXX", tmp && *tmp ? tmp : "/var/tmp");
	if (!mkdtemp(dir))
		die("mkdtemp");

	disk = run_series(dir, &next);
	mem = run_series(NULL, &next);
	crypto_of_one_change(); /* warm-up */
	t0 = now();
	while (now() - t0 < CRYPTO_S && nc < MAX_CHANGES) {
		crypto_of_one_change();
		nc++;
	}
	crypto_s = now() - t0;
	rmdir(dir);

	per_disk = disk.secs / disk.n;
	per_mem = mem.secs / mem.n;
	per_crypto = crypto_s / nc;
	printf("smsr_change_bench: complete SM-SR Changes (PrepareSMSRChange + SMSRChange until SR1 answers),\n"
	       "  SR1 and SR2 in one process, ES4/ES7 SOAP-encoded and decoded, a computed card at the ES5\n"
	       "  boundary (no SCP80, no SMS), 6 card commands per change (SR2 also sets up its SCP81 keys)\n");
	printf("  stores: on-disk SQLite (WAL, synchronous=FULL) under %s: %s\n", tmp && *tmp ? "$TMPDIR" : "/var/tmp",
	       fs_name(tmp && *tmp ? tmp : "/var/tmp"));
	printf("  on-disk stores:   %5u changes in %.2f s: %8.1f changes/s  (%.2f ms each)\n", disk.n, disk.secs,
	       disk.n / disk.secs, per_disk * 1e3);
	printf("  in-memory stores: %5u changes in %.2f s: %8.1f changes/s  (%.2f ms each)\n", mem.n, mem.secs,
	       mem.n / mem.secs, per_mem * 1e3);
	printf("  crypto of one change alone (EUM chain check of CERT.ECASD.ECKA; twice: CERT.SR.ECDSA check,\n"
	       "  ephemeral key + ECDH, ECDSA sign, ECDSA verify, card ECDH + X9.63 KDF + receipt CMAC, host\n"
	       "  KDF + receipt check): %u runs in %.2f s: %.2f ms each\n",
	       nc, crypto_s, per_crypto * 1e3);
	printf("  RATIO procedure / crypto: on-disk %.2fx, in-memory %.2fx; the on-disk store's share of a "
	       "change: %.0f%%\n",
	       per_disk / per_crypto, per_mem / per_crypto, 100.0 * (per_disk - per_mem) / per_disk);
	cw_fini();
	log_fini();
	talloc_free(ctx);
	return 0;
}
