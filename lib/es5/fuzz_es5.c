/* libFuzzer target: the card-side ES5/ES8 command decoder (first 4 bytes = CLA INS P1 P2, the rest
 * the data field), the response parsers and the E1 notification decoder, over the same bytes. */
#include <stdint.h>
#include <stdlib.h>

#include "lib/es5/es5.h"
#include "lib/es5/notification.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct es5_command cmd;
	struct es5_notification n;
	struct es5_isdp_status st[ES5_MAX_GET_STATUS];
	struct es5_bytes a, b, aids[ES5_MAX_DELETED_AID];
	size_t count;

	if (size >= 4)
		es5_command_decode(&cmd, data[0], data[1], data[2], data[3], data + 4, size - 4);
	es5_notification_decode(&n, data, size);
	es5_get_status_resp_parse(data, size, st, ES5_MAX_GET_STATUS, &count);
	es5_keyset_cert_resp_parse(data, size, &a);
	es5_keyset_keyagreement_resp_parse(data, size, &a, &b);
	es5_notification_confirm_resp_parse(data, size, aids, ES5_MAX_DELETED_AID, &count);

	/* A decoded notification re-encodes and decodes to the same fields. */
	if (es5_notification_decode(&n, data, size) > 0) {
		uint8_t out[512];
		struct es5_notification back;
		int len = es5_notification_encode(out, sizeof(out), &n, ES5_NOTIF_AID_2F);

		if (len > 0 && (es5_notification_decode(&back, out, (size_t)len) != len || back.type != n.type ||
				back.seq != n.seq))
			abort();
	}
	return 0;
}
