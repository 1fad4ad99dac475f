"""What each indicator depends on: the registers, named conditions, fields, clusters and
reasons its rule chains read, directly or through each other (a register through its rules, a
field through the fields its window refers to)."""

from __future__ import annotations

from collections.abc import Iterable

from qofcli.ruleset import model as m

Item = tuple[str, str]  # (kind, name): ("field", "IFCCHBA"), ("cluster", "IFCCHBAM_COD"), ...


def indicator_uses(ruleset: m.Ruleset, indicator: m.Indicator) -> set[Item]:
    """Everything the indicator's result depends on."""
    found: set[Item] = set()
    if indicator.register:
        _register(ruleset, indicator.register, found)
    _steps(ruleset, (*indicator.denominator, *indicator.numerator), found)
    return found


def register_uses(ruleset: m.Ruleset, register_id: str) -> set[Item]:
    """Everything a register's membership depends on (itself included)."""
    found: set[Item] = set()
    _register(ruleset, register_id, found)
    return found


def uses_by_indicator(ruleset: m.Ruleset) -> dict[str, set[Item]]:
    return {i.id: indicator_uses(ruleset, i) for i in ruleset.indicators.values()}


def affected_by(uses: dict[str, set[Item]], kind: str, name: str) -> list[str]:
    """Ids of the indicators whose result depends on the item."""
    return sorted(indicator for indicator, items in uses.items() if (kind, name) in items)


def _steps(ruleset: m.Ruleset, steps: Iterable[m.Step], found: set[Item]) -> None:
    for step in steps:
        _condition(ruleset, step.when, found)
        for action in (step.if_true, step.if_false):
            if action.reason:
                found.add(("reason", action.reason))


def _register(ruleset: m.Ruleset, name: str, found: set[Item]) -> None:
    if ("register", name) in found or name not in ruleset.registers:
        return
    found.add(("register", name))
    _steps(ruleset, ruleset.registers[name].rules, found)


def _field(ruleset: m.Ruleset, name: str, found: set[Item]) -> None:
    if ("field", name) in found or name not in ruleset.fields:
        return  # REG_DAT, DOB and named dates are built in
    found.add(("field", name))
    field = ruleset.fields[name]
    found.update(("cluster", c) for c in field.clusters)
    for reference in field.referenced_fields():
        _field(ruleset, reference, found)


def _condition(ruleset: m.Ruleset, cond: m.Condition, found: set[Item]) -> None:
    match cond:
        case m.Has(f) | m.ValueCompare(f, _, _) | m.ClusterIn(f, _):
            _field(ruleset, f, found)
        case m.DateCompare(f, _, ref):
            _field(ruleset, f, found)
            _field(ruleset, ref.base, found)
        case m.Resolves(f, diagnosis):
            _field(ruleset, f, found)
            _field(ruleset, diagnosis, found)
        case m.OnRegister(register):
            _register(ruleset, register, found)
        case m.NamedCondition(name):
            if ("condition", name) not in found and name in ruleset.conditions:
                found.add(("condition", name))
                _condition(ruleset, ruleset.conditions[name].condition, found)
        case m.AllOf(items) | m.AnyOf(items):
            for item in items:
                _condition(ruleset, item, found)
        case m.Not(item):
            _condition(ruleset, item, found)
