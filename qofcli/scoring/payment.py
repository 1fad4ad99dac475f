"""The money: £ per indicator = points × £ per point × CPI × APDF (qof-catalogue.md §2).

CPI (contractor population index) = practice list size ÷ national average list size.
APDF (adjusted practice disease factor) = practice prevalence ÷ national prevalence of the
indicator's register, where practice prevalence = register size ÷ whole list size. Indicators
with `prevalence_adjusted: false` (vaccinations, cervical screening, BP002, SMOK004) use CPI only.
A figure the ruleset does not know (and no option supplies) leaves £ null, with a note saying why.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from qofcli.errors import UsageError
from qofcli.ruleset.model import Ruleset
from qofcli.scoring.userfiles import read_rows

MONEY_COLUMNS = (
    "points",
    "max_points",
    "pounds",
    "max_pounds",
    "unpriced_points",
    "points_not_computed",
    "points_not_computable",
)


@dataclass(frozen=True)
class Rates:
    """The national figures a run prices points with, after command-line overrides."""

    pound_per_point: float | None
    national_average_list_size: float | None
    national_prevalence: dict[str, float] = field(default_factory=dict)  # register -> %
    overridden: tuple[str, ...] = ()  # the options that replaced ruleset values
    prevalence_basis: str = ""  # which year's national prevalence £ rests on, in words
    pounds_estimate: bool = False  # True when that is not the payment year's own figure


# What-if figures beyond these are mistakes (QOF pays ~£228 a point; the national average list
# is ~10,000), and far larger ones overflow £ to infinity.
MAX_POINT_VALUE = 100_000
MAX_LIST_SIZE = 10_000_000


def rates_for(
    ruleset: Ruleset,
    point_value: float | None = None,
    list_size: float | None = None,
    national_prevalence: Mapping[str, float] | None = None,
) -> Rates:
    """The ruleset's [payment] figures, with what-if overrides laid over them."""
    payment = ruleset.payment
    for name, value, most in (
        ("--point-value", point_value, MAX_POINT_VALUE),
        ("--list-size", list_size, MAX_LIST_SIZE),
    ):
        if value is not None and not (0 < value <= most):
            raise UsageError(f"{name} {value:g} must be a positive number up to {most:,}")
    prevalence = dict(payment.national_prevalence)
    prevalence.update(national_prevalence or {})
    overridden = [
        name
        for name, value in (
            ("--point-value", point_value),
            ("--list-size", list_size),
            ("--national-prevalence", national_prevalence),
        )
        if value is not None
    ]
    basis, estimate = prevalence_basis(ruleset, sorted(national_prevalence or {}))
    return Rates(
        pound_per_point=point_value if point_value is not None else payment.pound_per_point,
        national_average_list_size=(
            list_size if list_size is not None else payment.national_average_list_size
        ),
        national_prevalence=prevalence,
        overridden=tuple(overridden),
        prevalence_basis=basis,
        pounds_estimate=estimate,
    )


def prevalence_basis(ruleset: Ruleset, from_file: Sequence[str] = ()) -> tuple[str, bool]:
    """Which national prevalence £ rests on, and whether £ is therefore an estimate.

    The payment year's own national prevalence is computed after the year ends, so a ruleset
    ships the latest published year's figures (`national_prevalence_year`): for any other year
    £ is an estimate. Registers given with --national-prevalence are named as such.
    """
    year, own = ruleset.payment.national_prevalence_year, ruleset.qof_year
    shipped = set(ruleset.payment.national_prevalence) - set(from_file)
    if not shipped:
        text, estimate = "no national prevalence in the ruleset", False
    elif not year:
        text = "£ is an estimate: the ruleset does not say which year its national prevalence is"
        estimate = True
    elif year == own:
        text, estimate = f"national prevalence of {year}, the payment year's own figures", False
    else:
        text = (
            f"£ is an estimate: national prevalence of {year} (the latest published); "
            f"the {own} figures are only known after the year ends"
        )
        estimate = True
    if from_file:
        text += f"; {', '.join(from_file)} from --national-prevalence"
    return text, estimate


def read_national_prevalence(
    path: Path, registers: Sequence[str], shipped: Mapping[str, float] | None = None
) -> dict[str, float]:
    """A CSV `register,prevalence` (% of the whole list); every problem names the file.

    A figure 20 times below the ruleset's own for that register (or below 0.05% where the
    ruleset has none) is refused as a fraction given for a percentage: 0.065 for 6.5% would
    make £ a hundred times too high.
    """
    where = f"--national-prevalence {path}"
    found: dict[str, float] = {}
    lines: dict[str, int] = {}
    for line, row in read_rows(path, where, ["register", "prevalence"]):
        register = _register_cell(row, line, where, registers)
        if register in found:
            raise UsageError(
                f"{where} line {line}: {register} is given twice (line {lines[register]} too); "
                "keep one row per register"
            )
        value = _prevalence_cell(row, line, where)
        floor = (shipped or {}).get(register, 1.0) / 20
        if value < floor:
            raise UsageError(
                f"{where} line {line}: {register} {value:g} looks like a fraction; give a "
                f"percentage of the whole list (e.g. {value * 100:g} for {value * 100:g}%)"
            )
        found[register], lines[register] = value, line
    return found


def _register_cell(row: list[str], line: int, where: str, registers: Sequence[str]) -> str:
    register = row[0].strip()
    if register not in registers:
        raise UsageError(
            f"{where} line {line}: unknown register {register!r}; "
            f"use one of {', '.join(sorted(registers))}"
        )
    return register


def _prevalence_cell(row: list[str], line: int, where: str) -> float:
    text = row[1].strip() if len(row) > 1 else ""
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not 0 < value <= 100:
        raise UsageError(
            f"{where} line {line}: prevalence {text!r} must be a percentage above 0 and at most 100"
        )
    return value


# ---- the formula, one value at a time (documentation and tests) --------------------------


def cpi(list_size: float, national_average_list_size: float) -> float:
    """Contractor population index."""
    return list_size / national_average_list_size


def apdf(register_size: float, list_size: float, national_prevalence: float) -> float:
    """Adjusted practice disease factor; `national_prevalence` is a percentage."""
    return (register_size / list_size) / (national_prevalence / 100.0)


def pounds(points: float, pound_per_point: float, cpi: float, apdf: float = 1.0) -> float:
    """£ for an indicator; list-only indicators pass apdf 1."""
    return points * pound_per_point * cpi * apdf


# ---- the same over a table ---------------------------------------------------------------


def price(indicators: pl.DataFrame, rates: Rates) -> pl.DataFrame:
    """Add cpi, apdf, pounds, max_pounds and pounds_note to an indicator table.

    Needs the columns register, prevalence_adjusted, points, max_points, list_size and
    register_size (the indicator's register size in the same practice).
    """
    national = pl.col("register").replace_strict(
        rates.national_prevalence, default=None, return_dtype=pl.Float64
    )
    list_size = pl.col("list_size").cast(pl.Float64)
    size = pl.col("register_size").cast(pl.Float64)
    cpi_col = (
        list_size / rates.national_average_list_size
        if rates.national_average_list_size
        else pl.lit(None, dtype=pl.Float64)
    )
    apdf_col = (
        pl.when(~pl.col("prevalence_adjusted"))
        .then(1.0)
        .when(national.is_null() | (list_size <= 0))
        .then(None)
        .otherwise(size / list_size / (national / 100.0))
    )
    per_point = pl.lit(rates.pound_per_point, dtype=pl.Float64) * pl.col("cpi") * pl.col("apdf")
    return (
        indicators.with_columns(cpi_col.alias("cpi"), apdf_col.alias("apdf"))
        .with_columns(
            (pl.col("points") * per_point).alias("pounds"),
            (pl.col("max_points") * per_point).alias("max_pounds"),
        )
        .with_columns(_note(rates, national, list_size).alias("pounds_note"))
    )


def _note(rates: Rates, national: pl.Expr, list_size: pl.Expr) -> pl.Expr:
    """Why £ is null, in words; null where £ is known."""
    if rates.pound_per_point is None:
        return pl.lit("no £ per point: set [payment] pound_per_point or pass --point-value")
    if rates.national_average_list_size is None:
        return pl.lit(
            "no national average list size: set [payment] national_average_list_size "
            "or pass --list-size"
        )
    missing_prevalence = pl.format(
        "no national prevalence for {}: add it to [payment.national_prevalence] "
        "or pass --national-prevalence",
        pl.col("register"),
    )
    return (
        pl.when(pl.col("prevalence_adjusted") & national.is_null())
        .then(missing_prevalence)
        .when(pl.col("prevalence_adjusted") & (list_size <= 0))
        .then(pl.lit("list size is 0, so prevalence is undefined"))
        .otherwise(None)
    )


def summarise(indicators: pl.DataFrame, keys: Sequence[str]) -> pl.DataFrame:
    """Points and £ summed by `keys` (none: one row for the whole table).

    `pounds` sums the indicators whose £ is known (null if none is); `unpriced_points` says how
    many of the points earned carry no £, so a partial sum is never mistaken for the whole;
    `points_not_computed` sums the maximum points of rows whose points are unknown (protected or
    declared indicators without the user's file), which `points` leaves out;
    `points_not_computable` those of indicators not computable from public clusters
    (ruleset/computable.py), left out too.
    """
    computable = pl.col("computable")
    priced = pl.col("pounds").is_not_null()
    aggregations = [
        pl.col("points").sum(),
        pl.col("max_points").sum(),
        pl.when(priced.any()).then(pl.col("pounds").sum()).alias("pounds"),
        pl.when(pl.col("max_pounds").is_not_null().any())
        .then(pl.col("max_pounds").sum())
        .alias("max_pounds"),
        pl.col("points").filter(~priced).sum().alias("unpriced_points"),
        pl.col("max_points")
        .filter(pl.col("points").is_null() & computable)
        .sum()
        .alias("points_not_computed"),
        pl.col("max_points").filter(~computable).sum().alias("points_not_computable"),
    ]
    if not keys:
        return indicators.select(aggregations)
    return indicators.group_by(*keys).agg(aggregations).sort(*keys)
