"""The national 2025/26 ruleset against the indicator catalogue of the domain notes (§4):
every indicator there is shipped with its points and thresholds, and nothing else is."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from qofcli import api
from qofcli.reports.console import indicator_count

CATALOGUE = Path(__file__).resolve().parents[1].parent / "shared/domain/qof-catalogue.md"
ROW = re.compile(r"^\| ([A-Z]+\d{3}) \| [^|]+ \| (\d+) \| (\d+) \| (\d+) \|")

# Catalogue indicators not shipped yet, and why; the list must only shrink.
NOT_YET_SHIPPED: dict[str, str] = {}

pytestmark = pytest.mark.skipif(not CATALOGUE.is_file(), reason="domain notes not available")


def _catalogue_2025_26() -> dict[str, tuple[float, float, float]]:
    text = CATALOGUE.read_text(encoding="utf-8")
    section = text[text.index("## 4. 2025/26") : text.index("## 5.")]
    rows = (ROW.match(line) for line in section.splitlines())
    return {m[1]: (float(m[2]), float(m[3]), float(m[4])) for m in rows if m}


@pytest.fixture(scope="module")
def ruleset():
    return api.load_ruleset("qof-2025-26")


def test_catalogue_parses_to_44_indicators_and_564_points() -> None:
    catalogue = _catalogue_2025_26()
    assert len(catalogue) == 44
    assert sum(points for points, _, _ in catalogue.values()) == 564


def test_shipped_indicators_are_the_catalogue_less_the_listed_gaps(ruleset) -> None:
    expected = set(_catalogue_2025_26()) - set(NOT_YET_SHIPPED)
    assert set(ruleset.indicators) == expected


def test_points_and_thresholds_match_the_catalogue(ruleset) -> None:
    catalogue = _catalogue_2025_26()
    for indicator in ruleset.indicators.values():
        points, lower, upper = catalogue[indicator.id]
        assert (indicator.points, indicator.lower, indicator.upper) == (points, lower, upper), (
            indicator.id
        )


def test_rulesets_listing_counts(ruleset) -> None:
    catalogue = _catalogue_2025_26()
    missing_points = sum(catalogue[i][0] for i in NOT_YET_SHIPPED)
    assert indicator_count(ruleset) == 44 - len(NOT_YET_SHIPPED)
    assert ruleset.total_points == 564 - missing_points


def test_every_indicator_says_how_far_to_trust_it(ruleset) -> None:
    for indicator in ruleset.indicators.values():
        assert indicator.confidence in {"high", "medium", "low"}, indicator.id
        assert indicator.source, indicator.id
    for register in ruleset.registers.values():
        assert register.confidence in {"high", "medium", "low"}, register.id
        assert register.source, register.id
