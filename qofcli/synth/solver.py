"""A random witness search over the ruleset's condition vocabulary: for a path of (condition,
wanted truth) pairs it finds record templates (which records, dates relative to named dates,
other records and the birth date, value ranges, sexes) under which the path holds.

Conditions are solved one by one into a `World`; `finish` checks it and freezes it into a
`Template`. A condition type the solver does not know makes the path unsolvable (it is then
simply not generated) rather than failing the run, so a ruleset may grow its vocabulary first."""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field

from qofcli.engine.dates import shift
from qofcli.extract.schema import SEXES
from qofcli.ruleset import model as m
from qofcli.ruleset.model import Ruleset
from qofcli.synth.base import Calendar, day_number, years_before

_FLIP_DATE = {
    "after": "on_or_before",
    "on_or_after": "before",
    "before": "on_or_after",
    "on_or_before": "after",
}
_FLIP_VALUE = {"lt": "ge", "le": "gt", "gt": "le", "ge": "lt"}
DOB, REG = "DOB", "REG_DAT"

# A date constraint: (variable, op, reference variable or None, offset, constant day or None).
# Variables are DOB, REG_DAT and record slots ("latest:A+B": the latest record of clusters A, B).
DateRule = tuple[str, str, str | None, m.Offset | None, int | None]


@dataclass
class World:
    """A partial solution: what one patient's records must look like."""

    present: dict[str, bool] = field(default_factory=dict)
    absent: list[str] = field(default_factory=list)  # fields that must have no record
    dates: list[DateRule] = field(default_factory=list)
    values: dict[str, list[tuple[str, float]]] = field(default_factory=dict)
    allowed: dict[str, set[str]] = field(default_factory=dict)
    banned: dict[str, set[str]] = field(default_factory=dict)
    sexes: set[str] = field(default_factory=lambda: set(SEXES))
    registers: set[str] = field(default_factory=set)  # registers the patient is put on
    off: set[str] = field(default_factory=set)  # registers the patient is kept off

    def copy(self) -> World:
        return World(
            dict(self.present),
            list(self.absent),
            list(self.dates),
            {k: list(v) for k, v in self.values.items()},
            {k: set(v) for k, v in self.allowed.items()},
            {k: set(v) for k, v in self.banned.items()},
            set(self.sexes),
            set(self.registers),
            set(self.off),
        )


@dataclass(frozen=True)
class Template:
    """A solved world, ready to be made into events."""

    order: tuple[str, ...]  # DOB, REG_DAT, then slots so that references come first
    dates: tuple[DateRule, ...]
    clusters: dict[str, tuple[str, ...]]  # present slot -> clusters its record may use
    values: dict[str, tuple[tuple[str, float], ...]]  # slot -> value rules ("op", number)
    sexes: tuple[str, ...]
    ages: bool  # the rules constrain the age
    registers: frozenset[str]  # registers the patient is put on
    off: frozenset[str]  # registers the patient is kept off

    def key(self) -> str:
        return repr((self.dates, sorted(self.clusters.items()), sorted(self.values.items())))


def chain_leaves(
    steps: Sequence[m.Step],
) -> list[tuple[list[tuple[m.Condition, bool]], m.Step, bool, m.Action]]:
    """Every terminal branch of a chain with the (condition, truth) path that reaches it."""
    leaves: list[tuple[list[tuple[m.Condition, bool]], m.Step, bool, m.Action]] = []
    prefix: list[tuple[m.Condition, bool]] = []
    for step in steps:
        for truth, action in ((True, step.if_true), (False, step.if_false)):
            if action.terminal:
                leaves.append(([*prefix, (step.when, truth)], step, truth, action))
        passing = [t for t, a in ((True, step.if_true), (False, step.if_false)) if not a.terminal]
        if not passing:
            break
        prefix = [*prefix, (step.when, passing[0])]
    return leaves


def _resolution_ops(ruleset: Ruleset) -> dict[tuple[str, str], str]:
    """(resolved field, diagnosis field) -> the date operator its register's same_day_resolution
    means (`after` keeps a same-day resolution, `on_or_after` removes)."""
    ops: dict[tuple[str, str], str] = {}

    def visit(cond: m.Condition, op: str) -> None:
        match cond:
            case m.AllOf(items) | m.AnyOf(items):
                for item in items:
                    visit(item, op)
            case m.Not(item):
                visit(item, op)
            case m.NamedCondition(name):
                visit(ruleset.conditions[name].condition, op)
            case m.Resolves(f, diagnosis):
                ops[(f, diagnosis)] = op

    for register in ruleset.registers.values():
        op = "on_or_after" if register.same_day_resolution == "removes" else "after"
        for step in register.rules:
            visit(step.when, op)
    return ops


def plausible_range(ruleset: Ruleset, clusters: Sequence[str]) -> tuple[tuple[str, float], ...]:
    """The ruleset's plausible value range of records of these clusters (`value_ranges`) as the
    pseudo-rules ("min", low) and ("max", high); empty if the ruleset gives none."""
    ranges = [ruleset.value_ranges[c] for c in clusters if c in ruleset.value_ranges]
    if not ranges:
        return ()
    return (("min", max(r.low for r in ranges)), ("max", min(r.high for r in ranges)))


class Solver:
    """Random witness search over the condition vocabulary of qofcli.ruleset.model."""

    def __init__(self, ruleset: Ruleset, cal: Calendar, rng: random.Random) -> None:
        self.rs = ruleset
        self.rng = rng
        self.named = {**ruleset.dates, "ACHV": ruleset.period_end}
        self.achv = cal.end
        self.coded = {c.id for c in ruleset.clusters.values() if c.codes}
        self.wrong_side_share = 0.5  # set per use: targeted and ordinary patients differ
        self.plain = False  # ordinary patients: not on a register means no diagnosis at all
        self.slot_clusters: dict[str, tuple[str, ...]] = {}
        self.depth = 0
        self.resolution_ops = _resolution_ops(ruleset)

    def slot(self, name: str) -> str:
        f = self.rs.fields[name]
        find = "earliest" if f.find == "earliest" else "latest"
        key = f"{find}:{'+'.join(sorted(f.clusters))}"
        self.slot_clusters[key] = tuple(sorted(f.clusters))
        return key

    def _plausible(self, clusters: Sequence[str]) -> tuple[tuple[str, float], ...]:
        """The ruleset's plausible value range of these clusters (`value_ranges`), as the
        pseudo-rules ("min", low) and ("max", high): drawn values are kept inside it."""
        return plausible_range(self.rs, clusters)

    def none_side(self, name: str) -> bool:
        """Make a false test false by having no record (always, if none can be made)."""
        return not self.usable(name) or self.rng.random() > self.wrong_side_share

    def usable(self, name: str) -> set[str]:
        return set(self.rs.fields[name].clusters) & self.coded

    # ---- solving ---------------------------------------------------------------------------

    def solve_path(self, w: World, path: Sequence[tuple[m.Condition, bool]]) -> bool:
        return all(self.solve(w, cond, want) for cond, want in path)

    def solve(self, w: World, cond: m.Condition, want: bool) -> bool:
        rng = self.rng
        match cond:
            case m.AllOf(items):
                if want:
                    return all(self.solve(w, i, True) for i in items)
                plain = [i for i in items if isinstance(i, m.Has)] if self.plain else []
                return self.solve(w, rng.choice(plain or items), False)  # plain: no record
            case m.AnyOf(items):
                if want:
                    return self.solve(w, rng.choice(items), True)
                return all(self.solve(w, i, False) for i in items)
            case m.Not(item):
                return self.solve(w, item, not want)
            case m.NamedCondition(name):
                return self.solve(w, self.rs.conditions[name].condition, want)
            case m.Has(f):
                return self.has(w, f, want)
            case m.DateCompare(f, op, ref):
                return self._date_compare(w, f, op, ref, want)
            case m.Resolves(f, diagnosis):
                resolution_op = self.resolution_ops.get((f, diagnosis), "after")
                return self._date_compare(w, f, resolution_op, m.DateRef(diagnosis), want)
            case m.ValueCompare(f, op, number) if self.rs.fields[f].find == "count":
                # no record day is a count of zero; several record days are not drawn yet (every
                # count field of qof-2025-26 reads clusters with no public codes)
                zero_holds = holds(0.0, op, number)
                return self.has(w, f, False) if zero_holds == want else False
            case m.ValueCompare(f, op, number):
                if not want and self.none_side(f):
                    return self.has(w, f, False)
                if not self.has(w, f, True):
                    return False
                wanted_op: str = op if want else _FLIP_VALUE.get(op) or rng.choice(("lt", "gt"))
                w.values.setdefault(self.slot(f), []).append((wanted_op, number))
                return True
            case m.ClusterIn(f, clusters):
                if not want and self.none_side(f):
                    return self.has(w, f, False)
                if not self.has(w, f, True):
                    return False
                s = self.slot(f)
                if want:
                    w.allowed[s] = w.allowed.get(s, set(clusters)) & set(clusters)
                else:
                    w.banned.setdefault(s, set()).update(clusters)
                return True
            case m.AgeCompare(op, years):
                return self._age(w, op, years, want)
            case m.SexIn(sexes):
                w.sexes = w.sexes & set(sexes) if want else w.sexes - set(sexes)
                return bool(w.sexes)
            case m.OnRegister(register):
                return self.on_register(w, register, want)
        return False  # a condition type this solver does not know: path not generated

    def on_register(self, w: World, register: str, want: bool) -> bool:
        if self.depth > 6:
            return False
        leaves = [
            leaf
            for leaf in chain_leaves(self.rs.registers[register].rules)
            if (leaf[3].kind == "select") == want
        ]
        if not leaves:
            return not want
        self.depth += 1
        try:
            if self.plain and not want:  # off a register the ordinary way: the shortest route
                leaves = [min(leaves, key=lambda leaf: len(leaf[0]))]
            solved = self.solve_path(w, self.rng.choice(leaves)[0])
        finally:
            self.depth -= 1
        if solved:
            (w.registers if want else w.off).add(register)
        return solved

    def has(self, w: World, name: str, want: bool) -> bool:
        if name in m.BUILTIN_DATE_FIELDS:
            return want
        s = self.slot(name)
        unbounded = not self.rs.fields[name].bounds  # any record of its clusters counts
        if not want:
            if unbounded and w.present.get(s):
                return False  # the record is already there
            if name not in w.absent:
                w.absent.append(name)
            return True
        if not self.usable(name) or w.present.get(s) is False:
            return False
        if any(not self.rs.fields[a].bounds and self.slot(a) == s for a in w.absent):
            return False  # a field of the same records must have none
        if w.present.get(s):
            return True
        w.present[s] = True
        return all(self.date_rule(w, s, b.op, b.ref) for b in self.rs.fields[name].bounds)

    def date_rule(self, w: World, var: str, op: str, ref: m.DateRef) -> bool:
        base = ref.base
        if base in self.named:
            const = day_number(shift(self.named[base], ref.offset))
            w.dates.append((var, op, None, None, const))
            return True
        if base in m.BUILTIN_DATE_FIELDS:
            w.dates.append((var, op, base, ref.offset, None))
            return True
        if not self.has(w, base, True):
            return False
        w.dates.append((var, op, self.slot(base), ref.offset, None))
        return True

    def _date_compare(self, w: World, f: str, op: str, ref: m.DateRef, want: bool) -> bool:
        rng = self.rng
        builtin = f in m.BUILTIN_DATE_FIELDS
        if not want:
            if not builtin and self.none_side(f):
                return self.has(w, f, False)
            if ref.base in self.rs.fields and rng.random() < 0.15:
                return self.has(w, ref.base, False)
            op = _FLIP_DATE.get(op) or rng.choice(("before", "after"))
        if not self.has(w, f, True):
            return False
        return self.date_rule(w, f if builtin else self.slot(f), op, ref)

    def _age(self, w: World, op: str, years: int, want: bool) -> bool:
        if not want:
            op = _FLIP_VALUE.get(op) or self.rng.choice(("lt", "gt"))
        if op == "eq":
            return self._age(w, "ge", years, True) and self._age(w, "lt", years + 1, True)
        if op in ("gt", "le"):
            op, years = ("ge" if op == "gt" else "lt"), years + 1
        # aged >= N on the achievement date <=> born on or before ACHV - N years
        born = years_before(self.achv, years)
        w.dates.append((DOB, "on_or_before" if op == "ge" else "after", None, None, born))
        return True

    # ---- checking and freezing ---------------------------------------------------------------

    def finish(self, w: World) -> Template | None:
        if not w.sexes:
            return None
        present = [s for s, on in w.present.items() if on]
        clusters = {s: set(self.slot_clusters[s]) & self.coded for s in present}
        for s in present:
            clusters[s] -= w.banned.get(s, set())
            if s in w.allowed:
                clusters[s] &= w.allowed[s]
        dates = list(w.dates)
        for name in w.absent:
            f = self.rs.fields[name]
            own = self.slot(name)
            for s in present:
                if not set(self.slot_clusters[s]) & set(f.clusters):
                    continue
                # a record of the field's clusters stays outside its window, if it has one and
                # the record cannot simply use other clusters
                outside = s == own or not clusters[s] - set(f.clusters)
                if f.bounds and outside:
                    bound = self.rng.choice(f.bounds)
                    flipped = _FLIP_DATE.get(bound.op) or self.rng.choice(("before", "after"))
                    w2 = World()
                    if not self.date_rule(w2, s, flipped, bound.ref):
                        continue  # the bound reads a record this world lacks: nothing counts
                    if any(not w.present.get(x, False) for x in w2.present):
                        continue
                    dates += w2.dates
                else:
                    clusters[s] -= set(f.clusters)
        for s in present:
            smaller = [
                set(self.slot_clusters[t])
                for t in present
                if t != s and set(self.slot_clusters[t]) < set(self.slot_clusters[s])
            ]
            preferred = clusters[s] - set().union(*smaller) if smaller else clusters[s]
            if preferred:
                clusters[s] = preferred
            if not clusters[s]:
                return None
        # a record of an earliest/latest slot's clusters must not undercut/overtake it
        for s in present:
            find = s.split(":")[0]
            for t in present:
                if t == s or not clusters[t] & set(self.slot_clusters[s]):
                    continue
                rest = clusters[t] - set(self.slot_clusters[s])
                if rest and not clusters[t] <= set(self.slot_clusters[s]):
                    clusters[t] = rest
                    continue
                dates.append(
                    (t, "on_or_after" if find == "earliest" else "on_or_before", s, None, None)
                )
        values: dict[str, tuple[tuple[str, float], ...]] = {}
        for s, rules in w.values.items():
            if s not in clusters:
                continue
            lo, hi = value_range(rules)
            if lo is not None and hi is not None and lo > hi:
                return None
            values[s] = tuple(rules) + self._plausible(self.slot_clusters[s])
        for var in (REG, *present, DOB):  # DOB last: born before every fixed record date
            lo, hi = -(10**9), 10**9
            for v, op, _ref, _off, const in dates:
                if v == var and const is not None:
                    lo, hi = tighten(lo, hi, op, const)
            if lo > hi:
                return None
            if var != DOB and hi < 10**9:
                dates.append((DOB, "before", None, None, hi))
        if not consistent(dates, [DOB, REG, *present], self.achv):
            return None
        order = order_variables(present, dates)
        return Template(
            order,
            tuple(dict.fromkeys(dates)),
            {s: tuple(sorted(c)) for s, c in clusters.items()},
            values,
            tuple(s for s in SEXES if s in w.sexes),
            any(v == DOB for v, *_ in w.dates),
            frozenset(w.registers),
            frozenset(w.off),
        )


def holds(value: float, op: str, number: float) -> bool:
    return {
        "lt": value < number,
        "le": value <= number,
        "gt": value > number,
        "ge": value >= number,
        "eq": value == number,
    }[op]


def tighten(lo: int, hi: int, op: str, day: int) -> tuple[int, int]:
    if op == "after":
        return max(lo, day + 1), hi
    if op == "on_or_after":
        return max(lo, day), hi
    if op == "before":
        return lo, min(hi, day - 1)
    if op == "on_or_before":
        return lo, min(hi, day)
    return max(lo, day), min(hi, day)  # same_day


def value_range(rules: Sequence[tuple[str, float]]) -> tuple[float | None, float | None]:
    step = value_step(rules)
    lo: float | None = None
    hi: float | None = None
    for op, x in rules:
        low = {"gt": x + step, "ge": x, "eq": x}.get(op)
        high = {"lt": x - step, "le": x, "eq": x}.get(op)
        if low is not None:
            lo = low if lo is None else max(lo, low)
        if high is not None:
            hi = high if hi is None else min(hi, high)
    return lo, hi


def value_step(rules: Sequence[tuple[str, float]]) -> float:
    return 1.0 if all(float(x).is_integer() for _, x in rules) else 0.1


_ZERO = ""  # the origin of day numbers, for constant bounds
_SLACK_DAYS = {"days": 0, "months": 3, "years": 3}  # calendar offsets read as approximate days
_DAYS_PER_UNIT = {"days": 1.0, "months": 30.436875, "years": 365.2425}


def consistent(dates: Sequence[DateRule], variables: Sequence[str], last_day: int) -> bool:
    """Whether the date rules can all hold at once (every record after birth, nothing after
    ``last_day``): difference constraints with no negative cycle (Bellman-Ford). Month offsets
    are read as days with a few days' slack, so a feasible template is never rejected."""
    edges: list[tuple[str, str, float]] = []  # (i, j, w): x_j - x_i <= w

    def at_most(later: str, earlier: str, gap: float) -> None:  # later - earlier <= gap
        edges.append((earlier, later, gap))

    for var, op, ref, off, const in dates:
        base, shift_days, slack = (
            (_ZERO, float(const), 0.0) if const is not None else (ref, 0.0, 0.0)
        )
        if base is None or base not in variables and base != _ZERO:
            continue
        if off is not None:
            shift_days = off.amount * _DAYS_PER_UNIT[off.unit]
            slack = _SLACK_DAYS[off.unit]
        if op in ("after", "on_or_after"):  # var >= base + shift (+1)
            at_most(base, var, -shift_days - (op == "after") + slack)
        if op in ("before", "on_or_before"):  # var <= base + shift (-1)
            at_most(var, base, shift_days - (op == "before") + slack)
        if op == "same_day":
            at_most(base, var, -shift_days + slack)
            at_most(var, base, shift_days + slack)
    for var in variables:
        if var != DOB:
            at_most(DOB, var, 0.0)  # born on or before every record
        at_most(var, _ZERO, float(last_day))
    nodes = [_ZERO, *variables]
    distance = dict.fromkeys(nodes, 0.0)
    for _ in range(len(nodes)):
        changed = False
        for i, j, w in edges:
            if i in distance and j in distance and distance[i] + w < distance[j] - 1e-9:
                distance[j] = distance[i] + w
                changed = True
        if not changed:
            return True
    return False


def order_variables(variables: list[str], dates: Sequence[DateRule]) -> tuple[str, ...]:
    """Variables so that a reference is made before what refers to it; in a cycle, the one
    with a fixed-date bound goes first (the other side then follows it)."""
    needs = {
        v: {ref for var, _, ref, _, _ in dates if var == v and ref in variables} for v in variables
    }
    fixed = {var for var, _, _, _, const in dates if const is not None}
    done: list[str] = [DOB, REG]  # every record is drawn after birth
    while len(done) < len(variables) + 2:
        left = [v for v in variables if v not in done]
        ready = [v for v in left if needs[v] <= set(done)] or left
        done.append(next((v for v in ready if v in fixed), ready[0]))
    return tuple(done)
