"""Steps every data command shares: resolve the ruleset and open a valid extract."""

from __future__ import annotations

from pathlib import Path

from qofcli import api
from qofcli.extract import Extract
from qofcli.ruleset.catalogue import default_ruleset_id
from qofcli.ruleset.model import Ruleset


def ruleset_and_extract(
    ruleset_id: str | None, extract_path: Path, map_path: Path | None = None
) -> tuple[Ruleset, Extract]:
    ruleset = api.load_ruleset(ruleset_id or default_ruleset_id())
    mapping = api.load_mapping(map_path) if map_path else None
    return ruleset, api.open_extract(extract_path, ruleset, mapping)
