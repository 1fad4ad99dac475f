"""Options shared by several commands, so they read alike everywhere."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from qofcli.batches import DEFAULT_BATCH_PATIENTS
from qofcli.errors import UsageError
from qofcli.ruleset import catalogue

ExtractArg = Annotated[
    Path,
    typer.Argument(
        metavar="EXTRACT",
        help="Extract folder holding patients and events (CSV or Parquet); "
        "see docs/extract-format.md.",
        show_default=False,
    ),
]
RulesetOpt = Annotated[
    str | None,
    typer.Option(
        "--ruleset",
        "-r",
        help="Shipped ruleset id (see `qof rulesets`) or a ruleset folder. Default: the shipped "
        "year whose payment period holds --as-of or today, else the newest.",
    ),
]
MapOpt = Annotated[
    Path | None,
    typer.Option(
        "--map",
        help="Mapping file (TOML) for an export in its own shape: file names, column names, "
        "date formats, value columns; see docs/extract-format.md (Mappings).",
        show_default=False,
    ),
]
AsOfOpt = Annotated[
    str | None,
    typer.Option(
        "--as-of",
        help="Achievement date YYYY-MM-DD (or 'today') for an in-year run. Default: payment "
        "period end. Without --ruleset, the ruleset is the year this date falls in.",
    ),
]


class By(StrEnum):
    practice = "practice"
    pcn = "pcn"
    all = "all"


ByOpt = Annotated[
    By,
    typer.Option(
        "--by",
        help="practice, pcn (practices.pcn_code) or all: roll-ups pool numerators and "
        "denominators; £ is the sum of the practices' £.",
    ),
]
OutputOpt = Annotated[
    Path | None,
    typer.Option("--output", "-o", help="Write to this file (atomically) instead of stdout."),
]

BatchOpt = Annotated[
    int,
    typer.Option(
        "--batch-patients",
        min=1,
        help="An extract of more patients than this is scored in batches of whole practices "
        "(memory bounded by the batch; a bigger practice is a batch alone). "
        f"Default {DEFAULT_BATCH_PATIENTS:,}.",
        show_default=False,
    ),
]


def parse_as_of(text: str | None) -> date | None:
    """--as-of: YYYY-MM-DD or `today` (the date the default ruleset is chosen for)."""
    if text is None:
        return None
    if text.strip().lower() == "today":
        return catalogue.today()
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise UsageError(f"--as-of {text!r} is not a date; use YYYY-MM-DD or today") from None
