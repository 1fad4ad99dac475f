"""Provenance under rulesets/ cites public documents, never the team's notes outside the repository.

A `source:` a reader cannot open is no source (issue #8). The notes in ../shared/domain are
private working files; every citation of them was replaced by the public documents they cite.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

RULESETS = Path(__file__).resolve().parents[1] / "rulesets"
PRIVATE_NOTES = (
    "qof-catalogue.md",
    "qof-rule-logic.md",
    "qof-2026-27.md",
    "qof-prevalence-and-v51-addendum",
    "shared/",
)
# The `path` column of clusters/SOURCES.csv names a file inside the cited public repository
# (e.g. UoM-Data-Science-Platforms/gm-sde keeps its code sets under shared/), not a local note.
REPOSITORY_PATH_COLUMN = "path"


def _text_files() -> list[Path]:
    return sorted(p for p in RULESETS.rglob("*") if p.is_file() and p.suffix != ".csv")


def _sources_csvs() -> list[Path]:
    return sorted(RULESETS.rglob("*.csv"))


def _private_mentions(text: str) -> list[str]:
    return [note for note in PRIVATE_NOTES if note in text]


def test_there_are_files_to_check() -> None:
    assert len(_text_files()) > 100
    assert any(p.name == "SOURCES.csv" for p in _sources_csvs())


@pytest.mark.parametrize("path", _text_files(), ids=lambda p: str(p.relative_to(RULESETS)))
def test_no_file_cites_a_private_note(path: Path) -> None:
    lines = path.read_text(encoding="utf-8").splitlines()
    found = [f"line {n}: {m}" for n, line in enumerate(lines, 1) for m in _private_mentions(line)]
    assert not found, f"{path.relative_to(RULESETS)} cites notes outside the repository: {found}"


@pytest.mark.parametrize("path", _sources_csvs(), ids=lambda p: str(p.relative_to(RULESETS)))
def test_no_csv_cell_cites_a_private_note(path: Path) -> None:
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    found = [
        f"row {n} {column}: {m}"
        for n, row in enumerate(rows, 2)
        for column, value in row.items()
        if column != REPOSITORY_PATH_COLUMN
        for m in _private_mentions(value or "")
    ]
    assert not found, f"{path.relative_to(RULESETS)} cites notes outside the repository: {found}"


def test_the_check_catches_a_private_citation() -> None:
    assert _private_mentions("points per qof-catalogue.md §4") == ["qof-catalogue.md"]
    assert _private_mentions("copied from shared/clusters") == ["shared/"]
    assert _private_mentions("NHS Digital 2023/24 INDICATOR_REFERENCE_CONTROL") == []
