/* TERMINAL PROFILE (TS 102 223 §5.2): a bit string, byte 1 bit 1 first; a terminal that sends fewer
 * bytes than the UICC knows supports none of the facilities of the missing bytes (§5.2). */
#include <errno.h>
#include <string.h>

#include "lib/cat/cat.h"

const int cat_tp_euicc_flags[] = {
	CAT_TP_PROFILE_DOWNLOAD,     CAT_TP_SMS_PP_DOWNLOAD,
	CAT_TP_COMMAND_RESULT,	     CAT_TP_REFRESH,
	CAT_TP_SEND_SHORT_MESSAGE,   CAT_TP_PROVIDE_LOCAL_INFO_LOCATION_IMEI,
	CAT_TP_SET_UP_EVENT_LIST,    CAT_TP_EVENT_LOCATION_STATUS,
	CAT_TP_EVENT_DATA_AVAILABLE, CAT_TP_EVENT_CHANNEL_STATUS,
	CAT_TP_OPEN_CHANNEL,	     CAT_TP_CLOSE_CHANNEL,
	CAT_TP_RECEIVE_DATA,	     CAT_TP_SEND_DATA,
	CAT_TP_GET_CHANNEL_STATUS,   CAT_TP_BIP_GPRS,
	CAT_TP_TCP_CLIENT_REMOTE,    -1,
};

int cat_terminal_profile_build(uint8_t *out, size_t cap, const int *flags, unsigned int channels, size_t min_len)
{
	uint8_t tp[CAT_TP_MAX_BYTES] = { 0 };
	size_t n = 0;

	if (channels > 7 || min_len > CAT_TP_MAX_BYTES)
		return -EINVAL;
	for (const int *f = flags; f && *f >= 0; f++) {
		if (*f >= CAT_TP_MAX_BYTES * 8)
			return -EINVAL;
		tp[*f / 8] |= (uint8_t)(1u << (*f % 8));
	}
	tp[12] |= (uint8_t)(channels << 5); /* byte 13 bits 6-8: number of channels */
	for (size_t i = 0; i < CAT_TP_MAX_BYTES; i++)
		if (tp[i])
			n = i + 1;
	if (n < min_len)
		n = min_len;
	if (cap < n)
		return -EMSGSIZE;
	memcpy(out, tp, n);
	return (int)n;
}

bool cat_terminal_profile_has(const uint8_t *tp, size_t len, enum cat_tp_flag flag)
{
	size_t byte = (size_t)flag / 8;

	return byte < len && (tp[byte] >> (flag % 8) & 1);
}

unsigned int cat_terminal_profile_channels(const uint8_t *tp, size_t len)
{
	return len > 12 ? tp[12] >> 5 : 0;
}
