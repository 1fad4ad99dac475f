"""Loading extracts: the three table forms, explicit types, and one-line layout errors."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from textwrap import dedent

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from qofcli.errors import ExtractError
from qofcli.extract import (
    EVENTS,
    PATIENTS,
    PRACTICES,
    Extract,
    extract_from_frames,
    load_extract,
)

PATIENTS_CSV = """\
patient_id,practice_code,date_of_birth,sex,registration_date,deregistration_date,death_date
0012,A81001,1950-03-02,F,2000-01-01,,
0013,A81001,1961-11-30,M,2005-06-15,2023-01-31,2023-01-20
"""
EVENTS_CSV = """\
patient_id,date,code,value
0012,2023-04-01,1049321000000109,48
0012,2023-04-01,72313002,135.5
0013,2022-12-01,0123,
"""
PRACTICES_CSV = """\
practice_code,practice_name,pcn_code,list_size
A81001,The Surgery,U00001,9000
"""

EXPECTED_PATIENTS = pl.DataFrame(
    {
        "patient_id": ["0012", "0013"],
        "practice_code": ["A81001", "A81001"],
        "date_of_birth": [date(1950, 3, 2), date(1961, 11, 30)],
        "sex": ["F", "M"],
        "registration_date": [date(2000, 1, 1), date(2005, 6, 15)],
        "deregistration_date": [None, date(2023, 1, 31)],
        "death_date": [None, date(2023, 1, 20)],
    },
    schema=PATIENTS.schema,
)
EXPECTED_EVENTS = pl.DataFrame(
    {
        "patient_id": ["0012", "0012", "0013"],
        "date": [date(2023, 4, 1), date(2023, 4, 1), date(2022, 12, 1)],
        "code": ["1049321000000109", "72313002", "0123"],
        "value": [48.0, 135.5, None],
    },
    schema=EVENTS.schema,
)
EXPECTED_PRACTICES = pl.DataFrame(
    {
        "practice_code": ["A81001"],
        "practice_name": ["The Surgery"],
        "pcn_code": ["U00001"],
        "list_size": [9000],
    },
    schema=PRACTICES.schema,
)


def write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(dedent(text))
    return path


def csv_extract(folder: Path) -> Path:
    write(folder, "patients.csv", PATIENTS_CSV)
    write(folder, "events.csv", EVENTS_CSV)
    write(folder, "practices.csv", PRACTICES_CSV)
    return folder


def read_csv_text(text: str) -> pl.DataFrame:
    return pl.read_csv(dedent(text).encode(), infer_schema=False)


def assert_extract(extract: Extract, practices: bool = True) -> None:
    assert_frame_equal(extract.patients.collect(), EXPECTED_PATIENTS)
    assert_frame_equal(extract.events.collect(), EXPECTED_EVENTS)
    if practices:
        assert extract.practices is not None
        assert_frame_equal(extract.practices.collect(), EXPECTED_PRACTICES)


def test_loads_csv_extract(tmp_path: Path) -> None:
    extract = load_extract(csv_extract(tmp_path))
    assert isinstance(extract.patients, pl.LazyFrame)
    assert extract.source == str(tmp_path)
    assert_extract(extract)


def test_loads_parquet_extract_of_strings(tmp_path: Path) -> None:
    read_csv_text(PATIENTS_CSV).write_parquet(tmp_path / "patients.parquet")
    read_csv_text(EVENTS_CSV).write_parquet(tmp_path / "events.parquet")
    read_csv_text(PRACTICES_CSV).write_parquet(tmp_path / "practices.parquet")
    assert_extract(load_extract(tmp_path))


def test_loads_typed_parquet(tmp_path: Path) -> None:
    EXPECTED_PATIENTS.write_parquet(tmp_path / "patients.parquet")
    EXPECTED_EVENTS.write_parquet(tmp_path / "events.parquet")
    EXPECTED_PRACTICES.with_columns(pl.col("list_size").cast(pl.Float64)).write_parquet(
        tmp_path / "practices.parquet"
    )
    assert_extract(load_extract(tmp_path))


def test_parquet_integer_codes_become_strings_and_datetimes_dates(tmp_path: Path) -> None:
    write(tmp_path, "patients.csv", PATIENTS_CSV)
    pl.DataFrame(
        {
            "patient_id": ["0012"],
            "date": [datetime(2023, 4, 1, 9, 30)],
            "code": [72313002],
            "value": [120],
        }
    ).write_parquet(tmp_path / "events.parquet")
    events = load_extract(tmp_path).events.collect()
    assert events.schema == EVENTS.schema
    assert events.row(0) == ("0012", date(2023, 4, 1), "72313002", 120.0)


def test_loads_folder_of_parquet_files_in_name_order(tmp_path: Path) -> None:
    write(tmp_path, "patients.csv", PATIENTS_CSV)
    events = read_csv_text(EVENTS_CSV)
    (tmp_path / "events").mkdir()
    events.slice(2).write_parquet(tmp_path / "events" / "part-1.parquet")
    events.slice(0, 2).write_parquet(tmp_path / "events" / "part-0.parquet")
    extract = load_extract(tmp_path)
    assert extract.practices is None
    assert_extract(extract, practices=False)


def test_extra_columns_are_ignored_and_order_does_not_matter(tmp_path: Path) -> None:
    csv_extract(tmp_path)
    write(
        tmp_path,
        "events.csv",
        """\
        note,value,code,date,patient_id
        x,48,1049321000000109,2023-04-01,0012
        y,135.5,72313002,2023-04-01,0012
        z,,0123,2022-12-01,0013
        """,
    )
    assert_extract(load_extract(tmp_path))


def test_header_byte_order_mark_and_spaces_are_tolerated(tmp_path: Path) -> None:
    csv_extract(tmp_path)
    text = EVENTS_CSV.replace("patient_id,date", " patient_id , date", 1)
    (tmp_path / "events.csv").write_text(text, encoding="utf-8-sig")
    assert_extract(load_extract(tmp_path))


def test_optional_columns_may_be_absent(tmp_path: Path) -> None:
    write(
        tmp_path, "patients.csv", "patient_id,practice_code,date_of_birth,sex,registration_date\n"
    )
    write(tmp_path, "events.csv", "patient_id,date,code\n0012,2023-04-01,72313002\n")
    extract = load_extract(tmp_path)
    assert extract.patients.collect_schema() == PATIENTS.schema
    assert extract.events.collect()["value"].to_list() == [None]


def test_bad_values_load_as_null(tmp_path: Path) -> None:
    write(tmp_path, "patients.csv", PATIENTS_CSV)
    write(tmp_path, "events.csv", "patient_id,date,code,value\n0012,2023-4-1,1,abc\n")
    row = load_extract(tmp_path).events.collect().row(0)
    assert row == ("0012", None, "1", None)


def one_line_error(path: Path) -> str:
    with pytest.raises(ExtractError) as caught:
        load_extract(path)
    message = str(caught.value)
    assert "\n" not in message
    assert caught.value.exit_code == 2
    return message


def test_missing_folder(tmp_path: Path) -> None:
    assert "extract folder not found" in one_line_error(tmp_path / "nope")


def test_missing_required_table(tmp_path: Path) -> None:
    write(tmp_path, "patients.csv", PATIENTS_CSV)
    message = one_line_error(tmp_path)
    assert "'events' not found" in message
    assert "events.csv" in message


def test_missing_required_column_names_file_and_column(tmp_path: Path) -> None:
    csv_extract(tmp_path)
    write(tmp_path, "patients.csv", "patient_id,practice_code,date_of_birth,registration_date\n")
    message = one_line_error(tmp_path)
    assert "patients.csv" in message
    assert "column 'sex' required column missing" in message


def test_ambiguous_table_forms(tmp_path: Path) -> None:
    csv_extract(tmp_path)
    read_csv_text(EVENTS_CSV).write_parquet(tmp_path / "events.parquet")
    assert "found both events.csv and events.parquet" in one_line_error(tmp_path)


def test_unusable_stored_type(tmp_path: Path) -> None:
    csv_extract(tmp_path)
    (tmp_path / "events.csv").unlink()
    frame = pl.DataFrame({"patient_id": ["1"], "date": [True], "code": ["1"], "value": [1.0]})
    frame.write_parquet(tmp_path / "events.parquet")
    assert "column 'date' stored as Boolean" in one_line_error(tmp_path)


def test_unreadable_and_empty_files(tmp_path: Path) -> None:
    csv_extract(tmp_path)
    (tmp_path / "events.csv").write_text("")
    assert "events.csv: is empty; write a header row" in one_line_error(tmp_path)
    (tmp_path / "events.csv").unlink()
    (tmp_path / "events.parquet").write_text("not parquet")
    assert "events.parquet: is not a Parquet file" in one_line_error(tmp_path)


def test_empty_parquet_folder(tmp_path: Path) -> None:
    csv_extract(tmp_path)
    (tmp_path / "events.csv").unlink()
    (tmp_path / "events").mkdir()
    assert "folder holds no .parquet files" in one_line_error(tmp_path)


def test_extract_from_frames_matches_load(tmp_path: Path) -> None:
    patients = pl.DataFrame(
        {
            "patient_id": ["0012", "0013"],
            "practice_code": ["A81001", "A81001"],
            "date_of_birth": [date(1950, 3, 2), date(1961, 11, 30)],
            "sex": ["F", "M"],
            "registration_date": ["2000-01-01", "2005-06-15"],
            "deregistration_date": [None, "2023-01-31"],
            "death_date": [None, date(2023, 1, 20)],
        }
    )
    events = pl.DataFrame(
        {
            "patient_id": ["0012", "0012", "0013"],
            "date": ["2023-04-01", "2023-04-01", "2022-12-01"],
            "code": ["1049321000000109", "72313002", "0123"],
            "value": [48, 135.5, None],
        },
        strict=False,
    )
    practices = read_csv_text(PRACTICES_CSV)
    extract = extract_from_frames(patients, events, practices)
    assert extract.source == "<memory>"
    assert_extract(extract)


def test_extract_from_frames_fills_absent_optional_columns() -> None:
    patients = pl.DataFrame(
        {
            "patient_id": ["1"],
            "practice_code": ["A81001"],
            "date_of_birth": [date(1950, 1, 1)],
            "sex": ["U"],
            "registration_date": [date(2000, 1, 1)],
        }
    )
    events = pl.DataFrame({"patient_id": ["1"], "date": [date(2023, 1, 1)], "code": ["1"]})
    extract = extract_from_frames(patients, events)
    assert extract.practices is None
    assert extract.patients.collect_schema() == PATIENTS.schema
    assert extract.events.collect().row(0) == ("1", date(2023, 1, 1), "1", None)


def test_extract_from_frames_rejects_missing_required_column() -> None:
    events = pl.DataFrame({"patient_id": ["1"], "date": [date(2023, 1, 1)], "code": ["1"]})
    with pytest.raises(ExtractError, match="column 'sex'"):
        extract_from_frames(pl.DataFrame({"patient_id": ["1"]}), events)


def test_extract_from_frames_accepts_integer_values() -> None:
    patients = read_csv_text(PATIENTS_CSV)
    events = pl.DataFrame(
        {"patient_id": ["0012"], "date": ["2023-04-01"], "code": ["1"], "value": [7]}
    )
    assert extract_from_frames(patients, events).events.collect()["value"].to_list() == [7.0]
