"""Files in the wrong shape get a message naming the cause and the fix, from every command.

Each case starts from a valid CSV extract and damages one table the way spreadsheets and
clinical-system exports do (separator, encoding, header case, a ragged row, Parquet parts
written with different types, a file where a folder is expected).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from qofcli.cli import app

RULESET = "qof-2025-26"
SECRET = "PATIENT-SECRET-4410"
PATIENTS = (
    "patient_id,practice_code,date_of_birth,sex,registration_date,deregistration_date,death_date\n"
    f"{SECRET},A81001,1950-02-01,F,2000-01-01,,\n"
    "p2,A81001,1960-05-05,M,2001-01-01,,\n"
)
# An HbA1c code (IFCCHBAM_COD in rulesets/qof-2026-27/clusters).
EVENTS = f"patient_id,date,code,value\n{SECRET},2025-06-01,1049301000000100,50\n"


def write(folder: Path, patients: str = PATIENTS, events: str = EVENTS) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "patients.csv").write_text(patients, encoding="utf-8")
    (folder / "events.csv").write_text(events, encoding="utf-8")
    return folder


def semicolons(folder: Path) -> None:
    (folder / "patients.csv").write_text(PATIENTS.replace(",", ";"), encoding="utf-8")


def tabs(folder: Path) -> None:
    (folder / "patients.csv").write_text(PATIENTS.replace(",", "\t"), encoding="utf-8")


def utf16(folder: Path) -> None:
    (folder / "patients.csv").write_text(PATIENTS, encoding="utf-16")


def cp1252(folder: Path) -> None:
    text = PATIENTS.replace("p2,", "Zo\u00eb,")
    (folder / "patients.csv").write_bytes(text.encode("cp1252"))


def upper_case_header(folder: Path) -> None:
    header, rest = PATIENTS.split("\n", 1)
    (folder / "patients.csv").write_text(header.upper() + "\n" + rest, encoding="utf-8")


def ragged_row(folder: Path) -> None:
    (folder / "events.csv").write_text(EVENTS + f"{SECRET},2025-07-01,1,2,3,4\n", encoding="utf-8")


def parquet_parts_disagree(folder: Path) -> None:
    (folder / "events.csv").unlink()
    parts = folder / "events"
    parts.mkdir()
    base = {"patient_id": [SECRET], "date": ["2025-06-01"], "code": ["1049301000000100"]}
    pl.DataFrame({**base, "value": [50.0]}).write_parquet(parts / "part-0.parquet")
    pl.DataFrame({**base, "value": ["50"]}).write_parquet(parts / "part-1.parquet")


CASES: dict[str, tuple[Callable[[Path], None], str]] = {
    "semicolons": (semicolons, "patients.csv: is separated by semicolons, not commas"),
    "tabs": (tabs, "patients.csv: is separated by tabs"),
    "utf16": (utf16, "patients.csv: is UTF-16 encoded; save it as CSV UTF-8"),
    "cp1252": (cp1252, "patients.csv: is not UTF-8 (probably Windows-1252"),
    "upper_case": (upper_case_header, "'PATIENT_ID' should be 'patient_id'"),
    "ragged": (ragged_row, "events.csv: row 2 has 6 fields but the header has 4"),
    "parquet_parts": (
        parquet_parts_disagree,
        "part part-1.parquet stores column 'value' as String, part part-0.parquet as Float64",
    ),
}

runner = CliRunner()


def run(*args: object):
    return runner.invoke(app, [str(a) for a in args])


@pytest.mark.parametrize("name", sorted(CASES))
@pytest.mark.parametrize("command", ["validate", "score", "patients"])
def test_message_names_the_cause(tmp_path: Path, name: str, command: str) -> None:
    damage, expected = CASES[name]
    folder = write(tmp_path / "extract")
    damage(folder)
    result = run(command, folder, "-r", RULESET)
    assert result.exit_code == 2, result.output
    assert expected in result.output
    assert "Traceback" not in result.output and SECRET not in result.output


def test_a_file_where_the_folder_belongs(tmp_path: Path) -> None:
    folder = write(tmp_path / "extract")
    result = run("score", folder / "patients.csv", "-r", RULESET)
    assert result.exit_code == 2
    first, *_ = result.stderr.strip().splitlines()
    assert first.startswith("error: ") and first.endswith(
        "patients.csv: is a file, not an extract folder; give the folder that holds "
        "patients.csv and the other tables"
    )


def test_the_undamaged_extract_is_clean(tmp_path: Path) -> None:
    assert run("validate", write(tmp_path / "extract"), "-r", RULESET).exit_code == 0
