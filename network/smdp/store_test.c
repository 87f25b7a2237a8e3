/* Tests of the SM-DP store: inventory, the one-EID-per-profile rule (code AND constraint), download
 * steps, crash/reopen, file mode, and that refused input changes nothing. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>
#include <osmocom/core/application.h>
#include <osmocom/core/talloc.h>

#include "lib/test/runner.h"
#include "network/smdp/logging.h"
#include "network/smdp/store.h"

static void *ctx;
static char dir[64];
static char path[128];

#define EID_A "89001012012341234012345678901224"
#define EID_B "89001012012341234012345678901299"

int suite_setup(void)
{
	ctx = talloc_named_const(NULL, 0, "store_test");
	osmo_init_logging2(ctx, &smdp_log_info);
	log_set_print_timestamp(osmo_stderr_target, 0);
	log_set_log_level(osmo_stderr_target, LOGL_FATAL);
	snprintf(dir, sizeof(dir), "/tmp/smdp_store_XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	return 0;
}

int suite_teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		return -1;
	return 0;
}

static struct smdp_store *open_fresh(const char *name)
{
	struct smdp_store *s = NULL;

	snprintf(path, sizeof(path), "%s/%s.db", dir, name);
	unlink(path);
	CU_ASSERT_EQUAL_FATAL(smdp_store_open(ctx, path, &s), 0);
	return s;
}

static void mk_profile(struct smdp_profile *p, const char *iccid, const char *imsi)
{
	memset(p, 0, sizeof(*p));
	osmo_strlcpy(p->iccid, iccid, sizeof(p->iccid));
	osmo_strlcpy(p->imsi, imsi, sizeof(p->imsi));
	osmo_strlcpy(p->profile_type, "m2m", sizeof(p->profile_type));
	p->algo = SAIP_ALGO_MILENAGE;
	p->k_len = p->opc_len = 16;
	memset(p->k, 0x11, 16);
	memset(p->opc, 0x22, 16);
	p->pol1 = -1;
}

static const uint8_t pkg[] = { 0xa0, 0x03, 0x80, 0x01, 0x02 };

void test_store_file_mode_0600(void)
{
	struct smdp_store *s = open_fresh("mode");
	struct stat st;

	CU_ASSERT_EQUAL(stat(path, &st), 0);
	CU_ASSERT_EQUAL(st.st_mode & 0777, 0600);
	smdp_store_close(s);
}

void test_store_inventory(void)
{
	struct smdp_store *s = open_fresh("inv");
	struct smdp_profile p, got;
	uint8_t *buf = NULL;
	size_t len = 0;

	mk_profile(&p, "8949000000000000011", "001010000000011");
	CU_ASSERT_EQUAL(smdp_store_profile_add(s, &p, pkg, sizeof(pkg)), 0);
	CU_ASSERT_EQUAL(smdp_store_profile_get(s, "8949000000000000011", &got), 0);
	CU_ASSERT_STRING_EQUAL(got.imsi, "001010000000011");
	CU_ASSERT_EQUAL(got.state, SMDP_PROFILE_AVAILABLE);
	TEST_ASSERT_MEM_EQ(got.k, got.k_len, p.k, 16);
	TEST_ASSERT_MEM_EQ(got.opc, got.opc_len, p.opc, 16);
	CU_ASSERT_EQUAL(got.package_len, sizeof(pkg));
	CU_ASSERT_EQUAL(smdp_store_profile_package(s, ctx, p.iccid, &buf, &len), 0);
	TEST_ASSERT_MEM_EQ(buf, len, pkg, sizeof(pkg));
	talloc_free(buf);

	/* Duplicates: same ICCID, or same IMSI under another ICCID. */
	CU_ASSERT_EQUAL(smdp_store_profile_add(s, &p, pkg, sizeof(pkg)), -EEXIST);
	mk_profile(&p, "8949000000000000029", "001010000000011");
	CU_ASSERT_EQUAL(smdp_store_profile_add(s, &p, pkg, sizeof(pkg)), -EEXIST);
	CU_ASSERT_EQUAL(smdp_store_profile_get(s, "8949000000000000029", NULL), -ENOENT);

	/* Malformed input changes nothing. */
	mk_profile(&p, "89490000000000000X9", "001010000000029");
	CU_ASSERT_EQUAL(smdp_store_profile_add(s, &p, pkg, sizeof(pkg)), -EINVAL);
	mk_profile(&p, "8949000000000000029", "001010000000029");
	p.k_len = 0;
	CU_ASSERT_EQUAL(smdp_store_profile_add(s, &p, pkg, sizeof(pkg)), -EINVAL);
	CU_ASSERT_EQUAL(smdp_store_profile_get(s, "8949000000000000029", NULL), -ENOENT);
	CU_ASSERT_EQUAL(smdp_store_profile_set_msisdn(s, "8949000000000000011", "12a"), -EINVAL);
	CU_ASSERT_EQUAL(smdp_store_profile_set_msisdn(s, "8949000000000000011", "491701234"), 0);
	CU_ASSERT_EQUAL(smdp_store_profile_set_msisdn(s, "8949000000000000099", "491701234"), -ENOENT);
	CU_ASSERT_EQUAL(smdp_store_profile_set_pol2(s, "8949000000000000011", 0x40), -EINVAL);
	CU_ASSERT_EQUAL(smdp_store_profile_get(s, "8949000000000000011", &got), 0);
	CU_ASSERT_STRING_EQUAL(got.msisdn, "491701234");
	CU_ASSERT_EQUAL(got.pol2, 0);

	/* find_available by type. */
	CU_ASSERT_EQUAL(smdp_store_profile_find_available(s, "m2m", &got), 0);
	CU_ASSERT_STRING_EQUAL(got.iccid, "8949000000000000011");
	CU_ASSERT_EQUAL(smdp_store_profile_find_available(s, "other", &got), -ENOENT);
	smdp_store_close(s);
}

void test_store_never_two_eids(void)
{
	struct smdp_store *s = open_fresh("two");
	struct smdp_profile p, got;
	struct smdp_dl_rec a = { .eid = EID_A, .iccid = "8949000000000000011", .smsr_id = "sr" }, b = a;
	char eid[SMDP_EID_LEN + 1];
	sqlite3 *raw;
	int rc;

	mk_profile(&p, "8949000000000000011", "001010000000011");
	CU_ASSERT_EQUAL_FATAL(smdp_store_profile_add(s, &p, pkg, sizeof(pkg)), 0);
	CU_ASSERT_EQUAL_FATAL(smdp_store_dl_begin(s, &a), 0);
	/* While A's download is active, nobody else gets the profile, not even as "available". */
	osmo_strlcpy(b.eid, EID_B, sizeof(b.eid));
	CU_ASSERT_EQUAL(smdp_store_dl_begin(s, &b), -EBUSY);
	CU_ASSERT_EQUAL(smdp_store_profile_find_available(s, NULL, &got), -ENOENT);
	CU_ASSERT_EQUAL(smdp_store_dl_step(s, a.id, SMDP_STEP_CREATE_ISDP, SMDP_PROFILE_DOWNLOADING, NULL, 0), 0);
	CU_ASSERT_EQUAL(smdp_store_assignment_get(s, p.iccid, eid), 0);
	CU_ASSERT_STRING_EQUAL(eid, EID_A);
	/* The download fails after CreateISDP: the profile stays bound to A. */
	CU_ASSERT_EQUAL(smdp_store_dl_finish(s, a.id, SMDP_PROFILE_AVAILABLE, "failed"), 0);
	CU_ASSERT_EQUAL(smdp_store_profile_get(s, p.iccid, &got), 0);
	CU_ASSERT_EQUAL(got.state, SMDP_PROFILE_RESERVED);
	CU_ASSERT_STRING_EQUAL(got.eid, EID_A);
	CU_ASSERT_EQUAL(smdp_store_dl_begin(s, &b), -EEXIST);
	CU_ASSERT_EQUAL(smdp_store_profile_find_available(s, NULL, &got), -ENOENT);
	/* The same EID may retry. */
	a.id = 0;
	CU_ASSERT_EQUAL(smdp_store_dl_begin(s, &a), 0);
	CU_ASSERT_EQUAL(smdp_store_dl_step(s, a.id, SMDP_STEP_CREATE_ISDP, SMDP_PROFILE_DOWNLOADING, NULL, 0), 0);
	smdp_store_close(s);

	/* The schema itself refuses a second assignment, whatever code runs on the file. */
	CU_ASSERT_EQUAL_FATAL(sqlite3_open(path, &raw), SQLITE_OK);
	rc = sqlite3_exec(raw, "INSERT INTO assignment (iccid, eid, at) VALUES ('8949000000000000011', '" EID_B "', 0)",
			  NULL, NULL, NULL);
	CU_ASSERT_EQUAL(rc & 0xff, SQLITE_CONSTRAINT);
	sqlite3_close(raw);
}

void test_store_release_before_create(void)
{
	struct smdp_store *s = open_fresh("rel");
	struct smdp_profile p, got;
	struct smdp_dl_rec a = { .eid = EID_A, .iccid = "8949000000000000011", .smsr_id = "sr" }, b = a;

	mk_profile(&p, "8949000000000000011", "001010000000011");
	CU_ASSERT_EQUAL_FATAL(smdp_store_profile_add(s, &p, pkg, sizeof(pkg)), 0);
	CU_ASSERT_EQUAL_FATAL(smdp_store_dl_begin(s, &a), 0);
	CU_ASSERT_EQUAL(smdp_store_dl_step(s, a.id, SMDP_STEP_GET_EIS, 0, NULL, 0), 0);
	/* Failure before CreateISDP: back to the pool, another EID may get it. */
	CU_ASSERT_EQUAL(smdp_store_dl_finish(s, a.id, SMDP_PROFILE_AVAILABLE, "unknown EID"), 0);
	CU_ASSERT_EQUAL(smdp_store_dl_finish(s, a.id, SMDP_PROFILE_AVAILABLE, "again"), -EBUSY);
	CU_ASSERT_EQUAL(smdp_store_profile_get(s, p.iccid, &got), 0);
	CU_ASSERT_EQUAL(got.state, SMDP_PROFILE_AVAILABLE);
	CU_ASSERT_STRING_EQUAL(got.eid, "");
	osmo_strlcpy(b.eid, EID_B, sizeof(b.eid));
	CU_ASSERT_EQUAL(smdp_store_dl_begin(s, &b), 0);
	/* Bad EID: refused, nothing written. */
	osmo_strlcpy(b.eid, "8900", sizeof(b.eid));
	CU_ASSERT_EQUAL(smdp_store_dl_begin(s, &b), -EINVAL);
	smdp_store_close(s);
}

static int collect(const struct smdp_dl_rec *r, void *priv)
{
	struct smdp_dl_rec *out = priv;

	*out = *r;
	return 0;
}

void test_store_reopen_mid_download(void)
{
	struct smdp_store *s = open_fresh("crash");
	struct smdp_profile p, got;
	struct smdp_dl_rec a = {
		.eid = EID_A,
		.iccid = "8949000000000000011",
		.smsr_id = "sr",
		.mno_ref = "m1",
		.ret = { .reply_to = "https://mno:1/cb", .message_id = "//1.2/urn:uuid:1", .fci = "f1", .ns = 1 }
	};
	struct smdp_dl_rec seen = { 0 };
	const uint8_t aid[16] = { 0xa0, 0, 0, 5, 0x59, 0x10, 0x10, 0xff, 0xff, 0xff, 0xff, 0x89, 0, 0, 0x10, 0 };

	mk_profile(&p, "8949000000000000011", "001010000000011");
	CU_ASSERT_EQUAL_FATAL(smdp_store_profile_add(s, &p, pkg, sizeof(pkg)), 0);
	CU_ASSERT_EQUAL_FATAL(smdp_store_dl_begin(s, &a), 0);
	CU_ASSERT_EQUAL(smdp_store_dl_step(s, a.id, SMDP_STEP_CREATE_ISDP, SMDP_PROFILE_DOWNLOADING, NULL, 0), 0);
	CU_ASSERT_EQUAL(smdp_store_dl_step(s, a.id, SMDP_STEP_KEYSET, 0, aid, sizeof(aid)), 0);
	/* "Crash": close without finishing, reopen. */
	smdp_store_close(s);
	CU_ASSERT_EQUAL_FATAL(smdp_store_open(ctx, path, &s), 0);
	CU_ASSERT_EQUAL(smdp_store_dl_foreach_active(s, collect, &seen), 0);
	CU_ASSERT_EQUAL(seen.id, a.id);
	CU_ASSERT_EQUAL(seen.step, SMDP_STEP_KEYSET);
	CU_ASSERT_STRING_EQUAL(seen.mno_ref, "m1");
	/* The return address of step 27 survives the crash. */
	CU_ASSERT_STRING_EQUAL(seen.ret.reply_to, "https://mno:1/cb");
	CU_ASSERT_STRING_EQUAL(seen.ret.message_id, "//1.2/urn:uuid:1");
	CU_ASSERT_STRING_EQUAL(seen.ret.fci, "f1");
	CU_ASSERT_EQUAL(seen.ret.ns, 1);
	TEST_ASSERT_MEM_EQ(seen.isdp_aid, seen.isdp_aid_len, aid, sizeof(aid));
	CU_ASSERT_EQUAL(smdp_store_profile_get(s, p.iccid, &got), 0);
	CU_ASSERT_EQUAL(got.state, SMDP_PROFILE_DOWNLOADING);
	smdp_store_close(s);
}

void test_store_set_state_guard(void)
{
	struct smdp_store *s = open_fresh("guard");
	struct smdp_profile p, got;
	struct smdp_dl_rec a = { .eid = EID_A, .iccid = "8949000000000000011", .smsr_id = "sr" };

	mk_profile(&p, "8949000000000000011", "001010000000011");
	CU_ASSERT_EQUAL_FATAL(smdp_store_profile_add(s, &p, pkg, sizeof(pkg)), 0);
	CU_ASSERT_EQUAL_FATAL(smdp_store_dl_begin(s, &a), 0);
	CU_ASSERT_EQUAL(smdp_store_dl_step(s, a.id, SMDP_STEP_CREATE_ISDP, SMDP_PROFILE_DOWNLOADING, NULL, 0), 0);
	CU_ASSERT_EQUAL(smdp_store_dl_finish(s, a.id, SMDP_PROFILE_DOWNLOADED, "ok"), 0);
	/* Wrong EID or wrong from-state: refused, unchanged. */
	CU_ASSERT_EQUAL(smdp_store_profile_set_state(s, p.iccid, EID_B, 1u << SMDP_PROFILE_DOWNLOADED,
						     SMDP_PROFILE_ENABLED),
			-EBUSY);
	CU_ASSERT_EQUAL(smdp_store_profile_set_state(s, p.iccid, EID_A, 1u << SMDP_PROFILE_ENABLED,
						     SMDP_PROFILE_DISABLED),
			-EBUSY);
	CU_ASSERT_EQUAL(smdp_store_profile_get(s, p.iccid, &got), 0);
	CU_ASSERT_EQUAL(got.state, SMDP_PROFILE_DOWNLOADED);
	CU_ASSERT_EQUAL(smdp_store_profile_set_state(s, p.iccid, EID_A, 1u << SMDP_PROFILE_DOWNLOADED,
						     SMDP_PROFILE_ENABLED),
			0);
	CU_ASSERT_EQUAL(smdp_store_profile_get(s, p.iccid, &got), 0);
	CU_ASSERT_EQUAL(got.state, SMDP_PROFILE_ENABLED);
	smdp_store_close(s);
}

void test_store_names(void)
{
	CU_ASSERT_STRING_EQUAL(get_value_string(smdp_profile_state_names, SMDP_PROFILE_DOWNLOADING), "downloading");
	CU_ASSERT_STRING_EQUAL(get_value_string(smdp_dl_step_names, SMDP_STEP_DELETE_ISDP), "delete-isdp");
}

/* A store file of the first schema (download without the return-address columns) is upgraded at open
 * and keeps its rows. */
void test_store_migrates_old_download_table(void)
{
	struct smdp_store *s = NULL;
	sqlite3 *db = NULL;
	struct smdp_dl_rec seen = { 0 };

	snprintf(path, sizeof(path), "%s/old.db", dir);
	unlink(path);
	CU_ASSERT_EQUAL_FATAL(sqlite3_open(path, &db), SQLITE_OK);
	CU_ASSERT_EQUAL(sqlite3_exec(db,
				     "CREATE TABLE download (id INTEGER PRIMARY KEY AUTOINCREMENT, eid TEXT NOT NULL,"
				     " iccid TEXT NOT NULL, smsr_id TEXT NOT NULL, mno_ref TEXT NOT NULL DEFAULT '',"
				     " enable INTEGER NOT NULL, step INTEGER NOT NULL, isdp_aid BLOB,"
				     " done INTEGER NOT NULL DEFAULT 0, result TEXT NOT NULL DEFAULT '',"
				     " created INTEGER NOT NULL, updated INTEGER NOT NULL);"
				     "INSERT INTO download (eid, iccid, smsr_id, mno_ref, enable, step, created, "
				     "updated)"
				     " VALUES ('" EID_A "', '8949000000000000011', 'sr', 'm1', 0, 6, 1, 1)",
				     NULL, NULL, NULL),
			SQLITE_OK);
	sqlite3_close(db);
	CU_ASSERT_EQUAL_FATAL(smdp_store_open(ctx, path, &s), 0);
	CU_ASSERT_EQUAL(smdp_store_dl_foreach_active(s, collect, &seen), 0);
	CU_ASSERT_EQUAL(seen.step, SMDP_STEP_COMPLETED);
	CU_ASSERT_STRING_EQUAL(seen.ret.reply_to, "");
	smdp_store_close(s);
	/* and a second open of the upgraded file does not try again */
	CU_ASSERT_EQUAL_FATAL(smdp_store_open(ctx, path, &s), 0);
	smdp_store_close(s);
}
