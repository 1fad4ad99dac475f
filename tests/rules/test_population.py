"""Base population, achievement date and in-year runs (spec: Population / Dates).

Population: registration_date <= ACHV, and not deregistered or dead on or before ACHV
(the GMS rule: registered on ACHV, or deregistered *after* ACHV).
ACHV defaults to PPED (2026-03-31); `as_of` moves it for an in-year run. Only events on or
before ACHV count; windows stay anchored on PPED ("in 12 m" = after PPED - 12 months, so
2025-04-01 counts even in-year), and age is whole years on ACHV.
"""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest
from rulecases import (
    ACHIEVED,
    INDICATORS,
    NOT_ACHIEVED,
    case,
    case_id,
    ev,
    excluded,
    hba1c,
    invites,
    pca,
)

IN_YEAR = date(2025, 12, 31)

CASES = [
    # ---- registration / deregistration / death around ACHV (year end) --------------------
    case("pop_registered", "registered since 2000, on DM_REG -> rows", on_register=True),
    case(
        "pop_registered_on_achv",
        "registered on ACHV counts (<= ACHV); new registration -> REG1_DAT9 / REG1_DAT3",
        {"DM020": pca("REG1_DAT9"), "DM006": excluded("PRT_COD"), "DM036": pca("REG1_DAT9")},
        reg=date(2026, 3, 31),
        on_register=True,
    ),
    case(
        "pop_registered_after_achv",
        "registered 2026-04-01, after ACHV -> not in the population -> no rows",
        reg=date(2026, 4, 1),
        on_register=False,
    ),
    case(
        "pop_dereg_before_achv",
        "deregistered 2025-12-01 -> not registered on ACHV -> no rows",
        dereg=date(2025, 12, 1),
        on_register=False,
    ),
    case(
        "pop_dereg_on_achv",
        "deregistered on ACHV itself -> not deregistered *after* ACHV -> no rows",
        dereg=date(2026, 3, 31),
        on_register=False,
    ),
    case(
        "pop_dereg_after_achv",
        "deregistered 2026-04-01, after ACHV -> still registered on ACHV -> rows",
        dereg=date(2026, 4, 1),
        on_register=True,
    ),
    case(
        "pop_dead_before_achv",
        "died 2025-12-01 -> no rows",
        death=date(2025, 12, 1),
        on_register=False,
    ),
    case(
        "pop_dead_on_achv",
        "died on ACHV -> spec: dead on or before ACHV is out -> no rows",
        death=date(2026, 3, 31),
        on_register=False,
    ),
    case(
        "pop_dead_after_achv",
        "died 2026-04-02, after ACHV -> rows",
        death=date(2026, 4, 2),
        on_register=True,
    ),
    case(
        "pop_dead_and_dereg_before",
        "died and deregistered in-year -> no rows",
        dereg=date(2025, 9, 2),
        death=date(2025, 9, 1),
        on_register=False,
    ),
    case(
        "pop_other_practice",
        "rows carry the patient's practice_code",
        dict.fromkeys(("DM020", "DM036"), NOT_ACHIEVED),
        practice="B00002",
        on_register=True,
    ),
    case(
        "pop_default_outcomes",
        "default patient: 65, dx 2015, nothing recorded -> each indicator's fall-through"
        " (DM020/DM036 not achieved; DM021 not frail; DM006 no proteinuria; DM014 old dx;"
        " DM034 no statin; DM035 no CVD)",
        {
            "DM020": NOT_ACHIEVED,
            "DM021": excluded("MDSEVFRAIL"),
            "DM006": excluded("PRT_COD"),
            "DM012": NOT_ACHIEVED,
            "DM014": excluded("DM_DAT2"),
            "DM034": NOT_ACHIEVED,
            "DM035": excluded("CVDNOHIST"),
            "DM036": NOT_ACHIEVED,
        },
        on_register=True,
    ),
    # ---- events after ACHV are ignored (year end) ----------------------------------------
    case(
        "pop_hba1c_after_achv_only",
        "DM020: the only HbA1c (50) is dated 2026-04-01, after ACHV -> ignored -> not achieved",
        {"DM020": NOT_ACHIEVED},
        events=[hba1c(date(2026, 4, 1), 50)],
    ),
    case(
        "ye_hba1c_jan",
        "year end twin of iy_hba1c_after_asof: HbA1c 50 on 2026-01-10 <= PPED -> achieved",
        {"DM020": ACHIEVED},
        events=[hba1c(date(2026, 1, 10), 50)],
    ),
    case(
        "ye_invites_dec_jan",
        "year end twin of iy_invites_straddle: invites 2025-12-20 and 2026-01-05 both count,"
        " no HbA1c -> DMIFINVITE",
        {"DM020": pca("DMIFINVITE")},
        events=[invites(date(2025, 12, 20), date(2026, 1, 5))],
    ),
    case(
        "ye_age_17_in_jan",
        "year end twin of iy_17th_birthday_after_asof: born 2009-01-01 is 17 on PPED -> on",
        dob=date(2009, 1, 1),
        dx=date(2020, 1, 1),
        on_register=True,
    ),
    # ---- in-year run: as_of = 2025-12-31 --------------------------------------------------
    case(
        "iy_registered",
        "in-year: ordinary registered patient -> rows",
        as_of=IN_YEAR,
        on_register=True,
    ),
    case(
        "iy_registered_after_asof",
        "in-year: registered 2026-01-15, after as_of -> no rows",
        reg=date(2026, 1, 15),
        as_of=IN_YEAR,
        on_register=False,
    ),
    case(
        "iy_dereg_after_asof",
        "in-year: deregistered 2026-02-01, after as_of -> still registered on ACHV -> rows",
        dereg=date(2026, 2, 1),
        as_of=IN_YEAR,
        on_register=True,
    ),
    case(
        "iy_dx_after_asof",
        "in-year: only DM_COD dated 2026-01-10, after as_of -> off register",
        dx=date(2026, 1, 10),
        as_of=IN_YEAR,
        on_register=False,
    ),
    case(
        "iy_hba1c_after_asof",
        "in-year: HbA1c 50 on 2026-01-10 is after as_of -> ignored -> DM020 not achieved",
        {"DM020": NOT_ACHIEVED},
        events=[hba1c(date(2026, 1, 10), 50)],
        as_of=IN_YEAR,
    ),
    case(
        "iy_hba1c_on_asof",
        "in-year: HbA1c 50 on as_of itself -> achieved",
        {"DM020": ACHIEVED},
        events=[hba1c(IN_YEAR, 50)],
        as_of=IN_YEAR,
    ),
    case(
        "iy_hba1c_on_ppsd",
        "in-year: window is anchored on PPED: HbA1c on 2025-04-01 counts -> achieved",
        {"DM020": ACHIEVED},
        events=[hba1c(date(2025, 4, 1), 50)],
        as_of=IN_YEAR,
    ),
    case(
        "iy_hba1c_before_ppsd",
        "in-year: HbA1c on 2025-03-01 is within 12 months of as_of but before PPSD"
        " (window anchored on PPED) -> not achieved",
        {"DM020": NOT_ACHIEVED},
        events=[hba1c(date(2025, 3, 1), 50)],
        as_of=IN_YEAR,
    ),
    case(
        "iy_invites_straddle",
        "in-year: invites 2025-12-20 and 2026-01-05; the second is after as_of -> only one"
        " invite -> not achieved",
        {"DM020": NOT_ACHIEVED},
        events=[invites(date(2025, 12, 20), date(2026, 1, 5))],
        as_of=IN_YEAR,
    ),
    case(
        "iy_17th_birthday_on_asof",
        "in-year: born 2008-12-31 is 17 on as_of -> on register",
        dob=date(2008, 12, 31),
        dx=date(2020, 1, 1),
        as_of=IN_YEAR,
        on_register=True,
    ),
    case(
        "iy_17th_birthday_after_asof",
        "in-year: born 2009-01-01 is 16 on as_of (17 only by PPED) -> off register",
        dob=date(2009, 1, 1),
        dx=date(2020, 1, 1),
        as_of=IN_YEAR,
        on_register=False,
    ),
    case(
        "iy_dm036_age_79_on_asof",
        "in-year: DM036 age is taken on as_of: born 1946-01-01 is 79 on 2025-12-31 (80 by"
        " PPED) -> not excluded",
        {"DM036": NOT_ACHIEVED},
        dob=date(1946, 1, 1),
        as_of=IN_YEAR,
    ),
    case(
        "ye_dm036_age_80",
        "year end twin: born 1946-01-01 is 80 on PPED -> PAT_AGEO79",
        {"DM036": excluded("PAT_AGEO79")},
        dob=date(1946, 1, 1),
    ),
    case(
        "iy_dm034_age_39_on_asof",
        "in-year: DM034 born 1986-01-01 is 39 on 2025-12-31 -> PAT_AGEU39",
        {"DM034": excluded("PAT_AGEU39")},
        dob=date(1986, 1, 1),
        as_of=IN_YEAR,
    ),
    case(
        "ye_dm034_age_40",
        "year end twin: born 1986-01-01 is 40 on PPED -> not excluded (no statin)",
        {"DM034": NOT_ACHIEVED},
        dob=date(1986, 1, 1),
    ),
    case(
        "iy_new_dx_9m_anchor",
        "in-year: diagnosed 2025-07-01: the 9-month window is anchored on PPED -> DIAG1_DT9M",
        {"DM020": pca("DIAG1_DT9M")},
        dx=date(2025, 7, 1),
        as_of=IN_YEAR,
    ),
    case(
        "iy_frailty_after_asof",
        "in-year: moderate frailty dated 2026-01-05 (after as_of) is ignored -> DM020 still"
        " evaluated",
        {"DM020": ACHIEVED},
        events=[ev("MODFRAIL_COD", date(2026, 1, 5)), hba1c(date(2025, 6, 1), 50)],
        as_of=IN_YEAR,
    ),
    case(
        "iy_new_registration_9m",
        "in-year: registered 2025-07-01 (after PPED - 9 months) -> REG1_DAT9",
        {"DM020": pca("REG1_DAT9")},
        reg=date(2025, 7, 1),
        as_of=IN_YEAR,
    ),
]


@pytest.mark.parametrize("c", CASES, ids=case_id)
def test_population(c, check):
    check(c, CASES)


def test_output_columns(runner):
    """patient_outcomes returns the documented columns and one row per (patient, indicator)."""
    res = runner.run(CASES, None)
    for col in (
        "practice_code",
        "patient_id",
        "indicator",
        "status",
        "reason",
        "reason_type",
        "rule",
        "description",
    ):
        assert col in res.columns, f"missing column {col}"
    assert set(res.frame["status"].unique().to_list()) <= {
        "achieved",
        "not_achieved",
        "pca",
        "excluded",
    }
    assert set(INDICATORS) <= set(res.frame["indicator"].unique().to_list())
    for col in ("rule", "description"):
        blank = res.frame.filter(pl.col(col).is_null() | (pl.col(col) == ""))
        assert blank.is_empty(), f"rows without a {col}: {blank.head(5).to_dicts()}"
    # DM_REG itself is never an indicator row
    assert "DM017" not in res.frame["indicator"].to_list()
