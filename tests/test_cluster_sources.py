"""Every shipped cluster has exactly one well-formed provenance row in its SOURCES.csv."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1] / "rulesets"
COLUMNS = ["cluster", "status", "version", "repo", "path", "commit", "rows", "note"]
STATUSES = {"published", "proxy", "reconstructed", "missing"}
FOLDERS = sorted(p.parent for p in ROOT.glob("**/clusters/SOURCES.csv"))


@pytest.mark.parametrize("folder", FOLDERS, ids=lambda p: str(p.relative_to(ROOT)))
def test_sources_rows_are_complete_and_match_the_files(folder: Path) -> None:
    with (folder / "SOURCES.csv").open(newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == COLUMNS
    body = rows[1:]
    assert all(len(r) == len(COLUMNS) for r in body), [r[0] for r in body if len(r) != 8]
    names = [r[0] for r in body]
    assert len(names) == len(set(names)), "a cluster has two rows"
    files = {p.stem for p in folder.glob("*.csv") if p.name != "SOURCES.csv"}
    status = {r[0]: r[1] for r in body}
    assert set(status.values()) <= STATUSES
    assert files == {n for n, s in status.items() if s != "missing"}
    for row in body:
        if row[1] == "missing":
            continue
        with (folder / f"{row[0]}.csv").open(encoding="utf-8") as handle:
            assert int(row[6]) == sum(1 for line in handle if line.strip()) - 1, row[0]
        if row[1] == "reconstructed":
            assert row[7], f"{row[0]}: a reconstructed cluster's note must say what it rests on"
        else:
            assert row[3] and row[4], f"{row[0]}: repository and path must be cited"
