"""Rich tables for people: score summaries, ruleset lists and validation reports."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

import polars as pl
from rich import box
from rich.console import Console
from rich.table import Table

from qofcli.extract import ValidationReport
from qofcli.ruleset.diff import Change, RulesetDiff
from qofcli.ruleset.model import Ruleset
from qofcli.scoring.achievement import Score
from qofcli.scoring.claims import ROUTE_NO_BASELINE, no_baseline_note
from qofcli.scoring.compare import Comparison

CODES_SHOWN = 5  # per cluster in the table; CSV and JSON list them all


def render_score(score: Score, console: Console) -> None:
    """One block per practice (or PCN): registers, indicators with points and £, domains; then
    the run's totals. In-year runs add patients still needed and £ still available."""
    evaluation = score.counts
    ruleset = evaluation.ruleset
    console.print(
        f"[bold]{ruleset.title}[/bold] ({ruleset.id}, business rules {ruleset.business_rules}); "
        f"achievement date {evaluation.achievement_date.isoformat()}"
    )
    console.print(_rates_line(score), highlight=False)
    key = score.key
    registers = score.registers.partition_by(key, as_dict=True)
    indicators = score.indicators.partition_by(key, as_dict=True)
    domains = score.domains.partition_by(key, as_dict=True)
    for unit in score.practices.to_dicts():
        code = unit[key]
        console.print()
        console.print(_unit_line(unit, key), highlight=False)
        console.print(_register_table(registers.get((code,))))
        console.print(_indicator_table(indicators.get((code,)), score.in_year, console.width))
        if (score.indicators["payment"] != "achievement").any():
            console.print(_PAYMENT_LEGEND, markup=False, highlight=False)
        if not score.indicators["computable"].all():
            console.print(_NOT_COMPUTABLE_LEGEND, markup=False, highlight=False)
        console.print(_domain_table(domains.get((code,)), "Domains"))
    console.print()
    console.print(_totals_line(score), highlight=False)
    console.print(_domain_table(score.domain_totals, "Domains, whole run"))
    for note in score.indicators["points_note"].drop_nulls().unique().sort():
        console.print(note, style="yellow", markup=False, highlight=False)
    unimproved = score.indicators.filter(pl.col("points_route") == ROUTE_NO_BASELINE)
    if unimproved.height:
        note = no_baseline_note(unimproved["indicator"].unique())
        console.print(note, style="yellow", markup=False, highlight=False)
    money = score.indicators.filter(pl.col("points_note").is_null())["pounds_note"]
    for note in money.drop_nulls().unique().sort():
        console.print(f"£ not computed: {note}", style="yellow", markup=False, highlight=False)


def _rates_line(score: Score) -> str:
    rates = score.rates
    known = len(rates.national_prevalence)
    prevalence = f"known for {known} registers" if known else "none"
    overridden = f" (overridden: {', '.join(rates.overridden)})" if rates.overridden else ""
    return (
        f"£ per point {_money(rates.pound_per_point)}, national average list size "
        f"{_count(rates.national_average_list_size)}, national prevalence "
        f"{prevalence}{overridden}\n{rates.prevalence_basis}"
    )


def _unit_line(unit: dict[str, object], key: str) -> str:
    if key == "practice_code":
        name = f" {unit['practice_name']}" if unit.get("practice_name") else ""
        source = "practices table" if unit["list_size_source"] == "practices" else "registered"
        title = f"[bold]{unit[key]}{name}[/bold]: list size {unit['list_size']:,} ({source})"
    else:
        members = ", ".join(unit["practices"])  # type: ignore[arg-type]
        title = f"[bold]{unit[key]}[/bold] ({members}): list size {unit['list_size']:,}"
    return f"{title}, {_points_and_money(unit)}"


def _totals_line(score: Score) -> str:
    total = score.totals.to_dicts()[0]
    how = (
        "points from pooled achievement, £ summed over practices" if score.by != "practice" else ""
    )
    suffix = f" ({how})" if how else ""
    return (
        f"[bold]Total[/bold]: {total['practices']} practice(s), list size "
        f"{total['list_size']:,}, {_points_and_money(total)}{suffix}"
    )


def _points_and_money(row: dict[str, object]) -> str:
    text = (
        f"points {row['points']:.2f} of {row['max_points']:g}, "
        f"£ {_money(row['pounds'])} of {_money(row['max_pounds'])}"  # type: ignore[arg-type]
    )
    unpriced = row.get("unpriced_points") or 0.0
    if unpriced:
        text += f" ({unpriced:.2f} points have no £)"
    missing = row.get("points_not_computed") or 0.0
    if missing:
        text += f" ({missing:g} points not computed: protected or declared, see notes)"
    blocked = row.get("points_not_computable") or 0.0
    if blocked:
        text += f" ({blocked:g} points not computable from public clusters, see notes)"
    return text


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


def _indicator_table(frame: pl.DataFrame | None, in_year: bool, width: int) -> Table:
    """Ids and numbers are never truncated: a terminal too narrow for every column loses the
    least needed ones (£ max, the threshold range, exclusions, PCAs, £) instead."""
    headers = ["Indicator", "Den.", "Num.", "PCA", "Excl.", "Ach. %", "Range", "Points"]
    headers += ["£", "£ max"] + (["Needed", "£ left"] if in_year else [])
    rows = [_indicator_cells(row, in_year) for row in ([] if frame is None else frame.to_dicts())]
    keep = list(range(len(headers)))
    for droppable in [headers.index(h) for h in ("£ max", "Range", "Excl.", "PCA", "£")]:
        if _table_width(headers, rows, keep) <= width:
            break
        keep.remove(droppable)
    table = Table(
        title="Indicators", title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False, padding=0
    )
    for i in keep:
        justify: Literal["left", "right"] = "left" if i == 0 else "right"
        table.add_column(headers[i], justify=justify, no_wrap=True)
    for cells in rows:
        table.add_row(*(cells[i] for i in keep))
    return table


def _table_width(headers: list[str], rows: list[list[str]], keep: list[int]) -> int:
    """Width of a padding-0 SIMPLE_HEAD table: each column's widest cell, one space between
    columns and one at each edge."""
    widest = [max(len(headers[i]), *(len(r[i]) for r in rows)) for i in keep]
    return sum(widest) + len(keep) + 1


def _indicator_cells(row: dict[str, Any], in_year: bool) -> list[str]:
    cells = [
        row["indicator"] + _mark(row),
        _count(row["denominator"]),
        _count(row["numerator"]),
        _count(row["pca"]),
        _count(row["excluded"]),
        _number(row["achievement"], 1) if row["computable"] else "n/c",
        _range(row),
        _points(row),
        _money(row["pounds"]),
        _money(row["max_pounds"]),
    ]
    if in_year:
        cells += [_count(row["patients_needed"]), _money(row["pounds_remaining"])]
    return cells


# Marks in the indicator column for points that do not follow this year's achievement.
_PAYMENT_MARK = {"protected": "*", "manual": "+"}
_PAYMENT_LEGEND = (
    "* income-protected: achievement shown, points from --protected-points; "
    "+ declared by the practice (--declarations)"
)


_NOT_COMPUTABLE_LEGEND = (
    "! not computable from public clusters (n/c): a missing cluster decides every patient; "
    "its points and £ are left out of the totals (see notes for the clusters to import)"
)


def _mark(row: dict[str, object]) -> str:
    mark = _PAYMENT_MARK.get(row["payment"], "")  # type: ignore[call-overload]
    return mark if row["computable"] else mark + "!"


def _range(row: dict[str, object]) -> str:
    if row["lower"] is None or row["upper"] is None:
        return "-"
    return f"{row['lower']:g}-{row['upper']:g}"


def _points(row: dict[str, object]) -> str:
    points = "-" if row["points"] is None else f"{row['points']:.2f}"
    return f"{points}/{row['max_points']:g}"


def _domain_table(frame: pl.DataFrame | None, title: str) -> Table:
    table = Table(title=title, title_justify="left")
    for header in ("Domain", "Points", "£", "£ max"):
        table.add_column(header, justify="left" if header == "Domain" else "right")
    for row in [] if frame is None else frame.to_dicts():
        table.add_row(
            row["group"] or "-",
            f"{row['points']:.2f}/{row['max_points']:g}",
            _money(row["pounds"]),
            _money(row["max_pounds"]),
        )
    return table


def _money(value: float | None) -> str:
    return "-" if value is None else f"{value:,.2f}"


def _count(value: float | None) -> str:
    return "-" if value is None else f"{value:,.0f}"


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
        style = {"error": "red", "warning": "yellow"}.get(problem.severity, "dim")
        console.print(f"[{style}]{problem.line()}[/{style}]", highlight=False, soft_wrap=True)
    errors, warnings = len(report.errors), len(report.warnings)
    if not report.problems:
        console.print("[green]extract is valid: no problems found[/green]")
    else:
        console.print(f"{errors} error(s), {warnings} warning(s)")


def render_diff(structure: RulesetDiff, comparison: Comparison | None, console: Console) -> None:
    """The rule changes, then (with an extract) the figures under each ruleset and patients."""
    a, b = structure.a, structure.b
    console.print(f"[bold]{a.id}[/bold] ({a.qof_year}) -> [bold]{b.id}[/bold] ({b.qof_year})")
    if structure.empty:
        console.print("No differences in the rules.")
    else:
        console.print(_changes_table(structure.changes))
    if comparison is None:
        return
    changed = comparison.changed_indicators()
    console.print(_comparison_table(comparison, changed))
    unchanged = comparison.indicators.height - changed.height
    if unchanged:
        console.print(f"{unchanged} unchanged indicator row(s) not shown; --format csv lists all")
    console.print(_totals_table(comparison))
    if comparison.patients is not None:
        console.print(_patients_table(comparison.patients))


def _changes_table(changes: Sequence[Change]) -> Table:
    table = Table(title="Rule changes", title_justify="left")
    for header in ("Kind", "Id", "Change", "What", "Before", "After", "Affects"):
        table.add_column(header, overflow="fold")
    codes: dict[str, list[Change]] = {}
    for change in changes:
        if change.change.startswith("code_"):
            codes.setdefault(change.id, []).append(change)
            continue
        table.add_row(
            change.kind,
            change.id,
            change.change,
            change.attribute,
            change.before,
            change.after,
            change.affects,
        )
    for cluster, found in codes.items():
        table.add_row("cluster", cluster, "codes", *_code_cells(found), found[0].affects)
    return table


def _code_cells(changes: list[Change]) -> tuple[str, str, str]:
    """A cluster's removed and added codes, a few of each, with their terms."""
    removed = [f"{c.attribute} {c.before}" for c in changes if c.change == "code_removed"]
    added = [f"{c.attribute} {c.after}" for c in changes if c.change == "code_added"]
    what = f"-{len(removed)} +{len(added)}"
    return what, _few(removed), _few(added)


def _few(items: list[str]) -> str:
    shown = "; ".join(items[:CODES_SHOWN])
    more = len(items) - CODES_SHOWN
    return shown + (f"; ... and {more} more (--format csv lists all)" if more > 0 else "")


def _comparison_table(comparison: Comparison, rows: pl.DataFrame) -> Table:
    table = Table(title="Indicators whose results change (a -> b)", title_justify="left")
    headers: tuple[str, ...] = ("Unit" if comparison.key == "unit" else "Practice", "Indicator")
    headers += ("Denom.", "Num.", "Achieved %", "Points", "Points change", "£", "£ change")
    for header in headers:
        table.add_column(header, justify="left" if header in headers[:2] else "right")
    for row in rows.to_dicts():
        renamed = row["indicator_a"] and row["indicator_a"] != row["indicator"]
        label = f"{row['indicator']} (was {row['indicator_a']})" if renamed else row["indicator"]
        table.add_row(
            row[comparison.key],
            label,
            _pair(row, "denominator", "{:,}"),
            _pair(row, "numerator", "{:,}"),
            _pair(row, "achievement", "{:.1f}"),
            _pair(row, "points", "{:.2f}"),
            _signed(row["points_change"]),
            _pair(row, "pounds", "{:,.2f}"),
            _signed(row["pounds_change"]),
        )
    return table


def _totals_table(comparison: Comparison) -> Table:
    table = Table(title="Totals (a -> b)", title_justify="left")
    first = "Unit" if comparison.key == "unit" else "Practice"
    for header in (first, "Points", "Points change", "£", "£ change"):
        table.add_column(header, justify="left" if header == first else "right")
    rows = [(row[comparison.key], row) for row in comparison.units.to_dicts()]
    rows.append(("All", comparison.totals.to_dicts()[0]))
    for label, row in rows:
        table.add_row(
            label,
            _pair(row, "points", "{:.2f}"),
            _signed(row["points_change"]),
            _pair(row, "pounds", "{:,.2f}"),
            _signed(row["pounds_change"]),
        )
    return table


def _patients_table(frame: pl.DataFrame) -> Table:
    table = Table(title=f"Patients whose status changes ({frame.height:,})", title_justify="left")
    for header in ("Practice", "Patient", "Indicator", "Status a", "Status b", "Why (b)"):
        table.add_column(header, overflow="fold")
    for row in frame.to_dicts():
        table.add_row(
            row["practice_code"],
            row["patient_id"],
            row["indicator"],
            row["status_a"] or "-",
            row["status_b"] or "-",
            row["reason_b"] or row["description_b"] or "",
        )
    return table


def _pair(row: dict[str, object], metric: str, form: str) -> str:
    a, b = row[f"{metric}_a"], row[f"{metric}_b"]
    left = "-" if a is None else form.format(a)
    right = "-" if b is None else form.format(b)
    return left if left == right else f"{left} -> {right}"


def _signed(value: float | None) -> str:
    return "-" if value is None else f"{value:+,.2f}"
