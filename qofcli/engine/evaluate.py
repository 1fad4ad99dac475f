"""Evaluate every register and indicator of a ruleset on an extract.

Registers are evaluated for every patient; each indicator only for the patients on its
register, as one small-integer column: the code of the rule branch that decided the patient
(null, in the full `patients` frame, off the register). `outcomes` maps each code to status,
reason and rule, so counting for `score` and explaining for `patients` share one result.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property

import polars as pl

from qofcli.engine.compile import Compiler, register_column
from qofcli.engine.dates import RunDates, run_dates
from qofcli.engine.events import read_events
from qofcli.engine.facts import PID, patient_facts
from qofcli.engine.plan import fields_read_for, read_keys
from qofcli.extract import Extract
from qofcli.ruleset import model as m
from qofcli.ruleset.checks import register_order, registers_used

ACHIEVED, NOT_ACHIEVED, PCA, EXCLUDED = "achieved", "not_achieved", "pca", "excluded"
STATUSES = (ACHIEVED, NOT_ACHIEVED, PCA, EXCLUDED)
CODE = pl.Int32
OUTCOME_SCHEMA = {
    "indicator": pl.String,
    "code": CODE,
    "status": pl.String,
    "reason": pl.String,
    "reason_type": pl.String,
    "rule": pl.String,
    "description": pl.String,
}


def indicator_column(indicator_id: str) -> str:
    return f"ind:{indicator_id}"


@dataclass(frozen=True)
class Evaluation:
    """Per-patient decisions for every register and indicator, plus the code book.

    An indicator's chain runs only on the patients of its register: `decided` holds, per
    register, their row numbers in `people`, their practice and their codes. `patients` spreads
    them over every patient, for callers that want patients (counting does not).
    """

    ruleset: m.Ruleset
    dates: RunDates
    people: pl.DataFrame  # pid, patient_id, practice_code, reg:* (bool)
    decided: tuple[pl.DataFrame, ...]  # ROW, practice_code, ind:* (code) of a register's patients
    outcomes: pl.DataFrame  # OUTCOME_SCHEMA

    @property
    def achievement_date(self) -> date:
        return self.dates.achievement

    @property
    def indicator_columns(self) -> list[str]:
        """The code column of every computed indicator, in ruleset order."""
        return [indicator_column(i.id) for i in self.ruleset.indicators.values() if i.computed]

    @cached_property
    def patients(self) -> pl.DataFrame:
        """pid, patient_id, practice_code, reg:* (bool), ind:* (code; null off the register)."""
        height = self.people.height
        spread = {
            name: _spread(part[name], part[ROW], height)
            for part in self.decided
            for name in part.columns
            if name.startswith("ind:")
        }
        return self.people.hstack([spread[c] for c in self.indicator_columns])


@dataclass
class _CodeBook:
    """Assigns a code to every terminal branch of an indicator's chains."""

    indicator: m.Indicator
    ruleset: m.Ruleset
    rows: list[tuple[object, ...]] = field(default_factory=list)

    def add(self, status: str, reason: str | None, rule: str, description: str) -> pl.Expr:
        code = len(self.rows)
        reason_type = self.ruleset.reasons[reason].type if reason else None
        self.rows.append((self.indicator.id, code, status, reason, reason_type, rule, description))
        return pl.lit(code, dtype=CODE)


def evaluate(extract: Extract, ruleset: m.Ruleset, as_of: date | None = None) -> Evaluation:
    """Run the whole ruleset: registers first (they may use each other), then indicators."""
    return evaluate_many(extract, [ruleset], as_of)[0]


def evaluate_many(
    extract: Extract, rulesets: Sequence[m.Ruleset], as_of: date | None = None
) -> list[Evaluation]:
    """Run several rulesets on one extract, reading its events once for all of them."""
    dates = [run_dates(r, as_of) for r in rulesets]
    wanted = [(r, read_keys(r)) for r in rulesets]
    # One ruleset reads its events itself, and frees them once its summaries are built.
    shared = len(rulesets) > 1
    events = read_events(extract, wanted, max(d.achievement for d in dates)) if shared else None
    built: list[tuple[_FieldInputs, pl.LazyFrame]] = []

    def facts_of(ruleset: m.Ruleset, run: RunDates) -> pl.LazyFrame:
        # A local scheme that changes points, thresholds or indicators but no field reads its
        # fields on its base year's dates: the base's facts hold every column it reads.
        inputs = _field_inputs(ruleset, run)
        for known, facts in built:
            if known.covers(inputs):
                return facts
        facts = patient_facts(extract, ruleset, run, events)
        built.append((inputs, facts))
        return facts

    # The ruleset with the most fields first, so that a scheme finds its base's facts.
    order = sorted(range(len(rulesets)), key=lambda i: -len(rulesets[i].fields))
    facts = {i: facts_of(rulesets[i], dates[i]) for i in order}
    return [_evaluate(r, d, facts[i]) for i, (r, d) in enumerate(zip(rulesets, dates, strict=True))]


@dataclass(frozen=True)
class _FieldInputs:
    """Everything the patient facts of a ruleset depend on besides the extract."""

    dates: RunDates
    fields: dict[str, m.Field]
    codes: dict[str, tuple[str, ...]]
    ranges: dict[str, m.ValueRange | None]
    values_read: frozenset[str]  # fields whose value some rule reads: only those are built
    clusters_read: frozenset[str]  # fields whose cluster some rule reads

    def covers(self, other: _FieldInputs) -> bool:
        """Whether these facts hold every field of `other`, defined and dated the same."""
        return (
            self.dates == other.dates
            and all(self.fields.get(n) == f for n, f in other.fields.items())
            and all(self.codes.get(c) == codes for c, codes in other.codes.items())
            and all(self.ranges.get(c) == r for c, r in other.ranges.items())
            and other.values_read <= self.values_read
            and other.clusters_read <= self.clusters_read
        )


def _field_inputs(ruleset: m.Ruleset, dates: RunDates) -> _FieldInputs:
    clusters = sorted({c for f in ruleset.fields.values() for c in f.clusters})
    values, kinds = fields_read_for(ruleset)
    return _FieldInputs(
        dates,
        dict(ruleset.fields),
        {c: ruleset.clusters[c].codes for c in clusters},
        {c: ruleset.value_ranges.get(c) for c in clusters},
        frozenset(values),
        frozenset(kinds),
    )


def _evaluate(ruleset: m.Ruleset, dates: RunDates, facts: pl.LazyFrame) -> Evaluation:
    compiler = Compiler(ruleset, dates)
    indicators = [i for i in ruleset.indicators.values() if i.computed]
    chains: dict[str, pl.Expr] = {}
    book_rows: list[tuple[object, ...]] = []
    for indicator in indicators:
        chains[indicator.id], book = _denominator_chain(compiler, ruleset, indicator)
        book_rows += book
    keep = [PID, "patient_id", "practice_code"]
    keep += [register_column(r) for r in ruleset.registers]
    people = _with_registers(facts, compiler, ruleset).select(keep).collect()
    decided: tuple[pl.DataFrame, ...] = ()
    if chains:
        inputs = {name for chain in chains.values() for name in chain.meta.root_names()}
        rows = people.lazy().with_row_index(ROW)
        if inputs - set(keep):
            rows = pl.concat([rows, facts.select(sorted(inputs - set(keep)))], how="horizontal")
        decided = _decisions(rows, indicators, chains)
    outcomes = pl.DataFrame(book_rows, schema=OUTCOME_SCHEMA, orient="row")
    return Evaluation(ruleset, dates, people, decided, outcomes)


ROW = "__row"  # a patient's row number in Evaluation.people


def _with_registers(facts: pl.LazyFrame, compiler: Compiler, ruleset: m.Ruleset) -> pl.LazyFrame:
    """A bool column per register; registers that use no pending register are built together."""
    for level in _register_levels(ruleset):
        facts = facts.with_columns(
            compiler.for_register(ruleset.registers[r])
            .chain(
                ruleset.registers[r].rules, lambda _step, action: pl.lit(action.kind == "select")
            )
            .fill_null(False)
            .alias(register_column(r))
            for r in level
        )
    return facts


def _register_levels(ruleset: m.Ruleset) -> list[list[str]]:
    """Registers in dependency levels: each uses only registers of earlier levels."""
    level: dict[str, int] = {}
    for register_id in register_order(ruleset):
        used = {
            u for s in ruleset.registers[register_id].rules for u in registers_used(ruleset, s.when)
        }
        level[register_id] = 1 + max((level[u] for u in used), default=-1)
    return [[r for r in level if level[r] == n] for n in range(1 + max(level.values(), default=-1))]


def _decisions(
    rows: pl.LazyFrame, indicators: list[m.Indicator], chains: dict[str, pl.Expr]
) -> tuple[pl.DataFrame, ...]:
    """Per register, the codes of its indicators for its patients: the chains run only on the
    rows of their register (a small share of the patients)."""
    by_register: dict[str, list[str]] = {}
    for indicator in indicators:
        assert indicator.register is not None  # computed indicators have one (checked on load)
        by_register.setdefault(indicator.register, []).append(indicator.id)
    plans = [
        rows.filter(pl.col(register_column(register))).select(
            ROW, "practice_code", *(chains[i].cast(CODE).alias(indicator_column(i)) for i in ids)
        )
        for register, ids in by_register.items()
    ]
    return tuple(pl.collect_all(plans))


def _spread(values: pl.Series, rows: pl.Series, height: int) -> pl.Series:
    """`values` at positions `rows` of a column of `height` nulls."""
    return pl.Series(values.name, dtype=CODE).extend_constant(None, height).scatter(rows, values)


def _denominator_chain(
    compiler: Compiler, ruleset: m.Ruleset, indicator: m.Indicator
) -> tuple[pl.Expr, list[tuple[object, ...]]]:
    """An indicator's decision code for a patient on its register, and its code book rows."""
    book = _CodeBook(indicator, ruleset)

    def numerator_leaf(step: m.Step, action: m.Action) -> pl.Expr:
        if action.kind == "select":
            return book.add(ACHIEVED, None, f"numerator {step.number}", step.description)
        text = f"Not met: {step.description}"
        return book.add(NOT_ACHIEVED, None, f"numerator {step.number}", text)

    numerator = compiler.chain(indicator.numerator, numerator_leaf)

    def denominator_leaf(step: m.Step, action: m.Action) -> pl.Expr:
        if action.kind == "select":
            return numerator
        assert action.reason is not None  # checked when the ruleset loaded
        status = PCA if ruleset.reasons[action.reason].type == "pca" else EXCLUDED
        return book.add(status, action.reason, f"denominator {step.number}", step.description)

    return compiler.chain(indicator.denominator, denominator_leaf), book.rows
