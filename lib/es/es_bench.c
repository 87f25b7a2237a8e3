/* Benchmark: SOAP encode + XSD validate + decode of an ES3-CreateISDPRequest, one core. Each phase
 * runs for a fixed wall-clock slice (bounded, ~6 s in total); rates and the validate/(encode+decode)
 * ratio are measured in the same run. Run from the repository top (loads lib/es/xsd). */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "lib/es/es.h"

#define SLICE_S 1.5

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static struct es_msg msg, dec;
static struct soap_findings f;
static uint8_t buf[65536];
static char arena[65536 * 2];
static int len;
static struct es_schema *schema;

static int op_encode(void)
{
	return es_msg_encode(buf, sizeof(buf), &msg, NULL) == len ? 0 : -1;
}

static int op_validate(void)
{
	soap_findings_init(&f);
	return es_validate(schema, buf, (size_t)len, NULL, &f) == 0 ? 0 : -1;
}

static int op_decode(void)
{
	soap_findings_init(&f);
	return es_msg_decode(&dec, arena, sizeof(arena), buf, (size_t)len, NULL, &f);
}

static int op_all(void)
{
	struct es_decode_opts o = { .schema = schema };

	if (es_msg_encode(buf, sizeof(buf), &msg, NULL) != len)
		return -1;
	soap_findings_init(&f);
	return es_msg_decode(&dec, arena, sizeof(arena), buf, (size_t)len, &o, &f) == 0 && f.n == 0 ? 0 : -1;
}

static double rate(const char *what, int (*op)(void))
{
	double t0 = now(), t;
	unsigned long n = 0;

	do {
		for (int i = 0; i < 64; i++) {
			if (op() != 0) {
				fprintf(stderr, "es_bench: %s failed\n", what);
				exit(1);
			}
		}
		n += 64;
		t = now() - t0;
	} while (t < SLICE_S);
	printf("%-40s %10.0f /s\n", what, (double)n / t);
	return (double)n / t;
}

int main(void)
{
	char dir[4096];
	double enc, val, decr, all;

	if (es_schema_load(&schema, "lib/es/xsd") < 0 &&
	    (es_xsd_dir_default(dir, sizeof(dir)) < 0 || es_schema_load(&schema, dir) < 0)) {
		fprintf(stderr, "es_bench: cannot load lib/es/xsd (run from the repository top)\n");
		return 1;
	}
	es_example_fill(&msg, ES_MSG_ES3_CREATE_ISDP_REQ);
	len = es_msg_encode(buf, sizeof(buf), &msg, NULL);
	if (len <= 0)
		return 1;
	printf("ES3-CreateISDPRequest envelope: %d bytes\n", len);
	enc = rate("encode", op_encode);
	val = rate("validate (parse + XSD)", op_validate);
	decr = rate("decode (parse + table walk)", op_decode);
	all = rate("encode + decode with XSD validation", op_all);
	printf("ratio validate / (encode+decode) time: %.2f\n", (1.0 / val) / (1.0 / enc + 1.0 / decr));
	printf("ratio full pipeline / (encode+decode) time: %.2f\n", (1.0 / all) / (1.0 / enc + 1.0 / decr));
	es_schema_free(schema);
	return 0;
}
