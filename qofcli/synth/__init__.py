"""Deterministic synthetic GP extracts (patients, events, practices) for tests, demos, benchmarks.

`generate` draws an England-like registered population and coded events with numpy and polars
only (no Python loop over patients or events), so it scales to millions of patients. Every
clinical record comes from the ruleset: each terminal branch of each indicator chain is solved
into record templates (which records, dates at and around every bound the rules use, values
around every threshold, ages around every gate) that a few targeted patients receive, and each
disease register is filled to its real prevalence with ordinary members whose care mostly
achieves their indicators. How common things are (prevalence, ages, care, values) is data:
qofcli/data/synth.yaml.

So a ~3,000-patient sample reaches every branch of every indicator that the ruleset's codes can
reach, for any ruleset and year. Only codes of the ruleset's clusters and the given noise codes
are used; a cluster with no codes is skipped silently, so what needs it simply cannot be reached
until it is imported. All dates are relative to the ruleset's payment period.

Modules: realism (the data file), base (streams, day numbers, quotas, codes), population,
solver (rule templates), assign (who gets which template), events (records and background),
frames (typed tables and atomic writing)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

from qofcli.ruleset.model import Ruleset
from qofcli.synth.assign import assign_templates
from qofcli.synth.base import Calendar, CodeBook, Streams
from qofcli.synth.events import Sink, plan_noise
from qofcli.synth.frames import (
    SyntheticExtract,
    events_frame,
    patient_ids,
    patients_frame,
    practices_frame,
    write_extract,
)
from qofcli.synth.population import draw_population
from qofcli.synth.realism import Realism, load_realism

__all__ = [
    "Realism",
    "SyntheticExtract",
    "default_as_of",
    "generate",
    "load_realism",
    "write_extract",
]


def generate(
    n_patients: int,
    n_practices: int,
    seed: int,
    ruleset: Ruleset,
    noise_codes: Sequence[str] = (),
    events_per_patient: float = 8.0,
    realism: Realism | None = None,
    as_of: date | None = None,
) -> SyntheticExtract:
    """Build a synthetic extract for ``ruleset``'s payment period from its cluster codes and the
    given noise codes (codes no rule reads); the same arguments always give the same frames.
    ``as_of`` is the day the extract is taken (nothing is dated after it; default a quarter
    after the period end, as at year-end extraction); ``realism`` replaces the shipped tables
    of qofcli/data/synth.yaml (tests use it)."""
    start, end = ruleset.period_start, ruleset.period_end
    as_of = as_of or default_as_of(ruleset)
    _check_arguments(n_patients, n_practices, seed, start, end, events_per_patient)
    if as_of < start:
        raise ValueError(f"as_of {as_of} is before the payment period starts ({start})")
    realism = realism or load_realism()
    cal = Calendar.of(start, end, as_of)
    streams = Streams(seed)
    clusters = {c.id: c.codes for c in ruleset.clusters.values() if c.codes}
    book = CodeBook.build(clusters, noise_codes, realism.background["roles"])
    pop = draw_population(streams, n_patients, n_practices, cal, realism.population)
    sink = Sink(book, streams, pop, cal)
    templated = assign_templates(ruleset, streams, pop, cal, sink, realism)
    noise_target = n_patients * events_per_patient - sink.size
    noise = plan_noise(streams, pop, cal, book, noise_target, templated, realism)
    ids = patient_ids(n_patients)
    practices = practices_frame(streams("practices"), pop, cal)
    return SyntheticExtract(
        patients=patients_frame(pop, ids, practices["practice_code"]),
        events=events_frame(sink, noise, streams, ids, realism),
        practices=practices,
    )


def default_as_of(ruleset: Ruleset, today: date | None = None) -> date:
    """A quarter after the period end (exits after the year end are known), or ``today`` if
    that is earlier: an extract holds nothing after the day it is taken."""
    quarter_after = ruleset.period_end + timedelta(days=90)
    return quarter_after if today is None else max(min(quarter_after, today), ruleset.period_start)


def _check_arguments(
    n_patients: int, n_practices: int, seed: int, start: date, end: date, events_per_patient: float
) -> None:
    if n_patients < 1 or n_practices < 1:
        raise ValueError("n_patients and n_practices must be at least 1")
    if n_practices > n_patients:
        raise ValueError("n_practices cannot exceed n_patients")
    if seed < 0:
        raise ValueError("seed must be non-negative")
    if start > end:
        raise ValueError("period_start is after period_end")
    if events_per_patient < 0:
        raise ValueError("events_per_patient must be non-negative")
