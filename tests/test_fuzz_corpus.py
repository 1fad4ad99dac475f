"""A corpus of malformed inputs, tried as a new user would: every one ends with exit code 2,
a message naming the problem, no traceback and no patient value on the terminal.

The corpus is generated here (small files in a temporary folder) from one valid extract:
each case damages one thing, or passes one mistaken option.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from qofcli.cli import app

RULESET = "qof-2025-26"
SECRET_ID = "PATIENT-SECRET-5521"
SECRET_VALUE = "87.125"
HBA1C = "1049321000000109"  # IFCCHBAM_COD
DM = "44054006"  # DM_COD: type 2 diabetes mellitus
PATIENT_HEADER = (
    "patient_id,practice_code,date_of_birth,sex,registration_date,deregistration_date,death_date"
)


def patients(*rows: str) -> str:
    base = [f"{SECRET_ID},A81001,1950-02-01,F,2000-01-01,,", "p2,A81001,1960-05-05,M,2001-01-01,,"]
    return "\n".join([PATIENT_HEADER, *(rows or base)]) + "\n"


EVENTS = (
    "patient_id,date,code,value\n"
    f"{SECRET_ID},2015-01-01,{DM},\n{SECRET_ID},2025-06-01,{HBA1C},{SECRET_VALUE}\n"
)
PRACTICES = "practice_code,practice_name,pcn_code,list_size\nA81001,The Surgery,U1,9000\n"


def extract(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "patients.csv").write_text(patients())
    (folder / "events.csv").write_text(EVENTS)
    (folder / "practices.csv").write_text(PRACTICES)
    return folder


def put(name: str, text: str | bytes) -> Callable[[Path], None]:
    def damage(folder: Path) -> None:
        path = folder / name
        path.write_bytes(text) if isinstance(text, bytes) else path.write_text(text)

    return damage


def remove(name: str) -> Callable[[Path], None]:
    return lambda folder: (folder / name).unlink()


def events_as_parquet_parts(second: pl.DataFrame | None = None) -> Callable[[Path], None]:
    def damage(folder: Path) -> None:
        (folder / "events.csv").unlink()
        parts = folder / "events"
        parts.mkdir()
        frame = pl.DataFrame(
            {"patient_id": [SECRET_ID], "date": ["2025-06-01"], "code": [HBA1C], "value": [1.5]}
        )
        frame.write_parquet(parts / "a.parquet")
        if second is not None:
            second.write_parquet(parts / "b.parquet")

    return damage


def events_parquet(frame: pl.DataFrame) -> Callable[[Path], None]:
    def damage(folder: Path) -> None:
        (folder / "events.csv").unlink()
        frame.write_parquet(folder / "events.parquet")

    return damage


@dataclass(frozen=True)
class Damage:
    """One damaged extract; ``expected`` must appear in the output of every command."""

    damage: Callable[[Path], None]
    expected: str


def e(*rows: str) -> str:
    return "patient_id,date,code,value\n" + "\n".join(rows) + "\n"


DAMAGES: dict[str, Damage] = {
    "semicolons": Damage(put("patients.csv", patients().replace(",", ";")), "semicolons"),
    "tabs": Damage(put("patients.csv", patients().replace(",", "\t")), "separated by tabs"),
    "utf16": Damage(put("patients.csv", patients().encode("utf-16")), "UTF-16"),
    "cp1252": Damage(
        put("patients.csv", patients().replace("p2,", "Zo\u00eb,").encode("cp1252")), "not UTF-8"
    ),
    "upper_header": Damage(
        put("patients.csv", patients().replace("patient_id,", "PATIENT_ID,", 1)),
        "'PATIENT_ID' should be 'patient_id'",
    ),
    "ragged_row": Damage(put("events.csv", EVENTS + f"{SECRET_ID},2025-01-01,1,2,3\n"), "row 3"),
    "parquet_parts_disagree": Damage(
        events_as_parquet_parts(
            pl.DataFrame(
                {"patient_id": ["p2"], "date": ["2025-06-01"], "code": [HBA1C], "value": ["x"]}
            )
        ),
        "part b.parquet stores column 'value'",
    ),
    "no_patients": Damage(remove("patients.csv"), "required table 'patients' not found"),
    "no_events": Damage(remove("events.csv"), "required table 'events' not found"),
    "two_forms": Damage(put("events.parquet", b"x"), "found both events.csv and events.parquet"),
    "empty_events_file": Damage(put("events.csv", ""), "events.csv: is empty"),
    "not_parquet": Damage(
        lambda f: (remove("events.csv")(f), put("events.parquet", b"not parquet")(f)),
        "events.parquet: is not a Parquet file",
    ),
    "empty_parquet_folder": Damage(
        lambda f: (remove("events.csv")(f), (f / "events").mkdir()),
        "folder holds no .parquet files",
    ),
    "missing_code_column": Damage(
        put("events.csv", EVENTS.replace(",code,", ",snomed,", 1)),
        "column 'code': required column missing",
    ),
    "date_stored_as_integer": Damage(
        events_parquet(
            pl.DataFrame(
                {"patient_id": [SECRET_ID], "date": [20250601], "code": [HBA1C], "value": [1.0]}
            )
        ),
        "column 'date': stored as Int64",
    ),
    "uk_dates": Damage(
        put("events.csv", e(f"{SECRET_ID},01/06/2025,{HBA1C},{SECRET_VALUE}")),
        "unparseable date (expected YYYY-MM-DD)",
    ),
    "duplicate_patient": Damage(
        put("patients.csv", patients(*(f"{SECRET_ID},A81001,1950-02-01,F,2000-01-01,,",) * 2)),
        "duplicate patient_id",
    ),
    "bad_sex": Damage(
        put("patients.csv", patients(f"{SECRET_ID},A81001,1950-02-01,Female,2000-01-01,,")),
        "sex not one of F, M, I, U",
    ),
    "birth_year_0001": Damage(
        put("patients.csv", patients(f"{SECRET_ID},A81001,0001-01-01,F,2000-01-01,,")),
        "date_of_birth before 1880",
    ),
    "birth_in_future": Damage(
        put("patients.csv", patients(f"{SECRET_ID},A81001,2999-01-01,F,2000-01-01,,")),
        "or after today",
    ),
    "list_size_zero": Damage(
        put("practices.csv", PRACTICES.replace("9000", "0")), "list_size 0 or negative"
    ),
    "list_size_negative": Damage(
        put("practices.csv", PRACTICES.replace("9000", "-12")), "list_size 0 or negative"
    ),
    "list_size_text": Damage(
        put("practices.csv", PRACTICES.replace("9000", "ten")), "unparseable list_size"
    ),
    "duplicate_practice": Damage(
        put("practices.csv", PRACTICES + "A81001,Again,U1,10\n"), "duplicate practice_code"
    ),
    "deregistered_before_registered": Damage(
        put("patients.csv", patients(f"{SECRET_ID},A81001,1950-02-01,F,2000-01-01,1999-01-01,")),
        "deregistration_date before registration_date",
    ),
    "registered_before_birth": Damage(
        put("patients.csv", patients(f"{SECRET_ID},A81001,1950-02-01,F,1949-01-01,,")),
        "registration_date before date_of_birth",
    ),
    "died_before_birth": Damage(
        put("patients.csv", patients(f"{SECRET_ID},A81001,1950-02-01,F,2000-01-01,,1940-01-01")),
        "death_date before date_of_birth",
    ),
    "empty_patient_id": Damage(
        put("patients.csv", patients(",A81001,1950-02-01,F,2000-01-01,,")), "empty patient_id"
    ),
    "event_of_unknown_patient": Damage(
        put("events.csv", EVENTS + f"NOBODY-{SECRET_ID},2025-01-01,{HBA1C},1\n"),
        "patient_id not in patients",
    ),
    "code_not_digits": Damage(
        put("events.csv", EVENTS + f"{SECRET_ID},2025-01-01,HBA1C-{SECRET_VALUE},1\n"),
        "code",
    ),
    "code_empty": Damage(put("events.csv", EVENTS + f"{SECRET_ID},2025-01-01,,1\n"), "empty code"),
    "value_text": Damage(
        put("events.csv", EVENTS + f"{SECRET_ID},2025-01-01,{HBA1C},high {SECRET_VALUE}\n"),
        "unparseable value",
    ),
}

runner = CliRunner()


def run(*args: object):
    return runner.invoke(app, [str(a) for a in args])


def assert_refused(result, expected: str) -> None:
    output = result.output
    assert result.exit_code == 2, output
    assert expected in output, output
    assert "Traceback" not in output and "Error:" not in output.replace("error:", "")
    assert SECRET_ID not in output and SECRET_VALUE not in output


@pytest.mark.parametrize("name", sorted(DAMAGES))
@pytest.mark.parametrize("command", ["validate", "score"])
def test_damaged_extract_is_refused(tmp_path: Path, name: str, command: str) -> None:
    folder = extract(tmp_path / "x")
    DAMAGES[name].damage(folder)
    assert_refused(run(command, folder, "-r", RULESET), DAMAGES[name].expected)


# ---- mistaken options ---------------------------------------------------------------------


def options_cases(x: Path, tmp: Path) -> dict[str, tuple[list[object], str]]:
    """(arguments, expected text) per case; ``x`` is a valid extract."""
    (tmp / "a_folder").mkdir()
    (tmp / "a_file").write_text("x")
    (tmp / "bad.toml").write_text("[events\n")
    (tmp / "protected.csv").write_text("practice_code,indicator,points\nA81001,DM020,3\n")
    (tmp / "prevalence.csv").write_text("register,prevalence\nNOPE_REG,6.5\n")
    (tmp / "fraction.csv").write_text("register,prevalence\nDM_REG,0.065\n")
    (tmp / "twice.csv").write_text("register,prevalence\nDM_REG,6.4\nDM_REG,6.5\n")
    score = ["score", x, "-r", RULESET]
    return {
        "as_of_not_a_date": ([*score, "--as-of", "31/03/2026"], "--as-of"),
        "as_of_outside_period": ([*score, "--as-of", "2030-01-01"], "2030-01-01"),
        "unknown_ruleset": (["score", x, "-r", "qof-1999-00"], "unknown ruleset 'qof-1999-00'"),
        "unknown_indicator": (["patients", x, "-r", RULESET, "-i", "XX999"], "XX999"),
        "parquet_to_terminal": ([*score, "-f", "parquet"], "--format parquet needs --output"),
        "output_missing_folder": (
            [*score, "-f", "csv", "-o", tmp / "no" / "x.csv"],
            "does not exist",
        ),
        "output_is_a_folder": ([*score, "-f", "csv", "-o", tmp / "a_folder"], "is a folder"),
        "output_unwritable": ([*score, "-f", "csv", "-o", "/proc/qof.csv"], "--output"),
        "table_to_file": ([*score, "-o", tmp / "t.txt"], "--output needs --format"),
        "prevalence_file_missing": (
            [*score, "--national-prevalence", tmp / "none.csv"],
            "none.csv",
        ),
        "prevalence_unknown_register": (
            [*score, "--national-prevalence", tmp / "prevalence.csv"],
            "NOPE_REG",
        ),
        "prevalence_as_a_fraction": (
            [*score, "--national-prevalence", tmp / "fraction.csv"],
            "DM_REG 0.065 looks like a fraction",
        ),
        "prevalence_given_twice": (
            [*score, "--national-prevalence", tmp / "twice.csv"],
            "DM_REG is given twice",
        ),
        "point_value_overflows": ([*score, "--point-value", "1e308"], "--point-value"),
        "list_size_zero": ([*score, "--list-size", "0"], "--list-size"),
        "protected_not_protected": (
            [*score, "--protected-points", tmp / "protected.csv"],
            "DM020",
        ),
        "map_missing": ([*score, "--map", tmp / "none.toml"], "mapping file not found"),
        "map_not_toml": ([*score, "--map", tmp / "bad.toml"], "not valid TOML"),
        "synth_out_is_a_file": (
            ["synth", "--patients", "5", "--practices", "1", "--out", tmp / "a_file"],
            "is a file",
        ),
        "extract_missing": (["score", tmp / "nowhere", "-r", RULESET], "extract folder not found"),
        "extract_is_a_file": (
            ["score", x / "patients.csv", "-r", RULESET],
            "is a file, not an extract folder",
        ),
        "diff_unknown_ruleset": (["diff", RULESET, "qof-1999-00"], "qof-1999-00"),
        "diff_patients_without_extract": (
            ["diff", RULESET, RULESET, "--patients"],
            "--patients needs --extract",
        ),
        "worklist_with_indicator": (
            ["patients", x, "-r", RULESET, "--worklist", "-i", "DM020"],
            "--worklist",
        ),
        "validate_missing": (["validate", tmp / "nowhere"], "extract folder not found"),
    }


OPTION_CASES = [
    "as_of_not_a_date",
    "as_of_outside_period",
    "unknown_ruleset",
    "unknown_indicator",
    "parquet_to_terminal",
    "output_missing_folder",
    "output_is_a_folder",
    "output_unwritable",
    "table_to_file",
    "prevalence_file_missing",
    "prevalence_unknown_register",
    "prevalence_as_a_fraction",
    "prevalence_given_twice",
    "point_value_overflows",
    "list_size_zero",
    "protected_not_protected",
    "map_missing",
    "map_not_toml",
    "synth_out_is_a_file",
    "extract_missing",
    "extract_is_a_file",
    "diff_unknown_ruleset",
    "diff_patients_without_extract",
    "worklist_with_indicator",
    "validate_missing",
]


@pytest.mark.parametrize("name", OPTION_CASES)
def test_mistaken_option_is_refused(tmp_path: Path, name: str) -> None:
    cases = options_cases(extract(tmp_path / "x"), tmp_path)
    args, expected = cases[name]
    assert_refused(run(*args), expected)


def test_the_corpus_is_large_enough(tmp_path: Path) -> None:
    assert set(OPTION_CASES) == set(options_cases(tmp_path / "x", tmp_path))
    assert len(DAMAGES) * 2 + len(OPTION_CASES) >= 60


def test_the_undamaged_extract_scores(tmp_path: Path) -> None:
    result = run("score", extract(tmp_path / "x"), "-r", RULESET, "-f", "json")
    assert result.exit_code == 0, result.output
