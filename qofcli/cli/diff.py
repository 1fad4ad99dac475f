"""`qof diff`: what changed between two rulesets, and (with an extract) what it does to results."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import polars as pl
import typer

from qofcli import api
from qofcli.batches import DEFAULT_BATCH_PATIENTS
from qofcli.cli.app import app, progress, stdout, user_errors
from qofcli.cli.common import show_batch, warn_if_wrong_year
from qofcli.cli.options import AsOfOpt, BatchOpt, By, ByOpt, MapOpt, OutputOpt, parse_as_of
from qofcli.cli.score import echo
from qofcli.errors import UsageError
from qofcli.reports.console import render_diff
from qofcli.reports.files import diff_document
from qofcli.reports.formats import Result, choose_format, write_result
from qofcli.ruleset.diff import CHANGE_FIELDS, RulesetDiff, diff_rulesets
from qofcli.scoring.compare import Comparison


class DiffFormat(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"
    xlsx = "xlsx"


class DiffTable(StrEnum):
    changes = "changes"
    indicators = "indicators"
    units = "units"
    patients = "patients"


RulesetArg = Annotated[
    str,
    typer.Argument(
        metavar="RULESET", help="Shipped ruleset id or ruleset folder.", show_default=False
    ),
]


@app.command()
@user_errors
def diff(
    ruleset_a: RulesetArg,
    ruleset_b: RulesetArg,
    extract: Annotated[
        Path | None,
        typer.Option("--extract", "-e", help="Also score this extract under both rulesets."),
    ] = None,
    as_of: AsOfOpt = None,
    by: ByOpt = By.practice,
    patients: Annotated[
        bool,
        typer.Option(
            "--patients",
            help="With --extract: list patients whose status changes (holds patient ids).",
        ),
    ] = False,
    fmt: Annotated[
        DiffFormat | None,
        typer.Option(
            "--format",
            "-f",
            help="table for people; json/csv for scripts; xlsx (every table, one sheet each). "
            "Default: from the --output extension, else table.",
            show_default=False,
        ),
    ] = None,
    table: Annotated[
        DiffTable | None,
        typer.Option(
            "--table",
            help="Which table CSV holds. Default: patients with --patients, indicators with "
            "--extract, else changes.",
        ),
    ] = None,
    output: OutputOpt = None,
    map_file: MapOpt = None,
    exit_code: Annotated[
        bool, typer.Option("--exit-code", help="Exit 1 when there are differences, 0 when none.")
    ] = False,
    batch_patients: BatchOpt = DEFAULT_BATCH_PATIENTS,
) -> None:
    """Compare two rulesets: indicators added, removed, renamed; points, thresholds, registers,
    rule steps and cluster codes, and the indicators each change affects. With --extract, the
    figures under each and the change.

    \b
    Examples:
      qof diff qof-2025-26 qof-2026-27
      qof diff qof-2025-26 qof-2026-27 --extract EXTRACT -o diff.csv
      qof diff qof-2026-27 ./my-icb-scheme --extract EXTRACT --patients -f json
    """
    if extract is None and (patients or as_of):
        raise UsageError(f"{'--patients' if patients else '--as-of'} needs --extract EXTRACT")
    chosen = choose_format(fmt and fmt.value, output, list(DiffFormat), DiffFormat.table)
    a, b = api.load_ruleset(ruleset_a), api.load_ruleset(ruleset_b)
    comparison = None
    if extract is None:
        structure = diff_rulesets(a, b)
    else:
        mapping = api.load_mapping(map_file) if map_file else None
        data = api.open_extract(extract, b, mapping)
        with progress(f"Scoring {extract} with {a.id} and {b.id}..."):
            comparison = api.compare(
                data, a, b, parse_as_of(as_of), by.value, patients, batch_patients, show_batch
            )
        warn_if_wrong_year(data, a, b)
        structure = comparison.structure
    _write(structure, comparison, chosen, table, output)
    changed = comparison.changed if comparison is not None else not structure.empty
    if exit_code and changed:
        raise typer.Exit(1)


def _write(
    structure: RulesetDiff,
    comparison: Comparison | None,
    fmt: str,
    table: DiffTable | None,
    output: Path | None,
) -> None:
    if fmt == DiffFormat.table:
        render_diff(structure, comparison, stdout)
        return
    main = _csv_table(structure, comparison, table) if fmt == DiffFormat.csv else None
    tables = _diff_tables(structure, comparison, main)
    result = Result(
        tables,
        main=next(iter(tables)),
        document=lambda: diff_document(structure, comparison),
        currency=("pounds_a", "pounds_b", "pounds_change", "max_pounds_a", "max_pounds_b"),
    )
    write_result(result, fmt, output, echo)


def _diff_tables(
    structure: RulesetDiff, comparison: Comparison | None, main: pl.DataFrame | None
) -> dict[str, pl.DataFrame]:
    """The CSV's chosen table, or (for a workbook) every table the diff has."""
    if main is not None:
        return {"main": main}
    tables = {"changes": _csv_table(structure, None, DiffTable.changes)}
    if comparison is not None:
        tables |= {"indicators": comparison.indicators, "units": comparison.units}
        if comparison.patients is not None:
            tables["patients"] = comparison.patients
    return tables


def _csv_table(
    structure: RulesetDiff, comparison: Comparison | None, table: DiffTable | None
) -> pl.DataFrame:
    if table is None:
        table = DiffTable.changes
        if comparison is not None:
            table = DiffTable.patients if comparison.patients is not None else DiffTable.indicators
    if table is DiffTable.changes:
        return pl.DataFrame(structure.records(), schema=dict.fromkeys(CHANGE_FIELDS, pl.String))
    if comparison is None:
        raise UsageError(f"--table {table.value} needs --extract EXTRACT")
    if table is DiffTable.patients:
        if comparison.patients is None:
            raise UsageError("--table patients needs --patients")
        return comparison.patients
    return comparison.indicators if table is DiffTable.indicators else comparison.units
