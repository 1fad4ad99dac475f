"""Score on Spark: group the extract by practice and run the local Polars engine on each group.

QOF is computed per practice (national figures enter as ruleset data), so a practice's patients
and events are all one task needs. Events get their patient's practice_code by a join, both
sides are co-grouped on practice_code, and each group goes through Arrow to one
`qofcli.api.evaluate`, scored from its counts (and explained patient by patient on request):
no rule is implemented twice.

The ruleset, rates and claims are made on the driver and shipped to the executors pickled with
the task, so a custom ruleset folder need not exist on the executors.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date

import polars as pl
import pyarrow as pa
from polars._typing import PolarsDataType
from py4j.protocol import Py4JError
from pyspark.errors import PySparkException
from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F
from pyspark.sql import types as T
from pyspark.sql.pandas.types import to_arrow_schema

from qofcli import api
from qofcli.engine.counts import count
from qofcli.errors import ExtractError, QofError, RulesetError, UsageError
from qofcli.extract import EVENTS, PATIENTS, PRACTICES, Extract, extract_from_frames
from qofcli.ruleset.model import Ruleset
from qofcli.scoring.achievement import Score, assemble
from qofcli.scoring.claims import Claims, no_claims
from qofcli.scoring.networks import roll_up
from qofcli.scoring.payment import Rates, rates_for, summarise

PRACTICE = "practice_code"
PER_PRACTICE = ("practices", "registers", "indicators", "reasons", "domains")
PATIENTS_TABLE = "patients"
TAG = "table"
_MARKER = "_qof_practice_marker"


@dataclass(frozen=True)
class SparkScore:
    """Per-practice score tables as Spark DataFrames, with the columns of `qof score`'s tables.

    Rows come in no particular order. `patients` (patient outcomes) is None unless asked for.
    The run-wide tables (totals, domain totals) and PCN roll-ups are computed on the driver by
    `to_local`, from these small per-practice tables.
    """

    practices: DataFrame
    registers: DataFrame
    indicators: DataFrame
    reasons: DataFrame
    domains: DataFrame
    patients: DataFrame | None
    tagged: DataFrame  # all of them as rows (table name, one struct per table), persisted
    empty: Score  # the local engine's score of an empty extract: ruleset, dates, rates
    shapes: dict[str, pl.DataFrame]  # each table empty, with the local engine's columns and types

    def to_local(self, by: str = "practice") -> Score:
        """Collect to the driver as the local engine's Score, rolled up `by` practice/pcn/all."""
        tables = self.collect(*PER_PRACTICE)
        added = [c for c in summarise(self.empty.indicators, [PRACTICE]).columns if c != PRACTICE]
        per_practice = assemble(
            self.empty.counts,
            tables["practices"].drop(added),
            tables["registers"],
            tables["indicators"],
            tables["reasons"],
            self.empty.rates,
            "practice",
        )
        return roll_up(per_practice, by)

    def collect(self, *names: str) -> dict[str, pl.DataFrame]:
        """Tables on the driver (one Spark job), with the local engine's types and row order."""
        unknown = [n for n in names if n not in self.shapes]
        if unknown:
            raise UsageError(
                f"no table {', '.join(unknown)} in this Spark score (patient outcomes need "
                "score(..., patients=True)); choose from " + ", ".join(self.shapes)
            )
        wanted = self.tagged.where(F.col(TAG).isin(list(names))).select(TAG, *names)
        rows = _polars(wanted.toArrow())
        return {name: self._table(rows, name) for name in names}

    def _table(self, rows: pl.DataFrame, name: str) -> pl.DataFrame:
        like = self.shapes[name]
        table = rows.filter(pl.col(TAG) == name).select(pl.col(name).struct.unnest())
        typed = table.cast(like.schema).select(like.columns)
        return typed.sort(_sort_keys(name), maintain_order=True)


class SparkJobFailed(QofError):
    """A Spark job failed for a reason outside the rules (memory, lost executor, files)."""

    exit_code = 1


@contextmanager
def spark_errors(log: str = "the Spark logs") -> Iterator[None]:
    """Re-raise a qofcli error raised inside a Spark task as itself (one line, its exit code);
    any other Spark failure as one line naming its cause and where Spark logged it."""
    try:
        yield
    except (PySparkException, Py4JError) as exc:
        text = str(exc)
        for line in reversed(text.splitlines()):
            for kind in (UsageError, ExtractError, RulesetError):
                prefix = f"{kind.__module__}.{kind.__name__}: "
                if line.startswith(prefix):
                    raise kind(line.removeprefix(prefix)) from None
        first = next(
            (line.strip() for line in text.splitlines() if line.strip()), type(exc).__name__
        )
        raise SparkJobFailed(f"Spark failed: {first[:300]}; see {log}") from None


def score(
    spark_patients: DataFrame,
    spark_events: DataFrame,
    ruleset: Ruleset,
    as_of: date | None = None,
    rates: Rates | None = None,
    claims: Claims | None = None,
    spark_practices: DataFrame | None = None,
    patients: bool = False,
) -> SparkScore:
    """Score every practice of the extract on Spark with the local engine.

    The DataFrames hold the extract tables' columns (docs/extract-format.md) as stored: text,
    dates or numbers are typed by the same rules as `qof score` reads files. The data are taken as
    valid (run `qof validate` or your own checks first). `patients=True` adds patient outcomes
    (they hold patient ids). The result is persisted: each table reads the one computation.
    """
    rates = rates or rates_for(ruleset)
    claims = claims or no_claims()
    practice_rows = _practice_rows(spark_practices)
    _check_claims(claims, spark_patients, practice_rows)
    empty = api.score(_empty_extract(), ruleset, as_of, rates)
    shapes = {name: _local_frame(empty, name) for name in PER_PRACTICE}
    if patients:
        shapes[PATIENTS_TABLE] = api.patient_outcomes(_empty_extract(), ruleset, as_of)
    spark_schema = _tagged_schema(shapes)
    job = _PracticeJob(ruleset, as_of, rates, claims, practice_rows, patients, spark_schema)
    people, events = _cogroup_inputs(spark_patients, spark_events, ruleset, practice_rows)
    tagged = (
        people.groupBy(PRACTICE)
        .cogroup(events.groupBy(PRACTICE))
        .applyInArrow(job.function(), schema=spark_schema)
        .persist()
    )
    split = {name: tagged.where(F.col(TAG) == name).select(f"`{name}`.*") for name in shapes}
    return SparkScore(
        **{name: split[name] for name in PER_PRACTICE},
        patients=split.get(PATIENTS_TABLE),
        tagged=tagged,
        empty=empty,
        shapes=shapes,
    )


@dataclass(frozen=True)
class _PracticeJob:
    """What each Spark task runs on one practice's Arrow tables: the local engine."""

    ruleset: Ruleset
    as_of: date | None
    rates: Rates
    claims: Claims
    practices: pl.DataFrame | None
    patients: bool
    schema: T.StructType

    def function(self) -> Callable[[pa.Table, pa.Table], pa.Table]:
        """A plain two-argument function: Spark reads its signature to know what to pass."""

        def run(people: pa.Table, events: pa.Table) -> pa.Table:
            return self.run(people, events)

        return run

    def run(self, people: pa.Table, events: pa.Table) -> pa.Table:
        extract, code = self._extract(people, events)
        # One evaluation serves the score and, on request, the patient outcomes.
        evaluation = api.evaluate(extract, self.ruleset, self.as_of)
        result = api.score_counts(
            count(evaluation), api.practices_of(extract), self.rates, "practice", self._claims(code)
        )
        tables = {name: _local_frame(result, name) for name in PER_PRACTICE}
        if self.patients:
            tables[PATIENTS_TABLE] = api.outcomes_from(evaluation)
        return _tag(tables, to_arrow_schema(self.schema))

    def _extract(self, people: pa.Table, events: pa.Table) -> tuple[Extract, str]:
        frame = _polars(people)
        code = str(frame[PRACTICE][0])
        practices = None
        if self.practices is not None:
            practices = self.practices.filter(pl.col(PRACTICE) == code)
        patients = frame.filter(~pl.col(_MARKER)).drop(_MARKER)
        return extract_from_frames(patients, _polars(events), practices), code

    def _claims(self, code: str) -> Claims:
        mine = pl.col(PRACTICE) == code
        return dataclasses.replace(
            self.claims,
            points=self.claims.points.filter(mine),
            baselines=self.claims.baselines.filter(mine),
        )


def _polars(table: pa.Table) -> pl.DataFrame:
    frame = pl.from_arrow(table)
    assert isinstance(frame, pl.DataFrame)
    return frame


def _key(name: str) -> Column:
    """An id as text, trimmed, empty as null: how the local reader types text ids."""
    text = F.trim(F.col(name).cast("string"))
    return F.when(F.length(text) > 0, text)


def _cogroup_inputs(
    patients: DataFrame, events: DataFrame, ruleset: Ruleset, practice_rows: pl.DataFrame | None
) -> tuple[DataFrame, DataFrame]:
    """Patients (plus one marker row per listed practice, so practices without patients are
    scored too) and events carrying their patient's practice_code, both keyed alike.

    Events whose code is in none of the ruleset's clusters are dropped before the shuffle: the
    engine's first step drops them too (engine/facts.py), and they are most of an extract."""
    _require(patients, PATIENTS.name, [c.name for c in PATIENTS.columns if c.required])
    _require(events, EVENTS.name, [c.name for c in EVENTS.columns if c.required])
    people = patients.withColumns(
        {PRACTICE: _key(PRACTICE), "patient_id": _key("patient_id"), _MARKER: F.lit(False)}
    )
    # Fresh column names on the join's patient side: the cogroup then sees two distinct plans.
    owners = patients.select(
        _key("patient_id").alias("_owner"), _key(PRACTICE).alias("_owner_practice")
    ).where(F.col("_owner").isNotNull())
    spark = patients.sparkSession
    codes = sorted({code for cluster in ruleset.clusters.values() for code in cluster.codes})
    known = spark.createDataFrame(pa.table({"_known_code": pa.array(codes, pa.string())}))
    relevant = events.join(F.broadcast(known), _key("code") == F.col("_known_code"), "left_semi")
    keyed = (
        relevant.withColumn("patient_id", _key("patient_id"))
        .join(owners, F.col("patient_id") == F.col("_owner"))
        .withColumnRenamed("_owner_practice", PRACTICE)
        .drop("_owner")
    )
    if practice_rows is not None and practice_rows.height:
        listed = practice_rows.select(PRACTICE).unique().to_arrow()
        markers = spark.createDataFrame(listed).withColumn(_MARKER, F.lit(True))
        people = people.unionByName(markers, allowMissingColumns=True)
    return people, keyed


def _require(frame: DataFrame, table: str, columns: list[str]) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise UsageError(
            f"{table}: required column(s) {', '.join(missing)} missing; see docs/extract-format.md"
        )


def _practice_rows(practices: DataFrame | None) -> pl.DataFrame | None:
    """The practices table on the driver (one small row per practice), keyed like patients."""
    if practices is None:
        return None
    _require(practices, PRACTICES.name, [PRACTICE])
    rows = _polars(practices.withColumn(PRACTICE, _key(PRACTICE)).toArrow())
    return rows.filter(pl.col(PRACTICE).is_not_null())


def _check_claims(claims: Claims, patients: DataFrame, practices: pl.DataFrame | None) -> None:
    """Claims naming a practice that is not in the extract are refused, as locally."""
    if not (claims.protected_file or claims.declarations_file or claims.baseline_file):
        return
    codes = {r[0] for r in patients.select(_key(PRACTICE)).distinct().collect()}
    if practices is not None:
        codes |= set(practices[PRACTICE].to_list())
    claims.check_practices(c for c in codes if c is not None)


def _empty_extract() -> Extract:
    return extract_from_frames(
        pl.DataFrame(schema=PATIENTS.schema), pl.DataFrame(schema=EVENTS.schema)
    )


def _local_frame(result: Score, name: str) -> pl.DataFrame:
    frame = getattr(result, name)
    assert isinstance(frame, pl.DataFrame)
    return frame


def _sort_keys(name: str) -> list[str]:
    return [PRACTICE, "indicator", "patient_id"] if name == PATIENTS_TABLE else [PRACTICE]


# Polars -> Spark types. Spark has no unsigned integers: UInt32 counts travel as LongType and
# `collect` casts them back.
_SPARK_TYPES: dict[PolarsDataType, Callable[[], T.DataType]] = {
    pl.String: T.StringType,
    pl.Boolean: T.BooleanType,
    pl.Int8: T.ByteType,
    pl.Int16: T.ShortType,
    pl.Int32: T.IntegerType,
    pl.Int64: T.LongType,
    pl.UInt8: T.ShortType,
    pl.UInt16: T.IntegerType,
    pl.UInt32: T.LongType,
    pl.Float32: T.FloatType,
    pl.Float64: T.DoubleType,
    pl.Date: T.DateType,
    pl.Null: T.StringType,
}


def spark_type(dtype: PolarsDataType) -> T.DataType:
    """The Spark type that holds a Polars column of `dtype` without loss."""
    if isinstance(dtype, pl.List):
        return T.ArrayType(spark_type(dtype.inner))
    maker = _SPARK_TYPES.get(dtype.base_type())
    if maker is None:
        raise UsageError(f"no Spark type for a {dtype} column; please report this as a bug")
    return maker()


def _tagged_schema(shapes: dict[str, pl.DataFrame]) -> T.StructType:
    """One output row schema for all tables: the table's name and one struct per table."""
    fields = [T.StructField(TAG, T.StringType(), False)]
    for name, frame in shapes.items():
        inner = [T.StructField(c, spark_type(t), True) for c, t in frame.schema.items()]
        fields.append(T.StructField(name, T.StructType(inner), True))
    return T.StructType(fields)


def _tag(tables: dict[str, pl.DataFrame], schema: pa.Schema) -> pa.Table:
    """Stack the tables as rows of `schema`: each row fills its own table's struct only."""
    parts = []
    for name, frame in tables.items():
        rows = frame.height
        columns: dict[str, pa.Array] = {TAG: pa.array([name] * rows, pa.string())}
        for other in tables:
            struct_type = schema.field(other).type
            if other == name:
                arrays = [_arrow(frame[f.name], f.type) for f in struct_type]
                columns[other] = pa.StructArray.from_arrays(arrays, fields=list(struct_type))
            else:
                columns[other] = pa.nulls(rows, struct_type)
        parts.append(pa.table(columns, schema=schema))
    return pa.concat_tables(parts)


def _arrow(series: pl.Series, dtype: pa.DataType) -> pa.Array:
    array = series.rechunk().to_arrow()
    return array.cast(dtype)
