"""Registers without 2025/26 indicators: CAN, DEP, EP, LD, OB, OST, PC, RA (prevalence only).

Expectations come from the register rules (qof-rule-logic.md §2, NCL's register definitions), not
from engine output. ACHV = PPED = 2026-03-31; ages are whole years on that date.

  CAN_REG: a CAN_COD record on or after 2003-04-01; all ages.
  DEP_REG: latest DEPR_COD on or after 2006-04-01, no DEPRES_COD on or after it (same day removes);
           age 18+.
  EP_REG:  latest EPIL_COD with no EPILRES_COD on or after it (same day removes); age 18+;
           EPILDRUG_COD issued after PPED - 6 months (i.e. from 2025-10-01).
  LD_REG:  latest LD_COD with no later LDREM_COD (same day keeps); all ages.
  OB_REG:  age 18+; latest BMIVAL_COD/BMI30_COD record after PPED - 12 months (from 2025-04-01) is a
           BMI30_COD code, or has value >= 30, or >= 27.5 when the latest ethnicity record is one
           of the listed ETH2016 groups.
  OST_REG: age 50+ and an OSTEO_COD; 75+: FF_COD on or after 2014-04-01; 50-74: FF_COD on or after
           2012-04-01 and DXA_COD or latest DXA2_COD T-score <= -2.5.
  PC_REG:  latest PALCARE_COD on or after 2008-04-01 not followed by a later PALCARENI_COD.
  RA_REG:  any RARTH_COD, age 16+.
Patients deregistered or dead on or before ACHV are on no register.
Cases needing a cluster the ruleset does not ship (CAN_COD, EPILDRUG_COD, LDREM_COD, DXA_COD,
DXA2_COD, ETH2016*) are skipped, naming the cluster.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pytest
from rulecases import REG, Ev, build_extract, ev

# Ages on 2026-03-31
AGE40 = date(1985, 6, 1)
AGE18_TODAY = date(2008, 3, 31)  # 18th birthday on ACHV
AGE17 = date(2008, 4, 1)  # turns 18 the day after ACHV
AGE16_TODAY = date(2010, 3, 31)
AGE15 = date(2010, 4, 1)
AGE49 = date(1976, 4, 1)
AGE50 = date(1976, 3, 31)
AGE74 = date(1951, 4, 1)
AGE75 = date(1951, 3, 31)
AGE5 = date(2020, 6, 1)


@dataclass
class RegCase:
    pid: str
    why: str
    expect: dict[str, bool]
    dob: date = AGE40
    sex: str = "M"
    reg: date = REG
    dereg: date | None = None
    death: date | None = None
    events: tuple[Ev, ...] = field(default_factory=tuple)


def rc(pid: str, why: str, expect: dict[str, bool], *, events=(), **kw: Any) -> RegCase:
    flat: list[Ev] = []
    for e in events:
        flat.extend(e if isinstance(e, list) else [e])
    return RegCase(pid, why, expect, events=tuple(flat), **kw)


def bmi(when: date, value: float) -> Ev:
    return ev("BMIVAL_COD", when, value)


DEP = "DEP_REG"
CASES = [
    # ---- CAN_REG ----------------------------------------------------------------------------
    rc(
        "can_2003_04_01",
        "CAN: diagnosis on 2003-04-01 counts -> on",
        {"CAN_REG": True},
        events=[ev("CAN_COD", date(2003, 4, 1))],
    ),
    rc(
        "can_2003_03_31",
        "CAN: only diagnosis before 2003-04-01 -> off",
        {"CAN_REG": False},
        events=[ev("CAN_COD", date(2003, 3, 31))],
    ),
    rc(
        "can_child",
        "CAN: no age limit, child diagnosed 2024 -> on",
        {"CAN_REG": True},
        dob=AGE5,
        events=[ev("CAN_COD", date(2024, 1, 1))],
    ),
    rc(
        "can_after_achv",
        "CAN: diagnosis after ACHV is not seen -> off",
        {"CAN_REG": False},
        events=[ev("CAN_COD", date(2026, 4, 1))],
    ),
    # ---- DEP_REG ----------------------------------------------------------------------------
    rc(
        "dep_2015",
        "DEP r1: diagnosis 2015, unresolved, age 40 -> on",
        {DEP: True},
        events=[ev("DEPR_COD", date(2015, 1, 1))],
    ),
    rc("dep_none", "DEP r1: no diagnosis -> off", {DEP: False}),
    rc(
        "dep_on_2006_04_01",
        "DEP r1: latest diagnosis on 2006-04-01 -> on",
        {DEP: True},
        events=[ev("DEPR_COD", date(2006, 4, 1))],
    ),
    rc(
        "dep_2006_03_31",
        "DEP r1: only diagnosis 2006-03-31 (before the start date) -> off",
        {DEP: False},
        events=[ev("DEPR_COD", date(2006, 3, 31))],
    ),
    rc(
        "dep_old_then_new",
        "DEP r1: 2005 and again 2019: latest is after 2006 -> on",
        {DEP: True},
        events=[ev("DEPR_COD", date(2005, 1, 1)), ev("DEPR_COD", date(2019, 1, 1))],
    ),
    rc(
        "dep_resolved_after",
        "DEP r1: resolved 2020 after latest dx 2015 -> off",
        {DEP: False},
        events=[ev("DEPR_COD", date(2015, 1, 1)), ev("DEPRES_COD", date(2020, 1, 1))],
    ),
    rc(
        "dep_resolved_same_day",
        "DEP r1: resolved the same day as the latest dx removes -> off",
        {DEP: False},
        events=[ev("DEPR_COD", date(2015, 1, 1)), ev("DEPRES_COD", date(2015, 1, 1))],
    ),
    rc(
        "dep_rediagnosed",
        "DEP r1: dx 2012, resolved 2014, dx 2018 -> on",
        {DEP: True},
        events=[
            ev("DEPR_COD", date(2012, 1, 1)),
            ev("DEPRES_COD", date(2014, 1, 1)),
            ev("DEPR_COD", date(2018, 1, 1)),
        ],
    ),
    rc(
        "dep_resolved_after_achv",
        "DEP r1: resolution after ACHV is not seen -> on",
        {DEP: True},
        events=[ev("DEPR_COD", date(2015, 1, 1)), ev("DEPRES_COD", date(2026, 4, 1))],
    ),
    rc(
        "dep_dx_on_achv",
        "DEP r1: diagnosis on ACHV counts -> on",
        {DEP: True},
        events=[ev("DEPR_COD", date(2026, 3, 31))],
    ),
    rc(
        "dep_dx_after_achv",
        "DEP r1: diagnosis after ACHV not seen -> off",
        {DEP: False},
        events=[ev("DEPR_COD", date(2026, 4, 1))],
    ),
    rc(
        "dep_age18_today",
        "DEP r2: 18th birthday on ACHV -> on",
        {DEP: True},
        dob=AGE18_TODAY,
        events=[ev("DEPR_COD", date(2024, 1, 1))],
    ),
    rc(
        "dep_age17",
        "DEP r2: aged 17 on ACHV -> off",
        {DEP: False},
        dob=AGE17,
        events=[ev("DEPR_COD", date(2024, 1, 1))],
    ),
    rc(
        "dep_deregistered",
        "population: deregistered before ACHV -> off every register",
        {DEP: False, "RA_REG": False},
        dereg=date(2026, 3, 1),
        events=[ev("DEPR_COD", date(2015, 1, 1)), ev("RARTH_COD", date(2015, 1, 1))],
    ),
    rc(
        "dep_dead",
        "population: died on ACHV -> off every register",
        {DEP: False, "RA_REG": False},
        death=date(2026, 3, 31),
        events=[ev("DEPR_COD", date(2015, 1, 1)), ev("RARTH_COD", date(2015, 1, 1))],
    ),
    rc(
        "dep_dereg_after_achv",
        "population: deregistered after ACHV -> still counted -> on",
        {DEP: True},
        dereg=date(2026, 4, 1),
        events=[ev("DEPR_COD", date(2015, 1, 1))],
    ),
    # ---- EP_REG -----------------------------------------------------------------------------
    rc(
        "ep_no_drug",
        "EP r3: unresolved epilepsy, adult, no anti-epileptic drug -> off",
        {"EP_REG": False},
        events=[ev("EPIL_COD", date(2010, 1, 1))],
    ),
    rc(
        "ep_drug_6m",
        "EP r3: drug issued 2025-10-01 (after PPED - 6 months) -> on",
        {"EP_REG": True},
        events=[ev("EPIL_COD", date(2010, 1, 1)), ev("EPILDRUG_COD", date(2025, 10, 1))],
    ),
    rc(
        "ep_drug_too_old",
        "EP r3: last drug 2025-09-30 (not after PPED - 6 months) -> off",
        {"EP_REG": False},
        events=[ev("EPIL_COD", date(2010, 1, 1)), ev("EPILDRUG_COD", date(2025, 9, 30))],
    ),
    rc(
        "ep_resolved",
        "EP r1: resolved after the latest dx -> off despite the drug",
        {"EP_REG": False},
        events=[
            ev("EPIL_COD", date(2010, 1, 1)),
            ev("EPILRES_COD", date(2015, 1, 1)),
            ev("EPILDRUG_COD", date(2026, 1, 1)),
        ],
    ),
    rc(
        "ep_resolved_same_day",
        "EP r1: resolved the same day as the latest dx removes -> off",
        {"EP_REG": False},
        events=[
            ev("EPIL_COD", date(2010, 1, 1)),
            ev("EPILRES_COD", date(2010, 1, 1)),
            ev("EPILDRUG_COD", date(2026, 1, 1)),
        ],
    ),
    rc(
        "ep_age17",
        "EP r2: aged 17 -> off",
        {"EP_REG": False},
        dob=AGE17,
        events=[ev("EPIL_COD", date(2020, 1, 1)), ev("EPILDRUG_COD", date(2026, 1, 1))],
    ),
    rc(
        "ep_no_dx_drug_only",
        "EP r1: drug without an epilepsy diagnosis -> off",
        {"EP_REG": False},
        events=[ev("EPILDRUG_COD", date(2026, 1, 1))],
    ),
    # ---- LD_REG -----------------------------------------------------------------------------
    rc(
        "ld_child",
        "LD: LD code, no age limit (age 5) -> on",
        {"LD_REG": True},
        dob=AGE5,
        events=[ev("LD_COD", date(2024, 1, 1))],
    ),
    rc("ld_none", "LD: no LD code -> off", {"LD_REG": False}),
    rc(
        "ld_removed",
        "LD: removal code after the latest LD code -> off",
        {"LD_REG": False},
        events=[ev("LD_COD", date(2010, 1, 1)), ev("LDREM_COD", date(2015, 1, 1))],
    ),
    rc(
        "ld_removed_same_day",
        "LD: removal on the same day is not later -> on",
        {"LD_REG": True},
        events=[ev("LD_COD", date(2010, 1, 1)), ev("LDREM_COD", date(2010, 1, 1))],
    ),
    rc(
        "ld_recoded_after_removal",
        "LD: removed 2012, coded again 2015 -> on",
        {"LD_REG": True},
        events=[
            ev("LD_COD", date(2010, 1, 1)),
            ev("LDREM_COD", date(2012, 1, 1)),
            ev("LD_COD", date(2015, 1, 1)),
        ],
    ),
    # ---- OB_REG -----------------------------------------------------------------------------
    rc(
        "ob_30",
        "OB: BMI 30 in the year -> on",
        {"OB_REG": True},
        events=[bmi(date(2025, 6, 1), 30)],
    ),
    rc("ob_29_9", "OB: BMI 29.9 -> off", {"OB_REG": False}, events=[bmi(date(2025, 6, 1), 29.9)]),
    rc(
        "ob_on_ppsd",
        "OB: BMI 31 dated 2025-04-01 is in the 12 months -> on",
        {"OB_REG": True},
        events=[bmi(date(2025, 4, 1), 31)],
    ),
    rc(
        "ob_day_before",
        "OB: BMI 31 dated 2025-03-31 is outside the 12 months -> off",
        {"OB_REG": False},
        events=[bmi(date(2025, 3, 31), 31)],
    ),
    rc(
        "ob_latest_low",
        "OB: 32 in May then 28 in November: the latest (28) decides -> off",
        {"OB_REG": False},
        events=[bmi(date(2025, 5, 1), 32), bmi(date(2025, 11, 1), 28)],
    ),
    rc(
        "ob_latest_high",
        "OB: 28 in May then 32 in November -> on",
        {"OB_REG": True},
        events=[bmi(date(2025, 5, 1), 28), bmi(date(2025, 11, 1), 32)],
    ),
    rc(
        "ob_code_30plus",
        "OB: a BMI 30+ code (no value) in the year -> on",
        {"OB_REG": True},
        events=[ev("BMI30_COD", date(2025, 8, 1), code="914721000000105")],
    ),
    rc(
        "ob_age17",
        "OB r1: aged 17 with BMI 35 -> off",
        {"OB_REG": False},
        dob=AGE17,
        events=[bmi(date(2025, 6, 1), 35)],
    ),
    rc(
        "ob_age18",
        "OB r1: 18 on ACHV with BMI 35 -> on",
        {"OB_REG": True},
        dob=AGE18_TODAY,
        events=[bmi(date(2025, 6, 1), 35)],
    ),
    rc(
        "ob_28_no_listed_ethnicity",
        "OB: BMI 28, ethnicity not a listed group -> off",
        {"OB_REG": False},
        events=[
            bmi(date(2025, 6, 1), 28),
            ev("ETHNALL_COD", date(2010, 1, 1), code="494131000000105"),
        ],
    ),
    rc(
        "ob_27_5_indian",
        "OB: BMI 27.5, latest ethnicity Indian -> on",
        {"OB_REG": True},
        events=[bmi(date(2025, 6, 1), 27.5), ev("ETH2016AI_COD", date(2010, 1, 1))],
    ),
    rc(
        "ob_27_4_indian",
        "OB: BMI 27.4, ethnicity Indian -> off",
        {"OB_REG": False},
        events=[bmi(date(2025, 6, 1), 27.4), ev("ETH2016AI_COD", date(2010, 1, 1))],
    ),
    # ---- OST_REG ----------------------------------------------------------------------------
    rc(
        "ost_75_ff_2014",
        "OST: 75 with osteoporosis and FF on 2014-04-01 -> on",
        {"OST_REG": True},
        dob=AGE75,
        events=[ev("OSTEO_COD", date(2015, 1, 1)), ev("FF_COD", date(2014, 4, 1))],
    ),
    rc(
        "ost_75_ff_2014_03_31",
        "OST: 75 with FF only on 2014-03-31 -> off",
        {"OST_REG": False},
        dob=AGE75,
        events=[ev("OSTEO_COD", date(2015, 1, 1)), ev("FF_COD", date(2014, 3, 31))],
    ),
    rc(
        "ost_75_no_osteo",
        "OST: 75 with FF 2020 but no osteoporosis diagnosis -> off",
        {"OST_REG": False},
        dob=AGE75,
        events=[ev("FF_COD", date(2020, 1, 1))],
    ),
    rc(
        "ost_74_no_dxa",
        "OST: 74 with osteoporosis and FF 2013 but no DXA -> off",
        {"OST_REG": False},
        dob=AGE74,
        events=[ev("OSTEO_COD", date(2015, 1, 1)), ev("FF_COD", date(2013, 1, 1))],
    ),
    rc(
        "ost_74_dxa",
        "OST: 74, osteoporosis, FF on 2012-04-01, DXA scan -> on",
        {"OST_REG": True},
        dob=AGE74,
        events=[
            ev("OSTEO_COD", date(2015, 1, 1)),
            ev("FF_COD", date(2012, 4, 1)),
            ev("DXA_COD", date(2014, 1, 1)),
        ],
    ),
    rc(
        "ost_74_ff_2012_03_31",
        "OST: 74, FF only on 2012-03-31 (DXA done) -> off",
        {"OST_REG": False},
        dob=AGE74,
        events=[
            ev("OSTEO_COD", date(2015, 1, 1)),
            ev("FF_COD", date(2012, 3, 31)),
            ev("DXA_COD", date(2014, 1, 1)),
        ],
    ),
    rc(
        "ost_50_tscore",
        "OST: 50, osteoporosis, FF 2020, T-score -2.5 -> on",
        {"OST_REG": True},
        dob=AGE50,
        events=[
            ev("OSTEO_COD", date(2021, 1, 1)),
            ev("FF_COD", date(2020, 1, 1)),
            ev("DXA2_COD", date(2021, 1, 1), -2.5),
        ],
    ),
    rc(
        "ost_50_tscore_2_4",
        "OST: 50, T-score -2.4 and no DXA scan code -> off",
        {"OST_REG": False},
        dob=AGE50,
        events=[
            ev("OSTEO_COD", date(2021, 1, 1)),
            ev("FF_COD", date(2020, 1, 1)),
            ev("DXA2_COD", date(2021, 1, 1), -2.4),
        ],
    ),
    rc(
        "ost_49",
        "OST r1: aged 49 -> off",
        {"OST_REG": False},
        dob=AGE49,
        events=[
            ev("OSTEO_COD", date(2021, 1, 1)),
            ev("FF_COD", date(2020, 1, 1)),
            ev("DXA_COD", date(2021, 1, 1)),
        ],
    ),
    # ---- PC_REG -----------------------------------------------------------------------------
    rc(
        "pc_2008_04_01",
        "PC: palliative care code on 2008-04-01 -> on",
        {"PC_REG": True},
        events=[ev("PALCARE_COD", date(2008, 4, 1))],
    ),
    rc(
        "pc_2008_03_31",
        "PC: only code on 2008-03-31 -> off",
        {"PC_REG": False},
        events=[ev("PALCARE_COD", date(2008, 3, 31))],
    ),
    rc(
        "pc_no_longer",
        "PC: no longer indicated after the latest code -> off",
        {"PC_REG": False},
        events=[ev("PALCARE_COD", date(2024, 1, 1)), ev("PALCARENI_COD", date(2025, 1, 1))],
    ),
    rc(
        "pc_ni_same_day",
        "PC: no longer indicated the same day is not later -> on",
        {"PC_REG": True},
        events=[ev("PALCARE_COD", date(2024, 1, 1)), ev("PALCARENI_COD", date(2024, 1, 1))],
    ),
    rc(
        "pc_again",
        "PC: NI 2024, palliative care again 2025 -> on",
        {"PC_REG": True},
        events=[
            ev("PALCARE_COD", date(2023, 1, 1)),
            ev("PALCARENI_COD", date(2024, 1, 1)),
            ev("PALCARE_COD", date(2025, 1, 1)),
        ],
    ),
    rc(
        "pc_child",
        "PC: no age limit (age 5) -> on",
        {"PC_REG": True},
        dob=AGE5,
        events=[ev("PALCARE_COD", date(2025, 1, 1))],
    ),
    # ---- RA_REG -----------------------------------------------------------------------------
    rc(
        "ra_16_today",
        "RA: 16th birthday on ACHV -> on",
        {"RA_REG": True},
        dob=AGE16_TODAY,
        events=[ev("RARTH_COD", date(2024, 1, 1))],
    ),
    rc(
        "ra_15",
        "RA: aged 15 -> off",
        {"RA_REG": False},
        dob=AGE15,
        events=[ev("RARTH_COD", date(2024, 1, 1))],
    ),
    rc("ra_none", "RA: no diagnosis -> off", {"RA_REG": False}),
    rc(
        "ra_after_achv",
        "RA: diagnosis after ACHV not seen -> off",
        {"RA_REG": False},
        events=[ev("RARTH_COD", date(2026, 4, 1))],
    ),
]


@pytest.fixture(scope="module")
def registers(runner) -> tuple[dict[str, dict[str, bool]], dict[str, str]]:
    """Run every case once; return pid -> {register: on?} and pid -> missing cluster."""
    from qofcli.engine.evaluate import evaluate

    extract, missing = build_extract(CASES, runner.picker)
    evaluation = evaluate(extract, runner.rs)
    out: dict[str, dict[str, bool]] = {}
    for row in evaluation.patients.iter_rows(named=True):
        out[row["patient_id"]] = {
            k.removeprefix("reg:"): bool(v) for k, v in row.items() if k.startswith("reg:")
        }
    return out, missing


@pytest.mark.parametrize("c", CASES, ids=lambda c: c.pid)
def test_register(c: RegCase, registers) -> None:
    on, missing = registers
    if c.pid in missing:
        pytest.skip(f"cluster {missing[c.pid]} not shipped yet")
    got = on.get(c.pid, {})
    problems = [
        f"{reg}: expected {'on' if want else 'off'}, got {'on' if got.get(reg) else 'off'}"
        for reg, want in c.expect.items()
        if bool(got.get(reg)) != want
    ]
    if problems:
        pytest.fail(f"{c.pid} [{c.why}]\n  " + "\n  ".join(problems), pytrace=False)
