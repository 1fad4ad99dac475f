"""Rebuild a ruleset's code clusters from the official PCD refset release (`qof clusters import`).

NHS users download "PCD refset content by output" from TRUD: a tab-separated file with one row
per (output, cluster, code). `read_release` reads it, `plan_import` compares it with a ruleset's
clusters and `write_import` writes a complete copy of the ruleset folder with the clusters it
holds replaced by the official codes. Nothing here prints; every problem is one-line QofError.
"""

from __future__ import annotations

import csv
import io
import os
import re
import shutil
import tempfile
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from qofcli.errors import QofError, RulesetError, UsageError
from qofcli.ruleset import model as m
from qofcli.ruleset.catalogue import find_ruleset_dir
from qofcli.ruleset.loader import load_ruleset
from qofcli.ruleset.snomed import is_valid_sctid

PUBLISHED = "published"
NOTE = "imported from the official PCD refset release"
SOURCES_COLUMNS = ["cluster", "status", "version", "repo", "path", "commit", "rows", "note"]

# Accepted header names per role, normalised (lower case, spaces and hyphens as "_"), best first.
COLUMN_ALIASES: dict[str, tuple[str, ...]] = {
    "cluster": ("cluster_id", "clusterid", "cluster", "cluster_code", "cluster_name"),
    "code": (
        "snomed_code",
        "snomedct_code",
        "snomed_ct_code",
        "snomed_concept_id",
        "conceptid",
        "concept_id",
        "sctid",
        "code",
    ),
    "term": (
        "snomed_code_description",
        "snomed_description",
        "concept_description",
        "code_description",
        "description",
        "preferred_term",
        "term",
    ),
}
REQUIRED = ("cluster", "code")

# Per-cluster outcomes.
ADDED = "added"  # the cluster had no codes (e.g. `missing`) and now has the official ones
CHANGED = "changed"  # codes were added and/or removed
UNCHANGED = "unchanged"  # the same codes (the row becomes `published` all the same)
NOT_IN_RELEASE = "not_in_release"  # kept as it was
NO_VALID_CODES = "no_valid_codes"  # the release lists it, but no code passed the SCTID check
IMPORTED = frozenset({ADDED, CHANGED, UNCHANGED})


@dataclass(frozen=True)
class Release:
    """The clusters of one PCD refset release file: valid codes with terms, and invalid codes."""

    path: Path
    name: str
    encoding: str
    rows: int
    clusters: dict[str, dict[str, str]]  # CLUSTER_ID (upper case) -> {code: term}
    invalid: dict[str, tuple[str, ...]]  # CLUSTER_ID -> codes failing is_valid_sctid


@dataclass(frozen=True)
class ClusterChange:
    cluster: str
    outcome: str
    status_before: str
    status_after: str
    codes_before: int
    added: tuple[str, ...]
    removed: tuple[str, ...]
    unchanged: int
    invalid: tuple[str, ...]
    rows: tuple[tuple[str, str], ...]  # the new (code, term) rows, sorted by code

    @property
    def imported(self) -> bool:
        return self.outcome in IMPORTED


@dataclass(frozen=True)
class ImportPlan:
    ruleset: m.Ruleset
    folder: Path  # the ruleset's own folder (a child's, when it extends another)
    release: Release
    changes: tuple[ClusterChange, ...]
    ignored: tuple[str, ...]  # clusters in the release the ruleset does not hold

    def count(self, outcome: str) -> int:
        return sum(1 for c in self.changes if c.outcome == outcome)

    def totals(self) -> dict[str, int]:
        imported = [c for c in self.changes if c.imported]
        return {
            "clusters_in_ruleset": len(self.changes),
            "clusters_imported": len(imported),
            **{outcome: self.count(outcome) for outcome in (ADDED, CHANGED, UNCHANGED)},
            NOT_IN_RELEASE: self.count(NOT_IN_RELEASE),
            NO_VALID_CODES: self.count(NO_VALID_CODES),
            "release_clusters_ignored": len(self.ignored),
            "codes_added": sum(len(c.added) for c in imported),
            "codes_removed": sum(len(c.removed) for c in imported),
            "codes_unchanged": sum(c.unchanged for c in imported),
            "invalid_codes": sum(len(c.invalid) for c in self.changes),
        }


# ---- reading the release ----------------------------------------------------------------


def read_release(path: Path, name: str | None = None) -> Release:
    """Read a PCD refset release file (tab-separated, or comma-separated if re-saved)."""
    text, encoding = _decode(path)
    lines = text.splitlines()
    if not lines or not lines[0].strip():
        raise UsageError(f"{path}: empty file; expected the PCD refset release with a header row")
    delimiter = "\t" if "\t" in lines[0] or "," not in lines[0] else ","
    rows = [_unquote(row) if delimiter == "\t" else row for row in _rows(lines, delimiter)]
    columns = _columns(rows[0], path)
    clusters: dict[str, dict[str, str]] = {}
    invalid: dict[str, set[str]] = {}
    count = 0
    for number, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        count += 1
        cluster, code, term = _cells(row, columns, path, number)
        if is_valid_sctid(code):
            terms = clusters.setdefault(cluster, {})
            if not terms.get(code):  # rows repeat once per output: keep the first term given
                terms[code] = term
        else:
            invalid.setdefault(cluster, set()).add(code)
    frozen = {k: tuple(sorted(v)) for k, v in invalid.items()}
    return Release(path, name or path.stem, encoding, count, clusters, frozen)


def _decode(path: Path) -> tuple[str, str]:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise UsageError(f"{path}: no such file; give the PCD refset release file") from None
    except OSError as exc:
        raise UsageError(f"{path}: cannot read ({exc.strerror or exc})") from None
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):  # "Unicode text" saved by Excel
        return data.decode("utf-16"), "utf-16"
    try:
        return data.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace"), "cp1252"


def _rows(lines: list[str], delimiter: str) -> list[list[str]]:
    text = io.StringIO("\n".join(lines))
    if delimiter == "\t":
        return list(csv.reader(text, delimiter=delimiter, quoting=csv.QUOTE_NONE))
    return list(csv.reader(text, delimiter=delimiter, quoting=csv.QUOTE_MINIMAL))


def _unquote(row: list[str]) -> list[str]:
    """Tab-separated cells are not quoted, but some exports wrap every cell in double quotes."""
    return [c[1:-1].replace('""', '"') if len(c) >= 2 and c[0] == c[-1] == '"' else c for c in row]


def _normalise(header: str) -> str:
    return re.sub(r"[\s\-]+", "_", header.strip().lower())


def _columns(header: list[str], path: Path) -> dict[str, int]:
    names = [_normalise(h) for h in header]
    columns: dict[str, int] = {}
    for role, aliases in COLUMN_ALIASES.items():
        found = next((names.index(a) for a in aliases if a in names), None)
        if found is not None:
            columns[role] = found
    absent = [role for role in REQUIRED if role not in columns]
    if absent:
        raise UsageError(
            f"{path}: no {' or '.join(absent)} column; found columns "
            f"{', '.join(repr(h) for h in header)}; expected a tab-separated PCD refset release "
            "with Cluster_ID, SNOMED_code and SNOMED_code_description"
        )
    return columns


def _cells(row: list[str], columns: dict[str, int], path: Path, line: int) -> tuple[str, str, str]:
    needed = max(columns[role] for role in REQUIRED)
    if len(row) <= needed:
        raise UsageError(
            f"{path}: line {line} has {len(row)} column(s), too few for the header; "
            "is the file cut short or re-saved with another separator?"
        )
    term_at = columns.get("term")
    term = row[term_at].strip() if term_at is not None and term_at < len(row) else ""
    return row[columns["cluster"]].strip().upper(), row[columns["code"]].strip(), term


# ---- comparing --------------------------------------------------------------------------


def plan_import(ruleset_id: str | Path, release: Release) -> ImportPlan:
    """Compare every cluster the ruleset holds (its own and its parents') with the release."""
    folder = find_ruleset_dir(ruleset_id)
    ruleset = load_ruleset(folder)
    changes = tuple(_change(ruleset.clusters[cid], release) for cid in sorted(ruleset.clusters))
    held = {cid.upper() for cid in ruleset.clusters}
    named = release.clusters.keys() | release.invalid.keys()
    ignored = tuple(sorted(cid for cid in named if cid not in held))
    return ImportPlan(ruleset, folder, release, changes, ignored)


def _change(cluster: m.Cluster, release: Release) -> ClusterChange:
    key = cluster.id.upper()
    invalid = release.invalid.get(key, ())
    official = release.clusters.get(key)
    before = dict(zip(cluster.codes, cluster.terms, strict=True))
    if not official:
        outcome = NO_VALID_CODES if invalid else NOT_IN_RELEASE
        return ClusterChange(
            cluster.id, outcome, cluster.status, cluster.status, len(before), (), (), 0, invalid, ()
        )
    rows = tuple((code, official[code] or before.get(code, "")) for code in sorted(official))
    added = tuple(code for code in sorted(official) if code not in before)
    removed = tuple(sorted(code for code in before if code not in official))
    outcome = ADDED if not before else CHANGED if added or removed else UNCHANGED
    unchanged = len(official) - len(added)
    return ClusterChange(
        cluster.id, outcome, cluster.status, PUBLISHED, len(before), added, removed, unchanged,
        invalid, rows,
    )  # fmt: skip


# ---- writing ----------------------------------------------------------------------------


def write_import(plan: ImportPlan, out: Path, overwrite: bool = False) -> None:
    """Write a complete copy of the ruleset folder with the imported clusters into `out`.

    The copy is built in a temporary folder beside `out`, checked to load, then renamed into
    place: a failure at any point leaves `out` as it was (absent, or the previous folder)."""
    _check_out(out, plan.folder, overwrite)
    target = Path(os.path.abspath(out))
    temp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent))
    try:
        shutil.copytree(plan.folder, temp, dirs_exist_ok=True)
        _write_clusters(temp / "clusters", plan)
        _check_copy_loads(temp, plan.folder, out)
        _swap_into_place(temp, target)
    except OSError as exc:
        shutil.rmtree(temp, ignore_errors=True)
        raise UsageError(
            f"--out {out}: cannot write ({exc.strerror or exc}); nothing was written"
        ) from None
    except BaseException:
        shutil.rmtree(temp, ignore_errors=True)
        raise


def _check_out(out: Path, folder: Path, overwrite: bool) -> None:
    parent = Path(os.path.abspath(out)).parent
    if not parent.is_dir():
        raise UsageError(f"--out {out}: folder {parent} does not exist; create it first")
    target = out.resolve()
    if target != folder and target.is_relative_to(folder):
        raise UsageError(f"--out {out}: is inside the ruleset folder {folder}; choose another")
    if folder.is_relative_to(target) and target != folder:
        raise UsageError(f"--out {out}: contains the ruleset folder {folder}; choose another")
    if out.exists() and not out.is_dir():
        raise UsageError(f"--out {out}: is a file; give a folder for the imported ruleset")
    if out.is_dir() and any(out.iterdir()):
        if not overwrite:
            raise UsageError(f"--out {out}: folder is not empty; choose a new one or --overwrite")
        if not (out / "ruleset.toml").is_file():
            raise UsageError(
                f"--out {out}: holds no ruleset.toml; --overwrite only replaces a ruleset folder"
            )


def _write_clusters(folder: Path, plan: ImportPlan) -> None:
    folder.mkdir(exist_ok=True)
    imported = [c for c in plan.changes if c.imported]
    for change in imported:
        _write_text(folder / f"{change.cluster}.csv", _csv_text([["code", "term"], *change.rows]))
    rows = {c.cluster: _sources_row(c, plan.release) for c in imported}
    original = plan.folder / "clusters" / "SOURCES.csv"  # the copy's twin, named in errors
    _write_text(folder / "SOURCES.csv", _updated_sources(original, rows))


def _sources_row(change: ClusterChange, release: Release) -> list[str]:
    rows = str(len(change.rows))
    return [change.cluster, PUBLISHED, release.name, "", release.path.name, "", rows, NOTE]


def _updated_sources(path: Path, rows: dict[str, list[str]]) -> str:
    """SOURCES.csv with the imported clusters' rows replaced (others kept byte for byte) and
    rows added for clusters the folder did not list (a child importing its parent's)."""
    try:
        text = path.read_bytes().decode("utf-8") if path.is_file() else ""
    except UnicodeDecodeError:
        raise RulesetError(f"{path}: not UTF-8 text; save it as UTF-8 first") from None
    ending = "\n" if text and "\r\n" not in text else "\r\n"  # keep the file's line endings
    lines = text.splitlines()
    header, body = (lines[0], lines[1:]) if lines else (",".join(SOURCES_COLUMNS), [])
    if next(csv.reader([header]), []) != SOURCES_COLUMNS:
        raise RulesetError(f"{path}: header must be {','.join(SOURCES_COLUMNS)}; fix it first")
    kept: list[str] = [header]
    for line in body:
        name = next(csv.reader([line]), [""])[0] if line.strip() else ""
        kept.append(_csv_text([rows.pop(name)]).rstrip("\n") if name in rows else line)
    kept += [_csv_text([rows[name]]).rstrip("\n") for name in sorted(rows)]
    return ending.join(kept) + ending


def _csv_text(rows: Sequence[Sequence[str]]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    return buffer.getvalue()


def _write_text(path: Path, text: str) -> None:
    path.write_text(text, encoding="utf-8", newline="")


def _check_copy_loads(temp: Path, folder: Path, out: Path) -> None:
    """The copy must load, and a relative `extends` must still find the same parent."""
    parent = _manifest(folder).get("extends")
    if isinstance(parent, str) and parent:
        try:
            found = find_ruleset_dir(parent, relative_to=temp)
        except QofError:
            found = None
        if found != find_ruleset_dir(parent, relative_to=folder):
            raise UsageError(
                f"--out {out}: extends = {parent!r} would not find the same parent from there; "
                f"put --out beside {folder} or make extends a shipped id or an absolute path"
            )
    try:
        load_ruleset(temp)
    except RulesetError as exc:
        problem = str(exc).replace(str(temp), str(out))
        raise UsageError(f"--out {out}: the imported copy does not load ({problem})") from None


def _manifest(folder: Path) -> dict[str, object]:
    with (folder / "ruleset.toml").open("rb") as handle:
        return tomllib.load(handle)


def _swap_into_place(temp: Path, out: Path) -> None:
    if not out.exists():
        os.replace(temp, out)
        return
    backup = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".old", dir=temp.parent))
    os.replace(out, backup / out.name)
    try:
        os.replace(temp, out)
    except BaseException:
        os.replace(backup / out.name, out)
        backup.rmdir()
        raise
    shutil.rmtree(backup, ignore_errors=True)
