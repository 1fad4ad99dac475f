"""Validating extracts: every check fires, all problems are listed, and no patient data leaks."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from textwrap import dedent

import polars as pl
import pytest

from qofcli.extract import Problem, ValidationReport, validate_extract

TODAY = date(2024, 6, 1)
SECRET_ID = "ZZSECRET42"
SECRET_VALUE = "987.654"

CLEAN_PATIENTS = f"""\
patient_id,practice_code,date_of_birth,sex,registration_date,deregistration_date,death_date
{SECRET_ID},A81001,1950-03-02,F,2000-01-01,,
P2,A81001,1961-11-30,M,2005-06-15,2023-01-31,2023-01-20
"""
CLEAN_EVENTS = f"""\
patient_id,date,code,value
{SECRET_ID},2023-04-01,1049321000000109,{SECRET_VALUE}
{SECRET_ID},2023-04-01,72313002,135
P2,2022-12-01,1091811000000102,
"""
CLEAN_PRACTICES = """\
practice_code,practice_name,pcn_code,list_size
A81001,The Surgery,U00001,9000
"""

BROKEN_PATIENTS = f"""\
patient_id,practice_code,date_of_birth,sex,registration_date,deregistration_date,death_date
{SECRET_ID},A81001,1950-03-02,F,2000-01-01,,
P2,A81001,1960-02-30,X,2000-01-01,,
P3,,1970-01-01,M,1969-01-01,1968-01-01,1960-01-01
P4,Z99999,,F,2001-01-01,,
P4,A81001,1980-01-01,U,,,
,A81001,1980-01-01,U,2000-01-01,not-a-date,2020/01/01
"""
BROKEN_EVENTS = f"""\
patient_id,date,code,value
{SECRET_ID},2023-04-01,1049321000000109,{SECRET_VALUE}
{SECRET_ID},2023-04-01,72313002,abc{SECRET_VALUE}
NOBODY,2023-04-01,72313002,120
,2023-04-01,72313002,
{SECRET_ID},,72313002,
{SECRET_ID},01/04/2023,72313002,
{SECRET_ID},2023-04-01,,
{SECRET_ID},2023-04-01,XYZ{SECRET_ID},
{SECRET_ID},2099-01-01,72313002,
{SECRET_ID},1940-01-01,72313002,
P3,2023-01-01,72313002,
"""
BROKEN_PRACTICES = """\
practice_code,practice_name,pcn_code,list_size
A81001,The Surgery,U00001,9000
A81001,Duplicate,U00001,ten
"""

KNOWN = frozenset({"72313002", "1049321000000109", "1091811000000102"})


def write(folder: Path, name: str, text: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(dedent(text))


def make_extract(
    folder: Path,
    patients: str = CLEAN_PATIENTS,
    events: str = CLEAN_EVENTS,
    practices: str | None = CLEAN_PRACTICES,
) -> Path:
    write(folder, "patients.csv", patients)
    write(folder, "events.csv", events)
    if practices is not None:
        write(folder, "practices.csv", practices)
    return folder


def validate(folder: Path, known_codes: frozenset[str] | None = KNOWN) -> ValidationReport:
    return validate_extract(folder, known_codes=known_codes, today=TODAY)


def find(report: ValidationReport, table: str, column: str | None, message: str) -> Problem:
    matches = [
        p
        for p in report.problems
        if p.table == table and p.column == column and p.message.startswith(message)
    ]
    assert len(matches) == 1, f"{table}.{column}: {message!r} not in {report.problems}"
    return matches[0]


def assert_no_patient_data(report: ValidationReport) -> None:
    for problem in report.problems:
        assert SECRET_ID not in problem.line()
        assert SECRET_VALUE not in problem.line()


def test_clean_extract_has_no_problems(tmp_path: Path) -> None:
    report = validate(make_extract(tmp_path))
    assert report.problems == ()
    assert report.exit_code == 0


# (severity, table, column, message start, count, rows) for the broken extract above.
EXPECTED = [
    ("error", "patients", "patient_id", "empty patient_id", 1, (6,)),
    ("error", "patients", "patient_id", "duplicate patient_id", 2, (4, 5)),
    ("error", "patients", "practice_code", "empty practice_code", 1, (3,)),
    ("error", "patients", "date_of_birth", "empty date_of_birth", 1, (4,)),
    ("error", "patients", "date_of_birth", "unparseable date_of_birth", 1, (2,)),
    ("error", "patients", "sex", "sex not one of F, M, I, U", 1, (2,)),
    ("error", "patients", "registration_date", "empty registration_date", 1, (5,)),
    ("error", "patients", "registration_date", "registration_date before date_of_birth", 1, (3,)),
    ("error", "patients", "deregistration_date", "unparseable deregistration_date", 1, (6,)),
    ("error", "patients", "deregistration_date", "deregistration_date before registr", 1, (3,)),
    ("error", "patients", "death_date", "unparseable death_date", 1, (6,)),
    ("error", "patients", "death_date", "death_date before date_of_birth", 1, (3,)),
    ("warning", "patients", "practice_code", "practice_code not in practices", 1, (4,)),
    ("error", "events", "patient_id", "empty patient_id", 1, (4,)),
    ("error", "events", "patient_id", "patient_id not in patients", 1, (3,)),
    ("error", "events", "date", "empty date", 1, (5,)),
    ("error", "events", "date", "unparseable date (expected YYYY-MM-DD)", 1, (6,)),
    ("error", "events", "code", "empty code", 1, (7,)),
    ("error", "events", "code", "code that is not a concept id", 1, (8,)),
    ("error", "events", "value", "unparseable value", 1, (2,)),
    ("warning", "events", "date", "date in the future (after 2024-06-01)", 1, (9,)),
    ("warning", "events", "date", "date before the patient's date_of_birth", 1, (10,)),
    ("warning", "events", "date", "date after the patient's death_date", 1, (11,)),
    ("error", "practices", "practice_code", "duplicate practice_code", 2, (1, 2)),
    ("error", "practices", "list_size", "unparseable list_size", 1, (2,)),
]


def test_broken_extract_lists_every_problem(tmp_path: Path) -> None:
    folder = make_extract(tmp_path, BROKEN_PATIENTS, BROKEN_EVENTS, BROKEN_PRACTICES)
    report = validate(folder)
    for severity, table, column, message, count, rows in EXPECTED:
        problem = find(report, table, column, message)
        assert (problem.severity, problem.count, problem.rows) == (severity, count, rows)
        assert problem.file == f"{table}.csv"
    assert len(report.problems) == len(EXPECTED)
    assert report.exit_code == 2
    assert_no_patient_data(report)


def test_line_format(tmp_path: Path) -> None:
    folder = make_extract(tmp_path, BROKEN_PATIENTS, BROKEN_EVENTS, BROKEN_PRACTICES)
    problem = find(validate(folder), "events", "date", "unparseable date")
    assert problem.line() == (
        "error: events.csv: column 'date': 1 row with unparseable date (expected YYYY-MM-DD) "
        "(row 6); write dates as YYYY-MM-DD"
    )


def test_row_numbers_are_capped_at_five(tmp_path: Path) -> None:
    rows = "".join(f"P{i},2023-04-01,bad{i}\n" for i in range(7))
    patients = "patient_id,practice_code,date_of_birth,sex,registration_date\n" + "".join(
        f"P{i},A81001,1950-01-01,F,2000-01-01\n" for i in range(7)
    )
    folder = make_extract(tmp_path, patients, "patient_id,date,code\n" + rows, practices=None)
    problem = find(validate(folder), "events", "code", "code that is not")
    assert (problem.count, problem.rows) == (7, (1, 2, 3, 4, 5))
    assert "(rows 1, 2, 3, 4, 5, ...)" in problem.line()


def test_warnings_only_exit_1(tmp_path: Path) -> None:
    events = CLEAN_EVENTS + f"{SECRET_ID},2099-01-01,72313002,\n"
    report = validate(make_extract(tmp_path, events=events))
    assert [p.message for p in report.problems] == ["date in the future (after 2024-06-01)"]
    assert report.warnings == report.problems and report.errors == ()
    assert report.exit_code == 1


def test_today_defaults_to_the_current_date(tmp_path: Path) -> None:
    events = CLEAN_EVENTS + f"{SECRET_ID},9999-01-01,72313002,\n"
    report = validate_extract(make_extract(tmp_path, events=events))
    assert report.exit_code == 1


def test_unknown_codes_report_distinct_codes_and_examples(tmp_path: Path) -> None:
    extra = "".join(f"{SECRET_ID},2023-04-01,{code},\n" for code in [10, 11, 12, 13, 14, 15, 15])
    report = validate(make_extract(tmp_path, events=CLEAN_EVENTS + extra))
    problem = find(report, "events", "code", "code in no cluster of the ruleset")
    assert problem.severity == "note"
    assert problem.count == 7
    assert "6 distinct codes, e.g. 10, 11, 12, 13, 14)" in problem.message
    assert problem.line().startswith("note: events.csv: column 'code': 7 rows with code in no")
    assert report.exit_code == 0  # a note never fails `qof validate X && qof score X`


def test_unknown_codes_need_known_codes(tmp_path: Path) -> None:
    events = CLEAN_EVENTS + f"{SECRET_ID},2023-04-01,12345,\n"
    assert validate(make_extract(tmp_path, events=events), known_codes=None).exit_code == 0


def test_empty_events_table_is_a_warning(tmp_path: Path) -> None:
    report = validate(make_extract(tmp_path, events="patient_id,date,code,value\n"))
    problem = find(report, "events", None, "table has no rows")
    assert problem.severity == "warning"
    assert report.exit_code == 1


def test_absent_optional_column_is_a_warning(tmp_path: Path) -> None:
    events = "patient_id,date,code\nP2,2022-12-01,1091811000000102\n"
    report = validate(make_extract(tmp_path, events=events))
    problem = find(report, "events", "value", "optional column missing")
    assert problem.severity == "warning"
    assert report.exit_code == 1


def test_missing_folder(tmp_path: Path) -> None:
    report = validate(tmp_path / "nope")
    assert [(p.table, p.message) for p in report.problems] == [
        ("extract", "extract folder not found")
    ]
    assert report.exit_code == 2


def test_layout_problems_are_all_reported(tmp_path: Path) -> None:
    write(tmp_path, "events.csv", CLEAN_EVENTS)
    pl.read_csv(CLEAN_EVENTS.encode(), infer_schema=False).write_parquet(
        tmp_path / "events.parquet"
    )
    write(tmp_path, "practices.csv", BROKEN_PRACTICES)
    report = validate(tmp_path)
    find(report, "patients", None, "required table 'patients' not found")
    find(report, "events", None, "found both events.csv and events.parquet")
    find(report, "practices", "practice_code", "duplicate practice_code")
    assert report.exit_code == 2


def test_missing_column_skips_only_the_checks_that_need_it(tmp_path: Path) -> None:
    patients = "patient_id,practice_code,registration_date\nP1,A81001,2000-01-01\nP1,A81001,x\n"
    events = "patient_id,date,code,value\nP1,1900-01-01,72313002,\nP9,2023-01-01,72313002,\n"
    report = validate(make_extract(tmp_path, patients, events))
    find(report, "patients", "date_of_birth", "required column missing")
    find(report, "patients", "sex", "required column missing")
    find(report, "patients", "patient_id", "duplicate patient_id")
    find(report, "patients", "registration_date", "unparseable registration_date")
    find(report, "events", "patient_id", "patient_id not in patients")
    assert not [p for p in report.problems if "date_of_birth" in p.message and p.count]


def test_unreadable_file_does_not_stop_other_checks(tmp_path: Path) -> None:
    folder = make_extract(tmp_path, patients=BROKEN_PATIENTS, events="")
    report = validate(folder)
    find(report, "events", None, "is empty")
    find(report, "patients", "patient_id", "duplicate patient_id")
    assert report.exit_code == 2


def test_ragged_csv_is_reported_not_raised(tmp_path: Path) -> None:
    events = CLEAN_EVENTS + f"{SECRET_ID},2023-04-01,72313002,1,extra,fields\n"
    report = validate(make_extract(tmp_path, events=events))
    assert report.exit_code == 2
    assert_no_patient_data(report)


def test_parquet_folder_rows_count_across_files_in_name_order(tmp_path: Path) -> None:
    make_extract(tmp_path)
    (tmp_path / "events.csv").unlink()
    events = pl.read_csv(BROKEN_EVENTS.encode(), infer_schema=False)
    (tmp_path / "events").mkdir()
    events.slice(6).write_parquet(tmp_path / "events" / "b.parquet")
    events.slice(0, 6).write_parquet(tmp_path / "events" / "a.parquet")
    report = validate(tmp_path)
    assert find(report, "events", "code", "code that is not").rows == (8,)
    assert find(report, "events", "date", "date before the patient's").rows == (10,)
    assert all(p.file == "events/" for p in report.problems if p.table == "events")


@pytest.mark.parametrize("known_codes", [None, KNOWN])
def test_typed_parquet_extract_is_clean(tmp_path: Path, known_codes: frozenset[str] | None) -> None:
    patients = pl.read_csv(CLEAN_PATIENTS.encode(), try_parse_dates=True)
    patients.write_parquet(tmp_path / "patients.parquet")
    pl.read_csv(CLEAN_EVENTS.encode(), try_parse_dates=True).write_parquet(
        tmp_path / "events.parquet"
    )
    pl.read_csv(CLEAN_PRACTICES.encode()).write_parquet(tmp_path / "practices.parquet")
    assert validate(tmp_path, known_codes).problems == ()


@pytest.mark.parametrize(
    ("born", "flagged"),
    [("0001-01-01", True), ("1879-12-31", True), ("1880-01-01", False), ("2024-06-02", True)],
)
def test_impossible_birth_dates_are_errors(tmp_path: Path, born: str, flagged: bool) -> None:
    patients = CLEAN_PATIENTS.replace("1950-03-02", born)
    report = validate(make_extract(tmp_path, patients=patients))
    problems = [p for p in report.errors if p.message.startswith("date_of_birth before 1880")]
    assert bool(problems) is flagged
    if flagged:
        assert problems[0].rows == (1,) and "placeholder" in problems[0].fix
        assert_no_patient_data(report)


@pytest.mark.parametrize(("size", "flagged"), [("0", True), ("-5", True), ("1", False)])
def test_list_size_must_be_positive(tmp_path: Path, size: str, flagged: bool) -> None:
    practices = CLEAN_PRACTICES.replace("9000", size)
    report = validate(make_extract(tmp_path, practices=practices))
    problems = [p for p in report.errors if p.message == "list_size 0 or negative"]
    assert bool(problems) is flagged
