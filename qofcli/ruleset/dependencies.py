"""What each register and indicator depends on: the registers, named conditions, fields,
clusters and reasons its rule chains read, directly or through each other (a register through
its rules, a field through the fields its window refers to), and which of the named fields and
conditions only one register or indicator reads."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from qofcli.ruleset import model as m

Item = tuple[str, str]  # (kind, name): ("field", "IFCCHBA"), ("cluster", "IFCCHBAM_COD"), ...


def indicator_uses(ruleset: m.Ruleset, indicator: m.Indicator) -> set[Item]:
    """Everything the indicator's result depends on, its register's rules included."""
    walk = _Walk(ruleset, through_registers=True)
    if indicator.register:
        walk.register(indicator.register)
    walk.steps((*indicator.denominator, *indicator.numerator))
    return walk.found


def register_uses(ruleset: m.Ruleset, register_id: str) -> set[Item]:
    """Everything a register's membership depends on (itself included)."""
    walk = _Walk(ruleset, through_registers=True)
    walk.register(register_id)
    return walk.found


def uses_by_indicator(ruleset: m.Ruleset) -> dict[str, set[Item]]:
    return {i.id: indicator_uses(ruleset, i) for i in ruleset.indicators.values()}


def affected_by(uses: dict[str, set[Item]], kind: str, name: str) -> list[str]:
    """Ids of the indicators whose result depends on the item."""
    return sorted(indicator for indicator, items in uses.items() if (kind, name) in items)


def own_uses(ruleset: m.Ruleset, item: m.Register | m.Indicator) -> set[Item]:
    """What the item's own rules read, through named conditions and fields but not through the
    registers they name (`{register: X}` reads X, not X's fields)."""
    walk = _Walk(ruleset, through_registers=False)
    if isinstance(item, m.Register):
        walk.steps(item.rules)
    else:
        walk.steps((*item.denominator, *item.numerator))
    return walk.found


def readers(ruleset: m.Ruleset) -> dict[Item, list[m.Register | m.Indicator]]:
    """The registers and indicators whose own rules read each field and named condition."""
    found: dict[Item, list[m.Register | m.Indicator]] = {}
    items: list[m.Register | m.Indicator] = [
        *ruleset.registers.values(),
        *ruleset.indicators.values(),
    ]
    for item in items:
        for used in sorted(own_uses(ruleset, item)):
            if used[0] in ("field", "condition"):
                found.setdefault(used, []).append(item)
    return found


@dataclass
class _Walk:
    ruleset: m.Ruleset
    through_registers: bool
    found: set[Item] = field(default_factory=set)

    def steps(self, steps: Iterable[m.Step]) -> None:
        for step in steps:
            self.condition(step.when)
            for action in (step.if_true, step.if_false):
                if action.reason:
                    self.found.add(("reason", action.reason))

    def register(self, name: str) -> None:
        if ("register", name) in self.found or name not in self.ruleset.registers:
            return
        self.found.add(("register", name))
        if self.through_registers:
            self.steps(self.ruleset.registers[name].rules)

    def field(self, name: str) -> None:
        if ("field", name) in self.found or name not in self.ruleset.fields:
            return  # REG_DAT, DOB and named dates are built in
        self.found.add(("field", name))
        fld = self.ruleset.fields[name]
        self.found.update(("cluster", c) for c in fld.clusters)
        for reference in fld.referenced_fields():
            self.field(reference)

    def condition(self, cond: m.Condition) -> None:
        match cond:
            case m.Has(f) | m.ValueCompare(f, _, _) | m.ClusterIn(f, _):
                self.field(f)
            case m.DateCompare(f, _, ref):
                self.field(f)
                self.field(ref.base)
            case m.Resolves(f, diagnosis):
                self.field(f)
                self.field(diagnosis)
            case m.OnRegister(register):
                self.register(register)
            case m.NamedCondition(name):
                if ("condition", name) not in self.found and name in self.ruleset.conditions:
                    self.found.add(("condition", name))
                    self.condition(self.ruleset.conditions[name].condition)
            case m.AllOf(items) | m.AnyOf(items):
                for item in items:
                    self.condition(item)
            case m.Not(item):
                self.condition(item)
