"""Per (patient, cluster) summaries: the single pass over events that most fields are read from.

A field whose window is fixed by named dates only needs, per patient and cluster, the first and
last record date inside that window, and for some fields the value on that date. All of that is
a handful of plain min/max aggregations over one group-by, which Polars runs in its streaming
engine without materialising the matched events.

Values ride along with dates in one sortable 128-bit integer ("key"): the day in the high 64
bits and the value's IEEE-754 bits, mapped to an order-preserving integer, in the low 64, so
`max(key)` is "the latest record, lowest value on that day" and the value decodes exactly (no
rounding, no clipping). Values reaching the engine are finite (see facts.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

import numpy as np
import polars as pl

from qofcli.engine.dates import RunDates, shift
from qofcli.ruleset import model as m

PID = "pid"
_DAY = 2**64  # the value part fills the low 64 bits of a key
_SIGN = 2**63  # shifts the signed order-preserving value into 0 .. 2**64 - 1
# Finite values map strictly inside (0, 2**64 - 1), so these two never meet a real value.
_NO_VALUE_LOW, _NO_VALUE_HIGH = 0, _DAY - 1
_EPOCH_SHIFT = 200_000  # keeps keys positive for dates from the 1450s on
_LOW_63 = 0x7FFF_FFFF_FFFF_FFFF

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


def _flip(bits: np.ndarray) -> np.ndarray:
    """IEEE-754 bits (as int64) <-> an int64 that sorts as the floats do; its own inverse."""
    return bits ^ ((bits >> 63) & _LOW_63)


def _ordered_bits(values: pl.Series) -> pl.Series:
    return pl.Series(_flip(values.fill_null(0.0).to_numpy().view(np.int64)))


def _float_from_ordered(ordered: pl.Series) -> pl.Series:
    return pl.Series(_flip(ordered.fill_null(0).to_numpy().astype(np.int64)).view(np.float64))


def _value_part(spec: KeySpec) -> pl.Expr:
    """The value, encoded so that the preferred record of a day wins the max (latest) or the
    min (earliest); records without a value lose any same-day tie to records with one."""
    ordered = pl.col("value").map_batches(_ordered_bits, return_dtype=pl.Int64, is_elementwise=True)
    part = ordered.cast(pl.Int128) + _SIGN
    if _negated(spec):
        part = (_DAY - 1) - part
    missing = _NO_VALUE_LOW if spec.direction == "latest" else _NO_VALUE_HIGH
    return pl.when(pl.col("value").is_null()).then(pl.lit(missing, pl.Int128)).otherwise(part)


def _negated(spec: KeySpec) -> bool:
    return (spec.direction == "latest") == (spec.preference == "lowest")


def key_expr(spec: KeySpec, windows: list[Window], cids: list[int] | None = None) -> pl.Expr:
    day = (pl.col("date").cast(pl.Int128) + _EPOCH_SHIFT) * _DAY
    key = day + _value_part(spec)
    inside = windows[spec.window].mask() & _of(cids)
    return pl.when(inside).then(key).otherwise(None).alias(spec.column)


def _of(cids: list[int] | None) -> pl.Expr:
    """Rows of these clusters (all rows for None)."""
    return pl.lit(True) if cids is None else pl.col("cid").is_in(cids)


def decode_value(key: pl.Expr, spec: KeySpec) -> pl.Expr:
    """The value carried in a key, bit for bit (null when the chosen record had none)."""
    part = key % _DAY
    missing = _NO_VALUE_LOW if spec.direction == "latest" else _NO_VALUE_HIGH
    unsigned = (_DAY - 1) - part if _negated(spec) else part
    ordered = (unsigned - _SIGN).cast(pl.Int64)
    value = ordered.map_batches(_float_from_ordered, return_dtype=pl.Float64)
    return pl.when(key.is_null() | (part == missing)).then(None).otherwise(value)


def summarise(
    matched: pl.LazyFrame,
    windows: list[Window],
    keys: list[KeySpec],
    window_cids: list[list[int]] | None = None,
    key_cids: dict[str, list[int]] | None = None,
) -> pl.LazyFrame:
    """Group matched records (pid, date, value, cid) by patient and cluster: first and last date
    in each window, and the extreme key for each KeySpec. With `window_cids` and `key_cids`
    (plan.py) a window or key is computed only for the clusters some field reads it of, and is
    null for the others: most windows serve one cluster, and nulls aggregate cheaply."""
    prepared = matched.with_columns(
        *(
            pl.when(w.mask() & _of(window_cids[i] if window_cids else None))
            .then(pl.col("date"))
            .otherwise(None)
            .alias(f"d{i}")
            for i, w in enumerate(windows)
        ),
        *(key_expr(s, windows, key_cids[s.column] if key_cids else None) for s in keys),
    )
    aggregations = []
    for i in range(len(windows)):
        aggregations += [pl.col(f"d{i}").min().alias(f"f{i}"), pl.col(f"d{i}").max().alias(f"l{i}")]
    aggregations += [
        (pl.col(s.column).max() if s.direction == "latest" else pl.col(s.column).min())
        for s in keys
    ]
    return prepared.group_by(PID, "cid").agg(aggregations)
