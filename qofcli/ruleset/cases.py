"""Patient cases beside the rules: `rulesets/<id>/cases/*.yaml` (format: rulesets/README.md).

A case is one small patient (dates written relative to the ruleset's named dates) and what the
rules must make of them. This module loads and checks case files, resolves their dates against
a ruleset, and works out which cases a child ruleset inherits from its parent: all of them,
re-dated by the child's own dates, except those whose expected indicators or registers the
child changes or removes, and those the child's own files replace (same id).
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import yaml

from qofcli.errors import RulesetError
from qofcli.ruleset import model as m
from qofcli.ruleset.catalogue import find_ruleset_dir
from qofcli.ruleset.dependencies import register_uses, uses_by_indicator
from qofcli.ruleset.diff import diff_rulesets
from qofcli.ruleset.loader import load_ruleset

CASES_DIR = "cases"
INDICATOR_STATUSES = ("achieved", "not_achieved", "pca", "excluded", "no_row")
REGISTER_STATUSES = ("on", "off")
_WITH_REASON = ("pca", "excluded")
_FILE_KEYS = frozenset({"patient", "register_indicators", "cases"})
_PATIENT_KEYS = ("dob", "sex", "registration", "deregistration", "death", "practice", "events")
_CASE_KEYS = frozenset({"id", "why", "as_of", "expect", "on_register", *_PATIENT_KEYS})
_EVENT_KEYS = frozenset({"cluster", "date", "value", "also", "prefer", "code"})
_CASE_DATES = ("ACHV", "DOB")  # named per case: the achievement date, the date of birth
_DEFAULTS: dict[str, Any] = {"sex": "M", "practice": "A00001"}
_UNITS = {"day": "days", "days": "days", "month": "months", "months": "months"}
_UNITS |= {"year": "years", "years": "years"}
_BASE = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*|\d{4}-\d{2}-\d{2})")
_TERM = re.compile(r"\s*([+-])\s*(\d+)\s*([a-z]+)")
# Indicator attributes that change no patient's result (payment only).
_PAYMENT_ATTRIBUTES = frozenset({"points", "lower", "upper", "description", "group", "payment"})
_REGISTER_RESULT_ATTRIBUTES = frozenset({"same_day_resolution"})


class CaseError(RulesetError):
    """A case file that cannot be read: the message names the file and the case."""


@dataclass(frozen=True)
class DateExpr:
    """`PPED - 11 months + 3 days`: a named date (or ISO date) shifted term by term."""

    text: str
    base: str
    terms: tuple[tuple[int, str], ...] = ()

    def resolve(self, named: Mapping[str, date]) -> date:
        day = date.fromisoformat(self.base) if self.base[0].isdigit() else named[self.base]
        for amount, unit in self.terms:
            day = shift(day, amount, unit)
        return day

    def __str__(self) -> str:
        return self.text


def shift(day: date, amount: int, unit: str) -> date:
    """Calendar arithmetic as the rules use it: month ends clamp (31 Aug - 6 months = 28 Feb)."""
    if unit == "days":
        return day + timedelta(days=amount)
    total = day.year * 12 + day.month - 1 + amount * (12 if unit == "years" else 1)
    year, month = divmod(total, 12)
    return date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def parse_date_expr(text: Any, where: str) -> DateExpr:
    """Parse `NAME`, `NAME - 3 months + 1 day` or `2015-01-01` (terms apply left to right)."""
    if isinstance(text, date):
        return DateExpr(text.isoformat(), text.isoformat())
    raw = str(text)
    base = _BASE.match(raw)
    if base is None:
        raise CaseError(f"{where}: date {raw!r} must start with a named date or YYYY-MM-DD")
    terms, rest = [], raw[base.end() :]
    while rest.strip():
        term = _TERM.match(rest)
        if term is None or term.group(3) not in _UNITS:
            raise CaseError(f"{where}: cannot read {rest.strip()!r} in date {raw!r}")
        sign = -1 if term.group(1) == "-" else 1
        terms.append((sign * int(term.group(2)), _UNITS[term.group(3)]))
        rest = rest[term.end() :]
    if base.group(1)[0].isdigit():
        try:
            date.fromisoformat(base.group(1))
        except ValueError:
            raise CaseError(f"{where}: {base.group(1)!r} is not a date") from None
    return DateExpr(raw.strip(), base.group(1), tuple(terms))


@dataclass(frozen=True)
class CaseEvent:
    """One coded record: a code of `cluster` (first shipped of `A|B`), also a member of every
    `also` cluster, `prefer` codes first, or the literal `code`."""

    cluster: str
    date: DateExpr
    value: float | None = None
    also: tuple[str, ...] = ()
    prefer: tuple[str, ...] = ()
    code: str | None = None

    def cluster_names(self) -> tuple[str, ...]:
        return (*self.cluster.split("|"), *self.also)


@dataclass(frozen=True)
class Expectation:
    """An indicator status (`no_row`: not on its register) or a register's `on`/`off`."""

    status: str
    reason: str | None = None

    def __str__(self) -> str:
        return f"{self.status} {self.reason}" if self.reason else self.status


@dataclass(frozen=True)
class Case:
    id: str
    why: str
    file: str  # where the case is written (a path), for messages
    dob: DateExpr
    registration: DateExpr
    sex: str = "M"
    practice: str = "A00001"
    deregistration: DateExpr | None = None
    death: DateExpr | None = None
    events: tuple[CaseEvent, ...] = ()
    as_of: DateExpr | None = None
    expect: dict[str, Expectation] = field(default_factory=dict)
    on_register: bool | None = None  # a row for each of register_indicators (True) or none
    register_indicators: tuple[str, ...] = ()

    def items(self) -> set[str]:
        """The indicators and registers whose result the case states."""
        checked = set(self.register_indicators) if self.on_register is not None else set()
        return set(self.expect) | checked

    def named_dates(self, ruleset: m.Ruleset) -> dict[str, date]:
        """The ruleset's named dates, ACHV (the case's `as_of`, else PPED) and DOB (the
        patient's date of birth, for rules that count days of age)."""
        named = dict(ruleset.dates)
        named["ACHV"] = self.as_of.resolve(named) if self.as_of else ruleset.period_end
        named["DOB"] = self.dob.resolve(named)
        return named


@dataclass(frozen=True)
class CaseSet:
    """The cases a ruleset runs, and the parent cases it does not inherit (id -> why not)."""

    ruleset: m.Ruleset
    cases: tuple[Case, ...]
    not_inherited: dict[str, str] = field(default_factory=dict)

    def select(self, ids: Sequence[str]) -> CaseSet:
        """Cases whose id, file name or an expected indicator/register is one of `ids`."""
        if not ids:
            return self
        unmatched = [i for i in ids if not any(_matches(c, i) for c in self.cases)]
        if unmatched:
            dropped = [
                f"{i} is not inherited ({self.not_inherited[i]})"
                for i in unmatched
                if i in self.not_inherited
            ]
            raise CaseError(
                f"no case of {self.ruleset.id} matches {', '.join(unmatched)}: give a case id, "
                "a case file name or an indicator/register id" + "".join(f"; {d}" for d in dropped)
            )
        chosen = tuple(c for c in self.cases if any(_matches(c, i) for i in ids))
        return CaseSet(self.ruleset, chosen, self.not_inherited)


def _matches(case: Case, wanted: str) -> bool:
    return wanted in (case.id, Path(case.file).stem) or wanted in case.items()


# ---- loading ---------------------------------------------------------------------------


def load_cases(ruleset: m.Ruleset) -> CaseSet:
    """The ruleset's own cases plus those it inherits from the rulesets it extends."""
    own = read_case_folder(Path(ruleset.path) / CASES_DIR)
    if not ruleset.extends:
        cases = tuple(own)
        not_inherited: dict[str, str] = {}
    else:
        parent = load_ruleset(find_ruleset_dir(ruleset.extends, relative_to=Path(ruleset.path)))
        inherited, not_inherited = inherit(load_cases(parent), ruleset, {c.id for c in own})
        cases = (*own, *inherited)
    check_cases(cases, ruleset)
    return CaseSet(ruleset, cases, not_inherited)


def read_case_folder(folder: Path) -> list[Case]:
    cases: list[Case] = []
    for path in sorted(folder.glob("*.yaml")) if folder.is_dir() else ():
        cases.extend(read_case_file(path))
    _unique_ids(cases)
    return cases


def read_case_file(path: Path) -> list[Case]:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise CaseError(f"{path}: cannot read case file ({exc})") from None
    if not isinstance(raw, dict) or not isinstance(raw.get("cases"), list):
        raise CaseError(f"{path}: a case file is a mapping with a 'cases' list")
    _unknown_keys(raw, _FILE_KEYS, str(path))
    defaults = raw.get("patient") or {}
    if not isinstance(defaults, dict):
        raise CaseError(f"{path}: 'patient' must be a mapping of defaults")
    _unknown_keys(defaults, frozenset(_PATIENT_KEYS), f"{path}: patient")
    register_indicators = tuple(str(i) for i in raw.get("register_indicators") or ())
    return [_parse_case(item, defaults, register_indicators, path) for item in raw["cases"]]


def _parse_case(
    raw: Any, defaults: dict[str, Any], register_indicators: tuple[str, ...], path: Path
) -> Case:
    if not isinstance(raw, dict) or not raw.get("id"):
        raise CaseError(f"{path}: every case is a mapping with an 'id'")
    where = f"{path}: case {raw['id']}"
    _unknown_keys(raw, _CASE_KEYS, where)
    if not raw.get("why"):
        raise CaseError(f"{where}: 'why' (the rule and the reasoning) is required")
    merged = {**_DEFAULTS, **defaults, **{k: v for k, v in raw.items() if k != "events"}}
    for required in ("dob", "registration"):
        if merged.get(required) is None:
            raise CaseError(f"{where}: no {required!r} (give it in the case or in 'patient')")
    on_register = raw.get("on_register")
    if on_register is not None and not register_indicators:
        raise CaseError(f"{where}: 'on_register' needs the file's 'register_indicators'")
    events = [*(defaults.get("events") or ()), *(raw.get("events") or ())]
    return Case(
        id=str(raw["id"]),
        why=str(raw["why"]),
        file=str(path),
        dob=parse_date_expr(merged["dob"], f"{where}: dob"),
        registration=parse_date_expr(merged["registration"], f"{where}: registration"),
        sex=str(merged["sex"]),
        practice=str(merged["practice"]),
        deregistration=_optional_date(merged.get("deregistration"), f"{where}: deregistration"),
        death=_optional_date(merged.get("death"), f"{where}: death"),
        events=tuple(_parse_event(e, f"{where}: event {n}") for n, e in enumerate(events, 1)),
        as_of=_optional_date(raw.get("as_of"), f"{where}: as_of"),
        expect=_parse_expect(raw.get("expect") or {}, where),
        on_register=None if on_register is None else bool(on_register),
        register_indicators=register_indicators if on_register is not None else (),
    )


def _optional_date(value: Any, where: str) -> DateExpr | None:
    return None if value is None else parse_date_expr(value, where)


def _parse_event(raw: Any, where: str) -> CaseEvent:
    if not isinstance(raw, dict) or "cluster" not in raw or "date" not in raw:
        raise CaseError(f"{where}: an event needs 'cluster' and 'date'")
    _unknown_keys(raw, _EVENT_KEYS, where)
    value = raw.get("value")
    if value is not None and not isinstance(value, int | float):
        raise CaseError(f"{where}: value {value!r} is not a number")
    return CaseEvent(
        cluster=str(raw["cluster"]),
        date=parse_date_expr(raw["date"], where),
        value=None if value is None else float(value),
        also=_names(raw.get("also")),
        prefer=_names(raw.get("prefer")),
        code=None if raw.get("code") is None else str(raw["code"]),
    )


def _names(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    return (str(value),) if isinstance(value, str | int) else tuple(str(v) for v in value)


def _parse_expect(raw: Any, where: str) -> dict[str, Expectation]:
    if not isinstance(raw, dict):
        raise CaseError(f"{where}: 'expect' maps an indicator or register id to a status")
    expect = {}
    for item, text in raw.items():
        if isinstance(text, bool):  # YAML 1.1 reads a plain on/off as a boolean
            text = "on" if text else "off"
        words = str(text).split()
        status, reason = words[0] if words else "", " ".join(words[1:]) or None
        if status not in (*INDICATOR_STATUSES, *REGISTER_STATUSES):
            raise CaseError(
                f"{where}: {item}: {text!r} is not one of {', '.join(INDICATOR_STATUSES)} "
                f"(indicators) or on, off (registers)"
            )
        if (status in _WITH_REASON) != (reason is not None):
            raise CaseError(f"{where}: {item}: pca and excluded (only) take a REASON: {text!r}")
        expect[str(item)] = Expectation(status, reason)
    return expect


def _unknown_keys(raw: dict[str, Any], known: frozenset[str], where: str) -> None:
    unknown = sorted(str(k) for k in raw if k not in known)
    if unknown:
        raise CaseError(f"{where}: unknown key {', '.join(unknown)}; known: {', '.join(known)}")


def _unique_ids(cases: Iterable[Case]) -> None:
    seen: dict[str, str] = {}
    for case in cases:
        if case.id in seen:
            raise CaseError(f"{case.file}: case {case.id} is also in {seen[case.id]}")
        seen[case.id] = case.file


def check_cases(cases: Iterable[Case], ruleset: m.Ruleset) -> None:
    """Every id a case names exists in the ruleset, and every date resolves."""
    for case in cases:
        where = f"{case.file}: case {case.id}"
        for item, want in case.expect.items():
            _check_item(ruleset, item, want, where)
        for item in case.register_indicators:
            if item not in ruleset.indicators:
                raise CaseError(f"{where}: register_indicators: unknown indicator {item}")
        for event in case.events:
            for name in event.cluster_names() if event.code is None else ():
                if name not in ruleset.clusters:
                    raise CaseError(f"{where}: unknown cluster {name} in {ruleset.id}")
        for expr in _dates(case):
            if not expr.base[0].isdigit() and expr.base not in {*ruleset.dates, *_CASE_DATES}:
                known = ", ".join([*ruleset.dates, *_CASE_DATES])
                raise CaseError(f"{where}: unknown date name {expr.base} (known: {known})")
        if case.as_of is not None and case.as_of.base in _CASE_DATES:
            raise CaseError(f"{where}: as_of is written from the ruleset's dates, not ACHV/DOB")
        if case.dob.base == "DOB":
            raise CaseError(f"{where}: dob cannot be written from DOB")


def _check_item(ruleset: m.Ruleset, item: str, want: Expectation, where: str) -> None:
    if item in ruleset.registers:
        if want.status not in REGISTER_STATUSES:
            raise CaseError(f"{where}: {item} is a register: expect on or off")
    elif item in ruleset.indicators:
        if want.status not in INDICATOR_STATUSES:
            raise CaseError(f"{where}: {item} is an indicator: expect {INDICATOR_STATUSES}")
    elif want.status != "no_row":  # no_row may name a retired id: it has no rows
        raise CaseError(f"{where}: unknown indicator or register {item} in {ruleset.id}")


def _dates(case: Case) -> list[DateExpr]:
    found = [case.dob, case.registration, *(e.date for e in case.events)]
    return found + [d for d in (case.deregistration, case.death, case.as_of) if d is not None]


# ---- inheritance -----------------------------------------------------------------------


def inherit(
    parent: CaseSet, child: m.Ruleset, replaced: set[str]
) -> tuple[list[Case], dict[str, str]]:
    """The parent's cases the child runs, and why each other one is not inherited."""
    changed = changed_items(parent.ruleset, child)
    kept: list[Case] = []
    dropped = dict(parent.not_inherited)
    for case in parent.cases:
        hit = sorted(case.items() & changed.keys())
        if case.id in replaced:
            dropped[case.id] = f"replaced by {child.id}'s own case"
        elif hit:
            dropped[case.id] = "; ".join(f"{item} {changed[item]}" for item in hit)
        else:
            kept.append(case)
    return kept, dropped


def changed_items(parent: m.Ruleset, child: m.Ruleset) -> dict[str, str]:
    """Indicators and registers whose patients' results the child may decide differently
    (id -> what changed): removed or redefined ones, and those reading a changed field,
    condition, cluster, reason or register. Points, thresholds and payment do not count."""
    found: dict[str, str] = {}
    item_uses = {
        **uses_by_indicator(parent),
        **uses_by_indicator(child),
    }
    for ruleset in (parent, child):
        for register_id in ruleset.registers:
            item_uses.setdefault(register_id, set()).update(register_uses(ruleset, register_id))
    for change in diff_rulesets(parent, child).changes:
        if change.kind == "indicator" and change.attribute not in _PAYMENT_ATTRIBUTES:
            found.setdefault(change.id, f"{change.change} in {child.id}")
            if change.change == "renamed":
                found.setdefault(change.before, f"renamed to {change.after} in {child.id}")
        elif change.kind == "register" and _register_result_change(change):
            found.setdefault(change.id, f"{change.change} in {child.id}")
        if change.kind in ("register", "cluster", "field", "condition", "reason"):
            if change.kind == "register" and not _register_result_change(change):
                continue
            for item, uses in item_uses.items():
                if (change.kind, change.id) in uses:
                    found.setdefault(item, f"reads {change.kind} {change.id}, changed")
    return found


def _register_result_change(change: Any) -> bool:
    """Register changes that can move a patient on or off (not points or prevalence)."""
    if change.change != "changed":
        return True
    return change.attribute in _REGISTER_RESULT_ATTRIBUTES or change.attribute.startswith("rule")
