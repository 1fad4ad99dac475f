"""Which indicators a ruleset cannot compute from the clusters it ships (a static analysis).

A cluster with no codes (a `missing` row in clusters/SOURCES.csv) matches nobody, so a field drawn
only from such clusters has no record for any patient. A rule whose condition is then the same for
every patient decides everyone who reaches it the same way. Where that empties or fills a whole
register, denominator or numerator, the result says nothing about the patients: the indicator is
"not computable from public clusters" until the official clusters are imported. Where the missing
clusters only stop a PCA or an exclusion from firing (the rule passes everyone on), the indicator
stays computable: its PCAs are undercounted.

Blocking rules, walking a chain to its first rule whose condition is constant and whose action on
that side decides (earlier rules with constant conditions pass everyone on):
- numerator: any such rule (everyone remaining achieves, or nobody does);
- denominator: a reject (everyone remaining leaves the denominator), or a select before the last
  rule (everyone remaining skips the later exclusions and PCAs); a constant "select the rest" on
  the last rule only means its PCA never fires;
- register: the register is then the same for everyone (all on, or nobody).
An indicator on a blocked register is blocked too.
"""

from __future__ import annotations

from dataclasses import dataclass

from qofcli.ruleset import model as m

Truth = bool | None  # None: depends on the patient


@dataclass(frozen=True)
class NotComputable:
    """Why an indicator cannot be computed: the rule decided by missing clusters, and which
    clusters to import (`qof clusters import`)."""

    indicator: str
    where: str  # e.g. "denominator rule 1" or "register EP_REG rule 2"
    clusters: tuple[str, ...]

    @property
    def note(self) -> str:
        names = ", ".join(self.clusters)
        return (
            f"{self.indicator} not computable from public clusters ({self.where} is decided by "
            f"missing clusters for every patient): import {names} with `qof clusters import`"
        )


def not_computable(ruleset: m.Ruleset) -> dict[str, NotComputable]:
    """Indicator id -> why it is not computable, for the computed indicators affected."""
    analysis = _Analysis(ruleset)
    found = {}
    for indicator in ruleset.indicators.values():
        if indicator.computed:
            blocked = analysis.indicator(indicator)
            if blocked is not None:
                found[indicator.id] = blocked
    return found


@dataclass(frozen=True)
class _Block:
    where: str
    clusters: tuple[str, ...]


class _Analysis:
    def __init__(self, ruleset: m.Ruleset) -> None:
        self.ruleset = ruleset
        self.empty = {c.id for c in ruleset.clusters.values() if not c.codes}
        self.blind = {
            f.name for f in ruleset.fields.values() if f.clusters and set(f.clusters) <= self.empty
        }
        self._registers: dict[str, tuple[Truth, _Block | None]] = {}

    def indicator(self, indicator: m.Indicator) -> NotComputable | None:
        assert indicator.register is not None  # computed indicators have one
        _, block = self.register(indicator.register)
        if block is None:
            block = self._chain(indicator.denominator, "denominator", numerator=False)
        if block is None:
            block = self._chain(indicator.numerator, "numerator", numerator=True)
        if block is None:
            return None
        return NotComputable(indicator.id, block.where, block.clusters)

    def register(self, register_id: str) -> tuple[Truth, _Block | None]:
        """The register's value when the same for everyone, and why it is blocked if so."""
        if register_id not in self._registers:
            self._registers[register_id] = self._register(self.ruleset.registers[register_id])
        return self._registers[register_id]

    def _register(self, register: m.Register) -> tuple[Truth, _Block | None]:
        outcomes: set[str] = set()
        for step in register.rules:
            truth = self.truth(step.when)
            if truth is None:
                outcomes |= {a.kind for a in (step.if_true, step.if_false) if a.terminal}
                continue
            action = step.if_true if truth else step.if_false
            if not action.terminal:
                continue
            if outcomes - {action.kind}:
                return None, None  # some patients were decided otherwise before this rule
            where = f"register {register.id} rule {step.number}"
            return action.kind == "select", _Block(where, self.clusters_of(step.when))
        return None, None

    def _chain(self, steps: tuple[m.Step, ...], name: str, numerator: bool) -> _Block | None:
        for step in steps:
            truth = self.truth(step.when)
            if truth is None:
                continue
            action = step.if_true if truth else step.if_false
            if not action.terminal:
                continue
            last = step is steps[-1]
            if numerator or action.kind == "reject" or not last:
                return _Block(f"{name} rule {step.number}", self.clusters_of(step.when))
            return None
        return None

    def truth(self, condition: m.Condition) -> Truth:
        """True or False when missing clusters make the condition the same for every patient."""
        match condition:
            case m.AllOf(items):
                values = [self.truth(i) for i in items]
                if False in values:
                    return False
                return True if all(v is True for v in values) else None
            case m.AnyOf(items):
                values = [self.truth(i) for i in items]
                if True in values:
                    return True
                return False if all(v is False for v in values) else None
            case m.Not(item):
                value = self.truth(item)
                return None if value is None else not value
            case m.NamedCondition(name):
                return self.truth(self.ruleset.conditions[name].condition)
            case m.OnRegister(register):
                return self.register(register)[0]
            case m.ValueCompare(field, op, number) if field in self.blind:
                if self.ruleset.fields[field].find == "count":
                    return _holds(0.0, op, number)  # no record day is a count of 0
                return False
            case m.Has(field) | m.ClusterIn(field, _) if field in self.blind:
                return False
            case m.DateCompare(field, _, ref) if {field, ref.base} & self.blind:
                return False
            case m.Resolves(field, diagnosis) if {field, diagnosis} & self.blind:
                return False
        return None

    def clusters_of(self, condition: m.Condition) -> tuple[str, ...]:
        """The missing clusters behind the blind fields a condition reads (named conditions and
        registers included), sorted."""
        found: set[str] = set()
        self._collect(condition, found, set())
        return tuple(sorted(found))

    def _collect(self, condition: m.Condition, found: set[str], seen: set[str]) -> None:
        match condition:
            case m.AllOf(items) | m.AnyOf(items):
                for item in items:
                    self._collect(item, found, seen)
            case m.Not(item):
                self._collect(item, found, seen)
            case m.NamedCondition(name):
                self._collect(self.ruleset.conditions[name].condition, found, seen)
            case m.OnRegister(register) if register not in seen:
                seen.add(register)
                block = self.register(register)[1]
                if block is not None:
                    found.update(block.clusters)
            case m.Has(field) | m.ValueCompare(field, _, _) | m.ClusterIn(field, _):
                self._add_field(field, found)
            case m.DateCompare(field, _, ref):
                self._add_field(field, found)
                self._add_field(ref.base, found)
            case m.Resolves(field, diagnosis):
                self._add_field(field, found)
                self._add_field(diagnosis, found)

    def _add_field(self, name: str, found: set[str]) -> None:
        if name in self.blind:
            found.update(self.ruleset.fields[name].clusters)


def _holds(value: float, op: str, number: float) -> bool:
    return {
        "lt": value < number,
        "le": value <= number,
        "gt": value > number,
        "ge": value >= number,
        "eq": value == number,
    }[op]
