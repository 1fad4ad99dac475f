"""Run the pipeline on an extract too big for memory, in batches of whole practices.

QOF is computed per practice: no register, indicator, point or £ of one practice depends on
another practice's patients (national figures come from the ruleset). So practices are packed,
in practice-code order, into batches of at most `batch_patients` patients (a larger practice is
a batch of its own); each batch runs the ordinary pipeline, and the per-practice tables are
concatenated. Roll-ups to PCNs or all practices are applied to the concatenation by the caller.

Events are read once: those whose code is in a cluster of the ruleset (no other event changes a
result) are written to a temporary Parquet folder partitioned by batch, so each batch reads
only its own events and the run stays linear in the size of the extract.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TypeVar

import polars as pl

from qofcli.errors import UsageError
from qofcli.extract import Extract
from qofcli.scoring.achievement import PRACTICE, Score, assemble
from qofcli.scoring.claims import Claims
from qofcli.scoring.payment import MONEY_COLUMNS

DEFAULT_BATCH_PATIENTS = 1_000_000
BATCH = "batch"
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
    read = pl.LazyFrame({"code": sorted(codes)}, schema={"code": pl.String})
    (
        extract.events.join(read, on="code", how="semi")
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


def claims_for(claims: Claims, practices: Iterable[str]) -> Claims:
    """The claims of these practices only (a batch checks its files against its practices)."""
    members = pl.Series(list(practices), dtype=pl.String).implode()
    in_batch = pl.col(PRACTICE).is_in(members)
    return replace(
        claims,
        points=claims.points.filter(in_batch),
        baselines=claims.baselines.filter(in_batch),
    )


def without_patients(score: Score) -> Score:
    """The score with its patient-level evaluation emptied, so batches do not accumulate it."""
    evaluation = replace(score.evaluation, patients=score.evaluation.patients.clear())
    return replace(score, evaluation=evaluation)


def combine_scores(parts: list[Score]) -> Score:
    """One per-practice score from the scores of disjoint sets of practices: the practice,
    register, indicator and reason rows concatenated, the domain and run totals recomputed."""
    first = parts[0]
    units = pl.concat([p.practices for p in parts], how="vertical_relaxed").drop(MONEY_COLUMNS)
    return assemble(
        first.evaluation,
        units,
        pl.concat([p.registers for p in parts], how="vertical_relaxed"),
        pl.concat([p.indicators for p in parts], how="vertical_relaxed"),
        pl.concat([p.reasons for p in parts], how="vertical_relaxed"),
        first.rates,
        "practice",
    )
