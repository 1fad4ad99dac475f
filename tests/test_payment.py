"""Money: £ = points × £ per point × CPI × APDF. Every expected figure is worked by hand here.

CPI = list size ÷ national average list size; APDF = (register ÷ list size) ÷ national
prevalence; list-only indicators (prevalence_adjusted false) use CPI only (qof-catalogue.md §2).
The mini ruleset pays £200 per point with a national average list of 10,000.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import polars as pl
import pytest
from mini_extract import MINI, Patients, build, list_only, practices, row, write_csv
from typer.testing import CliRunner

from qofcli import api
from qofcli.cli import app
from qofcli.errors import RulesetError, UsageError
from qofcli.extract import load_extract
from qofcli.ruleset.loader import load_ruleset
from qofcli.ruleset.model import Payment
from qofcli.scoring.payment import apdf, cpi, pounds, rates_for, read_national_prevalence
from qofcli.scoring.points import points_for


@pytest.fixture(scope="module")
def mini():
    return load_ruleset(MINI)


# ---- the catalogue's worked example -----------------------------------------------------


def test_catalogue_worked_example_by_hand() -> None:
    """qof-catalogue.md §2, 2024/25 DM020 (17 points, 35-75%): list 12,000, register 900,
    denominator 800, numerator 520, national prevalence 6.4%, £220.62/point, average list 9,964."""
    achieved = 100 * 520 / 800  # 65.0%
    points = points_for(achieved, 35, 75, 17)  # 17 × (65 − 35) / (75 − 35) = 12.75
    assert points == 12.75
    factor_cpi = cpi(12_000, 9_964)  # 12,000 / 9,964 = 1.204336
    assert factor_cpi == pytest.approx(1.204336, abs=1e-6)
    factor_apdf = apdf(900, 12_000, 6.4)  # (900 / 12,000 = 7.5%) / 6.4% = 1.171875
    assert factor_apdf == pytest.approx(1.171875)
    # 12.75 × 220.62 = 2,812.905; × 1.204336 = 3,387.68; × 1.171875 = 3,969.94 ≈ £3,970
    assert pounds(points, 220.62, factor_cpi, factor_apdf) == pytest.approx(3969.94, abs=0.01)


def test_catalogue_worked_example_through_the_engine(mini) -> None:
    """The same practice as an extract: MINI001 is shaped like DM020 (17 points, 35-75%)."""
    extract = build(
        [
            Patients("A", 520, hba1c=50),  # HbA1c <= 58: achieved
            Patients("A", 280, hba1c=70),  # above target: in the denominator, not achieved
            Patients("A", 100, hba1c=70, pca=True),  # DMPCADEC: out of the denominator
        ],
        practices([("A", None, 12_000)]),  # total list 12,000 (practices table)
    )
    rates = rates_for(
        mini, point_value=220.62, list_size=9_964, national_prevalence={"DM_REG": 6.4}
    )
    result = api.score(extract, mini, rates=rates)
    dm = row(result.indicators, indicator="MINI001")
    assert (dm["denominator"], dm["numerator"], dm["pca"]) == (800, 520, 100)
    assert dm["points"] == pytest.approx(12.75)
    assert dm["cpi"] == pytest.approx(12_000 / 9_964)
    assert dm["apdf"] == pytest.approx(1.171875)  # register 900 of 12,000 = 7.5%, ÷ 6.4%
    assert dm["pounds"] == pytest.approx(3969.94, abs=0.01)
    # max £: 17 × 220.62 × 1.204336 × 1.171875 = 5,293.25
    assert dm["max_pounds"] == pytest.approx(5293.25, abs=0.01)


# ---- list-only, unknown prevalence, overrides -------------------------------------------


ELDERLY_PRACTICE = [
    Patients("A", 3, hba1c=50, age=60),  # MINI001 achieved
    Patients("A", 1, hba1c=50, age=85),  # MINI001 achieved; DM_ELDER_REG, MINI002 achieved
]


def test_list_only_indicator_uses_cpi_only(mini) -> None:
    ruleset = list_only(mini, "MINI002")
    extract = build(ELDERLY_PRACTICE, practices([("A", None, 1_000)]))
    result = api.score(extract, ruleset)
    elder = row(result.indicators, indicator="MINI002")
    # MINI002: 1 of 1 = 100% -> all 10 points; CPI = 1,000 / 10,000 = 0.1; no APDF
    # £ = 10 × 200 × 0.1 = 200.00
    assert elder["points"] == 10
    assert elder["apdf"] == 1.0
    assert elder["pounds"] == pytest.approx(200.0)
    assert elder["pounds_note"] is None


def test_pounds_are_null_when_national_prevalence_is_unknown(mini) -> None:
    extract = build(ELDERLY_PRACTICE, practices([("A", None, 1_000)]))
    result = api.score(extract, mini)  # mini gives no [payment.national_prevalence]
    dm = row(result.indicators, indicator="MINI001")
    assert dm["points"] == 17  # 4 of 4 = 100%
    assert dm["pounds"] is None and dm["max_pounds"] is None and dm["apdf"] is None
    assert "no national prevalence for DM_REG" in dm["pounds_note"]
    assert "--national-prevalence" in dm["pounds_note"]
    practice = row(result.practices, practice_code="A")
    # nothing priced: £ is null, not 0, and all 27 points (17 + 10) are unpriced
    assert practice["pounds"] is None
    assert practice["unpriced_points"] == 27


def test_pounds_are_null_without_point_value_or_list_size(mini) -> None:
    extract = build(ELDERLY_PRACTICE, practices([("A", None, 1_000)]))
    unpaid = replace(mini, payment=Payment(national_prevalence={"DM_REG": 2.0}))
    dm = row(api.score(extract, unpaid).indicators, indicator="MINI001")
    assert dm["pounds"] is None and "--point-value" in dm["pounds_note"]
    rates = rates_for(unpaid, point_value=200)
    dm = row(api.score(extract, unpaid, rates=rates).indicators, indicator="MINI001")
    assert dm["pounds"] is None and "--list-size" in dm["pounds_note"]
    rates = rates_for(unpaid, point_value=200, list_size=10_000)
    dm = row(api.score(extract, unpaid, rates=rates).indicators, indicator="MINI001")
    assert dm["pounds"] == pytest.approx(68.0)  # 17 × 200 × 0.1 × (0.4% / 2% = 0.2)


def test_partly_priced_totals_say_what_is_missing(mini) -> None:
    extract = build(ELDERLY_PRACTICE, practices([("A", None, 1_000)]))
    rates = rates_for(mini, national_prevalence={"DM_REG": 2.0})
    result = api.score(extract, mini, rates=rates)
    practice = row(result.practices, practice_code="A")
    # MINI001: 17 × 200 × CPI 0.1 × APDF ((4 / 1,000 = 0.4%) / 2% = 0.2) = 68.00
    # MINI002 is on DM_ELDER_REG, which has no national prevalence: unpriced
    assert practice["pounds"] == pytest.approx(68.0)
    assert practice["unpriced_points"] == 10


def test_what_if_overrides(mini) -> None:
    rates = rates_for(mini, point_value=100, list_size=5_000, national_prevalence={"DM_REG": 4})
    assert rates.overridden == ("--point-value", "--list-size", "--national-prevalence")
    extract = build(ELDERLY_PRACTICE, practices([("A", None, 1_000)]))
    dm = row(api.score(extract, mini, rates=rates).indicators, indicator="MINI001")
    # CPI = 1,000 / 5,000 = 0.2; APDF = (4 / 1,000 = 0.4%) / 4% = 0.1
    # £ = 17 × 100 × 0.2 × 0.1 = 34.00
    assert dm["cpi"] == pytest.approx(0.2)
    assert dm["apdf"] == pytest.approx(0.1)
    assert dm["pounds"] == pytest.approx(34.0)


def test_list_size_falls_back_to_registered_patients(mini) -> None:
    extract = build(ELDERLY_PRACTICE)  # no practices table: list = 4 registered patients
    rates = rates_for(mini, national_prevalence={"DM_REG": 50})
    dm = row(api.score(extract, mini, rates=rates).indicators, indicator="MINI001")
    # CPI = 4 / 10,000 = 0.0004; APDF = (4 / 4 = 100%) / 50% = 2; £ = 17 × 200 × 0.0004 × 2
    assert dm["pounds"] == pytest.approx(2.72)


@pytest.mark.parametrize("value", [0, -5, float("nan")])
def test_bad_override_values(mini, value: float) -> None:
    with pytest.raises(UsageError, match="--point-value"):
        rates_for(mini, point_value=value)


# ---- totals per practice, per domain and for the run ------------------------------------


def test_practice_domain_and_run_totals(mini) -> None:
    ruleset = list_only(mini, "MINI002")
    extract = build(
        [
            *ELDERLY_PRACTICE,  # practice A, list 1,000
            Patients("B", 2, hba1c=50),  # practice B, list 2,000: MINI001 1 of 2 -> 50%
            Patients("B", 2, hba1c=70),
        ],
        practices([("A", None, 1_000), ("B", None, 2_000)]),
    )
    rates = rates_for(ruleset, national_prevalence={"DM_REG": 2.0})
    result = api.score(extract, ruleset, rates=rates)
    # A: MINI001 17 pts × 200 × 0.1 × 0.2 = 68.00; MINI002 10 pts × 200 × 0.1 = 200.00
    # B: MINI001 2 of 4 = 50% -> 17 × (50 − 35) / 40 = 6.375 pts;
    #    CPI 2,000 / 10,000 = 0.2; APDF (4 / 2,000 = 0.2%) / 2% = 0.1
    #    £ = 6.375 × 200 × 0.2 × 0.1 = 25.50; MINI002 has nobody in B: 0 pts, £0
    a, b = row(result.practices, practice_code="A"), row(result.practices, practice_code="B")
    assert a["points"] == pytest.approx(27) and a["pounds"] == pytest.approx(268.0)
    assert b["points"] == pytest.approx(6.375) and b["pounds"] == pytest.approx(25.5)
    # both indicators are in group DM
    assert row(result.domains, practice_code="B", group="DM")["pounds"] == pytest.approx(25.5)
    total = result.totals.to_dicts()[0]
    assert total["practices"] == 2 and total["list_size"] == 3_000
    assert total["points"] == pytest.approx(27 + 6.375)
    assert total["pounds"] == pytest.approx(268.0 + 25.5)
    # max £: A 17 × 4 + 10 × 20 = 268; B 17 × 200 × 0.2 × 0.1 = 68 + 10 × 200 × 0.2 = 400
    assert total["max_pounds"] == pytest.approx(268 + 68 + 400)
    assert row(result.domain_totals, group="DM")["pounds"] == pytest.approx(293.5)


# ---- national prevalence in rulesets and files ------------------------------------------


def _scheme(tmp_path: Path, body: str) -> Path:
    (tmp_path / "ruleset.toml").write_text(f'id = "scheme"\nextends = "{MINI}"\n{body}')
    return tmp_path


def test_national_prevalence_and_list_only_flag_in_a_ruleset(tmp_path: Path) -> None:
    folder = _scheme(
        tmp_path,
        "[payment.national_prevalence]\nDM_REG = 7.5\n"
        "[indicator_overrides.MINI002]\nprevalence_adjusted = false\n",
    )
    ruleset = load_ruleset(folder)
    assert ruleset.payment.national_prevalence == {"DM_REG": 7.5}
    assert ruleset.payment.pound_per_point == 200  # inherited from mini
    assert ruleset.indicators["MINI002"].prevalence_adjusted is False
    assert ruleset.indicators["MINI001"].prevalence_adjusted is True  # the default


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("[payment.national_prevalence]\nXX_REG = 2\n", "unknown register 'XX_REG'"),
        ("[payment.national_prevalence]\nDM_REG = 120\n", "percentage"),
        ("[payment.national_prevalence]\nDM_REG = 'high'\n", "positive number"),
        ("[payment]\npound_per_point = -1\n", "pound_per_point must be a positive"),
        ("[indicator_overrides.MINI001]\nprevalence_adjusted = 'no'\n", "true or false"),
    ],
)
def test_bad_payment_data_names_the_file(tmp_path: Path, body: str, message: str) -> None:
    with pytest.raises(RulesetError, match=message) as caught:
        load_ruleset(_scheme(tmp_path, body))
    assert "ruleset.toml" in str(caught.value)


def test_shipped_ruleset_prices_diabetes_on_the_total_list_basis() -> None:
    payment = load_ruleset("qof-2025-26").payment
    # NHS England 2024-25: 4,109,134 diabetics ÷ 63,766,671 whole list = 6.444%, not the
    # published 7.895% of patients aged 17+ (52,049,752)
    assert payment.national_prevalence["DM_REG"] == 6.444
    assert "whole list" in payment.national_prevalence_source


def test_read_national_prevalence(tmp_path: Path) -> None:
    path = tmp_path / "prev.csv"
    path.write_text("register,prevalence\nDM_REG,6.5\n\n")
    assert read_national_prevalence(path, ["DM_REG", "DM_ELDER_REG"]) == {"DM_REG": 6.5}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("reg,prev\nDM_REG,6.5\n", "header"),
        ("register,prevalence\nXX_REG,6.5\n", "line 2: unknown register 'XX_REG'"),
        ("register,prevalence\nDM_REG,lots\n", "line 2: prevalence 'lots'"),
        ("register,prevalence\nDM_REG,0\n", "above 0"),
    ],
)
def test_bad_national_prevalence_file(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "prev.csv"
    path.write_text(text)
    with pytest.raises(UsageError, match=message) as caught:
        read_national_prevalence(path, ["DM_REG"])
    assert str(path) in str(caught.value)


# ---- the command line -------------------------------------------------------------------

runner = CliRunner()


def test_score_money_options_on_the_command_line(tmp_path: Path) -> None:
    folder = write_csv(build(ELDERLY_PRACTICE, practices([("A", None, 1_000)])), tmp_path)
    prevalence = tmp_path / "prev.csv"
    prevalence.write_text("register,prevalence\nDM_REG,4\n")
    result = runner.invoke(
        app,
        ["score", str(folder), "--ruleset", str(MINI), "-f", "json", "--point-value", "100"]
        + ["--list-size", "5000", "--national-prevalence", str(prevalence)],
    )
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["payment"]["pound_per_point"] == 100
    assert document["payment"]["overridden_by"] == [
        "--point-value",
        "--list-size",
        "--national-prevalence",
    ]
    dm = next(i for i in document["practices"][0]["indicators"] if i["id"] == "MINI001")
    assert dm["pounds"] == pytest.approx(34.0)  # as in test_what_if_overrides
    assert document["totals"]["pounds"] == pytest.approx(34.0)  # MINI002 unpriced
    assert document["totals"]["unpriced_points"] == 10


@pytest.mark.parametrize(
    "args",
    [
        ["--national-prevalence", "nowhere.csv"],
        ["--point-value", "-3"],
        ["--list-size", "0"],
    ],
)
def test_bad_money_options_are_one_line_exit_2(tmp_path: Path, args: list[str]) -> None:
    folder = write_csv(build(ELDERLY_PRACTICE), tmp_path)
    result = runner.invoke(app, ["score", str(folder), "--ruleset", str(MINI), *args])
    assert result.exit_code == 2
    assert len(result.stderr.strip().splitlines()) == 1
    assert args[0] in result.stderr and "Traceback" not in result.output


def test_score_table_shows_money(tmp_path: Path) -> None:
    folder = write_csv(build(ELDERLY_PRACTICE, practices([("A", None, 1_000)])), tmp_path)
    result = runner.invoke(app, ["score", str(folder), "--ruleset", str(MINI)])
    assert result.exit_code == 0, result.output
    assert "£ per point 200.00" in result.stdout
    assert "£ not computed: no national prevalence for DM_REG" in result.stdout


def test_a_cohort_indicator_is_priced_on_its_prevalence_register() -> None:
    """MH indicators count MH1_REG patients but are adjusted by MH_REG prevalence (MH001)."""
    ruleset = api.load_ruleset("qof-2025-26")
    assert ruleset.indicators["MH002"].prevalence_register == "MH_REG"
    extract = load_extract(Path(__file__).resolve().parents[1] / "sample_data")
    rates = rates_for(ruleset, national_prevalence={"MH_REG": 1.0})
    score = api.score(extract, ruleset, rates=rates)
    registers = {(r["practice_code"], r["register"]): r for r in score.registers.to_dicts()}
    for mh002 in score.indicators.filter(pl.col("indicator") == "MH002").to_dicts():
        mh = registers[(mh002["practice_code"], "MH_REG")]
        # APDF = practice MH_REG prevalence / national 1.0%, by hand from the register table.
        expected = (mh["size"] / mh["list_size"]) / 0.01
        assert mh002["apdf"] == pytest.approx(expected)
        assert mh002["register"] == "MH1_REG"
