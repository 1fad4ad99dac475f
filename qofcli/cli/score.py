"""`qof score`: registers, prevalence, achievement, points and £ per practice, PCN or run."""

from __future__ import annotations

import getpass
import tempfile
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from qofcli import api
from qofcli.batches import DEFAULT_BATCH_PATIENTS
from qofcli.cli.app import app, progress, stdout, user_errors
from qofcli.cli.common import ruleset_and_extract, show_batch, warn_if_wrong_year
from qofcli.cli.options import (
    AsOfOpt,
    BatchOpt,
    By,
    ByOpt,
    ExtractArg,
    MapOpt,
    OutputOpt,
    RulesetOpt,
    parse_as_of,
)
from qofcli.errors import UsageError
from qofcli.extract import ExtractMapping
from qofcli.reports.console import render_score
from qofcli.reports.files import score_document
from qofcli.reports.formats import Result, choose_format, write_result
from qofcli.ruleset.model import Ruleset
from qofcli.scoring.achievement import Score
from qofcli.scoring.claims import Claims
from qofcli.scoring.payment import Rates, rates_for, read_national_prevalence


class ScoreFormat(StrEnum):
    table = "table"
    csv = "csv"
    json = "json"
    parquet = "parquet"
    xlsx = "xlsx"


class Engine(StrEnum):
    local = "local"
    spark = "spark"


class ScoreTable(StrEnum):
    indicators = "indicators"
    registers = "registers"
    practices = "practices"
    reasons = "reasons"
    domains = "domains"
    totals = "totals"


PointValueOpt = Annotated[
    float | None,
    typer.Option(
        "--point-value", help="What-if £ per point (default: the ruleset's \\[payment] figure)."
    ),
]
ListSizeOpt = Annotated[
    float | None,
    typer.Option("--list-size", help="What-if national average list size, the CPI denominator."),
]
PrevalenceOpt = Annotated[
    Path | None,
    typer.Option(
        "--national-prevalence",
        help="What-if national prevalence: CSV 'register,prevalence' (% of the whole list).",
    ),
]
ProtectedOpt = Annotated[
    Path | None,
    typer.Option(
        "--protected-points",
        help="Income-protected points: CSV 'practice_code,indicator,points' (e.g. the "
        "practice's 2023/24 points for qof-2024-25). Without it their points are not computed.",
    ),
]
DeclarationsOpt = Annotated[
    Path | None,
    typer.Option(
        "--declarations",
        help="Manually declared indicators (QI modules): CSV 'practice_code,indicator,achieved' "
        "with yes/no. Without it their points are not computed.",
    ),
]

EngineOpt = Annotated[
    Engine,
    typer.Option(
        "--engine",
        help="local (this machine) or spark: the same engine per practice on Apache Spark "
        "(pip install 'qofcli[spark]' and Java 17+); see README, National scale on Spark.",
    ),
]
MasterOpt = Annotated[
    str,
    typer.Option("--master", help="Spark master URL for --engine spark, e.g. spark://host:7077."),
]

BaselineOpt = Annotated[
    Path | None,
    typer.Option(
        "--vaccination-baseline",
        help="Childhood vaccination improvement route (VI001-VI003 from 2026/27): CSV "
        "'practice_code,indicator,baseline' (the practice's 2-year average achievement %). "
        "Without it those indicators earn threshold points only.",
    ),
]


def rates_from_options(
    ruleset: Ruleset, point_value: float | None, list_size: float | None, prevalence: Path | None
) -> Rates:
    """The ruleset's payment figures with the what-if options laid over them."""
    shipped = ruleset.payment.national_prevalence
    table = (
        read_national_prevalence(prevalence, list(ruleset.registers), shipped)
        if prevalence
        else None
    )
    return rates_for(ruleset, point_value, list_size, table)


@app.command()
@user_errors
def score(
    extract: ExtractArg,
    ruleset: RulesetOpt = None,
    as_of: AsOfOpt = None,
    fmt: Annotated[
        ScoreFormat | None,
        typer.Option(
            "--format",
            "-f",
            help="table for people; csv/json/parquet for scripts; xlsx (every table, one sheet "
            "each). Default: from the --output extension, else table.",
            show_default=False,
        ),
    ] = None,
    table: Annotated[
        ScoreTable,
        typer.Option("--table", help="Which table csv/parquet output holds (json holds all)."),
    ] = ScoreTable.indicators,
    output: OutputOpt = None,
    map_file: MapOpt = None,
    by: ByOpt = By.practice,
    point_value: PointValueOpt = None,
    list_size: ListSizeOpt = None,
    national_prevalence: PrevalenceOpt = None,
    protected_points: ProtectedOpt = None,
    declarations: DeclarationsOpt = None,
    vaccination_baseline: BaselineOpt = None,
    engine: EngineOpt = Engine.local,
    master: MasterOpt = "local[*]",
    batch_patients: BatchOpt = DEFAULT_BATCH_PATIENTS,
) -> None:
    """Score an extract: registers, prevalence, achievement, points and £ for each practice.

    £ = points × £ per point × CPI × APDF (see README). With --as-of, also the patients still
    needed for full points and the £ still available.

    \b
    Examples:
      qof score sample_data
      qof score EXTRACT --as-of today            # in-year: patients needed, £ left
      qof score EXTRACT -o score.json            # format from the extension
      qof score EXTRACT --by pcn -f csv --table indicators
    """
    chosen = choose_format(fmt and fmt.value, output, list(ScoreFormat), ScoreFormat.table)
    when = parse_as_of(as_of)
    rules, data = ruleset_and_extract(ruleset, extract, when, map_file)
    rates = rates_from_options(rules, point_value, list_size, national_prevalence)
    claims = api.read_claims(rules, protected_points, declarations, vaccination_baseline)
    with progress(f"Scoring {extract} with {rules.id}..."):
        if engine == Engine.spark:
            mapping = api.load_mapping(map_file) if map_file else None
            result = _spark_score(extract, mapping, rules, when, rates, by.value, claims, master)
        else:
            result = api.score(
                data, rules, when, rates, by.value, claims, batch_patients, on_batch=show_batch
            )
    warn_if_wrong_year(data, rules)
    if chosen == ScoreFormat.table:
        render_score(result, stdout)
        return
    write_result(score_result(result, table.value), chosen, output, echo)


SPARK_LOG = Path(tempfile.gettempdir()) / f"qofcli-spark-{getpass.getuser()}.log"


def _spark_score(
    path: Path,
    mapping: ExtractMapping | None,
    rules: Ruleset,
    when: date | None,
    rates: Rates,
    by: str,
    claims: Claims,
    master: str,
) -> Score:
    """The same score counted per practice on Spark (the extract, read through `mapping` if
    given, was validated already)."""
    try:
        from qofcli import spark
    except ImportError:
        raise UsageError("--engine spark needs PySpark: pip install 'qofcli[spark]'") from None
    with spark.spark_errors(str(SPARK_LOG)):
        session = spark.start_session(master, log=SPARK_LOG)
        tables = spark.read_extract(session, path, mapping)
        scored = spark.score(
            tables.patients, tables.events, rules, when, rates, claims, tables.practices
        )
        return scored.to_local(by)


def score_result(result: Score, table: str) -> Result:
    """A score as the file formats see it: every table, `table` first for CSV/Parquet."""
    tables = {name.value: getattr(result, name.value) for name in ScoreTable}
    return Result(tables, main=table, document=lambda: score_document(result))


def echo(text: str) -> None:
    typer.echo(text, nl=False)
