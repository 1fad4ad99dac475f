"""Check an extract against the contract and report every problem at once.

Each check is a boolean Polars expression over one table, so a whole table is checked in a
single vectorised pass. Problems carry counts and row numbers, never patient values.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from typing import Literal

import polars as pl

from qofcli.extract.load import (
    DOCS_HINT,
    ExtractLayoutError,
    TableFile,
    check_folder,
    column_problems,
    find_table,
    missing_table_error,
)
from qofcli.extract.mapping import ExtractMapping
from qofcli.extract.schema import EVENTS, PATIENTS, PRACTICES, SEXES, Table, parse, raw_value

# A note informs and never changes the exit code (e.g. codes no rule reads: normal in real data).
Severity = Literal["error", "warning", "note"]

MAX_ROWS = 5
# Nobody registered today was born before this (the oldest recorded human lived 122 years).
EARLIEST_BIRTH = date(1880, 1, 1)
ROW = "_row"
PATIENT_KNOWN = "_patient_known"
PATIENT_BIRTH = "_patient_date_of_birth"
PATIENT_DEATH = "_patient_death_date"
PRACTICE_KNOWN = "_practice_known"
VALUE_LOW, VALUE_HIGH = "_value_low", "_value_high"
#: (code, lowest, highest) plausible value of the codes whose clusters have a range
ValueRanges = Sequence[tuple[str, float, float]]


@dataclass(frozen=True)
class Problem:
    """One kind of problem in one column of one table, with how many rows it affects."""

    severity: Severity
    table: str
    column: str | None
    message: str
    count: int
    rows: tuple[int, ...]
    file: str
    fix: str = ""
    source: str | None = None  # how a mapped column was read (`--map`)

    def line(self) -> str:
        """One line for the terminal; built only from counts, row numbers and names."""
        where = self.file if self.column is None else f"{self.file}: column '{self.column}'"
        if self.source:
            where += f" ({self.source})"
        what = (
            self.message if self.count == 0 else f"{_rows_phrase(self.count)} with {self.message}"
        )
        fix = f"; {self.fix}" if self.fix else ""
        return f"{self.severity}: {where}: {what}{_row_list(self)}{fix}"


def _rows_phrase(count: int) -> str:
    return f"{count} row" if count == 1 else f"{count} rows"


def _row_list(problem: Problem) -> str:
    if not problem.rows:
        return ""
    numbers = ", ".join(str(r) for r in problem.rows)
    more = ", ..." if problem.count > len(problem.rows) else ""
    label = "row" if len(problem.rows) == 1 and not more else "rows"
    return f" ({label} {numbers}{more})"


@dataclass(frozen=True)
class ValidationReport:
    """All problems found in an extract; ``exit_code`` is 0 clean, 1 warnings only, 2 errors."""

    problems: tuple[Problem, ...]

    @property
    def errors(self) -> tuple[Problem, ...]:
        return tuple(p for p in self.problems if p.severity == "error")

    @property
    def warnings(self) -> tuple[Problem, ...]:
        return tuple(p for p in self.problems if p.severity == "warning")

    @property
    def exit_code(self) -> int:
        if self.errors:
            return 2
        return 1 if self.warnings else 0


@dataclass(frozen=True)
class Check:
    """A row-level rule: ``flag`` is true for offending rows; skipped unless ``needs`` exist."""

    severity: Severity
    column: str
    message: str
    fix: str
    flag: pl.Expr
    needs: tuple[str, ...]
    # Codes are not patient data, so a few offending ones may be shown as examples.
    examples_of: str | None = None
    # Positive exactly when some row is flagged, cheaper than counting the flags (extract/gate.py)
    flagged_any: pl.Expr | None = None


@dataclass(frozen=True)
class _Table:
    """A table prepared for checking: row number, then ``raw:<col>`` and typed ``<col>``."""

    name: str
    file: str
    frame: pl.LazyFrame
    columns: frozenset[str]
    source: TableFile | None = None  # None for tables joined from others


def _raw(column: str) -> pl.Expr:
    return pl.col(f"raw:{column}")


def _empty(column: str) -> Check:
    return Check(
        "error",
        column,
        f"empty {column}",
        "fill it in on every row",
        _raw(column).is_null(),
        (column,),
    )


def _unparseable(column: str, expected: str, fix: str) -> Check:
    flag = _raw(column).is_not_null() & pl.col(column).is_null()
    return Check("error", column, f"unparseable {column} ({expected})", fix, flag, (column,))


def _bad_date(column: str) -> Check:
    return _unparseable(column, "expected YYYY-MM-DD", "write dates as YYYY-MM-DD")


def _duplicate(column: str, fix: str) -> Check:
    flag = pl.col(column).is_not_null() & pl.col(column).is_duplicated()
    repeats = pl.col(column).count() - pl.col(column).drop_nulls().n_unique()
    return Check("error", column, f"duplicate {column}", fix, flag, (column,), None, repeats)


def _order(
    severity: Severity, column: str, earlier: str, later: str, message: str, fix: str
) -> Check:
    """Flags rows where ``later`` falls before ``earlier``."""
    flag = pl.col(later) < pl.col(earlier)
    return Check(severity, column, message, fix, flag, (earlier, later))


def practice_checks() -> list[Check]:
    return [
        _empty("practice_code"),
        _duplicate("practice_code", "give each practice one row"),
        _unparseable(
            "list_size", "expected a whole number", "use a whole number or leave it empty"
        ),
        Check(
            "error",
            "list_size",
            "list_size 0 or negative",
            "give the registered list size, or leave it empty to count registered patients",
            pl.col("list_size") <= 0,
            ("list_size",),
        ),
    ]


def patient_checks(today: date) -> list[Check]:
    sex_flag = ~_raw("sex").is_in(SEXES).fill_null(False)
    return [
        _empty("patient_id"),
        _duplicate("patient_id", "give each patient exactly one row"),
        _empty("practice_code"),
        _empty("date_of_birth"),
        _bad_date("date_of_birth"),
        Check(
            "error",
            "date_of_birth",
            f"date_of_birth before {EARLIEST_BIRTH.isoformat()} or after today",
            "check date_of_birth (a placeholder such as 0001-01-01 is not a date of birth)",
            (pl.col("date_of_birth") < EARLIEST_BIRTH) | (pl.col("date_of_birth") > today),
            ("date_of_birth",),
        ),
        Check(
            "error",
            "sex",
            "sex not one of F, M, I, U",
            "use F, M, I or U (U when unknown)",
            sex_flag,
            ("sex",),
        ),
        _empty("registration_date"),
        _bad_date("registration_date"),
        _bad_date("deregistration_date"),
        _bad_date("death_date"),
        _order(
            "error",
            "deregistration_date",
            "registration_date",
            "deregistration_date",
            "deregistration_date before registration_date",
            "check the registration dates",
        ),
        _order(
            "error",
            "registration_date",
            "date_of_birth",
            "registration_date",
            "registration_date before date_of_birth",
            "check date_of_birth",
        ),
        _order(
            "error",
            "death_date",
            "date_of_birth",
            "death_date",
            "death_date before date_of_birth",
            "check death_date and date_of_birth",
        ),
        Check(
            "warning",
            "practice_code",
            "practice_code not in practices",
            "add the practice to practices or correct practice_code",
            pl.col("practice_code").is_not_null() & pl.col(PRACTICE_KNOWN).is_null(),
            ("practice_code", PRACTICE_KNOWN),
        ),
    ]


def event_checks(today: date, known_codes: frozenset[str] | None) -> list[Check]:
    is_digits = pl.col("code").str.contains(r"^\d+$")
    checks = [
        _empty("patient_id"),
        Check(
            "error",
            "patient_id",
            "patient_id not in patients",
            "add the patients or remove their events",
            pl.col("patient_id").is_not_null() & pl.col(PATIENT_KNOWN).is_null(),
            ("patient_id", PATIENT_KNOWN),
        ),
        _empty("date"),
        _bad_date("date"),
        _empty("code"),
        Check(
            "error",
            "code",
            "code that is not a concept id (digits only)",
            "use SNOMED CT or dm+d concept ids",
            ~is_digits,
            ("code",),
        ),
        _unparseable("value", "expected a number", "use a plain number or leave it empty"),
        Check(
            "warning",
            "value",
            "value that is NaN or infinite",
            "the rules treat it as missing; export a number or leave it empty",
            pl.col("value").is_not_null() & ~pl.col("value").is_finite(),
            ("value",),
        ),
        Check(
            "warning",
            "value",
            "value outside the plausible range of its cluster (the ruleset's value_ranges)",
            "the rules treat it as missing; check the units and the typing of these values",
            pl.col("value").is_finite()
            & ~pl.col("value").is_between(pl.col(VALUE_LOW), pl.col(VALUE_HIGH)),
            ("value", VALUE_LOW),
            examples_of="code",
        ),
        Check(
            "warning",
            "date",
            f"date in the future (after {today.isoformat()})",
            "check the event dates",
            pl.col("date") > pl.lit(today),
            ("date",),
        ),
        _order(
            "warning",
            "date",
            PATIENT_BIRTH,
            "date",
            "date before the patient's date_of_birth",
            "check the event dates and date_of_birth",
        ),
        _order(
            "warning",
            "date",
            "date",
            PATIENT_DEATH,
            "date after the patient's death_date",
            "events after death are kept; check they are expected",
        ),
    ]
    if known_codes is not None:
        known = pl.Series(sorted(known_codes), dtype=pl.String).implode()
        checks.append(
            Check(
                "note",
                "code",
                "code in no cluster of the ruleset",
                "these events are ignored; check the codes if that is unexpected",
                is_digits & ~pl.col("code").is_in(known),
                ("code",),
                examples_of="code",
            )
        )
    return checks


def _layout_problem(exc: ExtractLayoutError) -> Problem:
    return Problem("error", exc.table, None, exc.problem, 0, (), exc.file, exc.fix)


def _column_problem(tf: TableFile, column: str, reason: str) -> Problem:
    return Problem("error", tf.table.name, column, reason, 0, (), tf.label, DOCS_HINT)


def _absent_optional(tf: TableFile, column: str) -> Problem:
    return Problem(
        "warning",
        tf.table.name,
        column,
        "optional column missing; read as empty",
        0,
        (),
        tf.label,
        "add the column (its values may be empty)",
    )


def _prepare(tf: TableFile, problems: list[Problem]) -> _Table | None:
    """The table with raw and typed forms of each usable column; notes column problems."""
    try:
        raw, schema = tf.open()
    except ExtractLayoutError as exc:
        problems.append(_layout_problem(exc))
        return None
    bad = column_problems(tf.table, schema)
    found = tf.diagnosis() if bad else None
    if found is not None:
        problems.append(Problem("error", tf.table.name, None, found[0], 0, (), tf.label, found[1]))
        return None
    problems.extend(_column_problem(tf, col, reason) for col, reason in bad.items())
    usable = [c for c in tf.table.columns if c.name in schema and c.name not in bad]
    problems.extend(
        _absent_optional(tf, c.name)
        for c in tf.table.columns
        if c.name not in schema and not c.required
    )
    frame = (
        raw.with_row_index(ROW, offset=1)
        .select(ROW, *(raw_value(c.name, schema[c.name]).alias(f"raw:{c.name}") for c in usable))
        .with_columns(parse(_raw(c.name), c, schema[c.name]).alias(c.name) for c in usable)
    )
    return _Table(tf.table.name, tf.label, frame, frozenset(c.name for c in usable), tf)


def _open(
    folder: Path, table: Table, problems: list[Problem], mapping: ExtractMapping | None
) -> _Table | None:
    try:
        tf = find_table(folder, table, mapping)
        if tf is None and table.required:
            raise missing_table_error(folder, table)
    except ExtractLayoutError as exc:
        problems.append(_layout_problem(exc))
        return None
    return None if tf is None else _prepare(tf, problems)


def _aggregations(i: int, check: Check) -> list[pl.Expr]:
    flag = pl.col(f"f{i}")
    aggs = [
        flag.sum().alias(f"n{i}"),
        pl.col(ROW).filter(flag).bottom_k(MAX_ROWS).implode().alias(f"r{i}"),
    ]
    if check.examples_of:
        values = pl.col(check.examples_of).filter(flag)
        aggs.append(values.n_unique().alias(f"d{i}"))
        aggs.append(values.unique().sort().head(MAX_ROWS).implode().alias(f"e{i}"))
    return aggs


def _examples(check: Check, i: int, result: pl.DataFrame) -> str:
    if not check.examples_of:
        return ""
    distinct = result[f"d{i}"][0]
    shown = ", ".join(result[f"e{i}"][0])
    return f" ({distinct} distinct codes, e.g. {shown})"


def _run(table: _Table, checks: list[Check]) -> tuple[list[Problem], int] | None:
    """Evaluate all applicable checks in one pass; None if the file cannot be read."""
    active = [c for c in checks if set(c.needs) <= table.columns]
    flags = [c.flag.fill_null(False).alias(f"f{i}") for i, c in enumerate(active)]
    aggs = [agg for i, c in enumerate(active) for agg in _aggregations(i, c)]
    try:
        result = table.frame.with_columns(flags).select(pl.len().alias("n"), *aggs).collect()
    except pl.exceptions.PolarsError:
        return None
    problems = []
    for i, check in enumerate(active):
        count = result[f"n{i}"][0]
        if count:
            rows = tuple(sorted(result[f"r{i}"][0]))
            message = check.message + _examples(check, i, result)
            problems.append(
                Problem(
                    check.severity,
                    table.name,
                    check.column,
                    message,
                    count,
                    rows,
                    table.file,
                    check.fix,
                )
            )
    return problems, result["n"][0]


def _unreadable(table: _Table) -> Problem:
    found = table.source.diagnosis() if table.source else None
    problem, fix = found or (
        "cannot be read (malformed rows or mixed types)",
        "check every row has the header's columns in one type",
    )
    return Problem("error", table.name, None, problem, 0, (), table.file, fix)


def _check(table: _Table | None, checks: list[Check], problems: list[Problem]) -> int | None:
    """Run checks and record problems; returns the row count, or None if unusable."""
    if table is None:
        return None
    outcome = _run(table, checks)
    if outcome is None:
        problems.append(_unreadable(table))
        return None
    found, rows = outcome
    problems.extend(found)
    return rows


def _empty_events(events: _Table | None) -> Problem:
    file = events.file if events else EVENTS.name
    return Problem(
        "warning", "events", None, "table has no rows", 0, (), file, "check the extract query"
    )


def _link_practices(patients: _Table, practices: _Table) -> _Table:
    if "practice_code" not in patients.columns or "practice_code" not in practices.columns:
        return patients
    known = (
        practices.frame.select("practice_code")
        .drop_nulls()
        .unique()
        .with_columns(pl.lit(True).alias(PRACTICE_KNOWN))
    )
    frame = patients.frame.join(known, on="practice_code", how="left")
    return replace(patients, frame=frame, columns=patients.columns | {PRACTICE_KNOWN})


def _link_patients(events: _Table, patients: _Table) -> _Table:
    if "patient_id" not in events.columns or "patient_id" not in patients.columns:
        return events
    dates = {"date_of_birth": PATIENT_BIRTH, "death_date": PATIENT_DEATH}
    present = {col: alias for col, alias in dates.items() if col in patients.columns}
    people = (
        patients.frame.filter(pl.col("patient_id").is_not_null())
        .unique(subset="patient_id", keep="any")
        .select(
            "patient_id",
            pl.lit(True).alias(PATIENT_KNOWN),
            *(pl.col(col).alias(alias) for col, alias in present.items()),
        )
    )
    frame = events.frame.join(people, on="patient_id", how="left")
    linked = {PATIENT_KNOWN, *present.values()}
    return replace(events, frame=frame, columns=events.columns | linked)


def _link_value_ranges(events: _Table, ranges: ValueRanges) -> _Table:
    """Each event with the plausible value range of its code (none for most codes)."""
    table = pl.DataFrame(
        list(ranges),
        schema={"code": pl.String, VALUE_LOW: pl.Float64, VALUE_HIGH: pl.Float64},
        orient="row",
    )
    frame = events.frame.join(table.lazy(), on="code", how="left")
    return replace(events, frame=frame, columns=events.columns | {VALUE_LOW, VALUE_HIGH})


def validate_extract(
    path: Path,
    known_codes: frozenset[str] | None = None,
    today: date | None = None,
    mapping: ExtractMapping | None = None,
    value_ranges: ValueRanges = (),
) -> ValidationReport:
    """Check the extract at ``path``; every problem is reported, none stops the others.
    ``value_ranges`` (from the ruleset) flags values no patient can have."""
    today = today or date.today()
    try:
        folder = check_folder(path)
    except ExtractLayoutError as exc:
        return ValidationReport((_layout_problem(exc),))
    problems: list[Problem] = []
    patients = _open(folder, PATIENTS, problems, mapping)
    events = _open(folder, EVENTS, problems, mapping)
    practices = _open(folder, PRACTICES, problems, mapping)

    # Link tables only to ones that read cleanly, so a broken file is blamed once.
    if _check(practices, practice_checks(), problems) is None:
        practices = None
    linked = patients
    if patients is not None and practices is not None:
        linked = _link_practices(patients, practices)
    patients_readable = _check(linked, patient_checks(today), problems) is not None
    if patients_readable and patients is not None and events is not None:
        events = _link_patients(events, patients)
    if value_ranges and events is not None and "code" in events.columns:
        events = _link_value_ranges(events, value_ranges)
    if _check(events, event_checks(today, known_codes), problems) == 0:
        problems.append(_empty_events(events))
    if mapping is not None:
        problems = [_with_source(p, mapping) for p in problems]
    return ValidationReport(tuple(sorted(problems, key=_report_order)))


def _with_source(problem: Problem, mapping: ExtractMapping) -> Problem:
    """Name the source column a mapped contract column was read from."""
    table = next((t for t in (PATIENTS, EVENTS, PRACTICES) if t.name == problem.table), None)
    mapped = mapping.get(table) if table else None
    if mapped is None or problem.column is None:
        return problem
    return replace(problem, source=mapped.describe(problem.column))


_TABLE_ORDER = ("extract", PATIENTS.name, EVENTS.name, PRACTICES.name)


def _report_order(problem: Problem) -> tuple[int, int]:
    return _TABLE_ORDER.index(problem.table), problem.severity != "error"
