"""Spec tests of the field keys `with_value`, `all_clusters`, `prefer`, of exact values and of
`value_ranges` (engine, loader and `qof validate`), on the mini ruleset (PPSD 2024-04-01,
PPED 2025-03-31; tests/fixtures/rulesets/mini) and tiny CSV extracts."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl
import pytest
from test_engine_spec import (
    BP,
    DM,
    HBA1C,
    MILD_FRAIL,
    MOD_FRAIL,
    SEV_FRAIL,
    SYSBP,
    ev,
    person,
    run_probes,
)
from typer.testing import CliRunner

from qofcli.cli.app import app
from qofcli.errors import RulesetError
from qofcli.extract import validate_extract
from qofcli.ruleset.loader import load_ruleset

DAY1, DAY2, DAY3 = date(2024, 6, 1), date(2024, 9, 1), date(2024, 11, 1)

# ---- all_clusters + with_value: the latest day with a valued record of every cluster ---------

PAIR_FIELDS = """
PAIR: {latest: [BP_COD, SYSBP_COD], with_value: true, all_clusters: true}
PAIR_FIRST: {earliest: [BP_COD, SYSBP_COD], with_value: true, all_clusters: true}
PAIR_SYS: {latest: SYSBP_COD, with_value: true, same_day: PAIR}
PAIR_SYS_HIGH: {latest: SYSBP_COD, with_value: true, same_day: PAIR, value: highest}
PAIR_BP: {latest: BP_COD, same_day: PAIR}
PAIR_IN_YEAR: {latest: [BP_COD, SYSBP_COD], with_value: true, all_clusters: true, before: DAY3}
"""


def _pair_probes() -> dict[str, str]:
    return {
        "PAIR_DAY1": "{date: PAIR, same_day: PPSD + 61 days}",
        "PAIR_DAY2": "{date: PAIR, same_day: PPSD + 153 days}",
        "FIRST_DAY1": "{date: PAIR_FIRST, same_day: PPSD + 61 days}",
        "SYS_110": "{value: PAIR_SYS, eq: 110}",
        "SYS_HIGH_130": "{value: PAIR_SYS_HIGH, eq: 130}",
        "BP_70": "{value: PAIR_BP, eq: 70}",
        "HAS_PAIR": "{has: PAIR}",
        "IN_YEAR_DAY1": "{date: PAIR_IN_YEAR, same_day: PPSD + 61 days}",
    }


def test_all_clusters_latest_day_with_a_value_in_each(tmp_path: Path) -> None:
    assert date(2024, 4, 1).toordinal() + 61 == DAY1.toordinal()
    assert date(2024, 4, 1).toordinal() + 153 == DAY2.toordinal()
    events = [
        # "late_flag": a full pair on DAY1, then value-less BP and a valued SYSBP on DAY2
        ev("late_flag", BP, DAY1, 70),
        ev("late_flag", SYSBP, DAY1, 130),
        ev("late_flag", SYSBP, DAY1, 110),
        ev("late_flag", BP, DAY2, None),
        ev("late_flag", SYSBP, DAY2, 150),
        # "two_days": full pairs on DAY1 and DAY2 -> DAY2
        ev("two_days", BP, DAY1, 70),
        ev("two_days", SYSBP, DAY1, 120),
        ev("two_days", BP, DAY2, 80),
        ev("two_days", SYSBP, DAY2, 110),
        ev("two_days", SYSBP, DAY2, 130),
        # "lone": only SYSBP values, never both on one day
        ev("lone", SYSBP, DAY1, 120),
        ev("lone", BP, DAY2, 70),
        # "windowed": pairs on DAY1 and DAY3; the window (before DAY3) keeps DAY1
        ev("windowed", BP, DAY1, 70),
        ev("windowed", SYSBP, DAY1, 120),
        ev("windowed", BP, DAY3, 70),
        ev("windowed", SYSBP, DAY3, 120),
    ]
    people = [person(p) for p in ("late_flag", "two_days", "lone", "windowed")]
    fields = PAIR_FIELDS.replace("DAY3", "PPSD + 214 days")
    assert date(2024, 4, 1).toordinal() + 214 == DAY3.toordinal()
    got = run_probes(tmp_path, _pair_probes(), people, events, fields)
    assert got["HAS_PAIR"] == {"late_flag", "two_days", "windowed"}
    assert got["PAIR_DAY1"] == {"late_flag"}
    assert got["PAIR_DAY2"] == {"two_days"}
    assert got["FIRST_DAY1"] == {"late_flag", "two_days", "windowed"}
    assert got["SYS_110"] == {"late_flag", "two_days"}  # lowest systolic of the chosen day
    assert got["SYS_HIGH_130"] == {"late_flag", "two_days"}
    assert got["BP_70"] == {"late_flag", "windowed"}  # two_days: BP 80 on its DAY2
    assert got["IN_YEAR_DAY1"] == {"late_flag", "windowed"}


def test_all_clusters_day_skips_days_with_one_cluster_only(tmp_path: Path) -> None:
    """rulesets/README.md: `all_clusters` is the latest (earliest) day on which every listed
    cluster has a record; a systolic without the other reading that day does not move it,
    however many such days lie between (mini ruleset, PPSD 2024-04-01)."""
    day4 = date(2025, 1, 1)
    events = [
        # "staggered": BP alone on DAY3, SYSBP alone on DAY2 and day4, both only on DAY1
        ev("staggered", BP, DAY1, 70),
        ev("staggered", SYSBP, DAY1, 120),
        ev("staggered", SYSBP, DAY2, 125),
        ev("staggered", BP, DAY3, 75),
        ev("staggered", SYSBP, day4, 130),
        # "late_pair": one cluster alone on DAY1 and DAY2, both on DAY3 (the earliest pair)
        ev("late_pair", SYSBP, DAY1, 120),
        ev("late_pair", BP, DAY2, 70),
        ev("late_pair", BP, DAY3, 72),
        ev("late_pair", SYSBP, DAY3, 118),
    ]
    assert date(2024, 4, 1).toordinal() + 214 == DAY3.toordinal()
    probes = {
        "PAIR_DAY1": "{date: PAIR, same_day: PPSD + 61 days}",
        "PAIR_DAY3": "{date: PAIR, same_day: PPSD + 214 days}",
        "FIRST_DAY1": "{date: PAIR_FIRST, same_day: PPSD + 61 days}",
        "FIRST_DAY3": "{date: PAIR_FIRST, same_day: PPSD + 214 days}",
        "SYS_120": "{value: PAIR_SYS, eq: 120}",
        "SYS_118": "{value: PAIR_SYS, eq: 118}",
    }
    people = [person("staggered"), person("late_pair")]
    got = run_probes(tmp_path, probes, people, events, PAIR_FIELDS.replace("DAY3", "PPED"))
    assert got["PAIR_DAY1"] == {"staggered"}
    assert got["PAIR_DAY3"] == {"late_pair"}
    assert got["FIRST_DAY1"] == {"staggered"}
    assert got["FIRST_DAY3"] == {"late_pair"}
    assert got["SYS_120"] == {"staggered"}  # the systolic of the paired day, not a later one
    assert got["SYS_118"] == {"late_pair"}


def test_with_value_ignores_records_without_a_usable_value(tmp_path: Path) -> None:
    fields = "HBA1C_VALUED: {latest: IFCCHBAM_COD, with_value: true}"
    events = [
        ev("p", HBA1C, DAY1, 50),
        ev("p", HBA1C, DAY2, None),  # later, no value: HBA1C (plain) is this one
    ]
    got = run_probes(
        tmp_path,
        {
            "VALUED_50": "{value: HBA1C_VALUED, eq: 50}",
            "PLAIN_ON_DAY2": "{date: HBA1C, same_day: PPSD + 153 days}",
            "PLAIN_HAS_VALUE": "{value: HBA1C, ge: 0}",
        },
        [person("p")],
        events,
        fields,
    )
    assert got == {"VALUED_50": {"p"}, "PLAIN_ON_DAY2": {"p"}, "PLAIN_HAS_VALUE": set()}


# ---- prefer: same-day records of different clusters ---------------------------------------

PREFER_FIELDS = """
FRAIL_SEVERE_FIRST:
  latest: [MILDFRAIL_COD, MODFRAIL_COD, SEVFRAIL_COD]
  prefer: [SEVFRAIL_COD, MODFRAIL_COD, MILDFRAIL_COD]
FRAIL_SINCE_DX:
  latest: [MILDFRAIL_COD, MODFRAIL_COD, SEVFRAIL_COD]
  prefer: [SEVFRAIL_COD, MODFRAIL_COD]
  on_or_after: DM_DAT
"""


def test_prefer_decides_same_day_ties_in_both_engine_paths(tmp_path: Path) -> None:
    events = [
        ev("mild_mod", DM, date(2015, 1, 1)),
        ev("mild_mod", MILD_FRAIL, DAY1),
        ev("mild_mod", MOD_FRAIL, DAY1),
        ev("all_three", DM, date(2015, 1, 1)),
        ev("all_three", MILD_FRAIL, DAY1),
        ev("all_three", SEV_FRAIL, DAY1),
        ev("all_three", MOD_FRAIL, DAY1),
        ev("mild_later", DM, date(2015, 1, 1)),
        ev("mild_later", SEV_FRAIL, DAY1),
        ev("mild_later", MILD_FRAIL, DAY2),
    ]
    people = [person(p) for p in ("mild_mod", "all_three", "mild_later")]
    probes = {
        "SUMMARY_MOD": "{cluster: FRAIL_SEVERE_FIRST, in: MODFRAIL_COD}",
        "SUMMARY_SEV": "{cluster: FRAIL_SEVERE_FIRST, in: SEVFRAIL_COD}",
        "SUMMARY_MILD": "{cluster: FRAIL_SEVERE_FIRST, in: MILDFRAIL_COD}",
        "RECORDS_MOD": "{cluster: FRAIL_SINCE_DX, in: MODFRAIL_COD}",
        "RECORDS_SEV": "{cluster: FRAIL_SINCE_DX, in: SEVFRAIL_COD}",
        "RECORDS_MILD": "{cluster: FRAIL_SINCE_DX, in: MILDFRAIL_COD}",
    }
    got = run_probes(tmp_path, probes, people, events, PREFER_FIELDS)
    for path in ("SUMMARY", "RECORDS"):
        assert got[f"{path}_MOD"] == {"mild_mod"}, path
        assert got[f"{path}_SEV"] == {"all_three"}, path
        assert got[f"{path}_MILD"] == {"mild_later"}, path


# ---- exact values ------------------------------------------------------------------------


def test_values_are_compared_exactly(tmp_path: Path) -> None:
    events = [
        ev("above", HBA1C, DAY1, 58.0004),
        ev("exact", HBA1C, DAY1, 58.0),
        ev("tiny_below", HBA1C, DAY1, 57.99999999),
        ev("huge", HBA1C, DAY1, 1_234_567.5),  # beyond the old +-999,999 clip
        ev("negative", HBA1C, DAY1, -0.0001),
        # same day: 58.0004 and 58.0001 -> lowest is 58.0001, highest 58.0004
        ev("pair", HBA1C, DAY1, 58.0004),
        ev("pair", HBA1C, DAY1, 58.0001),
    ]
    people = [person(p) for p in ("above", "exact", "tiny_below", "huge", "negative", "pair")]
    got = run_probes(
        tmp_path,
        {
            "LE_58": "{value: HBA1C, le: 58}",
            "HUGE": "{value: HBA1C, eq: 1234567.5}",
            "BELOW_0": "{value: HBA1C, lt: 0}",
            "LOW_58_0001": "{value: HBA1C, eq: 58.0001}",
            "HIGH_58_0004": "{value: HBA1C_HIGH, eq: 58.0004}",
        },
        people,
        events,
    )
    assert got["LE_58"] == {"exact", "tiny_below", "negative"}
    assert got["HUGE"] == {"huge"}
    assert got["BELOW_0"] == {"negative"}
    assert got["LOW_58_0001"] == {"pair"}
    assert got["HIGH_58_0004"] == {"above", "pair"}


# ---- value_ranges: implausible and non-finite values are missing --------------------------


def _ranged_mini(tmp_path: Path, fields: str = "") -> Path:
    from test_engine_spec import probe_ruleset

    probe_ruleset(tmp_path, {}, fields)
    folder = tmp_path / "probe-ruleset"
    (folder / "value_ranges.yaml").write_text("IFCCHBAM_COD: {min: 10, max: 250}\n")
    return folder


def test_out_of_range_and_non_finite_values_are_missing(tmp_path: Path) -> None:
    folder = _ranged_mini(tmp_path)
    for name, when in {
        "LE_58": "{value: HBA1C, le: 58}",
        "HAS": "{has: HBA1C}",
        "VALUED": "{value: HBA1C, ge: -1000000}",
    }.items():
        (folder / "registers" / f"{name}.yaml").write_text(
            f"id: {name}\nprevalence: false\nrules:\n"
            f"  - when: {when}\n    if_true: select\n    if_false: reject\n"
        )
    from test_engine_spec import holding, make_extract

    values = {"neg": -987.654, "ninf": float("-inf"), "nan": float("nan"), "low": 9.99}
    values |= {"edge_low": 10.0, "edge_high": 250.0, "high": 250.01}
    events = [ev(p, HBA1C, DAY1, v) for p, v in values.items()]
    extract = make_extract([person(p) for p in values], events)
    got = holding(load_ruleset(folder), extract, ("LE_58", "HAS", "VALUED"))
    assert got["HAS"] == set(values)  # the record still exists ...
    assert got["VALUED"] == {"edge_low", "edge_high"}  # ... with no value when implausible
    assert got["LE_58"] == {"edge_low"}


def test_value_ranges_are_inherited_and_checked(tmp_path: Path) -> None:
    folder = _ranged_mini(tmp_path)
    assert load_ruleset(folder).value_ranges["IFCCHBAM_COD"].high == 250
    (folder / "value_ranges.yaml").write_text("NO_SUCH_COD: {min: 1, max: 2}\n")
    with pytest.raises(RulesetError, match="unknown cluster 'NO_SUCH_COD'"):
        load_ruleset(folder)
    (folder / "value_ranges.yaml").write_text("IFCCHBAM_COD: {min: 5, max: 5}\n")
    with pytest.raises(RulesetError, match="min < max"):
        load_ruleset(folder)
    (folder / "value_ranges.yaml").write_text("IFCCHBAM_COD: {low: 5, max: 9}\n")
    with pytest.raises(RulesetError, match="expected"):
        load_ruleset(folder)


def test_shipped_child_inherits_value_ranges() -> None:
    child = load_ruleset("qof-2025-26")
    assert child.value_ranges["IFCCHBAM_COD"].holds(58.0)
    assert not child.value_ranges["IFCCHBAM_COD"].holds(-987.654)
    assert {"SYSBP_COD", "DIABP_COD"} <= set(child.value_ranges)


@pytest.mark.parametrize(
    ("field", "message"),
    [
        ("X: {latest: BP_COD, all_clusters: true}", "2\\+ clusters"),
        ("X: {count: [BP_COD, SYSBP_COD], all_clusters: true}", "2\\+ clusters"),
        ("X: {latest: [BP_COD, SYSBP_COD], all_clusters: true, after: DM_DAT}", "named dates"),
        ("X: {latest: [BP_COD, SYSBP_COD], prefer: [DM_COD]}", "prefer may only list"),
        ("X: {latest: BP_COD, with_value: yes please}", "true or false"),
    ],
)
def test_field_key_mistakes_are_refused(tmp_path: Path, field: str, message: str) -> None:
    from test_engine_spec import probe_ruleset

    with pytest.raises(RulesetError, match=message):
        probe_ruleset(tmp_path, {}, field)


def test_reading_the_value_of_a_day_field_is_refused(tmp_path: Path) -> None:
    from test_engine_spec import probe_ruleset

    with pytest.raises(RulesetError, match="has a date only"):
        probe_ruleset(tmp_path, {"P": "{value: PAIR, le: 1}"}, PAIR_FIELDS.split("PAIR_FIRST")[0])


# ---- qof validate and qof score on NaN / infinite / implausible values --------------------

SECRET_VALUE = "-987.654"
PATIENTS = """\
patient_id,practice_code,date_of_birth,sex,registration_date,deregistration_date,death_date
ZZSECRET1,A81001,1950-03-02,F,2000-01-01,,
"""
EVENTS = f"""\
patient_id,date,code,value
ZZSECRET1,2015-01-01,111552007,
ZZSECRET1,2025-06-01,1049321000000109,{SECRET_VALUE}
ZZSECRET1,2025-06-02,1049321000000109,NaN
ZZSECRET1,2025-06-03,1049321000000109,inf
ZZSECRET1,2025-06-04,1049321000000109,58
ZZSECRET1,2025-06-05,72313002,500
ZZSECRET1,2025-06-05,72313002,140
"""


def _csv_extract(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "patients.csv").write_text(PATIENTS)
    (folder / "events.csv").write_text(EVENTS)
    return folder


def test_validate_reports_non_finite_and_implausible_values(tmp_path: Path) -> None:
    rules = load_ruleset("qof-2025-26")
    report = validate_extract(
        _csv_extract(tmp_path / "x"),
        today=date(2026, 6, 1),
        value_ranges=rules.code_value_ranges(),
    )
    lines = {p.message.split(" (")[0]: p for p in report.problems}
    non_finite = lines["value that is NaN or infinite"]
    assert (non_finite.severity, non_finite.count, non_finite.rows) == ("warning", 2, (3, 4))
    implausible = next(p for m, p in lines.items() if m.startswith("value outside"))
    assert (implausible.severity, implausible.count, implausible.rows) == ("warning", 2, (2, 6))
    assert report.exit_code == 1
    for problem in report.problems:
        assert SECRET_VALUE not in problem.line() and "ZZSECRET1" not in problem.line()
        assert "500" not in problem.line()


def test_validate_without_ranges_still_flags_nan(tmp_path: Path) -> None:
    report = validate_extract(_csv_extract(tmp_path / "x"), today=date(2026, 6, 1))
    messages = [p.message for p in report.problems]
    assert "value that is NaN or infinite" in messages
    assert not any(m.startswith("value outside") for m in messages)


def test_score_and_patients_run_on_nan_and_infinite_values(tmp_path: Path) -> None:
    extract = _csv_extract(tmp_path / "x")
    runner = CliRunner()
    score = runner.invoke(app, ["score", str(extract), "-r", "qof-2025-26", "-f", "json"])
    assert score.exit_code == 0, score.output
    patients = runner.invoke(app, ["patients", str(extract), "-r", "qof-2025-26", "-i", "DM020"])
    assert patients.exit_code == 0, patients.output
    diff = runner.invoke(app, ["diff", "qof-2025-26", "qof-2026-27", "--extract", str(extract)])
    assert diff.exit_code == 0, diff.output
    # the latest HbA1c is 58 (2025-06-04); the earlier NaN, inf and -987.654 are not values
    row = pl.read_csv(patients.stdout.encode()).row(0, named=True)
    assert row["status"] == "achieved"
