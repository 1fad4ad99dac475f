"""The command line end to end on a small extract: exit codes, formats, errors, atomic output."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from qofcli import __version__, api
from qofcli.cli import app
from qofcli.extract import load_extract
from qofcli.reports.console import indicator_count
from qofcli.reports.files import json_text, score_document

SECRET_ID = "PATIENT-SECRET-7731"
RULESET = "qof-2025-26"


@pytest.fixture(scope="module")
def ruleset():
    return api.load_ruleset("qof-2025-26")


@pytest.fixture(scope="module")
def extract_dir(tmp_path_factory: pytest.TempPathFactory, ruleset) -> Path:
    """Two practices; one diabetic achieving DM020, one not, one not diabetic."""
    folder = tmp_path_factory.mktemp("extract")
    code = {name: ruleset.clusters[name].codes[0] for name in ("DM_COD", "IFCCHBAM_COD")}
    pl.DataFrame(
        {
            "patient_id": [SECRET_ID, "p2", "p3"],
            "practice_code": ["A81001", "A81001", "B82002"],
            "date_of_birth": ["1950-02-01", "1960-05-05", "1990-01-01"],
            "sex": ["F", "M", "F"],
            "registration_date": ["2000-01-01", "2001-01-01", "2002-01-01"],
            "deregistration_date": [None, None, None],
            "death_date": [None, None, None],
        }
    ).write_csv(folder / "patients.csv")
    pl.DataFrame(
        {
            "patient_id": [SECRET_ID, SECRET_ID, "p2", "p2"],
            "date": ["2010-01-01", "2025-06-01", "2011-01-01", "2025-06-01"],
            "code": [code["DM_COD"], code["IFCCHBAM_COD"], code["DM_COD"], code["IFCCHBAM_COD"]],
            "value": [None, 50.0, None, 70.0],
        }
    ).write_csv(folder / "events.csv")
    return folder


@pytest.fixture()
def broken_dir(tmp_path: Path) -> Path:
    (tmp_path / "patients.csv").write_text(
        "patient_id,practice_code,date_of_birth,sex,registration_date,deregistration_date,death_date\n"
        f"{SECRET_ID},A81001,1950-13-01,Q,2000-01-01,,\n"
        f"{SECRET_ID},A81001,1950-01-01,F,2000-01-01,,\n"
    )
    (tmp_path / "events.csv").write_text("patient_id,date,code\nnobody,2025-01-01,73211009\n")
    return tmp_path


runner = CliRunner()


def run(*args: str):
    return runner.invoke(app, [str(a) for a in args])


def test_version() -> None:
    result = run("--version")
    assert result.exit_code == 0
    assert result.stdout.strip() == f"qof {__version__}"


def test_rulesets_lists_counts_and_points(ruleset) -> None:
    result = run("rulesets")
    assert result.exit_code == 0
    row = next(line for line in result.stdout.splitlines() if line.startswith("│ qof-2025-26"))
    assert "v50" in row
    assert f" {indicator_count(ruleset)} " in row
    assert f" {ruleset.total_points:g} " in row


def test_score_table_shows_each_practice_and_indicator(extract_dir: Path) -> None:
    result = run("score", extract_dir, "-r", RULESET)
    assert result.exit_code == 0, result.output
    for text in ("A81001", "B82002", "DM_REG", "DM020", "DM036"):
        assert text in result.stdout


def test_score_json_equals_library_result(extract_dir: Path, ruleset) -> None:
    result = run("score", extract_dir, "-r", RULESET, "--format", "json")
    assert result.exit_code == 0, result.output
    expected = json.loads(json_text(score_document(api.score(load_extract(extract_dir), ruleset))))
    assert json.loads(result.stdout) == expected


def test_score_json_shape(extract_dir: Path) -> None:
    document = json.loads(run("score", extract_dir, "-r", RULESET, "-f", "json").stdout)
    assert document["ruleset"]["id"] == "qof-2025-26"
    assert document["ruleset"]["business_rules"] == "v50"
    assert document["achievement_date"] == "2026-03-31"
    practice = next(p for p in document["practices"] if p["practice_code"] == "A81001")
    assert practice["list_size"] == 2 and practice["list_size_source"] == "registered"
    register = next(r for r in practice["registers"] if r["id"] == "DM_REG")
    assert register["size"] == 2 and register["prevalence"] == 100.0
    dm020 = next(i for i in practice["indicators"] if i["id"] == "DM020")
    assert {k: dm020[k] for k in ("denominator", "numerator", "pca", "achievement")} == {
        "denominator": 2,
        "numerator": 1,
        "pca": 0,
        "achievement": 50.0,
    }
    # 17 points between 35% and 75%: 17 * (50 - 35) / 40
    assert dm020["points"] == pytest.approx(6.375)
    assert dm020["max_points"] == 17


def test_as_of_moves_the_achievement_date(extract_dir: Path) -> None:
    document = json.loads(
        run("score", extract_dir, "-r", RULESET, "-f", "json", "--as-of", "2025-12-31").stdout
    )
    assert document["achievement_date"] == "2025-12-31"


@pytest.mark.parametrize("as_of", ["2027-01-01", "31/03/2026"])
def test_bad_as_of_is_one_line_exit_2(extract_dir: Path, as_of: str) -> None:
    result = run("score", extract_dir, "-r", RULESET, "--as-of", as_of)
    assert result.exit_code == 2
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.output


def test_score_csv_tables(extract_dir: Path) -> None:
    indicators = pl.read_csv(run("score", extract_dir, "-r", RULESET, "-f", "csv").stdout.encode())
    assert {"practice_code", "indicator", "denominator", "numerator", "points"} <= set(
        indicators.columns
    )
    registers = pl.read_csv(
        run(
            "score", extract_dir, "-r", RULESET, "-f", "csv", "--table", "registers"
        ).stdout.encode()
    )
    dm = registers.filter((pl.col("practice_code") == "B82002") & (pl.col("register") == "DM_REG"))
    assert dm["size"].to_list() == [0]


def test_parquet_needs_output(extract_dir: Path, tmp_path: Path) -> None:
    assert run("score", extract_dir, "-r", RULESET, "-f", "parquet").exit_code == 2
    target = tmp_path / "indicators.parquet"
    result = run("score", extract_dir, "-r", RULESET, "-f", "parquet", "-o", target)
    assert result.exit_code == 0
    ruleset = api.load_ruleset("qof-2025-26")
    assert pl.read_parquet(target).height == 2 * len(ruleset.indicators)
    assert list(tmp_path.iterdir()) == [target]  # no temporary file left behind


def test_patients_explains_each_patient(extract_dir: Path) -> None:
    result = run("patients", extract_dir, "-r", RULESET, "--indicator", "DM020")
    assert result.exit_code == 0, result.output
    rows = pl.read_csv(result.stdout.encode())
    assert rows.columns == [
        "practice_code",
        "patient_id",
        "indicator",
        "status",
        "reason",
        "reason_type",
        "rule",
        "description",
    ]
    status = dict(zip(rows["patient_id"], rows["status"], strict=True))
    assert status == {SECRET_ID: "achieved", "p2": "not_achieved"}


def test_patients_status_filter_and_json(extract_dir: Path) -> None:
    result = run(
        "patients", extract_dir, "-r", RULESET, "-i", "DM020", "-s", "not_achieved", "-f", "json"
    )
    assert [r["patient_id"] for r in json.loads(result.stdout)] == ["p2"]


def test_patients_unknown_indicator(extract_dir: Path) -> None:
    result = run("patients", extract_dir, "-r", RULESET, "--indicator", "XX999")
    assert result.exit_code == 2
    assert "XX999" in result.stderr and "DM020" in result.stderr


def test_validate_lists_every_problem_without_patient_values(broken_dir: Path) -> None:
    result = run("validate", broken_dir)
    assert result.exit_code == 2
    for expected in ("duplicate patient_id", "date_of_birth", "sex", "not in patients"):
        assert expected in result.stdout, expected
    assert SECRET_ID not in result.output
    assert "Traceback" not in result.output


def test_commands_refuse_an_invalid_extract(broken_dir: Path, tmp_path: Path) -> None:
    target = tmp_path / "out.json"
    result = run("score", broken_dir, "-r", RULESET, "-f", "json", "-o", target)
    assert result.exit_code == 2
    assert not target.exists()
    lines = result.stderr.strip().splitlines()
    assert len(lines) >= 3 and all(line.startswith("error:") for line in lines[:-1])
    assert SECRET_ID not in result.output


def test_missing_extract_folder(tmp_path: Path) -> None:
    result = run("score", tmp_path / "nowhere", "-r", RULESET)
    assert result.exit_code == 2
    assert "nowhere" in result.stderr and "Traceback" not in result.output


def test_unknown_ruleset(extract_dir: Path) -> None:
    result = run("score", extract_dir, "--ruleset", "qof-1999-00")
    assert result.exit_code == 2
    assert "qof-2025-26" in result.stderr


def test_output_into_missing_folder(extract_dir: Path, tmp_path: Path) -> None:
    result = run("score", extract_dir, "-r", RULESET, "-f", "csv", "-o", tmp_path / "no" / "x.csv")
    assert result.exit_code == 2


def test_achievement_date_is_the_period_end_by_default(ruleset) -> None:
    assert ruleset.period_end == date(2026, 3, 31)
