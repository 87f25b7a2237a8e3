/* Frame decoding down to TCP/UDP (see pkt.h). References: IEEE 802.3 / 802.1Q (Ethernet, VLAN),
 * RFC 791 (IPv4), RFC 8200 (IPv6 and its extension headers), RFC 9293 (TCP), RFC 768 (UDP),
 * tcpdump.org link-layer header types (NULL, LOOP, LINUX_SLL, LINUX_SLL2). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>

#include "harness/check/pkt.h"

#define ETH_P_IPV4   0x0800
#define ETH_P_IPV6   0x86DD
#define ETH_P_8021Q  0x8100
#define ETH_P_8021AD 0x88A8

static uint16_t be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

bool pkt_linktype_supported(uint32_t lt)
{
	switch (lt) {
	case PKT_LINKTYPE_NULL:
	case PKT_LINKTYPE_ETHERNET:
	case PKT_LINKTYPE_RAW_BSD12:
	case PKT_LINKTYPE_RAW_BSD14:
	case PKT_LINKTYPE_RAW:
	case PKT_LINKTYPE_LOOP:
	case PKT_LINKTYPE_SLL:
	case PKT_LINKTYPE_SLL2:
	case PKT_LINKTYPE_IPV4:
	case PKT_LINKTYPE_IPV6: return true;
	default: return false;
	}
}

static int pkt_transport(struct pkt *out, const uint8_t *p, size_t len, size_t base)
{
	if (out->proto == PKT_PROTO_TCP) {
		size_t doff;

		if (len < 20)
			return -EAGAIN;
		doff = (size_t)(p[12] >> 4) * 4; /* RFC 9293 §3.1 Data Offset */
		if (doff < 20)
			return -EBADMSG;
		if (len < doff)
			return -EAGAIN;
		out->sport = be16(p);
		out->dport = be16(p + 2);
		out->seq = be32(p + 4);
		out->ack = be32(p + 8);
		out->flags = p[13];
		out->payload = p + doff;
		out->payload_len = len - doff;
		return (int)(base + doff);
	}
	if (out->proto == PKT_PROTO_UDP) {
		size_t ulen;

		if (len < 8)
			return -EAGAIN;
		out->sport = be16(p);
		out->dport = be16(p + 2);
		ulen = be16(p + 4); /* RFC 768: includes the header */
		if (ulen < 8)
			return -EBADMSG;
		if (ulen > len)
			return -EAGAIN;
		out->payload = p + 8;
		out->payload_len = ulen - 8;
		return (int)(base + 8);
	}
	return -ENOTSUP;
}

static int pkt_ipv4(struct pkt *out, const uint8_t *p, size_t len, size_t base)
{
	size_t ihl, tot;
	uint16_t frag;

	if (len < 20)
		return -EAGAIN;
	if ((p[0] >> 4) != 4)
		return -EBADMSG;
	ihl = (size_t)(p[0] & 0x0f) * 4; /* RFC 791 §3.1 */
	tot = be16(p + 2);
	if (ihl < 20 || tot < ihl)
		return -EBADMSG;
	if (len < ihl)
		return -EAGAIN;
	/* TSO/GRO on capture can leave total length 0; otherwise it bounds the payload (Ethernet padding). */
	if (tot != 0 && tot < len)
		len = tot;
	out->src.family = out->dst.family = 4;
	memcpy(out->src.a, p + 12, 4);
	memcpy(out->dst.a, p + 16, 4);
	out->proto = p[9];
	frag = be16(p + 6);
	if ((frag & 0x1fff) || (frag & 0x2000)) { /* offset or More Fragments */
		out->fragment = true;
		return -ENOTSUP;
	}
	if (out->proto != PKT_PROTO_TCP && out->proto != PKT_PROTO_UDP)
		return -ENOTSUP;
	return pkt_transport(out, p + ihl, len - ihl, base + ihl);
}

static int pkt_ipv6(struct pkt *out, const uint8_t *p, size_t len, size_t base)
{
	size_t plen, off = 40;
	uint8_t nh;

	if (len < 40)
		return -EAGAIN;
	if ((p[0] >> 4) != 6)
		return -EBADMSG;
	plen = be16(p + 4);
	if (plen != 0 && 40 + plen < len)
		len = 40 + plen;
	out->src.family = out->dst.family = 6;
	memcpy(out->src.a, p + 8, 16);
	memcpy(out->dst.a, p + 24, 16);
	nh = p[6];
	/* RFC 8200 §4: skip extension headers; at most 8 of them. */
	for (int i = 0; i < 8; i++) {
		if (nh == 0 || nh == 43 || nh == 60) {
			if (len - off < 8)
				return -EAGAIN;
			size_t hl = 8 + (size_t)p[off + 1] * 8;
			if (len - off < hl)
				return -EAGAIN;
			nh = p[off];
			off += hl;
		} else if (nh == 44) {
			out->fragment = true;
			return -ENOTSUP;
		} else {
			break;
		}
	}
	out->proto = nh;
	if (nh != PKT_PROTO_TCP && nh != PKT_PROTO_UDP)
		return -ENOTSUP;
	return pkt_transport(out, p + off, len - off, base + off);
}

static int pkt_ip(struct pkt *out, const uint8_t *p, size_t len, size_t base)
{
	if (len < 1)
		return -EAGAIN;
	switch (p[0] >> 4) {
	case 4: return pkt_ipv4(out, p, len, base);
	case 6: return pkt_ipv6(out, p, len, base);
	default: return -ENOTSUP;
	}
}

static int pkt_ethertype(struct pkt *out, uint16_t et, const uint8_t *p, size_t len, size_t base)
{
	if (et == ETH_P_IPV4)
		return pkt_ipv4(out, p, len, base);
	if (et == ETH_P_IPV6)
		return pkt_ipv6(out, p, len, base);
	return -ENOTSUP;
}

int pkt_decode(struct pkt *out, uint32_t lt, const uint8_t *f, size_t len)
{
	uint32_t fam;
	uint16_t et;
	size_t off;

	if (!out || (!f && len))
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	switch (lt) {
	case PKT_LINKTYPE_NULL:
	case PKT_LINKTYPE_LOOP:
		if (len < 4)
			return -EAGAIN;
		memcpy(&fam, f, 4);
		if (lt == PKT_LINKTYPE_LOOP)
			fam = be32(f);
		/* AF_INET is 2 everywhere; AF_INET6 is 10 (Linux), 24/28/30 (BSDs, macOS). Either byte order
		 * for NULL, as a capture may come from another host. */
		if (fam == 2 || fam == 0x02000000u)
			return pkt_ipv4(out, f + 4, len - 4, 4);
		if (fam == 10 || fam == 24 || fam == 28 || fam == 30 || fam == 0x18000000u || fam == 0x1c000000u ||
		    fam == 0x1e000000u || fam == 0x0a000000u)
			return pkt_ipv6(out, f + 4, len - 4, 4);
		return -ENOTSUP;
	case PKT_LINKTYPE_ETHERNET:
		if (len < 14)
			return -EAGAIN;
		et = be16(f + 12);
		off = 14;
		for (int i = 0; i < 2 && (et == ETH_P_8021Q || et == ETH_P_8021AD); i++) {
			if (len < off + 4)
				return -EAGAIN;
			et = be16(f + off + 2);
			off += 4;
		}
		return pkt_ethertype(out, et, f + off, len - off, off);
	case PKT_LINKTYPE_RAW:
	case PKT_LINKTYPE_RAW_BSD12:
	case PKT_LINKTYPE_RAW_BSD14: return pkt_ip(out, f, len, 0);
	case PKT_LINKTYPE_IPV4: return pkt_ipv4(out, f, len, 0);
	case PKT_LINKTYPE_IPV6: return pkt_ipv6(out, f, len, 0);
	case PKT_LINKTYPE_SLL: /* packet type(2) ARPHRD(2) addr len(2) addr(8) protocol(2) */
		if (len < 16)
			return -EAGAIN;
		return pkt_ethertype(out, be16(f + 14), f + 16, len - 16, 16);
	case PKT_LINKTYPE_SLL2: /* protocol(2) reserved(2) ifindex(4) ARPHRD(2) pkttype(1) addrlen(1) addr(8) */
		if (len < 20)
			return -EAGAIN;
		return pkt_ethertype(out, be16(f), f + 20, len - 20, 20);
	default: return -ENOTSUP;
	}
}

void pkt_endpoint_str(char *buf, size_t cap, const struct pkt_addr *a, uint16_t port)
{
	char ip[INET6_ADDRSTRLEN] = "?";

	if (a->family == 4)
		inet_ntop(AF_INET, a->a, ip, sizeof(ip));
	else if (a->family == 6)
		inet_ntop(AF_INET6, a->a, ip, sizeof(ip));
	if (a->family == 6)
		snprintf(buf, cap, "[%s]:%u", ip, port);
	else
		snprintf(buf, cap, "%s:%u", ip, port);
}
