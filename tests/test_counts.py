"""The engine -> scoring contract (engine/counts.py): counts of disjoint batches of patients,
added with `combine_counts`, score exactly as the whole extract does (qof-2026-27, the bundled
sample, achievement date 2027-03-31)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl
import pytest

from qofcli import api
from qofcli.extract import Extract, extract_from_frames

RULESET = "qof-2026-27"
AS_OF = date(2027, 3, 31)
SAMPLE = Path(__file__).parent.parent / "sample_data"


def _batch(extract: Extract, keep: pl.Expr) -> Extract:
    patients = extract.patients.filter(keep).collect()
    ids = patients["patient_id"].implode()
    events = extract.events.filter(pl.col("patient_id").is_in(ids)).collect()
    practices = None if extract.practices is None else extract.practices.collect()
    return extract_from_frames(patients, events, practices)


@pytest.mark.parametrize(
    "split",
    [
        pl.col("practice_code") == pl.col("practice_code").min(),  # whole practices
        pl.col("patient_id").hash() % 2 == 0,  # every practice in both batches
    ],
)
def test_combined_batches_score_as_the_whole(split: pl.Expr) -> None:
    ruleset = api.load_ruleset(RULESET)
    whole = api.open_extract(SAMPLE, ruleset)
    batches = [_batch(whole, split), _batch(whole, ~split)]
    parts = [api.counts(b, ruleset, AS_OF) for b in batches]
    assert all(p.outcomes.height for p in parts)
    combined = api.combine_counts(parts)
    expected = api.score(whole, ruleset, AS_OF)
    got = api.score_counts(combined, api.practices_of(whole))
    for table in ("practices", "registers", "indicators", "reasons", "domains", "totals"):
        assert getattr(got, table).equals(getattr(expected, table)), table


def test_counts_hold_no_patient_ids() -> None:
    ruleset = api.load_ruleset(RULESET)
    counted = api.counts(api.open_extract(SAMPLE, ruleset), ruleset, AS_OF)
    frames = (counted.outcomes, counted.registers, counted.registered)
    assert all("patient_id" not in f.columns for f in frames)
    on_registers = counted.registers["size"].sum()
    assert on_registers > 0
    assert (
        counted.registered["registered"].sum()
        >= counted.registers.group_by("register").agg(pl.col("size").sum())["size"].max()
    )


def test_counts_of_different_rulesets_do_not_combine() -> None:
    a, b = api.load_ruleset(RULESET), api.load_ruleset("qof-2025-26")
    extract = api.open_extract(SAMPLE, a)
    with pytest.raises(ValueError, match="different rulesets"):
        api.combine_counts([api.counts(extract, a, AS_OF), api.counts(extract, b)])


def test_each_indicator_decides_exactly_the_patients_on_its_register() -> None:
    # An indicator's denominator population is its register: every patient on it gets one
    # decision, nobody else gets one; its counts per practice add up to the register's size.
    ruleset = api.load_ruleset(RULESET)
    evaluation = api.evaluate(api.open_extract(SAMPLE, ruleset), ruleset, AS_OF)
    patients = evaluation.patients
    counted = api.counts(api.open_extract(SAMPLE, ruleset), ruleset, AS_OF)
    decided = counted.outcomes.group_by("practice_code", "indicator").agg(pl.col("patients").sum())
    computed = [i for i in ruleset.indicators.values() if i.computed]
    assert decided["patients"].sum() > 0
    for indicator in computed:
        on_register = patients[f"reg:{indicator.register}"]
        assert (patients[f"ind:{indicator.id}"].is_not_null() == on_register).all(), indicator.id
        sizes = counted.registers.filter(pl.col("register") == indicator.register)
        mine = decided.filter(pl.col("indicator") == indicator.id)
        joined = sizes.join(mine, on="practice_code", how="left").fill_null(0)
        assert (joined["size"] == joined["patients"]).all(), indicator.id
