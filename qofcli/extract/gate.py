"""The errors-only check run before every data command: is this extract fit to score?

`qof validate` reports every problem with row numbers; a command that scores needs only to
know that there is no error, and it must not pay for a second full read of the events. So
the error checks of `validate.py` run here on what one streaming pass over the events
yields: the distinct stored patient ids and codes with their row counts (a few thousand
codes, one row per patient), and per-row only the checks of the date and value columns.
The same `Check` expressions are evaluated, on distinct values weighted by their counts, so
an extract passes here exactly when `validate_extract` finds no error; when it fails, the
caller runs `validate_extract` for the full report. The distinct values also tell whether
the stored text needs trimming, which lets loading skip trimming 60 million strings.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import polars as pl

from qofcli.extract.load import ExtractLayoutError, check_folder
from qofcli.extract.mapping import ExtractMapping
from qofcli.extract.schema import EVENTS, PATIENTS, PRACTICES, parse, raw_value
from qofcli.extract.validate import (
    PATIENT_KNOWN,
    Check,
    Problem,
    _open,
    _Table,
    event_checks,
    patient_checks,
    practice_checks,
)

#: Event columns read per distinct stored value rather than per row.
KEYED = ("patient_id", "code")
STORED, ROWS = "_stored", "_rows"


@dataclass(frozen=True)
class GateResult:
    """`passed`: no error; `trimmed`: event text columns stored exactly as loading would
    read them (no surrounding spaces, no empty text), so loading may use them as stored."""

    passed: bool
    trimmed: frozenset[str] = frozenset()


FAILED = GateResult(False)


def gate(
    path: Path, mapping: ExtractMapping | None = None, today: date | None = None
) -> GateResult:
    """Whether `validate_extract(path, mapping=mapping)` would find no error; `passed` False
    means "run it" (it may still find none, e.g. for CSV tables, not checked here)."""
    today = today or date.today()
    try:
        folder = check_folder(path)
    except ExtractLayoutError:
        return FAILED
    problems: list[Problem] = []
    patients = _open(folder, PATIENTS, problems, mapping)
    events = _open(folder, EVENTS, problems, mapping)
    practices = _open(folder, PRACTICES, problems, mapping)
    tables = (patients, events, practices)
    if patients is None or events is None or _errors(problems):
        return FAILED
    if any(t is not None and t.source is not None and t.source.is_csv for t in tables):
        # A CSV reader that reads only some columns need not notice a ragged row: CSV
        # extracts (small, text parsing dominates) get the full check.
        return FAILED
    try:
        errors = _row_errors(patients, patient_checks(today))
        if practices is not None:
            errors += _row_errors(practices, practice_checks())
        events_errors, trimmed = _event_errors(events, patients, today)
    except pl.exceptions.PolarsError:
        return FAILED  # unreadable: validate_extract says how
    return GateResult(errors + events_errors == 0, trimmed)


def _row_errors(table: _Table, checks: list[Check]) -> int:
    """Rows flagged by the error checks that apply (counts only: no row numbers needed)."""
    active = [c for c in _error_checks(checks) if set(c.needs) <= table.columns]
    if not active:
        return 0
    flags = [c.flag.fill_null(False).sum() for c in active]
    return int(table.frame.select(pl.sum_horizontal(flags)).collect().item())


def _errors(problems: list[Problem]) -> bool:
    return any(p.severity == "error" for p in problems)


def _error_checks(checks: list[Check]) -> list[Check]:
    return [c for c in checks if c.severity == "error"]


def _event_errors(events: _Table, patients: _Table, today: date) -> tuple[int, frozenset[str]]:
    """Rows with an error in the events, and the keyed columns stored already trimmed."""
    assert events.source is not None  # tables opened from files carry their source
    stored, schema = events.source.open()
    checks = _error_checks(event_checks(today, None))
    keyed = [k for k in KEYED if k in events.columns]
    per_key = [_keyed_errors(stored, schema, name, checks, patients) for name in keyed]
    per_row = [c for c in checks if not set(c.needs) & {*KEYED, PATIENT_KNOWN}]
    row_errors = events.frame.select(
        pl.sum_horizontal(c.flag.fill_null(False).sum() for c in per_row).alias("errors")
        if per_row
        else pl.lit(0).alias("errors")
    )
    results = pl.collect_all([*per_key, row_errors], engine="streaming")
    errors = sum(int(r["errors"].sum() or 0) for r in results)
    trimmed = frozenset(
        name
        for name, found in zip(keyed, results, strict=False)
        if schema[name] == pl.String and bool(found["same"].all())
    )
    return errors, trimmed


def _keyed_errors(
    stored: pl.LazyFrame, schema: pl.Schema, name: str, checks: list[Check], patients: _Table
) -> pl.LazyFrame:
    """The checks of one column run on its distinct stored values, weighted by their rows;
    `same` says whether every stored value is already what loading reads."""
    column = next(c for c in EVENTS.columns if c.name == name)
    raw = raw_value(STORED, schema[name])
    distinct = (
        stored.group_by(pl.col(name).alias(STORED))
        .agg(pl.len().alias(ROWS))
        .with_columns(raw.alias(f"raw:{name}"))
        .with_columns(parse(pl.col(f"raw:{name}"), column, schema[name]).alias(name))
    )
    available = {name}
    if name == "patient_id":
        known = (
            patients.frame.select("patient_id")
            .drop_nulls()
            .unique()
            .with_columns(pl.lit(True).alias(PATIENT_KNOWN))
        )
        distinct = distinct.join(known, on="patient_id", how="left")
        available.add(PATIENT_KNOWN)
    active = [c for c in checks if set(c.needs) <= available]
    flagged = (
        pl.any_horizontal(c.flag.fill_null(False) for c in active) if active else pl.lit(False)
    )
    return distinct.select(
        pl.col(ROWS).filter(flagged).sum().alias("errors"),
        (pl.col(STORED).cast(pl.String) == pl.col(name)).fill_null(False).all().alias("same"),
    )
