"""Rule fidelity (issue #10 items 1, 3, 4): latest blood pressure, same-day frailty, values.

Ruleset qof-2025-26: PPSD 2025-04-01, PPED = ACHV 2026-03-31; "in the last 12 months" is
after 2025-03-31. Expectations come from the rule texts:

- Latest BP (qof-rule-logic §1.7, "the latest reading must have systolic and diastolic"): the
  latest DATE with both a systolic and a diastolic value; the lowest of each that day. A
  value-less BP code (the home-BP flag 413153004, a systolic/diastolic code with no value) or a
  lone systolic or diastolic never becomes "the latest". A home-BP code on the reading's date
  makes it a home reading (home targets). The invitation PCA (HYPBPINV: above-target latest
  reading followed by two invitations) reads the same latest reading.
- Frailty (DM020/DM021 r1, "latest frailty record is moderate or severe"): the record that
  decides is the most severe one of the latest date.
- Values: compared exactly (HbA1c 58.0004 is above 58); NaN, infinite and physiologically
  impossible values (outside the ruleset's value_ranges: HbA1c 10-250 mmol/mol, systolic
  40-370 mmHg) are missing values, never achievements.
- BP002 counts any BP_COD record in 5 years (v46 "Select BP_COD in 5 y"), with or without
  values: the stricter reading definition does not apply to it.
"""

from __future__ import annotations

from datetime import date

import pytest
from rulecases import (
    ACHIEVED,
    NOT_ACHIEVED,
    bp,
    case,
    case_id,
    ev,
    excluded,
    hba1c,
    pca,
)

RULESET = "qof-2025-26"
HYP_DX = date(2015, 1, 1)
EARLY = date(2025, 6, 1)  # in the payment year
LATE = date(2025, 9, 1)  # later in the payment year
HOME_FLAG = "413153004"  # "Blood pressure recorded by patient at home" (HOMEBP_COD, no value)
U80 = excluded("PAT_AGEU80")
NOT_FRAIL = excluded("MDSEVFRAIL")  # DM021 for a patient whose latest frailty is not mod/sev
FRAIL = excluded("MDSEVFRAIL")  # DM020 for a moderately or severely frail patient
FRAIL_DAY = date(2024, 1, 10)


def h8(pid, why, expect, events):
    """A 65-year-old with hypertension (no diabetes): HYP008 decides, HYP009 excludes."""
    evs = [ev("HYP_COD", HYP_DX), *events]
    return case(pid, why, {"HYP008": expect, "HYP009": U80}, dx=None, events=evs)


def sys_only(when, value):
    return ev("SYSBP_COD", when, value, also=("BP_COD",))


def dia_only(when, value):
    return ev("DIABP_COD", when, value, also=("BP_COD",))


def hyp_invites(*days):
    return [ev("HYPINVITE_COD", d) for d in days]


BP_CASES = [
    h8(
        "fid_bp_flag_after",
        "a value-less home-BP flag after an in-target reading is not the latest BP",
        ACHIEVED,
        [bp(EARLY, 130, 80), ev("HOMEBP_COD", LATE, code=HOME_FLAG)],
    ),
    h8(
        "fid_bp_lone_sys_after",
        "a lone systolic after an in-target reading is not the latest BP",
        ACHIEVED,
        [bp(EARLY, 130, 80), sys_only(LATE, 150)],
    ),
    h8(
        "fid_bp_pair_after",
        "a full reading above target after an in-target one IS the latest BP",
        NOT_ACHIEVED,
        [bp(EARLY, 130, 80), bp(LATE, 150, 95)],
    ),
    h8(
        "fid_bp_lone_dia_after",
        "a lone in-target diastolic does not replace an above-target reading",
        NOT_ACHIEVED,
        [bp(EARLY, 150, 95), dia_only(LATE, 80)],
    ),
    h8(
        "fid_bp_valueless_pair_after",
        "systolic and diastolic codes without values are not a reading",
        ACHIEVED,
        [bp(EARLY, 130, 80), sys_only(LATE, None), dia_only(LATE, None)],
    ),
    h8(
        "fid_bp_lowest_of_day",
        "two systolics (141, 140) and diastolic 90 on one day: lowest of each = 140/90",
        ACHIEVED,
        [bp(EARLY, 141, 90), sys_only(EARLY, 140)],
    ),
    h8(
        "fid_bp_home_flag_same_day_above",
        "home flag on the reading's day: 138/84 is above the home target 135/85",
        NOT_ACHIEVED,
        [bp(EARLY, 138, 84), ev("HOMEBP_COD", EARLY, code=HOME_FLAG)],
    ),
    h8(
        "fid_bp_home_flag_same_day_in",
        "home flag on the reading's day: 135/85 meets the home target",
        ACHIEVED,
        [bp(EARLY, 135, 85), ev("HOMEBP_COD", EARLY, code=HOME_FLAG)],
    ),
    h8(
        "fid_bp_clinic_138_84",
        "the same 138/84 without a home code is a clinic reading within 140/90",
        ACHIEVED,
        [bp(EARLY, 138, 84)],
    ),
    h8(
        "fid_bp_pair_out_of_year_lone_in_year",
        "full reading 2025-03-31 (outside the 12 months), lone systolic in the year: no BP",
        NOT_ACHIEVED,
        [bp(date(2025, 3, 31), 130, 80), sys_only(EARLY, 130)],
    ),
    h8(
        "fid_bp_pair_first_day_of_year",
        "full reading on 2025-04-01 (inside the 12 months) -> achieved",
        ACHIEVED,
        [bp(date(2025, 4, 1), 130, 80)],
    ),
    h8(
        "fid_bp_invites_after_reading_then_lone_sys",
        "HYPBPINV: above-target reading, two invitations 7 days apart, then a lone systolic "
        "(not a reading): the invitations follow the latest reading -> PCA",
        pca("HYPBPINV"),
        [
            bp(date(2025, 5, 1), 150, 95),
            hyp_invites(date(2025, 6, 1), date(2025, 6, 8)),
            sys_only(date(2025, 7, 1), 130),
        ],
    ),
    h8(
        "fid_bp_invites_before_latest_reading",
        "the same, but a full above-target reading after the invitations: no PCA",
        NOT_ACHIEVED,
        [
            bp(date(2025, 5, 1), 150, 95),
            hyp_invites(date(2025, 6, 1), date(2025, 6, 8)),
            bp(date(2025, 7, 1), 150, 95),
        ],
    ),
    h8(
        "fid_bp_impossible_systolic_39",
        "a later reading with systolic 39 (below the plausible 40) is not a reading",
        NOT_ACHIEVED,
        [bp(EARLY, 150, 95), bp(LATE, 39, 20)],
    ),
    h8(
        "fid_bp_systolic_40",
        "systolic 40 is plausible: the later reading 40/20 is the latest and within target",
        ACHIEVED,
        [bp(EARLY, 150, 95), bp(LATE, 40, 20)],
    ),
    case(
        "fid_dm036_lone_sys_after",
        "DM036 reads the same latest BP: a lone systolic after 130/80 does not count",
        {"DM036": ACHIEVED},
        events=[bp(EARLY, 130, 80), sys_only(LATE, 150)],
    ),
    case(
        "fid_bp002_valueless_bp_code",
        "BP002: a value-less BP_COD record in 5 years counts as a BP recorded",
        {"BP002": ACHIEVED},
        dx=None,
        events=[ev("BP_COD", date(2023, 1, 1), code="163025002")],
    ),
    case(
        "fid_bp002_none",
        "BP002: no BP record in 5 years -> not achieved",
        {"BP002": NOT_ACHIEVED},
        dx=None,
    ),
]

VALUE_CASES = [
    case(
        "fid_hba1c_58",
        "DM020: HbA1c exactly 58 -> achieved",
        {"DM020": ACHIEVED},
        events=[hba1c(EARLY, 58)],
    ),
    case(
        "fid_hba1c_58_0004",
        "DM020: HbA1c 58.0004 is above 58 (exact comparison) -> not achieved",
        {"DM020": NOT_ACHIEVED},
        events=[hba1c(EARLY, 58.0004)],
    ),
    case(
        "fid_hba1c_75_0001",
        "DM021 (frail): HbA1c 75.0001 is above 75 -> not achieved",
        {"DM021": NOT_ACHIEVED},
        events=[ev("MODFRAIL_COD", FRAIL_DAY), hba1c(EARLY, 75.0001)],
    ),
    case(
        "fid_hba1c_negative",
        "DM020: a later HbA1c of -987.654 is impossible: no value, never an achievement",
        {"DM020": NOT_ACHIEVED},
        events=[hba1c(EARLY, 70), hba1c(LATE, -987.654)],
    ),
    case(
        "fid_hba1c_minus_inf",
        "DM020: an HbA1c of -inf is a missing value -> not achieved",
        {"DM020": NOT_ACHIEVED},
        events=[hba1c(LATE, float("-inf"))],
    ),
    case(
        "fid_hba1c_nan",
        "DM020: an HbA1c of NaN is a missing value (and does not crash) -> not achieved",
        {"DM020": NOT_ACHIEVED},
        events=[hba1c(LATE, float("nan"))],
    ),
    case(
        "fid_hba1c_10",
        "DM020: HbA1c 10 is the lowest plausible value -> achieved",
        {"DM020": ACHIEVED},
        events=[hba1c(LATE, 10)],
    ),
    case(
        "fid_hba1c_9_99",
        "DM020: HbA1c 9.99 is below the plausible range -> missing -> not achieved",
        {"DM020": NOT_ACHIEVED},
        events=[hba1c(LATE, 9.99)],
    ),
]

FRAILTY_CASES = [
    case(
        "fid_frail_mild_mod_same_day",
        "mild and moderate frailty on the latest date: moderate decides",
        {"DM020": FRAIL, "DM021": ACHIEVED},
        events=[ev("MILDFRAIL_COD", FRAIL_DAY), ev("MODFRAIL_COD", FRAIL_DAY), hba1c(EARLY, 60)],
    ),
    case(
        "fid_frail_mild_sev_same_day",
        "mild and severe frailty on the latest date: severe decides",
        {"DM020": FRAIL, "DM021": ACHIEVED},
        events=[ev("MILDFRAIL_COD", FRAIL_DAY), ev("SEVFRAIL_COD", FRAIL_DAY), hba1c(EARLY, 60)],
    ),
    case(
        "fid_frail_mild_after_mod",
        "moderate frailty, then mild on a later date: the latest (mild) decides",
        {"DM020": NOT_ACHIEVED, "DM021": NOT_FRAIL},
        events=[
            ev("MODFRAIL_COD", FRAIL_DAY),
            ev("MILDFRAIL_COD", date(2024, 2, 1)),
            hba1c(EARLY, 60),
        ],
    ),
]

CASES = BP_CASES + VALUE_CASES + FRAILTY_CASES


@pytest.mark.parametrize("c", CASES, ids=case_id)
def test_rule(c, check):
    check(c, CASES)
