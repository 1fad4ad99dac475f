"""Write a large partitioned Parquet extract from several `qof synth` runs, and time it.

Each part is one `qof synth` extract (its own seed) whose patient ids, practice codes and PCN
codes are rewritten to be disjoint from the other parts': part k's patients are P<kk>..., its
practices <letter k><5 digits>. The result is the folder layout `qof score` reads:

    OUT/patients/part-00.parquet ...  OUT/events/part-00.parquet ...  OUT/practices/part-...

    python benchmarks/partitioned.py --out /work/bench-10m --parts 10 --patients-per-part 1000000
    python benchmarks/partitioned.py --out /work/bench-10m --measure   # qof score, wall and RSS
"""

from __future__ import annotations

import argparse
import subprocess
import tempfile
import time
from pathlib import Path

import polars as pl
from run import RULESET, qof, synth  # benchmarks/run.py, beside this script

LETTERS = "ABCDEFGHJKLMNPQRSTVWXY"  # one ODS-like region letter per part


def synth_part(folder: Path, seed: int, patients: int, practices: int, events: float) -> None:
    synth(folder, patients, practices, seed, events)


def rewrite_part(part: Path, out: Path, k: int) -> None:
    """Copy one synth extract into the partitioned folders with identifiers unique to part k."""
    practices = pl.read_parquet(part / "practices.parquet").sort("practice_code")
    pcns = practices["pcn_code"].unique(maintain_order=True).to_list()
    codes = {c: f"{LETTERS[k]}{i:05d}" for i, c in enumerate(practices["practice_code"])}
    pcn_codes = {c: f"U{k:02d}{i:03d}" for i, c in enumerate(pcns)}
    name = f"part-{k:02d}.parquet"
    practices.with_columns(
        pl.col("practice_code").replace_strict(codes),
        pl.col("pcn_code").replace_strict(pcn_codes),
    ).write_parquet(out / "practices" / name)
    new_id = pl.col("patient_id").str.replace("^P", f"P{k:02d}")
    patients = pl.scan_parquet(part / "patients.parquet").with_columns(
        new_id, pl.col("practice_code").replace_strict(codes)
    )
    patients.sink_parquet(out / "patients" / name)
    pl.scan_parquet(part / "events.parquet").with_columns(new_id).sink_parquet(
        out / "events" / name
    )


def write(out: Path, parts: int, patients: int, practices: int, events: float) -> None:
    if out.exists() and any(out.iterdir()):
        raise SystemExit(f"{out} is not empty; choose a new folder")
    for table in ("patients", "events", "practices"):
        (out / table).mkdir(parents=True, exist_ok=True)
    for k in range(parts):
        start = time.perf_counter()
        with tempfile.TemporaryDirectory(dir=out.parent, prefix=".synth-part-") as staging:
            part = Path(staging) / "extract"
            synth_part(part, seed=k + 1, patients=patients, practices=practices, events=events)
            rewrite_part(part, out, k)
        print(f"part {k + 1}/{parts}: {time.perf_counter() - start:.0f} s", flush=True)


def measure(out: Path, batch_patients: int | None) -> None:
    """`qof score` on the partitioned extract under /usr/bin/time -v: wall and peak RSS."""
    command = qof("score", str(out), "--ruleset", RULESET, "-f", "csv", "--table", "totals")
    if batch_patients:
        command += ["--batch-patients", str(batch_patients)]
    timed = ["/usr/bin/time", "-v", *command]
    done = subprocess.run(timed, capture_output=True, text=True)
    print(done.stdout)
    report = dict(line.strip().split(": ", 1) for line in done.stderr.splitlines() if ": " in line)
    progress = [line for line in done.stderr.splitlines() if line.startswith("batch ")]
    print("\n".join(progress))
    print(
        f"exit {done.returncode}; wall {report.get('Elapsed (wall clock) time (h:mm:ss or m:ss)')}"
        f"; peak RSS {int(report.get('Maximum resident set size (kbytes)', 0)) / 1e6:.2f} GB"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--parts", type=int, default=10)
    parser.add_argument("--patients-per-part", type=int, default=1_000_000)
    parser.add_argument("--practices-per-part", type=int, default=100)
    parser.add_argument("--events-per-patient", type=float, default=60.0)
    parser.add_argument("--measure", action="store_true", help="time qof score on --out")
    parser.add_argument("--batch-patients", type=int, default=None)
    args = parser.parse_args()
    if args.measure:
        measure(args.out, args.batch_patients)
        return
    write(
        args.out,
        args.parts,
        args.patients_per_part,
        args.practices_per_part,
        args.events_per_patient,
    )


if __name__ == "__main__":
    main()
