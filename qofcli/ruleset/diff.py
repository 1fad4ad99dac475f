"""What changed between two rulesets (two QOF years, or a year and a local scheme built on it).

Indicators are matched by id, then a removed id is paired with an added one when either lists
the other in `aliases` (a rename, e.g. DM022 -> DM034). Provenance (`source`, `confidence`,
file paths) is not compared: only what changes who counts, what is paid and how.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import asdict, dataclass, replace
from typing import Any

from qofcli.ruleset import model as m
from qofcli.ruleset.dependencies import affected_by, uses_by_indicator
from qofcli.ruleset.explain import condition_words

CHANGE_FIELDS = ("kind", "id", "change", "attribute", "before", "after", "affects")
# Changes to these kinds of item are traced to the indicators that read them.
_TRACED = ("register", "cluster", "field", "condition", "reason")
_INDICATOR_ATTRIBUTES = (
    "register",
    "group",
    "points",
    "lower",
    "upper",
    "prevalence_adjusted",
    "payment",
    "description",
)


@dataclass(frozen=True)
class Change:
    """One difference. `change` is added, removed, renamed, changed, code_added or code_removed;
    `attribute` says what changed (points, lower, denominator rule 3, a code...); `affects`
    lists the indicators (of either ruleset) whose results depend on a changed register,
    cluster, field, condition or reason."""

    kind: str
    id: str
    change: str
    attribute: str = ""
    before: str = ""
    after: str = ""
    affects: str = ""


@dataclass(frozen=True)
class RulesetDiff:
    """All differences from ruleset `a` to ruleset `b`, plus the indicator renames found."""

    a: m.Ruleset
    b: m.Ruleset
    changes: tuple[Change, ...]
    renamed: dict[str, str]  # id in a -> id in b

    @property
    def empty(self) -> bool:
        return not self.changes

    def records(self) -> list[dict[str, str]]:
        return [asdict(c) for c in self.changes]


def diff_rulesets(a: m.Ruleset, b: m.Ruleset) -> RulesetDiff:
    """Compare everything that affects results; ids and titles of the rulesets are not compared."""
    renamed = match_renames(a.indicators, b.indicators)
    changes = [
        *_indicator_changes(a.indicators, b.indicators, renamed),
        *_register_changes(a.registers, b.registers),
        *_cluster_changes(a.clusters, b.clusters),
        *_named_changes("field", a.fields, b.fields, _field_text),
        *_named_changes("condition", a.conditions, b.conditions, _named_text),
        *_named_changes("reason", a.reasons, b.reasons, _reason_text),
        *_payment_changes(a.payment, b.payment),
        *_named_changes("date", a.dates, b.dates, str),
    ]
    return RulesetDiff(a, b, tuple(_trace(changes, a, b)), renamed)


def _trace(changes: list[Change], a: m.Ruleset, b: m.Ruleset) -> list[Change]:
    """Fill `affects` for changes to items that indicators read."""
    uses_a, uses_b = uses_by_indicator(a), uses_by_indicator(b)
    traced = []
    for change in changes:
        if change.kind in _TRACED:
            ids = {*affected_by(uses_a, change.kind, change.id)}
            ids |= set(affected_by(uses_b, change.kind, change.id))
            change = replace(change, affects=", ".join(sorted(ids)))
        traced.append(change)
    return traced


def match_renames(a: Mapping[str, m.Indicator], b: Mapping[str, m.Indicator]) -> dict[str, str]:
    """Pairs (old id -> new id) of a removed and an added indicator linked by `aliases`."""
    removed = [i for i in a if i not in b]
    added = [i for i in b if i not in a]
    renamed: dict[str, str] = {}
    for new in added:
        for old in removed:
            linked = old in b[new].aliases or new in a[old].aliases
            if linked and old not in renamed and new not in renamed.values():
                renamed[old] = new
    return renamed


def _indicator_changes(
    a: Mapping[str, m.Indicator], b: Mapping[str, m.Indicator], renamed: dict[str, str]
) -> Iterator[Change]:
    new_ids = set(renamed.values())
    for old, new in renamed.items():
        yield Change("indicator", new, "renamed", "id", old, new)
    for indicator_id in a:
        if indicator_id not in b and indicator_id not in renamed:
            yield Change(
                "indicator", indicator_id, "removed", before=_indicator_text(a[indicator_id])
            )
    for indicator_id in b:
        if indicator_id not in a and indicator_id not in new_ids:
            yield Change("indicator", indicator_id, "added", after=_indicator_text(b[indicator_id]))
    pairs = [(i, i) for i in a if i in b] + list(renamed.items())
    for old, new in pairs:
        yield from _indicator_attribute_changes(a[old], b[new])


def _indicator_attribute_changes(old: m.Indicator, new: m.Indicator) -> Iterator[Change]:
    for attribute in _INDICATOR_ATTRIBUTES:
        before, after = getattr(old, attribute), getattr(new, attribute)
        if before != after:
            yield Change("indicator", new.id, "changed", attribute, _text(before), _text(after))
    for chain in ("denominator", "numerator"):
        yield from _step_changes(
            "indicator", new.id, chain, getattr(old, chain), getattr(new, chain)
        )


def _step_changes(
    kind: str, item: str, chain: str, old: tuple[m.Step, ...], new: tuple[m.Step, ...]
) -> Iterator[Change]:
    """One change per rule step whose description, condition or actions differ."""
    for number in range(1, max(len(old), len(new)) + 1):
        before = old[number - 1] if number <= len(old) else None
        after = new[number - 1] if number <= len(new) else None
        if before == after:
            continue
        what = "changed" if before and after else ("added" if after else "removed")
        texts = _step_pair_text(before, after)
        where = f"rule {number}" if chain == "rules" else f"{chain} rule {number}"
        yield Change(kind, item, what, where, *texts)


def _step_pair_text(before: m.Step | None, after: m.Step | None) -> tuple[str, str]:
    """Descriptions when they differ (or a side is missing); else the rule logic itself."""
    if before is None or after is None or before.description != after.description:
        return (before.description if before else "", after.description if after else "")
    return _step_logic(before), _step_logic(after)


def _step_logic(step: m.Step) -> str:
    return (
        f"when {condition_words(step.when)}: "
        f"{_action_text(step.if_true)} else {_action_text(step.if_false)}"
    )


def _action_text(action: m.Action) -> str:
    return f"reject {action.reason}" if action.reason else action.kind


def _register_changes(a: Mapping[str, m.Register], b: Mapping[str, m.Register]) -> Iterator[Change]:
    for register_id in sorted(a.keys() - b.keys()):
        yield Change("register", register_id, "removed", before=a[register_id].description)
    for register_id in sorted(b.keys() - a.keys()):
        yield Change("register", register_id, "added", after=b[register_id].description)
    for register_id in sorted(a.keys() & b.keys()):
        old, new = a[register_id], b[register_id]
        attributes = ("indicator", "points", "prevalence", "payment", "same_day_resolution")
        for attribute in (*attributes, "description"):
            before, after = getattr(old, attribute), getattr(new, attribute)
            if before != after:
                yield Change(
                    "register", register_id, "changed", attribute, _text(before), _text(after)
                )
        yield from _step_changes("register", register_id, "rules", old.rules, new.rules)


def _cluster_changes(a: Mapping[str, m.Cluster], b: Mapping[str, m.Cluster]) -> Iterator[Change]:
    for cluster_id in sorted(a.keys() - b.keys()):
        yield Change("cluster", cluster_id, "removed", "codes", f"{len(a[cluster_id].codes)} codes")
    for cluster_id in sorted(b.keys() - a.keys()):
        yield Change(
            "cluster", cluster_id, "added", "codes", after=f"{len(b[cluster_id].codes)} codes"
        )
    for cluster_id in sorted(a.keys() & b.keys()):
        old, new = a[cluster_id], b[cluster_id]
        if old.status != new.status:
            yield Change("cluster", cluster_id, "changed", "status", old.status, new.status)
        old_terms = dict(zip(old.codes, old.terms, strict=True))
        new_terms = dict(zip(new.codes, new.terms, strict=True))
        for code in [c for c in old.codes if c not in new_terms]:
            yield Change("cluster", cluster_id, "code_removed", code, before=old_terms[code])
        for code in [c for c in new.codes if c not in old_terms]:
            yield Change("cluster", cluster_id, "code_added", code, after=new_terms[code])


def _named_changes(
    kind: str, a: Mapping[str, Any], b: Mapping[str, Any], render: Callable[[Any], str]
) -> Iterator[Change]:
    """Added, removed and changed items of a name -> definition mapping."""
    for name in sorted(a.keys() - b.keys()):
        yield Change(kind, name, "removed", before=render(a[name]))
    for name in sorted(b.keys() - a.keys()):
        yield Change(kind, name, "added", after=render(b[name]))
    for name in sorted(a.keys() & b.keys()):
        before, after = render(a[name]), render(b[name])
        if before != after:
            yield Change(kind, name, "changed", "definition", before, after)


def _payment_changes(a: m.Payment, b: m.Payment) -> Iterator[Change]:
    for attribute in ("pound_per_point", "national_average_list_size"):
        before, after = getattr(a, attribute), getattr(b, attribute)
        if before != after:
            yield Change("payment", attribute, "changed", attribute, _text(before), _text(after))
    old, new = a.national_prevalence, b.national_prevalence
    for register in sorted(old.keys() | new.keys()):
        if old.get(register) != new.get(register):
            before, after = _text(old.get(register)), _text(new.get(register))
            yield Change("payment", register, "changed", "national_prevalence", before, after)


# ---- text forms (stable, so equal definitions give equal text) ---------------------------


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _indicator_text(indicator: m.Indicator) -> str:
    where = indicator.register or indicator.payment
    if indicator.lower is None or indicator.upper is None:
        band = "declared" if indicator.payment == "manual" else "thresholds unknown"
    else:
        band = f"{indicator.lower:g}-{indicator.upper:g}%"
    return f"{indicator.description} ({where}, {indicator.points:g} points, {band})"


def _field_text(field: m.Field) -> str:
    window = "".join(f", {b.op} {b.ref}" for b in field.bounds)
    value = "" if field.value == "lowest" else ", highest value"
    return f"{field.find} of {', '.join(field.clusters)}{window}{value}"


def _named_text(named: m.Named) -> str:
    return condition_words(named.condition)


def _reason_text(reason: m.Reason) -> str:
    return f"{reason.type}: {reason.description}"
