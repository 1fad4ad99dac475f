"""Shipped rulesets against NHS Digital's published QOF 2023/24 metadata.

For each indicator that exists in the 2023/24 metadata (by id or alias), its points and the
PCA/exclusion reasons its rules use must match the official lists, except for the differences
listed below with their justification. The metadata lives in ../shared/reference (beside the
repository in development and CI); the test skips where it is absent.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from qofcli import api
from qofcli.ruleset.catalogue import shipped_ruleset_ids
from qofcli.ruleset.model import Indicator, Ruleset

REFERENCE = Path(__file__).resolve().parents[1].parent / "shared/reference/nhsd-qof-2023-24"

pytestmark = pytest.mark.skipif(
    not REFERENCE.is_dir(), reason="NHS Digital reference metadata not available"
)

# (ruleset, indicator) -> why its points differ from 2023/24.
_CVD_REWEIGHT = "2025/26 moved 141 points into the nine CVD indicators (qof-catalogue.md §1, §5)"
_CD_MERGE = "2026/27 merged CHD015+STIA014 into CD001 (41) and CHD016+STIA015 into CD002 (20)"
KNOWN_POINT_CHANGES = {
    **{
        ("qof-2025-26", indicator): _CVD_REWEIGHT
        for indicator in ("DM036", "HYP008", "HYP009", "CHD015", "CHD016", "STIA014", "STIA015")
    },
    **{("qof-2026-27", i): _CVD_REWEIGHT for i in ("DM036", "HYP010", "HYP011")},
    **{("qof-2026-27", i): _CD_MERGE for i in ("CD001", "CD002")},
}
_V51_POINTS = (
    "2026/27 points from one source (medicus-suite 2026/27 rules), the only values that make the "
    "2026/27 totals 582 and 437 clinical (qof-2026-27.md A2, §C)"
)
KNOWN_POINT_CHANGES |= {
    ("qof-2026-27", "DM034"): _V51_POINTS + ": DM034 (from DM022) 4 -> 8",
    ("qof-2026-27", "DM035"): _V51_POINTS + ": DM035 (from DM023) 2 -> 8",
    ("qof-2026-27", "NDH003"): _V51_POINTS + ": NDH003 renumbers NDH002, 18 -> 20",
}
# (ruleset, indicator) -> reasons used that the 2023/24 predecessor did not list, and why.
_KNOWN_NEW_REASONS_2025_26 = {
    ("qof-2025-26", "DM034"): (
        {"LLTADV", "LLTCONNIND", "LLTDEC12M"},
        "v50 widened DM022 to any lipid-lowering therapy; statin-specific declines and "
        "contraindications moved into the numerator's alternative route (PCIT DM034)",
    ),
    ("qof-2025-26", "DM035"): (
        {"LLTADV", "LLTCONNIND", "LLTDEC12M"},
        "as DM034 (PCIT DM035)",
    ),
    ("qof-2025-26", "AST012"): (
        {"DIAG_DAT25"},
        "AST012 moves AST011's diagnosis cut-off from 1 April 2023 (DIAG_DAT23) to 1 April 2025; "
        "no official name found, so the 2023 name's pattern is used (reasons/AST.yaml)",
    ),
    ("qof-2025-26", "DM036"): (
        {"PAT_AGEO79"},
        "DM036 adds an upper age limit of 79 that DM033 did not have (qof-catalogue.md §4)",
    ),
}
_FRAIL_2026_27 = (
    "v51 removes patients with moderate or severe frailty from the BP indicators, as DM036 "
    "(PCIT frailty article HP345)"
)
# CD001/CD002 are compared with their first alias (CHD015/CHD016); the stroke reasons are the
# official fields of their second alias (STIA014/STIA015), whose PCAs they keep.
_CD_REASONS = {"MDSEVFRAIL", "STIAPCAPU", "STIAPCADEC", "STBPINVITE"}
_KNOWN_NEW_REASONS_2026_27 = {
    ("qof-2026-27", "HYP010"): ({"MDSEVFRAIL"}, _FRAIL_2026_27),
    ("qof-2026-27", "HYP011"): ({"MDSEVFRAIL"}, _FRAIL_2026_27),
    ("qof-2026-27", "CD001"): (_CD_REASONS, f"{_FRAIL_2026_27}; stroke PCAs of STIA014"),
    ("qof-2026-27", "CD002"): (_CD_REASONS, f"{_FRAIL_2026_27}; stroke PCAs of STIA015"),
}
# 2026/27 keeps these 2025/26 changes where it keeps the indicator, under its v51 id: AST012
# became AST014 with the same rules (PCIT 2026/27 release notes).
_RENUMBERED_2026_27 = {"AST012": "AST014"}
KNOWN_NEW_REASONS = {
    **_KNOWN_NEW_REASONS_2025_26,
    **{
        ("qof-2026-27", _RENUMBERED_2026_27.get(i, i)): why
        for (_, i), why in _KNOWN_NEW_REASONS_2025_26.items()
    },
    **_KNOWN_NEW_REASONS_2026_27,
}


def _rows(name: str) -> list[dict[str, str]]:
    with (REFERENCE / name).open(newline="", encoding="cp1252") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def official() -> dict[str, object]:
    points = {
        r["INDICATOR_CODE"]: float(r["INDICATOR_POINT_VALUE"])
        for r in _rows("INDICATOR_REFERENCE_CONTROL.csv")
    }
    fields: dict[str, set[str]] = {}
    for row in _rows("INDICATOR_VALUES.csv"):
        fields.setdefault(row["IND_CODE"], set()).add(row["FIELD_NAME"])
    types = {r["SHORT_NAME"]: r["TYPE"].strip().lower() for r in _rows("PCA_REFERENCE.csv")}
    return {"points": points, "fields": fields, "types": types}


def _predecessor(indicator: Indicator, known: dict[str, float]) -> str | None:
    return next((i for i in (indicator.id, *indicator.aliases) if i in known), None)


def _reasons_used(indicator: Indicator) -> set[str]:
    return {
        action.reason
        for step in indicator.denominator
        for action in (step.if_true, step.if_false)
        if action.reason
    }


def _shipped() -> list[Ruleset]:
    return [api.load_ruleset(i) for i in shipped_ruleset_ids()]


@pytest.mark.parametrize("ruleset", _shipped(), ids=lambda r: r.id)
def test_points_match_2023_24_unless_known(ruleset: Ruleset, official) -> None:
    for indicator in ruleset.indicators.values():
        old = _predecessor(indicator, official["points"])
        if old is None or (ruleset.id, indicator.id) in KNOWN_POINT_CHANGES:
            continue
        assert indicator.points == official["points"][old], (indicator.id, old)


@pytest.mark.parametrize("ruleset", _shipped(), ids=lambda r: r.id)
def test_reasons_are_official_fields_of_the_indicator(ruleset: Ruleset, official) -> None:
    for indicator in ruleset.indicators.values():
        old = _predecessor(indicator, official["points"])
        if old is None:
            continue
        new_ok, _why = KNOWN_NEW_REASONS.get((ruleset.id, indicator.id), (set(), ""))
        unexpected = _reasons_used(indicator) - official["fields"][old] - new_ok
        assert not unexpected, f"{indicator.id} (2023/24 {old}) uses {sorted(unexpected)}"


@pytest.mark.parametrize("ruleset", _shipped(), ids=lambda r: r.id)
def test_reason_types_match_pca_reference(ruleset: Ruleset, official) -> None:
    for reason in ruleset.reasons.values():
        if reason.name in official["types"]:
            assert reason.type == official["types"][reason.name], reason.name


def test_known_differences_are_still_needed(official) -> None:
    """A listed difference that no longer differs should be deleted from the lists."""
    rulesets = {r.id: r for r in _shipped()}
    for (ruleset_id, indicator_id), (extra, _why) in KNOWN_NEW_REASONS.items():
        indicator = rulesets[ruleset_id].indicators[indicator_id]
        old = _predecessor(indicator, official["points"])
        assert old is not None
        assert extra <= _reasons_used(indicator) - official["fields"][old]
    for ruleset_id, indicator_id in KNOWN_POINT_CHANGES:
        indicator = rulesets[ruleset_id].indicators[indicator_id]
        old = _predecessor(indicator, official["points"])
        assert old is not None and indicator.points != official["points"][old]
