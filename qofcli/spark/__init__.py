"""QOF on Apache Spark (`pip install 'qofcli[spark]'`): the local Polars engine run per practice.

- ``score(patients, events, ruleset, ...)``: each practice counted on Spark by the local
  engine (engine/counts.py), the counts scored once on the driver; the per-practice tables of
  ``qof score`` as Spark DataFrames (and patient outcomes on request); ``SparkScore.to_local(by)``
  is the local engine's ``Score``, rolled up by practice, PCN or the whole run.
- ``start_session(master)``, ``read_extract(spark, folder)``: what ``qof score --engine spark``
  uses to read an extract folder.

Importing this package needs PySpark; nothing in the core imports it.
"""

from qofcli.spark.folders import SparkExtract, read_extract, start_session
from qofcli.spark.score import SparkJobFailed, SparkScore, score, spark_errors, spark_type

__all__ = [
    "SparkExtract",
    "SparkJobFailed",
    "SparkScore",
    "read_extract",
    "score",
    "spark_errors",
    "spark_type",
    "start_session",
]
