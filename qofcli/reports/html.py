"""The single-file HTML report of `qof report`: inline CSS and SVG charts only (no request to any
network address), A4 print styles, and the ruleset id, version, achievement date and checksum in a
footer that the browser repeats on every printed page."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from html import escape
from typing import Any

import polars as pl

from qofcli import __version__
from qofcli.reports import charts
from qofcli.reports.report import AUTOMATIC, DISTRIBUTION_LABEL, Report, ruleset_changes

Cell = Callable[[Any], str]
MAX_ROWS = 400  # long tables (rule changes, patients) are cut here in HTML; the workbook has all

CSS = """
@page { size: A4; margin: 12mm 10mm 16mm 10mm; }
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif;
  color: #222; margin: 0 auto; max-width: 190mm; padding: 8mm 4mm 20mm; font-size: 10pt; }
h1 { font-size: 18pt; margin: 0 0 2mm; } h2 { font-size: 14pt; margin: 8mm 0 2mm;
  border-bottom: 2px solid #1f4e79; color: #1f4e79; } h3 { font-size: 11pt; margin: 5mm 0 1mm; }
.meta, .note { color: #555; font-size: 8.5pt; }
.cards { display: flex; gap: 4mm; flex-wrap: wrap; margin: 3mm 0; }
.card { border: 1px solid #ccd; border-radius: 2mm; padding: 2mm 4mm; min-width: 38mm; }
.card b { display: block; font-size: 15pt; color: #1f4e79; }
table { border-collapse: collapse; width: 100%; margin: 2mm 0; font-size: 8pt; }
th, td { border-bottom: 1px solid #ddd; padding: 0.6mm 1.2mm; text-align: right;
  vertical-align: top; }
th { background: #eef3f8; } td.t, th.t { text-align: left; }
tr.nc td { color: #888; font-style: italic; }
svg { max-width: 100%; height: auto; }
section, figure, table { break-inside: avoid; page-break-inside: avoid; }
section.domain { break-inside: auto; }
figure { margin: 1mm 0; }
footer { position: fixed; bottom: 0; left: 0; right: 0; background: #fff; color: #555;
  font-size: 7.5pt; text-align: center; border-top: 1px solid #ccc; padding: 1mm; }
@media print { body { padding: 0 0 8mm; max-width: none; } h2 { break-before: auto; }
  h2, h3 { break-after: avoid; } }
"""


def report_html(report: Report) -> str:
    """The whole report as one HTML document."""
    ruleset = report.ruleset
    stamp = (
        f"{ruleset.id} ({ruleset.qof_year}, business rules {ruleset.business_rules}) · "
        f"achievement date {report.score.counts.achievement_date.isoformat()} · "
        f"ruleset checksum {report.checksum} · qofcli {__version__}"
    )
    body = [
        f"<h1>QOF report: {escape(_units_title(report))}</h1>",
        f'<p class="meta">{escape(ruleset.title)}. {escape(stamp)}</p>',
        _headline(report),
        _units_comparison(report),
        *(_unit_section(report, unit) for unit in report.summary[report.key].to_list()),
        _compare_section(report),
        _patients_section(report),
        _about(report),
    ]
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>QOF report {escape(ruleset.id)}</title><style>{CSS}</style></head><body>"
        + "\n".join(part for part in body if part)
        + f"<footer>{escape(stamp)}</footer></body></html>\n"
    )


def _units_title(report: Report) -> str:
    rows = report.summary.to_dicts()
    if len(rows) == 1:
        row = rows[0]
        return " ".join(str(v) for v in (row[report.key], row.get("practice_name")) if v)
    noun = "practices" if report.key == "practice_code" else "units"
    return f"{len(rows)} {noun}"


def _in_year() -> list[tuple[str, str, Cell]]:
    return [("patients_needed", "Needed", _number(0)), ("pounds_remaining", "£ left", _money)]


def _money(value: Any) -> str:
    return "–" if value is None else f"£{value:,.2f}"


def _number(digits: int) -> Cell:
    return lambda value: "–" if value is None else f"{value:,.{digits}f}"


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _table(
    rows: Sequence[dict[str, Any]],
    columns: Sequence[tuple[str, str, Cell]],
    row_class: Callable[[dict[str, Any]], str] | None = None,
) -> str:
    """An HTML table; text columns (formatter `_text`) are left-aligned."""
    head = "".join(
        f'<th class="{"t" if cell is _text else ""}">{escape(title)}</th>'
        for _, title, cell in columns
    )
    lines = []
    for row in rows[:MAX_ROWS]:
        cls = row_class(row) if row_class else ""
        cells = "".join(
            f'<td class="{"t" if cell is _text else ""}">{escape(cell(row.get(name)))}</td>'
            for name, _, cell in columns
        )
        lines.append(f'<tr class="{cls}">{cells}</tr>')
    more = len(rows) - MAX_ROWS
    note = f'<p class="note">{more} more rows in the workbook (-o .xlsx).</p>' if more > 0 else ""
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(lines)}</tbody></table>{note}"


def _headline(report: Report) -> str:
    totals = report.score.totals.to_dicts()[0]
    cards = [
        ("Points", f"{totals['points']:,.2f} of {totals['max_points']:,.0f}"),
        ("£ earned", f"{_money(totals['pounds'])} of {_money(totals['max_pounds'])}"),
        ("List size", f"{totals['list_size']:,}"),
    ]
    if report.score.in_year:
        left = report.summary["pounds_remaining"].sum()
        needed = report.summary["patients_needed"].sum()
        cards += [("Patients still needed", f"{needed:,}"), ("£ still available", _money(left))]
    html = "".join(f'<div class="card">{escape(k)}<b>{escape(v)}</b></div>' for k, v in cards)
    notes = []
    if totals.get("unpriced_points"):
        notes.append(
            f"{totals['unpriced_points']:,.2f} points have no £: the ruleset has no national "
            "prevalence for their register (see About)."
        )
    if totals.get("points_not_computed"):
        notes.append(f"{totals['points_not_computed']:,.2f} points are not computed here.")
    if totals.get("points_not_computable"):
        notes.append(
            f"{totals['points_not_computable']:,.2f} points are on indicators not computable from "
            "public clusters (greyed below): import the official clusters to score them."
        )
    extra = "".join(f'<p class="note">{escape(n)}</p>' for n in notes)
    return f"<section><h2>Headline</h2><div class='cards'>{html}</div>{extra}</section>"


def _units_comparison(report: Report) -> str:
    rows = report.summary.to_dicts()
    if len(rows) < 2:
        return ""
    key = report.key
    chart = charts.points_chart(
        [r[key] for r in rows], [r["points"] for r in rows], [r["max_points"] for r in rows]
    )
    columns: list[tuple[str, str, Cell]] = [
        (key, "Practice" if key == "practice_code" else "Unit", _text),
        ("practice_name", "Name", _text),
        ("list_size", "List", _number(0)),
        ("points", "Points", _number(2)),
        ("max_points", "Max", _number(0)),
        ("points_pct", "% of max", _number(1)),
        ("pounds", "£", _money),
        ("max_pounds", "Max £", _money),
    ]
    if report.score.in_year:
        columns += _in_year()
    title = "Practice comparison" if key == "practice_code" else "PCN comparison"
    return f"<section><h2>{title}</h2><figure>{chart}</figure>{_table(rows, columns)}</section>"


def _unit_section(report: Report, unit: str) -> str:
    key = report.key
    summary = report.summary.filter(pl.col(key) == unit).to_dicts()[0]
    name = summary.get("practice_name") or ""
    head = (
        f"<h2>{escape(unit)} {escape(name)}</h2><p>List size {summary['list_size']:,}; "
        f"points {summary['points']:,.2f} of {summary['max_points']:,.0f}; "
        f"{_money(summary['pounds'])} of {_money(summary['max_pounds'])}</p>"
    )
    domains = report.score.domains.filter(pl.col(key) == unit).sort("group")
    chart = charts.points_chart(
        domains["group"].to_list(), domains["points"].to_list(), domains["max_points"].to_list()
    )
    indicators = report.indicators.filter(pl.col(key) == unit)
    parts = [head, "<h3>Points by domain</h3>", f"<figure>{chart}</figure>"]
    parts.append("<h3>Indicators</h3>" + _legend(report))
    for (group,), frame in sorted(indicators.partition_by("group", as_dict=True).items()):
        parts.append(_domain(report, str(group), frame))
    parts.append(_prevalence(report, unit))
    return f"<section class='unit'>{''.join(parts)}</section>"


def _legend(report: Report) -> str:
    return (
        '<p class="note">Bars: achievement %; shaded band: lower to upper threshold; green at '
        "or above the upper threshold, amber between, red at or below the lower, grey when not "
        f"computable or no patients. PCA auto: {AUTOMATIC}, applied without the patient's "
        "choice; PCA other: patient choice, unsuitability, invitations not answered. PCA rate = "
        "PCAs / (denominator + PCAs).</p>"
    )


def _computable(row: dict[str, Any]) -> bool:
    if row.get("not_computable") is True or row.get("computable") is False:
        return False
    return True


def _domain(report: Report, group: str, frame: pl.DataFrame) -> str:
    frame = frame.sort("indicator")
    rows = frame.to_dicts()
    chart = charts.achievement_chart(
        [r["indicator"] for r in rows],
        [r["achievement"] for r in rows],
        [r["lower"] for r in rows],
        [r["upper"] for r in rows],
        [_computable(r) for r in rows],
    )
    columns: list[tuple[str, str, Cell]] = [
        ("indicator", "Indicator", _text),
        ("denominator", "Denom.", _number(0)),
        ("numerator", "Num.", _number(0)),
        ("achievement", "Ach. %", _number(1)),
        ("lower", "Lower", _number(0)),
        ("upper", "Upper", _number(0)),
        ("pca_automatic", "PCA auto", _number(0)),
        ("pca_other", "PCA other", _number(0)),
        ("pca_rate", "PCA %", _number(1)),
        ("excluded", "Excl.", _number(0)),
        ("points", "Points", _number(2)),
        ("max_points", "Max", _number(0)),
        ("pounds", "£", _money),
        ("max_pounds", "Max £", _money),
    ]
    if report.score.in_year:
        columns += _in_year()
    notes = [
        f"{r['indicator']}: {'not computable from public clusters. ' if not _computable(r) else ''}"
        f"{r['description']}" + (f" ({r['pounds_note']})" if r.get("pounds_note") else "")
        for r in rows
    ]
    described = "".join(f"<li>{escape(n)}</li>" for n in notes)
    return (
        f"<section class='domain'><h3>{escape(group)}</h3><figure>{chart}</figure>"
        + _table(rows, columns, lambda r: "" if _computable(r) else "nc")
        + f'<details class="note"><summary>What each indicator counts</summary>'
        f"<ul>{described}</ul></details></section>"
    )


def _prevalence(report: Report, unit: str) -> str:
    registers = report.registers.filter(pl.col(report.key) == unit).sort("register")
    rows = registers.to_dicts()
    placed = [r for r in rows if r["england_percentile"] is not None]
    chart = (
        charts.percentile_chart(
            [r["register"] for r in placed], [r["england_percentile"] for r in placed], unit
        )
        if placed
        else ""
    )
    columns: list[tuple[str, str, Cell]] = [
        ("register", "Register", _text),
        ("size", "Patients", _number(0)),
        ("prevalence", "Prevalence %", _number(2)),
        ("national_prevalence", "National % (payment)", _number(2)),
        ("england_prevalence", f"{DISTRIBUTION_LABEL} %", _number(2)),
        ("p10", "10th pct", _number(2)),
        ("p50", "median", _number(2)),
        ("p90", "90th pct", _number(2)),
        ("england_percentile", "Percentile", _number(0)),
    ]
    return (
        "<h3>Prevalence against England</h3>"
        '<p class="note">Prevalence = register ÷ whole list. National % (payment): the figure '
        f"the ruleset divides by for £. {DISTRIBUTION_LABEL}: NHS England's practice prevalence "
        "file (QOF 2024-25, Open Government Licence v3.0), on the same whole-list basis; "
        "percentile: where this prevalence sits among England's practices.</p>"
        f"{f'<figure>{chart}</figure>' if chart else ''}{_table(rows, columns)}"
    )


def _compare_section(report: Report) -> str:
    comparison = report.comparison
    if comparison is None:
        return ""
    a, b = comparison.structure.a, comparison.structure.b
    totals = comparison.totals.to_dicts()[0]
    effect = (
        f"Points {totals['points_a']:,.2f} → {totals['points_b']:,.2f} "
        f"({totals['points_change']:+,.2f}); £ {_money(totals['pounds_a'])} → "
        f"{_money(totals['pounds_b'])} ({_signed_money(totals['pounds_change'])})"
    )
    key = comparison.key
    money: list[tuple[str, str, Cell]] = [
        ("points_a", f"Points {a.id}", _number(2)),
        ("points_b", f"Points {b.id}", _number(2)),
        ("points_change", "Change", _number(2)),
        ("pounds_a", f"£ {a.id}", _money),
        ("pounds_b", f"£ {b.id}", _money),
        ("pounds_change", "£ change", _signed_money),
    ]
    units = _table(comparison.units.to_dicts(), [(key, "Unit", _text), *money])
    changed = comparison.changed_indicators().to_dicts()
    indicators = _table(changed, [(key, "Unit", _text), ("indicator", "Indicator", _text), *money])
    changes = ruleset_changes(comparison).to_dicts()
    rules = _table(changes, [(c, c.capitalize(), _text) for c in changes[0]] if changes else [])
    return (
        f"<section><h2>Compared with {escape(a.id)}</h2>"
        f"<p>What the rules of {escape(b.id)} change against {escape(a.id)} on this extract "
        f"(each with its own payment figures): {escape(effect)}</p>{units}"
        f"<h3>Indicators whose results change</h3>{indicators}"
        f"<h3>Rule changes ({len(changes)})</h3>{rules}</section>"
    )


def _signed_money(value: Any) -> str:
    return "–" if value is None else f"{'+' if value >= 0 else '−'}£{abs(value):,.2f}"


def _patients_section(report: Report) -> str:
    if report.patients is None:
        return ""
    rows = report.patients.to_dicts()
    columns = [(c, c, _text) for c in report.patients.columns]
    return (
        "<section><h2>Patients</h2><p class='note'>Patient-level data (--include-patients): keep "
        f"this file where patient data may be kept.</p>{_table(rows, columns)}</section>"
    )


def _about(report: Report) -> str:
    rates, payment = report.score.rates, report.ruleset.payment
    prevalence = ", ".join(f"{k} {v:g}%" for k, v in sorted(rates.national_prevalence.items()))
    facts = [
        f"£ per point {rates.pound_per_point:,.2f}; national average list size "
        f"{rates.national_average_list_size:,.0f}; national prevalence: {prevalence or 'none'}.",
        f"Payment figures: {payment.source} (confidence: {payment.confidence}).",
        f"National prevalence: {payment.national_prevalence_source} "
        f"(confidence: {payment.national_prevalence_confidence}).",
        "£ = points × £ per point × CPI × APDF; indicators whose register has no national "
        "prevalence show no £.",
    ]
    items = "".join(f"<li>{escape(str(f))}</li>" for f in facts)
    return f"<section><h2>About these figures</h2><ul class='note'>{items}</ul></section>"
