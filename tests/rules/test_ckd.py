"""CKD_REG (CKD005), QOF 2025/26: aged 18+, latest CKD stage 3-5 code (CKD_COD) not followed by a
later stage 1-2 (CKD1AND2_COD) or resolved (CKDRES_COD) code; a same-day one keeps the patient
(qof-rule-logic.md §2). The register has no indicator of its own in 2025/26: membership is seen
through the CHOL_REG cohort, which a CKD-only patient joins exactly when on CKD_REG (CHOL003
row; CHOL004 then excludes them with CVDNOHIST). Expectations from the rules, not the engine.
"""

from __future__ import annotations

from datetime import date

import pytest
from rulecases import NOT_ACHIEVED, case, case_id, ev, excluded

CKD3 = ev("CKD_COD", date(2020, 1, 1))
ON = {"CHOL003": NOT_ACHIEVED, "CHOL004": excluded("CVDNOHIST")}
OFF = {"CHOL003": None, "CHOL004": None}


def ckd(pid, why, expect, *, events=(), **kw):
    return case(pid, why, expect, events=events, dx=None, **kw)


CASES = [
    ckd("ckd_on", "CKD 3-5 in 2020, aged 65 -> on CKD_REG", ON, events=[CKD3]),
    ckd("ckd_none", "no CKD code -> not on", OFF),
    ckd(
        "ckd_stage12_after",
        "stage 1-2 code after the latest stage 3-5 -> not on",
        OFF,
        events=[CKD3, ev("CKD1AND2_COD", date(2022, 1, 1))],
    ),
    ckd(
        "ckd_resolved_after",
        "CKD resolved after the latest stage 3-5 -> not on",
        OFF,
        events=[CKD3, ev("CKDRES_COD", date(2022, 1, 1))],
    ),
    ckd(
        "ckd_stage12_same_day",
        "stage 1-2 on the same day as the latest stage 3-5 -> stays",
        ON,
        events=[CKD3, ev("CKD1AND2_COD", date(2020, 1, 1))],
    ),
    ckd(
        "ckd_restaged",
        "stage 1-2 in 2021, stage 3-5 again in 2023 -> on",
        ON,
        events=[CKD3, ev("CKD1AND2_COD", date(2021, 1, 1)), ev("CKD_COD", date(2023, 1, 1))],
    ),
    ckd(
        "ckd_resolved_then_ckd",
        "resolved 2021, stage 3-5 again 2024 -> on",
        ON,
        events=[CKD3, ev("CKDRES_COD", date(2021, 1, 1)), ev("CKD_COD", date(2024, 1, 1))],
    ),
    ckd(
        "ckd_stage12_only",
        "only a stage 1-2 code -> not on",
        OFF,
        events=[ev("CKD1AND2_COD", date(2022, 1, 1))],
    ),
    ckd(
        "ckd_age_18",
        "turns 18 on PPED (born 2008-03-31) -> on",
        ON,
        events=[CKD3],
        dob=date(2008, 3, 31),
    ),
    ckd(
        "ckd_age_17",
        "18 only on 2026-04-01 (born 2008-04-01): 17 on ACHV -> not on",
        OFF,
        events=[CKD3],
        dob=date(2008, 4, 1),
    ),
    ckd(
        "ckd_after_achv",
        "the only CKD code is after ACHV -> not on",
        OFF,
        events=[ev("CKD_COD", date(2026, 4, 1))],
    ),
    ckd("ckd_on_pped", "CKD coded on PPED -> on", ON, events=[ev("CKD_COD", date(2026, 3, 31))]),
    ckd(
        "ckd_stage12_after_achv",
        "stage 1-2 dated after ACHV is ignored -> on",
        ON,
        events=[CKD3, ev("CKD1AND2_COD", date(2026, 4, 1))],
    ),
    ckd(
        "ckd_dereg",
        "deregistered 2025-06-01 -> not counted",
        OFF,
        events=[CKD3],
        dereg=date(2025, 6, 1),
    ),
    ckd(
        "ckd_dead_after",
        "died after ACHV (2026-04-05) -> counted",
        ON,
        events=[CKD3],
        death=date(2026, 4, 5),
    ),
]


@pytest.mark.parametrize("c", CASES, ids=case_id)
def test_ckd(c, check):
    check(c, CASES)
