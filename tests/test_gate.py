"""The errors-only gate run before scoring agrees with `validate_extract` on every error, one
problem at a time, in CSV and in typed Parquet, and knows when loading may skip trimming."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import polars as pl
import pyarrow.parquet as pq
import pytest

from qofcli.extract import gate as gate_module
from qofcli.extract import load_extract, validate_extract
from qofcli.extract.gate import GateResult, gate
from qofcli.extract.validate import patient_checks
from tests.test_validate import (
    BROKEN_EVENTS,
    BROKEN_PATIENTS,
    BROKEN_PRACTICES,
    CLEAN_EVENTS,
    CLEAN_PATIENTS,
    CLEAN_PRACTICES,
    TODAY,
    make_extract,
)


def _rows(text: str) -> list[str]:
    return text.strip().splitlines()[1:]


def _with_row(clean: str, row: str) -> str:
    return clean + row + "\n"


CASES = (
    [("events", row) for row in _rows(BROKEN_EVENTS)]
    + [("patients", row) for row in _rows(BROKEN_PATIENTS)]
    + [("practices", row) for row in _rows(BROKEN_PRACTICES)]
    + [("events", " 72313002 ,2023-04-01, 72313002 , 7 ")]  # padded text: trimmed, no error
)


def _as_parquet(folder: Path) -> Path:
    """The CSV tables of `folder` as Parquet files of text columns (values kept as written)."""
    for csv in folder.glob("*.csv"):
        pl.read_csv(csv, infer_schema=False).write_parquet(csv.with_suffix(".parquet"))
        csv.unlink()
    return folder


def _agrees(folder: Path) -> None:
    has_errors = bool(validate_extract(folder, today=TODAY).errors)
    assert gate(folder, today=TODAY).passed is not has_errors


@pytest.mark.parametrize(("table", "row"), CASES)
def test_gate_passes_exactly_when_validation_finds_no_error(
    tmp_path: Path, table: str, row: str
) -> None:
    tables = {"patients": CLEAN_PATIENTS, "events": CLEAN_EVENTS, "practices": CLEAN_PRACTICES}
    tables[table] = _with_row(tables[table], row)
    folder = make_extract(tmp_path, tables["patients"], tables["events"], tables["practices"])
    _agrees(_as_parquet(folder))


def test_broken_extract_fails_and_clean_one_passes(tmp_path: Path) -> None:
    broken = make_extract(tmp_path / "b", BROKEN_PATIENTS, BROKEN_EVENTS, BROKEN_PRACTICES)
    assert not gate(_as_parquet(broken), today=TODAY).passed
    assert gate(_as_parquet(make_extract(tmp_path / "c")), today=TODAY).passed
    assert not gate(tmp_path / "absent", today=TODAY).passed


def test_csv_extracts_get_the_full_check(tmp_path: Path) -> None:
    # A reader of some CSV columns may not notice a ragged row: the gate leaves CSV alone.
    assert not gate(make_extract(tmp_path), today=TODAY).passed


def _parquet(folder: Path, events: pl.DataFrame) -> Path:
    source = load_extract(make_extract(folder / "csv"))
    out = folder / "pq"
    out.mkdir()
    source.patients.collect().write_parquet(out / "patients.parquet")
    events.write_parquet(out / "events.parquet")
    return out


def test_typed_parquet_unknown_patient_and_null_date_are_errors(tmp_path: Path) -> None:
    events = load_extract(make_extract(tmp_path / "e")).events.collect()
    assert gate(_parquet(tmp_path / "ok", events), today=TODAY).passed
    nobody = events.with_columns(pl.lit("NOBODY").alias("patient_id"))
    for broken in (nobody, events.with_columns(pl.lit(None, pl.Date).alias("date"))):
        folder = _parquet(tmp_path / f"bad{broken.height}{broken['date'].null_count()}", broken)
        _agrees(folder)
        assert not gate(folder, today=TODAY).passed


def test_trimmed_columns_are_only_those_stored_without_padding(tmp_path: Path) -> None:
    clean = _as_parquet(make_extract(tmp_path / "clean"))
    assert gate(clean, today=TODAY).trimmed == frozenset({"patient_id", "code"})
    padded = _with_row(CLEAN_EVENTS, "P2,2023-04-01, 72313002 ,")
    folder = _as_parquet(make_extract(tmp_path / "padded", events=padded))
    checked = gate(folder, today=TODAY)
    assert checked.passed and checked.trimmed == frozenset({"patient_id"})
    # Loading with the gate's answer reads exactly what loading without it reads.
    fast = load_extract(folder, trimmed_events=checked.trimmed).events.collect()
    assert fast.equals(load_extract(folder).events.collect())


def _typed_events(folder: Path) -> pl.DataFrame:
    return load_extract(make_extract(folder)).events.collect()


def _typed_extract(folder: Path, write_events: Callable[[Path], None]) -> Path:
    """The clean typed patients, with events written by `write_events` into `folder`."""
    source = load_extract(make_extract(folder / "csv"))
    out = folder / "pq"
    out.mkdir()
    source.patients.collect().write_parquet(out / "patients.parquet")
    write_events(out)
    return out


def _unknown_patient_in_last_row(events: pl.DataFrame) -> pl.DataFrame:
    stranger = events.tail(1).with_columns(pl.lit("NOBODY").alias("patient_id"))
    return pl.concat([events, events, events, stranger])


@pytest.mark.parametrize("compact_at", [1 << 20, 1])
@pytest.mark.parametrize("dictionary", [True, False])
def test_ids_and_codes_of_every_row_group_and_part_are_checked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, dictionary: bool, compact_at: int
) -> None:
    # The distinct ids and codes come from each row group's dictionary (or, for pages written
    # without one, from the values), deduplicated as they grow: an unknown patient in the last
    # row group of the last part of a partitioned table is found.
    monkeypatch.setattr(gate_module, "COMPACT_AT", compact_at)
    events = _typed_events(tmp_path / "e")
    broken = _unknown_patient_in_last_row(events)

    def parts(rows: pl.DataFrame) -> Callable[[Path], None]:
        def write(out: Path) -> None:
            (out / "events").mkdir()
            for part, chunk in enumerate((rows.head(2), rows.slice(2))):
                pq.write_table(
                    chunk.to_arrow(),
                    out / "events" / f"part-{part}.parquet",
                    row_group_size=2,
                    use_dictionary=dictionary,
                )

        return write

    clean = _typed_extract(tmp_path / "clean", parts(events))
    assert gate(clean, today=TODAY) == GateResult(True, frozenset({"patient_id", "code"}))
    folder = _typed_extract(tmp_path / "broken", parts(broken))
    _agrees(folder)
    assert not gate(folder, today=TODAY).passed


def test_empty_dates_are_counted_without_statistics_too(tmp_path: Path) -> None:
    events = _typed_events(tmp_path / "e")
    undated = events.with_columns(
        pl.when(pl.int_range(pl.len()) == 1).then(pl.col("date")).alias("date")
    )
    for statistics in (True, False):

        def write(out: Path, stats: bool = statistics) -> None:
            pq.write_table(undated.to_arrow(), out / "events.parquet", write_statistics=stats)

        folder = _typed_extract(tmp_path / f"stats-{statistics}", write)
        _agrees(folder)
        assert not gate(folder, today=TODAY).passed


@pytest.mark.parametrize(
    "ids", [["a", "a", None], ["a", None, None], ["a", "b"], [None, None], ["a", "b", "a", None]]
)
def test_the_gate_counts_duplicates_exactly_when_validation_flags_a_row(
    ids: list[str | None],
) -> None:
    # The gate needs no row numbers: ids repeated beside empty ones (not duplicates) or not.
    check = next(c for c in patient_checks(TODAY) if c.message == "duplicate patient_id")
    frame = pl.DataFrame({"patient_id": ids}, schema={"patient_id": pl.String})
    flagged = frame.select(check.flag.fill_null(False).any()).item()
    assert check.flagged_any is not None
    assert (frame.select(check.flagged_any).item() > 0) is flagged


def test_columns_read_without_their_dictionary_are_checked_by_value(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A Parquet reader that returns plain values instead of dictionaries: same verdicts.
    plain_reader = pq.ParquetFile

    def without_dictionaries(*args: object, read_dictionary: object = None, **kw: object) -> object:
        return plain_reader(*args, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(gate_module.pq, "ParquetFile", without_dictionaries)
    events = _typed_events(tmp_path / "e")
    for name, rows in (("clean", events), ("broken", _unknown_patient_in_last_row(events))):
        folder = _typed_extract(
            tmp_path / name, lambda out, r=rows: r.write_parquet(out / "events.parquet")
        )
        _agrees(folder)
    assert gate(tmp_path / "clean" / "pq", today=TODAY).trimmed == {"patient_id", "code"}
