"""Read a practice export that is not in the contract's shape, through a mapping file.

A mapping (TOML, documented in docs/extract-format.md) says, per table, which file holds it,
which source column feeds each contract column, how dates are written, how coded values
(e.g. ``Female``) translate, and which extra value columns become events of their own (a
blood pressure exported as one row with systolic and diastolic columns becomes two events).
The result is the contract's raw columns, so validation and loading work unchanged.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from qofcli.errors import ExtractError
from qofcli.extract.schema import DATE_FORMAT, EVENTS, TABLES, Table

_TABLE_KEYS = {"file", "date_format", "columns", "values", "split"}
_SPLIT_KEYS = {"column", "code", "when_code"}


@dataclass(frozen=True)
class Split:
    """A source value column that becomes an event of its own with ``code``."""

    column: str
    code: str
    when_code: tuple[str, ...] = ()


@dataclass(frozen=True)
class TableMapping:
    """How one contract table is read from a source file."""

    table: Table
    file: str | None = None
    date_format: str | None = None
    columns: Mapping[str, str] = field(default_factory=dict)  # contract column -> source
    values: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    splits: tuple[Split, ...] = ()

    def source_of(self, column: str) -> str:
        return self.columns.get(column, column)

    def describe(self, column: str) -> str | None:
        """How a contract column was read, for messages (None when read as is)."""
        source = self.columns.get(column)
        kind = next((c.kind for c in self.table.columns if c.name == column), None)
        fmt = self.date_format if kind == "date" else None
        if source is None and fmt is None:
            return None
        parts = [f"source column '{source or column}'"] + ([f"dates as {fmt}"] if fmt else [])
        return ", ".join(parts)

    def apply(self, lf: pl.LazyFrame, schema: pl.Schema) -> pl.LazyFrame:
        """The contract's columns (as stored, dates rewritten as ISO text), plus split events."""
        present = [c for c in self.table.columns if self.source_of(c.name) in schema]
        frame = lf.select(self._column(c.name, c.kind, schema) for c in present)
        if not self.splits:
            return frame
        return pl.concat(
            [frame, *(self._split(lf, s, schema) for s in self.splits)], how="diagonal"
        )

    def _column(self, name: str, kind: str, schema: pl.Schema) -> pl.Expr:
        source = self.source_of(name)
        expr = pl.col(source)
        if name in self.values and schema[source] == pl.String:
            expr = expr.str.strip_chars().replace(dict(self.values[name]))
        if kind == "date" and self.date_format and schema[source] == pl.String:
            text = expr.str.strip_chars()
            iso = text.str.to_date(self.date_format, strict=False).dt.strftime(DATE_FORMAT)
            # Unparseable text stays as written, so validation reports it with its row.
            expr = pl.coalesce(iso, text)
        return expr.alias(name)

    def _split(self, lf: pl.LazyFrame, split: Split, schema: pl.Schema) -> pl.LazyFrame:
        rows = lf.filter(pl.col(split.column).is_not_null())
        if split.when_code:
            code = pl.col(self.source_of("code")).cast(pl.String).str.strip_chars()
            rows = rows.filter(code.is_in(list(split.when_code)))
        keep = [c for c in ("patient_id", "date") if self.source_of(c) in schema]
        return rows.select(
            *(self._column(c, "date" if c == "date" else "text", schema) for c in keep),
            pl.lit(split.code).alias("code"),
            pl.col(split.column).alias("value"),
        )


@dataclass(frozen=True)
class ExtractMapping:
    """The mappings of a whole extract, by contract table name."""

    path: Path
    tables: Mapping[str, TableMapping]

    def get(self, table: Table) -> TableMapping | None:
        return self.tables.get(table.name)


def load_mapping(path: Path) -> ExtractMapping:
    """Read and check a mapping file; every mistake is one line naming the file and key."""
    try:
        with path.open("rb") as handle:
            data = tomllib.load(handle)
    except FileNotFoundError:
        raise ExtractError(f"{path}: mapping file not found; check the --map path") from None
    except tomllib.TOMLDecodeError as exc:
        raise ExtractError(f"{path}: not valid TOML ({exc}); see docs/extract-format.md") from None
    by_name = {t.name: t for t in TABLES}
    unknown = sorted(set(data) - set(by_name))
    if unknown:
        raise _error(path, unknown[0], f"unknown table; use {', '.join(by_name)}")
    tables = {name: _table(path, by_name[name], spec) for name, spec in data.items()}
    return ExtractMapping(path, tables)


def _error(path: Path, key: str, problem: str) -> ExtractError:
    return ExtractError(f"{path}: [{key}]: {problem} (see docs/extract-format.md, Mappings)")


def _table(path: Path, table: Table, spec: Any) -> TableMapping:
    name = table.name
    if not isinstance(spec, dict):
        raise _error(path, name, "must be a table of keys")
    unknown = sorted(set(spec) - _TABLE_KEYS)
    if unknown:
        raise _error(
            path, name, f"unknown key '{unknown[0]}'; use {', '.join(sorted(_TABLE_KEYS))}"
        )
    contract = {c.name for c in table.columns}
    columns = _strings(path, f"{name}.columns", spec.get("columns", {}))
    values = spec.get("values", {})
    for column in [*columns, *values]:
        if column not in contract:
            raise _error(path, name, f"'{column}' is not a column of {name}")
    date_format = spec.get("date_format")
    if date_format is not None and (not isinstance(date_format, str) or "%" not in date_format):
        raise _error(path, name, "date_format must be a strftime pattern such as '%d/%m/%Y'")
    splits = tuple(_split(path, name, s) for s in spec.get("split", []))
    if splits and table is not EVENTS:
        raise _error(path, name, "split applies to events only")
    return TableMapping(
        table=table,
        file=spec.get("file"),
        date_format=date_format,
        columns=columns,
        values={k: _strings(path, f"{name}.values.{k}", v) for k, v in values.items()},
        splits=splits,
    )


def _strings(path: Path, key: str, spec: Any) -> dict[str, str]:
    if not isinstance(spec, dict) or not all(isinstance(v, str) for v in spec.values()):
        raise _error(path, key, "must map names to text")
    return dict(spec)


def _split(path: Path, table: str, spec: Any) -> Split:
    key = f"{table}.split"
    if not isinstance(spec, dict) or set(spec) - _SPLIT_KEYS or not {"column", "code"} <= set(spec):
        raise _error(path, key, "each split needs column and code (optionally when_code)")
    code = str(spec["code"])
    if not code.isdigit():
        raise _error(path, key, f"code for column '{spec['column']}' must be digits only")
    return Split(str(spec["column"]), code, tuple(str(c) for c in spec.get("when_code", [])))
