"""SNOMED CT identifier (SCTID) checks for code-cluster content.

QOF business rules select patients by SNOMED CT concept ids (and dm+d ids, which are SNOMED CT
concept ids in the UK drug extension) grouped into PCD code clusters. A typo in a shipped cluster
file would silently match nothing, so every code is checked here against the SCTID format:

* digits only, no leading zero, 6 to 18 digits long;
* the partition identifier (the 2nd and 3rd digits from the right) is a *concept* partition:
  ``00`` (short format, International core) or ``10`` (long format, an extension namespace such
  as the UK edition, dm+d or the PCD refsets). Description (``01``/``11``) and relationship
  (``02``/``12``) ids are rejected because clusters must hold concepts;
* the last digit is the Verhoeff check digit over all the preceding digits.

The Verhoeff tables are the standard ones (multiplication in the dihedral group D5, the position
permutation table and its powers, and the inverse table) as used by the SNOMED CT Technical
Implementation Guide, "Check-digit computation".
"""

from __future__ import annotations

__all__ = [
    "CONCEPT_PARTITIONS",
    "is_valid_sctid",
    "partition_id",
    "verhoeff_check_digit",
    "verhoeff_is_valid",
]

#: Partition identifiers that denote a concept id (core short format, extension long format).
CONCEPT_PARTITIONS: frozenset[str] = frozenset({"00", "10"})

MIN_SCTID_LENGTH = 6
MAX_SCTID_LENGTH = 18

# d(j, k): multiplication table of the dihedral group D5.
_D: tuple[tuple[int, ...], ...] = (
    (0, 1, 2, 3, 4, 5, 6, 7, 8, 9),
    (1, 2, 3, 4, 0, 6, 7, 8, 9, 5),
    (2, 3, 4, 0, 1, 7, 8, 9, 5, 6),
    (3, 4, 0, 1, 2, 8, 9, 5, 6, 7),
    (4, 0, 1, 2, 3, 9, 5, 6, 7, 8),
    (5, 9, 8, 7, 6, 0, 4, 3, 2, 1),
    (6, 5, 9, 8, 7, 1, 0, 4, 3, 2),
    (7, 6, 5, 9, 8, 2, 1, 0, 4, 3),
    (8, 7, 6, 5, 9, 3, 2, 1, 0, 4),
    (9, 8, 7, 6, 5, 4, 3, 2, 1, 0),
)

# p(pos mod 8, digit): the permutation (0 1 5 8 9 4 2 7)(3 6) applied pos times.
_P: tuple[tuple[int, ...], ...] = (
    (0, 1, 2, 3, 4, 5, 6, 7, 8, 9),
    (1, 5, 7, 6, 2, 8, 3, 0, 9, 4),
    (5, 8, 0, 3, 7, 9, 6, 1, 4, 2),
    (8, 9, 1, 6, 0, 4, 3, 5, 2, 7),
    (9, 4, 5, 3, 1, 2, 6, 8, 7, 0),
    (4, 2, 8, 6, 5, 7, 3, 9, 0, 1),
    (2, 7, 9, 3, 8, 0, 6, 4, 1, 5),
    (7, 0, 4, 6, 9, 1, 3, 2, 5, 8),
)

# inv(j): the inverse of j in D5.
_INV: tuple[int, ...] = (0, 4, 3, 2, 1, 5, 6, 7, 8, 9)


def _is_ascii_digits(value: str) -> bool:
    # str.isdigit() also accepts e.g. superscripts and other Unicode digits; SCTIDs are ASCII.
    return bool(value) and value.isascii() and value.isdigit()


def verhoeff_is_valid(number: str) -> bool:
    """True if the last digit of ``number`` is its correct Verhoeff check digit."""
    if not _is_ascii_digits(number):
        return False
    check = 0
    for position, char in enumerate(reversed(number)):
        check = _D[check][_P[position % 8][int(char)]]
    return check == 0


def verhoeff_check_digit(payload: str) -> str:
    """The Verhoeff check digit to append to ``payload`` (a string of ASCII digits)."""
    if not _is_ascii_digits(payload):
        raise ValueError(f"payload must be ASCII digits, got {payload!r}")
    check = 0
    # Positions start at 1: position 0 is the check digit still to be appended.
    for position, char in enumerate(reversed(payload), start=1):
        check = _D[check][_P[position % 8][int(char)]]
    return str(_INV[check])


def partition_id(code: str) -> str:
    """The two-digit partition identifier of an SCTID (2nd and 3rd digits from the right)."""
    if len(code) < 3:
        raise ValueError(f"too short to hold a partition identifier: {code!r}")
    return code[-3:-1]


def is_valid_sctid(code: str) -> bool:
    """True if ``code`` is a well-formed SNOMED CT *concept* identifier.

    Checks: ASCII digits only, no leading zero, length 6-18, concept partition (``00`` or
    ``10``) and a correct Verhoeff check digit. It does not check that the concept exists or
    is active in any release.
    """
    if not isinstance(code, str) or not _is_ascii_digits(code):
        return False
    if code[0] == "0":
        return False
    if not MIN_SCTID_LENGTH <= len(code) <= MAX_SCTID_LENGTH:
        return False
    if partition_id(code) not in CONCEPT_PARTITIONS:
        return False
    return verhoeff_is_valid(code)
