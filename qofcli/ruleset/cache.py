"""Loaded and checked rulesets kept on disk, so a `qof` run need not parse a ruleset's YAML and
cluster CSVs again (about 0.1 s of every command).

An entry is keyed by a SHA-256 of every file of the ruleset folder and of the folders it
extends (paths and bytes), of the code that builds rulesets (qofcli/ruleset/*.py) and of the
Python and qofcli versions: an edited rule, cluster or loader never reads an old entry. Entries
live in $QOF_CACHE_DIR (`off` turns the cache off), else $XDG_CACHE_HOME/qofcli/rulesets or
~/.cache/qofcli/rulesets. They are pickles, so only files the user owns and no one else may
write are read. Any problem reading or writing the cache falls back to loading the files.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import sys
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path

from qofcli import __version__
from qofcli.ruleset import model as m

ENV_VAR = "QOF_CACHE_DIR"
KEPT = 16  # entries kept; older ones are removed when a new one is written
_CODE = Path(__file__).parent


def cached(files: Sequence[Path], load: Callable[[], m.Ruleset]) -> m.Ruleset:
    """`load()`'s ruleset, read from the cache when `files` and the ruleset code are unchanged."""
    folder = cache_dir()
    if folder is None:
        return load()
    try:
        entry = folder / f"{_digest(files)}.pickle"
    except OSError:  # a file went away meanwhile: loading reports it
        return load()
    ruleset = _read(entry)
    if ruleset is None:
        ruleset = load()
        _write(entry, ruleset)
    return ruleset


def cache_dir() -> Path | None:
    """Where entries live; None when the cache is off."""
    chosen = os.environ.get(ENV_VAR, "")
    if chosen.lower() == "off":
        return None
    if chosen:
        return Path(chosen)
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "qofcli" / "rulesets"


def _digest(files: Sequence[Path]) -> str:
    digest = hashlib.sha256(f"{__version__}\0{sys.version}\0{pickle.HIGHEST_PROTOCOL}".encode())
    for path in [*sorted(_CODE.glob("*.py")), *files]:
        data = path.read_bytes()
        digest.update(f"\0{path}\0{len(data)}\0".encode())
        digest.update(data)
    return digest.hexdigest()


def _read(entry: Path) -> m.Ruleset | None:
    try:
        if not _trusted(entry):
            return None
        ruleset = pickle.loads(entry.read_bytes())  # noqa: S301 (an entry only this user can write)
    except Exception:  # noqa: BLE001 - a damaged or outdated entry: load the files instead
        return None
    return ruleset if isinstance(ruleset, m.Ruleset) else None


def _trusted(entry: Path) -> bool:
    info = entry.stat()
    owned = not hasattr(os, "getuid") or info.st_uid == os.getuid()
    return owned and not info.st_mode & 0o022


def _write(entry: Path, ruleset: m.Ruleset) -> None:
    temporary = None
    try:
        entry.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=entry.parent, suffix=".tmp")
        with os.fdopen(handle, "wb") as stream:
            pickle.dump(ruleset, stream, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(temporary, entry)
        temporary = None
        _prune(entry.parent)
    except OSError:
        pass  # a read-only or full disk: the next run loads the files again
    finally:
        if temporary is not None:
            Path(temporary).unlink(missing_ok=True)


def _prune(folder: Path) -> None:
    entries = sorted(folder.glob("*.pickle"), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in entries[KEPT:]:
        old.unlink(missing_ok=True)
