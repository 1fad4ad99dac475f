"""Read one ruleset folder's files: cluster CSVs, the shared YAML files of fields, conditions,
reasons and value ranges, and the register and indicator files with the fields and conditions
each may define for itself. A name defined twice in one folder is an error naming both files;
merging over a parent ruleset (`extends`) is the loader's business."""

from __future__ import annotations

import csv
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from qofcli.errors import RulesetError
from qofcli.ruleset import model as m
from qofcli.ruleset.parse import (
    LOCAL_KINDS,
    parse_field,
    parse_indicator,
    parse_named_condition,
    parse_reason,
    parse_register,
    parse_value_range,
)
from qofcli.ruleset.snomed import is_valid_sctid

MISSING = "missing"
_SINGULAR = {
    "fields": "field",
    "conditions": "condition",
    "reasons": "reason",
    "value_ranges": "value range",
}


@dataclass(frozen=True)
class FolderRules:
    """What one ruleset folder defines, before it is merged over the ruleset it extends."""

    clusters: dict[str, m.Cluster]
    fields: dict[str, m.Field]
    conditions: dict[str, m.Named]
    reasons: dict[str, m.Reason]
    value_ranges: dict[str, m.ValueRange]
    registers: dict[str, m.Register]
    indicators: dict[str, m.Indicator]


def read_folder(folder: Path) -> FolderRules:
    named = {kind: _load_named(folder, kind) for kind in _PARSERS}
    local = {kind: named[kind] for kind in LOCAL_KINDS}
    return FolderRules(
        clusters=_load_clusters(folder / "clusters"),
        registers=_load_items(folder / "registers", parse_register, local),
        indicators=_load_items(folder / "indicators", parse_indicator, local),
        **named,
    )


def origin_file(origin: str) -> str:
    """The file part of an item's origin (`path` or `path: NAME`)."""
    return origin.split(": ", 1)[0]


# ---- YAML ------------------------------------------------------------------------------

_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _read_yaml(path: Path) -> Any:
    try:
        with path.open(encoding="utf-8") as handle:
            # libyaml's safe loader reads a full ruleset about 5x faster than pure Python
            return yaml.load(handle, Loader=_SAFE_LOADER)  # noqa: S506 (a safe loader)
    except yaml.YAMLError as exc:
        raise RulesetError(f"{path}: not valid YAML ({exc})") from None


_PARSERS: dict[str, Callable[[str, Any, str], Any]] = {
    "fields": parse_field,
    "conditions": parse_named_condition,
    "reasons": parse_reason,
    "value_ranges": parse_value_range,
}


def _load_named(folder: Path, kind: str) -> dict[str, Any]:
    """Definitions from `KIND.yaml` and/or `KIND/*.yaml` (one file per domain)."""
    paths = [folder / f"{kind}.yaml"] + sorted((folder / kind).glob("*.yaml"))
    found: dict[str, Any] = {}
    origin: dict[str, Path] = {}
    for path in (p for p in paths if p.is_file()):
        raw = _read_yaml(path) or {}
        if not isinstance(raw, dict):
            raise RulesetError(f"{path}: expected a mapping of names to definitions")
        for name, body in raw.items():
            if name in found:
                raise RulesetError(
                    f"{path}: {_SINGULAR[kind]} {name} is already defined in {origin[name]}"
                )
            found[name] = _PARSERS[kind](str(name), body, f"{path}: {name}")
            origin[name] = path
    return found


def _load_items(
    folder: Path, parse: Callable[[dict[str, Any], str], Any], local: dict[str, dict[str, Any]]
) -> dict[str, Any]:
    """Registers or indicators, one per file; the `fields:` and `conditions:` a file holds are
    added to `local` (the folder's fields and conditions), where a name may appear once."""
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
        for kind in LOCAL_KINDS:
            if kind in raw:
                _add_local(path, kind, raw[kind], local[kind])
    return items


def _add_local(path: Path, kind: str, block: Any, found: dict[str, Any]) -> None:
    if not isinstance(block, dict) or not block:
        raise RulesetError(f"{path}: {kind}: expected a mapping of names to definitions")
    for name, body in block.items():
        if name in found:
            first = origin_file(found[name].origin)
            raise RulesetError(f"{path}: {_SINGULAR[kind]} {name} is already defined in {first}")
        found[name] = _PARSERS[kind](str(name), body, f"{path}: {kind}: {name}")


# ---- clusters --------------------------------------------------------------------------


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
