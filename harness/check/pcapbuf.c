/* Classic pcap file format (see pcapbuf.h; the layout is libpcap's pcap-savefile(5)):
 *   global header: magic(4) version_major(2) version_minor(2) thiszone(4) sigfigs(4) snaplen(4) linktype(4)
 *   record header: ts_sec(4) ts_usec_or_nsec(4) caplen(4) len(4), then caplen bytes. */
#include <errno.h>
#include <string.h>

#include "harness/check/pcapbuf.h"

#define MAGIC_USEC 0xa1b2c3d4u
#define MAGIC_NSEC 0xa1b23c4du

static uint32_t rd32(const uint8_t *p, bool swapped)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return swapped ? __builtin_bswap32(v) : v;
}

static uint16_t rd16(const uint8_t *p, bool swapped)
{
	uint16_t v;

	memcpy(&v, p, 2);
	return swapped ? __builtin_bswap16(v) : v;
}

int pcapbuf_open(struct pcapbuf *pb, const uint8_t *buf, size_t len)
{
	uint32_t magic;

	if (!pb || (!buf && len))
		return -EINVAL;
	memset(pb, 0, sizeof(*pb));
	if (len < PCAPBUF_HDR_LEN)
		return -EAGAIN;
	memcpy(&magic, buf, 4);
	if (magic == MAGIC_USEC || magic == MAGIC_NSEC) {
		pb->swapped = false;
	} else if (__builtin_bswap32(magic) == MAGIC_USEC || __builtin_bswap32(magic) == MAGIC_NSEC) {
		pb->swapped = true;
		magic = __builtin_bswap32(magic);
	} else {
		return -EBADMSG;
	}
	pb->nsec = magic == MAGIC_NSEC;
	pb->major = rd16(buf + 4, pb->swapped);
	pb->minor = rd16(buf + 6, pb->swapped);
	pb->snaplen = rd32(buf + 16, pb->swapped);
	pb->linktype = rd32(buf + 20, pb->swapped) & 0xffff;
	if (pb->major != 2)
		return -EBADMSG;
	pb->buf = buf;
	pb->len = len;
	pb->off = PCAPBUF_HDR_LEN;
	return PCAPBUF_HDR_LEN;
}

int pcapbuf_next(struct pcapbuf *pb, struct pcapbuf_rec *rec)
{
	const uint8_t *h;
	uint32_t sec, frac;

	if (!pb || !rec || !pb->buf)
		return -EINVAL;
	if (pb->off == pb->len)
		return 0;
	if (pb->len - pb->off < PCAPBUF_REC_HDR)
		return -EAGAIN;
	h = pb->buf + pb->off;
	sec = rd32(h, pb->swapped);
	frac = rd32(h + 4, pb->swapped);
	rec->caplen = rd32(h + 8, pb->swapped);
	rec->origlen = rd32(h + 12, pb->swapped);
	if (rec->caplen > PCAPBUF_MAX_CAPLEN)
		return -EBADMSG;
	if (pb->len - pb->off - PCAPBUF_REC_HDR < rec->caplen)
		return -EAGAIN;
	rec->ts_usec = (uint64_t)sec * 1000000u + (pb->nsec ? frac / 1000u : frac);
	rec->data = h + PCAPBUF_REC_HDR;
	pb->off += PCAPBUF_REC_HDR + rec->caplen;
	return 1;
}

static void wr32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, 4);
}

int pcapbuf_write_header(uint8_t *out, size_t cap, uint32_t linktype, uint32_t snaplen)
{
	uint16_t v[2] = { 2, 4 };

	if (cap < PCAPBUF_HDR_LEN)
		return -EMSGSIZE;
	wr32(out, MAGIC_USEC);
	memcpy(out + 4, v, 4);
	wr32(out + 8, 0);
	wr32(out + 12, 0);
	wr32(out + 16, snaplen);
	wr32(out + 20, linktype);
	return PCAPBUF_HDR_LEN;
}

int pcapbuf_write_record(uint8_t *out, size_t cap, uint64_t ts_usec, const uint8_t *data, uint32_t len)
{
	if (cap < PCAPBUF_REC_HDR || cap - PCAPBUF_REC_HDR < len)
		return -EMSGSIZE;
	wr32(out, (uint32_t)(ts_usec / 1000000u));
	wr32(out + 4, (uint32_t)(ts_usec % 1000000u));
	wr32(out + 8, len);
	wr32(out + 12, len);
	if (len)
		memcpy(out + PCAPBUF_REC_HDR, data, len);
	return PCAPBUF_REC_HDR + (int)len;
}
