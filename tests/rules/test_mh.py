"""MH_REG / MH1_REG and the SMI indicators MH002, MH003, MH006, MH007, MH011, MH012 (2025/26).

Cohort MH1_REG: any MH_COD code on or before ACHV (remission codes do not remove the patient).
Every denominator (spec, after qof-rule-logic.md §1.5/§3.8 and the 2023/24 reason fields):
  1 latest MH code is a remission code (MHREM_COD on/after MHLAT)     -> excluded MHREM_DAT
  (MH012 only) unresolved diabetes first diagnosed <= PPED-12m (2025-03-31) -> excluded DM_DAT4
  2 numerator met                                                       -> achieved
  3 PCAs in the 12 months (after 2025-03-31): MHPCAPU, the specific decline, MHPCADEC
  4 two MHINVITE_COD on/after PPSD, >= 7 days apart                     -> pca MHINVITE
  5 earliest MH_COD after PPED-3m (>= 2026-01-01)                       -> pca DIAG1_DAT
  6 registered after PPED-3m (>= 2026-01-01)                            -> pca REG1_DAT3
  else not achieved
Numerators: MH002 care plan (MHP_COD) in 12 m and on/after the latest MH_COD; MH003 BP_COD in
12 m; MH006 BMI_COD in 12 m; MH007 ALC_COD in 12 m; MH011 lipid test in 12 m, or in 24 m (after
2024-03-31) when in no risk group; MH012 GLUC_COD or IFCCHBAM_COD in 12 m.
Default patient: 65, registered 2000, MH_COD 2015-01-01, no diabetes code.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from rulecases import ACHIEVED, NOT_ACHIEVED, bp, case, case_id, ev, excluded, pca

MH = ("MH002", "MH003", "MH006", "MH007", "MH011", "MH012")
DX = date(2015, 1, 1)
IN_YEAR = date(2025, 6, 1)


def mh(pid: str, why: str, expect: dict[str, Any], *, events=(), dx: date | None = DX, **kw):
    evs = list(events)
    if dx is not None:
        evs.insert(0, ev("MH_COD", dx))
    return case(pid, why, expect, events=evs, dx=None, **kw)


def all_(status) -> dict[str, Any]:
    return dict.fromkeys(MH, status)


def invites(*dates: date):
    return [ev("MHINVITE_COD", d) for d in dates]


CASES = [
    # ---- cohort / register ----------------------------------------------------------------
    mh(
        "reg_dx",
        "MH_COD in 2015, nothing else: on MH1_REG, every indicator not achieved",
        all_(NOT_ACHIEVED),
    ),
    mh("reg_no_dx", "no MH_COD: not on MH1_REG, no rows", all_(None), dx=None),
    mh(
        "reg_dx_on_achv",
        "MH_COD dated on ACHV counts; first diagnosed in the last 3 months",
        all_(pca("DIAG1_DAT")),
        dx=date(2026, 3, 31),
    ),
    mh(
        "reg_dx_after_achv", "only MH_COD is after ACHV -> no rows", all_(None), dx=date(2026, 4, 1)
    ),
    mh(
        "reg_dereg",
        "deregistered before ACHV -> not in the population, no rows",
        all_(None),
        dereg=date(2026, 3, 1),
    ),
    mh("reg_dead", "died before ACHV -> no rows", all_(None), death=date(2025, 12, 1)),
    mh(
        "reg_dereg_after_achv",
        "deregistered after ACHV -> still counted",
        all_(NOT_ACHIEVED),
        dereg=date(2026, 4, 2),
    ),
    mh(
        "reg_child",
        "no age limit: a 10-year-old with MH_COD has rows",
        all_(NOT_ACHIEVED),
        dob=date(2015, 6, 1),
        dx=date(2022, 1, 1),
    ),
    mh(
        "reg_lithium_only",
        "MH2 route (lithium, no MH_COD) is on MH_REG but not in the MH1"
        " cohort of the indicators -> no rows (LIT_COD missing: skips)",
        all_(None),
        dx=None,
        events=[ev("LIT_COD", date(2026, 1, 10))],
    ),
    # ---- rule 1: remission -------------------------------------------------------------------
    mh(
        "rem_latest",
        "latest MH record is a remission code (2020 after dx 2015) -> MHREM_DAT",
        all_(excluded("MHREM_DAT")),
        events=[ev("MHREM_COD", date(2020, 1, 1))],
    ),
    mh(
        "rem_then_relapse",
        "remission 2020 then a new MH_COD 2022 -> not in remission",
        all_(NOT_ACHIEVED),
        events=[ev("MHREM_COD", date(2020, 1, 1)), ev("MH_COD", date(2022, 1, 1))],
    ),
    mh(
        "rem_achiever_excluded",
        "remission excludes before the numerator: care plan in year does not rescue it",
        {"MH002": excluded("MHREM_DAT")},
        events=[ev("MHREM_COD", date(2020, 1, 1)), ev("MHP_COD", IN_YEAR)],
    ),
    # ---- MH002 care plan --------------------------------------------------------------------
    mh(
        "cp_in_year",
        "MH002: care plan 2025-06-01, after dx -> achieved",
        {"MH002": ACHIEVED},
        events=[ev("MHP_COD", IN_YEAR)],
    ),
    mh(
        "cp_on_ppsd",
        "MH002: care plan on 2025-04-01 (in the 12 months)",
        {"MH002": ACHIEVED},
        events=[ev("MHP_COD", date(2025, 4, 1))],
    ),
    mh(
        "cp_day_before",
        "MH002: care plan 2025-03-31 (outside) -> not achieved",
        {"MH002": NOT_ACHIEVED},
        events=[ev("MHP_COD", date(2025, 3, 31))],
    ),
    mh(
        "cp_before_latest_dx",
        "MH002: care plan 2025-06-01, then MH_COD again 2025-07-01 ->"
        " plan is not on/after the latest diagnosis -> not achieved",
        {"MH002": NOT_ACHIEVED},
        events=[ev("MHP_COD", IN_YEAR), ev("MH_COD", date(2025, 7, 1))],
    ),
    mh(
        "cp_same_day_as_dx",
        "MH002: care plan the same day as the latest MH_COD -> achieved",
        {"MH002": ACHIEVED},
        events=[ev("MHP_COD", IN_YEAR), ev("MH_COD", IN_YEAR)],
    ),
    mh(
        "cp_with_pca",
        "MH002: achiever with MHPCAPU in year stays achieved",
        {"MH002": ACHIEVED, "MH003": pca("MHPCAPU")},
        events=[ev("MHP_COD", IN_YEAR), ev("MHPCAPU_COD", IN_YEAR)],
    ),
    # ---- general PCAs -------------------------------------------------------------------------
    mh(
        "pcapu",
        "MHPCAPU in year -> pca MHPCAPU everywhere",
        all_(pca("MHPCAPU")),
        events=[ev("MHPCAPU_COD", date(2025, 4, 1))],
    ),
    mh(
        "pcapu_old",
        "MHPCAPU on 2025-03-31 (outside 12 months) -> no PCA",
        all_(NOT_ACHIEVED),
        events=[ev("MHPCAPU_COD", date(2025, 3, 31))],
    ),
    mh(
        "pcadec",
        "MHPCADEC in year -> pca MHPCADEC",
        all_(pca("MHPCADEC")),
        events=[ev("MHPCADEC_COD", date(2026, 3, 31))],
    ),
    mh(
        "pcadec_old",
        "MHPCADEC 2025-03-31 -> no PCA",
        all_(NOT_ACHIEVED),
        events=[ev("MHPCADEC_COD", date(2025, 3, 31))],
    ),
    mh(
        "pcapu_and_dec",
        "both PCAs: MHPCAPU comes first",
        all_(pca("MHPCAPU")),
        events=[ev("MHPCAPU_COD", IN_YEAR), ev("MHPCADEC_COD", IN_YEAR)],
    ),
    # ---- invitations ---------------------------------------------------------------------------
    mh(
        "inv_7_days",
        "two invitations 7 days apart -> pca MHINVITE",
        all_(pca("MHINVITE")),
        events=invites(date(2025, 5, 1), date(2025, 5, 8)),
    ),
    mh(
        "inv_6_days",
        "two invitations 6 days apart -> no PCA",
        all_(NOT_ACHIEVED),
        events=invites(date(2025, 5, 1), date(2025, 5, 7)),
    ),
    mh(
        "inv_one_before_ppsd",
        "first invitation 2025-03-28 is before PPSD: only one in year",
        all_(NOT_ACHIEVED),
        events=invites(date(2025, 3, 28), date(2025, 4, 10)),
    ),
    mh(
        "inv_three",
        "invitations 05-01, 05-04, 05-09: first and last 8 days apart -> pca",
        all_(pca("MHINVITE")),
        events=invites(date(2025, 5, 1), date(2025, 5, 4), date(2025, 5, 9)),
    ),
    mh(
        "inv_achiever",
        "two invitations but BP recorded: MH003 achieved, others pca",
        {"MH003": ACHIEVED, "MH002": pca("MHINVITE")},
        events=[*invites(date(2025, 5, 1), date(2025, 5, 8)), *bp(IN_YEAR, 120, 80)],
    ),
    # ---- new diagnosis / registration --------------------------------------------------------
    mh(
        "diag_3m_in",
        "earliest MH_COD 2026-01-01 (after PPED-3m) -> DIAG1_DAT",
        all_(pca("DIAG1_DAT")),
        dx=date(2026, 1, 1),
    ),
    mh(
        "diag_3m_out",
        "earliest MH_COD 2025-12-31 -> not new",
        all_(NOT_ACHIEVED),
        dx=date(2025, 12, 31),
    ),
    mh(
        "diag_old_and_new",
        "MH_COD 2015 and again 2026-02-01: earliest decides -> not new",
        all_(NOT_ACHIEVED),
        events=[ev("MH_COD", date(2026, 2, 1))],
    ),
    mh(
        "reg_3m_in",
        "registered 2026-01-01 -> REG1_DAT3",
        all_(pca("REG1_DAT3")),
        reg=date(2026, 1, 1),
    ),
    mh(
        "reg_3m_out", "registered 2025-12-31 -> not new", all_(NOT_ACHIEVED), reg=date(2025, 12, 31)
    ),
    mh(
        "diag_and_reg_new",
        "new diagnosis and new registration: DIAG1_DAT comes first",
        all_(pca("DIAG1_DAT")),
        dx=date(2026, 2, 1),
        reg=date(2026, 1, 15),
    ),
    mh(
        "new_reg_achiever",
        "registered 2026-02-01 with BP recorded since -> MH003 achieved",
        {"MH003": ACHIEVED, "MH006": pca("REG1_DAT3")},
        reg=date(2026, 2, 1),
        events=bp(date(2026, 2, 10), 130, 85),
    ),
    # ---- MH003 BP --------------------------------------------------------------------------
    mh(
        "bp_in_year",
        "MH003: BP 2025-06-01 -> achieved",
        {"MH003": ACHIEVED},
        events=bp(IN_YEAR, 150, 95),
    ),
    mh(
        "bp_on_ppsd",
        "MH003: BP on 2025-04-01 -> achieved",
        {"MH003": ACHIEVED},
        events=bp(date(2025, 4, 1), 120, 70),
    ),
    mh(
        "bp_old",
        "MH003: BP on 2025-03-31 -> not achieved",
        {"MH003": NOT_ACHIEVED},
        events=bp(date(2025, 3, 31), 120, 70),
    ),
    mh(
        "bp_dec",
        "MH003: BP declined in year -> pca BPDEC",
        {"MH003": pca("BPDEC"), "MH006": NOT_ACHIEVED},
        events=[ev("BPDEC_COD", IN_YEAR)],
    ),
    mh(
        "bp_dec_old",
        "MH003: BP declined 2025-03-31 -> no PCA",
        {"MH003": NOT_ACHIEVED},
        events=[ev("BPDEC_COD", date(2025, 3, 31))],
    ),
    mh(
        "bp_dec_achiever",
        "MH003: BP recorded and BP declined -> achieved",
        {"MH003": ACHIEVED},
        events=[ev("BPDEC_COD", IN_YEAR), *bp(IN_YEAR, 120, 70)],
    ),
    mh(
        "bp_dec_and_pcapu",
        "MH003: MHPCAPU comes before BPDEC",
        {"MH003": pca("MHPCAPU")},
        events=[ev("BPDEC_COD", IN_YEAR), ev("MHPCAPU_COD", IN_YEAR)],
    ),
    # ---- MH006 BMI -------------------------------------------------------------------------
    mh(
        "bmi_in_year",
        "MH006: BMI record in year -> achieved",
        {"MH006": ACHIEVED},
        events=[ev("BMI_COD", IN_YEAR)],
    ),
    mh(
        "bmi_value_code",
        "MH006: BMI with value (BMIVAL_COD is part of BMI_COD) -> achieved",
        {"MH006": ACHIEVED},
        events=[ev("BMIVAL_COD", IN_YEAR, 24)],
    ),
    mh(
        "bmi_old",
        "MH006: BMI 2025-03-31 -> not achieved",
        {"MH006": NOT_ACHIEVED},
        events=[ev("BMI_COD", date(2025, 3, 31))],
    ),
    mh(
        "bmi_pu",
        "MH006: BMI unsuitable in year -> pca BMIPU",
        {"MH006": pca("BMIPU")},
        events=[ev("BMIPU_COD", IN_YEAR)],
    ),
    mh(
        "bmi_dec",
        "MH006: BMI declined in year -> pca BMIDEC",
        {"MH006": pca("BMIDEC")},
        events=[ev("BMIDEC_COD", IN_YEAR)],
    ),
    mh(
        "bmi_pu_and_dec",
        "MH006: BMIPU before BMIDEC",
        {"MH006": pca("BMIPU")},
        events=[ev("BMIDEC_COD", IN_YEAR), ev("BMIPU_COD", IN_YEAR)],
    ),
    mh(
        "bmi_dec_old",
        "MH006: BMI declined 2025-03-31 -> no PCA",
        {"MH006": NOT_ACHIEVED},
        events=[ev("BMIDEC_COD", date(2025, 3, 31))],
    ),
    mh(
        "bmi_dec_achiever",
        "MH006: BMI recorded and declined -> achieved",
        {"MH006": ACHIEVED},
        events=[ev("BMIDEC_COD", IN_YEAR), ev("BMI_COD", IN_YEAR)],
    ),
    # ---- MH007 alcohol ---------------------------------------------------------------------
    mh(
        "alc_in_year",
        "MH007: alcohol record 2026-03-31 -> achieved",
        {"MH007": ACHIEVED},
        events=[ev("ALC_COD", date(2026, 3, 31))],
    ),
    mh(
        "alc_old",
        "MH007: alcohol record 2025-03-31 -> not achieved",
        {"MH007": NOT_ACHIEVED},
        events=[ev("ALC_COD", date(2025, 3, 31))],
    ),
    mh(
        "alc_dec",
        "MH007: alcohol screening declined in year -> pca ALCDEC",
        {"MH007": pca("ALCDEC")},
        events=[ev("ALCSCRNDEC_COD", IN_YEAR)],
    ),
    mh(
        "alc_dec_old",
        "MH007: declined 2025-03-31 -> no PCA",
        {"MH007": NOT_ACHIEVED},
        events=[ev("ALCSCRNDEC_COD", date(2025, 3, 31))],
    ),
    mh(
        "alc_dec_achiever",
        "MH007: recorded and declined -> achieved",
        {"MH007": ACHIEVED},
        events=[ev("ALCSCRNDEC_COD", IN_YEAR), ev("ALC_COD", IN_YEAR)],
    ),
    # ---- MH011 lipids ----------------------------------------------------------------------
    mh(
        "lip_12m",
        "MH011: cholesterol in year -> achieved (any risk)",
        {"MH011": ACHIEVED},
        events=[ev("CHOL2_COD", IN_YEAR, 5.0)],
    ),
    mh(
        "lip_24m_no_risk",
        "MH011: no risk group, cholesterol 2024-04-01 (after PPED-24m) -> achieved",
        {"MH011": ACHIEVED},
        events=[ev("CHOL2_COD", date(2024, 4, 1), 5.0)],
    ),
    mh(
        "lip_24m_out",
        "MH011: no risk group, cholesterol 2024-03-31 -> not achieved",
        {"MH011": NOT_ACHIEVED},
        events=[ev("CHOL2_COD", date(2024, 3, 31), 5.0)],
    ),
    mh(
        "lip_hdl_24m",
        "MH011: an HDL test counts as a lipid test",
        {"MH011": ACHIEVED},
        events=[ev("HDLCCHOL_COD", date(2024, 6, 1), 1.2)],
    ),
    mh(
        "lip_risk_chd",
        "MH011: CHD -> 12 months needed; test 2024-06-01 -> not achieved",
        {"MH011": NOT_ACHIEVED},
        events=[ev("CHD_COD", date(2010, 1, 1)), ev("CHOL2_COD", date(2024, 6, 1), 5.0)],
    ),
    mh(
        "lip_risk_dm",
        "MH011: unresolved diabetes is a risk group",
        {"MH011": NOT_ACHIEVED},
        events=[ev("DM_COD", date(2010, 1, 1)), ev("CHOL2_COD", date(2024, 6, 1), 5.0)],
    ),
    mh(
        "lip_risk_dm_resolved",
        "MH011: diabetes resolved -> no risk -> 24 months suffice",
        {"MH011": ACHIEVED},
        events=[
            ev("DM_COD", date(2010, 1, 1)),
            ev("DMRES_COD", date(2012, 1, 1)),
            ev("CHOL2_COD", date(2024, 6, 1), 5.0),
        ],
    ),
    mh(
        "lip_risk_smoker",
        "MH011: latest smoking status current smoker -> risk",
        {"MH011": NOT_ACHIEVED},
        events=[ev("LSMOK_COD", date(2023, 1, 1)), ev("CHOL2_COD", date(2024, 6, 1), 5.0)],
    ),
    mh(
        "lip_exsmoker",
        "MH011: smoker 2020 then ex-smoker 2023 -> not a current smoker",
        {"MH011": ACHIEVED},
        events=[
            ev("LSMOK_COD", date(2020, 1, 1)),
            ev("EXSMOK_COD", date(2023, 1, 1)),
            ev("CHOL2_COD", date(2024, 6, 1), 5.0),
        ],
    ),
    mh(
        "lip_bmi30",
        "MH011: BMI 30 (any ethnicity) -> risk",
        {"MH011": NOT_ACHIEVED},
        events=[ev("BMIVAL_COD", date(2024, 1, 1), 30), ev("CHOL2_COD", date(2024, 6, 1), 5.0)],
    ),
    mh(
        "lip_bmi29_unknown_eth",
        "MH011: BMI 29.9, no ethnicity -> no risk",
        {"MH011": ACHIEVED},
        events=[ev("BMIVAL_COD", date(2024, 1, 1), 29.9), ev("CHOL2_COD", date(2024, 6, 1), 5.0)],
    ),
    mh(
        "lip_bmi25_white",
        "MH011: BMI 25, White British -> risk",
        {"MH011": NOT_ACHIEVED},
        events=[
            ev("ETH2016WB_COD", date(2001, 1, 1)),
            ev("BMIVAL_COD", date(2024, 1, 1), 25),
            ev("CHOL2_COD", date(2024, 6, 1), 5.0),
        ],
    ),
    mh(
        "lip_bmi24_white",
        "MH011: BMI 24.9, White British -> no risk",
        {"MH011": ACHIEVED},
        events=[
            ev("ETH2016WB_COD", date(2001, 1, 1)),
            ev("BMIVAL_COD", date(2024, 1, 1), 24.9),
            ev("CHOL2_COD", date(2024, 6, 1), 5.0),
        ],
    ),
    mh(
        "lip_bmi23_other",
        "MH011: BMI 23, other ethnic group -> risk",
        {"MH011": NOT_ACHIEVED},
        events=[
            ev("ETH2016OO_COD", date(2001, 1, 1)),
            ev("BMIVAL_COD", date(2024, 1, 1), 23),
            ev("CHOL2_COD", date(2024, 6, 1), 5.0),
        ],
    ),
    mh(
        "lip_bmi22_other",
        "MH011: BMI 22.9, other ethnic group -> no risk",
        {"MH011": ACHIEVED},
        events=[
            ev("ETH2016OO_COD", date(2001, 1, 1)),
            ev("BMIVAL_COD", date(2024, 1, 1), 22.9),
            ev("CHOL2_COD", date(2024, 6, 1), 5.0),
        ],
    ),
    mh(
        "lip_bmi30_code",
        "MH011: a BMI 30+ code without value -> risk",
        {"MH011": NOT_ACHIEVED},
        events=[ev("BMI30_COD", date(2024, 1, 1)), ev("CHOL2_COD", date(2024, 6, 1), 5.0)],
    ),
    mh(
        "lip_antipsy_6m",
        "MH011: antipsychotic 2025-10-01 (in last 6 months) -> risk"
        " (ANTIPSYDRUG_COD missing: skips)",
        {"MH011": NOT_ACHIEVED},
        events=[ev("ANTIPSYDRUG_COD", date(2025, 10, 1)), ev("CHOL2_COD", date(2024, 6, 1), 5.0)],
    ),
    mh(
        "lip_antipsy_old",
        "MH011: antipsychotic 2025-09-30 (outside 6 months) -> no risk (skips)",
        {"MH011": ACHIEVED},
        events=[ev("ANTIPSYDRUG_COD", date(2025, 9, 30)), ev("CHOL2_COD", date(2024, 6, 1), 5.0)],
    ),
    mh(
        "lip_choldec",
        "MH011: cholesterol test declined in year -> pca CHOLDEC (CHOLDEC_COD"
        " missing until the lead upgrades it: skips)",
        {"MH011": pca("CHOLDEC")},
        events=[ev("CHOLDEC_COD", IN_YEAR)],
    ),
    mh(
        "lip_risk_achiever_pca",
        "MH011: risk group with test in year and MHPCADEC -> achieved",
        {"MH011": ACHIEVED, "MH002": pca("MHPCADEC")},
        events=[
            ev("CHD_COD", date(2010, 1, 1)),
            ev("CHOL2_COD", IN_YEAR, 5.0),
            ev("MHPCADEC_COD", IN_YEAR),
        ],
    ),
    # ---- MH012 glucose ---------------------------------------------------------------------
    mh(
        "glu_glucose",
        "MH012: blood glucose in year -> achieved",
        {"MH012": ACHIEVED},
        events=[ev("GLUC_COD", IN_YEAR, 5.2)],
    ),
    mh(
        "glu_hba1c",
        "MH012: IFCC-HbA1c in year -> achieved",
        {"MH012": ACHIEVED},
        events=[ev("IFCCHBAM_COD", IN_YEAR, 40)],
    ),
    mh(
        "glu_old",
        "MH012: glucose 2025-03-31 -> not achieved",
        {"MH012": NOT_ACHIEVED},
        events=[ev("GLUC_COD", date(2025, 3, 31), 5.2)],
    ),
    mh(
        "glu_dm_old",
        "MH012: unresolved diabetes diagnosed 2025-03-31 (<= PPED-12m) ->"
        " excluded DM_DAT4, even with a test",
        {"MH012": excluded("DM_DAT4")},
        events=[ev("DM_COD", date(2025, 3, 31)), ev("IFCCHBAM_COD", IN_YEAR, 50)],
    ),
    mh(
        "glu_dm_new",
        "MH012: diabetes diagnosed 2025-04-01 (< 12 months) -> not excluded",
        {"MH012": NOT_ACHIEVED},
        events=[ev("DM_COD", date(2025, 4, 1))],
    ),
    mh(
        "glu_dm_resolved",
        "MH012: diabetes 2010 resolved 2012 -> not excluded",
        {"MH012": NOT_ACHIEVED},
        events=[ev("DM_COD", date(2010, 1, 1)), ev("DMRES_COD", date(2012, 1, 1))],
    ),
    mh(
        "glu_serfruc",
        "MH012: no HbA1c/glucose but fructosamine in year -> pca IFCCHBA",
        {"MH012": pca("IFCCHBA")},
        events=[ev("SERFRUC_COD", IN_YEAR)],
    ),
    mh(
        "glu_serfruc_old",
        "MH012: fructosamine 2025-03-31 -> no PCA",
        {"MH012": NOT_ACHIEVED},
        events=[ev("SERFRUC_COD", date(2025, 3, 31))],
    ),
    mh(
        "glu_dec",
        "MH012: blood glucose test declined in year -> pca GLUCDEC",
        {"MH012": pca("GLUCDEC")},
        events=[ev("GLUCDEC_COD", IN_YEAR)],
    ),
    mh(
        "glu_dec_old",
        "MH012: declined 2025-03-31 -> no PCA",
        {"MH012": NOT_ACHIEVED},
        events=[ev("GLUCDEC_COD", date(2025, 3, 31))],
    ),
    mh(
        "glu_dec_achiever",
        "MH012: declined but tested -> achieved",
        {"MH012": ACHIEVED},
        events=[ev("GLUCDEC_COD", IN_YEAR), ev("GLUC_COD", IN_YEAR, 5.0)],
    ),
    mh(
        "glu_rem_before_dm",
        "MH012: remission and old diabetes -> MHREM_DAT comes first",
        {"MH012": excluded("MHREM_DAT")},
        events=[ev("MHREM_COD", date(2020, 1, 1)), ev("DM_COD", date(2010, 1, 1))],
    ),
]


@pytest.mark.parametrize("c", CASES, ids=case_id)
def test_mh(c, check):
    check(c, CASES)
