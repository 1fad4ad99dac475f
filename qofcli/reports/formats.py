"""The output-format registry: one place that maps a file format to its writer over a result's
tables, and that decides a command's format from `--format` and the `--output` extension.

Every command hands its result over as a `Result` (named tables, the table single-table formats
write, and its documented JSON shape); the CLI never branches on the format itself.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

import polars as pl

from qofcli.errors import UsageError
from qofcli.reports.files import check_output_path, frame_bytes, json_text, write_atomic


@dataclass(frozen=True)
class Result:
    """One command's result as the file formats see it.

    `tables` are named frames in the order a workbook shows them; `main` is the one CSV and
    Parquet write; `document` builds the documented JSON shape (else JSON holds `main`);
    `report` is the full report behind `qof report` (only the HTML writer reads it).
    """

    tables: Mapping[str, pl.DataFrame]
    main: str
    document: Callable[[], dict[str, Any]] | None = None
    report: Any = None
    currency: Sequence[str] = field(default_factory=tuple)  # extra £ columns for workbooks


@dataclass(frozen=True)
class FileFormat:
    name: str
    extensions: tuple[str, ...]
    write: Callable[[Result], bytes]
    text: bool  # may be written to stdout


def _csv(result: Result) -> bytes:
    return frame_bytes(result.tables[result.main], "csv")


def _parquet(result: Result) -> bytes:
    return frame_bytes(result.tables[result.main], "parquet")


def _json(result: Result) -> bytes:
    if result.document is not None:
        return json_text(result.document()).encode()
    return frame_bytes(result.tables[result.main], "json")


def _xlsx(result: Result) -> bytes:
    from qofcli.reports.xlsx import workbook_bytes  # XlsxWriter loads only when asked for

    return workbook_bytes(result)


def _html(result: Result) -> bytes:
    if result.report is None:
        raise UsageError("--format html is made by `qof report`; use it for an HTML report")
    from qofcli.reports.html import report_html  # matplotlib loads only when asked for

    return report_html(result.report).encode()


FORMATS: dict[str, FileFormat] = {
    f.name: f
    for f in (
        FileFormat("csv", (".csv",), _csv, text=True),
        FileFormat("json", (".json",), _json, text=True),
        FileFormat("parquet", (".parquet", ".pq"), _parquet, text=False),
        FileFormat("xlsx", (".xlsx",), _xlsx, text=False),
        FileFormat("html", (".html", ".htm"), _html, text=True),
    )
}


def format_of_path(path: Path) -> str | None:
    """The format an output file's extension names, if any."""
    suffix = path.suffix.lower()
    return next((f.name for f in FORMATS.values() if suffix in f.extensions), None)


def choose_format(
    option: str | None, output: Path | None, allowed: Sequence[str], default: str | None
) -> str:
    """The format to write, decided before any work: `--format` if given, else the `--output`
    extension, else `default`. A `--format` that contradicts the extension, a format the command
    cannot write, a binary format without `--output` and an output folder that does not exist
    are refused with one line."""
    named = format_of_path(output) if output is not None else None
    if option is not None and named is not None and option != named:
        raise UsageError(
            f"--format {option} contradicts --output {output} (a .{named} file); "
            f"drop --format or name the file .{option}"
        )
    chosen = option or named or default
    if chosen is None or (output is not None and chosen not in FORMATS):
        files = [name for name in allowed if name in FORMATS]
        raise UsageError(
            f"--output needs --format {' or '.join(files)}, or a file name ending "
            f"{' or '.join('.' + name for name in files)} (cannot tell the format of {output})"
        )
    if chosen not in allowed:
        raise UsageError(
            f"this command cannot write {chosen}; choose --format from {', '.join(allowed)}"
        )
    if output is None:
        if chosen in FORMATS and not FORMATS[chosen].text:
            raise UsageError(f"--format {chosen} needs --output FILE")
        return chosen
    check_output_path(output)
    return chosen


def write_result(
    result: Result, fmt: str, output: Path | None, echo: Callable[[str], None]
) -> None:
    """Write `result` in `fmt` to `output` atomically, or through `echo` (stdout) for text."""
    payload = FORMATS[fmt].write(result)
    if output is None:
        echo(payload.decode())
        return
    write_atomic(output, lambda stream: _write_all(stream, payload))


def _write_all(stream: BinaryIO, payload: bytes) -> None:
    stream.write(payload)
