"""`qof patients`: one row per patient per indicator, with the rule that decided it."""

from __future__ import annotations

from enum import StrEnum
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
    OutputOpt,
    RulesetOpt,
    parse_as_of,
)
from qofcli.cli.score import ListSizeOpt, PointValueOpt, PrevalenceOpt, echo, rates_from_options
from qofcli.errors import UsageError
from qofcli.reports.formats import Result, choose_format, write_result


class PatientFormat(StrEnum):
    csv = "csv"
    json = "json"
    parquet = "parquet"
    xlsx = "xlsx"


@app.command()
@user_errors
def patients(
    extract: ExtractArg,
    ruleset: RulesetOpt = None,
    as_of: AsOfOpt = None,
    indicator: Annotated[
        list[str] | None,
        typer.Option("--indicator", "-i", help="Only this indicator (repeatable)."),
    ] = None,
    status: Annotated[
        list[str] | None,
        typer.Option(
            "--status", "-s", help="Only achieved, not_achieved, pca or excluded (repeatable)."
        ),
    ] = None,
    fmt: Annotated[
        PatientFormat | None,
        typer.Option(
            "--format",
            "-f",
            help="csv, json, parquet or xlsx. Default: from the --output extension, else csv.",
            show_default=False,
        ),
    ] = None,
    output: OutputOpt = None,
    map_file: MapOpt = None,
    worklist: Annotated[
        bool,
        typer.Option(
            "--worklist",
            help="Instead: patients ranked by the £ at stake over the indicators they have "
            "not yet achieved, with what is missing.",
        ),
    ] = False,
    point_value: PointValueOpt = None,
    list_size: ListSizeOpt = None,
    national_prevalence: PrevalenceOpt = None,
    batch_patients: BatchOpt = DEFAULT_BATCH_PATIENTS,
) -> None:
    """Explain every patient on each indicator's register: status, reason and deciding rule.

    The output holds patient identifiers: write it only where patient data may be kept.

    \b
    Examples:
      qof patients EXTRACT -i DM020 -s not_achieved -o dm020.csv
      qof patients EXTRACT --worklist --as-of today -o worklist.xlsx
    """
    if worklist and (indicator or status):
        raise UsageError("--worklist ranks every not-achieved indicator; drop --indicator/--status")
    chosen = choose_format(fmt and fmt.value, output, list(PatientFormat), PatientFormat.csv)
    when = parse_as_of(as_of)
    rules, data = ruleset_and_extract(ruleset, extract, when, map_file)
    rates = rates_from_options(rules, point_value, list_size, national_prevalence)
    with progress(f"Evaluating {extract} with {rules.id}..."):
        if worklist:
            frame = api.worklist(data, rules, when, rates, batch_patients, show_batch)
        else:
            frame = api.patient_outcomes(
                data, rules, when, indicator, status, batch_patients, show_batch
            )
    warn_if_wrong_year(data, rules)
    name = "worklist" if worklist else "patients"
    write_result(Result({name: frame}, main=name), chosen, output, echo)
