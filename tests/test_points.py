"""Points from achievement: 0 at or below the lower threshold, the maximum at or above the upper
one, linear in between; no denominator earns nothing. `points_for` and `points_expr` agree."""

from __future__ import annotations

import polars as pl
import pytest

from qofcli.scoring.points import points_expr, points_for

# DM020: 17 points, thresholds 35% and 75%.
DM020 = {"lower": 35.0, "upper": 75.0, "max_points": 17.0}

CASES = [
    # (achievement %, expected points), hand-computed for DM020
    (None, 0.0),  # empty denominator
    (0.0, 0.0),
    (20.0, 0.0),
    (35.0, 0.0),  # at the lower threshold: nothing yet
    (45.0, 4.25),  # 17 * 10 / 40
    (55.0, 8.5),  # half way
    (65.0, 12.75),  # 17 * 30 / 40
    (75.0, 17.0),  # at the upper threshold: everything
    (90.0, 17.0),
    (100.0, 17.0),
]


@pytest.mark.parametrize(("achievement", "expected"), CASES)
def test_points_for_dm020(achievement: float | None, expected: float) -> None:
    assert points_for(achievement, **DM020) == pytest.approx(expected)


def test_points_just_above_lower_threshold_are_small_but_positive() -> None:
    points = points_for(35.4, **DM020)
    assert 0 < points == pytest.approx(17 * 0.4 / 40)


def test_points_for_other_thresholds() -> None:
    # DM036-like: 27 points, 38-90; 64% is half way.
    assert points_for(64.0, lower=38.0, upper=90.0, max_points=27.0) == pytest.approx(13.5)


def test_points_expr_matches_hand_computed_values() -> None:
    frame = pl.DataFrame(
        {"achievement": [a for a, _ in CASES]}, schema={"achievement": pl.Float64}
    ).with_columns(lower=pl.lit(35.0), upper=pl.lit(75.0), max_points=pl.lit(17.0))
    result = frame.select(
        points_expr(pl.col("achievement"), pl.col("lower"), pl.col("upper"), pl.col("max_points"))
    ).to_series()
    assert result.to_list() == pytest.approx([e for _, e in CASES])


def test_points_expr_agrees_with_points_for_per_row_thresholds() -> None:
    rows = [
        (achievement, lower, upper, max_points)
        for achievement in [None, 0.0, 12.5, 35.0, 40.0, 52.0, 57.3, 75.0, 89.99, 90.0, 100.0]
        for lower, upper, max_points in [(35.0, 75.0, 17.0), (40.0, 90.0, 11.0), (52.0, 92.0, 3.0)]
    ]
    frame = pl.DataFrame(
        rows,
        schema={
            "achievement": pl.Float64,
            "lower": pl.Float64,
            "upper": pl.Float64,
            "max_points": pl.Float64,
        },
        orient="row",
    )
    got = frame.select(
        points_expr(pl.col("achievement"), pl.col("lower"), pl.col("upper"), pl.col("max_points"))
    ).to_series()
    assert got.null_count() == 0
    assert got.to_list() == pytest.approx([points_for(*row) for row in rows])
