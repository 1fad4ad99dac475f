"""qof-2024-25 (business rules v49): the 2025/26 ruleset with named differences.

Counts and points against the domain notes (qof-catalogue.md §1, §5) and NHS Digital's 2023/24
metadata; income-protected and manually declared indicators with and without the user's files
(every £ figure worked by hand); file validation; the format additions. The patient-level cases
of the 2024/25 rules (DM022, DM023, DM033 and the protected clinical indicators whose rules are
written) are data: rulesets/qof-2024-25/cases/, run by tests/test_cases.py.
"""

from __future__ import annotations

import csv
import json
from datetime import date
from pathlib import Path

import polars as pl
import pytest
from mini_extract import write_csv
from typer.testing import CliRunner

from qofcli import api
from qofcli.cli import app
from qofcli.errors import UsageError
from qofcli.extract import Extract, extract_from_frames
from qofcli.reports.console import indicator_count
from qofcli.ruleset.model import Ruleset
from qofcli.scoring.claims import paid_items

RULESET = "qof-2024-25"
REFERENCE = Path(__file__).resolve().parents[1].parent / "shared/reference/nhsd-qof-2023-24"
PROTECTED_19_REGISTERS = {
    "AF001": 5, "AST005": 4, "CAN001": 5, "CHD001": 4, "CKD005": 6, "COPD015": 8, "DEM001": 5,
    "DM017": 6, "EP001": 1, "HF001": 4, "HYP001": 6, "LD004": 4, "MH001": 4, "OB003": 8,
    "OST004": 3, "PAD001": 2, "PC001": 3, "RA001": 1, "STIA001": 2,
}  # fmt: skip
PROTECTED_CLINICAL = {"AST008": 6, "CAN004": 6, "CAN005": 2, "COPD014": 2, "DEP004": 10}
PROTECTED_CLINICAL |= {"MH021": 6, "SMOK005": 25}
MANUAL = {"QI013": 27, "QI014": 10, "QI016": 10, "QI017": 6, "QI018": 6, "QI019": 15}
CVD_NINE = {"HYP008": 14, "HYP009": 5, "CHD015": 12, "CHD016": 5, "STIA014": 3, "STIA015": 2}
CVD_NINE |= {"DM033": 10, "CHOL003": 14, "CHOL004": 16}
# 2024/25 ids absent from the 2023/24 metadata, and the 2023/24 indicator they replaced
# (same points: qof-catalogue.md §6, "CHOL003/CHOL004 with same points").
REPLACED_2023_24 = {"CHOL003": "CHOL001", "CHOL004": "CHOL002"}

runner = CliRunner()


@pytest.fixture(scope="module")
def ruleset() -> Ruleset:
    return api.load_ruleset(RULESET)


# ---- counts and points ---------------------------------------------------------------------


def test_76_indicators_and_635_points(ruleset) -> None:
    assert indicator_count(ruleset) == 76
    assert ruleset.total_points == 635
    items = paid_items(ruleset)
    protected = {i: p for i, (kind, p) in items.items() if kind == "protected"}
    assert protected == PROTECTED_19_REGISTERS | PROTECTED_CLINICAL
    assert sum(protected.values()) + sum(MANUAL.values()) == 212  # 32 indicators
    assert {i: p for i, (kind, p) in items.items() if kind == "manual"} == MANUAL
    for indicator, points in CVD_NINE.items():
        assert ruleset.indicators[indicator].points == points, indicator
    assert sum(CVD_NINE.values()) == 81  # 222 - 141 (qof-catalogue.md §5)


def test_2024_25_codes_replace_the_2025_26_ones(ruleset) -> None:
    for old, new in (("DM022", "DM034"), ("DM023", "DM035"), ("DM033", "DM036")):
        assert old in ruleset.indicators and new not in ruleset.indicators
    assert (ruleset.indicators["AST011"].points, ruleset.indicators["DM022"].points) == (15, 4)
    assert ruleset.indicators["DM023"].points == 2


def test_year_constants(ruleset) -> None:
    assert (ruleset.period_start, ruleset.period_end) == (date(2024, 4, 1), date(2025, 3, 31))
    assert ruleset.payment.pound_per_point == 220.62
    assert ruleset.payment.national_average_list_size == 9964
    assert ruleset.dates["APR2023"] == date(2023, 4, 1)  # fixed dates are inherited as they are


def test_unknown_upper_thresholds_are_marked_low(ruleset) -> None:
    for indicator in CVD_NINE:
        assert ruleset.indicators[indicator].confidence == "low", indicator
    for indicator in PROTECTED_CLINICAL:
        found = ruleset.indicators[indicator]
        assert (found.lower, found.upper, found.payment) == (None, None, "protected")


def _reference_rows() -> list[dict[str, str]]:
    with (REFERENCE / "INDICATOR_REFERENCE_CONTROL.csv").open(encoding="cp1252") as handle:
        return list(csv.DictReader(handle))


@pytest.mark.skipif(not REFERENCE.is_dir(), reason="NHS Digital reference metadata not available")
def test_points_equal_the_2023_24_points(ruleset) -> None:
    """2024/25 kept the 2023/24 points of every indicator (protected ones are fixed at them; the
    CVD nine were only re-weighted in 2025/26); CHOL003/004 replaced CHOL001/002 at the same
    points. Manual entry (AUTOMATIC_MANUAL_ENTRY M) is exactly the declared QI modules."""
    official = {r["INDICATOR_CODE"]: r for r in _reference_rows()}
    items = paid_items(ruleset)
    assert set(official) == {REPLACED_2023_24.get(i, i) for i in items}
    for indicator, (payment, points) in items.items():
        row = official[REPLACED_2023_24.get(indicator, indicator)]
        assert float(row["INDICATOR_POINT_VALUE"]) == points, indicator
        assert (row["AUTOMATIC_MANUAL_ENTRY"] == "M") == (payment == "manual"), indicator


def test_rulesets_lists_2024_25_beside_2025_26() -> None:
    result = runner.invoke(app, ["rulesets"])
    assert result.exit_code == 0, result.output
    line = next(x for x in result.output.splitlines() if "qof-2024-25" in x)
    assert "76" in line and "635" in line and "v49" in line
    newer = api.load_ruleset("qof-2025-26")
    line = next(x for x in result.output.splitlines() if x.startswith("│ qof-2025-26"))
    assert str(indicator_count(newer)) in line


# ---- a small extract ------------------------------------------------------------------------


def code(ruleset: Ruleset, cluster: str) -> str:
    """A code of `cluster`, preferring one in no other cluster."""
    codes = ruleset.clusters[cluster].codes
    others = {c for k, v in ruleset.clusters.items() if k != cluster for c in v.codes}
    return next(c for c in codes if c not in others)


def extract_of(
    ruleset: Ruleset,
    people: dict[str, tuple[date, list[tuple[str, date, float | None]]]],
    practice: str = "P1",
    list_size: int | None = None,
) -> Extract:
    """people: id -> (date of birth, [(cluster, date, value)]), registered since 2000."""
    patients = pl.DataFrame(
        {
            "patient_id": list(people),
            "practice_code": [practice] * len(people),
            "date_of_birth": [dob for dob, _ in people.values()],
            "sex": ["M"] * len(people),
            "registration_date": [date(2000, 1, 1)] * len(people),
            "deregistration_date": [None] * len(people),
            "death_date": [None] * len(people),
        },
        schema_overrides={"deregistration_date": pl.Date, "death_date": pl.Date},
    )
    rows = [
        (pid, when, code(ruleset, cluster), value)
        for pid, (_, events) in people.items()
        for cluster, when, value in events
    ]
    events = pl.DataFrame(
        rows,
        schema={"patient_id": pl.String, "date": pl.Date, "code": pl.String, "value": pl.Float64},
        orient="row",
    )
    practices = None
    if list_size is not None:
        practices = pl.DataFrame(
            {"practice_code": [practice], "pcn_code": [None], "list_size": [list_size]},
            schema={"practice_code": pl.String, "pcn_code": pl.String, "list_size": pl.Int64},
        )
    return extract_from_frames(patients, events, practices)


DOB_60 = date(1964, 6, 1)  # 60 on 2025-03-31
DX = ("DM_COD", date(2015, 1, 1), None)


def _diabetics(count: int) -> dict[str, tuple[date, list]]:
    return {f"d{i}": (DOB_60, [DX]) for i in range(count)}


# ---- protected and manual payment ----------------------------------------------------------
# One practice, list 1,000, 13 diabetics: DM_REG prevalence 1.3%, national 6.444% (inherited
# from qof-2026-27: NHS England 2024-25) -> APDF 1.3 / 6.444 = 0.201738050900.
# CPI = 1,000 / 9,964 = 0.100361301686. £ per point at CPI only:
# 220.62 × 0.100361301686 = 22.14171...


@pytest.fixture(scope="module")
def practice(ruleset) -> Extract:
    return extract_of(ruleset, _diabetics(13), list_size=1_000)


def _row(score, indicator: str) -> dict:
    return score.indicators.filter(pl.col("indicator") == indicator).to_dicts()[0]


def test_without_files_protected_and_manual_points_are_not_computed(ruleset, practice) -> None:
    score = api.score(practice, ruleset)
    dm017 = _row(score, "DM017")
    assert (dm017["payment"], dm017["points"], dm017["pounds"]) == ("protected", None, None)
    assert dm017["max_points"] == 6 and "--protected-points" in dm017["points_note"]
    assert dm017["pounds_note"] == dm017["points_note"]
    qi = _row(score, "QI013")
    assert (qi["payment"], qi["points"], qi["pounds"], qi["denominator"]) == (
        "manual",
        None,
        None,
        None,
    )
    assert "--declarations" in qi["points_note"]
    smok005 = _row(score, "SMOK005")  # achievement still computed (nobody here smokes)
    assert smok005["payment"] == "protected" and smok005["points"] is None
    assert smok005["excluded"] == 13  # CSMOK: on SMOK1_REG via DM_REG, not current smokers
    totals = score.totals.to_dicts()[0]
    # 212 protected/declared points are not computed; none of them is counted as 0
    assert totals["points_not_computed"] == 212
    assert totals["max_points"] == 635


def test_protected_points_and_declarations_are_paid(ruleset, practice, tmp_path) -> None:
    protected = tmp_path / "protected.csv"
    protected.write_text("practice_code,indicator,points\nP1,DM017,6\nP1,SMOK005,12.5\n")
    declared = tmp_path / "declared.csv"
    declared.write_text("practice_code,indicator,achieved\nP1,QI013,yes\nP1,QI014,no\n")
    claims = api.read_claims(ruleset, protected, declared)
    score = api.score(practice, ruleset, claims=claims)
    dm017 = _row(score, "DM017")
    # 6 × 220.62 = 1,323.72; × CPI 0.100361301686 = 132.850260; × APDF 0.201738050900
    # = 26.800953
    assert dm017["points"] == 6 and dm017["pounds"] == pytest.approx(26.800953, abs=1e-5)
    assert dm017["points_note"] is None and dm017["pounds_note"] is None
    qi013 = _row(score, "QI013")
    # list size only: 27 × 220.62 = 5,956.74; × 0.100361301686 = 595.674 + 2.152174 = 597.826174
    assert qi013["points"] == 27 and qi013["pounds"] == pytest.approx(597.826174, abs=1e-5)
    assert _row(score, "QI014")["points"] == 0
    smok005 = _row(score, "SMOK005")
    assert smok005["points"] == 12.5
    # SMOK1_REG: the 13 diabetics, 1.3% of the list; national 22% -> APDF 0.059090909;
    # 12.5 × 220.62 × 0.100361301686 × 0.059090909 = 16.354672
    assert smok005["pounds"] == pytest.approx(16.354672, abs=1e-5)
    assert _row(score, "QI016")["points"] is None  # no row for it: still not computed
    assert "no row for this practice" in _row(score, "QI016")["points_note"]


def test_protected_points_roll_up_as_sums(ruleset, tmp_path) -> None:
    people = _diabetics(2)
    one = extract_of(ruleset, people, practice="P1")
    two = extract_of(ruleset, people, practice="P2")
    both = extract_from_frames(
        pl.concat([one.patients.collect(), two.patients.with_columns().collect()]),
        pl.concat([one.events.collect(), two.events.collect()]),
    )
    protected = tmp_path / "p.csv"
    protected.write_text("practice_code,indicator,points\nP1,DM017,6\nP2,DM017,5\n")
    score = api.score(both, ruleset, by="all", claims=api.read_claims(ruleset, protected))
    assert _row(score, "DM017")["points"] == 11  # 6 + 5
    assert _row(score, "AF001")["points"] is None  # no practice has a figure


# ---- file validation -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("option", "text", "message"),
    [
        ("--protected-points", "practice_code,indicator,points\nP1,DM020,3\n", "DM020 is not"),
        ("--protected-points", "practice_code,indicator,points\nP1,DM017,7\n", "from 0 to 6"),
        ("--protected-points", "practice_code,indicator,points\nP1,QI013,1\n", "QI013 is not"),
        ("--protected-points", "practice_code,indicator,points\nZZ,DM017,1\n", "practice ZZ"),
        ("--protected-points", "practice,indicator,points\n", "header"),
        ("--protected-points", "practice_code,indicator,points\nP1,AF001,1\nP1,AF001,2\n", "twice"),
        ("--declarations", "practice_code,indicator,achieved\nP1,QI013,maybe\n", "yes or no"),
        ("--declarations", "practice_code,indicator,achieved\nP1,DM017,yes\n", "DM017 is not"),
    ],
)
def test_bad_files_are_one_line_errors(ruleset, tmp_path, option, text, message) -> None:
    folder = tmp_path / "extract"
    folder.mkdir()
    write_csv(extract_of(ruleset, _diabetics(1)), folder)
    claims = tmp_path / "claims.csv"
    claims.write_text(text)
    result = runner.invoke(
        app, ["score", str(folder), "--ruleset", RULESET, "-f", "json", option, str(claims)]
    )
    assert result.exit_code == 2, result.output
    assert len(result.stderr.strip().splitlines()) == 1
    assert option in result.stderr and message in result.stderr


def test_missing_file_names_the_option(ruleset, tmp_path) -> None:
    with pytest.raises(UsageError, match="--declarations .*cannot read"):
        api.read_claims(ruleset, declarations=tmp_path / "nope.csv")


def test_json_has_payment_fields(ruleset, tmp_path) -> None:
    folder = tmp_path / "extract"
    folder.mkdir()
    write_csv(extract_of(ruleset, _diabetics(1)), folder)
    result = runner.invoke(app, ["score", str(folder), "--ruleset", RULESET, "-f", "json"])
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    qi = next(i for i in document["practices"][0]["indicators"] if i["id"] == "QI019")
    assert (qi["payment"], qi["points"], qi["register"]) == ("manual", None, None)
    assert document["totals"]["points_not_computed"] == 212
    table = runner.invoke(app, ["score", str(folder), "--ruleset", RULESET])
    assert table.exit_code == 0, table.output
    assert (
        "QI019+" in table.output and "DM017*" in table.output and "income-protected" in table.output
    )
    assert "points not computed" in table.output


# ---- manual indicators -----------------------------------------------------------------------
# Patient-level cases of the 2024/25 rules: rulesets/qof-2024-25/cases/ (tests/test_cases.py).


def test_manual_indicators_have_no_patients(ruleset) -> None:
    """Declared (manual) indicators are never computed from an extract: no patient has a row
    for them, and asking for one by name is a usage error."""
    frame = api.patient_outcomes(extract_of(ruleset, _diabetics(1)), ruleset)
    indicators = set(frame["indicator"].to_list())
    assert "DM022" in indicators  # the diabetic has rows for the computed indicators
    assert not indicators & set(MANUAL)
    with pytest.raises(UsageError, match="declared"):
        api.patient_outcomes(extract_of(ruleset, {}), ruleset, indicators=["QI013"])


# ---- the format additions ------------------------------------------------------------------


def _child(tmp_path: Path, manifest: str, files: dict[str, str] | None = None) -> Path:
    folder = tmp_path / "child"
    folder.mkdir()
    (folder / "ruleset.toml").write_text(f'id = "child"\nextends = "{RULESET}"\n' + manifest)
    for name, text in (files or {}).items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text)
    return folder


@pytest.mark.parametrize(
    ("manifest", "files", "message"),
    [
        ("[register_overrides.NOPE_REG]\npoints = 1\n", None, "unknown 'NOPE_REG'"),
        ('[register_overrides.DM_REG]\npayment = "manual"\n', None, "payment must be one of"),
        ("[register_overrides.DM_REG]\nrules = 1\n", None, "cannot override ['rules']"),
        ("[register_overrides.DM_REG]\npoints = -1\n", None, "must be a number >= 0"),
        (
            "",
            {"indicators/X1.yaml": "id: X1\npayment: manual\npoints: 1\nregister: DM_REG\n"},
            "a manual indicator has no register",
        ),
        ("", {"indicators/X2.yaml": "id: X2\npoints: 1\nregister: DM_REG\n"}, "thresholds"),
        (
            "",
            {"indicators/X3.yaml": "id: X3\npayment: bonus\npoints: 1\n"},
            "payment must be one of achievement, protected, manual",
        ),
    ],
)
def test_format_mistakes_are_one_line_errors(tmp_path, manifest, files, message) -> None:
    from qofcli.errors import RulesetError

    with pytest.raises(RulesetError, match=r".*") as caught:
        api.load_ruleset(_child(tmp_path, manifest, files))
    assert message in str(caught.value) and "\n" not in str(caught.value)
