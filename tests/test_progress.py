"""In-year progress: patients still needed for full points, £ still available, and the worklist
ranked by the marginal £ of one more achiever."""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path

import polars as pl
import pytest
from mini_extract import MINI, Patients, build, list_only, practices, row, write_csv
from rich.console import Console
from typer.testing import CliRunner

from qofcli import api
from qofcli.cli import app
from qofcli.reports.console import render_score
from qofcli.ruleset.loader import load_ruleset
from qofcli.scoring.payment import rates_for
from qofcli.scoring.progress import patients_needed_expr

# Practice A, list 1,000; DM register 4 (national prevalence 2% -> APDF (0.4% / 2%) = 0.2);
# CPI = 1,000 / 10,000 = 0.1; £200 per point; MINI002 is list-only here.
#   two patients aged 60 with HbA1c 50:   MINI001 achieved
#   one patient aged 85 with no HbA1c:    MINI001 and MINI002 (DM_ELDER_REG) not achieved
#   one patient aged 60 with HbA1c 70:    MINI001 not achieved
GROUPS = [
    Patients("A", 2, hba1c=50),
    Patients("A", 1, hba1c=None, age=85),
    Patients("A", 1, hba1c=70),
]
ELDER_ID, HIGH_ID = "A-1-0", "A-2-0"


@pytest.fixture(scope="module")
def ruleset():
    return list_only(load_ruleset(MINI), "MINI002")


@pytest.fixture(scope="module")
def rates(ruleset):
    return rates_for(ruleset, national_prevalence={"DM_REG": 2.0})


@pytest.fixture(scope="module")
def extract():
    return build(GROUPS, practices([("A", None, 1_000)]))


@pytest.mark.parametrize(
    ("upper", "denominator", "numerator", "needed"),
    [
        (75, 4, 2, 1),  # ceil(0.75 × 4 = 3) − 2
        (75, 3, 1, 2),  # ceil(2.25) = 3, − 1
        (57.5, 200, 100, 15),  # 57.5% of 200 is exactly 115 (no float rounding up to 116)
        (90, 10, 10, 0),  # already there
        (90, 0, 0, 0),  # nobody in the denominator
        (40, 10, 9, 0),  # above the threshold: never negative
    ],
)
def test_patients_needed(upper: float, denominator: int, numerator: int, needed: int) -> None:
    frame = pl.DataFrame({"upper": [upper], "denominator": [denominator], "numerator": [numerator]})
    assert frame.select(patients_needed_expr()).item() == needed


def test_progress_columns(ruleset, rates, extract) -> None:
    result = api.score(extract, ruleset, as_of=date(2024, 12, 31), rates=rates)
    assert result.in_year
    dm = row(result.indicators, indicator="MINI001")
    # 2 of 4 = 50% -> 17 × (50 − 35) / 40 = 6.375 points; £ per point 200 × 0.1 × 0.2 = 4
    assert dm["points"] == pytest.approx(6.375)
    assert dm["patients_needed"] == 1  # ceil(0.75 × 4) − 2
    assert dm["pounds"] == pytest.approx(25.5)  # 6.375 × 4
    assert dm["pounds_remaining"] == pytest.approx(42.5)  # (17 − 6.375) × 4
    elder = row(result.indicators, indicator="MINI002")
    # 0 of 1: needs ceil(0.9 × 1) = 1; list-only £ per point 200 × 0.1 = 20 -> 10 × 20 = 200
    assert elder["patients_needed"] == 1
    assert elder["pounds_remaining"] == pytest.approx(200.0)


def test_worklist_ranks_by_marginal_pounds(ruleset, rates, extract) -> None:
    work = api.worklist(extract, ruleset, rates=rates)
    assert work.columns == [
        "practice_code",
        "patient_id",
        "pounds_at_stake",
        "points_at_stake",
        "indicators",
        "missing",
    ]
    # One more MINI001 achiever: 3 of 4 = 75% -> 17 points, + 10.625 points × £4 = £42.50.
    # One more MINI002 achiever: 1 of 1 = 100% -> 10 points, + 10 points × £20 = £200.00.
    # The 85-year-old misses both: 242.50; the patient with HbA1c 70 misses MINI001: 42.50.
    assert work["patient_id"].to_list() == [ELDER_ID, HIGH_ID]
    assert work["pounds_at_stake"].to_list() == pytest.approx([242.5, 42.5])
    assert work["points_at_stake"].to_list() == pytest.approx([20.625, 10.625])
    elder = work.row(0, named=True)
    assert elder["indicators"] == ["MINI002", "MINI001"]  # most £ first
    assert elder["missing"][0] == "MINI002: Not met: HbA1c recorded in the last 12 months"


def test_worklist_marginal_is_zero_when_one_more_changes_nothing(ruleset, rates) -> None:
    # 1 of 10 = 10%: one more is 20%, still at or below the 35% lower threshold
    extract = build([Patients("A", 1, hba1c=50), Patients("A", 9, hba1c=70)])
    work = api.worklist(extract, ruleset, rates=rates)
    assert work.height == 9
    assert work["pounds_at_stake"].to_list() == [0.0] * 9


def test_cli_worklist_and_as_of_table(tmp_path: Path) -> None:
    folder = write_csv(build(GROUPS, practices([("A", None, 1_000)])), tmp_path)
    prevalence = tmp_path / "prev.csv"
    prevalence.write_text("register,prevalence\nDM_REG,2\n")
    runner = CliRunner()
    result = runner.invoke(
        app,
        ["patients", str(folder), "-r", str(MINI), "--worklist"]
        + ["--national-prevalence", str(prevalence)],
    )
    assert result.exit_code == 0, result.output
    work = pl.read_csv(result.stdout.encode())
    assert work["patient_id"].to_list() == [ELDER_ID, HIGH_ID]
    # in mini MINI002 is prevalence-adjusted on a register with no national prevalence: no £,
    # so it comes after MINI001 (CSV joins the list with "; ")
    assert work["indicators"][0] == "MINI001; MINI002"
    assert work["pounds_at_stake"].to_list() == pytest.approx([42.5, 42.5])
    table = runner.invoke(app, ["score", str(folder), "-r", str(MINI), "--as-of", "2024-12-31"])
    assert table.exit_code == 0, table.output


def test_table_shows_progress_only_in_year(ruleset, rates, extract) -> None:
    def rendered(as_of: date | None) -> str:
        console = Console(width=200, file=io.StringIO())
        render_score(api.score(extract, ruleset, as_of=as_of, rates=rates), console)
        return console.file.getvalue()  # type: ignore[attr-defined]

    in_year = rendered(date(2024, 12, 31))
    assert "Needed" in in_year and "£ left" in in_year
    assert "Needed" not in rendered(None)


def test_cli_worklist_refuses_filters(tmp_path: Path) -> None:
    folder = write_csv(build(GROUPS), tmp_path)
    result = CliRunner().invoke(
        app, ["patients", str(folder), "-r", str(MINI), "--worklist", "-i", "MINI001"]
    )
    assert result.exit_code == 2 and "--worklist" in result.stderr
