/* harness/check test support: one Ethernet / IPv4 / TCP frame for the synthetic captures of check_test,
 * gsup_test and tls13_test (checksums zero: the decoder does not check them). TEST CODE ONLY: static
 * inline, never part of rsplab. Addresses are host-order IPv4 (e.g. 0x7f000001). Returns the frame length;
 * f must hold 54 + plen bytes. */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <string.h>

static inline size_t tf_build_tcp(uint8_t *f, uint32_t src, uint16_t sport, uint32_t dst, uint16_t dport, uint32_t seq,
				  uint8_t flags, const void *payload, size_t plen)
{
	size_t ip_len = 20 + 20 + plen;
	uint8_t *ip = f + 14, *tcp = ip + 20;

	memset(f, 0, 14 + 40);
	f[12] = 0x08; /* IPv4 */
	ip[0] = 0x45;
	ip[2] = (uint8_t)(ip_len >> 8);
	ip[3] = (uint8_t)ip_len;
	ip[8] = 64;
	ip[9] = 6;
	for (int i = 0; i < 4; i++) {
		ip[12 + i] = (uint8_t)(src >> (24 - 8 * i));
		ip[16 + i] = (uint8_t)(dst >> (24 - 8 * i));
	}
	tcp[0] = (uint8_t)(sport >> 8);
	tcp[1] = (uint8_t)sport;
	tcp[2] = (uint8_t)(dport >> 8);
	tcp[3] = (uint8_t)dport;
	for (int i = 0; i < 4; i++)
		tcp[4 + i] = (uint8_t)(seq >> (24 - 8 * i));
	tcp[12] = 5 << 4;
	tcp[13] = flags;
	if (plen)
		memcpy(tcp + 20, payload, plen);
	return 14 + ip_len;
}
