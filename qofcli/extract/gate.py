"""The errors-only check run before every data command: is this extract fit to score?

`qof validate` reports every problem with row numbers; a command that scores needs only to
know that there is no error, and it must not pay for a second full read of the events. So
the error checks of `validate.py` run here on what the events yield cheaply: the distinct
stored patient ids and codes (from the dictionaries of the Parquet row groups, no hashing of
60 million strings; else one streaming pass), and per row only the checks of the date and
value columns (for typed Parquet, the empty dates counted by the file's statistics). The same
`Check` expressions are evaluated on the distinct values, so an extract passes here only when
`validate_extract` finds no error; when it fails, the caller runs `validate_extract` for the
full report. The distinct values also tell whether the stored text needs trimming, which
lets loading skip trimming 60 million strings.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq

from qofcli.extract.load import ExtractLayoutError, TableFile, check_folder
from qofcli.extract.mapping import ExtractMapping
from qofcli.extract.schema import EVENTS, PATIENTS, PRACTICES, parse, raw_value
from qofcli.extract.validate import (
    PATIENT_KNOWN,
    Check,
    Problem,
    _open,
    _Table,
    event_checks,
    patient_checks,
    practice_checks,
)

#: Event columns read per distinct stored value rather than per row.
KEYED = ("patient_id", "code")
STORED = "_stored"


@dataclass(frozen=True)
class GateResult:
    """`passed`: no error; `trimmed`: event text columns stored exactly as loading would
    read them (no surrounding spaces, no empty text), so loading may use them as stored."""

    passed: bool
    trimmed: frozenset[str] = frozenset()


FAILED = GateResult(False)


def gate(
    path: Path, mapping: ExtractMapping | None = None, today: date | None = None
) -> GateResult:
    """Whether `validate_extract(path, mapping=mapping)` would find no error; `passed` False
    means "run it" (it may still find none, e.g. for CSV tables, not checked here)."""
    today = today or date.today()
    try:
        folder = check_folder(path)
    except ExtractLayoutError:
        return FAILED
    problems: list[Problem] = []
    patients = _open(folder, PATIENTS, problems, mapping)
    events = _open(folder, EVENTS, problems, mapping)
    practices = _open(folder, PRACTICES, problems, mapping)
    tables = (patients, events, practices)
    if patients is None or events is None or _errors(problems):
        return FAILED
    if any(t is not None and t.source is not None and t.source.is_csv for t in tables):
        # A CSV reader that reads only some columns need not notice a ragged row: CSV
        # extracts (small, text parsing dominates) get the full check.
        return FAILED
    try:
        errors = _row_errors(patients, patient_checks(today))
        if practices is not None:
            errors += _row_errors(practices, practice_checks())
        events_errors, trimmed = _event_errors(events, patients, today)
    except pl.exceptions.PolarsError:
        return FAILED  # unreadable: validate_extract says how
    return GateResult(errors + events_errors == 0, trimmed)


def _row_errors(table: _Table, checks: list[Check]) -> int:
    """Rows flagged by the error checks that apply (counts only: no row numbers needed)."""
    active = [c for c in _error_checks(checks) if set(c.needs) <= table.columns]
    if not active:
        return 0
    flags = [
        c.flag.fill_null(False).sum() if c.flagged_any is None else c.flagged_any for c in active
    ]
    return int(table.frame.select(pl.sum_horizontal(flags)).collect().item())


def _errors(problems: list[Problem]) -> bool:
    return any(p.severity == "error" for p in problems)


def _error_checks(checks: list[Check]) -> list[Check]:
    return [c for c in checks if c.severity == "error"]


def _event_errors(events: _Table, patients: _Table, today: date) -> tuple[int, frozenset[str]]:
    """Rows with an error in the events, and the keyed columns stored already trimmed."""
    assert events.source is not None  # tables opened from files carry their source
    stored, schema = events.source.open()
    checks = _error_checks(event_checks(today, None))
    keyed = [k for k in KEYED if k in events.columns]
    values = _dictionary_values(events.source, schema, keyed) or {
        name: stored.select(pl.col(name).unique().alias(STORED)) for name in keyed
    }
    per_key = [_keyed_errors(values[name], schema, name, checks, patients) for name in keyed]
    per_row = [c for c in checks if not set(c.needs) & {*KEYED, PATIENT_KNOWN}]
    empty_dates = _empty_typed_dates(events.source, schema)
    row_errors = (
        pl.LazyFrame({"errors": [empty_dates]})
        if empty_dates is not None
        else events.frame.select(
            pl.sum_horizontal(c.flag.fill_null(False).sum() for c in per_row).alias("errors")
            if per_row
            else pl.lit(0).alias("errors")
        )
    )
    results = pl.collect_all([*per_key, row_errors], engine="streaming")
    errors = sum(int(r["errors"].sum() or 0) for r in results)
    trimmed = frozenset(
        name
        for name, found in zip(keyed, results, strict=False)
        if schema[name] == pl.String and bool(found["same"].all())
    )
    return errors, trimmed


def _dictionary_values(
    source: TableFile, schema: pl.Schema, names: list[str]
) -> dict[str, pl.LazyFrame] | None:
    """The distinct stored values of the text columns `names`, read from the Parquet
    dictionaries of every row group: no hashing of 60 million strings. A dictionary may hold a
    value no row uses (then the gate may fail where validation passes: never the reverse).
    None when the columns are not plain Parquet text (mapped, partition keys, other types)."""
    if (
        not names
        or source.is_csv
        or source.mapping is not None
        or any(schema[n] != pl.String or n in source.hive_keys for n in names)
    ):
        return None
    try:
        parts = [
            (file, rows)
            for file in source.files
            for rows in _row_group_slices(pq.ParquetFile(file).metadata.num_row_groups)
        ]
        with ThreadPoolExecutor(pl.thread_pool_size()) as pool:
            found = list(pool.map(lambda part: _dictionaries(part[0], part[1], names), parts))
    except (pa.ArrowException, OSError, ValueError):
        return None  # let the Polars reader decide how to report it
    return {name: _values_frame([f[name] for f in found]) for name in names}


def _empty_typed_dates(source: TableFile, schema: pl.Schema) -> int | None:
    """The row errors of typed events without reading a row: a column stored as a date holds no
    unparseable date and a numeric value column no unparseable value, so the only row error
    left is an empty date, which the Parquet statistics count. None when they cannot tell."""
    value = schema.get("value")
    if (
        source.is_csv
        or source.mapping is not None
        or source.hive_keys
        or schema.get("date") != pl.Date
        or not (value is None or value.is_numeric())
    ):
        return None
    try:
        nulls = 0
        for file in source.files:
            metadata = pq.ParquetFile(file).metadata
            for index in range(metadata.num_row_groups):
                group = metadata.row_group(index)
                paths = [group.column(i).path_in_schema for i in range(group.num_columns)]
                stats = group.column(paths.index("date")).statistics
                if stats is None or not stats.has_null_count:
                    return None
                nulls += stats.null_count
    except (pa.ArrowException, OSError, ValueError):
        return None
    return nulls


def _row_group_slices(count: int) -> list[range]:
    """The row groups of a file split between the threads Polars may use."""
    size = -(-count // pl.thread_pool_size()) or 1
    return [range(start, min(start + size, count)) for start in range(0, count, size)]


class _Distinct:
    """Distinct text values gathered from many dictionaries, deduplicated as they grow so that
    memory follows the number of distinct values, not of rows (row groups of unsorted ids)."""

    def __init__(self) -> None:
        self.parts: list[pa.Array] = []
        self.size = 0
        self.nulls = 0
        self.limit = COMPACT_AT

    def add(self, values: pa.Array, nulls: int) -> None:
        self.parts.append(values.cast(pa.large_string()))
        self.size += len(values)
        self.nulls += nulls
        if self.size > self.limit:
            self.parts = [self.values()]
            self.size = len(self.parts[0])
            self.limit = max(self.limit, 2 * self.size)

    def values(self) -> pa.Array:
        return pa.chunked_array(self.parts, type=pa.large_string()).unique()


COMPACT_AT = 1 << 20  # dictionary entries kept before deduplicating them


def _dictionaries(file: Path, rows: range, names: list[str]) -> dict[str, _Distinct]:
    """Per column, the distinct values in the dictionaries of row groups `rows` of one file."""
    reader = pq.ParquetFile(file, read_dictionary=names)
    found = {name: _Distinct() for name in names}
    for index in rows:
        table = reader.read_row_group(index, columns=names, use_threads=False)
        for name in names:
            for chunk in table.column(name).chunks:
                # A reader may decline to keep a column's dictionary: then its own values.
                dictionary = chunk.dictionary if pa.types.is_dictionary(chunk.type) else chunk
                found[name].add(dictionary.drop_null(), chunk.null_count)
    return found


def _values_frame(found: list[_Distinct]) -> pl.LazyFrame:
    """The distinct values of one column, with a null when some row has none."""
    merged = _Distinct()
    for part in found:
        merged.parts.extend(part.parts)
        merged.nulls += part.nulls
    values = pl.Series(STORED, merged.values(), dtype=pl.String)
    if merged.nulls:
        values = values.append(pl.Series(STORED, [None], dtype=pl.String))
    return values.to_frame().lazy()


def _keyed_errors(
    values: pl.LazyFrame, schema: pl.Schema, name: str, checks: list[Check], patients: _Table
) -> pl.LazyFrame:
    """The checks of one column run on its distinct stored values (`STORED`): how many are
    flagged, and `same`: whether every stored value is already what loading reads. The check
    that patient ids are known is an anti-join: no per-value flag needed, only their number."""
    column = next(c for c in EVENTS.columns if c.name == name)
    raw = raw_value(STORED, schema[name])
    distinct = values.with_columns(raw.alias(f"raw:{name}")).with_columns(
        parse(pl.col(f"raw:{name}"), column, schema[name]).alias(name)
    )
    active = [c for c in checks if set(c.needs) <= {name}]
    flagged = (
        pl.any_horizontal(c.flag.fill_null(False) for c in active) if active else pl.lit(False)
    )
    found = distinct.select(
        flagged.sum().alias("errors"),
        (pl.col(STORED).cast(pl.String) == pl.col(name)).fill_null(False).all().alias("same"),
    )
    if name != "patient_id" or not any(PATIENT_KNOWN in c.needs for c in checks):
        return found
    unknown = (
        distinct.select(name)
        .drop_nulls()
        .join(patients.frame.select(name), on=name, how="anti")
        .select(pl.len().alias("unknown"))
    )
    return found.join(unknown, how="cross").select(
        (pl.col("errors") + pl.col("unknown")).alias("errors"), "same"
    )
