"""Points that do not come from this year's achievement (rulesets/README.md, "Payment").

- `protected` indicators (income protection, e.g. 32 indicators in 2024/25) are paid on points
  the practice earned in an earlier year. Their achievement is still computed; their points come
  from a user file `--protected-points` (CSV `practice_code,indicator,points`).
- `manual` indicators (quality-improvement modules) have no rules; the practice declares them.
  The file `--declarations` (CSV `practice_code,indicator,achieved`, yes/no) mirrors the
  official CQRS "Yes/No Flag" for QI013-QI019: yes earns the indicator's points, no earns 0.

Without a file their points and £ stay null with a note saying why: never 0 by default.

- indicators with an `improvement` route (VI001-VI003 from 2026/27) earn the better of their
  threshold points and an improvement scale over the practice's baseline (its 2-year average
  achievement), which the user gives in `--vaccination-baseline` (CSV
  `practice_code,indicator,baseline`, a %). Without it: threshold points only, and
  `points_route` says so.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from qofcli.errors import UsageError
from qofcli.ruleset.model import Ruleset
from qofcli.scoring.points import points_expr
from qofcli.scoring.userfiles import read_rows

PROTECTED_OPTION = "--protected-points"
DECLARATIONS_OPTION = "--declarations"
BASELINE_OPTION = "--vaccination-baseline"
BASELINE_HEADER = ["practice_code", "indicator", "baseline"]
BASELINE_SCHEMA = {"practice_code": pl.String, "indicator": pl.String, "baseline": pl.Float64}
ROUTE_THRESHOLD, ROUTE_IMPROVEMENT = "threshold", "improvement"
ROUTE_NO_BASELINE = "threshold (no baseline)"
PROTECTED_HEADER = ["practice_code", "indicator", "points"]
DECLARATIONS_HEADER = ["practice_code", "indicator", "achieved"]
YES, NO = ("yes", "y", "true", "1"), ("no", "n", "false", "0")
CLAIM_SCHEMA = {"practice_code": pl.String, "indicator": pl.String, "claimed_points": pl.Float64}


@dataclass(frozen=True)
class Claims:
    """User-supplied points for protected and manual indicators, with the files they came from."""

    points: pl.DataFrame  # practice_code, indicator, claimed_points
    protected_file: str | None = None
    declarations_file: str | None = None
    baselines: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema=BASELINE_SCHEMA))
    baseline_file: str | None = None

    def check_practices(self, practices: Iterable[str]) -> None:
        """Every practice named in a file must be in the extract."""
        known = set(practices)
        for option, source in (
            (PROTECTED_OPTION, self.protected_file),
            (DECLARATIONS_OPTION, self.declarations_file),
            (BASELINE_OPTION, self.baseline_file),
        ):
            if source is None:
                continue
            if option == BASELINE_OPTION:
                named = self.baselines["practice_code"].unique()
            else:
                named = self.points.filter(pl.col("source") == option)["practice_code"].unique()
            unknown = sorted(set(named) - known)
            if unknown:
                raise UsageError(
                    f"{option} {source}: practice {unknown[0]} is not in the extract "
                    f"({', '.join(sorted(known)) or 'no practices'})"
                )


def no_claims() -> Claims:
    return Claims(pl.DataFrame(schema={**CLAIM_SCHEMA, "source": pl.String}))


def paid_items(ruleset: Ruleset) -> dict[str, tuple[str, float]]:
    """Every paid item's id -> (payment, max points): indicators and protected registers."""
    items: dict[str, tuple[str, float]] = {
        i.id: (i.payment, i.points) for i in ruleset.indicators.values()
    }
    for register in ruleset.registers.values():
        if register.points > 0 and register.payment == "protected":
            items[register.indicator or register.id] = (register.payment, register.points)
    return items


def read_claims(
    ruleset: Ruleset,
    protected: Path | None = None,
    declarations: Path | None = None,
    baselines: Path | None = None,
) -> Claims:
    """Read and check the optional files against the ruleset (practices are checked later)."""
    frames = [no_claims().points]
    if protected is not None:
        frames.append(_read(protected, PROTECTED_OPTION, "protected", ruleset))
    if declarations is not None:
        frames.append(_read(declarations, DECLARATIONS_OPTION, "manual", ruleset))
    return Claims(
        pl.concat(frames),
        str(protected) if protected is not None else None,
        str(declarations) if declarations is not None else None,
        _read_baselines(baselines, ruleset) if baselines is not None else no_claims().baselines,
        str(baselines) if baselines is not None else None,
    )


def _read_baselines(path: Path, ruleset: Ruleset) -> pl.DataFrame:
    """--vaccination-baseline: one % per practice and improvement-route indicator."""
    where = f"{BASELINE_OPTION} {path}"
    allowed = sorted(i.id for i in ruleset.indicators.values() if i.improvement is not None)
    seen: set[tuple[str, str]] = set()
    out = []
    for line, row in read_rows(path, where, BASELINE_HEADER):
        at = f"{where} line {line}"
        practice, indicator = row[0].strip(), row[1].strip() if len(row) > 1 else ""
        if indicator not in allowed:
            choices = ", ".join(allowed) or "none"
            raise UsageError(
                f"{at}: {indicator or '(empty)'} has no improvement route in {ruleset.id}; "
                f"use one of {choices}"
            )
        if (practice, indicator) in seen:
            raise UsageError(f"{at}: {practice} {indicator} is listed twice")
        seen.add((practice, indicator))
        out.append((practice, indicator, _percent(row[2].strip() if len(row) > 2 else "", at)))
    return pl.DataFrame(out, schema=BASELINE_SCHEMA, orient="row")


def _percent(cell: str, at: str) -> float:
    try:
        value = float(cell)
    except ValueError:
        value = math.nan
    if not 0 <= value <= 100:
        raise UsageError(f"{at}: baseline {cell!r} must be a percentage from 0 to 100")
    return value


def _read(path: Path, option: str, payment: str, ruleset: Ruleset) -> pl.DataFrame:
    where = f"{option} {path}"
    header = PROTECTED_HEADER if payment == "protected" else DECLARATIONS_HEADER
    rows = read_rows(path, where, header)
    items = paid_items(ruleset)
    allowed = sorted(i for i, (kind, _) in items.items() if kind == payment)
    seen: set[tuple[str, str]] = set()
    out = []
    for line, row in rows:
        at = f"{where} line {line}"
        practice, indicator = row[0].strip(), row[1].strip() if len(row) > 1 else ""
        if indicator not in allowed:
            raise UsageError(_not_allowed(at, indicator, payment, ruleset.id, allowed))
        if (practice, indicator) in seen:
            raise UsageError(f"{at}: {practice} {indicator} is listed twice")
        seen.add((practice, indicator))
        cell = row[2].strip() if len(row) > 2 else ""
        maximum = items[indicator][1]
        value = _points(cell, maximum, at) if payment == "protected" else _yes_no(cell, maximum, at)
        out.append((practice, indicator, value, option))
    return pl.DataFrame(out, schema={**CLAIM_SCHEMA, "source": pl.String}, orient="row")


def _not_allowed(at: str, indicator: str, payment: str, ruleset_id: str, allowed: list[str]) -> str:
    kind = "income-protected" if payment == "protected" else "declared manually"
    choices = ", ".join(allowed) or "none"
    return f"{at}: {indicator or '(empty)'} is not {kind} in {ruleset_id}; use one of {choices}"


def _points(cell: str, maximum: float, at: str) -> float:
    try:
        value = float(cell)
    except ValueError:
        value = math.nan
    if not 0 <= value <= maximum:
        raise UsageError(f"{at}: points {cell!r} must be a number from 0 to {maximum:g}")
    return value


def _yes_no(cell: str, maximum: float, at: str) -> float:
    answer = cell.lower()
    if answer in YES:
        return maximum
    if answer in NO:
        return 0.0
    raise UsageError(f"{at}: achieved {cell!r} must be yes or no")


# ---- points and notes over the indicator table ------------------------------------------


def improve_points(table: pl.DataFrame, ruleset: Ruleset, claims: Claims) -> pl.DataFrame:
    """Points = max(threshold points, improvement points) where a route and a baseline exist;
    `points_route` says which paid (null for indicators without a route).

    Improvement points: 0 at or below baseline + lower_above_baseline, all at or above the
    route's upper %, linear in between. Needs practice_code, indicator, achievement, points and
    max_points.
    """
    routes = {i.id: i.improvement for i in ruleset.indicators.values() if i.improvement}
    if not routes:
        return table.with_columns(pl.lit(None, dtype=pl.String).alias("points_route"))
    route_frame = pl.DataFrame(
        [(i, r.lower_above_baseline, r.upper) for i, r in routes.items()],
        schema={"indicator": pl.String, "_above": pl.Float64, "_improve_upper": pl.Float64},
        orient="row",
    )
    joined = table.join(route_frame, on="indicator", how="left").join(
        claims.baselines, on=["practice_code", "indicator"], how="left"
    )
    improved = points_expr(
        pl.col("achievement"),
        pl.col("baseline") + pl.col("_above"),
        pl.col("_improve_upper"),
        pl.col("max_points"),
    )
    has_route, has_baseline = pl.col("_above").is_not_null(), pl.col("baseline").is_not_null()
    better = has_route & has_baseline & (improved > pl.col("points"))
    route = (
        pl.when(~has_route)
        .then(None)
        .when(~has_baseline)
        .then(pl.lit(ROUTE_NO_BASELINE))
        .when(better)
        .then(pl.lit(ROUTE_IMPROVEMENT))
        .otherwise(pl.lit(ROUTE_THRESHOLD))
    )
    return joined.with_columns(
        pl.when(better).then(improved).otherwise(pl.col("points")).alias("points"),
        route.alias("points_route"),
    ).drop("_above", "_improve_upper", "baseline")


def no_baseline_note(indicators: Iterable[str]) -> str:
    """What a run without --vaccination-baseline leaves out."""
    return (
        f"{', '.join(sorted(indicators))}: threshold points only; the improvement route needs "
        f"{BASELINE_OPTION} FILE ({','.join(BASELINE_HEADER)}, the practice's 2-year average %)"
    )


def settle_points(table: pl.DataFrame, claims: Claims) -> pl.DataFrame:
    """Final points per row by payment, and `points_note` where they are unknown.

    Needs practice_code, indicator, payment and points (from achievement).
    """
    joined = table.join(
        claims.points.select("practice_code", "indicator", "claimed_points"),
        on=["practice_code", "indicator"],
        how="left",
    )
    points = (
        pl.when(pl.col("payment") == "achievement")
        .then(pl.col("points"))
        .otherwise(pl.col("claimed_points"))
    )
    return joined.with_columns(points.alias("points"), _points_note(claims).alias("points_note"))


def _points_note(claims: Claims) -> pl.Expr:
    missing = pl.col("claimed_points").is_null()
    protected = pl.col("payment") == "protected"
    manual = pl.col("payment") == "manual"
    return (
        pl.when(protected & missing)
        .then(pl.lit(_missing_note(PROTECTED_OPTION, claims.protected_file)))
        .when(manual & missing)
        .then(pl.lit(_missing_note(DECLARATIONS_OPTION, claims.declarations_file)))
        .otherwise(None)
    )


def _missing_note(option: str, source: str | None) -> str:
    if option == PROTECTED_OPTION:
        what = (
            "income-protected: paid on the practice's protected points, not this year's achievement"
        )
        form = ",".join(PROTECTED_HEADER)
    else:
        what = "declared by the practice: not computed from the extract"
        form = ",".join(DECLARATIONS_HEADER)
    if source is None:
        return f"points not computed ({what}); pass {option} FILE ({form})"
    return f"points not computed ({what}); no row for this practice in {option} {source}"
