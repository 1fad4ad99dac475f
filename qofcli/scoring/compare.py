"""Score one extract under two rulesets and line the results up: per indicator (renamed ones
matched through `aliases`), per practice/PCN/run in total, and optionally per patient."""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from qofcli.engine.evaluate import STATUSES, Evaluation, indicator_column
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


def status_changes(a: Evaluation, b: Evaluation, renamed: dict[str, str]) -> pl.DataFrame:
    """Patients whose status on an indicator differs between the rulesets (status null: not on
    the indicator's register, or the indicator is not in that ruleset).

    Decided on the evaluations' small integer decision codes (one row per patient, joined once);
    status, reason and description are looked up in the code books only for the patients whose
    status changed, never built for every patient and indicator."""
    columns = {"a": _code_columns(a, renamed), "b": _code_columns(b, {})}
    both = a.patients.select(
        *PATIENT_KEYS, *(pl.col(c).alias(f"a:{i}") for i, c in columns["a"].items())
    ).join(
        b.patients.select(
            *PATIENT_KEYS, *(pl.col(c).alias(f"b:{i}") for i, c in columns["b"].items())
        ),
        on=PATIENT_KEYS,
        how="full",
        coalesce=True,
    )
    books = {"a": _books(a, renamed), "b": _books(b, {})}
    parts = [
        both.lazy()
        .filter(_decoded(books["a"], "a", i, 0).ne_missing(_decoded(books["b"], "b", i, 0)))
        .select(
            *PATIENT_KEYS,
            pl.lit(i, dtype=pl.String).alias("indicator"),
            *(
                _decoded(books[s], s, i, n + 1).alias(f"{c}_{s}")
                for s in ("a", "b")
                for n, c in enumerate(PATIENT_SIDE)
            ),
        )
        for i in sorted(columns["a"].keys() | columns["b"].keys())
    ]
    schema = dict.fromkeys(CHANGE_COLUMNS, pl.String)
    changes = pl.concat(parts) if parts else pl.LazyFrame(schema=schema)
    return changes.sort(*PATIENT_KEYS, "indicator").collect()


PATIENT_KEYS = ("practice_code", "patient_id")
CHANGE_COLUMNS = (
    *PATIENT_KEYS,
    "indicator",
    *(f"{c}_{s}" for s in ("a", "b") for c in PATIENT_SIDE),
)
_Book = dict[str, tuple[list[int], list[list[object]]]]


def _code_columns(evaluation: Evaluation, renamed: dict[str, str]) -> dict[str, str]:
    """Decision-code column of each computed indicator, keyed by its id in ruleset b."""
    computed = (i.id for i in evaluation.ruleset.indicators.values() if i.computed)
    return {renamed.get(i, i): indicator_column(i) for i in computed}


def _books(evaluation: Evaluation, renamed: dict[str, str]) -> _Book:
    """Per indicator (id in ruleset b): its codes, and for each code the status rank (to
    compare), status, reason and description."""
    book = evaluation.outcomes.with_columns(
        pl.col("indicator").replace(renamed),
        pl.col("status").replace_strict(STATUSES, range(len(STATUSES))).alias("rank"),
    )
    return {
        str(indicator): (
            rows["code"].to_list(),
            [rows[c].to_list() for c in ("rank", *PATIENT_SIDE)],
        )
        for (indicator,), rows in book.group_by("indicator")
    }


def _decoded(books: _Book, side: str, indicator: str, what: int) -> pl.Expr:
    """Column `what` of the code book (0: status rank, then PATIENT_SIDE) for each patient's
    decision code on `indicator`; null when the indicator is not in this side's ruleset."""
    dtype = pl.UInt8 if what == 0 else pl.String
    if indicator not in books:
        return pl.lit(None, dtype=dtype)
    codes, values = books[indicator]
    return pl.col(f"{side}:{indicator}").replace_strict(
        codes, values[what], default=None, return_dtype=dtype
    )
