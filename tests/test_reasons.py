"""Reason fields ship with their official descriptions, regenerated from NHS Digital's file."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from qofcli import api
from qofcli.ruleset.catalogue import shipped_ruleset_ids

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT.parent / "shared/reference/nhsd-qof-2023-24/PCA_REFERENCE.csv"
SHIPPED = ROOT / "rulesets/qof-2026-27/reasons/official.yaml"


@pytest.mark.skipif(not SOURCE.is_file(), reason="NHS Digital reference metadata not available")
def test_official_reasons_are_the_script_output() -> None:
    spec = importlib.util.spec_from_file_location(
        "official_reasons", ROOT / "scripts/official_reasons.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert SHIPPED.read_text(encoding="utf-8") == module.main(SOURCE)


@pytest.mark.parametrize("ruleset_id", shipped_ruleset_ids())
def test_every_reason_has_a_description(ruleset_id: str) -> None:
    ruleset = api.load_ruleset(ruleset_id)
    assert [r.name for r in ruleset.reasons.values() if not r.description.strip()] == []
