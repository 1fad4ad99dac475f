"""The bundled sample_data/: reproducible from its script, valid, and rich enough that the real
engine reaches every rule branch of every shipped indicator (except branches that need clusters
no public source has, which are listed and checked to stay unreached)."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from qofcli import api
from qofcli.engine.evaluate import evaluate
from qofcli.extract import load_extract, validate_extract

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "sample_data"
SAMPLE_COMMAND = ("--patients", "3000", "--practices", "2", "--seed", "20250401")

# Indicator groups whose every branch the synthetic generator reaches so far (qofcli/synth.py
# has scenario tables for these; the other domains are not yet covered).
COVERED_GROUPS = ("DM",)

# (indicator, reason) branches that only fire on codes of clusters marked `missing` in
# rulesets/qof-2025-26/clusters/SOURCES.csv; they become reachable when those are imported.
NEEDS_MISSING_CLUSTERS = {
    ("DM012", "AMPR3_DAT"): "AMPL/AMPR/CONABL/CONABR_COD",
    ("DM012", "FEPU"): "FEPU_COD",
    ("DM012", "FEDEC"): "FEDEC_COD",
    ("DM034", "CHOLMAX"): "CHOLMAX_COD",
    ("DM034", "LLTCONNIND"): "LIPIDTHERCON/LIPIDTHERNIND_COD",
    ("DM034", "LLTDEC12M"): "LIPIDTHERDEC_COD",
    ("DM035", "CHOLMAX"): "CHOLMAX_COD",
    ("DM035", "LLTCONNIND"): "LIPIDTHERCON/LIPIDTHERNIND_COD",
    ("DM035", "LLTDEC12M"): "LIPIDTHERDEC_COD",
}


@pytest.fixture(scope="module")
def ruleset():
    return api.load_ruleset("qof-2025-26")


@pytest.fixture(scope="module")
def reached(ruleset) -> pl.DataFrame:
    """Every branch of the code book with the number of sample patients it decided."""
    evaluation = evaluate(load_extract(SAMPLE), ruleset)
    outcomes = api.outcomes_from(evaluation)
    counts = outcomes.group_by("indicator", "rule", "status").len()
    covered = [i.id for i in ruleset.indicators.values() if i.group in COVERED_GROUPS]
    return (
        evaluation.outcomes.filter(pl.col("indicator").is_in(covered))
        .join(counts, on=["indicator", "rule", "status"], how="left")
        .with_columns(pl.col("len").fill_null(0))
    )


def test_sample_data_is_what_the_script_makes(tmp_path: Path, ruleset) -> None:
    """sample_data/ must be regenerated (scripts/make_sample_data.sh) when the generator changes."""
    api.synthesise(ruleset, tmp_path / "fresh", 3000, 2, 20250401, "csv")
    for name in ("patients.csv", "events.csv", "practices.csv"):
        assert (tmp_path / "fresh" / name).read_bytes() == (SAMPLE / name).read_bytes(), name
    script = (ROOT / "scripts" / "make_sample_data.sh").read_text()
    assert " ".join(SAMPLE_COMMAND) in script


def test_sample_data_has_no_validation_errors(ruleset) -> None:
    known = frozenset(code for c in ruleset.clusters.values() for code in c.codes)
    report = validate_extract(SAMPLE, known_codes=known)
    assert report.errors == ()


def test_every_rule_branch_is_reached(reached: pl.DataFrame) -> None:
    expected_unreached = pl.struct("indicator", "reason").is_in(
        [{"indicator": i, "reason": r} for i, r in NEEDS_MISSING_CLUSTERS]
    )
    short = reached.filter(~expected_unreached & (pl.col("len") < 1))
    assert short.is_empty(), short.select("indicator", "rule", "status", "reason").to_dicts()


def test_branches_needing_missing_clusters_stay_unreached(reached: pl.DataFrame, ruleset) -> None:
    """If one of these is reached, its cluster was imported: delete it from the list."""
    for (indicator, reason), _clusters in NEEDS_MISSING_CLUSTERS.items():
        row = reached.filter((pl.col("indicator") == indicator) & (pl.col("reason") == reason))
        assert row.height == 1 and row["len"][0] == 0, (indicator, reason)


def test_both_practices_score(ruleset) -> None:
    score = api.score(load_extract(SAMPLE), ruleset)
    assert score.practices.height == 2
    covered = sorted({i.register for i in ruleset.indicators.values() if i.group in COVERED_GROUPS})
    sizes = score.registers.filter(pl.col("register").is_in(covered))["size"]
    assert sizes.len() == 2 * len(covered) and (sizes > 0).all()
    assert (
        score.indicators.group_by("practice_code").agg(pl.col("denominator").sum())["denominator"]
        > 0
    ).all()
