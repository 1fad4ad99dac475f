"""Render an explained register or indicator (qofcli.ruleset.explain) for the terminal or as
Markdown reference pages."""

from __future__ import annotations

from typing import Any

from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text


def render_explanation(item: dict[str, Any], console: Console) -> None:
    """One screen: what the item is, its rule chains, what it reads and why it rejects."""
    console.print(Panel(Group(*_header_lines(item)), title=_title(item), title_align="left"))
    chains = ("rules",) if item["kind"] == "register" else ("denominator", "numerator")
    for chain in chains:
        console.print(_steps_table(chain.capitalize(), item[chain]))
    if item["fields"]:
        console.print(_fields_table(item["fields"]))
    if item["reasons"]:
        console.print(_reasons_table(item["reasons"]))


def render_overview(summary: dict[str, Any], console: Console) -> None:
    header = summary["ruleset"]
    table = Table(
        title=f"{header['id']} ({header['qof_year']}, business rules {header['business_rules']})"
    )
    for column in ("Id", "Register", "Points", "Thresholds", "Confidence", "Description"):
        wide = column == "Description"
        table.add_column(column, no_wrap=not wide, ratio=1 if wide else None)
    for item in summary["indicators"]:
        table.add_row(
            item["id"],
            item["register"] or "",
            f"{item['points']:g}",
            _thresholds(item["thresholds"]),
            item["confidence"],
            item["description"],
        )
    console.print(table)
    registers = ", ".join(r["id"] for r in summary["registers"])
    console.print(f"Registers and cohorts: {registers}", soft_wrap=True)
    console.print("Explain one: qof rulesets show RULESET ID", style="dim")


def _title(item: dict[str, Any]) -> str:
    ruleset = item["ruleset"]
    return f"{item['id']} · {ruleset['id']} ({ruleset['qof_year']}, {ruleset['business_rules']})"


def _thresholds(thresholds: dict[str, float] | None) -> str:
    return "" if thresholds is None else f"{thresholds['lower']:g}–{thresholds['upper']:g}%"


def _same_day(setting: str | None) -> str:
    if setting is None:
        return "not read by the rules"
    return "removes the patient" if setting == "removes" else "keeps the patient"


def _facts(item: dict[str, Any]) -> list[tuple[str, str]]:
    if item["kind"] == "register":
        return [
            ("register indicator", item["indicator"] or "none"),
            ("points", f"{item['points']:g}"),
            ("disease register", "yes" if item["prevalence"] else "no (a cohort)"),
            ("ages", item["age_rule"] or "all"),
            ("same-day resolved code", _same_day(item.get("same_day_resolution"))),
            ("confidence", item["confidence"]),
            ("file", item["file"]),
            *_cases_fact(item),
        ]
    payment = item["payment"]
    if not item["prevalence_adjusted"]:
        payment += ", list size only (no prevalence adjustment)"
    else:
        payment += f", prevalence of {item['prevalence_register']}"
    aliases = ", ".join(item["aliases"])
    return [
        ("register", item["register"] or "none"),
        ("points", f"{item['points']:g}"),
        ("thresholds", _thresholds(item["thresholds"]) or "not known"),
        ("payment", payment),
        *([("earlier ids", aliases)] if aliases else []),
        ("confidence", item["confidence"]),
        ("file", item["file"]),
        *_cases_fact(item),
    ]


def _cases_fact(item: dict[str, Any]) -> list[tuple[str, str]]:
    """``cases: 42 in qof-2026-27/cases/DM020.yaml`` or ``cases: 42: 40 in A, 2 in B``,
    inherited files marked; nothing when the cases were not counted."""
    cases = item.get("cases")
    if cases is None:
        return []
    where = [
        f"{f['count']} in {f['file']}" + (" (inherited)" if f["inherited"] else "")
        for f in cases["files"]
    ]
    text = where[0] if len(where) == 1 else f"{cases['count']}: {', '.join(where)}"
    if cases["skipped"]:
        text += f"; {cases['skipped']} skipped (a cluster without codes)"
    return [("cases", text if where else "none")]


def _header_lines(item: dict[str, Any]) -> list[Text]:
    lines = [Text(item["description"], style="bold")]
    lines += [Text.assemble((f"{k}: ", "dim"), v) for k, v in _facts(item)]
    lines.append(Text.assemble(("source: ", "dim"), item["source"]))
    return lines


def _steps_table(title: str, steps: list[dict[str, Any]]) -> Table:
    table = Table(title=title, title_justify="left")
    table.add_column("#", justify="right", no_wrap=True)
    table.add_column("Rule")
    table.add_column("If true", no_wrap=True)
    table.add_column("If false", no_wrap=True)
    for step in steps:
        rule = Text.assemble(step["description"], "\n", (step["when"], "cyan"))
        table.add_row(str(step["rule"]), rule, step["if_true"], step["if_false"])
    return table


def _fields_table(fields: list[dict[str, Any]]) -> Table:
    table = Table(title="Fields read", title_justify="left")
    table.add_column("Field", no_wrap=True)
    table.add_column("Meaning")
    table.add_column("File", style="dim")
    for item in fields:
        table.add_row(item["name"], item["words"], item["file"])
    return table


def _reasons_table(reasons: list[dict[str, str]]) -> Table:
    table = Table(title="Reasons", title_justify="left")
    table.add_column("Reason", no_wrap=True)
    table.add_column("Type", no_wrap=True)
    table.add_column("Official description")
    for reason in reasons:
        table.add_row(reason["name"], reason["type"], reason["description"])
    return table


def explanation_markdown(item: dict[str, Any]) -> str:
    """A reference page for one register or indicator."""
    lines = [f"# {_title(item)}", "", item["description"], ""]
    lines += [f"- **{k}**: {v}" for k, v in _facts(item)]
    lines += [f"- **source**: {item['source']}", ""]
    chains = ("rules",) if item["kind"] == "register" else ("denominator", "numerator")
    for chain in chains:
        lines += [f"## {chain.capitalize()}", "", "| # | Rule | If true | If false |"]
        lines.append("|---|---|---|---|")
        for step in item[chain]:
            rule = f"{_cell(step['description'])}<br>`{_cell(step['when'])}`"
            lines.append(f"| {step['rule']} | {rule} | {step['if_true']} | {step['if_false']} |")
        lines.append("")
    if item["fields"]:
        lines += ["## Fields read", "", "| Field | Meaning | File |", "|---|---|---|"]
        lines += [f"| {f['name']} | {_cell(f['words'])} | {f['file']} |" for f in item["fields"]]
        lines.append("")
    if item["reasons"]:
        lines += ["## Reasons", "", "| Reason | Type | Official description |", "|---|---|---|"]
        lines += [
            f"| {r['name']} | {r['type']} | {_cell(r['description'])} |" for r in item["reasons"]
        ]
        lines.append("")
    return "\n".join(lines)


def overview_markdown(summary: dict[str, Any]) -> str:
    header = summary["ruleset"]
    lines = [
        f"# {header['id']}: QOF {header['qof_year']} (business rules {header['business_rules']})",
        "",
        "Generated by `qof rulesets show --markdown`; do not edit by hand.",
        "",
        "| Indicator | Group | Register | Points | Thresholds | Confidence | Description |",
        "|---|---|---|---|---|---|---|",
    ]
    for item in summary["indicators"]:
        lines.append(
            f"| [{item['id']}]({item['id']}.md) | {item['group']} | {item['register'] or ''} "
            f"| {item['points']:g} | {_thresholds(item['thresholds'])} | {item['confidence']} "
            f"| {_cell(item['description'])} |"
        )
    lines += ["", "## Registers and cohorts", ""]
    lines += [
        f"- [{r['id']}]({r['id']}.md): {_cell(r['description'])}" for r in summary["registers"]
    ]
    return "\n".join(lines) + "\n"


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")
