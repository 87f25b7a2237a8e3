/* libFuzzer target: every RAM over HTTP header parser and the PSK identity parser over arbitrary
 * strings (and the notification `msg` parameter); what parses is re-formatted and must parse to the same fields. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/ramhttp/ramhttp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	struct ramhttp_protocol p;
	struct ramhttp_from f, f2;
	struct ramhttp_aid a, a2;
	struct ramhttp_content_type ct;
	struct ramhttp_psk_id id, id2;
	enum ramhttp_script_status st;
	const char *u;
	size_t n;
	bool b;
	char buf[400];
	uint8_t e1[RAMHTTP_NOTIF_MAX];
	int len;

	ramhttp_protocol_parse(&p, s, size);
	ramhttp_next_uri_parse(&u, &n, s, size);
	ramhttp_script_status_parse(&st, s, size);
	ramhttp_resume_parse(&b, s, size);
	if (ramhttp_content_type_parse(&ct, s, size) == 0 && ct.version_len > size)
		abort();
	if (ramhttp_targeted_app_parse(&a, s, size) == 0) {
		len = ramhttp_targeted_app_format(buf, sizeof(buf), a.aid, a.len);
		if (len < 0 || ramhttp_targeted_app_parse(&a2, buf, (size_t)len) != 0 || a2.len != a.len ||
		    memcmp(a.aid, a2.aid, a.len) != 0)
			abort();
	}
	if (ramhttp_from_parse(&f, s, size) == 0) {
		ramhttp_from_is_eid(&f);
		len = ramhttp_from_format(buf, sizeof(buf), f.se_id, f.se_id_len, f.agent.aid, f.agent.len);
		if (len < 0 || ramhttp_from_parse(&f2, buf, (size_t)len) != 0 || f2.agent.len != f.agent.len ||
		    f2.se_id_len != f.se_id_len)
			abort();
	}
	if (ramhttp_psk_id_parse(&id, RAMHTTP_PSK_ID_TLV_HEX_V4, s, size) == 0) {
		len = ramhttp_psk_id_build(buf, sizeof(buf), &id);
		if (len < 0 || ramhttp_psk_id_parse(&id2, RAMHTTP_PSK_ID_TLV_HEX_V4, buf, (size_t)len) != 0 ||
		    memcmp(id.eid, id2.eid, 16) != 0 || id.kvn != id2.kvn || id.key_id != id2.key_id)
			abort();
	}
	{
		enum ramhttp_notif_carriage how;

		if (ramhttp_notif_from_post(e1, sizeof(e1), s, size, data, size, &how) > (int)sizeof(e1))
			abort();
	}
	len = ramhttp_notif_from_uri(e1, sizeof(e1), s, size);
	if (len > 0) { /* what decodes, re-encodes to a URI that decodes to the same bytes */
		uint8_t e2[RAMHTTP_NOTIF_MAX];
		char *uri = malloc(2 * sizeof(e1) + 16);
		int l2 = uri ? ramhttp_notif_uri_build(uri, 2 * sizeof(e1) + 16, "/a", e1, (size_t)len) : -1;

		if (uri && (l2 < 0 || ramhttp_notif_from_uri(e2, sizeof(e2), uri, (size_t)l2) != len ||
			    memcmp(e1, e2, (size_t)len) != 0))
			abort();
		free(uri);
	}
	return 0;
}
