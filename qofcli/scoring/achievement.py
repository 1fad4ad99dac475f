"""Turn an evaluation's counts (engine/counts.py) into registers, list sizes, per-indicator
achievement, points and £; no patient-level frame reaches this module."""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from qofcli.engine.counts import Counts
from qofcli.engine.evaluate import ACHIEVED, EXCLUDED, NOT_ACHIEVED, PCA
from qofcli.ruleset.computable import NotComputable, not_computable
from qofcli.ruleset.model import Ruleset
from qofcli.scoring.claims import Claims, improve_points, no_claims, settle_points
from qofcli.scoring.payment import MONEY_COLUMNS, Rates, price, rates_for, summarise
from qofcli.scoring.points import points_expr
from qofcli.scoring.progress import with_progress

COUNT_COLUMNS = ("denominator", "numerator", "pca", "excluded")
PRACTICE = "practice_code"
BY_LEVELS = ("practice", "pcn", "all")

INDICATOR_COLUMNS = (
    "practice_code",
    "indicator",
    "register",
    "group",
    *COUNT_COLUMNS,
    "achievement",
    "points",
    "max_points",
    "payment",
    "points_note",
    "points_route",
    "computable",
    "missing_clusters",
    "lower",
    "upper",
    "prevalence_adjusted",
    "cpi",
    "apdf",
    "pounds",
    "max_pounds",
    "pounds_note",
    "patients_needed",
    "pounds_remaining",
    "description",
)


@dataclass(frozen=True)
class Score:
    """Everything `qof score` reports, as plain frames keyed by `key` (docs/output-format.md).

    Per practice the key is practice_code; a roll-up (`by` pcn or all, scoring/networks.py)
    uses `unit` and lists its member practices.
    """

    counts: Counts
    practices: pl.DataFrame  # key, practice_name, pcn_code, list_size, ..., points, pounds
    registers: pl.DataFrame  # key, register, indicator, size, list_size, prevalence
    indicators: pl.DataFrame  # key, indicator, register, group, counts, achievement, points, £
    reasons: pl.DataFrame  # key, indicator, reason, reason_type, patients
    domains: pl.DataFrame  # key, group, points, max_points, pounds, max_pounds, unpriced_points
    totals: pl.DataFrame  # one row for the whole run: practices, list_size, points, £
    domain_totals: pl.DataFrame  # group, points, max_points, pounds, ... for the whole run
    rates: Rates
    by: str = "practice"

    @property
    def key(self) -> str:
        return PRACTICE if self.by == "practice" else "unit"

    @property
    def in_year(self) -> bool:
        """An --as-of run before the payment period ends."""
        return self.counts.achievement_date < self.counts.ruleset.period_end


def score(
    counts: Counts,
    given: pl.DataFrame | None,
    rates: Rates | None = None,
    claims: Claims | None = None,
) -> Score:
    """Score per practice from counts; `given` is the extract's practices table (None when
    it has none: list sizes are then the registered patients).

    `claims` holds the user's points for protected and manual indicators (scoring/claims.py).
    """
    ruleset = counts.ruleset
    rates = rates or rates_for(ruleset)
    claims = claims or no_claims()
    decided = _outcome_counts(counts)
    practices = _practices(counts, given)
    claims.check_practices(practices["practice_code"].to_list())
    registers = _register_table(counts, practices)
    table = improve_points(_indicator_table(ruleset, decided, practices), ruleset, claims)
    pricing = {
        i.id: i.prevalence_register for i in ruleset.indicators.values() if i.prevalence_register
    }
    blocked = not_computable(ruleset)
    indicators = _priced(table, registers, rates, claims, pricing, blocked)
    reasons = (
        decided.filter(pl.col("reason").is_not_null())
        .group_by("practice_code", "indicator", "reason", "reason_type")
        .agg(pl.col("patients").sum())
        .sort("practice_code", "indicator", "reason")
    )
    return assemble(counts, practices, registers, indicators, reasons, rates, "practice")


def assemble(
    counts: Counts,
    units: pl.DataFrame,
    registers: pl.DataFrame,
    indicators: pl.DataFrame,
    reasons: pl.DataFrame,
    rates: Rates,
    by: str,
) -> Score:
    """Add the point and £ totals per unit, per domain and for the run, and build the Score."""
    key = PRACTICE if by == "practice" else "unit"
    per_unit = summarise(indicators, [key])
    units = (
        units.join(per_unit, on=key, how="left")
        .with_columns(
            pl.col(c).fill_null(0.0)
            for c in (
                "points",
                "max_points",
                "unpriced_points",
                "points_not_computed",
                "points_not_computable",
            )
        )
        .sort(key)
    )
    members = units.height if key == PRACTICE else int(units["practices"].list.len().sum())
    totals = summarise(indicators, []).select(
        pl.lit(members, dtype=pl.Int64).alias("practices"),
        pl.lit(int(units["list_size"].sum()), dtype=pl.Int64).alias("list_size"),
        *MONEY_COLUMNS,
    )
    domains = summarise(indicators, [key, "group"])
    run_domains = summarise(indicators, ["group"])
    return Score(
        counts, units, registers, indicators, reasons, domains, totals, run_domains, rates, by
    )


def _priced(
    indicators: pl.DataFrame,
    registers: pl.DataFrame,
    rates: Rates,
    claims: Claims,
    prevalence_registers: dict[str, str],
    blocked: dict[str, NotComputable],
) -> pl.DataFrame:
    sizes = registers.select(
        "practice_code", "register", "list_size", pl.col("size").alias("register_size")
    )
    # Price on the register whose prevalence adjusts payment (usually the indicator's own).
    priced_on = pl.col("indicator").replace_strict(
        prevalence_registers, default=pl.col("_cohort"), return_dtype=pl.String
    )
    swapped = indicators.rename({"register": "_cohort"}).with_columns(priced_on.alias("register"))
    joined = swapped.join(sizes, on=["practice_code", "register"], how="left")
    if joined["list_size"].null_count():  # manual indicators have no register
        lists = registers.select("practice_code", "list_size").unique("practice_code")
        joined = joined.drop("list_size").join(lists, on="practice_code", how="left")
    priced = (
        price(mark_not_computable(settle_points(joined, claims), blocked), rates)
        .with_columns(pl.coalesce("points_note", "pounds_note").alias("pounds_note"))
        .drop("register")
        .rename({"_cohort": "register"})
    )
    return with_progress(priced).select(INDICATOR_COLUMNS)


def mark_not_computable(table: pl.DataFrame, blocked: dict[str, NotComputable]) -> pl.DataFrame:
    """Add `computable` and `missing_clusters`; where a missing cluster decides a whole register,
    denominator or numerator (ruleset/computable.py), achievement and points become null and
    `points_note` says which clusters to import. Points not paid on achievement are kept."""
    on_achievement = pl.col("payment") == "achievement"
    blocked_here = pl.col("indicator").is_in(list(blocked)) & on_achievement
    notes = {i: b.note for i, b in blocked.items()}
    clusters = {i: "; ".join(b.clusters) for i, b in blocked.items()}
    return table.with_columns(
        (~blocked_here).alias("computable"),
        pl.when(blocked_here)
        .then(pl.col("indicator").replace_strict(clusters, default=None, return_dtype=pl.String))
        .alias("missing_clusters"),
        pl.when(blocked_here).then(None).otherwise(pl.col("achievement")).alias("achievement"),
        pl.when(blocked_here).then(None).otherwise(pl.col("points")).alias("points"),
        pl.when(blocked_here).then(None).otherwise(pl.col("points_route")).alias("points_route"),
        pl.when(blocked_here)
        .then(pl.col("indicator").replace_strict(notes, default=None, return_dtype=pl.String))
        .otherwise(pl.col("points_note"))
        .alias("points_note"),
    )


def _outcome_counts(counts: Counts) -> pl.DataFrame:
    """Patients per (practice, indicator, decision code), joined to the code book."""
    return counts.outcomes.join(counts.codebook, on=["indicator", "code"], how="left").select(
        "practice_code", "indicator", "status", "reason", "reason_type", "patients"
    )


def _practices(counts: Counts, given: pl.DataFrame | None) -> pl.DataFrame:
    """List size per practice: practices.list_size when given, else registered on ACHV."""
    registered = counts.registered
    if given is None:
        return registered.select(
            "practice_code",
            pl.lit(None, dtype=pl.String).alias("practice_name"),
            pl.lit(None, dtype=pl.String).alias("pcn_code"),
            pl.col("registered").alias("list_size"),
            pl.lit("registered").alias("list_size_source"),
        )
    given = given.select("practice_code", "practice_name", "pcn_code", "list_size")
    return registered.join(given, on="practice_code", how="full", coalesce=True).select(
        "practice_code",
        "practice_name",
        "pcn_code",
        pl.coalesce("list_size", "registered", pl.lit(0, dtype=pl.Int64)).alias("list_size"),
        pl.when(pl.col("list_size").is_not_null())
        .then(pl.lit("practices"))
        .otherwise(pl.lit("registered"))
        .alias("list_size_source"),
    )


def _indicator_table(
    ruleset: Ruleset, counts: pl.DataFrame, practices: pl.DataFrame
) -> pl.DataFrame:
    """Counts, achievement and achievement points per practice and paid item (indicators and
    register indicators with points); items without patient-level results get null counts."""
    meta = _paid_items(ruleset)
    computed = [i.id for i in ruleset.indicators.values() if i.computed]
    per_status = counts.group_by("practice_code", "indicator").agg(
        _count_where(pl.col("status").is_in([ACHIEVED, NOT_ACHIEVED]), "denominator"),
        _count_where(pl.col("status") == ACHIEVED, "numerator"),
        _count_where(pl.col("status") == PCA, "pca"),
        _count_where(pl.col("status") == EXCLUDED, "excluded"),
    )
    grid = practices.select("practice_code").join(meta, how="cross")
    counted = pl.col("indicator").is_in(computed)
    table = grid.join(per_status, on=["practice_code", "indicator"], how="left").with_columns(
        pl.when(counted).then(pl.col(c).fill_null(0)).alias(c) for c in COUNT_COLUMNS
    )
    achievement = (
        pl.when(pl.col("denominator") > 0)
        .then(100.0 * pl.col("numerator") / pl.col("denominator"))
        .otherwise(None)
    )
    return (
        table.with_columns(achievement.alias("achievement"))
        .with_columns(
            points_expr(
                pl.col("achievement"), pl.col("lower"), pl.col("upper"), pl.col("max_points")
            ).alias("points")
        )
        .sort("practice_code", "indicator")
    )


_META_SCHEMA = {
    "indicator": pl.String,
    "register": pl.String,
    "group": pl.String,
    "prevalence_adjusted": pl.Boolean,
    "max_points": pl.Float64,
    "lower": pl.Float64,
    "upper": pl.Float64,
    "description": pl.String,
    "payment": pl.String,
}


def _paid_items(ruleset: Ruleset) -> pl.DataFrame:
    """One row per indicator, plus one per register whose points are protected (e.g. DM017 in
    2024/25). Register points paid on achievement (full points for a non-empty register, years
    before 2023/24) are counted by `qof rulesets` but not scored yet: no shipped ruleset has any."""
    rows = [
        (i.id, i.register, i.group, i.prevalence_adjusted, i.points, i.lower, i.upper)
        + (i.description, i.payment)
        for i in ruleset.indicators.values()
    ]
    rows += [
        (r.indicator or r.id, r.id, _group(r.indicator or r.id), r.prevalence_adjusted, r.points)
        + (None, None, r.description, r.payment)
        for r in ruleset.registers.values()
        if r.points > 0 and r.payment == "protected"
    ]
    return pl.DataFrame(rows, schema=_META_SCHEMA, orient="row")


def _group(indicator_id: str) -> str:
    """DM017 -> DM: the indicator group of a register indicator."""
    return indicator_id.rstrip("0123456789")


def _count_where(condition: pl.Expr, name: str) -> pl.Expr:
    return pl.col("patients").filter(condition).sum().cast(pl.Int64).alias(name)


def _register_table(counts: Counts, practices: pl.DataFrame) -> pl.DataFrame:
    ruleset = counts.ruleset
    long = counts.registers
    meta = pl.DataFrame(
        [(r.id, r.indicator, r.prevalence) for r in ruleset.registers.values()],
        schema={"register": pl.String, "indicator": pl.String, "prevalence_register": pl.Boolean},
        orient="row",
    )
    return (
        practices.select("practice_code", "list_size")
        .join(meta, how="cross")
        .join(long, on=["practice_code", "register"], how="left")
        .with_columns(pl.col("size").fill_null(0))
        .with_columns(
            pl.when(pl.col("prevalence_register") & (pl.col("list_size") > 0))
            .then(100.0 * pl.col("size") / pl.col("list_size"))
            .otherwise(None)
            .alias("prevalence")
        )
        .select("practice_code", "register", "indicator", "size", "list_size", "prevalence")
        .sort("practice_code", "register")
    )
