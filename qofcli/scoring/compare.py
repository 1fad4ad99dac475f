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

    Decided on the evaluations' small integer decision codes: the two per-patient frames are
    joined once, and status, reason and description are taken from the code books only for
    the rows that changed (never built for every patient and indicator)."""
    keys = list(PATIENT_KEYS)
    books = {"a": _CodeBook.of("a", a, renamed), "b": _CodeBook.of("b", b, {})}
    indicators = sorted(books["a"].columns.keys() | books["b"].columns.keys())
    sides = [
        evaluation.patients.select(
            *keys, *(pl.col(c).alias(f"{side}:{i}") for i, c in books[side].columns.items())
        )
        for side, evaluation in (("a", a), ("b", b))
    ]
    if sides[0].select(keys).equals(sides[1].select(keys)):  # the same population: no join
        both = sides[0].hstack(sides[1].drop(keys))
    else:
        both = sides[0].join(sides[1], on=keys, how="full", coalesce=True)
    both = both.with_row_index("row")
    # Each patient's place in the output order, so the changes sort on one number.
    both = both.with_columns(pl.arg_sort_by(keys).arg_sort().cast(pl.UInt64).alias("place"))
    changed = [
        both.lazy()
        .filter(books["a"].rank(i).ne_missing(books["b"].rank(i)))
        .select(
            (pl.col("place") * len(indicators) + n).alias("order"),
            "row",
            *(books[s].line(i).alias(f"line_{s}") for s in ("a", "b")),
        )
        for n, i in enumerate(indicators)
    ]
    if not changed:
        return pl.DataFrame(schema=dict.fromkeys(CHANGE_COLUMNS, pl.String))
    rows = pl.concat(changed).collect().sort("order")
    return pl.DataFrame(
        [
            *(both[k].gather(rows["row"]) for k in keys),
            pl.Series("indicator", indicators, pl.String).gather(rows["order"] % len(indicators)),
            *(
                books[s].frame[c].gather(rows[f"line_{s}"]).alias(f"{c}_{s}")
                for s in ("a", "b")
                for c in PATIENT_SIDE
            ),
        ]
    )


PATIENT_KEYS = ("practice_code", "patient_id")
CHANGE_COLUMNS = (
    *PATIENT_KEYS,
    "indicator",
    *(f"{c}_{s}" for s in ("a", "b") for c in PATIENT_SIDE),
)


@dataclass(frozen=True)
class _CodeBook:
    """One side's decision codes: per indicator (by its id in ruleset b) the code column, and
    by code the status rank (to compare statuses as small integers) and the code book line."""

    side: str
    frame: pl.DataFrame  # the evaluation's code book
    columns: dict[str, str]  # indicator -> decision-code column
    ranks: dict[str, pl.Series]  # indicator -> status rank by code
    lines: dict[str, pl.Series]  # indicator -> line of `frame` by code

    @classmethod
    def of(cls, side: str, evaluation: Evaluation, renamed: dict[str, str]) -> _CodeBook:
        computed = (i.id for i in evaluation.ruleset.indicators.values() if i.computed)
        columns = {renamed.get(i, i): indicator_column(i) for i in computed}
        by_indicator: dict[str, list[tuple[int, int, int]]] = {}
        rows = evaluation.outcomes.select("indicator", "code", "status").iter_rows()
        for line, (indicator, code, status) in enumerate(rows):  # a line per rule branch
            by_indicator.setdefault(renamed.get(indicator, indicator), []).append(
                (code, STATUSES.index(status), line)
            )
        ranks, lines = {}, {}
        for indicator, entries in by_indicator.items():
            ranks[indicator] = _by_code([(code, rank) for code, rank, _ in entries]).cast(pl.UInt8)
            lines[indicator] = _by_code([(code, line) for code, _, line in entries]).cast(pl.UInt32)
        return cls(side, evaluation.outcomes, columns, ranks, lines)

    def rank(self, indicator: str) -> pl.Expr:
        """Each patient's status rank on the indicator (null: no status on this side)."""
        return self._looked_up(self.ranks, indicator).cast(pl.UInt8)

    def line(self, indicator: str) -> pl.Expr:
        """Each patient's code book line on the indicator (null: no status on this side)."""
        return self._looked_up(self.lines, indicator).cast(pl.UInt32)

    def _looked_up(self, table: dict[str, pl.Series], indicator: str) -> pl.Expr:
        if indicator not in self.columns:
            return pl.lit(None)
        return pl.lit(table[indicator]).gather(pl.col(f"{self.side}:{indicator}"))


def _by_code(pairs: list[tuple[int, int]]) -> pl.Series:
    """Values indexed by decision code (codes are small non-negative integers)."""
    values: list[int | None] = [None] * (max(code for code, _ in pairs) + 1)
    for code, value in pairs:
        values[code] = value
    return pl.Series(values)
