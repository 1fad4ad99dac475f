"""Plain orchestration functions: what each command does, without any printing or CLI parsing."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TypeVar

import polars as pl

from qofcli.batches import DEFAULT_BATCH_PATIENTS, Batch, OnBatch, plan_batches, run_in_batches
from qofcli.engine.counts import Counts, combine, count
from qofcli.engine.evaluate import (
    NOT_ACHIEVED,
    STATUSES,
    Evaluation,
    evaluate,
    evaluate_many,
    indicator_column,
)
from qofcli.errors import InvalidExtract, UsageError
from qofcli.extract import Extract, load_extract, validate_extract
from qofcli.extract.gate import gate
from qofcli.extract.mapping import ExtractMapping, load_mapping
from qofcli.ruleset.catalogue import default_ruleset_id
from qofcli.ruleset.diff import diff_rulesets
from qofcli.ruleset.loader import load_ruleset
from qofcli.ruleset.model import Ruleset
from qofcli.scoring.achievement import Score
from qofcli.scoring.achievement import score as score_per_practice
from qofcli.scoring.claims import Claims, read_claims
from qofcli.scoring.compare import Comparison, compare_scores, status_changes
from qofcli.scoring.networks import roll_up
from qofcli.scoring.payment import Rates, rates_for
from qofcli.scoring.progress import worklist as rank_worklist

__all__ = [
    "combine_counts",
    "compare",
    "counts",
    "diff_rulesets",
    "evaluate",
    "load_mapping",
    "load_ruleset",
    "open_extract",
    "outcomes_from",
    "patient_outcomes",
    "rates_for",
    "read_claims",
    "report",
    "score",
    "score_counts",
    "worklist",
    "wrong_year_warning",
]

combine_counts = combine
T = TypeVar("T")

PATIENT_COLUMNS = (
    "practice_code",
    "patient_id",
    "indicator",
    "status",
    "reason",
    "reason_type",
    "rule",
    "description",
)


def score(
    extract: Extract,
    ruleset: Ruleset,
    as_of: date | None = None,
    rates: Rates | None = None,
    by: str = "practice",
    claims: Claims | None = None,
    batch_patients: int = DEFAULT_BATCH_PATIENTS,
    on_batch: OnBatch | None = None,
) -> Score:
    """Registers, prevalence, achievement, points and £ per practice, PCN (`by="pcn"`) or for
    all practices together (`by="all"`); `rates` defaults to the ruleset's [payment]; `claims`
    supplies points of protected and manual indicators (`read_claims`). An extract of more than
    `batch_patients` patients is counted in batches of whole practices (qofcli/batches.py)."""

    def counted(part: Extract, _batch: Batch | None) -> Counts:
        return counts(part, ruleset, as_of)

    parts = _in_batches(extract, _cluster_codes(ruleset), batch_patients, counted, on_batch)
    return score_counts(_combined(parts), practices_of(extract), rates, by, claims)


def counts(extract: Extract, ruleset: Ruleset, as_of: date | None = None) -> Counts:
    """What scoring needs of an extract, per practice (engine/counts.py): counts of a batch of
    practices, a thread or a Spark task are combined with `combine_counts`."""
    return count(evaluate(extract, ruleset, as_of))


def practices_of(extract: Extract) -> pl.DataFrame | None:
    """The extract's practices table (names, PCNs, list sizes), if it has one."""
    return None if extract.practices is None else extract.practices.collect()


def score_counts(
    counted: Counts,
    practices: pl.DataFrame | None,
    rates: Rates | None = None,
    by: str = "practice",
    claims: Claims | None = None,
) -> Score:
    """`score` from counts (possibly combined from batches) and the practices table."""
    return roll_up(score_per_practice(counted, practices, rates, claims), by)


def worklist(
    extract: Extract,
    ruleset: Ruleset,
    as_of: date | None = None,
    rates: Rates | None = None,
    batch_patients: int = DEFAULT_BATCH_PATIENTS,
    on_batch: OnBatch | None = None,
) -> pl.DataFrame:
    """Patients ranked by the £ the practice gains if they achieve what they have not yet."""

    def missing_and_counts(part: Extract, _batch: Batch | None) -> tuple[pl.DataFrame, Counts]:
        evaluation = evaluate(part, ruleset, as_of)
        return outcomes_from(evaluation, statuses=[NOT_ACHIEVED]), count(evaluation)

    codes = _cluster_codes(ruleset)
    parts = _in_batches(extract, codes, batch_patients, missing_and_counts, on_batch)
    counted = _combined([c for _, c in parts])
    per_practice = score_per_practice(counted, practices_of(extract), rates)
    return rank_worklist(pl.concat([m for m, _ in parts]), per_practice.indicators)


def patient_outcomes(
    extract: Extract,
    ruleset: Ruleset,
    as_of: date | None = None,
    indicators: Sequence[str] | None = None,
    statuses: Sequence[str] | None = None,
    batch_patients: int = DEFAULT_BATCH_PATIENTS,
    on_batch: OnBatch | None = None,
) -> pl.DataFrame:
    """One row per patient per indicator whose register they are on, with the deciding rule."""

    def outcomes(part: Extract, _batch: Batch | None) -> pl.DataFrame:
        return outcomes_from(evaluate(part, ruleset, as_of), indicators, statuses)

    codes = _cluster_codes(ruleset)
    return pl.concat(_in_batches(extract, codes, batch_patients, outcomes, on_batch))


def compare(
    extract: Extract,
    a: Ruleset,
    b: Ruleset,
    as_of: date | None = None,
    by: str = "practice",
    patients: bool = False,
    batch_patients: int = DEFAULT_BATCH_PATIENTS,
    on_batch: OnBatch | None = None,
) -> Comparison:
    """Score the extract under both rulesets (each with its own [payment]) and line them up;
    `patients=True` adds the patients whose status changes (it holds patient ids)."""
    structure = diff_rulesets(a, b)

    def changed(evaluations: list[Evaluation]) -> pl.DataFrame:
        return status_changes(evaluations[0], evaluations[1], structure.renamed)

    (counts_a, counts_b), changes = _evaluated(
        extract, [a, b], as_of, changed if patients else None, batch_patients, on_batch
    )
    practices = practices_of(extract)
    return compare_scores(
        score_counts(counts_a, practices, by=by),
        score_counts(counts_b, practices, by=by),
        structure,
        changes,
    )


@dataclass(frozen=True)
class ReportData:
    """What `qof report` shows: the score, optionally the comparison with another ruleset
    and every patient's outcome."""

    score: Score
    comparison: Comparison | None
    patients: pl.DataFrame | None


def report(
    extract: Extract,
    ruleset: Ruleset,
    as_of: date | None = None,
    by: str = "practice",
    other: Ruleset | None = None,
    patients: bool = False,
    batch_patients: int = DEFAULT_BATCH_PATIENTS,
    on_batch: OnBatch | None = None,
) -> ReportData:
    """`score`, `compare(extract, other, ruleset)` and `patient_outcomes` of one run, from one
    evaluation per ruleset (and one read of the events for both)."""
    rulesets = [ruleset] if other is None else [other, ruleset]

    def outcomes(evaluations: list[Evaluation]) -> pl.DataFrame:
        return outcomes_from(evaluations[-1])

    detail = outcomes if patients else None
    counted, outcomes_of = _evaluated(extract, rulesets, as_of, detail, batch_patients, on_batch)
    practices = practices_of(extract)
    scored = score_counts(counted[-1], practices, by=by)
    comparison = None
    if other is not None:
        earlier = score_counts(counted[0], practices, by=by)
        comparison = compare_scores(earlier, scored, diff_rulesets(other, ruleset))
    return ReportData(scored, comparison, outcomes_of)


def _evaluated(
    extract: Extract,
    rulesets: list[Ruleset],
    as_of: date | None,
    detail: Callable[[list[Evaluation]], pl.DataFrame] | None,
    batch_patients: int,
    on_batch: OnBatch | None,
) -> tuple[list[Counts], pl.DataFrame | None]:
    """Evaluate every ruleset once per batch (events read once for all), keeping the counts of
    each ruleset (combined over the batches) and, if asked, `detail` of the evaluations (the
    batches' frames concatenated: batches are in practice-code order)."""

    def work(part: Extract, _batch: Batch | None) -> tuple[list[Counts], pl.DataFrame | None]:
        evaluations = evaluate_many(part, rulesets, as_of)
        return [count(e) for e in evaluations], detail(evaluations) if detail else None

    codes = frozenset().union(*(_cluster_codes(r) for r in rulesets))
    parts = _in_batches(extract, codes, batch_patients, work, on_batch)
    counted = [_combined([p[0][i] for p in parts]) for i in range(len(rulesets))]
    frames = [p[1] for p in parts if p[1] is not None]
    return counted, pl.concat(frames) if detail else None


def _in_batches(
    extract: Extract,
    codes: frozenset[str],
    batch_patients: int,
    work: Callable[[Extract, Batch | None], T],
    on_batch: OnBatch | None,
) -> list[T]:
    """`work` on the whole extract, or on each batch of practices when it is too big
    (`codes`: every code the work reads)."""
    if batch_patients >= 1 and _patient_count(extract) <= batch_patients:
        return [work(extract, None)]  # one batch: no need to size every practice
    batches = plan_batches(extract, batch_patients)
    if len(batches) <= 1:
        return [work(extract, None)]
    return run_in_batches(extract, batches, codes, work, on_batch)


def _patient_count(extract: Extract) -> int:
    return int(extract.patients.select(pl.len()).collect().item())


def _combined(parts: list[Counts]) -> Counts:
    return parts[0] if len(parts) == 1 else combine(parts)


def _cluster_codes(ruleset: Ruleset) -> frozenset[str]:
    """Every code a rule of the ruleset can read."""
    return frozenset(code for c in ruleset.clusters.values() for code in c.codes)


def outcomes_from(
    evaluation: Evaluation,
    indicators: Sequence[str] | None = None,
    statuses: Sequence[str] | None = None,
) -> pl.DataFrame:
    """Explain an evaluation patient by patient (the long table is built only here)."""
    known = [i.id for i in evaluation.ruleset.indicators.values() if i.computed]
    wanted = list(indicators) if indicators else known
    unknown = [i for i in wanted if i not in known]
    if unknown:
        raise UsageError(
            f"unknown indicator {', '.join(unknown)} in {evaluation.ruleset.id} (or declared "
            f"manually, so without patients); choose from {', '.join(known)}"
        )
    bad = [s for s in statuses or () if s not in STATUSES]
    if bad:
        raise UsageError(f"unknown status {', '.join(bad)}; choose from {', '.join(STATUSES)}")
    columns = [indicator_column(i) for i in wanted]
    long = (
        evaluation.patients.lazy()
        .select("practice_code", "patient_id", *columns)
        .unpivot(
            index=["practice_code", "patient_id"], variable_name="indicator", value_name="code"
        )
        .drop_nulls("code")
        .with_columns(pl.col("indicator").str.strip_prefix("ind:"))
        .join(evaluation.outcomes.lazy(), on=["indicator", "code"], how="left")
    )
    if statuses:
        long = long.filter(pl.col("status").is_in(list(statuses)))
    return long.select(PATIENT_COLUMNS).sort("practice_code", "indicator", "patient_id").collect()


def wrong_year_warning(extract: Extract, *rulesets: Ruleset) -> str | None:
    """One line when no event of the extract falls in a ruleset's payment period (an extract of
    another QOF year), naming the shipped ruleset its latest events belong to; no patient data."""
    outside = [r for r in rulesets if not _has_events_in_period(extract, r)]
    if not outside:
        return None
    periods = "; ".join(
        f"{r.id} ({r.period_start.isoformat()} to {r.period_end.isoformat()})" for r in outside
    )
    latest = extract.events.select(pl.col("date").max()).collect().item()
    if latest is None:
        hint = "the extract has no events"
    else:
        fitting = default_ruleset_id(latest)
        hint = f"its latest events fall in the year of {fitting}; consider --ruleset {fitting}"
        if fitting in {r.id for r in outside}:
            hint = "check the extract's dates"
    return f"warning: no event in the extract falls in the payment period of {periods}: {hint}"


def _has_events_in_period(extract: Extract, ruleset: Ruleset) -> bool:
    """The first event in the period answers: the scan stops there instead of reading every
    date."""
    period = pl.col("date").is_between(ruleset.period_start, ruleset.period_end)
    return extract.events.filter(period).select("date").head(1).collect().height > 0


def open_extract(
    path: Path, ruleset: Ruleset | None = None, mapping: ExtractMapping | None = None
) -> Extract:
    """Validate then open an extract (read through ``mapping`` if given); refuse it
    (InvalidExtract, exit 2) if it has errors. Only the error checks run (extract/gate.py);
    the full report is built only when there is an error to report."""
    checked = gate(path, mapping)
    if not checked.passed:
        known = _cluster_codes(ruleset) if ruleset else None
        report = validate_extract(path, known_codes=known, mapping=mapping)
        if report.errors:
            raise InvalidExtract([p.line() for p in report.errors], str(path))
    return load_extract(path, mapping, checked.trimmed)


def synthesise(
    ruleset: Ruleset,
    out_dir: Path,
    n_patients: int,
    n_practices: int,
    seed: int,
    fmt: str = "parquet",
    events_per_patient: float = 8.0,
    overwrite: bool = False,
    as_of: date | None = None,
) -> None:
    """Write a synthetic extract for the ruleset's year using its real cluster codes, taken on
    ``as_of`` (default: a quarter after the period end, or today if earlier)."""
    from qofcli import synth
    from qofcli.ruleset.catalogue import today

    as_of = as_of or synth.default_as_of(ruleset, today())
    if as_of < ruleset.period_start:
        raise UsageError(
            f"--as-of {as_of} is before {ruleset.id}'s payment period starts "
            f"({ruleset.period_start}); choose a later date"
        )

    if out_dir.exists() and not out_dir.is_dir():
        raise UsageError(f"--out {out_dir} is a file; give a folder (it is created if absent)")
    if n_patients < 1 or n_practices < 1 or n_practices > n_patients:
        raise UsageError("--patients and --practices must be positive, with patients >= practices")
    if out_dir.exists() and any(out_dir.iterdir()) and not overwrite:
        raise UsageError(f"--out {out_dir} is not empty; choose a new folder or add --overwrite")
    extract = synth.generate(
        n_patients,
        n_practices,
        seed,
        ruleset,
        noise_codes=_noise_codes(),
        events_per_patient=events_per_patient,
        as_of=as_of,
    )
    synth.write_extract(extract, out_dir, fmt, overwrite=overwrite)  # type: ignore[arg-type]


def _noise_codes() -> list[str]:
    """Real SNOMED CT codes from PCD clusters no QOF rule reads (qofcli/data/noise_codes.csv)."""
    path = Path(__file__).parent / "data" / "noise_codes.csv"
    return pl.read_csv(path, schema_overrides={"code": pl.String})["code"].to_list()
