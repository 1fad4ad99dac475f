"""Excel workbooks (XlsxWriter through Polars): one sheet per table of a result, typed columns,
frozen header row, autofilter, and £ columns formatted as currency."""

from __future__ import annotations

import io

import polars as pl
import xlsxwriter

from qofcli.reports.formats import Result

CURRENCY = "£#,##0.00"
NUMBER = "#,##0.00"


def workbook_bytes(result: Result) -> bytes:
    """Every table of `result` as its own sheet, in order."""
    buffer = io.BytesIO()
    with xlsxwriter.Workbook(buffer, {"in_memory": True}) as workbook:
        for name, frame in result.tables.items():
            _sheet(workbook, name, frame, set(result.currency))
    return buffer.getvalue()


def _sheet(
    workbook: xlsxwriter.Workbook, name: str, frame: pl.DataFrame, currency: set[str]
) -> None:
    frame = _flat(frame)
    numeric = [c for c, t in frame.schema.items() if t.is_numeric()]
    money = [c for c in numeric if "pounds" in c or c in currency]
    decimals = [c for c, t in frame.schema.items() if t.is_float() and c not in money]
    frame.write_excel(
        workbook=workbook,
        worksheet=name[:31],
        table_style=None,
        autofilter=True,
        freeze_panes=(1, 0),
        autofit=True,
        column_formats={**dict.fromkeys(money, CURRENCY), **dict.fromkeys(decimals, NUMBER)},
        float_precision=4,
        include_header=True,
    )


def _flat(frame: pl.DataFrame) -> pl.DataFrame:
    """Cells hold one value: list columns (a worklist's indicators) become `;`-joined text."""
    lists = [name for name, dtype in frame.schema.items() if isinstance(dtype, pl.List)]
    return frame.with_columns(pl.col(c).list.join("; ") for c in lists)
