/* sims/euicc: admin session (placeholder, replaced in the next step). */
#include <errno.h>

#include "sims/euicc/ext.h"

int euicc_admin_push(struct euicc_card *c, const struct euicc_session *s, const uint8_t *data, size_t len,
		     uint8_t *resp, size_t cap)
{
	return -ENOTSUP;
}

void euicc_admin_event(struct euicc_card *c, const struct cat_envelope *env)
{
}

void euicc_admin_reset(struct euicc_card *c)
{
}
