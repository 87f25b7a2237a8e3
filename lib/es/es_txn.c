/* Request/response correlation, retry detection, validity expiry (see es_txn.h). */
#include <errno.h>
#include <string.h>

#include "lib/es/es_txn.h"

const struct value_string es_corr_result_names[] = {
	{ ES_CORR_MATCHED, "matched" },
	{ ES_CORR_UNKNOWN, "unknown RelatesTo" },
	{ ES_CORR_WRONG_MESSAGE, "response of another function" },
	{ ES_CORR_LATE, "after the validity period" },
	{ ES_CORR_NO_RELATES_TO, "no RelatesTo" },
	{ 0, NULL },
};

static int copy_bounded(char *dst, const char *src)
{
	size_t l;

	if (!src)
		return -EINVAL;
	l = strlen(src);
	if (l >= ES_TXN_STR_MAX)
		return -EMSGSIZE;
	memcpy(dst, src, l + 1);
	return 0;
}

void es_corr_init(struct es_corr *c)
{
	memset(c, 0, sizeof(*c));
}

int es_corr_add(struct es_corr *c, const char *message_id, enum es_msg_id request, uint64_t now, uint64_t validity_s)
{
	if (request < 0 || request >= ES_MSG__COUNT || es_msgs[request].kind != ES_KIND_REQUEST)
		return -EINVAL;
	for (unsigned int i = 0; i < ES_CORR_MAX; i++) {
		struct es_corr_entry *e = &c->e[i];
		int rc;

		if (e->used)
			continue;
		rc = copy_bounded(e->message_id, message_id);
		if (rc < 0)
			return rc;
		e->used = true;
		e->request = request;
		e->deadline = validity_s ? now + validity_s : 0;
		return (int)i;
	}
	return -ENOSPC;
}

enum es_corr_result es_corr_match(struct es_corr *c, const char *relates_to, enum es_msg_id response, uint64_t now,
				  enum es_msg_id *request)
{
	if (!relates_to)
		return ES_CORR_NO_RELATES_TO;
	for (unsigned int i = 0; i < ES_CORR_MAX; i++) {
		struct es_corr_entry *e = &c->e[i];

		if (!e->used || strcmp(e->message_id, relates_to) != 0)
			continue;
		e->used = false;
		if (request)
			*request = e->request;
		/* The registry lists each function's response right after its request. */
		if (response != e->request + 1 || es_msgs[response].kind != ES_KIND_RESPONSE)
			return ES_CORR_WRONG_MESSAGE;
		if (e->deadline && now > e->deadline + ES_CORR_GRACE_S)
			return ES_CORR_LATE;
		return ES_CORR_MATCHED;
	}
	return ES_CORR_UNKNOWN;
}

unsigned int es_corr_expire(struct es_corr *c, uint64_t now)
{
	unsigned int n = 0;

	for (unsigned int i = 0; i < ES_CORR_MAX; i++)
		if (c->e[i].used && c->e[i].deadline && now > c->e[i].deadline + ES_CORR_GRACE_S) {
			c->e[i].used = false;
			n++;
		}
	return n;
}

void es_fci_init(struct es_fci *t)
{
	memset(t, 0, sizeof(*t));
}

int es_fci_check(struct es_fci *t, const char *sender, const char *fci, uint64_t now)
{
	struct es_fci_entry *e;
	int rc;

	if (!sender || !fci)
		return -EINVAL;
	for (unsigned int i = 0; i < ES_FCI_MAX; i++) {
		e = &t->e[i];
		if (e->used && strcmp(e->fci, fci) == 0 && strcmp(e->sender, sender) == 0) {
			e->seen = now;
			return 1;
		}
	}
	e = &t->e[t->next];
	t->next = (t->next + 1) % ES_FCI_MAX;
	rc = copy_bounded(e->sender, sender);
	if (rc == 0)
		rc = copy_bounded(e->fci, fci);
	if (rc < 0) {
		e->used = false;
		return rc;
	}
	e->used = true;
	e->seen = now;
	return 0;
}

bool es_validity_expired(const struct es_int *validity_period, uint64_t received, uint64_t now)
{
	if (!validity_period || !validity_period->present || validity_period->v <= 0)
		return false;
	return now > received + (uint64_t)validity_period->v;
}

void es_fes_expired(struct es_fes *fes)
{
	memset(fes, 0, sizeof(*fes));
	fes->present = true;
	fes->status = ES_STATUS_EXPIRED;
	fes->status_code_data.present = true;
	fes->status_code_data.subject = "1.6"; /* Function (digest §6.5) */
	fes->status_code_data.reason = "5.3";  /* Transaction Expired (open-questions §11, Njiwa) [U] */
	fes->status_code_data.message = "validity period expired";
}

/* Subject codes: digest §6.5 (WHTY texts and Njiwa) [R-impl]. */
const struct es_code_name es_subject_codes[] = {
	{ "1.2", "Function Provider" },
	{ "1.6", "Function" },
	{ "8.1", "eUICC" },
	{ "8.1.1", "EID" },
	{ "8.2", "Profile" },
	{ "8.2.1", "Profile ICCID" },
	{ "8.2.2", "POL1" },
	{ "8.2.3", "POL2" },
	{ "8.2.5", "Profile Type" },
	{ "8.2.6", "Subscription Address" },
	{ "8.4", "ISD-R" },
	{ "8.5.2", "ECASD certificate" },
	{ "8.5.3", "SM-SR certificate" },
	{ "8.6", "EIS" },
	{ "8.7", "SM-SR" },
	{ NULL, NULL },
};

/* Reason codes: open-questions §11 default, a recollection of SGP.02 §5.1.6.4 [U]; 1.1, 4.2, 5.3
 * corroborated by Njiwa. Compare codes as strings (the table may be corrected). */
const struct es_code_name es_reason_codes[] = {
	{ "1.1", "Unknown" },
	{ "1.2", "Not Allowed" },
	{ "2.1", "Invalid" },
	{ "2.2", "Mandatory Element Missing" },
	{ "2.3", "Conditional Element Missing" },
	{ "3.1", "Unsupported" },
	{ "3.2", "Maximum Size Exceeded" },
	{ "3.3", "Already in Use" },
	{ "3.4", "Invalid Destination" },
	{ "3.5", "Invalid Transition" },
	{ "3.6", "Related Objects Exist" },
	{ "3.7", "Unavailable" },
	{ "3.8", "Refused" },
	{ "3.9", "Unknown" },
	{ "4.1", "Insufficient Memory" },
	{ "4.2", "Execution Error" },
	{ "4.3", "Stopped on Warning" },
	{ "5.1", "Inaccessible" },
	{ "5.2", "Timeout" },
	{ "5.3", "Transaction Expired" },
	{ "5.4", "Delivered With No Response" },
	{ "6.1", "Verification Failed" },
	{ "6.2", "Decryption Failed" },
	{ "6.3", "Expired" },
	{ "6.4", "Max Number of Retries Exceeded" },
	{ NULL, NULL },
};

const char *es_code_name(const struct es_code_name *table, const char *code)
{
	for (; code && table->code; table++)
		if (strcmp(table->code, code) == 0)
			return table->name;
	return NULL;
}
