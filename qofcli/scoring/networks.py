"""Roll a per-practice score up to primary care networks (PCNs) or the whole run.

Choices (docs/output-format.md, "Roll-ups"):
- achievement is computed on POOLED numerators and denominators, never averaged, and points come
  from that pooled achievement: how the group performs as if it were one practice;
- list sizes, register sizes and patient counts are summed;
- £ is the SUM OF THE MEMBER PRACTICES' £: what the group is actually paid, since QOF pays each
  contractor on its own achievement. Pooled points × rates would generally differ, so cpi and
  apdf (per-practice factors) are null in a roll-up.
"""

from __future__ import annotations

import polars as pl

from qofcli.errors import UsageError
from qofcli.scoring.achievement import (
    BY_LEVELS,
    COUNT_COLUMNS,
    INDICATOR_COLUMNS,
    PRACTICE,
    Score,
    assemble,
)
from qofcli.scoring.points import points_expr
from qofcli.scoring.progress import with_progress

NO_PCN = "(no PCN)"
ALL = "all"
UNIT = "unit"
_INDICATOR_CONSTANTS = (
    "register",
    "computable",
    "missing_clusters",
    "group",
    "max_points",
    "lower",
    "upper",
    "prevalence_adjusted",
    "payment",
    "description",
)


def roll_up(score: Score, by: str) -> Score:
    """The score of each PCN (`by="pcn"`) or of all practices together (`by="all"`)."""
    if by not in BY_LEVELS:
        raise UsageError(f"--by {by!r}: choose one of {', '.join(BY_LEVELS)}")
    if by == "practice" or score.by != "practice":
        return score
    members = score.practices.select(PRACTICE, _unit(by).alias(UNIT))
    units = (
        score.practices.join(members, on=PRACTICE)
        .group_by(UNIT)
        .agg(pl.col(PRACTICE).sort().alias("practices"), pl.col("list_size").sum())
    )
    return assemble(
        score.counts,
        units,
        _registers(score.registers, members),
        _indicators(score.indicators, members),
        _reasons(score.reasons, members),
        score.rates,
        by,
    )


def _unit(by: str) -> pl.Expr:
    if by == "pcn":
        return pl.col("pcn_code").fill_null(NO_PCN)
    return pl.lit(ALL)


def _registers(registers: pl.DataFrame, members: pl.DataFrame) -> pl.DataFrame:
    pooled = (
        registers.join(members, on=PRACTICE)
        .group_by(UNIT, "register", "indicator")
        .agg(
            pl.col("size").sum(),
            pl.col("list_size").sum(),
            pl.col("prevalence").is_not_null().any().alias("is_disease"),
        )
    )
    prevalence = (
        pl.when(pl.col("is_disease") & (pl.col("list_size") > 0))
        .then(100.0 * pl.col("size") / pl.col("list_size"))
        .alias("prevalence")
    )
    return pooled.select(UNIT, "register", "indicator", "size", "list_size", prevalence).sort(
        UNIT, "register"
    )


def _indicators(indicators: pl.DataFrame, members: pl.DataFrame) -> pl.DataFrame:
    pooled = (
        indicators.join(members, on=PRACTICE)
        .group_by(UNIT, "indicator")
        .agg(
            *(pl.col(c).first() for c in _INDICATOR_CONSTANTS),
            *(_sum_known(c) for c in COUNT_COLUMNS),
            *(_sum_known(c) for c in ("pounds", "max_pounds", "points")),
            pl.col("points_note").drop_nulls().first(),
            pl.col("pounds_note").drop_nulls().first(),
            pl.col("points").is_null().any().alias("_points_missing"),
        )
    )
    achievement = (
        pl.when((pl.col("denominator") > 0) & pl.col("computable"))
        .then(100.0 * pl.col("numerator") / pl.col("denominator"))
        .alias("achievement")
    )
    # Points follow pooled achievement where achievement pays; otherwise (protected, declared,
    # register points) they are the members' points summed, null if any member's is unknown.
    points = (
        pl.when(~pl.col("computable"))
        .then(None)
        .when((pl.col("payment") == "achievement") & pl.col("upper").is_not_null())
        .then(
            points_expr(
                pl.col("achievement"), pl.col("lower"), pl.col("upper"), pl.col("max_points")
            )
        )
        .when(pl.col("_points_missing"))
        .then(None)
        .otherwise(pl.col("points"))
    )
    columns = [UNIT if c == PRACTICE else c for c in INDICATOR_COLUMNS]
    return (
        with_progress(
            pooled.with_columns(achievement).with_columns(
                points.alias("points"),
                pl.lit(None, dtype=pl.Float64).alias("cpi"),
                pl.lit(None, dtype=pl.Float64).alias("apdf"),
                # pooled points follow the thresholds; improvement routes are per practice
                pl.lit(None, dtype=pl.String).alias("points_route"),
            )
        )
        .select(columns)
        .sort(UNIT, "indicator")
    )


def _sum_known(column: str) -> pl.Expr:
    """Sum of the known values; null when none is known (not 0)."""
    return pl.when(pl.col(column).is_not_null().any()).then(pl.col(column).sum()).alias(column)


def _reasons(reasons: pl.DataFrame, members: pl.DataFrame) -> pl.DataFrame:
    return (
        reasons.join(members, on=PRACTICE)
        .group_by(UNIT, "indicator", "reason", "reason_type")
        .agg(pl.col("patients").sum())
        .sort(UNIT, "indicator", "reason")
    )
