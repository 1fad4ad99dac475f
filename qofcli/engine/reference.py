"""The reference semantics of the ruleset vocabulary: a plain, per-patient evaluation.

This module *is* the meaning of a ruleset (rulesets/README.md is its prose form). It is slow
and obvious on purpose: one patient at a time, one record at a time, no Polars. The fast engine
(`qofcli.engine.evaluate`) must agree with it on every patient, register and indicator;
tests/test_reference_evaluator.py checks that on generated extracts. Use it for tests and for
questions about meaning, never for real extracts.

The semantics, in the order the code applies them:

- **Population**: patients with a registration date on or before ACHV, and neither a
  deregistration nor a death date on or before it. ACHV is the `as_of` date, else PPED.
- **Age**: whole years on ACHV; a 29 February birthday counts from 1 March in other years.
- **Records**: an event exists only if dated on or before ACHV. An event gives one record per
  cluster (of the fields read) holding its code. A record's value is missing when the event has
  none, or it is NaN, infinite, or outside that cluster's `value_ranges` (inclusive).
- **Fields**: the records of the field's clusters, without value-less ones for `with_value`,
  inside every window bound (a bound whose reference date is missing admits nothing). Then:
  `count`: value = number of distinct days (0 when none), date = the latest such day;
  `all_clusters`: date = the latest (earliest) day on which every cluster has a record, no value
  or cluster; `latest`/`earliest`: the latest (earliest) day; among that day's records the one
  of the best-ranked cluster (`prefer` order, unlisted clusters after, in listed order) wins
  when `prefer` is given; then the lowest value (highest with `value: highest`), a record with
  a value before one without; equal candidates go to the cluster listed first.
- **Date references**: a named date (PPSD, PPED, ACHV, others) or a field's date, REG_DAT or
  DOB, shifted by days or by months (a year is 12 months; month ends clamp).
- **Conditions**: comparisons on a missing date, value, cluster or sex are false (so `not` of
  them is true); `resolves` compares with `after`, or `on_or_after` when the register's
  `same_day_resolution` is `removes`.
- **Chains**: a patient is decided by the first rule whose action for them is not `next`.
  Registers: `select` puts the patient on. Indicators (only for patients on the register):
  a denominator reject gives `pca` or `excluded` by its reason's type; a denominator select
  runs the numerator: select is `achieved`, reject `not_achieved`. The deciding rule is named
  `denominator N` or `numerator N` (N is the rule's number), registers' `rule N`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from qofcli.engine.dates import run_dates, shift
from qofcli.extract import Extract
from qofcli.ruleset import model as m

ON, OFF = "on", "off"  # register outcomes


@dataclass(frozen=True)
class Outcome:
    """How one patient came out of one register or indicator, and the rule that decided it."""

    status: str  # achieved | not_achieved | pca | excluded for indicators; on | off registers
    reason: str | None
    rule: str | None  # "denominator 3", "numerator 1", "rule 2"; None if no rule decided


@dataclass(frozen=True)
class Record:
    """One event seen through one cluster."""

    day: date
    value: float | None
    cluster: str


@dataclass(frozen=True)
class Fact:
    """A field's result for one patient: all None when the patient has no record."""

    day: date | None = None
    value: float | None = None
    cluster: str | None = None


@dataclass
class _Patient:
    """One patient's data and the facts worked out for them so far."""

    row: dict[str, Any]
    age: int
    events: list[dict[str, Any]]
    facts: dict[str, Fact] = field(default_factory=dict)
    registers: dict[str, Outcome] = field(default_factory=dict)


def evaluate_reference(
    extract: Extract, ruleset: m.Ruleset, as_of: date | None = None
) -> dict[tuple[str, str], Outcome]:
    """Every (patient_id, register or indicator id) outcome of the population on ACHV.

    Registers give an entry for every patient of the population; indicators only for the
    patients on their register."""
    named = run_dates(ruleset, as_of).named
    evaluator = _Evaluator(ruleset, named)
    results: dict[tuple[str, str], Outcome] = {}
    for patient in _population(extract, named["ACHV"]):
        row = patient.row
        for register_id in ruleset.registers:
            results[(row["patient_id"], register_id)] = evaluator.register(patient, register_id)
        for indicator in ruleset.indicators.values():
            if not indicator.computed or indicator.register is None:
                continue
            if evaluator.register(patient, indicator.register).status != ON:
                continue
            decided = evaluator.indicator(patient, indicator)
            if decided is not None:
                results[(row["patient_id"], indicator.id)] = decided
    return results


def reference_fields(
    extract: Extract, ruleset: m.Ruleset, names: tuple[str, ...], as_of: date | None = None
) -> dict[tuple[str, str], Fact]:
    """The named fields of every patient of the population on ACHV (for questions about one
    field's meaning; the engine computes a field's value only when a rule reads it)."""
    named = run_dates(ruleset, as_of).named
    evaluator = _Evaluator(ruleset, named)
    found = {}
    for patient in _population(extract, named["ACHV"]):
        for name in names:
            found[(patient.row["patient_id"], name)] = evaluator.fact(patient, name)
    return found


def _population(extract: Extract, achv: date) -> list[_Patient]:
    """The patients registered on ACHV, each with their events up to it."""
    events_of: dict[str, list[dict[str, Any]]] = {}
    for event in extract.events.collect().to_dicts():
        if event["date"] is not None and event["date"] <= achv:
            events_of.setdefault(event["patient_id"], []).append(event)
    return [
        _Patient(row, _age_on(row["date_of_birth"], achv), events_of.get(row["patient_id"], []))
        for row in extract.patients.collect().to_dicts()
        if _registered_on(row, achv)
    ]


def _registered_on(row: dict[str, Any], achv: date) -> bool:
    registered = row["registration_date"]
    left = row.get("deregistration_date")
    died = row.get("death_date")
    return (
        registered is not None
        and registered <= achv
        and (left is None or left > achv)
        and (died is None or died > achv)
    )


def _age_on(birth: date | None, day: date) -> int:
    if birth is None:
        return -1  # no comparison with a missing birth date should hold; see _compare_age
    had_birthday = (day.month, day.day) >= (birth.month, birth.day)
    return day.year - birth.year - (0 if had_birthday else 1)


def _compare(left: Any, op: str, right: Any) -> bool:
    """The date and value operators; a missing side is false."""
    if left is None or right is None:
        return False
    match op:
        case "after" | "gt":
            return bool(left > right)
        case "on_or_after" | "ge":
            return bool(left >= right)
        case "before" | "lt":
            return bool(left < right)
        case "on_or_before" | "le":
            return bool(left <= right)
        case "same_day" | "eq":
            return bool(left == right)
    raise AssertionError(op)


@dataclass
class _Evaluator:
    ruleset: m.Ruleset
    named: dict[str, date]

    # ---- dates and fields ------------------------------------------------------------

    def date_of(self, patient: _Patient, ref: m.DateRef) -> date | None:
        """A date reference for this patient; None when its field has no record."""
        if ref.base in self.named:
            base: date | None = self.named[ref.base]
        elif ref.base == "REG_DAT":
            base = patient.row["registration_date"]
        elif ref.base == "DOB":
            base = patient.row["date_of_birth"]
        else:
            base = self.fact(patient, ref.base).day
        return None if base is None else shift(base, ref.offset)

    def fact(self, patient: _Patient, name: str) -> Fact:
        if name in ("REG_DAT", "DOB"):
            return Fact(day=self.date_of(patient, m.DateRef(name)))
        if name not in patient.facts:
            patient.facts[name] = self._compute_fact(patient, self.ruleset.fields[name])
        return patient.facts[name]

    def _records(self, patient: _Patient, spec: m.Field) -> list[Record]:
        """The field's records inside its window."""
        records = []
        for event in patient.events:
            for cluster in spec.clusters:
                if event["code"] not in self.ruleset.clusters[cluster].codes:
                    continue
                record = Record(
                    event["date"], self._plausible(event.get("value"), cluster), cluster
                )
                if spec.with_value and record.value is None:
                    continue
                if all(
                    _compare(record.day, b.op, self.date_of(patient, b.ref)) for b in spec.bounds
                ):
                    records.append(record)
        return records

    def _plausible(self, value: float | None, cluster: str) -> float | None:
        if value is None or not math.isfinite(value):
            return None
        found = self.ruleset.value_ranges.get(cluster)
        return value if found is None or found.holds(value) else None

    def _compute_fact(self, patient: _Patient, spec: m.Field) -> Fact:
        records = self._records(patient, spec)
        if spec.find == "count":
            days = {r.day for r in records}
            return Fact(day=max(days) if days else None, value=float(len(days)))
        pick = max if spec.find == "latest" else min
        if spec.all_clusters:
            days = {
                day
                for day in {r.day for r in records}
                if all(any(r.day == day and r.cluster == c for r in records) for c in spec.clusters)
            }
            return Fact(day=pick(days)) if days else Fact()
        if not records:
            return Fact()
        chosen_day = pick(r.day for r in records)
        best = min((r for r in records if r.day == chosen_day), key=lambda r: _rank(spec, r))
        return Fact(chosen_day, best.value, best.cluster)

    # ---- conditions ----------------------------------------------------------------------

    def holds(self, patient: _Patient, cond: m.Condition, resolution: str | None = None) -> bool:
        match cond:
            case m.AllOf(items):
                return all(self.holds(patient, i, resolution) for i in items)
            case m.AnyOf(items):
                return any(self.holds(patient, i, resolution) for i in items)
            case m.Not(item):
                return not self.holds(patient, item, resolution)
            case m.NamedCondition(name):
                return self.holds(patient, self.ruleset.conditions[name].condition, resolution)
            case m.Has(name):
                return self.fact(patient, name).day is not None
            case m.DateCompare(name, op, ref):
                return _compare(self.fact(patient, name).day, op, self.date_of(patient, ref))
            case m.Resolves(name, diagnosis):
                op = "on_or_after" if resolution == "removes" else "after"
                return _compare(self.fact(patient, name).day, op, self.fact(patient, diagnosis).day)
            case m.ValueCompare(name, op, number):
                return _compare(self.fact(patient, name).value, op, number)
            case m.ClusterIn(name, clusters):
                return self.fact(patient, name).cluster in clusters
            case m.AgeCompare(op, years):
                known = patient.row["date_of_birth"] is not None
                return known and _compare(patient.age, op, years)
            case m.SexIn(sexes):
                return patient.row["sex"] in sexes
            case m.OnRegister(register):
                return self.register(patient, register).status == ON
        raise AssertionError(f"unknown condition {cond!r}")

    # ---- chains ------------------------------------------------------------------------

    def decide(
        self, patient: _Patient, steps: tuple[m.Step, ...], resolution: str | None = None
    ) -> tuple[m.Step, m.Action] | None:
        """The first rule whose action for the patient is not `next`, with that action."""
        for step in steps:
            action = step.if_true if self.holds(patient, step.when, resolution) else step.if_false
            if action.kind != "next":
                return step, action
        return None

    def register(self, patient: _Patient, register_id: str) -> Outcome:
        if register_id not in patient.registers:
            register = self.ruleset.registers[register_id]
            decided = self.decide(patient, register.rules, register.same_day_resolution)
            if decided is None:
                patient.registers[register_id] = Outcome(OFF, None, None)
            else:
                step, action = decided
                status = ON if action.kind == "select" else OFF
                patient.registers[register_id] = Outcome(status, None, f"rule {step.number}")
        return patient.registers[register_id]

    def indicator(self, patient: _Patient, indicator: m.Indicator) -> Outcome | None:
        decided = self.decide(patient, indicator.denominator)
        if decided is None:
            return None
        step, action = decided
        if action.kind == "reject":
            assert action.reason is not None  # denominator rejects name a reason (loader)
            kind = self.ruleset.reasons[action.reason].type
            status = "pca" if kind == "pca" else "excluded"
            return Outcome(status, action.reason, f"denominator {step.number}")
        decided = self.decide(patient, indicator.numerator)
        if decided is None:
            return None
        step, action = decided
        status = "achieved" if action.kind == "select" else "not_achieved"
        return Outcome(status, None, f"numerator {step.number}")


def _rank(spec: m.Field, record: Record) -> tuple[int, int, float, int]:
    """Sort key of same-day records, best first: preferred cluster, value, listed cluster."""
    listed = spec.clusters.index(record.cluster)
    preference = 0
    if spec.prefer:  # one order of clusters: preferred ones first, then the rest as listed
        in_prefer = record.cluster in spec.prefer
        preference = spec.prefer.index(record.cluster) if in_prefer else len(spec.prefer) + listed
    if record.value is None:
        value_key = (1, 0.0)
    else:
        value_key = (0, -record.value if spec.value == "highest" else record.value)
    return (preference, value_key[0], value_key[1], listed)
