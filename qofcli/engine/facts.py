"""Per-patient facts: the population on the achievement date and one wide row of field values.

The ruleset's records come from the one read of the events (events.py: noise codes fall out
there; non-finite values and values outside their cluster's plausible range become missing),
and each field is computed as plan.py decided: reduced per (patient, cluster) in the streaming
summary (summaries.py), per (patient, day) for `all_clusters` fields (e.g. a blood pressure
with both a systolic and a diastolic value), or, for windows relative to another field (e.g.
"first referral on or after the diagnosis date"), in a later, narrower stage over the raw
records of their clusters. Patient ids are dense (0..n-1), so every field column is placed
by position (a scatter), never joined.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import polars as pl

from qofcli.engine.dates import RunDates, ref_expr
from qofcli.engine.events import VALUED, EventRows, matched_for, read_events
from qofcli.engine.plan import (
    Plan,
    cluster_keys,
    cluster_name,
    direction,
    plan_fields,
    preference,
    rank_expr,
)
from qofcli.engine.summaries import (
    KeySpec,
    Window,
    constant_window,
    decode_value,
    summarise,
)
from qofcli.extract import Extract
from qofcli.ruleset import model as m
from qofcli.ruleset.checks import field_stages

PID = "pid"
AGE = "AGE"


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


@dataclass(frozen=True)
class _Source:
    """Records of some clusters inside one window: fields that share it share the work."""

    id: int
    clusters: tuple[str, ...]
    bounds: tuple[m.Bound, ...]


def field_frame(
    extract: Extract,
    ruleset: m.Ruleset,
    dates: RunDates,
    people: pl.LazyFrame,
    events: EventRows | None = None,
) -> pl.DataFrame:
    """One row per patient with at least one field: FIELD (date), and FIELD.value and
    FIELD.cluster for the fields whose value or cluster a rule reads. `events`: the records
    read once for several rulesets (`read_events`), else read here."""
    empty = pl.DataFrame({PID: []}, schema={PID: pl.UInt32})
    if not ruleset.fields:
        return empty
    plan = plan_fields(ruleset, dates)
    if events is None:
        events = read_events(extract, [(ruleset, plan.clusters)], dates.achievement)
    pids = population_ids(extract, dates)
    matched = matched_for(events, ruleset, dates, pids, plan.clusters)
    del events  # read here (one ruleset): free the event rows before the fields are built
    summary, records, *days = pl.collect_all(
        [
            summarise(matched, plan.windows, plan.keys, plan.window_cids, plan.key_cids),
            matched.filter(pl.col("cid").is_in(plan.record_cids)),
            *(_day_field(matched, f, plan, dates) for f in plan.day_fields),
        ],
        engine="streaming",
    )
    del matched
    patients = people.select(pl.len()).collect().item()
    parts = summary.partition_by("cid", as_dict=True)
    del summary  # the partitions hold the same rows: keep one copy in memory
    wide = _summary_fields(parts, plan, patients)
    for day in days:
        wide = scatter_into(wide, day)
    wide = _day_dependent_fields(plan, ruleset, wide)
    wide = _same_day_fields(parts, plan, wide)
    del parts
    builtins = sorted(
        {b.ref.base for f in plan.record_fields for b in f.bounds} & set(m.BUILTIN_DATE_FIELDS)
    )
    if builtins:
        # Windows relative to the registration date read it beside the fields.
        wide = wide.hstack(people.select(*builtins).collect())
    return _record_fields(records, plan, ruleset, dates, wide).drop(builtins)


def scatter_into(wide: pl.DataFrame, columns: pl.DataFrame) -> pl.DataFrame:
    """Add the columns of a frame keyed by PID to `wide`, whose row i is patient i: a scatter
    by position, no hash join."""
    ids = columns[PID]
    return wide.hstack(
        [
            _dense(columns[name], ids, wide.height).alias(name)
            for name in columns.columns
            if name != PID
        ]
    )


def _day_column(field: str, key: str, extreme: str) -> str:
    return f"{field}.{extreme}.{key}"


def _day_field(matched: pl.LazyFrame, field: m.Field, plan: Plan, dates: RunDates) -> pl.LazyFrame:
    """The latest (or earliest) day in the window on which every cluster of the field has a
    record, with each cluster's lowest and highest value that day: one group-by per day."""
    window = constant_window(field.bounds, dates) or Window()
    keys = cluster_keys(field)
    cids = [plan.cids[k] for k in keys]
    of_cluster = {k: pl.col("cid") == plan.cids[k] for k in keys}
    per_day = (
        matched.filter(pl.col("cid").is_in(cids) & window.mask())
        .with_columns(
            pl.when(of_cluster[k]).then(pl.col("value")).alias(f"v{i}") for i, k in enumerate(keys)
        )
        .group_by(PID, "date")
        .agg(
            *(of_cluster[k].any().alias(f"h{i}") for i, k in enumerate(keys)),
            *(pl.col(f"v{i}").min().alias(f"lo{i}") for i in range(len(keys))),
            *(pl.col(f"v{i}").max().alias(f"hi{i}") for i in range(len(keys))),
        )
        .filter(pl.all_horizontal(pl.col(f"h{i}") for i in range(len(keys))))
    )
    pick = "max_by" if field.find == "latest" else "min_by"
    columns = [
        getattr(pl.col(f"{side}{i}"), pick)("date").alias(_day_column(field.name, k, side))
        for i, k in enumerate(keys)
        for side in ("lo", "hi")
    ]
    date = pl.col("date").max() if field.find == "latest" else pl.col("date").min()
    return per_day.group_by(PID).agg(date.alias(field.name), *columns)


def _day_dependent_fields(plan: Plan, ruleset: m.Ruleset, wide: pl.DataFrame) -> pl.DataFrame:
    """Fields on the day of an `all_clusters` field, read from its per-cluster extremes: the
    lowest (or highest) value over the field's clusters; ties go to `prefer`, then listing.
    Every cluster of the anchor has a record on its day, so the first in that order is the
    field's cluster when no record that day has a value."""
    for field in plan.day_dependent_fields:
        anchor = ruleset.fields[field.bounds[0].ref.base]
        side = "hi" if field.value == "highest" else "lo"
        suffix = VALUED if anchor.with_value else ""
        ordered = sorted(field.clusters, key=lambda c: preference(field, c))
        values = [pl.col(_day_column(anchor.name, c + suffix, side)) for c in ordered]
        best = pl.max_horizontal(values) if side == "hi" else pl.min_horizontal(values)
        cluster: Any = pl.when(best.is_null()).then(pl.lit(ordered[0]))
        for name, value in zip(ordered, values, strict=True):
            cluster = cluster.when(value == best).then(pl.lit(name))
        on_day = pl.col(anchor.name).is_not_null()
        wide = wide.with_columns(
            pl.col(anchor.name).alias(field.name),
            best.alias(value_column(field.name)),
            pl.when(on_day).then(cluster.otherwise(None)).alias(cluster_column(field.name)),
        )
    day_columns = [c for f in plan.day_fields for c in wide.columns if c.startswith(f.name + ".")]
    return wide.drop(day_columns)


def _summary_fields(parts: dict[Any, pl.DataFrame], plan: Plan, patients: int) -> pl.DataFrame:
    """Fields with fixed windows, each reduced over its clusters' summary rows (`parts`: the
    summary partitioned by cluster id).

    Patient ids are dense (0..n-1), so each field's values are scattered into a full-length
    column by id instead of joined: one frame of n rows, no hash join per field."""
    columns: dict[str, pl.Series] = {}
    groups: dict[tuple[tuple[str, ...], int], list[m.Field]] = {}
    for field, window in plan.summary_fields:
        groups.setdefault((tuple(sorted(cluster_keys(field))), window), []).append(field)
    for (clusters, window), fields in groups.items():
        frames = [parts[(plan.cids[c],)] for c in clusters if (plan.cids[c],) in parts]
        if not frames:
            continue
        rows = frames[0] if len(frames) == 1 else pl.concat(frames)
        single = len(frames) == 1  # one row per patient already: no reduction needed
        exprs = [e for f in fields for e in _field_aggregations(f, window, plan, single)]
        values = rows.select(PID, *exprs) if single else rows.group_by(PID).agg(exprs)
        values = _decoded(values, fields, window, plan)
        for name in values.columns[1:]:
            columns[name] = _dense(values[name], values[PID], patients)
    for field, _window in plan.summary_fields:
        if field.name not in columns:
            columns[field.name] = pl.repeat(None, patients, dtype=pl.Date, eager=True)
    ids = pl.int_range(0, patients, dtype=pl.UInt32, eager=True).alias(PID)
    return pl.DataFrame([ids, *(s.alias(name) for name, s in columns.items())])


def _dense(values: pl.Series, ids: pl.Series, patients: int) -> pl.Series:
    """`values` placed at positions `ids` of an otherwise empty column of `patients` rows."""
    column = pl.repeat(None, patients, dtype=values.dtype, eager=True)
    return column.scatter(ids, values)


def _field_aggregations(field: m.Field, window: int, plan: Plan, single: bool) -> list[pl.Expr]:
    """The field's date, key and cluster from its clusters' summary rows: reduced per patient,
    or taken as they are when a single cluster gives one row per patient."""
    latest = field.find == "latest"

    def extreme(column: str) -> pl.Expr:
        if single:
            return pl.col(column)
        return pl.col(column).max() if latest else pl.col(column).min()

    day = f"l{window}" if latest else f"f{window}"
    exprs = [extreme(day).alias(field.name)]
    if field.name in plan.needs_value or field.name in plan.needs_cluster:
        key = KeySpec(window, direction(field), field.value).column
        if field.prefer and not single:
            # The preferred cluster's record of the chosen day wins, whatever its value.
            rank = rank_expr(field, plan)
            descending = [latest, False]
            chosen = pl.col(key).sort_by([day, rank], descending=descending, nulls_last=True)
            exprs.append(chosen.first().alias(f"{field.name}.key"))
            best = pl.col("cid").sort_by([day, rank], descending=descending, nulls_last=True)
            best = best.first()
        else:
            exprs.append(extreme(key).alias(f"{field.name}.key"))
            # Equal records of several clusters: the one listed first (a stable choice).
            best = (
                pl.col("cid")
                if single
                else pl.col("cid")
                .sort_by([key, rank_expr(field, plan)], descending=[latest, False], nulls_last=True)
                .first()
            )
        if field.name in plan.needs_cluster:
            exprs.append(best.alias(cluster_column(field.name)))
    return exprs


def _decoded(columns: pl.DataFrame, fields: list[m.Field], window: int, plan: Plan) -> pl.DataFrame:
    extra = []
    for field in fields:
        key = f"{field.name}.key"
        if field.name in plan.needs_value:
            spec = KeySpec(window, direction(field), field.value)
            extra.append(decode_value(pl.col(key), spec).alias(value_column(field.name)))
        if field.name in plan.needs_cluster:
            extra.append(cluster_name(cluster_column(field.name), plan))
    out = columns.with_columns(extra)
    return out.drop([c for c in out.columns if c.endswith(".key")])


def _same_day_fields(
    parts: dict[Any, pl.DataFrame], plan: Plan, wide: pl.DataFrame
) -> pl.DataFrame:
    """Fields on the day of an anchor field whose clusters cover theirs (see
    `_reducible_same_day`): the field's own last record counts only if it is on that day."""
    for field in plan.same_day_fields:
        anchor = field.bounds[0].ref.base
        as_latest = replace(field, find="latest", bounds=())
        part = _summary_fields(parts, replace(plan, summary_fields=[(as_latest, 0)]), wide.height)
        on_day = pl.col(field.name) == wide[anchor]
        kept = part.drop(PID).select(pl.when(on_day).then(pl.all()).otherwise(None).name.keep())
        wide = wide.hstack(kept)
    return wide


def _record_fields(
    records: pl.DataFrame,
    plan: Plan,
    ruleset: m.Ruleset,
    dates: RunDates,
    wide: pl.DataFrame,
) -> pl.DataFrame:
    """Fields whose windows depend on other fields, stage by stage over the raw records of
    their (few) clusters: the second, narrower pass."""
    pending = {f.name for f in plan.record_fields}
    for stage in field_stages(ruleset):
        fields = [f for f in stage if f.name in pending]
        if not fields:
            continue
        sources, source_of = _sources(fields)
        rows = _stage_rows(records, sources, plan.clusters, wide, ruleset, dates)
        extremes = rows.group_by(PID, "sid").agg(
            pl.col("date").min().alias("first"),
            pl.col("date").max().alias("last"),
            pl.col("date").n_unique().cast(pl.Float64).alias("days"),
        )
        columns = _field_dates(extremes, fields, source_of)
        for field in fields:
            if field.find == "count":
                columns = columns.join(_day_count(extremes, field, source_of), on=PID, how="left")
            elif field.name in plan.needs_value or field.name in plan.needs_cluster:
                detail = _record_detail(rows, extremes, field, source_of[field.name], plan)
                columns = columns.join(detail, on=PID, how="left")
        wide = scatter_into(wide, columns)
    return wide


def _sources(stage: list[m.Field]) -> tuple[list[_Source], dict[str, int]]:
    by_key: dict[tuple[object, ...], _Source] = {}
    source_of: dict[str, int] = {}
    for field in stage:
        key = (tuple(sorted(cluster_keys(field))), field.bounds)
        if key not in by_key:
            by_key[key] = _Source(len(by_key), key[0], field.bounds)
        source_of[field.name] = by_key[key].id
    return list(by_key.values()), source_of


def _stage_rows(
    records: pl.DataFrame,
    sources: list[_Source],
    clusters: list[str],
    wide: pl.DataFrame,
    ruleset: m.Ruleset,
    dates: RunDates,
) -> pl.DataFrame:
    """Records of this stage's sources (one row per record and source) inside their windows."""
    membership = pl.DataFrame(
        [(clusters.index(c), s.id) for s in sources for c in s.clusters],
        schema={"cid": pl.UInt16, "sid": pl.UInt16},
        orient="row",
    )
    rows = records.join(membership, on="cid", how="inner")
    needed = sorted(
        {b.ref.base for s in sources for b in s.bounds if b.ref.base not in dates.named}
    )
    if needed:
        rows = rows.hstack(wide.select(pl.col(needed).gather(rows[PID])))
    columns = {name: name for name in rows.columns}
    keep = pl.lit(True)
    for source in sources:
        if source.bounds:
            inside = pl.all_horizontal(
                compare_date(pl.col("date"), b.op, ref_expr(b.ref, dates, columns))
                for b in source.bounds
            ).fill_null(False)
            keep = keep & ((pl.col("sid") != source.id) | inside)
    return rows.filter(keep).select(PID, "sid", "date", "value", "cid")


def _field_dates(
    extremes: pl.DataFrame, stage: list[m.Field], source_of: dict[str, int]
) -> pl.DataFrame:
    """Each field's date: the first or last record date of its source."""
    wide = extremes.pivot(on="sid", index=PID, values=["first", "last"])
    pick = {"earliest": "first", "latest": "last", "count": "last"}
    return wide.select(
        PID,
        *(
            _column_or_null(wide, f"{pick[f.find]}_{source_of[f.name]}", pl.Date()).alias(f.name)
            for f in stage
        ),
    )


def _day_count(extremes: pl.DataFrame, field: m.Field, source_of: dict[str, int]) -> pl.DataFrame:
    """A count field's value: the number of distinct days with a record in its window."""
    return extremes.filter(pl.col("sid") == source_of[field.name]).select(
        PID, pl.col("days").alias(value_column(field.name))
    )


def _column_or_null(frame: pl.DataFrame, column: str, dtype: pl.DataType) -> pl.Expr:
    return pl.col(column) if column in frame.columns else pl.lit(None, dtype=dtype)


def _record_detail(
    rows: pl.DataFrame,
    extremes: pl.DataFrame,
    field: m.Field,
    source: int,
    plan: Plan,
) -> pl.DataFrame:
    """Value and cluster of the field's record; same-day ties by `prefer`, then lowest (or
    highest) value."""
    extreme = "last" if field.find == "latest" else "first"
    on_day = rows.filter(pl.col("sid") == source).join(
        extremes.filter(pl.col("sid") == source).select(PID, pl.col(extreme).alias("date")),
        on=[PID, "date"],
        how="inner",
    )
    ranked = on_day.with_columns(rank_expr(field, plan).alias("rank"))
    # `prefer` puts its clusters before any value; without it the value decides and the
    # listed order only breaks ties (rulesets/README.md, "Same-day ties").
    highest = field.value == "highest"
    by, descending = (
        (["rank", "value"], [False, highest])
        if field.prefer
        else (["value", "rank"], [highest, False])
    )
    ordered = ranked.sort([PID, *by], descending=[False, *descending], nulls_last=True)
    return (
        ordered.group_by(PID, maintain_order=True)
        .first()
        .select(
            PID,
            pl.col("value").alias(value_column(field.name)),
            cluster_name("cid", plan).alias(cluster_column(field.name)),
        )
    )


def compare_date(value: pl.Expr, op: m.DateOp, ref: pl.Expr) -> pl.Expr:
    """The date operators, shared by field windows and conditions."""
    match op:
        case "after":
            return value > ref
        case "on_or_after":
            return value >= ref
        case "before":
            return value < ref
        case "on_or_before":
            return value <= ref
        case "same_day":
            return value == ref
    raise AssertionError(op)


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
