/* The checker's core (see check.h): frames, TCP flows, TLS, findings and events. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <pcap/pcap.h>
#include <talloc.h>

#include "harness/check/check_internal.h"
#include "harness/check/pcapbuf.h"
#include "harness/check/pkt.h"

#define CHECK_MAX_FINDINGS 100000
#define CHECK_MAX_EVENTS   200000
#define CHECK_MAX_ES	   100000

void check_opts_init(struct check_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->es_variant = es_variant_default;
	o->spi_variant = SCP80_SPI_VARIANT_1639;
}

/* ---- findings and events ------------------------------------------------------------------------- */

static void *grow(void *ctx, void *arr, unsigned int *cap, size_t elem, unsigned int max)
{
	unsigned int nc = *cap ? *cap * 2 : 64;
	void *n;

	if (*cap >= max)
		return NULL;
	if (nc > max)
		nc = max;
	n = talloc_realloc_size(ctx, arr, (size_t)nc * elem);
	if (n)
		*cap = nc;
	return n;
}

static __attribute__((format(printf, 6, 0))) void checker_vadd(struct checker *ck, bool info, const char *rule,
							       uint32_t frame, const char *path, const char *fmt,
							       va_list ap)
{
	const struct check_rule *r = check_rule_find(rule);
	struct check_finding *f;

	if (ck->nf == ck->capf) {
		void *n = grow(ck, ck->f, &ck->capf, sizeof(*ck->f), CHECK_MAX_FINDINGS);
		if (!n)
			return;
		ck->f = n;
	}
	f = &ck->f[ck->nf++];
	f->rule = r ? r : check_rule_find("CHK-000");
	f->sev = info ? CHECK_SEV_INFO : f->rule->sev;
	f->frame = frame;
	f->path = path ? talloc_strdup(ck, path) : NULL;
	f->text = talloc_vasprintf(ck, fmt, ap);
	if (!r)
		f->text = talloc_asprintf(ck, "[%s] %s", rule, f->text ? f->text : "");
}

void checker_add(struct checker *ck, const char *rule, uint32_t frame, const char *path, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	checker_vadd(ck, false, rule, frame, path, fmt, ap);
	va_end(ap);
}

void checker_note(struct checker *ck, const char *rule, uint32_t frame, const char *path, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	checker_vadd(ck, true, rule, frame, path, fmt, ap);
	va_end(ap);
}

struct check_event *check_event_add(struct checker *ck, uint32_t frame, const char *proto, const char *fmt, ...)
{
	struct check_event *e;
	va_list ap;

	if (ck->nev == ck->capev) {
		void *n = grow(ck, ck->ev, &ck->capev, sizeof(*ck->ev), CHECK_MAX_EVENTS);
		if (!n)
			return NULL;
		ck->ev = n;
	}
	e = &ck->ev[ck->nev++];
	memset(e, 0, sizeof(*e));
	e->frame = frame;
	e->ts_usec = ck->cur_ts;
	e->proto = proto;
	e->es_id = ES_MSG_NONE;
	e->xsd_errors = -1;
	va_start(ap, fmt);
	e->summary = talloc_vasprintf(ck, fmt, ap);
	va_end(ap);
	return e;
}

struct check_es *check_es_add(struct checker *ck)
{
	struct check_es *e;

	if (ck->nes == ck->capes) {
		void *n = grow(ck, ck->es, &ck->capes, sizeof(*ck->es), CHECK_MAX_ES);
		if (!n)
			return NULL;
		ck->es = n;
	}
	e = &ck->es[ck->nes++];
	memset(e, 0, sizeof(*e));
	return e;
}

static void add_undecrypted(struct checker *ck, uint32_t frame, uint32_t flow, enum tlsdec_reason why)
{
	if (ck->nund && ck->und[ck->nund - 1].frame == frame && ck->und[ck->nund - 1].flow == flow)
		return; /* one entry per frame */
	if (ck->nund == ck->capund) {
		void *n = grow(ck, ck->und, &ck->capund, sizeof(*ck->und), CHECK_MAX_UNDECRYPTED);
		if (!n)
			return;
		ck->und = n;
	}
	ck->und[ck->nund++] = (struct check_undecrypted){ .frame = frame, .flow = flow, .why = why };
}

/* ---- TLS callbacks ------------------------------------------------------------------------------- */

static void tls_app_cb(void *priv, int dir, const uint8_t *data, size_t len, uint32_t frame)
{
	struct check_flow *cf = priv;

	cf->ck->st.tls_decrypted_records++;
	check_sink_feed(cf, &cf->plain, dir, data, len, frame);
}

static void tls_undecrypted_cb(void *priv, int dir, uint8_t ct, enum tlsdec_reason why, uint32_t frame)
{
	struct check_flow *cf = priv;
	struct checker *ck = cf->ck;

	ck->st.tls_undecrypted_records++;
	add_undecrypted(ck, frame, cf->fl->id, why);
	if (why == TLSDEC_R_BAD_MAC)
		checker_add(ck, "TLS-002", frame, NULL, "flow %u %s -> %s: record type %u does not authenticate",
			    cf->fl->id, cf->ep[dir], cf->ep[1 - dir], ct);
	else if (why == TLSDEC_R_MALFORMED)
		checker_add(ck, "TLS-003", frame, NULL, "flow %u %s -> %s: record layer broken, rest skipped",
			    cf->fl->id, cf->ep[dir], cf->ep[1 - dir]);
}

static void tls_hello_cb(void *priv, const struct tlsdec_suite *suite, uint16_t id, uint16_t version, uint32_t frame)
{
	struct check_flow *cf = priv;

	check_event_add(cf->ck, frame, "TLS", "flow %u %s <-> %s: version %04X suite %04X %s", cf->fl->id, cf->ep[0],
			cf->ep[1], version, id, suite ? suite->name : "(not supported by the checker)");
	/* SCP81 (GP Amd B; digest §5.2): PSK-TLS with 00A8 or 00AE only. */
	if (suite && !strncmp(suite->name, "PSK-", 4) && id != 0x00A8 && id != 0x00AE)
		checker_add(cf->ck, "TLS-005", frame, NULL, "PSK suite %s negotiated", suite->name);
}

static void tls_alert_cb(void *priv, int dir, uint8_t level, uint8_t desc, uint32_t frame)
{
	struct check_flow *cf = priv;

	if (level == 1 && desc == 0)
		return; /* close_notify */
	checker_add(cf->ck, "TLS-004", frame, NULL, "flow %u %s -> %s: alert level %u description %u", cf->fl->id,
		    cf->ep[dir], cf->ep[1 - dir], level, desc);
}

static const struct tlsdec_ops check_tls_ops = {
	.app = tls_app_cb,
	.undecrypted = tls_undecrypted_cb,
	.hello = tls_hello_cb,
	.alert = tls_alert_cb,
};

/* ---- TCP callbacks ------------------------------------------------------------------------------- */

static struct check_flow *flow_app(struct checker *ck, struct tcpr_flow *fl)
{
	struct check_flow *cf = fl->app;

	if (cf)
		return cf;
	cf = talloc_zero(ck, struct check_flow);
	if (!cf)
		return NULL;
	cf->ck = ck;
	cf->fl = fl;
	for (int i = 0; i < 2; i++)
		pkt_endpoint_str(cf->ep[i], sizeof(cf->ep[i]), &fl->addr[i], fl->port[i]);
	fl->app = cf;
	ck->st.tcp_flows++;
	return cf;
}

static void tcp_data_cb(void *priv, struct tcpr_flow *fl, int dir, const uint8_t *data, size_t len, uint32_t frame)
{
	struct checker *ck = priv;
	struct check_flow *cf = flow_app(ck, fl);

	if (!cf)
		return;
	if (cf->outer == CHECK_APP_UNKNOWN) {
		if (tlsdec_looks_like_tls(data, len)) {
			cf->outer = CHECK_APP_TLS;
			cf->tls = tlsdec_conn_alloc(cf, ck->opts.keylog, &check_tls_ops, cf);
			ck->st.tls_conns++;
		} else {
			cf->outer = CHECK_APP_OTHER;
		}
	}
	if (cf->outer == CHECK_APP_TLS) {
		if (cf->tls)
			tlsdec_conn_feed(cf->tls, dir, data, len, frame);
	} else {
		check_sink_feed(cf, &cf->plain, dir, data, len, frame);
	}
}

static void tcp_gap_cb(void *priv, struct tcpr_flow *fl, int dir, uint64_t missing, uint32_t frame)
{
	struct checker *ck = priv;
	struct check_flow *cf = flow_app(ck, fl);

	ck->st.tcp_gaps++;
	if (!cf)
		return;
	checker_add(ck, "TCP-001", frame, NULL, "flow %u %s -> %s: %llu bytes missing", fl->id, cf->ep[dir],
		    cf->ep[1 - dir], (unsigned long long)missing);
	if (cf->tls)
		tlsdec_conn_gap(cf->tls, dir);
	check_sink_gap(cf, &cf->plain, dir);
}

static void tcp_close_cb(void *priv, struct tcpr_flow *fl, uint32_t frame)
{
	struct check_flow *cf = fl->app;

	if (!cf)
		return;
	check_sink_close(cf, &cf->plain, frame);
	talloc_free(cf);
}

static const struct tcpr_ops check_tcp_ops = {
	.data = tcp_data_cb,
	.gap = tcp_gap_cb,
	.close = tcp_close_cb,
};

/* ---- frames ---------------------------------------------------------------------------------------- */

struct checker *checker_alloc(void *ctx, const struct check_opts *opts)
{
	struct checker *ck = talloc_zero(ctx, struct checker);

	if (!ck)
		return NULL;
	if (opts)
		ck->opts = *opts;
	else
		check_opts_init(&ck->opts);
	ck->tcpr = tcpr_alloc(ck, &check_tcp_ops, ck);
	if (!ck->tcpr) {
		talloc_free(ck);
		return NULL;
	}
	return ck;
}

int checker_frame(struct checker *ck, uint32_t frame, uint64_t ts_usec, uint32_t linktype, const uint8_t *data,
		  size_t caplen, size_t origlen)
{
	struct pkt p;
	int rc;

	if (!ck || (!data && caplen) || ck->finished)
		return -EINVAL;
	ck->st.frames++;
	ck->st.bytes += caplen;
	ck->st.linktype = linktype;
	ck->last_frame = frame;
	ck->cur_ts = ts_usec;
	if (caplen < origlen)
		ck->st.truncated++;
	if (!pkt_linktype_supported(linktype)) {
		if (!ck->linktype_warned)
			checker_add(ck, "PCAP-002", frame, NULL, "link-layer type %u: frames not decoded", linktype);
		ck->linktype_warned = true;
		return 0;
	}
	rc = pkt_decode(&p, linktype, data, caplen);
	if (rc < 0) {
		if (p.fragment) {
			if (!ck->st.fragments)
				checker_note(ck, "IP-001", frame, NULL, "IP fragments are not reassembled");
			ck->st.fragments++;
		} else {
			ck->st.not_ip++;
		}
		return 0;
	}
	if (p.proto == PKT_PROTO_TCP) {
		ck->st.tcp_segments++;
		return tcpr_feed(ck->tcpr, &p, frame);
	}
	ck->st.udp_datagrams++; /* no UDP protocol of SGP.02 is decoded yet (GSUP runs over IPA/TCP) */
	return 0;
}

void checker_finish(struct checker *ck)
{
	const struct tcpr_stats *ts;

	if (!ck || ck->finished)
		return;
	tcpr_finish(ck->tcpr, ck->last_frame);
	ts = tcpr_stats(ck->tcpr);
	ck->st.tcp_retrans_bytes = ts->retrans_bytes;
	ck->st.tcp_ooo_segments = ts->ooo_segments;
	/* One summary finding per reason for the records that stayed closed. */
	for (int why = TLSDEC_R_NO_KEYLOG; why <= TLSDEC_R_NO_HANDSHAKE; why++) {
		unsigned int n = 0;
		uint32_t first = 0;

		for (unsigned int i = 0; i < ck->nund; i++)
			if (ck->und[i].why == (enum tlsdec_reason)why) {
				if (!n)
					first = ck->und[i].frame;
				n++;
			}
		if (n)
			checker_add(ck, "TLS-001", first, NULL, "%u frame(s) with TLS records not decrypted: %s", n,
				    get_value_string(tlsdec_reason_names, why));
	}
	check_proc_run(ck);
	ck->finished = true;
}

int checker_run_buffer(struct checker *ck, const uint8_t *buf, size_t len)
{
	struct pcapbuf pb;
	struct pcapbuf_rec rec;
	uint32_t frame = 0;
	int rc;

	rc = pcapbuf_open(&pb, buf, len);
	if (rc < 0) {
		checker_add(ck, "PCAP-001", 0, NULL, "not a classic pcap file (%s)", rc == -EAGAIN ? "short" : "magic");
		checker_finish(ck);
		return rc;
	}
	while ((rc = pcapbuf_next(&pb, &rec)) == 1)
		checker_frame(ck, ++frame, rec.ts_usec, pb.linktype, rec.data, rec.caplen, rec.origlen);
	if (rc < 0)
		checker_add(ck, "PCAP-001", frame, NULL, "capture ends inside record %u (%s)", frame + 1,
			    rc == -EAGAIN ? "truncated" : "bad record length");
	checker_finish(ck);
	return rc < 0 ? rc : 0;
}

int checker_run_file(struct checker *ck, const char *path, char *errbuf, size_t errlen)
{
	char ebuf[PCAP_ERRBUF_SIZE] = "";
	struct pcap_pkthdr *h;
	const u_char *data;
	uint32_t frame = 0;
	pcap_t *p;
	int rc;

	p = pcap_open_offline(path, ebuf);
	if (!p) {
		if (errbuf)
			snprintf(errbuf, errlen, "%s", ebuf);
		return -EIO;
	}
	while ((rc = pcap_next_ex(p, &h, &data)) == 1)
		checker_frame(ck, ++frame, (uint64_t)h->ts.tv_sec * 1000000u + (uint64_t)h->ts.tv_usec,
			      (uint32_t)pcap_datalink(p), data, h->caplen, h->len);
	if (rc == PCAP_ERROR)
		checker_add(ck, "PCAP-001", frame, NULL, "reading stopped after frame %u: %s", frame, pcap_geterr(p));
	pcap_close(p);
	checker_finish(ck);
	return 0;
}

/* ---- accessors ------------------------------------------------------------------------------------- */

const struct check_finding *checker_findings(const struct checker *ck, unsigned int *n)
{
	*n = ck->nf;
	return ck->f;
}

const struct check_event *checker_events(const struct checker *ck, unsigned int *n)
{
	*n = ck->nev;
	return ck->ev;
}

const struct check_undecrypted *checker_undecrypted(const struct checker *ck, unsigned int *n)
{
	*n = ck->nund;
	return ck->und;
}

const struct check_stats *checker_stats(const struct checker *ck)
{
	return &ck->st;
}

unsigned int checker_count(const struct checker *ck, enum check_sev min)
{
	unsigned int n = 0;

	for (unsigned int i = 0; i < ck->nf; i++)
		if (ck->f[i].sev >= min)
			n++;
	return n;
}

bool checker_has(const struct checker *ck, const char *rule)
{
	for (unsigned int i = 0; i < ck->nf; i++)
		if (!strcmp(ck->f[i].rule->id, rule))
			return true;
	return false;
}
