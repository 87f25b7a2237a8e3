/* rsplab-smdp: the profile download procedure, one osmo_fsm instance per ES2.DownloadProfile
 * (SGP.02 §3.1-§3.3; digest §3.1-§3.4 steps 1-18, 19 when enabling is asked, and 27), each step a
 * state with an osmo_tdef timeout:
 *
 *   GET_EIS (2-3: ES3.GetEIS, eligibility: EID, CERT.ECASD.ECKA -> EUM -> CI, memory, ICCID not yet on
 *     the card)
 *   CREATE_ISDP (4-6: ES3.CreateISDP; the profile is bound to the EID in the store first)
 *   KEYSET_CERT (7-8: ES3.SendData to the ISD-R: INSTALL [for personalization] + STORE DATA 3A01 {CERT.DP})
 *   KEYSET_AGREE (9-12: STORE DATA 3A02 {A6} 7F49 5F37, DR and receipt checked with lib/ecka)
 *   SCP03T_OPEN (13-14: ES3.SendData to the ISD-P: SCP03t 84 + 85 in one script)
 *   SEGMENT (15-16: one ES3.SendData per 86 segment; the last answer carries the EUICCResponse)
 *   COMPLETED (17-18: ES3.ProfileDownloadCompleted)
 *   ENABLE (19-25: ES3.EnableProfile, only when the MNO asked for it)
 *   DELETE_ISDP (§3.1.4 error management: ES3.DeleteISDP after ANY failure once CreateISDP was sent)
 *   then the ES2.DownloadProfile response (27) and the instance terminates.
 *
 * Every step is persisted (store.h smdp_store_dl_step) before its request goes out, so smdp_recover()
 * can resume (GetEIS, ProfileDownloadCompleted, EnableProfile, DeleteISDP) or clean up (a download
 * interrupted between CreateISDP and the end of the SCP03t session: the ISD-P keys are never stored,
 * so the session cannot be resumed and the ISD-P is deleted). */
#pragma once

#include "network/smdp/smdp.h"

enum smdp_dl_state {
	SMDP_DL_ST_GET_EIS,
	SMDP_DL_ST_CREATE_ISDP,
	SMDP_DL_ST_KEYSET_CERT,
	SMDP_DL_ST_KEYSET_AGREE,
	SMDP_DL_ST_SCP03T_OPEN,
	SMDP_DL_ST_SEGMENT,
	SMDP_DL_ST_COMPLETED,
	SMDP_DL_ST_ENABLE,
	SMDP_DL_ST_DELETE_ISDP,
};

extern struct osmo_fsm smdp_dl_fsm;

/* Start (or, after a restart, resume) the procedure for a download row of the store (rec->step says
 * where). Returns 0 (the instance runs, or already ended and answered the MNO), or -ENOENT when it
 * cannot run (no such SM-SR configured, or the profile is gone: logged, the row stays). */
int smdp_dl_start(struct smdp *s, const struct smdp_dl_rec *rec);
