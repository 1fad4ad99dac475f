"""`qof report`: a single-file HTML report or an Excel workbook of a score."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from qofcli import api
from qofcli.batches import DEFAULT_BATCH_PATIENTS
from qofcli.cli.app import app, progress, user_errors
from qofcli.cli.common import ruleset_and_extract, show_batch, warn_if_wrong_year
from qofcli.cli.options import (
    AsOfOpt,
    BatchOpt,
    ExtractArg,
    MapOpt,
    RulesetOpt,
    parse_as_of,
)
from qofcli.cli.score import echo
from qofcli.errors import UsageError
from qofcli.reports.formats import choose_format, write_result
from qofcli.reports.report import build_report


class ReportFormat(StrEnum):
    html = "html"
    xlsx = "xlsx"


class ReportBy(StrEnum):
    practice = "practice"
    pcn = "pcn"


@app.command()
@user_errors
def report(
    extract: ExtractArg,
    output: Annotated[
        Path,
        typer.Option(
            "--output",
            "-o",
            help="report.html (one self-contained page) or report.xlsx (one sheet per table).",
            show_default=False,
        ),
    ],
    ruleset: RulesetOpt = None,
    as_of: AsOfOpt = None,
    compare: Annotated[
        str | None,
        typer.Option(
            "--compare",
            help="Also show what this other ruleset (id or folder) would give: the rule "
            "changes and their £ effect, e.g. --compare qof-2025-26.",
        ),
    ] = None,
    by: Annotated[
        ReportBy,
        typer.Option("--by", help="practice, or pcn (practices.pcn_code) for PCN roll-ups."),
    ] = ReportBy.practice,
    fmt: Annotated[
        ReportFormat | None,
        typer.Option("--format", "-f", help="html or xlsx; default from the --output extension."),
    ] = None,
    include_patients: Annotated[
        bool,
        typer.Option(
            "--include-patients",
            help="Add every patient's status and reason (patient identifiers: only where "
            "patient data may be kept).",
        ),
    ] = False,
    map_file: MapOpt = None,
    batch_patients: BatchOpt = DEFAULT_BATCH_PATIENTS,
) -> None:
    """Write a report people can read and share: points and £ against the maximum, achievement
    against thresholds, prevalence against England, PCA rates; no patient data unless asked.

    Example: qof report sample_data -r qof-2025-26 -o report.html
    """
    chosen = choose_format(fmt and fmt.value, output, list(ReportFormat), None)
    achievement_date = parse_as_of(as_of)
    rules, data = ruleset_and_extract(ruleset, extract, achievement_date, map_file)
    other = api.load_ruleset(compare) if compare else None
    with progress(f"Scoring {extract} with {rules.id}..."):
        shown = api.report(
            data,
            rules,
            achievement_date,
            by.value,
            other,
            include_patients,
            batch_patients,
            show_batch,
        )
    warn_if_wrong_year(data, rules)
    if shown.score.practices.height == 0:
        raise UsageError(f"{extract}: no practices to report on")
    document = build_report(shown.score, shown.comparison, shown.patients)
    write_result(document.result(), chosen, output, echo)
