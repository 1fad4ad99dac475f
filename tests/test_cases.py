"""The patient cases beside the rules (rulesets/*/cases/), run for every shipped ruleset with the
Polars engine and with the reference evaluator (one test per ruleset and case), plus the case
format itself (dates, errors, inheritance) and `qof rulesets test`."""

from __future__ import annotations

import functools
import json
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from qofcli import casetest
from qofcli.api import load_ruleset, patient_outcomes
from qofcli.cli import app
from qofcli.ruleset.cases import (
    CaseError,
    CaseSet,
    check_cases,
    load_cases,
    parse_date_expr,
    read_case_file,
)
from qofcli.ruleset.catalogue import shipped_ruleset_ids

COUNTS = Path(__file__).parent / "rules" / "case_counts.json"
RULESETS = [r for r in shipped_ruleset_ids() if r.startswith("qof-")]
_RUNS: dict[tuple[str, str], dict[str, casetest.CaseResult]] = {}


@functools.cache
def _cases(ruleset_id: str) -> CaseSet:
    return load_cases(load_ruleset(ruleset_id))


def _run(ruleset_id: str, engine: str) -> dict[str, casetest.CaseResult]:
    """Case id -> result: each ruleset's cases run once per evaluator."""
    if (ruleset_id, engine) not in _RUNS:
        run = casetest.run_cases(_cases(ruleset_id), engine)
        _RUNS[(ruleset_id, engine)] = {r.case.id: r for r in run.results}
    return _RUNS[(ruleset_id, engine)]


def _params() -> list:
    return [
        pytest.param(ruleset_id, case.id, id=f"{ruleset_id}-{case.id}")
        for ruleset_id in RULESETS
        for case in _cases(ruleset_id).cases
    ]


@pytest.mark.parametrize(("ruleset_id", "case_id"), _params())
def test_case(ruleset_id: str, case_id: str) -> None:
    """The case holds with the Polars engine and with the reference evaluator."""
    results = [_run(ruleset_id, engine)[case_id] for engine in casetest.ENGINES]
    if results[0].outcome == casetest.SKIPPED:
        pytest.skip(f"cluster {results[0].skipped_for} not shipped yet")
    for engine, result in zip(casetest.ENGINES, results, strict=True):
        assert result.outcome == casetest.PASSED, (
            f"{case_id} ({result.case.file}) [{result.case.why}], {engine}:\n  "
            + "\n  ".join(result.problems)
        )


@pytest.mark.parametrize("ruleset_id", sorted(json.loads(COUNTS.read_text())))
def test_no_case_lost(ruleset_id: str) -> None:
    """Per indicator and register, at least as many cases as the Python rule tests had."""
    recorded = json.loads(COUNTS.read_text())[ruleset_id]
    cases = _cases(ruleset_id).cases
    now = {item: sum(item in c.items() for c in cases) for item in recorded}
    now["(all)"] = len(cases)
    short = {i: (now[i], n) for i, n in recorded.items() if now[i] < n}
    assert not short, f"{ruleset_id}: (cases now, before) {short}"


# ---- dates -----------------------------------------------------------------------------

NAMED = {"PPSD": date(2025, 4, 1), "PPED": date(2026, 3, 31), "ACHV": date(2026, 3, 31)}


@pytest.mark.parametrize(
    ("text", "day"),
    [
        ("PPED - 11 months", date(2025, 4, 30)),  # 31 April does not exist: month ends clamp
        ("PPSD + 3 days", date(2025, 4, 4)),
        ("ACHV - 79 years + 1 day", date(1947, 4, 1)),
        ("PPED - 15 years", date(2011, 3, 31)),
        ("PPED - 1 month", date(2026, 2, 28)),
        ("2015-01-01", date(2015, 1, 1)),
        ("PPSD - 7 months + 279 days", date(2025, 6, 7)),
    ],
)
def test_date_expressions(text: str, day: date) -> None:
    assert parse_date_expr(text, "t").resolve(NAMED) == day


def test_dates_follow_the_ruleset_and_as_of(tmp_path: Path) -> None:
    """One case re-dated: its HbA1c `PPSD + 2 months` falls on 1 June of each ruleset's year;
    ACHV is the case's as_of, DOB the patient's birth date."""
    path = _case_file(
        tmp_path,
        "  - id: c\n    why: w\n    as_of: PPSD + 8 months\n"
        "    events: [{cluster: IFCCHBAM_COD, date: PPSD + 2 months, value: 40},"
        " {cluster: BP_COD, date: DOB + 10 days}]\n",
    )
    (case,) = read_case_file(path)
    for ruleset_id, year in (("qof-2026-27", 2026), ("qof-2025-26", 2025)):
        named = case.named_dates(load_ruleset(ruleset_id))
        assert case.events[0].date.resolve(named) == date(year, 6, 1)
        assert named["ACHV"] == date(year, 12, 1)
        assert named["DOB"] == date(year - 65, 12, 1)
        assert case.events[1].date.resolve(named) == date(year - 65, 12, 11)


# ---- errors: one line naming the file and the case ---------------------------------------


def _case_file(folder: Path, cases: str, head: str = "") -> Path:
    path = folder / "DM020.yaml"
    path.write_text(
        f"{head}patient:\n  dob: ACHV - 65 years\n  registration: PPSD - 20 years\ncases:\n{cases}"
    )
    return path


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("  - id: c\n    expect: {DM020: achieved}\n", "'why'"),
        ("  - id: c\n    why: w\n    expect: {DM020: maybe}\n", "'maybe' is not one of"),
        ("  - id: c\n    why: w\n    expect: {DM020: pca}\n", "take a REASON"),
        ("  - id: c\n    why: w\n    events: [{cluster: X, date: PPED - 2 weeks}]\n", "2 weeks"),
        ("  - id: c\n    why: w\n    colour: red\n", "unknown key colour"),
        ("  - id: c\n    why: w\n    on_register: true\n", "register_indicators"),
    ],
)
def test_bad_case_is_one_line_naming_file_and_case(tmp_path: Path, case: str, message: str) -> None:
    path = _case_file(tmp_path, case)
    with pytest.raises(CaseError) as info:
        read_case_file(path)
    text = str(info.value)
    assert message in text and str(path) in text and "case c" in text and "\n" not in text


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("  - id: c\n    why: w\n    expect: {DM999: achieved}\n", "unknown indicator"),
        ("  - id: c\n    why: w\n    expect: {DM_REG: achieved}\n", "is a register"),
        ("  - id: c\n    why: w\n    events: [{cluster: NOPE_COD, date: PPED}]\n", "NOPE_COD"),
        ("  - id: c\n    why: w\n    events: [{cluster: BP_COD, date: XMAS}]\n", "XMAS"),
        ("  - id: c\n    why: w\n    as_of: ACHV\n", "as_of"),
    ],
)
def test_case_must_fit_the_ruleset(tmp_path: Path, case: str, message: str) -> None:
    cases = read_case_file(_case_file(tmp_path, case))
    with pytest.raises(CaseError, match=message):
        check_cases(cases, load_ruleset("qof-2026-27"))


# ---- inheritance ---------------------------------------------------------------------------


def _child_ruleset(tmp_path: Path, parent: str = "qof-2026-27") -> Path:
    folder = tmp_path / "child"
    (folder / "cases").mkdir(parents=True)
    (folder / "ruleset.toml").write_text(
        f'id = "child"\ntitle = "t"\nextends = "{parent}"\nqof_year = "2026/27"\n'
        'business_rules = "v51"\nformat_version = 1\n'
    )
    return folder


def test_child_inherits_parent_cases_and_own_ids_replace_them(tmp_path: Path) -> None:
    folder = _child_ruleset(tmp_path)
    _case_file(
        folder / "cases",
        "  - id: a1c_58\n    why: replaced\n    events: [{cluster: DM_COD, date: PPED - 2 years}]"
        "\n    expect: {DM020: not_achieved}\n",
    )
    parent = _cases("qof-2026-27")
    child = load_cases(load_ruleset(folder))
    assert len(child.cases) == len(parent.cases)
    assert next(c for c in child.cases if c.id == "a1c_58").why == "replaced"
    assert "replaced" in child.not_inherited["a1c_58"]


def test_child_drops_cases_of_indicators_it_changes() -> None:
    """qof-2025-26 changes DM012 (2026/27 replaced it by DM037) and removes DM037: none of
    qof-2026-27's DM037 cases run there; its unchanged DM020 cases do, re-dated."""
    child = _cases("qof-2025-26")
    assert not [c for c in child.cases if "DM037" in c.items()]
    assert any("DM037" in why for why in child.not_inherited.values())
    assert "a1c_58" in {c.id for c in child.cases}


# ---- the runner and the command ----------------------------------------------------------


def test_wrong_expectation_fails_with_both_evaluators(tmp_path: Path) -> None:
    folder = _child_ruleset(tmp_path)
    _case_file(
        folder / "cases",
        "  - id: wrong\n    why: 'DM020 r2: 40 is <= 58, so this expectation is wrong'\n"
        "    events: [{cluster: DM_COD, date: PPED - 2 years},"
        " {cluster: IFCCHBAM_COD, date: PPSD + 2 months, value: 40}]\n"
        "    expect: {DM020: not_achieved, DM_REG: on, DM021: no_row}\n",
    )
    cases = load_cases(load_ruleset(folder)).select(["wrong"])
    for engine in casetest.ENGINES:
        (result,) = casetest.run_cases(cases, engine).results
        assert result.outcome == casetest.FAILED
        assert result.problems[0].startswith("DM020: expected not_achieved, got achieved")
        assert len(result.problems) == 2  # DM021 has a row: the patient is on DM_REG


def test_command_counts_and_exit_codes(tmp_path: Path) -> None:
    runner = CliRunner()
    ok = runner.invoke(app, ["rulesets", "test", "qof-2026-27", "DM020", "-v"])
    assert ok.exit_code == 0, ok.output
    last = ok.stdout.strip().splitlines()[-1].split()
    assert int(last[0]) >= 50 and last[1:] == ["passed,", "0", "failed,", "0", "skipped"]

    folder = _child_ruleset(tmp_path)
    _case_file(
        folder / "cases",
        "  - id: wrong\n    why: 'no diagnosis: not on DM_REG'\n    expect: {DM020: achieved}\n",
    )
    failed = runner.invoke(app, ["rulesets", "test", str(folder), "wrong"])
    assert failed.exit_code == 1
    assert "FAILED wrong" in failed.stdout and "no diagnosis" in failed.stdout
    assert failed.stdout.strip().splitlines()[-1] == "0 passed, 1 failed, 0 skipped"

    (folder / "cases" / "DM020.yaml").write_text("cases: 3\n")
    bad = runner.invoke(app, ["rulesets", "test", str(folder)])
    assert bad.exit_code == 2 and "DM020.yaml" in bad.stderr


def test_skipped_case_names_its_cluster(tmp_path: Path) -> None:
    rs = load_ruleset("qof-2026-27")
    missing = next(name for name, cluster in rs.clusters.items() if not cluster.codes)
    folder = _child_ruleset(tmp_path)
    _case_file(
        folder / "cases",
        f"  - id: needs\n    why: w\n    events: [{{cluster: {missing}, date: PPED}}]\n",
    )
    result = CliRunner().invoke(app, ["rulesets", "test", str(folder), "needs", "-v"])
    assert result.exit_code == 0
    assert f"skipped needs: cluster {missing}" in result.stdout
    assert result.stdout.strip().splitlines()[-1] == "0 passed, 0 failed, 1 skipped"


def test_patient_outcomes_columns_on_the_population_cases() -> None:
    """patient_outcomes returns the documented columns, one row per (patient, indicator), each
    with its deciding rule and description."""
    rs = load_ruleset("qof-2025-26")
    cases = _cases("qof-2025-26").select(["DM_REG"]).cases
    extract, _ = casetest.build_extract(cases, rs, casetest.CodePicker(rs))
    frame = patient_outcomes(extract, rs)
    assert list(frame.columns[:4]) == ["practice_code", "patient_id", "indicator", "status"]
    assert {"reason", "reason_type", "rule", "description"} <= set(frame.columns)
    assert frame.select("patient_id", "indicator").is_duplicated().sum() == 0
    assert frame["rule"].null_count() == 0 and frame["description"].null_count() == 0
    assert "DM_REG" not in frame["indicator"].to_list()


def test_shipped_case_folders_exist() -> None:
    for ruleset_id in ("qof-2026-27", "qof-2025-26"):
        folder = Path(load_ruleset(ruleset_id).path) / "cases"
        assert any(folder.glob("*.yaml")), folder
