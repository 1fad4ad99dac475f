"""Run the pipeline on an extract too big for memory, in batches of whole practices.

QOF is computed per practice: no register, indicator, point or £ of one practice depends on
another practice's patients (national figures come from the ruleset). So practices are packed,
in practice-code order, into batches of at most `batch_patients` patients (a larger practice is
a batch of its own); each batch runs the ordinary engine, and the callers add up the batches'
counts (engine/counts.py) before scoring, so roll-ups and totals see every practice.

Events are read once: those whose code is in a cluster of the ruleset (no other event changes a
result) are written to a temporary Parquet folder partitioned by batch, so each batch reads
only its own events and the run stays linear in the size of the extract.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Collection
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import polars as pl

from qofcli.errors import UsageError
from qofcli.extract import Extract

DEFAULT_BATCH_PATIENTS = 1_000_000
BATCH = "batch"
PRACTICE = "practice_code"
T = TypeVar("T")


@dataclass(frozen=True)
class Batch:
    """Whole practices scored together, in practice-code order."""

    number: int  # 1-based
    practices: tuple[str, ...]
    patients: int


#: Called before each batch runs with the batch and how many there are (counts only).
OnBatch = Callable[[Batch, int], None]


def plan_batches(extract: Extract, batch_patients: int) -> list[Batch]:
    """Practices packed in code order into batches of at most `batch_patients` patients;
    practices listed in the practices table without patients ride along at no cost."""
    if batch_patients < 1:
        raise UsageError(f"--batch-patients {batch_patients}: give a number of patients >= 1")
    sizes = extract.patients.group_by(PRACTICE).agg(pl.len().cast(pl.Int64).alias("n"))
    if extract.practices is not None:
        listed = extract.practices.select(PRACTICE).unique()
        sizes = sizes.join(listed, on=PRACTICE, how="full", coalesce=True)
    rows = sizes.drop_nulls(PRACTICE).fill_null(0).sort(PRACTICE).collect().iter_rows()
    groups: list[tuple[list[str], int]] = [([], 0)]
    for code, patients in rows:  # one row per practice, not per patient
        members, total = groups[-1]
        if total and total + patients > batch_patients:
            members, total = [], 0
            groups.append((members, total))
        members.append(code)
        groups[-1] = (members, total + patients)
    return [Batch(i, tuple(m), n) for i, (m, n) in enumerate(groups, start=1) if m]


def run_in_batches(
    extract: Extract,
    batches: list[Batch],
    codes: Collection[str],
    work: Callable[[Extract, Batch], T],
    on_batch: OnBatch | None = None,
) -> list[T]:
    """`work` applied to each batch's extract in turn; `codes` are every code the work reads
    (the ruleset's cluster codes): other events are not carried into the batches."""
    results = []
    with tempfile.TemporaryDirectory(prefix="qof-batches-") as spill:
        folder = Path(spill)
        _spill_events(extract, batches, codes, folder)
        for batch in batches:
            if on_batch is not None:
                on_batch(batch, len(batches))
            results.append(work(_batch_extract(extract, batch, folder), batch))
    return results


def _spill_events(
    extract: Extract, batches: list[Batch], codes: Collection[str], folder: Path
) -> None:
    """One streaming pass: the events the rules read, partitioned by their patient's batch."""
    owners = pl.DataFrame(
        [(code, b.number) for b in batches for code in b.practices],
        schema={PRACTICE: pl.String, BATCH: pl.UInt32},
        orient="row",
    )
    patient_batch = extract.patients.select("patient_id", PRACTICE).join(
        owners.lazy(), on=PRACTICE, how="inner"
    )
    # A filter on the codes before the join, not a semi-join: 4x less work at 60M events.
    read = pl.Series(sorted(codes), dtype=pl.String).implode()
    (
        extract.events.filter(pl.col("code").is_in(read))
        .join(patient_batch.select("patient_id", BATCH), on="patient_id", how="inner")
        .sink_parquet(pl.PartitionBy(folder, key=BATCH, include_key=False), mkdir=True)
    )


def _batch_extract(extract: Extract, batch: Batch, folder: Path) -> Extract:
    members = pl.Series(batch.practices, dtype=pl.String).implode()
    in_batch = pl.col(PRACTICE).is_in(members)
    files = sorted((folder / f"{BATCH}={batch.number}").glob("*.parquet"))
    schema = extract.events.collect_schema()
    events = pl.scan_parquet(files) if files else pl.LazyFrame(schema=schema)
    practices = None if extract.practices is None else extract.practices.filter(in_batch)
    return Extract(extract.patients.filter(in_batch), events, practices, extract.source)
