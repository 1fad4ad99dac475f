"""CHOL_REG cohort, CHOL003 (statin or other lipid-lowering therapy) and CHOL004 (LDL/non-HDL
target), QOF 2025/26. Expectations from the rules (qof-rule-logic.md §3.5, qof-catalogue.md §3),
not from engine output.

CHOL_REG: CHD, stroke/TIA or PAD ever (all ages), or on CKD_REG (see test_ckd.py).
CHOL003: 1 on DM_REG -> excluded DMCVDEXC; 2 haemorrhagic stroke -> excluded HSTRK; 3 statin
  after 2025-09-30 (or statin not possible + other LLT) -> achieved; 4 CHOLMAX, LLTADV (ever),
  LLTCONNIND, LLTDEC12M; 5 (an exclusion before 3 since issue #10) palliative -> PALCAREXCL;
  6 two invitations -> CHOLINVITE;
  7 registered after 2025-12-31 -> REG1_DAT3 (no new-diagnosis PCA).
CHOL004: 1 no CHD/STIA/PAD (CKD only) -> excluded CVDNOHIST; 2 HSTRK; 3 latest LDL after
  2025-03-31 <= 2.0, or with no LDL then, latest non-HDL then <= 2.6 -> achieved; PCAs;
  intermediate invitation rule; first CHD/STIA/PAD after 2025-06-30 -> DIAG1_DT9M; registered
  after 2025-06-30 -> REG1_DAT9. Diabetics are not excluded.
LDL/non-HDL, CHOLMAX, CHOLDEC, invitation and lipid-therapy decline clusters are not public:
those cases skip, naming the cluster.
"""

from __future__ import annotations

from datetime import date

import pytest
from rulecases import ACHIEVED, NOT_ACHIEVED, case, case_id, ev, excluded, pca

CHD = ev("CHD_COD", date(2015, 1, 1))
NO_ROWS = {"CHOL003": None, "CHOL004": None}


def chol(pid, why, expect=None, *, events=(), **kw):
    return case(pid, why, expect, events=events, dx=None, **kw)


def statin(when):
    return ev("STAT_COD", when)


def ldl(when, value):
    return ev("LDLCCHOL_COD", when, value)


def nonhdl(when, value):
    return ev("NONHDLCCHOL_COD", when, value)


def invites(*dates):
    return [ev("CHOLINVITE_COD", d) for d in dates]


CASES = [
    # ---- CHOL_REG -----------------------------------------------------------------------------
    chol(
        "reg_chd",
        "cohort: CHD -> rows; nothing else -> not achieved for both",
        {"CHOL003": NOT_ACHIEVED, "CHOL004": NOT_ACHIEVED},
        events=[CHD],
    ),
    chol(
        "reg_stroke",
        "cohort: stroke -> rows",
        {"CHOL003": NOT_ACHIEVED, "CHOL004": NOT_ACHIEVED},
        events=[ev("STRK_COD", date(2015, 1, 1))],
    ),
    chol(
        "reg_tia",
        "cohort: TIA -> rows",
        {"CHOL003": NOT_ACHIEVED, "CHOL004": NOT_ACHIEVED},
        events=[ev("TIA_COD", date(2015, 1, 1))],
    ),
    chol(
        "reg_pad",
        "cohort: PAD -> rows",
        {"CHOL003": NOT_ACHIEVED, "CHOL004": NOT_ACHIEVED},
        events=[ev("PAD_COD", date(2015, 1, 1))],
    ),
    chol("reg_none", "cohort: none of CHD/STIA/PAD/CKD -> no rows", NO_ROWS),
    chol(
        "reg_child_chd",
        "cohort: CHD route has no age limit (age 10)",
        {"CHOL003": NOT_ACHIEVED},
        events=[ev("CHD_COD", date(2020, 1, 1))],
        dob=date(2015, 6, 1),
    ),
    chol(
        "reg_after_achv",
        "cohort: CHD coded after ACHV -> no rows",
        NO_ROWS,
        events=[ev("CHD_COD", date(2026, 4, 1))],
    ),
    chol(
        "reg_dead",
        "population: died 2026-03-30 -> no rows",
        NO_ROWS,
        events=[CHD],
        death=date(2026, 3, 30),
    ),
    # ---- CHOL003 gates ----------------------------------------------------------------------
    chol(
        "c3_diabetic",
        "CHOL003 r1: on DM_REG -> excluded DMCVDEXC even on a statin; CHOL004 keeps diabetics",
        {"CHOL003": excluded("DMCVDEXC"), "CHOL004": NOT_ACHIEVED},
        events=[CHD, ev("DM_COD", date(2010, 1, 1)), statin(date(2026, 1, 1))],
    ),
    chol(
        "c3_diabetes_resolved",
        "CHOL003 r1: diabetes resolved -> not on DM_REG -> not excluded",
        {"CHOL003": NOT_ACHIEVED},
        events=[CHD, ev("DM_COD", date(2010, 1, 1)), ev("DMRES_COD", date(2012, 1, 1))],
    ),
    chol(
        "c3_diabetic_16",
        "CHOL003 r1: diabetic aged 16 is not on DM_REG -> not excluded",
        {"CHOL003": NOT_ACHIEVED},
        events=[CHD, ev("DM_COD", date(2020, 1, 1))],
        dob=date(2009, 6, 1),
    ),
    chol(
        "c3_hstrk",
        "r2: haemorrhagic stroke -> excluded HSTRK from both",
        {"CHOL003": excluded("HSTRK"), "CHOL004": excluded("HSTRK")},
        events=[CHD, ev("HSTRK_COD", date(2018, 1, 1)), statin(date(2026, 1, 1))],
    ),
    # ---- CHOL003 numerator -------------------------------------------------------------------
    chol(
        "c3_statin_in",
        "CHOL003 r3: statin 2025-10-01 -> achieved",
        {"CHOL003": ACHIEVED},
        events=[CHD, statin(date(2025, 10, 1))],
    ),
    chol(
        "c3_statin_out",
        "CHOL003 r3: statin 2025-09-30 -> not achieved",
        {"CHOL003": NOT_ACHIEVED},
        events=[CHD, statin(date(2025, 9, 30))],
    ),
    chol(
        "c3_statin_pped",
        "CHOL003 r3: statin on PPED -> achieved",
        {"CHOL003": ACHIEVED},
        events=[CHD, statin(date(2026, 3, 31))],
    ),
    chol(
        "c3_intol_ezetimibe",
        "CHOL003 r3: statin intolerant + ezetimibe in 6 m -> achieved",
        {"CHOL003": ACHIEVED},
        events=[CHD, ev("STATINTOL_COD", date(2020, 1, 1)), ev("EZETIMIBE_COD", date(2026, 1, 1))],
    ),
    chol(
        "c3_ezetimibe_only",
        "CHOL003 r3: ezetimibe without a statin bar -> not achieved",
        {"CHOL003": NOT_ACHIEVED},
        events=[CHD, ev("EZETIMIBE_COD", date(2026, 1, 1))],
    ),
    # ---- CHOL003 PCAs ------------------------------------------------------------------------
    chol(
        "c3_cholmax",
        "CHOL003 r4: maximum tolerated treatment in year -> CHOLMAX",
        {"CHOL003": pca("CHOLMAX")},
        events=[CHD, ev("CHOLMAX_COD", date(2025, 6, 1))],
    ),
    chol(
        "c3_lltadv",
        "CHOL003 r4: lipid therapy adverse reaction (ever, 2012) -> LLTADV",
        {"CHOL003": pca("LLTADV")},
        events=[CHD, ev("LIPIDTHERADV_COD", date(2012, 1, 1))],
    ),
    chol(
        "c3_lltadv_achiever",
        "CHOL003 r3 first: adverse reaction but on a statin -> achieved",
        {"CHOL003": ACHIEVED},
        events=[CHD, ev("LIPIDTHERADV_COD", date(2012, 1, 1)), statin(date(2026, 1, 1))],
    ),
    chol(
        "c3_lltdec",
        "CHOL003 r4: declined lipid therapy 2025-04-01 -> LLTDEC12M",
        {"CHOL003": pca("LLTDEC12M")},
        events=[CHD, ev("LIPIDTHERDEC_COD", date(2025, 4, 1))],
    ),
    chol(
        "c3_lltdec_old",
        "CHOL003 r4: declined lipid therapy 2025-03-31 -> not achieved",
        {"CHOL003": NOT_ACHIEVED},
        events=[CHD, ev("LIPIDTHERDEC_COD", date(2025, 3, 31))],
    ),
    chol(
        "c3_palliative",
        "CHOL003: palliative care is an exclusion (issue #10 item 5) -> excluded PALCAREXCL",
        {"CHOL003": excluded("PALCAREXCL"), "CHOL004": NOT_ACHIEVED},
        events=[CHD, ev("PALCARE_COD", date(2025, 1, 1))],
    ),
    chol(
        "c3_invites_7",
        "CHOL003 r6: two invitations 7 days apart -> CHOLINVITE",
        {"CHOL003": pca("CHOLINVITE")},
        events=[CHD, invites(date(2025, 5, 1), date(2025, 5, 8))],
    ),
    chol(
        "c3_invites_6",
        "CHOL003 r6: two invitations 6 days apart -> not achieved",
        {"CHOL003": NOT_ACHIEVED},
        events=[CHD, invites(date(2025, 5, 1), date(2025, 5, 7))],
    ),
    chol(
        "c3_reg_new",
        "CHOL003 r7: registered 2026-01-01 -> REG1_DAT3 (CHOL004 REG1_DAT9)",
        {"CHOL003": pca("REG1_DAT3"), "CHOL004": pca("REG1_DAT9")},
        events=[CHD],
        reg=date(2026, 1, 1),
    ),
    chol(
        "c3_reg_edge",
        "CHOL003 r7: registered 2025-12-31 -> not achieved (CHOL004 REG1_DAT9)",
        {"CHOL003": NOT_ACHIEVED, "CHOL004": pca("REG1_DAT9")},
        events=[CHD],
        reg=date(2025, 12, 31),
    ),
    chol(
        "c3_new_chd",
        "CHOL003 has no new-diagnosis PCA: CHD 2026-01-01 -> not achieved; CHOL004 -> DIAG1_DT9M",
        {"CHOL003": NOT_ACHIEVED, "CHOL004": pca("DIAG1_DT9M")},
        events=[ev("CHD_COD", date(2026, 1, 1))],
    ),
    # ---- CHOL004 numerator -------------------------------------------------------------------
    chol(
        "c4_ldl_2_0",
        "CHOL004 r3: LDL 2.0 in year -> achieved",
        {"CHOL004": ACHIEVED},
        events=[CHD, ldl(date(2025, 6, 1), 2.0)],
    ),
    chol(
        "c4_ldl_2_1",
        "CHOL004 r3: LDL 2.1 -> not achieved",
        {"CHOL004": NOT_ACHIEVED},
        events=[CHD, ldl(date(2025, 6, 1), 2.1)],
    ),
    chol(
        "c4_ldl_ppsd",
        "CHOL004 r3: LDL 1.5 on 2025-04-01 -> achieved",
        {"CHOL004": ACHIEVED},
        events=[CHD, ldl(date(2025, 4, 1), 1.5)],
    ),
    chol(
        "c4_ldl_old",
        "CHOL004 r3: LDL 1.5 on 2025-03-31 only -> not achieved",
        {"CHOL004": NOT_ACHIEVED},
        events=[CHD, ldl(date(2025, 3, 31), 1.5)],
    ),
    chol(
        "c4_ldl_latest",
        "CHOL004 r3: LDL 1.5 then 2.4 in year: latest decides -> not achieved",
        {"CHOL004": NOT_ACHIEVED},
        events=[CHD, ldl(date(2025, 5, 1), 1.5), ldl(date(2025, 11, 1), 2.4)],
    ),
    chol(
        "c4_nonhdl_2_6",
        "CHOL004 r3: no LDL, non-HDL 2.6 -> achieved",
        {"CHOL004": ACHIEVED},
        events=[CHD, nonhdl(date(2025, 6, 1), 2.6)],
    ),
    chol(
        "c4_nonhdl_2_7",
        "CHOL004 r3: no LDL, non-HDL 2.7 -> not achieved",
        {"CHOL004": NOT_ACHIEVED},
        events=[CHD, nonhdl(date(2025, 6, 1), 2.7)],
    ),
    chol(
        "c4_ldl_high_nonhdl_low",
        "CHOL004 r3: LDL 2.5 in year decides over non-HDL 2.0 -> not achieved",
        {"CHOL004": NOT_ACHIEVED},
        events=[CHD, ldl(date(2025, 6, 1), 2.5), nonhdl(date(2025, 7, 1), 2.0)],
    ),
    chol(
        "c4_old_ldl_nonhdl",
        "CHOL004 r3: LDL only before the year, non-HDL 2.0 in year -> achieved",
        {"CHOL004": ACHIEVED},
        events=[CHD, ldl(date(2025, 3, 31), 3.0), nonhdl(date(2025, 7, 1), 2.0)],
    ),
    chol(
        "c4_ckd_only",
        "CHOL004 r1: CKD-only cohort member -> excluded CVDNOHIST",
        {"CHOL003": NOT_ACHIEVED, "CHOL004": excluded("CVDNOHIST")},
        events=[ev("CKD_COD", date(2020, 1, 1))],
    ),
    # ---- CHOL004 PCAs ------------------------------------------------------------------------
    chol(
        "c4_cholmax",
        "CHOL004: maximum tolerated treatment -> CHOLMAX",
        {"CHOL004": pca("CHOLMAX")},
        events=[CHD, ldl(date(2025, 6, 1), 3.0), ev("CHOLMAX_COD", date(2025, 7, 1))],
    ),
    chol(
        "c4_cholmax_achiever",
        "CHOL004 r3 first: at target and CHOLMAX -> achieved",
        {"CHOL004": ACHIEVED},
        events=[CHD, ldl(date(2025, 6, 1), 1.8), ev("CHOLMAX_COD", date(2025, 7, 1))],
    ),
    chol(
        "c4_lltadv",
        "CHOL004: lipid therapy adverse reaction -> LLTADV",
        {"CHOL004": pca("LLTADV")},
        events=[CHD, ev("LIPIDTHERADV_COD", date(2012, 1, 1))],
    ),
    chol(
        "c4_choldec",
        "CHOL004: declined a cholesterol test in year -> CHOLDEC",
        {"CHOL004": pca("CHOLDEC")},
        events=[CHD, ev("CHOLDEC_COD", date(2025, 7, 1))],
    ),
    chol(
        "c4_inv_no_test",
        "CHOL004: two invitations, no test in year -> CHOLINVITE",
        {"CHOL004": pca("CHOLINVITE")},
        events=[CHD, invites(date(2025, 5, 1), date(2025, 5, 8))],
    ),
    chol(
        "c4_inv_after_high",
        "CHOL004: LDL 3.0 then two invitations after it -> CHOLINVITE",
        {"CHOL004": pca("CHOLINVITE")},
        events=[CHD, ldl(date(2025, 5, 1), 3.0), invites(date(2025, 6, 1), date(2025, 6, 8))],
    ),
    chol(
        "c4_inv_before_high",
        "CHOL004: invitations before the high LDL -> not achieved",
        {"CHOL004": NOT_ACHIEVED},
        events=[CHD, invites(date(2025, 4, 1), date(2025, 4, 8)), ldl(date(2025, 5, 1), 3.0)],
    ),
    chol(
        "c4_inv_6_days",
        "CHOL004: invitations 6 days apart, no test -> not achieved",
        {"CHOL004": NOT_ACHIEVED},
        events=[CHD, invites(date(2025, 5, 1), date(2025, 5, 7))],
    ),
    chol(
        "c4_new_9m",
        "CHOL004: first CHD 2025-07-01 (after PPED-9m) -> DIAG1_DT9M",
        {"CHOL004": pca("DIAG1_DT9M")},
        events=[ev("CHD_COD", date(2025, 7, 1))],
    ),
    chol(
        "c4_new_edge",
        "CHOL004: first CHD 2025-06-30 -> not achieved",
        {"CHOL004": NOT_ACHIEVED},
        events=[ev("CHD_COD", date(2025, 6, 30))],
    ),
    chol(
        "c4_old_chd_new_stroke",
        "CHOL004: CHD 2015, stroke 2026-01: joined the cohort in 2015 -> not achieved",
        {"CHOL004": NOT_ACHIEVED},
        events=[CHD, ev("STRK_COD", date(2026, 1, 1))],
    ),
    chol(
        "c4_reg_9m",
        "CHOL004: registered 2025-07-01 -> REG1_DAT9",
        {"CHOL004": pca("REG1_DAT9")},
        events=[CHD],
        reg=date(2025, 7, 1),
    ),
    chol(
        "c4_reg_9m_edge",
        "CHOL004: registered 2025-06-30 -> not achieved",
        {"CHOL004": NOT_ACHIEVED},
        events=[CHD],
        reg=date(2025, 6, 30),
    ),
]


@pytest.mark.parametrize("c", CASES, ids=case_id)
def test_chol(c, check):
    check(c, CASES)
