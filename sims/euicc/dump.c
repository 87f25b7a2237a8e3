/* sims/euicc: the card's state as text (see dump.h). */
#include <errno.h>
#include <stdio.h>

#include "lib/es/es.h"
#include "lib/es5/es5.h"
#include "lib/ids/ids.h"
#include "sims/euicc/dump.h"

static const char *profile_state(uint8_t lifecycle)
{
	/* SGP.02 §5.1.1.2 life cycle -> the ES profile state of the EIS (digest §4.4) */
	switch (lifecycle) {
	case ES5_ISDP_ENABLED: return get_value_string(es_profile_state_names, ES_PROFILE_STATE_ENABLED);
	case ES5_ISDP_DISABLED: return get_value_string(es_profile_state_names, ES_PROFILE_STATE_DISABLED);
	default: return get_value_string(es_profile_state_names, ES_PROFILE_STATE_CREATED);
	}
}

int euicc_dump(struct euicc_store *st, FILE *out)
{
	static struct euicc_isdp p[EUICC_MAX_ISDP];
	static struct euicc_keyset ks[EUICC_MAX_KEYSETS];
	uint8_t eid[IDS_EID_BYTES + 1];
	size_t eid_len = sizeof(eid);
	char digits[IDS_EID_DIGITS + 1];
	int np, nk, rc;

	rc = euicc_store_read_begin(st);
	if (rc < 0)
		return rc;
	rc = euicc_store_param_get(st, "eid", eid, &eid_len);
	np = euicc_store_isdp_list(st, p, EUICC_MAX_ISDP);
	nk = euicc_store_keyset_list(st, ks, EUICC_MAX_KEYSETS);
	euicc_store_rollback(st);
	if (rc < 0 || np < 0 || nk < 0)
		return rc < 0 ? rc : np < 0 ? np : nk;
	if (ids_eid_from_bytes(digits, eid, eid_len) < 0)
		return -EINVAL;
	digits[IDS_EID_DIGITS] = '\0';
	fprintf(out, "eid %s\n", digits);
	for (int i = 0; i < np; i++) {
		fprintf(out, "isdp tar=%06X aid=", (unsigned int)p[i].tar);
		for (unsigned int k = 0; k < p[i].aid_len; k++)
			fprintf(out, "%02X", p[i].aid[k]);
		fprintf(out, " lifecycle=%02X state=%s iccid=%s fallback=%d\n", p[i].state, profile_state(p[i].state),
			p[i].has_profile && p[i].prof.iccid[0] ? p[i].prof.iccid : "-", p[i].fallback ? 1 : 0);
	}
	for (int i = 0; i < nk; i++) {
		unsigned int set = 0;
		for (int k = 0; k < 3; k++)
			set += ks[i].key_len[k] != 0;
		if (ks[i].type == EUICC_KEYSET_SCP80 || ks[i].type == EUICC_KEYSET_SCP81)
			fprintf(out, "keyset kvn=%02X type=scp%u keys=%u\n", ks[i].kvn, ks[i].type, set);
		else
			fprintf(out, "keyset kvn=%02X type=%u keys=%u\n", ks[i].kvn, ks[i].type, set);
	}
	return ferror(out) ? -EIO : 0;
}
