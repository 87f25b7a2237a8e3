/* The SM-DP over real SOAP/HTTP (lib/esnet on loopback, plain HTTP): an MNO endpoint sends
 * ES2.DownloadProfile, the SM-DP runs the procedure against an SM-SR endpoint whose handlers answer
 * with the stub card, and the MNO receives the asynchronous ES2 response (step 27). Waits run under a
 * guard timer; nothing is timed. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <osmocom/core/application.h>
#include <osmocom/core/select.h>
#include <osmocom/core/talloc.h>
#include <osmocom/core/timer.h>

#include "lib/esnet/esnet.h"
#include "lib/test/runner.h"
#include "network/smdp/logging.h"
#include "network/smdp/stubcard.h"
#include "network/smdp/transport.h"

static void *ctx;

int suite_setup(void)
{
	ctx = talloc_named_const(NULL, 0, "transport_test");
	osmo_init_logging2(ctx, &smdp_log_info);
	log_set_print_timestamp(osmo_stderr_target, 0);
	log_set_log_level(osmo_stderr_target, getenv("SMDP_TEST_DEBUG") ? LOGL_DEBUG : LOGL_FATAL);
	return 0;
}

int suite_teardown(void)
{
	talloc_free(ctx);
	return 0;
}

static struct smdp_stub *g_stub;

/* The SM-SR: every ES3 request answered by the stub card. */
static void smsr_handler(struct esnet_in *in, void *priv)
{
	void *tmp = talloc_new(ctx);
	struct es_msg *resp = smdp_stub_answer(g_stub, tmp, esnet_in_msg(in));

	if (!resp)
		esnet_in_fault(in, SOAP_FAULT_SENDER, NULL, "not served");
	else if (esnet_in_respond(in, resp) < 0 && getenv("SMDP_TEST_DEBUG"))
		fprintf(stderr, "SM-SR respond failed\n");
	talloc_free(tmp);
}

struct mno_result {
	bool done;
	int rc;
	enum es_status status;
	char iccid[32];
};

static void mno_done(struct esnet_call *call, int rc, const struct es_msg *resp, const struct soap_findings *f,
		     void *priv)
{
	struct mno_result *r = priv;

	r->done = true;
	r->rc = rc;
	if (rc == 0 && resp && resp->id == ES_MSG_ES2_DOWNLOAD_PROFILE_RESP) {
		r->status = resp->u.es2_download_profile_resp.function_execution_status.status;
		osmo_strlcpy(r->iccid,
			     resp->u.es2_download_profile_resp.iccid ? resp->u.es2_download_profile_resp.iccid : "",
			     sizeof(r->iccid));
	}
}

static bool guard_fired;
static void guard_cb(void *data)
{
	guard_fired = true;
}

void test_transport_download_over_soap(void)
{
	static const enum es_msg_id es3_reqs[] = {
		ES_MSG_ES3_GET_EIS_REQ,	       ES_MSG_ES3_CREATE_ISDP_REQ,
		ES_MSG_ES3_SEND_DATA_REQ,      ES_MSG_ES3_PROFILE_DOWNLOAD_COMPLETED_REQ,
		ES_MSG_ES3_ENABLE_PROFILE_REQ, ES_MSG_ES3_DELETE_ISDP_REQ,
	};
	struct esnet_handler smsr_h[ARRAY_SIZE(es3_reqs)];
	struct esnet_cfg smsr_c = { .listen_addr = "127.0.0.1", .own_url = "http://127.0.0.1/", .own_id = "1.2.3.2" };
	struct esnet_cfg mno_c = { .listen_addr = "127.0.0.1", .own_url = "http://127.0.0.1/", .own_id = "1.2.3.3" };
	struct smdp_cfg cfg;
	struct smdp_store *store = NULL;
	struct smdp_transport *t;
	struct smdp_ops ops;
	struct smdp *s;
	struct esnet *smsr, *mno;
	struct esnet_peer to_smdp = { 0 };
	struct es_msg *req = talloc_zero(ctx, struct es_msg);
	struct mno_result res = { 0 };
	struct osmo_timer_list guard;
	char url[64];
	uint8_t eid[16];
	struct smdp_smsr_peer *peer;

	for (size_t i = 0; i < ARRAY_SIZE(es3_reqs); i++)
		smsr_h[i] = (struct esnet_handler){ es3_reqs[i], smsr_handler, NULL };
	smsr_c.handlers = smsr_h;
	smsr_c.num_handlers = ARRAY_SIZE(smsr_h);
	smsr_c.variant = es_variant_default;
	mno_c.variant = es_variant_default;

	smdp_cfg_init(&cfg);
	CU_ASSERT_EQUAL_FATAL(smdp_store_open(ctx, ":memory:", &store), 0);
	g_stub = smdp_stub_alloc(ctx, &cfg);
	CU_ASSERT_PTR_NOT_NULL_FATAL(g_stub);
	CU_ASSERT_EQUAL_FATAL(smdp_stub_add_profile(store, "8949000000000000011", "001010000000011", "m2m"), 0);
	smsr = esnet_alloc(ctx, &smsr_c);
	mno = esnet_alloc(ctx, &mno_c);
	CU_ASSERT_PTR_NOT_NULL_FATAL(smsr);
	CU_ASSERT_PTR_NOT_NULL_FATAL(mno);
	snprintf(url, sizeof(url), "http://127.0.0.1:%u/", esnet_port(mno));
	esnet_set_own_url(mno, url);
	peer = smdp_cfg_peer(&cfg, "sr1", false);
	snprintf(peer->url, sizeof(peer->url), "http://127.0.0.1:%u/", esnet_port(smsr));
	osmo_strlcpy(cfg.listen_addr, "127.0.0.1", sizeof(cfg.listen_addr));
	t = smdp_transport_alloc(ctx, &cfg, &ops);
	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	s = smdp_alloc(ctx, &cfg, store, &ops);
	smdp_transport_bind(t, s);
	g_stub->s = s;

	memcpy(eid, g_stub->eid, sizeof(eid));
	req->id = ES_MSG_ES2_DOWNLOAD_PROFILE_REQ;
	req->u.es2_download_profile_req.present = true;
	req->u.es2_download_profile_req.eid = (struct es_hex){ eid, 16 };
	req->u.es2_download_profile_req.smsr_id = "sr1";
	req->u.es2_download_profile_req.profile_type = "m2m";
	req->u.es2_download_profile_req.enable_profile = (struct es_bool){ true, true };
	snprintf(url, sizeof(url), "http://127.0.0.1:%u/", smdp_transport_port(t));
	to_smdp.url = url;
	to_smdp.variant = es_variant_default;
	CU_ASSERT_EQUAL_FATAL(esnet_call(mno, &to_smdp, req, mno_done, &res, NULL), 0);

	osmo_timer_setup(&guard, guard_cb, NULL);
	osmo_timer_schedule(&guard, 30, 0);
	while (!res.done && !guard_fired)
		osmo_select_main_ctx(0);
	osmo_timer_del(&guard);
	CU_ASSERT_FALSE(guard_fired);
	if (res.rc != 0)
		fprintf(stderr, "MNO call: rc %d (%s)\n", res.rc, esnet_last_error(mno));
	if (getenv("SMDP_TEST_DEBUG"))
		fprintf(stderr, "SM-SR: %s\n", esnet_last_error(smsr));
	CU_ASSERT_EQUAL(res.rc, 0);
	CU_ASSERT_EQUAL(res.status, ES_STATUS_EXECUTED_SUCCESS);
	CU_ASSERT_STRING_EQUAL(res.iccid, "8949000000000000011");
	CU_ASSERT(g_stub->segments > 0);
	CU_ASSERT_EQUAL(g_stub->isdp_state, 0x3F);
	CU_ASSERT_EQUAL(g_stub->n_calls[ES_MSG_ES3_DELETE_ISDP_REQ], 0);

	smdp_free(s);
	smdp_transport_free(t);
	esnet_free(smsr);
	esnet_free(mno);
	smdp_stub_free(g_stub);
	smdp_store_close(store);
	smdp_cfg_fini(&cfg);
	talloc_free(req);
}
