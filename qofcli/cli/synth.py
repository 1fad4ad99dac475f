"""`qof synth`: write a synthetic extract (for demos, tests and benchmarks)."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from qofcli import api
from qofcli.cli.app import app, progress, stderr, user_errors
from qofcli.cli.options import RulesetOpt, parse_as_of
from qofcli.ruleset.catalogue import default_ruleset_id


class SynthFormat(StrEnum):
    parquet = "parquet"
    csv = "csv"


@app.command()
@user_errors
def synth(
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder to create (must be empty).")],
    patients: Annotated[int, typer.Option("--patients", "-n", help="Number of patients.")] = 3000,
    practices: Annotated[int, typer.Option("--practices", "-p", help="Number of practices.")] = 2,
    seed: Annotated[int, typer.Option("--seed", help="Random seed; same seed, same extract.")] = 1,
    events_per_patient: Annotated[
        float, typer.Option("--events-per-patient", help="Background events per patient.")
    ] = 8.0,
    fmt: Annotated[SynthFormat, typer.Option("--format", "-f")] = SynthFormat.parquet,
    ruleset: RulesetOpt = None,
    overwrite: Annotated[
        bool, typer.Option("--overwrite", help="Replace a non-empty --out.")
    ] = False,
    as_of: Annotated[
        str | None,
        typer.Option(
            "--as-of",
            help="Day the extract is taken, YYYY-MM-DD: nothing is dated after it. Default: "
            "90 days after the payment period end, or today if earlier.",
        ),
    ] = None,
) -> None:
    """Write a synthetic extract with England-like patients and the ruleset's real codes.

    Every patient is made up. Dates follow the ruleset's payment period; registers have England's
    prevalence, and a few patients per rule branch reach every branch the ruleset's codes allow.

    \b
    Examples:
      qof synth --out demo && qof score demo
      qof synth -r qof-2025-26 --out year --patients 100000 --practices 10 --seed 7
      qof synth --out in-year --as-of 2026-12-01
    """
    rules = api.load_ruleset(ruleset or default_ruleset_id())
    with progress(f"Generating {patients:,} patients..."):
        api.synthesise(
            rules,
            out,
            patients,
            practices,
            seed,
            fmt.value,
            events_per_patient,
            overwrite,
            parse_as_of(as_of),
        )
    stderr.print(f"wrote {patients:,} synthetic patients in {practices} practice(s) to {out}")
