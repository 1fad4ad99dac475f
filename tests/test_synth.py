"""Tests for the synthetic extract generator, including that its scenarios reach every rule step.

The step-coverage tests carry a small, independent evaluator of the diabetes chains in
notes/dm-2025-26-spec.md; it exists only to check the generator, not to replace the engine.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from pathlib import Path

import polars as pl
import pytest

from qofcli.synth import (
    EVENTS_SCHEMA,
    PATIENTS_SCHEMA,
    PRACTICES_SCHEMA,
    SyntheticExtract,
    generate,
    write_extract,
)

CLUSTER_DIR = Path(__file__).resolve().parents[1] / "rulesets" / "qof-2025-26" / "clusters"
START, END = date(2025, 4, 1), date(2026, 3, 31)
SAMPLE_SIZE, SAMPLE_PRACTICES, SAMPLE_SEED = 3000, 2, 20250401
MIN_PER_STEP = 2

#: Clusters the lead may add later; tests stand in placeholder codes to exercise their steps.
PLACEHOLDER_CLUSTERS = (
    "FRC_COD", "FEDEC_COD", "FEPU_COD", "DSEPDEC_COD", "DSEPPU_COD", "DSEPSU_COD", "AMPL_COD",
    "AMPR_COD", "CONABL_COD", "CONABR_COD", "CHOLMAX_COD", "LIPIDTHERCON_COD", "LIPIDTHERDEC_COD",
    "STATINDEC_COD", "EZETIMIBE_COD", "HOMEAMBBP_COD",
)


def load_clusters() -> dict[str, list[str]]:
    return {
        path.stem: pl.read_csv(path, schema_overrides={"code": pl.String})["code"].to_list()
        for path in sorted(CLUSTER_DIR.glob("*_COD.csv"))
    }


def with_placeholders(clusters: Mapping[str, list[str]]) -> dict[str, list[str]]:
    full = dict(clusters)
    for name in PLACEHOLDER_CLUSTERS:
        full.setdefault(name, [f"TEST-{name}-{i}" for i in range(2)])
    full["noise"] = [f"TEST-NOISE-{i}" for i in range(5)]
    return full


@pytest.fixture(scope="module")
def clusters() -> dict[str, list[str]]:
    return load_clusters()


@pytest.fixture(scope="module")
def full_clusters(clusters: dict[str, list[str]]) -> dict[str, list[str]]:
    return with_placeholders(clusters)


@pytest.fixture(scope="module")
def sample(full_clusters: dict[str, list[str]]) -> SyntheticExtract:
    return generate(SAMPLE_SIZE, SAMPLE_PRACTICES, SAMPLE_SEED, full_clusters, START, END)


@pytest.fixture(scope="module")
def outcomes(sample: SyntheticExtract, full_clusters: dict[str, list[str]]) -> pl.DataFrame:
    return evaluate(sample, full_clusters, START, END)


# ------------------------------------------------------------------------------------------
# Contract
# ------------------------------------------------------------------------------------------


def test_same_seed_gives_same_frames(full_clusters: dict[str, list[str]]) -> None:
    first = generate(500, 2, 7, full_clusters, START, END)
    second = generate(500, 2, 7, full_clusters, START, END)
    for name, frame in first.tables().items():
        assert frame.equals(second.tables()[name]), name


def test_different_seed_gives_different_frames(full_clusters: dict[str, list[str]]) -> None:
    first = generate(500, 2, 7, full_clusters, START, END)
    other = generate(500, 2, 8, full_clusters, START, END)
    assert not first.patients.equals(other.patients)
    assert not first.events.equals(other.events)


def test_schemas_match_the_contract(sample: SyntheticExtract) -> None:
    assert sample.patients.schema == pl.Schema(PATIENTS_SCHEMA)
    assert sample.events.schema == pl.Schema(EVENTS_SCHEMA)
    assert sample.practices.schema == pl.Schema(PRACTICES_SCHEMA)
    assert set(sample.patients["sex"].unique()) <= {"F", "M", "I", "U"}


def test_identifiers_look_right(sample: SyntheticExtract) -> None:
    patients, practices = sample.patients, sample.practices
    assert patients["patient_id"].is_unique().all()
    assert patients["patient_id"].str.contains(r"^P\d{7}$").all()
    assert practices.height == SAMPLE_PRACTICES
    assert practices["practice_code"].str.contains(r"^[A-Z]\d{5}$").all()
    assert practices["pcn_code"].str.contains(r"^U\d{5}$").all()
    assert set(patients["practice_code"]) == set(practices["practice_code"])


def test_event_codes_come_from_the_given_clusters(
    sample: SyntheticExtract, full_clusters: dict[str, list[str]]
) -> None:
    known = {code for codes in full_clusters.values() for code in codes}
    assert set(sample.events["code"].unique()) <= known


def test_events_reference_known_patients(sample: SyntheticExtract) -> None:
    orphans = sample.events.join(sample.patients, on="patient_id", how="anti")
    assert orphans.height == 0


def test_no_events_before_birth_or_after_leaving(sample: SyntheticExtract) -> None:
    joined = sample.events.join(sample.patients, on="patient_id")
    left = pl.min_horizontal("deregistration_date", "death_date")
    bad = joined.filter((pl.col("date") < pl.col("date_of_birth")) | (pl.col("date") > left))
    assert bad.height == 0


def test_bp_events_come_in_same_day_pairs(
    sample: SyntheticExtract, clusters: dict[str, list[str]]
) -> None:
    systolic, diastolic = set(clusters["SYSBP_COD"]), set(clusters["DIABP_COD"])
    counts = (
        sample.events.group_by("patient_id", "date")
        .agg(
            sys=pl.col("code").is_in(list(systolic)).sum(),
            dia=pl.col("code").is_in(list(diastolic)).sum(),
        )
        .filter((pl.col("sys") > 0) | (pl.col("dia") > 0))
    )
    assert counts.height > 0
    assert (counts["sys"] == counts["dia"]).all()


def test_population_is_england_like(full_clusters: dict[str, list[str]]) -> None:
    extract = generate(20_000, 4, 3, full_clusters, START, END)
    patients = extract.patients.with_columns(age=age_at(pl.col("date_of_birth"), END))
    adults = patients.filter(pl.col("age") >= 17)
    diabetic_ids = extract.events.filter(pl.col("code").is_in(full_clusters["DM_COD"]))
    diabetic = patients["patient_id"].is_in(diabetic_ids["patient_id"].unique().implode())
    adult_prevalence = adults["patient_id"].is_in(
        diabetic_ids["patient_id"].unique().implode()
    ).mean()
    assert 0.06 < adult_prevalence < 0.09
    assert patients.filter(diabetic & (pl.col("age") < 17)).height > 0
    recent = (patients["registration_date"] > date(2025, 3, 31)).mean()
    assert 0.05 < recent < 0.09
    assert 0.025 < patients["deregistration_date"].is_not_null().mean() < 0.055
    assert 0.005 < patients["death_date"].is_not_null().mean() < 0.02
    assert extract.practices["list_size"].sum() <= patients.height


def test_events_per_patient_is_tunable(full_clusters: dict[str, list[str]]) -> None:
    light = generate(2000, 2, 5, full_clusters, START, END, events_per_patient=8.0)
    heavy = generate(2000, 2, 5, full_clusters, START, END, events_per_patient=40.0)
    assert 6 < light.events.height / 2000 < 10
    assert 35 < heavy.events.height / 2000 < 45


def test_missing_clusters_are_skipped_silently(clusters: dict[str, list[str]]) -> None:
    only_some = {k: v for k, v in clusters.items() if k in ("DM_COD", "IFCCHBAM_COD")}
    extract = generate(1000, 1, 2, only_some, START, END)
    known = {code for codes in only_some.values() for code in codes}
    assert set(extract.events["code"].unique()) <= known
    assert extract.events.height > 0


def test_scales_to_twenty_thousand_patients(full_clusters: dict[str, list[str]]) -> None:
    extract = generate(20_000, 3, 11, full_clusters, START, END)
    assert extract.patients.height == 20_000
    assert extract.practices.height == 3


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_write_extract_round_trips(tmp_path: Path, fmt: str, sample: SyntheticExtract) -> None:
    out = tmp_path / "extract"
    write_extract(sample, out, fmt)
    schemas = {"patients": PATIENTS_SCHEMA, "events": EVENTS_SCHEMA, "practices": PRACTICES_SCHEMA}
    for name, frame in sample.tables().items():
        path = out / f"{name}.{fmt}"
        if fmt == "csv":
            back = pl.read_csv(path, schema=schemas[name])
        else:
            back = pl.read_parquet(path)
        assert back.equals(frame), name
    assert sorted(p.name for p in tmp_path.iterdir()) == ["extract"]  # no staging left behind


def test_write_extract_refuses_a_non_empty_folder(
    tmp_path: Path, sample: SyntheticExtract
) -> None:
    out = tmp_path / "extract"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    with pytest.raises(ValueError, match="not empty"):
        write_extract(sample, out, "csv")
    assert (out / "keep.txt").read_text() == "mine"
    write_extract(sample, out, "parquet", overwrite=True)
    assert sorted(p.name for p in out.iterdir()) == [
        "events.parquet", "patients.parquet", "practices.parquet",
    ]


def test_write_extract_accepts_an_empty_folder(tmp_path: Path, sample: SyntheticExtract) -> None:
    out = tmp_path / "extract"
    out.mkdir()
    write_extract(sample, out, "csv")
    assert (out / "events.csv").exists()


# ------------------------------------------------------------------------------------------
# Scenario coverage: every numbered rule step decides for a few patients
# ------------------------------------------------------------------------------------------

CHAIN_LABELS: dict[str, tuple[str, ...]] = {
    "DM_REG": (
        "on", "on:resolved_same_day", "on:resolved_earlier", "off:resolved", "off:under_17",
        "out:left_before", "in:left_after",
    ),
    "DM020": (
        "excluded:MDSEVFRAIL", "achieved", "pca:IFCCHBA", "pca:DMMAX", "pca:DMPCAPU",
        "pca:BLDTESTDEC", "pca:DMPCADEC", "pca:DMIFINVITE", "pca:DIAG1_DT9M", "pca:REG1_DAT9",
        "not_achieved",
    ),
    "DM006": (
        "excluded:PRT_COD", "achieved", "pca:XACE", "pca:ACEDEC", "pca:XACEARBDEC",
        "pca:DMPCAPU", "pca:DMPCADEC", "pca:DMINVITE", "pca:DIAG1_DAT", "pca:REG1_DAT3",
        "not_achieved",
    ),
    "DM012": (
        "excluded:AMPR3_DAT", "achieved", "pca:FEPU", "pca:FEDEC", "pca:DMPCAPU", "pca:DMPCADEC",
        "pca:DMINVITE", "pca:DIAG1_DAT", "pca:REG1_DAT3", "not_achieved",
    ),
    "DM014": (
        "excluded:DM_DAT2", "excluded:DSEP_DAT", "excluded:DM_DAT3", "achieved", "pca:DSEPPU",
        "pca:DSEPDEC", "pca:DSEPSU", "pca:DMPCAPU", "pca:DMPCADEC", "pca:DMINVITE",
        "pca:REG1_DAT3", "not_achieved",
    ),
    "DM034": (
        "excluded:PAT_AGEU39", "excluded:CVDHIST", "excluded:MDSEVFRAIL", "excluded:DMTYPE2",
        "achieved", "pca:CHOLMAX", "pca:LLTADV", "pca:LLTCONNIND", "pca:LLTDEC12M",
        "pca:DMPCAPU", "pca:DMPCADEC", "pca:DMINVITE", "pca:DIAG1_DAT", "pca:REG1_DAT3",
        "not_achieved",
    ),
    "DM035": (
        "excluded:CVDNOHIST", "excluded:HSTRK", "achieved", "pca:CHOLMAX", "pca:LLTADV",
        "pca:LLTCONNIND", "pca:LLTDEC12M", "pca:DMPCAPU", "pca:DMPCADEC", "pca:DMINVITE",
        "pca:DIAG1_DAT", "pca:REG1_DAT3", "not_achieved",
    ),
    "DM036": (
        "excluded:PAT_AGEO79", "excluded:MDSEVFRAIL", "achieved", "pca:HTMAX", "pca:DMPCAPU",
        "pca:BPORHBPDEC", "pca:DMPCADEC", "pca:DMBPINVITE", "pca:DIAG1_DT9M", "pca:REG1_DAT9",
        "not_achieved",
    ),
}
CHAIN_LABELS["DM021"] = tuple(
    "excluded:NOT_MDSEVFRAIL" if label == "excluded:MDSEVFRAIL" else label
    for label in CHAIN_LABELS["DM020"]
)


def test_every_rule_step_is_reached(outcomes: pl.DataFrame) -> None:
    counts = step_counts(outcomes)
    short = {
        f"{indicator} {label}": counts.get((indicator, label), 0)
        for indicator, labels in CHAIN_LABELS.items()
        for label in labels
        if counts.get((indicator, label), 0) < MIN_PER_STEP
    }
    assert not short, f"steps reached by fewer than {MIN_PER_STEP} patients: {short}"


def test_most_diabetics_are_ordinary_achievers(outcomes: pl.DataFrame) -> None:
    denominators = outcomes.filter(pl.col("DM020").is_in(["achieved", "not_achieved"]))
    achieved = (denominators["DM020"] == "achieved").mean()
    assert 0.4 < achieved < 0.85
    foot = outcomes.filter(pl.col("DM012").is_in(["achieved", "not_achieved"]))
    assert (foot["DM012"] == "achieved").mean() > 0.6


def test_date_boundaries_are_exercised_from_both_sides(
    sample: SyntheticExtract, full_clusters: dict[str, list[str]]
) -> None:
    hba1c = sample.events.filter(pl.col("code").is_in(full_clusters["IFCCHBAM_COD"]))
    assert hba1c.filter(pl.col("date") == START).height >= MIN_PER_STEP
    assert hba1c.filter(pl.col("date") == date(2025, 3, 31)).height >= MIN_PER_STEP
    invites = (
        sample.events.filter(
            pl.col("code").is_in(full_clusters["DMINVITE_COD"]) & (pl.col("date") >= START)
        )
        .group_by("patient_id")
        .agg(gap=(pl.col("date").max() - pl.col("date").min()).dt.total_days())
    )
    assert invites.filter(pl.col("gap") == 7).height >= 1
    assert invites.filter(pl.col("gap") == 6).height >= 1
    ages = sample.patients.with_columns(age=age_at(pl.col("date_of_birth"), END))
    diabetic = sample.events.filter(pl.col("code").is_in(full_clusters["DM_COD"]))["patient_id"]
    ages = ages.filter(pl.col("patient_id").is_in(diabetic.unique().implode()))
    for age in (16, 17, 39, 40, 79, 80):
        assert ages.filter(pl.col("age") == age).height >= 1, age


def step_counts(outcomes: pl.DataFrame) -> dict[tuple[str, str], int]:
    counts: dict[tuple[str, str], int] = {}
    for indicator in CHAIN_LABELS:
        for label, n in outcomes.group_by(indicator).len().iter_rows():
            if label is not None:
                counts[(indicator, label)] = n
    return counts


# ------------------------------------------------------------------------------------------
# A small independent evaluator of the diabetes chains (spec reading, for coverage only)
# ------------------------------------------------------------------------------------------

LIPID_CLUSTERS = {
    "statin_unsuitable": ("STATINTOL_COD", "XSTAT_COD", "STATINDEC_COD"),
    "other_llt": ("EZETIMIBE_COD", "BEMPACID_COD", "INCLISIRAN_COD", "PCSK9I_COD"),
    "lltadv": ("LIPIDTHERADV_COD",),
    "lltconnind": ("LIPIDTHERCON_COD", "LIPIDTHERNIND_COD", "STATCONTR_COD", "STATNIND_COD"),
    "lltdec": ("LIPIDTHERDEC_COD", "STATINDEC_COD"),
}


def age_at(dob: pl.Expr, when: date) -> pl.Expr:
    before_birthday = (dob.dt.month() > when.month) | (
        (dob.dt.month() == when.month) & (dob.dt.day() > when.day)
    )
    return when.year - dob.dt.year() - before_birthday.cast(pl.Int32)


def months_back(when: date, months: int) -> date:
    return pl.select(pl.lit(when).dt.offset_by(f"-{months}mo")).item()


def cluster_events(
    extract: SyntheticExtract, clusters: Mapping[str, Sequence[str]], end: date
) -> pl.DataFrame:
    membership = pl.DataFrame(
        [(code, name) for name, codes in clusters.items() for code in codes],
        schema={"code": pl.String, "cluster": pl.String},
        orient="row",
    ).unique()
    return extract.events.filter(pl.col("date") <= end).join(membership, on="code")


def last_dates(events: pl.DataFrame, names: Sequence[str], alias: str) -> pl.DataFrame:
    return (
        events.filter(pl.col("cluster").is_in(list(names)))
        .group_by("patient_id")
        .agg(pl.col("date").max().alias(alias))
    )


def latest_value(events: pl.DataFrame, name: str, prefix: str) -> pl.DataFrame:
    """Latest date of a cluster and the lowest value recorded that day."""
    rows = events.filter(pl.col("cluster") == name)
    latest = rows.group_by("patient_id").agg(pl.col("date").max().alias(f"{prefix}_date"))
    return (
        rows.join(latest, on="patient_id")
        .filter(pl.col("date") == pl.col(f"{prefix}_date"))
        .group_by("patient_id", f"{prefix}_date")
        .agg(pl.col("value").min().alias(f"{prefix}_value"))
    )


def patient_features(
    extract: SyntheticExtract, clusters: Mapping[str, Sequence[str]], start: date, end: date
) -> pl.DataFrame:
    events = cluster_events(extract, clusters, end)
    table = extract.patients.with_columns(age=age_at(pl.col("date_of_birth"), end))
    for name in clusters:
        table = table.join(last_dates(events, [name], f"{name}_last"), on="patient_id", how="left")
    for key, names in LIPID_CLUSTERS.items():
        table = table.join(last_dates(events, names, f"{key}_last"), on="patient_id", how="left")
    firsts = events.filter(pl.col("cluster") == "DM_COD").group_by("patient_id")
    table = table.join(firsts.agg(DM_DAT=pl.col("date").min()), on="patient_id", how="left")
    for prefix, name in (("hba", "IFCCHBAM_COD"), ("score", "CVDASS2_COD")):
        table = table.join(latest_value(events, name, prefix), on="patient_id", how="left")
    return table.join(bp_features(events), on="patient_id", how="left").join(
        invite_and_education_features(events, table, start), on="patient_id", how="left"
    )


def bp_features(events: pl.DataFrame) -> pl.DataFrame:
    bp_day = events.filter(pl.col("cluster") == "BP_COD").group_by("patient_id").agg(
        bp_date=pl.col("date").max()
    )
    on_day = events.join(bp_day, on="patient_id").filter(pl.col("date") == pl.col("bp_date"))
    return on_day.group_by("patient_id", "bp_date").agg(
        sys=pl.col("value").filter(pl.col("cluster") == "SYSBP_COD").min(),
        dia=pl.col("value").filter(pl.col("cluster") == "DIABP_COD").min(),
        home=pl.col("cluster").is_in(["HOMEBP_COD", "HOMEAMBBP_COD"]).any(),
    )


def invite_and_education_features(
    events: pl.DataFrame, table: pl.DataFrame, start: date
) -> pl.DataFrame:
    invites = (
        events.filter((pl.col("cluster") == "DMINVITE_COD") & (pl.col("date") >= start))
        .group_by("patient_id")
        .agg(invite_gap=(pl.col("date").max() - pl.col("date").min()).dt.total_days())
    )
    education = (
        events.filter(pl.col("cluster") == "DSEP_COD")
        .join(table.select("patient_id", "DM_DAT"), on="patient_id")
        .filter(pl.col("date") >= pl.col("DM_DAT"))
        .group_by("patient_id")
        .agg(DSEP1=pl.col("date").min())
    )
    declines = (
        events.filter(pl.col("cluster").is_in(["DSEPDEC_COD", "DSEPSU_COD"]))
        .join(table.select("patient_id", "DM_DAT"), on="patient_id")
        .filter(
            (pl.col("date") >= pl.col("DM_DAT"))
            & ((pl.col("date") - pl.col("DM_DAT")).dt.total_days() <= 279)
        )
        .group_by("patient_id")
        .agg(
            dsepdec_279=(pl.col("cluster") == "DSEPDEC_COD").any(),
            dsepsu_279=(pl.col("cluster") == "DSEPSU_COD").any(),
        )
    )
    return invites.join(education, on="patient_id", how="full", coalesce=True).join(
        declines, on="patient_id", how="full", coalesce=True
    )


class Windows:
    """Boolean expressions over the feature table for one achievement date."""

    def __init__(self, start: date, end: date) -> None:
        self.start, self.end = start, end
        self.m3, self.m6, self.m9 = (months_back(end, k) for k in (3, 6, 9))
        self.m12, self.m21, self.m36 = (months_back(end, k) for k in (12, 21, 36))

    @staticmethod
    def ever(name: str) -> pl.Expr:
        return pl.col(f"{name}_last").is_not_null()

    @staticmethod
    def after(column: str, boundary: date) -> pl.Expr:
        return (pl.col(column) > boundary).fill_null(False)

    def in12(self, name: str) -> pl.Expr:
        return self.after(f"{name}_last", self.m12)

    def in6(self, name: str) -> pl.Expr:
        return self.after(f"{name}_last", self.m6)

    def invites(self) -> pl.Expr:
        return (pl.col("invite_gap") >= 7).fill_null(False)

    def modsev(self) -> pl.Expr:
        modsev = pl.max_horizontal("MODFRAIL_COD_last", "SEVFRAIL_COD_last")
        mild = pl.col("MILDFRAIL_COD_last")
        return (modsev.is_not_null() & (mild.is_null() | (modsev > mild))).fill_null(False)

    def cvd(self) -> pl.Expr:
        diagnosed = pl.any_horizontal(
            [self.ever(n) for n in ("CHD_COD", "STRK_COD", "TIA_COD", "PAD_COD")]
        )
        ckd = pl.col("CKD_COD_last")
        resolved = pl.max_horizontal("CKD1AND2_COD_last", "CKDRES_COD_last")
        unresolved = ckd.is_not_null() & (resolved.is_null() | (resolved <= ckd))
        return (diagnosed | unresolved).fill_null(False)


def evaluate(
    extract: SyntheticExtract, clusters: Mapping[str, Sequence[str]], start: date, end: date
) -> pl.DataFrame:
    w = Windows(start, end)
    table = patient_features(extract, clusters, start, end)
    left = pl.min_horizontal("deregistration_date", "death_date")
    in_population = (pl.col("registration_date") <= end) & (left.is_null() | (left > end))
    table = table.filter(pl.col("DM_DAT").is_not_null()).with_columns(
        in_population=in_population,
        on_register=(
            (pl.col("DMRES_COD_last").is_null() | (pl.col("DMRES_COD_last") <= pl.col("DM_COD_last")))
            & (pl.col("age") >= 17)
        ),
    )
    decided = table.with_columns(DM_REG=register_outcome(end))
    listed = decided.filter(pl.col("in_population") & pl.col("on_register"))
    return decided.select("patient_id", "DM_REG").join(
        listed.select("patient_id", *[decide(c).alias(k) for k, c in chains(w).items()]),
        on="patient_id",
        how="left",
    )


def register_outcome(end: date) -> pl.Expr:
    resolved, latest = pl.col("DMRES_COD_last"), pl.col("DM_COD_last")
    left = pl.min_horizontal("deregistration_date", "death_date")
    return (
        pl.when(~pl.col("in_population")).then(pl.lit("out:left_before"))
        .when(pl.col("age") < 17).then(pl.lit("off:under_17"))
        .when(~pl.col("on_register")).then(pl.lit("off:resolved"))
        .when(resolved == latest).then(pl.lit("on:resolved_same_day"))
        .when(resolved < latest).then(pl.lit("on:resolved_earlier"))
        .when(left > end).then(pl.lit("in:left_after"))
        .otherwise(pl.lit("on"))
    )


def decide(chain: list[tuple[str, pl.Expr]]) -> pl.Expr:
    outcome = pl.lit("not_achieved")
    for label, condition in reversed(chain):
        outcome = pl.when(condition).then(pl.lit(label)).otherwise(outcome)
    return outcome


def chains(w: Windows) -> dict[str, list[tuple[str, pl.Expr]]]:
    registered_in = {k: w.after("registration_date", b) for k, b in ((3, w.m3), (9, w.m9))}
    diagnosed_in = {k: w.after("DM_DAT", b) for k, b in ((3, w.m3), (9, w.m9))}
    shared_3m = [
        ("pca:DMPCAPU", w.in12("DMPCAPU_COD")), ("pca:DMPCADEC", w.in12("DMPCADEC_COD")),
        ("pca:DMINVITE", w.invites()), ("pca:DIAG1_DAT", diagnosed_in[3]),
        ("pca:REG1_DAT3", registered_in[3]),
    ]
    return {
        "DM020": hba1c_chain(w, 58, ~w.modsev(), "excluded:MDSEVFRAIL", diagnosed_in, registered_in),
        "DM021": hba1c_chain(w, 75, w.modsev(), "excluded:NOT_MDSEVFRAIL", diagnosed_in, registered_in),
        "DM006": dm006_chain(w) + shared_3m,
        "DM012": dm012_chain(w) + shared_3m,
        "DM014": dm014_chain(w, registered_in[3]),
        "DM034": dm034_exclusions(w) + lipid_steps(w) + shared_3m,
        "DM035": dm035_exclusions(w) + lipid_steps(w) + shared_3m,
        "DM036": dm036_chain(w, diagnosed_in[9], registered_in[9]),
    }


def hba1c_chain(
    w: Windows, target: float, eligible: pl.Expr, exclusion: str,
    diagnosed_in: dict[int, pl.Expr], registered_in: dict[int, pl.Expr],
) -> list[tuple[str, pl.Expr]]:
    current = w.after("hba_date", w.m12)
    met = current & (pl.col("hba_value") <= target).fill_null(False)
    return [
        (exclusion, ~eligible),
        ("achieved", met),
        ("pca:IFCCHBA", ~current & w.in12("SERFRUC_COD")),
        ("pca:DMMAX", w.in12("DMMAX_COD")),
        ("pca:DMPCAPU", w.in12("DMPCAPU_COD")),
        ("pca:BLDTESTDEC", w.in12("BLDTESTDEC_COD")),
        ("pca:DMPCADEC", w.in12("DMPCADEC_COD")),
        ("pca:DMIFINVITE", w.invites() & ~met),
        ("pca:DIAG1_DT9M", diagnosed_in[9]),
        ("pca:REG1_DAT9", registered_in[9]),
    ]


def dm006_chain(w: Windows) -> list[tuple[str, pl.Expr]]:
    ace_contra = w.ever("XACE_COD") | w.in12("TXACE_COD")
    arb_contra = w.ever("XAII_COD") | w.in12("TXAII_COD")
    ace_declined, arb_declined = w.in12("ACEDEC_COD"), w.in12("AIIDEC_COD")
    return [
        ("excluded:PRT_COD", ~(w.ever("PRT_COD") | w.ever("MAL_COD"))),
        ("achieved", w.in6("ACE_COD") | w.in6("AII_COD")),
        ("pca:XACE", ace_contra & arb_contra),
        ("pca:ACEDEC", ace_declined & arb_declined),
        ("pca:XACEARBDEC", (ace_contra | ace_declined) & (arb_contra | arb_declined)),
    ]


def dm012_chain(w: Windows) -> list[tuple[str, pl.Expr]]:
    left = w.ever("AMPL_COD") | w.ever("CONABL_COD")
    right = w.ever("AMPR_COD") | w.ever("CONABR_COD")
    return [
        ("excluded:AMPR3_DAT", left & right),
        ("achieved", w.in12("FRC_COD")),
        ("pca:FEPU", w.in12("FEPU_COD")),
        ("pca:FEDEC", w.in12("FEDEC_COD")),
    ]


def dm014_chain(w: Windows, registered_3m: pl.Expr) -> list[tuple[str, pl.Expr]]:
    dsep1, dm_dat = pl.col("DSEP1"), pl.col("DM_DAT")
    return [
        ("excluded:DM_DAT2", dm_dat <= w.m21),
        ("excluded:DSEP_DAT", (dsep1 <= w.m12).fill_null(False)),
        ("excluded:DM_DAT3", (dm_dat > w.m9) & dsep1.is_null()),
        ("achieved", (dsep1 <= dm_dat.dt.offset_by("9mo")).fill_null(False)),
        ("pca:DSEPPU", w.in12("DSEPPU_COD")),
        ("pca:DSEPDEC", pl.col("dsepdec_279").fill_null(False)),
        ("pca:DSEPSU", pl.col("dsepsu_279").fill_null(False)),
        ("pca:DMPCAPU", w.in12("DMPCAPU_COD")),
        ("pca:DMPCADEC", w.in12("DMPCADEC_COD")),
        ("pca:DMINVITE", w.invites()),
        ("pca:REG1_DAT3", registered_3m),
    ]


def dm034_exclusions(w: Windows) -> list[tuple[str, pl.Expr]]:
    type2_latest = pl.col("DMTYPE2_COD_last").is_not_null() & (
        pl.col("DMTYPE1_COD_last").is_null()
        | (pl.col("DMTYPE2_COD_last") > pl.col("DMTYPE1_COD_last"))
    )
    low_risk = w.after("score_date", w.m36) & (pl.col("score_value") < 10).fill_null(False)
    return [
        ("excluded:PAT_AGEU39", pl.col("age") <= 39),
        ("excluded:CVDHIST", w.cvd()),
        ("excluded:MDSEVFRAIL", w.modsev()),
        ("excluded:DMTYPE2", type2_latest.fill_null(False) & low_risk),
    ]


def dm035_exclusions(w: Windows) -> list[tuple[str, pl.Expr]]:
    return [("excluded:CVDNOHIST", ~w.cvd()), ("excluded:HSTRK", w.ever("HSTRK_COD"))]


def lipid_steps(w: Windows) -> list[tuple[str, pl.Expr]]:
    alternative = w.ever("statin_unsuitable") & w.in6("other_llt")
    return [
        ("achieved", w.in6("STAT_COD") | alternative),
        ("pca:CHOLMAX", w.in12("CHOLMAX_COD")),
        ("pca:LLTADV", w.in12("lltadv")),
        ("pca:LLTCONNIND", w.in12("lltconnind")),
        ("pca:LLTDEC12M", w.in12("lltdec")),
    ]


def dm036_chain(
    w: Windows, diagnosed_9m: pl.Expr, registered_9m: pl.Expr
) -> list[tuple[str, pl.Expr]]:
    current = w.after("bp_date", w.m12)
    home = pl.col("home").fill_null(False)
    limit_sys = pl.when(home).then(135).otherwise(140)
    limit_dia = pl.when(home).then(85).otherwise(90)
    met = current & ((pl.col("sys") <= limit_sys) & (pl.col("dia") <= limit_dia)).fill_null(False)
    declined = w.in12("BPDEC_COD")
    return [
        ("excluded:PAT_AGEO79", pl.col("age") > 79),
        ("excluded:MDSEVFRAIL", w.modsev()),
        ("achieved", met),
        ("pca:HTMAX", w.in12("HTMAX_COD")),
        ("pca:DMPCAPU", w.in12("DMPCAPU_COD")),
        ("pca:BPORHBPDEC", declined),
        ("pca:DMPCADEC", w.in12("DMPCADEC_COD")),
        ("pca:DMBPINVITE", w.invites() & ~met),
        ("pca:DIAG1_DT9M", diagnosed_9m),
        ("pca:REG1_DAT9", registered_9m),
    ]


def test_evaluator_labels_are_the_declared_ones(outcomes: pl.DataFrame) -> None:
    for indicator, labels in CHAIN_LABELS.items():
        seen = set(outcomes[indicator].drop_nulls())
        assert seen <= set(labels), (indicator, seen - set(labels))

