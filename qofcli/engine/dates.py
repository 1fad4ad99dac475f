"""Named dates of a run (PPSD, PPED, ACHV, and any the ruleset names) and calendar offsets."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta

import polars as pl

from qofcli.errors import UsageError
from qofcli.ruleset import model as m


@dataclass(frozen=True)
class RunDates:
    """The dates a run resolves names against."""

    named: dict[str, date]

    @property
    def achievement(self) -> date:
        return self.named["ACHV"]


def run_dates(ruleset: m.Ruleset, as_of: date | None) -> RunDates:
    """Named dates for a run; the achievement date defaults to the payment period end."""
    start, end = ruleset.period_start, ruleset.period_end
    achievement = as_of or end
    if not start <= achievement <= end:
        raise UsageError(
            f"--as-of {achievement} is outside {ruleset.id}'s payment period "
            f"({start} to {end}); choose a date in it or another ruleset"
        )
    return RunDates({**ruleset.dates, "ACHV": achievement})


def shift(day: date, offset: m.Offset | None) -> date:
    """Calendar arithmetic; month ends clamp (31 Aug - 6 months = 28/29 Feb)."""
    if offset is None:
        return day
    if offset.unit == "days":
        return day + timedelta(days=offset.amount)
    months = offset.amount * (12 if offset.unit == "years" else 1)
    total = day.year * 12 + (day.month - 1) + months
    year, month = divmod(total, 12)
    last_day = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last_day))


def shift_expr(expr: pl.Expr, offset: m.Offset | None) -> pl.Expr:
    """The same arithmetic as `shift`, on a date column."""
    if offset is None:
        return expr
    unit = {"days": "d", "months": "mo", "years": "y"}[offset.unit]
    return expr.dt.offset_by(f"{offset.amount}{unit}")


def ref_expr(ref: m.DateRef, dates: RunDates, column_of: dict[str, str]) -> pl.Expr:
    """A date reference as an expression: a literal for named dates, a column for fields."""
    if ref.base in dates.named:
        return pl.lit(shift(dates.named[ref.base], ref.offset), dtype=pl.Date)
    return shift_expr(pl.col(column_of[ref.base]), ref.offset)
