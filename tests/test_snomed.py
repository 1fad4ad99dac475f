"""Tests for SNOMED CT identifier checks and for every code shipped in cluster files."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from qofcli.ruleset.snomed import (
    is_valid_sctid,
    partition_id,
    verhoeff_check_digit,
    verhoeff_is_valid,
)

REPO_ROOT = Path(__file__).resolve().parent.parent
RULESETS = REPO_ROOT / "rulesets"

# Concept ids read in the shipped cluster files (and their sources).
GOOD_SCTIDS = [
    "73211009",  # Diabetes mellitus (core, short format, partition 00)
    "134396000",  # Statin declined (STATINDEC_COD)
    "720504004",  # Not suitable for DESMOND programme (DSEPPU_COD)
    "394671009",  # O/E - Right diabetic foot at low risk (FRC_COD)
    "1049321000000109",  # UK extension concept, long format (partition 10)
    "885931000000100",  # Diabetes structured education programme not available (DSEPSU_COD)
    "980471000000107",  # Young Townson FootSkin Scale risk level 4 (FRC_COD)
    "999004691000230108",  # DM_COD refset id: refsets are concepts too (partition 10)
    "12464001000001103",  # STAT_COD dm+d drug refset id (partition 10)
    "115131000001105",  # EZETIMIBE_COD dm+d drug refset id (partition 10)
]


@pytest.mark.parametrize("code", GOOD_SCTIDS)
def test_known_good_concept_ids(code: str) -> None:
    assert is_valid_sctid(code)


@pytest.mark.parametrize("code", GOOD_SCTIDS)
def test_any_single_digit_change_is_rejected(code: str) -> None:
    # Verhoeff detects every single-digit substitution.
    for i, original in enumerate(code):
        for replacement in "0123456789":
            if replacement == original:
                continue
            mutated = code[:i] + replacement + code[i + 1 :]
            assert not verhoeff_is_valid(mutated), mutated


@pytest.mark.parametrize("code", GOOD_SCTIDS)
def test_adjacent_transpositions_are_rejected(code: str) -> None:
    # Verhoeff also detects every transposition of two different adjacent digits.
    for i in range(len(code) - 1):
        if code[i] == code[i + 1]:
            continue
        swapped = code[:i] + code[i + 1] + code[i] + code[i + 2 :]
        assert not verhoeff_is_valid(swapped), swapped


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        ("73211008", "check digit changed"),
        ("73211019", "digit changed"),
        ("1049321000000108", "check digit changed"),
        ("7321100A", "letter"),
        ("73211009 ", "trailing space"),
        (" 73211009", "leading space"),
        ("7321-1009", "punctuation"),
        ("", "empty"),
        ("073211009", "leading zero"),
        ("00000", "leading zero and too short"),
        ("12347", "too short (5 digits)"),
        ("1234567890123456789", "too long (19 digits)"),
        ("\u0667\u0663", "non-ASCII digits"),
    ],
)
def test_known_bad(code: str, reason: str) -> None:
    assert not is_valid_sctid(code), reason


def test_check_digit_is_verhoeff() -> None:
    # Worked examples of the Verhoeff scheme (Rosetta Code task; CPAN Algorithm::CheckDigits).
    assert verhoeff_check_digit("236") == "3"
    assert verhoeff_check_digit("12345") == "1"
    assert verhoeff_check_digit("123456789012") == "0"
    assert verhoeff_is_valid("14567894")
    assert verhoeff_is_valid("543217")
    assert not verhoeff_is_valid("543211")
    for code in GOOD_SCTIDS:
        assert verhoeff_check_digit(code[:-1]) == code[-1]


@pytest.mark.parametrize("partition", ["01", "11", "02", "12", "03", "05", "99"])
def test_non_concept_partitions_are_rejected(partition: str) -> None:
    # Build ids that pass Verhoeff but carry a description/relationship/other partition.
    for payload in ("732110", "104932100000"):
        body = payload + partition
        code = body + verhoeff_check_digit(body)
        assert verhoeff_is_valid(code)
        assert partition_id(code) == partition
        assert not is_valid_sctid(code), code


@pytest.mark.parametrize("partition", ["00", "10"])
def test_concept_partitions_are_accepted(partition: str) -> None:
    for payload in ("732110", "104932100000"):
        body = payload + partition
        assert is_valid_sctid(body + verhoeff_check_digit(body))


def test_partition_id() -> None:
    assert partition_id("73211009") == "00"
    assert partition_id("999004691000230108") == "10"
    with pytest.raises(ValueError):
        partition_id("12")


def test_check_digit_rejects_non_digits() -> None:
    with pytest.raises(ValueError):
        verhoeff_check_digit("12a")


def _cluster_csvs() -> list[Path]:
    return sorted(
        path for path in RULESETS.glob("*/clusters/**/*.csv") if path.name != "SOURCES.csv"
    )


def test_cluster_files_exist() -> None:
    assert _cluster_csvs(), f"no cluster CSVs found under {RULESETS}"


def test_every_shipped_cluster_code_is_a_valid_sctid() -> None:
    failures: list[str] = []
    checked = 0
    for path in _cluster_csvs():
        rel = path.relative_to(REPO_ROOT)
        with path.open(newline="", encoding="utf-8") as handle:
            reader = csv.DictReader(handle)
            if reader.fieldnames is None or "code" not in reader.fieldnames:
                failures.append(f"{rel}: no 'code' column (header {reader.fieldnames})")
                continue
            for line_no, row in enumerate(reader, start=2):
                code = row["code"]
                checked += 1
                if code is None or not is_valid_sctid(code):
                    failures.append(f"{rel}:{line_no}: {code!r} ({row.get('term')!r})")
    assert checked > 0
    assert not failures, (
        f"{len(failures)} invalid SNOMED CT concept id(s) out of {checked}:\n" + "\n".join(failures)
    )
