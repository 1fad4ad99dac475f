"""`qof clusters import`: rebuild a ruleset's code clusters from the official PCD refset release."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from qofcli.cli.app import app, progress, stdout, user_errors
from qofcli.cli.options import RulesetOpt
from qofcli.errors import UsageError
from qofcli.reports.files import json_text
from qofcli.ruleset.catalogue import default_ruleset_id

clusters_app = typer.Typer(
    help="Code clusters: import the official PCD refset release.", no_args_is_help=True
)
app.add_typer(clusters_app, name="clusters")


class ImportFormat(StrEnum):
    table = "table"
    json = "json"


@clusters_app.command("import")
@user_errors
def import_release(
    file: Annotated[
        Path,
        typer.Argument(
            metavar="FILE",
            help="'PCD refset content by output' file from TRUD (tab-separated, with a header).",
            show_default=False,
        ),
    ],
    ruleset: RulesetOpt = None,
    out: Annotated[
        Path | None,
        typer.Option("--out", help="New ruleset folder to write (a complete copy)."),
    ] = None,
    release: Annotated[
        str | None,
        typer.Option("--release", help="Version recorded in SOURCES.csv. Default: file name."),
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Print the report only; write nothing.")
    ] = False,
    overwrite: Annotated[
        bool, typer.Option("--overwrite", help="Replace --out if it holds a ruleset already.")
    ] = False,
    fmt: Annotated[ImportFormat, typer.Option("--format", "-f")] = ImportFormat.table,
) -> None:
    """Replace every cluster the ruleset holds that the release lists by the official codes,
    in a complete copy of the ruleset folder; report clusters added, changed and kept.

    \b
    Examples:
      qof clusters import PCD_release.txt -r qof-2026-27 --out ./qof-2026-27-pcd --dry-run
      qof clusters import PCD_release.txt -r qof-2026-27 --out ./qof-2026-27-pcd
      qof score EXTRACT -r ./qof-2026-27-pcd
    """
    # imported here: every other `qof` command starts faster without the importer
    from qofcli.reports.clusters import import_document, render_import
    from qofcli.ruleset.importer import plan_import, read_release, write_import

    if out is None and not dry_run:
        raise UsageError("give --out DIR for the imported ruleset, or --dry-run for the report")
    with progress("Reading the release"):
        plan = plan_import(ruleset or default_ruleset_id(), read_release(file, release))
        written = None if dry_run else out
        if written is not None:
            write_import(plan, written, overwrite)
    if fmt == ImportFormat.json:
        typer.echo(json_text(import_document(plan, written)), nl=False)
    else:
        render_import(plan, written, stdout)
