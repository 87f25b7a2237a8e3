/* rsplab-smdp transport: the ops of smdp.h on lib/esnet (SOAP 1.2 + WS-A over HTTP(S), digest §6).
 * One esnet endpoint serves the MNO's ES2 requests and the SM-SRs' ES3 callbacks and notifications;
 * ES3 requests go to each SM-SR peer's URL with that peer's es_variant; ES2 notifications to the MNO.
 *
 * An ES2 request is held (its esnet_in) until the procedure answers through ops.es2_respond, keyed by
 * an mno_ref string "in:<n>". After a restart those are gone: the step-27 answer of a recovered
 * download goes out through ops.es2_callback as a callback POST to the stored wsa:ReplyTo (or From)
 * with wsa:RelatesTo = the stored wsa:MessageID (esnet_send_callback()).
 *
 * TLS: with cfg->tls_cert_file set, the endpoint is HTTPS with mutual TLS (a client certificate that
 * chains to the CA is required; tls_ca_file, or the CI certificate) and every outgoing connection (ES3
 * to the SM-SRs, ES2 notifications and callbacks to the MNO) presents our certificate and verifies
 * the server's chain, and for configured peers its name against the URL's host. A context that cannot
 * be built (file missing, key not matching) fails smdp_transport_alloc() (logged, errno EINVAL). */
#pragma once

#include "lib/esnet/esnet.h"
#include "network/smdp/smdp.h"

struct smdp_transport;

/* Listen as configured in cfg (listen_addr/port, own_url, smdp_id) and fill ops. The transport is a
 * talloc child of ctx. s must be set with smdp_transport_bind() before traffic arrives. */
struct smdp_transport *smdp_transport_alloc(void *ctx, const struct smdp_cfg *cfg, struct smdp_ops *ops);
void smdp_transport_bind(struct smdp_transport *t, struct smdp *s);
uint16_t smdp_transport_port(const struct smdp_transport *t);
void smdp_transport_free(struct smdp_transport *t);
