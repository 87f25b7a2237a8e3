/* TCP stream reassembly for the compliance checker: per flow and direction, bytes are handed on in
 * sequence order exactly once, whatever order the segments were captured in.
 *
 * Handled: retransmissions and overlaps (the already-delivered part is dropped and counted),
 * out-of-order segments (kept until the hole is filled), sequence number wrap-around, captures that
 * start mid-connection (the first segment seen sets the sequence), a new connection on a reused
 * 4-tuple (a SYN after both sides closed or with another initial sequence number starts a new flow).
 * Every peer-controlled size has a cap: flows (TCPR_MAX_FLOWS), buffered out-of-order bytes and
 * segments per direction; when a cap is hit or the capture ends with a hole, the hole is reported
 * as a gap (the consumer resynchronises) and delivery continues after it.
 *
 * Ownership: tcpr_alloc() returns a talloc object; flows and buffered segments hang off it. Data
 * given to the callbacks is valid during the callback only. Input (struct pkt) is UNTRUSTED. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "harness/check/pkt.h"

#define TCPR_MAX_FLOWS	      65536
#define TCPR_MAX_OOO_BYTES    (1024 * 1024)
#define TCPR_MAX_OOO_SEGMENTS 4096

struct tcpr_seg;

struct tcpr_dir {
	bool init;
	bool fin, rst;
	uint32_t next_seq;
	struct tcpr_seg *ooo; /* sorted by sequence */
	size_t ooo_bytes;
	unsigned int ooo_segs;
	uint64_t delivered, retrans_bytes, ooo_count, gap_bytes, gaps;
};

/* Endpoint 0 is the lower (address, port) of the two; dir 0 = from endpoint 0 to endpoint 1. */
struct tcpr_flow {
	unsigned int id; /* 1, 2, ... in order of appearance */
	struct pkt_addr addr[2];
	uint16_t port[2];
	int client; /* endpoint that sent the SYN, or -1 if the handshake was not seen */
	uint32_t first_frame;
	struct tcpr_dir d[2];
	void *app; /* the consumer's state */
	struct tcpr_flow *next;
};

struct tcpr_ops {
	/* In-order bytes of direction dir, completed by frame. */
	void (*data)(void *priv, struct tcpr_flow *fl, int dir, const uint8_t *data, size_t len, uint32_t frame);
	/* A hole of `missing` bytes (0 if unknown) in direction dir: the next data does not continue the last. */
	void (*gap)(void *priv, struct tcpr_flow *fl, int dir, uint64_t missing, uint32_t frame);
	/* The flow ends (both FIN, RST, reuse, or the end of the capture); free fl->app here. */
	void (*close)(void *priv, struct tcpr_flow *fl, uint32_t frame);
};

struct tcpr_stats {
	uint64_t segments, flows, flows_over_cap, retrans_bytes, ooo_segments, gaps, gap_bytes;
};

struct tcpr;

struct tcpr *tcpr_alloc(void *ctx, const struct tcpr_ops *ops, void *priv);
/* Feed one decoded TCP segment (p->proto must be TCP) captured in frame. Returns 0 or -ENOMEM. */
int tcpr_feed(struct tcpr *r, const struct pkt *p, uint32_t frame);
/* End of capture: report remaining holes, deliver what is buffered, close every flow. */
void tcpr_finish(struct tcpr *r, uint32_t frame);
const struct tcpr_stats *tcpr_stats(const struct tcpr *r);
