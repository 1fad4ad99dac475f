"""Read a ruleset's manifest (`ruleset.toml`): its keys, named dates and money, and the
`indicator_overrides` / `register_overrides` tables a child ruleset applies to inherited items."""

from __future__ import annotations

import tomllib
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

from qofcli.errors import RulesetError
from qofcli.ruleset import model as m
from qofcli.ruleset.parse import (
    REGISTER_PAYMENTS,
    flag,
    non_negative,
    payment_kind,
    same_day_resolution,
)

MANIFEST = "ruleset.toml"
MANIFEST_KEYS = frozenset(
    {
        "id",
        "title",
        "qof_year",
        "business_rules",
        "format_version",
        "notes",
        "dates",
        "payment",
        "extends",
        "remove_indicators",
        "indicator_overrides",
        "register_overrides",
    }
)
PAYMENT_KEYS = frozenset(
    {"pound_per_point", "national_average_list_size", "national_prevalence", "source"}
    | {"confidence", "national_prevalence_source", "national_prevalence_confidence"}
    | {"national_prevalence_year"}
)
INDICATOR_OVERRIDES = frozenset(
    {"points", "lower", "upper", "description", "confidence", "source"}
    | {"prevalence_adjusted", "payment"}
)
REGISTER_OVERRIDES = frozenset(
    {"points", "payment", "prevalence_adjusted", "description", "confidence", "source"}
    | {"same_day_resolution"}
)


def read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError:
        raise RulesetError(f"{path}: no ruleset manifest here") from None
    except tomllib.TOMLDecodeError as exc:
        raise RulesetError(f"{path}: not valid TOML ({exc})") from None


def parse_dates(raw: dict[str, Any], where: Path) -> dict[str, date]:
    dates: dict[str, date] = {}
    for name, value in raw.items():
        if isinstance(value, date):
            dates[name] = value
            continue
        try:
            dates[name] = date.fromisoformat(str(value))
        except ValueError:
            raise RulesetError(f"{where}: date {name} = {value!r} is not YYYY-MM-DD") from None
    return dates


def parse_payment(raw: dict[str, Any] | None, base: m.Payment, where: Path) -> m.Payment:
    """[payment] keys merge over the parent's; national_prevalence merges register by register."""
    if not raw:
        return base
    unknown = set(raw) - PAYMENT_KEYS
    if unknown:
        raise RulesetError(f"{where}: [payment] has unknown keys {sorted(unknown)}")
    changes = dict(raw)
    for key in ("pound_per_point", "national_average_list_size"):
        if key in changes:
            changes[key] = _positive(changes[key], f"{where}: [payment] {key}")
    if "national_prevalence" in changes:
        table = changes["national_prevalence"]
        if not isinstance(table, dict):
            raise RulesetError(f"{where}: [payment.national_prevalence] must map registers to %")
        merged = dict(base.national_prevalence)
        for register, percent in table.items():
            at = f"{where}: [payment.national_prevalence] {register}"
            merged[str(register)] = _percent(percent, at)
        changes["national_prevalence"] = merged
    return replace(base, **changes)


def _positive(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        raise RulesetError(f"{where} must be a positive number, got {value!r}")
    return float(value)


def _percent(value: Any, where: str) -> float:
    number = _positive(value, where)
    if number > 100:
        raise RulesetError(f"{where} is a percentage of the list (0-100], got {value!r}")
    return number


def apply_indicator_overrides(
    indicators: dict[str, m.Indicator], raw: dict[str, Any], where: Path
) -> None:
    """`[indicator_overrides.ID]`: points, thresholds and payment of an inherited indicator."""
    for indicator_id, changes, at in _overrides(indicators, raw, where, "indicator"):
        indicators[indicator_id] = replace(
            indicators[indicator_id], **_checked(changes, INDICATOR_OVERRIDES, m.PAYMENTS, at)
        )


def apply_register_overrides(
    registers: dict[str, m.Register], raw: dict[str, Any], where: Path
) -> None:
    """`[register_overrides.ID]`: register points and how they are paid, without a copy."""
    for register_id, changes, at in _overrides(registers, raw, where, "register"):
        changes = _checked(changes, REGISTER_OVERRIDES, REGISTER_PAYMENTS, at)
        if "points" in changes:
            changes = {**changes, "points": non_negative(changes["points"], f"{at}: points")}
        if "same_day_resolution" in changes:
            same_day_resolution(changes, at)
        registers[register_id] = replace(registers[register_id], **changes)


def _overrides(
    items: dict[str, Any], raw: dict[str, Any], where: Path, kind: str
) -> list[tuple[str, Any, str]]:
    """(id, changes, where) of each `[<kind>_overrides.ID]` table, its id checked."""
    out = []
    for item_id, changes in raw.items():
        if item_id not in items:
            raise RulesetError(f"{where}: {kind}_overrides names unknown {item_id!r}")
        out.append((item_id, changes, f"{where}: {kind}_overrides.{item_id}"))
    return out


def _checked(changes: Any, allowed: frozenset[str], payments: Any, where: str) -> dict[str, Any]:
    """The changes of one override table, with the keys and values every override shares."""
    _check_override_keys(changes, allowed, where)
    if "prevalence_adjusted" in changes:
        flag(changes, "prevalence_adjusted", True, where)
    if "payment" in changes:
        payment_kind(changes, payments, where)
    return dict(changes)


def _check_override_keys(changes: Any, allowed: frozenset[str], where: str) -> None:
    if not isinstance(changes, dict):
        raise RulesetError(f"{where}: expected a table of changes")
    unknown = set(changes) - allowed
    if unknown:
        raise RulesetError(f"{where}: cannot override {sorted(unknown)}")
