"""Small extracts for the mini test ruleset (tests/fixtures/rulesets/mini), for money, network,
progress and diff tests. Codes are the real SNOMED CT codes of the mini clusters."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path

import polars as pl

from qofcli.extract import Extract, extract_from_frames
from qofcli.ruleset import model as m

RULESETS = Path(__file__).parent / "fixtures" / "rulesets"
MINI = RULESETS / "mini"
MINI_NEXT = RULESETS / "mini-next"

DM = "111552007"  # DM_COD: Diabetes mellitus without complication
DM_LIPO = "112991000000101"  # DM_COD in mini only: Lipoatrophic diabetes mellitus
HBA1C = "1049321000000109"  # IFCCHBAM_COD: HbA1c level (monitoring ranges), IFCC
DMPCADEC = "716031000000106"  # DMPCADEC_COD: excepted from diabetes indicators, dissent
IN_YEAR = date(2024, 10, 1)  # inside mini's year 2024-04-01 .. 2025-03-31


@dataclass(frozen=True)
class Patients:
    """`count` alike patients: diabetic (unless dm is None), an HbA1c in the year (or none)."""

    practice: str
    count: int
    hba1c: float | None = None
    age: int = 60
    dm: str | None = DM
    pca: bool = False  # DMPCADEC in the year: a PCA for MINI001 unless HbA1c <= 58


def build(groups: list[Patients], practices: pl.DataFrame | None = None) -> Extract:
    """An in-memory extract; patient ids are PRACTICE-GROUP-N."""
    patients, events = [], []
    for number, group in enumerate(groups):
        ids = [f"{group.practice}-{number}-{i}" for i in range(group.count)]
        born = date(2025 - group.age, 1, 1)  # `age` on 2025-03-31
        patients += [(pid, group.practice, born) for pid in ids]
        events += _events(group, ids)
    patient_frame = pl.DataFrame(
        patients, schema=["patient_id", "practice_code", "date_of_birth"], orient="row"
    ).with_columns(
        sex=pl.lit("F"),
        registration_date=pl.lit(date(2000, 1, 1)),
        deregistration_date=pl.lit(None, dtype=pl.Date),
        death_date=pl.lit(None, dtype=pl.Date),
    )
    event_frame = pl.DataFrame(
        events,
        schema={"patient_id": pl.String, "date": pl.Date, "code": pl.String, "value": pl.Float64},
        orient="row",
    )
    return extract_from_frames(patient_frame, event_frame, practices)


def _events(group: Patients, ids: list[str]) -> list[tuple[object, ...]]:
    rows: list[tuple[object, ...]] = []
    for pid in ids:
        if group.dm:
            rows.append((pid, date(2015, 1, 1), group.dm, None))
        if group.hba1c is not None:
            rows.append((pid, IN_YEAR, HBA1C, group.hba1c))
        if group.pca:
            rows.append((pid, IN_YEAR, DMPCADEC, None))
    return rows


def practices(rows: list[tuple[str, str | None, int]]) -> pl.DataFrame:
    """(practice_code, pcn_code, list_size) rows."""
    return pl.DataFrame(
        rows,
        schema={"practice_code": pl.String, "pcn_code": pl.String, "list_size": pl.Int64},
        orient="row",
    )


def list_only(ruleset: m.Ruleset, *indicator_ids: str) -> m.Ruleset:
    """The ruleset with these indicators paid on list size only (prevalence_adjusted false)."""
    indicators = dict(ruleset.indicators)
    for indicator_id in indicator_ids:
        indicators[indicator_id] = replace(indicators[indicator_id], prevalence_adjusted=False)
    return replace(ruleset, indicators=indicators)


def row(frame: pl.DataFrame, **where: object) -> dict[str, object]:
    """The one row matching every column == value."""
    found = frame.filter(*(pl.col(k) == v for k, v in where.items()))
    assert found.height == 1, f"{where}: {found.height} rows"
    return found.to_dicts()[0]


def write_csv(extract: Extract, folder: Path) -> Path:
    """Write an in-memory extract as CSV files for CLI tests."""
    extract.patients.collect().write_csv(folder / "patients.csv")
    extract.events.collect().write_csv(folder / "events.csv")
    if extract.practices is not None:
        extract.practices.collect().write_csv(folder / "practices.csv")
    return folder
