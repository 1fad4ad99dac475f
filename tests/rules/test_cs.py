"""CS005 (women 25-49, screened in 3 y 6 m) and CS006 (women 50-64, screened in 5 y 6 m).

Register CS_REG: recorded sex F, aged 25-64 on ACHV (2026-03-31). Chain (both, windows W = 42
months for CS005, 66 months for CS006; "in W" = after PPED - W, i.e. from 2022-10-01 / 2020-10-01):
  1 age outside the band -> excluded P_AGE25_49 / P_AGE50_64
  2 any NOCX_COD -> excluded NOCX
  3 SMEAR_COD in W -> achieved
  4 CSPU_COD in W -> pca CSPU
  5 (CS005 only) PREG_COD after PPED - 12 months -> pca PREG_DAT
  6 CSDEC_COD in W -> pca CSDEC
  7 CSPCAINVITE_COD ("no response to three invitations") in W -> pca CSPCAINV
  8 registered after PPED - 3 months -> pca REG1_DAT3; else not achieved
Cases needing SMEAR_COD, NOCX_COD, CSPU_COD or CSDEC_COD (missing) are skipped.
"""

from __future__ import annotations

from datetime import date

import pytest
from rulecases import ACHIEVED, NOT_ACHIEVED, case, case_id, ev, excluded, pca

AGE25 = date(2001, 3, 31)  # 25th birthday on ACHV
AGE24 = date(2001, 4, 1)
AGE35 = date(1990, 6, 1)
AGE49 = date(1976, 4, 1)
AGE50 = date(1976, 3, 31)
AGE64 = date(1961, 4, 1)
AGE65 = date(1961, 3, 31)
AGE55 = date(1970, 6, 1)

OUT5 = excluded("P_AGE25_49")
OUT6 = excluded("P_AGE50_64")


def w(pid, why, expect, dob=AGE35, **kw):
    return case(pid, why, expect, dob=dob, dx=None, sex="F", **kw)


CASES = [
    # ---- register -----------------------------------------------------------------------
    case(
        "cs_male",
        "CS_REG: recorded sex M -> no rows",
        {"CS005": None, "CS006": None},
        dob=AGE35,
        dx=None,
        sex="M",
    ),
    case(
        "cs_unknown_sex",
        "CS_REG: recorded sex U -> no rows",
        {"CS005": None, "CS006": None},
        dob=AGE35,
        dx=None,
        sex="U",
    ),
    w("cs_age24", "CS_REG: aged 24 -> no rows", {"CS005": None, "CS006": None}, dob=AGE24),
    w("cs_age65", "CS_REG: aged 65 -> no rows", {"CS005": None, "CS006": None}, dob=AGE65),
    w(
        "cs_dead",
        "population: died before ACHV -> no rows",
        {"CS005": None, "CS006": None},
        death=date(2026, 1, 1),
    ),
    # ---- rule 1: age bands ----------------------------------------------------------------
    w(
        "cs_age25",
        "r1: 25 on ACHV: CS005 applies (no smear -> not achieved); CS006 excluded",
        {"CS005": NOT_ACHIEVED, "CS006": OUT6},
        dob=AGE25,
    ),
    w(
        "cs_age49",
        "r1: 49: CS005 applies; CS006 excluded",
        {"CS005": NOT_ACHIEVED, "CS006": OUT6},
        dob=AGE49,
    ),
    w(
        "cs_age50",
        "r1: 50: CS005 excluded; CS006 applies",
        {"CS005": OUT5, "CS006": NOT_ACHIEVED},
        dob=AGE50,
    ),
    w("cs_age64", "r1: 64: CS006 applies", {"CS005": OUT5, "CS006": NOT_ACHIEVED}, dob=AGE64),
    # ---- rule 2: no cervix ---------------------------------------------------------------
    w(
        "cs_nocx",
        "r2: no cervix -> excluded NOCX",
        {"CS005": excluded("NOCX"), "CS006": OUT6},
        events=[ev("NOCX_COD", date(2015, 1, 1))],
    ),
    w(
        "cs_nocx_with_smear",
        "r2 before r3: no cervix excludes even a recent smear",
        {"CS005": excluded("NOCX")},
        events=[ev("NOCX_COD", date(2015, 1, 1)), ev("SMEAR_COD", date(2025, 1, 1))],
    ),
    # ---- rule 3: screening window --------------------------------------------------------
    w(
        "cs5_smear_42m_in",
        "CS005 r3: smear 2022-10-01 (after PPED - 42 months) -> achieved",
        {"CS005": ACHIEVED},
        events=[ev("SMEAR_COD", date(2022, 10, 1))],
    ),
    w(
        "cs5_smear_42m_out",
        "CS005 r3: smear 2022-09-30 -> not achieved",
        {"CS005": NOT_ACHIEVED},
        events=[ev("SMEAR_COD", date(2022, 9, 30))],
    ),
    w(
        "cs6_smear_66m_in",
        "CS006 r3: smear 2020-10-01 (after PPED - 66 months) -> achieved",
        {"CS006": ACHIEVED},
        dob=AGE55,
        events=[ev("SMEAR_COD", date(2020, 10, 1))],
    ),
    w(
        "cs6_smear_66m_out",
        "CS006 r3: smear 2020-09-30 -> not achieved",
        {"CS006": NOT_ACHIEVED},
        dob=AGE55,
        events=[ev("SMEAR_COD", date(2020, 9, 30))],
    ),
    w(
        "cs5_smear_with_pcas",
        "r3 before PCAs: screened woman with decline and exception stays achieved",
        {"CS005": ACHIEVED},
        events=[
            ev("SMEAR_COD", date(2024, 1, 1)),
            ev("CSDEC_COD", date(2025, 6, 1)),
            ev("CSPCAINVITE_COD", date(2025, 7, 1)),
        ],
    ),
    # ---- rule 4: unsuitable ---------------------------------------------------------------
    w(
        "cs5_pu",
        "CS005 r4: unsuitable 2023 (in 42 months) -> pca CSPU",
        {"CS005": pca("CSPU")},
        events=[ev("CSPU_COD", date(2023, 1, 1))],
    ),
    w(
        "cs5_pu_old",
        "CS005 r4: unsuitable 2022-09-30 (outside 42 months) -> not achieved",
        {"CS005": NOT_ACHIEVED},
        events=[ev("CSPU_COD", date(2022, 9, 30))],
    ),
    # ---- rule 5: pregnancy (CS005 only) -------------------------------------------------------
    w(
        "cs5_preg",
        "CS005 r5: pregnant 2025-04-01 (in 12 months) -> pca PREG_DAT",
        {"CS005": pca("PREG_DAT")},
        events=[ev("PREG_COD", date(2025, 4, 1))],
    ),
    w(
        "cs5_preg_old",
        "CS005 r5: pregnancy 2025-03-31 (outside 12 months) -> not achieved",
        {"CS005": NOT_ACHIEVED},
        events=[ev("PREG_COD", date(2025, 3, 31))],
    ),
    w(
        "cs6_preg",
        "CS006 has no pregnancy PCA -> not achieved",
        {"CS006": NOT_ACHIEVED},
        dob=AGE55,
        events=[ev("PREG_COD", date(2025, 6, 1))],
    ),
    w(
        "cs5_preg_and_inv",
        "CS005 r5 before r7: pregnancy and invitation exception -> PREG_DAT",
        {"CS005": pca("PREG_DAT")},
        events=[ev("PREG_COD", date(2025, 6, 1)), ev("CSPCAINVITE_COD", date(2025, 7, 1))],
    ),
    # ---- rule 6: declined -------------------------------------------------------------------
    w(
        "cs5_dec",
        "CS005 r6: declined 2024 -> pca CSDEC",
        {"CS005": pca("CSDEC")},
        events=[ev("CSDEC_COD", date(2024, 1, 1))],
    ),
    # ---- rule 7: no response to three invitations ------------------------------------------------
    w(
        "cs5_inv_in",
        "CS005 r7: exception code 2022-10-01 (in 42 months) -> pca CSPCAINV",
        {"CS005": pca("CSPCAINV")},
        events=[ev("CSPCAINVITE_COD", date(2022, 10, 1))],
    ),
    w(
        "cs5_inv_out",
        "CS005 r7: exception code 2022-09-30 -> not achieved",
        {"CS005": NOT_ACHIEVED},
        events=[ev("CSPCAINVITE_COD", date(2022, 9, 30))],
    ),
    w(
        "cs6_inv_in",
        "CS006 r7: exception code 2020-10-01 (in 66 months) -> pca CSPCAINV",
        {"CS006": pca("CSPCAINV")},
        dob=AGE55,
        events=[ev("CSPCAINVITE_COD", date(2020, 10, 1))],
    ),
    w(
        "cs6_inv_out",
        "CS006 r7: exception code 2020-09-30 -> not achieved",
        {"CS006": NOT_ACHIEVED},
        dob=AGE55,
        events=[ev("CSPCAINVITE_COD", date(2020, 9, 30))],
    ),
    w(
        "cs5_inv_and_newreg",
        "r7 before r8: exception and new registration -> CSPCAINV",
        {"CS005": pca("CSPCAINV")},
        reg=date(2026, 2, 1),
        events=[ev("CSPCAINVITE_COD", date(2026, 2, 10))],
    ),
    # ---- rule 8: registration ----------------------------------------------------------
    w(
        "cs5_reg_2026_01_01",
        "r8: registered 2026-01-01 (after PPED - 3 months) -> REG1_DAT3",
        {"CS005": pca("REG1_DAT3")},
        reg=date(2026, 1, 1),
    ),
    w(
        "cs6_reg_2025_12_31",
        "r8: registered 2025-12-31 -> not achieved",
        {"CS006": NOT_ACHIEVED},
        dob=AGE55,
        reg=date(2025, 12, 31),
    ),
    w(
        "cs5_reg_after_achv",
        "population: registered after ACHV -> no rows",
        {"CS005": None, "CS006": None},
        reg=date(2026, 4, 1),
    ),
]


@pytest.mark.parametrize("c", CASES, ids=case_id)
def test_rule(c, check):
    check(c, CASES)
