/* Live capture with libpcap on the Osmocom select loop (see capture.h). Pattern from libpcap's
 * testprogs/capturetest.c (create/configure/activate) and selpolltest.c (selectable fd +
 * non-blocking dispatch), style §10. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <pcap/pcap.h>
#include <osmocom/core/select.h>
#include <talloc.h>

#include "harness/capture/capture.h"

#define CAPTURE_BUFFER_BYTES	  (64 << 20)
#define CAPTURE_DEFAULT_SNAPLEN	  262144
#define CAPTURE_DEFAULT_MAX_BYTES (1024ULL * 1024 * 1024)
/* At most this many dispatch rounds when draining at stop: bounded even under a packet storm. */
#define CAPTURE_DRAIN_ROUNDS 64

struct capture_if {
	struct capture *c;
	pcap_t *p;
	struct osmo_fd ofd;
	bool registered;
	struct capture_if_stats *st;
};

struct capture {
	struct capture_if ifs[CAPTURE_MAX_IFACES];
	unsigned int n;
	pcap_dumper_t *dumper;
	uint64_t max_bytes, max_packets;
	struct capture_stats stats;
	bool stopped;
};

static void capture_pkt_cb(u_char *user, const struct pcap_pkthdr *h, const u_char *bytes)
{
	struct capture_if *ci = (struct capture_if *)user;
	struct capture *c = ci->c;

	ci->st->received++;
	if (!c->dumper || (c->max_packets && c->stats.written_packets >= c->max_packets) ||
	    c->stats.written_bytes + h->caplen > c->max_bytes) {
		c->stats.over_limit++;
		return;
	}
	pcap_dump((u_char *)c->dumper, h, bytes);
	c->stats.written_packets++;
	c->stats.written_bytes += h->caplen;
}

/* One non-blocking dispatch on one interface: the packets handled, or -EIO. */
static int capture_if_dispatch(struct capture_if *ci)
{
	int rc = pcap_dispatch(ci->p, -1, capture_pkt_cb, (u_char *)ci);

	return rc < 0 ? -EIO : rc;
}

static int capture_fd_cb(struct osmo_fd *ofd, unsigned int what)
{
	struct capture_if *ci = ofd->data;

	if (what & OSMO_FD_READ)
		capture_if_dispatch(ci);
	return 0;
}

static void capture_close_all(struct capture *c)
{
	for (unsigned int i = 0; i < c->n; i++) {
		struct capture_if *ci = &c->ifs[i];

		if (ci->registered) {
			osmo_fd_unregister(&ci->ofd);
			ci->registered = false;
		}
		if (ci->p) {
			pcap_close(ci->p);
			ci->p = NULL;
		}
	}
	if (c->dumper) {
		pcap_dump_close(c->dumper);
		c->dumper = NULL;
	}
}

static int capture_destructor(struct capture *c)
{
	capture_close_all(c);
	return 0;
}

static int capture_if_open(struct capture *c, unsigned int i, const char *name, const struct capture_cfg *cfg,
			   char *errbuf, size_t errlen)
{
	char ebuf[PCAP_ERRBUF_SIZE] = "";
	struct capture_if *ci = &c->ifs[i];
	struct bpf_program bp;
	int rc, fd;

	ci->c = c;
	ci->st = &c->stats.ifs[i];
	snprintf(ci->st->name, sizeof(ci->st->name), "%s", name);
	ci->p = pcap_create(name, ebuf);
	if (!ci->p) {
		snprintf(errbuf, errlen, "pcap_create(%s): %s", name, ebuf);
		return -ENODEV;
	}
	pcap_set_snaplen(ci->p, cfg->snaplen > 0 ? cfg->snaplen : CAPTURE_DEFAULT_SNAPLEN);
	pcap_set_immediate_mode(ci->p, 1);
	/* immediate mode gets fixed-size ring slots of about snaplen each: libpcap's default 2 MiB holds
	 * only a few frames, and frames arriving while the caller is busy elsewhere would be dropped */
	pcap_set_buffer_size(ci->p, CAPTURE_BUFFER_BYTES);
	pcap_set_timeout(ci->p, 100);
	rc = pcap_activate(ci->p);
	if (rc < 0) {
		snprintf(errbuf, errlen, "pcap_activate(%s): %s: %s", name, pcap_statustostr(rc), pcap_geterr(ci->p));
		return rc == PCAP_ERROR_PERM_DENIED ? -EPERM : -ENODEV;
	}
	/* rc > 0 is a warning (e.g. promiscuous mode not supported); the capture works. */
	if (cfg->filter) {
		if (pcap_compile(ci->p, &bp, cfg->filter, 1, PCAP_NETMASK_UNKNOWN) < 0) {
			snprintf(errbuf, errlen, "filter '%s' on %s: %s", cfg->filter, name, pcap_geterr(ci->p));
			return -EINVAL;
		}
		rc = pcap_setfilter(ci->p, &bp);
		pcap_freecode(&bp);
		if (rc < 0) {
			snprintf(errbuf, errlen, "setfilter on %s: %s", name, pcap_geterr(ci->p));
			return -EINVAL;
		}
	}
	if (pcap_setnonblock(ci->p, 1, ebuf) < 0) {
		snprintf(errbuf, errlen, "setnonblock(%s): %s", name, ebuf);
		return -EIO;
	}
	fd = pcap_get_selectable_fd(ci->p);
	if (fd < 0) {
		snprintf(errbuf, errlen, "%s has no selectable fd", name);
		return -ENOTSUP;
	}
	osmo_fd_setup(&ci->ofd, fd, OSMO_FD_READ, capture_fd_cb, ci, 0);
	if (osmo_fd_register(&ci->ofd) < 0) {
		snprintf(errbuf, errlen, "osmo_fd_register(%s) failed", name);
		return -EIO;
	}
	ci->registered = true;
	return 0;
}

struct capture *capture_start(void *ctx, const struct capture_cfg *cfg, char *errbuf, size_t errlen, int *err)
{
	char dummy[8];
	struct capture *c;
	int rc = 0;

	if (!errbuf) {
		errbuf = dummy;
		errlen = sizeof(dummy);
	}
	if (!cfg || !cfg->path || !cfg->ifaces || cfg->num_ifaces == 0 || cfg->num_ifaces > CAPTURE_MAX_IFACES) {
		snprintf(errbuf, errlen, "bad capture configuration (1..%d interfaces and a file)", CAPTURE_MAX_IFACES);
		rc = -EINVAL;
		goto fail_noc;
	}
	c = talloc_zero(ctx, struct capture);
	if (!c) {
		rc = -ENOMEM;
		goto fail_noc;
	}
	talloc_set_destructor(c, capture_destructor);
	c->max_bytes = cfg->max_bytes ? cfg->max_bytes : CAPTURE_DEFAULT_MAX_BYTES;
	c->max_packets = cfg->max_packets;
	for (unsigned int i = 0; i < cfg->num_ifaces; i++) {
		c->n = i + 1;
		c->stats.num_ifaces = c->n;
		rc = capture_if_open(c, i, cfg->ifaces[i], cfg, errbuf, errlen);
		if (rc < 0)
			goto fail;
		if (i == 0) {
			c->stats.linktype = pcap_datalink(c->ifs[0].p);
		} else if (pcap_datalink(c->ifs[i].p) != c->stats.linktype) {
			snprintf(errbuf, errlen,
				 "%s has link type %s, %s has %s: one pcap file holds one (use \"any\")",
				 cfg->ifaces[i], pcap_datalink_val_to_name(pcap_datalink(c->ifs[i].p)), cfg->ifaces[0],
				 pcap_datalink_val_to_name(c->stats.linktype));
			rc = -EINVAL;
			goto fail;
		}
	}
	c->dumper = pcap_dump_open(c->ifs[0].p, cfg->path);
	if (!c->dumper) {
		snprintf(errbuf, errlen, "pcap_dump_open(%s): %s", cfg->path, pcap_geterr(c->ifs[0].p));
		rc = -EIO;
		goto fail;
	}
	return c;
fail:
	talloc_free(c);
fail_noc:
	if (err)
		*err = rc;
	return NULL;
}

int capture_flush(struct capture *c)
{
	if (!c || c->stopped || !c->dumper)
		return 0;
	return pcap_dump_flush(c->dumper) == 0 ? 0 : -EIO;
}

int capture_poll(struct capture *c)
{
	int total = 0;

	if (!c || c->stopped)
		return 0;
	for (unsigned int i = 0; i < c->n; i++) {
		int rc = capture_if_dispatch(&c->ifs[i]);

		if (rc > 0)
			total += rc;
	}
	return total;
}

int capture_stop(struct capture *c)
{
	if (!c)
		return -EINVAL;
	if (c->stopped)
		return 0;
	for (int r = 0; r < CAPTURE_DRAIN_ROUNDS; r++)
		if (capture_poll(c) <= 0)
			break;
	for (unsigned int i = 0; i < c->n; i++) {
		struct pcap_stat ps;

		if (c->ifs[i].p && pcap_stats(c->ifs[i].p, &ps) == 0) {
			c->stats.ifs[i].ps_recv = ps.ps_recv;
			c->stats.ifs[i].ps_drop = ps.ps_drop;
			c->stats.ifs[i].ps_ifdrop = ps.ps_ifdrop;
			c->stats.ifs[i].stats_valid = true;
		}
	}
	if (c->dumper)
		pcap_dump_flush(c->dumper);
	capture_close_all(c);
	c->stopped = true;
	return 0;
}

const struct capture_stats *capture_stats(const struct capture *c)
{
	return &c->stats;
}

int capture_stats_format(const struct capture *c, char *buf, size_t cap)
{
	size_t off = 0;
	int n;

	if (!c || !buf || cap == 0)
		return -EINVAL;
	buf[0] = '\0';
	for (unsigned int i = 0; i < c->stats.num_ifaces; i++) {
		const struct capture_if_stats *s = &c->stats.ifs[i];

		if (s->stats_valid)
			n = snprintf(buf + off, cap - off, "%s: received %llu drop %llu ifdrop %llu\n", s->name,
				     (unsigned long long)s->received, (unsigned long long)s->ps_drop,
				     (unsigned long long)s->ps_ifdrop);
		else
			n = snprintf(buf + off, cap - off, "%s: received %llu drop ? ifdrop ?\n", s->name,
				     (unsigned long long)s->received);
		if (n < 0 || (size_t)n >= cap - off)
			return -EMSGSIZE;
		off += n;
	}
	n = snprintf(buf + off, cap - off, "written %llu packets %llu bytes, over limit %llu\n",
		     (unsigned long long)c->stats.written_packets, (unsigned long long)c->stats.written_bytes,
		     (unsigned long long)c->stats.over_limit);
	if (n < 0 || (size_t)n >= cap - off)
		return -EMSGSIZE;
	return (int)(off + n);
}

void capture_free(struct capture *c)
{
	if (!c)
		return;
	capture_stop(c);
	talloc_free(c);
}
