"""Property test (#15): every extract `qof synth` writes passes `qof validate` with no errors,
for any seed, size and shipped ruleset, with lives pushed onto the period's edges (births,
registrations, deregistrations and deaths on a period bound or the day either side), taken on
the day `qof synth` would take it (today for the year in progress: no birth after today)."""

from __future__ import annotations

import dataclasses
import tempfile
from datetime import date
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qofcli import api
from qofcli.extract import validate_extract
from qofcli.ruleset.catalogue import shipped_ruleset_ids
from qofcli.synth import Realism, default_as_of, generate, load_realism, write_extract

RULESETS = tuple(shipped_ruleset_ids())
_LOADED = {rid: api.load_ruleset(rid) for rid in RULESETS}
_NOISE = api._noise_codes()
_share = st.floats(min_value=0.0, max_value=1.0)


@st.composite
def edge_heavy_realism(draw: st.DrawFn) -> Realism:
    """The shipped tables with edge dates, exits and young patients made common; fewer template
    variants, so each example stays fast (the date invariants do not depend on them)."""
    shipped = load_realism()
    population = {
        **shipped.population,
        "born_on_boundary": draw(_share),
        "registered_on_boundary": draw(_share),
        "exit_on_boundary": draw(_share),
        "registered_last_year": draw(_share),
        "deregistered": draw(st.floats(0.0, 0.5)),
        "died": draw(st.floats(0.0, 0.5)),
        "exit_after_end": draw(_share),
    }
    if draw(st.booleans()):  # everyone under five: births near the period end are common
        population["age_bands"] = [[0, 1.0, 0.5]]
        population["oldest_age"] = 5
    targeted = {**shipped.targeted, "attempts": 8, "variants": 2}
    return dataclasses.replace(shipped, population=population, targeted=targeted)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    ruleset_id=st.sampled_from(RULESETS),
    seed=st.integers(min_value=0, max_value=2**32 - 1),
    patients=st.integers(min_value=1, max_value=400),
    practices=st.integers(min_value=1, max_value=4),
    realism=edge_heavy_realism(),
)
def test_every_extract_passes_validation(
    ruleset_id: str, seed: int, patients: int, practices: int, realism: Realism
) -> None:
    ruleset = _LOADED[ruleset_id]
    practices = min(practices, patients)
    as_of = default_as_of(ruleset, date.today())  # as `qof synth` does
    extract = generate(patients, practices, seed, ruleset, _NOISE, 8.0, realism, as_of)
    known = frozenset(code for c in ruleset.clusters.values() for code in c.codes) | set(_NOISE)
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "extract"
        write_extract(extract, out, "parquet")
        report = validate_extract(out, known_codes=known)
    assert report.errors == (), [p.line() for p in report.errors]
    patients_frame = extract.patients
    assert patients_frame.height == patients
    assert (patients_frame["date_of_birth"] <= min(ruleset.period_end, as_of)).all()
