"""`--map`: an export in its own shape loads and scores exactly as the contract form of the
same data, and problems name the export's own columns."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from qofcli import api
from qofcli.cli import app
from qofcli.errors import ExtractError
from qofcli.extract import load_extract, load_mapping

RULESET = "qof-2025-26"
DOCS = Path(__file__).resolve().parents[1] / "docs" / "mappings"
BP_MAPPING = DOCS / "events-with-bp-columns.toml"
UK_DATES = DOCS / "contract-names-uk-dates.toml"
SYSTOLIC, DIASTOLIC = "72313002", "1091811000000102"
READING = "163020007"  # "O/E - blood pressure reading" (BP_COD): the export's row for a reading
SEX_WORDS = {"F": "Female", "M": "Male"}


def first_code(ruleset, cluster: str) -> str:
    return ruleset.clusters[cluster].codes[0]


@pytest.fixture(scope="module")
def ruleset():
    return api.load_ruleset(RULESET)


@pytest.fixture(scope="module")
def contract(ruleset) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Diabetic and hypertensive patients with HbA1c and blood pressure readings either side
    of the targets, one deregistered, one dead (2025/26 dates)."""
    dm, hyp, hba1c = (first_code(ruleset, c) for c in ("DM_COD", "HYP_COD", "IFCCHBAM_COD"))
    patients = pl.DataFrame(
        {
            "patient_id": ["a", "b", "c", "d", "e"],
            "practice_code": ["A81001"] * 3 + ["B82002"] * 2,
            "date_of_birth": [date(1950, 2, 1), date(1960, 5, 5), date(1941, 3, 9)]
            + [date(1970, 12, 31), date(1955, 7, 7)],
            "sex": ["F", "M", "F", "M", "F"],
            "registration_date": [date(2000, 1, 1)] * 5,
            "deregistration_date": [None, None, None, date(2025, 9, 1), None],
            "death_date": [None, None, None, None, date(2025, 11, 30)],
        }
    )
    rows: list[tuple[str, date, str, float | None]] = []
    for pid, a1c, (sys, dia) in [
        ("a", 50.0, (130, 80)),
        ("b", 70.0, (150, 95)),
        ("c", 58.0, (140, 90)),
        ("d", 48.0, (120, 70)),
        ("e", 45.0, (118, 75)),
    ]:
        rows += [(pid, date(2015, 1, 1), dm, None), (pid, date(2016, 1, 1), hyp, None)]
        rows += [(pid, date(2025, 6, 1), hba1c, a1c)]
        rows += [(pid, date(2025, 7, 1), READING, None)]
        rows += [(pid, date(2025, 7, 1), SYSTOLIC, sys), (pid, date(2025, 7, 1), DIASTOLIC, dia)]
    events = pl.DataFrame(rows, schema=["patient_id", "date", "code", "value"], orient="row")
    return patients, events


def uk(column: str) -> pl.Expr:
    return pl.col(column).dt.strftime("%d/%m/%Y")


def write_export(folder: Path, patients: pl.DataFrame, events: pl.DataFrame) -> Path:
    """The same data in the export shape events-with-bp-columns.toml describes."""
    folder.mkdir()
    patients.select(
        pl.col("patient_id").alias("PatientID"),
        pl.col("practice_code").alias("PracticeODS"),
        uk("date_of_birth").alias("DOB"),
        pl.col("sex").replace(SEX_WORDS).alias("Gender"),
        uk("registration_date").alias("RegisteredDate"),
        uk("deregistration_date").alias("DeregisteredDate"),
        uk("death_date").alias("DateOfDeath"),
    ).write_csv(folder / "demographics.csv")
    bp = events.filter(pl.col("code").is_in([SYSTOLIC, DIASTOLIC]))
    readings = bp.pivot(on="code", index=["patient_id", "date"], values="value").select(
        "patient_id",
        "date",
        pl.lit(READING).alias("code"),
        pl.lit(None, dtype=pl.Float64).alias("value"),
        pl.col(SYSTOLIC).alias("Systolic"),
        pl.col(DIASTOLIC).alias("Diastolic"),
    )
    others = events.filter(~pl.col("code").is_in([SYSTOLIC, DIASTOLIC, READING])).with_columns(
        pl.lit(None, dtype=pl.Float64).alias("Systolic"),
        pl.lit(None, dtype=pl.Float64).alias("Diastolic"),
    )
    journal = pl.concat([others, readings])
    journal.select(
        pl.col("patient_id").alias("PatientID"),
        uk("date").alias("EventDate"),
        pl.col("code").alias("SNOMEDCode"),
        pl.col("value").alias("NumericValue"),
        "Systolic",
        "Diastolic",
    ).write_csv(folder / "journal.csv")
    return folder


@pytest.fixture(scope="module")
def folders(tmp_path_factory, contract) -> tuple[Path, Path]:
    patients, events = contract
    plain = tmp_path_factory.mktemp("contract")
    patients.write_csv(plain / "patients.csv")
    events.write_csv(plain / "events.csv")
    export = write_export(tmp_path_factory.mktemp("x") / "export", patients, events)
    return plain, export


def indicators(extract, ruleset) -> pl.DataFrame:
    table = api.score(extract, ruleset).indicators
    return table.sort("practice_code", "indicator")


def test_a_mapped_export_scores_as_its_contract_form(folders, ruleset) -> None:
    plain, export = folders
    mapping = load_mapping(BP_MAPPING)
    mapped = api.open_extract(export, ruleset, mapping)
    expected = indicators(api.open_extract(plain, ruleset), ruleset)
    assert indicators(mapped, ruleset).equals(expected)
    dm020 = expected.filter(pl.col("indicator") == "DM020", pl.col("practice_code") == "A81001")
    assert dm020.select("denominator", "numerator").row(0) == (3, 2)  # a (50) and c (58)


def test_mapped_events_split_one_reading_into_two(folders) -> None:
    _, export = folders
    events = load_extract(export, load_mapping(BP_MAPPING)).events.collect()
    reading = events.filter(pl.col("patient_id") == "b", pl.col("date") == date(2025, 7, 1))
    assert sorted(zip(reading["code"], reading["value"], strict=True), key=str) == [
        (DIASTOLIC, 95.0),
        (READING, None),
        (SYSTOLIC, 150.0),
    ]


def test_uk_dates_with_contract_names(tmp_path: Path, contract, ruleset) -> None:
    patients, events = contract
    dates = [c for c, t in patients.schema.items() if t == pl.Date]
    patients.with_columns(uk(c) for c in dates).write_csv(tmp_path / "patients.csv")
    events.with_columns(uk("date")).write_csv(tmp_path / "events.csv")
    mapped = api.open_extract(tmp_path, ruleset, load_mapping(UK_DATES))
    assert mapped.patients.collect().equals(load_extract_frames(patients))


def load_extract_frames(patients: pl.DataFrame) -> pl.DataFrame:
    from qofcli.extract import extract_from_frames

    empty = pl.DataFrame(schema={"patient_id": pl.String, "date": pl.Date, "code": pl.String})
    return extract_from_frames(patients, empty).patients.collect()


runner = CliRunner()


def test_validate_names_the_export_column(tmp_path: Path, contract) -> None:
    patients, events = contract
    export = write_export(tmp_path / "export", patients, events)
    text = (export / "demographics.csv").read_text().replace("01/02/1950", "1950-02-31")
    (export / "demographics.csv").write_text(text)
    result = runner.invoke(app, ["validate", str(export), "--map", str(BP_MAPPING)])
    assert result.exit_code == 2
    assert (
        "demographics.csv: column 'date_of_birth' (source column 'DOB', dates as %d/%m/%Y): "
        "1 row with unparseable date_of_birth"
    ) in result.stdout


def test_score_through_the_cli(folders) -> None:
    _, export = folders
    args = ["score", str(export), "-r", RULESET, "--map", str(BP_MAPPING), "-f", "csv"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "DM020" in result.stdout


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[patient]\n", "[patient]: unknown table; use patients, events, practices"),
        ("[events]\nfiles = 'x.csv'\n", "[events]: unknown key 'files'"),
        ("[events.columns]\ncodes = 'SNOMED'\n", "[events]: 'codes' is not a column of events"),
        ("[patients]\ndate_format = 'dd/mm/yyyy'\n", "date_format must be a strftime pattern"),
        (
            "[[events.split]]\ncolumn = 'Systolic'\ncode = '7231E+07'\n",
            "code for column 'Systolic' must be digits only",
        ),
        ("[[patients.split]]\ncolumn = 'x'\ncode = '1'\n", "split applies to events only"),
        ("[events\n", "not valid TOML"),
    ],
)
def test_mapping_mistakes_are_one_line(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "map.toml"
    path.write_text(text)
    with pytest.raises(ExtractError) as caught:
        load_mapping(path)
    assert message in str(caught.value) and "\n" not in str(caught.value)


def test_a_mapped_file_that_is_not_there(tmp_path: Path, folders) -> None:
    plain, _ = folders
    path = tmp_path / "map.toml"
    path.write_text("[events]\nfile = 'journal.csv'\n")
    result = runner.invoke(app, ["score", str(plain), "-r", RULESET, "--map", str(path)])
    assert result.exit_code == 2
    assert "journal.csv: not found; check [events] file in" in result.stderr
