/* SM-SR store: EIS insert/get/delete, duplicate EID refused, profiles, key sets and the persistent
 * SCP80 counter, notification sequence de-duplication, audit, pending operations, the 0600 file
 * mode, and crash consistency: a failure injected before every statement of a multi-statement change
 * leaves the store exactly as before the call. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <talloc.h>

#include "lib/test/runner.h"
#include "network/smsr/smsr_store.h"

static void *ctx;

int suite_setup(void)
{
	ctx = talloc_named_const(NULL, 0, "smsr_store_test");
	return ctx ? 0 : -1;
}

int suite_teardown(void)
{
	talloc_free(ctx);
	return 0;
}

static struct smsr_store *open_mem(void)
{
	char err[256];
	struct smsr_store *s = smsr_store_open(ctx, ":memory:", err, sizeof(err));

	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	return s;
}

static const char *EID = "89001012012341234012345678901224";

static void fill_eis(struct es_eis *eis, struct smsr_eis_row *row, struct smsr_keyset_row *ks)
{
	static const uint8_t aid[16] = { 0xA0, 0x00, 0x00, 0x05, 0x59, 0x10, 0x10, 0xFF,
					 0xFF, 0xFF, 0xFF, 0x89, 0x00, 0x00, 0x10, 0x00 };

	memset(eis, 0, sizeof(*eis));
	memset(row, 0, sizeof(*row));
	memset(ks, 0, sizeof(*ks));
	eis->present = true;
	eis->n_profile_info = 1;
	eis->profile_info[0].iccid = "8944000000000000001";
	eis->profile_info[0].isd_p_aid = (struct es_hex){ aid, 16 };
	eis->profile_info[0].mno_id = "1.2.3.1";
	eis->profile_info[0].state = ES_PROFILE_STATE_ENABLED;
	eis->profile_info[0].subscription_address.msisdn = "491720000001";
	eis->profile_info[0].pol2.n_rule = 1;
	eis->profile_info[0].pol2.rule[0] = (struct es_pol2_rule){ true, ES_POL2_SUBJECT_PROFILE,
								   ES_POL2_ACTION_DISABLE, ES_POL2_QUAL_NOT_ALLOWED };
	snprintf(row->eid, sizeof(row->eid), "%s", EID);
	snprintf(row->eum_id, sizeof(row->eum_id), "1.2.3.9");
	snprintf(row->smsr_id, sizeof(row->smsr_id), "1.2.3.4");
	row->state = SMSR_EIS_ACTIVE;
	row->last_notif_seq = -1;
	snprintf(ks->eid, sizeof(ks->eid), "%s", EID);
	ks->kvn = 1;
	ks->kind = SMSR_KEYSET_SCP80;
	ks->kic_len = ks->kid_len = ks->kik_len = 16;
	memset(ks->kic, 0x11, 16);
	memset(ks->kid, 0x22, 16);
	memset(ks->kik, 0x33, 16);
}

void test_smsr_store_eis_lifecycle(void)
{
	struct smsr_store *s = open_mem();
	struct es_eis eis;
	struct smsr_eis_row row, got;
	struct smsr_keyset_row ks, kgot;
	struct smsr_profile_row prof[4];
	uint8_t *blob;
	size_t n, blen;

	fill_eis(&eis, &row, &ks);
	CU_ASSERT_EQUAL(smsr_store_eis_get(s, EID, &got), -ENOENT);
	CU_ASSERT_EQUAL(smsr_store_eis_insert(s, &row, &eis, (const uint8_t *)"<eis/>", 6, &ks, 1), 0);
	CU_ASSERT_EQUAL(smsr_store_eis_count(s), 1);
	/* ES1: a duplicate EID is refused and changes nothing */
	CU_ASSERT_EQUAL(smsr_store_eis_insert(s, &row, &eis, (const uint8_t *)"<x/>", 4, &ks, 1), -EEXIST);
	CU_ASSERT_EQUAL(smsr_store_eis_count(s), 1);
	CU_ASSERT_EQUAL(smsr_store_eis_get(s, EID, &got), 0);
	CU_ASSERT_STRING_EQUAL(got.smsr_id, "1.2.3.4");
	CU_ASSERT_EQUAL(got.state, SMSR_EIS_ACTIVE);
	CU_ASSERT_EQUAL(got.last_notif_seq, -1);
	CU_ASSERT_EQUAL(smsr_store_eis_blob(s, ctx, EID, &blob, &blen), 0);
	TEST_ASSERT_MEM_EQ(blob, blen, "<eis/>", 6);
	talloc_free(blob);
	CU_ASSERT_EQUAL(smsr_store_profile_list(s, EID, prof, 4, &n), 0);
	CU_ASSERT_EQUAL(n, 1);
	CU_ASSERT_STRING_EQUAL(prof[0].iccid, "8944000000000000001");
	CU_ASSERT_EQUAL(prof[0].state, ES_PROFILE_STATE_ENABLED);
	CU_ASSERT_EQUAL(prof[0].pol2_len, 3);
	CU_ASSERT_STRING_EQUAL(prof[0].msisdn, "491720000001");
	CU_ASSERT_EQUAL(smsr_store_keyset_get(s, EID, SMSR_KEYSET_SCP80, -1, &kgot), 0);
	CU_ASSERT_EQUAL(kgot.kvn, 1);
	TEST_ASSERT_MEM_EQ(kgot.kid, kgot.kid_len, ks.kid, 16);
	CU_ASSERT_EQUAL(smsr_store_keyset_get(s, EID, SMSR_KEYSET_SCP81, -1, &kgot), -ENOENT);

	CU_ASSERT_EQUAL(smsr_store_profile_set_state(s, "8944000000000000001", ES_PROFILE_STATE_DISABLED), 0);
	CU_ASSERT_EQUAL(smsr_store_profile_set_state(s, "8944000000000000999", ES_PROFILE_STATE_DISABLED), -ENOENT);
	CU_ASSERT_EQUAL(smsr_store_eis_set_state(s, EID, SMSR_EIS_HANDOVER_OUT, "1.2.3.5", 1000), 0);
	CU_ASSERT_EQUAL(smsr_store_eis_get(s, EID, &got), 0);
	CU_ASSERT_EQUAL(got.state, SMSR_EIS_HANDOVER_OUT);
	CU_ASSERT_STRING_EQUAL(got.peer_smsr_id, "1.2.3.5");

	/* delete takes profiles and key sets along */
	CU_ASSERT_EQUAL(smsr_store_eis_delete(s, EID), 0);
	CU_ASSERT_EQUAL(smsr_store_eis_delete(s, EID), -ENOENT);
	CU_ASSERT_EQUAL(smsr_store_profile_get(s, "8944000000000000001", &prof[0]), -ENOENT);
	CU_ASSERT_EQUAL(smsr_store_keyset_get(s, EID, SMSR_KEYSET_SCP80, 1, &kgot), -ENOENT);
	smsr_store_close(s);
}

void test_smsr_store_counter_and_notif_seq(void)
{
	struct smsr_store *s = open_mem();
	struct es_eis eis;
	struct smsr_eis_row row;
	struct smsr_keyset_row ks;
	uint64_t v = 0;

	fill_eis(&eis, &row, &ks);
	ks.counter = 41;
	CU_ASSERT_EQUAL_FATAL(smsr_store_eis_insert(s, &row, &eis, NULL, 0, &ks, 1), 0);
	CU_ASSERT_EQUAL(smsr_store_counter_next(s, EID, 1, &v), 0);
	CU_ASSERT_EQUAL(v, 42);
	CU_ASSERT_EQUAL(smsr_store_counter_next(s, EID, 1, &v), 0);
	CU_ASSERT_EQUAL(v, 43);
	CU_ASSERT_EQUAL(smsr_store_counter_next(s, EID, 9, &v), -ENOENT);
	/* a failed reservation does not advance the counter: never reused, never skipped silently */
	smsr_store_fail_after(s, 2);
	CU_ASSERT_EQUAL(smsr_store_counter_next(s, EID, 1, &v), -EIO);
	CU_ASSERT_EQUAL(smsr_store_counter_next(s, EID, 1, &v), 0);
	CU_ASSERT_EQUAL(v, 44);
	/* exhausted 5-byte counter */
	ks.counter = 0xFFFFFFFFFFULL;
	CU_ASSERT_EQUAL(smsr_store_keyset_put(s, &ks), 0);
	CU_ASSERT_EQUAL(smsr_store_counter_next(s, EID, 1, &v), -ERANGE);

	CU_ASSERT_EQUAL(smsr_store_notif_seq_check(s, EID, 7), 1);
	CU_ASSERT_EQUAL(smsr_store_notif_seq_check(s, EID, 7), 0); /* retry: confirm again, not processed */
	CU_ASSERT_EQUAL(smsr_store_notif_seq_check(s, EID, 8), 1);
	CU_ASSERT_EQUAL(smsr_store_notif_seq_check(s, "00", 8), -ENOENT);
	smsr_store_close(s);
}

void test_smsr_store_tar_alloc_audit_pending(void)
{
	struct smsr_store *s = open_mem();
	struct es_eis eis;
	struct smsr_eis_row row;
	struct smsr_keyset_row ks;
	struct smsr_audit_row a = { .op_type = 0x0200, .status = ES_STATUS_EXECUTED_SUCCESS }, al[4];
	struct smsr_pending_row p = { 0 }, pl[4];
	uint32_t tar = 0;
	size_t n;

	fill_eis(&eis, &row, &ks);
	CU_ASSERT_EQUAL_FATAL(smsr_store_eis_insert(s, &row, &eis, NULL, 0, &ks, 1), 0);
	CU_ASSERT_EQUAL(smsr_store_isdp_tar_alloc(s, EID, &tar), 0);
	CU_ASSERT_EQUAL(tar, 0x11); /* 0x10 is taken by the profile of the EIS */

	snprintf(a.eid, sizeof(a.eid), "%s", EID);
	snprintf(a.iccid, sizeof(a.iccid), "8944000000000000001");
	CU_ASSERT_EQUAL(smsr_store_audit_add(s, &a), 0);
	CU_ASSERT_EQUAL(smsr_store_audit_list(s, EID, al, 4, &n), 0);
	CU_ASSERT_EQUAL(n, 1);
	CU_ASSERT_EQUAL(al[0].op_type, 0x0200);

	snprintf(p.eid, sizeof(p.eid), "%s", EID);
	snprintf(p.kind, sizeof(p.kind), "EnableProfile");
	snprintf(p.step, sizeof(p.step), "WAIT_POR");
	CU_ASSERT_EQUAL(smsr_store_pending_add(s, &p), 0);
	CU_ASSERT(p.id > 0);
	CU_ASSERT_EQUAL(smsr_store_pending_set_step(s, p.id, "WAIT_NOTIFICATION"), 0);
	CU_ASSERT_EQUAL(smsr_store_pending_list(s, pl, 4, &n), 0);
	CU_ASSERT_EQUAL(n, 1);
	CU_ASSERT_STRING_EQUAL(pl[0].step, "WAIT_NOTIFICATION");
	CU_ASSERT_EQUAL(smsr_store_pending_del(s, p.id), 0);
	CU_ASSERT_EQUAL(smsr_store_pending_del(s, p.id), -ENOENT);
	/* the audit trail outlives the EIS */
	CU_ASSERT_EQUAL(smsr_store_eis_delete(s, EID), 0);
	CU_ASSERT_EQUAL(smsr_store_audit_list(s, EID, al, 4, &n), 0);
	CU_ASSERT_EQUAL(n, 1);
	smsr_store_close(s);
}

/* Kill between statements, emulated: fail the k-th statement of an EIS insert (EIS row, profile,
 * key sets) for every k, and check nothing of it is left. */
void test_smsr_store_crash_consistency(void)
{
	struct smsr_store *s = open_mem();
	struct es_eis eis;
	struct smsr_eis_row row, got;
	struct smsr_keyset_row ks[2], kgot;
	struct smsr_profile_row pgot;
	unsigned int k, ok_at = 0;

	fill_eis(&eis, &row, &ks[0]);
	ks[1] = ks[0];
	ks[1].kvn = 0x41;
	ks[1].kind = SMSR_KEYSET_SCP81;
	ks[1].psk_len = 16;
	for (k = 1; k < 10 && !ok_at; k++) {
		int rc;

		smsr_store_fail_after(s, k);
		rc = smsr_store_eis_insert(s, &row, &eis, NULL, 0, ks, 2);
		if (rc == 0) {
			ok_at = k;
			break;
		}
		CU_ASSERT_EQUAL(rc, -EIO);
		CU_ASSERT_EQUAL(smsr_store_eis_get(s, EID, &got), -ENOENT);
		CU_ASSERT_EQUAL(smsr_store_profile_get(s, "8944000000000000001", &pgot), -ENOENT);
		CU_ASSERT_EQUAL(smsr_store_keyset_get(s, EID, SMSR_KEYSET_SCP80, 1, &kgot), -ENOENT);
		CU_ASSERT_EQUAL(smsr_store_eis_count(s), 0);
	}
	/* BEGIN, EIS, profile, 2 key sets, COMMIT: the 7th statement is the first not hit */
	CU_ASSERT_EQUAL(ok_at, 7);
	smsr_store_fail_after(s, 0);
	CU_ASSERT_EQUAL(smsr_store_eis_count(s), 1);
	/* the same for a delete */
	for (k = 1; k < 4; k++) {
		smsr_store_fail_after(s, k);
		CU_ASSERT_EQUAL(smsr_store_eis_delete(s, EID), -EIO);
		CU_ASSERT_EQUAL(smsr_store_eis_get(s, EID, &got), 0);
		CU_ASSERT_EQUAL(smsr_store_profile_get(s, "8944000000000000001", &pgot), 0);
	}
	smsr_store_fail_after(s, 0);
	smsr_store_close(s);
}

void test_smsr_store_file_mode_0600_and_reopen(void)
{
	char path[] = "smsr_store_test_XXXXXX";
	char dbpath[64], err[256];
	struct smsr_store *s;
	struct es_eis eis;
	struct smsr_eis_row row, got;
	struct smsr_keyset_row ks;
	struct stat sb;
	int fd = mkstemp(path);

	CU_ASSERT_FATAL(fd >= 0);
	close(fd);
	unlink(path);
	snprintf(dbpath, sizeof(dbpath), "%s.db", path);
	s = smsr_store_open(ctx, dbpath, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	CU_ASSERT_EQUAL(stat(dbpath, &sb), 0);
	CU_ASSERT_EQUAL(sb.st_mode & 0777, 0600);
	fill_eis(&eis, &row, &ks);
	CU_ASSERT_EQUAL(smsr_store_eis_insert(s, &row, &eis, NULL, 0, &ks, 1), 0);
	smsr_store_close(s);
	/* a restart finds the state */
	s = smsr_store_open(ctx, dbpath, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	CU_ASSERT_EQUAL(smsr_store_eis_get(s, EID, &got), 0);
	smsr_store_close(s);
	unlink(dbpath);
	snprintf(err, sizeof(err), "%s-wal", dbpath);
	unlink(err);
	snprintf(err, sizeof(err), "%s-shm", dbpath);
	unlink(err);
	CU_ASSERT_PTR_NULL(smsr_store_open(ctx, "/nonexistent-dir/x.db", err, sizeof(err)));
}
