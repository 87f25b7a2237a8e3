/* A classic libpcap file (tcpdump format) read from memory, for the checker's fuzz target and tests:
 * the global header (magic a1b2c3d4 microseconds / a1b23c4d nanoseconds, either byte order) and the
 * record headers. pcapng files are read through libpcap's own reader instead (check_cmd.c).
 *
 * Pure codec: parses UNTRUSTED input, no allocation; record data points into the caller's buffer.
 * Returns: pcapbuf_open() 24 (the header size), -EAGAIN (shorter than a header) or -EBADMSG (unknown
 * magic, snaplen 0); pcapbuf_next() 1 with a record, 0 at the clean end, -EAGAIN (a record cut
 * short: a capture killed mid-write) or -EBADMSG (caplen above PCAPBUF_MAX_CAPLEN or above len). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PCAPBUF_HDR_LEN	   24
#define PCAPBUF_REC_HDR	   16
#define PCAPBUF_MAX_CAPLEN 262144 /* libpcap's MAXIMUM_SNAPLEN */

struct pcapbuf {
	const uint8_t *buf;
	size_t len, off;
	bool swapped; /* the file's byte order is not ours */
	bool nsec;    /* timestamps in nanoseconds */
	uint16_t major, minor;
	uint32_t snaplen;
	uint32_t linktype; /* LINKTYPE_ value (the low 16 bits; the FCS bits are ignored) */
};

struct pcapbuf_rec {
	uint64_t ts_usec; /* microseconds since the epoch */
	uint32_t caplen, origlen;
	const uint8_t *data;
};

int pcapbuf_open(struct pcapbuf *pb, const uint8_t *buf, size_t len);
int pcapbuf_next(struct pcapbuf *pb, struct pcapbuf_rec *rec);

/* Writing (tests and tools): the global header and one record. Return bytes written or -EMSGSIZE. */
int pcapbuf_write_header(uint8_t *out, size_t cap, uint32_t linktype, uint32_t snaplen);
int pcapbuf_write_record(uint8_t *out, size_t cap, uint64_t ts_usec, const uint8_t *data, uint32_t len);
