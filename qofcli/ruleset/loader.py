"""Load a ruleset folder into the model, applying `extends`: the parent is loaded first and the
child's files add to it or replace its items by name (rulesets/README.md, "Local schemes").

Fields and conditions written in a register's or indicator's own file belong to that file: a
child that replaces the item (same id) or removes it drops them with it, unless it defines them
again; one still read by another item is then an error saying so.

Every problem raises RulesetError naming the file and the item, e.g.
`rulesets/x/indicators/DM020.yaml: denominator rule 3: unknown field 'IFCHBA'`.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from qofcli.errors import RulesetError
from qofcli.ruleset import model as m
from qofcli.ruleset.cache import cached
from qofcli.ruleset.catalogue import find_ruleset_dir
from qofcli.ruleset.checks import check_ruleset
from qofcli.ruleset.dependencies import readers
from qofcli.ruleset.files import FolderRules, origin_file, read_folder
from qofcli.ruleset.manifest import (
    MANIFEST,
    MANIFEST_KEYS,
    apply_indicator_overrides,
    apply_register_overrides,
    parse_dates,
    parse_payment,
    read_toml,
)
from qofcli.ruleset.parse import reject_unknown, require

_LOADED: dict[tuple[Path, tuple[tuple[str, int, int], ...]], m.Ruleset] = {}


def load_ruleset(id_or_path: str | Path) -> m.Ruleset:
    """Find a ruleset by id or folder path, load it and everything it extends, and check it.

    Loaded rulesets are kept for the life of the process, keyed by their files' paths, sizes
    and modification times (``qof diff`` loads a chain twice; tests load the same years often),
    and on disk keyed by the files' contents (ruleset/cache.py). Treat the result as read-only.
    """
    folder = find_ruleset_dir(id_or_path)
    key = (folder, _fingerprint(folder))
    ruleset = _LOADED.get(key)
    if ruleset is None:
        ruleset = cached([Path(path) for path, _, _ in key[1]], lambda: _checked(folder))
        _LOADED[key] = ruleset
    return ruleset


def _checked(folder: Path) -> m.Ruleset:
    ruleset = _load_folder(folder, seen=())
    check_ruleset(ruleset)
    return ruleset


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
            parent = read_toml(chain[-1] / MANIFEST).get("extends")
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
    manifest = read_toml(folder / MANIFEST)
    parent_id = manifest.get("extends")
    base = (
        _load_folder(find_ruleset_dir(parent_id, relative_to=folder), (*seen, folder))
        if parent_id
        else None
    )
    return _overlay(base, folder, manifest)


def _overlay(base: m.Ruleset | None, folder: Path, manifest: dict[str, Any]) -> m.Ruleset:
    where = folder / MANIFEST
    reject_unknown(manifest, MANIFEST_KEYS, where)
    ruleset_id = require(manifest, "id", where)
    dates = dict(base.dates) if base else {}
    dates.update(parse_dates(manifest.get("dates", {}), where))
    for needed in ("PPSD", "PPED"):
        if needed not in dates:
            raise RulesetError(f"{where}: [dates] must define {needed}")
    payment = parse_payment(manifest.get("payment"), base.payment if base else m.Payment(), where)

    own = read_folder(folder)
    registers = _merged(base, "registers", own.registers)
    indicators = _merged(base, "indicators", own.indicators)
    leaving = _replaced_files(base, own) if base else {}
    for removed in manifest.get("remove_indicators", []):
        if removed not in indicators:
            raise RulesetError(f"{where}: remove_indicators names unknown indicator {removed!r}")
        origin = indicators.pop(removed).origin
        if removed not in own.indicators:
            leaving[origin] = f"{where}: remove_indicators drops {removed} of {origin}"
    apply_indicator_overrides(indicators, manifest.get("indicator_overrides", {}), where)
    apply_register_overrides(registers, manifest.get("register_overrides", {}), where)

    ruleset = m.Ruleset(
        id=ruleset_id,
        title=manifest.get("title", ruleset_id),
        qof_year=str(manifest.get("qof_year", base.qof_year if base else "")),
        business_rules=str(manifest.get("business_rules", base.business_rules if base else "")),
        dates=dates,
        payment=payment,
        fields=_merged(base, "fields", own.fields),
        conditions=_merged(base, "conditions", own.conditions),
        reasons=_merged(base, "reasons", own.reasons),
        registers=registers,
        indicators=indicators,
        clusters=_merged(base, "clusters", own.clusters),
        path=str(folder),
        extends=manifest.get("extends"),
        notes=tuple(manifest.get("notes", ())),
        value_ranges=_merged(base, "value_ranges", own.value_ranges),
    )
    return _drop_local_definitions(ruleset, base, own, leaving) if base else ruleset


def _merged(base: m.Ruleset | None, kind: str, own: dict[str, Any]) -> dict[str, Any]:
    """The parent's items of a kind with the child's added; a child's item replaces the
    parent's of the same name."""
    items = dict(getattr(base, kind)) if base else {}
    items.update(own)
    return items


def _replaced_files(base: m.Ruleset, own: FolderRules) -> dict[str, str]:
    """The parent's register and indicator files the child replaces, with what replaces them."""
    leaving = {}
    for parent_items, child_items in (
        (base.registers, own.registers),
        (base.indicators, own.indicators),
    ):
        for item_id, item in child_items.items():
            if item_id in parent_items:
                replaced = parent_items[item_id].origin
                leaving[replaced] = f"{item.origin}: replaces {item_id} of {replaced}"
    return leaving


def _drop_local_definitions(
    ruleset: m.Ruleset, base: m.Ruleset, own: FolderRules, leaving: dict[str, str]
) -> m.Ruleset:
    """Fields and conditions written in a replaced or removed parent file go with it, unless
    the child defines them again; one that something still reads is an error."""
    dropped = {
        (kind, name): why
        for kind, inherited, redefined in (
            ("field", base.fields, own.fields),
            ("condition", base.conditions, own.conditions),
        )
        for name, item in inherited.items()
        if name not in redefined and (why := leaving.get(origin_file(item.origin)))
    }
    if not dropped:
        return ruleset
    still_read = readers(ruleset)
    for (kind, name), why in dropped.items():
        if (kind, name) in still_read:
            user = still_read[(kind, name)][0]
            raise RulesetError(
                f"{why}, whose file defines the {kind} {name} for itself, but {user.id} "
                f"({user.origin}) still reads it: define {name} in the child ruleset too"
            )
    return replace(
        ruleset,
        fields={n: f for n, f in ruleset.fields.items() if ("field", n) not in dropped},
        conditions={n: c for n, c in ruleset.conditions.items() if ("condition", n) not in dropped},
    )
