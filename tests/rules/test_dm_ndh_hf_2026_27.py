"""DM037, DM034/DM035 points, NDH_REG v51 with NDH003, HF3_REG with HF009: QOF 2026/27.

Ruleset qof-2026-27: PPSD 2026-04-01, PPED = ACHV 2027-03-31. Expectations come from the rule
texts (NHS England 2026/27 changes as reported by MyPracticeManager, PCIT and insightsol; NICE
NM74 and QS9; NCL ICB's v51 NDH_REG encoding; NHS Digital 2023/24 reason fields), never from the
engine's output.

DM037 (DM_REG): all eight care processes - HbA1c, BP, cholesterol, creatinine/eGFR, urine ACR,
  foot examination, BMI, smoking status - each dated after PPED - 12 months (2026-03-31 is out,
  2026-04-01 in), on any days, with or without a value -> achieved. No process-specific PCAs;
  then DMPCAPU, DMPCADEC, two DMINVITE >= 7 days apart, first diabetes code after PPED - 3 months
  (2026-12-31) -> DIAG1_DAT, registered after 2026-12-31 -> REG1_DAT3; else not achieved.
NDH_REG: (1) NDH/IGT/pre-diabetes code and 18+ on ACHV, or gestational diabetes at any age;
  (2) never diabetic, (3) latest diabetes resolved (a strictly later DMRES_COD), (4) an NDH/GDM
  code on or after PPSD with no diabetes on or before it, (5) an NDH/GDM code before PPSD and no
  unresolved diabetes on PPSD -> on the register. Diabetes diagnosed on or before PPSD removes;
  diagnosed after it (and after the NDH code) keeps the patient on both registers this year.
NDH003: NDHDMIFCC (also on DM_REG, no HbA1c/FPG from PPSD to the first diabetes code of the
  year); HbA1c or FPG after 2026-03-31 -> achieved; NDHPU, GLUCDEC, NDHPCADEC, NDHINVITE,
  first NDH/GDM code after 2026-12-31 -> DIAG1_DAT, REG1_DAT3.
HF3_REG: on HF_REG with a reduced-EF code (LVSD alone no longer counts). HF009: ACE-I/ARB/ARNI,
  HF beta-blocker, MRA and SGLT2 inhibitor each issued after PPED - 6 months (2026-09-30 out,
  2026-10-01 in) -> achieved; HFPCAPU, HFPCADEC, HFINVITE, first reduced-EF code after
  2026-12-31 -> DIAG1_DAT, REG1_DAT3. Cases needing REDEJCFRAC_COD skip until it is imported.
"""

from __future__ import annotations

from datetime import date

import pytest
from rulecases import ACHIEVED, NOT_ACHIEVED, bp, case, case_id, ev, hba1c, pca

from qofcli.api import load_ruleset

RULESET = "qof-2026-27"
PPSD = date(2026, 4, 1)
PPED = date(2027, 3, 31)
OUT_12M = date(2026, 3, 31)  # PPED - 12 months: outside "the preceding 12 months"
OUT_6M = date(2026, 9, 30)  # PPED - 6 months: outside the drug window
NEW_3M = date(2027, 1, 1)  # first day counted as "in the last 3 months"
OLD_3M = date(2026, 12, 31)  # PPED - 3 months: not new

# ---- DM037 ---------------------------------------------------------------------------------

PROCESSES = {
    "hba1c": lambda d: [hba1c(d, 52)],
    "bp": lambda d: bp(d, 132, 78),
    "chol": lambda d: [ev("CHOL2_COD", d, 4.6)],
    "creat": lambda d: [ev("CRE_COD", d, 85)],
    "acr": lambda d: [ev("ACR_COD", d, 2.1)],
    "foot": lambda d: [ev("FRC_COD", d)],
    "bmi": lambda d: [ev("BMIVAL_COD", d, 27.4)],
    "smok": lambda d: [ev("EXSMOK_COD", d)],
}
# The eight processes on eight different days of the year (tests may be on different days).
DAYS = dict(zip(PROCESSES, (date(2026, m, 10) for m in range(5, 13)), strict=True))


def processes(*, skip: str = "", moved: dict[str, date] | None = None) -> list:
    """The eight processes in the year, one left out or some moved to other dates."""
    moved = moved or {}
    out = []
    for name, make in PROCESSES.items():
        if name != skip:
            out.extend(make(moved.get(name, DAYS[name])))
    return out


def dm(pid, why, want, *, events=(), **kw):
    return case(pid, why, {"DM037": want}, events=events, **kw)


DM037_CASES = [
    dm(
        "dm037_all8",
        "all eight in the year on different days -> achieved",
        ACHIEVED,
        events=processes(),
    ),
    dm("dm037_none", "on DM_REG, no process -> not achieved", NOT_ACHIEVED),
    *(
        dm(
            f"dm037_no_{name}",
            f"{name} missing, the other seven present -> not achieved",
            NOT_ACHIEVED,
            events=processes(skip=name),
        )
        for name in PROCESSES
    ),
    *(
        dm(
            f"dm037_{name}_at_pped_minus_12m",
            f"{name} dated 2026-03-31 (= PPED - 12 months, outside) -> not achieved",
            NOT_ACHIEVED,
            events=processes(moved={name: OUT_12M}),
        )
        for name in PROCESSES
    ),
    *(
        dm(
            f"dm037_{name}_on_ppsd",
            f"{name} dated 2026-04-01 (one day later, inside) -> achieved",
            ACHIEVED,
            events=processes(moved={name: PPSD}),
        )
        for name in PROCESSES
    ),
    dm(
        "dm037_all_on_pped",
        "all eight on PPED itself -> achieved",
        ACHIEVED,
        events=processes(moved=dict.fromkeys(PROCESSES, PPED)),
    ),
    dm(
        "dm037_after_achv",
        "HbA1c only after ACHV (2027-04-01) -> not seen, not achieved",
        NOT_ACHIEVED,
        events=processes(moved={"hba1c": date(2027, 4, 1)}),
    ),
    dm(
        "dm037_hba1c_no_value",
        "HbA1c recorded without a value counts: the process was done",
        ACHIEVED,
        events=[ev("IFCCHBAM_COD", DAYS["hba1c"]), *processes(skip="hba1c")],
    ),
    dm(
        "dm037_bmi_no_value",
        "BMI recorded without a value counts -> achieved",
        ACHIEVED,
        events=[ev("BMIVAL_COD", DAYS["bmi"]), *processes(skip="bmi")],
    ),
    dm(
        "dm037_egfr_not_creat",
        "eGFR instead of serum creatinine -> achieved (EGFR_COD missing)",
        ACHIEVED,
        events=[ev("EGFR_COD", DAYS["creat"]), *processes(skip="creat")],
    ),
    dm(
        "dm037_current_smoker",
        "a current-smoker code is a smoking status -> achieved",
        ACHIEVED,
        events=[ev("LSMOK_COD", DAYS["smok"]), *processes(skip="smok")],
    ),
    dm(
        "dm037_never_smoked",
        "a never-smoked code is a smoking status -> achieved",
        ACHIEVED,
        events=[ev("NSMOK_COD", DAYS["smok"]), *processes(skip="smok")],
    ),
    dm(
        "dm037_total_chol_finding",
        "a cholesterol finding without a value -> achieved",
        ACHIEVED,
        events=[ev("NONVALCHOL_COD", DAYS["chol"]), *processes(skip="chol")],
    ),
    # ---- no process-specific PCAs (addendum §C: all-or-nothing, no per-test exceptions) -----
    dm(
        "dm037_bp_declined",
        "BP declined in the year, no BP: no specific PCA -> not achieved",
        NOT_ACHIEVED,
        events=[ev("BPDEC_COD", DAYS["bp"]), *processes(skip="bp")],
    ),
    dm(
        "dm037_test_declined",
        "blood test declined, no HbA1c -> not achieved",
        NOT_ACHIEVED,
        events=[ev("BLDTESTDEC_COD", DAYS["hba1c"]), *processes(skip="hba1c")],
    ),
    # ---- general PCAs: achievers are never removed ---------------------------------------------
    dm(
        "dm037_pcapu",
        "DM care unsuitable in the year, 7 of 8 -> DMPCAPU",
        pca("DMPCAPU"),
        events=[ev("DMPCAPU_COD", date(2026, 6, 1)), *processes(skip="foot")],
    ),
    dm(
        "dm037_pcapu_old",
        "DM care unsuitable 2026-03-31 (outside) -> not achieved",
        NOT_ACHIEVED,
        events=[ev("DMPCAPU_COD", OUT_12M), *processes(skip="foot")],
    ),
    dm(
        "dm037_pcapu_achiever",
        "all eight and DM care unsuitable -> stays achieved",
        ACHIEVED,
        events=[ev("DMPCAPU_COD", date(2026, 6, 1)), *processes()],
    ),
    dm(
        "dm037_pcadec",
        "chose not to receive DM care in the year -> DMPCADEC",
        pca("DMPCADEC"),
        events=[ev("DMPCADEC_COD", date(2026, 6, 1))],
    ),
    dm(
        "dm037_invites_7d",
        "two invitations 7 days apart in the year -> DMINVITE",
        pca("DMINVITE"),
        events=[ev("DMINVITE_COD", date(2026, 9, 1)), ev("DMINVITE_COD", date(2026, 9, 8))],
    ),
    dm(
        "dm037_invites_6d",
        "two invitations 6 days apart -> not achieved",
        NOT_ACHIEVED,
        events=[ev("DMINVITE_COD", date(2026, 9, 1)), ev("DMINVITE_COD", date(2026, 9, 7))],
    ),
    dm(
        "dm037_invite_before_ppsd",
        "first invitation 2026-03-25 (before PPSD), second in year "
        "-> only one this year, not achieved",
        NOT_ACHIEVED,
        events=[ev("DMINVITE_COD", date(2026, 3, 25)), ev("DMINVITE_COD", date(2026, 4, 2))],
    ),
    dm(
        "dm037_new_dx",
        "first diabetes code 2027-01-01 (in the last 3 months) -> DIAG1_DAT",
        pca("DIAG1_DAT"),
        dx=NEW_3M,
    ),
    dm(
        "dm037_dx_3m_edge",
        "first diabetes code 2026-12-31 -> not new, not achieved",
        NOT_ACHIEVED,
        dx=OLD_3M,
    ),
    dm(
        "dm037_new_dx_achiever",
        "new diagnosis but all eight done -> achieved",
        ACHIEVED,
        dx=NEW_3M,
        events=processes(moved=dict.fromkeys(PROCESSES, date(2027, 1, 15))),
    ),
    dm("dm037_new_reg", "registered 2027-01-01 -> REG1_DAT3", pca("REG1_DAT3"), reg=NEW_3M),
    dm("dm037_reg_edge", "registered 2026-12-31 -> not achieved", NOT_ACHIEVED, reg=OLD_3M),
    # ---- the register --------------------------------------------------------------------------
    dm(
        "dm037_age_16",
        "16 on ACHV: not on DM_REG -> no row",
        None,
        dob=date(2010, 6, 1),
        events=processes(),
    ),
    dm(
        "dm037_age_17_on_achv",
        "born 2010-03-31: 17 on ACHV -> on DM_REG, achieved",
        ACHIEVED,
        dob=date(2010, 3, 31),
        events=processes(),
    ),
    dm(
        "dm037_age_17_day_after_achv",
        "born 2010-04-01: still 16 on ACHV -> no row",
        None,
        dob=date(2010, 4, 1),
        events=processes(),
    ),
    dm("dm037_died", "died 2027-02-01 -> no row", None, death=date(2027, 2, 1), events=processes()),
    dm(
        "dm037_dereg",
        "deregistered 2027-03-30 -> no row",
        None,
        dereg=date(2027, 3, 30),
        events=processes(),
    ),
    case(
        "dm037_replaces_dm012",
        "DM012 is retired in 2026/27: no row even with a foot check",
        {"DM037": ACHIEVED, "DM012": None},
        events=processes(),
    ),
]

# ---- NDH_REG (v51) and NDH003 ---------------------------------------------------------------

NDH_OLD = date(2022, 3, 1)


def ndh(pid, why, want, *, events=(), code=NDH_OLD, **kw):
    """A patient with an NDH_COD code (``code=None``: none), no diabetes unless given."""
    evs = list(events)
    if code is not None:
        evs.insert(0, ev("NDH_COD", code))
    return case(pid, why, {"NDH003": want}, events=evs, dx=None, **kw)


def diabetes(when: date):
    return ev("DM_COD", when)


NDH_CASES = [
    ndh("ndh_adult", "NDH 2022, 66, never diabetic (rule 2) -> on register", NOT_ACHIEVED),
    ndh("ndh_none", "no NDH or GDM code -> no row", None, code=None),
    ndh("ndh_after_achv", "NDH code only after ACHV -> no row", None, code=date(2027, 4, 1)),
    ndh(
        "ndh_igt",
        "impaired glucose tolerance -> on register (IGT_COD missing)",
        NOT_ACHIEVED,
        code=None,
        events=[ev("IGT_COD", NDH_OLD)],
    ),
    # #14 item 2: the 18+ gate is read on the achievement date, not at the NDH code.
    ndh(
        "ndh_age_18_on_achv",
        "born 2009-03-31: 18 on ACHV, NDH coded at 16 (2025-06-01) -> on register",
        NOT_ACHIEVED,
        dob=date(2009, 3, 31),
        code=date(2025, 6, 1),
    ),
    ndh(
        "ndh_age_17_on_achv",
        "born 2009-04-01: 17 on ACHV, NDH in year -> no row",
        None,
        dob=date(2009, 4, 1),
        code=date(2026, 6, 1),
    ),
    ndh(
        "ndh_code_at_17_now_18",
        "NDH coded at 17 (2026-05-01), 18 on 2026-06-01: 18 on ACHV -> on register",
        NOT_ACHIEVED,
        dob=date(2008, 6, 1),
        code=date(2026, 5, 1),
    ),
    # The same gate with --as-of: 18 on 2026-10-01, NDH code at 17 (2026-05-01).
    ndh(
        "ndh_asof_day_before_18",
        "as of 2026-09-30 the patient is 17 -> not on the register",
        None,
        dob=date(2008, 10, 1),
        code=date(2026, 5, 1),
        as_of=date(2026, 9, 30),
    ),
    ndh(
        "ndh_asof_18th_birthday",
        "as of 2026-10-01 (18th birthday) -> on the register, NDH code from age 17 counts",
        NOT_ACHIEVED,
        dob=date(2008, 10, 1),
        code=date(2026, 5, 1),
        as_of=date(2026, 10, 1),
    ),
    ndh(
        "gdm_at_16",
        "gestational diabetes at 16, no NDH code: any age -> on register",
        NOT_ACHIEVED,
        dob=date(2010, 6, 1),
        code=None,
        sex="F",
        events=[ev("GESTDIAB_COD", date(2026, 5, 1))],
    ),
    ndh(
        "gdm_at_16_tested",
        "GDM at 16 with an HbA1c in the year -> achieved",
        ACHIEVED,
        dob=date(2010, 6, 1),
        code=None,
        sex="F",
        events=[ev("GESTDIAB_COD", date(2026, 5, 1)), hba1c(date(2026, 11, 1), 40)],
    ),
    ndh(
        "gdm_adult_old",
        "GDM 2019, no NDH code, never diabetic -> on register",
        NOT_ACHIEVED,
        code=None,
        sex="F",
        events=[ev("GESTDIAB_COD", date(2019, 7, 1))],
    ),
    ndh(
        "gdm_then_diabetes_before_ppsd",
        "GDM 2019, diabetes 2024 unresolved -> no row",
        None,
        code=None,
        sex="F",
        events=[ev("GESTDIAB_COD", date(2019, 7, 1)), diabetes(date(2024, 1, 1))],
    ),
    ndh(
        "ndh_dm_before_ppsd",
        "NDH 2022, diabetes 2025-06-01 unresolved -> removed, no row",
        None,
        events=[diabetes(date(2025, 6, 1))],
    ),
    ndh(
        "ndh_dm_on_ppsd",
        "NDH 2022, diabetes on PPSD 2026-04-01 (unresolved on PPSD) -> no row",
        None,
        events=[diabetes(PPSD)],
    ),
    ndh(
        "ndh_dm_day_after_ppsd",
        "NDH 2022, diabetes 2026-04-02 -> stays on NDH (rule 5); no test before it -> NDHDMIFCC",
        pca("NDHDMIFCC"),
        events=[diabetes(date(2026, 4, 2))],
    ),
    ndh(
        "ndh_dm_in_year_tested_before",
        "NDH 2022, HbA1c 2026-06-01, diabetes 2026-09-01 -> achieved",
        ACHIEVED,
        events=[hba1c(date(2026, 6, 1), 46), diabetes(date(2026, 9, 1))],
    ),
    ndh(
        "ndh_dm_in_year_tested_same_day",
        "HbA1c 2026-09-01 diagnosed diabetes that day -> "
        "counts (up to and including the diagnosis), achieved",
        ACHIEVED,
        events=[hba1c(date(2026, 9, 1), 50), diabetes(date(2026, 9, 1))],
    ),
    ndh(
        "ndh_dm_in_year_tested_after",
        "HbA1c only after the 2026-09-01 diabetes diagnosis -> NDHDMIFCC",
        pca("NDHDMIFCC"),
        events=[diabetes(date(2026, 9, 1)), hba1c(date(2026, 10, 1), 55)],
    ),
    case(
        "ndh_dm_in_year_both_registers",
        "diabetes 2026-09-01 after NDH 2022: on DM_REG (DM037 "
        "row) and still on NDH_REG (NDH003 row)",
        {"DM037": NOT_ACHIEVED, "NDH003": pca("NDHDMIFCC")},
        dx=date(2026, 9, 1),
        events=[ev("NDH_COD", NDH_OLD)],
    ),
    ndh(
        "ndh_in_year_then_dm",
        "no old NDH; NDH 2026-05-01 then diabetes 2026-08-01 (rule 4) -> on register",
        pca("NDHDMIFCC"),
        code=date(2026, 5, 1),
        events=[diabetes(date(2026, 8, 1))],
    ),
    ndh(
        "ndh_dm_then_ndh_in_year",
        "diabetes 2026-05-01 then NDH 2026-08-01, nothing before the year -> no row",
        None,
        code=date(2026, 8, 1),
        events=[diabetes(date(2026, 5, 1))],
    ),
    ndh(
        "ndh_dm_same_day_in_year",
        "NDH and diabetes both 2026-06-01: diabetes on or before the code -> no row",
        None,
        code=date(2026, 6, 1),
        events=[diabetes(date(2026, 6, 1))],
    ),
    ndh(
        "ndh_dm_resolved",
        "diabetes 2019 resolved 2021, NDH 2022 (rule 3) -> on register",
        NOT_ACHIEVED,
        events=[diabetes(date(2019, 1, 1)), ev("DMRES_COD", date(2021, 1, 1))],
    ),
    ndh(
        "ndh_dm_resolved_same_day",
        "diabetes and resolved the same day 2021: unresolved -> no row",
        None,
        events=[diabetes(date(2021, 1, 1)), ev("DMRES_COD", date(2021, 1, 1))],
    ),
    ndh(
        "ndh_dm_resolved_then_new_dm",
        "diabetes 2019 resolved 2021, NDH 2022, diabetes again "
        "2026-08-01: none unresolved on PPSD (rule 5) -> on register",
        pca("NDHDMIFCC"),
        events=[
            diabetes(date(2019, 1, 1)),
            ev("DMRES_COD", date(2021, 1, 1)),
            diabetes(date(2026, 8, 1)),
        ],
    ),
    ndh("ndh_dead", "died 2027-01-10 -> no row", None, death=date(2027, 1, 10)),
    ndh("ndh_dereg", "deregistered 2027-03-30 -> no row", None, dereg=date(2027, 3, 30)),
    # ---- NDH003 -------------------------------------------------------------------------------
    ndh(
        "ndh003_a1c", "HbA1c 2026-07-01 -> achieved", ACHIEVED, events=[hba1c(date(2026, 7, 1), 44)]
    ),
    ndh(
        "ndh003_a1c_ppsd",
        "HbA1c 2026-04-01 (inside) -> achieved",
        ACHIEVED,
        events=[hba1c(PPSD, 44)],
    ),
    ndh(
        "ndh003_a1c_outside",
        "HbA1c 2026-03-31 (= PPED - 12 months) -> not achieved",
        NOT_ACHIEVED,
        events=[hba1c(OUT_12M, 44)],
    ),
    ndh("ndh003_a1c_pped", "HbA1c on PPED -> achieved", ACHIEVED, events=[hba1c(PPED, 44)]),
    ndh(
        "ndh003_fpg",
        "fasting plasma glucose 2026-07-01 -> achieved",
        ACHIEVED,
        events=[ev("NDHFPG_COD", date(2026, 7, 1), 6.4)],
    ),
    ndh(
        "ndh003_fpg_outside",
        "fasting glucose 2026-03-31 -> not achieved",
        NOT_ACHIEVED,
        events=[ev("NDHFPG_COD", OUT_12M, 6.4)],
    ),
    ndh(
        "ndh003_glucdec",
        "blood glucose test declined in the year -> GLUCDEC",
        pca("GLUCDEC"),
        events=[ev("GLUCDEC_COD", date(2026, 7, 1))],
    ),
    ndh(
        "ndh003_glucdec_outside",
        "glucose test declined 2026-03-31 -> not achieved",
        NOT_ACHIEVED,
        events=[ev("GLUCDEC_COD", OUT_12M)],
    ),
    ndh(
        "ndh003_glucdec_achiever",
        "declined but tested in the year -> achieved",
        ACHIEVED,
        events=[ev("GLUCDEC_COD", date(2026, 5, 1)), hba1c(date(2026, 7, 1), 44)],
    ),
    ndh(
        "ndh003_pcapu",
        "NDH care unsuitable in the year -> NDHPU (NDHPCAPU_COD missing)",
        pca("NDHPU"),
        events=[ev("NDHPCAPU_COD", date(2026, 7, 1))],
    ),
    ndh(
        "ndh003_pcadec",
        "NDH care declined in the year -> NDHPCADEC (cluster missing)",
        pca("NDHPCADEC"),
        events=[ev("NDHPCADEC_COD", date(2026, 7, 1))],
    ),
    ndh(
        "ndh003_invites_7d",
        "two NDH invitations 7 days apart -> NDHINVITE (cluster missing)",
        pca("NDHINVITE"),
        events=[ev("NDHINVITE_COD", date(2026, 9, 1)), ev("NDHINVITE_COD", date(2026, 9, 8))],
    ),
    ndh(
        "ndh003_invites_6d",
        "two NDH invitations 6 days apart -> not achieved",
        NOT_ACHIEVED,
        events=[ev("NDHINVITE_COD", date(2026, 9, 1)), ev("NDHINVITE_COD", date(2026, 9, 7))],
    ),
    ndh("ndh003_new_dx", "first NDH code 2027-01-01 -> DIAG1_DAT", pca("DIAG1_DAT"), code=NEW_3M),
    ndh("ndh003_dx_edge", "first NDH code 2026-12-31 -> not achieved", NOT_ACHIEVED, code=OLD_3M),
    ndh(
        "ndh003_new_gdm",
        "first (GDM) code 2027-01-01 -> DIAG1_DAT",
        pca("DIAG1_DAT"),
        code=None,
        sex="F",
        events=[ev("GESTDIAB_COD", NEW_3M)],
    ),
    ndh(
        "ndh003_new_gdm_old_ndh",
        "NDH 2022 and GDM 2027-01-01: first code 2022 -> not new",
        NOT_ACHIEVED,
        sex="F",
        events=[ev("GESTDIAB_COD", NEW_3M)],
    ),
    ndh("ndh003_new_reg", "registered 2027-01-01 -> REG1_DAT3", pca("REG1_DAT3"), reg=NEW_3M),
    ndh("ndh003_reg_edge", "registered 2026-12-31 -> not achieved", NOT_ACHIEVED, reg=OLD_3M),
    ndh(
        "ndh003_new_reg_tested",
        "registered 2027-01-01, HbA1c 2027-02-01 -> achieved",
        ACHIEVED,
        reg=NEW_3M,
        events=[hba1c(date(2027, 2, 1), 44)],
    ),
    case(
        "ndh002_retired",
        "NDH002 is renumbered NDH003 in 2026/27: no NDH002 row",
        {"NDH003": NOT_ACHIEVED, "NDH002": None},
        dx=None,
        events=[ev("NDH_COD", NDH_OLD)],
    ),
]

# ---- HF3_REG and HF009 -------------------------------------------------------------------------

HF_DX = ev("HF_COD", date(2018, 1, 1))
REDEF = ev("REDEJCFRAC_COD", date(2018, 2, 1))
ARNI = ("31142011000001103",)  # sacubitril/valsartan, a member of the dm+d ARB refset AII_COD
DRUGS = {
    "acei": lambda d: ev("ACE_COD", d),
    "bb": lambda d: ev("LICBB_COD", d),
    "mra": lambda d: ev("MRA_COD", d),
    "sglt2i": lambda d: ev("SGLT2IDRUG_COD", d),
}
ISSUED = date(2027, 1, 20)


def drugs(*, skip: str = "", moved: dict[str, date] | None = None) -> list:
    moved = moved or {}
    return [make(moved.get(n, ISSUED)) for n, make in DRUGS.items() if n != skip]


def hf(pid, why, expect, *, events=(), base=(HF_DX, REDEF), **kw):
    return case(pid, why, expect, events=[*base, *events], dx=None, **kw)


HF_CASES = [
    hf(
        "hf009_all4",
        "HF with reduced EF, all four classes in 6 months -> achieved",
        {"HF009": ACHIEVED},
        events=drugs(),
    ),
    hf(
        "hf009_arni",
        "ARNI (sacubitril/valsartan) instead of an ACE-I -> achieved",
        {"HF009": ACHIEVED},
        events=[ev("AII_COD", ISSUED, prefer=ARNI), *drugs(skip="acei")],
    ),
    hf(
        "hf009_arb",
        "an ARB instead of an ACE-I -> achieved",
        {"HF009": ACHIEVED},
        events=[ev("AII_COD", ISSUED), *drugs(skip="acei")],
    ),
    *(
        hf(
            f"hf009_no_{name}",
            f"{name} missing -> not achieved",
            {"HF009": NOT_ACHIEVED},
            events=drugs(skip=name),
        )
        for name in DRUGS
    ),
    *(
        hf(
            f"hf009_{name}_at_pped_minus_6m",
            f"{name} issued 2026-09-30 (outside) -> not achieved",
            {"HF009": NOT_ACHIEVED},
            events=drugs(moved={name: OUT_6M}),
        )
        for name in DRUGS
    ),
    *(
        hf(
            f"hf009_{name}_next_day",
            f"{name} issued 2026-10-01 (inside) -> achieved",
            {"HF009": ACHIEVED},
            events=drugs(moved={name: date(2026, 10, 1)}),
        )
        for name in DRUGS
    ),
    hf(
        "hf009_unlicensed_bb",
        "atenolol-type (not HF-licensed) beta-blocker -> not achieved",
        {"HF009": NOT_ACHIEVED},
        events=[ev("UNLICBB_COD", ISSUED), *drugs(skip="bb")],
    ),
    hf(
        "hf009_pcapu",
        "HF care unsuitable in the year -> HFPCAPU",
        {"HF009": pca("HFPCAPU")},
        events=[ev("HFPCAPU_COD", date(2026, 7, 1))],
    ),
    hf(
        "hf009_pcapu_achiever",
        "all four and HF care unsuitable -> stays achieved",
        {"HF009": ACHIEVED},
        events=[ev("HFPCAPU_COD", date(2026, 7, 1)), *drugs()],
    ),
    hf(
        "hf009_pcadec",
        "HF care declined in the year -> HFPCADEC",
        {"HF009": pca("HFPCADEC")},
        events=[ev("HFPCADEC_COD", date(2026, 7, 1))],
    ),
    hf(
        "hf009_invites",
        "two HF invitations 7 days apart -> HFINVITE",
        {"HF009": pca("HFINVITE")},
        events=[ev("HFINVITE_COD", date(2026, 9, 1)), ev("HFINVITE_COD", date(2026, 9, 8))],
    ),
    hf(
        "hf009_new_redef",
        "first reduced-EF code 2027-01-01 -> DIAG1_DAT",
        {"HF009": pca("DIAG1_DAT")},
        base=(HF_DX,),
        events=[ev("REDEJCFRAC_COD", NEW_3M)],
    ),
    hf(
        "hf009_redef_edge",
        "first reduced-EF code 2026-12-31 -> not achieved",
        {"HF009": NOT_ACHIEVED},
        base=(HF_DX,),
        events=[ev("REDEJCFRAC_COD", OLD_3M)],
    ),
    hf(
        "hf009_new_reg",
        "registered 2027-01-01 -> REG1_DAT3",
        {"HF009": pca("REG1_DAT3")},
        reg=NEW_3M,
    ),
    hf(
        "hf009_reg_edge",
        "registered 2026-12-31 -> not achieved",
        {"HF009": NOT_ACHIEVED},
        reg=OLD_3M,
    ),
    # ---- HF3_REG ------------------------------------------------------------------------------
    hf(
        "hf3_lvsd_only",
        "HF with LVSD but no reduced-EF code: no longer on HF3 -> no HF009 row; "
        "HF003/HF006 are retired",
        {"HF009": None, "HF003": None, "HF006": None, "HF007": NOT_ACHIEVED},
        base=(HF_DX, ev("HFLVSD_COD", date(2018, 2, 1))),
        events=drugs(),
    ),
    hf(
        "hf3_no_hf",
        "reduced-EF code without an HF diagnosis -> not on HF_REG, no rows",
        {"HF009": None, "HF007": None},
        base=(REDEF,),
        events=drugs(),
    ),
    hf(
        "hf3_hf_resolved",
        "HF resolved 2020 after the 2018 diagnosis -> no rows",
        {"HF009": None, "HF007": None},
        events=[ev("HFRES_COD", date(2020, 1, 1)), *drugs()],
    ),
    hf(
        "hf3_child",
        "HF with reduced EF at age 10: all ages -> achieved",
        {"HF009": ACHIEVED},
        dob=date(2016, 6, 1),
        events=drugs(),
    ),
]

CASES = DM037_CASES + NDH_CASES + HF_CASES


@pytest.mark.parametrize("c", CASES, ids=case_id)
def test_rule(c, check):
    check(c, CASES)


# ---- points and thresholds (qof-2026-27.md A2 from the 2026/27 change lists) ------------------


@pytest.mark.parametrize(
    ("indicator", "points", "lower", "upper"),
    [
        ("DM037", 10, 35, 75),
        ("DM034", 8, 50, 90),
        ("DM035", 8, 50, 90),
        ("NDH003", 20, 50, 90),
        ("HF009", 12, 20, 50),
    ],
)
def test_2026_27_points_and_thresholds(indicator, points, lower, upper) -> None:
    got = load_ruleset(RULESET).indicators[indicator]
    assert (got.points, got.lower, got.upper) == (points, lower, upper)


def test_2026_27_retires_the_replaced_indicators_and_2025_26_keeps_them() -> None:
    new, old = load_ruleset(RULESET), load_ruleset("qof-2025-26")
    retired = {"DM012", "NDH002", "HF003", "HF006"}
    added = {"DM037", "NDH003", "HF009"}
    assert not retired & set(new.indicators) and added <= set(new.indicators)
    assert retired <= set(old.indicators) and not added & set(old.indicators)
    assert "HF2_REG" not in new.registers and "HF2_REG" in old.registers
    assert (old.indicators["DM034"].points, old.indicators["DM035"].points) == (4, 2)
    assert new.indicators["HF009"].prevalence_register == "HF_REG"
