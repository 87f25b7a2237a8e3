/* CARD.db.keys import (see smsr_keys.h). */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <osmocom/core/utils.h>
#include <talloc.h>

#include "network/smsr/smsr_keys.h"

#define LINE_MAX_LEN 256

enum field {
	F_EID,
	F_80_KVN,
	F_80_KIC,
	F_80_KID,
	F_80_KIK,
	F_81_KVN,
	F_81_PSK,
	_NUM_F,
};

static const char *const field_names[_NUM_F] = {
	[F_EID] = "eid",	  [F_80_KVN] = "scp80.kvn", [F_80_KIC] = "scp80.kic", [F_80_KID] = "scp80.kid",
	[F_80_KIK] = "scp80.kik", [F_81_KVN] = "scp81.kvn", [F_81_PSK] = "scp81.psk",
};

/* A key value: 16, 24 or 32 bytes of hex (AES-128/192/256, 3DES 2K/3K). */
static int key_hex(const char *v, uint8_t *out, size_t *len)
{
	size_t n = strlen(v);
	int rc;

	if (n != 32 && n != 48 && n != 64)
		return -EBADMSG;
	rc = osmo_hexparse(v, out, SMSR_KEY_MAX);
	if (rc < 0 || (size_t)rc * 2 != n)
		return -EBADMSG;
	*len = (size_t)rc;
	return 0;
}

/* A KVN: two hex digits, 01..7F (GP key version numbers). */
static int kvn_hex(const char *v, uint8_t *kvn)
{
	uint8_t b;

	if (strlen(v) != 2 || osmo_hexparse(v, &b, 1) != 1 || b == 0 || b > 0x7F)
		return -EBADMSG;
	*kvn = b;
	return 0;
}

static int field_set(struct smsr_card_keys *k, enum field f, const char *v)
{
	switch (f) {
	case F_EID: {
		size_t n = strlen(v);
		if (n != 32 || strspn(v, "0123456789abcdefABCDEF") != n)
			return -EBADMSG;
		for (size_t i = 0; i <= n; i++)
			k->eid[i] = (char)toupper((unsigned char)v[i]);
		return 0;
	}
	case F_80_KVN: return kvn_hex(v, &k->scp80.kvn);
	case F_80_KIC: return key_hex(v, k->scp80.kic, &k->scp80.kic_len);
	case F_80_KID: return key_hex(v, k->scp80.kid, &k->scp80.kid_len);
	case F_80_KIK: return key_hex(v, k->scp80.kik, &k->scp80.kik_len);
	case F_81_KVN: return kvn_hex(v, &k->scp81.kvn);
	case F_81_PSK: return key_hex(v, k->scp81.psk, &k->scp81.psk_len);
	default: return -EINVAL;
	}
}

int smsr_card_keys_parse(const char *text, size_t len, struct smsr_card_keys *out)
{
	char line[LINE_MAX_LEN];
	bool seen[_NUM_F] = { false };
	size_t pos = 0;
	int rc = 0;

	if (!text || !out)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	out->scp80.kind = SMSR_KEYSET_SCP80;
	out->scp81.kind = SMSR_KEYSET_SCP81;
	while (pos < len && rc == 0) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - (text + pos)) : len - pos;
		char *eq;
		int f;

		if (n >= sizeof(line)) {
			rc = -EBADMSG;
			break;
		}
		memcpy(line, text + pos, n);
		line[n] = '\0';
		pos += n + 1;
		while (n && (line[n - 1] == '\r' || line[n - 1] == ' ' || line[n - 1] == '\t'))
			line[--n] = '\0';
		if (!n || line[0] == '#')
			continue;
		eq = strchr(line, '=');
		if (!eq) {
			rc = -EBADMSG;
			break;
		}
		*eq = '\0';
		for (f = 0; f < _NUM_F && strcmp(line, field_names[f]); f++)
			;
		if (f == _NUM_F)
			continue; /* scp80.kic_kid, scp81.dek, later additions */
		if (seen[f]) {
			rc = -EBADMSG;
			break;
		}
		seen[f] = true;
		rc = field_set(out, (enum field)f, eq + 1);
	}
	explicit_bzero(line, sizeof(line));
	if (rc == 0) {
		bool any80 = seen[F_80_KVN] || seen[F_80_KIC] || seen[F_80_KID] || seen[F_80_KIK];
		bool any81 = seen[F_81_KVN] || seen[F_81_PSK];

		out->has_scp80 = seen[F_80_KVN] && seen[F_80_KIC] && seen[F_80_KID] && seen[F_80_KIK];
		out->has_scp81 = seen[F_81_KVN] && seen[F_81_PSK];
		if (!seen[F_EID] || (any80 && !out->has_scp80) || (any81 && !out->has_scp81) ||
		    (!out->has_scp80 && !out->has_scp81) ||
		    (out->has_scp80 && out->has_scp81 && out->scp80.kvn == out->scp81.kvn))
			rc = -EBADMSG;
	}
	if (rc < 0) {
		explicit_bzero(out, sizeof(*out));
		return rc;
	}
	snprintf(out->scp80.eid, sizeof(out->scp80.eid), "%s", out->eid);
	snprintf(out->scp81.eid, sizeof(out->scp81.eid), "%s", out->eid);
	return 0;
}

/* Put one key set, keeping the counter of a row already there with the same KVN and kind. */
static int put_one(struct smsr_store *s, const struct smsr_keyset_row *k)
{
	struct smsr_keyset_row cur, row = *k;
	int rc = smsr_store_keyset_get(s, k->eid, k->kind, k->kvn, &cur);

	if (rc == 0 && cur.counter > row.counter)
		row.counter = cur.counter;
	explicit_bzero(&cur, sizeof(cur));
	rc = smsr_store_keyset_put(s, &row);
	explicit_bzero(&row, sizeof(row));
	return rc;
}

int smsr_card_keys_import(struct smsr_store *s, const struct smsr_card_keys *k)
{
	struct smsr_eis_row eis;
	int rc;

	if (!s || !k || !k->eid[0])
		return -EINVAL;
	rc = smsr_store_begin(s);
	if (rc < 0)
		return rc;
	rc = smsr_store_eis_get(s, k->eid, &eis);
	if (rc == 0 && k->has_scp80)
		rc = put_one(s, &k->scp80);
	if (rc == 0 && k->has_scp81)
		rc = put_one(s, &k->scp81);
	if (rc == 0)
		return smsr_store_commit(s);
	smsr_store_rollback(s);
	return rc;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: rsplab-smsr keys-import --db FILE CARD.db.keys...\n"
		   "  puts the ISD-R key sets that `rsplab-euicc init` wrote for a card into the SM-SR's store\n"
		   "  (after ES1.RegisterEIS of that card; the key values are never printed)\n");
}

int smsr_keys_import_main(int argc, char **argv)
{
	static const struct option opts[] = { { "db", 1, NULL, 'd' }, { "help", 0, NULL, 'h' }, { NULL, 0, NULL, 0 } };
	const char *db = NULL;
	char err[256];
	void *ctx;
	struct smsr_store *s;
	int c, status = 0;

	optind = 1;
	while ((c = getopt_long(argc, argv, "d:h", opts, NULL)) != -1) {
		switch (c) {
		case 'd': db = optarg; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (!db || optind >= argc) {
		usage(stderr);
		return 2;
	}
	ctx = talloc_named_const(NULL, 0, "keys-import");
	s = smsr_store_open(ctx, db, err, sizeof(err));
	if (!s) {
		fprintf(stderr, "rsplab-smsr keys-import: %s\n", err);
		talloc_free(ctx);
		return 1;
	}
	for (int i = optind; i < argc; i++) {
		static char text[4096];
		struct smsr_card_keys k;
		size_t n = 0;
		FILE *f = fopen(argv[i], "re");
		bool opened = f != NULL;
		int rc = -ENOENT;

		if (f) {
			n = fread(text, 1, sizeof(text), f);
			rc = n == sizeof(text) ? -EMSGSIZE : smsr_card_keys_parse(text, n, &k);
			fclose(f);
		}
		explicit_bzero(text, sizeof(text));
		if (rc == 0)
			rc = smsr_card_keys_import(s, &k);
		if (rc < 0) {
			fprintf(stderr, "rsplab-smsr keys-import: %s: %s\n", argv[i],
				rc == -ENOENT && opened ? "EID not registered here (ES1.RegisterEIS first)"
				: rc == -EBADMSG	? "not a card key file (eid=, scp80.*, scp81.* lines)"
				: rc == -EIO		? smsr_store_last_error(s)
							: strerror(-rc));
			status = 1;
		} else {
			printf("EID-%s:%s%s imported\n", k.eid, k.has_scp80 ? " SCP80" : "",
			       k.has_scp81 ? " SCP81" : "");
		}
		explicit_bzero(&k, sizeof(k));
	}
	smsr_store_close(s);
	talloc_free(ctx);
	return status;
}
