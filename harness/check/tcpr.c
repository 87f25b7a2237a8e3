/* TCP reassembly (see tcpr.h). Sequence comparisons are modulo 2^32 (RFC 9293 §3.4). */
#include <errno.h>
#include <string.h>

#include <talloc.h>

#include "harness/check/tcpr.h"

#define TCPR_BUCKETS 4096

struct tcpr_seg {
	uint32_t seq;
	uint32_t len;
	uint32_t frame;
	struct tcpr_seg *next;
	uint8_t data[];
};

struct tcpr {
	const struct tcpr_ops *ops;
	void *priv;
	struct tcpr_flow *buckets[TCPR_BUCKETS];
	unsigned int num_flows, next_id;
	struct tcpr_stats stats;
};

static int32_t seq_diff(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b);
}

static int ep_cmp(const struct pkt_addr *a, uint16_t ap, const struct pkt_addr *b, uint16_t bp)
{
	int c = memcmp(a, b, sizeof(*a));

	if (c)
		return c;
	return (int)ap - (int)bp;
}

static unsigned int flow_hash(const struct pkt_addr *a0, uint16_t p0, const struct pkt_addr *a1, uint16_t p1)
{
	uint32_t h = 2166136261u;
	const uint8_t *parts[2] = { a0->a, a1->a };

	for (int k = 0; k < 2; k++)
		for (int i = 0; i < 16; i++)
			h = (h ^ parts[k][i]) * 16777619u;
	h = (h ^ p0) * 16777619u;
	h = (h ^ p1) * 16777619u;
	return h % TCPR_BUCKETS;
}

struct tcpr *tcpr_alloc(void *ctx, const struct tcpr_ops *ops, void *priv)
{
	struct tcpr *r = talloc_zero(ctx, struct tcpr);

	if (!r)
		return NULL;
	r->ops = ops;
	r->priv = priv;
	return r;
}

const struct tcpr_stats *tcpr_stats(const struct tcpr *r)
{
	return &r->stats;
}

static void dir_free_ooo(struct tcpr_dir *d)
{
	while (d->ooo) {
		struct tcpr_seg *s = d->ooo;

		d->ooo = s->next;
		talloc_free(s);
	}
	d->ooo_bytes = 0;
	d->ooo_segs = 0;
}

static void deliver(struct tcpr *r, struct tcpr_flow *fl, int dir, const uint8_t *data, size_t len, uint32_t frame)
{
	fl->d[dir].delivered += len;
	if (r->ops->data && len)
		r->ops->data(r->priv, fl, dir, data, len, frame);
}

/* Deliver buffered segments that now continue the stream. */
static void drain(struct tcpr *r, struct tcpr_flow *fl, int dir)
{
	struct tcpr_dir *d = &fl->d[dir];

	while (d->ooo && seq_diff(d->ooo->seq, d->next_seq) <= 0) {
		struct tcpr_seg *s = d->ooo;
		int32_t skip = seq_diff(d->next_seq, s->seq);

		d->ooo = s->next;
		d->ooo_bytes -= s->len;
		d->ooo_segs--;
		if ((uint32_t)skip < s->len) {
			d->next_seq += s->len - (uint32_t)skip;
			deliver(r, fl, dir, s->data + skip, s->len - (uint32_t)skip, s->frame);
		} else {
			d->retrans_bytes += s->len;
			r->stats.retrans_bytes += s->len;
		}
		talloc_free(s);
	}
}

/* Skip the hole in front of the first buffered segment and deliver from there. */
static void skip_hole(struct tcpr *r, struct tcpr_flow *fl, int dir, uint32_t frame)
{
	struct tcpr_dir *d = &fl->d[dir];
	uint32_t missing;

	if (!d->ooo)
		return;
	missing = (uint32_t)seq_diff(d->ooo->seq, d->next_seq);
	d->gaps++;
	d->gap_bytes += missing;
	r->stats.gaps++;
	r->stats.gap_bytes += missing;
	if (r->ops->gap)
		r->ops->gap(r->priv, fl, dir, missing, frame);
	d->next_seq = d->ooo->seq;
	drain(r, fl, dir);
}

static int buffer_seg(struct tcpr *r, struct tcpr_flow *fl, int dir, uint32_t seq, const uint8_t *data, size_t len,
		      uint32_t frame)
{
	struct tcpr_dir *d = &fl->d[dir];
	struct tcpr_seg **pp, *s;

	/* Make room: skipping the hole delivers the buffered bytes and frees them. */
	while (d->ooo && (d->ooo_bytes + len > TCPR_MAX_OOO_BYTES || d->ooo_segs + 1 > TCPR_MAX_OOO_SEGMENTS))
		skip_hole(r, fl, dir, frame);
	if (len > TCPR_MAX_OOO_BYTES)
		return 0;
	s = talloc_size(fl, sizeof(*s) + len);
	if (!s)
		return -ENOMEM;
	talloc_set_name_const(s, "tcpr_seg");
	s->seq = seq;
	s->len = (uint32_t)len;
	s->frame = frame;
	memcpy(s->data, data, len);
	for (pp = &d->ooo; *pp && seq_diff((*pp)->seq, seq) <= 0; pp = &(*pp)->next)
		;
	s->next = *pp;
	*pp = s;
	d->ooo_bytes += len;
	d->ooo_segs++;
	d->ooo_count++;
	r->stats.ooo_segments++;
	return 0;
}

static void flow_close(struct tcpr *r, struct tcpr_flow *fl, uint32_t frame)
{
	for (int dir = 0; dir < 2; dir++) {
		while (fl->d[dir].ooo)
			skip_hole(r, fl, dir, frame);
	}
	if (r->ops->close)
		r->ops->close(r->priv, fl, frame);
	fl->app = NULL;
	dir_free_ooo(&fl->d[0]);
	dir_free_ooo(&fl->d[1]);
}

static void flow_reset(struct tcpr *r, struct tcpr_flow *fl, uint32_t frame)
{
	flow_close(r, fl, frame);
	memset(fl->d, 0, sizeof(fl->d));
	fl->client = -1;
	fl->id = ++r->next_id;
	fl->first_frame = frame;
	r->stats.flows++;
}

static struct tcpr_flow *flow_get(struct tcpr *r, const struct pkt *p, uint32_t frame, int *dir)
{
	const struct pkt_addr *a0 = &p->src, *a1 = &p->dst;
	uint16_t p0 = p->sport, p1 = p->dport;
	struct tcpr_flow *fl;
	unsigned int h;

	*dir = 0;
	if (ep_cmp(a0, p0, a1, p1) > 0) {
		a0 = &p->dst;
		a1 = &p->src;
		p0 = p->dport;
		p1 = p->sport;
		*dir = 1;
	}
	h = flow_hash(a0, p0, a1, p1);
	for (fl = r->buckets[h]; fl; fl = fl->next)
		if (fl->port[0] == p0 && fl->port[1] == p1 && !memcmp(&fl->addr[0], a0, sizeof(*a0)) &&
		    !memcmp(&fl->addr[1], a1, sizeof(*a1)))
			return fl;
	if (r->num_flows >= TCPR_MAX_FLOWS) {
		r->stats.flows_over_cap++;
		return NULL;
	}
	fl = talloc_zero(r, struct tcpr_flow);
	if (!fl)
		return NULL;
	fl->addr[0] = *a0;
	fl->addr[1] = *a1;
	fl->port[0] = p0;
	fl->port[1] = p1;
	fl->client = -1;
	fl->id = ++r->next_id;
	fl->first_frame = frame;
	fl->next = r->buckets[h];
	r->buckets[h] = fl;
	r->num_flows++;
	r->stats.flows++;
	return fl;
}

int tcpr_feed(struct tcpr *r, const struct pkt *p, uint32_t frame)
{
	struct tcpr_flow *fl;
	struct tcpr_dir *d;
	const uint8_t *data = p->payload;
	size_t len = p->payload_len;
	uint32_t seq = p->seq;
	int dir;

	if (!r || !p || p->proto != PKT_PROTO_TCP)
		return -EINVAL;
	r->stats.segments++;
	fl = flow_get(r, p, frame, &dir);
	if (!fl)
		return 0;
	d = &fl->d[dir];
	if (p->flags & PKT_TCP_SYN) {
		/* A SYN on a flow that already carried another connection: a new connection. */
		if (d->init && (seq_diff(seq + 1, d->next_seq) != 0 || (fl->d[0].fin && fl->d[1].fin) || fl->d[0].rst ||
				fl->d[1].rst)) {
			flow_reset(r, fl, frame);
			d = &fl->d[dir];
		}
		if (!(p->flags & PKT_TCP_ACK))
			fl->client = dir == 0 ? 0 : 1;
		else if (fl->client < 0)
			fl->client = dir == 0 ? 1 : 0;
		d->init = true;
		d->next_seq = seq + 1; /* the SYN takes one sequence number */
		data = NULL;
		len = 0;
		return 0;
	}
	if (!d->init) {
		d->init = true;
		d->next_seq = seq;
	}
	if (len) {
		int32_t diff = seq_diff(seq, d->next_seq);

		if (diff <= 0) {
			if ((uint32_t)(-(int64_t)diff) >= len) {
				d->retrans_bytes += len;
				r->stats.retrans_bytes += len;
			} else {
				size_t skip = (size_t)(-(int64_t)diff);

				d->retrans_bytes += skip;
				r->stats.retrans_bytes += skip;
				d->next_seq += (uint32_t)(len - skip);
				deliver(r, fl, dir, data + skip, len - skip, frame);
				drain(r, fl, dir);
			}
		} else if (buffer_seg(r, fl, dir, seq, data, len, frame) < 0) {
			return -ENOMEM;
		}
	}
	if (p->flags & PKT_TCP_FIN)
		d->fin = true;
	if (p->flags & PKT_TCP_RST)
		d->rst = true;
	return 0;
}

void tcpr_finish(struct tcpr *r, uint32_t frame)
{
	if (!r)
		return;
	for (unsigned int h = 0; h < TCPR_BUCKETS; h++)
		for (struct tcpr_flow *fl = r->buckets[h]; fl; fl = fl->next)
			flow_close(r, fl, frame);
}
