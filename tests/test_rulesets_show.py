"""`qof rulesets show`: a register or indicator resolved and explained in one place."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from qofcli import api
from qofcli.cli import app
from qofcli.ruleset.explain import field_words

RULESET = "qof-2025-26"
runner = CliRunner()


def run(*args: object):
    return runner.invoke(app, [str(a) for a in args], env={"COLUMNS": "200"})


@pytest.fixture(scope="module")
def ruleset():
    return api.load_ruleset(RULESET)


def test_dm020_on_one_screen_names_every_piece(ruleset) -> None:
    result = run("rulesets", "show", RULESET, "DM020")
    assert result.exit_code == 0, result.output
    dm020 = ruleset.indicators["DM020"]
    text = result.stdout
    for step in (*dm020.denominator, *dm020.numerator):
        assert step.description[:50] in text  # long ones wrap
    hba1c = ruleset.clusters["IFCCHBAM_COD"]
    assert f"latest IFCCHBAM_COD ({len(hba1c.codes)} codes, {hba1c.status})" in text
    # A named condition is spelled out where it first appears, with the comparison in words.
    assert "HBA1C_LE_58 [= all of (HBA1C_IN_YEAR [= IFCCHBA dated after PPED − 12 months]" in text
    assert "IFCCHBA value ≤ 58" in text
    assert "reject MDSEVFRAIL (exclusion)" in text
    assert ruleset.reasons["DMPCADEC"].description in text
    assert "35–75%" in text and "prevalence of DM_REG" in text
    # 2025/26 inherits DM020 from the full 2026/27 ruleset: the page says so.
    assert "qof-2026-27/indicators/DM/DM020.yaml" in text
    assert "qof-2026-27/fields/DM.yaml" in text
    assert len(text.splitlines()) < 80


def test_json_has_every_step_field_and_reason(ruleset) -> None:
    result = run("rulesets", "show", RULESET, "DM020", "-f", "json")
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    dm020 = ruleset.indicators["DM020"]
    assert [s["rule"] for s in document["denominator"]] == [s.number for s in dm020.denominator]
    used = {a.reason for s in dm020.denominator for a in (s.if_true, s.if_false) if a.reason}
    assert {r["name"] for r in document["reasons"]} == used
    fields = {f["name"]: f for f in document["fields"]}
    assert {"IFCCHBA", "FRAIL", "DM_DAT", "DMINVITE1", "DMINVITELAST"} <= set(fields)
    assert fields["IFCCHBA"]["words"] == field_words(ruleset, ruleset.fields["IFCCHBA"])
    assert document["thresholds"] == {"lower": 35.0, "upper": 75.0}
    assert document["ruleset"]["dates"]["PPED"] == "2026-03-31"


def test_a_window_on_another_field_reads_that_field_too(ruleset) -> None:
    document = json.loads(run("rulesets", "show", RULESET, "DM020", "-f", "json").stdout)
    words = {f["name"]: f["words"] for f in document["fields"]}
    assert words["DMINVITE1_AFTER_A1C"].startswith("earliest DMINVITE_COD")
    assert "after IFCCHBA" in words["DMINVITE1_AFTER_A1C"]


def test_a_register(ruleset) -> None:
    result = run("rulesets", "show", RULESET, "DM_REG")
    assert result.exit_code == 0, result.output
    for step in ruleset.registers["DM_REG"].rules:
        assert step.description in result.stdout
    assert "age on ACHV < 17" in result.stdout


def test_an_earlier_id_finds_its_successor() -> None:
    rulesets = [api.load_ruleset(i) for i in ("qof-2024-25", "qof-2025-26", "qof-2026-27")]
    found = [(r, i) for r in rulesets for i in r.indicators.values() if i.aliases]
    if not found:
        pytest.skip("no shipped indicator has an earlier id")
    rules, indicator = found[0]
    document = json.loads(
        run("rulesets", "show", rules.id, indicator.aliases[0], "-f", "json").stdout
    )
    assert document["id"] == indicator.id


def test_unknown_item_is_one_line() -> None:
    result = run("rulesets", "show", RULESET, "XX999")
    assert result.exit_code == 2
    assert result.stderr.startswith(f"error: {RULESET} has no indicator or register 'XX999'")
    assert len(result.stderr.strip().splitlines()) == 1


def test_overview_lists_every_indicator(ruleset) -> None:
    result = run("rulesets", "show", RULESET)
    assert result.exit_code == 0
    assert all(indicator in result.stdout for indicator in ruleset.indicators)


def test_markdown_pages(tmp_path: Path, ruleset) -> None:
    result = run("rulesets", "show", RULESET, "--markdown", tmp_path / "pages")
    assert result.exit_code == 0, result.output
    pages = {p.stem for p in (tmp_path / "pages").glob("*.md")}
    assert pages == {"index", *ruleset.indicators, *ruleset.registers}
    index = (tmp_path / "pages" / "index.md").read_text()
    assert "[DM020](DM020.md)" in index
    page = (tmp_path / "pages" / "DM020.md").read_text()
    assert page.startswith("# DM020 · qof-2025-26") and "| MDSEVFRAIL | exclusion |" in page


def test_listing_still_works() -> None:
    result = run("rulesets")
    assert result.exit_code == 0
    assert "qof-2025-26" in result.stdout and "(default)" in result.stdout


def test_reference_pages_in_docs_are_current(tmp_path: Path) -> None:
    """docs/rulesets/qof-2026-27 is generated; regenerate it after changing the ruleset:
    qof rulesets show qof-2026-27 --markdown docs/rulesets/qof-2026-27"""
    committed = Path(__file__).resolve().parents[1] / "docs" / "rulesets" / "qof-2026-27"
    result = run("rulesets", "show", "qof-2026-27", "--markdown", tmp_path / "fresh")
    assert result.exit_code == 0, result.output
    fresh = {p.name: p.read_text() for p in (tmp_path / "fresh").glob("*.md")}
    stale = {p.name: p.read_text() for p in committed.glob("*.md")}
    assert sorted(stale) == sorted(fresh), "pages added or removed: regenerate docs/rulesets"
    assert [n for n in fresh if fresh[n] != stale[n]] == [], "stale pages: regenerate"
