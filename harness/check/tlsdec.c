/* TLS 1.2 and 1.3 record decryption from a key log (see tlsdec.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <talloc.h>

#include "harness/check/tlsdec.h"
#include "lib/crypto/sym.h"
#include "lib/crypto/tlsrec.h"

/* ---- record header ------------------------------------------------------------------------------ */

int tlsdec_record_decode(struct tlsdec_record *r, const uint8_t *buf, size_t len)
{
	size_t flen;

	if (!r || (!buf && len))
		return -EINVAL;
	if (len < TLSDEC_REC_HDR)
		return -EAGAIN;
	if (buf[0] < TLSDEC_CT_CCS || buf[0] > TLSDEC_CT_HEARTBEAT || buf[1] != 3)
		return -EBADMSG;
	flen = (size_t)buf[3] << 8 | buf[4];
	if (flen > TLSDEC_MAX_FRAGMENT)
		return -EBADMSG; /* RFC 5246 §6.2.3: TLSCiphertext.length <= 2^14 + 2048 */
	if (len - TLSDEC_REC_HDR < flen)
		return -EAGAIN;
	r->type = buf[0];
	r->version = (uint16_t)(buf[1] << 8 | buf[2]);
	r->fragment = buf + TLSDEC_REC_HDR;
	r->len = flen;
	return (int)(TLSDEC_REC_HDR + flen);
}

bool tlsdec_looks_like_tls(const uint8_t *buf, size_t len)
{
	return len >= 3 && buf[0] == TLSDEC_CT_HANDSHAKE && buf[1] == 3 && buf[2] <= 4;
}

/* ---- hellos ----------------------------------------------------------------------------------------- */

static uint16_t be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

int tlsdec_hello_decode(struct tlsdec_hello *h, uint8_t msg_type, const uint8_t *b, size_t len)
{
	size_t off = 0, n, ext_end;

	if (!h || (!b && len) || (msg_type != 1 && msg_type != 2))
		return -EINVAL;
	memset(h, 0, sizeof(*h));
	h->msg_type = msg_type;
	if (len < 2 + 32 + 1)
		return -EBADMSG;
	h->legacy_version = be16(b);
	memcpy(h->random, b + 2, 32);
	off = 34;
	n = b[off++]; /* session id */
	if (n > 32 || len - off < n)
		return -EBADMSG;
	off += n;
	if (msg_type == 1) { /* RFC 5246 §7.4.1.2 */
		if (len - off < 2)
			return -EBADMSG;
		n = be16(b + off);
		off += 2;
		if (n % 2 || len - off < n)
			return -EBADMSG;
		off += n;
		if (len - off < 1)
			return -EBADMSG;
		n = b[off++];
		if (len - off < n)
			return -EBADMSG;
		off += n;
	} else { /* RFC 5246 §7.4.1.3 */
		if (len - off < 3)
			return -EBADMSG;
		h->suite = be16(b + off);
		off += 3; /* suite, compression method */
	}
	if (off == len)
		return 0; /* no extensions */
	if (len - off < 2)
		return -EBADMSG;
	n = be16(b + off);
	off += 2;
	if (len - off < n)
		return -EBADMSG;
	ext_end = off + n;
	while (off < ext_end) {
		uint16_t type;
		size_t el;

		if (ext_end - off < 4)
			return -EBADMSG;
		type = be16(b + off);
		el = be16(b + off + 2);
		off += 4;
		if (ext_end - off < el)
			return -EBADMSG;
		if (type == 22)
			h->encrypt_then_mac = true; /* RFC 7366 */
		else if (type == 23)
			h->extended_master_secret = true; /* RFC 7627 */
		else if (type == 43 && msg_type == 2 && el == 2)
			h->selected_version = be16(b + off); /* RFC 8446 §4.2.1 */
		off += el;
	}
	return 0;
}

/* ---- suites -------------------------------------------------------------------------------------- */

/* IANA TLS Cipher Suites registry; RFC 5487 (PSK), RFC 5289 (ECDHE SHA-2), RFC 5288, RFC 7905. */
const struct tlsdec_suite tlsdec_suites[] = {
	{ 0x00A8, "PSK-AES128-GCM-SHA256", TLSDEC_MODE_GCM, 16, 0, 4, false, false },
	{ 0x00A9, "PSK-AES256-GCM-SHA384", TLSDEC_MODE_GCM, 32, 0, 4, true, false },
	{ 0x00AE, "PSK-AES128-CBC-SHA256", TLSDEC_MODE_CBC, 16, 32, 0, false, false },
	{ 0x00AF, "PSK-AES256-CBC-SHA384", TLSDEC_MODE_CBC, 32, 48, 0, true, false },
	{ 0x009C, "AES128-GCM-SHA256", TLSDEC_MODE_GCM, 16, 0, 4, false, false },
	{ 0x009D, "AES256-GCM-SHA384", TLSDEC_MODE_GCM, 32, 0, 4, true, false },
	{ 0x003C, "AES128-SHA256", TLSDEC_MODE_CBC, 16, 32, 0, false, false },
	{ 0x003D, "AES256-SHA256", TLSDEC_MODE_CBC, 32, 32, 0, false, false },
	{ 0xC023, "ECDHE-ECDSA-AES128-SHA256", TLSDEC_MODE_CBC, 16, 32, 0, false, false },
	{ 0xC024, "ECDHE-ECDSA-AES256-SHA384", TLSDEC_MODE_CBC, 32, 48, 0, true, false },
	{ 0xC027, "ECDHE-RSA-AES128-SHA256", TLSDEC_MODE_CBC, 16, 32, 0, false, false },
	{ 0xC028, "ECDHE-RSA-AES256-SHA384", TLSDEC_MODE_CBC, 32, 48, 0, true, false },
	{ 0xC02B, "ECDHE-ECDSA-AES128-GCM-SHA256", TLSDEC_MODE_GCM, 16, 0, 4, false, false },
	{ 0xC02C, "ECDHE-ECDSA-AES256-GCM-SHA384", TLSDEC_MODE_GCM, 32, 0, 4, true, false },
	{ 0xC02F, "ECDHE-RSA-AES128-GCM-SHA256", TLSDEC_MODE_GCM, 16, 0, 4, false, false },
	{ 0xC030, "ECDHE-RSA-AES256-GCM-SHA384", TLSDEC_MODE_GCM, 32, 0, 4, true, false },
	{ 0xCCA8, "ECDHE-RSA-CHACHA20-POLY1305", TLSDEC_MODE_CHACHA, 32, 0, 12, false, false },
	{ 0xCCA9, "ECDHE-ECDSA-CHACHA20-POLY1305", TLSDEC_MODE_CHACHA, 32, 0, 12, false, false },
	{ 0xCCAB, "PSK-CHACHA20-POLY1305", TLSDEC_MODE_CHACHA, 32, 0, 12, false, false },
	/* RFC 8446 §B.4 */
	{ 0x1301, "TLS_AES_128_GCM_SHA256", TLSDEC_MODE_GCM, 16, 0, 12, false, true },
	{ 0x1302, "TLS_AES_256_GCM_SHA384", TLSDEC_MODE_GCM, 32, 0, 12, true, true },
	{ 0x1303, "TLS_CHACHA20_POLY1305_SHA256", TLSDEC_MODE_CHACHA, 32, 0, 12, false, true },
	{ 0, NULL, 0, 0, 0, 0, false, false },
};

const struct tlsdec_suite *tlsdec_suite_find(uint16_t id)
{
	for (const struct tlsdec_suite *s = tlsdec_suites; s->name; s++)
		if (s->id == id)
			return s;
	return NULL;
}

const struct value_string tlsdec_reason_names[] = {
	{ TLSDEC_R_NONE, "decrypted" },
	{ TLSDEC_R_NO_KEYLOG, "no key-log entry for this client random" },
	{ TLSDEC_R_TLS13, "TLS 1.3 record the checker cannot open (0-RTT early data)" },
	{ TLSDEC_R_UNSUPPORTED_SUITE, "cipher suite not supported by the checker" },
	{ TLSDEC_R_NO_HANDSHAKE, "handshake not in the capture" },
	{ TLSDEC_R_BAD_MAC, "record authentication failed (wrong key or corrupted)" },
	{ TLSDEC_R_MALFORMED, "malformed record layer" },
	{ 0, NULL },
};

/* ---- key log ------------------------------------------------------------------------------------- */

#define TLSDEC_KEYLOG_MAX 1000000

static int unhex_exact(const char *s, size_t slen, uint8_t *out, size_t n);

struct tlsdec_kl_entry {
	uint8_t cr[32];
	uint8_t ms[48];
};

struct tlsdec_kl13_entry {
	uint8_t cr[32];
	uint8_t which; /* enum tlsdec_secret */
	uint8_t len;
	uint8_t secret[TLSDEC_SECRET_MAX];
};

struct tlsdec_keylog {
	struct tlsdec_kl_entry *e;
	unsigned int n, cap;
	struct tlsdec_kl13_entry *e13;
	unsigned int n13, cap13;
	unsigned int tls13_lines;
};

const struct value_string tlsdec_secret_names[] = {
	{ TLSDEC_S_CLIENT_HS, "CLIENT_HANDSHAKE_TRAFFIC_SECRET" },
	{ TLSDEC_S_SERVER_HS, "SERVER_HANDSHAKE_TRAFFIC_SECRET" },
	{ TLSDEC_S_CLIENT_AP0, "CLIENT_TRAFFIC_SECRET_0" },
	{ TLSDEC_S_SERVER_AP0, "SERVER_TRAFFIC_SECRET_0" },
	{ 0, NULL },
};

static int kl13_label(const char *f, size_t fl)
{
	for (const struct value_string *v = tlsdec_secret_names; v->str; v++)
		if (strlen(v->str) == fl && !memcmp(v->str, f, fl))
			return (int)v->value;
	return -1;
}

/* A TLS 1.3 line: CLIENT_RANDOM-style random, then a 32- or 48-byte secret (SHA-256 / SHA-384 suites). */
static int kl13_add(struct tlsdec_keylog *kl, int which, const char *cr, size_t crl, const char *sec, size_t secl)
{
	struct tlsdec_kl13_entry e;

	memset(&e, 0, sizeof(e));
	if (unhex_exact(cr, crl, e.cr, 32))
		return -EBADMSG;
	if (secl == 64)
		e.len = 32;
	else if (secl == 96)
		e.len = 48;
	else
		return -EBADMSG;
	if (unhex_exact(sec, secl, e.secret, e.len))
		return -EBADMSG;
	e.which = (uint8_t)which;
	if (kl->n13 >= TLSDEC_KEYLOG_MAX)
		return -EBADMSG;
	if (kl->n13 == kl->cap13) {
		unsigned int nc = kl->cap13 ? kl->cap13 * 2 : 64;
		struct tlsdec_kl13_entry *ne = talloc_realloc(kl, kl->e13, struct tlsdec_kl13_entry, nc);

		if (!ne)
			return -ENOMEM;
		kl->e13 = ne;
		kl->cap13 = nc;
	}
	kl->e13[kl->n13++] = e;
	memset(&e, 0, sizeof(e));
	return 0;
}

struct tlsdec_keylog *tlsdec_keylog_alloc(void *ctx)
{
	return talloc_zero(ctx, struct tlsdec_keylog);
}

static int unhex_exact(const char *s, size_t slen, uint8_t *out, size_t n)
{
	if (slen != 2 * n)
		return -EBADMSG;
	for (size_t i = 0; i < n; i++) {
		int v = 0;

		for (int k = 0; k < 2; k++) {
			char ch = s[2 * i + k];

			v <<= 4;
			if (ch >= '0' && ch <= '9')
				v |= ch - '0';
			else if (ch >= 'a' && ch <= 'f')
				v |= ch - 'a' + 10;
			else if (ch >= 'A' && ch <= 'F')
				v |= ch - 'A' + 10;
			else
				return -EBADMSG;
		}
		out[i] = (uint8_t)v;
	}
	return 0;
}

/* Split a line into up to 3 space-separated fields. */
static int split3(const char *line, size_t len, const char **f, size_t *fl)
{
	size_t i = 0;
	int n = 0;

	while (i < len && n < 4) {
		while (i < len && (line[i] == ' ' || line[i] == '\t'))
			i++;
		if (i == len)
			break;
		if (n == 3)
			return 4;
		f[n] = line + i;
		while (i < len && line[i] != ' ' && line[i] != '\t')
			i++;
		fl[n] = (size_t)(line + i - f[n]);
		n++;
	}
	return n;
}

int tlsdec_keylog_add_text(struct tlsdec_keylog *kl, const char *text, size_t len, unsigned int *bad)
{
	size_t pos = 0;
	int added = 0;

	if (!kl || (!text && len))
		return -EINVAL;
	while (pos < len) {
		const char *line = text + pos, *nl = memchr(line, '\n', len - pos);
		size_t ll = nl ? (size_t)(nl - line) : len - pos;
		const char *f[3];
		size_t fl[3];
		int nf, which;

		pos += ll + (nl ? 1 : 0);
		if (ll && line[ll - 1] == '\r')
			ll--;
		if (ll == 0 || line[0] == '#')
			continue;
		nf = split3(line, ll, f, fl);
		if (nf != 3) {
			if (bad)
				(*bad)++;
			continue;
		}
		if (fl[0] == 13 && !memcmp(f[0], "CLIENT_RANDOM", 13)) {
			struct tlsdec_kl_entry e;

			if (unhex_exact(f[1], fl[1], e.cr, 32) || unhex_exact(f[2], fl[2], e.ms, 48)) {
				if (bad)
					(*bad)++;
				continue;
			}
			if (kl->n >= TLSDEC_KEYLOG_MAX) {
				if (bad)
					(*bad)++;
				continue;
			}
			if (kl->n == kl->cap) {
				unsigned int nc = kl->cap ? kl->cap * 2 : 64;
				struct tlsdec_kl_entry *ne = talloc_realloc(kl, kl->e, struct tlsdec_kl_entry, nc);

				if (!ne)
					return -ENOMEM;
				kl->e = ne;
				kl->cap = nc;
			}
			kl->e[kl->n++] = e;
			added++;
		} else if ((which = kl13_label(f[0], fl[0])) >= 0) {
			int rc = kl13_add(kl, which, f[1], fl[1], f[2], fl[2]);

			kl->tls13_lines++;
			if (rc == -ENOMEM)
				return rc;
			if (rc < 0) {
				if (bad)
					(*bad)++;
				continue;
			}
			added++;
		} else if ((fl[0] > 7 && !memcmp(f[0] + fl[0] - 7, "_SECRET", 7)) ||
			   (fl[0] > 9 && !memcmp(f[0] + fl[0] - 9, "_SECRET_0", 9))) {
			kl->tls13_lines++; /* EXPORTER_SECRET, CLIENT_EARLY_TRAFFIC_SECRET: not used */
		} else if (bad) {
			(*bad)++;
		}
	}
	return added;
}

int tlsdec_keylog_load(struct tlsdec_keylog *kl, const char *path, unsigned int *bad)
{
	FILE *f = fopen(path, "r");
	char *buf;
	long sz;
	int rc;

	if (!f)
		return -errno;
	if (fseek(f, 0, SEEK_END) || (sz = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) || sz > 256L * 1024 * 1024) {
		fclose(f);
		return -EIO;
	}
	buf = malloc(sz ? (size_t)sz : 1);
	if (!buf) {
		fclose(f);
		return -ENOMEM;
	}
	if (fread(buf, 1, (size_t)sz, f) != (size_t)sz) {
		free(buf);
		fclose(f);
		return -EIO;
	}
	fclose(f);
	rc = tlsdec_keylog_add_text(kl, buf, (size_t)sz, bad);
	free(buf);
	return rc;
}

unsigned int tlsdec_keylog_count(const struct tlsdec_keylog *kl)
{
	return kl ? kl->n + kl->n13 : 0;
}

unsigned int tlsdec_keylog_tls13_lines(const struct tlsdec_keylog *kl)
{
	return kl ? kl->tls13_lines : 0;
}

const uint8_t *tlsdec_keylog_find(const struct tlsdec_keylog *kl, const uint8_t cr[32])
{
	if (!kl)
		return NULL;
	/* the last line for a random wins (a re-written log) */
	for (unsigned int i = kl->n; i-- > 0;)
		if (!memcmp(kl->e[i].cr, cr, 32))
			return kl->e[i].ms;
	return NULL;
}

const uint8_t *tlsdec_keylog_find13(const struct tlsdec_keylog *kl, const uint8_t cr[32], enum tlsdec_secret which,
				    size_t *len)
{
	if (!kl)
		return NULL;
	for (unsigned int i = kl->n13; i-- > 0;)
		if (kl->e13[i].which == which && !memcmp(kl->e13[i].cr, cr, 32)) {
			if (len)
				*len = kl->e13[i].len;
			return kl->e13[i].secret;
		}
	return NULL;
}

/* ---- TLS 1.3 key schedule ------------------------------------------------------------------------ */

int tlsdec_hkdf_expand_label(bool sha384, const uint8_t *secret, size_t secret_len, const char *label,
			     const uint8_t *context, size_t context_len, uint8_t *out, size_t out_len)
{
	/* RFC 8446 §7.1: HkdfLabel = uint16 length ‖ opaque label<7..255> ("tls13 " ‖ Label) ‖
	 * opaque context<0..255>; HKDF-Expand (RFC 5869 §2.3): T(1) = HMAC(PRK, info ‖ 0x01). One block
	 * suffices: out_len is at most the hash length. */
	uint8_t info[2 + 1 + 255 + 1 + 255 + 1], t[48];
	size_t ll = label ? strlen(label) : 0, hlen = sha384 ? 48 : 32, n = 0;
	int rc;

	if (!secret || !out || !label || out_len == 0 || out_len > hlen || 6 + ll > 255 || context_len > 255 ||
	    (!context && context_len))
		return -EINVAL;
	info[n++] = (uint8_t)(out_len >> 8);
	info[n++] = (uint8_t)out_len;
	info[n++] = (uint8_t)(6 + ll);
	memcpy(info + n, "tls13 ", 6);
	n += 6;
	memcpy(info + n, label, ll);
	n += ll;
	info[n++] = (uint8_t)context_len;
	if (context_len)
		memcpy(info + n, context, context_len);
	n += context_len;
	info[n++] = 0x01;
	rc = crypto_hmac(sha384 ? CRYPTO_MD_SHA384 : CRYPTO_MD_SHA256, secret, secret_len, info, n, t);
	if (rc < 0)
		return -EIO;
	memcpy(out, t, out_len);
	memset(t, 0, sizeof(t));
	return 0;
}

/* ---- connection ---------------------------------------------------------------------------------- */

struct tlsdec_dir {
	uint8_t rec[TLSDEC_REC_HDR + TLSDEC_MAX_FRAGMENT];
	size_t have;
	uint8_t *hs; /* handshake reassembly (cleartext only) */
	size_t hs_len;
	bool hs_overflow;
	bool encrypted; /* ChangeCipherSpec seen */
	bool broken;
	uint64_t seq;
	uint8_t mac_key[48], key[32], iv[12];
	/* TLS 1.3: the current traffic secret and its generation (0 handshake, 1 application_0, 2 after one
	 * KeyUpdate ...), and a walk over the encrypted handshake messages (header bytes, body left) that
	 * finds Finished and KeyUpdate without buffering them */
	bool k13, k13_failed;
	unsigned int gen;
	uint8_t ts[TLSDEC_SECRET_MAX];
	size_t ts_len;
	uint8_t hh[4];
	uint8_t hh_have;
	uint32_t body_left;
	int next_gen; /* set by Finished/KeyUpdate: applies after the record (RFC 8446 §5.1) */
};

struct tlsdec_conn {
	const struct tlsdec_keylog *kl;
	const struct tlsdec_ops *ops;
	void *priv;
	struct tlsdec_dir d[2];
	int client_dir;
	bool have_cr, have_sr, tls13, etm, keys_ok;
	enum tlsdec_reason why; /* when !keys_ok and encrypted */
	uint8_t cr[32], sr[32];
	uint16_t suite_id, version;
	const struct tlsdec_suite *suite;
	uint8_t out[TLSDEC_MAX_FRAGMENT];
};

static int tlsdec_conn_destructor(struct tlsdec_conn *c)
{
	/* key material must not linger in freed memory */
	for (int i = 0; i < 2; i++) {
		memset(c->d[i].ts, 0, sizeof(c->d[i].ts));
		memset(c->d[i].mac_key, 0, sizeof(c->d[i].mac_key));
		memset(c->d[i].key, 0, sizeof(c->d[i].key));
		memset(c->d[i].iv, 0, sizeof(c->d[i].iv));
	}
	return 0;
}

struct tlsdec_conn *tlsdec_conn_alloc(void *ctx, const struct tlsdec_keylog *kl, const struct tlsdec_ops *ops,
				      void *priv)
{
	struct tlsdec_conn *c = talloc_zero(ctx, struct tlsdec_conn);

	if (!c)
		return NULL;
	talloc_set_destructor(c, tlsdec_conn_destructor);
	c->kl = kl;
	c->ops = ops;
	c->priv = priv;
	c->client_dir = -1;
	c->why = TLSDEC_R_NO_HANDSHAKE;
	return c;
}

int tlsdec_conn_client_dir(const struct tlsdec_conn *c)
{
	return c->client_dir;
}

bool tlsdec_conn_decrypting(const struct tlsdec_conn *c)
{
	return c->keys_ok;
}

/* RFC 5246 §6.3: key_block = PRF(master_secret, "key expansion", server_random + client_random). */
static void derive_keys(struct tlsdec_conn *c)
{
	const struct tlsdec_suite *s = c->suite;
	uint8_t seed[64], kb[2 * (48 + 32 + 12)];
	const uint8_t *ms;
	size_t need, off = 0;

	if (c->keys_ok || c->client_dir < 0)
		return;
	if (c->tls13) {
		c->why = TLSDEC_R_TLS13;
		return;
	}
	if (!c->have_cr || !c->have_sr) {
		c->why = TLSDEC_R_NO_HANDSHAKE;
		return;
	}
	if (!s) {
		c->why = TLSDEC_R_UNSUPPORTED_SUITE;
		return;
	}
	ms = tlsdec_keylog_find(c->kl, c->cr);
	if (!ms) {
		c->why = TLSDEC_R_NO_KEYLOG;
		return;
	}
	memcpy(seed, c->sr, 32);
	memcpy(seed + 32, c->cr, 32);
	need = 2u * (s->mac_len + s->key_len + s->fixed_iv_len);
	if (crypto_tls12_prf(s->sha384 ? CRYPTO_MD_SHA384 : CRYPTO_MD_SHA256, ms, 48, "key expansion", seed, 64, kb,
			     need)) {
		c->why = TLSDEC_R_UNSUPPORTED_SUITE;
		return;
	}
	int cd = c->client_dir, sd = 1 - c->client_dir;
	memcpy(c->d[cd].mac_key, kb + off, s->mac_len);
	off += s->mac_len;
	memcpy(c->d[sd].mac_key, kb + off, s->mac_len);
	off += s->mac_len;
	memcpy(c->d[cd].key, kb + off, s->key_len);
	off += s->key_len;
	memcpy(c->d[sd].key, kb + off, s->key_len);
	off += s->key_len;
	memcpy(c->d[cd].iv, kb + off, s->fixed_iv_len);
	off += s->fixed_iv_len;
	memcpy(c->d[sd].iv, kb + off, s->fixed_iv_len);
	memset(kb, 0, sizeof(kb));
	c->keys_ok = true;
	c->why = TLSDEC_R_NONE;
}

/* ---- TLS 1.3 ------------------------------------------------------------------------------------ */

/* Key and iv of one direction from its traffic secret (RFC 8446 §7.3). */
static int tls13_keys_from_secret(struct tlsdec_conn *c, struct tlsdec_dir *d)
{
	const struct tlsdec_suite *s = c->suite;

	if (tlsdec_hkdf_expand_label(s->sha384, d->ts, d->ts_len, "key", NULL, 0, d->key, s->key_len) ||
	    tlsdec_hkdf_expand_label(s->sha384, d->ts, d->ts_len, "iv", NULL, 0, d->iv, 12))
		return -EIO;
	d->seq = 0;
	d->k13 = true;
	c->keys_ok = true;
	return 0;
}

/* Load generation gen (0 handshake, 1 application_0) of dir's secret from the key log. */
static enum tlsdec_reason tls13_load(struct tlsdec_conn *c, int dir, unsigned int gen)
{
	struct tlsdec_dir *d = &c->d[dir];
	bool client = dir == c->client_dir;
	enum tlsdec_secret which;
	const uint8_t *sec;
	size_t len = 0;

	if (!c->have_cr || c->client_dir < 0)
		return TLSDEC_R_NO_HANDSHAKE;
	if (!c->suite || !c->suite->tls13)
		return TLSDEC_R_UNSUPPORTED_SUITE;
	if (gen == 0)
		which = client ? TLSDEC_S_CLIENT_HS : TLSDEC_S_SERVER_HS;
	else
		which = client ? TLSDEC_S_CLIENT_AP0 : TLSDEC_S_SERVER_AP0;
	sec = tlsdec_keylog_find13(c->kl, c->cr, which, &len);
	if (!sec || len != (c->suite->sha384 ? 48u : 32u))
		return TLSDEC_R_NO_KEYLOG;
	memcpy(d->ts, sec, len);
	d->ts_len = len;
	d->gen = gen;
	if (tls13_keys_from_secret(c, d))
		return TLSDEC_R_UNSUPPORTED_SUITE;
	return TLSDEC_R_NONE;
}

/* RFC 8446 §7.2: application_traffic_secret_N+1 = HKDF-Expand-Label(secret_N, "traffic upd", "", Hash.length) */
static void tls13_next_gen(struct tlsdec_conn *c, struct tlsdec_dir *d)
{
	uint8_t n[TLSDEC_SECRET_MAX];

	if (d->gen == 0) {
		d->k13 = false; /* application_0 is loaded from the key log on the next record */
		d->gen = 1;
		return;
	}
	if (tlsdec_hkdf_expand_label(c->suite->sha384, d->ts, d->ts_len, "traffic upd", NULL, 0, n, d->ts_len)) {
		d->k13 = false;
		d->k13_failed = true;
		return;
	}
	memcpy(d->ts, n, d->ts_len);
	memset(n, 0, sizeof(n));
	d->gen++;
	if (tls13_keys_from_secret(c, d))
		d->k13_failed = true;
}

/* Open a TLS 1.3 record (RFC 8446 §5.2) into c->out; returns the TLSInnerPlaintext length (content ‖
 * type ‖ zeros) or -EBADMSG. Does not advance the sequence number on failure. */
static int tls13_open(struct tlsdec_conn *c, struct tlsdec_dir *d, const struct tlsdec_record *r)
{
	uint8_t nonce[12], aad[5];
	int rc;

	if (r->len < CRYPTO_AEAD_TAG + 1)
		return -EBADMSG;
	memcpy(nonce, d->iv, 12);
	for (int i = 0; i < 8; i++)
		nonce[4 + i] ^= (uint8_t)(d->seq >> (56 - 8 * i)); /* §5.3 */
	aad[0] = r->type;
	aad[1] = (uint8_t)(r->version >> 8);
	aad[2] = (uint8_t)r->version;
	aad[3] = (uint8_t)(r->len >> 8);
	aad[4] = (uint8_t)r->len;
	rc = crypto_aead_decrypt(c->suite->mode == TLSDEC_MODE_CHACHA ? CRYPTO_AEAD_CHACHA20_POLY1305
								      : CRYPTO_AEAD_AES_GCM,
				 d->key, c->suite->key_len, nonce, aad, 5, r->fragment, r->len, c->out);
	if (rc >= 0)
		d->seq++;
	return rc;
}

/* Walk decrypted handshake bytes: Finished (20) ends the handshake keys, KeyUpdate (24) the current
 * application keys (RFC 8446 §4.4.4, §4.6.3); both take effect after the record. */
static void tls13_hs_walk(struct tlsdec_dir *d, const uint8_t *p, size_t len)
{
	while (len) {
		if (d->body_left) {
			size_t n = d->body_left < len ? d->body_left : len;

			d->body_left -= (uint32_t)n;
			p += n;
			len -= n;
			continue;
		}
		d->hh[d->hh_have++] = *p++;
		len--;
		if (d->hh_have < 4)
			continue;
		d->hh_have = 0;
		d->body_left = (uint32_t)d->hh[1] << 16 | (uint32_t)d->hh[2] << 8 | d->hh[3];
		if (d->hh[0] == 20 || d->hh[0] == 24)
			d->next_gen = 1;
	}
}

static void tls13_record(struct tlsdec_conn *c, int dir, const struct tlsdec_record *r, uint32_t frame)
{
	struct tlsdec_dir *d = &c->d[dir];
	enum tlsdec_reason why = TLSDEC_R_NONE;
	size_t n;
	int rc;
	uint8_t type;

	if (!c->have_sr) {
		why = c->have_cr ? TLSDEC_R_TLS13 : TLSDEC_R_NO_HANDSHAKE; /* 0-RTT early data */
		goto undecrypted;
	}
	if (d->k13_failed) {
		why = TLSDEC_R_BAD_MAC;
		goto undecrypted;
	}
	if (!d->k13) {
		why = tls13_load(c, dir, d->gen);
		if (why == TLSDEC_R_NO_KEYLOG && d->gen == 0)
			why = tls13_load(c, dir, 1); /* handshake secrets missing: try the application ones */
		if (why != TLSDEC_R_NONE)
			goto undecrypted;
	}
	rc = tls13_open(c, d, r);
	if (rc < 0 && d->gen == 0) {
		uint64_t seq = d->seq;

		/* the Finished was not seen (or not recognised): the record may be under application_0 */
		if (tls13_load(c, dir, 1) == TLSDEC_R_NONE)
			rc = tls13_open(c, d, r);
		if (rc < 0 && tls13_load(c, dir, 0) == TLSDEC_R_NONE)
			d->seq = seq; /* back to the handshake keys where they were */
	}
	if (rc < 0) {
		if (d->k13)
			d->seq++; /* the record used its sequence number: the next one may still open */
		why = TLSDEC_R_BAD_MAC;
		goto undecrypted;
	}
	/* §5.4: the content type is the last non-zero byte; all zeros is an unexpected_message */
	n = (size_t)rc;
	while (n && !c->out[n - 1])
		n--;
	if (!n) {
		why = TLSDEC_R_MALFORMED;
		goto undecrypted;
	}
	type = c->out[--n];
	switch (type) {
	case TLSDEC_CT_HANDSHAKE:
		d->next_gen = 0;
		tls13_hs_walk(d, c->out, n);
		if (d->next_gen)
			tls13_next_gen(c, d);
		return;
	case TLSDEC_CT_APPDATA:
		if (c->ops->app && n)
			c->ops->app(c->priv, dir, c->out, n, frame);
		return;
	case TLSDEC_CT_ALERT:
		if (n >= 2 && c->ops->alert)
			c->ops->alert(c->priv, dir, c->out[0], c->out[1], frame);
		return;
	default: return;
	}
undecrypted:
	if (c->ops->undecrypted)
		c->ops->undecrypted(c->priv, dir, r->type, why, frame);
}

static void aad_build(uint8_t aad[13], uint64_t seq, uint8_t type, uint16_t version, size_t len)
{
	for (int i = 0; i < 8; i++)
		aad[i] = (uint8_t)(seq >> (56 - 8 * i));
	aad[8] = type;
	aad[9] = (uint8_t)(version >> 8);
	aad[10] = (uint8_t)version;
	aad[11] = (uint8_t)(len >> 8);
	aad[12] = (uint8_t)len;
}

/* Open one protected record of dir into c->out. Returns the plaintext length or -EBADMSG. */
static int open_record(struct tlsdec_conn *c, int dir, const struct tlsdec_record *r)
{
	struct tlsdec_dir *d = &c->d[dir];
	const struct tlsdec_suite *s = c->suite;
	uint8_t aad[13], nonce[12], mac[48];
	enum crypto_md md;
	uint64_t seq = d->seq++;
	int rc;

	if (!s)
		return -EBADMSG;
	md = s->sha384 ? CRYPTO_MD_SHA384 : CRYPTO_MD_SHA256;

	switch (s->mode) {
	case TLSDEC_MODE_GCM: /* RFC 5288 §3: nonce = salt(4) ‖ explicit(8) */
		if (r->len < 8 + CRYPTO_AEAD_TAG)
			return -EBADMSG;
		memcpy(nonce, d->iv, 4);
		memcpy(nonce + 4, r->fragment, 8);
		aad_build(aad, seq, r->type, r->version, r->len - 8 - CRYPTO_AEAD_TAG);
		return crypto_aead_decrypt(CRYPTO_AEAD_AES_GCM, d->key, s->key_len, nonce, aad, 13, r->fragment + 8,
					   r->len - 8, c->out);
	case TLSDEC_MODE_CHACHA: /* RFC 7905 §2: nonce = iv XOR (0^32 ‖ seq64) */
		if (r->len < CRYPTO_AEAD_TAG)
			return -EBADMSG;
		memcpy(nonce, d->iv, 12);
		for (int i = 0; i < 8; i++)
			nonce[4 + i] ^= (uint8_t)(seq >> (56 - 8 * i));
		aad_build(aad, seq, r->type, r->version, r->len - CRYPTO_AEAD_TAG);
		return crypto_aead_decrypt(CRYPTO_AEAD_CHACHA20_POLY1305, d->key, s->key_len, nonce, aad, 13,
					   r->fragment, r->len, c->out);
	case TLSDEC_MODE_CBC: {
		/* RFC 5246 §6.2.3.2: IV(16) ‖ E(content ‖ MAC ‖ padding ‖ padding_length); with RFC 7366
		 * encrypt-then-MAC: IV ‖ E(content ‖ padding ‖ padding_length) ‖ MAC over the ciphertext. */
		const uint8_t *ct = r->fragment + 16;
		size_t ct_len, plen, pad;

		if (c->etm) {
			if (r->len < 16 + 16 + (size_t)s->mac_len)
				return -EBADMSG;
			ct_len = r->len - 16 - s->mac_len;
			aad_build(aad, seq, r->type, r->version, r->len - s->mac_len);
			rc = crypto_hmac2(md, d->mac_key, s->mac_len, aad, 13, r->fragment, r->len - s->mac_len, mac);
			if (rc < 0 || !crypto_mem_equal(mac, r->fragment + r->len - s->mac_len, s->mac_len))
				return -EBADMSG;
		} else {
			if (r->len < 16 + 16 || (r->len - 16) < (size_t)s->mac_len + 1)
				return -EBADMSG;
			ct_len = r->len - 16;
		}
		if (ct_len == 0 || ct_len % 16)
			return -EBADMSG;
		if (crypto_aes_cbc(false, d->key, s->key_len, r->fragment, ct, ct_len, c->out))
			return -EBADMSG;
		pad = c->out[ct_len - 1];
		if (pad + 1 > ct_len)
			return -EBADMSG;
		for (size_t i = 0; i <= pad; i++)
			if (c->out[ct_len - 1 - i] != pad)
				return -EBADMSG;
		plen = ct_len - pad - 1;
		if (!c->etm) {
			if (plen < s->mac_len)
				return -EBADMSG;
			plen -= s->mac_len;
			aad_build(aad, seq, r->type, r->version, plen);
			rc = crypto_hmac2(md, d->mac_key, s->mac_len, aad, 13, c->out, plen, mac);
			if (rc < 0 || !crypto_mem_equal(mac, c->out + plen, s->mac_len))
				return -EBADMSG;
		}
		return (int)plen;
	}
	}
	return -EBADMSG;
}

static void handle_hs_msgs(struct tlsdec_conn *c, int dir, uint32_t frame)
{
	struct tlsdec_dir *d = &c->d[dir];
	size_t off = 0;

	while (d->hs_len - off >= 4) {
		uint8_t type = d->hs[off];
		size_t mlen = (size_t)d->hs[off + 1] << 16 | (size_t)d->hs[off + 2] << 8 | d->hs[off + 3];
		struct tlsdec_hello h;

		if (mlen > TLSDEC_MAX_HS - 4) {
			d->hs_overflow = true;
			d->hs_len = 0;
			return;
		}
		if (d->hs_len - off - 4 < mlen)
			break;
		/* hellos after the keys are known (renegotiation, or garbage) do not change the session */
		if ((type == 1 || type == 2) && !c->keys_ok &&
		    tlsdec_hello_decode(&h, type, d->hs + off + 4, mlen) == 0) {
			if (type == 1) {
				memcpy(c->cr, h.random, 32);
				c->have_cr = true;
				c->client_dir = dir;
			} else {
				memcpy(c->sr, h.random, 32);
				c->have_sr = true;
				c->suite_id = h.suite;
				c->suite = tlsdec_suite_find(h.suite);
				c->version = h.selected_version ? h.selected_version : h.legacy_version;
				c->tls13 = h.selected_version >= 0x0304;
				c->etm = h.encrypt_then_mac && c->suite && c->suite->mode == TLSDEC_MODE_CBC;
				if (c->client_dir < 0)
					c->client_dir = 1 - dir;
				if (c->ops->hello)
					c->ops->hello(c->priv, c->suite, c->suite_id, c->version, frame);
			}
		}
		off += 4 + mlen;
	}
	memmove(d->hs, d->hs + off, d->hs_len - off);
	d->hs_len -= off;
}

static void handle_record(struct tlsdec_conn *c, int dir, const struct tlsdec_record *r, uint32_t frame)
{
	struct tlsdec_dir *d = &c->d[dir];
	const uint8_t *pt = r->fragment;
	size_t pt_len = r->len;

	if (r->type == TLSDEC_CT_CCS) {
		if (!c->tls13) {
			d->encrypted = true;
			d->seq = 0;
			derive_keys(c);
		}
		return;
	}
	if (c->tls13 || (r->type == TLSDEC_CT_APPDATA && c->have_cr && !c->have_sr)) {
		/* RFC 8446 §5: every protected record is application_data outside; handshake and alert records
		 * before the keys are in the clear; ChangeCipherSpec is only for middleboxes (§D.4) */
		if (r->type == TLSDEC_CT_APPDATA) {
			tls13_record(c, dir, r, frame);
			return;
		}
	}
	if (d->encrypted) {
		int rc;

		if (!c->keys_ok) {
			if (c->ops->undecrypted)
				c->ops->undecrypted(c->priv, dir, r->type, c->why, frame);
			return;
		}
		rc = open_record(c, dir, r);
		if (rc < 0) {
			if (c->ops->undecrypted)
				c->ops->undecrypted(c->priv, dir, r->type, TLSDEC_R_BAD_MAC, frame);
			return;
		}
		pt = c->out;
		pt_len = (size_t)rc;
	} else if (r->type == TLSDEC_CT_APPDATA) {
		/* application data before ChangeCipherSpec: the handshake was not captured */
		if (c->ops->undecrypted)
			c->ops->undecrypted(c->priv, dir, r->type, TLSDEC_R_NO_HANDSHAKE, frame);
		return;
	}
	switch (r->type) {
	case TLSDEC_CT_HANDSHAKE:
		if (d->encrypted)
			return; /* Finished / renegotiation: nothing the checker needs */
		if (!d->hs) {
			d->hs = talloc_size(c, TLSDEC_MAX_HS);
			if (!d->hs)
				return;
		}
		if (d->hs_overflow || pt_len > TLSDEC_MAX_HS - d->hs_len) {
			d->hs_overflow = true;
			return;
		}
		memcpy(d->hs + d->hs_len, pt, pt_len);
		d->hs_len += pt_len;
		handle_hs_msgs(c, dir, frame);
		return;
	case TLSDEC_CT_APPDATA:
		if (c->ops->app && pt_len)
			c->ops->app(c->priv, dir, pt, pt_len, frame);
		return;
	case TLSDEC_CT_ALERT:
		if (pt_len >= 2 && c->ops->alert)
			c->ops->alert(c->priv, dir, pt[0], pt[1], frame);
		return;
	default: return;
	}
}

int tlsdec_conn_feed(struct tlsdec_conn *c, int dir, const uint8_t *data, size_t len, uint32_t frame)
{
	struct tlsdec_dir *d;

	if (!c || dir < 0 || dir > 1 || (!data && len))
		return -EINVAL;
	d = &c->d[dir];
	if (d->broken)
		return -EBADMSG;
	while (len) {
		struct tlsdec_record r;
		size_t take = sizeof(d->rec) - d->have;
		int rc;

		if (take > len)
			take = len;
		memcpy(d->rec + d->have, data, take);
		d->have += take;
		data += take;
		len -= take;
		for (;;) {
			rc = tlsdec_record_decode(&r, d->rec, d->have);
			if (rc == -EAGAIN)
				break;
			if (rc < 0) {
				d->broken = true;
				if (c->ops->undecrypted)
					c->ops->undecrypted(c->priv, dir, d->rec[0], TLSDEC_R_MALFORMED, frame);
				return -EBADMSG;
			}
			handle_record(c, dir, &r, frame);
			memmove(d->rec, d->rec + rc, d->have - (size_t)rc);
			d->have -= (size_t)rc;
		}
	}
	return 0;
}

void tlsdec_conn_gap(struct tlsdec_conn *c, int dir)
{
	if (c && dir >= 0 && dir <= 1)
		c->d[dir].broken = true;
}
