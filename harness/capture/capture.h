/* Live packet capture for a run (ARCHITECTURE §5, style §10): libpcap on one or more interfaces,
 * joined to libosmocore's select loop, written to one classic pcap file.
 *
 * Each interface is opened with pcap_create() + snaplen + immediate mode + pcap_activate(), then set
 * non-blocking; its pcap_get_selectable_fd() sits in an osmo_fd whose read callback runs
 * pcap_dispatch() (never pcap_next_ex(), which can block forever on Linux TPACKET_V3 once traffic
 * stops: network-lab §6). All interfaces must share one link-layer type, because a classic pcap file
 * has one (capture on "any" for a mix: Linux cooked headers). The capture is bounded: after max_bytes
 * of packet data or max_packets packets nothing more is written and the excess is counted.
 *
 * Drop counters (pcap_stats: ps_drop, ps_ifdrop) are read at capture_stop() and kept for the report:
 * a dropped packet otherwise looks like a missing message.
 *
 * Ownership: capture_start() returns a talloc object (child of ctx); capture_free() stops (if still
 * running) and frees it. Needs CAP_NET_RAW (root). Returns 0 or a negative errno; the reason is in
 * capture_err(). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CAPTURE_MAX_IFACES 8

struct capture_cfg {
	const char *const *ifaces; /* interface names, e.g. { "lo" } */
	unsigned int num_ifaces;
	const char *path;     /* the pcap file to write (created or truncated) */
	const char *filter;   /* BPF filter expression, NULL = everything */
	int snaplen;	      /* 0 = 262144 */
	uint64_t max_bytes;   /* 0 = 1 GiB: captured bytes written at most */
	uint64_t max_packets; /* 0 = unlimited */
};

/* Per interface, as the report shows it. */
struct capture_if_stats {
	char name[32];
	uint64_t received;  /* packets handed to us by libpcap */
	uint64_t ps_recv;   /* pcap_stats: received by the filter */
	uint64_t ps_drop;   /* dropped for lack of buffer space */
	uint64_t ps_ifdrop; /* dropped by the interface or driver */
	bool stats_valid;   /* pcap_stats() succeeded */
};

struct capture_stats {
	unsigned int num_ifaces;
	struct capture_if_stats ifs[CAPTURE_MAX_IFACES];
	uint64_t written_packets, written_bytes;
	uint64_t over_limit; /* packets not written because a bound was reached */
	int linktype;	     /* DLT_ value of the file */
};

struct capture;

/* Open every interface and the file and register the fds with the select loop. On failure returns
 * NULL with *err (if not NULL) set to a negative errno and the reason in errbuf. */
struct capture *capture_start(void *ctx, const struct capture_cfg *cfg, char *errbuf, size_t errlen, int *err);
/* Drain what libpcap still holds (a few non-blocking dispatch rounds), read pcap_stats, unregister,
 * close and flush the file. Idempotent. */
int capture_stop(struct capture *c);
/* Pull pending packets now (also done by the select loop). Returns the number of packets handled. */
int capture_poll(struct capture *c);
/* Write what the file buffer holds to the file (a reader of the file sees every packet so far). */
int capture_flush(struct capture *c);
const struct capture_stats *capture_stats(const struct capture *c);
/* Stats as one text line per interface plus a total ("lo: received 12 drop 0 ifdrop 0"). */
int capture_stats_format(const struct capture *c, char *buf, size_t cap);
void capture_free(struct capture *c);
