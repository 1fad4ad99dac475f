"""NDH_REG and NDH002, 2025/26.

NDH_REG: an NDH_COD/IGT_COD/PRD_COD code on or before ACHV; not on DM_REG (no unresolved
diabetes: latest DM_COD not followed by a later DMRES_COD); aged 18+ on ACHV.
NDH002 (spec, qof-rule-logic.md §3.9, reasons of the 2023/24 metadata):
  1 IFCC-HbA1c or fasting plasma glucose in the 12 months (after 2025-03-31) -> achieved
  2 NDHPCAPU 12 m -> NDHPU  3 GLUCDEC 12 m -> GLUCDEC  4 NDHPCADEC 12 m -> NDHPCADEC
  5 two NDHINVITE_COD >= 7 days apart -> NDHINVITE  6 earliest NDH code after PPED-3m -> DIAG1_DAT
  7 registered after PPED-3m -> REG1_DAT3; else not achieved
"""

from __future__ import annotations

from datetime import date

import pytest
from rulecases import ACHIEVED, NOT_ACHIEVED, case, case_id, ev, hba1c, pca

DX = date(2022, 3, 1)
IN_YEAR = date(2025, 7, 1)


def ndh(pid, why, want, *, events=(), dx=DX, **kw):
    evs = list(events)
    if dx is not None:
        evs.insert(0, ev("NDH_COD", dx))
    return case(pid, why, {"NDH002": want}, events=evs, dx=None, **kw)


CASES = [
    # ---- register -------------------------------------------------------------------------
    ndh("reg_dx", "NDH_COD 2022, adult, no diabetes -> on register, not achieved", NOT_ACHIEVED),
    ndh("reg_no_dx", "no NDH code -> no row", None, dx=None),
    ndh(
        "reg_igt",
        "impaired glucose tolerance code -> on register (IGT_COD missing: skips)",
        NOT_ACHIEVED,
        dx=None,
        events=[ev("IGT_COD", DX)],
    ),
    ndh("reg_dx_after_achv", "NDH code only after ACHV -> no row", None, dx=date(2026, 4, 1)),
    ndh(
        "reg_age_18",
        "18th birthday on ACHV (born 2008-03-31) -> on register",
        NOT_ACHIEVED,
        dob=date(2008, 3, 31),
    ),
    ndh("reg_age_17", "born 2008-04-01: 17 on ACHV -> no row", None, dob=date(2008, 4, 1)),
    ndh(
        "reg_diabetic",
        "unresolved diabetes (DM_COD 2024) -> not on NDH register",
        None,
        events=[ev("DM_COD", date(2024, 1, 1))],
    ),
    ndh(
        "reg_diabetes_before_ndh",
        "diabetes 2020 unresolved, NDH 2022 -> still diabetic, no row",
        None,
        events=[ev("DM_COD", date(2020, 1, 1))],
    ),
    ndh(
        "reg_dm_resolved",
        "diabetes 2019 resolved 2021 -> on NDH register",
        NOT_ACHIEVED,
        events=[ev("DM_COD", date(2019, 1, 1)), ev("DMRES_COD", date(2021, 1, 1))],
    ),
    ndh(
        "reg_dm_resolved_same_day",
        "DM_COD and DMRES_COD the same day: diabetes stays unresolved (as DM_REG) -> no row",
        None,
        events=[ev("DM_COD", date(2021, 1, 1)), ev("DMRES_COD", date(2021, 1, 1))],
    ),
    ndh("reg_dead", "died before ACHV -> no row", None, death=date(2025, 11, 1)),
    ndh("reg_dereg", "deregistered before ACHV -> no row", None, dereg=date(2026, 3, 30)),
    # ---- numerator --------------------------------------------------------------------------
    ndh("a1c_in_year", "HbA1c 2025-07-01 -> achieved", ACHIEVED, events=[hba1c(IN_YEAR, 44)]),
    ndh(
        "a1c_on_ppsd",
        "HbA1c on 2025-04-01 -> achieved",
        ACHIEVED,
        events=[hba1c(date(2025, 4, 1), 44)],
    ),
    ndh(
        "a1c_old",
        "HbA1c on 2025-03-31 -> not achieved",
        NOT_ACHIEVED,
        events=[hba1c(date(2025, 3, 31), 44)],
    ),
    ndh(
        "a1c_on_achv",
        "HbA1c on 2026-03-31 -> achieved",
        ACHIEVED,
        events=[hba1c(date(2026, 3, 31), 44)],
    ),
    ndh(
        "fpg_in_year",
        "fasting plasma glucose in year -> achieved",
        ACHIEVED,
        events=[ev("NDHFPG_COD", IN_YEAR, 6.5)],
    ),
    ndh(
        "random_glucose",
        "a random (non-fasting) glucose does not count -> not achieved",
        NOT_ACHIEVED,
        events=[ev("GLUC_COD", IN_YEAR, 6.5, code="1089381000000101")],
    ),
    # ---- PCAs -------------------------------------------------------------------------------
    ndh(
        "glucdec",
        "blood glucose test declined in year -> GLUCDEC",
        pca("GLUCDEC"),
        events=[ev("GLUCDEC_COD", IN_YEAR)],
    ),
    ndh(
        "glucdec_old",
        "declined 2025-03-31 -> no PCA",
        NOT_ACHIEVED,
        events=[ev("GLUCDEC_COD", date(2025, 3, 31))],
    ),
    ndh(
        "glucdec_achiever",
        "declined but HbA1c done -> achieved",
        ACHIEVED,
        events=[ev("GLUCDEC_COD", IN_YEAR), hba1c(IN_YEAR, 44)],
    ),
    ndh(
        "pcapu",
        "NDH care unsuitable in year -> NDHPU (cluster missing: skips)",
        pca("NDHPU"),
        events=[ev("NDHPCAPU_COD", IN_YEAR)],
    ),
    ndh(
        "pcapu_before_glucdec",
        "unsuitable and declined test -> NDHPU first (skips)",
        pca("NDHPU"),
        events=[ev("NDHPCAPU_COD", IN_YEAR), ev("GLUCDEC_COD", IN_YEAR)],
    ),
    ndh(
        "pcadec",
        "NDH care declined in year -> NDHPCADEC (skips)",
        pca("NDHPCADEC"),
        events=[ev("NDHPCADEC_COD", IN_YEAR)],
    ),
    ndh(
        "inv_7",
        "two invitations 7 days apart -> NDHINVITE (skips)",
        pca("NDHINVITE"),
        events=[ev("NDHINVITE_COD", date(2025, 6, 1)), ev("NDHINVITE_COD", date(2025, 6, 8))],
    ),
    ndh(
        "inv_6",
        "two invitations 6 days apart -> not achieved (skips)",
        NOT_ACHIEVED,
        events=[ev("NDHINVITE_COD", date(2025, 6, 1)), ev("NDHINVITE_COD", date(2025, 6, 7))],
    ),
    # ---- new diagnosis / registration --------------------------------------------------------
    ndh(
        "diag_3m_in",
        "earliest NDH code 2026-01-01 -> DIAG1_DAT",
        pca("DIAG1_DAT"),
        dx=date(2026, 1, 1),
    ),
    ndh(
        "diag_3m_out",
        "earliest NDH code 2025-12-31 -> not new",
        NOT_ACHIEVED,
        dx=date(2025, 12, 31),
    ),
    ndh(
        "diag_new_achiever",
        "diagnosed 2026-02-01 with HbA1c that day -> achieved",
        ACHIEVED,
        dx=date(2026, 2, 1),
        events=[hba1c(date(2026, 2, 1), 45)],
    ),
    ndh("reg_3m_in", "registered 2026-01-01 -> REG1_DAT3", pca("REG1_DAT3"), reg=date(2026, 1, 1)),
    ndh("reg_3m_out", "registered 2025-12-31 -> not new", NOT_ACHIEVED, reg=date(2025, 12, 31)),
    ndh(
        "glucdec_before_diag",
        "declined test and new diagnosis -> GLUCDEC comes first",
        pca("GLUCDEC"),
        dx=date(2026, 1, 15),
        events=[ev("GLUCDEC_COD", date(2026, 2, 1))],
    ),
]


@pytest.mark.parametrize("c", CASES, ids=case_id)
def test_ndh(c, check):
    check(c, CASES)
