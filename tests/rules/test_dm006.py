"""DM006: diabetes with proteinuria or micro-albuminuria treated with an ACE-I or ARB.

Chain (spec; reason fields from NHS Digital 2023/24 DM006):
  1 no PRT_COD or MAL_COD ever (<= ACHV) -> excluded PRT_COD
  2 ACE_COD or AII_COD issued in 6 m (after PPED - 6 months: 2025-10-01 in, 2025-09-30 out)
    -> achieved
  3 (XACE_COD ever or TXACE_COD 12 m) and (XAII_COD ever or TXAII_COD 12 m) -> pca XACE
  4 ACEDEC_COD 12 m and AIIDEC_COD 12 m -> pca ACEDEC
  5 (XACE ever or TXACE 12 m or ACEDEC 12 m) and (XAII ever or TXAII 12 m or AIIDEC 12 m)
    -> pca XACEARBDEC
  6 DMPCAPU 12 m; 7 DMPCADEC 12 m; 8 two DMINVITE (>= 7 days apart, on/after PPSD) -> DMINVITE
  9 DM_DAT after PPED - 3 months (>= 2026-01-01) -> DIAG1_DAT
 10 registered after PPED - 3 months -> REG1_DAT3; else not_achieved
Every case below except the PRT_COD ones has proteinuria recorded in 2020.
"""

from __future__ import annotations

from datetime import date

import pytest
from rulecases import ACHIEVED, NOT_ACHIEVED, case, case_id, ev, excluded, invites, pca

PRT = ev("PRT_COD", date(2020, 3, 1))
OLD = date(2010, 1, 1)
Y = date(2025, 6, 1)  # a date in the year


def dm006(expect, why, pid, **kw):
    kw.setdefault("events", [])
    kw["events"] = [PRT, *kw["events"]] if kw.pop("prt", True) else kw["events"]
    return case(pid, why, {"DM006": expect}, **kw)


CASES = [
    # ---- rule 1: proteinuria / micro-albuminuria ----------------------------------------
    dm006(excluded("PRT_COD"), "r1: no PRT/MAL code -> excluded PRT_COD", "no_prt", prt=False),
    dm006(
        excluded("PRT_COD"),
        "r1: no PRT/MAL, even with an ACE-I in 6 m -> excluded (r1 precedes r2)",
        "no_prt_with_ace",
        prt=False,
        events=[ev("ACE_COD", date(2025, 11, 1))],
    ),
    dm006(
        ACHIEVED,
        "r1: micro-albuminuria (MAL_COD) alone qualifies; ACE-I in 6 m -> achieved",
        "mal_only",
        prt=False,
        events=[ev("MAL_COD", date(2019, 1, 1)), ev("ACE_COD", date(2025, 11, 1))],
    ),
    dm006(
        excluded("PRT_COD"),
        "r1: PRT_COD dated after ACHV is ignored -> excluded PRT_COD",
        "prt_after_achv",
        prt=False,
        events=[ev("PRT_COD", date(2026, 4, 1)), ev("ACE_COD", date(2025, 11, 1))],
    ),
    dm006(
        ACHIEVED,
        "r1: PRT_COD on ACHV counts; ACE-I in 6 m -> achieved",
        "prt_on_achv",
        prt=False,
        events=[ev("PRT_COD", date(2026, 3, 31)), ev("ACE_COD", date(2026, 3, 31))],
    ),
    # ---- rule 2: ACE-I / ARB in the last 6 months ----------------------------------------
    dm006(
        ACHIEVED,
        "r2: ACE_COD issued 2025-10-01 (after PPED - 6 months) -> achieved",
        "ace_2025_10_01",
        events=[ev("ACE_COD", date(2025, 10, 1))],
    ),
    dm006(
        NOT_ACHIEVED,
        "r2: ACE_COD issued 2025-09-30 (not after PPED - 6 months) -> not achieved",
        "ace_2025_09_30",
        events=[ev("ACE_COD", date(2025, 9, 30))],
    ),
    dm006(
        ACHIEVED,
        "r2: AII_COD (ARB) issued on PPED -> achieved",
        "arb_on_pped",
        events=[ev("AII_COD", date(2026, 3, 31))],
    ),
    dm006(
        NOT_ACHIEVED,
        "r2: ARB issued 2025-09-30 -> not achieved",
        "arb_2025_09_30",
        events=[ev("AII_COD", date(2025, 9, 30))],
    ),
    dm006(
        NOT_ACHIEVED,
        "r2: ACE_COD issued 2026-04-01, after ACHV -> ignored -> not achieved",
        "ace_after_achv",
        events=[ev("ACE_COD", date(2026, 4, 1))],
    ),
    # ---- rule 3: contraindicated to both -------------------------------------------------
    dm006(
        pca("XACE"),
        "r3: persisting XACE (2010) and XAII (2010), 'ever' -> pca XACE",
        "xace_xaii_old",
        events=[ev("XACE_COD", OLD), ev("XAII_COD", OLD)],
    ),
    dm006(
        pca("XACE"),
        "r3: persisting XACE + expiring TXAII on 2025-04-01 (in 12 m) -> pca XACE",
        "xace_txaii_in",
        events=[ev("XACE_COD", OLD), ev("TXAII_COD", date(2025, 4, 1))],
    ),
    dm006(
        NOT_ACHIEVED,
        "r3: expiring TXACE 2025-03-31 has expired; XAII persists -> ACE side missing ->"
        " no PCA -> not achieved",
        "txace_expired_xaii",
        events=[ev("TXACE_COD", date(2025, 3, 31)), ev("XAII_COD", OLD)],
    ),
    dm006(
        pca("XACE"),
        "r3: TXACE 2025-04-01 and TXAII 2025-04-01 (both in 12 m) -> pca XACE",
        "txace_txaii_in",
        events=[ev("TXACE_COD", date(2025, 4, 1)), ev("TXAII_COD", date(2025, 4, 1))],
    ),
    dm006(
        NOT_ACHIEVED,
        "r3: only an ACE-I contraindication -> not both -> not achieved",
        "xace_only",
        events=[ev("XACE_COD", OLD)],
    ),
    dm006(
        ACHIEVED,
        "r2 before r3: ARB issued in 6 m despite XACE + XAII -> achieved",
        "achiever_with_xace_xaii",
        events=[ev("XACE_COD", OLD), ev("XAII_COD", OLD), ev("AII_COD", date(2026, 1, 5))],
    ),
    # ---- rule 4: declined both -----------------------------------------------------------
    dm006(
        pca("ACEDEC"),
        "r4: ACEDEC and AIIDEC both in 12 m -> pca ACEDEC",
        "acedec_aiidec",
        events=[ev("ACEDEC_COD", Y), ev("AIIDEC_COD", date(2025, 4, 1))],
    ),
    dm006(
        NOT_ACHIEVED,
        "r4: ACEDEC 2025-03-31 (out of 12 m), AIIDEC in 12 m -> not both -> not achieved",
        "acedec_out_aiidec_in",
        events=[ev("ACEDEC_COD", date(2025, 3, 31)), ev("AIIDEC_COD", Y)],
    ),
    dm006(
        NOT_ACHIEVED,
        "r4: ACEDEC only -> not achieved",
        "acedec_only",
        events=[ev("ACEDEC_COD", Y)],
    ),
    # ---- rule 5: mixture of contraindicated / declined ----------------------------------
    dm006(
        pca("XACEARBDEC"),
        "r5: XACE (persisting) and AIIDEC in 12 m -> pca XACEARBDEC",
        "xace_aiidec",
        events=[ev("XACE_COD", OLD), ev("AIIDEC_COD", Y)],
    ),
    dm006(
        pca("XACEARBDEC"),
        "r5: ACEDEC in 12 m and TXAII in 12 m -> pca XACEARBDEC",
        "acedec_txaii",
        events=[ev("ACEDEC_COD", Y), ev("TXAII_COD", Y)],
    ),
    dm006(
        NOT_ACHIEVED,
        "r5: XACE and AIIDEC dated 2025-03-31 (out of 12 m) -> not achieved",
        "xace_aiidec_out",
        events=[ev("XACE_COD", OLD), ev("AIIDEC_COD", date(2025, 3, 31))],
    ),
    # ---- rules 6-8 -----------------------------------------------------------------------
    dm006(
        pca("DMPCAPU"),
        "r6: DMPCAPU in 12 m -> pca DMPCAPU",
        "dmpcapu",
        events=[ev("DMPCAPU_COD", date(2025, 4, 1))],
    ),
    dm006(
        NOT_ACHIEVED,
        "r6: DMPCAPU 2025-03-31 -> not achieved",
        "dmpcapu_out",
        events=[ev("DMPCAPU_COD", date(2025, 3, 31))],
    ),
    dm006(
        pca("DMPCADEC"),
        "r7: DMPCADEC in 12 m -> pca DMPCADEC",
        "dmpcadec",
        events=[ev("DMPCADEC_COD", Y)],
    ),
    dm006(
        ACHIEVED,
        "r2 before r7: ACE-I in 6 m and DMPCADEC -> achieved",
        "achiever_with_dmpcadec",
        events=[ev("DMPCADEC_COD", Y), ev("ACE_COD", date(2025, 12, 1))],
    ),
    dm006(
        pca("DMINVITE"),
        "r8: invites 2025-04-01 and 2025-04-08 -> pca DMINVITE",
        "invites_7_days",
        events=[invites(date(2025, 4, 1), date(2025, 4, 8))],
    ),
    dm006(
        NOT_ACHIEVED,
        "r8: invites 6 days apart -> not achieved",
        "invites_6_days",
        events=[invites(date(2025, 4, 1), date(2025, 4, 7))],
    ),
    dm006(
        NOT_ACHIEVED,
        "r8: first invite before PPSD (2025-03-30), second 2025-04-10 -> one invite",
        "invites_before_ppsd",
        events=[invites(date(2025, 3, 30), date(2025, 4, 10))],
    ),
    dm006(
        pca("XACE"),
        "r3 before r7: XACE + XAII and DMPCADEC -> XACE",
        "order_xace_before_dmpcadec",
        events=[ev("XACE_COD", OLD), ev("XAII_COD", OLD), ev("DMPCADEC_COD", Y)],
    ),
    dm006(
        pca("DMPCAPU"),
        "r6 before r7: DMPCAPU and DMPCADEC -> DMPCAPU",
        "order_dmpcapu_before_dmpcadec",
        events=[ev("DMPCADEC_COD", Y), ev("DMPCAPU_COD", Y)],
    ),
    dm006(
        pca("DMINVITE"),
        "r8 before r9: two invites and diagnosed 2026-01-01 -> DMINVITE",
        "order_invites_before_new_dx",
        dx=date(2026, 1, 1),
        events=[invites(date(2026, 1, 5), date(2026, 2, 5))],
    ),
    # ---- rule 9: diagnosed in last 3 months (DM_DAT after 2025-12-31) ---------------------
    dm006(
        pca("DIAG1_DAT"),
        "r9: DM_DAT 2026-01-01 (after PPED - 3 months) -> DIAG1_DAT",
        "newdx_2026_01_01",
        dx=date(2026, 1, 1),
    ),
    dm006(
        NOT_ACHIEVED,
        "r9: DM_DAT 2025-12-31 -> not new -> not achieved",
        "newdx_2025_12_31",
        dx=date(2025, 12, 31),
    ),
    # ---- rule 10: registered in last 3 months ---------------------------------------------
    dm006(
        pca("REG1_DAT3"),
        "r10: registered 2026-01-01 -> REG1_DAT3",
        "newreg_2026_01_01",
        reg=date(2026, 1, 1),
    ),
    dm006(
        NOT_ACHIEVED,
        "r10: registered 2025-12-31 -> not achieved",
        "newreg_2025_12_31",
        reg=date(2025, 12, 31),
    ),
]


@pytest.mark.parametrize("c", CASES, ids=case_id)
def test_dm006(c, check):
    check(c, CASES)
