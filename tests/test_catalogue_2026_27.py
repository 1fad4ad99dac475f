"""qof-2026-27 holds exactly the 43 indicators of QOF 2026/27 with their points and thresholds.

Expected values: the 2026/27 indicator table (NHS England GP contract 2026/27 changes as
reported by MyPracticeManager's 2026/27 QOF guide and haresign.net's 2026/27 income tool;
2025/26 values where unchanged). Where sources conflict the ruleset's choice is expected, and
the conflict is named: AF006 upper 90 (95 in one source only), DM037 35-75 (two sources; 40-90
in one), NDH003 thresholds not published (NDH002's 50-90 kept).
"""

from __future__ import annotations

import pytest

from qofcli import api

RULESET = "qof-2026-27"

# id: (points, lower, upper)
EXPECTED = {
    "AF006": (12, 40, 90),
    "AF008": (12, 70, 95),
    "CHD005": (7, 56, 96),
    "STIA007": (4, 57, 97),
    "CD001": (41, 40, 90),
    "CD002": (20, 46, 90),
    "HYP010": (38, 40, 85),
    "HYP011": (14, 40, 85),
    "CHOL003": (20, 70, 95),
    "CHOL004": (44, 20, 50),
    "HF007": (7, 50, 90),
    "HF008": (6, 50, 90),
    "HF009": (12, 20, 50),
    "DM006": (3, 57, 97),
    "DM014": (11, 40, 90),
    "DM020": (17, 35, 75),
    "DM021": (10, 52, 92),
    "DM034": (8, 50, 90),
    "DM035": (8, 50, 90),
    "DM036": (27, 38, 90),
    "DM037": (10, 35, 75),
    "AST015": (20, 45, 70),
    "AST014": (15, 45, 80),
    "COPD010": (9, 50, 90),
    "DEM004": (14, 35, 70),
    "MH002": (5, 40, 90),
    "MH003": (3, 50, 90),
    "MH006": (3, 50, 90),
    "MH007": (3, 50, 90),
    "MH011": (7, 50, 90),
    "MH012": (7, 50, 90),
    "NDH003": (20, 50, 90),
    "OB004": (5, 10, 30),
    "OB005": (13, 50, 80),
    "BP002": (15, 50, 90),
    "SMOK002": (25, 50, 90),
    "SMOK004": (12, 40, 90),
    "VI001": (18, 89, 96),
    "VI002": (18, 86, 96),
    "VI003": (18, 81, 96),
    "VI004": (10, 50, 60),
    "CS005": (7, 45, 80),
    "CS006": (4, 45, 80),
}
RETIRED = (
    "CHD015 CHD016 STIA014 STIA015 HF003 HF006 DM012 HYP008 HYP009 AST007 AST012 NDH002".split()
)


@pytest.fixture(scope="module")
def ruleset():
    return api.load_ruleset(RULESET)


def test_43_indicators_582_points(ruleset) -> None:
    assert len(EXPECTED) == 43
    assert set(ruleset.indicators) == set(EXPECTED)
    assert sum(p for p, _, _ in EXPECTED.values()) == 582
    assert ruleset.total_points == 582


@pytest.mark.parametrize("indicator", sorted(EXPECTED))
def test_points_and_thresholds(ruleset, indicator: str) -> None:
    found = ruleset.indicators[indicator]
    assert (found.points, found.lower, found.upper) == EXPECTED[indicator]


def test_retired_indicators_are_gone(ruleset) -> None:
    assert not set(RETIRED) & set(ruleset.indicators)


def test_year_constants(ruleset) -> None:
    assert (ruleset.qof_year, ruleset.business_rules) == ("2026/27", "v51")
    assert (str(ruleset.period_start), str(ruleset.period_end)) == ("2026-04-01", "2027-03-31")
    assert ruleset.payment.pound_per_point == 227.95
    assert ruleset.payment.national_average_list_size == 10349
