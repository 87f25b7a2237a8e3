/* rsplab-smsr configuration file (smsr_vty.h): a file with every command is read, written and read back
 * to the same settings and the same text; every refused line gives a message naming the problem and
 * leaves the configuration exactly as it was (the file applies all or nothing); show commands never
 * print key material. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <osmocom/core/application.h>
#include <osmocom/core/talloc.h>
#include <osmocom/vty/command.h>
#include <osmocom/vty/vty.h>

#include "lib/es5/es5.h"
#include "lib/scp80/scp80.h"
#include "lib/test/runner.h"
#include "network/smsr/smsr_change.h"
#include "network/smsr/smsr_log.h"
#include "network/smsr/smsr.h"
#include "network/smsr/smsr_vty.h"
#include "network/smsr/smsr_vty_testutil.h"

int suite_setup(void)
{
	return vt_setup("smsr_vty_test");
}

int suite_teardown(void)
{
	return vt_teardown();
}

static const char full[] = "smsr\n"
			   " smsr-id 1.3.6.1.4.1.99999.2\n"
			   " database smsr2.db\n"
			   " es-listen 10.23.0.2\n"
			   " es-port 8444\n"
			   " own-url https://10.23.0.2:8444/\n"
			   " notify-url https://10.23.0.9:8445/es4\n"
			   " mno-notify 1.3.6.1.4.1.99999.3 https://10.23.0.9:8446/\n"
			   " mno-notify 1.3.6.1.4.1.99999.4 http://10.23.0.9:8447/x\n"
			   " tls-certificate smsr2/tls-cert.pem\n"
			   " tls-private-key smsr2/tls-key.pem\n"
			   " tls-ca-certificate ci/cert.pem\n"
			   " tls-keylog smsr2.keys\n"
			   " net-env net.env\n"
			   " sms-transport kannel\n"
			   " smpp-transaction-mode\n"
			   " spi SPI_1621\n"
			   " por-timeout 30\n"
			   " scp81-listen 10.23.0.2:4443\n"
			   " scp81-push-addr 10.23.0.2\n"
			   " es8-relay sms\n"
			   " peer-smsr 1.3.6.1.4.1.99999.1 https://10.23.0.1:8444/\n"
			   " peer-variant 1.3.6.1.4.1.99999.1 namespace WS_NS_V1_NJIWA\n"
			   " peer-variant 1.3.6.1.4.1.99999.1 authenticate-smsr AUTH_SMSR_EID\n"
			   " peer-variant 1.3.6.1.4.1.99999.3 action-uri ACTION_PLAIN\n"
			   " sr-certificate smsr2/gp-cert.hex\n"
			   " sr-private-key smsr2/gp-key.hex\n"
			   " ci-certificate ci/cert.pem\n"
			   " eum-certificate eum/cert.pem\n"
			   " eum-certificate eum2/cert.pem\n"
			   " addressing 3A070381020304\n"
			   " f2 keep-list\n"
			   " handover-hide KEYSETS\n"
			   " change-notify ES3\n"
			   " scp81-keyset none\n"
			   " eis-sig direct\n";

void test_smsr_vty_round_trip(void)
{
	struct smsr_vty_cfg a, b;
	char err[256] = "";
	char *t1, *t2;

	smsr_vty_cfg_init(&a);
	CU_ASSERT_EQUAL_FATAL(vt_read_text(&a, full, err, sizeof(err)), 0);
	CU_ASSERT_STRING_EQUAL(a.smsr_id, "1.3.6.1.4.1.99999.2");
	CU_ASSERT_STRING_EQUAL(a.db, "smsr2.db");
	CU_ASSERT_STRING_EQUAL(a.listen, "10.23.0.2");
	CU_ASSERT_EQUAL(a.port, 8444);
	CU_ASSERT_STRING_EQUAL(a.url, "https://10.23.0.2:8444/");
	CU_ASSERT_STRING_EQUAL(a.notify_url, "https://10.23.0.9:8445/es4");
	CU_ASSERT_EQUAL(a.n_mno, 2);
	CU_ASSERT_STRING_EQUAL(a.mno[1].id, "1.3.6.1.4.1.99999.4");
	CU_ASSERT_STRING_EQUAL(a.mno[1].url, "http://10.23.0.9:8447/x");
	CU_ASSERT_STRING_EQUAL(a.cert, "smsr2/tls-cert.pem");
	CU_ASSERT_STRING_EQUAL(a.key, "smsr2/tls-key.pem");
	CU_ASSERT_STRING_EQUAL(a.ca, "ci/cert.pem");
	CU_ASSERT_STRING_EQUAL(a.keylog, "smsr2.keys");
	CU_ASSERT_STRING_EQUAL(a.net_env, "net.env");
	CU_ASSERT_EQUAL(a.kannel, 1);
	CU_ASSERT_EQUAL(a.transaction, 1);
	CU_ASSERT_EQUAL(a.spi, SCP80_SPI_VARIANT_1621);
	CU_ASSERT_EQUAL(a.por_timeout, 30);
	CU_ASSERT_STRING_EQUAL(a.scp81_listen, "10.23.0.2:4443");
	CU_ASSERT_STRING_EQUAL(a.scp81_push_addr, "10.23.0.2");
	CU_ASSERT_EQUAL(a.relay_sms, 1);
	CU_ASSERT_EQUAL(a.n_peer, 1);
	CU_ASSERT_STRING_EQUAL(a.peer[0].id, "1.3.6.1.4.1.99999.1");
	CU_ASSERT_STRING_EQUAL(a.sr_cert, "smsr2/gp-cert.hex");
	CU_ASSERT_STRING_EQUAL(a.sr_key, "smsr2/gp-key.hex");
	CU_ASSERT_STRING_EQUAL(a.ci, "ci/cert.pem");
	CU_ASSERT_EQUAL(a.n_eum, 2);
	CU_ASSERT_STRING_EQUAL(a.eum[1], "eum2/cert.pem");
	CU_ASSERT_STRING_EQUAL(a.addressing, "3A070381020304");
	CU_ASSERT_EQUAL(a.f2, ES5_F2_KEEP_LIST);
	CU_ASSERT_EQUAL(a.hide, SMSR_CHG_HIDE_KEYSETS);
	CU_ASSERT_EQUAL(a.notify, SMSR_CHG_NOTIFY_ES3);
	CU_ASSERT_EQUAL(a.scp81_keyset, SMSR_CHG_SCP81_NONE);
	CU_ASSERT_EQUAL(a.eis_sig, SMSR_EIS_SIG_DIRECT);
	/* per-entity ES readings; an entity without one gets the defaults */
	CU_ASSERT_EQUAL(a.n_pvar, 2);
	CU_ASSERT_EQUAL(smsr_vty_peer_variant(&a, "1.3.6.1.4.1.99999.1")->ns, ES_NS_V1);
	CU_ASSERT_EQUAL(smsr_vty_peer_variant(&a, "1.3.6.1.4.1.99999.1")->auth_smsr, ES_AUTH_SMSR_EID);
	CU_ASSERT_EQUAL(smsr_vty_peer_variant(&a, "1.3.6.1.4.1.99999.1")->action, es_variant_default.action);
	CU_ASSERT_EQUAL(smsr_vty_peer_variant(&a, "1.3.6.1.4.1.99999.3")->action, ES_ACTION_PLAIN);
	CU_ASSERT_PTR_EQUAL(smsr_vty_peer_variant(&a, "1.2.3"), &es_variant_default);

	/* written, read back into an empty configuration: the same settings and the same text */
	t1 = vt_written(&a);
	CU_ASSERT_STRING_EQUAL(t1, full);
	smsr_vty_cfg_init(&b);
	CU_ASSERT_EQUAL_FATAL(vt_read_text(&b, t1, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(memcmp(&a, &b, sizeof(a)), 0);
	t2 = vt_written(&b);
	CU_ASSERT_STRING_EQUAL(t1, t2);
	free(t1);
	free(t2);
}

/* Repeated lines: a second peer-smsr/mno-notify for the same OID replaces its URL; `no` forms remove;
 * an empty file and comments change nothing. */
void test_smsr_vty_lists_and_no(void)
{
	struct smsr_vty_cfg a;
	char err[256] = "";

	smsr_vty_cfg_init(&a);
	CU_ASSERT_EQUAL(vt_read_text(&a,
				     "! comment\nsmsr\n peer-smsr 1.2 http://a/\n peer-smsr 1.3 http://b/\n"
				     " peer-smsr 1.2 http://c/\n eum-certificate e1\n eum-certificate e1\n"
				     " smpp-transaction-mode\n addressing 01\n",
				     err, sizeof(err)),
			0);
	CU_ASSERT_EQUAL(a.n_peer, 2);
	CU_ASSERT_STRING_EQUAL(a.peer[0].url, "http://c/");
	CU_ASSERT_EQUAL(a.n_eum, 1);
	CU_ASSERT_EQUAL(vt_read_text(&a,
				     "smsr\n no peer-smsr 1.2\n no eum-certificate e1\n no smpp-transaction-mode\n"
				     " no addressing\n",
				     err, sizeof(err)),
			0);
	CU_ASSERT_EQUAL(a.n_peer, 1);
	CU_ASSERT_STRING_EQUAL(a.peer[0].id, "1.3");
	CU_ASSERT_EQUAL(a.n_eum, 0);
	CU_ASSERT_EQUAL(a.transaction, 0);
	CU_ASSERT_EQUAL(a.addressing[0], '\0');
	CU_ASSERT_EQUAL(vt_read_text(&a, "", err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(a.n_peer, 1);
}

/* Every kind of refused line, each after valid lines of the same file: an error that names the line and
 * the problem, and the configuration unchanged (all or nothing). */
void test_smsr_vty_invalid_lines(void)
{
	static const struct {
		const char *line, *expect;
	} bad[] = {
		{ " es-port 65536", "out of range" },
		{ " por-timeout 0", "out of range" },
		{ " es-port -1", "out of range" },
		{ " es-port http", "out of range" },
		{ " sms-transport http", "out of range" },
		{ " es8-relay ftp", "out of range" },
		{ " spi SPI_9999", "spi: unknown 'SPI_9999' (one of SPI_1639, SPI_1621)" },
		{ " f2 delete", "" }, /* a prefix of two keywords: ambiguous or no match */
		{ " handover-hide ALL", "handover-hide: unknown 'ALL'" },
		{ " change-notify ES2", "change-notify: unknown 'ES2'" },
		{ " scp81-keyset psk", "scp81-keyset: unknown 'psk' (one of ecka, none)" },
		{ " eis-sig xmldsig", "eis-sig: unknown 'xmldsig' (one of dsig-detached, direct, none)" },
		{ " own-url ftp://x/", "own-url: 'ftp://x/' is not an http(s)" },
		{ " notify-url nowhere", "notify-url: 'nowhere' is not an http(s)" },
		{ " peer-smsr 1.2 mailto:x", "peer-smsr: 'mailto:x' is not an http(s)" },
		{ " mno-notify 1.2 x", "mno-notify: 'x' is not an http(s)" },
		{ " peer-variant 1.2 namespace NS_V9", "peer-variant namespace: 'NS_V9' is not one of its names" },
		{ " peer-variant 1.2 colour red", "" }, /* not a keyword of the command */
		{ " scp81-listen 10.0.0.1", "scp81-listen: '10.0.0.1' is not ADDR:PORT" },
		{ " scp81-listen 10.0.0.1:70000", "is not ADDR:PORT" },
		{ " scp81-listen 10.0.0.1:80x", "is not ADDR:PORT" },
		{ " scp81-push-addr host", "out of range" },
		{ " addressing 3A0", "addressing: not 1..128 bytes of hex" },
		{ " addressing XY", "addressing: not 1..128 bytes of hex" },
		{ " smsr-id", "incomplete" },
		{ " database", "incomplete" },
		{ " frobnicate 1", "no such command" },
		{ " smpp-transaction-mode yes", "no such command" },
	};
	struct smsr_vty_cfg a, before;
	char text[1024], err[256];
	char long_oid[SMSR_OID_MAX + 8];

	smsr_vty_cfg_init(&a);
	CU_ASSERT_EQUAL_FATAL(vt_read_text(&a, full, err, sizeof(err)), 0);
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		before = a;
		err[0] = '\0';
		snprintf(text, sizeof(text), "smsr\n smsr-id 9.9.9\n es-port 1\n peer-smsr 7.7 http://n/\n%s\n",
			 bad[i].line);
		CU_ASSERT_EQUAL(vt_read_text(&a, text, err, sizeof(err)), -EINVAL);
		CU_ASSERT_EQUAL(memcmp(&a, &before, sizeof(a)), 0);
		CU_ASSERT_PTR_NOT_NULL(strstr(err, bad[i].line + 1)); /* names the line */
		if (!strstr(err, bad[i].expect))
			printf("\n  line '%s': error '%s' lacks '%s'\n", bad[i].line, err, bad[i].expect);
		CU_ASSERT_PTR_NOT_NULL(strstr(err, bad[i].expect));
	}

	/* limits: too long, too many */
	memset(long_oid, '1', sizeof(long_oid) - 1);
	long_oid[sizeof(long_oid) - 1] = '\0';
	before = a;
	snprintf(text, sizeof(text), "smsr\n smsr-id %s\n", long_oid);
	CU_ASSERT_EQUAL(vt_read_text(&a, text, err, sizeof(err)), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "smsr-id: longer than 127 characters"));
	CU_ASSERT_EQUAL(memcmp(&a, &before, sizeof(a)), 0);
	CU_ASSERT_EQUAL(vt_read_text(&a, "smsr\n eum-certificate 3\n eum-certificate 4\n eum-certificate 5\n", err,
				     sizeof(err)),
			-EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "eum-certificate: at most 4"));
	CU_ASSERT_EQUAL(memcmp(&a, &before, sizeof(a)), 0);
	CU_ASSERT_EQUAL(smsr_vty_read_config(&a, "/nonexistent/smsr.cfg", err, sizeof(err)), -ENOENT);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "cannot open"));
	CU_ASSERT_EQUAL(memcmp(&a, &before, sizeof(a)), 0);
}

/* The written configuration holds file names, never key material. */
void test_smsr_vty_no_secrets_written(void)
{
	struct smsr_vty_cfg a;
	char err[256];
	char *t;

	smsr_vty_cfg_init(&a);
	CU_ASSERT_EQUAL_FATAL(vt_read_text(&a, full, err, sizeof(err)), 0);
	t = vt_written(&a);
	CU_ASSERT_PTR_NULL(strstr(t, "PRIVATE KEY"));
	CU_ASSERT_PTR_NOT_NULL(strstr(t, " sr-private-key smsr2/gp-key.hex\n"));
	free(t);
}
