"""Points from achievement: nothing at or below the lower threshold, all at or above the upper,
linear in between (QOF guidance; see ../shared/domain/qof-catalogue.md §2)."""

from __future__ import annotations

import polars as pl


def points_for(achievement: float | None, lower: float, upper: float, max_points: float) -> float:
    """Points for one indicator; no achievement (empty denominator) earns nothing."""
    if achievement is None or achievement <= lower:
        return 0.0
    if achievement >= upper:
        return max_points
    return max_points * (achievement - lower) / (upper - lower)


def points_expr(
    achievement: pl.Expr, lower: pl.Expr, upper: pl.Expr, max_points: pl.Expr
) -> pl.Expr:
    """`points_for` over columns."""
    return (
        pl.when(achievement.is_null() | (achievement <= lower))
        .then(0.0)
        .when(achievement >= upper)
        .then(max_points)
        .otherwise(max_points * (achievement - lower) / (upper - lower))
    )
