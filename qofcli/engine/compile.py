"""Compile conditions and ordered rule chains into Polars expressions.

A chain becomes one `when/then` expression: a patient is decided by the first rule whose
action for its condition is not `next`, exactly as the business-rule tables read. Conditions are
null-safe: a missing record makes a comparison false, never null.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import cached_property
from typing import Any

import polars as pl

from qofcli.engine.dates import RunDates, ref_expr
from qofcli.engine.facts import AGE, cluster_column, compare_date, value_column
from qofcli.ruleset import model as m


def register_column(register_id: str) -> str:
    return f"reg:{register_id}"


@dataclass(frozen=True)
class Compiler:
    """Turns conditions of one ruleset into expressions over the patient-facts frame."""

    ruleset: m.Ruleset
    dates: RunDates
    same_day_resolution: m.SameDayResolution | None = None  # of the register being compiled

    def for_register(self, register: m.Register) -> Compiler:
        """A compiler whose `resolves` follows this register's same_day_resolution."""
        return replace(self, same_day_resolution=register.same_day_resolution)

    @cached_property
    def _columns(self) -> dict[str, str]:
        """Each field and built-in date names its own column."""
        return {name: name for name in (*self.ruleset.fields, *m.BUILTIN_DATE_FIELDS)}

    def condition(self, condition: m.Condition) -> pl.Expr:
        match condition:
            case m.AllOf(items):
                return pl.all_horizontal(self.condition(i) for i in items)
            case m.AnyOf(items):
                return pl.any_horizontal(self.condition(i) for i in items)
            case m.Not(item):
                return ~self.condition(item)
            case m.NamedCondition(name):
                return self.condition(self.ruleset.conditions[name].condition)
            case _:
                return self._atom(condition).fill_null(False)

    def _atom(self, atom: m.Condition) -> pl.Expr:
        match atom:
            case m.Has(field):
                return pl.col(field).is_not_null()
            case m.DateCompare(field, op, ref):
                return compare_date(pl.col(field), op, ref_expr(ref, self.dates, self._columns))
            case m.Resolves(field, diagnosis):
                # checked on load: only register rules use it, and they set the choice
                op = "on_or_after" if self.same_day_resolution == "removes" else "after"
                return compare_date(pl.col(field), op, pl.col(diagnosis))
            case m.ValueCompare(field, op, number):
                return _compare_value(pl.col(value_column(field)), op, number)
            case m.ClusterIn(field, clusters):
                return pl.col(cluster_column(field)).is_in(list(clusters))
            case m.AgeCompare(op, years):
                return _compare_value(pl.col(AGE), op, years)
            case m.SexIn(sexes):
                # a few equalities: several times faster than is_in on a string column
                return pl.any_horizontal(pl.col("sex") == sex for sex in sexes)
            case m.OnRegister(register):
                return pl.col(register_column(register))
        raise AssertionError(f"no compiler for {atom!r}")

    def chain(
        self, steps: tuple[m.Step, ...], leaf: Callable[[m.Step, m.Action], pl.Expr]
    ) -> pl.Expr:
        """The value of the first terminal action each patient reaches."""
        builder: Any = None  # a when/then chain; polars types its links differently
        for step in steps:
            holds = self.condition(step.when)
            for branch, action in ((holds, step.if_true), (~holds, step.if_false)):
                if not action.terminal:
                    continue
                value = leaf(step, action)
                builder = (
                    pl.when(branch).then(value)
                    if builder is None
                    else builder.when(branch).then(value)
                )
        return builder.otherwise(None) if builder is not None else pl.lit(None)


def _compare_value(value: pl.Expr, op: m.ValueOp, number: float) -> pl.Expr:
    match op:
        case "lt":
            return value < number
        case "le":
            return value <= number
        case "gt":
            return value > number
        case "ge":
            return value >= number
        case "eq":
            return value == number
    raise AssertionError(op)
