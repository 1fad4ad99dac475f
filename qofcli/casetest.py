"""Run a ruleset's patient cases (qofcli.ruleset.cases) and compare with what they expect.

All cases with the same achievement date go into one small extract (a code is picked for each
event from its cluster), which the Polars engine or the reference evaluator runs once. A case
needing a cluster the ruleset ships without codes is skipped, naming the cluster.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import polars as pl

from qofcli.api import evaluate, outcomes_from
from qofcli.engine.reference import ON, evaluate_reference
from qofcli.extract import EVENTS, PATIENTS, Extract, extract_from_frames
from qofcli.ruleset import model as m
from qofcli.ruleset.cases import Case, CaseEvent, CaseSet, Expectation

ENGINES = ("engine", "reference")
PASSED, FAILED, SKIPPED = "passed", "failed", "skipped"
_REASON_TYPE = {"pca": "pca", "excluded": "exclusion"}


@dataclass(frozen=True)
class Got:
    """What an evaluator decided for one patient and one indicator (registers: status on)."""

    status: str
    reason: str | None = None
    reason_type: str | None = None
    practice: str | None = None  # None: not checked (the reference has no practice column)

    def __str__(self) -> str:
        text = self.status + (f" {self.reason}" if self.reason else "")
        extra = [f"reason type {self.reason_type}"] if self.reason_type else []
        extra += [f"practice {self.practice}"] if self.practice else []
        return f"{text} ({', '.join(extra)})" if extra else text


@dataclass(frozen=True)
class CaseResult:
    case: Case
    outcome: str  # passed | failed | skipped
    problems: tuple[str, ...] = ()  # failed: one line per expectation not met
    skipped_for: str | None = None  # skipped: the cluster without codes


@dataclass(frozen=True)
class CaseRun:
    ruleset: m.Ruleset
    engine: str
    results: tuple[CaseResult, ...]
    not_inherited: dict[str, str] = field(default_factory=dict)

    def count(self, outcome: str) -> int:
        return sum(r.outcome == outcome for r in self.results)

    @property
    def summary(self) -> str:
        counts = (self.count(PASSED), self.count(FAILED), self.count(SKIPPED))
        return "{} passed, {} failed, {} skipped".format(*counts)


def run_cases(case_set: CaseSet, engine: str = "engine") -> CaseRun:
    """Run every case of the set with the engine or the reference evaluator."""
    if engine not in ENGINES:
        raise ValueError(f"unknown evaluator {engine!r}; choose from {', '.join(ENGINES)}")
    ruleset = case_set.ruleset
    picker = CodePicker(ruleset)
    by_achv: dict[date, list[Case]] = defaultdict(list)
    for case in case_set.cases:
        by_achv[case.named_dates(ruleset)["ACHV"]].append(case)
    results: dict[str, CaseResult] = {}
    for achv, cases in by_achv.items():
        extract, skipped = build_extract(cases, ruleset, picker)
        got = _decide(extract, ruleset, achv, engine)
        for case in cases:
            if case.id in skipped:
                results[case.id] = CaseResult(case, SKIPPED, skipped_for=skipped[case.id])
            else:
                problems = tuple(compare(case, got.get(case.id, {})))
                results[case.id] = CaseResult(case, FAILED if problems else PASSED, problems)
    ordered = tuple(results[c.id] for c in case_set.cases)
    return CaseRun(ruleset, engine, ordered, case_set.not_inherited)


# ---- building the extract --------------------------------------------------------------


class MissingCluster(Exception):
    """A case needs a cluster the ruleset ships without codes (the message names it)."""


class CodePicker:
    """Chooses a code for an event: the literal `code`, else a member of the first shipped
    cluster of `A|B` that is also in every `also` cluster, `prefer` codes first, then codes in
    no other cluster (so an event meant for one cluster does not hit another by accident)."""

    def __init__(self, ruleset: m.Ruleset) -> None:
        self.clusters = {name: tuple(c.codes) for name, c in ruleset.clusters.items()}
        self.members = {name: frozenset(codes) for name, codes in self.clusters.items()}
        clusters_of: dict[str, set[str]] = defaultdict(set)
        for name, codes in self.clusters.items():
            for code in codes:
                clusters_of[code].add(name)
        self.clusters_of = clusters_of

    def codes(self, name: str) -> tuple[str, ...]:
        if not self.clusters.get(name):
            raise MissingCluster(name)
        return self.clusters[name]

    def resolve(self, cluster: str) -> str:
        names = cluster.split("|")
        for name in names:
            if self.clusters.get(name):
                return name
        raise MissingCluster(" or ".join(names))

    def pick(self, event: CaseEvent) -> str:
        if event.code is not None:
            return event.code
        cluster = self.resolve(event.cluster)
        codes = self.codes(cluster)
        for other in event.also:
            self.codes(other)  # a missing `also` cluster skips the case too
        wanted = [c for c in codes if all(c in self.members[a] for a in event.also)]
        for code in event.prefer:
            if code in wanted:
                return code
        if not wanted:
            raise MissingCluster(f"{cluster} with a code also in {'/'.join(event.also)}")
        own = {cluster, *event.also}
        exclusive = [c for c in wanted if self.clusters_of[c] <= own]
        return (exclusive or wanted)[0]


def build_extract(
    cases: Iterable[Case], ruleset: m.Ruleset, picker: CodePicker
) -> tuple[Extract, dict[str, str]]:
    """One extract, a patient per case (id = case id); cases needing a cluster without codes
    are left out and returned as case id -> cluster."""
    skipped: dict[str, str] = {}
    patients: list[dict[str, Any]] = []
    events: list[dict[str, Any]] = []
    for case in cases:
        named = case.named_dates(ruleset)
        try:
            coded = [(e, picker.pick(e)) for e in case.events]
        except MissingCluster as exc:
            skipped[case.id] = str(exc)
            continue
        patients.append(_patient_row(case, named))
        for event, code in coded:
            when = event.date.resolve(named)
            events.append({"patient_id": case.id, "date": when, "code": code, "value": event.value})
    patients_df = pl.DataFrame(patients, schema=PATIENTS.schema)
    events_df = pl.DataFrame(events, schema=EVENTS.schema)
    return extract_from_frames(patients_df, events_df), skipped


def _patient_row(case: Case, named: dict[str, date]) -> dict[str, Any]:
    return {
        "patient_id": case.id,
        "practice_code": case.practice,
        "date_of_birth": case.dob.resolve(named),
        "sex": case.sex,
        "registration_date": case.registration.resolve(named),
        "deregistration_date": case.deregistration.resolve(named) if case.deregistration else None,
        "death_date": case.death.resolve(named) if case.death else None,
    }


# ---- deciding and comparing ------------------------------------------------------------


def _decide(
    extract: Extract, ruleset: m.Ruleset, achv: date, engine: str
) -> dict[str, dict[str, Got]]:
    """Patient id -> indicator or register id -> what was decided (registers: only `on`)."""
    if engine == "reference":
        return _reference_decisions(extract, ruleset, achv)
    evaluation = evaluate(extract, ruleset, achv)
    found: dict[str, dict[str, Got]] = defaultdict(dict)
    registers = [f"reg:{r}" for r in ruleset.registers]
    for row in evaluation.patients.select("patient_id", *registers).iter_rows(named=True):
        for column in registers:
            if row[column]:
                found[row["patient_id"]][column.removeprefix("reg:")] = Got(ON)
    for row in outcomes_from(evaluation).iter_rows(named=True):
        found[row["patient_id"]][row["indicator"]] = Got(
            row["status"], row["reason"] or None, row["reason_type"] or None, row["practice_code"]
        )
    return found


def _reference_decisions(
    extract: Extract, ruleset: m.Ruleset, achv: date
) -> dict[str, dict[str, Got]]:
    found: dict[str, dict[str, Got]] = defaultdict(dict)
    for (patient, item), outcome in evaluate_reference(extract, ruleset, achv).items():
        if item in ruleset.registers:
            if outcome.status == ON:
                found[patient][item] = Got(ON)
            continue
        reason_type = ruleset.reasons[outcome.reason].type if outcome.reason else None
        found[patient][item] = Got(outcome.status, outcome.reason, reason_type)
    return found


def compare(case: Case, got: dict[str, Got]) -> list[str]:
    """One line per expectation the decisions do not meet."""
    problems = _register_rows(case, got)
    for item, want in case.expect.items():
        problem = _mismatch(case, want, got.get(item))
        if problem:
            problems.append(f"{item}: expected {want}, got {problem}")
    return problems


def _register_rows(case: Case, got: dict[str, Got]) -> list[str]:
    """`on_register`: a row for each of the file's register indicators (or for none)."""
    if case.on_register is None:
        return []
    rows = sorted(i for i in case.register_indicators if i in got)
    if case.on_register and len(rows) != len(case.register_indicators):
        return [f"expected a row for each of {', '.join(case.register_indicators)}; got {rows}"]
    if not case.on_register and rows:
        detail = "; ".join(f"{i}: {got[i]}" for i in rows)
        return [f"expected no row for {', '.join(case.register_indicators)}; got {detail}"]
    return []


def _mismatch(case: Case, want: Expectation, got: Got | None) -> str | None:
    """What was decided, when it is not what the case expects; else None."""
    if want.status in ("on", "off"):
        on = got is not None and got.status == ON
        return None if on == (want.status == "on") else ("on" if on else "off")
    if got is None:
        return None if want.status == "no_row" else "no row"
    if want.status == "no_row":
        return str(got)
    ok = (got.status, got.reason) == (want.status, want.reason)
    ok = ok and got.reason_type == _REASON_TYPE.get(want.status)
    ok = ok and got.practice in (None, case.practice)
    return None if ok else str(got)
