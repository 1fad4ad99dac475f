"""DM014: newly diagnosed patients referred to structured education within 9 months.

Chain (spec; reason fields from NHS Digital 2023/24 DM014). DM_DAT = earliest DM_COD;
DSEP1 = earliest DSEP_COD on/after DM_DAT (and <= ACHV).
  1 DM_DAT on/before PPED - 21 months (<= 2024-06-30) -> excluded DM_DAT2
  2 DSEP1 on/before PPED - 12 months (<= 2025-03-31) -> excluded DSEP_DAT
  3 DM_DAT after PPED - 9 months (>= 2025-07-01) and no DSEP1 -> excluded DM_DAT3
  4 DSEP1 on/before DM_DAT + 9 months -> achieved
  5 DSEPPU 12 m -> pca DSEPPU
  6 DSEPDEC in the 279 days following DM_DAT -> pca DSEPDEC
  7 DSEPSU in the 279 days following DM_DAT -> pca DSEPSU
  8 DMPCAPU 12 m; 9 DMPCADEC 12 m; 10 two invites -> DMINVITE
 11 registered after PPED - 3 months -> REG1_DAT3; else not_achieved
"""

from __future__ import annotations

from datetime import date

import pytest
from rulecases import ACHIEVED, NOT_ACHIEVED, case, case_id, days, ev, excluded, invites, pca

DX_MID = date(2024, 9, 1)  # in the cohort, not in the last 9 months
Y = date(2025, 6, 1)


def dsep(when: date):
    return ev("DSEP_COD", when)


def dm014(expect, why, pid, **kw):
    return case(pid, why, {"DM014": expect}, **kw)


CASES = [
    # ---- rule 1: diagnosed 21+ months before PPED ---------------------------------------
    dm014(
        excluded("DM_DAT2"),
        "r1: DM_DAT 2024-06-30 (= PPED - 21 months) -> DM_DAT2",
        "dx_2024_06_30",
        dx=date(2024, 6, 30),
        events=[dsep(date(2024, 7, 15))],
    ),
    dm014(
        ACHIEVED,
        "r1: DM_DAT 2024-07-01 is in the cohort; referral 2025-04-01 is"
        " DM_DAT + 9 months exactly and after PPED - 12 months -> achieved",
        "dx_2024_07_01_dsep_9m",
        dx=date(2024, 7, 1),
        events=[dsep(date(2025, 4, 1))],
    ),
    dm014(
        excluded("DM_DAT2"),
        "r1: DM_DAT is the earliest diagnosis: 2010 and re-coded 2025-08-01 -> DM_DAT2",
        "dx_recoded",
        dx=date(2010, 1, 1),
        events=[ev("DM_COD", date(2025, 8, 1)), dsep(date(2025, 9, 1))],
    ),
    # ---- rule 2: referral before the year ------------------------------------------------
    dm014(
        excluded("DSEP_DAT"),
        "r2: DSEP1 2025-03-31 (on PPED - 12 months) -> DSEP_DAT",
        "dsep_2025_03_31",
        dx=date(2024, 7, 1),
        events=[dsep(date(2025, 3, 31))],
    ),
    dm014(
        excluded("DSEP_DAT"),
        "r2: referral 2024-09-15, well before PPSD -> DSEP_DAT",
        "dsep_last_year",
        dx=DX_MID,
        events=[dsep(date(2024, 9, 15))],
    ),
    dm014(
        excluded("DSEP_DAT"),
        "r2: DSEP1 is the EARLIEST referral after dx: 2024-09-15 and 2025-05-01 -> DSEP_DAT",
        "dsep_two_referrals",
        dx=DX_MID,
        events=[dsep(date(2024, 9, 15)), dsep(date(2025, 5, 1))],
    ),
    # ---- rule 3: diagnosed in the last 9 months, not referred ----------------------------
    dm014(
        excluded("DM_DAT3"),
        "r3: DM_DAT 2025-07-01, no referral -> DM_DAT3",
        "dx_2025_07_01_no_dsep",
        dx=date(2025, 7, 1),
    ),
    dm014(
        NOT_ACHIEVED,
        "r3: DM_DAT 2025-06-30 is not in the last 9 months; no referral -> not achieved",
        "dx_2025_06_30_no_dsep",
        dx=date(2025, 6, 30),
    ),
    dm014(
        ACHIEVED,
        "r3/r4: DM_DAT 2025-07-01 referred 2025-08-01 -> achieved",
        "dx_2025_07_01_dsep",
        dx=date(2025, 7, 1),
        events=[dsep(date(2025, 8, 1))],
    ),
    dm014(
        ACHIEVED,
        "r4: diagnosed 2026-03-01 and referred on PPED -> achieved",
        "dx_2026_03_dsep_pped",
        dx=date(2026, 3, 1),
        events=[dsep(date(2026, 3, 31))],
    ),
    dm014(
        excluded("DM_DAT3"),
        "r3: referral after ACHV (2026-04-01) is ignored -> DM_DAT3",
        "dx_recent_dsep_after_achv",
        dx=date(2025, 11, 1),
        events=[dsep(date(2026, 4, 1))],
    ),
    dm014(
        excluded("DM_DAT3"),
        "r3 before r11: diagnosed 2025-12-01, registered 2026-01-15, no referral -> DM_DAT3",
        "order_dmdat3_before_newreg",
        dx=date(2025, 12, 1),
        reg=date(2026, 1, 15),
    ),
    # ---- rule 4: referral within 9 months of diagnosis -----------------------------------
    dm014(
        NOT_ACHIEVED,
        "r4: DM_DAT 2024-07-01, referral 2025-04-02 = DM_DAT + 9 months + 1 day -> not achieved",
        "dsep_9m_plus_1",
        dx=date(2024, 7, 1),
        events=[dsep(date(2025, 4, 2))],
    ),
    dm014(
        ACHIEVED,
        "r4: referral on the day of diagnosis counts (on/after DM_DAT)",
        "dsep_same_day",
        dx=date(2025, 5, 1),
        events=[dsep(date(2025, 5, 1))],
    ),
    dm014(
        NOT_ACHIEVED,
        "r4: referral only BEFORE the diagnosis is not DSEP1 -> not achieved",
        "dsep_before_dx",
        dx=date(2025, 1, 10),
        events=[dsep(date(2024, 12, 1))],
    ),
    dm014(
        ACHIEVED,
        "r4 month-end: DM_DAT 2025-05-31 + 9 months = 2026-02-28 (clamped);"
        " referral 2026-02-28 -> achieved",
        "dsep_month_end_in",
        dx=date(2025, 5, 31),
        events=[dsep(date(2026, 2, 28))],
    ),
    dm014(
        NOT_ACHIEVED,
        "r4 month-end: DM_DAT 2025-05-31, referral 2026-03-01 is after 2026-02-28 -> not achieved",
        "dsep_month_end_out",
        dx=date(2025, 5, 31),
        events=[dsep(date(2026, 3, 1))],
    ),
    dm014(
        ACHIEVED,
        "r4 before r9: referred in time and DMPCADEC -> achieved",
        "achiever_with_dmpcadec",
        dx=DX_MID,
        events=[dsep(date(2025, 5, 1)), ev("DMPCADEC_COD", Y)],
    ),
    dm014(
        ACHIEVED,
        "r4 before r11: diagnosed 2025-02-01, registered 2026-01-10, referred"
        " 2025-04-01 -> achieved",
        "achiever_new_reg",
        dx=date(2025, 2, 1),
        reg=date(2026, 1, 10),
        events=[dsep(date(2025, 4, 1))],
    ),
    # ---- rules 5-7: structured education PCAs ---------------------------------------------
    dm014(
        pca("DSEPPU"),
        "r5: DSEPPU 2025-04-01 (in 12 m) -> pca DSEPPU",
        "dseppu_in",
        dx=DX_MID,
        events=[ev("DSEPPU_COD", date(2025, 4, 1))],
    ),
    dm014(
        NOT_ACHIEVED,
        "r5: DSEPPU 2025-03-31 -> not achieved",
        "dseppu_out",
        dx=DX_MID,
        events=[ev("DSEPPU_COD", date(2025, 3, 31))],
    ),
    dm014(
        pca("DSEPDEC"),
        "r6: DSEPDEC on DM_DAT + 279 days -> pca DSEPDEC",
        "dsepdec_279",
        dx=DX_MID,
        events=[ev("DSEPDEC_COD", DX_MID + days(279))],
    ),
    dm014(
        NOT_ACHIEVED,
        "r6: DSEPDEC on DM_DAT + 280 days -> not achieved",
        "dsepdec_280",
        dx=DX_MID,
        events=[ev("DSEPDEC_COD", DX_MID + days(280))],
    ),
    dm014(
        pca("DSEPDEC"),
        "r6: DSEPDEC window is relative to diagnosis, not the year:"
        " declined 2024-10-01 (before PPSD, 30 days after dx) -> pca DSEPDEC",
        "dsepdec_last_year",
        dx=DX_MID,
        events=[ev("DSEPDEC_COD", date(2024, 10, 1))],
    ),
    dm014(
        pca("DSEPSU"),
        "r7: DSEPSU on DM_DAT + 279 days -> pca DSEPSU",
        "dsepsu_279",
        dx=DX_MID,
        events=[ev("DSEPSU_COD", DX_MID + days(279))],
    ),
    dm014(
        NOT_ACHIEVED,
        "r7: DSEPSU on DM_DAT + 280 days -> not achieved",
        "dsepsu_280",
        dx=DX_MID,
        events=[ev("DSEPSU_COD", DX_MID + days(280))],
    ),
    dm014(
        pca("DSEPPU"),
        "r5 before r6: DSEPPU and DSEPDEC -> DSEPPU",
        "order_dseppu_dsepdec",
        dx=DX_MID,
        events=[ev("DSEPDEC_COD", date(2024, 10, 1)), ev("DSEPPU_COD", Y)],
    ),
    # ---- rules 8-11 ----------------------------------------------------------------------
    dm014(
        pca("DMPCAPU"),
        "r8: DMPCAPU in 12 m -> pca DMPCAPU",
        "dmpcapu",
        dx=DX_MID,
        events=[ev("DMPCAPU_COD", Y)],
    ),
    dm014(
        pca("DMPCADEC"),
        "r9: DMPCADEC in 12 m -> pca DMPCADEC",
        "dmpcadec",
        dx=DX_MID,
        events=[ev("DMPCADEC_COD", Y)],
    ),
    dm014(
        NOT_ACHIEVED,
        "r9: DMPCADEC 2025-03-31 -> not achieved",
        "dmpcadec_out",
        dx=DX_MID,
        events=[ev("DMPCADEC_COD", date(2025, 3, 31))],
    ),
    dm014(
        pca("DMINVITE"),
        "r10: two invites 7 days apart -> DMINVITE",
        "invites_7",
        dx=DX_MID,
        events=[invites(date(2025, 4, 1), date(2025, 4, 8))],
    ),
    dm014(
        NOT_ACHIEVED,
        "r10: invites 6 days apart -> not achieved",
        "invites_6",
        dx=DX_MID,
        events=[invites(date(2025, 4, 1), date(2025, 4, 7))],
    ),
    dm014(
        pca("REG1_DAT3"),
        "r11: registered 2026-01-01 -> REG1_DAT3",
        "newreg_in",
        dx=DX_MID,
        reg=date(2026, 1, 1),
    ),
    dm014(
        NOT_ACHIEVED,
        "r11: registered 2025-12-31 -> not achieved",
        "newreg_out",
        dx=DX_MID,
        reg=date(2025, 12, 31),
    ),
]


@pytest.mark.parametrize("c", CASES, ids=case_id)
def test_dm014(c, check):
    check(c, CASES)
