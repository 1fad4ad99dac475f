"""Per-patient facts: the population on the achievement date and one wide row of field values.

Events are read once: filtered to the achievement date, joined to the code -> cluster -> field
tables (noise codes fall out here), then reduced per (patient, field) to the one record each
field asks for. Fields whose window depends on another field (e.g. "first referral on or after
the diagnosis date") are computed in a later, narrower stage over the same joined rows.
"""

from __future__ import annotations

import polars as pl

from qofcli.engine.dates import RunDates, ref_expr
from qofcli.extract import Extract
from qofcli.ruleset import model as m
from qofcli.ruleset.checks import field_stages

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


def field_frame(
    extract: Extract, ruleset: m.Ruleset, dates: RunDates, people: pl.LazyFrame
) -> pl.DataFrame:
    """One row per patient with at least one field, columns FIELD, FIELD.value, FIELD.cluster."""
    stages = field_stages(ruleset)
    if not stages:
        return pl.DataFrame({PID: []}, schema={PID: pl.UInt32})
    rows = _field_rows(extract, ruleset, dates, people).collect()
    wide = pl.DataFrame({PID: []}, schema={PID: pl.UInt32})
    for stage in stages:
        stage_rows = rows.filter(pl.col("field").is_in([f.name for f in stage]))
        needed = sorted({d for f in stage for d in f.referenced_fields() if d in ruleset.fields})
        if needed:
            stage_rows = stage_rows.join(wide.select(PID, *needed), on=PID, how="left")
        reduced = _reduce(_in_window(stage_rows, stage, dates), stage)
        wide = wide.join(reduced, on=PID, how="full", coalesce=True)
    return wide


def _field_rows(
    extract: Extract, ruleset: m.Ruleset, dates: RunDates, people: pl.LazyFrame
) -> pl.LazyFrame:
    """Events of referenced clusters, one row per (event, field that uses its cluster)."""
    used = {c for f in ruleset.fields.values() for c in f.clusters}
    code_map = pl.DataFrame(
        [(code, cluster) for cluster in sorted(used) for code in ruleset.clusters[cluster].codes],
        schema={"code": pl.String, "cluster": pl.String},
        orient="row",
    )
    field_map = pl.DataFrame(
        [(c, f.name) for f in ruleset.fields.values() for c in f.clusters],
        schema={"cluster": pl.String, "field": pl.String},
        orient="row",
    )
    builtins = sorted(
        {d for f in ruleset.fields.values() for d in f.referenced_fields()}
        & set(m.BUILTIN_DATE_FIELDS)
    )
    return (
        extract.events.filter(pl.col("date") <= pl.lit(dates.achievement, dtype=pl.Date))
        .join(code_map.lazy(), on="code", how="inner")
        .join(field_map.lazy(), on="cluster", how="inner")
        .join(people.select("patient_id", PID, *builtins), on="patient_id", how="inner")
        .select(PID, "field", "date", "value", "cluster", *builtins)
    )


def _in_window(rows: pl.DataFrame, stage: list[m.Field], dates: RunDates) -> pl.DataFrame:
    """Keep each row only if its date lies in its field's window."""
    columns = {name: name for name in rows.columns}
    keep = pl.lit(False)
    for field in stage:
        inside = pl.lit(True)
        for bound in field.bounds:
            ref = ref_expr(bound.ref, dates, columns)
            inside = inside & _compare_date(pl.col("date"), bound.op, ref)
        keep = pl.when(pl.col("field") == field.name).then(inside).otherwise(keep)
    return rows.filter(keep.fill_null(False))


def _compare_date(value: pl.Expr, op: m.DateOp, ref: pl.Expr) -> pl.Expr:
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


def compare_date(value: pl.Expr, op: m.DateOp, ref: pl.Expr) -> pl.Expr:
    """Public for the condition compiler: the same operators for conditions and windows."""
    return _compare_date(value, op, ref)


def _reduce(rows: pl.DataFrame, stage: list[m.Field]) -> pl.DataFrame:
    """Per (patient, field): the latest/earliest record; same-day ties by lowest/highest value."""
    latest = [f.name for f in stage if f.find == "latest"]
    highest = [f.name for f in stage if f.value == "highest"]
    day = pl.col("date").cast(pl.Int32)
    ordered = rows.with_columns(
        pl.when(pl.col("field").is_in(latest)).then(-day).otherwise(day).alias("_key"),
        pl.when(pl.col("field").is_in(highest))
        .then(-pl.col("value"))
        .otherwise(pl.col("value"))
        .alias("_vkey"),
    ).sort([PID, "field", "_key", "_vkey"], nulls_last=True)
    best = ordered.group_by([PID, "field"], maintain_order=True).first()
    return _widen(best, stage)


def _widen(best: pl.DataFrame, stage: list[m.Field]) -> pl.DataFrame:
    wide = best.select(PID).unique()
    for field in stage:
        one = best.filter(pl.col("field") == field.name).select(
            PID,
            pl.col("date").alias(field.name),
            pl.col("value").alias(value_column(field.name)),
            pl.col("cluster").alias(cluster_column(field.name)),
        )
        wide = wide.join(one, on=PID, how="left")
    return wide


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
