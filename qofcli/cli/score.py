"""`qof score`: registers, prevalence, achievement and points per practice."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import typer

from qofcli import api
from qofcli.cli.app import app, progress, stdout, user_errors
from qofcli.cli.common import ruleset_and_extract
from qofcli.cli.options import AsOfOpt, ExtractArg, OutputOpt, RulesetOpt, parse_as_of
from qofcli.errors import UsageError
from qofcli.reports.console import render_score
from qofcli.reports.files import frame_bytes, json_text, score_document, write_atomic


class ScoreFormat(StrEnum):
    table = "table"
    csv = "csv"
    json = "json"
    parquet = "parquet"


class ScoreTable(StrEnum):
    indicators = "indicators"
    registers = "registers"
    practices = "practices"
    reasons = "reasons"


@app.command()
@user_errors
def score(
    extract: ExtractArg,
    ruleset: RulesetOpt = None,
    as_of: AsOfOpt = None,
    fmt: Annotated[
        ScoreFormat,
        typer.Option("--format", "-f", help="table for people; csv/json/parquet for scripts."),
    ] = ScoreFormat.table,
    table: Annotated[
        ScoreTable,
        typer.Option("--table", help="Which table csv/parquet output holds (json holds all)."),
    ] = ScoreTable.indicators,
    output: OutputOpt = None,
) -> None:
    """Score an extract: registers, prevalence, achievement and points for each practice."""
    rules, data = ruleset_and_extract(ruleset, extract)
    with progress(f"Scoring {extract} with {rules.id}..."):
        result = api.score(data, rules, parse_as_of(as_of))
    if fmt is ScoreFormat.table:
        if output is not None:
            raise UsageError("--output needs --format csv, json or parquet")
        render_score(result, stdout)
        return
    if fmt is ScoreFormat.json:
        payload = json_text(score_document(result)).encode()
    else:
        payload = frame_bytes(getattr(result, table.value), fmt.value)
    emit(payload, output, fmt.value)


def emit(payload: bytes, output, fmt: str) -> None:  # type: ignore[no-untyped-def]
    """Write bytes to --output atomically, or to stdout for text formats."""
    if output is None:
        if fmt == "parquet":
            raise UsageError("--format parquet needs --output FILE")
        typer.echo(payload.decode(), nl=False)
        return
    write_atomic(output, lambda stream: stream.write(payload))
