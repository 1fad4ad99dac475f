"""Find rulesets: shipped ones (in the installed package or the source tree) or a folder."""

from __future__ import annotations

import os
import tomllib
from pathlib import Path

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


def default_ruleset_id() -> str:
    """The newest shipped national ruleset."""
    ids = [i for i in shipped_ruleset_ids() if i.startswith("qof-")]
    if not ids:
        raise RulesetError(f"no shipped rulesets found in {shipped_rulesets_dir()}")
    return max(ids, key=_qof_year)


def _qof_year(ruleset_id: str) -> str:
    with (shipped_rulesets_dir() / ruleset_id / "ruleset.toml").open("rb") as handle:
        return str(tomllib.load(handle).get("qof_year", ruleset_id))


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
