"""Score one extract under two rulesets and line the results up: per indicator (renamed ones
matched through `aliases`), per practice/PCN/run in total, and optionally per patient."""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from qofcli.ruleset.diff import RulesetDiff
from qofcli.scoring.achievement import Score

METRICS = ("denominator", "numerator", "achievement", "points", "pounds")
TOTAL_METRICS = ("points", "max_points", "pounds", "max_pounds")
PATIENT_SIDE = ("status", "reason", "description")


@dataclass(frozen=True)
class Comparison:
    """Results of ruleset a and b on the same extract, side by side with the change (b − a)."""

    structure: RulesetDiff
    indicators: pl.DataFrame  # key, indicator, indicator_a, indicator_b, METRIC_a/_b/_change
    units: pl.DataFrame  # key, TOTAL_METRIC_a/_b/_change
    totals: pl.DataFrame  # one row: TOTAL_METRIC_a/_b/_change
    patients: pl.DataFrame | None  # only when asked: it holds patient ids
    key: str  # practice_code, or unit for a roll-up
    by: str = "practice"

    @property
    def changed(self) -> bool:
        """Anything differs: the rules, a figure, or a patient's status."""
        patients = self.patients is not None and self.patients.height > 0
        return not self.structure.empty or self.changed_indicators().height > 0 or patients

    def changed_indicators(self) -> pl.DataFrame:
        """Rows of `indicators` in only one ruleset, or with any figure changed."""
        figures = [f"{m}_change" for m in METRICS]
        moved = pl.any_horizontal(pl.col(c).fill_null(0).abs() > 1e-9 for c in figures)
        one_sided = pl.col("indicator_a").is_null() | pl.col("indicator_b").is_null()
        # pounds known on one side only is a change too (e.g. a national prevalence added)
        priced = pl.col("pounds_a").is_null() != pl.col("pounds_b").is_null()
        return self.indicators.filter(moved | one_sided | priced)


def compare_scores(
    a: Score, b: Score, structure: RulesetDiff, patients: pl.DataFrame | None = None
) -> Comparison:
    """Line up two scores of the same extract at the same level (`by`)."""
    key = a.key
    matched = _side(a.indicators, key, "a", structure.renamed).join(
        _side(b.indicators, key, "b", {}), on=[key, "indicator"], how="full", coalesce=True
    )
    indicators = matched.with_columns(_indicator_changes()).select(
        key,
        "indicator",
        "indicator_a",
        "indicator_b",
        *_side_by_side(METRICS),
    )
    units = (
        a.practices.select(key, *TOTAL_METRICS)
        .join(
            b.practices.select(key, *TOTAL_METRICS), on=key, how="full", coalesce=True, suffix="_b"
        )
        .rename({m: f"{m}_a" for m in TOTAL_METRICS})
        .with_columns(_changes(TOTAL_METRICS))
    )
    totals = (
        a.totals.select(TOTAL_METRICS)
        .rename({m: f"{m}_a" for m in TOTAL_METRICS})
        .hstack(b.totals.select(TOTAL_METRICS).rename({m: f"{m}_b" for m in TOTAL_METRICS}))
        .with_columns(_changes(TOTAL_METRICS))
    )
    return Comparison(
        structure,
        indicators.sort(key, "indicator"),
        units.select(key, *_side_by_side(TOTAL_METRICS)).sort(key),
        totals.select(_side_by_side(TOTAL_METRICS)),
        patients,
        key,
        a.by,
    )


def _side(indicators: pl.DataFrame, key: str, side: str, renamed: dict[str, str]) -> pl.DataFrame:
    """One ruleset's figures, keyed by the indicator id in ruleset b."""
    return indicators.select(
        key,
        pl.col("indicator").replace(renamed).alias("indicator"),
        pl.col("indicator").alias(f"indicator_{side}"),
        *(pl.col(m).alias(f"{m}_{side}") for m in METRICS),
    )


def _indicator_changes() -> list[pl.Expr]:
    """b − a; an indicator missing from one ruleset counts as 0 points and £0 there (so a
    removed indicator shows what is lost), while its counts and achievement stay null."""
    changes = _changes(METRICS[:3])
    for metric in ("points", "pounds"):
        sides = [
            pl.when(pl.col(f"indicator_{s}").is_null()).then(0.0).otherwise(pl.col(f"{metric}_{s}"))
            for s in ("a", "b")
        ]
        changes.append((sides[1] - sides[0]).alias(f"{metric}_change"))
    return changes


def _changes(metrics: tuple[str, ...]) -> list[pl.Expr]:
    return [(pl.col(f"{m}_b") - pl.col(f"{m}_a")).alias(f"{m}_change") for m in metrics]


def _side_by_side(metrics: tuple[str, ...]) -> list[str]:
    return [f"{m}_{s}" for m in metrics for s in ("a", "b", "change")]


def status_changes(
    outcomes_a: pl.DataFrame, outcomes_b: pl.DataFrame, renamed: dict[str, str]
) -> pl.DataFrame:
    """Patients whose status on an indicator differs between the rulesets (status null: not on
    the indicator's register, or the indicator is not in that ruleset)."""
    keys = ["practice_code", "patient_id", "indicator"]
    side_a = outcomes_a.select(
        "practice_code",
        "patient_id",
        pl.col("indicator").replace(renamed),
        *(pl.col(c).alias(f"{c}_a") for c in PATIENT_SIDE),
    )
    side_b = outcomes_b.select(*keys, *(pl.col(c).alias(f"{c}_b") for c in PATIENT_SIDE))
    return (
        side_a.join(side_b, on=keys, how="full", coalesce=True)
        .filter(pl.col("status_a").ne_missing(pl.col("status_b")))
        .select(*keys, *(f"{c}_{s}" for s in ("a", "b") for c in PATIENT_SIDE))
        .sort(keys)
    )
