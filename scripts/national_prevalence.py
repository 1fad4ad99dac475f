"""Recompute the national prevalence of each QOF register from NHS England's practice file.

Usage: python scripts/national_prevalence.py PREVALENCE_2425.csv

The file is the practice-level prevalence table of NHS England's yearly QOF publication
(raw-data bundle, e.g. QOF2425.zip): columns PRACTICE_CODE, GROUP_CODE, REGISTER (REGISTER_SIZE
from 2025-26), PATIENT_LIST_TYPE, PRACTICE_LIST_SIZE. The national figure the prevalence
adjustment divides by is pooled over practices on the WHOLE list (the payment basis): the sum of
a group's registers ÷ the sum of the practices' whole-list sizes (the TOTAL list type), as a %
rounded to 3 places. The output is the [payment.national_prevalence] table of a ruleset.toml.
"""

from __future__ import annotations

import sys
from pathlib import Path

import polars as pl

DECIMALS = 3
WHOLE_LIST = "TOTAL"


def register_id(group: str) -> str:
    """The ruleset register of a publication group (AF -> AF_REG, MH -> MH_REG, ...)."""
    return f"{group}_REG"


def national_prevalence(path: Path) -> dict[str, float]:
    """Register id -> pooled whole-list prevalence (%), from the official practice file."""
    frame = pl.read_csv(path, infer_schema_length=0)
    register = "REGISTER" if "REGISTER" in frame.columns else "REGISTER_SIZE"
    frame = frame.with_columns(
        pl.col(register).cast(pl.Float64).alias("register"),
        pl.col("PRACTICE_LIST_SIZE").cast(pl.Float64).alias("list_size"),
    )
    whole_lists = (
        frame.filter(pl.col("PATIENT_LIST_TYPE") == WHOLE_LIST)
        .group_by("PRACTICE_CODE")
        .agg(pl.col("list_size").max().alias("whole_list"))
    )
    per_group = (
        frame.join(whole_lists, on="PRACTICE_CODE", how="inner")
        .group_by("GROUP_CODE")
        .agg(pl.col("register").sum(), pl.col("whole_list").sum())
        .sort("GROUP_CODE")
    )
    return {
        register_id(group): round(100.0 * registered / listed, DECIMALS)
        for group, registered, listed in per_group.iter_rows()
    }


def toml_table(prevalence: dict[str, float]) -> str:
    lines = ["[payment.national_prevalence]"]
    lines += [f"{register} = {percent:.{DECIMALS}f}" for register, percent in prevalence.items()]
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python scripts/national_prevalence.py PREVALENCE_YYZZ.csv", file=sys.stderr)
        return 2
    sys.stdout.write(toml_table(national_prevalence(Path(argv[0]))))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
