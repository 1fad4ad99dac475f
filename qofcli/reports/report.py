"""The content of `qof report`: a score laid out as the tables a reader wants (summary,
indicators with PCA split, registers against England, reasons), with the reference data and the
ruleset checksum every page shows. HTML (reports/html.py) and Excel draw from the same tables."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import polars as pl

from qofcli.reports.formats import Result
from qofcli.ruleset.catalogue import find_ruleset_dir
from qofcli.ruleset.diff import CHANGE_FIELDS
from qofcli.ruleset.model import Ruleset
from qofcli.scoring.achievement import Score
from qofcli.scoring.compare import Comparison

DATA = Path(__file__).resolve().parents[1] / "data"
DISTRIBUTION_FILE = DATA / "prevalence_distribution_2024_25.csv"
DISTRIBUTION_LABEL = "England 2024-25"
AUTOMATIC_PCA_FILE = DATA / "automatic_pca.csv"
AUTOMATIC, OTHER_PCA, EXCLUSION = "automatic (new diagnosis/registration)", "other PCA", "exclusion"
CURRENCY = ("pounds_remaining",)


@dataclass(frozen=True)
class Report:
    """Everything the HTML and workbook show; patient rows only when asked for."""

    score: Score
    checksum: str
    summary: pl.DataFrame
    indicators: pl.DataFrame
    registers: pl.DataFrame
    reasons: pl.DataFrame
    comparison: Comparison | None = None
    patients: pl.DataFrame | None = None

    @property
    def ruleset(self) -> Ruleset:
        return self.score.counts.ruleset

    @property
    def key(self) -> str:
        return self.score.key

    def tables(self) -> dict[str, pl.DataFrame]:
        """One table per workbook sheet, in reading order."""
        tables = {
            "summary": self.summary,
            "indicators": self.indicators,
            "registers": self.registers,
            "reasons": self.reasons,
            "domains": self.score.domains,
        }
        if self.comparison is not None:
            tables["ruleset changes"] = ruleset_changes(self.comparison)
            tables["compare indicators"] = self.comparison.indicators
            tables["compare units"] = self.comparison.units
        if self.patients is not None:
            tables["patients"] = self.patients
        return tables

    def result(self) -> Result:
        return Result(self.tables(), main="indicators", report=self, currency=CURRENCY)


def build_report(
    score: Score, comparison: Comparison | None = None, patients: pl.DataFrame | None = None
) -> Report:
    """Lay a score out for reading; `patients` (patient-level outcomes) only if asked for."""
    ruleset = score.counts.ruleset
    reasons = classify_reasons(score.reasons)
    return Report(
        score=score,
        checksum=ruleset_checksum(ruleset),
        summary=_summary(score),
        indicators=_indicators(score, reasons),
        registers=_registers(score, ruleset),
        reasons=reasons,
        comparison=comparison,
        patients=patients,
    )


def ruleset_checksum(ruleset: Ruleset) -> str:
    """SHA-256 (first 16 hex digits) over every file of the ruleset folder and the folders it
    extends, so a reader can tell whether two reports used the same rules and codes."""
    digest = hashlib.sha256()
    folder: Path | None = Path(ruleset.path) if ruleset.path else None
    while folder is not None:
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            digest.update(path.relative_to(folder).as_posix().encode() + b"\0")
            digest.update(path.read_bytes())
        folder = _parent_folder(folder)
    return digest.hexdigest()[:16]


def _parent_folder(folder: Path) -> Path | None:
    manifest = folder / "ruleset.toml"
    if not manifest.is_file():
        return None
    import tomllib

    parent = tomllib.loads(manifest.read_text(encoding="utf-8")).get("extends")
    return find_ruleset_dir(parent, relative_to=folder) if parent else None


OPTIONAL_TOTALS = ("unpriced_points", "points_not_computed", "points_not_computable")


def _present(frame: pl.DataFrame, columns: tuple[str, ...]) -> list[str]:
    """Columns some versions of the score carry (e.g. the not-computable points)."""
    return [c for c in columns if c in frame.columns]


def _summary(score: Score) -> pl.DataFrame:
    """Per practice/PCN: points and £ against the maximum, and what is still to gain."""
    key = score.key
    progress = score.indicators.group_by(key).agg(
        pl.col("patients_needed").sum(), pl.col("pounds_remaining").sum()
    )
    names = [c for c in ("practice_name", "pcn_code", "practices") if c in score.practices.columns]
    return (
        score.practices.select(
            key,
            *names,
            "list_size",
            "points",
            "max_points",
            (pl.col("points") / pl.col("max_points") * 100).alias("points_pct"),
            "pounds",
            "max_pounds",
            *_present(score.practices, OPTIONAL_TOTALS),
        )
        .join(progress, on=key, how="left")
        .sort(key)
    )


@cache
def automatic_pca_reasons() -> frozenset[str]:
    frame = pl.read_csv(AUTOMATIC_PCA_FILE, comment_prefix="#")
    return frozenset(frame["reason"].to_list())


def classify_reasons(reasons: pl.DataFrame) -> pl.DataFrame:
    """Tell PCAs applied automatically (newly diagnosed or registered) from the others."""
    kind = (
        pl.when(pl.col("reason_type") != "pca")
        .then(pl.lit(EXCLUSION))
        .when(pl.col("reason").is_in(list(automatic_pca_reasons())))
        .then(pl.lit(AUTOMATIC))
        .otherwise(pl.lit(OTHER_PCA))
    )
    return reasons.with_columns(kind.alias("kind"))


def _indicators(score: Score, reasons: pl.DataFrame) -> pl.DataFrame:
    """Score indicators with the PCA count split by kind and the PCA rate.

    PCA rate = PCAs / (denominator + PCAs), as NHS England publishes it: the denominator is
    counted after PCAs are removed."""
    key = score.key
    split = reasons.group_by(key, "indicator").agg(
        pl.col("patients").filter(pl.col("kind") == AUTOMATIC).sum().alias("pca_automatic"),
        pl.col("patients").filter(pl.col("kind") == OTHER_PCA).sum().alias("pca_other"),
    )
    eligible = pl.col("denominator") + pl.col("pca")
    rate = pl.when(eligible > 0).then(pl.col("pca") / eligible * 100)
    return (
        score.indicators.join(split, on=[key, "indicator"], how="left")
        .with_columns(pl.col("pca_automatic", "pca_other").fill_null(0).cast(pl.Int64))
        .with_columns(
            rate.alias("pca_rate"),
            pl.when(eligible > 0)
            .then(pl.col("pca_automatic") / eligible * 100)
            .alias("pca_automatic_rate"),
            pl.when(eligible > 0)
            .then(pl.col("pca_other") / eligible * 100)
            .alias("pca_other_rate"),
        )
    )


@cache
def prevalence_distribution() -> pl.DataFrame:
    """England's practice prevalence per register group at percentiles 0..100 (2024-25)."""
    return pl.read_csv(DISTRIBUTION_FILE, comment_prefix="#")


def _registers(score: Score, ruleset: Ruleset) -> pl.DataFrame:
    """Registers with the ruleset's national prevalence and England's 2024-25 distribution."""
    national = ruleset.payment.national_prevalence or {}
    disease = [r.id for r in ruleset.registers.values() if r.prevalence]
    england = prevalence_distribution()
    groups = set(england["group"].to_list())
    group_of = {r: r.removesuffix("_REG") for r in disease if r.removesuffix("_REG") in groups}
    frame = score.registers.filter(pl.col("register").is_in(disease)).with_columns(
        pl.col("register")
        .replace_strict(national, default=None, return_dtype=pl.Float64)
        .alias("national_prevalence"),
        pl.col("register")
        .replace_strict(group_of, default=None, return_dtype=pl.String)
        .alias("england_group"),
    )
    joined = frame.join(
        england.select(
            pl.col("group").alias("england_group"),
            pl.col("national").alias("england_prevalence"),
            "p10",
            "p50",
            "p90",
        ),
        on="england_group",
        how="left",
    )
    return joined.with_columns(_percentile_in_england(joined).alias("england_percentile"))


def _percentile_in_england(registers: pl.DataFrame) -> pl.Series:
    """Where each prevalence sits among England's practices (0-100), by interpolating the
    percentile table; one lookup per register row (a handful), never per patient."""
    import numpy as np

    england = {
        row["group"]: [row[f"p{p}"] for p in range(101)]
        for row in prevalence_distribution().to_dicts()
    }
    values: list[float | None] = []
    for group, prevalence in zip(registers["england_group"], registers["prevalence"], strict=True):
        table = england.get(group) if group is not None else None
        if table is None or prevalence is None:
            values.append(None)
            continue
        values.append(round(float(np.interp(prevalence, table, range(101))), 1))
    return pl.Series(values, dtype=pl.Float64)


def ruleset_changes(comparison: Comparison) -> pl.DataFrame:
    return pl.DataFrame(
        comparison.structure.records(), schema=dict.fromkeys(CHANGE_FIELDS, pl.String)
    )
