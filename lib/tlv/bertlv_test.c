/* Tests of the BER-TLV walker and writer. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/test/runner.h"
#include "lib/tlv/bertlv.h"

/* A TS 102 226 §5.2 expanded-format command script, definite form: AA { 22 <SELECT MF> } */
static const char *script_definite = "aa09 2207 00a40004023f00";
/* The same script in the indefinite form that SGP.02 HTTPS bodies use (digest §4.3). */
static const char *script_indefinite = "ae80 2207 00a40004023f00 0000";

void test_bertlv_short_form(void)
{
	size_t len;
	uint8_t *buf = test_unhex(script_definite, &len);
	struct bertlv t, inner;

	CU_ASSERT_EQUAL(bertlv_decode(&t, buf, len), 11);
	CU_ASSERT_EQUAL(t.tag, 0xAA);
	CU_ASSERT_EQUAL(t.tag_len, 1);
	CU_ASSERT_TRUE(t.constructed);
	CU_ASSERT_FALSE(t.indefinite);
	CU_ASSERT_EQUAL(t.len, 9);
	CU_ASSERT_EQUAL(bertlv_decode(&inner, t.value, t.len), 9);
	CU_ASSERT_EQUAL(inner.tag, 0x22);
	/* 22 has the BER constructed bit set, although TS 102 226 fills it with an APDU: the walker
	 * reports the bit as coded and leaves the interpretation to the caller. */
	CU_ASSERT_TRUE(inner.constructed);
	TEST_ASSERT_HEX_EQ(inner.value, inner.len, "00a40004023f00");
	free(buf);
}

void test_bertlv_multibyte_tags(void)
{
	/* GP certificate tag 7F21 (digest §4.6), SGP.02 ES5 BF tags, and a 3-byte tag. */
	static const struct {
		const char *hex;
		uint32_t tag;
		uint8_t tag_len;
		size_t vlen;
	} v[] = {
		{ "7f2103 930101", 0x7F21, 2, 3 },  { "5f2001 41", 0x5F20, 2, 1 }, { "bf2000", 0xBF20, 2, 0 },
		{ "df8101 01 ff", 0xDF8101, 3, 1 }, { "9f7001 3f", 0x9F70, 2, 1 }, /* ISD-P life cycle state in GET STATUS (digest §4.2) */
	};
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		size_t len;
		uint8_t *buf = test_unhex(v[i].hex, &len);
		struct bertlv t;

		CU_ASSERT_EQUAL(bertlv_decode(&t, buf, len), (int)len);
		CU_ASSERT_EQUAL(t.tag, v[i].tag);
		CU_ASSERT_EQUAL(t.tag_len, v[i].tag_len);
		CU_ASSERT_EQUAL(t.len, v[i].vlen);
		free(buf);
	}
}

void test_bertlv_long_forms(void)
{
	uint8_t buf[4 + 0x10000 + 16];
	struct bertlv t;

	/* 81: 128 bytes */
	memset(buf, 0x5A, sizeof(buf));
	memcpy(buf, "\x04\x81\x80", 3);
	CU_ASSERT_EQUAL(bertlv_decode(&t, buf, 3 + 0x80), 3 + 0x80);
	CU_ASSERT_EQUAL(t.len, 0x80);
	CU_ASSERT_FALSE(t.nonminimal_len);
	/* 82: 256 bytes */
	memcpy(buf, "\x04\x82\x01\x00", 4);
	CU_ASSERT_EQUAL(bertlv_decode(&t, buf, 4 + 0x100), 4 + 0x100);
	CU_ASSERT_EQUAL(t.len, 0x100);
	/* 83: 65536 bytes */
	memcpy(buf, "\x04\x83\x01\x00\x00", 5);
	CU_ASSERT_EQUAL(bertlv_decode(&t, buf, 5 + 0x10000), 5 + 0x10000);
	CU_ASSERT_EQUAL(t.len, 0x10000);
	/* BER allows a non-minimal long form; it decodes and is flagged. */
	memcpy(buf, "\x04\x81\x05", 3);
	CU_ASSERT_EQUAL(bertlv_decode(&t, buf, 8), 8);
	CU_ASSERT_TRUE(t.nonminimal_len);
}

void test_bertlv_errors(void)
{
	static const struct {
		const char *hex;
		int rc;
	} v[] = {
		{ "", -EAGAIN },
		{ "22", -EAGAIN },		    /* no length */
		{ "2203 0102", -EAGAIN },	    /* value shorter than length */
		{ "2281", -EAGAIN },		    /* 81 form without its byte */
		{ "2284 00000001 00", -EOVERFLOW }, /* 84 form: longer than we accept */
		{ "22ff", -EOVERFLOW },
		{ "1f8181818101 00", -EOVERFLOW },	      /* a 5-byte tag */
		{ "1f81", -EAGAIN },			      /* multi-byte tag cut */
		{ "0480 0000", -EBADMSG },		      /* indefinite length on a primitive tag */
		{ "ae80 2207 00a40004023f00", -EAGAIN },      /* no end-of-contents */
		{ "ae80 2209 00a40004023f00 0000", -EAGAIN }, /* child overruns into the EOC */
	};
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		size_t len;
		uint8_t *buf = test_unhex(v[i].hex, &len);
		struct bertlv t;
		int rc = bertlv_decode(&t, buf, len);

		if (rc != v[i].rc)
			printf("\n      vector %zu (%s): got %d want %d", i, v[i].hex, rc, v[i].rc);
		CU_ASSERT_EQUAL(rc, v[i].rc);
		free(buf);
	}
}

void test_bertlv_indefinite(void)
{
	size_t len;
	uint8_t *buf = test_unhex(script_indefinite, &len);
	struct bertlv t, inner;

	CU_ASSERT_EQUAL(bertlv_decode(&t, buf, len), (int)len);
	CU_ASSERT_EQUAL(t.tag, 0xAE);
	CU_ASSERT_TRUE(t.indefinite);
	CU_ASSERT_EQUAL(t.len, 9);
	CU_ASSERT_EQUAL(t.total, len);
	CU_ASSERT_EQUAL(bertlv_find(t.value, t.len, 0x22, &inner), 0);
	TEST_ASSERT_HEX_EQ(inner.value, inner.len, "00a40004023f00");
	free(buf);

	/* Nested indefinite forms end at their own 00 00. */
	buf = test_unhex("af80 af80 2302 9000 0000 2302 6a82 0000 ff", &len);
	CU_ASSERT_EQUAL(bertlv_decode(&t, buf, len), (int)len - 1);
	CU_ASSERT_EQUAL(t.len, 12);
	free(buf);
}

void test_bertlv_depth_bound(void)
{
	/* 40 nested AE 80 openings: rejected by the nesting bound, not by the stack. */
	uint8_t buf[40 * 2 + 40 * 2];
	size_t n = 0;
	struct bertlv t;

	for (int i = 0; i < 40; i++) {
		buf[n++] = 0xAE;
		buf[n++] = 0x80;
	}
	for (int i = 0; i < 40; i++) {
		buf[n++] = 0;
		buf[n++] = 0;
	}
	CU_ASSERT_EQUAL(bertlv_decode(&t, buf, n), -EBADMSG);
}

void test_bertlv_iter_and_find(void)
{
	size_t len;
	uint8_t *buf = test_unhex("8001aa 8102bbcc 5a10 89049032123456789012345678901234 ff", &len);
	struct bertlv_iter it;
	struct bertlv t;
	uint32_t tags[4];
	int n = 0, rc;

	bertlv_iter_init(&it, buf, len);
	while ((rc = bertlv_iter_next(&it, &t)) > 0 && n < 4)
		tags[n++] = t.tag;
	CU_ASSERT_EQUAL(n, 3);
	CU_ASSERT_EQUAL(tags[0], 0x80);
	CU_ASSERT_EQUAL(tags[1], 0x81);
	CU_ASSERT_EQUAL(tags[2], 0x5A);
	CU_ASSERT_EQUAL(rc, -EAGAIN); /* the trailing ff is a cut TLV */
	CU_ASSERT_EQUAL(bertlv_iter_next(&it, &t), 0);
	CU_ASSERT_EQUAL(bertlv_find(buf, len, 0x81, &t), 0);
	TEST_ASSERT_HEX_EQ(t.value, t.len, "bbcc");
	CU_ASSERT_EQUAL(bertlv_find(buf, len - 1, 0x99, &t), -ENOENT);
	CU_ASSERT_EQUAL(bertlv_find(buf, len, 0x99, &t), -EAGAIN);
	free(buf);
}

void test_bertlv_writer(void)
{
	uint8_t buf[512], big[300];
	struct bertlv_writer w;
	size_t outer, inner;

	/* The definite script, built nested. */
	bertlv_writer_init(&w, buf, sizeof(buf));
	outer = bertlv_open(&w, 0xAA);
	bertlv_put(&w, 0x22, "\x00\xa4\x00\x04\x02\x3f\x00", 7);
	bertlv_close(&w, outer);
	CU_ASSERT_EQUAL(bertlv_writer_finish(&w), 11);
	TEST_ASSERT_HEX_EQ(buf, 11, script_definite);

	/* Indefinite. */
	bertlv_writer_init(&w, buf, sizeof(buf));
	bertlv_open_indefinite(&w, 0xAE);
	bertlv_put(&w, 0x22, "\x00\xa4\x00\x04\x02\x3f\x00", 7);
	bertlv_close_indefinite(&w);
	CU_ASSERT_EQUAL(bertlv_writer_finish(&w), 13);
	TEST_ASSERT_HEX_EQ(buf, 13, script_indefinite);

	/* Multi-byte tag, nested opens and a content that needs the 82 form. */
	memset(big, 0x11, sizeof(big));
	bertlv_writer_init(&w, buf, sizeof(buf));
	outer = bertlv_open(&w, 0x7F21);
	inner = bertlv_open(&w, 0xBF20);
	bertlv_put(&w, 0x04, big, sizeof(big));
	bertlv_close(&w, inner);
	bertlv_put_u8(&w, 0x93, 0x01);
	bertlv_close(&w, outer);
	CU_ASSERT_EQUAL(bertlv_writer_finish(&w), 2 + 3 + 2 + 3 + 4 + 300 + 3);
	TEST_ASSERT_HEX_EQ(buf, 14, "7f21 820138 bf20 820130 04 82012c");
	{
		struct bertlv t, c;
		CU_ASSERT_EQUAL(bertlv_decode(&t, buf, (size_t)bertlv_writer_finish(&w)), bertlv_writer_finish(&w));
		CU_ASSERT_EQUAL(bertlv_find(t.value, t.len, 0x93, &c), 0);
		CU_ASSERT_EQUAL(c.len, 1);
	}
}

void test_bertlv_writer_exact_size(void)
{
	/* A nested build whose lengths need the 81 and 82 forms fits a buffer of exactly its size. */
	uint8_t big[300] = { 0 }, ref[400];
	struct bertlv_writer w;
	size_t o, i;
	int n;

	bertlv_writer_init(&w, ref, sizeof(ref));
	o = bertlv_open(&w, 0x7F21);
	i = bertlv_open(&w, 0xA5);
	bertlv_put(&w, 0x04, big, 130);
	bertlv_close(&w, i);
	bertlv_put(&w, 0x04, big, 150);
	bertlv_close(&w, o);
	n = bertlv_writer_finish(&w);
	CU_ASSERT_EQUAL_FATAL(n, 3 + 3 + 3 + 130 + 3 + 150 + 2);
	TEST_ASSERT_HEX_EQ(ref, 11, "7f21 820121 a58185 048182");
	for (size_t cap = (size_t)n - 1; cap <= (size_t)n; cap++) {
		uint8_t *b = malloc(cap);

		bertlv_writer_init(&w, b, cap);
		o = bertlv_open(&w, 0x7F21);
		i = bertlv_open(&w, 0xA5);
		bertlv_put(&w, 0x04, big, 130);
		bertlv_close(&w, i);
		bertlv_put(&w, 0x04, big, 150);
		bertlv_close(&w, o);
		if (cap == (size_t)n) {
			CU_ASSERT_EQUAL(bertlv_writer_finish(&w), n);
			TEST_ASSERT_MEM_EQ(b, cap, ref, (size_t)n);
		} else {
			CU_ASSERT_EQUAL(bertlv_writer_finish(&w), -EMSGSIZE);
		}
		free(b);
	}
}

void test_bertlv_writer_errors(void)
{
	uint8_t buf[8];
	struct bertlv_writer w;

	bertlv_writer_init(&w, buf, sizeof(buf));
	bertlv_put(&w, 0x22, "\x00\xa4\x00\x04\x02\x3f\x00", 7); /* 9 bytes into 8 */
	CU_ASSERT_EQUAL(bertlv_writer_finish(&w), -EMSGSIZE);
	bertlv_put_u8(&w, 0x80, 1); /* sticky */
	CU_ASSERT_EQUAL(bertlv_writer_finish(&w), -EMSGSIZE);

	bertlv_writer_init(&w, buf, sizeof(buf));
	bertlv_open_indefinite(&w, 0x04); /* primitive */
	CU_ASSERT_EQUAL(bertlv_writer_finish(&w), -EINVAL);

	/* Every capacity below the needed size fails cleanly and writes nothing past it. */
	for (size_t cap = 0; cap < 11; cap++) {
		uint8_t *b = malloc(cap ? cap : 1);
		size_t m;

		bertlv_writer_init(&w, b, cap);
		m = bertlv_open(&w, 0xAA);
		bertlv_put(&w, 0x22, "\x00\xa4\x00\x04\x02\x3f\x00", 7);
		bertlv_close(&w, m);
		CU_ASSERT_EQUAL(bertlv_writer_finish(&w), -EMSGSIZE);
		free(b);
	}
}

static int decode_cb(const uint8_t *buf, size_t len, void *priv)
{
	struct bertlv t;

	return bertlv_decode(&t, buf, len);
}

void test_bertlv_truncations(void)
{
	const char *vectors[] = { script_definite, script_indefinite, "7f2103 930101",
				  "af80 af80 2302 9000 0000 0000" };

	for (size_t i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++) {
		size_t len;
		uint8_t *buf = test_unhex(vectors[i], &len);

		CU_ASSERT_EQUAL(TEST_TRUNCATIONS_REJECTED(buf, len, decode_cb, NULL), 0);
		free(buf);
	}
}

void test_bertlv_mutations(void)
{
	size_t len;
	uint8_t *buf = test_unhex("af80 ae80 2207 00a40004023f00 0000 7f2103 930101 2302 9000 0000", &len);

	CU_ASSERT_TRUE(test_mutations_run(buf, len, decode_cb, NULL) > 0);
	free(buf);
}
