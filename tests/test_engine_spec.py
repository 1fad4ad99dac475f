"""Spec tests of the rule vocabulary on tiny data (ruleset tests/fixtures/rulesets/mini).

The mini ruleset's year runs 2024-04-01 (PPSD) to 2025-03-31 (PPED); its clusters hold real
SNOMED CT codes copied from rulesets/qof-2025-26/clusters.

Most primitives are observed through *probe registers*: a copy of the mini ruleset gets extra
fields and one register per probe condition (`select` if it holds, else `reject`), so a test
reads which patients each condition holds for. Chains are observed through patient_outcomes.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterable, Mapping
from datetime import date, timedelta
from pathlib import Path

import polars as pl
import pytest

from qofcli.api import patient_outcomes
from qofcli.engine.dates import shift, shift_expr
from qofcli.engine.evaluate import evaluate
from qofcli.extract import Extract, extract_from_frames
from qofcli.ruleset import model as m
from qofcli.ruleset.loader import load_ruleset

MINI = Path(__file__).parent / "fixtures" / "rulesets" / "mini"
PPSD = date(2024, 4, 1)
PPED = date(2025, 3, 31)

# Real SNOMED CT codes, one per mini cluster.
DM = "111552007"  # DM_COD: Diabetes mellitus without complication
DMRES = "315051004"  # DMRES_COD: Diabetes resolved
HBA1C = "1049321000000109"  # IFCCHBAM_COD: HbA1c level (monitoring ranges), IFCC
MILD_FRAIL = "925791000000100"  # MILDFRAIL_COD
MOD_FRAIL = "925831000000107"  # MODFRAIL_COD
SEV_FRAIL = "925861000000102"  # SEVFRAIL_COD
INVITE = "1066911000000100"  # DMINVITE_COD: first invitation (SMS)
DMPCADEC = "716031000000106"  # DMPCADEC_COD: excepted from diabetes indicators, dissent
DMMAX = "407569005"  # DMMAX_COD: on maximal tolerated therapy for diabetes
BP = "75367002"  # BP_COD: Blood pressure
SYSBP = "100151000000109"  # SYSBP_COD: Sitting systolic blood pressure

PATIENT_SCHEMA = {
    "patient_id": pl.String,
    "practice_code": pl.String,
    "date_of_birth": pl.Date,
    "sex": pl.String,
    "registration_date": pl.Date,
    "deregistration_date": pl.Date,
    "death_date": pl.Date,
}
EVENT_SCHEMA = {"patient_id": pl.String, "date": pl.Date, "code": pl.String, "value": pl.Float64}

Row = dict[str, object]


# ---- helpers ----------------------------------------------------------------------------


def person(
    pid: str,
    *,
    dob: date = date(1960, 6, 15),
    sex: str = "F",
    reg: date = date(2000, 1, 1),
    dereg: date | None = None,
    death: date | None = None,
) -> Row:
    return {
        "patient_id": pid,
        "practice_code": "A00001",
        "date_of_birth": dob,
        "sex": sex,
        "registration_date": reg,
        "deregistration_date": dereg,
        "death_date": death,
    }


def ev(pid: str, code: str, day: date, value: float | None = None) -> Row:
    return {"patient_id": pid, "date": day, "code": code, "value": value}


def diabetic(pid: str, *events: tuple[str, date, float | None]) -> list[Row]:
    """Events of a patient with diabetes diagnosed in 2015 plus the given (code, date, value)."""
    return [ev(pid, DM, date(2015, 1, 1)), *(ev(pid, c, d, v) for c, d, v in events)]


def make_extract(people: Iterable[Row], events: Iterable[Row]) -> Extract:
    return extract_from_frames(
        pl.DataFrame(list(people), schema=PATIENT_SCHEMA, orient="row"),
        pl.DataFrame(list(events), schema=EVENT_SCHEMA, orient="row"),
    )


def probe_ruleset(folder: Path, probes: Mapping[str, str], fields: str = "") -> m.Ruleset:
    """The mini ruleset plus extra `fields` (YAML) and one register per probe condition."""
    target = folder / "probe-ruleset"
    shutil.copytree(MINI, target)
    if fields:
        with (target / "fields.yaml").open("a", encoding="utf-8") as handle:
            handle.write("\n" + fields + "\n")
    for name, when in probes.items():
        (target / "registers" / f"{name}.yaml").write_text(
            f"id: {name}\nprevalence: false\nrules:\n"
            f"  - when: {when}\n    if_true: select\n    if_false: reject\n",
            encoding="utf-8",
        )
    return load_ruleset(target)


def holding(
    ruleset: m.Ruleset, extract: Extract, probes: Iterable[str], as_of: date | None = None
) -> dict[str, set[str]]:
    """For each probe register: the patients it selected."""
    patients = evaluate(extract, ruleset, as_of).patients
    return {
        name: set(patients.filter(pl.col(f"reg:{name}"))["patient_id"].to_list()) for name in probes
    }


def run_probes(
    tmp_path: Path,
    probes: Mapping[str, str],
    people: Iterable[Row],
    events: Iterable[Row],
    fields: str = "",
    as_of: date | None = None,
) -> dict[str, set[str]]:
    ruleset = probe_ruleset(tmp_path, probes, fields)
    return holding(ruleset, make_extract(people, events), probes, as_of)


# ---- latest / earliest, same-day ties -----------------------------------------------------


def test_latest_and_earliest(tmp_path: Path) -> None:
    events = [
        ev("p", HBA1C, date(2024, 7, 1), 50),
        ev("p", HBA1C, date(2024, 9, 1), 60),  # latest
        ev("p", HBA1C, date(2024, 5, 1), 40),  # earliest
    ]
    got = run_probes(
        tmp_path,
        {
            "LATEST_60": "{value: HBA1C, eq: 60}",
            "EARLIEST_40": "{value: HBA1C_FIRST, eq: 40}",
            "LATEST_AFTER_FIRST": "{date: HBA1C, after: HBA1C_FIRST}",
        },
        [person("p")],
        events,
    )
    assert got == {"LATEST_60": {"p"}, "EARLIEST_40": {"p"}, "LATEST_AFTER_FIRST": {"p"}}


def test_same_day_tie_lowest_by_default_highest_on_request(tmp_path: Path) -> None:
    day = date(2024, 9, 1)
    events = [
        ev("p", HBA1C, date(2024, 5, 1), 30),  # an earlier, lower reading plays no part
        ev("p", HBA1C, day, 62),
        ev("p", HBA1C, day, 48),
    ]
    got = run_probes(
        tmp_path,
        {
            "LOWEST_48": "{value: HBA1C, eq: 48}",  # HBA1C: default `value: lowest`
            "HIGHEST_62": "{value: HBA1C_HIGH, eq: 62}",  # HBA1C_HIGH: `value: highest`
            "ANY_30": "{any: [{value: HBA1C, eq: 30}, {value: HBA1C_HIGH, eq: 30}]}",
        },
        [person("p")],
        events,
    )
    assert got == {"LOWEST_48": {"p"}, "HIGHEST_62": {"p"}, "ANY_30": set()}


# ---- windows: each operator, both sides of the boundary -----------------------------------

OPS = ("after", "on_or_after", "before", "on_or_before", "same_day")
# One patient per position relative to PPSD, with a single HbA1c on that day.
POSITIONS = {
    "day_before": PPSD - timedelta(days=1),
    "on_day": PPSD,
    "day_after": PPSD + timedelta(1),
}
EXPECTED_BY_OP = {
    "after": {"day_after"},
    "on_or_after": {"on_day", "day_after"},
    "before": {"day_before"},
    "on_or_before": {"day_before", "on_day"},
    "same_day": {"on_day"},
}


@pytest.fixture(scope="module")
def windows(tmp_path_factory: pytest.TempPathFactory) -> dict[str, set[str]]:
    fields = "\n".join(f"W_{op.upper()}: {{latest: IFCCHBAM_COD, {op}: PPSD}}" for op in OPS)
    probes = {f"FIELD_{op.upper()}": f"{{has: W_{op.upper()}}}" for op in OPS}
    probes |= {f"COND_{op.upper()}": f"{{date: HBA1C, {op}: PPSD}}" for op in OPS}
    people = [person(pid) for pid in POSITIONS]
    events = [ev(pid, HBA1C, day, 50) for pid, day in POSITIONS.items()]
    return run_probes(tmp_path_factory.mktemp("windows"), probes, people, events, fields)


@pytest.mark.parametrize("op", OPS)
def test_field_window_operator(windows: dict[str, set[str]], op: str) -> None:
    assert windows[f"FIELD_{op.upper()}"] == EXPECTED_BY_OP[op]


@pytest.mark.parametrize("op", OPS)
def test_condition_date_operator(windows: dict[str, set[str]], op: str) -> None:
    assert windows[f"COND_{op.upper()}"] == EXPECTED_BY_OP[op]


def test_window_filters_records_before_choosing_one(tmp_path: Path) -> None:
    # The latest record overall is after PPSD, but a `before: PPSD` field still finds the
    # latest record inside its window (it does not take the latest and then discard it).
    fields = (
        "W_BEFORE: {latest: IFCCHBAM_COD, before: PPSD}\n"
        "W_AFTER: {earliest: IFCCHBAM_COD, after: PPSD}"
    )
    events = [
        ev("p", HBA1C, date(2024, 1, 1), 40),
        ev("p", HBA1C, date(2024, 3, 1), 45),
        ev("p", HBA1C, date(2024, 6, 1), 60),
        ev("p", HBA1C, date(2024, 9, 1), 70),
    ]
    got = run_probes(
        tmp_path,
        {"BEFORE_45": "{value: W_BEFORE, eq: 45}", "AFTER_60": "{value: W_AFTER, eq: 60}"},
        [person("p")],
        events,
        fields,
    )
    assert got == {"BEFORE_45": {"p"}, "AFTER_60": {"p"}}


def test_twelve_month_window_boundary(tmp_path: Path) -> None:
    # HBA1C_IN_YEAR is `after: PPED - 12 months`, i.e. after 2024-03-31.
    people = [person("out"), person("in")]
    events = [ev("out", HBA1C, date(2024, 3, 31), 50), ev("in", HBA1C, date(2024, 4, 1), 50)]
    got = run_probes(tmp_path, {"IN_YEAR": "{is: HBA1C_IN_YEAR}"}, people, events)
    assert got["IN_YEAR"] == {"in"}


# ---- windows relative to another field ------------------------------------------------------


def test_same_day_as_another_field(tmp_path: Path) -> None:
    # BPSYS: lowest systolic on the day of the latest BP record.
    events = [
        ev("same", BP, date(2024, 6, 1)),
        ev("same", SYSBP, date(2024, 6, 1), 110),
        ev("same", BP, date(2024, 10, 1)),
        ev("same", SYSBP, date(2024, 10, 1), 150),
        ev("same", SYSBP, date(2024, 10, 1), 130),
        ev("other_day", BP, date(2024, 10, 1)),
        ev("other_day", SYSBP, date(2024, 9, 30), 120),
        ev("no_bp", SYSBP, date(2024, 10, 1), 120),
    ]
    people = [person("same"), person("other_day"), person("no_bp")]
    got = run_probes(
        tmp_path,
        {"HAS_SYS": "{has: BPSYS}", "SYS_130": "{value: BPSYS, eq: 130}"},
        people,
        events,
    )
    assert got == {"HAS_SYS": {"same"}, "SYS_130": {"same"}}


def test_on_or_after_another_field_with_and_without_offset(tmp_path: Path) -> None:
    fields = (
        "HBA1C_DX: {earliest: IFCCHBAM_COD, on_or_after: DM_DAT}\n"
        "HBA1C_DX7: {earliest: IFCCHBAM_COD, on_or_after: DM_DAT + 7 days}"
    )
    events = [
        ev("p", DM, date(2024, 6, 10)),  # DM_DAT, the earliest diagnosis
        ev("p", DM, date(2024, 8, 1)),
        ev("p", HBA1C, date(2024, 6, 9), 40),
        ev("p", HBA1C, date(2024, 6, 10), 50),
        ev("p", HBA1C, date(2024, 6, 16), 55),
        ev("p", HBA1C, date(2024, 6, 17), 60),
        ev("undiagnosed", HBA1C, date(2024, 6, 10), 50),
    ]
    got = run_probes(
        tmp_path,
        {
            "DX_50": "{value: HBA1C_DX, eq: 50}",
            "DX7_60": "{value: HBA1C_DX7, eq: 60}",
            "HAS_DX": "{has: HBA1C_DX}",
        },
        [person("p"), person("undiagnosed")],
        events,
        fields,
    )
    assert got == {"DX_50": {"p"}, "DX7_60": {"p"}, "HAS_DX": {"p"}}


def test_condition_relative_to_reg_dat(tmp_path: Path) -> None:
    people = [person("before", reg=date(2024, 6, 1)), person("on", reg=date(2024, 6, 1))]
    events = [ev("before", HBA1C, date(2024, 5, 31), 50), ev("on", HBA1C, date(2024, 6, 1), 50)]
    got = run_probes(tmp_path, {"SINCE_REG": "{date: HBA1C, on_or_after: REG_DAT}"}, people, events)
    assert got["SINCE_REG"] == {"on"}


def test_field_window_relative_to_reg_dat(tmp_path: Path) -> None:
    # BUG (engine/facts.field_frame): the checks accept REG_DAT as a window reference (it is a
    # built-in date field) but the event rows never carry REG_DAT: evaluate raises KeyError.
    fields = "HBA1C_SINCE_REG: {earliest: IFCCHBAM_COD, on_or_after: REG_DAT}"
    people = [person("p", reg=date(2024, 6, 1))]
    events = [ev("p", HBA1C, date(2024, 5, 31), 40), ev("p", HBA1C, date(2024, 6, 1), 50)]
    got = run_probes(
        tmp_path, {"SINCE_REG_50": "{value: HBA1C_SINCE_REG, eq: 50}"}, people, events, fields
    )
    assert got["SINCE_REG_50"] == {"p"}


# ---- the achievement date -----------------------------------------------------------------


def test_events_after_the_achievement_date_are_ignored(tmp_path: Path) -> None:
    achv = date(2025, 1, 31)
    people = [person("p"), person("late_dx")]
    events = [
        ev("p", DM, date(2015, 1, 1)),
        ev("p", HBA1C, achv, 50),  # on ACHV: counts
        ev("p", HBA1C, achv + timedelta(days=1), 70),  # after ACHV: ignored
        ev("late_dx", DM, achv + timedelta(days=1)),
    ]
    probes = {"HBA1C_50": "{value: HBA1C, eq: 50}", "ON_DM_REG": "{register: DM_REG}"}
    ruleset = probe_ruleset(tmp_path, probes)
    extract = make_extract(people, events)
    assert holding(ruleset, extract, probes, as_of=achv) == {
        "HBA1C_50": {"p"},
        "ON_DM_REG": {"p"},
    }
    # At the year end the later records count.
    assert holding(ruleset, extract, probes) == {"HBA1C_50": set(), "ON_DM_REG": {"p", "late_dx"}}


@pytest.mark.parametrize(
    ("dob", "achv", "age"),
    [
        (date(2008, 3, 31), date(2025, 3, 31), 17),  # birthday on the achievement date
        (date(2008, 4, 1), date(2025, 3, 31), 16),  # birthday the day after
        (date(2008, 3, 30), date(2025, 3, 31), 17),
        (date(2008, 2, 29), date(2025, 2, 28), 16),  # 29 Feb birthday: not yet on 28 Feb...
        (date(2008, 2, 29), date(2025, 3, 1), 17),  # ...counted from 1 March
        (date(1944, 12, 31), date(2025, 1, 1), 80),
    ],
)
def test_age_on_the_achievement_date(tmp_path: Path, dob: date, achv: date, age: int) -> None:
    probes = {"EQ": f"{{age: {{eq: {age}}}}}", "GE_NEXT": f"{{age: {{ge: {age + 1}}}}}"}
    got = run_probes(tmp_path, probes, [person("p", dob=dob)], [], as_of=achv)
    assert got == {"EQ": {"p"}, "GE_NEXT": set()}


def test_population_on_the_achievement_date() -> None:
    after = PPED + timedelta(days=1)
    before = PPED - timedelta(days=1)
    people = [
        person("registered"),
        person("registered_on_achv", reg=PPED),
        person("registered_after_achv", reg=after),
        person("dereg_before", dereg=before),
        person("dereg_on", dereg=PPED),
        person("dereg_after", dereg=after),
        person("died_before", death=before),
        person("died_on", death=PPED),
        person("died_after", death=after),
    ]
    population = evaluate(make_extract(people, []), load_ruleset(MINI)).patients
    assert set(population["patient_id"]) == {
        "registered",
        "registered_on_achv",
        "dereg_after",
        "died_after",
    }


def test_population_moves_with_as_of() -> None:
    achv = date(2024, 12, 31)
    people = [
        person("reg_in_january", reg=date(2025, 1, 15)),
        person("dereg_in_january", dereg=date(2025, 1, 15)),
    ]
    population = evaluate(make_extract(people, []), load_ruleset(MINI), achv).patients
    assert set(population["patient_id"]) == {"dereg_in_january"}


# ---- registers ------------------------------------------------------------------------------


def test_register_built_on_another_register() -> None:
    old, young = date(1940, 1, 1), date(1960, 1, 1)
    people = [
        person("old_dm", dob=old),
        person("old_no_dm", dob=old),
        person("young_dm", dob=young),
        person("old_resolved", dob=old),
        person("child_dm", dob=date(2010, 1, 1)),
    ]
    events = [
        *diabetic("old_dm"),
        *diabetic("young_dm"),
        *diabetic("child_dm"),
        *diabetic("old_resolved", (DMRES, date(2020, 1, 1), None)),
    ]
    patients = evaluate(make_extract(people, events), load_ruleset(MINI)).patients
    on = {
        reg: set(patients.filter(pl.col(f"reg:{reg}"))["patient_id"])
        for reg in ("DM_REG", "DM_ELDER_REG")
    }
    assert on == {"DM_REG": {"old_dm", "young_dm"}, "DM_ELDER_REG": {"old_dm"}}


def test_resolved_on_the_same_day_as_diagnosis_stays_on_register() -> None:
    # DM_REG rule 1: `not: {date: DMRES, after: DMLAT}`: a same-day resolved code is not after.
    people = [person("same_day"), person("resolved_later"), person("rediagnosed")]
    events = [
        *diabetic("same_day", (DMRES, date(2015, 1, 1), None)),
        *diabetic("resolved_later", (DMRES, date(2015, 1, 2), None)),
        *diabetic("rediagnosed", (DMRES, date(2016, 1, 1), None), (DM, date(2017, 1, 1), None)),
    ]
    patients = evaluate(make_extract(people, events), load_ruleset(MINI)).patients
    assert set(patients.filter(pl.col("reg:DM_REG"))["patient_id"]) == {"same_day", "rediagnosed"}


# ---- the closed condition vocabulary and null semantics ---------------------------------------

IN_YEAR = date(2024, 9, 1)
VOCABULARY_PEOPLE = [
    person("f_mod", sex="F"),
    person("m_mild", sex="M"),
    person("u_none", sex="U"),
]
VOCABULARY_EVENTS = [
    *diabetic("f_mod", (MOD_FRAIL, IN_YEAR, None), (HBA1C, IN_YEAR, 50)),
    *diabetic("m_mild", (MILD_FRAIL, IN_YEAR, None), (HBA1C, IN_YEAR, 70)),
    # u_none: no diagnosis, no records at all
]
VOCABULARY = {
    "HAS": ("{has: FRAIL}", {"f_mod", "m_mild"}),
    "HAS_MISSING_CLUSTER": ("{has: FEDEC}", set()),  # FEDEC_COD is `missing`: matches nothing
    "CLUSTER_IN": ("{cluster: FRAIL, in: [MODFRAIL_COD, SEVFRAIL_COD]}", {"f_mod"}),
    "CLUSTER_IN_ONE": ("{cluster: FRAIL, in: MILDFRAIL_COD}", {"m_mild"}),
    "IS": ("{is: MOD_SEV_FRAIL}", {"f_mod"}),
    "SEX": ("{sex: F}", {"f_mod"}),
    "SEX_LIST": ("{sex: [M, U]}", {"m_mild", "u_none"}),
    "AGE_GE": ("{age: {ge: 64}}", {"f_mod", "m_mild", "u_none"}),
    "AGE_LT": ("{age: {lt: 64}}", set()),
    "REGISTER": ("{register: DM_REG}", {"f_mod", "m_mild"}),
    "VALUE_LT": ("{value: HBA1C, lt: 70}", {"f_mod"}),
    "VALUE_LE": ("{value: HBA1C, le: 70}", {"f_mod", "m_mild"}),
    "VALUE_GT": ("{value: HBA1C, gt: 50}", {"m_mild"}),
    "VALUE_GE": ("{value: HBA1C, ge: 50}", {"f_mod", "m_mild"}),
    "VALUE_EQ": ("{value: HBA1C, eq: 70}", {"m_mild"}),
    "ALL": ("{all: [{sex: M}, {has: FRAIL}]}", {"m_mild"}),
    "ANY": ("{any: [{sex: U}, {value: HBA1C, lt: 58}]}", {"f_mod", "u_none"}),
    "NOT": ("{not: {has: FRAIL}}", {"u_none"}),
    # Null semantics: a missing record makes every comparison false, so `not` makes it true.
    "NULL_VALUE_GT": ("{value: HBA1C, gt: 0}", {"f_mod", "m_mild"}),
    "NULL_VALUE_NOT_GT": ("{not: {value: HBA1C, gt: 58}}", {"f_mod", "u_none"}),
    "NULL_DATE_BEFORE": ("{date: HBA1C, before: PPED}", {"f_mod", "m_mild"}),
    "NULL_DATE_NOT_AFTER": ("{not: {date: HBA1C, after: PPSD}}", {"u_none"}),
    "NULL_CLUSTER_NOT_IN": ("{not: {cluster: FRAIL, in: MODFRAIL_COD}}", {"m_mild", "u_none"}),
    "NULL_FIELD_VS_FIELD": ("{date: HBA1C, on_or_after: FRAIL}", {"f_mod", "m_mild"}),
}


@pytest.fixture(scope="module")
def vocabulary(tmp_path_factory: pytest.TempPathFactory) -> dict[str, set[str]]:
    probes = {name: when for name, (when, _) in VOCABULARY.items()}
    folder = tmp_path_factory.mktemp("vocabulary")
    return run_probes(folder, probes, VOCABULARY_PEOPLE, VOCABULARY_EVENTS)


@pytest.mark.parametrize("name", VOCABULARY)
def test_vocabulary(vocabulary: dict[str, set[str]], name: str) -> None:
    condition, expected = VOCABULARY[name]
    assert vocabulary[name] == expected, condition


# ---- month-end clamping -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "amount", "unit", "expected"),
    [
        (date(2024, 3, 31), -1, "months", date(2024, 2, 29)),
        (date(2025, 3, 31), -1, "months", date(2025, 2, 28)),
        (date(2024, 8, 31), -6, "months", date(2024, 2, 29)),
        (date(2024, 1, 31), 1, "months", date(2024, 2, 29)),
        (date(2025, 3, 31), -12, "months", date(2024, 3, 31)),
        (date(2024, 2, 29), 12, "months", date(2025, 2, 28)),
        (date(2024, 2, 29), -1, "years", date(2023, 2, 28)),
        (date(2024, 3, 31), -7, "days", date(2024, 3, 24)),
        (date(2024, 12, 31), 2, "months", date(2025, 2, 28)),
    ],
)
def test_shift_clamps_to_month_end(day: date, amount: int, unit: str, expected: date) -> None:
    assert shift(day, m.Offset(amount, unit)) == expected  # type: ignore[arg-type]


def test_named_date_offset_clamps_in_a_rule(tmp_path: Path) -> None:
    # LEAP_REF = 2024-03-31, so LEAP_REF - 1 months = 2024-02-29 (not 2024-03-02).
    people = [person("feb28"), person("feb29")]
    events = [ev("feb28", HBA1C, date(2024, 2, 28), 50), ev("feb29", HBA1C, date(2024, 2, 29), 50)]
    got = run_probes(
        tmp_path, {"SINCE": "{date: HBA1C, on_or_after: LEAP_REF - 1 months}"}, people, events
    )
    assert got["SINCE"] == {"feb29"}


def test_field_offset_clamps_in_a_rule(tmp_path: Path) -> None:
    # The same offset applied to a field's date (a column, so `shift_expr`).
    people = [person("feb28"), person("feb29")]
    events = [
        ev("feb28", DM, date(2024, 3, 31)),
        ev("feb28", HBA1C, date(2024, 2, 28), 50),
        ev("feb29", DM, date(2024, 3, 31)),
        ev("feb29", HBA1C, date(2024, 2, 29), 50),
    ]
    got = run_probes(
        tmp_path, {"SINCE": "{date: HBA1C, on_or_after: DMLAT - 1 months}"}, people, events
    )
    assert got["SINCE"] == {"feb29"}


def test_shift_and_shift_expr_agree() -> None:
    start = date(2023, 11, 1)
    days = [start + timedelta(days=n) for n in range(520)]  # covers 29 Feb 2024 and month ends
    offsets = [
        m.Offset(amount, unit)  # type: ignore[arg-type]
        for amount, unit in [
            (-1, "months"),
            (1, "months"),
            (-3, "months"),
            (-6, "months"),
            (-9, "months"),
            (-12, "months"),
            (-13, "months"),
            (-21, "months"),
            (9, "months"),
            (-1, "years"),
            (1, "years"),
            (-7, "days"),
            (7, "days"),
            (279, "days"),
        ]
    ]
    frame = pl.DataFrame({"day": days}, schema={"day": pl.Date})
    for offset in offsets:
        got = frame.select(shift_expr(pl.col("day"), offset)).to_series().to_list()
        expected = [shift(day, offset) for day in days]
        mismatches = [(d, g, e) for d, g, e in zip(days, got, expected, strict=True) if g != e]
        assert not mismatches, f"{offset}: (day, shift_expr, shift) {mismatches[:3]}"


# ---- rule chains ------------------------------------------------------------------------------

CHAIN_PEOPLE = [
    person("frail_controlled"),
    person("mild_frail_controlled"),
    person("frail_earlier_mild_latest"),
    person("controlled"),
    person("controlled_with_pca"),
    person("uncontrolled_with_pca"),
    person("uncontrolled_pca_before_year"),
    person("uncontrolled"),
    person("controlled_last_year"),
    person("invited_7_days_apart"),
    person("invited_6_days_apart"),
    person("invited_before_ppsd"),
    person("no_diabetes"),
]
CHAIN_EVENTS = [
    *diabetic("frail_controlled", (MOD_FRAIL, IN_YEAR, None), (HBA1C, IN_YEAR, 50)),
    *diabetic("mild_frail_controlled", (MILD_FRAIL, IN_YEAR, None), (HBA1C, IN_YEAR, 50)),
    *diabetic(
        "frail_earlier_mild_latest",
        (SEV_FRAIL, date(2023, 1, 1), None),
        (MILD_FRAIL, IN_YEAR, None),
        (HBA1C, IN_YEAR, 70),
    ),
    *diabetic("controlled", (HBA1C, IN_YEAR, 58)),
    *diabetic("controlled_with_pca", (HBA1C, IN_YEAR, 50), (DMPCADEC, IN_YEAR, None)),
    *diabetic("uncontrolled_with_pca", (HBA1C, IN_YEAR, 70), (DMPCADEC, IN_YEAR, None)),
    *diabetic(
        "uncontrolled_pca_before_year", (HBA1C, IN_YEAR, 70), (DMPCADEC, date(2024, 3, 31), None)
    ),
    *diabetic("uncontrolled", (HBA1C, IN_YEAR, 59)),
    *diabetic("controlled_last_year", (HBA1C, date(2024, 3, 31), 50)),
    *diabetic(
        "invited_7_days_apart",
        (INVITE, date(2024, 10, 1), None),
        (INVITE, date(2024, 10, 4), None),
        (INVITE, date(2024, 10, 8), None),
    ),
    *diabetic(
        "invited_6_days_apart", (INVITE, date(2024, 10, 1), None), (INVITE, date(2024, 10, 7), None)
    ),
    *diabetic(
        "invited_before_ppsd", (INVITE, date(2024, 3, 1), None), (INVITE, date(2024, 3, 20), None)
    ),
]

# patient -> (status, reason, reason_type, rule) for MINI001
MINI001_EXPECTED: dict[str, tuple[str, str | None, str | None, str]] = {
    # rule 1 rejects before rule 2 could select: the first terminal action wins
    "frail_controlled": ("excluded", "MDSEVFRAIL", "exclusion", "denominator 1"),
    "mild_frail_controlled": ("achieved", None, None, "numerator 1"),
    # the cluster of the *latest* frailty record decides
    "frail_earlier_mild_latest": ("not_achieved", None, None, "numerator 1"),
    "controlled": ("achieved", None, None, "numerator 1"),
    # rule 2 selects before the PCA rule 3 is reached: an achiever with a PCA stays achieved
    "controlled_with_pca": ("achieved", None, None, "numerator 1"),
    "uncontrolled_with_pca": ("pca", "DMPCADEC", "pca", "denominator 3"),
    # the PCA code is dated PPED - 12 months exactly: not `after` it
    "uncontrolled_pca_before_year": ("not_achieved", None, None, "numerator 1"),
    "uncontrolled": ("not_achieved", None, None, "numerator 1"),
    "controlled_last_year": ("not_achieved", None, None, "numerator 1"),
    # two invitations 7+ days apart: first and last invitation fields
    "invited_7_days_apart": ("pca", "DMINVITE", "pca", "denominator 4"),
    "invited_6_days_apart": ("not_achieved", None, None, "numerator 1"),
    "invited_before_ppsd": ("not_achieved", None, None, "numerator 1"),
}


@pytest.fixture(scope="module")
def chain_outcomes() -> pl.DataFrame:
    return patient_outcomes(make_extract(CHAIN_PEOPLE, CHAIN_EVENTS), load_ruleset(MINI))


@pytest.mark.parametrize("pid", MINI001_EXPECTED)
def test_mini001_chain(chain_outcomes: pl.DataFrame, pid: str) -> None:
    rows = chain_outcomes.filter(
        (pl.col("patient_id") == pid) & (pl.col("indicator") == "MINI001")
    ).select("status", "reason", "reason_type", "rule")
    assert rows.rows() == [MINI001_EXPECTED[pid]]


def test_patient_off_the_register_has_no_rows(chain_outcomes: pl.DataFrame) -> None:
    assert chain_outcomes.filter(pl.col("patient_id") == "no_diabetes").is_empty()


def test_numerator_applies_only_to_the_denominator(chain_outcomes: pl.DataFrame) -> None:
    # Every achieved/not_achieved row was decided by the numerator; every rejected one by the
    # denominator, which the numerator never overrides (frail_controlled would meet it).
    mini001 = chain_outcomes.filter(pl.col("indicator") == "MINI001")
    in_denominator = mini001.filter(pl.col("status").is_in(["achieved", "not_achieved"]))
    rejected = mini001.filter(pl.col("status").is_in(["pca", "excluded"]))
    assert in_denominator["rule"].str.starts_with("numerator").all()
    assert rejected["rule"].str.starts_with("denominator").all()
    assert rejected["reason"].null_count() == 0
    assert len(in_denominator) + len(rejected) == len(MINI001_EXPECTED)


def test_outcome_description_is_the_deciding_rule(chain_outcomes: pl.DataFrame) -> None:
    row = chain_outcomes.filter(
        (pl.col("patient_id") == "uncontrolled_with_pca") & (pl.col("indicator") == "MINI001")
    )
    assert row["description"].to_list() == [
        "Reject patients who chose not to receive care in the last 12 months"
    ]
    missed = chain_outcomes.filter(
        (pl.col("patient_id") == "uncontrolled") & (pl.col("indicator") == "MINI001")
    )
    assert missed["description"].to_list() == ["Not met: HbA1c in the year is 58 or less"]


def test_indicator_on_a_cohort_register() -> None:
    old = date(1940, 1, 1)
    people = [person("old_max", dob=old), person("old_tested", dob=old), person("young")]
    events = [
        *diabetic("old_max", (DMMAX, IN_YEAR, None)),
        *diabetic("old_tested", (HBA1C, IN_YEAR, 80)),
        *diabetic("young", (HBA1C, IN_YEAR, 80)),
    ]
    outcomes = patient_outcomes(
        make_extract(people, events), load_ruleset(MINI), indicators=["MINI002"]
    )
    assert outcomes.select("patient_id", "status", "reason").rows() == [
        ("old_max", "pca", "DMMAX"),
        ("old_tested", "achieved", None),
    ]
