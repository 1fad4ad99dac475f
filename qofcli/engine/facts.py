"""Per-patient facts: the population on the achievement date and one wide row of field values.

Events are read once: filtered to the achievement date, joined to the code -> cluster -> field
tables (noise codes fall out here), then reduced per (patient, field) to the one record each
field asks for. Fields whose window depends on another field (e.g. "first referral on or after
the diagnosis date") are computed in a later, narrower stage over the same joined rows.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from qofcli.engine.dates import RunDates, ref_expr
from qofcli.extract import Extract
from qofcli.ruleset import model as m
from qofcli.ruleset.checks import field_stages, iter_atoms

PID = "pid"
AGE = "AGE"


def value_column(field: str) -> str:
    return f"{field}.value"


def cluster_column(field: str) -> str:
    return f"{field}.cluster"


def population(extract: Extract, dates: RunDates) -> pl.LazyFrame:
    """Patients registered on the achievement date, not deregistered or dead by then."""
    achv = pl.lit(dates.achievement, dtype=pl.Date)
    registered = (
        (pl.col("registration_date") <= achv)
        & (pl.col("deregistration_date").is_null() | (pl.col("deregistration_date") > achv))
        & (pl.col("death_date").is_null() | (pl.col("death_date") > achv))
    )
    return (
        extract.patients.filter(registered)
        .with_row_index(PID)
        .with_columns(
            _age_on(pl.col("date_of_birth"), dates).alias(AGE),
            pl.col("registration_date").alias("REG_DAT"),
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
    extract: Extract, ruleset: m.Ruleset, dates: RunDates, people: pl.LazyFrame
) -> pl.DataFrame:
    """One row per patient with at least one field: FIELD (date), and FIELD.value and
    FIELD.cluster for the fields whose value or cluster a rule reads."""
    empty = pl.DataFrame({PID: []}, schema={PID: pl.UInt32})
    stages = field_stages(ruleset)
    if not stages:
        return empty
    clusters = sorted({c for f in ruleset.fields.values() for c in f.clusters})
    records = _matched_records(extract, ruleset, dates, people, clusters)
    needs_value, needs_cluster = fields_read_for(ruleset)
    wide = empty
    for stage in stages:
        sources, source_of = _sources(stage)
        rows = _stage_rows(records, sources, clusters, wide, ruleset, dates)
        extremes = rows.group_by(PID, "sid").agg(
            pl.col("date").min().alias("first"), pl.col("date").max().alias("last")
        )
        columns = _field_dates(extremes, stage, source_of)
        for field in stage:
            if field.name in needs_value or field.name in needs_cluster:
                detail = _record_detail(rows, extremes, field, source_of[field.name], clusters)
                columns = columns.join(detail, on=PID, how="left")
        wide = wide.join(columns, on=PID, how="full", coalesce=True)
    return wide


def fields_read_for(ruleset: m.Ruleset) -> tuple[set[str], set[str]]:
    """Fields whose value, and whose cluster, some condition reads (the rest need only dates)."""
    conditions = [n.condition for n in ruleset.conditions.values()]
    conditions += [s.when for r in ruleset.registers.values() for s in r.rules]
    conditions += [
        s.when for i in ruleset.indicators.values() for s in (*i.denominator, *i.numerator)
    ]
    atoms = [a for c in conditions for a in iter_atoms(c)]
    values = {a.field for a in atoms if isinstance(a, m.ValueCompare)}
    kinds = {a.field for a in atoms if isinstance(a, m.ClusterIn)}
    return values, kinds


def _matched_records(
    extract: Extract,
    ruleset: m.Ruleset,
    dates: RunDates,
    people: pl.LazyFrame,
    clusters: list[str],
) -> pl.DataFrame:
    """The one pass over events: records up to ACHV whose code is in a cluster some field reads,
    keyed by integer patient and cluster ids (a code in several clusters gives several rows)."""
    code_map = pl.DataFrame(
        [
            (code, index)
            for index, cluster in enumerate(clusters)
            for code in ruleset.clusters[cluster].codes
        ],
        schema={"code": pl.String, "cid": pl.UInt16},
        orient="row",
    )
    builtins = sorted(
        {d for f in ruleset.fields.values() for d in f.referenced_fields()}
        & set(m.BUILTIN_DATE_FIELDS)
    )
    query = (
        extract.events.filter(pl.col("date") <= pl.lit(dates.achievement, dtype=pl.Date))
        .join(code_map.lazy(), on="code", how="inner")
        .join(people.select("patient_id", PID, *builtins), on="patient_id", how="inner")
        .select(PID, "date", "value", "cid", *builtins)
    )
    return query.collect(engine="streaming")


def _sources(stage: list[m.Field]) -> tuple[list[_Source], dict[str, int]]:
    by_key: dict[tuple[object, ...], _Source] = {}
    source_of: dict[str, int] = {}
    for field in stage:
        key = (tuple(sorted(field.clusters)), field.bounds)
        if key not in by_key:
            by_key[key] = _Source(len(by_key), key[0], field.bounds)  # type: ignore[arg-type]
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
    needed = sorted({b.ref.base for s in sources for b in s.bounds if b.ref.base in ruleset.fields})
    if needed:
        rows = rows.join(wide.select(PID, *needed), on=PID, how="left")
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
    pick = {"earliest": "first", "latest": "last"}
    return wide.select(
        PID,
        *(
            _column_or_null(wide, f"{pick[f.find]}_{source_of[f.name]}", pl.Date).alias(f.name)
            for f in stage
        ),
    )


def _column_or_null(frame: pl.DataFrame, column: str, dtype: pl.DataType) -> pl.Expr:
    return pl.col(column) if column in frame.columns else pl.lit(None, dtype=dtype)


def _record_detail(
    rows: pl.DataFrame,
    extremes: pl.DataFrame,
    field: m.Field,
    source: int,
    clusters: list[str],
) -> pl.DataFrame:
    """Value and cluster of the field's record; same-day ties by lowest (or highest) value."""
    extreme = "last" if field.find == "latest" else "first"
    on_day = rows.filter(pl.col("sid") == source).join(
        extremes.filter(pl.col("sid") == source).select(PID, pl.col(extreme).alias("date")),
        on=[PID, "date"],
        how="inner",
    )
    ordered = on_day.sort(
        [PID, "value", "cid"], descending=[False, field.value == "highest", False], nulls_last=True
    )
    return (
        ordered.group_by(PID, maintain_order=True)
        .first()
        .select(
            PID,
            pl.col("value").alias(value_column(field.name)),
            pl.col("cid")
            .replace_strict(list(range(len(clusters))), clusters, return_dtype=pl.String)
            .alias(cluster_column(field.name)),
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


def patient_facts(extract: Extract, ruleset: m.Ruleset, dates: RunDates) -> pl.LazyFrame:
    """The population joined to its field values: the frame every rule is evaluated on."""
    people = population(extract, dates).collect().lazy()
    fields = field_frame(extract, ruleset, dates, people)
    facts = people.join(fields.lazy(), on=PID, how="left")
    missing = [
        column
        for f in ruleset.fields.values()
        for column in (f.name, value_column(f.name), cluster_column(f.name))
        if column not in fields.columns
    ]
    return facts.with_columns(_null_column(c) for c in missing)


def _null_column(column: str) -> pl.Expr:
    dtype = (
        pl.Float64
        if column.endswith(".value")
        else (pl.String if column.endswith(".cluster") else pl.Date)
    )
    return pl.lit(None, dtype=dtype).alias(column)
