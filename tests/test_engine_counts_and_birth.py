"""Vocabulary for age-timed rules (vaccinations): the DOB date reference and `count` fields."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import polars as pl
import pytest

from qofcli import api
from qofcli.engine.evaluate import evaluate
from qofcli.extract import extract_from_frames

MINI = Path(__file__).parent / "fixtures" / "rulesets" / "mini"

EXTRA_FIELDS = """
INVITES_BEFORE_ONE: {count: DMINVITE_COD, before: DOB + 1 years}
INVITES_ANY: {count: DMINVITE_COD}
FIRST_INVITE_AFTER_ONE: {earliest: DMINVITE_COD, on_or_after: DOB + 1 years}
"""

EXTRA_REGISTERS = {
    "TWO_BEFORE_ONE_REG": "{value: INVITES_BEFORE_ONE, ge: 2}",
    "NO_INVITES_REG": "{value: INVITES_ANY, eq: 0}",
    "TURNS_ONE_IN_YEAR_REG": (
        "{all: [{date: DOB, on_or_after: PPSD - 1 years},"
        " {date: DOB, on_or_before: PPED - 1 years}]}"
    ),
    "INVITED_AFTER_ONE_REG": "{has: FIRST_INVITE_AFTER_ONE}",
}


@pytest.fixture(scope="module")
def ruleset(tmp_path_factory: pytest.TempPathFactory):
    folder = tmp_path_factory.mktemp("rs") / "mini"
    shutil.copytree(MINI, folder)
    with (folder / "fields.yaml").open("a") as handle:
        handle.write(EXTRA_FIELDS)
    for name, condition in EXTRA_REGISTERS.items():
        steps = f"  - when: {condition}\n    if_true: select\n    if_false: reject\n"
        (folder / "registers" / f"{name}.yaml").write_text(f"id: {name}\nrules:\n{steps}")
    return api.load_ruleset(folder)


def _registers(ruleset, births: dict[str, date], invites: list[tuple[str, date]]) -> dict:
    code = ruleset.clusters["DMINVITE_COD"].codes[0]
    patients = pl.DataFrame(
        {
            "patient_id": list(births),
            "practice_code": ["A81001"] * len(births),
            "date_of_birth": list(births.values()),
            "sex": ["F"] * len(births),
            "registration_date": list(births.values()),
        }
    )
    events = pl.DataFrame(
        {
            "patient_id": [p for p, _ in invites],
            "date": [d for _, d in invites],
            "code": [code] * len(invites),
            "value": [None] * len(invites),
        },
        schema={"patient_id": pl.String, "date": pl.Date, "code": pl.String, "value": pl.Float64},
    )
    frame = evaluate(extract_from_frames(patients, events), ruleset).patients
    return {row["patient_id"]: row for row in frame.to_dicts()}


def test_count_counts_distinct_days_in_a_window_relative_to_birth(ruleset) -> None:
    births = {"two": date(2023, 6, 1), "one_day_twice": date(2023, 6, 1), "late": date(2023, 6, 1)}
    invites = [
        ("two", date(2023, 8, 1)),
        ("two", date(2024, 5, 31)),  # the day before the first birthday: still before
        ("one_day_twice", date(2023, 8, 1)),
        ("one_day_twice", date(2023, 8, 1)),  # same day counts once
        ("late", date(2023, 8, 1)),
        ("late", date(2024, 6, 1)),  # on the first birthday: not before it
    ]
    rows = _registers(ruleset, births, invites)
    assert rows["two"]["reg:TWO_BEFORE_ONE_REG"] is True
    assert rows["one_day_twice"]["reg:TWO_BEFORE_ONE_REG"] is False
    assert rows["late"]["reg:TWO_BEFORE_ONE_REG"] is False
    assert rows["late"]["reg:INVITED_AFTER_ONE_REG"] is True
    assert rows["two"]["reg:INVITED_AFTER_ONE_REG"] is False


def test_a_count_with_no_records_is_zero(ruleset) -> None:
    rows = _registers(ruleset, {"none": date(2000, 1, 1)}, [])
    assert rows["none"]["reg:NO_INVITES_REG"] is True


def test_dob_as_a_date_for_age_cohorts(ruleset) -> None:
    # PPSD 2024-04-01, PPED 2025-03-31: first birthday inside the payment period.
    births = {
        "first_day": date(2023, 4, 1),
        "last_day": date(2024, 3, 31),
        "too_old": date(2023, 3, 31),
        "too_young": date(2024, 4, 1),
    }
    rows = _registers(ruleset, births, [])
    assert rows["first_day"]["reg:TURNS_ONE_IN_YEAR_REG"] is True
    assert rows["last_day"]["reg:TURNS_ONE_IN_YEAR_REG"] is True
    assert rows["too_old"]["reg:TURNS_ONE_IN_YEAR_REG"] is False
    assert rows["too_young"]["reg:TURNS_ONE_IN_YEAR_REG"] is False
