"""Steps every data command shares: resolve the ruleset and open a valid extract."""

from __future__ import annotations

from pathlib import Path

from qofcli import api
from qofcli.errors import UsageError
from qofcli.extract import Extract
from qofcli.reports.files import check_output_path
from qofcli.ruleset.catalogue import default_ruleset_id
from qofcli.ruleset.model import Ruleset


def ruleset_and_extract(
    ruleset_id: str | None, extract_path: Path, map_path: Path | None = None
) -> tuple[Ruleset, Extract]:
    ruleset = api.load_ruleset(ruleset_id or default_ruleset_id())
    mapping = api.load_mapping(map_path) if map_path else None
    return ruleset, api.open_extract(extract_path, ruleset, mapping)


def check_output_options(fmt: str, output: Path | None) -> None:
    """Refuse format/output mistakes before any work (a 1M-patient run takes a while)."""
    if fmt == "table" and output is not None:
        raise UsageError("--output needs --format csv, json or parquet")
    if fmt == "parquet" and output is None:
        raise UsageError("--format parquet needs --output FILE")
    if output is not None:
        check_output_path(output)
