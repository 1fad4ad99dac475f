"""Rich tables for people: score summaries, ruleset lists and validation reports."""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl
from rich.console import Console
from rich.table import Table

from qofcli.extract import ValidationReport
from qofcli.ruleset.model import Ruleset
from qofcli.scoring.achievement import Score


def render_score(score: Score, console: Console) -> None:
    """One block per practice: registers, then indicators with counts, achievement and points."""
    evaluation = score.evaluation
    ruleset = evaluation.ruleset
    console.print(
        f"[bold]{ruleset.title}[/bold] ({ruleset.id}, business rules {ruleset.business_rules}); "
        f"achievement date {evaluation.achievement_date.isoformat()}"
    )
    registers = score.registers.partition_by("practice_code", as_dict=True)
    indicators = score.indicators.partition_by("practice_code", as_dict=True)
    for practice in score.practices.to_dicts():
        code = practice["practice_code"]
        name = f" {practice['practice_name']}" if practice.get("practice_name") else ""
        source = "practices table" if practice["list_size_source"] == "practices" else "registered"
        console.print()
        console.print(
            f"[bold]{code}{name}[/bold]: list size {practice['list_size']:,} ({source}), "
            f"points {practice['points']:.2f} of {practice['max_points']:g}"
        )
        console.print(_register_table(registers.get((code,))))
        console.print(_indicator_table(indicators.get((code,))))


def _register_table(frame: pl.DataFrame | None) -> Table:
    table = Table(title="Registers", title_justify="left")
    for header in ("Register", "Indicator", "Patients", "Prevalence %"):
        table.add_column(header, justify="left" if header in ("Register", "Indicator") else "right")
    for row in [] if frame is None else frame.to_dicts():
        table.add_row(
            row["register"],
            row["indicator"] or "",
            f"{row['size']:,}",
            _number(row["prevalence"], 2),
        )
    return table


def _indicator_table(frame: pl.DataFrame | None) -> Table:
    table = Table(title="Indicators", title_justify="left")
    headers = ("Indicator", "Denom.", "Num.", "PCA", "Excl.", "Achieved %", "Range %", "Points")
    for header in headers:
        table.add_column(header, justify="left" if header == "Indicator" else "right")
    for row in [] if frame is None else frame.to_dicts():
        table.add_row(
            row["indicator"],
            f"{row['denominator']:,}",
            f"{row['numerator']:,}",
            f"{row['pca']:,}",
            f"{row['excluded']:,}",
            _number(row["achievement"], 1),
            f"{row['lower']:g}-{row['upper']:g}",
            f"{row['points']:.2f}/{row['max_points']:g}",
        )
    return table


def _number(value: float | None, digits: int) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def render_rulesets(rulesets: Sequence[Ruleset], default_id: str, console: Console) -> None:
    table = Table(title="Shipped rulesets")
    for header in ("Id", "QOF year", "Business rules", "Indicators", "Points", "Extends"):
        table.add_column(header, justify="right" if header in ("Indicators", "Points") else "left")
    for ruleset in rulesets:
        marker = " (default)" if ruleset.id == default_id else ""
        table.add_row(
            ruleset.id + marker,
            ruleset.qof_year,
            ruleset.business_rules,
            str(indicator_count(ruleset)),
            f"{ruleset.total_points:g}",
            ruleset.extends or "",
        )
    console.print(table)


def indicator_count(ruleset: Ruleset) -> int:
    """Paid indicators, counting register indicators that carry points."""
    paid_registers = sum(1 for r in ruleset.registers.values() if r.points > 0)
    return len(ruleset.indicators) + paid_registers


def render_validation(report: ValidationReport, console: Console) -> None:
    """Every problem on its own line, then a one-line summary."""
    for problem in report.problems:
        style = "red" if problem.severity == "error" else "yellow"
        console.print(f"[{style}]{problem.line()}[/{style}]", highlight=False, soft_wrap=True)
    errors, warnings = len(report.errors), len(report.warnings)
    if not report.problems:
        console.print("[green]extract is valid: no problems found[/green]")
    else:
        console.print(f"{errors} error(s), {warnings} warning(s)")
