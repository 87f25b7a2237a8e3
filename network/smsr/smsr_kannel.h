/* The SM-SR's Kannel HTTP transport for ES5 SMS (MNO1's path in the lab, network/README.md):
 *
 *   MT: GET /cgi-bin/sendsms?username&password&from&to&udh=<UDH>&text=<packet part>&coding=1&mclass=2
 *       &alt-dcs=1&pid=127&dlr-mask=3&dlr-url=<dlr endpoint>?tag=N&status=%d
 *       coding=1 (8-bit) + mclass=2 with alt-dcs gives TP-DCS F6, pid=127 TP-PID 7F (network-lab §4,
 *       verified in osmo-msc's sms.db). Kannel answers 202 "0: Accepted for delivery"; anything else is a
 *       failed submission (tx_status -EIO). One request at a time on one keep-alive connection (lib/http
 *       client), the rest queued (at most 256).
 *   MO: Kannel's sms-service get-url calls  <mo path>?from=%p&to=%P&udh=%u&bin=%b&...  : the TP-UD is
 *       udh ‖ bin (both URL-encoded binary), given up with the originator; answered 200 with no body.
 *   DLR: <dlr path>?tag=N&status=%d: status 1 delivered -> tx_status(tag, 0); 2 / 16 (failed, rejected)
 *       -> tx_status(tag, -EIO); others (buffered, SMSC ack) are only counted.
 *
 * Trust: callback requests are UNTRUSTED (from anyone who reaches the endpoint): parameters are decoded
 * with caps (140 octets of TP-UD), malformed ones answered 400 and dropped. The sendsms password is
 * never logged. Ownership: a talloc object owning its HTTP server and client. Returns 0 or -errno. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct smsr_kannel_cfg {
	const char *host; /* Kannel's smsbox (sendsms) */
	uint16_t port;
	const char *username, *password;
	const char *from; /* our short code */
	/* the MO/DLR endpoint we serve */
	const char *listen_addr;
	uint16_t listen_port; /* 0 = ephemeral (smsr_kannel_port()) */
	const char *mo_path, *dlr_path;
	const char *dlr_url; /* how Kannel reaches dlr_path (NULL: no delivery reports asked) */
};

struct smsr_kannel_up {
	void (*mo)(void *priv, const char *src, const uint8_t *ud, size_t len);
	void (*tx_status)(void *priv, uint32_t tag, int rc);
	void *priv;
};

struct smsr_kannel_stats {
	unsigned long sent, accepted, refused, mo, mo_bad, dlr, dlr_failed;
};

struct smsr_kannel;

struct smsr_kannel *smsr_kannel_alloc(void *ctx, const struct smsr_kannel_cfg *cfg, const struct smsr_kannel_up *up);
void smsr_kannel_free(struct smsr_kannel *k);
uint16_t smsr_kannel_port(const struct smsr_kannel *k);
const struct smsr_kannel_stats *smsr_kannel_stats(const struct smsr_kannel *k);

/* struct smsr_sms_ops.send (tp = the struct smsr_kannel). -EMSGSIZE above 140 octets, -EINVAL no UDH,
 * -ENOBUFS queue full. */
int smsr_kannel_send(void *tp, const char *dst, const uint8_t *ud, size_t len, uint32_t tag);

/* Percent-decoding of one query parameter (exposed for tests): the value of name in query (the part
 * after '?'), decoded ('+' = space, %XX) into out. Returns the length, -ENOENT, -EBADMSG (bad escape),
 * -EMSGSIZE. */
int smsr_kannel_query_param(const char *query, const char *name, uint8_t *out, size_t cap);
