"""PCN and whole-run roll-ups: achievement from POOLED numerators and denominators, points from
that, list and register sizes summed, £ = the sum of the member practices' £."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from mini_extract import MINI, Patients, build, practices, row, write_csv
from typer.testing import CliRunner

from qofcli import api
from qofcli.cli import app
from qofcli.ruleset.loader import load_ruleset
from qofcli.scoring.networks import NO_PCN
from qofcli.scoring.payment import rates_for
from qofcli.scoring.points import points_for

# MINI001 (17 points, 35-75%):
#   A: 6 of 8 achieved = 75%  -> 17 points          (list 1,000, DM register 8)
#   B: 0 of 2 achieved = 0%   -> 0 points           (list 3,000, DM register 2)
#   C: 1 of 1 achieved = 100% -> 17 points, no PCN  (list 500, DM register 1)
GROUPS = [
    Patients("A", 6, hba1c=50),
    Patients("A", 2, hba1c=70),
    Patients("B", 2, hba1c=70),
    Patients("C", 1, hba1c=50),
]
PRACTICES = [("A", "U1", 1_000), ("B", "U1", 3_000), ("C", None, 500)]


@pytest.fixture(scope="module")
def mini():
    return load_ruleset(MINI)


@pytest.fixture(scope="module")
def extract():
    return build(GROUPS, practices(PRACTICES))


@pytest.fixture(scope="module")
def rates(mini):
    return rates_for(mini, national_prevalence={"DM_REG": 1.0})


def test_pooled_differs_from_averaged(mini, extract, rates) -> None:
    pcn = api.score(extract, mini, rates=rates, by="pcn")
    u1 = row(pcn.indicators, unit="U1", indicator="MINI001")
    # pooled: (6 + 0) / (8 + 2) = 60% -> 17 × (60 − 35) / 40 = 10.625 points
    assert (u1["numerator"], u1["denominator"]) == (6, 10)
    assert u1["achievement"] == pytest.approx(60.0)
    assert u1["points"] == pytest.approx(10.625)
    # averaging the practices' achievement would give (75 + 0) / 2 = 37.5% -> 1.0625 points
    averaged = points_for((75.0 + 0.0) / 2, 35, 75, 17)
    assert averaged == pytest.approx(1.0625)
    assert u1["points"] != pytest.approx(averaged)


def test_pcn_pounds_are_the_sum_of_the_practices_pounds(mini, extract, rates) -> None:
    per_practice = api.score(extract, mini, rates=rates)
    # A: 17 × 200 × CPI (1,000 / 10,000 = 0.1) × APDF ((8 / 1,000 = 0.8%) / 1% = 0.8) = 272.00
    # B: 0 points -> £0; its max is 17 × 200 × 0.3 × ((2 / 3,000) / 1%) = 68.00
    assert row(per_practice.indicators, practice_code="A", indicator="MINI001")[
        "pounds"
    ] == pytest.approx(272.0)
    pcn = api.score(extract, mini, rates=rates, by="pcn")
    u1 = row(pcn.indicators, unit="U1", indicator="MINI001")
    assert u1["pounds"] == pytest.approx(272.0 + 0.0)
    assert u1["max_pounds"] == pytest.approx(272.0 + 68.0)
    assert u1["cpi"] is None and u1["apdf"] is None  # per-practice factors only
    unit = row(pcn.practices, unit="U1")
    assert unit["practices"] == ["A", "B"]
    assert unit["list_size"] == 4_000
    register = row(pcn.registers, unit="U1", register="DM_REG")
    # register 8 + 2 = 10 on a list of 4,000 = 0.25%
    assert register["size"] == 10 and register["prevalence"] == pytest.approx(0.25)


def test_practices_without_a_pcn_are_grouped(mini, extract, rates) -> None:
    pcn = api.score(extract, mini, rates=rates, by="pcn")
    assert pcn.practices["unit"].to_list() == [NO_PCN, "U1"]
    assert row(pcn.practices, unit=NO_PCN)["practices"] == ["C"]


def test_all_is_one_pooled_row(mini, extract, rates) -> None:
    everything = api.score(extract, mini, rates=rates, by="all")
    assert everything.practices.height == 1
    dm = row(everything.indicators, unit="all", indicator="MINI001")
    # (6 + 0 + 1) / (8 + 2 + 1) = 63.64% -> 17 × (63.636 − 35) / 40 = 12.17 points
    assert (dm["numerator"], dm["denominator"]) == (7, 11)
    assert dm["points"] == pytest.approx(17 * (700 / 11 - 35) / 40)
    # £: A 272.00 + B 0 + C 17 × 200 × 0.05 × ((1 / 500 = 0.2%) / 1% = 0.2) = 34.00
    assert dm["pounds"] == pytest.approx(306.0)
    total = everything.totals.to_dicts()[0]
    assert total["practices"] == 3 and total["list_size"] == 4_500


def test_no_practices_table_means_no_pcn(mini) -> None:
    pcn = api.score(build(GROUPS), mini, by="pcn")
    assert pcn.practices["unit"].to_list() == [NO_PCN]


def test_cli_by_pcn_json(tmp_path: Path) -> None:
    folder = write_csv(build(GROUPS, practices(PRACTICES)), tmp_path)
    result = CliRunner().invoke(
        app, ["score", str(folder), "--ruleset", str(MINI), "--by", "pcn", "-f", "json"]
    )
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["by"] == "pcn" and "practices" not in document
    u1 = next(u for u in document["units"] if u["unit"] == "U1")
    assert u1["practices"] == ["A", "B"]
    assert next(i for i in u1["indicators"] if i["id"] == "MINI001")["points"] == 10.625


def test_cli_by_all_table_and_csv(tmp_path: Path) -> None:
    folder = write_csv(build(GROUPS, practices(PRACTICES)), tmp_path)
    runner = CliRunner()
    table = runner.invoke(app, ["score", str(folder), "-r", str(MINI), "--by", "all"])
    assert table.exit_code == 0, table.output
    words = " ".join(table.stdout.split())  # prose lines wrap at the output's width
    assert "A, B, C" in words and "pooled achievement" in words
    csv = runner.invoke(app, ["score", str(folder), "-r", str(MINI), "--by", "all", "-f", "csv"])
    assert csv.stdout.splitlines()[0].startswith("unit,indicator,")
    units = runner.invoke(
        app,
        ["score", str(folder), "-r", str(MINI), "--by", "all", "-f", "csv", "--table", "practices"],
    )
    assert "A; B; C" in units.stdout  # CSV lists member practices ;-joined


def test_bad_by_value(tmp_path: Path) -> None:
    folder = write_csv(build(GROUPS), tmp_path)
    result = CliRunner().invoke(app, ["score", str(folder), "-r", str(MINI), "--by", "icb"])
    assert result.exit_code == 2
