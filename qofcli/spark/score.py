"""Score on Spark: group the extract by practice, count each group with the local Polars engine,
and score the added counts once on the driver.

QOF is computed per practice (national figures enter as ruleset data), so a practice's patients
and events are all one task needs. Events get their patient's practice_code by a join, both
sides are co-grouped on practice_code, and each group goes through Arrow to one
`qofcli.api.evaluate`, which the task reduces to the engine's counts (engine/counts.py:
outcomes per practice x indicator x decision code, register sizes, registered patients) and, on
request, explains patient by patient from the same evaluation. The driver collects the counts,
adds them with `combine_counts` and scores them with `score_counts`, exactly as practice
batches are scored locally (api.score): no rule and no scoring step is implemented twice.

The ruleset is made on the driver and shipped to the executors pickled with the task, so a
custom ruleset folder need not exist on the executors.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import date

import polars as pl
import pyarrow as pa
from polars._typing import PolarsDataType
from py4j.protocol import Py4JError
from pyspark.errors import PySparkException
from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql import types as T
from pyspark.sql.pandas.types import to_arrow_schema

from qofcli import api
from qofcli.engine.counts import Counts, count
from qofcli.errors import ExtractError, QofError, RulesetError, UsageError
from qofcli.extract import EVENTS, PATIENTS, PRACTICES, Extract, extract_from_frames
from qofcli.ruleset.model import Ruleset
from qofcli.scoring.achievement import Score
from qofcli.scoring.claims import Claims, no_claims
from qofcli.scoring.networks import roll_up
from qofcli.scoring.payment import Rates

PRACTICE = "practice_code"
PER_PRACTICE = ("practices", "registers", "indicators", "reasons", "domains")
PATIENTS_TABLE = "patients"
# What each task returns besides patient outcomes: the frames of engine/counts.py's Counts.
COUNT_TABLES = ("outcomes", "registers", "registered")
TAG = "table"


@dataclass(frozen=True)
class SparkScore:
    """The score per practice as Spark DataFrames, with the columns of `qof score`'s tables.

    The tasks' counts were collected and scored once on the driver (`local`); the per-practice
    tables are that score as Spark DataFrames. `patients` (patient outcomes, from the tasks,
    persisted) is None unless asked for; its rows come in no particular order.
    """

    practices: DataFrame
    registers: DataFrame
    indicators: DataFrame
    reasons: DataFrame
    domains: DataFrame
    patients: DataFrame | None
    local: Score  # the local engine's Score per practice, computed on the driver
    patient_shape: pl.DataFrame | None  # patient outcomes empty, with the local types

    def to_local(self, by: str = "practice") -> Score:
        """The local engine's Score, rolled up `by` practice/pcn/all (no Spark job)."""
        return roll_up(self.local, by)

    def collect(self, *names: str) -> dict[str, pl.DataFrame]:
        """Tables on the driver with the local engine's types and row order; patient outcomes
        (one Spark job reading the persisted result) only if the score was asked for them."""
        known = [*PER_PRACTICE, *([PATIENTS_TABLE] if self.patient_shape is not None else [])]
        unknown = [n for n in names if n not in known]
        if unknown:
            raise UsageError(
                f"no table {', '.join(unknown)} in this Spark score (patient outcomes need "
                "score(..., patients=True)); choose from " + ", ".join(known)
            )
        return {name: self._table(name) for name in names}

    def _table(self, name: str) -> pl.DataFrame:
        if name != PATIENTS_TABLE:
            return _local_frame(self.local, name)
        assert self.patients is not None and self.patient_shape is not None
        rows = _polars(self.patients.toArrow())
        like = self.patient_shape
        typed = rows.cast(like.schema).select(like.columns)
        return typed.sort(PRACTICE, "indicator", "patient_id", maintain_order=True)


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
    """Score every practice of the extract: counted on Spark by the local engine, practice by
    practice, and scored once on the driver from the added counts.

    The DataFrames hold the extract tables' columns (docs/extract-format.md) as stored: text,
    dates or numbers are typed by the same rules as `qof score` reads files. The data are taken as
    valid (run `qof validate` or your own checks first). `patients=True` adds patient outcomes
    (they hold patient ids), persisted: reading them does not count the extract again.
    """
    claims = claims or no_claims()
    practice_rows = _practice_rows(spark_practices)
    _check_claims(claims, spark_patients, practice_rows)
    empty = api.counts(_empty_extract(), ruleset, as_of)
    shapes = {name: getattr(empty, name) for name in COUNT_TABLES}
    if patients:
        shapes[PATIENTS_TABLE] = api.outcomes_from(api.evaluate(_empty_extract(), ruleset, as_of))
    spark_schema = _tagged_schema(shapes)
    job = _PracticeJob(ruleset, as_of, patients, spark_schema)
    people, events = _cogroup_inputs(spark_patients, spark_events, ruleset)
    tagged = (
        people.groupBy(PRACTICE)
        .cogroup(events.groupBy(PRACTICE))
        .applyInArrow(job.function(), schema=spark_schema)
    )
    if patients:
        tagged = tagged.persist()  # the counts are collected now, the outcomes read later
    # Added as batches' counts are: rows of one key from several tasks would be summed.
    counted = api.combine_counts([_collected_counts(tagged, empty)])
    local = api.score_counts(counted, practice_rows, rates, "practice", claims)
    spark = spark_patients.sparkSession
    return SparkScore(
        **{name: _to_spark(spark, _local_frame(local, name)) for name in PER_PRACTICE},
        patients=tagged.where(F.col(TAG) == PATIENTS_TABLE).select(f"{PATIENTS_TABLE}.*")
        if patients
        else None,
        local=local,
        patient_shape=shapes.get(PATIENTS_TABLE),
    )


def _collected_counts(tagged: DataFrame, empty: Counts) -> Counts:
    """Every task's counts on the driver (one Spark job), typed as engine/counts.py types them."""
    wanted = tagged.where(F.col(TAG).isin(list(COUNT_TABLES))).select(TAG, *COUNT_TABLES)
    rows = _polars(wanted.toArrow())

    def table(name: str) -> pl.DataFrame:
        like: pl.DataFrame = getattr(empty, name)
        found = rows.filter(pl.col(TAG) == name).select(pl.col(name).struct.unnest())
        return found.cast(like.schema).select(like.columns)

    return replace(
        empty,
        outcomes=table("outcomes"),
        registers=table("registers"),
        registered=table("registered"),
    )


@dataclass(frozen=True)
class _PracticeJob:
    """What each Spark task runs on one practice's Arrow tables: the local engine's counts."""

    ruleset: Ruleset
    as_of: date | None
    patients: bool
    schema: T.StructType

    def function(self) -> Callable[[pa.Table, pa.Table], pa.Table]:
        """A plain two-argument function: Spark reads its signature to know what to pass."""

        def run(people: pa.Table, events: pa.Table) -> pa.Table:
            return self.run(people, events)

        return run

    def run(self, people: pa.Table, events: pa.Table) -> pa.Table:
        extract = extract_from_frames(_polars(people), _polars(events))
        # One evaluation serves the counts and, on request, the patient outcomes.
        evaluation = api.evaluate(extract, self.ruleset, self.as_of)
        counted = count(evaluation)
        tables = {name: getattr(counted, name) for name in COUNT_TABLES}
        if self.patients:
            tables[PATIENTS_TABLE] = api.outcomes_from(evaluation)
        return _tag(tables, to_arrow_schema(self.schema))


def _polars(table: pa.Table) -> pl.DataFrame:
    frame = pl.from_arrow(table)
    assert isinstance(frame, pl.DataFrame)
    return frame


def _key(name: str) -> Column:
    """An id as text, trimmed, empty as null: how the local reader types text ids."""
    text = F.trim(F.col(name).cast("string"))
    return F.when(F.length(text) > 0, text)


def _cogroup_inputs(
    patients: DataFrame, events: DataFrame, ruleset: Ruleset
) -> tuple[DataFrame, DataFrame]:
    """Patients, and events carrying their patient's practice_code, both keyed alike. (A
    practice listed without patients needs no task: scoring lists it from the practices table.)

    Events whose code is in none of the ruleset's clusters are dropped before the shuffle: the
    engine's first step drops them too (engine/facts.py), and they are most of an extract."""
    _require(patients, PATIENTS.name, [c.name for c in PATIENTS.columns if c.required])
    _require(events, EVENTS.name, [c.name for c in EVENTS.columns if c.required])
    people = patients.withColumns({PRACTICE: _key(PRACTICE), "patient_id": _key("patient_id")})
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
    return people, keyed


def _require(frame: DataFrame, table: str, columns: list[str]) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise UsageError(
            f"{table}: required column(s) {', '.join(missing)} missing; see docs/extract-format.md"
        )


def _practice_rows(practices: DataFrame | None) -> pl.DataFrame | None:
    """The practices table on the driver (one small row per practice), typed as `qof score`
    types it."""
    if practices is None:
        return None
    _require(practices, PRACTICES.name, [PRACTICE])
    rows = _polars(practices.withColumn(PRACTICE, _key(PRACTICE)).toArrow())
    listed = rows.filter(pl.col(PRACTICE).is_not_null())
    return api.practices_of(extract_from_frames(*_empty_tables(), listed))


def _check_claims(claims: Claims, patients: DataFrame, practices: pl.DataFrame | None) -> None:
    """Claims naming a practice that is not in the extract are refused, as locally."""
    if not (claims.protected_file or claims.declarations_file or claims.baseline_file):
        return
    codes = {r[0] for r in patients.select(_key(PRACTICE)).distinct().collect()}
    if practices is not None:
        codes |= set(practices[PRACTICE].to_list())
    claims.check_practices(c for c in codes if c is not None)


def _empty_tables() -> tuple[pl.DataFrame, pl.DataFrame]:
    return pl.DataFrame(schema=PATIENTS.schema), pl.DataFrame(schema=EVENTS.schema)


def _empty_extract() -> Extract:
    return extract_from_frames(*_empty_tables())


def _local_frame(result: Score, name: str) -> pl.DataFrame:
    frame = getattr(result, name)
    assert isinstance(frame, pl.DataFrame)
    return frame


def _to_spark(spark: SparkSession, frame: pl.DataFrame) -> DataFrame:
    """A driver-side table as a Spark DataFrame, each column in `spark_type` of its type."""
    schema = _struct_of(frame)
    arrow = to_arrow_schema(schema)
    columns = [_arrow(frame[f.name], f.type) for f in arrow]
    return spark.createDataFrame(pa.table(columns, schema=arrow), schema=schema)


# Polars -> Spark types. Spark has no unsigned integers: UInt32 counts travel as LongType and
# are cast back on the driver.
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
    fields += [T.StructField(name, _struct_of(frame), True) for name, frame in shapes.items()]
    return T.StructType(fields)


def _struct_of(frame: pl.DataFrame) -> T.StructType:
    """The Spark row type of a Polars frame, each column nullable in `spark_type` of its type."""
    return T.StructType([T.StructField(c, spark_type(t), True) for c, t in frame.schema.items()])


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
