"""The default ruleset is the QOF year a user is in; `--as-of today`; the wrong-year warning.

"Today" is replaced in every test (qofcli.ruleset.catalogue.today), so none depends on the
real date or on which ruleset happens to be the default.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from mini_extract import MINI, Patients, build, practices, write_csv
from typer.testing import CliRunner

from qofcli import api
from qofcli.cli import app
from qofcli.extract import extract_from_frames
from qofcli.ruleset import catalogue
from qofcli.ruleset.catalogue import default_ruleset_id, shipped_ruleset_ids

runner = CliRunner()
NEWEST = max(
    (i for i in shipped_ruleset_ids() if i.startswith("qof-")),
    key=lambda i: api.load_ruleset(i).qof_year,
)


def _on(monkeypatch: pytest.MonkeyPatch, day: date) -> None:
    monkeypatch.setattr(catalogue, "today", lambda: day)


# ---- choosing the year -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2024, 4, 1), "qof-2024-25"),  # first day of 2024/25 (PPSD)
        (date(2025, 3, 31), "qof-2024-25"),  # last day of 2024/25 (PPED)
        (date(2025, 4, 1), "qof-2025-26"),  # the next day: the new year
        (date(2026, 3, 31), "qof-2025-26"),
        (date(2026, 4, 1), "qof-2026-27"),
        (date(2026, 12, 3), "qof-2026-27"),  # a December in-year run
    ],
)
def test_default_is_the_year_whose_payment_period_holds_the_date(day: date, expected: str) -> None:
    ruleset = api.load_ruleset(expected)
    assert ruleset.period_start <= day <= ruleset.period_end  # the fact, from the manifest
    assert default_ruleset_id(day) == expected


@pytest.mark.parametrize("day", [date(2019, 6, 1), date(2099, 6, 1)])
def test_outside_every_shipped_year_the_default_is_the_newest(day: date) -> None:
    assert default_ruleset_id(day) == NEWEST


def test_default_follows_today(monkeypatch: pytest.MonkeyPatch) -> None:
    _on(monkeypatch, date(2025, 11, 15))
    assert default_ruleset_id() == "qof-2025-26"
    result = runner.invoke(app, ["rulesets"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    marked = [n for n, line in enumerate(lines) if "(default)" in line]
    assert len(marked) == 1  # the id column may wrap "(default)" onto the next line
    assert "qof-2025-26" in lines[marked[0]] or "qof-2025-26" in lines[marked[0] - 1]


# ---- the commands: default ruleset and --as-of today ------------------------------------


@pytest.fixture()
def extract_dir(tmp_path: Path) -> Path:
    extract = build([Patients("A", 3, hba1c=50)], practices([("A", None, 1_000)]))
    folder = tmp_path / "extract"
    folder.mkdir()
    return write_csv(extract, folder)


def _json(args: list[str]) -> dict:
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_score_without_ruleset_uses_todays_year(monkeypatch, extract_dir: Path) -> None:
    _on(monkeypatch, date(2025, 11, 15))
    document = _json(["score", str(extract_dir), "-f", "json"])
    assert document["ruleset"]["id"] == "qof-2025-26"
    assert document["achievement_date"] == "2026-03-31"  # no --as-of: the year end


def test_as_of_today_is_todays_date_in_todays_year(monkeypatch, extract_dir: Path) -> None:
    _on(monkeypatch, date(2025, 12, 31))
    document = _json(["score", str(extract_dir), "-f", "json", "--as-of", "today"])
    assert (document["ruleset"]["id"], document["achievement_date"]) == (
        "qof-2025-26",
        "2025-12-31",
    )


def test_an_as_of_date_without_ruleset_picks_its_year(monkeypatch, extract_dir: Path) -> None:
    _on(monkeypatch, date(2026, 12, 3))
    document = _json(["score", str(extract_dir), "-f", "json", "--as-of", "2024-10-01"])
    assert (document["ruleset"]["id"], document["achievement_date"]) == (
        "qof-2024-25",
        "2024-10-01",
    )


@pytest.mark.parametrize(
    "command",
    [
        ["patients", "{x}", "-r", "{mini}", "--as-of", "today"],
        ["patients", "{x}", "-r", "{mini}", "--as-of", "today", "--worklist"],
        ["diff", "{mini}", "{mini}", "--extract", "{x}", "--as-of", "today", "-f", "json"],
        ["score", "{x}", "-r", "{mini}", "--as-of", "TODAY", "-f", "json"],
    ],
)
def test_as_of_today_works_wherever_as_of_does(
    monkeypatch, extract_dir: Path, command: list[str]
) -> None:
    _on(monkeypatch, date(2024, 10, 1))  # inside mini's year 2024-04-01 .. 2025-03-31
    args = [c.format(x=extract_dir, mini=MINI) for c in command]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    _on(monkeypatch, date(2025, 4, 1))  # the day after mini's PPED: outside its year
    late = runner.invoke(app, args)
    assert late.exit_code == 2 and "2025-04-01" in late.stderr


def test_a_bad_as_of_names_the_forms_it_accepts(extract_dir: Path) -> None:
    result = runner.invoke(app, ["score", str(extract_dir), "-r", str(MINI), "--as-of", "now"])
    assert result.exit_code == 2
    assert "YYYY-MM-DD or today" in result.stderr


# ---- an extract of another year -----------------------------------------------------------


def _later_year(tmp_path: Path) -> Path:
    """mini's rules moved to 2030/31: the mini extract (events 2015 and 2024) is a year off."""
    folder = tmp_path / "mini-2030"
    folder.mkdir()
    (folder / "ruleset.toml").write_text(
        f'id = "mini-2030"\nextends = "{MINI}"\n[dates]\nPPSD = 2030-04-01\nPPED = 2031-03-31\n'
    )
    return folder


@pytest.mark.parametrize(
    "command",
    [
        ["score", "{x}", "-r", "{late}"],
        ["score", "{x}", "-r", "{late}", "-f", "json"],
        ["patients", "{x}", "-r", "{late}"],
        ["patients", "{x}", "-r", "{late}", "--worklist"],
        ["diff", "{mini}", "{late}", "--extract", "{x}", "-f", "json"],
        ["validate", "{x}", "-r", "{late}"],
    ],
)
def test_every_command_warns_in_one_line_when_the_extract_is_another_year(
    tmp_path: Path, extract_dir: Path, command: list[str]
) -> None:
    late = _later_year(tmp_path)
    args = [c.format(x=extract_dir, late=late, mini=MINI) for c in command]
    result = runner.invoke(app, args)
    assert result.exit_code in (0, 1), result.output  # validate: 1 = warnings only
    warning = [line for line in result.stderr.splitlines() if "payment period" in line]
    assert len(warning) == 1
    assert "mini-2030 (2030-04-01 to 2031-03-31)" in warning[0]
    # the HbA1c events are dated 2024-10-01: the year of the shipped qof-2024-25
    assert warning[0].endswith("consider --ruleset qof-2024-25")
    assert "A-0-" not in result.stderr  # no patient ids


def test_no_warning_for_an_extract_of_the_rulesets_year(extract_dir: Path) -> None:
    # the HbA1c events are dated 2024-10-01, inside mini's 2024-04-01 .. 2025-03-31
    result = runner.invoke(app, ["score", str(extract_dir), "-r", str(MINI), "-f", "json"])
    assert result.exit_code == 0 and "payment period" not in result.stderr


def test_an_event_on_the_last_day_of_the_year_counts_as_inside() -> None:
    ruleset = api.load_ruleset(MINI)
    extract = build([Patients("A", 1, hba1c=None)])  # only the diagnosis of 2015-01-01
    assert "mini (2024-04-01 to 2025-03-31)" in (api.wrong_year_warning(extract, ruleset) or "")
    moved = extract.events.collect().with_columns(date=ruleset.period_end)  # on PPED
    same = extract_from_frames(extract.patients.collect(), moved, None)
    assert api.wrong_year_warning(same, ruleset) is None
