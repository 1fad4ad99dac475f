"""Respiratory, mental health and obesity rules of QOF 2026/27 (ruleset qof-2026-27, v51).

Dates: PPSD 2026-04-01, PPED = ACHV 2027-03-31; ages are whole years on 2027-03-31. The
expectations come from the v51 rule texts (PCIT 2026/27 release notes and indicator articles,
NCL's v51 register SQL, NICE IND220/IND272), not from the engine's output:

  AST_REG   unresolved AST_COD, an ASTTRT_COD issue after ACHV - 12 months (2026-03-31), age 5+
            (v51; was 6+). AST015 = AST007's chain, AST014 = AST012's chain (diagnosis cut-off
            1 April 2025 kept), both on the 5+ register.
  COPD_REG  eligible evidence = COPDDIAG_COD at any date, or COPDPROC_COD dated after ACHV - 2
            years (2025-03-31 excluded, 2025-04-01 counts); on the register when there is eligible
            evidence and no resolved code, or eligible evidence strictly after the latest
            COPDRES_COD. EUNRESCOPD_DAT (earliest unresolved evidence) after PPED - 3 months
            (from 2027-01-01) -> COPD010 pca DIAG1_DAT.
  MH_REG    any MH_COD (diagnosis route only: lithium alone no longer qualifies); the MH
            indicators count MH_REG. MH002/003/006/007/011/012 as in 2025/26, new dates.
  OB_REG    age 18+, latest BMI of the 12 months (after 2026-03-31) >= 30, or >= 27.5 when the
            latest ethnicity record is a lower-threshold group. OB004 rows = OB_REG patients.
  OBES2_REG age 18+, latest BMI value of the 12 months >= 35 (>= 32.5 lower-threshold
            ethnicity) and >= 4 of: ASCVD (CHD/stroke/TIA/PAD), HYP_REG, dyslipidaemia (statin
            after PPED - 6 months = 2026-09-30, LDL >= 4.1, HDL < 1.0 men / < 1.3 women in 12 m),
            obstructive sleep apnoea (OSA_COD, missing), unresolved type 2 diabetes. OB005 rows =
            OBES2_REG patients.
  OB004     offer of a weight-management referral 0-90 days after the qualifying BMI -> achieved;
            referral in the 24 months before it -> excluded; PCAs in 12 m; registered after
            PPED - 3 months (from 2027-01-01) -> pca REG1_DAT3; else not achieved.
  OB005     the three pathway codes this year -> achieved; then obesity drug without the
            pathway code, bariatric surgery, pathway PCAs, two invitations, registration in 3
            months, first BMI of the 12 months after PPED - 90 days (2026-12-31) -> OBESBMI90.
Cases needing a cluster with no public copy skip, naming it.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import polars as pl
import pytest
from rulecases import (
    ACHIEVED,
    NOT_ACHIEVED,
    Ev,
    Runner,
    bp,
    build_extract,
    case,
    case_id,
    ev,
    excluded,
    pca,
)

RULESET = "qof-2026-27"
REGISTER_INDICATORS = ("AST014", "AST015")

PPSD = date(2026, 4, 1)
PPED = date(2027, 3, 31)
IN_YEAR = date(2026, 10, 15)
LAST_3M = date(2027, 1, 1)  # first day after PPED - 3 months
BEFORE_3M = date(2026, 12, 31)  # PPED - 3 months itself: not "in the last 3 months"

# ---- asthma ------------------------------------------------------------------------------
AST_DX = date(2012, 9, 1)
NEW_DX = date(2026, 6, 1)  # on/after 1 April 2025: in AST014's scope
DRUG = date(2026, 11, 1)
RV = IN_YEAR


def review(when: date = RV, plan: date = RV, contass: date = RV, exacb: date = RV) -> list[Ev]:
    return [
        ev("REV_COD", when),
        ev("WRITPASTP_COD", plan),
        ev("ASTCONTASS_COD", contass),
        ev("ASTEXACB_COD", exacb, 0),
    ]


def ast(pid: str, why: str, expect: dict[str, Any], *, dx=AST_DX, drug=DRUG, events=(), **kw):
    evs: list[Any] = [ev("AST_COD", dx)] if dx is not None else []
    if drug is not None:
        evs.append(ev("ASTTRT_COD", drug))
    evs.extend(events)
    return case(pid, why, expect, events=evs, dx=None, **kw)


def ast015(pid: str, why: str, want, **kw):
    return ast(pid, why, {"AST015": want}, **kw)


def ast014(pid: str, why: str, want, *, dx=NEW_DX, **kw):
    return ast(pid, why, {"AST014": want}, dx=dx, **kw)


# ---- COPD --------------------------------------------------------------------------------
COPD_DX = date(2016, 2, 1)


def copd(pid: str, why: str, want, *, dx=COPD_DX, events=(), **kw):
    evs: list[Any] = [ev("COPDDIAG_COD", dx)] if dx is not None else []
    evs.extend(events)
    return case(pid, why, {"COPD010": want}, events=evs, dx=None, **kw)


# ---- mental health -----------------------------------------------------------------------
MH = ("MH002", "MH003", "MH006", "MH007", "MH011", "MH012")
MH_DX = date(2015, 1, 1)
# dm+d 1269111000001100 "Lithium carbonate 400mg modified-release tablets 100 tablet" (a public
# NHS lithium code list); it is in no cluster of qof-2026-27.
LITHIUM = "1269111000001100"


def mh(pid: str, why: str, expect: dict[str, Any], *, dx=MH_DX, events=(), **kw):
    evs: list[Any] = [ev("MH_COD", dx)] if dx is not None else []
    evs.extend(events)
    return case(pid, why, expect, events=evs, dx=None, **kw)


# ---- obesity -----------------------------------------------------------------------------
BMI_DAY = date(2026, 6, 1)
AGE40 = date(1986, 6, 1)
AGE17 = date(2009, 4, 1)  # 18 the day after ACHV
AGE18_TODAY = date(2009, 3, 31)  # 18th birthday on ACHV


def bmi(when: date, value: float) -> Ev:
    return ev("BMIVAL_COD", when, value)


def indian() -> Ev:
    return ev("ETH2016AI_COD", date(2010, 1, 1))


def ob(pid: str, why: str, want, *, events=(), dob=AGE40, **kw):
    return case(pid, why, {"OB004": want}, events=events, dx=None, dob=dob, **kw)


ASCVD = ev("CHD_COD", date(2018, 1, 1))
HYP = ev("HYP_COD", date(2017, 1, 1))
LDL_HIGH = ev("LDLCCHOL_COD", date(2026, 7, 1), 4.1)
T2DM = [ev("DM_COD", date(2019, 1, 1)), ev("DMTYPE2_COD", date(2019, 1, 1))]


def obes2(pid: str, why: str, want, *, value=36.0, conditions=None, events=(), dob=AGE40, **kw):
    """An OBES2 patient: BMI ``value`` on 2026-06-01 and by default four conditions."""
    conds = [ASCVD, HYP, LDL_HIGH, *T2DM] if conditions is None else conditions
    evs = [bmi(BMI_DAY, value), *conds, *events]
    return case(pid, why, {"OB005": want}, events=evs, dx=None, dob=dob, **kw)


CASES = [
    # ==== AST_REG: age 5 and over on 2027-03-31 ===============================================
    ast(
        "ast_age4",
        "AST_REG: 4 on ACHV (5th birthday 2027-04-01) -> not on the register, no AST rows",
        {"AST015": None, "AST014": None},
        dob=date(2022, 4, 1),
        dx=date(2025, 6, 1),
    ),
    ast(
        "ast_age5_today",
        "AST_REG: 5th birthday exactly on ACHV -> on (v51 5+); AST015 not achieved, AST014 "
        "(diagnosed 2025-06-01, on/after the cut-off) not achieved",
        {"AST015": NOT_ACHIEVED, "AST014": NOT_ACHIEVED},
        dob=date(2022, 3, 31),
        dx=date(2025, 6, 1),
        on_register=True,
    ),
    ast(
        "ast_age6",
        "AST_REG: 6 on ACHV -> on",
        {"AST015": NOT_ACHIEVED},
        dob=date(2021, 3, 31),
        dx=date(2025, 6, 1),
        on_register=True,
    ),
    ast015("ast_no_drug", "AST_REG: no asthma drug -> off", None, drug=None),
    ast015(
        "ast_drug_12m_edge",
        "AST_REG: drug on 2026-03-31 (= ACHV - 12 months, outside) -> off",
        None,
        drug=date(2026, 3, 31),
    ),
    ast015(
        "ast_drug_12m_in",
        "AST_REG: drug on 2026-04-01 (inside the 12 months) -> on",
        NOT_ACHIEVED,
        drug=date(2026, 4, 1),
    ),
    ast015(
        "ast_resolved_same_day",
        "AST_REG: resolved the same day as the latest diagnosis -> off",
        None,
        events=[ev("ASTRES_COD", AST_DX)],
    ),
    # ==== AST015 (AST007's rules renumbered) ==================================================
    ast015(
        "ast015_r1_complete",
        "r1: complete review in the year -> achieved",
        ACHIEVED,
        events=review(),
    ),
    ast015(
        "ast015_r1_plan_other_day",
        "r1: action plan not on the review day -> not achieved",
        NOT_ACHIEVED,
        events=review(plan=date(2026, 10, 16)),
    ),
    ast015(
        "ast015_r1_contass_1m",
        "r1: control assessment exactly one month before the review -> achieved",
        ACHIEVED,
        events=review(contass=date(2026, 9, 15)),
    ),
    ast015(
        "ast015_r1_contass_1m_1d",
        "r1: control assessment one month and a day before the review -> not achieved",
        NOT_ACHIEVED,
        events=review(contass=date(2026, 9, 14)),
    ),
    ast015(
        "ast015_r1_review_ppsd",
        "r1: review on 2026-04-01 (first day of the 12 months) -> achieved",
        ACHIEVED,
        events=review(date(2026, 4, 1), date(2026, 4, 1), date(2026, 4, 1), date(2026, 4, 1)),
    ),
    ast015(
        "ast015_r1_review_before_year",
        "r1: review on 2026-03-31 (outside the 12 months) -> not achieved",
        NOT_ACHIEVED,
        events=review(date(2026, 3, 31), date(2026, 3, 31), date(2026, 3, 31), date(2026, 3, 31)),
    ),
    ast015(
        "ast015_achiever_with_pca",
        "r1 before r2: a complete review keeps the patient achieved despite ASTPCAPU",
        ACHIEVED,
        events=[*review(), ev("ASTPCAPU_COD", date(2026, 11, 1))],
    ),
    ast015(
        "ast015_r2_pcapu",
        "r2: asthma care unsuitable 2026-04-01 -> pca ASTPCAPU",
        pca("ASTPCAPU"),
        events=[ev("ASTPCAPU_COD", date(2026, 4, 1))],
    ),
    ast015(
        "ast015_r2_pcapu_old",
        "r2: care unsuitable 2026-03-31 (outside the 12 months) -> not achieved",
        NOT_ACHIEVED,
        events=[ev("ASTPCAPU_COD", date(2026, 3, 31))],
    ),
    ast015(
        "ast015_r3_mondec",
        "r3: asthma monitoring declined in the year -> pca ASTMONDEC",
        pca("ASTMONDEC"),
        events=[ev("ASTMONDEC_COD", IN_YEAR)],
    ),
    ast015(
        "ast015_r4_pcadec",
        "r4: asthma care declined in the year -> pca ASTPCADEC",
        pca("ASTPCADEC"),
        events=[ev("ASTPCADEC_COD", IN_YEAR)],
    ),
    ast015(
        "ast015_r5_invites_7d",
        "r5: invitations 2026-05-01 and 2026-05-08 (7 days apart) -> pca ASTINVITE1",
        pca("ASTINVITE1"),
        events=[ev("ASTINVITE_COD", date(2026, 5, 1)), ev("ASTINVITE_COD", date(2026, 5, 8))],
    ),
    ast015(
        "ast015_r5_invites_6d",
        "r5: invitations 6 days apart -> not achieved",
        NOT_ACHIEVED,
        events=[ev("ASTINVITE_COD", date(2026, 5, 1)), ev("ASTINVITE_COD", date(2026, 5, 7))],
    ),
    ast015(
        "ast015_r5_invites_last_year",
        "r5: invitations before PPSD (2026-03-01, 2026-03-20) do not count -> not achieved",
        NOT_ACHIEVED,
        events=[ev("ASTINVITE_COD", date(2026, 3, 1)), ev("ASTINVITE_COD", date(2026, 3, 20))],
    ),
    ast015(
        "ast015_r6_new_dx",
        "r6: first diagnosed 2027-01-01 -> pca DIAG1_DAT",
        pca("DIAG1_DAT"),
        dx=LAST_3M,
    ),
    ast015(
        "ast015_r6_dx_edge",
        "r6: first diagnosed 2026-12-31 -> not achieved",
        NOT_ACHIEVED,
        dx=BEFORE_3M,
    ),
    ast015(
        "ast015_r7_new_reg",
        "r7: registered 2027-01-01 -> pca REG1_DAT3",
        pca("REG1_DAT3"),
        reg=LAST_3M,
    ),
    ast015(
        "ast015_r7_reg_edge",
        "r7: registered 2026-12-31 -> not achieved",
        NOT_ACHIEVED,
        reg=BEFORE_3M,
    ),
    # ==== AST014 (AST012's rules renumbered) ==================================================
    ast014(
        "ast014_r1_dx_before_cutoff",
        "r1: earliest diagnosis 2025-03-31 -> excluded DIAG_DAT25",
        excluded("DIAG_DAT25"),
        dx=date(2025, 3, 31),
    ),
    ast014(
        "ast014_r1_dx_on_cutoff",
        "r1: earliest diagnosis 2025-04-01 -> in scope; no objective test -> not achieved",
        NOT_ACHIEVED,
        dx=date(2025, 4, 1),
    ),
    ast014(
        "ast014_r2_spirometry_3m_after",
        "r2: spirometry exactly 3 months after diagnosis -> achieved",
        ACHIEVED,
        events=[ev("SPIR_COD", date(2026, 9, 1))],
    ),
    ast014(
        "ast014_r2_feno_3m_before",
        "r2: FeNO exactly 3 months before diagnosis -> achieved",
        ACHIEVED,
        events=[ev("FENO_COD", date(2026, 3, 1))],
    ),
    ast014(
        "ast014_r2_spirometry_late",
        "r2: spirometry 3 months and a day after diagnosis -> not achieved",
        NOT_ACHIEVED,
        events=[ev("SPIR_COD", date(2026, 9, 2))],
    ),
    ast014(
        "ast014_r3_pcapu",
        "r3: asthma care unsuitable in the year -> pca ASTPCAPU",
        pca("ASTPCAPU"),
        events=[ev("ASTPCAPU_COD", IN_YEAR)],
    ),
    ast014(
        "ast014_r4_pcadec",
        "r4: asthma care declined in the year -> pca ASTPCADEC",
        pca("ASTPCADEC"),
        events=[ev("ASTPCADEC_COD", IN_YEAR)],
    ),
    ast014(
        "ast014_no_mondec_rule",
        "AST014 has no monitoring-declined PCA (AST012's chain) -> not achieved",
        NOT_ACHIEVED,
        events=[ev("ASTMONDEC_COD", IN_YEAR)],
    ),
    ast014(
        "ast014_r5_new_dx",
        "r5: first diagnosed 2027-01-01 -> pca DIAG1_DAT",
        pca("DIAG1_DAT"),
        dx=LAST_3M,
    ),
    ast014(
        "ast014_r6_new_reg",
        "r6: registered 2027-01-01 -> pca REG1_DAT3",
        pca("REG1_DAT3"),
        reg=LAST_3M,
    ),
    # ==== COPD_REG (v51: disorder codes any date, administrative codes 2 years) ================
    copd("copd_disorder_old", "disorder code 2016 (any date counts) -> on", NOT_ACHIEVED),
    copd("copd_disorder_1990", "disorder code 1990 -> on", NOT_ACHIEVED, dx=date(1990, 5, 1)),
    copd("copd_none", "no COPD code -> off", None, dx=None),
    copd("copd_after_achv", "disorder code after ACHV only -> off", None, dx=date(2027, 4, 1)),
    copd(
        "copd_proc_2y_edge",
        "administrative code on 2025-03-31 (= ACHV - 2 years, outside) only -> off",
        None,
        dx=None,
        events=[ev("COPDPROC_COD", date(2025, 3, 31))],
    ),
    copd(
        "copd_proc_2y_in",
        "administrative code on 2025-04-01 (inside the 2 years) -> on",
        NOT_ACHIEVED,
        dx=None,
        events=[ev("COPDPROC_COD", date(2025, 4, 1))],
    ),
    copd(
        "copd_proc_old_and_new",
        "administrative codes 2020 and 2026-06-01: the recent one counts -> on",
        NOT_ACHIEVED,
        dx=None,
        events=[ev("COPDPROC_COD", date(2020, 1, 1)), ev("COPDPROC_COD", date(2026, 6, 1))],
    ),
    copd(
        "copd_resolved",
        "disorder 2016, resolved 2020 -> off",
        None,
        events=[ev("COPDRES_COD", date(2020, 1, 1))],
    ),
    copd(
        "copd_resolved_same_day",
        "resolved on the day of the only disorder code: no evidence after it (v51) -> off",
        None,
        events=[ev("COPDRES_COD", COPD_DX)],
    ),
    copd(
        "copd_rediagnosed",
        "disorder 2016, resolved 2020, disorder again 2024 -> on",
        NOT_ACHIEVED,
        events=[ev("COPDRES_COD", date(2020, 1, 1)), ev("COPDDIAG_COD", date(2024, 5, 1))],
    ),
    copd(
        "copd_resolved_then_proc",
        "disorder 2016, resolved 2020, administrative code 2026-06-01 -> on",
        NOT_ACHIEVED,
        events=[ev("COPDRES_COD", date(2020, 1, 1)), ev("COPDPROC_COD", date(2026, 6, 1))],
    ),
    copd(
        "copd_proc_then_resolved",
        "administrative code 2025-06-01, resolved 2026-01-01 -> off",
        None,
        dx=None,
        events=[ev("COPDPROC_COD", date(2025, 6, 1)), ev("COPDRES_COD", date(2026, 1, 1))],
    ),
    copd(
        "copd_resolved_after_achv",
        "resolved after ACHV is not seen -> on",
        NOT_ACHIEVED,
        events=[ev("COPDRES_COD", date(2027, 4, 1))],
    ),
    copd(
        "copd_child",
        "no age limit: a 10-year-old -> on",
        NOT_ACHIEVED,
        dob=date(2016, 6, 1),
        dx=date(2024, 1, 1),
    ),
    # ==== COPD010 ===========================================================================
    copd(
        "copd010_r1_complete",
        "r1: review, exacerbation count and MRC score in the year -> achieved",
        ACHIEVED,
        events=[
            ev("COPDRVW_COD", IN_YEAR),
            ev("COPDEXACB_COD", IN_YEAR, 1),
            ev("MRC_COD", IN_YEAR),
        ],
    ),
    copd(
        "copd010_r1_review_only",
        "r1: a review without exacerbation count and MRC score -> not achieved",
        NOT_ACHIEVED,
        events=[ev("COPDRVW_COD", IN_YEAR)],
    ),
    copd(
        "copd010_r5_new_dx",
        "r5: first disorder code 2027-01-01 -> pca DIAG1_DAT",
        pca("DIAG1_DAT"),
        dx=LAST_3M,
    ),
    copd(
        "copd010_r5_dx_edge",
        "r5: first disorder code 2026-12-31 -> not achieved",
        NOT_ACHIEVED,
        dx=BEFORE_3M,
    ),
    copd(
        "copd010_r5_new_proc",
        "r5: only an administrative code, dated 2027-02-01 -> pca DIAG1_DAT",
        pca("DIAG1_DAT"),
        dx=None,
        events=[ev("COPDPROC_COD", date(2027, 2, 1))],
    ),
    copd(
        "copd010_r5_old_disorder_new_proc",
        "r5: disorder 2016 and administrative code 2027-02-01: earliest evidence 2016 -> "
        "not achieved",
        NOT_ACHIEVED,
        events=[ev("COPDPROC_COD", date(2027, 2, 1))],
    ),
    copd(
        "copd010_r5_rediagnosed_recently",
        "r5: resolved 2020, disorder again 2027-02-01: earliest unresolved is 2027 -> "
        "pca DIAG1_DAT",
        pca("DIAG1_DAT"),
        events=[ev("COPDRES_COD", date(2020, 1, 1)), ev("COPDDIAG_COD", date(2027, 2, 1))],
    ),
    copd(
        "copd010_r6_new_reg",
        "r6: registered 2027-01-01 -> pca REG1_DAT3",
        pca("REG1_DAT3"),
        reg=LAST_3M,
    ),
    copd(
        "copd010_r2_pcapu",
        "r2: COPD care unsuitable in the year -> pca COPDPCAPU",
        pca("COPDPCAPU"),
        events=[ev("COPDPCAPU_COD", IN_YEAR)],
    ),
    # ==== MH_REG (v51: diagnosis route only) and the MH indicators =============================
    mh(
        "mh_dx",
        "MH_COD 2015 -> on MH_REG: a row for each MH indicator",
        dict.fromkeys(MH, NOT_ACHIEVED),
    ),
    mh(
        "mh_lithium_only",
        "lithium in the last 6 months, no MH_COD -> not on the v51 register: no MH rows",
        dict.fromkeys(MH, None),
        dx=None,
        events=[ev("LIT_COD", date(2027, 1, 15), code=LITHIUM)],
    ),
    mh(
        "mh_dx_after_achv",
        "MH_COD after ACHV only -> no rows",
        dict.fromkeys(MH, None),
        dx=date(2027, 4, 1),
    ),
    mh(
        "mh002_careplan_ppsd",
        "MH002: care plan 2026-04-01 (in the 12 months, after the diagnosis) -> achieved",
        {"MH002": ACHIEVED},
        events=[ev("MHP_COD", date(2026, 4, 1))],
    ),
    mh(
        "mh002_careplan_old",
        "MH002: care plan 2026-03-31 (outside the 12 months) -> not achieved",
        {"MH002": NOT_ACHIEVED},
        events=[ev("MHP_COD", date(2026, 3, 31))],
    ),
    mh(
        "mh002_careplan_before_latest_dx",
        "MH002: care plan 2026-05-01 before a newer diagnosis code 2026-06-01 -> not achieved",
        {"MH002": NOT_ACHIEVED},
        events=[ev("MHP_COD", date(2026, 5, 1)), ev("MH_COD", date(2026, 6, 1))],
    ),
    mh(
        "mh003_bp",
        "MH003: BP in the year -> achieved",
        {"MH003": ACHIEVED},
        events=bp(IN_YEAR, 130, 80),
    ),
    mh(
        "mh007_alcohol",
        "MH007: alcohol consumption in the year -> achieved",
        {"MH007": ACHIEVED},
        events=[ev("ALC_COD", IN_YEAR)],
    ),
    mh(
        "mh_invites_7d",
        "two MH invitations 7 days apart this year -> pca MHINVITE (MH002)",
        {"MH002": pca("MHINVITE")},
        events=[ev("MHINVITE_COD", date(2026, 5, 1)), ev("MHINVITE_COD", date(2026, 5, 8))],
    ),
    mh(
        "mh_invites_6d",
        "two MH invitations 6 days apart -> not achieved (MH002)",
        {"MH002": NOT_ACHIEVED},
        events=[ev("MHINVITE_COD", date(2026, 5, 1)), ev("MHINVITE_COD", date(2026, 5, 7))],
    ),
    mh(
        "mh_new_dx",
        "first MH_COD 2027-01-01 -> pca DIAG1_DAT (MH002)",
        {"MH002": pca("DIAG1_DAT")},
        dx=LAST_3M,
    ),
    mh(
        "mh_deregistered",
        "deregistered 2027-03-31 (on ACHV) -> no rows",
        dict.fromkeys(MH, None),
        dereg=PPED,
    ),
    mh("mh_dead", "died 2027-02-01 -> no rows", dict.fromkeys(MH, None), death=date(2027, 2, 1)),
    # ==== OB_REG (OB004 rows) =================================================================
    ob(
        "ob_30",
        "OB_REG: BMI 30 in the year -> on; no referral offer -> not achieved",
        NOT_ACHIEVED,
        events=[bmi(BMI_DAY, 30)],
    ),
    ob("ob_29_9", "OB_REG: BMI 29.9 -> off", None, events=[bmi(BMI_DAY, 29.9)]),
    ob(
        "ob_27_5_indian",
        "OB_REG: 27.5 with latest ethnicity Indian -> on",
        NOT_ACHIEVED,
        events=[bmi(BMI_DAY, 27.5), indian()],
    ),
    ob(
        "ob_27_4_indian",
        "OB_REG: 27.4 with ethnicity Indian -> off",
        None,
        events=[bmi(BMI_DAY, 27.4), indian()],
    ),
    ob(
        "ob_27_5_african",
        "OB_REG: 27.5 with ethnicity Black African -> on",
        NOT_ACHIEVED,
        events=[bmi(BMI_DAY, 27.5), ev("ETH2016BA_COD", date(2010, 1, 1))],
    ),
    ob(
        "ob_27_5_arab",
        "OB_REG: 27.5 with ethnicity Arab (Middle Eastern) -> on",
        NOT_ACHIEVED,
        events=[bmi(BMI_DAY, 27.5), ev("ETH2016OA_COD", date(2010, 1, 1))],
    ),
    ob(
        "ob_27_5_no_ethnicity",
        "OB_REG: 27.5 without a recorded ethnicity -> off",
        None,
        events=[bmi(BMI_DAY, 27.5)],
    ),
    ob(
        "ob_27_5_latest_white",
        "OB_REG: Indian (2010) then White British (2020): the latest decides -> 27.5 off",
        None,
        events=[
            bmi(BMI_DAY, 27.5),
            indian(),
            ev("ETH2016WB_COD", date(2020, 1, 1), also=("ETHNALL_COD",)),
        ],
    ),
    ob(
        "ob_age17",
        "OB_REG: 17 on ACHV with BMI 35 -> off",
        None,
        dob=AGE17,
        events=[bmi(BMI_DAY, 35)],
    ),
    ob(
        "ob_age18",
        "OB_REG: 18th birthday on ACHV with BMI 35 -> on",
        NOT_ACHIEVED,
        dob=AGE18_TODAY,
        events=[bmi(BMI_DAY, 35)],
    ),
    ob(
        "ob_bmi_12m_edge",
        "OB_REG: BMI 31 dated 2026-03-31 (outside the 12 months) -> off",
        None,
        events=[bmi(date(2026, 3, 31), 31)],
    ),
    ob(
        "ob_bmi_12m_in",
        "OB_REG: BMI 31 dated 2026-04-01 -> on",
        NOT_ACHIEVED,
        events=[bmi(date(2026, 4, 1), 31)],
    ),
    ob(
        "ob_latest_low",
        "OB_REG: 32 in May then 28 in November: the latest decides -> off",
        None,
        events=[bmi(date(2026, 5, 1), 32), bmi(date(2026, 11, 1), 28)],
    ),
    ob(
        "ob_code_30plus",
        "OB_REG: a BMI 30+ code in the year -> on",
        NOT_ACHIEVED,
        events=[ev("BMI30_COD", BMI_DAY, code="914721000000105")],
    ),
    # ==== OB004 ==============================================================================
    ob(
        "ob004_r1_offer_90d",
        "r1: referral offered 90 days after the qualifying BMI -> achieved",
        ACHIEVED,
        events=[bmi(BMI_DAY, 32), ev("WTMGREF_COD", date(2026, 8, 30))],
    ),
    ob(
        "ob004_r1_offer_91d",
        "r1: referral offered 91 days after the BMI -> not achieved",
        NOT_ACHIEVED,
        events=[bmi(BMI_DAY, 32), ev("WTMGREF_COD", date(2026, 8, 31))],
    ),
    ob(
        "ob004_r2_prior_referral",
        "r2: referred 2025-01-01, within 24 months before the BMI -> excluded WTMGREF24",
        excluded("WTMGREF24"),
        events=[bmi(BMI_DAY, 32), ev("WTMGREF_COD", date(2025, 1, 1))],
    ),
    ob(
        "ob004_r3_unsuitable",
        "r3: weight management referral unsuitable in the year -> pca OBPCAPU",
        pca("OBPCAPU"),
        events=[bmi(BMI_DAY, 32), ev("OBPCAPU_COD", IN_YEAR)],
    ),
    ob(
        "ob004_r6_new_reg",
        "r6: registered 2027-01-01 -> pca REG1_DAT3",
        pca("REG1_DAT3"),
        reg=LAST_3M,
        events=[bmi(BMI_DAY, 32)],
    ),
    ob(
        "ob004_r6_reg_edge",
        "r6: registered 2026-12-31 -> not achieved",
        NOT_ACHIEVED,
        reg=BEFORE_3M,
        events=[bmi(BMI_DAY, 32)],
    ),
    # ==== OBES2_REG (OB005 rows) ==============================================================
    obes2(
        "obes2_four", "BMI 36, ASCVD, hypertension, LDL 4.1, type 2 diabetes -> on", NOT_ACHIEVED
    ),
    obes2(
        "obes2_three",
        "BMI 36 and only 3 conditions (no diabetes) -> off",
        None,
        conditions=[ASCVD, HYP, LDL_HIGH],
    ),
    obes2("obes2_35", "BMI 35.0 with 4 conditions -> on", NOT_ACHIEVED, value=35.0),
    obes2("obes2_34_9", "BMI 34.9 with 4 conditions -> off", None, value=34.9),
    obes2(
        "obes2_32_5_indian",
        "BMI 32.5, ethnicity Indian, 4 conditions -> on",
        NOT_ACHIEVED,
        value=32.5,
        events=[indian()],
    ),
    obes2(
        "obes2_32_4_indian",
        "BMI 32.4, ethnicity Indian -> off",
        None,
        value=32.4,
        events=[indian()],
    ),
    obes2(
        "obes2_32_5_no_eth", "BMI 32.5 without a lower-threshold ethnicity -> off", None, value=32.5
    ),
    obes2("obes2_age17", "17 on ACHV -> off", None, dob=AGE17),
    obes2("obes2_age18", "18th birthday on ACHV -> on", NOT_ACHIEVED, dob=AGE18_TODAY),
    obes2(
        "obes2_ldl_4_0",
        "LDL 4.0 is not dyslipidaemia: 3 conditions -> off",
        None,
        conditions=[ASCVD, HYP, ev("LDLCCHOL_COD", date(2026, 7, 1), 4.0), *T2DM],
    ),
    obes2(
        "obes2_statin_6m_in",
        "statin issued 2026-10-01 (within 6 months) counts as dyslipidaemia -> on",
        NOT_ACHIEVED,
        conditions=[ASCVD, HYP, ev("STAT_COD", date(2026, 10, 1)), *T2DM],
    ),
    obes2(
        "obes2_statin_6m_edge",
        "statin issued 2026-09-30 (= PPED - 6 months, outside) -> 3 conditions -> off",
        None,
        conditions=[ASCVD, HYP, ev("STAT_COD", date(2026, 9, 30)), *T2DM],
    ),
    obes2(
        "obes2_hdl_woman",
        "HDL 1.2 in a woman (< 1.3) counts -> on",
        NOT_ACHIEVED,
        sex="F",
        conditions=[ASCVD, HYP, ev("HDLCCHOL_COD", date(2026, 7, 1), 1.2), *T2DM],
    ),
    obes2(
        "obes2_hdl_man",
        "HDL 1.2 in a man (not < 1.0) does not count -> off",
        None,
        sex="M",
        conditions=[ASCVD, HYP, ev("HDLCCHOL_COD", date(2026, 7, 1), 1.2), *T2DM],
    ),
    obes2(
        "obes2_hyp_resolved",
        "hypertension resolved after its diagnosis does not count -> off",
        None,
        events=[ev("HYPRES_COD", date(2024, 1, 1))],
    ),
    obes2(
        "obes2_type1",
        "type 1 instead of type 2 diabetes -> 3 conditions -> off",
        None,
        conditions=[
            ASCVD,
            HYP,
            LDL_HIGH,
            ev("DM_COD", date(2019, 1, 1)),
            ev("DMTYPE1_COD", date(2019, 1, 1)),
        ],
    ),
    obes2(
        "obes2_stroke_for_chd",
        "a stroke code stands for ASCVD as well -> on",
        NOT_ACHIEVED,
        conditions=[ev("STRK_COD", date(2018, 1, 1)), HYP, LDL_HIGH, *T2DM],
    ),
    obes2(
        "obes2_osa",
        "obstructive sleep apnoea with ASCVD, hypertension and dyslipidaemia -> on",
        NOT_ACHIEVED,
        conditions=[ASCVD, HYP, LDL_HIGH, ev("OSA_COD", date(2020, 1, 1))],
    ),
    case(
        "obes2_bmi_old",
        "BMI 36 dated 2026-03-31 (outside the 12 months), 4 conditions -> off",
        {"OB005": None},
        dx=None,
        dob=AGE40,
        events=[bmi(date(2026, 3, 31), 36), ASCVD, HYP, LDL_HIGH, *T2DM],
    ),
    # ==== OB005 ==============================================================================
    obes2(
        "ob005_r1_pathway",
        "r1: pathway started, behavioural support referral and shared decision this year -> "
        "achieved",
        ACHIEVED,
        events=[
            ev("WTMGPHARM_COD", IN_YEAR),
            ev("WTMGBSPREF_COD", IN_YEAR),
            ev("SHARDECMAK_COD", IN_YEAR),
        ],
    ),
    obes2(
        "ob005_r1_pharm_only",
        "r1: only the pathway-started code -> not achieved",
        NOT_ACHIEVED,
        events=[ev("WTMGPHARM_COD", IN_YEAR)],
    ),
    obes2(
        "ob005_r1_pharm_last_year",
        "r1: pathway-started code dated 2026-03-31 (before PPSD) -> not achieved",
        NOT_ACHIEVED,
        events=[ev("WTMGPHARM_COD", date(2026, 3, 31))],
    ),
    obes2(
        "ob005_r2_drug_outside_pathway",
        "r2: obesity medication started in the year without the pathway code -> excluded",
        excluded("OBESDRUG"),
        events=[ev("OBESDRUG_COD", IN_YEAR)],
    ),
    obes2(
        "ob005_r3_bariatric",
        "r3: bariatric surgery ever -> pca BARISURG",
        pca("BARISURG"),
        events=[ev("BARISURG_COD", date(2015, 1, 1))],
    ),
    obes2(
        "ob005_r7_invites",
        "r7: two obesity invitations 7 days apart -> pca OBINVITE",
        pca("OBINVITE"),
        events=[ev("OBINVITE_COD", date(2026, 5, 1)), ev("OBINVITE_COD", date(2026, 5, 8))],
    ),
    obes2(
        "ob005_r8_new_reg",
        "r8: registered 2027-01-01 -> pca REG1_DAT3",
        pca("REG1_DAT3"),
        reg=LAST_3M,
    ),
    case(
        "ob005_r9_bmi_late",
        "r9: first (raised) BMI of the 12 months on 2027-01-01 -> pca OBESBMI90",
        {"OB005": pca("OBESBMI90")},
        dx=None,
        dob=AGE40,
        events=[bmi(date(2027, 1, 1), 36), ASCVD, HYP, LDL_HIGH, *T2DM],
    ),
    case(
        "ob005_r9_bmi_edge",
        "r9: first BMI on 2026-12-31 (= PPED - 90 days, not after) -> not achieved",
        {"OB005": NOT_ACHIEVED},
        dx=None,
        dob=AGE40,
        events=[bmi(date(2026, 12, 31), 36), ASCVD, HYP, LDL_HIGH, *T2DM],
    ),
    case(
        "ob005_r9_earlier_bmi",
        "r9: BMI 36 in June and again 2027-02-01: first BMI not late -> not achieved",
        {"OB005": NOT_ACHIEVED},
        dx=None,
        dob=AGE40,
        events=[bmi(BMI_DAY, 36), bmi(date(2027, 2, 1), 36), ASCVD, HYP, LDL_HIGH, *T2DM],
    ),
]


@pytest.mark.parametrize("c", CASES, ids=case_id)
def test_rule(c, check):
    check(c, CASES)


# ---- register membership across years (MH lithium route) -----------------------------------
# (ruleset, pid, MH_REG expected, why, events). The 2025/26 run uses its own dates
# (ACHV 2026-03-31): lithium 2026-01-15 is in its 6 months.
_LITHIUM_CASES = [
    (
        "qof-2026-27",
        "lit26",
        False,
        "v51 dropped the lithium route",
        (Ev("LIT_COD", date(2027, 1, 15), code=LITHIUM),),
    ),
    (
        "qof-2025-26",
        "lit25",
        True,
        "v50 lithium route: LIT_COD in the 6 months, not stopped",
        (Ev("LIT_COD", date(2026, 1, 15)),),
    ),
]


@pytest.mark.parametrize("ruleset_id,pid,want,why,events", _LITHIUM_CASES, ids=lambda v: str(v))
def test_mh_register_lithium_only(ruleset_id, pid, want, why, events):
    from qofcli.engine.evaluate import evaluate

    runner = Runner(ruleset_id)
    patient = case(pid, why, events=events, dx=None)
    extract, missing = build_extract([patient], runner.picker)
    if pid in missing:
        pytest.skip(f"cluster {missing[pid]} not shipped yet")
    patients = evaluate(extract, runner.rs).patients
    rows = patients.filter(pl.col("patient_id") == pid).to_dicts()
    assert rows and rows[0]["reg:MH_REG"] is want, f"{ruleset_id} {pid}: {why}"


# ---- 2026/27 points and thresholds (PCIT 2026/27 release notes, MyPracticeManager 2026/27 guide)
EXPECTED_2026_27 = {
    # id: (register, points, lower, upper, aliases that must be listed)
    "AST015": ("AST_REG", 20, 45, 70, {"AST007"}),
    "AST014": ("AST_REG", 15, 45, 80, {"AST012"}),
    "COPD010": ("COPD_REG", 9, 50, 90, set()),
    "MH002": ("MH_REG", 5, 40, 90, set()),
    "MH003": ("MH_REG", 3, 50, 90, set()),
    "MH006": ("MH_REG", 3, 50, 90, set()),
    "MH007": ("MH_REG", 3, 50, 90, set()),
    "MH011": ("MH_REG", 7, 50, 90, set()),
    "MH012": ("MH_REG", 7, 50, 90, set()),
    "OB004": ("OB_REG", 5, 10, 30, set()),
    "OB005": ("OBES2_REG", 13, 50, 80, set()),
}


@pytest.mark.parametrize("indicator_id", sorted(EXPECTED_2026_27))
def test_2026_27_indicator_points_thresholds_and_register(indicator_id, runner):
    register, points, lower, upper, aliases = EXPECTED_2026_27[indicator_id]
    indicator = runner.rs.indicators[indicator_id]
    assert (indicator.register, indicator.points) == (register, points)
    assert (indicator.lower, indicator.upper) == (lower, upper)
    assert aliases <= set(indicator.aliases)


def test_2025_26_keeps_its_own_forms():
    """2025/26 has AST007/AST012 (not the v51 ids), its MH indicators count MH1_REG, and the
    lithium route and 6+ asthma register are still in its registers."""
    rs = Runner("qof-2025-26").rs
    assert {"AST007", "AST012"} <= set(rs.indicators)
    assert not {"AST014", "AST015", "OB004", "OB005"} & set(rs.indicators)
    assert {rs.indicators[i].register for i in MH} == {"MH1_REG"}
    assert rs.registers["AST_REG"].age_rule == "6 and over"
