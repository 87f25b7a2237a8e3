/* The checker's application layers (see check.h): HTTP (lib/http's parser), SOAP/ES (lib/soap,
 * lib/es), Kannel's HTTP sendsms interface, SMPP (lib/smpp), SMS user data (lib/sms), SCP80
 * (lib/scp80), remote scripts (lib/rscript), ES5/ES8 commands and E1 notifications (lib/es5). */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/tree.h>
#include <osmocom/gsm/gsup.h>
#include <osmocom/gsm/protocol/gsm_04_08_gprs.h>
#include <osmocom/gsm/protocol/ipaccess.h>
#include <talloc.h>

#include "harness/check/check_internal.h"
#include "lib/es5/es5.h"
#include "lib/es5/notification.h"
#include "lib/http/http_msg.h"
#include "lib/ramhttp/ramhttp.h"
#include "lib/rscript/rscript.h"
#include "lib/scp81/scp81.h"
#include "lib/smpp/smpp.h"
#include "lib/sms/sms.h"
#include "lib/soap/rps_header.h"

#define CHECK_HTTP_MAX_BODY (4 * 1024 * 1024)

/* ---- detection ------------------------------------------------------------------------------------ */

static const char *const http_methods[] = { "GET ", "POST ", "PUT ", "HEAD ", "DELETE ", "OPTIONS ", "PATCH ", NULL };

static bool smpp_cmd_known(uint32_t id)
{
	uint32_t base = id & 0x7fffffffu;

	/* SMPP 3.4 §5.1.2.1 command_id values */
	return (base >= 0x01 && base <= 0x09) || base == 0x0B || base == 0x15 || base == 0x21 || base == 0x102 ||
	       base == 0x103 || id == 0x80000000u;
}

enum check_app_kind check_app_detect(const uint8_t *d, size_t len)
{
	for (int i = 0; http_methods[i]; i++) {
		size_t n = strlen(http_methods[i]);

		if (len >= n && !memcmp(d, http_methods[i], n))
			return CHECK_APP_HTTP;
	}
	if (len >= 5 && !memcmp(d, "HTTP/", 5))
		return CHECK_APP_HTTP;
	/* IPA (GSUP, CCM): a u16 length that is not 0 (an SMPP PDU below 64 KiB starts with two zero bytes) */
	if (check_ipa_looks_like(d, len))
		return CHECK_APP_IPA;
	if (len >= 8) {
		uint32_t l = (uint32_t)d[0] << 24 | (uint32_t)d[1] << 16 | (uint32_t)d[2] << 8 | d[3];
		uint32_t id = (uint32_t)d[4] << 24 | (uint32_t)d[5] << 16 | (uint32_t)d[6] << 8 | d[7];

		/* network/sctpshim's SCTP-over-TCP frame [u32 length][u32 ppid][u16 stream][u16 0] carrying M3UA
		 * (PPID 3, RFC 4666 §1.4.8; header version 1, reserved 0, its own length = the frame's) reads like
		 * an SMPP query_sm: it is not SMPP */
		if (len >= 20 && id == 3 && d[12] == 1 && d[13] == 0 &&
		    ((uint32_t)d[16] << 24 | (uint32_t)d[17] << 16 | (uint32_t)d[18] << 8 | d[19]) == l)
			return CHECK_APP_OTHER;
		/* a request's command_status is NULL (SMPP 3.4 §3.2): Kannel's bearerbox<->smsbox messages
		 * ([u32 length][u32 type] then the type's fields, e.g. admin identify = 1, 3) are not SMPP */
		if (len < 12 || (!(id & 0x80000000u) && (d[8] | d[9] | d[10] | d[11]) != 0))
			return CHECK_APP_OTHER;
		if (l >= SMPP_PDU_MIN && l <= SMPP_PDU_MAX && smpp_cmd_known(id))
			return CHECK_APP_SMPP;
	}
	return CHECK_APP_OTHER;
}

/* ---- SOAP findings -> checker findings ----------------------------------------------------------- */

static const char *map_lib_rule(const char *r)
{
	if (!strcmp(r, "ES-XSD"))
		return "XSD-001";
	if (!strcmp(r, "ES-VARIANT"))
		return "ES-900";
	if (!strcmp(r, "ES-ACTION"))
		return "ES-010";
	if (!strcmp(r, "ES-NS"))
		return "ES-011";
	return r;
}

static int import_soap_findings(struct checker *ck, const struct soap_findings *sf, uint32_t frame)
{
	int xsd = 0;

	for (unsigned int i = 0; i < sf->n; i++) {
		const struct soap_finding *f = &sf->f[i];
		const char *rule = map_lib_rule(f->rule);

		if (!strcmp(rule, "XSD-001"))
			xsd++;
		if (f->info && ck->opts.es_variant_pinned)
			checker_add(ck, "ES-901", frame, f->path[0] ? f->path : NULL, "%s (variant pinned)", f->text);
		else if (f->info)
			checker_note(ck, rule, frame, f->path[0] ? f->path : NULL, "%s", f->text);
		else
			checker_add(ck, rule, frame, f->path[0] ? f->path : NULL, "%s", f->text);
	}
	if (sf->dropped)
		checker_add(ck, "XSD-001", frame, NULL, "%u further findings in this message not listed", sf->dropped);
	return xsd;
}

/* First element with this local name under node (depth-first), or NULL. */
static xmlNode *find_elem(xmlNode *node, const char *name, int depth)
{
	for (xmlNode *n = node; n && depth < 40; n = n->next) {
		xmlNode *r;

		if (n->type != XML_ELEMENT_NODE)
			continue;
		if (!strcmp((const char *)n->name, name))
			return n;
		r = find_elem(n->children, name, depth + 1);
		if (r)
			return r;
	}
	return NULL;
}

/* Eid and Status of an ES body, via a second (capped, DTD-free) parse. */
static void es_body_facts(struct checker *ck, struct check_es *rec, const uint8_t *body, size_t len)
{
	struct soap_doc doc;
	char buf[256];
	xmlNode *n;

	if (soap_doc_parse(&doc, body, len, NULL, NULL) < 0)
		return;
	if (doc.body) {
		n = find_elem(doc.body, "Eid", 0);
		if (n && soap_node_text(n, buf, sizeof(buf)) >= 0)
			rec->eid = talloc_strdup(ck, buf);
		n = find_elem(doc.body, "FunctionExecutionStatus", 0);
		if (n && (n = find_elem(n->children, "Status", 0)) && soap_node_text(n, buf, sizeof(buf)) >= 0)
			rec->status = (enum es_status)get_string_value(es_status_names, buf);
	}
	soap_doc_free(&doc);
}

static void es_handle(struct check_flow *cf, int dir, const uint8_t *body, size_t len, uint32_t frame)
{
	struct checker *ck = cf->ck;
	struct es_decode_opts o = { .variant = &ck->opts.es_variant, .schema = ck->opts.schema };
	struct soap_findings *sf = talloc_zero(cf, struct soap_findings);
	struct es_msg *msg = talloc_zero(cf, struct es_msg);
	size_t alen = len + 8192;
	char *arena = talloc_size(cf, alen);
	const struct es_msg_info *mi = NULL;
	struct check_event *ev;
	int rc, xsd;

	if (!sf || !msg || !arena)
		goto out;
	soap_findings_init(sf);
	ck->st.es_msgs++;
	rc = es_msg_decode(msg, arena, alen, body, len, &o, sf);
	xsd = import_soap_findings(ck, sf, frame);
	if (rc < 0) {
		checker_add(ck, "ES-002", frame, NULL, "flow %u %s -> %s: SOAP message not decodable (%s)", cf->fl->id,
			    cf->ep[dir], cf->ep[1 - dir], strerror(-rc));
		ev = check_event_add(ck, frame, "ES", "flow %u %s -> %s: undecodable SOAP (%zu bytes)", cf->fl->id,
				     cf->ep[dir], cf->ep[1 - dir], len);
	} else {
		if (msg->id >= 0 && msg->id < ES_MSG__COUNT)
			mi = &es_msgs[msg->id];
		ev = check_event_add(ck, frame, "ES", "flow %u %s -> %s: %s%s, XSD %s", cf->fl->id, cf->ep[dir],
				     cf->ep[1 - dir],
				     msg->is_fault ? "SOAP fault"
				     : mi	   ? mi->element
						   : "?",
				     "", !ck->opts.schema ? "not checked" : (xsd ? "INVALID" : "valid"));
	}
	if (ev) {
		ev->flow = cf->fl->id;
		ev->es_id = mi ? mi->id : ES_MSG_NONE;
		ev->xsd_errors = ck->opts.schema ? xsd : -1;
		ev->detail = talloc_strndup(ck, (const char *)body, len < CHECK_DETAIL_MAX ? len : CHECK_DETAIL_MAX);
	}
	if (rc >= 0 && mi) {
		struct check_es *rec = check_es_add(ck);
		struct rps_header h;
		char rarena[2048];

		if (rec) {
			rec->frame = frame;
			rec->id = mi->id;
			rec->message_id = msg->wsa.message_id ? talloc_strdup(ck, msg->wsa.message_id) : NULL;
			rec->relates_to = msg->wsa.relates_to ? talloc_strdup(ck, msg->wsa.relates_to) : NULL;
			if (rps_header_from_wsa(&msg->wsa, rarena, sizeof(rarena), &h, NULL) == 0) {
				rec->sender = h.sender_id ? talloc_strdup(ck, h.sender_id) : NULL;
				rec->receiver = h.receiver_id ? talloc_strdup(ck, h.receiver_id) : NULL;
			}
			es_body_facts(ck, rec, body, len);
			if (mi->kind == ES_KIND_RESPONSE && rec->status && rec->status != ES_STATUS_EXECUTED_SUCCESS)
				checker_add(ck, "ES-020", frame, NULL, "%s: status %s", mi->name,
					    get_value_string(es_status_names, rec->status));
		}
	}
out:
	talloc_free(sf);
	talloc_free(msg);
	talloc_free(arena);
}

/* ---- Kannel sendsms (HTTP GET/POST query parameters) -------------------------------------------- */

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Percent-decode (and '+' as space) into out; returns the length or -EMSGSIZE / -EBADMSG. */
static int url_decode(const char *s, size_t len, uint8_t *out, size_t cap)
{
	size_t o = 0;

	for (size_t i = 0; i < len; i++) {
		int c = (unsigned char)s[i];

		if (c == '%') {
			int h, l;

			if (len - i < 3 || (h = hexval(s[i + 1])) < 0 || (l = hexval(s[i + 2])) < 0)
				return -EBADMSG;
			c = h << 4 | l;
			i += 2;
		} else if (c == '+') {
			c = ' ';
		}
		if (o == cap)
			return -EMSGSIZE;
		out[o++] = (uint8_t)c;
	}
	return (int)o;
}

/* The value of query parameter key, decoded; -ENOENT if absent. */
static int query_param(const char *q, const char *key, uint8_t *out, size_t cap)
{
	size_t kl = strlen(key);

	while (q && *q) {
		const char *amp = strchr(q, '&');
		size_t pl = amp ? (size_t)(amp - q) : strlen(q);

		if (pl > kl && q[kl] == '=' && !strncmp(q, key, kl))
			return url_decode(q + kl + 1, pl - kl - 1, out, cap);
		q = amp ? amp + 1 : NULL;
	}
	return -ENOENT;
}

static void kannel_handle(struct check_flow *cf, const struct http_msg *m, const char *query, uint32_t frame)
{
	struct checker *ck = cf->ck;
	uint8_t udh[160], text[512], num[32], ud[SMS_UD_MAX + 20];
	int udh_len, text_len, coding = -1, pid = -1;
	char to[40] = "";

	udh_len = query_param(query, "udh", udh, sizeof(udh));
	text_len = query_param(query, "text", text, sizeof(text));
	int n = query_param(query, "coding", num, sizeof(num) - 1);
	if (n > 0) {
		num[n] = 0;
		coding = atoi((char *)num);
	}
	n = query_param(query, "pid", num, sizeof(num) - 1);
	if (n > 0) {
		num[n] = 0;
		pid = atoi((char *)num);
	}
	n = query_param(query, "to", num, sizeof(num) - 1);
	if (n > 0) {
		num[n] = 0;
		snprintf(to, sizeof(to), "%s", (char *)num);
	}
	/* the password parameter is never printed */
	check_event_add(ck, frame, "KANNEL", "flow %u: sendsms to=%s udh=%d octets text=%d octets coding=%d pid=%d",
			cf->fl->id, to, udh_len > 0 ? udh_len : 0, text_len > 0 ? text_len : 0, coding, pid);
	ck->st.sms++;
	if (udh_len <= 0 || text_len < 0) {
		if (text_len > 0 && coding == 1)
			checker_add(ck, "KANNEL-001", frame, NULL, "8-bit sendsms without udh: not a secured packet");
		return;
	}
	/* Kannel: coding 1 = 8-bit; a secured packet needs it, and TP-PID 7F (digest §5.1). */
	if (coding != 1)
		checker_add(ck, "KANNEL-001", frame, NULL, "udh given with coding=%d (8-bit is coding=1)", coding);
	if (pid != 127)
		checker_add(ck, "KANNEL-002", frame, NULL, "pid=%d, SIM data download needs 127", pid);
	if ((size_t)udh_len + (size_t)text_len > sizeof(ud)) {
		checker_add(ck, "SMS-001", frame, NULL, "udh + text = %d octets, above one SMS", udh_len + text_len);
		return;
	}
	memcpy(ud, udh, (size_t)udh_len);
	memcpy(ud + udh_len, text, (size_t)text_len);
	check_sms_ud(ck, frame, ud, (size_t)(udh_len + text_len), true, true, "Kannel");
}

/* Kannel's MO callback to the SM-SR (smsbox get-url, network/kannel/kannel.conf.tmpl: from=%p to=%P
 * udh=%u bin=%b coding=%c): the card's PoRs and notifications on the Kannel path. */
static void kannel_mo_handle(struct check_flow *cf, const char *query, uint32_t frame)
{
	struct checker *ck = cf->ck;
	uint8_t udh[160], bin[512], num[32], ud[SMS_UD_MAX + 20];
	char from[40] = "", to[40] = "";
	int udh_len, bin_len, n;

	udh_len = query_param(query, "udh", udh, sizeof(udh));
	bin_len = query_param(query, "bin", bin, sizeof(bin));
	if (bin_len < 0)
		bin_len = query_param(query, "text", bin, sizeof(bin));
	n = query_param(query, "from", num, sizeof(num) - 1);
	if (n > 0) {
		num[n] = 0;
		snprintf(from, sizeof(from), "%s", (char *)num);
	}
	n = query_param(query, "to", num, sizeof(num) - 1);
	if (n > 0) {
		num[n] = 0;
		snprintf(to, sizeof(to), "%s", (char *)num);
	}
	check_event_add(ck, frame, "KANNEL", "flow %u: MO callback from=%s to=%s udh=%d octets data=%d octets",
			cf->fl->id, from, to, udh_len > 0 ? udh_len : 0, bin_len > 0 ? bin_len : 0);
	ck->st.sms++;
	if (udh_len <= 0 || bin_len < 0)
		return;
	if ((size_t)udh_len + (size_t)bin_len > sizeof(ud)) {
		checker_add(ck, "SMS-001", frame, NULL, "udh + data = %d octets, above one SMS", udh_len + bin_len);
		return;
	}
	memcpy(ud, udh, (size_t)udh_len);
	memcpy(ud + udh_len, bin, (size_t)bin_len);
	check_sms_ud(ck, frame, ud, (size_t)(udh_len + bin_len), true, false, "Kannel MO");
}

/* ---- HTTP ------------------------------------------------------------------------------------------ */

static void script_cmd(struct checker *ck, uint32_t frame, const uint8_t *d, size_t len);
static void script_rsp(struct checker *ck, uint32_t frame, const uint8_t *d, size_t len);

/* An E1 notification (digest §4.5) in the first POST of an admin session the card opened itself: the
 * msg parameter of the URI or an E1 body without a script status (lib/ramhttp enum
 * ramhttp_notif_carriage). The event names the SM-SR endpoint for the runner's card-notification. */
static void admin_notif(struct check_flow *cf, int dir, const struct http_msg *m, uint32_t frame)
{
	struct checker *ck = cf->ck;
	uint8_t e1[RAMHTTP_NOTIF_MAX];
	struct es5_notification nt;
	enum ramhttp_notif_carriage how;
	/* a response POST (with a script status) carries an AF, never a notification */
	bool response = http_msg_header(m, RAMHTTP_HDR_SCRIPT_STATUS) != NULL;
	int n = ramhttp_notif_from_post(e1, sizeof(e1), m->url, strlen(m->url), m->body, response ? 0 : m->body_len,
					&how);
	const char *how_s = how == RAMHTTP_NOTIF_BODY ? "body" : "msg parameter";

	if (n == 0)
		return;
	if (n < 0 || es5_notification_decode(&nt, e1, (size_t)n) < 0) {
		checker_add(ck, "E1-001", frame, NULL, "E1 notification in an admin session (%s) not decodable", how_s);
		return;
	}
	check_event_add(ck, frame, "E1", "notification type %02X seq %u AID tag %02X over HTTPS to %s (%s)", nt.type,
			nt.seq, nt.aid_tag, cf->ep[1 - dir], how_s);
}

static void http_handle(struct check_flow *cf, int dir, const struct http_msg *m, uint32_t frame)
{
	struct checker *ck = cf->ck;
	const char *ct = http_msg_header(m, "Content-Type");
	bool soap_ct = ct && strcasestr(ct, "application/soap+xml");
	bool looks_soap = m->body_len && m->body[0] == '<' && memmem(m->body, m->body_len, "Envelope", 8);

	ck->st.http_msgs++;
	if (m->request) {
		const char *q = strchr(m->url, '?');

		struct check_event *hev = check_event_add(
			ck, frame, "HTTP", "flow %u %s -> %s: %s %.*s (%zu body bytes)", cf->fl->id, cf->ep[dir],
			cf->ep[1 - dir], m->method, q ? (int)(q - m->url) : (int)strlen(m->url), m->url, m->body_len);

		if (hev)
			hev->flow = cf->fl->id; /* the sequence chart places Kannel's sendsms and MO callbacks by it */
		if (http_msg_header(m, RAMHTTP_HDR_PROTOCOL))
			admin_notif(cf, dir, m, frame);
		if (q && strstr(m->url, "/sendsms"))
			kannel_handle(cf, m, q + 1, frame);
		else if (q && strstr(q, "udh=") && strstr(q, "from="))
			kannel_mo_handle(cf, q + 1, frame);
		else if (q && strstr(q, "udh="))
			kannel_handle(cf, m, q + 1, frame);
		else if (!q && m->body_len && ct && strcasestr(ct, "x-www-form-urlencoded") && m->body_len < 65536) {
			char *form = talloc_strndup(cf, (const char *)m->body, m->body_len);
			if (form && strstr(form, "udh="))
				kannel_handle(cf, m, form, frame);
			talloc_free(form);
		}
	} else {
		check_event_add(ck, frame, "HTTP", "flow %u %s -> %s: %u %s (%zu body bytes)", cf->fl->id, cf->ep[dir],
				cf->ep[1 - dir], m->status, m->reason ? m->reason : "", m->body_len);
	}
	/* RAM over HTTP (digest §5.2): the SM-SR's scripts (AE) and the card's responses (AF) */
	if (ct && m->body_len && strcasestr(ct, "vnd.globalplatform.card-content-mgt")) {
		if (strcasestr(ct, "card-content-mgt-response")) {
			/* not a notification in the body (admin_notif) */
			if (m->body[0] != 0xE1 || http_msg_header(m, RAMHTTP_HDR_SCRIPT_STATUS))
				script_rsp(ck, frame, m->body, m->body_len);
		} else {
			script_cmd(ck, frame, m->body, m->body_len);
		}
	}
	if (!soap_ct && !looks_soap)
		return;
	if (!soap_ct) {
		checker_add(ck, "HTTP-002", frame, NULL, "SOAP envelope sent with Content-Type %s", ct ? ct : "(none)");
	} else {
		struct soap_findings *sf = talloc_zero(cf, struct soap_findings);
		char action[512];

		if (sf) {
			soap_findings_init(sf);
			if (soap_content_type_parse(ct, strlen(ct), action, sizeof(action), sf) < 0)
				checker_add(ck, "HTTP-002", frame, NULL, "Content-Type not parsable: %s", ct);
			import_soap_findings(ck, sf, frame);
			talloc_free(sf);
		}
	}
	if (m->body_len)
		es_handle(cf, dir, m->body, m->body_len, frame);
}

static void http_feed(struct check_flow *cf, struct check_sink *s, int dir, const uint8_t *d, size_t len,
		      uint32_t frame)
{
	struct checker *ck = cf->ck;

	if (s->rx_dead[dir])
		return;
	if (!s->rx[dir]) {
		struct http_limits lim = { .max_body = CHECK_HTTP_MAX_BODY };
		bool request = !(len >= 5 && !memcmp(d, "HTTP/", 5));

		s->rx[dir] = http_rx_alloc(cf, request, &lim);
		if (!s->rx[dir]) {
			s->rx_dead[dir] = true;
			return;
		}
	}
	while (len) {
		int rc = http_rx_feed(s->rx[dir], d, len);

		if (rc < 0) {
			checker_add(ck, "HTTP-001", frame, NULL, "flow %u %s -> %s: %s", cf->fl->id, cf->ep[dir],
				    cf->ep[1 - dir], get_value_string(http_rx_err_names, http_rx_error(s->rx[dir])));
			s->rx_dead[dir] = true;
			return;
		}
		d += rc;
		len -= (size_t)rc;
		if (http_rx_done(s->rx[dir])) {
			http_handle(cf, dir, http_rx_msg(s->rx[dir]), frame);
			http_rx_next(s->rx[dir]);
		} else if (rc == 0) {
			break;
		}
	}
}

/* ---- SMPP ------------------------------------------------------------------------------------------ */

static const struct value_string smpp_cmd_names[] = {
	{ 0x00000001, "bind_receiver" },    { 0x80000001, "bind_receiver_resp" },
	{ 0x00000002, "bind_transmitter" }, { 0x80000002, "bind_transmitter_resp" },
	{ 0x00000004, "submit_sm" },	    { 0x80000004, "submit_sm_resp" },
	{ 0x00000005, "deliver_sm" },	    { 0x80000005, "deliver_sm_resp" },
	{ 0x00000006, "unbind" },	    { 0x80000006, "unbind_resp" },
	{ 0x00000009, "bind_transceiver" }, { 0x80000009, "bind_transceiver_resp" },
	{ 0x00000015, "enquire_link" },	    { 0x80000015, "enquire_link_resp" },
	{ 0x80000000, "generic_nack" },	    { 0x00000103, "data_sm" },
	{ 0x80000103, "data_sm_resp" },	    { 0, NULL },
};

static void smpp_pdu(struct check_flow *cf, int dir, const uint8_t *pdu, size_t len, uint32_t frame)
{
	struct checker *ck = cf->ck;
	struct smpp_hdr h;
	struct check_event *ev;

	ck->st.smpp_pdus++;
	if (smpp_hdr_decode(&h, pdu, len) < 0)
		return;
	if (h.cmd_id == SMPP_CMD_SUBMIT_SM || h.cmd_id == SMPP_CMD_DELIVER_SM) {
		struct smpp_sm m;
		int rc = smpp_sm_decode(&m, pdu, len);

		if (rc < 0) {
			checker_add(ck, "SMPP-001", frame, NULL, "flow %u %s -> %s: %s seq %u not decodable (%d)",
				    cf->fl->id, cf->ep[dir], cf->ep[1 - dir],
				    get_value_string(smpp_cmd_names, h.cmd_id), h.seq, rc);
			return;
		}
		ev = check_event_add(ck, frame, "SMPP",
				     "flow %u %s -> %s: %s seq %u %s -> %s esm %02X pid %02X dcs %02X sm %zu octets",
				     cf->fl->id, cf->ep[dir], cf->ep[1 - dir],
				     get_value_string(smpp_cmd_names, h.cmd_id), h.seq, m.src.addr, m.dst.addr,
				     m.esm_class, m.protocol_id, m.data_coding, m.sm_len);
		if (ev) {
			struct check_smpp_info *si = &ev->smpp;

			ev->has_smpp = true;
			ev->flow = cf->fl->id;
			si->cmd_id = h.cmd_id;
			si->status = h.status;
			si->seq = h.seq;
			si->has_sm = true;
			si->src_ton = m.src.ton;
			si->src_npi = m.src.npi;
			si->dst_ton = m.dst.ton;
			si->dst_npi = m.dst.npi;
			memcpy(si->src, m.src.addr, sizeof(si->src));
			memcpy(si->dst, m.dst.addr, sizeof(si->dst));
			si->esm_class = m.esm_class;
			si->protocol_id = m.protocol_id;
			si->data_coding = m.data_coding;
			si->sm_len = m.sm_len;
			if (m.esm_class & SMPP_ESM_UDHI)
				for (unsigned int i = 0; i < m.udh.n_ies && si->n_iei < 8; i++)
					si->iei[si->n_iei++] = m.udh.ies[i].iei;
		}
		bool secured = (m.esm_class & SMPP_ESM_UDHI) &&
			       (sms_udh_find(&m.udh, SMS_IEI_CPI) || sms_udh_find(&m.udh, SMS_IEI_RPI));
		if (secured || m.protocol_id == SMS_PID_SIM_DATA_DOWNLOAD) {
			if (!(m.esm_class & SMPP_ESM_UDHI))
				checker_add(ck, "SMPP-002", frame, NULL, "esm_class %02X without UDHI", m.esm_class);
			if (h.cmd_id == SMPP_CMD_SUBMIT_SM && m.protocol_id != SMS_PID_SIM_DATA_DOWNLOAD)
				checker_add(ck, "SMPP-003", frame, NULL, "protocol_id %02X", m.protocol_id);
			if (!smpp_data_coding_is_8bit(m.data_coding))
				checker_add(ck, "SMPP-004", frame, NULL, "data_coding %02X", m.data_coding);
			else if (h.cmd_id == SMPP_CMD_SUBMIT_SM)
				checker_note(ck, "ES-900", frame, NULL, "SMPP data_coding %02X: variant %s",
					     m.data_coding,
					     m.data_coding == 0xF6   ? "F6"
					     : m.data_coding == 0x02 ? "02"
					     : m.data_coding == 0x04 ? "04"
								     : "other 8-bit");
		}
		ck->st.sms++;
		check_sms_ud(ck, frame, m.sm, m.sm_len, (m.esm_class & SMPP_ESM_UDHI) != 0,
			     h.cmd_id == SMPP_CMD_SUBMIT_SM, "SMPP");
		return;
	}
	ev = check_event_add(ck, frame, "SMPP", "flow %u %s -> %s: %s seq %u status %08X", cf->fl->id, cf->ep[dir],
			     cf->ep[1 - dir], get_value_string(smpp_cmd_names, h.cmd_id), h.seq, h.status);
	if (ev) {
		ev->has_smpp = true;
		ev->flow = cf->fl->id;
		ev->smpp.cmd_id = h.cmd_id;
		ev->smpp.status = h.status;
		ev->smpp.seq = h.seq;
	}
	if ((h.cmd_id & 0x80000000u) && h.status)
		checker_add(ck, "SMPP-005", frame, NULL, "%s seq %u command_status %08X",
			    get_value_string(smpp_cmd_names, h.cmd_id), h.seq, h.status);
}

static void smpp_feed(struct check_flow *cf, struct check_sink *s, int dir, const uint8_t *d, size_t len,
		      uint32_t frame)
{
	if (s->smpp_dead[dir])
		return;
	if (!s->smpp_buf[dir]) {
		s->smpp_buf[dir] = talloc_size(cf, SMPP_PDU_MAX);
		if (!s->smpp_buf[dir]) {
			s->smpp_dead[dir] = true;
			return;
		}
	}
	while (len) {
		size_t take = SMPP_PDU_MAX - s->smpp_have[dir];
		int fl;

		if (take > len)
			take = len;
		memcpy(s->smpp_buf[dir] + s->smpp_have[dir], d, take);
		s->smpp_have[dir] += take;
		d += take;
		len -= take;
		while ((fl = smpp_frame_len(s->smpp_buf[dir], s->smpp_have[dir])) > 0 &&
		       (size_t)fl <= s->smpp_have[dir]) {
			smpp_pdu(cf, dir, s->smpp_buf[dir], (size_t)fl, frame);
			memmove(s->smpp_buf[dir], s->smpp_buf[dir] + fl, s->smpp_have[dir] - (size_t)fl);
			s->smpp_have[dir] -= (size_t)fl;
		}
		if (fl == -EBADMSG) {
			checker_add(cf->ck, "SMPP-001", frame, NULL, "flow %u %s -> %s: command_length out of range",
				    cf->fl->id, cf->ep[dir], cf->ep[1 - dir]);
			s->smpp_dead[dir] = true;
			return;
		}
	}
}

/* ---- IPA and GSUP ---------------------------------------------------------------------------------- */

static void gsup_pending_add(struct check_sink *s, int dir, const struct check_gsup_info *g, uint32_t frame)
{
	struct check_gsup_pending *p;

	if (s->n_gsup_pending == CHECK_GSUP_PENDING) { /* the oldest is forgotten */
		memmove(s->gsup_pending, s->gsup_pending + 1, sizeof(s->gsup_pending[0]) * (CHECK_GSUP_PENDING - 1));
		s->n_gsup_pending--;
	}
	p = &s->gsup_pending[s->n_gsup_pending++];
	memcpy(p->imsi, g->imsi, sizeof(p->imsi));
	p->type = g->msg_type;
	p->dir = (uint8_t)dir;
	p->frame = frame;
}

/* A result or error answers the latest request of the same type and IMSI sent the other way. */
static bool gsup_pending_take(struct check_sink *s, int dir, const struct check_gsup_info *g)
{
	uint8_t req = g->msg_type & (uint8_t)~0x03u; /* OSMO_GSUP_TO_MSGT_REQUEST */

	for (unsigned int i = s->n_gsup_pending; i-- > 0;) {
		struct check_gsup_pending *p = &s->gsup_pending[i];

		if (p->type == req && p->dir != dir && !strcmp(p->imsi, g->imsi)) {
			memmove(p, p + 1, sizeof(*p) * (s->n_gsup_pending - i - 1));
			s->n_gsup_pending--;
			return true;
		}
	}
	return false;
}

static const char *gsup_cn_name(uint8_t cn)
{
	return cn == OSMO_GSUP_CN_DOMAIN_CS ? "CS" : cn == OSMO_GSUP_CN_DOMAIN_PS ? "PS" : "-";
}

static void gsup_msg(struct check_flow *cf, struct check_sink *s, int dir, const uint8_t *d, size_t len, uint32_t frame)
{
	struct checker *ck = cf->ck;
	struct check_gsup_info g;
	struct check_event *e;
	int rc = check_gsup_decode(&g, d, len);

	ck->st.gsup_msgs++;
	if (rc < 0) {
		checker_add(ck, "GSUP-001", frame, NULL, "flow %u %s -> %s: %s (%zu bytes): %s", cf->fl->id,
			    cf->ep[dir], cf->ep[1 - dir], len ? check_gsup_type_name(g.msg_type) : "empty", len,
			    get_value_string(gsm48_gmm_cause_names, (uint32_t)-g.decode_rc));
		e = check_event_add(ck, frame, "GSUP", "%s -> %s malformed %s", cf->ep[dir], cf->ep[1 - dir],
				    len ? check_gsup_type_name(g.msg_type) : "(empty)");
		if (e) {
			e->flow = cf->fl->id;
			e->has_gsup = true;
			e->gsup = g;
		}
		return;
	}
	if (OSMO_GSUP_IS_MSGT_ERROR(g.msg_type))
		e = check_event_add(ck, frame, "GSUP", "%s -> %s %s imsi=%s cn=%s cause=%u (%s)", cf->ep[dir],
				    cf->ep[1 - dir], check_gsup_type_name(g.msg_type), g.imsi[0] ? g.imsi : "-",
				    gsup_cn_name(g.cn_domain), g.cause,
				    get_value_string(gsm48_gmm_cause_names, g.cause));
	else
		e = check_event_add(ck, frame, "GSUP", "%s -> %s %s imsi=%s cn=%s", cf->ep[dir], cf->ep[1 - dir],
				    check_gsup_type_name(g.msg_type), g.imsi[0] ? g.imsi : "-",
				    gsup_cn_name(g.cn_domain));
	if (e) {
		e->flow = cf->fl->id;
		e->has_gsup = true;
		e->gsup = g;
	}
	if (OSMO_GSUP_IS_MSGT_REQUEST(g.msg_type)) {
		gsup_pending_add(s, dir, &g, frame);
		return;
	}
	if (OSMO_GSUP_IS_MSGT_ERROR(g.msg_type))
		checker_add(ck, "GSUP-002", frame, NULL, "%s imsi=%s cause %u (%s)", check_gsup_type_name(g.msg_type),
			    g.imsi, g.cause, get_value_string(gsm48_gmm_cause_names, g.cause));
	if (!gsup_pending_take(s, dir, &g))
		checker_add(ck, "GSUP-003", frame, NULL, "flow %u %s -> %s: %s imsi=%s answers no request seen",
			    cf->fl->id, cf->ep[dir], cf->ep[1 - dir], check_gsup_type_name(g.msg_type), g.imsi);
}

static void ipa_msg(struct check_flow *cf, struct check_sink *s, int dir, const uint8_t *frm, size_t flen,
		    uint32_t frame)
{
	struct check_ipa_msg m;

	cf->ck->st.ipa_msgs++;
	if (check_ipa_decode(&m, frm, flen) < 0)
		return; /* the framing loop only hands over whole frames that decode */
	if (!check_ipa_proto_known(m.proto)) {
		checker_add(cf->ck, "IPA-002", frame, NULL, "flow %u %s -> %s: stream id %02X", cf->fl->id, cf->ep[dir],
			    cf->ep[1 - dir], m.proto);
		return;
	}
	if (m.proto == IPAC_PROTO_OSMO && m.ext == IPAC_PROTO_EXT_GSUP)
		gsup_msg(cf, s, dir, m.data, m.len, frame);
}

static void ipa_feed(struct check_flow *cf, struct check_sink *s, int dir, const uint8_t *d, size_t len, uint32_t frame)
{
	if (s->ipa_dead[dir])
		return;
	if (!s->ipa_buf[dir]) {
		s->ipa_buf[dir] = talloc_size(cf, CHECK_IPA_MAX);
		if (!s->ipa_buf[dir]) {
			s->ipa_dead[dir] = true;
			return;
		}
	}
	while (len) {
		size_t take = CHECK_IPA_MAX - s->ipa_have[dir];
		struct check_ipa_msg m;
		int n;

		if (take > len)
			take = len;
		memcpy(s->ipa_buf[dir] + s->ipa_have[dir], d, take);
		s->ipa_have[dir] += take;
		d += take;
		len -= take;
		while ((n = check_ipa_decode(&m, s->ipa_buf[dir], s->ipa_have[dir])) > 0) {
			ipa_msg(cf, s, dir, s->ipa_buf[dir], (size_t)n, frame);
			memmove(s->ipa_buf[dir], s->ipa_buf[dir] + n, s->ipa_have[dir] - (size_t)n);
			s->ipa_have[dir] -= (size_t)n;
		}
		if (n == -EBADMSG) {
			checker_add(cf->ck, "IPA-001", frame, NULL, "flow %u %s -> %s: IPA length 0, rest skipped",
				    cf->fl->id, cf->ep[dir], cf->ep[1 - dir]);
			s->ipa_dead[dir] = true;
			return;
		}
	}
}

/* ---- sinks ----------------------------------------------------------------------------------------- */

void check_sink_feed(struct check_flow *cf, struct check_sink *s, int dir, const uint8_t *d, size_t len, uint32_t frame)
{
	if (!len)
		return;
	if (s->kind == CHECK_APP_UNKNOWN)
		s->kind = check_app_detect(d, len);
	switch (s->kind) {
	case CHECK_APP_HTTP: http_feed(cf, s, dir, d, len, frame); break;
	case CHECK_APP_SMPP: smpp_feed(cf, s, dir, d, len, frame); break;
	case CHECK_APP_IPA: ipa_feed(cf, s, dir, d, len, frame); break;
	default: break;
	}
}

void check_sink_gap(struct check_flow *cf, struct check_sink *s, int dir)
{
	/* After a hole the framing cannot be trusted: stop decoding this direction. */
	s->rx_dead[dir] = true;
	s->smpp_dead[dir] = true;
	s->ipa_dead[dir] = true;
}

void check_sink_close(struct check_flow *cf, struct check_sink *s, uint32_t frame)
{
	for (int dir = 0; dir < 2; dir++) {
		if (s->rx[dir] && !s->rx_dead[dir] && http_rx_eof(s->rx[dir]) == 0 && http_rx_done(s->rx[dir]))
			http_handle(cf, dir, http_rx_msg(s->rx[dir]), frame);
	}
}

/* ---- SMS user data, SCP80, scripts, ES5 ------------------------------------------------------------ */

static const struct check_scp80_keys *keys_for(const struct checker *ck, uint8_t kvn)
{
	for (unsigned int i = 0; i < ck->opts.num_scp80; i++)
		if (ck->opts.scp80[i].kvn == kvn)
			return &ck->opts.scp80[i];
	return NULL;
}

static struct check_scp80_tar *tar_slot(struct checker *ck, const uint8_t tar[3], bool from_card, bool create)
{
	for (int i = 0; i < CHECK_MAX_TARS; i++)
		if (ck->tars[i].used && ck->tars[i].from_card == from_card && !memcmp(ck->tars[i].tar, tar, 3))
			return &ck->tars[i];
	if (!create)
		return NULL;
	for (int i = 0; i < CHECK_MAX_TARS; i++)
		if (!ck->tars[i].used) {
			ck->tars[i].used = true;
			ck->tars[i].from_card = from_card;
			memcpy(ck->tars[i].tar, tar, 3);
			return &ck->tars[i];
		}
	return NULL;
}

static void es5_describe(struct checker *ck, uint32_t frame, const uint8_t *apdu, size_t len)
{
	struct rscript_apdu a;
	struct es5_command cmd;

	if (rscript_apdu_parse(&a, apdu, len) < 0) {
		checker_add(ck, "RSCRIPT-001", frame, NULL, "C-APDU of %zu bytes not parsable", len);
		return;
	}
	if (es5_command_decode(&cmd, a.cla, a.ins, a.p1, a.p2, a.data, a.lc) < 0) {
		check_event_add(ck, frame, "ES5", "C-APDU %02X %02X %02X %02X Lc %zu (not an ES5/ES8 command)", a.cla,
				a.ins, a.p1, a.p2, a.lc);
		return;
	}
	check_event_add(ck, frame, "ES5", "%s (%02X %02X %02X %02X, DGI %04X)",
			get_value_string(es5_function_names, cmd.fn), a.cla, a.ins, a.p1, a.p2, cmd.dgi);
}

static void script_cmd(struct checker *ck, uint32_t frame, const uint8_t *d, size_t len)
{
	struct rscript_cmd_item items[32];
	size_t n = 0;

	if (rscript_cmd_decode(d, len, items, 32, &n) < 0) {
		/* compact format (TS 102 226 §5.1.1): a plain sequence of C-APDUs */
		struct rscript_compact_iter it;
		struct rscript_apdu a;
		int k = 0;

		rscript_compact_init(&it, d, len, RSCRIPT_COMPACT_TPDU, NULL, NULL);
		while (k < 32 && rscript_compact_next(&it, &a) > 0) {
			es5_describe(ck, frame, a.raw, a.raw_len);
			k++;
		}
		if (!k) {
			/* a push SMS (GP Amd B §2.4.3, digest §5.2): the secured data is the session trigger */
			struct scp81_trigger tr;

			if (scp81_trigger_decode(&tr, d, len) == (int)len)
				check_event_add(ck, frame, "SCP81",
						"push: HTTPS administration session trigger, SCP81 KVN %02X%s", tr.kvn,
						tr.has_retry ? ", retry policy" : "");
			else
				checker_add(ck, "RSCRIPT-001", frame, NULL,
					    "secured data is neither a script nor an SCP81 push trigger");
		}
		return;
	}
	for (size_t i = 0; i < n; i++) {
		if (items[i].kind == RSCRIPT_CMD_CAPDU)
			es5_describe(ck, frame, items[i].value, items[i].len);
		else if (items[i].kind >= RSCRIPT_CMD_SCP03T_INIT)
			check_event_add(ck, frame, "ES8", "SCP03t TLV %02X, %zu bytes", items[i].kind, items[i].len);
	}
}

static void script_rsp(struct checker *ck, uint32_t frame, const uint8_t *d, size_t len)
{
	struct rscript_rsp_item items[32];
	size_t n = 0;

	if (rscript_rsp_decode(d, len, items, 32, &n) < 0) {
		struct rscript_compact_rsp cr;

		if (rscript_compact_rsp_decode(&cr, d, len) < 0)
			checker_add(ck, "RSCRIPT-001", frame, NULL, "PoR data is not a response script");
		return;
	}
	for (size_t i = 0; i < n; i++)
		if (items[i].kind == RSCRIPT_RSP_RAPDU) {
			check_event_add(ck, frame, "ES5", "R-APDU %zu data bytes, SW %04X", items[i].data_len,
					items[i].sw);
			if (items[i].sw != 0x9000 && (items[i].sw >> 8) != 0x61)
				checker_add(ck, "ES5-001", frame, NULL, "status word %04X", items[i].sw);
		}
}

static void scp80_command(struct checker *ck, uint32_t frame, const uint8_t *pkt, size_t len, bool to_card)
{
	struct scp80_cmd cmd;
	const struct check_scp80_keys *k;
	struct check_scp80_tar *t;
	uint8_t spi_def[2];
	int rc;

	ck->st.scp80_cmds++;
	rc = scp80_cmd_decode_header(&cmd, pkt, len);
	if (rc < 0) {
		checker_add(ck, "SCP80-001", frame, NULL, "command packet header not decodable (%d)", rc);
		return;
	}
	check_event_add(ck, frame, "SCP80", "command packet SPI %02X%02X KIc %02X KID %02X TAR %02X%02X%02X CPL %u",
			cmd.spi_raw[0], cmd.spi_raw[1], cmd.kic, cmd.kid, cmd.tar[0], cmd.tar[1], cmd.tar[2], cmd.cpl);
	if (to_card) {
		if (!scp80_spi_security_sufficient(&cmd.spi))
			checker_add(ck, "SCP80-004", frame, NULL, "SPI %02X%02X", cmd.spi_raw[0], cmd.spi_raw[1]);
		scp80_spi_variant_bytes(ck->opts.spi_variant, spi_def);
		if (memcmp(spi_def, cmd.spi_raw, 2)) {
			uint8_t alt[2];
			const char *name = NULL;

			for (int v = SCP80_SPI_VARIANT_1639; v <= SCP80_SPI_VARIANT_1621; v++) {
				scp80_spi_variant_bytes(v, alt);
				if (!memcmp(alt, cmd.spi_raw, 2))
					name = get_value_string(scp80_spi_variant_names, v);
			}
			if (ck->opts.spi_pinned)
				checker_add(ck, "SCP80-004", frame, NULL, "SPI %02X%02X, pinned variant is %s",
					    cmd.spi_raw[0], cmd.spi_raw[1],
					    get_value_string(scp80_spi_variant_names, ck->opts.spi_variant));
			else
				checker_note(ck, "SCP80-005", frame, NULL, "SPI %02X%02X (%s)", cmd.spi_raw[0],
					     cmd.spi_raw[1], name ? name : "not a named variant");
		}
	}
	t = tar_slot(ck, cmd.tar, !to_card, true);
	if (t) {
		memcpy(t->spi, cmd.spi_raw, 2);
		t->kic = cmd.kic;
		t->kid = cmd.kid;
		t->frame = frame;
	}
	k = keys_for(ck, cmd.kid >> 4);
	if (!k) {
		checker_note(ck, "SCP80-006", frame, NULL, "key version %u", cmd.kid >> 4);
		return;
	}
	{
		struct scp80_keys keys = { k->kic, k->kic_len, k->kid, k->kid_len };
		unsigned int kvn = (cmd.kid >> 4) & 0x0F;
		struct scp80_counter_policy pol = { .check = t && (t->have_cntr >> kvn & 1),
						    .last = t ? t->last_cntr[kvn] : 0 };
		uint8_t *out = talloc_size(ck, len);

		if (!out)
			return;
		rc = scp80_cmd_unwrap(&cmd, pkt, len, &keys, &pol, out, len);
		if (rc < 0) {
			checker_add(ck, "SCP80-001", frame, NULL, "command packet not decodable (%d)", rc);
		} else if (cmd.verdict == SCP80_V_OK) {
			if (t) {
				t->have_cntr |= (uint16_t)(1u << kvn);
				t->last_cntr[kvn] = scp80_cntr_get(cmd.cntr);
			}
			if (cmd.data_len && cmd.data[0] == 0xE1) {
				struct es5_notification nt;

				if (es5_notification_decode(&nt, cmd.data, cmd.data_len) < 0)
					checker_add(ck, "E1-001", frame, NULL, "E1 notification not decodable");
				else
					check_event_add(ck, frame, "E1", "notification type %02X seq %u AID tag %02X",
							nt.type, nt.seq, nt.aid_tag);
			} else {
				script_cmd(ck, frame, cmd.data, cmd.data_len);
			}
		} else if (cmd.verdict == SCP80_V_CHECK_FAILED || cmd.verdict == SCP80_V_CIPHER_LENGTH ||
			   cmd.verdict == SCP80_V_PCNTR) {
			checker_add(ck, "SCP80-002", frame, NULL, "%s",
				    get_value_string(scp80_verdict_names, cmd.verdict));
		} else {
			checker_add(ck, "SCP80-003", frame, NULL, "%s (counter %010llX)",
				    get_value_string(scp80_verdict_names, cmd.verdict),
				    (unsigned long long)scp80_cntr_get(cmd.cntr));
		}
		memset(out, 0, len);
		talloc_free(out);
	}
}

static void scp80_por(struct checker *ck, uint32_t frame, const uint8_t *ud, size_t len)
{
	struct scp80_por por;
	struct check_scp80_tar *t = NULL;
	const struct check_scp80_keys *k;
	uint8_t tar[3];
	size_t udhl;
	int rc;

	ck->st.scp80_pors++;
	udhl = len ? (size_t)ud[0] + 1 : 0;
	/* RPL(2) RHL(1) TAR(3) follow the UDH */
	if (len < udhl + 6) {
		checker_add(ck, "SCP80-010", frame, NULL, "response packet shorter than its header");
		return;
	}
	memcpy(tar, ud + udhl + 3, 3);
	t = tar_slot(ck, tar, false, false); /* a PoR answers a command to the card */
	check_event_add(ck, frame, "SCP80", "response packet (PoR) TAR %02X%02X%02X", tar[0], tar[1], tar[2]);
	if (!t) {
		checker_note(ck, "SCP80-009", frame, NULL, "TAR %02X%02X%02X", tar[0], tar[1], tar[2]);
		return;
	}
	k = keys_for(ck, t->kid >> 4);
	if (!k) {
		checker_note(ck, "SCP80-006", frame, NULL, "PoR, key version %u", t->kid >> 4);
		return;
	}
	{
		struct scp80_keys keys = { k->kic, k->kic_len, k->kid, k->kid_len };
		uint8_t *out = talloc_size(ck, len);

		if (!out)
			return;
		rc = scp80_por_unwrap(&por, ud, len, t->spi, t->kic, t->kid, &keys, out, len);
		if (rc < 0)
			checker_add(ck, "SCP80-010", frame, NULL, "response packet not decodable (%d)", rc);
		else if (por.verdict != SCP80_V_OK)
			checker_add(ck, "SCP80-007", frame, NULL, "%s",
				    get_value_string(scp80_verdict_names, por.verdict));
		else {
			if (por.status != SCP80_ST_POR_OK)
				checker_add(ck, "SCP80-008", frame, NULL, "status %02X %s", por.status,
					    get_value_string(scp80_status_names, por.status));
			if (por.data_len)
				script_rsp(ck, frame, por.data, por.data_len);
		}
		memset(out, 0, len);
		talloc_free(out);
	}
}

void check_sms_ud(struct checker *ck, uint32_t frame, const uint8_t *ud, size_t len, bool udhi, bool to_card,
		  const char *via)
{
	struct sms_udh *udh;
	int hl;

	if (!udhi || !len)
		return;
	udh = talloc_zero(ck, struct sms_udh);
	if (!udh)
		return;
	hl = sms_udh_decode(udh, ud, len);
	if (hl < 0) {
		checker_add(ck, "SMS-001", frame, NULL, "%s: user data header not decodable", via);
	} else if (sms_udh_find(udh, SMS_IEI_CONCAT_8) || sms_udh_find(udh, SMS_IEI_CONCAT_16)) {
		check_event_add(ck, frame, "SMS", "%s: concatenated part (not reassembled by the checker)", via);
	} else if (sms_udh_find(udh, SMS_IEI_CPI)) {
		scp80_command(ck, frame, ud + hl, len - (size_t)hl, to_card);
	} else if (sms_udh_find(udh, SMS_IEI_RPI)) {
		scp80_por(ck, frame, ud, len);
	}
	talloc_free(udh);
}
