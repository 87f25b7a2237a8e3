/* libFuzzer target: the SMS TPDU decoders (every TPDU type) over arbitrary bytes, re-encoding what
 * decoded, and the concatenated-SMS reassembly fed with the input cut into segments. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/sms/sms.h"
#include "lib/sms/sms_concat.h"

static struct sms_concat c;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const enum sms_tpdu_type types[] = {
		SMS_TPDU_DELIVER,
		SMS_TPDU_SUBMIT,
		SMS_TPDU_DELIVER_REPORT_ACK,
		SMS_TPDU_DELIVER_REPORT_ERROR,
		SMS_TPDU_SUBMIT_REPORT_ACK,
		SMS_TPDU_SUBMIT_REPORT_ERROR,
	};
	uint8_t out[256], pkt[SMS_CONCAT_MAX_SEGS * SMS_UD_MAX];
	struct sms_tpdu t, back;
	struct sms_scts s;
	size_t pos;

	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		int n = sms_tpdu_decode(&t, types[i], data, size);
		int m;

		if (n < 0)
			continue;
		if (t.scts)
			sms_scts_decode(&s, t.scts);
		/* re-encode: anything that decoded and encodes must decode again to the same user data */
		m = sms_tpdu_encode(&t, out, sizeof(out));
		if (m < 0)
			continue;
		if (sms_tpdu_decode(&back, types[i], out, (size_t)m) != m || back.ud_len != t.ud_len ||
		    (t.ud_len && memcmp(back.ud, t.ud, t.ud_len) != 0) || back.pid != t.pid || back.dcs != t.dcs)
			abort();
	}

	/* reassembly: the first byte picks the segment length, the rest is cut into segments */
	if (size < 1)
		return 0;
	sms_concat_init(&c, (data[0] & 1) ? SMS_IEI_RPI : SMS_IEI_CPI,
			(data[0] & 2) ? SMS_CONCAT_ORDER_STRICT : SMS_CONCAT_ORDER_ANY, 0, 0);
	pos = 1;
	while (pos < size) {
		size_t seg = 1 + (data[0] >> 2) % SMS_UD_MAX, take = size - pos < seg ? size - pos : seg;
		int rc = sms_concat_add(&c, data + pos, take);

		pos += take;
		if (rc == 1) {
			int n = sms_concat_assemble(&c, pkt, sizeof(pkt));

			if (n < 0 || (size_t)n != c.total_bytes)
				abort();
			sms_concat_reset(&c);
		}
	}
	sms_concat_missing(&c);
	return 0;
}
