"""Deterministic synthetic GP extracts (patients, events, practices) for tests, demos, benchmarks.

``generate`` draws an England-like registered population and coded events with numpy and polars
only (no Python loop over patients or events), so it scales to millions of patients. Two layers
put clinical records on it:

* diabetics are drawn into scenario groups from the probability tables below (realistic care
  for most, enriched edge cases for the rest);
* every other register and indicator is read from the ruleset: each terminal branch of each
  indicator chain is solved into record templates (which records, dates at and around every
  bound the rules use, values around every threshold, ages around every gate) that a few
  patients receive, and ordinary register members get templates that achieve their indicators.

So a ~3,000-patient sample reaches every branch of every indicator that the ruleset's codes can
reach. Only codes of the ruleset's clusters and the given noise codes are used; a cluster with
no codes is skipped silently, so what needs it simply cannot be reached until it is imported.
All dates are relative to the ruleset's payment period."""

from __future__ import annotations

import os
import random
import shutil
import tempfile
import uuid
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Literal

import numpy as np
import polars as pl

from qofcli.engine.dates import shift
from qofcli.ruleset import model as m
from qofcli.ruleset.model import Ruleset

# ------------------------------------------------------------------------------------------
# Probability tables (data, not code). Shares inside one table need not sum to exactly 1.
# ------------------------------------------------------------------------------------------

#: England-like registered population: (lowest age in band, share of patients, share female).
AGE_BANDS: tuple[tuple[int, float, float], ...] = (
    (0, 0.054, 0.49),
    (5, 0.059, 0.49),
    (10, 0.061, 0.49),
    (15, 0.058, 0.49),
    (20, 0.061, 0.49),
    (25, 0.066, 0.50),
    (30, 0.070, 0.50),
    (35, 0.068, 0.50),
    (40, 0.064, 0.50),
    (45, 0.062, 0.50),
    (50, 0.068, 0.50),
    (55, 0.067, 0.51),
    (60, 0.059, 0.51),
    (65, 0.050, 0.52),
    (70, 0.047, 0.53),
    (75, 0.040, 0.54),
    (80, 0.025, 0.57),
    (85, 0.015, 0.62),
    (90, 0.009, 0.70),
)
OLDEST_AGE = 101  # ages are drawn below this

#: Relative diabetes prevalence by age (linear between knots); scaled to the adult prevalence.
DIABETES_RISK_BY_AGE: tuple[tuple[float, float], ...] = (
    (17, 0.15),
    (30, 0.3),
    (40, 0.6),
    (50, 1.1),
    (60, 1.7),
    (70, 2.2),
    (80, 2.2),
    (90, 1.8),
    (101, 1.5),
)

POPULATION: dict[str, float] = {
    "adult_diabetes_prevalence": 0.075,  # of patients aged 17+
    "child_diabetes_prevalence": 0.003,
    "registered_last_year": 0.055,  # newborns and scenarios add ~1.5 points
    "mean_years_registered": 11.0,  # exponential, for everyone registered before the last year
    "deregistered": 0.04,
    "died": 0.01,  # weighted towards old age
    "exit_after_end": 0.4,  # share of deregistrations/deaths dated after period_end
    "exit_on_boundary": 0.1,  # share of those snapped onto period_end or the day after
    "sex_indeterminate": 0.001,
    "sex_unknown": 0.002,
}

#: Share of dates drawn inside a window that are snapped onto its first or last day, so both
#: sides of every date boundary are exercised.
EDGE_SHARE = 0.1
#: Share of patients without a record in a window whose last record sits just outside it.
STALE_SHARE = 0.25

#: How diabetics (17+) are split. "ordinary" patients follow the realistic CARE/CLINICAL
#: probabilities; "fallthrough" patients fail every achievement test and are decided by one
#: shared step (TAIL); "specific" ones by an indicator-specific PCA step (SPECIFIC). The small
#: groups are enriched far above real life so a 3,000-patient sample reaches every rule step;
#: "edge" and "exit" patients get ordinary care too, so 57% of diabetics are cared for as usual.
DIABETIC_GROUPS: dict[str, float] = {
    "ordinary": 0.45,
    "fallthrough": 0.28,
    "specific": 0.15,
    "edge": 0.09,  # ordinary care, but on a register or age boundary (EDGES)
    "exit": 0.03,  # ordinary care, deregistered or died around period_end (EXITS)
}

#: The shared step that decides a "fallthrough" patient in every indicator.
TAIL: dict[str, float] = {
    "pca_unsuitable": 0.14,
    "pca_dissent": 0.14,
    "invites": 0.18,
    "diagnosed_9m": 0.12,
    "diagnosed_3m": 0.12,
    "registered_9m": 0.12,
    "registered_3m": 0.12,
    "none": 0.06,  # nothing else decides: not achieved
}
#: Share of non-diagnosis fallthrough patients diagnosed 9-21 months ago (DM014 denominator).
FALLTHROUGH_RECENT_DIAGNOSIS = 0.5

#: Spacing of a fallthrough patient's two review invites (only >= 7 days, both in period, count).
INVITE_GAPS: dict[str, float] = {
    "weeks_apart": 0.45,
    "exactly_7_days": 0.25,
    "only_6_days": 0.15,
    "first_before_start": 0.15,
}

#: Indicator-specific PCA/exclusion steps; each "specific" patient gets one per indicator.
SPECIFIC: dict[str, tuple[str, ...]] = {
    "DM020": ("fructosamine", "dm_max_therapy", "blood_test_declined"),
    "DM006": ("ace_arb_contraindicated", "ace_arb_declined", "ace_arb_mixed"),
    "DM012": ("foot_unsuitable", "foot_declined", "amputation_both"),
    "DM014": (
        "education_unsuitable",
        "education_declined",
        "education_unavailable",
        "referred_before_window",  # diagnosed 12-21 months ago, referred before the window
    ),
    "DM034": ("chol_max", "lipid_adverse", "lipid_contraindicated", "lipid_declined"),
    "DM036": ("bp_max_therapy", "bp_declined"),
}

#: Register and age boundaries (whole years at period_end) for the "edge" group.
EDGES: dict[str, float] = {
    "resolved_after_latest": 0.15,
    "resolved_same_day": 0.15,
    "resolved_then_rediagnosed": 0.15,
    "age_17_on_end": 0.1,
    "age_16_turning_17_next_day": 0.1,
    "age_40_on_end": 0.0875,
    "age_39_turning_40_next_day": 0.0875,
    "age_80_on_end": 0.0875,
    "age_79_turning_80_next_day": 0.0875,
}

#: Deregistration or death around period_end for the "exit" group.
EXITS: dict[str, float] = {
    "deregistered_before_end": 0.25,
    "deregistered_on_end": 0.1,
    "deregistered_after_end": 0.2,
    "died_before_end": 0.25,
    "died_on_end": 0.05,
    "died_after_end": 0.15,
}

FRAILTY_KINDS = ("none", "mild", "moderate", "severe", "mild_after_moderate", "moderate_after_mild")
MODSEV_FRAILTY = ("moderate", "severe", "moderate_after_mild")
#: Latest frailty record of ordinary diabetics by age: (age below which the row applies, shares).
FRAILTY_BY_AGE: tuple[tuple[int, tuple[float, ...]], ...] = (
    (65, (0.85, 0.09, 0.04, 0.01, 0.005, 0.005)),
    (80, (0.55, 0.22, 0.14, 0.05, 0.02, 0.02)),
    (OLDEST_AGE, (0.30, 0.25, 0.25, 0.14, 0.03, 0.03)),
)
#: Failing patients are half moderately/severely frail (DM021) and half not (DM020, DM036).
FAILING_FRAILTY: dict[str, tuple[float, ...]] = {
    "frail": (0, 0, 0.5, 0.3, 0, 0.2),
    "not_frail": (0.6, 0.3, 0, 0, 0.1, 0),
}

#: When ordinary diabetics were diagnosed (months before period_end).
DIAGNOSIS_TIMING: dict[str, float] = {
    "established": 0.78,
    "21_to_12_months": 0.10,
    "12_to_9_months": 0.03,
    "9_to_3_months": 0.05,
    "last_3_months": 0.04,
}

ENGAGED_SHARE = 0.85  # of ordinary diabetics; the rest rarely attend reviews
#: Care processes of ordinary diabetics: (probability if engaged, if disengaged).
CARE: dict[str, tuple[float, float]] = {
    "hba1c_in_12m": (0.97, 0.35),
    "bp_in_12m": (0.97, 0.40),
    "foot_check_in_12m": (0.92, 0.25),
    "ace_arb_in_6m": (0.85, 0.40),  # of patients with proteinuria
    "statin_in_6m": (0.85, 0.45),
    "education_referral": (0.80, 0.30),  # of patients diagnosed in the last 21 months
    "education_late": (0.08, 0.20),  # referral later than 9 months after diagnosis
    "education_mean_delay_days": (45.0, 90.0),  # referrals mostly come soon after diagnosis
    "two_invites": (0.08, 0.50),
    "one_invite": (0.20, 0.30),
    "pca_unsuitable": (0.01, 0.06),
    "pca_dissent": (0.01, 0.08),
    "fructosamine_without_hba1c": (0.20, 0.20),
    "dm_max_therapy": (0.03, 0.03),
    "blood_test_declined": (0.005, 0.06),
    "bp_max_therapy": (0.03, 0.03),
    "bp_declined": (0.005, 0.05),
    "foot_unsuitable": (0.01, 0.02),
    "foot_declined": (0.005, 0.05),
    "ace_arb_contraindicated": (0.03, 0.03),
    "ace_arb_declined": (0.01, 0.05),
    "ace_arb_mixed": (0.01, 0.02),
    "education_unsuitable": (0.02, 0.05),
    "education_declined": (0.03, 0.10),
    "education_unavailable": (0.01, 0.02),
    "chol_max": (0.02, 0.02),
    "lipid_adverse": (0.02, 0.02),
    "lipid_contraindicated": (0.02, 0.02),
    "lipid_declined": (0.02, 0.08),
    "statin_intolerant_other_therapy": (0.04, 0.02),
}

#: Clinical history of ordinary diabetics.
CLINICAL: dict[str, float] = {
    "repeat_diabetes_code": 0.4,
    "type1": 0.08,
    "type2": 0.87,  # the rest have no type code
    "proteinuria": 0.25,
    "failing_proteinuria": 0.8,  # of fallthrough patients, so DM006 sees their shared step
    "ckd_3_5": 0.12,
    "ckd_resolved": 0.25,  # of those with CKD 3-5
    "haemorrhagic_stroke_of_cvd": 0.15,
    "cvd_score_in_3y": 0.7,
    "amputation_one_side": 0.02,
    "amputation_both": 0.01,
    "home_bp": 0.1,
    "same_day_repeat": 0.06,
    "failing_hba1c_in_12m": 0.5,  # failing patients: an above-target reading, or none
    "failing_bp_in_12m": 0.5,
    "boundary_value": 0.05,  # readings set exactly on a target or one above it
}
#: CHD/stroke/TIA/PAD history of ordinary diabetics by age: (age below which it applies, share).
CVD_BY_AGE: tuple[tuple[int, float], ...] = ((40, 0.03), (60, 0.12), (80, 0.30), (OLDEST_AGE, 0.45))
CVD_KINDS: dict[str, float] = {"chd": 0.5, "stroke": 0.2, "tia": 0.1, "pad": 0.2}

VALUES: dict[str, float] = {
    "hba1c_median": 55.0,
    "hba1c_median_disengaged": 64.0,
    "hba1c_median_new": 66.0,
    "hba1c_sigma": 0.27,
    "hba1c_min": 30.0,
    "hba1c_max": 150.0,
    "hba1c_normal_median": 38.0,  # screening tests in non-diabetics
    "systolic_mean": 135.0,
    "systolic_sd": 15.0,
    "diastolic_mean": 80.0,
    "diastolic_sd": 10.0,
    "bp_correlation": 0.6,
    "home_bp_offset": 5.0,  # home readings run lower than clinic ones
    "fructosamine_mean": 290.0,
    "fructosamine_sd": 40.0,
    "cvd_score_median": 12.0,  # % 10-year risk
    "cvd_score_sigma": 0.6,
}
HBA1C_BOUNDARIES = (58.0, 59.0, 75.0, 76.0)
SYSTOLIC_BOUNDARIES = (140.0, 141.0, 135.0, 136.0)
DIASTOLIC_BOUNDARIES = (90.0, 91.0, 85.0, 86.0)

#: Background activity (everyone): kinds of noise item and their shares.
NOISE_MIX: dict[str, float] = {"bp_reading": 0.45, "coded_event": 0.5, "hba1c_screen": 0.05}
NOISE_HISTORY_YEARS = 15
NOISE_CHUNK = 100_000  # patients per chunk, bounding temporary memory

#: Clinical roles and the clusters that may supply their codes (codes of all present ones pool).
ROLES: dict[str, tuple[str, ...]] = {
    "diabetes": ("DM_COD",),
    "diabetes_resolved": ("DMRES_COD",),
    "type1": ("DMTYPE1_COD",),
    "type2": ("DMTYPE2_COD",),
    "mild_frailty": ("MILDFRAIL_COD",),
    "moderate_frailty": ("MODFRAIL_COD",),
    "severe_frailty": ("SEVFRAIL_COD",),
    "hba1c": ("IFCCHBAM_COD",),
    "fructosamine": ("SERFRUC_COD",),
    "dm_max_therapy": ("DMMAX_COD",),
    "blood_test_declined": ("BLDTESTDEC_COD",),
    "pca_unsuitable": ("DMPCAPU_COD",),
    "pca_dissent": ("DMPCADEC_COD",),
    "invite": ("DMINVITE_COD",),
    "systolic": ("SYSBP_COD",),
    "diastolic": ("DIABP_COD",),
    "home_bp": ("HOMEBP_COD", "HOMEAMBBP_COD"),
    "bp_max_therapy": ("HTMAX_COD",),
    "bp_declined": ("BPDEC_COD", "HOMEBPDEC_COD", "ABPMDEC_COD"),
    "proteinuria": ("PRT_COD", "MAL_COD"),
    "ace": ("ACE_COD",),
    "arb": ("AII_COD",),
    "ace_contraindicated": ("XACE_COD",),
    "ace_unsuitable_12m": ("TXACE_COD",),
    "arb_contraindicated": ("XAII_COD",),
    "arb_unsuitable_12m": ("TXAII_COD",),
    "ace_declined": ("ACEDEC_COD",),
    "arb_declined": ("AIIDEC_COD",),
    "foot_check": ("FRC_COD",),
    "foot_unsuitable": ("FEPU_COD",),
    "foot_declined": ("FEDEC_COD",),
    "left_foot_absent": ("AMPL_COD", "CONABL_COD"),
    "right_foot_absent": ("AMPR_COD", "CONABR_COD"),
    "education_referral": ("DSEP_COD",),
    "education_unsuitable": ("DSEPPU_COD",),
    "education_declined": ("DSEPDEC_COD",),
    "education_unavailable": ("DSEPSU_COD",),
    "chd": ("CHD_COD",),
    "stroke": ("STRK_COD",),
    "tia": ("TIA_COD",),
    "pad": ("PAD_COD",),
    "haemorrhagic_stroke": ("HSTRK_COD",),
    "ckd_3_5": ("CKD_COD",),
    "ckd_1_2": ("CKD1AND2_COD",),
    "ckd_resolved": ("CKDRES_COD",),
    "cvd_score": ("CVDASS2_COD",),
    "statin": ("STAT_COD",),
    "statin_unsuitable": ("STATINTOL_COD", "XSTAT_COD"),
    "other_lipid_therapy": ("EZETIMIBE_COD", "BEMPACID_COD", "INCLISIRAN_COD", "PCSK9I_COD"),
    "chol_max": ("CHOLMAX_COD",),
    "lipid_adverse": ("LIPIDTHERADV_COD",),
    "lipid_contraindicated": (
        "LIPIDTHERCON_COD",
        "LIPIDTHERNIND_COD",
        "STATCONTR_COD",
        "STATNIND_COD",
    ),
    "lipid_declined": ("LIPIDTHERDEC_COD", "STATINDEC_COD"),
}
#: Clusters rules read although no role draws from them: never a source of noise codes
#: (BP_COD holds the readings' codes; familial hypercholesterolaemia would otherwise become
#: everyone's background diagnosis and may matter to lipid rules).
RESERVED_CLUSTERS = ("BP_COD", "CLINBP_COD", "FHYP_COD", "FHYPGEN_COD")
#: Overlaps a role may keep (e.g. a type 2 code that is also a DM_COD code on the diagnosis day).
ALLOWED_OVERLAP: dict[str, tuple[str, ...]] = {
    "type1": ("DM_COD",),
    "type2": ("DM_COD",),
    "systolic": ("BP_COD", "CLINBP_COD"),
    "diastolic": ("BP_COD", "CLINBP_COD"),
    "home_bp": ("BP_COD", "CLINBP_COD"),
    "haemorrhagic_stroke": ("STRK_COD",),
}
#: Roles that should prefer codes also in these clusters (a BP reading must be a BP_COD record).
PREFER_WITHIN: dict[str, tuple[str, ...]] = {"systolic": ("BP_COD",), "diastolic": ("BP_COD",)}
NOISE_KEY = "noise"
CLUSTER_ROLE = "cluster:"  # code pools of whole clusters, for the ruleset-driven layer

#: Roles each specific option needs; each inner tuple is "any of these roles".
OPTION_NEEDS: dict[str, tuple[tuple[str, ...], ...]] = {
    "fructosamine": (("fructosamine",),),
    "dm_max_therapy": (("dm_max_therapy",),),
    "blood_test_declined": (("blood_test_declined",),),
    "ace_arb_contraindicated": (
        ("ace_contraindicated", "ace_unsuitable_12m"),
        ("arb_contraindicated", "arb_unsuitable_12m"),
    ),
    "ace_arb_declined": (("ace_declined",), ("arb_declined",)),
    "ace_arb_mixed": (
        ("ace_contraindicated", "ace_unsuitable_12m"),
        ("arb_declined",),
    ),
    "foot_unsuitable": (("foot_unsuitable",),),
    "foot_declined": (("foot_declined",),),
    "amputation_both": (("left_foot_absent",), ("right_foot_absent",)),
    "education_unsuitable": (("education_unsuitable",),),
    "education_declined": (("education_declined",),),
    "education_unavailable": (("education_unavailable",),),
    "referred_before_window": (("education_referral",),),
    "chol_max": (("chol_max",),),
    "lipid_adverse": (("lipid_adverse",),),
    "lipid_contraindicated": (("lipid_contraindicated",),),
    "lipid_declined": (("lipid_declined",),),
    "bp_max_therapy": (("bp_max_therapy",),),
    "bp_declined": (("bp_declined",),),
    "pca_unsuitable": (("pca_unsuitable",),),
    "pca_dissent": (("pca_dissent",),),
    "invites": (("invite",),),
    "diagnosed_9m": (),
    "diagnosed_3m": (),
    "registered_9m": (),
    "registered_3m": (),
    "none": (),
}

PRACTICE_PLACES = (
    "Ashby",
    "Brampton",
    "Castleford",
    "Dunmore",
    "Elmstead",
    "Fairley",
    "Greyfield",
    "Hollins",
    "Ivybridge",
    "Kingsmead",
    "Langley",
    "Millbrook",
    "Northgate",
    "Oakwood",
    "Parkside",
    "Queensway",
    "Riverside",
    "Southfields",
    "Thornbury",
    "Westcliffe",
)
PRACTICE_KINDS = ("Medical Centre", "Surgery", "Health Centre", "Family Practice", "Group Practice")
ODS_REGION_LETTERS = "ABCDEFGHJKLMNPY"
PRACTICES_PER_PCN = 6

PATIENT_COLUMNS = (
    "patient_id",
    "practice_code",
    "date_of_birth",
    "sex",
    "registration_date",
    "deregistration_date",
    "death_date",
)
PATIENTS_SCHEMA: dict[str, pl.DataType] = {
    "patient_id": pl.String(),
    "practice_code": pl.String(),
    "date_of_birth": pl.Date(),
    "sex": pl.String(),
    "registration_date": pl.Date(),
    "deregistration_date": pl.Date(),
    "death_date": pl.Date(),
}
EVENTS_SCHEMA: dict[str, pl.DataType] = {
    "patient_id": pl.String(),
    "date": pl.Date(),
    "code": pl.String(),
    "value": pl.Float64(),
}
PRACTICES_SCHEMA: dict[str, pl.DataType] = {
    "practice_code": pl.String(),
    "practice_name": pl.String(),
    "pcn_code": pl.String(),
    "list_size": pl.Int64(),
}
SEXES = ("F", "M", "I", "U")
_EPOCH = date(1970, 1, 1)
_DAYS_PER_YEAR = 365.2425


# ------------------------------------------------------------------------------------------
# Public API
# ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SyntheticExtract:
    """The three tables of an extract, typed as in docs/extract-format.md."""

    patients: pl.DataFrame
    events: pl.DataFrame
    practices: pl.DataFrame

    def tables(self) -> dict[str, pl.DataFrame]:
        return {"patients": self.patients, "events": self.events, "practices": self.practices}


def generate(
    n_patients: int,
    n_practices: int,
    seed: int,
    ruleset: Ruleset,
    noise_codes: Sequence[str] = (),
    events_per_patient: float = 8.0,
) -> SyntheticExtract:
    """Build a synthetic extract for ``ruleset``'s payment period from its cluster codes and the
    given noise codes (codes no rule reads); the same arguments always give the same frames."""
    period_start, period_end = ruleset.period_start, ruleset.period_end
    _check_arguments(n_patients, n_practices, seed, period_start, period_end, events_per_patient)
    cal = _Calendar.of(period_start, period_end)
    streams = _Streams(seed)
    clusters = {c.id: c.codes for c in ruleset.clusters.values() if c.codes}
    book = _CodeBook.build(clusters, noise_codes)
    pop = _draw_population(streams, n_patients, n_practices, cal)
    plan = _plan_diabetics(streams, pop, cal, book)
    sink = _Sink(book, streams, pop)
    _diabetic_events(plan, cal, streams, sink)
    generic = _ruleset_patients(ruleset, streams, pop, plan, cal, sink)
    noise_target = n_patients * events_per_patient - sink.size
    noise = _plan_noise(streams, pop, plan, cal, book, noise_target, generic)
    ids = _patient_ids(n_patients)
    practices = _practices_frame(streams("practices"), pop, cal)
    return SyntheticExtract(
        patients=_patients_frame(pop, ids, practices["practice_code"]),
        events=_events_frame(sink, noise, streams, ids),
        practices=practices,
    )


def write_extract(
    extract: SyntheticExtract,
    out_dir: Path,
    fmt: Literal["csv", "parquet"],
    overwrite: bool = False,
) -> None:
    """Write the extract folder atomically: build it beside ``out_dir``, then rename it in."""
    out_dir = Path(out_dir)
    if fmt not in ("csv", "parquet"):
        raise ValueError(f"unknown extract format {fmt!r} (use 'csv' or 'parquet')")
    if out_dir.exists() and not out_dir.is_dir():
        raise ValueError(f"{out_dir} exists and is not a directory")
    if out_dir.exists() and any(out_dir.iterdir()) and not overwrite:
        raise ValueError(f"{out_dir} is not empty (pass overwrite=True to replace it)")
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", suffix=".tmp", dir=out_dir.parent))
    try:
        staging.chmod(0o755)  # mkdtemp makes it owner-only; the extract is ordinary data
        for name, frame in extract.tables().items():
            if fmt == "csv":
                frame.write_csv(staging / f"{name}.csv")
            else:
                frame.write_parquet(staging / f"{name}.parquet")
        _swap_into_place(staging, out_dir)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def _swap_into_place(staging: Path, out_dir: Path) -> None:
    if not out_dir.exists():
        os.rename(staging, out_dir)
        return
    retired = out_dir.with_name(f".{out_dir.name}.{uuid.uuid4().hex}.old")
    os.rename(out_dir, retired)
    try:
        os.rename(staging, out_dir)
    except BaseException:
        os.rename(retired, out_dir)
        raise
    shutil.rmtree(retired, ignore_errors=True)


def _check_arguments(
    n_patients: int, n_practices: int, seed: int, start: date, end: date, events_per_patient: float
) -> None:
    if n_patients < 1 or n_practices < 1:
        raise ValueError("n_patients and n_practices must be at least 1")
    if n_practices > n_patients:
        raise ValueError("n_practices cannot exceed n_patients")
    if seed < 0:
        raise ValueError("seed must be non-negative")
    if start > end:
        raise ValueError("period_start is after period_end")
    if events_per_patient < 0:
        raise ValueError("events_per_patient must be non-negative")


# ------------------------------------------------------------------------------------------
# Small numeric helpers
# ------------------------------------------------------------------------------------------


class _Streams:
    """One random stream per purpose, so adding a feature leaves the other streams unchanged."""

    def __init__(self, seed: int) -> None:
        self._seed = seed
        self._cache: dict[str, np.random.Generator] = {}

    def __call__(self, purpose: str) -> np.random.Generator:
        if purpose not in self._cache:
            key = [self._seed, zlib.crc32(purpose.encode())]
            self._cache[purpose] = np.random.default_rng(key)
        return self._cache[purpose]


def _day(d: date) -> int:
    return (d - _EPOCH).days


def _shift_months(days: np.ndarray | int, months: int) -> np.ndarray:
    """Calendar month arithmetic, clamping to the month's last day (31 Mar - 1 month = 28 Feb)."""
    as_dates = np.asarray(days, dtype=np.int64).astype("datetime64[D]")
    month = as_dates.astype("datetime64[M]")
    day_of_month = (as_dates - month.astype("datetime64[D]")).astype(np.int64)
    target = month + months
    month_length = (target + 1).astype("datetime64[D]") - target.astype("datetime64[D]")
    last_index = month_length.astype(np.int64) - 1
    return target.astype("datetime64[D]").astype(np.int64) + np.minimum(day_of_month, last_index)


@dataclass(frozen=True)
class _Calendar:
    """Period boundaries as day numbers; windows follow the spec ("after PPED - k months")."""

    start: int
    end: int

    @classmethod
    def of(cls, start: date, end: date) -> _Calendar:
        return cls(_day(start), _day(end))

    def back(self, months: int) -> int:
        """period_end minus ``months`` calendar months (the last day outside the window)."""
        return int(_shift_months(self.end, -months))

    def first_in(self, months: int) -> int:
        return self.back(months) + 1


def _allocate(rng: np.random.Generator, n: int, weights: Sequence[float]) -> np.ndarray:
    """Category per item with counts fixed by the shares (largest remainder), shuffled.

    Quotas rather than independent draws, so even small samples get every scenario.
    """
    shares = np.asarray(weights, dtype=float)
    shares = shares / shares.sum()
    exact = shares * n
    counts = np.floor(exact).astype(np.int64)
    missing = n - int(counts.sum())
    if missing:
        counts[np.argsort(-(exact - counts), kind="stable")[:missing]] += 1
    return rng.permutation(np.repeat(np.arange(len(shares)), counts))


def _allocate_within(
    rng: np.random.Generator, strata: np.ndarray, weights: Sequence[float]
) -> np.ndarray:
    """``_allocate`` separately inside each stratum, so every stratum gets every category."""
    out = np.zeros(len(strata), dtype=np.int64)
    for stratum in np.unique(strata):
        members = np.flatnonzero(strata == stratum)
        out[members] = _allocate(rng, len(members), weights)
    return out


def _choose(rng: np.random.Generator, n: int, weights: Sequence[float]) -> np.ndarray:
    """Independent categorical draws."""
    cumulative = np.cumsum(np.asarray(weights, dtype=float))
    return np.searchsorted(cumulative / cumulative[-1], rng.random(n), side="right")


def _days(
    rng: np.random.Generator,
    n: int,
    first: np.ndarray | int,
    last: np.ndarray | int,
    edge_share: float = 0.0,
) -> np.ndarray:
    """Uniform day in [first, last]; ``edge_share`` of them snapped onto first or last."""
    lo = np.broadcast_to(np.asarray(first, dtype=np.int64), (n,))
    hi = np.maximum(np.broadcast_to(np.asarray(last, dtype=np.int64), (n,)), lo)
    days = lo + (rng.random(n) * (hi - lo + 1)).astype(np.int64)
    snap = rng.random(n) < edge_share
    to_first = rng.random(n) < 0.5
    return np.where(snap, np.where(to_first, lo, hi), days)


def _pick(rng: np.random.Generator, options: Sequence[float], n: int) -> np.ndarray:
    return np.asarray(options, dtype=float)[rng.integers(0, len(options), n)]


def _index(table: Mapping[str, object] | Sequence[str], name: str) -> int:
    return list(table).index(name)


# ------------------------------------------------------------------------------------------
# Codes
# ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _CodeBook:
    """All codes used, and per role the indices of codes that mean only that role."""

    codes: tuple[str, ...]
    pools: dict[str, np.ndarray]

    @classmethod
    def build(cls, clusters: Mapping[str, Sequence[str]], noise: Sequence[str]) -> _CodeBook:
        sets = {name: {str(c) for c in codes} for name, codes in clusters.items()}
        scenario = _scenario_clusters() & sets.keys()
        role_codes = {role: _role_codes(role, sets, scenario) for role in ROLES}
        in_rules = set().union(*sets.values()) if sets else set()
        role_codes[NOISE_KEY] = {str(c) for c in noise} - in_rules
        for name in sets:
            role_codes[CLUSTER_ROLE + name] = _cluster_codes(name, sets)
        used = sorted(set().union(*role_codes.values()))
        position = {code: i for i, code in enumerate(used)}
        pools = {
            role: np.array([position[c] for c in sorted(codes)], dtype=np.int32)
            for role, codes in role_codes.items()
            if codes
        }
        return cls(tuple(used), pools)

    def has(self, *roles: str) -> bool:
        return all(role in self.pools for role in roles)

    def option_available(self, option: str) -> bool:
        return all(any(r in self.pools for r in group) for group in OPTION_NEEDS[option])


def _scenario_clusters() -> set[str]:
    return {c for names in ROLES.values() for c in names} | set(RESERVED_CLUSTERS)


def _role_codes(role: str, sets: dict[str, set[str]], scenario: set[str]) -> set[str]:
    """Codes of the role's clusters that belong to no other scenario cluster (bar allowed ones).

    Clusters overlap (a DM_COD code can also be in PAD_COD), and a code meant as one thing must
    not silently count as another.
    """
    own = [c for c in ROLES[role] if c in sets]
    if not own:
        return set()
    codes = set().union(*(sets[c] for c in own))
    keep_overlap = set(own) | set(ALLOWED_OVERLAP.get(role, ()))
    for other in scenario - keep_overlap:
        codes -= sets[other]
    preferred = [sets[c] for c in PREFER_WITHIN.get(role, ()) if c in sets]
    if preferred and codes & set().union(*preferred):
        codes &= set().union(*preferred)
    return codes


def _cluster_codes(name: str, sets: dict[str, set[str]]) -> set[str]:
    """Codes of one cluster for the ruleset-driven layer: those in no other cluster if any, else
    those in the fewest others (a record meant for one cluster should not count for another)."""
    others: dict[str, int] = {}
    for other, codes in sets.items():
        if other != name:
            for code in codes & sets[name]:
                others[code] = others.get(code, 0) + 1
    fewest = min((others.get(code, 0) for code in sets[name]), default=0)
    return {code for code in sets[name] if others.get(code, 0) == fewest}


# ------------------------------------------------------------------------------------------
# Population
# ------------------------------------------------------------------------------------------


@dataclass
class _Population:
    """Patient attributes as arrays of day numbers; exits use exit_kind 0 none, 1 dereg, 2 died."""

    practice: np.ndarray
    dob: np.ndarray
    sex: np.ndarray
    registration: np.ndarray
    exit_day: np.ndarray
    exit_kind: np.ndarray
    n_practices: int

    @property
    def size(self) -> int:
        return len(self.dob)

    def age_years(self, cal: _Calendar) -> np.ndarray:
        return (cal.end - self.dob) / _DAYS_PER_YEAR

    def last_day(self, cal: _Calendar) -> np.ndarray:
        """Last day events can carry: the exit day, else period_end."""
        return np.where(self.exit_kind > 0, self.exit_day, cal.end)


def _draw_population(streams: _Streams, n: int, n_practices: int, cal: _Calendar) -> _Population:
    rng = streams("population")
    practice = np.sort(_allocate(rng, n, rng.lognormal(0.0, 0.35, n_practices)))
    dob, sex = _draw_ages_and_sexes(rng, n, cal)
    registration = _draw_registrations(rng, dob, cal)
    exit_day, exit_kind = _draw_exits(rng, dob, registration, cal)
    return _Population(practice, dob, sex, registration, exit_day, exit_kind, n_practices)


def _draw_ages_and_sexes(
    rng: np.random.Generator, n: int, cal: _Calendar
) -> tuple[np.ndarray, np.ndarray]:
    lowers = np.array([b[0] for b in AGE_BANDS] + [OLDEST_AGE], dtype=float)
    band = _choose(rng, n, [b[1] for b in AGE_BANDS])
    age = lowers[band] + rng.random(n) * (lowers[band + 1] - lowers[band])
    dob = cal.end - np.floor(age * _DAYS_PER_YEAR).astype(np.int64)
    female = rng.random(n) < np.array([b[2] for b in AGE_BANDS])[band]
    sex = np.where(female, 0, 1).astype(np.int8)
    other = rng.random(n)
    indeterminate = POPULATION["sex_indeterminate"]
    sex[other < indeterminate] = 2
    sex[(other >= indeterminate) & (other < indeterminate + POPULATION["sex_unknown"])] = 3
    return dob, sex


def _draw_registrations(rng: np.random.Generator, dob: np.ndarray, cal: _Calendar) -> np.ndarray:
    n = len(dob)
    recent = rng.random(n) < POPULATION["registered_last_year"]
    last_year = cal.end - rng.integers(0, 365, n)
    mean_days = POPULATION["mean_years_registered"] * _DAYS_PER_YEAR
    earlier = cal.end - 365 - rng.exponential(mean_days, n).astype(np.int64)
    # newborns register a few weeks after birth
    after_birth = dob + rng.integers(7, 60, n)
    return np.minimum(np.maximum(np.where(recent, last_year, earlier), after_birth), cal.end)


def _draw_exits(
    rng: np.random.Generator, dob: np.ndarray, registration: np.ndarray, cal: _Calendar
) -> tuple[np.ndarray, np.ndarray]:
    n = len(dob)
    age = (cal.end - dob) / _DAYS_PER_YEAR
    mortality = np.exp(0.09 * age)
    death_p = np.minimum(POPULATION["died"] * n * mortality / mortality.sum(), 0.5)
    died = rng.random(n) < death_p
    deregistered = ~died & (rng.random(n) < POPULATION["deregistered"])
    kind = np.where(died, 2, np.where(deregistered, 1, 0)).astype(np.int8)
    return np.maximum(_exit_days(rng, n, cal), registration), kind


def _exit_days(rng: np.random.Generator, n: int, cal: _Calendar) -> np.ndarray:
    after = rng.random(n) < POPULATION["exit_after_end"]
    later = _days(rng, n, cal.end + 1, cal.end + 90)
    days = np.where(after, later, _days(rng, n, cal.start, cal.end))
    on_boundary = rng.random(n) < POPULATION["exit_on_boundary"]
    return np.where(on_boundary, cal.end + rng.integers(0, 2, n), days)


def _draw_diabetes(rng: np.random.Generator, pop: _Population, cal: _Calendar) -> np.ndarray:
    age = pop.age_years(cal)
    adult = age >= 17
    knots = np.array(DIABETES_RISK_BY_AGE)
    risk = np.interp(age, knots[:, 0], knots[:, 1])
    adult_risk_total = risk[adult].sum()
    scale = POPULATION["adult_diabetes_prevalence"] * adult.sum() / max(adult_risk_total, 1e-9)
    p = np.where(adult, np.minimum(risk * scale, 0.6), POPULATION["child_diabetes_prevalence"])
    return rng.random(pop.size) < p


# ------------------------------------------------------------------------------------------
# Diabetic scenario plan
# ------------------------------------------------------------------------------------------


@dataclass
class _Plan:
    """Per-diabetic scenario choices (arrays aligned with ``pid``)."""

    pid: np.ndarray
    group: np.ndarray
    engaged: np.ndarray
    frailty: np.ndarray
    tail: np.ndarray
    invite_gap: np.ndarray
    specific: dict[str, np.ndarray]
    edge: np.ndarray
    dx: np.ndarray
    dob: np.ndarray
    hba1c_current: np.ndarray  # has an HbA1c in the last 12 months
    bp_current: np.ndarray  # has a BP reading in the last 12 months

    @property
    def size(self) -> int:
        return len(self.pid)

    def in_group(self, *names: str) -> np.ndarray:
        return np.isin(self.group, [_index(DIABETIC_GROUPS, n) for n in names])

    @property
    def failing(self) -> np.ndarray:
        return self.in_group("fallthrough", "specific")

    @property
    def modsev_frail(self) -> np.ndarray:
        return np.isin(self.frailty, [_index(FRAILTY_KINDS, k) for k in MODSEV_FRAILTY])

    def tail_is(self, name: str) -> np.ndarray:
        return self.tail == _index(TAIL, name)

    def edge_is(self, name: str) -> np.ndarray:
        return self.edge == _index(EDGES, name)

    def option(self, indicator: str, name: str) -> np.ndarray:
        return self.specific[indicator] == _index(SPECIFIC[indicator], name)

    def care(self, rng: np.random.Generator, feature: str) -> np.ndarray:
        """Realistic care draw for ordinary-care patients; failing patients never get it."""
        engaged_p, disengaged_p = CARE[feature]
        p = np.where(self.engaged, engaged_p, disengaged_p)
        return (rng.random(self.size) < p) & ~self.failing


def _plan_diabetics(streams: _Streams, pop: _Population, cal: _Calendar, book: _CodeBook) -> _Plan:
    rng = streams("plan")
    pid = np.flatnonzero(_draw_diabetes(streams("diabetes"), pop, cal))
    adult = pop.age_years(cal)[pid] >= 17
    group = np.zeros(len(pid), dtype=np.int64)
    group[adult] = _allocate(rng, int(adult.sum()), list(DIABETIC_GROUPS.values()))
    plan = _Plan(
        pid=pid,
        group=group,
        engaged=np.zeros(len(pid), dtype=bool),
        frailty=np.zeros(len(pid), dtype=np.int64),
        tail=np.full(len(pid), -1),
        invite_gap=np.full(len(pid), -1),
        specific={k: np.full(len(pid), -1) for k in SPECIFIC},
        edge=np.full(len(pid), -1),
        dx=np.zeros(len(pid), dtype=np.int64),
        dob=pop.dob[pid].copy(),
        hba1c_current=np.zeros(len(pid), dtype=bool),
        bp_current=np.zeros(len(pid), dtype=bool),
    )
    plan.engaged = ~plan.failing & (rng.random(plan.size) < ENGAGED_SHARE)
    _plan_tails(rng, plan, book)
    frail = _plan_failing_frailty(rng, plan)
    _plan_specific(rng, plan, book, frail)
    _plan_frailty(rng, plan, cal, frail)
    _plan_edges(rng, plan, cal)
    _plan_diagnosis(rng, plan, cal)
    _plan_readings(rng, plan)
    _apply_plan_to_population(rng, plan, pop, cal)
    return plan


def _plan_readings(rng: np.random.Generator, plan: _Plan) -> None:
    """Who has an HbA1c / BP in the last 12 months (several features depend on it)."""
    failing_hba1c = rng.random(plan.size) < CLINICAL["failing_hba1c_in_12m"]
    plan.hba1c_current = plan.care(rng, "hba1c_in_12m") | (plan.failing & failing_hba1c)
    plan.hba1c_current &= ~plan.option("DM020", "fructosamine")
    failing_bp = rng.random(plan.size) < CLINICAL["failing_bp_in_12m"]
    plan.bp_current = plan.care(rng, "bp_in_12m") | (plan.failing & failing_bp)


def _available(book: _CodeBook, options: Sequence[str]) -> list[int]:
    return [i for i, name in enumerate(options) if book.option_available(name)]


def _plan_tails(rng: np.random.Generator, plan: _Plan, book: _CodeBook) -> None:
    members = np.flatnonzero(plan.in_group("fallthrough"))
    usable = _available(book, list(TAIL))
    weights = [list(TAIL.values())[i] for i in usable]
    plan.tail[members] = np.asarray(usable)[_allocate(rng, len(members), weights)]
    invited = np.flatnonzero(plan.tail_is("invites"))
    plan.invite_gap[invited] = _allocate(rng, len(invited), list(INVITE_GAPS.values()))


def _plan_failing_frailty(rng: np.random.Generator, plan: _Plan) -> np.ndarray:
    """Half of each tail (and of the specific group) is frail, so DM020 and DM021 (and, via CVD,
    DM034 and DM035) each see every step."""
    frail = np.zeros(plan.size, dtype=bool)
    failing = np.flatnonzero(plan.failing)
    frail[failing] = _allocate_within(rng, plan.tail[failing], [0.5, 0.5]) == 0
    return frail


def _plan_specific(
    rng: np.random.Generator, plan: _Plan, book: _CodeBook, frail: np.ndarray
) -> None:
    members = np.flatnonzero(plan.in_group("specific"))
    for indicator, options in SPECIFIC.items():
        usable = _available(book, options)
        if usable:
            chosen = _allocate_within(rng, frail[members], [1.0] * len(usable))
            plan.specific[indicator][members] = np.asarray(usable)[chosen]


def _plan_frailty(
    rng: np.random.Generator, plan: _Plan, cal: _Calendar, frail_failing: np.ndarray
) -> None:
    age = (cal.end - plan.dob) / _DAYS_PER_YEAR
    lower = 0
    for upper, shares in FRAILTY_BY_AGE:
        rows = (age >= lower) & (age < upper)
        plan.frailty[rows] = _allocate(rng, int(rows.sum()), shares)
        lower = upper
    failing = np.flatnonzero(plan.failing)
    frail = frail_failing[failing]
    frail_kind = _choose(rng, len(failing), FAILING_FRAILTY["frail"])
    other_kind = _choose(rng, len(failing), FAILING_FRAILTY["not_frail"])
    plan.frailty[failing] = np.where(frail, frail_kind, other_kind)
    # frail failing patients are old; the others are 40-78 so DM034 and DM036 both apply
    years = np.where(frail, rng.uniform(70, 95, len(failing)), rng.uniform(40, 79, len(failing)))
    plan.dob[failing] = cal.end - np.floor(years * _DAYS_PER_YEAR).astype(np.int64)


def _plan_edges(rng: np.random.Generator, plan: _Plan, cal: _Calendar) -> None:
    members = np.flatnonzero(plan.in_group("edge"))
    plan.edge[members] = _allocate(rng, len(members), list(EDGES.values()))
    for name, years, next_day in (
        ("age_17_on_end", 17, 0),
        ("age_16_turning_17_next_day", 17, 1),
        ("age_40_on_end", 40, 0),
        ("age_39_turning_40_next_day", 40, 1),
        ("age_80_on_end", 80, 0),
        ("age_79_turning_80_next_day", 80, 1),
    ):
        plan.dob[plan.edge_is(name)] = int(_shift_months(cal.end, -12 * years)) + next_day


_DIAGNOSIS_WINDOWS: dict[str, tuple[int | None, int]] = {
    # name: (months back of the window's open lower end, months back of its last day)
    "established": (None, 21),
    "21_to_12_months": (21, 12),
    "12_to_9_months": (12, 9),
    "9_to_3_months": (9, 3),
    "last_3_months": (3, 0),
}


def _plan_diagnosis(rng: np.random.Generator, plan: _Plan, cal: _Calendar) -> None:
    timing = _allocate(rng, plan.size, list(DIAGNOSIS_TIMING.values()))
    timing[plan.edge >= 0] = _index(DIAGNOSIS_TIMING, "established")
    failing = plan.failing
    timing[failing] = _index(DIAGNOSIS_TIMING, "established")
    share = FALLTHROUGH_RECENT_DIAGNOSIS
    recent = _allocate_within(rng, plan.tail, [share, 1 - share]) == 0
    undiagnosed_tails = [_index(TAIL, t) for t in TAIL if not t.startswith("diagnosed")]
    dm014_window = plan.in_group("fallthrough") & recent & np.isin(plan.tail, undiagnosed_tails)
    dm014_window |= plan.specific["DM014"] >= 0
    timing[dm014_window] = _index(DIAGNOSIS_TIMING, "21_to_12_months")
    timing[plan.tail_is("diagnosed_9m")] = _index(DIAGNOSIS_TIMING, "9_to_3_months")
    timing[plan.tail_is("diagnosed_3m")] = _index(DIAGNOSIS_TIMING, "last_3_months")
    plan.dx = _diagnosis_days(rng, timing, plan.dob, cal)
    # DM014 PCA steps need the diagnosis 9-21 months back, not only 12-21
    widen = dm014_window & (rng.random(plan.size) < 0.3)
    widen &= ~plan.option("DM014", "referred_before_window")
    plan.dx[widen] = _days(rng, int(widen.sum()), cal.first_in(12), cal.back(9), EDGE_SHARE)


def _diagnosis_days(
    rng: np.random.Generator, timing: np.ndarray, dob: np.ndarray, cal: _Calendar
) -> np.ndarray:
    dx = np.zeros(len(timing), dtype=np.int64)
    for i, (opens, closes) in enumerate(_DIAGNOSIS_WINDOWS.values()):
        rows = timing == i
        n = int(rows.sum())
        last = cal.back(closes) if closes else cal.end
        if opens is None:
            first = np.maximum(dob[rows] + 365, cal.end - int(30 * _DAYS_PER_YEAR))
            days = _days(rng, n, first, last)
            days[rng.random(n) < EDGE_SHARE / 2] = last  # on the DM014 "on/before" boundary
        else:
            days = _days(rng, n, cal.first_in(opens), last, EDGE_SHARE)
        dx[rows] = days
    return np.clip(dx, dob + 1, cal.end)


def _apply_plan_to_population(
    rng: np.random.Generator, plan: _Plan, pop: _Population, cal: _Calendar
) -> None:
    """Write ages, registrations and exits the scenarios need back onto the patients."""
    pop.dob[plan.pid] = plan.dob
    # a scenario only decides a rule step if its patient is still in the population
    stays = plan.in_group("fallthrough", "specific", "edge")
    pop.exit_kind[plan.pid[stays]] = 0
    for tail, opens, closes in (("registered_9m", 9, 3), ("registered_3m", 3, 0)):
        rows = plan.tail_is(tail)
        last = cal.back(closes) if closes else cal.end
        days = _days(rng, int(rows.sum()), cal.first_in(opens), last, EDGE_SHARE)
        pop.registration[plan.pid[rows]] = days
    _apply_exits(rng, plan, pop, cal)
    pop.registration[plan.pid] = np.maximum(pop.registration[plan.pid], plan.dob + 1)


def _apply_exits(rng: np.random.Generator, plan: _Plan, pop: _Population, cal: _Calendar) -> None:
    members = np.flatnonzero(plan.in_group("exit"))
    variant = _allocate(rng, len(members), list(EXITS.values()))
    pid = plan.pid[members]
    n = len(members)
    timing = np.array([name.split("_")[-2] for name in EXITS])[variant]
    before = _days(rng, n, cal.start, cal.end - 1)
    after = _days(rng, n, cal.end + 1, cal.end + 60, EDGE_SHARE)
    day = np.where(timing == "before", before, np.where(timing == "on", cal.end, after))
    died = np.array([name.startswith("died") for name in EXITS])[variant]
    pop.exit_kind[pid] = np.where(died, 2, 1)
    pop.exit_day[pid] = day
    pop.registration[pid] = np.minimum(pop.registration[pid], day)


# ------------------------------------------------------------------------------------------
# Event sink
# ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Block:
    """Events as aligned arrays: patient row, day number, code index, value (NaN for null)."""

    pid: np.ndarray
    day: np.ndarray
    code: np.ndarray
    value: np.ndarray

    @property
    def key(self) -> np.ndarray:
        """One sortable integer per event: patient first, then day."""
        return self.pid.astype(np.int64) * (1 << 21) + (self.day.astype(np.int64) + (1 << 20))

    def take(self, rows: np.ndarray | slice) -> _Block:
        return _Block(self.pid[rows], self.day[rows], self.code[rows], self.value[rows])


class _Sink:
    """Collects the (small) scenario event blocks; background noise is made later, per chunk."""

    def __init__(self, book: _CodeBook, streams: _Streams, pop: _Population) -> None:
        self.book = book
        self._streams = streams
        self._first_day = pop.dob
        self._last_day = np.where(pop.exit_kind > 0, pop.exit_day, np.iinfo(np.int64).max)
        self.parts: list[_Block] = []
        self.size = 0

    def add(
        self, role: str, pid: np.ndarray, days: np.ndarray, values: np.ndarray | None = None
    ) -> None:
        """Add events with codes drawn from ``role``; silently nothing if the role is missing."""
        pool = self.book.pools.get(role)
        if pool is None or len(pid) == 0:
            return
        pid = np.asarray(pid, dtype=np.int64)
        days = np.broadcast_to(np.asarray(days, dtype=np.int64), pid.shape)
        codes = pool[self._streams("codes:" + role).integers(0, len(pool), len(pid))]
        vals = np.full(len(pid), np.nan) if values is None else np.asarray(values, dtype=float)
        # nothing is recorded before birth or after the patient left
        keep = (days >= self._first_day[pid]) & (days <= self._last_day[pid])
        block = _Block(pid[keep], days[keep], codes[keep], vals[keep])
        self.parts.append(block)
        self.size += len(block.pid)

    def add_bp(
        self, pid: np.ndarray, days: np.ndarray, systolic: np.ndarray, diastolic: np.ndarray
    ) -> None:
        """A reading is a systolic and a diastolic event on the same day, or nothing."""
        if self.book.has("systolic", "diastolic"):
            self.add("systolic", pid, days, systolic)
            self.add("diastolic", pid, days, diastolic)

    def sorted_block(self) -> _Block:
        """All scenario events by patient then day (stable, so same-day order is kept)."""
        if not self.parts:
            empty = np.zeros(0, dtype=np.int32)
            return _Block(empty, empty, empty, np.zeros(0))
        block = _Block(*(np.concatenate([getattr(p, f) for p in self.parts]) for f in _FIELDS))
        block = block.take(np.lexsort((block.day, block.pid)))
        pid, day = block.pid.astype(np.int32), block.day.astype(np.int32)
        return _Block(pid, day, block.code, block.value)


_FIELDS = ("pid", "day", "code", "value")


# ------------------------------------------------------------------------------------------
# Diabetic events
# ------------------------------------------------------------------------------------------


def _diabetic_events(plan: _Plan, cal: _Calendar, streams: _Streams, sink: _Sink) -> None:
    for build in (
        _diagnosis_events,
        _frailty_events,
        _hba1c_events,
        _glycaemic_pca_events,
        _bp_events,
        _ace_arb_events,
        _foot_events,
        _education_events,
        _cvd_events,
        _lipid_events,
        _review_pca_events,
        _invite_events,
    ):
        build(plan, cal, streams(build.__name__), sink)


def _diagnosis_events(plan: _Plan, cal: _Calendar, rng: np.random.Generator, sink: _Sink) -> None:
    m = plan.size
    sink.add("diabetes", plan.pid, plan.dx)
    repeat = plan.in_group("ordinary", "exit") & (rng.random(m) < CLINICAL["repeat_diabetes_code"])
    repeat &= plan.dx < cal.end
    sink.add("diabetes", plan.pid[repeat], _days(rng, m, plan.dx + 1, cal.end)[repeat])
    child = (cal.end - plan.dob) / _DAYS_PER_YEAR < 17
    untyped = 1 - CLINICAL["type1"] - CLINICAL["type2"]
    kind = _choose(rng, m, [CLINICAL["type1"], CLINICAL["type2"], untyped])
    kind[child] = 0
    kind[plan.failing] = np.where(rng.random(int(plan.failing.sum())) < 0.1, 0, 1)
    # on the diagnosis day, so a type code that is also a DM_COD code moves no dates
    sink.add("type1", plan.pid[kind == 0], plan.dx[kind == 0])
    sink.add("type2", plan.pid[kind == 1], plan.dx[kind == 1])
    _resolution_events(plan, cal, rng, sink)


def _resolution_events(plan: _Plan, cal: _Calendar, rng: np.random.Generator, sink: _Sink) -> None:
    m = plan.size
    later = _days(rng, m, plan.dx + 1, cal.end)
    after = plan.edge_is("resolved_after_latest")
    sink.add("diabetes_resolved", plan.pid[after], later[after])
    same = plan.edge_is("resolved_same_day")
    sink.add("diabetes_resolved", plan.pid[same], plan.dx[same])
    again = plan.edge_is("resolved_then_rediagnosed")
    resolved = _days(rng, m, plan.dx + 1, cal.end - 1)
    sink.add("diabetes_resolved", plan.pid[again], resolved[again])
    sink.add("diabetes", plan.pid[again], _days(rng, m, resolved + 1, cal.end)[again])


def _frailty_events(plan: _Plan, cal: _Calendar, rng: np.random.Generator, sink: _Sink) -> None:
    m = plan.size
    earlier = _days(rng, m, cal.end - 4 * 365, cal.end - 60)
    latest = _days(rng, m, earlier + 1, cal.end)
    roles = {"mild": "mild_frailty", "moderate": "moderate_frailty", "severe": "severe_frailty"}
    for kind, (first, last) in {
        "mild": (None, "mild"),
        "moderate": (None, "moderate"),
        "severe": (None, "severe"),
        "mild_after_moderate": ("moderate", "mild"),
        "moderate_after_mild": ("mild", "moderate"),
    }.items():
        rows = plan.frailty == _index(FRAILTY_KINDS, kind)
        sink.add(roles[last], plan.pid[rows], latest[rows])
        if first:
            sink.add(roles[first], plan.pid[rows], earlier[rows])


def _lognormal(rng: np.random.Generator, median: np.ndarray | float, n: int) -> np.ndarray:
    draws = np.asarray(median) * np.exp(rng.normal(0.0, VALUES["hba1c_sigma"], n))
    return np.clip(np.round(draws), VALUES["hba1c_min"], VALUES["hba1c_max"])


def _hba1c_values(plan: _Plan, cal: _Calendar, rng: np.random.Generator) -> np.ndarray:
    m = plan.size
    new = plan.dx >= cal.first_in(12)
    median = np.where(
        new,
        VALUES["hba1c_median_new"],
        np.where(plan.engaged, VALUES["hba1c_median"], VALUES["hba1c_median_disengaged"]),
    )
    values = _lognormal(rng, median, m)
    boundary = rng.random(m) < CLINICAL["boundary_value"]
    values = np.where(boundary, _pick(rng, HBA1C_BOUNDARIES, m), values)
    above_both_targets = np.minimum(76 + np.round(rng.exponential(12.0, m)), VALUES["hba1c_max"])
    return np.where(plan.failing, above_both_targets, values)


def _hba1c_events(plan: _Plan, cal: _Calendar, rng: np.random.Generator, sink: _Sink) -> None:
    m = plan.size
    window = cal.first_in(12)
    current = plan.hba1c_current
    day = _days(rng, m, np.maximum(window, plan.dx), cal.end, EDGE_SHARE)
    values = _hba1c_values(plan, cal, rng)
    sink.add("hba1c", plan.pid[current], day[current], values[current])
    repeat = current & ~plan.failing & (rng.random(m) < CLINICAL["same_day_repeat"])
    second = _lognormal(rng, VALUES["hba1c_median"], m)
    sink.add("hba1c", plan.pid[repeat], day[repeat], second[repeat])
    _hba1c_history(plan, cal, rng, sink, current)


def _hba1c_history(
    plan: _Plan, cal: _Calendar, rng: np.random.Generator, sink: _Sink, current: np.ndarray
) -> None:
    m = plan.size
    window = cal.first_in(12)
    has_past = plan.dx < window - 30
    count = np.where(has_past, rng.integers(0, 4, m), 0)
    rows = np.repeat(np.arange(m), count)
    first = np.maximum(plan.dx, cal.end - 6 * 365)[rows]
    days = _days(rng, len(rows), first, window - 1)
    sink.add("hba1c", plan.pid[rows], days, _lognormal(rng, VALUES["hba1c_median"], len(rows)))
    # a good result the day before the window, which must not count
    stale = has_past & ~current & (rng.random(m) < STALE_SHARE)
    n_stale = int(stale.sum())
    sink.add("hba1c", plan.pid[stale], np.full(n_stale, window - 1), np.full(n_stale, 50.0))


def _recent(
    rng: np.random.Generator, plan: _Plan, cal: _Calendar, months: int = 12, stale: float = 0.0
) -> np.ndarray:
    """A day in the last ``months``; for ordinary-care patients ``stale`` share of them fall on
    the day before the window instead (failing patients need theirs to count)."""
    days = _days(rng, plan.size, cal.first_in(months), cal.end, EDGE_SHARE)
    outside = ~plan.failing & (rng.random(plan.size) < stale)
    return np.where(outside, cal.back(months), days)


def _glycaemic_pca_events(
    plan: _Plan, cal: _Calendar, rng: np.random.Generator, sink: _Sink
) -> None:
    m = plan.size
    fructosamine = plan.care(rng, "fructosamine_without_hba1c") & ~plan.hba1c_current
    fructosamine |= plan.option("DM020", "fructosamine")
    value = np.round(rng.normal(VALUES["fructosamine_mean"], VALUES["fructosamine_sd"], m))
    day = _recent(rng, plan, cal)
    sink.add("fructosamine", plan.pid[fructosamine], day[fructosamine], value[fructosamine])
    for feature in ("dm_max_therapy", "blood_test_declined"):
        rows = plan.care(rng, feature) | plan.option("DM020", feature)
        day = _recent(rng, plan, cal, stale=STALE_SHARE)
        sink.add(feature, plan.pid[rows], day[rows])


def _bp_values(
    plan: _Plan, rng: np.random.Generator, home: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    m = plan.size
    z = rng.normal(size=(2, m))
    rho = VALUES["bp_correlation"]
    offset = np.where(home, VALUES["home_bp_offset"], 0.0)
    systolic = VALUES["systolic_mean"] - offset + VALUES["systolic_sd"] * z[0]
    diastolic = (
        VALUES["diastolic_mean"]
        - offset / 2
        + VALUES["diastolic_sd"] * (rho * z[0] + np.sqrt(1 - rho**2) * z[1])
    )
    boundary = rng.random(m) < CLINICAL["boundary_value"]
    which = rng.integers(0, 2, m) + np.where(home, 2, 0)
    on_systolic = boundary & (rng.random(m) < 0.5)
    systolic = np.where(on_systolic, np.take(SYSTOLIC_BOUNDARIES, which), systolic)
    diastolic = np.where(boundary & ~on_systolic, np.take(DIASTOLIC_BOUNDARIES, which), diastolic)
    above = plan.failing
    systolic = np.where(above, rng.integers(145, 181, m), np.clip(np.round(systolic), 80, 230))
    diastolic = np.where(above, rng.integers(91, 111, m), np.clip(np.round(diastolic), 40, 130))
    return systolic.astype(float), diastolic.astype(float)


def _bp_events(plan: _Plan, cal: _Calendar, rng: np.random.Generator, sink: _Sink) -> None:
    m = plan.size
    current = plan.bp_current
    day = _days(rng, m, cal.first_in(12), cal.end, EDGE_SHARE)
    home = ~plan.failing & (rng.random(m) < CLINICAL["home_bp"])
    systolic, diastolic = _bp_values(plan, rng, home)
    sink.add_bp(plan.pid[current], day[current], systolic[current], diastolic[current])
    flagged = current & home
    sink.add("home_bp", plan.pid[flagged], day[flagged])
    repeat = current & ~plan.failing & (rng.random(m) < CLINICAL["same_day_repeat"])
    again_sys, again_dia = _bp_values(plan, rng, home)
    sink.add_bp(plan.pid[repeat], day[repeat], again_sys[repeat], again_dia[repeat])
    earlier = current & (rng.random(m) < 0.5) & (day > cal.first_in(12))
    earlier_day = _days(rng, m, cal.first_in(12), day - 1)
    sink.add_bp(plan.pid[earlier], earlier_day[earlier], again_sys[earlier], again_dia[earlier])
    stale = ~current & (rng.random(m) < STALE_SHARE)
    n_stale = int(stale.sum())
    good = np.full(n_stale, 125.0), np.full(n_stale, 75.0)
    sink.add_bp(plan.pid[stale], np.full(n_stale, cal.back(12)), *good)
    for feature in ("bp_max_therapy", "bp_declined"):
        rows = plan.care(rng, feature) | plan.option("DM036", feature)
        sink.add(feature, plan.pid[rows], _recent(rng, plan, cal, stale=STALE_SHARE)[rows])


def _ace_arb_events(plan: _Plan, cal: _Calendar, rng: np.random.Generator, sink: _Sink) -> None:
    m = plan.size
    proteinuria = rng.random(m) < np.where(
        plan.in_group("fallthrough"), CLINICAL["failing_proteinuria"], CLINICAL["proteinuria"]
    )
    proteinuria |= plan.in_group("specific")
    first = np.maximum(plan.dx - 2 * 365, plan.dob + 1)
    sink.add("proteinuria", plan.pid[proteinuria], _days(rng, m, first, cal.end)[proteinuria])
    treated = proteinuria & plan.care(rng, "ace_arb_in_6m")
    drug = np.where(rng.random(m) < 0.6, "ace", "arb")
    day = _recent(rng, plan, cal, months=6)
    stale_day = np.full(m, cal.back(6))
    untreated_stale = proteinuria & ~treated & ~plan.failing & (rng.random(m) < STALE_SHARE)
    for role in ("ace", "arb"):
        rows = treated & (drug == role)
        sink.add(role, plan.pid[rows], day[rows])
        stale = untreated_stale & (drug == role)
        sink.add(role, plan.pid[stale], stale_day[stale])
    _ace_arb_exceptions(plan, cal, rng, sink, proteinuria)


def _ace_arb_exceptions(
    plan: _Plan, cal: _Calendar, rng: np.random.Generator, sink: _Sink, proteinuria: np.ndarray
) -> None:
    m = plan.size
    wants = {
        name: proteinuria & (plan.care(rng, name) | plan.option("DM006", name))
        for name in ("ace_arb_contraindicated", "ace_arb_declined", "ace_arb_mixed")
    }
    ever = _days(rng, m, cal.end - 5 * 365, cal.end)
    recent = _recent(rng, plan, cal)
    persisting = rng.random(m) < 0.5
    for side in ("ace", "arb"):
        contraindicated = wants["ace_arb_contraindicated"] | (
            wants["ace_arb_mixed"] if side == "ace" else np.zeros(m, dtype=bool)
        )
        _contraindication(sink, side, plan.pid, contraindicated, persisting, ever, recent)
        declined = wants["ace_arb_declined"] | (
            wants["ace_arb_mixed"] if side == "arb" else np.zeros(m, dtype=bool)
        )
        sink.add(f"{side}_declined", plan.pid[declined], recent[declined])


def _contraindication(
    sink: _Sink,
    side: str,
    pid: np.ndarray,
    rows: np.ndarray,
    persisting: np.ndarray,
    ever: np.ndarray,
    recent: np.ndarray,
) -> None:
    """Persisting (ever) or expiring (last 12 months) contraindication, whichever exists."""
    lasting, expiring = f"{side}_contraindicated", f"{side}_unsuitable_12m"
    if not sink.book.has(expiring):
        persisting = np.ones_like(persisting)
    elif not sink.book.has(lasting):
        persisting = np.zeros_like(persisting)
    sink.add(lasting, pid[rows & persisting], ever[rows & persisting])
    sink.add(expiring, pid[rows & ~persisting], recent[rows & ~persisting])


def _foot_events(plan: _Plan, cal: _Calendar, rng: np.random.Generator, sink: _Sink) -> None:
    m = plan.size
    checked = plan.care(rng, "foot_check_in_12m")
    day = _recent(rng, plan, cal, stale=0.0)
    sink.add("foot_check", plan.pid[checked], day[checked])
    stale = ~checked & ~plan.failing & (rng.random(m) < STALE_SHARE)
    sink.add("foot_check", plan.pid[stale], np.full(int(stale.sum()), cal.back(12)))
    for feature in ("foot_unsuitable", "foot_declined"):
        rows = plan.care(rng, feature) | plan.option("DM012", feature)
        sink.add(feature, plan.pid[rows], _recent(rng, plan, cal)[rows])
    both = ~plan.failing & (rng.random(m) < CLINICAL["amputation_both"])
    both |= plan.option("DM012", "amputation_both")
    one = ~plan.failing & ~both & (rng.random(m) < CLINICAL["amputation_one_side"])
    left = both | (one & (rng.random(m) < 0.5))
    right = both | (one & ~left)
    ever = _days(rng, m, plan.dob + 1, cal.end)
    sink.add("left_foot_absent", plan.pid[left], ever[left])
    sink.add("right_foot_absent", plan.pid[right], ever[right])


def _education_events(plan: _Plan, cal: _Calendar, rng: np.random.Generator, sink: _Sink) -> None:
    m = plan.size
    new = plan.dx > cal.back(21)
    deadline = np.minimum(_shift_months(plan.dx, 9), cal.end)
    referred = new & plan.care(rng, "education_referral")
    delay = rng.exponential(np.where(plan.engaged, *CARE["education_mean_delay_days"]))
    day = np.minimum(plan.dx + delay.astype(np.int64), deadline)
    on_deadline = rng.random(m) < EDGE_SHARE
    day = np.where(on_deadline, deadline, day)
    # the "on/before PPED - 12 months" boundary of DM014 step 2, from both sides
    around_window = rng.random(m) < EDGE_SHARE
    boundary = cal.back(12) + rng.integers(0, 2, m)
    day = np.where(around_window & (boundary >= plan.dx) & (boundary <= deadline), boundary, day)
    late = referred & plan.care(rng, "education_late") & (deadline < cal.end)
    day = np.where(late, _days(rng, m, deadline + 1, cal.end, EDGE_SHARE), day)
    sink.add("education_referral", plan.pid[referred], day[referred])
    early = plan.option("DM014", "referred_before_window")
    early_day = np.minimum(plan.dx + rng.integers(0, 60, m), cal.back(12))
    sink.add("education_referral", plan.pid[early], early_day[early])
    old = ~new & (rng.random(m) < 0.5)
    old_day = _days(rng, m, plan.dx, plan.dx + 180)
    sink.add("education_referral", plan.pid[old], old_day[old])
    _education_exceptions(plan, cal, rng, sink, new & ~referred)


def _education_exceptions(
    plan: _Plan, cal: _Calendar, rng: np.random.Generator, sink: _Sink, unreferred: np.ndarray
) -> None:
    m = plan.size
    within = np.minimum(plan.dx + 279, cal.end)
    for feature in ("education_unsuitable", "education_declined", "education_unavailable"):
        rows = unreferred & (plan.care(rng, feature) | plan.option("DM014", feature))
        if feature == "education_unsuitable":
            day = _recent(rng, plan, cal)
        else:
            # DSEPDEC/DSEPSU count within 279 days of diagnosis; some land on day 280
            day = _days(rng, m, plan.dx, within, EDGE_SHARE)
            day_280 = ~plan.failing & (rng.random(m) < EDGE_SHARE) & (plan.dx + 280 <= cal.end)
            day = np.where(day_280, plan.dx + 280, day)
        sink.add(feature, plan.pid[rows], day[rows])


def _cvd_events(plan: _Plan, cal: _Calendar, rng: np.random.Generator, sink: _Sink) -> None:
    m = plan.size
    age = (cal.end - plan.dob) / _DAYS_PER_YEAR
    cvd_p = np.select([age < upper for upper, _ in CVD_BY_AGE], [p for _, p in CVD_BY_AGE], 0.0)
    cvd = rng.random(m) < cvd_p
    frail_failing = plan.failing & plan.modsev_frail
    cvd = np.where(plan.failing, frail_failing, cvd)
    hstrk = np.zeros(m, dtype=bool)
    ordinary_cvd = np.flatnonzero(cvd & ~plan.failing)
    share = CLINICAL["haemorrhagic_stroke_of_cvd"]
    hstrk[ordinary_cvd] = _allocate(rng, len(ordinary_cvd), [share, 1 - share]) == 0
    kinds = [k for k in CVD_KINDS if sink.book.has(k)] or list(CVD_KINDS)
    kind = np.array(kinds)[_choose(rng, m, [CVD_KINDS[k] for k in kinds])]
    kind[plan.failing] = kinds[0]
    ever = _days(rng, m, np.maximum(plan.dob + 18 * 365, cal.end - 25 * 365), cal.end)
    for role in kinds:
        rows = cvd & ~hstrk & (kind == role)
        sink.add(role, plan.pid[rows], ever[rows])
    sink.add("haemorrhagic_stroke", plan.pid[hstrk], ever[hstrk])
    _ckd_events(plan, cal, rng, sink)
    _cvd_score_events(plan, cal, rng, sink)


def _ckd_events(plan: _Plan, cal: _Calendar, rng: np.random.Generator, sink: _Sink) -> None:
    m = plan.size
    ckd = ~plan.failing & (rng.random(m) < CLINICAL["ckd_3_5"])
    staged = _days(rng, m, cal.end - 8 * 365, cal.end - 30)
    sink.add("ckd_3_5", plan.pid[ckd], staged[ckd])
    resolved = ckd & (rng.random(m) < CLINICAL["ckd_resolved"])
    later = _days(rng, m, staged + 1, cal.end)
    role = np.where(rng.random(m) < 0.5, "ckd_1_2", "ckd_resolved")
    for name in ("ckd_1_2", "ckd_resolved"):
        rows = resolved & (role == name)
        sink.add(name, plan.pid[rows], later[rows])


def _cvd_score_events(plan: _Plan, cal: _Calendar, rng: np.random.Generator, sink: _Sink) -> None:
    m = plan.size
    scored = rng.random(m) < CLINICAL["cvd_score_in_3y"]
    three_years = int(_shift_months(cal.end, -36))
    day = _days(rng, m, three_years + 1, cal.end, EDGE_SHARE)
    outside = rng.random(m) < EDGE_SHARE
    day = np.where(outside, three_years, day)  # just too old to count
    spread = np.exp(rng.normal(0, VALUES["cvd_score_sigma"], m))
    score = np.round(VALUES["cvd_score_median"] * spread, 1)
    # failing patients must stay in the DM034 denominator, so no low score for them
    score = np.where(plan.failing, np.maximum(score, 10.0 + rng.integers(0, 20, m)), score)
    sink.add("cvd_score", plan.pid[scored], day[scored], score[scored])


def _lipid_events(plan: _Plan, cal: _Calendar, rng: np.random.Generator, sink: _Sink) -> None:
    m = plan.size
    on_statin = plan.care(rng, "statin_in_6m")
    day = _recent(rng, plan, cal, months=6)
    sink.add("statin", plan.pid[on_statin], day[on_statin])
    stale = ~on_statin & ~plan.failing & (rng.random(m) < STALE_SHARE)
    sink.add("statin", plan.pid[stale], np.full(int(stale.sum()), cal.back(6)))
    alternative = ~on_statin & plan.care(rng, "statin_intolerant_other_therapy")
    unsuitable_day = _days(rng, m, cal.end - 3 * 365, cal.end)
    sink.add("statin_unsuitable", plan.pid[alternative], unsuitable_day[alternative])
    other_day = _recent(rng, plan, cal, months=6)
    sink.add("other_lipid_therapy", plan.pid[alternative], other_day[alternative])
    for feature in ("chol_max", "lipid_adverse", "lipid_contraindicated", "lipid_declined"):
        rows = plan.care(rng, feature) | plan.option("DM034", feature)
        sink.add(feature, plan.pid[rows], _recent(rng, plan, cal)[rows])


def _review_pca_events(plan: _Plan, cal: _Calendar, rng: np.random.Generator, sink: _Sink) -> None:
    for feature in ("pca_unsuitable", "pca_dissent"):
        ordinary = plan.care(rng, feature)
        day = _recent(rng, plan, cal, stale=STALE_SHARE)
        sink.add(feature, plan.pid[ordinary], day[ordinary])
        tail = plan.tail_is(feature)
        sink.add(feature, plan.pid[tail], _recent(rng, plan, cal)[tail])


def _invite_events(plan: _Plan, cal: _Calendar, rng: np.random.Generator, sink: _Sink) -> None:
    m = plan.size
    gap = rng.integers(14, 120, m)
    gap = np.where(plan.invite_gap == _index(INVITE_GAPS, "exactly_7_days"), 7, gap)
    gap = np.where(plan.invite_gap == _index(INVITE_GAPS, "only_6_days"), 6, gap)
    first = _days(rng, m, cal.start, np.maximum(cal.end - gap, cal.start))
    straddle = plan.invite_gap == _index(INVITE_GAPS, "first_before_start")
    first = np.where(straddle, cal.start - rng.integers(1, 60, m), first)
    second = np.minimum(first + gap, cal.end)
    second = np.where(straddle, _days(rng, m, cal.start, cal.end), second)
    two = plan.care(rng, "two_invites") | plan.tail_is("invites")
    one = ~two & plan.care(rng, "one_invite")
    sink.add("invite", plan.pid[two | one], first[two | one])
    sink.add("invite", plan.pid[two], second[two])


# ------------------------------------------------------------------------------------------
# Ruleset-driven layer: every other register and indicator
# ------------------------------------------------------------------------------------------
#
# Read from the ruleset, not written per domain. Every terminal branch of every indicator chain
# (outside SCENARIO_REGISTERS) becomes a target: the conditions on the path to it (the register's
# own chain to a "select", every earlier step taking "next", the step itself taking the branch)
# are solved into a template of records (a "world"): which latest/earliest record of which
# clusters exists, the date windows it must fall in (named dates, DOB, REG_DAT or other records,
# each bound used from both sides), the value range it must have, the age and sex. Choices inside
# the conditions ("any of", "not all of", a missing record or one on the wrong side of a bound)
# are drawn at random, so each target gets several different templates. Templates are then given
# to patients and made into events with numpy, one template at a time. Ordinary register members
# get templates in which every indicator of their register is achieved.

#: Registers the hand-written scenarios own; the generic layer puts nobody on them and never
#: uses the clusters their rules read.
SCENARIO_REGISTERS = ("DM_REG",)

#: Share of all patients on each disease register with ordinary (achieving) care, roughly
#: England's recorded prevalence on the whole-list basis. Cohorts (age/sex groups, registers
#: derived from others) are not listed: the population or the targets fill them.
REGISTER_PREVALENCE: dict[str, float] = {
    "HYP_REG": 0.14,
    "DEP_REG": 0.10,
    "OB_REG": 0.08,
    "NDH_REG": 0.06,
    "AST_REG": 0.065,
    "CKD_REG": 0.035,
    "CAN_REG": 0.035,
    "CHD_REG": 0.03,
    "AF_REG": 0.021,
    "COPD_REG": 0.019,
    "STIA_REG": 0.018,
    "HF_REG": 0.01,
    "MH_REG": 0.009,
    "EP_REG": 0.008,
    "RA_REG": 0.008,
    "DEM_REG": 0.007,
    "PAD_REG": 0.006,
    "LD_REG": 0.006,
    "OST_REG": 0.005,
    "PC_REG": 0.005,
}
DEFAULT_PREVALENCE = 0.005

GENERIC: dict[str, float] = {
    "patients_per_branch": 5,  # at least this many patients aimed at each indicator branch
    "branch_share": 0.06,  # ... or this share of all patients spread over the branches
    "variants": 6,  # different templates kept per target
    "attempts": 60,  # random tries to find them
    "edge_share": 0.35,  # dates and values snapped onto the bound they are drawn against
    "wrong_side_share": 0.6,  # a false date/value test: a record on the wrong side, else none
    "history_years": 15,  # unbounded records fall in this many years before the period end
    "max_used_share": 0.85,  # of the patients free to use (not diabetics, not leaving)
}

_FLIP_DATE = {
    "after": "on_or_before",
    "on_or_after": "before",
    "before": "on_or_after",
    "on_or_before": "after",
}
_FLIP_VALUE = {"lt": "ge", "le": "gt", "gt": "le", "ge": "lt"}
_DOB, _REG = "DOB", "REG_DAT"

# A date constraint: (variable, op, reference variable or None, offset, constant day or None).
# Variables are DOB, REG_DAT and record slots ("latest:A+B": the latest record of clusters A, B).
_DateRule = tuple[str, str, str | None, m.Offset | None, int | None]


@dataclass
class _World:
    """A partial solution: what one patient's records must look like."""

    present: dict[str, bool] = field(default_factory=dict)
    absent: list[str] = field(default_factory=list)  # fields that must have no record
    dates: list[_DateRule] = field(default_factory=list)
    values: dict[str, list[tuple[str, float]]] = field(default_factory=dict)
    allowed: dict[str, set[str]] = field(default_factory=dict)
    banned: dict[str, set[str]] = field(default_factory=dict)
    sexes: set[str] = field(default_factory=lambda: set(SEXES))

    def copy(self) -> _World:
        return _World(
            dict(self.present),
            list(self.absent),
            list(self.dates),
            {k: list(v) for k, v in self.values.items()},
            {k: set(v) for k, v in self.allowed.items()},
            {k: set(v) for k, v in self.banned.items()},
            set(self.sexes),
        )


@dataclass(frozen=True)
class _Template:
    """A solved world, ready to be made into events."""

    order: tuple[str, ...]  # DOB, REG_DAT, then slots so that references come first
    dates: tuple[_DateRule, ...]
    clusters: dict[str, tuple[str, ...]]  # present slot -> clusters its record may use
    values: dict[str, tuple[tuple[str, float], ...]]  # slot -> value rules ("op", number)
    sexes: tuple[str, ...]
    ages: bool  # the rules constrain the age

    def key(self) -> str:
        return repr((self.dates, sorted(self.clusters.items()), sorted(self.values.items())))


def _chain_leaves(
    steps: Sequence[m.Step],
) -> list[tuple[list[tuple[m.Condition, bool]], m.Step, bool, m.Action]]:
    """Every terminal branch of a chain with the (condition, truth) path that reaches it."""
    leaves, prefix = [], []
    for step in steps:
        for truth, action in ((True, step.if_true), (False, step.if_false)):
            if action.terminal:
                leaves.append(([*prefix, (step.when, truth)], step, truth, action))
        passing = [t for t, a in ((True, step.if_true), (False, step.if_false)) if not a.terminal]
        if not passing:
            break
        prefix = [*prefix, (step.when, passing[0])]
    return leaves


def _resolution_ops(ruleset: Ruleset) -> dict[tuple[str, str], str]:
    """(resolved field, diagnosis field) -> the date operator its register's same_day_resolution
    means (`after` keeps a same-day resolution, `on_or_after` removes)."""
    ops: dict[tuple[str, str], str] = {}

    def visit(cond: m.Condition, op: str) -> None:
        match cond:
            case m.AllOf(items) | m.AnyOf(items):
                for item in items:
                    visit(item, op)
            case m.Not(item):
                visit(item, op)
            case m.NamedCondition(name):
                visit(ruleset.conditions[name].condition, op)
            case m.Resolves(f, diagnosis):
                ops[(f, diagnosis)] = op

    for register in ruleset.registers.values():
        op = "on_or_after" if register.same_day_resolution == "removes" else "after"
        for step in register.rules:
            visit(step.when, op)
    return ops


class _Solver:
    """Random witness search over the condition vocabulary of qofcli.ruleset.model."""

    def __init__(self, ruleset: Ruleset, cal: _Calendar, rng: random.Random) -> None:
        self.rs = ruleset
        self.rng = rng
        self.named = {**ruleset.dates, "ACHV": ruleset.period_end}
        self.achv = cal.end
        self.coded = {c.id for c in ruleset.clusters.values() if c.codes}
        self.scenario_clusters = self._scenario_clusters()
        self.forbidden: set[str] = set()
        self.slot_clusters: dict[str, tuple[str, ...]] = {}
        self.depth = 0
        self.resolution_ops = _resolution_ops(ruleset)

    def _scenario_clusters(self) -> set[str]:
        out: set[str] = set()
        for reg in SCENARIO_REGISTERS:
            if reg in self.rs.registers:
                for step in self.rs.registers[reg].rules:
                    out |= {
                        c for f in self._fields_of(step.when) for c in self.rs.fields[f].clusters
                    }
        return out

    def _fields_of(self, cond: m.Condition) -> set[str]:
        match cond:
            case m.AllOf(items) | m.AnyOf(items):
                return set().union(*(self._fields_of(i) for i in items))
            case m.Not(item):
                return self._fields_of(item)
            case m.NamedCondition(name):
                return self._fields_of(self.rs.conditions[name].condition)
            case m.Has(f) | m.ValueCompare(f, _, _) | m.ClusterIn(f, _):
                return {f} if f in self.rs.fields else set()
            case m.DateCompare(f, _, ref):
                return {x for x in (f, ref.base) if x in self.rs.fields}
            case m.Resolves(f, diagnosis):
                return {x for x in (f, diagnosis) if x in self.rs.fields}
        return set()

    def slot(self, name: str) -> str:
        f = self.rs.fields[name]
        find = "earliest" if f.find == "earliest" else "latest"
        key = f"{find}:{'+'.join(sorted(f.clusters))}"
        self.slot_clusters[key] = tuple(sorted(f.clusters))
        return key

    def _plausible(self, clusters: Sequence[str]) -> tuple[tuple[str, float], ...]:
        """The ruleset's plausible value range of these clusters (`value_ranges`), as the
        pseudo-rules ("min", low) and ("max", high): drawn values are kept inside it."""
        ranges = [self.rs.value_ranges[c] for c in clusters if c in self.rs.value_ranges]
        if not ranges:
            return ()
        return (("min", max(r.low for r in ranges)), ("max", min(r.high for r in ranges)))

    def none_side(self, name: str) -> bool:
        """Make a false test false by having no record (always, if none can be made)."""
        return not self.usable(name) or self.rng.random() > GENERIC["wrong_side_share"]

    def usable(self, name: str) -> set[str]:
        return (set(self.rs.fields[name].clusters) & self.coded) - self.forbidden

    # ---- solving ---------------------------------------------------------------------------

    def solve_path(self, w: _World, path: Sequence[tuple[m.Condition, bool]]) -> bool:
        return all(self.solve(w, cond, want) for cond, want in path)

    def solve(self, w: _World, cond: m.Condition, want: bool) -> bool:
        rng = self.rng
        match cond:
            case m.AllOf(items):
                if want:
                    return all(self.solve(w, i, True) for i in items)
                return self.solve(w, rng.choice(items), False)
            case m.AnyOf(items):
                if want:
                    return self.solve(w, rng.choice(items), True)
                return all(self.solve(w, i, False) for i in items)
            case m.Not(item):
                return self.solve(w, item, not want)
            case m.NamedCondition(name):
                return self.solve(w, self.rs.conditions[name].condition, want)
            case m.Has(f):
                return self.has(w, f, want)
            case m.DateCompare(f, op, ref):
                return self._date_compare(w, f, op, ref, want)
            case m.Resolves(f, diagnosis):
                op = self.resolution_ops.get((f, diagnosis), "after")
                return self._date_compare(w, f, op, m.DateRef(diagnosis), want)
            case m.ValueCompare(f, op, number) if self.rs.fields[f].find == "count":
                # no record day is a count of zero; several record days are not drawn yet (every
                # count field of qof-2025-26 reads clusters with no public codes)
                zero_holds = _holds(0.0, op, number)
                return self.has(w, f, False) if zero_holds == want else False
            case m.ValueCompare(f, op, number):
                if not want and self.none_side(f):
                    return self.has(w, f, False)
                if not self.has(w, f, True):
                    return False
                if not want:
                    op = _FLIP_VALUE.get(op) or rng.choice(("lt", "gt"))
                w.values.setdefault(self.slot(f), []).append((op, number))
                return True
            case m.ClusterIn(f, clusters):
                if not want and self.none_side(f):
                    return self.has(w, f, False)
                if not self.has(w, f, True):
                    return False
                s = self.slot(f)
                if want:
                    w.allowed[s] = w.allowed.get(s, set(clusters)) & set(clusters)
                else:
                    w.banned.setdefault(s, set()).update(clusters)
                return True
            case m.AgeCompare(op, years):
                return self._age(w, op, years, want)
            case m.SexIn(sexes):
                w.sexes = w.sexes & set(sexes) if want else w.sexes - set(sexes)
                return bool(w.sexes)
            case m.OnRegister(register):
                return self.on_register(w, register, want)
        raise AssertionError(f"no solver for {cond!r}")

    def on_register(self, w: _World, register: str, want: bool) -> bool:
        if register in SCENARIO_REGISTERS and self.forbidden:
            return not want
        if self.depth > 6:
            return False
        leaves = [
            leaf
            for leaf in _chain_leaves(self.rs.registers[register].rules)
            if (leaf[3].kind == "select") == want
        ]
        if not leaves:
            return not want
        self.depth += 1
        try:
            return self.solve_path(w, self.rng.choice(leaves)[0])
        finally:
            self.depth -= 1

    def has(self, w: _World, name: str, want: bool) -> bool:
        if name in m.BUILTIN_DATE_FIELDS:
            return want
        s = self.slot(name)
        if not want:
            if name not in w.absent:
                w.absent.append(name)
            return True
        if not self.usable(name) or w.present.get(s) is False:
            return False
        if w.present.get(s):
            return True
        w.present[s] = True
        return all(self.date_rule(w, s, b.op, b.ref) for b in self.rs.fields[name].bounds)

    def date_rule(self, w: _World, var: str, op: str, ref: m.DateRef) -> bool:
        base = ref.base
        if base in self.named:
            const = _day(shift(self.named[base], ref.offset))
            w.dates.append((var, op, None, None, const))
            return True
        if base in m.BUILTIN_DATE_FIELDS:
            w.dates.append((var, op, base, ref.offset, None))
            return True
        if not self.has(w, base, True):
            return False
        w.dates.append((var, op, self.slot(base), ref.offset, None))
        return True

    def _date_compare(self, w: _World, f: str, op: str, ref: m.DateRef, want: bool) -> bool:
        rng = self.rng
        builtin = f in m.BUILTIN_DATE_FIELDS
        if not want:
            if not builtin and self.none_side(f):
                return self.has(w, f, False)
            if ref.base in self.rs.fields and rng.random() < 0.15:
                return self.has(w, ref.base, False)
            op = _FLIP_DATE.get(op) or rng.choice(("before", "after"))
        if not self.has(w, f, True):
            return False
        return self.date_rule(w, f if builtin else self.slot(f), op, ref)

    def _age(self, w: _World, op: str, years: int, want: bool) -> bool:
        if not want:
            op = _FLIP_VALUE.get(op) or self.rng.choice(("lt", "gt"))
        if op == "eq":
            return self._age(w, "ge", years, True) and self._age(w, "lt", years + 1, True)
        if op in ("gt", "le"):
            op, years = ("ge" if op == "gt" else "lt"), years + 1
        # aged >= N on the achievement date <=> born on or before ACHV - N years
        born = int(_shift_months(self.achv, -12 * years))
        w.dates.append((_DOB, "on_or_before" if op == "ge" else "after", None, None, born))
        return True

    # ---- checking and freezing ---------------------------------------------------------------

    def finish(self, w: _World) -> _Template | None:
        if not w.sexes:
            return None
        present = [s for s, on in w.present.items() if on]
        clusters = {s: set(self.slot_clusters[s]) & self.coded for s in present}
        for s in present:
            clusters[s] -= self.forbidden
            clusters[s] -= w.banned.get(s, set())
            if s in w.allowed:
                clusters[s] &= w.allowed[s]
        dates = list(w.dates)
        for name in w.absent:
            f = self.rs.fields[name]
            own = self.slot(name)
            for s in present:
                if not set(self.slot_clusters[s]) & set(f.clusters):
                    continue
                if s == own and f.bounds:
                    bound = self.rng.choice(f.bounds)
                    flipped = _FLIP_DATE.get(bound.op) or self.rng.choice(("before", "after"))
                    w2 = _World()
                    if not self.date_rule(w2, s, flipped, bound.ref):
                        continue  # the bound reads a record this world lacks: nothing counts
                    if any(not w.present.get(x, False) for x in w2.present):
                        continue
                    dates += w2.dates
                else:
                    clusters[s] -= set(f.clusters)
        for s in present:
            smaller = [
                set(self.slot_clusters[t])
                for t in present
                if t != s and set(self.slot_clusters[t]) < set(self.slot_clusters[s])
            ]
            preferred = clusters[s] - set().union(*smaller) if smaller else clusters[s]
            if preferred:
                clusters[s] = preferred
            if not clusters[s]:
                return None
        # a record of an earliest/latest slot's clusters must not undercut/overtake it
        for s in present:
            find = s.split(":")[0]
            for t in present:
                if t == s or not clusters[t] & set(self.slot_clusters[s]):
                    continue
                rest = clusters[t] - set(self.slot_clusters[s])
                if rest and not clusters[t] <= set(self.slot_clusters[s]):
                    clusters[t] = rest
                    continue
                dates.append(
                    (t, "on_or_after" if find == "earliest" else "on_or_before", s, None, None)
                )
        values: dict[str, tuple[tuple[str, float], ...]] = {}
        for s, rules in w.values.items():
            if s not in clusters:
                continue
            lo, hi = _value_range(rules)
            if lo is not None and hi is not None and lo > hi:
                return None
            values[s] = tuple(rules) + self._plausible(self.slot_clusters[s])
        for var in (_REG, *present, _DOB):  # DOB last: born before every fixed record date
            lo, hi = -(10**9), 10**9
            for v, op, _ref, _off, const in dates:
                if v == var and const is not None:
                    lo, hi = _tighten(lo, hi, op, const)
            if lo > hi:
                return None
            if var != _DOB and hi < 10**9:
                dates.append((_DOB, "before", None, None, hi))
        order = _order(present, dates)
        return _Template(
            order,
            tuple(dict.fromkeys(dates)),
            {s: tuple(sorted(c)) for s, c in clusters.items()},
            values,
            tuple(s for s in SEXES if s in w.sexes),
            any(v == _DOB for v, *_ in w.dates),
        )


def _holds(value: float, op: str, number: float) -> bool:
    return {
        "lt": value < number,
        "le": value <= number,
        "gt": value > number,
        "ge": value >= number,
        "eq": value == number,
    }[op]


def _tighten(lo: int, hi: int, op: str, day: int) -> tuple[int, int]:
    if op == "after":
        return max(lo, day + 1), hi
    if op == "on_or_after":
        return max(lo, day), hi
    if op == "before":
        return lo, min(hi, day - 1)
    if op == "on_or_before":
        return lo, min(hi, day)
    return max(lo, day), min(hi, day)  # same_day


def _value_range(rules: Sequence[tuple[str, float]]) -> tuple[float | None, float | None]:
    step = _value_step(rules)
    lo: float | None = None
    hi: float | None = None
    for op, x in rules:
        low = {"gt": x + step, "ge": x, "eq": x}.get(op)
        high = {"lt": x - step, "le": x, "eq": x}.get(op)
        if low is not None:
            lo = low if lo is None else max(lo, low)
        if high is not None:
            hi = high if hi is None else min(hi, high)
    return lo, hi


def _value_step(rules: Sequence[tuple[str, float]]) -> float:
    return 1.0 if all(float(x).is_integer() for _, x in rules) else 0.1


def _order(variables: list[str], dates: Sequence[_DateRule]) -> tuple[str, ...]:
    """Variables so that a reference is made before what refers to it; in a cycle, the one
    with a fixed-date bound goes first (the other side then follows it)."""
    needs = {
        v: {ref for var, _, ref, _, _ in dates if var == v and ref in variables} for v in variables
    }
    fixed = {var for var, _, _, _, const in dates if const is not None}
    done: list[str] = [_DOB, _REG]  # every record is drawn after birth
    while len(done) < len(variables) + 2:
        left = [v for v in variables if v not in done]
        ready = [v for v in left if needs[v] <= set(done)] or left
        done.append(next((v for v in ready if v in fixed), ready[0]))
    return tuple(done)


def _targets(ruleset: Ruleset) -> list[tuple[str, str, list[tuple[m.Condition, bool]]]]:
    """(indicator, branch label, path) for every terminal branch of every indicator outside the
    scenario registers, the register's own selection first."""
    out = []
    for ind in ruleset.indicators.values():
        if ind.register in SCENARIO_REGISTERS:
            continue
        on_register = [(m.OnRegister(ind.register), True)]
        denominator = _chain_leaves(ind.denominator)
        selects = [leaf[0] for leaf in denominator if leaf[3].kind == "select"]
        for path, step, truth, action in denominator:
            if action.kind != "select":
                out.append((ind.id, f"denominator {step.number} {truth}", on_register + path))
        for path, step, truth, _action in _chain_leaves(ind.numerator):
            for i, into in enumerate(selects):
                label = f"numerator {step.number} {truth} via {i}"
                out.append((ind.id, label, on_register + into + path))
    return out


def _ordinary(ruleset: Ruleset, register: str) -> list[tuple[m.Condition, bool]]:
    """On the register and achieving each of its indicators (as far as they can be combined)."""
    path: list[tuple[m.Condition, bool]] = [(m.OnRegister(register), True)]
    for ind in ruleset.indicators.values():
        if ind.register == register:
            path.append((_achieved_condition(ind), True))
    return path


def _achieved_condition(ind: m.Indicator) -> m.Condition:
    """A condition true for patients the indicator counts as achieved (any achieving route)."""
    routes = []
    for into in [leaf[0] for leaf in _chain_leaves(ind.denominator) if leaf[3].kind == "select"]:
        for path, _step, _truth, action in _chain_leaves(ind.numerator):
            if action.kind == "select":
                routes.append(m.AllOf(tuple(_literal(c, t) for c, t in into + path)))
    return m.AnyOf(tuple(routes)) if routes else m.AllOf(())


def _literal(cond: m.Condition, truth: bool) -> m.Condition:
    return cond if truth else m.Not(cond)


def _templates(
    solver: _Solver, path: Sequence[tuple[m.Condition, bool]], ordinary: bool = False
) -> list[_Template]:
    found: dict[str, _Template] = {}
    # ordinary patients never touch the scenario registers; a few targeted ones may have to
    solver.forbidden = solver.scenario_clusters if ordinary else set()
    for _ in range(int(GENERIC["attempts"])):
        w = _World()
        if ordinary:
            ok = solver.solve_path(w, path[:1])
            for cond, want in path[1:]:  # drop an indicator that cannot be combined
                trial = w.copy()
                if solver.solve(trial, cond, want) and solver.finish(trial) is not None:
                    w = trial
        else:
            ok = solver.solve_path(w, path)
        template = solver.finish(w) if ok else None
        if template is not None:
            found.setdefault(template.key(), template)
        if len(found) >= GENERIC["variants"]:
            break
    return list(found.values())


def _ruleset_patients(
    ruleset: Ruleset,
    streams: _Streams,
    pop: _Population,
    plan: _Plan,
    cal: _Calendar,
    sink: _Sink,
) -> np.ndarray:
    """Give patients (not the scenario diabetics) the records of the ruleset's templates; returns
    the mask of patients so used (their background noise is unrelated codes only)."""
    rng = streams("ruleset-plan")
    solver = _Solver(ruleset, cal, random.Random(int(streams("ruleset-solver").integers(2**62))))
    n = pop.size
    targets = [(label, _templates(solver, path)) for *label, path in _targets(ruleset)]
    targets = [(label, found) for label, found in targets if found]
    ordinary = []
    for reg in ruleset.registers.values():
        if reg.prevalence and reg.id not in SCENARIO_REGISTERS:
            found = _templates(solver, _ordinary(ruleset, reg.id), ordinary=True)
            share = REGISTER_PREVALENCE.get(reg.id, DEFAULT_PREVALENCE)
            if found:
                ordinary.append((int(round(share * n)), found))
    per_branch = max(
        int(GENERIC["patients_per_branch"]),
        int(GENERIC["branch_share"] * n / max(len(targets), 1)),
    )
    # scenario diabetics and patients leaving by the period end are never used
    free = np.ones(n, dtype=bool)
    free[plan.pid] = False
    free &= (pop.exit_kind == 0) | (pop.exit_day > cal.end)
    pool = rng.permutation(np.flatnonzero(free))
    # one template per patient: ordinary members shrink to leave some patients healthy
    room = GENERIC["max_used_share"] * len(pool) - per_branch * len(targets)
    scale = min(1.0, max(room, 0.0) / max(sum(count for count, _ in ordinary), 1))
    wanted: list[tuple[int, list[_Template]]] = [(per_branch, found) for _, found in targets]
    wanted += [(max(int(round(count * scale)), len(found)), found) for count, found in ordinary]
    used = np.zeros(n, dtype=bool)
    at = 0
    for count, found in wanted:
        take = pool[at : at + count]
        at += len(take)
        if len(take) == 0:
            break
        which = np.arange(len(take)) % len(found)
        for i, template in enumerate(found):
            members = take[which == i]
            if len(members):
                _realise(template, members, pop, cal, rng, sink)
        used[take] = True
    return used


def _realise(
    t: _Template,
    pid: np.ndarray,
    pop: _Population,
    cal: _Calendar,
    rng: np.random.Generator,
    sink: _Sink,
) -> None:
    """Draw one template's variables for its patients (vectorised) and add the records."""
    k = len(pid)
    edge = GENERIC["edge_share"]
    oldest = int(_shift_months(cal.end, -12 * (OLDEST_AGE - 1)))
    adult = int(_shift_months(cal.end, -12 * 18))  # unless the rules ask for an age
    history = int(GENERIC["history_years"] * _DAYS_PER_YEAR)
    known: dict[str, np.ndarray] = {}
    for var in t.order:
        lo = np.full(k, oldest if var == _DOB else -(10**7), dtype=np.int64)
        hi = np.full(k, adult if var == _DOB and not t.ages else cal.end, dtype=np.int64)
        if var != _DOB:
            lo = np.maximum(lo, known[_DOB])
        lo_set = np.zeros(k, dtype=bool)
        hi_set = np.zeros(k, dtype=bool)
        for v, op, ref, off, const in t.dates:
            if v == var:
                if const is not None:
                    other = np.full(k, const, dtype=np.int64)
                elif ref in known:
                    other = _shift_by(known[ref], off, 1)
                else:
                    continue
                new_lo, new_hi = _bounds(op, other)
            elif ref == var and v in known:
                new_lo, new_hi = _inverse_bounds(op, known[v], off)
            else:
                continue
            if new_lo is not None:
                lo_set |= new_lo > lo
                lo = np.maximum(lo, new_lo)
            if new_hi is not None:
                hi_set |= new_hi < hi
                hi = np.minimum(hi, new_hi)
        if var not in (_DOB, _REG):
            lo = np.where(lo_set, lo, np.maximum(lo, hi - history))
        hi = np.maximum(hi, lo)
        days = lo + (rng.random(k) * (hi - lo + 1)).astype(np.int64)
        snap = rng.random(k) < edge
        to_lo = np.where(lo_set & hi_set, rng.random(k) < 0.5, lo_set)
        days = np.where(snap & (lo_set | hi_set), np.where(to_lo, lo, hi), days)
        if var in (_DOB, _REG):
            own = pop.dob[pid] if var == _DOB else pop.registration[pid]
            keep = (own >= lo) & (own <= hi)  # ages and registrations stay realistic if they can
            days = np.where(keep, own, days)
        known[var] = days
    pop.dob[pid] = known[_DOB]
    pop.registration[pid] = known[_REG]
    own_sex = np.array(SEXES)[pop.sex[pid]]
    allowed = np.isin(own_sex, t.sexes)
    drawn = np.array([SEXES.index(s) for s in t.sexes])[rng.integers(0, len(t.sexes), k)]
    pop.sex[pid] = np.where(allowed, pop.sex[pid], drawn).astype(np.int8)
    for slot, clusters in t.clusters.items():
        values = _draw_values(t.values.get(slot, ()), k, rng)
        choice = rng.integers(0, len(clusters), k)
        for i, cluster in enumerate(clusters):
            rows = choice == i
            sink.add(CLUSTER_ROLE + cluster, pid[rows], known[slot][rows], values[rows])


def _shift_by(days: np.ndarray, offset: m.Offset | None, sign: int) -> np.ndarray:
    if offset is None:
        return days
    amount = sign * offset.amount
    if offset.unit == "days":
        return days + amount
    return _shift_months(days, amount * (12 if offset.unit == "years" else 1))


def _bounds(op: str, other: np.ndarray) -> tuple[np.ndarray | None, np.ndarray | None]:
    """Bounds on x from "x op other"."""
    return {
        "after": (other + 1, None),
        "on_or_after": (other, None),
        "before": (None, other - 1),
        "on_or_before": (None, other),
        "same_day": (other, other),
    }[op]


def _inverse_bounds(
    op: str, subject: np.ndarray, offset: m.Offset | None
) -> tuple[np.ndarray | None, np.ndarray | None]:
    """Bounds on x from "subject op x + offset" (month offsets invert approximately)."""
    back = _shift_by(subject, offset, -1)
    return {
        "after": (None, back - 1),
        "on_or_after": (None, back),
        "before": (back + 1, None),
        "on_or_before": (back, None),
        "same_day": (back, back),
    }[op]


def _draw_values(
    rules: Sequence[tuple[str, float]], k: int, rng: np.random.Generator
) -> np.ndarray:
    """Values inside the rules' range, often exactly on its edge, and inside the plausible
    range ("min"/"max" pseudo-rules); NaN when nothing is asked."""
    plausible = dict(r for r in rules if r[0] in ("min", "max"))
    rules = [r for r in rules if r[0] not in ("min", "max")]
    if not rules:
        return np.full(k, np.nan)
    step = _value_step(rules)
    lo, hi = _value_range(rules)
    span = max(max(abs(x) for _, x in rules) * 0.3, 10 * step)
    lo_val = hi - span if lo is None else lo
    hi_val = lo + span if hi is None else hi
    grid = np.round((hi_val - lo_val) / step)
    values = lo_val + np.floor(rng.random(k) * (grid + 1)) * step
    snap = rng.random(k) < GENERIC["edge_share"]
    edges = [v for v, given in ((lo_val, lo is not None), (hi_val, hi is not None)) if given]
    if edges:
        values = np.where(snap, np.asarray(edges)[rng.integers(0, len(edges), k)], values)
    values = np.clip(values, plausible.get("min", -np.inf), plausible.get("max", np.inf))
    return np.round(values, 1)


# ------------------------------------------------------------------------------------------
# Background noise
# ------------------------------------------------------------------------------------------


def _noise_mix(book: _CodeBook) -> np.ndarray:
    available = {
        "bp_reading": book.has("systolic", "diastolic"),
        "coded_event": book.has("noise"),
        "hba1c_screen": book.has("hba1c"),
    }
    return np.array([share * available[kind] for kind, share in NOISE_MIX.items()])


@dataclass(frozen=True)
class _Noise:
    """Background items per patient (BP readings, screening HbA1c, unrelated codes) and the
    days they may fall on; the events themselves are made chunk by chunk."""

    items: np.ndarray
    first: np.ndarray
    last: np.ndarray
    diabetic: np.ndarray
    generic: np.ndarray  # patients of the ruleset-driven layer: unrelated codes only
    mix: np.ndarray


def _plan_noise(
    streams: _Streams,
    pop: _Population,
    plan: _Plan,
    cal: _Calendar,
    book: _CodeBook,
    target: float,
    generic: np.ndarray,
) -> _Noise:
    rng = streams("noise-plan")
    mix = _noise_mix(book)
    diabetic = np.zeros(pop.size, dtype=bool)
    diabetic[plan.pid] = True
    # diabetics' background sits before the 12-month window, so scenarios stay in control
    last = np.minimum(np.where(diabetic, cal.back(12), cal.end), pop.last_day(cal))
    first = np.maximum(pop.dob, cal.end - int(NOISE_HISTORY_YEARS * _DAYS_PER_YEAR))
    if target <= 0 or mix.sum() == 0:
        return _Noise(np.zeros(pop.size, dtype=np.int64), first, last, diabetic, generic, mix)
    mix = mix / mix.sum()
    events_per_item = mix[0] * (2 + CLINICAL["home_bp"]) + mix[1] + mix[2]
    activity = (0.3 + pop.age_years(cal).clip(0) / 40) * rng.gamma(2.0, 0.5, pop.size)
    activity = np.where(last >= first, activity, 0.0)
    per_item = np.where(generic, 1.0, events_per_item)  # their items are single coded events
    items = rng.poisson(target / per_item * activity / activity.sum())
    return _Noise(items, first, last, diabetic, generic, mix)


def _sorted_days(
    rng: np.random.Generator, counts: np.ndarray, first: np.ndarray, last: np.ndarray
) -> np.ndarray:
    """``counts[g]`` uniform days in [first[g], last[g]] per group, ascending within each group.

    Normalised cumulative exponential spacings are sorted uniforms, so no sort is needed.
    """
    groups = len(counts)
    spacing_sums = np.cumsum(rng.standard_exponential(int(counts.sum()) + groups))
    group_end = spacing_sums[np.cumsum(counts + 1) - 1]
    group_base = np.concatenate(([0.0], group_end[:-1]))
    group = np.repeat(np.arange(groups), counts)
    position = np.arange(len(group)) + group  # each group has one extra spacing
    uniform = (spacing_sums[position] - group_base[group]) / (group_end - group_base)[group]
    width = (last - first + 1)[group]
    return first[group] + np.minimum(np.floor(uniform * width).astype(np.int64), width - 1)


def _noise_block(streams: _Streams, book: _CodeBook, noise: _Noise, lo: int, hi: int) -> _Block:
    """Background events of patients lo..hi-1, already in patient-then-day order."""
    rng = streams("noise")
    counts = noise.items[lo:hi]
    owner = lo + np.repeat(np.arange(hi - lo), counts)
    day = _sorted_days(rng, counts, noise.first[lo:hi], noise.last[lo:hi])
    n = len(owner)
    kind = _choose(rng, n, noise.mix) if n else np.zeros(0, dtype=np.int64)
    # screening HbA1c means nothing for diabetics: another kind, or no event at all
    fallback = 0 if noise.mix[0] else (1 if noise.mix[1] else -1)
    kind[(kind == 2) & noise.diabetic[owner]] = fallback
    # a ruleset-driven patient's records are exactly what its template needs
    kind[(kind != 1) & noise.generic[owner]] = 1 if noise.mix[1] else -1
    bp = kind == 0
    home = bp & (rng.random(n) < CLINICAL["home_bp"]) & book.has("home_bp")
    width = np.where(bp, 2 + home, np.where(kind < 0, 0, 1))
    start = np.cumsum(width) - width
    block = _Block(
        np.repeat(owner, width).astype(np.int32),
        np.repeat(day, width).astype(np.int32),
        np.zeros(int(width.sum()), dtype=np.int32),
        np.full(int(width.sum()), np.nan),
    )
    n_bp, screen = int(bp.sum()), kind == 2
    # the general population runs a little lower than diabetics
    systolic = np.round(rng.normal(VALUES["systolic_mean"] - 5, VALUES["systolic_sd"], n_bp))
    diastolic = np.round(rng.normal(VALUES["diastolic_mean"] - 2, VALUES["diastolic_sd"], n_bp))
    screen_values = _lognormal(rng, VALUES["hba1c_normal_median"], int(screen.sum())).clip(max=47)
    for role, rows, offset, values in (
        ("systolic", bp, 0, systolic.clip(80, 230)),
        ("diastolic", bp, 1, diastolic.clip(40, 130)),
        ("home_bp", home, 2, None),
        ("noise", kind == 1, 0, None),
        ("hba1c", screen, 0, screen_values),
    ):
        _fill(streams, book, block, role, start[rows] + offset, values)
    return block


def _fill(
    streams: _Streams,
    book: _CodeBook,
    block: _Block,
    role: str,
    at: np.ndarray,
    values: np.ndarray | None,
) -> None:
    if len(at) == 0:
        return
    pool = book.pools[role]
    block.code[at] = pool[streams("noise-codes:" + role).integers(0, len(pool), len(at))]
    if values is not None:
        block.value[at] = values


def _merge(noise: _Block, scenario: _Block) -> _Block:
    """Insert the scenario events into the noise block, keeping patient-then-day order."""
    at = np.searchsorted(noise.key, scenario.key, side="right")
    return _Block(*(np.insert(getattr(noise, f), at, getattr(scenario, f)) for f in _FIELDS))


# ------------------------------------------------------------------------------------------
# Frames
# ------------------------------------------------------------------------------------------


def _patient_ids(n: int) -> pl.Series:
    width = max(7, len(str(n)))
    digits = pl.select(pl.int_range(1, n + 1).cast(pl.String).str.zfill(width)).to_series()
    return ("P" + digits).alias("patient_id")


def _date_series(name: str, days: np.ndarray, present: np.ndarray | None = None) -> pl.Series:
    series = pl.Series(name, days.astype(np.int32)).cast(pl.Date)
    if present is None:
        return series
    return pl.select(pl.when(pl.Series(present)).then(series)).to_series().alias(name)


def _patients_frame(pop: _Population, ids: pl.Series, practice_codes: pl.Series) -> pl.DataFrame:
    return pl.DataFrame(
        [
            ids,
            practice_codes.gather(pop.practice).alias("practice_code"),
            _date_series("date_of_birth", pop.dob),
            pl.Series("sex", SEXES).gather(pop.sex.astype(np.int64)),
            _date_series("registration_date", pop.registration),
            _date_series("deregistration_date", pop.exit_day, pop.exit_kind == 1),
            _date_series("death_date", pop.exit_day, pop.exit_kind == 2),
        ]
    )


def _events_frame(sink: _Sink, noise: _Noise, streams: _Streams, ids: pl.Series) -> pl.DataFrame:
    """Events by patient then day, built chunk by chunk so temporary memory stays bounded."""
    scenario = sink.sorted_block()
    codes = pl.Series("code", sink.book.codes, dtype=pl.String)
    frames = []
    for lo in range(0, len(ids), NOISE_CHUNK):
        hi = min(lo + NOISE_CHUNK, len(ids))
        rows = slice(*np.searchsorted(scenario.pid, [lo, hi]))
        block = _merge(_noise_block(streams, sink.book, noise, lo, hi), scenario.take(rows))
        frames.append(_block_frame(block, ids, codes))
    return pl.concat(frames)


def _block_frame(block: _Block, ids: pl.Series, codes: pl.Series) -> pl.DataFrame:
    return pl.DataFrame(
        [
            ids.gather(block.pid),
            _date_series("date", block.day),
            codes.gather(block.code),
            pl.Series("value", block.value).fill_nan(None),
        ],
        schema=EVENTS_SCHEMA,
    )


def _practice_identities(
    rng: np.random.Generator, n: int
) -> tuple[list[str], list[str], list[str]]:
    letters = rng.choice(list(ODS_REGION_LETTERS), n)
    numbers = rng.choice(100_000, n, replace=False)
    codes = [f"{letter}{number:05d}" for letter, number in zip(letters, numbers, strict=True)]
    places = rng.choice(PRACTICE_PLACES, n)
    kinds = rng.choice(PRACTICE_KINDS, n)
    names = [f"{place} {kind}" for place, kind in zip(places, kinds, strict=True)]
    n_pcns = -(-n // PRACTICES_PER_PCN)
    pcn_numbers = rng.choice(100_000, n_pcns, replace=False)
    pcns = [f"U{pcn_numbers[i // PRACTICES_PER_PCN]:05d}" for i in range(n)]
    return codes, names, pcns


def _practices_frame(rng: np.random.Generator, pop: _Population, cal: _Calendar) -> pl.DataFrame:
    codes, names, pcns = _practice_identities(rng, pop.n_practices)
    registered = (pop.registration <= cal.end) & ((pop.exit_kind == 0) | (pop.exit_day > cal.end))
    list_size = np.bincount(pop.practice[registered], minlength=pop.n_practices)
    return pl.DataFrame(
        {"practice_code": codes, "practice_name": names, "pcn_code": pcns, "list_size": list_size},
        schema=PRACTICES_SCHEMA,
    )
