"""Reading the small CSV files users give to `qof score` (what-if prevalence, protected points,
declarations): one place for the header check and the one-line errors."""

from __future__ import annotations

import csv
from pathlib import Path

from qofcli.errors import UsageError


def read_rows(path: Path, where: str, header: list[str]) -> list[tuple[int, list[str]]]:
    """Data rows with their line numbers, after checking the header; blank lines skipped."""
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            rows = list(csv.reader(handle))
    except OSError as exc:
        reason = exc.strerror or "unreadable"
        raise UsageError(f"{where}: cannot read the file ({reason}); check the path") from None
    if not rows or [h.strip().lower() for h in rows[0][: len(header)]] != header:
        raise UsageError(f"{where}: the first line must be the header '{','.join(header)}'")
    return [(n, r) for n, r in enumerate(rows[1:], start=2) if any(c.strip() for c in r)]
