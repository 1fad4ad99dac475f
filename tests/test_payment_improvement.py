"""The childhood-vaccination improvement route (2026/27, VI001-VI003): points are the better of
the threshold points and an improvement scale over the practice's baseline, lower improvement
threshold = baseline + 5 percentage points. Every expected figure is worked by hand.

A scheme extends the mini ruleset and gives MINI001 (17 points, thresholds 35-75) the route
with upper 75, so the arithmetic stays small; the shipped VI indicators are checked as data.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from mini_extract import MINI, Patients, build, practices, row, write_csv
from typer.testing import CliRunner

from qofcli import api
from qofcli.cli import app
from qofcli.errors import RulesetError, UsageError
from qofcli.ruleset.loader import load_ruleset
from qofcli.scoring.payment import rates_for

runner = CliRunner()
ROUTE = "improvement:\n  lower_above_baseline: 5\n  upper: 75\n  confidence: low\n"


def _scheme(tmp_path: Path, route: str = ROUTE) -> Path:
    folder = tmp_path / "scheme"
    (folder / "indicators").mkdir(parents=True)
    (folder / "ruleset.toml").write_text(f'id = "scheme"\nextends = "{MINI}"\n')
    source = (MINI / "indicators" / "MINI001.yaml").read_text()
    (folder / "indicators" / "MINI001.yaml").write_text(source + route)
    return folder


def _practice(code: str, achieved: int, missed: int) -> list[Patients]:
    return [Patients(code, achieved, hba1c=50), Patients(code, missed, hba1c=70)]


# Three practices of 10 diabetics each, list 1,000 (register 1%; with a national DM_REG
# prevalence of 1% the APDF is 1, and CPI = 1,000 / 10,000 = 0.1):
# A 6/10 = 60%: threshold 17 × (60 − 35) / 40 = 10.625; baseline 40 -> 45..75:
#   17 × (60 − 45) / 30 = 8.5 -> the threshold route pays 10.625.
# B 4/10 = 40%: threshold 17 × 5 / 40 = 2.125; baseline 20 -> 25..75: 17 × 15 / 50 = 5.1
#   -> the improvement route pays 5.1; £ = 5.1 × 200 × 0.1 × 1 = 102.
# C 3/10 = 30%: threshold 0 (at or below 35); baseline 25 -> 30..75: exactly at the lower
#   improvement threshold -> 0 as well.
EXTRACT = build(
    _practice("A", 6, 4) + _practice("B", 4, 6) + _practice("C", 3, 7),
    practices([("A", None, 1_000), ("B", None, 1_000), ("C", None, 1_000)]),
)
BASELINES = "practice_code,indicator,baseline\nA,MINI001,40\nB,MINI001,20\nC,MINI001,25\n"


def _score(tmp_path: Path, baselines: str | None):
    ruleset = load_ruleset(_scheme(tmp_path))
    path = None
    if baselines is not None:
        path = tmp_path / "baseline.csv"
        path.write_text(baselines)
    claims = api.read_claims(ruleset, baselines=path)
    rates = rates_for(ruleset, national_prevalence={"DM_REG": 1.0})
    return api.score(EXTRACT, ruleset, rates=rates, claims=claims)


def test_the_better_route_pays(tmp_path: Path) -> None:
    score = _score(tmp_path, BASELINES)
    a = row(score.indicators, practice_code="A", indicator="MINI001")
    b = row(score.indicators, practice_code="B", indicator="MINI001")
    c = row(score.indicators, practice_code="C", indicator="MINI001")
    assert (a["points"], a["points_route"]) == (pytest.approx(10.625), "threshold")
    assert (b["points"], b["points_route"]) == (pytest.approx(5.1), "improvement")
    assert b["pounds"] == pytest.approx(102.0)
    assert (c["points"], c["points_route"]) == (0.0, "threshold")
    assert row(score.indicators, practice_code="B", indicator="MINI002")["points_route"] is None


def test_just_above_the_lower_improvement_threshold_earns_improvement_points(
    tmp_path: Path,
) -> None:
    # C at 30% with baseline 24.9: lower improvement threshold 29.9 -> 17 × 0.1 / 45.1
    score = _score(tmp_path, "practice_code,indicator,baseline\nC,MINI001,24.9\n")
    c = row(score.indicators, practice_code="C", indicator="MINI001")
    assert c["points"] == pytest.approx(17 * 0.1 / 45.1)
    assert c["points_route"] == "improvement"
    # A and B have no row in the file: threshold points only
    assert row(score.indicators, practice_code="B", indicator="MINI001")["points"] == 2.125


def test_without_a_baseline_threshold_points_only_and_said_so(tmp_path: Path) -> None:
    score = _score(tmp_path, None)
    b = row(score.indicators, practice_code="B", indicator="MINI001")
    assert (b["points"], b["points_route"]) == (2.125, "threshold (no baseline)")
    assert b["pounds"] == pytest.approx(2.125 * 200 * 0.1)


def test_a_roll_up_pools_achievement_on_the_thresholds(tmp_path: Path) -> None:
    ruleset = load_ruleset(_scheme(tmp_path))
    path = tmp_path / "baseline.csv"
    path.write_text(BASELINES)
    claims = api.read_claims(ruleset, baselines=path)
    rates = rates_for(ruleset, national_prevalence={"DM_REG": 1.0})
    score = api.score(EXTRACT, ruleset, rates=rates, by="all", claims=claims)
    total = row(score.indicators, indicator="MINI001")
    # pooled 13/30 = 43.33%: 17 × 8.333 / 40 = 3.5417 points; £ = the practices' £ summed:
    # (10.625 + 5.1 + 0) × 200 × 0.1 = 314.5
    assert total["points"] == pytest.approx(17 * (100 * 13 / 30 - 35) / 40)
    assert total["pounds"] == pytest.approx(314.5)
    assert total["points_route"] is None


# ---- the file ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("practice,indicator,baseline\n", "header"),
        ("practice_code,indicator,baseline\nA,MINI002,40\n", "MINI002 has no improvement route"),
        ("practice_code,indicator,baseline\nA,MINI001,101\n", "from 0 to 100"),
        ("practice_code,indicator,baseline\nA,MINI001,high\n", "baseline 'high'"),
        ("practice_code,indicator,baseline\nA,MINI001,40\nA,MINI001,41\n", "twice"),
        ("practice_code,indicator,baseline\nZZ,MINI001,40\n", "practice ZZ is not in the extract"),
    ],
)
def test_bad_baseline_files_are_one_line_errors(tmp_path: Path, text: str, message: str) -> None:
    folder = tmp_path / "extract"
    folder.mkdir()
    write_csv(EXTRACT, folder)
    path = tmp_path / "baseline.csv"
    path.write_text(text)
    args = ["score", str(folder), "-r", str(_scheme(tmp_path)), "-f", "json"]
    result = runner.invoke(app, [*args, "--vaccination-baseline", str(path)])
    assert result.exit_code == 2, result.output
    assert len(result.stderr.strip().splitlines()) == 1
    assert "--vaccination-baseline" in result.stderr and message in result.stderr
    assert "Traceback" not in result.output


def test_the_command_line_route_and_note(tmp_path: Path) -> None:
    folder = tmp_path / "extract"
    folder.mkdir()
    write_csv(EXTRACT, folder)
    path = tmp_path / "baseline.csv"
    path.write_text(BASELINES)
    scheme = str(_scheme(tmp_path))
    result = runner.invoke(
        app, ["score", str(folder), "-r", scheme, "-f", "json", "--vaccination-baseline", str(path)]
    )
    assert result.exit_code == 0, result.output
    practices_ = {p["practice_code"]: p for p in json.loads(result.stdout)["practices"]}
    b = next(i for i in practices_["B"]["indicators"] if i["id"] == "MINI001")
    assert (b["points"], b["points_route"]) == (pytest.approx(5.1), "improvement")
    table = runner.invoke(app, ["score", str(folder), "-r", scheme])
    assert table.exit_code == 0, table.output
    assert "MINI001: threshold points only" in table.stdout
    assert "--vaccination-baseline" in table.stdout


# ---- the data ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("route", "message"),
    [
        ("improvement: {upper: 75}\n", "lower_above_baseline"),
        ("improvement: {lower_above_baseline: 5, upper: 120}\n", "upper must be a percentage"),
        ("improvement: {lower_above_baseline: 5, scale: 2}\n", "unknown keys"),
        ("improvement: 5\n", "expected a mapping"),
    ],
)
def test_bad_improvement_data_names_the_file(tmp_path: Path, route: str, message: str) -> None:
    with pytest.raises(RulesetError, match=message) as caught:
        load_ruleset(_scheme(tmp_path, route))
    assert "MINI001.yaml" in str(caught.value)


def test_upper_defaults_to_the_indicators_upper_threshold(tmp_path: Path) -> None:
    ruleset = load_ruleset(_scheme(tmp_path, "improvement: {lower_above_baseline: 5}\n"))
    route = ruleset.indicators["MINI001"].improvement
    assert route is not None and (route.lower_above_baseline, route.upper) == (5, 75)


def test_shipped_route_is_2026_27_only_and_marked_low_confidence() -> None:
    current = load_ruleset("qof-2026-27")
    for indicator in ("VI001", "VI002", "VI003"):
        route = current.indicators[indicator].improvement
        assert route is not None and route.lower_above_baseline == 5  # baseline + 5 points
        assert route.upper == current.indicators[indicator].upper  # assumed: not published
        assert route.confidence == "low"
    assert current.indicators["VI004"].improvement is None
    for older in ("qof-2025-26", "qof-2024-25"):
        ruleset = load_ruleset(older)
        assert all(i.improvement is None for i in ruleset.indicators.values())


def test_a_baseline_for_a_year_without_the_route_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "baseline.csv"
    path.write_text("practice_code,indicator,baseline\nA,VI001,80\n")
    with pytest.raises(UsageError, match="VI001 has no improvement route in qof-2025-26"):
        api.read_claims(load_ruleset("qof-2025-26"), baselines=path)
