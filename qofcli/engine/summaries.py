"""Per-patient reductions over the records of each cluster: what every field is computed from.

The matched records (pid, date, value, cid) are split once by cluster id (a Polars
partition); a field is then a reduction of its clusters' records into one entry per patient,
NumPy's unbuffered `ufunc.at` into an array indexed by patient id (ids are dense, 0..n-1):
the latest (or earliest) day inside a window, then the preferred value on that day. No
group-by per field, no join, no Python loop over patients.

Days are int32 days since 1970 (NO_DAY for none). Values are compared as order-preserving
int64s made from their IEEE-754 bits, so "the lowest value" is exact and decodes bit for bit;
values reaching the engine are finite (see events.py), so NaN stands for "no value".
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import polars as pl

from qofcli.engine.dates import RunDates, shift
from qofcli.ruleset import model as m

PID = "pid"
NO_DAY = np.iinfo(np.int32).min
_FAR = np.iinfo(np.int32).max
_EPOCH = date(1970, 1, 1)
_LOW_63 = 0x7FFF_FFFF_FFFF_FFFF
# Finite values never map to the int64 extremes: the "no value" of lowest and highest picks.
NO_LOWEST, NO_HIGHEST = np.iinfo(np.int64).max, np.iinfo(np.int64).min


def day_number(day: date) -> int:
    return (day - _EPOCH).days


@dataclass(frozen=True)
class Window:
    """An inclusive window of record dates; None means open on that side."""

    low: date | None = None
    high: date | None = None

    def bounds(self) -> tuple[int | None, int | None]:
        low = None if self.low is None else day_number(self.low)
        high = None if self.high is None else day_number(self.high)
        return low, high


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
class Records:
    """Records of one cluster: patient id (uint32), day (int32) and, if read, value (NaN:
    none)."""

    pid: np.ndarray
    day: np.ndarray
    value: np.ndarray | None

    def where(self, keep: np.ndarray) -> Records:
        value = None if self.value is None else self.value[keep]
        return Records(self.pid[keep], self.day[keep], value)

    def inside(self, window: Window) -> Records:
        low, high = window.bounds()
        if low is None and high is None:
            return self
        keep = np.ones(len(self.day), dtype=bool)
        if low is not None:
            keep &= self.day >= low
        if high is not None:
            keep &= self.day <= high
        return self.where(keep)


EMPTY = Records(np.zeros(0, np.uint32), np.zeros(0, np.int32), np.zeros(0, np.float64))


def by_values_read(
    matched: pl.DataFrame, read: set[int], valued: set[int]
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The matched records (pid, date, value, cid) of the cluster ids in `read`: those of
    clusters whose values no field reads (without their values), and the others."""
    cid = pl.col("cid")
    plain = matched.filter(cid.is_in(list(read - valued))).select("pid", "date", "cid")
    return plain, matched.filter(cid.is_in(list(read & valued)))


def split_by_cluster(frames: Sequence[pl.DataFrame], clusters: int) -> list[Records]:
    """Each cluster id's records (ids without records: EMPTY), with values where the frame
    has them. Polars partitions the rows in its threads; the arrays are views of the parts."""
    out = [EMPTY] * clusters
    for frame in frames:
        for part in frame.partition_by("cid", maintain_order=False):
            value = part["value"].fill_null(np.nan).to_numpy() if "value" in part.columns else None
            out[part["cid"][0]] = Records(part["pid"].to_numpy(), _days(part), value)
    return out


def _days(part: pl.DataFrame) -> np.ndarray:
    return part["date"].to_physical().to_numpy()


def extreme_day(records: Sequence[Records], window: Window, latest: bool, n: int) -> np.ndarray:
    """Each patient's latest (or earliest) record day inside the window, NO_DAY for none.

    Only the far side of the window filters records; the near side cuts the result (the
    latest record on or after a day is the latest record, if it is on or after that day)."""
    low, high = window.bounds()
    far = high if latest else low
    out = np.full(n, NO_DAY if latest else _FAR, np.int32)
    reduce = np.maximum if latest else np.minimum
    for rows in records:
        pid, day = rows.pid, rows.day
        if far is not None:
            keep = day <= far if latest else day >= far
            pid, day = pid[keep], day[keep]
        reduce.at(out, pid, day)
    if latest:
        if low is not None:
            out[out < low] = NO_DAY
    else:
        out[out > (_FAR - 1 if high is None else high)] = NO_DAY
    return out


def ordered(values: np.ndarray) -> np.ndarray:
    """IEEE-754 doubles as int64s that sort as the numbers do (-0.0 just below 0.0)."""
    bits = values.view(np.int64)
    return bits ^ ((bits >> 63) & _LOW_63)


@dataclass(frozen=True)
class DayPick:
    """The chosen record of each patient's day: its value as an `ordered` key (`none`: no
    value) and its cluster, as a position in `cids` (-1: no record)."""

    best: np.ndarray
    none: int
    cids: np.ndarray
    position: np.ndarray

    def without(self, off: np.ndarray) -> DayPick:
        best = np.where(off, self.none, self.best)
        return DayPick(best, self.none, self.cids, np.where(off, -1, self.position))

    def cluster_series(self, name: str, names: list[str]) -> pl.Series:
        ids = pl.Series(np.where(self.position >= 0, self.cids[self.position], -1))
        label = pl.lit(pl.Series(names, dtype=pl.String)).gather(ids.clip(0))
        return pl.select(pl.when(ids >= 0).then(label)).to_series().alias(name)


def pick_on_day(
    ranked: Sequence[Records], cids: Sequence[int], days: np.ndarray, prefer: bool, highest: bool
) -> DayPick:
    """Each patient's record on `days[pid]` among clusters in same-day preference order
    (`ranked`, their ids `cids`; records inside the day's window). With `prefer` the first
    cluster with a record wins and its lowest (highest) value is taken; otherwise the lowest
    (highest) value wins and equal values, or none, go to the first cluster."""
    pids, ranks, values = [], [], []
    for rank, rows in enumerate(ranked):
        on = rows.day == days[rows.pid]
        pids.append(rows.pid[on])
        ranks.append(np.full(len(pids[-1]), rank, np.int32))
        value = rows.value[on] if rows.value is not None else np.full(len(pids[-1]), np.nan)
        values.append(value)
    pid, position, value = (np.concatenate(a) for a in (pids, ranks, values))
    none = NO_HIGHEST if highest else NO_LOWEST
    key = np.where(np.isnan(value), none, ordered(value))
    reduce = np.maximum if highest else np.minimum
    best = np.full(len(days), none, np.int64)
    chosen = np.full(len(days), len(ranked), np.int32)
    if prefer:
        np.minimum.at(chosen, pid, position)
        mine = position == chosen[pid]
        reduce.at(best, pid[mine], key[mine])
    else:
        reduce.at(best, pid, key)
        mine = key == best[pid]
        np.minimum.at(chosen, pid[mine], position[mine])
    chosen[chosen == len(ranked)] = -1
    return DayPick(best, none, np.array(cids, np.int32), chosen)


def distinct_days(name: str, records: Sequence[Records], n: int) -> pl.Series:
    """The number of distinct record days per patient (as Float64, null for none)."""
    pid = np.concatenate([r.pid for r in records]).astype(np.int64)
    day = np.concatenate([r.day for r in records]).astype(np.int64) - NO_DAY
    patient_days = np.unique((pid << 32) | day)
    counts = np.bincount((patient_days >> 32).astype(np.intp), minlength=n).astype(np.float64)
    counts[counts == 0] = np.nan
    return pl.Series(name, counts, nan_to_null=True)


def common_day(records: Sequence[Records], latest: bool, n: int) -> np.ndarray:
    """Each patient's latest (or earliest) day on which every one of `records` has a record,
    NO_DAY for none. Repeatedly moves the candidate day to the earliest (latest) of the
    clusters' last (first) days up to it; a patient is done when they all agree, so each
    round only reads the records of patients whose clusters still disagree."""
    sign = 1 if latest else -1  # earliest days are the latest of the negated days
    rows = [(r.pid, r.day * np.int32(sign)) for r in records]
    result = np.full(n, NO_DAY, np.int32)
    active = np.ones(n, dtype=bool)
    while rows and any(len(pid) for pid, _ in rows):
        lasts = []
        for pid, day in rows:
            last = np.full(n, NO_DAY, np.int32)
            np.maximum.at(last, pid, day)
            lasts.append(last)
        common = lasts[0].copy()
        for last in lasts[1:]:
            np.minimum(common, last, out=common)
        agreed = np.ones(n, dtype=bool)
        for last in lasts:
            agreed &= last == common
        agreed |= common == NO_DAY
        done = active & agreed
        result[done] = common[done]
        active &= ~agreed
        rows = [
            (pid[keep], day[keep])
            for pid, day in rows
            for keep in [active[pid] & (day <= common[pid])]
        ]
    if not latest:
        found = result != NO_DAY
        result[found] = -result[found]
    return result


def date_series(name: str, days: np.ndarray) -> pl.Series:
    """A Date column from days (NO_DAY for none). `+ 0` has Polars write the days into its
    own memory (it would otherwise keep the NumPy buffer): the columns then reuse the memory
    the event rows and records freed there, instead of adding to the peak."""
    column = pl.col(name)
    frame = pl.Series(name, days, dtype=pl.Int32).to_frame()
    return frame.select(pl.when(column != NO_DAY).then(column + 0).cast(pl.Date)).to_series()


def value_series(name: str, keys: np.ndarray, none: int) -> pl.Series:
    """A Float64 column of the values of `ordered` keys, null where the key is `none`."""
    values = ordered(keys).view(np.float64)  # `ordered` is its own inverse
    frame = pl.DataFrame({"key": keys, "value": values})
    return frame.select(pl.when(pl.col("key") != none).then("value").alias(name)).to_series()


def day_array(column: pl.Series) -> np.ndarray:
    """A Date column as days, NO_DAY for missing."""
    return column.to_physical().fill_null(NO_DAY).to_numpy().astype(np.int32, copy=False)
