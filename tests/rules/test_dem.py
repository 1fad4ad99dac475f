"""DEM_REG (DEM001) and DEM004, 2025/26.

DEM_REG: any DEM_COD on or before ACHV (no resolution, no age limit).
DEM004 (spec; chain shape of qof-rule-logic.md §1.5, reasons of the 2023/24 metadata):
  1 care plan agreed or reviewed (DEMCP_COD / DEMCPRVW_COD) in the 12 months -> achieved
  2 DEMCPDEC 12 m  3 DEMPCAPU 12 m  4 DEMPCADEC 12 m  5 two DEMINVITE_COD >= 7 days apart
  6 earliest DEM_COD after PPED-3m -> DIAG1_DAT
  7 registered after PPED-3m -> REG1_DAT3; else not achieved
The care-plan, PCA and invitation clusters are missing publicly: those cases skip.
"""

from __future__ import annotations

from datetime import date

import pytest
from rulecases import ACHIEVED, NOT_ACHIEVED, case, case_id, ev, pca

DX = date(2018, 5, 1)
IN_YEAR = date(2025, 9, 1)


def dem(pid, why, want, *, events=(), dx=DX, **kw):
    evs = list(events)
    if dx is not None:
        evs.insert(0, ev("DEM_COD", dx))
    return case(pid, why, {"DEM004": want}, events=evs, dx=None, **kw)


CASES = [
    dem("reg_dx", "DEM_COD 2018, nothing else -> on register, not achieved", NOT_ACHIEVED),
    dem("reg_no_dx", "no DEM_COD -> no row", None, dx=None),
    dem(
        "reg_dx_on_achv",
        "DEM_COD on ACHV -> on register, newly diagnosed",
        pca("DIAG1_DAT"),
        dx=date(2026, 3, 31),
    ),
    dem("reg_dx_after_achv", "DEM_COD after ACHV -> no row", None, dx=date(2026, 4, 1)),
    dem(
        "reg_young",
        "no age limit: a 40-year-old with dementia has a row",
        NOT_ACHIEVED,
        dob=date(1985, 6, 1),
    ),
    dem("reg_dead", "died before ACHV -> no row", None, death=date(2026, 1, 5)),
    dem("reg_dereg", "deregistered before ACHV -> no row", None, dereg=date(2025, 8, 1)),
    dem(
        "diag_3m_in",
        "earliest DEM_COD 2026-01-01 -> DIAG1_DAT",
        pca("DIAG1_DAT"),
        dx=date(2026, 1, 1),
    ),
    dem(
        "diag_3m_out", "earliest DEM_COD 2025-12-31 -> not new", NOT_ACHIEVED, dx=date(2025, 12, 31)
    ),
    dem(
        "diag_repeat",
        "DEM_COD 2018 and 2026-02-01: earliest decides -> not new",
        NOT_ACHIEVED,
        events=[ev("DEM_COD", date(2026, 2, 1))],
    ),
    dem("reg_3m_in", "registered 2026-01-01 -> REG1_DAT3", pca("REG1_DAT3"), reg=date(2026, 1, 1)),
    dem("reg_3m_out", "registered 2025-12-31 -> not new", NOT_ACHIEVED, reg=date(2025, 12, 31)),
    # ---- clusters missing publicly: these skip until imported ---------------------------
    dem(
        "cp_in_year",
        "care plan review 2025-09-01 -> achieved",
        ACHIEVED,
        events=[ev("DEMCPRVW_COD", IN_YEAR)],
    ),
    dem(
        "cp_agreed",
        "care plan agreed 2025-04-01 -> achieved",
        ACHIEVED,
        events=[ev("DEMCP_COD", date(2025, 4, 1))],
    ),
    dem(
        "cp_old",
        "care plan review 2025-03-31 -> not achieved",
        NOT_ACHIEVED,
        events=[ev("DEMCPRVW_COD", date(2025, 3, 31))],
    ),
    dem(
        "cp_dec",
        "care plan declined in year -> DEMCPDEC",
        pca("DEMCPDEC"),
        events=[ev("DEMCPDEC_COD", IN_YEAR)],
    ),
    dem(
        "pcapu",
        "dementia care unsuitable in year -> DEMPCAPU",
        pca("DEMPCAPU"),
        events=[ev("DEMPCAPU_COD", IN_YEAR)],
    ),
    dem(
        "pcadec",
        "dementia care declined in year -> DEMPCADEC",
        pca("DEMPCADEC"),
        events=[ev("DEMPCADEC_COD", IN_YEAR)],
    ),
    dem(
        "pcadec_old",
        "declined 2025-03-31 -> no PCA",
        NOT_ACHIEVED,
        events=[ev("DEMPCADEC_COD", date(2025, 3, 31))],
    ),
    dem(
        "inv_7",
        "two invitations 7 days apart -> DEMINVITE",
        pca("DEMINVITE"),
        events=[ev("DEMINVITE_COD", date(2025, 6, 1)), ev("DEMINVITE_COD", date(2025, 6, 8))],
    ),
    dem(
        "inv_6",
        "two invitations 6 days apart -> not achieved",
        NOT_ACHIEVED,
        events=[ev("DEMINVITE_COD", date(2025, 6, 1)), ev("DEMINVITE_COD", date(2025, 6, 7))],
    ),
    dem(
        "cp_achiever_pca",
        "care plan reviewed and declined care -> achieved",
        ACHIEVED,
        events=[ev("DEMCPRVW_COD", IN_YEAR), ev("DEMPCADEC_COD", IN_YEAR)],
    ),
]


@pytest.mark.parametrize("c", CASES, ids=case_id)
def test_dem(c, check):
    check(c, CASES)
