"""DM_REG (DM017): diabetes register, 2025/26.

Rule 1: a DM_COD diagnosis on or before ACHV, and the latest one (DMLAT_DAT) not followed by a
        DMRES_COD resolved code (DMRES_DAT null or before DMLAT_DAT; same day keeps the patient,
        per the spec's literal reading `DMRES_DAT > DMLAT_DAT`).
Rule 2: reject if aged under 17 (whole years) on ACHV.
The register is not an indicator row: a patient on it has a row for every DM indicator, a
patient off it has no rows at all.
"""

from __future__ import annotations

from datetime import date

import pytest
from rulecases import case, case_id, ev

CASES = [
    # ---- rule 1: diagnosis on or before ACHV -------------------------------------------
    case("reg_dx_2015", "r1: DM_COD in 2015, never resolved -> on register", on_register=True),
    case("reg_no_dx", "r1: no DM_COD at all -> off register", dx=None, on_register=False),
    case(
        "reg_dx_on_achv",
        "r1: DM_COD dated on ACHV (2026-03-31) counts (<= ACHV) -> on register",
        dx=date(2026, 3, 31),
        on_register=True,
    ),
    case(
        "reg_dx_after_achv",
        "r1: only DM_COD is after ACHV (2026-04-01) -> ignored -> off register",
        dx=date(2026, 4, 1),
        on_register=False,
    ),
    # ---- rule 1: resolved codes -----------------------------------------------------------
    case(
        "reg_resolved_after_dx",
        "r1: DMRES_COD (2020) after latest DM_COD (2015) -> off register",
        events=[ev("DMRES_COD", date(2020, 5, 1))],
        on_register=False,
    ),
    case(
        "reg_rediagnosed_after_resolution",
        "r1: dx 2015, resolved 2020, dx again 2022: latest dx not followed by resolved -> on",
        events=[ev("DMRES_COD", date(2020, 5, 1)), ev("DM_COD", date(2022, 2, 1))],
        on_register=True,
    ),
    case(
        "reg_resolved_same_day",
        "r1 (spec): DMRES_COD on the same day as the latest DM_COD does not follow it -> on",
        events=[ev("DMRES_COD", date(2015, 1, 1))],
        on_register=True,
    ),
    case(
        "reg_resolved_before_first_dx",
        "r1: DMRES_COD (2010) before the diagnosis (2015) -> on register",
        events=[ev("DMRES_COD", date(2010, 1, 1))],
        on_register=True,
    ),
    case(
        "reg_resolved_after_achv",
        "r1: DMRES_COD dated after ACHV (2026-04-01) is ignored -> on register",
        events=[ev("DMRES_COD", date(2026, 4, 1))],
        on_register=True,
    ),
    case(
        "reg_resolved_on_achv",
        "r1: DMRES_COD dated on ACHV, after latest dx -> off register",
        events=[ev("DMRES_COD", date(2026, 3, 31))],
        on_register=False,
    ),
    case(
        "reg_rediagnosed_after_achv",
        "r1: dx 2015, resolved 2020, re-dx after ACHV (ignored): latest dx <= ACHV is 2015,"
        " followed by resolved -> off",
        events=[ev("DMRES_COD", date(2020, 5, 1)), ev("DM_COD", date(2026, 4, 5))],
        on_register=False,
    ),
    case(
        "reg_resolved_then_rediagnosed_then_resolved",
        "r1: dx 2015, res 2018, dx 2020, res 2023 -> latest dx followed by resolved -> off",
        events=[
            ev("DMRES_COD", date(2018, 1, 1)),
            ev("DM_COD", date(2020, 1, 1)),
            ev("DMRES_COD", date(2023, 1, 1)),
        ],
        on_register=False,
    ),
    # ---- rule 2: age 17+ on ACHV ---------------------------------------------------------
    case(
        "reg_17th_birthday_on_pped",
        "r2: born 2009-03-31, 17 on PPED -> not under 17 -> on register",
        dob=date(2009, 3, 31),
        dx=date(2020, 1, 1),
        on_register=True,
    ),
    case(
        "reg_17th_birthday_after_pped",
        "r2: born 2009-04-01, still 16 on PPED -> rejected -> off register",
        dob=date(2009, 4, 1),
        dx=date(2020, 1, 1),
        on_register=False,
    ),
    case(
        "reg_dx_as_child_now_adult",
        "r2: age checked on ACHV, not at diagnosis: dx aged 5, 30 now -> on register",
        dob=date(1995, 6, 1),
        dx=date(2000, 7, 1),
        on_register=True,
    ),
]


@pytest.mark.parametrize("c", CASES, ids=case_id)
def test_dm_register(c, check):
    check(c, CASES)
