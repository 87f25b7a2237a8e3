/* HTTP message assembly without sockets: every split point, chunked edge cases, each limit,
 * pipelining, serialisation round trip. The SCP81 messages follow SGP.02 digest §5.2 (GP Amd B). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <talloc.h>

#include "lib/http/http_msg.h"
#include "lib/test/runner.h"

/* digest §5.2 step 1: the eUICC's first POST (empty body) */
static const char scp81_post[] = "POST /gsma/adminagent HTTP/1.1\r\n"
				 "Host: smsr.example\r\n"
				 "X-Admin-Protocol: globalplatform-remote-admin/1.0\r\n"
				 "X-Admin-From: //se-id/eid/89049032123451234512345678901235;"
				 "//aa-id/aid/A000000559/1010FFFFFFFF8900000100\r\n"
				 "Content-Length: 0\r\n"
				 "\r\n";
/* digest §5.2 step 2: the SM-SR's answer, chunked, with a chunk extension and a trailer */
static const char scp81_resp[] = "HTTP/1.1 200 OK\r\n"
				 "Content-Type: application/vnd.globalplatform.card-content-mgt;version=1.0\r\n"
				 "X-Admin-Next-URI: /gsma/adminagent?cmd=2\r\n"
				 "Transfer-Encoding: chunked\r\n"
				 "\r\n"
				 "4;ext=1\r\n\xAE\x80\x22\x33\r\n"
				 "3\r\n\x44\x00\x00\r\n"
				 "0\r\n"
				 "X-Trailer: t1\r\n"
				 "\r\n";

static void *ctx;

int suite_setup(void)
{
	ctx = talloc_named_const(NULL, 0, "http_msg_test");
	return ctx ? 0 : -1;
}

int suite_teardown(void)
{
	talloc_free(ctx);
	return 0;
}

/* Feed buf as pieces ending at the given cut points, each piece in an exact-size heap copy. */
static int feed_split(struct http_rx *rx, const char *msg, size_t len, size_t cut1, size_t cut2)
{
	size_t cuts[3] = { cut1, cut2, len }, off = 0;

	for (int i = 0; i < 3; i++) {
		size_t n = cuts[i] - off;
		uint8_t *piece = malloc(n ? n : 1);
		int rc;
		memcpy(piece, msg + off, n);
		rc = http_rx_feed(rx, piece, n);
		free(piece);
		if (rc < 0)
			return rc;
		if ((size_t)rc != n)
			return -1000 - rc; /* consumed less: only allowed at the message end */
		off = cuts[i];
	}
	return 0;
}

static void check_scp81_post(const struct http_msg *m)
{
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	CU_ASSERT_STRING_EQUAL(m->method, "POST");
	CU_ASSERT_STRING_EQUAL(m->url, "/gsma/adminagent");
	CU_ASSERT_EQUAL(m->num_hdr, 4);
	CU_ASSERT_STRING_EQUAL(http_msg_header(m, "x-admin-protocol"), "globalplatform-remote-admin/1.0");
	CU_ASSERT_STRING_EQUAL(http_msg_header(m, "X-Admin-From"), "//se-id/eid/89049032123451234512345678901235;"
								   "//aa-id/aid/A000000559/1010FFFFFFFF8900000100");
	CU_ASSERT_EQUAL(m->body_len, 0);
	CU_ASSERT(m->keep_alive);
	CU_ASSERT(!m->chunked);
}

static void check_scp81_resp(const struct http_msg *m)
{
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	CU_ASSERT_EQUAL(m->status, 200);
	CU_ASSERT_STRING_EQUAL(m->reason, "OK");
	CU_ASSERT(m->chunked);
	CU_ASSERT_EQUAL(m->num_hdr, 3);
	CU_ASSERT_STRING_EQUAL(http_msg_header(m, "X-Admin-Next-URI"), "/gsma/adminagent?cmd=2");
	TEST_ASSERT_HEX_EQ(m->body, m->body_len, "ae802233440000");
	CU_ASSERT_EQUAL(m->num_trailers, 1);
	CU_ASSERT_STRING_EQUAL(m->hdr[m->num_hdr].name, "X-Trailer");
	CU_ASSERT_STRING_EQUAL(m->hdr[m->num_hdr].value, "t1");
	/* the trailer is not a header */
	CU_ASSERT_PTR_NULL(http_msg_header(m, "X-Trailer"));
}

void test_http_msg_every_split_request(void)
{
	size_t len = strlen(scp81_post);

	for (size_t a = 0; a <= len; a++) {
		for (size_t b = a; b <= len; b += 7) {
			struct http_rx *rx = http_rx_alloc(ctx, true, NULL);
			CU_ASSERT_EQUAL(feed_split(rx, scp81_post, len, a, b), 0);
			CU_ASSERT(http_rx_done(rx));
			check_scp81_post(http_rx_msg(rx));
			talloc_free(rx);
		}
	}
}

void test_http_msg_every_split_response(void)
{
	size_t len = sizeof(scp81_resp) - 1;

	for (size_t a = 0; a <= len; a++) {
		for (size_t b = a; b <= len; b += 5) {
			struct http_rx *rx = http_rx_alloc(ctx, false, NULL);
			CU_ASSERT_EQUAL(feed_split(rx, scp81_resp, len, a, b), 0);
			CU_ASSERT(http_rx_done(rx));
			check_scp81_resp(http_rx_msg(rx));
			talloc_free(rx);
		}
	}
}

void test_http_msg_byte_by_byte_and_prefixes(void)
{
	size_t len = sizeof(scp81_resp) - 1;
	struct http_rx *rx = http_rx_alloc(ctx, false, NULL);

	for (size_t i = 0; i < len; i++) {
		CU_ASSERT_FALSE(http_rx_done(rx));
		CU_ASSERT_EQUAL(http_rx_feed(rx, (const uint8_t *)scp81_resp + i, 1), 1);
	}
	CU_ASSERT(http_rx_done(rx));
	check_scp81_resp(http_rx_msg(rx));
	talloc_free(rx);

	/* every proper prefix is incomplete, and EOF there is a truncation */
	for (size_t i = 1; i < len; i++) {
		rx = http_rx_alloc(ctx, false, NULL);
		CU_ASSERT_EQUAL(http_rx_feed(rx, (const uint8_t *)scp81_resp, i), (int)i);
		CU_ASSERT_FALSE(http_rx_done(rx));
		CU_ASSERT_EQUAL(http_rx_eof(rx), -EBADMSG);
		talloc_free(rx);
	}
}

void test_http_msg_pipelined_keepalive(void)
{
	static const char get[] = "GET /x HTTP/1.1\r\nConnection: close\r\n\r\n";
	char two[1024];
	size_t l1 = strlen(scp81_post), off = 0, l3 = strlen(get);
	struct http_rx *rx = http_rx_alloc(ctx, true, NULL);
	int rc;

	memcpy(two, scp81_post, l1);
	memcpy(two + l1, scp81_post, l1);
	memcpy(two + 2 * l1, get, l3);
	for (int i = 0; i < 2; i++) {
		rc = http_rx_feed(rx, (const uint8_t *)two + off, 2 * l1 + l3 - off);
		CU_ASSERT_EQUAL(rc, (int)l1);
		off += rc;
		check_scp81_post(http_rx_msg(rx));
		/* a done rx takes nothing more until next() */
		CU_ASSERT_EQUAL(http_rx_feed(rx, (const uint8_t *)two + off, 1), 0);
		http_rx_next(rx);
	}
	CU_ASSERT_EQUAL(http_rx_feed(rx, (const uint8_t *)two + off, l3), (int)l3);
	CU_ASSERT_STRING_EQUAL(http_rx_msg(rx)->method, "GET");
	CU_ASSERT_FALSE(http_rx_msg(rx)->keep_alive);
	talloc_free(rx);
}

static int feed_str(struct http_rx *rx, const char *s)
{
	return http_rx_feed(rx, (const uint8_t *)s, strlen(s));
}

void test_http_msg_chunked_edges(void)
{
	static const struct {
		const char *msg;
		int ok; /* 1 = complete, 0 = rejected */
		const char *body_hex;
	} v[] = {
		/* zero-length final chunk only: empty body */
		{ "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 1, "" },
		/* chunk extensions (with quoted value) are ignored */
		{ "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n2;a=b;c=\"d\"\r\nhi\r\n0;last\r\n\r\n", 1,
		  "6869" },
		/* upper-case hex size, trailers */
		{ "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nA\r\n0123456789\r\n0\r\nT1: a\r\nT2: b\r\n\r\n",
		  1, "30313233343536373839" },
		/* bad chunk size */
		{ "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhi\r\n0\r\n\r\n", 0, NULL },
		/* chunk data longer than its size */
		{ "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nhi\r\n0\r\n\r\n", 0, NULL },
		/* Content-Length together with chunked (request smuggling) */
		{ "POST / HTTP/1.1\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 0, NULL },
		/* a size that overflows 64 bits */
		{ "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n10000000000000000\r\n", 0, NULL },
		/* bad Content-Length */
		{ "POST / HTTP/1.1\r\nContent-Length: 1x\r\n\r\n", 0, NULL },
		/* CONNECT is not supported */
		{ "CONNECT a:443 HTTP/1.1\r\n\r\n", 0, NULL },
	};

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		struct http_rx *rx = http_rx_alloc(ctx, true, NULL);
		int rc = feed_str(rx, v[i].msg);
		if (v[i].ok) {
			CU_ASSERT_EQUAL(rc, (int)strlen(v[i].msg));
			CU_ASSERT_FATAL(http_rx_done(rx));
			TEST_ASSERT_HEX_EQ(http_rx_msg(rx)->body, http_rx_msg(rx)->body_len, v[i].body_hex);
			CU_ASSERT(http_rx_msg(rx)->chunked);
		} else {
			if (rc >= 0) /* the 64-bit overflow case stops before the end */
				fprintf(stderr, "case %zu accepted (%d)\n", i, rc);
			CU_ASSERT(rc < 0);
			CU_ASSERT(http_rx_error(rx) != HTTP_RX_OK);
			CU_ASSERT(http_rx_err_status(http_rx_error(rx)) >= 400);
			/* sticky */
			CU_ASSERT(feed_str(rx, "GET / HTTP/1.1\r\n\r\n") < 0);
		}
		talloc_free(rx);
	}
}

void test_http_msg_limits(void)
{
	struct http_limits lim = { .max_header_bytes = 100, .max_headers = 3, .max_body = 10 };
	struct http_rx *rx;
	char big[300];

	/* exactly at the header count cap: fine; one more: 431 */
	rx = http_rx_alloc(ctx, true, &lim);
	CU_ASSERT(feed_str(rx, "GET / HTTP/1.1\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n") > 0);
	CU_ASSERT(http_rx_done(rx));
	talloc_free(rx);
	rx = http_rx_alloc(ctx, true, &lim);
	CU_ASSERT_EQUAL(feed_str(rx, "GET / HTTP/1.1\r\nA: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\n\r\n"), -EMSGSIZE);
	CU_ASSERT_EQUAL(http_rx_error(rx), HTTP_RX_ERR_TOO_MANY_HEADERS);
	CU_ASSERT_EQUAL(http_rx_err_status(http_rx_error(rx)), 431);
	talloc_free(rx);

	/* header bytes */
	memset(big, 'a', sizeof(big));
	rx = http_rx_alloc(ctx, true, &lim);
	CU_ASSERT(feed_str(rx, "GET / HTTP/1.1\r\nX: ") > 0);
	CU_ASSERT_EQUAL(http_rx_feed(rx, (const uint8_t *)big, sizeof(big)), -EMSGSIZE);
	CU_ASSERT_EQUAL(http_rx_error(rx), HTTP_RX_ERR_HEADER_TOO_LARGE);
	CU_ASSERT_EQUAL(http_rx_err_status(http_rx_error(rx)), 431);
	talloc_free(rx);
	/* a long URL counts too */
	rx = http_rx_alloc(ctx, true, &lim);
	CU_ASSERT(feed_str(rx, "GET /") > 0);
	CU_ASSERT_EQUAL(http_rx_feed(rx, (const uint8_t *)big, sizeof(big)), -EMSGSIZE);
	talloc_free(rx);

	/* body: declared Content-Length over the cap fails at the header, before any body byte */
	rx = http_rx_alloc(ctx, true, &lim);
	CU_ASSERT_EQUAL(feed_str(rx, "POST / HTTP/1.1\r\nContent-Length: 11\r\n\r\n"), -EMSGSIZE);
	CU_ASSERT_EQUAL(http_rx_error(rx), HTTP_RX_ERR_BODY_TOO_LARGE);
	CU_ASSERT_EQUAL(http_rx_err_status(http_rx_error(rx)), 413);
	talloc_free(rx);
	/* exactly max_body: fine */
	rx = http_rx_alloc(ctx, true, &lim);
	CU_ASSERT(feed_str(rx, "POST / HTTP/1.1\r\nContent-Length: 10\r\n\r\n0123456789") > 0);
	CU_ASSERT(http_rx_done(rx));
	talloc_free(rx);
	/* chunked: the sum of chunks over the cap */
	rx = http_rx_alloc(ctx, true, &lim);
	CU_ASSERT_EQUAL(feed_str(rx, "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n01234\r\n6\r\n"),
			-EMSGSIZE);
	CU_ASSERT_EQUAL(http_rx_error(rx), HTTP_RX_ERR_BODY_TOO_LARGE);
	talloc_free(rx);
	/* response read until close, over the cap */
	rx = http_rx_alloc(ctx, false, &lim);
	CU_ASSERT(feed_str(rx, "HTTP/1.1 200 OK\r\n\r\n0123456789") > 0);
	CU_ASSERT_EQUAL(feed_str(rx, "x"), -EMSGSIZE);
	talloc_free(rx);
}

void test_http_msg_response_until_eof_and_head(void)
{
	struct http_rx *rx = http_rx_alloc(ctx, false, NULL);

	CU_ASSERT(feed_str(rx, "HTTP/1.0 200 OK\r\n\r\nabc") > 0);
	CU_ASSERT_FALSE(http_rx_done(rx));
	CU_ASSERT_EQUAL(http_rx_eof(rx), 0);
	CU_ASSERT(http_rx_done(rx));
	CU_ASSERT_EQUAL(http_rx_msg(rx)->body_len, 3);
	CU_ASSERT_FALSE(http_rx_msg(rx)->keep_alive);
	talloc_free(rx);

	/* 204 and HEAD answers have no body */
	rx = http_rx_alloc(ctx, false, NULL);
	CU_ASSERT(feed_str(rx, "HTTP/1.1 204 No Content\r\n\r\n") > 0);
	CU_ASSERT(http_rx_done(rx));
	http_rx_next(rx);
	http_rx_expect_no_body(rx);
	CU_ASSERT(feed_str(rx, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n") > 0);
	CU_ASSERT(http_rx_done(rx));
	CU_ASSERT_EQUAL(http_rx_msg(rx)->body_len, 0);
	talloc_free(rx);

	/* EOF before anything: not an error */
	rx = http_rx_alloc(ctx, false, NULL);
	CU_ASSERT_EQUAL(http_rx_eof(rx), 0);
	CU_ASSERT_FALSE(http_rx_done(rx));
	talloc_free(rx);
}

void test_http_msg_encode_roundtrip(void)
{
	static const uint8_t script[] = { 0xAE, 0x80, 0x22, 0x33, 0x44, 0x00, 0x00 };
	struct http_header h[] = {
		{ "Content-Type", "application/vnd.globalplatform.card-content-mgt;version=1.0" },
		{ "X-Admin-Next-URI", "/next" },
	};
	struct http_out o = { .status = 200,
			      .hdr = h,
			      .num_hdr = 2,
			      .body = script,
			      .body_len = sizeof(script),
			      .chunked = true,
			      .chunk_size = 3 };
	struct http_buf b = { 0 };
	struct http_rx *rx = http_rx_alloc(ctx, false, NULL);
	const struct http_msg *m;

	CU_ASSERT_EQUAL(http_out_encode(ctx, &b, &o, false), 0);
	CU_ASSERT_EQUAL(http_rx_feed(rx, b.data, b.len), (int)b.len);
	m = http_rx_msg(rx);
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	CU_ASSERT(m->chunked);
	TEST_ASSERT_MEM_EQ(m->body, m->body_len, script, sizeof(script));
	CU_ASSERT_STRING_EQUAL(http_msg_header(m, "X-Admin-Next-URI"), "/next");
	/* the exact wire form of the chunked body */
	{
		static const char wire[] = "3\r\n\xAE\x80\x22\r\n3\r\n\x33\x44\x00\r\n1\r\n\x00\r\n0\r\n\r\n";
		CU_ASSERT_PTR_NOT_NULL(memmem(b.data, b.len, wire, sizeof(wire) - 1));
	}

	/* request with Content-Length and Connection: close */
	b.len = 0;
	http_rx_next(rx);
	talloc_free(rx);
	rx = http_rx_alloc(ctx, true, NULL);
	o = (struct http_out){ .method = "POST", .url = "/a?b=c", .body = script, .body_len = 7, .close = true };
	CU_ASSERT_EQUAL(http_out_encode(ctx, &b, &o, true), 0);
	CU_ASSERT_EQUAL(http_rx_feed(rx, b.data, b.len), (int)b.len);
	m = http_rx_msg(rx);
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	CU_ASSERT_STRING_EQUAL(m->url, "/a?b=c");
	CU_ASSERT_FALSE(m->keep_alive);
	CU_ASSERT_EQUAL(m->body_len, 7);
	talloc_free(rx);

	/* header injection and framing headers are refused, the buffer is unchanged */
	{
		size_t before = b.len;
		struct http_header bad1[] = { { "X", "a\r\nInjected: 1" } };
		struct http_header bad2[] = { { "Content-Length", "5" } };
		o = (struct http_out){ .status = 200, .hdr = bad1, .num_hdr = 1 };
		CU_ASSERT_EQUAL(http_out_encode(ctx, &b, &o, false), -EINVAL);
		o.hdr = bad2;
		CU_ASSERT_EQUAL(http_out_encode(ctx, &b, &o, false), -EINVAL);
		o = (struct http_out){ .method = "GET", .url = "/a b" };
		CU_ASSERT_EQUAL(http_out_encode(ctx, &b, &o, true), -EINVAL);
		CU_ASSERT_EQUAL(b.len, before);
	}
	CU_ASSERT_STRING_EQUAL(http_status_reason(431), "Request Header Fields Too Large");
	talloc_free(b.data);
}

void test_http_msg_empty_header_value(void)
{
	struct http_rx *rx = http_rx_alloc(ctx, true, NULL);
	const struct http_msg *m;

	CU_ASSERT(feed_str(rx, "GET / HTTP/1.1\r\nX-Empty:\r\nX-Next: v\r\nX-E2: \r\n\r\n") > 0);
	m = http_rx_msg(rx);
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	CU_ASSERT_EQUAL(m->num_hdr, 3);
	CU_ASSERT_STRING_EQUAL(http_msg_header(m, "X-Empty"), "");
	CU_ASSERT_STRING_EQUAL(http_msg_header(m, "X-Next"), "v");
	CU_ASSERT_STRING_EQUAL(http_msg_header(m, "X-E2"), "");
	talloc_free(rx);
}

static int decode_req(const uint8_t *buf, size_t len, void *priv)
{
	struct http_rx *rx = http_rx_alloc(priv, true, NULL);
	int rc = http_rx_feed(rx, buf, len);

	if (rc >= 0 && !http_rx_done(rx))
		rc = -EAGAIN;
	talloc_free(rx);
	return rc;
}

void test_http_msg_mutations(void)
{
	unsigned long acc = test_mutations_run((const uint8_t *)scp81_post, strlen(scp81_post), decode_req, ctx);

	/* not vacuous: many mutants (header values) stay valid, many do not */
	CU_ASSERT(acc > 1000);
	CU_ASSERT(acc < 256UL * strlen(scp81_post));
}
