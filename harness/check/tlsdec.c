/* TLS 1.2 record decryption from a key log (see tlsdec.h). */
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
	{ 0x00A8, "PSK-AES128-GCM-SHA256", TLSDEC_MODE_GCM, 16, 0, 4, false },
	{ 0x00A9, "PSK-AES256-GCM-SHA384", TLSDEC_MODE_GCM, 32, 0, 4, true },
	{ 0x00AE, "PSK-AES128-CBC-SHA256", TLSDEC_MODE_CBC, 16, 32, 0, false },
	{ 0x00AF, "PSK-AES256-CBC-SHA384", TLSDEC_MODE_CBC, 32, 48, 0, true },
	{ 0x009C, "AES128-GCM-SHA256", TLSDEC_MODE_GCM, 16, 0, 4, false },
	{ 0x009D, "AES256-GCM-SHA384", TLSDEC_MODE_GCM, 32, 0, 4, true },
	{ 0x003C, "AES128-SHA256", TLSDEC_MODE_CBC, 16, 32, 0, false },
	{ 0x003D, "AES256-SHA256", TLSDEC_MODE_CBC, 32, 32, 0, false },
	{ 0xC023, "ECDHE-ECDSA-AES128-SHA256", TLSDEC_MODE_CBC, 16, 32, 0, false },
	{ 0xC024, "ECDHE-ECDSA-AES256-SHA384", TLSDEC_MODE_CBC, 32, 48, 0, true },
	{ 0xC027, "ECDHE-RSA-AES128-SHA256", TLSDEC_MODE_CBC, 16, 32, 0, false },
	{ 0xC028, "ECDHE-RSA-AES256-SHA384", TLSDEC_MODE_CBC, 32, 48, 0, true },
	{ 0xC02B, "ECDHE-ECDSA-AES128-GCM-SHA256", TLSDEC_MODE_GCM, 16, 0, 4, false },
	{ 0xC02C, "ECDHE-ECDSA-AES256-GCM-SHA384", TLSDEC_MODE_GCM, 32, 0, 4, true },
	{ 0xC02F, "ECDHE-RSA-AES128-GCM-SHA256", TLSDEC_MODE_GCM, 16, 0, 4, false },
	{ 0xC030, "ECDHE-RSA-AES256-GCM-SHA384", TLSDEC_MODE_GCM, 32, 0, 4, true },
	{ 0xCCA8, "ECDHE-RSA-CHACHA20-POLY1305", TLSDEC_MODE_CHACHA, 32, 0, 12, false },
	{ 0xCCA9, "ECDHE-ECDSA-CHACHA20-POLY1305", TLSDEC_MODE_CHACHA, 32, 0, 12, false },
	{ 0xCCAB, "PSK-CHACHA20-POLY1305", TLSDEC_MODE_CHACHA, 32, 0, 12, false },
	{ 0, NULL, 0, 0, 0, 0, false },
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
	{ TLSDEC_R_TLS13, "TLS 1.3 (its key-log labels are not used yet)" },
	{ TLSDEC_R_UNSUPPORTED_SUITE, "cipher suite not supported by the checker" },
	{ TLSDEC_R_NO_HANDSHAKE, "handshake not in the capture" },
	{ TLSDEC_R_BAD_MAC, "record authentication failed (wrong key or corrupted)" },
	{ TLSDEC_R_MALFORMED, "malformed record layer" },
	{ 0, NULL },
};

/* ---- key log ------------------------------------------------------------------------------------- */

#define TLSDEC_KEYLOG_MAX 1000000

struct tlsdec_kl_entry {
	uint8_t cr[32];
	uint8_t ms[48];
};

struct tlsdec_keylog {
	struct tlsdec_kl_entry *e;
	unsigned int n, cap;
	unsigned int tls13_lines;
};

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
		int nf;

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
		} else if (fl[0] > 7 && !memcmp(f[0] + fl[0] - 7, "_SECRET", 7)) {
			kl->tls13_lines++; /* CLIENT_HANDSHAKE_TRAFFIC_SECRET, EXPORTER_SECRET, ... (TLS 1.3) */
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
	return kl ? kl->n : 0;
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
	if (c->tls13 && (r->type == TLSDEC_CT_APPDATA || d->encrypted)) {
		if (c->ops->undecrypted)
			c->ops->undecrypted(c->priv, dir, r->type, TLSDEC_R_TLS13, frame);
		return;
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
