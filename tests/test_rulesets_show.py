"""`qof rulesets show`: a register or indicator resolved and explained in one place."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from qofcli import api, casetest
from qofcli.cli import app
from qofcli.ruleset.cases import load_cases, read_case_file
from qofcli.ruleset.explain import explain, field_words

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


# ---- how many patient cases test an item ---------------------------------------------------


def _shown_cases(ruleset_id: str, item: str) -> dict:
    result = run("rulesets", "show", ruleset_id, item, "-f", "json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)["cases"]


def test_cases_own_and_inherited_per_file() -> None:
    """qof-2025-26 inherits DM020 and its cases from qof-2026-27, re-dated, and adds DM_REG
    cases of its own that expect DM020: both files are counted, the parent's as inherited."""
    rs = api.load_ruleset(RULESET)
    expecting = [c for c in load_cases(rs).cases if "DM020" in c.expect]
    shown = _shown_cases(RULESET, "DM020")
    per_file = {Path(c.file).parent.parent.name + "/cases/" + Path(c.file).name for c in expecting}
    assert shown["count"] == len(expecting) == sum(f["count"] for f in shown["files"])
    assert {f["file"] for f in shown["files"]} == per_file
    parent = [f for f in shown["files"] if f["file"] == "qof-2026-27/cases/DM020.yaml"]
    assert parent and parent[0]["inherited"] and shown["inherited"] >= parent[0]["count"]
    assert shown["own"] + shown["inherited"] == shown["count"]
    text = run("rulesets", "show", RULESET, "DM020").stdout
    assert f"cases: {shown['count']}: " in text
    assert "in qof-2026-27/cases/DM020.yaml (inherited)" in text


def test_cases_of_the_2024_25_indicators() -> None:
    """The 2024/25 cases converted from Python: DM022 has 10 of its own, none inherited (its
    2025/26 successor DM034's cases do not apply); CAN004's 2 need CAN_COD (no codes)."""
    dm022 = _shown_cases("qof-2024-25", "DM022")
    assert (dm022["count"], dm022["own"], dm022["inherited"], dm022["skipped"]) == (10, 10, 0, 0)
    can004 = _shown_cases("qof-2024-25", "CAN004")
    assert (can004["count"], can004["skipped"]) == (2, 2)
    text = run("rulesets", "show", "qof-2024-25", "CAN004").stdout
    assert "cases: 2 in qof-2024-25/cases/CAN004.yaml; 2 skipped" in text
    assert _shown_cases("qof-2024-25", "QI013")["count"] == 0  # declared: no patients


def test_register_cases_count_on_register_cases() -> None:
    """A register is tested by cases expecting it on/off and by `on_register` cases over its
    indicators: every case of qof-2025-26's DM_REG.yaml states one or the other."""
    rs = api.load_ruleset(RULESET)
    in_file = read_case_file(Path(rs.path) / "cases" / "DM_REG.yaml")
    shown = _shown_cases(RULESET, "DM_REG")
    own = next(f for f in shown["files"] if f["file"] == "qof-2025-26/cases/DM_REG.yaml")
    assert own["count"] == len(in_file) and not own["inherited"]


@pytest.mark.parametrize("ruleset_id", ["qof-2024-25", "qof-2026-27"])
def test_skipped_cases_are_those_the_runner_skips(ruleset_id: str) -> None:
    rs = api.load_ruleset(ruleset_id)
    cases = load_cases(rs).cases
    _, skipped = casetest.build_extract(cases, rs, casetest.CodePicker(rs))
    for item in [*rs.indicators, *rs.registers]:
        stating = [c for c in cases if item in c.expect]
        counted = explain(rs, item, stating)["cases"]
        assert counted["count"] == len(stating), item
        assert counted["skipped"] == sum(c.id in skipped for c in stating), item


def test_cases_not_counted_without_cases(ruleset) -> None:
    assert explain(ruleset, "DM020")["cases"] is None
