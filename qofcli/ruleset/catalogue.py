"""Find rulesets: shipped ones (in the installed package or the source tree) or a folder."""

from __future__ import annotations

import os
import tomllib
from datetime import date
from pathlib import Path
from typing import Any

from qofcli.errors import RulesetError

_PACKAGE_DIR = Path(__file__).resolve().parent.parent
ENV_VAR = "QOF_RULESETS_DIR"


def shipped_rulesets_dir() -> Path:
    """The folder of shipped rulesets: $QOF_RULESETS_DIR, the wheel's copy, or the source tree's."""
    override = os.environ.get(ENV_VAR)
    if override:
        return Path(override)
    packaged = _PACKAGE_DIR / "_rulesets"
    if packaged.is_dir():
        return packaged
    return _PACKAGE_DIR.parent / "rulesets"


def shipped_ruleset_ids() -> list[str]:
    """Ids of shipped rulesets, oldest QOF year first (folders named qof-YYYY-YY sort by year)."""
    root = shipped_rulesets_dir()
    if not root.is_dir():
        return []
    return sorted(p.name for p in root.iterdir() if (p / "ruleset.toml").is_file())


def today() -> date:
    """The date the default ruleset is chosen for (tests replace it)."""
    return date.today()


def default_ruleset_id(on: date | None = None) -> str:
    """The shipped national ruleset whose payment period contains `on` (default: today), else
    the newest; so from April the new QOF year is the default without a code change."""
    ids = [i for i in shipped_ruleset_ids() if i.startswith("qof-")]
    if not ids:
        raise RulesetError(f"no shipped rulesets found in {shipped_rulesets_dir()}")
    when = on or today()
    current = [i for i in ids if _contains(_manifest_chain(i), when)]
    return max(current or ids, key=_qof_year)


def _qof_year(ruleset_id: str) -> str:
    return str(_manifest(ruleset_id).get("qof_year", ruleset_id))


def _manifest(ruleset_id: str) -> dict[str, Any]:
    with (shipped_rulesets_dir() / ruleset_id / "ruleset.toml").open("rb") as handle:
        return tomllib.load(handle)


def _manifest_chain(ruleset_id: str) -> list[dict[str, Any]]:
    """A shipped ruleset's manifest and those it extends, child first (dates are inherited)."""
    chain: list[dict[str, Any]] = []
    seen: set[str] = set()
    current: str | None = ruleset_id
    while current and current not in seen and (shipped_rulesets_dir() / current).is_dir():
        seen.add(current)
        manifest = _manifest(current)
        chain.append(manifest)
        parent = manifest.get("extends")
        current = parent if isinstance(parent, str) else None
    return chain


def _contains(chain: list[dict[str, Any]], when: date) -> bool:
    """Whether the payment period (PPSD..PPED, each from the nearest manifest) holds `when`."""
    start = next((m["dates"]["PPSD"] for m in chain if "PPSD" in m.get("dates", {})), None)
    end = next((m["dates"]["PPED"] for m in chain if "PPED" in m.get("dates", {})), None)
    return isinstance(start, date) and isinstance(end, date) and start <= when <= end


def find_ruleset_dir(id_or_path: str | Path, relative_to: Path | None = None) -> Path:
    """Resolve a ruleset id (shipped) or a path to a folder holding ruleset.toml."""
    text = str(id_or_path)
    candidates = []
    if relative_to is not None:
        candidates.append(relative_to.parent / text)
    candidates += [Path(text), shipped_rulesets_dir() / text]
    for candidate in candidates:
        if (candidate / "ruleset.toml").is_file():
            return candidate.resolve()
    known = ", ".join(shipped_ruleset_ids()) or "none"
    raise RulesetError(
        f"unknown ruleset {text!r}: give a shipped id ({known}) or a folder with ruleset.toml"
    )
