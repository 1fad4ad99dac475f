"""Per (patient, cluster) summaries: the single pass over events that most fields are read from.

A field whose window is fixed by named dates only needs, per patient and cluster, the first and
last record date inside that window, and for some fields the value on that date. All of that is
a handful of plain min/max aggregations over one group-by, which Polars runs in its streaming
engine without materialising the matched events.

Values ride along with dates in one sortable integer ("key"): the date in the high digits and
the value, scaled to thousandths, in the low ones, so `max(key)` is "the latest record, lowest
value on that day". Values are therefore kept to 3 decimal places (and within +-999,999).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

import polars as pl

from qofcli.engine.dates import RunDates, shift
from qofcli.ruleset import model as m

PID = "pid"
_SCALE = 1000  # value resolution: thousandths
_OFFSET = 1_000_000  # values must lie strictly between -_OFFSET and +_OFFSET
_DAY = 10**10  # room for the value part below the date part
_NO_VALUE_LOW, _NO_VALUE_HIGH = 0, _DAY - 1
_LIMIT = _OFFSET - 1  # values beyond +-999,999 are clipped (no clinical value comes near)
_EPOCH_SHIFT = 200_000  # keeps keys positive for dates from the 1450s on

Direction = Literal["latest", "earliest"]
Preference = Literal["lowest", "highest"]


@dataclass(frozen=True)
class Window:
    """An inclusive window of record dates; None means open on that side."""

    low: date | None = None
    high: date | None = None

    def mask(self) -> pl.Expr:
        inside = pl.lit(True)
        if self.low is not None:
            inside = inside & (pl.col("date") >= pl.lit(self.low, dtype=pl.Date))
        if self.high is not None:
            inside = inside & (pl.col("date") <= pl.lit(self.high, dtype=pl.Date))
        return inside


def constant_window(bounds: tuple[m.Bound, ...], dates: RunDates) -> Window | None:
    """The window of bounds that refer to named dates only; None if any refers to a field."""
    low: date | None = None
    high: date | None = None
    for bound in bounds:
        if bound.ref.base not in dates.named:
            return None
        day = shift(dates.named[bound.ref.base], bound.ref.offset)
        lows = {"after": day + timedelta(days=1), "on_or_after": day, "same_day": day}
        highs = {"before": day - timedelta(days=1), "on_or_before": day, "same_day": day}
        if bound.op in lows:
            low = lows[bound.op] if low is None else max(low, lows[bound.op])
        if bound.op in highs:
            high = highs[bound.op] if high is None else min(high, highs[bound.op])
    return Window(low, high)


@dataclass(frozen=True)
class KeySpec:
    """Which record a field wants: latest or earliest, and lowest or highest value that day."""

    window: int
    direction: Direction
    preference: Preference

    @property
    def column(self) -> str:
        return f"k{self.window}_{self.direction}_{self.preference}"


def _value_part(spec: KeySpec) -> pl.Expr:
    """The value, encoded so that the preferred record of a day wins the max (latest) or the
    min (earliest); records without a value lose any same-day tie to records with one."""
    scaled = (pl.col("value").clip(-_LIMIT, _LIMIT) * _SCALE).round(0).cast(pl.Int64)
    centre = _OFFSET * _SCALE
    part = centre - scaled if _negated(spec) else centre + scaled
    missing = _NO_VALUE_LOW if spec.direction == "latest" else _NO_VALUE_HIGH
    return pl.when(pl.col("value").is_null()).then(pl.lit(missing, pl.Int64)).otherwise(part + 1)


def _negated(spec: KeySpec) -> bool:
    return (spec.direction == "latest") == (spec.preference == "lowest")


def key_expr(spec: KeySpec, windows: list[Window]) -> pl.Expr:
    day = (pl.col("date").cast(pl.Int64) + _EPOCH_SHIFT) * _DAY
    key = day + _value_part(spec)
    return pl.when(windows[spec.window].mask()).then(key).otherwise(None).alias(spec.column)


def decode_value(key: pl.Expr, spec: KeySpec) -> pl.Expr:
    """The value carried in a key (null when the chosen record had none)."""
    part = key % _DAY
    missing = _NO_VALUE_LOW if spec.direction == "latest" else _NO_VALUE_HIGH
    scaled = part - 1 - _OFFSET * _SCALE
    value = (-scaled if _negated(spec) else scaled).cast(pl.Float64) / _SCALE
    return pl.when(key.is_null() | (part == missing)).then(None).otherwise(value)


def summarise(matched: pl.LazyFrame, windows: list[Window], keys: list[KeySpec]) -> pl.LazyFrame:
    """Group matched records (pid, date, value, cid) by patient and cluster: first and last date
    in each window, and the extreme key for each KeySpec."""
    prepared = matched.with_columns(
        *(
            pl.when(w.mask()).then(pl.col("date")).otherwise(None).alias(f"d{i}")
            for i, w in enumerate(windows)
        ),
        *(key_expr(spec, windows) for spec in keys),
    )
    aggregations = []
    for i in range(len(windows)):
        aggregations += [pl.col(f"d{i}").min().alias(f"f{i}"), pl.col(f"d{i}").max().alias(f"l{i}")]
    aggregations += [
        (pl.col(s.column).max() if s.direction == "latest" else pl.col(s.column).min())
        for s in keys
    ]
    return prepared.group_by(PID, "cid").agg(aggregations)
