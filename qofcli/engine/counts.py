"""The engine -> scoring contract: counts per practice, small and additive.

Scoring needs no patient: only, per practice, how many patients each indicator's rule branches
decided (its decision codes), how many patients are on each register, and how many are
registered on the achievement date. `Counts` holds exactly that, plus the code book that turns
a decision code into status, reason and rule. Counts of disjoint sets of patients (practice
batches, threads, Spark tasks) are combined by `combine`: concatenated and added, nothing
else. Patient-level outcomes come from an `Evaluation`, and only when asked for.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date

import polars as pl

from qofcli.engine.compile import register_column
from qofcli.engine.dates import RunDates
from qofcli.engine.evaluate import Evaluation
from qofcli.ruleset import model as m

PRACTICE = "practice_code"
OUTCOME_COUNTS = {
    PRACTICE: pl.String,
    "indicator": pl.String,
    "code": pl.Int32,
    "patients": pl.UInt32,
}
REGISTER_SIZES = {PRACTICE: pl.String, "register": pl.String, "size": pl.Int64}
REGISTERED = {PRACTICE: pl.String, "registered": pl.Int64}


@dataclass(frozen=True)
class Counts:
    """Everything scoring reads from an evaluation (frames in the schemas above)."""

    ruleset: m.Ruleset
    dates: RunDates
    outcomes: pl.DataFrame  # practice_code, indicator, code, patients
    registers: pl.DataFrame  # practice_code, register, size (every register of the ruleset)
    registered: pl.DataFrame  # practice_code, registered (on the achievement date)
    codebook: pl.DataFrame  # indicator, code -> status, reason, reason_type, rule, description

    @property
    def achievement_date(self) -> date:
        return self.dates.achievement


def count(evaluation: Evaluation) -> Counts:
    """Count an evaluation per practice; the patient-level frame is not kept."""
    patients = evaluation.people.lazy()
    registers = [register_column(r) for r in evaluation.ruleset.registers]
    # Each indicator's codes are counted from its register's patients only (evaluate.py keeps
    # them apart): no pass over every patient per indicator, no row per patient and indicator.
    decided = {c: part for part in evaluation.decided for c in part.columns if c.startswith("ind:")}
    outcomes = (
        pl.concat(
            decided[column]
            .lazy()
            .filter(pl.col(column).is_not_null())
            .group_by(PRACTICE, column)
            .agg(pl.len().alias("patients"))
            .select(
                PRACTICE,
                pl.lit(column.removeprefix("ind:")).alias("indicator"),
                pl.col(column).alias("code"),
                "patients",
            )
            for column in evaluation.indicator_columns
        )
        if decided
        else pl.LazyFrame(schema=OUTCOME_COUNTS)
    )
    per_practice = patients.group_by(PRACTICE).agg(
        pl.len().cast(pl.Int64).alias("registered"),
        *(pl.col(r).sum().cast(pl.Int64).alias(r) for r in registers),
    )
    outcomes_df, per_practice_df = pl.collect_all([outcomes, per_practice])
    sizes_df = (
        per_practice_df.select(PRACTICE, *registers)
        .unpivot(index=PRACTICE, variable_name="register", value_name="size")
        .with_columns(pl.col("register").str.strip_prefix("reg:"))
        if registers
        else pl.DataFrame(schema=REGISTER_SIZES)
    )
    return Counts(
        evaluation.ruleset,
        evaluation.dates,
        outcomes_df.cast(OUTCOME_COUNTS),  # type: ignore[arg-type]
        sizes_df.cast(REGISTER_SIZES),  # type: ignore[arg-type]
        per_practice_df.select(PRACTICE, "registered"),
        evaluation.outcomes,
    )


def combine(parts: Sequence[Counts]) -> Counts:
    """The counts of several disjoint sets of patients of one ruleset and date, added up."""
    first = parts[0]
    if any(p.ruleset.id != first.ruleset.id or p.dates != first.dates for p in parts):
        raise ValueError("combine: counts of different rulesets or dates")
    return replace(
        first,
        outcomes=_added([p.outcomes for p in parts], [PRACTICE, "indicator", "code"], "patients"),
        registers=_added([p.registers for p in parts], [PRACTICE, "register"], "size"),
        registered=_added([p.registered for p in parts], [PRACTICE], "registered"),
    )


def _added(frames: list[pl.DataFrame], keys: list[str], value: str) -> pl.DataFrame:
    dtype = frames[0].schema[value]
    return (
        pl.concat(frames).group_by(keys, maintain_order=True).agg(pl.col(value).sum().cast(dtype))
    )
