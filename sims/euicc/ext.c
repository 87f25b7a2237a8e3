/* sims/euicc: wires the extension (ext.h) into the card through struct euicc_ext_ops. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/crypto.h>

#include "sims/euicc/ext.h"

static int op_push(struct euicc_card *c, const struct euicc_session *s, const uint8_t *data, size_t len, uint8_t *resp,
		   size_t cap, void *priv)
{
	return euicc_admin_push(c, s, data, len, resp, cap);
}

static void op_event(struct euicc_card *c, const struct cat_envelope *env, void *priv)
{
	euicc_admin_event(c, env);
}

static int op_notify(struct euicc_card *c, const uint8_t *e1, size_t len, void *priv)
{
	return euicc_admin_notify(c, e1, len);
}

static int op_keyset(struct euicc_card *c, const struct euicc_session *s, const struct es5_command *cmd,
		     const uint8_t *target_aid, size_t target_len, uint8_t *resp, size_t cap, uint16_t *sw, void *priv)
{
	return euicc_keyset_handle(c, s, cmd, resp, cap, sw);
}

static int op_isdp_item(struct euicc_card *c, const struct euicc_isdp *isdp, uint8_t kind, const uint8_t *v, size_t len,
			uint8_t *resp, size_t cap, uint16_t *sw, void *priv)
{
	return euicc_es8_item(c, isdp, kind, v, len, resp, cap, sw);
}

int euicc_x_attach(struct euicc_card *c)
{
	struct euicc_ext_ops ops = {
		.push = op_push,
		.event = op_event,
		.notify = op_notify,
		.keyset = op_keyset,
		.isdp_item = op_isdp_item,
	};

	c->x = calloc(1, sizeof(*c->x));
	if (!c->x)
		return -ENOMEM;
	ops.priv = c->x;
	euicc_card_set_ext(c, &ops);
	return 0;
}

void euicc_x_power(struct euicc_card *c)
{
	struct euicc_x *x = c->x;

	if (!x)
		return;
	euicc_admin_reset(c);
	euicc_es8_reset(c);
	x->perso = false;
	OPENSSL_cleanse(&x->ke, sizeof(x->ke));
	OPENSSL_cleanse(&x->scp03, sizeof(x->scp03));
}

void euicc_x_detach(struct euicc_card *c)
{
	if (!c->x)
		return;
	euicc_x_power(c);
	free(c->x);
	c->x = NULL;
}

size_t euicc_card_sizeof(void)
{
	return sizeof(struct euicc_card) + sizeof(struct euicc_x);
}
