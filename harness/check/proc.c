/* Procedure rules (digest §2.1 SM-SR Change, §3 profile download + enable), kept as data: each row
 * names an ES message, the step numbers it may occupy, and the roles that send and receive it.
 *
 * Checks over the ES messages of the capture, in frame order:
 *   PROC-001/002  every response relates (wsa:RelatesTo) to an earlier request of the same function;
 *   PROC-005      MessageIDs are unique;
 *   PROC-008      a response comes from the entity the request went to (RPS ReceiverEntity);
 *   PROC-006      every request gets a response before the capture ends;
 *   per procedure instance (one per EID, started by its first step):
 *   PROC-003      steps in order (a message whose highest allowed step is below a step already seen);
 *   PROC-004      roles: the first message binds a role (MNO, SR1, SR2, DP, SR) to the sender's or
 *                 receiver's entity OID; later messages of the role must come from / go to it, and
 *                 two roles of one procedure (SR1 and SR2) cannot be one entity;
 *   PROC-007      mandatory steps missing at the end. */
#include <string.h>

#include <talloc.h>

#include "harness/check/check_internal.h"

struct proc_step {
	enum es_msg_id msg;
	int lo, hi;	       /* step numbers this message may occupy (SendData repeats over 7..15) */
	const char *from, *to; /* roles */
	bool optional;
};

struct proc_def {
	const char *name;
	const char *ref;
	const struct proc_step *steps;
	size_t n;
};

/* digest §2.1 (SGP.02 §3.8); step numbers as there. The Initiator may be one operator or two (each
 * talks to the SM-SR it has a relationship with: MNO2 prepares SR2, MNO1 asks SR1, as in the seed's
 * multi-operator switchover), so the two calls bind two roles that may be the same entity. A role
 * starting with '*' is not bound: steps 31-32 go to every profile owner. Steps 31-32 (SR2, after its
 * step 28) and steps 29-30 (SR1) run concurrently [I]: the notifications may come first. */
static const struct proc_step smsr_change_steps[] = {
	{ ES_MSG_ES4_PREPARE_SMSR_CHANGE_REQ, 1, 1, "MNO-SR2", "SR2", false },
	{ ES_MSG_ES4_PREPARE_SMSR_CHANGE_RESP, 3, 3, "SR2", "MNO-SR2", false },
	{ ES_MSG_ES4_SMSR_CHANGE_REQ, 4, 4, "MNO-SR1", "SR1", false },
	{ ES_MSG_ES7_HANDOVER_EUICC_REQ, 5, 5, "SR1", "SR2", false },
	{ ES_MSG_ES7_AUTHENTICATE_SMSR_REQ, 7, 7, "SR2", "SR1", false },
	{ ES_MSG_ES7_AUTHENTICATE_SMSR_RESP, 13, 13, "SR1", "SR2", false },
	{ ES_MSG_ES7_CREATE_ADDITIONAL_KEY_SET_REQ, 15, 15, "SR2", "SR1", false },
	{ ES_MSG_ES7_CREATE_ADDITIONAL_KEY_SET_RESP, 22, 22, "SR1", "SR2", false },
	{ ES_MSG_ES7_HANDOVER_EUICC_RESP, 28, 28, "SR2", "SR1", false },
	{ ES_MSG_ES4_SMSR_CHANGE_RESP, 30, 30, "SR1", "MNO-SR1", false },
	{ ES_MSG_ES4_HANDLE_SMSR_CHANGE_NOTIF, 28, 32, "SR2", "*owner", true },
	{ ES_MSG_ES3_HANDLE_SMSR_CHANGE_NOTIF, 28, 32, "SR2", "*DP", true },
};

/* digest §3.1-§3.4 (SGP.02 §3.1-§3.3). */
static const struct proc_step download_steps[] = {
	{ ES_MSG_ES2_DOWNLOAD_PROFILE_REQ, 1, 1, "MNO", "DP", false },
	{ ES_MSG_ES3_GET_EIS_REQ, 2, 2, "DP", "SR", false },
	{ ES_MSG_ES3_GET_EIS_RESP, 2, 2, "SR", "DP", false },
	{ ES_MSG_ES3_CREATE_ISDP_REQ, 4, 4, "DP", "SR", false },
	{ ES_MSG_ES3_CREATE_ISDP_RESP, 6, 6, "SR", "DP", false },
	{ ES_MSG_ES3_SEND_DATA_REQ, 7, 15, "DP", "SR", false },
	{ ES_MSG_ES3_SEND_DATA_RESP, 8, 16, "SR", "DP", false },
	{ ES_MSG_ES3_PROFILE_DOWNLOAD_COMPLETED_REQ, 17, 17, "DP", "SR", false },
	{ ES_MSG_ES3_PROFILE_DOWNLOAD_COMPLETED_RESP, 18, 18, "SR", "DP", false },
	{ ES_MSG_ES3_ENABLE_PROFILE_REQ, 19, 19, "DP", "SR", true },
	{ ES_MSG_ES3_ENABLE_PROFILE_RESP, 25, 25, "SR", "DP", true },
	/* step 26 (the SM-SR, after its step 25) runs concurrently with the SM-DP's step 27 [I]; each owner is
	 * notified over ES4 when it has its own endpoint, else over ES3 then ES2 (open-questions §9) */
	{ ES_MSG_ES3_HANDLE_PROFILE_ENABLED_NOTIF, 25, 27, "SR", "DP", true },
	{ ES_MSG_ES3_HANDLE_PROFILE_DISABLED_NOTIF, 25, 27, "SR", "DP", true },
	{ ES_MSG_ES4_HANDLE_PROFILE_ENABLED_NOTIF, 25, 27, "SR", "*owner", true },
	{ ES_MSG_ES4_HANDLE_PROFILE_DISABLED_NOTIF, 25, 27, "SR", "*owner", true },
	{ ES_MSG_ES2_HANDLE_PROFILE_ENABLED_NOTIF, 26, 28, "DP", "*owner", true },
	{ ES_MSG_ES2_DOWNLOAD_PROFILE_RESP, 27, 27, "DP", "MNO", false },
};

static const struct proc_def proc_defs[] = {
	{ "SM-SR Change", "digest §2.1", smsr_change_steps, ARRAY_SIZE(smsr_change_steps) },
	{ "Profile download", "digest §3", download_steps, ARRAY_SIZE(download_steps) },
};

#define PROC_MAX_ROLES 6
#define PROC_MAX_INST  256

struct proc_inst {
	const struct proc_def *def;
	const char *eid;
	int max_lo;
	int max_step_frame;
	bool seen[24];
	const char *role[PROC_MAX_ROLES];
	const char *role_id[PROC_MAX_ROLES];
	unsigned int nroles;
};

static const struct proc_step *step_of(const struct proc_def *d, enum es_msg_id id, size_t *idx)
{
	for (size_t i = 0; i < d->n; i++)
		if (d->steps[i].msg == id) {
			*idx = i;
			return &d->steps[i];
		}
	return NULL;
}

static void bind_role(struct checker *ck, struct proc_inst *pi, const char *role, const char *id, uint32_t frame,
		      const char *what)
{
	if (!id || role[0] == '*')
		return;
	for (unsigned int i = 0; i < pi->nroles; i++) {
		if (!strcmp(pi->role[i], role)) {
			if (strcmp(pi->role_id[i], id))
				checker_add(ck, "PROC-004", frame, NULL,
					    "%s (EID %s): %s is %s, but %s was bound to %s", pi->def->name, pi->eid,
					    what, id, role, pi->role_id[i]);
			return;
		}
		/* the SM-SRs of a change, or any two distinct roles, are distinct entities */
		if (!strcmp(pi->role_id[i], id) && strcmp(pi->role[i], role) &&
		    !(!strncmp(role, "MNO", 3) || !strncmp(pi->role[i], "MNO", 3)))
			checker_add(ck, "PROC-004", frame, NULL, "%s (EID %s): entity %s acts as %s and as %s",
				    pi->def->name, pi->eid, id, pi->role[i], role);
	}
	if (pi->nroles < PROC_MAX_ROLES) {
		pi->role[pi->nroles] = role;
		pi->role_id[pi->nroles++] = id;
	}
}

static const struct check_es *find_request(const struct checker *ck, unsigned int before, const char *mid)
{
	for (unsigned int i = 0; i < before; i++)
		if (ck->es[i].message_id && !strcmp(ck->es[i].message_id, mid) &&
		    es_msgs[ck->es[i].id].kind == ES_KIND_REQUEST)
			return &ck->es[i];
	return NULL;
}

void check_proc_run(struct checker *ck)
{
	struct proc_inst *inst = talloc_zero_array(ck, struct proc_inst, PROC_MAX_INST);
	unsigned int ninst = 0;
	bool *answered = talloc_zero_array(ck, bool, ck->nes ? ck->nes : 1);

	if (!inst || !answered)
		goto out;
	/* correlation */
	for (unsigned int i = 0; i < ck->nes; i++) {
		struct check_es *e = &ck->es[i];
		const struct es_msg_info *mi = &es_msgs[e->id];

		if (e->message_id)
			for (unsigned int j = 0; j < i; j++)
				if (ck->es[j].message_id && !strcmp(ck->es[j].message_id, e->message_id)) {
					checker_add(ck, "PROC-005", e->frame, NULL,
						    "MessageID %s already used in frame %u", e->message_id,
						    ck->es[j].frame);
					break;
				}
		if (mi->kind != ES_KIND_RESPONSE)
			continue;
		if (!e->relates_to)
			continue; /* WSA-008 was recorded by lib/es */
		const struct check_es *rq = find_request(ck, i, e->relates_to);
		if (!rq) {
			checker_add(ck, "PROC-001", e->frame, NULL, "%s relates to %s, no earlier request has it",
				    mi->name, e->relates_to);
			continue;
		}
		answered[rq - ck->es] = true;
		if (rq->id + 1 != e->id)
			checker_add(ck, "PROC-002", e->frame, NULL, "%s answers a %s (frame %u)", mi->element,
				    es_msgs[rq->id].element, rq->frame);
		if (rq->receiver && e->sender && strcmp(rq->receiver, e->sender))
			checker_add(ck, "PROC-008", e->frame, NULL, "%s sent by %s; the request (frame %u) went to %s",
				    mi->element, e->sender, rq->frame, rq->receiver);
		if (!e->eid && rq->eid)
			e->eid = rq->eid;
	}
	for (unsigned int i = 0; i < ck->nes; i++) {
		const struct es_msg_info *mi = &es_msgs[ck->es[i].id];

		if (mi->kind == ES_KIND_REQUEST && !answered[i])
			checker_add(ck, "PROC-006", ck->es[i].frame, NULL, "%s (MessageID %s) has no response",
				    mi->element, ck->es[i].message_id ? ck->es[i].message_id : "-");
	}
	/* procedures, one instance per (definition, EID) */
	for (unsigned int i = 0; i < ck->nes; i++) {
		const struct check_es *e = &ck->es[i];

		for (size_t d = 0; d < ARRAY_SIZE(proc_defs); d++) {
			const struct proc_def *def = &proc_defs[d];
			const struct proc_step *st;
			struct proc_inst *pi = NULL;
			size_t idx;

			st = step_of(def, e->id, &idx);
			if (!st || !e->eid)
				continue;
			for (unsigned int k = 0; k < ninst; k++)
				if (inst[k].def == def && !strcmp(inst[k].eid, e->eid))
					pi = &inst[k];
			if (!pi) {
				if (ninst == PROC_MAX_INST)
					continue;
				pi = &inst[ninst++];
				pi->def = def;
				pi->eid = e->eid;
			}
			if (st->hi < pi->max_lo)
				checker_add(ck, "PROC-003", e->frame, NULL,
					    "%s (EID %s): %s (step %d) after step %d (frame %u)", def->name, e->eid,
					    es_msgs[e->id].element, st->lo, pi->max_lo, pi->max_step_frame);
			if (st->lo > pi->max_lo) {
				pi->max_lo = st->lo;
				pi->max_step_frame = (int)e->frame;
			}
			if (idx < ARRAY_SIZE(pi->seen))
				pi->seen[idx] = true;
			bind_role(ck, pi, st->from, e->sender, e->frame, "the sender");
			bind_role(ck, pi, st->to, e->receiver, e->frame, "the receiver");
		}
	}
	for (unsigned int k = 0; k < ninst; k++) {
		const struct proc_def *def = inst[k].def;
		char missing[256] = "";
		size_t off = 0;

		for (size_t s = 0; s < def->n && s < ARRAY_SIZE(inst[k].seen); s++)
			if (!def->steps[s].optional && !inst[k].seen[s] && off < sizeof(missing) - 64)
				off += snprintf(missing + off, sizeof(missing) - off, "%s%s (step %d)", off ? ", " : "",
						es_msgs[def->steps[s].msg].element, def->steps[s].lo);
		if (off)
			checker_add(ck, "PROC-007", 0, NULL, "%s (EID %s): not in the capture: %s", def->name,
				    inst[k].eid, missing);
	}
out:
	talloc_free(inst);
	talloc_free(answered);
}
