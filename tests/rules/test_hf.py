"""HF_REG (HF001), HF2_REG and HF003, HF006, HF007, HF008 (QOF 2025/26).

Expectations come from the rules (qof-rule-logic.md §2, §3.6; NHS Digital 2023/24 HF fields),
not from engine output. Content reading: HF003 = ACE-I/ARB and HF006 = HF-licensed
beta-blocker (both HF2_REG), HF007 = review (HF_REG) - the one the official fields support.

HF_REG: latest HF_COD not followed by a later HFRES_COD (same day keeps); all ages.
HF2_REG: on HF_REG with an HFLVSD_COD or REDEJCFRAC_COD code.
HF003: 1 ACE-I/ARB after 2025-09-30 -> achieved; 2 ACE-I and ARB contraindicated -> XACE;
  3 both declined -> ACEDEC; 4 each contraindicated or declined -> XACEARBDEC; HFPCAPU,
  HFPCADEC, HFINVITE; first LVSD/reduced-EF code after 2025-12-31 -> DIAG1_DAT; REG1_DAT3.
HF006: licensed BB after 2025-09-30 -> achieved; XLBB, TXLBB, LBBDEC, ULBB (unlicensed BB in
  6 m), HF PCAs, DIAG1_DAT, REG1_DAT3.
HF007: HF review and medication review after 2025-03-31 -> achieved; MEDRVWDEC, HF PCAs,
  first HF code after 2025-12-31 -> DIAG1_DAT, REG1_DAT3.
HF008: first HF code before 2023-04-01 -> excluded DIAG_DAT23; echo/specialist from 3 months
  before to 6 months after the first HF code, or (diagnosed before registering) in the 6 months
  from registration -> achieved; PALCARDAT2, HFPCAPU6, ECPUSP6, DIAG1_DAT, REG1_DAT3, REG6_ECOG.
"""

from __future__ import annotations

from datetime import date

import pytest
from rulecases import ACHIEVED, NOT_ACHIEVED, case, case_id, ev, excluded, pca

HF = ev("HF_COD", date(2015, 1, 1))
LVSD = ev("HFLVSD_COD", date(2015, 2, 1))
HF_ALL = ("HF003", "HF006", "HF007", "HF008")
NO_ROWS = dict.fromkeys(HF_ALL)
OLD = excluded("DIAG_DAT23")  # HF008 for anyone diagnosed before April 2023


def hf(pid, why, expect=None, *, events=(), **kw):
    return case(pid, why, expect, events=events, dx=None, **kw)


def invites(*dates):
    return [ev("HFINVITE_COD", d) for d in dates]


def echo(when):
    return ev("ECHO_COD", when)


HF23 = ev("HF_COD", date(2023, 6, 1))  # diagnosed in the HF008 era

CASES = [
    # ---- HF_REG / HF2_REG -------------------------------------------------------------------
    hf(
        "reg_hf",
        "HF_REG: unresolved HF, no LVSD -> HF007/HF008 rows, no HF003/HF006 rows",
        {"HF007": NOT_ACHIEVED, "HF008": OLD, "HF003": None, "HF006": None},
        events=[HF],
    ),
    hf("reg_none", "HF_REG: no HF code -> no rows", NO_ROWS),
    hf("reg_lvsd_only", "HF2_REG: LVSD code without an HF code -> no rows", NO_ROWS, events=[LVSD]),
    hf(
        "reg_hf2",
        "HF2_REG: HF and LVSD -> rows for all four; nothing recorded -> not achieved",
        {"HF003": NOT_ACHIEVED, "HF006": NOT_ACHIEVED, "HF007": NOT_ACHIEVED, "HF008": OLD},
        events=[HF, LVSD],
    ),
    hf(
        "reg_hf2_redef",
        "HF2_REG: HF and reduced ejection fraction -> HF003 row",
        {"HF003": NOT_ACHIEVED},
        events=[HF, ev("REDEJCFRAC_COD", date(2016, 1, 1))],
    ),
    hf(
        "reg_resolved",
        "HF_REG: HFRES after the latest HF -> no rows (HF2 too)",
        NO_ROWS,
        events=[HF, LVSD, ev("HFRES_COD", date(2020, 1, 1))],
    ),
    hf(
        "reg_resolved_same_day",
        "HF_REG: HFRES on the day of the latest HF -> stays",
        {"HF007": NOT_ACHIEVED},
        events=[HF, ev("HFRES_COD", date(2015, 1, 1))],
    ),
    hf(
        "reg_resolved_then_hf",
        "HF_REG: resolved 2018, HF again 2019 -> on register",
        {"HF007": NOT_ACHIEVED},
        events=[HF, ev("HFRES_COD", date(2018, 1, 1)), ev("HF_COD", date(2019, 1, 1))],
    ),
    hf(
        "reg_child",
        "HF_REG: all ages - a 3-year-old -> on register",
        {"HF007": NOT_ACHIEVED},
        events=[ev("HF_COD", date(2024, 1, 1))],
        dob=date(2022, 6, 1),
    ),
    hf(
        "reg_after_achv",
        "HF_REG: HF coded after ACHV -> no rows",
        NO_ROWS,
        events=[ev("HF_COD", date(2026, 4, 1))],
    ),
    hf(
        "reg_dereg",
        "population: deregistered 2026-03-31 (on ACHV) -> no rows",
        NO_ROWS,
        events=[HF],
        dereg=date(2026, 3, 31),
    ),
    hf(
        "reg_dead",
        "population: died 2025-05-01 -> no rows",
        NO_ROWS,
        events=[HF],
        death=date(2025, 5, 1),
    ),
    # ---- HF003 --------------------------------------------------------------------------------
    hf(
        "hf003_ace_in",
        "HF003 r1: ACE-I 2025-10-01 -> achieved",
        {"HF003": ACHIEVED},
        events=[HF, LVSD, ev("ACE_COD", date(2025, 10, 1))],
    ),
    hf(
        "hf003_ace_out",
        "HF003 r1: ACE-I 2025-09-30 -> not achieved",
        {"HF003": NOT_ACHIEVED},
        events=[HF, LVSD, ev("ACE_COD", date(2025, 9, 30))],
    ),
    hf(
        "hf003_arb",
        "HF003 r1: ARB on PPED -> achieved",
        {"HF003": ACHIEVED},
        events=[HF, LVSD, ev("AII_COD", date(2026, 3, 31))],
    ),
    hf(
        "hf003_x_both",
        "HF003 r2: persisting ACE-I and ARB contraindications -> XACE",
        {"HF003": pca("XACE")},
        events=[HF, LVSD, ev("XACE_COD", date(2010, 1, 1)), ev("XAII_COD", date(2010, 1, 1))],
    ),
    hf(
        "hf003_x_tx_in",
        "HF003 r2: XACE + expiring ARB CI 2025-04-01 -> XACE",
        {"HF003": pca("XACE")},
        events=[HF, LVSD, ev("XACE_COD", date(2010, 1, 1)), ev("TXAII_COD", date(2025, 4, 1))],
    ),
    hf(
        "hf003_x_tx_out",
        "HF003 r2: XACE + expiring ARB CI 2025-03-31 -> only one drug CI -> not achieved",
        {"HF003": NOT_ACHIEVED},
        events=[HF, LVSD, ev("XACE_COD", date(2010, 1, 1)), ev("TXAII_COD", date(2025, 3, 31))],
    ),
    hf(
        "hf003_x_only_ace",
        "HF003: only the ACE-I contraindicated -> not achieved",
        {"HF003": NOT_ACHIEVED},
        events=[HF, LVSD, ev("XACE_COD", date(2010, 1, 1))],
    ),
    hf(
        "hf003_dec_both",
        "HF003 r3: ACE-I and ARB declined in year -> ACEDEC",
        {"HF003": pca("ACEDEC")},
        events=[HF, LVSD, ev("ACEDEC_COD", date(2025, 5, 1)), ev("AIIDEC_COD", date(2025, 5, 1))],
    ),
    hf(
        "hf003_x_dec",
        "HF003 r4: ACE-I contraindicated, ARB declined -> XACEARBDEC",
        {"HF003": pca("XACEARBDEC")},
        events=[HF, LVSD, ev("XACE_COD", date(2010, 1, 1)), ev("AIIDEC_COD", date(2025, 5, 1))],
    ),
    hf(
        "hf003_achiever_x",
        "HF003 r1 first: on an ARB with both contraindications -> achieved",
        {"HF003": ACHIEVED},
        events=[
            HF,
            LVSD,
            ev("AII_COD", date(2026, 1, 1)),
            ev("XACE_COD", date(2010, 1, 1)),
            ev("XAII_COD", date(2010, 1, 1)),
        ],
    ),
    hf(
        "hf003_pu",
        "HF003: HF care unsuitable in year -> HFPCAPU",
        {"HF003": pca("HFPCAPU")},
        events=[HF, LVSD, ev("HFPCAPU_COD", date(2025, 4, 1))],
    ),
    hf(
        "hf003_dec",
        "HF003: declined HF care in year -> HFPCADEC",
        {"HF003": pca("HFPCADEC")},
        events=[HF, LVSD, ev("HFPCADEC_COD", date(2025, 4, 1))],
    ),
    hf(
        "hf003_inv7",
        "HF003: two HF invitations 7 days apart -> HFINVITE",
        {"HF003": pca("HFINVITE")},
        events=[HF, LVSD, invites(date(2025, 9, 1), date(2025, 9, 8))],
    ),
    hf(
        "hf003_inv6",
        "HF003: two HF invitations 6 days apart -> not achieved",
        {"HF003": NOT_ACHIEVED},
        events=[HF, LVSD, invites(date(2025, 9, 1), date(2025, 9, 7))],
    ),
    hf(
        "hf003_lvsd_new",
        "HF003: first LVSD code 2026-01-01 -> DIAG1_DAT (HF itself from 2015)",
        {"HF003": pca("DIAG1_DAT"), "HF007": NOT_ACHIEVED},
        events=[HF, ev("HFLVSD_COD", date(2026, 1, 1))],
    ),
    hf(
        "hf003_lvsd_edge",
        "HF003: first LVSD code 2025-12-31 -> not achieved",
        {"HF003": NOT_ACHIEVED},
        events=[HF, ev("HFLVSD_COD", date(2025, 12, 31))],
    ),
    hf(
        "hf003_reg_new",
        "HF003: registered 2026-01-01 -> REG1_DAT3",
        {"HF003": pca("REG1_DAT3")},
        events=[HF, LVSD],
        reg=date(2026, 1, 1),
    ),
    hf(
        "hf003_reg_edge",
        "HF003: registered 2025-12-31 -> not achieved",
        {"HF003": NOT_ACHIEVED},
        events=[HF, LVSD],
        reg=date(2025, 12, 31),
    ),
    # ---- HF006 --------------------------------------------------------------------------------
    hf(
        "hf006_bb_in",
        "HF006 r1: bisoprolol/carvedilol/nebivolol 2025-10-01 -> achieved",
        {"HF006": ACHIEVED},
        events=[HF, LVSD, ev("LICBB_COD", date(2025, 10, 1))],
    ),
    hf(
        "hf006_bb_out",
        "HF006 r1: licensed BB 2025-09-30 -> not achieved",
        {"HF006": NOT_ACHIEVED},
        events=[HF, LVSD, ev("LICBB_COD", date(2025, 9, 30))],
    ),
    hf(
        "hf006_unlic",
        "HF006: unlicensed BB in last 6 m -> ULBB",
        {"HF006": pca("ULBB")},
        events=[HF, LVSD, ev("UNLICBB_COD", date(2025, 10, 1))],
    ),
    hf(
        "hf006_unlic_old",
        "HF006: unlicensed BB 2025-09-30 -> not achieved",
        {"HF006": NOT_ACHIEVED},
        events=[HF, LVSD, ev("UNLICBB_COD", date(2025, 9, 30))],
    ),
    hf(
        "hf006_both",
        "HF006 r1 first: licensed and unlicensed BB -> achieved",
        {"HF006": ACHIEVED},
        events=[HF, LVSD, ev("LICBB_COD", date(2026, 1, 1)), ev("UNLICBB_COD", date(2026, 1, 1))],
    ),
    hf(
        "hf006_xlbb",
        "HF006: persisting BB contraindication -> XLBB",
        {"HF006": pca("XLBB")},
        events=[HF, LVSD, ev("XLBB_COD", date(2005, 1, 1))],
    ),
    hf(
        "hf006_txlbb",
        "HF006: expiring BB contraindication 2025-04-01 -> TXLBB",
        {"HF006": pca("TXLBB")},
        events=[HF, LVSD, ev("TXLBB_COD", date(2025, 4, 1))],
    ),
    hf(
        "hf006_txlbb_old",
        "HF006: expiring BB contraindication 2025-03-31 -> not achieved",
        {"HF006": NOT_ACHIEVED},
        events=[HF, LVSD, ev("TXLBB_COD", date(2025, 3, 31))],
    ),
    hf(
        "hf006_lbbdec",
        "HF006: declined BB in year -> LBBDEC",
        {"HF006": pca("LBBDEC")},
        events=[HF, LVSD, ev("LBBDEC_COD", date(2025, 6, 1))],
    ),
    hf(
        "hf006_new",
        "HF006: first LVSD code 2026-02-01 -> DIAG1_DAT",
        {"HF006": pca("DIAG1_DAT")},
        events=[HF, ev("HFLVSD_COD", date(2026, 2, 1))],
    ),
    hf(
        "hf006_reg",
        "HF006: registered 2026-03-01 -> REG1_DAT3",
        {"HF006": pca("REG1_DAT3")},
        events=[HF, LVSD],
        reg=date(2026, 3, 1),
    ),
    # ---- HF007 --------------------------------------------------------------------------------
    hf(
        "hf007_both",
        "HF007 r1: HF review and medication review in year -> achieved",
        {"HF007": ACHIEVED},
        events=[HF, ev("HFRVW_COD", date(2025, 4, 1)), ev("MEDRVW_COD", date(2025, 4, 1))],
    ),
    hf(
        "hf007_rvw_old",
        "HF007 r1: HF review 2025-03-31 (out of window) -> not achieved",
        {"HF007": NOT_ACHIEVED},
        events=[HF, ev("HFRVW_COD", date(2025, 3, 31)), ev("MEDRVW_COD", date(2025, 6, 1))],
    ),
    hf(
        "hf007_medrvw_only",
        "HF007 r1: medication review alone -> not achieved",
        {"HF007": NOT_ACHIEVED},
        events=[HF, ev("MEDRVW_COD", date(2025, 6, 1))],
    ),
    hf(
        "hf007_medrvw_old",
        "HF007 r1: medication review 2025-03-31 -> not achieved",
        {"HF007": NOT_ACHIEVED},
        events=[HF, ev("MEDRVW_COD", date(2025, 3, 31))],
    ),
    hf(
        "hf007_medrvwdec",
        "HF007: medication review declined in year -> MEDRVWDEC",
        {"HF007": pca("MEDRVWDEC")},
        events=[HF, ev("MEDRVWDEC_COD", date(2025, 6, 1))],
    ),
    hf(
        "hf007_inv",
        "HF007: two invitations 7 days apart -> HFINVITE",
        {"HF007": pca("HFINVITE")},
        events=[HF, invites(date(2025, 4, 1), date(2025, 4, 8))],
    ),
    hf(
        "hf007_new",
        "HF007: first HF 2026-01-01 -> DIAG1_DAT",
        {"HF007": pca("DIAG1_DAT")},
        events=[ev("HF_COD", date(2026, 1, 1))],
    ),
    hf(
        "hf007_new_edge",
        "HF007: first HF 2025-12-31 -> not achieved",
        {"HF007": NOT_ACHIEVED},
        events=[ev("HF_COD", date(2025, 12, 31))],
    ),
    hf(
        "hf007_reg",
        "HF007: registered 2026-01-01 -> REG1_DAT3",
        {"HF007": pca("REG1_DAT3")},
        events=[HF],
        reg=date(2026, 1, 1),
    ),
    # ---- HF008 --------------------------------------------------------------------------------
    hf(
        "hf008_dx_2023_03_31",
        "HF008 r1: first HF 2023-03-31 -> excluded DIAG_DAT23",
        {"HF008": OLD},
        events=[ev("HF_COD", date(2023, 3, 31)), echo(date(2023, 4, 1))],
    ),
    hf(
        "hf008_dx_2023_04_01",
        "HF008 r1: first HF 2023-04-01, no echo -> not achieved",
        {"HF008": NOT_ACHIEVED},
        events=[ev("HF_COD", date(2023, 4, 1))],
    ),
    hf(
        "hf008_earliest",
        "HF008 r1: HF 2020 and again 2024: earliest decides -> excluded",
        {"HF008": OLD},
        events=[
            ev("HF_COD", date(2020, 1, 1)),
            ev("HF_COD", date(2024, 1, 1)),
            echo(date(2024, 1, 2)),
        ],
    ),
    hf(
        "hf008_echo_3m_before",
        "HF008 r2: echo 2023-03-01 = 3 months before dx 2023-06-01 -> achieved",
        {"HF008": ACHIEVED},
        events=[HF23, echo(date(2023, 3, 1))],
    ),
    hf(
        "hf008_echo_too_early",
        "HF008 r2: echo 2023-02-28 (> 3 months before) -> not achieved",
        {"HF008": NOT_ACHIEVED},
        events=[HF23, echo(date(2023, 2, 28))],
    ),
    hf(
        "hf008_echo_6m_after",
        "HF008 r2: echo 2023-12-01 = 6 months after dx -> achieved",
        {"HF008": ACHIEVED},
        events=[HF23, echo(date(2023, 12, 1))],
    ),
    hf(
        "hf008_echo_too_late",
        "HF008 r2: echo 2023-12-02 (> 6 months after) -> not achieved",
        {"HF008": NOT_ACHIEVED},
        events=[HF23, echo(date(2023, 12, 2))],
    ),
    hf(
        "hf008_specialist",
        "HF008 r2: specialist assessment 1 month after dx -> achieved",
        {"HF008": ACHIEVED},
        events=[HF23, ev("HFSPEC_COD", date(2023, 7, 1))],
    ),
    hf(
        "hf008_transfer_in",
        "HF008 r2: dx 2024-01-01 before registering 2024-06-01, echo"
        " 2024-12-01 (6 months from registration) -> achieved",
        {"HF008": ACHIEVED},
        events=[ev("HF_COD", date(2024, 1, 1)), echo(date(2024, 12, 1))],
        reg=date(2024, 6, 1),
    ),
    hf(
        "hf008_transfer_late",
        "HF008 r2: as above, echo 2024-12-02 -> not achieved",
        {"HF008": NOT_ACHIEVED},
        events=[ev("HF_COD", date(2024, 1, 1)), echo(date(2024, 12, 2))],
        reg=date(2024, 6, 1),
    ),
    hf(
        "hf008_palliative",
        "HF008: palliative care code 2024 -> PALCARDAT2",
        {"HF008": pca("PALCARDAT2")},
        events=[HF23, ev("PALCARE_COD", date(2024, 1, 1))],
    ),
    hf(
        "hf008_palliative_ni",
        "HF008: palliative then no longer indicated -> not achieved",
        {"HF008": NOT_ACHIEVED},
        events=[HF23, ev("PALCARE_COD", date(2024, 1, 1)), ev("PALCARENI_COD", date(2024, 6, 1))],
    ),
    hf(
        "hf008_palliative_2008",
        "HF008: palliative code 2008-04-01 counts -> PALCARDAT2",
        {"HF008": pca("PALCARDAT2")},
        events=[HF23, ev("PALCARE_COD", date(2008, 4, 1))],
    ),
    hf(
        "hf008_palliative_pre2008",
        "HF008: palliative code 2008-03-31 only -> not achieved",
        {"HF008": NOT_ACHIEVED},
        events=[HF23, ev("PALCARE_COD", date(2008, 3, 31))],
    ),
    hf(
        "hf008_palliative_achiever",
        "HF008 r2 first: echo in window and palliative -> achieved",
        {"HF008": ACHIEVED},
        events=[HF23, echo(date(2023, 6, 2)), ev("PALCARE_COD", date(2024, 1, 1))],
    ),
    hf(
        "hf008_pcapu6",
        "HF008: dx before registering, HF care unsuitable 5 months after registration -> HFPCAPU6",
        {"HF008": pca("HFPCAPU6")},
        events=[ev("HF_COD", date(2024, 1, 1)), ev("HFPCAPU_COD", date(2024, 11, 1))],
        reg=date(2024, 6, 1),
    ),
    hf(
        "hf008_echopu6",
        "HF008: dx before registering, echo unsuitable after registration -> ECPUSP6",
        {"HF008": pca("ECPUSP6")},
        events=[ev("HF_COD", date(2024, 1, 1)), ev("ECHOPU_COD", date(2024, 7, 1))],
        reg=date(2024, 6, 1),
    ),
    hf(
        "hf008_new",
        "HF008: first HF 2026-01-01, no echo yet -> DIAG1_DAT",
        {"HF008": pca("DIAG1_DAT")},
        events=[ev("HF_COD", date(2026, 1, 1))],
    ),
    hf(
        "hf008_new_edge",
        "HF008: first HF 2025-12-31 -> not achieved",
        {"HF008": NOT_ACHIEVED},
        events=[ev("HF_COD", date(2025, 12, 31))],
    ),
    hf(
        "hf008_reg3",
        "HF008: dx before registering 2026-01-01 -> REG1_DAT3 (before REG6_ECOG)",
        {"HF008": pca("REG1_DAT3")},
        events=[ev("HF_COD", date(2024, 1, 1))],
        reg=date(2026, 1, 1),
    ),
    hf(
        "hf008_reg6",
        "HF008: dx before registering 2025-10-01 (after PPED-6m), no echo -> REG6_ECOG",
        {"HF008": pca("REG6_ECOG")},
        events=[ev("HF_COD", date(2024, 1, 1))],
        reg=date(2025, 10, 1),
    ),
    hf(
        "hf008_reg6_edge",
        "HF008: dx before registering 2025-09-30 (= PPED-6m), no echo -> not achieved",
        {"HF008": NOT_ACHIEVED},
        events=[ev("HF_COD", date(2024, 1, 1))],
        reg=date(2025, 9, 30),
    ),
]


@pytest.mark.parametrize("c", CASES, ids=case_id)
def test_hf(c, check):
    check(c, CASES)
