"""In-year progress: how far each indicator is from full points, and which patients are worth
most to the practice if they achieve (the worklist)."""

from __future__ import annotations

import polars as pl

from qofcli.scoring.points import points_expr

# Guards ceil() against float noise: 57.5% of 200 is 115, not 115.00000000000001.
_EPSILON = 1e-9

WORKLIST_COLUMNS = (
    "practice_code",
    "patient_id",
    "pounds_at_stake",
    "points_at_stake",
    "indicators",
    "missing",
)


def patients_needed_expr() -> pl.Expr:
    """More achievers needed to reach the upper threshold: ceil(upper% × denominator) − numerator,
    never below 0."""
    target = (pl.col("upper") / 100.0 * pl.col("denominator") - _EPSILON).ceil().cast(pl.Int64)
    return pl.max_horizontal(target - pl.col("numerator"), pl.lit(0, dtype=pl.Int64))


def _moves_with_achievement() -> pl.Expr:
    """Rows whose points follow this year's achievement (not protected, declared or registers,
    nor indicators not computable from public clusters)."""
    return (
        (pl.col("payment") == "achievement") & pl.col("upper").is_not_null() & pl.col("computable")
    )


def with_progress(indicators: pl.DataFrame) -> pl.DataFrame:
    """Add patients_needed and pounds_remaining (max £ − current £) to an indicator table; both
    are null where points do not follow achievement (protected, manual, register indicators)."""
    moves = _moves_with_achievement()
    return indicators.with_columns(
        pl.when(moves).then(patients_needed_expr()).alias("patients_needed"),
        pl.when(moves).then(pl.col("max_pounds") - pl.col("pounds")).alias("pounds_remaining"),
    )


def marginal_expr() -> tuple[pl.Expr, pl.Expr]:
    """Points and £ gained if one more patient in the denominator achieved (numerator + 1)."""
    one_more = 100.0 * (pl.col("numerator") + 1) / pl.col("denominator")
    gained = (
        pl.when(_moves_with_achievement())
        .then(points_expr(one_more, pl.col("lower"), pl.col("upper"), pl.col("max_points")))
        .otherwise(pl.col("points"))
        - pl.col("points")
    ).clip(lower_bound=0.0)
    per_point = pl.when(pl.col("max_points") > 0).then(pl.col("max_pounds") / pl.col("max_points"))
    return gained, gained * per_point


def worklist(not_achieved: pl.DataFrame, indicators: pl.DataFrame) -> pl.DataFrame:
    """Rank patients by the £ at stake over every indicator they have not yet achieved.

    `not_achieved` has practice_code, patient_id, indicator, description (patient outcomes with
    status not_achieved); `indicators` is the per-practice score table. An indicator whose £ is
    unknown adds its points to points_at_stake and nothing to pounds_at_stake.
    """
    points_gained, pounds_gained = marginal_expr()
    value = indicators.select(
        "practice_code",
        "indicator",
        points_gained.alias("points_gained"),
        pounds_gained.alias("pounds_gained"),
    )
    return (
        not_achieved.lazy()
        .join(value.lazy(), on=["practice_code", "indicator"], how="left")
        .sort("pounds_gained", "indicator", descending=[True, False], nulls_last=True)
        .group_by("practice_code", "patient_id", maintain_order=True)
        .agg(
            pl.col("pounds_gained").sum().alias("pounds_at_stake"),
            pl.col("points_gained").sum().alias("points_at_stake"),
            pl.col("indicator").alias("indicators"),
            pl.format("{}: {}", "indicator", "description").alias("missing"),
        )
        .sort(
            "pounds_at_stake",
            "points_at_stake",
            "practice_code",
            "patient_id",
            descending=[True, True, False, False],
        )
        .select(WORKLIST_COLUMNS)
        .collect()
    )
