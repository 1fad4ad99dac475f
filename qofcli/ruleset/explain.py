"""A register or indicator resolved into plain words and data, for people and tools.

``explain(ruleset, id)`` returns a JSON-ready dict: every step with its named conditions
inlined, every field it reads in words ("latest IFCCHBAM_COD (6 codes, published) after
PPED - 12 months"), every reason with its type and official description, thresholds, points,
payment, confidence and source, the file each piece was loaded from, and how many patient
cases (own and inherited, per case file) state its result. Reports render it; nothing here
prints.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from qofcli.errors import UsageError
from qofcli.ruleset import model as m

if TYPE_CHECKING:  # cases imports diff, which imports this module
    from qofcli.ruleset.cases import Case

_OPS = {"lt": "<", "le": "≤", "gt": ">", "ge": "≥", "eq": "="}
_DATE_OPS = {
    "after": "after",
    "on_or_after": "on or after",
    "before": "before",
    "on_or_before": "on or before",
    "same_day": "on the day of",
}
_BUILTIN = {"REG_DAT": "registration date", "DOB": "date of birth"}


@dataclass
class _Collected:
    """What a rule chain reads, gathered while its conditions are put into words; a named
    condition is spelled out where it first appears."""

    ruleset: m.Ruleset
    fields: dict[str, None] = field(default_factory=dict)
    conditions: dict[str, None] = field(default_factory=dict)
    registers: dict[str, None] = field(default_factory=dict)

    def words(self, cond: m.Condition) -> str:
        return condition_words(cond, named=self._inline, reads=self._reads)

    def _inline(self, name: str) -> str:
        if name in self.conditions:
            return name
        self.conditions[name] = None
        return f"{name} [= {self.words(self.ruleset.conditions[name].condition)}]"

    def _reads(self, kind: str, name: str) -> None:
        if kind == "register":
            self.registers.setdefault(name)
        elif name in self.ruleset.fields and name not in self.fields:  # not REG_DAT, PPED...
            self.fields[name] = None
            for bound in self.ruleset.fields[name].bounds:
                self._reads("field", bound.ref.base)


def explain(
    ruleset: m.Ruleset, item_id: str, cases: Sequence[Case] | None = None
) -> dict[str, Any]:
    """The resolved register or indicator ``item_id`` (an id or an alias). `cases`: the
    ruleset's patient cases (qofcli.ruleset.cases.load_cases), counted in "cases"; None leaves
    "cases" null (not counted)."""
    indicator = _find_indicator(ruleset, item_id)
    if indicator is not None:
        found = _indicator(ruleset, indicator)
    elif item_id in ruleset.registers:
        found = _register(ruleset, ruleset.registers[item_id])
    else:
        known = ", ".join([*ruleset.indicators, *ruleset.registers])
        raise UsageError(f"{ruleset.id} has no indicator or register {item_id!r}; known: {known}")
    found["cases"] = None if cases is None else _case_counts(ruleset, found["id"], cases)
    return found


def overview(ruleset: m.Ruleset) -> dict[str, Any]:
    """Every register and indicator of a ruleset in one line each."""
    return {
        "ruleset": _ruleset_header(ruleset),
        "registers": [
            {"id": r.id, "description": r.description, "points": r.points}
            for r in ruleset.registers.values()
        ],
        "indicators": [
            {
                "id": i.id,
                "group": i.group,
                "register": i.register,
                "points": i.points,
                "thresholds": _thresholds(i),
                "confidence": i.confidence,
                "description": i.description,
            }
            for i in sorted(ruleset.indicators.values(), key=lambda i: (i.group, i.id))
        ],
    }


def _case_counts(ruleset: m.Ruleset, item_id: str, cases: Sequence[Case]) -> dict[str, Any]:
    """How many cases state the item's result (an indicator or register in `expect`; for a
    register also `on_register` over its indicators), per case file, own or inherited, and how
    many of them need a cluster shipped without codes (the runner skips those)."""
    stating = [c for c in cases if _states(ruleset, c, item_id)]
    own_folder = (Path(ruleset.path) / "cases").resolve() if ruleset.path else None
    inherited_files = {c.file for c in stating if Path(c.file).resolve().parent != own_folder}
    per_file = Counter(c.file for c in stating)
    files: list[dict[str, Any]] = [
        {"file": _file(ruleset, path), "count": count, "inherited": path in inherited_files}
        for path, count in sorted(per_file.items(), key=lambda p: (p[0] in inherited_files, p))
    ]
    total = len(stating)
    inherited = sum(per_file[path] for path in inherited_files)
    skipped = sum(_needs_missing_cluster(ruleset, c) for c in stating)
    return {
        "count": total,
        "own": total - inherited,
        "inherited": inherited,
        "skipped": skipped,
        "files": files,
    }


def _states(ruleset: m.Ruleset, case: Case, item_id: str) -> bool:
    if item_id in case.expect:
        return True
    if case.on_register is None or item_id not in ruleset.registers:
        return False
    indicators = (ruleset.indicators.get(i) for i in case.register_indicators)
    return any(i is not None and i.register == item_id for i in indicators)


def _needs_missing_cluster(ruleset: m.Ruleset, case: Case) -> bool:
    def shipped(name: str) -> bool:
        return name in ruleset.clusters and bool(ruleset.clusters[name].codes)

    return any(
        not any(shipped(name) for name in e.cluster.split("|"))
        or not all(shipped(name) for name in e.also)
        for e in case.events
        if e.code is None
    )


def _find_indicator(ruleset: m.Ruleset, item_id: str) -> m.Indicator | None:
    if item_id in ruleset.indicators:
        return ruleset.indicators[item_id]
    return next((i for i in ruleset.indicators.values() if item_id in i.aliases), None)


def _ruleset_header(ruleset: m.Ruleset) -> dict[str, Any]:
    return {
        "id": ruleset.id,
        "qof_year": ruleset.qof_year,
        "business_rules": ruleset.business_rules,
        "extends": ruleset.extends,
        "dates": {name: day.isoformat() for name, day in ruleset.dates.items()},
    }


def _thresholds(indicator: m.Indicator) -> dict[str, float] | None:
    if indicator.lower is None or indicator.upper is None:
        return None
    return {"lower": indicator.lower, "upper": indicator.upper}


def _indicator(ruleset: m.Ruleset, indicator: m.Indicator) -> dict[str, Any]:
    seen = _Collected(ruleset)
    chains = {
        "denominator": [_step(ruleset, s, seen) for s in indicator.denominator],
        "numerator": [_step(ruleset, s, seen) for s in indicator.numerator],
    }
    return {
        "kind": "indicator",
        "ruleset": _ruleset_header(ruleset),
        "id": indicator.id,
        "aliases": list(indicator.aliases),
        "description": indicator.description,
        "group": indicator.group,
        "register": indicator.register,
        "points": indicator.points,
        "thresholds": _thresholds(indicator),
        "payment": indicator.payment,
        "prevalence_adjusted": indicator.prevalence_adjusted,
        "prevalence_register": indicator.prevalence_register or indicator.register,
        "confidence": indicator.confidence,
        "source": indicator.source,
        "file": _file(ruleset, indicator.origin),
        **chains,
        **_reads(ruleset, seen, indicator.denominator),
    }


def _register(ruleset: m.Ruleset, register: m.Register) -> dict[str, Any]:
    seen = _Collected(ruleset)
    rules = [_step(ruleset, s, seen) for s in register.rules]
    return {
        "kind": "register",
        "ruleset": _ruleset_header(ruleset),
        "id": register.id,
        "indicator": register.indicator,
        "description": register.description,
        "points": register.points,
        "prevalence": register.prevalence,
        "age_rule": register.age_rule,
        "same_day_resolution": register.same_day_resolution,
        "confidence": register.confidence,
        "source": register.source,
        "file": _file(ruleset, register.origin),
        "rules": rules,
        **_reads(ruleset, seen, register.rules),
    }


def _reads(ruleset: m.Ruleset, seen: _Collected, steps: tuple[m.Step, ...]) -> dict[str, Any]:
    """The fields, named conditions, registers and reasons a chain uses, each explained."""
    reasons = {a.reason for s in steps for a in (s.if_true, s.if_false) if a.reason}
    return {
        "fields": [_field(ruleset, ruleset.fields[name]) for name in seen.fields],
        "conditions": [
            {"name": n, "file": _file(ruleset, ruleset.conditions[n].origin)}
            for n in seen.conditions
        ],
        "registers_read": list(seen.registers),
        "reasons": [_reason(ruleset.reasons[r]) for r in sorted(reasons)],
    }


def _step(ruleset: m.Ruleset, step: m.Step, seen: _Collected) -> dict[str, Any]:
    return {
        "rule": step.number,
        "description": step.description,
        "when": seen.words(step.when),
        "if_true": _action(ruleset, step.if_true),
        "if_false": _action(ruleset, step.if_false),
    }


def _action(ruleset: m.Ruleset, action: m.Action) -> str:
    if action.reason is None:
        return action.kind
    reason = ruleset.reasons[action.reason]
    return f"reject {reason.name} ({reason.type})"


def _reason(reason: m.Reason) -> dict[str, str]:
    return {"name": reason.name, "type": reason.type, "description": reason.description}


def condition_words(
    cond: m.Condition,
    named: Callable[[str], str] = "is {}".format,
    reads: Callable[[str, str], None] = lambda kind, name: None,
) -> str:
    """A condition in words (``IFCCHBA value ≤ 58``, ``all of (...; ...)``): the one rendering
    of the vocabulary, for `qof rulesets show` and `qof diff`. A named condition is ``is NAME``
    unless `named` renders it; `reads(kind, name)` hears of each field, date reference base and
    register the condition reads, in order."""

    def field_name(name: str) -> str:
        reads("field", name)
        return name

    def ref(date_ref: m.DateRef) -> str:
        reads("field", date_ref.base)
        return str(date_ref).replace(" - ", " − ")

    def words(cond: m.Condition) -> str:
        match cond:
            case m.Has(f):
                return f"has {field_name(f)}"
            case m.DateCompare(f, op, r):
                return f"{field_name(f)} dated {_DATE_OPS[op]} {ref(r)}"
            case m.Resolves(f, diagnosis):
                return (
                    f"{field_name(f)} resolves {field_name(diagnosis)} (dated after it, or on "
                    "its day too if the register's same_day_resolution is removes)"
                )
            case m.ValueCompare(f, op, number):
                return f"{field_name(f)} value {_OPS[op]} {number:g}"
            case m.ClusterIn(f, clusters):
                return f"{field_name(f)} from {' or '.join(clusters)}"
            case m.AgeCompare(op, years):
                return f"age on ACHV {_OPS[op]} {years}"
            case m.SexIn(sexes):
                return f"sex is {' or '.join(sexes)}"
            case m.OnRegister(register):
                reads("register", register)
                return f"on {register}"
            case m.NamedCondition(name):
                return named(name)
            case m.AllOf(items):
                return "all of (" + "; ".join(words(i) for i in items) + ")"
            case m.AnyOf(items):
                return "any of (" + "; ".join(words(i) for i in items) + ")"
            case m.Not(item):
                return f"not ({words(item)})"
        raise TypeError(f"unknown condition {cond!r}")

    return words(cond)


def _field(ruleset: m.Ruleset, fld: m.Field) -> dict[str, Any]:
    return {
        "name": fld.name,
        "words": field_words(ruleset, fld),
        "description": fld.description,
        "file": _file(ruleset, fld.origin),
        "clusters": [_cluster(ruleset.clusters.get(c), c) for c in fld.clusters],
    }


def field_words(ruleset: m.Ruleset, fld: m.Field) -> str:
    """``latest IFCCHBAM_COD (6 codes, published) after PPED − 12 months``."""
    clusters = " or ".join(_cluster_words(ruleset.clusters.get(c), c) for c in fld.clusters)
    what = f"number of days with {clusters}" if fld.find == "count" else f"{fld.find} {clusters}"
    window = [f"{_DATE_OPS[b.op]} {str(b.ref).replace(' - ', ' − ')}" for b in fld.bounds]
    tie = "; highest value that day" if fld.value == "highest" and fld.find != "count" else ""
    return " ".join([what, *window]) + tie


def _cluster_words(cluster: m.Cluster | None, name: str) -> str:
    if cluster is None:
        return f"{name} (not in the ruleset)"
    status = cluster.status or "no status"
    count = len(cluster.codes)
    return f"{name} ({count} code{'' if count == 1 else 's'}, {status})"


def _cluster(cluster: m.Cluster | None, name: str) -> dict[str, Any]:
    if cluster is None:
        return {"id": name, "codes": 0, "status": "absent"}
    return {"id": name, "codes": len(cluster.codes), "status": cluster.status}


def _file(ruleset: m.Ruleset, origin: str) -> str:
    """The file an item came from, relative to the folder of shipped or local rulesets."""
    path = origin.split(": ", 1)[0]
    if not path:
        return ""
    root = Path(ruleset.path).parent if ruleset.path else None
    try:
        return str(Path(path).relative_to(root)) if root else path
    except ValueError:
        return path
