"""The extract contract: tables, columns, types and the rules for parsing raw values.

Both ``load_extract`` and ``validate_extract`` build their frames from these definitions,
so a value that validation calls unparseable is exactly a value that loading turns into null.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import polars as pl

ColumnKind = Literal["text", "date", "number", "integer"]

DTYPES: dict[ColumnKind, pl.DataType] = {
    "text": pl.String(),
    "date": pl.Date(),
    "number": pl.Float64(),
    "integer": pl.Int64(),
}

ISO_DATE = r"^\d{4}-\d{2}-\d{2}$"
DATE_FORMAT = "%Y-%m-%d"
SEXES = ("F", "M", "I", "U")


@dataclass(frozen=True)
class Column:
    """One contract column; ``required`` means it must appear in the file's header."""

    name: str
    kind: ColumnKind
    description: str
    required: bool = True

    @property
    def dtype(self) -> pl.DataType:
        return DTYPES[self.kind]


@dataclass(frozen=True)
class Table:
    """One contract table; ``required`` means the extract must contain it."""

    name: str
    required: bool
    columns: tuple[Column, ...]

    @property
    def schema(self) -> pl.Schema:
        return pl.Schema({c.name: c.dtype for c in self.columns})


PATIENTS = Table(
    "patients",
    required=True,
    columns=(
        Column("patient_id", "text", "unique patient identifier"),
        Column("practice_code", "text", "ODS code of the registered practice"),
        Column("date_of_birth", "date", "date of birth"),
        Column("sex", "text", "F, M, I (indeterminate) or U (unknown)"),
        Column("registration_date", "date", "date of registration at the practice"),
        Column("deregistration_date", "date", "empty if still registered", required=False),
        Column("death_date", "date", "empty if alive", required=False),
    ),
)

EVENTS = Table(
    "events",
    required=True,
    columns=(
        Column("patient_id", "text", "the patient the event belongs to"),
        Column("date", "date", "date of the event"),
        Column("code", "text", "SNOMED CT or dm+d concept id (digits only)"),
        Column("value", "number", "numeric value, empty if none", required=False),
    ),
)

PRACTICES = Table(
    "practices",
    required=False,
    columns=(
        Column("practice_code", "text", "ODS code of the practice"),
        Column("practice_name", "text", "name of the practice", required=False),
        Column("pcn_code", "text", "code of the primary care network", required=False),
        Column("list_size", "integer", "registered list size", required=False),
    ),
)

TABLES: tuple[Table, ...] = (PATIENTS, EVENTS, PRACTICES)

_ACCEPTED_SOURCES: dict[ColumnKind, str] = {
    "text": "text or integer",
    "date": "date or ISO text",
    "number": "number or text",
    "integer": "integer or text",
}


def _accepts(kind: ColumnKind, source: pl.DataType) -> bool:
    if source == pl.String or source == pl.Null:
        return True
    if kind == "text":
        return source.is_integer() or isinstance(source, pl.Categorical | pl.Enum)
    if kind == "date":
        return source == pl.Date or isinstance(source, pl.Datetime)
    return source.is_numeric()


def type_problem(column: Column, source: pl.DataType) -> str | None:
    """Why a stored column type cannot hold this contract column, or None if it can."""
    if _accepts(column.kind, source):
        return None
    return f"stored as {source}, expected {_ACCEPTED_SOURCES[column.kind]}"


def raw_value(name: str, source: pl.DataType) -> pl.Expr:
    """The column as stored, with text trimmed and empty text treated as missing."""
    col = pl.col(name)
    if source != pl.String:
        return col
    trimmed = col.str.strip_chars()
    return pl.when(trimmed.str.len_bytes() > 0).then(trimmed)


def parse(raw: pl.Expr, column: Column, source: pl.DataType) -> pl.Expr:
    """Turn a raw value into the contract type; anything unparseable becomes null."""
    target = column.dtype
    if source == pl.Null:
        return raw.cast(target)
    if column.kind == "date" and source == pl.String:
        # The regex keeps the format strict: the date parser alone accepts "2020-1-5".
        parsed = raw.str.to_date(DATE_FORMAT, strict=False)
        return pl.when(raw.str.contains(ISO_DATE)).then(parsed)
    if column.kind == "date" and isinstance(source, pl.Datetime):
        return raw.dt.date()
    if column.kind == "integer" and source.is_float():
        # A float list size is fine only if it is a whole number (e.g. written by pandas).
        return pl.when(raw == raw.round()).then(raw.cast(target, strict=False))
    return raw.cast(target, strict=False)


def typed_column(column: Column, source: pl.DataType | None) -> pl.Expr:
    """The contract column from a frame whose stored type is ``source`` (None: absent)."""
    if source is None:
        return pl.lit(None, dtype=column.dtype).alias(column.name)
    return parse(raw_value(column.name, source), column, source).alias(column.name)
