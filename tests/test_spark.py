"""`qof score --engine spark` and qofcli.spark give the local engine's results, column for column.

Spark runs in local mode (local[2]), one session for the whole test run. The inputs are the
bundled sample (CSV, qof-2026-27, taken on 30 November 2026) and a synthetic multi-practice
Parquet extract (`qof synth`, qof-2026-27, taken on 30 November 2026) with one listed practice
that has no patients. Skipped only when PySpark is not installed (pip install '.[test]').
"""

from __future__ import annotations

import io
import shutil
import sys
from datetime import date
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal
from typer.testing import CliRunner

import qofcli
from qofcli import api
from qofcli.cli import app
from qofcli.errors import UsageError

SAMPLE = Path(__file__).parent.parent / "sample_data"
RULESET = "qof-2026-27"
SAMPLE_AS_OF = "2026-11-30"  # the sample's extract date
SYNTH_TAKEN = date(2026, 11, 30)
EMPTY_PRACTICE = "Z99999"
SCORE_TABLES = ("practices", "registers", "indicators", "reasons", "domains", "totals")


@pytest.fixture(scope="session")
def spark():
    pytest.importorskip("pyspark", reason="PySpark is not installed: pip install '.[test]'")
    from qofcli.spark import start_session

    session = start_session("local[2]", shuffle_partitions=4)
    yield session
    session.stop()


@pytest.fixture(scope="module")
def ruleset():
    return api.load_ruleset(RULESET)


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory: pytest.TempPathFactory, ruleset) -> Path:
    """Five practices in two PCNs, plus a listed practice with no patients (list size 1200)."""
    folder = tmp_path_factory.mktemp("synthetic")
    api.synthesise(ruleset, folder, 2500, 5, seed=3, as_of=SYNTH_TAKEN)
    practices = pl.read_parquet(folder / "practices.parquet")
    empty = dict.fromkeys(practices.columns) | {
        "practice_code": EMPTY_PRACTICE,
        "pcn_code": "U00001",
        "list_size": 1200,
    }
    extra = pl.DataFrame([empty], schema=practices.schema)
    pl.concat([practices, extra]).write_parquet(folder / "practices.parquet")
    return folder


def _spark_score(spark, folder: Path, ruleset, **options):
    from qofcli import spark as qspark

    tables = qspark.read_extract(spark, folder)
    return qspark.score(
        tables.patients, tables.events, ruleset, spark_practices=tables.practices, **options
    )


def _assert_same_score(got, expected, exact: bool = True) -> None:
    for name in (*SCORE_TABLES, "domain_totals"):
        got_table, expected_table = getattr(got, name), getattr(expected, name)
        if exact:
            assert_frame_equal(got_table, expected_table, check_exact=True)
        else:
            assert_frame_equal(
                got_table, expected_table, check_exact=False, rel_tol=1e-13, abs_tol=0
            )


def test_cli_sample_json_is_byte_identical(spark) -> None:
    """The sample (CSV) through the CLI: the whole JSON document, every table, identical."""
    runner = CliRunner()
    common = ["score", str(SAMPLE), "-r", RULESET, "--as-of", SAMPLE_AS_OF, "-f", "json"]
    local = runner.invoke(app, common)
    on_spark = runner.invoke(app, [*common, "--engine", "spark", "--master", "local[2]"])
    assert local.exit_code == 0, local.output
    assert on_spark.exit_code == 0, on_spark.output
    assert on_spark.stdout == local.stdout
    assert '"practice_code": "' in local.stdout  # per-practice tables, not an empty document


@pytest.fixture(scope="module")
def in_year(spark, synthetic, ruleset):
    """The synthetic extract scored on Spark on the day it was taken, with patient outcomes."""
    return _spark_score(spark, synthetic, ruleset, as_of=SYNTH_TAKEN, patients=True)


def test_synthetic_every_table_by_practice_pcn_and_all(in_year, synthetic, ruleset) -> None:
    """Parquet, several practices, in-year: each table and each roll-up equals the local one."""
    as_of, scored = SYNTH_TAKEN, in_year
    local_extract = api.open_extract(synthetic, ruleset)
    for by in ("practice", "pcn", "all"):
        _assert_same_score(scored.to_local(by), api.score(local_extract, ruleset, as_of, by=by))
    expected_patients = api.patient_outcomes(local_extract, ruleset, as_of)
    assert expected_patients.height > 1000
    assert_frame_equal(scored.collect("patients")["patients"], expected_patients, check_exact=True)


def test_listed_practice_without_patients_is_scored(in_year) -> None:
    """A practice in practices.parquet with no patients gets its rows, as in the local engine:
    list size from the practices table, registers of size 0."""
    score = in_year.to_local()
    row = score.practices.filter(pl.col("practice_code") == EMPTY_PRACTICE)
    assert row.select("list_size", "list_size_source").row(0) == (1200, "practices")
    sizes = score.registers.filter(pl.col("practice_code") == EMPTY_PRACTICE)["size"]
    assert sizes.len() == len(score.counts.ruleset.registers) and sizes.max() == 0


def test_spark_tables_hold_the_local_rows_columns_and_types(in_year, synthetic, ruleset) -> None:
    from qofcli.spark import spark_type

    scored = in_year
    local = api.score(api.open_extract(synthetic, ruleset), ruleset, SYNTH_TAKEN)
    for name in ("practices", "registers", "indicators", "reasons", "domains"):
        expected = [(c, spark_type(t)) for c, t in getattr(local, name).schema.items()]
        assert [(f.name, f.dataType) for f in getattr(scored, name).schema.fields] == expected
        rows = pl.from_arrow(getattr(scored, name).toArrow())
        assert isinstance(rows, pl.DataFrame)
        expected_rows = getattr(local, name)
        assert_frame_equal(rows.cast(expected_rows.schema), expected_rows, check_row_order=False)
    assert scored.patients is not None
    assert scored.patients.columns == list(api.PATIENT_COLUMNS)


def test_hive_partitioned_patients_read_their_key_as_text(
    spark, synthetic, ruleset, tmp_path: Path
) -> None:
    """patients/ written as Spark's partitionBy writes it (practice_code only in the
    key=value folder names, one code with a leading zero): Spark reads the key as a text
    column, as the local reader does, and the scores are equal."""
    out = tmp_path / "parts"
    patients = pl.read_parquet(synthetic / "patients.parquet")
    zero = pl.col("practice_code").replace({patients["practice_code"].min(): "012345"})
    for (code,), part in patients.with_columns(zero).group_by("practice_code"):
        where = out / "patients" / f"practice_code={code}"
        where.mkdir(parents=True)
        part.drop("practice_code").write_parquet(where / "part-0.parquet")
    (out / "events.parquet").symlink_to(synthetic / "events.parquet")
    pl.read_parquet(synthetic / "practices.parquet").with_columns(zero).write_parquet(
        out / "practices.parquet"
    )
    got = _spark_score(spark, out, ruleset, as_of=SYNTH_TAKEN).to_local()
    _assert_same_score(got, api.score(api.open_extract(out, ruleset), ruleset, SYNTH_TAKEN))
    assert "012345" in got.registers["practice_code"].to_list()


def test_claims_reach_their_own_practice(spark, synthetic, tmp_path: Path) -> None:
    """qof-2024-25's protected indicators take the user's points per practice: each Spark task
    sees only its practice's claims, and the result equals the local engine's."""
    older = api.load_ruleset("qof-2024-25")
    codes = pl.read_parquet(synthetic / "practices.parquet")["practice_code"].to_list()
    protected = tmp_path / "protected.csv"
    protected.write_text(
        f"practice_code,indicator,points\n{codes[0]},AST008,4.5\n{codes[1]},AST008,2\n"
    )
    claims = api.read_claims(older, protected)
    as_of = date(2025, 3, 31)
    got = _spark_score(spark, synthetic, older, as_of=as_of, claims=claims).to_local()
    expected = api.score(api.open_extract(synthetic, older), older, as_of, claims=claims)
    _assert_same_score(got, expected)
    ast008 = got.indicators.filter(pl.col("indicator") == "AST008")
    points = dict(zip(ast008["practice_code"], ast008["points"], strict=True))
    assert (points[codes[0]], points[codes[1]], points[codes[2]]) == (4.5, 2.0, None)


def test_claims_for_a_practice_not_in_the_extract_are_refused(
    spark, synthetic, ruleset, tmp_path: Path
) -> None:
    older = api.load_ruleset("qof-2024-25")
    protected = tmp_path / "protected.csv"
    protected.write_text("practice_code,indicator,points\nQ00000,AST008,4.5\n")
    claims = api.read_claims(older, protected)
    with pytest.raises(UsageError, match="practice Q00000 is not in the extract"):
        _spark_score(spark, synthetic, older, claims=claims)


BP_MAPPING = Path(__file__).parent.parent / "docs" / "mappings" / "events-with-bp-columns.toml"
SYSTOLIC, DIASTOLIC = "72313002", "1091811000000102"  # SYSBP_COD, DIABP_COD (NHS Digital)
READING = "163020007"  # "O/E - blood pressure reading" (BP_COD): the export's row of a reading


def _uk(column: str) -> pl.Expr:
    return pl.col(column).dt.strftime("%d/%m/%Y").alias(column)


def _write_export(contract: Path, export: Path) -> None:
    """The contract extract in the shape docs/mappings/events-with-bp-columns.toml reads: CSV
    files of their own names and columns, dates as dd/mm/yyyy, sex in words, and each blood
    pressure number on a reading row of its own, in a Systolic or Diastolic column."""
    export.mkdir()
    patients = pl.read_parquet(contract / "patients.parquet")
    patients.select(
        pl.col("patient_id").alias("PatientID"),
        pl.col("practice_code").alias("PracticeODS"),
        _uk("date_of_birth").alias("DOB"),
        pl.col("sex").replace({"F": "Female", "M": "Male"}).alias("Gender"),
        _uk("registration_date").alias("RegisteredDate"),
        _uk("deregistration_date").alias("DeregisteredDate"),
        _uk("death_date").alias("DateOfDeath"),
    ).write_csv(export / "demographics.csv")
    events = pl.read_parquet(contract / "events.parquet")
    is_bp = pl.col("code").is_in([SYSTOLIC, DIASTOLIC])
    number = pl.col("value").cast(pl.Float64)
    events.select(
        pl.col("patient_id").alias("PatientID"),
        _uk("date").alias("EventDate"),
        pl.when(is_bp).then(pl.lit(READING)).otherwise(pl.col("code")).alias("SNOMEDCode"),
        pl.when(is_bp).then(None).otherwise(number).alias("NumericValue"),
        pl.when(pl.col("code") == SYSTOLIC).then(number).alias("Systolic"),
        pl.when(pl.col("code") == DIASTOLIC).then(number).alias("Diastolic"),
    ).write_csv(export / "journal.csv")
    shutil.copy(contract / "practices.parquet", export / "practices.parquet")


def test_cli_mapped_export_is_byte_identical(spark, synthetic, tmp_path: Path) -> None:
    """`--map` with --engine spark: the synthetic extract exported in another shape (renamed
    files and columns, UK dates, sex in words, blood pressures split from reading rows) scores
    on Spark exactly as the local engine scores it through the same mapping."""
    export = tmp_path / "export"
    _write_export(synthetic, export)
    common = ["score", str(export), "-r", RULESET, "--as-of", SYNTH_TAKEN.isoformat(), "--map"]
    common += [str(BP_MAPPING), "-f", "csv", "--table", "indicators"]
    local = CliRunner().invoke(app, common)
    on_spark = CliRunner().invoke(app, [*common, "--engine", "spark", "--master", "local[2]"])
    assert local.exit_code == 0, local.output
    assert on_spark.exit_code == 0, on_spark.output
    assert on_spark.stdout == local.stdout
    # The mapping did its work: dates parsed (registers), blood pressures split into events
    # (HYP010, 2025/26's HYP008: latest BP <= 140/90 in the last 12 months, which only the split
    # numbers can meet).
    table = pl.read_csv(io.StringIO(local.stdout))
    hyp010 = table.filter(pl.col("indicator") == "HYP010")
    assert hyp010["denominator"].sum() > 0 and hyp010["numerator"].sum() > 0


def test_cli_without_pyspark_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "qofcli.spark", None)  # import fails as if not installed
    monkeypatch.delattr(qofcli, "spark", raising=False)
    result = CliRunner().invoke(app, ["score", str(SAMPLE), "-r", RULESET, "--engine", "spark"])
    assert result.exit_code == 2
    assert "pip install 'qofcli[spark]'" in result.output
    assert "Traceback" not in result.output


def test_missing_java_is_one_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("pyspark", reason="PySpark is not installed: pip install '.[test]'")
    from qofcli.spark import start_session

    monkeypatch.delenv("JAVA_HOME", raising=False)
    monkeypatch.setattr(shutil, "which", lambda _name: None)
    with pytest.raises(UsageError, match="needs Java 17 or later"):
        start_session("local[1]")
