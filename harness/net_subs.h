/* Subscribers of the two HLRs: the RUNDIR/subscribers file and provisioning over osmo-hlr's VTY.
 *
 * File format (CSV, one subscriber a line; '#' comment lines and blank lines ignored):
 *     HLR,IMSI,MSISDN,ALGO,KEY[,OPC]
 *   HLR     mno1 | mno2 (which osmo-hlr gets the subscriber)
 *   IMSI    5..15 digits;  MSISDN 1..15 digits
 *   ALGO    comp128v1 (KEY = Ki, 32 hex digits, no OPC) | milenage (KEY = K and OPC, 32 hex digits each)
 * e.g. `mno1,001010000000001,1001,comp128v1,000102030405060708090a0b0c0d0e0f`
 *
 * Provisioning sends (osmo-hlr 1.5 VTY, network-lab §3): enable; subscriber imsi I create;
 * ... update msisdn M; ... update aud2g comp128v1 ki K | ... update aud3g milenage k K opc OPC.
 * Keys are secrets: they go to the VTY socket and nowhere else (never to stdout or a log).
 *
 * Trust: the file is UNTRUSTED text (every field is checked before it can reach a VTY command line).
 * Return values: 0 or a negative errno; parse errors set *err_line. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <osmocom/core/utils.h>

#include "harness/net_io.h"

enum net_hlr_id {
	NET_HLR_MNO1,
	NET_HLR_MNO2,
};
extern const struct value_string net_hlr_id_names[];

enum net_auth_algo {
	NET_AUTH_COMP128V1,
	NET_AUTH_MILENAGE,
};
extern const struct value_string net_auth_algo_names[];

struct net_sub {
	enum net_hlr_id hlr;
	char imsi[16];
	char msisdn[16];
	enum net_auth_algo algo;
	uint8_t key[16]; /* Ki or K */
	uint8_t opc[16]; /* MILENAGE only */
};

#define NET_SUBS_MAX 64

/* Parse the file text into subs (at most max). Returns the count, or -EBADMSG / -EINVAL / -ENOSPC with
 * *err_line set (1-based). */
int net_subs_parse(const char *text, size_t len, struct net_sub *subs, size_t max, unsigned int *err_line);

/* `enable` once on a freshly opened VTY (a second `enable` is an unknown command in the enable node). */
int net_vty_enable(struct net_vty *v, char *why, size_t why_len, int timeout_ms);

/* Create (if needed) and update one subscriber on an open VTY of its HLR, in enable mode (net_vty_enable).
 * On failure, why (if not NULL)
 * gets the failing command's verb and the HLR's reply line, never a key. */
int net_sub_provision(struct net_vty *v, const struct net_sub *s, char *why, size_t why_len, int timeout_ms);
