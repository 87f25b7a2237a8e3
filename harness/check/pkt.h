/* Link layer, IPv4/IPv6 and TCP/UDP headers of one captured frame, for the compliance checker.
 *
 * Link types (LINKTYPE_ values of the pcap file): NULL/BSD loopback (0, host byte order family),
 * Ethernet (1, also what Linux `lo` gives; 802.1Q tags skipped), raw IP (101, and 12/14 on some
 * systems), LOOP (108, network byte order family), Linux cooked SLL (113) and SLL2 (276), IPv4 (228),
 * IPv6 (229). IPv4 fragments and IPv6 fragment headers are reported (pkt->fragment) and not
 * reassembled; IPv6 hop-by-hop, routing and destination-option headers are skipped.
 *
 * Pure codec: parses UNTRUSTED input, no allocation; pointers point into the frame. Returns the
 * offset of the transport payload (>= 0), -ENOTSUP (not IP, or not TCP/UDP: nothing for the checker),
 * -EAGAIN (a header cut short: snaplen) or -EBADMSG (inconsistent lengths). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PKT_LINKTYPE_NULL      0
#define PKT_LINKTYPE_ETHERNET  1
#define PKT_LINKTYPE_RAW_BSD12 12
#define PKT_LINKTYPE_RAW_BSD14 14
#define PKT_LINKTYPE_RAW       101
#define PKT_LINKTYPE_LOOP      108
#define PKT_LINKTYPE_SLL       113
#define PKT_LINKTYPE_IPV4      228
#define PKT_LINKTYPE_IPV6      229
#define PKT_LINKTYPE_SLL2      276

#define PKT_PROTO_TCP 6
#define PKT_PROTO_UDP 17

/* TCP flags (RFC 9293 §3.1) */
#define PKT_TCP_FIN 0x01
#define PKT_TCP_SYN 0x02
#define PKT_TCP_RST 0x04
#define PKT_TCP_PSH 0x08
#define PKT_TCP_ACK 0x10

struct pkt_addr {
	uint8_t family; /* 4 or 6 */
	uint8_t a[16];	/* IPv4 in the first 4 bytes */
};

struct pkt {
	struct pkt_addr src, dst;
	uint8_t proto; /* PKT_PROTO_TCP or PKT_PROTO_UDP */
	uint16_t sport, dport;
	bool fragment;
	/* TCP */
	uint32_t seq, ack;
	uint8_t flags;
	/* the transport payload (IP total length respected; Ethernet padding excluded) */
	const uint8_t *payload;
	size_t payload_len;
};

int pkt_decode(struct pkt *out, uint32_t linktype, const uint8_t *frame, size_t len);
/* True for the link types pkt_decode() understands. */
bool pkt_linktype_supported(uint32_t linktype);
/* "127.0.0.1:2775" / "[::1]:443" into buf (cap >= 56). */
void pkt_endpoint_str(char *buf, size_t cap, const struct pkt_addr *a, uint16_t port);
