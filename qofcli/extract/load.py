"""Find an extract's tables on disk and open them lazily with the contract's types.

Loading is deliberately cheap: it reads headers and Parquet metadata only. Bad values become
null here; ``validate_extract`` is the place that counts and reports them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import polars as pl

from qofcli.errors import ExtractError
from qofcli.extract.diagnose import diagnose_table
from qofcli.extract.mapping import ExtractMapping, TableMapping
from qofcli.extract.schema import EVENTS, PATIENTS, PRACTICES, Table, type_problem, typed_column

MEMORY = "<memory>"
DOCS_HINT = "see docs/extract-format.md"


@dataclass(frozen=True)
class Extract:
    """The typed lazy tables of one extract (columns exactly as in ``schema.py``)."""

    patients: pl.LazyFrame
    events: pl.LazyFrame
    practices: pl.LazyFrame | None
    source: str


class ExtractLayoutError(ExtractError):
    """A table cannot be used at all; carries the parts ``validate_extract`` reports."""

    def __init__(self, table: str, file: str, problem: str, fix: str) -> None:
        super().__init__(f"{file}: {problem}; {fix}")
        self.table = table
        self.file = file
        self.problem = problem
        self.fix = fix


@dataclass(frozen=True)
class TableFile:
    """Where one table lives: a CSV file, a Parquet file or a folder of Parquet files."""

    table: Table
    path: Path
    files: tuple[Path, ...]
    mapping: TableMapping | None = None
    hive_keys: tuple[str, ...] = ()  # parts in key=value folders: the keys are columns too

    @property
    def label(self) -> str:
        return self.path.name + ("/" if self.path.is_dir() else "")

    @property
    def is_csv(self) -> bool:
        return self.path.suffix == ".csv"

    def _scan(self) -> pl.LazyFrame:
        if self.is_csv:
            # Every CSV column is read as text, so ids and codes keep their leading zeros.
            lf = pl.scan_csv(self.path, infer_schema=False, with_column_names=_clean_header)
        else:
            # Partitions may carry columns we do not use; the contract ignores extra columns.
            # Partition values are read as text, so codes keep their leading zeros.
            lf = pl.scan_parquet(
                list(self.files),
                hive_partitioning=bool(self.hive_keys),
                hive_schema=dict.fromkeys(self.hive_keys, pl.String) or None,
                try_parse_hive_dates=False,
                extra_columns="ignore",
            )
        if self.mapping is None:
            return lf
        return self.mapping.apply(lf, lf.collect_schema())

    def open(self) -> tuple[pl.LazyFrame, pl.Schema]:
        """All columns as stored, and their types (read from the header or metadata only)."""
        try:
            lf = self._scan()
            return lf, lf.collect_schema()
        except (pl.exceptions.PolarsError, OSError) as exc:
            kind = "CSV with a header row" if self.is_csv else "Parquet"
            problem, fix = self.diagnosis() or ("cannot be read", f"check it is {kind}")
            raise ExtractLayoutError(self.table.name, str(self.path), problem, fix) from exc

    def diagnosis(self) -> tuple[str, str] | None:
        """Why the file does not read as the contract expects (encoding, separator, ...)."""
        return diagnose_table(self.table, self.files)


def _clean_header(names: list[str]) -> list[str]:
    # Spreadsheet exports often add a byte-order mark or stray spaces to the header.
    return [name.lstrip("\ufeff").strip() for name in names]


def check_folder(path: Path) -> Path:
    """The extract folder, or an ExtractError if it is not there."""
    if path.is_file():
        raise ExtractLayoutError(
            "extract",
            str(path),
            "is a file, not an extract folder",
            f"give the folder that holds {path.name} and the other tables",
        )
    if not path.is_dir():
        raise ExtractLayoutError("extract", str(path), "extract folder not found", "check the path")
    return path


def find_table(
    folder: Path, table: Table, mapping: ExtractMapping | None = None
) -> TableFile | None:
    """Locate a table in any of its three forms (or the mapping's file); None if absent."""
    name = table.name
    mapped = mapping.get(table) if mapping else None
    if mapping is not None and mapped is not None and mapped.file is not None:
        forms = [folder / mapped.file]
        if not forms[0].exists():
            raise ExtractLayoutError(
                name, str(forms[0]), "not found", f"check [{name}] file in {mapping.path}"
            )
    else:
        forms = [folder / f"{name}.csv", folder / f"{name}.parquet", folder / name]
    found = [p for p in forms if p.exists()]
    if len(found) > 1:
        names = " and ".join(p.name for p in found)
        raise ExtractLayoutError(
            name, str(folder), f"found both {names}", f"keep only one form of table '{name}'"
        )
    if not found:
        return None
    path = found[0]
    if not path.is_dir():
        return TableFile(table, path, (path,), mapped)
    return _partitioned(table, path, mapped)


def _partitioned(table: Table, folder: Path, mapped: TableMapping | None) -> TableFile:
    """A table stored as a folder of Parquet parts, plain or in hive key=value folders."""
    name, where = table.name, f"{folder}/"
    files = tuple(sorted(p for p in folder.rglob("*.parquet") if p.is_file()))
    if not files:
        raise ExtractLayoutError(
            name, where, "folder holds no .parquet files", "add the Parquet partitions"
        )
    if any(p.is_file() for p in folder.rglob("*.csv")):
        raise ExtractLayoutError(
            name,
            where,
            "folder mixes CSV files with its Parquet parts",
            f"a table folder holds Parquet parts only; give CSV as one {name}.csv",
        )
    keys = {_hive_keys(p.relative_to(folder)) for p in files}
    if len(keys) > 1:
        raise ExtractLayoutError(
            name,
            where,
            "parts sit in differently named key=value folders",
            "partition every part by the same keys (e.g. practice_code=A81001/part-0.parquet)",
        )
    _check_parts(table, folder, files)
    return TableFile(table, folder, files, mapped, keys.pop())


def _hive_keys(relative: Path) -> tuple[str, ...]:
    return tuple(part.split("=", 1)[0] for part in relative.parent.parts if "=" in part)


def _check_parts(table: Table, folder: Path, files: tuple[Path, ...]) -> None:
    """Every part must hold the same contract columns: Polars reads all parts with the first
    one's columns, so a column only some parts hold would be lost or fail late. (Parts whose
    types differ are diagnosed when they fail to read.)"""
    wanted = {c.name for c in table.columns}
    seen: tuple[Path, set[str]] | None = None
    for part in files:
        try:
            columns = wanted & set(pl.read_parquet_schema(part))
        except (pl.exceptions.PolarsError, OSError):
            return  # an unreadable part is reported when the table is opened
        if seen is None:
            seen = (part, columns)
        elif columns != seen[1]:
            first = seen[0]
            if seen[1] - columns:
                lacking, holding, missing = part, first, seen[1] - columns
            else:
                lacking, holding, missing = first, part, columns - seen[1]
            lacks, holds = (p.relative_to(folder).as_posix() for p in (lacking, holding))
            raise ExtractLayoutError(
                table.name,
                f"{folder}/",
                f"part {lacks} has no column '{min(missing)}', which {holds} has",
                "write every part with the same columns",
            )


def missing_table_error(folder: Path, table: Table) -> ExtractLayoutError:
    name = table.name
    return ExtractLayoutError(
        name,
        str(folder),
        f"required table '{name}' not found",
        f"add {name}.csv, {name}.parquet or a folder {name}/ of Parquet files",
    )


def column_problems(table: Table, schema: pl.Schema) -> dict[str, str]:
    """Contract columns that are missing or stored in an unusable type, with the reason."""
    problems: dict[str, str] = {}
    for column in table.columns:
        if column.name not in schema:
            if column.required:
                problems[column.name] = "required column missing"
            continue
        reason = type_problem(column, schema[column.name])
        if reason:
            problems[column.name] = reason
    return problems


def typed_frame(
    lf: pl.LazyFrame,
    table: Table,
    schema: pl.Schema,
    where: str,
    trimmed: frozenset[str] = frozenset(),
) -> pl.LazyFrame:
    """Select only the contract columns, in the contract's types, or raise ExtractError;
    `trimmed` text columns are known to hold no surrounding spaces or empty text (gate.py)."""
    problems = column_problems(table, schema)
    if problems:
        detail = "; ".join(f"column '{col}' {reason}" for col, reason in problems.items())
        raise ExtractLayoutError(table.name, where, detail, DOCS_HINT)
    return lf.select(
        pl.col(c.name)
        if c.name in trimmed and schema.get(c.name) == pl.String
        # trimming is the identity on these values: skip a pass over every string
        else typed_column(c, schema.get(c.name))
        for c in table.columns
    )


def require_table(folder: Path, table: Table, mapping: ExtractMapping | None = None) -> TableFile:
    """Locate a table that the extract must contain."""
    tf = find_table(folder, table, mapping)
    if tf is None:
        raise missing_table_error(folder, table)
    return tf


def _open(tf: TableFile, trimmed: frozenset[str] = frozenset()) -> pl.LazyFrame:
    lf, schema = tf.open()
    if column_problems(tf.table, schema):
        found = tf.diagnosis()
        if found is not None:
            raise ExtractLayoutError(tf.table.name, str(tf.path), *found)
    return typed_frame(lf, tf.table, schema, str(tf.path), trimmed)


def load_extract(
    path: Path, mapping: ExtractMapping | None = None, trimmed_events: frozenset[str] = frozenset()
) -> Extract:
    """Open an extract folder lazily; raises ExtractError for a layout that cannot work.
    `trimmed_events`: event text columns found already trimmed (``gate``)."""
    folder = check_folder(path)
    patients = _open(require_table(folder, PATIENTS, mapping))
    events = _open(require_table(folder, EVENTS, mapping), trimmed_events)
    practices_file = find_table(folder, PRACTICES, mapping)
    practices = None if practices_file is None else _open(practices_file)
    return Extract(patients, events, practices, source=str(folder))


def _from_frame(df: pl.DataFrame, table: Table) -> pl.LazyFrame:
    return typed_frame(df.lazy(), table, df.schema, f"{MEMORY} {table.name}")


def extract_from_frames(
    patients: pl.DataFrame, events: pl.DataFrame, practices: pl.DataFrame | None = None
) -> Extract:
    """Build an Extract from in-memory frames (tests), typed exactly as ``load_extract`` does."""
    return Extract(
        patients=_from_frame(patients, PATIENTS),
        events=_from_frame(events, EVENTS),
        practices=None if practices is None else _from_frame(practices, PRACTICES),
        source=MEMORY,
    )
