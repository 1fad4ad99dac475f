"""Read an extract folder with Spark and start the Spark session `qof score --engine spark` uses.

The tables are found exactly as the local reader finds them (CSV file, Parquet file or folder of
Parquet files, or the file a `--map` mapping names) and read as stored: CSV columns as text,
Parquet columns in their own types. The per-practice engine types them by the extract contract,
as `qof score` does.

A mapping (extract/mapping.py) is applied where the local reader applies it, as the table is
read: it works row by row (renamed columns, rewritten dates, translated values, split events),
so the executors apply the same Polars mapping to each Arrow batch of the source.
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import polars as pl
import pyarrow as pa
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql.pandas.types import from_arrow_schema, to_arrow_schema

from qofcli.errors import UsageError
from qofcli.extract import EVENTS, PATIENTS, PRACTICES
from qofcli.extract.load import TableFile, check_folder, find_table, missing_table_error
from qofcli.extract.mapping import ExtractMapping, TableMapping


@dataclass(frozen=True)
class SparkExtract:
    patients: DataFrame
    events: DataFrame
    practices: DataFrame | None


def start_session(
    master: str = "local[*]", shuffle_partitions: int | None = None, log: Path | None = None
) -> SparkSession:
    """A Spark session on `master`, quiet on the terminal (errors only); with `log`, the JVM's
    own output (start-up notices, Spark's error log) goes to that file instead of stderr."""
    if not (os.environ.get("JAVA_HOME") or shutil.which("java")):
        raise UsageError(
            "--engine spark needs Java 17 or later: install a JDK (Debian/Ubuntu: "
            "apt-get install openjdk-17-jre-headless) or set JAVA_HOME"
        )
    builder = (
        SparkSession.builder.master(master)
        .appName("qofcli")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.ui.enabled", "false")
        .config("spark.log.level", "ERROR")
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        # One Polars thread per Spark task: the task is the unit of parallelism.
        .config("spark.executorEnv.POLARS_MAX_THREADS", "1")
    )
    if master.startswith("local") and "PYSPARK_PYTHON" not in os.environ:
        # Local workers run this interpreter (with qofcli), not whatever `python3` is on PATH.
        builder = builder.config("spark.pyspark.python", sys.executable)
    spark = builder.getOrCreate() if log is None else _with_stderr_to(log, builder.getOrCreate)
    spark.sparkContext.setLogLevel("ERROR")
    # A few practice groups per core balance uneven practice sizes; 200 (Spark's default)
    # mostly schedules empty tasks for a small extract.
    partitions = shuffle_partitions or 4 * spark.sparkContext.defaultParallelism
    spark.conf.set("spark.sql.shuffle.partitions", str(partitions))
    return spark


def _with_stderr_to(log: Path, start: Callable[[], SparkSession]) -> SparkSession:
    """Start the JVM with its stderr on `log` (it keeps it); ours is restored at once."""
    sys.stderr.flush()
    saved = os.dup(2)
    target = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    try:
        os.dup2(target, 2)
        return start()
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(target)


def read_extract(
    spark: SparkSession, path: Path, mapping: ExtractMapping | None = None
) -> SparkExtract:
    """The extract folder's tables as Spark DataFrames (columns as stored), read through
    `mapping` when given (the contract's columns, as the local reader's mapping gives them)."""
    folder = check_folder(path)
    found = {t.name: find_table(folder, t, mapping) for t in (PATIENTS, EVENTS, PRACTICES)}
    for table in (PATIENTS, EVENTS):
        if found[table.name] is None:
            raise missing_table_error(folder, table)
    practices = found[PRACTICES.name]
    return SparkExtract(
        patients=_read(spark, found[PATIENTS.name]),  # type: ignore[arg-type]
        events=_read(spark, found[EVENTS.name]),  # type: ignore[arg-type]
        practices=None if practices is None else _read(spark, practices),
    )


def _read(spark: SparkSession, table: TableFile) -> DataFrame:
    files = [str(f) for f in table.files]
    if table.is_csv:
        # RFC 4180 quoting ("" inside quotes), every column as text, like the local reader.
        frame = spark.read.csv(files, header=True, inferSchema=False, escape='"', quote='"')
    else:
        frame = _parquet(spark, table, files)
    # Spreadsheet exports often add a byte-order mark or stray spaces to the header.
    frame = frame.toDF(*(c.lstrip("\ufeff").strip() for c in frame.columns))
    return frame if table.mapping is None else _mapped(frame, table.mapping)


def _parquet(spark: SparkSession, table: TableFile, files: list[str]) -> DataFrame:
    """Parquet parts; key=value folder names are columns too, read as text (leading zeros
    kept), as the local reader reads them."""
    if not table.hive_keys:
        return spark.read.parquet(*files)
    inference = "spark.sql.sources.partitionColumnTypeInference.enabled"
    before = str(spark.conf.get(inference, "true"))
    spark.conf.set(inference, "false")
    try:  # the partition columns' types are fixed when the DataFrame is made
        return spark.read.option("basePath", str(table.path)).parquet(*files)
    finally:
        spark.conf.set(inference, before)


def _mapped(frame: DataFrame, mapping: TableMapping) -> DataFrame:
    """The source read through the mapping, batch by batch on the executors. The output's
    columns and types are the mapping's output for the source's (Arrow) types."""
    zone = str(frame.sparkSession.conf.get("spark.sql.session.timeZone"))  # of timestamps
    source = pl.from_arrow(to_arrow_schema(frame.schema, timezone=zone).empty_table())
    assert isinstance(source, pl.DataFrame)
    target = mapping.apply(source.lazy(), source.schema).collect()
    schema = from_arrow_schema(target.to_arrow().schema)
    arrow = to_arrow_schema(schema, timezone=zone)
    return frame.mapInArrow(_BatchMapping(mapping, arrow).function(), schema)


@dataclass(frozen=True)
class _BatchMapping:
    """What each Spark task runs on the Arrow batches of a mapped table (pickled with it)."""

    mapping: TableMapping
    schema: pa.Schema

    def function(self) -> Callable[[Iterator[pa.RecordBatch]], Iterator[pa.RecordBatch]]:
        def run(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
            for batch in batches:
                yield from self.apply(batch)

        return run

    def apply(self, batch: pa.RecordBatch) -> list[pa.RecordBatch]:
        frame = pl.from_arrow(batch)
        assert isinstance(frame, pl.DataFrame)
        mapped = self.mapping.apply(frame.lazy(), frame.schema).collect()
        arrays = [mapped[f.name].rechunk().to_arrow().cast(f.type) for f in self.schema]
        return pa.table(arrays, schema=self.schema).to_batches()
