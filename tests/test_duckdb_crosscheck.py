"""Cross-check: qofcli's engine against hand-written DuckDB SQL of six QOF 2026/27 indicators.

benchmarks/sql/six_indicators.sql computes DM020, DM021, DM036, HYP010, HYP011 and BP002 of
ruleset qof-2026-27 per practice, written from the rule texts independently of the engine
(issue #13; HYP010/HYP011 are 2025/26's HYP008/HYP009 renumbered with moderate/severe frailty
excluded). Both must give the same denominator, numerator, PCAs, exclusions, patients per reason
and register size for every practice, on a synthetic multi-practice extract (seed 3, at the
payment period end and in year) and on sample_data (at its extract date and at the period end).
"""

from __future__ import annotations

import importlib.util
import json
from datetime import date
from functools import cache
from pathlib import Path
from types import ModuleType

import polars as pl
import pytest

from qofcli import api
from qofcli.extract import load_extract

pytest.importorskip("duckdb")

ROOT = Path(__file__).resolve().parents[1]
RULESET = "qof-2026-27"
PPED = date(2027, 3, 31)  # qof-2026-27's payment period end
IN_YEAR = date(2026, 11, 30)  # sample_data's extract date; an in-year run
INDICATORS = ["DM020", "DM021", "DM036", "HYP010", "HYP011", "BP002"]
COUNTS = ["denominator", "numerator", "pca", "excluded"]


def load_duckdb_six() -> ModuleType:
    spec = importlib.util.spec_from_file_location("duckdb_six", ROOT / "benchmarks/duckdb_six.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """4,000 patients in 4 practices, extracted a quarter after the period end (so events after
    PPED and after the in-year date exist and must be ignored)."""
    folder = tmp_path_factory.mktemp("crosscheck") / "synthetic"
    ruleset = api.load_ruleset(RULESET)
    api.synthesise(ruleset, folder, 4000, 4, seed=3, as_of=date(2027, 6, 29))
    return folder


@cache
def both(extract: Path, as_of: date) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """(engine indicator counts, engine reasons, SQL counts) for the six indicators."""
    ruleset = api.load_ruleset(RULESET)
    # load_extract, not open_extract: validation compares dates with today, and the synthetic
    # extract is dated after PPED, which is in the future until 2027
    scored = api.score(load_extract(extract), ruleset, as_of)
    six = pl.col("indicator").is_in(INDICATORS)
    engine = scored.indicators.filter(six).join(
        scored.registers.select("practice_code", "register", pl.col("size").alias("register_size")),
        on=["practice_code", "register"],
        how="left",
    )
    sql = pl.from_arrow(load_duckdb_six().six_indicators(extract, as_of))
    assert isinstance(sql, pl.DataFrame)
    return engine, scored.reasons.filter(six), sql


CASES = [("synthetic", PPED), ("synthetic", IN_YEAR), ("sample", IN_YEAR), ("sample", PPED)]


@pytest.mark.parametrize("indicator", INDICATORS)
@pytest.mark.parametrize(("which", "as_of"), CASES, ids=[f"{w}-{d}" for w, d in CASES])
def test_engine_and_sql_agree_per_practice(
    synthetic: Path, which: str, as_of: date, indicator: str
) -> None:
    extract = synthetic if which == "synthetic" else ROOT / "sample_data"
    engine, engine_reasons, sql = both(extract, as_of)
    engine = engine.filter(pl.col("indicator") == indicator)
    sql = sql.filter(pl.col("indicator") == indicator)

    practices = engine["practice_code"].to_list()
    assert len(practices) >= 2, "the check needs several practices"
    assert engine["denominator"].sum() > 0 and engine["numerator"].sum() > 0
    assert engine["pca"].sum() + engine["excluded"].sum() > 0

    for practice in practices:
        mine = engine.row(by_predicate=pl.col("practice_code") == practice, named=True)
        theirs = sql.filter(pl.col("practice_code") == practice)
        if theirs.is_empty():  # nobody on the register: the SQL has no row
            assert mine["register_size"] in (0, None) and all(mine[c] == 0 for c in COUNTS)
            continue
        row = theirs.row(0, named=True)
        for column in [*COUNTS, "register_size"]:
            assert mine[column] == row[column], f"{practice} {indicator} {column}"
        engine_by_reason = dict(
            engine_reasons.filter(
                (pl.col("practice_code") == practice) & (pl.col("indicator") == indicator)
            )
            .select("reason", "patients")
            .iter_rows()
        )
        assert engine_by_reason == json.loads(row["reasons"] or "{}"), f"{practice} {indicator}"


def test_sql_reads_no_code_or_date_literal() -> None:
    """The SQL takes its codes from the ruleset's clusters and its dates as parameters."""
    import re

    text = (ROOT / "benchmarks/sql/six_indicators.sql").read_text()
    code_lines = [line.split("--")[0] for line in text.splitlines()]
    body = "\n".join(code_lines)
    assert not re.search(r"\d{6,}", body), "a SNOMED/dm+d code typed into the SQL"
    assert not re.search(r"\d{4}-\d{2}-\d{2}", body), "a date typed into the SQL"


# --- Boundary cases from the rule texts, one patient per practice so that the per-practice
# counts of both implementations show each patient's outcome. ACHV = PPED = 2027-03-31; "in the
# 12 months up to and including PPED" admits 2026-04-01, not 2026-03-31 (rule-text `> PPED - 12
# months`); newly diagnosed/registered: after 2026-06-30 (9 months) or 2026-12-31 (3 months);
# BP002's 5 years admit 2022-04-01, not 2022-03-31.
DM = [("DM_COD", "2010-01-01", None)]
HYP = [("HYP_COD", "2010-01-01", None)]
A1C, SYS, DIA = "IFCCHBAM_COD", "SYSBP_COD", "DIABP_COD"


def bp(day: str, systolic: float, diastolic: float) -> list[tuple[str, str, float | None]]:
    return [(SYS, day, systolic), (DIA, day, diastolic)]


BOUNDARY_CASES: list[tuple[str, dict[str, str], list[tuple[str, str, float | None]], dict]] = [
    (
        "A1C_FIRST_DAY_IN",
        {},
        [*DM, (A1C, "2026-04-01", 58)],
        {"DM020": "achieved", "DM021": "MDSEVFRAIL"},
    ),
    ("A1C_DAY_BEFORE_OUT", {}, [*DM, (A1C, "2026-03-31", 48)], {"DM020": "not_achieved"}),
    (
        "A1C_LOWEST_OF_DAY",
        {},
        [*DM, (A1C, "2026-10-01", 60), (A1C, "2026-10-01", 57)],
        {"DM020": "achieved"},
    ),
    (
        "A1C_VALUELESS_SAME_DAY",
        {},
        [*DM, (A1C, "2026-10-01", None), (A1C, "2026-10-01", 57)],
        {"DM020": "achieved"},
    ),
    # an implausible value is missing, but the record is still the latest HbA1c
    (
        "A1C_IMPLAUSIBLE_LATEST",
        {},
        [*DM, (A1C, "2026-06-01", 50), (A1C, "2026-10-01", 300)],
        {"DM020": "not_achieved"},
    ),
    ("A1C_AFTER_ACHV", {}, [*DM, (A1C, "2027-04-01", 50)], {"DM020": "not_achieved"}),
    (
        "INVITES_6_DAYS",
        {},
        [*DM, ("DMINVITE_COD", "2026-05-01", None), ("DMINVITE_COD", "2026-05-07", None)],
        {"DM020": "not_achieved"},
    ),
    (
        "INVITES_7_DAYS",
        {},
        [*DM, ("DMINVITE_COD", "2026-05-01", None), ("DMINVITE_COD", "2026-05-08", None)],
        {"DM020": "DMIFINVITE"},
    ),
    (
        "INVITE_BEFORE_PPSD",
        {},
        [*DM, ("DMINVITE_COD", "2026-03-20", None), ("DMINVITE_COD", "2026-05-08", None)],
        {"DM020": "not_achieved"},
    ),
    (
        "A1C_HIGH_ONE_INVITE_AFTER",
        {},
        [
            *DM,
            (A1C, "2026-06-01", 70),
            ("DMINVITE_COD", "2026-05-01", None),
            ("DMINVITE_COD", "2026-07-01", None),
        ],
        {"DM020": "not_achieved"},
    ),
    (
        "A1C_HIGH_TWO_INVITES_AFTER",
        {},
        [
            *DM,
            (A1C, "2026-06-01", 70),
            ("DMINVITE_COD", "2026-07-01", None),
            ("DMINVITE_COD", "2026-07-08", None),
        ],
        {"DM020": "DMIFINVITE"},
    ),
    (
        "FRAIL_MILD_AND_MODERATE_SAME_DAY",
        {},
        [
            *DM,
            ("MILDFRAIL_COD", "2026-01-01", None),
            ("MODFRAIL_COD", "2026-01-01", None),
            (A1C, "2026-10-01", 70),
            *bp("2026-10-01", 120, 70),
        ],
        {"DM020": "MDSEVFRAIL", "DM021": "achieved", "DM036": "MDSEVFRAIL"},
    ),
    (
        "FRAIL_SEVERE_THEN_MILD",
        {},
        [
            *DM,
            ("SEVFRAIL_COD", "2025-01-01", None),
            ("MILDFRAIL_COD", "2026-01-01", None),
            (A1C, "2026-10-01", 50),
        ],
        {"DM020": "achieved", "DM021": "MDSEVFRAIL"},
    ),
    (
        "ACHIEVER_WITH_PCA",
        {},
        [*DM, (A1C, "2026-10-01", 50), ("DMPCADEC_COD", "2026-11-01", None)],
        {"DM020": "achieved"},
    ),
    ("PCA_WITHOUT_A1C", {}, [*DM, ("DMPCADEC_COD", "2026-11-01", None)], {"DM020": "DMPCADEC"}),
    (
        "DM_RESOLVED_SAME_DAY",
        {},
        [*DM, ("DMRES_COD", "2010-01-01", None)],
        {"DM020": "not_achieved"},
    ),
    ("DM_RESOLVED_LATER", {}, [*DM, ("DMRES_COD", "2011-01-01", None)], {"DM020": "off"}),
    ("DM_AGED_16", {"date_of_birth": "2010-04-01"}, DM, {"DM020": "off"}),
    ("DM_17TH_BIRTHDAY_ON_ACHV", {"date_of_birth": "2010-03-31"}, DM, {"DM020": "not_achieved"}),
    ("DEREGISTERED_ON_ACHV", {"deregistration_date": "2027-03-31"}, DM, {"DM020": "off"}),
    (
        "DEREGISTERED_DAY_AFTER",
        {"deregistration_date": "2027-04-01"},
        DM,
        {"DM020": "not_achieved"},
    ),
    ("DIED_ON_ACHV", {"death_date": "2027-03-31"}, DM, {"DM020": "off", "BP002": "off"}),
    ("DM_DIAGNOSED_IN_9M", {}, [("DM_COD", "2026-07-01", None)], {"DM020": "DIAG1_DT9M"}),
    ("DM_DIAGNOSED_BEFORE_9M", {}, [("DM_COD", "2026-06-30", None)], {"DM020": "not_achieved"}),
    (
        "REGISTERED_IN_9M",
        {"registration_date": "2026-07-01"},
        DM,
        {"DM020": "REG1_DAT9", "BP002": "not_achieved"},
    ),
    ("REGISTERED_IN_3M", {"registration_date": "2027-01-01"}, [], {"BP002": "REG1_DAT3"}),
    (
        "HYP_AGED_79",
        {"date_of_birth": "1947-04-01"},
        [*HYP, *bp("2026-10-01", 140, 90)],
        {"HYP010": "achieved", "HYP011": "PAT_AGEU80"},
    ),
    (
        "HYP_80TH_BIRTHDAY_ON_ACHV",
        {"date_of_birth": "1947-03-31"},
        [*HYP, *bp("2026-10-01", 150, 90)],
        {"HYP010": "PAT_AGEO79", "HYP011": "achieved"},
    ),
    (
        "HYP_80_ABOVE_TARGET",
        {"date_of_birth": "1940-01-01"},
        [*HYP, *bp("2026-10-01", 151, 90)],
        {"HYP011": "not_achieved"},
    ),
    ("HYP_141_90", {}, [*HYP, *bp("2026-10-01", 141, 90)], {"HYP010": "not_achieved"}),
    (
        "HYP_HOME_136_80",
        {},
        [*HYP, *bp("2026-10-01", 136, 80), ("HOMEBP_COD", "2026-10-01", None)],
        {"HYP010": "not_achieved"},
    ),
    (
        "HYP_HOME_135_85",
        {},
        [*HYP, *bp("2026-10-01", 135, 85), ("HOMEBP_COD", "2026-10-01", None)],
        {"HYP010": "achieved"},
    ),
    (
        "HYP_LONE_SYSTOLIC_LATEST",
        {},
        [*HYP, *bp("2026-06-01", 130, 80), (SYS, "2026-10-01", 170)],
        {"HYP010": "achieved"},
    ),
    (
        "HYP_LOWEST_OF_DAY",
        {},
        [*HYP, *bp("2026-10-01", 160, 95), *bp("2026-10-01", 138, 88)],
        {"HYP010": "achieved", "DM036": "off"},
    ),
    (
        "HYP_FRAIL_ON_TARGET",
        {},
        [*HYP, ("MODFRAIL_COD", "2026-01-01", None), *bp("2026-10-01", 120, 70)],
        {"HYP010": "MDSEVFRAIL"},
    ),
    (
        "HYP_PCA_UNSUITABLE",
        {},
        [*HYP, ("HYPPCAPU_COD", "2026-04-01", None)],
        {"HYP010": "HYPPCAPU"},
    ),
    (
        "HYP_PCA_UNSUITABLE_OUT",
        {},
        [*HYP, ("HYPPCAPU_COD", "2026-03-31", None)],
        {"HYP010": "not_achieved"},
    ),
    ("DM_BP_ON_TARGET", {}, [*DM, *bp("2026-10-01", 139, 89)], {"DM036": "achieved"}),
    ("BP002_5Y_FIRST_DAY", {}, [("BP_COD", "2022-04-01", None)], {"BP002": "achieved"}),
    ("BP002_5Y_DAY_BEFORE", {}, [("BP_COD", "2022-03-31", None)], {"BP002": "not_achieved"}),
    ("BP002_DECLINED", {}, [("BPDEC_COD", "2025-01-01", None)], {"BP002": "BPDEC1"}),
    (
        "BP002_AGED_44",
        {"date_of_birth": "1982-04-01"},
        [("BP_COD", "2026-10-01", None)],
        {"BP002": "off"},
    ),
]


def code_of(cluster: str) -> str:
    """A code of the cluster (from the ruleset's CSV) in no other cluster the six indicators
    read, so each event means exactly one thing."""
    folder = ROOT / "rulesets" / RULESET / "clusters"
    others: set[str] = set()
    for name in ["DM_COD", "HYP_COD", "BP_COD", "SYSBP_COD", "DIABP_COD", "HOMEBP_COD", A1C]:
        if name != cluster:
            others |= set(
                pl.read_csv(folder / f"{name}.csv", schema_overrides={"code": pl.Utf8})["code"]
            )
    codes = pl.read_csv(folder / f"{cluster}.csv", schema_overrides={"code": pl.Utf8})["code"]
    return next(code for code in codes if code not in others)


@pytest.fixture(scope="module")
def boundary(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("boundary")
    patients, events = [], []
    for name, overrides, records, _ in BOUNDARY_CASES:
        patient = {
            "patient_id": name,
            "practice_code": name,
            "date_of_birth": "1966-06-15",
            "sex": "F",
            "registration_date": "2000-01-01",
            "deregistration_date": None,
            "death_date": None,
            **overrides,
        }
        patients.append(patient)
        events += [
            {"patient_id": name, "date": day, "code": code_of(cluster), "value": value}
            for cluster, day, value in records
        ]
    pl.DataFrame(patients).write_csv(folder / "patients.csv")
    schema = {"patient_id": pl.Utf8, "date": pl.Utf8, "code": pl.Utf8, "value": pl.Float64}
    pl.DataFrame(events, schema=schema).write_csv(folder / "events.csv")
    return folder


def outcome(counts: dict | None, reasons: dict[str, int]) -> str:
    """One patient's outcome from its practice's counts."""
    if counts is None or counts["denominator"] + counts["pca"] + counts["excluded"] == 0:
        return "off"
    if counts["numerator"]:
        return "achieved"
    if counts["denominator"]:
        return "not_achieved"
    (reason,) = [r for r, n in reasons.items() if n]
    return reason


@pytest.mark.parametrize(
    ("name", "expected"), [(c[0], c[3]) for c in BOUNDARY_CASES], ids=[c[0] for c in BOUNDARY_CASES]
)
def test_boundary_cases_from_the_rule_texts(boundary: Path, name: str, expected: dict) -> None:
    engine, engine_reasons, sql = both(boundary, PPED)
    for indicator, wanted in expected.items():
        mine = engine.filter((pl.col("practice_code") == name) & (pl.col("indicator") == indicator))
        mine_reasons = dict(
            engine_reasons.filter(
                (pl.col("practice_code") == name) & (pl.col("indicator") == indicator)
            )
            .select("reason", "patients")
            .iter_rows()
        )
        theirs = sql.filter((pl.col("practice_code") == name) & (pl.col("indicator") == indicator))
        sql_row = theirs.row(0, named=True) if len(theirs) else None
        sql_reasons = json.loads(sql_row["reasons"] or "{}") if sql_row else {}
        engine_row = mine.row(0, named=True) if len(mine) else None
        assert outcome(sql_row, sql_reasons) == wanted, f"SQL {indicator}"
        assert outcome(engine_row, mine_reasons) == wanted, f"engine {indicator}"
