"""`qof rulesets`: list the shipped rulesets; `qof rulesets show`: read a rule in one place;
`qof rulesets test`: run the patient cases beside the rules."""

from __future__ import annotations

import functools
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, BinaryIO

import typer

from qofcli import api
from qofcli.cli.app import app, stdout, user_errors
from qofcli.errors import UsageError
from qofcli.reports.console import render_rulesets
from qofcli.reports.files import json_text, write_atomic
from qofcli.ruleset.catalogue import default_ruleset_id, shipped_ruleset_ids
from qofcli.ruleset.model import Ruleset

if TYPE_CHECKING:
    from qofcli.casetest import CaseResult

# The case runner, the reference evaluator and the rule views are imported by the commands
# that use them: every other `qof` command starts faster without them.

rulesets_app = typer.Typer(
    help="List the shipped rulesets, or show how one register or indicator is decided.\n\n"
    "\b\nExamples:\n  qof rulesets\n  qof rulesets show qof-2026-27 DM020\n"
    "  qof rulesets test qof-2026-27",
    invoke_without_command=True,
    no_args_is_help=False,
)
app.add_typer(rulesets_app, name="rulesets")


class Evaluator(StrEnum):
    engine = "engine"
    reference = "reference"


class ShowFormat(StrEnum):
    table = "table"
    json = "json"


@rulesets_app.callback()
@user_errors
def rulesets(ctx: typer.Context) -> None:
    """List shipped rulesets with QOF year, business-rules version, indicators and points.

    \b
    Examples:
      qof rulesets
      qof rulesets show qof-2026-27 DM020
    """
    if ctx.invoked_subcommand is None:
        loaded = [api.load_ruleset(ruleset_id) for ruleset_id in shipped_ruleset_ids()]
        render_rulesets(loaded, default_ruleset_id(), stdout)


@rulesets_app.command("show")
@user_errors
def show(
    ruleset: Annotated[
        str,
        typer.Argument(
            metavar="RULESET", help="Shipped ruleset id or ruleset folder.", show_default=False
        ),
    ],
    item: Annotated[
        str | None,
        typer.Argument(
            metavar="ITEM",
            help="Indicator (or earlier id) or register, e.g. DM020 or DM_REG. "
            "Default: list them all.",
            show_default=False,
        ),
    ] = None,
    fmt: Annotated[
        ShowFormat,
        typer.Option("--format", "-f", help="table for people; json for tools."),
    ] = ShowFormat.table,
    markdown: Annotated[
        Path | None,
        typer.Option(
            "--markdown",
            help="Write a reference page per indicator and register, and an index, into this "
            "folder (created if absent).",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Show a register or indicator resolved: each step with named conditions inlined, the
    fields in words, reasons with their official descriptions, points, thresholds, payment,
    confidence, source and the file each piece comes from.

    \b
    Examples:
      qof rulesets show qof-2026-27 DM020
      qof rulesets show qof-2025-26 HYP_REG -f json
      qof rulesets show qof-2026-27 --markdown docs/rulesets/qof-2026-27
    """
    from qofcli.reports.ruleset_view import render_explanation, render_overview
    from qofcli.ruleset.cases import load_cases
    from qofcli.ruleset.explain import explain, overview

    rules = api.load_ruleset(ruleset)
    if markdown is not None:
        if item is not None:
            raise UsageError("--markdown writes every item; drop the ITEM argument")
        write_reference_pages(rules, markdown)
        return
    if item is None:
        document = overview(rules)
    else:
        document = explain(rules, item, load_cases(rules).cases)
    if fmt is ShowFormat.json:
        typer.echo(json_text(document))
    elif item is None:
        render_overview(document, stdout)
    else:
        render_explanation(document, stdout)


def write_reference_pages(rules: Ruleset, folder: Path) -> None:
    from qofcli.reports.ruleset_view import explanation_markdown, overview_markdown
    from qofcli.ruleset.cases import load_cases
    from qofcli.ruleset.explain import explain, overview

    folder.mkdir(parents=True, exist_ok=True)
    pages = {"index.md": overview_markdown(overview(rules))}
    cases = load_cases(rules).cases
    for item_id in [*rules.indicators, *rules.registers]:
        pages[f"{item_id}.md"] = explanation_markdown(explain(rules, item_id, cases))
    for name, text in pages.items():
        write_atomic(folder / name, functools.partial(_write_bytes, text.encode()))
    stdout.print(f"wrote {len(pages)} pages to {folder}")


def _write_bytes(data: bytes, stream: BinaryIO) -> None:
    stream.write(data)


@rulesets_app.command("test")
@user_errors
def test(
    ruleset: Annotated[
        str,
        typer.Argument(
            metavar="RULESET", help="Shipped ruleset id or ruleset folder.", show_default=False
        ),
    ],
    ids: Annotated[
        list[str] | None,
        typer.Argument(
            metavar="[IDS]...",
            help="Only cases with these case ids, case file names or expected indicator or "
            "register ids (e.g. DM020). Default: all.",
            show_default=False,
        ),
    ] = None,
    engine: Annotated[
        Evaluator,
        typer.Option(
            "--engine",
            help="engine: the Polars engine; reference: the slow per-patient reference "
            "evaluator (the semantics).",
        ),
    ] = Evaluator.engine,
    verbose: Annotated[
        bool, typer.Option("--verbose", "-v", help="Also list skipped and passed cases.")
    ] = False,
) -> None:
    """Run the patient cases beside the rules (rulesets/<id>/cases/*.yaml, and the parent
    ruleset's cases re-dated by this ruleset's dates, except those its changes affect). Prints
    each failure and a final line "N passed, N failed, N skipped"; exits 1 on a failure, 2 on
    a bad case file. A case needing a cluster shipped without codes is skipped.

    \b
    Examples:
      qof rulesets test qof-2026-27
      qof rulesets test qof-2025-26 DM020 DM_REG -v
      qof rulesets test qof-2026-27 --engine reference
    """
    from qofcli import casetest
    from qofcli.ruleset.cases import load_cases

    cases = load_cases(api.load_ruleset(ruleset)).select(ids or [])
    run = casetest.run_cases(cases, engine.value)
    for result in run.results:
        if result.outcome == casetest.FAILED:
            _print_failure(result)
        elif verbose and result.outcome == casetest.SKIPPED:
            stdout.print(
                f"skipped {result.case.id}: cluster {result.skipped_for} has no codes",
                markup=False,
                highlight=False,
            )
        elif verbose:
            stdout.print(f"passed {result.case.id}", markup=False, highlight=False)
    if verbose:
        for case_id, why in sorted(run.not_inherited.items()):
            stdout.print(f"not inherited {case_id}: {why}", markup=False, highlight=False)
    stdout.print(run.summary, markup=False, highlight=False)
    if run.count(casetest.FAILED):
        raise typer.Exit(1)


def _print_failure(result: CaseResult) -> None:
    case = result.case
    lines = [f"FAILED {case.id} ({case.file})", f"  why: {case.why}"]
    lines += [f"  {problem}" for problem in result.problems]
    stdout.print("\n".join(lines), markup=False, highlight=False, soft_wrap=True)
