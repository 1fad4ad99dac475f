"""DM012: foot examination and risk classification in the preceding 12 months.

Chain (spec; reason fields from NHS Digital 2023/24 DM012):
  1 (AMPL or CONABL ever) and (AMPR or CONABR ever) -> excluded AMPR3_DAT (no feet to examine)
  2 FRC_COD in 12 m (after PPED - 12 months) -> achieved
  3 FEPU 12 m -> pca FEPU; 4 FEDEC 12 m -> pca FEDEC; 5 DMPCAPU; 6 DMPCADEC;
  7 two DMINVITE -> DMINVITE; 8 DM_DAT in 3 m -> DIAG1_DAT; 9 registered in 3 m -> REG1_DAT3
  else not_achieved
Amputation / congenital absence cluster names are the domain notes' AMPL/AMPR/CONABL/CONABR
(`<name>_COD`); cases needing them skip until they ship.
"""

from __future__ import annotations

from datetime import date

import pytest
from rulecases import ACHIEVED, NOT_ACHIEVED, case, case_id, ev, excluded, invites, pca

OLD = date(2012, 5, 1)
Y = date(2025, 6, 1)


def dm012(expect, why, pid, **kw):
    return case(pid, why, {"DM012": expect}, **kw)


CASES = [
    # ---- rule 2: foot risk classification in 12 m ----------------------------------------
    dm012(
        ACHIEVED,
        "r2: FRC_COD 2025-04-01 -> achieved",
        "frc_on_ppsd",
        events=[ev("FRC_COD", date(2025, 4, 1))],
    ),
    dm012(
        NOT_ACHIEVED,
        "r2: FRC_COD 2025-03-31 (out of 12 m) -> not achieved",
        "frc_before",
        events=[ev("FRC_COD", date(2025, 3, 31))],
    ),
    dm012(
        ACHIEVED,
        "r2: FRC_COD on PPED -> achieved",
        "frc_on_pped",
        events=[ev("FRC_COD", date(2026, 3, 31))],
    ),
    dm012(
        NOT_ACHIEVED,
        "r2: FRC_COD after ACHV is ignored -> not achieved",
        "frc_after_achv",
        events=[ev("FRC_COD", date(2026, 4, 1))],
    ),
    dm012(NOT_ACHIEVED, "r2: no foot check at all -> not achieved", "frc_none"),
    # ---- rule 1: both feet absent --------------------------------------------------------
    dm012(
        excluded("AMPR3_DAT"),
        "r1: left and right amputation -> excluded AMPR3_DAT",
        "amp_both",
        events=[ev("AMPL_COD", OLD), ev("AMPR_COD", OLD)],
    ),
    dm012(
        excluded("AMPR3_DAT"),
        "r1: left amputation + right congenital absence -> excluded",
        "ampl_conabr",
        events=[ev("AMPL_COD", OLD), ev("CONABR_COD", OLD)],
    ),
    dm012(
        excluded("AMPR3_DAT"),
        "r1: congenital absence of both feet -> excluded",
        "conab_both",
        events=[ev("CONABL_COD", OLD), ev("CONABR_COD", OLD)],
    ),
    dm012(
        NOT_ACHIEVED,
        "r1: only the left foot amputated -> stays in -> not achieved",
        "ampl_only",
        events=[ev("AMPL_COD", OLD)],
    ),
    dm012(
        ACHIEVED,
        "r1: only the right foot amputated, foot check in year -> achieved",
        "ampr_only_checked",
        events=[ev("AMPR_COD", OLD), ev("FRC_COD", Y)],
    ),
    dm012(
        NOT_ACHIEVED,
        "r1: right amputation dated after ACHV is ignored -> not excluded",
        "amp_right_after_achv",
        events=[ev("AMPL_COD", OLD), ev("AMPR_COD", date(2026, 4, 1))],
    ),
    # ---- rules 3-7 -----------------------------------------------------------------------
    dm012(
        pca("FEPU"),
        "r3: FEPU in 12 m -> pca FEPU",
        "fepu",
        events=[ev("FEPU_COD", date(2025, 4, 1))],
    ),
    dm012(
        NOT_ACHIEVED,
        "r3: FEPU 2025-03-31 -> not achieved",
        "fepu_out",
        events=[ev("FEPU_COD", date(2025, 3, 31))],
    ),
    dm012(pca("FEDEC"), "r4: FEDEC in 12 m -> pca FEDEC", "fedec", events=[ev("FEDEC_COD", Y)]),
    dm012(
        NOT_ACHIEVED,
        "r4: FEDEC 2025-03-31 -> not achieved",
        "fedec_out",
        events=[ev("FEDEC_COD", date(2025, 3, 31))],
    ),
    dm012(
        ACHIEVED,
        "r2 before r4: foot check and FEDEC in year -> achieved",
        "achiever_with_fedec",
        events=[ev("FEDEC_COD", Y), ev("FRC_COD", date(2025, 9, 1))],
    ),
    dm012(
        pca("FEPU"),
        "r3 before r4: FEPU and FEDEC -> FEPU",
        "order_fepu_fedec",
        events=[ev("FEDEC_COD", Y), ev("FEPU_COD", Y)],
    ),
    dm012(
        pca("DMPCAPU"),
        "r5: DMPCAPU in 12 m -> pca DMPCAPU",
        "dmpcapu",
        events=[ev("DMPCAPU_COD", Y)],
    ),
    dm012(
        pca("DMPCADEC"),
        "r6: DMPCADEC in 12 m -> pca DMPCADEC",
        "dmpcadec",
        events=[ev("DMPCADEC_COD", Y)],
    ),
    dm012(
        NOT_ACHIEVED,
        "r6: DMPCADEC 2025-03-31 -> not achieved",
        "dmpcadec_out",
        events=[ev("DMPCADEC_COD", date(2025, 3, 31))],
    ),
    dm012(
        ACHIEVED,
        "r2 before r6: foot check and DMPCADEC -> achieved",
        "achiever_with_dmpcadec",
        events=[ev("DMPCADEC_COD", Y), ev("FRC_COD", Y)],
    ),
    dm012(
        pca("DMPCAPU"),
        "r5 before r6: DMPCAPU and DMPCADEC -> DMPCAPU",
        "order_dmpcapu_dmpcadec",
        events=[ev("DMPCADEC_COD", Y), ev("DMPCAPU_COD", Y)],
    ),
    dm012(
        pca("DMINVITE"),
        "r7: invites 7 days apart in year -> DMINVITE",
        "invites_7",
        events=[invites(date(2025, 10, 1), date(2025, 10, 8))],
    ),
    dm012(
        NOT_ACHIEVED,
        "r7: invites 6 days apart -> not achieved",
        "invites_6",
        events=[invites(date(2025, 10, 1), date(2025, 10, 7))],
    ),
    dm012(
        NOT_ACHIEVED,
        "r7: first invite before PPSD -> one in-year invite",
        "invites_pre",
        events=[invites(date(2025, 3, 28), date(2025, 4, 5))],
    ),
    # ---- rules 8-9: new diagnosis / registration (3 months) ------------------------------
    dm012(pca("DIAG1_DAT"), "r8: DM_DAT 2026-01-01 -> DIAG1_DAT", "newdx_in", dx=date(2026, 1, 1)),
    dm012(
        NOT_ACHIEVED, "r8: DM_DAT 2025-12-31 -> not achieved", "newdx_out", dx=date(2025, 12, 31)
    ),
    dm012(
        pca("REG1_DAT3"),
        "r9: registered 2026-01-01 -> REG1_DAT3",
        "newreg_in",
        reg=date(2026, 1, 1),
    ),
    dm012(
        NOT_ACHIEVED,
        "r9: registered 2025-12-31 -> not achieved",
        "newreg_out",
        reg=date(2025, 12, 31),
    ),
    dm012(
        pca("DIAG1_DAT"),
        "r8 before r9: diagnosed and registered 2026-02-01 -> DIAG1_DAT",
        "order_newdx_newreg",
        dx=date(2026, 2, 1),
        reg=date(2026, 2, 1),
    ),
    dm012(
        ACHIEVED,
        "r2 before r8: diagnosed 2026-02-01 with a foot check -> achieved",
        "achiever_newdx",
        dx=date(2026, 2, 1),
        events=[ev("FRC_COD", date(2026, 2, 10))],
    ),
]


@pytest.mark.parametrize("c", CASES, ids=case_id)
def test_dm012(c, check):
    check(c, CASES)
