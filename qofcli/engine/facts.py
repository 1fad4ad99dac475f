"""Per-patient facts: the population on the achievement date and one wide row of field values.

The ruleset's records come from the one read of the events (events.py: noise codes fall out
there; non-finite values and values outside their cluster's plausible range become missing),
split once by cluster, and each field is computed as plan.py decided, by the reductions of
summaries.py over its clusters' records: in a window of named dates, on the last day shared
by all its clusters (`all_clusters`, e.g. a blood pressure with both a systolic and a
diastolic value), on the day of another field, or, for windows relative to another field
(e.g. "first referral on or after the diagnosis date"), stage by stage after that field.
Patient ids are dense (0..n-1): every field column is an array indexed by patient, never a
join. `by_values_read` and `split_by_cluster` are the one place that reads how matched
records name their cluster.
"""

from __future__ import annotations

import operator
from collections import Counter
from collections.abc import Callable
from typing import Any, TypeVar

import numpy as np
import polars as pl

from qofcli.engine.dates import RunDates, shift, shift_expr
from qofcli.engine.events import EventRows, matched_for, read_events
from qofcli.engine.plan import (
    Plan,
    cluster_keys,
    cluster_names,
    plan_fields,
    preference,
    ranked_cids,
)
from qofcli.engine.summaries import (
    EMPTY,
    NO_DAY,
    DayPick,
    Records,
    Window,
    by_values_read,
    common_day,
    constant_window,
    date_series,
    day_array,
    day_number,
    distinct_days,
    extreme_day,
    pick_on_day,
    split_by_cluster,
    value_series,
)
from qofcli.extract import Extract
from qofcli.ruleset import model as m
from qofcli.ruleset.checks import field_stages

PID = "pid"
AGE = "AGE"
_D = TypeVar("_D")


def value_column(field: str) -> str:
    return f"{field}.value"


def cluster_column(field: str) -> str:
    return f"{field}.cluster"


def _registered(dates: RunDates) -> pl.Expr:
    achv = pl.lit(dates.achievement, dtype=pl.Date)
    return (
        (pl.col("registration_date") <= achv)
        & (pl.col("deregistration_date").is_null() | (pl.col("deregistration_date") > achv))
        & (pl.col("death_date").is_null() | (pl.col("death_date") > achv))
    )


def population_ids(extract: Extract, dates: RunDates) -> pl.Series:
    """Each patient row's PID in `population` (null for patients outside it)."""
    registered = _registered(dates).fill_null(False)
    pid = registered.cast(pl.UInt32).cum_sum() - 1
    return extract.patients.select(pl.when(registered).then(pid)).collect().to_series()


def population(extract: Extract, dates: RunDates) -> pl.LazyFrame:
    """Patients registered on the achievement date, not deregistered or dead by then."""
    return (
        extract.patients.filter(_registered(dates))
        .with_row_index(PID)
        .with_columns(
            _age_on(pl.col("date_of_birth"), dates).alias(AGE),
            pl.col("registration_date").alias("REG_DAT"),
            pl.col("date_of_birth").alias("DOB"),
        )
    )


def _age_on(birth: pl.Expr, dates: RunDates) -> pl.Expr:
    """Whole years on the achievement date (a 29 Feb birthday counts from 1 March)."""
    day = dates.achievement
    before_birthday = (birth.dt.month() > day.month) | (
        (birth.dt.month() == day.month) & (birth.dt.day() > day.day)
    )
    return (pl.lit(day.year) - birth.dt.year() - before_birthday.cast(pl.Int32)).cast(pl.Int32)


def field_frame(
    extract: Extract,
    ruleset: m.Ruleset,
    dates: RunDates,
    people: pl.LazyFrame,
    events: EventRows | None = None,
) -> pl.DataFrame:
    """One row per patient, in PID order: FIELD (date), and FIELD.value and FIELD.cluster for
    the fields whose value or cluster a rule reads. `events`: the records read once for
    several rulesets (`read_events`), else read here."""
    if not ruleset.fields:
        return pl.DataFrame({PID: []}, schema={PID: pl.UInt32})
    plan = plan_fields(ruleset, dates)
    if events is None:
        events = read_events(extract, [(ruleset, plan.clusters)], dates.achievement)
    pids = population_ids(extract, dates)
    matched = matched_for(events, ruleset, dates, pids, plan.clusters).collect(engine="streaming")
    del events  # read here (one ruleset): free the event rows before the fields are built
    readers = plan.readers()
    frames = by_values_read(matched, set(readers), plan.valued_cids)
    del matched  # the two frames hold what the fields read: free the rest before the split
    records = split_by_cluster(frames, len(plan.clusters))
    del frames
    builder = _Fields(plan, records, readers, people.select(pl.len()).collect().item())
    # The blood pressure records, the largest, are read by `all_clusters` fields and their
    # day's values: those first, so that their records are freed before most columns exist.
    for field in plan.day_fields:
        builder.add_day_field(field, dates)
    for field in plan.day_dependent_fields:
        builder.add_day_dependent(field, ruleset.fields[field.bounds[0].ref.base])
    builder.add_summary_fields()
    for field in plan.same_day_fields:
        builder.add_same_day(field)
    builder.add_record_fields(ruleset, dates, people)
    return builder.frame()


_Key = tuple[tuple[int, ...], Window, bool]  # cluster ids, window, latest


class _Fields:
    """The field columns of a ruleset, built one field at a time from its clusters' records;
    the days of fields that later windows refer to are read back from their columns."""

    def __init__(
        self, plan: Plan, records: list[Records], readers: Counter[int], patients: int
    ) -> None:
        self.plan = plan
        self.records = records
        self._readers = readers  # per cluster id, the fields still to read its records
        self.patients = patients
        self.names = cluster_names(plan)
        self.columns: dict[str, pl.Series] = {}
        self.days: dict[str, np.ndarray] = {}
        self._extremes: dict[_Key, pl.Series] = {}

    def frame(self) -> pl.DataFrame:
        ids = pl.int_range(0, self.patients, dtype=pl.UInt32, eager=True).alias(PID)
        return pl.DataFrame([ids, *self.columns.values()])

    def day_of(self, name: str) -> np.ndarray:
        """A field's (or built-in date's) days, NO_DAY for none."""
        if name not in self.days:
            self.days[name] = day_array(self.columns[name])
        return self.days[name]

    def _read(self, field: m.Field) -> None:
        """Free the records of the field's clusters that no later field reads."""
        for cid in self.plan.read_cids(field):
            self._readers[cid] -= 1
            if not self._readers[cid]:
                self.records[cid] = EMPTY

    def add_summary_fields(self) -> None:
        """Fields with fixed windows, by groups sharing clusters, window and direction (and
        so their dates). One thread: two threads took 10% off the time at 1M, but kept more
        memory in flight, beyond 2 GB at the peak of `qof score`."""
        groups: dict[_Key, list[tuple[m.Field, Window]]] = {}
        for field, window in self.plan.summary_fields:
            key = self._extreme_key(field, window, field.find == "latest")
            groups.setdefault(key, []).append((field, window))
        # The groups reading the most records first: their records are freed early.
        for _, fields in sorted(groups.items(), key=lambda group: -self._rows(group[0][0])):
            for field, window in fields:
                self.add(field, *self.reduced(field, window, field.find == "latest"))

    def _rows(self, cids: tuple[int, ...]) -> int:
        return sum(len(self.records[c].day) for c in cids)

    def _extreme_key(self, field: m.Field, window: Window, latest: bool) -> _Key:
        return tuple(sorted(self.plan.cids[k] for k in cluster_keys(field))), window, latest

    def reduced(
        self, field: m.Field, window: Window, latest: bool
    ) -> tuple[pl.Series, DayPick | None]:
        """The field's dates in a fixed window and, if read, its record of each day. Fields
        of the same clusters, window and direction share one date column."""
        key = self._extreme_key(field, window, latest)
        cids = key[0]
        shared = self._extremes.get(key)
        if shared is not None and not self._reads_record(field):
            return shared, None
        if shared is None:
            days = extreme_day([self.records[c] for c in cids], window, latest, self.patients)
        else:
            days = day_array(shared)
        picked = self._picked(field, days, {c: self.records[c] for c in cids})
        if shared is None:
            shared = self._extremes[key] = date_series(field.name, days)
        return shared, picked

    def _reads_record(self, field: m.Field) -> bool:
        return field.name in self.plan.needs_value or field.name in self.plan.needs_cluster

    def _picked(self, field: m.Field, days: np.ndarray, rows: dict[int, Records]) -> DayPick | None:
        """The record of each patient's day (same-day ties: rulesets/README.md), if read."""
        if not self._reads_record(field):
            return None
        ranked = ranked_cids(field, self.plan)
        highest = field.value == "highest"
        return pick_on_day([rows[c] for c in ranked], ranked, days, bool(field.prefer), highest)

    def add(self, field: m.Field, dates: pl.Series, picked: DayPick | None) -> None:
        self.columns |= self._columns(field, dates, picked)
        self._read(field)

    def _columns(
        self, field: m.Field, dates: pl.Series, picked: DayPick | None
    ) -> dict[str, pl.Series]:
        columns = {field.name: dates.alias(field.name)}
        if picked is not None and field.name in self.plan.needs_value:
            name = value_column(field.name)
            columns[name] = value_series(name, picked.best, picked.none)
        if picked is not None and field.name in self.plan.needs_cluster:
            name = cluster_column(field.name)
            columns[name] = picked.cluster_series(name, self.names)
        return columns

    def add_day_field(self, field: m.Field, dates: RunDates) -> None:
        """The latest (or earliest) day in the window on which every cluster of the field has
        a record (its window may use named dates only)."""
        window = constant_window(field.bounds, dates) or Window()
        rows = [self.records[self.plan.cids[k]].inside(window) for k in cluster_keys(field)]
        days = common_day(rows, field.find == "latest", self.patients)
        self.add(field, date_series(field.name, days), None)

    def add_day_dependent(self, field: m.Field, anchor: m.Field) -> None:
        """A field on the day of an `all_clusters` field: the lowest (or highest) value of its
        clusters that day; ties go to `prefer`, then listing. Every cluster of the anchor has a
        record on its day, so the first in that order is the field's cluster when no record
        that day has a value."""
        by_cluster = dict(zip(field.clusters, self.plan.read_cids(field), strict=True))
        cids = [by_cluster[c] for c in sorted(field.clusters, key=lambda c: preference(field, c))]
        days = self.day_of(anchor.name)
        rows = [self.records[c] for c in cids]
        picked = pick_on_day(rows, cids, days, False, field.value == "highest")
        self.add(field, self.columns[anchor.name], picked)

    def add_same_day(self, field: m.Field) -> None:
        """A field on the day of an anchor field whose clusters cover its own (see
        plan._reducible_same_day): its own last record counts only if it is on that day."""
        dates, picked = self.reduced(field, Window(), latest=True)
        days = day_array(dates)
        off = days != self.day_of(field.bounds[0].ref.base)
        days = np.where(off, NO_DAY, days).astype(np.int32)
        self.add(field, date_series(field.name, days), picked and picked.without(off))

    def add_record_fields(self, ruleset: m.Ruleset, dates: RunDates, people: pl.LazyFrame) -> None:
        """Fields whose windows depend on other fields, stage by stage over the records of
        their clusters inside their windows."""
        pending = {f.name for f in self.plan.record_fields}
        builtins = sorted(
            {b.ref.base for f in self.plan.record_fields for b in f.bounds}
            & set(m.BUILTIN_DATE_FIELDS)
        )
        if builtins:
            # Windows relative to the registration date or birth read them beside the fields.
            frame = people.select(*builtins).collect()
            self.days |= {name: day_array(frame[name]) for name in builtins}
        bounds = _Bounds(self.day_of, dates)
        for stage in field_stages(ruleset):
            for field in (f for f in stage if f.name in pending):
                self._add_record_field(field, bounds)

    def _add_record_field(self, field: m.Field, bounds: _Bounds) -> None:
        rows = {
            self.plan.cids[k]: bounds.inside(self.records[self.plan.cids[k]], field.bounds)
            for k in cluster_keys(field)
        }
        latest = field.find != "earliest"
        days = extreme_day(list(rows.values()), Window(), latest, self.patients)
        picked = None if field.find == "count" else self._picked(field, days, rows)
        self.add(field, date_series(field.name, days), picked)
        if field.find == "count":
            # Its value: the number of distinct days with a record in its window.
            name = value_column(field.name)
            self.columns[name] = distinct_days(name, list(rows.values()), self.patients)
        del rows


class _Bounds:
    """Windows relative to other fields (or to named dates), checked record by record."""

    def __init__(self, day_of: Callable[[str], np.ndarray], dates: RunDates) -> None:
        self.day_of = day_of
        self.dates = dates

    def inside(self, rows: Records, bounds: tuple[m.Bound, ...]) -> Records:
        keep = np.ones(len(rows.day), dtype=bool)
        for bound in bounds:
            ref = bound.ref
            if ref.base in self.dates.named:
                day = day_number(shift(self.dates.named[ref.base], ref.offset))
                keep &= compare_date(rows.day, bound.op, day)
                continue
            at = self.day_of(ref.base)[rows.pid]
            if ref.offset is not None:
                # Calendar offsets on the records' reference days, as conditions shift them.
                days = date_series("day", at.copy()).to_frame()
                at = day_array(days.select(shift_expr(pl.col("day"), ref.offset)).to_series())
            keep &= (at != NO_DAY) & compare_date(rows.day, bound.op, at)
        return rows.where(keep)


_DATE_OPS: dict[str, Callable[[Any, Any], Any]] = {
    "after": operator.gt,
    "on_or_after": operator.ge,
    "before": operator.lt,
    "on_or_before": operator.le,
    "same_day": operator.eq,
}


def compare_date(value: _D, op: m.DateOp, ref: Any) -> _D:
    """The date operators, shared by field windows (on day arrays) and conditions."""
    return _DATE_OPS[op](value, ref)


def patient_facts(
    extract: Extract, ruleset: m.Ruleset, dates: RunDates, events: EventRows | None = None
) -> pl.LazyFrame:
    """The population joined to its field values: the frame every rule is evaluated on."""
    people = population(extract, dates).collect().lazy()
    fields = field_frame(extract, ruleset, dates, people, events)
    if fields.height == people.select(pl.len()).collect().item():
        # Both are in PID order, one row per patient: side by side, no copy of the fields.
        facts = pl.concat([people, fields.lazy().drop(PID)], how="horizontal")
    else:  # a ruleset without fields
        facts = people.join(fields.lazy(), on=PID, how="left")
    missing = [
        column
        for f in ruleset.fields.values()
        for column in (f.name, value_column(f.name), cluster_column(f.name))
        if column not in fields.columns
    ]
    counts = [value_column(f.name) for f in ruleset.fields.values() if f.find == "count"]
    facts = facts.with_columns(_null_column(c) for c in missing)
    # No record in the window is a count of zero, not an unknown.
    return facts.with_columns(pl.col(c).fill_null(0.0) for c in counts)


def _null_column(column: str) -> pl.Expr:
    dtype = (
        pl.Float64
        if column.endswith(".value")
        else (pl.String if column.endswith(".cluster") else pl.Date)
    )
    return pl.lit(None, dtype=dtype).alias(column)
