"""Steps every data command shares: resolve the ruleset, open a valid extract, and warn when
the extract is dated for another QOF year."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from qofcli import api
from qofcli.batches import Batch
from qofcli.cli.app import stderr
from qofcli.extract import Extract
from qofcli.ruleset.catalogue import default_ruleset_id
from qofcli.ruleset.model import Ruleset


def ruleset_and_extract(
    ruleset_id: str | None,
    extract_path: Path,
    as_of: date | None = None,
    map_path: Path | None = None,
) -> tuple[Ruleset, Extract]:
    """The named ruleset, or the shipped year holding `as_of` (else today); the opened extract.

    Callers warn with `warn_if_wrong_year` once their work succeeded, so an error still ends in
    exactly one line on stderr.
    """
    ruleset = api.load_ruleset(ruleset_id or default_ruleset_id(as_of))
    mapping = api.load_mapping(map_path) if map_path else None
    return ruleset, api.open_extract(extract_path, ruleset, mapping)


def warn_if_wrong_year(extract: Extract, *rulesets: Ruleset) -> None:
    """One line on stderr when no event falls in a ruleset's payment period."""
    message = api.wrong_year_warning(extract, *rulesets)
    if message:
        stderr.print(message, style="yellow", highlight=False, soft_wrap=True, markup=False)


def show_batch(batch: Batch, total: int) -> None:
    """One line on stderr as each batch of a batched run starts: counts, never patient data."""
    practices = len(batch.practices)
    stderr.print(
        f"batch {batch.number}/{total}: {practices:,} practice{'s' * (practices != 1)}, "
        f"{batch.patients:,} patients",
        highlight=False,
    )
