"""`qof diff`: structural differences between rulesets, and their effect on an extract.

tests/fixtures/rulesets/mini-next extends mini with one change of each kind (its ruleset.toml
lists them); rulesets/examples/network-scheme is the shipped local-scheme example.
"""

from __future__ import annotations

import json
import shutil
from datetime import date
from pathlib import Path

import polars as pl
import pytest
import yaml
from mini_extract import DM_LIPO, MINI, MINI_NEXT, Patients, build, practices, row, write_csv
from typer.testing import CliRunner

from qofcli import api
from qofcli.cli import app
from qofcli.ruleset.diff import Change, diff_rulesets
from qofcli.ruleset.explain import explain
from qofcli.ruleset.loader import load_ruleset

REPO = Path(__file__).parent.parent
NETWORK_SCHEME = REPO / "rulesets" / "examples" / "network-scheme"
runner = CliRunner()


@pytest.fixture(scope="module")
def mini():
    return load_ruleset(MINI)


@pytest.fixture(scope="module")
def mini_next():
    return load_ruleset(MINI_NEXT)


# ---- structure ----------------------------------------------------------------------------


def test_every_kind_of_change_is_found(mini, mini_next) -> None:
    diff = diff_rulesets(mini, mini_next)
    assert diff.renamed == {"MINI002": "MINI003"}
    found = {(c.kind, c.id, c.change, c.attribute, c.before, c.after) for c in diff.changes}
    assert found == {
        ("indicator", "MINI003", "renamed", "id", "MINI002", "MINI003"),
        ("indicator", "MINI001", "changed", "points", "17", "20"),
        ("indicator", "MINI001", "changed", "lower", "35", "40"),
        (
            "indicator",
            "MINI003",
            "changed",
            "numerator rule 1",
            "when is HBA1C_IN_YEAR: select else reject",  # same description: logic shown
            "when is HBA1C_LE_58: select else reject",
        ),
        (
            "register",
            "DM_ELDER_REG",
            "changed",
            "description",
            "Patients on DM_REG aged 80 or over (a cohort built on another register)",
            "Patients on DM_REG aged 75 or over (a cohort built on another register)",
        ),
        (
            "register",
            "DM_ELDER_REG",
            "changed",
            "rule 1",
            "Select patients on DM_REG aged 80 or over",
            "Select patients on DM_REG aged 75 or over",
        ),
        (
            "cluster",
            "DM_COD",
            "code_removed",
            DM_LIPO,
            "Lipoatrophic diabetes mellitus without complication",
            "",
        ),
        ("cluster", "DM_COD", "code_added", "11530004", "", "Brittle diabetes mellitus"),
        ("payment", "pound_per_point", "changed", "pound_per_point", "200", "210"),
    }


def test_renames_are_found_in_either_direction(mini, mini_next) -> None:
    backwards = diff_rulesets(mini_next, mini)
    assert backwards.renamed == {"MINI003": "MINI002"}
    # Every indicator of either year is on DM_REG, which reads DM_COD.
    everyone = ", ".join(sorted({*mini.indicators, *mini_next.indicators}))
    assert (
        Change(
            "cluster",
            "DM_COD",
            "code_added",
            DM_LIPO,
            "",
            "Lipoatrophic diabetes mellitus without complication",
            everyone,
        )
        in backwards.changes
    )


def test_same_ruleset_has_no_differences(mini) -> None:
    assert diff_rulesets(mini, load_ruleset(MINI)).empty


def test_added_and_removed_indicators_and_steps(tmp_path: Path, mini) -> None:
    (tmp_path / "ruleset.toml").write_text(
        f'id = "x"\nextends = "{MINI}"\nremove_indicators = ["MINI001"]\n'
    )
    (tmp_path / "indicators").mkdir()
    text = (MINI / "indicators" / "MINI002.yaml").read_text()
    first_step = (
        "denominator:\n  - description: Reject under 90s\n    when: {age: {lt: 90}}\n"
        "    if_true: {reject: DMMAX}\n    if_false: next\n"
    )
    longer = text.replace("denominator:\n", first_step)  # same id: replaces MINI002
    (tmp_path / "indicators" / "MINI002.yaml").write_text(longer)
    (tmp_path / "indicators" / "MINI009.yaml").write_text(text.replace("MINI002", "MINI009"))
    diff = diff_rulesets(mini, load_ruleset(tmp_path))
    found = {(c.id, c.change, c.attribute) for c in diff.changes if c.kind == "indicator"}
    assert found == {
        ("MINI001", "removed", ""),
        ("MINI009", "added", ""),  # no alias links it to anything: new, not a rename
        ("MINI002", "changed", "denominator rule 1"),  # the new first step
        ("MINI002", "added", "denominator rule 2"),  # the old rule 1, now second
    }


# ---- effect on an extract -----------------------------------------------------------------

# Practice A, list 1,000 (CPI 0.1). Ages on 31 March 2025.
GROUPS = [
    Patients("A", 3, hba1c=50),  # A-0-*: MINI001 achieved in both
    Patients("A", 1, hba1c=70),  # A-1-0: MINI001 not achieved in both
    Patients("A", 1, hba1c=50, dm=DM_LIPO),  # A-2-0: code only in mini's DM_COD
    Patients("A", 1, hba1c=50, age=78),  # A-3-0: DM_ELDER_REG only in mini-next (75+)
    Patients("A", 1, hba1c=70, age=85),  # A-4-0: MINI002 achieved; MINI003 needs <= 58
]


def _priced(tmp_path: Path, parent: Path, name: str) -> Path:
    """`parent` with a national DM prevalence of 1%, so both sides have £."""
    folder = tmp_path / name
    folder.mkdir()
    (folder / "ruleset.toml").write_text(
        f'id = "{name}"\nextends = "{parent}"\n[payment.national_prevalence]\nDM_REG = 1.0\n'
    )
    return folder


@pytest.fixture()
def priced(tmp_path: Path):
    return (
        load_ruleset(_priced(tmp_path, MINI, "a")),
        load_ruleset(_priced(tmp_path, MINI_NEXT, "b")),
    )


def test_figures_under_each_ruleset(priced) -> None:
    a, b = priced
    comparison = api.compare(build(GROUPS, practices([("A", None, 1_000)])), a, b)
    dm = row(comparison.indicators, indicator="MINI001")
    # a: DM_REG 7; 5 of 7 achieve = 71.43% -> 17 × (71.43 − 35) / 40 = 15.4821 points
    #    £ = 15.4821 × 200 × 0.1 × APDF ((7 / 1,000 = 0.7%) / 1% = 0.7) = 216.75
    # b: the lipoatrophic code left DM_COD: DM_REG 6; 4 of 6 = 66.67%
    #    -> 20 × (66.67 − 40) / 35 = 15.2381 points; £ = 15.2381 × 210 × 0.1 × 0.6 = 192.00
    assert (dm["denominator_a"], dm["numerator_a"]) == (7, 5)
    assert (dm["denominator_b"], dm["numerator_b"]) == (6, 4)
    assert dm["denominator_change"] == -1
    assert dm["points_a"] == pytest.approx(17 * (500 / 7 - 35) / 40)
    assert dm["points_b"] == pytest.approx(20 * (200 / 3 - 40) / 35)
    assert dm["pounds_a"] == pytest.approx(216.75)
    assert dm["pounds_b"] == pytest.approx(192.0)
    assert dm["pounds_change"] == pytest.approx(-24.75)
    elder = row(comparison.indicators, indicator="MINI003")
    # a (MINI002, 80+): 1 of 1 -> 10 points; b (MINI003, 75+, HbA1c <= 58): 1 of 2 = 50%
    #   -> 10 × (50 − 40) / 50 = 2 points. DM_ELDER_REG has no national prevalence: no £.
    assert (elder["indicator_a"], elder["indicator_b"]) == ("MINI002", "MINI003")
    assert (elder["points_a"], elder["points_b"], elder["points_change"]) == (10, 2, -8)
    assert elder["pounds_a"] is None and elder["pounds_change"] is None
    total = comparison.totals.to_dicts()[0]
    assert total["points_change"] == pytest.approx(dm["points_change"] - 8)
    assert total["pounds_change"] == pytest.approx(-24.75)
    assert row(comparison.units, practice_code="A")["pounds_b"] == pytest.approx(192.0)
    assert comparison.patients is None and comparison.changed


def test_patients_whose_status_changes(mini, mini_next) -> None:
    comparison = api.compare(build(GROUPS), mini, mini_next, patients=True)
    assert comparison.patients is not None
    changes = comparison.patients.select("patient_id", "indicator", "status_a", "status_b")
    assert changes.rows() == [
        ("A-2-0", "MINI001", "achieved", None),  # off DM_REG: its code left DM_COD
        ("A-3-0", "MINI003", None, "achieved"),  # onto DM_ELDER_REG at 75+
        ("A-4-0", "MINI003", "achieved", "not_achieved"),  # HbA1c 70 now fails
    ]
    failed = row(comparison.patients, patient_id="A-4-0")
    assert failed["description_b"] == "Not met: HbA1c recorded in the last 12 months"


def test_removed_indicator_shows_what_is_lost(tmp_path: Path) -> None:
    a = load_ruleset(_priced(tmp_path, MINI, "a"))
    folder = tmp_path / "c"
    folder.mkdir()
    (folder / "ruleset.toml").write_text(
        f'id = "c"\nextends = "{tmp_path / "a"}"\nremove_indicators = ["MINI001"]\n'
    )
    comparison = api.compare(
        build(GROUPS, practices([("A", None, 1_000)])), a, load_ruleset(folder)
    )
    dm = row(comparison.indicators, indicator="MINI001")
    assert dm["indicator_b"] is None and dm["points_b"] is None
    assert dm["pounds_change"] == pytest.approx(-216.75)  # all of a's £ (see above) is lost


# ---- command line -------------------------------------------------------------------------


def test_exit_code(tmp_path: Path) -> None:
    changed = runner.invoke(app, ["diff", str(MINI), str(MINI_NEXT), "--exit-code"])
    assert changed.exit_code == 1, changed.output
    assert "MINI002" in changed.stdout and "DM_COD" in changed.stdout
    same = runner.invoke(app, ["diff", str(MINI), str(MINI), "--exit-code"])
    assert same.exit_code == 0 and "No differences" in same.stdout
    without_flag = runner.invoke(app, ["diff", str(MINI), str(MINI_NEXT)])
    assert without_flag.exit_code == 0


def test_json_shape(tmp_path: Path) -> None:
    folder = write_csv(build(GROUPS), tmp_path)
    result = runner.invoke(
        app, ["diff", str(MINI), str(MINI_NEXT), "--extract", str(folder), "-f", "json"]
    )
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["format_version"] == 1
    assert (document["a"]["id"], document["b"]["id"]) == ("mini", "mini-next")
    assert document["renamed"] == {"MINI002": "MINI003"}
    assert set(document["changes"][0]) == {
        "kind",
        "id",
        "change",
        "attribute",
        "before",
        "after",
        "affects",
    }
    assert document["by"] == "practice"
    indicator = document["indicators"][0]
    for metric in ("denominator", "numerator", "achievement", "points", "pounds"):
        assert {f"{metric}_a", f"{metric}_b", f"{metric}_change"} <= set(indicator)
    assert {"points_a", "points_b", "points_change", "pounds_change"} <= set(document["totals"])
    assert "patients" not in document  # only with --patients
    assert "A-2-0" not in result.stdout


def test_patients_csv_and_its_guard(tmp_path: Path) -> None:
    folder = write_csv(build(GROUPS), tmp_path)
    args = ["diff", str(MINI), str(MINI_NEXT), "--extract", str(folder), "--patients", "-f", "csv"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    table = pl.read_csv(result.stdout.encode())
    assert table["patient_id"].to_list() == ["A-2-0", "A-3-0", "A-4-0"]
    assert table.columns[:5] == ["practice_code", "patient_id", "indicator", "status_a", "reason_a"]
    guard = runner.invoke(app, ["diff", str(MINI), str(MINI_NEXT), "--patients"])
    assert guard.exit_code == 2 and "--extract" in guard.stderr


def test_csv_changes_lists_every_code(tmp_path: Path) -> None:
    result = runner.invoke(app, ["diff", str(MINI), str(MINI_NEXT), "-f", "csv"])
    changes = pl.read_csv(result.stdout.encode(), infer_schema=False)
    codes = changes.filter(pl.col("kind") == "cluster")
    assert sorted(codes["attribute"].to_list()) == sorted(["11530004", DM_LIPO])


def test_unknown_ruleset_is_one_line(tmp_path: Path) -> None:
    result = runner.invoke(app, ["diff", str(MINI), str(tmp_path / "nowhere")])
    assert result.exit_code == 2
    assert len(result.stderr.strip().splitlines()) == 1 and "nowhere" in result.stderr


# ---- the shipped local-scheme example -----------------------------------------------------


def test_network_scheme_diff() -> None:
    diff = diff_rulesets(load_ruleset("qof-2025-26"), load_ruleset(NETWORK_SCHEME))
    found = {(c.id, c.change, c.attribute, c.before, c.after) for c in diff.changes}
    indicators = {c[:2] for c in found if c[0].startswith("DM0")}
    assert indicators == {("DM012", "removed"), ("DM020", "changed")}
    # The fields DM012's file defines for itself leave with it, and only they (rulesets/README.md).
    dm012 = yaml.safe_load((REPO / "rulesets/qof-2025-26/indicators/DM/DM012.yaml").read_text())
    gone = [c for c in diff.changes if c.kind != "indicator"]
    assert {c.id for c in gone} == set(dm012["fields"]) and "conditions" not in dm012
    assert {(c.kind, c.change, c.affects) for c in gone} == {("field", "removed", "DM012")}
    assert ("DM020", "changed", "points", "17", "25") in found
    assert ("DM020", "changed", "upper", "75", "70") in found


def test_network_scheme_scores_the_sample_data(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)
    result = runner.invoke(
        app,
        ["score", "sample_data", "--ruleset", "rulesets/examples/network-scheme", "-f", "json"],
    )
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["ruleset"]["id"] == "network-scheme-2025-26"
    ids = {i["id"] for i in document["practices"][0]["indicators"]}
    assert "DM020" in ids and "DM012" not in ids
    dm020 = next(i for i in document["practices"][0]["indicators"] if i["id"] == "DM020")
    assert (dm020["max_points"], dm020["upper"]) == (25, 70)


def test_changes_name_the_indicators_they_affect(tmp_path: Path) -> None:
    child = tmp_path / "child"
    shutil.copytree(MINI, child)
    fields = child / "fields.yaml"
    text = fields.read_text()
    assert "HBA1C: {latest: IFCCHBAM_COD" in text
    fields.write_text(
        text.replace("HBA1C: {latest: IFCCHBAM_COD", "HBA1C: {earliest: IFCCHBAM_COD")
    )
    diff = diff_rulesets(load_ruleset(MINI), load_ruleset(child))
    change = next(c for c in diff.changes if c.kind == "field" and c.id == "HBA1C")
    readers = sorted(
        i.id
        for i in load_ruleset(child).indicators.values()
        if "HBA1C" in {f["name"] for f in explain(load_ruleset(child), i.id)["fields"]}
    )
    assert readers and change.affects == ", ".join(readers)


@pytest.fixture
def facts_built(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The ids of the rulesets whose patient facts the engine builds, in order."""
    from qofcli.engine import evaluate as engine

    built: list[str] = []
    real = engine.patient_facts

    def counted(*args: object, **kwargs: object) -> object:
        built.append(args[1].id)  # type: ignore[attr-defined]
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(engine, "patient_facts", counted)
    return built


def test_a_scheme_with_the_base_years_fields_shares_its_facts(facts_built: list[str]) -> None:
    """The network scheme changes points and drops an indicator, not a field: comparing it with
    its base year builds the patient facts once, and each side still equals its own run."""
    from qofcli.engine.evaluate import evaluate, evaluate_many

    base, scheme = load_ruleset("qof-2025-26"), load_ruleset(str(NETWORK_SCHEME))
    extract = api.open_extract(REPO / "sample_data", base)
    together = evaluate_many(extract, [scheme, base], as_of=date(2026, 3, 31))
    assert facts_built == ["qof-2025-26"]
    for shared in together:
        alone = evaluate(extract, shared.ruleset, as_of=date(2026, 3, 31))
        assert shared.patients.equals(alone.patients)
    assert together[1].patients.select("reg:DM_REG").sum().item() > 0


def test_years_with_different_dates_build_their_own_facts(facts_built: list[str]) -> None:
    from qofcli.engine.evaluate import evaluate_many

    rulesets = [load_ruleset("qof-2025-26"), load_ruleset("qof-2026-27")]
    evaluate_many(api.open_extract(REPO / "sample_data", rulesets[0]), rulesets)
    assert sorted(facts_built) == ["qof-2025-26", "qof-2026-27"]


def test_facts_are_not_shared_when_a_scheme_reads_a_value_its_base_does_not_build() -> None:
    """The base builds a field's value only when one of its own rules reads it: a scheme that
    compares MHGLUC's value (qof-2025-26 reads only its date) needs facts of its own."""
    from dataclasses import replace

    from qofcli.engine.dates import run_dates
    from qofcli.engine.evaluate import _field_inputs

    base = load_ruleset("qof-2025-26")
    inputs = _field_inputs(base, run_dates(base, None))
    assert "MHGLUC" not in inputs.values_read
    assert inputs.covers(inputs)
    reads_value = replace(inputs, values_read=inputs.values_read | {"MHGLUC"})
    assert not inputs.covers(reads_value)
    reads_cluster = replace(inputs, clusters_read=inputs.clusters_read | {"MHGLUC"})
    assert not inputs.covers(reads_cluster)
