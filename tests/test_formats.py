"""The output-format registry: the format follows the --output extension for every command, and a
--format that contradicts it (or cannot be written there) is refused with one line before any
work. Ruleset qof-2025-26 on a three-patient extract (achievement date 2026-03-31)."""

from __future__ import annotations

import json
from pathlib import Path

import openpyxl
import polars as pl
import pytest
from typer.testing import CliRunner

from qofcli import api
from qofcli.cli import app
from qofcli.errors import UsageError
from qofcli.reports.formats import FORMATS, choose_format, format_of_path

RULESET = "qof-2025-26"
runner = CliRunner()
MISSING = Path("no-such-extract-folder")  # any work would fail on it with another message


def run(*args: object):
    return runner.invoke(app, [str(a) for a in args])


@pytest.fixture(scope="module")
def extract(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two diabetics at A81001 (HbA1c 50 and 70 on 2025-06-01) and one non-diabetic."""
    folder = tmp_path_factory.mktemp("extract")
    ruleset = api.load_ruleset(RULESET)
    dm, hba1c = (ruleset.clusters[c].codes[0] for c in ("DM_COD", "IFCCHBAM_COD"))
    pl.DataFrame(
        {
            "patient_id": ["p1", "p2", "p3"],
            "practice_code": ["A81001"] * 3,
            "date_of_birth": ["1950-02-01", "1960-05-05", "1990-01-01"],
            "sex": ["F", "M", "F"],
            "registration_date": ["2000-01-01"] * 3,
            "deregistration_date": [None] * 3,
            "death_date": [None] * 3,
        }
    ).write_csv(folder / "patients.csv")
    pl.DataFrame(
        {
            "patient_id": ["p1", "p1", "p2", "p2"],
            "date": ["2010-01-01", "2025-06-01", "2011-01-01", "2025-06-01"],
            "code": [dm, hba1c, dm, hba1c],
            "value": [None, 50.0, None, 70.0],
        }
    ).write_csv(folder / "events.csv")
    return folder


@pytest.mark.parametrize(
    ("name", "fmt"),
    [
        ("a.csv", "csv"),
        ("a.JSON", "json"),
        ("a.parquet", "parquet"),
        ("a.pq", "parquet"),
        ("a.xlsx", "xlsx"),
        ("a.html", "html"),
        ("a.htm", "html"),
        ("a.txt", None),
        ("a", None),
    ],
)
def test_extension_names_the_format(name: str, fmt: str | None) -> None:
    assert format_of_path(Path(name)) == fmt


def test_choose_format(tmp_path: Path) -> None:
    allowed = ["table", "csv", "json", "parquet", "xlsx"]
    assert choose_format(None, None, allowed, "table") == "table"
    assert choose_format(None, tmp_path / "x.parquet", allowed, "table") == "parquet"
    assert choose_format("json", tmp_path / "x.json", allowed, "table") == "json"
    assert choose_format("csv", None, allowed, "table") == "csv"
    assert choose_format(None, tmp_path / "list.txt", ["csv"], "csv") == "csv"


@pytest.mark.parametrize(
    ("option", "name", "message"),
    [
        ("csv", "x.parquet", "--format csv contradicts --output"),
        ("parquet", None, "--format parquet needs --output FILE"),
        ("xlsx", None, "--format xlsx needs --output FILE"),
        (None, "x.txt", "--output needs --format csv or json or parquet or xlsx, or a file name"),
        (None, "x.html", "this command cannot write html"),
        ("table", "x.csv", "--format table contradicts --output"),
        (None, "missing/x.csv", "folder"),
    ],
)
def test_choose_format_refuses(
    tmp_path: Path, option: str | None, name: str | None, message: str
) -> None:
    output = tmp_path / name if name else None
    with pytest.raises(UsageError, match=message):
        choose_format(option, output, ["table", "csv", "json", "parquet", "xlsx"], "table")


def test_output_that_is_a_folder_is_refused(tmp_path: Path) -> None:
    (tmp_path / "out.csv").mkdir()
    with pytest.raises(UsageError, match="is a folder"):
        choose_format(None, tmp_path / "out.csv", ["csv"], "csv")


@pytest.mark.parametrize(
    "command",
    [
        ("score", MISSING),
        ("patients", MISSING),
        ("diff", RULESET, "qof-2024-25", "--extract", MISSING),
        ("report", MISSING),
    ],
)
def test_contradiction_refused_before_any_work(command: tuple[object, ...], tmp_path: Path) -> None:
    target = tmp_path / "out.parquet"
    fmt = "xlsx" if command[0] == "report" else "csv"
    result = run(*command, "-f", fmt, "-o", target)
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and f"--format {fmt} contradicts --output" in lines[0]
    assert "Traceback" not in result.output and not target.exists()


def test_patients_parquet_extension_writes_parquet(extract: Path, tmp_path: Path) -> None:
    target = tmp_path / "p.parquet"
    assert run("patients", extract, "-r", RULESET, "-o", target).exit_code == 0
    frame = pl.read_parquet(target)  # fails on CSV bytes
    dm020 = dict(frame.filter(pl.col("indicator") == "DM020").select("patient_id", "status").rows())
    assert dm020 == {"p1": "achieved", "p2": "not_achieved"}


def test_score_extension_picks_json_and_xlsx(extract: Path, tmp_path: Path) -> None:
    as_json = tmp_path / "s.json"
    assert run("score", extract, "-r", RULESET, "-o", as_json).exit_code == 0
    document = json.loads(as_json.read_text())
    assert document["ruleset"]["id"] == RULESET
    book_path = tmp_path / "s.xlsx"
    assert run("score", extract, "-r", RULESET, "-o", book_path).exit_code == 0
    book = openpyxl.load_workbook(book_path)
    assert book.sheetnames == [
        "indicators",
        "registers",
        "practices",
        "reasons",
        "domains",
        "totals",
    ]
    rows = list(book["totals"].iter_rows(values_only=True))
    totals = dict(zip(rows[0], rows[1], strict=True))
    assert totals["points"] == pytest.approx(document["totals"]["points"], abs=1e-4)


def test_diff_extension_picks_csv(tmp_path: Path) -> None:
    target = tmp_path / "d.csv"
    scheme = Path(__file__).resolve().parents[1] / "rulesets" / "examples" / "network-scheme"
    assert run("diff", RULESET, scheme, "-o", target).exit_code == 0
    changes = pl.read_csv(target)
    assert ("DM012", "removed") in changes.select("id", "change").rows()


def test_every_registered_format_has_a_writer() -> None:
    assert set(FORMATS) == {"csv", "json", "parquet", "xlsx", "html"}
    assert all(callable(f.write) and f.extensions for f in FORMATS.values())
