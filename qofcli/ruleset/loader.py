"""Load a ruleset folder (manifest, YAML rules, cluster CSVs) into the model, applying `extends`.

Every problem raises RulesetError naming the file and the item, e.g.
`rulesets/x/indicators/DM020.yaml: denominator rule 3: unknown field 'IFCHBA'`.
"""

from __future__ import annotations

import csv
import re
import tomllib
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any, Literal, cast

import yaml

from qofcli.errors import RulesetError
from qofcli.ruleset import model as m
from qofcli.ruleset.catalogue import find_ruleset_dir
from qofcli.ruleset.checks import check_ruleset
from qofcli.ruleset.snomed import is_valid_sctid

MANIFEST = "ruleset.toml"
MISSING = "missing"
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
REGISTER_KEYS = frozenset(
    {"id", "description", "rules", "indicator", "points", "prevalence", "age_rule"}
    | {"source", "confidence", "payment", "prevalence_adjusted", "same_day_resolution"}
)
INDICATOR_KEYS = frozenset(
    {"id", "description", "group", "register", "points", "thresholds", "aliases"}
    | {"denominator", "numerator", "source", "confidence", "prevalence_adjusted", "payment"}
    | {"prevalence_register", "improvement"}
)
IMPROVEMENT_KEYS = frozenset({"lower_above_baseline", "upper", "confidence", "source"})
INDICATOR_OVERRIDES = frozenset(
    {"points", "lower", "upper", "description", "confidence", "source"}
    | {"prevalence_adjusted", "payment"}
)
REGISTER_OVERRIDES = frozenset(
    {"points", "payment", "prevalence_adjusted", "description", "confidence", "source"}
    | {"same_day_resolution"}
)
REGISTER_PAYMENTS = ("achievement", "protected")
_DATE_REF = re.compile(
    r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*(?:([+-])\s*(\d+)\s*(day|days|month|months|year|years))?\s*$"
)


def load_ruleset(id_or_path: str | Path) -> m.Ruleset:
    """Find a ruleset by id or folder path, load it and everything it extends, and check it.

    Loaded rulesets are kept for the life of the process, keyed by their files' paths, sizes
    and modification times (``qof diff`` loads a chain twice; tests load the same years often).
    Treat the result as read-only.
    """
    folder = find_ruleset_dir(id_or_path)
    key = (folder, _fingerprint(folder))
    ruleset = _LOADED.get(key)
    if ruleset is None:
        ruleset = _load_folder(folder, seen=())
        check_ruleset(ruleset)
        _LOADED[key] = ruleset
    return ruleset


_LOADED: dict[tuple[Path, tuple[tuple[str, int, int], ...]], m.Ruleset] = {}


def _fingerprint(folder: Path) -> tuple[tuple[str, int, int], ...]:
    """Every file the folder and its parents' folders hold, with size and mtime."""
    stats = []
    for current in _extends_chain(folder):
        for path in sorted(current.rglob("*")):
            if path.is_file():
                info = path.stat()
                stats.append((str(path), info.st_size, info.st_mtime_ns))
    return tuple(stats)


def _extends_chain(folder: Path) -> list[Path]:
    """The folder and the folders it extends (stops quietly at a loop; loading reports it)."""
    chain = [folder]
    while True:
        try:
            parent = _read_toml(chain[-1] / MANIFEST).get("extends")
            if not parent:
                return chain
            found = find_ruleset_dir(parent, relative_to=chain[-1])
        except RulesetError:
            return chain
        if found in chain:
            return chain
        chain.append(found)


def _load_folder(folder: Path, seen: tuple[Path, ...]) -> m.Ruleset:
    if folder in seen:
        raise RulesetError(f"{folder / MANIFEST}: 'extends' forms a cycle")
    manifest = _read_toml(folder / MANIFEST)
    parent_id = manifest.get("extends")
    base = (
        _load_folder(find_ruleset_dir(parent_id, relative_to=folder), (*seen, folder))
        if parent_id
        else None
    )
    return _overlay(base, folder, manifest)


def _overlay(base: m.Ruleset | None, folder: Path, manifest: dict[str, Any]) -> m.Ruleset:
    where = folder / MANIFEST
    _reject_unknown(manifest, MANIFEST_KEYS, where)
    ruleset_id = _require(manifest, "id", where)
    dates = dict(base.dates) if base else {}
    dates.update(_parse_dates(manifest.get("dates", {}), where))
    for needed in ("PPSD", "PPED"):
        if needed not in dates:
            raise RulesetError(f"{where}: [dates] must define {needed}")
    payment = _parse_payment(manifest.get("payment"), base.payment if base else m.Payment(), where)

    clusters = dict(base.clusters) if base else {}
    clusters.update(_load_clusters(folder / "clusters"))
    fields = dict(base.fields) if base else {}
    fields.update(_load_named(folder, "fields", _parse_field))
    conditions = dict(base.conditions) if base else {}
    conditions.update(_load_named(folder, "conditions", _parse_named_condition))
    reasons = dict(base.reasons) if base else {}
    reasons.update(_load_named(folder, "reasons", _parse_reason))
    registers = dict(base.registers) if base else {}
    registers.update(_load_items(folder / "registers", _parse_register))
    indicators = dict(base.indicators) if base else {}
    indicators.update(_load_items(folder / "indicators", _parse_indicator))
    value_ranges = dict(base.value_ranges) if base else {}
    value_ranges.update(_load_named(folder, "value_ranges", _parse_value_range))

    for removed in manifest.get("remove_indicators", []):
        if removed not in indicators:
            raise RulesetError(f"{where}: remove_indicators names unknown indicator {removed!r}")
        del indicators[removed]
    _apply_overrides(indicators, manifest.get("indicator_overrides", {}), where)
    _apply_register_overrides(registers, manifest.get("register_overrides", {}), where)

    return m.Ruleset(
        id=ruleset_id,
        title=manifest.get("title", ruleset_id),
        qof_year=str(manifest.get("qof_year", base.qof_year if base else "")),
        business_rules=str(manifest.get("business_rules", base.business_rules if base else "")),
        dates=dates,
        payment=payment,
        fields=fields,
        conditions=conditions,
        reasons=reasons,
        registers=registers,
        indicators=indicators,
        clusters=clusters,
        path=str(folder),
        extends=manifest.get("extends"),
        notes=tuple(manifest.get("notes", ())),
        value_ranges=value_ranges,
    )


# ---- manifest ---------------------------------------------------------------------------


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError:
        raise RulesetError(f"{path}: no ruleset manifest here") from None
    except tomllib.TOMLDecodeError as exc:
        raise RulesetError(f"{path}: not valid TOML ({exc})") from None


def _reject_unknown(mapping: dict[Any, Any], known: frozenset[str], where: Path | str) -> None:
    unknown = set(mapping) - known
    if unknown:
        raise RulesetError(f"{where}: unknown keys {sorted(map(str, unknown))}")


def _require(mapping: dict[str, Any], key: str, where: Path | str) -> Any:
    if key not in mapping:
        raise RulesetError(f"{where}: missing required key {key!r}")
    return mapping[key]


def _parse_dates(raw: dict[str, Any], where: Path) -> dict[str, date]:
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


PAYMENT_KEYS = frozenset(
    {"pound_per_point", "national_average_list_size", "national_prevalence", "source"}
    | {"confidence", "national_prevalence_source", "national_prevalence_confidence"}
    | {"national_prevalence_year"}
)


def _parse_payment(raw: dict[str, Any] | None, base: m.Payment, where: Path) -> m.Payment:
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


def _apply_overrides(indicators: dict[str, m.Indicator], raw: dict[str, Any], where: Path) -> None:
    for indicator_id, changes in raw.items():
        if indicator_id not in indicators:
            raise RulesetError(f"{where}: indicator_overrides names unknown {indicator_id!r}")
        at = f"{where}: indicator_overrides.{indicator_id}"
        _check_override_keys(changes, INDICATOR_OVERRIDES, at)
        if "prevalence_adjusted" in changes:
            _flag(changes, "prevalence_adjusted", True, at)
        if "payment" in changes:
            _payment_kind(changes, m.PAYMENTS, at)
        indicators[indicator_id] = replace(indicators[indicator_id], **changes)


def _apply_register_overrides(
    registers: dict[str, m.Register], raw: dict[str, Any], where: Path
) -> None:
    """`[register_overrides.ID]`: register points and how they are paid, without a copy."""
    for register_id, changes in raw.items():
        if register_id not in registers:
            raise RulesetError(f"{where}: register_overrides names unknown {register_id!r}")
        at = f"{where}: register_overrides.{register_id}"
        _check_override_keys(changes, REGISTER_OVERRIDES, at)
        if "points" in changes:
            changes = {**changes, "points": _non_negative(changes["points"], f"{at}: points")}
        if "prevalence_adjusted" in changes:
            _flag(changes, "prevalence_adjusted", True, at)
        if "payment" in changes:
            _payment_kind(changes, REGISTER_PAYMENTS, at)
        if "same_day_resolution" in changes:
            _same_day_resolution(changes, at)
        registers[register_id] = replace(registers[register_id], **changes)


def _check_override_keys(changes: Any, allowed: frozenset[str], where: str) -> None:
    if not isinstance(changes, dict):
        raise RulesetError(f"{where}: expected a table of changes")
    unknown = set(changes) - allowed
    if unknown:
        raise RulesetError(f"{where}: cannot override {sorted(unknown)}")


def _non_negative(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise RulesetError(f"{where} must be a number >= 0, got {value!r}")
    return float(value)


def _payment_kind(raw: dict[str, Any], allowed: tuple[str, ...], where: str) -> str:
    value = raw.get("payment", "achievement")
    if value not in allowed:
        raise RulesetError(f"{where}: payment must be one of {', '.join(allowed)}, got {value!r}")
    return str(value)


# ---- clusters ---------------------------------------------------------------------------


def _load_clusters(folder: Path) -> dict[str, m.Cluster]:
    if not folder.is_dir():
        return {}
    sources = _read_sources(folder / "SOURCES.csv")
    clusters: dict[str, m.Cluster] = {}
    for path in sorted(folder.glob("*.csv")):
        if path.name == "SOURCES.csv":
            continue
        cluster_id = path.stem
        codes, terms = _read_cluster_csv(path)
        status, source = sources.get(cluster_id, ("", ""))
        clusters[cluster_id] = m.Cluster(cluster_id, codes, terms, status, source)
    for cluster_id, (status, source) in sources.items():
        if status == MISSING and cluster_id not in clusters:
            # Named by the business rules but in no public source: the rules keep it, it matches
            # nothing until the official release is imported (`qof clusters import`).
            clusters[cluster_id] = m.Cluster(cluster_id, (), (), status, source)
    return clusters


def _read_sources(path: Path) -> dict[str, tuple[str, str]]:
    if not path.exists():
        return {}
    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    return {
        row["cluster"]: (row.get("status", ""), f"{row.get('repo', '')}/{row.get('path', '')}")
        for row in rows
    }


def _read_cluster_csv(path: Path) -> tuple[tuple[str, ...], tuple[str, ...]]:
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle)
        header = next(reader, None)
        if header is None or [h.strip().lower() for h in header[:2]] != ["code", "term"]:
            raise RulesetError(f"{path}: cluster CSV must start with the header 'code,term'")
        rows = [(row[0].strip(), row[1].strip() if len(row) > 1 else "") for row in reader if row]
    if not rows:
        raise RulesetError(f"{path}: cluster has no codes")
    codes = tuple(r[0] for r in rows)
    if len(set(codes)) != len(codes):
        raise RulesetError(f"{path}: cluster lists a code twice")
    bad = [n for n, code in enumerate(codes, start=2) if not is_valid_sctid(code)]
    if bad:
        # e.g. 1.23E+15 from a spreadsheet: the cluster would silently match nobody.
        lines = ", ".join(str(n) for n in bad[:5]) + (", ..." if len(bad) > 5 else "")
        raise RulesetError(
            f"{path}: {len(bad)} code(s) are not SNOMED CT concept ids (line {lines}); "
            "restore the digits (a spreadsheet may have turned them into 1.23E+15)"
        )
    return codes, tuple(r[1] for r in rows)


_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

# ---- YAML items -------------------------------------------------------------------------


def _read_yaml(path: Path) -> Any:
    try:
        with path.open(encoding="utf-8") as handle:
            # libyaml's safe loader reads a full ruleset about 5x faster than pure Python
            return yaml.load(handle, Loader=_SAFE_LOADER)  # noqa: S506 (a safe loader)
    except yaml.YAMLError as exc:
        raise RulesetError(f"{path}: not valid YAML ({exc})") from None


def _load_named(folder: Path, kind: str, parse: Any) -> dict[str, Any]:
    """Definitions from `KIND.yaml` and/or `KIND/*.yaml` (one file per domain); a name may be
    defined once per ruleset (a child ruleset may redefine its parent's)."""
    paths = [folder / f"{kind}.yaml"] + sorted((folder / kind).glob("*.yaml"))
    found: dict[str, Any] = {}
    origin: dict[str, Path] = {}
    for path in (p for p in paths if p.is_file()):
        raw = _read_yaml(path) or {}
        if not isinstance(raw, dict):
            raise RulesetError(f"{path}: expected a mapping of names to definitions")
        for name, body in raw.items():
            if name in found:
                raise RulesetError(f"{path}: {name} is already defined in {origin[name]}")
            found[name] = parse(str(name), body, f"{path}: {name}")
            origin[name] = path
    return found


def _load_items(folder: Path, parse: Any) -> dict[str, Any]:
    items: dict[str, Any] = {}
    if not folder.is_dir():
        return items
    for path in sorted(folder.rglob("*.yaml")):
        raw = _read_yaml(path)
        if not isinstance(raw, dict):
            raise RulesetError(f"{path}: expected a mapping")
        item = parse(raw, str(path))
        if item.id in items:
            raise RulesetError(f"{path}: duplicate id {item.id!r}")
        items[item.id] = item
    return items


def parse_date_ref(text: Any, where: str) -> m.DateRef:
    """Parse `NAME`, `NAME - 12 months`, `FIELD + 7 days`."""
    match = _DATE_REF.match(str(text))
    if not match:
        raise RulesetError(f"{where}: {text!r} is not a date reference like 'PPED - 12 months'")
    name, sign, amount, unit = match.groups()
    if sign is None:
        return m.DateRef(name)
    signed = int(amount) if sign == "+" else -int(amount)
    unit = unit if unit.endswith("s") else unit + "s"
    return m.DateRef(name, m.Offset(signed, unit))  # type: ignore[arg-type]


def _parse_field(name: str, body: Any, where: str) -> m.Field:
    if not isinstance(body, dict):
        raise RulesetError(f"{where}: expected a mapping")
    finds = [k for k in ("latest", "earliest", "count") if k in body]
    if len(finds) != 1:
        raise RulesetError(f"{where}: a field needs exactly one of 'latest', 'earliest' or 'count'")
    find = finds[0]
    clusters = _as_names(body[find], where)
    bounds = tuple(
        m.Bound(op, parse_date_ref(body[op], where))  # type: ignore[arg-type]
        for op in m.DATE_OPS
        if op in body
    )
    unknown = set(body) - {find, *_FIELD_OPTIONS, *m.DATE_OPS}
    if unknown:
        raise RulesetError(f"{where}: unknown keys {sorted(map(str, unknown))}")
    value = body.get("value", "lowest")
    if value not in ("lowest", "highest"):
        raise RulesetError(f"{where}: value must be 'lowest' or 'highest'")
    description = str(body.get("description", ""))
    flags = {key: _flag(body, key, False, where) for key in ("with_value", "all_clusters")}
    prefer = _as_names(body["prefer"], f"{where}: prefer") if "prefer" in body else ()
    if set(prefer) - set(clusters):
        raise RulesetError(f"{where}: prefer may only list the field's own clusters")
    kind = cast(Literal["latest", "earliest", "count"], find)
    return m.Field(name, kind, clusters, bounds, value, description, where, **flags, prefer=prefer)


_FIELD_OPTIONS = ("value", "description", "with_value", "all_clusters", "prefer")


def _parse_value_range(cluster: str, body: Any, where: str) -> m.ValueRange:
    """`CLUSTER: {min: LOW, max: HIGH}`: the plausible values of the cluster's records."""
    if not isinstance(body, dict) or set(body) != {"min", "max"}:
        raise RulesetError(f"{where}: expected {{min: NUMBER, max: NUMBER}}")
    low, high = body["min"], body["max"]
    numbers = all(isinstance(x, int | float) and not isinstance(x, bool) for x in (low, high))
    if not numbers or not low < high:
        raise RulesetError(f"{where}: min and max must be numbers with min < max")
    return m.ValueRange(cluster, float(low), float(high), where)


def _as_names(raw: Any, where: str) -> tuple[str, ...]:
    names = (raw,) if isinstance(raw, str) else tuple(raw or ())
    if not names or not all(isinstance(n, str) for n in names):
        raise RulesetError(f"{where}: expected a name or a list of names, got {raw!r}")
    return names


def _parse_named_condition(name: str, body: Any, where: str) -> m.Named:
    return m.Named(name, parse_condition(body, where), origin=where)


_SINGLE_KEY_CONDITIONS = ("all", "any", "not", "is", "has", "register", "sex", "age")


def parse_condition(raw: Any, where: str) -> m.Condition:
    """Parse one condition of the closed vocabulary (see rulesets/README.md).

    A mapping holds exactly one condition: extra keys are an error, never silently dropped.
    """
    if not isinstance(raw, dict) or not raw:
        raise RulesetError(f"{where}: a condition must be a mapping, got {raw!r}")
    keys = set(raw)
    if not all(isinstance(k, str) for k in keys):
        raise RulesetError(
            f"{where}: condition keys must be words; quote keys YAML reads as true/false "
            f"(e.g. 'on'), got {sorted(map(str, keys))}"
        )
    for key in _SINGLE_KEY_CONDITIONS:
        if key in keys and len(keys) != 1:
            raise RulesetError(
                f"{where}: '{key}' must stand alone in its mapping; combine conditions with "
                f"all/any (got keys {sorted(keys)})"
            )
    if "all" in raw or "any" in raw:
        key = "all" if "all" in raw else "any"
        items = raw[key]
        if not isinstance(items, list) or not items:
            raise RulesetError(f"{where}: '{key}' needs a non-empty list")
        parsed = tuple(parse_condition(item, where) for item in items)
        return m.AllOf(parsed) if key == "all" else m.AnyOf(parsed)
    if "not" in raw:
        return m.Not(parse_condition(raw["not"], where))
    if "is" in raw:
        return m.NamedCondition(str(raw["is"]))
    if "has" in raw:
        return m.Has(str(raw["has"]))
    if "register" in raw:
        return m.OnRegister(str(raw["register"]))
    if "sex" in raw:
        return m.SexIn(_as_names(raw["sex"], where))
    if "age" in raw:
        op, number = _single_op(raw["age"], m.VALUE_OPS, where)
        return m.AgeCompare(op, int(number))  # type: ignore[arg-type]
    if "date" in raw and "resolves" in raw:
        if keys != {"date", "resolves"}:
            raise RulesetError(f"{where}: a resolves condition has exactly 'date' and 'resolves'")
        return m.Resolves(str(raw["date"]), str(raw["resolves"]))
    if "date" in raw:
        op, ref = _single_op({k: v for k, v in raw.items() if k != "date"}, m.DATE_OPS, where)
        return m.DateCompare(str(raw["date"]), op, parse_date_ref(ref, where))  # type: ignore[arg-type]
    if "value" in raw:
        op, number = _single_op({k: v for k, v in raw.items() if k != "value"}, m.VALUE_OPS, where)
        if isinstance(number, bool) or not isinstance(number, int | float):
            raise RulesetError(f"{where}: value comparison needs a number, got {number!r}")
        return m.ValueCompare(str(raw["value"]), op, float(number))  # type: ignore[arg-type]
    if "cluster" in raw:
        if keys != {"cluster", "in"}:
            raise RulesetError(f"{where}: a cluster condition has exactly 'cluster' and 'in'")
        return m.ClusterIn(str(raw["cluster"]), _as_names(raw.get("in"), where))
    raise RulesetError(f"{where}: unknown condition {raw!r}")


def _single_op(raw: Any, allowed: tuple[str, ...], where: str) -> tuple[str, Any]:
    if not isinstance(raw, dict) or len(raw) != 1 or next(iter(raw)) not in allowed:
        raise RulesetError(f"{where}: expected exactly one of {', '.join(allowed)} in {raw!r}")
    return next(iter(raw.items()))


def _parse_action(raw: Any, where: str) -> m.Action:
    if raw in ("select", "next", "reject"):
        return m.Action(raw)
    if isinstance(raw, dict) and set(raw) == {"reject"}:
        return m.Action("reject", str(raw["reject"]))
    raise RulesetError(f"{where}: action must be select, next, reject or {{reject: REASON}}")


def _parse_steps(raw: Any, where: str) -> tuple[m.Step, ...]:
    if not isinstance(raw, list) or not raw:
        raise RulesetError(f"{where}: expected a non-empty list of rules")
    steps = []
    for number, body in enumerate(raw, start=1):
        at = f"{where} rule {number}"
        if not isinstance(body, dict):
            raise RulesetError(f"{at}: expected a mapping")
        if "rule" in body and body["rule"] != number:
            raise RulesetError(f"{at}: numbered {body['rule']}, expected {number}")
        unknown = set(body) - {"rule", "description", "when", "if_true", "if_false"}
        if unknown:
            raise RulesetError(f"{at}: unknown keys {sorted(map(str, unknown))}")
        steps.append(
            m.Step(
                number=number,
                description=str(body.get("description", "")),
                when=parse_condition(_require(body, "when", at), at),
                if_true=_parse_action(_require(body, "if_true", at), at),
                if_false=_parse_action(_require(body, "if_false", at), at),
            )
        )
    return tuple(steps)


def _parse_reason(name: str, body: Any, where: str) -> m.Reason:
    if not isinstance(body, dict) or body.get("type") not in ("pca", "exclusion"):
        raise RulesetError(f"{where}: a reason needs type: pca or type: exclusion")
    if set(body) - {"type", "description"}:
        raise RulesetError(f"{where}: unknown keys {sorted(map(str, set(body)))}")
    return m.Reason(name, body["type"], str(body.get("description", "")))


def _parse_register(raw: dict[str, Any], where: str) -> m.Register:
    _reject_unknown(raw, REGISTER_KEYS, where)
    register_id = _require(raw, "id", where)
    return m.Register(
        id=register_id,
        description=str(raw.get("description", "")),
        rules=_parse_steps(_require(raw, "rules", where), f"{where}: rules"),
        indicator=raw.get("indicator"),
        points=_non_negative(raw.get("points", 0), f"{where}: points"),
        prevalence=bool(raw.get("prevalence", True)),
        payment=_payment_kind(raw, REGISTER_PAYMENTS, where),  # type: ignore[arg-type]
        prevalence_adjusted=_flag(raw, "prevalence_adjusted", True, where),
        age_rule=str(raw.get("age_rule", "")),
        source=str(raw.get("source", "")),
        confidence=str(raw.get("confidence", "")),
        origin=where,
        same_day_resolution=_same_day_resolution(raw, where),
    )


def _same_day_resolution(raw: dict[str, Any], where: str) -> m.SameDayResolution | None:
    value = raw.get("same_day_resolution")
    if value is None or value in m.SAME_DAY_RESOLUTIONS:
        return value
    choices = " or ".join(m.SAME_DAY_RESOLUTIONS)
    raise RulesetError(f"{where}: same_day_resolution must be {choices}, got {value!r}")


def _parse_indicator(raw: dict[str, Any], where: str) -> m.Indicator:
    _reject_unknown(raw, INDICATOR_KEYS, where)
    payment = _payment_kind(raw, m.PAYMENTS, where)
    if payment == "manual":
        present = sorted({"register", "thresholds", "denominator", "numerator"} & set(raw))
        if present:
            raise RulesetError(f"{where}: a manual indicator has no {', '.join(present)}")
    try:
        points = float(_require(raw, "points", where))
    except (TypeError, ValueError):
        raise RulesetError(f"{where}: points must be a number") from None
    lower, upper = _thresholds(raw, payment, where)
    return m.Indicator(
        id=_require(raw, "id", where),
        description=str(raw.get("description", "")),
        register=None if payment == "manual" else _require(raw, "register", where),
        points=points,
        lower=lower,
        upper=upper,
        denominator=_chain(raw, "denominator", payment, where),
        numerator=_chain(raw, "numerator", payment, where),
        group=str(raw.get("group", "")),
        confidence=str(raw.get("confidence", "")),
        source=str(raw.get("source", "")),
        aliases=tuple(raw.get("aliases", ())),
        prevalence_adjusted=_flag(raw, "prevalence_adjusted", True, where),
        prevalence_register=raw.get("prevalence_register"),
        payment=payment,  # type: ignore[arg-type]
        improvement=_improvement(raw.get("improvement"), upper, f"{where}: improvement"),
        origin=where,
    )


def _improvement(raw: Any, upper: float | None, where: str) -> m.Improvement | None:
    """`improvement: {lower_above_baseline: 5, upper: 96}`; upper defaults to the threshold's."""
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise RulesetError(f"{where}: expected a mapping with lower_above_baseline and upper")
    _reject_unknown(raw, IMPROVEMENT_KEYS, where)
    above = _non_negative(_require(raw, "lower_above_baseline", where), f"{where}: lower")
    top = raw.get("upper", upper)
    if isinstance(top, bool) or not isinstance(top, int | float) or not 0 < top <= 100:
        raise RulesetError(f"{where}: upper must be a percentage above 0 and at most 100")
    return m.Improvement(
        above, float(top), str(raw.get("confidence", "")), str(raw.get("source", ""))
    )


def _thresholds(raw: dict[str, Any], payment: str, where: str) -> tuple[float | None, float | None]:
    """Required for achievement-paid indicators; optional (unknown) for protected ones."""
    if "thresholds" not in raw and payment != "achievement":
        return None, None
    thresholds = _require(raw, "thresholds", where)
    try:
        return float(thresholds["lower"]), float(thresholds["upper"])
    except (KeyError, TypeError, ValueError):
        raise RulesetError(f"{where}: thresholds lower/upper must be numbers") from None


def _chain(raw: dict[str, Any], key: str, payment: str, where: str) -> tuple[m.Step, ...]:
    """Manual indicators have no rules; a protected one may have none (its achievement is then
    not computed) but then has neither chain."""
    if payment == "manual":
        return ()
    if payment == "protected" and "denominator" not in raw and "numerator" not in raw:
        return ()
    return _parse_steps(_require(raw, key, where), f"{where}: {key}")


def _flag(raw: dict[str, Any], key: str, default: bool, where: str) -> bool:
    value = raw.get(key, default)
    if not isinstance(value, bool):
        raise RulesetError(f"{where}: {key} must be true or false, got {value!r}")
    return value
