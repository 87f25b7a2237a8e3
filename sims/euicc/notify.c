/* sims/euicc: the profile switch procedure (SGP.02 §3.2/§3.4; digest §3.4 steps 21-25 and the
 * connectivity-failure case) and the eUICC notifications (HandleDefaultNotification, digest §4.5).
 *
 * The pending operation lives in the store (params op.phase, op.prev, op.target, op.notif) and is
 * committed together with the life-cycle changes, so a power cycle at any point resumes it:
 *
 *   Enable/Disable ──commit──> WAIT_RESET ──REFRESH / reset──> WAIT_ATTACH
 *   WAIT_ATTACH ──normal service──> notification 02, WAIT_CONFIRM ──3A08──> NONE
 *   WAIT_ATTACH ──limited / no service──┐   WAIT_CONFIRM ──no 3A08 after N sends──┐
 *                                       └──> previous profile back, RB_WAIT_RESET <┘
 *   RB_WAIT_ATTACH ──normal──> notification 03, NONE;  ──failed──> fall-back profile, FB_WAIT_RESET
 *   FB_WAIT_ATTACH ──normal──> notification 05, NONE;  ──failed──> NONE (stays on the fall-back)
 *
 * Notifications are retried on every attach (location status normal service) and on the server's
 * timer (euicc_card_notif_tick) until the SM-SR confirms them with 3A08 (open-questions §9: the
 * sequence number stays the same on a retry). They go by SMS-MO (SCP80 with the card's own counter) or,
 * with card.h EUICC_NOTIF_HTTPS, in an admin session the card opens (admin.c), by SMS when it cannot. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/ids/ids.h"
#include "lib/scp80/scp80.h"
#include "sims/euicc/card_internal.h"

#define POL1_NO_DISABLE 0x01 /* open-questions §13 */

enum euicc_switch_phase euicc_card_switch_phase(struct euicc_card *c)
{
	return (enum euicc_switch_phase)euicc_store_param_u64(c->st, "op.phase", EUICC_SW_NONE);
}

static int set_phase(struct euicc_card *c, enum euicc_switch_phase ph)
{
	return euicc_store_param_set_u64(c->st, "op.phase", ph);
}

static int get_aid(struct euicc_card *c, const char *name, struct euicc_isdp *p)
{
	uint8_t aid[EUICC_AID_MAX];
	size_t len = sizeof(aid);

	if (euicc_store_param_get(c->st, name, aid, &len) < 0 || !len)
		return -ENOENT;
	return euicc_store_isdp_get(c->st, aid, len, p);
}

static void queue_refresh(struct euicc_card *c)
{
	struct cat_proactive cmd = { .details = { .type = CAT_CMD_REFRESH } };

	/* TS 102 223 §6.4.7, qualifier per open-questions §8 */
	cmd.details.qualifier = c->cfg.refresh == EUICC_REFRESH_09_PROFILE_STATE_CHANGE
					? CAT_REFRESH_EUICC_PROFILE_STATE_CHANGE
					: CAT_REFRESH_UICC_RESET;
	euicc_card_proactive_push(c, &cmd, NULL, NULL);
}

void euicc_switch_refresh_if_pending(struct euicc_card *c)
{
	if (!c->script_switched)
		return;
	c->script_switched = false;
	queue_refresh(c);
}

/* Disable from, enable to, record the phase; one commit. */
static int switch_commit(struct euicc_card *c, struct euicc_isdp *from, struct euicc_isdp *to,
			 enum euicc_switch_phase ph)
{
	if (euicc_store_begin(c->st) < 0)
		return -EIO;
	if (from && euicc_store_isdp_set_state(c->st, from->aid, from->aid_len, ES5_ISDP_DISABLED) < 0)
		goto fail;
	if (euicc_store_isdp_set_state(c->st, to->aid, to->aid_len, ES5_ISDP_ENABLED) < 0)
		goto fail;
	if (ph == EUICC_SW_WAIT_RESET) {
		if (euicc_store_param_set(c->st, "op.prev", from ? from->aid : NULL, from ? from->aid_len : 0) < 0 ||
		    euicc_store_param_set(c->st, "op.target", to->aid, to->aid_len) < 0)
			goto fail;
	}
	if (set_phase(c, ph) < 0 || euicc_store_commit(c->st) < 0)
		goto fail;
	return 0;
fail:
	euicc_store_rollback(c->st);
	return -EIO;
}

void euicc_switch_enable(struct euicc_card *c, const uint8_t *aid, size_t len, struct euicc_rsp *r)
{
	struct euicc_isdp target, cur;
	bool has_cur;

	if (euicc_store_isdp_get(c->st, aid, len, &target) < 0) {
		euicc_rsp_sw(r, 0x6A88);
		return;
	}
	if (target.state != ES5_ISDP_DISABLED || !target.has_profile) {
		euicc_rsp_sw(r, 0x6985);
		return;
	}
	has_cur = euicc_store_isdp_enabled(c->st, &cur) == 0;
	if (has_cur && (cur.pol1 & POL1_NO_DISABLE)) {
		euicc_rsp_sw(r, 0x69E1); /* digest §3.4 step 21 */
		return;
	}
	if (euicc_card_switch_phase(c) != EUICC_SW_NONE && euicc_card_switch_phase(c) != EUICC_SW_WAIT_CONFIRM) {
		euicc_rsp_sw(r, 0x6985); /* another switch is still running */
		return;
	}
	if (switch_commit(c, has_cur ? &cur : NULL, &target, EUICC_SW_WAIT_RESET) < 0) {
		euicc_rsp_sw(r, 0x6581);
		return;
	}
	c->script_switched = true;
	euicc_rsp_sw(r, 0x9000);
}

static int fallback_isdp(struct euicc_card *c, struct euicc_isdp *out)
{
	struct euicc_isdp p[EUICC_MAX_ISDP];
	int n = euicc_store_isdp_list(c->st, p, EUICC_MAX_ISDP);

	for (int i = 0; i < n; i++)
		if (p[i].fallback && p[i].has_profile) {
			*out = p[i];
			return 0;
		}
	return -ENOENT;
}

void euicc_switch_disable(struct euicc_card *c, const uint8_t *aid, size_t len, struct euicc_rsp *r)
{
	struct euicc_isdp target, fb;

	if (euicc_store_isdp_get(c->st, aid, len, &target) < 0) {
		euicc_rsp_sw(r, 0x6A88);
		return;
	}
	if (target.state != ES5_ISDP_ENABLED) {
		euicc_rsp_sw(r, 0x6985);
		return;
	}
	if (target.pol1 & POL1_NO_DISABLE) {
		euicc_rsp_sw(r, 0x69E1);
		return;
	}
	/* SGP.02 §3.4: disabling enables the fall-back profile; there must be one, and it is not the
	 * target [I]. */
	if (target.fallback || fallback_isdp(c, &fb) < 0 ||
	    (euicc_card_switch_phase(c) != EUICC_SW_NONE && euicc_card_switch_phase(c) != EUICC_SW_WAIT_CONFIRM)) {
		euicc_rsp_sw(r, 0x6985);
		return;
	}
	if (switch_commit(c, &target, &fb, EUICC_SW_WAIT_RESET) < 0) {
		euicc_rsp_sw(r, 0x6581);
		return;
	}
	c->script_switched = true;
	euicc_rsp_sw(r, 0x9000);
}

void euicc_switch_power_on(struct euicc_card *c)
{
	enum euicc_switch_phase ph = euicc_card_switch_phase(c);

	/* The UICC reset the REFRESH asked for (or any reset) makes the new profile active. */
	if (ph == EUICC_SW_WAIT_RESET)
		set_phase(c, EUICC_SW_WAIT_ATTACH);
	else if (ph == EUICC_SW_RB_WAIT_RESET)
		set_phase(c, EUICC_SW_RB_WAIT_ATTACH);
	else if (ph == EUICC_SW_FB_WAIT_RESET)
		set_phase(c, EUICC_SW_FB_WAIT_ATTACH);
}

int euicc_notif_new(struct euicc_card *c, uint8_t type, const uint8_t *aid, size_t aid_len, uint16_t *seq)
{
	struct euicc_notif n = { .type = type };
	uint64_t s = euicc_store_param_u64(c->st, "notif.seq", 0);

	/* 4E is 2 bytes (digest §4.5): wraps at 65535 */
	s = (s + 1) & 0xFFFF;
	n.seq = (uint16_t)s;
	if (aid_len > EUICC_AID_MAX)
		return -EINVAL;
	memcpy(n.aid, aid, aid_len);
	n.aid_len = (uint8_t)aid_len;
	euicc_store_notif_del(c->st, n.seq); /* a stale one 65536 notifications ago */
	if (euicc_store_param_set_u64(c->st, "notif.seq", s) < 0 || euicc_store_notif_add(c->st, &n) < 0)
		return -EIO;
	*seq = n.seq;
	return 0;
}

/* The ISD-R key set the card secures its own packets with: the lowest SCP80 KVN with KIc and KID. */
static int notif_keyset(struct euicc_card *c, struct euicc_keyset *out)
{
	struct euicc_keyset ks[EUICC_MAX_KEYSETS];
	int n = euicc_store_keyset_list(c->st, ks, EUICC_MAX_KEYSETS);

	for (int i = 0; i < n; i++)
		if (ks[i].kvn >= 0x01 && ks[i].kvn <= 0x0F && ks[i].key_len[0] && ks[i].key_len[1]) {
			*out = ks[i];
			return 0;
		}
	return -ENOENT;
}

/* param smsr.sms = "ton npi digits" */
static int smsr_address(struct euicc_card *c, struct sms_addr *a)
{
	char text[48];
	size_t len = sizeof(text) - 1;
	unsigned int ton, npi;
	char digits[32];

	if (euicc_store_param_get(c->st, "smsr.sms", (uint8_t *)text, &len) < 0)
		return -ENOENT;
	text[len] = 0;
	if (sscanf(text, "%u %u %31s", &ton, &npi, digits) != 3)
		return -EINVAL;
	memset(a, 0, sizeof(*a));
	a->ton = (uint8_t)ton;
	a->npi = (uint8_t)npi;
	snprintf(a->digits, sizeof(a->digits), "%s", digits);
	return 0;
}

static uint8_t alg_nibble(size_t key_len)
{
	/* TS 102 225 §5.1.2/§5.1.3: b2b1 = 10 AES; for 3DES 2K 01 with b4b3 = 01 -> 5 */
	return key_len == 16 || key_len == 24 || key_len == 32 ? 0x02 : 0x05;
}

int euicc_notif_send(struct euicc_card *c, uint16_t seq)
{
	struct euicc_notif n;
	struct es5_notification e = { 0 };
	struct euicc_keyset ks;
	struct scp80_cmd_params cp = { 0 };
	struct scp80_keys keys;
	struct sms_addr to;
	uint8_t e1[128], imei[8], pkt[256];
	int len, plen;

	if (euicc_store_notif_get(c->st, seq, &n) < 0)
		return -ENOENT;
	/* over HTTPS one admin session at a time: a notification waits for the next try (not counted) */
	if (c->cfg.notif_transport == EUICC_NOTIF_HTTPS && !c->notif_via_sms && c->ext.notify &&
	    euicc_card_admin_active(c))
		return -EBUSY;
	if (euicc_store_notif_set_attempts(c->st, seq, n.attempts + 1) < 0)
		return -EIO;
	e.eid.buf = c->eid;
	e.eid.len = sizeof(c->eid);
	e.type = n.type;
	e.seq = n.seq;
	e.isdp_aid.buf = n.aid;
	e.isdp_aid.len = n.aid_len;
	if (c->cfg.imei && cat_imei_encode(imei, c->cfg.imei) == 0) {
		e.imei.buf = imei;
		e.imei.len = sizeof(imei);
	}
	len = es5_notification_encode(e1, sizeof(e1), &e, c->cfg.notif_aid_tag);
	if (len < 0)
		return len;
	/* HTTPS when configured and possible (TLS-PSK protects it: the E1 goes as it is), else SMS */
	if (c->cfg.notif_transport == EUICC_NOTIF_HTTPS && !c->notif_via_sms && c->ext.notify &&
	    c->ext.notify(c, e1, (size_t)len, c->ext.priv) == 0)
		return 0;
	if (notif_keyset(c, &ks) < 0 || smsr_address(c, &to) < 0)
		return -ENOENT;
	ks.cntr_out++;
	if (euicc_store_keyset_set_cntr(c->st, ks.kvn, ks.cntr_in, ks.cntr_out) < 0)
		return -EIO;
	memcpy(cp.spi, c->cfg.notif_spi, 2);
	cp.kic = (uint8_t)(ks.kvn << 4 | alg_nibble(ks.key_len[0]));
	cp.kid = (uint8_t)(ks.kvn << 4 | alg_nibble(ks.key_len[1]));
	cp.tar[2] = IDS_TAR_ISD_R;
	scp80_cntr_put(cp.cntr, ks.cntr_out);
	keys.kic_key = ks.key[0];
	keys.kic_key_len = ks.key_len[0];
	keys.kid_key = ks.key[1];
	keys.kid_key_len = ks.key_len[1];
	plen = scp80_cmd_wrap(pkt, sizeof(pkt), &cp, &keys, e1, (size_t)len);
	if (plen < 0)
		return plen;
	return euicc_ota_send_sms(c, &to, pkt, (size_t)plen, SMS_IEI_CPI);
}

static void send_all(struct euicc_card *c)
{
	struct euicc_notif n[EUICC_MAX_NOTIF];
	int k = euicc_store_notif_list(c->st, n, EUICC_MAX_NOTIF);

	for (int i = 0; i < k; i++)
		euicc_notif_send(c, n[i].seq);
}

/* [I] an SM-SR address that does not answer (e.g. the old SM-SR's after an SM-SR Change) must not keep
 * a notification from its SM-SR: SMS, which every eUICC supports, takes over at once. */
void euicc_notif_https_failed(struct euicc_card *c)
{
	if (c->notif_via_sms)
		return;
	c->notif_via_sms = true;
	send_all(c);
}

/* Put the previous profile back (connectivity failure). */
static void rollback(struct euicc_card *c)
{
	struct euicc_isdp target, prev, fb;
	bool has_target = get_aid(c, "op.target", &target) == 0;

	if (get_aid(c, "op.prev", &prev) == 0 && prev.state == ES5_ISDP_DISABLED && prev.has_profile) {
		if (switch_commit(c, has_target ? &target : NULL, &prev, EUICC_SW_RB_WAIT_RESET) == 0)
			queue_refresh(c);
		return;
	}
	/* No previous profile to return to: the fall-back one. */
	if (fallback_isdp(c, &fb) == 0 && fb.state == ES5_ISDP_DISABLED) {
		if (switch_commit(c, has_target ? &target : NULL, &fb, EUICC_SW_FB_WAIT_RESET) == 0)
			queue_refresh(c);
		return;
	}
	set_phase(c, EUICC_SW_NONE);
}

static void notify_and_finish(struct euicc_card *c, uint8_t type, const struct euicc_isdp *p,
			      enum euicc_switch_phase next)
{
	uint16_t seq = 0;

	if (euicc_store_begin(c->st) < 0)
		return;
	if (euicc_notif_new(c, type, p->aid, p->aid_len, &seq) < 0 || set_phase(c, next) < 0 ||
	    (next == EUICC_SW_WAIT_CONFIRM && euicc_store_param_set_u64(c->st, "op.notif", seq) < 0) ||
	    euicc_store_commit(c->st) < 0) {
		euicc_store_rollback(c->st);
		return;
	}
	euicc_notif_send(c, seq);
}

/* The type-02 notification has been sent notif_max_attempts times without a 3A08: the SM-SR's validity
 * period is over (digest §3.4), roll back. */
static bool confirm_expired(struct euicc_card *c)
{
	struct euicc_notif n;
	uint16_t seq = (uint16_t)euicc_store_param_u64(c->st, "op.notif", 0);

	if (euicc_store_notif_get(c->st, seq, &n) < 0 || n.attempts < c->cfg.notif_max_attempts)
		return false;
	euicc_store_notif_del(c->st, seq);
	rollback(c);
	return true;
}

void euicc_switch_location(struct euicc_card *c, uint8_t status)
{
	enum euicc_switch_phase ph = euicc_card_switch_phase(c);
	bool ok = status == CAT_LOC_NORMAL_SERVICE;
	struct euicc_isdp p, fb, cur;

	switch (ph) {
	case EUICC_SW_WAIT_ATTACH:
		if (ok && get_aid(c, "op.target", &p) == 0)
			notify_and_finish(c, ES5_NOTIF_PROFILE_CHANGE_SUCCEEDED, &p, EUICC_SW_WAIT_CONFIRM);
		else if (!ok)
			rollback(c);
		return;
	case EUICC_SW_RB_WAIT_ATTACH:
		if (ok && get_aid(c, "op.prev", &p) == 0) {
			notify_and_finish(c, ES5_NOTIF_PROFILE_CHANGE_FAILED, &p, EUICC_SW_NONE);
		} else if (!ok) {
			if (fallback_isdp(c, &fb) == 0 && fb.state == ES5_ISDP_DISABLED &&
			    euicc_store_isdp_enabled(c->st, &cur) == 0) {
				if (switch_commit(c, &cur, &fb, EUICC_SW_FB_WAIT_RESET) == 0)
					queue_refresh(c);
			} else {
				set_phase(c, EUICC_SW_NONE);
			}
		}
		return;
	case EUICC_SW_FB_WAIT_ATTACH:
		if (ok && fallback_isdp(c, &fb) == 0)
			notify_and_finish(c, ES5_NOTIF_PROFILE_CHANGE_AFTER_FALLBACK, &fb, EUICC_SW_NONE);
		else if (!ok)
			set_phase(c, EUICC_SW_NONE);
		return;
	case EUICC_SW_WAIT_CONFIRM:
		if (ok && !confirm_expired(c))
			send_all(c);
		return;
	case EUICC_SW_NONE:
		if (ok)
			send_all(c);
		return;
	default: return;
	}
}

void euicc_card_notif_tick(struct euicc_card *c)
{
	if (!c->powered)
		return;
	if (euicc_card_switch_phase(c) == EUICC_SW_WAIT_CONFIRM && confirm_expired(c))
		return;
	send_all(c);
}

int euicc_switch_confirm(struct euicc_card *c, uint16_t seq)
{
	struct euicc_notif n;

	if (euicc_store_notif_get(c->st, seq, &n) < 0)
		return -ENOENT;
	if (euicc_store_begin(c->st) < 0)
		return -EIO;
	if (euicc_store_notif_del(c->st, seq) < 0)
		goto fail;
	if (euicc_card_switch_phase(c) == EUICC_SW_WAIT_CONFIRM && euicc_store_param_u64(c->st, "op.notif", 0) == seq &&
	    set_phase(c, EUICC_SW_NONE) < 0)
		goto fail;
	if (euicc_store_commit(c->st) < 0)
		goto fail;
	return 0;
fail:
	euicc_store_rollback(c->st);
	return -EIO;
}
