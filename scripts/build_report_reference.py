"""Rebuild the small reference tables `qof report` ships in qofcli/data/ from official files.

- prevalence_distribution_2024_25.csv: per QOF register group, England's practice prevalence
  (register / the practice's whole registered list, %) at percentiles 0..100 over all practices,
  and the pooled national figure; from NHS England's QOF 2024-25 practice prevalence file
  (PREVALENCE_2425.csv, Open Government Licence v3.0).
- automatic_pca.csv: the PCA reason fields that apply automatically to patients newly diagnosed
  or newly registered (not chosen by the patient); from NHS Digital's QOF 2023/24 PCA reference
  (PCA_REFERENCE.csv, MIT licence), whose official descriptions say so.

Usage: python scripts/build_report_reference.py [SHARED_REFERENCE_DIR]
(default ../shared/reference)
"""

from __future__ import annotations

import sys
from pathlib import Path

import polars as pl

OUT = Path(__file__).resolve().parents[1] / "qofcli" / "data"
PERCENTILES = range(0, 101)
AUTOMATIC = r"^Patient (registered|diagnosed) within \d+ months of end of payment period"


def distribution(prevalence_csv: Path) -> pl.DataFrame:
    raw = pl.read_csv(prevalence_csv, schema_overrides={"REGISTER": pl.Float64})
    whole_list = (
        raw.filter(pl.col("PATIENT_LIST_TYPE") == "TOTAL")
        .group_by("PRACTICE_CODE")
        .agg(pl.col("PRACTICE_LIST_SIZE").max().alias("total_list"))
    )
    rows = (
        raw.join(whole_list, on="PRACTICE_CODE")
        .filter(pl.col("total_list") > 0, pl.col("REGISTER").is_not_null())
        .with_columns((pl.col("REGISTER") / pl.col("total_list") * 100).alias("prevalence"))
    )
    return (
        rows.group_by(pl.col("GROUP_CODE").alias("group"))
        .agg(
            pl.len().alias("practices"),
            (pl.col("REGISTER").sum() / pl.col("total_list").sum() * 100)
            .round(4)
            .alias("national"),
            *(
                pl.col("prevalence").quantile(p / 100, "linear").round(4).alias(f"p{p}")
                for p in PERCENTILES
            ),
        )
        .sort("group")
    )


def automatic_pcas(pca_reference_csv: Path) -> pl.DataFrame:
    return (
        pl.read_csv(pca_reference_csv, encoding="utf8-lossy")
        .filter(pl.col("TYPE") == "PCA", pl.col("DESCRIPTION").str.contains(AUTOMATIC))
        .select(pl.col("SHORT_NAME").alias("reason"), pl.col("DESCRIPTION").alias("description"))
        .sort("reason")
    )


def write_with_header(frame: pl.DataFrame, path: Path, header: str) -> None:
    lines = "".join(f"# {line}\n" for line in header.strip().splitlines())
    path.write_text(lines + frame.write_csv())


def main() -> None:
    shared = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("../shared/reference")
    write_with_header(
        distribution(shared / "nhsd-qof-2024-25" / "PREVALENCE_2425.csv"),
        OUT / "prevalence_distribution_2024_25.csv",
        "Derived from NHS England, Quality and Outcomes Framework 2024-25, practice prevalence\n"
        "file PREVALENCE_2425.csv (QOF2425.zip raw data), Open Government Licence v3.0.\n"
        "prevalence = REGISTER / the practice's TOTAL list size (%), percentiles p0..p100 over\n"
        "practices (linear); national = sum of registers / sum of total lists (%).\n"
        "Rebuild: python scripts/build_report_reference.py",
    )
    write_with_header(
        automatic_pcas(shared / "nhsd-qof-2023-24" / "PCA_REFERENCE.csv"),
        OUT / "automatic_pca.csv",
        "PCA reasons applied automatically to newly diagnosed or newly registered patients.\n"
        "Derived from NHS Digital QOF 2023/24 metadata PCA_REFERENCE.csv (MIT licence).\n"
        "Rebuild: python scripts/build_report_reference.py",
    )


if __name__ == "__main__":
    main()
