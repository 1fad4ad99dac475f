"""BP45_REG (all registered patients aged 45 or over) and BP002 (BP recorded in 5 years).

Cohort: age >= 45 in whole years on ACHV; any patient, no diagnosis needed.
Chain (v46 BP002 rules; reason fields per NHS Digital 2023/24 BP002):
  1 BP_COD after PPED - 5 years (>= 2021-04-01) -> achieved
  2 BPDEC_COD after PPED - 5 years -> pca BPDEC1
  3 registered after PPED - 3 months (>= 2026-01-01) -> pca REG1_DAT3; else not achieved
(The business rules' "reject under 45" (PAT_AGEU45) is the cohort itself.)
Default patient: 65 on ACHV, registered 2000, no diagnoses.
"""

from __future__ import annotations

from datetime import date

import pytest
from rulecases import ACHIEVED, NOT_ACHIEVED, case, case_id, ev, pca

Y = date(2024, 6, 1)  # inside the 5 years


def bp002(pid, why, expect, **kw):
    return case(pid, why, {"BP002": expect}, dx=None, **kw)


def bpcode(when):
    return ev("BP_COD", when)


CASES = [
    # ---- cohort: age 45 or over on ACHV -----------------------------------------------
    bp002("age_44", "cohort: 44 on ACHV (45 on 2026-04-01) -> no row", None, dob=date(1981, 4, 1)),
    bp002(
        "age_45",
        "cohort: 45 on ACHV (birthday on PPED) -> in; BP in 5 y -> achieved",
        ACHIEVED,
        dob=date(1981, 3, 31),
        events=[bpcode(Y)],
    ),
    bp002("age_90", "cohort: no upper age limit -> in", NOT_ACHIEVED, dob=date(1935, 6, 1)),
    bp002(
        "dead",
        "population: died before ACHV -> no row",
        None,
        death=date(2025, 6, 1),
        events=[bpcode(Y)],
    ),
    bp002(
        "dereg",
        "population: deregistered before ACHV -> no row",
        None,
        dereg=date(2025, 6, 1),
        events=[bpcode(Y)],
    ),
    # ---- rule 1: BP in the 5 years ----------------------------------------------------
    bp002("bp_in_5y", "r1: BP_COD 2024 -> achieved", ACHIEVED, events=[bpcode(Y)]),
    bp002(
        "bp_5y_first_day",
        "r1: BP_COD 2021-04-01 -> achieved",
        ACHIEVED,
        events=[bpcode(date(2021, 4, 1))],
    ),
    bp002(
        "bp_5y_day_before",
        "r1: BP_COD 2021-03-31 is not after PPED - 5 years -> not achieved",
        NOT_ACHIEVED,
        events=[bpcode(date(2021, 3, 31))],
    ),
    bp002(
        "bp_on_pped", "r1: BP_COD on PPED -> achieved", ACHIEVED, events=[bpcode(date(2026, 3, 31))]
    ),
    bp002(
        "bp_after_achv",
        "r1: BP_COD after ACHV does not exist -> not achieved",
        NOT_ACHIEVED,
        events=[bpcode(date(2026, 4, 1))],
    ),
    bp002(
        "bp_sys_dia_reading",
        "r1: a systolic/diastolic reading (codes in BP_COD) counts -> achieved",
        ACHIEVED,
        events=[
            ev("SYSBP_COD", Y, 150, also=("BP_COD",)),
            ev("DIABP_COD", Y, 95, also=("BP_COD",)),
        ],
    ),
    bp002("no_bp", "r1: no BP, nothing else -> not achieved", NOT_ACHIEVED),
    # ---- rule 2: declined in the 5 years -----------------------------------------------
    bp002(
        "achiever_declined",
        "r1 before r2: BP in 5 y and BPDEC -> achieved",
        ACHIEVED,
        events=[bpcode(Y), ev("BPDEC_COD", date(2025, 6, 1))],
    ),
    bp002(
        "bpdec_in",
        "r2: BPDEC 2021-04-01 -> pca BPDEC1",
        pca("BPDEC1"),
        events=[ev("BPDEC_COD", date(2021, 4, 1))],
    ),
    bp002(
        "bpdec_out",
        "r2: BPDEC 2021-03-31 -> out of the 5 years -> not achieved",
        NOT_ACHIEVED,
        events=[ev("BPDEC_COD", date(2021, 3, 31))],
    ),
    bp002(
        "bpdec_old_bp",
        "r1/r2: BP 2021-03-31 (out), BPDEC 2023 (in) -> pca BPDEC1",
        pca("BPDEC1"),
        events=[bpcode(date(2021, 3, 31)), ev("BPDEC_COD", date(2023, 1, 1))],
    ),
    bp002(
        "bpdec_before_newreg",
        "r2 before r3: BPDEC in 5 y and registered 2026-01-01 -> BPDEC1",
        pca("BPDEC1"),
        reg=date(2026, 1, 1),
        events=[ev("BPDEC_COD", date(2026, 1, 5))],
    ),
    # ---- rule 3: newly registered (3 months) ------------------------------------------
    bp002(
        "reg_3m_in",
        "r3: registered 2026-01-01 -> pca REG1_DAT3",
        pca("REG1_DAT3"),
        reg=date(2026, 1, 1),
    ),
    bp002(
        "reg_3m_out",
        "r3: registered 2025-12-31 -> not achieved",
        NOT_ACHIEVED,
        reg=date(2025, 12, 31),
    ),
    bp002(
        "reg_3m_achiever",
        "r1 before r3: registered 2026-02-01 with a BP -> achieved",
        ACHIEVED,
        reg=date(2026, 2, 1),
        events=[bpcode(date(2026, 2, 10))],
    ),
    bp002(
        "reg_old_bp_before_reg",
        "r1: a BP recorded before registration (2024) still counts -> achieved",
        ACHIEVED,
        reg=date(2025, 1, 1),
        events=[bpcode(Y)],
    ),
]


@pytest.mark.parametrize("c", CASES, ids=case_id)
def test_bp002(c, check):
    check(c, CASES)
