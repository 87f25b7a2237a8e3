/* harness/check: unit tests per layer with crafted frames written as pcaps in memory — pcap reader,
 * link/IP/TCP decoding, TCP reassembly (out of order, retransmission, overlap, gap, wrap-around),
 * TLS record layer + key log + a synthetic TLS 1.2 session decrypted end to end, SMPP/SMS/SCP80 and
 * Kannel decoding, SOAP/ES findings and the procedure rules. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <talloc.h>

#include "harness/check/check.h"
#include "harness/check/check_internal.h"
#include "harness/check/kv.h"
#include "harness/check/pcapbuf.h"
#include "harness/check/pkt.h"
#include "harness/check/tcpr.h"
#include "harness/check/tlsdec.h"
#include "lib/crypto/tlsrec.h"
#include "lib/scp80/scp80.h"
#include "lib/smpp/smpp.h"
#include "harness/check/check_testframe.h"
#include "lib/test/runner.h"

static void *ctx;

int suite_setup(void)
{
	ctx = talloc_named_const(NULL, 0, "check_test");
	return ctx ? 0 : -1;
}

int suite_teardown(void)
{
	talloc_free(ctx);
	return 0;
}

/* ---- frame builder: Ethernet / IPv4 / TCP (checksums are not checked by the decoder) -------------- */

static size_t build_tcp(uint8_t *f, uint32_t src, uint16_t sport, uint32_t dst, uint16_t dport, uint32_t seq,
			uint8_t flags, const void *payload, size_t plen)
{
	return tf_build_tcp(f, src, sport, dst, dport, seq, flags, payload, plen);
}

/* An in-memory pcap being written. */
struct mpcap {
	uint8_t *buf;
	size_t len, cap;
};

static void mpcap_init(struct mpcap *m, uint32_t linktype)
{
	m->cap = 1 << 20;
	m->buf = talloc_size(ctx, m->cap);
	m->len = (size_t)pcapbuf_write_header(m->buf, m->cap, linktype, 65535);
}

static void mpcap_add(struct mpcap *m, const uint8_t *f, size_t len)
{
	int n = pcapbuf_write_record(m->buf + m->len, m->cap - m->len, 1700000000000000ull + m->len, f, (uint32_t)len);

	CU_ASSERT_FATAL(n > 0);
	m->len += (size_t)n;
}

#define A_CLI 0x7f000001u
#define A_SRV 0x7f000002u

/* A TCP conversation helper: tracks both sequence numbers. */
struct conv {
	struct mpcap *m;
	uint32_t seq[2];
	uint16_t port[2];
};

static void conv_open(struct conv *c, struct mpcap *m, uint16_t sport, uint16_t dport)
{
	uint8_t f[128];

	c->m = m;
	c->port[0] = sport;
	c->port[1] = dport;
	c->seq[0] = 1000;
	c->seq[1] = 0xfffffff0u; /* the server side wraps around */
	mpcap_add(m, f, build_tcp(f, A_CLI, sport, A_SRV, dport, c->seq[0]++, PKT_TCP_SYN, NULL, 0));
	mpcap_add(m, f, build_tcp(f, A_SRV, dport, A_CLI, sport, c->seq[1]++, PKT_TCP_SYN | PKT_TCP_ACK, NULL, 0));
}

/* dir 0 = client -> server. */
static void conv_send(struct conv *c, int dir, const void *data, size_t len)
{
	uint8_t *f = talloc_size(ctx, len + 64);

	mpcap_add(c->m, f,
		  build_tcp(f, dir ? A_SRV : A_CLI, c->port[dir], dir ? A_CLI : A_SRV, c->port[1 - dir], c->seq[dir],
			    PKT_TCP_ACK | PKT_TCP_PSH, data, len));
	c->seq[dir] += (uint32_t)len;
	talloc_free(f);
}

/* With CHECK_WRITE_CORPUS=DIR set, every capture a test builds is also written to DIR (how the seed
 * corpus of fuzz_check_pcap was made). */
static void maybe_write_corpus(const struct mpcap *m)
{
	static unsigned int seq;
	const char *dir = getenv("CHECK_WRITE_CORPUS");
	char path[512];
	FILE *f;

	if (!dir)
		return;
	snprintf(path, sizeof(path), "%s/seed-%02u.pcap", dir, ++seq);
	f = fopen(path, "wb");
	if (f) {
		fwrite(m->buf, 1, m->len, f);
		fclose(f);
	}
}

static struct checker *run_checker(const struct mpcap *m, const struct check_opts *o)
{
	struct checker *ck = checker_alloc(ctx, o);

	maybe_write_corpus(m);

	CU_ASSERT_PTR_NOT_NULL_FATAL(ck);
	CU_ASSERT_EQUAL(checker_run_buffer(ck, m->buf, m->len), 0);
	return ck;
}

static const struct check_event *find_event(const struct checker *ck, const char *proto, const char *needle)
{
	unsigned int n;
	const struct check_event *ev = checker_events(ck, &n);

	for (unsigned int i = 0; i < n; i++)
		if (!strcmp(ev[i].proto, proto) && strstr(ev[i].summary, needle))
			return &ev[i];
	return NULL;
}

/* ---- pcap reader --------------------------------------------------------------------------------- */

static int pcap_decode_all(const uint8_t *buf, size_t len, void *priv)
{
	struct pcapbuf pb;
	struct pcapbuf_rec r;
	int rc = pcapbuf_open(&pb, buf, len), n = 0;

	if (rc < 0)
		return rc;
	while ((rc = pcapbuf_next(&pb, &r)) == 1)
		n++;
	return rc < 0 ? rc : n;
}

void test_check_pcapbuf(void)
{
	uint8_t buf[256], rec[4] = { 1, 2, 3, 4 };
	struct pcapbuf pb;
	struct pcapbuf_rec r;
	size_t len;

	len = (size_t)pcapbuf_write_header(buf, sizeof(buf), 1, 65535);
	len += (size_t)pcapbuf_write_record(buf + len, sizeof(buf) - len, 1500000123456ull, rec, 4);
	CU_ASSERT_EQUAL(pcapbuf_open(&pb, buf, len), 24);
	CU_ASSERT_EQUAL(pb.linktype, 1);
	CU_ASSERT_EQUAL(pcapbuf_next(&pb, &r), 1);
	CU_ASSERT_EQUAL(r.caplen, 4);
	CU_ASSERT_EQUAL(r.ts_usec, 1500000123456ull);
	TEST_ASSERT_HEX_EQ(r.data, r.caplen, "01020304");
	CU_ASSERT_EQUAL(pcapbuf_next(&pb, &r), 0);
	/* every proper prefix is a truncated file, except the bare header (an empty capture) */
	for (size_t l = 0; l < len; l++) {
		int rc = pcap_decode_all(buf, l, NULL);
		CU_ASSERT(l == 24 ? rc == 0 : rc == -EAGAIN);
	}
	/* swapped byte order (a big-endian writer): magic a1b2c3d4 stored big-endian */
	static const char *be = "a1b2c3d4 0002 0004 00000000 00000000 0000ffff 00000071"
				"00000001 00000002 00000001 00000001 ab";
	uint8_t *b = test_unhex(be, &len);
	CU_ASSERT_EQUAL(pcapbuf_open(&pb, b, len), 24);
	CU_ASSERT_TRUE(pb.swapped);
	CU_ASSERT_EQUAL(pb.linktype, PKT_LINKTYPE_SLL);
	CU_ASSERT_EQUAL(pcapbuf_next(&pb, &r), 1);
	CU_ASSERT_EQUAL(r.ts_usec, 1000002ull);
	b[0] = 0;
	CU_ASSERT_EQUAL(pcapbuf_open(&pb, b, len), -EBADMSG);
	free(b);
	/* caplen above the cap */
	len = (size_t)pcapbuf_write_header(buf, sizeof(buf), 1, 65535);
	uint32_t big = PCAPBUF_MAX_CAPLEN + 1;
	memset(buf + len, 0, 16);
	memcpy(buf + len + 8, &big, 4);
	CU_ASSERT_EQUAL(pcap_decode_all(buf, len + 16, NULL), -EBADMSG);
}

/* ---- frames ---------------------------------------------------------------------------------------- */

static int pkt_cb(const uint8_t *buf, size_t len, void *priv)
{
	struct pkt p;

	return pkt_decode(&p, *(uint32_t *)priv, buf, len);
}

void test_check_pkt_link_types(void)
{
	uint8_t f[256], g[256];
	struct pkt p;
	size_t n = build_tcp(f, A_CLI, 40000, A_SRV, 2775, 7, PKT_TCP_ACK, "abc", 3);
	uint32_t lt;

	CU_ASSERT_EQUAL(pkt_decode(&p, PKT_LINKTYPE_ETHERNET, f, n), 54);
	CU_ASSERT_EQUAL(p.proto, PKT_PROTO_TCP);
	CU_ASSERT_EQUAL(p.sport, 40000);
	CU_ASSERT_EQUAL(p.dport, 2775);
	CU_ASSERT_EQUAL(p.seq, 7);
	CU_ASSERT_EQUAL(p.payload_len, 3);
	/* Ethernet padding after the IP datagram is not payload */
	memset(f + n, 0xee, 6);
	CU_ASSERT_EQUAL(pkt_decode(&p, PKT_LINKTYPE_ETHERNET, f, n + 6), 54);
	CU_ASSERT_EQUAL(p.payload_len, 3);
	/* raw IPv4, NULL (host order AF_INET), LOOP (network order), SLL, SLL2 */
	CU_ASSERT_EQUAL(pkt_decode(&p, PKT_LINKTYPE_RAW, f + 14, n - 14), 40);
	uint32_t af = 2;
	memcpy(g, &af, 4);
	memcpy(g + 4, f + 14, n - 14);
	CU_ASSERT_EQUAL(pkt_decode(&p, PKT_LINKTYPE_NULL, g, n - 10), 44);
	memset(g, 0, 4);
	g[3] = 2;
	CU_ASSERT_EQUAL(pkt_decode(&p, PKT_LINKTYPE_LOOP, g, n - 10), 44);
	memset(g, 0, 16);
	g[14] = 0x08;
	memcpy(g + 16, f + 14, n - 14);
	CU_ASSERT_EQUAL(pkt_decode(&p, PKT_LINKTYPE_SLL, g, n + 2), 56);
	memset(g, 0, 20);
	g[0] = 0x08;
	memcpy(g + 20, f + 14, n - 14);
	CU_ASSERT_EQUAL(pkt_decode(&p, PKT_LINKTYPE_SLL2, g, n + 6), 60);
	CU_ASSERT_EQUAL(p.dport, 2775);
	/* IPv6 with a hop-by-hop header, UDP */
	static const char *v6 = "000000000000 000000000000 86dd"
				"60000000 0018 00 40 00000000000000000000000000000001 00000000000000000000000000000001"
				"11 00 0000 00000000" /* hop-by-hop, next UDP, 8 bytes */
				"1234 0035 0010 0000 6869 6a6b 6c6d 6e6f";
	size_t l6;
	uint8_t *f6 = test_unhex(v6, &l6);
	CU_ASSERT(pkt_decode(&p, PKT_LINKTYPE_ETHERNET, f6, l6) > 0);
	CU_ASSERT_EQUAL(p.src.family, 6);
	CU_ASSERT_EQUAL(p.proto, PKT_PROTO_UDP);
	CU_ASSERT_EQUAL(p.dport, 53);
	CU_ASSERT_EQUAL(p.payload_len, 8);
	lt = PKT_LINKTYPE_ETHERNET;
	test_truncations_run(f6, l6, pkt_cb, &lt);
	test_mutations_run(f6, l6, pkt_cb, &lt);
	free(f6);
	/* IPv4 fragment: reported, not decoded */
	f[14 + 6] = 0x20;
	CU_ASSERT_EQUAL(pkt_decode(&p, PKT_LINKTYPE_ETHERNET, f, n), -ENOTSUP);
	CU_ASSERT_TRUE(p.fragment);
	f[14 + 6] = 0;
	/* every prefix cut inside the headers is rejected */
	lt = PKT_LINKTYPE_ETHERNET;
	uint8_t *hdr = malloc(54);
	memcpy(hdr, f, 54);
	CU_ASSERT_EQUAL(TEST_TRUNCATIONS_REJECTED(hdr, 54, pkt_cb, &lt), 0);
	CU_ASSERT(test_mutations_run(hdr, 54, pkt_cb, &lt) > 0);
	free(hdr);
	CU_ASSERT_EQUAL(pkt_decode(&p, 9999, f, n), -ENOTSUP);
	CU_ASSERT_FALSE(pkt_linktype_supported(9999));
}

/* ---- TCP reassembly ---------------------------------------------------------------------------- */

struct collect {
	char data[2][256];
	size_t len[2];
	unsigned int gaps, closes;
};

static void col_data(void *priv, struct tcpr_flow *fl, int dir, const uint8_t *d, size_t len, uint32_t frame)
{
	struct collect *c = priv;

	CU_ASSERT_FATAL(c->len[dir] + len < sizeof(c->data[dir]));
	memcpy(c->data[dir] + c->len[dir], d, len);
	c->len[dir] += len;
}

static void col_gap(void *priv, struct tcpr_flow *fl, int dir, uint64_t missing, uint32_t frame)
{
	((struct collect *)priv)->gaps++;
}

static void col_close(void *priv, struct tcpr_flow *fl, uint32_t frame)
{
	((struct collect *)priv)->closes++;
}

static const struct tcpr_ops col_ops = { col_data, col_gap, col_close };

static void feed(struct tcpr *r, uint32_t src, uint16_t sp, uint32_t dst, uint16_t dp, uint32_t seq, uint8_t flags,
		 const char *s)
{
	uint8_t f[256];
	struct pkt p;
	size_t n = build_tcp(f, src, sp, dst, dp, seq, flags, s, s ? strlen(s) : 0);

	CU_ASSERT_FATAL(pkt_decode(&p, PKT_LINKTYPE_ETHERNET, f, n) > 0);
	CU_ASSERT_EQUAL(tcpr_feed(r, &p, 1), 0);
}

void test_check_tcp_reassembly(void)
{
	struct collect c = { 0 };
	struct tcpr *r = tcpr_alloc(ctx, &col_ops, &c);
	uint32_t isn = 0xfffffffcu; /* wraps after 3 bytes */

	feed(r, A_CLI, 5000, A_SRV, 80, isn, PKT_TCP_SYN, NULL);
	feed(r, A_SRV, 80, A_CLI, 5000, 100, PKT_TCP_SYN | PKT_TCP_ACK, NULL);
	feed(r, A_CLI, 5000, A_SRV, 80, isn + 1, PKT_TCP_ACK, "abc");
	feed(r, A_CLI, 5000, A_SRV, 80, isn + 7, PKT_TCP_ACK, "ghi");  /* out of order */
	feed(r, A_CLI, 5000, A_SRV, 80, isn + 1, PKT_TCP_ACK, "abc");  /* retransmission */
	feed(r, A_CLI, 5000, A_SRV, 80, isn + 3, PKT_TCP_ACK, "cdef"); /* overlap, fills the hole */
	feed(r, A_SRV, 80, A_CLI, 5000, 101, PKT_TCP_ACK, "xyz");
	feed(r, A_CLI, 5000, A_SRV, 80, isn + 20, PKT_TCP_ACK, "late"); /* after a hole never filled */
	CU_ASSERT_EQUAL(c.len[0], 9);
	CU_ASSERT_NSTRING_EQUAL(c.data[0], "abcdefghi", 9);
	CU_ASSERT_EQUAL(c.len[1], 3);
	CU_ASSERT_EQUAL(tcpr_stats(r)->ooo_segments, 2);
	CU_ASSERT_EQUAL(tcpr_stats(r)->retrans_bytes, 4);
	tcpr_finish(r, 9);
	CU_ASSERT_EQUAL(c.gaps, 1);
	CU_ASSERT_EQUAL(c.len[0], 13);
	CU_ASSERT_NSTRING_EQUAL(c.data[0], "abcdefghilate", 13);
	CU_ASSERT_EQUAL(c.closes, 1);
	CU_ASSERT_EQUAL(tcpr_stats(r)->flows, 1);
	talloc_free(r);
}

void test_check_tcp_port_reuse_and_midstream(void)
{
	struct collect c = { 0 };
	struct tcpr *r = tcpr_alloc(ctx, &col_ops, &c);

	/* a capture starting mid-connection */
	feed(r, A_CLI, 6000, A_SRV, 80, 5000, PKT_TCP_ACK, "mid");
	feed(r, A_CLI, 6000, A_SRV, 80, 5003, PKT_TCP_ACK | PKT_TCP_FIN, "dle");
	feed(r, A_SRV, 80, A_CLI, 6000, 9, PKT_TCP_ACK | PKT_TCP_FIN, NULL);
	/* the same 4-tuple again: a new connection */
	feed(r, A_CLI, 6000, A_SRV, 80, 77, PKT_TCP_SYN, NULL);
	feed(r, A_CLI, 6000, A_SRV, 80, 78, PKT_TCP_ACK, "new");
	CU_ASSERT_EQUAL(c.closes, 1);
	CU_ASSERT_EQUAL(tcpr_stats(r)->flows, 2);
	CU_ASSERT_EQUAL(c.len[0], 9);
	CU_ASSERT_NSTRING_EQUAL(c.data[0], "middlenew", 9);
	tcpr_finish(r, 9);
	CU_ASSERT_EQUAL(c.closes, 2);
	CU_ASSERT_EQUAL(c.gaps, 0);
	talloc_free(r);
}

/* ---- TLS --------------------------------------------------------------------------------------------- */

static int rec_cb(const uint8_t *buf, size_t len, void *priv)
{
	struct tlsdec_record r;

	return tlsdec_record_decode(&r, buf, len);
}

void test_check_tls_record_and_keylog(void)
{
	size_t len;
	uint8_t *rec = test_unhex("17 0303 0004 deadbeef", &len);
	struct tlsdec_record r;
	struct tlsdec_keylog *kl = tlsdec_keylog_alloc(ctx);
	unsigned int bad = 0;
	uint8_t cr[32];

	CU_ASSERT_EQUAL(tlsdec_record_decode(&r, rec, len), 9);
	CU_ASSERT_EQUAL(r.type, TLSDEC_CT_APPDATA);
	CU_ASSERT_EQUAL(r.version, 0x0303);
	CU_ASSERT_EQUAL(TEST_TRUNCATIONS_REJECTED(rec, len, rec_cb, NULL), 0);
	rec[0] = 0x30;
	CU_ASSERT_EQUAL(tlsdec_record_decode(&r, rec, len), -EBADMSG);
	free(rec);
	rec = test_unhex("17 0303 4801", &len); /* 2^14 + 2049 */
	CU_ASSERT_EQUAL(tlsdec_record_decode(&r, rec, len), -EBADMSG);
	free(rec);

	static const char log[] = "# comment\n"
				  "CLIENT_RANDOM 0101010101010101010101010101010101010101010101010101010101010101 "
				  "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20212223242526272829"
				  "2a2b2c2d2e2f\r\n"
				  "CLIENT_RANDOM 01 02\n"
				  "CLIENT_HANDSHAKE_TRAFFIC_SECRET aa bb\n"
				  "garbage\n";
	CU_ASSERT_EQUAL(tlsdec_keylog_add_text(kl, log, sizeof(log) - 1, &bad), 1);
	CU_ASSERT_EQUAL(bad, 3);
	CU_ASSERT_EQUAL(tlsdec_keylog_count(kl), 1);
	CU_ASSERT_EQUAL(tlsdec_keylog_tls13_lines(kl), 1);
	memset(cr, 1, 32);
	CU_ASSERT_PTR_NOT_NULL(tlsdec_keylog_find(kl, cr));
	cr[31] = 2;
	CU_ASSERT_PTR_NULL(tlsdec_keylog_find(kl, cr));
}

/* A TLS 1.2 session written by hand: hellos with known randoms, the key block from a master secret
 * that is in the key log, records sealed with AES-128-GCM (C02B) as RFC 5288 says. The decoder must
 * get the plaintext back; without the key-log line it must say why. */
static size_t hs_record(uint8_t *out, uint8_t type, const uint8_t *body, size_t blen)
{
	out[0] = TLSDEC_CT_HANDSHAKE;
	out[1] = 3;
	out[2] = 3;
	out[3] = (uint8_t)((blen + 4) >> 8);
	out[4] = (uint8_t)(blen + 4);
	out[5] = type;
	out[6] = 0;
	out[7] = (uint8_t)(blen >> 8);
	out[8] = (uint8_t)blen;
	memcpy(out + 9, body, blen);
	return 9 + blen;
}

static size_t gcm_record(uint8_t *out, const uint8_t key[16], const uint8_t salt[4], uint64_t seq, const char *pt)
{
	size_t n = strlen(pt);
	uint8_t nonce[12], aad[13];

	memcpy(nonce, salt, 4);
	for (int i = 0; i < 8; i++)
		nonce[4 + i] = aad[i] = (uint8_t)(seq >> (56 - 8 * i));
	aad[8] = TLSDEC_CT_APPDATA;
	aad[9] = 3;
	aad[10] = 3;
	aad[11] = (uint8_t)(n >> 8);
	aad[12] = (uint8_t)n;
	out[0] = TLSDEC_CT_APPDATA;
	out[1] = 3;
	out[2] = 3;
	out[3] = (uint8_t)((8 + n + 16) >> 8);
	out[4] = (uint8_t)(8 + n + 16);
	memcpy(out + 5, nonce + 4, 8);
	CU_ASSERT_EQUAL(crypto_aead_encrypt(CRYPTO_AEAD_AES_GCM, key, 16, nonce, aad, 13, (const uint8_t *)pt, n,
					    out + 13),
			(int)n);
	return 13 + n + 16;
}

static void synthetic_tls(struct mpcap *m, bool tamper)
{
	uint8_t ch[64] = { 0x03, 0x03 }, sh[64] = { 0x03, 0x03 }, rec[512], ms[48], seed[64], kb[40];
	size_t n = 0;
	struct conv c;
	static const char ccs[] = { 0x14, 0x03, 0x03, 0x00, 0x01, 0x01 };

	memset(ch + 2, 0x11, 32); /* client random */
	ch[34] = 0;		  /* session id */
	ch[35] = 0;
	ch[36] = 2;
	ch[37] = 0xC0;
	ch[38] = 0x2B;
	ch[39] = 1;
	ch[40] = 0;
	memset(sh + 2, 0x22, 32); /* server random */
	sh[34] = 0;
	sh[35] = 0xC0;
	sh[36] = 0x2B;
	sh[37] = 0;
	for (int i = 0; i < 48; i++)
		ms[i] = (uint8_t)i;
	memset(seed, 0x22, 32);
	memset(seed + 32, 0x11, 32);
	/* client key(16) server key(16) client salt(4) server salt(4) */
	CU_ASSERT_EQUAL(crypto_tls12_prf(CRYPTO_MD_SHA256, ms, 48, "key expansion", seed, 64, kb, 40), 0);
	conv_open(&c, m, 44444, 8443);
	conv_send(&c, 0, rec, hs_record(rec, 1, ch, 41));
	conv_send(&c, 1, rec, hs_record(rec, 2, sh, 38));
	conv_send(&c, 0, ccs, sizeof(ccs));
	conv_send(&c, 1, ccs, sizeof(ccs));
	n = gcm_record(rec, kb, kb + 32, 0, "GET /secret HTTP/1.1\r\nHost: x\r\n\r\n");
	if (tamper)
		rec[20] ^= 1;
	conv_send(&c, 0, rec, n);
	n = gcm_record(rec, kb + 16, kb + 36, 0, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
	conv_send(&c, 1, rec, n);
}

void test_check_tls_synthetic_session(void)
{
	static const char log[] = "CLIENT_RANDOM 1111111111111111111111111111111111111111111111111111111111111111 "
				  "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20212223242526272829"
				  "2a"
				  "2b2c2d2e2f\n";
	struct tlsdec_keylog *kl = tlsdec_keylog_alloc(ctx);
	struct check_opts o;
	struct mpcap m;
	struct checker *ck;
	unsigned int nu;

	CU_ASSERT_EQUAL(tlsdec_keylog_add_text(kl, log, sizeof(log) - 1, NULL), 1);
	check_opts_init(&o);
	o.keylog = kl;
	mpcap_init(&m, PKT_LINKTYPE_ETHERNET);
	synthetic_tls(&m, false);
	ck = run_checker(&m, &o);
	CU_ASSERT_PTR_NOT_NULL(find_event(ck, "TLS", "suite C02B ECDHE-ECDSA-AES128-GCM-SHA256"));
	CU_ASSERT_PTR_NOT_NULL(find_event(ck, "HTTP", "GET /secret"));
	CU_ASSERT_PTR_NOT_NULL(find_event(ck, "HTTP", "200 OK"));
	CU_ASSERT_EQUAL(checker_stats(ck)->tls_decrypted_records, 2);
	CU_ASSERT_FALSE(checker_has(ck, "TLS-001"));
	checker_undecrypted(ck, &nu);
	CU_ASSERT_EQUAL(nu, 0);

	/* without the key: both records listed as not decrypted, with the reason */
	check_opts_init(&o);
	ck = run_checker(&m, &o);
	const struct check_undecrypted *u = checker_undecrypted(ck, &nu);
	CU_ASSERT_EQUAL(nu, 2);
	CU_ASSERT_EQUAL(u[0].why, TLSDEC_R_NO_KEYLOG);
	CU_ASSERT_TRUE(checker_has(ck, "TLS-001"));
	CU_ASSERT_PTR_NULL(find_event(ck, "HTTP", "GET /secret"));

	/* a flipped ciphertext bit: the record does not authenticate */
	o.keylog = kl;
	mpcap_init(&m, PKT_LINKTYPE_ETHERNET);
	synthetic_tls(&m, true);
	ck = run_checker(&m, &o);
	CU_ASSERT_TRUE(checker_has(ck, "TLS-002"));
	CU_ASSERT_PTR_NULL(find_event(ck, "HTTP", "GET /secret"));
	CU_ASSERT_PTR_NOT_NULL(find_event(ck, "HTTP", "200 OK"));
}

/* ---- SMPP, SMS, SCP80 (pySim AES vector keys, digest §5.1) --------------------------------------- */

static const char *const kic_hex = "200102030405060708090a0b0c0d0e0f";
static const char *const kid_hex = "201102030405060708090a0b0c0d0e0f";

static size_t smpp_with_packet(uint8_t *out, size_t cap, uint32_t cmd, uint32_t seq, const uint8_t spi[2],
			       uint64_t cntr)
{
	size_t kl, dl;
	uint8_t *kic = test_unhex(kic_hex, &kl), *kid = test_unhex(kid_hex, &dl);
	struct scp80_keys keys = { kic, kl, kid, dl };
	struct scp80_cmd_params p = { .kic = 0x12, .kid = 0x12, .tar = { 0, 0, 1 } };
	/* a remote script: AA { 22 { STORE DATA 3A03 Enable } } (expanded format, definite) */
	static const char *script = "aa1c 221a 80e28800 15 3a0312 4f10a0000005591010ffffffff8900001000";
	size_t sl;
	uint8_t *sdata = test_unhex(script, &sl);
	uint8_t ud[200] = { 0x02, 0x70, 0x00 };
	struct smpp_sm m;
	int n, e;

	memcpy(p.spi, spi, 2);
	scp80_cntr_put(p.cntr, cntr);
	n = scp80_cmd_wrap(ud + 3, sizeof(ud) - 3, &p, &keys, sdata, sl);
	CU_ASSERT_FATAL(n > 0);
	memset(&m, 0, sizeof(m));
	smpp_sm_init_data_download(&m, cmd, SMPP_DD_DCS_F6, false);
	m.seq = seq;
	strcpy(m.src.addr, "12345");
	strcpy(m.dst.addr, "491720000001");
	m.dst.ton = 1;
	m.dst.npi = 1;
	m.sm = ud;
	m.sm_len = (size_t)n + 3;
	e = smpp_sm_encode(&m, out, cap);
	CU_ASSERT_FATAL(e > 0);
	free(kic);
	free(kid);
	free(sdata);
	return (size_t)e;
}

void test_check_smpp_scp80(void)
{
	uint8_t pdu[512], resp[16] = { 0, 0, 0, 16, 0x80, 0, 0, 4, 0, 0, 0, 0, 0, 0, 0, 1 };
	static const uint8_t spi[2] = { 0x16, 0x39 };
	struct check_opts o;
	struct mpcap m;
	struct conv c;
	struct checker *ck;
	char err[128];
	static const char kv[] = "# run keys\nscp80.1.kic = 200102030405060708090a0b0c0d0e0f\n"
				 "scp80.1.kid = 201102030405060708090a0b0c0d0e0f\n";

	check_opts_init(&o);
	CU_ASSERT_EQUAL(check_kv_parse_scp80(&o, kv, sizeof(kv) - 1, err, sizeof(err)), 1);
	mpcap_init(&m, PKT_LINKTYPE_ETHERNET);
	conv_open(&c, &m, 50000, 2775);
	conv_send(&c, 0, pdu, smpp_with_packet(pdu, sizeof(pdu), SMPP_CMD_SUBMIT_SM, 1, spi, 1));
	conv_send(&c, 1, resp, sizeof(resp));
	/* the same counter again: a replay */
	conv_send(&c, 0, pdu, smpp_with_packet(pdu, sizeof(pdu), SMPP_CMD_SUBMIT_SM, 2, spi, 1));
	ck = run_checker(&m, &o);
	const struct check_event *ev = find_event(ck, "SMPP", "submit_sm seq 1");
	CU_ASSERT_PTR_NOT_NULL_FATAL(ev);
	CU_ASSERT_TRUE(ev->has_smpp);
	CU_ASSERT_EQUAL(ev->smpp.protocol_id, 0x7F);
	CU_ASSERT_EQUAL(ev->smpp.data_coding, 0xF6);
	CU_ASSERT_EQUAL(ev->smpp.n_iei, 1);
	CU_ASSERT_EQUAL(ev->smpp.iei[0], 0x70);
	CU_ASSERT_PTR_NOT_NULL(find_event(ck, "SCP80", "SPI 1639 KIc 12 KID 12 TAR 000001"));
	CU_ASSERT_PTR_NOT_NULL(find_event(ck, "ES5", "EnableProfile"));
	CU_ASSERT_PTR_NOT_NULL(find_event(ck, "SMPP", "submit_sm_resp seq 1"));
	CU_ASSERT_TRUE(checker_has(ck, "SCP80-003")); /* the replayed counter */
	CU_ASSERT_FALSE(checker_has(ck, "SCP80-002"));
	CU_ASSERT_FALSE(checker_has(ck, "SMPP-001"));

	/* wrong keys: the CC does not verify; the 16 21 SPI is reported as a variant */
	static const char kv2[] = "scp80.1.kic = 200102030405060708090a0b0c0d0e0f\n"
				  "scp80.1.kid = 00000000000000000000000000000000\n";
	static const uint8_t spi2[2] = { 0x16, 0x21 };
	check_opts_init(&o);
	CU_ASSERT_EQUAL(check_kv_parse_scp80(&o, kv2, sizeof(kv2) - 1, err, sizeof(err)), 1);
	mpcap_init(&m, PKT_LINKTYPE_ETHERNET);
	conv_open(&c, &m, 50001, 2775);
	conv_send(&c, 0, pdu, smpp_with_packet(pdu, sizeof(pdu), SMPP_CMD_SUBMIT_SM, 1, spi2, 1));
	ck = run_checker(&m, &o);
	CU_ASSERT_TRUE(checker_has(ck, "SCP80-002"));
	CU_ASSERT_TRUE(checker_has(ck, "SCP80-005"));
	CU_ASSERT_EQUAL(checker_count(ck, CHECK_SEV_ERROR), 1);
	/* the same SPI with the variant pinned to 16 39: an error */
	o.spi_pinned = true;
	ck = run_checker(&m, &o);
	CU_ASSERT_FALSE(checker_has(ck, "SCP80-005"));
	CU_ASSERT_TRUE(checker_has(ck, "SCP80-004"));
	/* bad key files: the reason names the line, never the value */
	CU_ASSERT_EQUAL(check_kv_parse_scp80(&o, "scp80.1.kic = 12\n", 17, err, sizeof(err)), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "line 1"));
	CU_ASSERT_EQUAL(check_kv_parse_scp80(&o, "scp80.99.kid = 00\n", 18, err, sizeof(err)), -EINVAL);
}

void test_check_kannel_sendsms(void)
{
	static const char req[] = "GET /cgi-bin/sendsms?username=u&password=secret&to=4917&coding=0&pid=64"
				  "&udh=%02%70%00&text=%00%01 HTTP/1.1\r\nHost: k\r\n\r\n";
	struct check_opts o;
	struct mpcap m;
	struct conv c;
	struct checker *ck;

	check_opts_init(&o);
	mpcap_init(&m, PKT_LINKTYPE_ETHERNET);
	conv_open(&c, &m, 50002, 13013);
	conv_send(&c, 0, req, sizeof(req) - 1);
	ck = run_checker(&m, &o);
	CU_ASSERT_PTR_NOT_NULL(find_event(ck, "KANNEL", "sendsms to=4917 udh=3 octets text=2 octets coding=0 pid=64"));
	CU_ASSERT_TRUE(checker_has(ck, "KANNEL-001"));
	CU_ASSERT_TRUE(checker_has(ck, "KANNEL-002"));
	CU_ASSERT_TRUE(checker_has(ck, "SCP80-001")); /* 2 bytes are no command packet */
	/* the password never reaches the output */
	unsigned int n;
	const struct check_event *ev = checker_events(ck, &n);
	for (unsigned int i = 0; i < n; i++)
		CU_ASSERT_PTR_NULL(strstr(ev[i].summary, "secret"));
}

/* An E1 in the first POST of an admin session the card opened (lib/ramhttp carriages): the msg parameter
 * and the body form are decoded and name the SM-SR endpoint; a malformed one is a finding. (Plain HTTP
 * here: in a run it is PSK-TLS, decrypted from the SM-SR's key log like any other flow.) */
void test_check_e1_over_https(void)
{
	static const char e1[] = "E12B4C1089001012012341234012345678901224"
				 "4D01024E0200072F10A0000005591010FFFFFFFF8900001100";
	char req[512];
	uint8_t body[64];
	struct check_opts o;
	struct mpcap m;
	struct conv c;
	struct checker *ck;
	int n, bl = osmo_hexparse(e1, body, sizeof(body));

	check_opts_init(&o);
	mpcap_init(&m, PKT_LINKTYPE_ETHERNET);
	conv_open(&c, &m, 50003, 8444);
	n = snprintf(req, sizeof(req),
		     "POST /gsma/adminagent?msg=%s HTTP/1.1\r\nHost: x\r\nX-Admin-Protocol: "
		     "globalplatform-remote-admin/1.0\r\nContent-Length: 0\r\n\r\n",
		     e1);
	conv_send(&c, 0, req, (size_t)n);
	n = snprintf(req, sizeof(req),
		     "POST /gsma/adminagent HTTP/1.1\r\nHost: x\r\nX-Admin-Protocol: globalplatform-remote-admin/1.0"
		     "\r\nContent-Length: %d\r\n\r\n",
		     bl);
	memcpy(req + n, body, (size_t)bl);
	conv_send(&c, 0, req, (size_t)n + (size_t)bl);
	n = snprintf(req, sizeof(req),
		     "POST /gsma/adminagent?msg=E1054C01 HTTP/1.1\r\nHost: x\r\nX-Admin-Protocol: "
		     "globalplatform-remote-admin/1.0\r\nContent-Length: 0\r\n\r\n");
	conv_send(&c, 0, req, (size_t)n);
	ck = run_checker(&m, &o);
	if (getenv("CHECK_DEBUG")) {
		unsigned int ne;
		const struct check_event *ev = checker_events(ck, &ne);
		for (unsigned int i = 0; i < ne; i++)
			fprintf(stderr, "%s %s\n", ev[i].proto, ev[i].summary);
	}
	CU_ASSERT_PTR_NOT_NULL(find_event(ck, "E1",
					  "notification type 02 seq 7 AID tag 2F over HTTPS to 127.0.0.2:8444 (msg "
					  "parameter)"));
	CU_ASSERT_PTR_NOT_NULL(find_event(ck, "E1", "over HTTPS to 127.0.0.2:8444 (body)"));
	CU_ASSERT_TRUE(checker_has(ck, "E1-001"));
}

/* RAM over HTTP (digest §5.2): the SM-SR's script in a 200 (AE, content type card-content-mgt) and the
 * card's response POST (AF, card-content-mgt-response) are decoded like an SCP80 script and PoR. */
void test_check_scp81_scripts(void)
{
	static const uint8_t script[] = { 0xAE, 0x80, 0x22, 0x1A, 0x80, 0xE2, 0x88, 0x00, 0x15, 0x3A, 0x03,
					  0x12, 0x4F, 0x10, 0xA0, 0x00, 0x00, 0x05, 0x59, 0x10, 0x10, 0xFF,
					  0xFF, 0xFF, 0xFF, 0x89, 0x00, 0x00, 0x11, 0x00, 0x00, 0x00 };
	static const uint8_t rsp[] = { 0xAF, 0x80, 0x23, 0x02, 0x90, 0x00, 0x00, 0x00 };
	char buf[512];
	struct check_opts o;
	struct mpcap m;
	struct conv c;
	struct checker *ck;
	int n;

	check_opts_init(&o);
	mpcap_init(&m, PKT_LINKTYPE_ETHERNET);
	conv_open(&c, &m, 50004, 8444);
	n = snprintf(buf, sizeof(buf),
		     "POST /gsma/adminagent HTTP/1.1\r\nHost: x\r\nX-Admin-Protocol: globalplatform-remote-admin/1.0"
		     "\r\nContent-Length: 0\r\n\r\n");
	conv_send(&c, 0, buf, (size_t)n);
	n = snprintf(buf, sizeof(buf),
		     "HTTP/1.1 200 OK\r\nContent-Type: application/vnd.globalplatform.card-content-mgt;version=1.0\r\n"
		     "X-Admin-Next-URI: /gsma/adminagent/1/2\r\nContent-Length: %zu\r\n\r\n",
		     sizeof(script));
	memcpy(buf + n, script, sizeof(script));
	conv_send(&c, 1, buf, (size_t)n + sizeof(script));
	n = snprintf(buf, sizeof(buf),
		     "POST /gsma/adminagent/1/2 HTTP/1.1\r\nHost: x\r\nX-Admin-Protocol: "
		     "globalplatform-remote-admin/1.0"
		     "\r\nContent-Type: application/vnd.globalplatform.card-content-mgt-response;version=1.0\r\n"
		     "X-Admin-Script-Status: ok\r\nContent-Length: %zu\r\n\r\n",
		     sizeof(rsp));
	memcpy(buf + n, rsp, sizeof(rsp));
	conv_send(&c, 0, buf, (size_t)n + sizeof(rsp));
	ck = run_checker(&m, &o);
	CU_ASSERT_PTR_NOT_NULL(find_event(ck, "ES5", "EnableProfile (80 E2 88 00, DGI 3A03)"));
	CU_ASSERT_PTR_NOT_NULL(find_event(ck, "ES5", "R-APDU 0 data bytes, SW 9000"));
	CU_ASSERT_FALSE(checker_has(ck, "RSCRIPT-001"));
	CU_ASSERT_FALSE(checker_has(ck, "E1-001"));
}

/* ---- SOAP / ES and procedures ------------------------------------------------------------------- */

static size_t es_http(uint8_t *out, size_t cap, enum es_msg_id id, const char *mid, const char *relates,
		      const char *from, const char *to)
{
	struct es_msg *msg = talloc_zero(ctx, struct es_msg);
	uint8_t *body = talloc_size(ctx, 65536);
	char ct[512];
	int n, h;

	es_example_fill(msg, id);
	msg->wsa.message_id = mid;
	msg->wsa.relates_to = relates;
	msg->wsa.from = from;
	msg->wsa.to = to;
	msg->wsa.action = NULL;
	n = es_msg_encode(body, 65536, msg, NULL);
	CU_ASSERT_FATAL(n > 0);
	char action[256];
	es_action_uri(action, sizeof(action), id, &es_variant_default,
		      es_msgs[id].async && es_msgs[id].kind == ES_KIND_RESPONSE);
	soap_content_type_make(ct, sizeof(ct), action);
	h = snprintf((char *)out, cap, "POST /es HTTP/1.1\r\nHost: x\r\nContent-Type: %s\r\nContent-Length: %d\r\n\r\n",
		     ct, n);
	CU_ASSERT_FATAL(h > 0 && (size_t)h + (size_t)n < cap);
	memcpy(out + h, body, (size_t)n);
	talloc_free(msg);
	talloc_free(body);
	return (size_t)h + (size_t)n;
}

#define MNO "http://mno.test/es4?EntityId=1.3.6.1.4.1.99.1"
#define SR1 "http://sr1.test/es?EntityId=1.3.6.1.4.1.99.2"
#define SR2 "http://sr2.test/es?EntityId=1.3.6.1.4.1.99.3"

void test_check_es_procedure(void)
{
	uint8_t *buf = talloc_size(ctx, 70000);
	static const char ok[] = "HTTP/1.1 202 Accepted\r\nContent-Length: 0\r\n\r\n";
	struct check_opts o;
	struct mpcap m;
	struct conv c;
	struct checker *ck;
	struct {
		enum es_msg_id id;
		const char *mid, *rel, *from, *to;
	} seq[] = {
		{ ES_MSG_ES4_PREPARE_SMSR_CHANGE_REQ, "//1.3.6.1.4.1.99.1/a1", NULL, MNO, SR2 },
		{ ES_MSG_ES4_PREPARE_SMSR_CHANGE_RESP, "//1.3.6.1.4.1.99.3/b1", "//1.3.6.1.4.1.99.1/a1", SR2, MNO },
		{ ES_MSG_ES4_SMSR_CHANGE_REQ, "//1.3.6.1.4.1.99.1/a2", NULL, MNO, SR1 },
		/* AuthenticateSMSR before HandoverEUICC, and sent by SR1 instead of SR2 */
		{ ES_MSG_ES7_AUTHENTICATE_SMSR_REQ, "//1.3.6.1.4.1.99.2/c1", NULL, SR1, SR2 },
		{ ES_MSG_ES7_HANDOVER_EUICC_REQ, "//1.3.6.1.4.1.99.2/c2", NULL, SR1, SR2 },
		/* a response to a MessageID nobody sent */
		{ ES_MSG_ES4_SMSR_CHANGE_RESP, "//1.3.6.1.4.1.99.2/c3", "//1.3.6.1.4.1.99.1/zz", SR1, MNO },
	};

	check_opts_init(&o);
	mpcap_init(&m, PKT_LINKTYPE_ETHERNET);
	conv_open(&c, &m, 50003, 8080);
	for (size_t i = 0; i < ARRAY_SIZE(seq); i++) {
		conv_send(&c, 0, buf, es_http(buf, 70000, seq[i].id, seq[i].mid, seq[i].rel, seq[i].from, seq[i].to));
		conv_send(&c, 1, ok, sizeof(ok) - 1);
	}
	ck = run_checker(&m, &o);
	CU_ASSERT_PTR_NOT_NULL(find_event(ck, "ES", "ES4-PrepareSMSRChangeRequest"));
	CU_ASSERT_TRUE(checker_has(ck, "PROC-001")); /* RelatesTo zz */
	CU_ASSERT_TRUE(checker_has(ck, "PROC-003")); /* HandoverEUICC (5) after AuthenticateSMSR (7) */
	CU_ASSERT_TRUE(checker_has(ck, "PROC-004")); /* SR1 acting as SR2 */
	CU_ASSERT_TRUE(checker_has(ck, "PROC-006")); /* SMSRChange request unanswered */
	CU_ASSERT_TRUE(checker_has(ck, "PROC-007")); /* CreateAdditionalKeySet etc. missing */
	CU_ASSERT_FALSE(checker_has(ck, "PROC-002"));
	CU_ASSERT_FALSE(checker_has(ck, "HTTP-001"));
	/* the findings carry rule, severity, reference and frame */
	unsigned int n;
	const struct check_finding *f = checker_findings(ck, &n);
	for (unsigned int i = 0; i < n; i++) {
		CU_ASSERT_PTR_NOT_NULL(f[i].rule->ref);
		CU_ASSERT_STRING_NOT_EQUAL(f[i].rule->id, "CHK-000");
	}
	/* output: text and JSON */
	char *txt = NULL, *js = NULL;
	size_t tl, jl;
	FILE *t = open_memstream(&txt, &tl), *j = open_memstream(&js, &jl);
	checker_print_text(ck, t, true);
	checker_print_json(ck, j);
	fclose(t);
	fclose(j);
	CU_ASSERT_PTR_NOT_NULL(strstr(txt, "PROC-003"));
	CU_ASSERT_PTR_NOT_NULL(strstr(js, "\"rule\": \"PROC-003\""));
	CU_ASSERT_PTR_NOT_NULL(strstr(js, "\"ref\": \"digest §2.1, §3\""));
	free(txt);
	free(js);
	talloc_free(buf);
}

void test_check_garbage_capture(void)
{
	struct check_opts o;
	struct checker *ck;
	uint8_t junk[40] = { 0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0 };

	check_opts_init(&o);
	junk[24 + 8] = 100; /* a record claiming 100 bytes where 0 follow */
	ck = checker_alloc(ctx, &o);
	CU_ASSERT_EQUAL(checker_run_buffer(ck, junk, sizeof(junk)), -EAGAIN);
	CU_ASSERT_TRUE(checker_has(ck, "PCAP-001"));
	ck = checker_alloc(ctx, &o);
	CU_ASSERT(checker_run_buffer(ck, junk, 3) < 0);
}

/* network/sctpshim's frame carrying M3UA (an ASPUP as osmo-stp's peer sends it) is not SMPP, although its
 * first 8 bytes read like a query_sm; a real query_sm and a bind_transceiver still are. */
void test_check_app_detect_shim_not_smpp(void)
{
	size_t n;
	/* [len 0x10][ppid 3][stream 0][0] M3UA: version 1, reserved 0, class 3 (ASPSM), type 1 (ASPUP), len 0x10 */
	uint8_t *shim = test_unhex("00000010"
				   "00000003"
				   "00000000"
				   "01000301"
				   "00000010"
				   "00110008"
				   "00000001",
				   &n);
	/* (bytes 12..: the M3UA message; its length field at 16..19) */
	uint8_t *q, *b;
	size_t qn, bn;

	CU_ASSERT_EQUAL(check_app_detect(shim, n), CHECK_APP_OTHER);
	/* the same header with another M3UA length: not the shim's frame */
	shim[19] = 0x14;
	CU_ASSERT_EQUAL(check_app_detect(shim, n), CHECK_APP_SMPP);
	/* SMPP 3.4 §4.8.1 query_sm: message_id "1", source address 1/1 "555" */
	q = test_unhex("0000001b"
		       "00000003"
		       "00000000"
		       "00000007"
		       "3100"
		       "0101"
		       "35353500",
		       &qn);
	CU_ASSERT_EQUAL(check_app_detect(q, qn), CHECK_APP_SMPP);
	b = test_unhex("00000010"
		       "00000009"
		       "00000000"
		       "00000001",
		       &bn);
	CU_ASSERT_EQUAL(check_app_detect(b, bn), CHECK_APP_SMPP);
	/* Kannel's smsbox -> bearerbox admin "identify" ([len][type 1 admin][command 3][boxc_id octstr]) reads
	 * like a bind_receiver with command_status 3: a request with a non-NULL status is not SMPP */
	free(b);
	b = test_unhex("00000014"
		       "00000001"
		       "00000003"
		       "00000004"
		       "736d7331",
		       &bn);
	CU_ASSERT_EQUAL(check_app_detect(b, bn), CHECK_APP_OTHER);
	/* a response may carry an error status (generic_nack 0x80000000 with ESME_RINVCMDID) */
	free(b);
	b = test_unhex("00000010"
		       "80000000"
		       "00000003"
		       "00000001",
		       &bn);
	CU_ASSERT_EQUAL(check_app_detect(b, bn), CHECK_APP_SMPP);
	free(shim);
	free(q);
	free(b);
}
