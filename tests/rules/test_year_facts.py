"""Year facts of qof-2026-27 and qof-2025-26 that are not patient cases: points, thresholds,
registers and retired ids (NHS England 2026/27 changes as reported by MyPracticeManager, PCIT
and insightsol). Patient-level cases are in rulesets/*/cases/ (tests/test_cases.py)."""

from __future__ import annotations

import pytest

from qofcli.api import load_ruleset

RULESET = "qof-2026-27"
MH = ("MH002", "MH003", "MH006", "MH007", "MH011", "MH012")


@pytest.mark.parametrize(
    ("indicator", "points", "lower", "upper"),
    [
        ("DM037", 10, 35, 75),
        ("DM034", 8, 50, 90),
        ("DM035", 8, 50, 90),
        ("NDH003", 20, 50, 90),
        ("HF009", 12, 20, 50),
    ],
)
def test_2026_27_points_and_thresholds(indicator, points, lower, upper) -> None:
    got = load_ruleset(RULESET).indicators[indicator]
    assert (got.points, got.lower, got.upper) == (points, lower, upper)


def test_2026_27_retires_the_replaced_indicators_and_2025_26_keeps_them() -> None:
    new, old = load_ruleset(RULESET), load_ruleset("qof-2025-26")
    retired = {"DM012", "NDH002", "HF003", "HF006"}
    added = {"DM037", "NDH003", "HF009"}
    assert not retired & set(new.indicators) and added <= set(new.indicators)
    assert retired <= set(old.indicators) and not added & set(old.indicators)
    assert "HF2_REG" not in new.registers and "HF2_REG" in old.registers
    assert (old.indicators["DM034"].points, old.indicators["DM035"].points) == (4, 2)
    assert new.indicators["HF009"].prevalence_register == "HF_REG"


# ---- 2026/27 points and thresholds (PCIT 2026/27 release notes, MyPracticeManager 2026/27 guide)
EXPECTED_2026_27 = {
    # id: (register, points, lower, upper, aliases that must be listed)
    "AST015": ("AST_REG", 20, 45, 70, {"AST007"}),
    "AST014": ("AST_REG", 15, 45, 80, {"AST012"}),
    "COPD010": ("COPD_REG", 9, 50, 90, set()),
    "MH002": ("MH_REG", 5, 40, 90, set()),
    "MH003": ("MH_REG", 3, 50, 90, set()),
    "MH006": ("MH_REG", 3, 50, 90, set()),
    "MH007": ("MH_REG", 3, 50, 90, set()),
    "MH011": ("MH_REG", 7, 50, 90, set()),
    "MH012": ("MH_REG", 7, 50, 90, set()),
    "OB004": ("OB_REG", 5, 10, 30, set()),
    "OB005": ("OBES2_REG", 13, 50, 80, set()),
}


@pytest.mark.parametrize("indicator_id", sorted(EXPECTED_2026_27))
def test_2026_27_indicator_points_thresholds_and_register(indicator_id):
    register, points, lower, upper, aliases = EXPECTED_2026_27[indicator_id]
    indicator = load_ruleset(RULESET).indicators[indicator_id]
    assert (indicator.register, indicator.points) == (register, points)
    assert (indicator.lower, indicator.upper) == (lower, upper)
    assert aliases <= set(indicator.aliases)


def test_2025_26_keeps_its_own_forms():
    """2025/26 has AST007/AST012 (not the v51 ids), its MH indicators count MH1_REG, and the
    lithium route and 6+ asthma register are still in its registers."""
    rs = load_ruleset("qof-2025-26")
    assert {"AST007", "AST012"} <= set(rs.indicators)
    assert not {"AST014", "AST015", "OB004", "OB005"} & set(rs.indicators)
    assert {rs.indicators[i].register for i in MH} == {"MH1_REG"}
    assert rs.registers["AST_REG"].age_rule == "6 and over"
