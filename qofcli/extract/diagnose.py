"""Say why a table file cannot be read the way the contract expects, and how to fix it.

Called only after something went wrong (columns missing, a read error), so it may read the
file's first bytes or scan its rows. Messages name encodings, separators, header spellings,
row numbers and part files; never a value from the file.
"""

from __future__ import annotations

import codecs
import csv
from pathlib import Path

import polars as pl

from qofcli.extract.schema import Table

SAMPLE_BYTES = 64 * 1024
SAVE_AS = "save it as CSV UTF-8 (comma delimited)"


def diagnose_table(table: Table, files: tuple[Path, ...]) -> tuple[str, str] | None:
    """(problem, fix) for a table that cannot be used, or None when nothing specific is found."""
    if len(files) == 1 and files[0].suffix == ".csv":
        return diagnose_csv(table, files[0])
    if files and all(f.suffix == ".parquet" for f in files):
        return diagnose_parquet_parts(files)
    return None


def diagnose_csv(table: Table, path: Path) -> tuple[str, str] | None:
    """Encoding, separator, header case, then ragged rows, in that order."""
    with path.open("rb") as handle:
        head = handle.read(SAMPLE_BYTES)
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "is UTF-16 encoded", SAVE_AS
    text = _decode(head)
    if text is None:
        return "is not UTF-8 (probably Windows-1252, e.g. from Excel)", SAVE_AS
    header = text.lstrip("\ufeff").splitlines()[0] if text.strip() else ""
    found = _header_problem(table, header)
    if found is not None:
        return found
    return _ragged_rows(path)


def _decode(head: bytes) -> str | None:
    try:
        return head.decode("utf-8")
    except UnicodeDecodeError as exc:
        # The sample may end inside a multi-byte character: that is not an encoding problem.
        if exc.start >= len(head) - 3:
            return head[: exc.start].decode("utf-8")
        return None


def _header_problem(table: Table, header: str) -> tuple[str, str] | None:
    if "," not in header:
        for separator, name in ((";", "semicolons"), ("\t", "tabs"), ("|", "vertical bars")):
            if separator in header:
                return f"is separated by {name}, not commas", SAVE_AS
    names = [n.strip().strip('"') for n in header.split(",")]
    wanted = {c.name for c in table.columns}
    wrong_case = [n for n in names if n not in wanted and n.lower() in wanted]
    if wrong_case:
        shown = ", ".join(f"'{n}' should be '{n.lower()}'" for n in wrong_case[:3])
        return f"header names are case-sensitive: {shown}", "rename the columns in lower case"
    return None


def _ragged_rows(path: Path) -> tuple[str, str] | None:
    """The first row whose number of fields differs from the header's (1-based data rows)."""
    with path.open(newline="", encoding="utf-8-sig", errors="replace") as handle:
        reader = csv.reader(handle)
        header = next(reader, None)
        if header is None:
            return "is empty", "write a header row and the data"
        for number, row in enumerate(reader, start=1):
            if row and len(row) != len(header):
                return (
                    f"row {number} has {len(row)} fields but the header has {len(header)}",
                    "check that row for a stray or missing comma (quote text containing commas)",
                )
    return None


def diagnose_parquet_parts(files: tuple[Path, ...]) -> tuple[str, str] | None:
    """The first part file whose column types differ from the first part's."""
    try:
        first = pl.read_parquet_schema(files[0])
    except (pl.exceptions.PolarsError, OSError):
        if len(files) == 1:
            return "is not a Parquet file", "write it again as Parquet"
        return f"part {files[0].name} is not a Parquet file", "rewrite or remove that part"
    for part in files[1:]:
        try:
            schema = pl.read_parquet_schema(part)
        except (pl.exceptions.PolarsError, OSError):
            return f"part {part.name} is not a Parquet file", "rewrite or remove that part"
        for column, dtype in schema.items():
            if column in first and first[column] != dtype:
                return (
                    f"part {part.name} stores column '{column}' as {dtype}, "
                    f"part {files[0].name} as {first[column]}",
                    "write every part with the same column types",
                )
    return None
