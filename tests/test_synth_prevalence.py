"""Synthetic practices look like England's: for every disease register, the distribution of
practice prevalence that `qof synth` makes sits inside the real one (NHS England QOF 2024-25
practice prevalence, ../shared/reference/nhsd-qof-2024-25/PREVALENCE_2425.csv)."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from qofcli import api
from qofcli.engine.evaluate import evaluate
from qofcli.extract.load import Extract
from qofcli.synth import generate

RULESET = "qof-2026-27"
REAL = Path(__file__).resolve().parents[2] / "shared/reference/nhsd-qof-2024-25/PREVALENCE_2425.csv"
PATIENTS, PRACTICES, SEED = 60_000, 40, 11
# PATIENT_LIST_TYPE: the list a register is divided by (age in whole years at the period end)
MIN_AGE = {"TOTAL": 0, "06OV": 6, "16OV": 16, "17OV": 17, "18OV": 18, "50OV": 50}


def quartiles(frame: pl.DataFrame, column: str) -> pl.DataFrame:
    """Per register: 5th, 25th, 50th, 75th and 95th centile of practice prevalence."""
    p = pl.col(column)
    return frame.group_by("register").agg(
        p05=p.quantile(0.05), q1=p.quantile(0.25), med=p.median(), q3=p.quantile(0.75),
        p95=p.quantile(0.95),
    )  # fmt: skip


@pytest.fixture(scope="module")
def real() -> pl.DataFrame:
    if not REAL.exists():
        pytest.skip(f"{REAL} not present (../shared is not checked out)")
    raw = pl.read_csv(REAL).filter(pl.col("PRACTICE_LIST_SIZE") > 0)
    frame = raw.select(
        register=pl.col("GROUP_CODE") + "_REG",
        list_type=pl.col("PATIENT_LIST_TYPE"),
        prevalence=pl.col("REGISTER") / pl.col("PRACTICE_LIST_SIZE"),
    )
    return quartiles(frame, "prevalence").join(
        frame.select("register", "list_type").unique(), on="register"
    )


@pytest.fixture(scope="module")
def synthetic(real: pl.DataFrame) -> pl.DataFrame:
    ruleset = api.load_ruleset(RULESET)
    extract = generate(PATIENTS, PRACTICES, SEED, ruleset, noise_codes=api._noise_codes())
    frames = (extract.patients.lazy(), extract.events.lazy(), extract.practices.lazy())
    members = evaluate(Extract(*frames, "synthetic"), ruleset).patients
    end = ruleset.period_end
    registered = extract.patients.filter(
        (pl.col("registration_date") <= end)
        & (pl.col("deregistration_date").is_null() | (pl.col("deregistration_date") > end))
        & (pl.col("death_date").is_null() | (pl.col("death_date") > end))
    ).with_columns(age=age_on(pl.col("date_of_birth"), end))
    rows = []
    for register, list_type in real.select("register", "list_type").iter_rows():
        if f"reg:{register}" not in members.columns:
            continue
        on = members.filter(pl.col(f"reg:{register}")).group_by("practice_code").len("n")
        lists = registered.filter(pl.col("age") >= MIN_AGE[list_type])
        per_practice = (
            lists.group_by("practice_code")
            .len("list")
            .join(on, on="practice_code", how="left")
            .select(register=pl.lit(register), prevalence=pl.col("n").fill_null(0) / pl.col("list"))
        )
        rows.append(per_practice)
    return quartiles(pl.concat(rows), "prevalence")


def age_on(dob: pl.Expr, when) -> pl.Expr:  # noqa: ANN001 - a date
    """Whole years on ``when`` (written here independently of the engine)."""
    before_birthday = (dob.dt.month() > when.month) | (
        (dob.dt.month() == when.month) & (dob.dt.day() > when.day)
    )
    return when.year - dob.dt.year() - before_birthday.cast(pl.Int32)


def test_practice_prevalence_sits_inside_the_real_distribution(
    real: pl.DataFrame, synthetic: pl.DataFrame
) -> None:
    """Median inside the real interquartile range; quartiles inside the real 5th-95th centiles.
    Registers whose every diagnosis cluster has no public codes (none can be generated) are
    left out, and at least 15 registers must be compared."""
    both = synthetic.join(real, on="register", suffix="_real").filter(pl.col("med") > 0)
    assert both.height >= 15, both["register"].to_list()
    bad = both.filter(
        (pl.col("med") < pl.col("q1_real"))
        | (pl.col("med") > pl.col("q3_real"))
        | (pl.col("q1") < pl.col("p05_real"))
        | (pl.col("q3") > pl.col("p95_real"))
    )
    assert bad.is_empty(), bad.select("register", "q1", "med", "q3", "^.*_real$").to_dicts()
